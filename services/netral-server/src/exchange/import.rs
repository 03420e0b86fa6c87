//! [`Exchange::import`]: a concluded past case brought in by a migration agency, on the same
//! write path as a live step. The case's steps are replayed by the domain on their original
//! dates ([`PastCase::replay`]); the case row, its child records, one case event per past step
//! (stamped with its original date), one `IMPORT_HISTORY` audit event (the import's own
//! instant, the source reference and the original dates in its payload) and the idempotency
//! key are written in one group-committed transaction. No inbox message, no open deadline.

use netral_domain::case::{HistoryContext, PastCase, PastStep, StepOutcome};
use netral_domain::policy::{self, CaseParties};
use netral_domain::{Action, CaseId, CaseState};
use netral_proto::v1 as pb;
use netral_store::{Applied, ExecuteError, Executed, PastEvent};
use prost::Message;
use serde_json::{Value, json};

use super::{Exchange, Mutation, Rules};
use crate::audit::{Event, subject_digest};
use crate::clock::Clock;
use crate::error::{Error, FieldViolation};
use crate::grpc::{convert, payload};

/// What became of one imported row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Written by this call.
    New(CaseId),
    /// Imported before (the same source reference): nothing was written.
    AlreadyPresent(CaseId),
}

impl Exchange {
    /// Imports `past` as the case `case_id` for `mutation.caller` (a migration agency),
    /// recording `source_reference` in its audit event. A row imported before answers
    /// [`Imported::AlreadyPresent`]; a row the domain refuses is `Error::Invalid` with its
    /// fields; nothing is written for either.
    pub async fn import(
        &self,
        mutation: Mutation,
        case_id: CaseId,
        source_reference: String,
        past: PastCase,
    ) -> Result<Imported, Error> {
        let (meta, rules) = self.prepare(&mutation, case_id, None);
        let today = Clock::date_of(rules.now);
        let parties = CaseParties {
            region: past.filing.region,
            reporting_office: past.reporting_office.clone(),
            examiner: None,
            forwarded_on: None,
            ppk: past.filing.ppk.clone(),
            state: CaseState::initial(),
            recommended: false,
        };
        policy::authorize(&rules.actor, Action::ImportHistory, &parties, today)?;
        // The replay is pure: it runs before the row queues for a writer's turn, so a bad row
        // never takes one.
        let applied = self.replayed(case_id, &source_reference, past, &rules)?;
        let executed = self
            .store
            .execute(meta, move |_none| Ok::<_, Error>(applied))
            .await;
        match executed {
            Ok(Executed::Applied(..)) => Ok(Imported::New(case_id)),
            Ok(Executed::Replayed(_)) => Ok(Imported::AlreadyPresent(case_id)),
            // The case id is the source reference's: a taken id, or its subject under its
            // number, is this row imported before (perhaps with another request id).
            Err(ExecuteError::Store(
                netral_store::StoreError::DuplicateRegistration
                | netral_store::StoreError::RequestIdReused { .. },
            )) => Ok(Imported::AlreadyPresent(case_id)),
            Err(ExecuteError::Step(err)) => Err(err),
            Err(ExecuteError::Store(err)) => Err(err.into()),
        }
    }

    /// The replayed case as the store writes it.
    fn replayed(
        &self,
        case_id: CaseId,
        source_reference: &str,
        past: PastCase,
        rules: &Rules,
    ) -> Result<Applied, Error> {
        let agencies: Vec<_> = rules.directory.iter().map(|e| &e.profile).collect();
        let cx = HistoryContext {
            agencies: &agencies,
            catalogue: &rules.catalogue,
            limits: rules.limits,
            notices: rules.notices,
            ppk_is_regional_head: rules.is_regional_head(&past.filing.ppk),
            today: Clock::date_of(rules.now),
        };
        let registration = payload::registration(&past.filing, &self.keys);
        let (case, steps) = past.replay(case_id, &cx).map_err(|violations| {
            Error::Invalid(
                violations
                    .into_iter()
                    .map(|v| FieldViolation {
                        field: v.field.to_owned(),
                        description: v.description,
                    })
                    .collect(),
            )
        })?;
        let source = json!({
            "source_reference": source_reference,
            "imported_by": rules.actor.id.as_str(),
        });
        let past: Vec<PastEvent> = steps
            .iter()
            .map(|step| past_event(step, &registration, &source))
            .collect();
        let import_payload = json!({
            "source_reference": source_reference,
            "steps": steps.iter().map(|s| json!({
                "action": s.outcome.action.as_str(),
                "actor": s.actor.as_str(),
                "on": Clock::date_of(s.at).to_string(),
                "to_state": s.outcome.to.as_str(),
            })).collect::<Vec<_>>(),
        });
        let outcome = StepOutcome::new(Action::ImportHistory, CaseState::initial(), case.state);
        let digest = subject_digest(&self.keys, &case.filing.subject.id);
        let audit = Event {
            case: Some(case.id),
            request_id: Some(rules.request_id),
            from_state: None,
            to_state: Some(case.state),
            payload_json: import_payload.to_string(),
            subject_digest: digest.clone(),
            ..Event::new(
                Action::ImportHistory.as_str(),
                pb::AuditOutcome::Success,
                rules.now,
                &rules.origin,
            )
        }
        .by(&rules.actor.id)
        .record();
        let response = convert::case(&case.clone().basic()).encode_to_vec();
        Ok(Applied {
            case,
            outcome,
            event_payload: import_payload,
            response,
            audit,
            inbox: Vec::new(),
            subject_key: Some(digest),
            past,
        })
    }
}

/// A past step's case event: the payload a live step of its kind records, marked as imported
/// with its source.
fn past_event(step: &PastStep, registration: &Value, source: &Value) -> PastEvent {
    let mut payload = match &step.command {
        None => registration.clone(),
        Some(command) => payload::command(command),
    };
    payload::record_effects(&mut payload, &step.outcome);
    if let Value::Object(fields) = &mut payload {
        fields.insert("imported".to_owned(), source.clone());
    }
    PastEvent {
        version: step.version,
        outcome: step.outcome.clone(),
        actor: step.actor.clone(),
        payload,
        at: step.at,
    }
}
