//! The official SDKs' retry policy, so `--retries N` behaves the way users
//! of the SDKs expect. Retries are off by default in claudetui: this is a
//! diagnostic tool, and a hidden retry would hide the 429 you came to see.
//!
//! Policy (ANTHROPIC.md, and the Python SDK's `_base_client.py`): retry
//! connection errors, 408, 409, 429 and 5xx (529 included), unless the
//! response says `x-should-retry: false` (or forces it with `true`). Wait
//! `retry-after-ms`/`retry-after` when it is between 0 and 60 seconds, else
//! back off exponentially from 0.5 s, doubling to at most 8 s, shortened by
//! up to 25 % jitter. (The Python SDK 2.13 honours any positive retry-after;
//! the 60 s cap is the documented, longer-standing behaviour and keeps an
//! interactive tool from stalling for minutes.)

use std::time::Duration;

pub const INITIAL_DELAY_SECS: f64 = 0.5;
pub const MAX_DELAY_SECS: f64 = 8.0;
pub const MAX_HONOURED_RETRY_AFTER_SECS: f64 = 60.0;

/// Whether an attempt that ended this way should be retried. `status` is
/// `None` for a connection-level failure (nothing came back).
pub fn should_retry(status: Option<u16>, should_retry_header: Option<bool>) -> bool {
    if let Some(forced) = should_retry_header {
        return forced;
    }
    match status {
        None => true,
        Some(code) => matches!(code, 408 | 409 | 429) || code >= 500,
    }
}

/// How long to wait before retry number `retry_index` (0 for the first
/// retry). `jitter` is a random number in `[0, 1)`.
pub fn retry_delay(retry_index: u32, retry_after_secs: Option<f64>, jitter: f64) -> Duration {
    if let Some(secs) = retry_after_secs
        && secs > 0.0
        && secs <= MAX_HONOURED_RETRY_AFTER_SECS
    {
        return Duration::from_secs_f64(secs);
    }
    let backoff = (INITIAL_DELAY_SECS * 2f64.powi(retry_index.min(30) as i32)).min(MAX_DELAY_SECS);
    let factor = 1.0 - 0.25 * jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(backoff * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_statuses_match_the_sdks() {
        let retried = [408, 409, 429, 500, 502, 503, 504, 529];
        let not_retried = [200, 400, 401, 402, 403, 404, 413, 422];
        for code in retried {
            assert!(should_retry(Some(code), None), "{code}");
        }
        for code in not_retried {
            assert!(!should_retry(Some(code), None), "{code}");
        }
        assert!(should_retry(None, None), "connection errors are retried");
    }

    #[test]
    fn x_should_retry_overrides() {
        assert!(!should_retry(Some(529), Some(false)));
        assert!(should_retry(Some(400), Some(true)));
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_minute() {
        assert_eq!(retry_delay(0, Some(3.0), 0.9), Duration::from_secs(3));
        assert_eq!(retry_delay(5, Some(60.0), 0.0), Duration::from_secs(60));
        assert_eq!(retry_delay(0, Some(61.0), 0.0), Duration::from_millis(500));
        assert_eq!(retry_delay(0, Some(0.0), 0.0), Duration::from_millis(500));
    }

    #[test]
    fn backoff_doubles_to_eight_seconds_with_jitter_below() {
        let no_jitter: Vec<f64> = (0..6)
            .map(|i| retry_delay(i, None, 0.0).as_secs_f64())
            .collect();
        assert_eq!(no_jitter, vec![0.5, 1.0, 2.0, 4.0, 8.0, 8.0]);
        let most_jitter = retry_delay(1, None, 0.999_999).as_secs_f64();
        assert!((0.75..1.0).contains(&most_jitter), "{most_jitter}");
        assert_eq!(retry_delay(u32::MAX, None, 0.0), Duration::from_secs(8));
    }
}
