//! Response helpers: the error envelope, the headers every response
//! carries, and the rate-limit header family.

use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use super::bucket::Window;
use super::ids;
use super::scenario::LimitName;
use crate::api::types::ErrorEnvelope;

/// The `request-id` of the request being answered (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives every request an id and every response `request-id`,
/// `anthropic-organization-id` and a content type.
pub async fn stamp_headers(mut request: Request, next: Next) -> Response {
    let id = ids::request_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set(headers, "request-id", &id);
    set(headers, "anthropic-organization-id", ids::ORGANIZATION_ID);
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

/// Sets a header; a value that is not a legal header value is skipped
/// (every value here is generated, so that never happens in practice).
pub fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// The `error.type` the API pairs with a status.
pub fn error_type_for_status(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        500 => "api_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "invalid_request_error",
    }
}

/// An error answer, ready to be given extra headers.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
    pub should_retry: Option<bool>,
    /// The limit a 429 names, which its rate-limit headers show at 0.
    pub exhausted: Option<LimitName>,
}

impl ApiFailure {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            kind,
            message: message.into(),
            retry_after_secs: None,
            should_retry: None,
            exhausted: None,
        }
    }

    /// The status's usual `error.type`.
    pub fn status(status: u16, message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(status, error_type_for_status(status), message)
    }

    pub fn retry_after(mut self, secs: u64) -> ApiFailure {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn exhausts(mut self, limit: LimitName) -> ApiFailure {
        self.exhausted = Some(limit);
        self
    }

    pub fn should_retry(mut self, should_retry: Option<bool>) -> ApiFailure {
        self.should_retry = should_retry;
        self
    }

    /// The envelope with `request_id`, and `retry-after` / `x-should-retry`.
    pub fn into_response(self, request_id: &RequestId) -> Response {
        let mut envelope = ErrorEnvelope::new(self.kind, self.message);
        envelope.request_id = Some(request_id.0.clone());
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = json(status, &envelope);
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs {
            set(headers, "retry-after", &secs.to_string());
        }
        if let Some(should_retry) = self.should_retry {
            set(headers, "x-should-retry", &should_retry.to_string());
        }
        response
    }
}

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    (status, Json(body)).into_response()
}

/// A 200 with `result`'s body, or its error envelope.
pub fn answer<T: Serialize>(result: Result<T, ApiFailure>, request_id: &RequestId) -> Response {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(failure) => failure.into_response(request_id),
    }
}

/// What a delete answers: `{"id", "type"}`, the type naming what was
/// deleted (`message_batch_deleted`, `file_deleted`).
#[derive(Debug, Serialize)]
pub struct Deleted {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl Deleted {
    pub fn new(id: String, kind: &'static str) -> Deleted {
        Deleted { id, kind }
    }
}

/// Adds the `anthropic-ratelimit-*` families.
pub fn add_rate_limit_headers(headers: &mut HeaderMap, windows: &[Window]) {
    let now = Utc::now();
    for window in windows {
        let reset = now + Duration::from_secs_f64(window.reset_in_secs.max(0.0));
        let pairs = [
            ("limit", window.limit.to_string()),
            ("remaining", window.remaining.to_string()),
            ("reset", reset.to_rfc3339_opts(SecondsFormat::Secs, true)),
        ];
        for (suffix, value) in pairs {
            let name = format!("{}-{suffix}", window.prefix);
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::from_str(&value))
            {
                headers.insert(name, value);
            }
        }
    }
}

pub use crate::text::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_error_types() {
        let table = [
            (400, "invalid_request_error"),
            (401, "authentication_error"),
            (404, "not_found_error"),
            (413, "request_too_large"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (529, "overloaded_error"),
        ];
        for (status, kind) in table {
            assert_eq!(error_type_for_status(status), kind);
            assert_eq!(
                crate::api::errors::status_for_error_type(kind),
                Some(status)
            );
        }
    }
}
