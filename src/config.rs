//! Profiles, precedence and paths. (Being written; interface below.)
//!
//! Precedence for every setting: command-line flag > environment > config
//! file > built-in default, with one refinement borrowed from the AWS CLI:
//! a profile chosen explicitly with `--profile` is itself a command-line
//! choice, so the settings that profile states outrank the environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::types::Header;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Other(String),
}

/// A snapshot of the environment, so resolution is a pure function of its
/// inputs and tests never touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars().collect(),
        }
    }
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// Where the config file and the data directory are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn history_db(&self) -> PathBuf {
        self.data_dir.join("history.db")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// Values given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub anthropic_version: Option<String>,
    pub proxy: Option<String>,
    pub timeout_secs: Option<u64>,
}

/// Where a value came from, for the header bar and the doctor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(String),
    Env(String),
    File { path: PathBuf, profile: String },
    Command(String),
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// A secret held in memory only; its `Debug` shows the masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        crate::store::redact::mask_secret(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// How the credential is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// `x-api-key: KEY`
    ApiKey,
    /// `Authorization: Bearer KEY`
    Bearer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub kind: CredentialKind,
    pub secret: Secret,
    pub source: Source,
}

/// Proxy settings, explicit so the engine never reads the process env.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<Sourced<String>>,
    pub http: Option<Sourced<String>>,
    pub all: Option<Sourced<String>>,
    pub no_proxy: Option<Sourced<String>>,
}

/// A fully resolved profile: everything needed to send a request.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub base_url: Sourced<String>,
    pub credential: Option<Credential>,
    pub anthropic_version: Sourced<String>,
    pub anthropic_beta: Vec<String>,
    pub default_model: Sourced<String>,
    pub timeout: Duration,
    pub proxy: ProxySettings,
    pub ca_file: Option<Sourced<PathBuf>>,
    pub custom_headers: Vec<Header>,
    /// Things worth telling the user (plain key in a readable file, …).
    pub warnings: Vec<String>,
}

pub fn resolve_paths(
    _config_flag: Option<&Path>,
    _data_dir_flag: Option<&Path>,
    _env: &Env,
) -> Result<Paths, ConfigError> {
    todo!()
}

pub fn resolve_profile(
    _paths: &Paths,
    _overrides: &Overrides,
    _env: &Env,
) -> Result<Profile, ConfigError> {
    todo!()
}
