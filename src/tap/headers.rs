//! Which headers a proxy passes on, per RFC 9110 §7.6.1: everything but
//! the hop-by-hop fields, which describe one connection and end there.

use http::HeaderMap;
use http::header::{self, HeaderName};

use crate::api::types::Header;

/// The hop-by-hop fields every proxy drops, whether or not `Connection`
/// names them (`proxy-connection` and `keep-alive` are pre-RFC but still
/// sent by old clients).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// `headers` without the hop-by-hop fields and those the `Connection`
/// header names, in their order, values byte for byte. `also` names more
/// to drop (`host`, which the onward request sets for its own target).
pub fn end_to_end(headers: &HeaderMap, also: &[HeaderName]) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let lower = name.as_str();
        let dropped =
            HOP_BY_HOP.contains(&lower) || named.iter().any(|n| n == lower) || also.contains(name);
        if !dropped {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The headers as the record keeps them: names and values as text (a value
/// that is not UTF-8 is kept lossily; it is shown, never resent).
pub fn to_list(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Trace"),
        );
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-trace", HeaderValue::from_static("1"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4748"));
        headers.insert("anthropic-beta", HeaderValue::from_static("a-1,b-2"));
        headers.append("x-multi", HeaderValue::from_static("one"));
        headers.append("x-multi", HeaderValue::from_static("two"));
        let kept = end_to_end(&headers, &[header::HOST]);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["anthropic-beta", "x-multi"]);
        let multi: Vec<&HeaderValue> = kept.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two"]);
    }
}
