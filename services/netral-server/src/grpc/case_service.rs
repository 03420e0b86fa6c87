//! `netral.v1.CaseService`: every transition of a case (the reads are in `case_reads`).
//!
//! Each transition handler reads top to bottom: who is calling → parse the request (all bad
//! fields at once, nothing written) → one store transaction in which the domain applies the
//! policy, the state machine and the change (all in [`crate::exchange::Exchange`]) → the
//! case, in the BASIC view, as the reply. Replays of a `request_id` return the stored first
//! reply.

use netral_domain::case::Command;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_server::CaseService;
use prost::Message;
use tonic::{Request, Response, Status};

use super::AppState;
use super::parse::{self, ParseContext, Target};
use crate::clock::Clock;
use crate::error::Error;
use crate::exchange::{Mutation, request_digest};

/// The `CaseService` implementation.
#[derive(Clone)]
pub struct CaseApi {
    /// Shared server state.
    pub(super) state: AppState,
}

impl CaseApi {
    /// A service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Runs one step on an existing case through the [`Exchange`] and returns the case (BASIC
    /// view) as the reply (or the first reply, on a replay).
    async fn step<Req: Message>(
        &self,
        req: &Request<Req>,
        method: &'static str,
        parsed: Result<(Target, Command), Error>,
    ) -> Result<pb::Case, Error> {
        self.step_at(req, method, self.state.clock.now(), parsed)
            .await
    }

    /// [`Self::step`] at the instant `at`, read once by a handler that also parsed the
    /// request with it (a forwarding names the examiner of that day).
    async fn step_at<Req: Message>(
        &self,
        req: &Request<Req>,
        method: &'static str,
        at: chrono::DateTime<chrono::Utc>,
        parsed: Result<(Target, Command), Error>,
    ) -> Result<pb::Case, Error> {
        let caller = self.state.caller(req).await?;
        let (target, command) = parsed?;
        let mutation = Mutation {
            caller: caller.profile.clone(),
            request_id: target.request_id,
            method,
            request_digest: request_digest(method, req.get_ref()),
            at,
            origin: crate::audit::Origin::of(req),
        };
        let case = target.case_id;
        let result = self
            .state
            .exchange
            .transition(mutation, case, target.etag, command)
            .await;
        self.state.audited(req, caller, Some(case), result).await
    }

    /// The examiner on the day of `at`, for a forwarding.
    fn examiner_on(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<netral_domain::AgencyId, Error> {
        let examiner = self.state.directory.examiner_on(Clock::date_of(at))?;
        Ok(examiner.id.clone())
    }
}

macro_rules! case_reply {
    ($resp:ident, $result:expr) => {
        $result
            .map(|case| Response::new(pb::$resp { r#case: Some(case) }))
            .map_err(Status::from)
    };
}

#[tonic::async_trait]
impl CaseService for CaseApi {
    async fn register_case(
        &self,
        req: Request<pb::RegisterCaseRequest>,
    ) -> Result<Response<pb::RegisterCaseResponse>, Status> {
        case_reply!(RegisterCaseResponse, self.register(req).await)
    }

    async fn extend_review(
        &self,
        req: Request<pb::ExtendReviewRequest>,
    ) -> Result<Response<pb::ExtendReviewResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "reason",
            &m.reason,
            |reason| Command::ExtendReview { reason },
        );
        case_reply!(
            ExtendReviewResponse,
            self.step(&req, "ExtendReview", parsed).await
        )
    }

    async fn dismiss_case(
        &self,
        req: Request<pb::DismissCaseRequest>,
    ) -> Result<Response<pb::DismissCaseResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "rationale",
            &m.rationale,
            |rationale| Command::Dismiss { rationale },
        );
        case_reply!(
            DismissCaseResponse,
            self.step(&req, "DismissCase", parsed).await
        )
    }

    async fn forward_case(
        &self,
        req: Request<pb::ForwardCaseRequest>,
    ) -> Result<Response<pb::ForwardCaseResponse>, Status> {
        let m = req.get_ref();
        // One instant for the examiner's day and the step: no forwarding straddles midnight.
        let now = self.state.clock.now();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "letter_number",
            &m.letter_number,
            |l| l,
        )
        .and_then(|(target, letter_number)| {
            Ok((
                target,
                Command::Forward {
                    letter_number,
                    examiner: self.examiner_on(now)?,
                },
            ))
        });
        case_reply!(
            ForwardCaseResponse,
            self.step_at(&req, "ForwardCase", now, parsed).await
        )
    }

    async fn accept_case(
        &self,
        req: Request<pb::AcceptCaseRequest>,
    ) -> Result<Response<pb::AcceptCaseResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::bare_step(&m.name, &m.etag, &m.request_id, Command::Accept);
        case_reply!(
            AcceptCaseResponse,
            self.step(&req, "AcceptCase", parsed).await
        )
    }

    async fn conclude_not_proven(
        &self,
        req: Request<pb::ConcludeNotProvenRequest>,
    ) -> Result<Response<pb::ConcludeNotProvenResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "rationale",
            &m.rationale,
            |rationale| Command::ConcludeNotProven { rationale },
        );
        case_reply!(
            ConcludeNotProvenResponse,
            self.step(&req, "ConcludeNotProven", parsed).await
        )
    }

    async fn recommend_sanction(
        &self,
        req: Request<pb::RecommendSanctionRequest>,
    ) -> Result<Response<pb::RecommendSanctionResponse>, Status> {
        let parsed = parse::recommend(req.get_ref());
        case_reply!(
            RecommendSanctionResponse,
            self.step(&req, "RecommendSanction", parsed).await
        )
    }

    async fn acknowledge_recommendation(
        &self,
        req: Request<pb::AcknowledgeRecommendationRequest>,
    ) -> Result<Response<pb::AcknowledgeRecommendationResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::bare_step(&m.name, &m.etag, &m.request_id, Command::Acknowledge);
        case_reply!(
            AcknowledgeRecommendationResponse,
            self.step(&req, "AcknowledgeRecommendation", parsed).await
        )
    }

    async fn record_sanction_decree(
        &self,
        req: Request<pb::RecordSanctionDecreeRequest>,
    ) -> Result<Response<pb::RecordSanctionDecreeResponse>, Status> {
        let parsed = parse::decree(
            req.get_ref(),
            &self.state.catalogue,
            self.state.max_sanctions_per_decree,
        );
        case_reply!(
            RecordSanctionDecreeResponse,
            self.step(&req, "RecordSanctionDecree", parsed).await
        )
    }

    async fn report_subject_separated(
        &self,
        req: Request<pb::ReportSubjectSeparatedRequest>,
    ) -> Result<Response<pb::ReportSubjectSeparatedResponse>, Status> {
        // One instant for "not in the future" and the step.
        let now = self.state.clock.now();
        let parsed = parse::separated(req.get_ref(), Clock::date_of(now));
        case_reply!(
            ReportSubjectSeparatedResponse,
            self.step_at(&req, "ReportSubjectSeparated", now, parsed)
                .await
        )
    }

    async fn record_in_registry(
        &self,
        req: Request<pb::RecordInRegistryRequest>,
    ) -> Result<Response<pb::RecordInRegistryResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "registry_reference",
            &m.registry_reference,
            |reference| Command::RecordInRegistry { reference },
        );
        case_reply!(
            RecordInRegistryResponse,
            self.step(&req, "RecordInRegistry", parsed).await
        )
    }

    async fn block_personnel_data(
        &self,
        req: Request<pb::BlockPersonnelDataRequest>,
    ) -> Result<Response<pb::BlockPersonnelDataResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "reason",
            &m.reason,
            |reason| Command::BlockPersonnelData { reason },
        );
        case_reply!(
            BlockPersonnelDataResponse,
            self.step(&req, "BlockPersonnelData", parsed).await
        )
    }

    async fn unblock_personnel_data(
        &self,
        req: Request<pb::UnblockPersonnelDataRequest>,
    ) -> Result<Response<pb::UnblockPersonnelDataResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(
            &m.name,
            &m.etag,
            &m.request_id,
            "reason",
            &m.reason,
            |reason| Command::UnblockPersonnelData { reason },
        );
        case_reply!(
            UnblockPersonnelDataResponse,
            self.step(&req, "UnblockPersonnelData", parsed).await
        )
    }

    async fn send_warning_letter(
        &self,
        req: Request<pb::SendWarningLetterRequest>,
    ) -> Result<Response<pb::SendWarningLetterResponse>, Status> {
        let parsed = parse::warning(req.get_ref());
        case_reply!(
            SendWarningLetterResponse,
            self.step(&req, "SendWarningLetter", parsed).await
        )
    }

    async fn cancel_case(
        &self,
        req: Request<pb::CancelCaseRequest>,
    ) -> Result<Response<pb::CancelCaseResponse>, Status> {
        let parsed = parse::cancel(req.get_ref());
        case_reply!(
            CancelCaseResponse,
            self.step(&req, "CancelCase", parsed).await
        )
    }

    async fn attach_evidence(
        &self,
        req: Request<pb::AttachEvidenceRequest>,
    ) -> Result<Response<pb::AttachEvidenceResponse>, Status> {
        let parsed = parse::attach(req.get_ref());
        case_reply!(
            AttachEvidenceResponse,
            self.step(&req, "AttachEvidence", parsed).await
        )
    }

    async fn add_note(
        &self,
        req: Request<pb::AddNoteRequest>,
    ) -> Result<Response<pb::AddNoteResponse>, Status> {
        let m = req.get_ref();
        let parsed = parse::text_step(&m.name, &m.etag, &m.request_id, "text", &m.text, |text| {
            Command::AddNote { text }
        });
        case_reply!(AddNoteResponse, self.step(&req, "AddNote", parsed).await)
    }

    async fn get_case(
        &self,
        req: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::GetCaseResponse>, Status> {
        case_reply!(GetCaseResponse, self.get(req).await)
    }

    async fn list_cases(
        &self,
        req: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        self.list(req)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

impl CaseApi {
    async fn register(&self, req: Request<pb::RegisterCaseRequest>) -> Result<pb::Case, Error> {
        let caller = self.state.caller(&req).await?;
        let now = self.state.clock.now();
        let directory = self.state.directory.snapshot();
        let cx = ParseContext {
            catalogue: &self.state.catalogue,
            directory: &directory,
            today: Clock::date_of(now),
        };
        let parsed = parse::register(req.get_ref(), &cx);
        let (request_id, filing) = self.state.audited(&req, caller, None, parsed).await?;
        let mutation = Mutation {
            caller: caller.profile.clone(),
            request_id,
            method: "RegisterCase",
            request_digest: request_digest("RegisterCase", req.get_ref()),
            at: now,
            origin: crate::audit::Origin::of(&req),
        };
        let result = self.state.exchange.register(mutation, filing).await;
        self.state.audited(&req, caller, None, result).await
    }
}
