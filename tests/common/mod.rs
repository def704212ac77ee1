//! Shared fixtures: the embedded server on a loopback port, a throwaway
//! home and data dir, and the real binary run against them.

#![allow(dead_code)]

pub mod upstream;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use claudetui::mock::scenario::Scenario;
use claudetui::mock::{MockConfig, MockServer};

/// A key that looks real; every test that writes anything scans for it.
pub const TEST_KEY: &str = "sk-ant-api03-TEST0KEY1never2on3disk4or5screen6QzXw-Vu8sAAA-k9Zq";

/// The part of the key that must never appear anywhere.
pub fn key_body() -> &'static str {
    &TEST_KEY[13..50]
}

pub struct Fixture {
    pub runtime: tokio::runtime::Runtime,
    pub server: Option<MockServer>,
    pub base_url: String,
    pub home: tempfile::TempDir,
}

impl Fixture {
    /// The embedded server with `scenario`, pacing off.
    pub fn start(scenario: &str) -> Fixture {
        Self::start_with_speed(scenario, 0.0)
    }

    pub fn start_with_speed(scenario: &str, speed: f64) -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::load(scenario).unwrap();
        let server = runtime
            .block_on(MockServer::start(MockConfig {
                scenario,
                speed,
                ..MockConfig::default()
            }))
            .unwrap();
        let base_url = server.base_url();
        Fixture {
            runtime,
            server: Some(server),
            base_url,
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    pub fn config_file(&self) -> PathBuf {
        self.home.path().join("config.toml")
    }

    /// The binary with a clean environment: only the test key, a home of
    /// its own, and the fixture's data dir and config file.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_claudetui"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("ANTHROPIC_API_KEY", TEST_KEY)
            .env("CLAUDETUI_DATA_DIR", self.data_dir())
            .env("CLAUDETUI_CONFIG", self.config_file())
            .env("NO_COLOR", "1")
            // Not the checkout: a `.claude/settings.json` there would make
            // the doctor check Claude Code for real.
            .current_dir(self.home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// `claudetui send --base-url <mock> ARGS`, with `stdin` fed in.
    pub fn send(&self, args: &[&str], stdin: &str) -> Run {
        let mut full = vec!["send", "--base-url", &self.base_url];
        full.extend_from_slice(args);
        run(self.command(&full), stdin)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command(args), "")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// What a run of the binary printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }

    /// Asserts the exit code, showing everything printed when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn assert_no_key(&self) {
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            assert!(
                !text.contains(key_body()),
                "the key leaked to {name}:\n{text}"
            );
        }
    }
}

pub fn run(mut command: Command, stdin: &str) -> Run {
    let mut child = command.spawn().expect("the claudetui binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        use std::io::Write;
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(path);
        }
    }
    found
}

/// Fails when any file under `dir` holds one of `needles`; the scan must
/// have looked at some file.
pub fn assert_no_secret_in_dir(dir: &Path, needles: &[&str]) {
    assert!(
        file_count(dir) > 0,
        "nothing was written under {}",
        dir.display()
    );
    for needle in needles {
        let found = files_containing(dir, needle);
        assert!(found.is_empty(), "`{needle}` was written to {found:?}");
    }
}

/// How many files there are under `dir` (to prove a scan looked at something).
pub fn file_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        file_count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

pub const HELLO: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Hello there"}]}"#;
pub const HELLO_STREAM: &str = r#"{"model":"claude-sonnet-4-6","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hello there"}]}"#;

/// A TLS acceptor with a fresh self-signed certificate for `localhost` and
/// `127.0.0.1`, and that certificate as PEM (to trust it on purpose).
pub fn self_signed_acceptor() -> (tokio_rustls::TlsAcceptor, String) {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)),
        certified.cert.pem(),
    )
}

/// The lines of `reader` (a child's stdout or stderr), read on a thread of
/// their own so the child never blocks on a full pipe.
pub fn lines_of(reader: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(reader)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
