//! The tap as a library: relay fidelity, streaming, compression, client
//! and upstream failures, and what it records. Loopback only.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use claudetui::engine::{Event, EventSender};
use claudetui::exchange::{Exchange, Outcome, Source};
use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockServer};
use claudetui::store::Store;
use claudetui::tap::{TapConfig, TapServer};
use common::upstream::{self, Step, chunk, chunked_head, fixed, last_chunk, sse_body};
use tokio::sync::{Notify, mpsc};

const DEADLINE: Duration = Duration::from_secs(20);

struct Tapped {
    tap: TapServer,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Tapped {
    async fn start(upstream: &str) -> Tapped {
        Self::start_with(upstream, |_| {}).await
    }

    async fn start_with(upstream: &str, adjust: impl FnOnce(&mut TapConfig)) -> Tapped {
        let (tx, events) = mpsc::unbounded_channel();
        let mut config = TapConfig::new(upstream);
        config.events = EventSender::new(tx);
        adjust(&mut config);
        Tapped {
            tap: TapServer::start(config).await.unwrap(),
            events,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.tap.base_url())
    }

    /// The next finished exchange (ok, failed or cancelled).
    async fn next_exchange(&mut self) -> Exchange {
        let wait = async {
            loop {
                match self.events.recv().await {
                    Some(Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex)) => {
                        return *ex;
                    }
                    Some(_) => continue,
                    None => panic!("the tap's event channel closed"),
                }
            }
        };
        tokio::time::timeout(DEADLINE, wait)
            .await
            .expect("no exchange finished before the deadline")
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn a_json_answer_comes_back_byte_for_byte_and_is_recorded() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}"#;
    let mut up = upstream::start(vec![Step::Write(fixed(
        "200 OK",
        &[
            ("content-type", "application/json"),
            ("request-id", "req_tap_json"),
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "49"),
            ("x-Odd-Header", "a  b,\tc"),
        ],
        body,
    ))])
    .await;
    let mut tapped = Tapped::start(&up.url()).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .header("x-api-key", common::TEST_KEY)
        .header("content-type", "application/json")
        .body(r#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-odd-header"], "a  b,\tc");
    assert_eq!(response.headers()["request-id"], "req_tap_json");
    assert_eq!(&response.bytes().await.unwrap()[..], &body[..]);
    let seen = up.seen.recv().await.unwrap();
    assert_eq!(seen.header("x-api-key"), [common::TEST_KEY]);
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.source, Source::Tap);
    assert_eq!(exchange.outcome, Outcome::Ok);
    assert_eq!(exchange.request_id(), Some("req_tap_json"));
    assert_eq!(exchange.rate_limits.requests.remaining, Some(49));
    assert_eq!(exchange.usage.as_ref().map(|u| u.input_tokens), Some(5));
    assert!(exchange.timing.headers_ms.is_some());
    let recorded = serde_json::to_string(&exchange).unwrap();
    assert!(!recorded.contains(common::key_body()), "{recorded}");
}

#[tokio::test]
async fn query_strings_and_every_end_to_end_header_go_upstream_unchanged() {
    let mut up = upstream::start(vec![Step::Write(fixed("204 No Content", &[], b""))]).await;
    let tapped = Tapped::start(&format!("{}/gateway/anthropic", up.url())).await;
    let response = client()
        .post(tapped.url("/v1/messages?beta=true&x=%2F"))
        .header(
            "anthropic-beta",
            "claude-code-20250219,context-1m-2025-08-07",
        )
        .header("x-stainless-retry-count", "0")
        .header(
            "X-Claude-Code-Session-Id",
            "7d3c2b1a-0000-4000-8000-000000000001",
        )
        .header("x-multi", "one")
        .header("connection", "keep-alive, x-per-hop")
        .header("x-per-hop", "dropped")
        .header("user-agent", "claude-cli/2.1.197 (external, cli)")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let seen = up.seen.recv().await.unwrap();
    assert_eq!(
        seen.target(),
        "/gateway/anthropic/v1/messages?beta=true&x=%2F"
    );
    assert_eq!(
        seen.header("anthropic-beta"),
        ["claude-code-20250219,context-1m-2025-08-07"]
    );
    assert_eq!(seen.header("x-stainless-retry-count"), ["0"]);
    assert_eq!(
        seen.header("user-agent"),
        ["claude-cli/2.1.197 (external, cli)"]
    );
    assert!(seen.header("x-per-hop").is_empty(), "{}", seen.head);
    assert_eq!(seen.header("host"), [up.addr.to_string()]);
    assert_eq!(seen.body, b"{}");
}

#[tokio::test]
async fn the_client_is_named_from_its_headers() {
    let up = upstream::start(vec![Step::Write(fixed("204 No Content", &[], b""))]).await;
    let mut tapped = Tapped::start(&up.url()).await;
    client()
        .post(tapped.url("/v1/messages?beta=true"))
        .header("user-agent", "claude-cli/2.1.197 (external, cli)")
        .header("x-app", "cli")
        .header(
            "X-Claude-Code-Session-Id",
            "7d3c2b1a-0000-4000-8000-000000000001",
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    let exchange = tapped.next_exchange().await;
    let client = exchange.client.clone().unwrap();
    assert_eq!(client.app.as_deref(), Some("cli"));
    assert_eq!(
        client.session.as_deref(),
        Some("7d3c2b1a-0000-4000-8000-000000000001")
    );
    let summary = exchange.summary();
    assert_eq!(summary.client.as_deref(), Some("claude-cli/2.1.197"));
    assert_eq!(summary.path, "/v1/messages?beta=true");
}

#[tokio::test]
async fn a_stream_split_at_every_byte_arrives_whole_and_is_parsed() {
    let sse = sse_body();
    let mut script = vec![upstream::sse_head()];
    script.extend(sse.as_bytes().iter().map(|b| Step::Write(chunk(&[*b]))));
    script.push(Step::Write(last_chunk()));
    let up = upstream::start(script).await;
    let mut tapped = Tapped::start(&up.url()).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body(r#"{"stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.text().await.unwrap(), sse);
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome, Outcome::Ok);
    let recorded = exchange.response.as_ref().unwrap();
    assert_eq!(recorded.events.len(), 8);
    assert_eq!(recorded.body, sse);
    let message = recorded.message.as_ref().unwrap();
    assert_eq!(
        serde_json::to_value(&message.content).unwrap()[0]["text"],
        "Hello wörld"
    );
    assert_eq!(exchange.usage.as_ref().unwrap().output_tokens, 3);
    assert!(exchange.timing.first_token_ms.is_some());
}

#[tokio::test]
async fn a_stream_is_relayed_as_it_arrives_not_when_it_ends() {
    let sse = sse_body();
    let (first, rest) = sse.split_at(sse.find("event: content_block_start").unwrap());
    let go = Arc::new(Notify::new());
    let up = upstream::start(vec![
        upstream::sse_head(),
        Step::Write(chunk(first.as_bytes())),
        // The rest only comes once the client has read the first event:
        // a tap that buffers would wait here forever.
        Step::Wait(go.clone()),
        Step::Write(chunk(rest.as_bytes())),
        Step::Write(last_chunk()),
    ])
    .await;
    let mut tapped = Tapped::start(&up.url()).await;
    let mut response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < first.len() {
        let piece = tokio::time::timeout(DEADLINE, response.chunk())
            .await
            .expect("the first event was held back")
            .unwrap()
            .unwrap();
        got.extend_from_slice(&piece);
    }
    assert_eq!(got, first.as_bytes());
    go.notify_one();
    while let Some(piece) = response.chunk().await.unwrap() {
        got.extend_from_slice(&piece);
    }
    assert_eq!(String::from_utf8(got).unwrap(), sse);
    assert_eq!(tapped.next_exchange().await.outcome, Outcome::Ok);
}

fn encode(encoding: &str, text: &[u8]) -> Vec<u8> {
    match encoding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &text[..], &mut out, &Default::default()).unwrap();
            out
        }
        "zstd" => zstd::encode_all(text, 3).unwrap(),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_compressed_stream_passes_through_as_sent_and_is_recorded_decoded() {
    for encoding in ["gzip", "br", "zstd"] {
        let sse = sse_body();
        let encoded = encode(encoding, sse.as_bytes());
        let mut script = vec![Step::Write(chunked_head(
            "200 OK",
            &[
                ("content-type", "text/event-stream"),
                ("content-encoding", encoding),
            ],
        ))];
        script.extend(encoded.chunks(7).map(|c| Step::Write(chunk(c))));
        script.push(Step::Write(last_chunk()));
        let up = upstream::start(script).await;
        let mut tapped = Tapped::start(&up.url()).await;
        let response = client()
            .post(tapped.url("/v1/messages"))
            .header("accept-encoding", "gzip, deflate, br, zstd")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(
            response.bytes().await.unwrap().to_vec(),
            encoded,
            "{encoding}"
        );
        let exchange = tapped.next_exchange().await;
        assert_eq!(exchange.outcome, Outcome::Ok, "{encoding}");
        let recorded = exchange.response.unwrap();
        assert_eq!(recorded.body, sse, "{encoding}");
        assert_eq!(recorded.events.len(), 8, "{encoding}");
    }
}

#[tokio::test]
async fn concurrent_clients_are_each_relayed_and_recorded() {
    let server = MockServer::start(MockConfig {
        scenario: Scenario::load("default").unwrap(),
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let mut tapped = Tapped::start(&server.base_url()).await;
    let client = client();
    let sends = (0..32).map(|i| {
        let (client, url) = (client.clone(), tapped.url("/v1/messages"));
        async move {
            let stream = i % 2 == 0;
            let body = format!(
                r#"{{"model":"claude-sonnet-4-6","max_tokens":16,"stream":{stream},"messages":[{{"role":"user","content":"client {i}"}}]}}"#
            );
            let response = client
                .post(url)
                .header("x-api-key", common::TEST_KEY)
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, 200, "{text}");
            assert!(text.contains(&format!("client {i}")), "{text}");
        }
    });
    futures_util::future::join_all(sends).await;
    let mut ok = 0;
    for _ in 0..32 {
        if tapped.next_exchange().await.outcome == Outcome::Ok {
            ok += 1;
        }
    }
    assert_eq!(ok, 32);
    assert_eq!(tapped.tap.tally().requests, 32);
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_cancels_the_upstream_and_is_recorded() {
    let sse = sse_body();
    let first = &sse[..sse.find("event: content_block_start").unwrap()];
    let upstream_closed = Arc::new(Notify::new());
    let up = upstream::start(vec![
        upstream::sse_head(),
        Step::Write(chunk(first.as_bytes())),
        Step::AwaitClose(upstream_closed.clone()),
    ])
    .await;
    let mut tapped = Tapped::start(&up.url()).await;
    let mut response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let piece = response.chunk().await.unwrap().unwrap();
    assert!(piece.starts_with(b"event: message_start"));
    drop(response);
    tokio::time::timeout(DEADLINE, upstream_closed.notified())
        .await
        .expect("the upstream request was not cancelled");
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome, Outcome::Cancelled);
    assert_eq!(exchange.response.unwrap().events.len(), 1);
}

async fn envelope(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["x-claudetui-tap"], "answered-by-tap");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
    body
}

#[tokio::test]
async fn an_upstream_that_refuses_gets_the_client_a_502_envelope_and_is_recorded() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut tapped = Tapped::start(&url).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let body = envelope(response).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("claudetui tap"), "{message}");
    assert!(message.contains(&url), "{message}");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "refused");
    assert!(exchange.response.is_none());
}

#[tokio::test]
async fn an_upstream_that_resets_gets_a_502_and_is_recorded_as_reset() {
    let up = upstream::start(vec![Step::Reset]).await;
    let mut tapped = Tapped::start(&up.url()).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    envelope(response).await;
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "reset", "{:?}", exchange.outcome);
}

#[tokio::test]
async fn an_upstream_that_never_answers_times_out_with_a_502() {
    let up = upstream::start(vec![Step::Stall]).await;
    let mut tapped = Tapped::start_with(&up.url(), |config| {
        config.header_timeout = Duration::from_millis(300);
    })
    .await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let body = envelope(response).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no response head within 0.3 s"),
        "{body}"
    );
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "timeout");
}

#[tokio::test]
async fn an_upstream_cut_mid_stream_cuts_the_client_and_is_recorded() {
    let sse = sse_body();
    let first = &sse[..sse.find("event: content_block_start").unwrap()];
    let up = upstream::start(vec![
        upstream::sse_head(),
        Step::Write(chunk(first.as_bytes())),
        Step::Reset,
    ])
    .await;
    let mut tapped = Tapped::start(&up.url()).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(
        response.bytes().await.is_err(),
        "the client saw a whole body"
    );
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "reset");
    assert!(
        exchange
            .outcome
            .failure()
            .unwrap()
            .message
            .contains("stream broke")
    );
}

#[tokio::test]
async fn echoed_keys_and_gateway_tokens_never_reach_the_store() {
    const TOKEN: &str = "gw-live-SECRET0TOKEN1never2stored3";
    let body = format!(
        r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {} for token {TOKEN}"}}}}"#,
        common::TEST_KEY
    );
    let up = upstream::start(vec![Step::Write(fixed(
        "401 Unauthorized",
        &[("content-type", "application/json"), ("x-echo", TOKEN)],
        body.as_bytes(),
    ))])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let (store, _) = Store::open(&db).unwrap();
    let mut tapped = Tapped::start_with(&up.url(), |config| config.store = Some(store)).await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .header("authorization", format!("Bearer {}", common::TEST_KEY))
        .header("x-gateway-token", TOKEN)
        .body(format!(r#"{{"note":"{TOKEN}"}}"#))
        .send()
        .await
        .unwrap();
    // The client itself gets the answer as it was.
    assert!(response.text().await.unwrap().contains(TOKEN));
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "auth");
    tapped.tap.flush().await;
    drop(tapped);
    let (store, _) = Store::open(&db).unwrap();
    store.checkpoint().unwrap();
    drop(store);
    common::assert_no_secret_in_dir(dir.path(), &[common::key_body(), "SECRET0TOKEN1never"]);
}

#[tokio::test]
async fn a_client_using_the_tap_as_http_proxy_is_told_what_it_is() {
    let up = upstream::start(vec![Step::Write(fixed("204 No Content", &[], b""))]).await;
    let tapped = Tapped::start(&up.url()).await;
    let proxied = reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(tapped.tap.base_url()).unwrap())
        .build()
        .unwrap();
    let response = proxied
        .get("http://other.example/v1/models")
        .header("x-api-key", common::TEST_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not an HTTP proxy"), "{message}");
    assert!(message.contains("ANTHROPIC_BASE_URL"), "{message}");
}

#[tokio::test]
async fn an_upstream_that_stalls_mid_stream_times_out_and_is_recorded() {
    let sse = sse_body();
    let first = &sse[..sse.find("event: content_block_start").unwrap()];
    let up = upstream::start(vec![
        upstream::sse_head(),
        Step::Write(chunk(first.as_bytes())),
        Step::Stall,
    ])
    .await;
    let mut tapped = Tapped::start_with(&up.url(), |config| {
        config.header_timeout = Duration::from_millis(300);
    })
    .await;
    let response = client()
        .post(tapped.url("/v1/messages"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(response.bytes().await.is_err(), "the client is cut too");
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.outcome.slug(), "timeout");
    assert!(
        exchange
            .outcome
            .failure()
            .unwrap()
            .message
            .contains("sent nothing for 0.3 s"),
        "{:?}",
        exchange.outcome
    );
}

#[tokio::test]
async fn shutting_down_ends_running_relays_and_records_them() {
    let sse = sse_body();
    let first = &sse[..sse.find("event: content_block_start").unwrap()];
    let up = upstream::start(vec![
        upstream::sse_head(),
        Step::Write(chunk(first.as_bytes())),
        Step::Stall,
    ])
    .await;
    let Tapped { tap, mut events } = Tapped::start(&up.url()).await;
    let mut response = client()
        .post(format!("{}/v1/messages", tap.base_url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    response.chunk().await.unwrap().unwrap();
    tokio::time::timeout(DEADLINE, tap.shutdown())
        .await
        .expect("shutdown waited for a stalled relay");
    let mut cancelled = None;
    while let Ok(event) = events.try_recv() {
        if let Event::Cancelled(ex) = event {
            cancelled = Some(ex);
        }
    }
    let cancelled = cancelled.expect("the running exchange was recorded as cancelled");
    assert_eq!(cancelled.response.unwrap().events.len(), 1);
}

#[tokio::test]
async fn secret_query_parameters_are_masked_in_the_record() {
    let up = upstream::start(vec![Step::Write(fixed("204 No Content", &[], b""))]).await;
    let mut tapped = Tapped::start(&up.url()).await;
    client()
        .post(tapped.url("/v1/messages?beta=true&api_key=gw-live-QUERY0SECRET1abcdef"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let exchange = tapped.next_exchange().await;
    assert!(
        !exchange.request.url.contains("QUERY0SECRET"),
        "{}",
        exchange.request.url
    );
    assert!(exchange.request.url.contains("beta=true"));
}

/// A tap in front of the embedded server, as `mock --record` starts it.
async fn recording_mock() -> (MockServer, Tapped) {
    let server = MockServer::start(MockConfig {
        scenario: Scenario::load("default").unwrap(),
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tapped = Tapped::start_with(&server.base_url(), |config| {
        config.source = Source::Mock;
        config.record_own_address = true;
    })
    .await;
    (server, tapped)
}

/// The address a client might use for a tap bound to 0.0.0.0: not the
/// bind address, and not the server's internal port.
const CLIENT_HOST: &str = "claudetui.test:4747";

async fn via_host(request: reqwest::RequestBuilder) -> serde_json::Value {
    let response = request
        .header("host", CLIENT_HOST)
        .header("x-api-key", common::TEST_KEY)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn in_front_of_the_mock_the_recorded_url_is_the_address_the_client_used() {
    let (server, mut tapped) = recording_mock().await;
    via_host(client().get(tapped.url("/v1/models"))).await;
    let exchange = tapped.next_exchange().await;
    assert_eq!(exchange.source, Source::Mock);
    assert_eq!(
        exchange.request.url,
        format!("http://{CLIENT_HOST}/v1/models")
    );
    assert!(
        !exchange
            .request
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("x-forwarded-host")),
        "the added header is not recorded as the client's"
    );
    tapped.tap.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn in_front_of_the_mock_results_url_points_back_through_the_tap() {
    let (server, tapped) = recording_mock().await;
    let body = serde_json::json!({"requests": [{"custom_id": "a", "params": {
        "model": "claude-sonnet-4-5", "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}]}}]});
    let batch = via_host(
        client()
            .post(tapped.url("/v1/messages/batches"))
            .json(&body),
    )
    .await;
    let id = batch["id"].as_str().unwrap();
    let batch = via_host(client().get(tapped.url(&format!("/v1/messages/batches/{id}")))).await;
    assert_eq!(
        batch["results_url"],
        format!("http://{CLIENT_HOST}/v1/messages/batches/{id}/results")
    );
    tapped.tap.shutdown().await;
    server.shutdown().await;
}
