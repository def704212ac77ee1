//! Running steps: one at a time ([`run_step`]), as a run that shares its
//! requests ([`CheckRun`]), or in the background for the dashboard
//! ([`spawn_run`]). Every step is bounded by the input's timeout, so a
//! resolver or a server that never answers cannot hold a step forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::OnceCell;
use tokio::sync::mpsc::UnboundedSender;

use super::probe::Probe;
use super::reachability::{host_of, seconds, timeout_words};
use super::{
    DoctorInput, StepId, StepReport, StepState, authentication, billing, claude_code,
    configuration, model, network, payload, rate_limits, reachability,
};

/// Past the input's timeout, the time a step gets to turn its own timed-out
/// requests into a report before the runner gives up on it.
const GRACE: Duration = Duration::from_secs(1);

type ProbeCell = OnceCell<Probe>;

/// One run of the checklist: the steps it runs share one probe, so
/// Reachability and Authentication judge the same answers and the server
/// is asked once.
#[derive(Debug)]
pub struct CheckRun {
    input: Arc<DoctorInput>,
    probe: ProbeCell,
}

impl CheckRun {
    pub fn new(input: Arc<DoctorInput>) -> CheckRun {
        CheckRun {
            input,
            probe: OnceCell::new(),
        }
    }

    pub fn input(&self) -> &DoctorInput {
        &self.input
    }

    /// Runs one step (bounded by the timeout); the first step that needs
    /// the probe sends it, the others wait for its answers.
    pub async fn run_step(&self, id: StepId) -> StepReport {
        bounded(id, &self.input, &self.probe).await
    }
}

/// Runs one step on its own (its requests are not shared with any other
/// call). A step that cannot run is `Skipped` with the reason; one that
/// does not finish within `input.timeout` is `Fail`.
pub async fn run_step(id: StepId, input: &DoctorInput) -> StepReport {
    bounded(id, input, &OnceCell::new()).await
}

async fn bounded(id: StepId, input: &DoctorInput, probe: &ProbeCell) -> StepReport {
    let started = Instant::now();
    let mut report = tokio::time::timeout(input.timeout + GRACE, unbounded(id, input, probe))
        .await
        .unwrap_or_else(|_| timed_out(id, input));
    report.duration = Some(started.elapsed());
    scrub_report(&mut report, input);
    report
}

/// The last line of defence: whatever a step wrote (a server echoing the
/// key back, a key pasted into the wrong variable), the profile's secret
/// and its custom header values, and anything key-shaped, leave masked.
fn scrub_report(report: &mut StepReport, input: &DoctorInput) {
    let secret = input.profile.credential.as_ref().map(|c| &c.secret);
    let header_secrets: Vec<crate::config::Secret> = input
        .profile
        .custom_headers
        .iter()
        .filter(|h| crate::store::redact::looks_secret(&h.name))
        .map(|h| crate::config::Secret::new(h.value.clone()))
        .collect();
    let clean = |text: &str| {
        let mut text = super::probe::scrub(text, secret);
        for other in &header_secrets {
            text = super::probe::scrub(&text, Some(other));
        }
        text
    };
    report.finding = clean(&report.finding);
    for line in &mut report.evidence {
        *line = clean(line);
    }
    if let Some(fix) = &mut report.fix {
        *fix = clean(fix);
    }
}

async fn unbounded(id: StepId, input: &DoctorInput, probe: &ProbeCell) -> StepReport {
    let deadline = Instant::now() + input.timeout;
    let probe = || probe.get_or_init(|| Probe::run(input));
    match id {
        StepId::Configuration => configuration::check(input),
        StepId::NetworkPath => network::check(input).await,
        StepId::Reachability => reachability::judge(input, probe().await),
        StepId::Authentication => match authentication::without_key(input) {
            Some(report) => report,
            None => authentication::judge(input, probe().await),
        },
        StepId::ClaudeCode => claude_code::check(input).await,
        StepId::Model => model::judge(input, probe().await),
        StepId::Payload => payload::check(input, probe().await, deadline).await,
        StepId::RateLimits => rate_limits::judge(input, probe().await),
        StepId::Billing => billing::judge(input, probe().await),
    }
}

fn timed_out(id: StepId, input: &DoctorInput) -> StepReport {
    let (finding, fix) = match id {
        StepId::Configuration => (
            format!("the check did not finish within {}", seconds(input.timeout)),
            "Run it again; if it keeps happening, the config file may be on a slow or hung file system.".to_owned(),
        ),
        _ => timeout_words(&host_of(&input.profile.base_url.value), input.timeout),
    };
    StepReport {
        id,
        state: StepState::Fail,
        finding,
        evidence: Vec::new(),
        fix: Some(fix),
        duration: None,
    }
}

/// Runs `ids` in the background on the current tokio runtime and sends
/// each report on `tx`: first a `Running` report for every step at once,
/// then each step's verdict as it completes. Returns immediately. Steps
/// run concurrently and share one probe. Without a runtime, every step is
/// reported `Skipped`; a step that panics is reported `Fail`; a closed
/// channel just stops the reports.
pub fn spawn_run(ids: Vec<StepId>, input: Arc<DoctorInput>, tx: UnboundedSender<StepReport>) {
    let mut unique: Vec<StepId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    for id in &unique {
        let _ = tx.send(StepReport::running(*id));
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        for id in unique {
            let _ = tx.send(StepReport::skipped(
                id,
                "could not start: no async runtime is running (a bug in claudetui)",
            ));
        }
        return;
    };
    let run = Arc::new(CheckRun::new(input));
    let tasks: Vec<_> = unique
        .into_iter()
        .map(|id| {
            let run = run.clone();
            (id, runtime.spawn(async move { run.run_step(id).await }))
        })
        .collect();
    runtime.spawn(async move {
        let mut done: FuturesUnordered<_> = tasks
            .into_iter()
            .map(|(id, task)| async move { (id, task.await) })
            .collect();
        while let Some((id, result)) = done.next().await {
            let report = result.unwrap_or_else(|error| crashed(id, &error));
            if tx.send(report).is_err() {
                break;
            }
        }
    });
}

fn crashed(id: StepId, error: &tokio::task::JoinError) -> StepReport {
    StepReport {
        id,
        state: StepState::Fail,
        // Not the panic's message: it is not known to be free of secrets.
        finding: format!(
            "the check itself failed ({})",
            if error.is_panic() {
                "it panicked"
            } else {
                "it was cancelled"
            }
        ),
        evidence: Vec::new(),
        fix: Some("This is a bug in claudetui: please report it, with the log file.".to_owned()),
        duration: None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tokio::sync::mpsc::unbounded_channel;

    use super::*;
    use crate::config::{Source, Sourced};
    use crate::doctor::implemented;
    use crate::doctor::probe::testing;

    const KEY: &str = "sk-ant-api03-RunnerTestKey-0123456789abcdefghijklmn-LMNO";

    #[test]
    fn every_report_is_scrubbed_of_the_profiles_secret_whatever_its_shape() {
        let token = "gw-SECRETTOKEN-0123456789abcdef";
        let input = testing::input(token);
        let mut report = StepReport::skipped(
            StepId::Authentication,
            format!("401 invalid token: Bearer {token}"),
        );
        report.evidence = vec![format!("body: {token} and {KEY}")];
        report.fix = Some(format!("do not paste {token}"));
        scrub_report(&mut report, &input);
        let text: Vec<&str> = report.texts().collect();
        assert!(
            !text.iter().any(|t| t.contains("SECRETTOKEN-0123")),
            "{text:?}"
        );
        assert!(!text.iter().any(|t| t.contains(&KEY[10..])), "{text:?}");
    }

    async fn finals(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<StepReport>,
    ) -> BTreeMap<StepId, StepReport> {
        let mut finals = BTreeMap::new();
        while finals.len() < implemented().len() {
            let report = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("reports arrive within the bound")
                .expect("the channel stays open until every step reported");
            if report.state.is_done() {
                finals.insert(report.id, report);
            }
        }
        finals
    }

    #[tokio::test]
    async fn a_server_that_never_answers_fails_within_the_timeout() {
        // Accepts connections and holds them without a word.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let mut input = testing::input(KEY);
        input.profile.base_url = Sourced::new(format!("http://{addr}"), Source::Default);
        input.timeout = Duration::from_millis(300);
        let (tx, mut rx) = unbounded_channel();
        spawn_run(implemented().to_vec(), Arc::new(input), tx);
        let reports = finals(&mut rx).await;
        silent.abort();
        let reach = &reports[&StepId::Reachability];
        assert_eq!(reach.state, StepState::Fail, "{reach:#?}");
        assert_eq!(reach.finding, format!("{addr} did not answer within 0.3 s"));
        assert!(reach.fix.as_deref().unwrap().contains("network path"));
        assert!(reach.duration.unwrap() < Duration::from_millis(300) + GRACE);
        assert_ne!(reports[&StepId::Authentication].state, StepState::Pass);
    }

    #[test]
    fn without_a_runtime_every_step_is_skipped_not_a_panic() {
        let (tx, mut rx) = unbounded_channel();
        spawn_run(
            vec![
                StepId::Configuration,
                StepId::Configuration,
                StepId::Reachability,
            ],
            Arc::new(testing::input(KEY)),
            tx,
        );
        let mut reports = Vec::new();
        while let Ok(report) = rx.try_recv() {
            reports.push(report);
        }
        let states: Vec<_> = reports.iter().map(|r| (r.id, r.state)).collect();
        assert_eq!(
            states,
            [
                (StepId::Configuration, StepState::Running),
                (StepId::Reachability, StepState::Running),
                (StepId::Configuration, StepState::Skipped),
                (StepId::Reachability, StepState::Skipped),
            ]
        );
    }

    #[test]
    fn a_step_past_its_limit_says_so_with_the_fix() {
        let input = testing::input(KEY);
        let report = timed_out(StepId::Authentication, &input);
        assert_eq!(report.state, StepState::Fail);
        assert_eq!(report.finding, "api.example.test did not answer within 3 s");
        assert!(report.fix.is_some());
    }
}
