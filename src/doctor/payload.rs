//! Step 6, Payload: would the API take this request, and does it fit the
//! model? First the offline lint (the same validator the embedded server
//! and the composer use), then, when the lint finds nothing the API would
//! refuse, `POST /v1/messages/count_tokens` with the same body (free; the
//! fields count_tokens does not take are left out) and the count against
//! the model's context window.
//!
//! The request is `--request FILE` or the composer's body when given, else
//! the built-in sample with the profile's model.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api::errors::FailureKind;
use crate::api::lint::{self, LintOptions};
use crate::api::models;

use super::probe::{self, COUNT_TOKENS_PATH, Probe, Sent};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// From this share of the context window on, a prompt is "close".
const CLOSE_SHARE: f64 = 0.9;

/// The request the step checks, and where it came from.
#[derive(Debug, Clone)]
pub(super) struct Payload {
    pub origin: String,
    pub text: String,
}

pub(super) fn payload(input: &DoctorInput) -> Payload {
    if let Some(request) = &input.request {
        return Payload {
            origin: request.origin.clone(),
            text: request.body.clone(),
        };
    }
    let sample = crate::tui::samples::default_sample();
    let model = &input.profile.default_model.value;
    let text = match serde_json::from_str::<Value>(sample.body) {
        Ok(Value::Object(mut body)) => {
            body.insert("model".into(), Value::String(model.clone()));
            serde_json::to_string_pretty(&body).unwrap_or_else(|_| sample.body.to_owned())
        }
        _ => sample.body.to_owned(),
    };
    Payload {
        origin: format!(
            "the built-in sample request ({}) with the profile's model",
            sample.name
        ),
        text,
    }
}

/// The model the request names, when it is a JSON object with a string
/// `model`.
pub(super) fn model_of(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .get("model")?
        .as_str()
        .map(str::to_owned)
}

pub(super) async fn check(input: &DoctorInput, probe: &Probe, deadline: Instant) -> StepReport {
    let payload = payload(input);
    let mut v = Verdict::default();
    v.evidence(format!(
        "request: {} ({} bytes)",
        payload.origin,
        payload.text.len()
    ));
    let Some(body) = lint_body(input, &payload, &mut v) else {
        return v.report(StepId::Payload, "");
    };
    let lint_words = "lint found nothing the API would refuse";
    let count = match why_not_counted(input, probe) {
        Some(reason) => {
            v.evidence(format!("count_tokens not sent: {reason}"));
            return v.report(
                StepId::Payload,
                format!("{lint_words}; tokens not counted ({reason})"),
            );
        }
        None => send_count(input, probe, &body, deadline).await,
    };
    for line in probe::evidence(&count, secret(input)) {
        v.evidence(line);
    }
    let counted = judge_count(&count, &body, &mut v, secret(input));
    v.report(StepId::Payload, format!("{lint_words}; {counted}"))
}

fn secret(input: &DoctorInput) -> Option<&crate::config::Secret> {
    input.profile.credential.as_ref().map(|c| &c.secret)
}

/// Lints the request; the body when it is worth counting (no errors).
fn lint_body(input: &DoctorInput, payload: &Payload, v: &mut Verdict) -> Option<Value> {
    let body = match lint::parse_json(&payload.text) {
        Ok(body) => body,
        Err(error) => {
            let fix = error.hint.clone().unwrap_or_else(|| {
                format!(
                    "Fix the JSON at line {}, column {} of {}.",
                    error.line, error.column, payload.origin
                )
            });
            v.fail(
                format!(
                    "{} is not valid JSON: line {}, column {}: {}",
                    payload.origin, error.line, error.column, error.message
                ),
                fix,
            );
            v.evidence(format!("the API would answer: 400 {}", error.api_message()));
            return None;
        }
    };
    let options = LintOptions {
        anthropic_version: Some(input.profile.anthropic_version.value.clone()),
        ..LintOptions::default()
    }
    .with_betas(input.profile.anthropic_beta.iter().map(String::as_str));
    let problems = lint::validate(&body, &options);
    let errors = problems.iter().filter(|p| p.is_error()).count();
    for problem in &problems {
        let words = format!("lint: {}", problem.api_message());
        let answer = format!("{} {}", problem.status, problem.error_type());
        if problem.is_error() {
            v.fail(format!("{words} (the API answers {answer})"), &problem.fix);
        } else if problem.status >= 400 {
            // A warning the API may refuse: an id the table does not know.
            v.warn(
                format!("{words} (the API would answer {answer})"),
                &problem.fix,
            );
        } else {
            v.warn(words, &problem.fix);
        }
    }
    if errors > 0 {
        v.evidence(format!(
            "count_tokens not sent: the API would refuse the request as it is ({errors} lint error{})",
            if errors == 1 { "" } else { "s" }
        ));
        return None;
    }
    Some(body)
}

/// Why counting would say nothing new (the probe already failed the same
/// way); `None` when it is worth a request.
fn why_not_counted(input: &DoctorInput, probe: &Probe) -> Option<&'static str> {
    if input.profile.credential.is_none() {
        return Some("no key is configured (see Authentication)");
    }
    if probe.client.is_none() {
        return Some("no HTTP client could be set up (see Reachability)");
    }
    if probe.models.transport_failure().is_some() {
        return Some("the server could not be reached (see Reachability)");
    }
    match probe.models.failure().map(|f| f.kind) {
        Some(FailureKind::Authentication | FailureKind::Permission) => {
            Some("the key was refused (see Authentication)")
        }
        _ => None,
    }
}

async fn send_count(input: &DoctorInput, probe: &Probe, body: &Value, deadline: Instant) -> Sent {
    let body = count_tokens_body(body).to_string();
    let request = probe::build(&input.profile, "POST", COUNT_TOKENS_PATH, body);
    let client = probe.client.clone().map(Ok);
    // Leave the step a moment to judge what came back.
    let deadline = deadline
        .checked_sub(Duration::from_millis(50))
        .unwrap_or(deadline);
    probe::send(client.as_ref(), request, COUNT_TOKENS_PATH, deadline).await
}

/// The body without the top-level fields count_tokens refuses
/// (`max_tokens`, `stream`, sampling, …), as the lint knows them.
fn count_tokens_body(body: &Value) -> Value {
    let mut counted = body.clone();
    let refused: Vec<String> = lint::validate_count_tokens_request(body)
        .into_iter()
        .filter(|p| p.is_error() && !p.path.contains('.'))
        .filter(|p| p.message == "Extra inputs are not permitted")
        .map(|p| p.path)
        .collect();
    if let Some(object) = counted.as_object_mut() {
        object.retain(|key, _| !refused.contains(key));
    }
    counted
}

/// What the count says; returns the finding's words when it passed.
fn judge_count(
    sent: &Sent,
    body: &Value,
    v: &mut Verdict,
    secret: Option<&crate::config::Secret>,
) -> String {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("?");
    if let Some(failure) = sent.failure() {
        let message = probe::scrub(&failure.message, secret);
        let status = failure.status.map(|s| s.to_string()).unwrap_or_default();
        match failure.kind {
            FailureKind::BadRequest | FailureKind::RequestTooLarge => {
                v.fail(
                    format!("count_tokens refused the request: {status} {message}"),
                    format!("{} {}", failure.explanation(), failure.kind.fix()),
                );
            }
            FailureKind::ModelNotFound => v.warn(
                format!(
                    "tokens not counted: the server does not know the model `{model}` (see Model)"
                ),
                FailureKind::ModelNotFound.fix(),
            ),
            FailureKind::Billing => {
                return "tokens not counted: refused for billing (see Billing)".into();
            }
            FailureKind::RateLimited => {
                return "tokens not counted: rate limited (see Rate limits)".into();
            }
            kind if failure.status.is_none() => {
                return format!("tokens not counted: no answer ({})", kind.slug());
            }
            kind => {
                return format!(
                    "tokens not counted: count_tokens answered {status} {}",
                    kind.slug()
                );
            }
        }
        return String::new();
    }
    let Some(tokens) = sent
        .exchange()
        .and_then(|e| e.response.as_ref())
        .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        .and_then(|answer| answer.get("input_tokens")?.as_u64())
    else {
        return "tokens not counted: count_tokens gave no input_tokens".into();
    };
    let spec = models::lookup(model);
    let max_tokens = body.get("max_tokens").and_then(Value::as_u64);
    let window = spec.map(|s| s.context_window);
    fit_words(model, tokens, max_tokens, window, v)
}

/// How a prompt sits in a context window.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fit {
    /// The window is not known for this model.
    Unknown,
    Fits {
        share: f64,
    },
    /// Within [`CLOSE_SHARE`] of the window.
    Close {
        share: f64,
    },
    /// The prompt fits, but not with `max_tokens` of answer: `room` is left.
    LittleRoom {
        room: u64,
    },
    Over {
        by: u64,
    },
}

fn context_fit(input_tokens: u64, max_tokens: Option<u64>, window: Option<u64>) -> Fit {
    let Some(window) = window.filter(|w| *w > 0) else {
        return Fit::Unknown;
    };
    if input_tokens > window {
        return Fit::Over {
            by: input_tokens - window,
        };
    }
    let share = input_tokens as f64 / window as f64;
    if share >= CLOSE_SHARE {
        return Fit::Close { share };
    }
    let room = window - input_tokens;
    match max_tokens {
        Some(max) if max > room => Fit::LittleRoom { room },
        _ => Fit::Fits { share },
    }
}

fn fit_words(
    model: &str,
    tokens: u64,
    max_tokens: Option<u64>,
    window: Option<u64>,
    v: &mut Verdict,
) -> String {
    let window_words = |w: u64| format!("{model}'s {w}-token context window");
    match (context_fit(tokens, max_tokens, window), window) {
        (Fit::Over { by }, Some(w)) => {
            v.fail(
                format!("{tokens} input tokens: over {} by {by}; the API answers 400 \"prompt is too long: {tokens} tokens > {w} maximum\"", window_words(w)),
                "Shorten the prompt: drop or summarise early turns, and trim long documents and tool results; or use a model with a larger context window.",
            );
            String::new()
        }
        (Fit::Close { share }, Some(w)) => {
            v.warn(
                format!("{tokens} input tokens fill {:.0}% of {}", share * 100.0, window_words(w)),
                "Trim the conversation before it outgrows the window: past it, the API refuses the request (\"prompt is too long\").",
            );
            String::new()
        }
        (Fit::LittleRoom { room }, Some(w)) => {
            v.warn(
                format!(
                    "{tokens} input tokens leave {room} tokens of {} for the answer, less than max_tokens {}",
                    window_words(w),
                    max_tokens.unwrap_or_default()
                ),
                format!("Lower max_tokens to {room} or less, or shorten the prompt, so the whole answer fits in the window."),
            );
            String::new()
        }
        (Fit::Fits { share }, Some(w)) => format!(
            "{tokens} input tokens, {} of {}",
            percent(share),
            window_words(w)
        ),
        _ => format!(
            "{tokens} input tokens (the context window of {model} is not in claudetui's model table)"
        ),
    }
}

/// `12%`, or `<1%` for a sliver.
fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.01 {
        "<1%".into()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::probe::testing::{answered, envelope, input};
    use crate::doctor::{DoctorRequest, StepState};

    const KEY: &str = "sk-ant-api03-PayloadTestKey-0123456789abcdefghijklm-RSTU";

    #[test]
    fn the_context_window_verdict() {
        assert_eq!(context_fit(10, Some(100), None), Fit::Unknown);
        assert_eq!(context_fit(10, None, Some(0)), Fit::Unknown);
        assert_eq!(
            context_fit(1_000, Some(64), Some(200_000)),
            Fit::Fits { share: 0.005 }
        );
        assert_eq!(
            context_fit(200_001, None, Some(200_000)),
            Fit::Over { by: 1 }
        );
        assert_eq!(
            context_fit(200_000, None, Some(200_000)),
            Fit::Close { share: 1.0 }
        );
        assert_eq!(
            context_fit(180_000, None, Some(200_000)),
            Fit::Close { share: 0.9 }
        );
        assert_eq!(
            context_fit(150_000, Some(64_000), Some(200_000)),
            Fit::LittleRoom { room: 50_000 }
        );
        assert_eq!(
            context_fit(150_000, Some(50_000), Some(200_000)),
            Fit::Fits { share: 0.75 }
        );
        assert_eq!(percent(0.004), "<1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.5), "50%");
    }

    #[test]
    fn the_count_is_judged_against_the_window() {
        let body = serde_json::json!({"model": "claude-sonnet-4-5", "max_tokens": 1000});
        let judge = |tokens: u64| {
            let sent = answered(
                "POST",
                COUNT_TOKENS_PATH,
                200,
                &format!(r#"{{"input_tokens":{tokens}}}"#),
            );
            let mut v = Verdict::default();
            let words = judge_count(&sent, &body, &mut v, None);
            v.report(StepId::Payload, words)
        };
        let r = judge(12);
        assert_eq!(r.state, StepState::Pass, "{r:#?}");
        assert_eq!(
            r.finding,
            "12 input tokens, <1% of claude-sonnet-4-5's 200000-token context window"
        );
        let r = judge(190_000);
        assert_eq!(r.state, StepState::Warn, "{r:#?}");
        assert!(r.finding.contains("fill 95%"), "{}", r.finding);
        let r = judge(215_000);
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.contains("215000 tokens > 200000 maximum"),
            "{}",
            r.finding
        );
        assert!(r.fix.unwrap().starts_with("Shorten the prompt"));
    }

    #[test]
    fn a_refused_count_is_the_payloads_problem_only_when_it_is_the_requests() {
        let body = serde_json::json!({"model": "claude-sonnet-4-5"});
        let bad = answered(
            "POST",
            COUNT_TOKENS_PATH,
            400,
            &envelope(
                "invalid_request_error",
                "messages.0.content: Field required",
            ),
        );
        let mut v = Verdict::default();
        let words = judge_count(&bad, &body, &mut v, None);
        let r = v.report(StepId::Payload, words);
        assert_eq!(r.state, StepState::Fail);
        assert!(
            r.finding.contains("messages.0.content: Field required"),
            "{}",
            r.finding
        );
        let limited = answered(
            "POST",
            COUNT_TOKENS_PATH,
            429,
            &envelope("rate_limit_error", "slow down"),
        );
        let mut v = Verdict::default();
        let words = judge_count(&limited, &body, &mut v, None);
        let r = v.report(StepId::Payload, words);
        assert_eq!(r.state, StepState::Pass);
        assert!(r.finding.contains("see Rate limits"), "{}", r.finding);
    }

    #[test]
    fn count_tokens_gets_the_body_without_the_fields_it_refuses() {
        let body = serde_json::json!({
            "model": "claude-sonnet-4-5", "max_tokens": 10, "stream": true,
            "temperature": 0.5, "system": "be brief",
            "messages": [{"role": "user", "content": "hi"}]
        });
        let counted = count_tokens_body(&body);
        let keys: Vec<&str> = counted
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["model", "system", "messages"]);
    }

    #[tokio::test]
    async fn lint_errors_fail_the_step_before_anything_is_sent() {
        let mut input = input(KEY);
        input.request = Some(DoctorRequest {
            origin: "req.json".into(),
            body: r#"{"model": "claude-sonnet-4-5", "max_token": 10, "messages": []}"#.into(),
        });
        let probe = crate::doctor::probe::testing::probe(
            answered("GET", "/api/hello", 200, "{}"),
            answered("GET", "/v1/models", 200, r#"{"data":[]}"#),
            None,
        );
        let r = check(&input, &probe, Instant::now() + Duration::from_secs(1)).await;
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.starts_with("lint: max_tokens: Field required"),
            "{}",
            r.finding
        );
        assert!(
            r.evidence
                .iter()
                .any(|e| e.contains("count_tokens not sent")),
            "{r:#?}"
        );
        assert!(r.fix.is_some());

        input.request = Some(DoctorRequest {
            origin: "req.json".into(),
            body: "{\"model\": \"x\",}".into(),
        });
        let r = check(&input, &probe, Instant::now() + Duration::from_secs(1)).await;
        assert_eq!(r.state, StepState::Fail, "{r:#?}");
        assert!(
            r.finding.starts_with("req.json is not valid JSON: line 1"),
            "{}",
            r.finding
        );
    }

    #[test]
    fn the_sample_carries_the_profiles_model() {
        let mut input = input(KEY);
        input.profile.default_model.value = "claude-opus-4-6".into();
        let p = payload(&input);
        assert_eq!(model_of(&p.text).as_deref(), Some("claude-opus-4-6"));
        assert!(p.origin.contains("built-in sample"), "{}", p.origin);
    }
}
