//! The `?` overlay: every key, generated from the keymap so it cannot
//! drift from what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::PaneContext;
use crate::tui::keymap::{Context, Keymap};

const CONTEXTS: [Context; 6] = [
    Context::Global,
    Context::Composer,
    Context::Response,
    Context::History,
    Context::RateLimits,
    Context::Checklist,
];

/// The help text, one line per key.
pub fn lines(keymap: &Keymap, ctx: &PaneContext) -> Vec<Line<'static>> {
    let width = CONTEXTS
        .iter()
        .flat_map(|&c| keymap.rows(c))
        .map(|(keys, _)| keys.chars().count())
        .max()
        .unwrap_or(8);
    let mut out = Vec::new();
    for context in CONTEXTS {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(
            context.title().to_string(),
            ctx.theme.title_focused,
        ));
        for (keys, description) in keymap.rows(context) {
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<width$}  "), ctx.theme.key_hint),
                Span::raw(description),
            ]));
        }
    }
    out.push(Line::raw(""));
    for note in [
        "Mouse: click a pane to focus it, wheel to scroll.",
        "Keys can be changed in the [keys] table of the config file.",
    ] {
        out.push(Line::styled(note, ctx.theme.dim));
    }
    out
}

/// Where the overlay goes: centred, at most 96×40.
pub fn area(screen: Rect) -> Rect {
    super::centred(screen, 96, 40, 2)
}

/// Draws the overlay scrolled by `scroll` lines (clamped; the clamped value
/// is returned so the caller can keep it).
pub fn render(
    keymap: &Keymap,
    scroll: u16,
    screen: Rect,
    buf: &mut Buffer,
    ctx: &PaneContext,
) -> u16 {
    let block = super::overlay_block(" Keys — Esc or ? closes, j/k scroll ", ctx);
    super::render_scrolled(lines(keymap, ctx), block, scroll, area(screen), buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::at;
    use crate::tui::keymap::Action;
    use crate::tui::theme::Theme;
    use ratatui::{Terminal, backend::TestBackend};

    #[test]
    fn every_action_is_listed_with_its_keys() {
        let theme = Theme::default();
        let ctx = PaneContext {
            theme: &theme,
            focused: true,
            now: at(0),
        };
        let keymap = Keymap::default();
        let text: String = lines(&keymap, &ctx)
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect();
        for &action in Action::ALL {
            assert!(text.contains(action.description()), "{action:?} missing");
        }
        assert!(text.contains("Ctrl-S/F5"));
    }

    #[test]
    fn renders_at_80x24_and_scrolls() {
        let theme = Theme::default();
        let keymap = Keymap::default();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut kept = 0;
        terminal
            .draw(|f| {
                let ctx = PaneContext {
                    theme: &theme,
                    focused: true,
                    now: at(0),
                };
                kept = render(&keymap, 9999, f.area(), f.buffer_mut(), &ctx);
            })
            .unwrap();
        assert!(kept > 0 && kept < 9999);
        insta::assert_snapshot!(terminal.backend());
    }
}
