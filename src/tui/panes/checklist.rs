//! The checklist pane: the doctor's steps, one row each (state, title, what
//! was found), and below them the selected step's fix and evidence.
//!
//! The pane holds reports only; it never runs a check. `RunChecks` returns
//! the steps to run, the app hands them to [`crate::doctor::spawn_run`],
//! and every report that comes back goes through [`ChecklistPane::apply`].

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget, Wrap};

use super::PaneContext;
use crate::doctor::diagnose::{Diagnosis, diagnose};
use crate::doctor::{StepId, StepReport, StepState, implemented};
use crate::exchange::Exchange;
use crate::tui::keymap::Action;

/// The key that jumps here (`FocusChecklist`), shown in the title.
const PANE_NUMBER: u8 = 5;
const TITLE: &str = "Checklist";
/// Below this inner width a row shows no finding (the details do).
const MIN_WIDTH_FOR_FINDING: u16 = 40;
/// `… running` is the longest state: icon, space, seven letters.
const STATE_COLUMN: usize = 9;

#[derive(Debug)]
pub struct ChecklistPane {
    /// One per step, in checklist order.
    rows: Vec<StepReport>,
    selected: usize,
    /// First row shown when the list is taller than the pane.
    offset: usize,
    attention: bool,
    /// The latest exchange's diagnosis, while it is a failure: the
    /// checklist opens with it (the same words as the Response pane).
    failure: Option<Diagnosis>,
}

impl Default for ChecklistPane {
    fn default() -> Self {
        ChecklistPane {
            rows: implemented()
                .iter()
                .map(|id| StepReport::pending(*id))
                .collect(),
            selected: 0,
            offset: 0,
            attention: false,
            failure: None,
        }
    }
}

impl ChecklistPane {
    pub fn new() -> Self {
        ChecklistPane::default()
    }

    /// Shows `report` in its step's row (a `Running` report too). A step
    /// the pane did not list yet gets a row in checklist order.
    pub fn apply(&mut self, report: StepReport) {
        match self.rows.iter_mut().find(|r| r.id == report.id) {
            Some(row) => *row = report,
            None => {
                let at = self.rows.partition_point(|r| r.id < report.id);
                self.rows.insert(at, report);
                if at <= self.selected && self.rows.len() > 1 {
                    self.selected += 1;
                }
            }
        }
    }

    /// Asks for the user's eye: the border and title take the attention
    /// style and the title counts the failing steps. The app sets it after
    /// a failed exchange and clears it when it sees fit (e.g. on focus).
    pub fn set_attention(&mut self, on: bool) {
        self.attention = on;
    }

    pub fn attention(&self) -> bool {
        self.attention
    }

    /// Follows the latest finished (or diagnosed) exchange: a failure is
    /// explained at the top of the pane until one finishes without failing.
    pub fn set_latest(&mut self, exchange: &Exchange) {
        self.failure = exchange.outcome.failure().map(|_| diagnose(exchange));
    }

    pub fn selected(&self) -> Option<&StepReport> {
        self.rows.get(self.selected)
    }

    /// Every row, in checklist order.
    pub fn reports(&self) -> &[StepReport] {
        &self.rows
    }

    /// How many steps failed.
    pub fn failing(&self) -> usize {
        self.count(StepState::Fail)
    }

    fn count(&self, state: StepState) -> usize {
        self.rows.iter().filter(|r| r.state == state).count()
    }

    /// Moves the selection; `RunChecks` returns the steps the app should
    /// run (all implemented ones).
    pub fn on_action(&mut self, action: Action) -> Option<Vec<StepId>> {
        match action {
            Action::StepUp => self.selected = self.selected.saturating_sub(1),
            Action::StepDown => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1))
            }
            Action::RunChecks => return Some(implemented().to_vec()),
            _ => {}
        }
        None
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        let block = self.block(ctx);
        let mut inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() || self.rows.is_empty() {
            return;
        }
        let used = self.render_failure(inner, buf, ctx);
        inner.y += used;
        inner.height -= used;
        if inner.is_empty() {
            return;
        }
        // The rows scroll rather than crowd out the selected step's
        // details: a few lines stay for them once the pane has the room.
        let reserve = match inner.height {
            0..=3 => 0,
            4..=5 => 1,
            h => (h / 2).max(3),
        };
        let list_height = (self.rows.len() as u16).min(inner.height - reserve);
        self.scroll_to_selection(list_height as usize);
        let title_width = self.title_width();
        // What is left of the row for the finding, after state and title.
        let finding_width = (inner.width >= MIN_WIDTH_FOR_FINDING)
            .then(|| (inner.width as usize).saturating_sub(STATE_COLUMN + 1 + title_width + 2));
        let mut finding_cut = false;
        for (i, row) in self
            .rows
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(list_height as usize)
        {
            let y = inner.y + (i - self.offset) as u16;
            let (line, cut) = row_line(row, title_width, finding_width, ctx);
            buf.set_line(inner.x, y, &line, inner.width);
            if i == self.selected {
                finding_cut = cut;
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), ctx.theme.selected);
            }
        }
        let rest = inner.height - list_height;
        if rest < 3 {
            // No room for the rule that counts hidden steps: the bottom
            // border counts them instead.
            if let Some(note) = self.hidden_note(list_height) {
                let y = area.bottom().saturating_sub(1);
                let width = area.width.saturating_sub(4) as usize;
                buf.set_stringn(area.x + 2, y, note, width, ctx.theme.dim);
            }
        }
        if rest == 0 {
            return;
        }
        let mut details = Rect::new(inner.x, inner.y + list_height, inner.width, rest);
        // A rule only where it leaves room for at least two lines of details.
        if rest >= 3 {
            let rule = "─".repeat(inner.width as usize);
            buf.set_string(details.x, details.y, rule, ctx.theme.dim);
            // Steps scrolled out of sight are counted, so none is missed.
            let hidden = self.hidden_note(list_height);
            if let Some(note) = hidden {
                buf.set_stringn(
                    details.x + 1,
                    details.y,
                    note,
                    inner.width.saturating_sub(2) as usize,
                    ctx.theme.dim,
                );
            }
            details.y += 1;
            details.height -= 1;
        }
        if let Some(row) = self.rows.get(self.selected) {
            Paragraph::new(detail_lines(row, finding_cut, ctx))
                .wrap(Wrap { trim: false })
                .render(details, buf);
        }
    }

    /// The latest failure's headline and fix, one line each (the `d`
    /// overlay has the rest); only the headline when the pane is short,
    /// nothing when it is tiny. Returns the lines used.
    fn render_failure(&self, inner: Rect, buf: &mut Buffer, ctx: &PaneContext) -> u16 {
        let Some(diagnosis) = &self.failure else {
            return 0;
        };
        let width = inner.width as usize;
        let lines = match inner.height {
            0..=4 => return 0,
            5..=8 => 1,
            _ => 2,
        };
        // The id is left out: the headline needs the room more, and the
        // Response pane and History name the exchange.
        let (headline, _) = fit(&format!("✗ {}", diagnosis.headline), width);
        buf.set_stringn(inner.x, inner.y, headline, width, ctx.theme.error);
        if lines == 2 {
            let (fix, _) = fit(&format!("  Fix: {}", diagnosis.fix), width);
            buf.set_stringn(inner.x, inner.y + 1, fix, width, ctx.theme.base);
        }
        lines
    }

    /// `↓ 5 more (j/k)` when steps are scrolled out of the list.
    fn hidden_note(&self, list_height: u16) -> Option<String> {
        let above = self.offset;
        let below = self
            .rows
            .len()
            .saturating_sub(self.offset + list_height as usize);
        match (above, below) {
            (0, 0) => None,
            (0, b) => Some(format!(" ↓ {b} more (j/k) ")),
            (a, 0) => Some(format!(" ↑ {a} more (j/k) ")),
            (a, b) => Some(format!(" ↑ {a} ↓ {b} more (j/k) ")),
        }
    }

    fn block<'a>(&self, ctx: &PaneContext<'a>) -> Block<'a> {
        if !self.attention {
            return ctx.block(PANE_NUMBER, TITLE);
        }
        let (fails, warns) = (self.failing(), self.count(StepState::Warn));
        let title = match (fails, warns) {
            (0, 0) => TITLE.to_owned(),
            (0, 1) => format!("{TITLE} — 1 warning"),
            (0, n) => format!("{TITLE} — {n} warnings"),
            (n, _) => format!("{TITLE} — {n} failing"),
        };
        // As `ctx.block`, but border and title in the attention style.
        Block::default()
            .borders(Borders::ALL)
            .border_type(if ctx.focused {
                BorderType::Thick
            } else {
                BorderType::Rounded
            })
            .border_style(ctx.theme.attention)
            .title(Line::from(vec![
                Span::styled(format!(" {PANE_NUMBER} "), ctx.theme.dim),
                Span::styled(format!("{title} "), ctx.theme.attention),
            ]))
    }

    fn scroll_to_selection(&mut self, visible: usize) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        if visible == 0 {
            return;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + visible {
            self.offset = self.selected + 1 - visible;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(visible));
    }

    /// The width of the `N Title` column: the longest one listed.
    fn title_width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| numbered_title(r.id).chars().count())
            .max()
            .unwrap_or(0)
    }
}

fn numbered_title(id: StepId) -> String {
    format!("{} {}", id.number(), id.short_title())
}

fn state_style(state: StepState, ctx: &PaneContext) -> Style {
    let theme = ctx.theme;
    match state {
        StepState::Pass => theme.ok,
        StepState::Warn => theme.warn,
        StepState::Fail => theme.error,
        StepState::Running => theme.info,
        StepState::Pending | StepState::Skipped => theme.dim,
    }
}

/// `✓ pass    1 Configuration  key sk-ant-…a1b2 from …`, and whether the
/// finding had to be cut (or left out) to fit.
fn row_line<'a>(
    row: &StepReport,
    title_width: usize,
    finding_width: Option<usize>,
    ctx: &PaneContext,
) -> (Line<'a>, bool) {
    let state = format!("{} {}", row.state.icon(), row.state.word());
    let mut spans = vec![
        Span::styled(
            format!("{state:<STATE_COLUMN$} "),
            state_style(row.state, ctx),
        ),
        Span::styled(
            format!("{:<title_width$}", numbered_title(row.id)),
            ctx.theme.base,
        ),
    ];
    let cut = match finding_width {
        _ if row.finding.is_empty() => false,
        Some(width) if width > 1 => {
            let (shown, cut) = fit(&row.finding, width);
            spans.push(Span::raw("  "));
            spans.push(Span::styled(shown, ctx.theme.base));
            cut
        }
        _ => true,
    };
    (Line::from(spans), cut)
}

/// `text` in at most `width` columns, ending in `…` when it was cut.
fn fit(text: &str, width: usize) -> (String, bool) {
    if Span::raw(text).width() <= width {
        return (text.to_owned(), false);
    }
    let mut shown = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w > width.saturating_sub(1) {
            break;
        }
        shown.push(c);
        used += w;
    }
    shown.push('…');
    (shown, true)
}

/// The selected step in full: its title, the finding when the row could
/// not show all of it, the fix, then the evidence.
fn detail_lines<'a>(row: &'a StepReport, finding_cut: bool, ctx: &PaneContext) -> Vec<Line<'a>> {
    let theme = ctx.theme;
    let mut lines = Vec::new();
    match row.state {
        StepState::Pending => {
            lines.push(Line::styled(
                format!("{}: not run yet.", row.id.title()),
                theme.dim,
            ));
            return lines;
        }
        StepState::Running => {
            lines.push(Line::styled(
                format!("{}: running…", row.id.title()),
                theme.info,
            ));
            return lines;
        }
        _ => {}
    }
    if finding_cut && !row.finding.is_empty() {
        lines.push(Line::styled(
            row.finding.as_str(),
            state_style(row.state, ctx),
        ));
    }
    if let Some(fix) = &row.fix {
        lines.push(Line::from(vec![
            Span::styled("Fix: ", theme.key_hint),
            Span::styled(fix.as_str(), theme.base),
        ]));
    }
    for evidence in &row.evidence {
        lines.push(Line::styled(evidence.as_str(), theme.dim));
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Modifier;

    use super::*;
    use crate::tui::theme::{ColorMode, Theme};

    fn report(id: StepId, state: StepState, finding: &str) -> StepReport {
        StepReport {
            id,
            state,
            finding: finding.into(),
            evidence: Vec::new(),
            fix: None,
            duration: Some(Duration::from_millis(5)),
        }
    }

    /// Configuration warns, Reachability fails (selected), Authentication
    /// was skipped: what a refused connection looks like.
    fn mixed() -> ChecklistPane {
        let mut pane = ChecklistPane::new();
        let mut config = report(
            StepId::Configuration,
            StepState::Warn,
            "the base URL uses plain http to gw.example.com",
        );
        config.fix = Some("Use https://.".into());
        pane.apply(config);
        let mut reach = report(
            StepId::Reachability,
            StepState::Fail,
            "connection refused at 127.0.0.1:9: nothing listens there",
        );
        reach.fix = Some(
            "Check the base URL's host and port, and that the gateway or proxy is running.".into(),
        );
        reach.evidence = vec![
            "GET http://127.0.0.1:9/api/hello → no answer after 1 ms: refused".into(),
            "refused: Nothing accepted the connection at that address and port.".into(),
        ];
        pane.apply(reach);
        pane.apply(report(
            StepId::Authentication,
            StepState::Skipped,
            "not checked: the server could not be reached (see Reachability)",
        ));
        select(&mut pane, StepId::Reachability);
        pane
    }

    /// Moves the selection down to `id`'s row.
    fn select(pane: &mut ChecklistPane, id: StepId) {
        let at = pane.reports().iter().position(|r| r.id == id).unwrap();
        for _ in 0..at {
            pane.on_action(Action::StepDown);
        }
        assert_eq!(pane.selected().unwrap().id, id);
    }

    fn draw(pane: &mut ChecklistPane, theme: &Theme, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let ctx = PaneContext {
            theme,
            focused: true,
            now: chrono::Utc
                .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
                .unwrap(),
        };
        terminal
            .draw(|frame| {
                let area = frame.area();
                pane.render(area, frame.buffer_mut(), &ctx)
            })
            .unwrap();
        terminal
    }

    fn text(terminal: &Terminal<TestBackend>) -> String {
        let buffer = terminal.backend().buffer();
        let area = buffer.area;
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn lists_exactly_the_implemented_steps_all_pending() {
        let mut pane = ChecklistPane::new();
        let ids: Vec<_> = pane.reports().iter().map(|r| r.id).collect();
        assert_eq!(ids, implemented());
        assert!(pane.reports().iter().all(|r| r.state == StepState::Pending));
        let terminal = draw(&mut pane, &Theme::default(), 54, 10);
        insta::assert_snapshot!("all_pending", terminal.backend());
    }

    #[test]
    fn running_steps() {
        let mut pane = ChecklistPane::new();
        for id in implemented() {
            pane.apply(StepReport::running(*id));
        }
        let terminal = draw(&mut pane, &Theme::default(), 54, 24);
        let shown = text(&terminal);
        assert_eq!(
            shown.matches("… running").count(),
            implemented().len(),
            "{shown}"
        );
        insta::assert_snapshot!("running", terminal.backend());
    }

    #[test]
    fn mixed_results_show_the_selected_steps_fix_and_evidence() {
        let mut pane = mixed();
        assert_eq!(pane.selected().unwrap().id, StepId::Reachability);
        let terminal = draw(&mut pane, &Theme::default(), 54, 14);
        let shown = text(&terminal);
        assert!(shown.contains("! warn"), "{shown}");
        assert!(shown.contains("✗ fail"), "{shown}");
        assert!(shown.contains("- skipped"), "{shown}");
        assert!(shown.contains("Fix: Check the base URL's"), "{shown}");
        insta::assert_snapshot!("mixed", terminal.backend());
        // Taller: the evidence follows the fix.
        let terminal = draw(&mut pane, &Theme::default(), 54, 20);
        assert!(text(&terminal).contains("refused: Nothing accepted"));
        insta::assert_snapshot!("mixed_tall", terminal.backend());
    }

    #[test]
    fn the_latest_failure_opens_the_pane_until_an_exchange_succeeds() {
        use crate::api::errors::{Failure, FailureKind};
        let mut failed = crate::test_support::exchange(7, "claude-sonnet-4-6", Some(400));
        failed.outcome = crate::exchange::Outcome::Failed(Failure {
            status: Some(400),
            ..Failure::transport(
                FailureKind::BadRequest,
                "temperature: Input should be less than or equal to 1",
            )
        });
        let mut pane = mixed();
        pane.set_latest(&failed);
        let diagnosis = diagnose(&failed);
        let terminal = draw(&mut pane, &Theme::default(), 54, 14);
        let shown = text(&terminal);
        let first = shown.lines().nth(1).unwrap();
        assert!(first.contains("✗ 400 bad-request: temperature"), "{shown}");
        assert!(shown.contains("  Fix: "), "{shown}");
        assert!(
            diagnosis.fix.starts_with("Set temperature"),
            "{}",
            diagnosis.fix
        );
        insta::assert_snapshot!("latest_failure", terminal.backend());
        // Short: the headline only; tiny: the steps only.
        let short = text(&draw(&mut pane, &Theme::default(), 54, 8));
        assert!(
            short.contains("✗ 400") && !short.contains("  Fix: "),
            "{short}"
        );
        let tiny = text(&draw(&mut pane, &Theme::default(), 54, 5));
        assert!(!tiny.contains("✗ 400"), "{tiny}");
        let ok = crate::test_support::exchange(8, "claude-sonnet-4-6", Some(200));
        pane.set_latest(&ok);
        assert!(!text(&draw(&mut pane, &Theme::default(), 54, 14)).contains("✗ 400"));
    }

    #[test]
    fn attention_counts_the_failures_in_the_attention_style() {
        let mut pane = mixed();
        pane.set_attention(true);
        let theme = Theme::default();
        let terminal = draw(&mut pane, &theme, 54, 10);
        let shown = text(&terminal);
        assert!(shown.contains("Checklist — 1 failing"), "{shown}");
        let corner = &terminal.backend().buffer()[(0, 0)];
        assert_eq!(corner.fg, theme.attention.fg.unwrap());
        insta::assert_snapshot!("attention", terminal.backend());
        pane.set_attention(false);
        let terminal = draw(&mut pane, &theme, 54, 10);
        assert!(!text(&terminal).contains("failing"));
    }

    #[test]
    fn no_color_reads_from_words_and_modifiers() {
        let mut pane = mixed();
        let theme = Theme::new(ColorMode::None);
        let terminal = draw(&mut pane, &theme, 54, 10);
        let buffer = terminal.backend().buffer();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                let cell = &buffer[(x, y)];
                assert_eq!(cell.fg, ratatui::style::Color::Reset, "colour at {x},{y}");
                assert_eq!(cell.bg, ratatui::style::Color::Reset, "colour at {x},{y}");
            }
        }
        // The selected row (Reachability, the third) is reversed.
        assert!(buffer[(3, 3)].modifier.contains(Modifier::REVERSED));
        // The warning's word is bold.
        assert!(buffer[(3, 1)].modifier.contains(Modifier::BOLD));
        insta::assert_snapshot!("no_color", terminal.backend());
    }

    #[test]
    fn a_small_pane_keeps_the_rows_and_moves_the_finding_below() {
        let mut pane = mixed();
        let terminal = draw(&mut pane, &Theme::default(), 36, 6);
        let shown = text(&terminal);
        assert!(shown.contains("✗ fail    3 Reachability"), "{shown}");
        assert!(shown.contains("connection refused"), "{shown}");
        insta::assert_snapshot!("small", terminal.backend());
    }

    #[test]
    fn never_panics_at_any_size() {
        let theme = Theme::default();
        for w in 0..60 {
            for h in 0..14 {
                let mut pane = mixed();
                pane.set_attention(w % 2 == 0);
                draw(&mut pane, &theme, w, h);
            }
        }
    }

    #[test]
    fn selection_moves_within_the_rows_and_scrolls() {
        let mut pane = ChecklistPane::new();
        assert_eq!(pane.on_action(Action::StepUp), None);
        assert_eq!(pane.selected().unwrap().id, StepId::Configuration);
        for _ in 0..implemented().len() + 2 {
            pane.on_action(Action::StepDown);
        }
        assert_eq!(pane.selected().unwrap().id, *implemented().last().unwrap());
        let mut pane = ChecklistPane::new();
        select(&mut pane, StepId::Authentication);
        // Two rows of room: the selected fourth row scrolls into view.
        let terminal = draw(&mut pane, &Theme::default(), 54, 4);
        let shown = text(&terminal);
        assert!(shown.contains("4 Authentication"), "{shown}");
        assert!(!shown.contains("1 Configuration"), "{shown}");
    }

    #[test]
    fn findings_are_cut_on_characters_with_an_ellipsis() {
        assert_eq!(fit("short", 10), ("short".to_owned(), false));
        assert_eq!(fit("connection refused", 8), ("connect…".to_owned(), true));
        assert_eq!(fit("ééééé", 3), ("éé…".to_owned(), true));
        assert_eq!(fit("日本語テキスト", 5), ("日本…".to_owned(), true));
        assert_eq!(fit("abc", 0), ("…".to_owned(), true));
    }

    #[test]
    fn run_checks_asks_for_every_implemented_step() {
        let mut pane = ChecklistPane::new();
        assert_eq!(
            pane.on_action(Action::RunChecks),
            Some(implemented().to_vec())
        );
        assert_eq!(pane.on_action(Action::Send), None);
    }

    #[test]
    fn reports_replace_their_row_and_unknown_steps_slot_in_order() {
        let mut pane = ChecklistPane::new();
        select(&mut pane, StepId::Reachability);
        pane.apply(report(StepId::Reachability, StepState::Pass, "ok"));
        assert_eq!(pane.reports().len(), implemented().len());
        assert_eq!(pane.selected().unwrap().finding, "ok");
        // A step outside the list (if this version leaves one out) slots
        // in at its place in the checklist order.
        if let Some(unknown) = StepId::ALL.iter().find(|id| !implemented().contains(id)) {
            pane.apply(report(*unknown, StepState::Pass, "extra"));
            let ids: Vec<_> = pane.reports().iter().map(|r| r.id).collect();
            let mut expected = implemented().to_vec();
            expected.push(*unknown);
            expected.sort();
            assert_eq!(ids, expected);
        }
        // The selection stays on the step it was on.
        assert_eq!(pane.selected().unwrap().id, StepId::Reachability);
        pane.apply(report(StepId::Configuration, StepState::Fail, "no key"));
        assert_eq!(pane.failing(), 1);
    }
}
