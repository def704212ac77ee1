//! Turning a row of a document into styled cells: the line's colours by
//! kind, search matches laid over them, then only the row's bytes drawn.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::style::Style;

use super::document::{Document, LineKind};
use crate::tui::highlight::json_tokens;
use crate::tui::theme::Theme;

pub(super) type Piece = (Range<usize>, Style);

/// Lines longer than this keep their colours between frames: a megabyte
/// JSON string on one line would otherwise be scanned on every frame.
const LONG_LINE: usize = 16 * 1024;
/// How many long lines to remember (a screen rarely shows more than two).
const LONG_LINES_KEPT: usize = 4;

/// The styled pieces of the long lines drawn lately.
#[derive(Debug, Default)]
pub(super) struct LongLines {
    theme: Option<Theme>,
    /// (document id, revision, line) → pieces.
    kept: Vec<((u64, u64, usize), Vec<Piece>)>,
}

impl LongLines {
    /// Colours line `line` of `doc`: a short line into `scratch`, a long
    /// one into the cache unless it is there already.
    pub(super) fn prepare(
        &mut self,
        doc: &Document,
        line: usize,
        scratch: &mut Vec<Piece>,
        theme: &Theme,
    ) {
        let Some((text, kind)) = doc.line(line) else {
            scratch.clear();
            return;
        };
        if text.len() <= LONG_LINE {
            *scratch = segments(text, kind, theme);
            return;
        }
        if self.theme.as_ref() != Some(theme) {
            self.kept.clear();
            self.theme = Some(theme.clone());
        }
        let key = (doc.id(), doc.revision(), line);
        if !self.kept.iter().any(|(k, _)| *k == key) {
            if self.kept.len() >= LONG_LINES_KEPT {
                self.kept.remove(0);
            }
            self.kept.push((key, segments(text, kind, theme)));
        }
    }

    /// The pieces [`LongLines::prepare`] made for `line`.
    pub(super) fn get<'a>(
        &'a self,
        doc: &Document,
        line: usize,
        scratch: &'a [Piece],
    ) -> &'a [Piece] {
        let long = doc
            .line(line)
            .is_some_and(|(text, _)| text.len() > LONG_LINE);
        if !long {
            return scratch;
        }
        let key = (doc.id(), doc.revision(), line);
        self.kept
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[], |(_, pieces)| pieces.as_slice())
    }
}

/// Styled pieces covering the whole of `text`, in order.
pub(super) fn segments(text: &str, kind: LineKind, theme: &Theme) -> Vec<Piece> {
    let whole = |style: Style| vec![(0..text.len(), style)];
    match kind {
        LineKind::Plain => whole(theme.base),
        LineKind::Heading => whole(theme.title),
        LineKind::Dim => whole(theme.dim),
        LineKind::Ok => whole(theme.ok),
        LineKind::Warn => whole(theme.warn),
        LineKind::Error => whole(theme.error),
        LineKind::Info => whole(theme.info),
        LineKind::Json => {
            let mut out = Vec::new();
            push_json(&mut out, text, 0, theme);
            out
        }
        LineKind::Field => match text.find(": ") {
            Some(colon) => vec![(0..colon, theme.json_key), (colon..text.len(), theme.base)],
            None => whole(theme.base),
        },
        LineKind::Event => event_segments(text, theme),
        LineKind::Bar => bar_segments(text, theme),
    }
}

/// JSON tokens of `text[from..]`, gaps in the base style.
fn push_json(out: &mut Vec<Piece>, text: &str, from: usize, theme: &Theme) {
    let Some(rest) = text.get(from..) else {
        return;
    };
    let mut at = from;
    for (range, token) in json_tokens(rest) {
        let range = from + range.start..from + range.end;
        if range.start > at {
            out.push((at..range.start, theme.base));
        }
        at = range.end;
        out.push((range, token.style(theme)));
    }
    if at < text.len() {
        out.push((at..text.len(), theme.base));
    }
}

/// `+   123 ms  name  {json}`: time dim, name accented, data as JSON.
fn event_segments(text: &str, theme: &Theme) -> Vec<Piece> {
    let time_end = text.find(" ms").map_or(0, |at| at + 3);
    let rest = text.get(time_end..).unwrap_or_default();
    let name_start = time_end + (rest.len() - rest.trim_start().len());
    let name_end = text
        .get(name_start..)
        .and_then(|name| name.find(' '))
        .map_or(text.len(), |end| name_start + end);
    let mut out = vec![
        (0..time_end, theme.dim),
        (time_end..name_start, theme.base),
        (name_start..name_end, theme.accent),
    ];
    push_json(&mut out, text, name_end, theme);
    out
}

/// Block characters of a timing bar in the accent colour, its track dim.
fn bar_segments(text: &str, theme: &Theme) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for (at, c) in text.char_indices() {
        let style = match c {
            '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' | '▏' => theme.accent,
            '░' => theme.dim,
            _ => theme.base,
        };
        let end = at + c.len_utf8();
        match out.last_mut() {
            Some((range, last)) if *last == style => range.end = end,
            _ => out.push((at..end, style)),
        }
    }
    out
}

/// The pieces of `base` inside `row`, with `marks` (sorted, disjoint)
/// patched over them.
pub(super) fn overlay(base: &[Piece], row: &Range<usize>, marks: &[Piece]) -> Vec<Piece> {
    let mut out = Vec::new();
    for (range, style) in base {
        let start = range.start.max(row.start);
        let end = range.end.min(row.end);
        if start >= end {
            continue;
        }
        let mut at = start;
        for (mark, mark_style) in marks {
            if mark.end <= start || mark.start >= end {
                continue;
            }
            let from = mark.start.max(start);
            let to = mark.end.min(end);
            if from > at {
                out.push((at..from, *style));
            }
            out.push((from..to, style.patch(*mark_style)));
            at = to;
        }
        if at < end {
            out.push((at..end, *style));
        }
    }
    out
}

/// Draws `pieces` of `text` on row `y` from column `x`, `width` columns
/// at most; `cut` puts a mark in the last column (more to the right).
pub(super) fn draw_row(
    buf: &mut Buffer,
    (x, y, width): (u16, u16, u16),
    text: &str,
    pieces: &[Piece],
    cut: bool,
    theme: &Theme,
) {
    let right = x.saturating_add(width);
    let mut at = x;
    for (range, style) in pieces {
        let Some(piece) = text.get(range.clone()) else {
            continue;
        };
        if at >= right {
            break;
        }
        at = buf
            .set_stringn(at, y, piece, usize::from(right - at), *style)
            .0;
    }
    if cut && width > 0 {
        buf.set_stringn(right - 1, y, "›", 1, theme.dim);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorMode;

    fn texts<'a>(text: &'a str, pieces: &[Piece]) -> Vec<&'a str> {
        pieces.iter().map(|(r, _)| &text[r.clone()]).collect()
    }

    #[test]
    fn segments_cover_the_line() {
        let theme = Theme::new(ColorMode::Ansi16);
        for (text, kind) in [
            (r#"  "a": [1, true],"#, LineKind::Json),
            (
                "+   120 ms  content_block_delta  {\"index\":0}",
                LineKind::Event,
            ),
            ("total           ████▌░░░   412 ms", LineKind::Bar),
            ("request-id: req_01", LineKind::Field),
            ("plain", LineKind::Plain),
        ] {
            let pieces = segments(text, kind, &theme);
            let joined: String = texts(text, &pieces).concat();
            assert_eq!(joined, text, "{kind:?}");
        }
    }

    #[test]
    fn event_lines_are_split_into_time_name_and_data() {
        let theme = Theme::new(ColorMode::Ansi16);
        let text = "+   120 ms  message_stop         {\"type\":\"message_stop\"}";
        let pieces = segments(text, LineKind::Event, &theme);
        assert_eq!(&text[pieces[0].0.clone()], "+   120 ms");
        assert_eq!(pieces[0].1, theme.dim);
        assert_eq!(&text[pieces[2].0.clone()], "message_stop");
        assert_eq!(pieces[2].1, theme.accent);
        assert!(pieces.iter().any(|(_, s)| *s == theme.json_key));
    }

    #[test]
    fn overlay_clips_to_the_row_and_patches_marks() {
        let theme = Theme::new(ColorMode::Ansi16);
        let text = "hello world again";
        let base = vec![(0..5, theme.ok), (5..17, theme.base)];
        let marks = vec![(4..7, theme.search_match), (12..14, theme.search_match)];
        let pieces = overlay(&base, &(2..13), &marks);
        assert_eq!(texts(text, &pieces), vec!["ll", "o", " w", "orld ", "a"]);
        assert_eq!(pieces[1].1, theme.ok.patch(theme.search_match));
        assert_eq!(pieces[3].1, theme.base);
    }
}
