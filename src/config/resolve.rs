//! Resolving the active profile: every setting from flag, environment,
//! file or default, with the source kept and every shadowing said aloud.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::types::Header;
use crate::store::redact::redact_text;

use super::file::{self, AuthHeader, ConfigFile, ProfileConfig};
use super::headers::{check_header, parse_custom_headers};
use super::key_command::run_key_command;
use super::{
    ConfigError, Credential, CredentialKind, DEFAULT_ANTHROPIC_VERSION, DEFAULT_BASE_URL,
    DEFAULT_MODEL, DEFAULT_PROFILE, DEFAULT_TIMEOUT_SECS, Env, KEY_COMMAND_TIMEOUT, Overrides,
    Paths, Profile, ProxySettings, Secret, Source, Sourced, env_names, flags,
};

/// Resolves the active profile from the command line, the environment and
/// the config file at `paths.config_file` (a missing file is no error).
pub fn resolve_profile(
    paths: &Paths,
    overrides: &Overrides,
    env: &Env,
) -> Result<Profile, ConfigError> {
    let file = file::load(&paths.config_file)?;
    let name = choose_profile(paths, overrides, env, file.as_ref())?;
    let empty = ProfileConfig::default();
    let settings = file
        .as_ref()
        .and_then(|f| f.profiles.get(&name))
        .unwrap_or(&empty);
    let mut r = Resolver {
        path: &paths.config_file,
        name: &name,
        file: settings,
        env,
        overrides,
        explicit: overrides.profile.is_some(),
        warnings: Vec::new(),
    };
    let base_url = r.base_url()?;
    let credential = r.credential()?;
    let anthropic_version = r.pick(
        "anthropic-version",
        overrides
            .anthropic_version
            .clone()
            .map(|v| (flags::ANTHROPIC_VERSION, v)),
        None,
        settings.anthropic_version.clone(),
    );
    let default_model = r.pick(
        "default model",
        overrides.model.clone().map(|v| (flags::MODEL, v)),
        env.non_empty(env_names::MODEL)
            .map(|v| (env_names::MODEL, v.to_owned())),
        settings.default_model.clone(),
    );
    let (timeout, timeout_source) = r.timeout()?;
    let proxy = r.proxy()?;
    let ca_file = r.ca_file()?;
    let custom_headers = r.custom_headers()?;
    Ok(Profile {
        name: name.clone(),
        base_url,
        credential,
        anthropic_version: anthropic_version.unwrap_or_else(|| default(DEFAULT_ANTHROPIC_VERSION)),
        anthropic_beta: settings.anthropic_beta.clone().unwrap_or_default(),
        default_model: default_model.unwrap_or_else(|| default(DEFAULT_MODEL)),
        timeout,
        timeout_source,
        proxy,
        ca_file,
        custom_headers,
        warnings: r.warnings,
    })
}

fn default(value: &str) -> Sourced<String> {
    Sourced::new(value.to_owned(), Source::Default)
}

/// `--profile` > `CLAUDETUI_PROFILE` > `active_profile` > `default`.
fn choose_profile(
    paths: &Paths,
    overrides: &Overrides,
    env: &Env,
    file: Option<&ConfigFile>,
) -> Result<String, ConfigError> {
    let (name, chosen_by) = if let Some(name) = &overrides.profile {
        (name.clone(), flags::PROFILE.to_owned())
    } else if let Some(name) = env.non_empty(env_names::PROFILE) {
        (
            name.to_owned(),
            format!("environment variable {}", env_names::PROFILE),
        )
    } else if let Some(name) = file.and_then(|f| f.active_profile.clone()) {
        (
            name,
            format!("active_profile in {}", paths.config_file.display()),
        )
    } else {
        return Ok(DEFAULT_PROFILE.to_owned());
    };
    let known = file.is_some_and(|f| f.profiles.contains_key(&name));
    // `default` always exists: it means "no file settings".
    if known || name == DEFAULT_PROFILE {
        return Ok(name);
    }
    Err(ConfigError::UnknownProfile {
        name,
        chosen_by,
        path: paths.config_file.clone(),
        file_found: file.is_some(),
        available: file
            .map(|f| f.profiles.keys().cloned().collect())
            .unwrap_or_default(),
    })
}

struct Resolver<'a> {
    path: &'a Path,
    name: &'a str,
    file: &'a ProfileConfig,
    env: &'a Env,
    overrides: &'a Overrides,
    /// The profile was named with `--profile`: its settings outrank the
    /// environment.
    explicit: bool,
    warnings: Vec<String>,
}

impl Resolver<'_> {
    fn file_source(&self) -> Source {
        Source::File {
            path: self.path.to_path_buf(),
            profile: self.name.to_owned(),
        }
    }

    /// The winner among a flag, an environment value and a file value (in
    /// the order the precedence rules give), warning when the environment
    /// and the file disagree.
    fn pick(
        &mut self,
        what: &str,
        flag: Option<(&str, String)>,
        env: Option<(&str, String)>,
        file: Option<String>,
    ) -> Option<Sourced<String>> {
        if let Some((flag, value)) = flag {
            return Some(Sourced::new(value, Source::Flag(flag.to_owned())));
        }
        let env = env.map(|(name, value)| Sourced::new(value, Source::Env(name.to_owned())));
        let file = file.map(|value| Sourced::new(value, self.file_source()));
        match (env, file) {
            (Some(env), Some(file)) => {
                let (winner, loser) = if self.explicit {
                    (file, env)
                } else {
                    (env, file)
                };
                if winner.value != loser.value {
                    self.shadowed(what, &winner.source, &loser.source);
                }
                Some(winner)
            }
            (env, file) => env.or(file),
        }
    }

    fn shadowed(&mut self, what: &str, winner: &Source, loser: &Source) {
        let why = if self.explicit {
            format!("the profile was chosen with {}", flags::PROFILE)
        } else {
            format!(
                "the environment outranks the config file; pass {} {} to prefer the file",
                flags::PROFILE,
                self.name
            )
        };
        self.warnings.push(format!(
            "{what}: using the {winner}, not the {loser} ({why})"
        ));
    }

    fn base_url(&mut self) -> Result<Sourced<String>, ConfigError> {
        let picked = self.pick(
            "base URL",
            self.overrides
                .base_url
                .clone()
                .map(|v| (flags::BASE_URL, v)),
            self.env
                .non_empty(env_names::BASE_URL)
                .map(|v| (env_names::BASE_URL, v.to_owned())),
            self.file.base_url.clone(),
        );
        let Some(mut url) = picked else {
            return Ok(default(DEFAULT_BASE_URL));
        };
        let parsed =
            reqwest::Url::parse(url.value.trim()).map_err(|e| ConfigError::InvalidBaseUrl {
                value: super::display_url(&url.value),
                origin: url.source.clone(),
                reason: e.to_string(),
            })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ConfigError::InvalidBaseUrl {
                value: super::display_url(&url.value),
                origin: url.source.clone(),
                reason: "it needs an http:// or https:// scheme and a host".into(),
            });
        }
        url.value = url.value.trim().trim_end_matches('/').to_owned();
        self.warnings.extend(v1_suffix_warning(&url));
        Ok(url)
    }

    fn timeout(&mut self) -> Result<(Duration, Source), ConfigError> {
        let (secs, source) = match (self.overrides.timeout_secs, self.file.timeout_secs) {
            (Some(secs), _) => (secs, Source::Flag(flags::TIMEOUT.to_owned())),
            (None, Some(secs)) => (secs, self.file_source()),
            (None, None) => (DEFAULT_TIMEOUT_SECS, Source::Default),
        };
        if secs == 0 {
            return Err(ConfigError::InvalidTimeout { origin: source });
        }
        Ok((Duration::from_secs(secs), source))
    }

    fn ca_file(&mut self) -> Result<Option<Sourced<PathBuf>>, ConfigError> {
        let picked = self.pick(
            "CA file",
            None,
            self.env
                .non_empty(env_names::SSL_CERT_FILE)
                .map(|v| (env_names::SSL_CERT_FILE, v.to_owned())),
            self.file.ca_file.as_ref().map(|p| p.display().to_string()),
        );
        let Some(picked) = picked else {
            return Ok(None);
        };
        let path = self.expand_path(&picked.value, &picked.source);
        if !path.is_file() {
            return Err(ConfigError::CaFileMissing {
                path,
                origin: picked.source,
            });
        }
        Ok(Some(Sourced::new(path, picked.source)))
    }
}

impl Resolver<'_> {
    /// `~/…` from the snapshot's HOME; a relative path in the config file
    /// from the file's own folder (where its author meant it), elsewhere
    /// as given.
    fn expand_path(&self, value: &str, source: &Source) -> PathBuf {
        let path = Path::new(value);
        if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), self.env.non_empty("HOME")) {
            return Path::new(home).join(rest);
        }
        match (source, self.path.parent()) {
            (Source::File { .. }, Some(dir)) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// Proxies: per scheme, flag > (environment | file, by the rules) > none.
/// ALL_PROXY stands in for a missing HTTPS_PROXY / HTTP_PROXY, as in curl.
impl Resolver<'_> {
    fn proxy(&mut self) -> Result<ProxySettings, ConfigError> {
        let flag = self.overrides.proxy.clone().map(|v| (flags::PROXY, v));
        let all_env = self.env_any(env_names::ALL_PROXY);
        let https_env = self.env_any(env_names::HTTPS_PROXY).or(all_env.clone());
        let http_env = self.env_any(env_names::HTTP_PROXY).or(all_env);
        let https = self.pick(
            "HTTPS proxy",
            flag.clone(),
            https_env,
            self.file.proxy.clone(),
        );
        let http = self.pick("HTTP proxy", flag, http_env, self.file.proxy.clone());
        let all = self.pick("ALL_PROXY", None, self.env_any(env_names::ALL_PROXY), None);
        let no_proxy = self.pick(
            "NO_PROXY",
            None,
            self.env_any(env_names::NO_PROXY),
            self.file.no_proxy.clone(),
        );
        Ok(ProxySettings {
            https: https.map(proxy_url).transpose()?,
            http: http.map(proxy_url).transpose()?,
            all: all.map(proxy_url).transpose()?,
            no_proxy,
        })
    }

    /// The first of the spellings (`HTTPS_PROXY`, `https_proxy`) that is set.
    fn env_any(&self, names: [&'static str; 2]) -> Option<(&'static str, String)> {
        names.into_iter().find_map(|name| {
            self.env
                .non_empty(name)
                .map(|value| (name, value.to_owned()))
        })
    }
}

/// Adds `http://` when the setting has no scheme (as curl assumes) and
/// checks the result parses.
fn proxy_url(mut proxy: Sourced<String>) -> Result<Sourced<String>, ConfigError> {
    let value = proxy.value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let invalid = |reason: String| ConfigError::InvalidProxy {
        value: super::display_url(value),
        origin: proxy.source.clone(),
        reason,
    };
    let parsed = reqwest::Url::parse(&with_scheme).map_err(|e| invalid(e.to_string()))?;
    if !matches!(
        parsed.scheme(),
        "http" | "https" | "socks5" | "socks5h" | "socks4" | "socks4a"
    ) {
        return Err(invalid(format!(
            "the scheme `{}` is not one claudetui supports (http, https, socks5)",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none() {
        return Err(invalid("it has no host".into()));
    }
    proxy.value = with_scheme;
    Ok(proxy)
}

/// Custom headers: the profile's `headers` and `ANTHROPIC_CUSTOM_HEADERS`
/// both apply; where both name the same header, the higher tier wins.
impl Resolver<'_> {
    fn custom_headers(&mut self) -> Result<Vec<Header>, ConfigError> {
        let mut from_file = Vec::new();
        for (name, value) in self.file.headers.iter().flatten() {
            check_header(name, value).map_err(|reason| ConfigError::InvalidHeader {
                name: redact_text(name).into_owned(),
                origin: self.file_source(),
                reason,
            })?;
            from_file.push(Header::new(name.clone(), value.clone()));
        }
        let (from_env, warnings) = self
            .env
            .non_empty(env_names::CUSTOM_HEADERS)
            .map(parse_custom_headers)
            .unwrap_or_default();
        self.warnings.extend(warnings);
        let (high, low) = if self.explicit {
            (from_file, from_env)
        } else {
            (from_env, from_file)
        };
        let mut headers = high;
        for header in low {
            if let Some(winner) = headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(&header.name))
            {
                if winner.value != header.value {
                    let (w, l) = if self.explicit {
                        ("the profile's headers", env_names::CUSTOM_HEADERS)
                    } else {
                        (env_names::CUSTOM_HEADERS, "the profile's headers")
                    };
                    self.warnings
                        .push(format!("header `{}`: {w} wins over {l}", header.name));
                }
            } else {
                headers.push(header);
            }
        }
        Ok(headers)
    }
}

/// The credential: from the environment (`ANTHROPIC_API_KEY`,
/// `ANTHROPIC_AUTH_TOKEN`) or the profile (`api_key_env`, `api_key_cmd`,
/// `api_key`, `auth_token_env`), in the order the rules give. A key
/// command runs only when its profile wins, so a password manager is not
/// asked for a key that would not be used.
impl Resolver<'_> {
    fn credential(&mut self) -> Result<Option<Credential>, ConfigError> {
        let api_key_kind = match self.file.auth_header.unwrap_or_default() {
            AuthHeader::XApiKey => CredentialKind::ApiKey,
            AuthHeader::Bearer => CredentialKind::Bearer,
        };
        let file_named = self.file_key_setting()?;
        let env_cred = self.env_credential(api_key_kind);
        let use_file = file_named.is_some() && (self.explicit || env_cred.is_none());
        let credential = if use_file {
            if let Some(env) = &env_cred {
                self.shadowed("API key", &self.file_source(), &env.source.clone());
            }
            self.file_credential(api_key_kind)?
        } else {
            if let (Some(env), Some(setting)) = (&env_cred, file_named) {
                let why = format!(
                    "the environment outranks the config file; pass {} {} to use the profile's {setting}",
                    flags::PROFILE,
                    self.name
                );
                self.warnings.push(format!(
                    "API key: using the {}, not profile `{}`'s {setting} ({why})",
                    env.source, self.name
                ));
            }
            env_cred
        };
        if let Some(warning) = credential.as_ref().and_then(key_shape_warning) {
            self.warnings.push(warning);
        }
        Ok(credential)
    }

    /// Which key setting the profile uses, if any; more than one is an error.
    fn file_key_setting(&self) -> Result<Option<&'static str>, ConfigError> {
        let set: Vec<&'static str> = [
            ("api_key", self.file.api_key.is_some()),
            ("api_key_env", self.file.api_key_env.is_some()),
            ("api_key_cmd", self.file.api_key_cmd.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name)
        .collect();
        if set.len() > 1 {
            return Err(ConfigError::ConflictingKeySettings {
                path: self.path.to_path_buf(),
                profile: self.name.to_owned(),
                fields: set,
            });
        }
        Ok(set
            .first()
            .copied()
            .or(self.file.auth_token_env.as_ref().map(|_| "auth_token_env")))
    }

    fn env_credential(&mut self, api_key_kind: CredentialKind) -> Option<Credential> {
        let key = self.env.non_empty(env_names::API_KEY);
        let token = self.env.non_empty(env_names::AUTH_TOKEN);
        if key.is_some() && token.is_some() {
            self.warnings.push(both_credentials_warning());
        }
        match (key, token) {
            (Some(key), _) => Some(Credential {
                kind: api_key_kind,
                secret: Secret::new(key),
                source: Source::Env(env_names::API_KEY.to_owned()),
            }),
            (None, Some(token)) => Some(Credential {
                kind: CredentialKind::Bearer,
                secret: Secret::new(token),
                source: Source::Env(env_names::AUTH_TOKEN.to_owned()),
            }),
            (None, None) => None,
        }
    }

    fn file_credential(
        &mut self,
        api_key_kind: CredentialKind,
    ) -> Result<Option<Credential>, ConfigError> {
        let file = self.file;
        if let Some(var) = &file.api_key_env {
            return self
                .key_from_env_var(var, "api_key_env", api_key_kind)
                .map(Some);
        }
        if let Some(command) = &file.api_key_cmd {
            let masked = redact_text(command).into_owned();
            let key =
                run_key_command(command, self.env, KEY_COMMAND_TIMEOUT).map_err(|failure| {
                    ConfigError::KeyCommand {
                        command: masked.clone(),
                        profile: self.name.to_owned(),
                        problem: failure.0,
                    }
                })?;
            return Ok(Some(Credential {
                kind: api_key_kind,
                secret: Secret::new(key),
                source: Source::Command(masked),
            }));
        }
        if let Some(key) = &file.api_key {
            self.warn_if_readable();
            return Ok(Some(Credential {
                kind: api_key_kind,
                secret: Secret::new(key.clone()),
                source: self.file_source(),
            }));
        }
        match &file.auth_token_env {
            Some(var) => self
                .key_from_env_var(var, "auth_token_env", CredentialKind::Bearer)
                .map(Some),
            None => Ok(None),
        }
    }

    fn key_from_env_var(
        &self,
        var: &str,
        setting: &'static str,
        kind: CredentialKind,
    ) -> Result<Credential, ConfigError> {
        let value = self
            .env
            .non_empty(var)
            .ok_or_else(|| ConfigError::KeyEnvMissing {
                path: self.path.to_path_buf(),
                profile: self.name.to_owned(),
                setting,
                var: var.to_owned(),
            })?;
        Ok(Credential {
            kind,
            secret: Secret::new(value),
            source: Source::Env(var.to_owned()),
        })
    }

    fn warn_if_readable(&mut self) {
        if let Some(mode) = file::readable_by_others(self.path) {
            self.warnings.push(format!(
                "{} holds a plain-text API key and is readable by others (mode {mode:o}); run `chmod 600 {}`, or use api_key_env / api_key_cmd instead",
                self.path.display(),
                file::shell_quote(self.path)
            ));
        }
    }
}

/// The warning for a base URL that ends with `/v1` (the engine adds
/// `/v1/messages`, so the path doubles). Shared with the doctor, which
/// shows it as a finding instead of repeating it.
pub(crate) fn v1_suffix_warning(url: &Sourced<String>) -> Option<String> {
    url.value.trim_end_matches('/').ends_with("/v1").then(|| {
        format!(
            "the base URL `{}` (from the {}) ends with /v1, so requests go to …/v1/v1/messages; drop the /v1",
            super::display_url(&url.value),
            url.source
        )
    })
}

/// The warning for both credential variables being set.
pub(crate) fn both_credentials_warning() -> String {
    format!(
        "both {} and {} are set; claudetui sends the API key (Claude Code would send both and warn about an auth conflict); unset one",
        env_names::API_KEY,
        env_names::AUTH_TOKEN
    )
}

/// A copy-paste mistake in a key that the API will reject. The key is sent
/// as given (to reproduce what an app does); the warning says what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShape {
    TrailingNewline,
    LineBreak,
    SurroundingSpaces,
    Quoted,
}

impl KeyShape {
    /// What is wrong, as the end of a sentence about the key.
    pub fn describe(self) -> &'static str {
        match self {
            KeyShape::TrailingNewline => "ends with a newline",
            KeyShape::LineBreak => "contains a line break",
            KeyShape::SurroundingSpaces => "has spaces around it",
            KeyShape::Quoted => "is wrapped in quotes",
        }
    }
}

/// The first copy-paste mistake in `key`, if any.
pub fn key_shape(key: &str) -> Option<KeyShape> {
    if key.ends_with('\n') || key.ends_with('\r') {
        Some(KeyShape::TrailingNewline)
    } else if key.contains('\n') || key.contains('\r') {
        Some(KeyShape::LineBreak)
    } else if key.trim() != key {
        Some(KeyShape::SurroundingSpaces)
    } else if key.starts_with(['"', '\'']) || key.ends_with(['"', '\'']) {
        Some(KeyShape::Quoted)
    } else {
        None
    }
}

/// The warning resolution gives for a misshapen key (masked, never whole).
pub(crate) fn key_shape_warning(credential: &Credential) -> Option<String> {
    key_shape(credential.secret.expose()).map(|problem| {
        format!(
            "the key from the {} ({}) {}; the API will reject it. Set it again without that",
            credential.source,
            credential.secret.masked(),
            problem.describe()
        )
    })
}
