//! [`Store::execute`]: the one way a case is written. In one transaction it answers a retried
//! request from its idempotency key, checks the caller's etag, runs the caller's step on the
//! current record, writes the case with a version check, records the event and the
//! idempotency key, and commits — all of it or nothing.

use chrono::{DateTime, Utc};
use netral_domain::case::{CaseRecord, StepOutcome};
use netral_domain::{AgencyId, CaseId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, SqlErr, TransactionTrait,
};

use crate::convert::{case_row, check_representable, representable, subject_row};
use crate::entity::{case_events, cases, idempotency_keys, subjects};
use crate::error::StoreError;
use crate::query::load_case;
use crate::store::Store;

/// Who asks for a mutation and how to recognise a retry of it.
#[derive(Debug, Clone)]
pub struct MutationMeta {
    /// The calling agency; request ids are scoped to it.
    pub actor: AgencyId,
    /// The caller's idempotency key: a retry carries the same one.
    pub request_id: uuid::Uuid,
    /// The gRPC method, so a request id reused for another method is refused.
    pub method: &'static str,
    /// SHA-256 of the request, so a request id reused with another payload is refused.
    pub request_digest: [u8; 32],
    /// The case the request changes (for a registration, the id assigned to the new case).
    pub case_id: CaseId,
    /// The etag the caller read; `None` only for a registration, which has no case yet.
    pub expected_etag: Option<String>,
    /// When the request is committed (the server's clock), for the event and the key.
    pub at: DateTime<Utc>,
}

/// What a step produced, for the store to persist.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The case after the step; stored as is.
    pub case: CaseRecord,
    /// The action and states, recorded in the case event.
    pub outcome: StepOutcome,
    /// The step's parameters for the event (no more personal data than the case holds).
    pub event_payload: serde_json::Value,
    /// The encoded first response, stored and replayed verbatim to a retry.
    pub response: Vec<u8>,
}

/// How a mutation ended.
// Returned once per request and matched at once, never collected: boxing the case would
// only cost an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Executed {
    /// The step was applied and committed: the stored case and the response to send.
    Applied(CaseRecord, Vec<u8>),
    /// The request id was seen before with the same request: the first response, unchanged.
    Replayed(Vec<u8>),
}

/// Why a mutation was not applied; nothing was written in either case.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError<E> {
    /// The step refused (policy, state machine, precondition).
    #[error("step refused")]
    Step(E),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<E> From<DbErr> for ExecuteError<E> {
    fn from(err: DbErr) -> Self {
        Self::Store(StoreError::Database(err))
    }
}

/// Why an attempt stopped before commit.
enum Failure<E> {
    /// Roll back and answer this.
    Fail(ExecuteError<E>),
    /// The case is not as the request expects (stale etag, taken id or number, unique
    /// violation): perhaps because a racing copy of this very request committed after our
    /// idempotency lookup. Roll back, answer from its idempotency key if so, otherwise this.
    Race(StoreError),
}

impl<E> From<DbErr> for Failure<E> {
    fn from(err: DbErr) -> Self {
        Self::Fail(err.into())
    }
}

impl<E> From<StoreError> for Failure<E> {
    fn from(err: StoreError) -> Self {
        Self::Fail(ExecuteError::Store(err))
    }
}

/// A unique violation is a lost race; anything else a database failure.
fn race_or_fail<E>(err: DbErr, race: StoreError) -> Failure<E> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Failure::Race(race),
        _ => Failure::Fail(err.into()),
    }
}

/// A successful attempt, before commit.
#[allow(clippy::large_enum_variant)]
enum Attempt {
    /// The request was a retry; nothing was written.
    Replayed(Vec<u8>),
    /// The step was written.
    Applied(CaseRecord, Vec<u8>),
}

/// What the step may not change about the stored case.
struct Before {
    version: i64,
    state: netral_domain::state::CaseState,
    created_at: DateTime<Utc>,
    subject: netral_domain::case::Subject,
    subject_row_id: String,
}

impl Store {
    /// Applies `step` to the case named by `meta`, atomically and at most once per request id.
    ///
    /// `step` receives the current case (`None` for a registration) and returns the new one
    /// with the response to send; it runs inside the transaction, so it must not block. An
    /// error from it rolls everything back and comes back as [`ExecuteError::Step`]. The store
    /// answers [`StoreError::NotFound`], [`StoreError::StaleEtag`] (also when a racing writer
    /// wins), [`StoreError::RequestIdReused`] and [`StoreError::DuplicateRegistration`]
    /// without calling or after undoing the step.
    pub async fn execute<E, F>(
        &self,
        meta: MutationMeta,
        step: F,
    ) -> Result<Executed, ExecuteError<E>>
    where
        F: FnOnce(Option<CaseRecord>) -> Result<Applied, E> + Send,
        E: Send,
    {
        if !representable(meta.at) {
            return Err(StoreError::Unrepresentable("at").into());
        }
        let _turn = self.writer_turn().await;
        let txn = self.db.begin().await?;
        match self.attempt(&txn, &meta, step).await {
            Ok(Attempt::Applied(case, response)) => {
                txn.commit().await?;
                Ok(Executed::Applied(case, response))
            }
            Ok(Attempt::Replayed(response)) => {
                roll_back(txn).await;
                Ok(Executed::Replayed(response))
            }
            Err(Failure::Fail(err)) => {
                roll_back(txn).await;
                Err(err)
            }
            Err(Failure::Race(err)) => {
                roll_back(txn).await;
                match find_key(&self.db, &meta).await? {
                    Some(key) => Ok(Executed::Replayed(replay(key, &meta)?)),
                    None => Err(err.into()),
                }
            }
        }
    }

    async fn attempt<E, F>(
        &self,
        txn: &DatabaseTransaction,
        meta: &MutationMeta,
        step: F,
    ) -> Result<Attempt, Failure<E>>
    where
        F: FnOnce(Option<CaseRecord>) -> Result<Applied, E> + Send,
        E: Send,
    {
        if txn.get_database_backend() == DbBackend::Sqlite {
            // Take SQLite's write lock first (waiting out other processes' writers under the
            // busy timeout), so the transaction never has to upgrade a read snapshot.
            cases::Entity::update_many()
                .col_expr(
                    cases::Column::Version,
                    Expr::col(cases::Column::Version).into(),
                )
                .filter(Expr::val(1).eq(0))
                .exec(txn)
                .await?;
        }
        if let Some(key) = find_key(txn, meta).await? {
            return Ok(Attempt::Replayed(replay(key, meta)?));
        }
        let (current, before) = match &meta.expected_etag {
            None => {
                let id = meta.case_id.to_string();
                if cases::Entity::find_by_id(id).one(txn).await?.is_some() {
                    return Err(Failure::Race(StoreError::DuplicateRegistration));
                }
                (None, None)
            }
            Some(etag) => {
                let (case, subject_row_id) = load_case(txn, meta.case_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                if case.etag() != *etag {
                    // Perhaps moved by this very request, committed by a racing copy of it
                    // after our idempotency lookup (each statement sees the latest commits).
                    return Err(Failure::Race(StoreError::StaleEtag));
                }
                let before = Before {
                    version: case.version,
                    state: case.state,
                    created_at: case.created_at,
                    subject: case.filing.subject.clone(),
                    subject_row_id,
                };
                (Some(case), Some(before))
            }
        };
        let applied = step(current).map_err(|e| Failure::Fail(ExecuteError::Step(e)))?;
        check_step(&applied, meta, before.as_ref())?;
        match &before {
            None => insert_case(txn, &applied.case).await?,
            Some(before) => update_case(txn, &applied.case, before).await?,
        }
        if self.fail_points().take_after_case_write() {
            return Err(StoreError::InjectedFailure.into());
        }
        insert_event(txn, meta, &applied).await?;
        let key = idempotency_keys::ActiveModel::from(idempotency_keys::Model {
            agency_id: meta.actor.as_str().to_owned(),
            request_id: meta.request_id.to_string(),
            method: meta.method.to_owned(),
            request_digest: hex::encode(meta.request_digest),
            case_id: meta.case_id.to_string(),
            response: applied.response.clone(),
            created_at: meta.at,
        });
        idempotency_keys::Entity::insert(key)
            .exec_without_returning(txn)
            .await
            .map_err(|e| race_or_fail(e, StoreError::StaleEtag))?;
        Ok(Attempt::Applied(applied.case, applied.response))
    }
}

/// Refuses a step result the store must not persist as given.
fn check_step(
    applied: &Applied,
    meta: &MutationMeta,
    before: Option<&Before>,
) -> Result<(), StoreError> {
    let case = &applied.case;
    if case.id != meta.case_id {
        return Err(StoreError::InvalidStep("the step returned another case"));
    }
    if applied.outcome.to != case.state {
        return Err(StoreError::InvalidStep(
            "the outcome's state is not the case's state",
        ));
    }
    match before {
        None if case.version != 1 => {
            return Err(StoreError::InvalidStep("a new case must have version 1"));
        }
        None => {}
        Some(before) => {
            if case.version != before.version + 1 {
                return Err(StoreError::InvalidStep(
                    "a step must raise the version by one",
                ));
            }
            if applied.outcome.from != before.state {
                return Err(StoreError::InvalidStep(
                    "the outcome does not start at the stored state",
                ));
            }
            if case.created_at != before.created_at {
                return Err(StoreError::InvalidStep("a step cannot change created_at"));
            }
            if case.filing.subject != before.subject {
                return Err(StoreError::InvalidStep("a step cannot change the subject"));
            }
        }
    }
    check_representable(case)
}

async fn insert_case<E>(txn: &DatabaseTransaction, case: &CaseRecord) -> Result<(), Failure<E>> {
    let number = &case.filing.registration_number;
    let taken = cases::Entity::find()
        .filter(cases::Column::RegistrationNumber.eq(number.as_str()))
        .one(txn)
        .await?;
    if taken.is_some() {
        return Err(Failure::Race(StoreError::DuplicateRegistration));
    }
    let subject_id = uuid::Uuid::new_v4().to_string();
    let subject = subject_row(&case.filing.subject, subject_id.clone());
    subjects::Entity::insert(subjects::ActiveModel::from(subject))
        .exec_without_returning(txn)
        .await?;
    let row = cases::ActiveModel::from(case_row(case, subject_id)?);
    cases::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(|e| race_or_fail(e, StoreError::DuplicateRegistration))?;
    Ok(())
}

/// Writes the new case over the stored one only if nobody changed it since it was read.
async fn update_case<E>(
    txn: &DatabaseTransaction,
    case: &CaseRecord,
    before: &Before,
) -> Result<(), Failure<E>> {
    let mut row =
        cases::ActiveModel::from(case_row(case, before.subject_row_id.clone())?).reset_all();
    row.not_set(cases::Column::Id);
    row.not_set(cases::Column::SubjectId);
    row.not_set(cases::Column::CreatedAt);
    let updated = cases::Entity::update_many()
        .set(row)
        .filter(cases::Column::Id.eq(case.id.to_string()))
        .filter(cases::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    match updated.rows_affected {
        1 => Ok(()),
        0 => Err(Failure::Race(StoreError::StaleEtag)),
        _ => Err(StoreError::Corrupt("cases.id matched several rows".into()).into()),
    }
}

async fn insert_event<E>(
    txn: &DatabaseTransaction,
    meta: &MutationMeta,
    applied: &Applied,
) -> Result<(), Failure<E>> {
    let payload = serde_json::to_string(&applied.event_payload)
        .map_err(|_| StoreError::InvalidStep("the event payload is not serialisable"))?;
    let event = case_events::ActiveModel {
        id: sea_orm::NotSet,
        case_id: sea_orm::Set(applied.case.id.to_string()),
        case_version: sea_orm::Set(applied.case.version),
        action: sea_orm::Set(applied.outcome.action.as_str().to_owned()),
        actor: sea_orm::Set(meta.actor.as_str().to_owned()),
        request_id: sea_orm::Set(meta.request_id.to_string()),
        from_state: sea_orm::Set(applied.outcome.from.as_str().to_owned()),
        to_state: sea_orm::Set(applied.outcome.to.as_str().to_owned()),
        payload: sea_orm::Set(payload),
        occurred_at: sea_orm::Set(meta.at),
    };
    case_events::Entity::insert(event)
        .exec_without_returning(txn)
        .await
        .map_err(|e| race_or_fail(e, StoreError::StaleEtag))?;
    Ok(())
}

async fn find_key<C: ConnectionTrait>(
    conn: &C,
    meta: &MutationMeta,
) -> Result<Option<idempotency_keys::Model>, StoreError> {
    let id = (meta.actor.as_str().to_owned(), meta.request_id.to_string());
    Ok(idempotency_keys::Entity::find_by_id(id).one(conn).await?)
}

/// The first response, if `key` was stored for this same request; otherwise the id is reused.
fn replay(key: idempotency_keys::Model, meta: &MutationMeta) -> Result<Vec<u8>, StoreError> {
    if key.method == meta.method && key.request_digest == hex::encode(meta.request_digest) {
        Ok(key.response)
    } else {
        Err(StoreError::RequestIdReused { method: key.method })
    }
}

async fn roll_back(txn: DatabaseTransaction) {
    if let Err(err) = txn.rollback().await {
        // The connection is discarded by the pool; nothing of the transaction was committed.
        tracing::warn!(error = %err, "rollback failed");
    }
}
