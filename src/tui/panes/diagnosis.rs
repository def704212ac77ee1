//! The `d` overlay: one exchange's [`Diagnosis`] — headline, the server's
//! message in plain words, the evidence table, the fix and the checklist
//! steps worth running — wrapped to the box and scrollable.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Padding;

use super::PaneContext;
use crate::doctor::diagnose::{Diagnosis, evidence_name_width};
use crate::tui::format::{break_word, text_width};

const TITLE: &str = " Diagnosis — Esc closes, j/k scroll ";

/// Where the overlay goes: centred, at most 100×36.
pub fn area(screen: Rect) -> Rect {
    super::centred(screen, 100, 36, 2)
}

/// Draws the overlay centred on `screen`, scrolled by `scroll` lines
/// (clamped; the clamped value is returned so the caller can keep it).
pub fn render_diagnosis(
    diagnosis: &Diagnosis,
    scroll: u16,
    screen: Rect,
    buf: &mut Buffer,
    ctx: &PaneContext,
) -> u16 {
    let area = area(screen);
    let block = super::overlay_block(TITLE, ctx).padding(Padding::horizontal(1));
    let text = lines(diagnosis, block.inner(area).width as usize, ctx);
    super::render_scrolled(text, block, scroll, area, buf)
}

/// The diagnosis as lines `width` columns wide.
pub fn lines(diagnosis: &Diagnosis, width: usize, ctx: &PaneContext) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let width = width.max(1);
    let headline_style = theme
        .outcome(diagnosis.kind.map_or("ok", |k| k.slug()))
        .patch(theme.title_focused);
    let mut out = wrap(
        &diagnosis.headline,
        width,
        "",
        "",
        headline_style,
        theme.base,
    );
    if !diagnosis.explanation.is_empty() {
        out.push(Line::raw(""));
        for line in &diagnosis.explanation {
            out.extend(wrap(line, width, "• ", "  ", theme.base, theme.dim));
        }
    }
    if !diagnosis.evidence.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("Evidence", theme.title_focused));
        out.extend(evidence(&diagnosis.evidence, width, ctx));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Fix", theme.title_focused));
    out.extend(wrap(
        &diagnosis.fix,
        width,
        "  ",
        "  ",
        theme.accent,
        theme.base,
    ));
    if !diagnosis.related_steps.is_empty() {
        let steps: Vec<String> = diagnosis
            .related_steps
            .iter()
            .map(|step| format!("{} {}", step.number(), step.title()))
            .collect();
        out.push(Line::raw(""));
        out.push(Line::styled("Checklist steps to run", theme.title_focused));
        out.extend(wrap(
            &steps.join(" · "),
            width,
            "  ",
            "  ",
            theme.base,
            theme.base,
        ));
    }
    out
}

/// `name  value` rows, the values wrapped under their own column; on a
/// narrow box the name gets a line of its own.
fn evidence(rows: &[(String, String)], width: usize, ctx: &PaneContext) -> Vec<Line<'static>> {
    let name_width = evidence_name_width(rows);
    let side_by_side = 2 + name_width + 2 + 16 <= width;
    let mut out = Vec::new();
    for (name, value) in rows {
        if side_by_side {
            let first = format!("  {name:<name_width$}  ");
            let rest = " ".repeat(2 + name_width + 2);
            out.extend(wrap(
                value,
                width,
                &first,
                &rest,
                ctx.theme.base,
                ctx.theme.key_hint,
            ));
        } else {
            out.extend(wrap(
                name,
                width,
                "  ",
                "  ",
                ctx.theme.key_hint,
                ctx.theme.base,
            ));
            out.extend(wrap(
                value,
                width,
                "    ",
                "    ",
                ctx.theme.base,
                ctx.theme.base,
            ));
        }
    }
    out
}

/// Word-wraps `text` to `width` columns: the first line starts with
/// `first`, the others with `rest` (both in `prefix_style`). A word wider
/// than a line is broken between characters.
fn wrap(
    text: &str,
    width: usize,
    first: &str,
    rest: &str,
    style: Style,
    prefix_style: Style,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut prefix = first;
    let mut line = String::new();
    let mut used = 0;
    let room = |prefix: &str| width.saturating_sub(text_width(prefix)).max(1);
    let pieces = text
        .split_whitespace()
        .flat_map(|word| break_word(word, room(rest).min(room(first))));
    for piece in pieces {
        let needed = text_width(&piece);
        if used > 0 && used + 1 + needed > room(prefix) {
            out.push(styled(
                prefix,
                std::mem::take(&mut line),
                style,
                prefix_style,
            ));
            prefix = rest;
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(&piece);
        used += needed;
    }
    out.push(styled(prefix, line, style, prefix_style));
    out
}

fn styled(prefix: &str, text: String, style: Style, prefix_style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(prefix.to_owned(), prefix_style),
        Span::styled(text, style),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::FailureKind;
    use crate::doctor::StepId;
    use crate::tui::fixtures::{TEST_KEY, at};
    use crate::tui::theme::Theme;
    use ratatui::{Terminal, backend::TestBackend};

    fn sample() -> Diagnosis {
        Diagnosis {
            kind: Some(FailureKind::BadRequest),
            headline: "400 bad-request: messages.0.content is empty".into(),
            explanation: vec![
                "The API rejected the request: a field or header is missing, unknown or out of range.".into(),
                "`messages.0.content` is an empty string or an empty list; every message needs content, except a final assistant message (a prefill).".into(),
                "messages.0 means message 1 (paths count from 0).".into(),
            ],
            evidence: vec![
                ("request-id".into(), "req_011CTestRequestId".into()),
                ("status".into(), "400 HTTP/1.1".into()),
                ("error.type".into(), "invalid_request_error".into()),
                (
                    "message".into(),
                    "messages.0: all messages must have non-empty content except for the optional final assistant message".into(),
                ),
                ("x-api-key sent".into(), crate::store::redact::mask_secret(TEST_KEY)),
                ("sent at messages.0".into(), "{\"role\":\"user\",\"content\":\"\"}".into()),
            ],
            fix: "Give the message some content, or remove it.".into(),
            related_steps: vec![StepId::Configuration, StepId::Reachability],
        }
    }

    fn draw(d: &Diagnosis, w: u16, h: u16, scroll: u16) -> (Terminal<TestBackend>, u16) {
        let theme = Theme::default();
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut kept = 0;
        terminal
            .draw(|f| {
                let ctx = PaneContext {
                    theme: &theme,
                    focused: true,
                    now: at(0),
                };
                kept = render_diagnosis(d, scroll, f.area(), f.buffer_mut(), &ctx);
            })
            .unwrap();
        (terminal, kept)
    }

    fn screen_text(terminal: &Terminal<TestBackend>) -> String {
        let buf = terminal.backend().buffer();
        let mut s = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                s.push_str(buf[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }

    #[test]
    fn renders_at_80x24() {
        let (terminal, kept) = draw(&sample(), 80, 24, 0);
        assert_eq!(kept, 0);
        let text = screen_text(&terminal);
        assert!(text.contains("400 bad-request: messages.0.content is empty"));
        assert!(text.contains("sk-ant-…"), "the masked key is shown");
        assert!(!text.contains(&TEST_KEY[13..30]), "never the key");
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn scrolls_and_clamps() {
        let (terminal, kept) = draw(&sample(), 50, 14, 9999);
        assert!(kept > 0 && kept < 9999, "{kept}");
        let text = screen_text(&terminal);
        assert!(text.contains("Give the message some"), "{text}");
        assert!(text.contains("Reachability"), "{text}");
        let (_, again) = draw(&sample(), 50, 14, kept);
        assert_eq!(again, kept);
    }

    #[test]
    fn narrow_boxes_stack_the_evidence_and_wrap() {
        let theme = Theme::default();
        let ctx = PaneContext {
            theme: &theme,
            focused: true,
            now: at(0),
        };
        let text: Vec<String> = lines(&sample(), 24, &ctx)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(text.iter().all(|l| text_width(l) <= 24), "{text:#?}");
        assert!(text.contains(&"  request-id".to_owned()), "{text:#?}");
        assert!(text.contains(&"    400 HTTP/1.1".to_owned()), "{text:#?}");
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (5, 3), (10, 4)] {
            draw(&sample(), w, h, 3);
        }
        let theme = Theme::default();
        let ctx = PaneContext {
            theme: &theme,
            focused: true,
            now: at(0),
        };
        for width in 0..6 {
            assert!(!lines(&sample(), width, &ctx).is_empty());
        }
    }

    #[test]
    fn wrap_keeps_prefixes_and_breaks_long_words() {
        let rows: Vec<String> = wrap(
            "aaaa bbbbbbbbbbbb c",
            8,
            "- ",
            "  ",
            Style::new(),
            Style::new(),
        )
        .iter()
        .map(|l| l.to_string())
        .collect();
        assert_eq!(rows, ["- aaaa", "  bbbbbb", "  bbbbbb", "  c"]);
        let rows: Vec<String> = wrap("", 8, "- ", "  ", Style::new(), Style::new())
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(rows, ["- "]);
    }
}
