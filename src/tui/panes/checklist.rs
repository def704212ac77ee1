//! The checklist pane (placeholder: filled in on its branch with the
//! doctor's steps).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::PaneContext;
use crate::tui::keymap::Action;

#[derive(Debug, Default)]
pub struct ChecklistPane {}

impl ChecklistPane {
    pub fn new() -> Self {
        ChecklistPane::default()
    }

    pub fn on_action(&mut self, _action: Action) {}

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        ctx.block(5, "Checklist").render(area, buf);
    }
}
