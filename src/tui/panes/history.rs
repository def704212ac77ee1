//! The history pane: every exchange of this session and of the store,
//! newest first.
//!
//! The list is virtual. This session's exchanges are held in memory (they
//! are few and change while they run); what the store held when the
//! session began is read page by page as the user scrolls, with a query
//! bounded by the session's start, so its offsets never shift while new
//! exchanges arrive. Only the rows on screen are drawn, so 100k entries
//! scroll as smoothly as ten.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, Utc};
use compact_str::CompactString;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::PaneContext;
use crate::api::errors::FailureKind;
use crate::exchange::{ExchangeId, ExchangeSummary, Source};
use crate::store::ListQuery;
use crate::tui::format::{compact, format_latency, thousands};
use crate::tui::keymap::Action;

/// Rows read from the store at a time.
pub const PAGE_SIZE: usize = 200;
/// Pages kept around the viewport; farther ones are dropped.
const PAGES_KEPT: usize = 16;

/// What the user typed after `/`, understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub status: Option<u16>,
    pub model: Option<String>,
    pub outcome: Option<String>,
    pub source: Option<Source>,
    pub client: Option<String>,
    pub text: Option<String>,
}

impl HistoryFilter {
    /// `429`, `status:429`, `model:claude-…`, `outcome:auth` or a bare
    /// outcome word (`rate-limited`) narrow by that column; anything else
    /// is searched as text in path, model, outcome, profile and id.
    pub fn parse(input: &str) -> HistoryFilter {
        let mut filter = HistoryFilter::default();
        let mut text = Vec::new();
        for word in input.split_whitespace() {
            if let Some(status) = word.strip_prefix("status:").and_then(|s| s.parse().ok()) {
                filter.status = Some(status);
            } else if let Some(model) = word.strip_prefix("model:") {
                filter.model = Some(model.to_string());
            } else if let Some(outcome) = word.strip_prefix("outcome:") {
                filter.outcome = Some(outcome.to_string());
            } else if let Some(source) = word.strip_prefix("source:").and_then(Source::from_slug) {
                filter.source = Some(source);
            } else if word == "tap" {
                filter.source = Some(Source::Tap);
            } else if let Some(client) = word.strip_prefix("client:") {
                filter.client = Some(client.to_string());
            } else if word.len() == 3 && word.parse::<u16>().is_ok_and(|s| s >= 100) {
                filter.status = word.parse().ok();
            } else if is_outcome(word) {
                filter.outcome = Some(word.to_string());
            } else {
                text.push(word);
            }
        }
        if !text.is_empty() {
            filter.text = Some(text.join(" "));
        }
        filter
    }

    pub fn is_empty(&self) -> bool {
        *self == HistoryFilter::default()
    }

    /// The store query for this filter, over exchanges before `before`.
    pub fn query(&self, before: DateTime<Utc>) -> ListQuery {
        ListQuery {
            limit: None,
            offset: 0,
            text: self.text.clone(),
            outcome: self.outcome.clone(),
            status: self.status,
            model: self.model.clone(),
            source: self.source,
            client: self.client.clone(),
            session: None,
            before: Some(before),
        }
    }

    /// The same test the store applies, for the rows held in memory.
    pub fn matches(&self, row: &Row) -> bool {
        let status_ok = self.status.is_none() || row.status == self.status;
        let model_ok = self.model.is_none() || row.model.as_deref() == self.model.as_deref();
        let outcome_ok = self.outcome.as_deref().is_none_or(|o| row.outcome == o);
        let source_ok = self.source.is_none_or(|s| row.source == s);
        let client_ok = self.client.as_deref().is_none_or(|c| {
            row.client
                .as_deref()
                .is_some_and(|label| label.to_lowercase().contains(&c.to_lowercase()))
        });
        let text_ok = self.text.as_deref().is_none_or(|text| {
            let text = text.to_lowercase();
            [
                Some(row.path.as_str()),
                row.model.as_deref(),
                Some(row.outcome.as_str()),
                Some(row.profile.as_str()),
                Some(row.id.as_str()),
                row.client.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|field| field.to_lowercase().contains(&text))
        });
        status_ok && model_ok && outcome_ok && source_ok && client_ok && text_ok
    }
}

fn is_outcome(word: &str) -> bool {
    matches!(word, "ok" | "cancelled" | "in-flight") || FailureKind::from_slug(word).is_some()
}

/// One row of the list: a finished exchange's summary, or a request still
/// on its way (which has no summary yet).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: ExchangeId,
    pub started_at: DateTime<Utc>,
    pub profile: CompactString,
    pub method: CompactString,
    pub path: CompactString,
    pub model: Option<CompactString>,
    pub status: Option<u16>,
    pub outcome: CompactString,
    pub total_ms: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub attempt: u32,
    pub source: Source,
    /// The sending program, for a tapped exchange.
    pub client: Option<CompactString>,
}

impl Row {
    pub fn from_summary(summary: ExchangeSummary) -> Row {
        Row {
            id: summary.id,
            started_at: summary.started_at,
            profile: summary.profile,
            method: summary.method,
            path: summary.path,
            model: summary.model,
            status: summary.status,
            outcome: summary.outcome,
            total_ms: Some(summary.total_ms),
            input_tokens: summary.input_tokens,
            output_tokens: summary.output_tokens,
            attempt: summary.attempt,
            source: summary.source,
            client: summary.client,
        }
    }
}

/// What the user asked to do with the selected exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryIntent {
    Show(ExchangeId),
    Replay(ExchangeId),
    LoadIntoComposer(ExchangeId),
    Diagnose(ExchangeId),
    CopyCurl(ExchangeId),
    Mark(ExchangeId),
    Compare(ExchangeId),
    /// The filter changed: count and list again.
    Refilter,
}

/// A page of the store's listing the pane needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    /// Answers for an older generation (an earlier filter) are dropped.
    pub generation: u64,
    pub page: usize,
    pub query: ListQuery,
}

#[derive(Debug)]
pub struct HistoryPane {
    /// This session's rows, oldest first.
    live: Vec<Row>,
    /// Indices into `live` that pass the filter, newest first.
    live_view: Vec<usize>,
    session_start: DateTime<Utc>,
    /// Matching rows in the store from before the session; `None` until
    /// counted.
    stored_total: Option<usize>,
    pages: BTreeMap<usize, Vec<Row>>,
    pending: BTreeSet<usize>,
    generation: u64,
    filter: HistoryFilter,
    /// The filter being typed, while the prompt is open.
    input: Option<String>,
    selected: usize,
    top: usize,
    /// Rows that fit, from the last render.
    height: usize,
    /// The list's area on screen, for mouse clicks.
    list_area: Rect,
    offset: FixedOffset,
    /// Why the store could not be read, shown in place of its rows.
    store_error: Option<String>,
    has_store: bool,
}

impl HistoryPane {
    /// `offset` is the local time zone the times are shown in.
    pub fn new(session_start: DateTime<Utc>, offset: FixedOffset) -> Self {
        HistoryPane {
            live: Vec::new(),
            live_view: Vec::new(),
            session_start,
            stored_total: None,
            pages: BTreeMap::new(),
            pending: BTreeSet::new(),
            generation: 0,
            filter: HistoryFilter::default(),
            input: None,
            selected: 0,
            top: 0,
            height: 10,
            list_area: Rect::default(),
            offset,
            store_error: None,
            has_store: true,
        }
    }

    /// A pane with no store behind it (nothing stored to count).
    pub fn without_store(mut self) -> Self {
        self.stored_total = Some(0);
        self.has_store = false;
        self
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn filter(&self) -> &HistoryFilter {
        &self.filter
    }

    /// The store query (unpaged) for the current filter.
    pub fn query(&self) -> ListQuery {
        self.filter.query(self.session_start)
    }

    /// A request left: it shows at the top as in flight.
    pub fn started(&mut self, row: Row) {
        self.upsert(row);
    }

    /// A request ended: its row becomes the summary.
    pub fn finished(&mut self, summary: ExchangeSummary) {
        self.upsert(Row::from_summary(summary));
    }

    fn upsert(&mut self, row: Row) {
        let follow_newest = self.selected == 0;
        let before = self.live_view.len();
        let kept = self.selected_row().map(|r| r.id.clone());
        match self.live.iter_mut().find(|r| r.id == row.id) {
            Some(existing) => *existing = row,
            None => self.live.push(row),
        }
        self.refresh_live_view();
        if !follow_newest {
            self.keep_selection(before, kept);
        }
        self.clamp();
    }

    /// Rows appear above the selection (new ones) or vanish (no longer
    /// matching the filter): the same exchange stays selected, so a key
    /// never acts on another one than the user chose.
    fn keep_selection(&mut self, live_before: usize, kept: Option<ExchangeId>) {
        if self.selected >= live_before {
            self.selected = self.selected - live_before + self.live_view.len();
        } else if let Some(i) =
            kept.and_then(|id| self.live_view.iter().position(|&i| self.live[i].id == id))
        {
            self.selected = i;
        }
    }

    /// Marks an in-flight row (`retrying`, `in-flight`).
    pub fn set_outcome(&mut self, id: &ExchangeId, outcome: &str) {
        if let Some(row) = self.live.iter_mut().find(|r| &r.id == id) {
            row.outcome = outcome.into();
        }
    }

    fn refresh_live_view(&mut self) {
        self.live_view = (0..self.live.len())
            .rev()
            .filter(|&i| self.filter.matches(&self.live[i]))
            .collect();
    }

    pub fn count_loaded(&mut self, generation: u64, total: usize) {
        if generation == self.generation {
            self.stored_total = Some(total);
            self.clamp();
        }
    }

    pub fn page_loaded(&mut self, generation: u64, page: usize, rows: Vec<ExchangeSummary>) {
        if generation != self.generation {
            return;
        }
        self.pending.remove(&page);
        self.pages
            .insert(page, rows.into_iter().map(Row::from_summary).collect());
        self.evict_far_pages();
    }

    pub fn store_failed(&mut self, message: String) {
        self.store_error = Some(message);
        self.stored_total = Some(0);
        self.pending.clear();
        self.clamp();
    }

    fn evict_far_pages(&mut self) {
        let here = self.stored_index(self.top).unwrap_or(0) / PAGE_SIZE;
        while self.pages.len() > PAGES_KEPT {
            let farthest = self
                .pages
                .keys()
                .copied()
                .max_by_key(|&p| p.abs_diff(here))
                .unwrap_or(0);
            self.pages.remove(&farthest);
        }
    }

    /// Every row the list holds under the current filter.
    pub fn len(&self) -> usize {
        self.live_view.len() + self.stored_total.unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn stored_index(&self, index: usize) -> Option<usize> {
        index.checked_sub(self.live_view.len())
    }

    /// The row at `index` (0 = newest), if it is at hand.
    pub fn row(&self, index: usize) -> Option<&Row> {
        match self.stored_index(index) {
            None => self.live_view.get(index).map(|&i| &self.live[i]),
            Some(stored) => self
                .pages
                .get(&(stored / PAGE_SIZE))
                .and_then(|page| page.get(stored % PAGE_SIZE)),
        }
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.row(self.selected)
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    /// The pages the viewport (and one page past it) needs that are neither
    /// held nor asked for. Marks them asked for.
    pub fn wanted_pages(&mut self) -> Vec<PageRequest> {
        let Some(total) = self.stored_total else {
            return Vec::new();
        };
        if total == 0 {
            return Vec::new();
        }
        let first = self.stored_index(self.top).unwrap_or(0);
        let last = self
            .stored_index(self.top + self.height.max(1) + PAGE_SIZE / 2)
            .unwrap_or(0)
            .min(total - 1);
        let mut wanted = Vec::new();
        for page in first / PAGE_SIZE..=last / PAGE_SIZE {
            if self.pages.contains_key(&page) || !self.pending.insert(page) {
                continue;
            }
            let mut query = self.query();
            query.limit = Some(PAGE_SIZE);
            query.offset = page * PAGE_SIZE;
            wanted.push(PageRequest {
                generation: self.generation,
                page,
                query,
            });
        }
        wanted
    }

    /// True while the filter prompt takes raw keys.
    pub fn input_active(&self) -> bool {
        self.input.is_some()
    }

    /// A key typed into the filter prompt. The filter applies as you type.
    pub fn on_input(&mut self, key: KeyEvent) -> Option<HistoryIntent> {
        let input = self.input.as_mut()?;
        match key.code {
            KeyCode::Esc => {
                self.input = None;
                return self.set_filter("");
            }
            KeyCode::Enter => {
                self.input = None;
                return None;
            }
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => input.clear(),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => input.push(c),
            _ => return None,
        }
        let text = input.clone();
        self.set_filter(&text)
    }

    /// Applies a filter; the store's rows are counted and read again.
    pub fn set_filter(&mut self, text: &str) -> Option<HistoryIntent> {
        let filter = HistoryFilter::parse(text);
        if filter == self.filter {
            return None;
        }
        self.filter = filter;
        self.generation += 1;
        self.pages.clear();
        self.pending.clear();
        self.stored_total = if self.store_error.is_some() || !self.has_store {
            Some(0)
        } else {
            None
        };
        self.refresh_live_view();
        self.selected = 0;
        self.top = 0;
        Some(HistoryIntent::Refilter)
    }

    pub fn on_action(&mut self, action: Action) -> Option<HistoryIntent> {
        let page = self.height.max(1);
        match action {
            Action::SelectDown => self.move_by(1),
            Action::SelectUp => self.move_by(-1),
            Action::SelectPageDown => self.move_by(page as i64),
            Action::SelectPageUp => self.move_by(-(page as i64)),
            Action::SelectFirst => self.select(0),
            Action::SelectLast => self.select(self.len().saturating_sub(1)),
            Action::Filter => {
                self.input = Some(self.filter_text());
            }
            _ => return self.intent(action),
        }
        None
    }

    fn intent(&self, action: Action) -> Option<HistoryIntent> {
        let row = self.selected_row()?;
        if row.total_ms.is_none() && action != Action::Show {
            // Still in flight: there is nothing to replay or copy yet.
            return None;
        }
        let id = row.id.clone();
        Some(match action {
            Action::Show => HistoryIntent::Show(id),
            Action::Replay => HistoryIntent::Replay(id),
            Action::LoadIntoComposer => HistoryIntent::LoadIntoComposer(id),
            Action::Diagnose => HistoryIntent::Diagnose(id),
            Action::CopyCurl => HistoryIntent::CopyCurl(id),
            Action::Mark => HistoryIntent::Mark(id),
            Action::Compare => HistoryIntent::Compare(id),
            _ => return None,
        })
    }

    fn filter_text(&self) -> String {
        let f = &self.filter;
        let mut words = Vec::new();
        if let Some(status) = f.status {
            words.push(format!("status:{status}"));
        }
        if let Some(model) = &f.model {
            words.push(format!("model:{model}"));
        }
        if let Some(outcome) = &f.outcome {
            words.push(format!("outcome:{outcome}"));
        }
        if let Some(source) = f.source {
            words.push(format!("source:{}", source.slug()));
        }
        if let Some(client) = &f.client {
            words.push(format!("client:{client}"));
        }
        if let Some(text) = &f.text {
            words.push(text.clone());
        }
        words.join(" ")
    }

    /// Mouse wheel.
    pub fn scroll_by(&mut self, rows: i64) {
        self.move_by(rows);
    }

    /// A click at screen row `y`: selects the row there. True when a row
    /// was hit.
    pub fn click(&mut self, x: u16, y: u16) -> bool {
        let area = self.list_area;
        if x < area.x || x >= area.right() || y < area.y || y >= area.bottom() {
            return false;
        }
        let index = self.top + usize::from(y - area.y);
        if index < self.len() {
            self.select(index);
            return true;
        }
        false
    }

    fn move_by(&mut self, delta: i64) {
        let target = (self.selected as i64 + delta).max(0) as usize;
        self.select(target);
    }

    fn select(&mut self, index: usize) {
        self.selected = index.min(self.len().saturating_sub(1));
        self.follow_selection();
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.len().saturating_sub(1));
        self.follow_selection();
    }

    fn follow_selection(&mut self) {
        let height = self.height.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + height {
            self.top = self.selected + 1 - height;
        }
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        let title = self.title();
        let block = ctx.block(3, &title);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let footer = self.footer(ctx);
        let list_height = inner.height.saturating_sub(u16::from(footer.is_some()));
        let list = Rect {
            height: list_height,
            ..inner
        };
        self.list_area = list;
        self.height = usize::from(list_height);
        self.follow_selection();
        if let Some(footer) = footer {
            let y = inner.bottom() - 1;
            Paragraph::new(footer).render(Rect::new(inner.x, y, inner.width, 1), buf);
        }
        if self.is_empty() {
            Paragraph::new(self.empty_message(ctx)).render(list, buf);
            return;
        }
        let columns = Columns::fit(list.width);
        for offset in 0..usize::from(list_height) {
            let index = self.top + offset;
            if index >= self.len() {
                break;
            }
            let y = list.y + offset as u16;
            let line_area = Rect::new(list.x, y, list.width, 1);
            let selected = index == self.selected;
            let line = match self.row(index) {
                Some(row) => columns.line(row, self.offset, ctx),
                None => Line::styled("  … loading", ctx.theme.dim),
            };
            let style = if selected && ctx.focused {
                ctx.theme.selected
            } else if selected {
                Style::new().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                Style::new()
            };
            buf.set_style(line_area, style);
            Paragraph::new(line).style(style).render(line_area, buf);
        }
    }

    fn title(&self) -> String {
        let count = match self.stored_total {
            Some(_) => thousands(self.len() as u64),
            None => format!("{}+", thousands(self.live_view.len() as u64)),
        };
        if self.filter.is_empty() {
            format!("History ({count})")
        } else {
            format!("History ({count} matching)")
        }
    }

    fn footer(&self, ctx: &PaneContext) -> Option<Line<'static>> {
        if let Some(input) = &self.input {
            return Some(Line::from(vec![
                Span::styled("/", ctx.theme.key_hint),
                Span::raw(input.clone()),
                Span::styled("▏", ctx.theme.accent),
                Span::styled("  Enter keep · Esc clear", ctx.theme.dim),
            ]));
        }
        if let Some(error) = &self.store_error {
            return Some(Line::styled(format!("store: {error}"), ctx.theme.error));
        }
        if !self.filter.is_empty() {
            return Some(Line::from(vec![
                Span::styled("filter: ", ctx.theme.dim),
                Span::raw(self.filter_text()),
            ]));
        }
        None
    }

    fn empty_message(&self, ctx: &PaneContext) -> Vec<Line<'static>> {
        if self.stored_total.is_none() {
            return vec![Line::styled("reading the history…", ctx.theme.dim)];
        }
        if !self.filter.is_empty() {
            return vec![Line::styled(
                "nothing matches the filter — Esc in the prompt clears it",
                ctx.theme.dim,
            )];
        }
        vec![
            Line::styled("no exchanges yet", ctx.theme.dim),
            Line::styled(
                "every request you send appears here, newest first",
                ctx.theme.dim,
            ),
        ]
    }
}

/// Which columns fit in a width, most useful first.
#[derive(Debug, Clone, Copy)]
struct Columns {
    outcome: bool,
    latency: bool,
    model: bool,
    tokens: bool,
    path: bool,
}

const TIME_W: u16 = 8;
const STATUS_W: u16 = 3;
const OUTCOME_W: u16 = 12;
const LATENCY_W: u16 = 7;
const MODEL_W: u16 = 17;
const TOKENS_W: u16 = 11;

impl Columns {
    fn fit(width: u16) -> Columns {
        let mut used = TIME_W + 1 + STATUS_W;
        let mut take = |w: u16| {
            if used + 1 + w <= width {
                used += 1 + w;
                true
            } else {
                false
            }
        };
        let outcome = take(OUTCOME_W);
        let latency = take(LATENCY_W);
        let model = take(MODEL_W);
        let tokens = take(TOKENS_W);
        let path = take(8);
        Columns {
            outcome,
            latency,
            model,
            tokens,
            path,
        }
    }

    fn line(&self, row: &Row, offset: FixedOffset, ctx: &PaneContext) -> Line<'static> {
        let theme = ctx.theme;
        let mut spans = Vec::with_capacity(12);
        let time = row.started_at.with_timezone(&offset).format("%H:%M:%S");
        // What another program sent (the tap, the recording mock) stands
        // apart from one's own.
        let time_style = match row.source {
            Source::Tap | Source::Mock => theme.accent,
            Source::Claudetui => theme.dim,
        };
        spans.push(Span::styled(time.to_string(), time_style));
        spans.push(Span::raw(" "));
        let in_flight = row.total_ms.is_none();
        let status = match row.status {
            Some(s) => s.to_string(),
            None if in_flight => "…".to_string(),
            None => "---".to_string(),
        };
        let status_style = if in_flight {
            theme.info
        } else {
            theme.status(row.status)
        };
        spans.push(Span::styled(pad(&status, STATUS_W), status_style));
        if self.outcome {
            let outcome = if row.attempt > 1 {
                format!("{} #{}", row.outcome, row.attempt)
            } else {
                row.outcome.to_string()
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                pad(&outcome, OUTCOME_W),
                theme.outcome(&row.outcome),
            ));
        }
        if self.latency {
            let latency = row.total_ms.map_or(String::new(), format_latency);
            spans.push(Span::raw(" "));
            spans.push(Span::raw(pad_left(&latency, LATENCY_W)));
        }
        if self.model {
            spans.push(Span::raw(" "));
            spans.push(Span::raw(pad(row.model.as_deref().unwrap_or("—"), MODEL_W)));
        }
        if self.tokens {
            let tokens = match (row.input_tokens, row.output_tokens) {
                (Some(i), Some(o)) => format!("{}→{}", compact(i), compact(o)),
                _ => String::new(),
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(pad_left(&tokens, TOKENS_W), theme.dim));
        }
        if self.path {
            spans.push(Span::raw(" "));
            // A tapped exchange says which program sent it.
            if let Some(client) = &row.client {
                spans.push(Span::styled(format!("{client} "), theme.accent));
            }
            spans.push(Span::styled(
                format!("{} {}", row.method, row.path),
                theme.dim,
            ));
        }
        Line::from(spans)
    }
}

/// Pads or cuts `text` to `width` columns (with an ellipsis when cut).
fn pad(text: &str, width: u16) -> String {
    let width = usize::from(width);
    let count = text.chars().count();
    if count > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text:<width$}")
    }
}

fn pad_left(text: &str, width: u16) -> String {
    let width = usize::from(width);
    format!("{text:>width$}")
}

#[cfg(test)]
mod tests;
