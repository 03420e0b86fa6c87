//! The server of `netral bench audit`: like [`super::server`]'s, but with a data directory
//! that outlives the run (the dev PKI and the audit log's signing key must be the same when
//! the seeded database is served again), either spawned (`--server-bin`, or the
//! `netral-server` next to `netral`) or in a task of this process (`--in-process`, what the
//! smoke test uses).
//!
//! The server self-checks its whole log as soon as it starts (the self-check loop's first
//! tick is immediate; "hourly" is the interval after that), which on a seeded log of
//! millions of events reads all of them: [`AuditServer::wait_idle`] waits for that to end,
//! from the server's CPU time, before anything is measured.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use netral_server::settings::Settings;
use netral_server::startup::Application;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{grpc, procfs};

/// How long a spawned server may take to print its address (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the server may take to answer health checks once it listens.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// The agency whose certificate the readiness probe presents: the auditor.
pub const AUDITOR: &str = "bpk";

/// How to run the server.
#[derive(Debug, Clone)]
pub enum Launch {
    /// Spawn this `netral-server` binary.
    Spawn(PathBuf),
    /// Run it in a task of this process.
    InProcess,
}

/// How a running server is stopped.
enum Running {
    /// A child process.
    Child(Child),
    /// A task of this process.
    InProcess {
        /// Tells it to stop.
        shutdown: oneshot::Sender<()>,
        /// The serving task.
        task: JoinHandle<Result<(), String>>,
    },
}

/// A running server on the bench's data directory.
pub struct AuditServer {
    /// `https://127.0.0.1:<port>`.
    pub endpoint: String,
    /// `<data-dir>/pki`.
    pub pki_dir: PathBuf,
    /// The process to read CPU time from; `None` in-process (this process's CPU time says
    /// nothing about the server's alone, so nothing is waited for there).
    pub pid: Option<u32>,
    /// How to stop it.
    running: Running,
    /// Where a spawned server's stderr goes.
    log: PathBuf,
}

impl AuditServer {
    /// Starts the server on `database_url` with `data_dir` (absolute) and waits for health.
    pub async fn start(
        launch: &Launch,
        data_dir: &Path,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        let log = data_dir.join("server.log");
        let server = match launch {
            Launch::Spawn(bin) => spawn(bin, data_dir, database_url, &log).await?,
            Launch::InProcess => in_process(data_dir, database_url, &log).await?,
        };
        let give_up = Instant::now() + READY_TIMEOUT;
        let mut last_error = String::new();
        while Instant::now() < give_up {
            match grpc::probe(&server.endpoint, &server.pki_dir, AUDITOR).await {
                Ok(()) => return Ok(server),
                Err(err) => last_error = format!("{err:#}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = server.stop().await;
        bail!("the server did not answer health checks in time: {last_error}")
    }

    /// Waits until the server has used less than 2 % of a CPU for two seconds in a row (its
    /// startup self-check is over), for at most `limit`; returns how long it waited.
    pub async fn wait_idle(&self, limit: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let Some(pid) = self.pid else {
            return Ok(Duration::ZERO);
        };
        let mut quiet = 0;
        let mut before = procfs::cpu_seconds(pid);
        while started.elapsed() < limit {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = procfs::cpu_seconds(pid);
            match (before, now) {
                (Some(b), Some(n)) if n - b < 0.02 => quiet += 1,
                (Some(_), Some(_)) => quiet = 0,
                _ => return Ok(started.elapsed()),
            }
            if quiet >= 2 {
                return Ok(started.elapsed());
            }
            before = now;
        }
        bail!("the server was still busy (its startup self-check?) after {limit:?}")
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        match self.running {
            Running::Child(mut child) => {
                let pid = child.id().and_then(|id| i32::try_from(id).ok());
                if let Some(pid) = pid.and_then(rustix::process::Pid::from_raw) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                }
                match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
                    Ok(Ok(status)) if status.success() => Ok(()),
                    Ok(Ok(status)) => bail!(
                        "netral-server exited with {status}; see {}",
                        self.log.display()
                    ),
                    Ok(Err(err)) => bail!("cannot wait for netral-server: {err}"),
                    Err(_) => {
                        let _ = child.kill().await;
                        bail!("netral-server did not stop within {STOP_TIMEOUT:?}; killed it")
                    }
                }
            }
            Running::InProcess { shutdown, task } => {
                let _ = shutdown.send(());
                match tokio::time::timeout(STOP_TIMEOUT, task).await {
                    Ok(Ok(Ok(()))) => Ok(()),
                    Ok(Ok(Err(err))) => bail!("the server failed: {err}"),
                    Ok(Err(err)) => bail!("the server task failed: {err}"),
                    Err(_) => bail!("the server did not stop in time"),
                }
            }
        }
    }
}

/// The `netral-server` next to this executable, when `--server-bin` is not given.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the netral executable")?;
    let server = exe.with_file_name(format!("netral-server{}", std::env::consts::EXE_SUFFIX));
    if server.exists() {
        Ok(server)
    } else {
        bail!(
            "{} does not exist: build it (`cargo build --release --bin netral-server`) or pass \
             --server-bin PATH or --in-process",
            server.display()
        )
    }
}

/// Spawns `bin` with `data_dir` on a free loopback port.
async fn spawn(
    bin: &Path,
    data_dir: &Path,
    database_url: &str,
    log: &Path,
) -> anyhow::Result<AuditServer> {
    let bin = std::fs::canonicalize(bin)
        .with_context(|| format!("no server binary at {}", bin.display()))?;
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let mut command = Command::new(&bin);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("NETRAL__") || key == "DATABASE_URL" {
            command.env_remove(key.as_ref());
        }
    }
    command.env("NETRAL__DATABASE__URL", database_url);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let pid = child.id();
    let stdout = child
        .stdout
        .take()
        .context("the server's stdout is not piped")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(addr) = listening_addr(&line) {
                return Ok(Some(addr));
            }
        }
        Ok::<_, std::io::Error>(None)
    })
    .await;
    let addr = match addr {
        Ok(Ok(Some(addr))) => addr,
        Ok(_) => {
            let _ = child.wait().await;
            bail!(
                "netral-server exited before listening; see {}",
                log.display()
            );
        }
        Err(_) => bail!(
            "netral-server did not listen within {START_TIMEOUT:?}; see {}",
            log.display()
        ),
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(AuditServer {
        endpoint: format!("https://{addr}"),
        pki_dir: data_dir.join("pki"),
        pid,
        running: Running::Child(child),
        log: log.to_owned(),
    })
}

/// Runs [`Application`] with `data_dir` in a task of this process.
async fn in_process(
    data_dir: &Path,
    database_url: &str,
    log: &Path,
) -> anyhow::Result<AuditServer> {
    let mut settings = Settings::for_test();
    settings.data_dir = data_dir.to_owned();
    settings.database.url = Some(database_url.to_owned());
    settings.limits.shutdown_grace_ms = 1_000;
    let pki_dir = settings.pki_dir();
    let app = Application::build(settings)
        .await
        .context("the in-process server failed to start")?;
    let endpoint = format!("https://{}", app.local_addr());
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.await;
        };
        app.run_until(stopped).await.map_err(|err| err.to_string())
    });
    Ok(AuditServer {
        endpoint,
        pki_dir,
        pid: None,
        running: Running::InProcess { shutdown, task },
        log: log.to_owned(),
    })
}

/// The address in the server's `netral-server listening on ADDR …` line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split_once("listening on ")?.1;
    rest.split_whitespace().next()?.parse().ok()
}
