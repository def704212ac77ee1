//! `claudetui tap [-- COMMAND]`: the recording proxy from the shell.
//!
//! Without a command it runs until Ctrl-C and prints a line per exchange
//! on stderr. With one, it starts the command with `ANTHROPIC_BASE_URL`
//! pointing at itself, keeps off the terminal while the command owns it
//! (Claude Code's own TUI runs untouched), and exits with its exit code
//! after a one-paragraph summary.

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use chrono::Local;

use crate::cli::TapArgs;
use crate::config::Profile;
use crate::engine::client::ClientSettings;
use crate::exchange::Exchange;
use crate::tap::mitm::Mitm;
use crate::tap::{TapConfig, TapServer};
use crate::text::printable;

use super::{CommandError, Context, Exit};

pub async fn run(
    ctx: &Context,
    args: &TapArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, CommandError> {
    if args.print_ca {
        // The path alone on stdout, for `$(claudetui tap --print-ca)`.
        let mitm = Mitm::load_or_create(&ctx.paths.data_dir).map_err(tap_error)?;
        let _ = writeln!(out, "{}", mitm.ca_path().display());
        let _ = writeln!(err, "{}", mitm.describe_ca());
        return Ok(Exit::Ok);
    }
    let profile = ctx.profile()?;
    let tap = start(ctx, args, &profile, err).await?;
    check_not_itself(&tap)?;
    banner(&tap, args, ctx, err);
    let exit = if args.command.is_empty() {
        serve_until_stopped(&tap).await
    } else {
        let env = child_env(&tap, ctx.env.get("NO_PROXY"));
        super::tap_child::run(&args.command, &env, err).await?
    };
    let running_for = tap.running_for();
    let (url, upstream) = (tap.base_url(), tap.upstream());
    let tally = tap.shutdown().await;
    let _ = writeln!(
        err,
        "\n{}",
        printable(&tally.paragraph(&url, &upstream, running_for))
    );
    Ok(exit)
}

/// A tap that would not start, as the command reports it (shared with
/// `mock --record`, whose recorder is a tap).
pub(super) fn tap_error(error: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(error.to_string())
}

/// The upstream: `--upstream`, else the profile's base URL.
pub fn upstream_of(args_upstream: Option<&str>, profile: &Profile) -> String {
    args_upstream
        .map(str::to_owned)
        .unwrap_or_else(|| profile.base_url.value.clone())
}

async fn start(
    ctx: &Context,
    args: &TapArgs,
    profile: &Profile,
    err: &mut dyn Write,
) -> Result<TapServer, CommandError> {
    let store = if args.no_history {
        None
    } else {
        Some(ctx.open_store(err)?)
    };
    if args.mitm && !args.bind.is_loopback() {
        // As an HTTPS proxy it tunnels to any host: on the network it would
        // be an open relay into this machine's network and its proxy.
        return Err(CommandError::Usage(format!(
            "--mitm makes the tap an HTTPS proxy that tunnels to any host; it only listens on \
             loopback, not on {}",
            args.bind
        )));
    }
    let mitm = if args.mitm {
        Some(Mitm::load_or_create(&ctx.paths.data_dir).map_err(tap_error)?)
    } else {
        None
    };
    let config = TapConfig {
        bind: args.bind,
        port: args.port,
        upstream: upstream_of(args.upstream.as_deref(), profile),
        client: ClientSettings::for_profile(profile),
        profile: profile.name.clone(),
        store,
        header_timeout: Duration::from_secs(args.timeout),
        mitm,
        ..TapConfig::new("")
    };
    TapServer::start(config).await.map_err(tap_error)
}

/// A tap whose upstream is itself would send every request round in a
/// circle: that is what an `ANTHROPIC_BASE_URL` left pointing at the tap
/// does to the default upstream.
pub(crate) fn check_not_itself(tap: &TapServer) -> Result<(), CommandError> {
    let Ok(url) = reqwest::Url::parse(&tap.upstream()) else {
        return Ok(());
    };
    let port = url.port_or_known_default();
    let host_is_local = match url.host_str().map(|h| h.trim_matches(['[', ']'])) {
        Some("localhost") => true,
        Some(host) => host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified() || ip == tap.addr().ip()),
        None => false,
    };
    if host_is_local && port == Some(tap.addr().port()) {
        return Err(CommandError::Usage(format!(
            "the tap's upstream {} is the tap itself (is ANTHROPIC_BASE_URL still pointing at it?); \
             pass --upstream with the real API or gateway, e.g. --upstream https://api.anthropic.com",
            tap.upstream()
        )));
    }
    Ok(())
}

fn banner(tap: &TapServer, args: &TapArgs, ctx: &Context, err: &mut dyn Write) {
    let url = tap.base_url();
    let _ = writeln!(
        err,
        "claudetui tap · listening on {url} → {}",
        tap.upstream()
    );
    if !args.bind.is_loopback() {
        let _ = writeln!(
            err,
            "  warning: {} is not a loopback address: anyone who can reach it can send requests \
             through the tap, spending the key their client sends",
            args.bind
        );
    }
    if let Some(mitm) = tap.mitm() {
        let _ = writeln!(err, "  {}", mitm.describe_proxy(&url));
    }
    if args.command.is_empty() {
        let _ = writeln!(err, "  point your client at it:  ANTHROPIC_BASE_URL={url}");
        let _ = writeln!(err, "  for example:  ANTHROPIC_BASE_URL={url} claude");
        if let Some(mitm) = tap.mitm() {
            let env: Vec<String> = mitm
                .client_env(&url, ctx.env.get("NO_PROXY"))
                .into_iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            let _ = writeln!(
                err,
                "  for what ignores the base URL also set:  {}",
                env.join(" ")
            );
        }
    } else {
        // The program only: its arguments may hold a key or a token.
        let program = std::path::Path::new(&args.command[0])
            .file_name()
            .map_or_else(
                || args.command[0].clone(),
                |n| n.to_string_lossy().into_owned(),
            );
        let _ = writeln!(
            err,
            "  running `{}` with ANTHROPIC_BASE_URL={url}; the summary follows when it exits",
            printable(&program)
        );
    }
    if args.no_history {
        let _ = writeln!(err, "  recording nothing (--no-history)");
    } else {
        let _ = writeln!(
            err,
            "  recording to {} (claudetui history list --source tap)",
            ctx.paths.history_db().display()
        );
    }
    if args.command.is_empty() {
        let _ = writeln!(err, "  Ctrl-C stops it.");
    }
    let _ = err.flush();
}

/// The child's environment changes: the base URL, and with `--mitm` the
/// proxy and the CA to trust.
fn child_env(tap: &TapServer, no_proxy: Option<&str>) -> Vec<(String, String)> {
    let url = tap.base_url();
    let mut env = vec![("ANTHROPIC_BASE_URL".to_owned(), url.clone())];
    if let Some(mitm) = tap.mitm() {
        env.extend(mitm.client_env(&url, no_proxy));
    }
    env
}

/// A line on stderr per exchange until Ctrl-C or SIGTERM.
async fn serve_until_stopped(tap: &TapServer) -> Exit {
    tap.on_exchange(|exchange| {
        let mut err = std::io::stderr();
        let _ = writeln!(err, "{}", live_line(exchange));
    });
    super::mock::wait_for_stop_signal().await;
    Exit::Ok
}

/// `18:32:05 200 ok  1.8s  claude-cli/2.1.197  POST /v1/messages?beta=true  12,345→210  ex_…`
pub fn live_line(exchange: &Exchange) -> String {
    let summary = exchange.summary();
    let status = summary
        .status
        .map_or_else(|| "---".to_owned(), |s| s.to_string());
    let tokens = match (summary.input_tokens, summary.output_tokens) {
        (Some(i), Some(o)) => format!(
            "  {}→{} tokens",
            crate::text::thousands(i),
            crate::text::thousands(o)
        ),
        _ => String::new(),
    };
    let failure = exchange.outcome.failure().map_or(String::new(), |f| {
        format!("\n         {}", crate::text::clip(f.message.trim(), 160))
    });
    printable(&format!(
        "{} {status} {:<12} {:>7}  {}  {} {}{tokens}  {}{failure}",
        summary.started_at.with_timezone(&Local).format("%H:%M:%S"),
        summary.outcome,
        crate::text::format_latency(summary.total_ms),
        summary.client.as_deref().unwrap_or("(no user-agent)"),
        summary.method,
        summary.path,
        summary.id,
    ))
}
