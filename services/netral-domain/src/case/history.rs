//! Bringing a past case in: a case concluded before netral (2018–2024) is replayed through
//! the very steps a live case takes, each on its original date and by the agency that took it
//! then (the examiner of that date, KASN or BKN), so an imported case obeys every rule a live
//! one does: the policy, the state machine, the deadlines (closed as met or missed on the
//! original dates) and the decree's fit with the recommendation.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use super::apply::{Command, StepContext, StepError, StepOutcome};
use super::notice::NoticePolicy;
use super::record::{CaseLimits, CaseRecord, ImposedSanction, NewCase, Recommendation};
use crate::catalogue::Catalogue;
use crate::ids::{AgencyId, CaseId};
use crate::policy::{AgencyProfile, Role, examiner_on};

/// The hour of the day (Western Indonesia Time) a past step is stamped with: only its date is
/// known, and noon keeps the instant on that date in every reading of it.
const PAST_STEP_HOUR_WIB: u32 = 12;
/// Western Indonesia Time's offset from UTC, in hours.
const WIB_OFFSET_HOURS: i64 = 7;

/// A concluded past case, validated at the edge: what a migration agency brings in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastCase {
    /// The registration data, as a live registration would carry it.
    pub filing: NewCase,
    /// The Bawaslu office that registered it (a live registration takes it from the caller).
    pub reporting_office: AgencyId,
    /// The day Bawaslu registered the case.
    pub registered_on: NaiveDate,
    /// How the case ended, with the steps that led there.
    pub end: PastEnd,
}

/// Bawaslu's forwarding of a past case to the examiner of its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastForwarding {
    /// The forwarding date: it decides the examiner (KASN until 2024-08-23, BKN after).
    pub on: NaiveDate,
    /// Bawaslu's recommendation letter number.
    pub letter_number: String,
}

/// How a past case ended. Only concluded cases are imported: an open one would need live
/// deadlines and inbox messages, which the past cannot honestly have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PastEnd {
    /// Bawaslu found no violation.
    Dismissed {
        /// The day of the dismissal.
        on: NaiveDate,
        /// Bawaslu's reasoning.
        rationale: String,
    },
    /// The examiner found the violation not proven.
    NotProven {
        /// The forwarding that brought the case to the examiner.
        forwarded: PastForwarding,
        /// The day of the finding.
        on: NaiveDate,
        /// The examiner's reasoning.
        rationale: String,
    },
    /// A sanction was recommended, decreed by the PPK and recorded by BKN.
    Recorded {
        /// The forwarding that brought the case to the examiner.
        forwarded: PastForwarding,
        /// The day of the examiner's recommendation.
        recommended_on: NaiveDate,
        /// The recommendation.
        recommendation: Recommendation,
        /// The sanctions the PPK decreed, each with its decree date.
        sanctions: Vec<ImposedSanction>,
        /// The day BKN recorded the sanction.
        recorded_on: NaiveDate,
        /// BKN's registry reference.
        registry_reference: String,
    },
}

/// One replayed step of a past case, for its case event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastStep {
    /// The action and the states it moved between.
    pub outcome: StepOutcome,
    /// The agency that took the step then.
    pub actor: AgencyId,
    /// When: the step's original date (at noon, Western Indonesia Time).
    pub at: DateTime<Utc>,
    /// The case's version after the step.
    pub version: i64,
    /// The step's command; `None` for the registration.
    pub command: Option<Command>,
}

/// A bad field of a past case: the field's path in the import row and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryViolation {
    /// The row's field, e.g. `forwarded_date`.
    pub field: &'static str,
    /// Why it is refused.
    pub description: String,
}

/// What a replay looks up, and the rules it runs under.
#[derive(Debug, Clone, Copy)]
pub struct HistoryContext<'a> {
    /// The directory's agencies with their dated grants: who acted on each date.
    pub agencies: &'a [&'a AgencyProfile],
    /// Deadline rules and the working-day calendar.
    pub catalogue: &'a Catalogue,
    /// How much a case may hold.
    pub limits: CaseLimits,
    /// When notices fall due (a concluded case's deadlines are all closed: none will).
    pub notices: NoticePolicy,
    /// Whether the case's PPK is a regional head.
    pub ppk_is_regional_head: bool,
    /// Today in the exchange's calendar: no past step may be after it.
    pub today: NaiveDate,
}

/// The instant a past step on `date` is stamped with.
pub fn past_instant(date: NaiveDate) -> DateTime<Utc> {
    let noon = NaiveTime::from_hms_opt(PAST_STEP_HOUR_WIB, 0, 0).unwrap_or(NaiveTime::MIN);
    date.and_time(noon).and_utc() - TimeDelta::hours(WIB_OFFSET_HOURS)
}

fn violation(field: &'static str, description: impl Into<String>) -> HistoryViolation {
    HistoryViolation {
        field,
        description: description.into(),
    }
}

impl PastCase {
    /// The dates that are out of order: registration ≥ report, forwarding ≥ registration,
    /// each later step ≥ the one before, none after `today`.
    pub fn date_violations(&self, today: NaiveDate) -> Vec<HistoryViolation> {
        let mut out = Vec::new();
        let mut order = |field: &'static str, date: NaiveDate, after: NaiveDate, what: &str| {
            if date < after {
                out.push(violation(field, format!("must not be before the {what}")));
            } else if date > today {
                out.push(violation(field, "must not be in the future"));
            }
        };
        order(
            "registered_date",
            self.registered_on,
            self.filing.reported_on,
            "reported date",
        );
        let registered = self.registered_on;
        match &self.end {
            PastEnd::Dismissed { on, .. } => {
                order("concluded_date", *on, registered, "registered date");
            }
            PastEnd::NotProven { forwarded, on, .. } => {
                order(
                    "forwarded_date",
                    forwarded.on,
                    registered,
                    "registered date",
                );
                order("concluded_date", *on, forwarded.on, "forwarded date");
            }
            PastEnd::Recorded {
                forwarded,
                recommended_on,
                sanctions,
                recorded_on,
                ..
            } => {
                order(
                    "forwarded_date",
                    forwarded.on,
                    registered,
                    "registered date",
                );
                order(
                    "recommended_date",
                    *recommended_on,
                    forwarded.on,
                    "forwarded date",
                );
                for s in sanctions {
                    order(
                        "sanctions.decree_date",
                        s.decree_date,
                        *recommended_on,
                        "recommended date",
                    );
                }
                let decreed = decree_day(sanctions).unwrap_or(*recommended_on);
                order("recorded_date", *recorded_on, decreed, "decree date");
            }
        }
        out
    }

    /// Replays the case's steps as case `id`: registration, then each step on its date by
    /// the agency that held the acting role then. The case comes out concluded, with every
    /// deadline closed; with the steps, oldest first.
    pub fn replay(
        self,
        id: CaseId,
        cx: &HistoryContext<'_>,
    ) -> Result<(CaseRecord, Vec<PastStep>), Vec<HistoryViolation>> {
        let dates = self.date_violations(cx.today);
        if !dates.is_empty() {
            return Err(dates);
        }
        let one = |v: HistoryViolation| vec![v];
        let office = agency(cx, &self.reporting_office).ok_or_else(|| {
            one(violation(
                "reporting_office",
                "no such agency in the directory",
            ))
        })?;
        let registered_on = self.registered_on;
        let (case, outcome) =
            CaseRecord::register(id, self.filing, &context(cx, office, registered_on))
                .map_err(|e| one(refused("reporting_office", &e)))?;
        let mut replay = Replay {
            cx,
            steps: vec![PastStep {
                outcome,
                actor: office.id.clone(),
                at: past_instant(registered_on),
                version: case.version,
                command: None,
            }],
            case,
        };
        match self.end {
            PastEnd::Dismissed { on, rationale } => {
                replay.step(office, on, Command::Dismiss { rationale }, "concluded_date")?;
            }
            PastEnd::NotProven {
                forwarded,
                on,
                rationale,
            } => {
                replay.forward(office, forwarded)?;
                let examiner = replay.examiner(on, "concluded_date")?;
                replay.step(examiner, on, Command::Accept, "concluded_date")?;
                let command = Command::ConcludeNotProven { rationale };
                replay.step(examiner, on, command, "concluded_date")?;
            }
            PastEnd::Recorded {
                forwarded,
                recommended_on,
                recommendation,
                sanctions,
                recorded_on,
                registry_reference,
            } => {
                replay.forward(office, forwarded)?;
                let examiner = replay.examiner(recommended_on, "recommended_date")?;
                replay.step(
                    examiner,
                    recommended_on,
                    Command::Accept,
                    "recommended_date",
                )?;
                let command = Command::RecommendSanction(recommendation);
                replay.step(examiner, recommended_on, command, "recommendation")?;
                let decreed = decree_day(&sanctions)
                    .ok_or_else(|| one(violation("sanctions", "at least one is required")))?;
                let ppk = agency(cx, &replay.case.filing.ppk)
                    .ok_or_else(|| one(violation("case.ppk", "no such agency in the directory")))?;
                let command = Command::RecordSanctionDecree { sanctions };
                replay.step(ppk, decreed, command, "sanctions")?;
                let region = replay.case.filing.region;
                let registry = cx
                    .agencies
                    .iter()
                    .copied()
                    .find(|a| a.holds(Role::PersonnelRegistry, recorded_on) && a.covers(&region))
                    .ok_or_else(|| {
                        one(violation(
                            "recorded_date",
                            "no agency kept the personnel registry on this date",
                        ))
                    })?;
                let command = Command::RecordInRegistry {
                    reference: registry_reference,
                };
                replay.step(registry, recorded_on, command, "registry_reference")?;
            }
        }
        if !replay.case.state.is_terminal() {
            return Err(one(violation(
                "outcome",
                "the replayed case did not conclude",
            )));
        }
        Ok((replay.case, replay.steps))
    }
}

/// A replay in progress: the case so far and the steps taken.
struct Replay<'a> {
    /// The lookups and rules.
    cx: &'a HistoryContext<'a>,
    /// The case after the steps so far.
    case: CaseRecord,
    /// The steps so far, oldest first.
    steps: Vec<PastStep>,
}

impl<'a> Replay<'a> {
    /// Applies `command` by `actor` on `on`; a refusal is a violation of `field`.
    fn step(
        &mut self,
        actor: &AgencyProfile,
        on: NaiveDate,
        command: Command,
        field: &'static str,
    ) -> Result<(), Vec<HistoryViolation>> {
        let outcome = self
            .case
            .apply(command.clone(), &context(self.cx, actor, on))
            .map_err(|e| vec![refused(field, &e)])?;
        self.steps.push(PastStep {
            outcome,
            actor: actor.id.clone(),
            at: past_instant(on),
            version: self.case.version,
            command: Some(command),
        });
        Ok(())
    }

    /// Bawaslu's forwarding to the examiner of its date.
    fn forward(
        &mut self,
        office: &AgencyProfile,
        forwarded: PastForwarding,
    ) -> Result<(), Vec<HistoryViolation>> {
        let examiner = self.examiner(forwarded.on, "forwarded_date")?;
        let command = Command::Forward {
            letter_number: forwarded.letter_number,
            examiner: examiner.id.clone(),
        };
        self.step(office, forwarded.on, command, "forwarded_date")
    }

    /// The agency holding `EXAMINER` on `on`.
    fn examiner(
        &self,
        on: NaiveDate,
        field: &'static str,
    ) -> Result<&'a AgencyProfile, Vec<HistoryViolation>> {
        examiner_on(self.cx.agencies.iter().copied(), on)
            .map_err(|denial| vec![violation(field, denial.to_string())])
    }
}

/// The agency `id` in the directory.
fn agency<'a>(cx: &HistoryContext<'a>, id: &AgencyId) -> Option<&'a AgencyProfile> {
    cx.agencies.iter().copied().find(|a| &a.id == id)
}

/// The day of the decree: the latest decree date among the sanctions.
fn decree_day(sanctions: &[ImposedSanction]) -> Option<NaiveDate> {
    sanctions.iter().map(|s| s.decree_date).max()
}

/// The context of a step by `actor` on `on`.
fn context<'a>(
    cx: &HistoryContext<'a>,
    actor: &'a AgencyProfile,
    on: NaiveDate,
) -> StepContext<'a> {
    StepContext {
        actor,
        now: past_instant(on),
        today: on,
        catalogue: cx.catalogue,
        limits: cx.limits,
        notices: cx.notices,
        ppk_is_regional_head: cx.ppk_is_regional_head,
        examiner_today: examiner_on(cx.agencies.iter().copied(), on)
            .ok()
            .map(|p| &p.id),
    }
}

/// A step's refusal as a violation of `field`.
fn refused(field: &'static str, error: &StepError) -> HistoryViolation {
    violation(field, format!("the step on this date is refused: {error}"))
}
