//! Logging to a file under the data dir, never to the terminal: the
//! dashboard owns the screen, and a log line there would corrupt it.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines queued for the writer thread at most.
const LOG_QUEUE_LINES: usize = 512;

/// The log file, `<data dir>/logs/claudetui.log`.
pub fn log_file(log_dir: &Path) -> PathBuf {
    log_dir.join("claudetui.log")
}

/// Starts logging to `log_dir`. The level comes from `CLAUDETUI_LOG`
/// (`info` by default; `debug`, `claudetui=trace`, …). Keep the guard
/// alive until exit so buffered lines are written. Returns `None` (and logs
/// nothing) when the directory cannot be created: a tool that cannot log
/// should still work.
pub fn init(log_dir: &Path, filter: Option<&str>) -> Option<WorkerGuard> {
    std::fs::create_dir_all(log_dir).ok()?;
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::NEVER)
        .filename_prefix("claudetui")
        .filename_suffix("log")
        .build(log_dir)
        .ok()?;
    // The default queue holds 128,000 lines, allocated and touched up front:
    // 1.5–2 ms of page faults at every start, a fifth of a small `send`.
    // A few hundred lines is ample for this program's log; when the writer
    // falls behind, a line waits for room rather than being dropped.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .finish(appender);
    let filter =
        EnvFilter::try_new(filter.unwrap_or("info")).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
