//! The recent exchanges that speak for this profile: Rate limits and
//! Billing judge only what was sent with the profile's name to its base
//! URL, since limits and credit belong to one key at one server.

use chrono::{DateTime, Utc};

use crate::exchange::Exchange;

use super::DoctorInput;

/// `input.recent` narrowed to this profile and base URL, newest first.
pub(super) fn relevant(input: &DoctorInput) -> Vec<&Exchange> {
    let base = input.profile.base_url.value.trim().trim_end_matches('/');
    input
        .recent
        .iter()
        .filter(|e| e.profile == input.profile.name && on_base(&e.request.url, base))
        .collect()
}

/// True for an exchange with the Messages endpoint (behind any prefix).
pub(super) fn is_messages(exchange: &Exchange) -> bool {
    crate::api::lint::Endpoint::of_path(exchange.request.path())
        == Some(crate::api::lint::Endpoint::Messages)
}

/// True when `url` is `base` or below it (not merely sharing a prefix:
/// `http://host:80` is not under `http://host:8`).
fn on_base(url: &str, base: &str) -> bool {
    url.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
}

/// How long ago `then` was, as people say it: `12 s`, `4 min`, `3 h`, `2 days`.
pub(super) fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// A duration in seconds, rounded up so "wait 0 s" is never said early.
pub(super) fn wait_words(secs: f64) -> String {
    let secs = secs.max(0.0).ceil() as u64;
    match secs {
        0..=119 => format!("{secs} s"),
        _ => format!("{} min {} s", secs / 60, secs % 60),
    }
}

/// Exchanges made by hand, for the judges' tests.
#[cfg(test)]
pub(super) mod testing {
    use chrono::{DateTime, Duration, Utc};

    use crate::api::errors::classify_http;
    use crate::api::ratelimit::RateLimitSnapshot;
    use crate::api::types::Header;
    use crate::exchange::{Exchange, ExchangeId, Outcome, RecordedRequest, RecordedResponse};

    use crate::doctor::probe::testing::BASE;

    pub fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// A `POST {BASE}{path}` answered `status` with `body` and `headers`,
    /// `secs_ago` before [`now`], with the profile `default`.
    pub fn exchange(
        path: &str,
        status: u16,
        body: &str,
        headers: &[(&str, &str)],
        secs_ago: i64,
    ) -> Exchange {
        let headers: Vec<Header> = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
        let started_at = now() - Duration::seconds(secs_ago);
        let outcome = classify_http(status, body, &headers).map_or(Outcome::Ok, Outcome::Failed);
        Exchange {
            id: ExchangeId::new(),
            started_at,
            profile: "default".into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: format!("{BASE}{path}"),
                headers: Vec::new(),
                body: String::new(),
            },
            rate_limits: RateLimitSnapshot::from_headers(&headers, started_at),
            response: Some(RecordedResponse {
                status,
                http_version: "HTTP/1.1".into(),
                headers,
                body: body.into(),
                events: Vec::new(),
                message: None,
                truncated: None,
            }),
            timing: Default::default(),
            usage: None,
            outcome,
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::doctor::probe::testing::input;

    #[test]
    fn only_this_profiles_exchanges_at_its_base_url_count() {
        let mut input = input("sk-ant-api03-HistoryTestKey-0123456789abcdefghijklmn-ABCD");
        let mine = exchange("/v1/messages", 200, "{}", &[], 5);
        let mut other_profile = mine.clone();
        other_profile.profile = "work".into();
        let mut other_host = mine.clone();
        other_host.request.url = "https://api.example.testing/v1/messages".into();
        input.recent = vec![mine.clone(), other_profile, other_host];
        let kept = relevant(&input);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, mine.id);
    }

    #[test]
    fn the_latest_failure_is_the_newest_exchange_when_it_failed() {
        let mut input = input("sk-ant-api03-HistoryTestKey-0123456789abcdefghijklmn-ABCD");
        let refused = exchange("/v1/messages", 429, "{}", &[], 30);
        let ok = exchange("/v1/messages", 200, "{}", &[], 5);
        let mut elsewhere = exchange("/v1/messages", 500, "{}", &[], 1);
        elsewhere.request.url = "https://api.example.testing/v1/messages".into();
        input.recent = vec![elsewhere.clone(), refused.clone()];
        assert_eq!(
            crate::doctor::latest_failure(&input).map(|e| &e.id),
            Some(&refused.id)
        );
        // Fixed since: nothing to explain.
        input.recent = vec![ok, refused];
        assert!(crate::doctor::latest_failure(&input).is_none());
        input.recent = vec![elsewhere];
        assert!(crate::doctor::latest_failure(&input).is_none());
    }

    #[test]
    fn ages_and_waits_read_naturally() {
        let t = now();
        assert_eq!(ago(t - chrono::Duration::seconds(42), t), "42 s");
        assert_eq!(ago(t - chrono::Duration::minutes(5), t), "5 min");
        assert_eq!(ago(t - chrono::Duration::hours(30), t), "30 h");
        assert_eq!(ago(t - chrono::Duration::days(9), t), "9 days");
        assert_eq!(ago(t + chrono::Duration::seconds(3), t), "0 s");
        assert_eq!(wait_words(19.2), "20 s");
        assert_eq!(wait_words(125.0), "2 min 5 s");
        assert_eq!(wait_words(-1.0), "0 s");
    }
}
