//! Placeholder while the pane is built on its branch.
