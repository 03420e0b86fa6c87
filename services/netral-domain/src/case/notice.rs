//! What the deadline engine raises on a case, and when: the notice ladder of a deadline.
//!
//! A deadline that stays open climbs, one rung per raise and each rung once: a reminder
//! (`reminder_lead_days` before it is due), overdue (the day after it is due), and for the
//! PPK's deadline the escalation proposals — to BKN, to block the subject's personnel data,
//! then to Kemendagri, to warn the regional head when the PPK is one. The rung reached and
//! the day the next one falls due are stored on the deadline itself, so the engine keeps no
//! state of its own: a restart, a second replica or a catch-up after downtime reads the same
//! ladder and raises only what is next.
//!
//! A reminder for a deadline that has already passed is noise: a catch-up skips it and
//! raises overdue.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::apply::{StepError, StepOutcome};
use super::record::{CaseRecord, Deadline, DeadlineStatus, Escalation, EscalationKind};
use crate::catalogue::DeadlineStep;
use crate::state::Action;

/// One rung of a deadline's ladder, in the order they are raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Notice {
    /// The deadline is near.
    Reminder,
    /// The deadline passed without the expected step.
    Overdue,
    /// The PPK's deadline passed: BKN is asked to block the subject's personnel data.
    BlockProposal,
    /// The PPK's deadline passed and the PPK is a regional head: Kemendagri is asked to warn.
    WarningProposal,
}

impl Notice {
    /// Every notice, in ladder order.
    pub const ALL: [Self; 4] = [
        Self::Reminder,
        Self::Overdue,
        Self::BlockProposal,
        Self::WarningProposal,
    ];

    /// The stable name used in events and the store: `REMINDER`, `OVERDUE`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reminder => "REMINDER",
            Self::Overdue => "OVERDUE",
            Self::BlockProposal => "BLOCK_PROPOSAL",
            Self::WarningProposal => "WARNING_PROPOSAL",
        }
    }

    /// Parses [`Notice::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }

    /// The escalation record a raised notice leaves on the case.
    pub const fn escalation(self) -> EscalationKind {
        match self {
            Self::Reminder => EscalationKind::Reminder,
            Self::Overdue => EscalationKind::Overdue,
            Self::BlockProposal => EscalationKind::BlockProposed,
            Self::WarningProposal => EscalationKind::WarningProposed,
        }
    }
}

/// When notices fall due. Configuration (the sources name deadlines, not reminders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticePolicy {
    /// How many calendar days before a deadline its reminder falls due; 0 sends none.
    pub reminder_lead_days: u32,
    /// How many calendar days after overdue the PPK's escalation proposals fall due.
    pub escalate_after_days: u32,
}

impl Default for NoticePolicy {
    fn default() -> Self {
        Self {
            reminder_lead_days: 2,
            escalate_after_days: 0,
        }
    }
}

/// The facts a raise needs besides the case: the instant, the policy, and whether the PPK
/// is a regional head (from the directory: a PPK with a jurisdiction).
#[derive(Debug, Clone, Copy)]
pub struct NoticeContext {
    /// The instant of the raise (the injected clock).
    pub now: DateTime<Utc>,
    /// The exchange's calendar date at `now`.
    pub today: NaiveDate,
    /// When notices fall due.
    pub policy: NoticePolicy,
    /// Whether the case's PPK is a regional head (governor, regent, mayor).
    pub ppk_is_regional_head: bool,
}

/// What a raise did, for the event, the audit record and the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// The notice raised.
    pub notice: Notice,
    /// The deadline it is about, after the raise.
    pub deadline: Deadline,
    /// The step's outcome (action `RAISE_NOTICE`, the state unchanged).
    pub outcome: StepOutcome,
}

/// The day the first notice of a new deadline falls due.
pub(crate) fn first_notice_on(deadline: &Deadline, policy: &NoticePolicy) -> Option<NaiveDate> {
    next_after(None, deadline, deadline.start, policy, false, false).map(|(_, on)| on)
}

/// The rung after `reached` on `deadline` and its day. A reminder falls due
/// `reminder_lead_days` before the deadline, only while the deadline has not passed by
/// `today` and, when a deadline is scheduled (not `raising`), only if that day is after the
/// deadline started; the escalation proposals follow only the PPK's deadline, the warning
/// only when the PPK is a regional head.
fn next_after(
    reached: Option<Notice>,
    deadline: &Deadline,
    today: NaiveDate,
    policy: &NoticePolicy,
    regional_head: bool,
    raising: bool,
) -> Option<(Notice, NaiveDate)> {
    let due = deadline.due;
    let overdue_on = due.checked_add_days(Days::new(1))?;
    let escalate_on = overdue_on.checked_add_days(Days::new(policy.escalate_after_days.into()))?;
    let escalates = deadline.step == DeadlineStep::PpkAction;
    let remind_on = due
        .checked_sub_days(Days::new(policy.reminder_lead_days.into()))
        .filter(|on| {
            policy.reminder_lead_days > 0 && (raising || *on > deadline.start) && today <= due
        });
    match (reached, remind_on) {
        (None, Some(on)) => Some((Notice::Reminder, on)),
        (None | Some(Notice::Reminder), _) => Some((Notice::Overdue, overdue_on)),
        (Some(Notice::Overdue), _) if escalates => Some((Notice::BlockProposal, escalate_on)),
        (Some(Notice::BlockProposal), _) if escalates && regional_head => {
            Some((Notice::WarningProposal, escalate_on))
        }
        (Some(_), _) => None,
    }
}

impl CaseRecord {
    /// Raises the next notice of the deadline at `index` if it is due by `ctx.today`: moves
    /// the deadline one rung up, records the escalation (raised by netral itself, no agency)
    /// and bumps the version. `Ok(None)` when nothing is due (the deadline closed, or another
    /// raise got there first); the record is then untouched.
    pub fn raise_notice(
        &mut self,
        index: usize,
        ctx: &NoticeContext,
    ) -> Result<Option<Raised>, StepError> {
        let Some(deadline) = self.deadlines.get(index) else {
            return Ok(None);
        };
        let due_now = deadline.status == DeadlineStatus::Open
            && deadline.notice_on.is_some_and(|on| on <= ctx.today);
        if !due_now || self.state.is_terminal() {
            return Ok(None);
        }
        let step = deadline.step;
        let Some((notice, on)) = next_after(
            deadline.notice,
            deadline,
            ctx.today,
            &ctx.policy,
            ctx.ppk_is_regional_head,
            true,
        ) else {
            return Ok(None);
        };
        if on > ctx.today {
            // Never early: the stored day was set under another policy (a shorter lead, a
            // shorter grace); the rung waits for its own day.
            return Ok(None);
        }
        let mut next = self.clone();
        let raised = {
            let deadline = &mut next.deadlines[index];
            deadline.notice = Some(notice);
            deadline.notice_on = next_after(
                Some(notice),
                deadline,
                ctx.today,
                &ctx.policy,
                ctx.ppk_is_regional_head,
                true,
            )
            .map(|(_, on)| on);
            deadline.clone()
        };
        let reason = format!("{} due {}", step.as_str(), raised.due);
        next.size.escalations += 1;
        next.size.text_bytes += reason.len() as u64;
        next.escalations.push(Escalation {
            kind: notice.escalation(),
            agency: None,
            reference: String::new(),
            reason,
            at: ctx.now,
        });
        next.version += 1;
        next.updated_at = ctx.now;
        let outcome = StepOutcome::new(Action::RaiseNotice, self.state, self.state);
        *self = next;
        Ok(Some(Raised {
            notice,
            deadline: raised,
            outcome,
        }))
    }
}

#[cfg(test)]
#[path = "notice_tests.rs"]
mod tests;
