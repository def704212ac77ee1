//! What the user actually asked. Agents wrap the prompt in context of
//! their own: Claude Code puts a `<system-reminder>` block before it (and
//! appends reminders to tool results), and records a slash command it ran,
//! or a local command's output, as tagged blocks of the user turn. The
//! embedded server quotes the prompt, never that context, and calls a tool
//! on its own only when the prompt names it (see [`asks_for_tool`]).

use crate::api::types::{ContentBlock, MessagesRequest, Role};

/// Removed wherever it appears, with everything it encloses.
const REMINDER_TAG: &str = "system-reminder";

/// A text block made only of these elements is context Claude Code
/// injects (a slash command it ran, a local command's output, the caveat
/// it puts before them), not words the user typed: it is skipped whole.
/// A block that also holds other text is kept as it is.
pub const INJECTED_BLOCK_TAGS: [&str; 6] = [
    "command-name",
    "command-message",
    "command-args",
    "local-command-stdout",
    "local-command-stderr",
    "local-command-caveat",
];

/// Words that, just before a tool name that is also an ordinary word
/// (`Bash`, `Read`), make the prompt a request for the tool.
const ASKING_VERBS: [&str; 6] = ["use", "using", "run", "call", "invoke", "try"];
/// Skipped between such a verb and the tool name: "use the Bash tool".
const FILLER_WORDS: [&str; 4] = ["the", "a", "your", "my"];

/// The prompt of the last user turn: its text blocks (the trailing run of
/// user messages, which the API merges into one turn) without reminders
/// and without wholly injected blocks, joined by newlines. Tool results are
/// not part of it.
pub fn prompt_text(request: &MessagesRequest) -> String {
    let turn = last_user_turn(request);
    turn.iter()
        .filter_map(ContentBlock::as_text)
        .filter_map(typed_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The blocks of the last user turn; a final assistant prefill is skipped.
pub fn last_user_turn(request: &MessagesRequest) -> Vec<ContentBlock> {
    let messages = &request.messages;
    let end = messages
        .iter()
        .rposition(|m| m.role == Role::User)
        .map_or(0, |i| i + 1);
    let start = messages[..end]
        .iter()
        .rposition(|m| m.role != Role::User)
        .map_or(0, |i| i + 1);
    messages[start..end]
        .iter()
        .flat_map(|m| m.content.blocks())
        .collect()
}

/// What the user typed in one text block: reminders removed, or `None`
/// when nothing else is left or the rest is wholly injected context.
pub fn typed_text(text: &str) -> Option<String> {
    let text = without_reminders(text);
    let rest = INJECTED_BLOCK_TAGS
        .iter()
        .fold(text.clone(), |rest, tag| without_elements(&rest, tag));
    (!rest.trim().is_empty()).then_some(text)
}

/// `text` without its `<system-reminder>` elements.
pub fn without_reminders(text: &str) -> String {
    without_elements(text, REMINDER_TAG)
}

/// `text` without `<tag>…</tag>` spans. An element left open runs to the
/// end: what follows an unclosed reminder is still the reminder.
fn without_elements(text: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        kept.push_str(&rest[..start]);
        let inside = &rest[start + open.len()..];
        rest = inside
            .find(&close)
            .map_or("", |end| &inside[end + close.len()..]);
    }
    kept.push_str(rest);
    kept
}

/// Where `prompt` asks for the tool `name`, as a byte offset (the earliest
/// mention wins when several tools are named), or `None`.
///
/// The name must appear as a whole word, in any case. A name that is also
/// an ordinary word (`Bash`, `Read`, `Write`, `search`) counts only when the
/// prompt asks for it as a tool — an asking verb before it ("run bash",
/// "use the Read tool") or `tool` right after it — so "write a haiku" or
/// "read this" never makes the server call `Write` or `Read`. A name no one
/// writes by accident (`get_weather`, `WebFetch`) counts wherever it is.
pub fn asks_for_tool(prompt: &str, name: &str) -> Option<usize> {
    let words = words(prompt);
    let ordinary = is_ordinary_word(name);
    words.iter().enumerate().find_map(|(i, (at, word))| {
        if !word.eq_ignore_ascii_case(name) {
            return None;
        }
        let asked = !ordinary || asked_before(&words[..i]) || tool_after(&words[i + 1..]);
        asked.then_some(*at)
    })
}

/// The words of `text` (runs of the characters a tool name may hold)
/// with their byte offsets.
fn words(text: &str) -> Vec<(usize, &str)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut found = Vec::new();
    let mut start = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_word(c)) {
            (None, true) => start = Some(at),
            (Some(from), false) => {
                found.push((from, &text[from..at]));
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// `Bash`, `read`: letters only, capitalised at most at the start.
fn is_ordinary_word(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_lowercase())
}

fn asked_before(before: &[(usize, &str)]) -> bool {
    let verb = before
        .iter()
        .rev()
        .map(|(_, w)| w.to_ascii_lowercase())
        .find(|w| !FILLER_WORDS.contains(&w.as_str()));
    verb.is_some_and(|w| ASKING_VERBS.contains(&w.as_str()))
}

fn tool_after(after: &[(usize, &str)]) -> bool {
    after
        .first()
        .is_some_and(|(_, w)| w.eq_ignore_ascii_case("tool"))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn request(messages: Value) -> MessagesRequest {
        serde_json::from_value(json!({"model": "m", "max_tokens": 9, "messages": messages}))
            .unwrap()
    }

    #[test]
    fn claude_codes_first_turn_gives_the_prompt_alone() {
        let body = crate::api::claude_code::request_body("claude-opus-4-8", None, "say hi", 32);
        let mut messages = body["messages"].clone();
        // As the server plans it: `system` turns are left out.
        messages
            .as_array_mut()
            .unwrap()
            .retain(|m| m["role"] != "system");
        assert_eq!(prompt_text(&request(messages)), "say hi");
    }

    #[test]
    fn reminders_go_wherever_they_are_and_injected_blocks_are_skipped() {
        let turn = request(json!([{"role": "user", "content": [
            {"type": "text", "text": "<local-command-caveat>Caveat: ignore</local-command-caveat>"},
            {"type": "text", "text": "<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>12</command-args>"},
            {"type": "text", "text": "<local-command-stdout>done</local-command-stdout>"},
            {"type": "text", "text": "fix the <system-reminder>the date is x</system-reminder>bug"},
            {"type": "text", "text": "<system-reminder>\nonly context\n</system-reminder>\n\n"},
            {"type": "tool_result", "tool_use_id": "t", "content": "not the prompt"},
            {"type": "text", "text": "and <command-name>/x</command-name> this too"}
        ]}]));
        assert_eq!(
            prompt_text(&turn),
            "fix the bug\nand <command-name>/x</command-name> this too"
        );
    }

    #[test]
    fn an_unclosed_reminder_runs_to_the_end() {
        assert_eq!(without_reminders("hi <system-reminder>and so on"), "hi ");
        assert_eq!(typed_text("<system-reminder>x"), None);
        assert_eq!(typed_text("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn the_last_user_turn_is_the_trailing_run_of_user_messages() {
        let turn = request(json!([
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "second"},
            {"role": "user", "content": [{"type": "text", "text": "<system-reminder>r</system-reminder>"}]},
            {"role": "assistant", "content": "Prefill"}
        ]));
        assert_eq!(prompt_text(&turn), "second");
        assert_eq!(prompt_text(&request(json!([]))), "");
    }

    #[test]
    fn a_tool_is_asked_for_by_its_name_as_a_word() {
        let table = [
            ("use the get_weather tool for Paris", "get_weather", Some(8)),
            ("GET_WEATHER please", "get_weather", Some(0)),
            ("what is get_weathers?", "get_weather", None),
            ("my_get_weather is broken", "get_weather", None),
            ("run Bash", "Bash", Some(4)),
            ("please run bash to list files", "Bash", Some(11)),
            ("use the Read tool on a.txt", "Read", Some(8)),
            ("the bash tool, please", "Bash", Some(4)),
            ("say hi", "Bash", None),
            ("write a haiku about rust", "Write", None),
            ("Read this and summarise", "Read", None),
            ("I love bash scripting", "Bash", None),
            ("bash-like shells", "Bash", None),
            ("fetch it with WebFetch", "WebFetch", Some(14)),
        ];
        for (prompt, name, expected) in table {
            assert_eq!(asks_for_tool(prompt, name), expected, "{prompt:?} / {name}");
        }
    }
}
