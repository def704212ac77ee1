//! The binary's other commands: `mock` as a long-running server that stops
//! cleanly on SIGTERM, scenario listing, a broken history store, and the
//! dashboard's entry point without a terminal and with a bad [keys] table.

mod common;

use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::{Fixture, HELLO};

#[test]
fn mock_serves_until_sigterm_and_send_works_against_it() {
    let fx = Fixture::start("default");
    let mut mock = fx.command(&[
        "mock",
        "--port",
        "0",
        "--scenario",
        "overloaded",
        "--speed",
        "0",
    ]);
    mock.stdin(Stdio::null());
    let mut child = mock.spawn().unwrap();
    let lines = common::lines_of(child.stdout.take().unwrap());
    let first = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the mock prints where it listens");
    let url = first
        .split("listening on ")
        .nth(1)
        .expect(&first)
        .trim()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    let mut send = fx.command(&["send", "--base-url", &url, "-"]);
    send.env("CLAUDETUI_DATA_DIR", fx.home.path().join("other-data"));
    let run = common::run(send, HELLO);
    run.expect_code(1);
    assert!(
        run.stderr.contains("overloaded"),
        "the scenario answered:\n{}",
        run.stderr
    );

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let exit = done
        .recv_timeout(Duration::from_secs(20))
        .expect("the mock stops on SIGTERM")
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn mock_lists_its_scenarios() {
    let fx = Fixture::start("default");
    let run = fx.run(&["mock", "--list-scenarios"]);
    run.expect_code(0);
    for name in [
        "default",
        "lively",
        "rate-limited",
        "overloaded",
        "drop-mid-stream",
        "region-block",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{}",
            run.stdout
        );
    }
    let unknown = fx.run(&["mock", "--scenario", "no-such-scenario", "--port", "0"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("lively"),
        "the error lists the names:\n{}",
        unknown.stderr
    );
}

#[test]
fn a_corrupt_history_is_moved_aside_and_send_still_works() {
    let fx = Fixture::start("default");
    std::fs::create_dir_all(fx.data_dir()).unwrap();
    let db = fx.data_dir().join("history.db");
    std::fs::write(&db, b"this is not a database, it is garbage".repeat(200)).unwrap();
    let run = fx.send(&["-"], HELLO);
    run.expect_code(0);
    assert!(run.stderr.contains("moved aside"), "{}", run.stderr);
    let moved: Vec<_> = std::fs::read_dir(fx.data_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("history.db.corrupt-")
        })
        .collect();
    assert_eq!(moved.len(), 1, "the old file is kept");
    assert_eq!(
        fx.run(&["history", "list", "--json"])
            .stdout
            .lines()
            .count(),
        1
    );
}

#[test]
fn the_dashboard_without_a_terminal_says_so_and_leaves_nothing_behind() {
    let fx = Fixture::start("default");
    let run = fx.run(&["--demo"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("cannot take over the terminal")
            && run.stderr.contains("interactive terminal"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_keys_table_stops_the_dashboard_with_the_line_to_fix() {
    let fx = Fixture::start("default");
    std::fs::create_dir_all(fx.config_file().parent().unwrap()).unwrap();
    for (keys, expected) in [
        ("replya = \"r\"", "no action named `replya`"),
        ("send = \"ctrl-ss\"", "`send = \"ctrl-ss\"` is not a key"),
        ("diagnose = \"r\"", "bound to both `replay` and `diagnose`"),
    ] {
        std::fs::write(fx.config_file(), format!("[keys]\n{keys}\n")).unwrap();
        let run = fx.run(&["--demo"]);
        run.expect_code(2);
        assert!(run.stderr.contains(expected), "{keys}: {}", run.stderr);
        assert!(
            run.stderr.contains("config.toml"),
            "names the file: {}",
            run.stderr
        );
    }
}

#[test]
fn help_and_version_work() {
    let fx = Fixture::start("default");
    let help = fx.run(&["--help"]);
    help.expect_code(0);
    assert!(
        help.stdout.contains("send") && help.stdout.contains("Exit codes"),
        "{}",
        help.stdout
    );
    fx.run(&["--version"]).expect_code(0);
    let bad = fx.run(&["send", "--retries", "lots"]);
    bad.expect_code(2);
}
