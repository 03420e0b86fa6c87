use std::collections::HashSet;

use super::Reason;

/// The wire string of every reason, written out by hand: agencies match on these, so a
/// rename must fail here as well as in the end-to-end tests. The match is exhaustive, so a new
/// variant must be added here too.
fn pinned_wire(reason: Reason) -> &'static str {
    use Reason as R;
    match reason {
        R::NoClientCertificate => "NO_CLIENT_CERTIFICATE",
        R::NoAgencyName => "NO_AGENCY_NAME",
        R::MalformedCertificate => "MALFORMED_CERTIFICATE",
        R::UnknownAgency => "UNKNOWN_AGENCY",
        R::AgencyRevoked => "AGENCY_REVOKED",
        R::CertificateRevoked => "CERTIFICATE_REVOKED",
        R::RoleNotHeld => "ROLE_NOT_HELD",
        R::OutsideJurisdiction => "OUTSIDE_JURISDICTION",
        R::NotAParty => "NOT_A_PARTY",
        R::CaseNotAccessible => "CASE_NOT_ACCESSIBLE",
        R::NotOwnInbox => "NOT_OWN_INBOX",
        R::NotTheExaminer => "NOT_THE_EXAMINER",
        R::NoExaminerOnDate => "NO_EXAMINER_ON_DATE",
        R::AmbiguousExaminer => "AMBIGUOUS_EXAMINER",
        R::NetralOnly => "NETRAL_ONLY",
        R::CaseClosed => "CASE_CLOSED",
        R::AlreadyRegistered => "ALREADY_REGISTERED",
        R::InvalidTransition => "INVALID_TRANSITION",
        R::ReviewAlreadyExtended => "REVIEW_ALREADY_EXTENDED",
        R::AlreadyAcknowledged => "ALREADY_ACKNOWLEDGED",
        R::AlreadyBlocked => "ALREADY_BLOCKED",
        R::NotBlocked => "NOT_BLOCKED",
        R::PpkNotOverdue => "PPK_NOT_OVERDUE",
        R::PpkNotARegionalHead => "PPK_NOT_A_REGIONAL_HEAD",
        R::SanctionOutsideRecommendedLevel => "SANCTION_OUTSIDE_RECOMMENDED_LEVEL",
        R::CalendarNotCovered => "CALENDAR_NOT_COVERED",
        R::CaseLimitReached => "CASE_LIMIT_REACHED",
        R::HistoryTooLong => "HISTORY_TOO_LONG",
        R::TreeSizeBeyondLog => "TREE_SIZE_BEYOND_LOG",
        R::NothingDue => "NOTHING_DUE",
        R::InvalidArgument => "INVALID_ARGUMENT",
        R::NotFound => "NOT_FOUND",
        R::EtagMismatch => "ETAG_MISMATCH",
        R::RequestIdReused => "REQUEST_ID_REUSED",
        R::DuplicateRegistration => "DUPLICATE_REGISTRATION",
        R::TooManyStreams => "TOO_MANY_STREAMS",
        R::MessageTooLarge => "MESSAGE_TOO_LARGE",
        R::StorageUnavailable => "STORAGE_UNAVAILABLE",
        R::ShuttingDown => "SHUTTING_DOWN",
        R::InboxConsumerTooSlow => "INBOX_CONSUMER_TOO_SLOW",
        R::Internal => "INTERNAL",
    }
}

#[test]
fn all_lists_every_reason_once() {
    // Every variant has its own pinned string, so distinct strings mean distinct variants.
    let listed: HashSet<&str> = Reason::ALL.iter().map(|r| pinned_wire(*r)).collect();
    assert_eq!(listed.len(), Reason::ALL.len(), "a reason is listed twice");
    // The number of arms of `pinned_wire`: a new reason is pinned there and counted here.
    assert_eq!(Reason::ALL.len(), 41, "ALL and pinned_wire disagree");
}

#[test]
fn wire_strings_never_change() {
    for reason in Reason::ALL {
        assert_eq!(reason.as_str(), pinned_wire(*reason));
        assert_eq!(reason.to_string(), reason.as_str());
    }
}

#[test]
fn every_wire_string_is_upper_snake_and_unique() {
    let mut seen = HashSet::new();
    for reason in Reason::ALL {
        let wire = reason.as_str();
        let upper_snake = !wire.is_empty()
            && wire.split('_').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
            && wire.starts_with(|c: char| c.is_ascii_uppercase());
        assert!(upper_snake, "{wire} is not UPPER_SNAKE");
        assert!(seen.insert(wire), "{wire} is used twice");
    }
}

#[test]
fn every_reason_parses_back_from_its_wire_string() {
    for reason in Reason::ALL {
        assert_eq!(reason.as_str().parse::<Reason>(), Ok(*reason));
    }
    assert!("not_a_party".parse::<Reason>().is_err());
    assert!("NOT_A_PART".parse::<Reason>().is_err());
}

#[test]
fn every_reason_says_when_it_is_sent_and_what_to_do() {
    for reason in Reason::ALL {
        for text in [reason.description(), reason.what_to_do()] {
            assert!(
                text.len() > 20 && text.ends_with('.'),
                "{reason}: {text:?} must be a sentence"
            );
            assert!(!text.contains('\n'), "{reason}: one paragraph");
        }
    }
}
