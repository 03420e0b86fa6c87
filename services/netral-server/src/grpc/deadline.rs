//! The server's own limit on a call (`limits.request_timeout_ms`), answered as gRPC says a
//! deadline is: `DEADLINE_EXCEEDED` (tonic's built-in timeout answers `CANCELLED`, which
//! tells a client nothing about what happened). The limit covers a call until its reply
//! starts: a stream's messages are not cut by it. A step that outlives the limit may still
//! commit on its writer lane; sent again with the same `request_id` it answers its first
//! reply.

use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tonic::Status;
use tower::{Layer, Service};

/// Puts [`Deadline`] in front of every service.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    /// How long a call may take until its reply starts.
    limit: Duration,
}

impl DeadlineLayer {
    /// Calls end after `limit`.
    pub fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            limit: self.limit,
        }
    }
}

/// Answers `DEADLINE_EXCEEDED` when the inner service has not replied within the limit.
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
}

impl<S, B> Service<http::Request<B>> for Deadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (limit, call) = (self.limit, self.inner.call(request));
        Box::pin(async move {
            match tokio::time::timeout(limit, call).await {
                Ok(answer) => answer,
                Err(_elapsed) => {
                    tracing::info!(
                        limit_ms = limit.as_millis() as u64,
                        "a call exceeded the server's limit"
                    );
                    let message = format!(
                        "the call took longer than the server's limit ({} ms); a step may still \
                         have been committed: send the same request, same request_id, again",
                        limit.as_millis()
                    );
                    Ok(Status::deadline_exceeded(message).into_http())
                }
            }
        })
    }
}
