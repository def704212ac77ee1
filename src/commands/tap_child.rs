//! Running `tap -- COMMAND`: the command owns the terminal, the tap stays
//! out of its way, and its exit code becomes ours.

use std::io::Write;
use std::process::Stdio;

use super::{CommandError, Exit};

/// Runs `command` with `env` added to ours and waits for it. Ctrl-C in the
/// terminal reaches the command directly (it is in the terminal's
/// foreground process group with us), so the tap only keeps running until
/// the command decides to end; SIGTERM and SIGHUP sent to the tap are
/// passed on to it.
pub async fn run(
    command: &[String],
    env: &[(String, String)],
    err: &mut dyn Write,
) -> Result<Exit, CommandError> {
    let Some((program, args)) = command.split_first() else {
        return Err(CommandError::Usage("no command after `--`".into()));
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        // Should the tap itself be ended, the command ends with it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            CommandError::Usage(format!(
                "could not start `{}`: {e}{}",
                crate::text::printable(program),
                if e.kind() == std::io::ErrorKind::NotFound {
                    " (is it installed and on PATH?)"
                } else {
                    ""
                }
            ))
        })?;
    let status = wait_passing_signals(&mut child).await;
    let _ = err.flush();
    match status {
        Ok(status) => Ok(Exit::Child(exit_code(&status))),
        Err(error) => Err(CommandError::io(
            format!("waiting for `{}`", crate::text::printable(program)),
            error,
        )),
    }
}

/// How long a command may take to end after the tap passed it SIGTERM.
#[cfg(unix)]
const KILL_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(unix)]
async fn wait_passing_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    // Once a SIGTERM or SIGHUP was passed on, a command that ignores it is
    // killed after this long: the tap must not wait forever.
    let mut kill_at: Option<tokio::time::Instant> = None;
    loop {
        let deadline = async {
            match kill_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let forward = tokio::select! {
            status = child.wait() => return status,
            // The command got this Ctrl-C too; it decides whether to end.
            _ = interrupt.recv() => None,
            _ = terminate.recv() => Some(rustix::process::Signal::TERM),
            _ = hangup.recv() => Some(rustix::process::Signal::HUP),
            _ = deadline => {
                let _ = child.start_kill();
                kill_at = None;
                continue;
            }
        };
        if forward.is_some() && kill_at.is_none() {
            kill_at = Some(tokio::time::Instant::now() + KILL_AFTER);
        }
        let pid = child
            .id()
            .and_then(|id| rustix::process::Pid::from_raw(id as i32));
        if let (Some(signal), Some(pid)) = (forward, pid) {
            // A command that already ended answers ESRCH; its status is
            // read on the next turn.
            let _ = rustix::process::kill_process(pid, signal);
        }
    }
}

#[cfg(not(unix))]
async fn wait_passing_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    child.wait().await
}

/// The command's exit code; ended by a signal, 128 plus its number, as a
/// shell reports it.
fn exit_code(status: &std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code & 0xff).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    1
}
