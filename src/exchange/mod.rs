//! The spine: one [`Exchange`] is one request and what came back.
//!
//! The engine produces it, the store keeps it, the panes show it, the doctor
//! reasons about it and export writes it. Secrets are already masked in every
//! `Exchange` (the engine builds the recorded request from masked headers),
//! so nothing downstream has to remember to redact.

pub mod diff;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::api::errors::{Failure, FailureKind};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::types::{Header, MessageResponse, Usage, header_value};

/// Sortable, unique id: milliseconds since the epoch and a random suffix.
/// Its 20 characters are stored inline (no allocation), which is most of
/// what makes listing 100k summaries fast.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExchangeId(pub CompactString);

impl ExchangeId {
    pub fn new() -> Self {
        let millis = Utc::now().timestamp_millis().max(0) as u64;
        ExchangeId(compact_str::format_compact!(
            "ex_{millis:011x}{:06x}",
            rand::random::<u32>() & 0xff_ffff
        ))
    }

    /// An id read back from the store or typed by a user.
    pub fn from_text(text: &str) -> Self {
        ExchangeId(CompactString::new(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ExchangeId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The request exactly as it went out, with credentials masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: String,
}

impl RecordedRequest {
    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The API's part of the path and query, whatever prefix the base URL
    /// it went to had: `https://gw.example/anthropic/v1/messages?beta=true`
    /// → `/v1/messages?beta=true`, so a replay joins it to another base URL
    /// (with its own prefix) once. The last `/v1/` counts, as a prefix can
    /// hold one too (`…/api/v1` bases); a path without one is kept whole.
    pub fn api_path(&self) -> &str {
        let path = self.path();
        let query_at = path.find('?').unwrap_or(path.len());
        match path[..query_at].rfind("/v1/") {
            Some(at) => &path[at..],
            None if path[..query_at].ends_with("/api/hello") => {
                &path[path[..query_at].len() - "/api/hello".len()..]
            }
            None => path,
        }
    }

    /// The path and query of the URL (`/v1/messages?beta=true`).
    pub fn path(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest);
        after_scheme.find('/').map_or("/", |i| &after_scheme[i..])
    }
}

/// One server-sent event as received, with its arrival time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Milliseconds since the exchange started.
    pub at_ms: f64,
    /// The `event:` name (`message` when the server sent none).
    pub event: String,
    pub data: String,
}

/// What came back, as far as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/2`.
    pub http_version: String,
    pub headers: Vec<Header>,
    /// The raw body (for a stream, the SSE text as received).
    pub body: String,
    /// The parsed SSE events of a streaming response, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RecordedEvent>,
    /// The message, parsed or assembled from the stream, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageResponse>,
    /// Set when the body was larger than what a record keeps: the client
    /// (or `send`'s output) got all of it, the record the start and the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncated>,
}

impl Truncated {
    /// `the record keeps the first 3.1 MiB of 100.0 MiB received (812,004
    /// events in between left out)`.
    pub fn describe(&self) -> String {
        let mib = |n: u64| format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0));
        let mut text = format!(
            "the record keeps the first {} of {} received",
            mib(self.kept_bytes),
            mib(self.received_bytes)
        );
        if self.events_dropped > 0 {
            text.push_str(&format!(
                " ({} events in between left out; the last ones are kept)",
                crate::text::thousands(self.events_dropped)
            ));
        }
        text.push_str("; the client got all of it");
        text
    }
}

/// How much of a large body the record kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncated {
    /// Body bytes kept in `body` (the start of the body).
    pub kept_bytes: u64,
    /// Body bytes that arrived in all (decoded).
    pub received_bytes: u64,
    /// Stream events not kept: those between the first ones and the last
    /// few, which are kept so the end of the stream is on record.
    pub events_dropped: u64,
}

/// How long each phase took, in milliseconds since the exchange started.
/// A phase that did not happen or could not be measured is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// DNS lookup, when this exchange opened a new connection by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_ms: Option<f64>,
    /// Opening the connection: TCP, proxy tunnel and TLS, DNS included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<f64>,
    /// True when a pooled connection was reused (so no DNS or connect).
    #[serde(default)]
    pub connection_reused: bool,
    /// Time to response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers_ms: Option<f64>,
    /// Time to the first content delta of a stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<f64>,
    pub total_ms: f64,
    /// Output tokens per second of generation (after the first token for a
    /// stream, over the whole exchange otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_sec: Option<f64>,
}

/// How the exchange ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed(Failure),
    /// Cancelled by the user; the response holds what arrived before that.
    Cancelled,
}

impl Outcome {
    /// The one-word outcome (`ok`, `rate-limited`, `cancelled`, …).
    pub fn slug(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed(failure) => failure.kind.slug(),
            Outcome::Cancelled => "cancelled",
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(failure) => Some(failure),
            _ => None,
        }
    }
}

/// One request and everything known about its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub id: ExchangeId,
    pub started_at: DateTime<Utc>,
    /// The profile it was sent with (`demo` in demo mode).
    pub profile: String,
    pub request: RecordedRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    pub timing: Timing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub rate_limits: RateLimitSnapshot,
    pub outcome: Outcome,
    /// 1 for the first try; retries count up.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The first attempt's id, on a retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<ExchangeId>,
    /// Who produced it: claudetui itself, or the tap watching another
    /// program.
    #[serde(default)]
    pub source: Source,
    /// The program that sent it, as its headers say (tapped exchanges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
}

fn first_attempt() -> u32 {
    1
}

/// Who produced an exchange. Nothing downstream treats them apart beyond
/// showing it: a tapped exchange is diagnosed, replayed, bisected and
/// exported as one claudetui sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// claudetui sent it (`send`, the dashboard, the doctor, bisect).
    #[default]
    Claudetui,
    /// Another program sent it through `claudetui tap`.
    Tap,
    /// Another program sent it to `claudetui mock --record`, which answered.
    Mock,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Claudetui, Source::Tap, Source::Mock];

    pub fn slug(self) -> &'static str {
        match self {
            Source::Claudetui => "claudetui",
            Source::Tap => "tap",
            Source::Mock => "mock",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// The header Claude Code sends with the same value on every request of
/// one session; it groups a conversation's turns.
pub const CLAUDE_CODE_SESSION_HEADER: &str = "x-claude-code-session-id";

/// Which program sent a tapped request, from the headers it sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// `User-Agent`, e.g. `claude-cli/2.1.197 (external, cli)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `x-app`, e.g. `cli` for Claude Code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Claude Code's session id (`X-Claude-Code-Session-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// How much of a header value a record keeps of the client's identity: a
/// user agent can be any length, a listing column cannot.
const CLIENT_FIELD_MAX: usize = 200;

impl Client {
    /// The client named by `headers`; `None` when they name nothing.
    pub fn from_headers(headers: &[Header]) -> Option<Client> {
        let field = |name: &str| {
            header_value(headers, name)
                .map(|v| v.trim().chars().take(CLIENT_FIELD_MAX).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        let client = Client {
            user_agent: field("user-agent"),
            app: field("x-app"),
            session: field(CLAUDE_CODE_SESSION_HEADER),
        };
        (client != Client::default()).then_some(client)
    }

    /// A short name for lists: the user agent without its comment
    /// (`claude-cli/2.1.197`, `Anthropic/Python 2.13.0`), else `x-app`.
    pub fn label(&self) -> Option<String> {
        let agent = self.user_agent.as_deref().map(|ua| {
            let name = ua.split_once(" (").map_or(ua, |(name, _)| name).trim();
            name.chars().take(40).collect::<String>()
        });
        agent.filter(|a| !a.is_empty()).or_else(|| self.app.clone())
    }
}

impl Exchange {
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// The `request-id` the server gave (quote it to support).
    pub fn request_id(&self) -> Option<&str> {
        self.outcome
            .failure()
            .and_then(|f| f.request_id.as_deref())
            .or_else(|| {
                self.response
                    .as_ref()
                    .and_then(|r| header_value(&r.headers, "request-id"))
            })
    }

    pub fn failure_kind(&self) -> Option<FailureKind> {
        self.outcome.failure().map(|f| f.kind)
    }

    /// The short row the history list shows; see [`ExchangeSummary`].
    pub fn summary(&self) -> ExchangeSummary {
        let body = self.request.json();
        let field = |name: &str| body.as_ref().and_then(|b| b.get(name).cloned());
        ExchangeSummary {
            id: self.id.clone(),
            started_at: self.started_at,
            profile: self.profile.as_str().into(),
            method: self.request.method.as_str().into(),
            path: self.request.path().into(),
            model: field("model").and_then(|m| m.as_str().map(CompactString::new)),
            stream: field("stream").and_then(|s| s.as_bool()).unwrap_or(false),
            status: self.status(),
            outcome: self.outcome.slug().into(),
            total_ms: self.timing.total_ms,
            input_tokens: self.usage.as_ref().map(|u| u.input_tokens),
            output_tokens: self.usage.as_ref().map(|u| u.output_tokens),
            attempt: self.attempt,
            source: self.source,
            client: self
                .client
                .as_ref()
                .and_then(Client::label)
                .map(CompactString::from),
            session: self
                .client
                .as_ref()
                .and_then(|c| c.session.as_deref())
                .map(CompactString::new),
        }
    }
}

/// The listing projection of an [`Exchange`]: the columns the history list
/// needs, so that listing 100k exchanges never loads a body. It is always
/// made by [`Exchange::summary`] (or read back from the columns the store
/// wrote from it), never filled in by hand. Its strings are short and kept
/// inline, so a listed row costs no allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeSummary {
    pub id: ExchangeId,
    pub started_at: DateTime<Utc>,
    pub profile: CompactString,
    pub method: CompactString,
    pub path: CompactString,
    pub model: Option<CompactString>,
    pub stream: bool,
    pub status: Option<u16>,
    pub outcome: CompactString,
    pub total_ms: f64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// 1 for a first try; a retry counts up.
    pub attempt: u32,
    pub source: Source,
    /// The sending program's [`Client::label`], for tapped exchanges.
    pub client: Option<CompactString>,
    /// The client's session id (Claude Code's), grouping one conversation.
    pub session: Option<CompactString>,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Exchange {
        Exchange {
            id: ExchangeId::new(),
            started_at: Utc::now(),
            profile: "default".into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: "https://api.anthropic.com/v1/messages?beta=true".into(),
                headers: vec![Header::new("x-api-key", "sk-ant-…a1b2")],
                body:
                    r#"{"model":"claude-sonnet-4-5","max_tokens":16,"stream":true,"messages":[]}"#
                        .into(),
            },
            response: Some(RecordedResponse {
                status: 200,
                http_version: "HTTP/2".into(),
                headers: vec![Header::new("request-id", "req_abc")],
                body: String::new(),
                events: vec![],
                message: None,
                truncated: None,
            }),
            timing: Timing {
                total_ms: 120.5,
                ..Timing::default()
            },
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                ..Usage::default()
            }),
            rate_limits: RateLimitSnapshot::default(),
            outcome: Outcome::Ok,
            attempt: 1,
            retry_of: None,
            source: Source::Claudetui,
            client: None,
        }
    }

    #[test]
    fn ids_are_unique_and_sort_by_time() {
        let a = ExchangeId::new();
        let b = ExchangeId::new();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("ex_"));
        assert_eq!(a.as_str().len(), b.as_str().len());
    }

    #[test]
    fn summary_reads_model_stream_and_path() {
        let s = sample().summary();
        assert_eq!(s.model.as_deref(), Some("claude-sonnet-4-5"));
        assert!(s.stream);
        assert_eq!(s.path, "/v1/messages?beta=true");
        assert_eq!(s.status, Some(200));
        assert_eq!(s.outcome, "ok");
        assert_eq!(s.output_tokens, Some(5));
    }

    #[test]
    fn request_id_comes_from_the_response_headers() {
        assert_eq!(sample().request_id(), Some("req_abc"));
    }

    #[test]
    fn exchange_round_trips_through_json() {
        let mut ex = sample();
        ex.outcome = Outcome::Failed(Failure::transport(FailureKind::Dns, "no such host"));
        let json = serde_json::to_string(&ex).unwrap();
        let back: Exchange = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ex);
        assert_eq!(back.outcome.slug(), "dns");
    }

    #[test]
    fn the_api_path_drops_a_gateway_prefix() {
        let mut req = sample().request;
        for (url, api) in [
            (
                "https://gw.example/anthropic/v1/messages?beta=true",
                "/v1/messages?beta=true",
            ),
            ("https://api.anthropic.com/v1/messages", "/v1/messages"),
            ("https://openrouter.ai/api/v1/messages", "/v1/messages"),
            (
                "https://x.example/a/v1/proxy/v1/models?limit=5",
                "/v1/models?limit=5",
            ),
            ("https://gw.example/p/api/hello", "/api/hello"),
            ("https://gw.example/custom?x=/v1/", "/custom?x=/v1/"),
        ] {
            req.url = url.into();
            assert_eq!(req.api_path(), api, "{url}");
        }
    }

    #[test]
    fn path_of_odd_urls() {
        let mut req = sample().request;
        req.url = "http://127.0.0.1:8080".into();
        assert_eq!(req.path(), "/");
        req.url = "/v1/models".into();
        assert_eq!(req.path(), "/v1/models");
    }
}
