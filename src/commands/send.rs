//! `claudetui send`: one request, the answer on stdout as it arrives, the
//! timing, rate limits and any failure explained on stderr.

use std::io::{Read, Write};
use std::net::IpAddr;

use serde_json::Value;

use crate::api::lint::{self, Severity};
use crate::api::sse::{BlockDelta, StreamEvent};
use crate::api::types::{ContentBlock, Header};
use crate::cli::SendArgs;
use crate::config::Profile;
use crate::doctor::diagnose;
use crate::engine::{Engine, Event, OutgoingRequest};
use crate::exchange::{Exchange, Outcome};

use super::{CommandError, Context, Exit};

/// The request sent when no file is given: a quick "does it work" check.
pub const SAMPLE_REQUEST: &str = include_str!("../../assets/requests/hello.json");

/// Where the command writes: the answer to `out`, everything else to `err`.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

pub async fn run(
    ctx: &Context,
    args: &SendArgs,
    stdin: &mut dyn Read,
    io: Output<'_>,
) -> Result<Exit, CommandError> {
    let profile = ctx.profile()?;
    for warning in &profile.warnings {
        let _ = writeln!(io.err, "warning: {warning}");
    }
    let body = request_body(args, &profile, stdin)?;
    let request = build_request(&profile, args, body)?;
    // Judged as the API will judge it (the endpoint and the
    // anthropic-version being sent), by the same code that diagnoses the
    // answer afterwards.
    report_lint(&diagnose::lint_recorded(&request.recorded()), io.err);
    let store = if args.no_history {
        None
    } else {
        open_store_or_warn(ctx, io.err)
    };
    let (engine, mut events) = Engine::spawn(store)
        .map_err(|e| CommandError::io("could not start the history writer", e))?;
    let root = engine.send_with_retries(request, args.retries);
    let mut printer = Printer {
        io,
        json: args.json,
        retrying: None,
        streamed_text: false,
        pending: Vec::new(),
    };
    let exchange = loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = tokio::signal::ctrl_c() => {
                engine.cancel(&root);
                continue;
            }
        };
        let Some(event) = event else {
            return Err(CommandError::Usage(
                "the engine stopped without an answer".into(),
            ));
        };
        let done = printer.event(event);
        // Text is written when the engine has nothing more queued (or a
        // lot is pending): one write per burst, not one per delta, so a
        // fast stream is not held back by a syscall per few bytes.
        if done.is_some() || events.is_empty() || printer.pending.len() >= TEXT_BATCH_BYTES {
            printer.write_pending();
        }
        if let Some(exchange) = done {
            break exchange;
        }
    };
    engine.flush().await;
    Ok(printer.finish(&exchange, !args.no_history))
}

/// Reads the body and applies the flags that rewrite it. Invalid JSON stops
/// here (naming line and column) unless `--force`.
fn request_body(
    args: &SendArgs,
    profile: &Profile,
    stdin: &mut dyn Read,
) -> Result<String, CommandError> {
    let (text, origin) = match args.file.as_deref() {
        None if !method_has_body(&args.method) => return Ok(String::new()),
        None => (
            SAMPLE_REQUEST.replace("claude-sonnet-4-6", &profile.default_model.value),
            "the built-in sample".to_owned(),
        ),
        Some("-") => {
            let mut text = String::new();
            stdin.read_to_string(&mut text).map_err(|e| {
                CommandError::io("could not read the request from standard input", e)
            })?;
            (text, "standard input".to_owned())
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CommandError::io(format!("could not read {path}"), e))?;
            (text, path.to_owned())
        }
    };
    let wants_rewrite =
        args.model.is_some() || args.max_tokens.is_some() || args.stream_override().is_some();
    match lint::parse_json(&text) {
        Ok(value) if wants_rewrite => rewrite(value, args),
        Ok(_) => Ok(text),
        Err(_) if args.force && !wants_rewrite => Ok(text),
        Err(error) => {
            let hint = error
                .hint
                .as_deref()
                .map(|h| format!("\n  hint: {h}"))
                .unwrap_or_default();
            let force = if args.force {
                "\n  --model, --max-tokens and --stream need a JSON body to change; drop them to send the file as it is"
            } else {
                "\n  nothing was sent; pass --force to send it anyway (to reproduce the API's 400)"
            };
            Err(CommandError::Usage(format!(
                "{origin} is not valid JSON: line {}, column {}: {}{hint}{force}",
                error.line, error.column, error.message
            )))
        }
    }
}

/// GET, HEAD and friends go without the sample body when no file is given.
fn method_has_body(method: &str) -> bool {
    !["GET", "HEAD", "DELETE", "OPTIONS"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Applies `--model`, `--max-tokens` and `--stream`, keeping key order.
fn rewrite(mut value: Value, args: &SendArgs) -> Result<String, CommandError> {
    let Some(object) = value.as_object_mut() else {
        return Err(CommandError::Usage(
            "--model, --max-tokens and --stream need the body to be a JSON object".into(),
        ));
    };
    if let Some(model) = &args.model {
        object.insert("model".into(), model.clone().into());
    }
    if let Some(max_tokens) = args.max_tokens {
        object.insert("max_tokens".into(), max_tokens.into());
    }
    if let Some(stream) = args.stream_override() {
        object.insert("stream".into(), stream.into());
    }
    serde_json::to_string_pretty(&value)
        .map_err(|e| CommandError::Usage(format!("could not write the body: {e}")))
}

/// Says what the API will probably reject, but sends anyway: the server's
/// answer is the truth, and sending a bad request on purpose is legitimate.
fn report_lint(problems: &[lint::Problem], err: &mut dyn Write) {
    for problem in problems {
        let label = match problem.severity {
            Severity::Error => "the API will probably reject this",
            Severity::Warning => "note",
        };
        let _ = writeln!(
            err,
            "lint: {label}: {}\n      fix: {}",
            problem.api_message(),
            problem.fix
        );
    }
}

fn build_request(
    profile: &Profile,
    args: &SendArgs,
    body: String,
) -> Result<OutgoingRequest, CommandError> {
    let mut request = OutgoingRequest::for_profile(profile, &args.method, &args.path, body)?;
    for line in &args.headers {
        let header = parse_header_line(line).ok_or_else(|| {
            CommandError::Usage(format!("--header `{line}` should look like `Name: value`"))
        })?;
        request.set_header(&header.name, &header.value);
    }
    for pin in &args.resolve {
        let (host, ip) = parse_pin(pin)?;
        request
            .client
            .pinned_hosts
            .entry(host)
            .or_default()
            .push(ip);
    }
    request.check()?;
    Ok(request)
}

/// `HOST:ADDR`, where ADDR may be an IPv6 address (`host:[::1]` or `host:::1`).
fn parse_pin(pin: &str) -> Result<(String, IpAddr), CommandError> {
    let bad = || {
        CommandError::Usage(format!(
            "--resolve `{pin}` should look like `api.anthropic.com:192.0.2.10`"
        ))
    };
    let (host, addr) = pin.split_once(':').ok_or_else(bad)?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let ip = addr.parse::<IpAddr>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), ip))
}

fn open_store_or_warn(ctx: &Context, err: &mut dyn Write) -> Option<crate::store::Store> {
    match ctx.open_store(err) {
        Ok(store) => Some(store),
        Err(error) => {
            let _ = writeln!(err, "warning: history is off for this request: {error}");
            None
        }
    }
}

/// Turns engine events into output, and knows which exchange is the last.
/// The most streamed text held before it is written.
const TEXT_BATCH_BYTES: usize = 64 * 1024;

struct Printer<'a> {
    io: Output<'a>,
    json: bool,
    /// The attempt whose failure is followed by a retry.
    retrying: Option<crate::ExchangeId>,
    streamed_text: bool,
    /// Streamed text not yet written to stdout.
    pending: Vec<u8>,
}

impl Printer<'_> {
    /// Handles one event; returns the final exchange when it arrives.
    fn event(&mut self, event: Event) -> Option<Exchange> {
        // Whatever else is said comes after the text already streamed.
        if !matches!(event, Event::StreamDelta { .. }) {
            self.write_pending();
        }
        match event {
            Event::Started { attempt, .. } if attempt > 1 && !self.json => {
                let _ = writeln!(self.io.err, "… attempt {attempt}");
            }
            Event::StreamDelta { event, .. } if !self.json => self.stream_event(&event),
            Event::Retrying {
                id,
                next_attempt,
                wait,
            } => {
                self.retrying = Some(id);
                if !self.json {
                    let _ = writeln!(
                        self.io.err,
                        "… retrying in {:.1} s (attempt {next_attempt})",
                        wait.as_secs_f64()
                    );
                }
            }
            Event::Finished(exchange) | Event::Failed(exchange) | Event::Cancelled(exchange) => {
                if self.retrying.as_ref() == Some(&exchange.id) {
                    if !self.json {
                        self.explain_failure(&exchange);
                    }
                    return None;
                }
                return Some(*exchange);
            }
            Event::StoreFailed(message) => {
                let _ = writeln!(self.io.err, "warning: could not save to history: {message}");
            }
            _ => {}
        }
        None
    }

    fn stream_event(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::ContentBlockStart {
                content_block: ContentBlock::ToolUse { name, .. },
                ..
            } => {
                self.pending
                    .extend_from_slice(format!("\n[tool_use {name}] ").as_bytes());
            }
            StreamEvent::ContentBlockDelta { delta, .. } => match delta {
                BlockDelta::Text(text) | BlockDelta::InputJson(text) => {
                    self.streamed_text = true;
                    self.pending.extend_from_slice(text.as_bytes());
                }
                BlockDelta::Thinking(text) => {
                    self.write_pending();
                    let _ = write!(self.io.err, "{text}");
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn write_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let _ = self.io.out.write_all(&self.pending);
        let _ = self.io.out.flush();
        self.pending.clear();
    }

    fn finish(&mut self, exchange: &Exchange, saved: bool) -> Exit {
        if self.json {
            let text = serde_json::to_string_pretty(exchange).unwrap_or_default();
            let _ = writeln!(self.io.out, "{text}");
        } else {
            self.print_answer(exchange);
            self.explain_failure(exchange);
            self.print_summary(exchange, saved);
        }
        exit_for(&exchange.outcome)
    }

    fn print_answer(&mut self, exchange: &Exchange) {
        if self.streamed_text {
            let _ = writeln!(self.io.out);
            return;
        }
        if !matches!(exchange.outcome, Outcome::Ok) {
            return;
        }
        let Some(response) = &exchange.response else {
            return;
        };
        match &response.message {
            Some(message) => {
                for block in &message.content {
                    match block {
                        ContentBlock::Text { text, .. } => {
                            let _ = writeln!(self.io.out, "{text}");
                        }
                        ContentBlock::ToolUse { name, input, .. } => {
                            let _ = writeln!(self.io.out, "[tool_use {name}] {input}");
                        }
                        _ => {}
                    }
                }
            }
            None => {
                let pretty = serde_json::from_str::<Value>(&response.body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| response.body.clone());
                let _ = writeln!(self.io.out, "{pretty}");
            }
        }
    }

    fn explain_failure(&mut self, exchange: &Exchange) {
        for line in failure_lines(exchange) {
            let _ = writeln!(self.io.err, "{line}");
        }
    }

    fn print_summary(&mut self, exchange: &Exchange, saved: bool) {
        let err = &mut self.io.err;
        let _ = writeln!(err, "─ {}", timing_line(exchange));
        let _ = writeln!(err, "─ {}", exchange.rate_limits.summary());
        if let Some(request_id) = exchange.request_id() {
            let _ = writeln!(err, "─ request-id {request_id}");
        }
        if saved {
            let command = match exchange.outcome {
                Outcome::Failed(_) => "diagnose",
                _ => "show",
            };
            let _ = writeln!(
                err,
                "─ saved as {} (claudetui history {command} {})",
                exchange.id, exchange.id
            );
        }
    }
}

/// `200 · HTTP/1.1 · total 812 ms · connect 3 ms · headers 40 ms · …`
pub fn timing_line(exchange: &Exchange) -> String {
    let t = &exchange.timing;
    let mut parts = Vec::new();
    match &exchange.response {
        Some(response) => parts.push(format!("{} · {}", response.status, response.http_version)),
        None => parts.push("no response".into()),
    }
    parts.push(format!("total {}", ms(t.total_ms)));
    if let Some(dns) = t.dns_ms {
        parts.push(format!("dns {}", ms(dns)));
    }
    match t.connect_ms {
        Some(connect) => parts.push(format!("connect {}", ms(connect))),
        None if t.connection_reused => parts.push("connection reused".into()),
        None => {}
    }
    if let Some(headers) = t.headers_ms {
        parts.push(format!("headers {}", ms(headers)));
    }
    if let Some(first) = t.first_token_ms {
        parts.push(format!("first token {}", ms(first)));
    }
    if let Some(usage) = &exchange.usage {
        parts.push(format!(
            "{} in / {} out tokens",
            usage.input_tokens, usage.output_tokens
        ));
    }
    if let Some(rate) = t.output_tokens_per_sec {
        parts.push(format!("{rate:.0} tok/s"));
    }
    parts.join(" · ")
}

fn ms(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.2} s", value / 1000.0)
    } else {
        format!("{value:.0} ms")
    }
}

/// The exit code for an outcome: 0 ok, 1 the API said no, 3 nothing usable
/// came back, 130 cancelled.
pub fn exit_for(outcome: &Outcome) -> Exit {
    match outcome {
        Outcome::Ok => Exit::Ok,
        Outcome::Cancelled => Exit::Interrupted,
        Outcome::Failed(failure) if failure.kind.is_transport() => Exit::Transport,
        Outcome::Failed(_) => Exit::ApiError,
    }
}

/// A `-H` header line, `Name: value`.
pub fn parse_header_line(line: &str) -> Option<Header> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    (!name.is_empty()).then(|| Header::new(name, value.trim()))
}

/// How `send` tells a failed exchange: the status and class, the
/// server's own words, then the same diagnosis as `history diagnose`, the
/// dashboard's Response pane and its `d` overlay (why, and the fix).
pub fn failure_lines(exchange: &Exchange) -> Vec<String> {
    let mut lines = Vec::new();
    match &exchange.outcome {
        Outcome::Ok => {}
        Outcome::Cancelled => lines.push("✗ cancelled".to_owned()),
        Outcome::Failed(failure) => {
            let status = failure
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no response".into());
            let error_type = failure
                .error_type
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let mid = if failure.mid_stream {
                " (mid-stream, after 200)"
            } else {
                ""
            };
            lines.push(format!(
                "✗ {status}{error_type} · {}{mid}",
                failure.kind.slug()
            ));
            lines.push(format!("  {}", failure.message));
            let diagnosis = diagnose::diagnose(exchange);
            for (i, line) in diagnosis.explanation.iter().enumerate() {
                let label = if i == 0 { "why:" } else { "    " };
                lines.push(format!("  {label} {line}"));
            }
            lines.push(format!("  fix: {}", diagnosis.fix));
            if let Some(request_id) = &failure.request_id {
                lines.push(format!("  request-id: {request_id} (quote it to support)"));
            }
            if let Some(secs) = failure.retry_after_secs {
                lines.push(format!("  retry-after: {secs:.0} s"));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_pins_parse() {
        assert_eq!(
            parse_pin("API.example.com:127.0.0.1").unwrap(),
            ("api.example.com".into(), "127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            parse_pin("h:[::1]").unwrap().1,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_pin("h:::1").unwrap().1,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert!(parse_pin("nohost").is_err());
        assert!(parse_pin(":1.2.3.4").is_err());
        assert!(parse_pin("h:not-an-ip").is_err());
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        use crate::api::errors::{Failure, FailureKind};
        assert_eq!(exit_for(&Outcome::Ok), Exit::Ok);
        assert_eq!(exit_for(&Outcome::Cancelled), Exit::Interrupted);
        assert_eq!(
            exit_for(&Outcome::Failed(Failure::transport(FailureKind::Dns, "x"))),
            Exit::Transport
        );
        let mut api = Failure::transport(FailureKind::RateLimited, "x");
        api.status = Some(429);
        assert_eq!(exit_for(&Outcome::Failed(api)), Exit::ApiError);
    }

    #[test]
    fn rewrite_keeps_key_order_and_sets_fields() {
        let args = SendArgs {
            model: Some("claude-haiku-4-5".into()),
            max_tokens: Some(10),
            no_stream: true,
            ..SendArgs::default()
        };
        let value: Value =
            serde_json::from_str(r#"{"max_tokens":5,"model":"x","messages":[]}"#).unwrap();
        let text = rewrite(value, &args).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text)
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["max_tokens", "model", "messages", "stream"]);
        assert!(text.contains("claude-haiku-4-5") && text.contains("\"stream\": false"));
    }

    #[test]
    fn header_lines_parse() {
        assert_eq!(
            parse_header_line("X-Test:  a: b "),
            Some(Header::new("X-Test", "a: b"))
        );
        assert_eq!(parse_header_line(": v"), None);
        assert_eq!(parse_header_line("novalue"), None);
    }
}
