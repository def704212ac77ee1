//! The embedded Anthropic-compatible server: the test fixture for the rest
//! of claudetui, the engine behind `--demo`, and `claudetui mock`.
//!
//! It answers `POST /v1/messages` (JSON or paced SSE), `count_tokens`,
//! Message Batches, Files (kept in memory, bounded),
//! `GET /v1/models[/{id}]` and the `/api/hello` probe with the API's
//! headers, errors and rate-limit families, and injects the faults of its
//! [`Scenario`]. Validation is [`crate::api::lint`]'s, so the server and
//! `claudetui lint` can never disagree.

mod batches;
mod bucket;
mod checks;
mod files;
mod handlers;
mod ids;
mod page;
mod prompt;
mod reply;
mod respond;
pub mod scenario;
mod state;
mod stream;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use files::MAX_FILE_BYTES;
pub use handlers::{ACCEPTED_VERSIONS, IMPLEMENTED, MAX_BODY_BYTES};
pub use ids::ORGANIZATION_ID;
use scenario::Scenario;
use state::ServerState;

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("could not listen on {addr}: {source}. Pick another --port, or 0 for any free port")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Loopback by default; another address only when the caller asks.
    pub bind: IpAddr,
    /// 0 picks a free port; [`MockServer::addr`] tells which.
    pub port: u16,
    pub scenario: Scenario,
    /// Multiplies every scenario delay; 0 removes pacing (tests).
    ///
    /// Fault delays (`slow_first_byte`) are scaled too but never below 1 ms,
    /// and at speed 0 they are kept as the scenario writes them, so a test
    /// can still observe the fault (give it a small `delay_ms`).
    pub speed: f64,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            scenario: Scenario::default(),
            speed: 1.0,
        }
    }
}

/// How long [`MockServer::shutdown`] waits for replies still being read.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server. It serves until [`MockServer::shutdown`] or drop.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `config.bind:config.port` and starts serving on the current
    /// tokio runtime.
    pub async fn start(config: MockConfig) -> Result<MockServer, MockError> {
        let wanted = SocketAddr::new(config.bind, config.port);
        let bind_error = |source| MockError::Bind {
            addr: wanted,
            source,
        };
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(ServerState::new(
            config.scenario,
            config.speed,
            stopped.clone(),
        ));
        let mut signal = stopped;
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = signal.wait_for(|stop| *stop).await;
            };
            // The prefix is stripped before routing, so every route also
            // answers under a gateway-style prefix.
            let app = tower::Layer::layer(
                &tower::util::MapRequestLayer::new(strip_gateway_prefix),
                router(state),
            );
            // Stream events go out as they are written: with Nagle's
            // algorithm a reused connection holds each small one for the
            // client's delayed ACK (40 ms), which real servers do not do.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let served = axum::serve(listener, axum::ServiceExt::into_make_service(app))
                .with_graceful_shutdown(shutdown)
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "embedded server stopped with an error");
            }
        });
        tracing::info!(%addr, "embedded server listening");
        Ok(MockServer {
            addr,
            stop,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting (the port is free at once), lets in-flight replies
    /// finish without their pacing, and returns when they are done, or
    /// after [`SHUTDOWN_GRACE`] if a client stops reading mid-reply.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            tracing::warn!("embedded server: a reply outlived the shutdown grace; abandoning it");
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The path prefix the embedded server also answers under, as a gateway
/// does (LiteLLM's pass-through is `/anthropic/v1/messages`): a base URL
/// with a path (`http://127.0.0.1:4747/anthropic`) works against it as
/// against a gateway. Only this one, so a wrong prefix is still a 404.
pub const GATEWAY_PREFIX: &str = "/anthropic";

fn strip_gateway_prefix(mut request: axum::extract::Request) -> axum::extract::Request {
    // The router keeps an `OriginalUri` it finds, so a 404 names the path
    // as the client sent it, prefix included.
    let original = axum::extract::OriginalUri(request.uri().clone());
    request.extensions_mut().insert(original);
    let Some(rest) = request
        .uri()
        .path()
        .strip_prefix(GATEWAY_PREFIX)
        .filter(|rest| rest.starts_with('/'))
    else {
        return request;
    };
    let mut target = rest.to_owned();
    if let Some(query) = request.uri().query() {
        target.push('?');
        target.push_str(query);
    }
    if let Ok(uri) = target.parse() {
        *request.uri_mut() = uri;
    }
    request
}

fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/v1/messages", post(handlers::create_message))
        .route("/v1/messages/count_tokens", post(handlers::count_tokens))
        .route(
            "/v1/messages/batches",
            get(batches::list).post(batches::create),
        )
        .route(
            "/v1/messages/batches/{id}",
            get(batches::retrieve).delete(batches::delete),
        )
        .route("/v1/messages/batches/{id}/results", get(batches::results))
        .route("/v1/messages/batches/{id}/cancel", post(batches::cancel))
        .route(
            "/v1/files",
            get(files::list)
                .post(files::upload)
                .layer(files::upload_limit()),
        )
        .route("/v1/files/{id}", get(files::metadata).delete(files::delete))
        .route("/v1/files/{id}/content", get(files::content))
        .route("/v1/models", get(handlers::list_models))
        .route("/v1/models/{id}", get(handlers::get_model))
        .route("/api/hello", get(handlers::hello))
        .route("/", get(handlers::root))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn(respond::stamp_headers))
        .with_state(state)
}
