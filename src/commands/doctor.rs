//! `claudetui doctor`: the checklist, non-interactively. Every implemented
//! step runs (concurrently, sharing one probe of the server) and the
//! reports print in checklist order: icon, number, title and finding,
//! then the evidence and the fix, indented. `--json` prints the same
//! reports and a summary. Exit code 0 when nothing failed (warnings and
//! skipped steps allowed), 1 when a step failed, 2 on a usage or
//! configuration error (nothing was checked).

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::DoctorArgs;
use crate::config::{self, Overrides, display_url};
use crate::doctor::diagnose::{Diagnosis, diagnose};
use crate::doctor::{
    CheckRun, DoctorInput, DoctorRequest, StepId, StepReport, StepState, implemented,
};
use crate::exchange::Exchange;
use crate::store::ListQuery;

use super::{CommandError, Context, Exit};

/// How many recent exchanges Rate limits and Billing look at.
pub const RECENT_EXCHANGES: usize = 200;

pub async fn run(
    ctx: &Context,
    args: &DoctorArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, CommandError> {
    let overrides = Overrides {
        model: args.model.clone(),
        ..ctx.overrides.clone()
    };
    let claude_code = crate::doctor::ClaudeCodeEnv {
        requested: args.claude_code,
        offline: args.offline,
        ..crate::doctor::ClaudeCodeEnv::from_env(&ctx.env)
    };
    let timeout = Duration::from_secs(args.step_timeout);
    let (profile, judged) = match judged_profile(ctx, args, &claude_code, timeout) {
        Some(profile) => (profile, " (Claude Code's configuration)"),
        None => (
            config::resolve_profile(&ctx.paths, &overrides, &ctx.env)?,
            "",
        ),
    };
    let request = read_request(args, stdin)?;
    let recent = recent_exchanges(ctx, err);
    let input = DoctorInput {
        profile,
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        timeout,
        claude_code,
        recent,
        request,
    };
    let header = Header {
        profile: format!("{}{judged}", input.profile.name),
        base_url: display_url(&input.profile.base_url.value),
        latest_failure: crate::doctor::latest_failure(&input).map(LatestFailure::of),
    };
    let started = Instant::now();
    let reports = run_steps(input, implemented()).await;
    let took = started.elapsed();
    let written = if args.json {
        serde_json::to_string_pretty(&json_report(&header, &reports, took))
            .map_err(|e| CommandError::Usage(format!("could not write the report: {e}")))
            .and_then(|text| {
                writeln!(out, "{text}").map_err(|e| CommandError::io("writing the report", e))
            })
    } else {
        out.write_all(text_report(&header, &reports, took).as_bytes())
            .map_err(|e| CommandError::io("writing the report", e))
    };
    written?;
    Ok(exit_for(&reports))
}

/// Claude Code's configuration, when the steps judge it instead of
/// claudetui's profile: under `--claude-code`, or when Claude Code's files
/// are the only configuration found (no claudetui config file, and no
/// flag that names a profile or a connection setting: those ask for
/// claudetui's own). Flags still win over Claude Code's settings, as over
/// any other source. The profile keeps claudetui's profile name, the one
/// the tap records Claude Code's traffic under, so Rate limits, Billing and
/// the latest failure see that history.
fn judged_profile(
    ctx: &Context,
    args: &DoctorArgs,
    claude_code: &crate::doctor::ClaudeCodeEnv,
    timeout: Duration,
) -> Option<config::Profile> {
    let o = &ctx.overrides;
    let flagged = o.profile.is_some()
        || o.base_url.is_some()
        || o.proxy.is_some()
        || o.anthropic_version.is_some()
        || o.timeout_secs.is_some();
    let only_claude_code = claude_code.detected() && !ctx.paths.config_file.exists() && !flagged;
    if !args.claude_code && !only_claude_code {
        return None;
    }
    let mut profile = crate::doctor::claude_code_profile(&ctx.env, claude_code, timeout)?;
    profile.name = o
        .profile
        .clone()
        .unwrap_or_else(|| config::DEFAULT_PROFILE.to_owned());
    apply_flags(&mut profile, o, args);
    Some(profile)
}

fn apply_flags(profile: &mut config::Profile, o: &Overrides, args: &DoctorArgs) {
    use config::{Source, Sourced, flags};
    let flag = |value: &str, name: &str| Sourced::new(value.to_owned(), Source::Flag(name.into()));
    if let Some(url) = &o.base_url {
        profile.base_url = flag(url, flags::BASE_URL);
    }
    if let Some(model) = args.model.as_ref().or(o.model.as_ref()) {
        profile.default_model = flag(model, flags::MODEL);
    }
    if let Some(version) = &o.anthropic_version {
        profile.anthropic_version = flag(version, flags::ANTHROPIC_VERSION);
    }
    if let Some(proxy) = &o.proxy {
        profile.proxy.https = Some(flag(proxy, flags::PROXY));
        profile.proxy.http = Some(flag(proxy, flags::PROXY));
    }
    if let Some(secs) = o.timeout_secs {
        profile.timeout = Duration::from_secs(secs);
        profile.timeout_source = Source::Flag(flags::TIMEOUT.into());
    }
}

/// `--request FILE` (or `-`), read whole; `None` for the built-in sample.
fn read_request(
    args: &DoctorArgs,
    stdin: &mut dyn Read,
) -> Result<Option<DoctorRequest>, CommandError> {
    let Some(path) = args.request.as_deref() else {
        return Ok(None);
    };
    let (origin, body) = if path == "-" {
        let mut body = String::new();
        stdin
            .read_to_string(&mut body)
            .map_err(|e| CommandError::io("could not read the request from standard input", e))?;
        ("standard input".to_owned(), body)
    } else {
        let body = std::fs::read_to_string(path)
            .map_err(|e| CommandError::io(format!("could not read --request {path}"), e))?;
        (path.to_owned(), body)
    };
    Ok(Some(DoctorRequest { origin, body }))
}

/// The newest exchanges of the history store, when there is one. The
/// doctor does not create a store just to find it empty, and a store that
/// cannot be read only costs Rate limits and Billing their history.
fn recent_exchanges(ctx: &Context, err: &mut dyn Write) -> Vec<Exchange> {
    if !ctx.paths.history_db().is_file() {
        return Vec::new();
    }
    let loaded = ctx.open_store(err).and_then(|store| {
        Ok(store.load(&ListQuery {
            limit: Some(RECENT_EXCHANGES),
            ..ListQuery::default()
        })?)
    });
    match loaded {
        Ok(exchanges) => exchanges,
        Err(error) => {
            let _ = writeln!(
                err,
                "warning: history could not be read, so Rate limits and Billing judge only the doctor's own requests: {error}"
            );
            Vec::new()
        }
    }
}

/// Runs `ids` concurrently on one [`CheckRun`]; the reports come back in
/// the order of `ids`.
pub async fn run_steps(input: DoctorInput, ids: &[StepId]) -> Vec<StepReport> {
    let run = Arc::new(CheckRun::new(Arc::new(input)));
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (run, id) = (run.clone(), *id);
            (id, tokio::spawn(async move { run.run_step(id).await }))
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for (id, task) in tasks {
        reports.push(task.await.unwrap_or_else(|_| crashed(id)));
    }
    reports
}

fn crashed(id: StepId) -> StepReport {
    StepReport {
        id,
        state: StepState::Fail,
        finding: "the check itself failed (a bug in claudetui)".into(),
        evidence: Vec::new(),
        fix: Some("Please report it, with the log file.".into()),
        duration: None,
    }
}

fn exit_for(reports: &[StepReport]) -> Exit {
    if reports.iter().any(|r| r.state == StepState::Fail) {
        Exit::ApiError
    } else {
        Exit::Ok
    }
}

/// What the report is about.
struct Header {
    profile: String,
    /// Password and key-like text masked.
    base_url: String,
    latest_failure: Option<LatestFailure>,
}

/// The newest exchange of this profile, when it failed, explained by the
/// one diagnosis `send`, `history diagnose` and the dashboard show.
#[derive(Serialize)]
pub(super) struct LatestFailure {
    id: String,
    diagnosis: Diagnosis,
}

impl LatestFailure {
    pub(super) fn of(exchange: &Exchange) -> LatestFailure {
        LatestFailure {
            id: exchange.id.to_string(),
            diagnosis: diagnose(exchange),
        }
    }

    pub(super) fn to_text(&self) -> String {
        let mut text = format!(
            "✗ the latest exchange, {}, failed:
",
            self.id
        );
        // The doctor runs every step anyway: no "steps to run" line.
        let shown = self.diagnosis.to_text();
        let shown = shown
            .split("\nchecklist steps to run")
            .next()
            .unwrap_or_default();
        for line in shown.trim_end().lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("    {}\n", printable(line)));
            }
        }
        text
    }
}

/// Counts per state, and the overall word.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct Summary {
    pass: usize,
    warn: usize,
    fail: usize,
    skipped: usize,
    /// `fail` when any step failed, else `warn` when any warned, else `pass`.
    verdict: &'static str,
}

fn summary(reports: &[StepReport]) -> Summary {
    let count = |state: StepState| reports.iter().filter(|r| r.state == state).count();
    let (pass, warn, fail) = (
        count(StepState::Pass),
        count(StepState::Warn),
        count(StepState::Fail),
    );
    Summary {
        pass,
        warn,
        fail,
        skipped: reports.len() - pass - warn - fail,
        verdict: if fail > 0 {
            "fail"
        } else if warn > 0 {
            "warn"
        } else {
            "pass"
        },
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    profile: &'a str,
    base_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_failure: Option<&'a LatestFailure>,
    steps: Vec<JsonStep<'a>>,
    summary: Summary,
    duration_ms: f64,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    number: u8,
    title: &'static str,
    #[serde(flatten)]
    report: &'a StepReport,
}

fn json_report<'a>(
    header: &'a Header,
    reports: &'a [StepReport],
    took: Duration,
) -> JsonReport<'a> {
    JsonReport {
        profile: &header.profile,
        base_url: &header.base_url,
        latest_failure: header.latest_failure.as_ref(),
        steps: reports
            .iter()
            .map(|report| JsonStep {
                number: report.id.number(),
                title: report.id.title(),
                report,
            })
            .collect(),
        summary: summary(reports),
        duration_ms: (took.as_secs_f64() * 1000.0).round(),
    }
}

/// The readable report: one block per step, then a summary line.
fn text_report(header: &Header, reports: &[StepReport], took: Duration) -> String {
    let mut text = format!(
        "claudetui doctor · profile `{}` · {}\n",
        printable(&header.profile),
        printable(&header.base_url)
    );
    if let Some(latest) = &header.latest_failure {
        text.push('\n');
        text.push_str(&latest.to_text());
    }
    for report in reports {
        text.push('\n');
        text.push_str(&format!(
            "{} {}. {}: {}\n",
            report.state.icon(),
            report.id.number(),
            report.id.title(),
            printable(&report.finding)
        ));
        for line in &report.evidence {
            text.push_str(&format!("      {}\n", printable(line)));
        }
        if let Some(fix) = &report.fix {
            text.push_str(&format!("    fix: {}\n", printable(fix)));
        }
    }
    let s = summary(reports);
    text.push_str(&format!(
        "\n{} steps: {} pass, {} warn, {} fail, {} skipped · {:.1} s\n",
        reports.len(),
        s.pass,
        s.warn,
        s.fail,
        s.skipped,
        took.as_secs_f64()
    ));
    text
}

/// Text from servers and certificates may hold control characters (a
/// terminal escape); they are shown as `?`.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: StepId, state: StepState, fix: Option<&str>) -> StepReport {
        StepReport {
            id,
            state,
            finding: format!("{} finding", id.title()),
            evidence: vec!["line one".into(), "bad\u{1b}[2Jline".into()],
            fix: fix.map(str::to_owned),
            duration: Some(Duration::from_millis(7)),
        }
    }

    fn header() -> Header {
        Header {
            profile: "default".into(),
            base_url: "http://127.0.0.1:4747".into(),
            latest_failure: None,
        }
    }

    #[test]
    fn the_latest_failure_never_shows_a_key_even_when_the_server_echoes_it() {
        use crate::api::errors::{Failure, FailureKind};
        let key = "sk-ant-api03-DoctorLatestFailureLeak0123456789abcdefghijklmnopQRST";
        let mut ex = crate::test_support::exchange(3, "claude-sonnet-4-6", Some(401));
        let echoed = format!(
            r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {key}"}}}}"#
        );
        ex.outcome = crate::exchange::Outcome::Failed(Failure {
            status: Some(401),
            ..Failure::transport(
                FailureKind::Authentication,
                format!("invalid x-api-key {key}"),
            )
        });
        if let Some(response) = ex.response.as_mut() {
            response.body = echoed;
        }
        let latest = LatestFailure::of(&ex);
        let header = Header {
            latest_failure: Some(latest),
            ..header()
        };
        let text = text_report(&header, &[], Duration::from_millis(1));
        let json =
            serde_json::to_string(&json_report(&header, &[], Duration::from_millis(1))).unwrap();
        for shown in [&text, &json] {
            assert!(
                shown.contains("the latest exchange") || shown.contains("latest_failure"),
                "{shown}"
            );
            assert!(!shown.contains("DoctorLatestFailureLeak"), "{shown}");
        }
        assert!(text.contains("401 auth"), "{text}");
        assert!(!text.contains("checklist steps to run"), "{text}");
    }

    #[test]
    fn the_text_report_reads_in_order_with_evidence_and_fix() {
        let reports = vec![
            report(StepId::Configuration, StepState::Pass, None),
            report(StepId::NetworkPath, StepState::Fail, Some("do this")),
            report(StepId::RateLimits, StepState::Skipped, None),
        ];
        let text = text_report(&header(), &reports, Duration::from_millis(1234));
        let expected = "claudetui doctor · profile `default` · http://127.0.0.1:4747

✓ 1. Configuration: Configuration finding
      line one
      bad?[2Jline

✗ 2. Network path: Network path finding
      line one
      bad?[2Jline
    fix: do this

- 7. Rate limits: Rate limits finding
      line one
      bad?[2Jline

3 steps: 1 pass, 0 warn, 1 fail, 1 skipped · 1.2 s
";
        assert_eq!(text, expected);
        assert_eq!(exit_for(&reports), Exit::ApiError);
    }

    #[test]
    fn warnings_and_skips_do_not_fail_the_run() {
        let reports = vec![
            report(StepId::Configuration, StepState::Warn, Some("x")),
            report(StepId::Billing, StepState::Skipped, None),
        ];
        assert_eq!(exit_for(&reports), Exit::Ok);
        assert_eq!(summary(&reports).verdict, "warn");
    }

    #[test]
    fn the_json_report_has_steps_and_a_summary() {
        let reports = vec![
            report(StepId::Configuration, StepState::Pass, None),
            report(StepId::Model, StepState::Fail, Some("use another")),
        ];
        let json = serde_json::to_value(json_report(&header(), &reports, Duration::from_millis(5)))
            .unwrap();
        assert_eq!(json["profile"], "default");
        assert_eq!(json["steps"][1]["id"], "model");
        assert_eq!(json["steps"][1]["number"], 5);
        assert_eq!(json["steps"][1]["title"], "Model");
        assert_eq!(json["steps"][1]["state"], "fail");
        assert_eq!(json["steps"][1]["fix"], "use another");
        assert_eq!(json["steps"][0]["duration_ms"], 7.0);
        assert_eq!(
            json["summary"],
            serde_json::json!({"pass": 1, "warn": 0, "fail": 1, "skipped": 0, "verdict": "fail"})
        );
    }
}
