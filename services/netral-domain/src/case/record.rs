//! The shape of a case: its record and the values it is made of.

use chrono::{DateTime, NaiveDate, Utc};

use super::notice::Notice;
use crate::catalogue::{DeadlineStep, ElectionKind, MoralKind, SanctionTrack};
use crate::ids::{AgencyId, CaseId, RegionCode, SubjectId};
use crate::policy::CaseParties;
use crate::state::CaseState;

/// How the case reached Bawaslu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseSource {
    /// Bawaslu's own finding (*temuan*).
    Finding,
    /// A report from the public (*laporan*).
    PublicReport,
}

/// When in the election the violation happened; decides which legal regime applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElectionPhase {
    /// Before the election commission determined the candidates (the 2022 joint decree).
    BeforeCandidateDetermination,
    /// On or after candidate determination (the election law).
    AfterCandidateDetermination,
}

/// The election a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Election {
    /// Pemilu or Pilkada: deadlines differ between them.
    pub kind: ElectionKind,
    /// The voting year, e.g. 2024.
    pub year: i32,
    /// Before or after candidate determination.
    pub phase: ElectionPhase,
}

/// The reported civil servant. Personal data: its `Debug` never shows the id (see
/// [`SubjectId`]); names must not be logged either.
#[derive(Clone, PartialEq, Eq)]
pub struct Subject {
    /// NIP, NI PPPK or NIK, validated.
    pub id: SubjectId,
    /// Full name as in the personnel record.
    pub full_name: String,
    /// Position (*jabatan*) at the time of the violation.
    pub position: String,
    /// The employing instance (*instansi*).
    pub employing_instance: String,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subject")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The examiner's recommendation to the PPK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// The disciplinary level, or dishonourable dismissal; never "case by case".
    pub track: SanctionTrack,
    /// The moral sanction recommended, if any.
    pub moral: Option<MoralKind>,
    /// The examiner's letter number.
    pub letter_number: String,
    /// The examiner's reasoning.
    pub rationale: String,
}

/// One sanction imposed by the PPK's decree, by catalogue code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImposedSanction {
    /// A code from the sanction catalogue (disciplinary or moral).
    pub code: String,
    /// The decree (SK) number.
    pub decree_number: String,
    /// The date the decree was signed.
    pub decree_date: NaiveDate,
}

/// What kind of escalation was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationKind {
    /// A deadline is near.
    Reminder,
    /// A deadline passed.
    Overdue,
    /// BKN blocked the subject's personnel data.
    PersonnelDataBlocked,
    /// BKN lifted the block.
    PersonnelDataUnblocked,
    /// Kemendagri sent the regional head a warning letter.
    WarningLetter,
    /// The deadline engine proposed to BKN to block the subject's personnel data: the PPK
    /// let its deadline pass.
    BlockProposed,
    /// The deadline engine proposed to Kemendagri to warn the regional head: the PPK, a
    /// regional head, let its deadline pass.
    WarningProposed,
}

/// A record of an escalation; escalations never change the case state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// What happened.
    pub kind: EscalationKind,
    /// The agency that raised it; `None` when netral raised it itself.
    pub agency: Option<AgencyId>,
    /// A letter or reference number, possibly empty.
    pub reference: String,
    /// Free-text reason.
    pub reason: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// Whether a deadline is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineStatus {
    /// The step is still expected.
    Open,
    /// The step was taken on time.
    Met,
    /// The step was taken late.
    Missed,
    /// The case ended so that the step is no longer needed.
    Moot,
}

/// A deadline tracked on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The step that is due.
    pub step: DeadlineStep,
    /// The agency expected to act.
    pub agency: AgencyId,
    /// When the clock started.
    pub start: NaiveDate,
    /// The last day on which the step is on time.
    pub due: NaiveDate,
    /// Running, met, missed or moot.
    pub status: DeadlineStatus,
    /// The last notice the deadline engine raised about it (`None` before the first).
    pub notice: Option<Notice>,
    /// The day the next notice falls due; `None` once nothing more will be raised (the
    /// deadline is closed, or its ladder is climbed). The engine finds due notices by it.
    pub notice_on: Option<NaiveDate>,
}

/// Evidence attached by content digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// `sha256:` and 64 lowercase hex digits.
    pub digest: String,
    /// The media type.
    pub media_type: String,
    /// A short title.
    pub title: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Who attached it.
    pub agency: AgencyId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A note by one of the parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text.
    pub text: String,
    /// Who wrote it.
    pub agency: AgencyId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Why a case was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Registered twice.
    Duplicate,
    /// The reporter withdrew.
    Withdrawn,
    /// Another reason, given in the detail.
    Other,
}

/// Why the subject left the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeparationReason {
    /// Retired.
    Retired,
    /// Resigned.
    Resigned,
    /// Died.
    Died,
    /// Dismissed in another proceeding.
    DismissedOtherwise,
}

/// How a case ended, or the facts recorded by its closing steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Reasoning of a dismissal or a not-proven finding.
    pub rationale: Option<String>,
    /// Why it was cancelled, with the free-text detail.
    pub cancel: Option<(CancelReason, String)>,
    /// Why and when the subject left the service.
    pub separation: Option<(SeparationReason, NaiveDate)>,
    /// BKN's registry reference once recorded.
    pub registry_reference: Option<String>,
}

/// What Bawaslu supplies to register a case, validated at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Bawaslu's own register number; unique across the exchange.
    pub registration_number: String,
    /// The PPK of the subject's employing instance.
    pub ppk: AgencyId,
    /// The reported civil servant.
    pub subject: Subject,
    /// Where the violation happened; decides which Bawaslu offices have jurisdiction.
    pub region: RegionCode,
    /// The election concerned.
    pub election: Election,
    /// The legal basis cited.
    pub legal_basis: String,
    /// The form of violation, 1..=13, present in the catalogue.
    pub violation_form: u8,
    /// Finding or public report.
    pub source: CaseSource,
    /// When the violation happened.
    pub occurred_on: NaiveDate,
    /// When it was reported to or found by Bawaslu.
    pub reported_on: NaiveDate,
    /// A short description.
    pub summary: String,
    /// Whether it overlaps an election crime (*beririsan*).
    pub overlaps_election_crime: bool,
}

/// Everything netral holds about one case. Changed only by [`CaseRecord::apply`] (and
/// created only by [`CaseRecord::register`]), so every change passed the policy and the
/// state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// The case id assigned at registration.
    pub id: CaseId,
    /// Starts at 1 and grows by one with every accepted step; the etag is derived from it.
    pub version: i64,
    /// Where the case is in its life.
    pub state: CaseState,
    /// When the case was registered.
    pub created_at: DateTime<Utc>,
    /// When the case last changed.
    pub updated_at: DateTime<Utc>,
    /// The Bawaslu office that registered it.
    pub reporting_office: AgencyId,
    /// The agency holding the examiner role on the forwarding date; set by forwarding.
    pub examiner: Option<AgencyId>,
    /// The registration data as Bawaslu supplied it.
    pub filing: NewCase,
    /// The date the case was forwarded; decides the examiner.
    pub forwarded_on: Option<NaiveDate>,
    /// Bawaslu's forwarding letter number.
    pub forward_letter_number: Option<String>,
    /// Whether Bawaslu extended its review.
    pub review_extended: bool,
    /// The examiner's recommendation.
    pub recommendation: Option<Recommendation>,
    /// Whether the PPK acknowledged the recommendation.
    pub recommendation_acknowledged: bool,
    /// The sanctions decreed by the PPK.
    pub imposed_sanctions: Vec<ImposedSanction>,
    /// Whether BKN currently blocks the subject's personnel data.
    pub personnel_data_blocked: bool,
    /// Escalations, oldest first. Like `attachments` and `notes`, an append-only log that
    /// a record may be read without (see [`CaseRecord::basic`]): then it holds only what the
    /// step being applied appended, and `size` still counts them all.
    pub escalations: Vec<Escalation>,
    /// Deadlines, oldest first; always complete, the rules read them.
    pub deadlines: Vec<Deadline>,
    /// Attachments, oldest first (an append-only log, as `escalations`).
    pub attachments: Vec<Attachment>,
    /// Notes, oldest first (an append-only log, as `escalations`).
    pub notes: Vec<Note>,
    /// How the case ended.
    pub outcome: Outcome,
    /// How many notes, attachments and escalations the case holds and how much text they
    /// carry, whether or not they are loaded: the per-case limits are checked against it.
    pub size: CaseSize,
}

/// How much of what agencies append a case holds. Kept with the case so the limits can be
/// checked without reading the notes themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CaseSize {
    /// Notes on the case.
    pub notes: u32,
    /// Attachments on the case.
    pub attachments: u32,
    /// Escalations on the case.
    pub escalations: u32,
    /// UTF-8 bytes of free text in notes, attachment titles and escalation references and
    /// reasons: what makes a case large.
    pub text_bytes: u64,
}

impl CaseSize {
    /// The size of a case holding exactly these notes, attachments and escalations; the
    /// steps keep [`CaseRecord::size`] equal to it as they append.
    pub fn of(notes: &[Note], attachments: &[Attachment], escalations: &[Escalation]) -> Self {
        let text = notes.iter().map(|n| n.text.len()).sum::<usize>()
            + attachments.iter().map(|a| a.title.len()).sum::<usize>()
            + escalations
                .iter()
                .map(|e| e.reference.len() + e.reason.len())
                .sum::<usize>();
        Self {
            notes: count(notes.len()),
            attachments: count(attachments.len()),
            escalations: count(escalations.len()),
            text_bytes: text as u64,
        }
    }
}

impl std::ops::Add for CaseSize {
    type Output = Self;

    /// The size of a case holding what both hold.
    fn add(self, other: Self) -> Self {
        Self {
            notes: self.notes + other.notes,
            attachments: self.attachments + other.attachments,
            escalations: self.escalations + other.escalations,
            text_bytes: self.text_bytes + other.text_bytes,
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Per-case limits, from the server's settings: a case stays small enough to read in one
/// message and to step quickly, however long agencies talk on it. A limit refuses only steps
/// that leave the state as it is (notes, evidence, blocks): it never stops a case from moving
/// on to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseLimits {
    /// Most notes a case may hold.
    pub max_notes: u32,
    /// Most attachments a case may hold.
    pub max_attachments: u32,
    /// Most bytes of free text (see [`CaseSize::text_bytes`]) a case may hold.
    pub max_text_bytes: u64,
}

impl Default for CaseLimits {
    /// 500 notes, 200 attachments, 1 MiB of text: a full case stays well under gRPC's 4 MiB
    /// message limit.
    fn default() -> Self {
        Self {
            max_notes: 500,
            max_attachments: 200,
            max_text_bytes: 1024 * 1024,
        }
    }
}

impl CaseRecord {
    /// The parties the policy decides against.
    pub fn parties(&self) -> CaseParties {
        CaseParties {
            region: self.filing.region,
            reporting_office: self.reporting_office.clone(),
            examiner: self.examiner.clone(),
            forwarded_on: self.forwarded_on,
            ppk: self.filing.ppk.clone(),
            state: self.state,
            recommended: self.recommendation.is_some(),
        }
    }

    /// The opaque version tag agencies echo back; changes with every accepted step.
    pub fn etag(&self) -> String {
        etag_of(self.version)
    }

    /// The record without its append-only logs (notes, attachments, escalations): the BASIC
    /// view lists and step replies use. `size` still counts what was left out.
    pub fn basic(mut self) -> Self {
        self.notes.clear();
        self.attachments.clear();
        self.escalations.clear();
        self
    }
}

/// The etag for a version.
pub(crate) fn etag_of(version: i64) -> String {
    format!("v{version}")
}
