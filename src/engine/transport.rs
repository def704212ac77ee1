//! Naming a transport failure from reqwest's error and its causes.

use std::error::Error as StdError;
use std::io;

use crate::api::errors::FailureKind;
use crate::store::redact::redact_text;

use super::client::{error_chain, mask_userinfo};
use super::timing::DnsLookupError;

/// The kind of a failure that happened below HTTP, and the error chain in
/// words (keys and proxy passwords masked).
pub fn classify(error: &reqwest::Error) -> (FailureKind, String) {
    let message = redact_text(&error_chain(error)).into_owned();
    let message = mask_proxy_credentials(&message);
    (kind_of(error, &message), message)
}

fn kind_of(error: &reqwest::Error, message: &str) -> FailureKind {
    if error.is_timeout() {
        return FailureKind::Timeout;
    }
    for cause in causes(error) {
        if cause.is::<DnsLookupError>() {
            return FailureKind::Dns;
        }
        if cause.is::<rustls::Error>() {
            return FailureKind::Tls;
        }
    }
    for cause in causes(error) {
        if let Some(kind) = cause.downcast_ref::<io::Error>().and_then(io_kind) {
            return kind;
        }
    }
    from_message(error, message)
}

/// Every cause of an error, including the errors wrapped inside
/// `io::Error`s, whose `source()` skips them (rustls errors arrive as an
/// `io::Error` inside an `io::Error`).
fn causes<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    let mut next = Some(error);
    while let Some(cause) = next {
        found.push(cause);
        next = match cause
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => cause.source(),
        };
    }
    found
}

fn io_kind(error: &io::Error) -> Option<FailureKind> {
    use io::ErrorKind::*;
    let text = error.to_string().to_ascii_lowercase();
    if text.contains("tunnel") || text.contains("proxy") {
        return Some(FailureKind::Proxy);
    }
    match error.kind() {
        ConnectionRefused => Some(FailureKind::ConnectionRefused),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
            Some(FailureKind::ConnectionReset)
        }
        TimedOut => Some(FailureKind::Timeout),
        _ => None,
    }
}

/// Last resort, for causes that are not typed (hyper's own errors).
fn from_message(error: &reqwest::Error, message: &str) -> FailureKind {
    let lower = message.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        FailureKind::Tls
    } else if lower.contains("tunnel") || lower.contains("proxy") {
        FailureKind::Proxy
    } else if lower.contains("dns") || lower.contains("resolve") {
        FailureKind::Dns
    } else if lower.contains("refused") {
        FailureKind::ConnectionRefused
    } else if error.is_decode() {
        FailureKind::MalformedResponse
    } else {
        // An incomplete message, a closed connection, an HTTP/2 reset:
        // in every case the connection ended before the answer did.
        FailureKind::ConnectionReset
    }
}

fn mask_proxy_credentials(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.contains("://") {
                mask_userinfo(word)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
