//! Validation of a Messages request body: one implementation shared by the
//! embedded server (which answers the first error the way the API does),
//! `claudetui send`, the composer and `claudetui lint`. (Being written.)

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The API would reject the request.
    Error,
    /// Legal, but probably a mistake.
    Warning,
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
    /// The status the API answers this with (400, or 404 for an unknown model).
    pub status: u16,
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
}

/// Where and why a body is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}, column {column}: {message}")]
pub struct JsonSyntaxError {
    pub line: usize,
    pub column: usize,
    /// Character offset from the start (the API quotes it as `char N`).
    pub char_offset: usize,
    pub message: String,
    /// A hint for the classic causes (trailing comma, smart quotes, …).
    pub hint: Option<String>,
}

/// Parses a body, naming line and column on failure.
pub fn parse_json(_text: &str) -> Result<Value, JsonSyntaxError> {
    todo!()
}

/// Every problem in a Messages request body, errors first.
pub fn validate_messages_request(_body: &Value) -> Vec<Problem> {
    todo!()
}
