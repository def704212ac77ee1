//! `claudetui lint FILE|-`: every problem in a Messages request body, found
//! offline by the same validator the embedded server and the composer use,
//! each placed at `file:line:col` with its severity and fix. `--json` gives
//! the same for editors and CI.
//!
//! Bodies are text typed by people, so they may hold a key: everything
//! printed goes through [`redact_text`].

use std::io::{Read, Write};

use serde::Serialize;

use crate::api::lint::{self, Endpoint, LintOptions, Problem, Severity, TextPosition, TextReport};
use crate::cli::LintArgs;
use crate::store::redact::redact_text;

use super::{CommandError, Exit};

/// What `claudetui lint` shows for standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// Placing a problem is a scan of the text: past this many problems the
/// rest are still reported, without a line and column, so a huge body
/// with thousands of problems cannot take minutes.
pub const MAX_LOCATED: usize = 1000;

/// Lints `args.file`; `history` finds an exchange id (`ex_…`) that is not
/// a file, so a request another program sent through the tap is checked
/// as it was sent (its endpoint and `anthropic-version` header too).
pub fn run(
    args: &LintArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    history: Option<&super::Context>,
) -> Result<Exit, CommandError> {
    let (name, bytes, options) = match recorded(args, history)? {
        Some(found) => found,
        None => {
            let (name, bytes) = read_body(&args.file, stdin)?;
            let options = LintOptions {
                endpoint: Endpoint::Messages,
                anthropic_version: Some(args.anthropic_version.clone()),
                ..LintOptions::default()
            };
            (name, bytes, options)
        }
    };
    let version = options
        .anthropic_version
        .clone()
        .unwrap_or_else(|| args.anthropic_version.clone());
    let report = lint::lint_bytes(&bytes, &options, MAX_LOCATED);
    let text = if args.json {
        json_report(&name, &version, &report)?
    } else {
        text_report(&name, &report)
    };
    out.write_all(redact_text(&text).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CommandError::io("could not write the report", e))?;
    // 1 is the contract's "failure found" (Exit names it for the API's errors).
    Ok(if report.has_errors() {
        Exit::ApiError
    } else {
        Exit::Ok
    })
}

/// The body of the exchange `args.file` names, when it is an id and not
/// a file.
fn recorded(
    args: &LintArgs,
    history: Option<&super::Context>,
) -> Result<Option<(String, Vec<u8>, LintOptions)>, CommandError> {
    let id = args.file.as_str();
    let Some(ctx) = history.filter(|_| id.starts_with("ex_") && !std::path::Path::new(id).exists())
    else {
        return Ok(None);
    };
    let store = ctx.open_store(&mut std::io::sink())?;
    let exchange = store.get(id)?.ok_or_else(|| {
        CommandError::Usage(format!(
            "no file and no exchange with id `{id}`; `claudetui history list` shows the ids"
        ))
    })?;
    let request = &exchange.request;
    let endpoint = Endpoint::of_path(request.path()).unwrap_or(Endpoint::Messages);
    let mut options = LintOptions::for_request(endpoint, &request.headers);
    options
        .anthropic_version
        .get_or_insert_with(|| args.anthropic_version.clone());
    Ok(Some((
        format!("{} ({})", exchange.id, request.api_path()),
        request.body.clone().into_bytes(),
        options,
    )))
}

/// The display name and the bytes of `file` (`-` is standard input).
fn read_body(file: &str, stdin: &mut dyn Read) -> Result<(String, Vec<u8>), CommandError> {
    let mut bytes = Vec::new();
    if file == "-" {
        stdin.read_to_end(&mut bytes).map_err(|e| {
            CommandError::Usage(format!(
                "could not read the request from standard input: {e}"
            ))
        })?;
        return Ok((STDIN_NAME.to_owned(), bytes));
    }
    // Usage, not Io: the message already names the cause, once.
    bytes = std::fs::read(file)
        .map_err(|e| CommandError::Usage(format!("could not read {file}: {e}")))?;
    Ok((file.to_owned(), bytes))
}

/// Where a problem is: the exact place when known, else the path the API
/// names (empty for the body as a whole).
fn place(problem: &Problem) -> String {
    if problem.location.is_empty() {
        problem.path.clone()
    } else {
        lint::dotted(&problem.location)
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `file:line:col  error  path: message` and `  fix: …` per problem, in
/// reading order, then the summary.
pub fn text_report(name: &str, report: &TextReport) -> String {
    let mut text = String::new();
    for (problem, at) in report.by_position() {
        let at = at.map_or(String::new(), |p| format!(":{}:{}", p.line, p.column));
        let place = place(&problem);
        let what = if place.is_empty() {
            problem.message.clone()
        } else {
            format!("{place}: {}", problem.message)
        };
        text.push_str(&format!(
            "{name}{at}  {}  {what}\n  fix: {}\n",
            severity_word(problem.severity),
            problem.fix
        ));
    }
    text.push_str(&summary(report));
    text.push('\n');
    text
}

/// `2 errors, 1 warning`, or `no problems`.
pub fn summary(report: &TextReport) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    if errors + warnings == 0 {
        return "no problems".to_owned();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    anthropic_version: &'a str,
    problems: Vec<JsonProblem>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonProblem {
    line: Option<usize>,
    column: Option<usize>,
    exact: bool,
    severity: Severity,
    path: String,
    pointer: String,
    message: String,
    fix: String,
    api_message: String,
    status: u16,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
}

/// The `--json` report, shape documented in `claudetui lint --help`.
fn json_report(name: &str, version: &str, report: &TextReport) -> Result<String, CommandError> {
    let problems = report
        .by_position()
        .into_iter()
        .map(|(problem, at)| json_problem(problem, at))
        .collect();
    let json = JsonReport {
        file: name,
        anthropic_version: version,
        problems,
        summary: JsonSummary {
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
        },
    };
    let mut text = serde_json::to_string_pretty(&json)
        .map_err(|e| CommandError::Usage(format!("could not write the JSON report: {e}")))?;
    text.push('\n');
    Ok(text)
}

fn json_problem(problem: Problem, at: Option<TextPosition>) -> JsonProblem {
    JsonProblem {
        line: at.map(|p| p.line),
        column: at.map(|p| p.column),
        exact: at.is_some_and(|p| p.exact),
        severity: problem.severity,
        path: place(&problem),
        pointer: problem.json_pointer(),
        api_message: problem.api_message(),
        status: problem.status,
        message: problem.message,
        fix: problem.fix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_ANTHROPIC_VERSION;

    fn args(file: &str, json: bool) -> LintArgs {
        LintArgs {
            file: file.to_owned(),
            json,
            anthropic_version: DEFAULT_ANTHROPIC_VERSION.to_owned(),
        }
    }

    fn lint_stdin(body: &str, json: bool) -> (Exit, String) {
        let mut out = Vec::new();
        let exit = run(&args("-", json), &mut body.as_bytes(), &mut out, None).expect("runs");
        (exit, String::from_utf8_lossy(&out).into_owned())
    }

    const BROKEN: &str = "{\n  \"model\": \"claude-sonet-4-6\",\n  \"max_tokens\": 64,\n  \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"\"}]}]\n}";

    #[test]
    fn problems_print_in_reading_order_with_fix_and_summary() {
        let (exit, out) = lint_stdin(BROKEN, false);
        assert_eq!(exit, Exit::ApiError);
        assert_eq!(
            out,
            "<stdin>:2:3  warning  model: claude-sonet-4-6\n  fix: Closest known ids: claude-sonnet-4-6, claude-sonnet-4-5, claude-sonnet-5-5. Unknown model ids answer 404 not_found_error; GET /v1/models lists the ids your key can use.\n\
             <stdin>:4:62  error  messages.0.content.0.text: text content blocks must be non-empty\n  fix: Remove the empty text block or give it text.\n\
             1 error, 1 warning\n"
        );
    }

    #[test]
    fn a_clean_body_exits_0_and_says_so() {
        let body = r#"{"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}"#;
        assert_eq!(
            lint_stdin(body, false),
            (Exit::Ok, "no problems\n".to_owned())
        );
    }

    #[test]
    fn warnings_alone_exit_0() {
        let body = r#"{"model": "claude-sonet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}"#;
        let (exit, out) = lint_stdin(body, false);
        assert_eq!(exit, Exit::Ok);
        assert!(out.ends_with("0 errors, 1 warning\n"), "{out}");
    }

    #[test]
    fn invalid_json_is_one_error_at_its_place_with_the_hint() {
        let (exit, out) = lint_stdin("{\n  \"model\": \"x\",\n}", false);
        assert_eq!(exit, Exit::ApiError);
        assert!(
            out.starts_with("<stdin>:3:1  error  The request body is not valid JSON: trailing comma is not allowed: line 3 column 1 (char 18)\n  fix: Remove the comma"),
            "{out}"
        );
        assert!(out.ends_with("1 error, 0 warnings\n"), "{out}");
    }

    #[test]
    fn json_report_has_the_documented_shape() {
        let (exit, out) = lint_stdin(BROKEN, true);
        assert_eq!(exit, Exit::ApiError);
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(json["file"], "<stdin>");
        assert_eq!(json["anthropic_version"], "2023-06-01");
        assert_eq!(
            json["summary"],
            serde_json::json!({"errors": 1, "warnings": 1})
        );
        let error = &json["problems"][1];
        assert_eq!(
            error,
            &serde_json::json!({
                "line": 4, "column": 62, "exact": true, "severity": "error",
                "path": "messages.0.content.0.text",
                "pointer": "/messages/0/content/0/text",
                "message": "text content blocks must be non-empty",
                "fix": "Remove the empty text block or give it text.",
                "api_message": "messages: text content blocks must be non-empty",
                "status": 400
            })
        );
        assert_eq!(json["problems"][0]["severity"], "warning");
        assert_eq!(json["problems"][0]["status"], 404);
    }

    #[test]
    fn the_version_changes_the_rules() {
        let body = r#"{"model": "claude-haiku-4-5", "max_tokens": 64, "temperature": 0.5, "messages": [{"role": "user", "content": "Hi"}]}"#;
        assert_eq!(lint_stdin(body, false).0, Exit::Ok);
        let mut newer = args("-", false);
        newer.anthropic_version = "2026-10-21".to_owned();
        let mut out = Vec::new();
        let exit = run(&newer, &mut body.as_bytes(), &mut out, None).expect("runs");
        assert_eq!(exit, Exit::ApiError);
        assert!(
            String::from_utf8_lossy(&out).contains("temperature: Extra inputs are not permitted")
        );
    }

    #[test]
    fn a_key_in_the_body_is_masked() {
        let key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCD-EFGH";
        let body = format!(
            r#"{{"model": "{key}", "max_tokens": 64, "messages": [{{"role": "user", "content": "Hi"}}]}}"#
        );
        for json in [false, true] {
            let (_, out) = lint_stdin(&body, json);
            assert!(out.contains("model"), "{out}");
            assert!(!out.contains("abcdefghijklmnopqrstuvwxyz"), "{out}");
        }
    }

    #[test]
    fn an_unreadable_file_is_a_command_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.json");
        let result = run(
            &args(&missing.to_string_lossy(), false),
            &mut "".as_bytes(),
            &mut Vec::new(),
            None,
        );
        let Err(CommandError::Usage(message)) = result else {
            panic!("{result:?}")
        };
        assert!(message.starts_with("could not read "), "{message}");
    }
}
