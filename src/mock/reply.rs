//! What the embedded server answers: a reply planned deterministically from
//! the request (only the ids and the thinking signature are random). One
//! word counts as one token, so `max_tokens` cuts replies where a reader
//! expects.

use serde_json::{Map, Value, json};

use super::ids;
use super::prompt::{asks_for_tool, last_user_turn, prompt_text, without_reminders};
use super::scenario::{AutoToolCalls, Scenario};
use crate::api::types::{ContentBlock, MessagesRequest, Role};

/// The longest quote of the user's message a reply repeats, in words.
const QUOTE_WORDS: usize = 40;
/// Nested schemas deeper than this get an empty object.
const MAX_SCHEMA_DEPTH: usize = 6;
/// Characters of tool-input JSON per `input_json_delta`.
const JSON_PIECE_CHARS: usize = 12;

const FILLER: &[&str] = &[
    "It answers with the same headers, events and errors as the real API, so you can watch them in the dashboard.",
    "The rate-limit headers on this reply come from a token bucket that refills continuously over a minute.",
    "Streamed replies arrive as message_start, content_block_delta and message_stop events, paced like a real model.",
    "Other scenarios show 429s, 529s, stream errors and dropped connections; pick one with --scenario.",
    "Requests are numbered as they arrive, so a scenario's faults hit the same requests on every run.",
    "Nothing here left your machine: the server listens on loopback only unless told otherwise.",
];

/// One streamed unit of a block and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub tokens: u64,
}

/// A content block of the reply, already cut into stream pieces.
#[derive(Debug, Clone, PartialEq)]
pub enum PlannedBlock {
    Thinking {
        pieces: Vec<Piece>,
        signature: String,
    },
    Text {
        pieces: Vec<Piece>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
        pieces: Vec<Piece>,
    },
}

impl PlannedBlock {
    pub fn pieces(&self) -> &[Piece] {
        match self {
            PlannedBlock::Thinking { pieces, .. }
            | PlannedBlock::Text { pieces }
            | PlannedBlock::ToolUse { pieces, .. } => pieces,
        }
    }

    /// The block as `content_block_start` announces it (empty content).
    pub fn start_json(&self) -> Value {
        match self {
            PlannedBlock::Thinking { .. } => {
                json!({"type": "thinking", "thinking": "", "signature": ""})
            }
            PlannedBlock::Text { .. } => json!({"type": "text", "text": ""}),
            PlannedBlock::ToolUse { id, name, .. } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": {}})
            }
        }
    }

    /// The `delta` object of one piece's `content_block_delta`.
    pub fn delta_json(&self, piece: &Piece) -> Value {
        match self {
            PlannedBlock::Thinking { .. } => {
                json!({"type": "thinking_delta", "thinking": piece.text})
            }
            PlannedBlock::Text { .. } => json!({"type": "text_delta", "text": piece.text}),
            PlannedBlock::ToolUse { .. } => {
                json!({"type": "input_json_delta", "partial_json": piece.text})
            }
        }
    }

    /// The finished block, as a non-streaming reply carries it.
    pub fn content_block(&self) -> ContentBlock {
        let joined = || self.pieces().iter().map(|p| p.text.as_str()).collect();
        match self {
            PlannedBlock::Thinking { signature, .. } => ContentBlock::Thinking {
                thinking: joined(),
                signature: signature.clone(),
            },
            PlannedBlock::Text { .. } => ContentBlock::Text {
                text: joined(),
                citations: None,
            },
            PlannedBlock::ToolUse {
                id, name, input, ..
            } => ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: input.clone(),
            },
        }
    }
}

/// The whole reply: blocks in order, why it stopped, what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyPlan {
    pub blocks: Vec<PlannedBlock>,
    pub stop_reason: &'static str,
    pub stop_sequence: Option<String>,
}

impl ReplyPlan {
    pub fn output_tokens(&self) -> u64 {
        self.blocks
            .iter()
            .flat_map(PlannedBlock::pieces)
            .map(|p| p.tokens)
            .sum()
    }
}

/// Plans the reply to `request`; `scenario` is named in the text and says
/// when an automatic tool choice calls a tool.
pub fn plan_reply(request: &MessagesRequest, scenario: &Scenario) -> ReplyPlan {
    let mut budget = request.max_tokens;
    let mut blocks = Vec::new();
    if let Some(limit) = thinking_budget(request) {
        let words = take_words(&thinking_text(request), limit.min(budget));
        budget = budget.saturating_sub(words.len() as u64);
        blocks.push(PlannedBlock::Thinking {
            pieces: word_pieces(&words),
            signature: ids::signature(),
        });
    }
    let tool = chosen_tool(request, scenario.auto_tool_calls);
    let forced = tool.as_ref().is_some_and(|t| t.forced);
    let mut stop_reason = "end_turn";
    let mut stop_sequence = None;
    if !forced {
        let mut text = match &tool {
            Some(tool) => format!("I'll use the {} tool for this.", tool.name),
            None => answer_text(request, &scenario.name),
        };
        if let Some((at, sequence)) = first_stop_sequence(&text, request) {
            text.truncate(at);
            stop_reason = "stop_sequence";
            stop_sequence = Some(sequence);
        }
        let all_words = words_of(&text);
        let words = take_words(&text, budget);
        if words.len() < all_words.len() {
            stop_reason = "max_tokens";
            stop_sequence = None;
        }
        budget = budget.saturating_sub(words.len() as u64);
        if !words.is_empty() {
            blocks.push(PlannedBlock::Text {
                pieces: word_pieces(&words),
            });
        }
    }
    if let Some(tool) = tool.filter(|_| stop_reason == "end_turn") {
        let input = tool_input(&tool.schema, &prompt_text(request));
        let pieces = json_pieces(&input);
        let cost: u64 = pieces.iter().map(|p| p.tokens).sum();
        if cost <= budget {
            blocks.push(PlannedBlock::ToolUse {
                id: ids::tool_use_id(),
                name: tool.name,
                input,
                pieces,
            });
            stop_reason = "tool_use";
        } else {
            stop_reason = "max_tokens";
        }
    }
    ReplyPlan {
        blocks,
        stop_reason,
        stop_sequence,
    }
}

/// How many tokens the reply may think: `budget_tokens` for manual
/// thinking, all of `max_tokens` for adaptive; `None` without thinking.
fn thinking_budget(request: &MessagesRequest) -> Option<u64> {
    let thinking = request.thinking.as_ref()?;
    match thinking.get("type").and_then(Value::as_str)? {
        "enabled" => Some(
            thinking
                .get("budget_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(1024),
        ),
        "adaptive" => Some(request.max_tokens),
        _ => None,
    }
}

struct ChosenTool {
    name: String,
    schema: Value,
    /// `tool_choice` any/tool: the reply is the tool call alone.
    forced: bool,
}

/// The tool the reply calls, if any. `tool_choice` any/tool always call
/// one (the first, or the one named) and none never does. With auto, the
/// default, the reply is text unless the prompt asks for a tool by name
/// ([`asks_for_tool`]) or the scenario calls tools `always` (then the
/// first when none is named): an agent such as Claude Code really runs
/// what is called, so the server never calls a tool on its own
/// initiative. A turn of tool results is answered in text, or an agent
/// would loop. Server tools (with a `type`) are never called.
fn chosen_tool(request: &MessagesRequest, auto: AutoToolCalls) -> Option<ChosenTool> {
    let tools: Vec<&Value> = request
        .tools
        .iter()
        .flatten()
        .filter(|t| matches!(t.get("type").and_then(Value::as_str), None | Some("custom")))
        .collect();
    let choice = request.tool_choice.as_ref();
    let choice_type = choice
        .and_then(|c| c.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("auto");
    let pick = |tool: &Value, forced| {
        Some(ChosenTool {
            name: tool_name(tool)?.to_owned(),
            schema: tool.get("input_schema").cloned().unwrap_or(Value::Null),
            forced,
        })
    };
    match choice_type {
        "none" => None,
        "any" => pick(tools.first()?, true),
        "tool" => {
            let wanted = choice.and_then(|c| c.get("name")).and_then(Value::as_str)?;
            let tool = tools.iter().find(|t| tool_name(t) == Some(wanted))?;
            pick(tool, true)
        }
        _ if last_user_tool_result(request).is_some() => None,
        _ => match (named_tool(request, &tools), auto) {
            (Some(tool), _) => pick(tool, false),
            (None, AutoToolCalls::Always) => pick(tools.first()?, false),
            (None, AutoToolCalls::WhenNamed) => None,
        },
    }
}

fn tool_name(tool: &Value) -> Option<&str> {
    tool.get("name").and_then(Value::as_str)
}

/// The tool the prompt asks for by name; the earliest mentioned wins.
fn named_tool<'a>(request: &MessagesRequest, tools: &[&'a Value]) -> Option<&'a Value> {
    let prompt = prompt_text(request);
    tools
        .iter()
        .filter_map(|tool| Some((asks_for_tool(&prompt, tool_name(tool)?)?, *tool)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, tool)| tool)
}

/// The first tool result of the last user turn: (tool_use_id, content, is_error).
fn last_user_tool_result(request: &MessagesRequest) -> Option<(String, String, bool)> {
    last_user_turn(request)
        .into_iter()
        .find_map(|block| match block {
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => Some((
                tool_use_id,
                tool_result_text(content.as_ref()),
                is_error.unwrap_or(false),
            )),
            _ => None,
        })
}

/// A tool result's text, without the reminders agents append to it.
fn tool_result_text(content: Option<&Value>) -> String {
    let text = match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    without_reminders(&text)
}

/// The name of the tool an earlier assistant turn called with `id`.
fn tool_name_for(request: &MessagesRequest, id: &str) -> Option<String> {
    request
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| m.content.blocks())
        .find_map(|block| match block {
            ContentBlock::ToolUse {
                id: use_id, name, ..
            } if use_id == id => Some(name),
            _ => None,
        })
}

fn quote(text: &str, max_words: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.len() {
        0 => "(no text)".to_owned(),
        n if n > max_words => format!("{}…", words[..max_words].join(" ")),
        _ => words.join(" "),
    }
}

fn answer_text(request: &MessagesRequest, scenario: &str) -> String {
    let origin = format!(
        "This reply comes from claudetui's embedded server (scenario {scenario}), standing in \
         for {}; no model was called.",
        request.model
    );
    let opening = match last_user_tool_result(request) {
        Some((id, result, is_error)) => {
            let tool = tool_name_for(request, &id).unwrap_or_else(|| "requested".to_owned());
            let verdict = if is_error {
                "It reported an error, so the task could not be finished."
            } else {
                "Based on that result, the task is done."
            };
            format!(
                "The {tool} tool returned: “{}”. {verdict} {origin}",
                quote(&result, QUOTE_WORDS)
            )
        }
        None => format!(
            "You said: “{}”. {origin}",
            quote(&prompt_text(request), QUOTE_WORDS)
        ),
    };
    let seed = fnv1a(&serde_json::to_string(&request.messages).unwrap_or_default());
    let start = (seed % FILLER.len() as u64) as usize;
    let count = 1 + ((seed / 7) % 4) as usize;
    let filler = FILLER.iter().cycle().skip(start).take(count);
    std::iter::once(opening.as_str())
        .chain(filler.copied())
        .collect::<Vec<_>>()
        .join(" ")
}

fn thinking_text(request: &MessagesRequest) -> String {
    format!(
        "The user wrote “{}”. I am claudetui's embedded server, so I will quote the message \
         back, say where the reply comes from, and keep the answer short.",
        quote(&prompt_text(request), 12)
    )
}

/// Where the earliest stop sequence starts in `text`, and which one.
fn first_stop_sequence(text: &str, request: &MessagesRequest) -> Option<(usize, String)> {
    request
        .stop_sequences
        .iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|at| (at, s.clone())))
        .min_by_key(|(at, _)| *at)
}

/// Words with their following space, so pieces join back to the text.
fn words_of(text: &str) -> Vec<&str> {
    text.split_inclusive(' ')
        .filter(|w| !w.trim().is_empty())
        .collect()
}

fn take_words(text: &str, limit: u64) -> Vec<String> {
    let words = words_of(text);
    let keep = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .min(words.len());
    let mut kept: Vec<String> = words.iter().take(keep).map(|w| (*w).to_owned()).collect();
    if keep < words.len()
        && let Some(last) = kept.last_mut()
    {
        last.truncate(last.trim_end().len());
    }
    kept
}

/// Groups words into deltas of one to three words (one token each).
fn word_pieces(words: &[String]) -> Vec<Piece> {
    const SIZES: [usize; 5] = [2, 3, 1, 3, 2];
    let mut pieces = Vec::new();
    let mut rest = words;
    let mut i = 0;
    while !rest.is_empty() {
        let size = SIZES[i % SIZES.len()].min(rest.len());
        let (head, tail) = rest.split_at(size);
        pieces.push(Piece {
            text: head.concat(),
            tokens: head.len() as u64,
        });
        rest = tail;
        i += 1;
    }
    pieces
}

/// The tool input as `input_json_delta` pieces: an empty one first, as the
/// API sends, then about four characters per token.
fn json_pieces(input: &Value) -> Vec<Piece> {
    let text = input.to_string();
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = vec![Piece {
        text: String::new(),
        tokens: 0,
    }];
    pieces.extend(chars.chunks(JSON_PIECE_CHARS).map(|chunk| Piece {
        text: chunk.iter().collect(),
        tokens: chunk.len().div_ceil(4) as u64,
    }));
    pieces
}

/// A tool input that satisfies `schema`: required properties filled by
/// type, enums with their first value, plausible strings for common names.
pub fn tool_input(schema: &Value, user_text: &str) -> Value {
    match value_for_schema("", schema, user_text, 0) {
        Value::Object(map) => Value::Object(map),
        _ => Value::Object(Map::new()),
    }
}

fn value_for_schema(name: &str, schema: &Value, user_text: &str, depth: usize) -> Value {
    if let Some(value) = schema.get("default").or_else(|| schema.get("const")) {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let alternative = ["anyOf", "oneOf", "allOf"]
        .iter()
        .find_map(|key| schema.get(*key).and_then(Value::as_array)?.first());
    if let Some(alternative) = alternative {
        return value_for_schema(name, alternative, user_text, depth + 1);
    }
    match schema_type(schema) {
        "object" => object_for_schema(schema, user_text, depth),
        "array" => match schema.get("items") {
            Some(items) if depth < MAX_SCHEMA_DEPTH => {
                json!([value_for_schema(name, items, user_text, depth + 1)])
            }
            _ => json!([]),
        },
        "integer" => schema
            .get("minimum")
            .and_then(Value::as_i64)
            .map_or(json!(1), |min| json!(min.max(1))),
        "number" => schema
            .get("minimum")
            .and_then(Value::as_f64)
            .map_or(json!(1.0), |min| json!(min.max(1.0))),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => Value::String(plausible_string(name, schema, user_text)),
    }
}

/// The schema's type; the first non-null one of a list; guessed when absent.
fn schema_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    }
}

fn object_for_schema(schema: &Value, user_text: &str, depth: usize) -> Value {
    let mut map = Map::new();
    if depth >= MAX_SCHEMA_DEPTH {
        return Value::Object(map);
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for key in required {
        let property = properties.and_then(|p| p.get(key)).unwrap_or(&Value::Null);
        map.insert(
            key.to_owned(),
            value_for_schema(key, property, user_text, depth + 1),
        );
    }
    Value::Object(map)
}

fn plausible_string(name: &str, schema: &Value, user_text: &str) -> String {
    match schema.get("format").and_then(Value::as_str) {
        Some("date") => return "2026-01-15".into(),
        Some("date-time") => return "2026-01-15T09:30:00Z".into(),
        Some("email") => return "user@example.com".into(),
        Some("uri" | "url") => return "https://example.com/".into(),
        _ => {}
    }
    let name = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&["location", "city", "place", "address", "region"]) {
        place_in(user_text).unwrap_or_else(|| "San Francisco, CA".into())
    } else if has(&[
        "query", "search", "question", "prompt", "text", "topic", "keyword",
    ]) || name == "q"
    {
        let words: Vec<&str> = user_text.split_whitespace().take(8).collect();
        if words.is_empty() {
            "claudetui".into()
        } else {
            words.join(" ")
        }
    } else if has(&["unit"]) {
        "celsius".into()
    } else if has(&["url", "link"]) {
        "https://example.com/".into()
    } else if has(&["email"]) {
        "user@example.com".into()
    } else if has(&["path", "file"]) {
        "/tmp/example.txt".into()
    } else if has(&["command", "cmd"]) {
        "echo hello".into()
    } else if has(&["lang"]) {
        "en".into()
    } else if has(&["date", "time"]) {
        "2026-01-15".into()
    } else if has(&["name"]) {
        "claudetui".into()
    } else if has(&["id"]) {
        "example-1".into()
    } else {
        "example".into()
    }
}

/// A place the prompt names after "in", "for", "at" or "near": the run of
/// capitalised words that follows ("weather in New York?" → "New York").
fn place_in(text: &str) -> Option<String> {
    const BEFORE_A_PLACE: [&str; 4] = ["in", "for", "at", "near"];
    let words: Vec<&str> = text.split_whitespace().collect();
    (0..words.len())
        .filter(|&i| BEFORE_A_PLACE.contains(&words[i].to_ascii_lowercase().as_str()))
        .find_map(|i| capitalised_run(&words[i + 1..]))
}

fn capitalised_run(words: &[&str]) -> Option<String> {
    let mut run: Vec<&str> = Vec::new();
    for word in words {
        let bare = word.trim_end_matches(['?', '!', '.', ';', ':', ',']);
        if !bare.starts_with(|c: char| c.is_uppercase()) || bare == "I" {
            break;
        }
        // A comma joins "Paris, France"; other punctuation ends the place.
        let ends = bare.len() < word.len() && !word.ends_with(',');
        run.push(if ends { bare } else { word });
        if ends {
            break;
        }
    }
    let place = run.join(" ");
    let place = place.trim_end_matches(',');
    (!place.is_empty()).then(|| place.to_owned())
}

/// FNV-1a: a hash that stays the same across runs and Rust versions.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> MessagesRequest {
        serde_json::from_value(body).unwrap()
    }

    fn text_of(plan: &ReplyPlan) -> String {
        plan.blocks
            .iter()
            .filter_map(|b| b.content_block().as_text().map(str::to_owned))
            .collect()
    }

    fn simple(max_tokens: u64, text: &str) -> MessagesRequest {
        request(json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": text}]
        }))
    }

    #[test]
    fn the_reply_quotes_the_user_and_names_its_origin() {
        let plan = plan_reply(
            &simple(1000, "Hello   there,\nclaude"),
            &Scenario::default(),
        );
        let text = text_of(&plan);
        assert!(
            text.starts_with("You said: “Hello there, claude”."),
            "{text}"
        );
        assert!(text.contains("claudetui's embedded server (scenario default)"));
        assert!(text.contains("claude-sonnet-4-5"));
        assert_eq!(plan.stop_reason, "end_turn");
        assert_eq!(plan.output_tokens(), text.split_whitespace().count() as u64);
    }

    #[test]
    fn the_reply_is_deterministic_and_varies_with_the_request() {
        let a = text_of(&plan_reply(&simple(1000, "one"), &Scenario::default()));
        assert_eq!(
            a,
            text_of(&plan_reply(&simple(1000, "one"), &Scenario::default()))
        );
        let lengths: std::collections::BTreeSet<usize> = ["one", "two", "three", "four", "five"]
            .iter()
            .map(|t| text_of(&plan_reply(&simple(1000, t), &Scenario::default())).len())
            .collect();
        assert!(lengths.len() > 1, "every reply had the same length");
    }

    #[test]
    fn max_tokens_cuts_the_reply_word_by_word() {
        let plan = plan_reply(&simple(5, "Hello"), &Scenario::default());
        assert_eq!(plan.stop_reason, "max_tokens");
        assert_eq!(plan.output_tokens(), 5);
        assert_eq!(text_of(&plan), "You said: “Hello”. This reply");
    }

    #[test]
    fn a_stop_sequence_ends_the_reply_before_it() {
        let mut req = simple(1000, "say STOP now");
        req.stop_sequences = Some(vec!["never".into(), "STOP".into()]);
        let plan = plan_reply(&req, &Scenario::default());
        assert_eq!(plan.stop_reason, "stop_sequence");
        assert_eq!(plan.stop_sequence.as_deref(), Some("STOP"));
        assert_eq!(text_of(&plan), "You said: “say ");
    }

    #[test]
    fn pieces_join_back_to_the_text() {
        let plan = plan_reply(&simple(1000, "a b c d e f g"), &Scenario::default());
        let PlannedBlock::Text { pieces } = &plan.blocks[0] else {
            panic!("expected text");
        };
        assert!(pieces.len() > 5);
        assert!(pieces.iter().all(|p| (1..=3).contains(&p.tokens)));
        let joined: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, text_of(&plan));
    }

    fn weather_tools() -> Value {
        json!([{
            "name": "get_weather",
            "description": "Weather for a place",
            "input_schema": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "unit": {"type": "string", "enum": ["fahrenheit", "celsius"]},
                    "days": {"type": "integer"},
                    "detailed": {"type": "boolean"},
                    "optional": {"type": "string"}
                },
                "required": ["location", "unit", "days", "detailed"]
            }
        }])
    }

    /// Claude Code's everyday tools, whose names are plain words.
    fn agent_tools() -> Value {
        let tool = |name: &str, property: &str| {
            json!({"name": name, "input_schema": {"type": "object",
                "properties": {property: {"type": "string"}}, "required": [property]}})
        };
        json!([
            tool("Bash", "command"),
            tool("Read", "file_path"),
            tool("Write", "file_path"),
            tool("Agent", "prompt")
        ])
    }

    fn auto(tools: Value, prompt: &str, scenario: &Scenario) -> ReplyPlan {
        plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 500, "tools": tools,
                "messages": [{"role": "user", "content": prompt}]
            })),
            scenario,
        )
    }

    fn tool_call(plan: &ReplyPlan) -> Option<(String, Value)> {
        plan.blocks.iter().find_map(|b| match b.content_block() {
            ContentBlock::ToolUse { name, input, .. } => Some((name, input)),
            _ => None,
        })
    }

    #[test]
    fn auto_tool_choice_answers_in_text_unless_the_prompt_names_a_tool() {
        let default = Scenario::default();
        for prompt in [
            "say hi",
            "Weather in Paris?",
            "write a haiku about the sea",
            "Read me a story, agent",
        ] {
            for tools in [weather_tools(), agent_tools()] {
                let plan = auto(tools, prompt, &default);
                assert_eq!(plan.stop_reason, "end_turn", "{prompt}: {plan:?}");
                assert_eq!(tool_call(&plan), None, "{prompt}");
                assert!(text_of(&plan).starts_with("You said: “"), "{prompt}");
            }
        }
        let plan = auto(agent_tools(), "please run bash: ls", &default);
        assert_eq!(plan.stop_reason, "tool_use");
        assert_eq!(text_of(&plan), "I'll use the Bash tool for this.");
        assert_eq!(
            tool_call(&plan),
            Some(("Bash".into(), json!({"command": "echo hello"})))
        );
        let plan = auto(
            agent_tools(),
            "Use the Read tool, then the Bash tool",
            &default,
        );
        assert_eq!(tool_call(&plan).map(|c| c.0).as_deref(), Some("Read"));
    }

    #[test]
    fn a_named_tool_gets_an_input_from_its_own_schema_and_the_prompt() {
        let plan = auto(
            weather_tools(),
            "Use get_weather for New York City, please",
            &Scenario::default(),
        );
        let Some(PlannedBlock::ToolUse {
            id,
            name,
            input,
            pieces,
        }) = plan.blocks.last()
        else {
            panic!("expected a tool call: {plan:?}");
        };
        assert!(id.starts_with("toolu_01"));
        assert_eq!(name, "get_weather");
        assert_eq!(
            input,
            &json!({"location": "New York City", "unit": "fahrenheit", "days": 1, "detailed": true})
        );
        assert_eq!(pieces[0].text, "");
        let joined: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), *input);
    }

    #[test]
    fn the_injected_context_never_names_a_tool() {
        let plan = plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 500, "tools": agent_tools(),
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": "<system-reminder>\nYou can run Bash and use the Agent tool.\n</system-reminder>\n\n"},
                    {"type": "text", "text": "say hi"}
                ]}]
            })),
            &Scenario::default(),
        );
        assert_eq!(tool_call(&plan), None, "{plan:?}");
        assert!(text_of(&plan).starts_with("You said: “say hi”."));
    }

    #[test]
    fn the_tool_use_scenario_calls_a_tool_whenever_tools_are_offered() {
        let tool_use = Scenario::load("tool-use").unwrap();
        assert_eq!(tool_use.auto_tool_calls, AutoToolCalls::Always);
        let plan = auto(weather_tools(), "Weather in Paris?", &tool_use);
        assert_eq!(plan.stop_reason, "tool_use");
        assert_eq!(
            tool_call(&plan),
            Some((
                "get_weather".into(),
                json!({"location": "Paris", "unit": "fahrenheit", "days": 1, "detailed": true})
            ))
        );
        let plan = auto(agent_tools(), "hello, use the Agent tool", &tool_use);
        assert_eq!(tool_call(&plan).map(|c| c.0).as_deref(), Some("Agent"));
        assert_eq!(auto(json!([]), "hi", &tool_use).stop_reason, "end_turn");
    }

    #[test]
    fn forced_tool_choice_calls_the_chosen_tool_with_its_own_schema_only() {
        let mut tools = weather_tools();
        tools.as_array_mut().unwrap().push(json!({
            "name": "search", "input_schema": {"type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query"]}
        }));
        let cases = [
            (
                json!({"type": "any"}),
                "get_weather",
                json!({"location": "Lyon", "unit": "fahrenheit", "days": 1, "detailed": true}),
            ),
            (
                json!({"type": "tool", "name": "search"}),
                "search",
                json!({"query": "find rust books in Lyon"}),
            ),
        ];
        for (choice, expected, input) in cases {
            let plan = plan_reply(
                &request(json!({
                    "model": "m", "max_tokens": 500, "tools": tools, "tool_choice": choice,
                    "messages": [{"role": "user", "content": [
                        {"type": "text", "text": "<system-reminder>in Zurich, use search</system-reminder>"},
                        {"type": "text", "text": "find rust books in Lyon"}
                    ]}]
                })),
                &Scenario::default(),
            );
            assert_eq!(plan.blocks.len(), 1, "{plan:?}");
            assert_eq!(tool_call(&plan), Some((expected.to_owned(), input)));
            assert_eq!(plan.stop_reason, "tool_use");
        }
        let missing = plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 500, "tools": tools,
                "tool_choice": {"type": "tool", "name": "nope"},
                "messages": [{"role": "user", "content": "hi"}]
            })),
            &Scenario::default(),
        );
        assert_eq!(tool_call(&missing), None);
    }

    #[test]
    fn tool_choice_none_and_tool_results_get_text() {
        let none = plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 500, "tools": weather_tools(),
                "tool_choice": {"type": "none"},
                "messages": [{"role": "user", "content": "use get_weather"}]
            })),
            &Scenario::default(),
        );
        assert_eq!(none.stop_reason, "end_turn");
        for scenario in [Scenario::default(), Scenario::load("tool-use").unwrap()] {
            let answered = plan_reply(
                &request(json!({
                    "model": "m", "max_tokens": 500, "tools": weather_tools(),
                    "messages": [
                        {"role": "user", "content": "use get_weather for Paris"},
                        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                            "name": "get_weather", "input": {"location": "Paris"}}]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_1",
                             "content": "18 degrees and sunny<system-reminder>be nice</system-reminder>"},
                            {"type": "text", "text": "<system-reminder>use get_weather</system-reminder>"}
                        ]}
                    ]
                })),
                &scenario,
            );
            assert_eq!(answered.stop_reason, "end_turn");
            let text = text_of(&answered);
            assert!(
                text.starts_with("The get_weather tool returned: “18 degrees and sunny”."),
                "{text}"
            );
        }
    }

    #[test]
    fn the_thinking_quotes_the_prompt_not_the_reminder() {
        let plan = plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 2000, "thinking": {"type": "adaptive"},
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": "<system-reminder>\ncontext\n</system-reminder>\n\n"},
                    {"type": "text", "text": "say hi"}
                ]}]
            })),
            &Scenario::default(),
        );
        let ContentBlock::Thinking { thinking, .. } = plan.blocks[0].content_block() else {
            panic!("expected thinking first");
        };
        assert!(
            thinking.starts_with("The user wrote “say hi”."),
            "{thinking}"
        );
        assert!(!thinking.contains("context"), "{thinking}");
    }

    #[test]
    fn places_are_read_from_the_prompt() {
        let table = [
            ("Weather in Paris?", Some("Paris")),
            (
                "weather for today in Paris, France please",
                Some("Paris, France"),
            ),
            ("I am at Home. Tell me", Some("Home")),
            ("what about in I think", None),
            ("nothing here", None),
        ];
        for (text, expected) in table {
            assert_eq!(place_in(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn thinking_comes_first_and_counts_against_max_tokens() {
        let plan = plan_reply(
            &request(json!({
                "model": "m", "max_tokens": 2000,
                "thinking": {"type": "enabled", "budget_tokens": 1024},
                "messages": [{"role": "user", "content": "hi"}]
            })),
            &Scenario::default(),
        );
        let ContentBlock::Thinking {
            thinking,
            signature,
        } = plan.blocks[0].content_block()
        else {
            panic!("expected thinking first");
        };
        assert!(thinking.contains("“hi”"));
        assert!(!signature.is_empty());
        assert!(matches!(plan.blocks[1], PlannedBlock::Text { .. }));
        let thought = thinking.split_whitespace().count() as u64;
        let said = text_of(&plan).split_whitespace().count() as u64;
        assert_eq!(plan.output_tokens(), thought + said);
    }

    #[test]
    fn adaptive_thinking_thinks_and_disabled_does_not() {
        for (thinking, blocks) in [
            (json!({"type": "adaptive"}), 2),
            (json!({"type": "disabled"}), 1),
        ] {
            let plan = plan_reply(
                &request(json!({
                    "model": "m", "max_tokens": 2000, "thinking": thinking,
                    "messages": [{"role": "user", "content": "hi"}]
                })),
                &Scenario::default(),
            );
            assert_eq!(plan.blocks.len(), blocks, "{thinking}");
        }
    }

    #[test]
    fn schemas_of_every_shape_get_a_value() {
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "when": {"type": "string", "format": "date"},
                "limit": {"type": "integer", "minimum": 5},
                "ratio": {"type": ["null", "number"]},
                "mode": {"anyOf": [{"const": "fast"}, {"const": "slow"}]},
                "nested": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
                "picked": {"type": "string", "default": "given"}
            },
            "required": ["city", "tags", "when", "limit", "ratio", "mode", "nested", "picked"]
        });
        assert_eq!(
            tool_input(&schema, "rust crates"),
            json!({
                "city": "San Francisco, CA", "tags": ["example"], "when": "2026-01-15",
                "limit": 5, "ratio": 1.0, "mode": "fast", "nested": {"q": "rust crates"},
                "picked": "given"
            })
        );
        assert_eq!(tool_input(&json!(null), ""), json!({}));
        let deep = json!({"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#"}}});
        assert_eq!(tool_input(&deep, ""), json!({"a": "example"}));
    }
}
