//! `claudetui bisect` end to end against the embedded server: a gateway
//! that refuses one `anthropic-beta` value and one field must be caught
//! naming exactly that one, within the budget, waiting out `retry-after`.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Fixture, Run, TEST_KEY, file_count, files_containing, key_body};
use serde_json::Value;

const REFUSED_BETA: &str = "files-api-2025-04-14";
const THREE_BETAS: &str =
    "anthropic-beta: interleaved-thinking-2025-05-14,files-api-2025-04-14,context-1m-2025-08-07";
const TWO_FINE_BETAS: &str =
    "anthropic-beta: interleaved-thinking-2025-05-14,context-1m-2025-08-07";

/// A request like an app's: streaming, a system prompt, metadata, stop
/// sequences, a tool, an earlier turn; `service_tier` when asked.
fn app_body(service_tier: bool) -> String {
    let mut body = serde_json::json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 256,
        "stream": true,
        "system": "You are terse.",
        "metadata": {"user_id": "u-42"},
        "stop_sequences": ["\n\nHuman:"],
        "tools": [{"name": "get_time", "description": "Current time", "input_schema": {"type": "object", "properties": {}}}],
        "messages": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi."},
            {"role": "user", "content": "What time is it?"}
        ]
    });
    if service_tier {
        body["service_tier"] = "auto".into();
    }
    serde_json::to_string_pretty(&body).unwrap()
}

fn write_body(fx: &Fixture, name: &str, body: &str) -> PathBuf {
    let path = fx.home.path().join(name);
    std::fs::write(&path, body).unwrap();
    path
}

fn bisect(fx: &Fixture, args: &[&str]) -> Run {
    let mut full = vec!["bisect", "--base-url", &fx.base_url];
    full.extend_from_slice(args);
    let run = fx.run(&full);
    run.assert_no_key();
    run
}

fn finding(run: &Run) -> Value {
    run.json()["finding"].clone()
}

/// The first changed line of a side-by-side comparison, each column read
/// row after row.
fn changed_cells(report: &str) -> (String, String) {
    let (mut left, mut right) = (String::new(), String::new());
    for row in report
        .lines()
        .skip_while(|l| !l.starts_with("- "))
        .take_while(|l| l.starts_with("- "))
    {
        let (l, r) = row.split_once(" │ ").unwrap_or((row, ""));
        left.push_str(l.trim_start_matches("- ").trim_end());
        right.push_str(r.trim_start_matches("+ ").trim_end());
    }
    (left, right)
}

/// Nothing the program wrote (history, logs) holds the key.
fn assert_no_key_on_disk(fx: &Fixture) {
    assert!(file_count(fx.home.path()) > 0);
    assert!(
        files_containing(fx.home.path(), key_body()).is_empty(),
        "the key reached disk"
    );
}

#[test]
fn names_exactly_the_refused_beta_value() {
    let fx = Fixture::start("picky-gateway");
    let file = write_body(&fx, "app.json", &app_body(false));
    let run = bisect(&fx, &[file.to_str().unwrap(), "-H", THREE_BETAS]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "fails because of the anthropic-beta value `{REFUSED_BETA}`: without it the request succeeds"
        )),
        "{}",
        run.stdout
    );
    // Both requests side by side: the failing header and the passing one,
    // wrapped rather than cut.
    let (left, right) = changed_cells(&run.stdout);
    assert_eq!(
        left,
        "anthropic-beta: interleaved-thinking-2025-05-14,files-api-2025-04-14,context-1m-2025-08-07",
        "{}",
        run.stdout
    );
    assert_eq!(
        right, "anthropic-beta: interleaved-thinking-2025-05-14,context-1m-2025-08-07",
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("#1  400 failed        original — Unexpected value(s)"),
        "{}",
        run.stderr
    );
    assert_no_key_on_disk(&fx);

    let run = bisect(&fx, &[file.to_str().unwrap(), "-H", THREE_BETAS, "--json"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["finding"]["result"], "culprit");
    assert_eq!(report["finding"]["change"]["change"], "remove_beta");
    assert_eq!(report["finding"]["change"]["value"], REFUSED_BETA);
    assert_eq!(report["original_failure"]["status"], 400);
    assert!(report["requests_used"].as_u64().unwrap() <= 64);
    let used = report["requests_used"].as_u64().unwrap() as usize;
    assert_eq!(report["attempts"].as_array().unwrap().len(), used);
    assert!(
        run.stderr.is_empty(),
        "--json prints no progress: {}",
        run.stderr
    );
    // The passing exchange is in the history, as every attempt is.
    let passing = report["passing_exchange"].as_str().unwrap();
    fx.run(&["history", "show", passing]).expect_code(0);
}

#[test]
fn names_exactly_the_refused_field() {
    let fx = Fixture::start("picky-gateway");
    let file = write_body(&fx, "app.json", &app_body(true));
    let run = bisect(
        &fx,
        &[file.to_str().unwrap(), "-H", TWO_FINE_BETAS, "--json"],
    );
    run.expect_code(0);
    let found = finding(&run);
    assert_eq!(found["result"], "culprit", "{found}");
    assert_eq!(found["change"]["change"], "remove_field");
    assert_eq!(found["change"]["name"], "service_tier");
    let report = run.json();
    assert_eq!(report["original_failure"]["field_path"], "service_tier");
    // Candidates went with max_tokens 16: the failure is the same with it.
    assert_eq!(report["max_tokens_lowered"]["to"], 16);
    assert_eq!(report["passing"]["body"]["max_tokens"], 16);
    assert!(report["passing"]["body"].get("service_tier").is_none());
}

#[test]
fn a_beta_and_a_field_together_are_a_combination() {
    let fx = Fixture::start("picky-gateway");
    let file = write_body(&fx, "app.json", &app_body(true));
    let run = bisect(&fx, &[file.to_str().unwrap(), "-H", THREE_BETAS, "--json"]);
    run.expect_code(0);
    let found = finding(&run);
    assert_eq!(found["result"], "combination", "{found}");
    let kinds: Vec<(&str, &str)> = found["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let what = c["change"].as_str().unwrap();
            let name = c["value"].as_str().or(c["name"].as_str()).unwrap();
            (what, name)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("remove_beta", REFUSED_BETA),
            ("remove_field", "service_tier")
        ]
    );
}

#[test]
fn a_request_that_passes_has_nothing_to_bisect() {
    let fx = Fixture::start("default");
    let file = write_body(&fx, "app.json", &app_body(true));
    let run = bisect(&fx, &[file.to_str().unwrap(), "-H", THREE_BETAS]);
    run.expect_code(0);
    assert!(run.stdout.contains("nothing to bisect"), "{}", run.stdout);
    let run = bisect(&fx, &[file.to_str().unwrap(), "--json"]);
    assert_eq!(finding(&run)["result"], "passes");
    assert_eq!(run.json()["requests_used"], 1);
}

#[test]
fn the_budget_is_a_hard_stop_with_the_best_so_far() {
    let fx = Fixture::start("picky-gateway");
    let file = write_body(&fx, "app.json", &app_body(false));
    let run = bisect(
        &fx,
        &[
            file.to_str().unwrap(),
            "-H",
            THREE_BETAS,
            "--max-requests",
            "3",
            "--json",
        ],
    );
    run.expect_code(1);
    let report = run.json();
    assert_eq!(report["requests_used"], 3);
    assert_eq!(report["budget"], 3);
    let found = &report["finding"];
    assert_eq!(found["result"], "incomplete", "{found}");
    assert_eq!(found["reason"], "budget");
    // Original, original with max_tokens 16, then every change at once:
    // that passes, so it is the best known so far.
    assert!(
        found["best"].as_array().is_some_and(|b| b.len() > 1),
        "{found}"
    );

    let text = bisect(
        &fx,
        &[
            file.to_str().unwrap(),
            "-H",
            THREE_BETAS,
            "--max-requests",
            "3",
        ],
    );
    text.expect_code(1);
    assert!(
        text.stdout.contains("budget (3 of 3) ran out"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Best so far"), "{}", text.stdout);
    // Out of range budgets are usage errors.
    bisect(&fx, &[file.to_str().unwrap(), "--max-requests", "65"]).expect_code(2);
    bisect(&fx, &[file.to_str().unwrap(), "--max-requests", "0"]).expect_code(2);
}

#[test]
fn a_429_is_waited_out_and_the_same_request_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("picky-and-busy.toml");
    std::fs::write(
        &scenario,
        "reject_betas = [\"files-api-2025-04-14\"]\n\
         [pacing]\nfirst_byte_ms = 0\ntokens_per_second = 0\nping_interval_ms = 2000\n\
         [[faults]]\nkind = \"rate_limit\"\nat = [3]\nretry_after_secs = 1\n",
    )
    .unwrap();
    let busy = Fixture::start(scenario.to_str().unwrap());
    let file = write_body(&busy, "app.json", &app_body(false));
    let started = Instant::now();
    let run = bisect(
        &busy,
        &[file.to_str().unwrap(), "-H", THREE_BETAS, "--json"],
    );
    let took = started.elapsed();
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["finding"]["change"]["value"], REFUSED_BETA);
    // 1: the original (400), 2: with max_tokens 16 (400), 3: every change
    // at once, which the scenario answers 429 with retry-after 1 s, so 4
    // is that same candidate again.
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts[2]["status"], 429);
    assert_eq!(attempts[2]["verdict"], "transient");
    assert_eq!(attempts[3]["label"], attempts[2]["label"]);
    assert_eq!(attempts[3]["changes"], attempts[2]["changes"]);
    assert_eq!(attempts[3]["status"], 200);
    assert_eq!(attempts[3]["verdict"], "pass");
    // The retry counts toward the budget.
    assert_eq!(
        report["requests_used"].as_u64().unwrap() as usize,
        attempts.len()
    );
    assert!(
        took >= Duration::from_secs(1),
        "retry-after 1 s was not waited: {took:?}"
    );
}

#[test]
fn an_exchange_from_history_can_be_bisected() {
    let fx = Fixture::start("picky-gateway");
    let body = app_body(false);
    fx.send(&["-", "-H", THREE_BETAS], &body).expect_code(1);
    let listed = fx.run(&["history", "list", "--json"]);
    let row: Value = serde_json::from_str(listed.stdout.lines().next().unwrap()).unwrap();
    let id = row["id"].as_str().unwrap();
    let run = bisect(&fx, &[id, "--json"]);
    run.expect_code(0);
    assert_eq!(finding(&run)["change"]["value"], REFUSED_BETA);
    let unknown = bisect(&fx, &["ex_nope", "--json"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("no exchange with id"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_tapped_exchange_behind_a_gateway_prefix_is_bisected_with_the_clients_headers() {
    let fx = Fixture::start("picky-gateway");
    let gateway = format!("{}/anthropic", fx.base_url);
    let body = write_body(&fx, "app.json", &app_body(false));
    // An app (here `claudetui send`, standing in for Claude Code) sends
    // its own beta header through the tap; only the tap records.
    let app = fx.run(&[
        "tap",
        "--port",
        "0",
        "--upstream",
        &gateway,
        "--",
        env!("CARGO_BIN_EXE_claudetui"),
        "send",
        "--no-history",
        "--path",
        "/v1/messages?beta=true",
        body.to_str().unwrap(),
        "-H",
        THREE_BETAS,
    ]);
    app.expect_code(1);
    let listed = fx.run(&["history", "list", "--source", "tap", "--json"]);
    let row: Value = serde_json::from_str(listed.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["status"], 400, "{row}");
    let id = row["id"].as_str().unwrap();
    let shown = fx.run(&["history", "show", id, "--json"]).json();
    assert_eq!(
        shown["request"]["url"].as_str().unwrap(),
        format!("{gateway}/v1/messages?beta=true")
    );
    let args = ["bisect", "--base-url", &gateway, id, "--json"];
    let run = fx.run(&args);
    run.assert_no_key();
    run.expect_code(0);
    assert_eq!(
        finding(&run)["change"]["value"],
        REFUSED_BETA,
        "{}",
        run.stdout
    );
    let attempts = run.json()["attempts"].as_array().unwrap().len();
    assert!(attempts <= 64);
    // Every candidate went to the gateway's path, prefixed once (one
    // candidate drops the query).
    let sent = fx.run(&["history", "list", "--source", "claudetui", "--json"]);
    assert!(sent.stdout.lines().count() >= attempts);
    for line in sent.stdout.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let path = row["path"].as_str().unwrap();
        assert!(
            path == "/anthropic/v1/messages?beta=true" || path == "/anthropic/v1/messages",
            "{row}"
        );
    }
    assert_no_key_on_disk(&fx);
}

#[test]
fn claude_codes_own_request_through_the_claude_code_gateway_names_both_culprits() {
    use claudetui::api::claude_code;
    let fx = Fixture::start("claude-code-gateway");
    let body = claude_code::request_body("claude-opus-4-8", None, "say hi", 1024);
    let file = write_body(&fx, "claude-code.json", &body.to_string());
    let headers: Vec<String> = claude_code::headers()
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect();
    let mut args = vec![
        file.to_str().unwrap(),
        "--path",
        claude_code::MESSAGES_PATH,
        "--json",
    ];
    for header in &headers {
        args.extend(["-H", header.as_str()]);
    }
    let run = bisect(&fx, &args);
    run.expect_code(0);
    let report = run.json();
    assert!(
        report["original_failure"]["message"]
            .as_str()
            .unwrap()
            .contains(claude_code::PROMPT_CACHING_SCOPE_BETA),
        "{report}"
    );
    let found = &report["finding"];
    assert_eq!(found["result"], "combination", "{found}");
    let culprits: Vec<(&str, &str)> = found["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["value"].as_str().or(c["name"].as_str()).unwrap();
            (c["change"].as_str().unwrap(), name)
        })
        .collect();
    assert_eq!(
        culprits,
        [
            ("remove_beta", claude_code::PROMPT_CACHING_SCOPE_BETA),
            ("remove_field", claude_code::CONTEXT_MANAGEMENT_FIELD)
        ]
    );
    // Both are what CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 drops.
    assert!(
        culprits
            .iter()
            .all(|(_, n)| claude_code::dropped_by_setting(n))
    );
    assert!(report["requests_used"].as_u64().unwrap() <= 64);
    assert_no_key_on_disk(&fx);
}

#[test]
fn a_failure_bisect_cannot_simplify_away_is_reported_as_such() {
    let fx = Fixture::start("invalid-key");
    let file = write_body(&fx, "app.json", &app_body(false));
    let run = bisect(&fx, &[file.to_str().unwrap(), "-H", THREE_BETAS]);
    run.expect_code(1);
    assert!(run.stdout.contains("no culprit"), "{}", run.stdout);
    assert!(run.stdout.contains("the credential"), "{}", run.stdout);
}

#[test]
fn a_remote_server_needs_confirmation_and_nothing_is_sent_without_it() {
    let fx = Fixture::start("default");
    let file = write_body(&fx, "app.json", &app_body(false));
    let run = fx.run(&[
        "bisect",
        file.to_str().unwrap(),
        "--base-url",
        "https://api.anthropic.com",
    ]);
    run.expect_code(2);
    run.assert_no_key();
    assert!(run.stderr.contains("at most 64 requests"), "{}", run.stderr);
    assert!(run.stderr.contains("output tokens"), "{}", run.stderr);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(!run.stderr.contains(TEST_KEY));
}

#[test]
fn bad_input_is_a_usage_error() {
    let fx = Fixture::start("default");
    let broken = write_body(&fx, "broken.json", "{\"model\": \"x\",}");
    let run = bisect(&fx, &[broken.to_str().unwrap()]);
    run.expect_code(2);
    assert!(run.stderr.contains("not valid JSON"), "{}", run.stderr);
    bisect(&fx, &["no-such-file.json"]).expect_code(2);
}

#[test]
fn a_tool_conversation_like_claude_codes_is_bisected_without_breaking_it() {
    let fx = Fixture::start("picky-gateway");
    let tool_use = |id: &str| serde_json::json!({"type": "tool_use", "id": id, "name": "get_time", "input": {}});
    let tool_result = |id: &str| serde_json::json!({"type": "tool_result", "tool_use_id": id, "content": "12:00"});
    let body = serde_json::json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 1024,
        "stream": true,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "get_time", "input_schema": {"type": "object", "properties": {}}}],
        "messages": [
            {"role": "user", "content": "What time is it?"},
            {"role": "assistant", "content": [{"type": "text", "text": "Checking."}, tool_use("toolu_1")]},
            {"role": "user", "content": [tool_result("toolu_1")]},
            {"role": "assistant", "content": "It is noon."},
            {"role": "user", "content": "And now?"},
            {"role": "assistant", "content": [tool_use("toolu_2")]},
            {"role": "user", "content": [tool_result("toolu_2")]}
        ]
    });
    let file = write_body(&fx, "claude-code.json", &body.to_string());
    let run = bisect(
        &fx,
        &[
            file.to_str().unwrap(),
            "--path",
            "/v1/messages?beta=true",
            "-H",
            THREE_BETAS,
            "--json",
        ],
    );
    run.expect_code(0);
    let report = run.json();
    assert_eq!(
        report["finding"]["change"]["value"], REFUSED_BETA,
        "{report}"
    );
    // No candidate was refused for a reason of bisect's own making.
    for attempt in report["attempts"].as_array().unwrap() {
        assert_ne!(attempt["verdict"], "other_failure", "{attempt}");
    }
}

#[test]
fn an_unreachable_server_is_a_transport_failure() {
    let fx = Fixture::start("default");
    let file = write_body(&fx, "app.json", &app_body(false));
    let run = fx.run(&[
        "bisect",
        file.to_str().unwrap(),
        "--base-url",
        "http://127.0.0.1:1",
    ]);
    run.expect_code(3);
    run.assert_no_key();
    assert!(
        run.stdout.contains("could not be reached"),
        "{}",
        run.stdout
    );
}

#[test]
fn max_tokens_over_the_models_limit_is_found_in_two_requests() {
    let fx = Fixture::start("default");
    let body = app_body(false).replace("\"max_tokens\": 256", "\"max_tokens\": 1000000");
    let file = write_body(&fx, "too-many.json", &body);
    let run = bisect(&fx, &[file.to_str().unwrap(), "--json", "--no-history"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["finding"]["change"]["change"], "lower_max_tokens");
    assert_eq!(report["finding"]["change"]["from"], 1_000_000);
    assert_eq!(report["requests_used"], 2);
    assert!(report["passing_exchange"].is_string(), "{report}");
    // --no-history: nothing was kept.
    let listed = fx.run(&["history", "list", "--json"]);
    assert!(listed.stdout.trim().is_empty(), "{}", listed.stdout);
}
