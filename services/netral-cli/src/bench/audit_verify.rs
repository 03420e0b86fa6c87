//! Measurement (c) of `netral bench audit`: offline verification of a whole export against
//! plain hashing of the same file.
//!
//! The export is streamed from the server (`ExportAuditLog`, as the auditor) into a file
//! with the very writer `netral audit export` uses; then, alternately and `runs` times each,
//! the file is verified in this process with the code `netral audit verify` runs
//! ([`crate::audit::verify::verify_file`]: a 1 MiB `BufReader` over the file, every leaf
//! decoded and hashed, the root recomputed, the checkpoint's signature checked) and hashed
//! by `sha256sum FILE` in a child process. Both read the file from the page cache after the
//! first pass (the export has just been written); both are single-threaded. Rates are in
//! MB/s (10⁶ bytes) of the whole file.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use netral_proto::v1::ExportAuditLogRequest;
use netral_server::tls::DEV_SERVER_NAME;

use super::audit_progress::Progress;
use super::audit_server::AUDITOR;
use crate::audit::export::ExportWriter;
use crate::connect::{ConnectArgs, PkiDir};

/// How long one `sha256sum` run may take.
const SHA256SUM_TIMEOUT: Duration = Duration::from_secs(3_600);

/// What exporting took.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The export file.
    pub file: PathBuf,
    /// Events in it.
    pub events: u64,
    /// Wall time of the stream, written and synced.
    pub elapsed: Duration,
}

/// Streams the whole log into `file` from the server at `endpoint`, as the auditor.
pub async fn export(
    endpoint: &str,
    pki_dir: &Path,
    file: &Path,
    expected: u64,
    show: bool,
) -> anyhow::Result<Exported> {
    let connect = ConnectArgs {
        endpoint: endpoint.to_owned(),
        pki: PkiDir {
            pki: pki_dir.to_owned(),
        },
        agency: Some(AUDITOR.parse()?),
        ca: None,
        cert: None,
        cert_key: None,
        server_name: DEV_SERVER_NAME.to_owned(),
    };
    let mut client = connect.client().await?;
    let started = Instant::now();
    let request = ExportAuditLogRequest {
        start_sequence: 0,
        tree_size: 0,
    };
    let mut stream = client
        .export_audit_log(request)
        .await
        .context("ExportAuditLog was refused")?
        .into_inner();
    let mut writer = ExportWriter::create(file)?;
    let progress = Progress::new("(c) export", "items", expected + 1, show);
    let mut items = 0u64;
    // Bounded: the server sends tree_size leaves and one checkpoint; the writer refuses
    // anything after the checkpoint.
    while let Some(item) = stream.message().await.context("the export stream failed")? {
        writer.push(&item)?;
        items += 1;
        if items.is_multiple_of(10_000) {
            progress.set(items);
        }
    }
    progress.finish();
    let exported = writer.finish()?;
    Ok(Exported {
        file: file.to_owned(),
        events: exported.leaves,
        elapsed: started.elapsed(),
    })
}

/// Timings of (c).
#[derive(Debug, Clone, Default)]
pub struct VerifyTimes {
    /// The file's size in bytes.
    pub bytes: u64,
    /// Events it holds (the verified checkpoint's size).
    pub events: u64,
    /// Bytes of leaves hashed.
    pub leaf_bytes: u64,
    /// Seconds of each in-process verification.
    pub verify_s: Vec<f64>,
    /// Seconds of each `sha256sum` run; empty if it could not run.
    pub sha256sum_s: Vec<f64>,
    /// Why `sha256sum` could not run, if it could not.
    pub sha256sum_error: Option<String>,
}

/// The median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Verifies `file` with `verifier_key` and hashes it with `sha256sum`, alternately, `runs`
/// times each. A verification that fails is an error (the seeded log must verify).
pub async fn time_verification(
    file: &Path,
    verifier_key: &str,
    runs: u32,
) -> anyhow::Result<VerifyTimes> {
    let bytes = std::fs::metadata(file)
        .with_context(|| format!("cannot stat {}", file.display()))?
        .len();
    let mut times = VerifyTimes {
        bytes,
        ..VerifyTimes::default()
    };
    for run in 0..runs {
        let path = file.to_owned();
        let key = verifier_key.to_owned();
        let verified = tokio::task::spawn_blocking(move || {
            crate::audit::verify::verify_file(&path, &key, None)
        })
        .await
        .context("the verification panicked")??;
        times.events = verified.report.checkpoint.tree_size;
        times.leaf_bytes = verified.report.leaf_bytes;
        times.verify_s.push(verified.elapsed.as_secs_f64());
        eprintln!(
            "(c) verify run {}: {:.3} s",
            run + 1,
            verified.elapsed.as_secs_f64()
        );
        if times.sha256sum_error.is_none() {
            match sha256sum(file).await {
                Ok(secs) => {
                    eprintln!("(c) sha256sum run {}: {secs:.3} s", run + 1);
                    times.sha256sum_s.push(secs);
                }
                Err(err) => times.sha256sum_error = Some(format!("{err:#}")),
            }
        }
    }
    Ok(times)
}

/// Runs `sha256sum file` once; its wall time in seconds.
async fn sha256sum(file: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    let child = tokio::process::Command::new("sha256sum")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run sha256sum")?;
    let output = tokio::time::timeout(SHA256SUM_TIMEOUT, child.wait_with_output())
        .await
        .context("sha256sum took too long")?
        .context("cannot wait for sha256sum")?;
    let elapsed = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!(
            "sha256sum failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(elapsed)
}
