//! Failures the server answered: a non-2xx status, or an `error` event in
//! a stream after a 200. Each kind adds its headline, its plain words, the
//! headers that matter for it and, where the answer says more than the
//! kind does, a sharper fix.

use chrono::{DateTime, Utc};

use crate::api::errors::FailureKind;
use crate::api::lint::{self, PathSegment};
use crate::api::models::{self, Lifecycle};
use crate::api::ratelimit::{FAMILIES, LimitWindow};

use super::decode::{self, clip};
use super::{Draft, lint_recorded, matching_problem, millis, seconds};
use crate::doctor::reachability::region_fix;

/// The official SDKs' retry policy, as users expect it (ANTHROPIC.md).
const SDK_RETRIES: &str = "The official SDKs retry this twice by default: after retry-after when it is between 0 and 60 s, else after 0.5 s doubling up to 8 s; x-should-retry overrides that.";

pub(super) fn explain(d: &mut Draft) {
    if d.failure.mid_stream {
        mid_stream(d);
    }
    match d.failure.kind {
        FailureKind::BadRequest => bad_request(d),
        FailureKind::Billing => billing(d),
        FailureKind::Authentication => authentication(d),
        FailureKind::Permission => permission(d),
        FailureKind::RegionBlocked => region_blocked(d),
        FailureKind::ModelNotFound => model_not_found(d),
        FailureKind::PathNotFound => path_not_found(d),
        FailureKind::RequestTooLarge => too_large(d),
        FailureKind::RateLimited => rate_limited(d),
        FailureKind::Overloaded => overloaded(d),
        FailureKind::ServerError => server_error(d),
        FailureKind::ServerTimeout => server_timeout(d),
        _ => unexpected_status(d),
    }
    not_the_api(d);
}

/// True when the body was the API's error envelope (it names a type).
fn from_the_api(d: &Draft) -> bool {
    d.failure.error_type.is_some()
}

/// Says so when the body is not the API's envelope: something else answered.
fn not_the_api(d: &mut Draft) {
    if !from_the_api(d) && !d.failure.mid_stream {
        d.explain("The body is not the API's error format ({\"type\":\"error\",…}), so something between you and the API answered: a proxy, firewall, gateway or web server. The server and via headers below may name it.");
    }
}

fn status(d: &Draft) -> u16 {
    d.failure.status.or(d.exchange.status()).unwrap_or(0)
}

/// An `error` event after a 200: where in the stream it came, and what
/// had arrived before it.
fn mid_stream(d: &mut Draft) {
    let Some(response) = d.exchange.response.as_ref() else {
        return;
    };
    let events = &response.events;
    let at = events.iter().position(|e| e.event == "error");
    let before = at.unwrap_or(events.len());
    let text = response
        .message
        .as_ref()
        .map_or(0, |m| m.text().chars().count());
    if let Some(event) = at.and_then(|i| events.get(i)) {
        d.evidence(
            "error event",
            format!(
                "+{} (event {} of {})",
                millis(event.at_ms),
                before + 1,
                events.len()
            ),
        );
        d.evidence("error event data", event.data.as_str());
    }
    d.evidence("events before it", before.to_string());
    d.explain(format!(
        "The status was {} and {before} events ({text} characters of text) arrived before the error event; the status code alone cannot show this failure, so a client must watch for `event: error`.",
        response.status
    ));
    d.explain("The partial answer is incomplete: it cannot be resumed, only sent again.");
}

fn bad_request(d: &mut Draft) {
    let decoded = decode::bad_request(&d.failure.message);
    d.summary = decoded.summary.clone();
    for words in &decoded.words {
        d.explain(words.as_str());
    }
    let path = decoded
        .path
        .clone()
        .or_else(|| d.failure.field_path.clone());
    if let Some(header) = path.as_deref().filter(|p| decode::is_header_name(p)) {
        d.show_sent_header(header);
        for other in ["anthropic-version", "anthropic-beta"] {
            if !other.eq_ignore_ascii_case(header) && d.request_header(other).is_some() {
                d.show_sent_header(other);
            }
        }
        d.fix = decoded.fix;
        return;
    }
    if let Some(path) = &path {
        d.evidence("field", path.as_str());
    }
    let problems = lint_recorded(&d.exchange.request);
    let matched = matching_problem(d.failure, &problems);
    show_value_sent(d, path.as_deref(), matched.map(|p| p.location.as_slice()));
    match matched {
        Some(problem) => {
            let at = lint::dotted(&problem.location);
            if let Some(path) = path.as_deref().filter(|p| at.starts_with(&format!("{p}."))) {
                // The API named a coarser path than the problem's place.
                d.summary = d.summary.replacen(path, &at, 1);
                d.explain(format!("Offline lint pinpoints it at {at}."));
            }
            d.evidence("lint", "flags the same problem");
            d.fix = Some(problem.fix.clone());
        }
        None => {
            let errors: Vec<_> = problems.iter().filter(|p| p.is_error()).collect();
            if let Some(first) = errors.first() {
                d.explain(format!(
                    "Offline lint of the recorded body finds {} other error{}; the first: {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    first.api_message()
                ));
            }
            d.fix = decoded.fix.or_else(|| json_hint(d));
        }
    }
}

/// The JSON syntax error in the recorded body, with lint's hint for the
/// classic causes.
fn json_hint(d: &mut Draft) -> Option<String> {
    let error = lint::parse_json(&d.exchange.request.body).err()?;
    d.evidence("parse error", error.to_string());
    error
        .hint
        .map(|hint| format!("{hint} (line {}, column {})", error.line, error.column))
}

/// What the body held at the field the API named (or lint pinpointed).
fn show_value_sent(d: &mut Draft, path: Option<&str>, location: Option<&[PathSegment]>) {
    let location: Vec<PathSegment> = match (location, path) {
        (Some(loc), _) if !loc.is_empty() => loc.to_vec(),
        (_, Some(path)) => path
            .split('.')
            .map(|s| match s.parse::<usize>() {
                Ok(i) => PathSegment::Index(i),
                Err(_) => PathSegment::Key(s.to_owned()),
            })
            .collect(),
        _ => return,
    };
    let Ok(body) = lint::parse_json(&d.exchange.request.body) else {
        return;
    };
    let shown = match lint::walk(&body, &location) {
        Some(value) => clip(&value.to_string(), 120),
        None => "(absent)".into(),
    };
    d.evidence(format!("sent at {}", lint::dotted(&location)), shown);
}

fn billing(d: &mut Draft) {
    let message = d.failure.message.to_ascii_lowercase();
    d.summary = if message.contains("credit balance") {
        "the credit balance is too low".into()
    } else {
        format!("a billing problem: {}", clip(&d.failure.message, 80))
    };
    if status(d) == 400 {
        d.explain("The API sends this as a 400 invalid_request_error, which reads like a request bug; it is not: the same request works once the account has credit.");
    }
    d.show_header("anthropic-organization-id");
}

fn authentication(d: &mut Draft) {
    let message = d.failure.message.to_ascii_lowercase();
    let api_key = d.request_header("x-api-key");
    let bearer = d.request_header("authorization");
    match (api_key, bearer) {
        (Some(key), _) => d.evidence("x-api-key sent", key),
        (None, Some(auth)) => d.evidence("authorization sent", auth),
        (None, None) => d.evidence("credential sent", "none"),
    }
    if let (Some(_), Some(auth)) = (api_key, bearer) {
        d.evidence("authorization sent", auth);
        d.explain("Both x-api-key and Authorization were sent; when they hold different credentials, the one the server reads may not be the one you expect (ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN both set?).");
    }
    d.summary = if api_key.is_none() && bearer.is_none() {
        d.explain("No x-api-key or Authorization header was sent, so no key reached the server.");
        "no key was sent".into()
    } else if message.contains("required") {
        "the server saw no key".into()
    } else {
        let sent = api_key.or(bearer).unwrap_or_default();
        d.explain(format!(
            "The credential sent was {sent}; compare its last four characters with the key in the Claude Console."
        ));
        format!("the key was refused ({})", clip(&d.failure.message, 60))
    };
}

fn permission(d: &mut Draft) {
    d.summary = format!(
        "the key may not use this resource ({})",
        clip(&d.failure.message, 60)
    );
    if let Some(model) = sent_model(d) {
        d.evidence("model sent", model);
    }
    d.show_header("anthropic-organization-id");
}

fn region_blocked(d: &mut Draft) {
    if from_the_api(d) {
        d.summary = format!(
            "{} (a region or network block)",
            clip(&d.failure.message, 60)
        );
        d.explain(format!(
            "The API answered 403 {} \"{}\": typically the request comes from a country or region the API does not serve, or through a network path it blocks.",
            d.failure.error_type.as_deref().unwrap_or_default(),
            d.failure.message
        ));
    } else {
        d.summary = format!(
            "refused by something other than the API ({})",
            clip(&d.failure.message, 80)
        );
    }
    if !d.show_header("anthropic-organization-id") {
        d.evidence(
            "anthropic-organization-id",
            "(absent: the API may not have seen the request)",
        );
    }
    d.fix = Some(region_fix());
}

fn sent_model(d: &Draft) -> Option<String> {
    d.exchange
        .request
        .json()
        .and_then(|body| body.get("model")?.as_str().map(str::to_owned))
}

fn model_not_found(d: &mut Draft) {
    let named = d
        .failure
        .message
        .strip_prefix("model:")
        .map(|m| m.trim().to_owned());
    let Some(model) = named.or_else(|| sent_model(d)) else {
        d.summary = "the model does not exist".into();
        return;
    };
    d.summary = format!("model {model} does not exist");
    d.evidence("model sent", model.as_str());
    if let Some(spec) = models::lookup(&model).filter(|s| s.lifecycle == Lifecycle::Retired) {
        let since = spec
            .retires
            .map(|date| format!(" (end of life {date})"))
            .unwrap_or_default();
        d.explain(format!(
            "{model} is a retired model{since}: the API no longer serves it."
        ));
    }
    let closest = models::closest(&model, 3);
    if let Some(best) = closest.first() {
        d.explain(format!("The closest known ids: {}.", closest.join(", ")));
        d.fix = Some(format!(
            "Use a current model id such as {best}; GET /v1/models lists the ones this key can use."
        ));
    }
}

fn path_not_found(d: &mut Draft) {
    let path = d.exchange.request.path().to_owned();
    d.summary = format!("no such path {path}");
    d.evidence("path", path.as_str());
    if path.contains("/v1/v1/") {
        d.explain("The path has /v1 twice: the base URL ends in /v1, and claudetui adds /v1/messages to it.");
        d.fix = Some("Drop the /v1 from the end of the base URL (https://api.anthropic.com, not https://api.anthropic.com/v1).".into());
    }
}

fn too_large(d: &mut Draft) {
    let bytes = d.exchange.request.body.len();
    let megabytes = bytes as f64 / (1024.0 * 1024.0);
    d.summary = format!("the body is {megabytes:.1} MB, over the 32 MB limit");
    d.evidence("body size", format!("{bytes} bytes ({megabytes:.1} MB)"));
    d.explain("The Messages API takes at most 32 MB per request; images and documents sent as base64 grow by a third.");
}

/// The moment the answer came back: what "resets in" is measured from.
fn answered_at(d: &Draft) -> DateTime<Utc> {
    let ms = d
        .exchange
        .timing
        .headers_ms
        .unwrap_or(d.exchange.timing.total_ms);
    let ms = if ms.is_finite() {
        ms.clamp(0.0, 1e12) as i64
    } else {
        0
    };
    d.exchange
        .started_at
        .checked_add_signed(chrono::Duration::milliseconds(ms))
        .unwrap_or(d.exchange.started_at)
}

/// The limit a 429 message names (`input tokens`, `requests`, …), as the
/// label of its header family.
fn limit_named_in(message: &str) -> Option<&'static str> {
    let lower = message.to_ascii_lowercase();
    if lower.contains("priority") {
        return None;
    }
    if lower.contains("input tokens") || lower.contains("request tokens") {
        Some("input tokens")
    } else if lower.contains("output tokens") {
        Some("output tokens")
    } else if lower.contains("number of requests") || lower.contains(" requests per ") {
        Some("requests")
    } else if lower.contains("tokens") {
        Some("tokens")
    } else {
        None
    }
}

/// `rate limit of 50,000 input tokens per minute` → `50,000 input tokens per minute`.
fn limit_in_words(message: &str) -> Option<String> {
    let start = message.find("rate limit of ")? + "rate limit of ".len();
    let rest = message.get(start..)?;
    let end = rest.find(" per minute")? + " per minute".len();
    rest.get(..end).map(str::to_owned)
}

fn window_words(label: &str, window: &LimitWindow, answered: DateTime<Utc>) -> String {
    let left = match (window.remaining, window.limit) {
        (Some(r), Some(l)) => format!("{r} of {l} left"),
        (Some(r), None) => format!("{r} left"),
        (None, Some(l)) => format!("limit {l}"),
        (None, None) => "numbers unknown".into(),
    };
    let reset = window
        .reset
        .map(|at| {
            let secs = (at - answered).num_milliseconds() as f64 / 1000.0;
            let when = if secs < 1.0 {
                "within a second of the answer".to_owned()
            } else {
                format!("{} after the answer", seconds(secs))
            };
            format!(", resets at {} UTC ({when})", at.format("%H:%M:%S"))
        })
        .unwrap_or_default();
    format!("{label}: {left}{reset}.")
}

fn rate_limited(d: &mut Draft) {
    let snapshot = d.exchange.rate_limits.clone();
    let answered = answered_at(d);
    let exhausted: Vec<&'static str> = snapshot
        .windows()
        .iter()
        .filter(|(_, w)| w.remaining == Some(0))
        .map(|(label, _)| *label)
        .collect();
    let named = limit_named_in(&d.failure.message);
    let which = named.or(exhausted.first().copied());
    let retry_after = d.failure.retry_after_secs.or(snapshot.retry_after_secs);
    let retry = retry_after
        .map(|s| format!("; retry after {}", seconds(s)))
        .unwrap_or_default();
    d.summary = match which {
        Some(label) => format!("the {label} limit was hit{retry}"),
        None => format!("a rate limit was hit{retry}"),
    };
    match (named, limit_in_words(&d.failure.message)) {
        (_, Some(words)) => d.explain(format!("The message names the limit: {words}.")),
        (Some(label), None) => d.explain(format!("The message names the {label} limit.")),
        _ => {}
    }
    if snapshot.is_known() {
        for (label, window) in snapshot.windows() {
            if window.is_known() && (Some(label) == which || window.remaining == Some(0)) {
                d.explain(window_words(label, window, answered));
            }
        }
        if exhausted.is_empty() {
            d.explain("No window in the rate-limit headers is at 0, so the limit hit is one they do not show (the message says which).");
        }
    } else {
        d.explain("The response carried no anthropic-ratelimit-* headers (gateways often strip them), so the numbers are unknown, not zero.");
    }
    if let Some(secs) = retry_after {
        let until = answered
            .checked_add_signed(chrono::Duration::milliseconds(
                (secs.min(crate::api::ratelimit::MAX_RETRY_AFTER_SECS) * 1000.0) as i64,
            ))
            .unwrap_or(answered);
        d.explain(format!(
            "retry-after asks for {} before the next request (until {} UTC).",
            seconds(secs),
            until.format("%H:%M:%S")
        ));
    }
    d.explain(SDK_RETRIES);
    retry_headers(d);
    family_rows(d);
    d.fix = Some(match retry_after {
        Some(secs) => format!(
            "Wait {} (retry-after) before sending again, then slow down: watch the rate-limit gauges, lower max_tokens or the prompt size, or ask for a higher tier.",
            seconds(secs)
        ),
        None => FailureKind::RateLimited.fix().to_owned(),
    });
}

/// One row per rate-limit header family the response carried, its three
/// headers side by side: `anthropic-ratelimit-requests-*` →
/// `limit 50 · remaining 0 · reset 2026-11-25T09:30:30Z`.
fn family_rows(d: &mut Draft) {
    for (_, prefix) in FAMILIES {
        let parts: Vec<String> = ["limit", "remaining", "reset"]
            .iter()
            .filter_map(|suffix| {
                d.response_header(&format!("{prefix}-{suffix}"))
                    .map(|value| format!("{suffix} {}", value.trim()))
            })
            .collect();
        if !parts.is_empty() {
            d.evidence(format!("{prefix}-*"), parts.join(" · "));
        }
    }
}

/// `retry-after`, `retry-after-ms` and `x-should-retry`, and what the last
/// one says.
fn retry_headers(d: &mut Draft) {
    d.show_header("retry-after");
    d.show_header("retry-after-ms");
    match d.response_header("x-should-retry").map(str::trim) {
        Some("true") => {
            d.show_header("x-should-retry");
            d.explain("x-should-retry: true: the server says a retry may succeed.");
        }
        Some("false") => {
            d.show_header("x-should-retry");
            d.explain("x-should-retry: false: the server asks clients not to retry this.");
        }
        _ => {}
    }
}

fn should_not_retry(d: &Draft) -> bool {
    d.response_header("x-should-retry").map(str::trim) == Some("false")
}

/// The fix for a failure a later retry may not meet, with the mid-stream
/// caveat when it came as an event.
fn retry_fix(d: &mut Draft, kind: FailureKind) {
    let mut fix = if should_not_retry(d) {
        "The server asks not to retry this (x-should-retry: false): wait, and check status.anthropic.com.".to_owned()
    } else {
        kind.fix().to_owned()
    };
    if d.failure.mid_stream {
        fix.push_str(" A stream that fails part-way must be sent again from the start.");
    }
    d.fix = Some(fix);
}

fn overloaded(d: &mut Draft) {
    d.summary = if d.failure.mid_stream {
        "the API is overloaded (error event mid-stream)".into()
    } else {
        "the API is overloaded".into()
    };
    d.explain("Overloaded means the API as a whole is short of capacity right now; nothing is wrong with the request, the key or its rate limits.");
    if !d.failure.mid_stream {
        d.explain(SDK_RETRIES);
    }
    retry_headers(d);
    retry_fix(d, FailureKind::Overloaded);
}

fn server_error(d: &mut Draft) {
    let status = status(d);
    d.summary = if from_the_api(d) {
        format!("the server failed ({})", clip(&d.failure.message, 60))
    } else {
        format!(
            "{status} from something in between ({})",
            clip(&d.failure.message, 60)
        )
    };
    if !from_the_api(d) && matches!(status, 502 | 503) {
        d.explain("A 502 or 503 that is not the API's error format usually comes from a proxy or gateway that could not reach the API.");
    }
    if from_the_api(d) && !d.failure.mid_stream {
        d.explain(SDK_RETRIES);
    }
    retry_headers(d);
    retry_fix(d, FailureKind::ServerError);
}

fn server_timeout(d: &mut Draft) {
    let status = status(d);
    d.summary = format!("the server gave up ({})", clip(&d.failure.message, 60));
    if status == 408 {
        d.explain("408 Request Timeout: the server (or a proxy) stopped waiting for the request to arrive in full.");
    }
    retry_headers(d);
    retry_fix(d, FailureKind::ServerTimeout);
}

fn unexpected_status(d: &mut Draft) {
    let status = status(d);
    d.summary = format!(
        "an answer the API does not give ({})",
        clip(&d.failure.message, 60)
    );
    match status {
        300..=399 => {
            let location = d.response_header("location");
            d.show_header("location");
            d.explain(format!(
                "The server redirected the request{}; the API does not redirect, so the base URL points at something else (http:// for https://, a login page, a moved gateway).",
                location.map(|l| format!(" to {l}")).unwrap_or_default()
            ));
        }
        405 => {
            d.explain(format!(
                "405 Method Not Allowed: the server has the path but not for {}; the base URL may point at a web server rather than the API.",
                d.exchange.request.method
            ));
            d.show_header("allow");
        }
        _ => {}
    }
}
