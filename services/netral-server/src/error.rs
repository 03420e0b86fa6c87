//! The server's one error type and its one mapping to `google.rpc.Status`.
//!
//! Every handler returns [`Error`]; `From<Error> for Status` is the only place where an error
//! becomes what a calling agency sees: a gRPC code, an `ErrorInfo` with a stable reason in
//! domain `netral`, and `BadRequest` field violations for invalid input. Storage and other
//! internal failures are logged here in full and sent as a bare `INTERNAL`.

use std::collections::HashMap;

use netral_domain::case::StepError;
use netral_domain::policy::Denial;
use netral_domain::state::TransitionError;
use netral_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::identity::IdentityError;

/// The `ErrorInfo.domain` of every error netral sends.
pub const ERROR_DOMAIN: &str = "netral";

/// The `RetryInfo` delay sent with `UNAVAILABLE`: long enough for a restarting database or a
/// failover, short enough that an outage costs agencies latency rather than errors.
pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// One invalid field of a request: the field path as the caller wrote it (e.g.
/// `case.subject.id`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Dotted path of the field in the request message.
    pub field: String,
    /// What is wrong, for the agency engineer reading it.
    pub description: String,
}

/// Which message of a call was larger than `limits.max_message_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversized {
    /// The caller's request: refused before any handler saw it, so nothing was done.
    Request,
    /// netral's reply: it was not sent.
    Reply,
}

impl Oversized {
    /// The name sent in the `ErrorInfo` metadata `message`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Reply => "reply",
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller could not be identified from its client certificate.
    #[error("unauthenticated: {0}")]
    Unauthenticated(#[from] IdentityError),
    /// The caller may not do this.
    #[error("permission denied: {0}")]
    Denied(#[from] Denial),
    /// The request is malformed; nothing was written.
    #[error("invalid request: {0:?}")]
    Invalid(Vec<FieldViolation>),
    /// The named resource does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller's etag is stale: someone else changed the case first.
    #[error("etag mismatch")]
    StaleEtag,
    /// A request id was reused for a different request.
    #[error("request id reused for a different request")]
    RequestIdReused,
    /// The office already registered this subject under this registration number.
    #[error("subject already registered under the office's registration number")]
    DuplicateRegistration,
    /// The case's state does not allow the step.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A fact of the case forbids the step.
    #[error("{message}")]
    Precondition {
        /// Stable reason code.
        reason: &'static str,
        /// Human explanation (no personal data).
        message: String,
    },
    /// The case holds as much as a per-case limit allows of what the step would append.
    #[error("the case holds the most {limit} allowed ({max})")]
    LimitReached {
        /// Which limit: `notes`, `attachments` or `text_bytes`.
        limit: &'static str,
        /// The configured maximum.
        max: u64,
    },
    /// The database is passing through an outage (unreachable, restarting, busy, the step's
    /// group commit failed): nothing was written, and the same request may be sent again.
    #[error("storage unavailable: {0}")]
    Unavailable(StoreError),
    /// The store failed; details are logged, never sent.
    #[error("storage: {0}")]
    Storage(StoreError),
    /// Anything else that should not happen; details are logged, never sent.
    #[error("unexpected: {0}")]
    Unexpected(String),
    /// A stream ended before its end, for a reason the client recovers from by resuming
    /// after the last cursor it received (a slow consumer, a server shutting down).
    #[error("stream ended: {reason}")]
    Resume {
        /// The stable reason (`INBOX_CONSUMER_TOO_SLOW`, `SHUTTING_DOWN`).
        reason: &'static str,
        /// What happened, for the agency engineer.
        message: String,
        /// The last cursor the stream sent; empty if it sent none.
        cursor: String,
    },
    /// A message was larger than `limits.max_message_bytes` (see
    /// [`crate::grpc::message_size`]).
    #[error("{} larger than {max_bytes} bytes", message.as_str())]
    MessageTooLarge {
        /// Which message.
        message: Oversized,
        /// The limit, so the caller knows what fits.
        max_bytes: usize,
    },
    /// The caller holds as many streams as it may.
    #[error("too many streams: {max}")]
    TooManyStreams {
        /// How many one agency may hold.
        max: u32,
    },
}

impl Error {
    /// A request with a single bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }
}

impl Error {
    /// Whether this refuses the caller itself (`UNAUTHENTICATED`, `PERMISSION_DENIED`): such
    /// a call leaves an audit event.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Unauthenticated(_) | Self::Denied(_))
    }

    /// The stable reason an audit event records for a refusal (`NOT_A_PARTY`,
    /// `AGENCY_REVOKED`, …): the same as the caller's `ErrorInfo.reason`, never data.
    pub fn audit_reason(&self) -> String {
        match self {
            Self::Unauthenticated(identity) => identity.reason().to_owned(),
            Self::Denied(denial) => denial.reason().to_owned(),
            _ => String::new(),
        }
    }
}

impl From<StepError> for Error {
    fn from(err: StepError) -> Self {
        match err {
            StepError::Denied(denial) => Self::Denied(denial),
            StepError::Transition(t) => Self::Transition(t),
            StepError::Precondition { reason, message } => Self::Precondition { reason, message },
            StepError::Calendar(c) => Self::Precondition {
                reason: "CALENDAR_NOT_COVERED",
                message: format!("the working-day calendar cannot compute the deadline: {c}"),
            },
            StepError::LimitReached { limit, max } => Self::LimitReached { limit, max },
        }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound("case".into()),
            StoreError::StaleEtag => Self::StaleEtag,
            StoreError::RequestIdReused { .. } => Self::RequestIdReused,
            StoreError::DuplicateRegistration => Self::DuplicateRegistration,
            StoreError::UnknownCursor => {
                Self::invalid("cursor", "names none of this agency's inbox messages")
            }
            err if err.is_transient() => Self::Unavailable(err),
            other => Self::Storage(other),
        }
    }
}

fn with_info(code: Code, reason: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(code, message, details)
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Unauthenticated(identity) => {
                tracing::info!(
                    reason = identity.reason(),
                    "unidentified or revoked caller refused"
                );
                // A revoked agency is known but no longer allowed; everyone else is unknown.
                let code = match identity {
                    IdentityError::Revoked(_) => Code::PermissionDenied,
                    _ => Code::Unauthenticated,
                };
                with_info(code, identity.reason(), identity.to_string())
            }
            Error::Denied(denial) => {
                tracing::info!(reason = denial.reason(), "call denied by policy");
                with_info(Code::PermissionDenied, denial.reason(), denial.to_string())
            }
            Error::Invalid(violations) => {
                let mut details =
                    ErrorDetails::with_error_info("INVALID_ARGUMENT", ERROR_DOMAIN, HashMap::new());
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                let message = format!("invalid request: {}", fields.join(", "));
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound(what) => {
                with_info(Code::NotFound, "NOT_FOUND", format!("{what} not found"))
            }
            Error::StaleEtag => with_info(
                Code::Aborted,
                "ETAG_MISMATCH",
                "the case changed since it was read; read it again and retry with its etag",
            ),
            Error::RequestIdReused => with_info(
                Code::AlreadyExists,
                "REQUEST_ID_REUSED",
                "this request_id was already used for a different request",
            ),
            Error::DuplicateRegistration => with_info(
                Code::AlreadyExists,
                "DUPLICATE_REGISTRATION",
                "your office already registered this subject under this registration number",
            ),
            Error::Transition(t) => with_info(Code::FailedPrecondition, t.reason(), t.to_string()),
            Error::Precondition { reason, message } => {
                with_info(Code::FailedPrecondition, reason, message)
            }
            Error::LimitReached { limit, max } => {
                let metadata = HashMap::from([
                    ("limit".to_owned(), limit.to_owned()),
                    ("max".to_owned(), max.to_string()),
                ]);
                let details =
                    ErrorDetails::with_error_info("CASE_LIMIT_REACHED", ERROR_DOMAIN, metadata);
                let message = format!("the case already holds the most {limit} allowed ({max})");
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            Error::Unavailable(err) => {
                tracing::warn!(error = %err, "the database is unavailable");
                let mut details = ErrorDetails::with_error_info(
                    "STORAGE_UNAVAILABLE",
                    ERROR_DOMAIN,
                    HashMap::new(),
                );
                details.set_retry_info(Some(RETRY_AFTER));
                Status::with_error_details(
                    Code::Unavailable,
                    "the database is unavailable and nothing was written; \
                     send the same request (same request_id) again",
                    details,
                )
            }
            Error::Resume {
                reason,
                message,
                cursor,
            } => {
                let metadata = HashMap::from([("resume_after_cursor".to_owned(), cursor)]);
                let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
                details.set_retry_info(Some(RETRY_AFTER));
                Status::with_error_details(Code::Unavailable, message, details)
            }
            Error::MessageTooLarge { message, max_bytes } => {
                let metadata = HashMap::from([
                    ("max_bytes".to_owned(), max_bytes.to_string()),
                    ("message".to_owned(), message.as_str().to_owned()),
                ]);
                let details =
                    ErrorDetails::with_error_info("MESSAGE_TOO_LARGE", ERROR_DOMAIN, metadata);
                let text = match message {
                    Oversized::Request => format!(
                        "the request is larger than this server accepts ({max_bytes} bytes); \
                         nothing was done"
                    ),
                    Oversized::Reply => format!(
                        "the reply is larger than this server sends ({max_bytes} bytes) and was \
                         not sent; ask for less (a smaller page_size, the BASIC view)"
                    ),
                };
                Status::with_error_details(Code::ResourceExhausted, text, details)
            }
            Error::TooManyStreams { max } => with_info(
                Code::ResourceExhausted,
                "TOO_MANY_STREAMS",
                format!(
                    "the agency already holds the most inbox streams allowed ({max}); close one"
                ),
            ),
            err @ (Error::Storage(_) | Error::Unexpected(_)) => {
                // The full chain stays in our logs; the calling agency learns nothing internal.
                tracing::error!(error = %err, "request failed");
                with_info(Code::Internal, "INTERNAL", "internal error")
            }
        }
    }
}
