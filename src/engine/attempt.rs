//! One attempt: send the request, read the answer as it arrives, report
//! every step as an event, and assemble the [`Exchange`].

use std::time::Instant;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::api::errors::{Failure, FailureKind, classify_http, classify_stream_error};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::sse::{MessageAssembler, SseParser, StreamEvent};
use crate::api::types::{Header, MessageResponse, header_value};
use crate::exchange::{Exchange, ExchangeId, Outcome, RecordedEvent, RecordedResponse, Timing};

use super::request::OutgoingRequest;
use super::timing::Probe;
use super::{Event, EventSender, transport};

/// Who this attempt is and where its events go.
pub(crate) struct Attempt<'a> {
    pub client: &'a reqwest::Client,
    pub request: &'a OutgoingRequest,
    pub id: ExchangeId,
    pub number: u32,
    pub retry_of: Option<ExchangeId>,
    pub cancel: &'a CancellationToken,
    pub events: &'a EventSender,
}

/// What has arrived so far, and when.
struct Reception {
    clock: Instant,
    headers_at: Option<Instant>,
    response: Option<RecordedResponse>,
    raw: Vec<u8>,
    stream: Option<StreamState>,
    read_error: Option<(FailureKind, String)>,
    cancelled: bool,
}

#[derive(Default)]
struct StreamState {
    parser: SseParser,
    assembler: MessageAssembler,
    first_token_ms: Option<f64>,
    malformed: Option<String>,
    pending: Vec<crate::api::sse::SseEvent>,
}

impl Reception {
    fn elapsed_ms(&self) -> f64 {
        self.clock.elapsed().as_secs_f64() * 1000.0
    }
}

impl Attempt<'_> {
    pub(crate) async fn run(&self) -> Exchange {
        let started_at = Utc::now();
        let recorded = self.request.recorded();
        self.events.emit(Event::Started {
            id: self.id.clone(),
            request: recorded.clone(),
            attempt: self.number,
            retry_of: self.retry_of.clone(),
        });
        let probe = Probe::default();
        let mut rx = Reception {
            clock: Instant::now(),
            headers_at: None,
            response: None,
            raw: Vec::new(),
            stream: None,
            read_error: None,
            cancelled: false,
        };
        let sent = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => None,
            result = probe.scope(self.build().send()) => Some(result),
        };
        match sent {
            None => rx.cancelled = true,
            Some(Err(error)) => rx.read_error = Some(transport::classify(&error)),
            Some(Ok(response)) => self.receive(response, &mut rx).await,
        }
        self.assemble(started_at, recorded, rx, &probe)
    }

    fn build(&self) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(self.request.method.as_bytes())
            .unwrap_or(reqwest::Method::POST);
        let mut builder = self
            .client
            .request(method, &self.request.url)
            .timeout(self.request.timeout);
        for header in self.request.wire_headers() {
            builder = builder.header(header.name, header.value);
        }
        if !self.request.body.is_empty() {
            builder = builder.body(self.request.body.clone());
        }
        builder
    }

    async fn receive(&self, mut response: reqwest::Response, rx: &mut Reception) {
        rx.headers_at = Some(Instant::now());
        let headers: Vec<Header> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes()))
            })
            .collect();
        let status = response.status().as_u16();
        let rate_limits = RateLimitSnapshot::from_headers(&headers, Utc::now());
        self.events.emit(Event::Headers {
            id: self.id.clone(),
            status,
            headers: headers.clone(),
            rate_limits,
        });
        let is_stream = header_value(&headers, "content-type")
            .is_some_and(|ct| ct.starts_with("text/event-stream"));
        if is_stream {
            rx.stream = Some(StreamState::default());
        }
        rx.response = Some(RecordedResponse {
            status,
            http_version: version_name(response.version()).into(),
            headers,
            body: String::new(),
            events: Vec::new(),
            message: None,
        });
        loop {
            let chunk = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    rx.cancelled = true;
                    break;
                }
                chunk = response.chunk() => chunk,
            };
            match chunk {
                Ok(Some(bytes)) => self.take_chunk(&bytes, rx),
                Ok(None) => break,
                Err(error) => {
                    rx.read_error = Some(transport::classify(&error));
                    break;
                }
            }
        }
    }

    fn take_chunk(&self, bytes: &[u8], rx: &mut Reception) {
        rx.raw.extend_from_slice(bytes);
        let at_ms = rx.elapsed_ms();
        let (Some(stream), Some(response)) = (rx.stream.as_mut(), rx.response.as_mut()) else {
            return;
        };
        let mut pending = std::mem::take(&mut stream.pending);
        stream.parser.feed(bytes, &mut pending);
        for sse in pending.drain(..) {
            match StreamEvent::parse(&sse) {
                Ok(event) => {
                    if let Err(error) = stream.assembler.apply(&event) {
                        stream.malformed.get_or_insert(error.to_string());
                    }
                    if matches!(event, StreamEvent::ContentBlockDelta { .. })
                        && stream.first_token_ms.is_none()
                    {
                        stream.first_token_ms = Some(at_ms);
                    }
                    self.events.emit(Event::StreamDelta {
                        id: self.id.clone(),
                        at_ms,
                        event,
                    });
                }
                Err(error) => {
                    stream.malformed.get_or_insert(error.to_string());
                }
            }
            response.events.push(RecordedEvent {
                at_ms,
                event: sse.event,
                data: sse.data,
            });
        }
        stream.pending = pending;
    }

    fn assemble(
        &self,
        started_at: chrono::DateTime<Utc>,
        request: crate::exchange::RecordedRequest,
        rx: Reception,
        probe: &Probe,
    ) -> Exchange {
        let total_ms = rx.elapsed_ms();
        let headers_ms = rx
            .headers_at
            .map(|at| at.duration_since(rx.clock).as_secs_f64() * 1000.0);
        let mut response = rx.response;
        let mut first_token_ms = None;
        let outcome;
        let mut message = None;
        if let Some(resp) = response.as_mut() {
            resp.body = String::from_utf8_lossy(&rx.raw).into_owned();
            let (o, m, ftm) = decide(
                resp,
                rx.stream,
                rx.read_error,
                rx.cancelled,
                self.request.url.as_str(),
            );
            outcome = o;
            message = m;
            first_token_ms = ftm;
            resp.message = message.clone();
        } else if rx.cancelled {
            outcome = Outcome::Cancelled;
        } else {
            let (kind, text) = rx
                .read_error
                .unwrap_or((FailureKind::ConnectionReset, "no response".into()));
            outcome = Outcome::Failed(Failure::transport(kind, text));
        }
        let usage = message.as_ref().map(|m: &MessageResponse| m.usage.clone());
        let report = probe.report();
        let connect_counts = match (report.connect_done, rx.headers_at) {
            (Some(done), Some(headers)) => done <= headers,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let timing = Timing {
            dns_ms: report
                .dns_ms
                .filter(|_| connect_counts || response.is_none()),
            connect_ms: report.connect_ms.filter(|_| connect_counts),
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
        let mut exchange = Exchange {
            id: self.id.clone(),
            started_at,
            profile: self.request.profile.clone(),
            request,
            response,
            timing,
            usage,
            rate_limits,
            outcome,
            attempt: self.number,
            retry_of: self.retry_of.clone(),
        };
        if let Some(credential) = &self.request.credential {
            mask_echoed_secret(&mut exchange, credential.secret.expose());
        }
        exchange
    }
}

/// A gateway may echo the credential back (`invalid token: Bearer gw-…`);
/// a token that does not look like an Anthropic key is not caught by the
/// usual redaction, so the exact secret is masked wherever the response
/// could carry it, before the exchange is shown or stored.
fn mask_echoed_secret(exchange: &mut Exchange, secret: &str) {
    let secret = secret.trim();
    // Too short to be a credential; masking it would mangle text.
    if secret.chars().count() < 8 {
        return;
    }
    let masked = crate::store::redact::mask_secret(secret);
    let clean = |text: &mut String| {
        if text.contains(secret) {
            *text = text.replace(secret, &masked);
        }
    };
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
    if body.is_empty() {
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

fn version_name(version: reqwest::Version) -> &'static str {
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
mod echo_tests {
    use super::*;

    #[test]
    fn a_token_the_server_echoes_back_is_masked_everywhere() {
        let token = "gw-SECRETTOKEN-0123456789abcdef";
        let mut exchange = crate::tui::fixtures::exchange(1, "m", Some(401));
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
