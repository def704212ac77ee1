//! Validation of a Messages request body: one implementation shared by the
//! embedded server (which answers the first error the way the API does),
//! `claudetui send`, the composer and `claudetui lint`.
//!
//! Wording follows the API: pydantic-style type errors (`Input should be a
//! valid integer`) and the API's own sentences (`messages: text content
//! blocks must be non-empty`). Where a sentence could not be checked against
//! a real answer, the rule that emits it says `// unverified`.
//!
//! On values: [`validate`] (every problem, errors first) and
//! [`first_error`] (what the API answers). On text: [`parse_json`] and
//! [`decode_utf8`] (line, column and a hint for the classic mistakes),
//! [`locate`] (a problem's `location` as a line and column) and
//! [`lint_text`] / [`lint_bytes`], which do all of it for the composer and
//! `claudetui lint`.

mod json;
mod locate;
mod request;
mod text;
mod tokens;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use json::{decode_utf8, parse_json};
pub use locate::{TextPosition, locate};
pub use text::{TextReport, lint_bytes, lint_text};
pub use tokens::estimate_input_tokens;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The API would reject the request.
    Error,
    /// Legal, but probably a mistake.
    Warning,
}

/// One step into a JSON document: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}

impl std::fmt::Display for PathSegment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathSegment::Index(i) => write!(f, "{i}"),
            PathSegment::Key(k) => f.write_str(k),
        }
    }
}

/// One problem in a request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Dotted path as the API writes it: `messages.1.content.0.text`; empty
    /// for the body as a whole.
    pub path: String,
    pub severity: Severity,
    /// The API's own wording after the path (`Field required`).
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// The status the API answers this with (400, or 404 for an unknown
    /// model; 200 for a warning the API accepts silently).
    pub status: u16,
    /// Where in the body the problem sits, segment by segment. Usually the
    /// same place as `path`, but deeper when the API names a coarser path
    /// (`messages: text content blocks must be non-empty` points at the
    /// empty block), and set when `path` is empty. Walk it with [`walk`].
    #[serde(default)]
    pub location: Vec<PathSegment>,
}

impl Problem {
    /// `path: message`, exactly as the API's error message reads.
    pub fn api_message(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }

    /// The API's `error.type` for this problem.
    pub fn error_type(&self) -> &'static str {
        match self.status {
            404 => "not_found_error",
            413 => "request_too_large",
            _ => "invalid_request_error",
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `location` as an RFC 6901 JSON pointer (`/messages/1/content`), for
    /// `serde_json::Value::pointer`.
    pub fn json_pointer(&self) -> String {
        json_pointer(&self.location)
    }
}

/// Which endpoint a body is meant for: they accept different fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/messages`.
    #[default]
    Messages,
    /// `POST /v1/messages/count_tokens`: no `max_tokens`, `stream`,
    /// `metadata`, `stop_sequences`, `service_tier` or sampling fields.
    CountTokens,
}

impl Endpoint {
    /// The endpoint a request path names, also behind a gateway's path
    /// prefix (`/anthropic/v1/messages`); the query is ignored.
    pub fn of_path(path: &str) -> Option<Endpoint> {
        let path = path.split('?').next().unwrap_or_default();
        if path.ends_with("/v1/messages/count_tokens") {
            Some(Endpoint::CountTokens)
        } else if path.ends_with("/v1/messages") {
            Some(Endpoint::Messages)
        } else {
            None
        }
    }
}

/// What the lint needs to know beyond the body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LintOptions {
    pub endpoint: Endpoint,
    /// The `anthropic-version` header that goes with the body, when known.
    /// `2026-10-21` removed `temperature`, `top_p` and `top_k`.
    pub anthropic_version: Option<String>,
    /// The `anthropic-beta` values that go with the body, or `None` when
    /// the headers are not known (`claudetui lint FILE`): a beta-gated
    /// field without its value is then a warning, not an error.
    pub anthropic_beta: Option<Vec<String>>,
    /// The day end-of-life dates are compared with; `None` is today (UTC).
    pub today: Option<chrono::NaiveDate>,
}

impl LintOptions {
    /// The options for a body sent to `endpoint` with `headers`: their
    /// `anthropic-version` and every `anthropic-beta` value.
    pub fn for_request(endpoint: Endpoint, headers: &[crate::api::types::Header]) -> LintOptions {
        use crate::api::types::{header_value, header_values};
        LintOptions {
            endpoint,
            anthropic_version: header_value(headers, "anthropic-version").map(str::to_owned),
            ..LintOptions::default()
        }
        .with_betas(header_values(headers, "anthropic-beta"))
    }

    /// The values of `anthropic-beta` headers (comma separated, any number
    /// of headers), as the options for a request that carries them.
    pub fn with_betas<'a>(mut self, headers: impl IntoIterator<Item = &'a str>) -> Self {
        self.anthropic_beta = Some(
            headers
                .into_iter()
                .flat_map(|value| value.split(','))
                .map(str::trim)
                .filter(|beta| !beta.is_empty())
                .map(str::to_string)
                .collect(),
        );
        self
    }
}

/// Where and why a body is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}, column {column}: {message}")]
pub struct JsonSyntaxError {
    /// 1-based; only `\n` starts a line, as in Python.
    pub line: usize,
    /// 1-based, counted in characters.
    pub column: usize,
    /// Character offset from the start (the API quotes it as `char N`).
    pub char_offset: usize,
    /// The parser's complaint in the API's words
    /// (`unexpected control character in string`).
    pub message: String,
    /// A hint for the classic causes (trailing comma, smart quotes, …).
    pub hint: Option<String>,
}

impl JsonSyntaxError {
    /// The 400 message the API answers a body that is not JSON with.
    pub fn api_message(&self) -> String {
        if self.message == json::NESTED_TOO_DEEPLY {
            return format!(
                "The request body is nested too deeply to read (more than 128 levels): line {} column {} (char {})",
                self.line, self.column, self.char_offset
            );
        }
        invalid_json_message(&self.message, self.line, self.column, self.char_offset)
    }

    /// The body-is-not-JSON error as the one problem the API answers it
    /// with, the hint (or where to look) as its fix.
    pub fn to_problem(&self) -> Problem {
        Problem {
            path: String::new(),
            severity: Severity::Error,
            message: self.api_message(),
            fix: self.hint.clone().unwrap_or_else(|| {
                format!(
                    "Fix the JSON at line {}, column {}.",
                    self.line, self.column
                )
            }),
            status: 400,
            location: Vec::new(),
        }
    }
}

/// `The request body is not valid JSON: <detail>: line L column C (char N)`.
pub fn invalid_json_message(
    detail: &str,
    line: usize,
    column: usize,
    char_offset: usize,
) -> String {
    format!(
        "The request body is not valid JSON: {detail}: line {line} column {column} (char {char_offset})"
    )
}

/// Every problem in a Messages request body, errors first.
pub fn validate_messages_request(body: &Value) -> Vec<Problem> {
    validate(body, &LintOptions::default())
}

/// Every problem in a `count_tokens` body, errors first. `max_tokens` and
/// `stream` are unknown fields there, as the API says.
pub fn validate_count_tokens_request(body: &Value) -> Vec<Problem> {
    let options = LintOptions {
        endpoint: Endpoint::CountTokens,
        ..LintOptions::default()
    };
    validate(body, &options)
}

/// Every problem in a body for the endpoint and version in `options`:
/// errors first, each group in the order the API reports them (the shape of
/// the body, required fields, field values, unknown fields, then the rules
/// that relate fields to each other and to the model).
pub fn validate(body: &Value, options: &LintOptions) -> Vec<Problem> {
    let mut problems = request::check(body, options);
    // Stable: keeps the API's order inside each severity.
    problems.sort_by_key(|p| p.severity != Severity::Error);
    request::explain_openai_once(&mut problems);
    problems
}

/// The problem the API would answer with, if any.
pub fn first_error(problems: &[Problem]) -> Option<&Problem> {
    problems.iter().find(|p| p.is_error())
}

/// The value at `location` in `body`, if it is there.
pub fn walk<'a>(body: &'a Value, location: &[PathSegment]) -> Option<&'a Value> {
    location
        .iter()
        .try_fold(body, |value, segment| match segment {
            PathSegment::Index(i) => value.get(*i),
            PathSegment::Key(k) => value.get(k.as_str()),
        })
}

/// `location` as an RFC 6901 JSON pointer.
pub fn json_pointer(location: &[PathSegment]) -> String {
    location
        .iter()
        .map(|segment| {
            format!(
                "/{}",
                segment.to_string().replace('~', "~0").replace('/', "~1")
            )
        })
        .collect()
}

/// `location` dotted the way the API writes paths.
pub fn dotted(location: &[PathSegment]) -> String {
    location
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests;
