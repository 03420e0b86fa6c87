//! Persistence for netral: the schema and its migrations, and the repository through which
//! every case is read and written, on SQLite (the embedded default) or PostgreSQL.
//!
//! The one way to change a case is [`Store::execute`]: it applies a step, the case's new
//! version, the child records the step appended or changed, its event and the request's
//! idempotency key in one transaction (group-committed with the steps that arrived with it),
//! so a case is never lost, never half-written and never changed twice by a retried request.

mod append;
mod attempt;
pub mod audit;
mod children;
mod codec;
mod convert;
mod deadlines;
mod directory;
mod dto;
mod entity;
mod erasure;
mod error;
mod execute;
mod gauges;
pub mod inbox;
pub mod migration;
mod query;
mod retention;
mod revocation;
mod stats;
mod store;
#[doc(hidden)]
pub mod testing;
mod transient;
mod writer;

#[cfg(test)]
mod tests;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub use children::CaseView;
pub use deadlines::{DueNotice, ScanLease};
pub use directory::AgencyRecord;
pub use error::StoreError;
pub use execute::{Applied, ExecuteError, Executed, MutationMeta, PastEvent};
pub use gauges::Gauges;
pub use inbox::ack::AckRequest;
pub use inbox::{InboxBacklog, InboxMessage, InboxQuery, InboxRecord, InboxSignals, InboxStatus};
pub use query::{CaseEventRow, CaseHead, CaseQuery, TableCounts, Visibility};
pub use revocation::{BadFingerprint, CertificateFingerprint, Revocation, Revoked};
pub use stats::{OverdueCursor, OverdueDeadline};
pub use store::{FailPoints, SQLITE_BUSY_TIMEOUT, SQLITE_FILE_NAME, Store};

/// `at` truncated to whole microseconds, the precision the store keeps. The server's clock
/// should hand out only such instants: the store refuses finer ones
/// ([`StoreError::Unrepresentable`]) rather than store a case that differs from the one it
/// answered with.
pub fn storage_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}
