//! Calling the audit service: unary calls ride through a database outage with
//! [`RetryPolicy`] (every audit call is a read, so sending it again is always safe), and a
//! refusal becomes an error that names the call, the gRPC code and the server's message,
//! with a hint for the usual causes. Values from the wire (hex hashes, `int64` sizes) are
//! converted here, refused rather than trusted when malformed.

use std::future::Future;

use tonic::{Code, Response, Status};

use crate::retry::RetryPolicy;

/// Sends a unary call (again on `UNAVAILABLE`, per the default [`RetryPolicy`]) and returns
/// its answer, or the last refusal as a readable error naming `rpc`.
pub async fn unary<T, F, Fut>(rpc: &str, call: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    RetryPolicy::default()
        .call(call)
        .await
        .map(Response::into_inner)
        .map_err(|status| rpc_error(rpc, &status))
}

/// A refusal of `rpc` as an error: `GetCheckpoint failed: PERMISSION_DENIED: <message>`,
/// followed by a hint when the code has a usual cause.
pub fn rpc_error(rpc: &str, status: &Status) -> anyhow::Error {
    let code = status.code();
    let message = status.message();
    let mut text = format!("{rpc} failed: {}", code_name(code));
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    if let Some(hint) = hint(code) {
        text.push_str(" (");
        text.push_str(hint);
        text.push(')');
    }
    anyhow::Error::msg(text)
}

/// What usually causes `code` for an audit call.
fn hint(code: Code) -> Option<&'static str> {
    match code {
        Code::Unavailable => Some("is the server running and reachable at --endpoint?"),
        Code::Unauthenticated => {
            Some("the client certificate was not accepted; check --agency or --cert")
        }
        Code::PermissionDenied => Some(
            "this agency may not read that part of the log; act as an auditor, e.g. --agency bpk",
        ),
        Code::Unimplemented => Some("the server does not offer the audit service"),
        Code::DeadlineExceeded => Some("the server did not answer in time"),
        _ => None,
    }
}

/// The canonical gRPC name of `code`, as the gRPC specification and `grpcurl` spell it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A hex-encoded SHA-256 hash from the server, or an error naming `what`.
pub fn parse_hash(what: &str, text: &str) -> anyhow::Result<netral_audit::Hash> {
    let bytes = hex::decode(text).map_err(|_| anyhow::anyhow!("{what} is not hex: {text:?}"))?;
    netral_audit::Hash::try_from(bytes)
        .map_err(|_| anyhow::anyhow!("{what} is not a SHA-256 hash: {text:?}"))
}

/// A size or sequence number from the wire, which must not be negative.
pub fn non_negative(what: &str, value: i64) -> anyhow::Result<u64> {
    u64::try_from(value).map_err(|_| anyhow::anyhow!("the server sent a negative {what}: {value}"))
}

/// A size or sequence number for the wire, which must fit an `int64`.
pub fn to_wire(what: &str, value: u64) -> anyhow::Result<i64> {
    i64::try_from(value).map_err(|_| anyhow::anyhow!("{what} {value} is too large"))
}
