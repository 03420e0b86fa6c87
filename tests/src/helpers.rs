//! `spawn_app()`: a real netral server on `127.0.0.1:0` behind mTLS, with its own data
//! directory, its own database and a manual clock, plus the clients and probes tests use.
//!
//! Each [`TestApp`] owns everything it created: the temporary data directory (dev PKI and,
//! by default, the SQLite file) and, when [`DATABASE_URL_VAR`] is set, a PostgreSQL database
//! `netral_e2e_<uuid>` created for it and dropped (`WITH (FORCE)`) when it is dropped. Tests
//! therefore never share state and run in parallel.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use netral_domain::CaseId;
use netral_proto::v1 as pb;
use netral_proto::v1::audit_service_client::AuditServiceClient;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_proto::v1::inbox_service_client::InboxServiceClient;
use netral_server::audit::LogKeeper;
use netral_server::clock::Clock;
use netral_server::deadline_engine::{DeadlineEngine, ScanReport};
use netral_server::settings::Settings;
use netral_server::startup::Application;
use netral_store::{CaseEventRow, Store, TableCounts};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic::{Code, Status};
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

use crate::fixtures::{self, Step};

/// The environment variable naming a PostgreSQL *admin* URL (e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`). When set, every test gets a fresh
/// database created through it; when set but unreachable, the test fails (it never silently
/// falls back to SQLite).
pub const DATABASE_URL_VAR: &str = "NETRAL_TEST_DATABASE_URL";

/// Where the manual clock of a new app stands: 2024-03-01 10:00 WIB (03:00 UTC), a working
/// Friday during the Pemilu 2024 follow-up, while KASN still holds the examiner role.
pub const DEFAULT_NOW: &str = "2024-03-01T03:00:00Z";

/// How long a test waits for something that should happen "soon" before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A running netral server and what a test needs to talk to it and look inside it.
pub struct TestApp {
    /// The address the server listens on (a free port chosen by the OS).
    pub addr: SocketAddr,
    /// The plaintext health-only address, when the test set `health_listen`.
    pub health_addr: Option<SocketAddr>,
    /// The dev PKI the server generated: `ca.pem`, `server.pem`, `agencies/<id>.pem/.key`.
    pub pki_dir: PathBuf,
    /// The server's clock, standing still until the test moves it with `clock.set(..)`.
    pub clock: Clock,
    /// The database the server uses (SQLite file in the data dir, or the per-test
    /// PostgreSQL database), for tests that inspect it directly.
    pub database_url: String,
    /// The server's store: the same pool the server writes with.
    store: Store,
    /// The server's audit log keeper, to sequence, sign and self-check on demand.
    keeper: LogKeeper,
    /// The server's deadline engine, to scan on demand at the clock's instant.
    deadlines: DeadlineEngine,
    /// The settings the server was built with, to start a second replica beside it.
    settings: Settings,
    /// One mTLS channel per agency, made on first use and reused (each is one connection).
    channels: Mutex<HashMap<String, Channel>>,
    /// Signals the server to stop; sent on drop.
    shutdown: Option<oneshot::Sender<()>>,
    /// Dropped after the fields above, so the database outlives the pool that uses it.
    _database: TestDatabase,
    /// The data directory; removed last.
    _data_dir: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts a server with the test defaults: a fresh data directory and database, the
/// bundled catalogue and dev directory, mTLS with a generated dev PKI, and a manual clock at
/// [`DEFAULT_NOW`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], letting the test adjust the settings (e.g. point
/// `settings.directory.file` at its own directory) before the server is built.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        netral_server::telemetry::init_for_tests();
    }
    let data_dir = tempfile::Builder::new()
        .prefix("netral-e2e-")
        .tempdir()
        .expect("cannot create the test's data directory");
    let mut settings = Settings::for_test();
    settings.data_dir = data_dir.path().to_owned();
    // Several apps run at once against one PostgreSQL: keep each pool small.
    settings.database.max_connections = 5;
    // A short grace period so that a dropped app lets go of its database quickly.
    settings.limits.shutdown_grace_ms = 500;
    let database = TestDatabase::create().await;
    if let Some(url) = database.url() {
        settings.database.url = Some(url);
    }
    configure(&mut settings);
    let database_url = settings.database_url();

    let clock = Clock::manual(default_now());
    let app = Application::build_with_clock(settings.clone(), clock.clone())
        .await
        .unwrap_or_else(|err| panic!("the test server failed to start: {err}"));
    let addr = app.local_addr();
    let health_addr = app.health_addr();
    let pki_dir = app
        .dev_pki_dir()
        .map(Path::to_owned)
        .unwrap_or_else(|| settings.pki_dir());
    let store = app.store().clone();
    let keeper = app.audit_keeper().clone();
    let deadlines = app.deadline_engine().clone();
    let expected = match database {
        TestDatabase::Sqlite => DbBackend::Sqlite,
        TestDatabase::Postgres { .. } => DbBackend::Postgres,
    };
    assert_eq!(
        store.backend(),
        expected,
        "the test server runs on the wrong database"
    );
    let shutdown = serve(app, "the test server");
    TestApp {
        addr,
        health_addr,
        pki_dir,
        clock,
        database_url,
        store,
        keeper,
        deadlines,
        settings,
        channels: Mutex::new(HashMap::new()),
        shutdown: Some(shutdown),
        _database: database,
        _data_dir: data_dir,
    }
}

/// Runs `app` in the background until the returned sender is used or dropped; `what` names
/// it in the panic if it fails while running.
fn serve(app: Application, what: &'static str) -> oneshot::Sender<()> {
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.await;
        };
        if let Err(err) = app.run_until(stopped).await {
            panic!("{what} failed while running: {err}");
        }
    });
    shutdown
}

/// [`DEFAULT_NOW`] as an instant.
pub fn default_now() -> DateTime<Utc> {
    DEFAULT_NOW.parse().expect("DEFAULT_NOW is RFC 3339")
}

impl TestApp {
    /// Runs one deadline scan now (at the clock's instant) and reports what it raised.
    pub async fn scan_deadlines(&self) -> ScanReport {
        self.deadlines
            .scan()
            .await
            .unwrap_or_else(|err| panic!("the deadline scan failed: {err}"))
    }

    /// The deadline engine of a second replica on the same database, settings and clock: its
    /// own pool and writer lanes, as another server process would have.
    pub async fn replica_engine(&self) -> DeadlineEngine {
        self.build_replica().await.deadline_engine().clone()
    }

    /// A second server built from the same settings (database, directory file, dev PKI,
    /// audit keys) and clock, on a port of its own, not yet serving.
    async fn build_replica(&self) -> Application {
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().expect("a loopback address");
        settings.database.url = Some(self.database_url.clone());
        Application::build_with_clock(settings, self.clock.clone())
            .await
            .unwrap_or_else(|err| panic!("the second replica failed to start: {err}"))
    }

    /// A second replica serving on its own port, built from the same settings (database,
    /// directory file, dev PKI, audit keys) and clock, as another server process would be;
    /// stopped when dropped.
    pub async fn spawn_replica(&self) -> Replica {
        let replica = self.build_replica().await;
        let addr = replica.local_addr();
        Replica {
            addr,
            shutdown: Some(serve(replica, "the second replica")),
        }
    }

    /// The settings the server was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The server's store, as the server itself uses it (to read history, count rows or
    /// inject failures).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `https://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The dev CA certificate (PEM) every agency certificate chains to.
    pub fn ca_pem(&self) -> Vec<u8> {
        read(&self.pki_dir.join("ca.pem"))
    }

    /// The certificate and key (PEM) the dev PKI issued to `agency`.
    pub fn agency_identity(&self, agency: &str) -> (Vec<u8>, Vec<u8>) {
        let dir = self.pki_dir.join("agencies");
        (
            read(&dir.join(format!("{agency}.pem"))),
            read(&dir.join(format!("{agency}.key"))),
        )
    }

    /// Connects with an arbitrary TLS configuration (no certificate, a foreign CA's
    /// certificate, …). Returns the transport error instead of panicking, for tests that
    /// expect the handshake to fail.
    pub async fn try_connect(
        &self,
        tls: ClientTlsConfig,
    ) -> Result<Channel, tonic::transport::Error> {
        connect_to(self.addr, tls).await
    }

    /// The client TLS configuration of `agency`: its dev certificate and key, the dev CA,
    /// and the server name `localhost` (`netral_server::tls::client_tls_config`).
    pub fn tls_for(&self, agency: &str) -> ClientTlsConfig {
        let (cert, key) = self.agency_identity(agency);
        netral_server::tls::client_tls_config(self.ca_pem(), cert, key)
    }

    /// An mTLS channel presenting `agency`'s dev certificate (CA `ca.pem`, TLS name
    /// `localhost`), made once per agency and reused.
    pub async fn channel_for(&self, agency: &str) -> Channel {
        if let Some(channel) = self.channels.lock().expect("channel cache").get(agency) {
            return channel.clone();
        }
        let channel = self
            .try_connect(self.tls_for(agency))
            .await
            .unwrap_or_else(|err| panic!("{agency} cannot connect to the test server: {err:?}"));
        self.channels
            .lock()
            .expect("channel cache")
            .insert(agency.to_owned(), channel.clone());
        channel
    }

    /// A `CaseService` client calling as `agency` (an id of the dev directory, e.g.
    /// `bawaslu-kotabaru`).
    pub async fn client(&self, agency: &str) -> CaseServiceClient<Channel> {
        CaseServiceClient::new(self.channel_for(agency).await)
    }

    /// Tells the server to drain and stop, as a SIGTERM would (the app stays usable for
    /// watching what draining does).
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// An `InboxService` client calling as `agency`.
    pub async fn inbox_client(&self, agency: &str) -> InboxServiceClient<Channel> {
        InboxServiceClient::new(self.channel_for(agency).await)
    }

    /// Opens a `WatchInbox` stream as `agency`, after `after` (empty: after the acknowledged
    /// cursor).
    pub async fn watch_inbox(
        &self,
        agency: &str,
        after: &str,
    ) -> tonic::Streaming<pb::WatchInboxResponse> {
        self.inbox_client(agency)
            .await
            .watch_inbox(pb::WatchInboxRequest {
                after_cursor: after.into(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{agency} cannot watch its inbox: {status:?}"))
            .into_inner()
    }

    /// How far `agency` has read its inbox (`GetInboxStatus`).
    pub async fn inbox_status(&self, agency: &str) -> pb::InboxStatus {
        self.inbox_client(agency)
            .await
            .get_inbox_status(pb::GetInboxStatusRequest::default())
            .await
            .unwrap_or_else(|status| panic!("{agency} cannot read its inbox status: {status:?}"))
            .into_inner()
            .status
            .expect("a status")
    }

    /// Every message in `agency`'s inbox, oldest first, read page by page with `ListInbox`.
    pub async fn inbox(&self, agency: &str) -> Vec<pb::InboxMessage> {
        let mut client = self.inbox_client(agency).await;
        let mut messages = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_inbox(pb::ListInboxRequest {
                    page_size: 50,
                    page_token,
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|status| panic!("{agency} cannot list its inbox: {status:?}"))
                .into_inner();
            messages.extend(page.messages);
            if page.next_page_token.is_empty() {
                return messages;
            }
            page_token = page.next_page_token;
        }
    }

    /// A `grpc.health.v1.Health` client (over mTLS, as the auditor `bpk`: the whole port
    /// requires a client certificate).
    pub async fn health_client(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel_for("bpk").await)
    }

    /// Registers `request` as `agency`.
    pub async fn register(
        &self,
        agency: &str,
        request: pb::RegisterCaseRequest,
    ) -> Result<pb::Case, Status> {
        let response = self.client(agency).await.register_case(request).await?;
        Ok(fixtures::case_of(response.into_inner().r#case))
    }

    /// Takes `step` on `case` as `agency`, with the fixtures' request for that step (the
    /// case's name and etag, a fresh request id).
    pub async fn act(&self, agency: &str, step: Step, case: &pb::Case) -> Result<pb::Case, Status> {
        step.send(&mut self.client(agency).await, case).await
    }

    /// Reads a case as `agency` (the FULL view, GetCase's default).
    pub async fn get(&self, agency: &str, name: &str) -> Result<pb::Case, Status> {
        self.get_view(agency, name, pb::CaseView::Unspecified).await
    }

    /// Reads a case as `agency` in `view`.
    pub async fn get_view(
        &self,
        agency: &str,
        name: &str,
        view: pb::CaseView,
    ) -> Result<pb::Case, Status> {
        let request = pb::GetCaseRequest {
            name: name.to_owned(),
            view: view as i32,
        };
        let response = self.client(agency).await.get_case(request).await?;
        Ok(fixtures::case_of(response.into_inner().r#case))
    }

    /// Reads a case as the auditor `bpk`, who may read every case; panics if it cannot.
    pub async fn read(&self, name: &str) -> pb::Case {
        self.get("bpk", name)
            .await
            .unwrap_or_else(|status| panic!("the auditor cannot read {name}: {status:?}"))
    }

    /// Reads a case in the BASIC view (what step replies carry) as the auditor `bpk`.
    pub async fn read_basic(&self, name: &str) -> pb::Case {
        self.get_view("bpk", name, pb::CaseView::Basic)
            .await
            .unwrap_or_else(|status| panic!("the auditor cannot read {name}: {status:?}"))
    }

    /// Lists cases as `agency`.
    pub async fn list(
        &self,
        agency: &str,
        request: pb::ListCasesRequest,
    ) -> Result<pb::ListCasesResponse, Status> {
        let response = self.client(agency).await.list_cases(request).await?;
        Ok(response.into_inner())
    }

    /// Every case `agency` sees under `filter`, following page tokens to the end.
    pub async fn list_all(&self, agency: &str, filter: &str) -> Vec<pb::Case> {
        let mut cases = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListCasesRequest {
                page_size: 100,
                page_token: page_token.clone(),
                filter: filter.to_owned(),
                view: pb::CaseView::Unspecified as i32,
            };
            let page = self
                .list(agency, request)
                .await
                .unwrap_or_else(|status| panic!("{agency} cannot list `{filter}`: {status:?}"));
            cases.extend(page.cases);
            if page.next_page_token.is_empty() {
                return cases;
            }
            page_token = page.next_page_token;
        }
    }

    /// An `AuditService` client speaking as `agency`.
    pub async fn audit_client(&self, agency: &str) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel_for(agency).await)
    }

    /// The server's audit log keeper (the same the server's background tasks use).
    pub fn audit_keeper(&self) -> &LogKeeper {
        &self.keeper
    }

    /// The audit log's public verifier key, as the server published it beside the PKI.
    pub fn audit_verifier_key(&self) -> String {
        let path = self.pki_dir.join(netral_server::audit::VERIFIER_KEY_FILE);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
    }

    /// The audit history of the case `name` (`cases/<uuid>`), as `agency` reads it.
    pub async fn audit_history(&self, agency: &str, name: &str) -> Vec<pb::AuditEvent> {
        self.audit_client(agency)
            .await
            .get_case_history(pb::GetCaseHistoryRequest {
                name: name.to_owned(),
            })
            .await
            .unwrap_or_else(|err| panic!("{agency} cannot read the history of {name}: {err}"))
            .into_inner()
            .events
    }

    /// How many rows the case tables hold now (`Store::table_counts`), to prove that a
    /// refused request wrote nothing.
    pub async fn row_counts(&self) -> TableCounts {
        self.store
            .table_counts()
            .await
            .unwrap_or_else(|err| panic!("cannot count the store's rows: {err}"))
    }

    /// The accepted steps of a case, oldest first, as the store recorded them.
    pub async fn history(&self, case: &pb::Case) -> Vec<CaseEventRow> {
        let id = CaseId::from_resource_name(&case.name)
            .unwrap_or_else(|err| panic!("`{}` is not a case name: {err}", case.name));
        self.store
            .case_events(id)
            .await
            .unwrap_or_else(|err| panic!("cannot read the history of {}: {err}", case.name))
    }
}

/// A second server process on the same database, from [`TestApp::spawn_replica`].
pub struct Replica {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Signals it to stop; sent on drop.
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Replica {
    /// Connects with `tls` (e.g. [`TestApp::tls_for`]); the transport error if it cannot.
    pub async fn try_connect(
        &self,
        tls: ClientTlsConfig,
    ) -> Result<Channel, tonic::transport::Error> {
        connect_to(self.addr, tls).await
    }
}

/// An mTLS channel to the server at `addr` with `tls`, within [`PATIENCE`].
pub async fn connect_to(
    addr: SocketAddr,
    tls: ClientTlsConfig,
) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("https://{addr}"))
        .expect("the endpoint is a valid URI")
        .connect_timeout(PATIENCE)
        .timeout(PATIENCE)
        .tls_config(tls)?
        .connect()
        .await
}

/// The next `n` messages of an inbox stream, each within [`PATIENCE`]; fails the test when
/// the stream stalls, fails or ends first.
pub async fn receive(
    stream: &mut tonic::Streaming<pb::WatchInboxResponse>,
    n: usize,
) -> Vec<pb::InboxMessage> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let next = tokio::time::timeout(PATIENCE, stream.message())
            .await
            .expect("the stream delivered nothing in time")
            .expect("the stream failed")
            .expect("the stream ended");
        got.push(next.message.expect("a message"));
    }
    got
}

/// What is wrong with `answer` to a request whose only bad field is `field`, or `None` when
/// it is the INVALID_ARGUMENT naming exactly that field in its BadRequest.
pub fn not_refused_on<T: std::fmt::Debug>(
    what: &str,
    answer: Result<T, Status>,
    field: &str,
) -> Option<String> {
    match answer {
        Ok(accepted) => Some(format!("{what}: accepted: {accepted:?}")),
        Err(status) => {
            let fields = field_violations(&status);
            (status.code() != tonic::Code::InvalidArgument || fields != [field]).then(|| {
                format!(
                    "{what}: expected INVALID_ARGUMENT on [{field}], got {:?} on {fields:?} ({})",
                    status.code(),
                    status.message()
                )
            })
        }
    }
}

/// Flips one bit of the stored leaf of audit event `sequence`, as someone with database
/// access rewriting history would.
pub async fn alter_audit_leaf(app: &TestApp, sequence: i64) {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(app.database_url.as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let select = Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "SELECT leaf FROM audit_events WHERE sequence = $1",
            _ => "SELECT leaf FROM audit_events WHERE sequence = ?",
        },
        [sequence.into()],
    );
    let row = db.query_one(select).await.unwrap().unwrap();
    let mut leaf: Vec<u8> = row.try_get("", "leaf").unwrap();
    let last = leaf.len() - 1;
    leaf[last] ^= 0x01;
    let update = match backend {
        DbBackend::Postgres => "UPDATE audit_events SET leaf = $1 WHERE sequence = $2",
        _ => "UPDATE audit_events SET leaf = ? WHERE sequence = ?",
    };
    db.execute(Statement::from_sql_and_values(
        backend,
        update,
        [leaf.into(), sequence.into()],
    ))
    .await
    .unwrap();
}

/// Polls `condition` until it holds, failing the test if it does not within `deadline`.
/// The one way tests wait: never a bare sleep.
pub async fn eventually<F, Fut>(deadline: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    let mut interval = Duration::from_millis(10);
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "condition still false after {deadline:?}"
        );
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_millis(200));
    }
}

/// The `ErrorInfo.reason` of a status (empty when it carries none).
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The `ErrorInfo.domain` of a status (empty when it carries none).
pub fn error_domain(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.domain.clone())
        .unwrap_or_default()
}

/// The fields named by the `BadRequest` field violations of a status, in order.
pub fn field_violations(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that `result` failed with `code` and `reason`, returning the status.
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    expected_reason: &str,
) -> Status {
    let status = match result {
        Ok(value) => {
            panic!("expected {code:?} / {expected_reason}, but the call succeeded: {value:?}")
        }
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (code, expected_reason),
        "unexpected refusal: {status:?}"
    );
    status
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The database of one test: SQLite in the data directory (nothing to clean up beyond the
/// directory), or a PostgreSQL database of its own, dropped on drop.
pub(crate) enum TestDatabase {
    /// The server's default: `data_dir/netral.db`.
    Sqlite,
    /// `name`, created through `admin_url` and dropped through it.
    Postgres {
        /// The admin URL from [`DATABASE_URL_VAR`].
        admin_url: String,
        /// `netral_e2e_<uuid>`.
        name: String,
    },
}

impl TestDatabase {
    /// SQLite unless [`DATABASE_URL_VAR`] is set, in which case a fresh PostgreSQL database.
    pub(crate) async fn create() -> Self {
        let Some(admin_url) = std::env::var(DATABASE_URL_VAR)
            .ok()
            .filter(|v| !v.is_empty())
        else {
            return Self::Sqlite;
        };
        let name = format!("netral_e2e_{}", uuid::Uuid::new_v4().simple());
        let admin = Self::admin(&admin_url).await;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|err| {
                panic!("cannot create database {name} through {DATABASE_URL_VAR}: {err}")
            });
        let _ = admin.close().await;
        Self::Postgres { admin_url, name }
    }

    /// A connection through the admin URL, or a failed test saying why.
    async fn admin(admin_url: &str) -> DatabaseConnection {
        let mut options = ConnectOptions::new(admin_url.to_owned());
        options
            .max_connections(1)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        match Database::connect(options).await {
            Ok(db) => db,
            Err(err) => panic!(
                "{DATABASE_URL_VAR} is set to {} but PostgreSQL cannot be reached there: {err}. \
                 Start PostgreSQL, or unset {DATABASE_URL_VAR} to test on SQLite only.",
                redact(admin_url)
            ),
        }
    }

    /// The URL the server should use; `None` for the SQLite default.
    pub(crate) fn url(&self) -> Option<String> {
        match self {
            Self::Sqlite => None,
            Self::Postgres { admin_url, name } => Some(with_database(admin_url, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Self::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside the test's runtime, which must not be blocked on itself: the
        // database is dropped from a thread with a runtime of its own. FORCE ends the
        // server's pooled connections, which may still be open.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async move {
                let mut options = ConnectOptions::new(admin_url);
                options.max_connections(1).sqlx_logging(false);
                let admin = Database::connect(options)
                    .await
                    .map_err(|err| err.to_string())?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let result = admin
                    .execute_unprepared(&sql)
                    .await
                    .map_err(|err| err.to_string());
                let _ = admin.close().await;
                result.map(drop).map_err(|err| format!("{name}: {err}"))
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop the test database {err}"),
            Err(_) => eprintln!("warning: the thread dropping a test database panicked"),
        }
    }
}

/// `url` with its database (path) replaced by `name`, keeping credentials and parameters.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// `url` with any password replaced by `***`, for failure messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_admin_database() {
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "netral_e2e_x"
            ),
            "postgres://postgres@127.0.0.1:5432/netral_e2e_x"
        );
        assert_eq!(
            with_database("postgres://u:p@db/postgres?sslmode=disable", "t"),
            "postgres://u:p@db/t?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@db:5432", "t"),
            "postgres://u@db:5432/t"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/d"), "postgres://u:***@h/d");
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
    }
}
