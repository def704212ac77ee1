//! Server-sent events: an incremental parser and the Messages stream
//! assembler.
//!
//! Three layers, each usable alone:
//! - [`SseParser`] turns bytes (split anywhere) into [`SseEvent`]s following
//!   the WHATWG rules for `text/event-stream`.
//! - [`StreamEvent::parse`] turns one [`SseEvent`] into a typed Messages
//!   stream event.
//! - [`MessageAssembler`] folds typed events into the final
//!   [`MessageResponse`], and shows the partial message while it streams.
//!
//! Speed matters because the engine runs every byte of a long answer through
//! all three layers: the parser copies a line only when it spans two chunks,
//! [`SseParser::feed_each`] reuses one event buffer, and the overwhelmingly
//! common `content_block_delta` shape is read without building a JSON tree.

use memchr::{memchr, memchr2};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::types::{ApiError, ContentBlock, MessageResponse, Usage};

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `message` when the server sent none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id the stream set (it carries over to later events,
    /// as the spec says); `None` when never set or reset with an empty `id:`.
    pub id: Option<String>,
    /// The `retry:` value sent within this event, if any.
    pub retry_ms: Option<u64>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental SSE parser: feed it chunks split anywhere.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The start of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The event being built; handed out (and then cleared) on dispatch.
    pending: SseEvent,
    /// Whether a `data` field was seen: `data:` with an empty value still
    /// makes an event, so an empty `pending.data` is not enough to tell.
    has_data: bool,
    last_event_id: Option<String>,
    retry_ms: Option<u64>,
    /// The previous chunk ended in `\r`: a `\n` starting the next chunk
    /// belongs to the same line end.
    pending_cr: bool,
    /// How many bytes of a leading BOM were seen (it may be split too).
    bom_matched: usize,
    bom_done: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; every event it completes is appended to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        self.feed_inner(chunk, &mut |event: &mut SseEvent| {
            out.push(std::mem::take(event))
        });
    }

    /// Feeds a chunk and calls `on_event` for every event it completes.
    ///
    /// The event is lent, not given: the parser reuses its buffers, so a
    /// steady stream costs no allocation per event. Clone what you keep.
    pub fn feed_each(&mut self, chunk: &[u8], mut on_event: impl FnMut(&SseEvent)) {
        self.feed_inner(chunk, &mut |event: &mut SseEvent| on_event(event));
    }

    /// True when part of an event is buffered (the stream was cut mid-event):
    /// an unfinished line, or fields not yet closed by a blank line.
    pub fn has_partial(&self) -> bool {
        !self.line.is_empty()
            || self.has_data
            || !self.pending.event.is_empty()
            || (!self.bom_done && self.bom_matched > 0)
    }

    /// The last `id:` the stream set, if any.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// The reconnection time the server asked for with `retry:`, if any.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    fn feed_inner<F: FnMut(&mut SseEvent)>(&mut self, chunk: &[u8], on_event: &mut F) {
        let mut rest = self.skip_bom(chunk);
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            if let Some((b'\n', after)) = rest.split_first() {
                rest = after;
            }
        }
        while let Some(end) = memchr2(b'\n', b'\r', rest) {
            let (line, terminator) = rest.split_at(end);
            if self.line.is_empty() {
                self.process_line(line, on_event);
            } else {
                let mut joined = std::mem::take(&mut self.line);
                joined.extend_from_slice(line);
                self.process_line(&joined, on_event);
                joined.clear();
                self.line = joined;
            }
            rest = match terminator {
                [b'\r', b'\n', after @ ..] => after,
                [b'\r'] => {
                    self.pending_cr = true;
                    &[]
                }
                [_, after @ ..] => after,
                [] => &[],
            };
        }
        self.line.extend_from_slice(rest);
    }

    /// Drops one leading byte-order mark, even when it is split across chunks.
    fn skip_bom<'c>(&mut self, chunk: &'c [u8]) -> &'c [u8] {
        let mut rest = chunk;
        while !self.bom_done {
            let Some((&byte, after)) = rest.split_first() else {
                break;
            };
            if BOM.get(self.bom_matched) == Some(&byte) {
                self.bom_matched += 1;
                rest = after;
                self.bom_done = self.bom_matched == BOM.len();
            } else {
                // What looked like the start of a BOM was data after all.
                self.line
                    .extend_from_slice(BOM.get(..self.bom_matched).unwrap_or_default());
                self.bom_done = true;
            }
        }
        rest
    }

    fn process_line<F: FnMut(&mut SseEvent)>(&mut self, line: &[u8], on_event: &mut F) {
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        let (field, value) = match memchr(b':', line) {
            Some(0) => return, // a comment
            Some(colon) => {
                let (field, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                (field, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.pending.data.push('\n');
                }
                push_lossy(&mut self.pending.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.pending.event.clear();
                push_lossy(&mut self.pending.event, value);
            }
            b"id" if !value.contains(&0) => {
                self.last_event_id =
                    (!value.is_empty()).then(|| String::from_utf8_lossy(value).into_owned());
            }
            b"retry" => {
                if let Some(ms) = parse_retry(value) {
                    self.retry_ms = Some(ms);
                    self.pending.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch<F: FnMut(&mut SseEvent)>(&mut self, on_event: &mut F) {
        if self.has_data {
            if self.pending.event.is_empty() {
                self.pending.event.push_str("message");
            }
            self.pending.id.clone_from(&self.last_event_id);
            on_event(&mut self.pending);
        }
        self.pending.event.clear();
        self.pending.data.clear();
        self.pending.retry_ms = None;
        self.has_data = false;
    }
}

/// Appends bytes as text, replacing invalid UTF-8 as the spec's decoder does.
fn push_lossy(out: &mut String, bytes: &[u8]) {
    // `from_utf8` is much faster than `from_utf8_lossy` on valid input,
    // which is nearly all input.
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// `retry:` takes ASCII digits only; anything else (or an overflow) is ignored.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// `message_delta`'s `delta` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageDeltaBody {
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
}

/// A content block delta.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockDelta {
    Text(String),
    InputJson(String),
    Thinking(String),
    Signature(String),
    /// `citations_delta` and delta types this tool does not know, verbatim.
    Other(Value),
}

impl BlockDelta {
    /// The delta's `type` as it appears on the wire (`text_delta`, …).
    pub fn type_name(&self) -> &str {
        match self {
            BlockDelta::Text(_) => "text_delta",
            BlockDelta::InputJson(_) => "input_json_delta",
            BlockDelta::Thinking(_) => "thinking_delta",
            BlockDelta::Signature(_) => "signature_delta",
            BlockDelta::Other(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    fn from_value(value: Value) -> BlockDelta {
        let known = |field: &str, make: fn(String) -> BlockDelta| {
            value
                .get(field)
                .and_then(Value::as_str)
                .map(|s| make(s.to_owned()))
        };
        let typed = match value.get("type").and_then(Value::as_str) {
            Some("text_delta") => known("text", BlockDelta::Text),
            Some("input_json_delta") => known("partial_json", BlockDelta::InputJson),
            Some("thinking_delta") => known("thinking", BlockDelta::Thinking),
            Some("signature_delta") => known("signature", BlockDelta::Signature),
            _ => None,
        };
        // A known type without its text field is odd; keep it whole rather than guess.
        typed.unwrap_or(BlockDelta::Other(value))
    }
}

/// One typed event of a Messages stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    MessageStart {
        message: MessageResponse,
    },
    ContentBlockStart {
        index: usize,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        usage: Option<Usage>,
    },
    MessageStop,
    Ping,
    Error {
        error: ApiError,
    },
    /// An event name this tool does not know; tolerated, not an error.
    Unknown {
        event: String,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    #[error("stream event `{event}` has data that is not valid JSON: {detail}")]
    BadJson { event: String, detail: String },
    #[error(
        "stream event `{event}` is JSON but not in the shape the Messages API sends \
         ({detail}); the server or a proxy in between is not speaking the Messages API"
    )]
    BadPayload { event: String, detail: String },
    #[error(
        "`{event}` arrived before message_start: the stream is out of order or its \
         beginning was lost"
    )]
    BeforeMessageStart { event: &'static str },
    #[error("a second message_start arrived; it was ignored and the first message kept")]
    DuplicateMessageStart,
    #[error("{event} for block {index} which was never started (no content_block_start)")]
    BlockNotStarted { event: &'static str, index: usize },
    #[error("content_block_start for block {index} which was already started; ignored")]
    BlockStartedTwice { index: usize },
    #[error("{event} for block {index} after its content_block_stop; ignored")]
    BlockAlreadyStopped { event: &'static str, index: usize },
    #[error("a {delta} arrived for block {index}, which is a {block} block; ignored")]
    DeltaMismatch {
        index: usize,
        delta: String,
        block: String,
    },
    #[error(
        "the input of tool_use block {index} (`{name}`) is not valid JSON once \
         assembled ({detail}); the stream was corrupted"
    )]
    BadToolInput {
        index: usize,
        name: String,
        detail: String,
    },
    #[error(
        "the stream had no message_start event, so there is no message to assemble; \
         the response may not be a Messages stream"
    )]
    NoMessageStart,
}

/// The event types a Messages stream sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    MessageStart,
    BlockStart,
    BlockDelta,
    BlockStop,
    MessageDelta,
    MessageStop,
    Ping,
    Error,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "message_start" => Kind::MessageStart,
            "content_block_start" => Kind::BlockStart,
            "content_block_delta" => Kind::BlockDelta,
            "content_block_stop" => Kind::BlockStop,
            "message_delta" => Kind::MessageDelta,
            "message_stop" => Kind::MessageStop,
            "ping" => Kind::Ping,
            "error" => Kind::Error,
            _ => return None,
        })
    }
}

#[derive(Deserialize)]
struct TypeTag {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct MessageStartData {
    message: MessageResponse,
}

#[derive(Deserialize)]
struct BlockStartData {
    index: usize,
    content_block: ContentBlock,
}

#[derive(Deserialize)]
struct BlockDeltaData {
    index: usize,
    delta: Value,
}

#[derive(Deserialize)]
struct BlockStopData {
    index: usize,
}

#[derive(Deserialize)]
struct MessageDeltaData {
    #[serde(default)]
    delta: Option<MessageDeltaBody>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct ErrorData {
    error: ApiError,
}

impl StreamEvent {
    /// Reads one SSE event as a Messages stream event.
    ///
    /// The event name decides, except that a known JSON `type` wins when
    /// the name is the default `message` (some gateways drop `event:`
    /// lines), an unknown name (a proxy renamed it), or a different known
    /// event (the payload is what gets parsed, so its own label fits it).
    /// An unknown name whose data has no known `type`, JSON or not, is
    /// [`StreamEvent::Unknown`]. `ping` and `message_stop` may have empty data.
    pub fn parse(event: &SseEvent) -> Result<StreamEvent, StreamError> {
        let name = event.event.as_str();
        let data = event.data.as_str();
        let named = Kind::from_name(name);
        if (named == Some(Kind::BlockDelta) || name == "message")
            && let Some((index, delta)) = fast_block_delta(data)
        {
            return Ok(StreamEvent::ContentBlockDelta { index, delta });
        }
        parse_with_serde(name, named, data)
    }
}

/// The general path: read the `type`, settle the kind, then the payload.
fn parse_with_serde(
    name: &str,
    named: Option<Kind>,
    data: &str,
) -> Result<StreamEvent, StreamError> {
    let tag = match serde_json::from_str::<TypeTag>(data) {
        Ok(tag) => tag.kind,
        Err(err) => return unreadable(name, named, data, &err),
    };
    let kind = match (named, tag.as_deref().and_then(Kind::from_name)) {
        (_, Some(tagged)) => tagged,
        (Some(named), None) => named,
        (None, None) => {
            let event = match tag {
                Some(tag) if name == "message" => tag,
                _ => name.to_owned(),
            };
            return Ok(StreamEvent::Unknown { event });
        }
    };
    parse_kind(kind, name, data)
}

/// What to make of data that is not a JSON object with a readable `type`.
fn unreadable(
    name: &str,
    named: Option<Kind>,
    data: &str,
    err: &serde_json::Error,
) -> Result<StreamEvent, StreamError> {
    let blank = data.trim().is_empty();
    match named {
        // These carry nothing we need, so a bare `data:` line is fine.
        Some(Kind::Ping) if blank => Ok(StreamEvent::Ping),
        Some(Kind::MessageStop) if blank => Ok(StreamEvent::MessageStop),
        Some(_) => Err(json_error(name, err)),
        None if name == "message" && !blank => Err(json_error(name, err)),
        None => Ok(StreamEvent::Unknown {
            event: name.to_owned(),
        }),
    }
}

fn json_error(event: &str, err: &serde_json::Error) -> StreamError {
    let (event, detail) = (event.to_owned(), err.to_string());
    if err.is_data() {
        StreamError::BadPayload { event, detail }
    } else {
        StreamError::BadJson { event, detail }
    }
}

fn from_json<'a, T: Deserialize<'a>>(event: &str, data: &'a str) -> Result<T, StreamError> {
    serde_json::from_str(data).map_err(|err| json_error(event, &err))
}

fn parse_kind(kind: Kind, name: &str, data: &str) -> Result<StreamEvent, StreamError> {
    Ok(match kind {
        Kind::MessageStart => StreamEvent::MessageStart {
            message: from_json::<MessageStartData>(name, data)?.message,
        },
        Kind::BlockStart => {
            let start: BlockStartData = from_json(name, data)?;
            StreamEvent::ContentBlockStart {
                index: start.index,
                content_block: start.content_block,
            }
        }
        Kind::BlockDelta => {
            let delta: BlockDeltaData = from_json(name, data)?;
            StreamEvent::ContentBlockDelta {
                index: delta.index,
                delta: BlockDelta::from_value(delta.delta),
            }
        }
        Kind::BlockStop => StreamEvent::ContentBlockStop {
            index: from_json::<BlockStopData>(name, data)?.index,
        },
        Kind::MessageDelta => {
            let delta: MessageDeltaData = from_json(name, data)?;
            StreamEvent::MessageDelta {
                delta: delta.delta.unwrap_or_default(),
                usage: delta.usage,
            }
        }
        Kind::MessageStop => StreamEvent::MessageStop,
        Kind::Ping => StreamEvent::Ping,
        Kind::Error => StreamEvent::Error {
            error: from_json::<ErrorData>(name, data)?.error,
        },
    })
}

const DELTA_PREFIX: &str = r#"{"type":"content_block_delta","index":"#;
const DELTA_TYPE: &str = r#","delta":{"type":""#;
type MakeDelta = fn(String) -> BlockDelta;
const DELTA_SHAPES: [(&str, MakeDelta); 4] = [
    (r#"text_delta","text":"#, BlockDelta::Text),
    (
        r#"input_json_delta","partial_json":"#,
        BlockDelta::InputJson,
    ),
    (r#"thinking_delta","thinking":"#, BlockDelta::Thinking),
    (r#"signature_delta","signature":"#, BlockDelta::Signature),
];

/// Reads a `content_block_delta` in the exact compact form the API sends,
/// without building a JSON tree. Anything unexpected (whitespace, another
/// key order, an odd escape) returns `None` and the full parser decides, so
/// this never accepts what serde would reject.
fn fast_block_delta(data: &str) -> Option<(usize, BlockDelta)> {
    let rest = data.strip_prefix(DELTA_PREFIX)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = rest.split_at_checked(digits)?;
    if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
        return None;
    }
    let index = number.parse().ok()?;
    let rest = rest.strip_prefix(DELTA_TYPE)?;
    let (literal, make) = DELTA_SHAPES
        .iter()
        .find_map(|(shape, make)| Some((rest.strip_prefix(shape)?, make)))?;
    let (text, tail) = json_string_tail(literal)?;
    let tail = tail.trim_end_matches([' ', '\t', '\n', '\r']);
    (tail == "}}").then(|| (index, make(text)))
}

/// Reads the JSON string literal at the start of `literal` (which begins
/// with its opening quote); returns its value and what follows it.
fn json_string_tail(literal: &str) -> Option<(String, &str)> {
    let body = literal.strip_prefix('"')?;
    let bytes = body.as_bytes();
    // The value is never longer than the rest of the data: one allocation.
    let mut text = String::with_capacity(body.len());
    let mut at = 0;
    loop {
        let found = at + memchr2(b'"', b'\\', bytes.get(at..)?)?;
        let run = body.get(at..found)?;
        // Raw control characters are invalid JSON (fold, not `any`, so it vectorises).
        if run.bytes().fold(false, |bad, b| bad | (b < 0x20)) {
            return None;
        }
        text.push_str(run);
        if bytes.get(found) == Some(&b'"') {
            return Some((text, body.get(found + 1..)?));
        }
        let (unescaped, used) = match bytes.get(found + 1)? {
            b'"' => ('"', 1),
            b'\\' => ('\\', 1),
            b'/' => ('/', 1),
            b'n' => ('\n', 1),
            b't' => ('\t', 1),
            b'r' => ('\r', 1),
            b'b' => ('\u{8}', 1),
            b'f' => ('\u{c}', 1),
            b'u' => unicode_escape(bytes.get(found + 2..)?)?,
            _ => return None,
        };
        text.push(unescaped);
        at = found + 1 + used;
    }
}

/// The character of `\uXXXX` (a surrogate pair takes two escapes) and how
/// many bytes the escape takes after its backslash. A lone surrogate is
/// left to the full parser.
fn unicode_escape(after_u: &[u8]) -> Option<(char, usize)> {
    let first = hex4(after_u.get(..4)?)?;
    match first {
        0xD800..=0xDBFF => {
            let low = after_u.get(4..10)?.strip_prefix(b"\\u").and_then(hex4)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
            Some((char::from_u32(code)?, 11))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(first)?, 5)),
    }
}

fn hex4(digits: &[u8]) -> Option<u32> {
    if digits.len() != 4 {
        return None;
    }
    digits
        .iter()
        .try_fold(0, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
}

/// Builds the final message from stream events.
#[derive(Debug, Default)]
pub struct MessageAssembler {
    message: Option<MessageResponse>,
    /// One entry per started block, in start order.
    blocks: Vec<BlockState>,
    complete: bool,
    error: Option<ApiError>,
}

#[derive(Debug)]
struct BlockState {
    /// The `index` the stream uses for this block.
    index: usize,
    /// Where the block sits in `message.content`.
    position: usize,
    stopped: bool,
    /// `input_json_delta` pieces so far (tool input arrives as JSON text).
    partial_json: Option<String>,
}

impl MessageAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one event. After an `error` event everything is ignored. An
    /// `Err` describes an event that could not be applied; the message so
    /// far stays usable, so the caller may report it and carry on.
    pub fn apply(&mut self, event: &StreamEvent) -> Result<(), StreamError> {
        if self.error.is_some() {
            return Ok(());
        }
        match event {
            StreamEvent::MessageStart { message } => self.start_message(message),
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.start_block(*index, content_block),
            StreamEvent::ContentBlockDelta { index, delta } => self.apply_delta(*index, delta),
            StreamEvent::ContentBlockStop { index } => self.stop_block(*index),
            StreamEvent::MessageDelta { delta, usage } => {
                self.apply_message_delta(delta, usage.as_ref())
            }
            StreamEvent::MessageStop => {
                self.started("message_stop")?;
                self.complete = true;
                Ok(())
            }
            StreamEvent::Error { error } => {
                self.error = Some(error.clone());
                Ok(())
            }
            StreamEvent::Ping | StreamEvent::Unknown { .. } => Ok(()),
        }
    }

    /// True once `message_stop` arrived.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The error the stream reported with an `error` event, if any.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// The message so far (tool inputs appear once their block stops; see
    /// [`MessageAssembler::partial_json`] for the pieces before that).
    pub fn message(&self) -> Option<&MessageResponse> {
        self.message.as_ref()
    }

    /// The text blocks so far, in order, without copying them.
    pub fn text_parts(&self) -> impl Iterator<Item = &str> {
        self.message
            .iter()
            .flat_map(|m| m.content.iter().filter_map(ContentBlock::as_text))
    }

    /// Total length in bytes of the text so far: a cheap "did it grow" check.
    pub fn text_len(&self) -> usize {
        self.text_parts().map(str::len).sum()
    }

    /// The tool input JSON received so far for block `index`, as text.
    pub fn partial_json(&self, index: usize) -> Option<&str> {
        find_block(&self.blocks, index)?.partial_json.as_deref()
    }

    pub fn finish(self) -> Result<MessageResponse, StreamError> {
        self.message.ok_or(StreamError::NoMessageStart)
    }

    fn started(&mut self, event: &'static str) -> Result<&mut MessageResponse, StreamError> {
        self.message
            .as_mut()
            .ok_or(StreamError::BeforeMessageStart { event })
    }

    fn start_message(&mut self, message: &MessageResponse) -> Result<(), StreamError> {
        if self.message.is_some() {
            return Err(StreamError::DuplicateMessageStart);
        }
        self.message = Some(message.clone());
        Ok(())
    }

    fn start_block(&mut self, index: usize, block: &ContentBlock) -> Result<(), StreamError> {
        let message = self
            .message
            .as_mut()
            .ok_or(StreamError::BeforeMessageStart {
                event: "content_block_start",
            })?;
        if find_block(&self.blocks, index).is_some() {
            return Err(StreamError::BlockStartedTwice { index });
        }
        self.blocks.push(BlockState {
            index,
            position: message.content.len(),
            stopped: false,
            partial_json: None,
        });
        message.content.push(block.clone());
        Ok(())
    }

    fn apply_delta(&mut self, index: usize, delta: &BlockDelta) -> Result<(), StreamError> {
        const EVENT: &str = "content_block_delta";
        let message = self
            .message
            .as_mut()
            .ok_or(StreamError::BeforeMessageStart { event: EVENT })?;
        let not_started = StreamError::BlockNotStarted {
            event: EVENT,
            index,
        };
        let state = find_block_mut(&mut self.blocks, index).ok_or(not_started.clone())?;
        if state.stopped {
            return Err(StreamError::BlockAlreadyStopped {
                event: EVENT,
                index,
            });
        }
        let block = message.content.get_mut(state.position).ok_or(not_started)?;
        match (delta, block) {
            (BlockDelta::Text(piece), ContentBlock::Text { text, .. }) => text.push_str(piece),
            (BlockDelta::Thinking(piece), ContentBlock::Thinking { thinking, .. }) => {
                thinking.push_str(piece)
            }
            (BlockDelta::Signature(piece), ContentBlock::Thinking { signature, .. }) => {
                signature.push_str(piece)
            }
            // Server tool blocks (kept as `Other`) stream their input the same way.
            (
                BlockDelta::InputJson(piece),
                ContentBlock::ToolUse { .. } | ContentBlock::Other(_),
            ) => state
                .partial_json
                .get_or_insert_with(String::new)
                .push_str(piece),
            (BlockDelta::Other(value), ContentBlock::Text { citations, .. })
                if delta.type_name() == "citations_delta" =>
            {
                append_citation(citations, value)
            }
            // Delta types this tool does not know have nothing to assemble.
            (BlockDelta::Other(_), _) => {}
            (delta, block) => {
                return Err(StreamError::DeltaMismatch {
                    index,
                    delta: delta.type_name().to_owned(),
                    block: block.type_name().to_owned(),
                });
            }
        }
        Ok(())
    }

    fn stop_block(&mut self, index: usize) -> Result<(), StreamError> {
        const EVENT: &str = "content_block_stop";
        let message = self
            .message
            .as_mut()
            .ok_or(StreamError::BeforeMessageStart { event: EVENT })?;
        let state =
            find_block_mut(&mut self.blocks, index).ok_or(StreamError::BlockNotStarted {
                event: EVENT,
                index,
            })?;
        if state.stopped {
            return Err(StreamError::BlockAlreadyStopped {
                event: EVENT,
                index,
            });
        }
        state.stopped = true;
        let (Some(json), Some(block)) =
            (&state.partial_json, message.content.get_mut(state.position))
        else {
            return Ok(());
        };
        let input = parse_tool_input(json).map_err(|err| StreamError::BadToolInput {
            index,
            name: tool_name(block).to_owned(),
            detail: err.to_string(),
        })?;
        set_tool_input(block, input);
        Ok(())
    }

    fn apply_message_delta(
        &mut self,
        delta: &MessageDeltaBody,
        usage: Option<&Usage>,
    ) -> Result<(), StreamError> {
        let message = self.started("message_delta")?;
        if delta.stop_reason.is_some() {
            message.stop_reason.clone_from(&delta.stop_reason);
        }
        if delta.stop_sequence.is_some() {
            message.stop_sequence.clone_from(&delta.stop_sequence);
        }
        if let Some(usage) = usage {
            merge_usage(&mut message.usage, usage);
        }
        Ok(())
    }
}

fn find_block(blocks: &[BlockState], index: usize) -> Option<&BlockState> {
    // Deltas nearly always go to the newest block, so search from the end.
    blocks.iter().rev().find(|b| b.index == index)
}

fn find_block_mut(blocks: &mut [BlockState], index: usize) -> Option<&mut BlockState> {
    blocks.iter_mut().rev().find(|b| b.index == index)
}

fn append_citation(citations: &mut Option<Value>, delta: &Value) {
    let citation = delta.get("citation").cloned().unwrap_or(Value::Null);
    match citations {
        Some(Value::Array(list)) => list.push(citation),
        _ => *citations = Some(Value::Array(vec![citation])),
    }
}

/// Tool input arrives as JSON text in pieces; no pieces with text means `{}`.
fn parse_tool_input(json: &str) -> Result<Value, serde_json::Error> {
    if json.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(json)
}

fn tool_name(block: &ContentBlock) -> &str {
    match block {
        ContentBlock::ToolUse { name, .. } => name,
        ContentBlock::Other(value) => value.get("name").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

fn set_tool_input(block: &mut ContentBlock, value: Value) {
    match block {
        ContentBlock::ToolUse { input, .. } => *input = value,
        ContentBlock::Other(Value::Object(map)) => {
            map.insert("input".into(), value);
        }
        _ => {}
    }
}

/// `message_delta` usage is cumulative: output tokens always replace; the
/// other counts replace when the delta carries them. (`Usage` cannot tell an
/// absent `input_tokens` from 0, and a real input count is never 0.)
fn merge_usage(total: &mut Usage, delta: &Usage) {
    total.output_tokens = delta.output_tokens;
    if delta.input_tokens != 0 {
        total.input_tokens = delta.input_tokens;
    }
    if delta.cache_creation_input_tokens.is_some() {
        total.cache_creation_input_tokens = delta.cache_creation_input_tokens;
    }
    if delta.cache_read_input_tokens.is_some() {
        total.cache_read_input_tokens = delta.cache_read_input_tokens;
    }
    if delta.service_tier.is_some() {
        total.service_tier.clone_from(&delta.service_tier);
    }
}

/// Writes one event in wire form: `event: NAME\ndata: DATA\n\n`.
pub fn encode_event(name: &str, data: &str) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Role;
    use serde_json::json;

    // ---- helpers ----------------------------------------------------------

    fn feed_chunks(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        (out, parser)
    }

    fn parse_all(bytes: &[u8]) -> Vec<SseEvent> {
        feed_chunks(&[bytes]).0
    }

    /// Every way of cutting `bytes` in two, and byte by byte, gives `want`.
    fn assert_split_invariant(bytes: &[u8], want: &[SseEvent]) {
        for cut in 0..=bytes.len() {
            let (head, tail) = bytes.split_at(cut);
            let (got, _) = feed_chunks(&[head, tail]);
            assert_eq!(
                got,
                want,
                "split at byte {cut} of {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed_chunks(&singles).0, want, "byte by byte");
    }

    fn sse(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
            retry_ms: None,
        }
    }

    /// A small deterministic generator (xorshift64*), so splits repeat exactly.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_chunks(bytes: &[u8], seed: u64) -> Vec<&[u8]> {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let max = 1 + rng.below(40);
        let mut chunks = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            // Empty chunks too: the network layer can hand those out.
            let take = rng.below(max + 1).min(rest.len());
            let (chunk, after) = rest.split_at(take);
            chunks.push(chunk);
            rest = after;
        }
        chunks
    }

    // ---- the SSE parser ---------------------------------------------------

    #[test]
    fn parser_follows_the_whatwg_rules() {
        type Want = (
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<u64>,
        );
        let cases: &[(&str, &[u8], &[Want])] = &[
            (
                "named event",
                b"event: a\ndata: x\n\n",
                &[("a", "x", None, None)],
            ),
            (
                "name defaults to message",
                b"data: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "empty event name is message",
                b"event:\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "data lines joined by newline",
                b"data: a\ndata: b\n\n",
                &[("message", "a\nb", None, None)],
            ),
            (
                "no space after colon",
                b"data:x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "only one space removed",
                b"data:  x \n\n",
                &[("message", " x ", None, None)],
            ),
            (
                "colon inside the value kept",
                b"data: a: b\n\n",
                &[("message", "a: b", None, None)],
            ),
            (
                "line without colon is an empty field",
                b"data\n\n",
                &[("message", "", None, None)],
            ),
            (
                "empty data lines count",
                b"data:\ndata:\n\n",
                &[("message", "\n", None, None)],
            ),
            (
                "comments ignored",
                b": ping\ndata: x\n: more\n\n",
                &[("message", "x", None, None)],
            ),
            ("comment alone dispatches nothing", b": hi\n\n", &[]),
            (
                "blank line without data dispatches nothing",
                b"event: a\n\n",
                &[],
            ),
            (
                "event name does not leak past a blank line",
                b"event: a\n\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "several blank lines",
                b"\n\n\ndata: x\n\n\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "unknown field ignored",
                b"foo: bar\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            ("field names are case sensitive", b"Data: x\n\n", &[]),
            (
                "CRLF line ends",
                b"event: a\r\ndata: x\r\n\r\n",
                &[("a", "x", None, None)],
            ),
            (
                "CR line ends",
                b"data: x\rdata: y\r\rdata: z\r\r",
                &[
                    ("message", "x\ny", None, None),
                    ("message", "z", None, None),
                ],
            ),
            (
                "mixed line ends",
                b"data: a\r\ndata: b\rdata: c\n\r\n",
                &[("message", "a\nb\nc", None, None)],
            ),
            (
                "CR LF is one line end, LF CR is two",
                b"data: x\n\rdata: y\n\n",
                &[("message", "x", None, None), ("message", "y", None, None)],
            ),
            (
                "leading BOM stripped",
                b"\xEF\xBB\xBFdata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "only one BOM stripped",
                b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
                &[("message", "y", None, None)],
            ),
            (
                "BOM later in the stream is data",
                b"data: \xEF\xBB\xBFx\n\n",
                &[("message", "\u{FEFF}x", None, None)],
            ),
            (
                "half a BOM is data",
                b"\xEF\xBBdata: x\n\ndata: y\n\n",
                &[("message", "y", None, None)],
            ),
            (
                "invalid UTF-8 replaced",
                b"data: \xFF\xFEok \xE4\xB8\n\n",
                &[("message", "\u{FFFD}\u{FFFD}ok \u{FFFD}", None, None)],
            ),
            (
                "invalid UTF-8 in the event name",
                b"event: a\xC3\ndata: x\n\n",
                &[("a\u{FFFD}", "x", None, None)],
            ),
            (
                "id carries over to later events",
                b"id: 7\ndata: x\n\ndata: y\n\n",
                &[
                    ("message", "x", Some("7"), None),
                    ("message", "y", Some("7"), None),
                ],
            ),
            (
                "empty id resets",
                b"id: 7\ndata: x\n\nid\ndata: y\n\n",
                &[
                    ("message", "x", Some("7"), None),
                    ("message", "y", None, None),
                ],
            ),
            (
                "id with NUL ignored",
                b"id: 7\ndata: x\n\nid: 8\x009\ndata: y\n\n",
                &[
                    ("message", "x", Some("7"), None),
                    ("message", "y", Some("7"), None),
                ],
            ),
            (
                "id set by a data-less event still counts",
                b"id: 3\n\ndata: x\n\n",
                &[("message", "x", Some("3"), None)],
            ),
            (
                "retry digits",
                b"retry: 1500\ndata: x\n\ndata: y\n\n",
                &[
                    ("message", "x", None, Some(1500)),
                    ("message", "y", None, None),
                ],
            ),
            (
                "retry with non-digits ignored",
                b"retry: 15a\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "retry with a sign ignored",
                b"retry: -1\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "retry overflow ignored",
                b"retry: 99999999999999999999999\ndata: x\n\n",
                &[("message", "x", None, None)],
            ),
            (
                "unfinished event not dispatched",
                b"data: x\n\ndata: y\n",
                &[("message", "x", None, None)],
            ),
        ];
        for (name, input, want) in cases {
            let want: Vec<SseEvent> = want
                .iter()
                .map(|(event, data, id, retry)| SseEvent {
                    event: (*event).into(),
                    data: (*data).into(),
                    id: id.map(str::to_owned),
                    retry_ms: *retry,
                })
                .collect();
            assert_eq!(parse_all(input), want, "case: {name}");
            assert_split_invariant(input, &want);
        }
    }

    #[test]
    fn cr_at_chunk_end_makes_no_phantom_blank_line() {
        // A phantom blank line after `x` would dispatch `x` and `y` apart.
        let want = vec![sse("message", "x\ny")];
        assert_eq!(feed_chunks(&[b"data: x\r", b"\ndata: y\n\n"]).0, want);
        assert_eq!(
            feed_chunks(&[b"data: x\r", b"", b"\n", b"data: y\n\n"]).0,
            want
        );
        // But a lone CR followed by another CR is a real blank line.
        let (events, _) = feed_chunks(&[b"data: x\r", b"\rdata: y\n\n"]);
        assert_eq!(events, vec![sse("message", "x"), sse("message", "y")]);
    }

    #[test]
    fn parser_state_queries() {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        parser.feed(b"retry: 250\nid: abc\n\n", &mut out);
        assert!(out.is_empty());
        assert_eq!(parser.retry_ms(), Some(250));
        assert_eq!(parser.last_event_id(), Some("abc"));
    }

    #[test]
    fn has_partial_tells_a_cut_stream() {
        let cases: &[(&[u8], bool)] = &[
            (b"", false),
            (b"data: x\n\n", false),
            (b": keep-alive\n", false),
            (b"id: 1\nretry: 5\n", false),
            (b"data: x\n\n\n", false),
            (b"data: x\r\n\r", false),
            (b"data: x", true),
            (b"data: x\n", true),
            (b"data: x\r", true),
            (b"event: a\n", true),
            (b"data: x\n\nevent: content_block_delta\ndata: {\"ty", true),
            (b"\xEF\xBB", true),
            (b"\xEF\xBB\xBF", false),
        ];
        for (input, want) in cases {
            let (_, parser) = feed_chunks(&[input]);
            assert_eq!(
                parser.has_partial(),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn feed_each_lends_the_same_events_as_feed() {
        let input = RECORDED.as_bytes();
        let mut parser = SseParser::new();
        let mut lent = Vec::new();
        for chunk in input.chunks(7) {
            parser.feed_each(chunk, |event| lent.push(event.clone()));
        }
        assert_eq!(lent, parse_all(input));
    }

    #[test]
    fn encode_event_round_trips_through_the_parser() {
        let wire = encode_event(
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        );
        assert_eq!(
            parse_all(wire.as_bytes()),
            vec![sse(
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#
            )]
        );
    }

    // ---- typed events -----------------------------------------------------

    fn typed(event: &str, data: &str) -> Result<StreamEvent, StreamError> {
        StreamEvent::parse(&sse(event, data))
    }

    fn delta(index: usize, delta: BlockDelta) -> StreamEvent {
        StreamEvent::ContentBlockDelta { index, delta }
    }

    #[test]
    fn typed_events_parse() {
        let cases: Vec<(&str, &str, StreamEvent)> = vec![
            ("ping", r#"{"type": "ping"}"#, StreamEvent::Ping),
            ("ping", "", StreamEvent::Ping),
            (
                "message_stop",
                r#"{"type":"message_stop"}"#,
                StreamEvent::MessageStop,
            ),
            ("message_stop", "", StreamEvent::MessageStop),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                StreamEvent::ContentBlockStart {
                    index: 0,
                    content_block: ContentBlock::Text {
                        text: String::new(),
                        citations: None,
                    },
                },
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":2,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"#,
                StreamEvent::ContentBlockStart {
                    index: 2,
                    content_block: ContentBlock::Other(
                        json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}),
                    ),
                },
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
                delta(0, BlockDelta::Text("Hel".into())),
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
                delta(1, BlockDelta::InputJson("{\"city\":".into())),
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
                delta(0, BlockDelta::Thinking("hmm".into())),
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
                delta(0, BlockDelta::Signature("EqQB".into())),
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#,
                delta(
                    0,
                    BlockDelta::Other(
                        json!({"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}),
                    ),
                ),
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","x":1}}"#,
                delta(0, BlockDelta::Other(json!({"type":"future_delta","x":1}))),
            ),
            (
                "content_block_delta",
                r#"{ "type": "content_block_delta", "delta": {"text": "spaced", "type": "text_delta"}, "index": 4 }"#,
                delta(4, BlockDelta::Text("spaced".into())),
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":3}"#,
                StreamEvent::ContentBlockStop { index: 3 },
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":15}}"#,
                StreamEvent::MessageDelta {
                    delta: MessageDeltaBody {
                        stop_reason: Some("stop_sequence".into()),
                        stop_sequence: Some("END".into()),
                    },
                    usage: Some(Usage {
                        output_tokens: 15,
                        ..Usage::default()
                    }),
                },
            ),
            (
                "message_delta",
                r#"{"type":"message_delta"}"#,
                StreamEvent::MessageDelta {
                    delta: MessageDeltaBody::default(),
                    usage: None,
                },
            ),
            (
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                StreamEvent::Error {
                    error: ApiError {
                        kind: "overloaded_error".into(),
                        message: "Overloaded".into(),
                    },
                },
            ),
            (
                "mystery",
                r#"{"type":"mystery","x":1}"#,
                StreamEvent::Unknown {
                    event: "mystery".into(),
                },
            ),
            (
                "mystery",
                "not json at all",
                StreamEvent::Unknown {
                    event: "mystery".into(),
                },
            ),
            (
                "mystery",
                "",
                StreamEvent::Unknown {
                    event: "mystery".into(),
                },
            ),
            // No `event:` line: the JSON type decides.
            (
                "message",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}"#,
                delta(0, BlockDelta::Text("hi".into())),
            ),
            (
                "message",
                r#"{"type":"content_block_stop","index":1}"#,
                StreamEvent::ContentBlockStop { index: 1 },
            ),
            (
                "message",
                r#"{"type":"brand_new"}"#,
                StreamEvent::Unknown {
                    event: "brand_new".into(),
                },
            ),
            (
                "message",
                r#"{"no_type":1}"#,
                StreamEvent::Unknown {
                    event: "message".into(),
                },
            ),
            (
                "message",
                "",
                StreamEvent::Unknown {
                    event: "message".into(),
                },
            ),
            // Name and type disagree: the payload's own type fits the payload.
            (
                "ping",
                r#"{"type":"content_block_stop","index":5}"#,
                StreamEvent::ContentBlockStop { index: 5 },
            ),
            (
                "renamed_by_proxy",
                r#"{"type":"message_stop"}"#,
                StreamEvent::MessageStop,
            ),
            // A known name with an unknown or missing type: the name decides.
            (
                "content_block_stop",
                r#"{"type":"whatever","index":2}"#,
                StreamEvent::ContentBlockStop { index: 2 },
            ),
            (
                "content_block_stop",
                r#"{"index":2}"#,
                StreamEvent::ContentBlockStop { index: 2 },
            ),
        ];
        for (name, data, want) in cases {
            assert_eq!(typed(name, data), Ok(want), "event {name} data {data}");
        }
    }

    #[test]
    fn message_start_parses_the_message() {
        let data = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#;
        let Ok(StreamEvent::MessageStart { message }) = typed("message_start", data) else {
            panic!("not a message_start");
        };
        assert_eq!(message.id, "msg_1");
        assert_eq!(message.role, Role::Assistant);
        assert_eq!(message.usage.input_tokens, 25);
    }

    #[test]
    fn bad_data_is_an_error_naming_the_event() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"#,
                "BadJson",
            ),
            ("message_start", "{not json", "BadJson"),
            ("message", "<html>proxy error</html>", "BadJson"),
            ("ping", "{", "BadJson"),
            (
                "error",
                r#"{"type":"error","error":"overloaded"}"#,
                "BadPayload",
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop"}"#,
                "BadPayload",
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":-1,"delta":{}}"#,
                "BadPayload",
            ),
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"m"}}"#,
                "BadPayload",
            ),
        ];
        for (name, data, kind) in cases {
            let err = typed(name, data).expect_err(data);
            let (variant, event) = match &err {
                StreamError::BadJson { event, .. } => ("BadJson", event),
                StreamError::BadPayload { event, .. } => ("BadPayload", event),
                other => panic!("unexpected {other:?}"),
            };
            assert_eq!((variant, event.as_str()), (*kind, *name), "{data}");
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn fast_delta_path_agrees_with_serde() {
        let datas = [
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"plain"}}"#,
            r#"{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo 世界 🎉"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\"b\\c\n\u00e9\ud83c\udf89\/"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ends in backslash\\"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}  "#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\": [1, "}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"so"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"Eq=="}}"#,
            // Shapes the fast path must leave to serde (or get exactly right).
            r#"{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}} junk"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"extra":1}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","more":1}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad \q escape"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lone \ud800"}}"#,
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"raw\ttab\"}}",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated}}"#,
            r#"{"type":"content_block_delta","index":99999999999999999999999,"delta":{"type":"text_delta","text":"x"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00E9\uD83C\uDF89"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83c\u0041"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\udc00 lone low"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u12"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u+123"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u0000 nul"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\b\f\r\t"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"trailing \"}}"#,
        ];
        for data in datas {
            let slow = parse_with_serde("content_block_delta", Some(Kind::BlockDelta), data);
            match fast_block_delta(data) {
                Some((index, delta)) => {
                    assert_eq!(
                        slow,
                        Ok(StreamEvent::ContentBlockDelta { index, delta }),
                        "{data}"
                    )
                }
                None => assert_eq!(typed("content_block_delta", data), slow, "{data}"),
            }
        }
        // The common shapes must actually take the fast path.
        assert!(fast_block_delta(datas[0]).is_some());
        assert!(fast_block_delta(datas[3]).is_some());
        assert!(fast_block_delta(datas[6]).is_some());
    }

    /// Escapes every non-ASCII character as `\uXXXX`, as some JSON writers do.
    fn ascii_json(text: &str) -> String {
        let mut out = String::from("\"");
        for ch in text.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                ' '..='~' => out.push(ch),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in ch.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn fast_delta_path_reads_generated_text_exactly() {
        let alphabet: Vec<char> = "ab \"\\/\n\t\r\u{1}\u{1f}\u{7f}é世🎉\u{FEFF}\u{10FFFF}"
            .chars()
            .collect();
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let len = rng.below(24);
            let text: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            for literal in [serde_json::to_string(&text).unwrap(), ascii_json(&text)] {
                let data = format!(
                    r#"{{"type":"content_block_delta","index":3,"delta":{{"type":"text_delta","text":{literal}}}}}"#
                );
                assert_eq!(
                    fast_block_delta(&data),
                    Some((3, BlockDelta::Text(text.clone()))),
                    "{data}"
                );
            }
        }
    }

    // ---- the assembler ----------------------------------------------------

    const START: &str = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":7}}}"#;

    fn assemble(events: &[(&str, &str)]) -> (MessageAssembler, Vec<StreamError>) {
        let mut assembler = MessageAssembler::new();
        let mut errors = Vec::new();
        for (name, data) in events {
            let event = typed(name, data).unwrap();
            if let Err(err) = assembler.apply(&event) {
                errors.push(err);
            }
        }
        (assembler, errors)
    }

    fn text_start(index: usize) -> String {
        format!(
            r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"text","text":""}}}}"#
        )
    }

    fn text_delta(index: usize, text: &str) -> String {
        json!({"type":"content_block_delta","index":index,"delta":{"type":"text_delta","text":text}}).to_string()
    }

    fn stop(index: usize) -> String {
        format!(r#"{{"type":"content_block_stop","index":{index}}}"#)
    }

    fn tool_start(index: usize, name: &str) -> String {
        json!({"type":"content_block_start","index":index,"content_block":{"type":"tool_use","id":"toolu_1","name":name,"input":{}}}).to_string()
    }

    fn json_delta(index: usize, piece: &str) -> String {
        json!({"type":"content_block_delta","index":index,"delta":{"type":"input_json_delta","partial_json":piece}}).to_string()
    }

    #[test]
    fn assembler_reports_broken_streams() {
        let d0 = text_delta(0, "x");
        let think = r#"{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":""}}"#;
        // (what, events as (name, data), the error, words its message must hold)
        type Case<'a> = (&'a str, Vec<(&'a str, String)>, StreamError, &'a str);
        let cases: Vec<Case> = vec![
            (
                "delta before message_start",
                vec![("content_block_delta", d0.clone())],
                StreamError::BeforeMessageStart {
                    event: "content_block_delta",
                },
                "before message_start",
            ),
            (
                "delta for a block never started",
                vec![
                    ("message_start", START.into()),
                    ("content_block_delta", text_delta(3, "x")),
                ],
                StreamError::BlockNotStarted {
                    event: "content_block_delta",
                    index: 3,
                },
                "content_block_delta for block 3 which was never started",
            ),
            (
                "stop for a block never started",
                vec![
                    ("message_start", START.into()),
                    ("content_block_stop", stop(2)),
                ],
                StreamError::BlockNotStarted {
                    event: "content_block_stop",
                    index: 2,
                },
                "block 2",
            ),
            (
                "delta after stop",
                vec![
                    ("message_start", START.into()),
                    ("content_block_start", text_start(0)),
                    ("content_block_stop", stop(0)),
                    ("content_block_delta", d0.clone()),
                ],
                StreamError::BlockAlreadyStopped {
                    event: "content_block_delta",
                    index: 0,
                },
                "after its content_block_stop",
            ),
            (
                "block started twice",
                vec![
                    ("message_start", START.into()),
                    ("content_block_start", text_start(0)),
                    ("content_block_start", text_start(0)),
                ],
                StreamError::BlockStartedTwice { index: 0 },
                "already started",
            ),
            (
                "text delta into a thinking block",
                vec![
                    ("message_start", START.into()),
                    ("content_block_start", think.into()),
                    ("content_block_delta", text_delta(1, "x")),
                ],
                StreamError::DeltaMismatch {
                    index: 1,
                    delta: "text_delta".into(),
                    block: "thinking".into(),
                },
                "a text_delta arrived for block 1, which is a thinking block",
            ),
            (
                "second message_start",
                vec![
                    ("message_start", START.into()),
                    ("message_start", START.into()),
                ],
                StreamError::DuplicateMessageStart,
                "second message_start",
            ),
            (
                "invalid tool input",
                vec![
                    ("message_start", START.into()),
                    ("content_block_start", tool_start(0, "get_weather")),
                    ("content_block_delta", json_delta(0, "{\"city\": ")),
                    ("content_block_stop", stop(0)),
                ],
                StreamError::BadToolInput {
                    index: 0,
                    name: "get_weather".into(),
                    detail: String::new(),
                },
                "tool_use block 0 (`get_weather`)",
            ),
        ];
        for (name, events, want, words) in cases {
            let borrowed: Vec<(&str, &str)> =
                events.iter().map(|(n, d)| (*n, d.as_str())).collect();
            let (_, errors) = assemble(&borrowed);
            assert_eq!(errors.len(), 1, "{name}: {errors:?}");
            let got = &errors[0];
            match (got, &want) {
                (
                    StreamError::BadToolInput {
                        index, name: tool, ..
                    },
                    StreamError::BadToolInput {
                        index: wi,
                        name: wn,
                        ..
                    },
                ) => {
                    assert_eq!((index, tool), (wi, wn), "{name}")
                }
                _ => assert_eq!(got, &want, "{name}"),
            }
            assert!(got.to_string().contains(words), "{name}: {got}");
        }
    }

    #[test]
    fn tool_input_assembles_and_empty_means_empty_object() {
        let events = [
            ("message_start", START.to_owned()),
            ("content_block_start", tool_start(0, "get_weather")),
            ("content_block_delta", json_delta(0, "")),
            ("content_block_delta", json_delta(0, "{\"city\": \"Pa")),
            ("content_block_delta", json_delta(0, "ris\"}")),
            ("content_block_stop", stop(0)),
            ("content_block_start", tool_start(1, "no_args")),
            ("content_block_delta", json_delta(1, "")),
            ("content_block_stop", stop(1)),
        ];
        let borrowed: Vec<(&str, &str)> = events.iter().map(|(n, d)| (*n, d.as_str())).collect();
        let (assembler, errors) = assemble(&borrowed);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(assembler.partial_json(0), Some("{\"city\": \"Paris\"}"));
        let message = assembler.finish().unwrap();
        let inputs: Vec<&Value> = message
            .content
            .iter()
            .map(|b| match b {
                ContentBlock::ToolUse { input, .. } => input,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(inputs, [&json!({"city": "Paris"}), &json!({})]);
    }

    #[test]
    fn server_tool_blocks_citations_and_unknown_blocks() {
        let events = [
            ("message_start", START.to_owned()),
            ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"#.to_owned()),
            ("content_block_delta", json_delta(0, "{\"query\":\"rust\"}")),
            ("content_block_stop", stop(0)),
            ("content_block_start", r#"{"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}}"#.to_owned()),
            ("content_block_stop", stop(1)),
            ("content_block_start", text_start(2)),
            ("content_block_delta", text_delta(2, "Rust is")),
            ("content_block_delta", r#"{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://example.com"}}}"#.to_owned()),
            ("content_block_delta", r#"{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location","url":"https://example.org"}}}"#.to_owned()),
            ("content_block_delta", r#"{"type":"content_block_delta","index":2,"delta":{"type":"sparkle_delta","x":1}}"#.to_owned()),
            ("content_block_stop", stop(2)),
            ("content_block_start", r#"{"type":"content_block_start","index":3,"content_block":{"type":"redacted_thinking","data":"EmwKAhgB"}}"#.to_owned()),
            ("content_block_stop", stop(3)),
        ];
        let borrowed: Vec<(&str, &str)> = events.iter().map(|(n, d)| (*n, d.as_str())).collect();
        let (assembler, errors) = assemble(&borrowed);
        assert!(errors.is_empty(), "{errors:?}");
        let message = assembler.finish().unwrap();
        assert_eq!(
            message.content[0],
            ContentBlock::Other(
                json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"rust"}})
            )
        );
        assert_eq!(message.content[1].type_name(), "web_search_tool_result");
        assert_eq!(
            message.content[2],
            ContentBlock::Text {
                text: "Rust is".into(),
                citations: Some(json!([
                    {"type":"web_search_result_location","url":"https://example.com"},
                    {"type":"web_search_result_location","url":"https://example.org"}
                ])),
            }
        );
        assert_eq!(
            message.content[3],
            ContentBlock::RedactedThinking {
                data: "EmwKAhgB".into()
            }
        );
    }

    #[test]
    fn message_delta_merges_usage() {
        let cases: &[(&str, Usage)] = &[
            (
                r#"{"output_tokens":15}"#,
                Usage {
                    input_tokens: 25,
                    output_tokens: 15,
                    cache_creation_input_tokens: Some(0),
                    cache_read_input_tokens: Some(7),
                    service_tier: None,
                },
            ),
            (
                r#"{"input_tokens":30,"cache_creation_input_tokens":4,"cache_read_input_tokens":9,"output_tokens":20}"#,
                Usage {
                    input_tokens: 30,
                    output_tokens: 20,
                    cache_creation_input_tokens: Some(4),
                    cache_read_input_tokens: Some(9),
                    service_tier: None,
                },
            ),
            (
                r#"{"output_tokens":3,"service_tier":"priority"}"#,
                Usage {
                    input_tokens: 25,
                    output_tokens: 3,
                    cache_creation_input_tokens: Some(0),
                    cache_read_input_tokens: Some(7),
                    service_tier: Some("priority".into()),
                },
            ),
        ];
        for (usage, want) in cases {
            let data = format!(
                r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{usage}}}"#
            );
            let (assembler, errors) = assemble(&[
                ("message_start", START),
                ("message_delta", &data),
                ("message_stop", "{}"),
            ]);
            assert!(errors.is_empty(), "{errors:?}");
            assert!(assembler.is_complete());
            let message = assembler.finish().unwrap();
            assert_eq!(&message.usage, want, "{usage}");
            assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
            assert_eq!(message.stop_sequence, None);
        }
    }

    #[test]
    fn error_event_is_recorded_and_later_events_ignored() {
        let d1 = text_delta(0, "Hel");
        let d2 = text_delta(0, "lo");
        let (assembler, errors) = assemble(&[
            ("message_start", START),
            ("content_block_start", &text_start(0)),
            ("content_block_delta", &d1),
            (
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            ),
            ("content_block_delta", &d2),
            ("content_block_delta", &text_delta(7, "never started")),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            assembler.error().map(|e| e.kind.as_str()),
            Some("overloaded_error")
        );
        assert!(!assembler.is_complete());
        assert_eq!(assembler.finish().unwrap().text(), "Hel");
    }

    #[test]
    fn stream_without_message_stop_is_not_complete() {
        let d = text_delta(0, "partial");
        let (assembler, errors) = assemble(&[
            ("message_start", START),
            ("content_block_start", &text_start(0)),
            ("content_block_delta", &d),
        ]);
        assert!(errors.is_empty());
        assert!(!assembler.is_complete());
        assert!(assembler.error().is_none());
        assert_eq!(assembler.text_parts().collect::<Vec<_>>(), ["partial"]);
        assert_eq!(assembler.text_len(), 7);
        assert_eq!(
            assembler.message().map(|m| m.text()),
            Some("partial".to_owned())
        );
        assert_eq!(assembler.finish().unwrap().stop_reason, None);
    }

    #[test]
    fn finish_without_message_start_is_an_error() {
        let (assembler, _) = assemble(&[("ping", "{}")]);
        assert!(assembler.message().is_none());
        assert_eq!(assembler.text_len(), 0);
        let err = assembler.finish().unwrap_err();
        assert_eq!(err, StreamError::NoMessageStart);
        assert!(err.to_string().contains("no message_start"), "{err}");
    }

    // ---- a realistic recorded stream --------------------------------------

    const RECORDED: &str = concat!(
        "event: message_start\n",
        r#"data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}}}"#,
        "\n\n",
        "event: ping\n",
        r#"data: {"type": "ping"}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants… a greeting."}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":0}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"héllo "}}"#,
        "\n\n",
        ": a comment the proxy added\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"世界 🎉"}}"#,
        "\n\n",
        "event: ping\n",
        r#"data: {"type": "ping"}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"\n\"quoted\" caf\u00e9"}}"#,
        "\n\n",
        "event: annotation_update\n",
        r#"data: {"type":"annotation_update","note":"ignored"}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":1}"#,
        "\n\n",
        "event: content_block_start\n",
        r#"data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Zürich"}}"#,
        "\n\n",
        "event: content_block_delta\n",
        r#"data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\", \"unit\": \"°C\"}"}}"#,
        "\n\n",
        "event: content_block_stop\n",
        r#"data: {"type":"content_block_stop","index":2}"#,
        "\n\n",
        "event: message_delta\n",
        r#"data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
        "\n\n",
        "event: message_stop\n",
        r#"data: {"type":"message_stop"}"#,
        "\n\n",
    );

    fn expected_message() -> MessageResponse {
        MessageResponse {
            id: "msg_01XFDUDYJgAACzvnptvVoYEL".into(),
            kind: "message".into(),
            role: Role::Assistant,
            model: "claude-sonnet-4-5".into(),
            content: vec![
                ContentBlock::Thinking {
                    thinking: "The user wants… a greeting.".into(),
                    signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h".into(),
                },
                ContentBlock::Text {
                    text: "héllo 世界 🎉\n\"quoted\" café".into(),
                    citations: None,
                },
                ContentBlock::ToolUse {
                    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                    name: "get_weather".into(),
                    input: json!({"location": "Zürich", "unit": "°C"}),
                },
            ],
            stop_reason: Some("tool_use".into()),
            stop_sequence: None,
            usage: Usage {
                input_tokens: 472,
                output_tokens: 89,
                cache_creation_input_tokens: Some(0),
                cache_read_input_tokens: Some(0),
                service_tier: None,
            },
        }
    }

    /// Parses, types and assembles a stream fed in the given chunks.
    fn run(chunks: &[&[u8]]) -> (Vec<SseEvent>, Vec<StreamEvent>, MessageAssembler, bool) {
        let (sse_events, parser) = feed_chunks(chunks);
        let mut assembler = MessageAssembler::new();
        let mut typed_events = Vec::new();
        for event in &sse_events {
            let typed = StreamEvent::parse(event).unwrap();
            assembler.apply(&typed).unwrap();
            typed_events.push(typed);
        }
        (sse_events, typed_events, assembler, parser.has_partial())
    }

    fn variants() -> Vec<(&'static str, String)> {
        vec![
            ("LF", RECORDED.to_owned()),
            ("CRLF", RECORDED.replace('\n', "\r\n")),
            ("CR", RECORDED.replace('\n', "\r")),
            (
                "BOM + CRLF",
                format!("\u{FEFF}{}", RECORDED.replace('\n', "\r\n")),
            ),
        ]
    }

    #[test]
    fn recorded_stream_assembles_the_message() {
        let (sse_events, typed_events, assembler, partial) = run(&[RECORDED.as_bytes()]);
        assert!(!partial);
        assert_eq!(sse_events.len(), 20);
        assert_eq!(
            typed_events
                .iter()
                .filter(|e| **e == StreamEvent::Ping)
                .count(),
            2
        );
        assert!(typed_events.contains(&StreamEvent::Unknown {
            event: "annotation_update".into()
        }));
        assert!(assembler.is_complete());
        assert!(assembler.error().is_none());
        let message = assembler.finish().unwrap();
        assert_eq!(message, expected_message());
        assert_eq!(message.text(), "héllo 世界 🎉\n\"quoted\" café");
    }

    #[test]
    fn recorded_stream_survives_every_split() {
        let (want_sse, want_typed, want_asm, _) = run(&[RECORDED.as_bytes()]);
        let want_message = want_asm.finish().unwrap();
        for (name, text) in variants() {
            let bytes = text.as_bytes();
            for cut in 0..=bytes.len() {
                let (head, tail) = bytes.split_at(cut);
                let (sse_events, typed_events, assembler, partial) = run(&[head, tail]);
                assert_eq!(sse_events, want_sse, "{name}: split at {cut}");
                assert_eq!(typed_events, want_typed, "{name}: split at {cut}");
                assert!(
                    assembler.is_complete() && !partial,
                    "{name}: split at {cut}"
                );
                assert_eq!(
                    assembler.finish().unwrap(),
                    want_message,
                    "{name}: split at {cut}"
                );
            }
        }
    }

    #[test]
    fn recorded_stream_survives_random_chunking() {
        let (want_sse, want_typed, want_asm, _) = run(&[RECORDED.as_bytes()]);
        let want_message = want_asm.finish().unwrap();
        for (name, text) in variants() {
            for seed in 0..300 {
                let chunks = random_chunks(text.as_bytes(), seed);
                let (sse_events, typed_events, assembler, partial) = run(&chunks);
                assert_eq!(sse_events, want_sse, "{name}: seed {seed}");
                assert_eq!(typed_events, want_typed, "{name}: seed {seed}");
                assert!(!partial, "{name}: seed {seed}");
                assert_eq!(
                    assembler.finish().unwrap(),
                    want_message,
                    "{name}: seed {seed}"
                );
            }
        }
    }

    #[test]
    fn recorded_stream_with_an_error_mid_way() {
        let cut = RECORDED
            .find("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2")
            .unwrap();
        let text = format!(
            "{}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n{}",
            &RECORDED[..cut],
            &RECORDED[cut..]
        );
        let (_, typed_events, assembler, partial) = run(&[text.as_bytes()]);
        assert!(!partial);
        assert!(
            typed_events
                .iter()
                .any(|e| matches!(e, StreamEvent::Error { .. }))
        );
        assert_eq!(
            assembler.error(),
            Some(&ApiError {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            })
        );
        assert!(
            !assembler.is_complete(),
            "events after the error are ignored"
        );
        let message = assembler.finish().unwrap();
        assert_eq!(
            message.content.len(),
            2,
            "the tool_use block came after the error"
        );
        assert_eq!(message.stop_reason, None);
    }

    #[test]
    fn recorded_stream_cut_mid_event() {
        let cut = RECORDED.find("\"partial_json\":\"{").unwrap();
        let (sse_events, _, assembler, partial) = run(&[&RECORDED.as_bytes()[..cut]]);
        assert!(partial, "cut inside an event");
        assert!(!assembler.is_complete());
        assert_eq!(sse_events.len(), 15);
        assert_eq!(assembler.partial_json(2), Some(""));
        let message = assembler.finish().unwrap();
        assert_eq!(message.content.len(), 3);
        assert_eq!(message.text(), "héllo 世界 🎉\n\"quoted\" café");
    }

    #[test]
    fn recorded_stream_without_message_stop() {
        let cut = RECORDED.find("event: message_stop").unwrap();
        let (_, _, assembler, partial) = run(&[&RECORDED.as_bytes()[..cut]]);
        assert!(!partial, "the cut fell between events");
        assert!(!assembler.is_complete());
        let message = assembler.finish().unwrap();
        assert_eq!(message.stop_reason.as_deref(), Some("tool_use"));
    }
}
