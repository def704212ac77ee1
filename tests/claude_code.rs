//! The Claude Code step against fixture home directories and the embedded
//! server. The two fixed start-up probes are redirected to the embedded
//! server (`ProbeOverride`), so nothing here reaches api.anthropic.com or
//! platform.claude.com.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use claudetui::config::{Env, Paths, Profile};
use claudetui::doctor::{
    ClaudeCodeEnv, DoctorInput, ProbeOverride, StepId, StepReport, StepState, claude_code_detected,
    run_step,
};
use common::{Fixture, TEST_KEY, key_body};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A home and a project directory of their own, beside the fixture.
struct Homes {
    home: tempfile::TempDir,
    project: tempfile::TempDir,
}

impl Homes {
    fn new() -> Homes {
        Homes {
            home: tempfile::tempdir().unwrap(),
            project: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, relative: &str, text: &str) {
        let path = if let Some(rest) = relative.strip_prefix("project/") {
            self.project.path().join(rest)
        } else {
            self.home.path().join(relative)
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn user_settings(&self) -> std::path::PathBuf {
        self.home.path().join(".claude/settings.json")
    }
}

/// Both fixed probes answered by the embedded server's `/api/hello`.
fn to_mock(fx: &Fixture) -> ProbeOverride {
    ProbeOverride {
        api_hello: format!("{}/api/hello", fx.base_url),
        oauth_hello: format!("{}/api/hello", fx.base_url),
    }
}

fn input(fx: &Fixture, homes: &Homes, shell: &[(&str, &str)], hosts: ProbeOverride) -> DoctorInput {
    let mut claude_code = ClaudeCodeEnv::at(homes.home.path(), homes.project.path());
    claude_code.probe_hosts = Some(hosts);
    DoctorInput {
        // claudetui's own profile plays no part in this step.
        profile: Profile::builtin(),
        paths: Paths {
            config_file: fx.config_file(),
            data_dir: fx.data_dir(),
        },
        env: Env::from_pairs(shell.iter().copied()),
        timeout: TIMEOUT,
        claude_code,
        recent: Vec::new(),
        request: None,
    }
}

fn run(fx: &Fixture, input: &DoctorInput) -> StepReport {
    let report = fx.runtime.block_on(run_step(StepId::ClaudeCode, input));
    assert_no_key(&report);
    report
}

fn assert_no_key(report: &StepReport) {
    for text in report.texts() {
        assert!(!text.contains(key_body()), "the key leaked: {text}");
    }
    let json = serde_json::to_string(report).unwrap();
    assert!(!json.contains(key_body()), "the key leaked: {json}");
}

fn has(report: &StepReport, needle: &str) -> bool {
    report.texts().any(|t| t.contains(needle))
}

/// The shell of a gateway user: base URL and key exported.
fn gateway_shell(base: &str) -> Vec<(&str, &str)> {
    vec![
        ("ANTHROPIC_BASE_URL", base),
        ("ANTHROPIC_API_KEY", TEST_KEY),
    ]
}

#[test]
fn without_any_claude_code_file_the_step_is_skipped_and_not_detected() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    assert!(!claude_code_detected(
        homes.home.path(),
        homes.project.path()
    ));
    let input = input(&fx, &homes, &gateway_shell(&fx.base_url), to_mock(&fx));
    let r = run(&fx, &input);
    assert_eq!(r.state, StepState::Skipped, "{r:#?}");
    assert!(
        r.finding.contains("no Claude Code configuration found"),
        "{}",
        r.finding
    );
    assert!(r.evidence.is_empty(), "nothing was sent: {r:#?}");
}

#[test]
fn asked_for_on_a_first_start_it_checks_anyway() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    let mut input = input(&fx, &homes, &gateway_shell(&fx.base_url), to_mock(&fx));
    input.claude_code.requested = true;
    let r = run(&fx, &input);
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(
        has(
            &r,
            "not found — Claude Code has not completed a first start"
        ),
        "{r:#?}"
    );
    assert!(
        r.finding.contains("first-start check passes"),
        "{}",
        r.finding
    );
}

#[test]
fn a_gateway_that_accepts_everything_passes() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"numStartups": 1}"#);
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&fx.base_url), to_mock(&fx)),
    );
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    let host = fx.base_url.trim_start_matches("http://");
    for needle in [
        "first-start check passes".to_owned(),
        format!("the gateway {host} answers HEAD / and HEAD /api/hello"),
        format!("{host} accepts a request shaped like Claude Code's"),
    ] {
        assert!(r.finding.contains(&needle), "{needle}: {}", r.finding);
    }
    assert!(has(&r, "hasCompletedOnboarding is not set"), "{r:#?}");
    assert!(has(&r, "POST http://"), "{r:#?}");
    assert!(has(&r, "/v1/messages?beta=true → 200"), "{r:#?}");
    assert!(has(&r, "anthropic-beta: claude-code-20250219"), "{r:#?}");
    assert!(has(&r, "HEAD http://"), "{r:#?}");
    assert!(
        has(&r, "GET https://api.anthropic.com/api/hello → 200"),
        "{r:#?}"
    );
    assert!(
        has(&r, "test set-up: the two start-up probes went to"),
        "{r:#?}"
    );
}

#[test]
fn a_failing_start_up_probe_is_err_bad_request_naming_the_host_and_the_fix() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": false}"#);
    // The embedded server has no /v1/oauth/hello: it answers 404 there.
    let hosts = ProbeOverride {
        api_hello: format!("{}/api/hello", fx.base_url),
        oauth_hello: format!("{}/v1/oauth/hello", fx.base_url),
    };
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&fx.base_url), hosts),
    );
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "GET https://platform.claude.com/v1/oauth/hello → 404",
        "ERR_BAD_REQUEST",
        "does not implement GET /v1/oauth/hello",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    let fix = r.fix.as_deref().unwrap();
    let config = homes.home.path().join(".claude.json");
    assert!(
        fix.contains(&format!(
            "\"hasCompletedOnboarding\": true in {}",
            config.display()
        )),
        "{fix}"
    );
    assert!(
        fix.contains("allow api.anthropic.com and platform.claude.com"),
        "{fix}"
    );
    assert!(fix.contains("HTTPS_PROXY"), "{fix}");

    // Once onboarding is complete, Claude Code contacts neither host, and
    // neither does the step: a listener standing in for both sees nothing.
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let watch = TcpListener::bind("127.0.0.1:0").unwrap();
    watch.set_nonblocking(true).unwrap();
    let at = watch.local_addr().unwrap();
    let hosts = ProbeOverride {
        api_hello: format!("http://{at}/api/hello"),
        oauth_hello: format!("http://{at}/v1/oauth/hello"),
    };
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&fx.base_url), hosts),
    );
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(has(&r, "were not contacted"), "{r:#?}");
    assert_eq!(
        watch.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "a first-start probe was made"
    );
}

#[test]
fn settings_env_blocks_override_the_shell_and_say_where_from() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    // The shell points somewhere nothing listens, with another key.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let other_key = "sk-ant-api03-ShellKeyThatLoses-abcdefghijklmnopqrstuvwxyz-LOSE";
    homes.write(
        ".claude/settings.json",
        &format!(
            r#"{{"env": {{"ANTHROPIC_BASE_URL": "{}", "ANTHROPIC_API_KEY": "{TEST_KEY}"}}}}"#,
            fx.base_url
        ),
    );
    homes.write(
        "project/.claude/settings.json",
        r#"{"env": {"ANTHROPIC_MODEL": "claude-haiku-4-5"}}"#,
    );
    let shell = [
        ("ANTHROPIC_BASE_URL", dead_url.as_str()),
        ("ANTHROPIC_API_KEY", other_key),
        ("ANTHROPIC_MODEL", "claude-sonnet-4-6"),
    ];
    let r = run(&fx, &input(&fx, &homes, &shell, to_mock(&fx)));
    assert_eq!(
        r.state,
        StepState::Pass,
        "the settings' gateway was used: {r:#?}"
    );
    let user = format!("the env block of {}", homes.user_settings().display());
    let project = format!(
        "the env block of {}",
        homes.project.path().join(".claude/settings.json").display()
    );
    let expected = [
        format!(
            "base URL: {} (ANTHROPIC_BASE_URL from {user}; overrides the shell environment's {dead_url})",
            fx.base_url
        ),
        format!(
            "key: sk-ant-…{}, sent as x-api-key (ANTHROPIC_API_KEY from {user}; overrides the shell environment's sk-ant-…LOSE)",
            &TEST_KEY[TEST_KEY.len() - 4..]
        ),
        format!(
            "model: claude-haiku-4-5 (ANTHROPIC_MODEL from {project}; overrides the shell environment's claude-sonnet-4-6)"
        ),
    ];
    for line in expected {
        assert!(
            r.evidence.contains(&line),
            "missing `{line}` in {:#?}",
            r.evidence
        );
    }
    assert!(
        !has(&r, &other_key[13..40]),
        "the shell's key leaked: {r:#?}"
    );
}

#[test]
fn a_gateway_whose_api_hello_is_404_is_err_bad_request_naming_the_gateway() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    // A base URL with a path prefix the server does not have.
    let base = format!("{}/wrong-prefix", fx.base_url);
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&base), to_mock(&fx)),
    );
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    let host = fx.base_url.trim_start_matches("http://");
    assert!(
        r.finding
            .starts_with(&format!("HEAD {base}/api/hello → 404 from {host}")),
        "{}",
        r.finding
    );
    assert!(r.finding.contains("ERR_BAD_REQUEST"), "{}", r.finding);
    let fix = r.fix.as_deref().unwrap();
    assert!(
        fix.contains(&format!(
            "{base}/api/hello and {base}/v1/messages must exist"
        )),
        "{fix}"
    );
    assert!(
        fix.contains("ANTHROPIC_BASE_URL in the shell environment"),
        "{fix}"
    );
    assert!(
        !fix.contains("claudetui adds"),
        "Claude Code's words, not claudetui's: {fix}"
    );
    // The Messages request is refused the same way, plain or shaped.
    assert!(
        has(
            &r,
            "refuses Messages requests, Claude Code's and plain ones alike"
        ),
        "{r:#?}"
    );
}

#[test]
fn malformed_settings_give_file_line_and_column_and_the_rest_still_counts() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    homes.write(
        ".claude/settings.json",
        "{\n  \"env\": {\n    \"ANTHROPIC_MODEL\": \"x\",\n  }\n}\n",
    );
    homes.write(
        "project/.claude/settings.json",
        &format!(
            r#"{{"env": {{"ANTHROPIC_BASE_URL": "{}", "ANTHROPIC_AUTH_TOKEN": "{TEST_KEY}"}}}}"#,
            fx.base_url
        ),
    );
    let r = run(&fx, &input(&fx, &homes, &[], to_mock(&fx)));
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert_eq!(
        r.finding,
        format!(
            "{} is not valid JSON: line 4, column 3: trailing comma",
            homes.user_settings().display()
        )
    );
    assert!(r.fix.as_deref().unwrap().contains("line 4, column 3"));
    // The project's settings were still applied and the requests made.
    assert!(has(&r, "sent as Authorization: Bearer"), "{r:#?}");
    assert!(has(&r, "/v1/messages?beta=true → 200"), "{r:#?}");
}

#[test]
fn a_gateway_that_refuses_messages_says_so() {
    let fx = Fixture::start("region-block");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&fx.base_url), to_mock(&fx)),
    );
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    let host = fx.base_url.trim_start_matches("http://");
    assert!(
        r.finding.starts_with(&format!(
            "{host} refuses Claude Code's request before looking at it, a region or network block"
        )),
        "{}",
        r.finding
    );
    assert!(r.finding.contains("403"), "{}", r.finding);
    assert!(r.fix.as_deref().unwrap().contains("supported-countries"));
}

#[test]
fn a_gateway_that_refuses_only_claude_codes_shape_is_told_apart_from_curl() {
    let fx = Fixture::start("default");
    let gateway = fx.runtime.block_on(picky_gateway::start());
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&gateway), to_mock(&fx)),
    );
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "refuses what Claude Code sends with every request: the anthropic-beta value `claude-code-20250219`",
        "Unexpected value(s)",
        "without them it is still refused",
        "what curl sends (POST /v1/messages, no stream, tools or anthropic-beta) is accepted",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    assert!(has(&r, "POST http://"), "{r:#?}");
    let fix = r.fix.as_deref().unwrap();
    assert!(fix.contains("pass through the ?beta=true query"), "{fix}");
    assert!(
        !fix.contains("CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS"),
        "the setting does not drop claude-code-20250219: {fix}"
    );
}

#[test]
fn the_probes_go_through_claude_codes_proxy() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", "{}");
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    // A proxy in the settings that nothing answers: every probe fails there.
    homes.write(
        ".claude/settings.json",
        &format!(r#"{{"env": {{"HTTP_PROXY": "{proxy}"}}}}"#),
    );
    let r = run(&fx, &input(&fx, &homes, &[], to_mock(&fx)));
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    assert!(
        r.finding.contains(&format!(
            "cannot reach api.anthropic.com through the proxy {proxy}"
        )),
        "{}",
        r.finding
    );
    assert!(has(&r, &format!("proxy: HTTP_PROXY {proxy}")), "{r:#?}");
    // Exempted with NO_PROXY, they reach the server again.
    homes.write(
        ".claude/settings.json",
        &format!(r#"{{"env": {{"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"}}}}"#),
    );
    let r = run(&fx, &input(&fx, &homes, &[], to_mock(&fx)));
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
}

#[test]
fn detection_looks_at_the_three_files() {
    let homes = Homes::new();
    let (home, project): (&Path, &Path) = (homes.home.path(), homes.project.path());
    assert!(!claude_code_detected(home, project));
    homes.write("project/.claude/settings.json", "{}");
    assert!(claude_code_detected(home, project));
    assert!(ClaudeCodeEnv::at(home, project).detected());
}

/// A gateway that serves plain Messages requests but refuses what Claude
/// Code adds (`?beta=true`, `anthropic-beta`), as some gateways do.
mod picky_gateway {
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use axum::routing::{get, post};

    pub async fn start() -> String {
        serve(post(messages)).await
    }

    /// A gateway behind on betas: it refuses `made-up-beta-2099-01-01`,
    /// naming it, and answers everything else.
    pub async fn behind_on_betas() -> String {
        serve(post(one_beta_refused)).await
    }

    async fn serve(messages: axum::routing::MethodRouter) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/", get(|| async { "gateway" }))
            .route("/api/hello", get(|| async { r#"{"message":"hello"}"# }))
            .route("/v1/messages", messages);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    async fn one_beta_refused(headers: HeaderMap) -> Response {
        let betas = headers
            .get("anthropic-beta")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if betas
            .split(',')
            .any(|b| b.trim() == "made-up-beta-2099-01-01")
        {
            let body = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unexpected value(s) `made-up-beta-2099-01-01` for the `anthropic-beta` header"}}"#;
            return (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/json")],
                body,
            )
                .into_response();
        }
        ok()
    }

    fn ok() -> Response {
        let body = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"OK"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}"#;
        (StatusCode::OK, [("content-type", "application/json")], body).into_response()
    }

    async fn messages(uri: Uri, headers: HeaderMap) -> Response {
        if uri.query().is_some() || headers.contains_key("anthropic-beta") {
            let body = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unexpected value(s) `claude-code-20250219` for the `anthropic-beta` header"}}"#;
            return (
                StatusCode::BAD_REQUEST,
                [("content-type", "application/json")],
                body,
            )
                .into_response();
        }
        ok()
    }
}

/// A Messages request the tap captured from Claude Code, with an
/// `anthropic-beta` value of its own.
fn captured_from_claude_code(base: &str, betas: &str) -> claudetui::exchange::Exchange {
    use claudetui::api::types::Header;
    use claudetui::exchange::{
        Client, Exchange, ExchangeId, Outcome, RecordedRequest, Source, Timing,
    };
    let user_agent = "claude-cli/2.1.197 (external, cli)";
    Exchange {
        id: ExchangeId::new(),
        started_at: chrono::Utc::now(),
        profile: "default".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: format!("{base}/v1/messages?beta=true"),
            headers: vec![
                Header::new("x-api-key", "sk-ant-…a1b2"),
                Header::new("anthropic-version", "2023-06-01"),
                Header::new("anthropic-beta", betas),
                Header::new("user-agent", user_agent),
                Header::new("x-app", "cli"),
                Header::new("content-type", "application/json"),
            ],
            body: serde_json::json!({
                "model": "claude-sonnet-4-6",
                "max_tokens": 64000,
                "stream": true,
                "messages": [{"role": "user", "content": "captured turn"}],
            })
            .to_string(),
        },
        response: None,
        timing: Timing::default(),
        usage: None,
        rate_limits: Default::default(),
        outcome: Outcome::Ok,
        attempt: 1,
        retry_of: None,
        source: Source::Tap,
        client: Some(Client {
            user_agent: Some(user_agent.into()),
            app: Some("cli".into()),
            session: None,
        }),
    }
}

#[test]
fn a_captured_claude_code_request_is_replayed_and_the_beta_refused_is_named() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let gateway = fx.runtime.block_on(picky_gateway::behind_on_betas());
    let mut input = input(&fx, &homes, &gateway_shell(&gateway), to_mock(&fx));
    let capture = captured_from_claude_code(
        "http://gateway.example",
        "claude-code-20250219,made-up-beta-2099-01-01",
    );
    let id = capture.id.to_string();
    input.recent = vec![capture];
    let r = run(&fx, &input);
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "refuses what Claude Code sends with every request: the anthropic-beta value `made-up-beta-2099-01-01`",
        "without them the same request is accepted",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    assert!(
        has(&r, "replayed the request Claude Code sent at") && has(&r, &id),
        "{r:#?}"
    );
    assert!(
        r.fix.as_deref().unwrap().contains("pass through unchanged"),
        "{r:#?}"
    );
}

#[test]
fn without_a_capture_the_built_in_shape_of_claude_code_passes_a_faithful_server() {
    let fx = Fixture::start("default");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let r = run(
        &fx,
        &input(&fx, &homes, &gateway_shell(&fx.base_url), to_mock(&fx)),
    );
    assert_eq!(r.state, StepState::Pass, "{r:#?}");
    assert!(
        has(&r, "shaped like Claude Code's (Claude Code 2.1.197"),
        "{r:#?}"
    );
    assert!(has(&r, "context_management"), "{r:#?}");
}

#[test]
fn the_claude_code_gateway_scenario_fails_step_9_naming_the_beta_and_the_field() {
    let fx = Fixture::start("claude-code-gateway");
    let homes = Homes::new();
    homes.write(".claude.json", r#"{"hasCompletedOnboarding": true}"#);
    let shell = [
        ("ANTHROPIC_BASE_URL", fx.base_url.as_str()),
        ("ANTHROPIC_API_KEY", TEST_KEY),
        // A model that takes adaptive thinking, as Claude Code's default does.
        ("ANTHROPIC_MODEL", "claude-opus-4-8"),
    ];
    let r = run(&fx, &input(&fx, &homes, &shell, to_mock(&fx)));
    assert_eq!(r.state, StepState::Fail, "{r:#?}");
    for needle in [
        "the anthropic-beta value `prompt-caching-scope-2026-01-05`",
        "the field `context_management`",
        "without them the same request is accepted",
    ] {
        assert!(r.finding.contains(needle), "{needle}: {}", r.finding);
    }
    let fix = r.fix.as_deref().unwrap();
    assert!(
        fix.contains("CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1"),
        "{fix}"
    );
}
