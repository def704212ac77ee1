//! The full-screen dashboard: The Elm Architecture over the engine's
//! channels. [`app::App`] is the state, [`update`] changes it for one
//! message and returns what to do, [`view`] draws it; [`runtime`] owns the
//! terminal and the event loop. The UI thread never waits on I/O.

pub mod highlight;
pub mod keymap;
pub mod panes;
pub mod theme;
