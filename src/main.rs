//! The binary: parse the command line, dispatch, turn the result into an
//! exit code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

use claudetui::cli::{Cli, Command};
use claudetui::commands::{self, Context, Exit, send::Output};
use claudetui::config::Env;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            eprintln!("claudetui: {error:#}");
            ExitCode::from(Exit::Usage.code())
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    let env = Env::from_process();
    let log_filter = env.get("CLAUDETUI_LOG").map(str::to_owned);
    let ctx = Context::new(&cli.global, env)?;
    let _log = claudetui::logging::init(&ctx.paths.log_dir(), log_filter.as_deref());
    let runtime = tokio::runtime::Runtime::new()?;
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let exit = match &cli.command {
        Some(Command::Send(args)) => {
            let io = Output {
                out: &mut stdout,
                err: &mut stderr,
            };
            runtime.block_on(commands::send::run(&ctx, args, &mut std::io::stdin(), io))?
        }
        Some(Command::Mock(args)) => {
            runtime.block_on(commands::mock::run(&ctx, args, &mut stdout, &mut stderr))?
        }
        Some(Command::History { command }) => {
            commands::history::run(&ctx, command, &mut stdout, &mut stderr)?
        }
        Some(Command::Lint(args)) => {
            commands::lint::run(args, &mut std::io::stdin(), &mut stdout, Some(&ctx))?
        }
        Some(Command::Doctor(args)) => runtime.block_on(commands::doctor::run(
            &ctx,
            args,
            &mut std::io::stdin(),
            &mut stdout,
            &mut stderr,
        ))?,
        Some(Command::Bisect(args)) => {
            use std::io::IsTerminal;
            let stdin = std::io::stdin();
            let terminal = commands::bisect::Terminal {
                interactive: stdin.is_terminal(),
                width: commands::bisect::report_width(stdout.is_terminal(), ctx.env.get("COLUMNS")),
                input: &mut stdin.lock(),
            };
            let io = Output {
                out: &mut stdout,
                err: &mut stderr,
            };
            runtime.block_on(commands::bisect::run(&ctx, args, terminal, io))?
        }
        Some(Command::Tap(args)) => {
            runtime.block_on(commands::tap::run(&ctx, args, &mut stdout, &mut stderr))?
        }
        None => {
            claudetui::tui::terminal::install_panic_hook(ctx.paths.log_dir());
            let tap = cli.tap.then(|| commands::dashboard::TapChoice {
                upstream: cli.upstream.clone(),
                port: cli.tap_port,
            });
            runtime.block_on(commands::dashboard::run(&ctx, cli.demo, cli.retries, tap))?
        }
    };
    Ok(exit)
}
