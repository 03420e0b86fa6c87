//! Oversized messages answered as gRPC clients expect them: `RESOURCE_EXHAUSTED` with the
//! reason `MESSAGE_TOO_LARGE` (metadata `max_bytes`, `message`: `request` or `reply`).
//!
//! tonic's codec refuses a request above `limits.max_message_bytes` before any handler runs,
//! with `OUT_OF_RANGE` (and one that only grows past it when decompressed with a bare
//! `RESOURCE_EXHAUSTED`); a reply above it ends the call with `OUT_OF_RANGE` in the trailers.
//! gRPC's status codes name `RESOURCE_EXHAUSTED` for a message larger than the limit, so this
//! layer rewrites those answers — recognised by code and by tonic's wording, and only when
//! they carry no details, so no answer netral itself gave is ever touched — through the one
//! `Error` → `Status` mapping.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::HeaderMap;
use http_body_util::BodyExt;
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::error::{Error, Oversized};

/// The header holding an answer's code.
const GRPC_STATUS: &str = "grpc-status";

/// The header holding an answer's details; tonic's codec errors have none.
const GRPC_STATUS_DETAILS: &str = "grpc-status-details-bin";

/// Puts [`MessageSize`] in front of every service.
#[derive(Debug, Clone, Copy)]
pub struct MessageSizeLayer {
    /// `limits.max_message_bytes`, named in the answer so a client knows what fits.
    max_bytes: usize,
}

impl MessageSizeLayer {
    /// Answers that the services' codecs refused a message above `max_bytes` are rewritten.
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<S> Layer<S> for MessageSizeLayer {
    type Service = MessageSize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageSize {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

/// Rewrites the codec's size refusals, in the headers of an answer without a message
/// (a request refused) and in the trailers that end a reply (a reply refused).
#[derive(Debug, Clone)]
pub struct MessageSize<S> {
    /// The services.
    inner: S,
    /// `limits.max_message_bytes`.
    max_bytes: usize,
}

impl<S, B> Service<http::Request<B>> for MessageSize<S>
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
        let (max_bytes, call) = (self.max_bytes, self.inner.call(request));
        Box::pin(async move {
            let response = call.await?;
            if let Some(oversized) = size_refusal(response.headers()) {
                return Ok(answer(oversized, max_bytes).into_http());
            }
            let (parts, body) = response.into_parts();
            let body = body.map_frame(move |frame| match frame.into_trailers() {
                Ok(mut trailers) => {
                    if let Some(oversized) = size_refusal(&trailers) {
                        // Replaces code, message and details; a status built here always
                        // encodes, so the trailers stay as they were if it somehow did not.
                        let _ = answer(oversized, max_bytes).add_header(&mut trailers);
                    }
                    http_body::Frame::trailers(trailers)
                }
                Err(frame) => frame,
            });
            Ok(http::Response::from_parts(
                parts,
                tonic::body::Body::new(body),
            ))
        })
    }
}

/// What netral answers instead.
fn answer(message: Oversized, max_bytes: usize) -> Status {
    tracing::info!(
        ?message,
        max_bytes,
        "a message above the size limit was refused"
    );
    Status::from(Error::MessageTooLarge { message, max_bytes })
}

/// Which message tonic's codec refused for its size, if `headers` (or trailers) say so.
fn size_refusal(headers: &HeaderMap) -> Option<Oversized> {
    let code = headers.get(GRPC_STATUS)?.as_bytes();
    if !matches!(code, b"8" | b"11") || headers.contains_key(GRPC_STATUS_DETAILS) {
        return None;
    }
    let status = Status::from_header_map(headers)?;
    classify(status.code(), status.message())
}

/// Which message a detail-less status with `code` and tonic's `message` refused, if any.
fn classify(code: Code, message: &str) -> Option<Oversized> {
    match code {
        Code::OutOfRange if message.contains("decoded message length too large") => {
            Some(Oversized::Request)
        }
        Code::ResourceExhausted if message.contains("exceeded while decompressing") => {
            Some(Oversized::Request)
        }
        Code::OutOfRange if message.contains("encoded message length too large") => {
            Some(Oversized::Reply)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn headers_of(status: Status) -> HeaderMap {
        status.into_http::<tonic::body::Body>().headers().clone()
    }

    #[test]
    fn tonics_size_refusals_are_recognised() {
        let decode = Status::out_of_range(
            "Error, decoded message length too large: found 8230 bytes, the limit is: 4096 bytes",
        );
        assert_eq!(size_refusal(&headers_of(decode)), Some(Oversized::Request));
        let inflate = Status::resource_exhausted(
            "Error decompressing: size limit, of 4096 bytes, exceeded while decompressing message",
        );
        assert_eq!(size_refusal(&headers_of(inflate)), Some(Oversized::Request));
        let encode = Status::out_of_range(
            "Error, encoded message length too large: found 9000 bytes, the limit is: 4096 bytes",
        );
        assert_eq!(size_refusal(&headers_of(encode)), Some(Oversized::Reply));
    }

    #[test]
    fn netrals_own_answers_are_left_alone() {
        let streams = Status::from(Error::TooManyStreams { max: 8 });
        assert_eq!(size_refusal(&headers_of(streams)), None);
        assert_eq!(
            size_refusal(&headers_of(Status::out_of_range("page 9"))),
            None
        );
        assert_eq!(size_refusal(&HeaderMap::new()), None);
    }

    #[test]
    fn the_answer_is_resource_exhausted_with_its_reason() {
        let status = answer(Oversized::Request, 4096);
        assert_eq!(status.code(), Code::ResourceExhausted);
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.reason, "MESSAGE_TOO_LARGE");
        assert_eq!(info.domain, "netral");
        assert_eq!(info.metadata["max_bytes"], "4096");
        assert_eq!(info.metadata["message"], "request");
        let reply = answer(Oversized::Reply, 4096);
        let info = reply.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.metadata["message"], "reply");
    }
}
