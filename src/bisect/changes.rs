//! The simplifications bisect may apply to a failing request, and how a
//! set of them turns the request into a candidate. Pure: no I/O.
//!
//! Every change is atomic and names its target by its place in the
//! *original* request, so any subset of changes can be applied together in
//! one pass and gives the same candidate whatever the order: that is what
//! delta debugging needs. Aggregates ("remove every tool") are not changes
//! of their own: they are the set of the single ones.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::types::Header;
use crate::config::DEFAULT_ANTHROPIC_VERSION;
use crate::store::redact::is_secret_header;
use crate::store::redact::looks_secret;

use super::request::{BETA_HEADER, BisectRequest, VERSION_HEADER, split_betas};

/// A text longer than this many characters is offered for shortening.
pub const SHORTEN_ABOVE_CHARS: usize = 1000;
/// What a shortened text keeps.
pub const SHORTENED_CHARS: usize = 200;

/// Top-level fields a Messages request cannot do without.
const REQUIRED_FIELDS: [&str; 3] = ["model", "max_tokens", "messages"];

/// Headers that are never removed: the body's type, and those handled by
/// a change of their own (`anthropic-beta` value by value, the version
/// reset rather than removed) or computed by the client.
const KEPT_HEADERS: [&str; 5] = [
    "content-type",
    VERSION_HEADER,
    BETA_HEADER,
    "content-length",
    "host",
];

/// Content block types that are kept: text is what a simplest request
/// holds, and a tool call without its result (or the reverse) is invalid,
/// so those go with whole turns instead.
const KEPT_BLOCKS: [&str; 3] = ["text", "tool_use", "tool_result"];

/// One simplification of the original request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Drop one value of the `anthropic-beta` header.
    RemoveBeta { value: String },
    /// Drop a header (never the credential).
    RemoveHeader { name: String },
    /// Send the default `anthropic-version` instead.
    ResetVersion { from: Option<String>, to: String },
    /// Drop the query string of the path (`?beta=true`).
    DropQuery { query: String },
    /// Drop an optional top-level field.
    RemoveField { name: String },
    /// Drop one tool definition (and a `tool_choice` naming it).
    RemoveTool { index: usize, name: String },
    /// Drop messages `first..=last`: a user turn and the assistant turn
    /// after it (or a final assistant prefill alone), so the rest still
    /// alternates and starts with the user.
    DropTurns { first: usize, last: usize },
    /// Drop a non-text content block.
    RemoveBlock {
        message: usize,
        block: usize,
        kind: String,
    },
    /// Cut every long text of a message to [`SHORTENED_CHARS`].
    ShortenText { message: usize, chars: usize },
    /// Drop every `cache_control` marker.
    StripCacheControl { markers: usize },
    /// Set `"stream": false`.
    StreamOff,
    /// Send a small `max_tokens` (tried once, before the search: it is
    /// also how bisect keeps the cost of its candidates down).
    LowerMaxTokens { from: u64, to: u64 },
}

impl Change {
    /// What the change does, as an imperative (`remove the anthropic-beta
    /// value `x``).
    pub fn action(&self) -> String {
        match self {
            Change::RemoveBeta { value } => format!("remove the anthropic-beta value `{value}`"),
            Change::RemoveHeader { name } => format!("remove the header `{name}`"),
            Change::ResetVersion { from, to } => match from {
                Some(from) => format!("change anthropic-version from `{from}` to `{to}`"),
                None => format!("send anthropic-version `{to}`"),
            },
            Change::DropQuery { query } => format!("drop the query `?{query}`"),
            Change::RemoveField { name } => format!("remove the field `{name}`"),
            Change::RemoveTool { index, name } => {
                format!("remove the tool `{name}` (tools.{index})")
            }
            Change::DropTurns { first, last } => format!("drop {}", message_range(*first, *last)),
            Change::RemoveBlock {
                message,
                block,
                kind,
            } => format!("remove the {kind} block messages.{message}.content.{block}"),
            Change::ShortenText { message, chars } => format!(
                "shorten the text of messages.{message} ({chars} characters) to {SHORTENED_CHARS}"
            ),
            Change::StripCacheControl { markers } => {
                format!("remove cache_control ({markers} marker(s))")
            }
            Change::StreamOff => "set stream to false".into(),
            Change::LowerMaxTokens { from, to } => format!("lower max_tokens from {from} to {to}"),
        }
    }

    /// A few words, for progress lines (`beta `x``, `field `system``).
    pub fn short(&self) -> String {
        match self {
            Change::RemoveBeta { value } => format!("beta `{value}`"),
            Change::RemoveHeader { name } => format!("header `{name}`"),
            Change::ResetVersion { to, .. } => format!("version {to}"),
            Change::DropQuery { .. } => "query".into(),
            Change::RemoveField { name } => format!("field `{name}`"),
            Change::RemoveTool { name, .. } => format!("tool `{name}`"),
            Change::DropTurns { first, last } => message_range(*first, *last),
            Change::RemoveBlock { message, block, .. } => {
                format!("block messages.{message}.content.{block}")
            }
            Change::ShortenText { message, .. } => format!("shorter messages.{message}"),
            Change::StripCacheControl { .. } => "cache_control".into(),
            Change::StreamOff => "stream false".into(),
            Change::LowerMaxTokens { to, .. } => format!("max_tokens {to}"),
        }
    }

    /// The thing that fails the request when this change alone makes it
    /// pass (`the anthropic-beta value `x``).
    pub fn culprit(&self) -> String {
        match self {
            Change::RemoveBeta { value } => format!("the anthropic-beta value `{value}`"),
            Change::RemoveHeader { name } => format!("the header `{name}`"),
            Change::ResetVersion { from, .. } => match from {
                Some(from) => format!("the anthropic-version `{from}`"),
                None => "the missing anthropic-version header".into(),
            },
            Change::DropQuery { query } => format!("the query `?{query}` on the path"),
            Change::RemoveField { name } => format!("the field `{name}`"),
            Change::RemoveTool { index, name } => format!("the tool `{name}` (tools.{index})"),
            Change::DropTurns { first, last } => message_range(*first, *last),
            Change::RemoveBlock {
                message,
                block,
                kind,
            } => format!("the {kind} block messages.{message}.content.{block}"),
            Change::ShortenText { message, chars } => {
                format!("the length of messages.{message} ({chars} characters)")
            }
            Change::StripCacheControl { .. } => "the cache_control markers".into(),
            Change::StreamOff => "streaming (`stream: true`)".into(),
            Change::LowerMaxTokens { from, .. } => format!("max_tokens {from}"),
        }
    }

    /// "Fails because of X: …" — how the request succeeds without X.
    pub fn headline(&self) -> String {
        let culprit = self.culprit();
        match self {
            Change::ResetVersion { to, .. } => {
                format!("fails because of {culprit}: with `{to}` the request succeeds")
            }
            Change::ShortenText { .. } => format!(
                "fails because of {culprit}: shortened to {SHORTENED_CHARS} characters, the request succeeds"
            ),
            Change::StreamOff => {
                format!("fails because of {culprit}: with `stream: false` the request succeeds")
            }
            Change::LowerMaxTokens { to, .. } => {
                format!("fails because of {culprit}: with max_tokens {to} the request succeeds")
            }
            _ => format!("fails because of {culprit}: without it the request succeeds"),
        }
    }

    /// What to do about it, in one line.
    pub fn fix(&self) -> &'static str {
        match self {
            Change::RemoveBeta { .. } => {
                "the server (or a gateway in front of it) does not accept this beta: stop sending it (profile anthropic_beta, ANTHROPIC_CUSTOM_HEADERS or the app's settings), or ask the gateway's operator to allow it"
            }
            Change::RemoveHeader { .. } => {
                "stop sending this header, or ask the gateway's operator why it refuses it"
            }
            Change::ResetVersion { .. } => {
                "send an anthropic-version the server knows (2023-06-01 is the long-standing value)"
            }
            Change::DropQuery { .. } => {
                "the server does not accept the query string: call the path without it, or ask the gateway's operator to accept it"
            }
            Change::RemoveField { .. } => {
                "stop sending this field, or check that the server (or the gateway in front of it) supports it"
            }
            Change::RemoveTool { .. } => {
                "check this tool's definition (name, input_schema, server tool type) against what the server supports"
            }
            Change::DropTurns { .. } | Change::RemoveBlock { .. } => {
                "look at these messages: `claudetui lint` on the body explains most content problems"
            }
            Change::ShortenText { .. } => {
                "the request is too large for the server or the model's context window: send less text"
            }
            Change::StripCacheControl { .. } => {
                "the server does not accept prompt caching markers as sent: drop them or check their ttl and count"
            }
            Change::StreamOff => {
                "the streaming path fails: a proxy or gateway that buffers or cuts server-sent events is the usual cause"
            }
            Change::LowerMaxTokens { .. } => {
                "lower max_tokens to the model's output limit (or what the server allows)"
            }
        }
    }
}

fn message_range(first: usize, last: usize) -> String {
    if first == last {
        format!("messages.{first}")
    } else {
        format!("messages.{first}–{last}")
    }
}

/// Every simplification worth trying on `request`, in the order they are
/// tried: headers, the query, top-level fields, tools, turns, content
/// blocks, long texts, cache_control, streaming.
pub fn candidates(request: &BisectRequest) -> Vec<Change> {
    let mut changes: Vec<Change> = request
        .betas()
        .into_iter()
        .map(|value| Change::RemoveBeta { value })
        .collect();
    changes.extend(removable_headers(&request.headers));
    let version = request.header(VERSION_HEADER).map(str::to_owned);
    if version.as_deref().map(str::trim) != Some(DEFAULT_ANTHROPIC_VERSION) {
        changes.push(Change::ResetVersion {
            from: version,
            to: DEFAULT_ANTHROPIC_VERSION.into(),
        });
    }
    if let Some((_, query)) = request.path.split_once('?') {
        changes.push(Change::DropQuery {
            query: query.to_owned(),
        });
    }
    if let Some(body) = request.body.as_object() {
        changes.extend(body_changes(body));
    }
    changes
}

fn removable_headers(headers: &[Header]) -> Vec<Change> {
    let mut seen = HashSet::new();
    headers
        .iter()
        .map(|h| h.name.to_ascii_lowercase())
        .filter(|name| {
            !KEPT_HEADERS.contains(&name.as_str()) && !is_secret_header(name) && !looks_secret(name)
        })
        .filter(|name| seen.insert(name.clone()))
        .map(|name| Change::RemoveHeader { name })
        .collect()
}

fn body_changes(body: &Map<String, Value>) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, value) in body {
        match name.as_str() {
            n if REQUIRED_FIELDS.contains(&n) => {}
            "stream" => {}
            "tools" if value.as_array().is_some_and(|t| !t.is_empty()) => {}
            _ => changes.push(Change::RemoveField { name: name.clone() }),
        }
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        changes.extend(tools.iter().enumerate().map(|(index, tool)| {
            let name = tool
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)");
            Change::RemoveTool {
                index,
                name: name.to_owned(),
            }
        }));
    }
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    changes.extend(turn_drops(messages));
    changes.extend(block_removals(messages));
    changes.extend(shortenings(messages));
    let markers = count_cache_control(&Value::Object(body.clone()));
    if markers > 0 {
        changes.push(Change::StripCacheControl { markers });
    }
    if body.get("stream") == Some(&Value::Bool(true)) {
        changes.push(Change::StreamOff);
    }
    changes
}

/// Runs of consecutive messages with the same role: `(role, first, last)`.
fn role_runs(messages: &[Value]) -> Vec<(&str, usize, usize)> {
    let mut runs: Vec<(&str, usize, usize)> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        match runs.last_mut() {
            Some(run) if run.0 == role => run.2 = i,
            _ => runs.push((role, i, i)),
        }
    }
    runs
}

/// Earlier turns, and a final assistant prefill. A turn starts at a user
/// message that is not a tool result and runs to the next such message,
/// so a tool call and its result are always dropped together; the turn
/// holding the last user message always stays. Conversations that do not
/// alternate user/assistant from a user turn are left alone.
fn turn_drops(messages: &[Value]) -> Vec<Change> {
    let runs = role_runs(messages);
    let alternates = runs.first().is_some_and(|r| r.0 == "user")
        && runs.iter().all(|r| matches!(r.0, "user" | "assistant"));
    if !alternates {
        return Vec::new();
    }
    let Some(last_user) = runs.iter().rposition(|r| r.0 == "user") else {
        return Vec::new();
    };
    let starts: Vec<usize> = (0..runs.len())
        .filter(|&i| {
            i == 0 || (runs[i].0 == "user" && !holds_tool_results(&messages[runs[i].1..=runs[i].2]))
        })
        .collect();
    let mut changes: Vec<Change> = starts
        .windows(2)
        .filter(|w| w[1] <= last_user)
        .map(|w| Change::DropTurns {
            first: runs[w[0]].1,
            last: runs[w[1] - 1].2,
        })
        .collect();
    if let Some(prefill) = runs.get(last_user + 1) {
        changes.push(Change::DropTurns {
            first: prefill.1,
            last: prefill.2,
        });
    }
    changes
}

fn holds_tool_results(messages: &[Value]) -> bool {
    messages.iter().any(|m| {
        m.get("content")
            .and_then(Value::as_array)
            .is_some_and(|blocks| {
                blocks
                    .iter()
                    .any(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
            })
    })
}

fn block_removals(messages: &[Value]) -> Vec<Change> {
    let mut changes = Vec::new();
    for (message, value) in messages.iter().enumerate() {
        let Some(blocks) = value.get("content").and_then(Value::as_array) else {
            continue;
        };
        // Only where something stays: a message emptied of its blocks is
        // not a simpler request but a broken one.
        let kept =
            |b: &Value| KEPT_BLOCKS.contains(&b.get("type").and_then(Value::as_str).unwrap_or(""));
        if !blocks.iter().any(kept) {
            continue;
        }
        for (block, content) in blocks.iter().enumerate() {
            let kind = content
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("untyped");
            if !KEPT_BLOCKS.contains(&kind) {
                changes.push(Change::RemoveBlock {
                    message,
                    block,
                    kind: kind.to_owned(),
                });
            }
        }
    }
    changes
}

fn shortenings(messages: &[Value]) -> Vec<Change> {
    messages
        .iter()
        .enumerate()
        .filter_map(|(message, value)| {
            let chars = longest_text(value.get("content")?);
            (chars > SHORTEN_ABOVE_CHARS).then_some(Change::ShortenText { message, chars })
        })
        .collect()
}

/// The longest text (a string content or a text block) of a content.
fn longest_text(content: &Value) -> usize {
    match content {
        Value::String(text) => text.chars().count(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

fn count_cache_control(value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            usize::from(map.contains_key("cache_control"))
                + map.values().map(count_cache_control).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(count_cache_control).sum(),
        _ => 0,
    }
}

fn strip_cache_control(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.shift_remove("cache_control");
            map.values_mut().for_each(strip_cache_control);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_cache_control),
        _ => {}
    }
}

/// The candidate made by applying `changes` (any subset, any order) to
/// `base`.
pub fn apply(base: &BisectRequest, changes: &[&Change]) -> BisectRequest {
    let mut request = base.clone();
    apply_headers(&mut request, changes);
    if changes
        .iter()
        .any(|c| matches!(c, Change::DropQuery { .. }))
    {
        request.path = request.endpoint().to_owned();
    }
    if let Some(body) = request.body.as_object_mut() {
        apply_body(body, changes);
    }
    request
}

fn apply_headers(request: &mut BisectRequest, changes: &[&Change]) {
    let mut betas = HashSet::new();
    let mut removed = HashSet::new();
    for change in changes {
        match change {
            Change::RemoveBeta { value } => {
                betas.insert(value.as_str());
            }
            Change::RemoveHeader { name } => {
                removed.insert(name.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    let mut headers = Vec::with_capacity(request.headers.len());
    for header in &request.headers {
        let name = header.name.to_ascii_lowercase();
        if removed.contains(&name) {
            continue;
        }
        if name == BETA_HEADER && !betas.is_empty() {
            let kept: Vec<String> = split_betas(&header.value)
                .into_iter()
                .filter(|v| !betas.contains(v.as_str()))
                .collect();
            if !kept.is_empty() {
                headers.push(Header::new(header.name.clone(), kept.join(",")));
            }
            continue;
        }
        headers.push(header.clone());
    }
    for change in changes {
        if let Change::ResetVersion { to, .. } = change {
            headers.retain(|h| !h.name.eq_ignore_ascii_case(VERSION_HEADER));
            headers.push(Header::new(VERSION_HEADER, to.clone()));
        }
    }
    request.headers = headers;
}

fn apply_body(body: &mut Map<String, Value>, changes: &[&Change]) {
    // Content first, while message and block numbers are still the
    // original ones; then whole messages, tools and fields.
    if let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) {
        apply_content(messages, changes);
        let dropped = |i: usize| {
            changes.iter().any(
                |c| matches!(c, Change::DropTurns { first, last } if (*first..=*last).contains(&i)),
            )
        };
        let kept: Vec<Value> = std::mem::take(messages)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !dropped(*i))
            .map(|(_, m)| m)
            .collect();
        *messages = kept;
    }
    if changes
        .iter()
        .any(|c| matches!(c, Change::StripCacheControl { .. }))
    {
        body.values_mut().for_each(strip_cache_control);
    }
    apply_tools(body, changes);
    for change in changes {
        match change {
            Change::RemoveField { name } => {
                body.shift_remove(name);
            }
            Change::StreamOff => {
                body.insert("stream".into(), Value::Bool(false));
            }
            Change::LowerMaxTokens { to, .. } => {
                body.insert("max_tokens".into(), Value::from(*to));
            }
            _ => {}
        }
    }
}

fn apply_content(messages: &mut [Value], changes: &[&Change]) {
    for change in changes {
        if let Change::ShortenText { message, .. } = change
            && let Some(content) = messages
                .get_mut(*message)
                .and_then(|m| m.get_mut("content"))
        {
            shorten(content);
        }
    }
    for (index, message) in messages.iter_mut().enumerate() {
        let removed: HashSet<usize> = changes
            .iter()
            .filter_map(|c| match c {
                Change::RemoveBlock { message, block, .. } if *message == index => Some(*block),
                _ => None,
            })
            .collect();
        if removed.is_empty() {
            continue;
        }
        if let Some(blocks) = message.get_mut("content").and_then(Value::as_array_mut) {
            let kept: Vec<Value> = std::mem::take(blocks)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !removed.contains(i))
                .map(|(_, b)| b)
                .collect();
            *blocks = kept;
        }
    }
}

fn shorten(content: &mut Value) {
    let cut = |text: &str| -> String { text.chars().take(SHORTENED_CHARS).collect() };
    match content {
        Value::String(text) if text.chars().count() > SHORTEN_ABOVE_CHARS => *text = cut(text),
        Value::Array(blocks) => {
            for block in blocks {
                if let Some(Value::String(text)) = block.get_mut("text")
                    && text.chars().count() > SHORTEN_ABOVE_CHARS
                {
                    *text = cut(text);
                }
            }
        }
        _ => {}
    }
}

/// Drops the chosen tools; a `tool_choice` naming a dropped tool goes too,
/// and with the last tool both fields go, so the candidate stays valid.
fn apply_tools(body: &mut Map<String, Value>, changes: &[&Change]) {
    let removed: HashSet<usize> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RemoveTool { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    if removed.is_empty() {
        return;
    }
    let Some(tools) = body.get_mut("tools").and_then(Value::as_array_mut) else {
        return;
    };
    let mut dropped_names = Vec::new();
    let kept: Vec<Value> = std::mem::take(tools)
        .into_iter()
        .enumerate()
        .filter_map(|(i, tool)| {
            if removed.contains(&i) {
                dropped_names.extend(tool.get("name").and_then(Value::as_str).map(str::to_owned));
                None
            } else {
                Some(tool)
            }
        })
        .collect();
    let none_left = kept.is_empty();
    *tools = kept;
    let chosen = body
        .get("tool_choice")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if none_left {
        body.shift_remove("tools");
        body.shift_remove("tool_choice");
    } else if chosen.is_some_and(|name| dropped_names.contains(&name)) {
        body.shift_remove("tool_choice");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(headers: &[(&str, &str)], path: &str, body: Value) -> BisectRequest {
        BisectRequest {
            method: "POST".into(),
            path: path.into(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            body,
        }
    }

    fn app_request() -> BisectRequest {
        request(
            &[
                ("content-type", "application/json"),
                ("anthropic-version", "2026-10-21"),
                ("anthropic-beta", "a-1,files-api-2025-04-14, c-3"),
                ("x-stainless-lang", "js"),
                ("x-gateway-token", "secret-value-123456"),
                ("user-agent", "app/1.0"),
            ],
            "/v1/messages?beta=true",
            json!({
                "model": "claude-sonnet-4-6",
                "max_tokens": 1024,
                "stream": true,
                "service_tier": "auto",
                "system": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
                "tools": [
                    {"name": "get_weather", "input_schema": {"type": "object"}},
                    {"name": "get_time", "input_schema": {"type": "object"}}
                ],
                "tool_choice": {"type": "tool", "name": "get_time"},
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"},
                    {"role": "user", "content": [
                        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                        {"type": "text", "text": "x".repeat(1500)}
                    ]}
                ]
            }),
        )
    }

    fn actions(changes: &[Change]) -> Vec<String> {
        changes.iter().map(Change::action).collect()
    }

    #[test]
    fn candidates_cover_headers_fields_tools_turns_blocks_and_stream_in_order() {
        let changes = candidates(&app_request());
        assert_eq!(
            actions(&changes),
            [
                "remove the anthropic-beta value `a-1`",
                "remove the anthropic-beta value `files-api-2025-04-14`",
                "remove the anthropic-beta value `c-3`",
                "remove the header `x-stainless-lang`",
                "remove the header `user-agent`",
                "change anthropic-version from `2026-10-21` to `2023-06-01`",
                "drop the query `?beta=true`",
                "remove the field `service_tier`",
                "remove the field `system`",
                "remove the field `tool_choice`",
                "remove the tool `get_weather` (tools.0)",
                "remove the tool `get_time` (tools.1)",
                "drop messages.0–1",
                "remove the image block messages.2.content.0",
                "shorten the text of messages.2 (1500 characters) to 200",
                "remove cache_control (1 marker(s))",
                "set stream to false",
            ]
        );
    }

    #[test]
    fn the_credential_and_secret_looking_headers_are_never_candidates() {
        let req = request(
            &[
                ("x-api-key", "k"),
                ("authorization", "Bearer k"),
                ("x-portkey-api-key", "k"),
                ("content-type", "application/json"),
                ("anthropic-version", "2023-06-01"),
            ],
            "/v1/messages",
            json!({"model": "m", "max_tokens": 1, "messages": []}),
        );
        assert!(candidates(&req).is_empty(), "{:?}", candidates(&req));
    }

    #[test]
    fn a_missing_version_is_set_rather_than_left_out() {
        let req = request(&[], "/v1/messages", json!({}));
        assert_eq!(
            candidates(&req),
            [Change::ResetVersion {
                from: None,
                to: "2023-06-01".into()
            }]
        );
        let applied = apply(&req, &[&candidates(&req)[0]]);
        assert_eq!(applied.header("anthropic-version"), Some("2023-06-01"));
    }

    #[test]
    fn applying_every_change_leaves_the_simplest_request() {
        let base = app_request();
        let changes = candidates(&base);
        let all: Vec<&Change> = changes.iter().collect();
        let simplest = apply(&base, &all);
        assert_eq!(simplest.path, "/v1/messages");
        let names: Vec<&str> = simplest.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "x-gateway-token", "anthropic-version"]
        );
        assert_eq!(simplest.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(
            simplest.body,
            json!({
                "model": "claude-sonnet-4-6",
                "max_tokens": 1024,
                "stream": false,
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "x".repeat(200)}]}
                ]
            })
        );
    }

    #[test]
    fn changes_compose_in_any_order() {
        let base = app_request();
        let changes = candidates(&base);
        let forward: Vec<&Change> = changes.iter().step_by(2).collect();
        let backward: Vec<&Change> = forward.iter().rev().copied().collect();
        assert_eq!(apply(&base, &forward), apply(&base, &backward));
        assert_eq!(apply(&base, &[]), base);
    }

    #[test]
    fn one_beta_value_goes_and_the_others_stay() {
        let base = app_request();
        let change = Change::RemoveBeta {
            value: "files-api-2025-04-14".into(),
        };
        let applied = apply(&base, &[&change]);
        assert_eq!(applied.header("anthropic-beta"), Some("a-1,c-3"));
        assert_eq!(applied.body, base.body);
    }

    #[test]
    fn removing_a_field_keeps_the_order_of_the_others() {
        let base = app_request();
        let change = Change::RemoveField {
            name: "service_tier".into(),
        };
        let keys: Vec<String> = apply(&base, &[&change])
            .body
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            [
                "model",
                "max_tokens",
                "stream",
                "system",
                "tools",
                "tool_choice",
                "messages"
            ]
        );
    }

    #[test]
    fn removing_the_chosen_tool_removes_tool_choice_too() {
        let base = app_request();
        let time = Change::RemoveTool {
            index: 1,
            name: "get_time".into(),
        };
        let weather = Change::RemoveTool {
            index: 0,
            name: "get_weather".into(),
        };
        let without_time = apply(&base, &[&time]);
        assert!(without_time.body.get("tool_choice").is_none());
        assert_eq!(without_time.body["tools"].as_array().unwrap().len(), 1);
        let without_weather = apply(&base, &[&weather]);
        assert_eq!(without_weather.body["tool_choice"]["name"], "get_time");
        let without_both = apply(&base, &[&weather, &time]);
        assert!(without_both.body.get("tools").is_none());
    }

    #[test]
    fn turn_drops_keep_the_conversation_alternating() {
        let conversation = json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
            {"role": "user", "content": "c2"},
            {"role": "assistant", "content": "d"},
            {"role": "user", "content": "e"},
            {"role": "assistant", "content": "prefill"}
        ]});
        let base = request(&[], "/v1/messages", conversation);
        let drops: Vec<Change> = candidates(&base)
            .into_iter()
            .filter(|c| matches!(c, Change::DropTurns { .. }))
            .collect();
        assert_eq!(
            drops,
            [
                Change::DropTurns { first: 0, last: 1 },
                Change::DropTurns { first: 2, last: 4 },
                Change::DropTurns { first: 6, last: 6 },
            ]
        );
        let all: Vec<&Change> = drops.iter().collect();
        assert_eq!(
            apply(&base, &all).body["messages"],
            json!([{"role": "user", "content": "e"}])
        );
        let second: Vec<&Change> = vec![&drops[1]];
        let roles: Vec<String> = apply(&base, &second).body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    }

    #[test]
    fn a_tool_call_and_its_result_are_dropped_together() {
        let tool_use = json!({"type": "tool_use", "id": "t1", "name": "f", "input": {}});
        let tool_result = json!({"type": "tool_result", "tool_use_id": "t1", "content": "ok"});
        let base = request(
            &[],
            "/v1/messages",
            json!({"messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [tool_use.clone()]},
                {"role": "user", "content": [tool_result.clone()]},
                {"role": "assistant", "content": "done"},
                {"role": "user", "content": "b"},
                {"role": "assistant", "content": [tool_use]},
                {"role": "user", "content": [tool_result]}
            ]}),
        );
        let drops: Vec<Change> = candidates(&base)
            .into_iter()
            .filter(|c| matches!(c, Change::DropTurns { .. }))
            .collect();
        assert_eq!(drops, [Change::DropTurns { first: 0, last: 3 }]);
    }

    #[test]
    fn blocks_are_not_removed_where_nothing_would_stay() {
        let image =
            json!({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}});
        let base = request(
            &[],
            "/v1/messages",
            json!({"messages": [{"role": "user", "content": [image.clone(), image]}]}),
        );
        assert!(
            candidates(&base).is_empty()
                || !candidates(&base)
                    .iter()
                    .any(|c| matches!(c, Change::RemoveBlock { .. }))
        );
    }

    #[test]
    fn odd_conversations_get_no_turn_drops() {
        for messages in [
            json!([{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]),
            json!([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}, {"role": "user", "content": "c"}]),
            json!([{"role": "user", "content": "only"}]),
        ] {
            let base = request(&[], "/v1/messages", json!({ "messages": messages }));
            assert!(
                !candidates(&base)
                    .iter()
                    .any(|c| matches!(c, Change::DropTurns { .. })),
                "{messages}"
            );
        }
    }

    #[test]
    fn shortening_respects_characters_not_bytes() {
        let long = "é".repeat(1200);
        let base = request(
            &[],
            "/v1/messages",
            json!({"messages": [{"role": "user", "content": long}]}),
        );
        let changes = candidates(&base);
        let shorten = changes
            .iter()
            .find(|c| matches!(c, Change::ShortenText { .. }))
            .unwrap();
        let applied = apply(&base, &[shorten]);
        assert_eq!(
            applied.body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            SHORTENED_CHARS
        );
    }

    #[test]
    fn headlines_name_the_culprit() {
        let beta = Change::RemoveBeta {
            value: "files-api-2025-04-14".into(),
        };
        assert_eq!(
            beta.headline(),
            "fails because of the anthropic-beta value `files-api-2025-04-14`: without it the request succeeds"
        );
        assert!(Change::StreamOff.headline().contains("stream: false"));
        let field = Change::RemoveField {
            name: "service_tier".into(),
        };
        assert!(
            field
                .headline()
                .starts_with("fails because of the field `service_tier`")
        );
        let json = serde_json::to_value(&beta).unwrap();
        assert_eq!(json["change"], "remove_beta");
        assert_eq!(json["value"], "files-api-2025-04-14");
    }
}
