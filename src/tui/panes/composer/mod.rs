//! The composer: a JSON body editor with line numbers, highlighting and
//! lint on every edit, quick fields for model / `max_tokens` / `stream` /
//! `temperature`, an extra-headers editor, and a picker for samples and
//! files (`Ctrl-O`).
//!
//! Editing never waits on lint: an edit only drops the cached
//! [`Analysis`]; it is rebuilt lazily, at most once per frame (by
//! [`ComposerPane::render`]) or when the app asks for the problems.
//!
//! Text is kept in `ratatui-textarea` editors (cursor, selection, undo,
//! scrolling, wide characters, tabs). That widget cannot colour tokens, so
//! the composer lets it draw the text, then recolours the drawn cells with
//! the JSON tokenizer the response viewer uses too
//! ([`crate::tui::highlight`]), and draws its own gutter (line numbers with
//! lint markers); secrets are masked on the drawn cells the same way.

mod headers;
mod picker;
mod quick;
mod view;

#[cfg(test)]
mod tests;

use std::cell::OnceCell;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::lint::{
    self, JsonSyntaxError, LintOptions, PathSegment, Problem, Severity, TextPosition,
};
use crate::api::types::{Header, header_value, header_values};
use crate::store::redact::redact_text;
use crate::tui::keymap::Action;
use crate::tui::samples;

pub use headers::HeaderProblem;
pub use quick::QuickFields;

use picker::{Picker, PickerOutcome};
use quick::QuickEdit;

/// Spaces per indent level (the Tab key, and hard tabs on screen).
const TAB_WIDTH: u8 = 2;

/// At most this many problems are placed on lines (each is a scan of the
/// text); the rest still count, they just get no gutter marker.
const MAX_LOCATED: usize = 20;

/// What the composer holds, for saving and restoring between runs.
///
/// Credentials are never in it: a header line whose value looks like a
/// credential (`x-api-key`, `authorization`, a name with key / token /
/// secret / auth in it, or an `sk-ant-…` value) is saved as a comment with
/// the masked value, so it is *not restored* as a header — the user types
/// it again (or lets the profile supply it). Any `sk-ant-…` text in the
/// body is masked too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub body: String,
    /// The extra-headers text, one `name: value` per line.
    pub headers: String,
    pub origin: String,
}

/// Which text the editor shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Body,
    Headers,
}

/// A message in the status line until the next edit or action.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Notice {
    text: String,
    error: bool,
}

/// Everything derived from the body: parsed once per change.
#[derive(Debug)]
struct Analysis {
    value: Option<Value>,
    syntax: Option<JsonSyntaxError>,
    /// Syntax error (as a problem) or lint problems, errors first.
    problems: Vec<Problem>,
    /// Where each problem sits in the text, same order as `problems`.
    positions: Vec<Option<TextPosition>>,
    tokens: Option<u64>,
}

impl Analysis {
    fn of(text: &str, options: &LintOptions) -> Analysis {
        let report = lint::lint_text(text, options, MAX_LOCATED);
        Analysis {
            tokens: report.value.as_ref().map(lint::estimate_input_tokens),
            value: report.value,
            syntax: report.syntax,
            problems: report.problems,
            positions: report.positions,
        }
    }

    fn fields(&self) -> Option<QuickFields> {
        self.value
            .as_ref()
            .and_then(Value::as_object)
            .map(QuickFields::from_body)
    }

    fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }
}

#[derive(Debug)]
pub struct ComposerPane {
    body: TextArea<'static>,
    headers: TextArea<'static>,
    view: View,
    origin: String,
    editing: bool,
    picker: Option<Picker>,
    /// Ids from `GET /v1/models`; empty until they arrive.
    models: Vec<String>,
    /// The profile's `anthropic-version`, for lint (an extra header wins).
    anthropic_version: Option<String>,
    /// The profile's `anthropic-beta` values, for lint.
    profile_betas: Vec<String>,
    analysis: OnceCell<Analysis>,
    /// The fields of the last body that parsed, shown (dimmed) while the
    /// JSON is broken.
    last_fields: QuickFields,
    notice: Option<Notice>,
    /// Bumped on every change that may change the draft.
    revision: u64,
}

impl Default for ComposerPane {
    /// The composer on the default sample.
    fn default() -> Self {
        let sample = samples::default_sample();
        ComposerPane::new(sample.body, sample.name)
    }
}

impl ComposerPane {
    /// A composer holding `body`; `origin` says where it came from (a
    /// sample's name, a file, an exchange id, "draft").
    pub fn new(body: &str, origin: &str) -> Self {
        let mut pane = ComposerPane {
            body: new_editor(body),
            headers: new_headers_editor(""),
            view: View::Body,
            origin: origin.to_owned(),
            editing: false,
            picker: None,
            models: Vec::new(),
            anthropic_version: None,
            profile_betas: Vec::new(),
            analysis: OnceCell::new(),
            last_fields: QuickFields::default(),
            notice: None,
            revision: 0,
        };
        pane.refresh_last_fields();
        pane
    }

    /// The body as typed (a trailing newline of a loaded file is dropped).
    pub fn body(&self) -> String {
        self.body.lines().join("\n")
    }

    /// Where the body came from: a sample's file name, a path, "draft", …
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The extra headers typed in the headers editor (malformed lines are
    /// skipped; [`ComposerPane::header_problems`] lists them).
    pub fn extra_headers(&self) -> Vec<Header> {
        headers::parse(&self.headers_text()).0
    }

    /// The lines of the headers text that are not `name: value` headers.
    pub fn header_problems(&self) -> Vec<HeaderProblem> {
        headers::parse(&self.headers_text()).1
    }

    pub fn set_body(&mut self, body: &str, origin: &str) {
        self.body = new_editor(body);
        self.origin = origin.to_owned();
        self.view = View::Body;
        self.touch();
    }

    pub fn set_extra_headers(&mut self, headers: &[Header]) {
        self.headers = new_headers_editor(&headers::to_text(headers));
        self.touch();
    }

    /// The model ids `GET /v1/models` returned, for the model quick field.
    pub fn set_models(&mut self, ids: Vec<String>) {
        self.models = ids;
    }

    /// The active profile's `anthropic-version` and `anthropic-beta`
    /// values, so lint judges the body as the API will (`2026-10-21`
    /// removed the sampling fields; `context_management` needs its beta).
    /// An `anthropic-version` line in the extra headers takes precedence;
    /// `anthropic-beta` lines there add to the profile's.
    pub fn set_profile_headers(&mut self, version: Option<String>, betas: Vec<String>) {
        self.anthropic_version = version;
        self.profile_betas = betas;
        self.touch();
    }

    /// Every lint problem of the current body (JSON syntax included).
    pub fn problems(&self) -> Vec<Problem> {
        self.analysis().problems.clone()
    }

    /// True when the API would reject the body as it is.
    pub fn has_errors(&self) -> bool {
        self.analysis().problems.iter().any(Problem::is_error)
    }

    /// The quick fields as the body says them now; None while the body is
    /// not a JSON object.
    pub fn quick_fields(&self) -> Option<QuickFields> {
        self.analysis().fields()
    }

    /// True while keys type into the editor.
    pub fn is_editing(&self) -> bool {
        self.editing
    }

    /// True while raw keys belong to the composer (editing, or the picker
    /// is open): route them to [`ComposerPane::on_input`], not the keymap.
    pub fn input_active(&self) -> bool {
        self.editing || self.picker.is_some()
    }

    pub fn is_picker_open(&self) -> bool {
        self.picker.is_some()
    }

    /// Changes whenever the text may have changed (typing, paste, quick
    /// fields, loading, headers): compare it between frames to know when
    /// to save the [`Draft`] (debounced), whichever way the change came.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What to save so nothing typed is lost; credentials masked (see
    /// [`Draft`]).
    pub fn draft(&self) -> Draft {
        Draft {
            body: redact_text(&self.body()).into_owned(),
            headers: headers::for_disk(&self.headers_text()),
            origin: redact_text(&self.origin).into_owned(),
        }
    }

    /// A composer holding a saved draft.
    pub fn restore(draft: Draft) -> Self {
        let mut pane = ComposerPane::new(&draft.body, &draft.origin);
        pane.headers = new_headers_editor(&draft.headers);
        pane
    }

    /// Opens the sample / file picker over the editor.
    pub fn open_picker(&mut self) {
        self.picker = Some(Picker::new(&self.origin));
    }

    pub fn on_action(&mut self, action: Action) {
        if self.picker.is_some() {
            if matches!(action, Action::StopEditing | Action::OpenFile) {
                self.picker = None;
            }
            return;
        }
        self.notice = None;
        match action {
            Action::Edit => self.editing = true,
            Action::StopEditing => self.editing = false,
            Action::OpenFile => self.open_picker(),
            Action::EditHeaders => {
                self.view = match self.view {
                    View::Body => View::Headers,
                    View::Headers => View::Body,
                };
            }
            Action::NextModel => self.quick_edit(QuickEdit::NextModel),
            Action::PrevModel => self.quick_edit(QuickEdit::PrevModel),
            Action::MoreTokens => self.quick_edit(QuickEdit::MoreTokens),
            Action::FewerTokens => self.quick_edit(QuickEdit::FewerTokens),
            Action::ToggleStream => self.quick_edit(QuickEdit::ToggleStream),
            Action::Warmer => self.quick_edit(QuickEdit::Warmer),
            Action::Cooler => self.quick_edit(QuickEdit::Cooler),
            _ => {}
        }
    }

    /// A key while [`ComposerPane::input_active`]: typed into the editor,
    /// or handled by the picker. Esc stops editing (or closes the picker)
    /// and Ctrl-O opens the picker, in case the app routes them here.
    /// Returns true when the text (body or headers) changed.
    pub fn on_input(&mut self, key: KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        if let Some(picker) = self.picker.as_mut() {
            let outcome = picker.on_key(key);
            return self.picker_outcome(outcome);
        }
        if !self.editing {
            return false;
        }
        match key.code {
            KeyCode::Esc => {
                self.editing = false;
                false
            }
            KeyCode::Char('o') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.open_picker();
                false
            }
            _ => {
                let changed = self.editor_mut().input(key);
                if changed {
                    self.touch();
                }
                changed
            }
        }
    }

    /// Pasted text goes where the keys go; a paste while not editing starts
    /// editing rather than being dropped.
    pub fn on_paste(&mut self, text: &str) {
        if let Some(picker) = self.picker.as_mut() {
            picker.on_paste(text);
            return;
        }
        self.editing = true;
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        if self.editor_mut().insert_str(text) {
            self.touch();
        }
    }

    fn picker_outcome(&mut self, outcome: PickerOutcome) -> bool {
        match outcome {
            PickerOutcome::Stay => false,
            PickerOutcome::Close => {
                self.picker = None;
                false
            }
            PickerOutcome::LoadSample(sample) => {
                self.picker = None;
                self.set_body(sample.body, sample.name);
                self.notice(format!("loaded the sample {}", sample.name), false);
                true
            }
            PickerOutcome::LoadFile(path) => match picker::read_request_file(&path) {
                Ok((text, origin)) => {
                    self.picker = None;
                    self.set_body(&text, &origin);
                    self.notice(format!("opened {origin}"), false);
                    true
                }
                Err(error) => {
                    let message = format!("{error} — the current text is kept");
                    if let Some(picker) = self.picker.as_mut() {
                        picker.set_error(error.to_string());
                    }
                    self.notice(message, true);
                    false
                }
            },
        }
    }

    fn quick_edit(&mut self, edit: QuickEdit) {
        self.view = View::Body;
        let analysis = self.analysis();
        let Some(mut value) = analysis.value.clone() else {
            let at = analysis
                .syntax
                .as_ref()
                .map(|e| format!(" (line {}:{})", e.line, e.column))
                .unwrap_or_default();
            self.notice(format!("fix the JSON to use quick fields{at}"), true);
            return;
        };
        let Some(body) = value.as_object_mut() else {
            self.notice(
                "quick fields need the body to be a JSON object".into(),
                true,
            );
            return;
        };
        let key = quick::apply(body, edit, &self.models);
        match serde_json::to_string_pretty(&value) {
            Ok(text) => {
                self.replace_body_text(&text);
                let at = lint::locate(&text, &[PathSegment::Key(key.to_owned())]);
                if let Some(at) = at {
                    jump(&mut self.body, at.line - 1, at.column - 1);
                }
            }
            Err(error) => self.notice(format!("could not rewrite the body: {error}"), true),
        }
    }

    /// Replaces the whole body as one edit (undo brings the old text back).
    fn replace_body_text(&mut self, text: &str) {
        self.body.cancel_selection();
        self.body.move_cursor(CursorMove::Top);
        self.body.move_cursor(CursorMove::Head);
        self.body.start_selection();
        self.body.move_cursor(CursorMove::Bottom);
        self.body.move_cursor(CursorMove::End);
        self.body.insert_str(text);
        self.touch();
    }

    fn editor_mut(&mut self) -> &mut TextArea<'static> {
        match self.view {
            View::Body => &mut self.body,
            View::Headers => &mut self.headers,
        }
    }

    fn headers_text(&self) -> String {
        self.headers.lines().join("\n")
    }

    fn lint_options(&self) -> LintOptions {
        let extra = self.extra_headers();
        LintOptions {
            anthropic_version: header_value(&extra, "anthropic-version")
                .map(str::to_owned)
                .or_else(|| self.anthropic_version.clone()),
            ..LintOptions::default()
        }
        .with_betas(
            self.profile_betas
                .iter()
                .map(String::as_str)
                .chain(header_values(&extra, "anthropic-beta")),
        )
    }

    /// The analysis of the current body, computed now if an edit dropped it.
    fn analysis(&self) -> &Analysis {
        self.analysis
            .get_or_init(|| Analysis::of(&self.body(), &self.lint_options()))
    }

    /// Something changed: the analysis is stale and so is any notice.
    fn touch(&mut self) {
        self.analysis = OnceCell::new();
        self.notice = None;
        self.revision = self.revision.wrapping_add(1);
    }

    fn refresh_last_fields(&mut self) {
        if let Some(fields) = self.analysis().fields() {
            self.last_fields = fields;
        }
    }

    fn notice(&mut self, text: String, error: bool) {
        self.notice = Some(Notice { text, error });
    }
}

/// An editor holding `text`, split at `\n` (a `\r` before it dropped, and
/// one trailing newline dropped so a file does not show an empty last
/// line).
fn new_editor(text: &str) -> TextArea<'static> {
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned())
        .collect();
    let mut editor = TextArea::new(lines);
    editor.set_tab_length(TAB_WIDTH);
    editor.set_cursor_line_style(Style::default());
    editor.set_max_histories(200);
    editor
}

fn new_headers_editor(text: &str) -> TextArea<'static> {
    let mut editor = new_editor(text);
    editor.set_placeholder_text("one `name: value` per line, # for comments");
    editor
}

/// Moves the cursor to a 0-based row and column (the widget counts in u16;
/// a row beyond that goes to the last line).
fn jump(editor: &mut TextArea<'_>, row: usize, column: usize) {
    match (u16::try_from(row), u16::try_from(column)) {
        (Ok(row), Ok(column)) => editor.move_cursor(CursorMove::Jump(row, column)),
        _ => editor.move_cursor(CursorMove::Bottom),
    }
}
