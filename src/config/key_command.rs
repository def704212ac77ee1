//! Running `api_key_cmd` (e.g. `op read op://vault/anthropic/key`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::Env;
use crate::store::redact::redact_text;

/// What went wrong, without the command (the caller names it).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CommandFailure(pub String);

/// How often the child is checked for exit while it runs.
const POLL: Duration = Duration::from_millis(10);

/// Runs `command` with `sh -c` in the environment snapshot `env`, and returns
/// its stdout minus one trailing newline. Non-zero exit, empty output or
/// running past `timeout` are failures quoting the first line of stderr.
/// Stdout is never part of a failure: it may be the key.
pub(crate) fn run_key_command(
    command: &str,
    env: &Env,
    timeout: Duration,
) -> Result<String, CommandFailure> {
    let mut child = shell()
        .arg("-c")
        .arg(command)
        .env_clear()
        .envs(env.iter())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CommandFailure(format!("it could not be started ({e})")))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(POLL),
            Ok(None) => {
                // Best effort: the child may exit on its own meanwhile.
                let _ = child.kill();
                let _ = child.wait();
                return Err(CommandFailure(format!(
                    "it did not finish within {} s{}",
                    timeout.as_secs_f32(),
                    stderr_hint(&collect(stderr, deadline))
                )));
            }
            Err(e) => return Err(CommandFailure(format!("waiting for it failed ({e})"))),
        }
    };
    // A grandchild may still hold the pipes open; do not wait past the deadline.
    let grace = deadline.max(Instant::now() + POLL * 10);
    let err_text = collect(stderr, grace);
    if !status.success() {
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| c.to_string());
        return Err(CommandFailure(format!(
            "it exited with {code}{}",
            stderr_hint(&err_text)
        )));
    }
    let out = collect(stdout, grace);
    let key = strip_one_newline(&out);
    if key.is_empty() {
        return Err(CommandFailure(format!(
            "it printed nothing on stdout{}",
            stderr_hint(&err_text)
        )));
    }
    Ok(key.to_string())
}

#[cfg(unix)]
fn shell() -> Command {
    // An absolute path: the child's PATH comes from the snapshot, which may
    // have none.
    Command::new("/bin/sh")
}

#[cfg(not(unix))]
fn shell() -> Command {
    Command::new("sh")
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    rx
}

fn collect(rx: mpsc::Receiver<Vec<u8>>, until: Instant) -> String {
    let wait = until.saturating_duration_since(Instant::now());
    let bytes = rx.recv_timeout(wait).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn strip_one_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

/// `; stderr: <first non-blank line>`, masked, or nothing.
fn stderr_hint(stderr: &str) -> String {
    match stderr.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => format!("; stderr: {}", redact_text(line)),
        None => String::new(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn run(command: &str) -> Result<String, CommandFailure> {
        run_key_command(command, &Env::default(), Duration::from_secs(10))
    }

    #[test]
    fn stdout_loses_exactly_one_trailing_newline() {
        assert_eq!(run("printf 'k-1\\n'").unwrap(), "k-1");
        assert_eq!(run("printf 'k-1\\r\\n'").unwrap(), "k-1");
        assert_eq!(run("printf ' k-1\\n\\n'").unwrap(), " k-1\n");
    }

    #[test]
    fn the_child_sees_only_the_snapshot() {
        let env = Env::from_pairs([("MY_KEY", "from-snapshot")]);
        let out = run_key_command("printf %s \"$MY_KEY\"", &env, Duration::from_secs(10));
        assert_eq!(out.unwrap(), "from-snapshot");
    }

    #[test]
    fn failures_quote_the_first_stderr_line_never_stdout() {
        let failure = run(
            "printf 'sk-ant-api03-LEAKLEAK-zzzz'; printf '\\nvault locked\\nmore\\n' >&2; exit 3",
        )
        .unwrap_err();
        assert!(failure.0.contains("exited with 3"), "{failure:?}");
        assert!(failure.0.contains("stderr: vault locked"), "{failure:?}");
        assert!(!failure.0.contains("more"), "{failure:?}");
        assert!(!failure.0.contains("LEAKLEAK"), "{failure:?}");
    }

    #[test]
    fn empty_output_is_a_failure() {
        let failure = run("printf ''").unwrap_err();
        assert!(failure.0.contains("printed nothing"), "{failure:?}");
        let failure = run("echo").unwrap_err();
        assert!(failure.0.contains("printed nothing"), "{failure:?}");
    }

    #[test]
    fn a_command_past_its_timeout_is_killed() {
        let failure =
            run_key_command("sleep 30", &Env::default(), Duration::from_millis(200)).unwrap_err();
        assert!(failure.0.contains("did not finish"), "{failure:?}");
    }
}
