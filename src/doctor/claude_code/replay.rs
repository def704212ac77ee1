//! The requests Claude Code makes, replayed through its own settings (same
//! proxies, same extra CA file) with the engine, so they are sent, timed
//! and classified as every other request of claudetui:
//!
//! 1. its first-start connectivity check, `GET https://api.anthropic.com/api/hello`
//!    and `GET https://platform.claude.com/v1/oauth/hello`, which ignore
//!    `ANTHROPIC_BASE_URL` and must answer 200;
//! 2. when `ANTHROPIC_BASE_URL` is set, the gateway probes of newer builds,
//!    `HEAD <base-url>` and `HEAD <base-url>/api/hello`;
//! 3. with a key, `POST <base-url>/v1/messages?beta=true` shaped like
//!    Claude Code's (streaming, a tool, `anthropic-beta`), and — only when
//!    that is refused in a way the shape could explain — the same question
//!    asked plainly, as curl would, to tell the two apart.
//!
//! All of it is bounded by one deadline. The probes carry no credential;
//! the fixed hosts get no custom headers either (those are meant for the
//! gateway, and may hold its secrets).

use std::time::{Duration, Instant};

use crate::api::errors::FailureKind;
use crate::config::{Profile, Source, Sourced, display_url};
use crate::engine::OutgoingRequest;
use crate::engine::client::{ClientError, ClientSettings};

use super::ProbeOverride;
use super::setup::Setup;
use crate::doctor::probe::{Sent, send};

pub(super) const API_HELLO: &str = "https://api.anthropic.com/api/hello";
pub(super) const OAUTH_HELLO: &str = "https://platform.claude.com/v1/oauth/hello";
pub(super) const HELLO_PATH: &str = "/api/hello";
const OAUTH_HELLO_PATH: &str = "/v1/oauth/hello";
const ROOT_PATH: &str = "";
pub(super) const BETA_MESSAGES_PATH: &str = "/v1/messages?beta=true";
pub(super) const PLAIN_MESSAGES_PATH: &str = "/v1/messages";

/// The `anthropic-beta` values sent with the Claude Code-shaped request.
/// ANTHROPIC.md says Claude Code sends `anthropic-beta` headers but names
/// no values; these are ones public captures of Claude Code with an API key
/// show, the identifying `claude-code-…` first.
pub(super) const CLAUDE_CODE_BETAS: [&str; 3] = [
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "fine-grained-tool-streaming-2025-05-14",
];

/// Small: the answer is not the point, only whether one comes.
const MAX_TOKENS: u32 = 32;
const PROMPT: &str = "Reply with the single word OK.";

/// Every request made, in the order of the walk.
#[derive(Debug)]
pub(super) struct Replay {
    pub api_hello: Sent,
    pub oauth_hello: Sent,
    /// `HEAD <base-url>` and `HEAD <base-url>/api/hello`: only when
    /// `ANTHROPIC_BASE_URL` is set.
    pub gateway: Option<(Sent, Sent)>,
    /// Only with a key and a usable base URL.
    pub messages: Option<Sent>,
    /// The plain request, when the shaped one was refused in a way its
    /// shape could explain and time was left.
    pub plain: Option<Sent>,
    /// Where the fixed probes really went, when a test redirected them.
    pub redirected: Option<ProbeOverride>,
}

type Built = Result<OutgoingRequest, (String, String)>;

impl Replay {
    pub async fn run(setup: &Setup, redirect: Option<&ProbeOverride>, timeout: Duration) -> Replay {
        let deadline = Instant::now() + timeout;
        let anonymous = Profile {
            credential: None,
            custom_headers: Vec::new(),
            ..setup.profile.clone()
        };
        let api_url = redirect.map_or(API_HELLO, |r| r.api_hello.as_str());
        let oauth_url = redirect.map_or(OAUTH_HELLO, |r| r.oauth_hello.as_str());
        let api_hello = at(&anonymous, "GET", api_url, "", String::new());
        let oauth_hello = at(&anonymous, "GET", oauth_url, "", String::new());
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
        let messages = (setup.base_url_usable && setup.profile.credential.is_some())
            .then(|| shaped_request(&setup.profile));
        let mut clients = Clients::default();
        for request in [&api_hello, &oauth_hello]
            .into_iter()
            .chain(gateway.iter().flat_map(|(a, b)| [a, b]))
            .chain(messages.as_ref())
        {
            clients.prepare(request);
        }
        let sends = async {
            match gateway {
                Some((root, hello)) => {
                    let (root, hello) = tokio::join!(
                        clients.send(root, ROOT_PATH, deadline),
                        clients.send(hello, HELLO_PATH, deadline)
                    );
                    Some((root, hello))
                }
                None => None,
            }
        };
        let shaped = async {
            match messages {
                Some(request) => Some(clients.send(request, BETA_MESSAGES_PATH, deadline).await),
                None => None,
            }
        };
        let (mut api_hello, mut oauth_hello, gateway, messages) = tokio::join!(
            clients.send(api_hello, HELLO_PATH, deadline),
            clients.send(oauth_hello, OAUTH_HELLO_PATH, deadline),
            sends,
            shaped,
        );
        api_hello.label = format!("GET {API_HELLO}");
        oauth_hello.label = format!("GET {OAUTH_HELLO}");
        let plain = match messages.as_ref().filter(|m| shape_may_explain(m)) {
            Some(_) if Instant::now() < deadline => {
                let request = plain_request(&setup.profile);
                clients.prepare(&request);
                Some(clients.send(request, PLAIN_MESSAGES_PATH, deadline).await)
            }
            _ => None,
        };
        Replay {
            api_hello,
            oauth_hello,
            gateway,
            messages,
            plain,
            redirected: redirect.cloned(),
        }
    }
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

/// `POST /v1/messages?beta=true`, streaming, one tool, `anthropic-beta`.
fn shaped_request(profile: &Profile) -> Built {
    let mut profile = profile.clone();
    profile.anthropic_beta = CLAUDE_CODE_BETAS.iter().map(|b| (*b).to_owned()).collect();
    let body = serde_json::json!({
        "model": profile.default_model.value,
        "max_tokens": MAX_TOKENS,
        "stream": true,
        "system": [{"type": "text", "text": "claudetui doctor: a request shaped like Claude Code's."}],
        "tools": [{
            "name": "Read",
            "description": "Reads a file from the local filesystem.",
            "input_schema": {
                "type": "object",
                "properties": {"file_path": {"type": "string", "description": "The absolute path to the file to read"}},
                "required": ["file_path"]
            }
        }],
        "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}],
    });
    let base = profile.base_url.value.clone();
    at(
        &profile,
        "POST",
        &base,
        BETA_MESSAGES_PATH,
        body.to_string(),
    )
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
    use crate::api::lint::validate_messages_request;

    #[test]
    fn the_shaped_request_is_a_valid_streaming_tool_request_with_betas() {
        let mut profile = Profile::builtin();
        profile.base_url.value = "https://gw.example/anthropic".into();
        let request = shaped_request(&profile).unwrap();
        assert_eq!(
            request.url,
            "https://gw.example/anthropic/v1/messages?beta=true"
        );
        let beta = request
            .headers
            .iter()
            .find(|h| h.name == "anthropic-beta")
            .unwrap();
        assert_eq!(beta.value, CLAUDE_CODE_BETAS.join(","));
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["tools"].as_array().unwrap().len(), 1);
        let plain = plain_request(&profile).unwrap();
        assert_eq!(plain.url, "https://gw.example/anthropic/v1/messages");
        assert!(!plain.headers.iter().any(|h| h.name == "anthropic-beta"));
        for body in [&request.body, &plain.body] {
            let body: serde_json::Value = serde_json::from_str(body).unwrap();
            let problems = validate_messages_request(&body);
            assert!(problems.iter().all(|p| !p.is_error()), "{problems:#?}");
        }
    }
}
