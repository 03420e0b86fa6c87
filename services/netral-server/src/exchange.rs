//! The one home of the write path. Every change to a case — from any gRPC handler, the bench
//! floor, or the history import ([`Exchange::import`]) — goes through [`Exchange::register`] or
//! [`Exchange::transition`]: the step's context (the caller, the instant of the request, the
//! rules and the per-case limits), the event payload, the domain's policy and state machine, the
//! reply in the BASIC view, and one group-committed store transaction that also appends the
//! step's audit event.

mod import;
mod notice;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use netral_domain::case::{CaseLimits, CaseRecord, Command, NewCase, NoticePolicy, StepContext};
use netral_domain::inbox::{RoleHolders, step_recipients};
use netral_domain::{Action, AgencyProfile, CaseId, Catalogue};
use netral_proto::v1 as pb;
use netral_store::{Applied, ExecuteError, Executed, InboxRecord, MutationMeta, Store};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::audit::{AuditKeys, Event, Origin, subject_digest};
use crate::clock::Clock;
use crate::directory::{Directory, DirectoryHandle};
use crate::error::Error;
use crate::grpc::{convert, payload};

pub use import::Imported;
pub use notice::{NETRAL_ACTOR, RaiseOutcome};

/// Applies steps to cases. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Where cases live; every write is one of its transactions.
    store: Store,
    /// Deadline rules and the working-day calendar the steps use.
    catalogue: Arc<Catalogue>,
    /// How much one case may hold.
    limits: CaseLimits,
    /// The secret behind subject digests in events and audit leaves.
    keys: Arc<AuditKeys>,
    /// The agencies and their dated roles: who, besides a case's parties, a step's inbox
    /// messages go to (the personnel registry, the regional overseer).
    directory: DirectoryHandle,
    /// When the deadline engine's notices fall due on the deadlines steps start.
    notices: NoticePolicy,
}

/// Who asks for a change, and how to recognise a retry of it.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The calling agency with its dated grants.
    pub caller: AgencyProfile,
    /// The caller's idempotency key.
    pub request_id: uuid::Uuid,
    /// The gRPC method (a request id reused for another method is refused).
    pub method: &'static str,
    /// A digest of the whole request (a request id reused with another payload is refused);
    /// see [`request_digest`].
    pub request_digest: [u8; 32],
    /// When the step happens: the server's clock, read once per request so the request's
    /// validation and its step stand on the same instant (whole microseconds, as
    /// [`Clock::now`] gives them).
    pub at: DateTime<Utc>,
    /// Where the request came from, for its audit event.
    pub origin: Origin,
}

/// The idempotency digest of a request: its method and its protobuf encoding.
pub fn request_digest<M: Message>(method: &str, request: &M) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(request.encode_to_vec());
    hasher.finalize().into()
}

impl Exchange {
    /// An exchange writing to `store` under these rules.
    pub fn new(
        store: Store,
        catalogue: Arc<Catalogue>,
        limits: CaseLimits,
        keys: Arc<AuditKeys>,
        directory: DirectoryHandle,
        notices: NoticePolicy,
    ) -> Self {
        Self {
            store,
            catalogue,
            limits,
            keys,
            directory,
            notices,
        }
    }

    /// Registers a new case filed by `mutation.caller`; answers the case in the BASIC view
    /// (or, for a retry, the first answer).
    pub async fn register(&self, mutation: Mutation, filing: NewCase) -> Result<pb::Case, Error> {
        let case_id = CaseId::new();
        crate::grpc::rpc_span::record_case(&case_id);
        let (meta, rules) = self.prepare(&mutation, case_id, None);
        // A caller the policy refuses never queues for a writer's turn.
        if let Err(refusal) = CaseRecord::authorize_registration(&filing, &rules.context(false)) {
            return self.replay_or(&meta, refusal.into()).await;
        }
        let keys = self.keys.clone();
        let executed = self
            .store
            .execute(meta, move |_none: Option<CaseRecord>| {
                let event_payload = payload::registration(&filing, &keys);
                let (case, outcome) = CaseRecord::register(case_id, filing, &rules.context(false))?;
                Ok::<_, Error>(applied(case, outcome, event_payload, &rules, &keys))
            })
            .await;
        reply(executed)
    }

    /// Applies `command` to the case `case_id` as `mutation.caller`, if its etag is still
    /// `etag`; answers the case in the BASIC view (or, for a retry, the first answer).
    pub async fn transition(
        &self,
        mutation: Mutation,
        case_id: CaseId,
        etag: String,
        command: Command,
    ) -> Result<pb::Case, Error> {
        let (meta, rules) = self.prepare(&mutation, case_id, Some(etag));
        if let Err(refusal) = self.admit(&meta, &rules, command.action()).await {
            return self.replay_or(&meta, refusal).await;
        }
        let keys = self.keys.clone();
        let executed = self
            .store
            .execute(meta, move |current: Option<CaseRecord>| {
                let mut case = current.ok_or_else(|| Error::NotFound("case".into()))?;
                let mut event_payload = payload::command(&command);
                let regional = rules.is_regional_head(&case.filing.ppk);
                let outcome = case.apply(command, &rules.context(regional))?;
                payload::record_effects(&mut event_payload, &outcome);
                Ok::<_, Error>(applied(case, outcome, event_payload, &rules, &keys))
            })
            .await;
        reply(executed)
    }

    /// The policy's answer to the caller, before the step queues for its transaction and
    /// before its etag is compared: a caller that may not see the case is told
    /// `CASE_NOT_ACCESSIBLE`, exactly as for a case that does not exist, and learns neither
    /// its existence nor its version; a refused caller never takes a writer's turn. The step
    /// asks again inside its transaction, on the case as it then is.
    async fn admit(&self, meta: &MutationMeta, rules: &Rules, action: Action) -> Result<(), Error> {
        let today = Clock::date_of(rules.now);
        let head = self.store.case_head(meta.case_id).await?;
        let (parties, registration) = head.map(|h| (h.parties, h.traceparent)).unzip();
        let parties = crate::grpc::readable_parties(&rules.actor, parties, today)?;
        // The case's whole life is one picture: every step links to its registration.
        if let Some(registration) = registration {
            crate::telemetry::context::link(&tracing::Span::current(), &registration);
        }
        let regional = rules.is_regional_head(&parties.ppk);
        CaseRecord::authorize_parties(parties, action, &rules.context(regional))?;
        Ok(())
    }

    /// `refusal`, unless the request is a retry of one applied before (the policy may refuse
    /// now what it allowed then, e.g. a step that closed the case): then its first reply.
    async fn replay_or(&self, meta: &MutationMeta, refusal: Error) -> Result<pb::Case, Error> {
        if !matches!(refusal, Error::Denied(_)) {
            return Err(refusal);
        }
        match self.store.replayed(meta).await {
            Ok(Some(bytes)) => reply(Ok(Executed::Replayed(bytes))),
            Ok(None) => Err(refusal),
            Err(err) => Err(err.into()),
        }
    }

    /// The store's view of the mutation, and the rules the step runs under at its instant.
    fn prepare(
        &self,
        mutation: &Mutation,
        case_id: CaseId,
        expected_etag: Option<String>,
    ) -> (MutationMeta, Rules) {
        let now = mutation.at;
        let meta = MutationMeta {
            actor: mutation.caller.id.clone(),
            request_id: mutation.request_id,
            method: mutation.method,
            request_digest: mutation.request_digest,
            case_id,
            expected_etag,
            at: now,
            traceparent: mutation.origin.trace.traceparent.clone(),
        };
        let rules = Rules {
            actor: mutation.caller.clone(),
            request_id: mutation.request_id,
            origin: mutation.origin.clone(),
            now,
            catalogue: self.catalogue.clone(),
            limits: self.limits,
            directory: self.directory.snapshot(),
            notices: self.notices,
        };
        (meta, rules)
    }
}

/// What a step closure owns to build its [`StepContext`] on the writer lane.
struct Rules {
    /// The calling agency with its grants.
    actor: AgencyProfile,
    /// The caller's idempotency key, for the audit event.
    request_id: uuid::Uuid,
    /// Where the request came from, for the audit event.
    origin: Origin,
    /// The instant of the step.
    now: DateTime<Utc>,
    /// Deadline rules and the calendar.
    catalogue: Arc<Catalogue>,
    /// How much one case may hold.
    limits: CaseLimits,
    /// Who holds which role, for the step's inbox messages.
    directory: Arc<Directory>,
    /// When notices fall due on the deadlines the step starts.
    notices: NoticePolicy,
}

impl Rules {
    fn context(&self, ppk_is_regional_head: bool) -> StepContext<'_> {
        let today = Clock::date_of(self.now);
        StepContext {
            actor: &self.actor,
            now: self.now,
            today,
            catalogue: &self.catalogue,
            limits: self.limits,
            notices: self.notices,
            ppk_is_regional_head,
            examiner_today: self.directory.examiner_on(today).ok().map(|p| &p.id),
        }
    }

    /// Whether `ppk` is a regional head: a PPK the directory gives a jurisdiction
    /// (a province, regency or city government), not a ministry or national agency.
    fn is_regional_head(&self, ppk: &netral_domain::AgencyId) -> bool {
        is_regional_head(&self.directory, ppk)
    }
}

/// The holders of the roles inbox routing needs for `case` at `now`, revoked agencies left
/// out.
pub(crate) fn role_holders(
    directory: &Directory,
    case: &CaseRecord,
    now: DateTime<Utc>,
) -> RoleHolders {
    let active: Vec<_> = directory
        .iter()
        .filter(|entry| !entry.is_revoked_at(now))
        .map(|entry| &entry.profile)
        .collect();
    RoleHolders::of(
        active.iter().copied(),
        &case.filing.region,
        Clock::date_of(now),
    )
}

/// Whether `ppk` is a regional head in `directory` (see [`Rules::is_regional_head`]).
pub(crate) fn is_regional_head(directory: &Directory, ppk: &netral_domain::AgencyId) -> bool {
    directory
        .get(ppk)
        .is_some_and(|entry| entry.profile.jurisdiction.is_some())
}

/// The step's result for the store: the case, its reply in the BASIC view (what the
/// idempotency key keeps: it does not grow with the case) and its audit event.
fn applied(
    case: CaseRecord,
    outcome: netral_domain::case::StepOutcome,
    event_payload: serde_json::Value,
    rules: &Rules,
    keys: &AuditKeys,
) -> Applied {
    // The reply and the inbox snapshot both show the BASIC view: converted once, on the
    // writer lane.
    let basic = convert::case(&case.clone().basic());
    let response = basic.encode_to_vec();
    let digest = subject_digest(keys, &case.filing.subject.id);
    // A registration's subject key is its keyed digest: with the office and the number it
    // makes the case unique (one case per ASN named in a report).
    let subject_key = (outcome.action == Action::Register).then(|| digest.clone());
    let audit = Event {
        case: Some(case.id),
        request_id: Some(rules.request_id),
        from_state: (outcome.action != Action::Register).then_some(outcome.from),
        to_state: Some(outcome.to),
        payload_json: event_payload.to_string(),
        subject_digest: digest,
        ..Event::new(
            outcome.action.as_str(),
            pb::AuditOutcome::Success,
            rules.now,
            &rules.origin,
        )
    }
    .by(&rules.actor.id)
    .record();
    let inbox = inbox_messages(&case, &basic, &outcome, rules);
    Applied {
        case,
        outcome,
        event_payload,
        response,
        audit,
        inbox,
        subject_key,
        past: Vec::new(),
    }
}

/// The step's inbox messages: one per agency the domain routes it to (role holders looked up
/// on the step's day, revoked agencies left out), each with the case's snapshot (BASIC view,
/// no personal data) and the caller's trace context.
fn inbox_messages(
    case: &CaseRecord,
    basic: &pb::Case,
    outcome: &netral_domain::case::StepOutcome,
    rules: &Rules,
) -> Vec<InboxRecord> {
    let holders = role_holders(&rules.directory, case, rules.now);
    let deliveries = step_recipients(outcome, case, &rules.actor.id, &holders);
    if deliveries.is_empty() {
        return Vec::new();
    }
    let snapshot = convert::inbox_snapshot(basic).encode_to_vec();
    deliveries
        .into_iter()
        .map(|delivery| InboxRecord {
            recipient: delivery.agency,
            kind: delivery.kind,
            snapshot: snapshot.clone(),
            traceparent: rules.origin.trace.traceparent.clone(),
        })
        .collect()
}

/// The reply to send: the step's answer or the stored first answer, decoded.
fn reply(executed: Result<Executed, ExecuteError<Error>>) -> Result<pb::Case, Error> {
    let bytes = match executed {
        Ok(Executed::Applied(_, bytes) | Executed::Replayed(bytes)) => bytes,
        Err(ExecuteError::Step(err)) => return Err(err),
        Err(ExecuteError::Store(err)) => return Err(err.into()),
    };
    pb::Case::decode(bytes.as_slice())
        .map_err(|e| Error::Unexpected(format!("stored reply does not decode: {e}")))
}
