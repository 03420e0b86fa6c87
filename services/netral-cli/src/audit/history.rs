//! `netral audit history CASE`: one case's audit events, oldest first, as a table for
//! people or as JSON lines (`--json`) for scripts. Every field shown is read from the
//! event's leaf (the bytes the log hashes), not from the event's convenience copies, and the
//! leaf hash is recomputed from it.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat};
use clap::Args;
use netral_proto::v1::{AuditEvent, AuditLeaf, AuditOutcome, CaseState, GetCaseHistoryRequest};
use serde::Serialize;
use uuid::Uuid;

use crate::connect::ConnectArgs;
use crate::rpc;

/// Arguments of `netral audit history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The case: `cases/<uuid>` or the bare uuid.
    #[arg(value_name = "CASE")]
    pub case: CaseName,
    /// Print each event as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// How to reach the server.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// A case's resource name, `cases/<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseName(Uuid);

impl FromStr for CaseName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let id = text.strip_prefix("cases/").unwrap_or(text);
        Uuid::parse_str(id)
            .map(Self)
            .map_err(|_| format!("`{text}` is not `cases/<uuid>` or a uuid"))
    }
}

impl fmt::Display for CaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cases/{}", self.0.hyphenated())
    }
}

/// One event as printed: what its leaf says, with its position and recomputed hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventLine {
    /// Its position in the log.
    pub sequence: i64,
    /// When the server decided it, RFC 3339 UTC; empty when the leaf has no time.
    pub time: String,
    /// The case concerned.
    pub case: String,
    /// The acting agency; empty when unidentified.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// How it ended (`SUCCESS`, `DENIED`, …).
    pub outcome: String,
    /// Why it was refused, or what an alert says.
    pub reason: String,
    /// The case state before a transition (`REGISTERED`, …); empty otherwise.
    pub from_state: String,
    /// The case state after a transition; empty otherwise.
    pub to_state: String,
    /// The caller's idempotency key for a mutation.
    pub request_id: String,
    /// The W3C trace id of the request.
    pub trace_id: String,
    /// The caller's network address.
    pub peer: String,
    /// SHA-256 of the caller's certificate, hex.
    pub certificate_fingerprint: String,
    /// The keyed digest of the subject concerned.
    pub subject_digest: String,
    /// The step's parameters: their canonical JSON, or the raw text if it is not JSON.
    pub payload: serde_json::Value,
    /// The recomputed leaf hash, hex.
    pub leaf_hash: String,
}

impl EventLine {
    /// The line of `event`, read from its leaf; refused when the leaf is not a canonical
    /// `AuditLeaf` or the server's leaf hash is not the leaf's.
    pub fn of(event: &AuditEvent) -> anyhow::Result<Self> {
        let sequence = event.sequence;
        let leaf = netral_audit::leaf::decode(&event.leaf)
            .with_context(|| format!("event {sequence}: its leaf"))?;
        let leaf_hash = hex::encode(netral_audit::tree::leaf_hash(&event.leaf));
        anyhow::ensure!(
            event.leaf_hash.is_empty() || event.leaf_hash.eq_ignore_ascii_case(&leaf_hash),
            "event {sequence}: the server's leaf hash {} is not its leaf's hash {leaf_hash}",
            event.leaf_hash
        );
        Ok(Self::from_leaf(sequence, leaf, leaf_hash))
    }

    /// The line of the event at `sequence` holding `leaf`, whose hash is `leaf_hash` (hex).
    pub fn from_leaf(sequence: i64, leaf: AuditLeaf, leaf_hash: String) -> Self {
        let payload = if leaf.payload_json.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&leaf.payload_json)
                .unwrap_or(serde_json::Value::String(leaf.payload_json.clone()))
        };
        Self {
            sequence,
            time: leaf.time.as_ref().map(rfc3339).unwrap_or_default(),
            outcome: outcome_name(leaf.outcome),
            from_state: state_name(leaf.from_state),
            to_state: state_name(leaf.to_state),
            case: leaf.case,
            actor: leaf.actor,
            action: leaf.action,
            reason: leaf.reason,
            request_id: leaf.request_id,
            trace_id: leaf.trace_id,
            peer: leaf.peer,
            certificate_fingerprint: leaf.certificate_fingerprint,
            subject_digest: leaf.subject_digest,
            payload,
            leaf_hash,
        }
    }

    /// The `from→to` transition, or empty when the event is not one.
    pub fn transition(&self) -> String {
        if self.from_state.is_empty() && self.to_state.is_empty() {
            return String::new();
        }
        let or_dash = |s: &str| {
            if s.is_empty() {
                "-".to_owned()
            } else {
                s.to_owned()
            }
        };
        format!("{}→{}", or_dash(&self.from_state), or_dash(&self.to_state))
    }

    /// The table cells, in [`HEADER`] order.
    fn cells(&self) -> [String; 8] {
        [
            self.sequence.to_string(),
            self.time.clone(),
            self.actor.clone(),
            self.action.clone(),
            self.outcome.clone(),
            self.transition(),
            self.request_id.clone(),
            self.reason.clone(),
        ]
    }
}

/// The table's column titles.
const HEADER: [&str; 8] = [
    "SEQ", "TIME", "ACTOR", "ACTION", "OUTCOME", "STATE", "REQUEST", "REASON",
];

/// A timestamp as RFC 3339 UTC with milliseconds.
fn rfc3339(time: &prost_types::Timestamp) -> String {
    u32::try_from(time.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(time.seconds, nanos))
        .map_or_else(
            || format!("{}s", time.seconds),
            |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
        )
}

/// An outcome's name without the enum prefix (`SUCCESS`).
fn outcome_name(value: i32) -> String {
    match AuditOutcome::try_from(value) {
        Ok(AuditOutcome::Unspecified) => String::new(),
        Ok(outcome) => outcome
            .as_str_name()
            .trim_start_matches("AUDIT_OUTCOME_")
            .to_owned(),
        Err(_) => format!("OUTCOME_{value}"),
    }
}

/// A state's name without the enum prefix (`UNDER_EXAMINATION`); empty when unset.
fn state_name(value: i32) -> String {
    match CaseState::try_from(value) {
        Ok(CaseState::Unspecified) => String::new(),
        Ok(state) => state
            .as_str_name()
            .trim_start_matches("CASE_STATE_")
            .to_owned(),
        Err(_) => format!("STATE_{value}"),
    }
}

/// Writes `lines` as JSON lines, or as a table with a header when `json` is false.
pub fn print(lines: &[EventLine], json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    if json {
        for line in lines {
            serde_json::to_writer(&mut *out, line)?;
            writeln!(out)?;
        }
        return Ok(());
    }
    let rows: Vec<[String; 8]> = lines.iter().map(EventLine::cells).collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = HEADER.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let mut text = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            let cell = if cell.is_empty() { "-" } else { cell.as_str() };
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

/// Fetches and prints a case's history.
pub async fn run(args: &HistoryArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.connect.client().await?;
    let request = GetCaseHistoryRequest {
        name: args.case.to_string(),
    };
    let reply = rpc::unary("GetCaseHistory", || {
        let mut client = client.clone();
        let request = request.clone();
        async move { client.get_case_history(request).await }
    })
    .await?;
    let lines = reply
        .events
        .iter()
        .map(EventLine::of)
        .collect::<anyhow::Result<Vec<_>>>()?;
    if lines.is_empty() && !args.json {
        writeln!(out, "no audit events for {}", args.case)?;
        return Ok(());
    }
    print(&lines, args.json, out)
}
