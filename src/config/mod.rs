//! Profiles, precedence and paths.
//!
//! # Precedence
//!
//! Every setting is taken from the first of these that has it, and the
//! [`Source`] it came from is kept beside the value (the header bar and the
//! doctor show it):
//!
//! 1. a command-line flag (`--base-url`, `--model`, `--anthropic-version`,
//!    `--proxy`, `--timeout`);
//! 2. the environment (`ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY`, …);
//! 3. the selected profile of the config file;
//! 4. the built-in default.
//!
//! One refinement, borrowed from the AWS CLI: a profile chosen explicitly
//! with `--profile` is itself a command-line choice, so the settings *that
//! profile states* outrank the environment (tiers 2 and 3 swap). Without
//! `--profile` (profile chosen by `CLAUDETUI_PROFILE`, by `active_profile`,
//! or the implicit `default`) the environment outranks the file. Either way,
//! when an environment value and a file value compete, a warning names both
//! so the user can see why the other one lost.
//!
//! The profile itself is chosen by `--profile` > `CLAUDETUI_PROFILE` >
//! `active_profile` in the file > `default`. Naming a profile the file does
//! not define is an error, except for the implicit `default`, which simply
//! means "no file settings".
//!
//! # Environment
//!
//! The names are the ones the official SDKs and Claude Code read:
//! `ANTHROPIC_API_KEY` (sent as `x-api-key`, or as Bearer when the profile
//! says `auth_header = "bearer"`), `ANTHROPIC_AUTH_TOKEN` (always Bearer),
//! `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`, `ANTHROPIC_CUSTOM_HEADERS` (one
//! `Name: value` per line), `HTTPS_PROXY`/`https_proxy`,
//! `HTTP_PROXY`/`http_proxy`, `ALL_PROXY`/`all_proxy`, `NO_PROXY`/`no_proxy`,
//! `SSL_CERT_FILE`, plus `CLAUDETUI_PROFILE`, `CLAUDETUI_CONFIG` and
//! `CLAUDETUI_DATA_DIR`. An empty variable counts as unset.
//!
//! Resolution reads the environment only through an [`Env`] snapshot, and
//! everything the engine needs (proxies, CA file, extra headers) lands in the
//! [`Profile`], so the engine never reads the process environment itself.
//!
//! # Secrets
//!
//! Keys and tokens live in [`Secret`]s. No error, warning or `Debug` output of
//! this module contains one: they show the masked form (`sk-ant-…a1b2`), and
//! key values are never trimmed or "fixed" silently — a key the API would
//! reject gets a warning instead, so the user reproduces what their app does.

mod file;
mod headers;
mod key_command;
mod paths;
mod resolve;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::types::Header;
use crate::store::redact::{is_secret_header, mask_secret, redact_headers, redact_text};

pub use file::{key_settings, profile_names};
pub use headers::parse_custom_headers;
pub use paths::{resolve_paths, resolve_paths_with};
pub use resolve::{KeyShape, key_shape, resolve_profile};
pub(crate) use resolve::{both_credentials_warning, key_shape_warning, v1_suffix_warning};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-6";
pub const DEFAULT_TIMEOUT_SECS: u64 = 600;
/// The profile used when nothing names one.
pub const DEFAULT_PROFILE: &str = "default";
/// How long `api_key_cmd` may run before it is killed.
pub const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The flag names recorded in [`Source::Flag`].
pub mod flags {
    pub const PROFILE: &str = "--profile";
    pub const BASE_URL: &str = "--base-url";
    pub const MODEL: &str = "--model";
    pub const ANTHROPIC_VERSION: &str = "--anthropic-version";
    pub const PROXY: &str = "--proxy";
    pub const TIMEOUT: &str = "--timeout";
    pub const CONFIG: &str = "--config";
    pub const DATA_DIR: &str = "--data-dir";
}

/// The environment variables this module reads.
pub mod env_names {
    pub const API_KEY: &str = "ANTHROPIC_API_KEY";
    pub const AUTH_TOKEN: &str = "ANTHROPIC_AUTH_TOKEN";
    pub const BASE_URL: &str = "ANTHROPIC_BASE_URL";
    pub const MODEL: &str = "ANTHROPIC_MODEL";
    pub const CUSTOM_HEADERS: &str = "ANTHROPIC_CUSTOM_HEADERS";
    pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
    pub const PROFILE: &str = "CLAUDETUI_PROFILE";
    pub const CONFIG: &str = "CLAUDETUI_CONFIG";
    pub const DATA_DIR: &str = "CLAUDETUI_DATA_DIR";
    /// Upper case first: it is the spelling most tools document.
    pub const HTTPS_PROXY: [&str; 2] = ["HTTPS_PROXY", "https_proxy"];
    pub const HTTP_PROXY: [&str; 2] = ["HTTP_PROXY", "http_proxy"];
    pub const ALL_PROXY: [&str; 2] = ["ALL_PROXY", "all_proxy"];
    pub const NO_PROXY: [&str; 2] = ["NO_PROXY", "no_proxy"];
}

/// Everything that can go wrong while finding and reading the configuration.
/// Each message says what failed, where, and what to do; none contains a
/// secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read the config file {}: {source}; check its permissions, or pass --config FILE to use another file",
        path.display()
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "config file {}, line {line}, column {column}{}: {message}; compare it with config.example.toml, which documents every field",
        path.display(),
        key.as_deref().map(|k| format!(", key `{k}`")).unwrap_or_default()
    )]
    Parse {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        /// Dotted path of the offending key, e.g. `profiles.work.timeout_secs`.
        key: Option<String>,
        message: String,
    },

    #[error(
        "profile `{name}` (chosen by {chosen_by}) does not exist: {}; pass --profile with one of those, or add a [profiles.{name}] table (compare with config.example.toml)",
        describe_available(path, *file_found, available)
    )]
    UnknownProfile {
        name: String,
        /// `--profile`, `environment variable CLAUDETUI_PROFILE` or `active_profile in FILE`.
        chosen_by: String,
        path: PathBuf,
        file_found: bool,
        available: Vec<String>,
    },

    #[error(
        "cannot find your home directory to place the {what}; pass --data-dir DIR and --config FILE (or set CLAUDETUI_DATA_DIR and CLAUDETUI_CONFIG)"
    )]
    NoHome { what: &'static str },

    #[error(
        "the base URL `{value}` from {origin} is not usable: {reason}; give a full http(s) URL such as https://api.anthropic.com"
    )]
    InvalidBaseUrl {
        value: String,
        origin: Source,
        reason: String,
    },

    #[error(
        "the proxy `{value}` from {origin} is not usable: {reason}; give a URL such as http://proxy.example.com:3128, or unset it"
    )]
    InvalidProxy {
        value: String,
        origin: Source,
        reason: String,
    },

    #[error("the timeout from {origin} is 0 seconds; give a number of seconds of 1 or more")]
    InvalidTimeout { origin: Source },

    #[error(
        "profile `{profile}` in {} sets {}; a profile takes its API key from one of api_key, api_key_env and api_key_cmd, so keep only one",
        path.display(),
        fields.join(" and ")
    )]
    ConflictingKeySettings {
        path: PathBuf,
        profile: String,
        fields: Vec<&'static str>,
    },

    #[error(
        "profile `{profile}` in {} says {setting} = \"{var}\", but the environment variable {var} is not set (or is empty); export it, or change {setting}",
        path.display()
    )]
    KeyEnvMissing {
        path: PathBuf,
        profile: String,
        setting: &'static str,
        var: String,
    },

    #[error(
        "api_key_cmd `{command}` of profile `{profile}` failed: {problem}; run it in a shell to see why, and make it print only the key"
    )]
    KeyCommand {
        /// The command with anything key-like masked.
        command: String,
        profile: String,
        problem: String,
    },

    #[error(
        "the custom header `{name}` from {origin} is not valid: {reason}; fix it under [profiles.NAME.headers] (compare with config.example.toml)"
    )]
    InvalidHeader {
        name: String,
        origin: Source,
        reason: String,
    },

    #[error(
        "the CA file {} from {origin} does not exist or is not a file; point it at a PEM bundle, or remove the setting",
        path.display()
    )]
    CaFileMissing { path: PathBuf, origin: Source },
}

fn describe_available(path: &Path, file_found: bool, available: &[String]) -> String {
    if !file_found {
        format!("there is no config file at {}", path.display())
    } else if available.is_empty() {
        format!("{} defines no profiles", path.display())
    } else {
        let names: Vec<String> = available.iter().map(|n| format!("`{n}`")).collect();
        format!("{} defines {}", path.display(), names.join(", "))
    }
}

/// A snapshot of the environment, so resolution is a pure function of its
/// inputs and tests never touch the process environment.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Env {
        // vars_os: one variable that is not UTF-8 must not abort the program.
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
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
    /// The value if the variable is set to something non-empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Debug for Env {
    /// Names only: the values include keys and tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
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
    /// A command-line flag, e.g. `--base-url`.
    Flag(String),
    /// An environment variable, by name (also the variable an `api_key_env`
    /// or `auth_token_env` setting pointed at).
    Env(String),
    File {
        path: PathBuf,
        profile: String,
    },
    /// The output of `api_key_cmd`; holds the command with anything
    /// key-like masked.
    Command(String),
    /// A variable of the `env` block of one of Claude Code's settings
    /// files (`~/.claude/settings.json`, a project's), which Claude Code
    /// applies over the shell's environment.
    ClaudeCodeSettings {
        name: String,
        path: PathBuf,
    },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::File { path, profile } => {
                write!(f, "profile `{profile}` in {}", path.display())
            }
            Source::Command(command) => write!(f, "api_key_cmd `{command}`"),
            Source::ClaudeCodeSettings { name, path } => {
                write!(f, "{name} in the env block of {}", path.display())
            }
            Source::Default => f.write_str("built-in default"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Sourced<T> {
        Sourced { value, source }
    }
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
        mask_secret(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl Credential {
    /// The header that carries it, exactly as it will be sent.
    pub fn header(&self) -> Header {
        match self.kind {
            CredentialKind::ApiKey => Header::new("x-api-key", self.secret.expose()),
            CredentialKind::Bearer => {
                Header::new("authorization", format!("Bearer {}", self.secret.expose()))
            }
        }
    }
}

/// Proxy settings, explicit so the engine never reads the process env.
/// URLs always carry a scheme (`http://` is added when the setting had none,
/// as curl assumes).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<Sourced<String>>,
    pub http: Option<Sourced<String>>,
    pub all: Option<Sourced<String>>,
    pub no_proxy: Option<Sourced<String>>,
}

impl fmt::Debug for ProxySettings {
    /// Proxy URLs may carry a password; it is masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |p: &Option<Sourced<String>>| {
            p.as_ref()
                .map(|s| Sourced::new(display_url(&s.value), s.source.clone()))
        };
        f.debug_struct("ProxySettings")
            .field("https", &show(&self.https))
            .field("http", &show(&self.http))
            .field("all", &show(&self.all))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// A fully resolved profile: everything needed to send a request.
#[derive(Clone)]
pub struct Profile {
    pub name: String,
    pub base_url: Sourced<String>,
    pub credential: Option<Credential>,
    pub anthropic_version: Sourced<String>,
    pub anthropic_beta: Vec<String>,
    pub default_model: Sourced<String>,
    pub timeout: Duration,
    /// Where `timeout` came from.
    pub timeout_source: Source,
    pub proxy: ProxySettings,
    pub ca_file: Option<Sourced<PathBuf>>,
    pub custom_headers: Vec<Header>,
    /// Things worth telling the user (plain key in a readable file, …).
    pub warnings: Vec<String>,
}

impl Profile {
    /// The built-in defaults, no credential, no file, no environment: a
    /// starting point for tests and for demo mode
    /// (`Profile { base_url: …, ..Profile::builtin() }`).
    pub fn builtin() -> Profile {
        let default = |v: &str| Sourced::new(v.to_string(), Source::Default);
        Profile {
            name: DEFAULT_PROFILE.to_string(),
            base_url: default(DEFAULT_BASE_URL),
            credential: None,
            anthropic_version: default(DEFAULT_ANTHROPIC_VERSION),
            anthropic_beta: Vec::new(),
            default_model: default(DEFAULT_MODEL),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            timeout_source: Source::Default,
            proxy: ProxySettings::default(),
            ca_file: None,
            custom_headers: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl fmt::Debug for Profile {
    /// Custom header values that may be credentials are masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("credential", &self.credential)
            .field("anthropic_version", &self.anthropic_version)
            .field("anthropic_beta", &self.anthropic_beta)
            .field("default_model", &self.default_model)
            .field("timeout", &self.timeout)
            .field("timeout_source", &self.timeout_source)
            .field("proxy", &self.proxy)
            .field("ca_file", &self.ca_file)
            .field("custom_headers", &masked_headers(&self.custom_headers))
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Headers as they may be shown: credential-like values masked whole, and
/// any `sk-ant-…` text masked in the others.
pub fn masked_headers(headers: &[Header]) -> Vec<Header> {
    redact_headers(headers)
        .into_iter()
        .zip(headers)
        .map(|(shown, original)| {
            // The standard credential headers are already masked with their
            // scheme (`Bearer …`) kept visible.
            if crate::store::redact::looks_secret(&original.name)
                && !is_secret_header(&original.name)
            {
                Header::new(shown.name, mask_secret(&original.value))
            } else {
                shown
            }
        })
        .collect()
}

/// A URL as it may be shown: the password of `user:password@` masked and any
/// key-like text masked. Works on text that does not parse as a URL too.
pub fn display_url(value: &str) -> String {
    let after_scheme = value.find("://").map_or(0, |i| i + 3);
    let rest = value.get(after_scheme..).unwrap_or_default();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let shown = match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => format!("{}{user}:…{}", &value[..after_scheme], &rest[at..]),
            // `http://TOKEN@proxy:3128`: a lone user part is often the
            // credential itself.
            None => format!("{}…{}", &value[..after_scheme], &rest[at..]),
        },
        None => value.to_string(),
    };
    redact_text(&shown).into_owned()
}

#[cfg(test)]
mod display_url_tests {
    use super::display_url;

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(
            display_url("http://team:hunter2@proxy:3128"),
            "http://team:…@proxy:3128"
        );
        assert_eq!(
            display_url("http://gwTOKEN123456@proxy:3128"),
            "http://…@proxy:3128"
        );
        assert_eq!(
            display_url("https://api.anthropic.com/v1"),
            "https://api.anthropic.com/v1"
        );
    }
}
