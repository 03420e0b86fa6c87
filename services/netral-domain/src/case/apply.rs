//! Applying a step to a case: policy first, then the state machine, then the change itself
//! with the deadlines it starts and closes.

use chrono::{DateTime, NaiveDate, Utc};

use super::notice::{NoticePolicy, first_notice_on};
use super::record::{
    Attachment, CancelReason, CaseLimits, CaseRecord, CaseSize, Deadline, DeadlineStatus,
    Escalation, EscalationKind, ImposedSanction, NewCase, Note, Recommendation, SeparationReason,
};
use crate::catalogue::{CalendarError, Catalogue, DeadlineStep};
use crate::ids::{AgencyId, CaseId};
use crate::policy::{self, AgencyProfile, CaseParties, Denial};
use crate::reason::Reason;
use crate::state::{self, Action, CaseState, TransitionError};

/// A step on an existing case, with its validated parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Bawaslu needs more time for its review.
    ExtendReview {
        /// Why.
        reason: String,
    },
    /// Bawaslu finds no violation.
    Dismiss {
        /// Bawaslu's reasoning.
        rationale: String,
    },
    /// Bawaslu forwards the case to the examiner of the day.
    Forward {
        /// The recommendation letter number.
        letter_number: String,
        /// The agency holding the examiner role today, resolved from the directory.
        examiner: AgencyId,
    },
    /// The examiner accepts the case.
    Accept,
    /// The examiner finds it not proven.
    ConcludeNotProven {
        /// The examiner's reasoning.
        rationale: String,
    },
    /// The examiner recommends a sanction.
    RecommendSanction(Recommendation),
    /// The PPK acknowledges the recommendation.
    Acknowledge,
    /// The PPK records its decree.
    RecordSanctionDecree {
        /// The sanctions imposed, at least one, validated against the catalogue.
        sanctions: Vec<ImposedSanction>,
    },
    /// The PPK reports that the subject left the service.
    ReportSubjectSeparated {
        /// Why.
        reason: SeparationReason,
        /// From when.
        effective_on: NaiveDate,
    },
    /// BKN records the sanction in the personnel registry.
    RecordInRegistry {
        /// BKN's reference.
        reference: String,
    },
    /// BKN blocks the subject's personnel data.
    BlockPersonnelData {
        /// Why.
        reason: String,
    },
    /// BKN lifts the block.
    UnblockPersonnelData {
        /// Why.
        reason: String,
    },
    /// Kemendagri warns the regional head.
    SendWarningLetter {
        /// The letter number.
        letter_number: String,
        /// The letter's date; the regional head's deadline runs from it.
        letter_date: NaiveDate,
    },
    /// Bawaslu cancels the case.
    Cancel {
        /// Why.
        reason: CancelReason,
        /// Free-text detail.
        detail: String,
    },
    /// A party attaches evidence (the agency and time are filled in here).
    AttachEvidence {
        /// `sha256:` digest.
        digest: String,
        /// Media type.
        media_type: String,
        /// Title.
        title: String,
        /// Size in bytes.
        size_bytes: i64,
    },
    /// A party leaves a note.
    AddNote {
        /// The text.
        text: String,
    },
}

impl Command {
    /// The policy and state-machine action this command is.
    pub fn action(&self) -> Action {
        match self {
            Self::ExtendReview { .. } => Action::ExtendReview,
            Self::Dismiss { .. } => Action::Dismiss,
            Self::Forward { .. } => Action::Forward,
            Self::Accept => Action::Accept,
            Self::ConcludeNotProven { .. } => Action::ConcludeNotProven,
            Self::RecommendSanction(_) => Action::RecommendSanction,
            Self::Acknowledge => Action::Acknowledge,
            Self::RecordSanctionDecree { .. } => Action::RecordSanctionDecree,
            Self::ReportSubjectSeparated { .. } => Action::ReportSubjectSeparated,
            Self::RecordInRegistry { .. } => Action::RecordInRegistry,
            Self::BlockPersonnelData { .. } => Action::BlockPersonnelData,
            Self::UnblockPersonnelData { .. } => Action::UnblockPersonnelData,
            Self::SendWarningLetter { .. } => Action::SendWarningLetter,
            Self::Cancel { .. } => Action::Cancel,
            Self::AttachEvidence { .. } => Action::AttachEvidence,
            Self::AddNote { .. } => Action::AddNote,
        }
    }
}

/// Who acts, when, and against which rules.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// The calling agency with its dated grants.
    pub actor: &'a AgencyProfile,
    /// The instant the step is committed (from the injected clock).
    pub now: DateTime<Utc>,
    /// The exchange's calendar date (Western Indonesia Time) at `now`; grants, forwarding
    /// and deadlines are decided on it.
    pub today: NaiveDate,
    /// Deadline rules and the working-day calendar.
    pub catalogue: &'a Catalogue,
    /// How much a case may hold.
    pub limits: CaseLimits,
    /// When the deadline engine's notices fall due, for the deadlines the step starts.
    pub notices: NoticePolicy,
    /// Whether the case's PPK is a regional head (governor, regent, mayor: a PPK with a
    /// jurisdiction in the directory); only a regional head is warned by Kemendagri.
    pub ppk_is_regional_head: bool,
    /// The one agency the directory names as holding `EXAMINER` on `today` (`None` when it
    /// names none or several): an open case whose examiner's grant has ended passes to it when
    /// it acts as examiner ([`crate::policy::examiner_hand_over`]).
    pub examiner_today: Option<&'a AgencyId>,
}

/// What an accepted step did, for the audit event and the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// The action taken.
    pub action: Action,
    /// The state before (equal to `to` for registration and non-state-changing steps).
    pub from: CaseState,
    /// The state after.
    pub to: CaseState,
    /// Whether the step ended the case while BKN blocked the subject's personnel data, and so
    /// lifted the block (a case's end never leaves it blocked): the inbox tells the agencies
    /// that heard of the block ([`crate::inbox::BLOCK_LIFTED`]).
    pub block_lifted: bool,
    /// The examiner the case was taken over from, when the step's actor took it over as the
    /// examiner of the day (see [`crate::policy::examiner_hand_over`]); the step's event
    /// records it.
    pub examiner_handed_over_from: Option<AgencyId>,
}

impl StepOutcome {
    /// The outcome of `action` moving a case from `from` to `to`, with no side effect beyond
    /// the action's own.
    pub fn new(action: Action, from: CaseState, to: CaseState) -> Self {
        Self {
            action,
            from,
            to,
            block_lifted: false,
            examiner_handed_over_from: None,
        }
    }
}

/// Why a step was refused. Each variant maps to one gRPC status in the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The actor may not take this action on this case.
    #[error("denied: {0}")]
    Denied(#[from] Denial),
    /// The case's state does not allow the action.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The step is allowed in this state but a fact of the case forbids it (e.g. lifting a
    /// block that is not in place).
    #[error("{message}")]
    Precondition {
        /// The reason sent to agencies.
        reason: Reason,
        /// Human explanation.
        message: String,
    },
    /// A deadline could not be computed: the working-day calendar does not cover the year.
    #[error("deadline calendar: {0}")]
    Calendar(#[from] CalendarError),
    /// The case already holds as much as a per-case limit allows of what this step appends.
    #[error("the case holds the most {limit} allowed ({max})")]
    LimitReached {
        /// Which limit: `notes`, `attachments` or `text_bytes`.
        limit: &'static str,
        /// The configured maximum.
        max: u64,
    },
}

impl CaseRecord {
    /// Registers a new case by `ctx.actor` (a Bawaslu office with jurisdiction over the
    /// region), starting Bawaslu's review deadline.
    pub fn register(
        id: CaseId,
        filing: NewCase,
        ctx: &StepContext<'_>,
    ) -> Result<(Self, StepOutcome), StepError> {
        Self::authorize_registration(&filing, ctx)?;
        let state = CaseState::initial();
        let mut case = CaseRecord {
            id,
            version: 1,
            state,
            created_at: ctx.now,
            updated_at: ctx.now,
            reporting_office: ctx.actor.id.clone(),
            examiner: None,
            filing,
            forwarded_on: None,
            forward_letter_number: None,
            review_extended: false,
            recommendation: None,
            recommendation_acknowledged: false,
            imposed_sanctions: Vec::new(),
            personnel_data_blocked: false,
            escalations: Vec::new(),
            deadlines: Vec::new(),
            attachments: Vec::new(),
            notes: Vec::new(),
            outcome: Default::default(),
            size: Default::default(),
        };
        let office = case.reporting_office.clone();
        case.start_deadline(DeadlineStep::BawasluReview, office, ctx.today, ctx)?;
        Ok((case, StepOutcome::new(Action::Register, state, state)))
    }

    /// Applies `command` by `ctx.actor`: the policy decides first, then the state machine;
    /// only then is the record changed (and its version bumped). On error the record is
    /// untouched.
    pub fn apply(
        &mut self,
        command: Command,
        ctx: &StepContext<'_>,
    ) -> Result<StepOutcome, StepError> {
        let action = command.action();
        let handed_over_from = self.authorize(action, ctx)?;
        let from = self.state;
        let to = state::next_state(from, action)?;
        let mut next = self.clone();
        if handed_over_from.is_some() {
            next.hand_over_examination(&ctx.actor.id);
        }
        next.change(command, ctx)?;
        if from == to {
            next.check_limits(&self.size, &ctx.limits)?;
        }
        next.state = to;
        let mut outcome = StepOutcome::new(action, from, to);
        outcome.examiner_handed_over_from = handed_over_from;
        if to.is_terminal() {
            next.close_open_deadlines(ctx.today);
            outcome.block_lifted = next.lift_block_on_close(to, ctx.now);
        }
        next.version += 1;
        next.updated_at = ctx.now;
        *self = next;
        Ok(outcome)
    }

    /// Whether `ctx.actor` may register `filing`: a Bawaslu office whose jurisdiction covers
    /// the case's region. [`Self::register`] asks it first; the server also asks it before the
    /// registration queues for its transaction.
    pub fn authorize_registration(
        filing: &NewCase,
        ctx: &StepContext<'_>,
    ) -> Result<(), StepError> {
        let parties = CaseParties {
            region: filing.region,
            reporting_office: ctx.actor.id.clone(),
            examiner: None,
            forwarded_on: None,
            ppk: filing.ppk.clone(),
            state: CaseState::initial(),
            recommended: false,
        };
        policy::authorize(ctx.actor, Action::Register, &parties, ctx.today)?;
        Ok(())
    }

    /// Whether `ctx.actor` may take `action` on this case: it must be able to read the case
    /// (otherwise it is told [`policy::Denial::CaseNotAccessible`], as for a case that does
    /// not exist) and hold the action's authority, judged on the case after an examiner's
    /// hand-over; with the examiner the case is handed over from, if the step takes it over.
    /// [`Self::apply`] asks it first; the server also asks it before a step queues for its
    /// transaction, so that a refused caller never takes a writer's turn nor learns the
    /// case's version.
    pub fn authorize(
        &self,
        action: Action,
        ctx: &StepContext<'_>,
    ) -> Result<Option<AgencyId>, StepError> {
        Self::authorize_parties(self.parties(), action, ctx)
    }

    /// [`Self::authorize`] on a case known only by its parties (the server's question before
    /// the step, which reads no more of the case than that).
    pub fn authorize_parties(
        mut parties: CaseParties,
        action: Action,
        ctx: &StepContext<'_>,
    ) -> Result<Option<AgencyId>, StepError> {
        policy::may_read_case(ctx.actor, &parties, ctx.today)?;
        let handed_over_from =
            policy::examiner_hand_over(ctx.actor, action, &parties, ctx.examiner_today, ctx.today);
        if handed_over_from.is_some() {
            parties.examiner = Some(ctx.actor.id.clone());
        }
        policy::authorize(ctx.actor, action, &parties, ctx.today)?;
        Ok(handed_over_from)
    }

    fn change(&mut self, command: Command, ctx: &StepContext<'_>) -> Result<(), StepError> {
        let me = ctx.actor.id.clone();
        match command {
            Command::ExtendReview { reason } => {
                if self.review_extended {
                    return Err(precondition(
                        Reason::ReviewAlreadyExtended,
                        "the review was already extended once",
                    ));
                }
                self.review_extended = true;
                // The 14 working days run from registration, like the 7 they replace
                // (DOMAIN.md); the 7 become moot, or missed if they had already passed.
                let registered = self
                    .deadlines
                    .iter()
                    .find(|d| d.step == DeadlineStep::BawasluReview)
                    .map_or(ctx.today, |d| d.start);
                self.finish_deadline(DeadlineStep::BawasluReview, DeadlineStatus::Moot, ctx.today);
                self.start_deadline(
                    DeadlineStep::BawasluReviewExtended,
                    me.clone(),
                    registered,
                    ctx,
                )?;
                self.append_note(reason, me, ctx.now);
            }
            Command::Dismiss { rationale } => {
                self.finish_review(ctx.today);
                self.outcome.rationale = Some(rationale);
            }
            Command::Forward {
                letter_number,
                examiner,
            } => {
                self.finish_review(ctx.today);
                self.forwarded_on = Some(ctx.today);
                self.forward_letter_number = Some(letter_number);
                self.start_deadline(
                    DeadlineStep::ExaminerAction,
                    examiner.clone(),
                    ctx.today,
                    ctx,
                )?;
                self.examiner = Some(examiner);
            }
            Command::Accept => {}
            Command::ConcludeNotProven { rationale } => {
                self.finish_deadline(DeadlineStep::ExaminerAction, DeadlineStatus::Met, ctx.today);
                self.outcome.rationale = Some(rationale);
            }
            Command::RecommendSanction(recommendation) => {
                self.finish_deadline(DeadlineStep::ExaminerAction, DeadlineStatus::Met, ctx.today);
                self.recommendation = Some(recommendation);
                let ppk = self.filing.ppk.clone();
                self.start_deadline(DeadlineStep::PpkAction, ppk, ctx.today, ctx)?;
            }
            Command::Acknowledge => {
                if self.recommendation_acknowledged {
                    return Err(precondition(
                        Reason::AlreadyAcknowledged,
                        "the recommendation was already acknowledged",
                    ));
                }
                self.recommendation_acknowledged = true;
            }
            Command::RecordSanctionDecree { sanctions } => {
                self.check_decree_within_recommendation(&sanctions, ctx.catalogue)?;
                self.finish_deadline(DeadlineStep::PpkAction, DeadlineStatus::Met, ctx.today);
                self.finish_deadline(
                    DeadlineStep::RegionalHeadAfterWarning,
                    DeadlineStatus::Met,
                    ctx.today,
                );
                self.imposed_sanctions = sanctions;
            }
            Command::ReportSubjectSeparated {
                reason,
                effective_on,
            } => {
                self.outcome.separation = Some((reason, effective_on));
            }
            Command::RecordInRegistry { reference } => {
                self.outcome.registry_reference = Some(reference.clone());
                if self.personnel_data_blocked {
                    self.personnel_data_blocked = false;
                    self.escalate(
                        EscalationKind::PersonnelDataUnblocked,
                        me,
                        reference,
                        "sanction recorded".into(),
                        ctx.now,
                    );
                }
            }
            Command::BlockPersonnelData { reason } => {
                self.require_overdue_ppk(ctx.today)?;
                if self.personnel_data_blocked {
                    return Err(precondition(
                        Reason::AlreadyBlocked,
                        "the personnel data is already blocked",
                    ));
                }
                self.personnel_data_blocked = true;
                self.escalate(
                    EscalationKind::PersonnelDataBlocked,
                    me,
                    String::new(),
                    reason,
                    ctx.now,
                );
            }
            Command::UnblockPersonnelData { reason } => {
                if !self.personnel_data_blocked {
                    return Err(precondition(
                        Reason::NotBlocked,
                        "the personnel data is not blocked",
                    ));
                }
                self.personnel_data_blocked = false;
                self.escalate(
                    EscalationKind::PersonnelDataUnblocked,
                    me,
                    String::new(),
                    reason,
                    ctx.now,
                );
            }
            Command::SendWarningLetter {
                letter_number,
                letter_date,
            } => {
                self.require_overdue_ppk(ctx.today)?;
                if !ctx.ppk_is_regional_head {
                    return Err(precondition(
                        Reason::PpkNotARegionalHead,
                        "a warning letter goes to a regional head; this case's PPK is not one",
                    ));
                }
                let ppk = self.filing.ppk.clone();
                self.start_deadline(
                    DeadlineStep::RegionalHeadAfterWarning,
                    ppk,
                    letter_date,
                    ctx,
                )?;
                self.escalate(
                    EscalationKind::WarningLetter,
                    me,
                    letter_number,
                    String::new(),
                    ctx.now,
                );
            }
            Command::Cancel { reason, detail } => {
                self.outcome.cancel = Some((reason, detail));
            }
            Command::AttachEvidence {
                digest,
                media_type,
                title,
                size_bytes,
            } => {
                self.size.attachments += 1;
                self.size.text_bytes += title.len() as u64;
                self.attachments.push(Attachment {
                    digest,
                    media_type,
                    title,
                    size_bytes,
                    agency: me,
                    at: ctx.now,
                });
            }
            Command::AddNote { text } => {
                self.append_note(text, me, ctx.now);
            }
        }
        Ok(())
    }

    /// Refuses the change if it grew the case past a limit (`before` is the size before it).
    fn check_limits(&self, before: &CaseSize, limits: &CaseLimits) -> Result<(), StepError> {
        let checks = [
            ("notes", before.notes, self.size.notes, limits.max_notes),
            (
                "attachments",
                before.attachments,
                self.size.attachments,
                limits.max_attachments,
            ),
        ];
        for (limit, was, now, max) in checks {
            if now > was && now > max {
                return Err(StepError::LimitReached {
                    limit,
                    max: u64::from(max),
                });
            }
        }
        let text = self.size.text_bytes;
        if text > before.text_bytes && text > limits.max_text_bytes {
            return Err(StepError::LimitReached {
                limit: "text_bytes",
                max: limits.max_text_bytes,
            });
        }
        Ok(())
    }

    fn append_note(&mut self, text: String, agency: AgencyId, at: DateTime<Utc>) {
        self.size.notes += 1;
        self.size.text_bytes += text.len() as u64;
        self.notes.push(Note { text, agency, at });
    }

    fn escalate(
        &mut self,
        kind: EscalationKind,
        agency: AgencyId,
        reference: String,
        reason: String,
        at: DateTime<Utc>,
    ) {
        self.size.escalations += 1;
        self.size.text_bytes += (reference.len() + reason.len()) as u64;
        self.escalations.push(Escalation {
            kind,
            agency: Some(agency),
            reference,
            reason,
            at,
        });
    }

    fn start_deadline(
        &mut self,
        step: DeadlineStep,
        agency: AgencyId,
        start: NaiveDate,
        ctx: &StepContext<'_>,
    ) -> Result<(), StepError> {
        let rule = ctx
            .catalogue
            .deadlines
            .rule(step, self.filing.election.kind);
        let due = rule.due(start, &ctx.catalogue.calendar)?;
        let mut deadline = Deadline {
            step,
            agency,
            start,
            due,
            status: DeadlineStatus::Open,
            notice: None,
            notice_on: None,
        };
        deadline.notice_on = first_notice_on(&deadline, &ctx.notices);
        self.deadlines.push(deadline);
        Ok(())
    }

    /// Refuses a block or a warning unless the PPK's deadline has passed with the PPK
    /// still silent (DOMAIN.md: both answer a PPK that ignores a recommendation).
    fn require_overdue_ppk(&self, today: NaiveDate) -> Result<(), StepError> {
        let overdue = self.deadlines.iter().any(|d| {
            d.step == DeadlineStep::PpkAction && d.status == DeadlineStatus::Open && today > d.due
        });
        if overdue {
            Ok(())
        } else {
            Err(precondition(
                Reason::PpkNotOverdue,
                "the PPK's deadline has not passed: there is nothing to escalate",
            ))
        }
    }

    fn finish_review(&mut self, today: NaiveDate) {
        self.finish_deadline(DeadlineStep::BawasluReview, DeadlineStatus::Met, today);
        self.finish_deadline(
            DeadlineStep::BawasluReviewExtended,
            DeadlineStatus::Met,
            today,
        );
    }

    /// Closes the open deadline of `step` as `status`; a deadline that has passed by `today`
    /// is `Missed` whatever closes it (a late step, or one that made it moot).
    fn finish_deadline(&mut self, step: DeadlineStep, status: DeadlineStatus, today: NaiveDate) {
        for deadline in self
            .deadlines
            .iter_mut()
            .filter(|d| d.step == step && d.status == DeadlineStatus::Open)
        {
            close(deadline, status, today);
        }
    }

    /// Closes every open deadline of a case that ended: moot, or missed if already passed.
    fn close_open_deadlines(&mut self, today: NaiveDate) {
        for deadline in self
            .deadlines
            .iter_mut()
            .filter(|d| d.status == DeadlineStatus::Open)
        {
            close(deadline, DeadlineStatus::Moot, today);
        }
    }
}

/// Closes `deadline` as `status`, or as `Missed` when it passed before `today`; no notice
/// falls due on it any more.
fn close(deadline: &mut Deadline, status: DeadlineStatus, today: NaiveDate) {
    deadline.status = if today > deadline.due {
        DeadlineStatus::Missed
    } else {
        status
    };
    deadline.notice_on = None;
}

fn precondition(reason: Reason, message: &str) -> StepError {
    StepError::Precondition {
        reason,
        message: message.to_owned(),
    }
}
