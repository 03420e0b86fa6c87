//! `netral audit verify FILE`: checks an export offline, with no server: recomputes every
//! leaf hash and the Merkle root, checks the closing checkpoint's signature with the log's
//! public key, and, given a checkpoint note kept from before (`--trusted-checkpoint`), that
//! the log still extends it. It trusts nothing it cannot recompute; any failure is an error.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use netral_audit::export::Report;

use crate::connect::{PkiDir, read_verifier_key};

/// Arguments of `netral audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The export file (`netral audit export --out FILE`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The log's public verifier key file [default: <pki>/audit-log.pub].
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// A checkpoint note kept from before (e.g. an earlier export's `FILE.checkpoint`):
    /// the export must extend it.
    #[arg(long, value_name = "NOTE_FILE")]
    pub trusted_checkpoint: Option<PathBuf>,
    /// Where `audit-log.pub` is when --key is not given.
    #[command(flatten)]
    pub pki: PkiDir,
}

/// A successful verification and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// What was established.
    pub report: Report,
    /// The time spent reading and hashing.
    pub elapsed: Duration,
}

impl Verified {
    /// Leaf bytes hashed per second, in MB (10^6 bytes).
    pub fn megabytes_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.report.leaf_bytes as f64 / 1e6 / seconds
        } else {
            0.0
        }
    }
}

/// Reads a checkpoint note file as text.
pub fn read_note(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the checkpoint note {}", path.display()))
}

/// Verifies the export in `file` with `verifier_key`, and against `trusted` (a checkpoint
/// note) when given.
pub fn verify_file(
    file: &Path,
    verifier_key: &str,
    trusted: Option<&str>,
) -> anyhow::Result<Verified> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut input = BufReader::with_capacity(1 << 20, input);
    let started = Instant::now();
    let report = netral_audit::export::verify(&mut input, verifier_key, trusted)
        .with_context(|| format!("{} does NOT verify", file.display()))?;
    Ok(Verified {
        report,
        elapsed: started.elapsed(),
    })
}

/// Writes what a verification established.
pub fn print(verified: &Verified, out: &mut dyn Write) -> anyhow::Result<()> {
    let checkpoint = &verified.report.checkpoint;
    writeln!(
        out,
        "verified: {} events of log {}",
        checkpoint.tree_size, checkpoint.origin
    )?;
    writeln!(out, "root: {}", hex::encode(checkpoint.root))?;
    writeln!(
        out,
        "hashed {} bytes of leaves in {:.3} s ({:.1} MB/s)",
        verified.report.leaf_bytes,
        verified.elapsed.as_secs_f64(),
        verified.megabytes_per_second()
    )?;
    if let Some(size) = verified.report.extends_trusted {
        writeln!(out, "extends the trusted checkpoint of {size} events")?;
    }
    Ok(())
}

/// Verifies an export and reports what was established.
pub fn run(args: &VerifyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let key = read_verifier_key(&args.pki.verifier_key_path(args.key.as_deref()))?;
    let trusted = args
        .trusted_checkpoint
        .as_deref()
        .map(read_note)
        .transpose()?;
    let verified = verify_file(&args.file, &key, trusted.as_deref())?;
    print(&verified, out)
}
