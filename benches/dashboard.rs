//! The dashboard's speed: a full frame with a big history and a big body,
//! the start-up path with a 100k-exchange store, and a flood of stream
//! events between two frames.
//!
//! `cargo bench --bench dashboard` prints the p99 of a full frame first
//! (criterion reports means and medians), then runs the criterion groups.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use claudetui::api::errors::{Failure, FailureKind};
use claudetui::api::ratelimit::RateLimitSnapshot;
use claudetui::api::sse::{SseEvent, StreamEvent};
use claudetui::api::types::{Header, Usage};
use claudetui::commands::dashboard::demo_profile;
use claudetui::engine::Event;
use claudetui::exchange::{
    Exchange, ExchangeId, Outcome, RecordedRequest, RecordedResponse, Timing,
};
use claudetui::store::{ListQuery, Store};
use claudetui::tui::app::{App, Msg};
use claudetui::tui::keymap::Keymap;
use claudetui::tui::panes::composer::ComposerPane;
use claudetui::tui::panes::history::PAGE_SIZE;
use claudetui::tui::theme::{ColorMode, Theme};
use claudetui::tui::update::update;
use claudetui::tui::view::draw;

const SAMPLE: &str = include_str!("../assets/requests/hello.json");
const HISTORY: usize = 100_000;

fn exchange(n: usize, body: String) -> Exchange {
    let ok = !n.is_multiple_of(7);
    Exchange {
        id: ExchangeId::from_text(&format!("ex_bench_{n:08}")),
        started_at: Utc::now() - chrono::Duration::seconds(n as i64 + 10),
        profile: "default".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "https://api.anthropic.com/v1/messages".into(),
            headers: vec![Header::new("anthropic-version", "2023-06-01")],
            body: r#"{"model":"claude-sonnet-4-6","max_tokens":256,"messages":[{"role":"user","content":"Hi"}]}"#.into(),
        },
        response: Some(RecordedResponse {
            status: if ok { 200 } else { 429 },
            http_version: "HTTP/1.1".into(),
            headers: vec![Header::new("request-id", format!("req_{n}"))],
            body,
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            headers_ms: Some(300.0),
            total_ms: 900.0 + (n % 500) as f64,
            ..Timing::default()
        },
        usage: ok.then(|| Usage {
            input_tokens: 12,
            output_tokens: 300,
            ..Usage::default()
        }),
        rate_limits: RateLimitSnapshot::default(),
        outcome: if ok {
            Outcome::Ok
        } else {
            Outcome::Failed(Failure {
                status: Some(429),
                ..Failure::transport(FailureKind::RateLimited, "rate limited")
            })
        },
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

/// A 1 MB message body: a long answer of many paragraphs.
fn megabyte_body() -> String {
    let paragraph = "The quick brown fox jumps over the lazy dog, and then writes a very long line of text so that wrapping has work to do at every width. ";
    let mut text = String::new();
    while text.len() < 1_000_000 {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    serde_json::json!({
        "id": "msg_bench", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-6", "stop_reason": "end_turn",
        "content": [{"type": "text", "text": text}],
        "usage": {"input_tokens": 12, "output_tokens": 250000}
    })
    .to_string()
}

fn app() -> App {
    App::new(
        demo_profile("http://127.0.0.1:4747"),
        true,
        Keymap::default(),
        Theme::new(ColorMode::TrueColor),
        ComposerPane::new(SAMPLE, "hello.json"),
        Utc::now(),
        FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()),
    )
}

/// The app as it is with 100k stored exchanges listed and a 1 MB body in
/// the viewer.
fn loaded_app() -> App {
    let mut app = app();
    app.history.count_loaded(0, HISTORY);
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    draw(&mut app, area, &mut buf);
    for request in app.history.wanted_pages() {
        let rows = (0..PAGE_SIZE)
            .map(|i| exchange(request.page * PAGE_SIZE + i, String::new()).summary())
            .collect();
        app.history
            .page_loaded(request.generation, request.page, rows);
    }
    app.response.show(&exchange(0, megabyte_body()));
    app
}

fn p99_of_full_frames() {
    let mut app = loaded_app();
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    let mut samples = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let start = Instant::now();
        draw(&mut app, area, &mut buf);
        samples.push(start.elapsed());
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "full frame 200x50, 100k history, 1 MB body: p50 {:?}  p99 {:?}  max {:?}",
        at(0.50),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn render(c: &mut Criterion) {
    let mut app = loaded_app();
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    c.bench_function("full_frame_200x50_100k_history_1mb_body", |b| {
        b.iter(|| draw(&mut app, area, &mut buf))
    });
}

/// Opening a 100k store, building the app and drawing the first frame —
/// what happens before the user sees anything. (Counting and the first
/// page are read after the first frame, on the reader thread; they are
/// timed separately.)
fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("history.db");
    {
        let (mut store, _) = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<Exchange> = (0..HISTORY).map(|n| exchange(n, "{}".into())).collect();
        for chunk in all.chunks(10_000) {
            store.insert_many(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut group = c.benchmark_group("startup_100k_store");
    group.sample_size(20);
    group.bench_function("open_store_build_app_first_frame", |b| {
        b.iter(|| {
            let (store, _) = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
            let mut app = app();
            let area = Rect::new(0, 0, 200, 50);
            let mut buf = Buffer::empty(area);
            draw(&mut app, area, &mut buf);
            store
        })
    });
    let (store, _) = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("count_and_first_page", |b| {
        b.iter(|| {
            let query = ListQuery {
                before: Some(Utc::now()),
                ..ListQuery::default()
            };
            let count = store.count(&query).unwrap_or(0);
            let page = store
                .list(&ListQuery {
                    limit: Some(PAGE_SIZE),
                    ..query
                })
                .unwrap_or_default();
            (count, page)
        })
    });
    group.finish();
}

/// 5,000 events a second is 80 per 16 ms frame: applying them and drawing
/// the frame must fit well inside the frame.
fn streaming(c: &mut Criterion) {
    let mut app = app();
    let request = exchange(0, String::new());
    update(
        &mut app,
        Msg::engine(Event::Started {
            id: request.id.clone(),
            request: request.request.clone(),
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        }),
    );
    let delta = StreamEvent::parse(&SseEvent {
        event: "content_block_delta".into(),
        data: r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word "}}"#
            .into(),
        ..SseEvent::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    let mut at_ms = 0.0;
    c.bench_function("stream_80_deltas_then_one_frame", |b| {
        b.iter(|| {
            for _ in 0..80 {
                at_ms += 0.2;
                update(
                    &mut app,
                    Msg::engine(Event::StreamDelta {
                        id: request.id.clone(),
                        at_ms,
                        event: delta.clone(),
                    }),
                );
            }
            draw(&mut app, area, &mut buf);
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = render, startup, streaming
}

/// The real binary in a pseudo-terminal on a 100k-exchange store: time
/// from spawn to the first frame on screen, and resident memory once the
/// history is counted and listed.
fn process_startup() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let data = dir.path().join("data");
    {
        let (mut store, _) =
            Store::open(&data.join("history.db")).unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<Exchange> = (0..HISTORY).map(|n| exchange(n, "{}".into())).collect();
        for chunk in all.chunks(10_000) {
            store.insert_many(chunk).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut first_frames = Vec::new();
    let mut rss_kib = Vec::new();
    for _ in 0..5 {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 50,
                cols: 200,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("pty: {e}"));
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_claudetui"));
        command.arg("--data-dir");
        command.arg(&data);
        command.arg("--config");
        command.arg(dir.path().join("none.toml"));
        command.args(["--base-url", "http://127.0.0.1:9"]);
        command.env_clear();
        command.env("HOME", dir.path());
        command.env("TERM", "xterm-256color");
        let start = Instant::now();
        let mut child = pair
            .slave
            .spawn_command(command)
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        drop(pair.slave);
        let mut reader = pair
            .master
            .try_clone_reader()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut writer = pair.master.take_writer().unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(50).unwrap_or(std::num::NonZeroU16::MIN),
            std::num::NonZeroU16::new(200).unwrap_or(std::num::NonZeroU16::MIN),
            0,
        );
        let mut buf = [0u8; 65536];
        let mut first_frame = None;
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.process(&buf[..n]);
            let screen = parser.screen().contents();
            if first_frame.is_none() && screen.contains("Composer") {
                first_frame = Some(start.elapsed());
            }
            if screen.contains("History (100,000)") && screen.contains("ok") {
                break;
            }
        }
        first_frames.push(first_frame.unwrap_or_default());
        if let Some(pid) = child.process_id() {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            };
            rss_kib.extend(field("VmRSS:"));
            if let (Some(anon), Some(file)) = (field("RssAnon:"), field("RssFile:")) {
                println!("  resident: {anon} KiB private, {file} KiB mapped files");
            }
        }
        let _ = writer.write_all(b"q");
        let _ = writer.flush();
        let _ = child.wait();
    }
    first_frames.sort();
    rss_kib.sort();
    println!(
        "process start to first frame with a 100k store (median of 5): {:?}; resident memory after start: {:.1} MiB",
        first_frames[first_frames.len() / 2],
        rss_kib.get(rss_kib.len() / 2).copied().unwrap_or(0) as f64 / 1024.0
    );
}

fn main() {
    process_startup();
    p99_of_full_frames();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
