//! The built-in model table: ids, context windows, output limits,
//! end-of-life dates and the request rules that differ by model, kept in
//! one place. The server's `GET /v1/models` is preferred at run time; this
//! table is for offline lint and the embedded server.
//!
//! Sources: the official Python SDK 2.13.0 (`types/model_param.py` for the
//! ids, `_data/deprecated_models.py` for end-of-life dates,
//! `_data/models_to_warn_with_thinking_enabled.py`) and the model pages on
//! platform.claude.com. A fact that could not be checked against either is
//! marked `// unverified` on its row.

use chrono::NaiveDate;

/// How a model treats the sampling parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// `temperature`, `top_p` and `top_k` in any combination.
    Free,
    /// Either `temperature` or `top_p`, not both ("`temperature` and
    /// `top_p` cannot both be specified for this model").
    TemperatureOrTopP,
    /// None of them ("`temperature` is deprecated for this model").
    Removed,
}

/// Which `thinking` types a model accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingModes {
    /// No extended thinking at all.
    Unsupported,
    /// `{"type":"enabled","budget_tokens":N}` (manual) only.
    Manual,
    /// Manual (deprecated) and `{"type":"adaptive"}`.
    ManualAndAdaptive,
    /// `adaptive` only: `"thinking.type.enabled" is not supported`.
    AdaptiveOnly,
}

/// Where a model stands in its life, as of the table's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Active,
    /// Still answers; `retires` says until when.
    Deprecated,
    /// Answers 404 `not_found_error`.
    Retired,
}

/// What this tool knows about one model id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    pub id: &'static str,
    pub display_name: &'static str,
    /// RFC 3339, as `/v1/models` reports it.
    pub created_at: &'static str,
    pub context_window: u64,
    pub max_output_tokens: u64,
    /// End-of-life date, for deprecated ids (the SDK's wording:
    /// "November 30th, 2026").
    pub retires: Option<&'static str>,
    pub lifecycle: Lifecycle,
    pub sampling: Sampling,
    pub thinking: ThinkingModes,
    /// Accepts a final assistant message to continue from.
    pub prefill: bool,
    /// Accepts `role: "system"` messages after a user turn.
    pub system_messages: bool,
    /// For an alias, the dated snapshot it points at (the API names the
    /// snapshot in its messages).
    pub snapshot: Option<&'static str>,
    /// Thinking is always on: `{"type":"disabled"}` is rejected.
    pub thinking_required: bool,
    /// Accepts `tool_choice` `any` / `tool` (forced tool use).
    pub forced_tool_use: bool,
}

const fn row(
    id: &'static str,
    display_name: &'static str,
    created_at: &'static str,
    context_window: u64,
    max_output_tokens: u64,
) -> ModelSpec {
    ModelSpec {
        id,
        display_name,
        created_at,
        context_window,
        max_output_tokens,
        retires: None,
        lifecycle: Lifecycle::Active,
        sampling: Sampling::Removed,
        thinking: ThinkingModes::AdaptiveOnly,
        prefill: false,
        system_messages: true,
        snapshot: None,
        thinking_required: false,
        forced_tool_use: true,
    }
}

impl ModelSpec {
    /// The dated id behind this row: the snapshot of an alias, else the id.
    pub fn snapshot_id(&self) -> &'static str {
        self.snapshot.unwrap_or(self.id)
    }

    /// A dated snapshot id (`…-20250929`) rather than an alias.
    pub fn is_snapshot(&self) -> bool {
        has_date_suffix(self.id)
    }

    /// The end-of-life date, read from the SDK's wording.
    pub fn end_of_life(&self) -> Option<NaiveDate> {
        self.retires.and_then(parse_sdk_date)
    }

    /// Where the model stands on `today`. A deprecated id is retired from
    /// its end-of-life date on (the API answers 404 from that day), so
    /// the table does not go stale the day a date passes.
    pub fn lifecycle_on(&self, today: NaiveDate) -> Lifecycle {
        match (self.lifecycle, self.end_of_life()) {
            (Lifecycle::Deprecated, Some(eol)) if today >= eol => Lifecycle::Retired,
            (lifecycle, _) => lifecycle,
        }
    }

    /// [`ModelSpec::lifecycle_on`] for today (UTC, as the API's dates are).
    pub fn lifecycle_today(&self) -> Lifecycle {
        self.lifecycle_on(chrono::Utc::now().date_naive())
    }

    const fn alias_of(mut self, snapshot: &'static str) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    const fn retires(mut self, date: &'static str) -> Self {
        self.retires = Some(date);
        self.lifecycle = Lifecycle::Deprecated;
        self
    }

    const fn retired(mut self, date: &'static str) -> Self {
        self.retires = Some(date);
        self.lifecycle = Lifecycle::Retired;
        self
    }

    const fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    const fn thinking(mut self, thinking: ThinkingModes) -> Self {
        self.thinking = thinking;
        self
    }

    const fn prefill(mut self, prefill: bool) -> Self {
        self.prefill = prefill;
        self
    }

    const fn system_messages(mut self, system_messages: bool) -> Self {
        self.system_messages = system_messages;
        self
    }

    const fn thinking_required(mut self) -> Self {
        self.thinking_required = true;
        self
    }

    const fn no_forced_tool_use(mut self) -> Self {
        self.forced_tool_use = false;
        self
    }

    /// A 4.6-era model: sampling restricted, both thinking styles, no prefill.
    const fn gen_4_6(self) -> Self {
        self.sampling(Sampling::TemperatureOrTopP)
            .thinking(ThinkingModes::ManualAndAdaptive)
            .system_messages(false)
    }

    /// A 4.5-era model: one of temperature/top_p, manual thinking, prefill.
    const fn gen_4_5(self) -> Self {
        self.gen_4_6().thinking(ThinkingModes::Manual).prefill(true)
    }

    /// Before 4.5: free sampling, manual thinking, prefill.
    const fn gen_4_0(self) -> Self {
        self.gen_4_5().sampling(Sampling::Free)
    }
}

fn has_date_suffix(id: &str) -> bool {
    id.rsplit_once('-')
        .is_some_and(|(_, date)| date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
}

/// The table, newest first (the order `GET /v1/models` lists them in).
/// Defaults of [`row`]: sampling removed, adaptive-only thinking, no
/// prefill, mid-conversation system messages, forced tool use allowed; the
/// older generations switch those off with `gen_4_6` / `gen_4_5` / `gen_4_0`.
static MODELS: &[ModelSpec] = &[
    // Claude 5.2 (platform.claude.com; AWS model card for Mythos 5.2).
    row(
        "claude-fable-5-2",
        "Claude Fable 5.2",
        "2026-11-09T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required()
    .no_forced_tool_use(), // unverified: forced tool use, carried over from 5.1
    row(
        "claude-mythos-5-2",
        "Claude Mythos 5.2",
        "2026-11-09T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required()
    .no_forced_tool_use(), // unverified: forced tool use, carried over from 5.1
    // Claude 5.5.
    row(
        "claude-haiku-5-5",
        "Claude Haiku 5.5",
        "2026-10-07T00:00:00Z",
        1_000_000,
        128_000,
    ),
    row(
        "claude-sonnet-5-5",
        "Claude Sonnet 5.5",
        "2026-09-28T00:00:00Z",
        1_000_000,
        128_000,
    ) // unverified: release date (third-party listing)
    .no_forced_tool_use(),
    row(
        "claude-opus-5-5",
        "Claude Opus 5.5",
        "2026-09-28T00:00:00Z",
        1_000_000,
        128_000,
    ) // unverified: release date, assumed with Sonnet 5.5
    .thinking_required()
    .no_forced_tool_use(),
    // Claude 5.1.
    row(
        "claude-fable-5-1",
        "Claude Fable 5.1",
        "2026-09-01T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required()
    .no_forced_tool_use(),
    row(
        "claude-mythos-5-1",
        "Claude Mythos 5.1",
        "2026-09-01T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required()
    .no_forced_tool_use(),
    // Claude 5.
    row(
        "claude-opus-5",
        "Claude Opus 5",
        "2026-07-24T00:00:00Z",
        1_000_000,
        128_000,
    ),
    row(
        "claude-sonnet-5",
        "Claude Sonnet 5",
        "2026-06-30T00:00:00Z",
        1_000_000,
        128_000,
    ),
    row(
        "claude-fable-5",
        "Claude Fable 5",
        "2026-06-09T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required(),
    row(
        "claude-mythos-5",
        "Claude Mythos 5",
        "2026-06-09T00:00:00Z",
        1_000_000,
        128_000,
    )
    .thinking_required(),
    // Claude 4.8 and 4.7: sampling removed, adaptive thinking only; 4.8
    // introduced mid-conversation system messages.
    row(
        "claude-opus-4-8",
        "Claude Opus 4.8",
        "2026-05-28T00:00:00Z",
        1_000_000,
        128_000,
    ),
    row(
        "claude-opus-4-7",
        "Claude Opus 4.7",
        "2026-04-16T00:00:00Z",
        1_000_000,
        128_000,
    )
    .system_messages(false),
    // End of life per the SDK's deprecated_models.py; past it by SDK 2.13.0.
    row(
        "claude-mythos-preview",
        "Claude Mythos Preview",
        "2026-04-07T00:00:00Z",
        1_000_000,
        128_000,
    ) // unverified: created_at, limits
    .thinking_required()
    .system_messages(false)
    .retired("June 30th, 2026"),
    // Claude 4.6: one of temperature/top_p, manual (deprecated) or adaptive
    // thinking, no prefill.
    row(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "2026-02-17T00:00:00Z",
        1_000_000,
        128_000,
    )
    .gen_4_6(),
    row(
        "claude-opus-4-6",
        "Claude Opus 4.6",
        "2026-02-05T00:00:00Z",
        1_000_000,
        128_000,
    )
    .gen_4_6(),
    // Claude 4.5: 200K context, 64K output, manual thinking, prefill.
    row(
        "claude-opus-4-5",
        "Claude Opus 4.5",
        "2025-11-24T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5()
    .alias_of("claude-opus-4-5-20251101")
    .retires("January 22nd, 2027"),
    row(
        "claude-opus-4-5-20251101",
        "Claude Opus 4.5",
        "2025-11-24T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5()
    .retires("January 22nd, 2027"),
    row(
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "2025-10-15T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5()
    .alias_of("claude-haiku-4-5-20251001"),
    row(
        "claude-haiku-4-5-20251001",
        "Claude Haiku 4.5",
        "2025-10-15T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5(),
    row(
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "2025-09-29T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5()
    .alias_of("claude-sonnet-4-5-20250929")
    .retires("November 30th, 2026"),
    row(
        "claude-sonnet-4-5-20250929",
        "Claude Sonnet 4.5",
        "2025-09-29T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_5()
    .retires("November 30th, 2026"),
    // Older ids people still send (not in the SDK's ModelParam any more).
    row(
        "claude-opus-4-1-20250805",
        "Claude Opus 4.1",
        "2025-08-05T00:00:00Z",
        200_000,
        32_000,
    )
    .gen_4_5() // unverified: sampling rule (a community report)
    // Retired on the Claude API (still on Bedrock and Google Cloud):
    // platform.claude.com pricing page, "Claude Opus 4.1 (retired …)".
    .retired("August 5th, 2026"),
    row(
        "claude-sonnet-4-20250514",
        "Claude Sonnet 4",
        "2025-05-22T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_0()
    .retired("June 15th, 2026"),
    row(
        "claude-opus-4-20250514",
        "Claude Opus 4",
        "2025-05-22T00:00:00Z",
        200_000,
        32_000,
    )
    .gen_4_0()
    .retired("June 15th, 2026"),
    row(
        "claude-3-7-sonnet-20250219",
        "Claude Sonnet 3.7",
        "2025-02-24T00:00:00Z",
        200_000,
        64_000,
    )
    .gen_4_0()
    .retired("February 19th, 2026"),
    row(
        "claude-3-5-haiku-20241022",
        "Claude Haiku 3.5",
        "2024-10-22T00:00:00Z",
        200_000,
        8_192,
    )
    .gen_4_0()
    .thinking(ThinkingModes::Unsupported)
    .retired("February 19th, 2026"), // unverified: retirement date
];

pub fn all() -> &'static [ModelSpec] {
    MODELS
}

/// `November 30th, 2026` → 2026-11-30.
fn parse_sdk_date(text: &str) -> Option<NaiveDate> {
    let mut words = text.split_whitespace();
    let (month, day, year) = (words.next()?, words.next()?, words.next()?);
    let day: String = day.chars().take_while(char::is_ascii_digit).collect();
    NaiveDate::parse_from_str(&format!("{month} {day} {year}"), "%B %d %Y").ok()
}

pub fn lookup(id: &str) -> Option<&'static ModelSpec> {
    all().iter().find(|m| m.id == id)
}

const LINES: &[&str] = &["opus", "sonnet", "haiku", "fable", "mythos"];

/// What a model id says about itself: its line (`sonnet`), its version
/// numbers (`[4, 5]`) and the rest, in a canonical spelling.
#[derive(Debug, Default, PartialEq)]
struct IdParts {
    canonical: String,
    line: Option<&'static str>,
    version: Vec<u32>,
}

/// `Sonnet 4.5`, `claude-sonet-4.5`, `claude-3-opus-2024` and
/// `anthropic/claude-sonnet-4-5` all become comparable parts.
fn parts(id: &str) -> IdParts {
    let lower = id.trim().to_ascii_lowercase();
    // Gateway (`anthropic/…`) and Bedrock (`us.anthropic.…`) prefixes.
    let mut bare = lower
        .rsplit_once('/')
        .map_or(lower.as_str(), |(_, rest)| rest);
    if let Some(at) = bare.find("anthropic.") {
        bare = &bare[at + "anthropic.".len()..];
    }
    let tokens: Vec<String> = bare
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty() && *t != "claude" && *t != "latest")
        .flat_map(split_letters_digits)
        .collect();
    let mut parts = IdParts::default();
    let mut canonical = vec!["claude".to_string()];
    for token in &tokens {
        if let Some(line) = fuzzy_line(token) {
            parts.line.get_or_insert(line);
            canonical.push(line.to_string());
        } else if let Ok(n) = token.parse::<u32>() {
            if token.len() <= 2 {
                parts.version.push(n);
            }
            canonical.push(token.clone());
        } else {
            canonical.push(token.clone());
        }
    }
    parts.canonical = canonical.join("-");
    parts
}

/// `sonnet45` → `sonnet`, `45`: people glue line and version together.
fn split_letters_digits(token: &str) -> Vec<String> {
    let cut = token.find(|c: char| c.is_ascii_digit());
    match cut {
        Some(i) if i > 0 && token[i..].bytes().all(|b| b.is_ascii_digit()) => {
            vec![token[..i].to_string(), token[i..].to_string()]
        }
        _ => vec![token.to_string()],
    }
}

fn fuzzy_line(token: &str) -> Option<&'static str> {
    if token.len() < 4 {
        return None;
    }
    LINES
        .iter()
        .map(|line| (*line, strsim::jaro_winkler(token, line)))
        .filter(|(_, score)| *score >= 0.88)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(line, _)| line)
}

/// How well a known id matches what the user typed: spelling, then line
/// and version agreement.
fn similarity(wanted: &IdParts, known: &IdParts) -> f64 {
    let spelling = strsim::normalized_damerau_levenshtein(&wanted.canonical, &known.canonical);
    let line = match (wanted.line, known.line) {
        (Some(a), Some(b)) if a == b => 0.5,
        (Some(_), Some(_)) => -0.3,
        _ => 0.0,
    };
    let version = wanted
        .version
        .iter()
        .zip(&known.version)
        .take_while(|(a, b)| a == b)
        .count() as f64
        * 0.25;
    let prefix = if known.canonical.starts_with(&wanted.canonical) {
        0.2
    } else {
        0.0
    };
    spelling + line + version + prefix
}

/// The known ids closest to `id`, best first. Retired ids are never
/// suggested; among equals, aliases come before dated snapshots and newer
/// models before older ones (the table's order).
pub fn closest(id: &str, n: usize) -> Vec<&'static str> {
    let wanted = parts(id);
    let mut scored: Vec<(f64, usize, &'static str)> = all()
        .iter()
        .enumerate()
        .filter(|(_, m)| m.lifecycle != Lifecycle::Retired && m.id != id)
        .map(|(order, m)| {
            let snapshot_penalty = if m.is_snapshot() { 0.01 } else { 0.0 };
            (
                similarity(&wanted, &parts(m.id)) - snapshot_penalty,
                order,
                m.id,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, _, id)| id).collect()
}

/// The ids among `candidates` (a server's own list, say) closest to `id`,
/// best first, by the same measure as [`closest`]; among equals, the
/// candidates' order is kept.
pub fn closest_among<'a>(id: &str, candidates: &[&'a str], n: usize) -> Vec<&'a str> {
    let wanted = parts(id);
    let mut scored: Vec<(f64, usize, &'a str)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, candidate)| **candidate != id)
        .map(|(order, candidate)| (similarity(&wanted, &parts(candidate)), order, *candidate))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_among_a_servers_list() {
        let listed = [
            "gw-fast",
            "claude-sonnet-4-6",
            "claude-opus-4-6",
            "claude-haiku-4-5",
        ];
        assert_eq!(
            closest_among("claude-sonet-4-6", &listed, 2),
            ["claude-sonnet-4-6", "claude-opus-4-6"]
        );
        assert!(
            closest_among("claude-sonnet-4-6", &listed, 4)
                .iter()
                .all(|id| *id != "claude-sonnet-4-6")
        );
        assert!(closest_among("x", &[], 3).is_empty());
    }

    #[test]
    fn every_sdk_model_param_id_is_in_the_table() {
        let sdk = [
            "claude-fable-5-2",
            "claude-mythos-5-2",
            "claude-haiku-5-5",
            "claude-sonnet-5-5",
            "claude-fable-5-1",
            "claude-opus-5-5",
            "claude-mythos-5-1",
            "claude-sonnet-5",
            "claude-fable-5",
            "claude-mythos-5",
            "claude-opus-5",
            "claude-opus-4-8",
            "claude-opus-4-7",
            "claude-mythos-preview",
            "claude-opus-4-6",
            "claude-sonnet-4-6",
            "claude-haiku-4-5",
            "claude-haiku-4-5-20251001",
            "claude-opus-4-5",
            "claude-opus-4-5-20251101",
            "claude-sonnet-4-5",
            "claude-sonnet-4-5-20250929",
        ];
        for id in sdk {
            assert!(lookup(id).is_some(), "{id} missing");
        }
    }

    #[test]
    fn ids_are_unique_and_dates_are_rfc3339() {
        for (i, model) in all().iter().enumerate() {
            assert!(
                all()[..i].iter().all(|m| m.id != model.id),
                "{} twice",
                model.id
            );
            assert!(
                chrono::DateTime::parse_from_rfc3339(model.created_at).is_ok(),
                "{}: {}",
                model.id,
                model.created_at
            );
            assert!(
                model.max_output_tokens < model.context_window,
                "{}",
                model.id
            );
        }
    }

    #[test]
    fn sdk_end_of_life_dates() {
        let dates = [
            ("claude-mythos-preview", "June 30th, 2026"),
            ("claude-opus-4-5", "January 22nd, 2027"),
            ("claude-opus-4-5-20251101", "January 22nd, 2027"),
            ("claude-sonnet-4-5", "November 30th, 2026"),
            ("claude-sonnet-4-5-20250929", "November 30th, 2026"),
        ];
        for (id, date) in dates {
            assert_eq!(lookup(id).and_then(|m| m.retires), Some(date), "{id}");
        }
        assert_eq!(lookup("claude-sonnet-4-6").and_then(|m| m.retires), None);
    }

    #[test]
    fn every_end_of_life_date_reads_and_a_passed_one_retires_the_model() {
        for model in all().iter().filter(|m| m.retires.is_some()) {
            assert!(model.end_of_life().is_some(), "{}", model.id);
        }
        let sonnet = lookup("claude-sonnet-4-5").unwrap();
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(sonnet.end_of_life(), Some(day("2026-11-30")));
        assert_eq!(
            sonnet.lifecycle_on(day("2026-11-29")),
            Lifecycle::Deprecated
        );
        assert_eq!(sonnet.lifecycle_on(day("2026-11-30")), Lifecycle::Retired);
        let active = lookup("claude-sonnet-4-6").unwrap();
        assert_eq!(active.lifecycle_on(day("2030-01-01")), Lifecycle::Active);
        let retired = lookup("claude-sonnet-4-20250514").unwrap();
        assert_eq!(retired.lifecycle_on(day("2020-01-01")), Lifecycle::Retired);
    }

    #[test]
    fn aliases_name_their_snapshot() {
        let alias = lookup("claude-sonnet-4-5").unwrap();
        assert_eq!(alias.snapshot_id(), "claude-sonnet-4-5-20250929");
        assert!(lookup(alias.snapshot_id()).is_some());
        assert_eq!(
            lookup("claude-opus-4-8").unwrap().snapshot_id(),
            "claude-opus-4-8"
        );
        for model in all() {
            if let Some(snapshot) = model.snapshot {
                let target = lookup(snapshot).unwrap();
                assert_eq!(target.max_output_tokens, model.max_output_tokens);
                assert_eq!(target.retires, model.retires);
            }
        }
    }

    #[test]
    fn lookup_is_exact() {
        assert!(lookup("claude-sonnet-4-5").is_some());
        assert!(lookup("Claude-Sonnet-4-5").is_none());
        assert!(lookup("claude-sonnet-4-5 ").is_none());
        assert!(lookup("").is_none());
    }

    #[test]
    fn closest_fixes_typos_and_spellings() {
        let cases = [
            ("claude-sonet-4-5", "claude-sonnet-4-5"),
            ("sonnet-4.5", "claude-sonnet-4-5"),
            ("claude-sonnet-4.5", "claude-sonnet-4-5"),
            ("Claude Sonnet 4.6", "claude-sonnet-4-6"),
            // Opus 4.1 is retired, so the nearest current Opus is offered.
            ("claude-opus-4.1", "claude-opus-4-8"),
            ("claude-opus-4-8-latest", "claude-opus-4-8"),
            ("anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
            ("claude-haiku-4-5-20250929", "claude-haiku-4-5-20251001"),
            ("opus5", "claude-opus-5"),
            ("claude-fabel-5-1", "claude-fable-5-1"),
        ];
        for (typed, expected) in cases {
            let got = closest(typed, 3);
            assert_eq!(got.first().copied(), Some(expected), "{typed}: {got:?}");
        }
    }

    #[test]
    fn closest_keeps_the_line_for_old_names() {
        let got = closest("claude-3-opus-2024", 3);
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|id| id.contains("opus")), "{got:?}");
        let got = closest("claude-3-5-sonnet-20241022", 3);
        assert!(got.iter().all(|id| id.contains("sonnet")), "{got:?}");
    }

    #[test]
    fn closest_never_suggests_retired_ids_or_the_id_itself() {
        let got = closest("claude-sonnet-4-20250514", 5);
        assert!(!got.contains(&"claude-sonnet-4-20250514"), "{got:?}");
        assert!(
            got.iter()
                .all(|id| lookup(id).unwrap().lifecycle != Lifecycle::Retired)
        );
    }

    #[test]
    fn closest_handles_odd_input() {
        assert_eq!(closest("claude-sonnet-4-5", 0), Vec::<&str>::new());
        assert_eq!(closest("", 2).len(), 2);
        assert_eq!(closest("gpt-4o", 1).len(), 1);
        assert_eq!(closest("🦀🦀", 1).len(), 1);
        assert!(closest("x", 1000).len() < all().len());
    }

    #[test]
    fn generations_carry_their_rules() {
        let opus48 = lookup("claude-opus-4-8").unwrap();
        assert_eq!(opus48.sampling, Sampling::Removed);
        assert_eq!(opus48.thinking, ThinkingModes::AdaptiveOnly);
        assert!(opus48.system_messages && !opus48.prefill);
        let sonnet46 = lookup("claude-sonnet-4-6").unwrap();
        assert_eq!(sonnet46.sampling, Sampling::TemperatureOrTopP);
        assert_eq!(sonnet46.thinking, ThinkingModes::ManualAndAdaptive);
        assert!(!sonnet46.prefill && !sonnet46.system_messages);
        let sonnet45 = lookup("claude-sonnet-4-5-20250929").unwrap();
        assert_eq!(
            (sonnet45.context_window, sonnet45.max_output_tokens),
            (200_000, 64_000)
        );
        assert_eq!(sonnet45.thinking, ThinkingModes::Manual);
        assert!(sonnet45.prefill);
        let sonnet4 = lookup("claude-sonnet-4-20250514").unwrap();
        assert_eq!(sonnet4.sampling, Sampling::Free);
        assert_eq!(sonnet4.lifecycle, Lifecycle::Retired);
        assert!(lookup("claude-opus-5-5").unwrap().thinking_required);
    }
}
