//! `netral case register`, `get` and `list`: a case in from a JSON file, one case out, a page
//! (or every page) of the cases the agency may see.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use netral_proto::v1 as pb;
use uuid::Uuid;

use super::steps::Client;
use super::{Output, output, parse};
use crate::audit::history::CaseName;
use crate::{protojson, rpc};

/// `netral case register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The case as proto3 JSON of `netral.v1.Case`, or a whole `RegisterCaseRequest` (as
    /// docs/examples/register-case.json; its `request_id` is used unless `--request-id`);
    /// `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// The idempotency key (a UUID): give the one a failed attempt printed to retry it.
    #[arg(long, value_name = "UUID")]
    pub request_id: Option<Uuid>,
}

/// `netral case get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The case: `cases/<uuid>` or the bare uuid.
    #[arg(value_name = "CASE")]
    pub case: CaseName,
    /// basic or full (notes, attachments and escalations too).
    #[arg(long, value_parser = parse::view, default_value = "full")]
    pub view: pb::CaseView,
}

/// `netral case list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// `field = value` terms joined by ` AND `, e.g. `state = CASE_STATE_FORWARDED AND
    /// region_code = "63"`.
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
    /// basic or full.
    #[arg(long, value_parser = parse::view, default_value = "basic")]
    pub view: pb::CaseView,
    /// Cases per page (the server caps it at 500).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub page_size: i32,
    /// Continue from a previous page's `next_page_token`.
    #[arg(long, value_name = "TOKEN", default_value = "", conflicts_with = "all")]
    pub page_token: String,
    /// Every page, not only the first.
    #[arg(long)]
    pub all: bool,
}

/// Reads one case in `view`.
pub async fn fetch(client: &Client, name: &str, view: pb::CaseView) -> anyhow::Result<pb::Case> {
    let request = pb::GetCaseRequest {
        name: name.to_owned(),
        view: view as i32,
    };
    rpc::unary("GetCase", || {
        let (mut client, request) = (client.clone(), request.clone());
        async move { client.get_case(request).await }
    })
    .await?
    .r#case
    .ok_or_else(|| anyhow::anyhow!("the server's reply carries no case"))
}

/// Registers the case in `args.file`.
pub async fn register(
    client: &Client,
    args: &RegisterArgs,
    output: Output,
    out: &mut dyn Write,
    note: &mut dyn Write,
) -> anyhow::Result<()> {
    let text = protojson::read_text(&args.file)?;
    let whole = serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|value| value.get("case").is_some());
    let in_file = || format!("in {}", args.file.display());
    let mut request = if whole {
        protojson::from_str("netral.v1.RegisterCaseRequest", &text).with_context(in_file)?
    } else {
        let case = protojson::from_str("netral.v1.Case", &text).with_context(in_file)?;
        pb::RegisterCaseRequest {
            request_id: String::new(),
            r#case: Some(case),
        }
    };
    if let Some(id) = args.request_id {
        request.request_id = id.to_string();
    } else if request.request_id.is_empty() {
        request.request_id = Uuid::now_v7().to_string();
    }
    let request_id = &request.request_id;
    writeln!(
        note,
        "request_id {request_id} (to retry: --request-id {request_id})"
    )?;
    let case = send_registration(client, request).await?;
    output::case(&case, output, out)
}

/// Sends a registration (again on `UNAVAILABLE`, with its request id) and returns the case.
pub async fn send_registration(
    client: &Client,
    request: pb::RegisterCaseRequest,
) -> anyhow::Result<pb::Case> {
    rpc::unary("RegisterCase", || {
        let (mut client, request) = (client.clone(), request.clone());
        async move { client.register_case(request).await }
    })
    .await?
    .r#case
    .ok_or_else(|| anyhow::anyhow!("the server's reply carries no case"))
}

/// Prints one case.
pub async fn get(
    client: &Client,
    args: &GetArgs,
    output: Output,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let case = fetch(client, &args.case.to_string(), args.view).await?;
    output::case(&case, output, out)
}

/// Prints a page of cases, or every page with `--all`.
pub async fn list(
    client: &Client,
    args: &ListArgs,
    output: Output,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut page = pb::ListCasesResponse {
        cases: Vec::new(),
        next_page_token: args.page_token.clone(),
    };
    loop {
        let request = pb::ListCasesRequest {
            page_size: args.page_size,
            page_token: page.next_page_token.clone(),
            filter: args.filter.clone(),
            view: args.view as i32,
        };
        let mut reply = rpc::unary("ListCases", || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await?;
        page.cases.append(&mut reply.cases);
        page.next_page_token = reply.next_page_token;
        if !args.all || page.next_page_token.is_empty() {
            break;
        }
    }
    output::page(&page, output, out)
}
