//! The TOML config file: its shape, reading it, and saying exactly where it
//! is wrong.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::ConfigError;
use crate::store::redact::redact_text;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub active_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    /// `[keys]`: action name → one key or a list of keys.
    #[serde(default)]
    pub keys: BTreeMap<String, KeySetting>,
}

/// `send = "f5"` or `send = ["ctrl-s", "f5"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum KeySetting {
    One(String),
    Many(Vec<String>),
}

/// One `[profiles.NAME]` table. Its `Debug` names the settings that are
/// present, never their values: `api_key` and `headers` may hold secrets.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileConfig {
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_cmd: Option<String>,
    pub api_key: Option<String>,
    pub auth_token_env: Option<String>,
    pub auth_header: Option<AuthHeader>,
    pub anthropic_version: Option<String>,
    pub anthropic_beta: Option<Vec<String>>,
    pub default_model: Option<String>,
    pub timeout_secs: Option<u64>,
    pub proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub headers: Option<BTreeMap<String, String>>,
}

impl std::fmt::Debug for ProfileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = [
            ("base_url", self.base_url.is_some()),
            ("api_key_env", self.api_key_env.is_some()),
            ("api_key_cmd", self.api_key_cmd.is_some()),
            ("api_key", self.api_key.is_some()),
            ("auth_token_env", self.auth_token_env.is_some()),
            ("auth_header", self.auth_header.is_some()),
            ("anthropic_version", self.anthropic_version.is_some()),
            ("anthropic_beta", self.anthropic_beta.is_some()),
            ("default_model", self.default_model.is_some()),
            ("timeout_secs", self.timeout_secs.is_some()),
            ("proxy", self.proxy.is_some()),
            ("no_proxy", self.no_proxy.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("headers", self.headers.is_some()),
        ];
        let names: Vec<&str> = set
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        f.debug_struct("ProfileConfig")
            .field("set", &names)
            .finish()
    }
}

/// How a profile sends an API key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum AuthHeader {
    #[default]
    #[serde(rename = "x-api-key")]
    XApiKey,
    #[serde(rename = "bearer")]
    Bearer,
}

/// Reads and parses the file; `Ok(None)` when it does not exist.
pub(crate) fn load(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The names of the profiles the config file defines (empty when there is
/// no file), for profile pickers and the doctor.
pub fn profile_names(path: &Path) -> Result<Vec<String>, ConfigError> {
    Ok(load(path)?
        .map(|file| file.profiles.into_keys().collect())
        .unwrap_or_default())
}

/// The `[keys]` table of the config file (empty when there is no file or
/// no table), each action with its list of keys. Checking the names and
/// keys is the keymap's job.
pub fn key_settings(path: &Path) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    let keys = load(path)?.map(|file| file.keys).unwrap_or_default();
    Ok(keys
        .into_iter()
        .map(|(action, setting)| {
            let keys = match setting {
                KeySetting::One(key) => vec![key],
                KeySetting::Many(keys) => keys,
            };
            (action, keys)
        })
        .collect())
}

pub(crate) fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    // Parsing the document first tells a syntax error (no tree to walk) from
    // a shape error (the tree tells which key is wrong).
    let tree = match DeTable::parse(text) {
        Ok(tree) => tree,
        Err(e) => {
            let span = e.span();
            let key = span.as_ref().and_then(|s| key_on_line(text, s.start));
            return Err(parse_error(text, path, span, key, e.message()));
        }
    };
    toml::from_str(text).map_err(|e| {
        let span = e.span();
        let from_tree = span
            .as_ref()
            .and_then(|s| key_path_at(tree.get_ref(), s.start));
        let from_line = span.as_ref().and_then(|s| key_on_line(text, s.start));
        // The tree holds one of two duplicate keys, so for a duplicate it
        // only finds the enclosing table; the line then names the key.
        let key = match (from_tree, from_line) {
            (Some(tree), Some(line))
                if !span.as_ref().is_some_and(|s| on_header_line(text, s.start))
                    && line.starts_with(&format!("{tree}.")) =>
            {
                Some(line)
            }
            (tree, line) => tree.or(line),
        };
        parse_error(text, path, span, key, e.message())
    })
}

fn parse_error(
    text: &str,
    path: &Path,
    span: Option<Range<usize>>,
    key: Option<String>,
    message: &str,
) -> ConfigError {
    let (line, column) = line_column(text, span.map_or(0, |s| s.start));
    // toml's messages quote the offending value, which may be a key put in
    // the wrong place; its Display also prints the whole source line, which
    // is why only `message()` is used.
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        key: key.map(|k| redact_text(&k).into_owned()),
        message: redact_text(message).into_owned(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The dotted path of the key whose name or value covers `offset`.
fn key_path_at(table: &DeTable<'_>, offset: usize) -> Option<String> {
    let mut path = Vec::new();
    find_in_table(table, offset, &mut path).then(|| path.join("."))
}

fn find_in_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table.iter() {
        path.push(key.get_ref().to_string());
        // The key itself first (an unknown field points at its name); then
        // the body, because header tables (`[profiles.work]`) have spans
        // that do not cover it; then the value's own span.
        if key.span().contains(&offset)
            || find_in_value(value.get_ref(), offset, path)
            || value.span().contains(&offset)
        {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(value: &DeValue<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    if let Some(table) = value.as_table() {
        return find_in_table(table, offset, path);
    }
    if let Some(array) = value.as_array() {
        for (index, item) in array.iter().enumerate() {
            path.push(index.to_string());
            if find_in_value(item.get_ref(), offset, path) || item.span().contains(&offset) {
                return true;
            }
            path.pop();
        }
    }
    false
}

/// For a syntax error there is no tree: name the key from the text, as the
/// last `[table]` header above the error plus the key before `=` on the
/// error's line. Returns `None` when the line has no `key =` before the
/// error (the line may be a stray secret; it is never echoed).
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(text, offset);
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next().unwrap_or_default();
    let column = offset - line_start;
    let header = text
        .get(..line_start)
        .unwrap_or_default()
        .lines()
        .rev()
        .map(str::trim)
        .find_map(table_header);
    let own_header = table_header(line.trim());
    let key = match own_header {
        Some(h) => Some(h.to_string()),
        // The key before the error; an error at the key itself (a
        // duplicate) has nothing before it, so the whole line names it.
        None => line
            .get(..column.min(line.len()))
            .filter(|head| head.contains('='))
            .or(Some(line))
            .and_then(|head| head.split_once('='))
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.is_empty()),
    };
    match (header, own_header, key) {
        (_, Some(_), key) => key,
        (Some(header), None, Some(key)) => Some(format!("{header}.{key}")),
        (None, None, Some(key)) => Some(key),
        (Some(header), None, None) => Some(header.to_string()),
        (None, None, None) => None,
    }
}

/// Whether the line holding `offset` is a `[table]` header.
fn on_header_line(text: &str, offset: usize) -> bool {
    let offset = floor_char_boundary(text, offset);
    let line_start = text
        .get(..offset)
        .unwrap_or_default()
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text
        .get(line_start..)
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default();
    table_header(line.trim()).is_some()
}

fn table_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?;
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    let end = inner.find(']')?;
    inner.get(..end).map(str::trim)
}

/// Whether group or others may read the file (unix mode & 0o077).
#[cfg(unix)]
pub(crate) fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
pub(crate) fn readable_by_others(_path: &Path) -> Option<u32> {
    None
}

/// A path quoted for a POSIX shell when it needs it.
pub(crate) fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-~+".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, usize, Option<String>, String) {
        match parse(text, Path::new("/cfg.toml")) {
            Err(ConfigError::Parse {
                line,
                column,
                key,
                message,
                ..
            }) => (line, column, key, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_column("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_column("ab\ncdé\nf", 8), (3, 1));
        assert_eq!(line_column("ab\ncdé\nf", 7), (2, 4));
        // inside a multi-byte char, past the end: no panic
        assert_eq!(line_column("é", 1), (1, 1));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let table = [
            (
                "[profiles.a]\nbogus = 1\n",
                2,
                1,
                "profiles.a.bogus",
                "unknown field `bogus`",
            ),
            (
                "[profiles.a]\ntimeout_secs = \"ten\"\n",
                2,
                16,
                "profiles.a.timeout_secs",
                "expected u64",
            ),
            (
                "[profiles]\na.timeout_secs = -1\n",
                2,
                18,
                "profiles.a.timeout_secs",
                "-1",
            ),
            (
                "[profiles.a]\nauth_header = \"basic\"\n",
                2,
                15,
                "profiles.a.auth_header",
                "`bearer`",
            ),
            (
                "[profiles.a]\nheaders = { x-a = 1 }\n",
                2,
                19,
                "profiles.a.headers.x-a",
                "expected a string",
            ),
            (
                "[profiles.a]\nanthropic_beta = [\"a\",\n 2]\n",
                3,
                2,
                "profiles.a.anthropic_beta.1",
                "expected a string",
            ),
            (
                "[profile.a]\nx = 1\n",
                1,
                2,
                "profile",
                "unknown field `profile`",
            ),
            (
                "active_profile = 3\n",
                1,
                18,
                "active_profile",
                "expected a string",
            ),
            (
                "[profiles.a]\nbase_url = \"x\"\nbase_url = \"y\"\n",
                3,
                1,
                "profiles.a.base_url",
                "duplicate key",
            ),
            (
                "[profiles.a]\nbase_url = https://x\n",
                2,
                12,
                "profiles.a.base_url",
                "quoted",
            ),
        ];
        for (text, line, column, key, message) in table {
            let got = err(text);
            assert_eq!((got.0, got.1), (line, column), "{text:?}: {got:?}");
            assert_eq!(got.2.as_deref(), Some(key), "{text:?}");
            assert!(got.3.contains(message), "{text:?}: {}", got.3);
        }
    }

    #[test]
    fn a_stray_line_is_not_echoed_as_a_key() {
        let got = err("[profiles.a]\nsk-ant-api03-SECRETSECRET-zzzz\n");
        let shown = format!("{got:?}");
        assert!(!shown.contains("SECRETSECRET"), "{shown}");
    }

    #[test]
    fn shell_quote_quotes_only_when_needed() {
        assert_eq!(shell_quote(Path::new("/a/b.toml")), "/a/b.toml");
        assert_eq!(shell_quote(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }
}
