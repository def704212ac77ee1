//! What changed between two exchanges: the request body structurally
//! (with paths), the headers, the outcome, the timing and the tokens.
//!
//! Claude Code and SDK agents resend the whole conversation on every turn,
//! so a plain field-by-field diff of two turns is mostly noise. Next to
//! the exact changes, [`Conversation`] says it the way a person reads it:
//! which messages were added (or dropped, after a compaction), whether
//! the system prompt or the tools changed (by name), the model,
//! `max_tokens`, the `anthropic-beta` values, and the input-token delta.

use serde::Serialize;
use serde_json::Value;

use super::{Exchange, ExchangeId};
use crate::api::types::{Header, header_value};
use crate::text::clip;

/// Past this many, body changes are counted, not listed.
pub const MAX_CHANGES: usize = 200;

/// How much of a value a change shows.
const VALUE_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeDiff {
    pub from: ExchangeId,
    pub to: ExchangeId,
    /// Seconds from the first's start to the second's.
    pub apart_secs: f64,
    /// Both carry the same client session id (Claude Code's).
    pub same_session: bool,
    /// `METHOD path` of each, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<(String, String)>,
    /// The Messages-level reading; `None` when a body is not a JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    /// Every change in the request body, in document order.
    pub body: Vec<Change>,
    /// Body changes beyond [`MAX_CHANGES`].
    pub body_more: usize,
    /// A body that is not JSON is compared as text: true when it differs.
    pub body_text_differs: bool,
    pub headers: Vec<Change>,
    pub outcome: Side<String>,
    pub status: Side<Option<u16>>,
    pub total_ms: Side<f64>,
    pub first_token_ms: Side<Option<f64>>,
    pub input_tokens: Side<Option<u64>>,
    pub output_tokens: Side<Option<u64>>,
}

/// A value on each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side<T> {
    pub from: T,
    pub to: T,
}

impl<T: PartialEq> Side<T> {
    fn of(from: T, to: T) -> Self {
        Side { from, to }
    }

    pub fn changed(&self) -> bool {
        self.from != self.to
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference at one place: a JSON path (`messages.3.content.0.text`)
/// or a header name. Values are shown as compact JSON, cut short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// The two requests read as turns of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub messages: Side<usize>,
    /// Leading messages both share (cache breakpoints aside).
    pub kept: usize,
    /// Messages of the second after the shared ones.
    pub added: Vec<MessageSummary>,
    /// Messages of the first after the shared ones (history rewritten,
    /// compacted, or a different conversation).
    pub dropped: Vec<MessageSummary>,
    pub system_changed: bool,
    pub tools: Side<usize>,
    pub tools_added: Vec<String>,
    pub tools_removed: Vec<String>,
    /// Tools of the same name whose definition changed.
    pub tools_changed: Vec<String>,
    pub model: Side<Option<String>>,
    pub max_tokens: Side<Option<u64>>,
    pub betas_added: Vec<String>,
    pub betas_removed: Vec<String>,
    /// Input tokens (cache reads and writes included) of the second minus
    /// the first, when both are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens_delta: Option<i64>,
}

/// One message, in a line: `assistant  thinking, text "I'll…", tool_use Bash`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageSummary {
    pub index: usize,
    pub role: String,
    pub preview: String,
}

/// Which of `earlier` (newest first) is the turn before `exchange`: of
/// those to the same endpoint, the one whose messages it continues
/// furthest (Claude Code interleaves its sub-agents' requests with the main
/// conversation in one session), the newest on a tie, or the newest when
/// none shares a message.
pub fn previous_turn<'a>(exchange: &Exchange, earlier: &'a [Exchange]) -> Option<&'a Exchange> {
    let endpoint = |ex: &Exchange| {
        let path = ex.request.api_path();
        let path = path.split('?').next().unwrap_or(path).to_owned();
        (ex.request.method.to_ascii_uppercase(), path)
    };
    let mine_endpoint = endpoint(exchange);
    let messages = |ex: &Exchange| {
        ex.request
            .json()
            .and_then(|b| b.get("messages").and_then(Value::as_array).cloned())
            .unwrap_or_default()
    };
    let mine = messages(exchange);
    let shared = |other: &Exchange| {
        messages(other)
            .iter()
            .zip(&mine)
            .take_while(|(x, y)| without_cache_control(x) == without_cache_control(y))
            .count()
    };
    let mut best: Option<(&Exchange, usize)> = None;
    for candidate in earlier.iter().filter(|c| endpoint(c) == mine_endpoint) {
        let kept = shared(candidate);
        if best.is_none_or(|(_, most)| kept > most) {
            best = Some((candidate, kept));
        }
    }
    best.map(|(ex, _)| ex)
}

/// Compares `from` with `to`.
pub fn diff(from: &Exchange, to: &Exchange) -> ExchangeDiff {
    let (a, b) = (from.request.json(), to.request.json());
    let mut body = Vec::new();
    let mut body_text_differs = false;
    match (&a, &b) {
        (Some(a), Some(b)) => compare(a, b, "", &mut body),
        _ => body_text_differs = from.request.body != to.request.body,
    }
    let body_more = body.len().saturating_sub(MAX_CHANGES);
    body.truncate(MAX_CHANGES);
    let conversation = match (&a, &b) {
        (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) => {
            Some(conversation(a, b, from, to))
        }
        _ => None,
    };
    let endpoint = |ex: &Exchange| format!("{} {}", ex.request.method, ex.request.api_path());
    let session = |ex: &Exchange| ex.client.as_ref().and_then(|c| c.session.clone());
    ExchangeDiff {
        from: from.id.clone(),
        to: to.id.clone(),
        apart_secs: to
            .started_at
            .signed_duration_since(from.started_at)
            .num_milliseconds() as f64
            / 1000.0,
        same_session: session(from).is_some() && session(from) == session(to),
        endpoint: (endpoint(from) != endpoint(to)).then(|| (endpoint(from), endpoint(to))),
        conversation,
        body,
        body_more,
        body_text_differs,
        headers: header_changes(&from.request.headers, &to.request.headers),
        outcome: Side::of(from.outcome.slug().into(), to.outcome.slug().into()),
        status: Side::of(from.status(), to.status()),
        total_ms: Side::of(from.timing.total_ms, to.timing.total_ms),
        first_token_ms: Side::of(from.timing.first_token_ms, to.timing.first_token_ms),
        input_tokens: Side::of(
            from.usage.as_ref().map(|u| u.input_tokens),
            to.usage.as_ref().map(|u| u.input_tokens),
        ),
        output_tokens: Side::of(
            from.usage.as_ref().map(|u| u.output_tokens),
            to.usage.as_ref().map(|u| u.output_tokens),
        ),
    }
}

/// Compact JSON, cut to [`VALUE_CHARS`].
fn show(value: &Value) -> String {
    let text = match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    };
    clip(&text, VALUE_CHARS)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn push(out: &mut Vec<Change>, path: String, from: Option<&Value>, to: Option<&Value>) {
    let kind = match (from, to) {
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    };
    out.push(Change {
        path,
        kind,
        from: from.map(show),
        to: to.map(show),
    });
}

/// Every difference between `a` and `b` under `path`. Tools are matched
/// by name (their order is not meaningful); other arrays by position.
fn compare(a: &Value, b: &Value, path: &str, out: &mut Vec<Change>) {
    if out.len() > MAX_CHANGES {
        // Counting on past the cap costs nothing worth knowing exactly.
        out.push(Change {
            path: path.to_owned(),
            kind: ChangeKind::Changed,
            from: None,
            to: None,
        });
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, va) in x {
                match y.get(key) {
                    Some(vb) => compare(va, vb, &join(path, key), out),
                    None => push(out, join(path, key), Some(va), None),
                }
            }
            for (key, vb) in y {
                if !x.contains_key(key) {
                    push(out, join(path, key), None, Some(vb));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if path == "tools" && by_name(x) && by_name(y) => {
            for tool in x {
                let name = tool_name(tool);
                let here = format!("tools[{name}]");
                match y.iter().find(|t| tool_name(t) == name) {
                    Some(other) => compare(tool, other, &here, out),
                    None => push(out, here, Some(tool), None),
                }
            }
            for tool in y {
                if !x.iter().any(|t| tool_name(t) == tool_name(tool)) {
                    push(out, format!("tools[{}]", tool_name(tool)), None, Some(tool));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                compare(va, vb, &join(path, &i.to_string()), out);
            }
            for (i, va) in x.iter().enumerate().skip(y.len()) {
                push(out, join(path, &i.to_string()), Some(va), None);
            }
            for (i, vb) in y.iter().enumerate().skip(x.len()) {
                push(out, join(path, &i.to_string()), None, Some(vb));
            }
        }
        _ if a != b => push(out, path.to_owned(), Some(a), Some(b)),
        _ => {}
    }
}

fn tool_name(tool: &Value) -> &str {
    tool.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// Tools can be matched by name when every one has a distinct name.
fn by_name(tools: &[Value]) -> bool {
    let names: std::collections::BTreeSet<&str> = tools.iter().map(tool_name).collect();
    names.len() == tools.len() && !names.contains("")
}

fn conversation(a: &Value, b: &Value, from: &Exchange, to: &Exchange) -> Conversation {
    let messages = |v: &Value| {
        v.get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (ma, mb) = (messages(a), messages(b));
    let kept = ma
        .iter()
        .zip(&mb)
        .take_while(|(x, y)| without_cache_control(x) == without_cache_control(y))
        .count();
    let summarize = |list: &[Value]| -> Vec<MessageSummary> {
        list.iter()
            .enumerate()
            .skip(kept)
            .map(|(index, m)| summarize_message(index, m))
            .collect()
    };
    let tools = |v: &Value| {
        v.get("tools")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (ta, tb) = (tools(a), tools(b));
    let names = |list: &[Value]| {
        list.iter()
            .map(|t| tool_name(t).to_owned())
            .collect::<Vec<_>>()
    };
    let (na, nb) = (names(&ta), names(&tb));
    let tools_changed = ta
        .iter()
        .filter_map(|t| {
            let other = tb.iter().find(|o| tool_name(o) == tool_name(t))?;
            (without_cache_control(t) != without_cache_control(other))
                .then(|| tool_name(t).to_owned())
        })
        .collect();
    let system = |v: &Value| v.get("system").map(without_cache_control);
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let (ba, bb) = (betas(&from.request.headers), betas(&to.request.headers));
    let input = |ex: &Exchange| {
        ex.usage.as_ref().map(|u| {
            i128::from(u.input_tokens)
                + i128::from(u.cache_read_input_tokens.unwrap_or(0))
                + i128::from(u.cache_creation_input_tokens.unwrap_or(0))
        })
    };
    Conversation {
        messages: Side::of(ma.len(), mb.len()),
        kept,
        added: summarize(&mb),
        dropped: summarize(&ma),
        system_changed: system(a) != system(b),
        tools: Side::of(ta.len(), tb.len()),
        tools_added: nb.iter().filter(|n| !na.contains(n)).cloned().collect(),
        tools_removed: na.iter().filter(|n| !nb.contains(n)).cloned().collect(),
        tools_changed,
        model: Side::of(text(a, "model"), text(b, "model")),
        max_tokens: Side::of(
            a.get("max_tokens").and_then(Value::as_u64),
            b.get("max_tokens").and_then(Value::as_u64),
        ),
        betas_added: bb.iter().filter(|v| !ba.contains(v)).cloned().collect(),
        betas_removed: ba.iter().filter(|v| !bb.contains(v)).cloned().collect(),
        input_tokens_delta: match (input(from), input(to)) {
            (Some(x), Some(y)) => Some(i64::try_from(y - x).unwrap_or(i64::MAX)),
            _ => None,
        },
    }
}

/// Every `anthropic-beta` value sent, in order.
fn betas(headers: &[Header]) -> Vec<String> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("anthropic-beta"))
        .flat_map(|h| h.value.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Claude Code moves its cache breakpoints to the newest turn every time;
/// a message whose only change is its `cache_control` is the same message.
fn without_cache_control(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "cache_control")
                .map(|(k, v)| (k.clone(), without_cache_control(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_cache_control).collect()),
        other => other.clone(),
    }
}

fn summarize_message(index: usize, message: &Value) -> MessageSummary {
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let preview = match message.get("content") {
        Some(Value::String(text)) => quoted(text),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .map(block_preview)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    MessageSummary {
        index,
        role,
        preview: clip(&preview, 120),
    }
}

fn quoted(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("\"{}\"", clip(&line, 60))
}

fn block_preview(block: &Value) -> String {
    let kind = block.get("type").and_then(Value::as_str).unwrap_or("?");
    let field = |name: &str| block.get(name).and_then(Value::as_str);
    match kind {
        "text" => format!("text {}", quoted(field("text").unwrap_or_default())),
        "tool_use" => format!("tool_use {}", field("name").unwrap_or("?")),
        "tool_result" => {
            let error = block.get("is_error").and_then(Value::as_bool) == Some(true);
            let text = match block.get("content") {
                Some(Value::String(text)) => Some(text.as_str()),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .find_map(|p| p.get("text").and_then(Value::as_str)),
                _ => None,
            };
            format!(
                "tool_result{}{}",
                if error { " (error)" } else { "" },
                text.map_or(String::new(), |t| format!(" {}", quoted(t)))
            )
        }
        other => other.to_owned(),
    }
}

/// Header changes by name (case-insensitive), in the second's order.
fn header_changes(from: &[Header], to: &[Header]) -> Vec<Change> {
    let mut out = Vec::new();
    let value = |list: &[Header], name: &str| header_value(list, name).map(str::to_owned);
    for header in from {
        if value(to, &header.name).is_none() {
            out.push(Change {
                path: header.name.to_ascii_lowercase(),
                kind: ChangeKind::Removed,
                from: Some(clip(&header.value, VALUE_CHARS)),
                to: None,
            });
        }
    }
    for header in to {
        match value(from, &header.name) {
            None => out.push(Change {
                path: header.name.to_ascii_lowercase(),
                kind: ChangeKind::Added,
                from: None,
                to: Some(clip(&header.value, VALUE_CHARS)),
            }),
            Some(before) if before != header.value => out.push(Change {
                path: header.name.to_ascii_lowercase(),
                kind: ChangeKind::Changed,
                from: Some(clip(&before, VALUE_CHARS)),
                to: Some(clip(&header.value, VALUE_CHARS)),
            }),
            Some(_) => {}
        }
    }
    out
}

impl ExchangeDiff {
    /// The comparison as text, most useful first. Text from the requests
    /// is made printable.
    pub fn to_text(&self) -> String {
        let mut lines = vec![self.heading()];
        if let Some((a, b)) = &self.endpoint {
            lines.push(format!("endpoint: {a} → {b}"));
        }
        if let Some(conversation) = &self.conversation {
            lines.extend(conversation.lines());
        }
        lines.push(String::new());
        lines.extend(self.body_lines());
        lines.push(String::new());
        lines.extend(self.header_lines());
        lines.push(String::new());
        lines.push(self.outcome_line());
        lines.push(self.timing_line());
        crate::text::printable(&(lines.join("\n") + "\n"))
    }

    fn heading(&self) -> String {
        let session = if self.same_session {
            ", same client session"
        } else {
            ""
        };
        format!(
            "{} → {} ({} apart{session})",
            self.from,
            self.to,
            seconds(self.apart_secs)
        )
    }

    fn body_lines(&self) -> Vec<String> {
        if self.body_text_differs {
            return vec!["request body: not JSON on one side; the texts differ".into()];
        }
        if self.body.is_empty() {
            return vec!["request body: identical".into()];
        }
        let total = self.body.len() + self.body_more;
        let mut lines = vec![format!(
            "request body, field by field ({}):",
            plural(total, "change")
        )];
        lines.extend(self.body.iter().map(change_line));
        if self.body_more > 0 {
            lines.push(format!("  … and {} more", self.body_more));
        }
        lines
    }

    fn header_lines(&self) -> Vec<String> {
        if self.headers.is_empty() {
            return vec!["headers: identical".into()];
        }
        let mut lines = vec![format!(
            "headers ({}):",
            plural(self.headers.len(), "change")
        )];
        lines.extend(self.headers.iter().map(change_line));
        lines
    }

    fn outcome_line(&self) -> String {
        let side = |status: &Option<u16>, outcome: &str| match status {
            Some(status) => format!("{status} {outcome}"),
            None => outcome.to_owned(),
        };
        let (from, to) = (
            side(&self.status.from, &self.outcome.from),
            side(&self.status.to, &self.outcome.to),
        );
        if from == to {
            format!("response: {to} on both")
        } else {
            format!("response: {from} → {to}")
        }
    }

    fn timing_line(&self) -> String {
        let mut parts = vec![format!(
            "total {} → {} ({})",
            crate::text::format_latency(self.total_ms.from),
            crate::text::format_latency(self.total_ms.to),
            signed_ms(self.total_ms.to - self.total_ms.from)
        )];
        if let (Some(a), Some(b)) = (self.first_token_ms.from, self.first_token_ms.to) {
            parts.push(format!(
                "first token {} → {}",
                crate::text::format_latency(a),
                crate::text::format_latency(b)
            ));
        }
        if let (Some(a), Some(b)) = (self.output_tokens.from, self.output_tokens.to) {
            parts.push(format!(
                "output tokens {} → {}",
                crate::text::thousands(a),
                crate::text::thousands(b)
            ));
        }
        format!("timing: {}", parts.join(" · "))
    }
}

impl Conversation {
    /// The turn-level reading, a few lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut head = format!(
            "conversation: {} → {} messages ({} kept",
            self.messages.from, self.messages.to, self.kept
        );
        if !self.added.is_empty() {
            head.push_str(&format!(", {} added", self.added.len()));
        }
        if !self.dropped.is_empty() {
            head.push_str(&format!(", {} dropped", self.dropped.len()));
        }
        head.push(')');
        lines.push(head);
        for m in &self.dropped {
            lines.push(format!(
                "  − messages.{:<3} {:<9} {}",
                m.index, m.role, m.preview
            ));
        }
        for m in &self.added {
            lines.push(format!(
                "  + messages.{:<3} {:<9} {}",
                m.index, m.role, m.preview
            ));
        }
        let mut facts = Vec::new();
        facts.push(format!(
            "system: {}",
            if self.system_changed {
                "changed"
            } else {
                "unchanged"
            }
        ));
        let tool_changes = !(self.tools_added.is_empty()
            && self.tools_removed.is_empty()
            && self.tools_changed.is_empty());
        if tool_changes {
            let mut t = format!("tools: {} → {}", self.tools.from, self.tools.to);
            for (sign, names) in [
                ("+", &self.tools_added),
                ("−", &self.tools_removed),
                ("~", &self.tools_changed),
            ] {
                if !names.is_empty() {
                    t.push_str(&format!(" {sign} {}", names.join(", ")));
                }
            }
            facts.push(t);
        } else {
            facts.push(format!("tools: unchanged ({})", self.tools.to));
        }
        facts.push(match (&self.model.from, &self.model.to) {
            (a, b) if a == b => format!("model: {}", b.as_deref().unwrap_or("—")),
            (a, b) => format!(
                "model: {} → {}",
                a.as_deref().unwrap_or("—"),
                b.as_deref().unwrap_or("—")
            ),
        });
        let max = |v: &Option<u64>| v.map_or("—".to_owned(), crate::text::thousands);
        facts.push(if self.max_tokens.changed() {
            format!(
                "max_tokens: {} → {}",
                max(&self.max_tokens.from),
                max(&self.max_tokens.to)
            )
        } else {
            format!("max_tokens: {}", max(&self.max_tokens.to))
        });
        lines.push(facts.join(" · "));
        if !(self.betas_added.is_empty() && self.betas_removed.is_empty()) {
            let mut b = "anthropic-beta:".to_owned();
            if !self.betas_added.is_empty() {
                b.push_str(&format!(" + {}", self.betas_added.join(", ")));
            }
            if !self.betas_removed.is_empty() {
                b.push_str(&format!(" − {}", self.betas_removed.join(", ")));
            }
            lines.push(b);
        }
        if let Some(delta) = self.input_tokens_delta {
            lines.push(format!("input tokens: {}", signed(delta)));
        }
        lines
    }
}

fn change_line(change: &Change) -> String {
    let none = String::new();
    match change.kind {
        ChangeKind::Added => format!(
            "  + {}  {}",
            change.path,
            change.to.as_ref().unwrap_or(&none)
        ),
        ChangeKind::Removed => format!(
            "  − {}  {}",
            change.path,
            change.from.as_ref().unwrap_or(&none)
        ),
        ChangeKind::Changed => format!(
            "  ~ {}  {} → {}",
            change.path,
            change.from.as_ref().unwrap_or(&none),
            change.to.as_ref().unwrap_or(&none)
        ),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn signed(n: i64) -> String {
    let magnitude = crate::text::thousands(n.unsigned_abs());
    if n < 0 {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

fn signed_ms(ms: f64) -> String {
    let sign = if ms < 0.0 { "−" } else { "+" };
    format!("{sign}{}", crate::text::format_latency(ms.abs()))
}

fn seconds(secs: f64) -> String {
    if secs.abs() < 60.0 {
        format!("{secs:.1} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Usage;
    use serde_json::json;

    /// Turn `n` of a Claude-Code-like session: the conversation so far,
    /// the newest user block carrying the cache breakpoint.
    fn turn(n: usize, extra_tool: bool) -> Exchange {
        let mut messages =
            vec![json!({"role": "user", "content": [{"type": "text", "text": "fix the bug"}]})];
        for i in 0..n {
            messages.push(json!({"role": "assistant", "content": [
                {"type": "thinking", "thinking": "…", "signature": "sig"},
                {"type": "tool_use", "id": format!("toolu_{i}"), "name": "Bash", "input": {"command": "ls"}}
            ]}));
            messages.push(json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": format!("toolu_{i}"), "content": "src\nCargo.toml"}
            ]}));
        }
        if let Some(last) = messages.last_mut() {
            last["content"][0]["cache_control"] = json!({"type": "ephemeral"});
        }
        let mut tools = vec![json!({"name": "Bash", "input_schema": {"type": "object"}})];
        if extra_tool {
            tools.push(json!({"name": "WebFetch", "input_schema": {"type": "object"}}));
        }
        let body = json!({
            "model": "claude-opus-4-8", "max_tokens": 64000, "stream": true,
            "system": [{"type": "text", "text": "You are Claude Code."}],
            "tools": tools, "messages": messages
        });
        let mut ex = crate::test_support::tapped(n as i64, "claude-opus-4-8", Some(200));
        ex.request.body = body.to_string();
        ex.request.headers.push(Header::new(
            "anthropic-beta",
            if extra_tool {
                "claude-code-20250219,effort-2025-11-24"
            } else {
                "claude-code-20250219"
            },
        ));
        ex.usage = Some(Usage {
            input_tokens: 10 + n as u64,
            cache_read_input_tokens: Some(1000 * n as u64),
            output_tokens: 50,
            ..Usage::default()
        });
        ex
    }

    #[test]
    fn a_next_turn_reads_as_messages_added_with_the_cache_breakpoint_moved() {
        let (a, b) = (turn(1, false), turn(2, true));
        let d = diff(&a, &b);
        assert!(d.same_session);
        let c = d.conversation.as_ref().unwrap();
        assert_eq!((c.messages.from, c.messages.to, c.kept), (3, 5, 3));
        assert!(c.dropped.is_empty());
        assert_eq!(c.added.len(), 2);
        assert_eq!(c.added[0].role, "assistant");
        assert_eq!(c.added[0].preview, "thinking, tool_use Bash");
        assert_eq!(c.added[1].preview, "tool_result \"src Cargo.toml\"");
        assert!(!c.system_changed);
        assert_eq!(c.tools_added, ["WebFetch"]);
        assert_eq!(c.betas_added, ["effort-2025-11-24"]);
        assert_eq!(c.input_tokens_delta, Some(1001));
        let paths: Vec<&str> = d.body.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tools[WebFetch]",
                "messages.2.content.0.cache_control",
                "messages.3",
                "messages.4"
            ],
            "in the body's own order"
        );
        assert_eq!(d.body[1].kind, ChangeKind::Removed);
        let text = d.to_text();
        assert!(
            text.contains("conversation: 3 → 5 messages (3 kept, 2 added)"),
            "{text}"
        );
        assert!(text.contains("tools: 1 → 2 + WebFetch"), "{text}");
        assert!(
            text.contains("anthropic-beta: + effort-2025-11-24"),
            "{text}"
        );
        assert!(text.contains("input tokens: +1,001"), "{text}");
        assert!(
            text.contains(
                "~ anthropic-beta  claude-code-20250219 → claude-code-20250219,effort-2025-11-24"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_previous_turn_is_the_one_continued_not_just_the_newest() {
        let main = turn(1, false);
        let mut subagent = turn(0, false);
        subagent.request.body = json!({"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": "explore the repo"}
        ]})
        .to_string();
        let next = turn(2, false);
        let earlier = [subagent.clone(), main.clone()];
        assert_eq!(
            previous_turn(&next, &earlier).map(|e| &e.id),
            Some(&main.id)
        );
        let unrelated = [subagent.clone()];
        assert_eq!(
            previous_turn(&next, &unrelated).map(|e| &e.id),
            Some(&subagent.id)
        );
        let mut probe = main.clone();
        probe.request.method = "HEAD".into();
        probe.request.url = "https://api.anthropic.com/".into();
        assert!(
            previous_turn(&next, &[probe]).is_none(),
            "another endpoint is no earlier turn"
        );
        assert!(previous_turn(&next, &[]).is_none());
    }

    #[test]
    fn a_rewritten_history_reads_as_dropped_and_added() {
        let long = turn(3, false);
        let mut compacted = turn(0, false);
        compacted.request.body =
            json!({"model": "claude-opus-4-8", "max_tokens": 64000, "messages": [
                {"role": "user", "content": "Summary of the conversation so far: …"}
            ]})
            .to_string();
        let c = diff(&long, &compacted).conversation.unwrap();
        assert_eq!(c.kept, 0);
        assert_eq!(c.dropped.len(), 7);
        assert_eq!(c.added.len(), 1);
        assert!(c.system_changed);
    }

    #[test]
    fn headers_status_and_text_bodies_are_compared() {
        let a = crate::test_support::exchange(1, "m", Some(200));
        let mut b = crate::test_support::exchange(2, "m", Some(429));
        b.request
            .headers
            .push(Header::new("x-stainless-retry-count", "1"));
        b.request.body = "not json\u{1b}[2J".into();
        let d = diff(&a, &b);
        assert!(d.body_text_differs);
        assert!(d.conversation.is_none());
        assert_eq!(d.headers.len(), 1);
        assert_eq!(d.headers[0].kind, ChangeKind::Added);
        let text = d.to_text();
        assert!(
            text.contains("response: 200 ok → 429 rate-limited"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["status"]["to"], 429);
        assert_eq!(json["headers"][0]["path"], "x-stainless-retry-count");
    }

    #[test]
    fn a_huge_difference_is_capped_and_counted() {
        let mut a = crate::test_support::exchange(1, "m", Some(200));
        let mut b = a.clone();
        let many = |offset: usize| {
            let map: serde_json::Map<String, Value> = (0..500)
                .map(|i| (format!("k{i}"), json!(i + offset)))
                .collect();
            Value::Object(map).to_string()
        };
        a.request.body = many(0);
        b.request.body = many(1);
        let d = diff(&a, &b);
        assert_eq!(d.body.len(), MAX_CHANGES);
        assert!(d.body_more > 0);
        assert!(d.to_text().contains("… and"), "{}", d.to_text());
    }
}
