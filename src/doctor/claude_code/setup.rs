//! The connection settings Claude Code will use, as a [`Profile`] the
//! engine can send with: base URL, credential, model, proxies, extra CA
//! file and custom headers, each shown with where it came from. Settings
//! that cannot be used are findings; the rest still count.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Profile;
use crate::config::{
    Credential, CredentialKind, DEFAULT_BASE_URL, DEFAULT_MODEL, ProxySettings, Secret, Source,
    Sourced, key_shape, parse_custom_headers,
};

use super::settings::{Effective, Origin, Setting, names};
use crate::doctor::verdict::Verdict;

/// What the requests are sent with.
#[derive(Debug)]
pub(super) struct Setup {
    pub profile: Profile,
    /// `ANTHROPIC_BASE_URL` is set and usable: the gateway is probed.
    pub gateway: bool,
    /// The base URL is usable (set or the default): Messages can be sent.
    pub base_url_usable: bool,
    /// `sk-ant-…a1b2 from ORIGIN`, when Claude Code has a key.
    pub key_words: Option<String>,
    /// Where `ANTHROPIC_BASE_URL` comes from, when it is set.
    pub base_url_origin: Option<Origin>,
    /// `ANTHROPIC_MODEL` is set (otherwise the replay uses claudetui's).
    pub model_set: bool,
}

pub(super) fn setup(effective: &Effective, timeout: Duration, v: &mut Verdict) -> Setup {
    let mut profile = Profile::builtin();
    profile.name = "claude-code".into();
    profile.timeout = timeout;
    let (base_url_usable, gateway) = base_url(effective, &mut profile, v);
    let key_words = credential(effective, &mut profile, v);
    model(effective, &mut profile, v);
    profile.proxy = proxies(effective, v);
    profile.ca_file = ca_file(effective, v);
    profile.custom_headers = custom_headers(effective, v);
    platform_switches(effective, v);
    Setup {
        profile,
        gateway,
        base_url_usable,
        key_words,
        base_url_origin: effective.get(names::BASE_URL).map(|s| s.origin.clone()),
        model_set: effective.get(names::MODEL).is_some(),
    }
}

/// Where a setting came from, as the other doctor steps show it.
fn source(setting: &Setting) -> Source {
    match &setting.origin {
        Origin::Shell => Source::Env(setting.name.to_owned()),
        Origin::UserSettings(path) | Origin::ProjectSettings(path) => Source::ClaudeCodeSettings {
            name: setting.name.to_owned(),
            path: path.clone(),
        },
    }
}

/// Returns (usable, set).
fn base_url(effective: &Effective, profile: &mut Profile, v: &mut Verdict) -> (bool, bool) {
    let Some(setting) = effective.get(names::BASE_URL) else {
        v.evidence(format!(
            "base URL: {DEFAULT_BASE_URL} ({} is not set)",
            names::BASE_URL
        ));
        return (true, false);
    };
    let value = setting.value.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(value);
    let problem = match &parsed {
        Err(e) => Some(e.to_string()),
        Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() => {
            Some("it needs an http:// or https:// scheme and a host".to_owned())
        }
        Ok(_) => None,
    };
    v.evidence(format!(
        "base URL: {} ({})",
        setting.shown(),
        setting.attribution()
    ));
    if let Some(why) = problem {
        v.fail(
            format!(
                "{} from {} is not a usable URL: {why}",
                names::BASE_URL,
                setting.origin
            ),
            format!(
                "Set {} to a full address such as https://gateway.example.com, in {}.",
                names::BASE_URL,
                setting.origin
            ),
        );
        return (false, true);
    }
    if value.ends_with("/v1") {
        v.warn(
            format!(
                "{} from {} ends with /v1: Claude Code adds /v1/messages, so its requests go to …/v1/v1/messages",
                names::BASE_URL,
                setting.origin
            ),
            format!("Drop the /v1 from {} in {}.", names::BASE_URL, setting.origin),
        );
    }
    profile.base_url = Sourced::new(value.to_owned(), source(setting));
    (true, true)
}

/// `ANTHROPIC_AUTH_TOKEN` goes as `Authorization: Bearer` (ANTHROPIC.md:
/// Claude Code sends Bearer when it is set), `ANTHROPIC_API_KEY` as
/// `x-api-key`.
fn credential(effective: &Effective, profile: &mut Profile, v: &mut Verdict) -> Option<String> {
    let key = effective.get(names::API_KEY);
    let token = effective.get(names::AUTH_TOKEN);
    if let (Some(key), Some(token)) = (key, token) {
        v.warn(
            format!(
                "both {} (from {}) and {} (from {}) are set for Claude Code; it sends Bearer when {} is set, so the replay sends the token",
                names::API_KEY,
                key.origin,
                names::AUTH_TOKEN,
                token.origin,
                names::AUTH_TOKEN
            ),
            format!(
                "Keep one: {} for an Anthropic API key (sent as x-api-key), {} for a gateway's token (sent as Authorization: Bearer).",
                names::API_KEY,
                names::AUTH_TOKEN
            ),
        );
    }
    let (setting, kind, header) = match (token, key) {
        (Some(token), _) => (token, CredentialKind::Bearer, "Authorization: Bearer"),
        (None, Some(key)) => (key, CredentialKind::ApiKey, "x-api-key"),
        (None, None) => {
            v.evidence(format!(
                "key: none for Claude Code ({} and {} are set neither in the shell nor in a settings env block); a sign-in Claude Code keeps itself is not visible to claudetui",
                names::API_KEY,
                names::AUTH_TOKEN
            ));
            return None;
        }
    };
    let secret = Secret::new(setting.value.clone());
    let words = format!("{} from {}", secret.masked(), setting.origin);
    v.evidence(format!(
        "key: {}, sent as {header} ({})",
        secret.masked(),
        setting.attribution()
    ));
    if let Some(shape) = key_shape(&setting.value) {
        v.fail(
            format!(
                "the key Claude Code uses ({words}) {}: the API rejects it as it is",
                shape.describe()
            ),
            format!(
                "Set {} again as one line, without spaces, quotes or a newline, in {}.",
                setting.name, setting.origin
            ),
        );
    }
    profile.credential = Some(Credential {
        kind,
        secret,
        source: source(setting),
    });
    Some(words)
}

fn model(effective: &Effective, profile: &mut Profile, v: &mut Verdict) {
    match effective.get(names::MODEL) {
        Some(setting) => {
            v.evidence(format!(
                "model: {} ({})",
                setting.shown(),
                setting.attribution()
            ));
            profile.default_model = Sourced::new(setting.value.trim().to_owned(), source(setting));
        }
        None => v.evidence(format!(
            "model: {} is not set, so Claude Code picks its own; the replay asks for claudetui's default {DEFAULT_MODEL}",
            names::MODEL
        )),
    }
    if let Some(setting) = effective.get(names::SMALL_FAST_MODEL) {
        v.evidence(format!(
            "small fast model: {} ({})",
            setting.shown(),
            setting.attribution()
        ));
    }
}

fn proxies(effective: &Effective, v: &mut Verdict) -> ProxySettings {
    let mut proxy = ProxySettings::default();
    for (name, slot) in [
        (names::HTTPS_PROXY, &mut proxy.https),
        (names::HTTP_PROXY, &mut proxy.http),
    ] {
        let Some(setting) = effective.get(name) else {
            continue;
        };
        v.evidence(format!(
            "proxy: {name} {} ({})",
            setting.shown(),
            setting.attribution()
        ));
        match proxy_url(&setting.value) {
            Ok(url) => *slot = Some(Sourced::new(url, source(setting))),
            Err(why) => v.fail(
                format!(
                    "{name} from {} is not a usable proxy: {why}",
                    setting.origin
                ),
                format!(
                    "Set {name} to a URL such as http://proxy.example.com:3128, in {}.",
                    setting.origin
                ),
            ),
        }
    }
    if proxy.https.is_none() && proxy.http.is_none() {
        v.evidence(format!(
            "proxy: none ({} and {} are not set for Claude Code)",
            names::HTTPS_PROXY,
            names::HTTP_PROXY
        ));
    }
    if let Some(setting) = effective.get(names::NO_PROXY) {
        v.evidence(format!(
            "proxy exceptions: {} {} ({})",
            names::NO_PROXY,
            setting.shown(),
            setting.attribution()
        ));
        proxy.no_proxy = Some(Sourced::new(setting.value.clone(), source(setting)));
    }
    for (lower, upper, origin) in &effective.lower_case_only {
        v.warn(
            format!(
                "{lower} is set (in {origin}) but {upper} is not: the replay uses only the upper-case names listed for Claude Code"
            ),
            format!("Set {upper} as well, with the same value, so Claude Code surely uses it."),
        );
    }
    proxy
}

/// `http://` added when there is no scheme (as curl assumes), then parsed.
fn proxy_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    let url = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let parsed = reqwest::Url::parse(&url).map_err(|e| e.to_string())?;
    if !matches!(
        parsed.scheme(),
        "http" | "https" | "socks5" | "socks5h" | "socks4" | "socks4a"
    ) {
        return Err(format!(
            "the scheme `{}` is not a proxy scheme",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none() {
        return Err("it has no host".into());
    }
    Ok(url)
}

fn ca_file(effective: &Effective, v: &mut Verdict) -> Option<Sourced<PathBuf>> {
    let setting = effective.get(names::EXTRA_CA_CERTS)?;
    let path = PathBuf::from(setting.value.trim());
    v.evidence(format!(
        "extra CA certificates: {} ({})",
        path.display(),
        setting.attribution()
    ));
    if !path.is_file() {
        v.fail(
            format!(
                "{} from {} names {}, which is not a file",
                setting.name,
                setting.origin,
                path.display()
            ),
            format!(
                "Point {} at the PEM file of your proxy's or company's CA, or remove it from {}.",
                setting.name, setting.origin
            ),
        );
        return None;
    }
    Some(Sourced::new(path, source(setting)))
}

fn custom_headers(effective: &Effective, v: &mut Verdict) -> Vec<crate::api::types::Header> {
    let Some(setting) = effective.get(names::CUSTOM_HEADERS) else {
        return Vec::new();
    };
    v.evidence(format!(
        "custom headers: {} ({})",
        setting.shown(),
        setting.attribution()
    ));
    let (headers, warnings) = parse_custom_headers(&setting.value);
    for warning in warnings {
        v.warn(
            format!("{warning} (from {})", setting.origin),
            format!(
                "Write one `Name: value` per line in {} ({}).",
                setting.name, setting.origin
            ),
        );
    }
    headers
}

/// Switches that send Claude Code elsewhere or quieten it: shown, so a
/// reader sees them, though the requests below take the Anthropic API path.
fn platform_switches(effective: &Effective, v: &mut Verdict) {
    for (name, what) in [
        (names::USE_BEDROCK, "use Amazon Bedrock"),
        (names::USE_VERTEX, "use Google Vertex AI"),
    ] {
        if let Some(setting) = effective.get(name) {
            v.evidence(format!(
                "{name}={} ({}): Claude Code is told to {what}; the requests below check the Anthropic API path only",
                setting.shown(),
                setting.attribution()
            ));
        }
    }
    if let Some(setting) = effective.get(names::DISABLE_NONESSENTIAL) {
        v.evidence(format!(
            "{}={} ({})",
            setting.name,
            setting.shown(),
            setting.attribution()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::doctor::StepId;
    use crate::doctor::StepState;
    use crate::doctor::claude_code::settings::ClaudeFiles;

    const KEY: &str = "sk-ant-api03-SetupTestKey-0123456789abcdefghijklmnop-HIJK";

    fn run(shell: &[(&str, &str)]) -> (Setup, crate::doctor::StepReport) {
        let home = tempfile::tempdir().unwrap();
        let files = ClaudeFiles::read(home.path(), home.path());
        let effective = Effective::resolve(&Env::from_pairs(shell.iter().copied()), &files);
        let mut v = Verdict::default();
        let setup = setup(&effective, Duration::from_secs(2), &mut v);
        (setup, v.report(StepId::ClaudeCode, "ok"))
    }

    #[test]
    fn the_token_wins_and_is_sent_as_bearer() {
        let (setup, report) = run(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_AUTH_TOKEN", "gw-token-0123456789abcdef"),
        ]);
        let credential = setup.profile.credential.unwrap();
        assert_eq!(credential.kind, CredentialKind::Bearer);
        assert_eq!(report.state, StepState::Warn);
        assert!(report.finding.contains("both"), "{}", report.finding);
        for text in report.texts() {
            assert!(
                !text.contains(&KEY[13..]) && !text.contains("0123456789abcdef"),
                "{text}"
            );
        }
    }

    #[test]
    fn unusable_settings_are_findings_that_name_their_origin() {
        let (setup, report) = run(&[
            ("ANTHROPIC_BASE_URL", "gateway.internal/v1"),
            ("HTTPS_PROXY", "ftp://proxy"),
            ("NODE_EXTRA_CA_CERTS", "/nonexistent/ca.pem"),
        ]);
        assert!(!setup.base_url_usable);
        assert!(setup.profile.proxy.https.is_none());
        assert!(setup.profile.ca_file.is_none());
        assert_eq!(report.state, StepState::Fail);
        assert!(
            report.finding.contains("(and 2 more)"),
            "{}",
            report.finding
        );
        assert!(
            report
                .finding
                .contains("ANTHROPIC_BASE_URL from the shell environment"),
            "{}",
            report.finding
        );
    }

    #[test]
    fn a_v1_suffix_and_a_proxy_without_scheme() {
        let (setup, report) = run(&[
            ("ANTHROPIC_BASE_URL", "https://gw.example/v1/"),
            ("HTTPS_PROXY", "proxy.corp:3128"),
            ("https_proxy", "proxy.corp:3128"),
            ("no_proxy", "localhost"),
        ]);
        assert!(setup.gateway && setup.base_url_usable);
        assert_eq!(setup.profile.base_url.value, "https://gw.example/v1");
        assert_eq!(
            setup.profile.proxy.https.unwrap().value,
            "http://proxy.corp:3128"
        );
        assert_eq!(report.state, StepState::Warn);
        assert!(report.finding.contains("/v1/v1/messages"), "{report:#?}");
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains("no_proxy is set")),
            "{report:#?}"
        );
    }
}
