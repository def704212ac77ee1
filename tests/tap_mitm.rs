//! `claudetui tap --mitm`: the tap as an HTTPS proxy. A rustls client that
//! trusts the tap's generated CA reaches "api.anthropic.com" through it (a
//! loopback server standing in for it), the exchange is recorded, other
//! hosts are tunnelled blind, and the CA cannot vouch for anything else.

mod common;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use claudetui::engine::client::ClientSettings;
use claudetui::engine::{Event, EventSender};
use claudetui::exchange::{Exchange, Outcome, Source};
use claudetui::tap::mitm::Mitm;
use claudetui::tap::{TapConfig, TapServer};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::mpsc;
use tokio_rustls::rustls;

const DEADLINE: Duration = Duration::from_secs(20);

/// A TLS server for `names` answering `{"message":"hello"}` to anything,
/// and its certificate as PEM.
async fn tls_upstream(names: &[&str]) -> (u16, String) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(socket).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_request| async {
                    let mut response = http::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(br#"{"message":"hello"}"#),
                    ));
                    response.headers_mut().insert(
                        "content-type",
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, certified.cert.pem())
}

/// A reqwest client on rustls that goes through `proxy` and trusts only
/// the PEM certificates given.
fn proxied_client(proxy: &str, trusted: &[&str]) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for pem in trusted {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap();
        assert!(!certs.is_empty());
        for der in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(der.unwrap()).unwrap();
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(proxy).unwrap())
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap()
}

use rustls::pki_types::pem::PemObject;

async fn next_exchange(events: &mut mpsc::UnboundedReceiver<Event>) -> Exchange {
    let wait = async {
        loop {
            match events.recv().await {
                Some(Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex)) => return *ex,
                Some(_) => continue,
                None => panic!("event channel closed"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait).await.unwrap()
}

struct MitmTap {
    tap: TapServer,
    events: mpsc::UnboundedReceiver<Event>,
    ca_pem: String,
    _dir: tempfile::TempDir,
}

/// A `--mitm` tap whose onward connections to api.anthropic.com land on
/// loopback and trust `upstream_pem`.
async fn mitm_tap(upstream_pem: &str) -> MitmTap {
    let dir = tempfile::tempdir().unwrap();
    let upstream_ca = dir.path().join("upstream.pem");
    std::fs::write(&upstream_ca, upstream_pem).unwrap();
    let mitm = Mitm::load_or_create(dir.path()).unwrap();
    let ca_pem = mitm.cert_pem().to_owned();
    let (tx, events) = mpsc::unbounded_channel();
    let mut config = TapConfig::new("http://127.0.0.1:9");
    config.events = EventSender::new(tx);
    config.mitm = Some(mitm);
    config.client = ClientSettings {
        ca_file: Some(upstream_ca),
        pinned_hosts: BTreeMap::from([(
            "api.anthropic.com".to_owned(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        )]),
        ..ClientSettings::default()
    };
    MitmTap {
        tap: TapServer::start(config).await.unwrap(),
        events,
        ca_pem,
        _dir: dir,
    }
}

#[tokio::test]
async fn the_first_run_probe_is_opened_recorded_and_answered() {
    let (port, upstream_pem) = tls_upstream(&["api.anthropic.com"]).await;
    let mut tapped = mitm_tap(&upstream_pem).await;
    let client = proxied_client(&tapped.tap.base_url(), &[&tapped.ca_pem]);
    let response = client
        .get(format!("https://api.anthropic.com:{port}/api/hello"))
        .header("user-agent", "claude-cli/2.1.197 (external, cli)")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"message":"hello"}"#);
    let exchange = next_exchange(&mut tapped.events).await;
    assert_eq!(exchange.source, Source::Tap);
    assert_eq!(exchange.outcome, Outcome::Ok);
    assert_eq!(
        exchange.request.url,
        format!("https://api.anthropic.com:{port}/api/hello")
    );
    assert_eq!(
        exchange.summary().client.as_deref(),
        Some("claude-cli/2.1.197")
    );
}

#[tokio::test]
async fn other_hosts_are_tunnelled_blind_and_not_recorded() {
    let (blind_port, blind_pem) = tls_upstream(&["localhost"]).await;
    let (port, upstream_pem) = tls_upstream(&["api.anthropic.com"]).await;
    let mut tapped = mitm_tap(&upstream_pem).await;
    // The client trusts the real server's certificate, not the tap's CA:
    // it only works if the tap stays out of the TLS.
    let blind = proxied_client(&tapped.tap.base_url(), &[&blind_pem]);
    let response = blind
        .get(format!("https://localhost:{blind_port}/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), r#"{"message":"hello"}"#);
    // The next exchange recorded is the opened one: the tunnel left none.
    let opened = proxied_client(&tapped.tap.base_url(), &[&tapped.ca_pem]);
    opened
        .get(format!("https://api.anthropic.com:{port}/api/hello"))
        .send()
        .await
        .unwrap();
    let exchange = next_exchange(&mut tapped.events).await;
    assert!(
        exchange.request.url.contains("api.anthropic.com"),
        "{}",
        exchange.request.url
    );
    assert_eq!(tapped.tap.tally().requests, 1);
}

#[tokio::test]
async fn the_ca_cannot_vouch_for_a_host_outside_its_list() {
    let dir = tempfile::tempdir().unwrap();
    let ca = claudetui::tap::mitm::LocalCa::load_or_create(dir.path()).unwrap();
    let config = ca.server_config("example.com").unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((socket, _)) = listener.accept().await {
            let _ = acceptor.accept(socket).await;
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("example.com").unwrap();
    let error = connector.connect(name, socket).await.unwrap_err();
    assert!(
        error.to_string().contains("NameConstraintViolation"),
        "{error}"
    );
}

/// A CONNECT proxy on loopback that tells the test each target it was
/// asked for, then splices.
async fn connect_proxy() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send(target.clone());
                let Ok(mut onward) = tokio::net::TcpStream::connect(&target).await else {
                    let _ = socket.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                let _ = socket
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut onward).await;
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn a_blind_tunnel_goes_through_the_taps_own_proxy() {
    let (blind_port, blind_pem) = tls_upstream(&["localhost"]).await;
    let (proxy, mut targets) = connect_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = TapConfig::new("http://127.0.0.1:9");
    config.mitm = Some(Mitm::load_or_create(dir.path()).unwrap());
    config.client = ClientSettings {
        https_proxy: Some(proxy),
        ..ClientSettings::default()
    };
    let tap = TapServer::start(config).await.unwrap();
    let client = proxied_client(&tap.base_url(), &[&blind_pem]);
    let response = client
        .get(format!("https://localhost:{blind_port}/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), r#"{"message":"hello"}"#);
    assert_eq!(
        targets.recv().await.as_deref(),
        Some(format!("localhost:{blind_port}").as_str()),
        "the onward connection asked the corporate proxy"
    );
}
