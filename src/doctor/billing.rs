//! Step 8, Billing: a "credit balance is too low" answer (a 400 that
//! looks like a request error) or a `billing_error` anywhere in recent
//! history, or in the doctor's own requests, is called what it is —
//! billing, not a bug in the request — with the fix.

use chrono::{DateTime, Utc};

use crate::api::errors::FailureKind;
use crate::exchange::{Exchange, Outcome};

use super::history::{ago, relevant};
use super::probe::{self, Probe};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// Past this age, an unanswered billing error may have been fixed since.
const STALE_SECS: i64 = 24 * 3600;

pub(super) fn judge(input: &DoctorInput, probe: &Probe) -> StepReport {
    judge_at(input, probe, Utc::now())
}

fn judge_at(input: &DoctorInput, probe: &Probe, now: DateTime<Utc>) -> StepReport {
    let recent = relevant(input);
    let secret = input.profile.credential.as_ref().map(|c| &c.secret);
    let mut v = Verdict::default();
    // The doctor's own answers are the newest of all.
    let own: Vec<&Exchange> = probe.all().filter_map(|s| s.exchange()).collect();
    let seen: Vec<&Exchange> = own.iter().chain(recent.iter()).copied().collect();
    let billing: Vec<&Exchange> = seen
        .iter()
        .copied()
        .filter(|e| e.failure_kind() == Some(FailureKind::Billing))
        .collect();
    let Some(latest) = billing.first() else {
        let scope = match recent.len() {
            0 => "history holds no exchange with this profile yet".to_owned(),
            n => format!(
                "the last {n} exchange{} with this profile",
                if n == 1 { "" } else { "s" }
            ),
        };
        return v.report(
            StepId::Billing,
            format!("no billing error in the doctor's requests or {scope}"),
        );
    };
    let message = latest
        .outcome
        .failure()
        .map(|f| probe::excerpt(&f.message, secret))
        .unwrap_or_default();
    let status = latest.status().map(|s| s.to_string()).unwrap_or_default();
    let in_history = recent
        .iter()
        .filter(|e| e.failure_kind() == Some(FailureKind::Billing))
        .count();
    let in_own = billing.len() - in_history;
    let mut counts = vec![format!(
        "{in_history} of the last {} exchange{} with this profile",
        recent.len(),
        if recent.len() == 1 { "" } else { "s" }
    )];
    if in_own > 0 {
        counts.push(format!("{in_own} of the doctor's {} requests", own.len()));
    }
    v.evidence(format!(
        "refused for billing: {}; the latest {} ago: {} {} → {status} \"{message}\"",
        counts.join(" and "),
        ago(latest.started_at, now),
        latest.request.method,
        crate::config::display_url(&latest.request.url),
    ));
    if let Some(id) = latest.request_id() {
        v.evidence(format!("request-id: {}", probe::scrub(id, secret)));
    }
    v.evidence(FailureKind::Billing.explanation());
    let paid_since = seen
        .iter()
        .take_while(|e| e.started_at >= latest.started_at && e.id != latest.id)
        .find(|e| e.outcome == Outcome::Ok && super::history::is_messages(e));
    if let Some(ok) = paid_since {
        return v.report(
            StepId::Billing,
            format!(
                "a billing error {} ago was followed by a Messages request that succeeded ({} ago): settled",
                ago(latest.started_at, now),
                ago(ok.started_at, now)
            ),
        );
    }
    let finding = format!(
        "billing, not the request: the API answered {status} \"{message}\" ({} ago)",
        ago(latest.started_at, now)
    );
    let fix = format!(
        "{} Once the balance is topped up, the same request goes through as it is.",
        FailureKind::Billing.fix()
    );
    if (now - latest.started_at).num_seconds() > STALE_SECS {
        v.warn(finding, fix);
    } else {
        v.fail(finding, fix);
    }
    v.report(StepId::Billing, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::StepState;
    use crate::doctor::history::testing::{exchange, now};
    use crate::doctor::probe::testing::{answered, input, probe};

    const KEY: &str = "sk-ant-api03-BillingTestKey-0123456789abcdefghijklm-QWER";
    const CREDIT: &str = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}"#;

    fn quiet() -> Probe {
        probe(
            answered("GET", "/api/hello", 200, "{}"),
            answered("GET", "/v1/models", 200, r#"{"data":[]}"#),
            None,
        )
    }

    fn with_history(recent: Vec<Exchange>) -> DoctorInput {
        let mut input = input(KEY);
        input.recent = recent;
        input
    }

    #[test]
    fn nothing_in_history_passes_and_says_so() {
        let r = judge_at(&with_history(Vec::new()), &quiet(), now());
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert!(
            r.finding.contains("history holds no exchange"),
            "{}",
            r.finding
        );
        let ok = exchange("/v1/messages", 200, "{}", &[], 30);
        let r = judge_at(&with_history(vec![ok]), &quiet(), now());
        assert!(
            r.finding.contains("the last 1 exchange with"),
            "{}",
            r.finding
        );
    }

    #[test]
    fn a_credit_error_is_billing_not_a_request_bug() {
        let refused = exchange("/v1/messages", 400, CREDIT, &[], 90);
        let ok_before = exchange("/v1/messages", 200, "{}", &[], 600);
        let r = judge_at(&with_history(vec![refused, ok_before]), &quiet(), now());
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.starts_with(
                "billing, not the request: the API answered 400 \"Your credit balance is too low"
            ),
            "{}",
            r.finding
        );
        let fix = r.fix.unwrap();
        assert!(
            fix.contains("Plans & Billing") && fix.contains("goes through as it is"),
            "{fix}"
        );
    }

    #[test]
    fn a_success_after_the_error_settles_it_and_old_errors_only_warn() {
        let ok_after = exchange("/v1/messages", 200, "{}", &[], 10);
        let refused = exchange("/v1/messages", 400, CREDIT, &[], 90);
        let r = judge_at(
            &with_history(vec![ok_after, refused.clone()]),
            &quiet(),
            now(),
        );
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert!(r.finding.contains("settled"), "{}", r.finding);
        let old = exchange(
            "/v1/messages",
            402,
            r#"{"type":"error","error":{"type":"billing_error","message":"payment failed"}}"#,
            &[],
            3 * 86_400,
        );
        let r = judge_at(&with_history(vec![old]), &quiet(), now());
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
    }
}
