//! Command-line definitions (clap). What each command does lives in
//! [`crate::commands`].

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The port `claudetui mock` listens on unless told otherwise; fixed so an
/// SDK or Claude Code can be pointed at it once and for all.
pub const DEFAULT_MOCK_PORT: u16 = 4747;

#[derive(Debug, Parser)]
#[command(
    name = "claudetui",
    version,
    about = "See exactly what goes over the wire to the Anthropic Messages API, why a request fails, and how much rate-limit headroom is left.",
    after_help = "Configuration: ~/.config/claudetui/config.toml (see config.example.toml). \
Environment: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL, HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE.\n\
Exit codes: 0 ok, 1 the API answered with an error, 2 usage or configuration error, 3 network/transport error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Run the dashboard against the embedded demo server (no key, no network).
    #[arg(long)]
    pub demo: bool,

    /// Dashboard: also run the tap, and show what other programs send through it
    /// live (with --demo, the tap is in front of the embedded server).
    #[arg(long)]
    pub tap: bool,

    /// Dashboard with --tap: where the tap sends requests (default: the profile's base URL).
    #[arg(long, value_name = "URL", requires = "tap")]
    pub upstream: Option<String>,

    /// Dashboard with --tap: the tap's port (0 picks a free one).
    #[arg(long = "port", value_name = "PORT", requires = "tap", default_value_t = crate::tap::DEFAULT_TAP_PORT)]
    pub tap_port: u16,

    /// Dashboard: retry failed sends up to N times with the official SDKs' policy (default: none, so a 429 shows as it is).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Profile from the config file to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Config file to read instead of the default.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where history and logs are kept.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// API base URL (host only, e.g. https://api.anthropic.com).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send one request and print the answer (text streams as it arrives).
    Send(SendArgs),
    /// Run the embedded Anthropic-compatible server.
    #[command(after_help = MOCK_AFTER_HELP)]
    Mock(MockArgs),
    /// Look at past exchanges.
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// Check a Messages request body offline: every problem, with file:line:col, severity and fix.
    Lint(LintArgs),
    /// Run the troubleshooting checklist and print what each step found.
    Doctor(DoctorArgs),
    /// Find what makes a failing request fail: send simplified versions of it
    /// until one succeeds, and name the difference.
    Bisect(BisectArgs),
    /// See what another program sends: a recording proxy to point
    /// ANTHROPIC_BASE_URL at, or `tap -- COMMAND` to run a program through it.
    Tap(TapArgs),
}

#[derive(Debug, Args, Clone)]
#[command(after_help = TAP_AFTER_HELP)]
pub struct TapArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = crate::tap::DEFAULT_TAP_PORT)]
    pub port: u16,

    /// Address to listen on. Anything but loopback lets whoever can reach it
    /// send requests through the tap with the key a client sends.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Where requests go (default: the profile's base URL, https://api.anthropic.com unless set).
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,

    /// Do not keep what the tap sees in the history.
    #[arg(long)]
    pub no_history: bool,

    /// How long the upstream may take to start answering, in seconds, before
    /// the client gets a 502.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,

    /// Also be an HTTPS proxy (HTTPS_PROXY) that opens the traffic to the
    /// Anthropic hosts with a local CA, for what ignores ANTHROPIC_BASE_URL
    /// (Claude Code's first-run connectivity probe); other hosts are tunnelled
    /// unrecorded.
    #[arg(long)]
    pub mitm: bool,

    /// Print where the tap's CA certificate is (creating it if needed) and exit.
    #[arg(long)]
    pub print_ca: bool,

    /// The program to run through the tap, after `--`: it gets
    /// ANTHROPIC_BASE_URL pointing at the tap and keeps the terminal.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

const TAP_AFTER_HELP: &str = "\
Examples:
  claudetui tap -- claude                     run Claude Code through the tap, summary at the end
  claudetui tap                               a long-running tap; then ANTHROPIC_BASE_URL=http://127.0.0.1:4748 your-app
  claudetui tap --mitm -- claude              also record what ignores the base URL (first-run probes)
  claudetui --tap                             the dashboard, filling with what the tap sees

Every exchange goes to the history (source tap): claudetui history list --source tap, history diagnose ID,
history diff A B, bisect ID. The client keeps its own key; it is masked in everything recorded.
Exit code: with a COMMAND, the command's own; without, 0 (2 on a usage error).";

#[derive(Debug, Args, Clone, Default)]
pub struct SendArgs {
    /// Request body: a JSON file, or - for standard input. Without it the
    /// built-in sample request is sent.
    #[arg(value_name = "FILE|-")]
    pub file: Option<String>,

    /// Set the body's `model`.
    #[arg(long)]
    pub model: Option<String>,

    /// Set the body's `max_tokens`.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,

    /// Set `"stream": true`.
    #[arg(long, conflicts_with = "no_stream")]
    pub stream: bool,

    /// Set `"stream": false`.
    #[arg(long)]
    pub no_stream: bool,

    /// Print the whole exchange as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Send even when the file is not valid JSON (to reproduce a 400).
    #[arg(long)]
    pub force: bool,

    /// Retry up to N times with the official SDKs' policy (default: no retries, so failures show as they are).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,

    /// Path and query to send to, on the base URL.
    #[arg(long, default_value = "/v1/messages")]
    pub path: String,

    /// HTTP method.
    #[arg(long, default_value = "POST")]
    pub method: String,

    /// Extra header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Answer HOST with ADDR instead of asking DNS, like curl --resolve (repeatable).
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,

    /// Do not keep this exchange in the history.
    #[arg(long)]
    pub no_history: bool,
}

impl SendArgs {
    /// `Some(true)` / `Some(false)` when a flag sets `stream`.
    pub fn stream_override(&self) -> Option<bool> {
        match (self.stream, self.no_stream) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Each candidate is a real request (kept in the history unless --no-history). Before sending to \
anything but loopback, bisect shows how many requests and tokens it may use and asks; --yes skips the question. \
Candidates go with max_tokens 16 when the original fails the same way with it.\n\
Exit codes: 0 culprit found (or the request already succeeds), 1 none within the budget, 2 usage (or not confirmed; \
nothing sent), 3 server unreachable, 130 interrupted."
)]
pub struct BisectArgs {
    /// The failing request: a JSON body file, or an exchange id from the history.
    #[arg(value_name = "FILE|ID")]
    pub input: String,

    /// Extra header, `Name: value` (repeatable): what the app sends on top of the profile's headers.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Path and query to send to, on the base URL (default: /v1/messages for a FILE, the recorded one for an ID).
    #[arg(long)]
    pub path: Option<String>,

    /// Send at most N requests, retries included (1–64).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_requests: u32,

    /// Do not ask before sending to a server that is not on this machine.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print the report as JSON on stdout (no progress on stderr).
    #[arg(long)]
    pub json: bool,

    /// Do not keep the attempts in the history.
    #[arg(long)]
    pub no_history: bool,
}

#[derive(Debug, Args, Clone)]
pub struct MockArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_MOCK_PORT)]
    pub port: u16,

    /// Address to listen on. Anything but loopback exposes the server (which
    /// accepts any key) to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Scenario: a built-in name or a TOML file.
    #[arg(long, default_value = "default", value_name = "NAME|FILE")]
    pub scenario: String,

    /// Multiply every scenario delay (0 turns pacing off).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,

    /// List the built-in scenarios and exit.
    #[arg(long)]
    pub list_scenarios: bool,

    /// Write every exchange served to the history (source `mock`), keys
    /// masked as the tap masks them: what any client sent can be looked at
    /// with `claudetui history list --source mock`.
    #[arg(long)]
    pub record: bool,
}

const MOCK_AFTER_HELP: &str = "\
Examples:
  claudetui mock                                 the healthy default on http://127.0.0.1:4747
  claudetui mock --scenario claude-code-gateway  refuses part of what Claude Code sends
  claudetui mock --record --port 0               any free port; every exchange to the history

With --record, look with: claudetui history list --source mock, history show ID,
history diagnose ID, bisect ID. The client's key is masked in everything recorded.
Exit code: 0 on Ctrl-C or SIGTERM (2 on a usage error).";

fn parse_source(text: &str) -> Result<crate::exchange::Source, String> {
    crate::exchange::Source::from_slug(text)
        .ok_or_else(|| format!("`{text}` is not a source; use `claudetui`, `tap` or `mock`"))
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List exchanges, newest first.
    List(HistoryListArgs),
    /// Show one exchange in full.
    Show {
        /// Exchange id (a unique prefix is enough).
        id: String,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export one exchange.
    Export {
        /// Exchange id (a unique prefix is enough).
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Curl)]
        format: ExportFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare two exchanges: the request body field by field (with paths)
    /// and as a conversation (messages added, system, tools, model, betas,
    /// input tokens), the headers, the outcome and the timing. With one id,
    /// it is compared with the turn before it in its client session.
    Diff {
        /// The earlier exchange (a unique prefix is enough).
        from: String,
        /// The later one; without it, FROM is compared with its predecessor.
        to: Option<String>,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Explain one exchange: what failed, the server's message in plain
    /// words, the evidence and the fix.
    Diagnose {
        /// Exchange id (a unique prefix is enough).
        id: String,
        /// Print the diagnosis as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct HistoryListArgs {
    /// Only exchanges whose path, model, outcome, profile or ids contain TEXT.
    pub text: Option<String>,
    /// How many to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Only this outcome (ok, bad-request, auth, rate-limited, overloaded, …).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only this HTTP status.
    #[arg(long)]
    pub status: Option<u16>,
    /// Only this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only what claudetui sent itself (`claudetui`), what the tap saw (`tap`) or what `mock --record` served (`mock`).
    #[arg(long, value_parser = parse_source, value_name = "claudetui|tap|mock")]
    pub source: Option<crate::exchange::Source>,
    /// Only exchanges from a client whose name contains TEXT (`claude-cli`, `Anthropic/Python`).
    #[arg(long, value_name = "TEXT")]
    pub client: Option<String>,
    /// Only one client session (Claude Code's session id).
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `claudetui doctor`: exit code 0 when no step failed (warnings allowed),
/// 1 when one did, 2 on a usage or configuration error.
#[derive(Debug, Args, Clone)]
pub struct DoctorArgs {
    /// Print the reports and a summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// The request the Payload step lints and counts: a JSON file, or - for
    /// standard input (default: the built-in sample with the profile's model).
    #[arg(long, value_name = "FILE|-")]
    pub request: Option<String>,

    /// The model to check (instead of ANTHROPIC_MODEL or the profile's default_model).
    #[arg(long)]
    pub model: Option<String>,

    /// Time limit of each step, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub step_timeout: u64,

    /// Check what Claude Code will use and replay its start-up probes, even
    /// when no Claude Code configuration is found (the check runs by itself
    /// when ~/.claude.json or a settings file exists).
    #[arg(long)]
    pub claude_code: bool,

    /// Contact nothing but the configured base URL (and the proxy on the
    /// way to it): Claude Code's first-start probes of api.anthropic.com and
    /// platform.claude.com are not made.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A curl command (the key is read from $ANTHROPIC_API_KEY).
    Curl,
    /// HTTP Archive 1.2.
    Har,
    /// The exchange as claudetui records it.
    Json,
}

/// `claudetui lint`: no network, no key, no profile needed.
#[derive(Debug, Args, Clone)]
#[command(after_help = LINT_AFTER_HELP)]
pub struct LintArgs {
    /// Request body: a JSON file, - for standard input, or an exchange id
    /// from the history (what a tapped program really sent).
    #[arg(value_name = "FILE|-|ID")]
    pub file: String,

    /// Print a JSON report on stdout instead of text (shape below).
    #[arg(long)]
    pub json: bool,

    /// Judge the body as sent with this anthropic-version header (2026-10-21 removed temperature, top_p and top_k).
    #[arg(
        long,
        value_name = "V",
        default_value = crate::config::DEFAULT_ANTHROPIC_VERSION,
        value_parser = clap::builder::PossibleValuesParser::new(crate::mock::ACCEPTED_VERSIONS)
    )]
    pub anthropic_version: String,
}

const LINT_AFTER_HELP: &str = "\
Output: one block per problem, in reading order:
  FILE:LINE:COL  error|warning  PATH: MESSAGE
    fix: WHAT TO DO
then a summary line (`2 errors, 1 warning`). An error is what the API would reject; a warning is legal but probably a mistake.

--json prints one object:
  {\"file\": \"req.json\", \"anthropic_version\": \"2023-06-01\",
   \"problems\": [{\"line\": 3, \"column\": 5, \"exact\": true, \"severity\": \"error\",
     \"path\": \"messages.0.content.0.text\", \"pointer\": \"/messages/0/content/0/text\",
     \"message\": \"text content blocks must be non-empty\", \"fix\": \"…\",
     \"api_message\": \"messages: text content blocks must be non-empty\", \"status\": 400}],
   \"summary\": {\"errors\": 1, \"warnings\": 0}}
  path/pointer: where the problem is; api_message: what the API would answer (its path can be coarser);
  exact: false when the place is missing and LINE:COL is the object that should hold it;
  status: the HTTP status the API answers it with (400, 404 for an unknown model, 200 for a warning it accepts).

Exit codes: 0 no errors (warnings only is 0), 1 at least one error (invalid JSON included), 2 the file cannot be read or bad usage.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "claudetui",
            "send",
            "req.json",
            "--profile",
            "work",
            "--stream",
        ])
        .unwrap();
        assert_eq!(cli.global.profile.as_deref(), Some("work"));
        let Some(Command::Send(args)) = cli.command else {
            panic!("not send")
        };
        assert_eq!(args.file.as_deref(), Some("req.json"));
        assert_eq!(args.stream_override(), Some(true));
    }

    #[test]
    fn lint_takes_a_file_or_stdin_and_a_known_version() {
        let cli = Cli::try_parse_from(["claudetui", "lint", "-", "--json"]).unwrap();
        let Some(Command::Lint(args)) = cli.command else {
            panic!("not lint")
        };
        assert_eq!(args.file, "-");
        assert!(args.json);
        assert_eq!(args.anthropic_version, "2023-06-01");
        assert!(
            Cli::try_parse_from([
                "claudetui",
                "lint",
                "x.json",
                "--anthropic-version",
                "2026-10-21"
            ])
            .is_ok()
        );
        assert!(
            Cli::try_parse_from([
                "claudetui",
                "lint",
                "x.json",
                "--anthropic-version",
                "2024-01-01"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["claudetui", "lint"]).is_err());
    }

    #[test]
    fn doctor_takes_its_flags_and_the_global_ones() {
        let cli = Cli::try_parse_from([
            "claudetui",
            "doctor",
            "--json",
            "--profile",
            "work",
            "--request",
            "req.json",
        ])
        .unwrap();
        assert_eq!(cli.global.profile.as_deref(), Some("work"));
        let Some(Command::Doctor(args)) = cli.command else {
            panic!("not doctor")
        };
        assert!(args.json);
        assert_eq!(args.request.as_deref(), Some("req.json"));
        assert_eq!(args.step_timeout, 10);
        assert!(Cli::try_parse_from(["claudetui", "doctor", "--step-timeout", "0"]).is_err());
    }

    #[test]
    fn stream_flags_conflict() {
        assert!(Cli::try_parse_from(["claudetui", "send", "--stream", "--no-stream"]).is_err());
    }
}
