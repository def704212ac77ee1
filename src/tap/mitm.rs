//! The tap as an HTTPS proxy (`claudetui tap --mitm`), for traffic that
//! ignores `ANTHROPIC_BASE_URL`: Claude Code's first-run connectivity probe
//! (`GET https://api.anthropic.com/api/hello`, `https://platform.claude.com
//! /v1/oauth/hello`), whose 4xx becomes "ERR_BAD_REQUEST".
//!
//! A client sends `CONNECT host:443`. For the hosts in
//! [`INTERCEPTED_HOSTS`] the tap answers 200, completes the TLS handshake
//! itself with a certificate from its local CA, and relays each request
//! inside to the real host exactly as the reverse proxy does, recording
//! it. Every other host gets a blind tunnel, unrecorded and unread. The
//! onward connection honours the tap's own proxy settings, so a user
//! behind a corporate proxy sees the proxy's answer the probe got.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Shared;
pub use super::ca::{CaError, INTERCEPTED_HOSTS, LocalCa};
use super::relay::{forward, tap_error};

/// How long a client that asked for a tunnel may take to start TLS.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum MitmError {
    #[error(transparent)]
    Ca(#[from] CaError),
}

/// The CA and the files clients are told to trust.
#[derive(Debug, Clone)]
pub struct Mitm {
    ca: Arc<LocalCa>,
    /// The system's roots plus the CA, for clients whose CA setting
    /// replaces the system's.
    bundle: PathBuf,
}

/// Where the CA lives inside the data directory.
pub fn ca_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tap-ca")
}

impl Mitm {
    /// The CA in the data directory, made on first use; the bundle is
    /// written anew (the system's roots may have changed).
    pub fn load_or_create(data_dir: &Path) -> Result<Mitm, MitmError> {
        let ca = LocalCa::load_or_create(&ca_dir(data_dir))?;
        let system_roots = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let bundle = ca.write_bundle(system_roots.as_deref())?;
        Ok(Mitm {
            ca: Arc::new(ca),
            bundle,
        })
    }

    pub fn ca_path(&self) -> PathBuf {
        self.ca.cert_path()
    }

    pub fn cert_pem(&self) -> &str {
        self.ca.cert_pem()
    }

    /// What `claudetui tap --print-ca` says.
    pub fn describe_ca(&self) -> String {
        format!(
            "the tap's CA certificate is {} (its private key, readable by you only: {})\n  \
             it can only sign for {}\n  trust it with NODE_EXTRA_CA_CERTS={} (Node, Claude Code), \
             or SSL_CERT_FILE / REQUESTS_CA_BUNDLE={} (Python, curl; your system's roots plus this CA)",
            self.ca_path().display(),
            self.ca.key_path().display(),
            INTERCEPTED_HOSTS.join(", "),
            self.ca_path().display(),
            self.bundle.display()
        )
    }

    /// One line for the tap's banner.
    pub fn describe_proxy(&self, tap_url: &str) -> String {
        format!(
            "also an HTTPS proxy (HTTPS_PROXY={tap_url}): {} are opened and recorded with the CA at {}; \
             every other host is tunnelled unrecorded",
            INTERCEPTED_HOSTS.join(", "),
            self.ca_path().display()
        )
    }

    /// The environment a client needs to go through the tap as a proxy
    /// and trust its CA. Loopback stays direct, so the base URL pointing
    /// at the tap is not sent through the proxy.
    pub fn client_env(&self, tap_url: &str, no_proxy: Option<&str>) -> Vec<(String, String)> {
        let bundle = self.bundle.display().to_string();
        let mut direct: Vec<&str> = no_proxy
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        for host in ["127.0.0.1", "localhost", "::1"] {
            if !direct.contains(&host) {
                direct.push(host);
            }
        }
        let direct = direct.join(",");
        vec![
            ("HTTPS_PROXY".into(), tap_url.into()),
            ("https_proxy".into(), tap_url.into()),
            ("NO_PROXY".into(), direct.clone()),
            ("no_proxy".into(), direct),
            (
                "NODE_EXTRA_CA_CERTS".into(),
                self.ca_path().display().to_string(),
            ),
            ("SSL_CERT_FILE".into(), bundle.clone()),
            ("REQUESTS_CA_BUNDLE".into(), bundle),
        ]
    }
}

/// A `CONNECT host:port`: opened and recorded for the Anthropic hosts,
/// tunnelled blind for the rest.
pub(super) async fn connect(shared: Arc<Shared>, request: Request) -> Response {
    let Some(mitm) = shared.mitm.clone() else {
        return tap_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "this claudetui tap is a reverse proxy (point ANTHROPIC_BASE_URL at it); \
             start it with --mitm to use it as HTTPS_PROXY"
                .into(),
        );
    };
    let Some(authority) = request.uri().authority().cloned() else {
        return tap_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "CONNECT needs host:port".into(),
        );
    };
    let host = authority.host().to_ascii_lowercase();
    let port = authority.port_u16().unwrap_or(443);
    if INTERCEPTED_HOSTS.contains(&host.as_str()) {
        let config = match mitm.ca.server_config(&host) {
            Ok(config) => config,
            Err(error) => {
                return tap_error(StatusCode::BAD_GATEWAY, "api_error", error.to_string());
            }
        };
        let task_shared = shared.clone();
        shared.relays.spawn(async move {
            match hyper::upgrade::on(request).await {
                Ok(upgraded) => open(task_shared, upgraded, &host, port, config).await,
                Err(error) => tracing::warn!(%error, "tap: CONNECT upgrade failed"),
            }
        });
        return Response::new(Body::empty());
    }
    let onward = match tunnel(&shared, &host, port).await {
        Ok(onward) => onward,
        Err(why) => {
            return tap_error(
                StatusCode::BAD_GATEWAY,
                "api_error",
                format!("claudetui tap could not open a tunnel to {host}:{port}: {why}"),
            );
        }
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(request).await {
            let mut client = TokioIo::new(upgraded);
            let mut onward = onward;
            let _ = tokio::io::copy_bidirectional(&mut client, &mut onward).await;
        }
    });
    Response::new(Body::empty())
}

/// Terminates the client's TLS with the CA's certificate for `host` and
/// relays every request inside to `https://host:port`.
async fn open(
    shared: Arc<Shared>,
    upgraded: hyper::upgrade::Upgraded,
    host: &str,
    port: u16,
    config: Arc<rustls::ServerConfig>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let handshake = acceptor.accept(TokioIo::new(upgraded));
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            // Most often: the client does not trust the tap's CA.
            tracing::warn!(%error, %host, "tap: the client's TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::warn!(%host, "tap: the client opened a tunnel and never spoke TLS");
            return;
        }
    };
    let upstream = if port == 443 {
        format!("https://{host}")
    } else {
        format!("https://{host}:{port}")
    };
    let Some(client) = shared.https_client.clone() else {
        return;
    };
    let stopping = shared.stopping.clone();
    let service =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let (shared, upstream, client) = (shared.clone(), upstream.clone(), client.clone());
            async move {
                let request = request.map(Body::new);
                Ok::<_, Infallible>(forward(shared, request, &upstream, &client).await)
            }
        });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    // At shutdown a kept-alive connection is closed between requests.
    let served = tokio::select! {
        served = connection.as_mut() => served,
        _ = stopping.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, %host, "tap: an opened connection ended with an error");
    }
}

/// A TCP connection to `host:port`, through the tap's own proxy when its
/// settings say so (`CONNECT` to an http:// proxy).
async fn tunnel(shared: &Shared, host: &str, port: u16) -> Result<TcpStream, String> {
    let target = format!("https://{host}:{port}");
    let proxy = target
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| shared.proxies.intercept(&uri));
    let Some(proxy) = proxy else {
        return TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string());
    };
    let uri = proxy.uri();
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "the onward proxy {} is not an http:// proxy, which is all a blind tunnel goes through",
            crate::config::display_url(&uri.to_string())
        ));
    }
    let proxy_host = uri.host().unwrap_or_default();
    let proxy_port = uri.port_u16().unwrap_or(80);
    let mut stream = TcpStream::connect((proxy_host, proxy_port))
        .await
        .map_err(|e| format!("the proxy {proxy_host}:{proxy_port}: {e}"))?;
    let mut head = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(auth) = proxy.basic_auth().and_then(|v| v.to_str().ok()) {
        head.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("the proxy {proxy_host}:{proxy_port}: {e}"))?;
    let answer = read_head(&mut stream).await?;
    let status_line = answer.lines().next().unwrap_or_default().to_owned();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(format!(
            "the proxy {proxy_host}:{proxy_port} refused the tunnel: {}",
            crate::text::printable(&status_line)
        ));
    }
    Ok(stream)
}

/// A proxy's answer head, up to the blank line (at most 16 KiB).
async fn read_head(stream: &mut TcpStream) -> Result<String, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("the proxy's answer head is larger than 16 KiB".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the proxy closed the connection".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_env_keeps_loopback_direct() {
        let dir = tempfile::tempdir().unwrap();
        let mitm = Mitm::load_or_create(dir.path()).unwrap();
        let env = mitm.client_env("http://127.0.0.1:4748", Some("corp.example, localhost"));
        let get = |name: &str| {
            env.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("HTTPS_PROXY"), "http://127.0.0.1:4748");
        assert_eq!(get("NO_PROXY"), "corp.example,localhost,127.0.0.1,::1");
        assert!(get("NODE_EXTRA_CA_CERTS").ends_with("ca.pem"));
        assert!(get("SSL_CERT_FILE").ends_with("ca-bundle.pem"));
    }
}
