//! What each subcommand does. `main.rs` parses the command line and calls
//! into here; everything a command needs arrives as arguments, so tests can
//! run commands without touching the process environment.

pub mod bisect;
pub mod dashboard;
pub mod doctor;
pub mod history;
pub mod lint;
pub mod mock;
pub mod send;
pub mod tap;
mod tap_child;

#[cfg(test)]
mod one_diagnosis_tests;

use crate::cli::GlobalArgs;
use crate::config::{self, ConfigError, Env, Overrides, Paths, Profile};
use crate::engine::RequestError;
use crate::mock::MockError;
use crate::mock::scenario::ScenarioError;
use crate::store::{Recovery, Store, StoreError};

/// The process exit codes of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// The API answered with an error.
    ApiError,
    /// Bad usage or configuration; nothing was sent.
    Usage,
    /// Nothing usable came back: DNS, connection, TLS, proxy, timeout, a
    /// cut or malformed response.
    Transport,
    /// Interrupted with Ctrl-C.
    Interrupted,
    /// The exit code of the command `claudetui tap -- COMMAND` ran.
    Child(u8),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::ApiError => 1,
            Exit::Usage => 2,
            Exit::Transport => 3,
            Exit::Interrupted => 130,
            Exit::Child(code) => code,
        }
    }
}

/// Why a command could not do its job. Every variant maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Mock(#[from] MockError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl CommandError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        CommandError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Paths and the active profile, resolved once per command.
pub struct Context {
    pub paths: Paths,
    pub env: Env,
    pub overrides: Overrides,
}

impl Context {
    pub fn new(global: &GlobalArgs, env: Env) -> Result<Context, CommandError> {
        let paths =
            config::resolve_paths(global.config.as_deref(), global.data_dir.as_deref(), &env)?;
        let overrides = Overrides {
            profile: global.profile.clone(),
            base_url: global.base_url.clone(),
            ..Overrides::default()
        };
        Ok(Context {
            paths,
            env,
            overrides,
        })
    }

    pub fn profile(&self) -> Result<Profile, CommandError> {
        Ok(config::resolve_profile(
            &self.paths,
            &self.overrides,
            &self.env,
        )?)
    }

    /// Opens the history store, telling `notice` when a broken one had to
    /// be moved aside.
    pub fn open_store(&self, notice: &mut dyn std::io::Write) -> Result<Store, CommandError> {
        let (store, recovery) = Store::open(&self.paths.history_db())?;
        if let Some(recovery) = recovery {
            report_recovery(&recovery, notice);
        }
        Ok(store)
    }
}

fn report_recovery(recovery: &Recovery, notice: &mut dyn std::io::Write) {
    let _ = writeln!(notice, "warning: {recovery}");
}
