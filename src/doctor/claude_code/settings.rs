//! Reading Claude Code's own files and working out the environment it will
//! run with. Pure apart from reading three small files; no network.
//!
//! - `~/.claude.json`: only `hasCompletedOnboarding` matters here. While it
//!   is not `true`, Claude Code runs its first-start connectivity check.
//! - `~/.claude/settings.json` and the project's `.claude/settings.json`:
//!   their `env` blocks override the shell's environment (ANTHROPIC.md).
//!   Where both set a variable, the project's wins, as the more specific
//!   file.
//!
//! A file that is not valid JSON is reported with its line and column and
//! left out; the rest still counts.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{Env, Secret, display_url, parse_custom_headers};
use crate::store::redact::redact_text;

/// Claude Code's global state file, in the home directory.
pub const GLOBAL_CONFIG: &str = ".claude.json";
/// The settings file, under the home directory (user) or a project.
pub const SETTINGS: &str = ".claude/settings.json";
/// The key in [`GLOBAL_CONFIG`] that ends the first-start check.
pub const ONBOARDING_KEY: &str = "hasCompletedOnboarding";

/// The variables Claude Code reads, as ANTHROPIC.md lists them.
pub mod names {
    pub const BASE_URL: &str = "ANTHROPIC_BASE_URL";
    pub const API_KEY: &str = "ANTHROPIC_API_KEY";
    pub const AUTH_TOKEN: &str = "ANTHROPIC_AUTH_TOKEN";
    pub const CUSTOM_HEADERS: &str = "ANTHROPIC_CUSTOM_HEADERS";
    pub const MODEL: &str = "ANTHROPIC_MODEL";
    pub const SMALL_FAST_MODEL: &str = "ANTHROPIC_SMALL_FAST_MODEL";
    pub const HTTPS_PROXY: &str = "HTTPS_PROXY";
    pub const HTTP_PROXY: &str = "HTTP_PROXY";
    pub const NO_PROXY: &str = "NO_PROXY";
    pub const EXTRA_CA_CERTS: &str = "NODE_EXTRA_CA_CERTS";
    pub const USE_BEDROCK: &str = "CLAUDE_CODE_USE_BEDROCK";
    pub const USE_VERTEX: &str = "CLAUDE_CODE_USE_VERTEX";
    pub const DISABLE_NONESSENTIAL: &str = "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC";

    pub const ALL: [&str; 13] = [
        BASE_URL,
        API_KEY,
        AUTH_TOKEN,
        CUSTOM_HEADERS,
        MODEL,
        SMALL_FAST_MODEL,
        HTTPS_PROXY,
        HTTP_PROXY,
        NO_PROXY,
        EXTRA_CA_CERTS,
        USE_BEDROCK,
        USE_VERTEX,
        DISABLE_NONESSENTIAL,
    ];

    /// Lower-case proxy spellings many tools honour; ANTHROPIC.md lists only
    /// the upper-case ones for Claude Code, so these are only pointed out.
    pub const LOWER_CASE_PROXIES: [(&str, &str); 3] = [
        ("https_proxy", HTTPS_PROXY),
        ("http_proxy", HTTP_PROXY),
        ("no_proxy", NO_PROXY),
    ];
}

/// True when any of Claude Code's files exists: `~/.claude.json`,
/// `~/.claude/settings.json` or `<project>/.claude/settings.json`. The
/// doctor runs the Claude Code step on its own when this holds.
pub fn claude_code_detected(home: &Path, project: &Path) -> bool {
    [
        home.join(GLOBAL_CONFIG),
        home.join(SETTINGS),
        project.join(SETTINGS),
    ]
    .iter()
    .any(|path| path.is_file())
}

/// Where a setting came from, lowest precedence first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    Shell,
    UserSettings(PathBuf),
    ProjectSettings(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Shell => f.write_str("the shell environment"),
            Origin::UserSettings(path) | Origin::ProjectSettings(path) => {
                write!(f, "the env block of {}", path.display())
            }
        }
    }
}

/// One file, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub enum FileRead<T> {
    Missing,
    /// It exists but could not be read (permissions, a directory, …).
    Unreadable(String),
    /// Not JSON; `line` and `column` are 1-based, as serde_json gives them.
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not an object (what the top level is instead).
    NotAnObject(&'static str),
    Read(T),
}

impl<T> FileRead<T> {
    pub fn read(&self) -> Option<&T> {
        match self {
            FileRead::Read(value) => Some(value),
            _ => None,
        }
    }
}

/// A file and what reading it gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub path: PathBuf,
    pub read: FileRead<T>,
}

/// What `hasCompletedOnboarding` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Onboarding {
    Completed,
    /// The key is absent (or the file is, or could not be read).
    NotSet,
    /// Present but not `true`: the value as JSON text (`false`, `"true"`).
    Other(String),
}

impl Onboarding {
    pub fn is_completed(&self) -> bool {
        *self == Onboarding::Completed
    }
}

/// What `~/.claude.json` holds that decides how Claude Code starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalState {
    pub onboarding: Onboarding,
    /// `customApiKeyResponses`: the last 20 characters of each key the
    /// user answered at Claude Code's "use this API key?" prompt. Held as
    /// secrets: 20 characters of a key are too many to show.
    pub approved: Vec<Secret>,
    pub rejected: Vec<Secret>,
}

/// How many trailing characters of a key `customApiKeyResponses` keeps.
pub const KEY_RESPONSE_CHARS: usize = 20;

impl GlobalState {
    /// The answer the user gave for `key`, if any: `Some(true)` approved,
    /// `Some(false)` declined.
    pub fn key_response(&self, key: &str) -> Option<bool> {
        let tail: String = {
            let chars: Vec<char> = key.chars().collect();
            chars[chars.len().saturating_sub(KEY_RESPONSE_CHARS)..]
                .iter()
                .collect()
        };
        let listed = |list: &[Secret]| list.iter().any(|s| s.expose() == tail);
        if listed(&self.rejected) {
            Some(false)
        } else if listed(&self.approved) {
            Some(true)
        } else {
            None
        }
    }
}

/// The string values of a settings file's `env` block, and what was
/// wrong with the rest of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvBlock {
    pub vars: Vec<(String, String)>,
    pub problems: Vec<String>,
}

impl EnvBlock {
    fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Claude Code's three files.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaudeFiles {
    pub global: Located<GlobalState>,
    pub user: Located<EnvBlock>,
    /// `None` when the project's settings file is the user's (the project
    /// directory is the home directory).
    pub project: Option<Located<EnvBlock>>,
}

impl ClaudeFiles {
    pub fn read(home: &Path, project: &Path) -> ClaudeFiles {
        let global = home.join(GLOBAL_CONFIG);
        let user = home.join(SETTINGS);
        let project_file = project.join(SETTINGS);
        let same = same_file(&user, &project_file);
        ClaudeFiles {
            global: Located {
                read: read_json(&global).map(|v| global_state(&v)),
                path: global,
            },
            user: Located {
                read: read_json(&user).map(|v| env_block(&v)),
                path: user,
            },
            project: (!same).then(|| Located {
                read: read_json(&project_file).map(|v| env_block(&v)),
                path: project_file,
            }),
        }
    }

    /// `hasCompletedOnboarding` as Claude Code would find it.
    pub fn onboarding(&self) -> Onboarding {
        self.global
            .read
            .read()
            .map(|g| g.onboarding.clone())
            .unwrap_or(Onboarding::NotSet)
    }

    /// The user's answer for `key` at Claude Code's key prompt.
    pub fn key_response(&self, key: &str) -> Option<bool> {
        self.global.read.read().and_then(|g| g.key_response(key))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

impl FileRead<Value> {
    fn map<T>(self, f: impl FnOnce(Value) -> T) -> FileRead<T> {
        match self {
            FileRead::Read(value) => FileRead::Read(f(value)),
            FileRead::Missing => FileRead::Missing,
            FileRead::Unreadable(why) => FileRead::Unreadable(why),
            FileRead::Malformed {
                line,
                column,
                message,
            } => FileRead::Malformed {
                line,
                column,
                message,
            },
            FileRead::NotAnObject(what) => FileRead::NotAnObject(what),
        }
    }
}

/// Reads a JSON object from `path`.
fn read_json(path: &Path) -> FileRead<Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return FileRead::Missing,
        Err(e) => return FileRead::Unreadable(e.to_string()),
    };
    parse_json(&text)
}

/// Parses a JSON object; the error keeps serde_json's line and column.
pub fn parse_json(text: &str) -> FileRead<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => FileRead::Read(value),
        Ok(other) => FileRead::NotAnObject(json_kind(&other)),
        Err(error) => FileRead::Malformed {
            line: error.line(),
            column: error.column(),
            message: without_position(&error.to_string()),
        },
    }
}

/// serde_json ends its messages with " at line L column C"; the report
/// states the position itself.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn global_state(config: &Value) -> GlobalState {
    let list = |name: &str| -> Vec<Secret> {
        config
            .pointer(&format!("/customApiKeyResponses/{name}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(Secret::new)
            .collect()
    };
    GlobalState {
        onboarding: onboarding(config),
        approved: list("approved"),
        rejected: list("rejected"),
    }
}

fn onboarding(config: &Value) -> Onboarding {
    match config.get(ONBOARDING_KEY) {
        None => Onboarding::NotSet,
        Some(Value::Bool(true)) => Onboarding::Completed,
        Some(other) => Onboarding::Other(other.to_string()),
    }
}

fn env_block(settings: &Value) -> EnvBlock {
    let mut block = EnvBlock::default();
    let Some(env) = settings.get("env") else {
        return block;
    };
    let Some(env) = env.as_object() else {
        block.problems.push(format!(
            "`env` is {}, not an object of NAME: \"value\" pairs, so none of it is applied",
            json_kind(env)
        ));
        return block;
    };
    for (name, value) in env {
        match value {
            Value::String(text) => block.vars.push((name.clone(), text.clone())),
            other => block.problems.push(format!(
                "env.{} is {}, not a string, so claudetui leaves it out (write it in quotes)",
                redact_text(name),
                json_kind(other)
            )),
        }
    }
    block
}

/// One variable as Claude Code will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// Empty means set to nothing: the variable counts as unset.
    pub value: String,
    pub origin: Origin,
    /// Lower-precedence places that set it too, with a different value.
    pub overrides: Vec<(Origin, String)>,
}

impl Setting {
    /// The value as it may be shown (keys masked, URL passwords masked,
    /// header values left out).
    pub fn shown(&self) -> String {
        shown(self.name, &self.value)
    }

    /// `NAME from ORIGIN`, and what it overrides.
    pub fn attribution(&self) -> String {
        let mut text = format!("{} from {}", self.name, self.origin);
        for (origin, value) in &self.overrides {
            let value = if value.is_empty() {
                "an empty value".to_owned()
            } else {
                shown(self.name, value)
            };
            text.push_str(&format!("; overrides {origin}'s {value}"));
        }
        text
    }
}

/// A value of `name` as it may be shown.
pub fn shown(name: &str, value: &str) -> String {
    match name {
        names::API_KEY | names::AUTH_TOKEN => Secret::new(value).masked(),
        names::CUSTOM_HEADERS => {
            let (headers, _) = parse_custom_headers(value);
            let names: Vec<&str> = headers.iter().map(|h| h.name.as_str()).collect();
            format!("headers {} (values not shown)", names.join(", "))
        }
        names::BASE_URL | names::HTTPS_PROXY | names::HTTP_PROXY => display_url(value),
        _ => redact_text(value).into_owned(),
    }
}

/// The environment Claude Code runs with: every variable it reads, from
/// the project's settings, the user's settings or the shell, in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    settings: Vec<Setting>,
    /// Lower-case proxy variables set where the upper-case one is not.
    pub lower_case_only: Vec<(&'static str, &'static str, Origin)>,
}

impl Effective {
    pub fn resolve(shell: &Env, files: &ClaudeFiles) -> Effective {
        let mut places = vec![(Origin::Shell, Place::Shell(shell))];
        if let Some(block) = files.user.read.read() {
            places.push((
                Origin::UserSettings(files.user.path.clone()),
                Place::Block(block),
            ));
        }
        if let Some(project) = &files.project
            && let Some(block) = project.read.read()
        {
            places.push((
                Origin::ProjectSettings(project.path.clone()),
                Place::Block(block),
            ));
        }
        let mut effective = Effective::default();
        for name in names::ALL {
            let found: Vec<(Origin, String)> = places
                .iter()
                .filter_map(|(origin, place)| {
                    place.get(name).map(|v| (origin.clone(), v.to_owned()))
                })
                .collect();
            if let Some(setting) = winner(name, found) {
                effective.settings.push(setting);
            }
        }
        for (lower, upper) in names::LOWER_CASE_PROXIES {
            let lower_at = places.iter().rev().find_map(|(origin, place)| {
                place
                    .get(lower)
                    .filter(|v| !v.is_empty())
                    .map(|_| origin.clone())
            });
            if let Some(origin) = lower_at
                && effective.value(upper).is_none()
            {
                effective.lower_case_only.push((lower, upper, origin));
            }
        }
        effective
    }

    /// The variable, when it is set to something non-empty.
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .find(|s| s.name == name && !s.value.is_empty())
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|s| s.value.as_str())
    }
}

/// Where variables are looked up.
enum Place<'a> {
    Shell(&'a Env),
    Block(&'a EnvBlock),
}

impl Place<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        match self {
            Place::Shell(env) => env.get(name),
            Place::Block(block) => block.get(name),
        }
    }
}

/// The highest-precedence place that sets `name` (`found` is lowest
/// first), with the places it overrides.
fn winner(name: &'static str, mut found: Vec<(Origin, String)>) -> Option<Setting> {
    let (origin, value) = found.pop()?;
    let overrides = found
        .into_iter()
        .rev()
        .filter(|(_, v)| *v != value)
        .collect();
    Some(Setting {
        name,
        value,
        origin,
        overrides,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-SettingsTestKey-0123456789abcdefghijklmn-WXYZ";

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn detection_needs_one_of_the_three_files() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        assert!(!claude_code_detected(home.path(), project.path()));
        std::fs::create_dir_all(home.path().join(".claude")).unwrap();
        assert!(!claude_code_detected(home.path(), project.path()));
        write(&project.path().join(SETTINGS), "{}");
        assert!(claude_code_detected(home.path(), project.path()));
        let other = tempfile::tempdir().unwrap();
        write(&home.path().join(GLOBAL_CONFIG), "{}");
        assert!(claude_code_detected(home.path(), other.path()));
    }

    #[test]
    fn malformed_json_gives_line_and_column() {
        let read = parse_json("{\n  \"env\": {\n    \"A\": \"b\",\n  }\n}");
        match read {
            FileRead::Malformed {
                line,
                column,
                message,
            } => {
                assert_eq!((line, column), (4, 3));
                assert!(!message.contains("at line"), "{message}");
                assert!(message.contains("trailing comma"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_json("[1]"), FileRead::NotAnObject("an array"));
    }

    #[test]
    fn key_responses_match_a_keys_last_20_characters() {
        let config: Value = serde_json::from_str(
            r#"{"customApiKeyResponses": {"approved": ["abcdefghij0123456789"], "rejected": ["ZYXWVUTSRQ9876543210"]}}"#,
        )
        .unwrap();
        let state = global_state(&config);
        assert_eq!(
            state.key_response("sk-ant-api03-xxxxZYXWVUTSRQ9876543210"),
            Some(false)
        );
        assert_eq!(
            state.key_response("sk-ant-api03-yyyyabcdefghij0123456789"),
            Some(true)
        );
        assert_eq!(
            state.key_response("sk-ant-api03-neither-of-them-0000"),
            None
        );
        assert_eq!(state.key_response("short"), None);
        assert!(!format!("{state:?}").contains("ZYXWVUTSRQ"), "{state:?}");
    }

    #[test]
    fn onboarding_is_completed_only_by_true() {
        let table = [
            (r#"{"hasCompletedOnboarding": true}"#, Onboarding::Completed),
            (
                r#"{"hasCompletedOnboarding": false}"#,
                Onboarding::Other("false".into()),
            ),
            (
                r#"{"hasCompletedOnboarding": "true"}"#,
                Onboarding::Other("\"true\"".into()),
            ),
            (r#"{"numStartups": 3}"#, Onboarding::NotSet),
        ];
        for (text, expected) in table {
            let FileRead::Read(value) = parse_json(text) else {
                panic!("{text}")
            };
            assert_eq!(onboarding(&value), expected, "{text}");
        }
    }

    #[test]
    fn env_blocks_keep_strings_and_name_the_rest() {
        let FileRead::Read(value) =
            parse_json(r#"{"env": {"A": "1", "B": 2, "C": true}, "model": "x"}"#)
        else {
            panic!()
        };
        let block = env_block(&value);
        assert_eq!(block.vars, [("A".to_owned(), "1".to_owned())]);
        assert_eq!(block.problems.len(), 2);
        assert!(block.problems[0].contains("env.B is a number"));
        let FileRead::Read(value) = parse_json(r#"{"env": ["A=1"]}"#) else {
            panic!()
        };
        assert!(env_block(&value).problems[0].contains("an array"));
    }

    fn files(home: &Path, project: &Path) -> ClaudeFiles {
        ClaudeFiles::read(home, project)
    }

    #[test]
    fn project_overrides_user_overrides_shell() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        write(
            &home.path().join(SETTINGS),
            &format!(
                r#"{{"env": {{"ANTHROPIC_BASE_URL": "https://user.example", "ANTHROPIC_API_KEY": "{KEY}"}}}}"#
            ),
        );
        write(
            &project.path().join(SETTINGS),
            r#"{"env": {"ANTHROPIC_BASE_URL": "https://project.example"}}"#,
        );
        let shell = Env::from_pairs([
            ("ANTHROPIC_BASE_URL", "https://shell.example"),
            ("ANTHROPIC_MODEL", "claude-shell"),
        ]);
        let effective = Effective::resolve(&shell, &files(home.path(), project.path()));
        let base = effective.get(names::BASE_URL).unwrap();
        assert_eq!(base.value, "https://project.example");
        assert_eq!(
            base.origin,
            Origin::ProjectSettings(project.path().join(SETTINGS))
        );
        let attribution = base.attribution();
        assert!(
            attribution.contains(&format!(
                "overrides the env block of {}'s https://user.example",
                home.path().join(SETTINGS).display()
            )),
            "{attribution}"
        );
        assert!(
            attribution.contains("overrides the shell environment's https://shell.example"),
            "{attribution}"
        );
        let key = effective.get(names::API_KEY).unwrap();
        assert_eq!(key.origin, Origin::UserSettings(home.path().join(SETTINGS)));
        assert_eq!(key.shown(), "sk-ant-…WXYZ");
        assert_eq!(effective.get(names::MODEL).unwrap().origin, Origin::Shell);
    }

    #[test]
    fn an_empty_value_in_settings_unsets_the_shells() {
        let home = tempfile::tempdir().unwrap();
        write(
            &home.path().join(SETTINGS),
            r#"{"env": {"HTTPS_PROXY": ""}}"#,
        );
        let shell = Env::from_pairs([("HTTPS_PROXY", "http://proxy:3128"), ("no_proxy", "x")]);
        let effective = Effective::resolve(&shell, &files(home.path(), home.path()));
        assert_eq!(effective.value(names::HTTPS_PROXY), None);
        let all = &effective.settings;
        assert!(all[0].attribution().contains("http://proxy:3128"));
        assert_eq!(effective.lower_case_only.len(), 1);
        assert_eq!(effective.lower_case_only[0].0, "no_proxy");
    }

    #[test]
    fn a_malformed_settings_file_is_left_out() {
        let home = tempfile::tempdir().unwrap();
        write(
            &home.path().join(SETTINGS),
            "{\"env\": {\"ANTHROPIC_MODEL\": }",
        );
        let files = files(home.path(), home.path());
        assert!(files.project.is_none(), "the same file is read once");
        assert!(matches!(
            files.user.read,
            FileRead::Malformed { line: 1, .. }
        ));
        let shell = Env::from_pairs([("ANTHROPIC_MODEL", "m")]);
        let effective = Effective::resolve(&shell, &files);
        assert_eq!(effective.get(names::MODEL).unwrap().origin, Origin::Shell);
        assert_eq!(files.onboarding(), Onboarding::NotSet);
    }

    #[test]
    fn shown_values_hold_no_secret() {
        assert_eq!(shown(names::AUTH_TOKEN, "gw-token-0123456789"), "…6789");
        let headers = shown(names::CUSTOM_HEADERS, "x-team: a\nx-gw-token: secret-value");
        assert_eq!(headers, "headers x-team, x-gw-token (values not shown)");
        assert_eq!(
            shown(names::HTTPS_PROXY, "http://bob:hunter2@proxy:3128"),
            "http://bob:…@proxy:3128"
        );
    }
}
