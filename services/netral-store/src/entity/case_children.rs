//! The child tables of `cases`: what a case collects over its life, one row per item,
//! numbered per case by `seq` (1, 2, …, in the order the steps appended them). Notes,
//! attachments, escalations and sanctions are only ever inserted; a deadline's row changes
//! only its `status`. Each table's key is `(case_id, seq)`, so a step racing another on the
//! same case cannot append twice under one number.

/// `case_notes`: notes left by the parties.
pub(crate) mod notes {
    use sea_orm::entity::prelude::*;

    /// One note. Free text written by an agency: its `Debug` leaves the text out.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_notes")]
    pub struct Model {
        /// The case the note is on.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub case_id: String,
        /// Its place among the case's notes, from 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        /// The agency that wrote it.
        #[sea_orm(column_type = "Text")]
        pub agency: String,
        /// The text.
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// When it was added.
        pub created_at: DateTimeUtc,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("case_notes::Model")
                .field("case_id", &self.case_id)
                .field("seq", &self.seq)
                .finish_non_exhaustive()
        }
    }

    /// `case_notes` is reached from the case, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `case_attachments`: evidence attached by content digest.
pub(crate) mod attachments {
    use sea_orm::entity::prelude::*;

    /// One attachment.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_attachments")]
    pub struct Model {
        /// The case the evidence is attached to.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub case_id: String,
        /// Its place among the case's attachments, from 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        /// `sha256:` and 64 hex digits.
        #[sea_orm(column_type = "Text")]
        pub digest: String,
        /// The media type.
        #[sea_orm(column_type = "Text")]
        pub media_type: String,
        /// A short title.
        #[sea_orm(column_type = "Text")]
        pub title: String,
        /// Size in bytes.
        pub size_bytes: i64,
        /// The agency that attached it.
        #[sea_orm(column_type = "Text")]
        pub agency: String,
        /// When.
        pub created_at: DateTimeUtc,
    }

    /// `case_attachments` is reached from the case, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `case_escalations`: reminders, overdue notices, blocks and warning letters.
pub(crate) mod escalations {
    use sea_orm::entity::prelude::*;

    /// One escalation.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_escalations")]
    pub struct Model {
        /// The case escalated.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub case_id: String,
        /// Its place among the case's escalations, from 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        /// The kind's stored name (`personnel_data_blocked`).
        #[sea_orm(column_type = "Text")]
        pub kind: String,
        /// The agency that raised it; `None` when netral raised it itself.
        #[sea_orm(column_type = "Text", nullable)]
        pub agency: Option<String>,
        /// A letter or reference number, possibly empty.
        #[sea_orm(column_type = "Text")]
        pub reference: String,
        /// Free-text reason.
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        /// When it was recorded.
        pub created_at: DateTimeUtc,
    }

    /// `case_escalations` is reached from the case, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `case_deadlines`: the deadlines tracked on cases, indexed so the deadline engine can find
/// every open deadline due before a day, and each agency its own.
pub(crate) mod deadlines {
    use sea_orm::entity::prelude::*;

    /// One deadline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_deadlines")]
    pub struct Model {
        /// The case the deadline runs on.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub case_id: String,
        /// Its place among the case's deadlines, from 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        /// The step's stored name (`ppk_action`).
        #[sea_orm(column_type = "Text")]
        pub step: String,
        /// The agency expected to act.
        #[sea_orm(column_type = "Text")]
        pub agency: String,
        /// When the clock started.
        pub start_on: Date,
        /// The last day on which the step is on time.
        pub due_on: Date,
        /// `open`, `met`, `missed` or `moot`.
        #[sea_orm(column_type = "Text")]
        pub status: String,
        /// The last notice the deadline engine raised (`reminder`, `overdue`, ...), if any.
        #[sea_orm(column_type = "Text", nullable)]
        pub notice: Option<String>,
        /// When the next notice falls due; indexed, the deadline engine's scan. `NULL` once
        /// nothing more will be raised.
        pub notice_on: Option<Date>,
    }

    /// A deadline belongs to its case (joined by the overdue list, to filter on the case).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The case the deadline runs on.
        #[sea_orm(
            belongs_to = "crate::entity::cases::Entity",
            from = "Column::CaseId",
            to = "crate::entity::cases::Column::Id"
        )]
        Case,
    }

    impl Related<crate::entity::cases::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Case.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// `case_sanctions`: the sanctions a PPK's decree imposed.
pub(crate) mod sanctions {
    use sea_orm::entity::prelude::*;

    /// One imposed sanction.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_sanctions")]
    pub struct Model {
        /// The sanctioned case.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub case_id: String,
        /// Its place in the decree, from 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        /// A code from the sanction catalogue.
        #[sea_orm(column_type = "Text")]
        pub code: String,
        /// The decree (SK) number.
        #[sea_orm(column_type = "Text")]
        pub decree_number: String,
        /// The date the decree was signed.
        pub decree_date: Date,
    }

    /// `case_sanctions` is reached from the case, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
