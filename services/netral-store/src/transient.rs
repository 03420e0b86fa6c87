//! Which storage failures are passing states of the database — unreachable, restarting,
//! out of connections, busy, a lost serialization race — rather than bugs. For those nothing
//! was committed and the very same request (same `request_id`) may be sent again, so the
//! server answers `UNAVAILABLE` and a client retries; everything else stays `INTERNAL`. The
//! one classification of the project: the server asks [`StoreError::is_transient`].

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

use crate::error::StoreError;

/// PostgreSQL SQLSTATEs (and classes) after which a retry may succeed: connection exceptions
/// (class 08), the server shutting down or starting (57P01–57P03), too many connections
/// (53300), a serialization failure (40001) or deadlock (40P01) that rolled the work back.
const PG_TRANSIENT: &[&str] = &["57P01", "57P02", "57P03", "53300", "40001", "40P01"];

/// SQLite result codes (primary or extended) that mean "locked by someone else, try later":
/// SQLITE_BUSY (5) and SQLITE_LOCKED (6) with their extended forms.
const SQLITE_TRANSIENT: &[&str] = &["5", "6", "261", "262", "517", "773"];

impl StoreError {
    /// Whether the failure is the database's passing state: nothing was committed and the
    /// same request may be sent again once the database is back.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(err) => is_transient(err),
            Self::Commit(_) | Self::WriterStopped => true,
            _ => false,
        }
    }
}

/// Whether `err` is a passing state of the database (see the module documentation).
pub(crate) fn is_transient(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => match runtime {
            RuntimeErr::SqlxError(err) => sqlx_transient(err),
            RuntimeErr::Internal(_) => false,
        },
        _ => false,
    }
}

fn sqlx_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            PG_TRANSIENT.contains(&code.as_ref())
                || code.starts_with("08")
                || SQLITE_TRANSIENT.contains(&code.as_ref())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(err: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(err))
    }

    #[test]
    fn an_unreachable_or_exhausted_database_is_transient() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_transient(&DbErr::Conn(RuntimeErr::SqlxError(
            sqlx::Error::Io(refused)
        ))));
        assert!(is_transient(&exec(sqlx::Error::PoolTimedOut)));
        assert!(is_transient(&exec(sqlx::Error::PoolClosed)));
        assert!(is_transient(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
    }

    #[test]
    fn bugs_and_bad_data_are_not_transient() {
        assert!(!is_transient(&DbErr::Custom("bug".into())));
        assert!(!is_transient(&DbErr::RecordNotFound("x".into())));
        assert!(!is_transient(&exec(sqlx::Error::RowNotFound)));
        assert!(!is_transient(&exec(sqlx::Error::ColumnNotFound(
            "c".into()
        ))));
        assert!(!StoreError::StaleEtag.is_transient());
        assert!(!StoreError::Corrupt("cases.state".into()).is_transient());
        assert!(
            !StoreError::StepLost.is_transient(),
            "a step whose job panicked would panic again"
        );
    }

    #[test]
    fn an_unanswered_commit_is_transient() {
        assert!(StoreError::Commit("disk full".into()).is_transient());
        assert!(StoreError::WriterStopped.is_transient());
    }
}
