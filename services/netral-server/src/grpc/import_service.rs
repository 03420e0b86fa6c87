//! `netral.v1.ImportService`: a migration agency brings in concluded past cases. The caller
//! is checked once (only `MIGRATION` may import: anyone else is `PERMISSION_DENIED`, audited);
//! then each row is parsed and imported on its own through [`crate::exchange::Exchange::import`],
//! all rows of a batch at once so their commits share group commits, and each answers its own
//! result: imported, already present, or refused with its field violations.

use futures::future::join_all;
use netral_domain::policy;
use netral_proto::v1 as pb;
use netral_proto::v1::import_service_server::ImportService;
use tonic::{Request, Response, Status};

use super::AppState;
use super::import_parse;
use super::parse::ParseContext;
use crate::clock::Clock;
use crate::error::Error;
use crate::exchange::{Imported, Mutation, request_digest};

/// The most rows one `ImportCases` call may carry.
pub const MAX_IMPORT_ROWS: usize = 500;
/// The method name in idempotency keys and audit events.
const METHOD: &str = "ImportCases";

/// The `ImportService` implementation.
#[derive(Clone)]
pub struct ImportApi {
    /// Shared server state.
    state: AppState,
}

impl ImportApi {
    /// A service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The batch's results, once the caller may import.
    async fn import(
        &self,
        req: &Request<pb::ImportCasesRequest>,
    ) -> Result<Vec<pb::ImportCaseResult>, Error> {
        let caller = self.state.caller(req).await?;
        let now = self.state.clock.now();
        let today = Clock::date_of(now);
        let allowed = policy::may_import(&caller.profile, today).map_err(Error::from);
        self.state.audited(req, caller, None, allowed).await?;
        let rows = &req.get_ref().cases;
        if rows.is_empty() || rows.len() > MAX_IMPORT_ROWS {
            return Err(Error::invalid(
                "cases",
                format!("one call imports from 1 to {MAX_IMPORT_ROWS} cases"),
            ));
        }
        let directory = self.state.directory.snapshot();
        let cx = ParseContext {
            catalogue: &self.state.catalogue,
            directory: &directory,
            today,
        };
        let origin = crate::audit::Origin::of(req);
        let imports = rows.iter().map(|row| {
            let parsed = import_parse::row(row, &cx, self.state.max_sanctions_per_decree);
            let origin = origin.clone();
            async move {
                let parsed = parsed?;
                let mutation = Mutation {
                    caller: caller.profile.clone(),
                    request_id: parsed.request_id,
                    method: METHOD,
                    request_digest: request_digest(METHOD, row),
                    at: now,
                    origin,
                };
                self.state
                    .exchange
                    .import(
                        mutation,
                        parsed.case_id,
                        parsed.source_reference,
                        parsed.past,
                    )
                    .await
            }
        });
        let outcomes = join_all(imports).await;
        Ok(rows
            .iter()
            .zip(outcomes)
            .map(|(row, outcome)| result(row, outcome))
            .collect())
    }
}

/// One row's result.
fn result(row: &pb::PastCase, outcome: Result<Imported, Error>) -> pb::ImportCaseResult {
    let mut result = pb::ImportCaseResult {
        source_line: row.source_line,
        source_reference: row.source_reference.clone(),
        ..Default::default()
    };
    match outcome {
        Ok(Imported::New(id)) => {
            result.set_result(pb::ImportResult::Imported);
            result.r#case = id.resource_name();
        }
        Ok(Imported::AlreadyPresent(id)) => {
            result.set_result(pb::ImportResult::AlreadyPresent);
            result.r#case = id.resource_name();
        }
        Err(err) => {
            result.set_result(pb::ImportResult::Refused);
            result.reason = err.reason().as_str().to_owned();
            if let Error::Invalid(violations) = &err {
                result.message = "the row is invalid".into();
                result.field_violations = violations
                    .iter()
                    .map(|v| pb::ImportFieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                    })
                    .collect();
            } else {
                result.message = Status::from(err).message().to_owned();
            }
        }
    }
    result
}

#[tonic::async_trait]
impl ImportService for ImportApi {
    async fn import_cases(
        &self,
        req: Request<pb::ImportCasesRequest>,
    ) -> Result<Response<pb::ImportCasesResponse>, Status> {
        let results = self.import(&req).await.map_err(Status::from)?;
        Ok(Response::new(pb::ImportCasesResponse { results }))
    }
}
