//! `netral stats`: the compliance picture and the overdue list, as a table for people or
//! JSON for scripts. Both show what the acting agency may see (a regional Bawaslu its
//! region, the policy owner everything) and never personal data.
//!
//! ```text
//! netral stats compliance [--filter EXPR] [--group-by province,ppk,...] [--output table|json]
//! netral stats overdue    [--filter EXPR] [--limit N] [--output table|json]
//! ```

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use netral_proto::v1 as pb;
use netral_proto::v1::stats_service_client::StatsServiceClient;

use crate::connect::ConnectArgs;
use crate::rpc;

/// Arguments of `netral stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Which statistics.
    #[command(subcommand)]
    pub command: StatsCommand,
}

/// The statistics commands.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Follow-up of the examiners' recommendations per group: on time, late, overdue, rate.
    Compliance(ComplianceArgs),
    /// Open deadlines past due, most overdue first.
    Overdue(OverdueArgs),
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns, for people.
    Table,
    /// JSON, for scripts.
    Json,
}

/// A grouping dimension, as the command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dimension {
    /// Province code.
    Province,
    /// Regency or city code.
    Region,
    /// Election kind and year.
    Election,
    /// The PPK.
    Ppk,
    /// The examiner.
    Examiner,
    /// The case state.
    State,
}

impl Dimension {
    fn wire(self) -> pb::StatsDimension {
        match self {
            Self::Province => pb::StatsDimension::Province,
            Self::Region => pb::StatsDimension::Region,
            Self::Election => pb::StatsDimension::Election,
            Self::Ppk => pb::StatsDimension::Ppk,
            Self::Examiner => pb::StatsDimension::Examiner,
            Self::State => pb::StatsDimension::State,
        }
    }
}

/// `netral stats compliance`.
#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// Where and as whom (the policy owner `kemenpan-rb` sees everything).
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Which cases count, e.g. `election.year = 2024 AND region_code = "63"`.
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
    /// Group by these dimensions, in order (none: one total row).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DIM,...")]
    pub group_by: Vec<Dimension>,
    /// Table or JSON.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// `netral stats overdue`.
#[derive(Debug, Args)]
pub struct OverdueArgs {
    /// Where and as whom.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Which cases, with the syntax of `ListCases`.
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
    /// At most this many (all of them when 0).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    /// Table or JSON.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// Runs a `netral stats` command.
pub async fn run(args: StatsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.command {
        StatsCommand::Compliance(args) => compliance(&args, out).await,
        StatsCommand::Overdue(args) => overdue(&args, out).await,
    }
}

async fn client(connect: &ConnectArgs) -> anyhow::Result<StatsServiceClient<crate::trace::Traced>> {
    Ok(StatsServiceClient::new(connect.channel().await?))
}

async fn compliance(args: &ComplianceArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = client(&args.connect).await?;
    let request = pb::GetComplianceStatsRequest {
        filter: args.filter.clone(),
        group_by: args.group_by.iter().map(|d| d.wire() as i32).collect(),
    };
    let reply = rpc::unary("GetComplianceStats", || {
        let (mut client, request) = (client.clone(), request.clone());
        async move { client.get_compliance_stats(request).await }
    })
    .await?;
    let heading: Vec<String> = if args.group_by.is_empty() {
        vec!["all".into()]
    } else {
        args.group_by
            .iter()
            .map(|d| format!("{d:?}").to_lowercase())
            .collect()
    };
    match args.output {
        Output::Json => {
            let rows: Vec<_> = reply.rows.iter().map(|r| row_json(&heading, r)).collect();
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rows": rows }))?;
            writeln!(out)?;
        }
        Output::Table => print_compliance(&heading, &reply.rows, out)?,
    }
    Ok(())
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |d| format!("{d:.1}"))
}

fn row_json(heading: &[String], r: &pb::ComplianceRow) -> serde_json::Value {
    let key: serde_json::Map<_, _> = heading
        .iter()
        .zip(
            r.key
                .iter()
                .map(String::as_str)
                .chain(std::iter::repeat("")),
        )
        .map(|(h, k)| (h.clone(), serde_json::Value::from(k)))
        .collect();
    serde_json::json!({
        "group": key,
        "cases": r.total,
        "open": r.open,
        "sanctioned": r.sanctioned,
        "with_missed_deadline": r.overdue,
        "recommendations": r.recommendations,
        "followed_on_time": r.followed_on_time,
        "followed_late": r.followed_late,
        "still_overdue": r.still_overdue,
        "pending": r.pending,
        "ended_without_decree": r.ended_without_decree,
        "follow_up_rate": r.follow_up_rate,
        "median_days_to_decree": r.median_days_to_decree,
        "p90_days_to_decree": r.p90_days_to_decree,
    })
}

fn print_compliance(
    heading: &[String],
    rows: &[pb::ComplianceRow],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let columns = [
        "cases", "recs", "on time", "late", "overdue", "pending", "ended", "rate", "median d",
        "p90 d",
    ];
    let mut table: Vec<Vec<String>> = vec![
        heading
            .iter()
            .cloned()
            .chain(columns.iter().map(|c| (*c).to_owned()))
            .collect(),
    ];
    for r in rows {
        let key = if r.key.is_empty() {
            vec!["all".to_owned()]
        } else {
            r.key.clone()
        };
        let cells = [
            r.total.to_string(),
            r.recommendations.to_string(),
            r.followed_on_time.to_string(),
            r.followed_late.to_string(),
            r.still_overdue.to_string(),
            r.pending.to_string(),
            r.ended_without_decree.to_string(),
            format!("{:.1} %", r.follow_up_rate * 100.0),
            days(r.median_days_to_decree),
            days(r.p90_days_to_decree),
        ];
        table.push(key.into_iter().chain(cells).collect());
    }
    print_table(&table, heading.len(), out)
}

/// Prints `table` with aligned columns: the first `text_columns` left-aligned, the rest right.
pub(crate) fn print_table(
    table: &[Vec<String>],
    text_columns: usize,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let width = |c: usize| {
        table
            .iter()
            .map(|row| row.get(c).map_or(0, |s| s.chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..table.first().map_or(0, Vec::len)).map(width).collect();
    for row in table {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c < text_columns {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

async fn overdue(args: &OverdueArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = client(&args.connect).await?;
    let mut cases = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListOverdueCasesRequest {
            page_size: 500,
            page_token: page_token.clone(),
            filter: args.filter.clone(),
        };
        let page = rpc::unary("ListOverdueCases", || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_overdue_cases(request).await }
        })
        .await?;
        cases.extend(page.cases);
        if page.next_page_token.is_empty() || (args.limit > 0 && cases.len() >= args.limit) {
            break;
        }
        page_token = page.next_page_token;
    }
    if args.limit > 0 {
        cases.truncate(args.limit);
    }
    let due = |c: &pb::OverdueCase| {
        c.due_date
            .as_ref()
            .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
            .unwrap_or_default()
    };
    let name = |s: &str| s.trim_start_matches("DEADLINE_STEP_").to_owned();
    match args.output {
        Output::Json => {
            let rows: Vec<_> = cases
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "case": c.r#case,
                        "state": c.state().as_str_name().trim_start_matches("CASE_STATE_"),
                        "step": name(c.step().as_str_name()),
                        "agency": c.agency,
                        "due_date": due(c),
                        "days_overdue": c.days_overdue,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "cases": rows }))?;
            writeln!(out)?;
        }
        Output::Table => {
            let mut table = vec![
                ["days", "due", "step", "agency", "state", "case"]
                    .map(str::to_owned)
                    .to_vec(),
            ];
            for c in &cases {
                table.push(vec![
                    c.days_overdue.to_string(),
                    due(c),
                    name(c.step().as_str_name()),
                    c.agency.clone(),
                    c.state()
                        .as_str_name()
                        .trim_start_matches("CASE_STATE_")
                        .to_owned(),
                    c.r#case.clone(),
                ]);
            }
            print_table(&table, 0, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_text_left_and_numbers_right() {
        let table = vec![
            vec!["province".to_owned(), "cases".to_owned()],
            vec!["63".to_owned(), "1200".to_owned()],
            vec!["15".to_owned(), "7".to_owned()],
        ];
        let mut out = Vec::new();
        print_table(&table, 1, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "province  cases\n63         1200\n15            7\n"
        );
    }

    #[test]
    fn json_rows_name_their_groups() {
        let row = pb::ComplianceRow {
            key: vec!["63".into()],
            total: 3,
            recommendations: 2,
            followed_on_time: 1,
            follow_up_rate: 0.5,
            median_days_to_decree: Some(4.0),
            ..Default::default()
        };
        let json = row_json(&["province".into()], &row);
        assert_eq!(json["group"]["province"], "63");
        assert_eq!(json["follow_up_rate"], 0.5);
        assert_eq!(json["p90_days_to_decree"], serde_json::Value::Null);
    }
}
