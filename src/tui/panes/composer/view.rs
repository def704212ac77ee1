//! Drawing the composer: title, quick-fields row, editor with gutter and
//! highlighting, status line, and the picker overlay.
//!
//! The editor widget draws the text (it owns scrolling, the cursor,
//! selection, tabs and wide characters); the composer then patches the
//! colours of the drawn cells from the shared JSON tokenizer
//! ([`crate::tui::highlight`]), walking graphemes
//! the same way the widget does, and masks secrets on those cells. Only
//! the visible part of a line is tokenized, so a one-line 1 MB body stays
//! cheap to draw.

use crate::text::thousands;
use std::collections::HashMap;
use std::ops::Range;

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::quick::QuickFields;
use super::{Analysis, ComposerPane, TAB_WIDTH, View, headers};
use crate::api::lint::Severity;
use crate::tui::highlight::json_tokens;
use crate::tui::panes::PaneContext;
use crate::tui::theme::Theme;

/// How much of a line past the right edge is tokenized, so a key cut by
/// the edge still sees its `:`.
const TOKENIZE_SLACK: usize = 256;

/// The longest origin shown in the title.
const MAX_ORIGIN_CHARS: usize = 32;

/// The rows of the composer's inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Areas {
    quick: Option<Rect>,
    editor: Rect,
    status: Rect,
}

/// Splits the inside: quick fields on top (from 3 rows), the status at the
/// bottom (two rows when there is a second line to show and 10 rows or
/// more), the editor in between.
fn split(inner: Rect, status_lines: u16) -> Areas {
    let h = inner.height;
    let status_rows = if h >= 10 {
        status_lines.clamp(1, 2)
    } else {
        h.min(1)
    };
    let quick_rows = u16::from(h >= 3);
    let editor_rows = h - status_rows - quick_rows;
    let row = |y: u16, height: u16| Rect { y, height, ..inner };
    Areas {
        quick: (quick_rows > 0).then(|| row(inner.y, 1)),
        editor: row(inner.y + quick_rows, editor_rows),
        status: row(inner.y + quick_rows + editor_rows, status_rows),
    }
}

impl ComposerPane {
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        let block = ctx.block(1, &self.title());
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        // The one lint of this frame (a no-op when nothing changed).
        self.refresh_last_fields();
        self.style_editors(ctx.theme);
        let status = self.status_lines(ctx.theme);
        let areas = split(inner, status.len() as u16);
        if let Some(quick) = areas.quick {
            let line = self.quick_line(usize::from(quick.width), ctx.theme);
            buf.set_line(quick.x, quick.y, &line, quick.width);
        }
        self.render_editor(areas.editor, buf, ctx.theme);
        for (row, line) in status
            .iter()
            .take(usize::from(areas.status.height))
            .enumerate()
        {
            let y = areas.status.y + row as u16;
            buf.set_line(areas.status.x, y, line, areas.status.width);
        }
        if let Some(picker) = &self.picker {
            picker.render(inner, buf, ctx.theme);
        }
    }

    fn title(&self) -> String {
        let state = match (self.picker.is_some(), self.editing, self.view) {
            (true, ..) => "open",
            (false, true, View::Body) => "editing",
            (false, true, View::Headers) => "editing headers",
            (false, false, View::Body) => "Enter to edit",
            (false, false, View::Headers) => "headers · Enter to edit",
        };
        format!("Composer · {} · {state}", shorten(&self.origin))
    }

    /// The cursor shows only in the editor being typed into.
    fn style_editors(&mut self, theme: &Theme) {
        let cursor = Style::new().add_modifier(Modifier::REVERSED);
        let (editing, view) = (self.editing && self.picker.is_none(), self.view);
        for (editor, shown) in [
            (&mut self.body, view == View::Body),
            (&mut self.headers, view == View::Headers),
        ] {
            editor.set_cursor_style(if editing && shown {
                cursor
            } else {
                Style::default()
            });
            editor.set_selection_style(theme.selected);
            editor.set_placeholder_style(theme.dim);
        }
    }

    fn render_editor(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        if area.is_empty() {
            return;
        }
        let editor = match self.view {
            View::Body => &self.body,
            View::Headers => &self.headers,
        };
        let digits = digits(editor.lines().len()).max(2);
        let gutter = (digits + 2) as u16;
        let (gutter, text) = if area.width > gutter + 4 {
            let text = Rect {
                x: area.x + gutter,
                width: area.width - gutter,
                ..area
            };
            (gutter, text)
        } else {
            (0, area)
        };
        editor.render(text, buf);
        let marks = self.line_marks();
        let syntax = self.syntax_cell();
        let (top, left) = editor.scroll_offset();
        let cursor_row = (self.editing && self.picker.is_none()).then(|| editor.cursor().0);
        for i in 0..area.height {
            let row = usize::from(top) + usize::from(i);
            let Some(line) = editor.lines().get(row) else {
                break;
            };
            let y = area.y + i;
            if gutter > 0 {
                let mark = marks.get(&row).copied();
                let number = GutterNumber {
                    row,
                    digits,
                    mark,
                    cursor: cursor_row == Some(row),
                };
                number.draw(buf, area.x, y, theme);
            }
            if editor.is_empty() {
                continue;
            }
            let paint = Paint {
                line,
                left: usize::from(left),
                rect: Rect {
                    y,
                    height: 1,
                    ..text
                },
                header_line: self.view == View::Headers,
                underline: syntax.filter(|(r, _)| *r == row).map(|(_, c)| c),
            };
            paint.draw(buf, theme);
        }
    }

    /// 0-based line → the worst problem on it, for the gutter.
    fn line_marks(&self) -> HashMap<usize, Severity> {
        let mut marks = HashMap::new();
        let mut mark = |line: usize, severity: Severity| {
            let slot = marks.entry(line.saturating_sub(1)).or_insert(severity);
            if severity == Severity::Error {
                *slot = Severity::Error;
            }
        };
        match self.view {
            View::Body => {
                let analysis = self.analysis();
                for (problem, at) in analysis.problems.iter().zip(&analysis.positions) {
                    if let Some(at) = at {
                        mark(at.line, problem.severity);
                    }
                }
            }
            View::Headers => {
                for problem in self.header_problems() {
                    mark(problem.line, Severity::Error);
                }
            }
        }
        marks
    }

    /// The 0-based (line, char) of a JSON syntax error, to underline.
    fn syntax_cell(&self) -> Option<(usize, usize)> {
        if self.view != View::Body {
            return None;
        }
        let syntax = self.analysis().syntax.as_ref()?;
        Some((
            syntax.line.saturating_sub(1),
            syntax.column.saturating_sub(1),
        ))
    }

    fn quick_line(&self, width: usize, theme: &Theme) -> Line<'static> {
        if self.view == View::Headers {
            return first_fitting(
                width,
                [
                    "extra headers: one `name: value` per line, # for comments",
                    "extra headers: one `name: value` per line",
                    "extra headers",
                ]
                .map(|text| Line::from(Span::styled(text, theme.dim))),
            );
        }
        let analysis = self.analysis();
        let (fields, stale) = match analysis.fields() {
            Some(fields) => (fields, false),
            None => (self.last_fields.clone(), true),
        };
        // Nothing known yet (the body never parsed): only the hint.
        let known = !stale || self.last_fields != QuickFields::default();
        let mut candidates: Vec<Line<'static>> = QUICK_FORMATS
            .iter()
            .filter(|_| known)
            .map(|format| quick_fields_line(&fields, format, stale, theme))
            .collect();
        if stale {
            for line in &mut candidates {
                line.spans
                    .push(Span::styled("  (fix the JSON)", theme.warn));
            }
            candidates.push(Line::from(Span::styled(
                "quick fields: fix the JSON to use them",
                theme.warn,
            )));
        }
        first_fitting(width, candidates)
    }

    fn status_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        if let Some(notice) = &self.notice {
            let style = if notice.error {
                theme.error
            } else {
                theme.info
            };
            let mark = if notice.error { "✗ " } else { "· " };
            return vec![Line::from(Span::styled(
                format!("{mark}{}", notice.text),
                style,
            ))];
        }
        match self.view {
            View::Body => body_status(self.analysis(), theme),
            View::Headers => self.headers_status(theme),
        }
    }

    fn headers_status(&self, theme: &Theme) -> Vec<Line<'static>> {
        let problems = self.header_problems();
        let Some(first) = problems.first() else {
            let n = self.extra_headers().len();
            let text = match n {
                0 => "✓ no extra headers".to_owned(),
                1 => "✓ 1 extra header".to_owned(),
                n => format!("✓ {n} extra headers"),
            };
            return vec![Line::from(Span::styled(text, theme.ok))];
        };
        let count = plural(problems.len(), "bad line", "bad lines");
        vec![
            Line::from(vec![
                Span::styled(format!("✗ {count}"), theme.error),
                Span::styled(" — ", theme.dim),
                Span::styled(first.to_string(), theme.base),
            ]),
            Line::from(Span::styled(
                "  fix: write `name: value`; lines that are not headers are not sent",
                theme.dim,
            )),
        ]
    }
}

/// The status of the body: a summary line, and the fix or hint of the
/// first problem on a second line.
fn body_status(analysis: &Analysis, theme: &Theme) -> Vec<Line<'static>> {
    if let Some(syntax) = &analysis.syntax {
        let mut lines = vec![Line::from(vec![
            Span::styled("✗ invalid JSON", theme.error),
            Span::styled(
                format!(" — line {}:{} ", syntax.line, syntax.column),
                theme.dim,
            ),
            Span::styled(syntax.message.clone(), theme.base),
        ])];
        if let Some(hint) = &syntax.hint {
            lines.push(Line::from(Span::styled(
                format!("  hint: {hint}"),
                theme.dim,
            )));
        }
        return lines;
    }
    let (errors, warnings) = (
        analysis.count(Severity::Error),
        analysis.count(Severity::Warning),
    );
    let tokens = analysis
        .tokens
        .map(|n| format!(" (≈ {} input tokens)", thousands(n)))
        .unwrap_or_default();
    let first = analysis.problems.first().zip(analysis.positions.first());
    let mut summary = if errors > 0 {
        let counts = if warnings > 0 {
            format!(
                "{}, {}",
                plural(errors, "error", "errors"),
                plural(warnings, "warning", "warnings")
            )
        } else {
            plural(errors, "error", "errors")
        };
        vec![Span::styled(format!("✗ {counts}"), theme.error)]
    } else {
        vec![Span::styled(format!("✓ valid request{tokens}"), theme.ok)]
    };
    let Some((problem, at)) = first else {
        return vec![Line::from(summary)];
    };
    if errors == 0 {
        summary.push(Span::styled(
            format!(" · ! {}", plural(warnings, "warning", "warnings")),
            theme.warn,
        ));
    }
    let at = at
        .filter(|at| at.exact)
        .map(|at| format!("line {}:{} ", at.line, at.column))
        .unwrap_or_default();
    summary.push(Span::styled(format!(" — {at}"), theme.dim));
    summary.push(Span::styled(problem.api_message(), theme.base));
    vec![
        Line::from(summary),
        Line::from(Span::styled(format!("  fix: {}", problem.fix), theme.dim)),
    ]
}

/// How the quick fields are labelled, widest first.
struct QuickFormat {
    model: &'static str,
    arrow: &'static str,
    max_tokens: &'static str,
    stream: &'static str,
    temperature: &'static str,
    gap: &'static str,
}

const QUICK_FORMATS: [QuickFormat; 4] = [
    QuickFormat {
        model: "model: ",
        arrow: " ▾",
        max_tokens: "max_tokens: ",
        stream: "stream: ",
        temperature: "temperature: ",
        gap: "  ",
    },
    QuickFormat {
        model: "",
        arrow: " ▾",
        max_tokens: "max_tokens ",
        stream: "stream ",
        temperature: "temperature ",
        gap: "  ",
    },
    QuickFormat {
        model: "",
        arrow: " ▾",
        max_tokens: "max ",
        stream: "stream ",
        temperature: "temp ",
        gap: "  ",
    },
    QuickFormat {
        model: "",
        arrow: "▾",
        max_tokens: "",
        stream: "stream ",
        temperature: "t ",
        gap: " · ",
    },
];

fn quick_fields_line(
    fields: &QuickFields,
    format: &QuickFormat,
    stale: bool,
    theme: &Theme,
) -> Line<'static> {
    let value = if stale { theme.dim } else { theme.accent };
    let label = theme.dim;
    let model = fields.model.clone().unwrap_or_else(|| "—".into());
    let max_tokens = fields
        .max_tokens
        .map_or_else(|| "—".to_owned(), |n| n.to_string());
    let stream = if fields.stream == Some(true) {
        "on"
    } else {
        "off"
    };
    let temperature = fields
        .temperature
        .map_or_else(|| "—".to_owned(), show_float);
    Line::from(vec![
        Span::styled(format.model, label),
        Span::styled(model, value),
        Span::styled(format.arrow, label),
        Span::styled(format.gap, label),
        Span::styled(format.max_tokens, label),
        Span::styled(max_tokens, value),
        Span::styled(format.gap, label),
        Span::styled(format.stream, label),
        Span::styled(stream, value),
        Span::styled(format.gap, label),
        Span::styled(format.temperature, label),
        Span::styled(temperature, value),
    ])
}

/// The first line that fits `width`, else the last one (cut by the edge).
fn first_fitting(
    width: usize,
    candidates: impl IntoIterator<Item = Line<'static>>,
) -> Line<'static> {
    let mut last = Line::default();
    for line in candidates {
        if line.width() <= width {
            return line;
        }
        last = line;
    }
    last
}

/// A line number in the gutter with its lint marker: `✗ 12 `.
struct GutterNumber {
    row: usize,
    digits: usize,
    mark: Option<Severity>,
    cursor: bool,
}

impl GutterNumber {
    fn draw(&self, buf: &mut Buffer, x: u16, y: u16, theme: &Theme) {
        let (marker, style) = match self.mark {
            Some(Severity::Error) => ("✗", theme.error),
            Some(Severity::Warning) => ("!", theme.warn),
            None if self.cursor => (" ", theme.accent),
            None => (" ", theme.line_number),
        };
        let text = format!("{marker}{:>width$} ", self.row + 1, width = self.digits);
        buf.set_stringn(x, y, text, self.digits + 2, style);
    }
}

/// Recolours one drawn line of the editor.
struct Paint<'a> {
    line: &'a str,
    /// The first column on screen (horizontal scroll).
    left: usize,
    /// The row of cells the line was drawn on.
    rect: Rect,
    header_line: bool,
    /// The char (0-based) to underline as the syntax error.
    underline: Option<usize>,
}

impl Paint<'_> {
    fn draw(&self, buf: &mut Buffer, theme: &Theme) {
        let cells = self.cells();
        let Some(end) = cells.last().map(|c| c.byte + c.len) else {
            return;
        };
        let runs = self.runs(end, theme);
        let hidden = headers::secret_ranges(self.line, self.header_line);
        let underline_byte = self
            .underline
            .and_then(|c| self.line.char_indices().nth(c).map(|(b, _)| b));
        let mut run = runs.iter().peekable();
        for cell in cells {
            while run.peek().is_some_and(|(r, _)| r.end <= cell.byte) {
                run.next();
            }
            let mut style = run
                .peek()
                .filter(|(r, _)| r.contains(&cell.byte))
                .map_or(theme.base, |(_, s)| *s);
            if underline_byte == Some(cell.byte) {
                style = style.patch(theme.error).add_modifier(Modifier::UNDERLINED);
            }
            let masked = hidden.iter().any(|r| r.contains(&cell.byte));
            self.patch(buf, &cell, style, masked);
        }
    }

    /// Every grapheme (or expanded tab) up to the right edge: its byte, its
    /// columns. Control characters take no cells, as the widget draws them.
    fn cells(&self) -> Vec<DrawnCell> {
        let right = self.left + usize::from(self.rect.width);
        let mut cells = Vec::new();
        let mut col = 0;
        let mut piece_start = 0;
        for piece in self.line.split_inclusive('\t') {
            let (text, tab) = match piece.strip_suffix('\t') {
                Some(text) => (text, true),
                None => (piece, false),
            };
            let span = Span::raw(text);
            for grapheme in span.styled_graphemes(Style::default()) {
                let offset = grapheme.symbol.as_ptr() as usize - text.as_ptr() as usize;
                let width = usize::from(grapheme.symbol.cell_width());
                cells.push(DrawnCell {
                    byte: piece_start + offset,
                    len: grapheme.symbol.len(),
                    col,
                    width,
                });
                col += width;
                if col >= right {
                    return cells;
                }
            }
            if tab {
                let tab_width = usize::from(TAB_WIDTH.max(1));
                let width = tab_width - col % tab_width;
                cells.push(DrawnCell {
                    byte: piece_start + text.len(),
                    len: 1,
                    col,
                    width,
                });
                col += width;
                if col >= right {
                    return cells;
                }
            }
            piece_start += piece.len();
        }
        cells
    }

    /// Styled byte ranges of the line up to `end` (plus some slack).
    fn runs(&self, end: usize, theme: &Theme) -> Vec<(Range<usize>, Style)> {
        let mut cut = (end + TOKENIZE_SLACK).min(self.line.len());
        while !self.line.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = &self.line[..cut];
        if self.header_line {
            return header_runs(text, theme);
        }
        json_tokens(text)
            .into_iter()
            .map(|(range, token)| (range, token.style(theme)))
            .collect()
    }

    fn patch(&self, buf: &mut Buffer, cell: &DrawnCell, style: Style, masked: bool) {
        for col in cell.col..cell.col + cell.width {
            if col < self.left || col >= self.left + usize::from(self.rect.width) {
                continue;
            }
            let x = self.rect.x + (col - self.left) as u16;
            if let Some(target) = buf.cell_mut((x, self.rect.y)) {
                target.set_style(style);
                if masked {
                    target.set_symbol(if col == cell.col { "•" } else { " " });
                }
            }
        }
    }
}

/// One grapheme as the editor drew it.
struct DrawnCell {
    byte: usize,
    len: usize,
    col: usize,
    width: usize,
}

/// `# comment` dim; `name: value` as key and string.
fn header_runs(line: &str, theme: &Theme) -> Vec<(Range<usize>, Style)> {
    if line.trim_start().starts_with('#') {
        return vec![(0..line.len(), theme.dim)];
    }
    match line.find(':') {
        Some(colon) => vec![
            (0..colon, theme.json_key),
            (colon..colon + 1, theme.json_punct),
            (colon + 1..line.len(), theme.json_string),
        ],
        None => vec![(0..line.len(), theme.base)],
    }
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

/// `1 error`, `2 errors`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `0.7`, `1.0`: a float always shows a decimal point.
fn show_float(value: f64) -> String {
    let text = value.to_string();
    if text.contains(['.', 'e', 'E']) || !value.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// A long origin (a path) keeps its end, where the file name is.
fn shorten(origin: &str) -> String {
    let count = origin.chars().count();
    if count <= MAX_ORIGIN_CHARS {
        return origin.to_owned();
    }
    let tail: String = origin
        .chars()
        .skip(count - (MAX_ORIGIN_CHARS - 1))
        .collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inside_splits_at_every_height() {
        let inner = |h| Rect::new(1, 1, 40, h);
        for h in 0..40 {
            for status in 1..=2 {
                let areas = split(inner(h), status);
                let quick = areas.quick.map_or(0, |r| r.height);
                assert_eq!(quick + areas.editor.height + areas.status.height, h);
                assert_eq!(areas.status.bottom(), inner(h).bottom());
            }
        }
        let small = split(inner(7), 2);
        assert_eq!((small.editor.height, small.status.height), (5, 1));
        let large = split(inner(13), 2);
        assert_eq!((large.editor.height, large.status.height), (10, 2));
        assert_eq!(split(inner(1), 1).status.height, 1);
        assert_eq!(split(inner(2), 1).editor.height, 1);
    }

    #[test]
    fn numbers_are_shown_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(show_float(1.0), "1.0");
        assert_eq!(show_float(0.7), "0.7");
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(100), 3);
        assert_eq!(shorten("a.json"), "a.json");
        let long = format!("/very/long/{}/x.json", "d".repeat(60));
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MAX_ORIGIN_CHARS);
        assert!(short.starts_with('…') && short.ends_with("/x.json"));
    }

    #[test]
    fn cells_follow_tabs_wide_chars_and_controls() {
        let paint = |line: &'static str| Paint {
            line,
            left: 0,
            rect: Rect::new(0, 0, 80, 1),
            header_line: false,
            underline: None,
        };
        let cols: Vec<(usize, usize, usize)> = paint("a\tb界\u{7}c")
            .cells()
            .iter()
            .map(|c| (c.byte, c.col, c.width))
            .collect();
        assert_eq!(
            cols,
            vec![(0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 3, 2), (7, 5, 1)]
        );
        // Stops at the right edge.
        let narrow = Paint {
            rect: Rect::new(0, 0, 3, 1),
            ..paint("abcdefgh")
        };
        assert_eq!(narrow.cells().len(), 3);
    }
}
