//! Wrapping and scrolling, computed only where the screen is.
//!
//! The scroll position is a logical line plus a wrapped row inside it
//! ([`Position`]), not a screen row counted from the top: knowing the
//! screen row of line 40 000 would mean wrapping the 39 999 lines above
//! it. With this choice, drawing, scrolling and clamping only wrap the
//! lines they touch, and [`Wrapper`] remembers those (until the document,
//! the width or the wrap mode changes) so a huge single line — a megabyte
//! JSON string — is wrapped once, not once per frame.

use std::collections::BTreeMap;
use std::ops::Range;

use memchr::memrchr;
use ratatui::text::Span;

use super::document::Document;

/// The top of the view: row `row` of logical line `line`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Position {
    pub line: usize,
    pub row: usize,
}

/// One screen row: part of a logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub line: usize,
    pub bytes: Range<usize>,
    /// The line goes on past the right edge (wrap off).
    pub cut: bool,
}

/// How many wrapped lines to remember before starting over.
const CACHE_LINES: usize = 4096;

/// Row ranges of the lines seen so far, for one document at one width.
#[derive(Debug, Default)]
pub(super) struct Wrapper {
    doc: u64,
    width: usize,
    wrap: bool,
    revision: u64,
    len: usize,
    rows: BTreeMap<usize, Vec<Range<usize>>>,
}

impl Wrapper {
    /// Drops what no longer holds: everything when the document, width
    /// or mode changed; after a streaming append, only the last line
    /// (the one that grew) and the ones after it.
    pub(super) fn sync(&mut self, doc: &Document, width: usize, wrap: bool) {
        let width = width.max(1);
        if self.doc != doc.id() || self.width != width || self.wrap != wrap {
            self.rows.clear();
            self.doc = doc.id();
            self.width = width;
            self.wrap = wrap;
        } else if self.revision != doc.revision() {
            let _stale = self.rows.split_off(&self.len.saturating_sub(1));
        }
        self.revision = doc.revision();
        self.len = doc.len();
    }

    /// The rows of `line` (one when wrapping is off).
    pub(super) fn rows(&mut self, doc: &Document, line: usize) -> &[Range<usize>] {
        if !self.rows.contains_key(&line) {
            if self.rows.len() >= CACHE_LINES {
                self.rows.clear();
            }
            let text = doc.line(line).map_or("", |(text, _)| text);
            let rows = if self.wrap {
                wrap_rows(text, self.width)
            } else {
                std::iter::once(0..text.len()).collect()
            };
            self.rows.insert(line, rows);
        }
        self.rows.get(&line).map_or(&[], Vec::as_slice)
    }

    fn row_count(&mut self, doc: &Document, line: usize) -> usize {
        self.rows(doc, line).len().max(1)
    }

    /// `n` rows further down, stopping at the last row.
    pub(super) fn down(&mut self, doc: &Document, mut pos: Position, mut n: usize) -> Position {
        while n > 0 {
            let count = self.row_count(doc, pos.line);
            if pos.row + n < count {
                pos.row += n;
                break;
            }
            if pos.line + 1 >= doc.len() {
                pos.row = count - 1;
                break;
            }
            n -= count - pos.row;
            pos = Position {
                line: pos.line + 1,
                row: 0,
            };
        }
        pos
    }

    /// `n` rows further up, stopping at the first row.
    pub(super) fn up(&mut self, doc: &Document, mut pos: Position, mut n: usize) -> Position {
        while n > 0 {
            if pos.row >= n {
                pos.row -= n;
                break;
            }
            if pos.line == 0 {
                pos.row = 0;
                break;
            }
            n -= pos.row + 1;
            pos.line -= 1;
            pos.row = self.row_count(doc, pos.line) - 1;
        }
        pos
    }

    /// The top position that shows the end of the document on the last
    /// screen row.
    pub(super) fn bottom(&mut self, doc: &Document, height: usize) -> Position {
        let Some(last) = doc.len().checked_sub(1) else {
            return Position::default();
        };
        let end = Position {
            line: last,
            row: self.row_count(doc, last) - 1,
        };
        self.up(doc, end, height.saturating_sub(1))
    }

    /// `pos` made valid: inside the document, and never so far down that
    /// the screen would show empty rows below the end.
    pub(super) fn clamp(&mut self, doc: &Document, pos: Position, height: usize) -> Position {
        let Some(last) = doc.len().checked_sub(1) else {
            return Position::default();
        };
        let line = pos.line.min(last);
        let row = pos.row.min(self.row_count(doc, line) - 1);
        let pos = Position { line, row };
        let mut probe = pos;
        for _ in 1..height.max(1) {
            let next = self.down(doc, probe, 1);
            if next == probe {
                return self.bottom(doc, height).min(pos);
            }
            probe = next;
        }
        pos
    }

    /// The rows on screen from `pos`, at most `height`. With wrapping off,
    /// each line is one row starting `hcol` columns in.
    pub(super) fn visible(
        &mut self,
        doc: &Document,
        pos: Position,
        height: usize,
        hcol: usize,
    ) -> Vec<Row> {
        let mut out = Vec::with_capacity(height);
        let mut line = pos.line;
        let mut row = pos.row;
        while out.len() < height && line < doc.len() {
            if self.wrap {
                let rows = self.rows(doc, line);
                out.extend(rows.iter().skip(row).take(height - out.len()).map(|r| Row {
                    line,
                    bytes: r.clone(),
                    cut: false,
                }));
            } else {
                let text = doc.line(line).map_or("", |(text, _)| text);
                out.push(unwrapped_row(line, text, hcol, self.width));
            }
            line += 1;
            row = 0;
        }
        out
    }

    /// Where the match at `bytes` of `line` sits: the position of its row.
    pub(super) fn position_of(&mut self, doc: &Document, line: usize, byte: usize) -> Position {
        let rows = self.rows(doc, line);
        let row = rows
            .iter()
            .rposition(|r| r.start <= byte)
            .unwrap_or_default();
        Position { line, row }
    }
}

fn unwrapped_row(line: usize, text: &str, hcol: usize, width: usize) -> Row {
    let start = byte_at_column(text, hcol);
    let end = hard_cut(text, start, width);
    if end >= text.len() {
        return Row {
            line,
            bytes: start..end,
            cut: false,
        };
    }
    // Leave the last column for the "more to the right" mark.
    Row {
        line,
        bytes: start..hard_cut(text, start, width.saturating_sub(1)),
        cut: true,
    }
}

/// The display width of one character (control characters never reach
/// here: documents replace them).
pub(super) fn char_width(c: char) -> usize {
    if c.is_ascii() {
        return 1;
    }
    let mut utf8 = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut utf8)).width()
}

/// The display width of `text`.
pub(super) fn text_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char_width).sum()
    }
}

/// The byte offset where display column `column` starts.
pub(super) fn byte_at_column(text: &str, column: usize) -> usize {
    if column == 0 {
        return 0;
    }
    let mut used = 0;
    for (at, c) in text.char_indices() {
        if used >= column {
            return at;
        }
        used += char_width(c);
    }
    text.len()
}

/// The end of the longest piece from `start` that fits in `width` columns.
pub(super) fn hard_cut(text: &str, start: usize, width: usize) -> usize {
    let Some(rest) = text.get(start..) else {
        return text.len();
    };
    let probe = rest.len().min(width);
    if rest.as_bytes().get(..probe).is_some_and(<[u8]>::is_ascii) {
        return start + probe;
    }
    let mut used = 0;
    for (at, c) in rest.char_indices() {
        used += char_width(c);
        if used > width {
            return start + at;
        }
    }
    text.len()
}

/// Rows of `text` at `width` columns: broken after a space when there is
/// one on the row, else mid-word. A space that falls exactly at a break is
/// dropped, so no row starts with it. Always at least one row.
pub(super) fn wrap_rows(text: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let mut rows = Vec::with_capacity(text.len() / width + 1);
    let mut start = 0;
    loop {
        let (end, next) = row_break(text, start, width);
        rows.push(start..end);
        if next >= text.len() || next <= start {
            break;
        }
        start = next;
    }
    rows
}

/// The end of the row starting at `start`, and where the next row starts.
fn row_break(text: &str, start: usize, width: usize) -> (usize, usize) {
    let Some(rest) = text.get(start..) else {
        return (text.len(), text.len());
    };
    let bytes = rest.as_bytes();
    if bytes.len() <= width && bytes.is_ascii() {
        return (text.len(), text.len());
    }
    if bytes.get(..=width).is_some_and(<[u8]>::is_ascii) {
        // The common case, without measuring characters.
        if bytes.get(width) == Some(&b' ') {
            return (start + width, start + width + 1);
        }
        let at = memrchr(b' ', bytes.get(..width).unwrap_or_default()).map_or(width, |p| p + 1);
        return (start + at, start + at);
    }
    let mut used = 0;
    let mut after_space = None;
    for (at, c) in rest.char_indices() {
        let w = char_width(c);
        if used + w > width && at > 0 {
            if c == ' ' {
                return (start + at, start + at + 1);
            }
            let at = after_space.unwrap_or(at);
            return (start + at, start + at);
        }
        used += w;
        if c == ' ' {
            after_space = Some(at + 1);
        }
    }
    (text.len(), text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panes::response::document::LineKind;

    fn rows_of(text: &str, width: usize) -> Vec<&str> {
        wrap_rows(text, width)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    fn doc(lines: &[&str]) -> Document {
        let mut doc = Document::new();
        for line in lines {
            doc.push(line, LineKind::Plain);
        }
        doc
    }

    #[test]
    fn wraps_after_spaces_and_drops_a_space_at_the_break() {
        assert_eq!(
            rows_of("the quick brown fox", 10),
            vec!["the quick ", "brown fox"]
        );
        assert_eq!(rows_of("the quick brown", 9), vec!["the quick", "brown"]);
        assert_eq!(rows_of("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        assert_eq!(rows_of("", 5), vec![""]);
        assert_eq!(rows_of("short", 80), vec!["short"]);
    }

    #[test]
    fn wraps_wide_and_accented_characters_by_display_width() {
        assert_eq!(
            rows_of("日本語のテキスト", 6),
            vec!["日本語", "のテキ", "スト"]
        );
        assert_eq!(rows_of("héllo wörld", 6), vec!["héllo ", "wörld"]);
        // A character wider than the pane still makes progress.
        assert_eq!(rows_of("日本", 1), vec!["日", "本"]);
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_general_path() {
        let text = "lorem ipsum dolor sit amet, consectetur adipiscing elit sed do";
        let accented = text.replace('o', "ö");
        for width in 1..30 {
            let fast: Vec<usize> = wrap_rows(text, width).iter().map(|r| r.len()).collect();
            let slow: Vec<usize> = wrap_rows(&accented, width)
                .iter()
                .map(|r| accented[r.clone()].chars().count())
                .collect();
            assert_eq!(fast, slow, "width {width}");
        }
    }

    #[test]
    fn hard_cut_and_columns() {
        assert_eq!(hard_cut("abcdef", 0, 4), 4);
        assert_eq!(hard_cut("日本語", 0, 3), 3);
        assert_eq!(hard_cut("ab", 0, 4), 2);
        assert_eq!(byte_at_column("日本語", 2), 3);
        assert_eq!(byte_at_column("abc", 9), 3);
        assert_eq!(text_width("日本a"), 5);
    }

    #[test]
    fn scrolling_moves_by_wrapped_rows() {
        let doc = doc(&["aaaa bbbb cccc", "dd", "eeee ffff"]);
        let mut w = Wrapper::default();
        w.sync(&doc, 5, true);
        let p = w.down(&doc, Position::default(), 2);
        assert_eq!(p, Position { line: 0, row: 2 });
        let p = w.down(&doc, p, 2);
        assert_eq!(p, Position { line: 2, row: 0 });
        let p = w.down(&doc, p, 10);
        assert_eq!(p, Position { line: 2, row: 1 });
        let p = w.up(&doc, p, 3);
        assert_eq!(p, Position { line: 0, row: 2 });
        assert_eq!(w.up(&doc, p, 99), Position::default());
    }

    #[test]
    fn clamp_never_leaves_empty_rows_below_the_end() {
        let doc = doc(&["aaaa bbbb cccc", "dd", "eeee ffff"]);
        let mut w = Wrapper::default();
        w.sync(&doc, 5, true);
        // 6 rows in all; a 4-row screen can start at row 2 at most.
        assert_eq!(w.bottom(&doc, 4), Position { line: 0, row: 2 });
        let far = Position { line: 2, row: 1 };
        assert_eq!(w.clamp(&doc, far, 4), Position { line: 0, row: 2 });
        assert_eq!(w.clamp(&doc, far, 40), Position::default());
        let visible = w.visible(&doc, Position { line: 0, row: 2 }, 4, 0);
        let lines: Vec<usize> = visible.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![0, 1, 2, 2]);
        assert_eq!(
            w.clamp(&Document::new(), far, 4),
            Position::default(),
            "empty document"
        );
    }

    #[test]
    fn unwrapped_rows_are_cut_with_room_for_the_mark() {
        let doc = doc(&["0123456789", "abc"]);
        let mut w = Wrapper::default();
        w.sync(&doc, 6, false);
        let rows = w.visible(&doc, Position::default(), 5, 0);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].bytes.clone(), rows[0].cut), (0..5, true));
        assert_eq!((rows[1].bytes.clone(), rows[1].cut), (0..3, false));
        let shifted = w.visible(&doc, Position::default(), 1, 7);
        assert_eq!((shifted[0].bytes.clone(), shifted[0].cut), (7..10, false));
    }

    #[test]
    fn streaming_appends_invalidate_only_the_tail() {
        let mut doc = doc(&["first line", "grow"]);
        let mut w = Wrapper::default();
        w.sync(&doc, 4, true);
        assert_eq!(w.rows(&doc, 1).len(), 1);
        doc.append(" more text", LineKind::Plain);
        w.sync(&doc, 4, true);
        assert_eq!(w.rows(&doc, 1).len(), 3);
        assert_eq!(w.rows(&doc, 0).len(), 3);
    }

    #[test]
    fn the_row_of_a_byte() {
        let doc = doc(&["aaaa bbbb cccc"]);
        let mut w = Wrapper::default();
        w.sync(&doc, 5, true);
        assert_eq!(w.position_of(&doc, 0, 11), Position { line: 0, row: 2 });
        assert_eq!(w.position_of(&doc, 0, 0), Position { line: 0, row: 0 });
    }
}
