//! The audit log's tables (see the migration `m20261202_000003_audit_log`).

/// `audit_events`: one row per audit event, its leaf written once; `sequence` is set by the
/// sequencer, the other columns only index the leaf for queries (what is shown is always
/// read from the leaf).
pub(crate) mod events {
    use sea_orm::entity::prelude::*;

    /// One audit event.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        /// Insertion order; gaps and commit order do not matter, `sequence` is the log's order.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Position in the log, from 0 without gaps; `None` until the sequencer reaches it.
        pub sequence: Option<i64>,
        /// The case concerned (its UUID), for the case's history.
        #[sea_orm(column_type = "Text", nullable)]
        pub case_id: Option<String>,
        /// The leaf's action, for filtering.
        #[sea_orm(column_type = "Text")]
        pub action: String,
        /// The leaf's outcome (`SUCCESS`, `DENIED`, …), for filtering.
        #[sea_orm(column_type = "Text")]
        pub outcome: String,
        /// The acting agency's id, for filtering; `None` when the caller was not identified.
        #[sea_orm(column_type = "Text", nullable)]
        pub actor: Option<String>,
        /// The leaf's time, for filtering by time range.
        pub created_at: DateTimeUtc,
        /// The deterministic encoding of the event's `AuditLeaf`.
        #[sea_orm(column_type = "Blob")]
        pub leaf: Vec<u8>,
        /// `SHA-256(0x00 || leaf)`, computed once so the sequencer and proofs need not.
        #[sea_orm(column_type = "Blob")]
        pub leaf_hash: Vec<u8>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("audit_events::Model")
                .field("id", &self.id)
                .field("sequence", &self.sequence)
                .field("action", &self.action)
                .finish_non_exhaustive()
        }
    }

    /// Audit events are reached by query, never navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_subtrees`: the hash of each complete subtree of 2^level ≥ 2 leaves.
pub(crate) mod subtrees {
    use sea_orm::entity::prelude::*;

    /// One complete subtree.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_subtrees")]
    pub struct Model {
        /// Its height (≥ 1; leaves are `audit_events.leaf_hash`).
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: i16,
        /// Its position among the subtrees of that height.
        #[sea_orm(primary_key, auto_increment = false)]
        pub idx: i64,
        /// Its RFC 6962 hash.
        #[sea_orm(column_type = "Blob")]
        pub hash: Vec<u8>,
    }

    /// Reached by key only.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_log_head`: the single row holding the sequenced tree's size and root.
pub(crate) mod head {
    use sea_orm::entity::prelude::*;

    /// The head (always `id = 1`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log_head")]
    pub struct Model {
        /// Always 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        /// How many events are sequenced.
        pub tree_size: i64,
        /// The root over them.
        #[sea_orm(column_type = "Blob")]
        pub root: Vec<u8>,
    }

    /// Reached by key only.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `audit_checkpoints`: every checkpoint signed, by tree size.
pub(crate) mod checkpoints {
    use sea_orm::entity::prelude::*;

    /// One signed checkpoint.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoints")]
    pub struct Model {
        /// The tree size it covers.
        #[sea_orm(primary_key, auto_increment = false)]
        pub tree_size: i64,
        /// The root it signs.
        #[sea_orm(column_type = "Blob")]
        pub root: Vec<u8>,
        /// When it was signed.
        pub created_at: DateTimeUtc,
        /// The signing key's id (`origin+hex id`).
        #[sea_orm(column_type = "Text")]
        pub key_id: String,
        /// The raw Ed25519 signature.
        #[sea_orm(column_type = "Blob")]
        pub signature: Vec<u8>,
        /// The whole signed note.
        #[sea_orm(column_type = "Text")]
        pub note: String,
    }

    /// Reached by key only.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
