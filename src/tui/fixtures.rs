//! The dashboard's own test helpers; the exchanges come from
//! [`crate::test_support`].

pub use crate::test_support::*;

use crate::exchange::Exchange;

/// The engine's `Started` for `exchange`, as the dashboard receives it.
pub fn started(exchange: &Exchange) -> crate::tui::app::Msg {
    crate::tui::app::Msg::engine(crate::engine::Event::Started {
        id: exchange.id.clone(),
        request: exchange.request.clone(),
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    })
}

/// Draws one line `width` columns wide with `render` (default theme, not
/// focused, time pinned) and returns what the terminal shows.
pub fn draw_line(
    width: u16,
    render: impl FnOnce(
        ratatui::layout::Rect,
        &mut ratatui::buffer::Buffer,
        &crate::tui::panes::PaneContext,
    ),
) -> String {
    let theme = crate::tui::theme::Theme::default();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, 1))
        .unwrap_or_else(|e| panic!("{e}"));
    let ctx = crate::tui::panes::PaneContext {
        theme: &theme,
        focused: false,
        now: at(0),
    };
    terminal
        .draw(|f| render(f.area(), f.buffer_mut(), &ctx))
        .unwrap_or_else(|e| panic!("{e}"));
    terminal.backend().to_string()
}
