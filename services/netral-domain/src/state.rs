//! The case state machine: the states a neutrality case passes through, the actions agencies
//! take on it, and [`next_state`], the one function that says which action leads where.
//!
//! Who may take an action is a separate question, answered by [`crate::policy`]; this module
//! only knows whether the action makes sense in the case's current state.

use std::fmt;
use std::str::FromStr;

use crate::reason::Reason;

/// Where a case stands. A case starts [`Registered`](CaseState::Registered) and ends in one of
/// the terminal states; see DESIGN.md, "Case states".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Bawaslu has registered a finding (*temuan*) or report (*laporan*) and is reviewing it.
    Registered,
    /// Bawaslu found a violation and forwarded the case to the examiner of that date.
    Forwarded,
    /// The examiner accepted the case and is verifying it.
    UnderExamination,
    /// The examiner found the violation not proven. Terminal.
    NotProven,
    /// The examiner recommended a sanction level to the PPK, who must now decide.
    SanctionRecommended,
    /// The PPK imposed a concrete sanction by decree (*SK*); BKN has yet to record it.
    Sanctioned,
    /// BKN recorded the sanction in the personnel registry. Terminal.
    Recorded,
    /// Bawaslu concluded the review with "not a violation". Terminal.
    Dismissed,
    /// Withdrawn or a duplicate. Terminal.
    Cancelled,
    /// The civil servant left the service (retired, resigned, died) before a sanction. Terminal.
    SubjectSeparated,
}

impl CaseState {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 10] = [
        Self::Registered,
        Self::Forwarded,
        Self::UnderExamination,
        Self::NotProven,
        Self::SanctionRecommended,
        Self::Sanctioned,
        Self::Recorded,
        Self::Dismissed,
        Self::Cancelled,
        Self::SubjectSeparated,
    ];

    /// The state of a freshly registered case.
    pub const fn initial() -> Self {
        Self::Registered
    }

    /// Whether the case is closed: no action, not even a note, is accepted any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::NotProven
                | Self::Recorded
                | Self::Dismissed
                | Self::Cancelled
                | Self::SubjectSeparated
        )
    }

    /// The stable wire name, e.g. `"UNDER_EXAMINATION"` (the proto enum value without its
    /// `STATE_` prefix, as stored in the database).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "REGISTERED",
            Self::Forwarded => "FORWARDED",
            Self::UnderExamination => "UNDER_EXAMINATION",
            Self::NotProven => "NOT_PROVEN",
            Self::SanctionRecommended => "SANCTION_RECOMMENDED",
            Self::Sanctioned => "SANCTIONED",
            Self::Recorded => "RECORDED",
            Self::Dismissed => "DISMISSED",
            Self::Cancelled => "CANCELLED",
            Self::SubjectSeparated => "SUBJECT_SEPARATED",
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseState {
    type Err = UnknownName;

    /// Parses the exact wire name given by [`CaseState::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName::new("case state", s))
    }
}

/// Something an agency does to a case. Some actions move the case to another state; others
/// (notes, evidence, acknowledgements, blocks, warning letters) are recorded on the case and
/// leave its state as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Bawaslu opens a case. Never a transition: it creates the case in
    /// [`CaseState::initial`].
    Register,
    /// Bawaslu extends its review (7 → 14 days) because it needs more information.
    ExtendReview,
    /// Bawaslu concludes "not a violation".
    Dismiss,
    /// Bawaslu forwards the violation to the examiner of that date.
    Forward,
    /// The examiner takes the case up for verification.
    Accept,
    /// The examiner finds the violation not proven.
    ConcludeNotProven,
    /// The examiner recommends a sanction level to the PPK.
    RecommendSanction,
    /// The PPK confirms it received the recommendation.
    Acknowledge,
    /// The PPK records the decree (*SK*) imposing the concrete sanction.
    RecordSanctionDecree,
    /// The personnel registry (BKN) reports that the civil servant has left the service
    /// (retired, resigned, died), as its records show.
    ReportSubjectSeparated,
    /// BKN records the sanction in the personnel registry (SIASN / I'DIS).
    RecordInRegistry,
    /// BKN blocks the civil servant's personnel data while the PPK ignores a recommendation.
    BlockPersonnelData,
    /// BKN lifts that block.
    UnblockPersonnelData,
    /// Kemendagri sends the regional head a warning letter (*teguran*).
    SendWarningLetter,
    /// The case is cancelled (withdrawn, duplicate): by Bawaslu while registered, by the
    /// examiner while it examines.
    Cancel,
    /// A party attaches a document to the case.
    AttachEvidence,
    /// A party adds a note to the case.
    AddNote,
    /// netral's deadline engine raises a notice (reminder, overdue, escalation proposal) on
    /// an open case. No agency may take it.
    RaiseNotice,
    /// A migration agency brings in a concluded past case with its history, each of its
    /// steps replayed on its original date (see [`crate::case::PastCase`]). Never a
    /// transition: it creates the case in its final state.
    ImportHistory,
}

impl Action {
    /// Every action, in the order of a case's life.
    pub const ALL: [Self; 19] = [
        Self::Register,
        Self::ExtendReview,
        Self::Dismiss,
        Self::Forward,
        Self::Accept,
        Self::ConcludeNotProven,
        Self::RecommendSanction,
        Self::Acknowledge,
        Self::RecordSanctionDecree,
        Self::ReportSubjectSeparated,
        Self::RecordInRegistry,
        Self::BlockPersonnelData,
        Self::UnblockPersonnelData,
        Self::SendWarningLetter,
        Self::Cancel,
        Self::AttachEvidence,
        Self::AddNote,
        Self::RaiseNotice,
        Self::ImportHistory,
    ];

    /// The stable wire name, e.g. `"RECOMMEND_SANCTION"`, as used in audit events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Register => "REGISTER",
            Self::ExtendReview => "EXTEND_REVIEW",
            Self::Dismiss => "DISMISS",
            Self::Forward => "FORWARD",
            Self::Accept => "ACCEPT",
            Self::ConcludeNotProven => "CONCLUDE_NOT_PROVEN",
            Self::RecommendSanction => "RECOMMEND_SANCTION",
            Self::Acknowledge => "ACKNOWLEDGE",
            Self::RecordSanctionDecree => "RECORD_SANCTION_DECREE",
            Self::ReportSubjectSeparated => "REPORT_SUBJECT_SEPARATED",
            Self::RecordInRegistry => "RECORD_IN_REGISTRY",
            Self::BlockPersonnelData => "BLOCK_PERSONNEL_DATA",
            Self::UnblockPersonnelData => "UNBLOCK_PERSONNEL_DATA",
            Self::SendWarningLetter => "SEND_WARNING_LETTER",
            Self::Cancel => "CANCEL",
            Self::AttachEvidence => "ATTACH_EVIDENCE",
            Self::AddNote => "ADD_NOTE",
            Self::RaiseNotice => "RAISE_NOTICE",
            Self::ImportHistory => "IMPORT_HISTORY",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownName;

    /// Parses the exact wire name given by [`Action::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| UnknownName::new("action", s))
    }
}

/// A name that is not one of an enum's wire names (state, action, role). Names are matched
/// exactly, in UPPER_SNAKE case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{name}`")]
pub struct UnknownName {
    /// What was being parsed: `"case state"`, `"action"`, `"role"`.
    pub kind: &'static str,
    /// The text that did not match, kept so the caller can report it back.
    pub name: String,
}

impl UnknownName {
    /// An error for `name`, which is not a valid `kind`.
    pub fn new(kind: &'static str, name: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
        }
    }
}

/// Why an action cannot be applied in the case's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The case is in a terminal state and accepts nothing more.
    #[error("the case is closed ({state})")]
    CaseClosed {
        /// The terminal state the case is in.
        state: CaseState,
    },
    /// `Register` on a case that already exists.
    #[error("the case is already registered")]
    AlreadyRegistered,
    /// The action exists but does not apply in this state (e.g. `ACCEPT` on a case that was
    /// never forwarded).
    #[error("{action} is not allowed in state {state}")]
    NotAllowed {
        /// The state the case is in.
        state: CaseState,
        /// The action that was refused.
        action: Action,
    },
}

impl TransitionError {
    /// The reason sent to agencies in `ErrorInfo.reason`.
    pub const fn reason(&self) -> Reason {
        match self {
            Self::CaseClosed { .. } => Reason::CaseClosed,
            Self::AlreadyRegistered => Reason::AlreadyRegistered,
            Self::NotAllowed { .. } => Reason::InvalidTransition,
        }
    }
}

/// The state a case in `from` moves to when `action` is applied, or why the action does not
/// apply. Actions that record something without moving the case return `from` itself.
///
/// This is the whole state machine: anything not listed here is refused.
pub fn next_state(from: CaseState, action: Action) -> Result<CaseState, TransitionError> {
    use Action as A;
    use CaseState as S;

    if from.is_terminal() {
        return Err(TransitionError::CaseClosed { state: from });
    }
    let to = match (from, action) {
        (_, A::Register) => return Err(TransitionError::AlreadyRegistered),

        (S::Registered, A::ExtendReview) => S::Registered,
        (S::Registered, A::Dismiss) => S::Dismissed,
        (S::Registered, A::Forward) => S::Forwarded,

        (S::Forwarded, A::Accept) => S::UnderExamination,

        (S::UnderExamination, A::ConcludeNotProven) => S::NotProven,
        (S::UnderExamination, A::RecommendSanction) => S::SanctionRecommended,

        (
            S::SanctionRecommended,
            A::Acknowledge | A::BlockPersonnelData | A::UnblockPersonnelData | A::SendWarningLetter,
        ) => S::SanctionRecommended,
        (S::SanctionRecommended, A::RecordSanctionDecree) => S::Sanctioned,

        (S::Sanctioned, A::RecordInRegistry) => S::Recorded,

        // A duplicate or withdrawn case is cancelled by whoever holds it before a sanction
        // is recommended (Bawaslu while registered, the examiner while examining); once the
        // PPK is asked to act, ending the case would erase its duty, so no one cancels then.
        (S::Registered | S::Forwarded | S::UnderExamination, A::Cancel) => S::Cancelled,
        // Until the PPK has decided, the personnel registry can report that the subject left
        // the service (retired, resigned, died); a case still in Bawaslu's review is not yet
        // anyone else's, and Bawaslu dismisses or cancels it.
        (
            S::Forwarded | S::UnderExamination | S::SanctionRecommended,
            A::ReportSubjectSeparated,
        ) => S::SubjectSeparated,

        // Any open case takes evidence and notes.
        (_, A::AttachEvidence | A::AddNote) => from,
        // The deadline engine's notices never move a case.
        (_, A::RaiseNotice) => from,

        _ => {
            return Err(TransitionError::NotAllowed {
                state: from,
                action,
            });
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet, VecDeque};

    use super::*;
    use Action as A;
    use CaseState as S;

    /// The transition table of DESIGN.md and the brief, written out independently of
    /// `next_state`: every permitted `(from, action, to)` triple and nothing else.
    const PERMITTED: &[(CaseState, Action, CaseState)] = &[
        (S::Registered, A::ExtendReview, S::Registered),
        (S::Registered, A::Dismiss, S::Dismissed),
        (S::Registered, A::Forward, S::Forwarded),
        (S::Registered, A::Cancel, S::Cancelled),
        (S::Registered, A::AttachEvidence, S::Registered),
        (S::Registered, A::AddNote, S::Registered),
        (S::Registered, A::RaiseNotice, S::Registered),
        (S::Forwarded, A::Accept, S::UnderExamination),
        (S::Forwarded, A::Cancel, S::Cancelled),
        (S::Forwarded, A::ReportSubjectSeparated, S::SubjectSeparated),
        (S::Forwarded, A::AttachEvidence, S::Forwarded),
        (S::Forwarded, A::AddNote, S::Forwarded),
        (S::Forwarded, A::RaiseNotice, S::Forwarded),
        (S::UnderExamination, A::ConcludeNotProven, S::NotProven),
        (
            S::UnderExamination,
            A::RecommendSanction,
            S::SanctionRecommended,
        ),
        (S::UnderExamination, A::Cancel, S::Cancelled),
        (
            S::UnderExamination,
            A::ReportSubjectSeparated,
            S::SubjectSeparated,
        ),
        (S::UnderExamination, A::AttachEvidence, S::UnderExamination),
        (S::UnderExamination, A::AddNote, S::UnderExamination),
        (S::UnderExamination, A::RaiseNotice, S::UnderExamination),
        (
            S::SanctionRecommended,
            A::Acknowledge,
            S::SanctionRecommended,
        ),
        (
            S::SanctionRecommended,
            A::RecordSanctionDecree,
            S::Sanctioned,
        ),
        (
            S::SanctionRecommended,
            A::BlockPersonnelData,
            S::SanctionRecommended,
        ),
        (
            S::SanctionRecommended,
            A::UnblockPersonnelData,
            S::SanctionRecommended,
        ),
        (
            S::SanctionRecommended,
            A::SendWarningLetter,
            S::SanctionRecommended,
        ),
        (
            S::SanctionRecommended,
            A::ReportSubjectSeparated,
            S::SubjectSeparated,
        ),
        (
            S::SanctionRecommended,
            A::AttachEvidence,
            S::SanctionRecommended,
        ),
        (S::SanctionRecommended, A::AddNote, S::SanctionRecommended),
        (
            S::SanctionRecommended,
            A::RaiseNotice,
            S::SanctionRecommended,
        ),
        (S::Sanctioned, A::RecordInRegistry, S::Recorded),
        (S::Sanctioned, A::AttachEvidence, S::Sanctioned),
        (S::Sanctioned, A::AddNote, S::Sanctioned),
        (S::Sanctioned, A::RaiseNotice, S::Sanctioned),
    ];

    /// The closed states, listed by hand rather than taken from `is_terminal`.
    const TERMINAL: [CaseState; 5] = [
        S::NotProven,
        S::Recorded,
        S::Dismissed,
        S::Cancelled,
        S::SubjectSeparated,
    ];

    fn expected(from: CaseState, action: Action) -> Result<CaseState, TransitionError> {
        let permitted: HashMap<(CaseState, Action), CaseState> =
            PERMITTED.iter().map(|&(f, a, t)| ((f, a), t)).collect();
        if TERMINAL.contains(&from) {
            Err(TransitionError::CaseClosed { state: from })
        } else if let Some(&to) = permitted.get(&(from, action)) {
            Ok(to)
        } else if action == A::Register {
            Err(TransitionError::AlreadyRegistered)
        } else {
            Err(TransitionError::NotAllowed {
                state: from,
                action,
            })
        }
    }

    #[test]
    fn every_state_and_action_pair_follows_the_table() {
        let mut checked = 0;
        for from in CaseState::ALL {
            for action in Action::ALL {
                assert_eq!(
                    next_state(from, action),
                    expected(from, action),
                    "{from} × {action}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 10 * 19);
    }

    #[test]
    fn the_table_names_no_transition_out_of_a_closed_state() {
        for &(from, action, _) in PERMITTED {
            assert!(
                !TERMINAL.contains(&from),
                "{from} × {action} listed from a closed state"
            );
        }
    }

    #[test]
    fn refusals_carry_the_reason_sent_to_agencies() {
        let closed = next_state(S::Recorded, A::AddNote).unwrap_err();
        assert_eq!(closed.reason().as_str(), "CASE_CLOSED");
        let twice = next_state(S::Forwarded, A::Register).unwrap_err();
        assert_eq!(twice.reason().as_str(), "ALREADY_REGISTERED");
        let early = next_state(S::Registered, A::RecommendSanction).unwrap_err();
        assert_eq!(early.reason().as_str(), "INVALID_TRANSITION");
        assert_eq!(
            early.to_string(),
            "RECOMMEND_SANCTION is not allowed in state REGISTERED"
        );
    }

    #[test]
    fn registering_an_existing_closed_case_says_it_is_closed() {
        for state in TERMINAL {
            assert_eq!(
                next_state(state, A::Register),
                Err(TransitionError::CaseClosed { state })
            );
        }
    }

    #[test]
    fn every_state_is_reachable_from_registration() {
        let mut seen = HashSet::from([CaseState::initial()]);
        let mut queue = VecDeque::from([CaseState::initial()]);
        while let Some(from) = queue.pop_front() {
            for action in Action::ALL {
                if let Ok(to) = next_state(from, action)
                    && seen.insert(to)
                {
                    queue.push_back(to);
                }
            }
        }
        for state in CaseState::ALL {
            assert!(
                seen.contains(&state),
                "{state} is unreachable from REGISTERED"
            );
        }
    }

    #[test]
    fn closed_states_have_no_way_out() {
        for state in CaseState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for action in Action::ALL {
                assert_eq!(
                    next_state(state, action),
                    Err(TransitionError::CaseClosed { state }),
                    "{state} × {action}"
                );
            }
        }
    }

    #[test]
    fn open_states_all_have_a_way_forward() {
        for state in CaseState::ALL.into_iter().filter(|s| !s.is_terminal()) {
            let moves = Action::ALL
                .into_iter()
                .filter_map(|a| next_state(state, a).ok())
                .any(|to| to != state);
            assert!(moves, "{state} is a dead end");
        }
    }

    #[test]
    fn terminal_states_are_exactly_the_closed_ones() {
        for state in CaseState::ALL {
            assert_eq!(state.is_terminal(), TERMINAL.contains(&state), "{state}");
        }
        assert!(!CaseState::initial().is_terminal());
    }

    #[test]
    fn all_lists_every_state_once() {
        // The match is exhaustive, so a new variant fails to compile until it is placed here.
        let index = |s: CaseState| match s {
            S::Registered => 0,
            S::Forwarded => 1,
            S::UnderExamination => 2,
            S::NotProven => 3,
            S::SanctionRecommended => 4,
            S::Sanctioned => 5,
            S::Recorded => 6,
            S::Dismissed => 7,
            S::Cancelled => 8,
            S::SubjectSeparated => 9,
        };
        let indices: HashSet<usize> = CaseState::ALL.into_iter().map(index).collect();
        assert_eq!(indices, (0..CaseState::ALL.len()).collect());
    }

    #[test]
    fn all_lists_every_action_once() {
        let index = |a: Action| match a {
            A::Register => 0,
            A::ExtendReview => 1,
            A::Dismiss => 2,
            A::Forward => 3,
            A::Accept => 4,
            A::ConcludeNotProven => 5,
            A::RecommendSanction => 6,
            A::Acknowledge => 7,
            A::RecordSanctionDecree => 8,
            A::ReportSubjectSeparated => 9,
            A::RecordInRegistry => 10,
            A::BlockPersonnelData => 11,
            A::UnblockPersonnelData => 12,
            A::SendWarningLetter => 13,
            A::Cancel => 14,
            A::AttachEvidence => 15,
            A::AddNote => 16,
            A::RaiseNotice => 17,
            A::ImportHistory => 18,
        };
        let indices: HashSet<usize> = Action::ALL.into_iter().map(index).collect();
        assert_eq!(indices, (0..Action::ALL.len()).collect());
    }

    #[test]
    fn wire_names_round_trip_and_are_upper_snake() {
        let is_upper_snake = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
        for state in CaseState::ALL {
            assert!(is_upper_snake(state.as_str()), "{state}");
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
        }
        for action in Action::ALL {
            assert!(is_upper_snake(action.as_str()), "{action}");
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
        assert_eq!(S::UnderExamination.as_str(), "UNDER_EXAMINATION");
        assert_eq!(A::RecommendSanction.as_str(), "RECOMMEND_SANCTION");
    }

    #[test]
    fn unknown_or_differently_cased_names_are_rejected() {
        for name in [
            "",
            "under_examination",
            "UnderExamination",
            "STATE_REGISTERED",
            "OPEN",
        ] {
            let err = name.parse::<CaseState>().unwrap_err();
            assert_eq!(err, UnknownName::new("case state", name));
        }
        assert!("accept".parse::<Action>().is_err());
        assert!("ACCEPT ".parse::<Action>().is_err());
    }
}
