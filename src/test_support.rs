//! Realistic exchanges for tests anywhere in the crate (the store, the
//! engine, the tap, the dashboard).

use chrono::{DateTime, Utc};

use crate::api::errors::{Failure, FailureKind};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::types::{Header, Usage};
use crate::exchange::{Exchange, ExchangeId, Outcome, RecordedRequest, RecordedResponse, Timing};

/// A key shaped like a real one; tests assert it never shows.
pub const TEST_KEY: &str = "sk-ant-api03-Zq7TestKeyNeverOnScreen-9f8e7d6c5b4a39281716-XyZw";

/// 2026-11-25 09:30:00 UTC plus `ms`.
pub fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_795_599_000_000 + ms).unwrap_or_default()
}

pub fn request(model: &str) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        url: "http://127.0.0.1:4747/v1/messages".into(),
        headers: vec![
            Header::new("content-type", "application/json"),
            Header::new("anthropic-version", "2023-06-01"),
            Header::new("x-api-key", "sk-ant-…XyZw"),
        ],
        body: format!(
            r#"{{"model":"{model}","max_tokens":256,"stream":true,"messages":[{{"role":"user","content":"Hi"}}]}}"#
        ),
    }
}

/// An exchange `n` (its id is `ex_test_{n}`), started `n` seconds after
/// [`at`]`(0)`, with the given status (`None`: connection refused).
pub fn exchange(n: i64, model: &str, status: Option<u16>) -> Exchange {
    let id = format!("ex_test_{n:04}");
    let outcome = match status {
        Some(200) => Outcome::Ok,
        Some(status) => {
            let kind = match status {
                400 => FailureKind::BadRequest,
                401 => FailureKind::Authentication,
                429 => FailureKind::RateLimited,
                529 => FailureKind::Overloaded,
                _ => FailureKind::ServerError,
            };
            Outcome::Failed(Failure {
                status: Some(status),
                request_id: Some(format!("req_{id}")),
                ..Failure::transport(kind, "the server said no")
            })
        }
        None => Outcome::Failed(Failure::transport(
            FailureKind::ConnectionRefused,
            "connection refused",
        )),
    };
    Exchange {
        id: ExchangeId::from_text(&id),
        started_at: at(n * 1000),
        profile: "default".into(),
        request: request(model),
        response: status.map(|status| RecordedResponse {
            status,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("content-type", "application/json"),
                Header::new("request-id", format!("req_{id}")),
            ],
            body: r#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"m","stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":345}}"#.into(),
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            headers_ms: Some(380.0),
            total_ms: 1234.0,
            ..Timing::default()
        },
        usage: status.filter(|s| *s == 200).map(|_| Usage {
            input_tokens: 12,
            output_tokens: 345,
            ..Usage::default()
        }),
        rate_limits: RateLimitSnapshot::default(),
        outcome,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

/// [`exchange`] as the tap sees it from Claude Code: source tap, its
/// user agent, `x-app` and session `s-1`, the `?beta=true` path.
pub fn tapped(n: i64, model: &str, status: Option<u16>) -> Exchange {
    let mut ex = exchange(n, model, status);
    ex.source = crate::exchange::Source::Tap;
    ex.client = Some(crate::exchange::Client {
        user_agent: Some("claude-cli/2.1.197 (external, cli)".into()),
        app: Some("cli".into()),
        session: Some("s-1".into()),
    });
    ex.request.url = "https://api.anthropic.com/v1/messages?beta=true".into();
    ex
}
