//! What each tab says about a finished (or stored) exchange, as documents.
//! Built once per exchange and tab (the timing bars once per width).
//!
//! Headers, URLs and bodies are passed through the store's redaction on
//! the way in. The exchange is already masked when it gets here; doing it
//! again is cheap and means a secret that slipped through elsewhere still
//! never reaches the screen.

use serde_json::Value;

use crate::api::errors::{Failure, FailureKind};
use crate::api::types::{ContentBlock, Header, MessageResponse, header_value};
use crate::exchange::{Exchange, Outcome, RecordedRequest, RecordedResponse, Timing};
use crate::store::export::to_curl;
use crate::store::redact::{redact_headers, redact_text};
use crate::tui::highlight::pretty_json;

use super::document::{Document, LineKind};

/// What the viewer says before anything was sent or selected.
pub(super) fn empty() -> Document {
    let mut doc = Document::new();
    doc.push("Nothing to show yet.", LineKind::Heading);
    doc.blank();
    doc.push(
        "Press Ctrl-S to send the composer's request,",
        LineKind::Plain,
    );
    doc.push(
        "or select an exchange in History (3) and press Enter.",
        LineKind::Plain,
    );
    doc.blank();
    doc.push(
        "Here: h/l tabs · j/k scroll · / search · n/N next/previous match · w wrap",
        LineKind::Dim,
    );
    doc
}

pub(super) fn body(ex: &Exchange) -> Document {
    let mut doc = Document::new();
    match &ex.outcome {
        Outcome::Failed(failure) => push_failure(&mut doc, ex, failure),
        Outcome::Cancelled => doc.push(
            &format!(
                "Cancelled after {}. What had arrived by then:",
                fmt_ms(ex.timing.total_ms)
            ),
            LineKind::Warn,
        ),
        Outcome::Ok => {}
    }
    let Some(response) = &ex.response else {
        if matches!(ex.outcome, Outcome::Cancelled) {
            doc.push("Nothing: no response headers had arrived.", LineKind::Dim);
        }
        doc.blank();
        doc.push(
            &format!(
                "Request: {} {}",
                ex.request.method,
                redact_text(&ex.request.url)
            ),
            LineKind::Dim,
        );
        return doc;
    };
    if !doc.is_empty() {
        doc.blank();
    }
    if is_stream(response) {
        push_stream_body(&mut doc, ex, response);
    } else {
        push_body_text(&mut doc, &response.body);
    }
    doc
}

/// The failure on top, as [`diagnose`] explains it everywhere (`send`,
/// `history diagnose`, the `d` overlay): the headline, the server's own
/// words, why, and the fix.
///
/// [`diagnose`]: crate::doctor::diagnose::diagnose
fn push_failure(doc: &mut Document, ex: &Exchange, failure: &Failure) {
    let diagnosis = crate::doctor::diagnose::diagnose(ex);
    let mut head = diagnosis.headline.clone();
    if failure.mid_stream {
        head.push_str(" (error event mid-stream)");
    }
    doc.push(&head, LineKind::Error);
    if ex.response.is_none() {
        doc.push(
            "No response: the request failed before the server answered.",
            LineKind::Warn,
        );
    }
    let said = redact_text(failure.message.trim());
    if !said.is_empty() && !diagnosis.headline.contains(said.as_ref()) {
        doc.push(&format!("The server said: {said}"), LineKind::Dim);
    }
    for line in &diagnosis.explanation {
        doc.push(line, LineKind::Plain);
    }
    doc.push(&format!("→ {}", diagnosis.fix), LineKind::Info);
    let retry_after = failure.retry_after_secs.or(ex.rate_limits.retry_after_secs);
    if let Some(secs) = retry_after {
        doc.push(
            &format!("Retry after {secs:.0} s (the server's retry-after)."),
            LineKind::Dim,
        );
    }
    if failure.kind == FailureKind::RateLimited {
        doc.push(
            &format!("Rate limits: {}", ex.rate_limits.summary()),
            LineKind::Dim,
        );
    }
    if let Some(id) = ex.request_id() {
        doc.push(
            &format!("request-id: {id} (quote it to Anthropic support)"),
            LineKind::Dim,
        );
    }
    doc.push(
        "d shows the whole diagnosis, with the evidence.",
        LineKind::Dim,
    );
}

/// A body: pretty JSON when it is JSON, else the text as it came.
pub(super) fn push_body_text(doc: &mut Document, body: &str) {
    if body.is_empty() {
        doc.push("(empty body)", LineKind::Dim);
    } else if let Some(pretty) = pretty_json(body) {
        doc.push(&pretty, LineKind::Json);
    } else {
        doc.push(body, LineKind::Plain);
    }
}

fn push_stream_body(doc: &mut Document, ex: &Exchange, response: &RecordedResponse) {
    match &response.message {
        Some(message) => {
            push_message(doc, message);
            doc.blank();
            doc.push(&message_footer(ex, message), LineKind::Dim);
        }
        None => {
            doc.push(
                "The stream carried no message_start, so there is no message to assemble. The SSE text as received:",
                LineKind::Warn,
            );
            push_body_text(doc, &response.body);
        }
    }
    if let Some(truncated) = &response.truncated {
        doc.push(
            &format!("Large answer: {}.", truncated.describe()),
            LineKind::Info,
        );
    }
    doc.push(
        "The events one by one with their times: Stream tab · the SSE text as received: Raw tab.",
        LineKind::Dim,
    );
}

/// The assembled message: text as text, other blocks under a heading.
fn push_message(doc: &mut Document, message: &MessageResponse) {
    if message.content.is_empty() {
        doc.push("(the message has no content blocks)", LineKind::Dim);
    }
    for (i, block) in message.content.iter().enumerate() {
        if i > 0 {
            doc.blank();
        }
        match block {
            ContentBlock::Text { text, .. } => doc.push(text, LineKind::Plain),
            ContentBlock::Thinking { thinking, .. } => {
                doc.push(&block_heading("thinking"), LineKind::Heading);
                doc.push(thinking, LineKind::Dim);
            }
            ContentBlock::RedactedThinking { data } => {
                doc.push(&block_heading("redacted_thinking"), LineKind::Heading);
                doc.push(&format!("(encrypted, {} bytes)", data.len()), LineKind::Dim);
            }
            ContentBlock::ToolUse { id, name, input } => {
                doc.push(
                    &block_heading(&format!("tool_use {name} ({id})")),
                    LineKind::Heading,
                );
                doc.push(&input.to_string(), LineKind::Json);
            }
            other => {
                doc.push(&block_heading(other.type_name()), LineKind::Heading);
                let value = serde_json::to_value(other).unwrap_or_default();
                doc.push(&value.to_string(), LineKind::Json);
            }
        }
    }
}

pub(super) fn block_heading(label: &str) -> String {
    format!("── {label} ──")
}

fn message_footer(ex: &Exchange, message: &MessageResponse) -> String {
    let usage = ex.usage.as_ref().unwrap_or(&message.usage);
    format!(
        "stop_reason: {} · {} input, {} output tokens",
        message.stop_reason.as_deref().unwrap_or("none"),
        usage.input_tokens,
        usage.output_tokens
    )
}

pub(super) fn headers(ex: &Exchange) -> Document {
    let mut doc = Document::new();
    doc.push("Response", LineKind::Heading);
    match &ex.response {
        Some(response) => {
            doc.push(
                &status_line(&response.http_version, response.status),
                status_kind(response.status),
            );
            push_fields(&mut doc, &response.headers);
        }
        None => doc.push(
            &format!(
                "No response headers: the exchange failed ({}) before any arrived.",
                ex.outcome.slug()
            ),
            LineKind::Warn,
        ),
    }
    doc.blank();
    push_request_head(&mut doc, &ex.request);
    doc
}

pub(super) fn push_request_head(doc: &mut Document, request: &RecordedRequest) {
    doc.push("Request as sent (credentials masked)", LineKind::Heading);
    doc.push(
        &format!("{} {}", request.method, redact_text(&request.url)),
        LineKind::Info,
    );
    push_fields(doc, &request.headers);
}

pub(super) fn push_fields(doc: &mut Document, headers: &[Header]) {
    if headers.is_empty() {
        doc.push("(no headers)", LineKind::Dim);
    }
    for header in redact_headers(headers) {
        doc.push(
            &format!("{}: {}", header.name, header.value),
            LineKind::Field,
        );
    }
}

pub(super) fn stream(ex: &Exchange) -> Document {
    let mut doc = Document::new();
    let Some(response) = &ex.response else {
        doc.push("No response, so no stream.", LineKind::Dim);
        return doc;
    };
    let (Some(first), Some(last)) = (response.events.first(), response.events.last()) else {
        if is_stream(response) {
            doc.push(
                "The response is a stream, but no event arrived.",
                LineKind::Warn,
            );
        } else {
            doc.push(
                "Not a stream: the response came back as one body (see the Body tab).",
                LineKind::Dim,
            );
            if asked_to_stream(&ex.request) {
                doc.push(
                    "The request asked for a stream; an error is always answered with one body.",
                    LineKind::Dim,
                );
            }
        }
        return doc;
    };
    doc.push(
        &format!(
            "{} events · first at +{} · last at +{} (times from the start of the request)",
            response.events.len(),
            fmt_ms(first.at_ms),
            fmt_ms(last.at_ms)
        ),
        LineKind::Dim,
    );
    for event in &response.events {
        doc.push(
            &event_line(
                event.at_ms,
                &event.event,
                &compact_data(&event.event, &event.data),
            ),
            LineKind::Event,
        );
    }
    doc
}

/// `+   499 ms  content_block_delta  [0] text_delta "The capital"` —
/// the shape `render` knows how to colour ([`LineKind::Event`]).
pub(super) fn event_line(at_ms: f64, name: &str, compact: &str) -> String {
    let ms = at_ms.max(0.0).round() as u64;
    format!("+{ms:>6} ms  {name:<19}  {compact}")
}

/// An event's data made short for the timeline; the Raw tab has it as
/// it came. Data that is not JSON is shown as it is, on one line.
pub(super) fn compact_data(name: &str, data: &str) -> String {
    match serde_json::from_str::<Value>(data) {
        Ok(value) => compact_value(name, value),
        Err(_) => redact_text(data).replace('\n', " "),
    }
}

/// The data without what the line already says: a `type` equal to the
/// event name goes, and a delta becomes `[index] type "text"`.
pub(super) fn compact_value(name: &str, mut value: Value) -> String {
    let Value::Object(map) = &mut value else {
        return value.to_string();
    };
    if map.get("type").and_then(Value::as_str) == Some(name) {
        map.shift_remove("type");
    }
    if name == "content_block_delta"
        && let Some(short) = short_delta(map)
    {
        return short;
    }
    if map.is_empty() {
        return String::new();
    }
    redact_text(&value.to_string()).into_owned()
}

/// `[0] text_delta "Hel"` for a delta of one known text field.
fn short_delta(map: &serde_json::Map<String, Value>) -> Option<String> {
    let index = map.get("index")?;
    let delta = map.get("delta")?.as_object()?;
    let kind = delta.get("type")?.as_str()?;
    let field = match kind {
        "text_delta" => "text",
        "input_json_delta" => "partial_json",
        "thinking_delta" => "thinking",
        "signature_delta" => "signature",
        _ => return None,
    };
    let text = delta.get(field)?;
    (map.len() == 2 && delta.len() == 2).then(|| format!("[{index}] {kind} {text}"))
}

pub(super) fn timing(ex: &Exchange, width: usize) -> Document {
    let t = &ex.timing;
    let stream = ex.response.as_ref().is_some_and(is_stream);
    let mut doc = Document::new();
    doc.push("From the start of the request:", LineKind::Dim);
    let reused = t.connection_reused.then_some("connection reused");
    let phases = [
        ("DNS lookup", t.dns_ms, reused),
        ("connect + TLS", t.connect_ms, reused),
        (
            "headers (TTFB)",
            t.headers_ms,
            ex.response.is_none().then_some("no response"),
        ),
        (
            "first token",
            t.first_token_ms,
            (!stream).then_some("not a stream"),
        ),
        ("total", Some(t.total_ms), None),
    ];
    let scale = phases
        .iter()
        .filter_map(|(_, ms, _)| *ms)
        .fold(0.0, f64::max);
    for (label, ms, why) in phases {
        push_phase(&mut doc, label, ms, why, scale, width);
    }
    doc.blank();
    push_throughput(&mut doc, ex, t);
    doc
}

pub(super) fn push_phase(
    doc: &mut Document,
    label: &str,
    ms: Option<f64>,
    why_not: Option<&str>,
    scale: f64,
    width: usize,
) {
    match ms {
        Some(ms) => doc.push(&bar_line(label, ms, scale, width), LineKind::Bar),
        None => {
            let why = why_not.map(|w| format!(" ({w})")).unwrap_or_default();
            doc.push(&format!("{label:<LABEL$}not measured{why}"), LineKind::Dim);
        }
    }
}

const LABEL: usize = 16;
const VALUE: usize = 10;
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// `label           ██████▍░░░░░░░    412 ms`, the bar on a shared scale.
pub(super) fn bar_line(label: &str, ms: f64, scale: f64, width: usize) -> String {
    let value = fmt_ms(ms);
    let bar_width = width.saturating_sub(LABEL + VALUE);
    if bar_width < 4 {
        return format!("{label:<LABEL$}{value}");
    }
    let fraction = if scale > 0.0 {
        (ms / scale).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (fraction * bar_width as f64 * 8.0).round() as usize;
    // Anything that took time gets at least a sliver.
    let eighths = if ms > 0.0 { eighths.max(1) } else { eighths };
    let full = eighths / 8;
    let mut bar: String = "█".repeat(full);
    if let Some(&part) = EIGHTHS.get(eighths % 8).filter(|_| eighths % 8 > 0) {
        bar.push(part);
    }
    let drawn = full + usize::from(eighths % 8 > 0);
    bar.extend(std::iter::repeat_n('░', bar_width.saturating_sub(drawn)));
    format!("{label:<LABEL$}{bar}{value:>VALUE$}")
}

fn push_throughput(doc: &mut Document, ex: &Exchange, t: &Timing) {
    match (&ex.usage, t.output_tokens_per_sec) {
        (Some(usage), Some(rate)) => doc.push(
            &format!(
                "{:<LABEL$}{} tokens · {rate:.1} tokens/s",
                "output", usage.output_tokens
            ),
            LineKind::Plain,
        ),
        (Some(usage), None) => doc.push(
            &format!(
                "{:<LABEL$}{} tokens · tokens/s not measured",
                "output", usage.output_tokens
            ),
            LineKind::Plain,
        ),
        (None, _) => doc.push(
            &format!("{:<LABEL$}not measured (no usage came back)", "tokens/s"),
            LineKind::Dim,
        ),
    }
    if let Some(usage) = &ex.usage {
        let cache = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
        doc.push(
            &format!(
                "{:<LABEL$}{} tokens (cache read {}, cache write {})",
                "input",
                usage.input_tokens,
                cache(usage.cache_read_input_tokens),
                cache(usage.cache_creation_input_tokens)
            ),
            LineKind::Plain,
        );
    }
    let connection = if t.connection_reused {
        "reused from the pool: no DNS lookup or connect this time"
    } else {
        "new"
    };
    doc.push(
        &format!("{:<LABEL$}{connection}", "connection"),
        LineKind::Plain,
    );
}

pub(super) fn raw(ex: &Exchange) -> Document {
    let mut doc = Document::new();
    let version = ex.response.as_ref().map(|r| r.http_version.as_str());
    push_raw_request(&mut doc, &ex.request, version);
    doc.blank();
    doc.push(&block_heading("response, as received"), LineKind::Heading);
    match &ex.response {
        Some(response) => {
            doc.push(
                &status_line(&response.http_version, response.status),
                status_kind(response.status),
            );
            push_fields(&mut doc, &response.headers);
            doc.blank();
            if response.body.is_empty() {
                doc.push("(empty body)", LineKind::Dim);
            } else {
                doc.push(&redact_text(&response.body), LineKind::Plain);
            }
        }
        None => doc.push(
            &format!("No response ({}).", ex.outcome.slug()),
            LineKind::Warn,
        ),
    }
    doc
}

/// The request line (absolute form, with the HTTP version when the
/// response told it), headers and body as sent.
pub(super) fn push_raw_request(
    doc: &mut Document,
    request: &RecordedRequest,
    http_version: Option<&str>,
) {
    doc.push(
        &block_heading("request, as sent (credentials masked)"),
        LineKind::Heading,
    );
    let mut line = format!("{} {}", request.method, redact_text(&request.url));
    if let Some(version) = http_version.filter(|v| !v.is_empty()) {
        line.push(' ');
        line.push_str(version);
    }
    doc.push(&line, LineKind::Info);
    push_fields(doc, &request.headers);
    doc.blank();
    if request.body.is_empty() {
        doc.push("(no body)", LineKind::Dim);
    } else {
        doc.push(&redact_text(&request.body), LineKind::Plain);
    }
}

pub(super) fn curl(ex: &Exchange) -> Document {
    let mut doc = Document::new();
    doc.push(
        "# The same request as a shell command; the key comes from the environment.",
        LineKind::Dim,
    );
    doc.push(to_curl(ex).trim_end(), LineKind::Plain);
    doc
}

/// `HTTP/2 200 OK`.
pub(super) fn status_line(http_version: &str, status: u16) -> String {
    let version = if http_version.is_empty() {
        "HTTP"
    } else {
        http_version
    };
    match reason(status) {
        Some(reason) => format!("{version} {status} {reason}"),
        None => format!("{version} {status}"),
    }
}

pub(super) fn reason(status: u16) -> Option<&'static str> {
    match status {
        // Anthropic's own code, which the HTTP registry does not have.
        529 => Some("Overloaded"),
        _ => http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason()),
    }
}

pub(super) fn status_kind(status: u16) -> LineKind {
    match status {
        200..=299 => LineKind::Ok,
        429 | 529 => LineKind::Warn,
        _ => LineKind::Error,
    }
}

pub(super) fn is_stream(response: &RecordedResponse) -> bool {
    !response.events.is_empty()
        || header_value(&response.headers, "content-type")
            .is_some_and(|ct| ct.starts_with("text/event-stream"))
}

fn asked_to_stream(request: &RecordedRequest) -> bool {
    request
        .json()
        .and_then(|body| body.get("stream").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

/// A wait so far: `850 ms`, `2.3 s` (tenths: it changes every frame).
pub(super) fn fmt_elapsed(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.0} ms", ms.max(0.0))
    }
}

/// `0.8 ms`, `412 ms`, `12.4 s`.
pub(super) fn fmt_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "?".into();
    }
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_share_a_scale_and_keep_their_width() {
        let full = bar_line("total", 1000.0, 1000.0, 46);
        let half = bar_line("headers (TTFB)", 500.0, 1000.0, 46);
        assert_eq!(full.chars().count(), 46);
        assert_eq!(half.chars().count(), 46);
        assert_eq!(full.chars().filter(|&c| c == '█').count(), 20);
        assert_eq!(half.chars().filter(|&c| c == '█').count(), 10);
        assert!(full.ends_with("1000 ms"));
        let sliver = bar_line("DNS lookup", 0.4, 1000.0, 46);
        assert!(sliver.contains('▏'), "{sliver}");
        assert_eq!(bar_line("total", 5.0, 5.0, 20), "total           5.0 ms");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_ms(0.84), "0.8 ms");
        assert_eq!(fmt_ms(412.4), "412 ms");
        assert_eq!(fmt_ms(12_400.0), "12.4 s");
        assert_eq!(fmt_ms(f64::NAN), "?");
    }

    #[test]
    fn status_lines() {
        assert_eq!(status_line("HTTP/2", 200), "HTTP/2 200 OK");
        assert_eq!(status_line("HTTP/1.1", 529), "HTTP/1.1 529 Overloaded");
        assert_eq!(status_line("", 599), "HTTP 599");
    }

    #[test]
    fn event_lines_line_up() {
        assert_eq!(
            event_line(12.4, "ping", &compact_data("ping", r#"{"type": "ping"}"#)),
            "+    12 ms  ping                 "
        );
        assert_eq!(
            event_line(-1.0, "x", &compact_data("x", "a\nb")),
            "+     0 ms  x                    a b"
        );
    }

    #[test]
    fn event_data_is_compacted_without_losing_anything_new() {
        let delta = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \"you\""}}"#;
        assert_eq!(
            compact_data("content_block_delta", delta),
            r#"[0] text_delta "Hi \"you\"""#
        );
        let stop = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#;
        assert_eq!(
            compact_data("message_delta", stop),
            r#"{"delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#
        );
        // A payload whose type differs from the event name keeps it.
        assert_eq!(
            compact_data("message", r#"{"type":"ping"}"#),
            r#"{"type":"ping"}"#
        );
        let odd = r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#;
        assert_eq!(
            compact_data("content_block_delta", odd),
            r#"{"index":0,"delta":{"type":"citations_delta","citation":{}}}"#
        );
    }
}
