//! The tap as an HTTPS proxy (`claudetui tap --mitm`).

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;

use super::Shared;
use super::relay::tap_error;

#[derive(Debug, thiserror::Error)]
pub enum MitmError {}

#[derive(Debug, Clone)]
pub struct Mitm {}

/// A `CONNECT host:port` request.
pub(super) fn connect(shared: Arc<Shared>, request: Request) -> Response {
    let _ = (&shared, &request);
    tap_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        "this claudetui tap is a reverse proxy (point ANTHROPIC_BASE_URL at it); start it with --mitm to use it as HTTPS_PROXY".into(),
    )
}
