//! The request the engine sends: built from a profile, checked before it
//! leaves, and recorded with its credential masked.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::api::types::Header;
use crate::config::{Credential, CredentialKind, Profile};
use crate::exchange::RecordedRequest;
use crate::store::redact::{is_secret_header, mask_header_value, redact_headers, redact_text};

use super::client::ClientSettings;

pub const USER_AGENT: &str = concat!("claudetui/", env!("CARGO_PKG_VERSION"));

/// Why a request could not be built; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(
        "header `{name}` cannot be sent: {why}. Remove control characters, newlines and surrounding quotes from its value"
    )]
    InvalidHeader { name: String, why: String },
    #[error(
        "the URL `{url}` is not valid: {why}. Check the base URL (a full http:// or https:// address)"
    )]
    InvalidUrl { url: String, why: String },
    #[error("method `{0}` is not an HTTP method")]
    InvalidMethod(String),
}

/// Everything needed to send one request. The credential travels apart
/// from the other headers so it can only reach the wire, never a record.
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    pub profile: String,
    pub method: String,
    pub url: String,
    /// Every header but the credential, in the order they are sent.
    pub headers: Vec<Header>,
    pub credential: Option<Credential>,
    pub body: String,
    pub client: ClientSettings,
    pub timeout: Duration,
}

impl OutgoingRequest {
    /// A request to `path` (`/v1/messages`, `/v1/models?limit=5`) on the
    /// profile's base URL with the headers the profile says to send.
    pub fn for_profile(
        profile: &Profile,
        method: &str,
        path: &str,
        body: String,
    ) -> Result<Self, RequestError> {
        let mut headers = vec![
            Header::new("accept", "application/json"),
            Header::new("anthropic-version", profile.anthropic_version.value.clone()),
            Header::new("user-agent", USER_AGENT),
        ];
        if !body.is_empty() {
            headers.insert(0, Header::new("content-type", "application/json"));
        }
        if !profile.anthropic_beta.is_empty() {
            headers.push(Header::new(
                "anthropic-beta",
                profile.anthropic_beta.join(","),
            ));
        }
        headers.extend(profile.custom_headers.iter().cloned());
        let url = join_url(&profile.base_url.value, path);
        let request = OutgoingRequest {
            profile: profile.name.clone(),
            method: method.to_ascii_uppercase(),
            client: ClientSettings::for_profile(profile).for_url(&url),
            url,
            headers,
            credential: profile.credential.clone(),
            body,
            timeout: profile.timeout,
        };
        request.check()?;
        Ok(request)
    }

    /// The request of a recorded exchange, to send again: same method,
    /// API path and body on the profile's base URL, the recorded headers
    /// that carry no secret (a tapped client's own `anthropic-beta` and
    /// `user-agent` included), and the credential of `profile` (a record
    /// holds only the masked one).
    pub fn replay(profile: &Profile, recorded: &RecordedRequest) -> Result<Self, RequestError> {
        Self::replay_at(profile, recorded, recorded.api_path())
    }

    /// [`Self::replay`] to another path and query on the profile's base URL.
    pub fn replay_at(
        profile: &Profile,
        recorded: &RecordedRequest,
        path: &str,
    ) -> Result<Self, RequestError> {
        let mut request =
            OutgoingRequest::for_profile(profile, &recorded.method, path, recorded.body.clone())?;
        for header in Self::replayable_headers(recorded) {
            request.set_header(&header.name, &header.value);
        }
        request.check()?;
        Ok(request)
    }

    /// The recorded headers worth sending again: not the credential (it
    /// was masked), not secret-looking ones, not those the client computes
    /// (`content-length`, `host`) and not those of one connection.
    pub fn replayable_headers(recorded: &RecordedRequest) -> Vec<Header> {
        recorded
            .headers
            .iter()
            .filter(|h| {
                let name = h.name.to_ascii_lowercase();
                !is_secret_header(&name)
                    && !crate::store::redact::looks_secret(&name)
                    && !matches!(
                        name.as_str(),
                        "content-length"
                            | "host"
                            | "connection"
                            | "keep-alive"
                            | "proxy-connection"
                            | "te"
                            | "trailer"
                            | "transfer-encoding"
                            | "upgrade"
                    )
            })
            .cloned()
            .collect()
    }

    /// Sets a header, replacing any earlier value of the same name.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|h| !h.name.eq_ignore_ascii_case(name));
        self.headers.push(Header::new(name, value));
    }

    /// Verifies every header and the URL can go on the wire, so a bad key
    /// (a pasted newline, say) is reported before anything is sent.
    pub fn check(&self) -> Result<(), RequestError> {
        reqwest::Method::from_bytes(self.method.as_bytes())
            .map_err(|_| RequestError::InvalidMethod(self.method.clone()))?;
        reqwest::Url::parse(&self.url).map_err(|e| RequestError::InvalidUrl {
            url: self.url.clone(),
            why: e.to_string(),
        })?;
        for header in self.wire_headers() {
            HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
                RequestError::InvalidHeader {
                    name: header.name.clone(),
                    why: "the name has characters a header name cannot have".into(),
                }
            })?;
            HeaderValue::from_str(&header.value).map_err(|_| RequestError::InvalidHeader {
                name: header.name.clone(),
                why: invalid_value_reason(&header.value),
            })?;
        }
        Ok(())
    }

    /// The headers as sent, credential included. Only the engine calls this.
    pub(crate) fn wire_headers(&self) -> Vec<Header> {
        let mut headers = self.headers.clone();
        if let Some(credential) = &self.credential {
            headers.push(credential_header(credential));
        }
        headers
    }

    /// Every credential value this request carries: the profile's key and
    /// any secret-looking header (a gateway token), to be masked wherever
    /// an answer repeats one.
    pub fn secrets(&self) -> Vec<String> {
        crate::store::redact::credential_values(&self.wire_headers())
    }

    /// The request as recorded: the credential masked, stray keys in other
    /// headers or the body masked too.
    pub fn recorded(&self) -> RecordedRequest {
        // Gateway tokens (`x-portkey-api-key`, …) are masked whole.
        let mut headers = redact_headers(&self.headers);
        if let Some(credential) = &self.credential {
            let header = credential_header(credential);
            headers.push(Header::new(header.name, mask_header_value(&header.value)));
        }
        if !self.body.is_empty() {
            headers.push(Header::new("content-length", self.body.len().to_string()));
        }
        RecordedRequest {
            method: self.method.clone(),
            // A proxy-style `user:password@` in the base URL is masked too.
            url: crate::store::redact::mask_query_secrets(&crate::config::display_url(&self.url)),
            headers,
            body: redact_text(&self.body).into_owned(),
        }
    }
}

fn credential_header(credential: &Credential) -> Header {
    match credential.kind {
        CredentialKind::ApiKey => Header::new("x-api-key", credential.secret.expose()),
        CredentialKind::Bearer => Header::new(
            "authorization",
            format!("Bearer {}", credential.secret.expose()),
        ),
    }
}

/// Says what is wrong with a header value without repeating it (it may be
/// a key).
fn invalid_value_reason(value: &str) -> String {
    if value.contains('\n') || value.contains('\r') {
        "the value contains a line break (a key copied with its trailing newline?)".into()
    } else if value.chars().any(|c| c.is_control()) {
        "the value contains a control character".into()
    } else {
        "the value has characters that cannot be sent in a header".into()
    }
}

/// Joins a base URL and a path without doubling or dropping the slash.
pub fn join_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if path.is_empty() {
        return base.to_owned();
    }
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, Source};

    fn request_with_key(key: &str, kind: CredentialKind) -> OutgoingRequest {
        OutgoingRequest {
            profile: "test".into(),
            method: "POST".into(),
            url: "https://api.anthropic.com/v1/messages".into(),
            headers: vec![Header::new("anthropic-version", "2023-06-01")],
            credential: Some(Credential {
                kind,
                secret: Secret::new(key),
                source: Source::Env("ANTHROPIC_API_KEY".into()),
            }),
            body: format!(r#"{{"note":"{key}"}}"#),
            client: ClientSettings::default(),
            timeout: Duration::from_secs(5),
        }
    }

    const KEY: &str = "sk-ant-api03-0123456789abcdefghijklmnopqrstuvwxyz-WXYZ";

    #[test]
    fn replay_sends_the_recorded_request_with_the_profiles_key() {
        let mut original = request_with_key(KEY, CredentialKind::ApiKey);
        original.url = "https://api.anthropic.com/v1/messages?beta=true".into();
        original
            .headers
            .push(Header::new("anthropic-beta", "tools-2024-04-04"));
        original
            .headers
            .push(Header::new("x-gateway-token", "secret-value"));
        let recorded = original.recorded();
        let mut profile = Profile::builtin();
        profile.base_url.value = "http://127.0.0.1:4747".into();
        profile.credential = original.credential.clone();
        let replay = OutgoingRequest::replay(&profile, &recorded).unwrap();
        assert_eq!(replay.url, "http://127.0.0.1:4747/v1/messages?beta=true");
        assert_eq!(replay.body, recorded.body);
        let names: Vec<&str> = replay.headers.iter().map(|h| h.name.as_str()).collect();
        assert!(names.contains(&"anthropic-beta"), "{names:?}");
        assert!(
            !names.contains(&"x-gateway-token"),
            "masked secrets are not resent"
        );
        assert!(!names.contains(&"x-api-key") && !names.contains(&"content-length"));
        assert_eq!(replay.credential.unwrap().secret.expose(), KEY);
    }

    #[test]
    fn a_replay_lands_on_the_profiles_base_url_once_whatever_the_prefixes() {
        let mut recorded = request_with_key(KEY, CredentialKind::ApiKey).recorded();
        recorded.url = "https://gw.example/team/anthropic/v1/messages?beta=true".into();
        recorded.headers.push(Header::new(
            "user-agent",
            "claude-cli/2.1.197 (external, cli)",
        ));
        recorded
            .headers
            .push(Header::new("connection", "keep-alive"));
        let mut profile = Profile::builtin();
        profile.base_url.value = "http://127.0.0.1:4747/other-gateway/".into();
        let replay = OutgoingRequest::replay(&profile, &recorded).unwrap();
        assert_eq!(
            replay.url,
            "http://127.0.0.1:4747/other-gateway/v1/messages?beta=true"
        );
        let agent = replay.headers.iter().find(|h| h.name == "user-agent");
        assert_eq!(
            agent.map(|h| h.value.as_str()),
            Some("claude-cli/2.1.197 (external, cli)"),
            "a tapped client is replayed as itself"
        );
        assert!(!replay.headers.iter().any(|h| h.name == "connection"));
    }

    #[test]
    fn recorded_request_masks_gateway_tokens_and_url_passwords() {
        let mut request = request_with_key(KEY, CredentialKind::ApiKey);
        request.url = "https://team:hunter2hunter2@gateway.example/v1/messages".into();
        request
            .headers
            .push(Header::new("x-portkey-api-key", "pk-live-0123456789abcdef"));
        let recorded = request.recorded();
        let text = serde_json::to_string(&recorded).unwrap();
        assert!(!text.contains("hunter2hunter2"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        let curl = crate::store::export::to_curl(&crate::exchange::Exchange {
            request: recorded,
            ..crate::test_support::exchange(1, "m", Some(200))
        });
        assert!(
            curl.contains("x-portkey-api-key: $X_PORTKEY_API_KEY"),
            "{curl}"
        );
    }

    #[test]
    fn recorded_request_never_holds_the_key() {
        for kind in [CredentialKind::ApiKey, CredentialKind::Bearer] {
            let recorded = request_with_key(KEY, kind).recorded();
            let text = serde_json::to_string(&recorded).unwrap();
            assert!(!text.contains(&KEY[8..]), "{text}");
            assert!(text.contains("sk-ant-…WXYZ"), "{text}");
        }
    }

    #[test]
    fn wire_headers_carry_the_credential_in_the_profile_form() {
        let api = request_with_key(KEY, CredentialKind::ApiKey).wire_headers();
        assert!(api.iter().any(|h| h.name == "x-api-key" && h.value == KEY));
        let bearer = request_with_key(KEY, CredentialKind::Bearer).wire_headers();
        assert!(
            bearer
                .iter()
                .any(|h| h.name == "authorization" && h.value == format!("Bearer {KEY}"))
        );
    }

    #[test]
    fn a_key_with_a_newline_is_refused_without_echoing_it() {
        let err = request_with_key(&format!("{KEY}\n"), CredentialKind::ApiKey)
            .check()
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line break"), "{text}");
        assert!(!text.contains(&KEY[8..]), "{text}");
    }

    #[test]
    fn urls_join_cleanly() {
        assert_eq!(
            join_url("https://a.test/", "/v1/messages"),
            "https://a.test/v1/messages"
        );
        assert_eq!(
            join_url("https://a.test", "v1/models"),
            "https://a.test/v1/models"
        );
        assert_eq!(
            join_url("https://a.test/gw/", "/v1/messages"),
            "https://a.test/gw/v1/messages"
        );
        assert_eq!(join_url("https://a.test/", ""), "https://a.test");
    }

    #[test]
    fn bad_urls_and_methods_are_refused() {
        let mut req = request_with_key(KEY, CredentialKind::ApiKey);
        req.url = "api.anthropic.com/v1/messages".into();
        assert!(matches!(req.check(), Err(RequestError::InvalidUrl { .. })));
        let mut req = request_with_key(KEY, CredentialKind::ApiKey);
        req.method = "PO ST".into();
        assert!(matches!(req.check(), Err(RequestError::InvalidMethod(_))));
    }
}
