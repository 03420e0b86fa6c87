//! The server under load, and how much memory it uses.
//!
//! By default the bench spawns the `netral-server` binary that sits next to `netral` (building
//! it first with cargo when `netral` itself runs from a cargo target directory, so the server
//! measured is the one in the working tree), with a temporary data directory, a free loopback
//! port and the bench's fresh database; it reads the port the server prints, waits for health
//! to answer, and stops it with SIGTERM at the end. `--in-process` runs
//! [`Application`] in a task of this process instead (what the tests use: no other binary
//! needed); `--endpoint` targets a server someone else runs.
//! Its memory and CPU time are read from `/proc` by [`super::procfs`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use netral_server::settings::Settings;
use netral_server::startup::Application;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::grpc;

/// How long a spawned server may take to print its address (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the server may take to answer health checks once it listens.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long building `netral-server` with cargo may take (a cold release build on 2 cores).
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The agency whose certificate the readiness probe presents.
const PROBE_AGENCY: &str = "bawaslu-kotabaru";

/// Which server to load.
#[derive(Debug, Clone)]
pub enum ServerChoice {
    /// Spawn `netral-server` as a child process: `bin`, or the one next to this executable.
    Spawn {
        /// An explicit `netral-server` binary (`--server-bin`); not rebuilt.
        bin: Option<PathBuf>,
    },
    /// Run the server in a task of this process (the smoke test's choice).
    InProcess,
    /// A server already running at `endpoint`, whose dev PKI is in `pki_dir`.
    External {
        /// `https://host:port`.
        endpoint: String,
        /// The PKI directory holding `ca.pem` and `agencies/<id>.{pem,key}`.
        pki_dir: PathBuf,
    },
}

impl ServerChoice {
    /// `spawned`, `in-process` or `external`, for the report.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Spawn { .. } => "spawned",
            Self::InProcess => "in-process",
            Self::External { .. } => "external",
        }
    }
}

/// A running server.
pub struct Server {
    /// `https://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Its dev PKI: `ca.pem`, `agencies/<id>.pem` and `.key`.
    pub pki_dir: PathBuf,
    /// The process to read memory from: the child, this process when in-process, none when
    /// external.
    pub pid: Option<u32>,
    /// How to stop it.
    running: Running,
    /// The temporary data directory (dev PKI, logs); removed after the server stops.
    data_dir: Option<TempDir>,
}

/// How a [`Server`] runs.
enum Running {
    /// A child process, its stderr going to `log`.
    Child {
        /// The process.
        child: Child,
        /// Where its stderr goes, to show when it fails.
        log: PathBuf,
    },
    /// A task of this process.
    InProcess {
        /// Tells the application to drain and stop.
        shutdown: oneshot::Sender<()>,
        /// The serving task.
        task: JoinHandle<Result<(), String>>,
    },
    /// Someone else's server: nothing to stop.
    External,
}

impl Server {
    /// Starts (or points at) the server, with `database_url` as its database, and waits until
    /// it answers health checks over mTLS.
    pub async fn start(choice: &ServerChoice, database_url: &str) -> anyhow::Result<Self> {
        Self::start_with(choice, database_url, &[]).await
    }

    /// [`Server::start`], giving a spawned server these settings as `NETRAL__…` environment
    /// variables too (an in-process or external server ignores them).
    pub async fn start_with(
        choice: &ServerChoice,
        database_url: &str,
        settings: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let server = match choice {
            ServerChoice::Spawn { bin } => spawn(bin.as_deref(), database_url, settings).await?,
            ServerChoice::InProcess => in_process(database_url).await?,
            ServerChoice::External { endpoint, pki_dir } => Self {
                endpoint: endpoint.clone(),
                pki_dir: pki_dir.clone(),
                pid: None,
                running: Running::External,
                data_dir: None,
            },
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Polls `grpc.health.v1.Health/Check` until it answers SERVING, for at most
    /// [`READY_TIMEOUT`].
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let give_up = Instant::now() + READY_TIMEOUT;
        let mut last_error = String::new();
        while Instant::now() < give_up {
            match grpc::probe(&self.endpoint, &self.pki_dir, PROBE_AGENCY).await {
                Ok(()) => return Ok(()),
                Err(err) => last_error = format!("{err:#}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "the server at {} did not answer health checks within {READY_TIMEOUT:?}: {last_error}",
            self.endpoint
        )
    }

    /// Stops the server (SIGTERM for a child, the shutdown signal in-process) and waits for
    /// it, killing a child that has not exited after [`STOP_TIMEOUT`].
    pub async fn stop(self) -> anyhow::Result<()> {
        let result = match self.running {
            Running::Child { mut child, log } => stop_child(&mut child, &log).await,
            Running::InProcess { shutdown, task } => {
                let _ = shutdown.send(());
                match tokio::time::timeout(STOP_TIMEOUT, task).await {
                    Ok(Ok(Ok(()))) => Ok(()),
                    Ok(Ok(Err(err))) => Err(anyhow::anyhow!("the server failed: {err}")),
                    Ok(Err(err)) => Err(anyhow::anyhow!("the server task failed: {err}")),
                    Err(_) => Err(anyhow::anyhow!("the server did not stop in time")),
                }
            }
            Running::External => Ok(()),
        };
        drop(self.data_dir);
        result
    }
}

/// Spawns `netral-server` on a free loopback port with a temporary data directory.
async fn spawn(
    bin: Option<&Path>,
    database_url: &str,
    settings: &[(&str, String)],
) -> anyhow::Result<Server> {
    let bin = match bin {
        // Absolute, since the child runs in its data directory.
        Some(bin) => std::fs::canonicalize(bin)
            .with_context(|| format!("no server binary at {}", bin.display()))?,
        None => server_binary().await?,
    };
    let data_dir = temp_data_dir()?;
    let log = data_dir.path().join("server.log");
    let stderr =
        std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut command = Command::new(&bin);
    command
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(["--listen", "127.0.0.1:0"])
        // No deploy/config/base.toml there: compiled defaults, then our environment only.
        .current_dir(data_dir.path())
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
    for (key, value) in settings {
        command.env(key, value);
    }
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
        Ok(Ok(None)) | Ok(Err(_)) => {
            let _ = child.wait().await;
            bail!("netral-server exited before listening; {}", log_tail(&log));
        }
        Err(_) => bail!(
            "netral-server did not listen within {START_TIMEOUT:?}; {}",
            log_tail(&log)
        ),
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Server {
        endpoint: format!("https://{addr}"),
        pki_dir: data_dir.path().join("pki"),
        pid,
        running: Running::Child { child, log },
        data_dir: Some(data_dir),
    })
}

/// Starts [`Application`] in a task of this process.
async fn in_process(database_url: &str) -> anyhow::Result<Server> {
    let data_dir = temp_data_dir()?;
    let mut settings = Settings::for_test();
    settings.data_dir = data_dir.path().to_owned();
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
    Ok(Server {
        endpoint,
        pki_dir,
        pid: Some(std::process::id()),
        running: Running::InProcess { shutdown, task },
        data_dir: Some(data_dir),
    })
}

/// A temporary data directory for one server.
fn temp_data_dir() -> anyhow::Result<TempDir> {
    tempfile::Builder::new()
        .prefix("netral-bench-server-")
        .tempdir()
        .context("cannot create a temporary data directory for the server")
}

/// The address in the server's `netral-server listening on ADDR …` line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let rest = line.split_once("listening on ")?.1;
    rest.split_whitespace().next()?.parse().ok()
}

/// SIGTERM, then wait; SIGKILL if it does not exit in time.
async fn stop_child(child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let pid = child.id().and_then(|id| i32::try_from(id).ok());
    if let Some(pid) = pid.and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => bail!("netral-server exited with {status}; {}", log_tail(log)),
        Ok(Err(err)) => bail!("cannot wait for netral-server: {err}"),
        Err(_) => {
            let _ = child.kill().await;
            bail!("netral-server did not stop within {STOP_TIMEOUT:?} of SIGTERM; killed it")
        }
    }
}

/// The last lines of the server's log, for an error message.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n  ");
    if tail.is_empty() {
        format!("its log ({}) is empty", log.display())
    } else {
        format!("the end of its log:\n  {tail}")
    }
}

/// `netral-server` next to this executable. When this executable runs from a cargo target
/// directory of this workspace, cargo builds the server first with the same profile, so the
/// server measured is always the one in the working tree (`cargo run --bin netral` builds only
/// `netral`).
async fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the netral executable")?;
    let dir = exe
        .parent()
        .context("the netral executable has no directory")?;
    let server = dir.join(format!("netral-server{}", std::env::consts::EXE_SUFFIX));
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let profile = dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let in_target = dir
        .parent()
        .is_some_and(|p| p.join("CACHEDIR.TAG").exists());
    if manifest.exists() && in_target && !profile.is_empty() && profile != "deps" {
        build_server(&manifest, profile).await?;
    }
    if server.exists() {
        Ok(server)
    } else {
        bail!(
            "{} does not exist: build it with `cargo build --release --bin netral-server`, or \
             pass --server-bin PATH, --in-process, or --endpoint URL --pki DIR",
            server.display()
        )
    }
}

/// Whether `name` is one of the variables `cargo run` sets for the program it runs (this one).
/// Passed on to the nested cargo they would reach build scripts that watch them (ring's does
/// `CARGO_MANIFEST_DIR`) and rebuild half the dependency tree for nothing.
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
        )
}

/// `cargo build --bin netral-server` with `profile` (`release`, `debug` or a custom one).
async fn build_server(manifest: &Path, profile: &str) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--bin", "netral-server"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command.env_remove(name);
        }
    }
    match profile {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }
    eprintln!("building netral-server ({profile}) so the bench loads the current source…");
    let status = tokio::time::timeout(BUILD_TIMEOUT, command.status()).await;
    match status {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => bail!(
            "`cargo build --bin netral-server` failed ({status}); fix the build or pass \
             --server-bin PATH"
        ),
        Ok(Err(err)) => bail!("cannot run cargo to build netral-server: {err}"),
        Err(_) => bail!("building netral-server took longer than {BUILD_TIMEOUT:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nested_build_does_not_inherit_what_cargo_run_set() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
        ] {
            assert!(set_by_cargo_run(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "PATH",
            "RUSTFLAGS",
        ] {
            assert!(!set_by_cargo_run(name), "{name}");
        }
    }

    #[test]
    fn reads_the_address_the_server_prints() {
        let line = "netral-server listening on 127.0.0.1:40123 (mTLS, development PKI)";
        assert_eq!(
            listening_addr(line),
            Some("127.0.0.1:40123".parse().unwrap())
        );
        assert_eq!(listening_addr("  CA certificate: /x/ca.pem"), None);
    }
}
