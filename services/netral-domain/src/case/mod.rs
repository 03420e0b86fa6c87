//! The case aggregate: everything netral knows about one neutrality case, and the one place
//! where a step (a [`Command`]) is checked against the policy and the state machine and
//! applied to it.
//!
//! The store persists a [`CaseRecord`]; the server builds [`NewCase`] and [`Command`] values
//! from validated requests. Neither decides anything a case rule decides: that happens here.

mod apply;
mod closing;
mod decree;
mod handover;
mod history;
mod notice;
mod record;

pub use apply::{Command, StepContext, StepError, StepOutcome};
pub use history::{
    HistoryContext, HistoryViolation, PastCase, PastEnd, PastForwarding, PastStep, past_instant,
};
pub use notice::{Notice, NoticeContext, NoticePolicy, Raised};
pub use record::{
    Attachment, CancelReason, CaseLimits, CaseRecord, CaseSize, CaseSource, Deadline,
    DeadlineStatus, Election, ElectionPhase, Escalation, EscalationKind, ImposedSanction, NewCase,
    Note, Outcome, Recommendation, SeparationReason, Subject,
};

#[cfg(test)]
mod closing_tests;
#[cfg(test)]
mod decree_tests;
#[cfg(test)]
mod handover_tests;
#[cfg(test)]
mod history_tests;
#[cfg(test)]
pub(crate) mod tests;
