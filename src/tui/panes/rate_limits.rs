//! The rate-limits pane: the headroom the last response reported, when each
//! window resets, where the current pace leads, the last 429 and how fast
//! responses come back.
//!
//! Decisions a reader should know:
//! - The gauges show the latest response's headers. When the latest
//!   response carried none (a gateway stripped them), the pane first says
//!   "unknown (the server sent no rate-limit headers)" and then shows the
//!   last known values dimmed under "last known, from a response … ago", so
//!   they are never mistaken for the current state. No forecast is shown
//!   then: there is no current value to forecast from.
//! - A window whose reset time has passed says "reset" (never a negative
//!   countdown) and is dimmed: its numbers are from before the refill.
//! - Headroom is never overstated: percentages and compact numbers (`95.9k`)
//!   are rounded down.
//! - The forecast reads the `remaining` values the server reported, which
//!   already net out the continuous refill; token usage counted locally
//!   would not. A series is the run of snapshots since the last refill (the
//!   previous snapshot's reset had passed, or the limit changed).
//! - Latency samples are the total time of exchanges that got a response;
//!   transport failures and cancelled exchanges would skew the percentiles.

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::PaneContext;
use crate::api::ratelimit::{LimitWindow, RateLimitSnapshot};
use crate::exchange::{Exchange, Outcome};
use crate::tui::format::{
    break_word, compact, format_countdown, format_elapsed, format_latency, text_width, thousands,
};
use crate::tui::keymap::Action;
use crate::tui::theme::{Level, Theme};

/// How many snapshots and latency samples are kept (a ring each).
const HISTORY: usize = 120;
/// The label column of every row (`requests`, `prio out`, `latency`).
const LABEL_WIDTH: usize = 8;
/// A bar narrower than this says nothing; the row drops it instead.
const MIN_BAR: usize = 4;
/// A wider bar adds no precision, only distance to the numbers.
const MAX_BAR: usize = 40;

const EMPTY_TEXT: &str = "no response yet — send a request to see your headroom";
const UNKNOWN_TEXT: &str = "unknown (the server sent no rate-limit headers)";
const STRIPPED_HINT: &str = "a gateway or proxy may have stripped them";

/// One rate-limit header family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Requests,
    Tokens,
    InputTokens,
    OutputTokens,
    PriorityInputTokens,
    PriorityOutputTokens,
}

impl Family {
    /// Always shown (as "not sent" when a response lacks one).
    const MAIN: [Family; 4] = [
        Family::Requests,
        Family::Tokens,
        Family::InputTokens,
        Family::OutputTokens,
    ];
    /// Shown only when the server sent them (priority tier).
    const PRIORITY: [Family; 2] = [Family::PriorityInputTokens, Family::PriorityOutputTokens];
    /// The forecast's candidates, in the order ties are broken.
    const FORECAST: [Family; 4] = [
        Family::Tokens,
        Family::InputTokens,
        Family::OutputTokens,
        Family::Requests,
    ];
    /// The trend's candidates (token families), in the order ties are broken.
    const TOKEN: [Family; 3] = [Family::Tokens, Family::InputTokens, Family::OutputTokens];

    /// The gauge label (at most [`LABEL_WIDTH`] characters).
    pub fn label(self) -> &'static str {
        match self {
            Family::Requests => "requests",
            Family::Tokens => "tokens",
            Family::InputTokens => "input",
            Family::OutputTokens => "output",
            Family::PriorityInputTokens => "prio in",
            Family::PriorityOutputTokens => "prio out",
        }
    }

    /// The name used in sentences ("input tokens run out in 42s").
    pub fn noun(self) -> &'static str {
        match self {
            Family::Requests => "requests",
            Family::Tokens => "tokens",
            Family::InputTokens => "input tokens",
            Family::OutputTokens => "output tokens",
            Family::PriorityInputTokens => "priority input tokens",
            Family::PriorityOutputTokens => "priority output tokens",
        }
    }

    pub fn window(self, snapshot: &RateLimitSnapshot) -> &LimitWindow {
        match self {
            Family::Requests => &snapshot.requests,
            Family::Tokens => &snapshot.tokens,
            Family::InputTokens => &snapshot.input_tokens,
            Family::OutputTokens => &snapshot.output_tokens,
            Family::PriorityInputTokens => &snapshot.priority_input_tokens,
            Family::PriorityOutputTokens => &snapshot.priority_output_tokens,
        }
    }
}

/// Where the current pace leads one family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Forecast {
    /// Fewer than two samples in the current window, or no time between them.
    NotEnoughData,
    /// Nothing left now; `reset_in` seconds until the window refills.
    Exhausted { reset_in: Option<f64> },
    /// At the pace since the window started, nothing is left in `in_secs`.
    RunsOut { in_secs: f64 },
    /// It drains, but the window resets (in `reset_in` seconds) first.
    LastsUntilReset { reset_in: f64 },
    /// Remaining did not go down across the current window.
    NotDraining,
    /// The previous window had refilled by the time of the latest response.
    RefillsBetweenResponses,
    /// The latest response's window has reset since: it has refilled.
    WindowReset,
}

impl Forecast {
    /// Seconds until exhaustion, for ranking families (infinite when none is
    /// expected or known).
    fn urgency(&self) -> f64 {
        match self {
            Forecast::Exhausted { .. } => 0.0,
            Forecast::RunsOut { in_secs } => *in_secs,
            _ => f64::INFINITY,
        }
    }
}

/// The forecast for one family from its samples (oldest first, one per
/// response that carried rate-limit headers) as of `now`.
pub fn forecast(samples: &[(DateTime<Utc>, LimitWindow)], now: DateTime<Utc>) -> Forecast {
    let Some(&(_, last)) = samples.last() else {
        return Forecast::NotEnoughData;
    };
    let Some(remaining) = last.remaining else {
        return Forecast::NotEnoughData;
    };
    let reset_in = last.reset.map(|reset| secs_between(now, reset));
    if reset_in.is_some_and(|secs| secs <= 0.0) {
        return Forecast::WindowReset;
    }
    if remaining == 0 {
        return Forecast::Exhausted { reset_in };
    }
    let start = series_start(samples);
    if samples.len() - start < 2 {
        return if start > 0 && refilled_between(&samples[start - 1], &samples[start]) {
            Forecast::RefillsBetweenResponses
        } else {
            Forecast::NotEnoughData
        };
    }
    let (first_at, first) = samples[start];
    let drop = first.remaining.unwrap_or(remaining) as f64 - remaining as f64;
    if drop <= 0.0 {
        return Forecast::NotDraining;
    }
    // The rate runs to `now`, not to the last sample: an idle spell after
    // the last request is part of "the current rate".
    let elapsed = secs_between(first_at, now);
    if elapsed <= 0.0 {
        return Forecast::NotEnoughData;
    }
    let in_secs = remaining as f64 / (drop / elapsed);
    match reset_in {
        Some(reset_in) if in_secs >= reset_in => Forecast::LastsUntilReset { reset_in },
        _ => Forecast::RunsOut { in_secs },
    }
}

/// Index of the first sample of the current window: walking back from the
/// newest, a series ends at a refill, a change of limit or a sample that
/// lacks `remaining`.
fn series_start(samples: &[(DateTime<Utc>, LimitWindow)]) -> usize {
    let mut start = samples.len().saturating_sub(1);
    while start > 0 {
        let (prev, cur) = (&samples[start - 1], &samples[start]);
        let same_window = prev.1.remaining.is_some()
            && cur.1.remaining.is_some()
            && prev.1.limit == cur.1.limit
            && !refilled_between(prev, cur);
        if !same_window {
            break;
        }
        start -= 1;
    }
    start
}

/// True when `prev`'s window had reset by the time `cur` was taken.
fn refilled_between(
    prev: &(DateTime<Utc>, LimitWindow),
    cur: &(DateTime<Utc>, LimitWindow),
) -> bool {
    prev.1.reset.is_some_and(|reset| reset <= cur.0)
}

/// The `p`-th percentile (0–100, nearest rank) of the finite samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

/// Seconds from `from` to `to` (negative when `to` is earlier).
fn secs_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1_000.0
}

/// `at` plus `secs`, or `None` when that is not a representable time.
fn add_secs(at: DateTime<Utc>, secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() {
        return None;
    }
    let delta = TimeDelta::try_milliseconds((secs * 1_000.0).round() as i64)?;
    at.checked_add_signed(delta)
}

/// The last 429 seen.
#[derive(Debug, Clone, PartialEq)]
struct RateLimitHit {
    /// When its response arrived.
    at: DateTime<Utc>,
    /// When the server said a retry may go out.
    retry_at: Option<DateTime<Utc>>,
    request_id: Option<String>,
}

impl RateLimitHit {
    fn from_exchange(exchange: &Exchange) -> RateLimitHit {
        let timing = &exchange.timing;
        let at = add_secs(
            exchange.started_at,
            timing.headers_ms.unwrap_or(timing.total_ms) / 1_000.0,
        )
        .unwrap_or(exchange.started_at);
        let retry_after = exchange
            .rate_limits
            .retry_after_secs
            .or_else(|| exchange.outcome.failure().and_then(|f| f.retry_after_secs));
        RateLimitHit {
            at,
            retry_at: retry_after.and_then(|secs| add_secs(at, secs)),
            request_id: exchange.request_id().map(str::to_owned),
        }
    }
}

#[derive(Debug, Default)]
pub struct RateLimitsPane {
    /// Snapshots that carried at least one rate-limit header, oldest first.
    known: VecDeque<(DateTime<Utc>, RateLimitSnapshot)>,
    /// Responses seen, with or without headers.
    responses: u64,
    /// The latest response carried no rate-limit headers.
    latest_headerless: bool,
    /// Total milliseconds of recent exchanges that got a response.
    latencies_ms: VecDeque<f64>,
    last_hit: Option<RateLimitHit>,
    scroll: usize,
    /// How far the last render could scroll (content lines past the view).
    max_scroll: usize,
}

impl RateLimitsPane {
    pub fn new() -> Self {
        RateLimitsPane::default()
    }

    /// A response's headers arrived with this snapshot (every response,
    /// 429 and 529 included). A snapshot with no known window means the
    /// response carried no rate-limit headers: the pane then says unknown.
    pub fn record_snapshot(&mut self, snapshot: &RateLimitSnapshot, at: DateTime<Utc>) {
        self.responses += 1;
        self.latest_headerless = !snapshot.is_known();
        if snapshot.is_known() {
            push_bounded(&mut self.known, (at, snapshot.clone()));
        }
    }

    /// An exchange ended, whatever its outcome: a latency sample when a
    /// response came, and the last 429 when it was one.
    pub fn record_exchange(&mut self, exchange: &Exchange) {
        let cancelled = exchange.outcome == Outcome::Cancelled;
        let total = exchange.timing.total_ms;
        if exchange.response.is_some() && !cancelled && total.is_finite() && total >= 0.0 {
            push_bounded(&mut self.latencies_ms, total);
        }
        if exchange.status() == Some(429) || exchange.outcome.slug() == "rate-limited" {
            self.last_hit = Some(RateLimitHit::from_exchange(exchange));
        }
    }

    pub fn on_action(&mut self, action: Action) {
        match action {
            Action::LimitsScrollUp => self.scroll = self.scroll.saturating_sub(1),
            Action::LimitsScrollDown => self.scroll = (self.scroll + 1).min(self.max_scroll),
            _ => {}
        }
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, ctx: &PaneContext) {
        let inner = ctx.block(4, "Rate limits").inner(area);
        let lines = self.content(usize::from(inner.width), ctx);
        let height = usize::from(inner.height);
        self.max_scroll = lines.len().saturating_sub(height);
        self.scroll = self.scroll.min(self.max_scroll);
        let mut block = ctx.block(4, "Rate limits");
        if let Some(hint) = scroll_hint(self.scroll, self.max_scroll) {
            block = block.title_bottom(Line::styled(hint, ctx.theme.dim).right_aligned());
        }
        block.render(area, buf);
        for (row, line) in lines.iter().skip(self.scroll).take(height).enumerate() {
            // `row < height <= u16::MAX`, so the cast cannot truncate.
            buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
        }
    }

    /// Every line of the pane, top to bottom, before scrolling.
    fn content(&self, width: usize, ctx: &PaneContext) -> Vec<Line<'static>> {
        let (theme, now) = (ctx.theme, ctx.now);
        if width == 0 {
            return Vec::new();
        }
        let mut lines = Vec::new();
        match self.known.back() {
            None if self.responses == 0 => {
                lines.extend(wrap(&[Span::styled(EMPTY_TEXT, theme.dim)], width));
            }
            None => {
                lines.extend(wrap(&[Span::styled(UNKNOWN_TEXT, theme.warn)], width));
                lines.extend(wrap(&[Span::styled(STRIPPED_HINT, theme.dim)], width));
            }
            Some((at, snapshot)) => {
                if self.latest_headerless {
                    let age = format_elapsed(secs_between(*at, now));
                    let note = format!("last known, from a response {age} ago:");
                    lines.extend(wrap(&[Span::styled(UNKNOWN_TEXT, theme.warn)], width));
                    lines.extend(wrap(&[Span::styled(note, theme.dim)], width));
                }
                lines.extend(gauge_lines(
                    snapshot,
                    now,
                    self.latest_headerless,
                    theme,
                    width,
                ));
            }
        }
        lines.extend(self.hit_lines(now, theme, width));
        if !self.latest_headerless {
            lines.extend(self.forecast_lines(now, theme, width));
        }
        lines.extend(self.trend_line(theme, width));
        lines.extend(self.latency_line(theme, width));
        lines
    }

    /// One family's samples across the kept snapshots.
    fn samples(&self, family: Family) -> Vec<(DateTime<Utc>, LimitWindow)> {
        self.known
            .iter()
            .map(|(at, snapshot)| (*at, *family.window(snapshot)))
            .collect()
    }

    /// The family closest to running out, with its forecast: the soonest
    /// exhaustion, else the lowest remaining fraction.
    pub fn most_restrictive(&self, now: DateTime<Utc>) -> Option<(Family, Forecast)> {
        let (_, latest) = self.known.back()?;
        Family::FORECAST
            .into_iter()
            .filter(|family| family.window(latest).is_known())
            .map(|family| {
                let ratio = family.window(latest).remaining_ratio().unwrap_or(1.0);
                (family, forecast(&self.samples(family), now), ratio)
            })
            .min_by(|a, b| {
                a.1.urgency()
                    .total_cmp(&b.1.urgency())
                    .then(a.2.total_cmp(&b.2))
            })
            .map(|(family, forecast, _)| (family, forecast))
    }

    fn forecast_lines(
        &self,
        now: DateTime<Utc>,
        theme: &Theme,
        width: usize,
    ) -> Vec<Line<'static>> {
        let Some((family, forecast)) = self.most_restrictive(now) else {
            return Vec::new();
        };
        let (text, style) = forecast_text(family, &forecast, theme);
        wrap(&[Span::styled(text, style)], width)
    }

    fn hit_lines(&self, now: DateTime<Utc>, theme: &Theme, width: usize) -> Vec<Line<'static>> {
        let Some(hit) = &self.last_hit else {
            return Vec::new();
        };
        let age = format_elapsed(secs_between(hit.at, now));
        let mut spans = vec![
            Span::styled("last 429", theme.warn),
            Span::styled(format!("{age} ago"), theme.base),
            Span::styled("·", theme.dim),
        ];
        spans.push(match hit.retry_at {
            Some(retry_at) if retry_at > now => {
                let wait = format_countdown(secs_between(now, retry_at));
                Span::styled(format!("retry in {wait}"), theme.warn)
            }
            Some(_) => Span::styled("you may retry now", theme.ok),
            None => Span::styled("no retry-after sent", theme.dim),
        });
        let mut lines = wrap(&spans, width);
        // The request id on a line of its own: it is what support asks for,
        // and it is too long to share a line in a pane this size.
        if let Some(id) = &hit.request_id {
            lines.extend(wrap(&[Span::styled(id.clone(), theme.dim)], width));
        }
        lines
    }

    /// The remaining values of the most restrictive token family over the
    /// session (requests when no token family is known).
    fn trend_line(&self, theme: &Theme, width: usize) -> Option<Line<'static>> {
        let (_, latest) = self.known.back()?;
        let ratio = |family: Family| family.window(latest).remaining_ratio();
        let family = Family::TOKEN
            .into_iter()
            .filter(|family| ratio(*family).is_some())
            .min_by(|a, b| {
                ratio(*a)
                    .unwrap_or(1.0)
                    .total_cmp(&ratio(*b).unwrap_or(1.0))
            })
            .or_else(|| ratio(Family::Requests).map(|_| Family::Requests))?;
        let window = family.window(latest);
        let values: Vec<Option<f64>> = self
            .known
            .iter()
            .map(|(_, snapshot)| family.window(snapshot).remaining.map(|v| v as f64))
            .collect();
        let max = window.limit.map_or(0.0, |limit| limit as f64);
        let style = window
            .remaining_ratio()
            .map_or(theme.dim, |r| theme.level(Level::for_remaining(r)));
        let suffix = format!("{} left", family.noun());
        Some(spark_line(
            "trend", &values, max, style, &suffix, theme, width,
        ))
    }

    fn latency_line(&self, theme: &Theme, width: usize) -> Option<Line<'static>> {
        let samples: Vec<f64> = self.latencies_ms.iter().copied().collect();
        let p50 = percentile(&samples, 50.0)?;
        let p95 = percentile(&samples, 95.0)?;
        let values: Vec<Option<f64>> = samples.iter().map(|v| Some(*v)).collect();
        let max = samples.iter().copied().fold(0.0, f64::max);
        let suffix = format!("p50 {} p95 {}", format_latency(p50), format_latency(p95));
        Some(spark_line(
            "latency", &values, max, theme.info, &suffix, theme, width,
        ))
    }
}

fn push_bounded<T>(ring: &mut VecDeque<T>, item: T) {
    if ring.len() == HISTORY {
        ring.pop_front();
    }
    ring.push_back(item);
}

fn scroll_hint(scroll: usize, max_scroll: usize) -> Option<&'static str> {
    match (scroll > 0, scroll < max_scroll) {
        (false, false) => None,
        (false, true) => Some(" ↓ more "),
        (true, true) => Some(" ↑↓ "),
        (true, false) => Some(" ↑ "),
    }
}

fn forecast_text(family: Family, forecast: &Forecast, theme: &Theme) -> (String, Style) {
    let noun = family.noun();
    match *forecast {
        Forecast::NotEnoughData => (
            format!("{noun}: not enough data yet for a forecast"),
            theme.dim,
        ),
        Forecast::Exhausted {
            reset_in: Some(secs),
        } => (
            format!(
                "{noun} are used up; the window resets in {}",
                format_countdown(secs)
            ),
            theme.error,
        ),
        Forecast::Exhausted { reset_in: None } => (format!("{noun} are used up"), theme.error),
        Forecast::RunsOut { in_secs } => (
            format!(
                "at the current rate, {noun} run out in {}",
                format_countdown(in_secs)
            ),
            theme.warn,
        ),
        Forecast::LastsUntilReset { reset_in } => (
            format!(
                "at the current rate, {noun} outlast the reset in {}",
                format_countdown(reset_in)
            ),
            theme.base,
        ),
        Forecast::NotDraining => (
            format!("{noun} are not going down: no exhaustion expected"),
            theme.base,
        ),
        Forecast::RefillsBetweenResponses => (
            format!("{noun} refill between responses: no exhaustion expected"),
            theme.base,
        ),
        Forecast::WindowReset => (
            format!("the {noun} window has reset since the last response"),
            theme.dim,
        ),
    }
}

/// One gauge row's text, before it is laid out.
struct GaugeRow {
    label: &'static str,
    window: LimitWindow,
    reset: String,
    style: Style,
    dimmed: bool,
}

/// The gauges of one snapshot: the four main families (a missing one says
/// "not sent") and the priority families when the server sent them.
/// `stale` dims everything (the values are from an earlier response).
fn gauge_lines(
    snapshot: &RateLimitSnapshot,
    now: DateTime<Utc>,
    stale: bool,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let shown = Family::MAIN.into_iter().chain(
        Family::PRIORITY
            .into_iter()
            .filter(|family| family.window(snapshot).is_known()),
    );
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for family in shown {
        let window = *family.window(snapshot);
        if window.is_known() {
            rows.push(gauge_row(family, window, now, stale, theme));
        } else {
            missing.push(family);
        }
    }
    let mut lines = layout_gauges(&rows, theme, width);
    lines.extend(missing.into_iter().map(|family| {
        Line::from(vec![
            Span::styled(format!("{:<LABEL_WIDTH$} ", family.label()), theme.base),
            Span::styled("unknown (not sent)", theme.dim),
        ])
    }));
    lines
}

fn gauge_row(
    family: Family,
    window: LimitWindow,
    now: DateTime<Utc>,
    stale: bool,
    theme: &Theme,
) -> GaugeRow {
    let reset_passed = window.reset.is_some_and(|reset| reset <= now);
    let reset = match window.reset {
        None => String::new(),
        Some(_) if reset_passed => "reset".into(),
        Some(reset) => format!("↻ {}", format_countdown(secs_between(now, reset))),
    };
    let dimmed = stale || reset_passed;
    let style = match window.remaining_ratio() {
        Some(ratio) if !dimmed => theme.level(Level::for_remaining(ratio)),
        _ => theme.dim,
    };
    GaugeRow {
        label: family.label(),
        window,
        reset,
        style,
        dimmed,
    }
}

/// Lays the rows out in aligned columns — label, bar, `remaining/limit`,
/// percentage, reset — narrowing numbers to the compact form, then dropping
/// the bar, when the width asks for it.
fn layout_gauges(rows: &[GaugeRow], theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let numbers = |fmt: fn(u64) -> String| -> Vec<String> {
        rows.iter()
            .map(|row| {
                let show = |v: Option<u64>| v.map_or_else(|| "?".into(), fmt);
                format!("{}/{}", show(row.window.remaining), show(row.window.limit))
            })
            .collect()
    };
    let reset_width = rows.iter().map(|r| text_width(&r.reset)).max().unwrap_or(0);
    let bar_for = |numbers: &[String]| {
        let number_width = numbers.iter().map(|n| text_width(n)).max().unwrap_or(0);
        let fixed =
            LABEL_WIDTH + 1 + number_width + 1 + 4 + usize::from(reset_width > 0) + reset_width;
        width
            .checked_sub(fixed + 1)
            .filter(|bar| *bar >= MIN_BAR)
            .map(|bar| bar.min(MAX_BAR))
    };
    let full = numbers(thousands);
    let (numbers, bar) = match bar_for(&full) {
        Some(bar) => (full, bar),
        None => {
            let short = numbers(compact);
            let bar = bar_for(&short).unwrap_or(0);
            (short, bar)
        }
    };
    let number_width = numbers.iter().map(|n| text_width(n)).max().unwrap_or(0);
    rows.iter()
        .zip(numbers)
        .map(|(row, number)| gauge_line(row, &number, number_width, bar, theme))
        .collect()
}

fn gauge_line(
    row: &GaugeRow,
    number: &str,
    number_width: usize,
    bar: usize,
    theme: &Theme,
) -> Line<'static> {
    let text_style = if row.dimmed { theme.dim } else { theme.base };
    let percent = row.window.remaining_ratio().map_or_else(
        || "?%".to_owned(),
        |r| format!("{}%", (r.clamp(0.0, 1.0) * 100.0).floor() as u64),
    );
    let mut spans = vec![Span::styled(
        format!("{:<LABEL_WIDTH$} ", row.label),
        text_style,
    )];
    if bar > 0 {
        spans.extend(bar_spans(
            row.window.remaining_ratio(),
            bar,
            row.style,
            theme.dim,
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(format!("{number:>number_width$}"), text_style));
    spans.push(Span::styled(format!(" {percent:>4}"), row.style));
    if !row.reset.is_empty() {
        spans.push(Span::styled(format!(" {}", row.reset), text_style));
    }
    Line::from(spans)
}

/// A bar of `width` cells filled to `ratio` in eighths; any headroom at all
/// shows at least one eighth. Unknown is a dotted bar.
fn bar_spans(ratio: Option<f64>, width: usize, fill: Style, empty: Style) -> Vec<Span<'static>> {
    const PARTIAL: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let Some(ratio) = ratio else {
        return vec![Span::styled("·".repeat(width), empty)];
    };
    let ratio = ratio.clamp(0.0, 1.0);
    let mut eighths = (ratio * (width * 8) as f64).floor() as usize;
    if ratio > 0.0 {
        eighths = eighths.max(1);
    }
    let (full, part) = (eighths / 8, eighths % 8);
    let filled = format!("{}{}", "█".repeat(full), PARTIAL[part]);
    let used = full + usize::from(part > 0);
    vec![
        Span::styled(filled, fill),
        Span::styled("░".repeat(width.saturating_sub(used)), empty),
    ]
}

/// `label  ▂▃▅▂  suffix`: as many of the newest values as fit.
fn spark_line(
    label: &str,
    values: &[Option<f64>],
    max: f64,
    spark_style: Style,
    suffix: &str,
    theme: &Theme,
    width: usize,
) -> Line<'static> {
    let room = width.saturating_sub(LABEL_WIDTH + 1 + 1 + text_width(suffix));
    let shown = &values[values.len().saturating_sub(room)..];
    let mut spans = vec![Span::styled(format!("{label:<LABEL_WIDTH$} "), theme.base)];
    if !shown.is_empty() {
        spans.push(Span::styled(sparkline(shown, max), spark_style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(suffix.to_owned(), theme.dim));
    Line::from(spans)
}

/// One character per value, scaled to `max`; a known value shows at least
/// the lowest bar, an unknown one a dot.
fn sparkline(values: &[Option<f64>], max: f64) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|value| match value {
            None => '·',
            Some(v) if max > 0.0 && v.is_finite() => {
                // The cast saturates (NaN becomes 0), so the index is 0..=7.
                let level = ((v / max * 8.0).round() as usize).clamp(1, 8);
                LEVELS[level - 1]
            }
            Some(_) => LEVELS[0],
        })
        .collect()
}

/// Word-wraps styled text to `width` columns; a word wider than a line is
/// broken between characters. Words are joined by single spaces, and a
/// lone `·` separator stays with the word after it.
fn wrap(spans: &[Span<'static>], width: usize) -> Vec<Line<'static>> {
    let words: Vec<(String, Style)> = spans
        .iter()
        .flat_map(|span| {
            span.content
                .split(' ')
                .filter(|word| !word.is_empty())
                .flat_map(move |word| break_word(word, width))
                .map(move |piece| (piece, span.style))
        })
        .collect();
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (i, (piece, style)) in words.iter().enumerate() {
        let mut needed = text_width(piece);
        if piece == "·" {
            needed += words.get(i + 1).map_or(0, |(next, _)| 1 + text_width(next));
        }
        if used > 0 && used + 1 + needed > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if used > 0 {
            line.push(Span::raw(" "));
            used += 1;
        }
        used += text_width(piece);
        line.push(Span::styled(piece.clone(), *style));
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    use super::*;
    use crate::api::errors::{Failure, FailureKind};
    use crate::api::types::Header;
    use crate::exchange::{ExchangeId, RecordedRequest, RecordedResponse, Timing};
    use crate::tui::theme::ColorMode;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(secs: f64) -> DateTime<Utc> {
        add_secs(t0(), secs).unwrap()
    }

    /// `remaining` of `limit`, resetting `reset` seconds after t0.
    fn win(limit: u64, remaining: u64, reset: f64) -> LimitWindow {
        LimitWindow {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(at(reset)),
        }
    }

    /// requests of 1000, tokens of 96k, input of 80k, output of 16k, all
    /// resetting at t0 + `reset`.
    fn snap(remaining: [u64; 4], reset: f64) -> RateLimitSnapshot {
        RateLimitSnapshot {
            requests: win(1_000, remaining[0], reset),
            tokens: win(96_000, remaining[1], reset),
            input_tokens: win(80_000, remaining[2], reset),
            output_tokens: win(16_000, remaining[3], reset),
            ..RateLimitSnapshot::default()
        }
    }

    fn exchange(started: f64, status: u16, total_ms: f64) -> Exchange {
        Exchange {
            id: ExchangeId::from_text("ex_test"),
            started_at: at(started),
            profile: "demo".into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: "http://127.0.0.1/v1/messages".into(),
                headers: Vec::new(),
                body: "{}".into(),
            },
            response: Some(RecordedResponse {
                status,
                http_version: "HTTP/1.1".into(),
                headers: vec![Header::new("request-id", "req_011CPSmRBdiwuvLZ1nUW9Rgs")],
                body: String::new(),
                events: Vec::new(),
                message: None,
                truncated: None,
            }),
            timing: Timing {
                headers_ms: Some(total_ms.min(150.0)),
                total_ms,
                ..Timing::default()
            },
            usage: None,
            rate_limits: RateLimitSnapshot::default(),
            outcome: Outcome::Ok,
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        }
    }

    fn rate_limited(started: f64, retry_after: Option<f64>) -> Exchange {
        let mut ex = exchange(started, 429, 150.0);
        ex.rate_limits.retry_after_secs = retry_after;
        let mut failure = Failure::transport(FailureKind::RateLimited, "rate limit exceeded");
        failure.status = Some(429);
        failure.request_id = Some("req_011CPSmRBdiwuvLZ1nUW9Rgs".into());
        ex.outcome = Outcome::Failed(failure);
        ex
    }

    fn draw(
        pane: &mut RateLimitsPane,
        w: u16,
        h: u16,
        theme: &Theme,
        now: DateTime<Utc>,
    ) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let ctx = PaneContext {
            theme,
            focused: false,
            now,
        };
        terminal
            .draw(|frame| pane.render(frame.area(), frame.buffer_mut(), &ctx))
            .unwrap();
        terminal
    }

    fn text(terminal: &Terminal<TestBackend>) -> String {
        let buf = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Snapshots at the two sizes the dashboard gives the pane.
    fn assert_sizes(name: &str, pane: &mut RateLimitsPane, theme: &Theme, now: DateTime<Utc>) {
        for (w, h) in [(54, 12), (36, 8)] {
            let terminal = draw(pane, w, h, theme, now);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
        }
    }

    /// Three responses 5 s apart in one window that resets at t0 + 60 s,
    /// and their latencies.
    fn mid_window() -> RateLimitsPane {
        let mut pane = RateLimitsPane::new();
        let remaining = [
            [999, 90_000, 78_000, 15_000],
            [998, 84_000, 76_000, 14_000],
            [997, 78_000, 74_000, 13_000],
        ];
        for (i, r) in remaining.into_iter().enumerate() {
            let started = i as f64 * 5.0;
            pane.record_snapshot(&snap(r, 60.0), at(started));
            pane.record_exchange(&exchange(started, 200, 400.0 + 300.0 * i as f64));
        }
        pane
    }

    // --- pure helpers ---------------------------------------------------

    #[test]
    fn thousands_separators() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (96_000, "96,000"),
            (1_234_567, "1,234,567"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
    }

    #[test]
    fn compact_numbers_round_down() {
        let cases = [
            (999, "999"),
            (1_000, "1k"),
            (7_150, "7.1k"),
            (9_999, "9.9k"),
            (10_000, "10k"),
            (95_990, "95.9k"),
            (96_000, "96k"),
            (450_999, "450k"),
            (1_250_000, "1.2M"),
            (12_000_000, "12M"),
            (3_000_000_000, "3G"),
        ];
        for (n, want) in cases {
            assert_eq!(compact(n), want, "{n}");
        }
    }

    #[test]
    fn countdowns_round_up_and_elapsed_rounds_down() {
        let cases = [
            (0.0, "0s"),
            (0.2, "1s"),
            (42.0, "42s"),
            (59.5, "1m00s"),
            (65.0, "1m05s"),
            (3_723.0, "1h02m"),
            (90_000.0, "1d01h"),
            (-5.0, "0s"),
            (f64::NAN, "0s"),
        ];
        for (secs, want) in cases {
            assert_eq!(format_countdown(secs), want, "{secs}");
        }
        assert_eq!(format_countdown(3_720.0), "1h02m");
        assert_eq!(format_elapsed(5.9), "5s");
        assert_eq!(format_elapsed(125.0), "2m05s");
    }

    #[test]
    fn latencies_read_naturally() {
        assert_eq!(format_latency(420.4), "420ms");
        assert_eq!(format_latency(1_234.0), "1.2s");
        assert_eq!(format_latency(65_000.0), "1m05s");
        assert_eq!(format_latency(f64::NAN), "?");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&hundred, 95.0), Some(95.0));
        assert_eq!(percentile(&hundred, 100.0), Some(100.0));
        assert_eq!(percentile(&hundred, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[f64::NAN, 5.0], 50.0), Some(5.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[f64::NAN], 50.0), None);
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        let lines = wrap(&[Span::raw("at the current rate, tokens run out")], 12);
        let texts: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, ["at the", "current", "rate, tokens", "run out"]);
        let glued = wrap(&[Span::raw("retry in 5s · req_0123")], 14);
        let texts: Vec<String> = glued.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, ["retry in 5s", "· req_0123"]);
        let long = wrap(&[Span::raw("req_0123456789")], 5);
        assert_eq!(long.len(), 3);
        assert!(long.iter().all(|l| l.width() <= 5));
        assert!(wrap(&[Span::raw("x")], 0).iter().all(|l| l.width() <= 1));
    }

    #[test]
    fn bars_fill_in_eighths_and_never_hide_headroom() {
        let cells = |ratio| {
            bar_spans(Some(ratio), 10, Style::new(), Style::new())
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(cells(1.0), "██████████");
        assert_eq!(cells(0.5), "█████░░░░░");
        assert_eq!(cells(0.0), "░░░░░░░░░░");
        assert_eq!(cells(0.001), "▏░░░░░░░░░");
        assert_eq!(cells(0.55), "█████▌░░░░");
        let unknown = bar_spans(None, 4, Style::new(), Style::new());
        assert_eq!(unknown[0].content, "····");
    }

    #[test]
    fn sparklines_scale_to_max_and_mark_unknowns() {
        let values = [
            Some(0.0),
            Some(50.0),
            Some(100.0),
            None,
            Some(f64::INFINITY),
        ];
        assert_eq!(sparkline(&values, 100.0), "▁▄█·▁");
        assert_eq!(sparkline(&[Some(5.0)], 0.0), "▁");
        assert_eq!(sparkline(&[Some(5.0)], f64::INFINITY), "▁");
    }

    // --- forecast -------------------------------------------------------

    fn samples(points: &[(f64, u64, f64)]) -> Vec<(DateTime<Utc>, LimitWindow)> {
        points
            .iter()
            .map(|&(t, remaining, reset)| (at(t), win(10_000, remaining, reset)))
            .collect()
    }

    #[test]
    fn forecast_needs_two_samples_in_the_window() {
        assert_eq!(forecast(&[], at(0.0)), Forecast::NotEnoughData);
        let one = samples(&[(0.0, 9_000, 60.0)]);
        assert_eq!(forecast(&one, at(1.0)), Forecast::NotEnoughData);
    }

    #[test]
    fn forecast_runs_out_at_the_current_rate() {
        // 2,000 used in 10 s: 200/s, so 8,000 last 40 s; the reset is 50 s away.
        let s = samples(&[(0.0, 10_000, 60.0), (10.0, 8_000, 60.0)]);
        assert_eq!(forecast(&s, at(10.0)), Forecast::RunsOut { in_secs: 40.0 });
        // Idle time lowers the rate: 2,000 in 20 s is 100/s, so 80 s, past
        // the reset 40 s away.
        assert_eq!(
            forecast(&s, at(20.0)),
            Forecast::LastsUntilReset { reset_in: 40.0 }
        );
    }

    #[test]
    fn forecast_when_the_reset_comes_first() {
        let s = samples(&[(0.0, 10_000, 20.0), (10.0, 8_000, 20.0)]);
        assert_eq!(
            forecast(&s, at(10.0)),
            Forecast::LastsUntilReset { reset_in: 10.0 }
        );
    }

    #[test]
    fn forecast_not_draining() {
        let s = samples(&[(0.0, 9_000, 60.0), (10.0, 9_000, 60.0), (12.0, 9_500, 61.0)]);
        assert_eq!(forecast(&s, at(12.0)), Forecast::NotDraining);
    }

    #[test]
    fn a_refill_starts_a_new_series() {
        // The first window reset at 5 s, before the second response.
        let s = samples(&[(0.0, 2_000, 5.0), (10.0, 9_000, 15.0)]);
        assert_eq!(forecast(&s, at(10.0)), Forecast::RefillsBetweenResponses);
        // Only the samples after the refill count: 1,000 in 20 s (50/s).
        let s = samples(&[
            (0.0, 10_000, 5.0),
            (10.0, 9_000, 300.0),
            (30.0, 8_000, 300.0),
        ]);
        assert_eq!(forecast(&s, at(30.0)), Forecast::RunsOut { in_secs: 160.0 });
    }

    #[test]
    fn a_new_limit_starts_a_new_series() {
        let mut s = samples(&[(0.0, 9_000, 60.0), (10.0, 8_000, 60.0)]);
        s[1].1.limit = Some(20_000);
        assert_eq!(forecast(&s, at(10.0)), Forecast::NotEnoughData);
    }

    #[test]
    fn forecast_exhausted_and_reset() {
        let s = samples(&[(0.0, 100, 30.0), (10.0, 0, 30.0)]);
        assert_eq!(
            forecast(&s, at(10.0)),
            Forecast::Exhausted {
                reset_in: Some(20.0)
            }
        );
        assert_eq!(forecast(&s, at(31.0)), Forecast::WindowReset);
    }

    #[test]
    fn most_restrictive_family_is_named() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([999, 90_000, 79_000, 15_000], 60.0), at(0.0));
        pane.record_snapshot(&snap([998, 84_000, 78_000, 9_000], 60.0), at(10.0));
        // Output: 6,000 in 10 s, 9,000 left: 15 s (tokens: 140 s, past the reset).
        assert_eq!(
            pane.most_restrictive(at(10.0)),
            Some((Family::OutputTokens, Forecast::RunsOut { in_secs: 15.0 }))
        );
        let out = text(&draw(&mut pane, 80, 12, &Theme::default(), at(10.0)));
        assert!(
            out.contains("at the current rate, output tokens run out in 15s"),
            "{out}"
        );
    }

    // --- recording ------------------------------------------------------

    #[test]
    fn memory_is_bounded() {
        let mut pane = RateLimitsPane::new();
        for i in 0..(HISTORY + 30) {
            pane.record_snapshot(&snap([999, 90_000, 79_000, 15_000], 60.0), at(i as f64));
            pane.record_exchange(&exchange(i as f64, 200, 100.0));
        }
        assert_eq!(pane.known.len(), HISTORY);
        assert_eq!(pane.latencies_ms.len(), HISTORY);
        assert_eq!(pane.known.front().map(|(t, _)| *t), Some(at(30.0)));
    }

    #[test]
    fn cancelled_and_transport_failures_are_not_latency_samples() {
        let mut pane = RateLimitsPane::new();
        let mut cancelled = exchange(0.0, 200, 5_000.0);
        cancelled.outcome = Outcome::Cancelled;
        let mut refused = exchange(0.0, 200, 2.0);
        refused.response = None;
        pane.record_exchange(&cancelled);
        pane.record_exchange(&refused);
        assert!(pane.latencies_ms.is_empty());
        pane.record_exchange(&rate_limited(0.0, None));
        assert_eq!(pane.latencies_ms.len(), 1);
    }

    #[test]
    fn a_429_is_recorded_with_its_retry_time_and_request_id() {
        let mut pane = RateLimitsPane::new();
        pane.record_exchange(&rate_limited(10.0, Some(30.0)));
        let hit = pane.last_hit.clone().unwrap();
        assert_eq!(hit.at, at(10.15));
        assert_eq!(hit.retry_at, Some(at(40.15)));
        assert_eq!(
            hit.request_id.as_deref(),
            Some("req_011CPSmRBdiwuvLZ1nUW9Rgs")
        );
        // The failure's retry-after is used when the snapshot lacks one.
        let mut ex = rate_limited(0.0, None);
        if let Outcome::Failed(f) = &mut ex.outcome {
            f.retry_after_secs = Some(2.0);
        }
        pane.record_exchange(&ex);
        assert_eq!(pane.last_hit.unwrap().retry_at, Some(at(2.15)));
    }

    #[test]
    fn an_ok_exchange_is_not_a_429() {
        let mut pane = RateLimitsPane::new();
        pane.record_exchange(&exchange(0.0, 200, 100.0));
        pane.record_exchange(&exchange(0.0, 529, 100.0));
        assert!(pane.last_hit.is_none());
    }

    // --- rendering ------------------------------------------------------

    #[test]
    fn countdown_ticks_down_as_now_advances() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([999, 90_000, 79_000, 15_000], 45.0), at(0.0));
        pane.record_exchange(&rate_limited(0.0, Some(20.0)));
        let theme = Theme::default();
        let first = text(&draw(&mut pane, 80, 12, &theme, at(2.5)));
        let later = text(&draw(&mut pane, 80, 12, &theme, at(3.5)));
        assert!(
            first.contains("↻ 43s") && first.contains("retry in 18s"),
            "{first}"
        );
        assert!(
            later.contains("↻ 42s") && later.contains("retry in 17s"),
            "{later}"
        );
        let done = text(&draw(&mut pane, 80, 12, &theme, at(46.0)));
        assert!(done.contains("reset") && !done.contains('↻'), "{done}");
        assert!(done.contains("you may retry now"), "{done}");
    }

    #[test]
    fn nothing_panics_at_any_size() {
        let mut pane = mid_window();
        let mut snapshot = snap([0, 1, 2, 3], 30.0);
        snapshot.priority_input_tokens = win(5_000, 10, 30.0);
        pane.record_snapshot(&snapshot, at(12.0));
        pane.record_exchange(&rate_limited(12.0, Some(30.0)));
        let theme = Theme::default();
        for w in 0..=40 {
            for h in 0..=8 {
                draw(&mut pane, w, h, &theme, at(13.0));
                pane.on_action(Action::LimitsScrollDown);
            }
        }
        draw(&mut pane, 200, 50, &theme, at(13.0));
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 3));
        let ctx = PaneContext {
            theme: &theme,
            focused: true,
            now: at(13.0),
        };
        // An area partly outside the buffer, and an empty one.
        pane.render(Rect::new(1, 1, 3, 3), &mut buf, &ctx);
        pane.render(Rect::new(0, 0, 0, 0), &mut buf, &ctx);
        RateLimitsPane::new().render(Rect::new(0, 0, 3, 3), &mut buf, &ctx);
    }

    #[test]
    fn scrolling_reaches_the_bottom_and_stops() {
        let mut pane = mid_window();
        pane.record_exchange(&rate_limited(10.0, Some(30.0)));
        let theme = Theme::default();
        let top = text(&draw(&mut pane, 36, 8, &theme, at(12.0)));
        assert!(top.contains("requests") && top.contains("↓ more"), "{top}");
        for _ in 0..50 {
            pane.on_action(Action::LimitsScrollDown);
        }
        let bottom = text(&draw(&mut pane, 36, 8, &theme, at(12.0)));
        assert!(
            bottom.contains("latency") && !bottom.contains("requests"),
            "{bottom}"
        );
        assert!(bottom.contains('↑') && !bottom.contains("more"), "{bottom}");
        for _ in 0..50 {
            pane.on_action(Action::LimitsScrollUp);
        }
        assert_eq!(pane.scroll, 0);
        // Content that fits has no hint and does not scroll.
        let fits = text(&draw(&mut pane, 80, 30, &theme, at(12.0)));
        pane.on_action(Action::LimitsScrollDown);
        assert_eq!(pane.scroll, 0);
        assert!(!fits.contains('↓'), "{fits}");
    }

    /// The style of the first cell whose symbol starts `needle`'s run.
    fn style_of(terminal: &Terminal<TestBackend>, needle: &str) -> Style {
        let out = text(terminal);
        let width = usize::from(terminal.backend().buffer().area.width) + 1;
        let index = out.find(needle).expect(needle);
        let chars = out[..index].chars().count();
        let (x, y) = ((chars % width) as u16, (chars / width) as u16);
        terminal.backend().buffer()[(x, y)].style()
    }

    #[test]
    fn levels_colour_the_gauges() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([900, 19_200, 40_000, 800], 60.0), at(0.0));
        let terminal = draw(&mut pane, 80, 12, &Theme::new(ColorMode::Ansi16), at(1.0));
        assert_eq!(style_of(&terminal, " 90%").fg, Some(Color::Green));
        assert_eq!(style_of(&terminal, " 20%").fg, Some(Color::Yellow));
        assert_eq!(style_of(&terminal, "  5%").fg, Some(Color::Red));
    }

    #[test]
    fn no_color_has_no_colours_but_the_same_numbers() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([900, 19_200, 40_000, 800], 60.0), at(0.0));
        let terminal = draw(&mut pane, 54, 12, &Theme::new(ColorMode::None), at(1.0));
        let buf = terminal.backend().buffer();
        assert!(
            buf.content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
        );
        let out = text(&terminal);
        for needle in ["800/16,000", "5%", "20%", "↻ 59s"] {
            assert!(out.contains(needle), "{needle} in {out}");
        }
    }

    // --- snapshots ------------------------------------------------------

    #[test]
    fn snapshot_empty() {
        assert_sizes("empty", &mut RateLimitsPane::new(), &Theme::default(), t0());
    }

    #[test]
    fn snapshot_mid_window() {
        assert_sizes("mid_window", &mut mid_window(), &Theme::default(), at(12.0));
    }

    #[test]
    fn snapshot_low_and_critical() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([120, 30_000, 60_000, 2_000], 40.0), at(0.0));
        pane.record_exchange(&exchange(0.0, 200, 900.0));
        pane.record_snapshot(&snap([90, 19_200, 58_000, 800], 40.0), at(8.0));
        pane.record_exchange(&exchange(8.0, 200, 2_400.0));
        assert_sizes("low_critical", &mut pane, &Theme::default(), at(10.0));
    }

    #[test]
    fn snapshot_headers_absent() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&RateLimitSnapshot::default(), at(0.0));
        pane.record_exchange(&exchange(0.0, 200, 640.0));
        assert_sizes("headers_absent", &mut pane, &Theme::default(), at(3.0));
        let out = text(&draw(&mut pane, 54, 12, &Theme::default(), at(3.0)));
        assert!(!out.contains("0/"), "no fake zero: {out}");
    }

    #[test]
    fn snapshot_headers_absent_after_known() {
        let mut pane = mid_window();
        pane.record_snapshot(&RateLimitSnapshot::default(), at(70.0));
        assert_sizes(
            "headers_absent_after_known",
            &mut pane,
            &Theme::default(),
            at(75.0),
        );
    }

    #[test]
    fn snapshot_recent_429() {
        let mut pane = RateLimitsPane::new();
        pane.record_snapshot(&snap([998, 84_000, 78_000, 14_000], 50.0), at(0.0));
        pane.record_exchange(&exchange(0.0, 200, 820.0));
        pane.record_snapshot(&snap([0, 84_000, 78_000, 14_000], 50.0), at(10.15));
        pane.record_exchange(&rate_limited(10.0, Some(30.0)));
        assert_sizes("recent_429", &mut pane, &Theme::default(), at(15.0));
    }

    #[test]
    fn snapshot_priority_families() {
        let mut pane = mid_window();
        let mut snapshot = snap([996, 72_000, 72_000, 12_000], 60.0);
        snapshot.priority_input_tokens = win(40_000, 38_500, 60.0);
        snapshot.priority_output_tokens = win(8_000, 7_100, 60.0);
        pane.record_snapshot(&snapshot, at(15.0));
        assert_sizes("priority", &mut pane, &Theme::default(), at(16.0));
    }

    #[test]
    fn snapshot_no_color() {
        let mut pane = mid_window();
        pane.record_snapshot(&snap([990, 9_000, 50_000, 1_000], 60.0), at(14.0));
        assert_sizes(
            "no_color",
            &mut pane,
            &Theme::new(ColorMode::None),
            at(15.0),
        );
    }
}
