//! Sending the `netral case` steps ([`super::verbs`]). Every step names the case
//! (`cases/<uuid>` or the bare uuid) and takes its fields as flags; the etag is read from the
//! case (`GetCase`, BASIC view) unless `--etag` is given, and the request id is a fresh UUID
//! v7 unless `--request-id` is given. A step is sent again on `UNAVAILABLE` with the same
//! request id, which the server applies once.

use std::io::Write;

use anyhow::Context;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use uuid::Uuid;

pub use super::verbs::{CaseCommand, Client, DecreeArgs, StepArgs, rpc_name};
use super::{CaseArgs, output, read};
use crate::{protojson, rpc};

/// The name, etag and request id a step carries.
pub struct Header {
    /// `cases/<uuid>`.
    pub name: String,
    /// The etag given or just read.
    pub etag: String,
    /// The request id given or just chosen.
    pub request_id: String,
}

/// Runs a `netral case` command.
pub async fn run(args: CaseArgs, out: &mut dyn Write, note: &mut dyn Write) -> anyhow::Result<()> {
    let client = CaseServiceClient::new(args.profile.resolve_acting()?.channel().await?);
    let output = args.output;
    let step = match &args.command {
        CaseCommand::Register(register) => {
            return read::register(&client, register, output, out, note).await;
        }
        CaseCommand::Get(get) => return read::get(&client, get, output, out).await,
        CaseCommand::List(list) => return read::list(&client, list, output, out).await,
        CaseCommand::ExtendReview { step, .. }
        | CaseCommand::Dismiss { step, .. }
        | CaseCommand::Forward { step, .. }
        | CaseCommand::Accept { step }
        | CaseCommand::NotProven { step, .. }
        | CaseCommand::Recommend { step, .. }
        | CaseCommand::Acknowledge { step }
        | CaseCommand::Decree(DecreeArgs { step, .. })
        | CaseCommand::Separated { step, .. }
        | CaseCommand::Record { step, .. }
        | CaseCommand::Block { step, .. }
        | CaseCommand::Unblock { step, .. }
        | CaseCommand::Warn { step, .. }
        | CaseCommand::Cancel { step, .. }
        | CaseCommand::Attach { step, .. }
        | CaseCommand::Note { step, .. } => step.clone(),
    };
    let header = header(&client, &step).await?;
    writeln!(
        note,
        "request_id {} (to retry: --request-id {})",
        header.request_id, header.request_id
    )?;
    let case = send(&client, args.command, header).await?;
    output::case(&case, output, out)
}

/// The step's name, its etag (read unless given) and its request id (fresh unless given).
async fn header(client: &Client, step: &StepArgs) -> anyhow::Result<Header> {
    let name = step.case.to_string();
    let etag =
        match &step.etag {
            Some(etag) => etag.clone(),
            None => read::fetch(client, &name, pb::CaseView::Basic)
                .await
                .context(
                    "reading the case for its etag (an agency that may not read it passes --etag)",
                )?
                .etag,
        };
    let request_id = step.request_id.unwrap_or_else(Uuid::now_v7).to_string();
    Ok(Header {
        name,
        etag,
        request_id,
    })
}

/// Sends `$request` with the client method `$method`, named `$rpc` in errors, and returns
/// the reply's case.
macro_rules! send_step {
    ($client:expr, $rpc:literal, $method:ident, $request:expr) => {{
        let request = $request;
        rpc::unary($rpc, || {
            let (mut client, request) = ($client.clone(), request.clone());
            async move { client.$method(request).await }
        })
        .await?
        .r#case
    }};
}

/// Sends the step `command` names with `h`'s name, etag and request id.
pub async fn send(client: &Client, command: CaseCommand, h: Header) -> anyhow::Result<pb::Case> {
    let Header {
        name,
        etag,
        request_id,
    } = h;
    let case = match command {
        CaseCommand::Register(_) | CaseCommand::Get(_) | CaseCommand::List(_) => {
            anyhow::bail!("not a step")
        }
        CaseCommand::ExtendReview { reason, .. } => {
            send_step!(
                client,
                "ExtendReview",
                extend_review,
                pb::ExtendReviewRequest {
                    name,
                    etag,
                    request_id,
                    reason
                }
            )
        }
        CaseCommand::Dismiss { rationale, .. } => {
            send_step!(
                client,
                "DismissCase",
                dismiss_case,
                pb::DismissCaseRequest {
                    name,
                    etag,
                    request_id,
                    rationale
                }
            )
        }
        CaseCommand::Forward { letter_number, .. } => {
            send_step!(
                client,
                "ForwardCase",
                forward_case,
                pb::ForwardCaseRequest {
                    name,
                    etag,
                    request_id,
                    letter_number
                }
            )
        }
        CaseCommand::Accept { .. } => {
            send_step!(
                client,
                "AcceptCase",
                accept_case,
                pb::AcceptCaseRequest {
                    name,
                    etag,
                    request_id
                }
            )
        }
        CaseCommand::NotProven { rationale, .. } => {
            send_step!(
                client,
                "ConcludeNotProven",
                conclude_not_proven,
                pb::ConcludeNotProvenRequest {
                    name,
                    etag,
                    request_id,
                    rationale
                }
            )
        }
        CaseCommand::Recommend {
            level,
            moral_sanction,
            letter_number,
            rationale,
            ..
        } => {
            let recommendation = Some(pb::SanctionRecommendation {
                level: level as i32,
                moral_sanction: moral_sanction.unwrap_or(pb::MoralSanction::Unspecified) as i32,
                letter_number,
                rationale,
            });
            send_step!(
                client,
                "RecommendSanction",
                recommend_sanction,
                pb::RecommendSanctionRequest {
                    name,
                    etag,
                    request_id,
                    recommendation
                }
            )
        }
        CaseCommand::Acknowledge { .. } => {
            send_step!(
                client,
                "AcknowledgeRecommendation",
                acknowledge_recommendation,
                pb::AcknowledgeRecommendationRequest {
                    name,
                    etag,
                    request_id
                }
            )
        }
        CaseCommand::Decree(decree) => {
            let sanctions = decree_sanctions(decree)?;
            send_step!(
                client,
                "RecordSanctionDecree",
                record_sanction_decree,
                pb::RecordSanctionDecreeRequest {
                    name,
                    etag,
                    request_id,
                    sanctions
                }
            )
        }
        CaseCommand::Separated {
            reason,
            effective_date,
            ..
        } => {
            send_step!(
                client,
                "ReportSubjectSeparated",
                report_subject_separated,
                pb::ReportSubjectSeparatedRequest {
                    name,
                    etag,
                    request_id,
                    reason: reason as i32,
                    effective_date: Some(effective_date),
                }
            )
        }
        CaseCommand::Record {
            registry_reference, ..
        } => {
            send_step!(
                client,
                "RecordInRegistry",
                record_in_registry,
                pb::RecordInRegistryRequest {
                    name,
                    etag,
                    request_id,
                    registry_reference
                }
            )
        }
        CaseCommand::Block { reason, .. } => {
            send_step!(
                client,
                "BlockPersonnelData",
                block_personnel_data,
                pb::BlockPersonnelDataRequest {
                    name,
                    etag,
                    request_id,
                    reason
                }
            )
        }
        CaseCommand::Unblock { reason, .. } => {
            send_step!(
                client,
                "UnblockPersonnelData",
                unblock_personnel_data,
                pb::UnblockPersonnelDataRequest {
                    name,
                    etag,
                    request_id,
                    reason
                }
            )
        }
        CaseCommand::Warn {
            letter_number,
            letter_date,
            ..
        } => {
            send_step!(
                client,
                "SendWarningLetter",
                send_warning_letter,
                pb::SendWarningLetterRequest {
                    name,
                    etag,
                    request_id,
                    letter_number,
                    letter_date: Some(letter_date),
                }
            )
        }
        CaseCommand::Cancel { reason, detail, .. } => {
            send_step!(
                client,
                "CancelCase",
                cancel_case,
                pb::CancelCaseRequest {
                    name,
                    etag,
                    request_id,
                    reason: reason as i32,
                    detail
                }
            )
        }
        CaseCommand::Attach {
            digest,
            media_type,
            title,
            size_bytes,
            ..
        } => {
            let attachment = Some(pb::Attachment {
                digest,
                media_type,
                title,
                size_bytes,
                ..Default::default()
            });
            send_step!(
                client,
                "AttachEvidence",
                attach_evidence,
                pb::AttachEvidenceRequest {
                    name,
                    etag,
                    request_id,
                    attachment
                }
            )
        }
        CaseCommand::Note { text, .. } => {
            send_step!(
                client,
                "AddNote",
                add_note,
                pb::AddNoteRequest {
                    name,
                    etag,
                    request_id,
                    text
                }
            )
        }
    };
    case.ok_or_else(|| anyhow::anyhow!("the server's reply carries no case"))
}

/// The sanctions of a decree: from `--file`, or the `--sanction` codes under one decree.
fn decree_sanctions(decree: DecreeArgs) -> anyhow::Result<Vec<pb::ImposedSanction>> {
    if let Some(file) = &decree.file {
        let request: pb::RecordSanctionDecreeRequest =
            protojson::read_file("netral.v1.RecordSanctionDecreeRequest", file)?;
        return Ok(request.sanctions);
    }
    let number = decree.decree_number.unwrap_or_default();
    Ok(decree
        .sanctions
        .into_iter()
        .map(|code| pb::ImposedSanction {
            code,
            decree_number: number.clone(),
            decree_date: decree.decree_date,
        })
        .collect())
}
