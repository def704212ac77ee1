//! The API's 400 messages in plain words: which field, what is wrong with
//! it, and (where the message alone tells it) what to do.
//!
//! The API writes `path: problem`, with pydantic's wording for type and
//! range errors (`Input should be less than or equal to 1`) and its own
//! sentences for the rest (ANTHROPIC.md lists the common ones). Anything
//! not recognised is passed through as the server wrote it.

/// One 400 message, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The field path the message names (`messages.1.content`).
    pub path: Option<String>,
    /// The headline's tail: `messages.0.content is empty`.
    pub summary: String,
    /// The message in plain words, a sentence each.
    pub words: Vec<String>,
    /// A fix more precise than the failure kind's, when the message alone
    /// says what to do.
    pub fix: Option<String>,
}

/// The anthropic-version value to suggest (the long-standing one).
pub const STABLE_VERSION: &str = "2023-06-01";

/// Decodes a 400 `invalid_request_error` message.
pub fn bad_request(message: &str) -> Decoded {
    let message = message.trim();
    if let Some(decoded) = whole_message(message) {
        return decoded;
    }
    let path = crate::api::errors::field_path(message);
    let Some(path) = path else {
        return passthrough(None, message);
    };
    let detail = message
        .get(path.len() + 2..)
        .map(str::trim)
        .unwrap_or_default();
    let mut decoded = if is_header_name(&path) {
        header_problem(&path, detail)
    } else {
        field_problem(&path, detail).unwrap_or_else(|| passthrough(Some(&path), message))
    };
    if let Some(words) = path_words(&path) {
        decoded.words.push(words);
    }
    decoded.path = Some(path);
    decoded
}

/// Messages that do not start with a field path.
fn whole_message(message: &str) -> Option<Decoded> {
    if let Some(rest) = message.strip_prefix("The request body is not valid JSON") {
        return Some(invalid_json(rest.trim_start_matches(':').trim()));
    }
    if let Some(rest) = message.strip_prefix("prompt is too long:") {
        return Some(prompt_too_long(rest.trim()));
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("roles must alternate")
        || lower.contains("must alternate between user and assistant")
    {
        return Some(roles_alternate(message));
    }
    if lower.contains("please use the messages api instead") {
        return Some(Decoded {
            path: Some("model".into()),
            summary: "the model is not served on the legacy Text Completions API".into(),
            words: vec!["This answer comes from the legacy Text Completions endpoint (POST /v1/complete, prompt-style \"\\n\\nHuman:\" requests), which never served Claude 3 or any later model: the client is too old or configured for the old API.".into()],
            fix: Some("Send the request to the Messages API, POST /v1/messages with a messages list (upgrade the library that sends it: old LiteLLM, LangChain and SDK versions still use /v1/complete).".into()),
        });
    }
    if let Some(field) = deprecated_for_model(message) {
        return Some(Decoded {
            path: Some(field.to_owned()),
            summary: format!("this model no longer accepts {field}"),
            words: vec![format!(
                "Newer models fix their sampling and refuse `{field}` (and the other sampling fields, temperature, top_p and top_k) rather than ignoring it."
            )],
            fix: Some(format!(
                "Remove {field} from the request for this model (keep it only for models that still take it)."
            )),
        });
    }
    if lower.trim_end_matches('.') == "could not process image" {
        return Some(Decoded {
            path: Some("messages".into()),
            summary: "an image in the conversation could not be decoded".into(),
            words: vec![
                "The API could not decode one of the image blocks: its bytes are empty, truncated or not an image at all (a 0-byte or corrupt file, an HTML error page saved as .png, a format other than JPEG, PNG, GIF or WebP).".into(),
                "The block stays in the conversation history, so every later turn that resends the history fails the same way, whatever its new message says.".into(),
            ],
            fix: Some("Remove that image from the history (in Claude Code: rewind with Esc Esc to before it, or start a new session), then send a valid JPEG, PNG, GIF or WebP; `claudetui lint` on the body shows each image's real format.".into()),
        });
    }
    if lower.contains("temperature and top_p cannot both be specified") {
        return Some(Decoded {
            path: Some("temperature".into()),
            summary: "temperature and top_p are both set".into(),
            words: vec!["This model accepts temperature or top_p, not both.".into()],
            fix: Some("Keep one of temperature and top_p and remove the other.".into()),
        });
    }
    if lower.contains("clear_thinking") && lower.contains("requires `thinking`") {
        return Some(Decoded {
            path: Some("context_management".into()),
            summary: "context_management clears thinking, but thinking is off".into(),
            words: vec!["clear_thinking_20251015 is a context_management edit: it clears earlier thinking blocks, so it only works when `thinking` is enabled (or adaptive) in the same request.".into()],
            fix: Some("Turn thinking on for the request, or remove the clear_thinking edit from context_management.".into()),
        });
    }
    if lower.starts_with("max_tokens must be greater than thinking.budget_tokens") {
        return Some(Decoded {
            path: Some("max_tokens".into()),
            summary: "max_tokens is not above thinking.budget_tokens".into(),
            words: vec![
                "The thinking budget is part of max_tokens, so max_tokens must be larger than thinking.budget_tokens.".into(),
            ],
            fix: Some("Raise max_tokens above thinking.budget_tokens, or lower the budget (at least 1024).".into()),
        });
    }
    None
}

/// "`temperature` is deprecated for this model.": the field named.
fn deprecated_for_model(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('`')?;
    let (field, tail) = rest.split_once('`')?;
    tail.trim_start()
        .starts_with("is deprecated for this model")
        .then_some(field)
}

/// `expected value: line 1 column 1 (char 0)`.
fn invalid_json(detail: &str) -> Decoded {
    let at = detail.rfind(": line ").or_else(|| detail.rfind("line "));
    let (problem, place) = match at {
        Some(i) => (
            detail.get(..i).unwrap_or(detail).trim(),
            detail.get(i..).unwrap_or_default(),
        ),
        None => (detail, ""),
    };
    let place = place.trim_start_matches(':').trim();
    let line = number_after(place, "line ");
    let column = number_after(place, "column ");
    let summary = match (line, column) {
        (Some(l), Some(c)) => format!("the body is not valid JSON (line {l}, column {c})"),
        _ => "the body is not valid JSON".into(),
    };
    let mut words =
        vec!["The API could not parse the body at all, so it checked nothing else.".to_owned()];
    if !problem.is_empty() {
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(" at {place}")
        };
        words.push(format!("The JSON parser stopped{place}: {problem}."));
    }
    Decoded {
        path: None,
        summary,
        words,
        fix: Some(
            "Fix the JSON at the place named (`claudetui lint FILE` shows it, with the classic causes: a trailing comma, an unescaped newline or control character in a string, smart quotes).".into(),
        ),
    }
}

/// `215000 tokens > 200000 maximum`.
fn prompt_too_long(detail: &str) -> Decoded {
    let numbers: Vec<u64> = detail
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let summary = match numbers.as_slice() {
        [got, max, ..] => {
            format!("the prompt is {got} tokens, over the {max}-token context window")
        }
        _ => "the prompt is longer than the context window".into(),
    };
    Decoded {
        path: Some("messages".into()),
        summary,
        words: vec![
            "The input (system prompt, messages, tools and documents together) is longer than the model's context window.".into(),
        ],
        fix: Some(
            "Shorten the conversation or the documents, or use a model with a larger context window; POST /v1/messages/count_tokens counts the input exactly.".into(),
        ),
    }
}

/// A path that names a header (`anthropic-version`), not a body field.
pub(super) fn is_header_name(path: &str) -> bool {
    path.contains('-') && !path.contains('.')
}

fn header_problem(header: &str, detail: &str) -> Decoded {
    let lower = detail.to_ascii_lowercase();
    let is_version = header.eq_ignore_ascii_case("anthropic-version");
    let summary = if lower.contains("required") {
        format!("the {header} header is missing")
    } else if is_version && lower.contains("not a valid version") {
        let value = detail.split('"').nth(1).unwrap_or_default();
        format!("anthropic-version \"{value}\" is not a version the API knows")
    } else {
        format!("the {header} header: {detail}")
    };
    let mut words = vec![format!(
        "The problem is in the {header} request header, not in the body."
    )];
    let fix = if is_version {
        words.push(format!(
            "Every request must carry anthropic-version; {STABLE_VERSION} is the long-standing value, and the Python SDK 2.13 sends 2026-10-21."
        ));
        Some(format!(
            "Send `anthropic-version: {STABLE_VERSION}` (the profile's anthropic_version setting, or -H 'anthropic-version: {STABLE_VERSION}')."
        ))
    } else if header.eq_ignore_ascii_case("anthropic-beta") {
        words.push("anthropic-beta names optional features, comma-separated; a value the API does not know is refused.".into());
        Some("Remove the beta value the message names from anthropic-beta (the profile's anthropic_beta list), or correct its spelling and date.".into())
    } else {
        None
    };
    Decoded {
        path: None,
        summary,
        words,
        fix,
    }
}

/// `path: detail` for a body field, when the detail is one the API uses.
fn field_problem(path: &str, detail: &str) -> Option<Decoded> {
    let lower = detail.to_ascii_lowercase();
    let made = |summary: String, words: String, fix: Option<String>| Decoded {
        path: None,
        summary,
        words: vec![words],
        fix,
    };
    if detail == "Field required" {
        return Some(made(
            format!("{path} is missing"),
            format!("The required field `{path}` is not in the body."),
            None,
        ));
    }
    if detail.starts_with("Extra inputs are not permitted") {
        return Some(made(
            format!("{path} is not a field the API accepts"),
            format!(
                "The body has `{path}`, which this endpoint does not know; the API rejects unknown fields rather than ignoring them (often an OpenAI-only field such as frequency_penalty, or a typo)."
            ),
            Some(format!(
                "Remove \"{path}\" from the body (or correct its name)."
            )),
        ));
    }
    if let Some(rest) = detail.strip_prefix("Input should be ") {
        return Some(input_should_be(path, rest));
    }
    if let Some(pattern) = detail.strip_prefix("String should match pattern ") {
        return Some(pattern_mismatch(path, pattern));
    }
    if let Some(limit) = detail
        .split_once("image dimensions exceed max allowed size: ")
        .map(|(_, limit)| limit.trim().trim_end_matches('.'))
    {
        return Some(made(
            format!("an image at {path} is larger than {limit} on a side"),
            format!(
                "The API takes images of at most {limit} in width and height (2000 when a request carries more than 20 images); a full-page screenshot of a long page is the usual cause. The image stays in the conversation history, so every later turn that resends it fails the same way."
            ),
            Some(format!(
                "Scale the image down to at most {limit} on its longer side (or crop it) before sending, and remove the oversized one from the history (in Claude Code: rewind, or start a new session)."
            )),
        ));
    }
    if detail.contains("ids were found without `tool_result` blocks")
        && detail.contains("srvtoolu_")
    {
        return Some(made(
            format!("a server tool call in {path} was sent back as a plain tool_use"),
            "The ids listed start with srvtoolu_: they belong to server tools (web search, web fetch, code execution) that run on the API's side. Something on the way (a proxy or an SDK adapter) turned the server_tool_use block into a plain tool_use and dropped its result block, so the API now expects a tool_result the client can never give.".into(),
            Some("Send server_tool_use blocks and their *_tool_result blocks back unchanged (upgrade or fix the proxy that rewrites them); a client-side tool_result cannot answer a srvtoolu_ id.".into()),
        ));
    }
    if let Some(tool) = server_tool_without_result(detail) {
        return Some(made(
            format!("a {tool} server tool call in {path} has no result"),
            format!(
                "The history has a server_tool_use block for {tool} (an id starting srvtoolu_) without the {tool}_tool_result block the API returned with it. Server tools run on the API's side: their use and result blocks must be sent back together, as they came."
            ),
            Some(format!(
                "Send the assistant turn back exactly as the API returned it, the server_tool_use with its {tool}_tool_result; drop both, never one."
            )),
        ));
    }
    if lower.contains("must have non-empty content") {
        let field = if path.ends_with(".content") {
            path.to_owned()
        } else {
            format!("{path}.content")
        };
        return Some(made(
            format!("{field} is empty"),
            format!(
                "`{field}` is an empty string or an empty list; every message needs content, except a final assistant message (a prefill)."
            ),
            Some(format!("Give {field} some text, or remove that message.")),
        ));
    }
    if lower.contains("text content blocks must be non-empty") {
        return Some(made(
            format!("an empty text block in {path}"),
            format!("A text block in `{path}` has \"text\": \"\"; text blocks must be non-empty."),
            Some("Remove the empty text block or give it text.".into()),
        ));
    }
    if lower.contains("text content blocks must contain non-whitespace text") {
        return Some(made(
            format!("a text block in {path} is only whitespace"),
            format!(
                "A text block in `{path}` holds only spaces or newlines, which the API treats as empty."
            ),
            Some("Remove the blank text block or give it text.".into()),
        ));
    }
    if lower.contains("cannot be modified") && lower.contains("thinking") {
        return Some(made(
            format!("a thinking block of the latest assistant turn ({path}) was changed"),
            "With extended thinking, the thinking and redacted_thinking blocks of the latest assistant message must be sent back exactly as the API returned them: their signature covers them, so a block that was edited, trimmed, reordered or re-serialised is refused as modified.".into(),
            Some("Send the latest assistant message's content back unmodified (every thinking block with its signature, in its place), or start the turn again without it.".into()),
        ));
    }
    if let Some(declared) = detail
        .split_once("does not match the provided media type ")
        .map(|(_, t)| t.trim().trim_end_matches('.'))
    {
        return Some(made(
            format!("the image at {path} is not the {declared} it claims to be"),
            format!(
                "The image's declared media type (media_type) is {declared}, but its bytes are another format (a JPEG saved with a .png name, a WebP, a screenshot converted on the way); the API checks the bytes against the declared type."
            ),
            Some(format!(
                "Set media_type to the image's real format, or convert the image to {declared}."
            )),
        ));
    }
    if lower.contains("maximum allowed number of output tokens") {
        return Some(max_tokens_over_limit(path, detail));
    }
    if lower.contains("tool_use_id") && lower.contains("tool_result") {
        return Some(made(
            format!("a tool_result in {path} answers no tool_use"),
            "A tool_result block must answer a tool_use block of the assistant message right before it, by the same id.".into(),
            Some("Keep the assistant message with the matching tool_use right before the tool_result, and copy its id exactly.".into()),
        ));
    }
    None
}

/// `tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`.
fn pattern_mismatch(path: &str, pattern: &str) -> Decoded {
    let ids_only = pattern.contains("a-zA-Z0-9_-");
    let allowed = if ids_only {
        " (only letters, digits, _ and -: any other character, such as : . / or a space, is refused)"
    } else {
        ""
    };
    let mut words = vec![format!(
        "`{path}` must match the pattern {pattern}{allowed}."
    )];
    let fix = if path.ends_with(".id") || path.ends_with("tool_use_id") {
        words.push("Tool call ids made by another provider or a router (OpenAI's call_…, ids with : or .) do not fit the Anthropic pattern.".into());
        Some("Rewrite each tool_use id (and the tool_use_id of its tool_result) to letters, digits, _ and - only, the same way in both places.".into())
    } else {
        None
    };
    Decoded {
        path: None,
        summary: format!("{path} has a character the pattern {pattern} does not allow"),
        words,
        fix,
    }
}

/// "`web_search` tool use with id `srvtoolu_…` was found without a
/// corresponding `web_search_tool_result` block": the server tool's name.
fn server_tool_without_result(detail: &str) -> Option<&str> {
    if !detail.contains("was found without a corresponding") {
        return None;
    }
    let tool = detail.strip_prefix('`')?.split('`').next()?;
    detail
        .contains(&format!("`{tool}_tool_result`"))
        .then_some(tool)
}

/// `messages: roles must alternate between "user" and "assistant", but
/// found multiple "user" roles in a row`, or Bedrock's `A conversation must
/// alternate between user and assistant roles`.
fn roles_alternate(message: &str) -> Decoded {
    let twice = ["user", "assistant"]
        .into_iter()
        .find(|role| message.contains(&format!("multiple \"{role}\" roles")));
    let summary = match twice {
        Some(role) => format!("two {role} messages in a row"),
        None => "the roles do not alternate".into(),
    };
    Decoded {
        path: Some("messages".into()),
        summary,
        words: vec!["This backend requires messages to alternate between user and assistant, and the conversation has two of the same role in a row (often a retry or a tool result appended as its own user message after another one). Today's Anthropic API merges such a pair; Bedrock, many gateways and older API versions refuse it.".into()],
        // Lint stays quiet on such pairs: the Anthropic API accepts them.
        fix: Some("Merge consecutive messages of the same role into one (their content blocks in one list), or add the missing turn between them; a tool_result goes at the start of the user message right after the assistant's tool_use.".into()),
    }
}

/// pydantic's `Input should be …`: a range, a type or a set of values.
fn input_should_be(path: &str, rest: &str) -> Decoded {
    // The API's 0–1 temperature is OpenAI's 0–2 halved: say so, it is the
    // usual reason for a 1.5.
    let scale = if path == "temperature" {
        " (the Messages API's range is 0 to 1, not OpenAI's 0 to 2)"
    } else {
        ""
    };
    let (summary, words, fix) = if let Some(n) = rest.strip_prefix("less than or equal to ") {
        (
            format!("{path} is above its maximum of {n}"),
            format!("`{path}` may be at most {n}{scale}."),
            format!("Set {path} to {n} or less."),
        )
    } else if let Some(n) = rest.strip_prefix("greater than or equal to ") {
        (
            format!("{path} is below its minimum of {n}"),
            format!("`{path}` must be at least {n}."),
            format!("Set {path} to {n} or more."),
        )
    } else if let Some(n) = rest.strip_prefix("less than ") {
        (
            format!("{path} is not below {n}"),
            format!("`{path}` must be less than {n}."),
            format!("Set {path} below {n}."),
        )
    } else if let Some(n) = rest.strip_prefix("greater than ") {
        (
            format!("{path} is not above {n}"),
            format!("`{path}` must be greater than {n}."),
            format!("Set {path} above {n}."),
        )
    } else if let Some(kind) = rest.strip_prefix("a valid ") {
        let kind = kind.split(',').next().unwrap_or(kind).trim();
        (
            format!("{path} is not a valid {kind}"),
            format!("`{path}` has the wrong type: the API expects a valid {kind} there."),
            format!("Send {path} as a {kind} (check the JSON type: quotes, a number, a list)."),
        )
    } else {
        (
            format!("{path} is not an allowed value"),
            format!("`{path}` must be {rest}."),
            format!("Set {path} to one of the allowed values: {rest}."),
        )
    };
    Decoded {
        path: None,
        summary,
        words: vec![words],
        fix: Some(fix),
    }
}

/// `100000 > 64000, which is the maximum allowed number of output tokens
/// for claude-sonnet-4-5-20250929`.
fn max_tokens_over_limit(path: &str, detail: &str) -> Decoded {
    let numbers: Vec<&str> = detail
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .take(2)
        .collect();
    let model = detail
        .rsplit_once(" for ")
        .map(|(_, m)| m.trim().trim_end_matches('.'))
        .filter(|m| !m.is_empty());
    let for_model = model.map(|m| format!(" for {m}")).unwrap_or_default();
    match numbers.as_slice() {
        [asked, limit] => Decoded {
            path: None,
            summary: format!("{path} {asked} is above the limit of {limit}{for_model}"),
            words: vec![format!(
                "The request asks for up to {asked} output tokens, but the model writes at most {limit}."
            )],
            fix: Some(format!(
                "Set max_tokens to {limit} or less, or use a model with a larger output limit."
            )),
        },
        _ => Decoded {
            path: None,
            summary: format!("{path} is above the model's output limit"),
            words: vec!["max_tokens is above this model's output limit.".into()],
            fix: None,
        },
    }
}

/// A message this module does not know: shown as the server wrote it.
fn passthrough(path: Option<&str>, message: &str) -> Decoded {
    let summary = clip(message, 100);
    let words = match path {
        Some(path) => format!("The API objects to `{path}`; its words are quoted above."),
        None => "The API's words are quoted above; they do not name a field.".into(),
    };
    Decoded {
        path: None,
        summary,
        words: vec![words],
        fix: None,
    }
}

/// `messages.1.content.0.text` in words: the `text` of content block 1 of
/// message 2 (the API counts from 0, people from 1). `None` for a plain top-level field, which needs no words.
pub fn path_words(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('.').collect();
    if segments.len() < 2 {
        return None;
    }
    let mut phrases: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(segment) = segments.get(i) {
        let index = segments
            .get(i + 1)
            .and_then(|next| next.parse::<usize>().ok());
        match index {
            Some(n) => {
                phrases.push(format!("{} {}", item_name(segment), n.saturating_add(1)));
                i += 2;
            }
            None => {
                phrases.push(format!("`{segment}`"));
                i += 1;
            }
        }
    }
    phrases.reverse();
    let the = if phrases.first().is_some_and(|p| p.starts_with('`')) {
        "the "
    } else {
        ""
    };
    let counted = segments.iter().any(|s| s.parse::<usize>().is_ok());
    let note = if counted { " (paths count from 0)" } else { "" };
    Some(format!("{path} means {the}{}{note}.", phrases.join(" of ")))
}

/// What one element of a list field is called.
fn item_name(list: &str) -> String {
    match list {
        "messages" => "message".into(),
        "content" => "content block".into(),
        "system" => "system block".into(),
        "tools" => "tool".into(),
        "stop_sequences" => "stop sequence".into(),
        other => format!("`{other}` item"),
    }
}

fn number_after(text: &str, label: &str) -> Option<u64> {
    let start = text.find(label)? + label.len();
    let digits: String = text
        .get(start..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// At most `max` characters, with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{}…", head.trim_end())
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_messages_decode_to_field_and_problem() {
        let cases = [
            ("max_tokens: Field required", "max_tokens is missing"),
            ("model: Field required", "model is missing"),
            (
                "temperature: Input should be less than or equal to 1",
                "temperature is above its maximum of 1",
            ),
            (
                "frequency_penalty: Extra inputs are not permitted",
                "frequency_penalty is not a field the API accepts",
            ),
            (
                "messages: text content blocks must be non-empty",
                "an empty text block in messages",
            ),
            (
                "messages.1.content: all messages must have non-empty content except for the optional final assistant message",
                "messages.1.content is empty",
            ),
            (
                "messages.0: all messages must have non-empty content except for the optional final assistant message",
                "messages.0.content is empty",
            ),
            (
                "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929",
                "max_tokens 100000 is above the limit of 64000 for claude-sonnet-4-5-20250929",
            ),
            (
                "prompt is too long: 215000 tokens > 200000 maximum",
                "the prompt is 215000 tokens, over the 200000-token context window",
            ),
            (
                "thinking.budget_tokens: Input should be greater than or equal to 1024",
                "thinking.budget_tokens is below its minimum of 1024",
            ),
            (
                "max_tokens must be greater than thinking.budget_tokens",
                "max_tokens is not above thinking.budget_tokens",
            ),
            (
                "The request body is not valid JSON: unexpected control character in string: line 1 column 2379 (char 2378)",
                "the body is not valid JSON (line 1, column 2379)",
            ),
            (
                "temperature and top_p cannot both be specified for this model",
                "temperature and top_p are both set",
            ),
            (
                "anthropic-version: header is required",
                "the anthropic-version header is missing",
            ),
            (
                "anthropic-version: \"2099-01-01\" is not a valid version. Supported versions: 2023-06-01, 2026-10-21",
                "anthropic-version \"2099-01-01\" is not a version the API knows",
            ),
            (
                "max_tokens: Input should be a valid integer, got a number with a fractional part",
                "max_tokens is not a valid integer",
            ),
            (
                "messages.0.role: Input should be 'user' or 'assistant'",
                "messages.0.role is not an allowed value",
            ),
        ];
        for (message, summary) in cases {
            let decoded = bad_request(message);
            assert_eq!(decoded.summary, summary, "{message}");
            assert!(!decoded.words.is_empty(), "{message}");
        }
    }

    #[test]
    fn the_json_parser_place_and_problem_are_kept() {
        let d = bad_request(
            "The request body is not valid JSON: unexpected control character in string: line 1 column 2379 (char 2378)",
        );
        assert!(
            d.words.iter().any(|w| w
                == "The JSON parser stopped at line 1 column 2379 (char 2378): unexpected control character in string."),
            "{:?}",
            d.words
        );
        assert!(d.fix.unwrap().contains("claudetui lint"));
    }

    #[test]
    fn version_and_beta_headers_get_their_own_fix() {
        let d = bad_request("anthropic-version: header is required");
        assert!(d.fix.unwrap().contains("anthropic-version: 2023-06-01"));
        let d = bad_request(
            "anthropic-beta: Unexpected value(s) `foo-2020` for the `anthropic-beta` header",
        );
        assert!(
            d.summary.starts_with("the anthropic-beta header"),
            "{}",
            d.summary
        );
        assert!(d.fix.unwrap().contains("anthropic_beta"));
    }

    #[test]
    fn unknown_messages_pass_through_clipped() {
        let long = format!("something new happened: {}", "x".repeat(300));
        let d = bad_request(&long);
        assert!(d.summary.ends_with('…'));
        assert!(d.summary.chars().count() <= 101);
        let d = bad_request("Overloaded");
        assert_eq!(d.summary, "Overloaded");
        assert_eq!(d.path, None);
    }

    #[test]
    fn paths_read_as_words() {
        assert_eq!(
            path_words("messages.1.content.0.text").as_deref(),
            Some(
                "messages.1.content.0.text means the `text` of content block 1 of message 2 (paths count from 0)."
            )
        );
        assert_eq!(
            path_words("thinking.budget_tokens").as_deref(),
            Some("thinking.budget_tokens means the `budget_tokens` of `thinking`.")
        );
        assert_eq!(path_words("max_tokens"), None);
        assert_eq!(
            path_words("tools.2.name").as_deref(),
            Some("tools.2.name means the `name` of tool 3 (paths count from 0).")
        );
    }

    #[test]
    fn clip_respects_characters() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("", 0), "");
    }
}
