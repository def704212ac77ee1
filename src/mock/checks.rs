//! The server's request checks, all delegated to [`crate::api::lint`] and
//! [`crate::api::models`]: validation has one implementation, and the
//! embedded server answers its first error the way the API does.

use serde_json::Value;

use super::respond::ApiFailure;
use crate::api::lint::{self, Endpoint, LintOptions};
use crate::api::models::{self, Lifecycle, ModelSpec};

/// The body as JSON, or the API's 400 naming line, column and offset.
pub fn parse_body(text: &str) -> Result<Value, ApiFailure> {
    lint::parse_json(text).map_err(|e| ApiFailure::status(400, e.api_message()))
}

/// The first error lint finds in a body for `endpoint`, sent with the
/// `anthropic-version` header `version` and the `anthropic-beta` values
/// `betas`, as the API answers it.
pub fn validate(
    body: &Value,
    endpoint: Endpoint,
    version: &str,
    betas: &[&str],
) -> Result<(), ApiFailure> {
    let options = LintOptions {
        endpoint,
        anthropic_version: Some(version.to_owned()),
        ..LintOptions::default()
    }
    .with_betas(betas.iter().copied());
    match lint::first_error(&lint::validate(body, &options)) {
        Some(problem) => Err(ApiFailure::status(problem.status, problem.api_message())),
        None => Ok(()),
    }
}

pub fn input_tokens(body: &Value) -> u64 {
    lint::estimate_input_tokens(body)
}

/// A model the server answers for: in the table and not retired.
pub fn model(id: &str) -> Option<&'static ModelSpec> {
    models::lookup(id).filter(|spec| spec.lifecycle != Lifecycle::Retired)
}

/// The models `GET /v1/models` lists.
pub fn listed_models() -> Vec<ModelSpec> {
    models::all()
        .iter()
        .filter(|spec| spec.lifecycle != Lifecycle::Retired)
        .copied()
        .collect()
}
