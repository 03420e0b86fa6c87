//! Calling the audit service: unary calls ride through a database outage with
//! [`RetryPolicy`] (every audit call is a read, so sending it again is always safe), and a
//! refusal becomes an error that names the call, the gRPC code, netral's reason (looked up in
//! `docs/errors.md`) and the server's message, with a hint for the usual causes. Values from the wire (hex hashes, `int64` sizes) are
//! converted here, refused rather than trusted when malformed.

use std::future::Future;

use netral_server::error::ERROR_DOMAIN;
use netral_server::reasons::code_name;
use tonic::{Code, Response, Status};
use tonic_types::StatusExt;

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

/// A refusal of `rpc` as an error: `GetCheckpoint failed: PERMISSION_DENIED (NOT_A_PARTY):
/// <message>`, followed by a hint when the code has a usual cause and by one line per field
/// violation (`  field: description`). The reason is shown as the server sent it, so a
/// reason newer than this command still shows. The error is an [`RpcFailure`], so `main`
/// can pick the exit code by the status code.
pub fn rpc_error(rpc: &str, status: &Status) -> anyhow::Error {
    let code = status.code();
    let message = status.message();
    let reason = netral_reason(status);
    let mut text = format!("{rpc} failed: {}", code_name(code));
    if let Some(reason) = &reason {
        text.push_str(" (");
        text.push_str(reason);
        text.push(')');
    }
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    if let Some(hint) = hint(code) {
        text.push_str(" (");
        text.push_str(hint);
        text.push(')');
    }
    let violations: Vec<(String, String)> = status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default();
    for (field, description) in &violations {
        text.push_str("\n  ");
        text.push_str(field);
        text.push_str(": ");
        text.push_str(description);
    }
    anyhow::Error::new(RpcFailure {
        code,
        reason,
        violations,
        text,
    })
}

/// A call the server refused, with what a script or `main` needs to tell why.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct RpcFailure {
    /// The gRPC status code: it picks the exit code.
    pub code: Code,
    /// netral's `ErrorInfo.reason`, when the server sent one.
    pub reason: Option<String>,
    /// Each `BadRequest` field violation, `(field, description)`.
    pub violations: Vec<(String, String)>,
    /// The readable text, as printed.
    text: String,
}

/// What usually causes `code`.
fn hint(code: Code) -> Option<&'static str> {
    match code {
        Code::Unavailable => Some("is the server running and reachable at --endpoint?"),
        Code::Unauthenticated => {
            Some("the client certificate was not accepted; check --agency or --cert")
        }
        Code::PermissionDenied => Some(
            "this agency may not do or read that: act as the agency whose turn it is, or as an \
             auditor (e.g. --agency bpk) to read the audit log",
        ),
        Code::Unimplemented => Some("the server does not offer this service"),
        Code::DeadlineExceeded => Some("the server did not answer in time"),
        _ => None,
    }
}

/// The `ErrorInfo.reason` of a status netral sent (domain `netral`), if it carries one.
fn netral_reason(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .error_info()
        .filter(|info| info.domain == ERROR_DOMAIN && !info.reason.is_empty())
        .map(|info| info.reason.clone())
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

#[cfg(test)]
mod tests {
    use netral_domain::Denial;
    use netral_server::error::Error;

    use super::*;

    #[test]
    fn a_refusal_names_the_code_and_netrals_reason() {
        let status = Status::from(Error::Denied(Denial::NotAParty));
        let text = rpc_error("GetCaseHistory", &status).to_string();
        assert!(
            text.starts_with(
                "GetCaseHistory failed: PERMISSION_DENIED (NOT_A_PARTY): \
                 the agency is not a party to this case"
            ),
            "{text}"
        );
    }

    #[test]
    fn field_violations_are_listed_one_per_line() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "the request is invalid",
            tonic_types::ErrorDetails::with_bad_request(vec![
                tonic_types::FieldViolation::new("case.subject.id", "not a valid NIP"),
                tonic_types::FieldViolation::new("case.region_code", "unknown region"),
            ]),
        );
        let err = rpc_error("RegisterCase", &status);
        let text = err.to_string();
        assert!(
            text.ends_with(
                "\n  case.subject.id: not a valid NIP\n  case.region_code: unknown region"
            ),
            "{text}"
        );
        let failure = err.downcast_ref::<RpcFailure>().unwrap();
        assert_eq!(failure.code, Code::InvalidArgument);
        assert_eq!(failure.violations.len(), 2);
    }

    #[test]
    fn a_status_without_error_info_names_the_code_only() {
        let text = rpc_error("GetCheckpoint", &Status::unavailable("connection refused"));
        assert!(
            text.to_string()
                .starts_with("GetCheckpoint failed: UNAVAILABLE: connection refused"),
            "{text}"
        );
    }
}
