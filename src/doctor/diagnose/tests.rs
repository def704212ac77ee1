use chrono::{DateTime, Utc};

use super::*;
use crate::api::errors::{classify_http, classify_stream_error};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::types::{MessageResponse, Usage};
use crate::exchange::{ExchangeId, RecordedEvent, RecordedResponse, Timing};

const KEY: &str = "sk-ant-api03-DiagnoseTestKeyNeverShown0123456789abcdefXYZW";

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T09:30:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn request(body: &str) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        url: "https://api.anthropic.com/v1/messages".into(),
        headers: vec![
            Header::new("content-type", "application/json"),
            Header::new("anthropic-version", "2023-06-01"),
            Header::new("x-api-key", crate::store::redact::mask_secret(KEY)),
        ],
        body: body.into(),
    }
}

const HELLO: &str =
    r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}"#;

fn envelope(kind: &str, message: &str) -> String {
    serde_json::json!({"type":"error","error":{"type":kind,"message":message},"request_id":"req_diag"})
        .to_string()
}

/// An exchange as the engine records an HTTP answer.
fn http(status: u16, body: &str, headers: &[(&str, &str)], request_body: &str) -> Exchange {
    let mut headers: Vec<Header> = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
    headers.push(Header::new("request-id", "req_diag"));
    let outcome = classify_http(status, body, &headers).map_or(Outcome::Ok, Outcome::Failed);
    Exchange {
        id: ExchangeId::from_text("ex_diag"),
        started_at: t0(),
        profile: "default".into(),
        request: request(request_body),
        rate_limits: RateLimitSnapshot::from_headers(&headers, t0()),
        response: Some(RecordedResponse {
            status,
            http_version: "HTTP/1.1".into(),
            headers,
            body: body.into(),
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            headers_ms: Some(200.0),
            total_ms: 250.0,
            ..Timing::default()
        },
        usage: None,
        outcome,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn transport(kind: FailureKind, message: &str, url: &str) -> Exchange {
    let mut ex = http(200, "", &[], HELLO);
    ex.request.url = url.into();
    ex.response = None;
    ex.rate_limits = RateLimitSnapshot::default();
    ex.timing = Timing {
        total_ms: 12.0,
        ..Timing::default()
    };
    ex.outcome = Outcome::Failed(Failure::transport(kind, message));
    ex
}

fn assert_clean(d: &Diagnosis) {
    for text in d.texts() {
        assert!(!text.contains(&KEY[13..40]), "the key leaked: {text}");
    }
    assert!(!d.headline.contains('\n'), "{}", d.headline);
    assert!(!d.fix.is_empty());
}

#[test]
fn every_failure_kind_is_diagnosed_with_its_slug_fix_and_steps() {
    for kind in FailureKind::ALL {
        let mut ex = http(400, &envelope("invalid_request_error", "boom"), &[], HELLO);
        let mut failure = Failure::transport(kind, "something went wrong");
        if !kind.is_transport() {
            failure.status = Some(400);
        }
        ex.outcome = Outcome::Failed(failure);
        let d = diagnose(&ex);
        assert_eq!(d.kind, Some(kind));
        assert!(d.headline.contains(kind.slug()), "{kind:?}: {}", d.headline);
        assert!(!d.explanation.is_empty(), "{kind:?}");
        assert_eq!(d.related_steps, steps_for_failure(kind));
        assert!(d.evidence_value("status").is_some(), "{kind:?}");
        assert_clean(&d);
    }
}

#[test]
fn an_empty_message_is_named_by_path_with_lints_fix() {
    let body = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":""}]}"#;
    let message = "messages.0: all messages must have non-empty content except for the optional final assistant message";
    let d = diagnose(&http(
        400,
        &envelope("invalid_request_error", message),
        &[],
        body,
    ));
    assert_eq!(d.kind, Some(FailureKind::BadRequest));
    assert_eq!(d.headline, "400 bad-request: messages.0.content is empty");
    assert_eq!(d.evidence_value("request-id"), Some("req_diag"));
    assert_eq!(d.evidence_value("field"), Some("messages.0"));
    assert_eq!(d.evidence_value("lint"), Some("flags the same problem"));
    assert_eq!(d.fix, "Give the message some content, or remove it.");
    assert!(
        d.explanation
            .iter()
            .any(|l| l == "messages.0 means message 1 (paths count from 0)."),
        "{:?}",
        d.explanation
    );
}

#[test]
fn an_empty_text_block_is_pinpointed_by_lint() {
    let body = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}"#;
    let d = diagnose(&http(
        400,
        &envelope(
            "invalid_request_error",
            "messages: text content blocks must be non-empty",
        ),
        &[],
        body,
    ));
    assert_eq!(
        d.headline,
        "400 bad-request: an empty text block in messages.0.content.0.text"
    );
    assert!(
        d.explanation
            .iter()
            .any(|l| l == "Offline lint pinpoints it at messages.0.content.0.text."),
        "{:?}",
        d.explanation
    );
    assert_eq!(
        d.evidence_value("sent at messages.0.content.0.text"),
        Some("\"\"")
    );
    assert_eq!(d.fix, "Remove the empty text block or give it text.");
}

#[test]
fn a_missing_field_shows_it_absent() {
    let body = r#"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Hi"}]}"#;
    let d = diagnose(&http(
        400,
        &envelope("invalid_request_error", "max_tokens: Field required"),
        &[],
        body,
    ));
    assert_eq!(d.headline, "400 bad-request: max_tokens is missing");
    assert_eq!(d.evidence_value("sent at max_tokens"), Some("(absent)"));
    assert!(d.fix.contains("max_tokens"), "{}", d.fix);
}

#[test]
fn a_version_error_shows_the_headers_sent() {
    let mut ex = http(
        400,
        &envelope(
            "invalid_request_error",
            "anthropic-version: \"2099-01-01\" is not a valid version. Supported versions: 2023-06-01, 2026-10-21",
        ),
        &[],
        HELLO,
    );
    ex.request.headers[1].value = "2099-01-01".into();
    ex.request
        .headers
        .push(Header::new("anthropic-beta", "tools-2024-04-04"));
    let d = diagnose(&ex);
    assert!(
        d.headline.contains("\"2099-01-01\" is not a version"),
        "{}",
        d.headline
    );
    assert_eq!(
        d.evidence_value("anthropic-version sent"),
        Some("2099-01-01")
    );
    assert_eq!(
        d.evidence_value("anthropic-beta sent"),
        Some("tools-2024-04-04")
    );
    assert!(d.fix.contains("anthropic-version: 2023-06-01"));
}

#[test]
fn invalid_json_gets_lints_hint() {
    let body = "{\"model\": \"claude-sonnet-4-6\",}";
    let message = "The request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 31 (char 30)";
    let d = diagnose(&http(
        400,
        &envelope("invalid_request_error", message),
        &[],
        body,
    ));
    assert_eq!(
        d.headline,
        "400 bad-request: the body is not valid JSON (line 1, column 31)"
    );
    assert!(d.fix.contains("claudetui lint"), "{}", d.fix);
}

#[test]
fn a_429_names_the_limit_its_reset_and_retry_after() {
    let headers = [
        ("retry-after", "20"),
        ("anthropic-ratelimit-requests-limit", "50"),
        ("anthropic-ratelimit-requests-remaining", "0"),
        ("anthropic-ratelimit-requests-reset", "2026-11-25T09:30:30Z"),
        ("anthropic-ratelimit-tokens-limit", "96000"),
        ("anthropic-ratelimit-tokens-remaining", "90000"),
    ];
    let d = diagnose(&http(
        429,
        &envelope(
            "rate_limit_error",
            "Number of requests has exceeded your per-minute rate limit",
        ),
        &headers,
        HELLO,
    ));
    assert_eq!(
        d.headline,
        "429 rate-limited: the requests limit was hit; retry after 20 s"
    );
    assert!(
        d.explanation
            .iter()
            .any(|l| l == "requests: 0 of 50 left, resets at 09:30:30 UTC (30 s after the answer)."),
        "{:?}",
        d.explanation
    );
    assert!(
        d.explanation
            .iter()
            .any(|l| l.contains("retry-after asks for 20 s") && l.contains("09:30:20")),
        "{:?}",
        d.explanation
    );
    assert_eq!(d.evidence_value("retry-after"), Some("20"));
    assert_eq!(
        d.evidence_value("anthropic-ratelimit-requests-*"),
        Some("limit 50 · remaining 0 · reset 2026-11-25T09:30:30Z")
    );
    assert_eq!(
        d.evidence_value("anthropic-ratelimit-tokens-*"),
        Some("limit 96000 · remaining 90000")
    );
    assert!(d.fix.starts_with("Wait 20 s (retry-after)"), "{}", d.fix);
}

#[test]
fn a_429_without_headers_says_the_numbers_are_unknown() {
    let d = diagnose(&http(
        429,
        &envelope(
            "rate_limit_error",
            "This request would exceed your organization's rate limit of 50,000 input tokens per minute (org: x, model: y).",
        ),
        &[],
        HELLO,
    ));
    assert!(
        d.headline.contains("the input tokens limit was hit"),
        "{}",
        d.headline
    );
    assert!(
        d.explanation
            .iter()
            .any(|l| l.contains("50,000 input tokens per minute"))
    );
    assert!(
        d.explanation
            .iter()
            .any(|l| l.contains("unknown, not zero"))
    );
}

#[test]
fn an_error_event_after_a_200_is_mid_stream() {
    let mut ex = http(200, "", &[("content-type", "text/event-stream")], HELLO);
    let response = ex.response.as_mut().unwrap();
    response.events = vec![
        RecordedEvent {
            at_ms: 100.0,
            event: "message_start".into(),
            data: "{}".into(),
        },
        RecordedEvent {
            at_ms: 180.0,
            event: "error".into(),
            data: r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                .into(),
        },
    ];
    ex.outcome = Outcome::Failed(classify_stream_error(
        "overloaded_error",
        "Overloaded",
        Some("req_diag".into()),
    ));
    let d = diagnose(&ex);
    assert_eq!(d.kind, Some(FailureKind::Overloaded));
    assert!(
        d.headline.starts_with("200 then overloaded:"),
        "{}",
        d.headline
    );
    assert_eq!(
        d.evidence_value("error event"),
        Some("+180 ms (event 2 of 2)")
    );
    assert_eq!(d.evidence_value("events before it"), Some("1"));
    assert!(d.explanation.iter().any(|l| l.contains("after a 200")));
    assert!(d.fix.contains("sent again from the start"), "{}", d.fix);
}

#[test]
fn a_proxy_page_403_is_not_the_api() {
    let d = diagnose(&http(
        403,
        "<html><head><title>Blocked by policy</title></head></html>",
        &[("content-type", "text/html"), ("via", "1.1 corp-proxy")],
        HELLO,
    ));
    assert_eq!(d.kind, Some(FailureKind::RegionBlocked));
    assert!(d.headline.contains("Blocked by policy"), "{}", d.headline);
    assert_eq!(d.evidence_value("via"), Some("1.1 corp-proxy"));
    assert_eq!(d.evidence_value("content-type"), Some("text/html"));
    assert!(
        d.explanation
            .iter()
            .any(|l| l.contains("not the API's error format"))
    );
    assert!(d.fix.contains("supported-countries"));
}

#[test]
fn an_unknown_model_suggests_the_closest() {
    let d = diagnose(&http(
        404,
        &envelope("not_found_error", "model: claude-sonet-4-6"),
        &[],
        HELLO,
    ));
    assert_eq!(
        d.headline,
        "404 no-model: model claude-sonet-4-6 does not exist"
    );
    assert!(d.fix.contains("claude-sonnet-4-6"), "{}", d.fix);
    assert_eq!(d.evidence_value("model sent"), Some("claude-sonet-4-6"));
}

#[test]
fn a_doubled_v1_is_explained() {
    let mut ex = http(404, &envelope("not_found_error", "Not Found"), &[], HELLO);
    ex.request.url = "https://api.anthropic.com/v1/v1/messages".into();
    let d = diagnose(&ex);
    assert_eq!(d.kind, Some(FailureKind::PathNotFound));
    assert!(d.fix.contains("Drop the /v1"), "{}", d.fix);
}

#[test]
fn auth_failures_show_the_masked_credential_only() {
    let d = diagnose(&http(
        401,
        &envelope("authentication_error", "invalid x-api-key"),
        &[],
        HELLO,
    ));
    assert_eq!(d.evidence_value("x-api-key sent"), Some("sk-ant-…XYZW"));
    assert!(
        d.headline.contains("the API key or token was refused"),
        "{}",
        d.headline
    );
    assert_clean(&d);
    // Even a key echoed in full by a server is masked.
    let d = diagnose(&http(
        401,
        &envelope("authentication_error", &format!("bad key {KEY}")),
        &[],
        HELLO,
    ));
    assert_clean(&d);
}

#[test]
fn transport_failures_name_the_host() {
    let d = diagnose(&transport(
        FailureKind::ConnectionRefused,
        "connection refused",
        "http://127.0.0.1:4747/v1/messages",
    ));
    assert_eq!(
        d.headline,
        "no response · refused: nothing listens at 127.0.0.1:4747"
    );
    assert!(d.explanation.iter().any(|l| l.contains("claudetui mock")));
    assert_eq!(d.evidence_value("host"), Some("127.0.0.1:4747"));

    let d = diagnose(&transport(
        FailureKind::Dns,
        "dns error",
        "https://nope.invalid/v1/messages",
    ));
    assert_eq!(
        d.headline,
        "no response · dns: nope.invalid does not resolve"
    );
    assert!(d.explanation.iter().any(|l| l.contains("reserved")));

    let d = diagnose(&transport(
        FailureKind::Tls,
        "received corrupt message of type InvalidContentType",
        "https://127.0.0.1:9/v1/messages",
    ));
    assert!(d.fix.contains("http://"), "{}", d.fix);
}

#[test]
fn a_cut_stream_counts_its_events() {
    let mut ex = http(200, "", &[("content-type", "text/event-stream")], HELLO);
    let response = ex.response.as_mut().unwrap();
    response.events = (0..5)
        .map(|i| RecordedEvent {
            at_ms: 10.0 * i as f64,
            event: "content_block_delta".into(),
            data: "{}".into(),
        })
        .collect();
    let mut failure = Failure::transport(FailureKind::ConnectionReset, "the stream broke");
    failure.status = Some(200);
    ex.outcome = Outcome::Failed(failure);
    let d = diagnose(&ex);
    assert_eq!(
        d.headline,
        "200 then reset: the stream was cut after 5 events"
    );
    assert_eq!(
        d.evidence_value("last event"),
        Some("content_block_delta at +40 ms")
    );
}

#[test]
fn success_and_cancellation_are_not_failures() {
    let mut ex = http(200, "{}", &[], HELLO);
    ex.usage = Some(Usage {
        input_tokens: 12,
        output_tokens: 6,
        ..Usage::default()
    });
    let message: MessageResponse = serde_json::from_str(
        r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":"max_tokens","usage":{"input_tokens":12,"output_tokens":6}}"#,
    )
    .unwrap();
    ex.response.as_mut().unwrap().message = Some(message);
    let d = diagnose(&ex);
    assert_eq!(d.kind, None);
    assert_eq!(
        d.headline,
        "200 ok: nothing failed (claude-sonnet-4-6, 12 in / 6 out tokens, 250 ms)"
    );
    assert_eq!(d.fix, "Raise max_tokens for a longer answer.");
    assert!(d.related_steps.is_empty());

    ex.outcome = Outcome::Cancelled;
    let d = diagnose(&ex);
    assert_eq!(d.kind, None);
    assert!(d.headline.starts_with("cancelled"), "{}", d.headline);
}

#[test]
fn json_names_the_evidence_rows() {
    let d = diagnose(&http(
        529,
        &envelope("overloaded_error", "Overloaded"),
        &[("x-should-retry", "true")],
        HELLO,
    ));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["kind"], "overloaded");
    assert_eq!(json["evidence"][0]["name"], "request-id");
    assert_eq!(json["evidence"][0]["value"], "req_diag");
    assert!(
        json["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["name"] == "x-should-retry" && row["value"] == "true")
    );
    let text = d.to_text();
    assert!(
        text.starts_with("529 overloaded: the API is overloaded\n"),
        "{text}"
    );
    assert!(text.contains("\nfix: "), "{text}");
}

#[test]
fn lint_runs_only_on_messages_posts() {
    let mut req = request(r#"{"model":"claude-sonnet-4-6","messages":[]}"#);
    assert!(!lint_recorded(&req).is_empty());
    req.url = "https://gw.example.com/anthropic/v1/messages/count_tokens?beta=true".into();
    assert!(lint_recorded(&req).iter().all(|p| p.path != "max_tokens"));
    req.method = "GET".into();
    assert!(lint_recorded(&req).is_empty());
    req.method = "POST".into();
    req.url = "https://api.anthropic.com/v1/models".into();
    assert!(lint_recorded(&req).is_empty());
}

/// Bodies that break one rule the composer knows, each with a terse 400
/// a server might answer (a gateway's `Invalid request`, the API's own
/// words naming only the field or `messages`).
fn rule_breakers() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let user = |t: &str| json!({"role": "user", "content": t});
    vec![
        (
            "temperature and top_p",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "temperature": 0.5, "top_p": 0.9, "messages": [user("Hi")]}),
        ),
        (
            "thinking budget over max_tokens",
            json!({"model": "claude-haiku-4-5", "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 4000}, "messages": [user("Hi")]}),
        ),
        (
            "tool_use without tool_result",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [user("Weather?"), {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {}}]}, user("and?")]}),
        ),
        (
            "trailing whitespace in a prefill",
            json!({"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [user("Hi"), {"role": "assistant", "content": "Sure, "}]}),
        ),
        (
            "OpenAI tool_calls",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [user("Hi"), {"role": "assistant", "content": "x", "tool_calls": []}, user("Hi")]}),
        ),
        (
            "OpenAI image_url block",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}),
        ),
        (
            "system message first",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "system", "content": "Be brief."}, user("Hi")]}),
        ),
        (
            "empty content",
            json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [user("")]}),
        ),
    ]
}

#[test]
fn a_terse_400_gets_lints_fix_for_the_rule_the_body_breaks() {
    for (rule, body) in rule_breakers() {
        let text = body.to_string();
        let problems = lint_recorded(&request(&text));
        let lint = lint::first_error(&problems)
            .unwrap_or_else(|| panic!("{rule}: lint finds nothing: {problems:#?}"));
        let field = lint.path.split('.').next().unwrap_or_default().to_owned();
        let mut messages = vec![lint.api_message(), "Invalid request".to_owned()];
        if !field.is_empty() {
            messages.push(format!("{field}: invalid value"));
        }
        for message in messages {
            let ex = http(
                400,
                &envelope("invalid_request_error", &message),
                &[],
                &text,
            );
            let d = diagnose(&ex);
            assert_eq!(d.fix, lint.fix, "{rule}, server said {message:?}: {d:#?}");
        }
    }
}
