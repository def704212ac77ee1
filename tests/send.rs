//! `claudetui send` end to end: the real binary against the embedded server
//! on loopback, for success, streaming, every injected fault and the common
//! validation errors. Classification and exit codes are asserted, not just
//! "it did not crash".

mod common;

use common::{Fixture, HELLO, HELLO_STREAM, Run, TEST_KEY, file_count, files_containing, key_body};
use serde_json::Value;

fn outcome(run: &Run) -> Value {
    run.json()["outcome"].clone()
}

#[test]
fn plain_request_prints_the_answer_and_a_summary() {
    let fx = Fixture::start("default");
    let run = fx.send(&["-"], HELLO);
    run.expect_code(0).assert_no_key();
    assert!(
        run.stdout.contains("Hello there"),
        "the reply quotes the prompt:\n{}",
        run.stdout
    );
    assert!(run.stderr.contains("─ 200 · HTTP/1.1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("requests "),
        "rate limits are summarised:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("request-id req_"), "{}", run.stderr);
    assert!(run.stderr.contains("saved as ex_"), "{}", run.stderr);
}

#[test]
fn streaming_text_arrives_on_stdout_and_the_exchange_records_every_event() {
    let fx = Fixture::start("default");
    let text = fx.send(&["-"], HELLO_STREAM);
    text.expect_code(0);
    let json = fx.send(&["-", "--json"], HELLO_STREAM);
    json.expect_code(0).assert_no_key();
    let exchange = json.json();
    assert_eq!(outcome(&json)["result"], "ok");
    let events = exchange["response"]["events"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"content_block_delta"));
    let message_text: String = exchange["response"]["message"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(!message_text.is_empty());
    assert_eq!(
        text.stdout.trim_end(),
        message_text.trim_end(),
        "streamed text equals the assembled message"
    );
    assert!(exchange["timing"]["first_token_ms"].as_f64().is_some());
    assert!(exchange["timing"]["headers_ms"].as_f64().is_some());
    assert!(exchange["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        exchange["rate_limits"]["requests"]["limit"]
            .as_u64()
            .map(|l| l > 0),
        Some(true)
    );
}

#[test]
fn flags_rewrite_the_body() {
    let fx = Fixture::start("default");
    let run = fx.send(
        &[
            "-",
            "--json",
            "--model",
            "claude-haiku-4-5",
            "--stream",
            "--max-tokens",
            "7",
        ],
        HELLO,
    );
    run.expect_code(0);
    let body: Value =
        serde_json::from_str(run.json()["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["model"], "claude-haiku-4-5");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 7);
}

/// Each injected fault: the scenario, the exit code, the outcome slug and
/// a phrase stderr must contain.
#[test]
fn every_injected_fault_is_classified() {
    let cases = [
        ("rate-limited", 1, "rate-limited", "retry-after"),
        ("overloaded", 1, "overloaded", "529"),
        ("server-error", 1, "server-error", "500"),
        ("region-block", 1, "blocked", "403"),
        ("credit-balance", 1, "billing", "credit balance"),
        ("invalid-key", 1, "auth", "401"),
        ("stream-error", 1, "overloaded", "mid-stream"),
        ("drop-mid-stream", 3, "reset", "the stream broke after"),
    ];
    for (scenario, code, slug, phrase) in cases {
        let fx = Fixture::start(scenario);
        let run = fx.send(&["-"], HELLO_STREAM);
        run.expect_code(code).assert_no_key();
        assert!(
            run.stderr.contains(&format!("· {slug}")),
            "{scenario}: slug {slug} missing:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(phrase),
            "{scenario}: `{phrase}` missing:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("fix: "),
            "{scenario}: no fix shown:\n{}",
            run.stderr
        );
    }
}

#[test]
fn slow_first_byte_shows_in_the_timing() {
    let fx = Fixture::start_with_speed("slow-first-byte", 1.0);
    let run = fx.send(&["-", "--json"], HELLO);
    run.expect_code(0);
    let headers_ms = run.json()["timing"]["headers_ms"].as_f64().unwrap();
    assert!(headers_ms >= 500.0, "headers after {headers_ms} ms");
}

/// Bodies the API rejects, with the exact message it answers.
#[test]
fn validation_errors_come_back_as_the_api_words_them() {
    let fx = Fixture::start("default");
    let cases = [
        (
            r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}"#,
            400,
            "bad-request",
            "max_tokens: Field required",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":10}"#,
            400,
            "bad-request",
            "messages: Field required",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":10,"frequency_penalty":1,"messages":[{"role":"user","content":"hi"}]}"#,
            400,
            "bad-request",
            "frequency_penalty: Extra inputs are not permitted",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":10,"temperature":1.5,"messages":[{"role":"user","content":"hi"}]}"#,
            400,
            "bad-request",
            "temperature: Input should be less than or equal to 1",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}"#,
            400,
            "bad-request",
            "messages: text content blocks must be non-empty",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":""}]}"#,
            400,
            "bad-request",
            "messages.0: all messages must have non-empty content except for the optional final assistant message",
        ),
        (
            r#"{"model":"claude-sonnet-4-5","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":100},"messages":[{"role":"user","content":"hi"}]}"#,
            400,
            "bad-request",
            "thinking.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            r#"{"model":"claude-3-opus-2024","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#,
            404,
            "no-model",
            "model: claude-3-opus-2024",
        ),
    ];
    for (body, status, slug, message) in cases {
        let run = fx.send(&["-", "--json"], body);
        run.expect_code(1);
        let outcome = outcome(&run);
        assert_eq!(outcome["status"], status, "{body}");
        let kind = claudetui::api::errors::FailureKind::from_slug(slug).unwrap();
        assert_eq!(
            outcome["kind"],
            serde_json::to_value(kind).unwrap(),
            "{body}"
        );
        assert_eq!(outcome["message"], message, "{body}");
        assert!(
            run.stderr.contains(message),
            "lint warned before sending:\n{}",
            run.stderr
        );
    }
}

#[test]
fn invalid_json_is_refused_with_line_and_column_unless_forced() {
    let fx = Fixture::start("default");
    let body = "{\n  \"model\": \"claude-sonnet-4-5\",\n  \"max_tokens\": 10,\n}";
    let refused = fx.send(&["-"], body);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("line 4, column 1"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was sent"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        fx.run(&["history", "list", "--json"])
            .stdout
            .lines()
            .count(),
        0,
        "nothing reached the history"
    );

    let forced = fx.send(&["-", "--force", "--json"], body);
    forced.expect_code(1);
    let message = outcome(&forced)["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("The request body is not valid JSON: "),
        "{message}"
    );
    assert!(message.contains("line 4 column 1"), "{message}");
}

#[test]
fn a_missing_key_is_an_authentication_failure() {
    let fx = Fixture::start("default");
    let mut command = fx.command(&["send", "--base-url", &fx.base_url, "-", "--json"]);
    command.env_remove("ANTHROPIC_API_KEY");
    let run = common::run(command, HELLO);
    run.expect_code(1);
    assert_eq!(outcome(&run)["kind"], "authentication");
    assert_eq!(outcome(&run)["message"], "x-api-key header is required");
}

#[test]
fn nothing_listening_is_connection_refused_exit_3() {
    let fx = Fixture::start("default");
    // Bind then drop a listener: a loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = fx.command(&[
        "send",
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "-",
        "--json",
    ]);
    command.env("ANTHROPIC_API_KEY", TEST_KEY);
    let run = common::run(command, HELLO);
    run.expect_code(3);
    assert_eq!(outcome(&run)["kind"], "connection_refused");
}

#[test]
fn tls_to_a_plain_http_port_is_a_tls_failure() {
    let fx = Fixture::start("default");
    let https = fx.base_url.replace("http://", "https://");
    let run = common::run(
        fx.command(&["send", "--base-url", &https, "-", "--json"]),
        HELLO,
    );
    run.expect_code(3);
    assert_eq!(outcome(&run)["kind"], "tls", "{}", run.stdout);
}

#[test]
fn retries_follow_the_sdk_policy_and_record_every_attempt() {
    let fx = Fixture::start("flaky");
    let run = fx.send(&["-", "--retries", "2"], HELLO);
    run.expect_code(0);
    assert!(run.stderr.contains("retrying in"), "{}", run.stderr);
    let list = fx.run(&["history", "list", "--json"]);
    let rows: Vec<Value> = list
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "both attempts are kept:\n{}", list.stdout);
    assert_eq!(rows[0]["outcome"], "ok");
    assert_eq!(rows[1]["outcome"], "rate-limited");
    let retry = fx
        .run(&["history", "show", rows[0]["id"].as_str().unwrap(), "--json"])
        .json();
    assert_eq!(retry["attempt"], 2);
    assert_eq!(retry["retry_of"], rows[1]["id"]);
}

#[test]
fn without_retries_a_429_is_shown_as_it_is() {
    let fx = Fixture::start("flaky");
    fx.send(&["-"], HELLO).expect_code(1);
}

#[test]
fn history_lists_shows_and_exports_without_the_key() {
    let fx = Fixture::start("default");
    fx.send(&["-"], HELLO_STREAM).expect_code(0);
    fx.send(&["-"], HELLO).expect_code(0);
    let list = fx.run(&["history", "list"]);
    list.expect_code(0).assert_no_key();
    assert_eq!(
        list.stdout.lines().count(),
        3,
        "a header and two rows:\n{}",
        list.stdout
    );
    let rows = fx.run(&["history", "list", "--json"]);
    let newest: Value = serde_json::from_str(rows.stdout.lines().next().unwrap()).unwrap();
    let id = newest["id"].as_str().unwrap();

    // A unique prefix is enough.
    let show = fx.run(&["history", "show", &id[..id.len() - 3]]);
    show.expect_code(0).assert_no_key();
    assert!(show.stdout.contains("→ POST"), "{}", show.stdout);
    assert!(
        show.stdout.contains("x-api-key: sk-ant-…k9Zq"),
        "the key shows masked:\n{}",
        show.stdout
    );

    let curl = fx.run(&["history", "export", id, "--format", "curl"]);
    curl.expect_code(0).assert_no_key();
    assert!(
        curl.stdout.contains("$ANTHROPIC_API_KEY"),
        "{}",
        curl.stdout
    );

    let har_file = fx.home.path().join("out.har");
    fx.run(&[
        "history",
        "export",
        id,
        "--format",
        "har",
        "-o",
        har_file.to_str().unwrap(),
    ])
    .expect_code(0);
    let har: Value = serde_json::from_slice(&std::fs::read(&har_file).unwrap()).unwrap();
    assert_eq!(har["log"]["version"], "1.2");

    let missing = fx.run(&["history", "show", "ex_nope"]);
    missing.expect_code(2);
}

/// Everything the program wrote: the data dir (history, WAL, logs), the
/// home, exports. Not one byte of the key may be in any of it.
#[test]
fn the_key_never_reaches_disk() {
    let fx = Fixture::start("default");
    fx.send(&["-"], HELLO).expect_code(0);
    fx.send(&["-", "--stream"], HELLO).expect_code(0);
    let mut bearer = fx.command(&[
        "send",
        "--base-url",
        &fx.base_url,
        "-",
        "-H",
        &format!("x-echo: {TEST_KEY}"),
    ]);
    bearer
        .env_remove("ANTHROPIC_API_KEY")
        .env("ANTHROPIC_AUTH_TOKEN", TEST_KEY);
    common::run(
        bearer,
        &HELLO.replace("Hello there", &format!("my key is {TEST_KEY}")),
    )
    .expect_code(0);
    let export = fx.home.path().join("export.json");
    let id = fx
        .run(&["history", "list", "--json"])
        .stdout
        .lines()
        .next()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    fx.run(&[
        "history",
        "export",
        &id.unwrap(),
        "--format",
        "json",
        "-o",
        export.to_str().unwrap(),
    ])
    .expect_code(0);

    assert!(
        file_count(fx.home.path()) >= 3,
        "the scan looked at the history, the log and the export"
    );
    let leaks = files_containing(fx.home.path(), key_body());
    assert!(leaks.is_empty(), "the key was written to {leaks:?}");
}

#[test]
fn a_broken_config_file_is_a_usage_error_naming_the_place() {
    let fx = Fixture::start("default");
    std::fs::write(
        fx.config_file(),
        "[profiles.work]\nbase_url = \"https://x\"\nbse_url = 3\n",
    )
    .unwrap();
    let run = fx.send(&["-"], HELLO);
    run.expect_code(2);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(run.stderr.contains("bse_url"), "{}", run.stderr);
}

#[test]
fn models_and_count_tokens_endpoints_work_through_send() {
    let fx = Fixture::start("default");
    let models = fx.send(&["--method", "GET", "--path", "/v1/models?limit=3"], "");
    models.expect_code(0);
    let list: Value = serde_json::from_str(&models.stdout).unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);

    let count = fx.send(
        &["-", "--path", "/v1/messages/count_tokens"],
        r#"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"count me"}]}"#,
    );
    count.expect_code(0);
    let answer: Value = serde_json::from_str(&count.stdout).unwrap();
    assert!(answer["input_tokens"].as_u64().unwrap() > 0);
}
