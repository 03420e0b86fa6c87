//! `netral audit`: the audit log from an auditor's side. Online, over mTLS as an auditor
//! agency (`bpk` in the dev directory): a case's history, a full export, and proofs that an
//! event is in the signed log. Offline, with nothing but the log's public key
//! (`audit-log.pub`): the verification of an export, which trusts nothing it cannot
//! recompute.
//!
//! | module | what |
//! |---|---|
//! | [`history`] | `netral audit history CASE` |
//! | [`export`] | `netral audit export --out FILE` |
//! | [`verify`] | `netral audit verify FILE` |
//! | [`prove`] | `netral audit prove SEQUENCE` |

pub mod export;
pub mod history;
pub mod prove;
pub mod verify;

#[cfg(test)]
mod tests;

use std::io::Write;

use clap::{Args, Subcommand};

/// Arguments of `netral audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Which audit command.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// The audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print one case's complete history, oldest first.
    History(history::HistoryArgs),
    /// Download the whole log (every event, then the signed checkpoint) into a file.
    Export(export::ExportArgs),
    /// Check an export offline: every leaf, the root, the checkpoint's signature.
    Verify(verify::VerifyArgs),
    /// Prove that one event is in the signed log (and that the log extends an older
    /// checkpoint).
    Prove(prove::ProveArgs),
}

/// Runs a `netral audit` command, writing its report to `out`.
pub async fn run(args: AuditArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::History(args) => history::run(&args, out).await,
        AuditCommand::Export(args) => export::run(&args, out).await,
        AuditCommand::Verify(args) => verify::run(&args, out),
        AuditCommand::Prove(args) => prove::run(&args, out).await,
    }
}
