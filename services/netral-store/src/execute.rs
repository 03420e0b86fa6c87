//! [`Store::execute`]: the one way a case is written. The step runs on a writer lane
//! ([`crate::writer`]) inside a savepoint of a group-committed transaction: it reads the case
//! (BASIC view), checks the caller's etag, runs the caller's step, writes the case's own
//! columns with a version check and only the child records the step changed, records the
//! event and the idempotency key — all of it or nothing — and is answered once the commit is
//! durable.
//!
//! Retries are recognised by the idempotency key's primary key, not by a lookup before every
//! step: a retry always fails somewhere (its etag is stale, the step refuses, its
//! registration number is taken, its key is already stored), and every such refusal is
//! re-checked against the stored key.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use netral_domain::case::{CaseRecord, StepOutcome};
use netral_domain::{AgencyId, CaseId};
use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::attempt::{Attempted, Failure, attempt, find_key, replay};
use crate::convert::representable;
use crate::error::StoreError;
use crate::store::{FailPoints, Store};
use crate::writer::{Job, Savepoint, Settle};

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
    /// The W3C `traceparent` of the step's span, kept with its case event (and, for a
    /// registration, with the case: later steps link to it); empty without one.
    pub traceparent: String,
}

/// What a step produced, for the store to persist.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The case after the step. The step received it without notes, attachments and
    /// escalations, so those lists hold exactly what the step appended.
    pub case: CaseRecord,
    /// The action and states, recorded in the case event.
    pub outcome: StepOutcome,
    /// The step's parameters for the event (no more personal data than the case holds).
    pub event_payload: serde_json::Value,
    /// The encoded first response, stored and replayed verbatim to a retry. It must not grow
    /// with the case (the server encodes the BASIC view).
    pub response: Vec<u8>,
    /// The step's audit event, appended in the step's transaction: the step and its audit
    /// record commit together or not at all. It must name the case and the action.
    pub audit: crate::audit::AuditRecord,
    /// The step's inbox messages, one per recipient (never the actor), inserted in the
    /// step's transaction: delivered if and only if the step commits.
    pub inbox: Vec<crate::inbox::InboxRecord>,
    /// The subject's keyed digest (never the identifier itself), required for a
    /// registration and ignored afterwards: one office registers one subject once under a
    /// registration number, which the index on (number, office, key) enforces.
    pub subject_key: Option<String>,
    /// For an imported past case only (empty otherwise): the steps that made it, each
    /// recorded as its own case event on its original date instead of one event for the
    /// step; the case's version is the last one's.
    pub past: Vec<PastEvent>,
}

/// One step of an imported case's past, recorded as its own case event.
#[derive(Debug, Clone)]
pub struct PastEvent {
    /// The case's version after the step.
    pub version: i64,
    /// The action and the states it moved between.
    pub outcome: StepOutcome,
    /// The agency that took the step then.
    pub actor: AgencyId,
    /// The step's parameters, as a live step's event records them.
    pub payload: serde_json::Value,
    /// When the step was taken: its original date, not the import's.
    pub at: DateTime<Utc>,
}

/// How a mutation ended.
// Returned once per request and matched at once, never collected: boxing the case would
// only cost an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Executed {
    /// The step was applied and committed: the case in the BASIC view (see
    /// [`CaseRecord::basic`]) and the response to send.
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

impl Store {
    /// Applies `step` to the case named by `meta`, atomically and at most once per request id,
    /// and answers once the commit is durable.
    ///
    /// `step` receives the current case in the BASIC view (`None` for a registration) and
    /// returns the new one with the response to send; it runs on the writer lane inside the
    /// transaction, so it must be quick and must not block. An error from it rolls the step
    /// back and comes back as [`ExecuteError::Step`]. The store answers
    /// [`StoreError::NotFound`], [`StoreError::StaleEtag`] (also when a racing writer wins),
    /// [`StoreError::RequestIdReused`] and [`StoreError::DuplicateRegistration`] without
    /// calling or after undoing the step.
    pub async fn execute<E, F>(
        &self,
        meta: MutationMeta,
        step: F,
    ) -> Result<Executed, ExecuteError<E>>
    where
        F: FnOnce(Option<CaseRecord>) -> Result<Applied, E> + Send + 'static,
        E: Send + 'static,
    {
        if !representable(meta.at) {
            return Err(StoreError::Unrepresentable("at").into());
        }
        let case = meta.case_id;
        let (reply, answer) = oneshot::channel();
        // From queueing to the durable commit; the lane runs the step's writes inside it.
        let span = tracing::info_span!(
            "transaction",
            db.system = db_system(self.backend()),
            netral.batch_size = tracing::field::Empty,
        );
        let job = StepJob {
            meta,
            step,
            fail_points: self.fail_points().clone(),
            inbox_signals: self.inbox.clone(),
            reply,
            span: span.clone(),
        };
        async {
            self.writers.submit(case, Box::new(job)).await?;
            answer.await.map_err(|_| StoreError::StepLost)?
        }
        .instrument(span)
        .await
    }
}

impl Store {
    /// The first reply to the request `meta` describes, if it was applied before (a retry),
    /// read outside any transaction: for a request refused before it queues for its step
    /// (the policy refuses the caller now), which must still answer a retry of a step it
    /// once allowed. A request id reused for another request is refused as in [`Self::execute`].
    pub async fn replayed(&self, meta: &MutationMeta) -> Result<Option<Vec<u8>>, StoreError> {
        match find_key(&self.db, meta).await? {
            Some(key) => replay(key, meta).map(Some),
            None => Ok(None),
        }
    }
}

/// OpenTelemetry's `db.system` name of `backend`.
fn db_system(backend: sea_orm::DbBackend) -> &'static str {
    match backend {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        sea_orm::DbBackend::MySql => "mysql",
    }
}

/// One step waiting for its lane, with the channel its caller waits on.
struct StepJob<E, F> {
    meta: MutationMeta,
    step: F,
    fail_points: FailPoints,
    /// Told after the commit which agencies' inboxes received messages.
    inbox_signals: std::sync::Arc<crate::inbox::InboxSignals>,
    reply: oneshot::Sender<Result<Executed, ExecuteError<E>>>,
    /// The step's transaction span.
    span: tracing::Span,
}

impl<E, F> Job for StepJob<E, F>
where
    F: FnOnce(Option<CaseRecord>) -> Result<Applied, E> + Send + 'static,
    E: Send + 'static,
{
    fn run<'a>(self: Box<Self>, savepoint: &'a Savepoint<'a>) -> BoxFuture<'a, Settle> {
        Box::pin(async move {
            let StepJob {
                meta,
                step,
                fail_points,
                inbox_signals,
                reply,
                span: _,
            } = *self;
            if let Some(delay) = fail_points.take_delay() {
                tokio::time::sleep(delay).await;
            }
            let (result, recipients) = in_savepoint(savepoint, &meta, step, &fail_points).await;
            let backend = savepoint.txn().get_database_backend();
            let signals = inbox_signals;
            let settle: Settle = Box::new(move |committed| {
                let answer = match committed {
                    Ok(()) => {
                        signals.committed(backend, recipients.iter().map(String::as_str));
                        result
                    }
                    Err(why) => Err(StoreError::Commit(why).into()),
                };
                // The caller may have gone away (deadline, cancellation): nothing to answer.
                let _ = reply.send(answer);
            });
            settle
        })
    }

    fn refuse(self: Box<Self>, why: String) {
        let _ = self.reply.send(Err(StoreError::Commit(why).into()));
    }

    fn span(&self) -> tracing::Span {
        self.span.clone()
    }
}

/// Runs one step after `savepoint`, rolling back to it when the step fails; with the
/// recipients of the inbox messages it wrote.
async fn in_savepoint<E, F>(
    savepoint: &Savepoint<'_>,
    meta: &MutationMeta,
    step: F,
    fail_points: &FailPoints,
) -> (Result<Executed, ExecuteError<E>>, Vec<String>)
where
    F: FnOnce(Option<CaseRecord>) -> Result<Applied, E>,
{
    match undo_on_failure(savepoint, meta, step, fail_points).await {
        Ok(Written::Applied(attempted)) => {
            let Attempted {
                case,
                response,
                recipients,
                appends,
            } = attempted;
            savepoint.append(|rows| rows.extend(appends));
            (Ok(Executed::Applied(case, response)), recipients)
        }
        Ok(Written::Replayed(response)) => (Ok(Executed::Replayed(response)), Vec::new()),
        Err(err) => (Err(err), Vec::new()),
    }
}

/// What a step's savepoint holds at its end. Built once per step and matched at once, as
/// [`Executed`]: boxing the case would only cost an allocation.
#[allow(clippy::large_enum_variant)]
enum Written {
    /// The step's writes: the case (BASIC view), its reply, its inbox's recipients and the
    /// rows the batch appends for it.
    Applied(Attempted),
    /// Nothing: the request was applied before, and this is its first reply.
    Replayed(Vec<u8>),
}

/// [`in_savepoint`]'s work: the step's writes, or a rollback and the answer to a refusal.
async fn undo_on_failure<E, F>(
    savepoint: &Savepoint<'_>,
    meta: &MutationMeta,
    step: F,
    fail_points: &FailPoints,
) -> Result<Written, ExecuteError<E>>
where
    F: FnOnce(Option<CaseRecord>) -> Result<Applied, E>,
{
    let txn = savepoint.txn();
    let refusal = match attempt(txn, meta, step, fail_points).await {
        Ok(attempted) => return Ok(Written::Applied(attempted)),
        Err(Failure::Fail(ExecuteError::Step(refusal))) => ExecuteError::Step(refusal),
        Err(Failure::Race(err)) => ExecuteError::Store(err),
        Err(Failure::Fail(err)) => {
            savepoint.roll_back().await;
            return Err(err);
        }
    };
    savepoint.roll_back().await;
    // A refusal or a lost race may be this very request applied before (the case moved on,
    // its number is taken, its key is stored): answer it from its key, and refuse a request
    // id reused for another request.
    match find_key(txn, meta).await? {
        Some(key) => Ok(Written::Replayed(replay(key, meta)?)),
        None => Err(refusal),
    }
}
