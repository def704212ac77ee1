//! serde types for the Messages API wire format.
//!
//! Request bodies are sent to the wire exactly as the user wrote them, so the
//! engine never re-serialises a [`MessagesRequest`]; the typed form is for the
//! embedded server (after validation) and for building sample requests.
//! Unknown content-block and delta types are kept as raw JSON rather than
//! dropped, because the API grows new block types faster than any client.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub max_tokens: u64,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPrompt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
}

/// `system` is either a plain string or a list of text blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SystemPrompt {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: MessageContent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// A mid-conversation system message (newer models accept them).
    System,
}

/// Message content: the shorthand string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

impl MessageContent {
    /// All plain text in the content, blocks joined by newlines.
    pub fn text(&self) -> String {
        match self {
            MessageContent::Text(text) => text.clone(),
            MessageContent::Blocks(blocks) => blocks
                .iter()
                .filter_map(ContentBlock::as_text)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    pub fn blocks(&self) -> Vec<ContentBlock> {
        match self {
            MessageContent::Text(text) => vec![ContentBlock::Text {
                text: text.clone(),
                citations: None,
            }],
            MessageContent::Blocks(blocks) => blocks.clone(),
        }
    }
}

/// One content block. Block types this tool does not model are kept whole
/// in [`ContentBlock::Other`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum ContentBlock {
    Text {
        text: String,
        citations: Option<Value>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: Option<Value>,
        is_error: Option<bool>,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    /// Any other block (`image`, `document`, server tool blocks, …), verbatim.
    Other(Value),
}

impl ContentBlock {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentBlock::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The block's `type` string as it appears on the wire.
    pub fn type_name(&self) -> &str {
        match self {
            ContentBlock::Text { .. } => "text",
            ContentBlock::ToolUse { .. } => "tool_use",
            ContentBlock::ToolResult { .. } => "tool_result",
            ContentBlock::Thinking { .. } => "thinking",
            ContentBlock::RedactedThinking { .. } => "redacted_thinking",
            ContentBlock::Other(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// Why a content block could not be read.
#[derive(Debug, thiserror::Error)]
#[error("content block: {0}")]
pub struct ContentBlockError(String);

fn take_string(
    map: &mut serde_json::Map<String, Value>,
    key: &str,
) -> Result<String, ContentBlockError> {
    match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ContentBlockError(format!("`{key}` should be a string"))),
        None => Err(ContentBlockError(format!("`{key}` is missing"))),
    }
}

impl TryFrom<Value> for ContentBlock {
    type Error = ContentBlockError;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        let Value::Object(mut map) = value else {
            return Err(ContentBlockError("should be an object".into()));
        };
        let kind = map
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let block = match kind.as_str() {
            "text" => ContentBlock::Text {
                text: take_string(&mut map, "text")?,
                citations: map.remove("citations").filter(|c| !c.is_null()),
            },
            "tool_use" => ContentBlock::ToolUse {
                id: take_string(&mut map, "id")?,
                name: take_string(&mut map, "name")?,
                input: map
                    .remove("input")
                    .unwrap_or(Value::Object(Default::default())),
            },
            "tool_result" => ContentBlock::ToolResult {
                tool_use_id: take_string(&mut map, "tool_use_id")?,
                content: map.remove("content"),
                is_error: map.remove("is_error").and_then(|v| v.as_bool()),
            },
            "thinking" => ContentBlock::Thinking {
                thinking: take_string(&mut map, "thinking")?,
                signature: take_string(&mut map, "signature").unwrap_or_default(),
            },
            "redacted_thinking" => ContentBlock::RedactedThinking {
                data: take_string(&mut map, "data")?,
            },
            "" => return Err(ContentBlockError("`type` is missing".into())),
            _ => ContentBlock::Other(Value::Object(map)),
        };
        Ok(block)
    }
}

impl From<ContentBlock> for Value {
    fn from(block: ContentBlock) -> Value {
        let mut map = serde_json::Map::new();
        let kind = block.type_name().to_owned();
        match block {
            ContentBlock::Other(value) => return value,
            ContentBlock::Text { text, citations } => {
                map.insert("type".into(), kind.into());
                map.insert("text".into(), text.into());
                if let Some(citations) = citations {
                    map.insert("citations".into(), citations);
                }
            }
            ContentBlock::ToolUse { id, name, input } => {
                map.insert("type".into(), kind.into());
                map.insert("id".into(), id.into());
                map.insert("name".into(), name.into());
                map.insert("input".into(), input);
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                map.insert("type".into(), kind.into());
                map.insert("tool_use_id".into(), tool_use_id.into());
                if let Some(content) = content {
                    map.insert("content".into(), content);
                }
                if let Some(is_error) = is_error {
                    map.insert("is_error".into(), is_error.into());
                }
            }
            ContentBlock::Thinking {
                thinking,
                signature,
            } => {
                map.insert("type".into(), kind.into());
                map.insert("thinking".into(), thinking.into());
                map.insert("signature".into(), signature.into());
            }
            ContentBlock::RedactedThinking { data } => {
                map.insert("type".into(), kind.into());
                map.insert("data".into(), data.into());
            }
        }
        Value::Object(map)
    }
}

/// A complete (non-streaming, or assembled from a stream) Messages response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    pub id: String,
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    pub role: Role,
    pub model: String,
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: Usage,
}

fn message_type() -> String {
    "message".into()
}

impl MessageResponse {
    /// All text blocks joined, as a reader would want to see the answer.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(ContentBlock::as_text)
            .collect::<Vec<_>>()
            .join("")
    }
}

/// Token usage. The cache fields are absent on older responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
}

/// `POST /v1/messages/count_tokens` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTokensResponse {
    pub input_tokens: u64,
}

/// One entry of `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    #[serde(rename = "type", default = "model_type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub created_at: String,
}

fn model_type() -> String {
    "model".into()
}

/// `GET /v1/models` page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    pub data: Vec<ModelInfo>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub first_id: Option<String>,
    #[serde(default)]
    pub last_id: Option<String>,
}

/// The error envelope every API error answers with:
/// `{"type":"error","error":{"type":…,"message":…},"request_id":"req_…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    #[serde(rename = "type", default = "error_type")]
    pub kind: String,
    pub error: ApiError,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

fn error_type() -> String {
    "error".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

impl ErrorEnvelope {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            kind: error_type(),
            error: ApiError {
                kind: kind.to_owned(),
                message: message.into(),
            },
            request_id: None,
        }
    }

    /// Parses an error body; `None` when the body is not the envelope (for
    /// example a proxy's HTML block page).
    pub fn parse(body: &str) -> Option<Self> {
        serde_json::from_str::<ErrorEnvelope>(body)
            .ok()
            .filter(|e| e.kind == "error")
    }
}

/// One HTTP header as it went over the wire (names keep their case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// First value of a header, matched case-insensitively as HTTP requires.
pub fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Every value of a header, in the order sent.
pub fn header_values<'a>(headers: &'a [Header], name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_blocks_round_trip_including_unknown_types() {
        let blocks = json!([
            {"type": "text", "text": "hi"},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "redacted_thinking", "data": "abc"},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
        ]);
        let parsed: Vec<ContentBlock> = serde_json::from_value(blocks.clone()).unwrap();
        assert_eq!(parsed[1].type_name(), "tool_use");
        assert_eq!(parsed[5].type_name(), "image");
        assert!(matches!(parsed[5], ContentBlock::Other(_)));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), blocks);
    }

    #[test]
    fn content_block_without_type_is_an_error() {
        let err = serde_json::from_value::<ContentBlock>(json!({"text": "x"})).unwrap_err();
        assert!(err.to_string().contains("`type` is missing"), "{err}");
    }

    #[test]
    fn request_accepts_string_and_block_content() {
        let req: MessagesRequest = serde_json::from_value(json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 64,
            "system": [{"type": "text", "text": "be brief"}],
            "messages": [
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]}
            ]
        }))
        .unwrap();
        assert_eq!(req.messages[0].content.text(), "Hello");
        assert_eq!(req.messages[1].content.text(), "Hi");
        assert!(matches!(req.system, Some(SystemPrompt::Blocks(_))));
    }

    #[test]
    fn error_envelope_parses_and_rejects_non_envelopes() {
        let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_1"}"#;
        let env = ErrorEnvelope::parse(body).unwrap();
        assert_eq!(env.error.kind, "rate_limit_error");
        assert_eq!(env.request_id.as_deref(), Some("req_1"));
        assert!(ErrorEnvelope::parse("<html>blocked</html>").is_none());
        assert!(ErrorEnvelope::parse(r#"{"type":"message"}"#).is_none());
    }
}
