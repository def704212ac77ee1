//! `claudetui mock`: the embedded Anthropic-compatible server on its own.
//!
//! With `--record`, the server listens on an internal loopback port behind
//! a tap recording as [`Source::Mock`]: what is recorded, and how keys are
//! masked, is exactly what the tap does, with no second copy of that code.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

use crate::cli::MockArgs;
use crate::exchange::Source;
use crate::mock::scenario::Scenario;
use crate::mock::{MockConfig, MockServer};
use crate::tap::{TapConfig, TapServer};

use super::{CommandError, Context, Exit};

pub async fn run(
    ctx: &Context,
    args: &MockArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, CommandError> {
    if args.list_scenarios {
        for name in Scenario::builtin_names() {
            let scenario = Scenario::load(name)?;
            let _ = writeln!(out, "{}", scenario.describe());
        }
        return Ok(Exit::Ok);
    }
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        return Err(CommandError::Usage(format!(
            "--speed {} should be a number ≥ 0",
            args.speed
        )));
    }
    let scenario = Scenario::load(&args.scenario)?;
    let describe = scenario.describe();
    // Recording, the server itself is internal: the tap takes the address.
    let (bind, port) = if args.record {
        (IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
    } else {
        (args.bind, args.port)
    };
    let server = MockServer::start(MockConfig {
        bind,
        port,
        scenario,
        speed: args.speed,
    })
    .await?;
    let recorder = if args.record {
        Some(start_recorder(ctx, args, &server, err).await?)
    } else {
        None
    };
    let url = recorder
        .as_ref()
        .map_or_else(|| server.base_url(), TapServer::base_url);
    banner(out, args, &url, &describe);
    wait_for_stop_signal().await;
    // The recorder first: it finishes and writes what it relays.
    if let Some(recorder) = recorder {
        recorder.shutdown().await;
    }
    server.shutdown().await;
    Ok(Exit::Ok)
}

/// The recording tap in front of `server`, on the address asked for.
async fn start_recorder(
    ctx: &Context,
    args: &MockArgs,
    server: &MockServer,
    err: &mut dyn Write,
) -> Result<TapServer, CommandError> {
    let config = TapConfig {
        bind: args.bind,
        port: args.port,
        store: Some(ctx.open_store(err)?),
        source: Source::Mock,
        record_own_address: true,
        ..TapConfig::new(&server.base_url())
    };
    TapServer::start(config)
        .await
        .map_err(super::tap::tap_error)
}

fn banner(out: &mut dyn Write, args: &MockArgs, url: &str, describe: &str) {
    let _ = writeln!(out, "claudetui mock: listening on {url}");
    let _ = writeln!(out, "  scenario {describe}");
    if args.record {
        let _ = writeln!(
            out,
            "  recording every exchange to the history: claudetui history list --source mock"
        );
    }
    if !args.bind.is_loopback() {
        let _ = writeln!(
            out,
            "  warning: {} is not a loopback address; anyone who can reach it can use this server (it accepts any key)",
            args.bind
        );
    }
    let _ = writeln!(out, "  try: claudetui send --base-url {url}");
    let _ = writeln!(
        out,
        "   or: ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=sk-ant-demo <your app>"
    );
    let _ = writeln!(out, "  Ctrl-C stops it.");
    let _ = out.flush();
}

/// Ctrl-C, or SIGTERM/SIGHUP on Unix (a service manager or a closed terminal).
pub async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
