//! The server's one error type and its one mapping to `google.rpc.Status`.
//!
//! Every handler returns [`Error`]; `From<Error> for Status` is the only place where an error
//! becomes what a calling agency sees: an `ErrorInfo` with its [`Reason`] in domain `netral`,
//! the gRPC code [`crate::reasons::code`] gives that reason, `BadRequest` field violations for
//! invalid input and a `RetryInfo` with every `UNAVAILABLE`. Storage and other internal
//! failures are logged here in full and sent as a bare `INTERNAL`.

use std::collections::HashMap;

use netral_domain::Reason;
use netral_domain::case::StepError;
use netral_domain::policy::Denial;
use netral_domain::state::TransitionError;
use netral_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::identity::IdentityError;
use crate::reasons;

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
    /// A fact of the case (or of the audit log) forbids the step.
    #[error("{message}")]
    Precondition {
        /// Which fact.
        reason: Reason,
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
        /// Why ([`Reason::InboxConsumerTooSlow`], [`Reason::ShuttingDown`]).
        reason: Reason,
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

    /// The reason an audit event records for a refusal (`NOT_A_PARTY`, `AGENCY_REVOKED`,
    /// …): the same as the caller's `ErrorInfo.reason`, never data. `None` for an error that
    /// is not a refusal.
    pub fn audit_reason(&self) -> Option<Reason> {
        self.is_refusal().then(|| self.reason())
    }

    /// The reason the caller is sent in `ErrorInfo.reason`; its gRPC code is
    /// [`reasons::code`] of it.
    pub fn reason(&self) -> Reason {
        match self {
            Self::Unauthenticated(identity) => identity.reason(),
            Self::Denied(denial) => denial.reason(),
            Self::Invalid(_) => Reason::InvalidArgument,
            Self::NotFound(_) => Reason::NotFound,
            Self::StaleEtag => Reason::EtagMismatch,
            Self::RequestIdReused => Reason::RequestIdReused,
            Self::DuplicateRegistration => Reason::DuplicateRegistration,
            Self::Transition(t) => t.reason(),
            Self::Precondition { reason, .. } | Self::Resume { reason, .. } => *reason,
            Self::LimitReached { .. } => Reason::CaseLimitReached,
            Self::Unavailable(_) => Reason::StorageUnavailable,
            Self::TooManyStreams { .. } => Reason::TooManyStreams,
            Self::MessageTooLarge { .. } => Reason::MessageTooLarge,
            Self::Storage(_) | Self::Unexpected(_) => Reason::Internal,
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
                reason: Reason::CalendarNotCovered,
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

/// An `ErrorInfo` for `reason` in netral's domain, with `metadata`.
fn info(reason: Reason, metadata: HashMap<String, String>) -> ErrorDetails {
    ErrorDetails::with_error_info(reason.as_str(), ERROR_DOMAIN, metadata)
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let reason = err.reason();
        let code = reasons::code(reason);
        // The current span is the call's (errors become statuses inside its handler).
        crate::grpc::rpc_span::record_reason(reason.as_str());
        let plain = || info(reason, HashMap::new());
        let (message, mut details) = match err {
            Error::Unauthenticated(identity) => {
                tracing::info!(
                    reason = reason.as_str(),
                    "unidentified or revoked caller refused"
                );
                (identity.to_string(), plain())
            }
            Error::Denied(denial) => {
                tracing::info!(reason = reason.as_str(), "call denied by policy");
                (denial.to_string(), plain())
            }
            Error::Invalid(violations) => {
                let mut details = plain();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                (format!("invalid request: {}", fields.join(", ")), details)
            }
            Error::NotFound(what) => (format!("{what} not found"), plain()),
            Error::StaleEtag => (
                "the case changed since it was read; read it again and retry with its etag".into(),
                plain(),
            ),
            Error::RequestIdReused => (
                "this request_id was already used for a different request".into(),
                plain(),
            ),
            Error::DuplicateRegistration => (
                "your office already registered this subject under this registration number".into(),
                plain(),
            ),
            Error::Transition(t) => (t.to_string(), plain()),
            Error::Precondition { message, .. } => (message, plain()),
            Error::LimitReached { limit, max } => {
                let metadata = HashMap::from([
                    ("limit".to_owned(), limit.to_owned()),
                    ("max".to_owned(), max.to_string()),
                ]);
                let message = format!("the case already holds the most {limit} allowed ({max})");
                (message, info(reason, metadata))
            }
            Error::Unavailable(err) => {
                tracing::warn!(error = %err, "the database is unavailable");
                (
                    "the database is unavailable and nothing was written; \
                     send the same request (same request_id) again"
                        .into(),
                    plain(),
                )
            }
            Error::Resume {
                message, cursor, ..
            } => {
                let metadata = HashMap::from([("resume_after_cursor".to_owned(), cursor)]);
                (message, info(reason, metadata))
            }
            Error::MessageTooLarge { message, max_bytes } => {
                let metadata = HashMap::from([
                    ("max_bytes".to_owned(), max_bytes.to_string()),
                    ("message".to_owned(), message.as_str().to_owned()),
                ]);
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
                (text, info(reason, metadata))
            }
            Error::TooManyStreams { max } => (
                format!(
                    "the agency already holds the most inbox streams allowed ({max}); close one"
                ),
                plain(),
            ),
            err @ (Error::Storage(_) | Error::Unexpected(_)) => {
                // The full chain stays in our logs; the calling agency learns nothing internal.
                tracing::error!(error = %err, "request failed");
                ("internal error".into(), plain())
            }
        };
        // An outage passes: every UNAVAILABLE says when to send the same request again.
        if code == Code::Unavailable {
            details.set_retry_info(Some(RETRY_AFTER));
        }
        Status::with_error_details(code, message, details)
    }
}
