//! The requests that Reachability and Authentication judge, sent once per
//! check run through the engine (same client, same headers, same failure
//! classification as a real request):
//!
//! 1. `GET {base}/api/hello`, without credentials: is anything there?
//! 2. `GET {base}/v1/models`, with the profile's credential and headers:
//!    does the API answer, and does it take the key?
//! 3. `POST {base}/v1/messages/count_tokens` with a one-word message, when
//!    the key was not refused outright: does the key reach Messages too?
//!    Token counting is free (it only counts against a requests-per-minute
//!    limit), and a region or network block that lets GETs through shows
//!    up here.

use std::time::{Duration, Instant};

use crate::api::errors::Failure;
use crate::config::{Profile, Secret, display_url};
use crate::engine::client::ClientError;
use crate::engine::{OutgoingRequest, send_once, setup_failure};
use crate::exchange::{Exchange, ExchangeId};
use crate::store::redact::redact_text;

use super::DoctorInput;

pub(super) const HELLO_PATH: &str = "/api/hello";
pub(super) const MODELS_PATH: &str = "/v1/models";
/// What is asked for: [`MODELS_PATH`] with the largest page the API allows.
const MODELS_LIST_PATH: &str = "/v1/models?limit=1000";
pub(super) const COUNT_TOKENS_PATH: &str = "/v1/messages/count_tokens";

/// How much of a response body an evidence line shows.
const BODY_EXCERPT_CHARS: usize = 160;

/// One request of the probe: what was meant, and what happened.
#[derive(Debug)]
pub(super) struct Sent {
    /// The path asked for ([`MODELS_PATH`], …).
    pub path: &'static str,
    /// `GET http://host/v1/models`, as it may be shown.
    pub label: String,
    /// The exchange, or why the request could not be built (nothing sent).
    pub result: Result<Exchange, String>,
}

impl Sent {
    pub fn exchange(&self) -> Option<&Exchange> {
        self.result.as_ref().ok()
    }

    /// The status, when an answer arrived.
    pub fn status(&self) -> Option<u16> {
        self.exchange().and_then(Exchange::status)
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.exchange().and_then(|e| e.outcome.failure())
    }

    /// The transport failure, when no answer arrived at all.
    pub fn transport_failure(&self) -> Option<&Failure> {
        self.exchange()
            .filter(|e| e.response.is_none())
            .and_then(|e| e.outcome.failure())
    }
}

#[derive(Debug)]
pub(crate) struct Probe {
    pub hello: Sent,
    pub models: Sent,
    pub count_tokens: Option<Sent>,
    /// The client the probe used, for the steps that send one more request
    /// to the same base URL (same settings, and its open connection).
    pub client: Option<reqwest::Client>,
}

impl Probe {
    pub async fn run(input: &DoctorInput) -> Probe {
        let deadline = Instant::now() + input.timeout;
        let profile = &input.profile;
        let anonymous = Profile {
            credential: None,
            ..profile.clone()
        };
        let hello = build(&anonymous, "GET", HELLO_PATH, String::new());
        // The whole list in one page (the API's default page is 20), so
        // the Model step can tell "not listed" from "not on this page".
        let models = build(profile, "GET", MODELS_LIST_PATH, String::new());
        // All three go to the same base URL, so one client serves them.
        let client = [&hello, &models]
            .into_iter()
            .find_map(|r| r.as_ref().ok())
            .map(|r| r.client.build());
        let (hello, models) = tokio::join!(
            send(client.as_ref(), hello, HELLO_PATH, deadline),
            send(client.as_ref(), models, MODELS_PATH, deadline),
        );
        let count_tokens = if wants_count_tokens(profile, &models) {
            let body = count_tokens_body(&profile.default_model.value);
            let request = build(profile, "POST", COUNT_TOKENS_PATH, body);
            Some(send(client.as_ref(), request, COUNT_TOKENS_PATH, deadline).await)
        } else {
            None
        };
        Probe {
            hello,
            models,
            count_tokens,
            client: client.and_then(Result::ok),
        }
    }

    /// Every request that was meant, in the order they were made.
    pub fn all(&self) -> impl Iterator<Item = &Sent> {
        [&self.hello, &self.models]
            .into_iter()
            .chain(self.count_tokens.as_ref())
    }
}

pub(super) fn build(
    profile: &Profile,
    method: &str,
    path: &'static str,
    body: String,
) -> Result<OutgoingRequest, (String, String)> {
    OutgoingRequest::for_profile(profile, method, path, body).map_err(|e| {
        let url = crate::engine::request::join_url(&profile.base_url.value, path);
        (format!("{method} {}", display_url(&url)), e.to_string())
    })
}

/// Worth asking Messages only when the key was not refused already (a
/// second refusal would say nothing new) and there is time left.
fn wants_count_tokens(profile: &Profile, models: &Sent) -> bool {
    profile.credential.is_some() && models.status().is_some_and(|s| s != 401 && s != 403)
}

fn count_tokens_body(model: &str) -> String {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "ping"}],
    })
    .to_string()
}

pub(super) async fn send(
    client: Option<&Result<reqwest::Client, ClientError>>,
    request: Result<OutgoingRequest, (String, String)>,
    path: &'static str,
    deadline: Instant,
) -> Sent {
    let mut request = match request {
        Ok(request) => request,
        Err((label, why)) => {
            return Sent {
                path,
                label,
                result: Err(why),
            };
        }
    };
    let label = format!("{} {}", request.method, display_url(&request.url));
    // Never zero: reqwest treats a zero timeout as already expired, which
    // is right, but the engine must still be given a real duration.
    request.timeout = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    let exchange = match client {
        Some(Ok(client)) => send_once(client, &request).await,
        Some(Err(error)) => setup_failure(ExchangeId::new(), &request, error),
        None => {
            return Sent {
                path,
                label,
                result: Err(format!("no client could be set up for {path}")),
            };
        }
    };
    Sent {
        path,
        label,
        result: Ok(exchange),
    }
}

/// Text from the outside world (a body, an error), made safe to show:
/// the profile's own secret masked wherever it appears (a gateway may echo
/// a token that does not look like an Anthropic key), then anything
/// key-shaped.
pub(super) fn scrub(text: &str, secret: Option<&Secret>) -> String {
    let mut text = text.to_owned();
    if let Some(secret) = secret {
        for form in [secret.expose(), secret.expose().trim()] {
            // Too short to be a credential, and masking it would mangle text.
            if form.chars().count() >= 8 {
                text = text.replace(form, &secret.masked());
            }
        }
    }
    redact_text(&text).into_owned()
}

/// A body as one short line.
pub(super) fn excerpt(body: &str, secret: Option<&Secret>) -> String {
    // Scrubbed before it is cut: a cut through a secret would leave a
    // piece of it that no longer matches.
    let body = scrub(body, secret);
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown: String = flat.chars().take(BODY_EXCERPT_CHARS).collect();
    let cut = if flat.chars().count() > BODY_EXCERPT_CHARS {
        "…"
    } else {
        ""
    };
    format!("{shown}{cut}")
}

/// Milliseconds as people read them.
pub(super) fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// Evidence lines for one request: what was sent, what came back (status,
/// error, timing) and the start of the body.
pub(super) fn evidence(sent: &Sent, secret: Option<&Secret>) -> Vec<String> {
    let exchange = match &sent.result {
        Ok(exchange) => exchange,
        Err(why) => return vec![format!("{} not sent: {}", sent.label, scrub(why, secret))],
    };
    let timing = &exchange.timing;
    let mut parts = vec![millis(timing.total_ms)];
    if let Some(dns) = timing.dns_ms {
        parts.push(format!("DNS {}", millis(dns)));
    }
    if let Some(connect) = timing.connect_ms {
        parts.push(format!("connect {}", millis(connect)));
    }
    let took = parts.join(", ");
    let Some(response) = &exchange.response else {
        let why = exchange
            .outcome
            .failure()
            .map(|f| format!("{} ({})", f.kind.slug(), scrub(&f.message, secret)))
            .unwrap_or_else(|| "cancelled".to_owned());
        return vec![format!("{} → no answer after {took}: {why}", sent.label)];
    };
    let mut answer = format!("{} → {}", sent.label, response.status);
    if let Some(failure) = exchange.outcome.failure() {
        let kind = failure.error_type.as_deref().unwrap_or(failure.kind.slug());
        answer.push_str(&format!(" {kind}: {}", scrub(&failure.message, secret)));
    }
    answer.push_str(&format!(" in {took}"));
    let mut lines = vec![answer];
    if let Some(id) = exchange.request_id() {
        lines.push(format!("  request-id: {}", scrub(id, secret)));
    }
    if !response.body.trim().is_empty() {
        lines.push(format!("  body: {}", excerpt(&response.body, secret)));
    }
    lines
}

/// Probes made by hand, for judging tests without a server.
#[cfg(test)]
pub(super) mod testing {
    use super::*;
    use crate::api::errors::{FailureKind, classify_http};
    use crate::exchange::{Outcome, RecordedRequest, RecordedResponse, Timing};

    pub const BASE: &str = "https://api.example.test";

    fn exchange(
        method: &str,
        path: &str,
        response: Option<RecordedResponse>,
        outcome: Outcome,
    ) -> Exchange {
        Exchange {
            id: ExchangeId::new(),
            started_at: chrono::Utc::now(),
            profile: "default".into(),
            request: RecordedRequest {
                method: method.into(),
                url: format!("{BASE}{path}"),
                headers: Vec::new(),
                body: String::new(),
            },
            response,
            timing: Timing {
                total_ms: 12.0,
                ..Timing::default()
            },
            usage: None,
            rate_limits: Default::default(),
            outcome,
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        }
    }

    /// An answer with `status` and `body`, classified as the engine would.
    pub fn answered(method: &str, path: &'static str, status: u16, body: &str) -> Sent {
        let outcome = classify_http(status, body, &[]).map_or(Outcome::Ok, Outcome::Failed);
        let response = RecordedResponse {
            status,
            http_version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: body.into(),
            events: Vec::new(),
            message: None,
            truncated: None,
        };
        Sent {
            path,
            label: format!("{method} {BASE}{path}"),
            result: Ok(exchange(method, path, Some(response), Outcome::Ok)).map(|mut e| {
                e.outcome = outcome;
                e
            }),
        }
    }

    /// No answer: a transport failure of `kind`.
    pub fn unanswered(method: &str, path: &'static str, kind: FailureKind) -> Sent {
        let outcome = Outcome::Failed(Failure::transport(
            kind,
            format!("{} happened", kind.slug()),
        ));
        Sent {
            path,
            label: format!("{method} {BASE}{path}"),
            result: Ok(exchange(method, path, None, outcome)),
        }
    }

    pub fn envelope(kind: &str, message: &str) -> String {
        format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}}}}"#)
    }

    pub fn probe(hello: Sent, models: Sent, count_tokens: Option<Sent>) -> Probe {
        Probe {
            hello,
            models,
            count_tokens,
            client: None,
        }
    }

    /// The judges' input: a key from `ANTHROPIC_API_KEY`, base [`BASE`].
    pub fn input(key: &str) -> DoctorInput {
        use crate::config::{Credential, CredentialKind, Env, Paths, Source, Sourced};
        let mut profile = Profile::builtin();
        profile.base_url = Sourced::new(BASE.into(), Source::Default);
        profile.credential = Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(key),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        });
        DoctorInput {
            profile,
            paths: Paths {
                config_file: "/nonexistent/config.toml".into(),
                data_dir: "/nonexistent/data".into(),
            },
            env: Env::default(),
            timeout: Duration::from_secs(3),
            claude_code: crate::doctor::ClaudeCodeEnv::at(
                "/nonexistent/home",
                "/nonexistent/project",
            ),
            recent: Vec::new(),
            request: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-ProbeTestKey0123456789abcdefghijkl-XYZW";

    #[test]
    fn scrub_masks_the_profiles_own_secret_even_when_it_is_not_key_shaped() {
        let token = Secret::new("gw-token-0123456789abcdef");
        let text = scrub(
            "echo: gw-token-0123456789abcdef and sk-ant-api03-other-key-0000",
            Some(&token),
        );
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("other-key"), "{text}");
        let key = Secret::new(format!("{KEY}\n"));
        let text = scrub(&format!("got {KEY}"), Some(&key));
        assert!(!text.contains(&KEY[13..]), "{text}");
    }

    #[test]
    fn excerpts_are_one_short_line_cut_on_characters() {
        let body = format!("{{\n  \"a\": \"{}\"\n}}", "é".repeat(400));
        let line = excerpt(&body, None);
        assert!(!line.contains('\n'));
        assert!(line.ends_with('…'));
        assert_eq!(line.chars().count(), BODY_EXCERPT_CHARS + 1);
    }

    #[test]
    fn millis_read_naturally() {
        assert_eq!(millis(3.4), "3 ms");
        assert_eq!(millis(2500.0), "2.5 s");
    }
}
