//! The quick fields above the editor (model, `max_tokens`, `stream`,
//! `temperature`): derived from the body on every change, and rewritten
//! into it by the composer's actions. Pure functions over
//! `serde_json::Map`, which keeps key order (`preserve_order`), so the
//! user's other fields stay where they were.
//!
//! Decisions, so the keys behave predictably:
//! - model: cycles through the ids `GET /v1/models` returned, or before
//!   they arrive through the built-in table's current (active, alias) ids;
//!   an id not in the list jumps to the first (or last) one.
//! - max_tokens: steps along [`TOKEN_LADDER`], clamped to the model's output
//!   limit when the built-in table knows the model; when the field is
//!   missing (or not a number) either key sets 1,024.
//! - stream: a missing `stream` is off (the API's default); toggling writes
//!   `true` / `false` explicitly rather than removing the field.
//! - temperature: steps by 0.1 within 0.0..=1.0 (stays at either end); a
//!   missing `temperature` counts as 1.0, the API's default, so `Warmer`
//!   writes 1.0 and `Cooler` writes 0.9. The field is never removed by a
//!   key: delete it in the editor to go back to the model's default.
//! - a new field is inserted next to the quick fields already present
//!   (model first), not appended after `messages`.

use serde_json::{Map, Value};

use crate::api::models::{self, Lifecycle};

/// The values the row of quick fields shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuickFields {
    pub model: Option<String>,
    /// Missing, or not a non-negative integer.
    pub max_tokens: Option<u64>,
    /// Missing means off.
    pub stream: Option<bool>,
    pub temperature: Option<f64>,
}

impl QuickFields {
    pub fn from_body(body: &Map<String, Value>) -> Self {
        QuickFields {
            model: body.get("model").and_then(Value::as_str).map(str::to_owned),
            max_tokens: body.get("max_tokens").and_then(Value::as_u64),
            stream: body.get("stream").and_then(Value::as_bool),
            temperature: body.get("temperature").and_then(Value::as_f64),
        }
    }
}

/// One change a quick-field key makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuickEdit {
    NextModel,
    PrevModel,
    MoreTokens,
    FewerTokens,
    ToggleStream,
    Warmer,
    Cooler,
}

/// The steps of `max_tokens`: round numbers people use, up to the largest
/// output limit in the model table.
pub const TOKEN_LADDER: [u64; 12] = [
    64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32000, 64000, 128000,
];

/// What `max_tokens` becomes when it is missing and a key steps it.
const DEFAULT_MAX_TOKENS: u64 = 1024;

/// The API's default temperature, in tenths.
const DEFAULT_TENTHS: i64 = 10;

/// Applies `edit` to `body`; answers the key it wrote. `models` is the list
/// to cycle through (empty: the built-in current ids).
pub fn apply(body: &mut Map<String, Value>, edit: QuickEdit, models: &[String]) -> &'static str {
    let fields = QuickFields::from_body(body);
    match edit {
        QuickEdit::NextModel | QuickEdit::PrevModel => {
            let ids = if models.is_empty() {
                known_model_ids()
            } else {
                models.to_vec()
            };
            let forward = edit == QuickEdit::NextModel;
            if let Some(id) = cycle_model(fields.model.as_deref(), &ids, forward) {
                set_field(body, "model", Value::from(id));
            }
            "model"
        }
        QuickEdit::MoreTokens | QuickEdit::FewerTokens => {
            let limit = fields
                .model
                .as_deref()
                .and_then(models::lookup)
                .map(|m| m.max_output_tokens);
            let up = edit == QuickEdit::MoreTokens;
            let value = step_tokens(fields.max_tokens, up, limit);
            set_field(body, "max_tokens", Value::from(value));
            "max_tokens"
        }
        QuickEdit::ToggleStream => {
            let on = fields.stream != Some(true);
            set_field(body, "stream", Value::from(on));
            "stream"
        }
        QuickEdit::Warmer | QuickEdit::Cooler => {
            let value = step_temperature(fields.temperature, edit == QuickEdit::Warmer);
            set_field(body, "temperature", Value::from(value));
            "temperature"
        }
    }
}

/// The built-in table's current ids: active aliases, newest first.
pub fn known_model_ids() -> Vec<String> {
    models::all()
        .iter()
        .filter(|m| m.lifecycle == Lifecycle::Active && !m.is_snapshot())
        .map(|m| m.id.to_owned())
        .collect()
}

/// The id after (or before) `current` in `ids`; the first (or last) when
/// `current` is not in the list. None for an empty list.
pub fn cycle_model(current: Option<&str>, ids: &[String], forward: bool) -> Option<String> {
    let n = ids.len();
    if n == 0 {
        return None;
    }
    let at = current.and_then(|c| ids.iter().position(|id| id == c));
    let next = match (at, forward) {
        (Some(i), true) => (i + 1) % n,
        (Some(i), false) => (i + n - 1) % n,
        (None, true) => 0,
        (None, false) => n - 1,
    };
    Some(ids[next].clone())
}

/// The next rung of [`TOKEN_LADDER`] above (or below) `current`, never
/// over `limit`. At either end of the ladder the value stays.
pub fn step_tokens(current: Option<u64>, up: bool, limit: Option<u64>) -> u64 {
    let value = match current {
        None => DEFAULT_MAX_TOKENS,
        Some(c) if up => TOKEN_LADDER.iter().copied().find(|&r| r > c).unwrap_or(c),
        Some(c) => TOKEN_LADDER
            .iter()
            .copied()
            .rev()
            .find(|&r| r < c)
            .unwrap_or(c),
    };
    limit.map_or(value, |limit| value.min(limit)).max(1)
}

/// One tenth warmer or cooler, within 0.0..=1.0. Counts in tenths so the
/// result is exactly `0.7`, never `0.7000000000000001`; a value between
/// tenths moves to the neighbouring tenth.
pub fn step_temperature(current: Option<f64>, warmer: bool) -> f64 {
    let tenths = match current {
        // An explicit default first, so the first press shows a value.
        None if warmer => DEFAULT_TENTHS,
        None => DEFAULT_TENTHS - 1,
        Some(t) if warmer => (t * 10.0 + 1e-9).floor() as i64 + 1,
        Some(t) => (t * 10.0 - 1e-9).ceil() as i64 - 1,
    };
    tenths.clamp(0, 10) as f64 / 10.0
}

/// Where each quick field goes when it is new: after the last of these
/// that is present, else first.
fn neighbours(key: &str) -> &'static [&'static str] {
    match key {
        "max_tokens" => &["model"],
        "stream" => &["model", "max_tokens"],
        "temperature" => &["model", "max_tokens", "stream"],
        _ => &[],
    }
}

/// Sets `key`, in place when it exists (order kept), else next to the
/// other quick fields.
fn set_field(body: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(slot) = body.get_mut(key) {
        *slot = value;
        return;
    }
    let index = neighbours(key)
        .iter()
        .filter_map(|k| body.keys().position(|existing| existing == k))
        .max()
        .map_or(0, |i| i + 1);
    body.shift_insert(index, key.to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test bodies are objects"),
        }
    }

    fn keys(body: &Map<String, Value>) -> Vec<&str> {
        body.keys().map(String::as_str).collect()
    }

    #[test]
    fn fields_come_from_the_body() {
        let body =
            object(json!({"model": "m", "max_tokens": 256, "stream": true, "temperature": 0.3}));
        assert_eq!(
            QuickFields::from_body(&body),
            QuickFields {
                model: Some("m".into()),
                max_tokens: Some(256),
                stream: Some(true),
                temperature: Some(0.3)
            }
        );
        let odd = object(json!({"model": 7, "max_tokens": "256", "stream": "yes"}));
        assert_eq!(QuickFields::from_body(&odd), QuickFields::default());
    }

    #[test]
    fn models_cycle_both_ways_and_wrap() {
        let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(cycle_model(Some("a"), &ids, true).as_deref(), Some("b"));
        assert_eq!(cycle_model(Some("c"), &ids, true).as_deref(), Some("a"));
        assert_eq!(cycle_model(Some("a"), &ids, false).as_deref(), Some("c"));
        assert_eq!(cycle_model(Some("zzz"), &ids, true).as_deref(), Some("a"));
        assert_eq!(cycle_model(None, &ids, false).as_deref(), Some("c"));
        assert_eq!(cycle_model(Some("a"), &[], true), None);
    }

    #[test]
    fn built_in_ids_are_current_aliases() {
        let ids = known_model_ids();
        assert!(ids.iter().any(|id| id == "claude-sonnet-4-6"), "{ids:?}");
        assert!(ids.iter().all(|id| !id.ends_with("20251001")), "{ids:?}");
        assert!(
            !ids.iter().any(|id| id == "claude-sonnet-4-5"),
            "deprecated"
        );
        let mut body = object(json!({"model": "claude-sonnet-4-6", "max_tokens": 1}));
        apply(&mut body, QuickEdit::NextModel, &[]);
        let at = ids
            .iter()
            .position(|id| id == "claude-sonnet-4-6")
            .unwrap_or(0);
        assert_eq!(body["model"], json!(ids[(at + 1) % ids.len()]));
    }

    #[test]
    fn served_models_take_precedence() {
        let served = vec!["x-1".to_string(), "x-2".to_string()];
        let mut body = object(json!({"model": "x-1"}));
        apply(&mut body, QuickEdit::NextModel, &served);
        assert_eq!(body["model"], "x-2");
        apply(&mut body, QuickEdit::NextModel, &served);
        assert_eq!(body["model"], "x-1");
        apply(&mut body, QuickEdit::PrevModel, &served);
        assert_eq!(body["model"], "x-2");
    }

    #[test]
    fn tokens_climb_and_descend_the_ladder() {
        assert_eq!(step_tokens(Some(256), true, None), 512);
        assert_eq!(step_tokens(Some(256), false, None), 128);
        assert_eq!(step_tokens(Some(300), true, None), 512);
        assert_eq!(step_tokens(Some(300), false, None), 256);
        assert_eq!(step_tokens(Some(16384), true, None), 32000);
        assert_eq!(step_tokens(Some(64), false, None), 64, "bottom stays");
        assert_eq!(step_tokens(Some(10), false, None), 10);
        assert_eq!(step_tokens(Some(0), false, None), 1);
        assert_eq!(step_tokens(Some(128000), true, None), 128000, "top stays");
        assert_eq!(step_tokens(None, true, None), 1024);
        assert_eq!(step_tokens(None, false, None), 1024);
    }

    #[test]
    fn tokens_clamp_to_the_models_output_limit() {
        assert_eq!(step_tokens(Some(32000), true, Some(64000)), 64000);
        assert_eq!(step_tokens(Some(64000), true, Some(64000)), 64000);
        assert_eq!(step_tokens(Some(200000), false, Some(64000)), 64000);
        let mut body = object(json!({"model": "claude-haiku-4-5", "max_tokens": 64000}));
        apply(&mut body, QuickEdit::MoreTokens, &[]);
        assert_eq!(body["max_tokens"], 64000, "Haiku 4.5 outputs at most 64K");
        let mut unknown = object(json!({"model": "someone-elses-model", "max_tokens": 64000}));
        apply(&mut unknown, QuickEdit::MoreTokens, &[]);
        assert_eq!(unknown["max_tokens"], 128000, "no limit known, no clamp");
    }

    #[test]
    fn stream_toggles_explicitly() {
        let mut body = object(json!({"model": "m", "messages": []}));
        apply(&mut body, QuickEdit::ToggleStream, &[]);
        assert_eq!(body["stream"], true);
        apply(&mut body, QuickEdit::ToggleStream, &[]);
        assert_eq!(body["stream"], false);
        apply(&mut body, QuickEdit::ToggleStream, &[]);
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn temperature_steps_by_tenths_within_range() {
        assert_eq!(step_temperature(Some(0.7), true), 0.8);
        assert_eq!(step_temperature(Some(0.7), false), 0.6);
        assert_eq!(step_temperature(Some(0.2), true).to_string(), "0.3");
        assert_eq!(step_temperature(Some(0.75), true), 0.8);
        assert_eq!(step_temperature(Some(0.75), false), 0.7);
        assert_eq!(step_temperature(Some(1.0), true), 1.0);
        assert_eq!(step_temperature(Some(0.0), false), 0.0);
        assert_eq!(step_temperature(Some(0.1), false), 0.0);
        assert_eq!(step_temperature(Some(1.7), false), 1.0);
        assert_eq!(step_temperature(None, true), 1.0);
        assert_eq!(step_temperature(None, false), 0.9);
        let mut walk = Some(0.0);
        for _ in 0..10 {
            walk = Some(step_temperature(walk, true));
        }
        assert_eq!(walk, Some(1.0));
        let mut body = object(json!({"temperature": 0.3}));
        apply(&mut body, QuickEdit::Warmer, &[]);
        assert_eq!(
            serde_json::to_string(&body).ok().as_deref(),
            Some(r#"{"temperature":0.4}"#)
        );
    }

    #[test]
    fn rewrites_keep_other_fields_and_their_order() {
        let mut body = object(json!({
            "messages": [{"role": "user", "content": "hi"}],
            "system": "s",
            "max_tokens": 256,
            "metadata": {"user_id": "u"},
            "model": "claude-sonnet-4-6"
        }));
        apply(&mut body, QuickEdit::MoreTokens, &[]);
        apply(&mut body, QuickEdit::NextModel, &["a".into()]);
        assert_eq!(
            keys(&body),
            ["messages", "system", "max_tokens", "metadata", "model"]
        );
        assert_eq!(body["max_tokens"], 512);
        assert_eq!(body["model"], "a");
        assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));
    }

    #[test]
    fn new_fields_go_next_to_the_other_quick_fields() {
        let mut body = object(json!({"model": "m", "max_tokens": 5, "messages": []}));
        apply(&mut body, QuickEdit::ToggleStream, &[]);
        apply(&mut body, QuickEdit::Cooler, &[]);
        assert_eq!(
            keys(&body),
            ["model", "max_tokens", "stream", "temperature", "messages"]
        );
        let mut bare = object(json!({"messages": []}));
        apply(&mut bare, QuickEdit::MoreTokens, &[]);
        apply(&mut bare, QuickEdit::NextModel, &["a".into()]);
        assert_eq!(keys(&bare), ["model", "max_tokens", "messages"]);
    }
}
