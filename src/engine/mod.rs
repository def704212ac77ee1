//! The background worker: sends requests, times them, reads streams as
//! they arrive, assembles every attempt into an [`Exchange`] and writes it
//! to the store.
//!
//! Callers talk to it through channels only ([`Command`] in, [`Event`]
//! out), so a UI thread never waits on I/O. Several requests may be in
//! flight at once; each can be cancelled, mid-stream too.

mod attempt;
pub mod client;
pub mod decode;
pub mod recorder;
pub mod request;
pub mod store_writer;
pub mod timing;
pub(crate) mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::api::errors::{Failure, FailureKind};
use crate::api::ratelimit::RateLimitSnapshot;
use crate::api::retry;
use crate::api::sse::StreamEvent;
use crate::api::types::Header;
use crate::exchange::{Client, Exchange, ExchangeId, Outcome, RecordedRequest, Source, Timing};

use crate::store::Store;
use attempt::Attempt;
use client::{ClientError, ClientSettings};
pub use request::{OutgoingRequest, RequestError};
use store_writer::StoreWriter;

/// What the engine is asked to do.
#[derive(Debug)]
pub enum Command {
    /// Send `request` as exchange `id`; retry up to `retries` times with the
    /// SDKs' policy (0: show the first failure as it is).
    Send {
        id: ExchangeId,
        request: Box<OutgoingRequest>,
        retries: u32,
    },
    /// Cancel an exchange (any attempt of it), mid-stream included.
    Cancel(ExchangeId),
    CancelAll,
    /// Answers once every exchange finished so far is in the store.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// What the engine reports, in the order it happens.
#[derive(Debug, Clone)]
pub enum Event {
    Started {
        id: ExchangeId,
        request: RecordedRequest,
        attempt: u32,
        /// The first attempt's id, when this is a retry.
        retry_of: Option<ExchangeId>,
        /// claudetui's own request, or one the tap saw.
        source: Source,
        /// The program that sent a tapped request.
        client: Option<Client>,
    },
    Headers {
        id: ExchangeId,
        status: u16,
        headers: Vec<Header>,
        rate_limits: RateLimitSnapshot,
    },
    StreamDelta {
        id: ExchangeId,
        at_ms: f64,
        event: StreamEvent,
    },
    /// Attempt `id` failed and attempt `next_attempt` starts after `wait`.
    /// Sent just before that attempt's `Failed`, so a `Failed` without a
    /// `Retrying` before it is final.
    Retrying {
        id: ExchangeId,
        next_attempt: u32,
        wait: Duration,
    },
    Finished(Box<Exchange>),
    Failed(Box<Exchange>),
    Cancelled(Box<Exchange>),
    /// The history store could not keep an exchange.
    StoreFailed(String),
}

impl Event {
    pub(crate) fn done(exchange: Exchange) -> Event {
        match exchange.outcome {
            Outcome::Ok => Event::Finished(Box::new(exchange)),
            Outcome::Failed(_) => Event::Failed(Box::new(exchange)),
            Outcome::Cancelled => Event::Cancelled(Box::new(exchange)),
        }
    }

    /// The exchange an event is about.
    pub fn id(&self) -> Option<&ExchangeId> {
        match self {
            Event::Started { id, .. }
            | Event::Headers { id, .. }
            | Event::StreamDelta { id, .. }
            | Event::Retrying { id, .. } => Some(id),
            Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex) => Some(&ex.id),
            Event::StoreFailed(_) => None,
        }
    }
}

/// The sending half of the event channel; a dropped receiver is fine.
#[derive(Debug, Clone)]
pub struct EventSender(mpsc::UnboundedSender<Event>);

impl EventSender {
    pub fn new(sender: mpsc::UnboundedSender<Event>) -> EventSender {
        EventSender(sender)
    }

    /// A sender nobody listens to: every event is dropped.
    pub fn nowhere() -> EventSender {
        EventSender(mpsc::unbounded_channel().0)
    }

    pub fn emit(&self, event: Event) {
        let _ = self.0.send(event);
    }

    /// True when nobody listens any more (or never did).
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }
}

/// The handle callers keep. Cheap to clone; the worker stops when every
/// handle is dropped.
#[derive(Debug, Clone)]
pub struct Engine {
    commands: mpsc::UnboundedSender<Command>,
}

struct Shared {
    events: EventSender,
    store: Option<StoreWriter>,
    clients: Mutex<HashMap<ClientSettings, reqwest::Client>>,
    in_flight: Mutex<HashMap<ExchangeId, CancellationToken>>,
}

impl Engine {
    /// Starts the worker on the current tokio runtime. Exchanges are
    /// written to `store` when one is given, from a thread of its own.
    pub fn spawn(
        store: Option<Store>,
    ) -> std::io::Result<(Engine, mpsc::UnboundedReceiver<Event>)> {
        let (commands, mut command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let events = EventSender(event_tx);
        let store = match store {
            Some(store) => {
                let errors = events.clone();
                Some(StoreWriter::spawn(store, move |message| {
                    errors.emit(Event::StoreFailed(message))
                })?)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            events,
            store,
            clients: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        });
        tokio::spawn(async move {
            while let Some(command) = command_rx.recv().await {
                shared.clone().handle(command);
            }
            shared.cancel_all();
        });
        Ok((Engine { commands }, event_rx))
    }

    /// Waits until every exchange finished so far is written to the store.
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.command(Command::Flush(done));
        let _ = wait.await;
    }

    pub fn command(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// Sends a request with no retries and returns its exchange id.
    pub fn send(&self, request: OutgoingRequest) -> ExchangeId {
        self.send_with_retries(request, 0)
    }

    pub fn send_with_retries(&self, request: OutgoingRequest, retries: u32) -> ExchangeId {
        let id = ExchangeId::new();
        self.command(Command::Send {
            id: id.clone(),
            request: Box::new(request),
            retries,
        });
        id
    }

    pub fn cancel(&self, id: &ExchangeId) {
        self.command(Command::Cancel(id.clone()));
    }
}

impl Shared {
    fn handle(self: Arc<Self>, command: Command) {
        match command {
            Command::Send {
                id,
                request,
                retries,
            } => {
                let token = CancellationToken::new();
                self.lock_in_flight().insert(id.clone(), token.clone());
                tokio::spawn(async move {
                    let ids = self.run_exchange(id, *request, retries, &token).await;
                    let mut in_flight = self.lock_in_flight();
                    for id in ids {
                        in_flight.remove(&id);
                    }
                });
            }
            Command::Cancel(id) => {
                if let Some(token) = self.lock_in_flight().get(&id) {
                    token.cancel();
                }
            }
            Command::CancelAll => self.cancel_all(),
            Command::Flush(done) => {
                tokio::spawn(async move {
                    if let Some(store) = &self.store {
                        store.flush().await;
                    }
                    let _ = done.send(());
                });
            }
        }
    }

    fn cancel_all(&self) {
        for token in self.lock_in_flight().values() {
            token.cancel();
        }
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<ExchangeId, CancellationToken>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn client(&self, settings: &ClientSettings) -> Result<reqwest::Client, ClientError> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(settings) {
            return Ok(client.clone());
        }
        let client = settings.build()?;
        clients.insert(settings.clone(), client.clone());
        Ok(client)
    }

    /// Runs the attempts of one exchange; every attempt is recorded.
    /// Returns the ids its attempts used.
    async fn run_exchange(
        &self,
        id: ExchangeId,
        request: OutgoingRequest,
        retries: u32,
        cancel: &CancellationToken,
    ) -> Vec<ExchangeId> {
        let mut ids = vec![id.clone()];
        let client = match self.client(&request.client) {
            Ok(client) => client,
            Err(error) => {
                self.finish(setup_failure(id, &request, &error));
                return ids;
            }
        };
        let mut attempt_id = id.clone();
        for number in 1..=retries + 1 {
            let attempt = Attempt {
                client: &client,
                request: &request,
                id: attempt_id.clone(),
                number,
                retry_of: (number > 1).then(|| id.clone()),
                cancel,
                events: &self.events,
            };
            let exchange = attempt.run().await;
            let wait = retry_wait(&exchange, number - 1, retries);
            // Announced before the failure itself, so whoever reads the
            // failure already knows whether it is the last word.
            if let Some(wait) = wait {
                self.events.emit(Event::Retrying {
                    id: attempt_id.clone(),
                    next_attempt: number + 1,
                    wait,
                });
            }
            self.finish(exchange);
            let Some(wait) = wait else { return ids };
            tokio::select! {
                _ = cancel.cancelled() => return ids,
                _ = tokio::time::sleep(wait) => {}
            }
            attempt_id = ExchangeId::new();
            // So that cancelling the retry's own id works too.
            self.lock_in_flight()
                .insert(attempt_id.clone(), cancel.clone());
            ids.push(attempt_id.clone());
        }
        ids
    }

    fn finish(&self, exchange: Exchange) {
        // Ids, statuses and timings only: headers and bodies stay out of
        // the log, so it can never hold a key.
        tracing::info!(
            id = %exchange.id,
            attempt = exchange.attempt,
            url = %exchange.request.url,
            status = ?exchange.status(),
            outcome = exchange.outcome.slug(),
            total_ms = exchange.timing.total_ms,
            "exchange finished"
        );
        if let Some(store) = &self.store {
            store.insert(exchange.clone());
        }
        self.events.emit(Event::done(exchange));
    }
}

/// Sends `request` once with `client`, outside the worker: no events, no
/// store, no retries. The doctor's probes use it, so they are sent, timed
/// and classified exactly as the engine's own requests are.
pub(crate) async fn send_once(client: &reqwest::Client, request: &OutgoingRequest) -> Exchange {
    // Nobody listens: a dropped receiver makes every event a no-op.
    let (events, _) = mpsc::unbounded_channel();
    let never = CancellationToken::new();
    Attempt {
        client,
        request,
        id: ExchangeId::new(),
        number: 1,
        retry_of: None,
        cancel: &never,
        events: &EventSender(events),
    }
    .run()
    .await
}

/// How long to wait before the next attempt, or `None` to stop.
fn retry_wait(exchange: &Exchange, retry_index: u32, retries: u32) -> Option<Duration> {
    let Outcome::Failed(failure) = &exchange.outcome else {
        return None;
    };
    if retry_index >= retries || failure.mid_stream {
        return None;
    }
    let status = if failure.kind.is_transport() && exchange.response.is_none() {
        None
    } else {
        failure.status.or(exchange.status())
    };
    if !retry::should_retry(status, exchange.rate_limits.should_retry) {
        return None;
    }
    Some(retry::retry_delay(
        retry_index,
        exchange.rate_limits.retry_after_secs,
        rand::random::<f64>(),
    ))
}

/// An exchange that failed before anything was sent: the client could not
/// be set up (a bad proxy URL or CA file).
pub(crate) fn setup_failure(
    id: ExchangeId,
    request: &OutgoingRequest,
    error: &ClientError,
) -> Exchange {
    let kind = match error {
        ClientError::Proxy { .. } => FailureKind::Proxy,
        ClientError::CaFile { .. } | ClientError::Build(_) => FailureKind::Tls,
    };
    Exchange {
        id,
        started_at: chrono::Utc::now(),
        profile: request.profile.clone(),
        request: request.recorded(),
        response: None,
        timing: Timing::default(),
        usage: None,
        rate_limits: RateLimitSnapshot::default(),
        outcome: Outcome::Failed(Failure::transport(kind, error.to_string())),
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}
