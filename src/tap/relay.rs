//! One relayed exchange: the client's request goes upstream unchanged, the
//! answer comes back as it arrives, and a copy goes to the recorder.
//!
//! The upstream side runs in a task of its own, apart from the client's
//! connection: when the client goes away (its connection closes, hyper
//! drops the handler), the task sees it, cancels the upstream request and
//! still records the exchange, as cancelled.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::response::Response;
use bytes::Bytes;
use chrono::Utc;
use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode};
use tokio::sync::{mpsc, oneshot};

use crate::api::errors::FailureKind;
use crate::api::types::ErrorEnvelope;
use crate::engine::recorder::{Head, Recorder, version_name};
use crate::engine::request::join_url;
use crate::engine::timing::Probe;
use crate::engine::transport;
use crate::exchange::{Client, ExchangeId, RecordedRequest};
use crate::store::redact::{credential_values, redact_headers, redact_text};

use super::Shared;
use super::headers::{end_to_end, to_list};

/// The largest request body the tap takes in. The API's own limit is
/// 32 MB; anything up to this goes upstream so the client sees the API's
/// own 413, and only beyond it does the tap answer for itself.
pub const MAX_REQUEST_BYTES: usize = 128 * 1024 * 1024;

/// How many body chunks wait for a slow client before the upstream is
/// read more slowly too (so a stalled client costs bounded memory).
const RELAY_BUFFER: usize = 32;

/// Serves `listener` until `shutdown` resolves.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A handler, not a router: every method and path (CONNECT's authority
    // form included) reaches `relay` as it came.
    let service = relay.with_state(shared).into_make_service();
    // Each SSE chunk goes out as it comes: with Nagle's algorithm a small
    // chunk waits for the client's delayed ACK, 40 ms on Linux.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "tap: TCP_NODELAY refused");
        }
    });
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn relay(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.method() == http::Method::CONNECT {
        return super::mitm::connect(shared, request).await;
    }
    // `GET http://other.host/…` is a client using the tap as HTTP_PROXY:
    // relaying it to the upstream would hand that host's request (and
    // credentials) to the wrong server.
    if request.uri().scheme().is_some() {
        return tap_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!(
                "claudetui tap is not an HTTP proxy (this request was for {}); point \
                 ANTHROPIC_BASE_URL at the tap, or start it with --mitm and use HTTPS_PROXY",
                crate::text::printable(&request.uri().to_string())
            ),
        );
    }
    let (upstream, client) = (shared.upstream.clone(), shared.client.clone());
    forward(shared, request, &upstream, &client).await
}

/// Sends `request` to `upstream` (a base URL) with `client` and relays
/// the answer.
pub(super) async fn forward(
    shared: Arc<Shared>,
    request: Request,
    upstream: &str,
    client: &reqwest::Client,
) -> Response {
    let started_at = Utc::now();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(error) => return too_large_or_unreadable(&error.to_string()),
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = join_url(upstream, path_and_query);
    // The body is already read, so a 100-continue has nothing to wait for.
    let forwarded = end_to_end(
        &parts.headers,
        &[header::HOST, header::CONTENT_LENGTH, header::EXPECT],
    );
    let client_headers = to_list(&parts.headers);
    let fronting_own_server = shared.recorded_base.is_some() && upstream == shared.upstream;
    let recorded_url = match &shared.recorded_base {
        Some(bind_base) if fronting_own_server => {
            // The address the client used (with `--bind 0.0.0.0` the bind
            // address is no address at all); the bind address only when
            // the client sent no usable Host.
            let base = client_base(&parts.headers).unwrap_or_else(|| bind_base.clone());
            join_url(&base, path_and_query)
        }
        _ => url.clone(),
    };
    let head = Head {
        id: ExchangeId::new(),
        started_at,
        profile: shared.profile.clone(),
        request: recorded_request(parts.method.as_str(), &recorded_url, &forwarded, &body),
        attempt: 1,
        retry_of: None,
        source: shared.source,
        client: Client::from_headers(&client_headers),
    };
    let recorder = Recorder::begin(
        head,
        shared.events.clone(),
        credential_values(&client_headers),
    );
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut outgoing_headers = forwarded;
    if fronting_own_server {
        forward_host(&parts.headers, &mut outgoing_headers);
    }
    let outgoing = client
        .request(method, &url)
        .headers(outgoing_headers)
        .body(body);
    let (head_tx, head_rx) = oneshot::channel();
    let task_shared = shared.clone();
    let upstream = upstream.to_owned();
    shared.relays.spawn(async move {
        let exchange = upstream_side(&task_shared, outgoing, recorder, head_tx, &upstream).await;
        task_shared.finish(exchange);
    });
    // The sender is only dropped unsent when the task ended without an
    // answer, which it never does; should it, the client still gets one.
    head_rx.await.unwrap_or_else(|_| {
        tap_error(
            StatusCode::BAD_GATEWAY,
            "api_error",
            "claudetui tap lost its upstream request; see the log".into(),
        )
    })
}

/// `http://host:port` from the client's `Host`, if it is a plain
/// `host[:port]` (no user info, nothing a URL would misread).
fn client_base(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let authority: http::uri::Authority = host.parse().ok()?;
    (!authority.as_str().contains('@')).then(|| format!("http://{authority}"))
}

/// In front of the embedded server (`mock --record`) the onward `Host` is
/// the server's internal port, so the server would build `results_url`
/// from an address that skips the recording. `X-Forwarded-Host` carries
/// the client's `Host` instead; it is the one header the tap adds, only
/// on this internal hop (a tap in front of a real upstream still passes
/// the end-to-end headers byte for byte and adds nothing), and it is not
/// recorded, since the client did not send it. A client's own
/// `X-Forwarded-Host` (a proxy before the tap) is left as it is: it names
/// the first address, which is the one to hand back.
fn forward_host(client: &HeaderMap, outgoing: &mut HeaderMap) {
    const FORWARDED_HOST: http::HeaderName = http::HeaderName::from_static("x-forwarded-host");
    if outgoing.contains_key(&FORWARDED_HOST) {
        return;
    }
    if let Some(host) = client.get(header::HOST) {
        outgoing.insert(FORWARDED_HOST, host.clone());
    }
}

/// The request as the record keeps it: what went upstream, credentials
/// masked.
fn recorded_request(method: &str, url: &str, headers: &HeaderMap, body: &Bytes) -> RecordedRequest {
    let mut list = redact_headers(&to_list(headers));
    if !body.is_empty() {
        list.push(crate::api::types::Header::new(
            "content-length",
            body.len().to_string(),
        ));
    }
    RecordedRequest {
        method: method.to_owned(),
        url: crate::store::redact::mask_query_secrets(&crate::config::display_url(url)),
        headers: list,
        body: {
            let text = redact_text(&String::from_utf8_lossy(body)).into_owned();
            crate::store::redact::mask_oauth_body(url, &text).unwrap_or(text)
        },
    }
}

/// Sends upstream, hands the client its response head through `head_tx`,
/// pumps the body, and returns the finished exchange.
async fn upstream_side(
    shared: &Shared,
    outgoing: reqwest::RequestBuilder,
    mut recorder: Recorder,
    mut head_tx: oneshot::Sender<Response>,
    upstream: &str,
) -> crate::exchange::Exchange {
    let probe = Probe::default();
    let sent = tokio::select! {
        biased;
        _ = head_tx.closed() => None,
        // Shutting down: the exchange ends here, recorded as cancelled.
        _ = shared.stopping.cancelled() => None,
        result = tokio::time::timeout(shared.header_timeout, probe.scope(outgoing.send())) => Some(result),
    };
    let upstream_response = match sent {
        None => {
            if shared.stopping.is_cancelled() {
                let _ = head_tx.send(tap_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "claudetui tap is shutting down; the request was not answered".into(),
                ));
            }
            recorder.cancel();
            return recorder.finish(probe.report());
        }
        Some(Err(_elapsed)) => {
            let why = format!(
                "the upstream sent no response head within {} s",
                shared.header_timeout.as_secs_f64()
            );
            recorder.failed(FailureKind::Timeout, why.clone());
            let _ = head_tx.send(unreachable(upstream, &why));
            return recorder.finish(probe.report());
        }
        Some(Ok(Err(error))) => {
            let (kind, why) = transport::classify(&error);
            let _ = head_tx.send(unreachable(upstream, &why));
            recorder.failed(kind, why);
            return recorder.finish(probe.report());
        }
        Some(Ok(Ok(response))) => response,
    };
    let (client_response, body_tx) = client_head(&upstream_response, &mut recorder);
    if head_tx.send(client_response).is_err() {
        recorder.cancel();
        return recorder.finish(probe.report());
    }
    pump(shared, upstream_response, body_tx, &mut recorder).await;
    recorder.finish(probe.report())
}

/// The client's response head (the upstream's, minus hop-by-hop fields)
/// with a body fed through the returned channel.
fn client_head(
    upstream: &reqwest::Response,
    recorder: &mut Recorder,
) -> (Response, mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let status = upstream.status().as_u16();
    recorder.headers(
        status,
        version_name(upstream.version()),
        to_list(upstream.headers()),
    );
    let (body_tx, body_rx) = mpsc::channel(RELAY_BUFFER);
    let stream = futures_util::stream::unfold(body_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = end_to_end(upstream.headers(), &[]);
    (response, body_tx)
}

/// Relays the body chunk by chunk: to the client first (no parsing delays
/// it), then to the recorder.
async fn pump(
    shared: &Shared,
    mut upstream: reqwest::Response,
    body_tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    recorder: &mut Recorder,
) {
    let idle = shared.header_timeout;
    // With a Content-Length, hyper ends the client's response at the last
    // byte, so the client can be done (and gone) before the upstream says
    // end-of-body; stopping at that byte keeps a complete exchange from
    // being recorded as cancelled.
    let declared = upstream.content_length();
    let mut relayed = 0u64;
    loop {
        if declared.is_some_and(|length| relayed >= length) {
            return;
        }
        let chunk = tokio::select! {
            biased;
            _ = body_tx.closed() => {
                recorder.cancel();
                return;
            }
            _ = shared.stopping.cancelled() => {
                recorder.cancel();
                return;
            }
            chunk = tokio::time::timeout(idle, upstream.chunk()) => chunk,
        };
        let Ok(chunk) = chunk else {
            let why = format!("the upstream sent nothing for {} s", idle.as_secs_f64());
            let _ = body_tx.send(Err(std::io::Error::other(why.clone()))).await;
            recorder.failed(FailureKind::Timeout, why);
            return;
        };
        match chunk {
            Ok(Some(bytes)) => {
                relayed += bytes.len() as u64;
                if body_tx.send(Ok(bytes.clone())).await.is_err() {
                    recorder.chunk(&bytes);
                    recorder.cancel();
                    return;
                }
                recorder.chunk(&bytes);
            }
            Ok(None) => return,
            Err(error) => {
                let (kind, why) = transport::classify(&error);
                // The client's connection is cut as the upstream's was.
                let _ = body_tx.send(Err(std::io::Error::other(why.clone()))).await;
                recorder.failed(kind, why);
                return;
            }
        }
    }
}

/// The 502 a client gets when the upstream could not be reached, in the
/// API's error envelope so SDKs and Claude Code show its message.
fn unreachable(upstream: &str, why: &str) -> Response {
    tap_error(
        StatusCode::BAD_GATEWAY,
        "api_error",
        format!(
            "claudetui tap could not reach the upstream {}: {why}. The request was not delivered; \
             check the upstream (--upstream) and the network, or run `claudetui doctor`",
            crate::config::display_url(upstream)
        ),
    )
}

fn too_large_or_unreadable(why: &str) -> Response {
    let large = why.to_ascii_lowercase().contains("length limit");
    if large {
        tap_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!(
                "claudetui tap takes request bodies up to {} MiB; this one is larger",
                MAX_REQUEST_BYTES / (1024 * 1024)
            ),
        )
    } else {
        tap_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("claudetui tap could not read the request body: {why}"),
        )
    }
}

/// An answer the tap gives itself, marked so it is never mistaken for the
/// upstream's.
pub(super) fn tap_error(status: StatusCode, kind: &str, message: String) -> Response {
    let body = serde_json::to_string(&ErrorEnvelope::new(kind, message)).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-claudetui-tap",
        HeaderValue::from_static("answered-by-tap"),
    );
    response
}
