//! The token-bucket model behind the embedded server's rate limits. Each
//! budget refills continuously: a full bucket's worth per minute. Time is
//! passed in (seconds since the server started), so the model is tested
//! without a clock.

use super::scenario::{LimitName, Limits};

const SECS_PER_MINUTE: f64 = 60.0;

/// One budget: `capacity` per minute, refilled continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    capacity: f64,
    level: f64,
    updated_at: f64,
}

impl Bucket {
    pub fn full(capacity: u64, now: f64) -> Bucket {
        Bucket {
            capacity: capacity as f64,
            level: capacity as f64,
            updated_at: now,
        }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity as u64
    }

    fn refill_rate(&self) -> f64 {
        self.capacity / SECS_PER_MINUTE
    }

    fn level_at(&self, now: f64) -> f64 {
        let elapsed = (now - self.updated_at).max(0.0);
        (self.level + elapsed * self.refill_rate()).min(self.capacity)
    }

    fn settle(&mut self, now: f64) {
        self.level = self.level_at(now);
        self.updated_at = self.updated_at.max(now);
    }

    /// Whole units available now (0 while the bucket is in debt).
    pub fn remaining(&self, now: f64) -> u64 {
        self.level_at(now).max(0.0).floor() as u64
    }

    /// Takes `amount`; the level may go below zero (output generated past
    /// the budget), which later requests then wait out.
    pub fn charge(&mut self, amount: u64, now: f64) {
        self.settle(now);
        self.level -= amount as f64;
    }

    /// Seconds until `amount` is available; `None` when it never will be
    /// (more than the bucket holds).
    pub fn wait_for(&self, amount: u64, now: f64) -> Option<f64> {
        let amount = amount as f64;
        if amount > self.capacity {
            return None;
        }
        let missing = amount - self.level_at(now);
        if missing <= 0.0 {
            Some(0.0)
        } else {
            Some(missing / self.refill_rate())
        }
    }

    /// Seconds until the bucket is full again.
    pub fn secs_to_full(&self, now: f64) -> f64 {
        (self.capacity - self.level_at(now)).max(0.0) / self.refill_rate()
    }
}

/// A request the buckets cannot afford.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: LimitName,
    /// The per-minute limit that was hit.
    pub per_minute: u64,
    /// Whole seconds until the request could pass (at least 1).
    pub retry_after_secs: u64,
}

/// One rate-limit header family: limit, remaining, and seconds to reset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// The header prefix, `anthropic-ratelimit-requests` and so on.
    pub prefix: &'static str,
    pub limit: u64,
    pub remaining: u64,
    pub reset_in_secs: f64,
}

/// The requests, input-token and output-token buckets of one endpoint.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    requests: Bucket,
    input: Bucket,
    output: Bucket,
}

impl RateLimiter {
    pub fn new(limits: &Limits, now: f64) -> RateLimiter {
        RateLimiter {
            requests: Bucket::full(limits.requests_per_minute, now),
            input: Bucket::full(limits.input_tokens_per_minute, now),
            output: Bucket::full(limits.output_tokens_per_minute, now),
        }
    }

    /// Charges one request and its input tokens, or says which limit it
    /// would break. A request needs one free output token to start; its
    /// output is charged as it is generated ([`RateLimiter::charge_output`]).
    pub fn admit(&mut self, input_tokens: u64, now: f64) -> Result<(), Refusal> {
        let needs = [
            (LimitName::Requests, &self.requests, 1),
            (LimitName::InputTokens, &self.input, input_tokens),
            (LimitName::OutputTokens, &self.output, 1),
        ];
        for (limit, bucket, amount) in needs {
            let wait = bucket.wait_for(amount, now).unwrap_or(SECS_PER_MINUTE);
            if wait > 0.0 {
                return Err(Refusal {
                    limit,
                    per_minute: bucket.capacity(),
                    retry_after_secs: (wait.ceil() as u64).max(1),
                });
            }
        }
        self.requests.charge(1, now);
        self.input.charge(input_tokens, now);
        Ok(())
    }

    /// Charges a count_tokens-style request: one request, no tokens.
    pub fn admit_request_only(&mut self, now: f64) -> Result<(), Refusal> {
        match self.requests.wait_for(1, now) {
            Some(wait) if wait <= 0.0 => {
                self.requests.charge(1, now);
                Ok(())
            }
            wait => Err(Refusal {
                limit: LimitName::Requests,
                per_minute: self.requests.capacity(),
                retry_after_secs: (wait.unwrap_or(SECS_PER_MINUTE).ceil() as u64).max(1),
            }),
        }
    }

    pub fn charge_output(&mut self, tokens: u64, now: f64) {
        self.output.charge(tokens, now);
    }

    /// The four header families: requests, tokens (input + output
    /// combined), input tokens, output tokens.
    pub fn windows(&self, now: f64) -> [Window; 4] {
        let window = |prefix, bucket: &Bucket| Window {
            prefix,
            limit: bucket.capacity(),
            remaining: bucket.remaining(now),
            reset_in_secs: bucket.secs_to_full(now),
        };
        let input = window(LimitName::InputTokens.header_prefix(), &self.input);
        let output = window(LimitName::OutputTokens.header_prefix(), &self.output);
        [
            window(LimitName::Requests.header_prefix(), &self.requests),
            combined(&input, &output),
            input,
            output,
        ]
    }
}

/// The `tokens` family: input and output together.
fn combined(input: &Window, output: &Window) -> Window {
    Window {
        prefix: "anthropic-ratelimit-tokens",
        limit: input.limit + output.limit,
        remaining: input.remaining + output.remaining,
        reset_in_secs: input.reset_in_secs.max(output.reset_in_secs),
    }
}

/// `windows` as a 429 for `limit` reports them: that family at 0 and
/// resetting no sooner than the `retry-after`, the `tokens` family
/// following. A family the request could not afford is exhausted for it
/// even with a few tokens left, and a reader of the headers (the doctor,
/// a person) looks for the family at 0 to learn which limit was hit, so
/// the headers and the message must name the same one.
pub fn exhausted(windows: [Window; 4], limit: LimitName, retry_after_secs: u64) -> [Window; 4] {
    let [mut requests, _, mut input, mut output] = windows;
    let hit = match limit {
        LimitName::Requests => &mut requests,
        LimitName::InputTokens => &mut input,
        LimitName::OutputTokens => &mut output,
    };
    hit.remaining = 0;
    hit.reset_in_secs = hit.reset_in_secs.max(retry_after_secs as f64);
    [requests, combined(&input, &output), input, output]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: u64, input: u64, output: u64) -> Limits {
        Limits {
            requests_per_minute: requests,
            input_tokens_per_minute: input,
            output_tokens_per_minute: output,
        }
    }

    #[test]
    fn a_bucket_refills_continuously_up_to_its_capacity() {
        let mut bucket = Bucket::full(60, 0.0);
        bucket.charge(60, 0.0);
        assert_eq!(bucket.remaining(0.0), 0);
        assert_eq!(bucket.remaining(10.0), 10);
        assert_eq!(bucket.remaining(30.5), 30);
        assert_eq!(bucket.remaining(600.0), 60);
        assert_eq!(bucket.secs_to_full(0.0), 60.0);
        assert_eq!(bucket.secs_to_full(45.0), 15.0);
    }

    #[test]
    fn a_bucket_in_debt_reports_zero_and_waits_it_out() {
        let mut bucket = Bucket::full(60, 0.0);
        bucket.charge(90, 0.0);
        assert_eq!(bucket.remaining(0.0), 0);
        assert_eq!(bucket.wait_for(1, 0.0), Some(31.0));
        assert_eq!(bucket.wait_for(61, 0.0), None);
    }

    #[test]
    fn admit_charges_requests_and_input_and_refuses_with_retry_after() {
        let mut limiter = RateLimiter::new(&limits(2, 100, 50), 0.0);
        limiter.admit(40, 0.0).unwrap();
        limiter.admit(40, 0.0).unwrap();
        let refusal = limiter.admit(10, 0.0).unwrap_err();
        assert_eq!(refusal.limit, LimitName::Requests);
        assert_eq!(refusal.per_minute, 2);
        assert_eq!(refusal.retry_after_secs, 30);
        // One request back after 30 s, but 20 input tokens left + 50 refilled.
        let refusal = limiter.admit(90, 30.0).unwrap_err();
        assert_eq!(refusal.limit, LimitName::InputTokens);
        assert_eq!(refusal.retry_after_secs, 12);
        limiter.admit(70, 30.0).unwrap();
    }

    #[test]
    fn output_debt_blocks_the_next_request() {
        let mut limiter = RateLimiter::new(&limits(100, 1000, 60), 0.0);
        limiter.admit(1, 0.0).unwrap();
        limiter.charge_output(65, 0.0);
        let refusal = limiter.admit(1, 0.0).unwrap_err();
        assert_eq!(refusal.limit, LimitName::OutputTokens);
        assert_eq!(refusal.retry_after_secs, 6);
    }

    #[test]
    fn input_larger_than_the_bucket_waits_a_full_minute() {
        let mut limiter = RateLimiter::new(&limits(100, 10, 60), 0.0);
        let refusal = limiter.admit(11, 0.0).unwrap_err();
        assert_eq!(refusal.limit, LimitName::InputTokens);
        assert_eq!(refusal.retry_after_secs, 60);
    }

    #[test]
    fn windows_report_tokens_as_input_plus_output() {
        let mut limiter = RateLimiter::new(&limits(1000, 80000, 16000), 0.0);
        limiter.admit(1000, 0.0).unwrap();
        limiter.charge_output(500, 0.0);
        let [requests, tokens, input, output] = limiter.windows(0.0);
        assert_eq!((requests.limit, requests.remaining), (1000, 999));
        assert_eq!((tokens.limit, tokens.remaining), (96000, 94500));
        assert_eq!((input.limit, input.remaining), (80000, 79000));
        assert_eq!((output.limit, output.remaining), (16000, 15500));
        assert_eq!(tokens.prefix, "anthropic-ratelimit-tokens");
        assert!((input.reset_in_secs - 0.75).abs() < 1e-9);
        assert!((output.reset_in_secs - 1.875).abs() < 1e-9);
        assert_eq!(tokens.reset_in_secs, output.reset_in_secs);
    }

    #[test]
    fn an_exhausted_family_is_at_zero_and_resets_after_the_retry() {
        let mut limiter = RateLimiter::new(&limits(1000, 80000, 16000), 0.0);
        limiter.admit(1000, 0.0).unwrap();
        let [requests, tokens, input, output] =
            exhausted(limiter.windows(0.0), LimitName::InputTokens, 20);
        assert_eq!((input.remaining, input.reset_in_secs), (0, 20.0));
        assert_eq!((tokens.remaining, tokens.reset_in_secs), (16000, 20.0));
        assert_eq!(requests.remaining, 999);
        assert_eq!(output.remaining, 16000);
        let [requests, ..] = exhausted(limiter.windows(0.0), LimitName::Requests, 1);
        assert_eq!((requests.remaining, requests.reset_in_secs), (0, 1.0));
        // A reset further off than the retry stays as it was.
        limiter.admit(59000, 0.0).unwrap();
        let [.., input, _] = exhausted(limiter.windows(0.0), LimitName::InputTokens, 20);
        assert_eq!(input.remaining, 0);
        assert!((input.reset_in_secs - 45.0).abs() < 1e-9);
    }

    #[test]
    fn request_only_admission_uses_the_request_bucket() {
        let mut limiter = RateLimiter::new(&limits(1, 10, 10), 0.0);
        limiter.admit_request_only(0.0).unwrap();
        let refusal = limiter.admit_request_only(0.0).unwrap_err();
        assert_eq!(refusal.limit, LimitName::Requests);
        assert_eq!(refusal.retry_after_secs, 60);
        assert_eq!(limiter.windows(0.0)[2].remaining, 10);
    }
}
