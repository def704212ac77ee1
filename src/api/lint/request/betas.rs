//! Phase 6: fields the API accepts only with an `anthropic-beta` value.
//!
//! Without the value the API answers `context_management: Extra inputs
//! are not permitted`, which reads like a typo; lint names the header
//! instead. When the headers are known (composer, `send`, a recorded
//! exchange) a missing value is the API's error; `claudetui lint FILE`
//! cannot see headers, so there it is a warning.

use serde_json::Value;

use super::{At, Checker, top};
use crate::api::betas::{self, BetaField};

impl Checker<'_> {
    pub(super) fn beta_rules(&mut self) {
        for (at, field) in self.gated_fields() {
            self.beta_field(&at, field);
        }
    }

    /// The gated fields present, top-level first, then inside tools.
    fn gated_fields(&self) -> Vec<(At, &'static BetaField)> {
        let mut found = Vec::new();
        for key in self.body.keys() {
            if let Some(field) = linted(key).filter(|_| self.present(key).is_some()) {
                found.push((top(key), field));
            }
        }
        let tools = self.present("tools").and_then(Value::as_array);
        for (i, tool) in tools.into_iter().flatten().enumerate() {
            let Some(tool) = tool.as_object() else {
                continue;
            };
            for key in tool.keys() {
                if let Some(field) = linted(key).filter(|_| !tool[key].is_null()) {
                    found.push((top("tools").idx(i).key(key), field));
                }
            }
        }
        found
    }

    fn beta_field(&mut self, at: &At, field: &BetaField) {
        let header = field.betas[0];
        let Some(sent) = self.options.anthropic_beta.as_ref() else {
            self.warning(
                at,
                400,
                format!("{} needs the header anthropic-beta: {header}", field.field),
                format!(
                    "{} ({}) is a beta field: send anthropic-beta: {header} with this body, or the API answers \"{}: Extra inputs are not permitted\". (Lint cannot see the headers of a file; a gateway may also strip the header.)",
                    field.field,
                    field.feature,
                    at.dotted()
                ),
            );
            return;
        };
        let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
        if betas::enabled(field, &sent) {
            return;
        }
        let carried = if sent.is_empty() {
            "the request sends no anthropic-beta".to_string()
        } else {
            format!("the request's anthropic-beta is {}", sent.join(","))
        };
        self.error(
            at,
            "Extra inputs are not permitted",
            format!(
                "{} ({}) is a beta field and {carried}: add {header} to anthropic-beta, or remove the field. If you do send it, a gateway on the way strips or refuses it.",
                field.field, field.feature
            ),
        );
    }
}

fn linted(key: &str) -> Option<&'static BetaField> {
    betas::BETA_FIELDS
        .iter()
        .find(|field| field.lint && field.field == key)
}
