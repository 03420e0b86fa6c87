//! `netral demo`: the seed stories of DOMAIN.md played against a running dev server through
//! the real RPCs, each step as the agency whose turn it is (with its own dev certificate),
//! one printed line per step; then the compliance table (`netral stats compliance`, as the
//! policy owner) and one case's audit timeline (`netral audit history`, as an auditor).
//!
//! The civil servants are fictional; agencies and places are real. A story whose
//! registration number the office already used is not played again: the demo says which
//! cases exist and moves on, so it can run twice against the same server.
//!
//! | module | what |
//! |---|---|
//! | [`stories`] | the four stories and their outcomes |
//! | [`report`] | a story's report and opening, dates, decrees |

pub mod report;
pub mod stories;

use std::collections::HashMap;
use std::io::Write;

use clap::Args;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use uuid::Uuid;

use crate::audit::history::{CaseName, HistoryArgs};
use crate::case::output::{open_deadline, state};
use crate::case::read;
use crate::case::steps::{self, CaseCommand, Client, Header, StepArgs};
use crate::profile::ProfileArgs;
use crate::stats::{ComplianceArgs, Dimension, Output, StatsArgs, StatsCommand};
use crate::{audit, rpc};

/// Arguments of `netral demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the dev server is and its dev PKI (`--endpoint`, `--pki`; the agencies are
    /// chosen by the demo).
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// Plays the stories, writing one line per step to `out`.
pub struct Player<'a> {
    /// The connection settings every agency's connection starts from.
    profile: ProfileArgs,
    /// One client per agency, connected on first use.
    clients: HashMap<String, Client>,
    /// Where the lines go.
    out: &'a mut dyn Write,
}

impl<'a> Player<'a> {
    /// A player connecting with `profile`'s endpoint and PKI.
    pub fn new(profile: ProfileArgs, out: &'a mut dyn Write) -> Self {
        Self {
            profile,
            clients: HashMap::new(),
            out,
        }
    }

    /// The case client of `agency`, presenting its dev certificate.
    async fn client(&mut self, agency: &str) -> anyhow::Result<Client> {
        if let Some(client) = self.clients.get(agency) {
            return Ok(client.clone());
        }
        let channel = self.profile.as_agency(agency)?.channel().await?;
        let client = CaseServiceClient::new(channel);
        self.clients.insert(agency.to_owned(), client.clone());
        Ok(client)
    }

    /// Prints a story's heading.
    pub fn story(&mut self, title: &str) -> anyhow::Result<()> {
        writeln!(self.out, "\n{title}")?;
        Ok(())
    }

    /// The cases `office` already registered under `number`, said aloud; empty when none.
    pub async fn existing(&mut self, office: &str, number: &str) -> anyhow::Result<Vec<pb::Case>> {
        let client = self.client(office).await?;
        let request = pb::ListCasesRequest {
            page_size: 50,
            filter: format!(
                "registration_number = \"{number}\" AND reporting_office = \"agencies/{office}\""
            ),
            ..Default::default()
        };
        let cases = rpc::unary("ListCases", || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_cases(request).await }
        })
        .await?
        .cases;
        for case in &cases {
            writeln!(
                self.out,
                "  {office:<28} already registered {number}: {} {}",
                case.name,
                state(case)
            )?;
        }
        Ok(cases)
    }

    /// Registers `case` as `office`.
    pub async fn register(&mut self, office: &str, case: pb::Case) -> anyhow::Result<pb::Case> {
        let client = self.client(office).await?;
        let request = pb::RegisterCaseRequest {
            request_id: Uuid::now_v7().to_string(),
            r#case: Some(case),
        };
        let case = read::send_registration(&client, request).await?;
        self.line(office, "RegisterCase", &case)?;
        Ok(case)
    }

    /// Takes the step `command` (built around the case's [`StepArgs`]) as `agency`.
    pub async fn act(
        &mut self,
        agency: &str,
        case: &pb::Case,
        command: impl FnOnce(StepArgs) -> CaseCommand,
    ) -> anyhow::Result<pb::Case> {
        let client = self.client(agency).await?;
        let step = StepArgs {
            case: case.name.parse().map_err(anyhow::Error::msg)?,
            etag: Some(case.etag.clone()),
            request_id: None,
        };
        let command = command(step);
        let rpc = steps::rpc_name(&command);
        let header = Header {
            name: case.name.clone(),
            etag: case.etag.clone(),
            request_id: Uuid::now_v7().to_string(),
        };
        let case = steps::send(&client, command, header).await?;
        self.line(agency, rpc, &case)?;
        Ok(case)
    }

    /// One step's line: who, which RPC, which case, the state and the open deadline.
    fn line(&mut self, agency: &str, rpc: &str, case: &pb::Case) -> anyhow::Result<()> {
        // A UUID v7 starts with its time: the random tail tells cases apart.
        let short = case
            .name
            .get(case.name.len().saturating_sub(8)..)
            .unwrap_or(&case.name);
        let deadline = open_deadline(case);
        let deadline = if deadline.is_empty() {
            String::new()
        } else {
            format!("  next: {deadline}")
        };
        let line = format!(
            "  {agency:<28} {rpc:<26} …{short}  {:<20}{deadline}",
            state(case)
        );
        writeln!(self.out, "{}", line.trim_end())?;
        Ok(())
    }
}

/// Runs `netral demo`.
pub async fn run(args: DemoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut player = Player::new(args.profile.clone(), out);
    let timeline = stories::play(&mut player).await?;
    let out = player.out;

    writeln!(
        out,
        "\nCompliance with the examiners' recommendations (netral stats compliance, as kemenpan-rb)"
    )?;
    let stats = StatsArgs {
        command: StatsCommand::Compliance(ComplianceArgs {
            connect: args.profile.as_agency("kemenpan-rb")?,
            filter: String::new(),
            group_by: vec![Dimension::Province],
            output: Output::Table,
        }),
    };
    crate::stats::run(stats, out).await?;

    if let Some(case) = timeline {
        writeln!(
            out,
            "\nThe audit timeline of {case} (netral audit history, as bpk)"
        )?;
        let history = HistoryArgs {
            case: case.parse::<CaseName>().map_err(anyhow::Error::msg)?,
            json: false,
            connect: args.profile.as_agency("bpk")?,
        };
        audit::run(
            audit::AuditArgs {
                command: audit::AuditCommand::History(history),
            },
            out,
        )
        .await?;
    }
    Ok(())
}
