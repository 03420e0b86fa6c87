//! The store's one error type. Its `Display` never carries a stored value (names, NIP, NIK,
//! free text): only which table, column or rule failed, so it can be logged as it is.

use sea_orm::DbErr;

/// Everything the store can answer instead of a result.
///
/// The first group are answers an agency must hear about (the server maps them to gRPC
/// codes); the rest are internal failures, logged in full and sent as `INTERNAL`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case named by the request does not exist.
    #[error("case not found")]
    NotFound,
    /// The caller's etag is not the case's current one, or a racing writer committed first:
    /// the step was not applied.
    #[error("stale etag: the case changed since it was read")]
    StaleEtag,
    /// The request id was already used by this agency for a different request.
    #[error("request id already used for a different request (first used by {method})")]
    RequestIdReused {
        /// The method the request id was first used with, to help the agency find its bug.
        method: String,
    },
    /// A case with this case id, or with this subject under the office's registration
    /// number, is already registered.
    #[error(
        "a case with this id, or this subject under this registration number, is already registered"
    )]
    DuplicateRegistration,
    /// An acknowledgement named a cursor that is none of the agency's messages.
    #[error("the cursor names none of the agency's inbox messages")]
    UnknownCursor,
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// A stored row cannot be read back into a case (a column holds a value the code does
    /// not know). Names the table and column, never the value.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The step handed the store a record it must not persist (another case's id, a version
    /// not one above the stored one, a changed subject): a bug in the caller, refused
    /// rather than stored.
    #[error("refused to store the step's result: {0}")]
    InvalidStep(&'static str),
    /// A timestamp finer than a microsecond: PostgreSQL would silently round it, so the case
    /// read back would differ from the one answered. Use [`crate::storage_instant`].
    #[error("timestamp {0} is finer than the stored microsecond precision")]
    Unrepresentable(&'static str),
    /// The store could not be opened (bad URL, unusable data directory).
    #[error("cannot open the store: {0}")]
    Open(String),
    /// The group commit that carried the step failed (or could not start): nothing of the
    /// step was committed, and the same request may be sent again.
    #[error("the step's commit failed: {0}")]
    Commit(String),
    /// The writer lanes stopped (the store is shutting down): the step was not queued and
    /// nothing was written.
    #[error("the store's writer has stopped")]
    WriterStopped,
    /// The step was queued but its answer never came: its job panicked, which rolled its
    /// whole batch back. Nothing was written; sending it again would panic again, so this is
    /// a bug to report, not an outage to wait out.
    #[error("the step was lost: its job panicked and its batch was rolled back")]
    StepLost,
    /// A test asked the store to fail at a fail point; nothing of the step was committed.
    #[error("injected failure")]
    InjectedFailure,
}

impl StoreError {
    /// A corrupt-row error for `table.column`.
    pub(crate) fn corrupt(table: &str, column: &str) -> Self {
        Self::Corrupt(format!("{table}.{column}"))
    }
}
