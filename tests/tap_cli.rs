//! `claudetui tap` from the shell: the `-- COMMAND` wrapper (environment,
//! exit code, summary), the long-running tap with its live lines, the
//! history of what it saw, and no key or token in anything it wrote.

mod common;

use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Fixture, TEST_KEY, key_body};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(30);

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_claudetui")
}

/// What the tap recorded, newest first, as `history list --json` gives it.
fn tapped_rows(fixture: &Fixture) -> Vec<Value> {
    let listed = fixture.run(&["history", "list", "--source", "tap", "--json"]);
    listed.expect_code(0);
    listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `claudetui send --no-history ARGS` run through the tap as its command.
fn send_through_tap(fixture: &Fixture, tap_flags: &[&str], send_args: &[&str]) -> common::Run {
    let mut args = tap_flags.to_vec();
    args.extend(["--", exe(), "send", "--no-history"]);
    args.extend_from_slice(send_args);
    tap(fixture, &args)
}

fn tap(fixture: &Fixture, extra: &[&str]) -> common::Run {
    let mut args = vec!["tap", "--port", "0", "--upstream", &fixture.base_url];
    args.extend_from_slice(extra);
    fixture.run(&args)
}

#[test]
fn a_wrapped_command_goes_through_the_tap_and_its_exit_code_comes_back() {
    let fixture = Fixture::start("default");
    let run = send_through_tap(&fixture, &[], &["--max-tokens", "16"]);
    run.expect_code(0);
    run.assert_no_key();
    assert!(run.stdout.contains("You said"), "{run:?}");
    assert!(
        run.stderr
            .contains("claudetui tap: 1 request through http://127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(": 1 ok;"), "{}", run.stderr);
    let rows = tapped_rows(&fixture);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["source"], "tap");
    assert_eq!(rows[0]["attempt"], 1);
    assert!(
        rows[0]["client"]
            .as_str()
            .unwrap()
            .starts_with("claudetui/"),
        "{}",
        rows[0]
    );
    let mine = fixture.run(&["history", "list", "--source", "claudetui", "--json"]);
    assert_eq!(mine.stdout.trim(), "", "the child sent with --no-history");
    let by_client = fixture.run(&["history", "list", "--client", "claudetui", "--json"]);
    assert_eq!(by_client.stdout.lines().count(), 1);
}

#[test]
fn the_commands_exit_code_and_environment_are_its_own() {
    let fixture = Fixture::start("default");
    let out = fixture.home.path().join("env.txt");
    let script = format!(
        "printf '%s\\n%s\\n' \"$ANTHROPIC_BASE_URL\" \"$ANTHROPIC_API_KEY\" > '{}'; exit 7",
        out.display()
    );
    let run = tap(&fixture, &["--", "sh", "-c", &script]);
    run.expect_code(7);
    let written = std::fs::read_to_string(&out).unwrap();
    let mut lines = written.lines();
    let base_url = lines.next().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{written}");
    assert!(
        run.stderr.contains(&format!("listening on {base_url} →")),
        "{}",
        run.stderr
    );
    assert_eq!(lines.next(), Some(TEST_KEY), "the key is the client's own");
    assert!(run.stderr.contains("0 requests"), "{}", run.stderr);
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_the_signal() {
    let fixture = Fixture::start("default");
    let run = tap(&fixture, &["--", "sh", "-c", "kill -TERM $$"]);
    run.expect_code(128 + 15);
}

#[test]
fn a_command_that_does_not_exist_is_a_usage_error() {
    let fixture = Fixture::start("default");
    let run = tap(&fixture, &["--", "claudetui-no-such-program"]);
    run.expect_code(2);
    assert!(run.stderr.contains("could not start"), "{}", run.stderr);
    assert!(run.stderr.contains("PATH"), "{}", run.stderr);
}

#[test]
fn an_upstream_that_is_the_tap_itself_is_refused() {
    let fixture = Fixture::start("default");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut command = fixture.command(&["tap", "--port", &port.to_string(), "--", "true"]);
    command.env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"));
    let run = common::run(command, "");
    run.expect_code(2);
    assert!(run.stderr.contains("is the tap itself"), "{}", run.stderr);
}

#[test]
fn failures_are_summarised_and_no_key_or_token_reaches_a_file() {
    let fixture = Fixture::start("default");
    let token = "gw-tok-NEVER0WRITTEN1ANYWHERE2x";
    let header = format!("x-gateway-token: {token}");
    let run = send_through_tap(&fixture, &[], &["--force", "-H", &header, "-"]);
    // `send` read `-` from the tap's stdin: an empty body, a 400.
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("1 failed (1 bad-request)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Look at: ex_"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(token) && !run.stdout.contains(token),
        "{run:?}"
    );
    run.assert_no_key();
    common::assert_no_secret_in_dir(fixture.home.path(), &[key_body(), "NEVER0WRITTEN1"]);
}

/// Reads the tap's stderr on a thread, line by line.
struct Lines(mpsc::Receiver<String>);

impl Lines {
    fn until(&self, wanted: &str) -> String {
        let end = Instant::now() + DEADLINE;
        let mut seen = String::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.0.recv_timeout(left) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if line.contains(wanted) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with `{wanted}` before the deadline; saw:\n{seen}");
    }
}

#[test]
fn a_long_running_tap_prints_a_line_per_exchange_and_a_summary_on_sigterm() {
    let fixture = Fixture::start("default");
    let mut child = fixture
        .command(&["tap", "--port", "0", "--upstream", &fixture.base_url])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = common::lines_of(child.stderr.take().unwrap());
    let lines = Lines(rx);
    let banner = lines.until("ANTHROPIC_BASE_URL=");
    let url = banner
        .split("ANTHROPIC_BASE_URL=")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let sent = fixture.run(&["send", "--base-url", &url, "--no-history"]);
    sent.expect_code(0);
    let live = lines.until("POST /v1/messages");
    assert!(live.contains(" 200 ok"), "{live}");
    assert!(live.contains("claudetui/"), "{live}");
    assert!(!live.contains(key_body()));
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let summary = lines.until("claudetui tap: 1 request");
    assert!(summary.contains("1 ok"), "{summary}");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_captured_failure_is_shown_diagnosed_exported_and_linted() {
    let fixture = Fixture::start("default");
    let body = fixture.home.path().join("hot.json");
    std::fs::write(
        &body,
        r#"{"model":"claude-sonnet-4-6","max_tokens":64,"temperature":1.5,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .unwrap();
    let run = send_through_tap(&fixture, &[], &["--force", body.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    let rows = tapped_rows(&fixture);
    let id = rows[0]["id"].as_str().unwrap();
    let shown = fixture.run(&["history", "show", id]);
    shown.expect_code(0);
    assert!(shown.stdout.contains("temperature"), "{}", shown.stdout);
    let diagnosis = fixture.run(&["history", "diagnose", id]);
    diagnosis.expect_code(0);
    assert!(
        diagnosis.stdout.contains("temperature"),
        "{}",
        diagnosis.stdout
    );
    let curl = fixture.run(&["history", "export", id]);
    curl.expect_code(0);
    assert!(
        curl.stdout.contains("$ANTHROPIC_API_KEY"),
        "{}",
        curl.stdout
    );
    let lint = fixture.run(&["lint", id]);
    lint.expect_code(1);
    assert!(lint.stdout.contains("temperature"), "{}", lint.stdout);
    assert!(lint.stdout.contains(id), "{}", lint.stdout);
    for run in [&shown, &diagnosis, &curl, &lint] {
        run.assert_no_key();
    }
}

#[test]
fn history_diff_compares_two_turns_of_a_tapped_conversation() {
    let fixture = Fixture::start("default");
    let first = fixture.home.path().join("turn1.json");
    let second = fixture.home.path().join("turn2.json");
    std::fs::write(
        &first,
        r#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#,
    )
    .unwrap();
    std::fs::write(
        &second,
        r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"and now?"}]}"#,
    )
    .unwrap();
    let script = format!(
        "'{exe}' send --no-history '{}' && '{exe}' send --no-history -H 'anthropic-beta: effort-2025-11-24' '{}'",
        first.display(),
        second.display(),
        exe = exe()
    );
    tap(&fixture, &["--", "sh", "-c", &script]).expect_code(0);
    let listed = fixture.run(&["history", "list", "--source", "tap", "--json"]);
    let ids: Vec<String> = listed
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    // One id: compared with the turn before it.
    let run = fixture.run(&["history", "diff", &ids[0]]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with(&format!("{} → {}", ids[1], ids[0])),
        "{}",
        run.stdout
    );
    for wanted in [
        "conversation: 1 → 3 messages (1 kept, 2 added)",
        "+ messages.1   assistant \"Hello!\"",
        "+ messages.2   user      \"and now?\"",
        "max_tokens: 32 → 64",
        "anthropic-beta: + effort-2025-11-24",
        "~ max_tokens  32 → 64",
        "+ anthropic-beta  effort-2025-11-24",
    ] {
        assert!(
            run.stdout.contains(wanted),
            "no `{wanted}` in:\n{}",
            run.stdout
        );
    }
    let json = fixture
        .run(&["history", "diff", &ids[1], &ids[0], "--json"])
        .json();
    assert_eq!(json["conversation"]["kept"], 1);
    assert_eq!(json["conversation"]["added"].as_array().unwrap().len(), 2);
    let first_alone = fixture.run(&["history", "diff", &ids[1]]);
    first_alone.expect_code(2);
    assert!(
        first_alone.stderr.contains("first exchange"),
        "{}",
        first_alone.stderr
    );
}

#[test]
fn print_ca_makes_the_ca_once_and_prints_where_it_is() {
    let fixture = Fixture::start("default");
    let first = fixture.run(&["tap", "--print-ca"]);
    first.expect_code(0);
    let path = std::path::PathBuf::from(first.stdout.trim());
    assert!(path.starts_with(fixture.data_dir()), "{first:?}");
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(
        first.stderr.contains("can only sign for api.anthropic.com"),
        "{}",
        first.stderr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = path.with_file_name("ca-key.pem");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = fixture.run(&["tap", "--print-ca"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        pem,
        "made once, reused"
    );
    assert_eq!(again.stdout, first.stdout);
}

#[test]
fn with_mitm_the_command_gets_the_proxy_and_the_ca_to_trust() {
    let fixture = Fixture::start("default");
    let out = fixture.home.path().join("env.txt");
    let script = format!(
        "printf '%s\\n%s\\n%s\\n%s\\n' \"$ANTHROPIC_BASE_URL\" \"$HTTPS_PROXY\" \"$NODE_EXTRA_CA_CERTS\" \"$NO_PROXY\" > '{}'",
        out.display()
    );
    let run = tap(&fixture, &["--mitm", "--", "sh", "-c", &script]);
    run.expect_code(0);
    let written = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert!(lines[0].starts_with("http://127.0.0.1:"), "{written}");
    assert_eq!(lines[1], lines[0], "the proxy is the tap itself");
    assert!(lines[2].ends_with("tap-ca/ca.pem"), "{written}");
    assert!(std::path::Path::new(lines[2]).exists());
    assert!(
        lines[3].contains("127.0.0.1"),
        "loopback stays direct: {written}"
    );
    assert!(run.stderr.contains("also an HTTPS proxy"), "{}", run.stderr);
}

#[test]
fn mitm_is_refused_on_a_network_address() {
    let fixture = Fixture::start("default");
    let run = tap(&fixture, &["--mitm", "--bind", "0.0.0.0", "--", "true"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("only listens on loopback"),
        "{}",
        run.stderr
    );
}
