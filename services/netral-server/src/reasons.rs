//! The gRPC code each [`Reason`] goes out with, decided once: [`code`] is what
//! `From<Error> for Status` sends, so a reason never travels under two codes.

use netral_domain::Reason;
use tonic::Code;

/// The gRPC code every error with `reason` is sent with.
///
/// Who the caller is decides `UNAUTHENTICATED` (an unknown caller) against
/// `PERMISSION_DENIED` (a known caller that may not: revoked, or refused by the policy); what
/// the case is decides `FAILED_PRECONDITION`; a stale etag is `ABORTED` (re-read and decide
/// again), a passing outage `UNAVAILABLE` (send the same request again).
pub const fn code(reason: Reason) -> Code {
    use Reason as R;
    match reason {
        R::NoClientCertificate | R::NoAgencyName | R::MalformedCertificate | R::UnknownAgency => {
            Code::Unauthenticated
        }
        R::AgencyRevoked | R::CertificateRevoked => Code::PermissionDenied,
        R::RoleNotHeld
        | R::OutsideJurisdiction
        | R::NotAParty
        | R::CaseNotAccessible
        | R::NotOwnInbox
        | R::NotTheExaminer
        | R::NoExaminerOnDate
        | R::AmbiguousExaminer
        | R::NetralOnly => Code::PermissionDenied,
        R::CaseClosed
        | R::AlreadyRegistered
        | R::InvalidTransition
        | R::ReviewAlreadyExtended
        | R::AlreadyAcknowledged
        | R::AlreadyBlocked
        | R::NotBlocked
        | R::PpkNotOverdue
        | R::PpkNotARegionalHead
        | R::SanctionOutsideRecommendedLevel
        | R::CalendarNotCovered
        | R::CaseLimitReached
        | R::HistoryTooLong
        | R::TreeSizeBeyondLog
        | R::NothingDue => Code::FailedPrecondition,
        R::InvalidArgument => Code::InvalidArgument,
        R::NotFound => Code::NotFound,
        R::EtagMismatch => Code::Aborted,
        R::RequestIdReused | R::DuplicateRegistration => Code::AlreadyExists,
        R::TooManyStreams | R::MessageTooLarge => Code::ResourceExhausted,
        R::StorageUnavailable | R::ShuttingDown | R::InboxConsumerTooSlow => Code::Unavailable,
        R::Internal => Code::Internal,
    }
}

/// The canonical gRPC name of `code`, as the gRPC specification and `grpcurl` spell it.
pub const fn code_name(code: Code) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_reasons_of_a_known_caller_are_permission_denied() {
        for reason in [Reason::AgencyRevoked, Reason::CertificateRevoked] {
            assert_eq!(code(reason), Code::PermissionDenied, "{reason}");
        }
        for reason in [
            Reason::NoClientCertificate,
            Reason::NoAgencyName,
            Reason::MalformedCertificate,
            Reason::UnknownAgency,
        ] {
            assert_eq!(code(reason), Code::Unauthenticated, "{reason}");
        }
    }

    #[test]
    fn a_reason_named_after_a_code_goes_out_with_that_code() {
        for reason in [Reason::InvalidArgument, Reason::NotFound, Reason::Internal] {
            assert_eq!(reason.as_str(), code_name(code(reason)));
        }
    }
}
