//! The requests Claude Code makes, replayed through its own settings (same
//! proxies, same extra CA file) with the engine, so they are sent, timed
//! and classified as every other request of claudetui:
//!
//! 1. while onboarding is not complete (and not `--offline`), its
//!    first-start connectivity check, `GET https://api.anthropic.com/api/hello`
//!    and `GET https://platform.claude.com/v1/oauth/hello`, which ignore
//!    `ANTHROPIC_BASE_URL` and must answer 200; once onboarding is complete
//!    Claude Code never contacts them, so neither does the replay;
//! 2. when `ANTHROPIC_BASE_URL` is set, the gateway probes of newer builds,
//!    `HEAD <base-url>` and `HEAD <base-url>/api/hello`;
//! 3. with a key, the Messages request Claude Code really sends: the newest
//!    one the tap captured from it, else the built-in shape of
//!    [`crate::api::claude_code`]. When the answer names a beta value or a
//!    field of it, that part is taken out and the request sent again, so
//!    every part the gateway refuses is named; when nothing is named, the
//!    request Claude Code sends with its experimental betas off is tried,
//!    and — to tell a refused shape from a refused key — the same question
//!    asked plainly, as curl would.
//!
//! All of it is bounded by one deadline. The probes carry no credential;
//! the fixed hosts get no custom headers either (those are meant for the
//! gateway, and may hold its secrets).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::api::claude_code as shape;
use crate::api::errors::FailureKind;
use crate::api::types::Header;
use crate::config::{Profile, Source, Sourced, display_url};
use crate::engine::OutgoingRequest;
use crate::engine::client::{ClientError, ClientSettings};
use crate::exchange::{Exchange, Source as ExchangeSource};

use super::ProbeOverride;
use super::setup::Setup;
use crate::doctor::probe::{Sent, send};

pub(super) const API_HELLO: &str = "https://api.anthropic.com/api/hello";
pub(super) const OAUTH_HELLO: &str = "https://platform.claude.com/v1/oauth/hello";
pub(super) const HELLO_PATH: &str = "/api/hello";
const OAUTH_HELLO_PATH: &str = "/v1/oauth/hello";
const ROOT_PATH: &str = "";
pub(super) const BETA_MESSAGES_PATH: &str = shape::MESSAGES_PATH;
pub(super) const PLAIN_MESSAGES_PATH: &str = "/v1/messages";

/// Small: the answer is not the point, only whether one comes.
const MAX_TOKENS: u64 = 32;
const PROMPT: &str = "Reply with the single word OK.";
/// How many named parts are taken out, one resend each, at most.
const MAX_CULPRITS: usize = 4;
/// Top-level fields that are never "a part Claude Code adds": without
/// them there is no Messages request to send.
const ESSENTIAL_FIELDS: [&str; 3] = ["model", "messages", "max_tokens"];

/// Where the replayed Messages request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ShapeOrigin {
    /// A request the tap captured from Claude Code.
    Captured {
        id: String,
        at: DateTime<Utc>,
        client: String,
    },
    /// [`crate::api::claude_code`]'s.
    BuiltIn,
}

/// A Messages request as Claude Code sends it, to be replayed.
#[derive(Debug, Clone)]
pub(super) struct Shape {
    pub origin: ShapeOrigin,
    /// The API path and query (`/v1/messages?beta=true`).
    pub path: String,
    /// What goes besides the profile's own headers and credential.
    pub headers: Vec<Header>,
    pub body: Value,
}

/// A part of the request a refusal named, taken out for the next send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Beta(String),
    Field(String),
}

impl Part {
    pub fn name(&self) -> &str {
        match self {
            Part::Beta(name) | Part::Field(name) => name,
        }
    }

    pub fn words(&self) -> String {
        match self {
            Part::Beta(value) => format!("the anthropic-beta value `{value}`"),
            Part::Field(name) => format!("the field `{name}`"),
        }
    }
}

/// A named part and the answer that named it.
#[derive(Debug, Clone)]
pub(super) struct Culprit {
    pub part: Part,
    pub answer: Refusal,
}

impl Shape {
    /// The newest Messages request the tap captured from Claude Code in
    /// `recent` (newest first), else the built-in one for the setup's model.
    pub fn choose(setup: &Setup, recent: &[Exchange]) -> Shape {
        // One sent to this base URL first: the user may have moved on.
        let base = setup.profile.base_url.value.trim_end_matches('/');
        let here = recent
            .iter()
            .filter(|e| e.request.url.starts_with(base))
            .find_map(Shape::captured);
        let mut shape = here
            .or_else(|| recent.iter().find_map(Shape::captured))
            .unwrap_or_else(|| Shape::built_in(setup));
        let with_key = setup
            .profile
            .credential
            .as_ref()
            .is_some_and(|c| c.kind == crate::config::CredentialKind::ApiKey);
        if with_key {
            // A capture made with a subscription login carries its OAuth
            // beta; replayed with a key, that beta would be "refused".
            for beta in shape
                .betas()
                .into_iter()
                .filter(|b| b.starts_with("oauth-"))
            {
                shape = shape.without(&Part::Beta(beta));
            }
        }
        shape
    }

    fn captured(exchange: &Exchange) -> Option<Shape> {
        let client = exchange.client.as_ref()?.user_agent.as_deref()?;
        let request = &exchange.request;
        let path = request.api_path();
        let wanted = exchange.source == ExchangeSource::Tap
            && client.starts_with("claude-cli/")
            && request.method.eq_ignore_ascii_case("POST")
            && path.starts_with(PLAIN_MESSAGES_PATH)
            && !path.starts_with("/v1/messages/");
        if !wanted {
            return None;
        }
        let mut body = request.json().filter(|b| b.get("messages").is_some())?;
        cheapen(&mut body);
        shorten_conversation(&mut body);
        Some(Shape {
            origin: ShapeOrigin::Captured {
                id: exchange.id.to_string(),
                at: exchange.started_at,
                client: client.to_owned(),
            },
            path: path.to_owned(),
            headers: OutgoingRequest::replayable_headers(request),
            body,
        })
    }

    fn built_in(setup: &Setup) -> Shape {
        let model = &setup.profile.default_model.value;
        let spec = crate::api::models::lookup(model);
        Shape {
            origin: ShapeOrigin::BuiltIn,
            path: BETA_MESSAGES_PATH.to_owned(),
            headers: shape::headers()
                .into_iter()
                .map(|(name, value)| Header::new(name, &value))
                .collect(),
            body: shape::request_body(model, spec, PROMPT, MAX_TOKENS),
        }
    }

    pub fn betas(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("anthropic-beta"))
            .flat_map(|h| h.value.split(','))
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .collect()
    }

    /// The top-level fields beyond the essential ones, in body order.
    pub fn extra_fields(&self) -> Vec<String> {
        self.body
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| !ESSENTIAL_FIELDS.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// The part of this request `message` names, if any.
    pub fn named_in(&self, message: &str) -> Option<Part> {
        // "Unexpected value(s) `a`, `b` for the `anthropic-beta` header":
        // only the values before that phrase are refused ones. Elsewhere a
        // beta named alone may be a refused one; one that a field
        // "requires" is missing, not refused.
        let betas = self.betas();
        let beta = match message.split_once("for the `anthropic-beta` header") {
            Some((listed, _)) => betas
                .into_iter()
                .find(|b| listed.contains(&format!("`{b}`"))),
            None if !message.contains("requires") => {
                let named: Vec<String> = betas
                    .into_iter()
                    .filter(|b| message.contains(b.as_str()))
                    .collect();
                (named.len() == 1).then(|| named[0].clone())
            }
            None => None,
        };
        if let Some(beta) = beta {
            return Some(Part::Beta(beta));
        }
        let head = crate::api::errors::field_path(message);
        let root = head.as_deref().map(|p| p.split('.').next().unwrap_or(p));
        self.extra_fields()
            .into_iter()
            .find(|f| root == Some(f.as_str()) || message.contains(&format!("`{f}`")))
            .map(Part::Field)
    }

    pub fn without(&self, part: &Part) -> Shape {
        let mut next = self.clone();
        match part {
            Part::Beta(value) => {
                let kept: Vec<String> = self.betas().into_iter().filter(|b| b != value).collect();
                next.headers
                    .retain(|h| !h.name.eq_ignore_ascii_case("anthropic-beta"));
                if !kept.is_empty() {
                    next.headers
                        .push(Header::new("anthropic-beta", kept.join(",")));
                }
            }
            Part::Field(name) => {
                if let Some(body) = next.body.as_object_mut() {
                    body.remove(name);
                }
            }
        }
        next
    }

    /// What Claude Code sends with `CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1`.
    pub fn without_experimental(&self) -> Shape {
        let parts: Vec<Part> = self
            .betas()
            .into_iter()
            .map(Part::Beta)
            .chain(self.extra_fields().into_iter().map(Part::Field))
            .filter(|p| shape::dropped_by_setting(p.name()))
            .collect();
        parts
            .iter()
            .fold(self.clone(), |shape, part| shape.without(part))
    }

    fn request(&self, profile: &Profile) -> Built {
        let base = profile.base_url.value.clone();
        let mut request = at(profile, "POST", &base, &self.path, self.body.to_string())?;
        for header in &self.headers {
            request.set_header(&header.name, &header.value);
        }
        // The gateway's own headers (ANTHROPIC_CUSTOM_HEADERS) win over
        // what the capture recorded.
        for header in &profile.custom_headers {
            request.set_header(&header.name, &header.value);
        }
        Ok(request)
    }

    fn differs_from(&self, other: &Shape) -> bool {
        self.betas() != other.betas() || self.body != other.body
    }
}

/// A captured turn can resend a whole conversation (100k+ tokens), and
/// the doctor may send it several times: the conversation becomes one
/// short user turn, keeping a `role: "system"` entry when it had one (a
/// shape strict gateways refuse). Tools, system, headers and every other
/// field stay as captured.
fn shorten_conversation(body: &mut Value) {
    let had_system = body["messages"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["role"] == "system"));
    let mut messages = vec![serde_json::json!({"role": "user", "content": PROMPT})];
    if had_system {
        messages.push(serde_json::json!({"role": "system", "content": "claudetui doctor: a system entry, as Claude Code sends."}));
    }
    body["messages"] = Value::Array(messages);
}

/// A captured request is replayed with a small `max_tokens`: the answer
/// is not the point. Not when manual thinking needs a budget below it.
fn cheapen(body: &mut Value) {
    let manual = body.pointer("/thinking/type").and_then(Value::as_str) == Some("enabled");
    let large = body
        .get("max_tokens")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > MAX_TOKENS);
    if large && !manual {
        body["max_tokens"] = Value::from(MAX_TOKENS);
    }
}

/// Every request made, in the order of the walk.
#[derive(Debug)]
pub(super) struct Replay {
    /// The first-start probes; `None` when not made (onboarding complete,
    /// or `--offline`).
    pub startup: Option<(Sent, Sent)>,
    /// `HEAD <base-url>` and `HEAD <base-url>/api/hello`: only when
    /// `ANTHROPIC_BASE_URL` is set.
    pub gateway: Option<(Sent, Sent)>,
    /// What the Messages request was replayed from.
    pub shape: Option<Shape>,
    /// Only with a key and a usable base URL.
    pub messages: Option<Sent>,
    /// The parts refusals named, in order, each taken out for the next send.
    pub culprits: Vec<Culprit>,
    /// The request sent last, once every named part was out.
    pub after_culprits: Option<Sent>,
    /// What Claude Code sends with its experimental betas off, when the
    /// refusal named nothing and that request differs.
    pub without_experimental: Option<Sent>,
    /// The plain request, when the shaped one was refused in a way its
    /// shape could explain and time was left.
    pub plain: Option<Sent>,
    /// Where the fixed probes really went, when a test redirected them.
    pub redirected: Option<ProbeOverride>,
}

/// What to replay, besides the setup.
pub(super) struct Plan<'a> {
    pub shape: Shape,
    /// Send the first-start probes.
    pub startup: bool,
    pub redirect: Option<&'a ProbeOverride>,
    pub timeout: Duration,
}

type Built = Result<OutgoingRequest, (String, String)>;

impl Replay {
    pub async fn run(setup: &Setup, plan: Plan<'_>) -> Replay {
        let deadline = Instant::now() + plan.timeout;
        let mut clients = Clients::default();
        let startup = plan.startup.then(|| startup_requests(setup, plan.redirect));
        let gateway_profile = Profile {
            credential: None,
            ..setup.profile.clone()
        };
        let base = setup.profile.base_url.value.clone();
        let gateway = setup.gateway.then(|| {
            (
                at(&gateway_profile, "HEAD", &base, ROOT_PATH, String::new()),
                at(&gateway_profile, "HEAD", &base, HELLO_PATH, String::new()),
            )
        });
        let can_send = setup.base_url_usable && setup.profile.credential.is_some();
        let messages = can_send.then(|| plan.shape.request(&setup.profile));
        for request in startup
            .iter()
            .chain(gateway.iter())
            .flat_map(|(a, b)| [a, b])
            .chain(messages.as_ref())
        {
            clients.prepare(request);
        }
        let (startup, gateway, messages) = tokio::join!(
            clients.send_pair(startup, (HELLO_PATH, OAUTH_HELLO_PATH), deadline),
            clients.send_pair(gateway, (ROOT_PATH, HELLO_PATH), deadline),
            clients.send_opt(messages, BETA_MESSAGES_PATH, deadline),
        );
        let startup = startup.map(|(mut api, mut oauth)| {
            api.label = format!("GET {API_HELLO}");
            oauth.label = format!("GET {OAUTH_HELLO}");
            (api, oauth)
        });
        let mut replay = Replay {
            startup,
            gateway,
            shape: can_send.then(|| plan.shape.clone()),
            messages,
            culprits: Vec::new(),
            after_culprits: None,
            without_experimental: None,
            plain: None,
            redirected: plan.redirect.cloned(),
        };
        if replay.messages.as_ref().is_some_and(shape_may_explain) {
            replay
                .narrow(setup, plan.shape, &mut clients, deadline)
                .await;
        }
        replay
    }

    /// After a refusal the shape could explain: take out each part the
    /// answers name, then try Claude Code's experimental-off request, then
    /// the plain one.
    async fn narrow(
        &mut self,
        setup: &Setup,
        mut current: Shape,
        clients: &mut Clients,
        deadline: Instant,
    ) {
        let mut refusal = self.messages.as_ref().and_then(Refusal::of);
        while let Some(answer) = refusal.take() {
            let Some(part) = current.named_in(&answer.message) else {
                break;
            };
            if self.culprits.len() >= MAX_CULPRITS || Instant::now() >= deadline {
                break;
            }
            current = current.without(&part);
            let sent = clients
                .send_new(
                    current.request(&setup.profile),
                    BETA_MESSAGES_PATH,
                    deadline,
                )
                .await;
            refusal = Refusal::of(&sent);
            self.after_culprits = Some(sent);
            self.culprits.push(Culprit { part, answer });
        }
        let last = self.after_culprits.as_ref().or(self.messages.as_ref());
        if !last.is_some_and(shape_may_explain) {
            return;
        }
        let quiet = current.without_experimental();
        if quiet.differs_from(&current) && Instant::now() < deadline {
            let sent = clients
                .send_new(quiet.request(&setup.profile), BETA_MESSAGES_PATH, deadline)
                .await;
            self.without_experimental = Some(sent);
        }
        if Instant::now() < deadline {
            let sent = clients
                .send_new(plain_request(&setup.profile), PLAIN_MESSAGES_PATH, deadline)
                .await;
            self.plain = Some(sent);
        }
    }
}

/// The answer that refused a request in a way its shape could explain.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    pub status: Option<u16>,
    pub message: String,
}

impl Refusal {
    fn of(sent: &Sent) -> Option<Refusal> {
        shape_may_explain(sent).then(|| Refusal {
            status: sent.status(),
            message: sent
                .failure()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
        })
    }
}

/// The two first-start probes, anonymous.
fn startup_requests(setup: &Setup, redirect: Option<&ProbeOverride>) -> (Built, Built) {
    let anonymous = Profile {
        credential: None,
        custom_headers: Vec::new(),
        ..setup.profile.clone()
    };
    let api_url = redirect.map_or(API_HELLO, |r| r.api_hello.as_str());
    let oauth_url = redirect.map_or(OAUTH_HELLO, |r| r.oauth_hello.as_str());
    (
        at(&anonymous, "GET", api_url, "", String::new()),
        at(&anonymous, "GET", oauth_url, "", String::new()),
    )
}

/// A refusal the request's shape could explain: the server answered, but
/// not with a verdict on the key, the region, the account or the load.
fn shape_may_explain(sent: &Sent) -> bool {
    let Some(failure) = sent.failure() else {
        return false;
    };
    let answered = sent.exchange().is_some_and(|e| e.response.is_some());
    answered
        && matches!(
            failure.kind,
            FailureKind::BadRequest
                | FailureKind::PathNotFound
                | FailureKind::UnexpectedStatus
                | FailureKind::MalformedResponse
                | FailureKind::ConnectionReset
                | FailureKind::RequestTooLarge
        )
}

/// A request for `base` + `path` with `profile`'s headers and credential.
fn at(profile: &Profile, method: &str, base: &str, path: &str, body: String) -> Built {
    let profile = Profile {
        base_url: Sourced::new(base.to_owned(), Source::Default),
        ..profile.clone()
    };
    OutgoingRequest::for_profile(&profile, method, path, body).map_err(|e| {
        let url = crate::engine::request::join_url(base, path);
        (format!("{method} {}", display_url(&url)), e.to_string())
    })
}

/// What curl would send: no query, no stream, no tools, no beta header.
fn plain_request(profile: &Profile) -> Built {
    let body = serde_json::json!({
        "model": profile.default_model.value,
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": PROMPT}],
    });
    let base = profile.base_url.value.clone();
    at(
        profile,
        "POST",
        &base,
        PLAIN_MESSAGES_PATH,
        body.to_string(),
    )
}

/// One client per distinct setting (the fixed hosts and the gateway may
/// differ: TLS or not, proxied or not).
#[derive(Default)]
struct Clients(Vec<(ClientSettings, Result<reqwest::Client, ClientError>)>);

impl Clients {
    fn prepare(&mut self, request: &Built) {
        let Ok(request) = request else { return };
        if !self.0.iter().any(|(s, _)| *s == request.client) {
            let client = request.client.build();
            self.0.push((request.client.clone(), client));
        }
    }

    async fn send_pair(
        &self,
        pair: Option<(Built, Built)>,
        paths: (&'static str, &'static str),
        deadline: Instant,
    ) -> Option<(Sent, Sent)> {
        let (a, b) = pair?;
        Some(tokio::join!(
            self.send(a, paths.0, deadline),
            self.send(b, paths.1, deadline)
        ))
    }

    async fn send_opt(
        &self,
        request: Option<Built>,
        path: &'static str,
        deadline: Instant,
    ) -> Option<Sent> {
        Some(self.send(request?, path, deadline).await)
    }

    /// Sends a request made after the first round (its client may be new).
    async fn send_new(&mut self, request: Built, path: &'static str, deadline: Instant) -> Sent {
        self.prepare(&request);
        self.send(request, path, deadline).await
    }

    async fn send(&self, request: Built, path: &'static str, deadline: Instant) -> Sent {
        let client = request
            .as_ref()
            .ok()
            .and_then(|r| self.0.iter().find(|(s, _)| *s == r.client))
            .map(|(_, client)| client);
        send(client, request, path, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::lint::{LintOptions, validate};

    fn built_in_at(base: &str) -> (Profile, Shape) {
        let mut profile = Profile::builtin();
        profile.base_url.value = base.into();
        profile.default_model.value = "claude-opus-4-8".into();
        let shape = Shape {
            origin: ShapeOrigin::BuiltIn,
            path: BETA_MESSAGES_PATH.into(),
            headers: shape::headers()
                .into_iter()
                .map(|(n, v)| Header::new(n, &v))
                .collect(),
            body: shape::request_body("claude-opus-4-8", None, PROMPT, MAX_TOKENS),
        };
        (profile, shape)
    }

    #[test]
    fn the_built_in_request_is_claude_codes_and_lints_clean_with_its_betas() {
        let (profile, shape) = built_in_at("https://gw.example/anthropic");
        let request = shape.request(&profile).unwrap();
        assert_eq!(
            request.url,
            "https://gw.example/anthropic/v1/messages?beta=true"
        );
        let beta = request
            .headers
            .iter()
            .find(|h| h.name == "anthropic-beta")
            .unwrap();
        assert_eq!(beta.value, shape::beta_header());
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["stream"], true);
        let options =
            LintOptions::for_request(crate::api::lint::Endpoint::Messages, &request.headers);
        let problems = validate(&body, &options);
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:#?}");
        let plain = plain_request(&profile).unwrap();
        assert_eq!(plain.url, "https://gw.example/anthropic/v1/messages");
        assert!(!plain.headers.iter().any(|h| h.name == "anthropic-beta"));
    }

    #[test]
    fn a_refusal_names_a_beta_or_a_field_and_it_is_taken_out() {
        let (_, shape) = built_in_at("http://gw");
        let beta = shape
            .named_in("Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header")
            .unwrap();
        assert_eq!(beta, Part::Beta("prompt-caching-scope-2026-01-05".into()));
        let fewer = shape.without(&beta);
        assert_eq!(fewer.betas().len(), shape.betas().len() - 1);
        let field = fewer
            .named_in("context_management: Extra inputs are not permitted")
            .unwrap();
        assert_eq!(field, Part::Field("context_management".into()));
        assert!(
            fewer
                .without(&field)
                .body
                .get("context_management")
                .is_none()
        );
        assert_eq!(shape.named_in("messages.0.content: bad"), None);
        let requires = "context_management: requires the `context-management-2025-06-27` beta";
        assert_eq!(
            shape.named_in(requires),
            Some(Part::Field("context_management".into())),
            "a beta a field requires is missing, not refused"
        );
        let all = format!("Sent: {}", shape::beta_header());
        assert_eq!(
            shape.named_in(&all),
            None,
            "a list of everything names nothing"
        );
        assert_eq!(shape.named_in("model: unknown"), None);
        let quiet = shape.without_experimental();
        assert!(quiet.differs_from(&shape));
        assert!(quiet.body.get("context_management").is_none());
        assert!(
            !quiet
                .betas()
                .iter()
                .any(|b| b == "context-management-2025-06-27")
        );
        assert!(quiet.betas().iter().any(|b| b == "claude-code-20250219"));
    }

    #[test]
    fn a_captured_conversation_becomes_one_short_turn_keeping_a_system_entry() {
        let mut body = serde_json::json!({"messages": [
            {"role": "user", "content": "a long conversation"},
            {"role": "system", "content": "context"},
            {"role": "assistant", "content": "…"}
        ], "tools": [{"name": "Read"}]});
        shorten_conversation(&mut body);
        assert_eq!(body["messages"].as_array().unwrap().len(), 2);
        assert_eq!(body["messages"][0]["content"], PROMPT);
        assert_eq!(body["messages"][1]["role"], "system");
        assert_eq!(body["tools"][0]["name"], "Read");
    }

    #[test]
    fn a_captured_request_is_cheapened_but_keeps_its_shape() {
        let mut body = serde_json::json!({"max_tokens": 64000, "thinking": {"type": "adaptive"}});
        cheapen(&mut body);
        assert_eq!(body["max_tokens"], MAX_TOKENS);
        let mut manual = serde_json::json!({"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048}});
        cheapen(&mut manual);
        assert_eq!(manual["max_tokens"], 4096);
    }
}
