//! The `D` overlay: what changed between two exchanges, as
//! [`ExchangeDiff::to_text`] says it (the same words as `claudetui history
//! diff`), coloured by kind of change and wrapped to the box.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Padding;

use super::PaneContext;
use crate::exchange::diff::ExchangeDiff;
use crate::tui::format::break_word;

const TITLE: &str = " Compare — Esc closes, j/k scroll ";

/// Draws the overlay centred on `screen`, scrolled by `scroll` lines;
/// returns the scroll, clamped.
pub fn render(
    diff: &ExchangeDiff,
    scroll: u16,
    screen: Rect,
    buf: &mut Buffer,
    ctx: &PaneContext,
) -> u16 {
    let area = super::centred(screen, 120, 40, 2);
    let block = super::overlay_block(TITLE, ctx).padding(Padding::horizontal(1));
    let text = lines(diff, block.inner(area).width as usize, ctx);
    super::render_scrolled(text, block, scroll, area, buf)
}

/// The comparison as lines at most `width` columns wide: long lines go on
/// under a deeper indent.
pub fn lines(diff: &ExchangeDiff, width: usize, ctx: &PaneContext) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let width = width.max(8);
    let mut out = Vec::new();
    for (number, line) in diff.to_text().lines().enumerate() {
        let trimmed = line.trim_start();
        let style = if number == 0 {
            theme.title_focused
        } else if trimmed.starts_with("+ ") {
            theme.ok
        } else if trimmed.starts_with("− ") {
            theme.error
        } else if trimmed.starts_with("~ ") {
            theme.warn
        } else if line.ends_with(':') || line.ends_with("):") {
            theme.title_focused
        } else {
            theme.base
        };
        // Every piece fits with the continuation's indent in front.
        for (i, piece) in break_word(line, width - 4).into_iter().enumerate() {
            let piece = if i == 0 {
                piece
            } else {
                format!("    {piece}")
            };
            out.push(Line::from(Span::styled(piece, style)));
        }
    }
    out
}
