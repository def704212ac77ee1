//! The response viewer (placeholder: the agreed interface, filled in on
//! its branch).

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::PaneContext;
use crate::api::sse::StreamEvent;
use crate::api::types::Header;
use crate::exchange::{Exchange, ExchangeId, RecordedRequest};
use crate::tui::keymap::Action;

#[derive(Debug, Default)]
pub struct ResponsePane {
    shown: Option<ExchangeId>,
}

impl ResponsePane {
    pub fn new() -> Self {
        ResponsePane::default()
    }

    /// Show a finished (or stored) exchange.
    pub fn show(&mut self, exchange: &Exchange) {
        self.shown = Some(exchange.id.clone());
    }

    /// Follow a request that has just been sent.
    pub fn begin(&mut self, id: &ExchangeId, _request: &RecordedRequest, _at: DateTime<Utc>) {
        self.shown = Some(id.clone());
    }

    pub fn on_headers(&mut self, _id: &ExchangeId, _status: u16, _headers: &[Header]) {}

    pub fn on_delta(&mut self, _id: &ExchangeId, _at_ms: f64, _event: &StreamEvent) {}

    /// The exchange being followed has ended: show it whole.
    pub fn finish(&mut self, exchange: &Exchange) {
        if self.shown.as_ref() == Some(&exchange.id) {
            self.show(exchange);
        }
    }

    pub fn shown(&self) -> Option<&ExchangeId> {
        self.shown.as_ref()
    }

    pub fn on_action(&mut self, _action: Action) {}

    /// True while the search prompt takes raw keys.
    pub fn input_active(&self) -> bool {
        false
    }

    pub fn on_input(&mut self, _key: KeyEvent) {}

    pub fn scroll_by(&mut self, _lines: i32) {}

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        ctx.block(2, "Response").render(area, buf);
    }
}
