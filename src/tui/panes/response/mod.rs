//! The response viewer: one exchange on six tabs — Body, Headers, Stream
//! (the event timeline), Timing (bars), Raw and curl — scrollable,
//! searchable with `/`, long lines wrapped.
//!
//! It shows either a finished exchange ([`ResponsePane::show`]) or one in
//! flight ([`ResponsePane::begin`], then headers and stream deltas as they
//! arrive, then [`ResponsePane::finish`]). Each tab's text is built once
//! into a [`document::Document`] (lazily, the first time the tab is drawn);
//! drawing only touches the rows on screen (see [`layout`] for how the
//! scroll position is kept), so a megabyte body draws as fast as a small
//! one.

mod content;
mod document;
mod layout;
mod live;
mod render;
mod search;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::PaneContext;
use crate::api::sse::StreamEvent;
use crate::api::types::Header;
use crate::exchange::{Exchange, ExchangeId, RecordedRequest};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use document::Document;
use layout::{Position, Wrapper, text_width};
use live::{Live, Shown};
use search::{Match, Search};

/// The tabs, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Body,
    Headers,
    Stream,
    Timing,
    Raw,
    Curl,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Body,
        Tab::Headers,
        Tab::Stream,
        Tab::Timing,
        Tab::Raw,
        Tab::Curl,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Body => "Body",
            Tab::Headers => "Headers",
            Tab::Stream => "Stream",
            Tab::Timing => "Timing",
            Tab::Raw => "Raw",
            Tab::Curl => "curl",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or_default()
    }

    fn offset(self, by: isize) -> Tab {
        let len = Tab::ALL.len() as isize;
        let index = (self.index() as isize + by).rem_euclid(len) as usize;
        Tab::ALL.get(index).copied().unwrap_or_default()
    }
}

/// What the pane shows.
#[derive(Debug)]
enum View {
    /// Nothing sent or selected yet: how to get started.
    Empty(Document),
    Live(Box<Live>),
    Stored(Box<Stored>),
}

#[derive(Debug)]
struct Stored {
    exchange: Exchange,
    docs: [Option<Document>; 6],
    /// The width the timing bars were drawn for.
    timing_width: usize,
}

impl Stored {
    fn document(&mut self, tab: Tab, width: usize) -> &Document {
        if tab == Tab::Timing && self.timing_width != width {
            self.timing_width = width;
            self.docs[Tab::Timing.index()] = None;
        }
        let exchange = &self.exchange;
        self.docs[tab.index()].get_or_insert_with(|| match tab {
            Tab::Body => content::body(exchange),
            Tab::Headers => content::headers(exchange),
            Tab::Stream => content::stream(exchange),
            Tab::Timing => content::timing(exchange, width),
            Tab::Raw => content::raw(exchange),
            Tab::Curl => content::curl(exchange),
        })
    }
}

impl View {
    fn document(&mut self, tab: Tab, width: usize, now: DateTime<Utc>) -> Shown<'_> {
        match self {
            View::Empty(doc) => Shown::Kept(doc),
            View::Live(live) => live.document(tab, width, now),
            View::Stored(stored) => Shown::Kept(stored.document(tab, width)),
        }
    }
}

/// Where one tab is scrolled to.
#[derive(Debug, Clone, Copy, Default)]
struct TabView {
    top: Position,
    /// Keep the end in view as the document grows (set by reaching the
    /// bottom, cleared by scrolling up).
    follow: bool,
}

/// The geometry and time of the last frame, for keys handled between
/// frames (a page is the height last drawn).
#[derive(Debug, Clone, Copy)]
struct Frame {
    width: usize,
    height: usize,
    now: DateTime<Utc>,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            width: 80,
            height: 20,
            now: DateTime::UNIX_EPOCH,
        }
    }
}

#[derive(Debug)]
pub struct ResponsePane {
    view: View,
    tab: Tab,
    tabs: [TabView; 6],
    /// Columns scrolled right with wrapping off (to show a search match).
    hcol: usize,
    wrap: bool,
    wrapper: Wrapper,
    search: Search,
    long_lines: render::LongLines,
    frame: Frame,
    /// A one-off hint for the bottom line, cleared by the next key.
    notice: Option<&'static str>,
}

impl Default for ResponsePane {
    fn default() -> Self {
        ResponsePane {
            view: View::Empty(content::empty()),
            tab: Tab::Body,
            tabs: [TabView::default(); 6],
            hcol: 0,
            wrap: true,
            wrapper: Wrapper::default(),
            search: Search::default(),
            long_lines: render::LongLines::default(),
            frame: Frame::default(),
            notice: None,
        }
    }
}

/// The longest search query accepted (a pasted page is not a query).
const MAX_QUERY: usize = 256;

impl ResponsePane {
    pub fn new() -> Self {
        ResponsePane::default()
    }

    /// Show a finished (or stored) exchange. Showing the exchange already
    /// on screen again keeps the scroll positions.
    pub fn show(&mut self, exchange: &Exchange) {
        let same = self.shown() == Some(&exchange.id);
        let mut stored = Stored {
            exchange: exchange.clone(),
            docs: Default::default(),
            timing_width: 0,
        };
        // The tab on screen is built now, so the next frame only draws;
        // the others wait until they are opened.
        stored.document(self.tab, self.frame.width);
        self.view = View::Stored(Box::new(stored));
        if !same {
            self.reset_scroll();
        }
    }

    /// Follow a request that has just been sent: Body shows the wait,
    /// then the text as it streams in; Stream the events as they come.
    pub fn begin(&mut self, id: &ExchangeId, request: &RecordedRequest, at: DateTime<Utc>) {
        self.begin_from(id, request, at, None);
    }

    /// [`Self::begin`] for what the tap saw `client` send.
    pub fn begin_from(
        &mut self,
        id: &ExchangeId,
        request: &RecordedRequest,
        at: DateTime<Utc>,
        client: Option<String>,
    ) {
        let mut live = Live::new(id, request, at);
        live.tapped_from = client;
        self.view = View::Live(Box::new(live));
        self.reset_scroll();
        for tab in [Tab::Body, Tab::Stream] {
            self.tabs[tab.index()].follow = true;
        }
        if !matches!(self.tab, Tab::Body | Tab::Stream) {
            self.tab = Tab::Body;
        }
    }

    /// The response headers of the followed request arrived.
    pub fn on_headers(&mut self, id: &ExchangeId, status: u16, headers: &[Header]) {
        if let Some(live) = self.live_for(id) {
            live.on_headers(status, headers);
        }
    }

    /// One stream event of the followed request, `at_ms` after it started.
    pub fn on_delta(&mut self, id: &ExchangeId, at_ms: f64, event: &StreamEvent) {
        if let Some(live) = self.live_for(id) {
            live.on_delta(at_ms, event);
        }
    }

    /// The exchange being followed has ended: show it whole (if it is still
    /// the one on screen), keeping each tab's scroll position.
    pub fn finish(&mut self, exchange: &Exchange) {
        if self.shown() == Some(&exchange.id) {
            self.show(exchange);
            // A failure's explanation and fix sit at the top of the body;
            // the live view's scroll position means nothing for them.
            if exchange.outcome.failure().is_some() {
                self.reset_scroll();
            }
        }
    }

    pub fn shown(&self) -> Option<&ExchangeId> {
        match &self.view {
            View::Empty(_) => None,
            View::Live(live) => Some(&live.id),
            View::Stored(stored) => Some(&stored.exchange.id),
        }
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn select_tab(&mut self, tab: Tab) {
        if tab != self.tab {
            self.tab = tab;
            self.hcol = 0;
        }
    }

    pub fn on_action(&mut self, action: Action) {
        self.notice = None;
        let page = self.frame.height.saturating_sub(1).max(1) as i32;
        match action {
            Action::NextTab => self.select_tab(self.tab.offset(1)),
            Action::PrevTab => self.select_tab(self.tab.offset(-1)),
            Action::ScrollDown => self.scroll_by(1),
            Action::ScrollUp => self.scroll_by(-1),
            Action::PageDown => self.scroll_by(page),
            Action::PageUp => self.scroll_by(-page),
            Action::Top => {
                self.tabs[self.tab.index()] = TabView::default();
                self.hcol = 0;
            }
            Action::Bottom => self.tabs[self.tab.index()].follow = true,
            Action::ToggleWrap => {
                self.wrap = !self.wrap;
                self.hcol = 0;
                for tab in &mut self.tabs {
                    tab.top.row = 0;
                }
            }
            Action::Search => self.search.prompt = Some(String::new()),
            Action::NextMatch => self.step_match(1),
            Action::PrevMatch => self.step_match(-1),
            _ => {}
        }
    }

    /// True while the search prompt takes raw keys.
    pub fn input_active(&self) -> bool {
        self.search.prompt.is_some()
    }

    /// A key for the search prompt: text, Backspace, Ctrl-U (clear),
    /// Enter (search and jump to the first match), Esc (close).
    pub fn on_input(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let Some(prompt) = self.search.prompt.as_mut() else {
            return;
        };
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.search.prompt = None,
            KeyCode::Enter => {
                let query = std::mem::take(prompt);
                self.search.prompt = None;
                self.confirm_search(query);
            }
            KeyCode::Backspace => {
                prompt.pop();
            }
            KeyCode::Char('u') if control => prompt.clear(),
            KeyCode::Char(c)
                if !control
                    && !key.modifiers.contains(KeyModifiers::ALT)
                    && prompt.chars().count() < MAX_QUERY =>
            {
                prompt.push(c)
            }
            _ => {}
        }
    }

    /// Scrolls by `lines` screen rows (negative: up), e.g. for the wheel.
    pub fn scroll_by(&mut self, lines: i32) {
        let Frame { width, height, now } = self.frame;
        let doc = self.view.document(self.tab, width, now);
        self.wrapper.sync(&doc, width, self.wrap);
        let state = &mut self.tabs[self.tab.index()];
        let from = if state.follow {
            self.wrapper.bottom(&doc, height)
        } else {
            self.wrapper.clamp(&doc, state.top, height)
        };
        let steps = lines.unsigned_abs() as usize;
        let to = if lines >= 0 {
            self.wrapper.down(&doc, from, steps)
        } else {
            self.wrapper.up(&doc, from, steps)
        };
        state.top = self.wrapper.clamp(&doc, to, height);
        state.follow = lines >= 0 && state.top >= self.wrapper.bottom(&doc, height);
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        let inner = Block::default().borders(Borders::ALL).inner(area);
        let prompt_row = (self.search.prompt.is_some() && inner.height >= 2).then(|| Rect {
            y: inner.bottom() - 1,
            height: 1,
            ..inner
        });
        let content = Rect {
            height: inner.height - u16::from(prompt_row.is_some()),
            ..inner
        };
        self.frame = Frame {
            width: usize::from(content.width).max(1),
            height: usize::from(content.height).max(1),
            now: ctx.now,
        };
        let (top, total) = self.draw_content(content, buf, ctx.theme);
        if let Some(row) = prompt_row {
            self.draw_prompt(row, buf, ctx.theme);
        }
        self.block(area.width, ctx, top, total).render(area, buf);
    }

    fn live_for(&mut self, id: &ExchangeId) -> Option<&mut Live> {
        match &mut self.view {
            View::Live(live) if live.id == *id => Some(live),
            _ => None,
        }
    }

    fn reset_scroll(&mut self) {
        self.tabs = [TabView::default(); 6];
        self.hcol = 0;
        self.search.current = None;
    }

    /// Draws the visible rows; returns the top line and the line count.
    fn draw_content(&mut self, area: Rect, buf: &mut Buffer, theme: &Theme) -> (usize, usize) {
        if area.is_empty() {
            return (0, 0);
        }
        let Frame { width, height, now } = self.frame;
        let doc = self.view.document(self.tab, width, now);
        self.wrapper.sync(&doc, width, self.wrap);
        self.search.refresh(&doc);
        let state = &mut self.tabs[self.tab.index()];
        state.top = if state.follow {
            self.wrapper.bottom(&doc, height)
        } else {
            self.wrapper.clamp(&doc, state.top, height)
        };
        let hcol = if self.wrap { 0 } else { self.hcol };
        let rows = self.wrapper.visible(&doc, state.top, height, hcol);
        let mut scratch = Vec::new();
        let mut styled_line = None;
        for (y, row) in (area.y..).zip(&rows) {
            let Some((text, _)) = doc.line(row.line) else {
                continue;
            };
            // Rows of one line are consecutive: colour the line once.
            if styled_line != Some(row.line) {
                styled_line = Some(row.line);
                self.long_lines.prepare(&doc, row.line, &mut scratch, theme);
            }
            let base = self.long_lines.get(&doc, row.line, &scratch);
            let marks = marks(&self.search, row.line, &row.bytes, theme);
            let pieces = render::overlay(base, &row.bytes, &marks);
            render::draw_row(buf, (area.x, y, area.width), text, &pieces, row.cut, theme);
        }
        (state.top.line, doc.len())
    }

    fn confirm_search(&mut self, query: String) {
        let Frame { width, now, .. } = self.frame;
        let doc = self.view.document(self.tab, width, now);
        self.search.set_query(query, &doc);
        drop(doc);
        let top = self.tabs[self.tab.index()].top.line;
        if let Some(first) = self.search.first_from(top) {
            self.search.current = Some(first);
            self.reveal_current();
        }
    }

    fn step_match(&mut self, step: isize) {
        if !self.search.is_active() {
            self.notice = Some("press / to search");
            return;
        }
        let Frame { width, now, .. } = self.frame;
        let doc = self.view.document(self.tab, width, now);
        self.search.refresh(&doc);
        drop(doc);
        let top = self.tabs[self.tab.index()].top.line;
        if let Some(next) = self.search.step(step, top) {
            self.search.current = Some(next);
            self.reveal_current();
        }
    }

    /// Scrolls so the current match is on screen (a little below the top
    /// when it was not), and right far enough with wrapping off.
    fn reveal_current(&mut self) {
        let Some(m) = self
            .search
            .current
            .and_then(|i| self.search.matches.get(i))
            .copied()
        else {
            return;
        };
        let Frame { width, height, now } = self.frame;
        let doc = self.view.document(self.tab, width, now);
        if !self.wrap {
            self.hcol = reveal_column(&doc, m, width, self.hcol);
        }
        self.wrapper.sync(&doc, width, self.wrap);
        let state = &mut self.tabs[self.tab.index()];
        state.follow = false;
        let top = self.wrapper.clamp(&doc, state.top, height);
        let hcol = if self.wrap { 0 } else { self.hcol };
        let on_screen = self
            .wrapper
            .visible(&doc, top, height, hcol)
            .iter()
            .any(|r| {
                r.line == m.line
                    && r.bytes.start <= m.start
                    && m.start < r.bytes.end.max(r.bytes.start + 1)
            });
        state.top = if on_screen {
            top
        } else {
            let at = self.wrapper.position_of(&doc, m.line, m.start);
            let context = (height / 3).min(2);
            let above = self.wrapper.up(&doc, at, context);
            self.wrapper.clamp(&doc, above, height)
        };
    }

    fn draw_prompt(&self, row: Rect, buf: &mut Buffer, theme: &Theme) {
        let typed = self.search.prompt.as_deref().unwrap_or_default();
        let hint = "  Enter search · Esc close";
        let room = usize::from(row.width).saturating_sub(2);
        // Show the end of a long query: that is where the typing is.
        let mut shown = typed;
        while text_width(shown) > room {
            let mut chars = shown.chars();
            chars.next();
            shown = chars.as_str();
        }
        let mut spans = vec![
            Span::styled("/", theme.key_hint),
            Span::styled(shown, theme.base),
            Span::styled(" ", theme.base.add_modifier(Modifier::REVERSED)),
        ];
        if text_width(shown) + 2 + hint.len() <= usize::from(row.width) {
            spans.push(Span::styled(hint, theme.dim));
        }
        Line::from(spans).render(row, buf);
    }

    /// The frame: tabs on top; the outcome, the search state or the id,
    /// and the position at the bottom. What does not fit is left out,
    /// least useful first.
    fn block<'a>(&self, width: u16, ctx: &PaneContext<'a>, top: usize, total: usize) -> Block<'a> {
        let theme = ctx.theme;
        let avail = usize::from(width).saturating_sub(2);
        // ` 2 Response ` is what `ctx.block` puts first.
        let used = 12;
        let mut block = ctx.block(2, "Response");
        let tabs = [TabStyle::Full, TabStyle::Compact, TabStyle::Current]
            .into_iter()
            .map(|style| self.tabs_line(style, theme))
            .find(|tabs| used + tabs.width() <= avail);
        if let Some(tabs) = tabs {
            block = block.title(tabs);
        }
        let status = self.status_line(theme, ctx.now);
        let mut position = self.position_line(theme, top, total);
        let mut room = avail;
        if status.width() + 1 + position.width() > room {
            position = Line::default();
        }
        room = room.saturating_sub(position.width() + 1);
        if status.width() > 0 && status.width() <= room {
            room = room.saturating_sub(status.width() + 1);
            block = block.title_bottom(status);
        }
        block
            .title_bottom(self.bottom_left(theme, room))
            .title_bottom(position.right_aligned())
    }

    fn tabs_line(&self, style: TabStyle, theme: &Theme) -> Line<'static> {
        let current = theme.selected;
        if style == TabStyle::Current {
            return Line::from(vec![
                Span::raw(" "),
                Span::styled(self.tab.label(), current),
                Span::styled(format!(" {}/6 ", self.tab.index() + 1), theme.dim),
            ]);
        }
        let separator = if style == TabStyle::Full {
            " │ "
        } else {
            "│"
        };
        let mut spans = vec![Span::raw(" ")];
        for (i, tab) in Tab::ALL.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(separator, theme.border));
            }
            let style = if *tab == self.tab { current } else { theme.dim };
            spans.push(Span::styled(tab.label(), style));
        }
        spans.push(Span::raw(" "));
        Line::from(spans)
    }

    /// ` 200 ok · 1834 ms `, ` ● waiting 1.2 s `, ` dns · 31 ms `.
    fn status_line(&self, theme: &Theme, now: DateTime<Utc>) -> Line<'static> {
        match &self.view {
            View::Empty(_) => Line::default(),
            View::Live(live) => {
                let elapsed = content::fmt_elapsed(live.elapsed_ms(now));
                let mut spans = vec![Span::styled(" ● ", theme.info)];
                match live.status {
                    Some(status) => {
                        spans.push(Span::styled(status.to_string(), theme.status(Some(status))));
                        spans.push(Span::styled(" receiving ", theme.info));
                    }
                    None => spans.push(Span::styled("waiting ", theme.info)),
                }
                spans.push(Span::styled(format!("{elapsed} "), theme.dim));
                Line::from(spans)
            }
            View::Stored(stored) => {
                let ex = &stored.exchange;
                let slug = ex.outcome.slug();
                let mut spans = vec![Span::raw(" ")];
                if let Some(status) = ex.status() {
                    spans.push(Span::styled(
                        format!("{status} "),
                        theme.status(Some(status)),
                    ));
                }
                spans.push(Span::styled(slug, theme.outcome(slug)));
                spans.push(Span::styled(
                    format!(" · {} ", content::fmt_ms(ex.timing.total_ms)),
                    theme.dim,
                ));
                Line::from(spans)
            }
        }
    }

    /// ` 45/120 ` (the top line of the view, of all lines) and the modes.
    fn position_line(&self, theme: &Theme, top: usize, total: usize) -> Line<'static> {
        if total == 0 || matches!(self.view, View::Empty(_)) {
            return Line::default();
        }
        let mut text = format!(" {}/{total} ", top + 1);
        if !self.wrap {
            text = format!(" nowrap{}", text);
        }
        if self.hcol > 0 && !self.wrap {
            text = format!(" col {}+{text}", self.hcol + 1);
        }
        Line::from(Span::styled(text, theme.dim))
    }

    /// The search state, a notice, or the exchange id, in `room` columns.
    fn bottom_left(&self, theme: &Theme, room: usize) -> Line<'static> {
        if self.search.prompt.is_some() {
            return Line::default();
        }
        let query = |budget: usize| quoted(&self.search.query, budget);
        let (text, style) = if let Some(notice) = self.notice {
            (format!(" {notice} "), theme.dim)
        } else if self.search.is_active() {
            let total = self.search.matches.len();
            match (total, self.search.current) {
                (0, _) => {
                    let text = format!(" no match for {} ", query(room.saturating_sub(15)));
                    (text, theme.warn)
                }
                (_, Some(i)) => {
                    let head = format!(" match {}/{total} ", i + 1);
                    let q = query(room.saturating_sub(head.len() + 1));
                    (format!("{head}{q} "), theme.accent)
                }
                (_, None) => {
                    let head = format!(" {total} matches ");
                    let q = query(room.saturating_sub(head.len() + 7));
                    (format!("{head}{q} · n/N "), theme.accent)
                }
            }
        } else {
            match self.shown() {
                Some(id) => (format!(" {id} "), theme.dim),
                None => (String::new(), theme.dim),
            }
        };
        if text_width(&text) > room {
            return Line::default();
        }
        Line::from(Span::styled(text, style))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TabStyle {
    /// `Body │ Headers │ Stream │ Timing │ Raw │ curl`
    Full,
    /// `Body│Headers│Stream│Timing│Raw│curl`
    Compact,
    /// `Body 1/6`
    Current,
}

/// The search matches on `line` that touch `bytes`, styled.
fn marks(
    search: &Search,
    line: usize,
    bytes: &std::ops::Range<usize>,
    theme: &Theme,
) -> Vec<render::Piece> {
    let (first, matches) = search.on_line(line);
    let from = matches.partition_point(|m| m.end <= bytes.start);
    let current = theme
        .search_match
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    matches
        .iter()
        .enumerate()
        .skip(from)
        .take_while(|(_, m)| m.start < bytes.end)
        .map(|(i, m)| {
            let style = if search.current == Some(first + i) {
                current
            } else {
                theme.search_match
            };
            (m.start..m.end, style)
        })
        .collect()
}

/// `“query”`, shortened with `…` to fit `budget` columns.
fn quoted(query: &str, budget: usize) -> String {
    if text_width(query) + 2 <= budget {
        return format!("“{query}”");
    }
    let mut out = String::from("“");
    let mut used = 2;
    for c in query.chars() {
        let w = layout::char_width(c);
        if used + w + 1 > budget {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str("…”");
    out
}

/// The horizontal offset that shows match `m` with wrapping off: kept when
/// the match is already in view, else the match a third of the way in.
fn reveal_column(doc: &Document, m: Match, width: usize, hcol: usize) -> usize {
    let Some((text, _)) = doc.line(m.line) else {
        return 0;
    };
    let start = text.get(..m.start).map_or(0, text_width);
    let end = start + text.get(m.start..m.end).map_or(0, text_width);
    // The last column is kept for the "more" mark.
    let room = width.saturating_sub(1);
    if start >= hcol && end <= hcol + room {
        hcol
    } else if end <= room {
        0
    } else {
        start.saturating_sub(room / 3)
    }
}
