//! `view(app, frame)`: draws the whole screen from the state. The layout:
//!
//! ```text
//!  header
//!  ┌ 1 Composer ─────────┐┌ 3 History ───────┐
//!  │                     ││                  │
//!  ├ 2 Response ─────────┤├ 4 Rate limits ───┤
//!  │                     ││                  │
//!  │                     │├ 5 Checklist ─────┤
//!  └─────────────────────┘└──────────────────┘
//!  status bar
//! ```

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{App, Areas, Focus, Overlay, PendingSend};
use super::panes::status_bar::Mode;
use super::panes::{PaneContext, diagnosis, diff, header, help, status_bar};

/// Below this the panes cannot be used; the screen says so instead.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn view(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    draw(app, area, frame.buffer_mut());
}

/// Draws into a buffer; [`view`] and the benchmarks use it.
pub fn draw(app: &mut App, area: Rect, buf: &mut Buffer) {
    app.too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
    if app.too_small {
        app.areas = Areas::default();
        return too_small(app, area, buf);
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let [composer, response] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(left);
    let [history, rate_limits, checklist] = Layout::vertical([
        Constraint::Percentage(36),
        Constraint::Percentage(34),
        Constraint::Percentage(30),
    ])
    .areas(right);
    app.areas = Areas {
        composer,
        response,
        history,
        rate_limits,
        checklist,
    };
    let theme = app.theme.clone();
    let ctx = |focused| PaneContext {
        theme: &theme,
        focused,
        now: app.now,
    };
    header::render(
        &header::Header {
            profile: &app.profile,
            demo: app.demo,
            in_flight: app.in_flight.len(),
            tap: app.tap.as_ref(),
        },
        top,
        buf,
        &ctx(false),
    );
    let focus = app.focus;
    app.composer
        .render(composer, buf, &ctx(focus == Focus::Composer));
    app.response
        .render(response, buf, &ctx(focus == Focus::Response));
    app.history
        .render(history, buf, &ctx(focus == Focus::History));
    app.limits
        .render(rate_limits, buf, &ctx(focus == Focus::RateLimits));
    app.checklist
        .render(checklist, buf, &ctx(focus == Focus::Checklist));
    let mode = mode(app);
    status_bar::render(
        &app.keymap,
        mode,
        app.message.as_ref(),
        bottom,
        buf,
        &ctx(false),
    );
    match &mut app.overlay {
        Some(Overlay::Help { scroll }) => {
            *scroll = help::render(&app.keymap, *scroll, area, buf, &ctx(true));
        }
        Some(Overlay::Diagnosis { diagnosis, scroll }) => {
            *scroll = diagnosis::render_diagnosis(diagnosis, *scroll, area, buf, &ctx(true));
        }
        Some(Overlay::Confirm(pending)) => {
            confirm(pending, area, buf, &ctx(true));
        }
        Some(Overlay::Diff { diff, scroll }) => {
            *scroll = diff::render(diff, *scroll, area, buf, &ctx(true));
        }
        None => {}
    }
}

/// What has the keyboard, for the status bar's hints.
pub fn mode(app: &App) -> Mode {
    match &app.overlay {
        Some(Overlay::Help { .. }) => return Mode::Help,
        Some(Overlay::Diagnosis { .. }) => return Mode::Diagnosis,
        Some(Overlay::Confirm(_)) => return Mode::Confirm,
        Some(Overlay::Diff { .. }) => return Mode::Diff,
        None => {}
    }
    match app.focus {
        Focus::Composer if app.composer.input_active() => Mode::Editing,
        Focus::Composer => Mode::Composer,
        Focus::Response if app.response.input_active() => Mode::Search,
        Focus::Response => Mode::Response,
        Focus::History if app.history.input_active() => Mode::Filter,
        Focus::History => Mode::History,
        Focus::RateLimits => Mode::RateLimits,
        Focus::Checklist => Mode::Checklist,
    }
}

fn too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let text = vec![
        Line::styled("claudetui needs a larger terminal", app.theme.title_focused),
        Line::raw(""),
        Line::raw(format!(
            "It is {}×{}; the dashboard needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Make the window larger, or press q to quit."),
    ];
    Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

fn confirm(pending: &PendingSend, screen: Rect, buf: &mut Buffer, ctx: &PaneContext) {
    let shown = pending.problems.len().min(8) as u16;
    let area = super::panes::centred(screen, 90, shown + 7, 4);
    let mut lines = vec![Line::styled(
        format!(
            "The API will reject this request: lint found {} error{}.",
            pending.problems.len(),
            if pending.problems.len() == 1 { "" } else { "s" }
        ),
        ctx.theme.error,
    )];
    lines.push(Line::raw(""));
    for problem in pending.problems.iter().take(8) {
        lines.push(Line::raw(format!("  • {problem}")));
    }
    if pending.problems.len() > 8 {
        lines.push(Line::styled(
            format!("  … and {} more", pending.problems.len() - 8),
            ctx.theme.dim,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        ratatui::text::Span::styled("y", ctx.theme.key_hint),
        ratatui::text::Span::raw(" send anyway (to see the API's own answer)   "),
        ratatui::text::Span::styled("n/Esc", ctx.theme.key_hint),
        ratatui::text::Span::raw(" go back and fix it"),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(ctx.theme.warn)
        .title(Line::styled(" Send anyway? ", ctx.theme.title_focused));
    Clear.render(area, buf);
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

#[cfg(test)]
mod tests;
