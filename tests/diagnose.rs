//! `claudetui history diagnose`: every fault scenario of the embedded
//! server, the common validation errors and the transport failures, each
//! sent for real (`claudetui send --json`), kept in the history, then
//! diagnosed from it: the kind, the headline, the evidence rows and the
//! fix, and never the key.

mod common;

use claudetui::api::errors::FailureKind;
use claudetui::doctor::steps_for_failure;
use common::{Fixture, HELLO, HELLO_STREAM, Run};
use serde_json::Value;

const NO_MAX_TOKENS: &str =
    r#"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Hello there"}]}"#;
const EMPTY_CONTENT: &str =
    r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":""}]}"#;
const UNKNOWN_MODEL: &str =
    r#"{"model":"claude-3-opus-2024","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;

/// One exchange to send and what its diagnosis must say.
struct Case {
    name: &'static str,
    scenario: &'static str,
    /// Extra `send` arguments.
    args: &'static [&'static str],
    body: &'static str,
    /// `send`'s exit code.
    send_code: i32,
    kind: FailureKind,
    headline: &'static str,
    evidence: &'static [&'static str],
    fix: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "rate limited",
            scenario: "rate-limited",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::RateLimited,
            headline: "429 rate-limited: the input tokens limit was hit; retry after 20 s",
            evidence: &[
                "request-id",
                "retry-after",
                "anthropic-ratelimit-requests-*",
                "anthropic-ratelimit-input-tokens-*",
            ],
            fix: "Wait 20 s (retry-after) before sending again,",
        },
        Case {
            name: "overloaded",
            scenario: "overloaded",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::Overloaded,
            headline: "529 overloaded: the API is overloaded",
            evidence: &["request-id", "error.type", "x-should-retry"],
            fix: FailureKind::Overloaded.fix(),
        },
        Case {
            name: "server error",
            scenario: "server-error",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::ServerError,
            headline: "500 server-error: the server failed (Internal server error)",
            evidence: &["request-id", "error.type", "message"],
            fix: FailureKind::ServerError.fix(),
        },
        Case {
            name: "error event mid-stream",
            scenario: "stream-error",
            args: &[],
            body: HELLO_STREAM,
            send_code: 1,
            kind: FailureKind::Overloaded,
            headline: "200 then overloaded: the API is overloaded (error event mid-stream)",
            evidence: &["request-id", "error event", "events before it"],
            fix: "sent again from the start",
        },
        Case {
            name: "stream cut",
            scenario: "drop-mid-stream",
            args: &[],
            body: HELLO_STREAM,
            send_code: 3,
            kind: FailureKind::ConnectionReset,
            headline: "200 then reset: the stream was cut after",
            evidence: &["request-id", "host", "events received", "last event"],
            fix: FailureKind::ConnectionReset.fix(),
        },
        Case {
            name: "invalid key",
            scenario: "invalid-key",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::Authentication,
            headline: "401 auth: the API key or token was refused (invalid x-api-key)",
            evidence: &["request-id", "x-api-key sent"],
            fix: FailureKind::Authentication.fix(),
        },
        Case {
            name: "region block",
            scenario: "region-block",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::RegionBlocked,
            headline: "403 blocked: Request not allowed (a region or network block)",
            evidence: &["request-id", "error.type", "anthropic-organization-id"],
            fix: "supported-countries",
        },
        Case {
            name: "credit balance",
            scenario: "credit-balance",
            args: &[],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::Billing,
            headline: "400 billing: the credit balance is too low",
            evidence: &["request-id", "error.type", "message"],
            fix: FailureKind::Billing.fix(),
        },
        Case {
            name: "missing max_tokens",
            scenario: "default",
            args: &[],
            body: NO_MAX_TOKENS,
            send_code: 1,
            kind: FailureKind::BadRequest,
            headline: "400 bad-request: max_tokens is missing",
            evidence: &["request-id", "field", "sent at max_tokens", "lint"],
            fix: "max_tokens",
        },
        Case {
            name: "empty content",
            scenario: "default",
            args: &[],
            body: EMPTY_CONTENT,
            send_code: 1,
            kind: FailureKind::BadRequest,
            headline: "400 bad-request: messages.0.content is empty",
            evidence: &["request-id", "field", "sent at messages.0", "lint"],
            fix: "Give the message some content, or remove it.",
        },
        Case {
            name: "unknown model",
            scenario: "default",
            args: &[],
            body: UNKNOWN_MODEL,
            send_code: 1,
            kind: FailureKind::ModelNotFound,
            headline: "404 no-model: model claude-3-opus-2024 does not exist",
            evidence: &["request-id", "model sent"],
            fix: "Use a current model id such as ",
        },
        Case {
            name: "bad version header",
            scenario: "default",
            args: &["-H", "anthropic-version: 2099-01-01"],
            body: HELLO,
            send_code: 1,
            kind: FailureKind::BadRequest,
            headline: "400 bad-request: anthropic-version \"2099-01-01\" is not a version the API knows",
            evidence: &["request-id", "anthropic-version sent"],
            fix: "anthropic-version: 2023-06-01",
        },
    ]
}

/// Diagnoses exchange `id` both ways; both exit 0 and hold no key.
fn diagnose(fx: &Fixture, id: &str) -> (Value, Run) {
    let json = fx.run(&["history", "diagnose", id, "--json"]);
    json.expect_code(0).assert_no_key();
    let human = fx.run(&["history", "diagnose", id]);
    human.expect_code(0).assert_no_key();
    (json.json(), human)
}

fn evidence(diagnosis: &Value, name: &str) -> Option<String> {
    diagnosis["evidence"]
        .as_array()?
        .iter()
        .find(|row| row["name"] == name)
        .and_then(|row| row["value"].as_str().map(str::to_owned))
}

/// The diagnosis of the one exchange `run` printed, checked against `case`.
fn check(fx: &Fixture, run: &Run, case: &Case) -> Value {
    run.expect_code(case.send_code).assert_no_key();
    let exchange = run.json();
    let id = exchange["id"].as_str().expect("the exchange has an id");
    let (d, human) = diagnose(fx, id);
    let name = case.name;
    assert_eq!(
        d["kind"],
        serde_json::to_value(case.kind).unwrap(),
        "{name}: {d:#}"
    );
    assert_eq!(d["kind"], exchange["outcome"]["kind"], "{name}");
    let headline = d["headline"].as_str().unwrap_or_default();
    assert!(headline.starts_with(case.headline), "{name}: {headline}");
    for key in case.evidence {
        assert!(
            evidence(&d, key).is_some(),
            "{name}: no `{key}` row in {d:#}"
        );
    }
    let fix = d["fix"].as_str().unwrap_or_default();
    assert!(fix.contains(case.fix), "{name}: fix is {fix}");
    assert_eq!(
        d["related_steps"],
        serde_json::to_value(steps_for_failure(case.kind)).unwrap(),
        "{name}"
    );
    assert!(
        !d["explanation"].as_array().unwrap().is_empty(),
        "{name}: no explanation"
    );
    assert!(
        human.stdout.starts_with(headline),
        "{name}:\n{}",
        human.stdout
    );
    assert!(human.stdout.contains("\nevidence\n"), "{}", human.stdout);
    assert!(
        human.stdout.contains(&format!("\nfix: {fix}")),
        "{}",
        human.stdout
    );
    d
}

#[test]
fn every_scenario_and_validation_error_is_diagnosed() {
    for case in cases() {
        let fx = Fixture::start(case.scenario);
        let mut args = vec!["-", "--json"];
        args.extend_from_slice(case.args);
        let run = fx.send(&args, case.body);
        let d = check(&fx, &run, &case);
        if case.kind == FailureKind::Authentication {
            assert_eq!(
                evidence(&d, "x-api-key sent").as_deref(),
                Some("sk-ant-…k9Zq")
            );
        }
    }
}

#[test]
fn a_slow_first_byte_past_the_timeout_is_a_timeout() {
    let fx = Fixture::start("slow-first-byte");
    std::fs::write(fx.config_file(), "[profiles.default]\ntimeout_secs = 1\n").unwrap();
    let run = fx.send(&["-", "--json"], HELLO);
    let case = Case {
        name: "slow first byte",
        scenario: "slow-first-byte",
        args: &[],
        body: HELLO,
        send_code: 3,
        kind: FailureKind::Timeout,
        headline: "no response · timeout: no answer from 127.0.0.1:",
        evidence: &["host", "gave up after", "status"],
        fix: FailureKind::Timeout.fix(),
    };
    let d = check(&fx, &run, &case);
    assert_eq!(evidence(&d, "status").as_deref(), Some("no response"));
}

/// `send` to `base_url` instead of the fixture's server.
fn send_to(fx: &Fixture, base_url: &str) -> Run {
    common::run(
        fx.command(&["send", "--base-url", base_url, "-", "--json"]),
        HELLO,
    )
}

#[test]
fn a_closed_port_is_connection_refused() {
    let fx = Fixture::start("default");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = send_to(&fx, &format!("http://127.0.0.1:{port}"));
    let headline = format!("no response · refused: nothing listens at 127.0.0.1:{port}");
    let case = Case {
        name: "refused",
        scenario: "default",
        args: &[],
        body: HELLO,
        send_code: 3,
        kind: FailureKind::ConnectionRefused,
        headline: "no response · refused: nothing listens at 127.0.0.1:",
        evidence: &["host", "status", "gave up after"],
        fix: FailureKind::ConnectionRefused.fix(),
    };
    let d = check(&fx, &run, &case);
    assert_eq!(d["headline"], headline);
}

#[test]
fn an_unresolvable_host_is_dns() {
    let fx = Fixture::start("default");
    // `.invalid` never resolves; a resolver that hangs instead is cut
    // short by the timeout, which is diagnosed as such.
    std::fs::write(fx.config_file(), "[profiles.default]\ntimeout_secs = 5\n").unwrap();
    let run = send_to(&fx, "http://nonexistent.invalid");
    run.expect_code(3).assert_no_key();
    let (kind, headline, fix) = if run.json()["outcome"]["kind"] == "dns" {
        (
            FailureKind::Dns,
            "no response · dns: nonexistent.invalid does not resolve",
            FailureKind::Dns.fix(),
        )
    } else {
        (
            FailureKind::Timeout,
            "no response · timeout: no answer from nonexistent.invalid:80",
            FailureKind::Timeout.fix(),
        )
    };
    let case = Case {
        name: "dns",
        scenario: "default",
        args: &[],
        body: HELLO,
        send_code: 3,
        kind,
        headline,
        evidence: &["host", "status"],
        fix,
    };
    let d = check(&fx, &run, &case);
    assert_eq!(
        evidence(&d, "host").as_deref(),
        Some("nonexistent.invalid:80")
    );
}

#[test]
fn a_success_is_nothing_failed_and_an_unknown_id_is_a_usage_error() {
    let fx = Fixture::start("default");
    let run = fx.send(&["-", "--json"], HELLO);
    run.expect_code(0);
    let id = run.json()["id"].as_str().unwrap().to_owned();
    let (d, human) = diagnose(&fx, &id);
    assert_eq!(d["kind"], Value::Null);
    assert!(
        d["headline"]
            .as_str()
            .unwrap()
            .starts_with("200 ok: nothing failed ("),
        "{d:#}"
    );
    assert_eq!(d["related_steps"], serde_json::json!([]));
    assert!(human.stdout.contains("nothing failed"));

    let missing = fx.run(&["history", "diagnose", "ex_nope"]);
    missing.expect_code(2).assert_no_key();
    assert!(
        missing.stderr.contains("no exchange with id `ex_nope`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn send_points_a_failure_at_diagnose_and_uses_its_fix() {
    let fx = Fixture::start("default");
    let run = fx.send(&["-"], EMPTY_CONTENT);
    run.expect_code(1).assert_no_key();
    assert!(
        run.stderr
            .contains("fix: Give the message some content, or remove it."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("(claudetui history diagnose ex_"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_real_bucket_names_the_exhausted_window_and_its_reset() {
    let fx = Fixture::start("tight-limits");
    for _ in 0..3 {
        fx.send(&["-"], HELLO).expect_code(0);
    }
    let run = fx.send(&["-", "--json"], HELLO);
    let case = Case {
        name: "tight limits",
        scenario: "tight-limits",
        args: &[],
        body: HELLO,
        send_code: 1,
        kind: FailureKind::RateLimited,
        headline: "429 rate-limited: the requests limit was hit; retry after ",
        evidence: &[
            "request-id",
            "retry-after",
            "anthropic-ratelimit-requests-*",
        ],
        fix: "(retry-after) before sending again",
    };
    let d = check(&fx, &run, &case);
    let explanation: Vec<&str> = d["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        explanation.contains(&"The message names the limit: 3 requests per minute."),
        "{explanation:#?}"
    );
    assert!(
        explanation
            .iter()
            .any(|l| l.starts_with("requests: 0 of 3 left, resets at ")),
        "{explanation:#?}"
    );
}
