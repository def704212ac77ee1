//! Step 2, Network path: which way requests leave this machine and how
//! far each stage of a connection gets — the proxy in effect (and whether
//! `NO_PROXY` sends the host past it), DNS resolution, the TCP connect,
//! and for https the TLS handshake with the certificate's subject and
//! issuer, checked against the same roots the engine trusts.
//!
//! Through a proxy the checks describe the proxy path, as the engine's
//! requests take it: the proxy's own name is resolved and connected to
//! (the target's name is the proxy's business, and a locked-down network
//! often cannot resolve it locally). Through an http:// proxy an https
//! target is then reached with `CONNECT host:port`, and the handshake
//! runs through that tunnel, so the certificate shown is the one the
//! engine gets: a TLS-inspecting proxy shows up as its issuer. An https://
//! proxy gets its own handshake checked; SOCKS proxies only the connect.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api::errors::FailureKind;
use crate::config::{Sourced, display_url};

use super::certificate::{IssuerKind, classify_issuer};
use super::no_proxy::excluded_by;
use super::probe::millis;
use super::reachability::seconds;
use super::tls_handshake::{self, Handshake, HandshakeError};
use super::verdict::Verdict;
use super::{DoctorInput, StepId, StepReport};

/// The host whose certificate must come from a public CA.
const ANTHROPIC_HOST: &str = "api.anthropic.com";
/// The most addresses an evidence line lists.
const SHOWN_ADDRESSES: usize = 4;
/// The most bytes of a proxy's answer to `CONNECT` that are read.
const CONNECT_REPLY_LIMIT: usize = 16 * 1024;

pub(super) async fn check(input: &DoctorInput) -> StepReport {
    let deadline = Instant::now() + input.timeout;
    let Some(target) = Endpoint::parse(&input.profile.base_url.value) else {
        return StepReport::skipped(
            StepId::NetworkPath,
            "not checked: the base URL is not a usable http(s) URL (see Configuration)",
        );
    };
    let mut v = Verdict::default();
    let route = route(input, &target, &mut v);
    let roots = custom_roots(input, &mut v);
    let mut path = Path {
        v,
        deadline,
        roots,
        timings: Vec::new(),
    };
    let summary = match &route {
        Route::Direct => path.direct(&target).await,
        Route::Proxy(proxy) => path.via_proxy(proxy, &target).await,
    };
    let timings = path.timings.join(", ");
    let passed = match summary {
        Some(tail) if timings.is_empty() => tail,
        Some(tail) => format!("{tail}: {timings}"),
        None => String::new(),
    };
    path.v.report(StepId::NetworkPath, passed)
}

/// A URL's scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    scheme: String,
    /// As the URL writes it (an IPv6 address in brackets).
    host: String,
    port: u16,
}

impl Endpoint {
    fn parse(url: &str) -> Option<Endpoint> {
        let url = reqwest::Url::parse(url.trim()).ok()?;
        Some(Endpoint {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default()?,
        })
    }

    /// The host without IPv6 brackets, as DNS and TLS want it.
    fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    fn ip(&self) -> Option<IpAddr> {
        self.bare_host().parse().ok()
    }

    fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Which way requests to the base URL go.
#[derive(Debug)]
enum Route {
    Direct,
    Proxy(Proxy),
}

#[derive(Debug)]
struct Proxy {
    endpoint: Endpoint,
    /// `http://user:…@proxy:3128`, as it may be shown.
    shown: String,
    /// Where the setting comes from, for fixes.
    source: String,
    /// `user:password`, percent-decoded, for `Proxy-Authorization`.
    credentials: Option<String>,
}

/// The proxy settings in effect, as evidence, and the route they give:
/// the scheme's proxy (ALL_PROXY standing in), unless NO_PROXY lists the
/// host — exactly as the engine's client decides.
fn route(input: &DoctorInput, target: &Endpoint, v: &mut Verdict) -> Route {
    let proxies = &input.profile.proxy;
    let settings = [
        ("HTTPS proxy", &proxies.https),
        ("HTTP proxy", &proxies.http),
        ("ALL_PROXY", &proxies.all),
    ];
    let mut any = false;
    for (name, setting) in settings {
        if let Some(setting) = setting {
            any = true;
            v.evidence(format!(
                "{name}: {} (from {})",
                display_url(&setting.value),
                setting.source
            ));
        }
    }
    let chosen = match target.scheme.as_str() {
        "https" => proxies.https.as_ref().or(proxies.all.as_ref()),
        _ => proxies.http.as_ref().or(proxies.all.as_ref()),
    };
    let excluded = proxies.no_proxy.as_ref().and_then(|no_proxy| {
        let entry = excluded_by(&no_proxy.value, &target.host);
        v.evidence(match entry {
            Some(entry) => format!(
                "NO_PROXY: {} (from {}): entry `{entry}` covers {}",
                no_proxy.value, no_proxy.source, target.host
            ),
            None => format!(
                "NO_PROXY: {} (from {}): does not cover {}",
                no_proxy.value, no_proxy.source, target.host
            ),
        });
        entry
    });
    match (chosen, excluded) {
        (None, _) => {
            if !any {
                v.evidence(
                    "no proxy is set (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and the profile's proxy are unset)",
                );
            }
            v.evidence(format!("route: straight to {}", target.authority()));
            Route::Direct
        }
        (Some(proxy), Some(entry)) => {
            v.evidence(format!(
                "route: straight to {}, past the proxy {} (NO_PROXY entry `{entry}`)",
                target.authority(),
                display_url(&proxy.value)
            ));
            Route::Direct
        }
        (Some(setting), None) => match proxy(setting) {
            Some(proxy) => {
                v.evidence(format!(
                    "route: through the proxy {} to {}",
                    proxy.shown,
                    target.authority()
                ));
                Route::Proxy(proxy)
            }
            None => {
                v.fail(
                    format!("the proxy `{}` is not a usable URL", display_url(&setting.value)),
                    format!("Give the proxy as a URL such as http://proxy.example.com:3128, where it is set: {}.", setting.source),
                );
                Route::Direct
            }
        },
    }
}

fn proxy(setting: &Sourced<String>) -> Option<Proxy> {
    let url = reqwest::Url::parse(setting.value.trim()).ok()?;
    let credentials = (!url.username().is_empty()).then(|| {
        format!(
            "{}:{}",
            percent_decode(url.username()),
            percent_decode(url.password().unwrap_or_default())
        )
    });
    Some(Proxy {
        endpoint: Endpoint {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default().or(match url.scheme() {
                "socks5" | "socks5h" | "socks4" | "socks4a" => Some(1080),
                _ => None,
            })?,
        },
        shown: display_url(&setting.value),
        source: setting.source.to_string(),
        credentials,
    })
}

/// `%40` → `@`: userinfo in a URL is percent-encoded; the proxy wants it
/// plain (the engine's client decodes it the same way).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The profile's CA file, read as the engine reads it. A file that cannot
/// be read fails the step (the engine refuses to start a client with it)
/// and the handshake goes on with the system's roots alone.
fn custom_roots(input: &DoctorInput, v: &mut Verdict) -> Vec<CertificateDer<'static>> {
    let Some(ca) = &input.profile.ca_file else {
        v.evidence("trusted roots: the system's (no custom CA file)");
        return Vec::new();
    };
    match tls_handshake::read_ca_file(&ca.value) {
        Ok(certs) => {
            v.evidence(format!(
                "custom CA in use: {} (from {}), {} certificate{} added to the system's roots",
                ca.value.display(),
                ca.source,
                certs.len(),
                if certs.len() == 1 { "" } else { "s" }
            ));
            certs
        }
        Err(why) => {
            v.fail(
                format!("the CA file {} cannot be used: {why}", ca.value.display()),
                format!(
                    "Point it at a PEM bundle (-----BEGIN CERTIFICATE-----), or remove the setting: {}.",
                    ca.source
                ),
            );
            Vec::new()
        }
    }
}

/// The checks of one run: what they found, and the deadline they share.
struct Path {
    v: Verdict,
    deadline: Instant,
    roots: Vec<CertificateDer<'static>>,
    /// `DNS 3 ms`, `TCP 1 ms`, … for the finding.
    timings: Vec<String>,
}

/// Who is being connected to, for the words of a finding.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Target,
    Proxy,
}

impl Path {
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Straight to the base URL's host. Returns the finding's start when
    /// every stage passed.
    async fn direct(&mut self, target: &Endpoint) -> Option<String> {
        let stream = self.connect(target, Role::Target).await?;
        if target.scheme == "https" {
            let ok = self.tls(stream, target, Role::Target).await;
            ok.then(|| format!("direct to {}", target.authority()))
        } else {
            self.v.evidence(format!(
                "TLS: does not apply, the base URL is plain http (nothing is encrypted to {})",
                target.host
            ));
            Some(format!(
                "direct to {} (plain http, no TLS)",
                target.authority()
            ))
        }
    }

    async fn via_proxy(&mut self, proxy: &Proxy, target: &Endpoint) -> Option<String> {
        self.v.evidence(format!(
            "the checks below describe the way to the proxy {}: it resolves and connects to {} itself",
            proxy.shown, target.host
        ));
        let stream = self.connect(&proxy.endpoint, Role::Proxy).await?;
        let through = format!(
            "through the proxy {} to {}",
            proxy.shown,
            target.authority()
        );
        match (proxy.endpoint.scheme.as_str(), target.scheme.as_str()) {
            ("http", "https") => {
                let tunnel = self.tunnel(stream, proxy, target).await?;
                self.tls(tunnel, target, Role::Target)
                    .await
                    .then_some(through)
            }
            ("http", _) => {
                self.v.evidence(
                    "TLS: does not apply, plain http requests are handed to the proxy whole (it sees everything, the key included)",
                );
                Some(through)
            }
            ("https", _) => {
                let ok = self.tls(stream, &proxy.endpoint, Role::Proxy).await;
                self.v.evidence(
                    "the tunnel inside the https proxy is not checked here; Reachability shows whether requests get through",
                );
                ok.then_some(through)
            }
            (scheme, _) => {
                self.v.evidence(format!(
                    "{scheme} proxy: it opens the connection to {} itself; not checked beyond the connect here (Reachability shows whether requests get through)",
                    target.authority()
                ));
                Some(through)
            }
        }
    }

    /// DNS, then TCP to the first address that accepts.
    async fn connect(&mut self, endpoint: &Endpoint, role: Role) -> Option<TcpStream> {
        let addresses = self.resolve(endpoint, role).await?;
        let mut refused = Vec::new();
        let mut other = Vec::new();
        for (i, address) in addresses.iter().enumerate() {
            // Each remaining address gets an equal share of what is left,
            // so one that swallows packets cannot starve the others.
            let share = self.left() / u32::try_from(addresses.len() - i).unwrap_or(1);
            let started = Instant::now();
            match tokio::time::timeout(share, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    let took = millis_of(started.elapsed());
                    let mut line = format!("TCP: connected to {address} in {took}");
                    if !refused.is_empty() || !other.is_empty() {
                        line.push_str(&format!(
                            " ({} address{} before it failed)",
                            refused.len() + other.len(),
                            if refused.len() + other.len() == 1 {
                                ""
                            } else {
                                "es"
                            }
                        ));
                    }
                    self.v.evidence(line);
                    self.timings.push(format!("TCP {took}"));
                    return Some(stream);
                }
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                    refused.push(*address);
                }
                Ok(Err(error)) => other.push(format!("{address}: {error}")),
                Err(_) => other.push(format!("{address}: no answer within {}", seconds(share))),
            }
        }
        self.connect_failed(endpoint, role, &refused, &other);
        None
    }

    fn connect_failed(
        &mut self,
        endpoint: &Endpoint,
        role: Role,
        refused: &[SocketAddr],
        other: &[String],
    ) {
        let at = endpoint.authority();
        for line in other {
            self.v.evidence(format!("TCP: {line}"));
        }
        let what = match role {
            Role::Target => at.clone(),
            Role::Proxy => format!("the proxy at {at}"),
        };
        if !refused.is_empty() && other.is_empty() {
            let list: Vec<String> = refused.iter().map(ToString::to_string).collect();
            self.v
                .evidence(format!("TCP: refused by {}", list.join(", ")));
            self.v.fail(
                format!("connection refused at {what}: nothing listens there"),
                match role {
                    Role::Target => FailureKind::ConnectionRefused.fix().to_owned(),
                    Role::Proxy => proxy_fix("is not running, or its port is wrong"),
                },
            );
            return;
        }
        self.v.fail(
            format!("no TCP connection to {what} could be opened"),
            match role {
                Role::Target => format!(
                    "Check the network path to {at}: a firewall or VPN that drops the connection, or a proxy this terminal should use (HTTPS_PROXY). `curl -v` on the base URL shows where it stops."
                ),
                Role::Proxy => proxy_fix("cannot be reached from here"),
            },
        );
    }

    /// The addresses to try; an IP address needs no lookup.
    async fn resolve(&mut self, endpoint: &Endpoint, role: Role) -> Option<Vec<SocketAddr>> {
        let host = endpoint.bare_host();
        if let Some(ip) = endpoint.ip() {
            self.v
                .evidence(format!("DNS: not needed, {} is an address", endpoint.host));
            return Some(vec![SocketAddr::new(ip, endpoint.port)]);
        }
        let started = Instant::now();
        let lookup = tokio::net::lookup_host((host, endpoint.port));
        let whose = match role {
            Role::Target => format!("the host name {host}"),
            Role::Proxy => format!("the proxy's host name {host}"),
        };
        let result = tokio::time::timeout(self.left(), lookup).await;
        let took = millis_of(started.elapsed());
        let fix = match role {
            Role::Target => "Check the host name in the base URL for typos; if it is right, this machine's DNS cannot find it: a VPN or company network may resolve it only with its own DNS servers, or only through its proxy (then set HTTPS_PROXY).".to_owned(),
            Role::Proxy => proxy_fix("names a host that does not resolve"),
        };
        let addresses: Vec<SocketAddr> = match result {
            Ok(Ok(found)) => {
                let mut unique: Vec<SocketAddr> = Vec::new();
                for address in found {
                    if !unique.contains(&address) {
                        unique.push(address);
                    }
                }
                unique
            }
            Ok(Err(error)) => {
                self.v
                    .evidence(format!("DNS: {host} → error after {took}: {error}"));
                self.v.fail(format!("{whose} does not resolve"), fix);
                return None;
            }
            Err(_) => {
                self.v.fail(
                    format!(
                        "DNS did not answer for {whose} within {}",
                        seconds(started.elapsed())
                    ),
                    "The resolver does not answer: check the DNS servers this machine uses (a VPN often sets its own), then try again.",
                );
                return None;
            }
        };
        if addresses.is_empty() {
            self.v.fail(format!("{whose} resolves to no address"), fix);
            return None;
        }
        self.v.evidence(format!(
            "DNS: {host} → {} in {took}",
            address_list(&addresses)
        ));
        self.timings.push(format!("DNS {took}"));
        Some(addresses)
    }

    /// `CONNECT host:port` through an http proxy; the open tunnel.
    async fn tunnel(
        &mut self,
        mut stream: TcpStream,
        proxy: &Proxy,
        target: &Endpoint,
    ) -> Option<TcpStream> {
        let authority = target.authority();
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(credentials) = &proxy.credentials {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            request.push_str(&format!("Proxy-Authorization: Basic {encoded}\r\n"));
        }
        request.push_str("\r\n");
        let started = Instant::now();
        let exchange = async {
            stream.write_all(request.as_bytes()).await?;
            read_head(&mut stream).await
        };
        let head = match tokio::time::timeout(self.left(), exchange).await {
            Ok(Ok(head)) => head,
            Ok(Err(error)) => {
                self.v.fail(
                    format!(
                        "the proxy {} closed the tunnel request: {error}",
                        proxy.shown
                    ),
                    FailureKind::Proxy.fix(),
                );
                return None;
            }
            Err(_) => {
                self.v.fail(
                    format!(
                        "the proxy {} did not answer CONNECT {authority} within {}",
                        proxy.shown,
                        seconds(started.elapsed())
                    ),
                    FailureKind::Proxy.fix(),
                );
                return None;
            }
        };
        let took = millis_of(started.elapsed());
        let status_line = head.lines().next().unwrap_or_default().trim().to_owned();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok());
        self.v.evidence(format!(
            "CONNECT {authority} → {} in {took}",
            printable_line(&status_line)
        ));
        match status {
            Some(200..=299) => {
                self.timings.push(format!("CONNECT {took}"));
                Some(stream)
            }
            Some(407) => {
                self.v.fail(
                    format!("the proxy {} wants credentials (407)", proxy.shown),
                    format!(
                        "Put the proxy's user and password in its URL (http://user:password@proxy:3128; encode @ as %40), where it is set: {}.",
                        proxy.source
                    ),
                );
                None
            }
            _ => {
                self.v.fail(
                    format!(
                        "the proxy {} refused to open a tunnel to {authority}: {}",
                        proxy.shown,
                        printable_line(&status_line)
                    ),
                    format!(
                        "Ask whoever runs the proxy to allow {}; or, if this host should not go through it, add it to NO_PROXY. {}",
                        target.host,
                        FailureKind::Proxy.fix()
                    ),
                );
                None
            }
        }
    }

    /// The handshake and what the certificate says. True when it passed.
    async fn tls<S>(&mut self, stream: S, endpoint: &Endpoint, role: Role) -> bool
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let limit = self.left();
        let handshake = match tls_handshake::handshake(
            stream,
            endpoint.bare_host(),
            &self.roots,
            limit,
        )
        .await
        {
            Ok(handshake) => handshake,
            Err(why) => {
                self.v.fail(
                    format!(
                        "no TLS handshake could be tried with {}: {why}",
                        endpoint.host
                    ),
                    FailureKind::Tls.fix(),
                );
                return false;
            }
        };
        self.judge_tls(&handshake, endpoint, role)
    }

    fn judge_tls(&mut self, handshake: &Handshake, endpoint: &Endpoint, role: Role) -> bool {
        let took = millis_of(handshake.took);
        if let Some(cert) = &handshake.presented {
            self.v.evidence(format!(
                "certificate: {}; issued by {}",
                or_unnamed(&cert.subject),
                or_unnamed(&cert.issuer)
            ));
            if !cert.names.is_empty() {
                let shown: Vec<&str> = cert.names.iter().take(5).map(String::as_str).collect();
                let more = cert.names.len().saturating_sub(shown.len());
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                self.v
                    .evidence(format!("certificate valid for: {}{tail}", shown.join(", ")));
            }
        }
        let issuer = handshake.presented.as_ref().map(|c| c.issuer.as_str());
        let kind = issuer.map(classify_issuer);
        match &handshake.result {
            Ok(negotiated) => {
                let alpn = negotiated
                    .alpn
                    .as_deref()
                    .map(|p| format!(", ALPN {p}"))
                    .unwrap_or_default();
                self.v.evidence(format!(
                    "TLS: {}{alpn}, in {took}, certificate trusted",
                    negotiated.version
                ));
                self.timings.push(format!("TLS {took}"));
                self.issuer_notes(endpoint, issuer, kind);
                true
            }
            Err(error) => {
                self.v
                    .evidence(format!("TLS: failed after {took}: {error}"));
                self.tls_failed(endpoint, role, error, handshake, kind);
                false
            }
        }
    }

    /// A trusted certificate whose issuer says something worth knowing.
    fn issuer_notes(
        &mut self,
        endpoint: &Endpoint,
        issuer: Option<&str>,
        kind: Option<IssuerKind>,
    ) {
        let Some(issuer) = issuer else {
            return;
        };
        match kind {
            Some(IssuerKind::Inspection(product)) => self.v.warn(
                format!(
                    "the certificate for {} is issued by {product} ({issuer}): a TLS-inspecting proxy decrypts this traffic",
                    endpoint.host
                ),
                "Usually this is company policy and works; if requests fail in ways curl does not, ask the network team to exempt the API's host from inspection.",
            ),
            Some(IssuerKind::Unrecognised) if endpoint.bare_host() == ANTHROPIC_HOST => self.v.warn(
                format!(
                    "the certificate for {ANTHROPIC_HOST} is issued by `{issuer}`, not a public CA: something between here and the API re-signs TLS"
                ),
                "Find out what intercepts TLS on this network (a corporate proxy, antivirus web shield or VPN) and trust it on purpose, or use a network without it.",
            ),
            Some(IssuerKind::Unrecognised) => self.v.evidence(format!(
                "issuer `{issuer}` is not a well-known public CA: a private CA, or a TLS-inspecting proxy"
            )),
            _ => {}
        }
    }

    fn tls_failed(
        &mut self,
        endpoint: &Endpoint,
        role: Role,
        error: &HandshakeError,
        handshake: &Handshake,
        kind: Option<IssuerKind>,
    ) {
        let whom = match role {
            Role::Target => endpoint.authority(),
            Role::Proxy => format!("the proxy at {}", endpoint.authority()),
        };
        match error {
            HandshakeError::NotTls(_) => {
                self.v.fail(
                    format!("{whom} does not speak TLS: it answered the handshake with something else (plain http?)"),
                    format!("If it is a plain-http server (a local gateway, `claudetui mock`), use http://{} in the base URL; otherwise check the port.", endpoint.authority()),
                );
                return;
            }
            HandshakeError::TimedOut(limit) => {
                self.v.fail(
                    format!("{whom} accepted the connection but completed no TLS handshake within {}", seconds(*limit)),
                    format!("Something holds the connection without speaking TLS: check the base URL's scheme and port, and any firewall or VPN on the way to {}.", endpoint.host),
                );
                return;
            }
            HandshakeError::Failed(_) => {}
        }
        let ca_setting =
            "point SSL_CERT_FILE (or ca_file in the profile) at that CA's certificate in PEM form";
        let fix = match (handshake.presented.as_ref(), kind) {
            (Some(cert), Some(IssuerKind::Inspection(product))) => format!(
                "{product} re-signs TLS on this network with its own CA ({}), which this machine does not trust: {ca_setting} (the network team can provide it).",
                cert.issuer
            ),
            (Some(cert), _) if cert.self_signed() => format!(
                "The server presents a self-signed certificate ({}). If you trust this server, {ca_setting}; otherwise something is impersonating {}.",
                or_unnamed(&cert.subject),
                endpoint.host
            ),
            (Some(cert), Some(IssuerKind::Unrecognised)) => format!(
                "The certificate is issued by `{}`, which this machine does not trust. If that is your organisation's CA or a TLS-inspecting proxy, {ca_setting}. {}",
                or_unnamed(&cert.issuer),
                FailureKind::Tls.fix()
            ),
            _ => FailureKind::Tls.fix().to_owned(),
        };
        self.v.fail(
            format!("the TLS handshake with {whom} failed: {error}"),
            fix,
        );
    }
}

fn proxy_fix(problem: &str) -> String {
    format!(
        "The proxy {problem}: check HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (or the profile's proxy), or unset it if this network needs none."
    )
}

fn or_unnamed(name: &str) -> &str {
    if name.is_empty() { "(no name)" } else { name }
}

fn millis_of(duration: Duration) -> String {
    millis(duration.as_secs_f64() * 1000.0)
}

/// `a, b, c and 3 more`.
fn address_list(addresses: &[SocketAddr]) -> String {
    let shown: Vec<String> = addresses
        .iter()
        .take(SHOWN_ADDRESSES)
        .map(|a| a.ip().to_string())
        .collect();
    let more = addresses.len().saturating_sub(SHOWN_ADDRESSES);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A proxy's status line, safe to print.
fn printable_line(line: &str) -> String {
    let cleaned: String = line
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(120)
        .collect();
    if cleaned.is_empty() {
        "an empty answer".into()
    } else {
        cleaned
    }
}

/// Reads an HTTP response head (up to the blank line), byte by byte so
/// nothing of the tunnel's first TLS bytes is swallowed.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= CONNECT_REPLY_LIMIT {
            break;
        }
        if stream.read(&mut byte).await? == 0 {
            if head.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the proxy closed the connection without an answer",
                ));
            }
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::doctor::StepState;
    use crate::doctor::probe::testing::input;

    const KEY: &str = "sk-ant-api03-NetworkTestKey-0123456789abcdefghijklm-NOPQ";

    fn sourced(value: &str, var: &str) -> Option<Sourced<String>> {
        Some(Sourced::new(value.to_owned(), Source::Env(var.into())))
    }

    #[test]
    fn endpoints_know_their_default_ports_and_brackets() {
        let e = Endpoint::parse("https://api.anthropic.com").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("api.anthropic.com", 443));
        let e = Endpoint::parse("http://[::1]:4747/x").unwrap();
        assert_eq!(e.authority(), "[::1]:4747");
        assert_eq!(e.bare_host(), "::1");
        assert!(e.ip().is_some());
        assert_eq!(Endpoint::parse("not a url"), None);
    }

    #[test]
    fn the_route_follows_the_schemes_proxy_and_no_proxy() {
        let mut input = input(KEY);
        input.profile.proxy.https = sourced("http://bob:s3cret@proxy.corp:3128", "HTTPS_PROXY");
        let target = Endpoint::parse("https://api.example.test").unwrap();
        let mut v = Verdict::default();
        let Route::Proxy(proxy) = route(&input, &target, &mut v) else {
            panic!("not proxied")
        };
        assert_eq!(proxy.endpoint.authority(), "proxy.corp:3128");
        assert_eq!(proxy.credentials.as_deref(), Some("bob:s3cret"));
        let report = v.report(StepId::NetworkPath, "x");
        assert!(report.texts().all(|t| !t.contains("s3cret")), "{report:#?}");
        assert!(
            report.evidence.iter().any(|e| e.contains("HTTPS_PROXY")),
            "{report:#?}"
        );

        input.profile.proxy.no_proxy = sourced("localhost,.example.test", "NO_PROXY");
        let mut v = Verdict::default();
        assert!(matches!(route(&input, &target, &mut v), Route::Direct));
        let report = v.report(StepId::NetworkPath, "x");
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains("entry `.example.test` covers api.example.test")),
            "{report:#?}"
        );

        // An http base URL takes the HTTP proxy, or ALL_PROXY.
        let plain = Endpoint::parse("http://gw.internal:8080").unwrap();
        let mut v = Verdict::default();
        assert!(matches!(route(&input, &plain, &mut v), Route::Direct));
        input.profile.proxy.all = sourced("socks5://127.0.0.1", "ALL_PROXY");
        let mut v = Verdict::default();
        let Route::Proxy(proxy) = route(&input, &plain, &mut v) else {
            panic!("not proxied")
        };
        assert_eq!(proxy.endpoint.port, 1080);
    }

    #[test]
    fn percent_encoded_credentials_are_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[tokio::test]
    async fn plain_http_to_a_listening_port_passes_without_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut input = input(KEY);
        input.profile.base_url = Sourced::new(format!("http://{addr}"), Source::Default);
        let report = check(&input).await;
        assert_eq!(report.state, StepState::Pass, "{report:#?}");
        assert!(
            report
                .finding
                .starts_with(&format!("direct to {addr} (plain http, no TLS): TCP ")),
            "{}",
            report.finding
        );
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains("DNS: not needed")),
            "{report:#?}"
        );
        assert!(
            report
                .evidence
                .iter()
                .any(|e| e.contains("TLS: does not apply")),
            "{report:#?}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_connection_refused() {
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let mut input = input(KEY);
        input.profile.base_url = Sourced::new(format!("https://{addr}"), Source::Default);
        let report = check(&input).await;
        assert_eq!(report.state, StepState::Fail, "{report:#?}");
        assert_eq!(
            report.finding,
            format!("connection refused at {addr}: nothing listens there")
        );
        assert_eq!(
            report.fix.as_deref(),
            Some(FailureKind::ConnectionRefused.fix())
        );
    }

    #[tokio::test]
    async fn a_server_that_holds_the_handshake_fails_within_the_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let mut input = input(KEY);
        input.profile.base_url = Sourced::new(format!("https://{addr}"), Source::Default);
        input.timeout = Duration::from_millis(400);
        let started = Instant::now();
        let report = check(&input).await;
        holder.abort();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(report.state, StepState::Fail, "{report:#?}");
        assert!(
            report.finding.starts_with(&format!(
                "{addr} accepted the connection but completed no TLS handshake within"
            )),
            "{}",
            report.finding
        );
        assert!(report.fix.as_deref().unwrap().contains("scheme and port"));
    }

    #[tokio::test]
    async fn a_proxy_that_refuses_the_tunnel_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let proxy = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let head = read_head(&mut socket).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            head
        });
        let mut input = input(KEY);
        input.profile.proxy.https = sourced(&format!("http://u:p%40w@{addr}"), "HTTPS_PROXY");
        let report = check(&input).await;
        let head = proxy.await.unwrap();
        assert!(
            head.starts_with("CONNECT api.example.test:443 HTTP/1.1\r\n"),
            "{head}"
        );
        // u:p@w, base64.
        assert!(
            head.contains("Proxy-Authorization: Basic dTpwQHc=\r\n"),
            "{head}"
        );
        assert_eq!(report.state, StepState::Fail, "{report:#?}");
        assert!(
            report.finding.contains(
                "refused to open a tunnel to api.example.test:443: HTTP/1.1 403 Forbidden"
            ),
            "{}",
            report.finding
        );
        assert!(report.fix.as_deref().unwrap().contains("NO_PROXY"));
        assert!(
            report
                .texts()
                .all(|t| !t.contains("p%40w") && !t.contains("p@w"))
        );
    }
}
