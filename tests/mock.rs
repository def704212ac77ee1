//! The embedded server against real HTTP clients (reqwest, and a raw TCP
//! client where a truncated body must be seen byte for byte), on loopback
//! ports picked by the OS.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::DateTime;
use claudetui::api::sse::{MessageAssembler, SseEvent, SseParser, StreamEvent};
use claudetui::api::types::{
    ContentBlock, CountTokensResponse, ErrorEnvelope, MessageResponse, ModelInfo, ModelList,
};
use claudetui::api::{claude_code, lint};
use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockError, MockServer, ORGANIZATION_ID};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MODEL: &str = "claude-sonnet-4-5";

// ----- fixtures ---------------------------------------------------------------

async fn start_with(scenario: Scenario) -> MockServer {
    MockServer::start(MockConfig {
        scenario,
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .unwrap()
}

async fn start(name: &str) -> MockServer {
    start_with(Scenario::load(name).unwrap()).await
}

async fn start_toml(text: &str) -> MockServer {
    start_with(Scenario::from_toml(text, "test").unwrap()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn hello_body() -> Value {
    json!({
        "model": MODEL,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hello from the test"}]
    })
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .parse()
            .unwrap()
    }

    /// Asserts the error envelope and returns its message.
    fn error(&self, status: u16, kind: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let envelope = ErrorEnvelope::parse(&self.body).expect("an error envelope");
        assert_eq!(envelope.error.kind, kind, "{}", self.body);
        assert_eq!(envelope.request_id.as_deref(), self.header("request-id"));
        envelope.error.message
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

fn authed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .header("x-api-key", "sk-ant-api03-test")
        .header("anthropic-version", "2023-06-01")
}

async fn post(server: &MockServer, path: &str, body: &Value) -> Answer {
    let url = format!("{}{path}", server.base_url());
    send(authed(client().post(url)).json(body)).await
}

async fn post_text(server: &MockServer, path: &str, body: &str) -> Answer {
    let url = format!("{}{path}", server.base_url());
    send(
        authed(client().post(url))
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

async fn get(server: &MockServer, path: &str) -> Answer {
    send(authed(client().get(format!("{}{path}", server.base_url())))).await
}

/// Parses a whole SSE body with the crate's parser and assembler.
fn parse_stream(body: &str) -> (Vec<SseEvent>, Vec<StreamEvent>, MessageAssembler) {
    let mut raw = Vec::new();
    let mut parser = SseParser::new();
    parser.feed(body.as_bytes(), &mut raw);
    assert!(!parser.has_partial(), "the stream ended mid-event: {body}");
    let typed: Vec<StreamEvent> = raw
        .iter()
        .map(|e| StreamEvent::parse(e).unwrap_or_else(|err| panic!("{err}: {e:?}")))
        .collect();
    let mut assembler = MessageAssembler::new();
    for event in &typed {
        assembler.apply(event).unwrap();
    }
    (raw, typed, assembler)
}

fn names(raw: &[SseEvent]) -> Vec<&str> {
    raw.iter().map(|e| e.event.as_str()).collect()
}

const RATE_LIMIT_HEADERS: [&str; 4] = [
    "anthropic-ratelimit-requests",
    "anthropic-ratelimit-tokens",
    "anthropic-ratelimit-input-tokens",
    "anthropic-ratelimit-output-tokens",
];

fn assert_rate_limit_headers(answer: &Answer) {
    for prefix in RATE_LIMIT_HEADERS {
        let limit = answer.number(&format!("{prefix}-limit"));
        let remaining = answer.number(&format!("{prefix}-remaining"));
        assert!(remaining <= limit, "{prefix}: {remaining} > {limit}");
        let reset = answer.header(&format!("{prefix}-reset")).unwrap();
        let reset = DateTime::parse_from_rfc3339(reset).unwrap();
        assert_eq!(
            reset.offset().local_minus_utc(),
            0,
            "{prefix} reset not UTC"
        );
    }
}

/// A 429's message names a limit ("… of 1,000 input tokens per minute");
/// the same response's headers must show that family at 0, with that
/// limit. Returns the unit named.
fn assert_429_names_the_exhausted_family(answer: &Answer) -> String {
    let message = answer.error(429, "rate_limit_error");
    let wording = format!(
        "This request would exceed the rate limit for your organization ({ORGANIZATION_ID}) of "
    );
    let rest = message
        .strip_prefix(&wording)
        .unwrap_or_else(|| panic!("not the API's wording: {message}"));
    let (number, rest) = rest.split_once(' ').unwrap();
    let unit = rest
        .split_once(" per minute. For details")
        .unwrap_or_else(|| panic!("no unit: {message}"))
        .0;
    let family = match unit {
        "requests" => "anthropic-ratelimit-requests",
        "input tokens" => "anthropic-ratelimit-input-tokens",
        "output tokens" => "anthropic-ratelimit-output-tokens",
        other => panic!("unknown unit `{other}` in {message}"),
    };
    let limit: u64 = number.replace(',', "").parse().unwrap();
    assert_eq!(
        answer.number(&format!("{family}-limit")),
        limit,
        "{message}"
    );
    assert_eq!(
        answer.number(&format!("{family}-remaining")),
        0,
        "{message}"
    );
    assert_rate_limit_headers(answer);
    unit.to_owned()
}

fn assert_common_headers(answer: &Answer) {
    let id = answer.header("request-id").expect("request-id");
    assert!(id.starts_with("req_") && id.len() == 28, "{id}");
    assert!(id[4..].chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    assert_eq!(
        answer.header("anthropic-organization-id"),
        Some(ORGANIZATION_ID)
    );
    assert!(answer.header("content-type").is_some());
}

/// Sends raw HTTP/1.1 and reads until the server closes the connection.
async fn raw_exchange(addr: SocketAddr, request: &str) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    // A guard against a hang, not a speed assertion.
    tokio::time::timeout(Duration::from_secs(30), read_all)
        .await
        .expect("the server neither answered nor closed");
    received
}

fn raw_post(addr: SocketAddr, path: &str, body: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nx-api-key: sk-ant-test\r\n\
         anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

// ----- messages: replies ------------------------------------------------------

#[tokio::test]
async fn a_json_reply_parses_and_counts_its_tokens() {
    let server = start("default").await;
    let body = hello_body();
    let answer = post(&server, "/v1/messages", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_common_headers(&answer);
    assert_rate_limit_headers(&answer);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let message: MessageResponse = serde_json::from_str(&answer.body).unwrap();
    assert!(message.id.starts_with("msg_01"), "{}", message.id);
    assert_eq!(message.kind, "message");
    assert_eq!(message.model, MODEL);
    assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
    let text = message.text();
    assert!(
        text.starts_with("You said: “Hello from the test”."),
        "{text}"
    );
    assert!(text.contains("claudetui's embedded server"), "{text}");
    assert_eq!(
        message.usage.input_tokens,
        lint::estimate_input_tokens(&body)
    );
    assert_eq!(
        message.usage.output_tokens,
        text.split_whitespace().count() as u64
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_streamed_reply_has_the_messages_event_sequence() {
    let server = start("default").await;
    let mut body = hello_body();
    body["stream"] = json!(true);
    let answer = post(&server, "/v1/messages?beta=true", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_common_headers(&answer);
    assert_rate_limit_headers(&answer);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (raw, typed, assembler) = parse_stream(&answer.body);
    let names = names(&raw);
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"ping"));
    let text_deltas = typed
        .iter()
        .filter(|e| matches!(e, StreamEvent::ContentBlockDelta { .. }))
        .count();
    assert!(text_deltas >= 5, "only {text_deltas} text deltas");
    assert!(assembler.is_complete());
    let message = assembler.finish().unwrap();
    assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
    assert!(
        message
            .text()
            .starts_with("You said: “Hello from the test”.")
    );
    assert_eq!(
        message.usage.output_tokens,
        message.text().split_whitespace().count() as u64
    );
    server.shutdown().await;
}

#[tokio::test]
async fn stop_reasons_follow_max_tokens_and_stop_sequences() {
    let server = start("default").await;
    let cases = [
        (
            json!({"max_tokens": 4}),
            "max_tokens",
            None,
            "You said: “Hello from",
        ),
        (
            json!({"stop_sequences": ["from"]}),
            "stop_sequence",
            Some("from"),
            "You said: “Hello ",
        ),
    ];
    for (extra, reason, sequence, text) in cases {
        for stream in [false, true] {
            let mut body = hello_body();
            for (key, value) in extra.as_object().unwrap() {
                body[key] = value.clone();
            }
            body["stream"] = json!(stream);
            let answer = post(&server, "/v1/messages", &body).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            let message = if stream {
                parse_stream(&answer.body).2.finish().unwrap()
            } else {
                serde_json::from_str(&answer.body).unwrap()
            };
            assert_eq!(message.stop_reason.as_deref(), Some(reason), "{extra}");
            assert_eq!(message.stop_sequence.as_deref(), sequence);
            assert_eq!(message.text(), text);
        }
    }
    server.shutdown().await;
}

/// `body` sent with Claude Code's own headers to its own path.
async fn post_as_claude_code(server: &MockServer, body: &Value, betas: &str) -> Answer {
    let url = format!("{}{}", server.base_url(), claude_code::MESSAGES_PATH);
    let mut request = authed(client().post(url)).json(body);
    for (name, value) in claude_code::headers() {
        let value = if name == "anthropic-beta" {
            betas.to_owned()
        } else {
            value
        };
        request = request.header(name, value);
    }
    send(request).await
}

#[tokio::test]
async fn claude_codes_request_is_answered_in_text_quoting_its_prompt() {
    let server = start("default").await;
    let body = claude_code::request_body("claude-opus-4-8", None, "say hi", 2000);
    let answer = post_as_claude_code(&server, &body, &claude_code::beta_header()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let message = parse_stream(&answer.body).2.finish().unwrap();
    assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
    assert!(
        !message
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolUse { .. })),
        "the server called a tool nobody asked for: {:?}",
        message.content
    );
    let text = message.text();
    assert!(text.starts_with("You said: “say hi”."), "{text}");
    let Some(ContentBlock::Thinking { thinking, .. }) = message.content.first() else {
        panic!("adaptive thinking comes first: {:?}", message.content);
    };
    for shown in [&text, thinking] {
        assert!(
            !shown.contains("system-reminder") && !shown.contains("currentDate"),
            "{shown}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_claude_code_gateway_refuses_its_beta_then_its_field_and_nothing_else() {
    let server = start("claude-code-gateway").await;
    let model = "claude-opus-4-8";
    let full = claude_code::request_body(model, None, "say hi", 2000);
    let refused = post_as_claude_code(&server, &full, &claude_code::beta_header()).await;
    assert_eq!(
        refused.error(400, "invalid_request_error"),
        "Unexpected value(s) `prompt-caching-scope-2026-01-05` for the `anthropic-beta` header. \
         Please consult our documentation at docs.claude.com or try again without the header."
    );
    assert_common_headers(&refused);
    assert_rate_limit_headers(&refused);

    // Without that value (context-management's own beta still sent).
    let other_betas: Vec<&str> = claude_code::BETAS
        .iter()
        .map(|b| b.value)
        .filter(|v| *v != claude_code::PROMPT_CACHING_SCOPE_BETA)
        .collect();
    let refused = post_as_claude_code(&server, &full, &other_betas.join(",")).await;
    assert_eq!(
        refused.error(400, "invalid_request_error"),
        "context_management: Extra inputs are not permitted"
    );

    let mut neither = full.clone();
    neither
        .as_object_mut()
        .unwrap()
        .remove("context_management");
    let answer = post_as_claude_code(&server, &neither, &other_betas.join(",")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let text = parse_stream(&answer.body).2.finish().unwrap().text();
    assert!(text.starts_with("You said: “say hi”."), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn claude_code_with_experimental_betas_disabled_gets_through_the_gateway() {
    let server = start("claude-code-gateway").await;
    // What CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 makes Claude Code send.
    let betas: Vec<&str> = claude_code::BETAS
        .iter()
        .filter(|b| !b.experimental)
        .map(|b| b.value)
        .collect();
    let mut body = claude_code::request_body("claude-opus-4-8", None, "say hi", 2000);
    for field in claude_code::FIELDS.iter().filter(|f| f.experimental) {
        body.as_object_mut().unwrap().remove(field.name);
    }
    let answer = post_as_claude_code(&server, &body, &betas.join(",")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // And the same request is fine on the default scenario with everything.
    let default = start("default").await;
    let full = claude_code::request_body("claude-opus-4-8", None, "say hi", 2000);
    let answer = post_as_claude_code(&default, &full, &claude_code::beta_header()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    default.shutdown().await;
    server.shutdown().await;
}

fn weather_tool() -> Value {
    json!({
        "name": "get_weather",
        "description": "Current weather for a place",
        "input_schema": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location", "unit"]
        }
    })
}

#[tokio::test]
async fn offered_tools_are_called_with_input_built_from_the_schema() {
    let server = start("default").await;
    let body = json!({
        "model": MODEL, "max_tokens": 512, "stream": true,
        "tools": [weather_tool()],
        "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}]
    });
    let answer = post(&server, "/v1/messages?beta=true", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, typed, assembler) = parse_stream(&answer.body);
    let json_pieces = typed
        .iter()
        .filter(|e| {
            matches!(e, StreamEvent::ContentBlockDelta { delta, .. }
                if delta.type_name() == "input_json_delta")
        })
        .count();
    assert!(json_pieces > 2, "tool input came in {json_pieces} pieces");
    let message = assembler.finish().unwrap();
    assert_eq!(message.stop_reason.as_deref(), Some("tool_use"));
    let [ContentBlock::ToolUse { id, name, input }] = message.content.as_slice() else {
        panic!("expected only a tool call: {:?}", message.content);
    };
    assert!(id.starts_with("toolu_01"), "{id}");
    assert_eq!(name, "get_weather");
    // The place comes from the prompt, the rest from this tool's schema.
    assert_eq!(input, &json!({"location": "Paris", "unit": "celsius"}));

    // The tool result comes back: the answer is text that sums it up.
    let follow_up = json!({
        "model": MODEL, "max_tokens": 512,
        "tools": [weather_tool()],
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": id, "name": "get_weather", "input": input}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": id, "content": "21 °C and clear"}]}
        ]
    });
    let answer = post(&server, "/v1/messages", &follow_up).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let message: MessageResponse = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
    assert!(
        message
            .text()
            .starts_with("The get_weather tool returned: “21 °C and clear”."),
        "{}",
        message.text()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn thinking_streams_thinking_and_signature_deltas_first() {
    let server = start("default").await;
    let body = json!({
        "model": MODEL, "max_tokens": 4096, "stream": true,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [{"role": "user", "content": "Think first"}]
    });
    let answer = post(&server, "/v1/messages", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, typed, assembler) = parse_stream(&answer.body);
    let delta_types: Vec<&str> = typed
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ContentBlockDelta { index: 0, delta } => Some(delta.type_name()),
            _ => None,
        })
        .collect();
    assert!(delta_types.contains(&"thinking_delta"), "{delta_types:?}");
    assert_eq!(delta_types.last(), Some(&"signature_delta"));
    let message = assembler.finish().unwrap();
    assert!(matches!(
        &message.content[0],
        ContentBlock::Thinking { thinking, signature }
            if thinking.contains("Think first") && !signature.is_empty()
    ));
    assert!(matches!(message.content[1], ContentBlock::Text { .. }));
    server.shutdown().await;
}

#[tokio::test]
async fn a_python_sdk_style_request_is_accepted() {
    let server = start("default").await;
    let url = format!("{}/v1/messages?beta=true", server.base_url());
    let request = client()
        .post(url)
        .header("authorization", "Bearer sk-ant-api03-python")
        .header("anthropic-version", "2026-10-21")
        .header("user-agent", "Anthropic/Python 2.13.0")
        .header("x-stainless-lang", "python")
        .header("x-stainless-package-version", "2.13.0")
        .header("x-stainless-os", "Linux")
        .header("x-stainless-arch", "x64")
        .header("x-stainless-runtime", "CPython")
        .header("x-stainless-runtime-version", "3.12.7")
        .header("x-stainless-retry-count", "0")
        .header("x-stainless-timeout", "600")
        .header("anthropic-beta", "fine-grained-tool-streaming-2025-05-14")
        .json(&json!({
            "model": "claude-sonnet-5", "max_tokens": 128, "stream": true,
            "messages": [{"role": "user", "content": "hi from python"}]
        }));
    let answer = send(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let message = parse_stream(&answer.body).2.finish().unwrap();
    assert!(message.text().contains("hi from python"));
    server.shutdown().await;
}

#[tokio::test]
async fn count_tokens_answers_the_estimate() {
    let server = start("default").await;
    let body = json!({
        "model": MODEL,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "How many tokens is this?"}]
    });
    let answer = post(&server, "/v1/messages/count_tokens", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_common_headers(&answer);
    assert_rate_limit_headers(&answer);
    let counted: CountTokensResponse = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(counted.input_tokens, lint::estimate_input_tokens(&body));

    let mut with_max = body.clone();
    with_max["max_tokens"] = json!(10);
    let answer = post(&server, "/v1/messages/count_tokens", &with_max).await;
    let message = answer.error(400, "invalid_request_error");
    assert_eq!(
        message,
        lint_message(&with_max, lint::Endpoint::CountTokens)
    );
    server.shutdown().await;
}

// ----- messages: checks -------------------------------------------------------

#[tokio::test]
async fn credentials_are_required_and_both_forms_accepted() {
    let server = start("default").await;
    let url = format!("{}/v1/messages", server.base_url());
    let missing = send(
        client()
            .post(&url)
            .header("anthropic-version", "2023-06-01")
            .json(&hello_body()),
    )
    .await;
    assert_eq!(
        missing.error(401, "authentication_error"),
        "x-api-key header is required"
    );
    assert_common_headers(&missing);
    assert_rate_limit_headers(&missing);
    let empty = send(
        client()
            .post(&url)
            .header("x-api-key", "  ")
            .header("anthropic-version", "2023-06-01")
            .json(&hello_body()),
    )
    .await;
    assert_eq!(empty.status, 401);
    let bearer = send(
        client()
            .post(&url)
            .header("authorization", "Bearer token-123")
            .header("anthropic-version", "2023-06-01")
            .json(&hello_body()),
    )
    .await;
    assert_eq!(bearer.status, 200, "{}", bearer.body);
    server.shutdown().await;

    let server = start("invalid-key").await;
    let answer = post(&server, "/v1/messages", &hello_body()).await;
    assert_eq!(
        answer.error(401, "authentication_error"),
        "invalid x-api-key"
    );
    let models = get(&server, "/v1/models").await;
    assert_eq!(
        models.error(401, "authentication_error"),
        "invalid x-api-key"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn anthropic_version_is_required_and_checked() {
    let server = start("default").await;
    let url = format!("{}/v1/messages", server.base_url());
    let missing = send(
        client()
            .post(&url)
            .header("x-api-key", "k")
            .json(&hello_body()),
    )
    .await;
    assert_eq!(
        missing.error(400, "invalid_request_error"),
        "anthropic-version: header is required"
    );
    let wrong = send(
        client()
            .post(&url)
            .header("x-api-key", "k")
            .header("anthropic-version", "2020-01-01")
            .json(&hello_body()),
    )
    .await;
    let message = wrong.error(400, "invalid_request_error");
    assert!(message.contains("2020-01-01"), "{message}");
    for version in claudetui::mock::ACCEPTED_VERSIONS {
        let ok = send(
            client()
                .post(&url)
                .header("x-api-key", "k")
                .header("anthropic-version", *version)
                .json(&hello_body()),
        )
        .await;
        assert_eq!(ok.status, 200, "{version}: {}", ok.body);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_apis_message() {
    let server = start("default").await;
    let text = "{\"model\": \"claude-sonnet-4-5\",\n \"max_tokens\": 10,}";
    let answer = post_text(&server, "/v1/messages", text).await;
    let message = answer.error(400, "invalid_request_error");
    assert_eq!(message, lint::parse_json(text).unwrap_err().api_message());
    assert!(
        message.starts_with("The request body is not valid JSON: ")
            && message.contains("line 2 column"),
        "{message}"
    );
    server.shutdown().await;
}

fn lint_message(body: &Value, endpoint: lint::Endpoint) -> String {
    let options = lint::LintOptions {
        endpoint,
        anthropic_version: Some("2023-06-01".into()),
        ..lint::LintOptions::default()
    }
    .with_betas([]);
    lint::first_error(&lint::validate(body, &options))
        .expect("lint finds an error")
        .api_message()
}

#[tokio::test]
async fn invalid_requests_get_lints_first_error_in_the_apis_words() {
    let server = start("default").await;
    let long_text = "word ".repeat(210_000);
    let cases = [
        (
            json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
            "max_tokens: Field required",
        ),
        (
            json!({"model": MODEL, "max_tokens": 10, "temperature": 2,
                   "messages": [{"role": "user", "content": "hi"}]}),
            "temperature: Input should be less than or equal to 1",
        ),
        (
            json!({"model": MODEL, "max_tokens": 10, "frequency_penalty": 1,
                   "messages": [{"role": "user", "content": "hi"}]}),
            "frequency_penalty: Extra inputs are not permitted",
        ),
        (
            json!({"model": MODEL, "max_tokens": 10, "context_management": {"edits": []},
                   "messages": [{"role": "user", "content": "hi"}]}),
            "context_management: Extra inputs are not permitted",
        ),
        (
            json!({"model": MODEL, "max_tokens": 100_000,
                   "messages": [{"role": "user", "content": "hi"}]}),
            "max_tokens: 100000 > 64000",
        ),
        (
            json!({"model": MODEL, "max_tokens": 10,
                   "messages": [{"role": "user", "content": long_text}]}),
            "prompt is too long: ",
        ),
    ];
    for (body, expected) in cases {
        let answer = post(&server, "/v1/messages", &body).await;
        let message = answer.error(400, "invalid_request_error");
        assert!(message.starts_with(expected), "{message}");
        assert_eq!(message, lint_message(&body, lint::Endpoint::Messages));
        assert_rate_limit_headers(&answer);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_beta_field_is_accepted_with_its_anthropic_beta() {
    let server = start("default").await;
    let body = json!({"model": MODEL, "max_tokens": 10, "context_management": {"edits": []},
                      "messages": [{"role": "user", "content": "hi"}]});
    let url = format!("{}/v1/messages", server.base_url());
    let request = authed(client().post(url))
        .header(
            "anthropic-beta",
            "claude-code-20250219,context-management-2025-06-27",
        )
        .json(&body);
    assert_eq!(send(request).await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_model_is_a_404() {
    let server = start("default").await;
    let body = json!({"model": "claude-3-opus-2024", "max_tokens": 10,
                      "messages": [{"role": "user", "content": "hi"}]});
    let answer = post(&server, "/v1/messages", &body).await;
    assert_eq!(
        answer.error(404, "not_found_error"),
        "model: claude-3-opus-2024"
    );
    let answer = post(
        &server,
        "/v1/messages/count_tokens",
        &json!({"model": "nope", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(answer.error(404, "not_found_error"), "model: nope");
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_over_32_mb_is_413() {
    let server = start("default").await;
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nHost: {}\r\nx-api-key: k\r\n\
         anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n\
         content-length: 40000000\r\nconnection: close\r\n\r\n{{",
        server.addr()
    );
    let received = raw_exchange(server.addr(), &request).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"request_too_large\""), "{text}");
    server.shutdown().await;
}

// ----- rate limits ------------------------------------------------------------

#[tokio::test]
async fn rate_limit_headers_drain_with_each_request() {
    // Small budgets refill slowly (10 tokens a second), so what one request
    // spent is still visible in the next headers, give or take the refill.
    let server = start_toml(
        "[limits]\nrequests_per_minute = 60\ninput_tokens_per_minute = 600\n\
         output_tokens_per_minute = 600",
    )
    .await;
    let first = post(&server, "/v1/messages", &hello_body()).await;
    let second = post(&server, "/v1/messages", &hello_body()).await;
    assert_eq!((first.status, second.status), (200, 200));
    let remaining = |a: &Answer, family: &str| a.number(&format!("{family}-remaining"));
    let limit = |a: &Answer, family: &str| a.number(&format!("{family}-limit"));
    let [requests, tokens, input, output] = RATE_LIMIT_HEADERS;
    let close_to = |seen: u64, spent: u64| seen <= spent && seen + 3 >= spent;
    assert_eq!(limit(&first, requests), 60);
    assert_eq!(remaining(&first, requests), 59);
    assert!(remaining(&second, requests) < remaining(&first, requests));
    let spent_input = lint::estimate_input_tokens(&hello_body());
    let seen_input = limit(&first, input) - remaining(&first, input);
    assert!(
        close_to(seen_input, spent_input),
        "{seen_input} vs {spent_input}"
    );
    assert!(remaining(&second, input) < remaining(&first, input));
    let reply: MessageResponse = serde_json::from_str(&first.body).unwrap();
    let seen_output = limit(&first, output) - remaining(&first, output);
    let spent_output = reply.usage.output_tokens;
    assert!(
        close_to(seen_output, spent_output),
        "{seen_output} vs {spent_output}"
    );
    assert_eq!(
        limit(&first, tokens),
        limit(&first, input) + limit(&first, output)
    );
    assert_eq!(
        remaining(&first, tokens),
        remaining(&first, input) + remaining(&first, output)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_empty_bucket_answers_429_with_retry_after() {
    let server = start("tight-limits").await;
    for _ in 0..3 {
        let answer = post(&server, "/v1/messages", &hello_body()).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let refused = post(&server, "/v1/messages", &hello_body()).await;
    assert_eq!(assert_429_names_the_exhausted_family(&refused), "requests");
    assert!(
        refused
            .error(429, "rate_limit_error")
            .contains(" of 3 requests per minute.")
    );
    let retry_after = refused.number("retry-after");
    assert!((1..=20).contains(&retry_after), "retry-after {retry_after}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_input_token_refusal_shows_input_tokens_exhausted_even_with_some_left() {
    let server = start_toml(
        "[limits]\nrequests_per_minute = 100\ninput_tokens_per_minute = 1000\n\
         output_tokens_per_minute = 100000",
    )
    .await;
    let small = post(&server, "/v1/messages", &hello_body()).await;
    assert_eq!(small.status, 200, "{}", small.body);
    let left = small.number("anthropic-ratelimit-input-tokens-remaining");
    assert!(left > 0, "the first request should leave some input tokens");
    let mut big = hello_body();
    big["messages"][0]["content"] = json!("many words ".repeat(800));
    assert!(lint::estimate_input_tokens(&big) > left);
    let refused = post(&server, "/v1/messages", &big).await;
    assert_eq!(
        assert_429_names_the_exhausted_family(&refused),
        "input tokens"
    );
    assert!(refused.number("anthropic-ratelimit-requests-remaining") > 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_fault_names_the_limit_its_headers_exhaust() {
    let server = start("rate-limited").await;
    let refused = post(&server, "/v1/messages", &hello_body()).await;
    assert_eq!(
        assert_429_names_the_exhausted_family(&refused),
        "input tokens"
    );
    assert_eq!(refused.header("retry-after"), Some("20"));
    // The family resets no sooner than the retry-after says to come back.
    let reset = refused
        .header("anthropic-ratelimit-input-tokens-reset")
        .unwrap();
    let reset = DateTime::parse_from_rfc3339(reset).unwrap();
    let ahead = reset
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!((15..=21).contains(&ahead), "reset {ahead} s ahead");
    server.shutdown().await;
    for (limit, unit) in [("requests", "requests"), ("output_tokens", "output tokens")] {
        let server = start_toml(&format!(
            "[[faults]]\nkind = \"rate_limit\"\nevery = 1\nretry_after_secs = 5\nlimit = \"{limit}\""
        ))
        .await;
        let refused = post(&server, "/v1/messages", &hello_body()).await;
        assert_eq!(assert_429_names_the_exhausted_family(&refused), unit);
        server.shutdown().await;
    }
}

#[tokio::test]
async fn streamed_output_is_charged_to_the_output_bucket() {
    let server = start_toml(
        "[limits]\nrequests_per_minute = 100\ninput_tokens_per_minute = 100000\n\
         output_tokens_per_minute = 40",
    )
    .await;
    let mut body = hello_body();
    body["stream"] = json!(true);
    let first = post(&server, "/v1/messages", &body).await;
    assert_eq!(first.status, 200);
    let spent = parse_stream(&first.body)
        .2
        .finish()
        .unwrap()
        .usage
        .output_tokens;
    assert!(spent > 40, "the reply should overdraw the bucket ({spent})");
    let refused = post(&server, "/v1/messages", &body).await;
    assert_eq!(
        assert_429_names_the_exhausted_family(&refused),
        "output tokens"
    );
    let message = refused.error(429, "rate_limit_error");
    assert!(
        message.contains(" of 40 output tokens per minute."),
        "{message}"
    );
    assert!(refused.number("retry-after") >= 1);
    server.shutdown().await;
}

// ----- faults -----------------------------------------------------------------

#[tokio::test]
async fn every_error_fault_answers_its_status_type_and_headers() {
    let cases: [(&str, u16, &str, Option<&str>); 7] = [
        ("rate-limited", 429, "rate_limit_error", None),
        ("overloaded", 529, "overloaded_error", Some("Overloaded")),
        (
            "server-error",
            500,
            "api_error",
            Some("Internal server error"),
        ),
        (
            "region-block",
            403,
            "forbidden",
            Some("Request not allowed"),
        ),
        (
            "credit-balance",
            400,
            "invalid_request_error",
            Some(
                "Your credit balance is too low to access the Anthropic API. Please go to \
                 Plans & Billing to upgrade or purchase credits.",
            ),
        ),
        ("stream-error", 529, "overloaded_error", Some("Overloaded")),
        (
            "invalid-key",
            401,
            "authentication_error",
            Some("invalid x-api-key"),
        ),
    ];
    for (scenario, status, kind, expected) in cases {
        let server = start(scenario).await;
        let answer = post(&server, "/v1/messages", &hello_body()).await;
        let message = answer.error(status, kind);
        if let Some(expected) = expected {
            assert_eq!(message, expected, "{scenario}");
        }
        assert_common_headers(&answer);
        assert_rate_limit_headers(&answer);
        match scenario {
            "rate-limited" => {
                assert_eq!(answer.header("retry-after"), Some("20"));
                assert_429_names_the_exhausted_family(&answer);
            }
            "overloaded" => assert_eq!(answer.header("x-should-retry"), Some("true")),
            _ => assert_eq!(answer.header("retry-after"), None, "{scenario}"),
        }
        server.shutdown().await;
    }
}

#[tokio::test]
async fn faults_reach_count_tokens_only_when_the_scenario_says() {
    let body = json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]});
    let server = start("rate-limited").await;
    let answer = post(&server, "/v1/messages/count_tokens", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    server.shutdown().await;
    let server = start("region-block").await;
    let answer = post(&server, "/v1/messages/count_tokens", &body).await;
    assert_eq!(answer.error(403, "forbidden"), "Request not allowed");
    server.shutdown().await;
}

#[tokio::test]
async fn a_stream_error_arrives_after_a_200() {
    let server = start("stream-error").await;
    let mut body = hello_body();
    body["stream"] = json!(true);
    let answer = post(&server, "/v1/messages", &body).await;
    assert_eq!(answer.status, 200);
    let (raw, _, assembler) = parse_stream(&answer.body);
    let names = names(&raw);
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(names.last(), Some(&"error"));
    assert!(!names.contains(&"message_stop"));
    let error = assembler.error().expect("the error event");
    assert_eq!(error.kind, "overloaded_error");
    assert_eq!(error.message, "Overloaded");
    assert!(!assembler.is_complete());
    server.shutdown().await;
}

#[tokio::test]
async fn a_dropped_stream_ends_mid_event_without_a_clean_end() {
    let server = start("drop-mid-stream").await;
    let body = json!({"model": MODEL, "max_tokens": 256, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]})
    .to_string();
    let received = raw_exchange(
        server.addr(),
        &raw_post(server.addr(), "/v1/messages", &body, ""),
    )
    .await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("transfer-encoding: chunked"), "{text}");
    assert!(text.contains("event: message_start"), "{text}");
    assert!(!text.contains("message_stop"), "{text}");
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "the chunked body ended cleanly: {text}"
    );

    // reqwest sees the same cut as an error while reading the body.
    let mut request: Value = serde_json::from_str(&body).unwrap();
    request["stream"] = json!(true);
    let response = authed(client().post(format!("{}/v1/messages", server.base_url())))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body should be cut");

    // A non-streaming request is cut too: half a JSON body.
    request["stream"] = json!(false);
    let response = authed(client().post(format!("{}/v1/messages", server.base_url())))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body should be cut");
    server.shutdown().await;
}

#[tokio::test]
async fn control_a_healthy_raw_stream_ends_cleanly() {
    let server = start("default").await;
    let body = json!({"model": MODEL, "max_tokens": 64, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]})
    .to_string();
    let request = raw_post(
        server.addr(),
        "/v1/messages",
        &body,
        "connection: close\r\n",
    );
    let received = raw_exchange(server.addr(), &request).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("event: message_stop"), "{text}");
    assert!(text.ends_with("0\r\n\r\n"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn slow_first_byte_holds_the_headers_back() {
    // Speed 0 keeps a fault's delay as written, so this lower bound holds
    // by construction (it is not a speed goal).
    let server =
        start_toml("[[faults]]\nkind = \"slow_first_byte\"\nat = [1]\ndelay_ms = 300").await;
    let started = Instant::now();
    let slow = post(&server, "/v1/messages", &hello_body()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.status, 200, "{}", slow.body);
    assert!(serde_json::from_str::<MessageResponse>(&slow.body).is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn flaky_fails_every_other_request_so_one_retry_succeeds() {
    let server = start("flaky").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(post(&server, "/v1/messages", &hello_body()).await.status);
    }
    assert_eq!(statuses, [429, 200, 529, 200, 429, 200, 529, 200]);
    server.shutdown().await;
}

#[tokio::test]
async fn probability_faults_repeat_with_the_seed() {
    let scenario = "seed = 7\n\
        [[faults]]\nkind = \"rate_limit\"\nprobability = 0.3\nretry_after_secs = 1\n\
        [[faults]]\nkind = \"overloaded\"\nprobability = 0.3\n";
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = start_toml(scenario).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(post(&server, "/v1/messages", &hello_body()).await.status);
        }
        server.shutdown().await;
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    for status in [200, 429, 529] {
        assert!(runs[0].contains(&status), "no {status} in {:?}", runs[0]);
    }
}

#[tokio::test]
async fn the_lively_demo_scenario_serves() {
    let server = start("lively").await;
    let answer = post(&server, "/v1/messages", &hello_body()).await;
    assert!([200, 429, 529].contains(&answer.status), "{}", answer.body);
    assert_eq!(answer.number("anthropic-ratelimit-requests-limit"), 20);
    server.shutdown().await;
}

// ----- models and the probes --------------------------------------------------

#[tokio::test]
async fn models_page_forward_and_back() {
    let server = start("default").await;
    let all: ModelList =
        serde_json::from_str(&get(&server, "/v1/models?limit=1000").await.body).unwrap();
    assert!(all.data.len() > 5);
    assert!(!all.has_more);
    let default_page: ModelList =
        serde_json::from_str(&get(&server, "/v1/models").await.body).unwrap();
    assert_eq!(default_page.data.len(), all.data.len().min(20));
    let created: Vec<&str> = all.data.iter().map(|m| m.created_at.as_str()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "not newest first");

    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(id) => format!("/v1/models?limit=3&after_id={id}"),
            None => "/v1/models?limit=3".to_owned(),
        };
        let page: ModelList = serde_json::from_str(&get(&server, &path).await.body).unwrap();
        assert_eq!(
            page.first_id.as_deref(),
            page.data.first().map(|m| m.id.as_str())
        );
        walked.extend(page.data.iter().map(|m| m.id.clone()));
        if !page.has_more {
            break;
        }
        after = page.last_id;
    }
    let ids: Vec<String> = all.data.iter().map(|m| m.id.clone()).collect();
    assert_eq!(walked, ids);

    let last = ids.last().unwrap();
    let back: ModelList = serde_json::from_str(
        &get(&server, &format!("/v1/models?limit=2&before_id={last}"))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(back.data.len(), 2);
    assert_eq!(back.last_id.as_deref(), Some(ids[ids.len() - 2].as_str()));
    assert!(back.has_more);

    let bad = get(&server, "/v1/models?limit=0").await;
    bad.error(400, "invalid_request_error");
    server.shutdown().await;
}

#[tokio::test]
async fn one_model_or_a_404() {
    let server = start("default").await;
    let answer = get(&server, &format!("/v1/models/{MODEL}")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let info: ModelInfo = serde_json::from_str(&answer.body).unwrap();
    assert_eq!((info.kind.as_str(), info.id.as_str()), ("model", MODEL));
    assert_eq!(info.display_name, "Claude Sonnet 4.5");
    let missing = get(&server, "/v1/models/claude-nope").await;
    assert_eq!(missing.error(404, "not_found_error"), "model: claude-nope");
    server.shutdown().await;
}

#[tokio::test]
async fn the_probes_answer_without_credentials() {
    let server = start("invalid-key").await;
    let base = server.base_url();
    let hello = send(client().get(format!("{base}/api/hello"))).await;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.json(), json!({"message": "hello"}));
    assert_common_headers(&hello);
    let head = send(client().head(format!("{base}/api/hello"))).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let root = send(client().head(format!("{base}/"))).await;
    assert_eq!(root.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_the_envelope() {
    let server = start("default").await;
    let base = server.base_url();
    let missing = send(client().get(format!("{base}/v1/nothing?x=1"))).await;
    let message = missing.error(404, "not_found_error");
    assert!(
        message.starts_with("claudetui's embedded server does not implement GET /v1/nothing; it implements only POST /v1/messages, "),
        "{message}"
    );
    for route in claudetui::mock::IMPLEMENTED {
        assert!(message.contains(route), "{route} missing from {message}");
    }
    assert!(
        message.ends_with("(each also under /anthropic)."),
        "{message}"
    );
    assert_common_headers(&missing);
    // A path the real API has (legacy Text Completions), named as sent.
    let legacy = post(&server, "/anthropic/v1/complete", &hello_body()).await;
    let message = legacy.error(404, "not_found_error");
    assert!(
        message.contains("does not implement POST /anthropic/v1/complete;"),
        "{message}"
    );
    let wrong = send(client().get(format!("{base}/v1/messages"))).await;
    wrong.error(405, "invalid_request_error");
    assert_common_headers(&wrong);
    let wrong = send(client().delete(format!("{base}/api/hello"))).await;
    assert_eq!(wrong.status, 405);
    server.shutdown().await;
}

#[tokio::test]
async fn every_route_the_404_lists_is_served() {
    let server = start("default").await;
    let base = server.base_url();
    for route in claudetui::mock::IMPLEMENTED {
        let (methods, path) = route.split_once(' ').unwrap();
        let url = format!("{base}{}", path.replace("{id}", MODEL));
        let mut body = json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]});
        if path == "/v1/messages" {
            body["max_tokens"] = json!(8);
        }
        // Batches and Files need ids and bodies of their own: their round
        // trips are in tests/mock_batches_and_files.rs. Here: routed.
        let stored = path.starts_with("/v1/messages/batches") || path.starts_with("/v1/files");
        for method in methods.split('|') {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let answer = send(authed(client().request(method.clone(), &url)).json(&body)).await;
            // A route listed with the wrong method answers 405 (or, with no
            // route at all, the fallback's 404): either means the list and
            // the router disagree. Any other answer (a 400 for a missing
            // multipart body, a 404 for an unknown id) is the handler's own.
            assert_ne!(answer.status, 405, "{method} {url}: {}", answer.body);
            assert!(
                !(answer.status == 404 && answer.body.contains("does not implement")),
                "{method} {url}: {}",
                answer.body
            );
            if !stored {
                assert_eq!(answer.status, 200, "{method} {url}: {}", answer.body);
            }
        }
    }
    server.shutdown().await;
}

// ----- the server itself ------------------------------------------------------

#[tokio::test]
async fn concurrent_requests_all_complete() {
    let server = start("default").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let url = format!("{}/v1/messages", server.base_url());
        tasks.push(tokio::spawn(async move {
            let body = json!({"model": MODEL, "max_tokens": 200, "stream": i % 2 == 0,
                              "messages": [{"role": "user", "content": format!("request {i}")}]});
            send(authed(client().post(url)).json(&body)).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let answer = task.await.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let text = if i % 2 == 0 {
            parse_stream(&answer.body).2.finish().unwrap().text()
        } else {
            serde_json::from_str::<MessageResponse>(&answer.body)
                .unwrap()
                .text()
        };
        assert!(text.contains(&format!("request {i}")), "{text}");
        ids.insert(answer.header("request-id").unwrap().to_owned());
    }
    assert_eq!(ids.len(), 24);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let server = start("default").await;
    let addr = server.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        post(&server, "/v1/messages", &hello_body()).await.status,
        200
    );
    server.shutdown().await;
    let again = MockServer::start(MockConfig {
        port: addr.port(),
        speed: 0.0,
        ..MockConfig::default()
    })
    .await
    .expect("the port is free again");
    assert_eq!(again.addr(), addr);
    let busy = MockServer::start(MockConfig {
        port: addr.port(),
        ..MockConfig::default()
    })
    .await;
    assert!(matches!(busy, Err(MockError::Bind { .. })));
    again.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_a_paced_stream_at_once() {
    // 2 tokens a second: the reply would take most of a minute.
    let server = MockServer::start(MockConfig {
        scenario: Scenario::from_toml(
            "[pacing]\nfirst_byte_ms = 0\ntokens_per_second = 2\nping_interval_ms = 1000",
            "slow",
        )
        .unwrap(),
        speed: 1.0,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let mut body = hello_body();
    body["stream"] = json!(true);
    let response = authed(client().post(format!("{}/v1/messages", server.base_url())))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reader = tokio::spawn(response.text());
    server.shutdown().await;
    let text = reader.await.unwrap().unwrap();
    let (_, _, assembler) = parse_stream(&text);
    assert!(assembler.is_complete(), "{text}");
}

#[tokio::test]
async fn a_dropped_server_stops_serving() {
    let server = start("default").await;
    let url = format!("{}/api/hello", server.base_url());
    drop(server);
    // Poll with a deadline: the task winds down on its own after drop.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if client().get(&url).send().await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still serving after drop");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn the_api_also_answers_under_the_gateway_prefix_and_only_that_one() {
    let server = start("default").await;
    let body =
        json!({"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]});
    let prefixed = post(&server, "/anthropic/v1/messages?beta=true", &body).await;
    assert_eq!(prefixed.status, 200, "{}", prefixed.body);
    let models = get(&server, "/anthropic/v1/models").await;
    assert_eq!(models.status, 200, "{}", models.body);
    let wrong = post(&server, "/other/v1/messages", &body).await;
    let message = wrong.error(404, "not_found_error");
    assert!(
        message.contains("does not implement POST /other/v1/messages;"),
        "{message}"
    );
    let lookalike = post(&server, "/anthropicx/v1/messages", &body).await;
    lookalike.error(404, "not_found_error");
    server.shutdown().await;
}
