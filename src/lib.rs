//! claudetui: see exactly what goes over the wire to the Anthropic Messages
//! API, why a request fails, and how much rate-limit headroom is left.
//!
//! The crate is a library plus a thin binary. Pure protocol code lives in
//! [`api`] (no I/O); [`engine`] sends requests and assembles [`Exchange`]s;
//! [`store`] keeps them; [`mock`] is the embedded Anthropic-compatible server.

pub mod api;
pub mod bisect;
pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod exchange;
pub mod logging;
pub mod mock;
pub mod store;
pub mod tap;
#[cfg(test)]
pub(crate) mod test_support;
pub mod text;
pub mod tui;

pub use exchange::{Exchange, ExchangeId, ExchangeSummary, Outcome};
