//! The troubleshooting checklist shared by the dashboard's Checklist pane
//! and `claudetui doctor`: steps from configuration to the network to the
//! key, each ending in a verdict, one line saying what was found, the
//! evidence behind it and the fix.
//!
//! A step is a [`StepId`]; [`implemented`] lists the ones this version
//! runs, in order, and everything else (the pane's rows, the steps that
//! [`steps_for_failure`] re-runs) is derived from that list, so adding a
//! step means writing its check and adding it there.
//!
//! Reachability, Authentication, Model, Rate limits and Billing judge the
//! same few requests (the probe: `GET /api/hello`, `GET /v1/models`, and
//! the free `POST /v1/messages/count_tokens`); a [`CheckRun`] sends them
//! once and every step reads them. Payload sends one more, counting its
//! own request's tokens on the probe's client; Network path opens its own
//! connection to look at DNS, TCP and TLS one stage at a time. Rate limits
//! and Billing also read [`DoctorInput::recent`], the exchanges already in
//! history. A `CheckRun` is one run: checking again means a new one
//! ([`spawn_run`] makes its own each time).
//! Nothing in a report ever holds a key in full: keys appear only as
//! [`Secret::masked`](crate::config::Secret::masked), and response bodies
//! are scrubbed before they become evidence.

mod authentication;
mod billing;
mod certificate;
mod claude_code;
mod configuration;
pub mod diagnose;
mod history;
mod model;
mod network;
mod no_proxy;
mod payload;
mod probe;
mod rate_limits;
mod reachability;
mod runner;
mod tls_handshake;
mod verdict;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::api::errors::FailureKind;
use crate::config::{Env, Paths, Profile};
use crate::exchange::Exchange;

pub use claude_code::{ClaudeCodeEnv, ProbeOverride, claude_code_detected, claude_code_profile};
pub use runner::{CheckRun, run_step, spawn_run};

/// Every step of the checklist, in the order the doctor walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    Configuration,
    NetworkPath,
    Reachability,
    Authentication,
    Model,
    Payload,
    RateLimits,
    Billing,
    ClaudeCode,
}

impl StepId {
    pub const ALL: [StepId; 9] = [
        StepId::Configuration,
        StepId::NetworkPath,
        StepId::Reachability,
        StepId::Authentication,
        StepId::Model,
        StepId::Payload,
        StepId::RateLimits,
        StepId::Billing,
        StepId::ClaudeCode,
    ];

    /// The step's number in the doctor's walk (1–9).
    pub fn number(self) -> u8 {
        match self {
            StepId::Configuration => 1,
            StepId::NetworkPath => 2,
            StepId::Reachability => 3,
            StepId::Authentication => 4,
            StepId::Model => 5,
            StepId::Payload => 6,
            StepId::RateLimits => 7,
            StepId::Billing => 8,
            StepId::ClaudeCode => 9,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StepId::Configuration => "Configuration",
            StepId::NetworkPath => "Network path",
            StepId::Reachability => "Reachability",
            StepId::Authentication => "Authentication and permission",
            StepId::Model => "Model",
            StepId::Payload => "Payload",
            StepId::RateLimits => "Rate limits",
            StepId::Billing => "Billing",
            StepId::ClaudeCode => "Claude Code",
        }
    }

    /// The title where a column is narrow (the pane's rows).
    pub fn short_title(self) -> &'static str {
        match self {
            StepId::Authentication => "Authentication",
            other => other.title(),
        }
    }
}

/// The steps this version runs, in order. The pane lists exactly these.
pub fn implemented() -> &'static [StepId] {
    // Every step is implemented now; the list stays a function so a new
    // step can land before it runs.
    &StepId::ALL
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Pass,
    Warn,
    Fail,
    /// The step could not run; the finding says why.
    Skipped,
}

impl StepState {
    /// One word, the same with or without colour.
    pub fn word(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Pass => "pass",
            StepState::Warn => "warn",
            StepState::Fail => "fail",
            StepState::Skipped => "skipped",
        }
    }

    /// A one-column mark that tells the states apart without colour.
    pub fn icon(self) -> &'static str {
        match self {
            StepState::Pending => "·",
            StepState::Running => "…",
            StepState::Pass => "✓",
            StepState::Warn => "!",
            StepState::Fail => "✗",
            StepState::Skipped => "-",
        }
    }

    /// True once the step has a verdict (or was skipped).
    pub fn is_done(self) -> bool {
        !matches!(self, StepState::Pending | StepState::Running)
    }
}

/// What one step found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    pub id: StepId,
    pub state: StepState,
    /// One line: what was found (or why the step was skipped).
    pub finding: String,
    /// What the verdict rests on: settings and where they came from,
    /// requests and their answers. Keys masked, bodies truncated.
    pub evidence: Vec<String>,
    /// What to do about it, when there is something to do.
    pub fix: Option<String>,
    /// How long the step took, once it has run.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Option<Duration>,
}

impl StepReport {
    pub fn pending(id: StepId) -> StepReport {
        StepReport::bare(id, StepState::Pending, "")
    }

    pub fn running(id: StepId) -> StepReport {
        StepReport::bare(id, StepState::Running, "")
    }

    /// A step that could not run, and why.
    pub fn skipped(id: StepId, reason: impl Into<String>) -> StepReport {
        StepReport::bare(id, StepState::Skipped, reason)
    }

    fn bare(id: StepId, state: StepState, finding: impl Into<String>) -> StepReport {
        StepReport {
            id,
            state,
            finding: finding.into(),
            evidence: Vec::new(),
            fix: None,
            duration: None,
        }
    }

    /// Every piece of text the report shows (for leak checks and search).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.finding.as_str())
            .chain(self.evidence.iter().map(String::as_str))
            .chain(self.fix.as_deref())
    }
}

fn as_millis<S: Serializer>(duration: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match duration {
        Some(d) => s.serialize_some(&(d.as_secs_f64() * 1000.0).round()),
        None => s.serialize_none(),
    }
}

/// Everything the checks look at. `timeout` bounds each step (and the
/// requests it sends), so a check never hangs past it.
#[derive(Debug, Clone)]
pub struct DoctorInput {
    pub profile: Profile,
    pub paths: Paths,
    pub env: Env,
    pub timeout: Duration,
    /// Where Claude Code's files are, for the Claude Code step
    /// ([`ClaudeCodeEnv::from_env`] in the program; tests point it at a
    /// fixture home and may redirect its fixed-host probes).
    pub claude_code: ClaudeCodeEnv,
    /// Recent exchanges, newest first (say the last 200 of the history
    /// store, or the dashboard session's): Rate limits and Billing read
    /// them. Only those sent with this profile to its base URL count.
    pub recent: Vec<Exchange>,
    /// The request the Payload step lints and counts (`--request FILE`,
    /// the composer's body); `None` checks the built-in sample request
    /// with the profile's model.
    pub request: Option<DoctorRequest>,
}

/// A request body for the Payload step, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorRequest {
    /// For the report: `request.json`, `the composer`.
    pub origin: String,
    pub body: String,
}

/// The exchange the doctor explains before its steps: the newest one sent
/// with this profile to its base URL, when it failed. Its explanation is
/// [`diagnose::diagnose`]'s, as everywhere else.
pub fn latest_failure(input: &DoctorInput) -> Option<&Exchange> {
    history::relevant(input)
        .into_iter()
        .next()
        .filter(|e| e.outcome.failure().is_some())
}

impl DoctorInput {
    fn config_file(&self) -> &PathBuf {
        &self.paths.config_file
    }
}

/// The steps worth re-running after an exchange failed with `kind`, in
/// checklist order. Steps that are not implemented yet are left out, so
/// the answer grows as steps are added.
pub fn steps_for_failure(kind: FailureKind) -> Vec<StepId> {
    use StepId::*;
    let wanted: &[StepId] = match kind {
        FailureKind::Authentication => &[Configuration, Authentication],
        FailureKind::Permission => &[Authentication, Model],
        FailureKind::RegionBlocked => &[NetworkPath, Reachability, Authentication, ClaudeCode],
        FailureKind::Dns
        | FailureKind::ConnectionRefused
        | FailureKind::Tls
        | FailureKind::Proxy
        | FailureKind::Timeout => &[Configuration, NetworkPath, Reachability],
        FailureKind::ConnectionReset => &[NetworkPath, Reachability],
        // Something other than the API answered, or at the wrong path:
        // usually the base URL or a proxy in between.
        FailureKind::PathNotFound
        | FailureKind::UnexpectedStatus
        | FailureKind::MalformedResponse => &[Configuration, NetworkPath, Reachability],
        FailureKind::Overloaded | FailureKind::ServerError | FailureKind::ServerTimeout => {
            &[Reachability]
        }
        FailureKind::BadRequest | FailureKind::RequestTooLarge => &[Payload],
        FailureKind::ModelNotFound => &[Model],
        FailureKind::RateLimited => &[RateLimits],
        FailureKind::Billing => &[Billing],
    };
    let mut steps: Vec<StepId> = wanted
        .iter()
        .copied()
        .filter(|id| implemented().contains(id))
        .collect();
    steps.sort();
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order() {
        for (i, id) in StepId::ALL.iter().enumerate() {
            assert_eq!(id.number() as usize, i + 1, "{id:?}");
            assert!(!id.title().is_empty());
            assert!(id.short_title().chars().count() <= 14, "{id:?}");
        }
        let mut sorted = implemented().to_vec();
        sorted.sort();
        assert_eq!(sorted, implemented());
        assert_eq!(
            implemented(),
            [
                StepId::Configuration,
                StepId::NetworkPath,
                StepId::Reachability,
                StepId::Authentication,
                StepId::Model,
                StepId::Payload,
                StepId::RateLimits,
                StepId::Billing,
                StepId::ClaudeCode,
            ]
        );
    }

    #[test]
    fn failures_map_to_the_steps_that_explain_them() {
        use StepId::*;
        assert_eq!(
            steps_for_failure(FailureKind::Authentication),
            [Configuration, Authentication]
        );
        assert_eq!(
            steps_for_failure(FailureKind::RegionBlocked),
            [NetworkPath, Reachability, Authentication, ClaudeCode]
        );
        for kind in [
            FailureKind::Dns,
            FailureKind::ConnectionRefused,
            FailureKind::Tls,
            FailureKind::Timeout,
            FailureKind::Proxy,
            FailureKind::PathNotFound,
        ] {
            assert_eq!(
                steps_for_failure(kind),
                [Configuration, NetworkPath, Reachability],
                "{kind:?}"
            );
        }
        assert_eq!(
            steps_for_failure(FailureKind::Permission),
            [Authentication, Model]
        );
        assert_eq!(steps_for_failure(FailureKind::ServerError), [Reachability]);
        assert_eq!(steps_for_failure(FailureKind::BadRequest), [Payload]);
        assert_eq!(steps_for_failure(FailureKind::RequestTooLarge), [Payload]);
        assert_eq!(steps_for_failure(FailureKind::ModelNotFound), [Model]);
        assert_eq!(steps_for_failure(FailureKind::RateLimited), [RateLimits]);
        assert_eq!(steps_for_failure(FailureKind::Billing), [Billing]);
    }

    #[test]
    fn every_failure_maps_to_implemented_steps_in_order() {
        for kind in FailureKind::ALL {
            let steps = steps_for_failure(kind);
            assert!(steps.iter().all(|s| implemented().contains(s)), "{kind:?}");
            assert!(steps.windows(2).all(|w| w[0] < w[1]), "{kind:?}");
        }
    }

    #[test]
    fn reports_serialize_for_json_output() {
        let mut report = StepReport::skipped(StepId::Authentication, "not checked");
        report.duration = Some(Duration::from_millis(12));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["id"], "authentication");
        assert_eq!(json["state"], "skipped");
        assert_eq!(json["duration_ms"], 12.0);
        assert_eq!(json["fix"], serde_json::Value::Null);
    }

    #[test]
    fn states_read_without_colour() {
        let states = [
            StepState::Pending,
            StepState::Running,
            StepState::Pass,
            StepState::Warn,
            StepState::Fail,
            StepState::Skipped,
        ];
        let icons: std::collections::HashSet<_> = states.iter().map(|s| s.icon()).collect();
        assert_eq!(icons.len(), states.len());
        assert!(states.iter().all(|s| s.icon().chars().count() == 1));
        assert!(!StepState::Running.is_done() && StepState::Skipped.is_done());
    }
}
