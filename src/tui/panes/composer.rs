//! The composer (placeholder: the agreed interface, filled in on its
//! branch).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::PaneContext;
use crate::api::lint::Problem;
use crate::api::types::Header;
use crate::tui::keymap::Action;

#[derive(Debug, Default)]
pub struct ComposerPane {
    body: String,
    editing: bool,
}

impl ComposerPane {
    /// A composer holding `body`; `origin` says where it came from (a
    /// sample's name, a file, an exchange id, "draft").
    pub fn new(body: &str, _origin: &str) -> Self {
        ComposerPane {
            body: body.to_string(),
            editing: false,
        }
    }

    pub fn body(&self) -> String {
        self.body.clone()
    }

    /// The extra headers typed in the headers editor.
    pub fn extra_headers(&self) -> Vec<Header> {
        Vec::new()
    }

    pub fn set_body(&mut self, body: &str, _origin: &str) {
        self.body = body.to_string();
    }

    pub fn set_extra_headers(&mut self, _headers: &[Header]) {}

    /// The model ids `GET /v1/models` returned, for the model quick field.
    pub fn set_models(&mut self, _ids: Vec<String>) {}

    /// Every lint problem of the current body (JSON syntax included).
    pub fn problems(&self) -> Vec<Problem> {
        Vec::new()
    }

    /// True when the API would reject the body as it is.
    pub fn has_errors(&self) -> bool {
        false
    }

    pub fn is_editing(&self) -> bool {
        self.editing
    }

    pub fn on_action(&mut self, action: Action) {
        match action {
            Action::Edit => self.editing = true,
            Action::StopEditing => self.editing = false,
            _ => {}
        }
    }

    /// A key typed while editing. Returns true when the text changed.
    pub fn on_input(&mut self, _key: KeyEvent) -> bool {
        false
    }

    pub fn on_paste(&mut self, _text: &str) {}

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        ctx.block(1, "Composer").render(area, buf);
    }
}
