//! A netral server in a child process (`netral-crash-server`), for tests that kill it with
//! SIGKILL in the middle of writes and start it again on the same data directory and
//! database: what survives a crash is what was committed, nothing else.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};

use crate::helpers::{PATIENCE, TestDatabase};

/// The data directory and database a crashing server keeps across its restarts.
pub struct CrashSite {
    /// The data directory (dev PKI, SQLite file, the `addr` file).
    pub dir: tempfile::TempDir,
    /// The per-test PostgreSQL database when `NETRAL_TEST_DATABASE_URL` is set.
    database: TestDatabase,
    /// Where every process's clock stands still (`NETRAL_CRASH_NOW`); `None`: the system clock.
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// The `netral-crash-server` executable (`env!("CARGO_BIN_EXE_netral-crash-server")`,
    /// which cargo defines for the package's integration tests only).
    binary: PathBuf,
}

/// One run of the server process on a [`CrashSite`].
pub struct ServerProcess {
    /// The child; killed on drop.
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its dev PKI.
    pki: PathBuf,
}

impl CrashSite {
    /// A fresh data directory and database for the server `binary`.
    pub async fn new(binary: impl Into<PathBuf>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("netral-crash-")
            .tempdir()
            .expect("cannot create the crash test's data directory");
        Self {
            dir,
            database: TestDatabase::create().await,
            now: None,
            binary: binary.into(),
        }
    }

    /// The same site, whose processes' clocks stand still at `now` (e.g. [`DEFAULT_NOW`], the
    /// date the fixtures were written for).
    ///
    /// [`DEFAULT_NOW`]: crate::helpers::DEFAULT_NOW
    pub fn standing_at(self, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            now: Some(now),
            ..self
        }
    }

    /// The database the server uses (to open a store on it after the crash).
    pub fn database_url(&self) -> String {
        self.database.url().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.dir.path().join("netral.db").display()
            )
        })
    }

    /// Starts the server on this site and waits until it accepts calls.
    pub async fn start(&self) -> ServerProcess {
        self.start_with(&[], None).await
    }

    /// [`Self::start`] with more environment variables (see `netral-crash-server`), writing
    /// its standard error to `log` when given (appending: a restart adds to it).
    pub async fn start_with(&self, env: &[(&str, &str)], log: Option<&Path>) -> ServerProcess {
        let addr_file = self.dir.path().join("addr");
        let _ = std::fs::remove_file(&addr_file);
        let mut command = Command::new(&self.binary);
        command
            .env("NETRAL_CRASH_DATA_DIR", self.dir.path())
            // Quiet unless a test asks for more (its log goes to the test's own output).
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .kill_on_drop(true);
        if let Some(log) = log {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("cannot open the server's log file");
            command.stderr(file);
        }
        if let Some(url) = self.database.url() {
            command.env("NETRAL_CRASH_DATABASE_URL", url);
        }
        if let Some(now) = self.now {
            command.env("NETRAL_CRASH_NOW", now.to_rfc3339());
        }
        let child = command.spawn().expect("cannot start netral-crash-server");
        let give_up = tokio::time::Instant::now() + PATIENCE * 3;
        let addr = loop {
            if let Ok(text) = std::fs::read_to_string(&addr_file) {
                break text.parse().expect("the addr file holds an address");
            }
            assert!(
                tokio::time::Instant::now() < give_up,
                "the server did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        ServerProcess {
            child,
            addr,
            pki: self.dir.path().join("pki"),
        }
    }
}

impl ServerProcess {
    /// A `CaseService` client calling as `agency` over mTLS with its dev certificate.
    pub async fn client(&self, agency: &str) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(self.channel(agency).await)
    }

    /// An `InboxService` client calling as `agency`.
    pub async fn inbox_client(&self, agency: &str) -> InboxServiceClient<Channel> {
        InboxServiceClient::new(self.channel(agency).await)
    }

    async fn channel(&self, agency: &str) -> Channel {
        let read = |p: &Path| std::fs::read(p).expect("dev PKI file");
        let agencies = self.pki.join("agencies");
        let tls = netral_server::tls::client_tls_config(
            read(&self.pki.join("ca.pem")),
            read(&agencies.join(format!("{agency}.pem"))),
            read(&agencies.join(format!("{agency}.key"))),
        );
        Endpoint::from_shared(format!("https://{}", self.addr))
            .expect("a valid endpoint")
            .timeout(PATIENCE)
            .tls_config(tls)
            .expect("valid TLS settings")
            .connect()
            .await
            .unwrap_or_else(|err| panic!("{agency} cannot connect: {err:?}"))
    }

    /// SIGTERM, then waits for the process to end: it drains its calls and flushes its
    /// telemetry first.
    pub async fn terminate(mut self) {
        if let Some(pid) = self.child.id() {
            let sent = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .expect("cannot run kill");
            assert!(sent.success(), "kill -TERM {pid} failed");
        }
        tokio::time::timeout(PATIENCE * 3, self.child.wait())
            .await
            .expect("the server did not stop after SIGTERM")
            .expect("cannot wait for the server");
    }

    /// A channel to the server as `agency` (any service's client).
    pub async fn channel_for(&self, agency: &str) -> Channel {
        self.channel(agency).await
    }

    /// SIGKILL: no drain, no checkpoint, no goodbye.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("cannot kill the server");
    }
}
