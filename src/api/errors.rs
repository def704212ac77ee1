//! Classifying a failed exchange into a closed set of kinds, each with a
//! plain-words explanation and the fix.
//!
//! HTTP failures are classified from the status, the error envelope and the
//! headers; transport failures (DNS, refused, TLS, …) are named by the engine
//! with [`FailureKind`]'s transport variants, since only it sees the socket.

use serde::{Deserialize, Serialize};

use super::types::{Header, header_value};

/// What went wrong, as one closed set shared by every pane and command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// 400 `invalid_request_error`: the body or a header is wrong.
    BadRequest,
    /// 400 "credit balance is too low", or 402 `billing_error`.
    Billing,
    /// 401 `authentication_error`.
    Authentication,
    /// 403 `permission_error`: the key may not use this resource.
    Permission,
    /// 403 "Request not allowed" / `forbidden`, or a 403 that is not the
    /// API's envelope: a region or network block.
    RegionBlocked,
    /// 404 naming a model id that does not exist.
    ModelNotFound,
    /// 404 for a path the server does not have.
    PathNotFound,
    /// 413 `request_too_large`.
    RequestTooLarge,
    /// 429 `rate_limit_error`.
    RateLimited,
    /// 529 `overloaded_error` (also as a mid-stream `error` event).
    Overloaded,
    /// 500 `api_error` and other 5xx.
    ServerError,
    /// 504 `timeout_error` or 408 from the server.
    ServerTimeout,
    /// Any other non-2xx status (a redirect, 405, a gateway's own code).
    UnexpectedStatus,
    /// The host name did not resolve.
    Dns,
    /// Nothing listens at the address (connection refused).
    ConnectionRefused,
    /// The TLS handshake failed (certificate, protocol, interception).
    Tls,
    /// The proxy refused or failed the tunnel.
    Proxy,
    /// No answer within the client's timeout.
    Timeout,
    /// The connection was reset or closed before the response was complete.
    ConnectionReset,
    /// A 2xx answer that is not what the API sends (bad JSON, HTML, a stream
    /// without its events).
    MalformedResponse,
}

impl FailureKind {
    pub const ALL: [FailureKind; 20] = [
        FailureKind::BadRequest,
        FailureKind::Billing,
        FailureKind::Authentication,
        FailureKind::Permission,
        FailureKind::RegionBlocked,
        FailureKind::ModelNotFound,
        FailureKind::PathNotFound,
        FailureKind::RequestTooLarge,
        FailureKind::RateLimited,
        FailureKind::Overloaded,
        FailureKind::ServerError,
        FailureKind::ServerTimeout,
        FailureKind::UnexpectedStatus,
        FailureKind::Dns,
        FailureKind::ConnectionRefused,
        FailureKind::Tls,
        FailureKind::Proxy,
        FailureKind::Timeout,
        FailureKind::ConnectionReset,
        FailureKind::MalformedResponse,
    ];

    /// The one-word outcome shown in history and accepted by filters.
    pub fn slug(self) -> &'static str {
        match self {
            FailureKind::BadRequest => "bad-request",
            FailureKind::Billing => "billing",
            FailureKind::Authentication => "auth",
            FailureKind::Permission => "permission",
            FailureKind::RegionBlocked => "blocked",
            FailureKind::ModelNotFound => "no-model",
            FailureKind::PathNotFound => "not-found",
            FailureKind::RequestTooLarge => "too-large",
            FailureKind::RateLimited => "rate-limited",
            FailureKind::Overloaded => "overloaded",
            FailureKind::ServerError => "server-error",
            FailureKind::ServerTimeout => "server-timeout",
            FailureKind::UnexpectedStatus => "http-error",
            FailureKind::Dns => "dns",
            FailureKind::ConnectionRefused => "refused",
            FailureKind::Tls => "tls",
            FailureKind::Proxy => "proxy",
            FailureKind::Timeout => "timeout",
            FailureKind::ConnectionReset => "reset",
            FailureKind::MalformedResponse => "malformed",
        }
    }

    pub fn from_slug(slug: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.slug() == slug)
    }

    /// True for failures below HTTP: nothing (or nothing usable) came back.
    pub fn is_transport(self) -> bool {
        matches!(
            self,
            FailureKind::Dns
                | FailureKind::ConnectionRefused
                | FailureKind::Tls
                | FailureKind::Proxy
                | FailureKind::Timeout
                | FailureKind::ConnectionReset
                | FailureKind::MalformedResponse
        )
    }

    /// One line: what happened, in plain words.
    pub fn explanation(self) -> &'static str {
        match self {
            FailureKind::BadRequest => {
                "The API rejected the request: a field or header is missing, unknown or out of range."
            }
            FailureKind::Billing => {
                "The account cannot pay for this request: the credit balance is too low or billing needs attention. The request itself is fine."
            }
            FailureKind::Authentication => {
                "The API did not accept the credentials: the key or token is missing, mistyped, revoked or sent in the wrong header."
            }
            FailureKind::Permission => {
                "The key is valid but is not allowed to use this resource (model, feature or workspace)."
            }
            FailureKind::RegionBlocked => {
                "The request was refused before the API looked at it: an unsupported country or region, or a network path that blocks it."
            }
            FailureKind::ModelNotFound => "The model id does not exist or this key cannot see it.",
            FailureKind::PathNotFound => {
                "The server has no such path: usually a base URL with an extra or missing path segment."
            }
            FailureKind::RequestTooLarge => {
                "The request body is over the size limit (32 MB for Messages)."
            }
            FailureKind::RateLimited => {
                "A rate limit was hit: too many requests or tokens in the current window."
            }
            FailureKind::Overloaded => {
                "The API is temporarily overloaded. Nothing is wrong with the request."
            }
            FailureKind::ServerError => {
                "The server failed while handling the request. Nothing is wrong with the request."
            }
            FailureKind::ServerTimeout => "The server gave up before the response was ready.",
            FailureKind::UnexpectedStatus => {
                "The server answered with a status the Messages API does not use, so something between you and the API answered."
            }
            FailureKind::Dns => "The host name in the base URL could not be resolved.",
            FailureKind::ConnectionRefused => {
                "Nothing accepted the connection at that address and port."
            }
            FailureKind::Tls => "The TLS handshake failed, so the connection was not trusted.",
            FailureKind::Proxy => "The HTTP proxy refused or failed to open a tunnel to the API.",
            FailureKind::Timeout => "No complete answer arrived within the timeout.",
            FailureKind::ConnectionReset => {
                "The connection closed before the response was complete."
            }
            FailureKind::MalformedResponse => {
                "The answer did not look like the Anthropic API's (not its JSON, or a stream without its events)."
            }
        }
    }

    /// One line: what to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            FailureKind::BadRequest => {
                "Fix the field named at the start of the message; the path is dotted and counts from 0 (messages.1.content is the second message's content)."
            }
            FailureKind::Billing => {
                "Add credits or fix the payment method under Plans & Billing in the Claude Console; do not change the request."
            }
            FailureKind::Authentication => {
                "Check the key: set ANTHROPIC_API_KEY (sent as x-api-key) or ANTHROPIC_AUTH_TOKEN (sent as Bearer), without quotes, spaces or a trailing newline, and make sure it is not revoked."
            }
            FailureKind::Permission => {
                "Use a key from a workspace that has access to this model or feature, or ask an organisation admin to grant it."
            }
            FailureKind::RegionBlocked => {
                "Check that you are in a supported country; behind a corporate network or VPN, allow api.anthropic.com or route this terminal through the proxy (HTTPS_PROXY)."
            }
            FailureKind::ModelNotFound => {
                "Use a model id from GET /v1/models; check for typos and retired ids."
            }
            FailureKind::PathNotFound => {
                "Set the base URL to the host only (https://api.anthropic.com); claudetui adds /v1/messages. A base URL ending in /v1 makes /v1/v1/messages."
            }
            FailureKind::RequestTooLarge => {
                "Make the body smaller: fewer or smaller images and documents, or upload files once and refer to them."
            }
            FailureKind::RateLimited => {
                "Wait for retry-after, then slow down; watch the rate-limit gauges, lower max_tokens or the prompt size, or ask for a higher tier."
            }
            FailureKind::Overloaded => {
                "Retry with backoff (the SDKs do this twice by default); if it persists, check status.anthropic.com."
            }
            FailureKind::ServerError => {
                "Retry later; if it keeps failing, quote the request-id to Anthropic support."
            }
            FailureKind::ServerTimeout => {
                "Use streaming for long generations, lower max_tokens, and retry."
            }
            FailureKind::UnexpectedStatus => {
                "Check the base URL and any proxy or gateway in between; the response body usually names it."
            }
            FailureKind::Dns => {
                "Check the base URL's spelling, your DNS and VPN; `claudetui doctor` shows what the name resolves to."
            }
            FailureKind::ConnectionRefused => {
                "Check the base URL's host and port, and that the gateway or proxy is running."
            }
            FailureKind::Tls => {
                "Check the system clock and the certificate chain; behind a TLS-inspecting proxy set SSL_CERT_FILE (or the profile's ca_file) to its CA."
            }
            FailureKind::Proxy => {
                "Check HTTPS_PROXY / NO_PROXY and the proxy's credentials; try once with the proxy unset."
            }
            FailureKind::Timeout => {
                "Raise the profile's timeout_secs, use streaming, or check the network path with `claudetui doctor`."
            }
            FailureKind::ConnectionReset => {
                "Retry; if it repeats, a proxy or gateway is cutting long or streaming responses."
            }
            FailureKind::MalformedResponse => {
                "Look at the Raw body: a proxy or gateway is answering instead of the API, or the stream was cut."
            }
        }
    }
}

/// A classified failure: what kind, and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// HTTP status, when a response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `error.type` from the envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The server's message, or the transport error in words.
    pub message: String,
    /// The field path the message starts with (`messages.1.content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// True when the failure came as an `error` event after a 200.
    #[serde(default)]
    pub mid_stream: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<f64>,
    /// Who answered when it was not the API itself: a gateway wrapping
    /// its error (`LiteLLM`, `Google Vertex AI`, …; the message and type
    /// above are then the inner error's) or a CDN or proxy's own page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<AnsweredBy>,
}

/// What answered in the API's place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredBy {
    pub name: String,
    /// The error is the Anthropic API's own, passed on inside the
    /// gateway's wrapping; false when it is the gateway's own complaint.
    #[serde(default)]
    pub passed_on: bool,
}

impl Failure {
    pub fn transport(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            status: None,
            error_type: None,
            message: message.into(),
            field_path: None,
            request_id: None,
            mid_stream: false,
            retry_after_secs: None,
            gateway: None,
        }
    }

    /// The explanation, sharpened by what the message says where it helps.
    pub fn explanation(&self) -> String {
        let msg = self.message.as_str();
        let specific = match self.kind {
            FailureKind::BadRequest if msg.contains("prompt is too long") => {
                Some("The prompt is longer than the model's context window.")
            }
            FailureKind::BadRequest if msg.contains("maximum allowed number of output tokens") => {
                Some("max_tokens is above this model's output limit.")
            }
            FailureKind::BadRequest if msg.contains("Extra inputs are not permitted") => Some(
                "The body has a field the Messages API does not know (often an OpenAI-only field or a typo).",
            ),
            FailureKind::BadRequest if msg.contains("Field required") => {
                Some("A required field is missing.")
            }
            FailureKind::BadRequest if msg.contains("not valid JSON") => {
                Some("The body is not valid JSON, so the API could not read it at all.")
            }
            FailureKind::BadRequest if msg.contains("anthropic-version") => {
                Some("The anthropic-version header is missing or not a version the API knows.")
            }
            _ => None,
        };
        let base = specific.unwrap_or(self.kind.explanation());
        if self.mid_stream {
            format!(
                "{base} It arrived as an error event in the middle of a stream, after a 200 status."
            )
        } else {
            base.to_owned()
        }
    }
}

/// Classifies a non-2xx HTTP answer. Returns `None` for 1xx/2xx.
pub fn classify_http(status: u16, body: &str, headers: &[Header]) -> Option<Failure> {
    if status < 300 {
        return None;
    }
    // The API's own envelope, or the error a gateway wrapped it in.
    let unwrapped = super::envelope::unwrap(body, headers);
    let (error_type, message) = match &unwrapped {
        Some(found) => (found.error_type.clone(), found.message.clone()),
        None => (None, non_envelope_message(status, body)),
    };
    let judged_status = unwrapped
        .as_ref()
        .and_then(|u| u.inner_status)
        .unwrap_or(status);
    let kind = kind_for_status(
        judged_status,
        error_type.as_deref(),
        &message,
        unwrapped.is_some(),
    );
    let request_id = unwrapped
        .as_ref()
        .and_then(|u| u.request_id.clone())
        .or_else(|| header_value(headers, "request-id").map(str::to_owned));
    let gateway = match &unwrapped {
        Some(found) => found.gateway.map(|g| AnsweredBy {
            name: g.name().to_owned(),
            passed_on: found.api_error,
        }),
        None => super::envelope::page_origin(status, body, headers).map(|page| AnsweredBy {
            name: page.name.to_owned(),
            passed_on: false,
        }),
    };
    // A CDN's JSON error page (Cloudflare's 5xx) is no gateway's wrapping;
    // the API's own errors come through Cloudflare too (with a cf-ray),
    // so only a body that is not the API's error is looked at.
    let api_error = unwrapped.as_ref().is_some_and(|u| u.api_error);
    let gateway = gateway.or_else(|| {
        super::envelope::page_origin(status, body, headers)
            .filter(|page| !api_error && page.name == "Cloudflare")
            .map(|page| AnsweredBy {
                name: page.name.to_owned(),
                passed_on: false,
            })
    });
    Some(Failure {
        kind,
        status: Some(status),
        field_path: field_path(&message),
        error_type,
        message,
        request_id,
        mid_stream: false,
        retry_after_secs: super::ratelimit::retry_after_secs(headers, chrono::Utc::now()),
        gateway,
    })
}

/// Classifies an `error` event that arrived inside a 200 stream.
pub fn classify_stream_error(
    error_type: &str,
    message: &str,
    request_id: Option<String>,
) -> Failure {
    let status = status_for_error_type(error_type);
    Failure {
        kind: kind_for_status(status.unwrap_or(500), Some(error_type), message, true),
        status: None,
        error_type: Some(error_type.to_owned()),
        message: message.to_owned(),
        field_path: field_path(message),
        request_id,
        mid_stream: true,
        retry_after_secs: None,
        gateway: None,
    }
}

/// The status the API pairs with each `error.type`.
pub fn status_for_error_type(error_type: &str) -> Option<u16> {
    Some(match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" | "forbidden" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => return None,
    })
}

fn kind_for_status(
    status: u16,
    error_type: Option<&str>,
    message: &str,
    is_envelope: bool,
) -> FailureKind {
    let lower = message.to_ascii_lowercase();
    // Account states come back as 400s; they are not request bugs.
    if lower.contains("credit balance")
        || lower.contains("insufficient balance")
        || lower.contains("reached your specified api usage limits")
        || lower.contains("spend limit")
        || error_type == Some("billing_error")
    {
        return FailureKind::Billing;
    }
    if is_account_disabled(&lower)
        || lower.contains("is not allowed to use publisher model")
        || is_claude_code_only(&lower)
        || (lower.trim_end_matches('.') == "operation not allowed")
    {
        return FailureKind::Permission;
    }
    // The API's overload, sent as a 500 `api_error` by some of its edges.
    if lower.trim_end_matches('.') == "overloaded" {
        return FailureKind::Overloaded;
    }
    if lower.contains("budget has been exceeded") || status == 402 {
        return FailureKind::Billing;
    }
    if names_a_missing_model(&lower) {
        return FailureKind::ModelNotFound;
    }
    match (status, error_type) {
        (_, Some("overloaded_error")) | (529, _) => FailureKind::Overloaded,
        (_, Some("rate_limit_error")) | (429, _) => FailureKind::RateLimited,
        (_, Some("authentication_error")) | (401, _) => FailureKind::Authentication,
        (_, Some("forbidden")) => FailureKind::RegionBlocked,
        (403, _)
            if !is_envelope
                || lower.contains("request not allowed")
                || lower.contains("region")
                || lower.contains("country") =>
        {
            FailureKind::RegionBlocked
        }
        (_, Some("permission_error")) | (403, _) => FailureKind::Permission,
        (_, Some("not_found_error")) | (404, _) if lower.starts_with("model:") => {
            FailureKind::ModelNotFound
        }
        (_, Some("not_found_error")) | (404, _) => FailureKind::PathNotFound,
        (_, Some("request_too_large")) | (413, _) => FailureKind::RequestTooLarge,
        // 522 and 524: Cloudflare timing out on the server behind it.
        (_, Some("timeout_error")) | (504 | 408 | 522 | 524, _) => FailureKind::ServerTimeout,
        (_, Some("invalid_request_error")) | (400, _) => FailureKind::BadRequest,
        (_, Some("api_error")) | (500..=599, _) => FailureKind::ServerError,
        _ => FailureKind::UnexpectedStatus,
    }
}

/// A message about a model that does not exist where it was asked for:
/// Vertex's "Publisher Model … not found", Bedrock's "The provided model
/// identifier is invalid", a proxy's "unknown provider for model …".
fn names_a_missing_model(lower: &str) -> bool {
    (lower.contains("publisher model") && lower.contains("not found"))
        || lower.contains("model identifier is invalid")
        || unoffered_model(lower).is_some()
        || (lower.contains("for model")
            && (lower.contains("unknown provider") || lower.contains("no provider")))
}

/// A model that exists but is not offered where it was asked for, by the
/// words of the answer (lowercased).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unoffered {
    /// LiteLLM's "Invalid model name passed in model=…": not a model_name
    /// of its config.
    LiteLlmName,
    /// "Invalid model name" from the API itself.
    InvalidName,
    /// "The requested model is not supported": the gateway's upstream.
    Upstream,
    /// one-api/new-api's "No available channel for model …".
    RelayChannel,
    /// Azure's "The API deployment for this resource does not exist".
    AzureDeployment,
    /// Bedrock's "This model version has reached the end of its life".
    EndOfLife,
    /// Bedrock's "marked by provider as Legacy" for an inactive account.
    BedrockLegacy,
}

pub fn unoffered_model(lower: &str) -> Option<Unoffered> {
    // LiteLLM's words contain the API's, so they are tried first.
    const WORDS: [(&str, Unoffered); 7] = [
        (
            "invalid model name passed in model=",
            Unoffered::LiteLlmName,
        ),
        ("invalid model name", Unoffered::InvalidName),
        ("requested model is not supported", Unoffered::Upstream),
        ("no available channel for model", Unoffered::RelayChannel),
        (
            "api deployment for this resource does not exist",
            Unoffered::AzureDeployment,
        ),
        ("reached the end of its life", Unoffered::EndOfLife),
        ("marked by provider as legacy", Unoffered::BedrockLegacy),
    ];
    WORDS
        .iter()
        .find(|(words, _)| lower.contains(words))
        .map(|(_, kind)| *kind)
}

/// "This credential is only authorized for use with Claude Code": a
/// subscription token used outside Claude Code.
pub fn is_claude_code_only(lower: &str) -> bool {
    lower.contains("only authorized for use with claude code")
}

/// "This organization has been disabled.", a disabled workspace or key:
/// the account may not be used, whatever the request.
pub fn is_account_disabled(lower: &str) -> bool {
    (lower.contains("organization") || lower.contains("workspace") || lower.contains("api key"))
        && (lower.contains("has been disabled")
            || lower.contains("is disabled")
            || lower.contains("has been archived")
            || lower.contains("is archived"))
}

/// A short message for a body that is not the API's envelope, such as a
/// proxy's HTML page: its `<title>` if it has one, else its first line.
fn non_envelope_message(status: u16, body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return format!("HTTP {status} with an empty body (not the Anthropic API's error format)");
    }
    let lower = trimmed.to_ascii_lowercase();
    let summary = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(start), Some(end)) if end > start + 7 => trimmed[start + 7..end].trim().to_owned(),
        _ => trimmed
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
    };
    format!("HTTP {status}, not the Anthropic API's error format: {summary}")
}

/// The field path at the start of an API message (`messages.1.content: …`),
/// as the API writes it.
pub fn field_path(message: &str) -> Option<String> {
    let (head, _) = message.split_once(": ")?;
    let valid = !head.is_empty()
        && head
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'));
    (valid && head != "prompt" && head != "Error").then(|| head.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(kind: &str, message: &str) -> String {
        format!(
            r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}},"request_id":"req_011"}}"#
        )
    }

    #[test]
    fn classifies_every_documented_status() {
        let cases = [
            (
                400,
                "invalid_request_error",
                "max_tokens: Field required",
                FailureKind::BadRequest,
            ),
            (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
                FailureKind::Billing,
            ),
            (
                401,
                "authentication_error",
                "invalid x-api-key",
                FailureKind::Authentication,
            ),
            (
                402,
                "billing_error",
                "payment required",
                FailureKind::Billing,
            ),
            (
                403,
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
                FailureKind::Permission,
            ),
            (
                403,
                "forbidden",
                "Request not allowed",
                FailureKind::RegionBlocked,
            ),
            (
                403,
                "permission_error",
                "Request not allowed",
                FailureKind::RegionBlocked,
            ),
            (
                404,
                "not_found_error",
                "model: claude-3-opus-2024",
                FailureKind::ModelNotFound,
            ),
            (
                404,
                "not_found_error",
                "Not Found",
                FailureKind::PathNotFound,
            ),
            (
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
                FailureKind::RequestTooLarge,
            ),
            (
                429,
                "rate_limit_error",
                "Number of requests has exceeded your per-minute rate limit",
                FailureKind::RateLimited,
            ),
            (
                500,
                "api_error",
                "Internal server error",
                FailureKind::ServerError,
            ),
            (
                504,
                "timeout_error",
                "Request timed out",
                FailureKind::ServerTimeout,
            ),
            (
                529,
                "overloaded_error",
                "Overloaded",
                FailureKind::Overloaded,
            ),
        ];
        for (status, kind, message, want) in cases {
            let failure = classify_http(status, &envelope(kind, message), &[]).unwrap();
            assert_eq!(failure.kind, want, "{status} {kind} {message}");
            assert_eq!(failure.status, Some(status));
            assert_eq!(failure.error_type.as_deref(), Some(kind));
            assert_eq!(failure.request_id.as_deref(), Some("req_011"));
        }
    }

    #[test]
    fn success_is_not_a_failure() {
        assert!(classify_http(200, "{}", &[]).is_none());
        assert!(classify_http(204, "", &[]).is_none());
    }

    #[test]
    fn non_envelope_bodies_are_named_by_status_and_title() {
        let html = "<html><head><title>Access Denied by Corporate Proxy</title></head><body>…</body></html>";
        let f = classify_http(403, html, &[]).unwrap();
        assert_eq!(f.kind, FailureKind::RegionBlocked);
        assert!(
            f.message.contains("Access Denied by Corporate Proxy"),
            "{}",
            f.message
        );
        assert_eq!(f.error_type, None);

        let f = classify_http(502, "Bad Gateway\nnginx", &[]).unwrap();
        assert_eq!(f.kind, FailureKind::ServerError);
        assert!(f.message.contains("Bad Gateway"));

        let f = classify_http(404, "", &[]).unwrap();
        assert_eq!(f.kind, FailureKind::PathNotFound);
        assert!(f.message.contains("empty body"));

        assert_eq!(
            classify_http(301, "", &[]).unwrap().kind,
            FailureKind::UnexpectedStatus
        );
        assert_eq!(
            classify_http(405, "", &[]).unwrap().kind,
            FailureKind::UnexpectedStatus
        );
        assert_eq!(
            classify_http(408, "", &[]).unwrap().kind,
            FailureKind::ServerTimeout
        );
    }

    #[test]
    fn request_id_and_retry_after_come_from_headers() {
        let headers = vec![
            Header::new("request-id", "req_hdr"),
            Header::new("retry-after", "12"),
        ];
        let f = classify_http(429, "{}", &headers).unwrap();
        assert_eq!(f.request_id.as_deref(), Some("req_hdr"));
        assert_eq!(f.retry_after_secs, Some(12.0));
    }

    #[test]
    fn field_paths_are_extracted_as_the_api_writes_them() {
        let cases = [
            ("max_tokens: Field required", Some("max_tokens")),
            (
                "messages.1.content: all messages must have non-empty content",
                Some("messages.1.content"),
            ),
            (
                "thinking.budget_tokens: Input should be greater than or equal to 1024",
                Some("thinking.budget_tokens"),
            ),
            (
                "anthropic-version: header is required",
                Some("anthropic-version"),
            ),
            ("prompt is too long: 215000 tokens > 200000 maximum", None),
            (
                "The request body is not valid JSON: expected value: line 1 column 1 (char 0)",
                None,
            ),
            ("Overloaded", None),
        ];
        for (message, want) in cases {
            assert_eq!(field_path(message).as_deref(), want, "{message}");
        }
    }

    #[test]
    fn mid_stream_errors_keep_their_kind_and_say_so() {
        let f = classify_stream_error("overloaded_error", "Overloaded", None);
        assert_eq!(f.kind, FailureKind::Overloaded);
        assert!(f.mid_stream);
        assert!(f.explanation().contains("after a 200"));
        assert_eq!(
            classify_stream_error("api_error", "boom", None).kind,
            FailureKind::ServerError
        );
        assert_eq!(
            classify_stream_error("something_new", "?", None).kind,
            FailureKind::ServerError
        );
    }

    #[test]
    fn every_kind_has_a_unique_slug_and_words() {
        let mut slugs = std::collections::HashSet::new();
        for kind in FailureKind::ALL {
            assert!(slugs.insert(kind.slug()), "duplicate slug {}", kind.slug());
            assert_eq!(FailureKind::from_slug(kind.slug()), Some(kind));
            assert!(kind.explanation().ends_with('.'));
            assert!(!kind.fix().is_empty());
        }
    }

    #[test]
    fn explanation_sharpens_on_known_messages() {
        let f = classify_http(
            400,
            &envelope(
                "invalid_request_error",
                "prompt is too long: 215000 tokens > 200000 maximum",
            ),
            &[],
        )
        .unwrap();
        assert!(f.explanation().contains("context window"));
        let f = classify_http(
            400,
            &envelope(
                "invalid_request_error",
                "frequency_penalty: Extra inputs are not permitted",
            ),
            &[],
        )
        .unwrap();
        assert!(f.explanation().contains("does not know"));
        assert_eq!(f.field_path.as_deref(), Some("frequency_penalty"));
    }
}
