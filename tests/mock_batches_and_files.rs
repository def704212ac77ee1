//! The embedded server's Message Batches and Files endpoints against a real
//! HTTP client (reqwest), on loopback ports picked by the OS: the round
//! trips an SDK makes, and the errors it must see in the API's envelope.

use claudetui::api::types::{ErrorEnvelope, MessageResponse};
use claudetui::mock::{MockConfig, MockServer};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const MODEL: &str = "claude-sonnet-4-5";
const BOUNDARY: &str = "claudetui-test-boundary-7MA4YWxkTrZu0gW";

async fn start() -> MockServer {
    MockServer::start(MockConfig {
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text());
        self.json()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the error envelope and returns its message.
    fn error(&self, status: u16, kind: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        let envelope = ErrorEnvelope::parse(&self.text()).expect("an error envelope");
        assert_eq!(envelope.error.kind, kind, "{}", self.text());
        assert_eq!(envelope.request_id.as_deref(), self.header("request-id"));
        envelope.error.message
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request
        .header("x-api-key", "sk-ant-api03-test")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

async fn get(server: &MockServer, path: &str) -> Answer {
    send(client().get(format!("{}{path}", server.base_url()))).await
}

async fn post(server: &MockServer, path: &str, body: &Value) -> Answer {
    send(
        client()
            .post(format!("{}{path}", server.base_url()))
            .json(body),
    )
    .await
}

async fn delete(server: &MockServer, path: &str) -> Answer {
    send(client().delete(format!("{}{path}", server.base_url()))).await
}

fn params(text: &str) -> Value {
    json!({"model": MODEL, "max_tokens": 128, "messages": [{"role": "user", "content": text}]})
}

fn batch_body(requests: &[(&str, Value)]) -> Value {
    let requests: Vec<Value> = requests
        .iter()
        .map(|(id, params)| json!({"custom_id": id, "params": params}))
        .collect();
    json!({ "requests": requests })
}

fn counts(batch: &Value) -> [u64; 5] {
    let counts = &batch["request_counts"];
    ["processing", "succeeded", "errored", "canceled", "expired"].map(|name| {
        counts[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {batch}"))
    })
}

/// The results file, one parsed line per request, by `custom_id`.
fn result_lines(answer: &Answer) -> Vec<(String, Value)> {
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/x-jsonl"));
    answer
        .text()
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap();
            let id = line["custom_id"].as_str().unwrap().to_owned();
            (id, line["result"].clone())
        })
        .collect()
}

// ----- Message Batches ---------------------------------------------------------

#[tokio::test]
async fn a_batch_goes_from_created_to_results_to_deleted() {
    let server = start().await;
    let mut invalid = params("too hot");
    invalid["temperature"] = json!(2.5);
    let mut unknown_model = params("who?");
    unknown_model["model"] = json!("claude-nonexistent-1");
    let body = batch_body(&[
        ("first", params("Hello batch")),
        ("invalid", invalid),
        ("unknown-model", unknown_model),
    ]);
    let created = post(&server, "/v1/messages/batches", &body).await.ok();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("msgbatch_01"), "{id}");
    assert_eq!(created["type"], "message_batch");
    assert_eq!(created["processing_status"], "in_progress");
    assert_eq!(counts(&created), [3, 0, 0, 0, 0]);
    assert!(created["results_url"].is_null() && created["ended_at"].is_null());
    for field in ["cancel_initiated_at", "archived_at"] {
        assert!(created[field].is_null(), "{field}: {created}");
    }
    let created_at = chrono::DateTime::parse_from_rfc3339(created["created_at"].as_str().unwrap());
    let expires_at = chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap());
    assert_eq!((expires_at.unwrap() - created_at.unwrap()).num_hours(), 24);

    let ended = get(&server, &format!("/v1/messages/batches/{id}"))
        .await
        .ok();
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 1, 2, 0, 0]);
    assert!(ended["ended_at"].is_string());
    let results_url = ended["results_url"].as_str().unwrap();
    assert_eq!(
        results_url,
        format!("{}/v1/messages/batches/{id}/results", server.base_url())
    );

    let listed = get(&server, "/v1/messages/batches").await.ok();
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert_eq!(listed["first_id"], id.as_str());
    assert_eq!(listed["has_more"], false);

    let results = result_lines(&send(client().get(results_url)).await);
    let ids: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["first", "invalid", "unknown-model"]);
    let (_, first) = &results[0];
    assert_eq!(first["type"], "succeeded");
    let message: MessageResponse = serde_json::from_value(first["message"].clone()).unwrap();
    assert!(message.id.starts_with("msg_01"));
    assert!(message.text().contains("Hello batch"), "{}", message.text());
    assert_eq!(message.usage.service_tier.as_deref(), Some("batch"));
    let errored = |at: usize| &results[at].1;
    assert_eq!(errored(1)["type"], "errored");
    assert_eq!(errored(1)["error"]["type"], "error");
    assert_eq!(
        errored(1)["error"]["error"]["type"],
        "invalid_request_error"
    );
    assert!(
        errored(1)["error"]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("temperature:"),
        "{}",
        errored(1)
    );
    assert_eq!(errored(2)["error"]["error"]["type"], "not_found_error");

    let deleted = delete(&server, &format!("/v1/messages/batches/{id}"))
        .await
        .ok();
    assert_eq!(deleted, json!({"id": id, "type": "message_batch_deleted"}));
    let gone = get(&server, &format!("/v1/messages/batches/{id}")).await;
    assert!(gone.error(404, "not_found_error").contains(&id));
    server.shutdown().await;
}

#[tokio::test]
async fn a_canceled_batch_cannot_be_deleted_until_it_ends() {
    let server = start().await;
    let body = batch_body(&[("a", params("one")), ("b", params("two"))]);
    let created = post(&server, "/v1/messages/batches", &body).await.ok();
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/messages/batches/{id}");

    let refused = delete(&server, &path).await;
    assert!(
        refused
            .error(400, "invalid_request_error")
            .contains("cancel it first")
    );

    let canceling = post(&server, &format!("{path}/cancel"), &json!({}))
        .await
        .ok();
    assert_eq!(canceling["processing_status"], "canceling");
    assert!(canceling["cancel_initiated_at"].is_string());
    let still = delete(&server, &path).await;
    still.error(400, "invalid_request_error");

    let ended = get(&server, &path).await.ok();
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 0, 0, 2, 0]);
    let results = result_lines(&get(&server, &format!("{path}/results")).await);
    assert!(
        results
            .iter()
            .all(|(_, r)| *r == json!({"type": "canceled"})),
        "{results:?}"
    );
    let again = post(&server, &format!("{path}/cancel"), &json!({}))
        .await
        .ok();
    assert_eq!(
        again["processing_status"], "ended",
        "a cancel after the end changes nothing"
    );
    delete(&server, &path).await.ok();
    server.shutdown().await;
}

#[tokio::test]
async fn batches_are_listed_newest_first_one_page_at_a_time() {
    let server = start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let body = batch_body(&[("only", params(&format!("batch {i}")))]);
        let created = post(&server, "/v1/messages/batches", &body).await.ok();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let first = get(&server, "/v1/messages/batches?limit=2").await.ok();
    let page_ids = |page: &Value| -> Vec<String> {
        let data = page["data"].as_array().unwrap();
        data.iter()
            .map(|b| b["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(page_ids(&first), [ids[2].clone(), ids[1].clone()]);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["last_id"], ids[1].as_str());
    let after = format!("/v1/messages/batches?limit=2&after_id={}", ids[1]);
    let second = get(&server, &after).await.ok();
    assert_eq!(page_ids(&second), [ids[0].clone()]);
    assert_eq!(second["has_more"], false);
    let before = format!("/v1/messages/batches?before_id={}", ids[0]);
    assert_eq!(page_ids(&get(&server, &before).await.ok()).len(), 2);
    let bad = get(&server, "/v1/messages/batches?limit=0").await;
    assert!(
        bad.error(400, "invalid_request_error")
            .starts_with("limit:")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_batch_is_refused_whole() {
    let server = start().await;
    let duplicate = batch_body(&[("same", params("a")), ("same", params("b"))]);
    let answer = post(&server, "/v1/messages/batches", &duplicate).await;
    let message = answer.error(400, "invalid_request_error");
    assert!(message.starts_with("requests.1.custom_id:"), "{message}");
    let empty = post(&server, "/v1/messages/batches", &json!({"requests": []})).await;
    empty.error(400, "invalid_request_error");
    let bad_id = batch_body(&[("not ok!", params("a"))]);
    let answer = post(&server, "/v1/messages/batches", &bad_id).await;
    assert!(
        answer
            .error(400, "invalid_request_error")
            .contains("^[a-zA-Z0-9_-]{1,64}$")
    );
    let listed = get(&server, "/v1/messages/batches").await.ok();
    assert_eq!(listed["data"], json!([]), "no refused batch was kept");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_batch_ids_and_missing_keys_get_the_api_errors() {
    let server = start().await;
    let missing = "/v1/messages/batches/msgbatch_01NoSuchBatch";
    get(&server, missing).await.error(404, "not_found_error");
    get(&server, &format!("{missing}/results"))
        .await
        .error(404, "not_found_error");
    post(&server, &format!("{missing}/cancel"), &json!({}))
        .await
        .error(404, "not_found_error");
    delete(&server, missing).await.error(404, "not_found_error");
    let url = format!("{}/v1/messages/batches", server.base_url());
    let response = client()
        .get(url)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    server.shutdown().await;
}

// ----- Files ---------------------------------------------------------------------

/// A multipart/form-data body with one `file` part, built by hand
/// (reqwest's `multipart` feature is not in the lock file).
fn multipart(filename: &str, content_type: Option<&str>, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nignored\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
    )
    .into_bytes();
    if let Some(content_type) = content_type {
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(server: &MockServer, body: Vec<u8>) -> Answer {
    let request = client()
        .post(format!("{}/v1/files", server.base_url()))
        .header("anthropic-beta", "files-api-2025-04-14")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    send(request).await
}

#[tokio::test]
async fn a_file_goes_from_upload_to_download_to_deleted() {
    let server = start().await;
    let bytes = b"%PDF-1.4 not really a pdf\r\n--with a line that looks like a boundary\r\n";
    let body = multipart("/home/me/docs/report.pdf", Some("application/pdf"), bytes);
    let uploaded = upload(&server, body).await.ok();
    let id = uploaded["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("file_011C"), "{id}");
    assert_eq!(uploaded["type"], "file");
    assert_eq!(
        uploaded["filename"], "report.pdf",
        "only the last path component"
    );
    assert_eq!(uploaded["mime_type"], "application/pdf");
    assert_eq!(uploaded["size_bytes"], bytes.len());
    assert_eq!(uploaded["downloadable"], true);
    assert!(chrono::DateTime::parse_from_rfc3339(uploaded["created_at"].as_str().unwrap()).is_ok());

    let listed = get(&server, "/v1/files").await.ok();
    assert_eq!(listed["data"], json!([uploaded.clone()]));
    assert_eq!(listed["first_id"], id.as_str());
    assert_eq!(listed["last_id"], id.as_str());
    assert_eq!(listed["has_more"], false);
    assert!(listed["next_page"].is_null());

    let path = format!("/v1/files/{id}");
    assert_eq!(get(&server, &path).await.ok(), uploaded);
    let content = get(&server, &format!("{path}/content")).await;
    assert_eq!(content.status, 200);
    assert_eq!(content.header("content-type"), Some("application/pdf"));
    assert_eq!(content.body, bytes);

    let deleted = delete(&server, &path).await.ok();
    assert_eq!(deleted, json!({"id": id, "type": "file_deleted"}));
    for gone in [path.clone(), format!("{path}/content")] {
        get(&server, &gone).await.error(404, "not_found_error");
    }
    delete(&server, &path).await.error(404, "not_found_error");
    server.shutdown().await;
}

#[tokio::test]
async fn files_are_paged_by_ids_and_by_the_next_page_cursor() {
    let server = start().await;
    let mut ids = Vec::new();
    for name in ["a.txt", "b.csv", "c"] {
        let uploaded = upload(&server, multipart(name, None, name.as_bytes()))
            .await
            .ok();
        ids.push(uploaded["id"].as_str().unwrap().to_owned());
    }
    let first = get(&server, "/v1/files?limit=2").await.ok();
    assert_eq!(first["data"][0]["id"], ids[2].as_str(), "newest first");
    assert_eq!(
        first["data"][1]["mime_type"], "text/csv",
        "typed by extension"
    );
    assert_eq!(first["data"][0]["mime_type"], "application/octet-stream");
    assert_eq!(first["has_more"], true);
    let cursor = first["next_page"].as_str().unwrap();
    let by_cursor = get(&server, &format!("/v1/files?limit=2&page={cursor}"))
        .await
        .ok();
    let by_id = get(&server, &format!("/v1/files?limit=2&after_id={}", ids[1]))
        .await
        .ok();
    assert_eq!(by_cursor, by_id);
    assert_eq!(by_cursor["data"][0]["id"], ids[0].as_str());
    assert_eq!(by_cursor["has_more"], false);
    assert!(by_cursor["next_page"].is_null());
    let bad = get(&server, "/v1/files?page=nonsense").await;
    assert!(bad.error(400, "invalid_request_error").starts_with("page:"));
    server.shutdown().await;
}

/// Sends raw HTTP/1.1 and reads until the server closes the connection.
async fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    // A guard against a hang, not a speed assertion.
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut received),
    );
    read.await
        .expect("the server neither answered nor closed")
        .ok();
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_file_over_the_cap_is_a_413_and_is_not_kept() {
    let server = start().await;
    // Declared too large: refused before a byte of the body is read.
    let request = format!(
        "POST /v1/files HTTP/1.1\r\nHost: {}\r\nx-api-key: k\r\n\
         anthropic-version: 2023-06-01\r\ncontent-length: 40000000\r\nconnection: close\r\n\
         content-type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n--{BOUNDARY}",
        server.addr()
    );
    let text = raw_exchange(server.addr(), &request).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"request_too_large\""), "{text}");
    // Streamed with no length: the part is counted as it arrives.
    let oversized = multipart(
        "big.bin",
        None,
        &vec![b'x'; claudetui::mock::MAX_FILE_BYTES + 1],
    );
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = oversized
        .chunks(1 << 20)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let request = client()
        .post(format!("{}/v1/files", server.base_url()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )));
    let answer = send(request).await;
    assert!(answer.error(413, "request_too_large").contains("32 MiB"));
    let listed = get(&server, "/v1/files").await.ok();
    assert_eq!(listed["data"], json!([]), "nothing over the cap was kept");
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_upload_gets_the_api_errors() {
    let server = start().await;
    let no_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
    );
    let answer = upload(&server, no_file.into_bytes()).await;
    assert_eq!(
        answer.error(400, "invalid_request_error"),
        "file: Field required"
    );
    let not_multipart = post(&server, "/v1/files", &json!({"file": "x"})).await;
    assert!(
        not_multipart
            .error(400, "invalid_request_error")
            .contains("multipart/form-data")
    );
    let unauthenticated = client()
        .post(format!("{}/v1/files", server.base_url()))
        .header("anthropic-version", "2023-06-01")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart("a.txt", None, b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    server.shutdown().await;
}
