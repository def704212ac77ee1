//! Engine overhead: `claudetui send` of a small request against the local
//! embedded server, next to the same request made with curl in the same
//! run, plus the engine alone (no process start).
//!
//! Run: `cargo bench --bench engine`. The README's table quotes the
//! medians; the ratio send/curl is the figure with a target (≤ 1.2×).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use claudetui::config::{Credential, CredentialKind, Profile, Secret, Source, Sourced};
use claudetui::engine::{Engine, Event, OutgoingRequest};
use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockServer};
use criterion::{Criterion, criterion_group, criterion_main};

const BODY: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"Hello"}]}"#;
const KEY: &str = "sk-ant-api03-bench-key-not-secret-0000000000000000";

fn profile(base_url: &str) -> Profile {
    Profile {
        name: "bench".into(),
        base_url: Sourced::new(base_url.to_owned(), Source::Default),
        credential: Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(KEY),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        }),
        ..Profile::builtin()
    }
}

/// The healthy scenario with limits no benchmark can reach, so every
/// iteration measures a 200 and never a 429.
fn unlimited() -> Scenario {
    Scenario::from_toml(
        "description = \"benchmark\"\n[limits]\nrequests_per_minute = 1000000000\n\
         input_tokens_per_minute = 1000000000000\noutput_tokens_per_minute = 1000000000000\n",
        "unlimited",
    )
    .unwrap()
}

fn run_quietly(command: &mut Command) {
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert!(status.success(), "{command:?} failed");
}

fn claudetui_send(base_url: &str, body_file: &Path, scratch: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_claudetui"));
    command
        .args([
            "send",
            body_file.to_str().unwrap(),
            "--base-url",
            base_url,
            "--no-history",
        ])
        .env_clear()
        .env("HOME", scratch)
        .env("ANTHROPIC_API_KEY", KEY)
        .env("CLAUDETUI_DATA_DIR", scratch.join("data"))
        .env("CLAUDETUI_CONFIG", scratch.join("none.toml"));
    command
}

fn curl(base_url: &str, body_file: &Path) -> Command {
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        &format!("{base_url}/v1/messages"),
        "-H",
        &format!("x-api-key: {KEY}"),
        "-H",
        "anthropic-version: 2023-06-01",
        "-H",
        "content-type: application/json",
        "--data-binary",
        &format!("@{}", body_file.display()),
    ]);
    command
}

fn send_vs_curl(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(MockServer::start(MockConfig {
            scenario: unlimited(),
            speed: 0.0,
            ..MockConfig::default()
        }))
        .unwrap();
    let base_url = server.base_url();
    let scratch = tempfile::tempdir().unwrap();
    let body_file = scratch.path().join("request.json");
    std::fs::write(&body_file, BODY).unwrap();

    let mut group = c.benchmark_group("send_small_request");
    group
        .sample_size(40)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("claudetui_send_process", |b| {
        b.iter(|| run_quietly(&mut claudetui_send(&base_url, &body_file, scratch.path())))
    });
    if Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok()
    {
        group.bench_function("curl_process", |b| {
            b.iter(|| run_quietly(&mut curl(&base_url, &body_file)))
        });
    }
    let (engine, mut events) = runtime.block_on(async { Engine::spawn(None) }).unwrap();
    let request =
        OutgoingRequest::for_profile(&profile(&base_url), "POST", "/v1/messages", BODY.into())
            .unwrap();
    group.bench_function("engine_in_process", |b| {
        b.iter(|| {
            engine.send(request.clone());
            runtime.block_on(async {
                while let Some(event) = events.recv().await {
                    match event {
                        Event::Finished(_) => break,
                        Event::Failed(ex) | Event::Cancelled(ex) => panic!("{:?}", ex.outcome),
                        _ => {}
                    }
                }
            })
        })
    });
    group.finish();
    runtime.block_on(server.shutdown());
}

criterion_group!(benches, send_vs_curl);
criterion_main!(benches);
