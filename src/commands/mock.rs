//! `claudetui mock`: the embedded Anthropic-compatible server on its own.

use std::io::Write;

use crate::cli::MockArgs;
use crate::mock::scenario::Scenario;
use crate::mock::{MockConfig, MockServer};

use super::{CommandError, Exit};

pub async fn run(args: &MockArgs, out: &mut dyn Write) -> Result<Exit, CommandError> {
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
    let server = MockServer::start(MockConfig {
        bind: args.bind,
        port: args.port,
        scenario,
        speed: args.speed,
    })
    .await?;
    let url = server.base_url();
    let _ = writeln!(out, "claudetui mock: listening on {url}");
    let _ = writeln!(out, "  scenario {describe}");
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
    wait_for_stop_signal().await;
    server.shutdown().await;
    Ok(Exit::Ok)
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
