//! `cases`: one row per case, the aggregate's own facts as columns (so lists can filter and
//! index them). What a case collects over its life lives in child tables (`case_notes`,
//! `case_attachments`, `case_escalations`, `case_deadlines`, `case_sanctions`), so a step
//! writes only what it changes; the subject's personal data lives in `subjects`.

use sea_orm::entity::prelude::*;

/// One case, as stored. Written only by [`crate::Store::execute`].
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    /// The case id (UUIDv7, text): time-ordered, so `ORDER BY id DESC` lists newest first.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Bawaslu's register number. It belongs to the reporting office, and the cases one
    /// report gave rise to (one per ASN named) share it: unique with the reporting office and
    /// the subject key (`idx_cases_registration`), so one subject is registered once per
    /// report.
    #[sea_orm(column_type = "Text")]
    pub registration_number: String,
    /// The state's wire name, filtered on by lists and statistics.
    #[sea_orm(column_type = "Text")]
    pub state: String,
    /// Grows by one per accepted step; updates are checked against it (optimistic locking).
    pub version: i64,
    /// When the case was registered.
    pub created_at: DateTimeUtc,
    /// When the case last changed; lists filter on it to sync changes.
    pub updated_at: DateTimeUtc,
    /// The Bawaslu office that registered the case.
    #[sea_orm(column_type = "Text")]
    pub reporting_office: String,
    /// The examiner the case was forwarded to.
    #[sea_orm(column_type = "Text", nullable)]
    pub examiner: Option<String>,
    /// The PPK of the subject's employing instance.
    #[sea_orm(column_type = "Text")]
    pub ppk: String,
    /// The subject's personal data, in `subjects`.
    #[sea_orm(column_type = "Text")]
    pub subject_id: String,
    /// The subject's keyed digest (the server's `hmac-sha256:` of the identifier's kind and
    /// value, as in the audit log), so the same person named twice under one registration
    /// number is refused by the unique index without personal data on this row. Set when the
    /// case is registered and never changed; `NULL` for cases registered before it existed
    /// whose registration event held no keyed digest.
    #[sea_orm(column_type = "Text", nullable)]
    pub subject_key: Option<String>,
    /// Where the violation happened (`63.02`); decides jurisdiction.
    #[sea_orm(column_type = "Text")]
    pub region_code: String,
    /// `pemilu` or `pilkada`.
    #[sea_orm(column_type = "Text")]
    pub election_kind: String,
    /// The voting year.
    pub election_year: i32,
    /// Before or after candidate determination.
    #[sea_orm(column_type = "Text")]
    pub election_phase: String,
    /// The legal basis Bawaslu cited.
    #[sea_orm(column_type = "Text")]
    pub legal_basis: String,
    /// The form of violation, 1..=13.
    pub violation_form: i32,
    /// `finding` or `public_report`.
    #[sea_orm(column_type = "Text")]
    pub source: String,
    /// When the violation happened.
    pub occurred_on: Date,
    /// When it was reported or found.
    pub reported_on: Date,
    /// Bawaslu's short description.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Whether it overlaps an election crime.
    pub overlaps_election_crime: bool,
    /// The forwarding date, which decided the examiner.
    pub forwarded_on: Option<Date>,
    /// Bawaslu's forwarding letter number.
    #[sea_orm(column_type = "Text", nullable)]
    pub forward_letter_number: Option<String>,
    /// Whether the review was extended.
    pub review_extended: bool,
    /// The examiner's recommendation, JSON text.
    #[sea_orm(column_type = "Text", nullable)]
    pub recommendation: Option<String>,
    /// Whether the PPK acknowledged the recommendation.
    pub recommendation_acknowledged: bool,
    /// Whether BKN blocks the subject's personnel data; a column so overdue lists can use it.
    pub personnel_data_blocked: bool,
    /// How many rows `case_notes` holds for the case: the note limit is checked on it
    /// without reading the notes.
    pub note_count: i32,
    /// How many rows `case_attachments` holds for the case.
    pub attachment_count: i32,
    /// How many rows `case_escalations` holds for the case.
    pub escalation_count: i32,
    /// How many rows `case_sanctions` holds for the case, so a read skips that table for
    /// the many cases not yet sanctioned.
    pub sanction_count: i32,
    /// Bytes of free text in the case's notes, attachment titles and escalations, for the
    /// text limit.
    pub text_bytes: i64,
    /// How the case ended, JSON object.
    #[sea_orm(column_type = "Text")]
    pub outcome: String,
    /// The W3C `traceparent` of the registration's server span, which every later step of
    /// the case links to; empty for cases registered before it was kept.
    #[sea_orm(column_type = "Text")]
    pub traceparent: String,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("cases::Model")
            .field("id", &self.id)
            .field("state", &self.state)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Relations of `cases`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The subject's personal data.
    #[sea_orm(
        belongs_to = "super::subjects::Entity",
        from = "Column::SubjectId",
        to = "super::subjects::Column::Id"
    )]
    Subject,
    /// The case's history.
    #[sea_orm(has_many = "super::case_events::Entity")]
    Events,
}

impl Related<super::subjects::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subject.def()
    }
}

impl Related<super::case_events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Events.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
