//! Step 4, Authentication and permission: does the API take the key, and
//! may the key use Messages? Judged from the [`Probe`]'s authenticated
//! requests: a 401 is the key, a 403 is either the key's permissions or a
//! region/network block (then the key was never looked at), a 200 is a
//! pass.

use crate::api::errors::{Failure, FailureKind};
use crate::config::{Credential, CredentialKind};

use super::configuration::where_keys_go;
use super::probe::{self, Probe, Sent};
use super::reachability::region_fix;
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// Without a key there is nothing to send: no probe needed.
pub(super) fn without_key(input: &DoctorInput) -> Option<StepReport> {
    if input.profile.credential.is_some() {
        return None;
    }
    let mut v = Verdict::default();
    v.fail(
        "no API key or token is configured, so nothing can authenticate",
        where_keys_go(input),
    );
    Some(v.report(StepId::Authentication, ""))
}

pub(super) fn judge(input: &DoctorInput, probe: &Probe) -> StepReport {
    let Some(credential) = &input.profile.credential else {
        return without_key(input)
            .unwrap_or_else(|| StepReport::skipped(StepId::Authentication, "no key"));
    };
    let secret = Some(&credential.secret);
    let who = format!("{} from {}", credential.secret.masked(), credential.source);
    let mut v = Verdict::default();
    v.evidence(format!("key: {who}, sent as {}", header_name(credential)));
    let authenticated = [Some(&probe.models), probe.count_tokens.as_ref()];
    for sent in authenticated.into_iter().flatten() {
        for line in probe::evidence(sent, secret) {
            v.evidence(line);
        }
    }
    let models = &probe.models;
    if let Err(why) = &models.result {
        v.fail(
            format!("the key cannot be sent: {}", probe::scrub(why, secret)),
            format!("Set the key again as one line without spaces, quotes or a newline, where it comes from: {}.", credential.source),
        );
        return v.report(StepId::Authentication, "");
    }
    if models.transport_failure().is_some() {
        return skipped(
            v,
            "not checked: the server could not be reached (see Reachability)",
        );
    }
    if let Some(report) = refused(&mut v, models, &who) {
        return report;
    }
    let count = probe.count_tokens.as_ref();
    if let Some(report) = count.and_then(|c| refused(&mut v, c, &who)) {
        return report;
    }
    if let Some(via) = accepted_by(models).or(count.and_then(accepted_by)) {
        return v.report(StepId::Authentication, format!("key accepted ({who}){via}"));
    }
    let statuses = [Some(models), count]
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} → {}",
                s.label,
                s.status().map_or("no answer".into(), |c| c.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    v.warn(
        format!("the key could not be confirmed: {statuses}"),
        "Check that the base URL points at the API or a gateway that forwards /v1/models or /v1/messages (the Reachability step shows what answered).",
    );
    v.report(StepId::Authentication, "")
}

fn header_name(credential: &Credential) -> &'static str {
    match credential.kind {
        CredentialKind::ApiKey => "x-api-key",
        CredentialKind::Bearer => "Authorization: Bearer",
    }
}

fn skipped(v: Verdict, reason: &str) -> StepReport {
    let mut report = StepReport::skipped(StepId::Authentication, reason);
    report.evidence = v.evidence;
    report
}

/// A refusal that settles the step: the key refused (401), not permitted
/// (403 permission), or never looked at (403 region/network block).
fn refused(v: &mut Verdict, sent: &Sent, who: &str) -> Option<StepReport> {
    let failure: &Failure = sent.failure()?;
    let message = failure.message.as_str();
    match failure.kind {
        FailureKind::Authentication => {
            v.fail(
                format!(
                    "the API refused the key ({who}): {} {message}",
                    failure.status.unwrap_or(401)
                ),
                FailureKind::Authentication.fix(),
            );
            v.evidence(FailureKind::Authentication.explanation());
        }
        FailureKind::Permission => {
            v.fail(
                format!(
                    "the key ({who}) is valid but not permitted: {} {message} ({})",
                    failure.status.unwrap_or(403),
                    sent.label
                ),
                FailureKind::Permission.fix(),
            );
            v.evidence(FailureKind::Permission.explanation());
        }
        FailureKind::RegionBlocked if sent.path == probe::MODELS_PATH => {
            let mut report = StepReport::skipped(
                StepId::Authentication,
                format!(
                    "not checked: {} was refused before the API looked at the key (403 region or network block, see Reachability)",
                    sent.label
                ),
            );
            report.evidence = std::mem::take(&mut v.evidence);
            report.fix = Some(region_fix());
            return Some(report);
        }
        _ => return None,
    }
    Some(std::mem::take(v).report(StepId::Authentication, ""))
}

/// How an answer shows the key was accepted: any 2xx, or an answer the API
/// gives only after it knew the key (a rate limit, an unknown model, a
/// request it judged). `None` when the answer says nothing about the key.
fn accepted_by(sent: &Sent) -> Option<String> {
    let status = sent.status()?;
    let path = sent.path;
    match sent.failure().map(|f| f.kind) {
        None if (200..300).contains(&status) => Some(String::new()),
        Some(FailureKind::RateLimited) => Some(format!(" — {path} is rate limited right now")),
        Some(FailureKind::ModelNotFound | FailureKind::BadRequest | FailureKind::Billing)
            if path == probe::COUNT_TOKENS_PATH =>
        {
            Some(format!(" by {path}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::StepState;
    use crate::doctor::probe::testing::*;

    const KEY: &str = "sk-ant-api03-AuthTestKey-0123456789abcdefghijklmnop-WXYZ";

    fn hello() -> Sent {
        answered("GET", "/api/hello", 200, r#"{"message":"hello"}"#)
    }

    fn models(status: u16, body: &str) -> Sent {
        answered("GET", probe::MODELS_PATH, status, body)
    }

    fn count(status: u16, body: &str) -> Sent {
        answered("POST", probe::COUNT_TOKENS_PATH, status, body)
    }

    fn judged(models: Sent, count: Option<Sent>) -> StepReport {
        let r = judge(&input(KEY), &probe(hello(), models, count));
        for text in r.texts() {
            assert!(!text.contains(&KEY[13..]), "the key leaked: {text}");
        }
        r
    }

    #[test]
    fn accepted_keys_pass_with_the_masked_key_and_its_source() {
        let r = judged(models(200, "{}"), Some(count(200, r#"{"input_tokens":8}"#)));
        assert_eq!(r.state, StepState::Pass);
        assert_eq!(
            r.finding,
            "key accepted (sk-ant-…WXYZ from environment variable ANTHROPIC_API_KEY)"
        );
        // A gateway without /v1/models: count_tokens vouches for the key.
        let r = judged(models(404, ""), Some(count(200, "{}")));
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        let r = judged(
            models(429, &envelope("rate_limit_error", "slow down")),
            None,
        );
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert!(r.finding.contains("rate limited"), "{}", r.finding);
    }

    #[test]
    fn permission_and_region_are_told_apart() {
        let r = judged(
            models(
                403,
                &envelope("permission_error", "Your API key does not have permission"),
            ),
            None,
        );
        assert_eq!(r.state, StepState::Fail);
        assert!(r.finding.contains("not permitted"), "{}", r.finding);
        assert_eq!(r.fix.as_deref(), Some(FailureKind::Permission.fix()));

        let r = judged(
            models(200, "{}"),
            Some(count(
                403,
                &envelope("permission_error", "no access to this model"),
            )),
        );
        assert_eq!(r.state, StepState::Fail);
        assert!(r.finding.contains("count_tokens"), "{}", r.finding);

        let r = judged(
            models(403, &envelope("forbidden", "Request not allowed")),
            None,
        );
        assert_eq!(r.state, StepState::Skipped, "{r:#?}");
        assert!(
            r.finding.contains("region or network block"),
            "{}",
            r.finding
        );
        assert!(r.fix.unwrap().contains("supported-countries"));
    }

    #[test]
    fn refused_keys_fail_with_the_servers_message() {
        let r = judged(
            models(401, &envelope("authentication_error", "invalid x-api-key")),
            None,
        );
        assert_eq!(r.state, StepState::Fail);
        assert!(
            r.finding.ends_with("401 invalid x-api-key"),
            "{}",
            r.finding
        );
        assert_eq!(r.fix.as_deref(), Some(FailureKind::Authentication.fix()));
    }

    #[test]
    fn answers_that_say_nothing_about_the_key_are_a_warning() {
        let r = judged(models(404, ""), Some(count(404, "")));
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(
            r.finding.contains("could not be confirmed"),
            "{}",
            r.finding
        );
        let r = judged(
            models(500, &envelope("api_error", "boom")),
            Some(count(500, "")),
        );
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
    }

    #[test]
    fn unreachable_servers_skip_the_step() {
        let p = probe(
            unanswered("GET", "/api/hello", FailureKind::Dns),
            unanswered("GET", probe::MODELS_PATH, FailureKind::Dns),
            None,
        );
        let r = judge(&input(KEY), &p);
        assert_eq!(r.state, StepState::Skipped);
        assert!(r.finding.contains("see Reachability"), "{}", r.finding);
    }
}
