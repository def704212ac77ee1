//! Following a request while it is in flight: the text as it streams in,
//! the event timeline, and what is known so far on the other tabs.
//!
//! A delta costs one append to the body document and one line in the
//! timeline; nothing already received is touched again, so thousands of
//! deltas a second stay cheap however long the answer gets.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Tab;
use super::content::{
    bar_line, block_heading, compact_value, event_line, fmt_elapsed, push_fields, push_phase,
    push_raw_request, push_request_head, reason, status_kind,
};
use super::document::{Document, LineKind};
use crate::api::sse::{BlockDelta, StreamEvent};
use crate::api::types::{ContentBlock, Header, header_value};
use crate::exchange::{Exchange, ExchangeId, Outcome, RecordedRequest, Timing};
use crate::store::export::to_curl;
use crate::store::redact::redact_text;

/// A document to draw: kept, or made for this frame.
pub(super) enum Shown<'a> {
    Kept(&'a Document),
    Made(Document),
}

impl Deref for Shown<'_> {
    type Target = Document;

    fn deref(&self) -> &Document {
        match self {
            Shown::Kept(doc) => doc,
            Shown::Made(doc) => doc,
        }
    }
}

#[derive(Debug)]
pub(super) struct Live {
    pub id: ExchangeId,
    request: RecordedRequest,
    pub started_at: DateTime<Utc>,
    pub status: Option<u16>,
    headers: Vec<Header>,
    body: Document,
    stream: Document,
    pub events: usize,
    first_token_ms: Option<f64>,
    last_event_ms: Option<f64>,
    output_tokens: Option<u64>,
    /// The block text is going to, with the kind its lines get.
    open: Option<(usize, LineKind)>,
    headers_doc: Option<Document>,
    raw_doc: Option<Document>,
    curl_doc: Document,
    /// The program that sent it, when the tap saw it (it cannot be
    /// cancelled from here; it is that program's request).
    pub tapped_from: Option<String>,
}

impl Live {
    pub(super) fn new(id: &ExchangeId, request: &RecordedRequest, at: DateTime<Utc>) -> Live {
        let mut curl_doc = Document::new();
        curl_doc.push(
            "# The same request as a shell command; the key comes from the environment.",
            LineKind::Dim,
        );
        curl_doc.push(
            to_curl(&unsent(id, request, at)).trim_end(),
            LineKind::Plain,
        );
        Live {
            id: id.clone(),
            request: request.clone(),
            started_at: at,
            status: None,
            headers: Vec::new(),
            body: Document::new(),
            stream: Document::new(),
            events: 0,
            first_token_ms: None,
            last_event_ms: None,
            output_tokens: None,
            open: None,
            headers_doc: None,
            raw_doc: None,
            curl_doc,
            tapped_from: None,
        }
    }

    pub(super) fn on_headers(&mut self, status: u16, headers: &[Header]) {
        self.status = Some(status);
        self.headers = headers.to_vec();
        self.headers_doc = None;
        self.raw_doc = None;
    }

    pub(super) fn on_delta(&mut self, at_ms: f64, event: &StreamEvent) {
        self.events += 1;
        self.last_event_ms = Some(at_ms);
        let (name, data) = wire_form(event);
        let compact = data.map_or_else(String::new, |data| compact_value(&name, data));
        self.stream
            .push(&event_line(at_ms, &name, &compact), LineKind::Event);
        self.apply(at_ms, event);
    }

    fn apply(&mut self, at_ms: f64, event: &StreamEvent) {
        match event {
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.open_block(*index, content_block),
            StreamEvent::ContentBlockDelta { index, delta } => {
                self.first_token_ms.get_or_insert(at_ms);
                let (piece, kind) = match delta {
                    BlockDelta::Text(piece) => (piece, LineKind::Plain),
                    BlockDelta::Thinking(piece) => (piece, LineKind::Dim),
                    BlockDelta::InputJson(piece) => (piece, LineKind::Json),
                    BlockDelta::Signature(_) | BlockDelta::Other(_) => return,
                };
                if self.open.map(|(i, _)| i) != Some(*index) {
                    self.continue_block(*index, kind);
                }
                self.body.append(piece, kind);
            }
            StreamEvent::ContentBlockStop { .. } => self.open = None,
            StreamEvent::MessageDelta {
                usage: Some(usage), ..
            } => self.output_tokens = Some(usage.output_tokens),
            StreamEvent::Error { error } => {
                self.open = None;
                self.separate();
                self.body.push(
                    &format!("error event: {}: {}", error.kind, error.message),
                    LineKind::Error,
                );
            }
            _ => {}
        }
    }

    fn separate(&mut self) {
        if !self.body.is_empty() {
            self.body.blank();
        }
    }

    fn open_block(&mut self, index: usize, block: &ContentBlock) {
        self.separate();
        let kind = match block {
            ContentBlock::Text { text, .. } => {
                self.body.push(text, LineKind::Plain);
                LineKind::Plain
            }
            ContentBlock::Thinking { thinking, .. } => {
                self.body
                    .push(&block_heading("thinking"), LineKind::Heading);
                self.body.push(thinking, LineKind::Dim);
                LineKind::Dim
            }
            ContentBlock::ToolUse { id, name, .. } => {
                let label = format!("tool_use {name} ({id})");
                self.body.push(&block_heading(&label), LineKind::Heading);
                // Its input arrives as input_json_delta pieces.
                self.body.push("", LineKind::Json);
                LineKind::Json
            }
            other => {
                self.body
                    .push(&block_heading(other.type_name()), LineKind::Heading);
                self.body.push("", LineKind::Json);
                LineKind::Json
            }
        };
        self.open = Some((index, kind));
    }

    /// A delta for a block other than the open one (servers send blocks
    /// one after the other, but a stream is not obliged to).
    fn continue_block(&mut self, index: usize, kind: LineKind) {
        self.separate();
        self.body.push(
            &block_heading(&format!("block {index}, continued")),
            LineKind::Heading,
        );
        self.body.push("", kind);
        self.open = Some((index, kind));
    }

    /// The document for `tab` at this moment.
    pub(super) fn document(&mut self, tab: Tab, width: usize, now: DateTime<Utc>) -> Shown<'_> {
        match tab {
            Tab::Body if self.body.is_empty() => Shown::Made(self.waiting(now)),
            Tab::Body => Shown::Kept(&self.body),
            Tab::Stream if self.stream.is_empty() => Shown::Made(self.no_events_yet()),
            Tab::Stream => Shown::Kept(&self.stream),
            Tab::Headers => {
                Shown::Kept(self.headers_doc.get_or_insert_with(|| {
                    headers_so_far(&self.request, self.status, &self.headers)
                }))
            }
            Tab::Raw => Shown::Kept(
                self.raw_doc
                    .get_or_insert_with(|| raw_so_far(&self.request, self.status, &self.headers)),
            ),
            Tab::Timing => Shown::Made(self.timing(width, now)),
            Tab::Curl => Shown::Kept(&self.curl_doc),
        }
    }

    pub(super) fn elapsed_ms(&self, now: DateTime<Utc>) -> f64 {
        (now - self.started_at).num_milliseconds().max(0) as f64
    }

    fn waiting(&self, now: DateTime<Utc>) -> Document {
        let elapsed = fmt_elapsed(self.elapsed_ms(now));
        let mut doc = Document::new();
        match self.status {
            None => doc.push(
                &format!("Waiting for response headers… {elapsed}"),
                LineKind::Info,
            ),
            Some(status @ 200..=299) => {
                let what = if self.is_event_stream() {
                    "waiting for the first token"
                } else {
                    "reading the response body"
                };
                doc.push(
                    &format!(
                        "{status} {} · {what}… {elapsed}",
                        reason(status).unwrap_or_default()
                    ),
                    LineKind::Info,
                )
            }
            Some(status) => doc.push(
                &format!(
                    "{status} {} · reading the response body… {elapsed}",
                    reason(status).unwrap_or_default()
                ),
                status_kind(status),
            ),
        }
        doc.push(
            &format!("{} {}", self.request.method, redact_text(&self.request.url)),
            LineKind::Dim,
        );
        doc.blank();
        match &self.tapped_from {
            Some(client) => doc.push(
                &format!(
                    "Sent by {client} through the tap; it ends when that program's request does."
                ),
                LineKind::Dim,
            ),
            None => doc.push("Press x to cancel.", LineKind::Dim),
        }
        doc
    }

    fn is_event_stream(&self) -> bool {
        header_value(&self.headers, "content-type")
            .is_some_and(|ct| ct.starts_with("text/event-stream"))
    }

    fn no_events_yet(&self) -> Document {
        let mut doc = Document::new();
        let text = match self.status {
            Some(_) if !self.is_event_stream() => {
                "Not a stream: the answer is coming as one body (see the Body tab)."
            }
            _ => "No events yet.",
        };
        doc.push(text, LineKind::Dim);
        doc
    }

    fn timing(&self, width: usize, now: DateTime<Utc>) -> Document {
        let elapsed = self.elapsed_ms(now);
        let mut doc = Document::new();
        doc.push(
            "In flight — the full timing appears when the exchange ends.",
            LineKind::Dim,
        );
        let headers = if self.status.is_some() {
            "received"
        } else {
            "waiting"
        };
        doc.push(&format!("{:<16}{headers}", "headers"), LineKind::Plain);
        let phases = [
            ("first token", self.first_token_ms, Some("none yet")),
            ("last event", self.last_event_ms, Some("none yet")),
        ];
        for (label, ms, why) in phases {
            push_phase(&mut doc, label, ms, why, elapsed, width);
        }
        doc.push(&bar_line("elapsed", elapsed, elapsed, width), LineKind::Bar);
        doc.blank();
        doc.push(&format!("{:<16}{}", "events", self.events), LineKind::Plain);
        if let Some(tokens) = self.output_tokens {
            doc.push(
                &format!("{:<16}{tokens} tokens so far", "output"),
                LineKind::Plain,
            );
        }
        doc
    }
}

/// The exchange as far as the request goes, for the curl export (which
/// reads only the request).
fn unsent(id: &ExchangeId, request: &RecordedRequest, at: DateTime<Utc>) -> Exchange {
    Exchange {
        id: id.clone(),
        started_at: at,
        profile: String::new(),
        request: request.clone(),
        response: None,
        timing: Timing::default(),
        usage: None,
        rate_limits: Default::default(),
        outcome: Outcome::Ok,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn response_head(doc: &mut Document, status: Option<u16>, headers: &[Header]) {
    match status {
        Some(status) => {
            doc.push(
                &format!("{status} {}", reason(status).unwrap_or_default()),
                status_kind(status),
            );
            push_fields(doc, headers);
        }
        None => doc.push("Waiting for response headers…", LineKind::Info),
    }
}

fn headers_so_far(request: &RecordedRequest, status: Option<u16>, headers: &[Header]) -> Document {
    let mut doc = Document::new();
    doc.push("Response", LineKind::Heading);
    response_head(&mut doc, status, headers);
    doc.blank();
    push_request_head(&mut doc, request);
    doc
}

fn raw_so_far(request: &RecordedRequest, status: Option<u16>, headers: &[Header]) -> Document {
    let mut doc = Document::new();
    push_raw_request(&mut doc, request, None);
    doc.blank();
    doc.push(&block_heading("response, so far"), LineKind::Heading);
    if status.is_some() {
        // Said first: below a screenful of headers nobody would see it.
        doc.push(
            "The body is arriving: Body and Stream follow it live; the raw text appears here when it ends.",
            LineKind::Dim,
        );
    }
    response_head(&mut doc, status, headers);
    doc
}

/// The event's name and its data as the API writes it on the wire.
fn wire_form(event: &StreamEvent) -> (String, Option<Value>) {
    let (name, data) = match event {
        StreamEvent::MessageStart { message } => (
            "message_start",
            json!({"type": "message_start", "message": message}),
        ),
        StreamEvent::ContentBlockStart {
            index,
            content_block,
        } => (
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": content_block}),
        ),
        StreamEvent::ContentBlockDelta { index, delta } => (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta_value(delta)}),
        ),
        StreamEvent::ContentBlockStop { index } => (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ),
        StreamEvent::MessageDelta { delta, usage } => (
            "message_delta",
            json!({"type": "message_delta", "delta": delta, "usage": usage}),
        ),
        StreamEvent::MessageStop => ("message_stop", json!({"type": "message_stop"})),
        StreamEvent::Ping => ("ping", json!({"type": "ping"})),
        StreamEvent::Error { error } => ("error", json!({"type": "error", "error": error})),
        StreamEvent::Unknown { event } => return (event.clone(), None),
    };
    (name.to_owned(), Some(data))
}

fn delta_value(delta: &BlockDelta) -> Value {
    match delta {
        BlockDelta::Text(text) => json!({"type": "text_delta", "text": text}),
        BlockDelta::InputJson(json) => json!({"type": "input_json_delta", "partial_json": json}),
        BlockDelta::Thinking(text) => json!({"type": "thinking_delta", "thinking": text}),
        BlockDelta::Signature(sig) => json!({"type": "signature_delta", "signature": sig}),
        BlockDelta::Other(value) => value.clone(),
    }
}
