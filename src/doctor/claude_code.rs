//! Step 9, Claude Code: what Claude Code will actually connect with, and
//! whether its requests get through — explained in the terms of the
//! message its user saw ("Unable to connect to Anthropic services …
//! ERR_BAD_REQUEST").
//!
//! 1. Its files ([`settings`]): `~/.claude.json` (`hasCompletedOnboarding`)
//!    and the `env` blocks of `~/.claude/settings.json` and the project's
//!    `.claude/settings.json`, which override the shell.
//! 2. The settings that result ([`setup`]): base URL, key, model, proxy,
//!    each with where it came from. Keys are only ever shown masked.
//! 3. The requests it makes ([`replay`]), sent through the same proxy: the
//!    first-start check, the gateway probes, and a Messages request shaped
//!    like its own.
//!
//! `ERR_BAD_REQUEST` is the HTTP client's code for any 4xx answer (and
//! `ERR_BAD_RESPONSE` for 5xx), so the step names which request got which
//! status from which host, and what the body said.

mod replay;
mod settings;
mod setup;

use std::path::{Path, PathBuf};

use crate::api::errors::FailureKind;
use crate::config::{Env, ProxySettings, display_url};

use super::probe::{self, Sent};
use super::reachability::{host_of, region_fix};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};
use replay::{
    API_HELLO, BETA_MESSAGES_PATH, OAUTH_HELLO, PLAIN_MESSAGES_PATH, Plan, Replay, Shape,
    ShapeOrigin,
};
use settings::{
    ClaudeFiles, EnvBlock, FileRead, GLOBAL_CONFIG, GlobalState, Located, ONBOARDING_KEY,
    Onboarding,
};
use setup::Setup;

pub use settings::claude_code_detected;

const ID: StepId = StepId::ClaudeCode;

/// Where Claude Code's files are, and how the step may reach the network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaudeCodeEnv {
    /// The home directory (`~/.claude.json`, `~/.claude/settings.json`);
    /// `None` when it is not known.
    pub home: Option<PathBuf>,
    /// The project whose `.claude/settings.json` applies: the directory
    /// Claude Code would be started in.
    pub project: PathBuf,
    /// The user asked for this step (`doctor --claude-code`): it runs even
    /// where none of Claude Code's files exists yet — a first start, the
    /// very moment its connectivity check matters. Otherwise such a run is
    /// skipped.
    pub requested: bool,
    /// `doctor --offline`: contact nothing but the configured base URL, so
    /// the first-start probes of the fixed hosts are not made.
    pub offline: bool,
    /// For tests only: send the two fixed start-up probes to these URLs
    /// instead of api.anthropic.com and platform.claude.com, so no test
    /// reaches the internet. Reports still name the real hosts (and say
    /// where the probes went). `None` in the program.
    pub probe_hosts: Option<ProbeOverride>,
}

impl ClaudeCodeEnv {
    /// The program's defaults: home from `HOME`, project = the current
    /// directory, not requested, real hosts.
    pub fn from_env(env: &Env) -> ClaudeCodeEnv {
        ClaudeCodeEnv {
            home: env.non_empty("HOME").map(PathBuf::from),
            project: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            requested: false,
            offline: false,
            probe_hosts: None,
        }
    }

    /// Files at `home` and `project`; not requested, real hosts.
    pub fn at(home: impl Into<PathBuf>, project: impl Into<PathBuf>) -> ClaudeCodeEnv {
        ClaudeCodeEnv {
            home: Some(home.into()),
            project: project.into(),
            requested: false,
            offline: false,
            probe_hosts: None,
        }
    }

    /// Whether Claude Code's configuration is found (see
    /// [`claude_code_detected`]).
    pub fn detected(&self) -> bool {
        self.home
            .as_deref()
            .is_some_and(|home| claude_code_detected(home, &self.project))
    }
}

/// Full URLs that stand in for `https://api.anthropic.com/api/hello` and
/// `https://platform.claude.com/v1/oauth/hello` (tests: the embedded server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOverride {
    pub api_hello: String,
    pub oauth_hello: String,
}

/// The configuration Claude Code will use — its settings files' `env`
/// blocks over `env` — as a profile the other steps can judge, each value
/// with where it came from. `None` without a home directory.
pub fn claude_code_profile(
    env: &Env,
    cc: &ClaudeCodeEnv,
    timeout: std::time::Duration,
) -> Option<crate::config::Profile> {
    let files = ClaudeFiles::read(cc.home.as_deref()?, &cc.project);
    let effective = settings::Effective::resolve(env, &files);
    // The step itself reports what setting up found; here only the result counts.
    let setup = setup::setup(&effective, timeout, &mut Verdict::default());
    Some(setup.profile)
}

pub(super) async fn check(input: &DoctorInput) -> StepReport {
    let cc = &input.claude_code;
    let Some(home) = cc.home.as_deref() else {
        return StepReport::skipped(
            ID,
            "the home directory is not known (HOME is not set), so Claude Code's files cannot be found",
        );
    };
    if !cc.requested && !claude_code_detected(home, &cc.project) {
        return StepReport::skipped(
            ID,
            format!(
                "no Claude Code configuration found ({}, {}, {}); run `claudetui doctor --claude-code` to check anyway",
                home.join(GLOBAL_CONFIG).display(),
                home.join(settings::SETTINGS).display(),
                cc.project.join(settings::SETTINGS).display()
            ),
        );
    }
    let files = ClaudeFiles::read(home, &cc.project);
    let mut v = Verdict::default();
    describe_files(&files, &mut v);
    let onboarding = files.onboarding();
    let effective = settings::Effective::resolve(&input.env, &files);
    let setup = setup::setup(&effective, input.timeout, &mut v);
    let plan = Plan {
        shape: Shape::choose(&setup, &input.recent),
        startup: !onboarding.is_completed() && !cc.offline,
        redirect: cc.probe_hosts.as_ref(),
        timeout: input.timeout,
    };
    let replay = Replay::run(&setup, plan).await;
    let key_response = setup
        .profile
        .credential
        .as_ref()
        .filter(|c| c.kind == crate::config::CredentialKind::ApiKey)
        .and_then(|c| files.key_response(c.secret.expose()));
    let judge = Judge {
        setup: &setup,
        replay: &replay,
        onboarding: &onboarding,
        home,
        offline: cc.offline,
        key_response,
    };
    let passed = judge.run(&mut v);
    v.report(ID, passed)
}

fn describe_files(files: &ClaudeFiles, v: &mut Verdict) {
    let global = &files.global;
    match &global.read {
        FileRead::Read(state) => describe_onboarding(global, &state.onboarding, v),
        FileRead::Missing => v.evidence(format!(
            "{}: not found — Claude Code has not completed a first start here, so it runs its first-start connectivity check",
            global.path.display()
        )),
        _ => unreadable(global, v),
    }
    for file in std::iter::once(&files.user).chain(files.project.as_ref()) {
        match &file.read {
            FileRead::Read(block) => describe_block(file, block, v),
            FileRead::Missing => v.evidence(format!("{}: not found", file.path.display())),
            _ => unreadable(file, v),
        }
    }
}

fn describe_onboarding(file: &Located<GlobalState>, onboarding: &Onboarding, v: &mut Verdict) {
    let path = file.path.display();
    match onboarding {
        Onboarding::Completed => v.evidence(format!(
            "{path}: {ONBOARDING_KEY} is true — Claude Code skips its first-start connectivity check"
        )),
        Onboarding::NotSet => v.evidence(format!(
            "{path}: {ONBOARDING_KEY} is not set — Claude Code runs its first-start connectivity check ({API_HELLO} and {OAUTH_HELLO} must answer 200)"
        )),
        Onboarding::Other(value) => {
            let value = crate::store::redact::redact_text(value);
            v.evidence(format!(
                "{path}: {ONBOARDING_KEY} is {value}, not true — Claude Code runs its first-start connectivity check"
            ));
            if value.trim_matches('"').eq_ignore_ascii_case("true") {
                v.warn(
                    format!("{ONBOARDING_KEY} in {path} is the string {value}, not the JSON value true"),
                    format!("Write \"{ONBOARDING_KEY}\": true, without quotes around true, in {path}."),
                );
            }
        }
    }
}

fn describe_block(file: &Located<EnvBlock>, block: &EnvBlock, v: &mut Verdict) {
    let path = file.path.display();
    let names: Vec<String> = block
        .vars
        .iter()
        .map(|(name, _)| crate::store::redact::redact_text(name).into_owned())
        .collect();
    if names.is_empty() {
        v.evidence(format!("{path}: found, no env variables"));
    } else {
        v.evidence(format!("{path}: env sets {}", names.join(", ")));
    }
    for problem in &block.problems {
        v.warn(
            format!("{path}: {problem}"),
            format!("Fix the env block of {path}: every value a string in quotes."),
        );
    }
}

/// A file that exists but could not be used: which one, where, and why.
fn unreadable<T>(file: &Located<T>, v: &mut Verdict) {
    let path = file.path.display();
    let (finding, fix) = match &file.read {
        FileRead::Malformed {
            line,
            column,
            message,
        } => (
            format!("{path} is not valid JSON: line {line}, column {column}: {message}"),
            format!(
                "Fix the JSON at line {line}, column {column} of {path} (a missing or trailing comma or an unclosed quote is the usual cause); until then claudetui leaves this file out."
            ),
        ),
        FileRead::Unreadable(why) => (
            format!("{path} cannot be read: {why}"),
            format!("Check the owner and permissions of {path} (`ls -l {path}`)."),
        ),
        FileRead::NotAnObject(what) => (
            format!("{path} holds {what}, not a JSON object"),
            format!("{path} must hold one JSON object ({{ … }}); fix or remove it."),
        ),
        FileRead::Missing | FileRead::Read(_) => return,
    };
    v.fail(finding, fix);
}

/// Turns the replay into findings, in the terms of what the user saw.
struct Judge<'a> {
    setup: &'a Setup,
    replay: &'a Replay,
    onboarding: &'a Onboarding,
    home: &'a Path,
    offline: bool,
    /// The user's answer at Claude Code's "use this API key?" prompt for
    /// the key it will use: `Some(false)` declined.
    key_response: Option<bool>,
}

impl Judge<'_> {
    /// Judges every request; returns the finding for a pass.
    fn run(&self, v: &mut Verdict) -> String {
        let mut passed = vec![self.startup(v)];
        if let Some(words) = self.gateway(v) {
            passed.push(words);
        }
        self.declined_key(v);
        passed.push(self.messages(v));
        passed.join("; ")
    }

    /// A key the user declined at Claude Code's prompt: whatever the
    /// gateway says, Claude Code will not use it.
    fn declined_key(&self, v: &mut Verdict) {
        let key = self.setup.key_words.as_deref().unwrap_or("the key");
        let config = self.home.join(GLOBAL_CONFIG);
        match self.key_response {
            Some(false) => v.fail(
                format!(
                    "Claude Code was told not to use {key}: its last 20 characters are in customApiKeyResponses.rejected in {}, so Claude Code says \"Not logged in · Please run /login\" whatever the gateway answers",
                    config.display()
                ),
                format!(
                    "Approve the key: in {}, move its entry (the key's last 20 characters) from customApiKeyResponses.rejected to customApiKeyResponses.approved, then start Claude Code again; or use another key.",
                    config.display()
                ),
            ),
            Some(true) => v.evidence(format!(
                "{key} is approved in customApiKeyResponses of {}",
                config.display()
            )),
            None => {}
        }
    }

    fn secret(&self) -> Option<&crate::config::Secret> {
        self.setup.profile.credential.as_ref().map(|c| &c.secret)
    }

    fn gateway_host(&self) -> String {
        host_of(&self.setup.profile.base_url.value)
    }

    /// The first-start check: both fixed hosts must answer 200 while
    /// onboarding is not complete.
    fn startup(&self, v: &mut Verdict) -> String {
        let needed = !self.onboarding.is_completed();
        let replay = self.replay;
        let Some((api_hello, oauth_hello)) = &replay.startup else {
            return self.startup_not_probed(needed, v);
        };
        for sent in [api_hello, oauth_hello] {
            for line in probe::evidence(sent, None) {
                v.evidence(line);
            }
            if sent.status().is_some_and(|s| (200..300).contains(&s)) {
                continue;
            }
            if needed {
                v.fail(self.startup_finding(sent), self.startup_fix(sent));
            } else {
                v.evidence(format!(
                    "  not in the way now: Claude Code makes this check only while {ONBOARDING_KEY} is not true"
                ));
            }
        }
        if let Some(redirect) = &replay.redirected {
            v.evidence(format!(
                "  (test set-up: the two start-up probes went to {} and {})",
                display_url(&redirect.api_hello),
                display_url(&redirect.oauth_hello)
            ));
        }
        if needed {
            "Claude Code's first-start check passes (api.anthropic.com and platform.claude.com answer 200)".to_owned()
        } else {
            format!("{ONBOARDING_KEY} is true, so Claude Code makes no first-start check")
        }
    }

    /// The first-start probes were not made: onboarding is complete (so
    /// Claude Code makes none), or `--offline`.
    fn startup_not_probed(&self, needed: bool, v: &mut Verdict) -> String {
        if !needed {
            v.evidence(format!(
                "{API_HELLO} and {OAUTH_HELLO} were not contacted: with {ONBOARDING_KEY} true, Claude Code never contacts them at start"
            ));
            return format!("{ONBOARDING_KEY} is true, so Claude Code makes no first-start check");
        }
        let offline = if self.offline { " (--offline)" } else { "" };
        v.warn(
            format!(
                "Claude Code's first-start check was not tried{offline}: while {ONBOARDING_KEY} is not true it needs {API_HELLO} and {OAUTH_HELLO} to answer 200, ignoring ANTHROPIC_BASE_URL"
            ),
            format!(
                "Run `claudetui doctor --claude-code` without --offline to check those two hosts, or set \"{ONBOARDING_KEY}\": true in {} so Claude Code skips the check.",
                self.home.join(GLOBAL_CONFIG).display()
            ),
        );
        "the first-start check was not tried".to_owned()
    }

    fn startup_finding(&self, sent: &Sent) -> String {
        let host = host_of(sent.label.split_whitespace().last().unwrap_or_default());
        let Some(status) = sent.status() else {
            let why = sent
                .transport_failure()
                .map(|f| format!("{}: {}", f.kind.slug(), probe::scrub(&f.message, None)))
                .unwrap_or_else(|| "not sent".to_owned());
            let via = proxy_for(sent_url(sent), &self.setup.profile.proxy)
                .map(|proxy| format!(" through the proxy {proxy}"))
                .unwrap_or_default();
            let code = sent
                .transport_failure()
                .and_then(|f| transport_code(f.kind))
                .map(|code| format!(": Failed to connect to {host}: {code}"))
                .unwrap_or_default();
            return format!(
                "Claude Code's first-start check cannot reach {host}{via} ({why}), so it stops with \"Unable to connect to Anthropic services{code}\""
            );
        };
        let body = sent
            .exchange()
            .and_then(|e| e.response.as_ref())
            .filter(|r| !r.body.trim().is_empty())
            .map(|r| format!(" \"{}\"", probe::excerpt(&r.body, None)))
            .unwrap_or_default();
        let who = self.answered_by(sent, &host);
        let code = match client_code(status) {
            Some(code) => format!(
                "Claude Code reports that as \"Unable to connect to Anthropic services\" with {code} (its HTTP client's code for any {}xx answer)",
                status / 100
            ),
            None => "not the 200 Claude Code needs, so it reports \"Unable to connect to Anthropic services\"".to_owned(),
        };
        format!(
            "Claude Code's first-start check fails: {} → {status}{body} from {who}; {code}",
            sent.label
        )
    }

    /// Who gave an answer: the API carries a request-id and its error
    /// envelope; a proxy's or firewall's page carries neither.
    fn answered_by(&self, sent: &Sent, host: &str) -> String {
        let from_api = sent.exchange().is_some_and(|e| e.request_id().is_some())
            || sent.failure().is_some_and(|f| f.error_type.is_some());
        if from_api {
            return format!("the API at {host}");
        }
        match proxy_for(sent_url(sent), &self.setup.profile.proxy) {
            Some(proxy) => format!(
                "something other than the API (no request-id, no API error body): the proxy {proxy} or what lies past it"
            ),
            None => format!(
                "something other than the API (no request-id, no API error body): a firewall or filtering device between this machine and {host}"
            ),
        }
    }

    fn startup_fix(&self, sent: &Sent) -> String {
        let config = self.home.join(GLOBAL_CONFIG);
        let proxy = proxy_for(API_HELLO, &self.setup.profile.proxy);
        let route = match proxy {
            Some(proxy) => format!(
                "or have the proxy {proxy} (which Claude Code uses) let those hosts through"
            ),
            None => "or make this terminal use your proxy (export HTTPS_PROXY=http://proxy:port, or the VPN's TUN mode), so Claude Code goes the way your browser goes".to_owned(),
        };
        let mut fix = format!(
            "Any one of these: set \"{ONBOARDING_KEY}\": true in {} (Claude Code then skips this check); allow api.anthropic.com and platform.claude.com (older builds: console.anthropic.com) in the proxy or firewall; {route}.",
            config.display()
        );
        if sent.failure().map(|f| f.kind) == Some(FailureKind::RegionBlocked) {
            fix.push(' ');
            fix.push_str(&region_fix());
        }
        fix
    }

    /// The gateway probes; `None` when there is no gateway.
    fn gateway(&self, v: &mut Verdict) -> Option<String> {
        let (root, hello) = self.replay.gateway.as_ref()?;
        let host = self.gateway_host();
        for sent in [root, hello] {
            for line in probe::evidence(sent, self.secret()) {
                v.evidence(line);
            }
        }
        if let Some(failure) = [root, hello].into_iter().find_map(Sent::transport_failure) {
            v.fail(
                format!(
                    "the gateway {host} (ANTHROPIC_BASE_URL) cannot be reached: {}: {}",
                    failure.kind.slug(),
                    probe::scrub(&failure.message, self.secret())
                ),
                failure.kind.fix(),
            );
            return Some(format!("the gateway {host} cannot be reached"));
        }
        if let Some(status) = root.status().filter(|s| *s >= 400) {
            v.warn(
                format!(
                    "{} → {status} from {host}: newer Claude Code builds probe the base URL with HEAD{}",
                    root.label,
                    code_words(status)
                ),
                "Make the gateway answer HEAD on its base URL; a gateway should answer HEAD <base-url> and HEAD <base-url>/api/hello.",
            );
        }
        if let Some(status) = hello.status().filter(|s| *s >= 300) {
            v.fail(
                format!(
                    "{} → {status} from {host}{}: newer Claude Code builds probe it{}",
                    hello.label,
                    answer_excerpt(hello, self.secret()),
                    code_words(status)
                ),
                self.gateway_hello_fix(status),
            );
        }
        Some(format!(
            "the gateway {host} answers HEAD / and HEAD /api/hello"
        ))
    }

    fn gateway_hello_fix(&self, status: u16) -> String {
        let base = display_url(&self.setup.profile.base_url.value);
        let mut fix = format!(
            "Make the gateway answer HEAD and GET {base}/api/hello with 200 (the API answers {{\"message\":\"hello\"}})."
        );
        if status == 404 {
            fix.push(' ');
            fix.push_str(&self.path_fix());
        }
        fix
    }

    /// For a 404 under the base URL: the path Claude Code builds on it.
    fn path_fix(&self) -> String {
        let base = display_url(&self.setup.profile.base_url.value);
        let origin = match &self.setup.base_url_origin {
            Some(origin) => format!("ANTHROPIC_BASE_URL in {origin}"),
            None => "ANTHROPIC_BASE_URL".to_owned(),
        };
        format!(
            "If the gateway serves the API under another path, correct {origin}: Claude Code adds /api/hello and /v1/messages to it, so {base}/api/hello and {base}/v1/messages must exist."
        )
    }

    /// The Claude Code-shaped request (and the plain one beside it).
    fn messages(&self, v: &mut Verdict) -> String {
        let host = self.gateway_host();
        let Some(sent) = &self.replay.messages else {
            return if self.setup.profile.credential.is_none() {
                "no key for Claude Code, so no Messages request was sent".to_owned()
            } else {
                "no Messages request was sent: the base URL is not usable".to_owned()
            };
        };
        for line in probe::evidence(sent, self.secret()) {
            v.evidence(line);
        }
        if let Some(shape) = &self.replay.shape {
            v.evidence(shape_words(shape));
        }
        let later = self
            .replay
            .after_culprits
            .iter()
            .chain(&self.replay.without_experimental)
            .chain(&self.replay.plain);
        for sent in later {
            for line in probe::evidence(sent, self.secret()) {
                v.evidence(line);
            }
        }
        if let Err(why) = &sent.result {
            v.fail(
                format!(
                    "the Claude Code-shaped request cannot be sent: {}",
                    probe::scrub(why, self.secret())
                ),
                "Fix the setting the message names; the lines above show where each comes from.",
            );
            return String::new();
        }
        let Some(failure) = sent.failure() else {
            let what = match self.replay.shape.as_ref().map(|s| &s.origin) {
                Some(ShapeOrigin::Captured { id, .. }) => {
                    format!("the request Claude Code sent ({id}), replayed")
                }
                _ => format!(
                    "a request shaped like Claude Code's (POST {BETA_MESSAGES_PATH}, its betas, tools and fields)"
                ),
            };
            return format!("{host} accepts {what}");
        };
        if sent.transport_failure().is_some() {
            // Said once already when the gateway probes could not connect.
            if !self.gateway_unreachable() {
                v.fail(
                    format!(
                        "{host} cannot be reached: {}: {}",
                        failure.kind.slug(),
                        probe::scrub(&failure.message, self.secret())
                    ),
                    failure.kind.fix(),
                );
            }
            return String::new();
        }
        if !self.replay.culprits.is_empty() {
            self.culprits_refused(&host, v);
        } else if self
            .replay
            .without_experimental
            .as_ref()
            .is_some_and(accepted)
        {
            self.experimental_refused(sent, &host, v);
        } else {
            self.refused(sent, failure, &host, v);
        }
        String::new()
    }

    /// The gateway named parts of Claude Code's request it refuses.
    fn culprits_refused(&self, host: &str, v: &mut Verdict) {
        let culprits = &self.replay.culprits;
        let named: Vec<String> = culprits
            .iter()
            .map(|c| {
                let status = c
                    .answer
                    .status
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default();
                format!(
                    "{} (\"{status}{}\")",
                    c.part.words(),
                    probe::scrub(&c.answer.message, self.secret())
                )
            })
            .collect();
        let plain_ok = self.replay.plain.as_ref().is_some_and(accepted);
        let settings_file = self.home.join(settings::SETTINGS);
        let mut fix = culprit_fix(culprits.iter().map(|c| &c.part), &settings_file);
        let after = match self.replay.after_culprits.as_ref() {
            Some(last) if accepted(last) => {
                "; without them the same request is accepted".to_owned()
            }
            Some(last) if plain_ok => {
                fix.push_str(" More is refused besides: make the gateway pass through the ?beta=true query, streaming (text/event-stream), tools and every anthropic-beta value Claude Code sends.");
                format!(
                    "; without them it is still refused ({}), while what curl sends (POST {PLAIN_MESSAGES_PATH}, no stream, tools or anthropic-beta) is accepted",
                    answer_words(last, self.secret())
                )
            }
            Some(last) => {
                fix.push_str(" Taking them out is not enough: the gateway refuses more of the request (its answer is quoted above).");
                format!(
                    "; without them it is still refused ({})",
                    answer_words(last, self.secret())
                )
            }
            None => String::new(),
        };
        v.fail(
            format!(
                "{host} refuses what Claude Code sends with every request: {}{after}",
                named.join(" and ")
            ),
            fix,
        );
    }

    /// Refused with nothing named, accepted without the experimental betas.
    fn experimental_refused(&self, sent: &Sent, host: &str, v: &mut Verdict) {
        let answer = answer_words(sent, self.secret());
        let dropped: Vec<String> = self
            .replay
            .shape
            .iter()
            .flat_map(|s| s.betas().into_iter().chain(s.extra_fields()))
            .filter(|name| crate::api::claude_code::dropped_by_setting(name))
            .collect();
        v.fail(
            format!(
                "{host} refuses Claude Code's request ({answer}), but accepts the one Claude Code sends with {DISABLE}: one of {} is refused",
                dropped.join(", "),
                DISABLE = crate::api::claude_code::DISABLE_EXPERIMENTAL_BETAS,
            ),
            format!(
                "Set {} in the env block of {} (Claude Code then leaves those out), or make the gateway pass them through; `claudetui tap -- claude` then `claudetui bisect ID` names the one.",
                crate::api::claude_code::DISABLE_EXPERIMENTAL_BETAS,
                self.home.join(settings::SETTINGS).display()
            ),
        );
    }

    fn gateway_unreachable(&self) -> bool {
        self.replay.gateway.as_ref().is_some_and(|(a, b)| {
            a.transport_failure().is_some() || b.transport_failure().is_some()
        })
    }

    fn refused(
        &self,
        sent: &Sent,
        failure: &crate::api::errors::Failure,
        host: &str,
        v: &mut Verdict,
    ) {
        let answer = answer_words(sent, self.secret());
        if let Some(plain) = &self.replay.plain {
            if plain.status().is_some_and(|s| (200..300).contains(&s)) && plain.failure().is_none()
            {
                v.fail(
                    format!(
                        "{host} refuses what Claude Code sends but accepts what curl sends: {answer}, while POST {PLAIN_MESSAGES_PATH} without stream, tools or anthropic-beta → {}",
                        plain.status().unwrap_or_default()
                    ),
                    format!(
                        "Make the gateway pass through (or strip) what Claude Code adds to every request: the anthropic-beta header ({}), the ?beta=true query, streaming (text/event-stream), tools and the fields {}. The server's message above names the part it refuses.",
                        self.replay.shape.as_ref().map(|s| s.betas().join(",")).unwrap_or_default(),
                        self.replay.shape.as_ref().map(|s| s.extra_fields().join(", ")).unwrap_or_default(),
                    ),
                );
                return;
            }
            let fix = match failure.kind {
                FailureKind::PathNotFound => self.path_fix(),
                kind => kind.fix().to_owned(),
            };
            v.fail(
                format!(
                    "{host} refuses Messages requests, Claude Code's and plain ones alike: {answer}"
                ),
                fix,
            );
            return;
        }
        let key = self.setup.key_words.as_deref().unwrap_or("the key");
        match failure.kind {
            FailureKind::Authentication | FailureKind::Permission => v.fail(
                format!("{host} refuses the key Claude Code uses ({key}): {answer}"),
                format!(
                    "{} Change it where Claude Code takes it from (shown above).",
                    failure.kind.fix()
                ),
            ),
            FailureKind::RegionBlocked => {
                v.fail(
                    format!(
                        "{host} refuses Claude Code's request before looking at it, a region or network block: {answer}"
                    ),
                    region_fix(),
                );
                v.evidence(FailureKind::RegionBlocked.explanation());
            }
            FailureKind::ModelNotFound => v.fail(
                format!(
                    "{host} does not know the model {}: {answer}",
                    self.setup.profile.default_model.value
                ),
                if self.setup.model_set {
                    format!(
                        "{} Claude Code takes the model from ANTHROPIC_MODEL (shown above with where it is set).",
                        failure.kind.fix()
                    )
                } else {
                    "ANTHROPIC_MODEL is not set, so the replay asked for claudetui's default model; set ANTHROPIC_MODEL to a model the gateway serves to check the one Claude Code will use.".to_owned()
                },
            ),
            FailureKind::RateLimited
            | FailureKind::Overloaded
            | FailureKind::ServerError
            | FailureKind::ServerTimeout => v.warn(
                format!("{host} answers Claude Code's request, but not now: {answer}"),
                failure.kind.fix(),
            ),
            _ => v.fail(
                format!("{host} refuses Claude Code's request: {answer}"),
                failure.kind.fix(),
            ),
        }
    }
}

fn accepted(sent: &Sent) -> bool {
    sent.status().is_some_and(|s| (200..300).contains(&s)) && sent.failure().is_none()
}

/// Where the replayed Messages request came from, for the evidence.
fn shape_words(shape: &Shape) -> String {
    match &shape.origin {
        ShapeOrigin::Captured { id, at, client } => format!(
            "  replayed the request Claude Code sent at {} UTC ({id}, {client}, captured by the tap): its path, headers, betas and body, max_tokens lowered",
            at.format("%Y-%m-%d %H:%M:%S")
        ),
        ShapeOrigin::BuiltIn => format!(
            "  shaped like Claude Code's ({} as captured; no capture of yours in history): streaming, a tool, {}, a system entry in messages, anthropic-beta: {}",
            crate::api::claude_code::CAPTURED_FROM,
            shape.extra_fields().join(", "),
            shape.betas().join(",")
        ),
    }
}

/// Allow the parts, or the Claude Code setting that stops sending them.
fn culprit_fix<'a>(parts: impl Iterator<Item = &'a replay::Part>, settings_file: &Path) -> String {
    let parts: Vec<&replay::Part> = parts.collect();
    let words: Vec<String> = parts.iter().map(|p| p.words()).collect();
    let mut fix = format!(
        "Make the gateway accept (pass through unchanged) {}.",
        words.join(" and ")
    );
    let dropped: Vec<&str> = parts
        .iter()
        .map(|p| p.name())
        .filter(|n| crate::api::claude_code::dropped_by_setting(n))
        .collect();
    if !dropped.is_empty() {
        let all = if dropped.len() == parts.len() {
            String::new()
        } else {
            format!(" ({} only)", dropped.join(", "))
        };
        fix.push_str(&format!(
            " Or stop Claude Code sending them{all}: set {} in the env block of {}.",
            crate::api::claude_code::DISABLE_EXPERIMENTAL_BETAS,
            settings_file.display()
        ));
    }
    fix
}

/// The URL a request really went to (a redirected probe's stand-in).
fn sent_url(sent: &Sent) -> &str {
    match sent.exchange() {
        Some(exchange) => &exchange.request.url,
        None => sent.label.split_whitespace().last().unwrap_or_default(),
    }
}

/// The code Claude Code's first-run screen shows when no answer came
/// ("Failed to connect to api.anthropic.com: ENOTFOUND"), by what failed:
/// Node's error codes, and `ERR_SOCKET_CLOSED` for a proxy that closes
/// the CONNECT (ANTHROPIC.md).
fn transport_code(kind: FailureKind) -> Option<&'static str> {
    match kind {
        FailureKind::Dns => Some("ENOTFOUND"),
        FailureKind::ConnectionRefused => Some("ECONNREFUSED"),
        FailureKind::ConnectionReset => Some("ECONNRESET"),
        FailureKind::Timeout => Some("ETIMEDOUT"),
        FailureKind::Proxy => Some("ERR_SOCKET_CLOSED"),
        // Which certificate error depends on the chain; the usual one
        // behind a TLS-inspecting proxy.
        FailureKind::Tls => Some("SELF_SIGNED_CERT_IN_CHAIN or another certificate error"),
        _ => None,
    }
}

/// `ERR_BAD_REQUEST` for any 4xx, `ERR_BAD_RESPONSE` for any 5xx: the
/// codes of the HTTP client Claude Code uses (ANTHROPIC.md).
fn client_code(status: u16) -> Option<&'static str> {
    match status {
        400..=499 => Some("ERR_BAD_REQUEST"),
        500..=599 => Some("ERR_BAD_RESPONSE"),
        _ => None,
    }
}

/// `, and ERR_BAD_REQUEST is its HTTP client's code for any 4xx answer`.
fn code_words(status: u16) -> String {
    client_code(status)
        .map(|code| {
            format!(
                ", and {code} is its HTTP client's code for any {}xx answer",
                status / 100
            )
        })
        .unwrap_or_default()
}

/// `POST …?beta=true → 400 invalid_request_error: message`, or what
/// broke mid-stream.
fn answer_words(sent: &Sent, secret: Option<&crate::config::Secret>) -> String {
    let status = sent
        .status()
        .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
    match sent.failure() {
        Some(f) if f.mid_stream || f.status.is_none() => format!(
            "{} → {status}, then {}: {}",
            sent.label,
            f.error_type.as_deref().unwrap_or(f.kind.slug()),
            probe::scrub(&f.message, secret)
        ),
        Some(f) => format!(
            "{} → {status} {}: {}",
            sent.label,
            f.error_type.as_deref().unwrap_or(f.kind.slug()),
            probe::scrub(&f.message, secret)
        ),
        None => format!("{} → {status}", sent.label),
    }
}

/// `: "start of the body"`, when there is one.
fn answer_excerpt(sent: &Sent, secret: Option<&crate::config::Secret>) -> String {
    sent.exchange()
        .and_then(|e| e.response.as_ref())
        .filter(|r| !r.body.trim().is_empty())
        .map(|r| format!(" (\"{}\")", probe::excerpt(&r.body, secret)))
        .unwrap_or_default()
}

/// The proxy a request to `url` goes through, as it may be shown.
fn proxy_for(url: &str, proxy: &ProxySettings) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let chosen = match parsed.scheme() {
        "https" => proxy.https.as_ref(),
        _ => proxy.http.as_ref(),
    }?;
    let host = parsed.host_str()?;
    if proxy
        .no_proxy
        .as_ref()
        .is_some_and(|list| excluded(host, &list.value))
    {
        return None;
    }
    Some(display_url(&chosen.value))
}

/// Whether `NO_PROXY` exempts `host`: `*`, the host itself, or a domain
/// it is under (`.example.com`, `example.com`, `*.example.com`).
fn excluded(host: &str, no_proxy: &str) -> bool {
    let host = host.to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let entry = match entry.rsplit_once(':') {
                Some((name, port))
                    if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') =>
                {
                    name
                }
                _ => entry,
            };
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

#[cfg(test)]
mod tests;
