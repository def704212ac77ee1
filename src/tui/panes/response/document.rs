//! The text one tab shows, cut into lines once.
//!
//! All lines live in one `String` with a table of where each starts, so a
//! megabyte body costs two allocations, not one per line, and a streaming
//! delta is appended in place: only the last line grows, and a newline in
//! the delta opens a new entry. Nothing is ever re-split.
//!
//! Text is made safe for the terminal on the way in: tabs become spaces,
//! carriage returns are dropped and other control characters (an escape
//! sequence in a hostile body, say) become `�`, so what is stored is
//! exactly what is drawn and searched.

use std::sync::atomic::{AtomicU64, Ordering};

use memchr::memchr;

/// How a line is coloured; see `render::segments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LineKind {
    Plain,
    /// A line of JSON (tokens coloured).
    Json,
    Heading,
    Dim,
    Ok,
    Warn,
    Error,
    Info,
    /// `name: value`, the name coloured (headers).
    Field,
    /// `+   123 ms  event_name  {json}` (the stream timeline).
    Event,
    /// A timing bar: its block characters coloured.
    Bar,
}

#[derive(Debug, Clone, Copy)]
struct LineStart {
    at: usize,
    kind: LineKind,
}

#[derive(Debug)]
pub(super) struct Document {
    /// Unique per document, so caches can tell two documents apart.
    id: u64,
    /// Bumped by every change (streaming appends).
    revision: u64,
    text: String,
    lines: Vec<LineStart>,
}

const TAB: &str = "    ";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Default for Document {
    fn default() -> Self {
        Document::new()
    }
}

impl Document {
    pub(super) fn new() -> Self {
        Document {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            revision: 0,
            text: String::new(),
            lines: Vec::new(),
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.id
    }

    pub(super) fn revision(&self) -> u64 {
        self.revision
    }

    pub(super) fn len(&self) -> usize {
        self.lines.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `index` and its kind.
    pub(super) fn line(&self, index: usize) -> Option<(&str, LineKind)> {
        let start = self.lines.get(index)?;
        let end = self
            .lines
            .get(index + 1)
            .map_or(self.text.len(), |next| next.at);
        Some((self.text.get(start.at..end)?, start.kind))
    }

    pub(super) fn lines(&self) -> impl Iterator<Item = (&str, LineKind)> {
        (0..self.len()).filter_map(|i| self.line(i))
    }

    /// Adds `text` as new lines (one per `\n` in it, at least one).
    pub(super) fn push(&mut self, text: &str, kind: LineKind) {
        self.open_line(kind);
        self.append(text, kind);
    }

    pub(super) fn blank(&mut self) {
        self.push("", LineKind::Plain);
    }

    /// Continues the last line with `text`; each `\n` in it opens a new
    /// line of `kind`. The last line keeps its own kind.
    pub(super) fn append(&mut self, text: &str, kind: LineKind) {
        if self.lines.is_empty() {
            self.open_line(kind);
        }
        let mut rest = text;
        while let Some(newline) = memchr(b'\n', rest.as_bytes()) {
            push_clean(&mut self.text, rest.get(..newline).unwrap_or_default());
            self.open_line(kind);
            rest = rest.get(newline + 1..).unwrap_or_default();
        }
        push_clean(&mut self.text, rest);
        self.revision += 1;
    }

    fn open_line(&mut self, kind: LineKind) {
        self.lines.push(LineStart {
            at: self.text.len(),
            kind,
        });
        self.revision += 1;
    }
}

/// Appends `text` (which has no `\n`) made safe to draw.
fn push_clean(out: &mut String, text: &str) {
    let needs_care = text
        .bytes()
        // 0xC2 leads the two-byte encoding of the C1 control characters.
        .any(|b| b < 0x20 || b == 0x7f || b == 0xc2);
    if !needs_care {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\t' => out.push_str(TAB),
            '\r' => {}
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &Document) -> Vec<&str> {
        doc.lines().map(|(text, _)| text).collect()
    }

    #[test]
    fn push_splits_on_newlines() {
        let mut doc = Document::new();
        doc.push("a\nb\n", LineKind::Json);
        doc.push("c", LineKind::Plain);
        assert_eq!(texts(&doc), vec!["a", "b", "", "c"]);
        assert_eq!(doc.line(1).map(|(_, k)| k), Some(LineKind::Json));
        assert_eq!(doc.line(3).map(|(_, k)| k), Some(LineKind::Plain));
        assert_eq!(doc.line(4), None);
    }

    #[test]
    fn append_grows_the_last_line_incrementally() {
        let mut doc = Document::new();
        doc.push("── thinking ──", LineKind::Heading);
        doc.push("", LineKind::Dim);
        for piece in ["Hel", "lo", " wor", "ld\nsecond", " line\n", "third"] {
            doc.append(piece, LineKind::Dim);
        }
        assert_eq!(
            texts(&doc),
            vec!["── thinking ──", "Hello world", "second line", "third"]
        );
        assert!(doc.lines().skip(1).all(|(_, k)| k == LineKind::Dim));
    }

    #[test]
    fn revision_changes_with_every_append() {
        let mut doc = Document::new();
        let before = doc.revision();
        doc.append("x", LineKind::Plain);
        assert_ne!(doc.revision(), before);
        assert_ne!(Document::new().id(), doc.id());
    }

    #[test]
    fn control_characters_are_neutralised() {
        let mut doc = Document::new();
        doc.push("a\tb\r\n\u{1b}[31mred\u{9b}", LineKind::Plain);
        assert_eq!(texts(&doc), vec!["a    b", "\u{fffd}[31mred\u{fffd}"]);
        doc.push("é ü ¢", LineKind::Plain);
        assert_eq!(doc.line(2).map(|(t, _)| t), Some("é ü ¢"));
    }
}
