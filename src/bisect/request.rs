//! The request bisect works on: method, path, headers and a JSON body, with
//! no credential (that travels in the engine's request and is never
//! simplified away). Pure: no I/O.

use serde::Serialize;
use serde_json::Value;

use crate::api::lint::Endpoint;
use crate::api::types::Header;
use crate::config::masked_headers;
use crate::store::redact::redact_text;

pub const BETA_HEADER: &str = "anthropic-beta";
pub const VERSION_HEADER: &str = "anthropic-version";

/// One request as bisect sees it. `headers` never hold the credential.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BisectRequest {
    pub method: String,
    /// Path and query (`/v1/messages?beta=true`).
    pub path: String,
    pub headers: Vec<Header>,
    pub body: Value,
}

impl BisectRequest {
    /// The first value of header `name` (names match case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::api::types::header_value(&self.headers, name)
    }

    /// Every `anthropic-beta` value, in the order sent (several headers of
    /// that name count too).
    pub fn betas(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(BETA_HEADER))
            .flat_map(|h| split_betas(&h.value))
            .collect()
    }

    /// The path without its query.
    pub fn endpoint(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// Which API endpoint the path is, also behind a gateway's path prefix
    /// (`/anthropic/v1/messages`).
    pub fn api_endpoint(&self) -> Option<Endpoint> {
        Endpoint::of_path(self.endpoint().trim_end_matches('/'))
    }

    /// The body as sent: compact JSON (key order kept).
    pub fn body_text(&self) -> String {
        serde_json::to_string(&self.body).unwrap_or_default()
    }

    /// What identifies the request on the wire: two candidates with the
    /// same fingerprint need only one request.
    pub fn fingerprint(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|h| format!("{}:{}", h.name.to_ascii_lowercase(), h.value))
            .collect();
        format!(
            "{} {}\n{}\n{}",
            self.method,
            self.path,
            headers.join("\n"),
            self.body_text()
        )
    }

    /// The request as text lines for showing: request line, headers
    /// (secret-looking ones masked), a blank line, the pretty body (any
    /// key in it masked).
    pub fn display_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("{} {}", self.method, redact_text(&self.path))];
        for header in masked_headers(&self.headers) {
            lines.push(format!("{}: {}", header.name, header.value));
        }
        lines.push(String::new());
        let pretty = serde_json::to_string_pretty(&self.body).unwrap_or_default();
        lines.extend(redact_text(&pretty).lines().map(str::to_owned));
        lines
    }

    /// The same request with secret-looking header values and any key in
    /// the body masked, for reports.
    pub fn masked(&self) -> BisectRequest {
        let body_text = redact_text(&self.body_text()).into_owned();
        BisectRequest {
            method: self.method.clone(),
            path: redact_text(&self.path).into_owned(),
            headers: masked_headers(&self.headers),
            body: serde_json::from_str(&body_text).unwrap_or_else(|_| self.body.clone()),
        }
    }
}

/// The values of one `anthropic-beta` header, trimmed, empty ones dropped.
pub fn split_betas(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> BisectRequest {
        BisectRequest {
            method: "POST".into(),
            path: "/v1/messages?beta=true".into(),
            headers: vec![
                Header::new("Anthropic-Beta", "a-1, b-2,"),
                Header::new("anthropic-beta", "c-3"),
                Header::new("x-gateway-token", "gw-secret-value-1234"),
            ],
            body: json!({"model": "m", "note": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123-WXYZ"}),
        }
    }

    #[test]
    fn betas_come_from_every_beta_header() {
        assert_eq!(request().betas(), ["a-1", "b-2", "c-3"]);
        assert_eq!(request().endpoint(), "/v1/messages");
        assert_eq!(request().api_endpoint(), Some(Endpoint::Messages));
        let mut behind_gateway = request();
        behind_gateway.path = "/anthropic/v1/messages/count_tokens".into();
        assert_eq!(behind_gateway.api_endpoint(), Some(Endpoint::CountTokens));
        behind_gateway.path = "/v1/models".into();
        assert_eq!(behind_gateway.api_endpoint(), None);
    }

    #[test]
    fn display_and_masked_forms_hide_secrets() {
        let lines = request().display_lines().join("\n");
        assert!(!lines.contains("gw-secret-value"), "{lines}");
        assert!(!lines.contains("abcdefghijklmnop"), "{lines}");
        assert!(lines.starts_with("POST /v1/messages?beta=true\n"));
        let masked = serde_json::to_string(&request().masked()).unwrap();
        assert!(!masked.contains("gw-secret-value") && !masked.contains("abcdefghijklmnop"));
    }

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = request();
        let mut b = request();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.body["model"] = json!("n");
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
