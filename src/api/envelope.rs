//! Finding the Anthropic error inside whatever wrapped it.
//!
//! A request that goes through a gateway comes back in the gateway's own
//! shape: LiteLLM puts the API's envelope inside a message string
//! (`litellm.BadRequestError: AnthropicException - {"type":"error",…}`),
//! Vertex AI answers a JSON array or Google's `{"error":{"code",
//! "status"}}`, Bedrock `{"message": …}` with the class of the error in
//! `x-amzn-errortype`, OpenRouter the provider's raw answer in
//! `error.metadata.raw`, one-api and new-api an OpenAI-style envelope, and
//! some proxies encode the JSON twice. [`unwrap`] peels those layers and
//! says who answered, so the error is explained by its real cause.

use serde_json::Value;

use super::types::{ErrorEnvelope, Header, header_value};

/// Who wrapped the error, as far as the answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    LiteLlm,
    VertexAi,
    Bedrock,
    OpenRouter,
    /// one-api, new-api and their forks.
    OneApi,
    /// An OpenAI-compatible proxy of unknown make.
    OpenAiStyle,
    /// Azure AI Foundry / Azure OpenAI, which serve models as deployments.
    Azure,
    /// A relay that nests the API's own envelope inside its error
    /// (`error.upstream_error`, claude-code-hub and its kin).
    Relay,
}

impl Gateway {
    pub fn name(self) -> &'static str {
        match self {
            Gateway::LiteLlm => "LiteLLM",
            Gateway::VertexAi => "Google Vertex AI",
            Gateway::Bedrock => "AWS Bedrock",
            Gateway::OpenRouter => "OpenRouter",
            Gateway::OneApi => "a one-api/new-api gateway",
            Gateway::OpenAiStyle => "an OpenAI-compatible gateway",
            Gateway::Relay => "a relay",
            Gateway::Azure => "Azure AI Foundry",
        }
    }
}

/// The error found, and who wrapped it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrapped {
    pub gateway: Option<Gateway>,
    /// The Anthropic `error.type`, or the gateway's own class mapped to it.
    pub error_type: Option<String>,
    pub message: String,
    /// The status the inner error carries when it differs from the HTTP
    /// one (a gateway answering 500 for the API's 400).
    pub inner_status: Option<u16>,
    /// The API's `request_id` inside, when it made it through.
    pub request_id: Option<String>,
    /// The error inside is the Anthropic API's own envelope (a gateway
    /// passed it on), not the gateway's own complaint.
    pub api_error: bool,
}

/// What answered with a page (or a body) that is not an API error at
/// all: a CDN, a web server, a corporate filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOrigin {
    /// `Cloudflare`, `nginx`, `Zscaler`, …
    pub name: &'static str,
    /// The code it gives, when it gives one (`1034`, `524`).
    pub code: Option<u32>,
    /// What that code means, in words.
    pub meaning: Option<&'static str>,
}

/// Who sent a body that is not an error envelope, from its headers and
/// its text; `None` when nothing names it.
pub fn page_origin(status: u16, body: &str, headers: &[Header]) -> Option<PageOrigin> {
    let lower = body.to_ascii_lowercase();
    let server = header_value(headers, "server")
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Cloudflare's pages: its name, its paths, its challenge's title, and
    // the `host | 524: A timeout occurred` title of its 5xx pages. Its
    // headers alone do not make a page its own: it passes on the pages of
    // the servers behind it (an nginx 413) with a cf-ray of its own.
    let signed_by_other = lower.contains("<center>nginx")
        || ["zscaler", "squid", "fortiguard", "blue coat", "bluecoat"]
            .iter()
            .any(|tell| lower.contains(tell));
    let cloudflare = (!signed_by_other
        && (header_value(headers, "cf-ray").is_some() || server.contains("cloudflare")))
        || lower.contains("cloudflare")
        || lower.contains("/cdn-cgi/")
        || lower.starts_with("error code: ")
        || lower.contains("<title>just a moment...</title>")
        || ((520..530).contains(&status) && lower.contains(&format!("| {status}:")));
    if cloudflare {
        let code = cloudflare_code(&lower).or((status >= 520).then_some(u32::from(status)));
        let challenge = lower.contains("<title>just a moment")
            || lower.contains("challenge-platform")
            || lower.contains("cf_chl");
        let meaning = if challenge {
            Some(
                "a managed challenge: Cloudflare asks for a browser check (JavaScript, a CAPTCHA) that a program cannot pass; it challenges this network, IP or client",
            )
        } else {
            code.and_then(cloudflare_meaning)
        };
        return Some(PageOrigin {
            name: "Cloudflare",
            code: code.filter(|_| !challenge),
            meaning,
        });
    }
    let named = [
        ("zscaler", "Zscaler"),
        ("squid", "Squid"),
        ("fortiguard", "Fortinet (FortiGuard)"),
        ("fortigate", "Fortinet (FortiGate)"),
        ("blue coat", "Blue Coat"),
        ("bluecoat", "Blue Coat"),
        ("akamai", "Akamai"),
    ]
    .into_iter()
    .find(|(tell, _)| lower.contains(tell) || server.contains(tell))
    .map(|(_, name)| name);
    let name = named.or_else(|| {
        if server.contains("nginx") || lower.contains("<center>nginx") {
            Some("nginx")
        } else if server.contains("awselb") {
            Some("an AWS load balancer")
        } else if server.contains("envoy") || lower.contains("upstream connect error") {
            Some("Envoy")
        } else {
            None
        }
    })?;
    let meaning = match (name, status) {
        ("nginx", 413) => Some(
            "nginx refuses bodies larger than its client_max_body_size (1 MB unless set), long before the API's own 32 MB limit",
        ),
        ("nginx", 502) => Some("nginx got no usable answer from the server behind it"),
        ("nginx", 504) => Some(
            "nginx gave up waiting for the server behind it (proxy_read_timeout, 60 s unless set)",
        ),
        _ => None,
    };
    Some(PageOrigin {
        name,
        code: None,
        meaning,
    })
}

/// `error code: 1034`, `Error 1020`, `<title>… | 524: …`, JSON's
/// `"error_code":522`.
fn cloudflare_code(lower: &str) -> Option<u32> {
    let after = |marker: &str| {
        lower.find(marker).and_then(|at| {
            let digits: String = lower[at + marker.len()..]
                .chars()
                .skip_while(|c| *c == ' ')
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
    };
    after("error code:")
        .or_else(|| after("errorcode:"))
        .or_else(|| after("\"error_code\":"))
        .or_else(|| after("error "))
        .filter(|code| (1000..2000).contains(code) || (520..530).contains(code))
}

fn cloudflare_meaning(code: u32) -> Option<&'static str> {
    Some(match code {
        1000 => {
            "DNS points to a prohibited IP: the host name leads to a Cloudflare address it may not use (a relay or custom base URL pointed at the wrong place)"
        }
        1010 => "the client's signature is banned by the site's security settings",
        1015 => "the site's owner rate-limited this IP",
        1020 => "access denied by a firewall rule of the site",
        1034 => {
            "edge IP restricted: the address this host name resolved to is not one Cloudflare serves it on; a DNS problem (a hosts-file entry, a VPN's or ISP's DNS answering wrong), not a region block"
        }
        520 => "the server behind Cloudflare sent an empty or unknown answer",
        521 => "the server behind Cloudflare refused the connection",
        522 => "Cloudflare timed out connecting to the server behind it",
        523 => "Cloudflare could not reach the server behind it",
        524 => "the server behind Cloudflare took longer than Cloudflare waits (100 s) to answer",
        525 | 526 => "TLS between Cloudflare and the server behind it failed",
        _ => return None,
    })
}

/// How deep wrappers are followed (a gateway in front of a gateway).
const MAX_DEPTH: usize = 4;

/// The error inside `body`, however it is wrapped; `None` when the body
/// is not an error shape this knows (an HTML page, plain text).
pub fn unwrap(body: &str, headers: &[Header]) -> Option<Unwrapped> {
    let value: Value = serde_json::from_str(body.trim()).ok()?;
    let mut found = from_value(&value, headers, 0)?;
    if found.gateway.is_none() && header_value(headers, "x-amzn-errortype").is_some() {
        found.gateway = Some(Gateway::Bedrock);
    }
    Some(found)
}

fn from_value(value: &Value, headers: &[Header], depth: usize) -> Option<Unwrapped> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        // Double-encoded: the JSON arrived as a JSON string.
        Value::String(text) => from_text(text, headers, depth + 1),
        // Vertex streams and batches answer a list; the error is in it.
        Value::Array(items) => items.iter().find_map(|item| {
            let mut found = from_value(item, headers, depth + 1)?;
            found.gateway.get_or_insert(Gateway::VertexAi);
            Some(found)
        }),
        Value::Object(_) => from_object(value, headers, depth),
        _ => None,
    }
}

fn from_text(text: &str, headers: &[Header], depth: usize) -> Option<Unwrapped> {
    let trimmed = text.trim();
    if trimmed.starts_with(['{', '[', '"']) {
        let value: Value = serde_json::from_str(trimmed).ok()?;
        return from_value(&value, headers, depth);
    }
    None
}

fn from_object(value: &Value, headers: &[Header], depth: usize) -> Option<Unwrapped> {
    // The API always says `"type": "error"`; an object without it is a
    // gateway's shape that merely looks alike.
    let typed = value.get("type").and_then(Value::as_str) == Some("error");
    // A relay's own envelope, even one shaped like the API's, yields to
    // the API's answer nested inside it.
    if let Some(inner) = value
        .get("error")
        .and_then(|e| nested_api_error(e, headers, depth))
    {
        return Some(Unwrapped {
            gateway: Some(inner.gateway.unwrap_or(Gateway::Relay)),
            ..inner
        });
    }
    let envelope = typed
        .then(|| serde_json::from_value::<ErrorEnvelope>(value.clone()).ok())
        .flatten();
    if let Some(envelope) = envelope {
        // Vertex serves the API behind its own ids.
        let vertex = envelope
            .request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("req_vrtx_"));
        return Some(Unwrapped {
            gateway: vertex.then_some(Gateway::VertexAi),
            error_type: Some(envelope.error.kind),
            message: envelope.error.message,
            inner_status: None,
            request_id: envelope.request_id,
            api_error: true,
        });
    }
    let error = value.get("error");
    // OpenRouter: the provider's own answer, raw, in the metadata.
    if let Some(raw) = error
        .and_then(|e| e.pointer("/metadata/raw"))
        .and_then(Value::as_str)
    {
        let code = error.and_then(|e| e.get("code")).and_then(as_status);
        let inner = from_text(raw, headers, depth + 1).unwrap_or_else(|| Unwrapped {
            gateway: None,
            error_type: None,
            message: raw.to_owned(),
            inner_status: None,
            request_id: None,
            api_error: false,
        });
        return Some(Unwrapped {
            gateway: Some(Gateway::OpenRouter),
            inner_status: inner.inner_status.or(code),
            ..inner
        });
    }
    if let Some(error) = error.filter(|e| e.is_object()) {
        return Some(openai_style(error, headers, depth));
    }
    // Bedrock: `{"message": …}`, the class in a header.
    if let Some(message) = value
        .get("message")
        .or_else(|| value.get("Message"))
        .and_then(Value::as_str)
    {
        let class = header_value(headers, "x-amzn-errortype")
            .or_else(|| value.get("__type").and_then(Value::as_str));
        let inner = from_wrapped_message(message, headers, depth);
        return Some(match inner {
            Some(inner) => Unwrapped {
                gateway: inner.gateway.or(Some(Gateway::Bedrock)),
                ..inner
            },
            None => Unwrapped {
                gateway: class.map(|_| Gateway::Bedrock),
                error_type: class.and_then(bedrock_type).map(str::to_owned),
                message: message.to_owned(),
                inner_status: None,
                request_id: None,
                api_error: false,
            },
        });
    }
    None
}

/// The API's own envelope kept whole under one of the error's fields
/// (`{"error":{"type":"request_fail","upstream_error":{"type":"error",…}}}`):
/// only an inner answer that is the API's counts, so a gateway's own
/// detail object is not mistaken for it.
fn nested_api_error(error: &Value, headers: &[Header], depth: usize) -> Option<Unwrapped> {
    let fields = error.as_object()?;
    fields
        .values()
        .filter(|v| v.is_object() || v.as_str().is_some_and(|t| t.trim_start().starts_with('{')))
        .filter_map(|v| from_value(v, headers, depth + 1))
        .find(|inner| inner.api_error)
}

/// `{"error":{"message", "type", "code"}}`: LiteLLM, one-api, new-api,
/// Google's `{"error":{"code":404,"message","status":"NOT_FOUND"}}`.
fn openai_style(error: &Value, headers: &[Header], depth: usize) -> Unwrapped {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = error.get("type").and_then(Value::as_str);
    let code = error.get("code").and_then(as_status);
    let google_status = error.get("status").and_then(Value::as_str);
    let azure = error.get("code").and_then(Value::as_str) == Some("DeploymentNotFound")
        || message.contains("API deployment for this resource");
    let gateway = if azure {
        Gateway::Azure
    } else if is_litellm(message, kind) {
        Gateway::LiteLlm
    } else if google_status.is_some() || is_vertex(message) {
        Gateway::VertexAi
    } else if kind.is_some_and(|k| {
        matches!(
            k,
            "new_api_error" | "one_api_error" | "upstream_error" | "shell_api_error"
        )
    }) {
        Gateway::OneApi
    } else if error.get("metadata").is_some()
        || message.contains("openrouter.ai")
        || is_openrouter_auth(message, code)
    {
        Gateway::OpenRouter
    } else {
        Gateway::OpenAiStyle
    };
    if let Some(inner) = from_wrapped_message(message, headers, depth) {
        return Unwrapped {
            gateway: Some(inner.gateway.unwrap_or(gateway)),
            inner_status: inner.inner_status.or(code),
            ..inner
        };
    }
    Unwrapped {
        gateway: Some(gateway),
        error_type: kind
            .filter(|k| super::errors::status_for_error_type(k).is_some())
            .map(str::to_owned)
            .or_else(|| google_status.and_then(google_type).map(str::to_owned)),
        message: message.to_owned(),
        inner_status: code,
        request_id: None,
        api_error: false,
    }
}

/// OpenRouter's own 401s, which carry no metadata: "User not found." (a
/// deleted or mistyped key) and "No auth credentials found".
fn is_openrouter_auth(message: &str, code: Option<u16>) -> bool {
    code == Some(401) && matches!(message, "User not found." | "No auth credentials found")
}

/// A message that carries the API's error inside its text:
/// `litellm.BadRequestError: AnthropicException - {"type":"error",…}`, or
/// any text with a JSON object in it.
fn from_wrapped_message(message: &str, headers: &[Header], depth: usize) -> Option<Unwrapped> {
    let start = message.find('{')?;
    let object = balanced_object(&message[start..])?;
    let inner = from_text(object, headers, depth + 1)?;
    let gateway = if is_litellm(message, None) || message.contains("AnthropicException") {
        Some(Gateway::LiteLlm)
    } else {
        inner.gateway
    };
    Some(Unwrapped { gateway, ..inner })
}

/// LiteLLM's tells: its exception names, its model-group trailer, its
/// tables and its own error types.
fn is_litellm(message: &str, kind: Option<&str>) -> bool {
    // Its router's own words, with no "litellm" in them.
    if message.contains("Invalid model name passed in model=") {
        return true;
    }
    message.to_ascii_lowercase().contains("litellm")
        || message.contains("Received Model Group")
        || kind.is_some_and(|k| {
            k.contains("litellm")
                || matches!(
                    k,
                    "budget_exceeded" | "token_not_found_in_db" | "key_model_access_denied"
                )
        })
}

/// Vertex AI's tells: its publisher-model paths and its API's host.
fn is_vertex(message: &str) -> bool {
    message.contains("Publisher Model") || message.contains("aiplatform.googleapis.com")
}

/// The JSON object `text` starts with, up to its matching brace (strings
/// and escapes respected); text after it is left out.
fn balanced_object(text: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// A status from `"code": 400` or `"code": "400"`.
fn as_status(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|s| (100..600).contains(s))
}

/// Bedrock's error classes as the API's `error.type`s.
fn bedrock_type(class: &str) -> Option<&'static str> {
    let class = class.split(':').next().unwrap_or(class);
    Some(match class {
        "ValidationException" => "invalid_request_error",
        "ThrottlingException" | "ServiceQuotaExceededException" => "rate_limit_error",
        "AccessDeniedException" => "permission_error",
        "UnrecognizedClientException" | "ExpiredTokenException" => "authentication_error",
        "ResourceNotFoundException" => "not_found_error",
        "ModelTimeoutException" => "timeout_error",
        "ServiceUnavailableException" | "ModelNotReadyException" => "overloaded_error",
        "InternalServerException" | "ModelErrorException" => "api_error",
        _ => return None,
    })
}

/// Google's `status` names as the API's `error.type`s.
fn google_type(status: &str) -> Option<&'static str> {
    Some(match status {
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => "invalid_request_error",
        "UNAUTHENTICATED" => "authentication_error",
        "PERMISSION_DENIED" => "permission_error",
        "NOT_FOUND" => "not_found_error",
        "RESOURCE_EXHAUSTED" => "rate_limit_error",
        "DEADLINE_EXCEEDED" => "timeout_error",
        "UNAVAILABLE" => "overloaded_error",
        "INTERNAL" => "api_error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INNER: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"temperature: Input should be less than or equal to 1"}}"#;

    fn json_string(text: &str) -> String {
        serde_json::to_string(text).unwrap()
    }

    #[test]
    fn litellm_keeps_the_api_error_inside_its_message() {
        let body = format!(
            r#"{{"error":{{"message":{},"type":null,"param":null,"code":"400"}}}}"#,
            json_string(&format!(
                "litellm.BadRequestError: AnthropicException - {INNER}. Received Model Group=claude-sonnet"
            ))
        );
        let found = unwrap(&body, &[]).unwrap();
        assert_eq!(found.gateway, Some(Gateway::LiteLlm));
        assert_eq!(found.error_type.as_deref(), Some("invalid_request_error"));
        assert!(found.message.starts_with("temperature:"), "{found:?}");
        assert_eq!(found.inner_status, Some(400));
    }

    #[test]
    fn a_relay_that_nests_the_api_envelope_is_seen_through() {
        let nested = format!(
            r#"{{"type":"error","error":{{"type":"request_fail","upstream_error":{INNER}}},"request_id":"req_1"}}"#
        );
        let found = unwrap(&nested, &[]).unwrap();
        assert_eq!(found.gateway, Some(Gateway::Relay));
        assert!(found.api_error);
        assert!(found.message.starts_with("temperature:"), "{found:?}");
        // A gateway's own detail object is not the API's answer.
        let detail = r#"{"error":{"message":"quota","type":"new_api_error","details":{"a":1}}}"#;
        assert_eq!(unwrap(detail, &[]).unwrap().gateway, Some(Gateway::OneApi));
    }

    #[test]
    fn vertex_arrays_google_errors_and_bedrock_are_read() {
        let vertex = format!("[{INNER}]");
        let found = unwrap(&vertex, &[]).unwrap();
        assert_eq!(found.gateway, Some(Gateway::VertexAi));
        assert_eq!(found.error_type.as_deref(), Some("invalid_request_error"));
        let google = r#"{"error":{"code":429,"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model","status":"RESOURCE_EXHAUSTED"}}"#;
        let found = unwrap(google, &[]).unwrap();
        assert_eq!(found.gateway, Some(Gateway::VertexAi));
        assert_eq!(found.error_type.as_deref(), Some("rate_limit_error"));
        let bedrock = r#"{"message":"The provided model identifier is invalid."}"#;
        let headers = [Header::new(
            "x-amzn-errortype",
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
        )];
        let found = unwrap(bedrock, &headers).unwrap();
        assert_eq!(found.gateway, Some(Gateway::Bedrock));
        assert_eq!(found.error_type.as_deref(), Some("invalid_request_error"));
    }

    #[test]
    fn openrouter_raw_and_double_encoded_bodies_are_opened() {
        let openrouter = format!(
            r#"{{"error":{{"message":"Provider returned error","code":400,"metadata":{{"raw":{},"provider_name":"Anthropic"}}}}}}"#,
            json_string(INNER)
        );
        let found = unwrap(&openrouter, &[]).unwrap();
        assert_eq!(found.gateway, Some(Gateway::OpenRouter));
        assert!(found.message.starts_with("temperature:"));
        let twice = json_string(INNER);
        let found = unwrap(&twice, &[]).unwrap();
        assert_eq!(found.gateway, None);
        assert_eq!(found.error_type.as_deref(), Some("invalid_request_error"));
    }

    #[test]
    fn pages_name_who_answered() {
        let cf = page_origin(
            403,
            "<title>Edge IP Restricted | api.anthropic.com | Cloudflare</title>… Error 1034 …",
            &[],
        )
        .unwrap();
        assert_eq!((cf.name, cf.code), ("Cloudflare", Some(1034)));
        assert!(cf.meaning.unwrap().contains("DNS"));
        let plain = page_origin(403, "error code: 1000", &[]).unwrap();
        assert_eq!(plain.code, Some(1000));
        let nginx = page_origin(413, "<center>nginx/1.26.0 (Ubuntu)</center>", &[]).unwrap();
        assert_eq!(nginx.name, "nginx");
        assert!(nginx.meaning.unwrap().contains("client_max_body_size"));
        assert!(page_origin(500, "<html>oops</html>", &[]).is_none());
    }

    #[test]
    fn plain_envelopes_have_no_gateway_and_html_is_not_json() {
        let found = unwrap(INNER, &[]).unwrap();
        assert_eq!(found.gateway, None);
        assert!(unwrap("<html><title>502 Bad Gateway</title></html>", &[]).is_none());
        assert!(unwrap(&"[".repeat(10_000), &[]).is_none());
    }
}
