//! How bisect judges one answer against the original failure, and which
//! candidates it need not send at all. Pure: no I/O.

use serde::Serialize;
use serde_json::Value;

use crate::api::errors::{Failure, FailureKind};
use crate::api::lint::{self, LintOptions, Problem};
use crate::exchange::{Exchange, Outcome};

use super::changes::{self, Change};
use super::request::BisectRequest;

/// What one request of the search did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 2xx, and a stream (if any) that ended properly.
    Pass,
    /// The original request failed (there is nothing yet to compare with).
    Failed,
    /// Failed the way the original did.
    SameFailure,
    /// Failed, but some other way (noted; counts as a failure).
    OtherFailure,
    /// 429 or 529: says nothing about the request; wait and send it again.
    Transient,
    /// Nothing came back (DNS, refused, TLS, timeout…).
    Transport,
    /// Interrupted by the user.
    Cancelled,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Failed => "failed",
            Verdict::SameFailure => "same failure",
            Verdict::OtherFailure => "other failure",
            Verdict::Transient => "transient",
            Verdict::Transport => "no response",
            Verdict::Cancelled => "cancelled",
        }
    }
}

/// Judges an exchange against the original failure (`None` while the
/// original itself is being judged).
pub fn judge(exchange: &Exchange, original: Option<&Failure>) -> Verdict {
    match &exchange.outcome {
        Outcome::Ok => Verdict::Pass,
        Outcome::Cancelled => Verdict::Cancelled,
        Outcome::Failed(_) if exchange.response.is_none() => Verdict::Transport,
        Outcome::Failed(failure) if is_transient(failure) => Verdict::Transient,
        Outcome::Failed(failure) => match original {
            None => Verdict::Failed,
            Some(original) if same_failure(original, failure) => Verdict::SameFailure,
            Some(_) => Verdict::OtherFailure,
        },
    }
}

/// Rate limits and overload: the API says so about itself, not about the
/// request.
pub fn is_transient(failure: &Failure) -> bool {
    matches!(
        failure.kind,
        FailureKind::RateLimited | FailureKind::Overloaded
    )
}

/// Same kind of failure and, for a 400, the same field (message numbers
/// aside: `messages.5.content` and `messages.3.content` are the same field
/// once two earlier messages are dropped).
pub fn same_failure(a: &Failure, b: &Failure) -> bool {
    if a.kind != b.kind {
        return false;
    }
    if a.kind != FailureKind::BadRequest {
        return true;
    }
    a.field_path.as_deref().map(without_numbers) == b.field_path.as_deref().map(without_numbers)
}

/// A dotted path with every number replaced by `N`.
fn without_numbers(path: &str) -> String {
    path.split('.')
        .map(|segment| {
            if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
                "N"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The errors lint finds in a request the API validates (`POST` to
/// Messages or count_tokens); nothing for other requests.
pub fn lint_errors(request: &BisectRequest) -> Vec<Problem> {
    let Some(endpoint) = request.api_endpoint() else {
        return Vec::new();
    };
    if !request.method.eq_ignore_ascii_case("POST") {
        return Vec::new();
    }
    lint::validate(
        &request.body,
        &LintOptions::for_request(endpoint, &request.headers),
    )
    .into_iter()
    .filter(Problem::is_error)
    .collect()
}

/// The first error a candidate has that the original did not: such a
/// candidate would only be refused for a new reason, so it is not sent.
pub fn new_lint_error<'a>(original: &[Problem], candidate: &'a [Problem]) -> Option<&'a Problem> {
    new_lint_errors(original, candidate).next()
}

fn new_lint_errors<'a>(
    original: &[Problem],
    candidate: &'a [Problem],
) -> impl Iterator<Item = &'a Problem> {
    let key = |p: &Problem| (without_numbers(&p.path), p.message.clone());
    let known: Vec<_> = original.iter().map(key).collect();
    candidate.iter().filter(move |p| !known.contains(&key(p)))
}

/// Changes to leave out of the search so that all the others together
/// still make a request lint accepts (the search starts from that one):
/// greedily, the change whose absence removes the most new errors first,
/// the later one on ties. Usually none.
pub fn lint_blockers(base: &BisectRequest, all: &[Change], original: &[Problem]) -> Vec<usize> {
    let new_errors = |set: &[usize]| -> usize {
        let chosen: Vec<&Change> = set.iter().filter_map(|&i| all.get(i)).collect();
        let errors = lint_errors(&changes::apply(base, &chosen));
        new_lint_errors(original, &errors).count()
    };
    let mut kept: Vec<usize> = (0..all.len()).collect();
    let mut left_out = Vec::new();
    let mut current = new_errors(&kept);
    while current > 0 {
        let best = (0..kept.len())
            .rev()
            .map(|pos| {
                let mut without = kept.clone();
                without.remove(pos);
                (new_errors(&without), pos)
            })
            .min_by_key(|(errors, _)| *errors);
        match best {
            Some((errors, pos)) if errors < current => {
                left_out.push(kept.remove(pos));
                current = errors;
            }
            _ => break,
        }
    }
    left_out.sort_unstable();
    left_out
}

/// True when a `thinking` setting ties `max_tokens` to a budget, so it
/// cannot simply be lowered.
pub fn thinking_is_on(body: &Value) -> bool {
    body.get("thinking")
        .is_some_and(|t| t.get("type").and_then(Value::as_str) != Some("disabled"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Header;
    use crate::exchange::{ExchangeId, RecordedRequest, RecordedResponse, Timing};
    use serde_json::json;

    fn failure(kind: FailureKind, field: Option<&str>) -> Failure {
        let mut f = Failure::transport(kind, "x");
        f.status = Some(400);
        f.field_path = field.map(str::to_owned);
        f
    }

    fn exchange(outcome: Outcome, answered: bool) -> Exchange {
        Exchange {
            id: ExchangeId::new(),
            started_at: chrono::Utc::now(),
            profile: "t".into(),
            request: RecordedRequest {
                method: "POST".into(),
                url: "http://127.0.0.1/v1/messages".into(),
                headers: vec![],
                body: String::new(),
            },
            response: answered.then(|| RecordedResponse {
                status: 400,
                http_version: "HTTP/1.1".into(),
                headers: vec![Header::new("request-id", "req_1")],
                body: String::new(),
                events: vec![],
                message: None,
                truncated: None,
            }),
            timing: Timing::default(),
            usage: None,
            rate_limits: Default::default(),
            outcome,
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        }
    }

    #[test]
    fn verdicts_follow_the_outcome_and_the_original() {
        let original = failure(FailureKind::BadRequest, Some("messages.5.content"));
        let table = [
            (Outcome::Ok, true, Verdict::Pass),
            (Outcome::Cancelled, true, Verdict::Cancelled),
            (
                Outcome::Failed(failure(FailureKind::BadRequest, Some("messages.3.content"))),
                true,
                Verdict::SameFailure,
            ),
            (
                Outcome::Failed(failure(FailureKind::BadRequest, Some("tools"))),
                true,
                Verdict::OtherFailure,
            ),
            (
                Outcome::Failed(failure(FailureKind::PathNotFound, None)),
                true,
                Verdict::OtherFailure,
            ),
            (
                Outcome::Failed(failure(FailureKind::RateLimited, None)),
                true,
                Verdict::Transient,
            ),
            (
                Outcome::Failed(failure(FailureKind::Overloaded, None)),
                true,
                Verdict::Transient,
            ),
            (
                Outcome::Failed(failure(FailureKind::Dns, None)),
                false,
                Verdict::Transport,
            ),
        ];
        for (outcome, answered, expected) in table {
            let ex = exchange(outcome.clone(), answered);
            assert_eq!(judge(&ex, Some(&original)), expected, "{outcome:?}");
        }
        let any_failure = exchange(
            Outcome::Failed(failure(FailureKind::BadRequest, Some("tools"))),
            true,
        );
        assert_eq!(judge(&any_failure, None), Verdict::Failed);
    }

    #[test]
    fn non_400_failures_compare_by_kind_only() {
        let mut a = failure(FailureKind::Permission, Some("a"));
        let b = failure(FailureKind::Permission, Some("b"));
        assert!(same_failure(&a, &b));
        a.kind = FailureKind::BadRequest;
        assert!(!same_failure(&a, &b));
    }

    #[test]
    fn only_new_lint_errors_rule_a_candidate_out() {
        let request = |body: Value| BisectRequest {
            method: "POST".into(),
            path: "/v1/messages".into(),
            headers: vec![Header::new("anthropic-version", "2023-06-01")],
            body,
        };
        let original = request(json!({
            "model": "claude-sonnet-4-6", "max_tokens": 16, "frequency_penalty": 1,
            "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
        }));
        let original_errors = lint_errors(&original);
        assert_eq!(original_errors.len(), 1, "{original_errors:?}");
        assert!(new_lint_error(&original_errors, &original_errors).is_none());
        let broken = request(json!({
            "model": "claude-sonnet-4-6", "max_tokens": 16, "frequency_penalty": 1,
            "messages": [{"role": "user", "content": ""}]
        }));
        let broken_errors = lint_errors(&broken);
        assert!(new_lint_error(&original_errors, &broken_errors).is_some());
        let mut elsewhere = original.clone();
        elsewhere.path = "/v1/models".into();
        assert!(lint_errors(&elsewhere).is_empty());
    }

    #[test]
    fn changes_that_break_the_simplest_request_are_left_out() {
        let base = BisectRequest {
            method: "POST".into(),
            path: "/v1/messages".into(),
            headers: vec![Header::new("anthropic-version", "2023-06-01")],
            body: json!({
                "model": "claude-sonnet-4-6", "max_tokens": 16, "metadata": {"user_id": "u"},
                "messages": [{"role": "user", "content": "hi"}]
            }),
        };
        // A made-up change list: dropping the only message breaks it.
        let all = [
            Change::RemoveField {
                name: "metadata".into(),
            },
            Change::DropTurns { first: 0, last: 0 },
        ];
        assert_eq!(lint_blockers(&base, &all, &[]), [1]);
        assert!(lint_blockers(&base, &all[..1], &[]).is_empty());
    }

    #[test]
    fn thinking_blocks_the_max_tokens_cap() {
        assert!(thinking_is_on(
            &json!({"thinking": {"type": "enabled", "budget_tokens": 2000}})
        ));
        assert!(!thinking_is_on(&json!({"thinking": {"type": "disabled"}})));
        assert!(!thinking_is_on(&json!({})));
    }
}
