//! Measuring DNS and connect time per exchange.
//!
//! reqwest shares one connection pool between requests, so a lookup or a
//! connect must be attributed to the request that caused it. Each attempt
//! runs its `send()` inside a task-local [`Probe`]; the resolver and the
//! connector layer below read the probe at the moment they are called. A
//! connect started for a request is driven inside that request's future, so
//! it sees that request's probe and no other; a request served from the pool
//! triggers neither and its probe stays empty (connection reused).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

tokio::task_local! {
    static PROBE: Probe;
}

/// What one attempt's connection set-up took; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Probe {
    inner: Arc<Mutex<ProbeTimes>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct ProbeTimes {
    dns: Option<(Instant, Instant)>,
    connect: Option<(Instant, Instant)>,
}

/// Durations measured by a probe, relative to nothing: callers compare them
/// with the attempt's own clock.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProbeReport {
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    /// When the connect finished, to ignore a connect that completed after
    /// the response (a pooled connection won the race).
    pub connect_done: Option<Instant>,
}

fn millis(span: (Instant, Instant)) -> f64 {
    span.1.saturating_duration_since(span.0).as_secs_f64() * 1000.0
}

impl Probe {
    /// Runs `future` with this probe visible to the resolver and connector.
    pub async fn scope<F: Future>(&self, future: F) -> F::Output {
        PROBE.scope(self.clone(), future).await
    }

    pub fn report(&self) -> ProbeReport {
        let times = self.inner.lock().map(|t| *t).unwrap_or_default();
        ProbeReport {
            dns_ms: times.dns.map(millis),
            connect_ms: times.connect.map(millis),
            connect_done: times.connect.map(|(_, end)| end),
        }
    }

    fn record(&self, update: impl FnOnce(&mut ProbeTimes)) {
        if let Ok(mut times) = self.inner.lock() {
            update(&mut times);
        }
    }

    fn current() -> Option<Probe> {
        PROBE.try_with(Probe::clone).ok()
    }
}

/// The error a failed lookup reports, so the engine can tell DNS failures
/// from every other connect failure without parsing messages.
#[derive(Debug, thiserror::Error)]
#[error("could not resolve host `{host}`: {source}")]
pub struct DnsLookupError {
    pub host: String,
    #[source]
    pub source: std::io::Error,
}

/// A resolver with the system's behaviour (getaddrinfo, via tokio) that
/// records how long each lookup took. `pinned` answers chosen names
/// without asking the system, like curl's `--resolve`; a name pinned to no
/// address fails the way an unknown name does.
#[derive(Debug, Clone, Default)]
pub struct TimingResolver {
    pub pinned: Arc<BTreeMap<String, Vec<IpAddr>>>,
}

impl TimingResolver {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        match self.pinned.get(&host.to_ascii_lowercase()) {
            Some(ips) if ips.is_empty() => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "name pinned to no address (no such host)",
            )),
            Some(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect()),
            None => Ok(tokio::net::lookup_host((host, 0)).await?.collect()),
        }
    }
}

impl Resolve for TimingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let probe = Probe::current();
        let host = name.as_str().to_owned();
        let resolver = self.clone();
        Box::pin(async move {
            let start = Instant::now();
            let result = resolver.lookup(&host).await;
            let end = Instant::now();
            if let Some(probe) = &probe {
                probe.record(|t| t.dns = Some((start, end)));
            }
            match result {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(source) => Err(Box::new(DnsLookupError { host, source }) as _),
            }
        })
    }
}

/// A tower layer around reqwest's connector that times each connect
/// (TCP, proxy tunnel and TLS, DNS included).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectTimingLayer;

impl<S> tower::Layer<S> for ConnectTimingLayer {
    type Service = ConnectTiming<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConnectTiming { inner }
    }
}

#[derive(Debug, Clone)]
pub struct ConnectTiming<S> {
    inner: S,
}

impl<S, R> tower::Service<R> for ConnectTiming<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let probe = Probe::current();
        let start = Instant::now();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let result = connecting.await;
            if let Some(probe) = probe {
                let end = Instant::now();
                probe.record(|t| t.connect = Some((start, end)));
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolver_records_into_the_probe_in_scope_only() {
        let probe = Probe::default();
        // As inside reqwest: resolve() is called while the scoped future runs.
        let addrs: Vec<SocketAddr> = probe
            .scope(async {
                TimingResolver::default()
                    .resolve("localhost".parse().unwrap())
                    .await
            })
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(probe.report().dns_ms.is_some());
        assert!(probe.report().connect_ms.is_none());

        // Outside any scope a lookup still works and no probe is found.
        assert!(Probe::current().is_none());
        let outside: Vec<SocketAddr> = TimingResolver::default()
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!outside.is_empty());
    }

    #[tokio::test]
    async fn pinned_names_answer_without_the_system() {
        let pinned = BTreeMap::from([
            (
                "api.example.test".to_owned(),
                vec!["127.0.0.1".parse().unwrap()],
            ),
            ("no-such-host.invalid".to_owned(), vec![]),
        ]);
        let resolver = TimingResolver {
            pinned: Arc::new(pinned),
        };
        let name: Name = "API.example.test".parse().unwrap();
        let addrs: Vec<SocketAddr> = resolver.resolve(name).await.unwrap().collect();
        assert_eq!(addrs, vec!["127.0.0.1:0".parse().unwrap()]);

        let name: Name = "no-such-host.invalid".parse().unwrap();
        let err = resolver.resolve(name).await.err().unwrap();
        let dns = err.downcast_ref::<DnsLookupError>().unwrap();
        assert_eq!(dns.host, "no-such-host.invalid");
    }
}
