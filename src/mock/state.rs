//! What the running server shares between requests: the scenario, the
//! request count, the seeded fault generator, the rate-limit buckets, and
//! the stored Message Batches and Files.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::watch;

use super::batches::BatchStore;
use super::bucket::{RateLimiter, Refusal, Window};
use super::files::FileStore;
use super::scenario::{FaultKind, Scenario, Trigger};

/// Which rate-limited endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Messages,
    CountTokens,
}

pub struct ServerState {
    pub scenario: Scenario,
    speed: f64,
    started: Instant,
    request_count: AtomicU64,
    fault_rng: Mutex<StdRng>,
    messages_limits: Mutex<RateLimiter>,
    count_tokens_limits: Mutex<RateLimiter>,
    shutdown: watch::Receiver<bool>,
    pub batches: Mutex<BatchStore>,
    pub files: Mutex<FileStore>,
}

/// A poisoned lock only means another request panicked mid-update; the
/// buckets are still usable, so carry on with them.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ServerState {
    pub fn new(scenario: Scenario, speed: f64, shutdown: watch::Receiver<bool>) -> ServerState {
        let limiter = RateLimiter::new(&scenario.limits, 0.0);
        ServerState {
            fault_rng: Mutex::new(StdRng::seed_from_u64(scenario.seed)),
            messages_limits: Mutex::new(limiter.clone()),
            count_tokens_limits: Mutex::new(limiter),
            scenario,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                0.0
            },
            started: Instant::now(),
            request_count: AtomicU64::new(0),
            shutdown,
            batches: Mutex::default(),
            files: Mutex::default(),
        }
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Numbers a request for fault triggers: messages always, count_tokens
    /// only when the scenario aims its faults there too.
    pub fn number_request(&self, endpoint: Endpoint) -> Option<u64> {
        if endpoint == Endpoint::CountTokens && !self.scenario.faults_on_count_tokens {
            return None;
        }
        Some(self.request_count.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The first fault whose trigger fires for request `number`.
    pub fn pick_fault(&self, number: u64) -> Option<FaultKind> {
        let mut rng = lock(&self.fault_rng);
        self.scenario
            .faults
            .iter()
            .find(|fault| match fault.trigger {
                Trigger::Probability(p) => rng.random_bool(p),
                _ => fault.trigger.matches_number(number),
            })
            .map(|fault| fault.kind.clone())
    }

    /// Charges the buckets for a request, or says why it cannot pass.
    pub fn admit(&self, endpoint: Endpoint, input_tokens: u64) -> Result<(), Refusal> {
        let now = self.now();
        match endpoint {
            Endpoint::Messages => lock(&self.messages_limits).admit(input_tokens, now),
            Endpoint::CountTokens => lock(&self.count_tokens_limits).admit_request_only(now),
        }
    }

    pub fn charge_output(&self, tokens: u64) {
        let now = self.now();
        lock(&self.messages_limits).charge_output(tokens, now);
    }

    /// The rate-limit header families for `endpoint`; count_tokens has its
    /// own request budget and reports the message token budgets.
    pub fn windows(&self, endpoint: Endpoint) -> [Window; 4] {
        let now = self.now();
        let mut windows = lock(&self.messages_limits).windows(now);
        if endpoint == Endpoint::CountTokens {
            windows[0] = lock(&self.count_tokens_limits).windows(now)[0];
        }
        windows
    }

    /// A pacing delay scaled by the speed factor (zero when speed is 0).
    pub fn paced(&self, millis: f64) -> Duration {
        Duration::from_secs_f64((millis * self.speed / 1000.0).max(0.0))
    }

    /// A fault's delay: scaled like pacing but never below 1 ms, and kept
    /// as written at speed 0 (a fault must stay observable in fast tests).
    pub fn fault_delay(&self, millis: u64) -> Duration {
        if self.speed == 0.0 {
            Duration::from_millis(millis)
        } else {
            self.paced(millis as f64).max(Duration::from_millis(1))
        }
    }

    /// Time per generated token, or zero without pacing.
    pub fn token_delay(&self, tokens: u64) -> Duration {
        let rate = self.scenario.pacing.tokens_per_second;
        if rate > 0.0 {
            self.paced(tokens as f64 * 1000.0 / rate)
        } else {
            Duration::ZERO
        }
    }

    pub fn ping_interval(&self) -> Option<Duration> {
        let interval = self.paced(self.scenario.pacing.ping_interval_ms as f64);
        (!interval.is_zero()).then_some(interval)
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Waits `duration`, or less when the server is shutting down.
    pub async fn pause(&self, duration: Duration) {
        if duration.is_zero() || self.is_shutting_down() {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = shutdown.wait_for(|stop| *stop) => {}
        }
    }
}
