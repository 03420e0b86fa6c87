//! `netral audit export --out FILE`: streams the log from sequence 0 (`ExportAuditLog`) into
//! `FILE`, item by item in the format `netral audit verify` reads
//! ([`netral_audit::export::write_item`]). The items go to `FILE.partial`, which is synced
//! and renamed to `FILE` only once the closing checkpoint has arrived, so a `FILE` is never
//! a truncated export. The checkpoint's signed note is also written to `FILE.checkpoint`, to
//! be kept and later passed as `--trusted-checkpoint` (after `verify` has checked it).
//!
//! Nothing here is trusted: the file is checked only for its shape (leaves in order, one
//! checkpoint of their count, last); `netral audit verify` checks the rest offline.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use netral_proto::v1::export_audit_log_response::Item;
use netral_proto::v1::{Checkpoint, ExportAuditLogRequest, ExportAuditLogResponse};

use crate::connect::ConnectArgs;
use crate::rpc;

/// Arguments of `netral audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write; its checkpoint's note also goes to `FILE.checkpoint`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Export up to this signed tree size instead of the latest checkpoint.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tree_size: Option<u64>,
    /// How to reach the server.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The leaves written.
    pub leaves: u64,
    /// The closing checkpoint, as the server sent it (not yet verified).
    pub checkpoint: Checkpoint,
    /// The export file.
    pub file: PathBuf,
    /// The file holding the checkpoint's note.
    pub checkpoint_file: PathBuf,
}

/// `path` with `suffix` appended to its file name (`log.bin` → `log.bin.partial`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// An export being written: items are appended to `FILE.partial`, which [`finish`]
/// renames to `FILE` once the export is complete, and which is removed if it never is.
///
/// [`finish`]: ExportWriter::finish
#[derive(Debug)]
pub struct ExportWriter {
    /// The final file.
    path: PathBuf,
    /// Where the items go meanwhile.
    partial: PathBuf,
    /// The open partial file.
    file: Option<BufWriter<File>>,
    /// Leaves written so far.
    leaves: u64,
    /// The closing checkpoint, once it has come.
    checkpoint: Option<Checkpoint>,
    /// Whether the partial file became the export.
    renamed: bool,
}

impl ExportWriter {
    /// Starts writing the export to `path` (through `path.partial`).
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let partial = with_suffix(path, ".partial");
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        Ok(Self {
            path: path.to_owned(),
            partial,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            leaves: 0,
            checkpoint: None,
            renamed: false,
        })
    }

    /// Appends the next item, refusing one out of place: a leaf whose sequence is not the
    /// next, anything after the checkpoint, or an empty item.
    pub fn push(&mut self, item: &ExportAuditLogResponse) -> anyhow::Result<()> {
        if self.checkpoint.is_some() {
            bail!("the server sent more after the export's checkpoint");
        }
        match &item.item {
            Some(Item::Leaf(leaf)) => {
                if u64::try_from(leaf.sequence) != Ok(self.leaves) {
                    bail!(
                        "the server sent the event with sequence {} where {} was due",
                        leaf.sequence,
                        self.leaves
                    );
                }
                self.leaves += 1;
            }
            Some(Item::Checkpoint(checkpoint)) => self.checkpoint = Some(checkpoint.clone()),
            None => bail!("the server sent an empty export item"),
        }
        let file = self.file.as_mut().context("the export is already closed")?;
        netral_audit::export::write_item(file, item)
            .with_context(|| format!("cannot write {}", self.partial.display()))
    }

    /// Completes the export: checks that it ended with the checkpoint of its leaves, syncs
    /// it, renames it into place and writes the checkpoint's note beside it.
    pub fn finish(mut self) -> anyhow::Result<Exported> {
        let Some(checkpoint) = self.checkpoint.clone() else {
            bail!(
                "the export ended after {} events without its checkpoint",
                self.leaves
            );
        };
        if u64::try_from(checkpoint.tree_size) != Ok(self.leaves) {
            bail!(
                "the export's checkpoint covers {} events but {} were sent",
                checkpoint.tree_size,
                self.leaves
            );
        }
        let file = self.file.take().context("the export is already closed")?;
        let file = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all().map(|()| f))
            .with_context(|| format!("cannot write {}", self.partial.display()))?;
        drop(file);
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "cannot rename {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })?;
        self.renamed = true;
        let checkpoint_file = with_suffix(&self.path, ".checkpoint");
        write_synced(&checkpoint_file, checkpoint.note.as_bytes())?;
        sync_parent(&self.path);
        Ok(Exported {
            leaves: self.leaves,
            checkpoint,
            file: self.path.clone(),
            checkpoint_file,
        })
    }
}

impl Drop for ExportWriter {
    /// An unfinished export leaves no partial file behind.
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.renamed {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Writes `bytes` to `path` through `path.partial`, synced, then renamed into place.
fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = with_suffix(path, ".partial");
    let written = File::create(&partial).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(err) = written.and_then(|()| std::fs::rename(&partial, path)) {
        let _ = std::fs::remove_file(&partial);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Syncs `path`'s directory, so the renames survive a crash; best effort (not every
/// platform can open a directory).
fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Streams the export into `args.out` and reports what it holds.
pub async fn run(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let client = args.connect.client().await?;
    let request = ExportAuditLogRequest {
        start_sequence: 0,
        tree_size: rpc::to_wire("--tree-size", args.tree_size.unwrap_or(0))?,
    };
    let mut stream = rpc::unary("ExportAuditLog", || {
        let mut client = client.clone();
        async move { client.export_audit_log(request).await }
    })
    .await?;
    let mut writer = ExportWriter::create(&args.out)?;
    while let Some(item) = stream
        .message()
        .await
        .map_err(|status| rpc::rpc_error("ExportAuditLog", &status))?
    {
        writer.push(&item)?;
    }
    let exported = writer.finish()?;
    writeln!(
        out,
        "exported {} events to {} (checkpoint of tree size {}, root {})",
        exported.leaves,
        exported.file.display(),
        exported.checkpoint.tree_size,
        exported.checkpoint.root_hash
    )?;
    writeln!(
        out,
        "checkpoint note written to {}; check both with `netral audit verify {}`",
        exported.checkpoint_file.display(),
        exported.file.display()
    )?;
    Ok(())
}
