//! One step's writes inside its savepoint: read the case (BASIC view), check the etag, run
//! the step, refuse a result the store must not persist, write the case's own columns with a
//! version check, the child records the step changed and the idempotency key; its event,
//! audit event and inbox messages are handed to the batch, which inserts every step's at once
//! ([`crate::append`]).
//! [`crate::execute`] decides what a failure here means (a refusal, a race, a retry).

use netral_domain::case::{CaseRecord, CaseSize};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};

use crate::append::Appends;
use crate::children::{CaseView, ChildChanges};
use crate::convert::{case_row, check_representable, subject_row};
use crate::entity::{case_events, cases, idempotency_keys, subjects};
use crate::error::StoreError;
use crate::execute::{Applied, ExecuteError, MutationMeta};
use crate::query::load_case;
use crate::store::FailPoints;

/// Why an attempt stopped before its savepoint was released.
pub(crate) enum Failure<E> {
    /// Roll back and answer this.
    Fail(ExecuteError<E>),
    /// The case is not as the request expects (missing, stale etag, taken id or number,
    /// unique violation), perhaps because this very request was applied before. Roll back,
    /// answer from its idempotency key if so, otherwise this.
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

/// A unique violation is a lost race (or a retry); anything else a database failure.
pub(crate) fn race_or_fail<E>(err: DbErr, race: StoreError) -> Failure<E> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Failure::Race(race),
        _ => Failure::Fail(err.into()),
    }
}

/// The case before the step, as far as the store needs it.
struct Before {
    /// The case as the step received it (BASIC view).
    case: CaseRecord,
    /// The row id of its subject.
    subject_row_id: String,
}

/// What a step wrote, once every write of its own succeeded.
pub(crate) struct Attempted {
    /// The case after the step, BASIC view.
    pub(crate) case: CaseRecord,
    /// The reply to send (and replay).
    pub(crate) response: Vec<u8>,
    /// The agencies its inbox messages go to.
    pub(crate) recipients: Vec<String>,
    /// Its case events, audit event and inbox messages, for the batch to insert.
    pub(crate) appends: Appends,
}

/// One step's reads and writes in `conn` (the batch's transaction, after the step's
/// savepoint): the case and its reply (BASIC view) when every write succeeded, with the rows
/// the batch appends for it. On `Err` the caller rolls back to the savepoint.
pub(crate) async fn attempt<E, F>(
    conn: &DatabaseTransaction,
    meta: &MutationMeta,
    step: F,
    fail_points: &FailPoints,
) -> Result<Attempted, Failure<E>>
where
    F: FnOnce(Option<CaseRecord>) -> Result<Applied, E>,
{
    let before = match &meta.expected_etag {
        None => None,
        Some(etag) => {
            let (case, subject_row_id) = load_case(conn, meta.case_id, CaseView::Basic)
                .await?
                .ok_or(Failure::Race(StoreError::NotFound))?;
            if case.etag() != *etag {
                return Err(Failure::Race(StoreError::StaleEtag));
            }
            Some(Before {
                case,
                subject_row_id,
            })
        }
    };
    let applied = step(before.as_ref().map(|b| b.case.clone()))
        .map_err(|e| Failure::Fail(ExecuteError::Step(e)))?;
    check_step(&applied, meta, before.as_ref())?;
    let changes = ChildChanges::between(before.as_ref().map(|b| &b.case), &applied.case)?;
    match &before {
        None => {
            insert_case(
                conn,
                &applied.case,
                applied.subject_key.as_deref(),
                &meta.traceparent,
            )
            .await?
        }
        Some(before) => update_case(conn, &applied.case, before).await?,
    }
    changes
        .write(conn, applied.case.id)
        .await
        .map_err(|e| race_or_fail(e, StoreError::StaleEtag))?;
    let appends = Appends {
        events: event_rows(meta, &applied)?,
        audit: vec![crate::audit::record::row(&applied.audit)],
        inbox: crate::inbox::record::rows(meta, &applied.case, &applied.outcome, applied.inbox),
    };
    if fail_points.take_after_case_write() {
        return Err(StoreError::InjectedFailure.into());
    }
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
        .exec_without_returning(conn)
        .await
        .map_err(|e| race_or_fail(e, StoreError::StaleEtag))?;
    let recipients = appends
        .inbox
        .iter()
        .map(|m| m.recipient().to_owned())
        .collect();
    Ok(Attempted {
        case: applied.case.basic(),
        response: applied.response,
        recipients,
        appends,
    })
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
    if applied.audit.case_id != Some(case.id)
        || applied.audit.action != applied.outcome.action.as_str()
        || applied.audit.at != meta.at
    {
        return Err(StoreError::InvalidStep(
            "the audit event does not record this step",
        ));
    }
    let mut recipients: Vec<_> = applied.inbox.iter().map(|m| &m.recipient).collect();
    recipients.sort();
    recipients.dedup();
    if recipients.len() != applied.inbox.len() || recipients.contains(&&meta.actor) {
        return Err(StoreError::InvalidStep(
            "inbox messages must go to distinct recipients other than the actor",
        ));
    }
    let size_before = before.map(|b| b.case.size).unwrap_or_default();
    let appended = CaseSize::of(&case.notes, &case.attachments, &case.escalations);
    if case.size != size_before + appended {
        return Err(StoreError::InvalidStep(
            "the case's size does not count what the step appended",
        ));
    }
    match before {
        None if case.filing.subject.id.is_erased() => {
            return Err(StoreError::InvalidStep(
                "a new case cannot name an erased subject",
            ));
        }
        None if case.version != applied.past.last().map_or(1, |p| p.version) => {
            return Err(StoreError::InvalidStep(
                "a new case must have version 1, or its past's last",
            ));
        }
        Some(_) if !applied.past.is_empty() => {
            return Err(StoreError::InvalidStep("only a new case has a past"));
        }
        None => {}
        Some(Before { case: old, .. }) => {
            if case.version != old.version + 1 {
                return Err(StoreError::InvalidStep(
                    "a step must raise the version by one",
                ));
            }
            if applied.outcome.from != old.state {
                return Err(StoreError::InvalidStep(
                    "the outcome does not start at the stored state",
                ));
            }
            if case.created_at != old.created_at {
                return Err(StoreError::InvalidStep("a step cannot change created_at"));
            }
            if case.filing.subject != old.filing.subject {
                return Err(StoreError::InvalidStep("a step cannot change the subject"));
            }
        }
    }
    check_representable(case)
}

/// Inserts a new case and its subject; a taken id, or the same subject (`subject_key`) under
/// the office's registration number, is a lost race (or a retry of this registration).
async fn insert_case<E>(
    conn: &DatabaseTransaction,
    case: &CaseRecord,
    subject_key: Option<&str>,
    traceparent: &str,
) -> Result<(), Failure<E>> {
    let subject_key = subject_key
        .filter(|k| !k.is_empty())
        .ok_or(StoreError::InvalidStep("a new case needs its subject key"))?;
    let subject_id = uuid::Uuid::new_v4().to_string();
    let subject = subject_row(&case.filing.subject, subject_id.clone());
    subjects::Entity::insert(subjects::ActiveModel::from(subject))
        .exec_without_returning(conn)
        .await?;
    let row = cases::Model {
        subject_key: Some(subject_key.to_owned()),
        traceparent: traceparent.to_owned(),
        ..case_row(case, subject_id)?
    };
    cases::Entity::insert(cases::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await
        .map_err(|e| race_or_fail(e, StoreError::DuplicateRegistration))?;
    Ok(())
}

/// Writes the case's own columns over the stored ones only if nobody changed it since it
/// was read: the etag check and the race check in one statement.
async fn update_case<E>(
    conn: &DatabaseTransaction,
    case: &CaseRecord,
    before: &Before,
) -> Result<(), Failure<E>> {
    let mut row =
        cases::ActiveModel::from(case_row(case, before.subject_row_id.clone())?).reset_all();
    row.not_set(cases::Column::Id);
    row.not_set(cases::Column::SubjectId);
    row.not_set(cases::Column::CreatedAt);
    row.not_set(cases::Column::RegistrationNumber);
    row.not_set(cases::Column::SubjectKey);
    row.not_set(cases::Column::Traceparent);
    let updated = cases::Entity::update_many()
        .set(row)
        .filter(cases::Column::Id.eq(case.id.to_string()))
        .filter(cases::Column::Version.eq(before.case.version))
        .exec(conn)
        .await?;
    match updated.rows_affected {
        1 => Ok(()),
        0 => Err(Failure::Race(StoreError::StaleEtag)),
        _ => Err(StoreError::Corrupt("cases.id matched several rows".into()).into()),
    }
}

/// The step's case event; for an imported case, one event per step of its past instead.
fn event_rows(
    meta: &MutationMeta,
    applied: &Applied,
) -> Result<Vec<case_events::ActiveModel>, StoreError> {
    if applied.past.is_empty() {
        return Ok(vec![event_row(
            meta,
            applied.case.id,
            applied.case.version,
            &applied.outcome,
            meta.actor.as_str(),
            &applied.event_payload,
            meta.at,
        )?]);
    }
    applied
        .past
        .iter()
        .map(|p| {
            event_row(
                meta,
                applied.case.id,
                p.version,
                &p.outcome,
                p.actor.as_str(),
                &p.payload,
                p.at,
            )
        })
        .collect()
}

/// One case event row.
fn event_row(
    meta: &MutationMeta,
    case: netral_domain::CaseId,
    version: i64,
    outcome: &netral_domain::case::StepOutcome,
    actor: &str,
    payload: &serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<case_events::ActiveModel, StoreError> {
    let payload = serde_json::to_string(payload)
        .map_err(|_| StoreError::InvalidStep("the event payload is not serialisable"))?;
    Ok(case_events::ActiveModel {
        id: sea_orm::NotSet,
        case_id: sea_orm::Set(case.to_string()),
        case_version: sea_orm::Set(version),
        action: sea_orm::Set(outcome.action.as_str().to_owned()),
        actor: sea_orm::Set(actor.to_owned()),
        request_id: sea_orm::Set(meta.request_id.to_string()),
        from_state: sea_orm::Set(outcome.from.as_str().to_owned()),
        to_state: sea_orm::Set(outcome.to.as_str().to_owned()),
        payload: sea_orm::Set(payload),
        occurred_at: sea_orm::Set(at),
        traceparent: sea_orm::Set(meta.traceparent.clone()),
    })
}

pub(crate) async fn find_key<C: ConnectionTrait>(
    conn: &C,
    meta: &MutationMeta,
) -> Result<Option<idempotency_keys::Model>, StoreError> {
    let id = (meta.actor.as_str().to_owned(), meta.request_id.to_string());
    Ok(idempotency_keys::Entity::find_by_id(id).one(conn).await?)
}

/// The first response, if `key` was stored for this same request; otherwise the id is reused.
pub(crate) fn replay(
    key: idempotency_keys::Model,
    meta: &MutationMeta,
) -> Result<Vec<u8>, StoreError> {
    if key.method == meta.method && key.request_digest == hex::encode(meta.request_digest) {
        Ok(key.response)
    } else {
        Err(StoreError::RequestIdReused { method: key.method })
    }
}
