//! `claudetui mock --record` from the shell: every exchange it served is
//! in the history as source `mock`, and no key reaches any file.

mod common;

use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use common::{Fixture, key_body};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(30);

/// A running `claudetui mock`; its stdout is read to the end on a thread.
struct Running {
    child: Child,
    url: String,
    _lines: mpsc::Receiver<String>,
}

/// `claudetui mock ARGS`, and the base URL its banner gives.
fn start_mock(fixture: &Fixture, args: &[&str]) -> Running {
    let mut full = vec!["mock", "--port", "0", "--speed", "0"];
    full.extend_from_slice(args);
    let mut child = fixture.command(&full).spawn().unwrap();
    let rx = common::lines_of(child.stdout.take().unwrap());
    let banner = rx
        .recv_timeout(DEADLINE)
        .expect("the mock prints its banner");
    let url = banner
        .strip_prefix("claudetui mock: listening on ")
        .unwrap_or_else(|| panic!("unexpected banner: {banner}"))
        .to_owned();
    Running {
        child,
        url,
        _lines: rx,
    }
}

/// SIGTERM, then the exit code (the mock writes what it recorded first).
fn stop(running: Running) -> Option<i32> {
    let mut child = running.child;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let exit = done
        .recv_timeout(DEADLINE)
        .expect("the mock stops on SIGTERM");
    exit.unwrap().code()
}

fn rows(fixture: &Fixture, source: &str) -> Vec<Value> {
    let listed = fixture.run(&["history", "list", "--source", source, "--json"]);
    listed.expect_code(0);
    listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_recording_mock_keeps_every_exchange_it_served_with_keys_masked() {
    let fixture = Fixture::start("default");
    let mock = start_mock(&fixture, &["--record"]);
    let url = mock.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let token = "gw-tok-NEVER0WRITTEN1ANYWHERE2x";
    let header = format!("x-gateway-token: {token}");
    let ok = fixture.run(&["send", "--base-url", &url, "--no-history", "-H", &header]);
    ok.expect_code(0);
    assert!(ok.stdout.contains("You said"), "{ok:?}");
    let missing = fixture.run(&[
        "send",
        "--base-url",
        &url,
        "--no-history",
        "--path",
        "/v1/complete",
    ]);
    missing.expect_code(1);
    assert_eq!(stop(mock), Some(0));

    let recorded = rows(&fixture, "mock");
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let statuses: Vec<&Value> = recorded.iter().map(|r| &r["status"]).collect();
    assert_eq!(statuses, [404, 200], "newest first");
    for row in &recorded {
        assert_eq!(row["source"], "mock", "{row}");
        assert!(row["client"].as_str().unwrap().starts_with("claudetui/"));
    }
    assert!(rows(&fixture, "tap").is_empty());
    assert!(
        rows(&fixture, "claudetui").is_empty(),
        "send ran --no-history"
    );

    // The request as the client sent it: to the mock's own address, with
    // the key and the token masked.
    let id = recorded[1]["id"].as_str().unwrap();
    let shown = fixture.run(&["history", "show", id, "--json"]);
    shown.expect_code(0);
    shown.assert_no_key();
    let exchange = shown.json();
    assert_eq!(
        exchange["request"]["url"].as_str().unwrap(),
        format!("{url}/v1/messages")
    );
    let headers = exchange["request"]["headers"].as_array().unwrap();
    let value = |name: &str| {
        headers
            .iter()
            .find(|h| h["name"].as_str() == Some(name))
            .and_then(|h| h["value"].as_str())
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
            .to_owned()
    };
    assert!(value("x-api-key").starts_with("sk-ant-…"), "{headers:?}");
    assert!(!value("x-gateway-token").contains(token), "{headers:?}");
    assert_eq!(exchange["response"]["status"], 200);
    common::assert_no_secret_in_dir(fixture.home.path(), &[key_body(), "NEVER0WRITTEN1"]);
}

#[test]
fn without_record_the_mock_writes_no_history() {
    let fixture = Fixture::start("default");
    let mock = start_mock(&fixture, &[]);
    fixture
        .run(&["send", "--base-url", &mock.url, "--no-history"])
        .expect_code(0);
    assert_eq!(stop(mock), Some(0));
    assert!(rows(&fixture, "mock").is_empty());
}

#[test]
fn history_refuses_an_unknown_source_and_names_mock() {
    let fixture = Fixture::start("default");
    let run = fixture.run(&["history", "list", "--source", "mocked"]);
    run.expect_code(2);
    assert!(run.stderr.contains("`mock`"), "{}", run.stderr);
}
