//! The panes of the dashboard. Each file owns one pane: its state, how it
//! reacts to the [`Action`](super::keymap::Action)s of its context, and how
//! it draws itself. The app decides which pane has the focus and routes
//! keys; a pane never talks to the engine itself — it returns what it
//! wants done, and `update` turns that into a command.

pub mod checklist;
pub mod composer;
pub mod diagnosis;
pub mod header;
pub mod help;
pub mod history;
pub mod rate_limits;
pub mod response;
pub mod status_bar;

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;

/// What every pane needs to draw itself.
#[derive(Debug, Clone, Copy)]
pub struct PaneContext<'a> {
    pub theme: &'a Theme,
    pub focused: bool,
    /// The time of this frame (countdowns are computed from it, so a
    /// rendering test can pin it).
    pub now: DateTime<Utc>,
}

impl<'a> PaneContext<'a> {
    /// The pane's frame: `number` is the key that jumps to it, shown in the
    /// title (`─ 3 History ─`), and the border shows the focus.
    pub fn block(&self, number: u8, title: &str) -> Block<'a> {
        let title_style = if self.focused {
            self.theme.title_focused
        } else {
            self.theme.title
        };
        Block::default()
            .borders(Borders::ALL)
            .border_type(if self.focused {
                BorderType::Thick
            } else {
                BorderType::Rounded
            })
            .border_style(self.theme.border(self.focused))
            .title(Line::from(vec![
                Span::styled(format!(" {number} "), self.theme.dim),
                Span::styled(format!("{title} "), title_style),
            ]))
    }
}
