//! Logging to a file under the data dir, never to the terminal: the
//! dashboard owns the screen, and a log line there would corrupt it.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

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
    let (writer, guard) = tracing_appender::non_blocking(appender);
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
