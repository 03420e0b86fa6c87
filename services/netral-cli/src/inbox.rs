//! `netral inbox`: an agency's inbox from its engineer's side. `watch` holds a `WatchInbox`
//! stream open, prints each message as it arrives and acknowledges what it printed; when
//! the stream ends resumably (a slow reader cut off, a server restarting, an outage) it
//! reconnects after the server's delay and resumes from the last cursor, so nothing is
//! missed or printed twice. `list`, `ack` and `status` are the polling side.
//!
//! ```text
//! netral inbox watch  --agency ID [--after CURSOR] [--no-ack] [--max N] [--json]
//! netral inbox list   --agency ID [--unacknowledged] [--filter EXPR] [--json]
//! netral inbox ack    --agency ID CURSOR
//! netral inbox status --agency ID [--json]
//! ```

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use netral_proto::v1 as pb;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use tonic::{Code, Status};

use crate::connect::ConnectArgs;
use crate::rpc;

/// How long `watch` waits for more before acknowledging what it printed.
const ACK_WHEN_IDLE: Duration = Duration::from_millis(200);
/// `watch` acknowledges at least every this many messages.
const ACK_EVERY: usize = 100;
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Arguments of `netral inbox`.
#[derive(Debug, Args)]
pub struct InboxArgs {
    /// Which inbox command.
    #[command(subcommand)]
    pub command: InboxCommand,
}

/// The inbox commands.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Print messages as they arrive, acknowledging them; resumes by itself.
    Watch(WatchArgs),
    /// Print the inbox's messages, oldest first.
    List(ListArgs),
    /// Acknowledge every message up to and including CURSOR.
    Ack(AckArgs),
    /// How far the agency has read: newest and acknowledged cursors, backlog.
    Status(StatusArgs),
}

/// `netral inbox watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Where and as whom.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Start after this cursor (default: after the acknowledged one).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// Print only; leave acknowledging to another consumer.
    #[arg(long)]
    pub no_ack: bool,
    /// Stop after this many messages (default: run until interrupted).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// One JSON object per line instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

/// `netral inbox list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Where and as whom.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Only messages not yet acknowledged.
    #[arg(long)]
    pub unacknowledged: bool,
    /// A `ListInbox` filter, e.g. `kind = ESCALATION AND case = "cases/…"`.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// A JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `netral inbox ack`.
#[derive(Debug, Args)]
pub struct AckArgs {
    /// Where and as whom.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The cursor of the last message processed.
    pub cursor: String,
}

/// `netral inbox status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Where and as whom.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `netral inbox` command, writing its output to `out`.
pub async fn run(args: InboxArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.command {
        InboxCommand::Watch(args) => watch(&args, out).await,
        InboxCommand::List(args) => list(&args, out).await,
        InboxCommand::Ack(args) => {
            let client = client(&args.connect).await?;
            let count = ack(&client, &args.cursor, None).await?;
            writeln!(out, "acknowledged {count} message(s) up to {}", args.cursor)?;
            Ok(())
        }
        InboxCommand::Status(args) => status(&args, out).await,
    }
}

async fn client(connect: &ConnectArgs) -> anyhow::Result<InboxServiceClient<crate::trace::Traced>> {
    anyhow::ensure!(
        connect.agency.is_some(),
        "--agency ID is required: the agency whose inbox this is"
    );
    Ok(InboxServiceClient::new(connect.channel().await?))
}

/// Acknowledges everything up to `cursor`. With `producer` (the `traceparent` of the last
/// message acknowledged), the acknowledgement continues that step's trace: the recipient's
/// processing shows in the case's picture.
async fn ack(
    client: &InboxServiceClient<crate::trace::Traced>,
    cursor: &str,
    producer: Option<&str>,
) -> anyhow::Result<i64> {
    let request = pb::AckInboxRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        cursor: cursor.to_owned(),
        ..Default::default()
    };
    let traceparent = producer
        .and_then(crate::trace::continuing)
        .and_then(|t| tonic::metadata::MetadataValue::try_from(t).ok());
    let reply = rpc::unary("AckInbox", || {
        let (mut client, mut request) = (client.clone(), tonic::Request::new(request.clone()));
        if let Some(traceparent) = &traceparent {
            request
                .metadata_mut()
                .insert("traceparent", traceparent.clone());
        }
        async move { client.ack_inbox(request).await }
    })
    .await?;
    Ok(reply.acknowledged_count)
}

/// Whether a stream that ended with `status` may be resumed, and after how long.
fn resumable(status: &Status) -> Option<Duration> {
    use tonic_types::StatusExt;
    (status.code() == Code::Unavailable).then(|| {
        status
            .get_error_details()
            .retry_info()
            .and_then(|info| info.retry_delay)
            .unwrap_or(Duration::from_secs(1))
    })
}

async fn watch(args: &WatchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut client = client(&args.connect).await?;
    let mut after = args.after.clone().unwrap_or_default();
    let mut printed = 0usize;
    // The newest message not yet acknowledged: its cursor and its step's trace context.
    let mut unacked: Option<(String, String)> = None;
    let mut since_ack = 0usize;
    let mut backoff = Duration::from_millis(250);
    loop {
        let request = pb::WatchInboxRequest {
            after_cursor: after.clone(),
            ..Default::default()
        };
        let mut stream = match client.watch_inbox(request).await {
            Ok(reply) => reply.into_inner(),
            Err(status) => match resumable(&status) {
                Some(delay) => {
                    tokio::time::sleep(delay.max(backoff)).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                None => return Err(rpc::rpc_error("WatchInbox", &status)),
            },
        };
        loop {
            let next = match tokio::time::timeout(ACK_WHEN_IDLE, stream.message()).await {
                Ok(next) => next,
                Err(_idle) => {
                    if let Some((cursor, producer)) = unacked.take().filter(|_| !args.no_ack) {
                        ack(&client, &cursor, Some(&producer)).await?;
                        since_ack = 0;
                    }
                    stream.message().await
                }
            };
            let message = match next {
                Ok(Some(reply)) => reply.message.context("the server sent an empty message")?,
                Ok(None) => break,
                Err(status) => match resumable(&status) {
                    Some(delay) => {
                        tokio::time::sleep(delay).await;
                        break;
                    }
                    None => return Err(rpc::rpc_error("WatchInbox", &status)),
                },
            };
            backoff = Duration::from_millis(250);
            print_message(&message, args.json, out)?;
            out.flush()?;
            after = message.cursor.clone();
            unacked = Some((message.cursor, message.traceparent));
            printed += 1;
            since_ack += 1;
            let done = args.max.is_some_and(|max| printed >= max);
            if !args.no_ack
                && (since_ack >= ACK_EVERY || done)
                && let Some((cursor, producer)) = unacked.take()
            {
                ack(&client, &cursor, Some(&producer)).await?;
                since_ack = 0;
            }
            if done {
                return Ok(());
            }
        }
    }
}

async fn list(args: &ListArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = client(&args.connect).await?;
    let mut filter = args.filter.clone().unwrap_or_default();
    if args.unacknowledged {
        filter = match filter.trim() {
            "" => "acknowledged = false".to_owned(),
            other => format!("{other} AND acknowledged = false"),
        };
    }
    let mut messages = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListInboxRequest {
            page_size: 500,
            page_token: page_token.clone(),
            filter: filter.clone(),
            ..Default::default()
        };
        let page = rpc::unary("ListInbox", || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.list_inbox(request).await }
        })
        .await?;
        messages.extend(page.messages);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if args.json {
        let values: Vec<_> = messages.iter().map(json).collect();
        serde_json::to_writer_pretty(&mut *out, &values)?;
        writeln!(out)?;
    } else {
        for message in &messages {
            print_message(message, false, out)?;
        }
        writeln!(out, "{} message(s)", messages.len())?;
    }
    Ok(())
}

async fn status(args: &StatusArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = client(&args.connect).await?;
    let status = rpc::unary("GetInboxStatus", || {
        let mut client = client.clone();
        async move {
            client
                .get_inbox_status(pb::GetInboxStatusRequest::default())
                .await
        }
    })
    .await?
    .status
    .context("the server answered no status")?;
    let oldest = status.oldest_unacknowledged_time.as_ref().map(rfc3339);
    if args.json {
        let value = serde_json::json!({
            "agency": status.agency,
            "last_cursor": status.last_cursor,
            "acknowledged_cursor": status.acknowledged_cursor,
            "unacknowledged_count": status.unacknowledged_count,
            "oldest_unacknowledged_time": oldest,
        });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
    } else {
        let or_none = |s: &str| {
            if s.is_empty() {
                "-".to_owned()
            } else {
                s.to_owned()
            }
        };
        writeln!(out, "inbox of      {}", status.agency)?;
        writeln!(out, "newest        {}", or_none(&status.last_cursor))?;
        writeln!(
            out,
            "acknowledged  {}",
            or_none(&status.acknowledged_cursor)
        )?;
        writeln!(out, "waiting       {}", status.unacknowledged_count)?;
        writeln!(
            out,
            "oldest since  {}",
            oldest.unwrap_or_else(|| "-".into())
        )?;
    }
    Ok(())
}

fn rfc3339(t: &prost_types::Timestamp) -> String {
    chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn kind_name(message: &pb::InboxMessage) -> &'static str {
    match message.kind() {
        pb::InboxMessageKind::CaseChanged => "CASE_CHANGED",
        pb::InboxMessageKind::DeadlineReminder => "DEADLINE_REMINDER",
        pb::InboxMessageKind::DeadlineMissed => "DEADLINE_MISSED",
        pb::InboxMessageKind::Escalation => "ESCALATION",
        pb::InboxMessageKind::Unspecified => "UNSPECIFIED",
    }
}

fn state_name(message: &pb::InboxMessage) -> &'static str {
    message
        .case_state()
        .as_str_name()
        .trim_start_matches("CASE_STATE_")
}

/// One message as a JSON object (what `--json` prints, one per line for `watch`).
pub fn json(message: &pb::InboxMessage) -> serde_json::Value {
    serde_json::json!({
        "cursor": message.cursor,
        "kind": kind_name(message),
        "case": message.case,
        "case_state": state_name(message),
        "action": message.action,
        "actor": message.actor,
        "create_time": message.create_time.as_ref().map(rfc3339),
        "traceparent": message.traceparent,
        "acknowledged": message.acknowledged,
    })
}

fn print_message(
    message: &pb::InboxMessage,
    as_json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if as_json {
        serde_json::to_writer(&mut *out, &json(message))?;
        writeln!(out)?;
        return Ok(());
    }
    let time = message
        .create_time
        .as_ref()
        .map(rfc3339)
        .unwrap_or_default();
    writeln!(
        out,
        "{:>8}  {time}  {:<17}  {:<22}  {}  by {}  now {}",
        message.cursor,
        kind_name(message),
        message.action,
        message.case,
        message.actor,
        state_name(message),
    )?;
    Ok(())
}
