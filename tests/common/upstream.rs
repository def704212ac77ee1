//! A scripted HTTP/1.1 upstream on loopback: it hands each request it
//! reads to the test and answers with exactly the bytes a script says,
//! pausing, resetting or stalling where told. The embedded server answers
//! like the API; this one answers like a broken network or a picky gateway.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

/// One request as it arrived: the head as text (request line and header
/// lines) and the body bytes.
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    /// `POST /v1/messages?beta=true HTTP/1.1` → `/v1/messages?beta=true`.
    pub fn target(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or_default()
    }

    /// Every value of header `name`, in order.
    pub fn header(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// What the upstream does after reading a request.
#[derive(Clone)]
pub enum Step {
    /// Write these bytes and flush.
    Write(Vec<u8>),
    /// Wait until the test says go.
    Wait(Arc<Notify>),
    /// Read from the client until it closes, then tell the test.
    AwaitClose(Arc<Notify>),
    /// Close with a TCP reset (SO_LINGER 0).
    Reset,
    /// Never answer (until the connection is dropped by the other side).
    Stall,
}

pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: mpsc::UnboundedReceiver<Seen>,
}

impl Upstream {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts an upstream that runs `script` for every connection.
pub async fn start(script: Vec<Step>) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (tx, script) = (tx.clone(), script.clone());
            tokio::spawn(async move { serve(socket, tx, script).await });
        }
    });
    Upstream { addr, seen }
}

async fn serve(mut socket: TcpStream, tx: mpsc::UnboundedSender<Seen>, script: Vec<Step>) {
    let Some(seen) = read_request(&mut socket).await else {
        return;
    };
    let _ = tx.send(seen);
    for step in script {
        match step {
            Step::Write(bytes) => {
                if socket.write_all(&bytes).await.is_err() || socket.flush().await.is_err() {
                    return;
                }
            }
            Step::Wait(go) => go.notified().await,
            Step::AwaitClose(closed) => {
                let mut buf = [0u8; 1024];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                closed.notify_one();
                return;
            }
            Step::Reset => {
                // Linger 0 resets at once, so the blocking-on-drop the
                // deprecation warns about cannot happen.
                #[allow(deprecated)]
                let _ = socket.set_linger(Some(std::time::Duration::ZERO));
                return;
            }
            Step::Stall => {
                let mut buf = [0u8; 1024];
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Seen { head, body })
}

/// A response head with these headers, `transfer-encoding: chunked`.
pub fn chunked_head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The head of a chunked `text/event-stream` answer.
pub fn sse_head() -> Step {
    Step::Write(chunked_head(
        "200 OK",
        &[("content-type", "text/event-stream")],
    ))
}

/// One chunk of a chunked body.
pub fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

/// The end of a chunked body.
pub fn last_chunk() -> Vec<u8> {
    b"0\r\n\r\n".to_vec()
}

/// A complete response with a content-length body.
pub fn fixed(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A short, complete Messages stream (`Hello world`, 12 in / 3 out).
pub fn sse_body() -> String {
    [
        ("message_start", r#"{"type":"message_start","message":{"id":"msg_tap1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#),
        ("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ("ping", r#"{"type":"ping"}"#),
        ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#),
        ("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" wörld"}}"#),
        ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
        ("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}"#),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]
    .iter()
    .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
    .collect()
}
