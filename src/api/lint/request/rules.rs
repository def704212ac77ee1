//! Phase 4: the rules that relate fields to each other, to the
//! conversation and to the model.

use serde_json::{Map, Value};

use super::super::tokens::estimate_fields;
use super::{At, Checker, MIN_THINKING_BUDGET, quoted_list, top};
use crate::api::lint::Endpoint;
use crate::api::models::{self, Lifecycle, ModelSpec, Sampling, ThinkingModes};

// The API's own sentences, kept together so they are easy to compare with
// what the API answers.
const BOTH_SAMPLING: &str =
    "`temperature` and `top_p` cannot both be specified for this model. Please use only one.";
const MANUAL_THINKING_UNSUPPORTED: &str = "\"thinking.type.enabled\" is not supported for this model. Use \"thinking.type.adaptive\" and \"output_config.effort\" to control thinking behavior.";
// unverified: exact wording.
const BUDGET_NOT_BELOW_MAX_TOKENS: &str = "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size";
const PREFILL_UNSUPPORTED: &str = "This model does not support assistant message prefill. The conversation must end with a user message.";
const EMPTY_CONTENT: &str =
    "all messages must have non-empty content except for the optional final assistant message";
pub(super) const EMPTY_TEXT_BLOCK: &str = "text content blocks must be non-empty";
// unverified: wording.
const BLANK_TEXT_BLOCK: &str = "text content blocks must contain non-whitespace text";

impl Checker<'_> {
    // ----- phase 4: rules across fields and against the model --------------

    pub(super) fn model_rules(&mut self) {
        let Some(id) = self.model_id() else { return };
        let at = top("model");
        let Some(spec) = self.model else {
            let fix = unknown_model_fix(id);
            self.warning(&at, 404, id, fix);
            return;
        };
        let today = self
            .options
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        match (spec.lifecycle_on(today), spec.retires) {
            (Lifecycle::Retired, date) => {
                let when = date.map_or(String::new(), |d| format!(" on {d}"));
                let fix = format!(
                    "{id} reached end of life{when}: the API answers 404 not_found_error for it. Move to a current model such as {}.",
                    successor(spec)
                );
                self.warning(&at, 404, id, fix);
                // Past its date but still served somewhere (Bedrock, Vertex,
                // a proxy's cache, the embedded server): its limit holds.
                if spec.lifecycle != Lifecycle::Retired {
                    self.output_limit(spec);
                }
            }
            (Lifecycle::Deprecated, Some(date)) => {
                self.warning(
                    &at,
                    200,
                    format!("The model '{id}' is deprecated and will reach end-of-life on {date}."),
                    format!("Please migrate to a newer model, such as {}. See https://docs.claude.com/en/docs/about-claude/model-deprecations.", successor(spec)),
                );
                self.output_limit(spec);
            }
            _ => self.output_limit(spec),
        }
    }

    fn output_limit(&mut self, spec: &ModelSpec) {
        if self.options.endpoint != Endpoint::Messages {
            return;
        }
        let Some(max_tokens) = self.present("max_tokens").and_then(Value::as_u64) else {
            return;
        };
        if max_tokens > spec.max_output_tokens {
            let snapshot = spec.snapshot_id();
            let at = top("max_tokens");
            self.error(
                &at,
                format!("{max_tokens} > {}, which is the maximum allowed number of output tokens for {snapshot}", spec.max_output_tokens),
                format!("Lower max_tokens to {} or less.", spec.max_output_tokens),
            );
        }
    }

    pub(super) fn sampling_rules(&mut self) {
        let names = ["temperature", "top_p", "top_k"];
        let set: Vec<&str> = names
            .into_iter()
            .filter(|n| self.is_known_field(n) && self.present(n).is_some())
            .collect();
        let sampling = self.model.map(|m| m.sampling);
        if sampling == Some(Sampling::Removed) {
            for name in &set {
                // The default temperature (1) is accepted. // unverified for top_p
                // and top_k; the temperature message is seen in the wild.
                if *name == "temperature" && self.present(name).and_then(Value::as_f64) == Some(1.0)
                {
                    continue;
                }
                self.error_at(&At::default(), &top(name), format!("`{name}` is deprecated for this model."), format!("Remove \"{name}\": this model chooses its own sampling (use output_config.effort to steer it)."));
            }
            return;
        }
        if set.contains(&"temperature") && set.contains(&"top_p") {
            if sampling == Some(Sampling::TemperatureOrTopP) {
                self.error_at(
                    &At::default(),
                    &top("top_p"),
                    BOTH_SAMPLING,
                    "Remove one of them (usually top_p).",
                );
            } else {
                self.warning(&top("top_p"), 200, "temperature and top_p are both set", "Anthropic recommends changing only one of them; newer models reject both together.");
            }
        }
    }

    pub(super) fn thinking_rules(&mut self) {
        let Some(thinking) = self.present("thinking").and_then(Value::as_object) else {
            return;
        };
        let kind = thinking.get("type").and_then(Value::as_str).unwrap_or("");
        let type_at = top("thinking").key("type");
        if let Some(spec) = self.model {
            self.thinking_mode(spec, kind, &type_at);
        }
        if kind == "enabled" {
            self.thinking_budget(thinking);
        }
        if matches!(kind, "enabled" | "adaptive") {
            self.thinking_conflicts();
        }
    }

    fn thinking_mode(&mut self, spec: &ModelSpec, kind: &str, type_at: &At) {
        let root = At::default();
        match (spec.thinking, kind) {
            (ThinkingModes::AdaptiveOnly, "enabled") => self.error_at(
                &root,
                type_at,
                MANUAL_THINKING_UNSUPPORTED,
                "Use \"thinking\": {\"type\": \"adaptive\"} and set \"output_config\": {\"effort\": …} instead of budget_tokens.",
            ),
            // unverified: wording.
            (ThinkingModes::Manual, "adaptive") => self.error_at(&root, type_at, "adaptive thinking is not supported on this model", "Use {\"type\": \"enabled\", \"budget_tokens\": N} on this model."),
            // unverified: wording.
            (ThinkingModes::Unsupported, "enabled" | "adaptive") => self.error_at(&root, type_at, "thinking is not supported on this model", "Remove \"thinking\", or pick a model with extended thinking."),
            // unverified: wording.
            (_, "disabled") if spec.thinking_required => self.error_at(&root, type_at, "\"thinking.type.disabled\" is not supported for this model.", "Thinking is always on for this model: remove \"thinking\" or use {\"type\": \"adaptive\"} and a lower output_config.effort."),
            (ThinkingModes::ManualAndAdaptive, "enabled") => self.warning(type_at, 200, "manual extended thinking is deprecated on this model", "Use {\"type\": \"adaptive\"} with output_config.effort; budget_tokens is going away."),
            _ => {}
        }
    }

    fn thinking_budget(&mut self, thinking: &Map<String, Value>) {
        if self.options.endpoint != Endpoint::Messages {
            return;
        }
        let budget = thinking.get("budget_tokens").and_then(Value::as_i64);
        let max_tokens = self.present("max_tokens").and_then(Value::as_i64);
        if let (Some(budget), Some(max_tokens)) = (budget, max_tokens)
            && max_tokens <= budget
            && budget >= MIN_THINKING_BUDGET
        {
            // unverified: exact wording and path.
            self.error_at(
                    &At::default(),
                    &top("max_tokens"),
                    BUDGET_NOT_BELOW_MAX_TOKENS,
                    format!("Raise max_tokens above {budget} (thinking counts toward it), or lower budget_tokens."),
                );
        }
    }

    fn thinking_conflicts(&mut self) {
        let sampling_allowed = self.model.is_none_or(|m| m.sampling != Sampling::Removed);
        if sampling_allowed
            && self.is_known_field("temperature")
            && let Some(t) = self
                .present("temperature")
                .and_then(Value::as_f64)
                .filter(|t| *t != 1.0)
        {
            // unverified: wording.
            self.error_at(
                &At::default(),
                &top("temperature"),
                "`temperature` may only be set to 1 when thinking is enabled.",
                format!("Remove temperature ({t}) or set it to 1 while thinking is on."),
            );
        }
        if sampling_allowed && self.is_known_field("top_k") && self.present("top_k").is_some() {
            self.warning(
                &top("top_k"),
                400,
                "top_k is not compatible with thinking",
                "Remove top_k while thinking is on.",
            );
        }
        let forced = self
            .present("tool_choice")
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str);
        if matches!(forced, Some("any" | "tool")) {
            // unverified: wording.
            self.error_at(&At::default(), &top("tool_choice"), "Thinking may not be enabled when tool_choice forces tool use.", "Use tool_choice {\"type\": \"auto\"} (or none) while thinking is on, or turn thinking off.");
        }
    }

    pub(super) fn tool_rules(&mut self) {
        let tools = self.present("tools").and_then(Value::as_array);
        let names: Vec<(usize, &str)> = tools
            .map(|tools| {
                tools
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| t.get("name").and_then(Value::as_str).map(|n| (i, n)))
                    .collect()
            })
            .unwrap_or_default();
        for (pos, (i, name)) in names.iter().enumerate() {
            if names[..pos].iter().any(|(_, earlier)| earlier == name) {
                // unverified: wording and path.
                self.error_at(
                    &top("tools"),
                    &top("tools").idx(*i).key("name"),
                    "Tool names must be unique.",
                    format!("Two tools are named \"{name}\": rename or remove one."),
                );
            }
        }
        self.tool_choice_target(tools.is_some_and(|t| !t.is_empty()), &names);
    }

    fn tool_choice_target(&mut self, has_tools: bool, names: &[(usize, &str)]) {
        let Some(choice) = self.present("tool_choice").and_then(Value::as_object) else {
            return;
        };
        let kind = choice.get("type").and_then(Value::as_str);
        let at = top("tool_choice");
        if matches!(kind, Some("any" | "tool")) && !has_tools {
            // unverified: wording.
            self.error(
                &at,
                "`tool_choice` may only be specified while providing tools.",
                "Add the tools, or remove tool_choice.",
            );
            return;
        }
        if matches!(kind, Some("any" | "tool")) && self.model.is_some_and(|m| !m.forced_tool_use) {
            // unverified: wording.
            self.error(
                &at.key("type"),
                "Forced tool use is not supported for this model.",
                "Use tool_choice {\"type\": \"auto\"} and ask for the tool in the prompt.",
            );
        }
        if kind != Some("tool") {
            return;
        }
        if let Some(name) = choice.get("name").and_then(Value::as_str)
            && !names.iter().any(|(_, n)| *n == name)
        {
            let known: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
            // unverified: wording.
            self.error(
                &at.key("name"),
                format!("Tool '{name}' not found in tools"),
                format!(
                    "tool_choice names a tool that is not defined; defined: {}.",
                    quoted_list(&known)
                ),
            );
        }
    }

    pub(super) fn conversation_rules(&mut self) {
        let Some(messages) = self.present("messages").and_then(Value::as_array) else {
            return;
        };
        let at = top("messages");
        for (i, message) in messages.iter().enumerate() {
            let last = i + 1 == messages.len();
            self.non_empty(&at.idx(i), message, last);
        }
        self.block_roles(messages);
        self.system_messages(messages);
        self.tool_pairing(messages);
        self.ending(messages);
    }

    fn non_empty(&mut self, at: &At, message: &Value, last: bool) {
        let role = message.get("role").and_then(Value::as_str);
        let final_assistant = last && role == Some("assistant");
        match message.get("content") {
            Some(Value::String(s)) if s.is_empty() && !final_assistant => self.error(
                at,
                EMPTY_CONTENT,
                "Give the message some content, or remove it.",
            ),
            // A string is sent as one text block, so the block rule applies.
            Some(Value::String(s)) if s.trim().is_empty() && !final_assistant => self.error_at(
                &top("messages"),
                &at.key("content"),
                BLANK_TEXT_BLOCK,
                "The message is only spaces or line breaks: give it text, or remove it.",
            ),
            Some(Value::Array(blocks)) if blocks.is_empty() && !final_assistant => self.error(
                at,
                EMPTY_CONTENT,
                "Give the message at least one block, or remove it.",
            ),
            Some(Value::Array(blocks)) => {
                for (j, block) in blocks.iter().enumerate() {
                    if block.get("type").and_then(Value::as_str) != Some("text") {
                        continue;
                    }
                    let text_at = at.key("content").idx(j).key("text");
                    match block.get("text").and_then(Value::as_str) {
                        Some("") => self.error_at(
                            &top("messages"),
                            &text_at,
                            EMPTY_TEXT_BLOCK,
                            "Remove the empty text block or give it text.",
                        ),
                        Some(t) if t.trim().is_empty() && !final_assistant => self.error_at(
                            &top("messages"),
                            &text_at,
                            BLANK_TEXT_BLOCK,
                            "Remove the blank text block or give it text.",
                        ),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Blocks only one side of the conversation sends: the model's tool
    /// calls and thinking are assistant content, tool results are user
    /// content.
    fn block_roles(&mut self, messages: &[Value]) {
        for (i, message) in messages.iter().enumerate() {
            let role = message.get("role").and_then(Value::as_str);
            let Some(blocks) = message.get("content").and_then(Value::as_array) else {
                continue;
            };
            for (j, block) in blocks.iter().enumerate() {
                let at = top("messages").idx(i).key("content").idx(j);
                match (role, block.get("type").and_then(Value::as_str)) {
                    // unverified: wording and path.
                    (Some("user"), Some(kind @ ("tool_use" | "server_tool_use"))) => self.error(
                        &at,
                        format!("`{kind}` blocks can only be in `assistant` messages"),
                        "Tool calls come from the model: keep the block in the assistant message that made it, and answer it with a tool_result block in the user message after it.",
                    ),
                    // unverified: wording and path.
                    (Some("assistant"), Some("tool_result")) => self.error(
                        &at,
                        "`tool_result` blocks can only be in `user` messages",
                        "Send the tool's result in a user message right after the assistant message with the matching tool_use.",
                    ),
                    (Some("user"), Some(kind @ ("thinking" | "redacted_thinking"))) => self.warning(
                        &at,
                        400,
                        format!("`{kind}` blocks belong in `assistant` messages"),
                        "Send thinking blocks back unchanged in the assistant message they came from.",
                    ),
                    _ => {}
                }
            }
        }
    }

    fn system_messages(&mut self, messages: &[Value]) {
        for (i, message) in messages.iter().enumerate() {
            if message.get("role").and_then(Value::as_str) != Some("system") {
                continue;
            }
            let role_at = top("messages").idx(i).key("role");
            let previous = i.checked_sub(1).and_then(|p| messages.get(p));
            let follows_user =
                previous.and_then(|m| m.get("role")).and_then(Value::as_str) == Some("user");
            if self.model.is_some_and(|m| !m.system_messages) {
                let fix =
                    self.with_openai_hint("Move the text into the top-level \"system\" field.");
                // unverified: wording.
                self.error_at(
                    &At::default(),
                    &role_at,
                    "role 'system' is not supported on this model",
                    fix,
                );
            } else if !follows_user {
                let fix = self.with_openai_hint("Put the system prompt in the top-level \"system\" field; a system message may only follow a user turn.");
                self.warning(
                    &role_at,
                    400,
                    "a system message must immediately follow a user message",
                    fix,
                );
            }
        }
    }

    /// Each tool_result answers a tool_use of the assistant turn right
    /// before it; each tool_use is answered in the user turn right after.
    /// Consecutive messages of one role form one turn, as the API merges them.
    fn tool_pairing(&mut self, messages: &[Value]) {
        let turns = turns(messages);
        for (t, turn) in turns.iter().enumerate() {
            match turn.role {
                "user" => {
                    let asked = t
                        .checked_sub(1)
                        .and_then(|p| turns.get(p))
                        .filter(|p| p.role == "assistant")
                        .map(|p| block_ids(messages, p, "tool_use", "id"))
                        .unwrap_or_default();
                    self.unexpected_results(messages, turn, &asked);
                }
                "assistant" => {
                    let Some(next) = turns.get(t + 1) else {
                        continue;
                    };
                    let asked = block_ids(messages, turn, "tool_use", "id");
                    let answered = if next.role == "user" {
                        block_ids(messages, next, "tool_result", "tool_use_id")
                    } else {
                        Vec::new()
                    };
                    let missing: Vec<String> = asked
                        .into_iter()
                        .filter(|id| !answered.contains(id))
                        .collect();
                    if !missing.is_empty() {
                        let at = top("messages").idx(turn.last);
                        self.error(
                            &at,
                            format!("`tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.", missing.join(", ")),
                            "Answer every tool_use with a {\"type\": \"tool_result\", \"tool_use_id\": …} block in the very next user message.",
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn unexpected_results(&mut self, messages: &[Value], turn: &Turn, asked: &[String]) {
        for i in turn.first..=turn.last {
            let Some(blocks) = messages
                .get(i)
                .and_then(|m| m.get("content"))
                .and_then(Value::as_array)
            else {
                continue;
            };
            for (j, block) in blocks.iter().enumerate() {
                if block.get("type").and_then(Value::as_str) != Some("tool_result") {
                    continue;
                }
                let Some(id) = block.get("tool_use_id").and_then(Value::as_str) else {
                    continue;
                };
                if !asked.iter().any(|a| a == id) {
                    let at = top("messages").idx(i).key("content").idx(j);
                    self.error(
                        &at,
                        format!("unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."),
                        "Keep the assistant message with the matching tool_use block right before this one, and copy its id exactly.",
                    );
                }
            }
        }
    }

    fn ending(&mut self, messages: &[Value]) {
        let first_role = messages
            .first()
            .and_then(|m| m.get("role"))
            .and_then(Value::as_str);
        if first_role == Some("assistant") {
            self.warning(&top("messages").idx(0).key("role"), 200, "the first message has role \"assistant\"", "Conversations normally start with a user turn; check that no user message was lost.");
        }
        let (Some(index), Some(last)) = (messages.len().checked_sub(1), messages.last()) else {
            return;
        };
        if last.get("role").and_then(Value::as_str) != Some("assistant") {
            return;
        }
        let at = top("messages").idx(index);
        if self.model.is_some_and(|m| !m.prefill) {
            self.error_at(&At::default(), &at, PREFILL_UNSUPPORTED, "Remove the final assistant message; steer the format with the system prompt or output_config.format instead.");
            return;
        }
        if final_text(last).is_some_and(|t| t != t.trim_end()) {
            self.error_at(
                &top("messages"),
                &at.key("content"),
                "final assistant content cannot end with trailing whitespace",
                "Trim the trailing spaces and newlines from the prefill.",
            );
        }
    }

    pub(super) fn context_rule(&mut self) {
        let Some(spec) = self.model else { return };
        // count_tokens counts whatever it is given.
        if self.options.endpoint != Endpoint::Messages
            || self.present("messages").and_then(Value::as_array).is_none()
        {
            return;
        }
        let estimate = estimate_fields(self.body);
        if estimate > spec.context_window {
            self.error_at(
                &At::default(),
                &top("messages"),
                format!("prompt is too long: {estimate} tokens > {} maximum", spec.context_window),
                "Shorten the conversation or the documents. (The count is estimated at about 4 characters per token; POST /v1/messages/count_tokens gives the exact figure.)",
            );
        }
    }
}

/// A run of consecutive messages with one role.
struct Turn {
    role: &'static str,
    first: usize,
    last: usize,
}

fn turns(messages: &[Value]) -> Vec<Turn> {
    let mut turns: Vec<Turn> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = match message.get("role").and_then(Value::as_str) {
            Some("user") => "user",
            Some("assistant") => "assistant",
            _ => continue,
        };
        match turns.last_mut() {
            Some(turn) if turn.role == role => turn.last = i,
            _ => turns.push(Turn {
                role,
                first: i,
                last: i,
            }),
        }
    }
    turns
}

/// The `field` of every `kind` block in a turn.
fn block_ids(messages: &[Value], turn: &Turn, kind: &str, field: &str) -> Vec<String> {
    messages
        .iter()
        .take(turn.last + 1)
        .skip(turn.first)
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flatten()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some(kind))
        .filter_map(|b| b.get(field).and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// The text a prefill ends with.
fn final_text(message: &Value) -> Option<&str> {
    match message.get("content")? {
        Value::String(s) => Some(s),
        Value::Array(blocks) => {
            let last = blocks.last()?;
            (last.get("type")?.as_str()? == "text").then(|| last.get("text")?.as_str())?
        }
        _ => None,
    }
}

fn unknown_model_fix(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    let platform = if lower.starts_with("gpt")
        || lower.starts_with("o1")
        || lower.starts_with("o3")
        || lower.starts_with("o4")
    {
        "That is an OpenAI model; the Messages API serves Claude models. "
    } else if lower.starts_with("anthropic/")
        || lower.starts_with("anthropic.")
        || lower.contains('@')
        || lower.contains(":0")
    {
        "That looks like a gateway, Bedrock or Vertex id; the Claude API uses plain ids such as claude-sonnet-4-6. "
    } else {
        ""
    };
    let closest = models::closest(id, 3);
    let suggestion = if closest.is_empty() {
        String::new()
    } else {
        format!("Closest known ids: {}. ", closest.join(", "))
    };
    format!(
        "{platform}{suggestion}Unknown model ids answer 404 not_found_error; GET /v1/models lists the ids your key can use."
    )
}

/// A current model of the same line, for deprecation advice.
fn successor(spec: &ModelSpec) -> &'static str {
    let line = ["opus", "sonnet", "haiku"]
        .into_iter()
        .find(|l| spec.id.contains(l));
    models::all()
        .iter()
        .filter(|m| m.lifecycle == Lifecycle::Active && !m.is_snapshot())
        .find(|m| line.is_none_or(|l| m.id.contains(l)))
        .map_or("a current model", |m| m.id)
}
