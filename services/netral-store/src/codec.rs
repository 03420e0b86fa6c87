//! The stored names of the domain's enums. The storage format is part of the data, not of the
//! code: these names are written here once, as lowercase snake words, so renaming a variant or
//! changing a wire name in the domain can never change what a stored row means. Every
//! `match` below is exhaustive, so a new variant in the domain fails the build here instead of
//! being stored under a guessed name.
//!
//! Case states and actions are the exception: the domain defines their `as_str()` as the
//! database form (`UNDER_EXAMINATION`, `RECOMMEND_SANCTION`), shared with the audit log and
//! the wire, and the store uses it as is.

use netral_domain::case::{
    CancelReason, CaseSource, DeadlineStatus, ElectionPhase, EscalationKind, Notice,
    SeparationReason,
};
use netral_domain::catalogue::{
    DeadlineStep, ElectionKind, MoralKind, SanctionLevel, SanctionTrack,
};
use netral_domain::ids::SubjectIdKind;

use crate::error::StoreError;

/// An enum with a stable stored name for every variant.
pub(crate) trait Keyword: Sized + Copy {
    /// The stored name.
    fn keyword(self) -> &'static str;
    /// The variant stored as `s`, if any.
    fn from_keyword(s: &str) -> Option<Self>;
}

/// Declares the stored names of an enum; each `[variant]` is written once and used both as a
/// pattern (encode) and as a value (decode).
macro_rules! keywords {
    ($ty:ty { $( [$($variant:tt)+] => $name:literal ),+ $(,)? }) => {
        impl Keyword for $ty {
            fn keyword(self) -> &'static str {
                match self {
                    $( $($variant)+ => $name, )+
                }
            }

            fn from_keyword(s: &str) -> Option<Self> {
                match s {
                    $( $name => Some($($variant)+), )+
                    _ => None,
                }
            }
        }
    };
}

keywords!(CaseSource {
    [CaseSource::Finding] => "finding",
    [CaseSource::PublicReport] => "public_report",
});

keywords!(ElectionPhase {
    [ElectionPhase::BeforeCandidateDetermination] => "before_candidate_determination",
    [ElectionPhase::AfterCandidateDetermination] => "after_candidate_determination",
});

keywords!(EscalationKind {
    [EscalationKind::Reminder] => "reminder",
    [EscalationKind::Overdue] => "overdue",
    [EscalationKind::PersonnelDataBlocked] => "personnel_data_blocked",
    [EscalationKind::PersonnelDataUnblocked] => "personnel_data_unblocked",
    [EscalationKind::WarningLetter] => "warning_letter",
    [EscalationKind::BlockProposed] => "block_proposed",
    [EscalationKind::WarningProposed] => "warning_proposed",
});

keywords!(Notice {
    [Notice::Reminder] => "reminder",
    [Notice::Overdue] => "overdue",
    [Notice::BlockProposal] => "block_proposal",
    [Notice::WarningProposal] => "warning_proposal",
});

keywords!(DeadlineStatus {
    [DeadlineStatus::Open] => "open",
    [DeadlineStatus::Met] => "met",
    [DeadlineStatus::Missed] => "missed",
    [DeadlineStatus::Moot] => "moot",
});

keywords!(CancelReason {
    [CancelReason::Duplicate] => "duplicate",
    [CancelReason::Withdrawn] => "withdrawn",
    [CancelReason::Other] => "other",
});

keywords!(SeparationReason {
    [SeparationReason::Retired] => "retired",
    [SeparationReason::Resigned] => "resigned",
    [SeparationReason::Died] => "died",
    [SeparationReason::DismissedOtherwise] => "dismissed_otherwise",
});

keywords!(ElectionKind {
    [ElectionKind::Pemilu] => "pemilu",
    [ElectionKind::Pilkada] => "pilkada",
});

keywords!(DeadlineStep {
    [DeadlineStep::ReportFiling] => "report_filing",
    [DeadlineStep::BawasluReview] => "bawaslu_review",
    [DeadlineStep::BawasluReviewExtended] => "bawaslu_review_extended",
    [DeadlineStep::ExaminerAction] => "examiner_action",
    [DeadlineStep::PpkAction] => "ppk_action",
    [DeadlineStep::RegionalHeadAfterWarning] => "regional_head_after_warning",
});

keywords!(SanctionTrack {
    [SanctionTrack::Level(SanctionLevel::Light)] => "light",
    [SanctionTrack::Level(SanctionLevel::Medium)] => "medium",
    [SanctionTrack::Level(SanctionLevel::Severe)] => "severe",
    [SanctionTrack::DishonourableDismissal] => "dishonourable_dismissal",
    [SanctionTrack::CaseByCase] => "case_by_case",
});

keywords!(MoralKind {
    [MoralKind::Closed] => "closed",
    [MoralKind::Open] => "open",
});

keywords!(SubjectIdKind {
    [SubjectIdKind::Nip] => "nip",
    [SubjectIdKind::NiPppk] => "ni_pppk",
    [SubjectIdKind::Nik] => "nik",
});

keywords!(crate::revocation::RevocationKind {
    [crate::revocation::RevocationKind::Agency] => "agency",
    [crate::revocation::RevocationKind::Certificate] => "certificate",
});

/// Decodes a stored name, or names the `table.column` that holds an unknown one.
pub(crate) fn decode<T: Keyword>(s: &str, table: &str, column: &str) -> Result<T, StoreError> {
    T::from_keyword(s).ok_or_else(|| StoreError::corrupt(table, column))
}

/// Parses a stored value with its `FromStr`, naming the `table.column` on failure (never the
/// value, which may be personal data).
pub(crate) fn parse<T: std::str::FromStr>(
    s: &str,
    table: &str,
    column: &str,
) -> Result<T, StoreError> {
    s.parse().map_err(|_| StoreError::corrupt(table, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Keyword + PartialEq + std::fmt::Debug>(all: &[T]) {
        let mut names: Vec<&str> = all.iter().map(|v| v.keyword()).collect();
        for value in all {
            assert_eq!(T::from_keyword(value.keyword()), Some(*value));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "stored names must be distinct");
    }

    #[test]
    fn every_stored_name_round_trips_and_is_distinct() {
        round_trips(&[CaseSource::Finding, CaseSource::PublicReport]);
        round_trips(&[
            crate::revocation::RevocationKind::Agency,
            crate::revocation::RevocationKind::Certificate,
        ]);
        round_trips(&[
            ElectionPhase::BeforeCandidateDetermination,
            ElectionPhase::AfterCandidateDetermination,
        ]);
        round_trips(&[
            EscalationKind::Reminder,
            EscalationKind::Overdue,
            EscalationKind::PersonnelDataBlocked,
            EscalationKind::PersonnelDataUnblocked,
            EscalationKind::WarningLetter,
        ]);
        round_trips(&[
            DeadlineStatus::Open,
            DeadlineStatus::Met,
            DeadlineStatus::Missed,
            DeadlineStatus::Moot,
        ]);
        round_trips(&[
            CancelReason::Duplicate,
            CancelReason::Withdrawn,
            CancelReason::Other,
        ]);
        round_trips(&[
            SeparationReason::Retired,
            SeparationReason::Resigned,
            SeparationReason::Died,
            SeparationReason::DismissedOtherwise,
        ]);
        round_trips(&ElectionKind::ALL);
        round_trips(&DeadlineStep::ALL);
        round_trips(&SanctionTrack::ALL);
        round_trips(&MoralKind::ALL);
        round_trips(&[
            SubjectIdKind::Nip,
            SubjectIdKind::NiPppk,
            SubjectIdKind::Nik,
        ]);
    }

    #[test]
    fn unknown_names_are_corrupt_rows_naming_the_column() {
        let err = decode::<CaseSource>("FINDING", "cases", "source").unwrap_err();
        assert_eq!(err.to_string(), "corrupt row: cases.source");
    }
}
