//! Step 1, Configuration: what the profile says, where each value came
//! from, and the mistakes visible without sending anything — no key, a
//! misshapen key, a base URL that doubles `/v1`, an unknown
//! `anthropic-version`, and the warnings resolution already gave.

use crate::config::{
    Credential, CredentialKind, KeyShape, Source, both_credentials_warning, display_url, env_names,
    key_shape, key_shape_warning, v1_suffix_warning,
};
use crate::engine::request::join_url;
use crate::mock::ACCEPTED_VERSIONS;

use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// Anthropic keys are about a hundred characters; far shorter means the
/// copy was cut off.
const SHORTEST_PLAUSIBLE_KEY: usize = 40;
const KEY_PREFIX: &str = "sk-ant-";
const ANTHROPIC_HOST: &str = "api.anthropic.com";

pub(super) fn check(input: &DoctorInput) -> StepReport {
    let mut v = Verdict::default();
    let profile = &input.profile;
    let file = input.config_file();
    v.evidence(format!(
        "profile `{}`; config file {} ({})",
        profile.name,
        file.display(),
        if file.is_file() { "found" } else { "not found" }
    ));
    let host = check_base_url(input, &mut v);
    match &profile.credential {
        Some(credential) => check_key(credential, host.as_deref(), &mut v),
        None => v.fail("no API key or token is configured", where_keys_go(input)),
    }
    check_both_set(input, &mut v);
    check_version(input, &mut v);
    describe_network(input, &mut v);
    let covered = covered_warnings(input);
    for warning in &profile.warnings {
        if !covered.contains(warning) {
            v.warn_without_fix(warning.clone());
        }
    }
    let passed = match &profile.credential {
        Some(c) => format!(
            "key {} from {}; base URL {}",
            c.secret.masked(),
            c.source,
            display_url(&profile.base_url.value)
        ),
        None => format!("base URL {}", display_url(&profile.base_url.value)),
    };
    v.report(StepId::Configuration, passed)
}

/// Where a key can be set, for the fix of a missing one.
pub(super) fn where_keys_go(input: &DoctorInput) -> String {
    format!(
        "Set {} (sent as x-api-key) or {} (sent as Authorization: Bearer) in the environment of this shell, or add api_key_env = \"VAR\" or api_key_cmd = \"…\" to [profiles.{}] in {}. Create a key in the Claude Console under API keys.",
        env_names::API_KEY,
        env_names::AUTH_TOKEN,
        input.profile.name,
        input.config_file().display()
    )
}

/// Resolution's own warnings that this step states in its own words.
fn covered_warnings(input: &DoctorInput) -> Vec<String> {
    let profile = &input.profile;
    [
        profile.credential.as_ref().and_then(key_shape_warning),
        v1_suffix_warning(&profile.base_url),
        Some(both_credentials_warning()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn check_key(credential: &Credential, host: Option<&str>, v: &mut Verdict) {
    let key = credential.secret.expose();
    let masked = credential.secret.masked();
    let header = match credential.kind {
        CredentialKind::ApiKey => "x-api-key",
        CredentialKind::Bearer => "Authorization: Bearer",
    };
    v.evidence(format!(
        "key: {masked} ({} characters), sent as {header}, from {}",
        key.chars().count(),
        credential.source
    ));
    let from = &credential.source;
    if let Some(shape) = key_shape(key) {
        v.fail(
            format!("the key from {from} ({masked}) {}", shape.describe()),
            shape_fix(shape, from),
        );
    }
    let trimmed = key.trim().trim_matches(['"', '\'']);
    let to_anthropic = host == Some(ANTHROPIC_HOST);
    if trimmed.starts_with("sk-ant-admin") {
        v.warn(
            format!("the key from {from} is an Admin API key ({masked}), which cannot send Messages requests"),
            "Use a regular API key (sk-ant-api03-…) from the Claude Console; Admin keys only manage the organisation.",
        );
    } else if trimmed.starts_with("sk-ant-oat") && credential.kind == CredentialKind::ApiKey {
        v.warn(
            format!("the key from {from} ({masked}) looks like a Claude Code sign-in token, not an API key"),
            "Use an API key (sk-ant-api03-…) from the Claude Console in ANTHROPIC_API_KEY; a sign-in token is not accepted as x-api-key.",
        );
    } else if to_anthropic && !trimmed.starts_with(KEY_PREFIX) {
        v.warn(
            format!("the key from {from} ({masked}) does not start with sk-ant-, so it is not an Anthropic API key"),
            "Use a key from the Claude Console (they start with sk-ant-api03-); a gateway's own key works only with that gateway's base URL.",
        );
    }
    let length = trimmed.chars().count();
    if (to_anthropic || trimmed.starts_with(KEY_PREFIX)) && length < SHORTEST_PLAUSIBLE_KEY {
        v.warn(
            format!("the key from {from} ({masked}) is only {length} characters long: it looks cut off"),
            "Copy the whole key again from where you saved it (the Claude Console shows a key only once; create a new one if it is lost).",
        );
    }
}

fn shape_fix(shape: KeyShape, from: &Source) -> String {
    let what = match shape {
        KeyShape::TrailingNewline => {
            "without the trailing newline (write it with `printf %s`, not `echo`, and strip the newline from files it is read from)"
        }
        KeyShape::LineBreak => "as one line, without the line break",
        KeyShape::SurroundingSpaces => "without the spaces around it",
        KeyShape::Quoted => {
            "without the quotes (a shell export needs none; some .env loaders keep them as part of the value)"
        }
    };
    format!(
        "Set the key again {what}, where it comes from: {from}. The API rejects the key as it is."
    )
}

fn check_both_set(input: &DoctorInput, v: &mut Verdict) {
    let env = &input.env;
    if env.non_empty(env_names::API_KEY).is_some() && env.non_empty(env_names::AUTH_TOKEN).is_some()
    {
        v.warn(
            format!(
                "both {} and {} are set",
                env_names::API_KEY,
                env_names::AUTH_TOKEN
            ),
            format!(
                "Unset the one you do not mean (`unset {}`): claudetui sends the API key, Claude Code sends both and reports an auth conflict.",
                env_names::AUTH_TOKEN
            ),
        );
    }
}

/// Checks the base URL; returns its host when it has one.
fn check_base_url(input: &DoctorInput, v: &mut Verdict) -> Option<String> {
    let base = &input.profile.base_url;
    let shown = display_url(&base.value);
    v.evidence(format!("base URL: {shown} (from {})", base.source));
    let fix_where = format!("Change it where it is set: {}.", base.source);
    let url = match reqwest::Url::parse(base.value.trim()) {
        Ok(url) => url,
        Err(error) => {
            v.fail(
                format!("the base URL `{shown}` is not a URL: {error}"),
                format!("Give a full address such as https://api.anthropic.com. {fix_where}"),
            );
            return None;
        }
    };
    let host = url.host_str().map(str::to_owned);
    if !matches!(url.scheme(), "http" | "https") || host.is_none() {
        v.fail(
            format!("the base URL `{shown}` needs an http:// or https:// scheme and a host"),
            format!("Give a full address such as https://api.anthropic.com. {fix_where}"),
        );
        return host;
    }
    let path = url.path().trim_end_matches('/');
    if path.ends_with("/v1") {
        let doubled = join_url(&base.value, "/v1/messages");
        let finding = format!(
            "the base URL ends with /v1, so requests go to {}",
            display_url(&doubled)
        );
        let fix = format!(
            "Drop the /v1: claudetui, the SDKs and Claude Code add /v1/messages themselves. {fix_where}"
        );
        if host.as_deref() == Some(ANTHROPIC_HOST) {
            v.fail(finding, fix);
        } else {
            v.warn(finding, fix);
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        v.warn(
            format!("the base URL `{shown}` has a query or fragment, which ends up in the middle of every request URL"),
            format!("Remove everything from `?` or `#` on. {fix_where}"),
        );
    }
    if url.scheme() == "http" && !is_loopback(host.as_deref()) {
        v.warn(
            format!(
                "the base URL uses plain http to {}, so the key crosses the network unencrypted",
                host.as_deref().unwrap_or_default()
            ),
            format!("Use https:// unless this is a gateway on a network you trust. {fix_where}"),
        );
    }
    host
}

fn is_loopback(host: Option<&str>) -> bool {
    match host {
        Some("localhost") => true,
        Some(host) => host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

fn check_version(input: &DoctorInput, v: &mut Verdict) {
    let version = &input.profile.anthropic_version;
    v.evidence(format!(
        "anthropic-version: {} (from {})",
        version.value, version.source
    ));
    let value = version.value.trim();
    if value.is_empty() {
        v.fail(
            "the anthropic-version header is empty; the API answers 400 without it",
            format!("Set it to 2023-06-01 where it is set: {}.", version.source),
        );
    } else if !ACCEPTED_VERSIONS.contains(&value) {
        v.warn(
            format!("anthropic-version `{value}` is not a version the API is known to accept; an unknown one is answered with 400"),
            format!(
                "Use 2023-06-01 (the long-standing version; {} also known). Change it where it is set: {}.",
                ACCEPTED_VERSIONS.join(", "),
                version.source
            ),
        );
    }
}

/// Proxies and the CA file: not judged here (the network-path step will),
/// but shown, since they change where requests go.
fn describe_network(input: &DoctorInput, v: &mut Verdict) {
    let proxy = &input.profile.proxy;
    for (name, setting) in [
        ("HTTPS proxy", &proxy.https),
        ("HTTP proxy", &proxy.http),
        ("NO_PROXY", &proxy.no_proxy),
    ] {
        if let Some(setting) = setting {
            v.evidence(format!(
                "{name}: {} (from {})",
                display_url(&setting.value),
                setting.source
            ));
        }
    }
    if let Some(ca) = &input.profile.ca_file {
        v.evidence(format!(
            "CA file: {} (from {})",
            ca.value.display(),
            ca.source
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{Env, Paths, Profile, Secret, Sourced};
    use crate::doctor::StepState;

    const KEY: &str = "sk-ant-api03-ConfigTestKey-0123456789abcdefghijklmnopqrstuv-a1b2";

    fn input(key: Option<&str>, base: &str) -> DoctorInput {
        let mut profile = Profile::builtin();
        profile.base_url = Sourced::new(base.to_owned(), Source::Env("ANTHROPIC_BASE_URL".into()));
        profile.credential = key.map(|k| Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(k),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        });
        DoctorInput {
            profile,
            paths: Paths {
                config_file: "/nonexistent/claudetui/config.toml".into(),
                data_dir: "/nonexistent/claudetui/data".into(),
            },
            env: Env::from_pairs(key.map(|k| ("ANTHROPIC_API_KEY", k))),
            timeout: Duration::from_secs(5),
            claude_code: crate::doctor::ClaudeCodeEnv::at(
                "/nonexistent/claudetui/home",
                "/nonexistent/claudetui/project",
            ),
            recent: Vec::new(),
            request: None,
        }
    }

    fn assert_no_key(report: &StepReport, key: &str) {
        let body = key.trim().trim_matches('"');
        let body = &body[13..body.len() - 4];
        for text in report.texts() {
            assert!(!text.contains(body), "key leaked: {text}");
        }
    }

    #[test]
    fn a_good_setup_passes_and_says_where_the_key_came_from() {
        let r = check(&input(Some(KEY), "https://api.anthropic.com"));
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert!(r.finding.contains("sk-ant-…a1b2"), "{}", r.finding);
        assert!(r.finding.contains("environment variable ANTHROPIC_API_KEY"));
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("anthropic-version: 2023-06-01"))
        );
        assert_no_key(&r, KEY);
    }

    #[test]
    fn no_key_fails_and_says_where_to_put_one() {
        let r = check(&input(None, "https://api.anthropic.com"));
        assert_eq!(r.state, StepState::Fail);
        let fix = r.fix.unwrap();
        assert!(
            fix.contains("ANTHROPIC_API_KEY") && fix.contains("api_key_env"),
            "{fix}"
        );
        assert!(fix.contains("/nonexistent/claudetui/config.toml"), "{fix}");
    }

    #[test]
    fn misshapen_keys_fail_without_showing_the_key() {
        for (key, words) in [
            (format!("{KEY}\n"), "ends with a newline"),
            (format!("\"{KEY}\""), "wrapped in quotes"),
            (format!(" {KEY}"), "spaces around it"),
        ] {
            let mut input = input(Some(&key), "https://api.anthropic.com");
            // As resolution would have warned: the step says it once.
            input.profile.warnings = input
                .profile
                .credential
                .as_ref()
                .and_then(key_shape_warning)
                .into_iter()
                .collect();
            let r = check(&input);
            assert_eq!(r.state, StepState::Fail, "{r:#?}");
            assert!(r.finding.contains(words), "{}", r.finding);
            assert!(r.fix.as_deref().unwrap().contains("Set the key again"));
            assert!(
                !r.evidence
                    .iter()
                    .any(|e| e.contains("the API will reject it")),
                "{r:#?}"
            );
            assert_no_key(&r, &key);
        }
    }

    #[test]
    fn keys_that_are_not_api_keys_are_named() {
        let r = check(&input(
            Some("sk-ant-api03-short"),
            "https://api.anthropic.com",
        ));
        assert_eq!(r.state, StepState::Warn);
        assert!(r.finding.contains("cut off"), "{}", r.finding);
        let r = check(&input(
            Some("gw-0123456789abcdefghijklmnopqrstuvwxyz0123456789"),
            "https://api.anthropic.com",
        ));
        assert!(
            r.finding.contains("does not start with sk-ant-"),
            "{}",
            r.finding
        );
        // A gateway's own key is fine with that gateway.
        let r = check(&input(
            Some("gw-0123456789abcdefghijklmnopqrstuvwxyz0123456789"),
            "https://llm.example.com",
        ));
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        let r = check(&input(
            Some("sk-ant-oat01-0123456789abcdefghijklmnopqrstuvwxyz0123456789"),
            "https://api.anthropic.com",
        ));
        assert!(r.finding.contains("sign-in token"), "{}", r.finding);
    }

    #[test]
    fn a_base_url_ending_in_v1_explains_the_doubling() {
        let mut i = input(Some(KEY), "https://api.anthropic.com/v1");
        i.profile.warnings = v1_suffix_warning(&i.profile.base_url).into_iter().collect();
        let r = check(&i);
        assert_eq!(r.state, StepState::Fail);
        assert!(
            r.finding
                .contains("https://api.anthropic.com/v1/v1/messages"),
            "{}",
            r.finding
        );
        assert!(r.fix.as_deref().unwrap().contains("Drop the /v1"));
        assert_eq!(
            r.evidence.iter().filter(|e| e.contains("/v1/v1")).count(),
            0,
            "{r:#?}"
        );
        let r = check(&input(Some(KEY), "http://127.0.0.1:4747/v1/"));
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
    }

    #[test]
    fn base_url_problems_are_found() {
        let r = check(&input(Some(KEY), "api.anthropic.com"));
        assert_eq!(r.state, StepState::Fail);
        let r = check(&input(Some(KEY), "ftp://api.anthropic.com"));
        assert_eq!(r.state, StepState::Fail);
        let r = check(&input(Some(KEY), "http://gateway.example.com"));
        assert_eq!(r.state, StepState::Warn);
        assert!(r.finding.contains("unencrypted"), "{}", r.finding);
        let r = check(&input(Some(KEY), "http://localhost:4747"));
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
    }

    #[test]
    fn versions_both_keys_and_profile_warnings() {
        let mut i = input(Some(KEY), "https://api.anthropic.com");
        i.profile.anthropic_version = Sourced::new(
            "2023-01-01".into(),
            Source::Flag("--anthropic-version".into()),
        );
        let r = check(&i);
        assert_eq!(r.state, StepState::Warn);
        assert!(r.fix.as_deref().unwrap().contains("--anthropic-version"));
        i.profile.anthropic_version.value = "2026-10-21".into();
        assert_eq!(check(&i).state, StepState::Pass);

        let mut i = input(Some(KEY), "https://api.anthropic.com");
        i.env = Env::from_pairs([
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_AUTH_TOKEN", "tok-0123456789"),
        ]);
        i.profile.warnings = vec![
            both_credentials_warning(),
            "config.toml is readable by others".into(),
        ];
        let r = check(&i);
        assert_eq!(r.state, StepState::Warn);
        assert!(
            r.finding
                .contains("both ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN"),
            "{}",
            r.finding
        );
        assert!(r.evidence.iter().any(|e| e.contains("readable by others")));
        assert!(
            !r.evidence
                .iter()
                .any(|e| e.contains("auth conflict); unset one")),
            "{r:#?}"
        );
    }
}
