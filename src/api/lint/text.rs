//! A body's *text* linted as a whole: decoded, parsed (a syntax error is
//! then the one problem, as the API answers it), validated, and every
//! problem placed at a line and column. What the composer shows and
//! `claudetui lint` prints.

use serde_json::Value;

use super::request::explain_openai_once;
use super::{
    JsonSyntaxError, LintOptions, Problem, Severity, TextPosition, decode_utf8, parse_json,
    validate,
};

/// Everything lint knows about one body's text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextReport {
    /// The body, when it is JSON.
    pub value: Option<Value>,
    /// Why it is not JSON, when it is not.
    pub syntax: Option<JsonSyntaxError>,
    /// The syntax error as a problem, or every lint problem, errors first
    /// (the order of [`validate`]).
    pub problems: Vec<Problem>,
    /// Where each problem sits, in the order of `problems`. None past the
    /// `max_located` first problems, or when the text holds no value.
    pub positions: Vec<Option<TextPosition>>,
}

impl TextReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }

    /// Each problem with its position, in reading order (line, then
    /// column); problems without a position last. Problems at one place
    /// keep the errors-first order.
    pub fn by_position(&self) -> Vec<(Problem, Option<TextPosition>)> {
        let mut placed: Vec<(Problem, Option<TextPosition>)> = self
            .problems
            .iter()
            .cloned()
            .zip(self.positions.iter().copied())
            .collect();
        placed.sort_by_key(|(_, at)| at.map_or((usize::MAX, usize::MAX), |p| (p.line, p.column)));
        let (mut problems, positions): (Vec<Problem>, Vec<_>) = placed.into_iter().unzip();
        // A long explanation goes with the first problem the reader meets.
        explain_openai_once(&mut problems);
        problems.into_iter().zip(positions).collect()
    }
}

/// Lints `text`, placing the first `max_located` problems in it (placing
/// is a scan of the text per problem; the composer caps it, the command
/// line does not).
pub fn lint_text(text: &str, options: &LintOptions, max_located: usize) -> TextReport {
    match parse_json(text) {
        Ok(value) => {
            let problems = validate(&value, options);
            let mut locator = super::locate::Locator::new(text);
            let positions = problems
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (i < max_located)
                        .then(|| locator.locate(&p.location))
                        .flatten()
                })
                .collect();
            TextReport {
                value: Some(value),
                syntax: None,
                problems,
                positions,
            }
        }
        Err(syntax) => syntax_report(syntax),
    }
}

/// [`lint_text`] of raw bytes: a body that is not UTF-8 is one problem at
/// the first byte that is not.
pub fn lint_bytes(bytes: &[u8], options: &LintOptions, max_located: usize) -> TextReport {
    match decode_utf8(bytes) {
        Ok(text) => lint_text(text, options, max_located),
        Err(syntax) => syntax_report(syntax),
    }
}

fn syntax_report(syntax: JsonSyntaxError) -> TextReport {
    TextReport {
        value: None,
        problems: vec![syntax.to_problem()],
        positions: vec![Some(TextPosition {
            line: syntax.line,
            column: syntax.column,
            exact: true,
        })],
        syntax: Some(syntax),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One kind of broken body: where lint must point and what it says.
    struct Case {
        kind: &'static str,
        body: &'static [u8],
        line: usize,
        column: usize,
        severity: Severity,
        /// A fragment of `path: message` (or the syntax message).
        says: &'static str,
        /// A fragment of the fix.
        fix: &'static str,
    }

    const fn case(
        kind: &'static str,
        body: &'static [u8],
        (line, column): (usize, usize),
        severity: Severity,
        says: &'static str,
        fix: &'static str,
    ) -> Case {
        Case {
            kind,
            body,
            line,
            column,
            severity,
            says,
            fix,
        }
    }

    use Severity::{Error, Warning};

    const CASES: &[Case] = &[
        case(
            "trailing comma",
            b"{\n  \"model\": \"claude-haiku-4-5\",\n  \"max_tokens\": 64,\n}",
            (4, 1),
            Error,
            "trailing comma is not allowed: line 4 column 1",
            "trailing comma",
        ),
        case(
            "raw newline in a string",
            b"{\"messages\": [{\"role\": \"user\", \"content\": \"a\nb\"}]}",
            (1, 45),
            Error,
            "unexpected control character in string",
            "raw line break",
        ),
        case(
            "smart quotes",
            "{\n  \u{201c}model\u{201d}: 1}".as_bytes(),
            (2, 3),
            Error,
            "not valid JSON",
            "Typographic quotes",
        ),
        case(
            "byte order mark",
            "\u{feff}{\"model\": 1}".as_bytes(),
            (1, 1),
            Error,
            "not valid JSON",
            "byte order mark",
        ),
        case(
            "Windows-1252 smart quote",
            b"{\n  \"x\": \x93hi\x94}",
            (2, 8),
            Error,
            "not valid UTF-8",
            "Windows-1252",
        ),
        case(
            "UTF-16",
            b"\xff\xfe{\x00}\x00",
            (1, 1),
            Error,
            "not valid UTF-8",
            "UTF-16",
        ),
        case(
            "missing field: the object that lacks it",
            b"\n  {\"model\": \"claude-haiku-4-5\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            (2, 3),
            Error,
            "max_tokens: Field required",
            "max_tokens",
        ),
        case(
            "empty text block deep in the conversation",
            b"{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 64, \"messages\": [\n  {\"role\": \"user\",\n   \"content\": [{\"type\": \"text\", \"text\": \"\"}]}]}",
            (3, 33),
            Error,
            "messages: text content blocks must be non-empty",
            "empty text block",
        ),
        case(
            "unknown model",
            b"{\"max_tokens\": 64,\n \"model\": \"claude-sonet-4-6\",\n \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
            (2, 2),
            Warning,
            "model: claude-sonet-4-6",
            "claude-sonnet-4-6",
        ),
    ];

    #[test]
    fn every_kind_of_problem_is_placed_where_it_is() {
        let mut failures = Vec::new();
        for case in CASES {
            let report = lint_bytes(case.body, &LintOptions::default(), usize::MAX);
            let placed = report.by_position();
            let found = placed
                .iter()
                .find(|(p, _)| p.api_message().contains(case.says) && p.fix.contains(case.fix));
            let Some((problem, at)) = found else {
                failures.push(format!(
                    "{}: not found in {:#?}",
                    case.kind, report.problems
                ));
                continue;
            };
            let at = at.map(|p| (p.line, p.column));
            if at != Some((case.line, case.column)) || problem.severity != case.severity {
                failures.push(format!(
                    "{}: {:?} at {at:?}, expected {:?} at {:?}",
                    case.kind,
                    problem.severity,
                    case.severity,
                    (case.line, case.column)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_syntax_error_is_the_one_problem() {
        let report = lint_text("{\"a\": 1,}", &LintOptions::default(), 0);
        assert!(report.value.is_none());
        assert_eq!(report.problems.len(), 1);
        assert!(report.has_errors());
        assert_eq!(
            report.problems[0].message,
            report
                .syntax
                .as_ref()
                .map(JsonSyntaxError::api_message)
                .unwrap_or_default()
        );
        // Placed even with max_located 0: the parser said where.
        assert!(report.positions[0].is_some());
    }

    #[test]
    fn problems_read_top_to_bottom_and_only_the_first_are_placed() {
        let text =
            "{\n  \"messages\": [{\"role\": \"user\", \"content\": \"\"}],\n  \"stop\": 1\n}";
        let report = lint_text(text, &LintOptions::default(), usize::MAX);
        let lines: Vec<usize> = report
            .by_position()
            .iter()
            .filter_map(|(_, at)| at.map(|p| p.line))
            .collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
        assert_eq!(report.count(Severity::Error), report.problems.len());
        let capped = lint_text(text, &LintOptions::default(), 1);
        assert_eq!(capped.positions.iter().flatten().count(), 1);
        assert!(
            capped
                .by_position()
                .last()
                .is_some_and(|(_, at)| at.is_none())
        );
    }

    #[test]
    fn the_openai_explanation_goes_with_the_first_problem_read() {
        // In the API's order the explanation is on frequency_penalty (line
        // 4); in reading order the system message (line 2) comes first.
        let text = "{\"messages\": [\n  {\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}],\n \"model\": \"claude-haiku-4-5\", \"max_tokens\": 64,\n \"frequency_penalty\": 1}";
        let report = lint_text(text, &LintOptions::default(), usize::MAX);
        let explained = |p: &Problem| p.fix.contains("OpenAI Chat Completions request");
        assert!(explained(&report.problems[0]), "{:#?}", report.problems);
        let read = report.by_position();
        assert_eq!(read.len(), 2, "{read:#?}");
        assert_eq!(super::super::dotted(&read[0].0.location), "messages.0.role");
        assert!(explained(&read[0].0), "{read:#?}");
        assert!(!explained(&read[1].0), "{read:#?}");
        assert!(read[1].0.fix.contains("see the first problem"), "{read:#?}");
    }

    #[test]
    fn a_clean_body_has_no_problems() {
        let text = r#"{"model": "claude-haiku-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}"#;
        let report = lint_text(text, &LintOptions::default(), usize::MAX);
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert!(report.value.is_some());
        assert!(!report.has_errors());
    }
}
