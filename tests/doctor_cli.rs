//! `claudetui doctor` end to end: the real binary against the embedded
//! server (and against addresses where something is wrong on purpose),
//! each step made to fail in turn, asserting the verdict and the fix it
//! prints, the exit code, the JSON shape, and that no output holds the key.

mod common;

use std::net::TcpListener as StdListener;

use claudetui::api::errors::FailureKind;
use common::{Fixture, HELLO, Run, TEST_KEY};
use serde_json::Value;
use tokio::io::{AsyncWriteExt, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};

/// `claudetui doctor --json --base-url BASE ARGS`, parsed.
fn doctor_json(fx: &Fixture, base: &str, args: &[&str]) -> (Run, Value) {
    let mut full = vec![
        "doctor",
        "--json",
        "--base-url",
        base,
        "--step-timeout",
        "5",
    ];
    full.extend_from_slice(args);
    let run = fx.run(&full);
    run.assert_no_key();
    let json = run.json();
    (run, json)
}

/// The JSON of step `id` (`network_path`, …).
fn step<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no step {id} in {json:#}"))
}

fn text<'a>(step: &'a Value, field: &str) -> &'a str {
    step[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} of {step:#} is not text"))
}

fn assert_state(json: &Value, id: &str, state: &str) {
    assert_eq!(step(json, id)["state"], state, "{:#}", step(json, id));
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An HTTPS server with a fresh self-signed certificate for localhost and
/// 127.0.0.1: it completes handshakes and answers nothing. Returns its
/// port and the certificate as PEM.
async fn self_signed_server() -> (u16, String) {
    let (acceptor, pem) = common::self_signed_acceptor();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(socket).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (port, pem)
}

/// An HTTP CONNECT proxy that tunnels every request to `127.0.0.1:to`,
/// whatever it is asked for. Returns its port.
async fn connect_proxy(to: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    use tokio::io::AsyncReadExt;
                    match client.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", to)).await else {
                    return;
                };
                let reply = b"HTTP/1.1 200 Connection established\r\n\r\n";
                if client.write_all(reply).await.is_ok() {
                    let _ = copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    port
}

#[test]
fn a_healthy_setup_passes_every_step_and_prints_them_in_order() {
    let fx = Fixture::start("default");
    let run = fx.run(&["doctor", "--base-url", &fx.base_url]);
    run.expect_code(0).assert_no_key();
    let titles = [
        "✓ 1. Configuration: key sk-ant-…",
        "✓ 2. Network path: direct to 127.0.0.1:",
        "✓ 3. Reachability:",
        "✓ 4. Authentication and permission: key accepted",
        "✓ 5. Model: claude-sonnet-4-6 (Claude Sonnet 4.6) is offered by the server",
        "✓ 6. Payload: lint found nothing the API would refuse;",
        "✓ 7. Rate limits: headroom now: requests",
        "✓ 8. Billing: no billing error",
        "- 9. Claude Code: no Claude Code configuration found",
    ];
    let mut at = 0;
    for title in titles {
        let found = run.stdout[at..]
            .find(title)
            .unwrap_or_else(|| panic!("`{title}` missing or out of order:\n{}", run.stdout));
        at += found + title.len();
    }
    assert!(
        run.stdout
            .contains("      TLS: does not apply, the base URL is plain http"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("9 steps: 8 pass, 0 warn, 0 fail, 1 skipped"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("fix:"), "{}", run.stdout);
}

#[test]
fn the_json_report_has_every_step_and_a_summary() {
    let fx = Fixture::start("default");
    let (run, json) = doctor_json(&fx, &fx.base_url, &[]);
    run.expect_code(0);
    assert_eq!(json["profile"], "default");
    assert_eq!(json["base_url"], fx.base_url.as_str());
    let steps = json["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "configuration",
            "network_path",
            "reachability",
            "authentication",
            "model",
            "payload",
            "rate_limits",
            "billing",
            "claude_code"
        ]
    );
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["number"], i + 1);
        assert!(step["title"].is_string(), "{step:#}");
        // No Claude Code files in the fixture's home: skipped, not failed.
        let expected = if i == 8 { "skipped" } else { "pass" };
        assert_eq!(step["state"], expected, "{step:#}");
        assert!(step["finding"].is_string(), "{step:#}");
        assert!(step["evidence"].is_array(), "{step:#}");
        assert!(step["fix"].is_null(), "{step:#}");
        assert!(step["duration_ms"].is_number(), "{step:#}");
    }
    assert_eq!(
        json["summary"],
        serde_json::json!({"pass": 8, "warn": 0, "fail": 0, "skipped": 1, "verdict": "pass"})
    );
    assert!(json["duration_ms"].is_number());
}

#[test]
fn a_misshapen_key_fails_configuration_and_says_how_to_fix_it() {
    let fx = Fixture::start("default");
    let mut command = fx.command(&["doctor", "--json", "--base-url", &fx.base_url]);
    command.env("ANTHROPIC_API_KEY", format!("{TEST_KEY}\n"));
    let run = common::run(command, "");
    run.expect_code(1).assert_no_key();
    let json = run.json();
    let config = step(&json, "configuration");
    assert_eq!(config["state"], "fail", "{config:#}");
    assert!(
        text(config, "finding").contains("ends with a newline"),
        "{config:#}"
    );
    assert!(
        text(config, "fix").contains("without the trailing newline"),
        "{config:#}"
    );
    assert_eq!(json["summary"]["verdict"], "fail");
}

#[test]
fn an_unresolvable_host_fails_the_network_path_at_dns() {
    let fx = Fixture::start("default");
    let (run, json) = doctor_json(&fx, "http://nonexistent.invalid", &[]);
    run.expect_code(1);
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    let finding = text(network, "finding");
    let resolved = finding == "the host name nonexistent.invalid does not resolve";
    let hung = finding.starts_with("DNS did not answer for the host name nonexistent.invalid");
    assert!(resolved || hung, "{network:#}");
    let fix = text(network, "fix");
    if resolved {
        assert!(
            fix.starts_with("Check the host name in the base URL"),
            "{fix}"
        );
    } else {
        assert!(fix.contains("DNS servers"), "{fix}");
    }
    assert_state(&json, "reachability", "fail");
}

#[test]
fn connection_refused_is_named_with_its_fix() {
    let fx = Fixture::start("default");
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    let (run, json) = doctor_json(&fx, &base, &[]);
    run.expect_code(1);
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    assert_eq!(
        text(network, "finding"),
        format!("connection refused at 127.0.0.1:{port}: nothing listens there")
    );
    assert_eq!(text(network, "fix"), FailureKind::ConnectionRefused.fix());
    // Steps that need an answer say they could not run, and why.
    assert_state(&json, "authentication", "skipped");
    assert_state(&json, "model", "skipped");
    let payload = step(&json, "payload");
    assert!(
        text(payload, "finding").contains("tokens not counted (the server could not be reached"),
        "{payload:#}"
    );
}

#[test]
fn a_self_signed_server_fails_tls_until_its_ca_is_trusted() {
    let fx = Fixture::start("default");
    let (port, pem) = fx.runtime.block_on(self_signed_server());
    let base = format!("https://127.0.0.1:{port}");
    let (run, json) = doctor_json(&fx, &base, &[]);
    run.expect_code(1);
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    let finding = text(network, "finding");
    assert!(
        finding.starts_with(&format!("the TLS handshake with 127.0.0.1:{port} failed: ")),
        "{finding}"
    );
    assert!(finding.contains("certificate"), "{finding}");
    let fix = text(network, "fix");
    assert!(
        fix.starts_with(
            "The server presents a self-signed certificate (CN=rcgen self signed cert)"
        ),
        "{fix}"
    );
    assert!(fix.contains("SSL_CERT_FILE"), "{fix}");
    let evidence = network["evidence"].to_string();
    assert!(
        evidence.contains(
            "certificate: CN=rcgen self signed cert; issued by CN=rcgen self signed cert"
        ),
        "{evidence}"
    );
    assert!(
        evidence.contains("certificate valid for: localhost"),
        "{evidence}"
    );

    // Trusted through SSL_CERT_FILE, the same handshake passes and says so.
    let ca = fx.home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let mut command = fx.command(&["doctor", "--json", "--base-url", &base]);
    command.env("SSL_CERT_FILE", &ca);
    let run = common::run(command, "");
    run.assert_no_key();
    let json = run.json();
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "pass", "{network:#}");
    let evidence = network["evidence"].to_string();
    assert!(evidence.contains("custom CA in use:"), "{evidence}");
    assert!(evidence.contains("1 certificate added"), "{evidence}");
    assert!(evidence.contains("certificate trusted"), "{evidence}");
    assert!(
        evidence.contains("not a well-known public CA"),
        "{evidence}"
    );
}

#[test]
fn https_to_a_plain_http_server_says_it_does_not_speak_tls() {
    let fx = Fixture::start("default");
    let base = fx.base_url.replace("http://", "https://");
    let (run, json) = doctor_json(&fx, &base, &[]);
    run.expect_code(1);
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    assert!(
        text(network, "finding").ends_with(
            "does not speak TLS: it answered the handshake with something else (plain http?)"
        ),
        "{network:#}"
    );
    let plain = base.replace("https://", "http://");
    assert!(
        text(network, "fix").contains(&format!("use {plain} in the base URL")),
        "{network:#}"
    );
}

#[test]
fn through_a_connect_proxy_the_certificate_behind_the_tunnel_is_shown() {
    let fx = Fixture::start("default");
    let (tls_port, _) = fx.runtime.block_on(self_signed_server());
    let proxy_port = fx.runtime.block_on(connect_proxy(tls_port));
    let mut command = fx.command(&[
        "doctor",
        "--json",
        "--base-url",
        "https://api.example.test",
        "--step-timeout",
        "5",
    ]);
    command.env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy_port}"));
    let run = common::run(command, "");
    run.expect_code(1).assert_no_key();
    let json = run.json();
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    assert!(
        text(network, "finding").starts_with("the TLS handshake with api.example.test:443 failed"),
        "{network:#}"
    );
    let evidence = network["evidence"].to_string();
    for expected in [
        "HTTPS proxy: http://127.0.0.1:",
        "(from environment variable HTTPS_PROXY)",
        "route: through the proxy",
        "DNS: not needed, 127.0.0.1 is an address",
        "CONNECT api.example.test:443 → HTTP/1.1 200 Connection established",
        "issued by CN=rcgen self signed cert",
    ] {
        assert!(
            evidence.contains(expected),
            "`{expected}` missing: {evidence}"
        );
    }
}

#[test]
fn no_proxy_sends_the_host_past_a_dead_proxy() {
    let fx = Fixture::start("default");
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let mut command = fx.command(&["doctor", "--json", "--base-url", &fx.base_url]);
    command
        .env("HTTP_PROXY", &dead)
        .env("NO_PROXY", "localhost,127.0.0.1");
    let run = common::run(command, "");
    run.expect_code(0).assert_no_key();
    let json = run.json();
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "pass", "{network:#}");
    let evidence = network["evidence"].to_string();
    assert!(
        evidence.contains("entry `127.0.0.1` covers 127.0.0.1"),
        "{evidence}"
    );
    assert!(evidence.contains("past the proxy"), "{evidence}");

    // Without the exclusion the proxy is the path, and it is down.
    let mut command = fx.command(&["doctor", "--json", "--base-url", &fx.base_url]);
    command.env("HTTP_PROXY", &dead);
    let run = common::run(command, "");
    run.expect_code(1).assert_no_key();
    let json = run.json();
    let network = step(&json, "network_path");
    assert_eq!(network["state"], "fail", "{network:#}");
    assert!(
        text(network, "finding").starts_with("connection refused at the proxy at 127.0.0.1:"),
        "{network:#}"
    );
    assert!(
        text(network, "fix").contains("HTTPS_PROXY / HTTP_PROXY"),
        "{network:#}"
    );
}

#[test]
fn a_refused_key_fails_authentication() {
    let fx = Fixture::start("invalid-key");
    let (run, json) = doctor_json(&fx, &fx.base_url, &[]);
    run.expect_code(1);
    let auth = step(&json, "authentication");
    assert_eq!(auth["state"], "fail", "{auth:#}");
    assert!(
        text(auth, "finding").contains("401 invalid x-api-key"),
        "{auth:#}"
    );
    assert_eq!(text(auth, "fix"), FailureKind::Authentication.fix());
    assert_state(&json, "network_path", "pass");
    let payload = step(&json, "payload");
    assert!(
        text(payload, "finding").contains("the key was refused"),
        "{payload:#}"
    );
}

#[test]
fn a_region_block_is_called_that() {
    let fx = Fixture::start("region-block");
    let (run, json) = doctor_json(&fx, &fx.base_url, &[]);
    run.expect_code(1);
    let reach = step(&json, "reachability");
    assert_eq!(reach["state"], "fail", "{reach:#}");
    assert!(text(reach, "finding").contains("region"), "{reach:#}");
    assert!(
        text(reach, "fix").contains("supported-countries"),
        "{reach:#}"
    );
}

#[test]
fn an_unknown_model_fails_with_the_servers_closest_ids() {
    let fx = Fixture::start("default");
    let (run, json) = doctor_json(&fx, &fx.base_url, &["--model", "claude-sonet-4-6"]);
    run.expect_code(1);
    let model = step(&json, "model");
    assert_eq!(model["state"], "fail", "{model:#}");
    assert_eq!(
        text(model, "finding"),
        "the server does not offer claude-sonet-4-6: requests naming it get 404 not_found_error"
    );
    let fix = text(model, "fix");
    assert!(
        fix.starts_with("Use one the server lists: claude-sonnet-4-6"),
        "{fix}"
    );
    assert!(fix.contains("flag --model"), "{fix}");
    // The payload names the same model: lint warns, count_tokens is refused.
    let payload = step(&json, "payload");
    assert_eq!(payload["state"], "warn", "{payload:#}");
}

#[test]
fn a_recent_429_in_history_fails_rate_limits_with_the_wait() {
    let fx = Fixture::start("rate-limited");
    fx.send(&["-"], HELLO).expect_code(1);
    let (run, json) = doctor_json(&fx, &fx.base_url, &[]);
    run.expect_code(1);
    let limits = step(&json, "rate_limits");
    assert_eq!(limits["state"], "fail", "{limits:#}");
    assert!(
        text(limits, "finding").starts_with("rate limited right now: the last request got 429"),
        "{limits:#}"
    );
    let fix = text(limits, "fix");
    assert!(fix.starts_with("Wait "), "{fix}");
    assert!(
        fix.contains("before sending again; then slow down"),
        "{fix}"
    );
    assert!(
        limits["evidence"]
            .to_string()
            .contains("room for no request now: the 429 holds until"),
        "{limits:#}"
    );
    assert!(
        limits["evidence"]
            .to_string()
            .contains("1 request answered 429 in the last hour"),
        "{limits:#}"
    );
    // Only the Messages request was limited: the rest of the path is fine.
    assert_state(&json, "authentication", "pass");
    assert_state(&json, "billing", "pass");
}

#[test]
fn a_credit_error_in_history_is_called_billing_not_a_request_bug() {
    let fx = Fixture::start("credit-balance");
    fx.send(&["-"], HELLO).expect_code(1);
    let run = fx.run(&["doctor", "--base-url", &fx.base_url]);
    run.expect_code(1).assert_no_key();
    assert!(
        run.stdout.contains(
            "✗ 8. Billing: billing, not the request: the API answered 400 \"Your credit balance is too low"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("    fix: {}", FailureKind::Billing.fix())),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✓ 6. Payload:"), "{}", run.stdout);
}

#[test]
fn a_request_file_is_linted_and_a_missing_one_is_a_usage_error() {
    let fx = Fixture::start("default");
    let file = fx.home.path().join("req.json");
    std::fs::write(
        &file,
        r#"{"model": "claude-sonnet-4-6", "max_token": 100, "messages": [{"role": "user", "content": "hi"}]}"#,
    )
    .unwrap();
    let path = file.display().to_string();
    let (run, json) = doctor_json(&fx, &fx.base_url, &["--request", &path]);
    run.expect_code(1);
    let payload = step(&json, "payload");
    assert_eq!(payload["state"], "fail", "{payload:#}");
    assert!(
        text(payload, "finding").starts_with("lint: max_tokens: Field required"),
        "{payload:#}"
    );
    assert!(
        payload["evidence"].to_string().contains(&path),
        "{payload:#}"
    );

    let missing = fx.run(&["doctor", "--request", "/nonexistent/req.json"]);
    missing.expect_code(2).assert_no_key();
    assert!(
        missing
            .stderr
            .contains("could not read --request /nonexistent/req.json"),
        "{}",
        missing.stderr
    );
}

/// A home with Claude Code's files only: onboarding done, and the gateway
/// and key in the env block of `~/.claude/settings.json`.
fn claude_code_home(fx: &Fixture) {
    let home = fx.home.path();
    std::fs::write(
        home.join(".claude.json"),
        r#"{"hasCompletedOnboarding": true}"#,
    )
    .unwrap();
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    std::fs::write(
        home.join(".claude/settings.json"),
        format!(
            r#"{{"env": {{"ANTHROPIC_BASE_URL": "{}", "ANTHROPIC_API_KEY": "{TEST_KEY}"}}}}"#,
            fx.base_url
        ),
    )
    .unwrap();
}

#[test]
fn with_only_claude_codes_files_every_step_judges_its_configuration_and_passes() {
    let fx = Fixture::start("default");
    claude_code_home(&fx);
    let mut command = fx.command(&["doctor", "--step-timeout", "5"]);
    // The key is only in Claude Code's settings, not the shell.
    command.env_remove("ANTHROPIC_API_KEY");
    let run = common::run(command, "");
    run.assert_no_key();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let settings = fx.home.path().join(".claude/settings.json");
    for needle in [
        "profile `default (Claude Code's configuration)`".to_owned(),
        format!(
            "ANTHROPIC_API_KEY in the env block of {}",
            settings.display()
        ),
        "0 fail".to_owned(),
        "were not contacted".to_owned(),
        "accepts a request shaped like Claude Code's".to_owned(),
    ] {
        assert!(run.stdout.contains(&needle), "{needle}:\n{}", run.stdout);
    }
    // A connection flag asks for claudetui's own profile, and is obeyed.
    let mut command = fx.command(&["doctor", "--base-url", &fx.base_url, "--step-timeout", "5"]);
    command.env_remove("ANTHROPIC_API_KEY");
    let run = common::run(command, "");
    assert!(
        !run.stdout.contains("Claude Code's configuration"),
        "{}",
        run.stdout
    );
    // Under --claude-code the flag still wins over Claude Code's settings.
    let elsewhere = format!("http://127.0.0.1:{}", closed_port());
    let mut command = fx.command(&[
        "doctor",
        "--claude-code",
        "--base-url",
        &elsewhere,
        "--step-timeout",
        "5",
    ]);
    command.env_remove("ANTHROPIC_API_KEY");
    let run = common::run(command, "");
    run.assert_no_key();
    assert!(
        run.stdout
            .contains(&format!("Claude Code's configuration)` · {elsewhere}")),
        "{}",
        run.stdout
    );
}

#[test]
fn offline_makes_no_first_start_probe_and_says_so() {
    let fx = Fixture::start("default");
    claude_code_home(&fx);
    // Onboarding not done: without --offline the fixed hosts would be probed.
    std::fs::write(fx.home.path().join(".claude.json"), "{}").unwrap();
    let mut command = fx.command(&["doctor", "--offline", "--step-timeout", "5"]);
    command.env_remove("ANTHROPIC_API_KEY");
    let run = common::run(command, "");
    run.assert_no_key();
    assert!(
        run.stdout
            .contains("Claude Code's first-start check was not tried (--offline)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("api.anthropic.com/api/hello →"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 0, "a warning is not a failure:\n{}", run.stdout);
}
