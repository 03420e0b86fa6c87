//! [`Application`]: everything the server needs, built once from [`Settings`], bound to its
//! address (port 0 works, for tests), and served until a shutdown future completes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use netral_domain::Catalogue;
use netral_proto::v1::audit_service_server::AuditServiceServer;
use netral_proto::v1::case_service_server::CaseServiceServer;
use netral_proto::v1::directory_service_server::DirectoryServiceServer;
use netral_proto::v1::import_service_server::ImportServiceServer;
use netral_proto::v1::inbox_service_server::InboxServiceServer;
use netral_proto::v1::stats_service_server::StatsServiceServer;
use netral_store::Store;
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;

use crate::audit::{AuditKeys, Auditor, KeyFiles, LogKeeper};
use crate::clock::Clock;
use crate::deadline_engine::DeadlineEngine;
use crate::directory::{Directory, DirectoryHandle, DirectoryRefresh};
use crate::exchange::Exchange;
use crate::grpc::AppState;
use crate::grpc::audit_service::AuditApi;
use crate::grpc::case_service::CaseApi;
use crate::grpc::directory_service::DirectoryApi;
use crate::grpc::import_service::ImportApi;
use crate::grpc::inbox_service::InboxApi;
use crate::grpc::inbox_stream::Streams;
use crate::grpc::stats_service::StatsApi;
use crate::maintenance;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::tls;

/// Why the server could not start. Start-up errors are shown to the operator in full.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The settings are inconsistent.
    #[error("settings: {0}")]
    Settings(#[from] crate::settings::SettingsError),
    /// A catalogue file is bad; the message names file, line and field.
    #[error("catalogue: {0}")]
    Catalogue(#[from] netral_domain::catalogue::CatalogueError),
    /// The directory file is bad.
    #[error("directory: {0}")]
    Directory(#[from] crate::directory::DirectoryError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] netral_store::StoreError),
    /// Certificates could not be loaded or generated.
    #[error("tls: {0}")]
    Tls(#[from] tls::TlsError),
    /// The audit log's keys cannot be loaded or generated.
    #[error("audit keys: {0}")]
    AuditKeys(#[from] crate::audit::KeyError),
    /// The data directory cannot be created.
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        /// `data_dir`.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The metrics exporter could not be set up.
    #[error("metrics: {0}")]
    Metrics(#[from] crate::metrics::MetricsError),
    /// The reflection service could not be built from the descriptor sets.
    #[error("reflection: {0}")]
    Reflection(String),
    /// The server failed while running.
    #[error("server: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// A built, bound server, ready to run.
pub struct Application {
    /// The bound listener; kept so port 0 resolves before `run_until`.
    listener: TcpListener,
    /// The resolved address (the real port when 0 was asked for).
    local_addr: SocketAddr,
    /// The plaintext health-only listener (`health_listen`), when configured.
    health_listener: Option<TcpListener>,
    /// Shared state of the services.
    state: AppState,
    /// The server's TLS configuration; `None` only in insecure loopback development mode.
    tls: Option<tonic::transport::ServerTlsConfig>,
    /// Where the dev PKI lives, when it was generated or reused (printed by `main`).
    dev_pki_dir: Option<std::path::PathBuf>,
    /// Timeouts and message limits.
    settings: Settings,
    /// Sequences, signs and self-checks the audit log.
    keeper: LogKeeper,
    /// The operator's metrics and their exporter.
    metrics: Metrics,
    /// Raises reminders, overdue notices and escalation proposals.
    deadlines: DeadlineEngine,
    /// Keeps the directory and the revocations current while serving.
    refresh: DirectoryRefresh,
}

impl Application {
    /// Builds the application from `settings` with the system clock.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// Builds the application with an injected clock (tests stand on chosen dates).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        settings.validate()?;
        crate::posture::check(&settings)?;
        create_data_dir(&settings.data_dir).map_err(|source| StartupError::DataDir {
            path: settings.data_dir.clone(),
            source,
        })?;
        let catalogue = match &settings.catalogue.dir {
            Some(dir) => Catalogue::load_dir(dir)?,
            None => Catalogue::bundled()?,
        };
        let directory = Directory::from_settings(&settings.directory)?;
        directory.check_regions(&catalogue.regions)?;
        let lanes = match settings.database.writer_lanes {
            0 => None,
            n => Some(n as usize),
        };
        let store = Store::connect_with_lanes(
            &settings.database_url(),
            settings.database.max_connections,
            lanes,
        )
        .await?;
        crate::directory::refresh::sync_store(&store, &directory, clock.now(), "startup").await?;
        // Revocations recorded while this replica was down apply before its first call.
        let revocations = store.revocations().await?;
        let live = DirectoryHandle::new(directory.with_revocations(&revocations));

        let (tls, dev_pki_dir) = if settings.tls.insecure_loopback_dev {
            (None, None)
        } else {
            let material = tls::load_tls_material(&settings, &directory)?;
            let config =
                tls::server_tls_config(&material.ca_pem, &material.cert_pem, &material.key_pem)
                    .timeout(settings.tls_handshake_timeout());
            (Some(config), material.dev_pki_dir)
        };

        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.listen,
            source,
        })?;
        let health_listener = match settings.health_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::Bind { addr, source })?,
            ),
            None => None,
        };
        let catalogue = Arc::new(catalogue);
        let key_files = KeyFiles::of(&settings);
        let publish: Vec<&std::path::Path> = dev_pki_dir.iter().map(|p| p.as_path()).collect();
        let keys = Arc::new(AuditKeys::load(&key_files, &publish)?);
        let exchange = Exchange::new(
            store.clone(),
            catalogue.clone(),
            settings.cases.case_limits(),
            keys.clone(),
            live.clone(),
            settings.deadlines.policy(),
        );
        let refresh = DirectoryRefresh::new(
            live.clone(),
            store.clone(),
            settings.directory.file.clone(),
            catalogue.clone(),
            directory,
            revocations,
            clock.clone(),
            settings.directory.refresh_interval(),
        );
        let metrics = Metrics::start(&settings.telemetry, &store, &clock)?;
        let keeper = LogKeeper::new(
            store.clone(),
            keys.clone(),
            clock.clone(),
            settings.audit.sequence_batch,
        )
        .reporting_to(metrics.clone());
        let deadlines = DeadlineEngine::new(
            exchange.clone(),
            store.clone(),
            clock.clone(),
            settings.deadlines.clone(),
        );
        let state = AppState {
            auditor: Auditor::new(store.clone(), keys, clock.clone()),
            store,
            exchange,
            directory: live,
            catalogue,
            clock,
            max_page_size: settings.limits.max_page_size,
            max_sanctions_per_decree: settings.cases.max_sanctions_per_decree,
        };
        Ok(Self {
            listener,
            local_addr,
            health_listener,
            state,
            keeper,
            metrics,
            tls,
            dev_pki_dir,
            deadlines,
            refresh,
            settings,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The plaintext health-only address, when `health_listen` is set (the real port when 0
    /// was asked for).
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// Where the development PKI is, when the server uses one.
    pub fn dev_pki_dir(&self) -> Option<&std::path::Path> {
        self.dev_pki_dir.as_deref()
    }

    /// The audit log's keeper, for tests that sequence, sign or self-check on demand.
    pub fn audit_keeper(&self) -> &LogKeeper {
        &self.keeper
    }

    /// The deadline engine, for tests that scan on demand at a chosen instant.
    pub fn deadline_engine(&self) -> &DeadlineEngine {
        &self.deadlines
    }

    /// The store, for tests that inspect or inject failures.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Serves until `shutdown` completes, then reports NOT_SERVING, stops accepting, and
    /// drains in-flight calls for at most the configured grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_serving::<CaseServiceServer<CaseApi>>().await;
        health
            .set_serving::<DirectoryServiceServer<DirectoryApi>>()
            .await;
        health.set_serving::<AuditServiceServer<AuditApi>>().await;
        health.set_serving::<InboxServiceServer<InboxApi>>().await;
        health.set_serving::<StatsServiceServer<StatsApi>>().await;
        health
            .set_service_status(
                crate::health::LIVENESS_SERVICE,
                tonic_health::ServingStatus::Serving,
            )
            .await;
        let _stop_plaintext_health = self.health_listener.map(|listener| {
            AbortOnDrop(crate::health::spawn(listener, health.clone()).abort_handle())
        });
        health.set_serving::<ImportServiceServer<ImportApi>>().await;

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(netral_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| StartupError::Reflection(e.to_string()))?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(netral_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(|e| StartupError::Reflection(e.to_string()))?;

        let limits = &self.settings.limits;
        let cases = CaseServiceServer::new(CaseApi::new(self.state.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);

        let directory = DirectoryServiceServer::new(DirectoryApi::new(self.state.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes);
        let audit = AuditServiceServer::new(AuditApi::new(self.state.clone(), self.keeper.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
        let streams = Streams::new(self.settings.inbox.clone(), closing_rx);
        let stats = StatsServiceServer::new(StatsApi::new(self.state.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let import = ImportServiceServer::new(ImportApi::new(self.state.clone()))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let inbox = InboxServiceServer::new(InboxApi::new(self.state.clone(), streams))
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes);
        let _stop_inbox_delivery: Vec<_> = self
            .state
            .store
            .spawn_inbox_delivery(self.settings.inbox.recheck_interval())
            .iter()
            .map(|task| AbortOnDrop(task.abort_handle()))
            .collect();
        let _stop_backlogs = self
            .metrics
            .spawn_backlog_refresh(
                self.state.store.clone(),
                self.state.clock.clone(),
                self.settings.telemetry.backlog_interval(),
            )
            .map(|task| AbortOnDrop(task.abort_handle()));
        let _stop_refresh = AbortOnDrop(self.refresh.spawn().abort_handle());
        let _stop_deadlines = self
            .deadlines
            .clone()
            .spawn()
            .map(|task| AbortOnDrop(task.abort_handle()));
        let _stop_audit_upkeep: Vec<_> = self
            .keeper
            .spawn(&self.settings.audit)
            .iter()
            .map(|task| AbortOnDrop(task.abort_handle()))
            .collect();

        let mut builder = Server::builder()
            .http2_keepalive_interval(Some(self.settings.inbox.keepalive_interval()))
            .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
            .layer(tower::util::MapRequestLayer::new(crate::grpc::tag_method))
            // Outermost after the method's tag: the call's span covers every refusal below.
            .layer(crate::grpc::identify::IdentityLayer::new(
                self.state.directory.clone(),
                self.state.auditor.clone(),
                self.settings.tls.insecure_loopback_dev,
                self.metrics.rpc(),
            ))
            .layer(crate::grpc::deadline::DeadlineLayer::new(
                self.settings.request_timeout(),
            ))
            .layer(crate::grpc::message_size::MessageSizeLayer::new(
                limits.max_message_bytes,
            ));
        if let Some(tls) = self.tls {
            builder = builder.tls_config(tls)?;
        }
        let grace = self.settings.shutdown_grace();
        let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
        let readiness = maintenance::spawn_readiness(self.state.store.clone(), health.clone());
        let _stop_readiness = AbortOnDrop(readiness.abort_handle());
        let draining = async move {
            shutdown.await;
            // Readiness must not report SERVING again once draining has begun.
            readiness.abort();
            let _ = readiness.await;
            tracing::info!("shutdown requested: draining in-flight calls");
            health.set_not_serving::<CaseServiceServer<CaseApi>>().await;
            health
                .set_not_serving::<DirectoryServiceServer<DirectoryApi>>()
                .await;
            health
                .set_not_serving::<InboxServiceServer<InboxApi>>()
                .await;
            health
                .set_not_serving::<StatsServiceServer<StatsApi>>()
                .await;
            health
                .set_not_serving::<ImportServiceServer<ImportApi>>()
                .await;
            health
                .set_service_status("", tonic_health::ServingStatus::NotServing)
                .await;
            // Open inbox streams end now (resumable), so draining does not wait on them.
            let _ = closing_tx.send(true);
            let _ = drain_tx.send(());
        };
        let _stop_purge = AbortOnDrop(
            maintenance::spawn_key_purge(
                self.state.store.clone(),
                self.state.clock.clone(),
                self.settings.idempotency.clone(),
            )
            .abort_handle(),
        );
        let serve = builder
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(cases)
            .add_service(directory)
            .add_service(audit)
            .add_service(inbox)
            .add_service(stats)
            .add_service(import)
            .serve_with_incoming_shutdown(
                crate::listener::incoming(self.listener, limits.max_connections),
                draining,
            );
        tokio::pin!(serve);
        let served = tokio::select! {
            result = &mut serve => result,
            () = grace_after(drain_rx, grace) => {
                tracing::warn!(grace_ms = grace.as_millis() as u64, "in-flight calls did not drain in time; stopping");
                Ok(())
            }
        };
        self.metrics.shutdown().await;
        served?;
        Ok(())
    }
}

/// Aborts a background task when dropped, so no task outlives [`Application::run_until`].
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long an HTTP/2 keep-alive ping may go unanswered before the connection is closed.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Completes `grace` after the drain signal; never completes if the signal never comes.
async fn grace_after(drain: tokio::sync::oneshot::Receiver<()>, grace: Duration) {
    if drain.await.is_ok() {
        tokio::time::sleep(grace).await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// Creates the data directory, its user's only (see [`crate::files`]); one that exists keeps
/// its mode, with a warning when other users may enter it.
fn create_data_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    crate::files::create_dir(dir)?;
    let mode = std::fs::metadata(dir).map_or(0, |m| m.permissions().mode());
    if mode & 0o077 != 0 {
        tracing::warn!(
            data_dir = %dir.display(),
            mode = format!("{:o}", mode & 0o777),
            "other users may enter the data directory; chmod 700 it"
        );
    }
    Ok(())
}
