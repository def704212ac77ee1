//! The search itself: send the original, then the candidates ddmin asks
//! for, through the engine (so every attempt is built, timed, classified
//! and recorded like any other exchange), within a hard request budget,
//! waiting out `retry-after` on 429 and 529.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use crate::api::errors::Failure;
use crate::api::lint::Problem;
use crate::api::retry;
use crate::engine::request::join_url;
use crate::engine::{Engine, Event, OutgoingRequest};
use crate::exchange::{Exchange, ExchangeId};
use crate::store::redact::redact_text;

use super::changes::{self, Change};
use super::ddmin::{self, Minimized, Oracle, Trial};
use super::judge::{self, Verdict};
use super::request::BisectRequest;

/// The most requests a bisect may send, whatever it is told.
pub const MAX_REQUESTS: u32 = 64;
/// `max_tokens` of every candidate, when the original fails the same way
/// with it: a passing candidate then costs at most this many output tokens.
pub const CANDIDATE_MAX_TOKENS: u64 = 16;
/// How often one request is sent again after a 429 or 529.
pub const RETRIES_PER_REQUEST: u32 = 3;

/// How a bisect runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Requests at most, retries included (1–[`MAX_REQUESTS`]).
    pub budget: u32,
    pub retries: u32,
    pub max_tokens: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            budget: MAX_REQUESTS,
            retries: RETRIES_PER_REQUEST,
            max_tokens: CANDIDATE_MAX_TOKENS,
        }
    }
}

/// What bisect starts from.
#[derive(Debug, Clone)]
pub struct Target {
    /// The request exactly as the user's app sends it (body verbatim):
    /// the credential, client settings and timeout of every candidate.
    pub original: OutgoingRequest,
    /// The same request, parsed.
    pub request: BisectRequest,
    /// The base URL candidates' paths are joined to.
    pub base_url: String,
}

/// Why a search ended before it could answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// The request budget is spent.
    Budget,
    /// 429/529 kept coming (or `retry-after` asked for too long a wait).
    RateLimited {
        retry_after_secs: Option<f64>,
    },
    /// Nothing came back from the server.
    Transport,
    Interrupted,
}

/// What bisect found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Finding {
    /// The original request succeeds: nothing to bisect.
    Passes,
    /// One change alone makes the request pass.
    Culprit { change: Change },
    /// These changes are needed together (each alone is not enough).
    Combination { changes: Vec<Change> },
    /// Even with every simplification the request fails.
    NothingPasses,
    /// The request has nothing bisect can simplify.
    NothingToTry,
    /// The search stopped early; `best` made the request pass, if known.
    Incomplete {
        #[serde(flatten)]
        reason: StopReason,
        best: Option<Vec<Change>>,
    },
}

/// One request sent.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptRecord {
    /// 1 for the first request bisect sent.
    pub number: u32,
    pub exchange_id: ExchangeId,
    /// `original`, `original, max_tokens 16`, or the changes applied.
    pub label: String,
    /// Indices into the report's `changes`.
    pub changes: Vec<usize>,
    pub status: Option<u16>,
    /// The outcome slug (`ok`, `bad-request`, …).
    pub outcome: String,
    pub verdict: Verdict,
    /// The failure's message, keys masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub total_ms: f64,
}

/// A candidate not sent, because lint shows it broken in a new way.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedRecord {
    pub label: String,
    pub changes: Vec<usize>,
    pub reason: String,
}

/// Told as the search goes, for a progress display.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Attempt(&'a AttemptRecord),
    Skipped(&'a SkippedRecord),
    Waiting { secs: f64, why: String },
    Note(&'a str),
}

/// Everything a bisect found and did.
#[derive(Debug, Clone, Serialize)]
pub struct BisectReport {
    /// `POST https://host/v1/messages` (credentials in the URL masked).
    pub target: String,
    pub finding: Finding,
    /// How the original failed (message keys masked).
    pub original_failure: Option<Failure>,
    /// Every change considered, in order; attempts refer to them by index.
    pub changes: Vec<Change>,
    /// The failing request as sent (with max_tokens lowered when it was).
    pub failing: Option<BisectRequest>,
    /// The smallest passing request found, as sent.
    pub passing: Option<BisectRequest>,
    pub failing_exchange: Option<ExchangeId>,
    pub passing_exchange: Option<ExchangeId>,
    /// Set when candidates were sent with a lower max_tokens.
    pub max_tokens_lowered: Option<Change>,
    pub requests_used: u32,
    pub budget: u32,
    pub attempts: Vec<AttemptRecord>,
    pub skipped: Vec<SkippedRecord>,
    pub notes: Vec<String>,
}

/// Sends requests and keeps the books. Built by [`run`].
struct Bisector<'a> {
    engine: &'a Engine,
    events: &'a mut UnboundedReceiver<Event>,
    target: &'a Target,
    settings: Settings,
    cancel: CancellationToken,
    progress: &'a mut dyn FnMut(Progress<'_>),
    used: u32,
    attempts: Vec<AttemptRecord>,
    skipped: Vec<SkippedRecord>,
    notes: Vec<String>,
    /// Answers by request fingerprint: a candidate identical on the wire
    /// to one already sent is not sent again.
    sent: HashMap<String, (Trial, ExchangeId)>,
    original_failure: Option<Failure>,
    original_lint: Vec<Problem>,
    stop: Option<StopReason>,
}

/// The result of sending one request (with its retries).
enum Sent {
    Done(Verdict, Box<Exchange>),
    Stop(StopReason),
}

/// Runs a whole bisect. `events` must be the receiver paired with
/// `engine`; `cancel` stops it between (and during) requests.
pub async fn run(
    engine: &Engine,
    events: &mut UnboundedReceiver<Event>,
    target: &Target,
    settings: Settings,
    cancel: CancellationToken,
    progress: &mut dyn FnMut(Progress<'_>),
) -> BisectReport {
    let settings = Settings {
        budget: settings.budget.clamp(1, MAX_REQUESTS),
        ..settings
    };
    let mut bisector = Bisector {
        engine,
        events,
        target,
        settings,
        cancel,
        progress,
        used: 0,
        attempts: Vec::new(),
        skipped: Vec::new(),
        notes: Vec::new(),
        sent: HashMap::new(),
        original_failure: None,
        original_lint: judge::lint_errors(&target.request),
        stop: None,
    };
    bisector.search().await
}

/// The report's pieces that depend on how the search went.
struct Found {
    finding: Finding,
    changes: Vec<Change>,
    base: Option<BisectRequest>,
    base_exchange: Option<ExchangeId>,
    passing: Option<BisectRequest>,
    lowered: Option<Change>,
}

/// Where the search starts: the failing request as it will be varied,
/// the exchange that showed it failing, and the max_tokens change under
/// every candidate, if any.
struct Start {
    base: BisectRequest,
    exchange: ExchangeId,
    lowered: Option<Change>,
}

impl Found {
    fn bare(finding: Finding) -> Found {
        Found {
            finding,
            changes: Vec::new(),
            base: None,
            base_exchange: None,
            passing: None,
            lowered: None,
        }
    }
}

impl Bisector<'_> {
    async fn search(&mut self) -> BisectReport {
        let outcome = self.steps().await;
        self.report(outcome)
    }

    async fn steps(&mut self) -> Found {
        match self.prepare().await {
            Ok(start) => self.minimize(start).await,
            Err(found) => found,
        }
    }

    /// Sends the original (it must fail), then tries it with a lower
    /// max_tokens. `Err` when that already settles it.
    async fn prepare(&mut self) -> Result<Start, Found> {
        let original = self.target.original.clone();
        let exchange = match self.send(original, "original".into(), Vec::new()).await {
            Sent::Stop(reason) => return Err(Found::bare(incomplete(reason, None))),
            Sent::Done(Verdict::Pass, _) => return Err(Found::bare(Finding::Passes)),
            Sent::Done(_, exchange) => exchange,
        };
        self.original_failure = exchange.outcome.failure().cloned();
        let mut start = Start {
            base: self.target.request.clone(),
            exchange: exchange.id.clone(),
            lowered: None,
        };
        let Some(lower) = self.max_tokens_change(&start.base) else {
            return Ok(start);
        };
        let capped = changes::apply(&start.base, &[&lower]);
        match self.send(self.outgoing(&capped), lower.action(), Vec::new()).await {
            Sent::Stop(reason) => return Err(Found::bare(incomplete(reason, None))),
            Sent::Done(Verdict::Pass, exchange) => {
                // Remembered so the report can name the passing exchange.
                self.sent
                    .insert(capped.fingerprint(), (Trial::Pass, exchange.id.clone()));
                return Err(Found {
                    finding: Finding::Culprit { change: lower },
                    changes: Vec::new(),
                    base: Some(start.base),
                    base_exchange: Some(start.exchange),
                    passing: Some(capped),
                    lowered: None,
                });
            }
            Sent::Done(Verdict::SameFailure, exchange) => {
                start.base = capped;
                start.exchange = exchange.id.clone();
                start.lowered = Some(lower);
            }
            Sent::Done(_, _) => self.note(format!(
                "with max_tokens {} the request fails differently, so candidates keep the original max_tokens",
                self.settings.max_tokens
            )),
        }
        Ok(start)
    }

    /// ddmin over the candidates of `start.base`.
    async fn minimize(&mut self, start: Start) -> Found {
        let candidates = self.usable_candidates(&start.base);
        let found = |finding, changes, passing| Found {
            finding,
            changes,
            base: Some(start.base.clone()),
            base_exchange: Some(start.exchange.clone()),
            passing,
            lowered: start.lowered.clone(),
        };
        if candidates.is_empty() {
            return found(Finding::NothingToTry, candidates, None);
        }
        let mut search = Search {
            bisector: self,
            base: &start.base,
            changes: &candidates,
        };
        let minimized = ddmin::minimize(&mut search, candidates.len()).await;
        let pick = |set: &[usize]| -> Vec<Change> {
            set.iter()
                .filter_map(|&i| candidates.get(i).cloned())
                .collect()
        };
        let (finding, passing_set) = match minimized {
            Minimized::Minimal(set) => match pick(&set).as_slice() {
                [one] => (
                    Finding::Culprit {
                        change: one.clone(),
                    },
                    Some(set),
                ),
                many => (
                    Finding::Combination {
                        changes: many.to_vec(),
                    },
                    Some(set),
                ),
            },
            Minimized::NoPass => (Finding::NothingPasses, None),
            Minimized::Stopped(best) => {
                let reason = self.stop.clone().unwrap_or(StopReason::Budget);
                (incomplete(reason, best.as_deref().map(pick)), best)
            }
        };
        let passing = passing_set.map(|set| {
            let chosen: Vec<&Change> = set.iter().filter_map(|&i| candidates.get(i)).collect();
            changes::apply(&start.base, &chosen)
        });
        found(finding, candidates, passing)
    }

    /// The candidates of `base`, less any that would keep the simplest
    /// request from passing lint (said in a note).
    fn usable_candidates(&mut self, base: &BisectRequest) -> Vec<Change> {
        let candidates = changes::candidates(base);
        let blockers = judge::lint_blockers(base, &candidates, &self.original_lint);
        if blockers.is_empty() {
            return candidates;
        }
        let named: Vec<String> = blockers
            .iter()
            .filter_map(|&i| candidates.get(i).map(Change::action))
            .collect();
        self.note(format!(
            "left out of the search because, with every other change, it makes a request lint rejects: {}",
            named.join("; ")
        ));
        candidates
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !blockers.contains(i))
            .map(|(_, c)| c)
            .collect()
    }

    /// Lowering max_tokens, when it is high, not tied to a thinking budget,
    /// and the request is a Messages one.
    fn max_tokens_change(&self, base: &BisectRequest) -> Option<Change> {
        if base.api_endpoint() != Some(crate::api::lint::Endpoint::Messages)
            || judge::thinking_is_on(&base.body)
        {
            return None;
        }
        let from = base.body.get("max_tokens")?.as_u64()?;
        (from > self.settings.max_tokens).then_some(Change::LowerMaxTokens {
            from,
            to: self.settings.max_tokens,
        })
    }

    /// The engine request for a candidate: the original's credential,
    /// client and timeout with the candidate's path, headers and body.
    fn outgoing(&self, request: &BisectRequest) -> OutgoingRequest {
        let mut outgoing = self.target.original.clone();
        outgoing.method = request.method.clone();
        outgoing.url = join_url(&self.target.base_url, &request.path);
        outgoing.headers = request.headers.clone();
        outgoing.body = request.body_text();
        outgoing
    }

    /// Tries one candidate (a set of change indices).
    async fn trial(&mut self, base: &BisectRequest, all: &[Change], set: &[usize]) -> Trial {
        let chosen: Vec<&Change> = set.iter().filter_map(|&i| all.get(i)).collect();
        let candidate = changes::apply(base, &chosen);
        let fingerprint = candidate.fingerprint();
        if let Some((trial, _)) = self.sent.get(&fingerprint) {
            return *trial;
        }
        let lint = judge::lint_errors(&candidate);
        if let Some(problem) = judge::new_lint_error(&self.original_lint, &lint) {
            let record = SkippedRecord {
                label: label_for(&chosen, all.len()),
                changes: set.to_vec(),
                reason: redact_text(&problem.api_message()).into_owned(),
            };
            (self.progress)(Progress::Skipped(&record));
            self.skipped.push(record);
            return Trial::Fail;
        }
        let label = label_for(&chosen, all.len());
        match self
            .send(self.outgoing(&candidate), label, set.to_vec())
            .await
        {
            Sent::Stop(reason) => {
                self.stop = Some(reason);
                Trial::Stop
            }
            Sent::Done(verdict, exchange) => {
                let trial = if verdict == Verdict::Pass {
                    Trial::Pass
                } else {
                    Trial::Fail
                };
                self.sent.insert(fingerprint, (trial, exchange.id.clone()));
                trial
            }
        }
    }

    /// Sends one request, again after a 429/529 (waiting `retry-after`),
    /// within the budget.
    async fn send(&mut self, request: OutgoingRequest, label: String, set: Vec<usize>) -> Sent {
        let mut retry = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Sent::Stop(StopReason::Interrupted);
            }
            if self.used >= self.settings.budget {
                return Sent::Stop(StopReason::Budget);
            }
            let Some(exchange) = self.exchange(request.clone()).await else {
                return Sent::Stop(StopReason::Interrupted);
            };
            self.used += 1;
            let verdict = judge::judge(&exchange, self.original_failure.as_ref());
            self.record(&exchange, &label, &set, verdict);
            match verdict {
                Verdict::Cancelled => return Sent::Stop(StopReason::Interrupted),
                Verdict::Transport => return Sent::Stop(StopReason::Transport),
                Verdict::Transient => {
                    let asked = exchange
                        .outcome
                        .failure()
                        .and_then(|f| f.retry_after_secs)
                        .or(exchange.rate_limits.retry_after_secs);
                    if retry >= self.settings.retries
                        || asked.is_some_and(|s| s > retry::MAX_HONOURED_RETRY_AFTER_SECS)
                    {
                        return Sent::Stop(StopReason::RateLimited {
                            retry_after_secs: asked,
                        });
                    }
                    let wait = retry::retry_delay(retry, asked, rand::random::<f64>());
                    let why = match asked {
                        Some(secs) => format!(
                            "{} asked retry-after {secs:.0} s",
                            exchange_status(&exchange)
                        ),
                        None => format!(
                            "{} without retry-after: backing off",
                            exchange_status(&exchange)
                        ),
                    };
                    (self.progress)(Progress::Waiting {
                        secs: wait.as_secs_f64(),
                        why,
                    });
                    if !self.wait(wait).await {
                        return Sent::Stop(StopReason::Interrupted);
                    }
                    retry += 1;
                }
                _ => return Sent::Done(verdict, Box::new(exchange)),
            }
        }
    }

    /// Waits, unless interrupted (then false).
    async fn wait(&self, duration: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(duration) => true,
        }
    }

    /// One exchange through the engine; `None` if the engine is gone.
    async fn exchange(&mut self, request: OutgoingRequest) -> Option<Exchange> {
        let id = self.engine.send(request);
        let mut cancelled = false;
        loop {
            let event = if cancelled {
                self.events.recv().await
            } else {
                tokio::select! {
                    _ = self.cancel.cancelled() => {
                        self.engine.cancel(&id);
                        cancelled = true;
                        continue;
                    }
                    event = self.events.recv() => event,
                }
            };
            match event? {
                Event::Finished(exchange)
                | Event::Failed(exchange)
                | Event::Cancelled(exchange)
                    if exchange.id == id =>
                {
                    return Some(*exchange);
                }
                Event::StoreFailed(message) => {
                    self.note(format!("could not save to history: {message}"));
                }
                _ => {}
            }
        }
    }

    fn record(&mut self, exchange: &Exchange, label: &str, set: &[usize], verdict: Verdict) {
        let record = AttemptRecord {
            number: self.used,
            exchange_id: exchange.id.clone(),
            label: label.to_owned(),
            changes: set.to_vec(),
            status: exchange.status(),
            outcome: exchange.outcome.slug().to_owned(),
            verdict,
            message: exchange
                .outcome
                .failure()
                .map(|f| redact_text(&f.message).into_owned()),
            total_ms: exchange.timing.total_ms,
        };
        (self.progress)(Progress::Attempt(&record));
        self.attempts.push(record);
    }

    fn note(&mut self, note: String) {
        (self.progress)(Progress::Note(&note));
        self.notes.push(note);
    }

    fn report(&mut self, outcome: Found) -> BisectReport {
        let original = &self.target.original;
        let original_failure = self.original_failure.clone().map(|mut f| {
            f.message = redact_text(&f.message).into_owned();
            f
        });
        let passing_exchange = outcome
            .passing
            .as_ref()
            .and_then(|p| self.sent.get(&p.fingerprint()))
            .map(|(_, id)| id.clone());
        BisectReport {
            target: format!(
                "{} {}",
                original.method,
                crate::config::display_url(&original.url)
            ),
            finding: outcome.finding,
            original_failure,
            changes: outcome.changes,
            failing: outcome.base.as_ref().map(BisectRequest::masked),
            passing: outcome.passing.as_ref().map(BisectRequest::masked),
            failing_exchange: outcome.base_exchange,
            passing_exchange,
            max_tokens_lowered: outcome.lowered,
            requests_used: self.used,
            budget: self.settings.budget,
            attempts: std::mem::take(&mut self.attempts),
            skipped: std::mem::take(&mut self.skipped),
            notes: std::mem::take(&mut self.notes),
        }
    }
}

fn incomplete(reason: StopReason, best: Option<Vec<Change>>) -> Finding {
    Finding::Incomplete { reason, best }
}

fn exchange_status(exchange: &Exchange) -> String {
    match exchange.status() {
        Some(status) => format!("{status} {}", exchange.outcome.slug()),
        None => exchange.outcome.slug().to_owned(),
    }
}

/// `remove the field `system``, or `3 changes: beta `a`, field `b`, +1`.
fn label_for(chosen: &[&Change], total: usize) -> String {
    const NAMED: usize = 3;
    match chosen {
        [] => "no changes".into(),
        [one] if total > 1 => one.action(),
        _ => {
            let named: Vec<String> = chosen.iter().take(NAMED).map(|c| c.short()).collect();
            let more = chosen.len().saturating_sub(NAMED);
            let tail = if more > 0 {
                format!(", +{more}")
            } else {
                String::new()
            };
            let count = if chosen.len() == total {
                format!("all {total} changes")
            } else {
                format!("{} changes", chosen.len())
            };
            format!("{count}: {}{tail}", named.join(", "))
        }
    }
}

/// The ddmin oracle: one candidate per set of changes.
struct Search<'s, 'a> {
    bisector: &'s mut Bisector<'a>,
    base: &'s BisectRequest,
    changes: &'s [Change],
}

impl Oracle for Search<'_, '_> {
    async fn test(&mut self, set: &[usize]) -> Trial {
        self.bisector.trial(self.base, self.changes, set).await
    }
}
