//! The pane as a whole: live following, keys, search, and what it draws
//! (snapshots at the sizes the dashboard gives it). Exchanges are built by
//! hand to look like the real API's, streams through the real SSE parser
//! and assembler.

use chrono::{Duration, TimeZone};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::api::errors::{Failure, FailureKind, classify_http};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::sse::{MessageAssembler, SseEvent, encode_event};
use crate::api::types::Usage;
use crate::exchange::{Outcome, RecordedEvent, RecordedResponse, Timing};
use crate::store::redact::mask_secret;
use crate::tui::theme::ColorMode;

const FAKE_KEY: &str = "sk-ant-api03-TESTKEY-Xq9vL2mR7tY4pW8sN3kJ6hF1dG5aZ0cB-VbNmQAAA";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 2)
        .single()
        .unwrap_or_default()
}

fn started() -> DateTime<Utc> {
    now() - Duration::milliseconds(2_345)
}

fn request(body: &str) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        url: "https://api.anthropic.com/v1/messages".into(),
        headers: vec![
            Header::new("content-type", "application/json"),
            Header::new("anthropic-version", "2023-06-01"),
            // The engine records the key masked; that is all an exchange holds.
            Header::new("x-api-key", mask_secret(FAKE_KEY)),
            Header::new("user-agent", "claudetui/0.1.0"),
        ],
        body: body.into(),
    }
}

const STREAM_BODY: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"tools":[{"name":"get_weather","description":"Current weather in a city","input_schema":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}],"messages":[{"role":"user","content":"What is the capital of France, and what is the weather there?"}]}"#;

fn rate_limit_headers(remaining_input: u64) -> Vec<Header> {
    vec![
        Header::new("anthropic-ratelimit-requests-limit", "1000"),
        Header::new("anthropic-ratelimit-requests-remaining", "999"),
        Header::new("anthropic-ratelimit-requests-reset", "2026-03-14T12:00:01Z"),
        Header::new("anthropic-ratelimit-tokens-limit", "96000"),
        Header::new("anthropic-ratelimit-tokens-remaining", "95000"),
        Header::new("anthropic-ratelimit-tokens-reset", "2026-03-14T12:00:01Z"),
        Header::new("anthropic-ratelimit-input-tokens-limit", "80000"),
        Header::new(
            "anthropic-ratelimit-input-tokens-remaining",
            remaining_input.to_string(),
        ),
        Header::new(
            "anthropic-ratelimit-input-tokens-reset",
            "2026-03-14T12:00:18Z",
        ),
        Header::new("anthropic-ratelimit-output-tokens-limit", "16000"),
        Header::new("anthropic-ratelimit-output-tokens-remaining", "16000"),
        Header::new(
            "anthropic-ratelimit-output-tokens-reset",
            "2026-03-14T12:00:01Z",
        ),
    ]
}

fn response_headers(content_type: &str, request_id: &str, remaining_input: u64) -> Vec<Header> {
    let mut headers = vec![
        Header::new("date", "Sat, 14 Mar 2026 12:00:00 GMT"),
        Header::new("content-type", content_type),
        Header::new("request-id", request_id),
        Header::new(
            "anthropic-organization-id",
            "4f2a9c1e-7b3d-4e8a-9f6c-2d1b5a8e7c30",
        ),
    ];
    headers.extend(rate_limit_headers(remaining_input));
    headers.push(Header::new("via", "1.1 google"));
    headers.push(Header::new("cf-ray", "8f3a2b1c4d5e6f70-CDG"));
    headers
}

/// The events of a streamed answer: text, then a tool call.
fn stream_events() -> Vec<(f64, &'static str, String)> {
    let delta = |text: &str| {
        format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#,
            serde_json::to_string(text).unwrap_or_default()
        )
    };
    let json_delta = |json: &str| {
        format!(
            r#"{{"type":"content_block_delta","index":1,"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#,
            serde_json::to_string(json).unwrap_or_default()
        )
    };
    vec![
        (412.3, "message_start", r#"{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":412,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#.to_owned()),
        (412.9, "content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#.to_owned()),
        (413.0, "ping", r#"{"type": "ping"}"#.to_owned()),
        (498.7, "content_block_delta", delta("The capital of France is")),
        (530.2, "content_block_delta", delta(" **Paris**, on the Seine.")),
        (577.9, "content_block_delta", delta(" It has been the capital")),
        (611.4, "content_block_delta", delta(" for most of the last thousand years.\n\nLet me")),
        (640.0, "content_block_delta", delta(" check the weather there.")),
        (642.5, "content_block_stop", r#"{"type":"content_block_stop","index":0}"#.to_owned()),
        (655.1, "content_block_start", r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{}}}"#.to_owned()),
        (1210.6, "content_block_delta", json_delta("")),
        (1388.2, "content_block_delta", json_delta(r#"{"city": "Par"#)),
        (1502.7, "content_block_delta", json_delta(r#"is", "unit": "celsius"}"#)),
        (1503.1, "content_block_stop", r#"{"type":"content_block_stop","index":1}"#.to_owned()),
        (1830.4, "message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#.to_owned()),
        (1831.0, "message_stop", r#"{"type":"message_stop"}"#.to_owned()),
    ]
}

fn parsed(name: &str, data: &str) -> StreamEvent {
    let sse = SseEvent {
        event: name.into(),
        data: data.into(),
        id: None,
        retry_ms: None,
    };
    StreamEvent::parse(&sse).expect("fixture events are valid")
}

fn streaming_exchange() -> Exchange {
    streaming_exchange_cut(usize::MAX, Outcome::Ok)
}

/// The streamed exchange, with only the first `take` events when it was
/// cut short.
fn streaming_exchange_cut(take: usize, outcome: Outcome) -> Exchange {
    let mut raw = String::new();
    let mut events = Vec::new();
    let mut assembler = MessageAssembler::new();
    for (at_ms, name, data) in stream_events().into_iter().take(take) {
        raw.push_str(&encode_event(name, &data));
        assembler
            .apply(&parsed(name, &data))
            .expect("fixture stream is well formed");
        events.push(RecordedEvent {
            at_ms,
            event: name.into(),
            data,
        });
    }
    let message = assembler.finish().ok();
    let headers = response_headers(
        "text/event-stream; charset=utf-8",
        "req_011CQjPfYhqzMRdT2pLx3aBc",
        79_588,
    );
    Exchange {
        id: ExchangeId::from_text("ex_0195d1a2b3c4d5e6f7"),
        started_at: started(),
        profile: "default".into(),
        request: request(STREAM_BODY),
        usage: message.as_ref().map(|m| m.usage.clone()),
        rate_limits: RateLimitSnapshot::from_headers(&headers, now()),
        response: Some(RecordedResponse {
            status: 200,
            http_version: "HTTP/2".into(),
            headers,
            body: raw,
            events,
            message,
            truncated: None,
        }),
        timing: Timing {
            dns_ms: Some(12.4),
            connect_ms: Some(87.9),
            connection_reused: false,
            headers_ms: Some(409.8),
            first_token_ms: Some(498.7),
            total_ms: 1834.5,
            output_tokens_per_sec: Some(66.6),
        },
        outcome,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

const JSON_REPLY: &str = r#"{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"The capital of France is Paris."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":10,"service_tier":"standard"}}"#;

fn json_exchange() -> Exchange {
    let headers = response_headers("application/json", "req_011CQjQ2vA7hXyZ9kLmN4pQr", 79_981);
    Exchange {
        id: ExchangeId::from_text("ex_0195d1a2c0ffee1234"),
        started_at: started(),
        profile: "default".into(),
        request: request(
            r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"What is the capital of France?"}]}"#,
        ),
        usage: Some(Usage {
            input_tokens: 19,
            output_tokens: 10,
            cache_creation_input_tokens: Some(0),
            cache_read_input_tokens: Some(0),
            service_tier: Some("standard".into()),
        }),
        rate_limits: RateLimitSnapshot::from_headers(&headers, now()),
        response: Some(RecordedResponse {
            status: 200,
            http_version: "HTTP/2".into(),
            headers,
            body: JSON_REPLY.into(),
            events: vec![],
            message: serde_json::from_str(JSON_REPLY).ok(),
            truncated: None,
        }),
        timing: Timing {
            dns_ms: None,
            connect_ms: None,
            connection_reused: true,
            headers_ms: Some(1203.3),
            first_token_ms: None,
            total_ms: 1210.9,
            output_tokens_per_sec: Some(8.3),
        },
        outcome: Outcome::Ok,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn error_exchange(id: &str, status: u16, body: &str, extra: Vec<Header>) -> Exchange {
    let mut headers = response_headers("application/json", "req_011CQjR8sT3uVwXyZ0aBcDeF", 0);
    headers.extend(extra);
    let failure = classify_http(status, body, &headers).expect("an error status");
    Exchange {
        id: ExchangeId::from_text(id),
        started_at: started(),
        profile: "default".into(),
        request: request(
            r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":""}]}"#,
        ),
        usage: None,
        rate_limits: RateLimitSnapshot::from_headers(&headers, now()),
        response: Some(RecordedResponse {
            status,
            http_version: "HTTP/2".into(),
            headers,
            body: body.into(),
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            dns_ms: Some(9.8),
            connect_ms: Some(71.0),
            connection_reused: false,
            headers_ms: Some(183.6),
            first_token_ms: None,
            total_ms: 185.2,
            output_tokens_per_sec: None,
        },
        outcome: Outcome::Failed(failure),
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn bad_request_exchange() -> Exchange {
    error_exchange(
        "ex_0195d1a2badbad0400",
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages.0.content: all messages must have non-empty content except for the optional final assistant message"},"request_id":"req_011CQjR8sT3uVwXyZ0aBcDeF"}"#,
        vec![Header::new("x-should-retry", "false")],
    )
}

fn rate_limited_exchange() -> Exchange {
    error_exchange(
        "ex_0195d1a2fee1290429",
        429,
        r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 80,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."},"request_id":"req_011CQjR8sT3uVwXyZ0aBcDeF"}"#,
        vec![
            Header::new("retry-after", "17"),
            Header::new("x-should-retry", "true"),
        ],
    )
}

fn transport_exchange() -> Exchange {
    let mut request = request(
        r#"{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hi"}]}"#,
    );
    request.url = "https://api.anthropc.com/v1/messages".into();
    Exchange {
        id: ExchangeId::from_text("ex_0195d1a2d0d0d0dns0"),
        started_at: started(),
        profile: "default".into(),
        request,
        response: None,
        timing: Timing {
            total_ms: 31.2,
            ..Timing::default()
        },
        usage: None,
        rate_limits: RateLimitSnapshot::default(),
        outcome: Outcome::Failed(Failure::transport(
            FailureKind::Dns,
            "dns error: failed to lookup address information: Name or service not known (api.anthropc.com)",
        )),
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn draw(pane: &mut ResponsePane, width: u16, height: u16) -> Terminal<TestBackend> {
    let theme = Theme::new(ColorMode::Ansi16);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| {
            let ctx = PaneContext {
                theme: &theme,
                focused: true,
                now: now(),
            };
            pane.render(frame.area(), frame.buffer_mut(), &ctx);
        })
        .expect("draw");
    terminal
}

fn screen(pane: &mut ResponsePane, width: u16, height: u16) -> String {
    draw(pane, width, height).backend().to_string()
}

fn shown(exchange: &Exchange) -> ResponsePane {
    let mut pane = ResponsePane::new();
    pane.show(exchange);
    pane
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn search(pane: &mut ResponsePane, query: &str) {
    pane.on_action(Action::Search);
    assert!(pane.input_active());
    for c in query.chars() {
        pane.on_input(key(KeyCode::Char(c)));
    }
    pane.on_input(key(KeyCode::Enter));
    assert!(!pane.input_active());
}

fn live_body_text(pane: &mut ResponsePane) -> Vec<String> {
    let doc = pane.view.document(Tab::Body, 80, now());
    doc.lines().map(|(text, _)| text.to_owned()).collect()
}

/// Sends the first `count` events of the fixture stream to a live pane.
fn stream_into(pane: &mut ResponsePane, id: &ExchangeId, count: usize) {
    for (at_ms, name, data) in stream_events().into_iter().take(count) {
        pane.on_delta(id, at_ms, &parsed(name, &data));
    }
}

fn live_pane() -> (ResponsePane, ExchangeId) {
    let ex = streaming_exchange();
    let mut pane = ResponsePane::new();
    pane.begin(&ex.id, &ex.request, started());
    (pane, ex.id)
}

fn stream_headers() -> Vec<Header> {
    response_headers(
        "text/event-stream; charset=utf-8",
        "req_011CQjPfYhqzMRdT2pLx3aBc",
        79_588,
    )
}

// ---- live following ----

#[test]
fn deltas_are_appended_to_the_live_body_without_resplitting() {
    let (mut pane, id) = live_pane();
    pane.on_headers(&id, 200, &stream_headers());
    stream_into(&mut pane, &id, 5);
    let doc_id = pane.view.document(Tab::Body, 80, now()).id();
    assert_eq!(
        live_body_text(&mut pane),
        vec!["The capital of France is **Paris**, on the Seine."]
    );
    stream_into(&mut pane, &id, 0);
    for (at_ms, name, data) in stream_events().into_iter().skip(5) {
        pane.on_delta(&id, at_ms, &parsed(name, &data));
    }
    // The same document grew: nothing was rebuilt.
    assert_eq!(pane.view.document(Tab::Body, 80, now()).id(), doc_id);
    assert_eq!(
        live_body_text(&mut pane),
        vec![
            "The capital of France is **Paris**, on the Seine. It has been the capital for most of the last thousand years.",
            "",
            "Let me check the weather there.",
            "",
            "── tool_use get_weather (toolu_01A09q90qw90lq917835lq9) ──",
            r#"{"city": "Paris", "unit": "celsius"}"#,
        ]
    );
}

#[test]
fn many_small_deltas_stay_one_line_per_paragraph() {
    let (mut pane, id) = live_pane();
    stream_into(&mut pane, &id, 3);
    for i in 0..5_000 {
        let piece = if i % 1000 == 999 { "word\n" } else { "word " };
        pane.on_delta(
            &id,
            500.0 + f64::from(i),
            &StreamEvent::ContentBlockDelta {
                index: 0,
                delta: crate::api::sse::BlockDelta::Text(piece.into()),
            },
        );
    }
    let lines = live_body_text(&mut pane);
    assert_eq!(lines.len(), 6);
    let View::Live(live) = &pane.view else {
        panic!("still live")
    };
    assert_eq!(live.events, 5_003);
}

#[test]
fn events_for_another_exchange_are_ignored() {
    let (mut pane, id) = live_pane();
    let other = ExchangeId::from_text("ex_other");
    pane.on_headers(&other, 500, &[]);
    stream_into(&mut pane, &other, 6);
    assert_eq!(pane.shown(), Some(&id));
    let View::Live(live) = &pane.view else {
        panic!("still live")
    };
    assert_eq!((live.status, live.events), (None, 0));
    // finish of another exchange does not replace the live one either.
    pane.finish(&json_exchange());
    assert!(matches!(pane.view, View::Live(_)));
}

#[test]
fn finish_replaces_the_live_view_and_keeps_the_tab() {
    let (mut pane, id) = live_pane();
    pane.on_action(Action::NextTab);
    pane.on_action(Action::NextTab);
    assert_eq!(pane.tab(), Tab::Stream);
    stream_into(&mut pane, &id, 16);
    pane.finish(&streaming_exchange());
    assert!(matches!(pane.view, View::Stored(_)));
    assert_eq!(pane.tab(), Tab::Stream);
    assert_eq!(pane.shown(), Some(&id));
}

#[test]
fn begin_switches_to_body_from_a_tab_that_cannot_follow() {
    let mut pane = shown(&json_exchange());
    pane.select_tab(Tab::Raw);
    let ex = streaming_exchange();
    pane.begin(&ex.id, &ex.request, started());
    assert_eq!(pane.tab(), Tab::Body);
    pane.select_tab(Tab::Stream);
    pane.begin(&ex.id, &ex.request, started());
    assert_eq!(pane.tab(), Tab::Stream);
}

#[test]
fn the_live_body_follows_the_end_until_scrolled_up() {
    let (mut pane, id) = live_pane();
    stream_into(&mut pane, &id, 3);
    for i in 0..40 {
        pane.on_delta(
            &id,
            500.0,
            &StreamEvent::ContentBlockDelta {
                index: 0,
                delta: crate::api::sse::BlockDelta::Text(format!("line {i}\n")),
            },
        );
    }
    let text = screen(&mut pane, 44, 13);
    assert!(text.contains("line 39"), "{text}");
    pane.on_action(Action::ScrollUp);
    pane.on_delta(
        &id,
        600.0,
        &StreamEvent::ContentBlockDelta {
            index: 0,
            delta: crate::api::sse::BlockDelta::Text("line 40\n".into()),
        },
    );
    let text = screen(&mut pane, 44, 13);
    assert!(!text.contains("line 40"), "{text}");
    pane.on_action(Action::Bottom);
    assert!(screen(&mut pane, 44, 13).contains("line 40"));
}

// ---- keys, scrolling, search ----

#[test]
fn tabs_cycle_both_ways() {
    let mut pane = shown(&json_exchange());
    pane.on_action(Action::PrevTab);
    assert_eq!(pane.tab(), Tab::Curl);
    pane.on_action(Action::NextTab);
    pane.on_action(Action::NextTab);
    assert_eq!(pane.tab(), Tab::Headers);
}

#[test]
fn scrolling_is_clamped_to_the_document() {
    let mut pane = shown(&streaming_exchange());
    pane.select_tab(Tab::Stream);
    draw(&mut pane, 66, 19);
    pane.on_action(Action::PageDown);
    let after_page = pane.tabs[Tab::Stream.index()].top;
    assert!(after_page > Position::default());
    for _ in 0..100 {
        pane.on_action(Action::ScrollDown);
    }
    let bottom = pane.tabs[Tab::Stream.index()].top;
    pane.on_action(Action::Bottom);
    draw(&mut pane, 66, 19);
    assert_eq!(pane.tabs[Tab::Stream.index()].top, bottom);
    pane.scroll_by(-3);
    assert!(pane.tabs[Tab::Stream.index()].top < bottom);
    pane.on_action(Action::Top);
    draw(&mut pane, 66, 19);
    assert_eq!(pane.tabs[Tab::Stream.index()].top, Position::default());
    pane.scroll_by(-5);
    assert_eq!(pane.tabs[Tab::Stream.index()].top, Position::default());
}

#[test]
fn search_counts_matches_and_steps_through_them() {
    let mut pane = shown(&streaming_exchange());
    pane.select_tab(Tab::Stream);
    draw(&mut pane, 66, 19);
    search(&mut pane, "CONTENT_BLOCK_DELTA");
    // The 8 deltas (the name is no longer repeated in the data).
    assert_eq!(pane.search.matches.len(), 8);
    assert_eq!(pane.search.current, Some(0));
    let text = screen(&mut pane, 66, 19);
    assert!(text.contains("match 1/8"), "{text}");
    pane.on_action(Action::PrevMatch);
    assert_eq!(pane.search.current, Some(7));
    let text = screen(&mut pane, 66, 19);
    assert!(text.contains("match 8/8"), "{text}");
    assert!(
        text.contains("1503 ms  content_block_delta"),
        "the last match is scrolled into view: {text}"
    );
    pane.on_action(Action::NextMatch);
    assert_eq!(pane.search.current, Some(0));
}

#[test]
fn search_with_no_match_says_so() {
    let mut pane = shown(&json_exchange());
    search(&mut pane, "tokyo");
    assert!(pane.search.matches.is_empty());
    assert!(screen(&mut pane, 66, 19).contains("no match for “tokyo”"));
    pane.on_action(Action::NextMatch);
    assert_eq!(pane.search.current, None);
}

#[test]
fn next_match_without_a_search_explains_itself() {
    let mut pane = shown(&json_exchange());
    pane.on_action(Action::NextMatch);
    assert!(screen(&mut pane, 66, 19).contains("press / to search"));
}

#[test]
fn the_prompt_edits_and_escape_closes_it() {
    let mut pane = shown(&json_exchange());
    pane.on_action(Action::Search);
    for c in "parix".chars() {
        pane.on_input(key(KeyCode::Char(c)));
    }
    pane.on_input(key(KeyCode::Backspace));
    pane.on_input(key(KeyCode::Char('s')));
    let text = screen(&mut pane, 66, 19);
    assert!(text.contains("/paris"), "{text}");
    pane.on_input(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(pane.search.prompt.as_deref(), Some(""));
    pane.on_input(key(KeyCode::Esc));
    assert!(!pane.input_active());
    assert!(!pane.search.is_active());
}

#[test]
fn search_matches_are_highlighted_and_the_current_one_stands_out() {
    let theme = Theme::new(ColorMode::Ansi16);
    let mut pane = shown(&json_exchange());
    search(&mut pane, "paris");
    let terminal = draw(&mut pane, 66, 19);
    let buffer = terminal.backend().buffer();
    let highlighted: Vec<(u16, u16)> = buffer
        .content
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.bg == theme.search_match.bg.unwrap_or_default())
        .map(|(i, _)| (i as u16 % 66, i as u16 / 66))
        .collect();
    assert_eq!(highlighted.len(), 5, "{highlighted:?}");
    let first = highlighted[0];
    let cell = &buffer[first];
    assert_eq!(cell.symbol(), "P");
    assert!(cell.modifier.contains(Modifier::UNDERLINED));
}

#[test]
fn wrap_off_scrolls_sideways_to_a_match() {
    let mut pane = shown(&json_exchange());
    pane.on_action(Action::ToggleWrap);
    draw(&mut pane, 44, 13);
    search(&mut pane, "paris");
    assert!(pane.hcol > 0);
    let text = screen(&mut pane, 44, 13);
    assert!(text.contains("Paris"), "{text}");
    assert!(text.contains("nowrap"), "{text}");
}

#[test]
fn a_megabyte_body_is_shown_scrolled_and_searched() {
    let text: String = (0..20_000)
        .map(|i| format!("Paragraph {i}: the quick brown fox jumps over the lazy dog.\\n"))
        .collect();
    let body = format!(
        r#"{{"id":"msg_big","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{{"input_tokens":10,"output_tokens":64000}}}}"#
    );
    assert!(body.len() > 1_000_000);
    let mut ex = json_exchange();
    if let Some(response) = ex.response.as_mut() {
        response.body = body;
    }
    let mut pane = shown(&ex);
    let first = screen(&mut pane, 200, 50);
    assert!(first.contains("Paragraph 0: the quick"), "{first}");
    pane.on_action(Action::Bottom);
    let last = screen(&mut pane, 200, 50);
    assert!(last.contains("\"output_tokens\": 64000"), "{last}");
    search(&mut pane, "paragraph 19999:");
    assert_eq!(pane.search.matches.len(), 1);
    let found = screen(&mut pane, 200, 50);
    assert!(found.contains("Paragraph 19999:"), "{found}");
    assert!(found.contains("match 1/1"), "{found}");
}

#[test]
fn no_size_panics() {
    let exchanges = [
        streaming_exchange(),
        json_exchange(),
        bad_request_exchange(),
        rate_limited_exchange(),
        transport_exchange(),
    ];
    let sizes = [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 1),
        (1, 30),
        (5, 3),
        (12, 4),
        (30, 2),
        (200, 1),
    ];
    for ex in &exchanges {
        for tab in Tab::ALL {
            for wrap in [true, false] {
                let mut pane = shown(ex);
                pane.select_tab(tab);
                if !wrap {
                    pane.on_action(Action::ToggleWrap);
                }
                for (w, h) in sizes {
                    draw(&mut pane, w, h);
                    pane.on_action(Action::Search);
                    pane.on_input(key(KeyCode::Char('e')));
                    draw(&mut pane, w, h);
                    pane.on_input(key(KeyCode::Enter));
                    pane.on_action(Action::NextMatch);
                    pane.on_action(Action::PageDown);
                    pane.on_action(Action::Bottom);
                    draw(&mut pane, w, h);
                }
            }
        }
    }
    let (mut pane, id) = live_pane();
    for (w, h) in sizes {
        draw(&mut pane, w, h);
        stream_into(&mut pane, &id, 4);
    }
}

#[test]
fn the_full_key_never_reaches_the_screen() {
    // Even a key that slipped into a recorded header unmasked is masked.
    let mut leaky = streaming_exchange();
    leaky
        .request
        .headers
        .push(Header::new("authorization", format!("Bearer {FAKE_KEY}")));
    let exchanges = [
        streaming_exchange(),
        json_exchange(),
        bad_request_exchange(),
        rate_limited_exchange(),
        transport_exchange(),
        leaky,
    ];
    for ex in &exchanges {
        let mut pane = shown(ex);
        for tab in Tab::ALL {
            pane.select_tab(tab);
            for (w, h) in [(200, 50), (66, 19)] {
                let text = screen(&mut pane, w, h);
                assert!(!text.contains("TESTKEY"), "{tab:?} {text}");
            }
        }
    }
    let (mut pane, _) = live_pane();
    for tab in Tab::ALL {
        pane.select_tab(tab);
        assert!(!screen(&mut pane, 200, 50).contains("TESTKEY"));
    }
    // What it does show is the masked form, so the key can be told apart.
    let mut pane = shown(&streaming_exchange());
    pane.select_tab(Tab::Headers);
    assert!(screen(&mut pane, 200, 50).contains("x-api-key: sk-ant-…QAAA"));
}

// ---- snapshots ----

#[test]
fn snapshot_empty() {
    let mut pane = ResponsePane::new();
    insta::assert_snapshot!("empty", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_waiting_for_headers() {
    let (mut pane, _) = live_pane();
    insta::assert_snapshot!("waiting_for_headers", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_streaming_mid_way() {
    let (mut pane, id) = live_pane();
    pane.on_headers(&id, 200, &stream_headers());
    stream_into(&mut pane, &id, 12);
    insta::assert_snapshot!("streaming_mid_way", draw(&mut pane, 66, 19).backend());
    pane.select_tab(Tab::Stream);
    insta::assert_snapshot!(
        "streaming_mid_way_stream",
        draw(&mut pane, 66, 19).backend()
    );
    pane.select_tab(Tab::Timing);
    insta::assert_snapshot!(
        "streaming_mid_way_timing",
        draw(&mut pane, 66, 19).backend()
    );
}

#[test]
fn snapshot_finished_json() {
    let mut pane = shown(&json_exchange());
    insta::assert_snapshot!("finished_json_200", draw(&mut pane, 66, 19).backend());
    pane.select_tab(Tab::Timing);
    insta::assert_snapshot!(
        "finished_json_200_timing",
        draw(&mut pane, 66, 19).backend()
    );
}

#[test]
fn snapshot_bad_request() {
    let mut pane = shown(&bad_request_exchange());
    insta::assert_snapshot!("bad_request_400", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_gateway_wrapped_error() {
    let body = r#"{"error":{"message":"litellm.BadRequestError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"temperature: Input should be less than or equal to 1\"}}. Received Model Group=claude-sonnet-4-5","type":null,"param":null,"code":"400"}}"#;
    let mut ex = error_exchange("ex_0195d1a2fee1litell", 400, body, vec![]);
    ex.request.body =
        r#"{"model":"claude-sonnet-4-5","max_tokens":256,"temperature":1.5,"messages":[{"role":"user","content":"Hi"}]}"#
            .into();
    let text = content_text(&ex);
    assert!(text.contains("LiteLLM"), "{text}");
    let mut pane = shown(&ex);
    insta::assert_snapshot!("gateway_wrapped_400", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_html_proxy_page() {
    let page = "<html>\n<head><title>413 Request Entity Too Large</title></head>\n<body>\n<center><h1>413 Request Entity Too Large</h1></center>\n<hr><center>nginx/1.26.0 (Ubuntu)</center>\n</body>\n</html>";
    let mut ex = error_exchange("ex_0195d1a2fee1nginx", 413, page, vec![]);
    if let Some(response) = ex.response.as_mut() {
        for header in &mut response.headers {
            if header.name == "content-type" {
                header.value = "text/html".into();
            }
        }
    }
    let text = content_text(&ex);
    assert!(text.contains("client_max_body_size"), "{text}");
    let mut pane = shown(&ex);
    insta::assert_snapshot!("html_proxy_page_413", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_account_state() {
    let ex = error_exchange(
        "ex_0195d1a2fee1disabl",
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"This organization has been disabled."},"request_id":"req_011CXF1SZ3S3oXChsdxhoUwV"}"#,
        vec![],
    );
    let text = content_text(&ex);
    assert!(text.contains("account state, not a request bug"), "{text}");
    let mut pane = shown(&ex);
    insta::assert_snapshot!("account_disabled_400", draw(&mut pane, 66, 19).backend());
}

/// The Body tab's text for `ex`, unwrapped.
fn content_text(ex: &Exchange) -> String {
    let mut pane = shown(ex);
    let backend = draw(&mut pane, 400, 40);
    let buffer = backend.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn snapshot_rate_limited() {
    let mut pane = shown(&rate_limited_exchange());
    insta::assert_snapshot!("rate_limited_429", draw(&mut pane, 66, 22).backend());
}

#[test]
fn snapshot_transport_failure() {
    let mut pane = shown(&transport_exchange());
    insta::assert_snapshot!("transport_failure", draw(&mut pane, 66, 19).backend());
    pane.select_tab(Tab::Headers);
    insta::assert_snapshot!(
        "transport_failure_headers",
        draw(&mut pane, 66, 19).backend()
    );
}

#[test]
fn snapshot_cancelled() {
    let mut pane = shown(&streaming_exchange_cut(6, Outcome::Cancelled));
    insta::assert_snapshot!("cancelled", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_finished_stream_tabs() {
    let mut pane = shown(&streaming_exchange());
    for tab in Tab::ALL {
        pane.select_tab(tab);
        let name = format!("stream_tab_{}", tab.label().to_ascii_lowercase());
        insta::assert_snapshot!(name, draw(&mut pane, 100, 30).backend());
    }
}

#[test]
fn snapshot_narrow() {
    let mut pane = shown(&streaming_exchange());
    insta::assert_snapshot!("stream_body_44x13", draw(&mut pane, 44, 13).backend());
}

#[test]
fn snapshot_search() {
    let mut pane = shown(&streaming_exchange());
    pane.on_action(Action::Search);
    for c in "capital".chars() {
        pane.on_input(key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!("search_prompt", draw(&mut pane, 66, 19).backend());
    pane.on_input(key(KeyCode::Enter));
    pane.on_action(Action::NextMatch);
    insta::assert_snapshot!("search_matches", draw(&mut pane, 66, 19).backend());
}

#[test]
fn snapshot_wrap_on_and_off() {
    let mut pane = shown(&bad_request_exchange());
    pane.select_tab(Tab::Raw);
    insta::assert_snapshot!("wrap_on", draw(&mut pane, 66, 19).backend());
    pane.on_action(Action::ToggleWrap);
    insta::assert_snapshot!("wrap_off", draw(&mut pane, 66, 19).backend());
}

#[test]
fn live_headers_and_raw_tabs_show_what_has_arrived() {
    let (mut pane, id) = live_pane();
    pane.select_tab(Tab::Headers);
    assert!(screen(&mut pane, 100, 30).contains("Waiting for response headers…"));
    pane.on_headers(&id, 200, &stream_headers());
    let text = screen(&mut pane, 100, 30);
    assert!(text.contains("200 OK"), "{text}");
    assert!(
        text.contains("request-id: req_011CQjPfYhqzMRdT2pLx3aBc"),
        "{text}"
    );
    assert!(text.contains("x-api-key: sk-ant-…QAAA"), "{text}");
    pane.select_tab(Tab::Raw);
    let text = screen(&mut pane, 100, 30);
    assert!(text.contains("The body is arriving"), "{text}");
    pane.select_tab(Tab::Curl);
    assert!(screen(&mut pane, 100, 30).contains("$ANTHROPIC_API_KEY"));
}
