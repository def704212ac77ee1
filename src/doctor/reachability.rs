//! Step 3, Reachability: does anything answer at the base URL, and is it
//! the API? Judged from the [`Probe`]: a transport failure is named with
//! the engine's classification (DNS, refused, TLS, proxy, timeout), a 403
//! that is a region or network block is called that, and an answer that
//! is not the API's (a 404 at a doubled path, a proxy's page) is a warning.

use std::time::Duration;

use crate::api::errors::{Failure, FailureKind};

use super::probe::{self, Probe, Sent};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// Where to read which countries the API serves.
pub(super) const SUPPORTED_COUNTRIES: &str = "https://www.anthropic.com/supported-countries";

pub(super) fn judge(input: &DoctorInput, probe: &Probe) -> StepReport {
    let secret = input.profile.credential.as_ref().map(|c| &c.secret);
    let host = host_of(&input.profile.base_url.value);
    let mut v = Verdict::default();
    for sent in probe.all() {
        for line in probe::evidence(sent, secret) {
            v.evidence(line);
        }
    }
    if let Some(failure) = probe.all().find_map(Sent::transport_failure) {
        transport_problem(failure, &host, input.timeout, &mut v);
    }
    if let Some((sent, failure)) = probe.all().find_map(|s| {
        s.failure()
            .filter(|f| f.kind == FailureKind::RegionBlocked)
            .map(|f| (s, f))
    }) {
        v.fail(
            format!(
                "{} → {} \"{}\": refused before the API looked at it, a region or network block",
                sent.label,
                failure.status.unwrap_or(403),
                probe::scrub(&failure.message, secret)
            ),
            region_fix(),
        );
        v.evidence(FailureKind::RegionBlocked.explanation());
    }
    answer_problems(probe, &mut v);
    let passed = match (probe.models.status(), probe.hello.status()) {
        (Some(status), _) => format!(
            "{host} answers: {} → {status}{}",
            probe::MODELS_PATH,
            took(&probe.models)
        ),
        (None, Some(status)) => format!(
            "{host} answers: {} → {status}{}",
            probe::HELLO_PATH,
            took(&probe.hello)
        ),
        (None, None) => format!("{host} was not asked: no request could be built"),
    };
    // Neither request could even be built (a header that cannot be sent).
    if let (Err(why), Err(_)) = (&probe.hello.result, &probe.models.result) {
        v.fail(
            format!("nothing was sent: {}", probe::scrub(why, secret)),
            "Fix the setting the message names; the Configuration step shows where each setting comes from.",
        );
    }
    v.report(StepId::Reachability, passed)
}

fn took(sent: &Sent) -> String {
    sent.exchange()
        .map(|e| format!(" in {}", probe::millis(e.timing.total_ms)))
        .unwrap_or_default()
}

/// `host:port` of the base URL, for findings.
pub(super) fn host_of(base: &str) -> String {
    reqwest::Url::parse(base.trim())
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| crate::config::display_url(base))
}

/// A timeout in words: `5 s`, `0.5 s`.
pub(super) fn seconds(timeout: Duration) -> String {
    let secs = timeout.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// The finding and fix for "nothing answered within the limit", shared
/// with the runner's own per-step limit.
pub(super) fn timeout_words(host: &str, timeout: Duration) -> (String, String) {
    (
        format!("{host} did not answer within {}", seconds(timeout)),
        format!(
            "Check the network path to {host}: a firewall or VPN that drops the connection, a proxy this terminal should use (HTTPS_PROXY), or a DNS resolver that does not answer. `curl -v` on the base URL shows where it stops."
        ),
    )
}

fn transport_problem(failure: &Failure, host: &str, timeout: Duration, v: &mut Verdict) {
    let kind = failure.kind;
    let (finding, fix) = match kind {
        FailureKind::Timeout => timeout_words(host, timeout),
        FailureKind::Dns => (
            format!("the host name {} does not resolve", host_name(host)),
            kind.fix().to_owned(),
        ),
        FailureKind::ConnectionRefused => (
            format!("connection refused at {host}: nothing listens there"),
            kind.fix().to_owned(),
        ),
        FailureKind::Tls => (
            format!("the TLS handshake with {host} failed"),
            kind.fix().to_owned(),
        ),
        FailureKind::Proxy => (
            format!("the proxy could not open a connection to {host}"),
            kind.fix().to_owned(),
        ),
        FailureKind::ConnectionReset => (
            format!("{host} closed the connection before answering"),
            kind.fix().to_owned(),
        ),
        _ => (
            format!("{host} could not be reached ({})", kind.slug()),
            kind.fix().to_owned(),
        ),
    };
    v.fail(finding, fix);
    // The error itself is on the request's evidence line.
    v.evidence(format!("{}: {}", kind.slug(), kind.explanation()));
}

/// `host` of `host:port` (an IPv6 literal keeps its brackets).
fn host_name(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    }
}

pub(super) fn region_fix() -> String {
    format!(
        "{} The API serves only supported countries and regions: {SUPPORTED_COUNTRIES}.",
        FailureKind::RegionBlocked.fix()
    )
}

/// Answers that arrived but are not what the API sends at these paths.
fn answer_problems(probe: &Probe, v: &mut Verdict) {
    let models = probe.models.failure();
    match models.map(|f| f.kind) {
        Some(FailureKind::PathNotFound) => v.warn(
            format!(
                "{} answered 404: the server has no such path",
                probe.models.label
            ),
            FailureKind::PathNotFound.fix(),
        ),
        Some(kind @ (FailureKind::UnexpectedStatus | FailureKind::MalformedResponse)) => v.warn(
            format!("{} got an answer that is not the API's", probe.models.label),
            kind.fix(),
        ),
        Some(
            kind
            @ (FailureKind::ServerError | FailureKind::Overloaded | FailureKind::ServerTimeout),
        ) => v.warn(
            format!(
                "the server answers, but with {} to {}",
                probe.models.status().unwrap_or_default(),
                probe.models.label
            ),
            kind.fix(),
        ),
        _ => {}
    }
    let hello_refused = probe.hello.status().is_some_and(|s| s >= 300)
        && probe.hello.failure().map(|f| f.kind) != Some(FailureKind::RegionBlocked);
    // A wrong base path fails both alike: the 404 above already says so.
    let models_answered = probe.models.status().is_some()
        && probe.models.failure().map(|f| f.kind) != Some(FailureKind::PathNotFound);
    if hello_refused && models_answered {
        v.warn(
            format!(
                "{} answered {}, not 200: Claude Code's connectivity probe would fail here",
                probe.hello.label,
                probe.hello.status().unwrap_or_default()
            ),
            "If Claude Code uses this base URL, make the gateway answer GET and HEAD /api/hello with 200; other clients do not need it.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::StepState;
    use crate::doctor::probe::testing::*;

    const KEY: &str = "sk-ant-api03-ReachTestKey-0123456789abcdefghijklmnop-QRST";

    fn ok(path: &'static str) -> Sent {
        answered("GET", path, 200, r#"{"message":"hello"}"#)
    }

    #[test]
    fn a_transport_failure_names_its_kind_and_fix() {
        for kind in [
            FailureKind::Dns,
            FailureKind::ConnectionRefused,
            FailureKind::Tls,
            FailureKind::Proxy,
            FailureKind::ConnectionReset,
        ] {
            let p = probe(
                unanswered("GET", "/api/hello", kind),
                unanswered("GET", "/v1/models", kind),
                None,
            );
            let r = judge(&input(KEY), &p);
            assert_eq!(r.state, StepState::Fail, "{kind:?}");
            assert_eq!(r.fix.as_deref(), Some(kind.fix()), "{kind:?}");
            assert!(
                r.evidence.iter().any(|e| e.contains(kind.explanation())),
                "{r:#?}"
            );
            assert!(r.finding.contains("api.example.test"), "{}", r.finding);
        }
        let p = probe(
            unanswered("GET", "/api/hello", FailureKind::Timeout),
            unanswered("GET", "/v1/models", FailureKind::Timeout),
            None,
        );
        let r = judge(&input(KEY), &p);
        assert_eq!(r.finding, "api.example.test did not answer within 3 s");
        assert!(r.fix.unwrap().contains("network path"));
    }

    #[test]
    fn a_403_that_is_not_the_apis_envelope_is_a_network_block() {
        let page = "<html><title>Access Denied by Corporate Proxy</title></html>";
        let p = probe(
            answered("GET", "/api/hello", 403, page),
            answered("GET", "/v1/models", 403, page),
            None,
        );
        let r = judge(&input(KEY), &p);
        assert_eq!(r.state, StepState::Fail);
        assert!(
            r.finding.contains("Access Denied by Corporate Proxy"),
            "{}",
            r.finding
        );
        assert!(r.fix.unwrap().contains(SUPPORTED_COUNTRIES));
    }

    #[test]
    fn answers_that_are_not_the_apis_are_warnings() {
        let p = probe(
            ok("/api/hello"),
            answered("GET", "/v1/models", 502, "Bad Gateway"),
            None,
        );
        let r = judge(&input(KEY), &p);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(r.finding.contains("502"), "{}", r.finding);
        let p = probe(
            answered("GET", "/api/hello", 404, ""),
            ok("/v1/models"),
            None,
        );
        let r = judge(&input(KEY), &p);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(r.finding.contains("Claude Code"), "{}", r.finding);
        let p = probe(ok("/api/hello"), ok("/v1/models"), None);
        let r = judge(&input(KEY), &p);
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert_eq!(
            r.finding,
            "api.example.test answers: /v1/models → 200 in 12 ms"
        );
    }

    #[test]
    fn a_body_that_echoes_the_key_is_masked() {
        let echo = format!("{{\"seen\":\"{KEY}\"}}");
        let p = probe(
            ok("/api/hello"),
            answered("GET", "/v1/models", 500, &echo),
            None,
        );
        let r = judge(&input(KEY), &p);
        for text in r.texts() {
            assert!(!text.contains(&KEY[13..]), "{text}");
        }
    }

    #[test]
    fn host_names_lose_their_port_only() {
        assert_eq!(host_name("example.com:8080"), "example.com");
        assert_eq!(host_name("example.com"), "example.com");
        assert_eq!(host_name("[::1]:4747"), "[::1]");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
    }
}
