//! Retrying what is safe to retry. netral answers `UNAVAILABLE` (with a `RetryInfo` delay)
//! when the database is passing through an outage and nothing was written; every mutating
//! request carries a `request_id`, so sending the very same request again applies it at most
//! once. [`RetryPolicy::call`] does that for the `netral` command's calls, with the same
//! policy `docs/OPERATIONS.md` gives other clients as a gRPC service config: retry
//! `UNAVAILABLE` only, at most 5 attempts, backing off from 0.5 s to 4 s (or longer when the
//! server asks for it). Every other status is returned at once.

use std::future::Future;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// When and how often to send a request again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; at least 1.
    pub max_attempts: u32,
    /// The wait before the second attempt.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts (a server's `RetryInfo` may ask for more).
    pub max_backoff: Duration,
    /// How much each wait grows over the one before.
    pub multiplier: u32,
}

impl Default for RetryPolicy {
    /// The policy of `docs/OPERATIONS.md`: 5 attempts, 0.5 s, 1 s, 2 s, 4 s apart (about
    /// 7.5 s of outage ridden through).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(4),
            multiplier: 2,
        }
    }
}

impl RetryPolicy {
    /// Calls `call` until it succeeds, fails with a status other than `UNAVAILABLE`, or the
    /// attempts run out; returns the last answer. `call` must send the same request each
    /// time (the same `request_id`): that is what makes the retry safe.
    pub async fn call<T, F, Fut>(&self, mut call: F) -> Result<T, Status>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let mut backoff = self.initial_backoff;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(status)
                    if status.code() == Code::Unavailable && attempt < self.max_attempts =>
                {
                    let asked = status
                        .get_error_details()
                        .retry_info()
                        .and_then(|info| info.retry_delay)
                        .unwrap_or_default();
                    tokio::time::sleep(backoff.max(asked)).await;
                    backoff = (backoff * self.multiplier).min(self.max_backoff);
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use tonic_types::ErrorDetails;

    use super::*;

    fn unavailable(retry_after: Option<Duration>) -> Status {
        let mut details = ErrorDetails::new();
        details.set_retry_info(retry_after);
        Status::with_error_details(Code::Unavailable, "database down", details)
    }

    /// A call that fails with `failure` `failures` times, then answers 42.
    async fn flaky(
        calls: &AtomicU32,
        failures: u32,
        failure: fn() -> Status,
    ) -> Result<u32, Status> {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            Err(failure())
        } else {
            Ok(42)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_outage_becomes_latency_with_growing_waits() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let answer = RetryPolicy::default()
            .call(|| flaky(&calls, 3, || unavailable(None)))
            .await;
        assert_eq!(answer.unwrap(), 42);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(started.elapsed(), Duration::from_millis(500 + 1000 + 2000));
    }

    #[tokio::test(start_paused = true)]
    async fn the_servers_retry_delay_is_honoured_when_longer() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let asked = || unavailable(Some(Duration::from_secs(3)));
        let answer = RetryPolicy::default()
            .call(|| flaky(&calls, 1, asked))
            .await;
        assert_eq!(answer.unwrap(), 42);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_and_the_last_status_returned() {
        let calls = AtomicU32::new(0);
        let answer = RetryPolicy::default()
            .call(|| flaky(&calls, u32::MAX, || unavailable(None)))
            .await;
        assert_eq!(answer.unwrap_err().code(), Code::Unavailable);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn other_refusals_are_not_retried() {
        for code in [
            Code::Aborted,
            Code::InvalidArgument,
            Code::Internal,
            Code::DeadlineExceeded,
        ] {
            let calls = AtomicU32::new(0);
            let refuse = match code {
                Code::Aborted => || Status::aborted("etag"),
                Code::InvalidArgument => || Status::invalid_argument("bad"),
                Code::Internal => || Status::internal("bug"),
                _ => || Status::deadline_exceeded("slow"),
            };
            let answer = RetryPolicy::default()
                .call(|| flaky(&calls, 1, refuse))
                .await;
            assert_eq!(answer.unwrap_err().code(), code);
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{code:?} was retried");
        }
    }
}
