//! Delivering a planned reply: as one JSON body, or as a paced SSE stream;
//! either can be cut by a fault (an `event: error`, or a dropped
//! connection that the client sees as a truncated body).

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::reply::{PlannedBlock, ReplyPlan};
use super::respond;
use super::state::ServerState;
use crate::api::sse::encode_event;
use crate::api::types::{MessageResponse, Role, Usage};

/// How a fault cuts a reply short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Send this many events, then `event: error` (overloaded), then end.
    ErrorAfter(u64),
    /// Send this many events and half of the next, then drop the connection.
    DropAfter(u64),
}

/// Buffered events between the generator task and the connection.
const CHANNEL_EVENTS: usize = 16;
/// How long a cut waits for a client that does not read what came before.
const DRAIN_WAIT: Duration = Duration::from_secs(2);
/// Time for hyper to write out the last bytes before the connection is cut.
const FLUSH_GRACE: Duration = Duration::from_millis(20);

type Chunk = Result<Bytes, io::Error>;

/// The reply's message with its content, or with none for `message_start`.
pub fn message(
    id: &str,
    model: &str,
    plan: Option<&ReplyPlan>,
    input_tokens: u64,
    output_tokens: u64,
) -> MessageResponse {
    MessageResponse {
        id: id.to_owned(),
        kind: "message".into(),
        role: Role::Assistant,
        model: model.to_owned(),
        content: plan
            .map(|p| p.blocks.iter().map(PlannedBlock::content_block).collect())
            .unwrap_or_default(),
        stop_reason: plan.map(|p| p.stop_reason.to_owned()),
        stop_sequence: plan.and_then(|p| p.stop_sequence.clone()),
        usage: Usage {
            input_tokens,
            output_tokens,
            cache_creation_input_tokens: Some(0),
            cache_read_input_tokens: Some(0),
            service_tier: Some("standard".into()),
        },
    }
}

/// A non-streaming reply: waits as long as generation would take, charges
/// the output, answers the message (or half of it, when dropped).
pub async fn deliver_json(
    state: Arc<ServerState>,
    reply: MessageResponse,
    cut: Option<Cut>,
) -> Response {
    let tokens = reply.usage.output_tokens;
    state.pause(state.token_delay(tokens)).await;
    state.charge_output(tokens);
    json_reply(&reply, matches!(cut, Some(Cut::DropAfter(_))))
}

/// A 200 JSON answer; `dropped` sends only its first half and then cuts
/// the connection.
pub fn json_reply<T: Serialize>(body: &T, dropped: bool) -> Response {
    if !dropped {
        return respond::json(StatusCode::OK, body);
    }
    let text = serde_json::to_string(body).unwrap_or_default();
    let half = text.get(..text.len() / 2).unwrap_or_default().to_owned();
    let (tx, rx) = mpsc::channel(CHANNEL_EVENTS);
    tokio::spawn(async move { send_then_drop(&tx, half).await });
    with_content_type(channel_body(rx), "application/json")
}

/// Sends `last` and then cuts the connection. hyper drops whatever it
/// still buffers when a body fails, so the cut waits until the bytes
/// before it have left (the channel is drained and hyper has flushed).
async fn send_then_drop(tx: &mpsc::Sender<Chunk>, last: String) {
    if tx.send(Ok(last.into())).await.is_err() {
        return;
    }
    let deadline = Instant::now() + DRAIN_WAIT;
    while tx.capacity() < tx.max_capacity() && !tx.is_closed() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(FLUSH_GRACE).await;
    let cut = io::Error::new(io::ErrorKind::ConnectionAborted, "fault: drop_mid_stream");
    let _ = tx.send(Err(cut)).await;
}

/// A streamed reply: headers now, events from a task at the scenario's pace.
pub fn deliver_stream(
    state: Arc<ServerState>,
    start: MessageResponse,
    plan: ReplyPlan,
    cut: Option<Cut>,
) -> Response {
    let script = script(start, &plan);
    let (tx, rx) = mpsc::channel(CHANNEL_EVENTS);
    tokio::spawn(run_stream(state, script, cut, tx));
    let mut response = with_content_type(channel_body(rx), "text/event-stream; charset=utf-8");
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn with_content_type(body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn channel_body(rx: mpsc::Receiver<Chunk>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

/// One event of the stream and the output tokens it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedEvent {
    pub name: &'static str,
    pub data: Value,
    pub tokens: u64,
}

impl ScriptedEvent {
    fn new(name: &'static str, data: Value) -> ScriptedEvent {
        ScriptedEvent {
            name,
            data,
            tokens: 0,
        }
    }

    fn wire(&self) -> String {
        encode_event(self.name, &self.data.to_string())
    }
}

/// Every event of the stream in order (timed pings come on top).
pub fn script(start: MessageResponse, plan: &ReplyPlan) -> Vec<ScriptedEvent> {
    let mut events = vec![
        ScriptedEvent::new(
            "message_start",
            json!({"type": "message_start", "message": start}),
        ),
        ScriptedEvent::new("ping", json!({"type": "ping"})),
    ];
    for (index, block) in plan.blocks.iter().enumerate() {
        events.push(ScriptedEvent::new(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block.start_json()}),
        ));
        for piece in block.pieces() {
            events.push(ScriptedEvent {
                name: "content_block_delta",
                data: json!({"type": "content_block_delta", "index": index, "delta": block.delta_json(piece)}),
                tokens: piece.tokens,
            });
        }
        if let PlannedBlock::Thinking { signature, .. } = block {
            events.push(ScriptedEvent::new(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                       "delta": {"type": "signature_delta", "signature": signature}}),
            ));
        }
        events.push(ScriptedEvent::new(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push(ScriptedEvent::new(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": plan.stop_reason, "stop_sequence": plan.stop_sequence},
               "usage": {"output_tokens": plan.output_tokens()}}),
    ));
    events.push(ScriptedEvent::new(
        "message_stop",
        json!({"type": "message_stop"}),
    ));
    events
}

async fn run_stream(
    state: Arc<ServerState>,
    script: Vec<ScriptedEvent>,
    cut: Option<Cut>,
    tx: mpsc::Sender<Chunk>,
) {
    // A cut always lands before message_stop, so the client never sees a clean end.
    let last = script.len().saturating_sub(1) as u64;
    let cut_at = |n: u64| n.min(last);
    let ping_interval = state.ping_interval();
    let mut last_ping = Instant::now();
    for (sent, event) in (0u64..).zip(script) {
        match cut {
            Some(Cut::ErrorAfter(n)) if sent == cut_at(n) => {
                let error = json!({"type": "error",
                                   "error": {"type": "overloaded_error", "message": "Overloaded"}});
                let _ = tx
                    .send(Ok(encode_event("error", &error.to_string()).into()))
                    .await;
                return;
            }
            Some(Cut::DropAfter(n)) if sent == cut_at(n) => {
                let wire = event.wire();
                let half = wire.get(..wire.len() / 2).unwrap_or_default().to_owned();
                send_then_drop(&tx, half).await;
                return;
            }
            _ => {}
        }
        state.pause(state.token_delay(event.tokens)).await;
        if event.tokens > 0 {
            state.charge_output(event.tokens);
        }
        if tx.send(Ok(event.wire().into())).await.is_err() {
            return; // the client went away; stop generating (and charging)
        }
        if let Some(interval) = ping_interval
            && last_ping.elapsed() >= interval
        {
            last_ping = Instant::now();
            let ping = encode_event("ping", r#"{"type": "ping"}"#);
            if tx.send(Ok(ping.into())).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::MessagesRequest;
    use crate::mock::reply::plan_reply;

    #[test]
    fn the_script_has_the_messages_event_order() {
        let request: MessagesRequest = serde_json::from_value(json!({
            "model": "m", "max_tokens": 2000,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "tools": [{"name": "t", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "use the t tool"}]
        }))
        .unwrap();
        let plan = plan_reply(&request, &crate::mock::scenario::Scenario::default());
        let events = script(message("msg_1", "m", None, 5, 1), &plan);
        let mut names: Vec<&str> = events.iter().map(|e| e.name).collect();
        names.dedup();
        assert_eq!(
            names,
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        let charged: u64 = events.iter().map(|e| e.tokens).sum();
        assert_eq!(charged, plan.output_tokens());
        let delta = &events[events.len() - 2].data;
        assert_eq!(delta["delta"]["stop_reason"], "tool_use");
        assert_eq!(delta["usage"]["output_tokens"], plan.output_tokens());
        let signature = events
            .iter()
            .find(|e| e.data["delta"]["type"] == "signature_delta")
            .expect("a signature delta");
        assert_eq!(signature.data["index"], 0);
    }
}
