//! The whole screen, at the sizes the issue names, in the states a user
//! meets: first start, streaming, an error, a 429, too small.

use chrono::FixedOffset;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;
use crate::api::ratelimit::{LimitWindow, RateLimitSnapshot};
use crate::api::sse::{SseEvent, StreamEvent};
use crate::commands::dashboard::demo_profile;
use crate::engine::Event;
use crate::tui::app::{App, Msg};
use crate::tui::fixtures::{TEST_KEY, at, exchange};
use crate::tui::keymap::Keymap;
use crate::tui::panes::composer::ComposerPane;
use crate::tui::theme::{ColorMode, Theme};
use crate::tui::update::update;

const SAMPLE: &str = include_str!("../../../assets/requests/hello.json");

fn app() -> App {
    let mut app = App::new(
        demo_profile("http://127.0.0.1:4747"),
        true,
        Keymap::default(),
        Theme::new(ColorMode::Ansi16),
        ComposerPane::new(SAMPLE, "hello.json"),
        at(0),
        FixedOffset::east_opt(0).unwrap(),
    );
    app.history.count_loaded(0, 0);
    app
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.now = at(90_000);
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    draw(app, area, &mut buf);
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn snapshot_with_limits(remaining: u64) -> RateLimitSnapshot {
    let window = |limit, remaining| LimitWindow {
        limit: Some(limit),
        remaining: Some(remaining),
        reset: Some(at(120_000)),
    };
    RateLimitSnapshot {
        requests: window(20, 17),
        tokens: window(10_000, remaining),
        input_tokens: window(8_000, remaining.min(8_000)),
        output_tokens: window(2_000, 1_400),
        ..RateLimitSnapshot::default()
    }
}

fn run(app: &mut App, ex: &crate::exchange::Exchange, remaining: u64) {
    update(app, crate::tui::fixtures::started(ex));
    update(
        app,
        Msg::engine(Event::Headers {
            id: ex.id.clone(),
            status: ex.status().unwrap_or(0),
            headers: vec![],
            rate_limits: snapshot_with_limits(remaining),
        }),
    );
}

#[test]
fn first_start_at_120x36_and_80x24() {
    let mut app = app();
    insta::assert_snapshot!("start_120x36", screen(&mut app, 120, 36));
    insta::assert_snapshot!("start_80x24", screen(&mut app, 80, 24));
}

#[test]
fn too_small_says_so() {
    let mut app = app();
    let text = screen(&mut app, 79, 20);
    assert!(text.contains("79×20"), "{text}");
    assert!(text.contains("at least 80×24"), "{text}");
}

#[test]
fn streaming_then_done() {
    let mut app = app();
    let ex = exchange(1, "claude-sonnet-4-6", Some(200));
    run(&mut app, &ex, 9_000);
    for (i, word) in ["Hello", " there!", " I can help"].iter().enumerate() {
        let event = StreamEvent::parse(&SseEvent {
            event: "content_block_delta".into(),
            data: format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{word}"}}}}"#
            ),
            ..SseEvent::default()
        });
        if let Ok(event) = event {
            update(
                &mut app,
                Msg::engine(Event::StreamDelta {
                    id: ex.id.clone(),
                    at_ms: 400.0 + 50.0 * i as f64,
                    event,
                }),
            );
        }
    }
    insta::assert_snapshot!("streaming_120x36", screen(&mut app, 120, 36));
    update(&mut app, Msg::engine(Event::Finished(Box::new(ex))));
    insta::assert_snapshot!("done_120x36", screen(&mut app, 120, 36));
}

#[test]
fn error_and_rate_limited() {
    let mut app = app();
    let bad = exchange(1, "claude-sonnet-4-6", Some(400));
    run(&mut app, &bad, 9_000);
    update(&mut app, Msg::engine(Event::Failed(Box::new(bad))));
    insta::assert_snapshot!("bad_request_120x36", screen(&mut app, 120, 36));
    let mut limited = exchange(2, "claude-sonnet-4-6", Some(429));
    limited.rate_limits = snapshot_with_limits(0);
    limited.rate_limits.retry_after_secs = Some(30.0);
    run(&mut app, &limited, 0);
    update(&mut app, Msg::engine(Event::Failed(Box::new(limited))));
    let text = screen(&mut app, 120, 36);
    assert!(!text.contains(TEST_KEY));
    insta::assert_snapshot!("rate_limited_120x36", text);
    insta::assert_snapshot!("rate_limited_80x24", screen(&mut app, 80, 24));
}

#[test]
fn loading_and_streaming_at_80x24() {
    // The store has not answered yet: the history says it is reading.
    let mut app = App::new(
        demo_profile("http://127.0.0.1:4747"),
        true,
        Keymap::default(),
        Theme::new(ColorMode::Ansi16),
        ComposerPane::new(SAMPLE, "hello.json"),
        at(0),
        FixedOffset::east_opt(0).unwrap(),
    );
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("reading the history"), "{text}");
    insta::assert_snapshot!("loading_80x24", text);
    let ex = exchange(1, "claude-sonnet-4-6", Some(200));
    run(&mut app, &ex, 9_000);
    let event = StreamEvent::parse(&SseEvent {
        event: "content_block_delta".into(),
        data: r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there!"}}"#.into(),
        ..SseEvent::default()
    });
    if let Ok(event) = event {
        update(
            &mut app,
            Msg::engine(Event::StreamDelta {
                id: ex.id.clone(),
                at_ms: 420.0,
                event,
            }),
        );
    }
    insta::assert_snapshot!("streaming_80x24", screen(&mut app, 80, 24));
}

#[test]
fn tapped_traffic_at_120x36_and_80x24() {
    let mut app = app();
    app.tap = Some(crate::tui::app::TapStatus {
        address: "127.0.0.1:4748".into(),
        seen: 0,
        follow: true,
    });
    for n in 1..=3 {
        let status = if n == 2 { 429 } else { 200 };
        let ex = crate::test_support::tapped(n, "claude-opus-4-8", Some(status));
        update(
            &mut app,
            Msg::engine(Event::Started {
                id: ex.id.clone(),
                request: ex.request.clone(),
                attempt: 1,
                retry_of: None,
                source: ex.source,
                client: ex.client.clone(),
            }),
        );
        update(
            &mut app,
            Msg::engine(Event::Headers {
                id: ex.id.clone(),
                status: ex.status().unwrap_or(0),
                headers: vec![],
                rate_limits: snapshot_with_limits(9_000 - n as u64 * 1_000),
            }),
        );
        if n < 3 {
            let done = if n == 2 {
                Event::Failed(Box::new(ex))
            } else {
                Event::Finished(Box::new(ex))
            };
            update(&mut app, Msg::engine(done));
        }
    }
    let wide = screen(&mut app, 120, 36);
    assert!(wide.contains("TAP 127.0.0.1:4748 · 3 seen"), "{wide}");
    assert!(
        wide.contains("Sent by claude-cli/2.1.197 through the tap"),
        "{wide}"
    );
    insta::assert_snapshot!("tapped_120x36", wide);
    insta::assert_snapshot!("tapped_80x24", screen(&mut app, 80, 24));
}
