//! The inbox's tables (see the migration `m20261202_000004_inbox`).

/// `inbox_messages`: one message for one recipient agency.
pub(crate) mod messages {
    use sea_orm::entity::prelude::*;

    /// One inbox message.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox_messages")]
    pub struct Model {
        /// Insertion order; on PostgreSQL not commit order, so never shown to agencies.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The message's place in every feed (the cursor); `None` until sequenced.
        pub seq: Option<i64>,
        /// The recipient agency's id.
        #[sea_orm(column_type = "Text")]
        pub recipient: String,
        /// The case concerned (its UUID).
        #[sea_orm(column_type = "Text")]
        pub case_id: String,
        /// `CASE_CHANGED`, `ESCALATION`, … (the domain's `MessageKind`).
        #[sea_orm(column_type = "Text")]
        pub kind: String,
        /// The action that produced it (`FORWARD`).
        #[sea_orm(column_type = "Text")]
        pub action: String,
        /// The agency whose step produced it.
        #[sea_orm(column_type = "Text")]
        pub actor: String,
        /// The case's state after the step.
        #[sea_orm(column_type = "Text")]
        pub case_state: String,
        /// When the step was committed.
        pub created_at: DateTimeUtc,
        /// The producing step's W3C `traceparent`; empty without one.
        #[sea_orm(column_type = "Text")]
        pub traceparent: String,
        /// The encoded case snapshot the server built (no personal data).
        #[sea_orm(column_type = "Blob")]
        pub snapshot: Vec<u8>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("inbox_messages::Model")
                .field("id", &self.id)
                .field("seq", &self.seq)
                .field("recipient", &self.recipient)
                .field("kind", &self.kind)
                .finish_non_exhaustive()
        }
    }

    /// Messages are reached by query, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inbox_cursors`: how far each agency has acknowledged its inbox.
pub(crate) mod cursors {
    use sea_orm::entity::prelude::*;

    /// One agency's acknowledged cursor.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox_cursors")]
    pub struct Model {
        /// The agency.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub agency_id: String,
        /// Every message of the agency's up to this `seq` is acknowledged; only grows.
        pub acked_seq: i64,
        /// When it last moved.
        pub updated_at: DateTimeUtc,
    }

    /// Reached by key, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `inbox_ack_requests`: the first answer to each acknowledgement request.
pub(crate) mod ack_requests {
    use sea_orm::entity::prelude::*;

    /// One accepted `AckInbox` request.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox_ack_requests")]
    pub struct Model {
        /// The agency: request ids are unique per agency.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub agency_id: String,
        /// The caller's `request_id`.
        #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
        pub request_id: String,
        /// The cursor acknowledged: a retry must name the same one.
        pub cursor: i64,
        /// How many messages the first call acknowledged, answered again to a retry.
        pub acknowledged_count: i64,
        /// When, so old requests expire with the idempotency keys.
        pub created_at: DateTimeUtc,
    }

    /// Reached by key, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
