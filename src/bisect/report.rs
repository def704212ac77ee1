//! The bisect report as text: the finding, the failing and the passing
//! request side by side (or as a unified diff where the terminal is
//! narrow), and the books: requests used, skipped candidates, notes.
//! Also the plan shown before anything is sent, and progress lines.

use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline, group_diff_ops};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::api::lint::estimate_input_tokens;
use crate::tui::format::thousands;

use super::changes::{self, Change};
use super::judge::Verdict;
use super::request::BisectRequest;
use super::runner::{BisectReport, Finding, Progress, Settings, StopReason};

/// Below this width the requests are compared as a unified diff.
pub const SIDE_BY_SIDE_MIN_WIDTH: usize = 80;
/// A changed line wraps over at most this many rows.
const MAX_WRAPPED_ROWS: usize = 6;
/// Unchanged lines shown around each difference.
const CONTEXT_LINES: usize = 2;
/// A diff that takes longer than this settles for a coarser answer.
const DIFF_DEADLINE: Duration = Duration::from_secs(1);

/// What a bisect may cost, said before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub max_requests: u32,
    /// Simplifications there are to try.
    pub changes: usize,
    /// The lint's estimate for the original body.
    pub input_tokens_each: u64,
    /// `max_tokens` of the candidates (lowered when the failure allows).
    pub output_tokens_each: u64,
    /// True when candidates are meant to go with a lowered max_tokens.
    pub lowers_max_tokens: bool,
}

impl Plan {
    pub fn new(request: &BisectRequest, settings: &Settings) -> Plan {
        let max_tokens = request.body.get("max_tokens").and_then(|v| v.as_u64());
        let lowers = max_tokens.is_some_and(|m| m > settings.max_tokens)
            && !super::judge::thinking_is_on(&request.body)
            && request.api_endpoint() == Some(crate::api::lint::Endpoint::Messages);
        Plan {
            max_requests: settings.budget,
            changes: changes::candidates(request).len(),
            input_tokens_each: estimate_input_tokens(&request.body),
            output_tokens_each: if lowers {
                settings.max_tokens
            } else {
                max_tokens.unwrap_or(0)
            },
            lowers_max_tokens: lowers,
        }
    }

    /// The plan in words, for the confirmation prompt.
    pub fn describe(&self, target: &str) -> String {
        let requests = u64::from(self.max_requests);
        let lowered = if self.lowers_max_tokens {
            format!(
                " (candidates are sent with max_tokens {} when the original fails the same way with it)",
                self.output_tokens_each
            )
        } else {
            String::new()
        };
        format!(
            "bisect will send at most {} requests to {target}, trying {} simplification(s).\n\
             Estimated cost: about {} input tokens per request ({} at most in all) and at most {} output tokens per request ({} in all){lowered}; an upper bound.",
            self.max_requests,
            self.changes,
            thousands(self.input_tokens_each),
            thousands(self.input_tokens_each.saturating_mul(requests)),
            thousands(self.output_tokens_each),
            thousands(self.output_tokens_each.saturating_mul(requests)),
        )
    }
}

/// One line of progress, for stderr.
pub fn progress_line(progress: &Progress<'_>, width: usize) -> String {
    let line = match progress {
        Progress::Attempt(attempt) => {
            let status = attempt
                .status
                .map_or_else(|| "—".to_owned(), |s| s.to_string());
            // The message only where it says something new: the original
            // failure, or a different one.
            let message = match (&attempt.message, attempt.verdict) {
                (Some(message), Verdict::Failed | Verdict::OtherFailure | Verdict::Transport) => {
                    format!(" — {message}")
                }
                _ => String::new(),
            };
            format!(
                "  #{:<2} {status:>3} {:<13} {}{message}",
                attempt.number,
                attempt.verdict.word(),
                attempt.label
            )
        }
        Progress::Skipped(skipped) => format!(
            "      not sent: {} (lint: {})",
            skipped.label, skipped.reason
        ),
        Progress::Waiting { secs, why } => format!("      {why}; waiting {secs:.1} s"),
        Progress::Note(note) => format!("      note: {note}"),
    };
    clip(&line, width)
}

/// The whole report as text, fitted to `width` columns.
pub fn render(report: &BisectReport, width: usize) -> String {
    let width = width.max(20);
    let mut out = Vec::new();
    out.extend(finding_lines(report));
    if let Some(failure) = &report.original_failure {
        let status = failure
            .status
            .map_or_else(|| "no response".to_owned(), |s| s.to_string());
        let error_type = failure.error_type.as_deref().unwrap_or("");
        out.push(String::new());
        out.push(format!(
            "original: {status} {error_type} · {}",
            failure.kind.slug()
        ));
        out.push(format!("  {}", failure.message));
    }
    if let (Some(failing), Some(passing)) = (&report.failing, &report.passing) {
        out.push(String::new());
        out.extend(compare(
            &failing.display_lines(),
            &passing.display_lines(),
            ("failing (as sent)", "passing (as sent)"),
            width,
        ));
    }
    out.push(String::new());
    out.extend(books(report));
    let mut text = String::new();
    for line in out {
        text.push_str(&clip_wrapped(&line, width));
        text.push('\n');
    }
    text
}

fn finding_lines(report: &BisectReport) -> Vec<String> {
    match &report.finding {
        Finding::Passes => vec![format!(
            "nothing to bisect: the request succeeds as it is ({}).",
            report.target
        )],
        Finding::Culprit { change } => vec![
            format!("✓ {}.", change.headline()),
            format!("  fix: {}", change.fix()),
        ],
        Finding::Combination { changes } => {
            let mut lines = vec![format!(
                "✓ fails because of {} things together: the request succeeds only with all of these changes (each alone is not enough):",
                changes.len()
            )];
            lines.extend(changes.iter().map(|c| format!("  - {}", c.action())));
            lines
        }
        Finding::NothingPasses => vec![
            "✗ no culprit: even the simplest request bisect can make from it (model, max_tokens, the last user turn, no optional headers, fields or tools) fails the same way.".into(),
            "  The cause is in what bisect keeps: the credential, the model, the path or the base URL (try `claudetui doctor`).".into(),
        ],
        Finding::NothingToTry => vec![
            "✗ no culprit: the request has nothing bisect can simplify (no optional headers, fields, tools, earlier turns or extra content).".into(),
            "  The cause is in what it holds: the credential, the model, the path or the base URL (try `claudetui doctor`).".into(),
        ],
        Finding::Incomplete { reason, best } => incomplete_lines(report, reason, best.as_deref()),
    }
}

fn incomplete_lines(
    report: &BisectReport,
    reason: &StopReason,
    best: Option<&[Change]>,
) -> Vec<String> {
    let why = match reason {
        StopReason::Budget => format!(
            "the request budget ({} of {}) ran out before the search finished",
            report.requests_used, report.budget
        ),
        StopReason::RateLimited {
            retry_after_secs: Some(secs),
        } => format!(
            "the server kept answering 429/529 (it last asked to wait {secs:.0} s); try again later"
        ),
        StopReason::RateLimited { .. } => {
            "the server kept answering 429/529; try again later".into()
        }
        StopReason::Transport => {
            "the server could not be reached (see the last request below)".into()
        }
        StopReason::Interrupted => "interrupted".into(),
    };
    let mut lines = vec![format!("✗ no culprit yet: {why}.")];
    match best {
        Some(best) => {
            lines.push(format!(
                "  Best so far: the request succeeds with these {} change(s) (a smaller set may do):",
                best.len()
            ));
            lines.extend(best.iter().map(|c| format!("  - {}", c.action())));
        }
        None if report.failing.is_some() => {
            lines.push("  No passing request was found yet.".into());
        }
        None => {}
    }
    lines
}

fn books(report: &BisectReport) -> Vec<String> {
    let mut lines = vec![format!(
        "requests: {} of at most {}",
        report.requests_used, report.budget
    )];
    if !report.skipped.is_empty() {
        lines[0].push_str(&format!(
            " · {} candidate(s) not sent (lint shows them broken in a new way)",
            report.skipped.len()
        ));
    }
    if let Some(Change::LowerMaxTokens { to, .. }) = &report.max_tokens_lowered {
        lines.push(format!(
            "max_tokens was lowered to {to} for every candidate: the original fails the same way with it"
        ));
    }
    let ids: Vec<String> = [
        ("failing", &report.failing_exchange),
        ("passing", &report.passing_exchange),
    ]
    .into_iter()
    .filter_map(|(what, id)| id.as_ref().map(|id| format!("{what} {id}")))
    .collect();
    if !ids.is_empty() {
        lines.push(format!(
            "exchanges: {} (claudetui history show ID)",
            ids.join(" · ")
        ));
    }
    let others = report
        .attempts
        .iter()
        .filter(|a| a.verdict == Verdict::OtherFailure)
        .count();
    if others > 0 {
        lines.push(format!(
            "{others} candidate(s) failed in another way than the original (counted as failing; see --json)"
        ));
    }
    lines.extend(report.notes.iter().map(|n| format!("note: {n}")));
    lines
}

/// The two requests compared: side by side when `width` allows, else a
/// unified diff. Long runs of identical lines are folded.
pub fn compare(
    left: &[String],
    right: &[String],
    titles: (&str, &str),
    width: usize,
) -> Vec<String> {
    let ops = capture_diff_slices_deadline(
        Algorithm::Myers,
        left,
        right,
        Some(Instant::now() + DIFF_DEADLINE),
    );
    let groups = group_diff_ops(ops, CONTEXT_LINES);
    if width >= SIDE_BY_SIDE_MIN_WIDTH {
        side_by_side(left, right, &groups, titles, width)
    } else {
        unified(left, right, &groups, titles, width)
    }
}

/// Rows of (left, right, marks) for one group of diff operations.
fn rows<'a>(
    left: &'a [String],
    right: &'a [String],
    group: &[DiffOp],
) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    let line = |lines: &'a [String], i: usize| lines.get(i).map(String::as_str);
    let mut rows = Vec::new();
    for op in group {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    rows.push((line(left, old_index + i), line(right, new_index + i)));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for i in 0..old_len {
                    rows.push((line(left, old_index + i), None));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for i in 0..new_len {
                    rows.push((None, line(right, new_index + i)));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for i in 0..old_len.max(new_len) {
                    rows.push((
                        (i < old_len).then(|| line(left, old_index + i)).flatten(),
                        (i < new_len).then(|| line(right, new_index + i)).flatten(),
                    ));
                }
            }
        }
    }
    rows
}

fn side_by_side(
    left: &[String],
    right: &[String],
    groups: &[Vec<DiffOp>],
    titles: (&str, &str),
    width: usize,
) -> Vec<String> {
    // "<mark> <left> │ <mark> <right>"
    let column = (width.saturating_sub(3) / 2).max(4);
    let text_width = column - 2;
    let cell = |mark: &str, text: Option<&String>| match text {
        Some(text) => pad(&format!("{mark} {text}"), column),
        None => " ".repeat(column),
    };
    let mut out = vec![format!(
        "{} │ {}",
        pad(&format!("  {}", clip(titles.0, text_width)), column),
        clip(&format!("  {}", titles.1), column)
    )];
    for (n, group) in groups.iter().enumerate() {
        if n > 0 {
            out.push(format!("{} │ {}", pad("  ⋯", column), "  ⋯"));
        }
        for op in group {
            let equal = matches!(op, DiffOp::Equal { .. });
            let (lm, rm) = if equal { (" ", " ") } else { ("-", "+") };
            for (l, r) in rows(left, right, std::slice::from_ref(op)) {
                // A changed line is wrapped, not cut: the difference may
                // be at its end. Context lines are cut.
                let fit = |text: Option<&str>| match text {
                    Some(text) if equal => vec![clip(text, text_width)],
                    Some(text) => wrap(text, text_width, MAX_WRAPPED_ROWS),
                    None => Vec::new(),
                };
                let (l, r) = (fit(l), fit(r));
                for i in 0..l.len().max(r.len()).max(1) {
                    let row = format!("{} │ {}", cell(lm, l.get(i)), cell(rm, r.get(i)));
                    out.push(row.trim_end().to_owned());
                }
            }
        }
    }
    out
}

fn unified(
    left: &[String],
    right: &[String],
    groups: &[Vec<DiffOp>],
    titles: (&str, &str),
    width: usize,
) -> Vec<String> {
    let mut out = vec![
        clip(&format!("--- {}", titles.0), width),
        clip(&format!("+++ {}", titles.1), width),
    ];
    let text_width = width.saturating_sub(2).max(1);
    let marked = |mark: &str, text: &str| -> Vec<String> {
        wrap(text, text_width, MAX_WRAPPED_ROWS)
            .into_iter()
            .map(|part| format!("{mark} {part}"))
            .collect()
    };
    for (n, group) in groups.iter().enumerate() {
        if n > 0 {
            out.push("  ⋯".into());
        }
        for op in group {
            let equal = matches!(op, DiffOp::Equal { .. });
            let mut removed = Vec::new();
            let mut added = Vec::new();
            for (l, r) in rows(left, right, std::slice::from_ref(op)) {
                if equal {
                    if let Some(l) = l {
                        out.push(clip(&format!("  {l}"), width));
                    }
                    continue;
                }
                removed.extend(l.map(|l| marked("-", l)).unwrap_or_default());
                added.extend(r.map(|r| marked("+", r)).unwrap_or_default());
            }
            out.extend(removed);
            out.extend(added);
        }
    }
    out
}

/// `text` in pieces of at most `width` display columns, at most `rows` of
/// them (the last cut with `…` when there is more).
pub fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    let text = text.replace('\t', " ");
    let width = width.max(1);
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(c);
        }
        used += w;
    }
    if pieces.len() > rows.max(1) {
        pieces.truncate(rows.max(1));
        if let Some(last) = pieces.last_mut() {
            *last = clip(&format!("{last}…"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    pieces
}

/// `text` cut to `width` display columns, with `…` where it was cut.
pub fn clip(text: &str, width: usize) -> String {
    let text = text.replace('\t', " ");
    if text.width() <= width {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Prose lines wrap at word boundaries; other lines (diff rows) are
/// already fitted.
fn clip_wrapped(line: &str, width: usize) -> String {
    if line.width() <= width || line.contains(" │ ") {
        return clip(line, width);
    }
    let indent: String = line.chars().take_while(|c| *c == ' ').collect();
    let continuation = format!("{indent}  ");
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        let prefix = if lines.is_empty() && current.is_empty() {
            indent.as_str()
        } else {
            ""
        };
        let candidate = if current.is_empty() {
            format!(
                "{}{prefix}{word}",
                if lines.is_empty() { "" } else { &continuation }
            )
        } else {
            format!("{current} {word}")
        };
        if candidate.width() > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            current = format!("{continuation}{word}");
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
        .iter()
        .map(|l| clip(l, width))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let used = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Header;
    use serde_json::json;

    fn request(beta: &str, tier: bool) -> BisectRequest {
        let mut body = json!({"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]});
        if tier {
            body["service_tier"] = json!("auto");
        }
        BisectRequest {
            method: "POST".into(),
            path: "/v1/messages".into(),
            headers: vec![
                Header::new("anthropic-beta", beta),
                Header::new("anthropic-version", "2023-06-01"),
            ],
            body,
        }
    }

    #[test]
    fn side_by_side_marks_only_the_differences() {
        let left = request("a-1,files-api-2025-04-14", true).display_lines();
        let right = request("a-1", true).display_lines();
        let lines = compare(&left, &right, ("failing", "passing"), 100);
        let text = lines.join("\n");
        assert!(
            lines.iter().any(
                |l| l.starts_with("- anthropic-beta: a-1,files-api-2025-04-14")
                    && l.contains("│ + anthropic-beta: a-1")
            ),
            "{text}"
        );
        assert!(lines.iter().all(|l| l.width() <= 100), "{text}");
        assert!(!text.contains("- \"model\""), "{text}");
    }

    #[test]
    fn narrow_terminals_get_a_unified_diff_that_fits() {
        let left = request("a-1", true).display_lines();
        let right = request("a-1", false).display_lines();
        for width in [20, 40, 79] {
            let lines = compare(&left, &right, ("failing", "passing"), width);
            assert!(lines.iter().all(|l| l.width() <= width), "{lines:#?}");
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("- ") && l.contains("service_tier")),
                "{lines:#?}"
            );
        }
    }

    #[test]
    fn long_identical_runs_are_folded() {
        let left: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
        let mut right = left.clone();
        right[3] = "changed 3".into();
        right[40] = "changed 40".into();
        let lines = compare(&left, &right, ("a", "b"), 100);
        assert!(lines.len() < 20, "{lines:#?}");
        assert!(lines.iter().any(|l| l.contains('⋯')), "{lines:#?}");
    }

    #[test]
    fn changed_lines_wrap_so_the_difference_shows() {
        let left = vec![format!(
            "anthropic-beta: {},files-api-2025-04-14",
            "x".repeat(60)
        )];
        let right = vec![format!("anthropic-beta: {}", "x".repeat(60))];
        for width in [60, 100] {
            let lines = compare(&left, &right, ("failing", "passing"), width);
            assert!(lines.iter().all(|l| l.width() <= width), "{lines:#?}");
            // The left column, read row after row, is the whole line.
            let left_column: String = lines[1..]
                .iter()
                .map(|l| {
                    let cell = l.split(" │").next().unwrap_or_default();
                    cell.strip_prefix("- ")
                        .unwrap_or_default()
                        .trim_end()
                        .to_owned()
                })
                .collect();
            assert_eq!(left_column, left[0], "{lines:#?}");
        }
    }

    #[test]
    fn wrap_keeps_within_width_and_row_limit() {
        assert_eq!(wrap("abcdef", 4, 6), ["abcd", "ef"]);
        assert_eq!(wrap("", 4, 6), [""]);
        let cut = wrap(&"a".repeat(100), 10, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…') && cut[1].width() <= 10, "{cut:?}");
        assert!(wrap("日本語", 3, 6).iter().all(|p| p.width() <= 3));
    }

    #[test]
    fn clip_counts_display_columns() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("日本語です", 5), "日本…");
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abc", 0), "");
    }

    #[test]
    fn the_plan_says_requests_and_tokens() {
        let settings = Settings::default();
        let mut req = request("a-1", true);
        req.body["max_tokens"] = json!(4096);
        let plan = Plan::new(&req, &settings);
        assert_eq!(plan.max_requests, 64);
        assert_eq!(plan.output_tokens_each, 16);
        assert!(plan.lowers_max_tokens);
        let text = plan.describe("https://api.anthropic.com");
        assert!(text.contains("at most 64 requests"), "{text}");
        assert!(text.contains("1,024 in all"), "{text}");
    }
}
