//! The gRPC code each [`Reason`] goes out with, decided once: [`code`] is what
//! `From<Error> for Status` sends, so a reason never travels under two codes. And
//! `docs/errors.md`, the page agencies read about every reason, rendered from the same table
//! ([`errors_page`]) and checked against the committed file by a test.

use std::fmt::Write as _;

use netral_domain::Reason;
use tonic::Code;

use crate::error::{ERROR_DOMAIN, RETRY_AFTER};

/// The gRPC code every error with `reason` is sent with.
///
/// Who the caller is decides `UNAUTHENTICATED` (an unknown caller, or a credential that is
/// itself bad: a revoked certificate) against `PERMISSION_DENIED` (a known caller that may
/// not: a revoked agency, or refused by the policy); what
/// the case is decides `FAILED_PRECONDITION`; a stale etag is `ABORTED` (re-read and decide
/// again), a passing outage `UNAVAILABLE` (send the same request again).
pub const fn code(reason: Reason) -> Code {
    use Reason as R;
    match reason {
        R::NoClientCertificate
        | R::NoAgencyName
        | R::MalformedCertificate
        | R::UnknownAgency
        | R::CertificateRevoked => Code::Unauthenticated,
        R::AgencyRevoked => Code::PermissionDenied,
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

/// The path of the page, from the repository root.
pub const ERRORS_PAGE: &str = "docs/errors.md";

/// The page's head; `{domain}`, `{invalid}`, `{unavailable}` and `{delay}` are filled in from
/// the code.
const INTRO: &str = r"<!-- Generated from netral_domain::Reason and netral-server's reasons::code: do not edit.
     After changing a reason, run NETRAL_BLESS=1 cargo test -p netral-server errors_page -->

# Error reasons

Every error netral answers is a `google.rpc.Status` whose details hold a
`google.rpc.ErrorInfo` with `domain` `{domain}` and one of the `reason`s below. Match on the
reason: the set is closed, and a reason is never renamed. The message is for people and may
change; it never holds another agency's data. A status without an ErrorInfo did not come from
netral but from the way to it (no connection, a client deadline): see
[OPERATIONS.md](OPERATIONS.md).

## Reading the details

- **ErrorInfo**: `reason`, `domain` (`{domain}`) and, for the few reasons that carry data,
  `metadata`: `limit` and `max` with `CASE_LIMIT_REACHED`, `resume_after_cursor` with the
  resumable end of an inbox stream.
- **BadRequest**: one field violation per bad field, all of them at once. `field` is the
  field's dotted path in the request message (`case.subject.id`, `sanctions[1].code`) and
  `description` says what is wrong with it. Nothing was written; fix every named field
  before sending the request again. Sent with {invalid}.
- **RetryInfo**, with every `UNAVAILABLE`: `retry_delay` ({delay} s) is how long to wait
  before sending the very same request again (same `request_id`: a step is applied once
  however often it is sent); back off exponentially beyond it. Sent with
  {unavailable}.

## All reasons

| reason | gRPC code |
|---|---|
";

/// `docs/errors.md`: how to read netral's error details, then one section per reason with its
/// code, when it is sent and what to do, in [`Reason::ALL`]'s order.
pub fn errors_page() -> String {
    let with = |wanted: Code| -> String {
        let named: Vec<String> = Reason::ALL
            .iter()
            .filter(|reason| code(**reason) == wanted)
            .map(|reason| format!("`{reason}`"))
            .collect();
        named.join(", ")
    };
    let mut page = INTRO
        .replace("{domain}", ERROR_DOMAIN)
        .replace("{invalid}", &with(Code::InvalidArgument))
        .replace("{unavailable}", &with(Code::Unavailable))
        .replace("{delay}", &RETRY_AFTER.as_secs().to_string());
    for reason in Reason::ALL {
        let anchor = reason.as_str().to_ascii_lowercase();
        let name = code_name(code(*reason));
        let _ = writeln!(page, "| [`{reason}`](#{anchor}) | `{name}` |");
    }
    for reason in Reason::ALL {
        let _ = write!(
            page,
            "\n## {reason}\n\n**Code:** `{code}`\n\n{description}\n\n**What to do:** {what_to_do}\n",
            code = code_name(code(*reason)),
            description = reason.description(),
            what_to_do = reason.what_to_do(),
        );
    }
    page
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn committed_page() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(ERRORS_PAGE)
    }

    #[test]
    fn errors_page_is_up_to_date() {
        let path = committed_page();
        let rendered = errors_page();
        if std::env::var_os("NETRAL_BLESS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "{ERRORS_PAGE} differs from the reasons in the code; rewrite it with \
             `NETRAL_BLESS=1 cargo test -p netral-server errors_page` and commit it"
        );
    }

    #[test]
    fn errors_page_has_one_section_per_reason() {
        let page = errors_page();
        for reason in Reason::ALL {
            let heading = format!("\n## {reason}\n");
            assert_eq!(page.matches(&heading).count(), 1, "{reason}");
        }
    }

    #[test]
    fn identity_reasons_of_a_known_caller_are_permission_denied() {
        assert_eq!(code(Reason::AgencyRevoked), Code::PermissionDenied);
        // A revoked certificate is a bad credential, whoever it names.
        for reason in [
            Reason::CertificateRevoked,
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
