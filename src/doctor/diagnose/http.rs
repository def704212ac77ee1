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

/// Says who answered when it was a gateway, or that something else did
/// when the body is not the API's envelope at all.
fn not_the_api(d: &mut Draft) {
    if let Some(gateway) = d.failure.gateway.clone() {
        answered_by(d, &gateway);
        return;
    }
    if !from_the_api(d) && !d.failure.mid_stream {
        d.explain("The body is not the API's error format ({\"type\":\"error\",…}), so something between you and the API answered: a proxy, firewall, gateway or web server. The server and via headers below may name it.");
    }
}

/// Who answered in the API's place, and what that means.
fn answered_by(d: &mut Draft, by: &crate::api::errors::AnsweredBy) {
    let name = by.name.as_str();
    d.evidence("answered by", name);
    if by.passed_on {
        d.explain(format!(
            "The answer came from {name}, which passed on the Anthropic API's own error (explained above) inside its wrapping. A gateway can also refuse or strip what the API would accept (a beta header, a field), so when the cause is not in the request itself, look at the gateway's settings."
        ));
        return;
    }
    let page = d
        .exchange
        .response
        .as_ref()
        .and_then(|r| crate::api::envelope::page_origin(r.status, &r.body, &r.headers));
    match page.filter(|p| p.name == name) {
        Some(page) => {
            let code = page
                .code
                .map(|c| format!(" (error {c})"))
                .unwrap_or_default();
            let meaning = page.meaning.map(|m| format!(": {m}")).unwrap_or_default();
            d.explain(format!(
                "{name} answered{code}{meaning}. The request never got an answer from the Anthropic API itself."
            ));
        }
        None => d.explain(format!(
            "{name} answered with its own error, not the Anthropic API's: \"{}\".",
            clip(&d.failure.message, 240)
        )),
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
    if content_filtered(d) {
        return;
    }
    let decoded = decode::bad_request(&d.failure.message);
    d.summary = decoded.summary.clone();
    // "… for this model": say which one.
    if let Some(model) = sent_model(d).filter(|_| d.summary.contains("this model")) {
        d.summary = d.summary.replace("this model", &model);
    }
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
    if let Some(path) = path.as_deref()
        && d.failure.message.contains("Extra inputs are not permitted")
        && beta_gated(d, path)
    {
        return;
    }
    if d.failure.message.contains("clear_thinking") {
        let sent = lint::parse_json(&d.exchange.request.body)
            .ok()
            .is_some_and(|body| body.get("context_management").is_some());
        if !sent {
            d.explain("The request as sent has no context_management at all: a proxy or gateway on the way added it (some inject clear_thinking for Claude Code) without the thinking it needs.");
            d.fix = Some("Have the proxy stop adding context_management (or add it only with thinking on), or turn thinking on in the request.".into());
            return;
        }
    }
    if d.failure
        .message
        .contains("does not match the provided media type")
    {
        show_image_format(d, path.as_deref());
    }
    let problems = lint_recorded(&d.exchange.request);
    // Too terse to name a field or a rule (a gateway's "Invalid request"):
    // the rule the body breaks is the best explanation there is.
    let terse = path.is_none() && decoded.fix.is_none();
    let matched = matching_problem(d.failure, &problems, decoded.fix.is_none())
        .or_else(|| lint::first_error(&problems).filter(|_| terse));
    if terse && let Some(problem) = matched {
        d.explain(format!(
            "The server's words do not say which rule was broken; offline lint of the request as sent finds: {}",
            problem.api_message()
        ));
    }
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

/// "Output blocked by content filtering policy": a 400 about the reply,
/// not the request (Anthropic's help centre: the filter keeps Claude from
/// reproducing existing material verbatim).
fn content_filtered(d: &mut Draft) -> bool {
    let lower = d.failure.message.to_ascii_lowercase();
    if !lower.contains("content filtering policy") {
        return false;
    }
    d.explanation.clear();
    d.summary = "the reply was blocked by the API's content filtering".into();
    d.explain("This is not a problem with the request's fields: the API started answering and its content filter blocked the output. The filter guards against reproducing existing material word for word (long passages of published text, licences, large verbatim code).");
    d.explain("Sending the same request again usually fails the same way, since the same conversation leads to the same output.");
    d.fix = Some("Rephrase or split the task so the reply need not quote existing material (ask for a summary or original code instead of a copy), or drop the part of the conversation that asks for it; if ordinary work keeps being blocked, send the request-id to Anthropic support.".into());
    true
}

/// What the image's bytes really are, when the body holds them at `path`
/// (`messages.2.content.0.image.source.base64.data` names the block's
/// `source.data`).
fn show_image_format(d: &mut Draft, path: Option<&str>) {
    let Some(path) = path else { return };
    let Ok(body) = lint::parse_json(&d.exchange.request.body) else {
        return;
    };
    // The API names `….image.source.base64.data`; the body has
    // `….source.data`.
    let pointer: String = path
        .replace(".image.source.base64.data", ".source.data")
        .split('.')
        .map(|segment| format!("/{segment}"))
        .collect();
    let Some(data) = body.pointer(&pointer).and_then(|v| v.as_str()) else {
        return;
    };
    if let Some(real) = crate::api::images::sniff_base64(data) {
        d.evidence("image bytes", format!("{real} (by their first bytes)"));
        d.explain(format!("Its bytes are {real}."));
        d.fix = Some(format!(
            "Set that image's media_type to \"{real}\" (its bytes' real format), or convert the image to the type it declares."
        ));
    }
}

/// A field the API knows only behind an `anthropic-beta` value, refused
/// as unknown: it is the header that is missing (or was stripped on the
/// way), not a typo. True when `path` is such a field.
fn beta_gated(d: &mut Draft, path: &str) -> bool {
    let Some(gated) = crate::api::betas::gating(path) else {
        return false;
    };
    let sent = d.request_header("anthropic-beta").unwrap_or_default();
    let values: Vec<&str> = sent.split(',').map(str::trim).collect();
    let wanted = gated.betas[0];
    d.show_sent_header("anthropic-beta");
    d.summary = format!("{path} needs the anthropic-beta value {wanted}");
    // What decode said (an unknown field, a typo) is not the cause here.
    d.explanation.clear();
    d.explain(format!(
        "`{}` belongs to {}, a beta feature: the API accepts it only when the request's anthropic-beta header carries {}; without it, the API answers as for a field it does not know.",
        gated.field,
        gated.feature,
        gated.betas.join(" or ")
    ));
    if crate::api::betas::enabled(gated, &values) {
        d.explain("This request did carry it, so something on the way refused or stripped it: a gateway or proxy that drops anthropic-beta, or a backend (Bedrock, Vertex, a compatible server) that does not have the feature.");
        d.fix = Some(format!(
            "Make the gateway pass anthropic-beta through unchanged (or point at the API directly to confirm), or remove {path} from the body."
        ));
    } else {
        d.explain(if sent.is_empty() {
            "This request carried no anthropic-beta header at all: the client did not send it, or a gateway or proxy stripped it.".to_owned()
        } else {
            format!("This request's anthropic-beta ({sent}) does not include it.")
        });
        d.fix = Some(format!(
            "Send `anthropic-beta: {wanted}` with the request (Claude Code sends its betas itself: check the gateway passes anthropic-beta through), or remove {path} from the body."
        ));
    }
    true
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
    } else if message.contains("usage limit") || message.contains("spend limit") {
        usage_limit(d);
        "the API usage limit set for the organization is reached".into()
    } else {
        format!("a billing problem: {}", clip(&d.failure.message, 80))
    };
    if status(d) == 400 {
        d.explain("The API sends this as a 400 invalid_request_error, which reads like a request bug; it is not: the same request works once the account has credit.");
    }
    d.show_header("anthropic-organization-id");
}

/// "You have reached your specified API usage limits. You will regain
/// access on 2026-04-01 at 00:00 UTC."
fn usage_limit(d: &mut Draft) {
    let message = &d.failure.message;
    let when = message
        .find("regain access on ")
        .map(|at| &message[at + "regain access on ".len()..])
        .map(|rest| rest.trim_end_matches('.').trim());
    d.explain(format!(
        "The organization (or its workspace) reached the monthly API usage limit set in the Claude Console: a spend cap, not a rate limit and not a request bug; no change to the request helps{}.",
        when.map(|w| format!(", and access comes back on {w}"))
            .unwrap_or_default()
    ));
    d.fix = Some(format!(
        "Wait until {}, or have an admin raise the usage limit in the Claude Console (Settings → Limits) or use a key of another workspace.",
        when.unwrap_or("the limit resets")
    ));
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
    if let Some(gateway) = d.failure.gateway.clone().filter(|g| !g.passed_on) {
        gateway_refused_key(d, &gateway.name);
        return;
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
        format!(
            "the API key or token was refused ({})",
            clip(&d.failure.message, 60)
        )
    };
}

/// A 401 in a gateway's own words: the key it wants is its own, so the
/// Claude Console is the wrong place to look.
fn gateway_refused_key(d: &mut Draft, name: &str) {
    d.summary = format!(
        "{name} refused the key it was sent ({})",
        clip(&d.failure.message, 60)
    );
    d.explanation.clear();
    let openrouter = name == "OpenRouter";
    let bedrock = name == "AWS Bedrock";
    let meaning = if openrouter && d.failure.message.starts_with("User not found") {
        "OpenRouter could not match the key to an account: it was deleted or regenerated, or the value sent is not the key (quotes, spaces or a newline around it in a .env file)."
    } else if bedrock {
        "Bedrock checks the AWS credentials the request was signed with (access key, secret and session token from the environment, AWS_PROFILE or SSO), not an Anthropic key: they are expired, invalid, or not the ones you meant."
    } else {
        "The key is the gateway's own credential, not an Anthropic key: it is missing, mistyped, revoked or sent in a header the gateway does not read."
    };
    d.explain(format!("{name} answered, not the Anthropic API. {meaning}"));
    d.fix = Some(if openrouter {
        "Create or copy a key at openrouter.ai/settings/keys (it starts with sk-or-) and set it without quotes or spaces; an Anthropic key does not work with OpenRouter.".into()
    } else if bedrock {
        "Refresh the AWS credentials (aws sso login --profile NAME, or new keys), check `aws sts get-caller-identity` with the same environment, and if an SSO profile is ignored, export its credentials (aws configure export-credentials --format env).".into()
    } else {
        format!(
            "Use a key issued by {name}, without quotes or spaces, in the header it reads (ask its admin which)."
        )
    });
}

fn permission(d: &mut Draft) {
    if crate::api::errors::is_account_disabled(&d.failure.message.to_ascii_lowercase()) {
        d.summary = format!("the account is disabled ({})", clip(&d.failure.message, 60));
        // Not a missing permission of a valid key: the generic words go.
        d.explanation.clear();
        d.explain("Anthropic disabled the organization, workspace or key this credential belongs to (billing, a policy decision, or an admin). It is an account state, not a request bug: every request with this key fails the same way.");
        d.fix = Some("Sign in to the Claude Console to see why and contact Anthropic support, or use a key from an organization that is active.".into());
        d.show_header("anthropic-organization-id");
        return;
    }
    let lower = d.failure.message.to_ascii_lowercase();
    if crate::api::errors::is_claude_code_only(&lower) {
        d.summary = "a Claude Code subscription token used outside Claude Code".into();
        d.explanation.clear();
        d.explain("The credential is a Claude Pro/Max login token (sk-ant-oat…), which Anthropic allows only for Claude Code itself. It is valid, and nothing in the request is wrong: it is not allowed for this program's requests, despite the 400.");
        d.fix = Some("Give this program a Console API key (sk-ant-api…, sent as x-api-key) instead of the Claude Code login token, or do the work through Claude Code.".into());
        return;
    }
    if lower.trim_end_matches('.') == "operation not allowed" {
        d.summary =
            "the cloud account may not use the model service (Operation not allowed)".into();
        d.explanation.clear();
        d.explain("Bedrock answers \"Operation not allowed\" when AWS has restricted the account's use of Bedrock (often a new account awaiting verification): every model invocation fails, the console playground too. The request and its IAM permissions are not the cause.");
        d.fix = Some("Open a case with AWS Support to verify the account and lift the Bedrock restriction, or call from an account that is not restricted.".into());
        return;
    }
    d.summary = format!(
        "the key may not use this resource ({})",
        clip(&d.failure.message, 60)
    );
    if lower.contains("publisher model") {
        d.explain("On Google Vertex AI a Claude model must be enabled for the Google Cloud project in Model Garden (and offered in the region) before the project may call it.");
        d.fix = Some("Enable the model for the project in Vertex AI Model Garden (accept Anthropic's terms there), or call it from a project and region that has it.".into());
    } else if d
        .failure
        .gateway
        .as_ref()
        .is_some_and(|g| g.name.contains("Bedrock"))
        && lower.contains("access to the model")
    {
        d.explain("On AWS Bedrock each model needs model access granted for the account and region (Bedrock console → Model access) before anyone may invoke it.");
        d.fix = Some("Request model access for this model in the Bedrock console (Model access), in the region you call, or use a model the account already has access to.".into());
    }
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
    let lower = d.failure.message.to_ascii_lowercase();
    if model_not_offered(d, &model, &lower) {
        return;
    }
    if lower.contains("publisher model") {
        let under_google = lower.contains("publishers/google");
        d.explain(format!(
            "Google Vertex AI has no such publisher model. On Vertex, Claude models live under publishers/anthropic and are named with an @ before the date (claude-sonnet-4@20250514, not claude-sonnet-4-20250514){}.",
            if under_google { "; this request looked under publishers/google" } else { "" }
        ));
        d.fix = Some("Use the Vertex AI model name (with @ and the date) of a Claude model enabled in the project's Model Garden, in a region that serves it.".into());
        return;
    }
    if lower.contains("provider") {
        d.explain("The Anthropic API does not speak of providers: this is a proxy or router that has no route for the model (its model list or mapping lacks it).");
        d.fix = Some(format!(
            "Add {model} to the proxy's model list or mapping, or ask for a model the proxy routes."
        ));
        return;
    }
    if let Some(spec) = models::lookup(&model).filter(|s| s.lifecycle_today() == Lifecycle::Retired)
    {
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

/// A model that exists but is not offered here: not on this plan, this
/// gateway's list, this relay's channels, this Azure resource, or any
/// longer on Bedrock. Each says where the list of usable models lives.
fn model_not_offered(d: &mut Draft, model: &str, lower: &str) -> bool {
    let via = d.failure.gateway.as_ref().map(|g| g.name.clone());
    use crate::api::errors::{Unoffered, unoffered_model};
    let Some(unoffered) = unoffered_model(lower) else {
        return false;
    };
    let (summary, words, fix): (String, String, String) = if unoffered == Unoffered::LiteLlmName {
        (
            format!("LiteLLM has no model named {model}"),
            format!(
                "LiteLLM answered: it routes only the model_name entries of its config, and none is {model}. Claude Code asks for its main model and, for background work, its small fast model (ANTHROPIC_SMALL_FAST_MODEL or ANTHROPIC_DEFAULT_HAIKU_MODEL): each must be a model_name there."
            ),
            format!(
                "Add a model_name {model} to the LiteLLM config (or point the client at a model_name it has: ANTHROPIC_MODEL, ANTHROPIC_SMALL_FAST_MODEL)."
            ),
        )
    } else if unoffered == Unoffered::InvalidName && subscription_login(d) {
        (
            format!("{model} is not included in this Claude subscription"),
            format!("The request used a Claude subscription login (an OAuth token), and the plan behind it does not include {model}: with such a token the API answers \"Invalid model name\" for a model the plan lacks (Opus models have needed a Max plan; Pro did not include them)."),
            "Pick a model the plan includes (in Claude Code: /model), upgrade the plan, or use a Console API key, which is billed per token and reaches every model.".into(),
        )
    } else if unoffered == Unoffered::Upstream {
        let who = via.clone().unwrap_or_else(|| "The server".into());
        (
            format!("the upstream behind the gateway does not offer {model}"),
            format!("{who} answered that the model is not supported: it passed the request on, and the upstream account behind it (a Copilot or other provider plan) does not include {model}."),
            "Use a model the upstream account offers (the gateway's GET /v1/models lists them), or a plan that includes this one.".into(),
        )
    } else if unoffered == Unoffered::RelayChannel {
        (
            format!("the relay has no channel for {model}"),
            format!(
                "A one-api/new-api relay answered: none of its channels (the upstream accounts it forwards to) serves {model} for your group. The 503 is its configuration, not load: retrying does not help."
            ),
            format!(
                "Ask the relay's admin to add or enable a channel with {model} for your group, or use a model the relay lists."
            ),
        )
    } else if unoffered == Unoffered::AzureDeployment {
        (
            format!("no Azure deployment named {model}"),
            format!("Azure answered: the resource has no deployment under that name. On Azure AI Foundry the model in a request is a deployment's name, and {model} is not one of this resource's deployments."),
            "Deploy the model in the Azure resource (or a Model Router) and send its deployment name as the model; a deployment created in the last minutes may need a moment.".into(),
        )
    } else if unoffered == Unoffered::EndOfLife {
        (
            format!("{model} has reached end of life here"),
            "The backend no longer serves this model version: its end of life has passed, so every request to it fails the same way.".into(),
            end_of_life_fix(model),
        )
    } else if unoffered == Unoffered::BedrockLegacy {
        (
            format!("{model} is Legacy on Bedrock and this account may no longer use it"),
            "Bedrock closes Legacy models to accounts that have not used them in the last 15 days: the model still exists, but not for this account.".into(),
            format!("Switch to an active model on Amazon Bedrock. {}", end_of_life_fix(model)),
        )
    } else {
        return false;
    };
    d.summary = summary;
    d.explain(words);
    d.fix = Some(fix);
    true
}

/// A Claude subscription login rather than an API key: an `oat` token or
/// the OAuth beta.
fn subscription_login(d: &Draft) -> bool {
    d.request_header("authorization")
        .is_some_and(|a| a.contains("sk-ant-oat"))
        || d.request_header("anthropic-beta")
            .is_some_and(|b| b.contains("oauth-"))
}

fn end_of_life_fix(model: &str) -> String {
    match models::closest(model, 1).first() {
        Some(best) => format!("Use a current model such as {best}."),
        None => "Use a current model.".into(),
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
    d.evidence("body size", format!("{bytes} bytes ({megabytes:.1} MB)"));
    if !from_the_api(d) && megabytes < 32.0 {
        // The API's limit is 32 MB: a smaller body was refused by
        // something in front of it, with a limit of its own.
        d.summary = format!(
            "a proxy in front refused a {megabytes:.1} MB body (the API takes up to 32 MB)"
        );
        d.explanation.clear();
        d.explain("The body is well under the Messages API's 32 MB limit, so the 413 came from a proxy, gateway or web server in front of it, with a smaller limit of its own.");
        d.fix = Some("Raise the body size limit of the proxy or gateway in front of the API (nginx: client_max_body_size), or send a smaller request (fewer or smaller images and documents).".into());
        return;
    }
    d.summary = format!("the body is {megabytes:.1} MB, over the 32 MB limit");
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
/// `40,000 input tokens per minute` from "…exceed the rate limit for your
/// organization (…) of 40,000 input tokens per minute".
fn limit_in_words(message: &str) -> Option<String> {
    let end = message.find(" per minute")? + " per minute".len();
    let head = message.get(..end)?;
    let start = head.rfind(" of ")? + " of ".len();
    let words = head.get(start..)?;
    words
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| words.to_owned())
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

/// "Extra usage is required for long context requests.": a 429 that is an
/// entitlement, not a rate: waiting never helps.
fn extra_usage(d: &mut Draft) -> bool {
    let lower = d.failure.message.to_ascii_lowercase();
    if !lower.contains("extra usage") {
        return false;
    }
    d.summary = "the 1M-token context needs extra usage on this account".into();
    d.explain("This 429 is not a rate limit: the request asked for the 1M-token context window (the context-1m beta, or a model id ending in [1m]), which a subscription serves only with extra usage enabled. Waiting or retrying never helps.");
    let beta = d
        .request_header("anthropic-beta")
        .filter(|b| b.contains("context-1m"));
    if let Some(beta) = beta {
        d.evidence("anthropic-beta sent", beta);
    }
    d.fix = Some("Enable extra usage for the account, or drop the 1M context: remove context-1m from anthropic-beta (in Claude Code, pick the model without [1m]) and stay within the standard 200K context.".into());
    true
}

fn rate_limited(d: &mut Draft) {
    if extra_usage(d) || limited_on_the_api_side(d) {
        return;
    }
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

/// A 429 from the API itself that names no limit and carries none of the
/// rate-limit headers the API sends when one of the caller's own limits is
/// hit ("Rate limited"): Anthropic shedding load, which Claude Code words
/// "Server is temporarily limiting requests (not your usage limit)".
fn limited_on_the_api_side(d: &mut Draft) -> bool {
    let any_limit_header = d.exchange.response.as_ref().is_some_and(|r| {
        r.headers.iter().any(|h| {
            h.name
                .to_ascii_lowercase()
                .starts_with("anthropic-ratelimit")
        })
    });
    let names_a_limit = limit_named_in(&d.failure.message).is_some()
        || d.failure.message.to_ascii_lowercase().contains("limit ");
    if !from_the_api(d) || d.failure.gateway.is_some() || any_limit_header || names_a_limit {
        return false;
    }
    d.summary = "the API is temporarily limiting requests (not your usage limit)".into();
    d.explain("The 429 names no limit and carries none of the anthropic-ratelimit-* headers the API sends when one of your own limits is hit, so it is most likely Anthropic temporarily limiting requests on its side (shedding load in a capacity crunch), not your rate or usage limit. Claude Code words it \"Server is temporarily limiting requests (not your usage limit)\". (A gateway that strips headers can look the same.)");
    d.explain(SDK_RETRIES);
    retry_headers(d);
    d.fix = Some("Nothing in the request or the account needs changing: wait a little and retry (the SDKs and Claude Code retry on their own), and check status.anthropic.com if it persists.".into());
    true
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
    // Bedrock's and Vertex's capacity is the cloud's, not Anthropic's.
    let status_page = match d.failure.gateway.as_ref().map(|g| g.name.as_str()) {
        Some("AWS Bedrock") => Some("the AWS Health Dashboard for the region"),
        Some("Google Vertex AI") => Some("status.cloud.google.com"),
        _ => None,
    };
    if let Some(page) = status_page {
        fix = fix.replace("status.anthropic.com", page);
    }
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
    match d.failure.gateway.as_ref().map(|g| g.name.clone()) {
        Some(cloud) if cloud == "AWS Bedrock" || cloud == "Google Vertex AI" => d.explain(format!(
            "{cloud} is short of capacity for this model in this region right now; nothing is wrong with the request or the credentials. Fewer requests at once, or a cross-region inference profile, helps."
        )),
        _ => d.explain("Overloaded means the API as a whole is short of capacity right now; nothing is wrong with the request, the key or its rate limits."),
    }
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
