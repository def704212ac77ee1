//! `claudetui lint` end to end: the real binary on files and standard input.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, Run, TEST_KEY, key_body, run};
use serde_json::Value;

const VALID: &str = r#"{
  "model": "claude-haiku-4-5",
  "max_tokens": 256,
  "messages": [{"role": "user", "content": "Hello"}]
}"#;

fn write(fx: &Fixture, name: &str, contents: &[u8]) -> PathBuf {
    let path = fx.home.path().join(name);
    std::fs::write(&path, contents).expect("write the body");
    path
}

fn lint(fx: &Fixture, path: &Path, extra: &[&str]) -> Run {
    let path = path.to_string_lossy().into_owned();
    let mut args = vec!["lint", path.as_str()];
    args.extend_from_slice(extra);
    let run = fx.run(&args);
    run.assert_no_key();
    run
}

fn lint_stdin(fx: &Fixture, body: &str, extra: &[&str]) -> Run {
    let mut args = vec!["lint", "-"];
    args.extend_from_slice(extra);
    let run = run(fx.command(&args), body);
    run.assert_no_key();
    run
}

#[test]
fn a_valid_file_passes() {
    let fx = Fixture::start("default");
    let path = write(&fx, "ok.json", VALID.as_bytes());
    let run = lint(&fx, &path, &[]);
    run.expect_code(0);
    assert_eq!(run.stdout, "no problems\n");
    assert_eq!(run.stderr, "");
}

/// Each kind of broken body: exit 1, and the first line names the place.
#[test]
fn each_kind_of_broken_file_fails_at_its_line_and_column() {
    let fx = Fixture::start("default");
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "trailing comma",
            b"{\n  \"model\": \"claude-haiku-4-5\",\n  \"max_tokens\": 64,\n}\n",
            ":4:1  error  The request body is not valid JSON: trailing comma is not allowed",
        ),
        (
            "raw newline in a string",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64,\n \"messages\": [{\"role\": \"user\", \"content\": \"two\nlines\"}]}",
            ":2:47  error  The request body is not valid JSON: unexpected control character in string",
        ),
        (
            "smart quotes",
            "{\n  \u{201c}model\u{201d}: \"claude-haiku-4-5\"}".as_bytes(),
            ":2:3  error  The request body is not valid JSON",
        ),
        (
            "byte order mark",
            format!("\u{feff}{VALID}").as_bytes().to_vec().leak(),
            ":1:1  error  The request body is not valid JSON",
        ),
        (
            "missing max_tokens",
            b"{\"model\": \"claude-haiku-4-5\",\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            ":1:1  error  max_tokens: Field required",
        ),
        (
            "unknown field",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64,\n \"max_token\": 64,\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            ":2:2  error  max_token: Extra inputs are not permitted",
        ),
        (
            "temperature out of range",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64,\n  \"temperature\": 1.5,\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            ":2:3  error  temperature: Input should be less than or equal to 1",
        ),
        (
            "empty text block",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64, \"messages\": [\n  {\"role\": \"user\",\n   \"content\": [{\"type\": \"text\", \"text\": \"\"}]}]}",
            ":3:33  error  messages.0.content.0.text: text content blocks must be non-empty",
        ),
        (
            "tool_result without its tool_use",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64, \"messages\": [\n {\"role\": \"user\", \"content\": [\n   {\"type\": \"tool_result\", \"tool_use_id\": \"toolu_1\", \"content\": \"3C\"}]}]}",
            ":3:4  error  messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1",
        ),
        (
            "tool_choice naming an unknown tool",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64,\n \"tools\": [{\"name\": \"get_weather\", \"input_schema\": {\"type\": \"object\"}}],\n \"tool_choice\": {\"type\": \"tool\", \"name\": \"weather\"},\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            ":3:34  error  tool_choice.name: Tool 'weather' not found in tools",
        ),
        (
            "max_tokens over the model's limit",
            b"{\"model\": \"claude-haiku-4-5\",\n \"max_tokens\": 1000000,\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            ":2:2  error  max_tokens: 1000000 > 64000",
        ),
        (
            "not UTF-8",
            b"{\"model\": \"claude-haiku-4-5\",\n \"x\": \x93hi\x94}",
            ":2:7  error  The request body is not valid JSON: input is not valid UTF-8",
        ),
    ];
    for (kind, body, expected) in cases {
        let path = write(&fx, "broken.json", body);
        let run = lint(&fx, &path, &[]);
        run.expect_code(1);
        let first = run.stdout.lines().next().unwrap_or_default();
        let wanted = format!("{}{expected}", path.display());
        assert!(
            first.starts_with(&wanted),
            "{kind}: expected `{wanted}`, got\n{}",
            run.stdout
        );
        assert!(
            run.stdout
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("  fix: ")),
            "{kind}: no fix\n{}",
            run.stdout
        );
        assert!(
            run.stdout
                .lines()
                .last()
                .is_some_and(|l| l.contains(" error")),
            "{kind}: no summary\n{}",
            run.stdout
        );
    }
}

#[test]
fn warnings_alone_exit_0() {
    let fx = Fixture::start("default");
    let body = r#"{"model": "claude-sonet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}"#;
    let run = lint_stdin(&fx, body, &[]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with("<stdin>:1:2  warning  model: claude-sonet-4-6\n  fix: Closest known ids: claude-sonnet-4-6"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("0 errors, 1 warning\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_output_lists_every_problem_with_its_place() {
    let fx = Fixture::start("default");
    let body =
        "{\n  \"model\": \"claude-haiku-4-5\",\n  \"temperature\": 3,\n  \"messages\": []\n}";
    let run = lint_stdin(&fx, body, &["--json"]);
    run.expect_code(1);
    let json = run.json();
    assert_eq!(json["file"], "<stdin>");
    assert_eq!(json["anthropic_version"], "2023-06-01");
    let problems = json["problems"].as_array().expect("problems");
    assert_eq!(
        json["summary"],
        serde_json::json!({"errors": problems.len(), "warnings": 0})
    );
    let keys = [
        "line",
        "column",
        "exact",
        "severity",
        "path",
        "pointer",
        "message",
        "fix",
        "api_message",
        "status",
    ];
    for problem in problems {
        for key in keys {
            assert!(problem.get(key).is_some(), "{key} missing in {problem}");
        }
    }
    let by_path = |path: &str| -> &Value {
        problems
            .iter()
            .find(|p| p["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in {problems:#?}"))
    };
    let missing = by_path("max_tokens");
    assert_eq!(
        (&missing["line"], &missing["column"], &missing["exact"]),
        (&Value::from(1), &Value::from(1), &Value::from(false))
    );
    assert_eq!(missing["api_message"], "max_tokens: Field required");
    let temperature = by_path("temperature");
    assert_eq!(
        (&temperature["line"], &temperature["column"]),
        (&Value::from(3), &Value::from(3))
    );
    assert_eq!(temperature["severity"], "error");
    assert_eq!(temperature["pointer"], "/temperature");
    assert_eq!(temperature["status"], 400);
    // Reading order.
    let lines: Vec<u64> = problems.iter().filter_map(|p| p["line"].as_u64()).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn stdin_is_read_with_a_dash() {
    let fx = Fixture::start("default");
    lint_stdin(&fx, VALID, &[]).expect_code(0);
    let run = lint_stdin(&fx, "{\"model\": \"claude-haiku-4-5\"}", &[]);
    run.expect_code(1);
    assert!(
        run.stdout
            .starts_with("<stdin>:1:1  error  max_tokens: Field required"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("2 errors, 0 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let fx = Fixture::start("default");
    for path in [
        fx.home.path().join("missing.json"),
        fx.home.path().to_path_buf(),
    ] {
        let run = lint(&fx, &path, &[]);
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains("could not read"), "{}", run.stderr);
    }
}

#[test]
fn an_openai_body_is_recognised() {
    let fx = Fixture::start("default");
    let body = r#"{
  "model": "gpt-4o",
  "messages": [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"}
  ],
  "n": 1,
  "frequency_penalty": 0.2,
  "response_format": {"type": "json_object"}
}"#;
    let run = lint_stdin(&fx, body, &[]);
    run.expect_code(1);
    assert_eq!(
        run.stdout
            .matches("looks like an OpenAI Chat Completions request")
            .count(),
        1,
        "{}",
        run.stdout
    );
    for expected in [
        "<stdin>:1:1  error  max_tokens: Field required",
        "<stdin>:7:3  error  n: Extra inputs are not permitted",
        "<stdin>:8:3  error  frequency_penalty: Extra inputs are not permitted",
        "<stdin>:2:3  warning  model: gpt-4o\n  fix: That is an OpenAI model",
        "<stdin>:4:6  warning  messages.0.role: a system message must immediately follow a user message",
    ] {
        assert!(
            run.stdout.contains(expected),
            "`{expected}` missing:\n{}",
            run.stdout
        );
    }
}

#[test]
fn the_anthropic_version_changes_the_rules() {
    let fx = Fixture::start("default");
    let body = r#"{"model": "claude-haiku-4-5", "max_tokens": 64, "top_k": 5, "messages": [{"role": "user", "content": "Hi"}]}"#;
    lint_stdin(&fx, body, &[]).expect_code(0);
    let newer = lint_stdin(&fx, body, &["--anthropic-version", "2026-10-21"]);
    newer.expect_code(1);
    assert!(
        newer
            .stdout
            .contains("top_k: Extra inputs are not permitted"),
        "{}",
        newer.stdout
    );
    lint_stdin(&fx, body, &["--anthropic-version", "1999-01-01"]).expect_code(2);
}

#[test]
fn a_key_in_the_body_never_reaches_the_output() {
    let fx = Fixture::start("default");
    let body = format!(
        r#"{{"model": "{TEST_KEY}", "api_key": "{TEST_KEY}", "max_tokens": 64, "messages": [{{"role": "user", "content": "{TEST_KEY}"}}]}}"#
    );
    for extra in [&[][..], &["--json"][..]] {
        let run = lint_stdin(&fx, &body, extra);
        run.expect_code(1);
        assert!(run.stdout.contains("api_key"), "{}", run.stdout);
        assert!(!run.stdout.contains(key_body()));
    }
}

/// One validator: the embedded server answers the first error lint reports.
#[test]
fn the_server_answers_with_the_first_error_lint_reports() {
    let fx = Fixture::start("default");
    let bodies = [
        r#"{"model":"claude-haiku-4-5","max_tokens":64,"stop":["x"],"messages":[{"role":"user","content":"hi"}]}"#,
        r#"{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]}]}"#,
        r#"{"model":"claude-haiku-4-5","max_tokens":64,"system":[{"type":"text","text":""}],"messages":[{"role":"user","content":"hi"}]}"#,
    ];
    for body in bodies {
        let linted = lint_stdin(&fx, body, &["--json"]);
        linted.expect_code(1);
        let first_error = linted.json()["problems"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["severity"] == "error").cloned())
            .expect("an error");
        let sent = fx.send(&["-", "--json", "--no-history"], body);
        sent.expect_code(1);
        assert_eq!(
            sent.json()["outcome"]["message"],
            first_error["api_message"],
            "{body}"
        );
    }
}
