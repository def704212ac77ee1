//! End to end: the real binary in a pseudo-terminal, `--demo`, driven by
//! keys, its screen read back through a terminal emulator (vt100). No
//! tmux needed, so this runs wherever `cargo test` does.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 48;
const COLS: u16 = 160;
/// Generous: a debug build on a busy 2-core machine.
const DEADLINE: Duration = Duration::from_secs(30);

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has rows and columns")
}

struct Screen {
    parser: Mutex<(vt100::Parser, bool)>,
    changed: Condvar,
}

/// Runs `command` in a new pseudo-terminal; its screen is kept up to date
/// by a thread that feeds everything it writes to a terminal emulator.
fn spawn_in_pty(
    command: CommandBuilder,
) -> (
    Box<dyn portable_pty::Child + Send + Sync>,
    Box<dyn Write + Send>,
    Arc<Screen>,
) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let writer = pair.master.take_writer().unwrap();
    let screen = Arc::new(Screen {
        parser: Mutex::new((vt100::Parser::new(nonzero(ROWS), nonzero(COLS), 0), false)),
        changed: Condvar::new(),
    });
    let feed = screen.clone();
    std::thread::spawn(move || {
        // The master stays open as long as the reader needs it.
        let _master = pair.master;
        let mut buf = [0u8; 8192];
        loop {
            let n = reader.read(&mut buf).unwrap_or(0);
            let mut state = feed.parser.lock().unwrap();
            if n == 0 {
                state.1 = true;
                feed.changed.notify_all();
                return;
            }
            state.0.process(&buf[..n]);
            feed.changed.notify_all();
        }
    });
    (child, writer, screen)
}

struct Session {
    screen: Arc<Screen>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _home: tempfile::TempDir,
}

impl Session {
    /// `claudetui --demo` under `sh`, which prints a marker and the
    /// terminal's mode after the dashboard exits, as a prompt would show.
    fn start() -> Session {
        Self::start_with("")
    }

    /// The same with more flags (`--tap --port 0`).
    fn start_with(flags: &str) -> Session {
        let home = tempfile::tempdir().unwrap();
        let binary = env!("CARGO_BIN_EXE_claudetui");
        let script = format!(
            "'{binary}' --demo {flags} --data-dir '{}' --config '{}'; echo \"EXIT=$?\"; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; echo SHELL-IS-BACK; exec sleep 30",
            home.path().join("data").display(),
            home.path().join("config.toml").display(),
        );
        let mut command = CommandBuilder::new("sh");
        command.args(["-c", &script]);
        command.env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        command.env("HOME", home.path());
        command.env("TERM", "xterm-256color");
        command.cwd(home.path());
        let (child, writer, screen) = spawn_in_pty(command);
        Session {
            screen,
            writer,
            child,
            _home: home,
        }
    }

    fn contents(&self) -> String {
        self.screen.parser.lock().unwrap().0.screen().contents()
    }

    /// Waits until `done(screen)` holds, or fails with the screen.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut state = self.screen.parser.lock().unwrap();
        loop {
            let text = state.0.screen().contents();
            if done(&text) {
                return text;
            }
            let now = Instant::now();
            if now >= deadline || state.1 {
                panic!("waited for {what}; the screen shows:\n{text}");
            }
            state = self
                .screen
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
    }

    fn press(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn history_rows_with(screen: &str, status: &str, outcome: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.contains(&format!(" {status} {outcome}")))
        .count()
}

#[test]
fn demo_send_watch_break_and_quit_with_the_terminal_restored() {
    let mut s = Session::start();
    let first = s.wait_for("the dashboard", |t| {
        t.contains("DEMO") && t.contains("History") && t.contains("Checklist")
    });
    assert!(first.contains("Composer"), "{first}");

    // Send until one comes back 200 (the demo scenario throws in a 429 or
    // 529 now and then, on purpose).
    let mut ok = false;
    for attempt in 1..=6 {
        s.press(b"\x13"); // Ctrl-S
        let screen = s.wait_for("a finished exchange", |t| {
            let done = ["ok", "rate-limited", "overloaded"]
                .iter()
                .map(|o| t.lines().filter(|l| l.contains(&format!(" {o} "))).count())
                .sum::<usize>();
            done >= attempt && !t.contains(" … in-flight")
        });
        if history_rows_with(&screen, "200", "ok") > 0 {
            ok = true;
            break;
        }
    }
    assert!(ok, "no 200 in six sends:\n{}", s.contents());

    // The gauges show numbers from the rate-limit headers.
    let screen = s.wait_for("gauges with numbers", |t| t.contains("/20"));
    assert!(
        !screen.contains("sk-ant-demo01-embedded"),
        "the key is masked"
    );

    // Break the request: edit the body into invalid JSON and send anyway.
    s.press(b"1"); // focus the composer
    s.press(b"i"); // edit
    s.press(b"x"); // a stray letter at the cursor: invalid JSON
    s.press(b"\x1b"); // stop editing
    s.wait_for("lint to flag the JSON", |t| t.contains("line "));
    s.press(b"\x13");
    s.wait_for("the confirmation", |t| t.contains("Send anyway?"));
    s.press(b"y");
    let screen = s.wait_for("the 400 in the history", |t| {
        history_rows_with(t, "400", "bad-request") > 0
    });
    assert!(screen.contains("bad-request"), "{screen}");

    s.press(b"q");
    let after = s.wait_for("the shell", |t| t.contains("SHELL-IS-BACK"));
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(
        after.contains("icanon") && !after.contains("-icanon"),
        "raw mode is off again: {after}"
    );
    assert!(!after.contains("-echo"), "echo is back on: {after}");
    let state = s.screen.parser.lock().unwrap();
    assert!(
        !state.0.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(!state.0.screen().hide_cursor(), "the cursor is shown");
    drop(state);

    // What was typed is kept for the next start.
    let draft = std::fs::read_to_string(s._home.path().join("data/draft-demo.json"))
        .expect("the draft was saved");
    assert!(draft.contains("x{"), "{draft}");

    // Nothing the dashboard wrote (draft, log) holds the key.
    let mut written = Vec::new();
    collect_files(s._home.path(), &mut written);
    assert!(!written.is_empty());
    for path in written {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("embedded-server-accepts-any-key"),
            "{} holds the key",
            path.display()
        );
    }
}

/// What another program does: `claudetui send` pointed at the tap, with a
/// key of its own.
fn send_through(tap: &str, key: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_claudetui"))
        .args([
            "send",
            "--no-history",
            "--max-tokens",
            "16",
            "--base-url",
            tap,
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ANTHROPIC_API_KEY", key)
        .env(
            "CLAUDETUI_DATA_DIR",
            std::env::temp_dir().join("claudetui-pty-client"),
        )
        .output()
        .unwrap()
}

#[test]
fn demo_tap_fills_with_another_programs_traffic_and_compares_its_turns() {
    const CLIENT_KEY: &str = "sk-ant-api03-CLIENT0KEY1of2another3program4-never-written-Zz9";
    let mut s = Session::start_with("--tap --port 0");
    let screen = s.wait_for("the tap badge", |t| t.contains(" TAP 127.0.0.1:"));
    let address = screen
        .split(" TAP ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let tap = format!("http://{address}");
    assert!(screen.contains("0 seen"), "{screen}");
    for n in 1..=2 {
        let output = send_through(&tap, CLIENT_KEY);
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("could not"),
            "{output:?}"
        );
        s.wait_for("the tapped exchange in the history", |t| {
            t.contains(&format!("{n} seen")) && !t.contains(" … in-flight")
        });
    }
    let screen = s.contents();
    assert!(!screen.contains("CLIENT0KEY1"), "{screen}");
    s.press(b"3"); // History
    s.press(b"D"); // the newest against the turn before it
    let compared = s.wait_for("the comparison", |t| {
        t.contains("Compare — Esc closes") && t.contains("response:")
    });
    assert!(
        compared.contains("conversation: 1 → 1 messages (1 kept)"),
        "{compared}"
    );
    // D closes it (not Esc: Esc and the next key, read together, are Alt-key).
    s.press(b"D");
    s.wait_for("the comparison to close", |t| {
        !t.contains("Compare — Esc closes") && t.contains("D compare")
    });
    s.press(b"q");
    let after = s.wait_for("the shell", |t| t.contains("SHELL-IS-BACK"));
    assert!(after.contains("EXIT=0"), "{after}");
    let state = s.screen.parser.lock().unwrap();
    assert!(!state.0.screen().alternate_screen());
    drop(state);
    let mut written = Vec::new();
    collect_files(s._home.path(), &mut written);
    for path in written {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("CLIENT0KEY1"),
            "{} holds the client's key",
            path.display()
        );
    }
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn sigterm_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_claudetui"));
    command.args(["--demo", "--data-dir"]);
    command.arg(home.path().join("data"));
    command.arg("--config");
    command.arg(home.path().join("config.toml"));
    command.env_clear();
    command.env("HOME", home.path());
    command.env("TERM", "xterm-256color");
    let (mut child, _writer, screen) = spawn_in_pty(command);
    let deadline = Instant::now() + DEADLINE;
    let mut state = screen.parser.lock().unwrap();
    while !state.0.screen().contents().contains("Checklist") {
        assert!(Instant::now() < deadline, "no dashboard");
        state = screen
            .changed
            .wait_timeout(state, Duration::from_millis(200))
            .unwrap()
            .0;
    }
    assert!(state.0.screen().alternate_screen());
    drop(state);
    let pid = child.process_id().expect("the child has a pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
    // Everything the program wrote has been read once the pty is drained.
    let mut state = screen.parser.lock().unwrap();
    while !state.1 && Instant::now() < deadline {
        state = screen
            .changed
            .wait_timeout(state, Duration::from_millis(200))
            .unwrap()
            .0;
    }
    assert!(
        !state.0.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(!state.0.screen().hide_cursor(), "the cursor is shown");
}
