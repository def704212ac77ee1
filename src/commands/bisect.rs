//! `claudetui bisect FILE|ID`: find what makes a failing request fail, by
//! sending simplified versions of it (see [`crate::bisect`]). Asks before
//! sending to anything but loopback, prints progress on stderr and the
//! report on stdout.

use std::io::{BufRead, Write};
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::api::lint;
use crate::bisect::{
    self, BisectReport, BisectRequest, Finding, Plan, Settings, StopReason, Target,
};
use crate::cli::BisectArgs;
use crate::config::{Profile, display_url};
use crate::engine::{Engine, OutgoingRequest};

use super::send::{Output, parse_header_line};
use super::{CommandError, Context, Exit};

/// The width assumed when stdout is not a terminal and `COLUMNS` is unset.
const DEFAULT_WIDTH: usize = 100;

/// How the command talks to the person running it.
pub struct Terminal<'a> {
    /// Where the y/N answer is read from.
    pub input: &'a mut dyn BufRead,
    /// True when `input` is a terminal someone can answer on.
    pub interactive: bool,
    /// Columns to fit the report to.
    pub width: usize,
}

pub async fn run(
    ctx: &Context,
    args: &BisectArgs,
    terminal: Terminal<'_>,
    io: Output<'_>,
) -> Result<Exit, CommandError> {
    let profile = ctx.profile()?;
    for warning in &profile.warnings {
        let _ = writeln!(io.err, "warning: {warning}");
    }
    let target = load_target(ctx, args, &profile, io.err)?;
    let settings = Settings {
        budget: args.max_requests,
        ..Settings::default()
    };
    let plan = Plan::new(&target.request, &settings);
    let shown_target = format!(
        "{} {}",
        target.original.method,
        display_url(&target.original.url)
    );
    if is_loopback(&target.original.url) {
        if !args.json {
            let _ = writeln!(
                io.err,
                "bisect {shown_target}: at most {} requests, {} simplification(s) to try",
                plan.max_requests, plan.changes
            );
        }
    } else if !args.yes
        && !confirm(
            &plan,
            &shown_target,
            terminal.input,
            terminal.interactive,
            io.err,
        )?
    {
        let _ = writeln!(io.err, "nothing was sent");
        return Ok(Exit::Usage);
    }
    let store = if args.no_history {
        None
    } else {
        match ctx.open_store(io.err) {
            Ok(store) => Some(store),
            Err(error) => {
                let _ = writeln!(
                    io.err,
                    "warning: the attempts are not kept in history: {error}"
                );
                None
            }
        }
    };
    let (engine, mut events) = Engine::spawn(store)
        .map_err(|e| CommandError::io("could not start the history writer", e))?;
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let width = terminal.width;
    let json = args.json;
    let err = &mut *io.err;
    let mut progress = |event: bisect::Progress<'_>| {
        if !json {
            let _ = writeln!(err, "{}", bisect::report::progress_line(&event, width));
        }
    };
    let report = bisect::run(
        &engine,
        &mut events,
        &target,
        settings,
        cancel,
        &mut progress,
    )
    .await;
    watcher.abort();
    engine.flush().await;
    print_report(&report, args.json, width, io.out)?;
    Ok(exit_for(&report))
}

/// The exit code for a finding: 0 a culprit (or nothing to bisect), 1 none
/// within the budget, 3 the server could not be reached, 130 interrupted.
pub fn exit_for(report: &BisectReport) -> Exit {
    match &report.finding {
        Finding::Passes | Finding::Culprit { .. } | Finding::Combination { .. } => Exit::Ok,
        Finding::NothingPasses | Finding::NothingToTry => Exit::ApiError,
        Finding::Incomplete { reason, .. } => match reason {
            StopReason::Budget | StopReason::RateLimited { .. } => Exit::ApiError,
            StopReason::Transport => Exit::Transport,
            StopReason::Interrupted => Exit::Interrupted,
        },
    }
}

fn print_report(
    report: &BisectReport,
    json: bool,
    width: usize,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let text = if json {
        let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
        text.push('\n');
        text
    } else {
        bisect::render(report, width)
    };
    out.write_all(text.as_bytes())
        .map_err(|e| CommandError::io("could not write to standard output", e))
}

/// The request to bisect: a body file sent with the profile's headers (and
/// `--header`s), or a recorded exchange replayed with the profile's key.
fn load_target(
    ctx: &Context,
    args: &BisectArgs,
    profile: &Profile,
    err: &mut dyn Write,
) -> Result<Target, CommandError> {
    let input = args.input.as_str();
    let (mut original, path) = if Path::new(input).is_file() {
        let text = std::fs::read_to_string(input)
            .map_err(|e| CommandError::io(format!("could not read {input}"), e))?;
        let path = args
            .path
            .clone()
            .unwrap_or_else(|| "/v1/messages".to_owned());
        (
            OutgoingRequest::for_profile(profile, "POST", &path, text)?,
            path,
        )
    } else if input.starts_with("ex_") {
        let store = ctx.open_store(err)?;
        let exchange = store.get(input)?.ok_or_else(|| {
            CommandError::Usage(format!(
                "no exchange with id `{input}` in the history; `claudetui history list` shows the ids"
            ))
        })?;
        let recorded = exchange.request;
        let path = args
            .path
            .clone()
            .unwrap_or_else(|| recorded.api_path().to_owned());
        (OutgoingRequest::replay_at(profile, &recorded, &path)?, path)
    } else {
        return Err(CommandError::Usage(format!(
            "`{input}` is neither a file nor an exchange id (ex_…); give a JSON body file or an id from `claudetui history list`"
        )));
    };
    for line in &args.headers {
        let header = parse_header_line(line).ok_or_else(|| {
            CommandError::Usage(format!("--header `{line}` should look like `Name: value`"))
        })?;
        original.set_header(&header.name, &header.value);
    }
    original.check()?;
    let body = parse_body(&original.body, input)?;
    let request = BisectRequest {
        method: original.method.clone(),
        path,
        headers: original.headers.clone(),
        body,
    };
    Ok(Target {
        original,
        request,
        base_url: profile.base_url.value.clone(),
    })
}

/// The body as a JSON object, or a usage error naming line and column.
fn parse_body(text: &str, origin: &str) -> Result<Value, CommandError> {
    let value = lint::parse_json(text).map_err(|error| {
        CommandError::Usage(format!(
            "{origin} is not valid JSON: line {}, column {}: {}; bisect simplifies a JSON body, and `claudetui lint {origin}` explains this one",
            error.line, error.column, error.message
        ))
    })?;
    if !value.is_object() {
        return Err(CommandError::Usage(format!(
            "the body of {origin} is not a JSON object, so there is nothing to simplify"
        )));
    }
    Ok(value)
}

/// True for `localhost` and loopback addresses: the embedded server, or a
/// local gateway, where requests cost nothing.
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// Shows the plan and asks y/N. Without a terminal to ask on, refuses:
/// requests to a real server cost money.
fn confirm(
    plan: &Plan,
    target: &str,
    input: &mut dyn BufRead,
    interactive: bool,
    err: &mut dyn Write,
) -> Result<bool, CommandError> {
    let _ = writeln!(err, "{}", plan.describe(target));
    if !interactive {
        return Err(CommandError::Usage(
            "bisect sends real requests to a server that is not on this machine; there is no terminal to confirm on, so pass --yes to go ahead".into(),
        ));
    }
    let _ = write!(err, "Send them? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    input
        .read_line(&mut answer)
        .map_err(|e| CommandError::io("could not read the answer", e))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Columns for the report: the terminal's when stdout is one, else
/// `COLUMNS`, else [`DEFAULT_WIDTH`].
pub fn report_width(stdout_is_terminal: bool, columns: Option<&str>) -> usize {
    let from_terminal = stdout_is_terminal
        .then(|| crossterm::terminal::size().ok())
        .flatten()
        .map(|(w, _)| usize::from(w))
        .filter(|w| *w > 0);
    from_terminal
        .or_else(|| {
            columns
                .and_then(|c| c.trim().parse().ok())
                .filter(|w| *w > 0)
        })
        .unwrap_or(DEFAULT_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_need_no_confirmation() {
        for url in [
            "http://127.0.0.1:4747/v1/messages",
            "http://localhost:8080/v1/messages",
            "http://[::1]:1/v1/messages",
            "http://127.8.9.10/v1/messages",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://api.anthropic.com/v1/messages",
            "http://10.0.0.1/v1/messages",
            "http://localhost.example.com/",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn confirmation_needs_a_yes_on_a_terminal() {
        let plan = Plan {
            max_requests: 64,
            changes: 3,
            input_tokens_each: 100,
            output_tokens_each: 16,
            lowers_max_tokens: true,
        };
        let mut err = Vec::new();
        for (answer, expected) in [
            ("y\n", true),
            ("YES\n", true),
            ("\n", false),
            ("n\n", false),
        ] {
            let mut input = answer.as_bytes();
            assert_eq!(
                confirm(
                    &plan,
                    "POST https://api.anthropic.com/v1/messages",
                    &mut input,
                    true,
                    &mut err
                )
                .unwrap(),
                expected,
                "{answer:?}"
            );
        }
        let mut input = "y\n".as_bytes();
        let refused = confirm(&plan, "x", &mut input, false, &mut err).unwrap_err();
        assert!(refused.to_string().contains("--yes"), "{refused}");
        let shown = String::from_utf8(err).unwrap();
        assert!(shown.contains("at most 64 requests"), "{shown}");
    }

    #[test]
    fn width_comes_from_columns_without_a_terminal() {
        assert_eq!(report_width(false, Some("72")), 72);
        assert_eq!(report_width(false, Some("zero")), DEFAULT_WIDTH);
        assert_eq!(report_width(false, None), DEFAULT_WIDTH);
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert!(parse_body("{\"model\": \"m\"}", "f").is_ok());
        let err = parse_body("{\"model\": \"m\",}", "req.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 1") && err.contains("claudetui lint req.json"),
            "{err}"
        );
        assert!(parse_body("[1]", "f").is_err());
    }
}
