//! Scenarios: what the embedded server injects. A scenario is a small TOML
//! file (`assets/scenarios/*.toml`, embedded in the binary) naming the rate
//! limits, the pacing of replies, how keys are judged, and a list of faults
//! with their triggers. `Scenario::load` takes a built-in name or a path.

use std::path::Path;

use serde::Deserialize;

/// The built-in scenarios, in the order `claudetui mock --help` lists them.
const BUILTINS: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../assets/scenarios/default.toml"),
    ),
    ("lively", include_str!("../../assets/scenarios/lively.toml")),
    (
        "rate-limited",
        include_str!("../../assets/scenarios/rate-limited.toml"),
    ),
    (
        "overloaded",
        include_str!("../../assets/scenarios/overloaded.toml"),
    ),
    (
        "server-error",
        include_str!("../../assets/scenarios/server-error.toml"),
    ),
    (
        "stream-error",
        include_str!("../../assets/scenarios/stream-error.toml"),
    ),
    (
        "slow-first-byte",
        include_str!("../../assets/scenarios/slow-first-byte.toml"),
    ),
    (
        "drop-mid-stream",
        include_str!("../../assets/scenarios/drop-mid-stream.toml"),
    ),
    (
        "region-block",
        include_str!("../../assets/scenarios/region-block.toml"),
    ),
    (
        "credit-balance",
        include_str!("../../assets/scenarios/credit-balance.toml"),
    ),
    (
        "invalid-key",
        include_str!("../../assets/scenarios/invalid-key.toml"),
    ),
    (
        "picky-gateway",
        include_str!("../../assets/scenarios/picky-gateway.toml"),
    ),
    (
        CLAUDE_CODE_GATEWAY,
        include_str!("../../assets/scenarios/claude-code-gateway.toml"),
    ),
    (
        "tight-limits",
        include_str!("../../assets/scenarios/tight-limits.toml"),
    ),
    ("flaky", include_str!("../../assets/scenarios/flaky.toml")),
    (
        "tool-use",
        include_str!("../../assets/scenarios/tool-use.toml"),
    ),
];

/// The built-in whose refusals come from [`crate::api::claude_code`].
const CLAUDE_CODE_GATEWAY: &str = "claude-code-gateway";

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("unknown scenario `{name}`: use one of {known}, or the path of a .toml file")]
    Unknown { name: String, known: String },
    #[error("could not read scenario file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("scenario {origin} is not valid: {detail}")]
    Invalid { origin: String, detail: String },
}

/// Everything the embedded server needs to know to play a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub limits: Limits,
    pub pacing: Pacing,
    pub auth: AuthMode,
    /// Faults also hit `POST /v1/messages/count_tokens` (sharing its request count).
    pub faults_on_count_tokens: bool,
    /// Seeds the generator behind `probability` triggers, so a run is repeatable.
    pub seed: u64,
    /// Checked in order; the first whose trigger fires is injected.
    pub faults: Vec<Fault>,
    /// `anthropic-beta` values refused with a 400, as a gateway that does
    /// not know them answers (compared case-insensitively).
    pub reject_betas: Vec<String>,
    /// Top-level body fields refused with a 400 `Extra inputs are not
    /// permitted`, as a gateway that does not forward them answers.
    pub reject_fields: Vec<String>,
    /// When a reply to `tool_choice` auto (or none given) calls a tool.
    pub auto_tool_calls: AutoToolCalls,
}

/// Whether a reply with `tool_choice` auto (the default) calls a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AutoToolCalls {
    /// Only a tool the user's prompt asks for by name: an agent really runs
    /// what is called, so the server never calls one on its own initiative.
    #[default]
    WhenNamed,
    /// Every time tools are offered: the one the prompt names, else the
    /// first (a turn of tool results is still answered in text).
    Always,
}

/// Per-minute budgets of the token-bucket model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub requests_per_minute: u64,
    pub input_tokens_per_minute: u64,
    pub output_tokens_per_minute: u64,
}

/// One of the per-minute budgets, as a 429 names it and as the
/// `anthropic-ratelimit-*` header family that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitName {
    Requests,
    InputTokens,
    OutputTokens,
}

impl LimitName {
    /// As the API's message says it: `50 requests per minute`.
    pub fn unit(self) -> &'static str {
        match self {
            LimitName::Requests => "requests",
            LimitName::InputTokens => "input tokens",
            LimitName::OutputTokens => "output tokens",
        }
    }

    /// The header family, `anthropic-ratelimit-requests` and so on.
    pub fn header_prefix(self) -> &'static str {
        match self {
            LimitName::Requests => "anthropic-ratelimit-requests",
            LimitName::InputTokens => "anthropic-ratelimit-input-tokens",
            LimitName::OutputTokens => "anthropic-ratelimit-output-tokens",
        }
    }

    /// This budget's size in `limits`.
    pub fn per_minute(self, limits: &Limits) -> u64 {
        match self {
            LimitName::Requests => limits.requests_per_minute,
            LimitName::InputTokens => limits.input_tokens_per_minute,
            LimitName::OutputTokens => limits.output_tokens_per_minute,
        }
    }
}

/// How fast replies arrive, before `MockConfig::speed` scales it.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pacing {
    /// Delay before the response headers of every reply.
    pub first_byte_ms: u64,
    /// Generation speed of streamed (and non-streamed) replies; 0 = instant.
    pub tokens_per_second: f64,
    /// A `ping` event is sent at least this often during a stream.
    pub ping_interval_ms: u64,
}

/// How credentials are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Any non-empty `x-api-key` or `Authorization: Bearer` is accepted.
    AnyKey,
    /// Every credential is refused with 401 `invalid x-api-key`.
    RejectAll,
}

/// One fault: when it fires and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub trigger: Trigger,
    pub kind: FaultKind,
}

/// When a fault fires. Requests are numbered from 1 in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Requests `offset`, `offset + every`, … (`every`, `2·every`, … when
    /// `offset` is 0).
    Every { every: u64, offset: u64 },
    /// Exactly these request numbers.
    At(Vec<u64>),
    /// Each request with this chance, from the scenario's seeded generator.
    Probability(f64),
}

impl Trigger {
    /// True when request number `n` (1-based) is one this trigger names.
    /// `Probability` is decided by the caller's generator, so it is never
    /// true here.
    pub fn matches_number(&self, n: u64) -> bool {
        match self {
            Trigger::Every { every, offset } => {
                *every > 0 && n >= *offset && n > 0 && (n - offset).is_multiple_of(*every)
            }
            Trigger::At(numbers) => numbers.contains(&n),
            Trigger::Probability(_) => false,
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// 429 `rate_limit_error` with `retry-after`, naming `limit`, which
    /// the response's rate-limit headers show at 0.
    RateLimit {
        retry_after_secs: u64,
        limit: LimitName,
    },
    /// 529 `overloaded_error`, with `x-should-retry` when set.
    Overloaded { should_retry: Option<bool> },
    /// 500 `api_error`.
    ServerError,
    /// 200, then an `event: error` (overloaded) after this many events. A
    /// non-streaming request gets a 529 instead.
    StreamError { after_events: u64 },
    /// Hold the response headers back this long, then answer normally.
    SlowFirstByte { delay_ms: u64 },
    /// 200, then the connection is cut after this many events (no
    /// `message_stop`, no clean end of the body).
    DropMidStream { after_events: u64 },
    /// 403 `forbidden` "Request not allowed".
    RegionBlock,
    /// 400 "Your credit balance is too low …".
    CreditBalance,
    /// 401 `invalid x-api-key`.
    InvalidKey,
}

impl FaultKind {
    /// The name used in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimit { .. } => "rate_limit",
            FaultKind::Overloaded { .. } => "overloaded",
            FaultKind::ServerError => "server_error",
            FaultKind::StreamError { .. } => "stream_error",
            FaultKind::SlowFirstByte { .. } => "slow_first_byte",
            FaultKind::DropMidStream { .. } => "drop_mid_stream",
            FaultKind::RegionBlock => "region_block",
            FaultKind::CreditBalance => "credit_balance",
            FaultKind::InvalidKey => "invalid_key",
        }
    }
}

impl Default for Scenario {
    /// The built-in `default` scenario (a test checks the two agree).
    fn default() -> Self {
        Scenario {
            name: "default".into(),
            description: "Healthy: generous limits, light pacing, no faults".into(),
            limits: Limits {
                requests_per_minute: 4000,
                input_tokens_per_minute: 2_000_000,
                output_tokens_per_minute: 400_000,
            },
            pacing: Pacing {
                first_byte_ms: 120,
                tokens_per_second: 250.0,
                ping_interval_ms: 2000,
            },
            auth: AuthMode::AnyKey,
            faults_on_count_tokens: false,
            seed: 1,
            faults: Vec::new(),
            reject_betas: Vec::new(),
            reject_fields: Vec::new(),
            auto_tool_calls: AutoToolCalls::WhenNamed,
        }
    }
}

impl Scenario {
    /// The names `load` accepts without a path.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTINS.iter().map(|(name, _)| *name).collect()
    }

    /// A built-in scenario by name, or a scenario file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILTINS.iter().find(|(name, _)| *name == name_or_path) {
            return Scenario::from_toml(text, name).map(|s| with_data_from_code(name, s));
        }
        let path = Path::new(name_or_path);
        let looks_like_path = name_or_path.contains(['/', '\\']) || name_or_path.ends_with(".toml");
        if !looks_like_path && !path.is_file() {
            return Err(ScenarioError::Unknown {
                name: name_or_path.to_owned(),
                known: Scenario::builtin_names().join(", "),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| name_or_path.to_owned());
        Scenario::from_toml(&text, &stem).map_err(|err| match err {
            ScenarioError::Invalid { detail, .. } => ScenarioError::Invalid {
                origin: path.display().to_string(),
                detail,
            },
            other => other,
        })
    }

    /// Parses scenario TOML; `fallback_name` names it when the file does not.
    pub fn from_toml(text: &str, fallback_name: &str) -> Result<Scenario, ScenarioError> {
        let invalid = |detail: String| ScenarioError::Invalid {
            origin: format!("`{fallback_name}`"),
            detail,
        };
        let file: ScenarioFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        file.into_scenario(fallback_name).map_err(invalid)
    }

    /// One line for `claudetui mock --help` and the demo's status bar.
    pub fn describe(&self) -> String {
        let limits = &self.limits;
        let pace = if self.pacing.tokens_per_second > 0.0 {
            format!("{:.0} tokens/s", self.pacing.tokens_per_second)
        } else {
            "unpaced".to_owned()
        };
        let faults = match self.faults.len() {
            0 => String::new(),
            1 => " · 1 fault".to_owned(),
            n => format!(" · {n} faults"),
        };
        let faults = match (self.reject_betas.len(), self.reject_fields.len()) {
            (0, 0) => faults,
            (betas, fields) => {
                format!("{faults} · refuses {betas} anthropic-beta value(s) and {fields} field(s)")
            }
        };
        format!(
            "{}: {} ({} rpm · {} input / {} output tokens per minute · {pace}{faults})",
            self.name,
            self.description,
            limits.requests_per_minute,
            limits.input_tokens_per_minute,
            limits.output_tokens_per_minute,
        )
    }
}

/// Fills in what a built-in takes from code rather than its file:
/// `claude-code-gateway` refuses a beta value and a field that
/// [`claude_code`] records Claude Code as sending, so the scenario cannot
/// drift from the captured data (and the doctor, which reads the same
/// data, knows the setting that drops both).
fn with_data_from_code(name: &str, mut scenario: Scenario) -> Scenario {
    use crate::api::claude_code;
    if name == CLAUDE_CODE_GATEWAY {
        let (beta, field) = (
            claude_code::PROMPT_CACHING_SCOPE_BETA,
            claude_code::CONTEXT_MANAGEMENT_FIELD,
        );
        scenario.reject_betas = vec![beta.to_owned()];
        scenario.reject_fields = vec![field.to_owned()];
        scenario.description = format!(
            "A gateway that refuses two things Claude Code sends with a 400: the anthropic-beta \
             value {beta} and the {field} field; with {} Claude Code sends neither and works \
             through it",
            claude_code::DISABLE_EXPERIMENTAL_BETAS
        );
    }
    scenario
}

/// The file format; every section is optional and falls back to `default`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: Option<String>,
    #[serde(default)]
    description: String,
    limits: Option<Limits>,
    pacing: Option<Pacing>,
    auth: Option<AuthMode>,
    #[serde(default)]
    faults_on_count_tokens: bool,
    seed: Option<u64>,
    #[serde(default)]
    faults: Vec<FaultFile>,
    #[serde(default)]
    reject_betas: Vec<String>,
    #[serde(default)]
    reject_fields: Vec<String>,
    auto_tool_calls: Option<AutoToolCalls>,
}

/// One `[[faults]]` table: a trigger (`every`/`offset`, `at` or
/// `probability`), a `kind`, and the kind's own settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    kind: String,
    every: Option<u64>,
    offset: Option<u64>,
    at: Option<Vec<u64>>,
    probability: Option<f64>,
    retry_after_secs: Option<u64>,
    limit: Option<LimitName>,
    should_retry: Option<bool>,
    after_events: Option<u64>,
    delay_ms: Option<u64>,
}

impl ScenarioFile {
    fn into_scenario(self, fallback_name: &str) -> Result<Scenario, String> {
        let base = Scenario::default();
        let faults = self
            .faults
            .into_iter()
            .enumerate()
            .map(|(i, fault)| fault.into_fault().map_err(|e| format!("faults[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let limits = self.limits.unwrap_or(base.limits);
        if limits.requests_per_minute == 0
            || limits.input_tokens_per_minute == 0
            || limits.output_tokens_per_minute == 0
        {
            return Err("every value in [limits] must be at least 1".into());
        }
        if let Some(blank) = self
            .reject_betas
            .iter()
            .chain(&self.reject_fields)
            .find(|v| v.trim().is_empty() || v.contains(','))
        {
            return Err(format!(
                "reject_betas and reject_fields take names such as \"files-api-2025-04-14\", not `{blank}`"
            ));
        }
        let pacing = self.pacing.unwrap_or(base.pacing);
        if !pacing.tokens_per_second.is_finite() || pacing.tokens_per_second < 0.0 {
            return Err("pacing.tokens_per_second must be 0 (no pacing) or more".into());
        }
        Ok(Scenario {
            name: self.name.unwrap_or_else(|| fallback_name.to_owned()),
            description: self.description,
            limits,
            pacing,
            auth: self.auth.unwrap_or(base.auth),
            faults_on_count_tokens: self.faults_on_count_tokens,
            seed: self.seed.unwrap_or(base.seed),
            faults,
            reject_betas: self.reject_betas,
            reject_fields: self.reject_fields,
            auto_tool_calls: self.auto_tool_calls.unwrap_or(base.auto_tool_calls),
        })
    }
}

impl FaultFile {
    fn into_fault(self) -> Result<Fault, String> {
        let trigger = self.trigger()?;
        let needs = |value: Option<u64>, field: &str| {
            value.ok_or_else(|| format!("`{}` needs `{field}`", self.kind))
        };
        let kind = match self.kind.as_str() {
            "rate_limit" => FaultKind::RateLimit {
                retry_after_secs: needs(self.retry_after_secs, "retry_after_secs")?,
                // "Number of request tokens has exceeded…": the limit an
                // organisation most often hits.
                limit: self.limit.unwrap_or(LimitName::InputTokens),
            },
            "overloaded" => FaultKind::Overloaded {
                should_retry: self.should_retry,
            },
            "server_error" => FaultKind::ServerError,
            "stream_error" => FaultKind::StreamError {
                after_events: needs(self.after_events, "after_events")?,
            },
            "slow_first_byte" => FaultKind::SlowFirstByte {
                delay_ms: needs(self.delay_ms, "delay_ms")?,
            },
            "drop_mid_stream" => FaultKind::DropMidStream {
                after_events: needs(self.after_events, "after_events")?,
            },
            "region_block" => FaultKind::RegionBlock,
            "credit_balance" => FaultKind::CreditBalance,
            "invalid_key" => FaultKind::InvalidKey,
            other => {
                return Err(format!(
                    "unknown kind `{other}`: use rate_limit, overloaded, server_error, \
                     stream_error, slow_first_byte, drop_mid_stream, region_block, \
                     credit_balance or invalid_key"
                ));
            }
        };
        Ok(Fault { trigger, kind })
    }

    fn trigger(&self) -> Result<Trigger, String> {
        match (self.every, &self.at, self.probability) {
            (Some(0), None, None) => Err("`every` must be at least 1".into()),
            (Some(every), None, None) => Ok(Trigger::Every {
                every,
                offset: self.offset.unwrap_or(0),
            }),
            (None, Some(at), None) if self.offset.is_none() => Ok(Trigger::At(at.clone())),
            (None, None, Some(p)) if self.offset.is_none() => {
                if (0.0..=1.0).contains(&p) {
                    Ok(Trigger::Probability(p))
                } else {
                    Err(format!("`probability` must be between 0 and 1, not {p}"))
                }
            }
            (None, None, None) => Err(format!(
                "`{}` needs a trigger: `every = N` (with optional `offset`), `at = [numbers]` \
                 or `probability = 0.0–1.0`",
                self.kind
            )),
            _ => Err(format!(
                "`{}` has more than one trigger (or `offset` without `every`); give exactly one \
                 of `every`, `at` or `probability`",
                self.kind
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_carries_its_name() {
        for name in Scenario::builtin_names() {
            let scenario = Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(scenario.name, name);
            assert!(
                !scenario.description.is_empty(),
                "{name} has no description"
            );
            assert!(scenario.describe().starts_with(name));
        }
    }

    #[test]
    fn the_readme_lists_every_builtin() {
        let readme = include_str!("../../README.md");
        for name in Scenario::builtin_names() {
            assert!(
                readme.contains(&format!("| `{name}` |")),
                "README.md's scenario table has no row for `{name}`"
            );
        }
    }

    #[test]
    fn default_impl_matches_the_default_file() {
        assert_eq!(Scenario::load("default").unwrap(), Scenario::default());
    }

    #[test]
    fn unknown_name_lists_the_builtins() {
        let err = Scenario::load("nope").unwrap_err().to_string();
        assert!(err.contains("unknown scenario `nope`"), "{err}");
        assert!(err.contains("lively") && err.contains("flaky"), "{err}");
    }

    #[test]
    fn a_file_path_loads_and_defaults_its_name_to_the_stem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "[[faults]]\nkind = \"server_error\"\nat = [2]\n").unwrap();
        let scenario = Scenario::load(path.to_str().unwrap()).unwrap();
        assert_eq!(scenario.name, "mine");
        assert_eq!(scenario.limits, Scenario::default().limits);
        assert_eq!(
            scenario.faults,
            vec![Fault {
                trigger: Trigger::At(vec![2]),
                kind: FaultKind::ServerError
            }]
        );
    }

    #[test]
    fn a_missing_file_says_which() {
        let err = Scenario::load("/no/such/scenario.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/scenario.toml"), "{err}");
    }

    #[test]
    fn bad_files_are_rejected_with_the_reason() {
        let cases = [
            ("colour = 1", "unknown field `colour`"),
            ("[limits]\nrequests_per_minute = 1", "missing field"),
            (
                "[[faults]]\nkind = \"boom\"\nevery = 1",
                "unknown kind `boom`",
            ),
            ("[[faults]]\nkind = \"server_error\"", "needs a trigger"),
            (
                "[[faults]]\nkind = \"server_error\"\nevery = 2\nat = [1]",
                "more than one trigger",
            ),
            (
                "[[faults]]\nkind = \"rate_limit\"\nevery = 2",
                "needs `retry_after_secs`",
            ),
            (
                "[[faults]]\nkind = \"overloaded\"\nprobability = 1.5",
                "between 0 and 1",
            ),
            ("[[faults]]\nkind = \"overloaded\"\nevery = 0", "at least 1"),
            (
                "[limits]\nrequests_per_minute = 1\ninput_tokens_per_minute = 0\noutput_tokens_per_minute = 1",
                "[limits] must be at least 1",
            ),
            (
                "[[faults]]\nkind = \"overloaded\"\nevery = 2\ncolour = 1",
                "unknown field `colour`",
            ),
            ("auth = \"maybe\"", "unknown variant `maybe`"),
            (
                "[[faults]]\nkind = \"rate_limit\"\nevery = 1\nretry_after_secs = 1\nlimit = \"tokens\"",
                "unknown variant `tokens`",
            ),
            ("reject_betas = [\"a,b\"]", "not `a,b`"),
            ("reject_fields = [\" \"]", "reject_betas and reject_fields"),
        ];
        for (text, expected) in cases {
            let err = Scenario::from_toml(text, "t").unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?} gave {err}");
        }
    }

    #[test]
    fn every_trigger_counts_from_its_offset() {
        let table = [
            (3, 0, vec![3, 6, 9]),
            (4, 1, vec![1, 5, 9]),
            (2, 2, vec![2, 4, 6, 8, 10]),
            (1, 0, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ];
        for (every, offset, expected) in table {
            let trigger = Trigger::Every { every, offset };
            let fired: Vec<u64> = (1..=10).filter(|n| trigger.matches_number(*n)).collect();
            assert_eq!(fired, expected, "every {every} offset {offset}");
        }
        assert!(Trigger::At(vec![2, 7]).matches_number(7));
        assert!(!Trigger::At(vec![2, 7]).matches_number(3));
        assert!(!Trigger::Probability(1.0).matches_number(1));
    }

    #[test]
    fn picky_gateway_refuses_one_beta_value_and_one_field() {
        let picky = Scenario::load("picky-gateway").unwrap();
        assert_eq!(picky.reject_betas, ["files-api-2025-04-14"]);
        assert_eq!(picky.reject_fields, ["service_tier"]);
        assert!(picky.faults.is_empty());
        assert!(
            picky
                .describe()
                .contains("refuses 1 anthropic-beta value(s) and 1 field(s)"),
            "{}",
            picky.describe()
        );
        let default = Scenario::default();
        assert!(default.reject_betas.is_empty() && default.reject_fields.is_empty());
    }

    #[test]
    fn claude_code_gateway_refuses_only_what_the_setting_drops() {
        use crate::api::claude_code::{DISABLE_EXPERIMENTAL_BETAS, dropped_by_setting};
        let gateway = Scenario::load(CLAUDE_CODE_GATEWAY).unwrap();
        assert_eq!(gateway.reject_betas, ["prompt-caching-scope-2026-01-05"]);
        assert_eq!(gateway.reject_fields, ["context_management"]);
        for refused in gateway.reject_betas.iter().chain(&gateway.reject_fields) {
            assert!(dropped_by_setting(refused), "{refused}");
        }
        assert!(
            gateway.description.contains(DISABLE_EXPERIMENTAL_BETAS),
            "{}",
            gateway.description
        );
        // Otherwise the default: limits, pacing, auth, no faults.
        let default = Scenario::default();
        assert_eq!(
            (gateway.limits, gateway.pacing, gateway.auth),
            (default.limits, default.pacing, default.auth)
        );
        assert!(gateway.faults.is_empty());
        // Only the built-in takes the data: a file of that name is its own.
        let own = Scenario::from_toml("name = \"claude-code-gateway\"", "x").unwrap();
        assert!(own.reject_betas.is_empty());
    }

    #[test]
    fn flaky_alternates_429_and_529_with_successes_between() {
        let flaky = Scenario::load("flaky").unwrap();
        let kinds: Vec<Option<&str>> = (1..=8)
            .map(|n| {
                flaky
                    .faults
                    .iter()
                    .find(|f| f.trigger.matches_number(n))
                    .map(|f| f.kind.name())
            })
            .collect();
        assert_eq!(
            kinds,
            [
                Some("rate_limit"),
                None,
                Some("overloaded"),
                None,
                Some("rate_limit"),
                None,
                Some("overloaded"),
                None
            ]
        );
    }
}
