//! The deadline engine's write: one notice raised on one deadline, as one step of the case
//! through the same store transaction as an agency's step — the case's new version, the
//! escalation record, the case event, the audit event and the inbox messages, all or nothing.
//!
//! Each raise is exactly-once without any engine state: the case's version guard refuses a
//! raise that lost a race (another replica, an agency's step), the deadline's stored rung
//! refuses a second raise of the same notice, and the raise's request id is derived from the
//! case, the deadline and the rung it climbs from, so a raise retried after a crash between
//! commit and answer replays instead of applying again.

use chrono::{DateTime, Utc};
use netral_domain::case::{CaseRecord, NoticeContext, NoticePolicy, Raised};
use netral_domain::inbox::{RoleHolders, notice_recipients};
use netral_domain::{AgencyId, Reason};
use netral_proto::v1 as pb;
use netral_store::{
    Applied, CaseView, DueNotice, ExecuteError, Executed, InboxRecord, MutationMeta,
};
use prost::Message;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::{Exchange, is_regional_head, role_holders};
use crate::audit::{Event, Origin, subject_digest};
use crate::clock::Clock;
use crate::error::Error;
use crate::grpc::convert;
use crate::telemetry::context;

/// The name netral's own steps are recorded under (case events, idempotency keys, inbox
/// messages' actor); no agency can hold it (the directory refuses it, see
/// [`crate::directory`]).
pub const NETRAL_ACTOR: &str = "netral";

/// The method name recorded with a raise's idempotency key.
const METHOD: &str = "netral.deadline_engine/RaiseNotice";

/// How a raise ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaiseOutcome {
    /// The notice was raised and committed.
    Raised(netral_domain::case::Notice),
    /// Nothing was due any more (the deadline closed, or another raise got there first).
    NothingDue,
}

impl Exchange {
    /// Raises the next notice of `due` at `now`, if still due: one transaction, see the
    /// module's documentation. A lost race answers [`RaiseOutcome::NothingDue`] once the case
    /// shows the rung climbed; a case that moved on for another reason is left for the next
    /// scan.
    pub async fn raise_notice(
        &self,
        due: DueNotice,
        now: DateTime<Utc>,
        policy: NoticePolicy,
    ) -> Result<RaiseOutcome, Error> {
        let span = tracing::info_span!(
            "raise notice",
            netral.case = %format!("cases/{}", due.case_id),
            netral.deadline = due.index,
        );
        self.raise(due, now, policy).instrument(span).await
    }

    /// [`Self::raise_notice`] inside its span, which links to the case's registration: the
    /// engine's steps belong to the case's one picture too.
    async fn raise(
        &self,
        due: DueNotice,
        now: DateTime<Utc>,
        policy: NoticePolicy,
    ) -> Result<RaiseOutcome, Error> {
        if let Some(registration) = self.store.case_traceparent(due.case_id).await? {
            context::link(&tracing::Span::current(), &registration);
        }
        let trace = context::SpanIds::current();
        let Some(case) = self.store.get_case(due.case_id, CaseView::Basic).await? else {
            return Ok(RaiseOutcome::NothingDue);
        };
        let Some(deadline) = case.deadlines.get(due.index) else {
            return Ok(RaiseOutcome::NothingDue);
        };
        let rung = deadline.notice.map_or("NONE", |n| n.as_str());
        let key = format!("{}/{}/{}", due.case_id, due.index, rung);
        let actor: AgencyId = NETRAL_ACTOR
            .parse()
            .map_err(|_| Error::Unexpected("netral's own actor name does not parse".into()))?;
        let meta = MutationMeta {
            actor: actor.clone(),
            request_id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes()),
            method: METHOD,
            request_digest: Sha256::digest(key.as_bytes()).into(),
            case_id: due.case_id,
            expected_etag: Some(case.etag()),
            at: now,
            traceparent: trace.traceparent.clone(),
        };
        let directory = self.directory.snapshot();
        let ctx = NoticeContext {
            now,
            today: Clock::date_of(now),
            policy,
            ppk_is_regional_head: is_regional_head(&directory, &case.filing.ppk),
        };
        let keys = self.keys.clone();
        let index = due.index;
        let executed = self
            .store
            .execute(meta, move |current: Option<CaseRecord>| {
                let mut case = current.ok_or_else(|| Error::NotFound("case".into()))?;
                let raised = case.raise_notice(index, &ctx)?.ok_or(nothing_due())?;
                let holders = role_holders(&directory, &case, now);
                Ok::<_, Error>(notice_applied(case, raised, &holders, (now, &trace), &keys))
            })
            .await;
        match executed {
            Ok(Executed::Applied(case, _)) => Ok(RaiseOutcome::Raised(
                case.deadlines
                    .get(index)
                    .and_then(|d| d.notice)
                    .ok_or_else(|| Error::Unexpected("a raise left no notice".into()))?,
            )),
            Ok(Executed::Replayed(_))
            | Err(ExecuteError::Step(Error::Precondition {
                reason: Reason::NothingDue,
                ..
            })) => Ok(RaiseOutcome::NothingDue),
            Err(ExecuteError::Store(netral_store::StoreError::StaleEtag)) => {
                Ok(RaiseOutcome::NothingDue)
            }
            Err(ExecuteError::Step(err)) => Err(err),
            Err(ExecuteError::Store(err)) => Err(err.into()),
        }
    }
}

/// The raise's writes for the store: the case, its BASIC reply (kept with the idempotency
/// key), the audit event (netral's own: no actor) and the inbox messages.
fn notice_applied(
    case: CaseRecord,
    raised: Raised,
    holders: &RoleHolders,
    (now, trace): (DateTime<Utc>, &context::SpanIds),
    keys: &crate::audit::AuditKeys,
) -> Applied {
    let basic = convert::case(&case.clone().basic());
    let event_payload = serde_json::json!({
        "notice": raised.notice.as_str(),
        "deadline": {
            "step": raised.deadline.step.as_str(),
            "agency": raised.deadline.agency.as_str(),
            "due": raised.deadline.due.to_string(),
        },
    });
    let origin = Origin {
        peer: "deadline-engine".into(),
        trace: trace.clone(),
        ..Origin::default()
    };
    let audit = Event {
        case: Some(case.id),
        from_state: Some(raised.outcome.from),
        to_state: Some(raised.outcome.to),
        payload_json: event_payload.to_string(),
        subject_digest: subject_digest(keys, &case.filing.subject.id),
        ..Event::new(
            raised.outcome.action.as_str(),
            pb::AuditOutcome::Success,
            now,
            &origin,
        )
    }
    .record();
    let snapshot = convert::inbox_snapshot(&basic).encode_to_vec();
    let inbox = notice_recipients(raised.notice, &raised.deadline, &case, holders)
        .into_iter()
        .map(|delivery| InboxRecord {
            recipient: delivery.agency,
            kind: delivery.kind,
            snapshot: snapshot.clone(),
            traceparent: trace.traceparent.clone(),
        })
        .collect();
    Applied {
        outcome: raised.outcome,
        response: basic.encode_to_vec(),
        case,
        event_payload,
        audit,
        inbox,
        subject_key: None,
        past: Vec::new(),
    }
}

/// The refusal of a raise with nothing due (never sent to an agency).
fn nothing_due() -> Error {
    Error::Precondition {
        reason: Reason::NothingDue,
        message: "no notice is due on this deadline".into(),
    }
}
