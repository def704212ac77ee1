//! Request fields the API accepts only with an `anthropic-beta` value.
//!
//! Without the value, the API answers as for a field it does not know
//! (`context_management: Extra inputs are not permitted`), which reads
//! like a typo; with this table the answer names the header instead. A
//! gateway that strips `anthropic-beta` causes exactly this.

/// One beta-gated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BetaField {
    /// The field's name: a top-level key, or a key inside a tool.
    pub field: &'static str,
    /// The `anthropic-beta` values that enable it, newest first.
    pub betas: &'static [&'static str],
    /// The feature, in words.
    pub feature: &'static str,
    /// The API refuses the field without the value on every model, so lint
    /// can say so before sending. `container` and `output_config` are also
    /// accepted without one (code execution's GA tool, GA effort and
    /// structured outputs): only a refusal names their beta.
    pub lint: bool,
}

/// What Claude Code and the SDKs send behind betas (ANTHROPIC.md, the
/// SDKs' beta types).
pub const BETA_FIELDS: &[BetaField] = &[
    BetaField {
        field: "context_management",
        betas: &["context-management-2025-06-27"],
        feature: "context editing",
        lint: true,
    },
    BetaField {
        field: "defer_loading",
        betas: &["advanced-tool-use-2025-11-20"],
        feature: "tool search (deferred tools)",
        lint: true,
    },
    BetaField {
        field: "mcp_servers",
        betas: &["mcp-client-2025-11-20", "mcp-client-2025-04-04"],
        feature: "the MCP connector",
        lint: true,
    },
    BetaField {
        field: "container",
        betas: &["code-execution-2025-08-25", "skills-2025-10-02"],
        feature: "code-execution and skills containers",
        lint: false,
    },
    BetaField {
        field: "output_config",
        betas: &["effort-2025-11-24"],
        feature: "effort control",
        lint: false,
    },
];

/// The beta a field path needs (`context_management`, `tools.3.defer_loading`).
pub fn gating(path: &str) -> Option<&'static BetaField> {
    let last = path.rsplit('.').next().unwrap_or(path);
    BETA_FIELDS.iter().find(|b| b.field == last)
}

/// True when `sent` (the `anthropic-beta` header values) enables `field`.
pub fn enabled(field: &BetaField, sent: &[&str]) -> bool {
    field.betas.iter().any(|b| sent.contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_by_their_last_segment() {
        assert_eq!(
            gating("context_management").unwrap().betas[0],
            "context-management-2025-06-27"
        );
        assert_eq!(
            gating("tools.3.defer_loading").unwrap().field,
            "defer_loading"
        );
        assert!(gating("temperature").is_none());
        let field = gating("mcp_servers").unwrap();
        assert!(enabled(field, &["mcp-client-2025-04-04"]));
        assert!(!enabled(field, &["files-api-2025-04-14"]));
    }
}
