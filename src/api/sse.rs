//! Server-sent events: an incremental parser and the Messages stream
//! assembler. (Being written; see the interface below.)

use serde_json::Value;

use super::types::{ApiError, ContentBlock, MessageResponse, Usage};

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `message` when the server sent none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    pub id: Option<String>,
    pub retry_ms: Option<u64>,
}

/// Incremental SSE parser: feed it chunks split anywhere.
#[derive(Debug, Default)]
pub struct SseParser {}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; every event it completes is appended to `out`.
    pub fn feed(&mut self, _chunk: &[u8], _out: &mut Vec<SseEvent>) {
        todo!()
    }

    /// True when part of an event is buffered (the stream was cut mid-event).
    pub fn has_partial(&self) -> bool {
        todo!()
    }
}

/// `message_delta`'s `delta` object.
#[derive(Debug, Clone, PartialEq, Default)]
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
}

impl StreamEvent {
    pub fn parse(_event: &SseEvent) -> Result<StreamEvent, StreamError> {
        todo!()
    }
}

/// Builds the final message from stream events.
#[derive(Debug, Default)]
pub struct MessageAssembler {}

impl MessageAssembler {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn apply(&mut self, _event: &StreamEvent) -> Result<(), StreamError> {
        todo!()
    }
    pub fn is_complete(&self) -> bool {
        todo!()
    }
    pub fn error(&self) -> Option<&ApiError> {
        todo!()
    }
    pub fn message(&self) -> Option<&MessageResponse> {
        todo!()
    }
    pub fn finish(self) -> Result<MessageResponse, StreamError> {
        todo!()
    }
}

/// Writes one event in wire form: `event: NAME\ndata: DATA\n\n`.
pub fn encode_event(name: &str, data: &str) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}
