//! The bottom line: the keys that work in the focused pane (from the
//! keymap, so they cannot drift) and the last message in plain words.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::PaneContext;
use crate::tui::keymap::{Action, Keymap};

/// How a message on the status bar reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
}

/// The hints for what has the keyboard now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Composer,
    Editing,
    Response,
    Search,
    History,
    Filter,
    RateLimits,
    Checklist,
    Help,
    Diagnosis,
    Confirm,
    Diff,
}

fn hints_for(mode: Mode) -> &'static [Action] {
    use Action::*;
    match mode {
        Mode::Composer => &[
            Send,
            Edit,
            NextModel,
            ToggleStream,
            MoreTokens,
            OpenFile,
            EditHeaders,
        ],
        Mode::Editing => &[StopEditing, Send],
        Mode::Response => &[NextTab, Search, NextMatch, ToggleWrap, Bottom],
        Mode::History => &[
            Show,
            Replay,
            LoadIntoComposer,
            Diagnose,
            Compare,
            CopyCurl,
            Filter,
        ],
        Mode::RateLimits => &[LimitsScrollDown],
        Mode::Checklist => &[StepDown, RunChecks],
        Mode::Search | Mode::Filter | Mode::Help | Mode::Diagnosis | Mode::Confirm | Mode::Diff => {
            &[]
        }
    }
}

fn fixed_hint(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Search => Some("type to search · Enter jump · Esc close"),
        Mode::Filter => Some("429, model:…, outcome:auth or text · Enter keep · Esc clear"),
        Mode::Help => Some("j/k scroll · Esc or ? close"),
        Mode::Diagnosis => Some("j/k scroll · Esc or d close"),
        Mode::Confirm => Some("y send anyway · n or Esc go back"),
        Mode::Diff => Some("j/k scroll · Esc or D close"),
        _ => None,
    }
}

pub fn render(
    keymap: &Keymap,
    mode: Mode,
    message: Option<&Message>,
    area: Rect,
    buf: &mut Buffer,
    ctx: &PaneContext,
) {
    let theme = ctx.theme;
    let width = usize::from(area.width);
    // A message may take up to half the line (more if the keys leave room).
    let wanted = message.map_or(0, |m| {
        (m.text.chars().count() + 2).clamp(MIN_MESSAGE, width / 2)
    });
    let budget = width.saturating_sub(wanted);
    let hints = hint_spans(keymap, mode, budget, ctx);
    // The keys keep their place on the right; the message gets the rest
    // of the line and is shortened, never the other way round.
    let hints_width: usize = hints.iter().map(|s| s.width()).sum();
    let hints_width = hints_width.min(width);
    let message_width = width - hints_width;
    if let Some(message) = message {
        let style = match message.tone {
            Tone::Info => theme.info,
            Tone::Warn => theme.warn,
            Tone::Error => theme.error,
        };
        let text = shorten(
            &format!(" {}", message.text),
            message_width.saturating_sub(1),
        );
        let left = Rect::new(area.x, area.y, message_width as u16, area.height.min(1));
        Paragraph::new(Line::styled(text, style)).render(left, buf);
    }
    let right = Rect::new(
        area.x + message_width as u16,
        area.y,
        hints_width as u16,
        area.height.min(1),
    );
    Paragraph::new(Line::from(hints))
        .alignment(ratatui::layout::Alignment::Right)
        .render(right, buf);
}

/// The hints that fit in `budget` columns: the pane's own keys as far as
/// they fit, then always Tab, ? and q (the way to everything else).
fn hint_spans(keymap: &Keymap, mode: Mode, budget: usize, ctx: &PaneContext) -> Vec<Span<'static>> {
    let theme = ctx.theme;
    if let Some(hint) = fixed_hint(mode) {
        return vec![Span::styled(format!(" {hint} "), theme.dim)];
    }
    let pair = |action: Action| {
        let mut spans = Vec::new();
        push_hint(&mut spans, keymap, action, theme.key_hint, theme.dim);
        spans
    };
    let width = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    let mut tail: Vec<Span<'static>> = [Action::FocusNext, Action::Help, Action::Quit]
        .into_iter()
        .filter(|&a| !(mode == Mode::Editing && a == Action::Quit))
        .flat_map(pair)
        .collect();
    tail.push(Span::raw(" "));
    let mut used = width(&tail);
    let mut out = Vec::new();
    for &action in hints_for(mode) {
        let spans = pair(action);
        let w = width(&spans);
        if used + w > budget {
            break;
        }
        used += w;
        out.extend(spans);
    }
    out.extend(tail);
    out
}

/// Columns kept for the message however many hints there are.
const MIN_MESSAGE: usize = 30;

/// `text` cut to `width` columns with an ellipsis.
fn shorten(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + 2 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn push_hint(
    spans: &mut Vec<Span<'static>>,
    keymap: &Keymap,
    action: Action,
    key: Style,
    dim: Style,
) {
    let Some(first) = keymap.keys(action).first() else {
        return;
    };
    spans.push(Span::styled(format!(" {first}"), key));
    spans.push(Span::styled(format!(" {}", short(action)), dim));
}

/// A one- or two-word label; the help overlay has the long ones.
fn short(action: Action) -> &'static str {
    match action {
        Action::Send => "send",
        Action::Edit => "edit",
        Action::NextModel => "model",
        Action::ToggleStream => "stream",
        Action::MoreTokens => "max_tokens",
        Action::OpenFile => "open",
        Action::EditHeaders => "headers",
        Action::StopEditing => "stop editing",
        Action::NextTab => "tab",
        Action::Search => "search",
        Action::NextMatch => "next",
        Action::ToggleWrap => "wrap",
        Action::Bottom => "end",
        Action::Show => "show",
        Action::Replay => "replay",
        Action::LoadIntoComposer => "edit",
        Action::Diagnose => "diagnose",
        Action::CopyCurl => "curl",
        Action::Filter => "filter",
        Action::LimitsScrollDown => "scroll",
        Action::StepDown => "select",
        Action::RunChecks => "run again",
        Action::FocusNext => "pane",
        Action::Help => "help",
        Action::Quit => "quit",
        other => other.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(keymap: &Keymap, mode: Mode, message: Option<&Message>) -> String {
        crate::tui::fixtures::draw_line(120, |area, buf, ctx| {
            render(keymap, mode, message, area, buf, ctx)
        })
    }

    #[test]
    fn hints_follow_the_keymap() {
        let keymap = Keymap::default();
        let text = draw(&keymap, Mode::History, None);
        assert!(
            text.contains("r replay") && text.contains("? help"),
            "{text}"
        );
        let mut rebound = std::collections::BTreeMap::new();
        rebound.insert("replay".to_string(), vec!["R".to_string()]);
        let keymap = Keymap::with_overrides(&rebound, "c.toml").unwrap();
        assert!(draw(&keymap, Mode::History, None).contains("R replay"));
    }

    #[test]
    fn shows_the_last_message_first() {
        let message = Message {
            tone: Tone::Error,
            text: "429 rate-limited: retry in 4 s".into(),
        };
        let text = draw(&Keymap::default(), Mode::Editing, Some(&message));
        insta::assert_snapshot!(text);
        assert!(!text.contains("q quit"), "q types a q while editing");
    }
}
