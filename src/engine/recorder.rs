//! The recorder: a response goes in as it arrives (head, then body chunks),
//! events come out as it happens, and an [`Exchange`] comes out at the end.
//!
//! It is the seam between the two producers of exchanges: the engine's
//! attempts ([`super::attempt`]) and the tap (`crate::tap`), which feeds it
//! the bytes it relays. Everything about reading a response (SSE parsing,
//! assembling the message, the first token, classifying the outcome,
//! decoding a compressed body, masking an echoed credential) lives here
//! once, so a tapped exchange and a sent one can never be told apart by
//! how they were judged.

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::api::errors::{Failure, FailureKind, classify_http, classify_stream_error};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::sse::{MessageAssembler, SseEvent, SseParser, StreamEvent};
use crate::api::types::{Header, MessageResponse, header_value};
use crate::exchange::{
    Client, Exchange, ExchangeId, Outcome, RecordedEvent, RecordedRequest, RecordedResponse,
    Source, Timing, Truncated,
};

use super::decode::BodyDecoder;
use super::timing::ProbeReport;
use super::{Event, EventSender};

/// What an exchange is, known before anything comes back.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: ExchangeId,
    pub started_at: DateTime<Utc>,
    pub profile: String,
    /// The request as recorded: credentials already masked.
    pub request: RecordedRequest,
    pub attempt: u32,
    pub retry_of: Option<ExchangeId>,
    pub source: Source,
    pub client: Option<Client>,
}

/// What has arrived so far, and when.
pub struct Recorder {
    head: Head,
    events: EventSender,
    clock: Instant,
    headers_at: Option<Instant>,
    response: Option<RecordedResponse>,
    raw: Vec<u8>,
    stream: Option<StreamState>,
    decoder: Option<BodyDecoder>,
    read_error: Option<(FailureKind, String)>,
    cancelled: bool,
    /// Credential values the request carried, masked wherever the answer
    /// repeats them.
    secrets: Vec<String>,
    /// Bytes of body, event data and text kept so far, against
    /// [`RECORD_BUDGET`].
    kept: usize,
    received: u64,
    /// Set once the budget ran out.
    over_budget: bool,
    events_dropped: u64,
    tail: std::collections::VecDeque<RecordedEvent>,
    tail_bytes: usize,
    /// The compressed body could not be decoded: what comes after is not
    /// text, and is neither recorded nor parsed.
    undecodable: bool,
}

#[derive(Default)]
struct StreamState {
    parser: SseParser,
    assembler: MessageAssembler,
    first_token_ms: Option<f64>,
    malformed: Option<String>,
    pending: Vec<SseEvent>,
}

/// Shorter than this, a value is no credential, and masking it would
/// mangle ordinary text.
const SECRET_MIN_CHARS: usize = 8;

/// What a record keeps of one body: the raw bytes and the parsed events
/// together (a stream's events are its raw bytes again, so a stream fits
/// whole up to about half of this; the text assembled from them is no
/// larger than the events). A record is copied on its way to the store
/// (serialised, then copied by SQLite), so this bounds the memory of any
/// exchange however large: a 100 MB stream through the tap costs what a
/// 3 MB one does, and the tap stays under 64 MiB. A stream of about 15k
/// output tokens fits whole; a longer one keeps its start and its end.
pub const RECORD_BUDGET: usize = 6 * 1024 * 1024;

/// Past the budget, the last events are still kept, so the end of a
/// stream (usage, stop reason, an error) is on record: at most this many,
/// and at most [`TAIL_BYTES`] of them.
const TAIL_EVENTS: usize = 32;
const TAIL_BYTES: usize = 256 * 1024;

impl Recorder {
    /// Announces the exchange (`Event::Started`) and starts its clock.
    /// `secrets` are the credential values the request carried.
    pub fn begin(head: Head, events: EventSender, secrets: Vec<String>) -> Recorder {
        // Nobody listening (the command line): no copies for nobody.
        if !events.is_closed() {
            events.emit(Event::Started {
                id: head.id.clone(),
                request: head.request.clone(),
                attempt: head.attempt,
                retry_of: head.retry_of.clone(),
                source: head.source,
                client: head.client.clone(),
            });
        }
        let secrets = secrets
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| s.chars().count() >= SECRET_MIN_CHARS)
            .collect();
        Recorder {
            head,
            events,
            clock: Instant::now(),
            headers_at: None,
            response: None,
            raw: Vec::new(),
            stream: None,
            decoder: None,
            read_error: None,
            cancelled: false,
            secrets,
            kept: 0,
            received: 0,
            over_budget: false,
            events_dropped: 0,
            tail: std::collections::VecDeque::new(),
            tail_bytes: 0,
            undecodable: false,
        }
    }

    /// Takes `bytes` more of the budget; false (and over budget from then
    /// on) when they do not fit.
    fn keep(&mut self, bytes: usize) -> bool {
        if !self.over_budget && self.kept + bytes <= RECORD_BUDGET {
            self.kept += bytes;
            return true;
        }
        self.over_budget = true;
        false
    }

    pub fn id(&self) -> &ExchangeId {
        &self.head.id
    }

    fn elapsed_ms(&self) -> f64 {
        self.clock.elapsed().as_secs_f64() * 1000.0
    }

    /// The response head arrived.
    pub fn headers(&mut self, status: u16, http_version: &str, headers: Vec<Header>) {
        self.headers_at = Some(Instant::now());
        // Shown live as they are kept: a cookie the server sets is masked
        // like any credential.
        let headers: Vec<Header> = crate::store::redact::redact_headers(&headers)
            .into_iter()
            .map(|h| Header::new(h.name, self.mask(&h.value)))
            .collect();
        if !self.events.is_closed() {
            self.events.emit(Event::Headers {
                id: self.head.id.clone(),
                status,
                headers: headers.clone(),
                rate_limits: RateLimitSnapshot::from_headers(&headers, Utc::now()),
            });
        }
        let is_stream = header_value(&headers, "content-type")
            .is_some_and(|ct| ct.trim_start().starts_with("text/event-stream"));
        if is_stream {
            self.stream = Some(StreamState::default());
        }
        self.decoder =
            header_value(&headers, "content-encoding").and_then(BodyDecoder::for_encoding);
        self.response = Some(RecordedResponse {
            status,
            http_version: http_version.into(),
            headers,
            body: String::new(),
            events: Vec::new(),
            message: None,
            truncated: None,
        });
    }

    /// A piece of the body, as it came off the wire (compressed or not).
    pub fn chunk(&mut self, bytes: &[u8]) {
        if self.undecodable {
            self.received += bytes.len() as u64;
            return;
        }
        // A body too large to keep need not be decoded unless its events
        // are still read (a compression bomb then costs one chunk's worth).
        if self.over_budget && self.stream.is_none() {
            self.received += bytes.len() as u64;
            return;
        }
        match self.decoder.as_mut() {
            Some(decoder) => match decoder.feed(bytes) {
                Ok(plain) => self.take_plain(&plain),
                Err(error) => {
                    self.decoder = None;
                    self.undecodable = true;
                    self.read_error.get_or_insert((
                        FailureKind::MalformedResponse,
                        format!("the compressed body could not be decoded: {error}"),
                    ));
                }
            },
            None => self.take_plain(bytes),
        }
    }

    fn take_plain(&mut self, bytes: &[u8]) {
        self.received += bytes.len() as u64;
        if self.keep(bytes.len()) {
            self.raw.extend_from_slice(bytes);
        }
        let at_ms = self.elapsed_ms();
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let mut pending = std::mem::take(&mut stream.pending);
        stream.parser.feed(bytes, &mut pending);
        for mut sse in pending.drain(..) {
            sse.data = mask_all(&self.secrets, sse.data);
            self.take_event(sse, at_ms);
        }
        if let Some(stream) = self.stream.as_mut() {
            stream.pending = pending;
        }
    }

    fn take_event(&mut self, sse: SseEvent, at_ms: f64) {
        let kept = self.keep(sse.data.len() + sse.event.len());
        // Past the budget the message keeps its shape (usage, stop
        // reason, errors) but no more blocks or text: a block whose
        // deltas were left out must not be judged broken.
        let assemble = kept
            || !matches!(
                sse.event.as_str(),
                "content_block_start" | "content_block_delta" | "content_block_stop"
            );
        let (Some(stream), Some(response)) = (self.stream.as_mut(), self.response.as_mut()) else {
            return;
        };
        match StreamEvent::parse(&sse) {
            Ok(event) => {
                if assemble && let Err(error) = stream.assembler.apply(&event) {
                    stream.malformed.get_or_insert(error.to_string());
                }
                if matches!(event, StreamEvent::ContentBlockDelta { .. })
                    && stream.first_token_ms.is_none()
                {
                    stream.first_token_ms = Some(at_ms);
                }
                self.events.emit(Event::StreamDelta {
                    id: self.head.id.clone(),
                    at_ms,
                    event,
                });
            }
            Err(error) => {
                stream.malformed.get_or_insert(error.to_string());
            }
        }
        let recorded = RecordedEvent {
            at_ms,
            event: sse.event,
            data: sse.data,
        };
        if kept {
            response.events.push(recorded);
        } else {
            self.tail_bytes += recorded.data.len();
            self.tail.push_back(recorded);
            while self.tail.len() > TAIL_EVENTS || self.tail_bytes > TAIL_BYTES {
                let Some(dropped) = self.tail.pop_front() else {
                    break;
                };
                self.tail_bytes -= dropped.data.len();
                self.events_dropped += 1;
            }
        }
    }

    /// The transfer failed: before the head (nothing came back) or while
    /// the body was read.
    pub fn failed(&mut self, kind: FailureKind, message: String) {
        self.read_error = Some((kind, message));
    }

    /// The exchange was cancelled (the user, or a client that went away).
    pub fn cancel(&mut self) {
        self.cancelled = true;
    }

    /// Everything that arrived, judged. `probe` says what connecting took.
    pub fn finish(mut self, probe: ProbeReport) -> Exchange {
        if self.undecodable {
            self.decoder = None;
        }
        if let Some(decoder) = self.decoder.take() {
            match decoder.finish() {
                Ok(rest) => self.take_plain(&rest),
                Err(error) => {
                    self.read_error.get_or_insert((
                        FailureKind::MalformedResponse,
                        format!("the compressed body ended early: {error}"),
                    ));
                }
            }
        }
        let total_ms = self.elapsed_ms();
        let headers_ms = self
            .headers_at
            .map(|at| at.duration_since(self.clock).as_secs_f64() * 1000.0);
        let truncated = self.over_budget.then_some(Truncated {
            kept_bytes: self.raw.len() as u64,
            received_bytes: self.received,
            events_dropped: self.events_dropped,
        });
        let mut response = self.response;
        let mut first_token_ms = None;
        let outcome;
        let mut message = None;
        if let Some(resp) = response.as_mut() {
            resp.events.extend(self.tail.drain(..));
            resp.truncated = truncated;
            let raw = std::mem::take(&mut self.raw);
            resp.body = String::from_utf8(raw)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            if truncated.is_some() {
                cut_partial_secrets(&mut resp.body, &self.secrets);
            }
            if let Some(masked) =
                crate::store::redact::mask_oauth_body(&self.head.request.url, &resp.body)
            {
                resp.body = masked;
            }
            let (o, m, ftm) = decide(
                resp,
                self.stream,
                self.read_error,
                self.cancelled,
                &self.head.request.url,
            );
            outcome = o;
            message = m;
            first_token_ms = ftm;
            resp.message = message.clone();
        } else if self.cancelled {
            outcome = Outcome::Cancelled;
        } else {
            let (kind, text) = self
                .read_error
                .unwrap_or((FailureKind::ConnectionReset, "no response".into()));
            outcome = Outcome::Failed(Failure::transport(kind, text));
        }
        let usage = message.as_ref().map(|m: &MessageResponse| m.usage.clone());
        let connect_counts = match (probe.connect_done, self.headers_at) {
            (Some(done), Some(headers)) => done <= headers,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let timing = Timing {
            dns_ms: probe
                .dns_ms
                .filter(|_| connect_counts || response.is_none()),
            connect_ms: probe.connect_ms.filter(|_| connect_counts),
            connection_reused: response.is_some() && !connect_counts,
            headers_ms,
            first_token_ms,
            total_ms,
            output_tokens_per_sec: usage.as_ref().and_then(|u| {
                tokens_per_sec(u.output_tokens, first_token_ms.unwrap_or(0.0), total_ms)
            }),
        };
        let rate_limits = response
            .as_ref()
            .map(|r| RateLimitSnapshot::from_headers(&r.headers, Utc::now()))
            .unwrap_or_default();
        let head = self.head;
        let mut exchange = Exchange {
            id: head.id,
            started_at: head.started_at,
            profile: head.profile,
            request: head.request,
            response,
            timing,
            usage,
            rate_limits,
            outcome,
            attempt: head.attempt,
            retry_of: head.retry_of,
            source: head.source,
            client: head.client,
        };
        for secret in &self.secrets {
            mask_echoed_secret(&mut exchange, secret);
        }
        exchange
    }

    fn mask(&self, text: &str) -> String {
        mask_all(&self.secrets, text.to_owned())
    }
}

/// A body cut at the budget may end inside an echoed secret, whose start
/// no whole-secret match would mask: that start is cut off too.
fn cut_partial_secrets(body: &mut String, secrets: &[String]) {
    for secret in secrets {
        let longest = (SECRET_MIN_CHARS..secret.len())
            .rev()
            .filter(|&n| secret.is_char_boundary(n))
            .find(|&n| body.ends_with(&secret[..n]));
        if let Some(n) = longest {
            body.truncate(body.len() - n);
        }
    }
}

fn mask_all(secrets: &[String], mut text: String) -> String {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), &crate::store::redact::mask_secret(secret));
        }
    }
    text
}

/// A gateway may echo a credential back (`invalid token: Bearer gw-…`);
/// a token that does not look like an Anthropic key is not caught by the
/// usual redaction, so the exact secret is masked wherever the exchange
/// could carry it, before it is shown or stored.
pub(crate) fn mask_echoed_secret(exchange: &mut Exchange, secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < SECRET_MIN_CHARS {
        return;
    }
    let masked = crate::store::redact::mask_secret(secret);
    let clean = |text: &mut String| {
        if text.contains(secret) {
            *text = text.replace(secret, &masked);
        }
    };
    clean(&mut exchange.request.body);
    clean(&mut exchange.request.url);
    for header in &mut exchange.request.headers {
        clean(&mut header.value);
    }
    if let Some(response) = exchange.response.as_mut() {
        clean(&mut response.body);
        for event in &mut response.events {
            clean(&mut event.data);
        }
        for header in &mut response.headers {
            clean(&mut header.value);
        }
    }
    if let Outcome::Failed(failure) = &mut exchange.outcome {
        clean(&mut failure.message);
    }
}

/// The outcome, the message (parsed or assembled) and the time to first
/// token, from everything that arrived.
fn decide(
    response: &RecordedResponse,
    stream: Option<StreamState>,
    read_error: Option<(FailureKind, String)>,
    cancelled: bool,
    url: &str,
) -> (Outcome, Option<MessageResponse>, Option<f64>) {
    let first_token_ms = stream.as_ref().and_then(|s| s.first_token_ms);
    if response.status >= 300 {
        let failure = classify_http(response.status, &response.body, &response.headers);
        return (
            failure.map_or(Outcome::Ok, Outcome::Failed),
            None,
            first_token_ms,
        );
    }
    let request_id = header_value(&response.headers, "request-id").map(str::to_owned);
    let with_status = |kind: FailureKind, message: String| {
        let mut failure = Failure::transport(kind, message);
        failure.status = Some(response.status);
        failure.request_id = request_id.clone();
        Outcome::Failed(failure)
    };
    match stream {
        Some(stream) => {
            let message = stream.assembler.message().cloned();
            let outcome = if cancelled {
                Outcome::Cancelled
            } else if let Some(error) = stream.assembler.error() {
                Outcome::Failed(classify_stream_error(
                    &error.kind,
                    &error.message,
                    request_id.clone(),
                ))
            } else if let Some((kind, text)) = read_error {
                with_status(
                    kind,
                    format!(
                        "the stream broke after {} events: {text}",
                        response.events.len()
                    ),
                )
            } else if let Some(problem) = stream.malformed {
                with_status(FailureKind::MalformedResponse, problem)
            } else if stream.parser.has_partial() || !stream.assembler.is_complete() {
                with_status(
                    FailureKind::ConnectionReset,
                    format!(
                        "the stream ended after {} events without message_stop: the connection was cut mid-stream",
                        response.events.len()
                    ),
                )
            } else {
                Outcome::Ok
            };
            let message = match (&outcome, stream.assembler.finish()) {
                (Outcome::Ok, Ok(full)) => Some(full),
                _ => message,
            };
            (outcome, message, first_token_ms)
        }
        None => {
            if cancelled {
                return (Outcome::Cancelled, None, None);
            }
            if let Some((kind, text)) = read_error {
                return (
                    with_status(kind, format!("the body broke off: {text}")),
                    None,
                    None,
                );
            }
            json_outcome(response, url, with_status)
        }
    }
}

fn json_outcome(
    response: &RecordedResponse,
    url: &str,
    with_status: impl Fn(FailureKind, String) -> Outcome,
) -> (Outcome, Option<MessageResponse>, Option<f64>) {
    let body = response.body.trim();
    // Only the start of a body too large to keep is on record: it cannot
    // be parsed, and that is no fault of the server's.
    if body.is_empty() || response.truncated.is_some() {
        return (Outcome::Ok, None, None);
    }
    if serde_json::from_str::<serde_json::Value>(body).is_err() {
        let start: String = body.chars().take(120).collect();
        return (
            with_status(
                FailureKind::MalformedResponse,
                format!("a {} answer that is not JSON: {start}", response.status),
            ),
            None,
            None,
        );
    }
    let is_messages = url
        .split('?')
        .next()
        .is_some_and(|path| path.ends_with("/v1/messages"));
    let message = is_messages
        .then(|| serde_json::from_str::<MessageResponse>(body).ok())
        .flatten();
    if is_messages && message.is_none() {
        return (
            with_status(
                FailureKind::MalformedResponse,
                "JSON, but not a Messages response (no id/role/content)".into(),
            ),
            None,
            None,
        );
    }
    (Outcome::Ok, message, None)
}

fn tokens_per_sec(output_tokens: u64, from_ms: f64, to_ms: f64) -> Option<f64> {
    let seconds = (to_ms - from_ms) / 1000.0;
    (output_tokens > 0 && seconds > 0.0).then(|| output_tokens as f64 / seconds)
}

/// `HTTP/1.1`, `HTTP/2`, as recorded.
pub fn version_name(version: reqwest::Version) -> &'static str {
    match version {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_11 => "HTTP/1.1",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> Recorder {
        let ex = crate::test_support::exchange(1, "m", Some(200));
        let head = Head {
            id: ex.id,
            started_at: ex.started_at,
            profile: ex.profile,
            request: ex.request,
            attempt: 1,
            retry_of: None,
            source: Source::Tap,
            client: None,
        };
        Recorder::begin(head, EventSender::nowhere(), Vec::new())
    }

    fn event(name: &str, data: &str) -> String {
        format!("event: {name}\ndata: {data}\n\n")
    }

    #[test]
    fn a_stream_larger_than_the_budget_keeps_its_start_and_its_end() {
        let mut rx = recorder();
        rx.headers(
            200,
            "HTTP/1.1",
            vec![Header::new("content-type", "text/event-stream")],
        );
        rx.chunk(event("message_start", r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}"#).as_bytes());
        rx.chunk(event("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#).as_bytes());
        let text = "x".repeat(1000);
        let delta = event(
            "content_block_delta",
            &format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
            ),
        );
        let deltas = 3 * RECORD_BUDGET / delta.len();
        for _ in 0..deltas {
            rx.chunk(delta.as_bytes());
        }
        rx.chunk(
            event(
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            )
            .as_bytes(),
        );
        rx.chunk(event("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":777}}"#).as_bytes());
        rx.chunk(event("message_stop", r#"{"type":"message_stop"}"#).as_bytes());
        let ex = rx.finish(ProbeReport::default());
        assert_eq!(ex.outcome, Outcome::Ok, "{:?}", ex.outcome);
        assert_eq!(ex.usage.as_ref().map(|u| u.output_tokens), Some(777));
        let response = ex.response.unwrap();
        let truncated = response.truncated.unwrap();
        assert!(truncated.received_bytes > 3 * RECORD_BUDGET as u64 - 10_000);
        assert!(response.body.len() <= RECORD_BUDGET);
        let kept: usize =
            response.body.len() + response.events.iter().map(|e| e.data.len()).sum::<usize>();
        assert!(kept <= RECORD_BUDGET + 40 * delta.len(), "{kept}");
        let names: Vec<&str> = response
            .events
            .iter()
            .rev()
            .take(3)
            .map(|e| e.event.as_str())
            .collect();
        assert_eq!(
            names,
            ["message_stop", "message_delta", "content_block_stop"]
        );
        assert!(truncated.events_dropped > 0);
        assert!(truncated.describe().contains("the client got all of it"));
    }

    #[test]
    fn a_json_body_larger_than_the_budget_is_not_misjudged() {
        let mut rx = recorder();
        rx.headers(
            200,
            "HTTP/1.1",
            vec![Header::new("content-type", "application/json")],
        );
        let big = format!(r#"{{"data":"{}"}}"#, "y".repeat(RECORD_BUDGET + 10));
        rx.chunk(big.as_bytes());
        let ex = rx.finish(ProbeReport::default());
        assert_eq!(ex.outcome, Outcome::Ok);
        assert!(ex.response.unwrap().truncated.is_some());
    }

    #[test]
    fn a_token_the_server_echoes_back_is_masked_everywhere() {
        let token = "gw-SECRETTOKEN-0123456789abcdef";
        let mut exchange = crate::test_support::exchange(1, "m", Some(401));
        if let Some(response) = exchange.response.as_mut() {
            response.body = format!(r#"{{"error":{{"message":"invalid token: Bearer {token}"}}}}"#);
        }
        if let Outcome::Failed(failure) = &mut exchange.outcome {
            failure.message = format!("invalid token: Bearer {token}");
        }
        mask_echoed_secret(&mut exchange, token);
        let text = serde_json::to_string(&exchange).unwrap();
        assert!(!text.contains("SECRETTOKEN-0123"), "{text}");
    }
}
