//! `netral case`: every `CaseService` RPC from the command line, as the agency whose turn it
//! is. Registration reads the case from a JSON file (the proto3 JSON of `netral.v1.Case`, as
//! in `docs/examples/register-case.json`); each step takes the case name and flags named after
//! its fields; `get` and `list` read. A step reads the case first for its etag unless
//! `--etag` is given, and sends a fresh request id (a UUID v7, printed on stderr so a retry
//! can reuse it with `--request-id`) unless one is given.
//!
//! | module | what |
//! |---|---|
//! | [`verbs`] | the verbs and their flags |
//! | [`steps`] | a step's etag and request id, its request, sending it |
//! | [`read`] | `register`, `get`, `list` |
//! | [`parse`] | enum and date flags |
//! | [`output`] | a case or a page as a table or as JSON |

pub mod output;
pub mod parse;
pub mod read;
pub mod steps;
pub mod verbs;

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::profile::ProfileArgs;

/// Arguments of `netral case`.
#[derive(Debug, Args)]
pub struct CaseArgs {
    /// Where and as whom (every flag also works after the verb).
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Table or JSON.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    /// Which RPC.
    #[command(subcommand)]
    pub command: steps::CaseCommand,
}

/// How a command prints its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned text, for people.
    Table,
    /// JSON with the proto field names, for scripts.
    Json,
}

/// Runs a `netral case` command, writing its answer to `out` and the request id of a step to
/// `note` (stderr in the binary).
pub async fn run(args: CaseArgs, out: &mut dyn Write, note: &mut dyn Write) -> anyhow::Result<()> {
    steps::run(args, out, note).await
}
