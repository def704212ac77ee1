//! TLS on loopback: a server with a self-signed certificate is refused as a
//! TLS failure, and trusted once its CA is given (the profile's `ca_file`,
//! or SSL_CERT_FILE on the command line), as a TLS-inspecting proxy's CA is.

mod common;

use claudetui::api::errors::FailureKind;
use claudetui::config::{Credential, CredentialKind, Profile, Secret, Source, Sourced};
use claudetui::engine::{Engine, Event, OutgoingRequest};
use claudetui::exchange::{Exchange, Outcome};
use common::{HELLO, TEST_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const REPLY: &str = r#"{"id":"msg_tls","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[{"type":"text","text":"over TLS"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}}"#;

/// A one-answer-per-connection HTTPS server for `localhost` and
/// `127.0.0.1` with a fresh self-signed certificate; returns its port and
/// the certificate as PEM.
async fn https_server() -> (u16, String) {
    let (acceptor, pem) = common::self_signed_acceptor();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{REPLY}",
                    REPLY.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, pem)
}

fn profile(base_url: String, ca_file: Option<std::path::PathBuf>) -> Profile {
    Profile {
        base_url: Sourced::new(base_url, Source::Default),
        credential: Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(TEST_KEY),
            source: Source::Default,
        }),
        ca_file: ca_file.map(|path| Sourced::new(path, Source::Default)),
        ..Profile::builtin()
    }
}

async fn send(profile: &Profile) -> Exchange {
    let (engine, mut events) = Engine::spawn(None).unwrap();
    engine
        .send(OutgoingRequest::for_profile(profile, "POST", "/v1/messages", HELLO.into()).unwrap());
    let wait = async {
        while let Some(event) = events.recv().await {
            if let Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex) = event {
                return *ex;
            }
        }
        panic!("the engine stopped");
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), wait)
        .await
        .expect("finished in time")
}

#[tokio::test]
async fn a_self_signed_server_is_a_tls_failure_until_its_ca_is_trusted() {
    let (port, pem) = https_server().await;
    let untrusted = send(&profile(format!("https://localhost:{port}"), None)).await;
    assert_eq!(
        untrusted.failure_kind(),
        Some(FailureKind::Tls),
        "{:?}",
        untrusted.outcome
    );
    let message = &untrusted.outcome.failure().unwrap().message;
    assert!(
        message.to_ascii_lowercase().contains("certificate"),
        "{message}"
    );

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let trusted = send(&profile(format!("https://localhost:{port}"), Some(ca))).await;
    assert_eq!(trusted.outcome, Outcome::Ok, "{:?}", trusted.outcome);
    assert_eq!(
        trusted.response.unwrap().message.unwrap().text(),
        "over TLS"
    );
    assert!(
        trusted.timing.connect_ms.is_some(),
        "the TLS connect is timed"
    );
}

#[test]
fn ssl_cert_file_is_honoured_by_send() {
    let fx = common::Fixture::start("default");
    let (port, pem) = fx.runtime.block_on(https_server());
    let ca = fx.home.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let url = format!("https://127.0.0.1:{port}");

    let refused = common::run(fx.command(&["send", "--base-url", &url, "-"]), HELLO);
    refused.expect_code(3);
    assert!(refused.stderr.contains("· tls"), "{}", refused.stderr);

    let mut trusted = fx.command(&["send", "--base-url", &url, "-"]);
    trusted.env("SSL_CERT_FILE", &ca);
    let run = common::run(trusted, HELLO);
    run.expect_code(0).assert_no_key();
    assert!(run.stdout.contains("over TLS"), "{}", run.stdout);
}
