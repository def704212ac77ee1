//! The tap's cost, measured side by side with the direct path in one run:
//! added latency of a small request (p50/p99), the first-token delay it
//! adds to a stream, throughput with 32 clients while recording, and the
//! resident memory of the real binary relaying a 100 MB stream.
//!
//! Run: `cargo bench --bench tap`. The percentiles, the throughput and the
//! memory are printed first (criterion reports means, not tails); the
//! criterion group `tap_small_request` follows. The README's table quotes
//! what this prints.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockServer};
use claudetui::store::Store;
use claudetui::tap::{TapConfig, TapServer};
use criterion::{Criterion, criterion_group};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}"#;
const STREAM_BODY: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"Hello"}]}"#;
const KEY: &str = "sk-ant-api03-bench-key-not-secret-0000000000000000";
const SAMPLES: usize = 2000;
const CLIENTS: usize = 32;
const STREAM_MB: usize = 100;

fn unlimited() -> Scenario {
    Scenario::from_toml(
        "description = \"benchmark\"\n[limits]\nrequests_per_minute = 1000000000\n\
         input_tokens_per_minute = 1000000000000\noutput_tokens_per_minute = 1000000000000\n",
        "unlimited",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

struct Setup {
    _server: MockServer,
    tap: TapServer,
    direct: String,
    tapped: String,
    _dir: tempfile::TempDir,
}

/// The embedded server (no pacing) and a tap in front of it that records
/// into a store on disk, as `claudetui tap` does.
async fn setup() -> Setup {
    let server = MockServer::start(MockConfig {
        scenario: unlimited(),
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (store, _) = Store::open(&dir.path().join("history.db")).unwrap_or_else(|e| panic!("{e}"));
    let mut config = TapConfig::new(&server.base_url());
    config.store = Some(store);
    let tap = TapServer::start(config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Setup {
        direct: server.base_url(),
        tapped: tap.base_url(),
        _server: server,
        tap,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn small(client: &reqwest::Client, base: &str) -> Duration {
    let start = Instant::now();
    let response = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(BODY)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = response.bytes().await.unwrap_or_else(|e| panic!("{e}"));
    start.elapsed()
}

/// Time from sending to the first content delta arriving.
async fn first_token(client: &reqwest::Client, base: &str) -> Duration {
    let start = Instant::now();
    let mut response = client
        .post(format!("{base}/v1/messages"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(STREAM_BODY)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    let mut at = None;
    while let Some(chunk) = response.chunk().await.unwrap_or_else(|e| panic!("{e}")) {
        seen.extend_from_slice(&chunk);
        if at.is_none() && memchr::memmem::find(&seen, b"content_block_delta").is_some() {
            at = Some(start.elapsed());
        }
    }
    at.unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Alternates direct and tapped requests so both see the same machine.
async fn latencies(setup: &Setup, streaming: bool) -> (Vec<Duration>, Vec<Duration>) {
    let client = client();
    let (mut direct, mut tapped) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES + 100 {
        let (d, t) = if streaming {
            (
                first_token(&client, &setup.direct).await,
                first_token(&client, &setup.tapped).await,
            )
        } else {
            (
                small(&client, &setup.direct).await,
                small(&client, &setup.tapped).await,
            )
        };
        // The first hundred warm the pools up.
        if i >= 100 {
            direct.push(d);
            tapped.push(t);
        }
    }
    direct.sort();
    tapped.sort();
    (direct, tapped)
}

async fn throughput(base: &str, seconds: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (done, base) = (done.clone(), base.to_owned());
            tokio::spawn(async move {
                let client = client();
                while Instant::now() < until {
                    small(&client, &base).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

/// A loopback server answering every request with a Messages stream of
/// `STREAM_MB` MB: 64-character text deltas, written as fast as it can.
async fn big_stream_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                let mut out = head.as_bytes().to_vec();
                out.extend_from_slice(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_big\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n");
                out.extend_from_slice(b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
                let text = "abcdefghij".repeat(6) + "abcd";
                let delta = format!(
                    "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}\n\n"
                );
                let chunk: Vec<u8> = delta.repeat(16 * 1024 / delta.len()).into_bytes();
                if socket.write_all(&out).await.is_err() {
                    return;
                }
                let mut sent = 0;
                while sent < STREAM_MB * 1_000_000 {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                }
                let end = b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":99}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
                let _ = socket.write_all(end).await;
            });
        }
    });
    url
}

/// Peak resident memory (VmHWM) of the real `claudetui tap` relaying one
/// big stream, with the history on (or off).
fn tap_memory(runtime: &tokio::runtime::Runtime, history: bool) -> (f64, f64, u64) {
    let upstream = runtime.block_on(big_stream_upstream());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_claudetui"));
    command
        .args(["tap", "--port", "0", "--upstream", &upstream])
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(dir.path().join("none.toml"))
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if !history {
        command.arg("--no-history");
    }
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = std::io::BufReader::new(stderr).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("the tap printed no address"));
    let start = Instant::now();
    let received = runtime.block_on(async {
        let mut response = client()
            .post(format!("{url}/v1/messages"))
            .body(STREAM_BODY)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut received = 0u64;
        while let Some(chunk) = response.chunk().await.unwrap_or_else(|e| panic!("{e}")) {
            received += chunk.len() as u64;
        }
        received
    });
    let took = start.elapsed();
    // The record is written after the last byte: give the writer its turn
    // before reading the peak (it is what a long-running tap holds).
    let status_path = format!("/proc/{}/status", child.id());
    let peak = || {
        std::fs::read_to_string(&status_path)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = peak();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let now = peak();
        if now == last {
            break;
        }
        last = now;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    (
        last as f64 / 1024.0,
        received as f64 / 1e6 / took.as_secs_f64(),
        received,
    )
}

fn report() {
    let runtime = runtime();
    let setup = runtime.block_on(setup());
    let (direct, tapped) = runtime.block_on(latencies(&setup, false));
    let (p50d, p99d) = (percentile(&direct, 0.5), percentile(&direct, 0.99));
    let (p50t, p99t) = (percentile(&tapped, 0.5), percentile(&tapped, 0.99));
    println!(
        "small request, {SAMPLES} each, alternating: direct p50 {:.0} µs p99 {:.0} µs · through the tap p50 {:.0} µs p99 {:.0} µs · added p50 {:.0} µs, p99 {:.0} µs",
        micros(p50d),
        micros(p99d),
        micros(p50t),
        micros(p99t),
        micros(p50t) - micros(p50d),
        micros(p99t) - micros(p99d)
    );
    let (direct, tapped) = runtime.block_on(latencies(&setup, true));
    println!(
        "first token of a stream: direct p50 {:.0} µs · through the tap p50 {:.0} µs · added {:.0} µs",
        micros(percentile(&direct, 0.5)),
        micros(percentile(&tapped, 0.5)),
        micros(percentile(&tapped, 0.5)) - micros(percentile(&direct, 0.5))
    );
    let direct_rps = runtime.block_on(throughput(&setup.direct, 5));
    let tapped_rps = runtime.block_on(throughput(&setup.tapped, 5));
    runtime.block_on(setup.tap.flush());
    println!(
        "{CLIENTS} concurrent clients, 5 s each: direct {direct_rps:.0} req/s · through the tap, recording {tapped_rps:.0} req/s ({} recorded)",
        setup.tap.tally().requests
    );
    for history in [true, false] {
        let (peak, rate, received) = tap_memory(&runtime, history);
        println!(
            "the tap relaying a {:.0} MB stream (history {}): peak RSS {peak:.1} MiB, relayed at {rate:.0} MB/s",
            received as f64 / 1e6,
            if history { "on" } else { "off" }
        );
    }
}

fn tap_small_request(c: &mut Criterion) {
    let runtime = runtime();
    let setup = runtime.block_on(setup());
    let client = client();
    let mut group = c.benchmark_group("tap_small_request");
    group.bench_function("direct", |b| {
        b.to_async(&runtime).iter(|| small(&client, &setup.direct))
    });
    group.bench_function("through_the_tap", |b| {
        b.to_async(&runtime).iter(|| small(&client, &setup.tapped))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = tap_small_request
}

fn main() {
    report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
