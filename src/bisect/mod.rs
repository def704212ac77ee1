//! `claudetui bisect`: "works with curl, fails in the app". Given a request
//! that fails, find a minimal change that makes it pass, by delta
//! debugging, and report "fails because of X: without it the request
//! succeeds" with both requests side by side.
//!
//! - [`request`]: the request as bisect sees it (method, path, headers,
//!   JSON body; never the credential).
//! - [`changes`]: the simplifications — `anthropic-beta` values one by
//!   one, other non-essential headers, `anthropic-version` reset to the
//!   default, the query string, optional top-level fields, tools, earlier
//!   turns, non-text content blocks, long texts, `cache_control`,
//!   `stream` — and how any set of them makes a candidate. Pure.
//! - [`ddmin`]: the search over sets of changes: the whole set first,
//!   then halves, then finer chunks and their complements, down to single
//!   changes. Pure; the sender is its oracle.
//! - [`judge`]: pass (2xx), the same failure (kind, and the field path for
//!   a 400), another failure, or transient (429/529); and which
//!   candidates lint shows broken in a new way, so they are never sent.
//! - [`runner`]: sends the original (it must fail), then — when the
//!   failure stays the same with it — lowers `max_tokens` to
//!   [`CANDIDATE_MAX_TOKENS`] for every candidate to keep the cost down,
//!   then the candidates, all through the engine (each one is a real,
//!   recorded exchange), within a hard budget of [`MAX_REQUESTS`]
//!   requests, waiting out `retry-after` on 429/529.
//! - [`report`]: the plan shown before sending, progress lines, and the
//!   report as text (JSON is the report serialized).

pub mod changes;
pub mod ddmin;
pub mod judge;
pub mod report;
pub mod request;
pub mod runner;

pub use changes::Change;
pub use report::{Plan, render};
pub use request::BisectRequest;
pub use runner::{
    BisectReport, CANDIDATE_MAX_TOKENS, Finding, MAX_REQUESTS, Progress, Settings, StopReason,
    Target, run,
};
