//! Step 5, Model: does the server offer the model the request will name?
//! Judged from the probe's `GET /v1/models` (the server's word beats the
//! built-in table), else from its `count_tokens` with that model; the
//! table adds what it knows: a retired id, a deprecated one and its
//! end-of-life date, and the closest ids for a typo.

use crate::api::errors::FailureKind;
use crate::api::models::{self, Lifecycle, ModelSpec};
use crate::api::types::ModelList;

use super::payload::model_of;
use super::probe::{self, Probe, Sent};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// How many ids a "did you mean" offers.
const SUGGESTIONS: usize = 3;

/// The model under test and where it comes from.
fn wanted(input: &DoctorInput) -> (String, String) {
    if let Some(request) = &input.request
        && let Some(model) = model_of(&request.body)
    {
        return (model, format!("the request ({})", request.origin));
    }
    // Without a request of its own, the built-in sample carries the
    // profile's model.
    let model = &input.profile.default_model;
    (model.value.clone(), model.source.to_string())
}

pub(super) fn judge(input: &DoctorInput, probe: &Probe) -> StepReport {
    let (id, from) = wanted(input);
    let mut v = Verdict::default();
    v.evidence(format!("model: {id} (from {from})"));
    let spec = models::lookup(&id);
    describe_spec(spec, &mut v);
    let change = format!("Change it where it is set: {from}.");
    let listed = server_list(&probe.models);
    let found_in_list = listed
        .as_ref()
        .map(|list| list.data.iter().any(|m| m.id == id));
    if let Some(list) = &listed {
        v.evidence(format!(
            "{} lists {} model{}{}",
            probe.models.label,
            list.data.len(),
            if list.data.len() == 1 { "" } else { "s" },
            if list.has_more {
                " and says there are more"
            } else {
                ""
            }
        ));
    }
    lifecycle_problems(&id, spec, found_in_list == Some(true), &change, &mut v);
    match (&listed, found_in_list) {
        (Some(list), Some(true)) => {
            let name = list
                .data
                .iter()
                .find(|m| m.id == id)
                .map(|m| m.display_name.as_str())
                .filter(|n| !n.is_empty());
            let named = name.map(|n| format!(" ({n})")).unwrap_or_default();
            v.report(
                StepId::Model,
                format!("{id}{named} is offered by the server"),
            )
        }
        (Some(list), _) => {
            not_listed(&id, list, &change, &mut v);
            v.report(StepId::Model, "")
        }
        (None, _) => without_list(input, probe, &id, spec, &change, v),
    }
}

/// The list, when `GET /v1/models` answered with one.
fn server_list(sent: &Sent) -> Option<ModelList> {
    let exchange = sent.exchange()?;
    let response = exchange.response.as_ref()?;
    if exchange.outcome.failure().is_some() {
        return None;
    }
    serde_json::from_str(&response.body).ok()
}

fn describe_spec(spec: Option<&ModelSpec>, v: &mut Verdict) {
    match spec {
        Some(spec) => v.evidence(format!(
            "claudetui's table: {}, {}-token context window, up to {} output tokens",
            spec.display_name, spec.context_window, spec.max_output_tokens
        )),
        None => v.evidence("claudetui's table does not know this id"),
    }
}

/// Retired and deprecated ids, from the table. A server that still lists
/// a "retired" id is believed over the table.
fn lifecycle_problems(
    id: &str,
    spec: Option<&ModelSpec>,
    listed: bool,
    change: &str,
    v: &mut Verdict,
) {
    let Some(spec) = spec else {
        return;
    };
    let date = spec.retires.unwrap_or("an earlier date");
    let instead = models::closest(id, SUGGESTIONS).join(", ");
    match spec.lifecycle_today() {
        Lifecycle::Retired if listed => v.evidence(format!(
            "the table says {id} was retired on {date}, but this server still lists it"
        )),
        Lifecycle::Retired => v.fail(
            format!("{id} is a retired model (since {date}): the API answers 404 not_found_error"),
            format!("Use a current model such as {instead}. {change}"),
        ),
        Lifecycle::Deprecated => v.warn(
            format!("{id} is deprecated and retires on {date}"),
            format!("Move to a current model before then, such as {instead}. {change}"),
        ),
        Lifecycle::Active => {}
    }
}

fn not_listed(id: &str, list: &ModelList, change: &str, v: &mut Verdict) {
    let ids: Vec<&str> = list.data.iter().map(|m| m.id.as_str()).collect();
    let near = models::closest_among(id, &ids, SUGGESTIONS);
    let suggestion = if near.is_empty() {
        "Use an id from GET /v1/models".to_owned()
    } else {
        format!("Use one the server lists: {}", near.join(", "))
    };
    if list.has_more {
        v.warn(
            format!(
                "{id} is not among the {} models the server listed in one page (it says there are more)",
                ids.len()
            ),
            format!("Check the id with GET /v1/models/{id}. {suggestion}. {change}"),
        );
    } else {
        v.fail(
            format!("the server does not offer {id}: requests naming it get 404 not_found_error"),
            format!("{suggestion}. {change}"),
        );
    }
}

/// No usable list: the probe's `count_tokens` with this model speaks for
/// it when it was sent with the same id, else the table is all there is.
fn without_list(
    input: &DoctorInput,
    probe: &Probe,
    id: &str,
    spec: Option<&ModelSpec>,
    change: &str,
    mut v: Verdict,
) -> StepReport {
    let secret = input.profile.credential.as_ref().map(|c| &c.secret);
    for line in probe::evidence(&probe.models, secret) {
        v.evidence(line);
    }
    let count = probe
        .count_tokens
        .as_ref()
        .filter(|_| id == input.profile.default_model.value);
    if let Some(count) = count {
        for line in probe::evidence(count, secret) {
            v.evidence(line);
        }
        match count.failure().map(|f| f.kind) {
            None if count.status().is_some() => {
                return v.report(
                    StepId::Model,
                    format!("{id} is accepted by {}", count.label),
                );
            }
            Some(FailureKind::ModelNotFound) => {
                let instead = models::closest(id, SUGGESTIONS).join(", ");
                v.fail(
                    format!(
                        "the server does not know {id}: {} answered 404",
                        count.label
                    ),
                    format!("Use a model id from GET /v1/models, such as {instead}. {change}"),
                );
                return v.report(StepId::Model, "");
            }
            _ => {}
        }
    }
    if spec.is_none() {
        let near = models::closest(id, SUGGESTIONS).join(", ");
        v.warn(
            format!(
                "{id} is not a model id claudetui knows, and the server's list could not be read"
            ),
            format!("Check the id for typos; the closest known ids are {near}. {change}"),
        );
        return v.report(StepId::Model, "");
    }
    let why = match probe.models.status() {
        Some(status) => format!("{} answered {status}", probe.models.label),
        None => format!("{} got no answer", probe.models.label),
    };
    let report = v.report(StepId::Model, "");
    if report.state != super::StepState::Pass {
        return report;
    }
    let mut skipped = StepReport::skipped(
        StepId::Model,
        format!("not checked against the server: {why} (see Reachability and Authentication)"),
    );
    skipped.evidence = report.evidence;
    skipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::StepState;
    use crate::doctor::probe::testing::{answered, envelope, input, probe, unanswered};

    const KEY: &str = "sk-ant-api03-ModelTestKey-0123456789abcdefghijklmno-VWXY";

    fn list(ids: &[&str], has_more: bool) -> Sent {
        let data: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| serde_json::json!({"type": "model", "id": id, "display_name": id.to_uppercase()}))
            .collect();
        let body = serde_json::json!({"data": data, "has_more": has_more}).to_string();
        answered("GET", "/v1/models", 200, &body)
    }

    fn hello() -> Sent {
        answered("GET", "/api/hello", 200, r#"{"message":"hello"}"#)
    }

    fn with_model(model: &str) -> DoctorInput {
        let mut input = input(KEY);
        input.profile.default_model.value = model.into();
        input
    }

    #[test]
    fn a_listed_model_passes() {
        let p = probe(
            hello(),
            list(&["claude-sonnet-4-6", "claude-opus-4-6"], false),
            None,
        );
        let r = judge(&with_model("claude-sonnet-4-6"), &p);
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert_eq!(
            r.finding,
            "claude-sonnet-4-6 (CLAUDE-SONNET-4-6) is offered by the server"
        );
    }

    #[test]
    fn an_unlisted_model_fails_with_the_servers_closest_ids() {
        let p = probe(
            hello(),
            list(
                &["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"],
                false,
            ),
            None,
        );
        let r = judge(&with_model("claude-sonet-4-6"), &p);
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.contains("does not offer claude-sonet-4-6"),
            "{}",
            r.finding
        );
        let fix = r.fix.unwrap();
        assert!(
            fix.starts_with("Use one the server lists: claude-sonnet-4-6"),
            "{fix}"
        );
        assert!(fix.contains("built-in default"), "{fix}");
        // One page that is not the whole list: only a warning.
        let p = probe(hello(), list(&["claude-opus-4-6"], true), None);
        let r = judge(&with_model("claude-sonet-4-6"), &p);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
    }

    #[test]
    fn retired_and_deprecated_ids_are_called_that() {
        let retired = models::all()
            .iter()
            .find(|m| m.lifecycle_today() == Lifecycle::Retired)
            .unwrap();
        let p = probe(hello(), list(&["claude-sonnet-4-6"], false), None);
        let r = judge(&with_model(retired.id), &p);
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(r.finding.contains("is a retired model"), "{}", r.finding);
        // A deprecated id whose end-of-life date has passed is retired.
        let past = models::all().iter().find(|m| {
            m.lifecycle == Lifecycle::Deprecated && m.lifecycle_today() == Lifecycle::Retired
        });
        if let Some(past) = past {
            let r = judge(
                &with_model(past.id),
                &probe(hello(), list(&["claude-sonnet-4-6"], false), None),
            );
            assert!(r.finding.contains("is a retired model"), "{}", r.finding);
        }
        // Only while the date is ahead (the table's dates run out one day).
        let Some(deprecated) = models::all()
            .iter()
            .find(|m| m.lifecycle_today() == Lifecycle::Deprecated)
        else {
            return;
        };
        let p = probe(hello(), list(&[deprecated.id], false), None);
        let r = judge(&with_model(deprecated.id), &p);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(r.finding.contains("retires on"), "{}", r.finding);
    }

    #[test]
    fn without_a_list_count_tokens_or_the_table_decide() {
        let refused = answered("GET", "/v1/models", 404, "not here");
        let count_404 = answered(
            "POST",
            probe::COUNT_TOKENS_PATH,
            404,
            &envelope("not_found_error", "model: claude-nope"),
        );
        let p = probe(hello(), refused, Some(count_404));
        let r = judge(&with_model("claude-nope"), &p);
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.contains("does not know claude-nope"),
            "{}",
            r.finding
        );

        let p = probe(
            hello(),
            unanswered("GET", "/v1/models", FailureKind::ConnectionRefused),
            None,
        );
        let r = judge(&with_model("claude-sonnet-4-6"), &p);
        assert_eq!(r.state, StepState::Skipped, "{r:#?}");
        assert!(
            r.finding.contains("not checked against the server"),
            "{}",
            r.finding
        );
        let r = judge(&with_model("gpt-4o"), &p);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
    }

    #[test]
    fn the_requests_own_model_is_the_one_checked() {
        let mut input = with_model("claude-sonnet-4-6");
        input.request = Some(crate::doctor::DoctorRequest {
            origin: "req.json".into(),
            body: r#"{"model":"claude-opus-4-6"}"#.into(),
        });
        let p = probe(hello(), list(&["claude-sonnet-4-6"], false), None);
        let r = judge(&input, &p);
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.evidence[0].contains("from the request (req.json)"),
            "{r:#?}"
        );
    }
}
