//! The Anthropic wire protocol, pure: no I/O anywhere in this module, so
//! every piece is unit-tested directly and shared by the engine, the
//! embedded server, the store and the panes.

pub mod betas;
pub mod claude_code;
pub mod envelope;
pub mod errors;
pub mod images;
pub mod lint;
pub mod models;
pub mod ratelimit;
pub mod retry;
pub mod sse;
pub mod types;
