//! A token estimate good enough for the embedded server's `usage`,
//! `count_tokens` and "prompt is too long", and for lint's context check.
//!
//! The heuristic, documented so its numbers can be reproduced by hand:
//! - text (system, message text, tool results, thinking, tool names,
//!   descriptions and schemas, tool_use inputs as JSON): one token per 4
//!   characters, rounded up, per piece;
//! - each message: 4 tokens of framing; the request: 3;
//! - tools: 10 tokens of framing each, plus 300 once for the tool-use
//!   system prompt the API adds when any tool is present;
//! - an image: 1,600 tokens (about a 1,100 × 1,100 picture, the size the API
//!   scales larger ones down to);
//! - a base64 PDF: 1,500 tokens per page, a page guessed as 50 KB of base64,
//!   at least one page.
//!
//! Real counts come from the tokenizer (`POST /v1/messages/count_tokens`);
//! this is within a few tens of percent for English prose and code.

use serde_json::{Map, Value};

const CHARS_PER_TOKEN: u64 = 4;
const REQUEST_OVERHEAD: u64 = 3;
const MESSAGE_OVERHEAD: u64 = 4;
const TOOL_OVERHEAD: u64 = 10;
const TOOLS_PROMPT: u64 = 300;
const IMAGE_TOKENS: u64 = 1_600;
const PDF_PAGE_TOKENS: u64 = 1_500;
const PDF_PAGE_BASE64_CHARS: u64 = 50_000;

/// Estimated input tokens of a Messages (or count_tokens) body. Never
/// fails: parts it does not understand count as their JSON text.
pub fn estimate_input_tokens(body: &Value) -> u64 {
    body.as_object().map_or(REQUEST_OVERHEAD, estimate_fields)
}

/// [`estimate_input_tokens`] of a body already known to be an object.
pub(super) fn estimate_fields(body: &Map<String, Value>) -> u64 {
    let system = body.get("system").map_or(0, content_tokens);
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |messages| {
            messages
                .iter()
                .map(|m| MESSAGE_OVERHEAD + m.get("content").map_or(0, content_tokens))
                .sum()
        });
    let tools = body
        .get("tools")
        .and_then(Value::as_array)
        .filter(|tools| !tools.is_empty())
        .map_or(0, |tools| {
            TOOLS_PROMPT + tools.iter().map(tool_tokens).sum::<u64>()
        });
    REQUEST_OVERHEAD + system + messages + tools
}

fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(CHARS_PER_TOKEN)
}

fn json_tokens(value: &Value) -> u64 {
    text_tokens(&value.to_string())
}

/// A string, a list of blocks, or one block.
fn content_tokens(content: &Value) -> u64 {
    match content {
        Value::String(text) => text_tokens(text),
        Value::Array(blocks) => blocks.iter().map(block_tokens).sum(),
        Value::Null => 0,
        other => block_tokens(other),
    }
}

fn block_tokens(block: &Value) -> u64 {
    let field = |name: &str| {
        block
            .get(name)
            .and_then(Value::as_str)
            .map_or(0, text_tokens)
    };
    match block.get("type").and_then(Value::as_str) {
        Some("text") => field("text"),
        Some("thinking") => field("thinking"),
        Some("redacted_thinking") => 0,
        Some("image") => IMAGE_TOKENS,
        Some("document") => document_tokens(block),
        Some("tool_use" | "server_tool_use") => {
            field("name") + block.get("input").map_or(0, json_tokens)
        }
        Some("tool_result") => block.get("content").map_or(0, content_tokens),
        _ => json_tokens(block),
    }
}

fn document_tokens(block: &Value) -> u64 {
    let Some(source) = block.get("source") else {
        return 0;
    };
    let data = source.get("data");
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let chars = data.and_then(Value::as_str).map_or(0, str::len) as u64;
            chars.div_ceil(PDF_PAGE_BASE64_CHARS).max(1) * PDF_PAGE_TOKENS
        }
        Some("text") => data.and_then(Value::as_str).map_or(0, text_tokens),
        Some("content") => source.get("content").map_or(0, content_tokens),
        _ => PDF_PAGE_TOKENS,
    }
}

fn tool_tokens(tool: &Value) -> u64 {
    let field = |name: &str| {
        tool.get(name).map_or(0, |v| match v {
            Value::String(s) => text_tokens(s),
            other => json_tokens(other),
        })
    };
    TOOL_OVERHEAD + field("name") + field("description") + field("input_schema")
}
