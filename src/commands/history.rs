//! `claudetui history list|show|export|diagnose`: the store from the shell.

use std::io::Write;

use chrono::Local;
use serde_json::Value;

use crate::cli::{ExportFormat, HistoryCommand, HistoryListArgs};
use crate::doctor::diagnose::diagnose;
use crate::exchange::{Exchange, ExchangeSummary, Outcome};
use crate::store::{ListQuery, Store, export};

use super::send::timing_line;
use super::{CommandError, Context, Exit};
use crate::text::clip;

pub fn run(
    ctx: &Context,
    command: &HistoryCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit, CommandError> {
    let store = ctx.open_store(err)?;
    match command {
        HistoryCommand::List(args) => list(&store, args, out),
        HistoryCommand::Show { id, json } => {
            let exchange = find(&store, id)?;
            let text = if *json {
                serde_json::to_string_pretty(&exchange).unwrap_or_default()
            } else {
                describe(&exchange)
            };
            write_out(out, &text)?;
            Ok(Exit::Ok)
        }
        HistoryCommand::Export { id, format, output } => {
            let exchange = find(&store, id)?;
            let text = match format {
                ExportFormat::Curl => export::to_curl(&exchange),
                ExportFormat::Har => {
                    serde_json::to_string_pretty(&export::to_har(std::slice::from_ref(&exchange)))
                        .unwrap_or_default()
                }
                ExportFormat::Json => serde_json::to_string_pretty(&exchange).unwrap_or_default(),
            };
            match output {
                Some(path) => {
                    std::fs::write(path, format!("{text}\n")).map_err(|e| {
                        CommandError::io(format!("could not write {}", path.display()), e)
                    })?;
                    let _ = writeln!(err, "wrote {}", path.display());
                }
                None => write_out(out, &text)?,
            }
            Ok(Exit::Ok)
        }
        HistoryCommand::Diff { from, to, json } => {
            let (from, to) = match to {
                Some(to) => (find(&store, from)?, find(&store, to)?),
                None => {
                    let to = find(&store, from)?;
                    (previous_turn(&store, &to)?, to)
                }
            };
            let diff = crate::exchange::diff::diff(&from, &to);
            let text = if *json {
                serde_json::to_string_pretty(&diff).unwrap_or_default()
            } else {
                diff.to_text()
            };
            write_out(out, text.trim_end())?;
            Ok(Exit::Ok)
        }
        HistoryCommand::Diagnose { id, json } => {
            let diagnosis = diagnose(&find(&store, id)?);
            let text = if *json {
                serde_json::to_string_pretty(&diagnosis).unwrap_or_default()
            } else {
                diagnosis.to_text()
            };
            write_out(out, text.trim_end())?;
            Ok(Exit::Ok)
        }
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), CommandError> {
    writeln!(out, "{text}").map_err(|e| CommandError::io("could not write to standard output", e))
}

fn find(store: &Store, id: &str) -> Result<Exchange, CommandError> {
    store.get(id)?.ok_or_else(|| {
        CommandError::Usage(format!(
            "no exchange with id `{id}` in the history; `claudetui history list` shows the ids"
        ))
    })
}

fn previous_turn(store: &Store, exchange: &Exchange) -> Result<Exchange, CommandError> {
    store.previous_turn(exchange)?.ok_or_else(|| {
        CommandError::Usage(format!(
            "{} is the first exchange in the history; give two ids to compare",
            exchange.id
        ))
    })
}

fn list(store: &Store, args: &HistoryListArgs, out: &mut dyn Write) -> Result<Exit, CommandError> {
    let query = ListQuery {
        limit: Some(args.limit),
        offset: 0,
        text: args.text.clone(),
        outcome: args.outcome.clone(),
        status: args.status,
        model: args.model.clone(),
        source: args.source,
        client: args.client.clone(),
        session: args.session.clone(),
        before: None,
    };
    let rows = store.list(&query)?;
    let mut text = String::new();
    if args.json {
        for row in &rows {
            text.push_str(&serde_json::to_string(row).unwrap_or_default());
            text.push('\n');
        }
    } else if rows.is_empty() {
        text.push_str("no exchanges yet (claudetui send adds one)\n");
    } else {
        // What the tap saw says which program sent it.
        let clients = rows.iter().any(|r| r.client.is_some());
        text.push_str(&format!(
            "{:<19}  {:<26}  {:>6}  {:<13}  {:<24}  {:<22}  {:>8}  {:>13}{}\n",
            "time",
            "id",
            "status",
            "outcome",
            "path",
            "model",
            "latency",
            "tokens in/out",
            if clients { "  client" } else { "" }
        ));
        for row in &rows {
            text.push_str(&list_row(row));
            if clients {
                text.push_str("  ");
                text.push_str(row.client.as_deref().unwrap_or("—"));
            }
            text.push('\n');
        }
    }
    // Paths and client names come from other programs' requests.
    let text = crate::text::printable(&text);
    out.write_all(text.as_bytes())
        .map_err(|e| CommandError::io("could not write to standard output", e))?;
    Ok(Exit::Ok)
}

fn list_row(row: &ExchangeSummary) -> String {
    let status = row.status.map_or_else(|| "—".to_owned(), |s| s.to_string());
    let tokens = match (row.input_tokens, row.output_tokens) {
        (Some(input), Some(output)) => format!("{input}/{output}"),
        _ => "—".into(),
    };
    format!(
        "{:<19}  {:<26}  {:>6}  {:<13}  {:<24}  {:<22}  {:>6.0}ms  {:>13}",
        row.started_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S"),
        row.id,
        status,
        row.outcome,
        format!("{} {}", row.method, clip(&row.path, 19)),
        clip(row.model.as_deref().unwrap_or("—"), 22),
        row.total_ms,
        tokens
    )
}

/// The whole exchange, readable: request, response, timing, rate limits
/// and the outcome with its explanation.
pub fn describe(exchange: &Exchange) -> String {
    let mut s = format!(
        "exchange {} · {} · profile {} · attempt {}\n",
        exchange.id,
        exchange
            .started_at
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S%.3f"),
        exchange.profile,
        exchange.attempt
    );
    let request = &exchange.request;
    s.push_str(&format!("\n→ {} {}\n", request.method, request.url));
    for header in &request.headers {
        s.push_str(&format!("  {}: {}\n", header.name, header.value));
    }
    push_body(&mut s, &request.body);
    match &exchange.response {
        None => s.push_str("\n← no response\n"),
        Some(response) => {
            s.push_str(&format!(
                "\n← {} {}\n",
                response.status, response.http_version
            ));
            for header in &response.headers {
                s.push_str(&format!("  {}: {}\n", header.name, header.value));
            }
            if response.events.is_empty() {
                push_body(&mut s, &response.body);
            } else {
                s.push_str(&format!("\n  {} events:\n", response.events.len()));
                if let Some(truncated) = &response.truncated {
                    s.push_str(&format!("  ({})\n", truncated.describe()));
                }
                for event in &response.events {
                    s.push_str(&format!(
                        "  +{:>7.1} ms  {:<20} {}\n",
                        event.at_ms, event.event, event.data
                    ));
                }
            }
        }
    }
    s.push_str(&format!("\ntiming: {}\n", timing_line(exchange)));
    s.push_str(&format!(
        "rate limits: {}\n",
        exchange.rate_limits.summary()
    ));
    s.push_str(&outcome_text(&exchange.outcome));
    s
}

fn push_body(s: &mut String, body: &str) {
    if body.is_empty() {
        return;
    }
    let pretty = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned());
    s.push('\n');
    for line in pretty.lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "outcome: ok\n".into(),
        Outcome::Cancelled => "outcome: cancelled\n".into(),
        Outcome::Failed(failure) => format!(
            "outcome: {}{}\n  {}\n  why: {}\n  fix: {}\n",
            failure.kind.slug(),
            failure
                .status
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            failure.message,
            failure.explanation(),
            failure.kind.fix()
        ),
    }
}
