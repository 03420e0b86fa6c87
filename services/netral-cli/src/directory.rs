//! `netral directory`: the exchange's reference data (`DirectoryService`), every page of it,
//! as a table or as the proto3 JSON of the list reply (all pages in one, no page token).
//!
//! ```text
//! netral directory agencies [--filter 'role = ROLE_PPK AND region_code = "63"']
//! netral directory agency ID
//! netral directory regions [--filter 'code = "63"']
//! netral directory non-working-days [--filter 'year = 2024']
//! netral directory deadline-rules [--filter 'election_kind = ELECTION_KIND_PILKADA']
//! netral directory violation-forms
//! netral directory sanctions [--filter 'level = SANCTION_LEVEL_SEVERE']
//! ```

use std::future::Future;
use std::io::Write;

use clap::{Args, Subcommand};
use netral_proto::v1 as pb;
use netral_proto::v1::directory_service_client::DirectoryServiceClient;
use tonic::{Response, Status};

use crate::case::Output;
use crate::case::parse::{short, show_date};
use crate::profile::ProfileArgs;
use crate::stats::print_table;
use crate::{protojson, rpc};

/// Arguments of `netral directory`.
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    /// Where and as whom (any agency may read the directory).
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Table or JSON.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    /// What to list.
    #[command(subcommand)]
    pub command: DirectoryCommand,
}

/// The directory's lists.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// ListAgencies: the agencies and the roles they hold.
    Agencies(Filter),
    /// GetAgency: one agency.
    Agency {
        /// The agency id (`bkn`) or name (`agencies/bkn`).
        id: String,
    },
    /// ListRegions: provinces and regencies/cities with their Kemendagri codes.
    Regions(Filter),
    /// ListNonWorkingDays: holidays and collective leave.
    NonWorkingDays(Filter),
    /// ListDeadlineRules: each step's deadline.
    DeadlineRules(Filter),
    /// ListViolationForms: the 13 forms of the 2022 joint decree.
    ViolationForms,
    /// ListSanctions: what a PPK may impose.
    Sanctions(Filter),
}

/// A list's filter.
#[derive(Debug, Args)]
pub struct Filter {
    /// The list's filter expression (see the RPC's documentation).
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
}

/// The largest page the directory serves.
const PAGE: i32 = 1000;

/// Every item of a paginated list: `call(token)` fetches a page, `split` takes its items and
/// next token apart.
async fn pages<T, R, F, Fut>(
    rpc: &str,
    mut call: F,
    split: fn(R) -> (Vec<T>, String),
) -> anyhow::Result<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Response<R>, Status>>,
{
    let (mut items, mut token) = (Vec::new(), String::new());
    loop {
        let (mut page, next) = split(rpc::unary(rpc, || call(token.clone())).await?);
        items.append(&mut page);
        if next.is_empty() {
            return Ok(items);
        }
        token = next;
    }
}

/// Lists every page of `$method` with `$request` (its `page_token` filled per page).
macro_rules! list_all {
    ($client:expr, $rpc:literal, $method:ident, $request:expr, $field:ident) => {
        pages(
            $rpc,
            |page_token| {
                let mut client = $client.clone();
                let request = $request(page_token);
                async move { client.$method(request).await }
            },
            |reply| (reply.$field, reply.next_page_token),
        )
        .await?
    };
}

/// Runs a `netral directory` command.
pub async fn run(args: DirectoryArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = DirectoryServiceClient::new(args.profile.channel().await?);
    let json = args.output == Output::Json;
    match args.command {
        DirectoryCommand::Agency { id } => {
            let name = if id.starts_with("agencies/") {
                id
            } else {
                format!("agencies/{id}")
            };
            let request = pb::GetAgencyRequest { name };
            let agency = rpc::unary("GetAgency", || {
                let (mut client, request) = (client.clone(), request.clone());
                async move { client.get_agency(request).await }
            })
            .await?
            .agency
            .unwrap_or_default();
            if json {
                return protojson::write("netral.v1.Agency", &agency, out);
            }
            agencies(&[agency], out)
        }
        DirectoryCommand::Agencies(Filter { filter }) => {
            let request = |page_token| pb::ListAgenciesRequest {
                page_size: PAGE,
                page_token,
                filter: filter.clone(),
            };
            let items = list_all!(client, "ListAgencies", list_agencies, request, agencies);
            if json {
                let reply = pb::ListAgenciesResponse {
                    agencies: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListAgenciesResponse", &reply, out);
            }
            agencies(&items, out)
        }
        DirectoryCommand::Regions(Filter { filter }) => {
            let request = |page_token| pb::ListRegionsRequest {
                page_size: PAGE,
                page_token,
                filter: filter.clone(),
            };
            let items = list_all!(client, "ListRegions", list_regions, request, regions);
            if json {
                let reply = pb::ListRegionsResponse {
                    regions: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListRegionsResponse", &reply, out);
            }
            let rows = items
                .iter()
                .map(|r| vec![r.code.clone(), r.display_name.clone()]);
            table(["code", "display_name"], rows, out)
        }
        DirectoryCommand::NonWorkingDays(Filter { filter }) => {
            let request = |page_token| pb::ListNonWorkingDaysRequest {
                page_size: PAGE,
                page_token,
                filter: filter.clone(),
            };
            let items = list_all!(
                client,
                "ListNonWorkingDays",
                list_non_working_days,
                request,
                days
            );
            if json {
                let reply = pb::ListNonWorkingDaysResponse {
                    days: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListNonWorkingDaysResponse", &reply, out);
            }
            let rows = items.iter().map(|d| {
                let kind = short(d.kind().as_str_name(), "NON_WORKING_DAY_KIND_").to_owned();
                vec![show_date(d.date.as_ref()), kind, d.display_name.clone()]
            });
            table(["date", "kind", "display_name"], rows, out)
        }
        DirectoryCommand::DeadlineRules(Filter { filter }) => {
            let request = |page_token| pb::ListDeadlineRulesRequest {
                page_size: PAGE,
                page_token,
                filter: filter.clone(),
            };
            let items = list_all!(
                client,
                "ListDeadlineRules",
                list_deadline_rules,
                request,
                rules
            );
            if json {
                let reply = pb::ListDeadlineRulesResponse {
                    rules: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListDeadlineRulesResponse", &reply, out);
            }
            let rows = items.iter().map(|r| {
                vec![
                    short(r.step().as_str_name(), "DEADLINE_STEP_").to_owned(),
                    short(r.election_kind().as_str_name(), "ELECTION_KIND_").to_owned(),
                    format!(
                        "{} {}",
                        r.length,
                        short(r.unit().as_str_name(), "DAY_UNIT_")
                    ),
                    r.source.clone(),
                ]
            });
            table(["step", "election_kind", "length", "source"], rows, out)
        }
        DirectoryCommand::ViolationForms => {
            let request = |page_token| pb::ListViolationFormsRequest {
                page_size: PAGE,
                page_token,
                filter: String::new(),
            };
            let items = list_all!(
                client,
                "ListViolationForms",
                list_violation_forms,
                request,
                forms
            );
            if json {
                let reply = pb::ListViolationFormsResponse {
                    forms: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListViolationFormsResponse", &reply, out);
            }
            let rows = items.iter().map(|f| {
                let level = short(f.default_level().as_str_name(), "SANCTION_LEVEL_").to_owned();
                vec![f.number.to_string(), f.code.clone(), level, f.title.clone()]
            });
            table(["number", "code", "default_level", "title"], rows, out)
        }
        DirectoryCommand::Sanctions(Filter { filter }) => {
            let request = |page_token| pb::ListSanctionsRequest {
                page_size: PAGE,
                page_token,
                filter: filter.clone(),
            };
            let items = list_all!(client, "ListSanctions", list_sanctions, request, sanctions);
            if json {
                let reply = pb::ListSanctionsResponse {
                    sanctions: items,
                    ..Default::default()
                };
                return protojson::write("netral.v1.ListSanctionsResponse", &reply, out);
            }
            let rows = items.iter().map(|s| {
                let level = match s.level() {
                    pb::SanctionLevel::Unspecified => {
                        short(s.moral().as_str_name(), "MORAL_SANCTION_")
                    }
                    level => short(level.as_str_name(), "SANCTION_LEVEL_"),
                };
                vec![
                    s.code.clone(),
                    level.to_owned(),
                    s.title.clone(),
                    s.legal_basis.clone(),
                ]
            });
            table(["code", "level", "title", "legal_basis"], rows, out)
        }
    }
}

/// Agencies with their roles and dates.
fn agencies(items: &[pb::Agency], out: &mut dyn Write) -> anyhow::Result<()> {
    let rows = items.iter().map(|a| {
        let grants: Vec<String> = a
            .grants
            .iter()
            .map(|g| {
                let until = show_date(g.valid_until.as_ref());
                let role = short(g.role().as_str_name(), "ROLE_");
                format!("{role} {}..{until}", show_date(g.valid_from.as_ref()))
            })
            .collect();
        let id = a
            .name
            .strip_prefix("agencies/")
            .unwrap_or(&a.name)
            .to_owned();
        vec![
            id,
            a.region_code.clone(),
            grants.join(", "),
            a.display_name.clone(),
        ]
    });
    table(["agency", "region", "roles", "display_name"], rows, out)
}

/// Prints `heading` and `rows` as aligned text columns.
fn table<const N: usize>(
    heading: [&str; N],
    rows: impl Iterator<Item = Vec<String>>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut all = vec![heading.map(str::to_owned).to_vec()];
    all.extend(rows);
    print_table(&all, N, out)
}

/// The directory client of a resolved connection (the demo reads the examiner of the day
/// this way).
pub async fn client(
    profile: &ProfileArgs,
) -> anyhow::Result<DirectoryServiceClient<crate::trace::Traced>> {
    Ok(DirectoryServiceClient::new(profile.channel().await?))
}
