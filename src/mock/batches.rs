//! Message Batches (`/v1/messages/batches`), answered as the API does.
//!
//! Processing is instant but observable. Every result is planned when the
//! batch is created, each request with the same validation and reply as
//! `POST /v1/messages` (non-streaming); an invalid request becomes an
//! `errored` result, not a failed batch. The batch answers `in_progress`
//! until it is next read (retrieve, list or results), and that read ends
//! it: an SDK's poll loop finishes on its first poll, and a test can still
//! see every state. A cancel before that read leaves it `canceling`, and
//! the read ends it with every request `canceled` (none had been
//! processed). A batch nobody reads for 24 hours ends `expired`.
//!
//! Memory stays bounded: the body is capped like a Messages request
//! ([`MAX_BODY_BYTES`], where the API allows 256 MB), and at most
//! [`MAX_BATCHES`] batches and [`MAX_RESULT_BYTES`] of results are kept,
//! the oldest batch evicted first. A batch whose own results would pass
//! that cap is refused with a 413 while it is planned, so the cap holds
//! for the newest batch too. Results are planned once, off the store's
//! lock, as one JSONL [`Bytes`]; a download clones that handle under the
//! lock and serialises nothing there, so concurrent downloads neither copy
//! the file nor hold up the other batch endpoints.
//!
//! [`MAX_BODY_BYTES`]: super::MAX_BODY_BYTES

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::checks;
use super::handlers;
use super::ids;
use super::page::{self, ListPage, PageQuery};
use super::reply::plan_reply;
use super::respond::{self, ApiFailure, Deleted, RequestId, answer};
use super::state::{ServerState, lock};
use super::stream::message;
use crate::api::lint::Endpoint as LintEndpoint;
use crate::api::types::{ErrorEnvelope, MessageResponse};

/// The most requests one batch may hold, as the API allows.
pub const MAX_REQUESTS: usize = 100_000;
/// The most batches the server keeps.
pub const MAX_BATCHES: usize = 100;
/// The most result text (JSONL) the server keeps over all batches.
pub const MAX_RESULT_BYTES: usize = 128 * 1024 * 1024;
/// How long a batch may stay unfinished, as the API's do.
const EXPIRY: TimeDelta = TimeDelta::hours(24);
/// The API's rule for `custom_id`, in its own words.
const CUSTOM_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";

type Shared = State<Arc<ServerState>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum ProcessingStatus {
    InProgress,
    Canceling,
    Ended,
}

/// What happened to one request: the `type` of its result.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BatchResult {
    Succeeded { message: Box<MessageResponse> },
    Errored { error: ErrorEnvelope },
    Canceled,
    Expired,
}

/// One line of the results file.
#[derive(Serialize)]
struct ResultLine<'a> {
    custom_id: &'a str,
    result: &'a BatchResult,
}

/// `request_counts`: every request is `processing` until the batch ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
struct RequestCounts {
    processing: usize,
    succeeded: usize,
    errored: usize,
    canceled: usize,
    expired: usize,
}

impl RequestCounts {
    fn count(&mut self, result: &BatchResult) {
        let slot = match result {
            BatchResult::Succeeded { .. } => &mut self.succeeded,
            BatchResult::Errored { .. } => &mut self.errored,
            BatchResult::Canceled => &mut self.canceled,
            BatchResult::Expired => &mut self.expired,
        };
        *slot += 1;
    }
}

/// A batch's results as planned at creation: the JSONL file each request's
/// reply makes, and what the counts say once it ends that way.
#[derive(Debug, Clone)]
struct Plan {
    /// Kept until the batch ends, in case it ends canceled or expired and
    /// the file has to be rewritten.
    custom_ids: Vec<String>,
    results: Bytes,
    counts: RequestCounts,
}

impl Plan {
    /// What the batch holds in memory: the file plus the ids.
    fn bytes(&self) -> usize {
        self.results.len() + self.custom_ids.iter().map(String::len).sum::<usize>()
    }
}

/// Appends one line of the results file.
fn push_line(text: &mut Vec<u8>, custom_id: &str, result: &BatchResult) {
    let line = ResultLine { custom_id, result };
    // Strings, numbers and string-keyed maps into a Vec: this cannot fail,
    // and a line lost to a bug would show in the counts' mismatch.
    if serde_json::to_writer(&mut *text, &line).is_ok() {
        text.push(b'\n');
    }
}

/// The `message_batch` object, with the SDK types' full field set.
#[derive(Debug, Clone, Serialize)]
pub struct MessageBatchObject {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    processing_status: ProcessingStatus,
    request_counts: RequestCounts,
    ended_at: Option<String>,
    created_at: String,
    expires_at: String,
    cancel_initiated_at: Option<String>,
    archived_at: Option<String>,
    results_url: Option<String>,
}

#[derive(Debug, Clone)]
struct Batch {
    id: String,
    created_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    cancel_initiated_at: Option<DateTime<Utc>>,
    status: ProcessingStatus,
    requests: usize,
    /// The planned results until the batch ends, then the ones it ended
    /// with (the plan's ids are dropped then).
    plan: Plan,
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Batch {
    fn new(id: String, now: DateTime<Utc>, plan: Plan) -> Batch {
        Batch {
            id,
            created_at: now,
            ended_at: None,
            cancel_initiated_at: None,
            status: ProcessingStatus::InProgress,
            requests: plan.custom_ids.len(),
            plan,
        }
    }

    fn bytes(&self) -> usize {
        self.plan.bytes()
    }

    fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + EXPIRY
    }

    /// A read at `now`: an unfinished batch ends (see the module comment).
    fn advance(&mut self, now: DateTime<Utc>) {
        if self.status == ProcessingStatus::Ended {
            return;
        }
        let expired = now >= self.expires_at();
        if self.status == ProcessingStatus::Canceling {
            self.finish_all(&BatchResult::Canceled);
        } else if expired {
            self.finish_all(&BatchResult::Expired);
        }
        self.status = ProcessingStatus::Ended;
        self.ended_at = Some(now.min(self.expires_at()));
        self.plan.custom_ids = Vec::new();
    }

    /// Every request gets `result` instead of its planned one. This line
    /// is never longer than a planned one (both name the id, and a planned
    /// result says more than its type), so the batch stays under the cap.
    fn finish_all(&mut self, result: &BatchResult) {
        let mut text = Vec::with_capacity(self.plan.results.len());
        let mut counts = RequestCounts::default();
        for custom_id in &self.plan.custom_ids {
            push_line(&mut text, custom_id, result);
            counts.count(result);
        }
        self.plan.results = Bytes::from(text);
        self.plan.counts = counts;
    }

    /// Cancelling an unfinished batch; an ended or canceling one is left
    /// as it is and answered unchanged.
    fn cancel(&mut self, now: DateTime<Utc>) {
        if self.status == ProcessingStatus::InProgress {
            self.status = ProcessingStatus::Canceling;
            self.cancel_initiated_at = Some(now);
        }
    }

    fn counts(&self) -> RequestCounts {
        if self.status != ProcessingStatus::Ended {
            return RequestCounts {
                processing: self.requests,
                ..RequestCounts::default()
            };
        }
        self.plan.counts
    }

    /// The batch as the API shows it; `origin` is this server's
    /// `http://host:port` as the client addressed it.
    fn object(&self, origin: &str) -> MessageBatchObject {
        let ended = self.status == ProcessingStatus::Ended;
        MessageBatchObject {
            id: self.id.clone(),
            kind: "message_batch",
            processing_status: self.status,
            request_counts: self.counts(),
            ended_at: self.ended_at.map(timestamp),
            created_at: timestamp(self.created_at),
            expires_at: timestamp(self.expires_at()),
            cancel_initiated_at: self.cancel_initiated_at.map(timestamp),
            archived_at: None,
            results_url: ended.then(|| format!("{origin}/v1/messages/batches/{}/results", self.id)),
        }
    }

    /// The results file (one JSON object per line): a cheap clone of the
    /// shared buffer, safe to take under the store's lock.
    fn results(&self) -> Bytes {
        self.plan.results.clone()
    }
}

/// The batches the server keeps, oldest first.
#[derive(Debug, Default)]
pub struct BatchStore {
    batches: VecDeque<Batch>,
}

impl BatchStore {
    /// Keeps `batch`, evicting the oldest ones until the caps hold again.
    fn insert(&mut self, batch: Batch) {
        let mut bytes: usize = self.batches.iter().map(Batch::bytes).sum();
        while !self.batches.is_empty()
            && (self.batches.len() >= MAX_BATCHES || bytes + batch.bytes() > MAX_RESULT_BYTES)
        {
            if let Some(evicted) = self.batches.pop_front() {
                bytes -= evicted.bytes();
                tracing::debug!(id = %evicted.id, "embedded server: evicted the oldest batch");
            }
        }
        self.batches.push_back(batch);
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Batch> {
        self.batches.iter_mut().find(|b| b.id == id)
    }
}

fn not_found(id: &str) -> ApiFailure {
    ApiFailure::status(
        404,
        format!(
            "message_batch_id: no Message Batch with id `{id}` (the embedded server keeps the \
             newest {MAX_BATCHES})"
        ),
    )
}

/// `scheme://host:port` as the client addressed this server, for
/// `results_url`; empty (a path the SDKs resolve against their base URL)
/// when the request names no host. A proxy in front (the tap of
/// `mock --record`) names the client's address in `X-Forwarded-Host` and
/// `X-Forwarded-Proto`, and those win: its own `Host` is this server's
/// internal port, and a download sent there would skip the proxy.
fn origin(headers: &HeaderMap, uri: &Uri) -> String {
    // A proxy chain lists one value per hop; the first is the client's.
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = first("x-forwarded-host")
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .filter(|host| host.parse::<axum::http::uri::Authority>().is_ok() && !host.contains('@'));
    let scheme = match first("x-forwarded-proto") {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    host.map(|host| format!("{scheme}://{host}"))
        .unwrap_or_default()
}

/// One request of the body, its shape checked.
struct BatchRequest {
    custom_id: String,
    params: Value,
}

/// What the requests are validated with: the batch request's headers and
/// the scenario named in replies.
struct Context {
    version: String,
    betas: Vec<String>,
    scenario: super::scenario::Scenario,
}

pub async fn create(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    answer(
        create_batch(&state, &headers, &uri, body).await,
        &request_id,
    )
}

async fn create_batch(
    state: &Arc<ServerState>,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> Result<MessageBatchObject, ApiFailure> {
    let (body, version) = handlers::read_checked_body(state, headers, body).await?;
    let requests = parse_requests(body)?;
    let context = Context {
        version,
        betas: handlers::sent_betas(headers),
        scenario: state.scenario.clone(),
    };
    // A full batch is 100,000 lint runs: off the async workers.
    let plan = tokio::task::spawn_blocking(move || plan(requests, &context, MAX_RESULT_BYTES))
        .await
        .map_err(|_| ApiFailure::status(500, "Internal server error"))??;
    let batch = Batch::new(ids::message_batch_id(), Utc::now(), plan);
    let object = batch.object(&origin(headers, uri));
    lock(&state.batches).insert(batch);
    Ok(object)
}

fn bad(message: impl Into<String>) -> ApiFailure {
    ApiFailure::status(400, message)
}

/// The body's `requests`, with the checks that fail the whole batch:
/// the body's shape, 1 to 100,000 requests, each `custom_id` valid and
/// unique, each `params` an object.
fn parse_requests(body: Value) -> Result<Vec<BatchRequest>, ApiFailure> {
    let Value::Object(mut body) = body else {
        return Err(bad("Input should be a valid dictionary"));
    };
    let requests = body
        .remove("requests")
        .ok_or_else(|| bad("requests: Field required"))?;
    no_extra_fields(&body, "")?;
    let Value::Array(requests) = requests else {
        return Err(bad("requests: Input should be a valid list"));
    };
    match requests.len() {
        0 => Err(bad(
            "requests: List should have at least 1 item after validation, not 0",
        )),
        n if n > MAX_REQUESTS => Err(bad(format!(
            "requests: List should have at most {MAX_REQUESTS} items after validation, not {n}"
        ))),
        _ => {
            let mut seen = HashSet::new();
            let parse = |(i, request)| parse_request(i, request, &mut seen);
            requests.into_iter().enumerate().map(parse).collect()
        }
    }
}

fn parse_request(
    index: usize,
    request: Value,
    seen: &mut HashSet<String>,
) -> Result<BatchRequest, ApiFailure> {
    let at = format!("requests.{index}");
    let Value::Object(mut request) = request else {
        return Err(bad(format!("{at}: Input should be a valid dictionary")));
    };
    let custom_id = match request.remove("custom_id") {
        None => return Err(bad(format!("{at}.custom_id: Field required"))),
        Some(Value::String(id)) => id,
        Some(_) => {
            return Err(bad(format!(
                "{at}.custom_id: Input should be a valid string"
            )));
        }
    };
    let params = match request.remove("params") {
        None => return Err(bad(format!("{at}.params: Field required"))),
        Some(params @ Value::Object(_)) => params,
        Some(_) => {
            return Err(bad(format!(
                "{at}.params: Input should be a valid dictionary"
            )));
        }
    };
    no_extra_fields(&request, &format!("{at}."))?;
    check_custom_id(&at, &custom_id, seen)?;
    Ok(BatchRequest { custom_id, params })
}

fn no_extra_fields(rest: &Map<String, Value>, prefix: &str) -> Result<(), ApiFailure> {
    match rest.keys().next() {
        Some(field) => Err(bad(format!(
            "{prefix}{field}: Extra inputs are not permitted"
        ))),
        None => Ok(()),
    }
}

fn check_custom_id(at: &str, id: &str, seen: &mut HashSet<String>) -> Result<(), ApiFailure> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if id.is_empty() || id.len() > 64 || !id.chars().all(allowed) {
        return Err(bad(format!(
            "{at}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN}'"
        )));
    }
    if !seen.insert(id.to_owned()) {
        return Err(bad(format!(
            "{at}.custom_id: `{id}` is already the custom_id of an earlier request; each \
             request in a Message Batch needs its own"
        )));
    }
    Ok(())
}

/// Each request's result, as one JSONL file; a 413 as soon as the file
/// and ids pass `cap` bytes, so a refused batch never costs more than that.
fn plan(requests: Vec<BatchRequest>, context: &Context, cap: usize) -> Result<Plan, ApiFailure> {
    let mut text = Vec::new();
    let mut counts = RequestCounts::default();
    let mut custom_ids = Vec::with_capacity(requests.len());
    let mut id_bytes = 0;
    for request in requests {
        let result = match reply_for(&request.params, context) {
            Ok(message) => BatchResult::Succeeded {
                message: Box::new(message),
            },
            Err(failure) => BatchResult::Errored {
                error: ErrorEnvelope::new(failure.kind, failure.message),
            },
        };
        push_line(&mut text, &request.custom_id, &result);
        counts.count(&result);
        id_bytes += request.custom_id.len();
        custom_ids.push(request.custom_id);
        if text.len() + id_bytes > cap {
            return Err(ApiFailure::status(
                413,
                format!(
                    "The results of this Message Batch would pass the embedded server's cap of \
                     {} bytes of kept results (the API has no such cap); send fewer requests, \
                     or smaller replies (max_tokens, the scenario), per batch.",
                    respond::thousands(cap as u64)
                ),
            ));
        }
    }
    Ok(Plan {
        custom_ids,
        results: Bytes::from(text),
        counts,
    })
}

/// The reply `POST /v1/messages` would give these params without
/// `stream`, or its error; billed at the batch tier.
fn reply_for(params: &Value, context: &Context) -> Result<MessageResponse, ApiFailure> {
    if params.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(bad(
            "stream: a request in a Message Batch cannot stream; its result is the whole message",
        ));
    }
    let betas: Vec<&str> = context.betas.iter().map(String::as_str).collect();
    checks::validate(params, LintEndpoint::Messages, &context.version, &betas)?;
    let request = handlers::typed_request(params)?;
    handlers::known_model(&request.model)?;
    let plan = plan_reply(&request, &context.scenario);
    let input_tokens = checks::input_tokens(params);
    let id = ids::message_id();
    let mut reply = message(
        &id,
        &request.model,
        Some(&plan),
        input_tokens,
        plan.output_tokens(),
    );
    reply.usage.service_tier = Some("batch".into());
    Ok(reply)
}

pub async fn list(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let page = handlers::authorized(&state, &headers).and_then(|_| {
        let Query(query) = query.map_err(|e| bad(e.body_text()))?;
        list_page(&state, &query, &origin(&headers, &uri))
    });
    answer(page, &request_id)
}

/// One page of the batches, newest first; listing reads (so ends) them.
fn list_page(
    state: &ServerState,
    query: &HashMap<String, String>,
    origin: &str,
) -> Result<ListPage<MessageBatchObject>, ApiFailure> {
    let mut store = lock(&state.batches);
    let now = Utc::now();
    store.batches.iter_mut().for_each(|b| b.advance(now));
    let newest: Vec<&Batch> = store.batches.iter().rev().collect();
    let ids: Vec<&str> = newest.iter().map(|b| b.id.as_str()).collect();
    let param = |name: &str| query.get(name).map(String::as_str);
    let query = PageQuery {
        limit: param("limit"),
        before_id: param("before_id"),
        after_id: param("after_id"),
    };
    let span = page::span(&ids, query, "Message Batch")?;
    let data = newest
        .get(span.range)
        .unwrap_or_default()
        .iter()
        .map(|b| b.object(origin))
        .collect();
    Ok(ListPage::new(
        data,
        span.has_more,
        |b: &MessageBatchObject| &b.id,
    ))
}

/// Runs `change` on batch `id` after the usual checks.
fn with_batch<T>(
    state: &ServerState,
    headers: &HeaderMap,
    id: &str,
    change: impl FnOnce(&mut Batch) -> Result<T, ApiFailure>,
) -> Result<T, ApiFailure> {
    handlers::authorized(state, headers)?;
    let mut store = lock(&state.batches);
    let batch = store.get_mut(id).ok_or_else(|| not_found(id))?;
    change(batch)
}

pub async fn retrieve(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    step_and_show(&state, &headers, &uri, &id, Batch::advance, &request_id)
}

pub async fn cancel(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    step_and_show(&state, &headers, &uri, &id, Batch::cancel, &request_id)
}

/// Moves batch `id` on by `step` (now), then answers it as it stands.
fn step_and_show(
    state: &Arc<ServerState>,
    headers: &HeaderMap,
    uri: &Uri,
    id: &str,
    step: impl FnOnce(&mut Batch, DateTime<Utc>),
    request_id: &RequestId,
) -> Response {
    let object = with_batch(state, headers, id, |batch| {
        step(batch, Utc::now());
        Ok(batch.object(&origin(headers, uri)))
    });
    answer(object, request_id)
}

pub async fn results(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let results = with_batch(&state, &headers, &id, |batch| {
        batch.advance(Utc::now());
        Ok(batch.results())
    });
    match results {
        Ok(results) => {
            let mut response = (StatusCode::OK, Body::from(results)).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-jsonl"),
            );
            response
        }
        Err(failure) => failure.into_response(&request_id),
    }
}

pub async fn delete(
    State(state): Shared,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let deleted = handlers::authorized(&state, &headers).and_then(|_| remove_ended(&state, &id));
    answer(deleted, &request_id)
}

/// Deletes an ended batch; an unfinished one is a 400, as the API says.
fn remove_ended(state: &ServerState, id: &str) -> Result<Deleted, ApiFailure> {
    let mut store = lock(&state.batches);
    let at = store
        .batches
        .iter()
        .position(|b| b.id == id)
        .ok_or_else(|| not_found(id))?;
    let status = store.batches.get(at).map(|b| b.status);
    if status != Some(ProcessingStatus::Ended) {
        return Err(bad(format!(
            "Message Batch `{id}` has not finished processing. A batch can only be deleted once \
             it has ended; cancel it first if you do not want to wait."
        )));
    }
    store.batches.remove(at);
    Ok(Deleted::new(id.to_owned(), "message_batch_deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> Context {
        Context {
            version: "2023-06-01".into(),
            betas: Vec::new(),
            scenario: super::super::scenario::Scenario::default(),
        }
    }

    fn params(text: &str) -> Value {
        json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
               "messages": [{"role": "user", "content": text}]})
    }

    fn batch_of(params: Vec<Value>) -> Batch {
        let requests = params
            .into_iter()
            .enumerate()
            .map(|(i, params)| BatchRequest {
                custom_id: format!("r{i}"),
                params,
            })
            .collect();
        let created = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let plan = plan(requests, &context(), MAX_RESULT_BYTES).unwrap();
        Batch::new("msgbatch_test".into(), created, plan)
    }

    fn lines(batch: &Batch) -> Vec<Value> {
        std::str::from_utf8(&batch.results())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_read_ends_the_batch_with_each_request_planned_or_errored() {
        let mut invalid = params("x");
        invalid["temperature"] = json!(1.5);
        let mut streaming = params("x");
        streaming["stream"] = json!(true);
        let mut batch = batch_of(vec![params("hello"), invalid, streaming]);
        assert_eq!(batch.counts().processing, 3);
        assert!(batch.object("http://h").results_url.is_none());
        let created = batch.created_at;
        batch.advance(created + TimeDelta::seconds(1));
        let counts = batch.counts();
        assert_eq!(
            (counts.processing, counts.succeeded, counts.errored),
            (0, 1, 2)
        );
        let results = lines(&batch);
        assert_eq!(results[0]["result"]["type"], "succeeded");
        let message = &results[0]["result"]["message"];
        assert!(
            message["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("hello")
        );
        assert_eq!(message["usage"]["service_tier"], "batch");
        assert_eq!(results[1]["result"]["error"]["type"], "error");
        assert_eq!(
            results[1]["result"]["error"]["error"]["type"],
            "invalid_request_error"
        );
        assert!(
            results[2]["result"]["error"]["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("stream:")
        );
        assert_eq!(
            batch.object("http://h:1").results_url.as_deref(),
            Some("http://h:1/v1/messages/batches/msgbatch_test/results")
        );
    }

    #[test]
    fn a_cancel_before_the_read_cancels_every_request() {
        let mut batch = batch_of(vec![params("a"), params("b")]);
        let created = batch.created_at;
        batch.cancel(created);
        assert_eq!(batch.status, ProcessingStatus::Canceling);
        assert!(batch.object("").cancel_initiated_at.is_some());
        batch.advance(created);
        assert_eq!(batch.counts().canceled, 2);
        assert!(
            lines(&batch)
                .iter()
                .all(|l| l["result"] == json!({"type": "canceled"}))
        );
        batch.cancel(created);
        assert_eq!(batch.status, ProcessingStatus::Ended);
    }

    #[test]
    fn a_batch_unread_for_a_day_expires() {
        let mut batch = batch_of(vec![params("a")]);
        let late = batch.created_at + TimeDelta::hours(25);
        batch.advance(late);
        assert_eq!(batch.counts().expired, 1);
        assert_eq!(batch.ended_at, Some(batch.expires_at()));
        assert_eq!(lines(&batch)[0]["result"]["type"], "expired");
    }

    #[test]
    fn the_body_is_checked_before_any_request_runs() {
        let table = [
            (json!([]), "Input should be a valid dictionary"),
            (json!({}), "requests: Field required"),
            (
                json!({"requests": {}}),
                "requests: Input should be a valid list",
            ),
            (json!({"requests": []}), "at least 1 item"),
            (
                json!({"requests": [], "extra": 1}),
                "extra: Extra inputs are not permitted",
            ),
            (
                json!({"requests": [{"params": {}}]}),
                "requests.0.custom_id: Field required",
            ),
            (
                json!({"requests": [{"custom_id": "a b", "params": {}}]}),
                "requests.0.custom_id: String should match pattern",
            ),
            (
                json!({"requests": [{"custom_id": "a"}]}),
                "requests.0.params: Field required",
            ),
            (
                json!({"requests": [{"custom_id": "a", "params": {}, "x": 1}]}),
                "requests.0.x: Extra inputs are not permitted",
            ),
            (
                json!({"requests": [{"custom_id": "a", "params": {}},
                                    {"custom_id": "a", "params": {}}]}),
                "requests.1.custom_id: `a` is already",
            ),
        ];
        for (body, expected) in table {
            let failure = parse_requests(body.clone()).err().unwrap();
            assert_eq!(failure.status, 400, "{body}");
            assert!(
                failure.message.contains(expected),
                "{body}: {}",
                failure.message
            );
        }
        let too_many: Vec<Value> = (0..=MAX_REQUESTS)
            .map(|i| json!({"custom_id": format!("r{i}"), "params": {}}))
            .collect();
        let failure = parse_requests(json!({ "requests": too_many }))
            .err()
            .unwrap();
        assert!(
            failure.message.contains("at most 100000 items"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_store_evicts_the_oldest_batch_first() {
        let mut store = BatchStore::default();
        for i in 0..=MAX_BATCHES {
            let mut batch = batch_of(vec![params("a")]);
            batch.id = format!("b{i}");
            store.insert(batch);
        }
        assert_eq!(store.batches.len(), MAX_BATCHES);
        assert!(store.get_mut("b0").is_none());
        assert!(store.get_mut("b1").is_some());
        let mut big = batch_of(vec![params("a")]);
        big.id = "big".into();
        big.plan.results = Bytes::from(vec![b'x'; MAX_RESULT_BYTES - 2]);
        store.insert(big);
        assert_eq!(
            store.batches.len(),
            1,
            "only the newest is kept when it fills the cap"
        );
    }

    #[test]
    fn a_batch_whose_results_pass_the_cap_is_refused_while_planned() {
        let requests = |n: usize| -> Vec<BatchRequest> {
            (0..n)
                .map(|i| BatchRequest {
                    custom_id: format!("r{i}"),
                    params: params("hello"),
                })
                .collect()
        };
        let one = plan(requests(1), &context(), MAX_RESULT_BYTES).unwrap();
        let cap = one.bytes() * 3;
        assert!(plan(requests(2), &context(), cap).is_ok());
        let failure = plan(requests(4), &context(), cap).err().unwrap();
        assert_eq!((failure.status, failure.kind), (413, "request_too_large"));
        assert!(
            failure.message.contains("embedded server's cap"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_origin_prefers_what_a_proxy_in_front_forwarded() {
        let uri: Uri = "/v1/messages/batches".parse().unwrap();
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, HeaderValue::from_static(value));
            }
            origin(&headers, &uri)
        };
        assert_eq!(
            with(&[("host", "127.0.0.1:41000")]),
            "http://127.0.0.1:41000"
        );
        assert_eq!(
            with(&[
                ("host", "127.0.0.1:41000"),
                ("x-forwarded-host", "localhost:4747")
            ]),
            "http://localhost:4747"
        );
        assert_eq!(
            with(&[
                ("host", "127.0.0.1:41000"),
                ("x-forwarded-host", "api.example, 10.0.0.1"),
                ("x-forwarded-proto", "https"),
            ]),
            "https://api.example"
        );
        assert_eq!(with(&[("host", "user@evil")]), "");
        assert_eq!(with(&[]), "");
    }

    #[test]
    fn a_download_shares_the_stored_results_instead_of_copying_them() {
        let mut batch = batch_of(vec![params("a"), params("b")]);
        batch.advance(batch.created_at);
        let (first, second) = (batch.results(), batch.results());
        assert_eq!(first.as_ptr(), second.as_ptr());
        assert_eq!(first.as_ptr(), batch.plan.results.as_ptr());
        assert_eq!(lines(&batch).len(), 2);
    }

    #[test]
    fn ending_canceled_drops_the_ids_and_never_grows_the_batch() {
        let mut batch = batch_of(vec![params("a"), params("b")]);
        let planned = batch.bytes();
        batch.cancel(batch.created_at);
        batch.advance(batch.created_at);
        assert!(batch.plan.custom_ids.is_empty());
        assert!(batch.bytes() < planned);
        assert_eq!(
            lines(&batch)[1],
            json!({"custom_id": "r1", "result": {"type": "canceled"}})
        );
    }
}
