//! Who is told about a step: the routing of inbox messages. Each accepted step of a case
//! produces one message for every agency that must now act on the case or must know that
//! the agency it waits for has acted; the acting agency itself is never told.
//!
//! The table ([`audiences`]) is the domain's, not the store's: it names case parties (the
//! reporting Bawaslu office, the examiner the case was forwarded to, the PPK) and role
//! holders on the step's day (the personnel registry and the regional overseer whose
//! jurisdiction covers the case's region). Deadline reminders and overdue notices, raised by
//! the deadline engine rather than by a step, use the same [`Delivery`] type.

use chrono::NaiveDate;

use crate::case::{CaseRecord, Deadline, Notice, StepOutcome};
use crate::catalogue::DeadlineStep;
use crate::ids::{AgencyId, RegionCode};
use crate::policy::{AgencyProfile, Role};
use crate::state::Action;

/// What a message tells its recipient. The wire enum `InboxMessageKind` mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// The case changed in a way that concerns the recipient.
    CaseChanged,
    /// One of the recipient's deadlines is near.
    DeadlineReminder,
    /// One of the recipient's deadlines has passed.
    DeadlineMissed,
    /// A rung of the escalation ladder (block, warning letter) that the recipient must act on.
    Escalation,
}

impl MessageKind {
    /// The stable name stored with the message, e.g. `"CASE_CHANGED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CaseChanged => "CASE_CHANGED",
            Self::DeadlineReminder => "DEADLINE_REMINDER",
            Self::DeadlineMissed => "DEADLINE_MISSED",
            Self::Escalation => "ESCALATION",
        }
    }

    /// Parses [`MessageKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::CaseChanged,
            Self::DeadlineReminder,
            Self::DeadlineMissed,
            Self::Escalation,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One message to deliver: to whom, and what kind of news it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Delivery {
    /// The recipient agency.
    pub agency: AgencyId,
    /// What the message tells it.
    pub kind: MessageKind,
}

/// Who a step concerns, before the case's parties are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The Bawaslu office that registered the case.
    ReportingOffice,
    /// The examiner the case was forwarded to (none before forwarding).
    Examiner,
    /// The PPK named on the case.
    Ppk,
    /// The PPK, once the examiner has recommended a sanction (before that, the PPK has
    /// nothing to do with the case and learns of it only with the recommendation).
    PpkOnceRecommended,
    /// The holders of `PERSONNEL_REGISTRY` covering the case's region (BKN): they record
    /// decrees and block or unblock the subject's personnel data.
    Registry,
    /// The registry, once the examiner has recommended a sanction.
    RegistryOnceRecommended,
    /// The holders of `REGIONAL_OVERSIGHT` covering the case's region (Kemendagri): the
    /// next rung of the escalation ladder after a block.
    Oversight,
}

/// Who must be told about `action`, and as what kind of news. The table, read from the
/// life of a case (DOMAIN.md): forwarding reaches the examiner, a recommendation the PPK
/// (and BKN, which watches its follow-up), a decree BKN to record it, a block the PPK and
/// Kemendagri as an escalation; Bawaslu hears how its case ends. Review steps (register,
/// extend, dismiss) concern nobody but Bawaslu itself.
pub const fn audiences(action: Action) -> &'static [(Audience, MessageKind)] {
    use Audience as A;
    use MessageKind::{CaseChanged as C, Escalation as E};
    match action {
        Action::Register | Action::ExtendReview | Action::Dismiss => &[],
        Action::Forward => &[(A::Examiner, C)],
        Action::Accept | Action::ConcludeNotProven => &[(A::ReportingOffice, C)],
        Action::RecommendSanction => &[(A::Ppk, C), (A::Registry, C), (A::ReportingOffice, C)],
        Action::Acknowledge => &[(A::Examiner, C)],
        // The registry reports a separation: the PPK, whose duty it ends, hears of it.
        Action::ReportSubjectSeparated => &[
            (A::Ppk, C),
            (A::Registry, C),
            (A::Examiner, C),
            (A::ReportingOffice, C),
        ],
        Action::RecordSanctionDecree => {
            &[(A::Registry, C), (A::Examiner, C), (A::ReportingOffice, C)]
        }
        Action::RecordInRegistry => &[(A::Ppk, C), (A::Examiner, C), (A::ReportingOffice, C)],
        Action::BlockPersonnelData => &[(A::Ppk, E), (A::Oversight, E), (A::Examiner, C)],
        Action::UnblockPersonnelData => &[(A::Ppk, C), (A::Oversight, C), (A::Examiner, C)],
        Action::SendWarningLetter => &[(A::Ppk, E), (A::Registry, C), (A::Examiner, C)],
        // Cancelled before a recommendation (nothing after): by Bawaslu, telling the
        // examiner if any; by the examiner, telling Bawaslu.
        Action::Cancel => &[(A::Examiner, C), (A::ReportingOffice, C)],
        Action::AttachEvidence | Action::AddNote => &[
            (A::ReportingOffice, C),
            (A::Examiner, C),
            (A::PpkOnceRecommended, C),
        ],
        // Routed by the notice, not the action: see [`notice_recipients`].
        Action::RaiseNotice => &[],
        // The past is not news: an imported case tells no one.
        Action::ImportHistory => &[],
    }
}

/// Who is told, besides [`audiences`] of the step's action, when a step ends a case while
/// BKN blocks the subject's personnel data and so lifts the block: BKN, which must lift it in
/// its registry, and whoever an unblocking by BKN would tell (the PPK, Kemendagri, which
/// heard of the block as an escalation, and the examiner).
pub const BLOCK_LIFTED: &[(Audience, MessageKind)] = &[
    (Audience::Registry, MessageKind::CaseChanged),
    (Audience::Ppk, MessageKind::CaseChanged),
    (Audience::Oversight, MessageKind::CaseChanged),
    (Audience::Examiner, MessageKind::CaseChanged),
];

/// The agencies holding a territorial `role` on `on` whose jurisdiction covers `region`
/// (a national holder covers every region).
pub fn role_holders<'a>(
    agencies: impl IntoIterator<Item = &'a AgencyProfile>,
    role: Role,
    region: &RegionCode,
    on: NaiveDate,
) -> Vec<AgencyId> {
    agencies
        .into_iter()
        .filter(|agency| agency.holds(role, on) && agency.covers(region))
        .map(|agency| agency.id.clone())
        .collect()
}

/// The role holders a step's routing may need, looked up for the case's region on the
/// step's day (see [`role_holders`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleHolders {
    /// Holders of `PERSONNEL_REGISTRY`.
    pub registry: Vec<AgencyId>,
    /// Holders of `REGIONAL_OVERSIGHT`.
    pub oversight: Vec<AgencyId>,
}

impl RoleHolders {
    /// The holders among `agencies` for a case in `region` on `on`.
    pub fn of<'a>(
        agencies: impl IntoIterator<Item = &'a AgencyProfile> + Clone,
        region: &RegionCode,
        on: NaiveDate,
    ) -> Self {
        Self {
            registry: role_holders(agencies.clone(), Role::PersonnelRegistry, region, on),
            oversight: role_holders(agencies, Role::RegionalOversight, region, on),
        }
    }
}

/// The messages `action`, taken by `actor`, produces on `case` (the case after the step):
/// one per recipient, in a stable order (by agency), never to the actor. An agency reached
/// through two audiences gets one message, of the more urgent kind.
pub fn recipients(
    action: Action,
    case: &CaseRecord,
    actor: &AgencyId,
    holders: &RoleHolders,
) -> Vec<Delivery> {
    route(audiences(action), case, actor, holders)
}

/// The messages an accepted step produces: [`recipients`] of its action, and those of
/// [`BLOCK_LIFTED`] when the step lifted a block by ending the case. One per recipient, of
/// the more urgent kind, never to the actor.
pub fn step_recipients(
    outcome: &StepOutcome,
    case: &CaseRecord,
    actor: &AgencyId,
    holders: &RoleHolders,
) -> Vec<Delivery> {
    let lifted: &[(Audience, MessageKind)] = if outcome.block_lifted {
        BLOCK_LIFTED
    } else {
        &[]
    };
    route(
        audiences(outcome.action).iter().chain(lifted),
        case,
        actor,
        holders,
    )
}

/// The deliveries of `table` on `case` (see [`recipients`]).
fn route<'t>(
    table: impl IntoIterator<Item = &'t (Audience, MessageKind)>,
    case: &CaseRecord,
    actor: &AgencyId,
    holders: &RoleHolders,
) -> Vec<Delivery> {
    let recommended = case.recommendation.is_some();
    let mut deliveries: Vec<Delivery> = Vec::new();
    for &(audience, kind) in table {
        let agencies: Vec<&AgencyId> = match audience {
            Audience::ReportingOffice => vec![&case.reporting_office],
            Audience::Examiner => case.examiner.iter().collect(),
            Audience::Ppk => vec![&case.filing.ppk],
            Audience::PpkOnceRecommended if recommended => vec![&case.filing.ppk],
            Audience::Registry => holders.registry.iter().collect(),
            Audience::RegistryOnceRecommended if recommended => holders.registry.iter().collect(),
            Audience::Oversight => holders.oversight.iter().collect(),
            Audience::PpkOnceRecommended | Audience::RegistryOnceRecommended => Vec::new(),
        };
        for agency in agencies.into_iter().filter(|a| *a != actor) {
            match deliveries.iter_mut().find(|d| d.agency == *agency) {
                Some(found) => found.kind = found.kind.max(kind),
                None => deliveries.push(Delivery {
                    agency: agency.clone(),
                    kind,
                }),
            }
        }
    }
    deliveries.sort();
    deliveries
}

/// The messages a notice of the deadline engine produces on `case`: a reminder or an
/// overdue notice to the agency the deadline waits for (an overdue PPK also makes the
/// examiner who recommended hear of it), a block proposal to the personnel registry, a
/// warning proposal to the regional overseer; the PPK hears of both proposals.
pub fn notice_recipients(
    notice: Notice,
    deadline: &Deadline,
    case: &CaseRecord,
    holders: &RoleHolders,
) -> Vec<Delivery> {
    use MessageKind::{CaseChanged, DeadlineMissed, DeadlineReminder, Escalation};
    let ppk_step = deadline.step == DeadlineStep::PpkAction;
    let mut deliveries: Vec<Delivery> = match notice {
        Notice::Reminder => vec![(deadline.agency.clone(), DeadlineReminder)],
        Notice::Overdue => std::iter::once((deadline.agency.clone(), DeadlineMissed))
            .chain(
                case.examiner
                    .iter()
                    .filter(|_| ppk_step)
                    .map(|examiner| (examiner.clone(), CaseChanged)),
            )
            .collect(),
        Notice::BlockProposal => holders
            .registry
            .iter()
            .map(|bkn| (bkn.clone(), Escalation))
            .chain([(case.filing.ppk.clone(), CaseChanged)])
            .collect(),
        Notice::WarningProposal => holders
            .oversight
            .iter()
            .map(|overseer| (overseer.clone(), Escalation))
            .chain([(case.filing.ppk.clone(), CaseChanged)])
            .collect(),
    }
    .into_iter()
    .map(|(agency, kind)| Delivery { agency, kind })
    .collect();
    deliveries.sort();
    // One message per agency, the more urgent kind kept (sorted by agency, then kind).
    deliveries.reverse();
    deliveries.dedup_by(|later, kept| later.agency == kept.agency);
    deliveries.reverse();
    deliveries
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
