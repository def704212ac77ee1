//! Diagnosing one exchange: what failed, the server's message in plain
//! words, the evidence it rests on (request id, status, the headers that
//! matter) and the concrete fix. Pure: it reads the recorded [`Exchange`]
//! and nothing else, so the dashboard (`d` in history), `claudetui history
//! diagnose` and `claudetui send` all explain a failure the same way.
//!
//! The classification is the engine's ([`Failure`]); this module adds what
//! the recorded request and response tell on top of it. For a 400 it runs
//! the request lint on the recorded body: when lint flags the field the API
//! named, lint's fix (which knows the field and the remedy) is the fix.

mod decode;
mod http;
mod transport;

use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use crate::api::errors::{Failure, FailureKind};
use crate::api::lint::{self, Endpoint, LintOptions, Problem};
use crate::api::types::{Header, header_value};
use crate::exchange::{Exchange, Outcome, RecordedRequest};
use crate::store::redact::redact_text;

use super::{StepId, steps_for_failure};

pub use decode::{Decoded, path_words};

/// Response headers that tell which server answered: a proxy, a CDN or a
/// gateway names itself in them.
const GATEWAY_HEADERS: [&str; 7] = [
    "server",
    "via",
    "x-cache",
    "x-served-by",
    "cf-ray",
    "x-envoy-upstream-service-time",
    "x-kong-proxy-latency",
];

/// What one exchange comes to: the failure (if any) explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The classification; `None` when nothing failed.
    pub kind: Option<FailureKind>,
    /// One line: `400 bad-request: messages.0.content is empty`.
    pub headline: String,
    /// The server's message in plain words: which field and what is wrong
    /// with it, which limit was hit and when it resets, which header.
    pub explanation: Vec<String>,
    /// `(name, value)` rows: request id, status, the headers that matter.
    #[serde(serialize_with = "named_rows")]
    pub evidence: Vec<(String, String)>,
    /// What to do about it.
    pub fix: String,
    /// The checklist steps worth running next.
    pub related_steps: Vec<StepId>,
}

impl Diagnosis {
    /// Every piece of text it shows (for leak checks and search).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.headline.as_str())
            .chain(self.explanation.iter().map(String::as_str))
            .chain(
                self.evidence
                    .iter()
                    .flat_map(|(name, value)| [name.as_str(), value.as_str()]),
            )
            .chain(std::iter::once(self.fix.as_str()))
    }

    /// The value of an evidence row.
    pub fn evidence_value(&self, name: &str) -> Option<&str> {
        self.evidence
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The diagnosis as plain text for a terminal: headline, explanation,
    /// evidence table, fix and the related checklist steps.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n", self.headline);
        if !self.explanation.is_empty() {
            s.push('\n');
            for line in &self.explanation {
                let _ = writeln!(s, "  {line}");
            }
        }
        if !self.evidence.is_empty() {
            s.push_str("\nevidence\n");
            let width = evidence_name_width(&self.evidence);
            for (name, value) in &self.evidence {
                let _ = writeln!(s, "  {name:<width$}  {value}");
            }
        }
        let _ = writeln!(s, "\nfix: {}", self.fix);
        if !self.related_steps.is_empty() {
            let steps: Vec<String> = self
                .related_steps
                .iter()
                .map(|step| format!("{} {}", step.number(), step.title()))
                .collect();
            let _ = writeln!(
                s,
                "\nchecklist steps to run: {} (claudetui doctor)",
                steps.join(", ")
            );
        }
        s
    }
}

/// The evidence name column's width: the longest name, capped so one long
/// header name does not push every value off the screen.
pub fn evidence_name_width(evidence: &[(String, String)]) -> usize {
    evidence
        .iter()
        .map(|(name, _)| name.chars().count())
        .max()
        .unwrap_or(0)
        .min(40)
}

fn named_rows<S: Serializer>(rows: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Row<'a> {
        name: &'a str,
        value: &'a str,
    }
    s.collect_seq(rows.iter().map(|(name, value)| Row { name, value }))
}

/// Explains `exchange`: a failure in detail, a success or a cancellation
/// in a line or two.
pub fn diagnose(exchange: &Exchange) -> Diagnosis {
    let diagnosis = match &exchange.outcome {
        Outcome::Ok => succeeded(exchange),
        Outcome::Cancelled => cancelled(exchange),
        Outcome::Failed(failure) => failed(exchange, failure),
    };
    scrubbed(diagnosis)
}

/// The fix to show for a failure: the one [`diagnose`] gives.
pub fn fix_for(exchange: &Exchange) -> String {
    diagnose(exchange).fix
}

/// What lint finds in a recorded request, judged as the API judges it: the
/// endpoint its path names and the `anthropic-version` it carries. Empty
/// for anything but a JSON `POST` to Messages or `count_tokens`.
pub fn lint_recorded(request: &RecordedRequest) -> Vec<Problem> {
    let Some(endpoint) = lint_endpoint(request) else {
        return Vec::new();
    };
    let Ok(body) = lint::parse_json(&request.body) else {
        return Vec::new();
    };
    lint::validate(&body, &LintOptions::for_request(endpoint, &request.headers))
}

fn lint_endpoint(request: &RecordedRequest) -> Option<Endpoint> {
    if !request.method.eq_ignore_ascii_case("POST") {
        return None;
    }
    Endpoint::of_path(request.path())
}

/// The lint error that names what the API rejected: the same message
/// word for word, else the same field path, else — when the server's
/// words were not understood (`loose`) — one inside that path or around
/// it (the API says `messages`, lint `messages.1.content`).
pub fn matching_problem<'a>(
    failure: &Failure,
    problems: &'a [Problem],
    loose: bool,
) -> Option<&'a Problem> {
    let errors = || problems.iter().filter(|p| p.is_error());
    let by_message = errors().find(|p| p.api_message() == failure.message);
    let path = failure.field_path.as_deref();
    by_message
        .or_else(|| errors().find(|p| Some(p.path.as_str()) == path))
        .or_else(|| {
            let path = path.filter(|_| loose)?;
            errors().find(|p| inside(&p.path, path) || inside(path, &p.path))
        })
}

/// `messages.1.content` is inside `messages`; `messages10` is not.
fn inside(path: &str, outer: &str) -> bool {
    !outer.is_empty()
        && path
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// A diagnosis in the making: the failure, and what has been found so far.
pub(super) struct Draft<'a> {
    exchange: &'a Exchange,
    failure: &'a Failure,
    /// The headline's tail.
    summary: String,
    explanation: Vec<String>,
    evidence: Vec<(String, String)>,
    /// A fix more precise than the kind's.
    fix: Option<String>,
}

impl<'a> Draft<'a> {
    fn new(exchange: &'a Exchange, failure: &'a Failure) -> Draft<'a> {
        Draft {
            exchange,
            failure,
            summary: String::new(),
            explanation: Vec::new(),
            evidence: Vec::new(),
            fix: None,
        }
    }

    fn explain(&mut self, line: impl Into<String>) {
        let line = line.into();
        if !line.is_empty() && !self.explanation.contains(&line) {
            self.explanation.push(line);
        }
    }

    /// Adds a row, once per name.
    fn evidence(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        if self
            .evidence
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            return;
        }
        self.evidence.push((name, one_line(&value.into(), 300)));
    }

    fn response_headers(&self) -> &'a [Header] {
        self.exchange
            .response
            .as_ref()
            .map_or(&[], |r| r.headers.as_slice())
    }

    fn response_header(&self, name: &str) -> Option<&'a str> {
        header_value(self.response_headers(), name)
    }

    /// Adds a response header as a row when the response has it.
    fn show_header(&mut self, name: &str) -> bool {
        match self.response_header(name) {
            Some(value) => {
                self.evidence(name.to_ascii_lowercase(), value);
                true
            }
            None => false,
        }
    }

    fn request_header(&self, name: &str) -> Option<&'a str> {
        header_value(&self.exchange.request.headers, name)
    }

    /// Adds a request header as `<name> sent`, or `(not sent)`.
    fn show_sent_header(&mut self, name: &str) {
        let value = self.request_header(name).unwrap_or("(not sent)");
        self.evidence(format!("{name} sent"), value);
    }

    fn finish(mut self) -> Diagnosis {
        for name in ["content-type"].iter().chain(GATEWAY_HEADERS.iter()) {
            self.show_header(name);
        }
        if self.exchange.attempt > 1 {
            let of = self
                .exchange
                .retry_of
                .as_ref()
                .map(|id| format!(" (a retry of {id})"))
                .unwrap_or_default();
            self.evidence("attempt", format!("{}{of}", self.exchange.attempt));
        }
        let kind = self.failure.kind;
        Diagnosis {
            kind: Some(kind),
            headline: format!(
                "{}: {}",
                status_label(self.exchange, self.failure),
                self.summary
            ),
            explanation: self.explanation,
            evidence: self.evidence,
            fix: self.fix.unwrap_or_else(|| kind.fix().to_owned()),
            related_steps: steps_for_failure(kind),
        }
    }
}

/// `400 bad-request`, `200 then overloaded`, `no response · refused`.
fn status_label(exchange: &Exchange, failure: &Failure) -> String {
    let slug = failure.kind.slug();
    match failure.status.or(exchange.status()) {
        Some(status) if failure.mid_stream || status < 300 => format!("{status} then {slug}"),
        Some(status) => format!("{status} {slug}"),
        None => format!("no response · {slug}"),
    }
}

fn failed(exchange: &Exchange, failure: &Failure) -> Diagnosis {
    let mut draft = Draft::new(exchange, failure);
    common_evidence(&mut draft);
    draft.explain(failure.explanation());
    if failure.kind.is_transport() {
        transport::explain(&mut draft);
    } else {
        http::explain(&mut draft);
    }
    if draft.summary.is_empty() {
        draft.summary = decode::clip(&failure.message, 100);
    }
    draft.finish()
}

/// The rows every failure has: who to quote, what came back, what was sent.
fn common_evidence(draft: &mut Draft) {
    let exchange = draft.exchange;
    let failure = draft.failure;
    if let Some(id) = exchange.request_id() {
        draft.evidence("request-id", id);
    }
    let status = match &exchange.response {
        Some(response) if failure.mid_stream => format!(
            "{} {}, then an error event in the stream",
            response.status, response.http_version
        ),
        Some(response) => format!("{} {}", response.status, response.http_version),
        None => "no response".into(),
    };
    draft.evidence("status", status);
    if let Some(error_type) = &failure.error_type {
        draft.evidence("error.type", error_type.as_str());
    }
    draft.evidence("message", failure.message.as_str());
    draft.evidence(
        "request",
        format!(
            "{} {}",
            exchange.request.method,
            crate::config::display_url(&exchange.request.url)
        ),
    );
}

fn succeeded(exchange: &Exchange) -> Diagnosis {
    let status = exchange
        .status()
        .map_or_else(|| "ok".to_owned(), |s| format!("{s} ok"));
    let message = exchange.response.as_ref().and_then(|r| r.message.as_ref());
    let mut facts = Vec::new();
    if let Some(model) = message.map(|m| m.model.as_str()).filter(|m| !m.is_empty()) {
        facts.push(model.to_owned());
    }
    if let Some(usage) = &exchange.usage {
        facts.push(format!(
            "{} in / {} out tokens",
            usage.input_tokens, usage.output_tokens
        ));
    }
    facts.push(millis(exchange.timing.total_ms));
    let stop_reason = message.and_then(|m| m.stop_reason.as_deref());
    let mut explanation = vec![match stop_reason {
        Some(reason) => {
            format!("The API answered and the answer is complete (stop_reason {reason}).")
        }
        None => "The API answered with a success status.".to_owned(),
    }];
    let fix = match stop_reason {
        Some("max_tokens") => {
            explanation.push(
                "The answer stopped because it reached max_tokens, so it is cut short.".into(),
            );
            "Raise max_tokens for a longer answer."
        }
        Some("refusal") => {
            explanation.push("The model declined to answer (stop_reason refusal).".into());
            "Rephrase the request; the refusal is the model's answer, not an error."
        }
        Some("pause_turn") => {
            explanation.push("The model paused a long turn (stop_reason pause_turn).".into());
            "Send the conversation back, with this answer, to let it continue."
        }
        _ => "Nothing to fix.",
    };
    let mut evidence = Vec::new();
    if let Some(id) = exchange.request_id() {
        evidence.push(("request-id".to_owned(), id.to_owned()));
    }
    if let Some(response) = &exchange.response {
        evidence.push((
            "status".to_owned(),
            format!("{} {}", response.status, response.http_version),
        ));
    }
    if exchange.rate_limits.is_known() {
        evidence.push(("rate limits".to_owned(), exchange.rate_limits.summary()));
    }
    Diagnosis {
        kind: None,
        headline: format!("{status}: nothing failed ({})", facts.join(", ")),
        explanation,
        evidence,
        fix: fix.to_owned(),
        related_steps: Vec::new(),
    }
}

fn cancelled(exchange: &Exchange) -> Diagnosis {
    let events = exchange.response.as_ref().map_or(0, |r| r.events.len());
    let arrived = match (&exchange.response, events) {
        (None, _) => "before any answer arrived".to_owned(),
        (Some(r), 0) => format!("after a {} status", r.status),
        (Some(r), n) => format!("after a {} status and {n} stream events", r.status),
    };
    Diagnosis {
        kind: None,
        headline: format!(
            "cancelled: nothing failed (stopped after {})",
            millis(exchange.timing.total_ms)
        ),
        explanation: vec![format!(
            "The exchange was cancelled {arrived}; what arrived before that is kept."
        )],
        evidence: exchange
            .request_id()
            .map(|id| vec![("request-id".to_owned(), id.to_owned())])
            .unwrap_or_default(),
        fix: "Nothing to fix; send it again to see the whole answer.".into(),
        related_steps: Vec::new(),
    }
}

/// Masks anything key-like that reached the diagnosis (a key pasted into
/// a body, echoed by a server): nothing shown may hold a key.
fn scrubbed(mut d: Diagnosis) -> Diagnosis {
    let scrub = |s: &mut String| {
        if let std::borrow::Cow::Owned(clean) = redact_text(s) {
            *s = clean;
        }
    };
    scrub(&mut d.headline);
    d.explanation.iter_mut().for_each(scrub);
    for (name, value) in &mut d.evidence {
        scrub(name);
        scrub(value);
    }
    scrub(&mut d.fix);
    d
}

/// A value on one line: control characters and runs of whitespace become
/// one space, and it is clipped to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean: String = joined
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    decode::clip(&clean, max)
}

/// `420 ms`, `8.01 s`.
fn millis(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "?".into()
    } else if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// A wait in words: `20 s`, `2 min 05 s`.
fn seconds(secs: f64) -> String {
    let secs = if secs.is_finite() {
        secs.max(0.0).ceil() as u64
    } else {
        0
    };
    if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests;
