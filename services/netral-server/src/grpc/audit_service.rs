//! `netral.v1.AuditService`: the history for auditors and, for its own cases, each agency.
//!
//! Who may read what: auditors (agencies holding `AUDITOR` today) read every event, export
//! the log and prove any event; another agency reads the history of a case it may read
//! (`ListAuditEvents` filtered by that case, `GetCaseHistory`, inclusion proofs of that
//! case's events). Checkpoints and consistency proofs are hashes only: every identified
//! agency may fetch them. Events never hold personal data (subjects appear as keyed
//! digests), so no read here is a disclosure; refusals are audited like any other.

use std::pin::Pin;

use futures::Stream;
use netral_domain::policy::{Denial, Role};
use netral_domain::{CaseId, Reason};
use netral_proto::v1 as pb;
use netral_proto::v1::audit_service_server::AuditService;
use netral_store::CaseView;
use netral_store::audit::{AuditEventRow, AuditFilter, ProofRefusal, StoredCheckpoint};
use tonic::{Request, Response, Status};

use super::{AppState, audit_filter, convert};
use crate::audit::LogKeeper;
use crate::clock::Clock;
use crate::directory::DirectoryEntry;
use crate::error::Error;

/// Default and largest page of `ListAuditEvents`.
const DEFAULT_PAGE: u64 = 100;
const MAX_PAGE: u64 = 1_000;
/// Leaves an export reads from the database at a time.
const EXPORT_PAGE: u64 = 1_000;
/// The most events `GetCaseHistory` answers in one message (every read of a case is an
/// event, so a much-read case can outgrow a message); beyond, `ListAuditEvents` pages.
const MAX_HISTORY: usize = 10_000;

/// The `AuditService` implementation.
#[derive(Clone)]
pub struct AuditApi {
    /// Shared server state.
    state: AppState,
    /// Sequences and signs on demand (`GetCheckpoint` for the latest).
    keeper: LogKeeper,
}

impl AuditApi {
    /// A service over `state`.
    pub fn new(state: AppState, keeper: LogKeeper) -> Self {
        Self { state, keeper }
    }

    fn is_auditor(&self, caller: &DirectoryEntry) -> bool {
        caller
            .profile
            .holds(Role::Auditor, Clock::date_of(self.state.clock.now()))
    }

    /// Refuses (and audits) a caller who is neither an auditor nor allowed to read `case`.
    async fn may_read<R>(
        &self,
        req: &Request<R>,
        caller: &DirectoryEntry,
        case: CaseId,
    ) -> Result<(), Error> {
        if self.is_auditor(caller) {
            return Ok(());
        }
        let found = self.state.store.get_case(case, CaseView::Basic).await?;
        let today = Clock::date_of(self.state.clock.now());
        let allowed = super::readable(&caller.profile, found.as_ref(), today).map(drop);
        self.state.audited(req, caller, Some(case), allowed).await
    }

    /// Refuses (and audits) a caller who is not an auditor.
    async fn auditors_only<R>(
        &self,
        req: &Request<R>,
        caller: &DirectoryEntry,
    ) -> Result<(), Error> {
        let allowed = if self.is_auditor(caller) {
            Ok(())
        } else {
            Err(Error::Denied(Denial::RoleNotHeld {
                role: Role::Auditor,
            }))
        };
        self.state.audited(req, caller, None, allowed).await
    }

    async fn list(
        &self,
        req: Request<pb::ListAuditEventsRequest>,
    ) -> Result<pb::ListAuditEventsResponse, Error> {
        let caller = self.state.caller(&req).await?;
        let m = req.get_ref();
        let filter = audit_filter::parse(&m.filter)?;
        let after = audit_filter::parse_page_token(&m.page_token, &m.filter)?;
        let size = match m.page_size {
            n if n < 0 => return Err(Error::invalid("page_size", "must not be negative")),
            0 => DEFAULT_PAGE,
            n => (n as u64).min(MAX_PAGE),
        };
        if !self.is_auditor(caller) {
            match filter.case_id {
                Some(case) => self.may_read(&req, caller, case).await?,
                None => {
                    let refused = Err(Error::Denied(Denial::RoleNotHeld {
                        role: Role::Auditor,
                    }));
                    return self.state.audited(&req, caller, None, refused).await;
                }
            }
        }
        let rows = self
            .state
            .store
            .audit_events(&filter, after, size + 1)
            .await?;
        let more = rows.len() as u64 > size;
        let events = rows
            .iter()
            .take(size as usize)
            .map(event)
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token = match (more, events.last()) {
            (true, Some(last)) => audit_filter::page_token(last.sequence as u64, &m.filter),
            _ => String::new(),
        };
        Ok(pb::ListAuditEventsResponse {
            events,
            next_page_token,
        })
    }

    async fn history(
        &self,
        req: Request<pb::GetCaseHistoryRequest>,
    ) -> Result<pb::GetCaseHistoryResponse, Error> {
        let caller = self.state.caller(&req).await?;
        let case = audit_filter::case_name(&req.get_ref().name).map_err(|_| {
            Error::invalid(
                "name",
                "is required: the case's resource name, cases/{case_id}",
            )
        })?;
        self.may_read(&req, caller, case).await?;
        let filter = AuditFilter {
            case_id: Some(case),
            ..AuditFilter::default()
        };
        let mut events = Vec::new();
        let mut after = None;
        loop {
            let rows = self
                .state
                .store
                .audit_events(&filter, after, MAX_PAGE)
                .await?;
            if events.len() + rows.len() > MAX_HISTORY {
                return Err(Error::Precondition {
                    reason: Reason::HistoryTooLong,
                    message: format!(
                        "the case has more than {MAX_HISTORY} events; page through them with \
                         ListAuditEvents and filter case = \"cases/{case}\""
                    ),
                });
            }
            for row in &rows {
                events.push(event(row)?);
            }
            match rows.last() {
                Some(last) if rows.len() as u64 == MAX_PAGE => after = Some(last.sequence),
                _ => break,
            }
        }
        Ok(pb::GetCaseHistoryResponse { events })
    }

    async fn checkpoint(
        &self,
        req: Request<pb::GetCheckpointRequest>,
    ) -> Result<pb::GetCheckpointResponse, Error> {
        self.state.caller(&req).await?;
        let stored = match req.get_ref().tree_size {
            n if n < 0 => return Err(Error::invalid("tree_size", "must not be negative")),
            0 => self.keeper.checkpoint_now().await?,
            n => self
                .state
                .store
                .audit_checkpoint(Some(n as u64))
                .await?
                .ok_or_else(|| Error::NotFound(format!("checkpoint of tree size {n}")))?,
        };
        Ok(pb::GetCheckpointResponse {
            checkpoint: Some(checkpoint(&stored)),
        })
    }

    async fn inclusion(
        &self,
        req: Request<pb::GetInclusionProofRequest>,
    ) -> Result<pb::GetInclusionProofResponse, Error> {
        let caller = self.state.caller(&req).await?;
        let m = req.get_ref();
        let (sequence, size) = sizes(("sequence", m.sequence), ("tree_size", m.tree_size))?;
        let (leaf_hash, hashes) = self
            .state
            .store
            .audit_inclusion_proof(sequence, size)
            .await
            .map_err(proof_error)?;
        let leaf = self
            .state
            .store
            .audit_leaves(sequence, sequence + 1, 1)
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("audit event {sequence}")))?;
        if !self.is_auditor(caller) {
            let decoded = decode(&leaf)?;
            let case = audit_filter::case_name(&decoded.case).ok();
            match case {
                Some(case) => self.may_read(&req, caller, case).await?,
                None => self.auditors_only(&req, caller).await?,
            }
        }
        Ok(pb::GetInclusionProofResponse {
            leaf_hash: hex::encode(leaf_hash),
            hashes: hashes.iter().map(hex::encode).collect(),
            leaf: leaf.leaf,
        })
    }

    async fn consistency(
        &self,
        req: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<pb::GetConsistencyProofResponse, Error> {
        self.state.caller(&req).await?;
        let m = req.get_ref();
        let (first, second) = sizes(
            ("first_tree_size", m.first_tree_size),
            ("second_tree_size", m.second_tree_size),
        )?;
        let hashes = self
            .state
            .store
            .audit_consistency_proof(first, second)
            .await
            .map_err(proof_error)?;
        Ok(pb::GetConsistencyProofResponse {
            hashes: hashes.iter().map(hex::encode).collect(),
        })
    }

    async fn export(&self, req: Request<pb::ExportAuditLogRequest>) -> Result<ExportStream, Error> {
        let caller = self.state.caller(&req).await?;
        self.auditors_only(&req, caller).await?;
        let m = req.get_ref();
        if m.start_sequence < 0 {
            return Err(Error::invalid("start_sequence", "must not be negative"));
        }
        let stored = match m.tree_size {
            n if n < 0 => return Err(Error::invalid("tree_size", "must not be negative")),
            0 => self.state.store.audit_checkpoint(None).await?,
            n => self.state.store.audit_checkpoint(Some(n as u64)).await?,
        }
        .ok_or_else(|| Error::NotFound("checkpoint of that tree size".into()))?;
        let start = m.start_sequence as u64;
        if start > stored.tree_size {
            return Err(Error::invalid(
                "start_sequence",
                "is beyond the checkpoint's tree size",
            ));
        }
        let store = self.state.store.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut next = start;
            while next < stored.tree_size {
                let page = match store
                    .audit_leaves(next, stored.tree_size, EXPORT_PAGE)
                    .await
                {
                    Ok(page) if !page.is_empty() => page,
                    Ok(_) => {
                        let _ = tx
                            .send(Err(Status::from(Error::Unexpected(format!(
                                "audit event {next} is missing"
                            )))))
                            .await;
                        return;
                    }
                    Err(err) => {
                        let _ = tx.send(Err(Status::from(Error::from(err)))).await;
                        return;
                    }
                };
                for row in page {
                    next = row.sequence + 1;
                    let item = pb::export_audit_log_response::Item::Leaf(pb::ExportedLeaf {
                        sequence: row.sequence as i64,
                        leaf: row.leaf,
                    });
                    if tx
                        .send(Ok(pb::ExportAuditLogResponse { item: Some(item) }))
                        .await
                        .is_err()
                    {
                        return; // the caller went away
                    }
                }
            }
            let item = pb::export_audit_log_response::Item::Checkpoint(checkpoint(&stored));
            let _ = tx
                .send(Ok(pb::ExportAuditLogResponse { item: Some(item) }))
                .await;
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }
}

/// The stream `ExportAuditLog` answers with.
type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportAuditLogResponse, Status>> + Send>>;

/// Two non-negative request integers.
fn sizes(a: (&str, i64), b: (&str, i64)) -> Result<(u64, u64), Error> {
    let one = |(field, value): (&str, i64)| {
        u64::try_from(value).map_err(|_| Error::invalid(field, "must not be negative"))
    };
    Ok((one(a)?, one(b)?))
}

fn proof_error(refusal: ProofRefusal) -> Error {
    match refusal {
        ProofRefusal::Request(err) => Error::invalid("tree_size", err.to_string()),
        ProofRefusal::BeyondHead { head } => Error::Precondition {
            reason: Reason::TreeSizeBeyondLog,
            message: format!(
                "the log holds {head} sequenced events; ask for a signed checkpoint's size"
            ),
        },
        ProofRefusal::Store(err) => err.into(),
    }
}

fn decode(row: &AuditEventRow) -> Result<pb::AuditLeaf, Error> {
    netral_audit::leaf::decode(&row.leaf).map_err(|e| {
        Error::Unexpected(format!("audit event {} does not decode: {e}", row.sequence))
    })
}

/// The contract's event, every field read from the leaf.
fn event(row: &AuditEventRow) -> Result<pb::AuditEvent, Error> {
    let leaf = decode(row)?;
    Ok(pb::AuditEvent {
        name: format!("auditEvents/{}", row.sequence),
        sequence: row.sequence as i64,
        case: leaf.case,
        action: leaf.action,
        actor: leaf.actor,
        request_id: leaf.request_id,
        create_time: leaf.time,
        from_state: leaf.from_state,
        to_state: leaf.to_state,
        payload_json: leaf.payload_json,
        leaf_hash: hex::encode(row.leaf_hash),
        outcome: leaf.outcome,
        reason: leaf.reason,
        certificate_fingerprint: leaf.certificate_fingerprint,
        trace_id: leaf.trace_id,
        span_id: leaf.span_id,
        peer: leaf.peer,
        subject_digest: leaf.subject_digest,
        leaf: row.leaf.clone(),
    })
}

fn checkpoint(stored: &StoredCheckpoint) -> pb::Checkpoint {
    use base64::Engine;
    pb::Checkpoint {
        tree_size: stored.tree_size as i64,
        root_hash: hex::encode(stored.root),
        create_time: Some(convert::timestamp(stored.created_at)),
        key_id: stored.key_id.clone(),
        signature: base64::engine::general_purpose::STANDARD.encode(&stored.signature),
        note: stored.note.clone(),
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        req: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        self.list(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_case_history(
        &self,
        req: Request<pb::GetCaseHistoryRequest>,
    ) -> Result<Response<pb::GetCaseHistoryResponse>, Status> {
        self.history(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_checkpoint(
        &self,
        req: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::GetCheckpointResponse>, Status> {
        self.checkpoint(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_inclusion_proof(
        &self,
        req: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::GetInclusionProofResponse>, Status> {
        self.inclusion(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn get_consistency_proof(
        &self,
        req: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::GetConsistencyProofResponse>, Status> {
        self.consistency(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    type ExportAuditLogStream = ExportStream;

    async fn export_audit_log(
        &self,
        req: Request<pb::ExportAuditLogRequest>,
    ) -> Result<Response<Self::ExportAuditLogStream>, Status> {
        self.export(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}
