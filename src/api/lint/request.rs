//! The rules for a Messages (or count_tokens) body.
//!
//! Problems are reported in the order the API checks: the body's shape,
//! required fields, each field's type and range (fields in a fixed order),
//! unknown fields, then the rules that relate fields to each other, to the
//! conversation and to the model. The caller moves warnings behind errors.

use serde_json::{Map, Value};

use super::{Endpoint, LintOptions, PathSegment, Problem, Severity};
use crate::api::models::{self, ModelSpec};

mod betas;
mod limits;
mod rules;
mod values;

/// The `anthropic-version` that removed the sampling parameters.
const VERSION_WITHOUT_SAMPLING: &str = "2026-10-21";
const MIN_THINKING_BUDGET: i64 = 1024;
const TOOL_NAME_PATTERN: &str = "^[a-zA-Z0-9_-]{1,128}$";
const TOOL_NAME_MAX: usize = 128;

const OPENAI_HINT: &str = "This body looks like an OpenAI Chat Completions request. The Messages API differs: the system prompt goes in the top-level \"system\" field, \"max_tokens\" is required, tools are {\"name\", \"description\", \"input_schema\"}, and tool results go back as a user message with \"tool_result\" blocks.";

/// One top-level field and where it is accepted.
struct Field {
    name: &'static str,
    count_tokens: bool,
    /// Removed by `anthropic-version: 2026-10-21`.
    sampling: bool,
}

const fn field(name: &'static str, count_tokens: bool) -> Field {
    Field {
        name,
        count_tokens,
        sampling: false,
    }
}

const fn sampling(name: &'static str) -> Field {
    Field {
        name,
        count_tokens: false,
        sampling: true,
    }
}

/// Required fields first, then the rest alphabetically, as the API lists
/// them; each value is checked by [`Checker::field_value`].
const FIELDS: &[Field] = &[
    field("max_tokens", false),
    field("messages", true),
    field("model", true),
    field("cache_control", true),
    field("container", false),
    field("diagnostics", false),
    field("inference_geo", false),
    field("metadata", false),
    field("output_config", true),
    field("service_tier", false),
    field("speed", true),
    field("stop_sequences", false),
    field("stream", false),
    field("system", true),
    sampling("temperature"),
    field("thinking", true),
    field("tool_choice", true),
    field("tools", true),
    sampling("top_k"),
    sampling("top_p"),
    field("user_profile_id", true),
    field("workspace_id", true),
    // Beta fields, sent by Claude Code and the SDKs' beta namespace.
    field("billing_policy", false),
    field("compaction", true),
    field("context_management", true),
    field("fallback_credit_token", false),
    field("fallbacks", false),
    field("mcp_servers", true),
    field("thread", false),
];

/// A place in the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct At(Vec<PathSegment>);

impl At {
    fn key(&self, key: &str) -> At {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_string()));
        At(segments)
    }

    fn idx(&self, index: usize) -> At {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        At(segments)
    }

    fn dotted(&self) -> String {
        super::dotted(&self.0)
    }
}

fn top(key: &str) -> At {
    At::default().key(key)
}

pub(super) fn check(body: &Value, options: &LintOptions) -> Vec<Problem> {
    let Value::Object(map) = body else {
        return vec![not_an_object(body)];
    };
    let mut checker = Checker::new(map, options);
    checker.required_fields();
    checker.field_values();
    checker.unknown_fields();
    checker.model_rules();
    checker.sampling_rules();
    checker.thinking_rules();
    checker.tool_rules();
    checker.conversation_rules();
    checker.context_rule();
    checker.limit_rules();
    checker.beta_rules();
    checker.out
}

const OPENAI_SEE_FIRST: &str = "(OpenAI-shaped body: see the first problem.)";

/// The OpenAI explanation is long: keep it on the first problem that has
/// it and point back to it from the others. Safe to call again after the
/// problems are reordered (`claudetui lint` prints them in reading order).
pub(super) fn explain_openai_once(problems: &mut [Problem]) {
    let mut seen = false;
    for problem in problems
        .iter_mut()
        .filter(|p| p.fix.contains(OPENAI_HINT) || p.fix.contains(OPENAI_SEE_FIRST))
    {
        problem.fix = if seen {
            problem.fix.replace(OPENAI_HINT, OPENAI_SEE_FIRST)
        } else {
            problem.fix.replace(OPENAI_SEE_FIRST, OPENAI_HINT)
        };
        seen = true;
    }
}

fn not_an_object(body: &Value) -> Problem {
    let fix = match body {
        Value::Array(_) => {
            "The body is a list; the Messages API takes one object: {\"model\": …, \"max_tokens\": …, \"messages\": [...]}. Put the list under \"messages\"."
        }
        _ => {
            "The body must be one JSON object: {\"model\": …, \"max_tokens\": …, \"messages\": [...]}."
        }
    };
    Problem {
        path: String::new(),
        severity: Severity::Error,
        // unverified: pydantic's wording for a model given a non-object.
        message: "Input should be a valid dictionary or object to extract fields from".into(),
        fix: fix.into(),
        status: 400,
        location: Vec::new(),
    }
}

struct Checker<'a> {
    body: &'a Map<String, Value>,
    options: &'a LintOptions,
    model: Option<&'static ModelSpec>,
    openai: bool,
    out: Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn new(body: &'a Map<String, Value>, options: &'a LintOptions) -> Self {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .and_then(models::lookup);
        Checker {
            body,
            options,
            model,
            openai: looks_like_openai(body),
            out: Vec::new(),
        }
    }

    // ----- reporting -------------------------------------------------------

    fn report(
        &mut self,
        severity: Severity,
        status: u16,
        path: &At,
        location: &At,
        message: String,
        fix: String,
    ) {
        self.out.push(Problem {
            path: path.dotted(),
            severity,
            message,
            fix,
            status,
            location: location.0.clone(),
        });
    }

    fn error(&mut self, at: &At, message: impl Into<String>, fix: impl Into<String>) {
        self.report(Severity::Error, 400, at, at, message.into(), fix.into());
    }

    /// An error the API reports under a different path (often none) than
    /// the place to fix.
    fn error_at(
        &mut self,
        path: &At,
        location: &At,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.report(
            Severity::Error,
            400,
            path,
            location,
            message.into(),
            fix.into(),
        );
    }

    fn warning(
        &mut self,
        at: &At,
        status: u16,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.report(
            Severity::Warning,
            status,
            at,
            at,
            message.into(),
            fix.into(),
        );
    }

    fn with_openai_hint(&self, fix: impl Into<String>) -> String {
        let fix = fix.into();
        if self.openai {
            format!("{fix} {OPENAI_HINT}").trim_start().to_string()
        } else {
            fix
        }
    }

    fn model_id(&self) -> Option<&'a str> {
        self.body.get("model").and_then(Value::as_str)
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    fn is_known_field(&self, name: &str) -> bool {
        FIELDS.iter().any(|f| {
            f.name == name
                && (self.options.endpoint == Endpoint::Messages || f.count_tokens)
                && !(f.sampling && self.sampling_removed_by_version())
        })
    }

    fn sampling_removed_by_version(&self) -> bool {
        self.options.anthropic_version.as_deref() == Some(VERSION_WITHOUT_SAMPLING)
    }

    // ----- typed readers: report the pydantic error, return the value -----

    fn int(&mut self, at: &At, value: &Value) -> Option<i64> {
        match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(i)
                } else if n.as_u64().is_some() {
                    Some(i64::MAX)
                } else {
                    let f = n.as_f64().unwrap_or(f64::NAN);
                    if f.fract() == 0.0 && f.is_finite() {
                        // pydantic accepts 1024.0 for an integer.
                        Some(f as i64)
                    } else {
                        self.error(
                            at,
                            "Input should be a valid integer, got a number with a fractional part",
                            "Use a whole number.",
                        );
                        None
                    }
                }
            }
            Value::String(s) => {
                // unverified: the API may coerce numeric strings (pydantic lax mode).
                let fix = if s.trim().parse::<i64>().is_ok() {
                    format!("Send the number without quotes: {}.", s.trim())
                } else {
                    "Use a whole number.".into()
                };
                self.error(at, "Input should be a valid integer", fix);
                None
            }
            _ => {
                self.error(at, "Input should be a valid integer", "Use a whole number.");
                None
            }
        }
    }

    fn number(&mut self, at: &At, value: &Value) -> Option<f64> {
        match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                self.error(
                    at,
                    "Input should be a valid number",
                    format!("Send the number without quotes: {}.", s.trim()),
                );
                None
            }
            _ => {
                self.error(
                    at,
                    "Input should be a valid number",
                    "Use a number such as 0.7.",
                );
                None
            }
        }
    }

    fn string<'v>(&mut self, at: &At, value: &'v Value) -> Option<&'v str> {
        let text = value.as_str();
        if text.is_none() {
            self.error(
                at,
                "Input should be a valid string",
                "Use a string in double quotes.",
            );
        }
        text
    }

    fn boolean(&mut self, at: &At, value: &Value) -> Option<bool> {
        let flag = value.as_bool();
        if flag.is_none() {
            let fix = match value.as_str() {
                Some(s) => format!("Use true or false without quotes, not \"{s}\"."),
                None => "Use true or false.".into(),
            };
            self.error(at, "Input should be a valid boolean", fix);
        }
        flag
    }

    fn list<'v>(&mut self, at: &At, value: &'v Value, fix: &str) -> Option<&'v Vec<Value>> {
        let items = value.as_array();
        if items.is_none() {
            self.error(at, "Input should be a valid list", fix);
        }
        items
    }

    fn object<'v>(
        &mut self,
        at: &At,
        value: &'v Value,
        fix: &str,
    ) -> Option<&'v Map<String, Value>> {
        let map = value.as_object();
        if map.is_none() {
            self.error(at, "Input should be a valid dictionary", fix);
        }
        map
    }

    /// A required key of an object, or `Field required`.
    fn required<'v>(
        &mut self,
        at: &At,
        map: &'v Map<String, Value>,
        key: &str,
        fix: &str,
    ) -> Option<&'v Value> {
        let value = map.get(key);
        if value.is_none() {
            self.error(&at.key(key), "Field required", fix);
        }
        value
    }

    /// A string literal out of `allowed`, in pydantic's words.
    fn literal<'v>(
        &mut self,
        at: &At,
        value: &'v Value,
        allowed: &[&str],
        fix: &str,
    ) -> Option<&'v str> {
        match value.as_str() {
            Some(s) if allowed.contains(&s) => Some(s),
            _ => {
                self.error(at, format!("Input should be {}", one_of(allowed)), fix);
                None
            }
        }
    }

    /// The `type` tag of a block in a tagged union.
    fn tag<'v>(
        &mut self,
        at: &At,
        map: &'v Map<String, Value>,
        expected: &[&str],
        fix: &str,
    ) -> Option<&'v str> {
        match map.get("type").and_then(Value::as_str) {
            Some(tag) if expected.contains(&tag) => Some(tag),
            Some(tag) => {
                self.error(at, tag_mismatch(tag, expected), fix);
                None
            }
            None => {
                self.error(
                    at,
                    "Unable to extract tag using discriminator 'type'",
                    format!("Add \"type\": one of {}.", quoted_list(expected)),
                );
                None
            }
        }
    }

    fn range(&mut self, at: &At, value: f64, min: f64, max: Option<f64>, fix: &str) {
        if value < min {
            self.error(
                at,
                format!(
                    "Input should be greater than or equal to {}",
                    fmt_number(min)
                ),
                fix,
            );
        } else if let Some(max) = max.filter(|max| value > *max) {
            self.error(
                at,
                format!("Input should be less than or equal to {}", fmt_number(max)),
                fix,
            );
        }
    }

    // ----- phase 1: required fields ---------------------------------------

    fn required_fields(&mut self) {
        if self.options.endpoint == Endpoint::Messages && !self.body.contains_key("max_tokens") {
            let fix = if self.body.contains_key("max_completion_tokens") {
                "Rename OpenAI's \"max_completion_tokens\" to \"max_tokens\".".to_string()
            } else if self.body.contains_key("max_tokens_to_sample") {
                "\"max_tokens_to_sample\" is the old Text Completions name: use \"max_tokens\"."
                    .to_string()
            } else {
                let limit = self.model.map_or(String::new(), |m| {
                    format!(" ({} allows up to {})", m.id, m.max_output_tokens)
                });
                format!("Add \"max_tokens\": the most tokens the answer may use, e.g. 1024{limit}.")
            };
            let fix = self.with_openai_hint(fix);
            self.error(&top("max_tokens"), "Field required", fix);
        }
        if !self.body.contains_key("messages") {
            let fix = if self.body.contains_key("prompt") {
                "\"prompt\" is the old Text Completions API: send \"messages\": [{\"role\": \"user\", \"content\": \"…\"}] instead."
            } else if self.body.contains_key("input") {
                "\"input\" is OpenAI's Responses API: send \"messages\": [{\"role\": \"user\", \"content\": \"…\"}] instead."
            } else {
                "Add \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]."
            };
            self.error(&top("messages"), "Field required", fix);
        }
        if !self.body.contains_key("model") {
            self.error(&top("model"), "Field required", "Add \"model\", e.g. \"claude-sonnet-4-6\"; GET /v1/models lists the ids your key can use.");
        }
    }

    // ----- phase 3: unknown fields ------------------------------------------

    fn unknown_fields(&mut self) {
        let unknown: Vec<&String> = self
            .body
            .keys()
            .filter(|k| !self.is_known_field(k))
            .collect();
        for (n, key) in unknown.into_iter().enumerate() {
            // Past a thousand unknown fields the body is no typo: the
            // nearest-name search (a string distance per known field)
            // would only make a hostile body slow.
            let fix = if n < SUGGESTED_MAX {
                self.unknown_field_fix(key)
            } else {
                PLAIN_UNKNOWN_FIX.to_string()
            };
            self.error(&top(key), "Extra inputs are not permitted", fix);
        }
    }

    fn unknown_field_fix(&self, key: &str) -> String {
        if self.options.endpoint == Endpoint::CountTokens && FIELDS.iter().any(|f| f.name == key) {
            return format!(
                "count_tokens does not take \"{key}\": remove it (it only counts the input)."
            );
        }
        if self.sampling_removed_by_version() && FIELDS.iter().any(|f| f.name == key && f.sampling)
        {
            return format!(
                "anthropic-version {VERSION_WITHOUT_SAMPLING} removed \"{key}\": remove it, or send anthropic-version 2023-06-01."
            );
        }
        if let Some(fix) = openai_field_fix(key) {
            return self.with_openai_hint(fix);
        }
        if let Some(fix) = renamed_field_fix(key) {
            return fix;
        }
        match self.nearest_field(key) {
            Some(name) => format!("Did you mean \"{name}\"?"),
            None => PLAIN_UNKNOWN_FIX.to_string(),
        }
    }

    fn nearest_field(&self, key: &str) -> Option<&'static str> {
        let wanted = normalize_field(key);
        FIELDS
            .iter()
            .filter(|f| self.is_known_field(f.name))
            .map(|f| {
                (
                    f.name,
                    strsim::normalized_damerau_levenshtein(&wanted, &normalize_field(f.name)),
                )
            })
            .filter(|(_, score)| *score >= 0.75)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, _)| name)
    }
}

fn looks_like_openai(body: &Map<String, Value>) -> bool {
    let openai_field = body.keys().any(|k| openai_field_fix(k).is_some());
    let messages = body.get("messages").and_then(Value::as_array);
    let openai_role = messages.is_some_and(|ms| {
        ms.iter().any(|m| {
            matches!(
                m.get("role").and_then(Value::as_str),
                Some("tool" | "function" | "developer")
            ) || m.get("tool_calls").is_some()
        })
    });
    let leading_system = messages
        .and_then(|ms| ms.first())
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        == Some("system");
    let openai_tools = body
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| t.get("function").is_some()));
    openai_field || openai_role || leading_system || openai_tools
}

/// What to do with a field that only OpenAI's Chat Completions API has.
fn openai_field_fix(key: &str) -> Option<&'static str> {
    Some(match key {
        "frequency_penalty" | "presence_penalty" => {
            "The Messages API has no repetition penalties: remove it."
        }
        "n" => {
            "The Messages API returns one answer per request (no \"n\"): send several requests instead."
        }
        "response_format" => {
            "For JSON output use \"output_config\": {\"format\": {\"type\": \"json_schema\", \"schema\": {…}}}."
        }
        "logprobs" | "top_logprobs" => {
            "The Messages API does not return log probabilities: remove it."
        }
        "logit_bias" => "The Messages API has no logit bias: remove it.",
        "seed" => "The Messages API has no seed; answers are not reproducible by seed: remove it.",
        "user" => "Send the end-user id as \"metadata\": {\"user_id\": \"…\"}.",
        "functions" => {
            "Define tools as \"tools\": [{\"name\", \"description\", \"input_schema\"}]."
        }
        "function_call" => "Use \"tool_choice\": {\"type\": \"auto\" | \"any\" | \"tool\", …}.",
        "max_completion_tokens" => "Rename it to \"max_tokens\".",
        "parallel_tool_calls" => {
            "Use \"tool_choice\": {\"type\": \"auto\", \"disable_parallel_tool_use\": true}."
        }
        "stream_options" => {
            "Usage arrives in the message_start and message_delta events; remove it."
        }
        "reasoning_effort" => {
            "Use \"output_config\": {\"effort\": \"low\" | \"medium\" | \"high\"} (and \"thinking\")."
        }
        "store" | "modalities" | "audio" | "prediction" | "web_search_options" | "verbosity" => {
            "OpenAI-only field: remove it."
        }
        _ => return None,
    })
}

/// Fields from older Anthropic APIs or common misspellings with a known fix.
fn renamed_field_fix(key: &str) -> Option<String> {
    let fix = match key {
        "stop" | "stop_sequence" => "Use \"stop_sequences\": a list of strings.",
        "system_prompt" | "systemPrompt" | "instructions" | "system_message" => {
            "Use \"system\": a string or a list of text blocks."
        }
        "max_tokens_to_sample" | "max_output_tokens" | "maxOutputTokens" => "Use \"max_tokens\".",
        "prompt" => "\"prompt\" is the old Text Completions API: use \"messages\".",
        "input" => "\"input\" is OpenAI's Responses API: use \"messages\".",
        "reasoning" | "thinking_budget" | "budget_tokens" => {
            "Use \"thinking\": {\"type\": \"adaptive\"} or {\"type\": \"enabled\", \"budget_tokens\": N}."
        }
        "effort" => "Use \"output_config\": {\"effort\": …}.",
        "anthropic_version" | "anthropic-version" | "betas" | "anthropic_beta" => {
            "Send it as a header (anthropic-version / anthropic-beta), not in the body."
        }
        "api_key" | "x-api-key" => "Send the key in the x-api-key header, never in the body.",
        _ => return None,
    };
    Some(fix.to_string())
}

/// `maxTokens`, `max-tokens` and `max_tokens` all compare as `maxtokens`.
/// How many unknown fields get a "did you mean".
const SUGGESTED_MAX: usize = 1000;

const PLAIN_UNKNOWN_FIX: &str = "The Messages API rejects fields it does not know: remove it.";

fn normalize_field(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn tag_mismatch(tag: &str, expected: &[&str]) -> String {
    format!(
        "Input tag '{tag}' found using 'type' does not match any of the expected tags: {}",
        quoted_list(expected)
    )
}

/// `'a', 'b' or 'c'`, pydantic's way of listing literals.
fn one_of(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1` for 1.0, `0.5` for 0.5: the way pydantic prints bounds.
fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}
