//! The panes of the dashboard. Each file owns one pane: its state, how it
//! reacts to the [`Action`](super::keymap::Action)s of its context, and how
//! it draws itself. The app decides which pane has the focus and routes
//! keys; a pane never talks to the engine itself — it returns what it
//! wants done, and `update` turns that into a command.

pub mod checklist;
pub mod composer;
pub mod diagnosis;
pub mod diff;
pub mod header;
pub mod help;
pub mod history;
pub mod rate_limits;
pub mod response;
pub mod status_bar;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};

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

/// A box of at most `max_width`×`max_height` (minus `margin` columns on
/// each side and a line above and below) centred on `screen`.
pub fn centred(screen: Rect, max_width: u16, max_height: u16, margin: u16) -> Rect {
    let width = screen.width.saturating_sub(2 * margin).min(max_width);
    let height = screen.height.saturating_sub(2).min(max_height);
    Rect::new(
        screen.x + (screen.width - width) / 2,
        screen.y + (screen.height - height) / 2,
        width,
        height,
    )
}

/// The frame every overlay uses: thick, in the focus colour, titled.
pub fn overlay_block<'a>(title: &'a str, ctx: &PaneContext<'a>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(ctx.theme.border_focused)
        .title(Line::styled(title, ctx.theme.title_focused))
}

/// Clears `area` and draws `text` in `block`, scrolled by `scroll` lines.
/// The scroll is clamped to the text and returned, so the caller keeps it.
pub fn render_scrolled(
    text: Vec<Line<'_>>,
    block: Block<'_>,
    scroll: u16,
    area: Rect,
    buf: &mut Buffer,
) -> u16 {
    let inner = block.inner(area);
    let total = u16::try_from(text.len()).unwrap_or(u16::MAX);
    let scroll = scroll.min(total.saturating_sub(inner.height));
    Clear.render(area, buf);
    Paragraph::new(text)
        .block(block)
        .scroll((scroll, 0))
        .render(area, buf);
    scroll
}
