//! The full-screen dashboard: The Elm Architecture over the engine's
//! channels. [`app::App`] is the state, [`update`] changes it for one
//! message and returns what to do, [`view`] draws it; [`runtime`] owns the
//! terminal and the event loop. The UI thread never waits on I/O.

pub mod app;
pub mod format;
pub mod highlight;
pub mod keymap;
pub mod panes;
pub mod runtime;
pub mod samples;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

#[cfg(test)]
pub(crate) mod fixtures;
