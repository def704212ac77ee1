//! The engine against the embedded server: events in order, several
//! requests at once, cancel mid-stream, timing, proxies, DNS failures.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use claudetui::api::errors::FailureKind;
use claudetui::api::sse::StreamEvent;
use claudetui::config::{Credential, CredentialKind, Profile, Secret, Source, Sourced};
use claudetui::engine::{Engine, Event, OutgoingRequest};
use claudetui::exchange::{Exchange, Outcome};
use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockServer};
use claudetui::store::{ListQuery, Store};
use common::{HELLO, HELLO_STREAM, TEST_KEY};
use tokio::sync::mpsc::UnboundedReceiver;

fn profile(base_url: &str) -> Profile {
    Profile {
        name: "test".into(),
        base_url: Sourced::new(base_url.to_owned(), Source::Default),
        credential: Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(TEST_KEY),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        }),
        ..Profile::builtin()
    }
}

fn messages(base_url: &str, body: &str) -> OutgoingRequest {
    OutgoingRequest::for_profile(&profile(base_url), "POST", "/v1/messages", body.to_owned())
        .unwrap()
}

async fn mock(scenario: &str, speed: f64) -> MockServer {
    MockServer::start(MockConfig {
        scenario: Scenario::load(scenario).unwrap(),
        speed,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

/// Waits (with a deadline) for the final event of exchange `id`.
async fn final_exchange(events: &mut UnboundedReceiver<Event>, seen: &mut Vec<Event>) -> Exchange {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the exchange finished before the deadline")
            .expect("the engine is running");
        seen.push(event.clone());
        if let Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex) = event {
            return *ex;
        }
    }
}

#[tokio::test]
async fn events_arrive_in_order_and_the_exchange_is_complete() {
    let server = mock("default", 0.0).await;
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let id = engine.send(messages(&server.base_url(), HELLO_STREAM));
    let mut seen = Vec::new();
    let exchange = final_exchange(&mut events, &mut seen).await;
    assert_eq!(exchange.id, id);
    assert_eq!(exchange.outcome, Outcome::Ok);
    assert!(matches!(seen[0], Event::Started { attempt: 1, .. }));
    assert!(matches!(seen[1], Event::Headers { status: 200, .. }));
    let deltas = seen
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::StreamDelta {
                    event: StreamEvent::ContentBlockDelta { .. },
                    ..
                }
            )
        })
        .count();
    assert!(deltas >= 2, "{deltas} deltas");
    let response = exchange.response.as_ref().unwrap();
    assert_eq!(
        response.events.len(),
        seen.iter()
            .filter(|e| matches!(e, Event::StreamDelta { .. }))
            .count()
    );
    assert!(
        response
            .message
            .as_ref()
            .is_some_and(|m| !m.text().is_empty())
    );
    assert!(
        exchange.timing.connect_ms.is_some(),
        "a fresh connection is timed"
    );
    assert!(exchange.timing.first_token_ms.unwrap() >= exchange.timing.headers_ms.unwrap());
    assert!(exchange.rate_limits.requests.limit.is_some());
    let recorded = serde_json::to_string(&exchange).unwrap();
    assert!(
        !recorded.contains(common::key_body()),
        "the exchange holds the key masked only"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_request_reuses_the_connection_and_says_so() {
    let server = mock("default", 0.0).await;
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let mut seen = Vec::new();
    engine.send(messages(&server.base_url(), HELLO));
    let first = final_exchange(&mut events, &mut seen).await;
    engine.send(messages(&server.base_url(), HELLO));
    let second = final_exchange(&mut events, &mut seen).await;
    assert!(!first.timing.connection_reused && first.timing.connect_ms.is_some());
    assert!(second.timing.connection_reused, "{:?}", second.timing);
    assert_eq!(second.timing.connect_ms, None);
    assert_eq!(second.timing.dns_ms, None);
    server.shutdown().await;
}

#[tokio::test]
async fn several_requests_fly_at_once() {
    let server = mock("default", 1.0).await;
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let ids: Vec<_> = (0..6)
        .map(|_| engine.send(messages(&server.base_url(), HELLO_STREAM)))
        .collect();
    let mut done = Vec::new();
    let mut seen = Vec::new();
    while done.len() < ids.len() {
        done.push(final_exchange(&mut events, &mut seen).await);
    }
    assert!(done.iter().all(|ex| ex.outcome == Outcome::Ok));
    let mut finished: Vec<_> = done.iter().map(|ex| ex.id.clone()).collect();
    finished.sort();
    let mut sent = ids.clone();
    sent.sort();
    assert_eq!(finished, sent);
    // Interleaved: some exchange started before another finished.
    let first_done = seen
        .iter()
        .position(|e| matches!(e, Event::Finished(_)))
        .unwrap();
    let starts_before = seen[..first_done]
        .iter()
        .filter(|e| matches!(e, Event::Started { .. }))
        .count();
    assert!(starts_before > 1, "requests ran one after another");
    server.shutdown().await;
}

#[tokio::test]
async fn cancel_mid_stream_keeps_what_arrived() {
    let server = mock("default", 1.0).await;
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let long = HELLO_STREAM.replace("\"max_tokens\":64", "\"max_tokens\":4000");
    let id = engine.send(messages(&server.base_url(), &long));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout(deadline - Instant::now(), events.recv())
            .await
            .unwrap()
            .unwrap();
        if let Event::StreamDelta {
            event: StreamEvent::ContentBlockDelta { .. },
            ..
        } = event
        {
            break;
        }
    }
    engine.cancel(&id);
    let exchange = final_exchange(&mut events, &mut Vec::new()).await;
    assert_eq!(exchange.outcome, Outcome::Cancelled);
    let response = exchange.response.unwrap();
    assert!(
        !response.events.is_empty(),
        "the events before the cancel are kept"
    );
    assert!(
        !response.events.iter().any(|e| e.event == "message_stop"),
        "cancelled before the end"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_a_dns_failure() {
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let mut request = messages("http://api.claudetui-test.invalid", HELLO);
    request
        .client
        .pinned_hosts
        .insert("api.claudetui-test.invalid".into(), vec![]);
    engine.send(request);
    let exchange = final_exchange(&mut events, &mut Vec::new()).await;
    assert_eq!(exchange.failure_kind(), Some(FailureKind::Dns));
    assert!(
        exchange.timing.dns_ms.is_some(),
        "the failed lookup is timed"
    );
    assert!(
        exchange
            .outcome
            .failure()
            .unwrap()
            .message
            .contains("api.claudetui-test.invalid")
    );
}

/// A one-shot HTTP proxy: records the request line it receives and answers
/// with a canned Messages response.
fn one_shot_proxy() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 65536];
        let mut received = Vec::new();
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"id":"msg_proxy","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"via proxy"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(reply.as_bytes()).unwrap();
        String::from_utf8_lossy(&received)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    (url, handle)
}

#[tokio::test]
async fn the_profile_proxy_is_used_and_no_proxy_bypasses_it() {
    let server = mock("default", 0.0).await;
    let (proxy_url, proxy) = one_shot_proxy();
    let (engine, mut events) = Engine::spawn(None).unwrap();

    let mut through = profile(&server.base_url());
    through.proxy.http = Some(Sourced::new(proxy_url.clone(), Source::Default));
    engine.send(
        OutgoingRequest::for_profile(&through, "POST", "/v1/messages", HELLO.into()).unwrap(),
    );
    let exchange = final_exchange(&mut events, &mut Vec::new()).await;
    assert_eq!(
        exchange.response.unwrap().message.unwrap().text(),
        "via proxy"
    );
    let request_line = proxy.join().unwrap();
    assert_eq!(
        request_line,
        format!("POST {}/v1/messages HTTP/1.1", server.base_url())
    );

    let mut bypass = through.clone();
    bypass.proxy.no_proxy = Some(Sourced::new("127.0.0.1,localhost".into(), Source::Default));
    engine
        .send(OutgoingRequest::for_profile(&bypass, "POST", "/v1/messages", HELLO.into()).unwrap());
    let direct = final_exchange(&mut events, &mut Vec::new()).await;
    assert_eq!(direct.outcome, Outcome::Ok);
    assert_ne!(
        direct.response.unwrap().message.unwrap().text(),
        "via proxy"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_dead_proxy_is_named() {
    let server = mock("default", 0.0).await;
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut p = profile(&server.base_url());
    p.proxy.http = Some(Sourced::new(format!("http://{dead}"), Source::Default));
    let (engine, mut events) = Engine::spawn(None).unwrap();
    engine.send(OutgoingRequest::for_profile(&p, "POST", "/v1/messages", HELLO.into()).unwrap());
    let exchange = final_exchange(&mut events, &mut Vec::new()).await;
    assert!(
        matches!(
            exchange.failure_kind(),
            Some(FailureKind::ConnectionRefused | FailureKind::Proxy)
        ),
        "{:?}",
        exchange.outcome
    );
    server.shutdown().await;
}

#[tokio::test]
async fn every_attempt_is_written_to_the_store() {
    let server = mock("default", 0.0).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (store, _) = Store::open(&path).unwrap();
    let (engine, mut events) = Engine::spawn(Some(store)).unwrap();
    for _ in 0..3 {
        engine.send(messages(&server.base_url(), HELLO));
        final_exchange(&mut events, &mut Vec::new()).await;
    }
    engine.flush().await;
    let (reader, _) = Store::open(&path).unwrap();
    assert_eq!(reader.list(&ListQuery::default()).unwrap().len(), 3);
    server.shutdown().await;
}
