//! The endpoints. Each check answers the way the real API does, in the
//! order it does: size, credentials, version, JSON, validation (lint), the
//! model, the context window, the rate-limit buckets, the scenario's
//! faults, and only then a reply.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::bucket::{self, Window};
use super::checks;
use super::ids;
use super::page::{self, ListPage, PageQuery};
use super::reply::plan_reply;
use super::respond::{ApiFailure, RequestId, add_rate_limit_headers, json as json_response};
use super::scenario::{AuthMode, FaultKind, LimitName, Scenario};
use super::state::{Endpoint, ServerState};
use super::stream::{Cut, deliver_json, deliver_stream, json_reply, message};
use crate::api::lint::Endpoint as LintEndpoint;
use crate::api::models::ModelSpec;
use crate::api::types::{CountTokensResponse, MessagesRequest, ModelInfo, ModelList};

/// The `anthropic-version` values the server accepts: the long-standing
/// one, and the one the Python SDK 2.13 sends.
pub const ACCEPTED_VERSIONS: &[&str] = &["2023-06-01", "2026-10-21"];

/// Present once a response has its rate-limit headers.
const RATE_LIMIT_MARKER: &str = "anthropic-ratelimit-requests-limit";

/// The Messages API's request size limit.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

const CREDIT_BALANCE_MESSAGE: &str = "Your credit balance is too low to access the Anthropic API. \
     Please go to Plans & Billing to upgrade or purchase credits.";

type Shared = State<Arc<ServerState>>;

pub async fn create_message(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let number = state.number_request(Endpoint::Messages);
    let (mut response, exhausted) = answer(
        message_reply(&state, number, &headers, body).await,
        &request_id,
    );
    if !response.headers().contains_key(RATE_LIMIT_MARKER) {
        let windows = reported_windows(&state, Endpoint::Messages, exhausted);
        add_rate_limit_headers(response.headers_mut(), &windows);
    }
    response
}

/// The response, and the limit it says was hit (with its `retry-after`).
fn answer(
    reply: Result<Response, ApiFailure>,
    request_id: &RequestId,
) -> (Response, Option<(LimitName, u64)>) {
    match reply {
        Ok(response) => (response, None),
        Err(failure) => {
            let exhausted = failure.exhausted.zip(failure.retry_after_secs);
            (failure.into_response(request_id), exhausted)
        }
    }
}

/// The rate-limit windows a response reports: the buckets as they are,
/// and after a 429 the limit it names at 0.
fn reported_windows(
    state: &ServerState,
    endpoint: Endpoint,
    exhausted: Option<(LimitName, u64)>,
) -> [Window; 4] {
    let windows = state.windows(endpoint);
    match exhausted {
        Some((limit, retry_after_secs)) => bucket::exhausted(windows, limit, retry_after_secs),
        None => windows,
    }
}

async fn message_reply(
    state: &Arc<ServerState>,
    number: Option<u64>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let (body, version) = read_checked_body(state, headers, body).await?;
    gateway_rules(&state.scenario, headers, &body)?;
    validate(&body, LintEndpoint::Messages, &version, headers)?;
    let request = typed_request(&body)?;
    known_model(&request.model)?;
    let input_tokens = checks::input_tokens(&body);
    state
        .admit(Endpoint::Messages, input_tokens)
        .map_err(|r| rate_limited(r.limit, r.per_minute, r.retry_after_secs))?;
    let admitted = state.windows(Endpoint::Messages);
    let streaming = request.stream == Some(true);
    let cut = apply_fault(state, number, streaming).await?;
    state
        .pause(state.paced(state.scenario.pacing.first_byte_ms as f64))
        .await;
    let plan = plan_reply(&request, &state.scenario);
    let id = ids::message_id();
    if streaming {
        let start = message(&id, &request.model, None, input_tokens, 1);
        let mut response = deliver_stream(state.clone(), start, plan, cut);
        // As the request was admitted: the first-byte pause would refill
        // small charges before anyone saw them.
        add_rate_limit_headers(response.headers_mut(), &admitted);
        Ok(response)
    } else {
        let reply = message(
            &id,
            &request.model,
            Some(&plan),
            input_tokens,
            plan.output_tokens(),
        );
        Ok(deliver_json(state.clone(), reply, cut).await)
    }
}

pub async fn count_tokens(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let number = state.number_request(Endpoint::CountTokens);
    let (mut response, exhausted) = answer(
        count_tokens_reply(&state, number, &headers, body).await,
        &request_id,
    );
    let windows = reported_windows(&state, Endpoint::CountTokens, exhausted);
    add_rate_limit_headers(response.headers_mut(), &windows);
    response
}

async fn count_tokens_reply(
    state: &Arc<ServerState>,
    number: Option<u64>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiFailure> {
    let (body, version) = read_checked_body(state, headers, body).await?;
    gateway_rules(&state.scenario, headers, &body)?;
    validate(&body, LintEndpoint::CountTokens, &version, headers)?;
    let model_id = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    known_model(model_id)?;
    state
        .admit(Endpoint::CountTokens, 0)
        .map_err(|r| rate_limited(r.limit, r.per_minute, r.retry_after_secs))?;
    let cut = apply_fault(state, number, false).await?;
    let answer = CountTokensResponse {
        input_tokens: checks::input_tokens(&body),
    };
    Ok(json_reply(&answer, matches!(cut, Some(Cut::DropAfter(_)))))
}

/// The typed request the reply is planned from. Lint has passed the body,
/// so this only fails on shapes the planner does not model; `system`-role
/// turns (which some models accept) are left out of the conversation.
pub(super) fn typed_request(body: &Value) -> Result<MessagesRequest, ApiFailure> {
    let mut body = body.clone();
    if let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) {
        messages.retain(|m| {
            matches!(
                m.get("role").and_then(Value::as_str),
                Some("user" | "assistant")
            )
        });
    }
    serde_json::from_value(body).map_err(|e| ApiFailure::status(400, e.to_string()))
}

/// Size, credentials and version, then the body as JSON (with the
/// accepted `anthropic-version`, which changes what is valid).
pub(super) async fn read_checked_body(
    state: &ServerState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Value, String), ApiFailure> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    check_credentials(state, headers)?;
    let version = check_version(headers)?;
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        ApiFailure::status(
            400,
            format!(
                "The request body is not valid JSON: invalid UTF-8 at byte {}",
                e.valid_up_to()
            ),
        )
    })?;
    Ok((checks::parse_body(text)?, version))
}

fn too_large() -> ApiFailure {
    ApiFailure::status(413, "Request exceeds the maximum allowed number of bytes.")
}

/// Any non-empty `x-api-key` or `Authorization: Bearer` credential passes,
/// unless the scenario refuses every key.
pub(super) fn check_credentials(
    state: &ServerState,
    headers: &HeaderMap,
) -> Result<(), ApiFailure> {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
    };
    let bearer = header_text(header::AUTHORIZATION.as_str());
    let bearer = bearer
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credential)| credential.trim())
        .unwrap_or_default();
    if header_text("x-api-key").is_empty() && bearer.is_empty() {
        return Err(ApiFailure::status(401, "x-api-key header is required"));
    }
    match state.scenario.auth {
        AuthMode::AnyKey => Ok(()),
        AuthMode::RejectAll => Err(ApiFailure::status(401, "invalid x-api-key")),
    }
}

/// The accepted `anthropic-version`, or the API's 400.
pub(super) fn check_version(headers: &HeaderMap) -> Result<String, ApiFailure> {
    let Some(value) = headers.get("anthropic-version") else {
        return Err(ApiFailure::status(
            400,
            "anthropic-version: header is required",
        ));
    };
    let value = String::from_utf8_lossy(value.as_bytes());
    if ACCEPTED_VERSIONS.contains(&value.trim()) {
        Ok(value.trim().to_owned())
    } else {
        Err(ApiFailure::status(
            400,
            format!(
                "anthropic-version: \"{value}\" is not a valid version. Supported versions: {}",
                ACCEPTED_VERSIONS.join(", ")
            ),
        ))
    }
}

/// Credentials, then `anthropic-version` (returned): what every endpoint
/// checks before it looks at a body.
pub(super) fn authorized(state: &ServerState, headers: &HeaderMap) -> Result<String, ApiFailure> {
    check_credentials(state, headers)?;
    check_version(headers)
}

/// Every `anthropic-beta` value, over all headers of that name.
pub(super) fn sent_betas(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("anthropic-beta")
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .map(|v| v.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The lint checks, with the request's `anthropic-beta` values.
fn validate(
    body: &Value,
    endpoint: LintEndpoint,
    version: &str,
    headers: &HeaderMap,
) -> Result<(), ApiFailure> {
    let betas = sent_betas(headers);
    let betas: Vec<&str> = betas.iter().map(String::as_str).collect();
    checks::validate(body, endpoint, version, &betas)
}

/// The scenario's picky-gateway rules: `anthropic-beta` values and
/// top-level fields it refuses, answered with the API's wording for an
/// unknown beta value and an unknown field (the message real users see
/// when a gateway is behind on betas or strips fields).
fn gateway_rules(scenario: &Scenario, headers: &HeaderMap, body: &Value) -> Result<(), ApiFailure> {
    let refused: Vec<String> = sent_betas(headers)
        .into_iter()
        .filter(|value| {
            scenario
                .reject_betas
                .iter()
                .any(|refused| refused.trim().eq_ignore_ascii_case(value))
        })
        .collect();
    if !refused.is_empty() {
        let listed: Vec<String> = refused.iter().map(|v| format!("`{v}`")).collect();
        return Err(ApiFailure::status(
            400,
            format!(
                "Unexpected value(s) {} for the `anthropic-beta` header. Please consult our \
                 documentation at docs.claude.com or try again without the header.",
                listed.join(", ")
            ),
        ));
    }
    let field = body
        .as_object()
        .and_then(|map| map.keys().find(|key| scenario.reject_fields.contains(key)));
    match field {
        Some(field) => Err(ApiFailure::status(
            400,
            format!("{field}: Extra inputs are not permitted"),
        )),
        None => Ok(()),
    }
}

pub(super) fn known_model(id: &str) -> Result<&'static ModelSpec, ApiFailure> {
    checks::model(id).ok_or_else(|| ApiFailure::status(404, format!("model: {id}")))
}

/// A 429 for `limit`, in the API's words: "This request would exceed the
/// rate limit for your organization (…) of 40,000 input tokens per minute…".
fn rate_limited(limit: LimitName, per_minute: u64, retry_after_secs: u64) -> ApiFailure {
    ApiFailure::status(
        429,
        format!(
            "This request would exceed the rate limit for your organization ({}) of {} {} per \
             minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can \
             see the response headers for current usage. Please reduce the prompt length or the \
             maximum tokens requested, or try again later. You may also contact sales at \
             https://www.anthropic.com/contact-sales to discuss your options for a rate limit \
             increase.",
            ids::ORGANIZATION_ID,
            super::respond::thousands(per_minute),
            limit.unit(),
        ),
    )
    .retry_after(retry_after_secs)
    .exhausts(limit)
}

/// Injects the scenario's fault for request `number`: an error answer,
/// a delay, or a cut for the reply to make.
async fn apply_fault(
    state: &ServerState,
    number: Option<u64>,
    streaming: bool,
) -> Result<Option<Cut>, ApiFailure> {
    let Some(kind) = number.and_then(|n| state.pick_fault(n)) else {
        return Ok(None);
    };
    let overloaded =
        |should_retry| ApiFailure::status(529, "Overloaded").should_retry(should_retry);
    match kind {
        FaultKind::RateLimit {
            retry_after_secs,
            limit,
        } => Err(rate_limited(
            limit,
            limit.per_minute(&state.scenario.limits),
            retry_after_secs,
        )),
        FaultKind::Overloaded { should_retry } => Err(overloaded(should_retry)),
        FaultKind::ServerError => Err(ApiFailure::status(500, "Internal server error")),
        FaultKind::StreamError { after_events } if streaming => {
            Ok(Some(Cut::ErrorAfter(after_events)))
        }
        FaultKind::StreamError { .. } => Err(overloaded(None)),
        FaultKind::DropMidStream { after_events } => Ok(Some(Cut::DropAfter(after_events))),
        FaultKind::SlowFirstByte { delay_ms } => {
            state.pause(state.fault_delay(delay_ms)).await;
            Ok(None)
        }
        FaultKind::RegionBlock => Err(ApiFailure::new(403, "forbidden", "Request not allowed")),
        FaultKind::CreditBalance => Err(ApiFailure::status(400, CREDIT_BALANCE_MESSAGE)),
        FaultKind::InvalidKey => Err(ApiFailure::status(401, "invalid x-api-key")),
    }
}

pub async fn list_models(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let page = check_credentials(&state, &headers)
        .and_then(|()| check_version(&headers))
        .and_then(|_| {
            let Query(query) = query.map_err(|e| ApiFailure::status(400, e.body_text()))?;
            let param = |name: &str| query.get(name).map(String::as_str);
            models_page(
                &checks::listed_models(),
                param("limit"),
                param("before_id"),
                param("after_id"),
            )
        });
    match page {
        Ok(page) => json_response(StatusCode::OK, &page),
        Err(failure) => failure.into_response(&request_id),
    }
}

pub async fn get_model(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let info = check_credentials(&state, &headers)
        .and_then(|()| check_version(&headers))
        .and_then(|_| known_model(&id))
        .map(model_info);
    match info {
        Ok(info) => json_response(StatusCode::OK, &info),
        Err(failure) => failure.into_response(&request_id),
    }
}

fn model_info(spec: &ModelSpec) -> ModelInfo {
    ModelInfo {
        kind: "model".into(),
        id: spec.id.to_owned(),
        display_name: spec.display_name.to_owned(),
        created_at: spec.created_at.to_owned(),
    }
}

/// One page of `GET /v1/models`, newest first: `limit` 1–1000 (default
/// 20), after `after_id` or before `before_id`.
pub fn models_page(
    models: &[ModelSpec],
    limit: Option<&str>,
    before_id: Option<&str>,
    after_id: Option<&str>,
) -> Result<ModelList, ApiFailure> {
    let mut sorted: Vec<&ModelSpec> = models.iter().collect();
    sorted.sort_by(|a, b| b.created_at.cmp(a.created_at));
    let ids: Vec<&str> = sorted.iter().map(|m| m.id).collect();
    let query = PageQuery {
        limit,
        before_id,
        after_id,
    };
    let span = page::span(&ids, query, "model")?;
    let data: Vec<ModelInfo> = sorted
        .get(span.range)
        .unwrap_or_default()
        .iter()
        .map(|m| model_info(m))
        .collect();
    // The shared page's cursors, into the API's typed list (same fields,
    // same order, so the same JSON).
    let ListPage {
        data,
        has_more,
        first_id,
        last_id,
    } = ListPage::new(data, span.has_more, |m: &ModelInfo| &m.id);
    Ok(ModelList {
        data,
        has_more,
        first_id,
        last_id,
    })
}

/// `GET`/`HEAD /api/hello`: the unauthenticated probe Claude Code sends.
pub async fn hello() -> Response {
    json_response(StatusCode::OK, &json!({"message": "hello"}))
}

/// `GET`/`HEAD /`: Claude Code probes the base URL with HEAD.
pub async fn root() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"message": "claudetui embedded Anthropic-compatible server"}),
    )
}

/// What the embedded server answers (each also under
/// [`super::GATEWAY_PREFIX`]); every other path gets a 404 saying so.
/// Keep it in step with `router()`: a test sends each of them.
pub const IMPLEMENTED: [&str; 13] = [
    "POST /v1/messages",
    "POST /v1/messages/count_tokens",
    "GET|POST /v1/messages/batches",
    "GET|DELETE /v1/messages/batches/{id}",
    "GET /v1/messages/batches/{id}/results",
    "POST /v1/messages/batches/{id}/cancel",
    "GET|POST /v1/files",
    "GET|DELETE /v1/files/{id}",
    "GET /v1/files/{id}/content",
    "GET /v1/models",
    "GET /v1/models/{id}",
    "GET|HEAD /api/hello",
    "GET|HEAD /",
];

/// The longest path a 404 repeats.
const SHOWN_PATH_CHARS: usize = 200;

/// A path the server does not serve. A bare "Not Found" reads as a wrong
/// base URL; the real API may well have the path, so the answer says it
/// is the embedded server that lacks it, and what it has instead.
pub async fn not_found(
    Extension(request_id): Extension<RequestId>,
    method: Method,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let path: String = crate::text::printable(uri.path())
        .chars()
        .take(SHOWN_PATH_CHARS)
        .collect();
    ApiFailure::status(
        404,
        format!(
            "claudetui's embedded server does not implement {method} {path}; it implements \
             only {} (each also under {}).",
            IMPLEMENTED.join(", "),
            super::GATEWAY_PREFIX,
        ),
    )
    .into_response(&request_id)
}

pub async fn method_not_allowed(Extension(request_id): Extension<RequestId>) -> Response {
    ApiFailure::status(405, "Method Not Allowed").into_response(&request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &'static str, created_at: &'static str) -> ModelSpec {
        let template = crate::api::models::all()[0];
        ModelSpec {
            id,
            display_name: id,
            created_at,
            ..template
        }
    }

    fn models() -> [ModelSpec; 5] {
        [
            spec("b", "2025-02-01T00:00:00Z"),
            spec("d", "2025-04-01T00:00:00Z"),
            spec("a", "2025-01-01T00:00:00Z"),
            spec("e", "2025-05-01T00:00:00Z"),
            spec("c", "2025-03-01T00:00:00Z"),
        ]
    }

    /// limit, before_id, after_id → the ids of the page, has_more.
    type PageCase<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        &'a [&'a str],
        bool,
    );

    fn ids(page: &ModelList) -> Vec<&str> {
        page.data.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn gateway_rules_refuse_the_listed_betas_and_fields_only() {
        let scenario = Scenario {
            reject_betas: vec!["files-api-2025-04-14".into()],
            reject_fields: vec!["service_tier".into()],
            ..Scenario::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            "anthropic-beta",
            "a-2025-01-01, Files-API-2025-04-14".parse().unwrap(),
        );
        let body = json!({"model": "m", "service_tier": "auto"});
        let failure = gateway_rules(&scenario, &headers, &body).unwrap_err();
        assert_eq!(failure.status, 400);
        assert!(
            failure.message.starts_with(
                "Unexpected value(s) `Files-API-2025-04-14` for the `anthropic-beta` header."
            ),
            "{}",
            failure.message
        );
        headers.insert("anthropic-beta", "a-2025-01-01".parse().unwrap());
        let failure = gateway_rules(&scenario, &headers, &body).unwrap_err();
        assert_eq!(
            failure.message,
            "service_tier: Extra inputs are not permitted"
        );
        assert!(gateway_rules(&scenario, &headers, &json!({"model": "m"})).is_ok());
        assert!(gateway_rules(&Scenario::default(), &HeaderMap::new(), &body).is_ok());
    }

    #[test]
    fn pages_walk_the_models_newest_first() {
        let table: [PageCase; 6] = [
            (None, None, None, &["e", "d", "c", "b", "a"], false),
            (Some("2"), None, None, &["e", "d"], true),
            (Some("2"), None, Some("d"), &["c", "b"], true),
            (Some("2"), None, Some("b"), &["a"], false),
            (Some("2"), Some("b"), None, &["d", "c"], true),
            (Some("9"), Some("c"), None, &["e", "d"], false),
        ];
        for (limit, before, after, expected, has_more) in table {
            let page = models_page(&models(), limit, before, after).unwrap();
            assert_eq!(ids(&page), expected, "{limit:?} {before:?} {after:?}");
            assert_eq!(page.has_more, has_more, "{limit:?} {before:?} {after:?}");
            assert_eq!(page.first_id.as_deref(), expected.first().copied());
            assert_eq!(page.last_id.as_deref(), expected.last().copied());
        }
        let empty = models_page(&models(), None, None, Some("a")).unwrap();
        assert!(empty.data.is_empty() && empty.first_id.is_none() && !empty.has_more);
    }

    #[test]
    fn bad_page_parameters_are_400s() {
        let table = [
            (Some("0"), None, None, "greater than or equal to 1"),
            (Some("1001"), None, None, "less than or equal to 1000"),
            (Some("ten"), None, None, "valid integer"),
            (None, Some("zz"), None, "before_id: no model with id `zz`"),
            (None, None, Some("zz"), "after_id: no model with id `zz`"),
            (None, Some("a"), Some("b"), "cannot both"),
        ];
        for (limit, before, after, expected) in table {
            let failure = models_page(&models(), limit, before, after).unwrap_err();
            assert_eq!(failure.status, 400);
            assert!(failure.message.contains(expected), "{}", failure.message);
        }
    }
}
