//! Export exchanges as a curl command or as HAR 1.2.
//!
//! Both are meant to leave the machine (pasted in a chat, attached to a
//! support ticket), so credentials are masked again here whatever the
//! exchange holds, and the curl command reads the key from the environment.

use std::fmt::Write;

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::redact::{is_secret_header, redact_headers, redact_text};
use crate::api::types::{Header, header_value};
use crate::exchange::{Exchange, Timing};

/// Headers curl works out itself; copying them would go stale when the body
/// is edited.
const TRANSPORT_HEADERS: [&str; 5] = [
    "content-length",
    "host",
    "connection",
    "transfer-encoding",
    "expect",
];

/// A multi-line shell command that sends the same request again, with the
/// credential read from `$ANTHROPIC_API_KEY` or `$ANTHROPIC_AUTH_TOKEN`.
pub fn to_curl(exchange: &Exchange) -> String {
    let request = &exchange.request;
    let body = redact_text(&request.body);
    let mut lines = vec![curl_first_line(exchange, !body.is_empty())];
    let mut notes = Vec::new();
    for header in &request.headers {
        if TRANSPORT_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&header.name))
        {
            continue;
        }
        match credential_header(header) {
            Some(Credential::Header(line)) => lines.push(format!("-H {line}")),
            Some(Credential::Dropped(note)) => notes.push(note),
            None => {
                let value = redact_text(&header.value);
                lines.push(format!(
                    "-H {}",
                    single_quoted(&format!("{}: {value}", header.name))
                ));
            }
        }
    }
    let mut out = String::new();
    for note in notes {
        let _ = writeln!(out, "# {note}");
    }
    if body.is_empty() {
        out.push_str(&lines.join(" \\\n  "));
        out.push('\n');
        return out;
    }
    if request.json().is_some() {
        let delimiter = heredoc_delimiter(&body);
        lines.push(format!("--data-binary @- <<'{delimiter}'"));
        out.push_str(&lines.join(" \\\n  "));
        let _ = write!(out, "\n{body}");
        if !body.ends_with('\n') {
            out.push('\n');
        }
        let _ = writeln!(out, "{delimiter}");
    } else {
        // Not JSON: a quoted string keeps the bytes exact (a heredoc would
        // add a newline).
        lines.push(format!("--data-binary {}", single_quoted(&body)));
        out.push_str(&lines.join(" \\\n  "));
        out.push('\n');
    }
    out
}

fn curl_first_line(exchange: &Exchange, has_body: bool) -> String {
    let request = &exchange.request;
    let method = request.method.to_ascii_uppercase();
    let mut line = String::from("curl -sS");
    if exchange.summary().stream {
        line.push_str(" -N");
    }
    // curl infers GET without a body and POST with one.
    let inferred = if has_body { "POST" } else { "GET" };
    if method != inferred {
        let _ = write!(line, " -X {}", single_quoted(&method));
    }
    let _ = write!(line, " {}", single_quoted(&redact_text(&request.url)));
    line
}

enum Credential {
    /// A ready `-H` argument that expands an environment variable.
    Header(String),
    /// Left out, with a note saying why.
    Dropped(String),
}

fn credential_header(header: &Header) -> Option<Credential> {
    if !is_secret_header(&header.name) {
        // A gateway's own token was masked when recorded: curl reads it
        // from an environment variable named after the header.
        return crate::store::redact::looks_secret(&header.name).then(|| {
            let var: String = header
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            Credential::Header(format!("\"{}: ${var}\"", header.name))
        });
    }
    let name = header.name.to_ascii_lowercase();
    Some(match name.as_str() {
        "x-api-key" => Credential::Header("\"x-api-key: $ANTHROPIC_API_KEY\"".into()),
        "authorization" => {
            let scheme = header
                .value
                .split_once(' ')
                .map(|(scheme, _)| scheme)
                .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
                .unwrap_or("Bearer");
            Credential::Header(format!("\"Authorization: {scheme} $ANTHROPIC_AUTH_TOKEN\""))
        }
        _ => Credential::Dropped(format!(
            "the {} header was left out; give curl the proxy credentials with --proxy-user or HTTPS_PROXY",
            header.name
        )),
    })
}

/// `'text'` for the shell, a `'` inside written as `'\''`.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `JSON`, unless a line of the body is exactly that (which would end the
/// heredoc early); then `JSON_1`, `JSON_2`, ….
fn heredoc_delimiter(body: &str) -> String {
    let taken = |candidate: &str| body.lines().any(|line| line == candidate);
    let mut delimiter = String::from("JSON");
    let mut n = 0;
    while taken(&delimiter) {
        n += 1;
        delimiter = format!("JSON_{n}");
    }
    delimiter
}

/// A HAR 1.2 log of the exchanges, in the order given. Failed transport
/// exchanges have status 0 and the failure in `response._error`.
pub fn to_har(exchanges: &[Exchange]) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "claudetui", "version": env!("CARGO_PKG_VERSION") },
            "entries": exchanges.iter().map(har_entry).collect::<Vec<_>>(),
        }
    })
}

fn har_entry(exchange: &Exchange) -> Value {
    let mut entry = json!({
        "startedDateTime": exchange.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "time": non_negative(exchange.timing.total_ms),
        "request": har_request(exchange),
        "response": har_response(exchange),
        "cache": {},
        "timings": har_timings(&exchange.timing),
        "_id": exchange.id.as_str(),
        "_outcome": exchange.outcome.slug(),
    });
    if let Some(failure) = exchange.outcome.failure() {
        entry["comment"] = Value::String(redact_text(&failure.message).into_owned());
    }
    entry
}

fn http_version(exchange: &Exchange) -> &str {
    exchange
        .response
        .as_ref()
        .map_or("HTTP/1.1", |r| r.http_version.as_str())
}

fn har_headers(headers: &[Header]) -> Value {
    redact_headers(headers)
        .into_iter()
        .map(|h| json!({ "name": h.name, "value": h.value }))
        .collect()
}

fn har_request(exchange: &Exchange) -> Value {
    let request = &exchange.request;
    let url = redact_text(&request.url);
    let mut har = json!({
        "method": request.method,
        "url": url,
        "httpVersion": http_version(exchange),
        "cookies": [],
        "headers": har_headers(&request.headers),
        "queryString": query_string(&url),
        "headersSize": -1,
        "bodySize": request.body.len(),
    });
    if !request.body.is_empty() {
        let mime = header_value(&request.headers, "content-type").unwrap_or("application/json");
        har["postData"] = json!({
            "mimeType": mime,
            "params": [],
            "text": redact_text(&request.body),
        });
    }
    har
}

fn har_response(exchange: &Exchange) -> Value {
    let Some(response) = &exchange.response else {
        let error = exchange
            .outcome
            .failure()
            .map(|f| format!("{}: {}", f.kind.slug(), redact_text(&f.message)))
            .unwrap_or_else(|| format!("no response ({})", exchange.outcome.slug()));
        return json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "x-unknown" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": error,
        });
    };
    let status_text = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mime = header_value(&response.headers, "content-type").unwrap_or("x-unknown");
    json!({
        "status": response.status,
        "statusText": status_text,
        "httpVersion": response.http_version,
        "cookies": [],
        "headers": har_headers(&response.headers),
        "content": {
            "size": response.body.len(),
            "mimeType": mime,
            "text": redact_text(&response.body),
        },
        "redirectURL": header_value(&response.headers, "location").unwrap_or(""),
        "headersSize": -1,
        "bodySize": response.body.len(),
    })
}

/// HAR's phases do not overlap and add up to the total; `Timing` counts
/// from the start (connect includes DNS), so each phase is a difference.
fn har_timings(timing: &Timing) -> Value {
    let total = non_negative(timing.total_ms);
    let dns = timing.dns_ms.map(non_negative);
    let connected = timing.connect_ms.map(non_negative);
    let connect = connected.map(|c| non_negative(c - dns.unwrap_or(0.0)));
    let before_wait = connected.or(dns).unwrap_or(0.0);
    let headers = timing.headers_ms.map(non_negative).unwrap_or(total);
    let wait = non_negative(headers - before_wait);
    let receive = non_negative(total - headers.max(before_wait));
    json!({
        "blocked": -1,
        "dns": dns.map_or(json!(-1), |v| json!(v)),
        "connect": connect.map_or(json!(-1), |v| json!(v)),
        "send": 0,
        "wait": wait,
        "receive": receive,
        "ssl": -1,
    })
}

fn non_negative(ms: f64) -> f64 {
    if ms.is_finite() { ms.max(0.0) } else { 0.0 }
}

/// The query parameters of a URL, as written (not percent-decoded).
fn query_string(url: &str) -> Value {
    let Some((_, query)) = url.split_once('?') else {
        return json!([]);
    };
    let query = query.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({ "name": name, "value": value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quotes_survive_the_shell() {
        assert_eq!(single_quoted("it's"), r"'it'\''s'");
        assert_eq!(single_quoted(""), "''");
    }

    #[test]
    fn heredoc_delimiter_avoids_body_lines() {
        assert_eq!(heredoc_delimiter("{}"), "JSON");
        assert_eq!(heredoc_delimiter("{\nJSON\n}"), "JSON_1");
        assert_eq!(heredoc_delimiter("JSON\nJSON_1"), "JSON_2");
    }

    #[test]
    fn query_string_splits_pairs() {
        assert_eq!(
            query_string("https://h/v1/messages?beta=true&x"),
            json!([{"name":"beta","value":"true"},{"name":"x","value":""}])
        );
        assert_eq!(query_string("https://h/v1/messages"), json!([]));
    }

    #[test]
    fn timings_add_up_to_the_total() {
        let timing = Timing {
            dns_ms: Some(5.0),
            connect_ms: Some(30.0),
            headers_ms: Some(100.0),
            total_ms: 250.0,
            ..Timing::default()
        };
        let t = har_timings(&timing);
        assert_eq!(t["dns"], 5.0);
        assert_eq!(t["connect"], 25.0);
        assert_eq!(t["wait"], 70.0);
        assert_eq!(t["receive"], 150.0);
        let sum: f64 = ["dns", "connect", "send", "wait", "receive"]
            .iter()
            .map(|k| t[k].as_f64().unwrap())
            .sum();
        assert_eq!(sum, 250.0);
    }

    #[test]
    fn timings_of_a_reused_connection_mark_unknown_phases() {
        let timing = Timing {
            connection_reused: true,
            headers_ms: Some(40.0),
            total_ms: 50.0,
            ..Timing::default()
        };
        let t = har_timings(&timing);
        assert_eq!(t["dns"], -1);
        assert_eq!(t["connect"], -1);
        assert_eq!(t["wait"], 40.0);
        assert_eq!(t["receive"], 10.0);
    }
}
