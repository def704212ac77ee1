//! Step 7, Rate limits: how much headroom is left right now, and whether
//! a recent 429 still holds. Read from the rate-limit headers of the
//! probe's answers (fresh) and of the latest Messages exchange in history,
//! and from the 429s in history with their `retry-after`.
//!
//! Gateways and proxies often strip the headers: then every number is
//! "unknown", never zero, and the step says it could not judge.

use chrono::{DateTime, Duration as TimeSpan, Utc};
use serde_json::Value;

use crate::api::errors::FailureKind;
use crate::api::lint;
use crate::api::ratelimit::{LimitWindow, RateLimitSnapshot};
use crate::exchange::Exchange;

use super::history::{ago, relevant, wait_words};
use super::payload::payload;
use super::probe::Probe;
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// How far back a 429 still says something about now.
const RECENT_SECS: i64 = 3600;
/// Below this share of a limit, headroom is "little".
const LOW_SHARE: f64 = 0.1;

pub(super) fn judge(input: &DoctorInput, probe: &Probe) -> StepReport {
    judge_at(input, probe, Utc::now())
}

/// One snapshot and what it came from.
struct Seen<'a> {
    label: String,
    /// Taken by the doctor's own requests just now: shown as it is (a
    /// window that refilled in the milliseconds since is not news).
    fresh: bool,
    snapshot: &'a RateLimitSnapshot,
}

fn judge_at(input: &DoctorInput, probe: &Probe, now: DateTime<Utc>) -> StepReport {
    let recent = relevant(input);
    let mut v = Verdict::default();
    let fresh = probe
        .count_tokens
        .iter()
        .chain([&probe.models])
        .filter_map(|sent| sent.exchange().map(|e| (sent.label.clone(), e)))
        .find(|(_, e)| e.rate_limits.is_known())
        .map(|(label, e)| Seen {
            label: format!("just now, {label}"),
            fresh: true,
            snapshot: &e.rate_limits,
        });
    let last_messages = recent
        .iter()
        .find(|e| super::history::is_messages(e) && e.rate_limits.is_known())
        .map(|e| Seen {
            label: format!(
                "last Messages exchange, {} ago ({})",
                ago(e.started_at, now),
                e.id.as_str()
            ),
            fresh: false,
            snapshot: &e.rate_limits,
        });
    for seen in [&fresh, &last_messages].into_iter().flatten() {
        v.evidence(format!("{}: {}", seen.label, seen.snapshot.summary()));
    }
    let limited: Vec<&Exchange> = recent
        .iter()
        .copied()
        .filter(|e| e.failure_kind() == Some(FailureKind::RateLimited))
        .filter(|e| (now - e.started_at).num_seconds() <= RECENT_SECS)
        .collect();
    let holding = judge_429s(&limited, now, &mut v);
    // The freshest word on each window: a snapshot whose reset has passed
    // says the window refilled, which the headroom below accounts for.
    let best = fresh.as_ref().or(last_messages.as_ref());
    if let Some(seen) = best {
        judge_windows(seen, now, &mut v);
    }
    let Some(seen) = best else {
        if limited.is_empty() {
            let mut report = StepReport::skipped(
                StepId::RateLimits,
                "unknown: no answer carried rate-limit headers (gateways and proxies often strip them) and history has no recent 429",
            );
            report.evidence = v.evidence;
            return report;
        }
        return v.report(StepId::RateLimits, "");
    };
    // A fresh snapshot is taken as it is: its windows are as good as now.
    let refill_at = (!seen.fresh).then_some(now);
    match holding {
        Some(until) => v.evidence(format!(
            "room for no request now: the 429 holds until {} UTC",
            until.format("%H:%M:%S")
        )),
        None => {
            if let Some(line) = allowance(input, seen.snapshot, refill_at) {
                v.evidence(line);
            }
        }
    }
    let passed = format!("headroom now: {}", headroom(seen.snapshot, refill_at));
    v.report(StepId::RateLimits, passed)
}

/// When a 429 stops holding: its `retry-after` after the answer came, or
/// else the latest reset of a window it left empty.
fn limited_until(exchange: &Exchange) -> Option<DateTime<Utc>> {
    let answered = exchange.started_at + millis(exchange.timing.total_ms);
    let retry_after = exchange
        .outcome
        .failure()
        .and_then(|f| f.retry_after_secs)
        .or(exchange.rate_limits.retry_after_secs);
    if let Some(secs) = retry_after {
        let secs = secs.min(crate::api::ratelimit::MAX_RETRY_AFTER_SECS);
        return answered.checked_add_signed(millis(secs * 1000.0));
    }
    exchange
        .rate_limits
        .windows()
        .iter()
        .filter(|(_, w)| w.remaining == Some(0))
        .filter_map(|(_, w)| w.reset)
        .max()
}

fn millis(ms: f64) -> TimeSpan {
    TimeSpan::milliseconds(ms.max(0.0).min(i64::MAX as f64 / 2.0) as i64)
}

/// Judges the recent 429s; returns when the latest stops holding, if it
/// still does.
fn judge_429s(limited: &[&Exchange], now: DateTime<Utc>, v: &mut Verdict) -> Option<DateTime<Utc>> {
    let latest = limited.first()?;
    let message = latest
        .outcome
        .failure()
        .map(|f| super::probe::excerpt(&f.message, None))
        .unwrap_or_default();
    v.evidence(format!(
        "{} request{} answered 429 in the last hour; the latest {} ago ({}): {message}",
        limited.len(),
        if limited.len() == 1 { "" } else { "s" },
        ago(latest.started_at, now),
        latest.id.as_str()
    ));
    match limited_until(latest) {
        Some(until) if until > now => {
            let wait = (until - now).num_milliseconds() as f64 / 1000.0;
            v.fail(
                format!(
                    "rate limited right now: the last request got 429 {} ago, and the limit holds {} more",
                    ago(latest.started_at, now),
                    wait_words(wait)
                ),
                format!(
                    "Wait {} (until {} UTC) before sending again; then slow down: watch the rate-limit gauges, lower max_tokens or the prompt size, or ask for a higher usage tier.",
                    wait_words(wait),
                    until.format("%H:%M:%S"),
                ),
            );
            Some(until)
        }
        _ => {
            v.warn(
            format!(
                "{} request{} got 429 in the last hour (the latest {} ago); the wait is over",
                limited.len(),
                if limited.len() == 1 { "" } else { "s" },
                ago(latest.started_at, now)
            ),
            "Pace requests below the limits (the gauges show them), or let the client retry with retry-after; a higher usage tier raises the limits.",
            );
            None
        }
    }
}

/// Empty or nearly empty windows whose reset is still ahead.
fn judge_windows(seen: &Seen<'_>, now: DateTime<Utc>, v: &mut Verdict) {
    for (label, window) in seen.snapshot.windows() {
        if refilled(window, now) {
            continue;
        }
        let (Some(remaining), Some(limit)) = (window.remaining, window.limit) else {
            continue;
        };
        let resets = reset_words(window, now);
        if remaining == 0 {
            v.fail(
                format!("no {label} left: 0 of {limit}{resets}"),
                format!(
                    "Wait for the reset{resets} before sending. {}",
                    FailureKind::RateLimited.fix()
                ),
            );
        } else if window.remaining_ratio().is_some_and(|r| r < LOW_SHARE) {
            v.warn(
                format!("little headroom: {label} {remaining} of {limit}{resets}"),
                "Slow down or make requests smaller (a lower max_tokens, a shorter prompt) until the window resets.",
            );
        }
    }
}

/// A window that was not full and whose reset time has passed has
/// refilled since it was seen.
fn refilled(window: &LimitWindow, now: DateTime<Utc>) -> bool {
    window.reset.is_some_and(|reset| reset <= now) && window.remaining != window.limit
}

fn reset_words(window: &LimitWindow, now: DateTime<Utc>) -> String {
    window
        .reset_in_secs(now)
        .map(|secs| format!(", resets in {}", wait_words(secs)))
        .unwrap_or_default()
}

/// What is left of a window: its limit when it refilled by `refill_at`
/// (`None`: take the snapshot as it is).
fn left(window: &LimitWindow, refill_at: Option<DateTime<Utc>>) -> (Option<u64>, bool) {
    match refill_at {
        Some(now) if refilled(window, now) => (window.limit, true),
        _ => (window.remaining, false),
    }
}

/// `requests 49/50 · input tokens 19000/20000`, with windows that
/// refilled by `refill_at` at their limit and unknown numbers as `?`.
fn headroom(snapshot: &RateLimitSnapshot, refill_at: Option<DateTime<Utc>>) -> String {
    let parts: Vec<String> = snapshot
        .windows()
        .iter()
        .filter(|(_, w)| w.is_known())
        .map(|(label, w)| {
            let (remaining, refilled) = left(w, refill_at);
            let note = if refilled { " (refilled since)" } else { "" };
            let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
            format!("{label} {}/{}{note}", show(remaining), show(w.limit))
        })
        .collect();
    parts.join(" · ")
}

/// What the headroom allows: about how many more requests like the
/// payload fit before the windows reset (every known window counted,
/// `max_tokens` taken as the output, which is the most it can be).
fn allowance(
    input: &DoctorInput,
    snapshot: &RateLimitSnapshot,
    refill_at: Option<DateTime<Utc>>,
) -> Option<String> {
    let body: Value = serde_json::from_str(&payload(input).text).ok()?;
    let tokens_in = lint::estimate_input_tokens(&body).max(1);
    let tokens_out = body.get("max_tokens").and_then(Value::as_u64).unwrap_or(0);
    let costs = [
        (&snapshot.requests, 1),
        (&snapshot.input_tokens, tokens_in),
        (&snapshot.output_tokens, tokens_out),
        (&snapshot.tokens, tokens_in.saturating_add(tokens_out)),
    ];
    let fits = costs
        .iter()
        .filter(|(_, cost)| *cost > 0)
        .filter_map(|(w, cost)| left(w, refill_at).0.map(|n| n / cost))
        .min()?;
    Some(format!(
        "room for about {fits} more request{} like the payload now (≈{tokens_in} input tokens, max_tokens {tokens_out})",
        if fits == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::StepState;
    use crate::doctor::history::testing::{exchange, now};
    use crate::doctor::probe::testing::{answered, input, probe};

    const KEY: &str = "sk-ant-api03-LimitsTestKey-0123456789abcdefghijklmn-ZZYX";

    fn no_headers() -> Probe {
        probe(
            answered("GET", "/api/hello", 200, "{}"),
            answered("GET", "/v1/models", 200, r#"{"data":[]}"#),
            None,
        )
    }

    fn limits(remaining: &str, reset: &str) -> Vec<(&'static str, String)> {
        vec![
            ("anthropic-ratelimit-requests-limit", "50".into()),
            ("anthropic-ratelimit-requests-remaining", remaining.into()),
            ("anthropic-ratelimit-requests-reset", reset.into()),
            ("anthropic-ratelimit-input-tokens-limit", "20000".into()),
            ("anthropic-ratelimit-input-tokens-remaining", "20000".into()),
        ]
    }

    fn with_history(recent: Vec<Exchange>) -> DoctorInput {
        let mut input = input(KEY);
        input.recent = recent;
        input
    }

    fn borrowed<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        pairs.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }

    #[test]
    fn no_headers_anywhere_is_unknown_never_zero() {
        let r = judge_at(&with_history(Vec::new()), &no_headers(), now());
        assert_eq!(r.state, StepState::Skipped, "{r:#?}");
        assert!(r.finding.starts_with("unknown"), "{}", r.finding);
        assert!(!r.finding.contains(" 0"), "{}", r.finding);
    }

    #[test]
    fn a_429_still_in_effect_fails_with_the_wait() {
        let limited = exchange(
            "/v1/messages",
            429,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
            &[("retry-after", "20")],
            5,
        );
        let r = judge_at(&with_history(vec![limited.clone()]), &no_headers(), now());
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(r.finding.contains("holds 15 s more"), "{}", r.finding);
        let fix = r.fix.unwrap();
        assert!(
            fix.starts_with("Wait 15 s (until 12:00:15 UTC) before sending again"),
            "{fix}"
        );
        // Later, the same 429 is only a warning.
        let later = now() + TimeSpan::seconds(60);
        let r = judge_at(&with_history(vec![limited]), &no_headers(), later);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(r.finding.contains("the wait is over"), "{}", r.finding);
    }

    #[test]
    fn empty_and_low_windows_are_judged_until_they_reset() {
        let empty = limits("0", "2026-11-20T12:00:30Z");
        let seen = exchange("/v1/messages", 200, "{}", &borrowed(&empty), 10);
        let r = judge_at(&with_history(vec![seen.clone()]), &no_headers(), now());
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert_eq!(r.finding, "no requests left: 0 of 50, resets in 30 s");
        let after = now() + TimeSpan::seconds(31);
        let r = judge_at(&with_history(vec![seen]), &no_headers(), after);
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert!(
            r.finding.contains("requests 50/50 (refilled since)"),
            "{}",
            r.finding
        );

        let low = limits("3", "2026-11-20T12:00:30Z");
        let seen = exchange("/v1/messages", 200, "{}", &borrowed(&low), 10);
        let r = judge_at(&with_history(vec![seen]), &no_headers(), now());
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(
            r.finding.starts_with("little headroom: requests 3 of 50"),
            "{}",
            r.finding
        );
    }

    #[test]
    fn the_headroom_says_what_it_allows() {
        let plenty = limits("40", "2026-11-20T12:00:30Z");
        let seen = exchange("/v1/messages", 200, "{}", &borrowed(&plenty), 10);
        let r = judge_at(&with_history(vec![seen]), &no_headers(), now());
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert_eq!(
            r.finding,
            "headroom now: requests 40/50 · input tokens 20000/20000"
        );
        assert!(
            r.evidence
                .iter()
                .any(|e| e.starts_with("room for about 40 more requests like the payload")),
            "{r:#?}"
        );
    }
}
