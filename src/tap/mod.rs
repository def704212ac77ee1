//! The tap: a recording reverse proxy for the Anthropic API.
//!
//! Another program (Claude Code, an SDK app) is pointed at it with
//! `ANTHROPIC_BASE_URL`; every request goes upstream unchanged, every
//! answer comes back unchanged and as it arrives (SSE chunk by chunk), and
//! a copy of each exchange is fed to the engine's [`Recorder`], so what the
//! tap saw is an [`crate::Exchange`] like any other: the same events for the
//! dashboard, the same store, the same diagnosis, replay and bisect. With
//! a [`mitm::Mitm`] it is also an `HTTPS_PROXY` that opens the traffic to
//! the Anthropic hosts that ignores the base URL (Claude Code's first-run
//! probes).
//!
//! [`Recorder`]: crate::engine::recorder::Recorder

mod ca;
mod headers;
pub mod mitm;
mod relay;
pub mod tally;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::engine::client::{ClientError, ClientSettings};
use crate::engine::store_writer::StoreWriter;
use crate::engine::{Event, EventSender};
use crate::exchange::{Exchange, Source};
use crate::store::Store;
pub use tally::Tally;

/// The port `claudetui tap` listens on unless told otherwise: the mock's
/// 4747 plus one, so both can run side by side.
pub const DEFAULT_TAP_PORT: u16 = 4748;

/// How long the upstream may take to start answering (its response head)
/// unless told otherwise: the official SDKs' own request timeout, since a
/// long non-streaming request really can take that long.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(600);

/// How long [`TapServer::shutdown`] waits for relays still running.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum TapError {
    #[error(
        "the tap could not listen on {addr}: {source}. Another program may hold the port; pick another with --port, or 0 for any free port"
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the upstream `{url}` is not a usable base URL: {why}. Give a full http:// or https:// address, e.g. --upstream https://api.anthropic.com"
    )]
    Upstream { url: String, why: String },
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start the tap's history writer: {0}")]
    Store(#[source] std::io::Error),
    #[error(transparent)]
    Mitm(#[from] mitm::MitmError),
}

/// Everything the tap needs, resolved by the caller.
pub struct TapConfig {
    /// Loopback by default; another address exposes whatever key a client
    /// sends through it to whoever can reach it.
    pub bind: IpAddr,
    /// 0 picks a free port; [`TapServer::addr`] tells which.
    pub port: u16,
    /// Where requests go: a base URL, possibly with a path prefix
    /// (`https://gateway.example/anthropic`).
    pub upstream: String,
    /// Proxy and CA settings for the onward connection.
    pub client: ClientSettings,
    /// The profile the upstream came from, recorded with each exchange.
    pub profile: String,
    /// Where the exchanges' events go (the dashboard); a dropped receiver
    /// is fine.
    pub events: EventSender,
    /// Where finished exchanges are kept; `None` keeps nothing.
    pub store: Option<Store>,
    pub header_timeout: Duration,
    /// Also act as an HTTPS proxy that opens the Anthropic hosts.
    pub mitm: Option<mitm::Mitm>,
    /// What the exchanges are recorded as: [`Source::Tap`], or
    /// [`Source::Mock`] in front of `claudetui mock --record`'s server.
    pub source: Source,
    /// Record the tap's own address as each request's URL, not the
    /// upstream's: in front of `mock --record` the upstream is an internal
    /// port, and the client sent to the tap. The address is the one the
    /// client used (its `Host`), else the bind address; and the client's
    /// `Host` goes upstream as `X-Forwarded-Host`, so the server's
    /// `results_url` points back through the tap.
    pub record_own_address: bool,
}

impl TapConfig {
    /// A loopback tap on a free port in front of `upstream`, recording
    /// nothing, events dropped: the caller sets what it needs.
    pub fn new(upstream: &str) -> TapConfig {
        TapConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            upstream: upstream.to_owned(),
            client: ClientSettings::default(),
            profile: "default".into(),
            events: EventSender::nowhere(),
            store: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            mitm: None,
            source: Source::Tap,
            record_own_address: false,
        }
    }
}

/// Hears about each finished exchange.
type Listener = Box<dyn Fn(&Exchange) + Send>;

/// What every relay shares.
struct Shared {
    upstream: String,
    client: reqwest::Client,
    profile: String,
    events: EventSender,
    store: Option<StoreWriter>,
    tally: Mutex<Tally>,
    header_timeout: Duration,
    relays: TaskTracker,
    /// Cancelled at shutdown: relays still running end and are recorded
    /// as cancelled.
    stopping: tokio_util::sync::CancellationToken,
    mitm: Option<mitm::Mitm>,
    /// For the hosts `--mitm` opens, which are always https.
    https_client: Option<reqwest::Client>,
    /// The tap's own proxy settings, for the blind tunnels of `--mitm`
    /// (the same rules reqwest applies to the recorded requests).
    proxies: hyper_util::client::proxy::matcher::Matcher,
    /// Whoever wants to hear about each finished exchange (the command's
    /// live log), besides the event channel.
    listener: Mutex<Option<Listener>>,
    source: Source,
    /// Recorded in place of `upstream` when the client sent no usable
    /// `Host` (see `TapConfig::record_own_address`).
    recorded_base: Option<String>,
}

impl Shared {
    /// An exchange is over: count it, keep it, tell whoever listens.
    fn finish(&self, exchange: Exchange) {
        // Ids, statuses and timings only: headers and bodies stay out of
        // the log, so it can never hold a key.
        tracing::info!(
            id = %exchange.id,
            url = %exchange.request.url,
            status = ?exchange.status(),
            outcome = exchange.outcome.slug(),
            total_ms = exchange.timing.total_ms,
            "tapped exchange finished"
        );
        lock(&self.tally).add(&exchange);
        if let Some(listener) = lock(&self.listener).as_ref() {
            listener(&exchange);
        }
        // With nobody listening (the command line) the exchange goes to
        // the store without a copy: a large one is the tap's largest cost.
        match &self.store {
            Some(store) if self.events.is_closed() => store.insert(exchange),
            Some(store) => {
                store.insert(exchange.clone());
                self.events.emit(Event::done(exchange));
            }
            None => self.events.emit(Event::done(exchange)),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running tap. It serves until [`TapServer::shutdown`] or drop.
pub struct TapServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    started: Instant,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TapServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapServer")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish()
    }
}

impl TapServer {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: TapConfig) -> Result<TapServer, TapError> {
        let upstream = check_upstream(&config.upstream)?;
        let client = config.client.clone().for_url(&upstream).build()?;
        let https_client = match &config.mitm {
            Some(_) => Some(config.client.clone().for_url("https://").build()?),
            None => None,
        };
        let proxies = proxy_matcher(&config.client);
        let wanted = SocketAddr::new(config.bind, config.port);
        let bind_error = |source| TapError::Bind {
            addr: wanted,
            source,
        };
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let store = match config.store {
            Some(store) => Some(
                StoreWriter::spawn(
                    store,
                    |message| tracing::warn!(%message, "the tap could not record an exchange"),
                )
                .map_err(TapError::Store)?,
            ),
            None => None,
        };
        let shared = Arc::new(Shared {
            upstream,
            client,
            profile: config.profile,
            events: config.events,
            store,
            tally: Mutex::new(Tally::default()),
            header_timeout: config.header_timeout,
            relays: TaskTracker::new(),
            stopping: tokio_util::sync::CancellationToken::new(),
            mitm: config.mitm,
            https_client,
            proxies,
            listener: Mutex::new(None),
            source: config.source,
            recorded_base: config.record_own_address.then(|| format!("http://{addr}")),
        });
        let (stop, mut stopped) = watch::channel(false);
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = relay::serve(listener, serving, shutdown).await {
                tracing::warn!(%error, "the tap stopped with an error");
            }
        });
        tracing::info!(%addr, upstream = %shared.upstream, "tap listening");
        Ok(TapServer {
            addr,
            shared,
            started: Instant::now(),
            stop,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:4748`: what `ANTHROPIC_BASE_URL` should be.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The upstream as shown (a password in it masked).
    pub fn upstream(&self) -> String {
        crate::config::display_url(&self.shared.upstream)
    }

    pub fn mitm(&self) -> Option<&mitm::Mitm> {
        self.shared.mitm.as_ref()
    }

    /// What the tap has seen so far.
    pub fn tally(&self) -> Tally {
        lock(&self.shared.tally).clone()
    }

    pub fn running_for(&self) -> Duration {
        self.started.elapsed()
    }

    /// Calls `listener` with every exchange as it finishes (after it is
    /// counted, before it is stored).
    pub fn on_exchange(&self, listener: impl Fn(&Exchange) + Send + 'static) {
        *lock(&self.shared.listener) = Some(Box::new(listener));
    }

    /// Waits until every exchange finished so far is in the store.
    pub async fn flush(&self) {
        if let Some(store) = &self.shared.store {
            store.flush().await;
        }
    }

    /// Stops accepting (the port is free at once), ends the relays still
    /// running (each recorded as cancelled), writes what they recorded,
    /// and returns the final tally. A relay counts its exchange only after
    /// the client has its last byte, so a tally taken before this can miss
    /// the one a client that just exited was sent.
    pub async fn shutdown(mut self) -> Tally {
        let _ = self.stop.send(true);
        self.shared.stopping.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        self.shared.relays.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.shared.relays.wait())
            .await
            .is_err()
        {
            tracing::warn!("tap: a relay outlived the shutdown grace; abandoning it");
        }
        self.flush().await;
        self.tally()
    }
}

impl Drop for TapServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn proxy_matcher(settings: &ClientSettings) -> hyper_util::client::proxy::matcher::Matcher {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    hyper_util::client::proxy::matcher::Matcher::builder()
        .https(value(&settings.https_proxy))
        .http(value(&settings.http_proxy))
        .no(value(&settings.no_proxy))
        .build()
}

/// The upstream without a trailing slash, checked to be an http(s) URL.
fn check_upstream(url: &str) -> Result<String, TapError> {
    let error = |why: &str| TapError::Upstream {
        url: crate::config::display_url(url),
        why: why.to_owned(),
    };
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| error(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(error("only http:// and https:// are supported"));
    }
    if parsed.query().is_some() {
        return Err(error("a base URL has no query string"));
    }
    Ok(url.trim().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_are_checked_and_trimmed() {
        assert_eq!(
            check_upstream("https://gw.example/anthropic/").unwrap(),
            "https://gw.example/anthropic"
        );
        assert!(check_upstream("api.anthropic.com").is_err());
        assert!(check_upstream("ftp://x.example").is_err());
        let error = check_upstream("https://a:hunter2hunter2@x.example?q=1")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("hunter2hunter2"), "{error}");
    }
}
