//! Failures below HTTP, or a 2xx answer that broke off or is not the
//! API's: which host, how far the exchange got (DNS, connect, headers,
//! events) and what that points at.

use crate::api::errors::FailureKind;
use crate::cli::DEFAULT_MOCK_PORT;

use super::decode::clip;
use super::{Draft, millis};

pub(super) fn explain(d: &mut Draft) {
    let host = Host::of(&d.exchange.request.url);
    if let Some(host) = &host {
        d.evidence("host", host.to_string());
    }
    timing_evidence(d);
    let host = host.unwrap_or_default();
    match d.failure.kind {
        FailureKind::Dns => dns(d, &host),
        FailureKind::ConnectionRefused => refused(d, &host),
        FailureKind::Tls => tls(d, &host),
        FailureKind::Proxy => proxy(d, &host),
        FailureKind::Timeout => timeout(d, &host),
        FailureKind::ConnectionReset => reset(d, &host),
        _ => malformed(d),
    }
}

/// Where the request went: host name and port (the scheme's default when
/// the URL names none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Host {
    name: String,
    port: Option<u16>,
    loopback: bool,
}

impl Host {
    fn of(url: &str) -> Option<Host> {
        let url = reqwest::Url::parse(url).ok()?;
        let name = url.host_str()?.to_owned();
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        let loopback = match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => bare.eq_ignore_ascii_case("localhost"),
        };
        Some(Host {
            name,
            port: url.port_or_known_default(),
            loopback,
        })
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// How far the exchange got, phase by phase.
fn timing_evidence(d: &mut Draft) {
    let timing = d.exchange.timing.clone();
    if let Some(dns) = timing.dns_ms {
        d.evidence("dns", millis(dns));
    }
    if let Some(connect) = timing.connect_ms {
        d.evidence("connect", millis(connect));
    }
    if let Some(headers) = timing.headers_ms {
        d.evidence("headers after", millis(headers));
    }
    d.evidence("gave up after", millis(timing.total_ms));
}

fn dns(d: &mut Draft, host: &Host) {
    d.summary = format!("{} does not resolve", host.name);
    let name = host.name.to_ascii_lowercase();
    if [".invalid", ".test", ".example"]
        .iter()
        .any(|tld| name.ends_with(tld))
    {
        d.explain(format!(
            "{} is under a reserved top-level domain that never resolves: the base URL is a placeholder or a typo.",
            host.name
        ));
    } else {
        d.explain(format!(
            "The resolver had no address for {}: a typo in the base URL, a name only a VPN or an internal DNS knows, or no network.",
            host.name
        ));
    }
}

fn refused(d: &mut Draft, host: &Host) {
    d.summary = format!("nothing listens at {host}");
    if host.loopback {
        let mock = if host.port == Some(DEFAULT_MOCK_PORT) {
            " (`claudetui mock` listens on this port by default)"
        } else {
            ""
        };
        d.explain(format!(
            "{host} is this machine: the gateway, proxy or mock server meant to listen there is not running{mock}."
        ));
    } else {
        d.explain(format!(
            "{host} answered the connection with a refusal: the host is up, but nothing listens on port {} (a wrong port, or the service is down).",
            host.port.map_or_else(|| "?".to_owned(), |p| p.to_string())
        ));
    }
}

fn tls(d: &mut Draft, host: &Host) {
    d.summary = format!("the TLS handshake with {host} failed");
    let lower = d.failure.message.to_ascii_lowercase();
    if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        d.explain("The certificate is signed by an issuer this machine does not trust: usually a TLS-inspecting corporate proxy, whose CA must be added.");
    } else if lower.contains("expired") || lower.contains("notvalidyet") {
        d.explain("The certificate is outside its validity dates: check this machine's clock, then the server's certificate.");
    } else if lower.contains("notvalidforname") || lower.contains("not valid for") {
        d.explain(format!(
            "The certificate is for a different host name than {}: a proxy answering for it, or the wrong host in the base URL.",
            host.name
        ));
    } else if lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
        || lower.contains("wrong version number")
        || lower.contains("invalid content type")
    {
        d.explain(format!(
            "{host} does not speak TLS: the answer to the handshake was not TLS at all, as from a plain-HTTP server."
        ));
        d.fix = Some(
            "Use http:// in the base URL for a plain-HTTP server (a local gateway, `claudetui mock`), or the port that serves HTTPS."
                .into(),
        );
    }
}

fn proxy(d: &mut Draft, host: &Host) {
    d.summary = format!("the proxy could not open a tunnel to {host}");
    d.explain("The request went to an HTTP proxy (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY), and the proxy refused or failed to connect onward; the message quotes its answer.");
}

fn timeout(d: &mut Draft, host: &Host) {
    let timing = &d.exchange.timing;
    let total = millis(timing.total_ms);
    match (timing.headers_ms, timing.connect_ms) {
        (Some(headers), _) => {
            d.summary = format!("the answer from {host} stalled; gave up after {total}");
            d.explain(format!(
                "The headers arrived after {}, but the body did not finish before the timeout.",
                millis(headers)
            ));
        }
        (None, Some(connect)) => {
            d.summary = format!("no answer from {host} within {total}");
            // A connect that failed is a connect error, not a timeout: this
            // one completed.
            d.explain(format!(
                "The connection opened after {}, but no response headers came back before the timeout: a slow server, or a long generation without streaming.",
                millis(connect)
            ));
        }
        (None, None) => {
            d.summary = format!("no answer from {host} within {total}");
            d.explain("The client gave up before a connection was open, or while the request was waiting for an answer.");
        }
    }
}

fn reset(d: &mut Draft, host: &Host) {
    let Some(response) = d.exchange.response.as_ref() else {
        d.summary = format!("{host} closed the connection before answering");
        return;
    };
    let events = response.events.len();
    if events == 0 {
        d.summary = format!(
            "the {} answer broke off before it was complete",
            response.status
        );
        d.explain(
            "The connection closed while the body was arriving, so the answer is incomplete.",
        );
        return;
    }
    d.summary = format!("the stream was cut after {events} events");
    d.evidence("events received", events.to_string());
    if let Some(last) = response.events.last() {
        d.evidence(
            "last event",
            format!("{} at +{}", last.event, millis(last.at_ms)),
        );
    }
    d.explain(format!(
        "The status was {} and the stream started, but it ended without message_stop: the connection was closed mid-stream by the network, a proxy or load balancer (an idle or total time limit), or the server.",
        response.status
    ));
}

fn malformed(d: &mut Draft) {
    let content_type = d
        .response_header("content-type")
        .unwrap_or("no content-type");
    d.summary = format!("the answer is not the API's ({content_type})");
    if content_type.contains("html") {
        d.explain("An HTML answer is a web page, not the API: a proxy's block or login page, a captive portal, or a base URL that points at a website.");
    }
    if let Some(response) = &d.exchange.response {
        let start = clip(response.body.trim(), 120);
        if !start.is_empty() {
            d.evidence("body starts", start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_have_ports_and_know_loopback() {
        let h = Host::of("http://127.0.0.1:4747/v1/messages").unwrap();
        assert_eq!(h.to_string(), "127.0.0.1:4747");
        assert!(h.loopback);
        let h = Host::of("https://api.anthropic.com/v1/messages").unwrap();
        assert_eq!(h.to_string(), "api.anthropic.com:443");
        assert!(!h.loopback);
        assert!(Host::of("http://[::1]:9/").unwrap().loopback);
        assert!(Host::of("http://localhost/").unwrap().loopback);
        assert_eq!(Host::of("not a url"), None);
    }
}
