//! Masking secrets before anything is shown, logged or written.
//!
//! A key is shown as `sk-ant-…a1b2`: enough to tell two keys apart, never
//! enough to use one. Header values of the credential headers are masked
//! whatever they look like; elsewhere anything that looks like an Anthropic
//! key (`sk-ant-…`) is masked wherever it appears.

use std::borrow::Cow;

use memchr::memmem;

use crate::api::types::Header;

/// Headers whose value is a credential, whatever it looks like.
pub const SECRET_HEADERS: [&str; 3] = ["x-api-key", "authorization", "proxy-authorization"];

const KEY_PREFIX: &str = "sk-ant-";

/// `sk-ant-…a1b2` for an Anthropic key, `…a1b2` for any other secret of 12
/// characters or more, and `…` for shorter ones (too short to show a tail).
pub fn mask_secret(secret: &str) -> String {
    let secret = secret.trim();
    let tail: String = {
        let chars: Vec<char> = secret.chars().collect();
        if chars.len() >= 12 {
            chars[chars.len() - 4..].iter().collect()
        } else {
            String::new()
        }
    };
    if secret.starts_with(KEY_PREFIX) {
        format!("{KEY_PREFIX}…{tail}")
    } else {
        format!("…{tail}")
    }
}

/// Masks a credential header's value, keeping an auth scheme such as
/// `Bearer` visible because it tells how the key was sent.
pub fn mask_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, token)) if !token.trim().is_empty() => {
            format!("{scheme} {}", mask_secret(token))
        }
        _ => mask_secret(value),
    }
}

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Headers whose name has a secret-sounding word but whose value is no
/// credential: Claude Code's session id is a random id that groups one
/// session's requests (it opens nothing), and the tap groups turns by it.
const NOT_SECRET: [&str; 1] = ["x-claude-code-session-id"];

/// Header names that suggest the value is a credential even though they are
/// not the standard ones (`x-gateway-token`, `x-portkey-api-key`, `cookie`).
pub fn looks_secret(name: &str) -> bool {
    if NOT_SECRET.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return false;
    }
    // Whole words only: `anthropic-ratelimit-tokens-limit` is no secret.
    name.split(['-', '_', '.'])
        .map(str::to_ascii_lowercase)
        .any(|word| {
            matches!(
                word.as_str(),
                "key"
                    | "apikey"
                    | "token"
                    | "secret"
                    | "auth"
                    | "authorization"
                    | "password"
                    | "passwd"
                    | "cookie"
                    | "session"
                    | "credential"
                    | "credentials"
            )
        })
}

/// Masks credential headers whole (the standard ones and any whose name
/// says it holds a secret) and any key-looking text in the others.
pub fn redact_headers(headers: &[Header]) -> Vec<Header> {
    headers
        .iter()
        .map(|h| {
            let cookie =
                h.name.eq_ignore_ascii_case("cookie") || h.name.eq_ignore_ascii_case("set-cookie");
            let value = if cookie {
                // `name=value; …` has no auth scheme to keep in sight.
                mask_secret(&h.value)
            } else if is_secret_header(&h.name) || looks_secret(&h.name) {
                mask_header_value(&h.value)
            } else {
                redact_text(&h.value).into_owned()
            };
            Header::new(h.name.clone(), value)
        })
        .collect()
}

/// The credential values a request carries in `headers` (the token of
/// `Bearer …` on its own too), so whatever repeats them can be masked.
pub fn credential_values(headers: &[Header]) -> Vec<String> {
    let mut values = Vec::new();
    for header in headers {
        if !(is_secret_header(&header.name) || looks_secret(&header.name)) {
            continue;
        }
        let value = header.value.trim();
        if let Some((_, token)) = value.split_once(' ') {
            values.push(token.trim().to_owned());
        }
        values.push(value.to_owned());
    }
    // The longest first, so a whole value is masked before a part of it.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

/// A URL with the values of secret-looking query parameters masked
/// (`?api_key=…`, `&token=…`), the others as they were.
pub fn mask_query_secrets(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if looks_secret(name) && !value.is_empty() => {
                format!("{name}={}", mask_secret(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The JSON fields of an OAuth exchange that are credentials: the
/// authorization code and its verifier, the tokens handed out.
const OAUTH_SECRET_FIELDS: [&str; 8] = [
    "code",
    "code_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "api_key",
];

/// For a body of an OAuth endpoint (`/v1/oauth/token`, which `--mitm`
/// can see): every string under a credential field masked. Other bodies
/// keep a `code` field as it is (a tool's input may be code).
pub fn mask_oauth_body(url: &str, body: &str) -> Option<String> {
    if !url.contains("/oauth/") {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_str(body).ok()?;
    fn walk(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                let mut changed = false;
                for (key, field) in map.iter_mut() {
                    if let serde_json::Value::String(text) = field
                        && OAUTH_SECRET_FIELDS.contains(&key.as_str())
                    {
                        *text = mask_secret(text);
                        changed = true;
                    } else {
                        changed |= walk(field);
                    }
                }
                changed
            }
            serde_json::Value::Array(items) => {
                // Every item, not only up to the first change.
                let mut changed = false;
                for item in items {
                    changed |= walk(item);
                }
                changed
            }
            _ => false,
        }
    }
    walk(&mut value).then(|| value.to_string())
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Replaces every `sk-ant-…` token in `text` with its masked form. Already
/// masked text is left as it is, so redacting twice changes nothing.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let finder = memmem::Finder::new(KEY_PREFIX);
    let mut out: Option<String> = None;
    let mut copied = 0;
    for start in finder.find_iter(bytes) {
        if start < copied {
            continue;
        }
        let body_start = start + KEY_PREFIX.len();
        let end = body_start
            + bytes[body_start..]
                .iter()
                .take_while(|b| is_key_char(**b))
                .count();
        if end == body_start {
            continue;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
        buf.push_str(&text[copied..start]);
        buf.push_str(&mask_secret(&text[start..end]));
        copied = end;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_codes_and_tokens_are_masked_only_on_oauth_endpoints() {
        let body = r#"{"grant_type":"authorization_code","code":"c0de-SECRET-value-123","code_verifier":"verifier-SECRET-456789"}"#;
        let masked = mask_oauth_body("https://platform.claude.com/v1/oauth/token", body).unwrap();
        assert!(!masked.contains("SECRET"), "{masked}");
        assert!(masked.contains("authorization_code"));
        assert!(mask_oauth_body("https://api.anthropic.com/v1/messages", body).is_none());
    }

    #[test]
    fn secret_query_values_and_cookies_are_masked() {
        assert_eq!(
            mask_query_secrets(
                "https://gw.example/v1/messages?beta=true&api_key=gw-live-0123456789abcdef"
            ),
            "https://gw.example/v1/messages?beta=true&api_key=…cdef"
        );
        assert_eq!(
            mask_query_secrets("https://x/v1/models?limit=5"),
            "https://x/v1/models?limit=5"
        );
        let masked = redact_headers(&[Header::new(
            "set-cookie",
            "session=abcdefghijklmnop; Path=/",
        )]);
        assert!(!masked[0].value.contains("abcdefgh"), "{}", masked[0].value);
    }

    #[test]
    fn secret_looking_header_names_are_whole_words() {
        for name in [
            "x-portkey-api-key",
            "Helicone-Auth",
            "x-gateway-token",
            "Cookie",
            "X-Session",
            "x-apikey",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "anthropic-ratelimit-tokens-limit",
            "X-Claude-Code-Session-Id",
            "anthropic-version",
            "request-id",
            "x-monkey",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    const KEY: &str = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-zz-a1b2";

    #[test]
    fn masks_keep_only_the_last_four() {
        assert_eq!(mask_secret(KEY), "sk-ant-…a1b2");
        assert_eq!(mask_secret(&format!("  {KEY}\n")), "sk-ant-…a1b2");
        assert_eq!(mask_secret("abcdefghijkl9876"), "…9876");
        assert_eq!(mask_secret("short"), "…");
        assert_eq!(mask_secret(""), "…");
    }

    #[test]
    fn header_values_keep_their_scheme() {
        assert_eq!(
            mask_header_value(&format!("Bearer {KEY}")),
            "Bearer sk-ant-…a1b2"
        );
        assert_eq!(mask_header_value(KEY), "sk-ant-…a1b2");
        assert_eq!(
            mask_header_value("Basic dXNlcjpwYXNzd29yZA=="),
            "Basic …ZA=="
        );
    }

    #[test]
    fn redact_headers_masks_credentials_and_stray_keys() {
        let headers = vec![
            Header::new("X-Api-Key", KEY),
            Header::new("authorization", format!("Bearer {KEY}")),
            Header::new("Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA=="),
            Header::new("x-custom", format!("token={KEY}")),
            Header::new("content-type", "application/json"),
        ];
        let out = redact_headers(&headers);
        let joined = format!("{out:?}");
        assert!(!joined.contains(&KEY[10..30]), "{joined}");
        assert!(!joined.contains("c2VjcmV0"), "{joined}");
        assert_eq!(out[3].value, "token=sk-ant-…a1b2");
        assert_eq!(out[4].value, "application/json");
    }

    #[test]
    fn redact_text_finds_every_key_and_is_idempotent() {
        let text = format!(r#"{{"a":"{KEY}","b":"x {KEY} y","c":"sk-ant-"}}"#);
        let once = redact_text(&text).into_owned();
        assert!(!once.contains(&KEY[10..]), "{once}");
        assert_eq!(once.matches("sk-ant-…a1b2").count(), 2);
        assert!(once.contains(r#""c":"sk-ant-""#));
        assert_eq!(redact_text(&once), once);
        assert!(matches!(redact_text("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn redact_text_handles_unicode_around_keys() {
        let text = format!("é{KEY}ü");
        assert_eq!(redact_text(&text), "ésk-ant-…a1b2ü");
    }
}
