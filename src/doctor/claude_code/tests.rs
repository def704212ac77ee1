//! Judging by hand-made answers (no network), and the step's skips.

use std::time::Duration;

use super::*;
use crate::doctor::StepState;
use crate::doctor::probe::testing::{answered, envelope, input, unanswered};
use crate::doctor::verdict::Verdict;

const KEY: &str = "sk-ant-api03-ClaudeCodeUnitKey-0123456789abcdefghijk-MNOP";
const PAGE: &str = "<html><title>Access Denied by Corporate Proxy</title></html>";

fn setup_with(shell: &[(&str, &str)]) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let files = ClaudeFiles::read(home.path(), home.path());
    let effective = settings::Effective::resolve(&Env::from_pairs(shell.iter().copied()), &files);
    setup::setup(&effective, Duration::from_secs(2), &mut Verdict::default())
}

fn hello_ok() -> Sent {
    answered("GET", "/api/hello", 200, r#"{"message":"hello"}"#)
}

/// The fixed probes as the replay labels them.
fn fixed(mut api: Sent, mut oauth: Sent) -> (Sent, Sent) {
    api.label = format!("GET {API_HELLO}");
    oauth.label = format!("GET {OAUTH_HELLO}");
    (api, oauth)
}

fn replay(api: Sent, oauth: Sent) -> Replay {
    Replay {
        startup: Some(fixed(api, oauth)),
        gateway: None,
        shape: None,
        messages: None,
        culprits: Vec::new(),
        after_culprits: None,
        without_experimental: None,
        plain: None,
        redirected: None,
    }
}

fn judge(setup: &Setup, replay: &Replay, onboarding: Onboarding) -> StepReport {
    judge_with(setup, replay, onboarding, None, false)
}

fn judge_with(
    setup: &Setup,
    replay: &Replay,
    onboarding: Onboarding,
    key_response: Option<bool>,
    offline: bool,
) -> StepReport {
    let mut v = Verdict::default();
    let passed = Judge {
        setup,
        replay,
        onboarding: &onboarding,
        home: Path::new("/home/u"),
        offline,
        key_response,
    }
    .run(&mut v);
    let report = v.report(ID, passed);
    for text in report.texts() {
        assert!(!text.contains(&KEY[13..]), "the key leaked: {text}");
    }
    report
}

#[test]
fn a_block_page_on_the_first_start_check_is_err_bad_request_from_a_firewall() {
    let setup = setup_with(&[]);
    let replay = replay(answered("GET", "/api/hello", 403, PAGE), hello_ok());
    let r = judge(&setup, &replay, Onboarding::NotSet);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "GET https://api.anthropic.com/api/hello → 403",
        "ERR_BAD_REQUEST",
        "Access Denied by Corporate Proxy",
        "from something other than the API",
        "firewall",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    let fix = r.fix.unwrap();
    assert!(
        fix.contains("\"hasCompletedOnboarding\": true in /home/u/.claude.json"),
        "{fix}"
    );
    assert!(
        fix.contains("api.anthropic.com and platform.claude.com"),
        "{fix}"
    );
    assert!(fix.contains("export HTTPS_PROXY"), "{fix}");
    assert!(
        fix.contains("supported-countries"),
        "a 403 page is a network block: {fix}"
    );
}

#[test]
fn with_onboarding_done_the_fixed_hosts_are_not_in_the_way() {
    let setup = setup_with(&[]);
    let replay = replay(answered("GET", "/api/hello", 403, PAGE), hello_ok());
    let r = judge(&setup, &replay, Onboarding::Completed);
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(
        r.finding.starts_with("hasCompletedOnboarding is true"),
        "{}",
        r.finding
    );
    assert!(
        r.evidence.iter().any(|e| e.contains("not in the way")),
        "{r:#?}"
    );
}

#[test]
fn through_a_proxy_the_proxy_is_named_and_5xx_is_err_bad_response() {
    let setup = setup_with(&[("HTTPS_PROXY", "http://bob:hunter2@proxy.corp:3128")]);
    let replay = replay(
        hello_ok(),
        answered("GET", "/v1/oauth/hello", 502, "Bad Gateway"),
    );
    let r = judge(&setup, &replay, Onboarding::Other("false".into()));
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(r.finding.contains("platform.claude.com"), "{}", r.finding);
    assert!(r.finding.contains("ERR_BAD_RESPONSE"), "{}", r.finding);
    assert!(
        r.finding.contains("the proxy http://bob:…@proxy.corp:3128"),
        "{}",
        r.finding
    );
    assert!(!r.texts().any(|t| t.contains("hunter2")));
    assert!(r.fix.unwrap().contains("have the proxy"));
}

#[test]
fn an_unreachable_fixed_host_is_named_with_the_code_claude_code_shows() {
    let setup = setup_with(&[]);
    let replay = replay(
        unanswered("GET", "/api/hello", FailureKind::Dns),
        hello_ok(),
    );
    let r = judge(&setup, &replay, Onboarding::NotSet);
    assert_eq!(r.state, StepState::Fail);
    assert!(
        r.finding.contains("cannot reach api.anthropic.com (dns"),
        "{}",
        r.finding
    );
    assert!(
        r.finding
            .contains("Failed to connect to api.anthropic.com: ENOTFOUND"),
        "{}",
        r.finding
    );
    assert!(!r.finding.contains("ERR_BAD"), "{}", r.finding);
    let proxied = self::replay(
        unanswered("GET", "/api/hello", FailureKind::Proxy),
        hello_ok(),
    );
    let r = judge(&setup, &proxied, Onboarding::NotSet);
    assert!(r.finding.contains(": ERR_SOCKET_CLOSED"), "{}", r.finding);
}

fn gateway_setup() -> Setup {
    setup_with(&[
        ("ANTHROPIC_BASE_URL", "https://api.example.test/gw"),
        ("ANTHROPIC_API_KEY", KEY),
    ])
}

#[test]
fn a_gateway_without_api_hello_is_err_bad_request_naming_the_gateway() {
    let setup = gateway_setup();
    let mut replay = replay(hello_ok(), hello_ok());
    replay.gateway = Some((
        answered("HEAD", "", 200, ""),
        answered("HEAD", "/api/hello", 404, ""),
    ));
    replay.messages = Some(answered("POST", "/v1/messages", 200, ""));
    let r = judge(&setup, &replay, Onboarding::NotSet);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(
        r.finding
            .contains("HEAD https://api.example.test/api/hello → 404 from api.example.test"),
        "{}",
        r.finding
    );
    assert!(r.finding.contains("ERR_BAD_REQUEST"), "{}", r.finding);
    let fix = r.fix.unwrap();
    assert!(
        fix.contains("ANTHROPIC_BASE_URL in the shell environment"),
        "{fix}"
    );
    assert!(
        fix.contains("https://api.example.test/gw/api/hello"),
        "{fix}"
    );
}

#[test]
fn refused_shape_but_accepted_plain_request_is_said_so() {
    let setup = gateway_setup();
    let mut replay = replay(hello_ok(), hello_ok());
    replay.messages = Some(answered(
        "POST",
        "/v1/messages?beta=true",
        400,
        &envelope(
            "invalid_request_error",
            "Unexpected value(s) `claude-code-20250219` for the `anthropic-beta` header",
        ),
    ));
    replay.plain = Some(answered("POST", "/v1/messages", 200, ""));
    let r = judge(&setup, &replay, Onboarding::Completed);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(
        r.finding
            .contains("refuses what Claude Code sends but accepts what curl sends"),
        "{}",
        r.finding
    );
    assert!(r.finding.contains("anthropic-beta"), "{}", r.finding);
    assert!(r.fix.unwrap().contains("?beta=true"));
}

#[test]
fn a_refused_key_is_shown_masked_with_its_origin() {
    let setup = gateway_setup();
    let mut replay = replay(hello_ok(), hello_ok());
    replay.messages = Some(answered(
        "POST",
        "/v1/messages?beta=true",
        401,
        &envelope("authentication_error", &format!("invalid x-api-key {KEY}")),
    ));
    let r = judge(&setup, &replay, Onboarding::Completed);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(
        r.finding
            .contains("sk-ant-…MNOP from the shell environment"),
        "{}",
        r.finding
    );
}

#[test]
fn without_a_key_no_messages_request_and_the_pass_says_so() {
    let setup = setup_with(&[]);
    let replay = replay(hello_ok(), hello_ok());
    let r = judge(&setup, &replay, Onboarding::NotSet);
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(
        r.finding.contains("first-start check passes"),
        "{}",
        r.finding
    );
    assert!(
        r.finding.contains("no key for Claude Code"),
        "{}",
        r.finding
    );
}

#[test]
fn no_proxy_matches_hosts_and_domains() {
    for (host, list, expected) in [
        ("api.anthropic.com", "*", true),
        ("api.anthropic.com", "localhost, .anthropic.com", true),
        ("api.anthropic.com", "anthropic.com", true),
        ("api.anthropic.com", "*.anthropic.com:443", true),
        ("api.anthropic.com", "thropic.com,claude.com", false),
        ("api.anthropic.com", "", false),
    ] {
        assert_eq!(excluded(host, list), expected, "{host} {list}");
    }
    assert_eq!(client_code(404), Some("ERR_BAD_REQUEST"));
    assert_eq!(client_code(529), Some("ERR_BAD_RESPONSE"));
    assert_eq!(client_code(302), None);
}

#[tokio::test]
async fn nothing_found_is_skipped_with_the_places_looked_at() {
    let home = tempfile::tempdir().unwrap();
    let mut input = input(KEY);
    input.claude_code = ClaudeCodeEnv::at(home.path(), home.path());
    let r = check(&input).await;
    assert_eq!(r.state, StepState::Skipped);
    assert!(r.finding.contains(".claude.json"), "{}", r.finding);
    assert!(r.finding.contains("--claude-code"), "{}", r.finding);
    assert!(!input.claude_code.detected());
    input.claude_code.home = None;
    let r = check(&input).await;
    assert_eq!(r.state, StepState::Skipped);
    assert!(r.finding.contains("HOME"), "{}", r.finding);
}

#[test]
fn the_programs_defaults_come_from_home_and_the_current_directory() {
    let env = Env::from_pairs([("HOME", "/home/someone")]);
    let cc = ClaudeCodeEnv::from_env(&env);
    assert_eq!(cc.home.as_deref(), Some(Path::new("/home/someone")));
    assert!(!cc.requested && cc.probe_hosts.is_none());
    assert_eq!(ClaudeCodeEnv::from_env(&Env::default()).home, None);
}

#[test]
fn with_onboarding_done_no_probe_is_made_and_the_step_says_why() {
    let setup = setup_with(&[]);
    let mut replay = replay(hello_ok(), hello_ok());
    replay.startup = None;
    let r = judge(&setup, &replay, Onboarding::Completed);
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(
        r.evidence
            .iter()
            .any(|e| e.contains("were not contacted") && e.contains("never contacts them")),
        "{r:#?}"
    );
}

#[test]
fn offline_before_onboarding_warns_that_the_first_start_check_was_not_tried() {
    let setup = setup_with(&[]);
    let mut replay = replay(hello_ok(), hello_ok());
    replay.startup = None;
    let r = judge_with(&setup, &replay, Onboarding::NotSet, None, true);
    assert_eq!(r.state, StepState::Warn, "{r:#?}");
    assert!(r.finding.contains("not tried (--offline)"), "{}", r.finding);
    assert!(r.finding.contains("api.anthropic.com"), "{}", r.finding);
}

#[test]
fn a_declined_key_fails_with_not_logged_in_whatever_the_gateway_says() {
    let setup = gateway_setup();
    let mut replay = replay(hello_ok(), hello_ok());
    replay.messages = Some(answered("POST", "/v1/messages?beta=true", 200, ""));
    let r = judge_with(&setup, &replay, Onboarding::Completed, Some(false), false);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(
        r.finding.contains("Not logged in · Please run /login"),
        "{}",
        r.finding
    );
    assert!(r.finding.contains("sk-ant-…MNOP"), "{}", r.finding);
    assert!(
        r.finding.contains("customApiKeyResponses.rejected"),
        "{}",
        r.finding
    );
    assert!(r.fix.unwrap().contains("customApiKeyResponses.approved"));
    let approved = judge_with(&setup, &replay, Onboarding::Completed, Some(true), false);
    assert_eq!(approved.state, StepState::Pass, "{approved:#?}");
}

#[test]
fn refused_parts_are_each_named_with_the_answer_and_the_setting_that_drops_them() {
    use super::replay::{Culprit, Part, Refusal};
    let setup = gateway_setup();
    let mut replay = replay(hello_ok(), hello_ok());
    let beta =
        "Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header";
    replay.messages = Some(answered(
        "POST",
        "/v1/messages?beta=true",
        400,
        &envelope("invalid_request_error", beta),
    ));
    replay.culprits = vec![
        Culprit {
            part: Part::Beta("prompt-caching-scope-2026-01-05".into()),
            answer: Refusal {
                status: Some(400),
                message: beta.into(),
            },
        },
        Culprit {
            part: Part::Field("context_management".into()),
            answer: Refusal {
                status: Some(400),
                message: "context_management: Extra inputs are not permitted".into(),
            },
        },
    ];
    replay.after_culprits = Some(answered("POST", "/v1/messages?beta=true", 200, ""));
    let r = judge(&setup, &replay, Onboarding::Completed);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "the anthropic-beta value `prompt-caching-scope-2026-01-05`",
        "the field `context_management`",
        "Extra inputs are not permitted",
        "without them the same request is accepted",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    let fix = r.fix.unwrap();
    assert!(
        fix.contains("CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1"),
        "{fix}"
    );
    assert!(
        !fix.contains(" only)"),
        "both are dropped by the setting: {fix}"
    );
}
