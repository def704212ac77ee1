//! Rate-limit headers parsed into a snapshot.
//!
//! Gateways and proxies often strip these headers, so every value is an
//! `Option`: an absent header is "unknown", never zero.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::types::{Header, header_value};

/// One limit family (`requests`, `tokens`, …): limit, remaining and reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<DateTime<Utc>>,
}

impl LimitWindow {
    /// True when the server sent at least one of the three headers.
    pub fn is_known(&self) -> bool {
        self.limit.is_some() || self.remaining.is_some() || self.reset.is_some()
    }

    /// Fraction of the limit still available, when both numbers are known.
    pub fn remaining_ratio(&self) -> Option<f64> {
        match (self.remaining, self.limit) {
            (Some(remaining), Some(limit)) if limit > 0 => Some(remaining as f64 / limit as f64),
            _ => None,
        }
    }

    /// Seconds from `now` until the window resets (0 when already past).
    pub fn reset_in_secs(&self, now: DateTime<Utc>) -> Option<f64> {
        self.reset
            .map(|reset| ((reset - now).num_milliseconds() as f64 / 1000.0).max(0.0))
    }
}

/// Everything the rate-limit headers of one response said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RateLimitSnapshot {
    #[serde(default)]
    pub requests: LimitWindow,
    /// The most restrictive token limit in effect.
    #[serde(default)]
    pub tokens: LimitWindow,
    #[serde(default)]
    pub input_tokens: LimitWindow,
    #[serde(default)]
    pub output_tokens: LimitWindow,
    #[serde(default)]
    pub priority_input_tokens: LimitWindow,
    #[serde(default)]
    pub priority_output_tokens: LimitWindow,
    /// From `retry-after-ms`, else `retry-after` (seconds or an HTTP date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<f64>,
    /// `x-should-retry: true|false`, which overrides the SDKs' retry policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_retry: Option<bool>,
}

/// The header prefix of each family, in the order they are shown.
pub const FAMILIES: [(&str, &str); 6] = [
    ("requests", "anthropic-ratelimit-requests"),
    ("tokens", "anthropic-ratelimit-tokens"),
    ("input tokens", "anthropic-ratelimit-input-tokens"),
    ("output tokens", "anthropic-ratelimit-output-tokens"),
    ("priority input tokens", "anthropic-priority-input-tokens"),
    ("priority output tokens", "anthropic-priority-output-tokens"),
];

impl RateLimitSnapshot {
    /// Reads every rate-limit header; `now` resolves an HTTP-date `retry-after`.
    pub fn from_headers(headers: &[Header], now: DateTime<Utc>) -> Self {
        let window = |prefix: &str| parse_window(headers, prefix);
        RateLimitSnapshot {
            requests: window(FAMILIES[0].1),
            tokens: window(FAMILIES[1].1),
            input_tokens: window(FAMILIES[2].1),
            output_tokens: window(FAMILIES[3].1),
            priority_input_tokens: window(FAMILIES[4].1),
            priority_output_tokens: window(FAMILIES[5].1),
            retry_after_secs: retry_after_secs(headers, now),
            should_retry: header_value(headers, "x-should-retry").and_then(|v| {
                match v.trim().to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }
            }),
        }
    }

    /// The families in display order with their labels.
    pub fn windows(&self) -> [(&'static str, &LimitWindow); 6] {
        [
            (FAMILIES[0].0, &self.requests),
            (FAMILIES[1].0, &self.tokens),
            (FAMILIES[2].0, &self.input_tokens),
            (FAMILIES[3].0, &self.output_tokens),
            (FAMILIES[4].0, &self.priority_input_tokens),
            (FAMILIES[5].0, &self.priority_output_tokens),
        ]
    }

    /// True when the response carried any rate-limit header at all.
    pub fn is_known(&self) -> bool {
        self.windows().iter().any(|(_, w)| w.is_known())
    }

    /// A one-line summary such as `requests 999/1000 · tokens 96000/96000`,
    /// or the reason there is nothing to show.
    pub fn summary(&self) -> String {
        if !self.is_known() {
            return "rate limits unknown (the server sent no rate-limit headers)".into();
        }
        let parts: Vec<String> = self
            .windows()
            .iter()
            .filter(|(_, w)| w.is_known())
            .map(|(label, w)| format!("{label} {}/{}", show(w.remaining), show(w.limit)))
            .collect();
        let mut line = parts.join(" · ");
        if let Some(secs) = self.retry_after_secs {
            line.push_str(&format!(" · retry after {secs:.0}s"));
        }
        line
    }
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".into(), |v| v.to_string())
}

fn parse_window(headers: &[Header], prefix: &str) -> LimitWindow {
    let number = |suffix: &str| {
        header_value(headers, &format!("{prefix}-{suffix}")).and_then(|v| v.trim().parse().ok())
    };
    LimitWindow {
        limit: number("limit"),
        remaining: number("remaining"),
        reset: header_value(headers, &format!("{prefix}-reset"))
            .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// `retry-after-ms`, else `retry-after` as seconds (fractions allowed, as
/// the SDKs allow them), else as an HTTP date relative to `now`.
pub fn retry_after_secs(headers: &[Header], now: DateTime<Utc>) -> Option<f64> {
    raw_retry_after_secs(headers, now).map(|secs| secs.min(MAX_RETRY_AFTER_SECS))
}

/// A day: a longer `retry-after` is nonsense (or hostile), and clamping it
/// keeps every countdown and date computed from it in range.
pub const MAX_RETRY_AFTER_SECS: f64 = 86_400.0;

fn raw_retry_after_secs(headers: &[Header], now: DateTime<Utc>) -> Option<f64> {
    if let Some(ms) =
        header_value(headers, "retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(ms / 1000.0);
    }
    let value = header_value(headers, "retry-after")?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(secs);
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(((date.with_timezone(&Utc) - now).num_milliseconds() as f64 / 1000.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_retry_after_is_clamped_to_a_day() {
        let headers = vec![Header::new("retry-after", "99999999999999")];
        assert_eq!(
            retry_after_secs(&headers, Utc::now()),
            Some(MAX_RETRY_AFTER_SECS)
        );
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs.iter().map(|(n, v)| Header::new(*n, *v)).collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn parses_every_family_of_a_real_response() {
        let headers = h(&[
            ("anthropic-ratelimit-requests-limit", "1000"),
            ("anthropic-ratelimit-requests-remaining", "999"),
            ("anthropic-ratelimit-requests-reset", "2025-06-01T12:00:01Z"),
            ("Anthropic-RateLimit-Tokens-Limit", "96000"),
            ("anthropic-ratelimit-tokens-remaining", "96000"),
            (
                "anthropic-ratelimit-tokens-reset",
                "2025-06-01T12:00:01.5+00:00",
            ),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "80000"),
            ("anthropic-ratelimit-output-tokens-limit", "16000"),
            ("anthropic-ratelimit-output-tokens-remaining", "15990"),
            ("anthropic-priority-input-tokens-limit", "5000"),
            ("anthropic-priority-output-tokens-remaining", "100"),
        ]);
        let snap = RateLimitSnapshot::from_headers(&headers, now());
        assert_eq!(snap.requests.limit, Some(1000));
        assert_eq!(snap.requests.remaining, Some(999));
        assert_eq!(snap.requests.reset_in_secs(now()), Some(1.0));
        assert_eq!(snap.tokens.limit, Some(96000));
        assert_eq!(snap.tokens.reset_in_secs(now()), Some(1.5));
        assert_eq!(snap.input_tokens.remaining, Some(80000));
        assert_eq!(snap.output_tokens.remaining, Some(15990));
        assert_eq!(snap.priority_input_tokens.limit, Some(5000));
        assert_eq!(snap.priority_output_tokens.remaining, Some(100));
        assert!(snap.is_known());
        assert_eq!(
            snap.summary(),
            "requests 999/1000 · tokens 96000/96000 · input tokens 80000/80000 · \
             output tokens 15990/16000 · priority input tokens ?/5000 · priority output tokens 100/?"
        );
    }

    #[test]
    fn absent_headers_are_unknown_not_zero() {
        let snap =
            RateLimitSnapshot::from_headers(&h(&[("content-type", "application/json")]), now());
        assert!(!snap.is_known());
        assert_eq!(snap.requests.remaining, None);
        assert_eq!(snap.requests.remaining_ratio(), None);
        assert!(snap.summary().contains("unknown"));
    }

    #[test]
    fn garbage_values_are_unknown() {
        let headers = h(&[
            ("anthropic-ratelimit-requests-limit", "lots"),
            ("anthropic-ratelimit-requests-remaining", "-1"),
            ("anthropic-ratelimit-requests-reset", "tomorrow"),
        ]);
        let snap = RateLimitSnapshot::from_headers(&headers, now());
        assert_eq!(snap.requests, LimitWindow::default());
    }

    #[test]
    fn retry_after_forms() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<f64>);
        let cases: &[Case] = &[
            (&[("retry-after", "7")], Some(7.0)),
            (&[("retry-after", "1.5")], Some(1.5)),
            (
                &[("retry-after-ms", "250"), ("retry-after", "9")],
                Some(0.25),
            ),
            (
                &[("retry-after-ms", "soon"), ("retry-after", "9")],
                Some(9.0),
            ),
            (
                &[("retry-after", "Sun, 01 Jun 2025 12:00:30 GMT")],
                Some(30.0),
            ),
            (
                &[("retry-after", "Sun, 01 Jun 2025 11:00:00 GMT")],
                Some(0.0),
            ),
            (&[("retry-after", "-3")], None),
            (&[("retry-after", "whenever")], None),
            (&[], None),
        ];
        for (headers, want) in cases {
            assert_eq!(retry_after_secs(&h(headers), now()), *want, "{headers:?}");
        }
    }

    #[test]
    fn should_retry_header() {
        let yes = RateLimitSnapshot::from_headers(&h(&[("x-should-retry", "TRUE")]), now());
        let no = RateLimitSnapshot::from_headers(&h(&[("x-should-retry", "false")]), now());
        let odd = RateLimitSnapshot::from_headers(&h(&[("x-should-retry", "maybe")]), now());
        assert_eq!(
            (yes.should_retry, no.should_retry, odd.should_retry),
            (Some(true), Some(false), None)
        );
    }

    #[test]
    fn snapshot_round_trips_through_json() {
        let headers = h(&[
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-reset", "2025-06-01T12:00:01Z"),
            ("retry-after", "3"),
        ]);
        let snap = RateLimitSnapshot::from_headers(&headers, now());
        let back: RateLimitSnapshot =
            serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();
        assert_eq!(back, snap);
    }
}
