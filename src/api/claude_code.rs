//! What Claude Code sends, kept as data in one place: the doctor replays a
//! request of this shape when history holds no captured one, and the
//! embedded server's `claude-code-gateway` scenario refuses parts of it.
//!
//! Captured on loopback on 2026-12-04 from Claude Code 2.1.197 with
//! `claudetui tap -- claude -p "say hi"` (an API key, default settings),
//! and again with `CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1` to learn what
//! that setting drops. When Claude Code changes what it sends, capture it
//! the same way and update the tables below (ANTHROPIC.md has the list for
//! other versions).

use serde_json::{Value, json};

use super::models::{ModelSpec, ThinkingModes};

/// The version the tables below were captured from.
pub const CAPTURED_FROM: &str = "Claude Code 2.1.197";

/// Claude Code posts to this path (with the query), never the plain one.
pub const MESSAGES_PATH: &str = "/v1/messages?beta=true";

/// The setting that makes Claude Code leave out its experimental betas and
/// the fields they enable.
pub const DISABLE_EXPERIMENTAL_BETAS: &str = "CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1";

/// An experimental beta value Claude Code sends that gateways behind on
/// betas refuse (a LiteLLM-in-front-of-Vertex failure in the fixtures is
/// exactly this one); the embedded server's `claude-code-gateway` refuses it.
pub const PROMPT_CACHING_SCOPE_BETA: &str = "prompt-caching-scope-2026-01-05";

/// An experimental top-level field Claude Code sends that a gateway which
/// validates bodies strictly refuses; `claude-code-gateway` refuses it.
pub const CONTEXT_MANAGEMENT_FIELD: &str = "context_management";

/// One `anthropic-beta` value, and whether `DISABLE_EXPERIMENTAL_BETAS`
/// stops Claude Code sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beta {
    pub value: &'static str,
    pub experimental: bool,
}

const fn beta(value: &'static str, experimental: bool) -> Beta {
    Beta {
        value,
        experimental,
    }
}

/// The `anthropic-beta` values, in the order Claude Code sends them.
pub const BETAS: [Beta; 8] = [
    beta("claude-code-20250219", false),
    beta("context-1m-2025-08-07", false),
    beta("interleaved-thinking-2025-05-14", false),
    beta("thinking-token-count-2026-05-13", true),
    beta("context-management-2025-06-27", true),
    beta(PROMPT_CACHING_SCOPE_BETA, true),
    beta("mid-conversation-system-2026-04-07", false),
    beta("effort-2025-11-24", false),
];

/// A top-level body field beyond the Messages API's basics, and whether
/// `DISABLE_EXPERIMENTAL_BETAS` drops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub experimental: bool,
}

/// The fields a gateway is most likely to refuse; the replayed body has
/// each of them (when the model takes thinking).
pub const FIELDS: [Field; 3] = [
    Field {
        name: "thinking",
        experimental: false,
    },
    Field {
        name: CONTEXT_MANAGEMENT_FIELD,
        experimental: true,
    },
    Field {
        name: "output_config",
        experimental: false,
    },
];

/// The headers Claude Code adds to every Messages request, besides the
/// credential and `anthropic-version` (which come from the profile).
pub fn headers() -> Vec<(&'static str, String)> {
    vec![
        ("anthropic-beta", beta_header()),
        ("x-app", "cli".into()),
        (
            "user-agent",
            "claude-cli/2.1.197 (external, sdk-cli)".into(),
        ),
        ("anthropic-dangerous-direct-browser-access", "true".into()),
    ]
}

/// `anthropic-beta` as Claude Code sends it.
pub fn beta_header() -> String {
    BETAS.map(|b| b.value).join(",")
}

/// What `DISABLE_EXPERIMENTAL_BETAS` stops sending, if it does: the
/// beta value or field named.
pub fn dropped_by_setting(name: &str) -> bool {
    BETAS.iter().any(|b| b.value == name && b.experimental)
        || FIELDS.iter().any(|f| f.name == name && f.experimental)
}

/// A Messages body of Claude Code's shape for `model`: streaming, the
/// billing header first in `system`, a `<system-reminder>` before the
/// prompt, a `role: "system"` entry after it, one tool, metadata, and —
/// where the model takes adaptive thinking, as Claude Code's default
/// models do — `thinking`, `context_management` and `output_config`.
/// `max_tokens` is the caller's: a probe should stay cheap.
pub fn request_body(model: &str, spec: Option<&ModelSpec>, prompt: &str, max_tokens: u64) -> Value {
    let mut body = json!({
        "model": model,
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# currentDate\nToday's date is 2026-12-04.\n</system-reminder>\n\n"},
                {"type": "text", "text": prompt, "cache_control": {"type": "ephemeral"}}
            ]},
        ],
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197.123; cc_entrypoint=sdk-cli;"},
            {"type": "text", "text": "You are a Claude agent, built on Anthropic's Claude Agent SDK.", "cache_control": {"type": "ephemeral"}}
        ],
        "tools": [{
            "name": "Read",
            "description": "Reads a file from the local filesystem.",
            "input_schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"file_path": {"type": "string", "description": "The absolute path to the file to read"}},
                "required": ["file_path"],
                "additionalProperties": false
            }
        }],
        "metadata": {"user_id": "{\"device_id\":\"claudetui-doctor\",\"account_uuid\":\"\",\"session_id\":\"00000000-0000-4000-8000-000000000000\"}"},
        "max_tokens": max_tokens,
        "stream": true
    });
    let system_messages = spec.is_none_or(|s| s.system_messages);
    if system_messages && let Some(messages) = body["messages"].as_array_mut() {
        messages.push(json!({"role": "system", "content": "Available agent types for the Agent tool: none in this probe."}));
    }
    let adaptive = spec.is_none_or(|s| {
        matches!(
            s.thinking,
            ThinkingModes::AdaptiveOnly | ThinkingModes::ManualAndAdaptive
        )
    });
    if adaptive {
        body["thinking"] = json!({"type": "adaptive"});
        body[CONTEXT_MANAGEMENT_FIELD] =
            json!({"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]});
        body["output_config"] = json!({"effort": "high"});
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_what_was_captured() {
        assert_eq!(
            beta_header(),
            "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24"
        );
        assert!(dropped_by_setting("context_management"));
        assert!(dropped_by_setting("prompt-caching-scope-2026-01-05"));
        assert!(!dropped_by_setting("output_config"));
        assert!(!dropped_by_setting("claude-code-20250219"));
        let body = request_body("claude-opus-4-8", None, "hi", 32);
        for field in FIELDS {
            assert!(body.get(field.name).is_some(), "{}", field.name);
        }
        assert_eq!(body["messages"][1]["role"], "system");
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn a_model_without_adaptive_thinking_gets_none_of_its_fields() {
        let sonnet45 = crate::api::models::lookup("claude-sonnet-4-5").unwrap();
        assert_eq!(sonnet45.thinking, ThinkingModes::Manual);
        let body = request_body(sonnet45.id, Some(sonnet45), "hi", 32);
        for field in FIELDS {
            assert!(body.get(field.name).is_none(), "{}", field.name);
        }
        let opus = crate::api::models::lookup("claude-opus-4-8").unwrap();
        let body = request_body(opus.id, Some(opus), "hi", 32);
        assert_eq!(body["thinking"]["type"], "adaptive");
    }
}
