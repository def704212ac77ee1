//! Owning the terminal: raw mode, the alternate screen, mouse and
//! bracketed paste on the way in, and all of it undone on the way out —
//! on quit, on an error (the guard's `Drop`), on a panic (the hook) and
//! on SIGTERM/SIGHUP (the event loop turns them into a clean quit).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// While it lives, the terminal belongs to the dashboard.
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        // crossterm would fall back to /dev/tty and draw on a terminal the
        // output does not go to; a pipe gets a clear error instead.
        if !io::stdout().is_terminal() {
            return Err(io::Error::other("standard output is not a terminal"));
        }
        enable_raw_mode()?;
        let guard = TerminalGuard { _private: () };
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            crossterm::cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = io::stdout().flush();
}

/// On a panic: write the report to the log file (directly, so it is not
/// lost with a buffered writer), and when the panic is on the thread that
/// owns the terminal, give the terminal back first and say where the
/// report is. A panic on a worker thread (tokio catches those) must not
/// restore the terminal under a dashboard that keeps drawing.
pub fn install_panic_hook(log_dir: PathBuf) {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        let log = crate::logging::log_file(&log_dir);
        let written = append_report(&log, &format!("{info}\n{backtrace}"));
        if std::thread::current().id() != ui_thread {
            return;
        }
        restore();
        let place = match written {
            Ok(()) => format!("The report is in {}", log.display()),
            Err(error) => format!(
                "The report could not be written to {}: {error}",
                log.display()
            ),
        };
        eprintln!(
            "claudetui stopped on a bug: {info}\n\
             The terminal has been restored. {place}; please include it when you report this."
        );
        previous(info);
    }));
}

fn append_report(log: &std::path::Path, report: &str) -> io::Result<()> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let when = chrono::Utc::now().to_rfc3339();
    writeln!(file, "{when} PANIC {report}")
}

/// Copies `text` to the clipboard of the terminal (OSC 52), which works
/// over SSH and in tmux (with `set-clipboard on`).
pub fn copy_osc52(text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}
