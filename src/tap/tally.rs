//! What the tap has seen, counted as it goes, for the paragraph printed
//! when it stops: requests, failures by class, tokens, time, and the ids
//! worth a look.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::exchange::{Exchange, ExchangeId, Outcome};
use crate::text::{clip, thousands};

/// How many failed exchanges the summary names.
const NAMED_FAILURES: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub requests: u64,
    pub ok: u64,
    pub cancelled: u64,
    /// Failures by outcome slug (`bad-request`, `rate-limited`, …).
    pub failures: BTreeMap<String, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// The latest failures, oldest first: id and a short reason.
    pub failed: Vec<(ExchangeId, String)>,
}

impl Tally {
    pub fn add(&mut self, exchange: &Exchange) {
        self.requests = self.requests.saturating_add(1);
        self.first.get_or_insert(exchange.started_at);
        self.last = Some(exchange.started_at);
        if let Some(usage) = &exchange.usage {
            // Numbers a server sent: saturating, never a panic.
            let input = usage
                .input_tokens
                .saturating_add(usage.cache_read_input_tokens.unwrap_or(0))
                .saturating_add(usage.cache_creation_input_tokens.unwrap_or(0));
            self.input_tokens = self.input_tokens.saturating_add(input);
            self.output_tokens = self.output_tokens.saturating_add(usage.output_tokens);
        }
        match &exchange.outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Cancelled => self.cancelled += 1,
            Outcome::Failed(failure) => {
                *self
                    .failures
                    .entry(failure.kind.slug().to_owned())
                    .or_default() += 1;
                let status = failure
                    .status
                    .or(exchange.status())
                    .map_or(String::new(), |s| format!("{s} "));
                let reason = format!(
                    "{status}{}: {}",
                    failure.kind.slug(),
                    clip(failure.message.trim(), 80)
                );
                self.failed.push((exchange.id.clone(), reason));
                if self.failed.len() > NAMED_FAILURES {
                    self.failed.remove(0);
                }
            }
        }
    }

    pub fn failed_total(&self) -> u64 {
        self.failures.values().sum()
    }

    /// The paragraph `claudetui tap` prints when it stops. `running_for`
    /// is how long the tap was up.
    pub fn paragraph(
        &self,
        tap_url: &str,
        upstream: &str,
        running_for: std::time::Duration,
    ) -> String {
        let mut text = format!(
            "claudetui tap: {} through {tap_url} → {upstream} in {}",
            plural(self.requests, "request"),
            duration(running_for)
        );
        if self.requests == 0 {
            text.push_str(
                ". Nothing arrived: the client must be pointed at the tap \
                 (ANTHROPIC_BASE_URL) and send a request.",
            );
            return text;
        }
        text.push_str(&format!(": {} ok", self.ok));
        if self.failed_total() > 0 {
            let classes: Vec<String> = self
                .failures
                .iter()
                .map(|(slug, n)| format!("{n} {slug}"))
                .collect();
            text.push_str(&format!(
                ", {} failed ({})",
                self.failed_total(),
                classes.join(", ")
            ));
        }
        if self.cancelled > 0 {
            text.push_str(&format!(", {} cancelled by the client", self.cancelled));
        }
        text.push_str(&format!(
            "; {} input and {} output tokens.",
            thousands(self.input_tokens),
            thousands(self.output_tokens)
        ));
        if !self.failed.is_empty() {
            let named: Vec<String> = self
                .failed
                .iter()
                .map(|(id, reason)| format!("{id} ({reason})"))
                .collect();
            text.push_str(&format!(
                " Look at: {}. `claudetui history diagnose ID` explains one, \
                 `claudetui bisect ID` finds what makes it fail.",
                named.join("; ")
            ));
        }
        text.push_str(" `claudetui history list --source tap` lists them all.");
        text
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n))
    }
}

fn duration(d: std::time::Duration) -> String {
    crate::text::format_latency(d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::{Failure, FailureKind};
    use crate::test_support::exchange;

    #[test]
    fn the_paragraph_counts_failures_by_class_and_names_them() {
        let mut tally = Tally::default();
        tally.add(&exchange(1, "claude-sonnet-4-6", Some(200)));
        let mut bad = exchange(2, "claude-sonnet-4-6", Some(400));
        bad.outcome = Outcome::Failed(Failure {
            status: Some(400),
            ..Failure::transport(FailureKind::BadRequest, "max_tokens: Field required")
        });
        tally.add(&bad);
        let text = tally.paragraph(
            "http://127.0.0.1:4748",
            "https://api.anthropic.com",
            std::time::Duration::from_secs(75),
        );
        assert!(text.contains("2 requests"), "{text}");
        assert!(text.contains("1 ok, 1 failed (1 bad-request)"), "{text}");
        assert!(text.contains("1m15s"), "{text}");
        assert!(
            text.contains(&format!(
                "{} (400 bad-request: max_tokens: Field required)",
                bad.id
            )),
            "{text}"
        );
    }

    #[test]
    fn an_idle_tap_says_what_to_do() {
        let text = Tally::default().paragraph("http://a", "http://b", Default::default());
        assert!(text.contains("0 requests"), "{text}");
        assert!(text.contains("ANTHROPIC_BASE_URL"), "{text}");
    }
}
