//! The rate-limits pane (placeholder: the agreed interface, filled in on
//! its branch).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::PaneContext;
use crate::api::ratelimit::RateLimitSnapshot;
use crate::exchange::Exchange;
use crate::tui::keymap::Action;

#[derive(Debug, Default)]
pub struct RateLimitsPane {}

impl RateLimitsPane {
    pub fn new() -> Self {
        RateLimitsPane::default()
    }

    /// A response's headers arrived with this snapshot.
    pub fn record_snapshot(&mut self, _snapshot: &RateLimitSnapshot, _at: DateTime<Utc>) {}

    /// An exchange ended, whatever its outcome.
    pub fn record_exchange(&mut self, _exchange: &Exchange) {}

    pub fn on_action(&mut self, _action: Action) {}

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        ctx.block(4, "Rate limits").render(area, buf);
    }
}
