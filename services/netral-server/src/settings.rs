//! The server's configuration: typed, layered, and strict about unknown keys.
//!
//! Layers, each overriding the one before: the compiled defaults (the `Default` impls here)
//! → `deploy/config/base.toml` when it exists in the current directory → the file given with
//! `--config` (which must exist) → `NETRAL__SECTION__KEY` environment variables (e.g.
//! `NETRAL__DATABASE__URL`, `NETRAL__LISTEN`). The conventional `DATABASE_URL` fills
//! `database.url` when no layer set it. A key unknown to these structs, in any layer, is an
//! error naming the key and the layer, so a typo never silently falls back to a default.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, ConfigError, Environment, File, FileFormat, Source};
use serde::Deserialize;

/// The shared base layer, looked up relative to the current directory.
pub const BASE_CONFIG_FILE: &str = "deploy/config/base.toml";

/// Prefix of the environment variables overriding configuration keys.
const ENV_PREFIX: &str = "NETRAL";

/// Separator between prefix, section and key in environment variable names.
const ENV_SEPARATOR: &str = "__";

/// The conventional variable filling `database.url` when no layer set it.
const DATABASE_URL_VAR: &str = "DATABASE_URL";

/// Everything the server needs to know before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `dev` (the default: generated PKI, bundled directory and SQLite are fine, loopback
    /// only) or `production` (refuses to start without real certificates, a directory file,
    /// PostgreSQL and the audit keys), so a deployment cannot silently run as a laptop does.
    pub mode: crate::posture::Mode,
    /// The gRPC listening address; loopback by default so a fresh checkout exposes nothing.
    pub listen: SocketAddr,
    /// A second, plaintext address serving only `grpc.health.v1.Health` (no other service, no
    /// client certificate), for orchestrators whose probes speak neither TLS nor mTLS, such as
    /// Kubernetes' gRPC probes. Unset: health is served on `listen` only, behind mTLS.
    pub health_listen: Option<SocketAddr>,
    /// Dangerous: lets dev mode listen on a non-loopback address, exposing its generated CA,
    /// bundled directory and local SQLite to the network. For a throwaway test bed only;
    /// a deployment sets `mode = "production"` instead.
    pub allow_non_loopback_dev: bool,
    /// Where the embedded database and the development PKI live.
    pub data_dir: PathBuf,
    /// Which database holds cases, the audit log, inboxes and deadlines.
    pub database: DatabaseSettings,
    /// Server certificate and the CA agencies' client certificates must chain to.
    pub tls: TlsSettings,
    /// Where the directory of agencies comes from.
    pub directory: DirectorySettings,
    /// Where the sanction, violation, deadline, region and calendar catalogues come from.
    pub catalogue: CatalogueSettings,
    /// Bounds protecting the server from slow or oversized requests.
    pub limits: LimitSettings,
    /// How much one case may hold, so it stays readable and quick to step.
    pub cases: CaseLimitSettings,
    /// How long request ids are remembered for retries.
    pub idempotency: IdempotencySettings,
    /// The audit log: its keys, its sequencer, checkpoints and self-check.
    pub audit: AuditSettings,
    /// The agencies' inboxes: live streams and their bounds.
    pub inbox: InboxSettings,
    /// The deadline engine: how often it scans, and when notices fall due.
    pub deadlines: crate::deadline_engine::DeadlineSettings,
    /// Where metrics go, and how often.
    pub telemetry: TelemetrySettings,
}

/// Exporting telemetry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// The OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`. Unset: the
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` variable; neither: nothing is exported.
    pub otlp_endpoint: Option<String>,
    /// How often metrics are exported, in milliseconds.
    pub export_interval_ms: u64,
    /// How often the inbox backlogs behind the inbox gauges are re-read, in milliseconds.
    pub backlog_interval_ms: u64,
    /// This replica's name in exported data (`service.instance.id`). Unset: `HOSTNAME` (the
    /// pod's name on Kubernetes), else a random id per start.
    pub instance_id: Option<String>,
    /// How often finished spans are sent to the collector, in milliseconds.
    pub trace_export_interval_ms: u64,
    /// How many finished spans may wait for the collector; past that new spans are dropped
    /// (and counted in `netral.telemetry.spans_dropped`) instead of slowing any call.
    pub trace_queue_spans: usize,
    /// Log lines as `text` (for people), `json` (for a log pipeline) or `auto`: text on a
    /// terminal, JSON otherwise. `NETRAL_LOG_FORMAT` overrides it.
    pub log_format: LogFormat,
    /// Set by [`Self::without_export`] (operator commands, in-process tests): nothing is
    /// exported, whatever the environment says. Not a settings key.
    #[serde(skip)]
    pub export_disabled: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text when standard error is a terminal, JSON otherwise.
    Auto,
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            export_interval_ms: 15_000,
            backlog_interval_ms: 15_000,
            instance_id: None,
            trace_export_interval_ms: 2_000,
            trace_queue_spans: 4_096,
            log_format: LogFormat::Auto,
            export_disabled: false,
        }
    }
}

impl TelemetrySettings {
    /// The collector to export to, if any: the setting, else `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn otlp_endpoint(&self) -> Option<String> {
        if self.export_disabled {
            return None;
        }
        let configured = self.otlp_endpoint.clone().filter(|e| !e.trim().is_empty());
        configured.or_else(|| {
            std::env::var(crate::metrics::OTLP_ENDPOINT_VAR)
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
    }

    /// `export_interval_ms` as a duration.
    pub fn export_interval(&self) -> Duration {
        Duration::from_millis(self.export_interval_ms)
    }

    /// `backlog_interval_ms` as a duration.
    pub fn backlog_interval(&self) -> Duration {
        Duration::from_millis(self.backlog_interval_ms)
    }

    /// This replica's `service.instance.id`.
    pub fn instance_id(&self) -> String {
        /// The random id of a replica with neither setting: one per process.
        static RANDOM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        self.instance_id
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| {
                RANDOM
                    .get_or_init(|| uuid::Uuid::new_v4().to_string())
                    .clone()
            })
    }

    /// The same settings exporting nothing, whatever the environment says.
    pub fn without_export(&self) -> Self {
        Self {
            otlp_endpoint: None,
            export_disabled: true,
            ..self.clone()
        }
    }

    /// `trace_export_interval_ms` as a duration.
    pub fn trace_export_interval(&self) -> Duration {
        Duration::from_millis(self.trace_export_interval_ms)
    }
}

/// The agencies' inboxes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSettings {
    /// How many messages the server holds ready for one `WatchInbox` stream; what a stream
    /// costs in memory is bounded by it.
    pub stream_buffer: u32,
    /// How long a stream's buffer may stay full before the consumer is cut off (`UNAVAILABLE`,
    /// `INBOX_CONSUMER_TOO_SLOW`, resumable from its last cursor), in seconds.
    pub slow_consumer_timeout_s: u64,
    /// How many `WatchInbox` streams one agency may hold open at once.
    pub max_streams_per_agency: u32,
    /// How often each replica re-checks for messages it was not told about (a lost
    /// notification, a replica that died before sequencing), in milliseconds.
    pub recheck_interval_ms: u64,
    /// How often an idle HTTP/2 connection is pinged, so proxies keep idle streams open and
    /// dead peers are noticed, in seconds.
    pub keepalive_interval_s: u64,
}

impl Default for InboxSettings {
    fn default() -> Self {
        Self {
            stream_buffer: 64,
            slow_consumer_timeout_s: 30,
            max_streams_per_agency: 8,
            recheck_interval_ms: 2000,
            keepalive_interval_s: 30,
        }
    }
}

impl InboxSettings {
    /// `slow_consumer_timeout_s` as a duration.
    pub fn slow_consumer_timeout(&self) -> Duration {
        Duration::from_secs(self.slow_consumer_timeout_s)
    }

    /// `recheck_interval_ms` as a duration.
    pub fn recheck_interval(&self) -> Duration {
        Duration::from_millis(self.recheck_interval_ms)
    }

    /// `keepalive_interval_s` as a duration.
    pub fn keepalive_interval(&self) -> Duration {
        Duration::from_secs(self.keepalive_interval_s)
    }
}

/// The audit log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// The log's name: the first line of every checkpoint and the signing key's name (no
    /// spaces, no `+`). Changing it needs a new key; verifiers check it.
    pub origin: String,
    /// The checkpoint signing key (a signed-note `PRIVATE+KEY+…` line). Unset: generated on
    /// first start in `<data_dir>/audit/` (development only: production keeps its key).
    pub signing_key_file: Option<PathBuf>,
    /// The secret keying subject digests (64 hex digits). Unset: generated on first start in
    /// `<data_dir>/audit/`. Losing it makes old digests unmatchable, never unverifiable.
    pub subject_key_file: Option<PathBuf>,
    /// How often the sequencer looks for new events, in milliseconds.
    pub sequence_interval_ms: u64,
    /// Most events one sequencing transaction takes.
    pub sequence_batch: u32,
    /// How often a checkpoint is signed when the log grew, in seconds (also on demand:
    /// `GetCheckpoint` for the latest signs the head if it moved).
    pub checkpoint_interval_s: u64,
    /// How often the server re-verifies the newest part of the stored log (what was added
    /// since the last check) against the checkpoints signed since, in seconds.
    pub self_check_interval_s: u64,
    /// Every how many self-checks one re-verifies the whole log from its first event
    /// (with the hourly default, 24: once a day).
    pub full_check_every: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            origin: "netral.local/audit-log".into(),
            signing_key_file: None,
            subject_key_file: None,
            sequence_interval_ms: 200,
            sequence_batch: 1000,
            checkpoint_interval_s: 60,
            self_check_interval_s: 3600,
            full_check_every: 24,
        }
    }
}

/// Per-case limits. A full case must fit in one gRPC message (`limits.max_message_bytes`),
/// so a reader can always fetch it; a limit refuses only steps that leave the state as it is
/// (notes, evidence, blocks), never one that moves a case on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseLimitSettings {
    /// Most notes on one case.
    pub max_notes: u32,
    /// Most attachments on one case.
    pub max_attachments: u32,
    /// Most bytes of free text (notes, attachment titles, escalations) on one case.
    pub max_text_bytes: u64,
    /// Most sanctions one decree may impose (one disciplinary and the moral ones).
    pub max_sanctions_per_decree: u32,
}

/// Retention of idempotency keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdempotencySettings {
    /// How many days a request id answers its retries with the first reply. After that a
    /// retry is still never applied twice (its etag is stale), but it is refused instead of
    /// answered.
    pub retention_days: u32,
    /// How often the background purge looks for expired keys, in seconds.
    pub purge_interval_s: u64,
    /// Most keys one purge statement deletes, so no purge holds a long lock.
    pub purge_batch: u32,
}

/// The database connection.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`; `None` uses SQLite at `data_dir/netral.db`, so the
    /// embedded default needs nothing installed. May hold a password: `Debug` redacts it.
    pub url: Option<String>,
    /// Upper bound on pooled connections per replica, sized against PostgreSQL's
    /// `max_connections` divided by the number of replicas.
    pub max_connections: u32,
    /// Group-commit writer lanes on PostgreSQL, each holding one pooled connection while it
    /// commits a batch; 0 chooses half of `max_connections` (at most 8). SQLite always has
    /// one.
    pub writer_lanes: u32,
}

/// TLS for the gRPC listener. Agencies are identified by their client certificates, so
/// mTLS is on unless explicitly disabled for loopback development.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// Serve plaintext without client certificates. Only for local experiments: refused by
    /// [`Settings::validate`] unless `listen` is a loopback address.
    pub insecure_loopback_dev: bool,
    /// The CA that signs agency client certificates (PEM). With `server_cert` and
    /// `server_key`; all three `None` generates a dev PKI in `data_dir/pki`.
    pub ca_cert: Option<PathBuf>,
    /// The server's certificate chain (PEM).
    pub server_cert: Option<PathBuf>,
    /// The server's private key (PEM, PKCS#8).
    pub server_key: Option<PathBuf>,
}

/// Where the agency directory comes from, and how quickly changes to it apply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectorySettings {
    /// A directory TOML file; `None` uses the bundled development seed.
    pub file: Option<PathBuf>,
    /// How often each replica re-reads the directory file (when it changed) and the
    /// revocations in the database, in milliseconds: an agency or certificate revoked, or an
    /// agency added, applies on every replica within this interval, without a restart.
    pub refresh_interval_ms: u64,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            file: None,
            refresh_interval_ms: 1000,
        }
    }
}

impl DirectorySettings {
    /// `refresh_interval_ms` as a duration.
    pub fn refresh_interval(&self) -> Duration {
        Duration::from_millis(self.refresh_interval_ms)
    }
}

/// Where the catalogues come from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogueSettings {
    /// A directory with the same file names as `netral-domain/data`; `None` uses the
    /// catalogue compiled into the binary.
    pub dir: Option<PathBuf>,
}

/// Bounds on requests and shutdown.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// How long one unary call may take before it fails with `DEADLINE_EXCEEDED`, so a
    /// stuck database cannot pile up requests.
    pub request_timeout_ms: u64,
    /// Largest request or response message, in bytes (evidence metadata, long lists).
    pub max_message_bytes: usize,
    /// How long in-flight calls and streams may finish after a shutdown signal.
    pub shutdown_grace_ms: u64,
    /// Largest `page_size` a list call honours; larger requests are clamped to it.
    pub max_page_size: u32,
    /// How long a new connection may take to complete its TLS handshake before it is closed,
    /// in milliseconds, so idle or half-open connections cannot hold sockets.
    pub tls_handshake_timeout_ms: u64,
    /// Most connections served at once (those still in their handshake included); one more
    /// is closed as soon as it is accepted, so a flood costs sockets and memory only up to
    /// here, and its client retries (perhaps on another replica).
    pub max_connections: u32,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A configuration file given explicitly cannot be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A layer does not fit the settings: bad syntax, a wrong type or an unknown key.
    #[error("invalid configuration in {layer}: {source}")]
    Invalid {
        /// The layer: a file path or the environment.
        layer: String,
        /// The parser's error, naming the key.
        #[source]
        source: ConfigError,
    },
    /// The merged settings are individually valid but refused together.
    #[error("refused configuration: {0}")]
    Refused(String),
    /// Production mode lacks these (see [`crate::posture`]): all of them, on one line.
    #[error("production mode needs: {}", .0.join(", "))]
    ProductionNeeds(Vec<String>),
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: crate::posture::Mode::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            health_listen: None,
            allow_non_loopback_dev: false,
            data_dir: PathBuf::from("./netral-data"),
            database: DatabaseSettings::default(),
            tls: TlsSettings::default(),
            directory: DirectorySettings::default(),
            catalogue: CatalogueSettings::default(),
            limits: LimitSettings::default(),
            cases: CaseLimitSettings::default(),
            idempotency: IdempotencySettings::default(),
            audit: AuditSettings::default(),
            inbox: InboxSettings::default(),
            deadlines: Default::default(),
            telemetry: TelemetrySettings::default(),
        }
    }
}

impl Default for CaseLimitSettings {
    fn default() -> Self {
        let domain = netral_domain::case::CaseLimits::default();
        Self {
            max_notes: domain.max_notes,
            max_attachments: domain.max_attachments,
            max_text_bytes: domain.max_text_bytes,
            max_sanctions_per_decree: 4,
        }
    }
}

impl CaseLimitSettings {
    /// The limits the domain checks.
    pub fn case_limits(&self) -> netral_domain::case::CaseLimits {
        netral_domain::case::CaseLimits {
            max_notes: self.max_notes,
            max_attachments: self.max_attachments,
            max_text_bytes: self.max_text_bytes,
        }
    }
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self {
            retention_days: 30,
            purge_interval_s: 3600,
            purge_batch: 1000,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
            writer_lanes: 0,
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            request_timeout_ms: 10_000,
            max_message_bytes: 4 * 1024 * 1024,
            shutdown_grace_ms: 10_000,
            max_page_size: 500,
            tls_handshake_timeout_ms: 10_000,
            max_connections: 1024,
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url.as_deref().map(redact_password))
            .field("max_connections", &self.max_connections)
            .field("writer_lanes", &self.writer_lanes)
            .finish()
    }
}

impl Settings {
    /// Loads the layered configuration (see the module doc) from the real environment and
    /// the current directory, then [validates](Settings::validate) it.
    pub fn load(config_file: Option<&Path>) -> Result<Self, SettingsError> {
        let base = Path::new(BASE_CONFIG_FILE);
        let base = base.is_file().then_some(base);
        let env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(key, _)| {
                key == DATABASE_URL_VAR || key.starts_with(&format!("{ENV_PREFIX}{ENV_SEPARATOR}"))
            })
            .collect();
        Self::load_layers(base, config_file, env)
    }

    /// Settings for tests: listen on `127.0.0.1:0` (any free port), everything else default.
    /// The caller points `data_dir` at its own temporary directory.
    pub fn for_test() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            // Tests scan on demand, at the instant their clock stands on.
            deadlines: crate::deadline_engine::DeadlineSettings {
                enabled: false,
                ..Default::default()
            },
            ..Self::default()
        }
    }

    /// Refuses combinations that are valid key by key but unsafe or unusable together.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let refuse = |why: String| Err(SettingsError::Refused(why));
        if self.tls.insecure_loopback_dev && !self.listen.ip().is_loopback() {
            return refuse(format!(
                "tls.insecure_loopback_dev serves without TLS and client certificates; \
                 it is allowed only on a loopback address, not on {}",
                self.listen
            ));
        }
        let dev = self.mode == crate::posture::Mode::Dev;
        if dev && !self.allow_non_loopback_dev && !self.listen.ip().is_loopback() {
            return refuse(format!(
                "dev mode serves a generated PKI, the bundled directory and local SQLite, so it \
                 listens on loopback addresses only, not on {}: set mode = \"production\" \
                 (or, knowing it exposes all that, allow_non_loopback_dev = true)",
                self.listen
            ));
        }
        if let Some(health) = self.health_listen {
            if dev && !self.allow_non_loopback_dev && !health.ip().is_loopback() {
                return refuse(format!(
                    "dev mode listens on loopback addresses only, health_listen included, not \
                     on {health}: set mode = \"production\" (or allow_non_loopback_dev = true)"
                ));
            }
            if health == self.listen && health.port() != 0 {
                return refuse(format!(
                    "health_listen ({health}) must differ from listen: it serves plaintext"
                ));
            }
        }
        let tls = &self.tls;
        let configured = [&tls.ca_cert, &tls.server_cert, &tls.server_key];
        if configured.iter().any(|p| p.is_some()) && !configured.iter().all(|p| p.is_some()) {
            return refuse(
                "tls.ca_cert, tls.server_cert and tls.server_key must be set together \
                 (or none of them, for the dev PKI)"
                    .into(),
            );
        }
        let zero = [
            (
                "database.max_connections",
                self.database.max_connections == 0,
            ),
            (
                "limits.request_timeout_ms",
                self.limits.request_timeout_ms == 0,
            ),
            (
                "limits.max_message_bytes",
                self.limits.max_message_bytes == 0,
            ),
            ("limits.max_page_size", self.limits.max_page_size == 0),
            (
                "limits.tls_handshake_timeout_ms",
                self.limits.tls_handshake_timeout_ms == 0,
            ),
            ("limits.max_connections", self.limits.max_connections == 0),
            (
                "cases.max_sanctions_per_decree",
                self.cases.max_sanctions_per_decree == 0,
            ),
            (
                "idempotency.retention_days",
                self.idempotency.retention_days == 0,
            ),
            (
                "idempotency.purge_interval_s",
                self.idempotency.purge_interval_s == 0,
            ),
            ("idempotency.purge_batch", self.idempotency.purge_batch == 0),
            (
                "audit.sequence_interval_ms",
                self.audit.sequence_interval_ms == 0,
            ),
            ("audit.sequence_batch", self.audit.sequence_batch == 0),
            (
                "audit.checkpoint_interval_s",
                self.audit.checkpoint_interval_s == 0,
            ),
            (
                "audit.self_check_interval_s",
                self.audit.self_check_interval_s == 0,
            ),
            ("audit.full_check_every", self.audit.full_check_every == 0),
            ("inbox.stream_buffer", self.inbox.stream_buffer == 0),
            (
                "inbox.slow_consumer_timeout_s",
                self.inbox.slow_consumer_timeout_s == 0,
            ),
            (
                "inbox.max_streams_per_agency",
                self.inbox.max_streams_per_agency == 0,
            ),
            (
                "inbox.recheck_interval_ms",
                self.inbox.recheck_interval_ms == 0,
            ),
            (
                "directory.refresh_interval_ms",
                self.directory.refresh_interval_ms == 0,
            ),
            (
                "inbox.keepalive_interval_s",
                self.inbox.keepalive_interval_s == 0,
            ),
            (
                "telemetry.export_interval_ms",
                self.telemetry.export_interval_ms == 0,
            ),
            (
                "telemetry.backlog_interval_ms",
                self.telemetry.backlog_interval_ms == 0,
            ),
            (
                "telemetry.trace_export_interval_ms",
                self.telemetry.trace_export_interval_ms == 0,
            ),
            (
                "telemetry.trace_queue_spans",
                self.telemetry.trace_queue_spans == 0,
            ),
        ];
        if let Some((key, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            return refuse(format!("{key} must be greater than 0"));
        }
        if !signed_note::is_key_name_valid(&self.audit.origin) {
            return refuse(format!(
                "audit.origin {:?} must be a note key name: no spaces and no `+`",
                self.audit.origin
            ));
        }
        let database = &self.database;
        if database.writer_lanes >= database.max_connections {
            return refuse(format!(
                "database.writer_lanes ({}) must be below database.max_connections ({}): \
                 reads need connections too",
                database.writer_lanes, database.max_connections
            ));
        }
        Ok(())
    }

    /// The database to connect to: the configured URL, or SQLite in `data_dir` (created on
    /// first start).
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("netral.db").display()
            ),
        }
    }

    /// [`LimitSettings::request_timeout_ms`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.limits.request_timeout_ms)
    }

    /// [`LimitSettings::tls_handshake_timeout_ms`] as a duration.
    pub fn tls_handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.limits.tls_handshake_timeout_ms)
    }

    /// [`LimitSettings::shutdown_grace_ms`] as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.limits.shutdown_grace_ms)
    }

    /// Where the development PKI lives when no certificate paths are configured.
    pub fn pki_dir(&self) -> PathBuf {
        self.data_dir.join("pki")
    }

    /// Merges the layers, checking each on its own first so an unknown key is reported with
    /// the layer it came from. `env` stands in for the process environment (tests inject it).
    fn load_layers(
        base: Option<&Path>,
        file: Option<&Path>,
        env: HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut layers: Vec<(String, Box<dyn Source + Send + Sync>)> = Vec::new();
        for path in base.into_iter().chain(file) {
            let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                path: path.to_owned(),
                source,
            })?;
            let source = File::from_str(&text, FileFormat::Toml);
            layers.push((path.display().to_string(), Box::new(source)));
        }
        let database_url = env
            .get(DATABASE_URL_VAR)
            .filter(|url| !url.is_empty())
            .cloned();
        let environment = Environment::with_prefix(ENV_PREFIX)
            .prefix_separator(ENV_SEPARATOR)
            .separator(ENV_SEPARATOR)
            .ignore_empty(true)
            .source(Some(env.into_iter().collect()));
        let env_layer = format!("the environment ({ENV_PREFIX}{ENV_SEPARATOR}*)");
        layers.push((env_layer, Box::new(environment)));

        let mut merged = Config::builder();
        for (layer, source) in layers {
            let alone = Config::builder().add_source(vec![source.clone_into_box()]);
            let invalid = |source| SettingsError::Invalid {
                layer: layer.clone(),
                source,
            };
            alone
                .build()
                .and_then(Config::try_deserialize::<Self>)
                .map_err(invalid)?;
            merged = merged.add_source(vec![source]);
        }
        let mut settings: Self =
            merged
                .build()
                .and_then(Config::try_deserialize)
                .map_err(|source| SettingsError::Invalid {
                    layer: "the merged configuration".into(),
                    source,
                })?;
        if settings.database.url.is_none() {
            settings.database.url = database_url;
        }
        settings.validate()?;
        Ok(settings)
    }
}

/// `url` with the password of its user-info replaced by `***`, for logs and `Debug`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn toml_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn repo_file(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/config")
            .join(name)
    }

    #[test]
    fn compiled_defaults_apply_without_any_layer() {
        let settings = Settings::load_layers(None, None, HashMap::new()).unwrap();
        assert_eq!(settings, Settings::default());
        assert_eq!(settings.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(settings.limits.max_message_bytes, 4 * 1024 * 1024);
        assert_eq!(
            settings.database_url(),
            "sqlite://./netral-data/netral.db?mode=rwc"
        );
    }

    #[test]
    fn layers_override_in_order() {
        let base = toml_file(
            "listen = \"127.0.0.1:1111\"\ndata_dir = \"/base\"\n[limits]\nmax_page_size = 10\n",
        );
        let file = toml_file("data_dir = \"/file\"\n[database]\nmax_connections = 3\n");
        let vars = env(&[
            ("NETRAL__DATABASE__MAX_CONNECTIONS", "7"),
            ("NETRAL__TLS__INSECURE_LOOPBACK_DEV", "true"),
            ("DATABASE_URL", "postgres://netral:secret@db/netral"),
        ]);
        let settings = Settings::load_layers(Some(base.path()), Some(file.path()), vars).unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:1111"); // base
        assert_eq!(settings.limits.max_page_size, 10); // base
        assert_eq!(settings.data_dir, PathBuf::from("/file")); // file over base
        assert_eq!(settings.database.max_connections, 7); // env over file
        assert!(settings.tls.insecure_loopback_dev); // env
        assert_eq!(settings.limits.request_timeout_ms, 10_000); // compiled default
        assert_eq!(
            settings.database_url(),
            "postgres://netral:secret@db/netral"
        );
        assert!(!format!("{settings:?}").contains("secret"));
    }

    #[test]
    fn netral_database_url_wins_over_database_url() {
        let vars = env(&[
            ("NETRAL__DATABASE__URL", "sqlite://one.db"),
            ("DATABASE_URL", "postgres://two"),
        ]);
        let settings = Settings::load_layers(None, None, vars).unwrap();
        assert_eq!(settings.database.url.as_deref(), Some("sqlite://one.db"));
    }

    #[test]
    fn an_unknown_key_in_a_file_is_named() {
        let file = toml_file("[database]\nurl = \"sqlite://x.db\"\nmax_conections = 3\n");
        let err = Settings::load_layers(None, Some(file.path()), HashMap::new()).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, SettingsError::Invalid { .. }), "{message}");
        assert!(message.contains("max_conections"), "{message}");
        assert!(
            message.contains(&file.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_key_in_the_environment_is_named() {
        for var in ["NETRAL__DATABASE__PASSWORD", "NETRAL__LISTEN_ADDR"] {
            let err = Settings::load_layers(None, None, env(&[(var, "x")])).unwrap_err();
            let message = err.to_string();
            let key = var.rsplit("__").next().unwrap().to_lowercase();
            assert!(message.contains(&key), "{message}");
            assert!(message.contains("environment"), "{message}");
        }
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = Settings::load_layers(
            None,
            Some(Path::new("/no/such/netral.toml")),
            HashMap::new(),
        );
        assert!(matches!(err, Err(SettingsError::Read { .. })));
    }

    #[test]
    fn dev_mode_is_refused_off_loopback_unless_allowed_explicitly() {
        let vars = env(&[("NETRAL__LISTEN", "0.0.0.0:50051")]);
        let err = Settings::load_layers(None, None, vars).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, SettingsError::Refused(_)), "{message}");
        assert!(message.contains("0.0.0.0:50051"), "{message}");
        assert!(message.contains("allow_non_loopback_dev"), "{message}");
        let vars = env(&[
            ("NETRAL__LISTEN", "0.0.0.0:50051"),
            ("NETRAL__ALLOW_NON_LOOPBACK_DEV", "true"),
        ]);
        let settings = Settings::load_layers(None, None, vars).unwrap();
        assert!(settings.allow_non_loopback_dev);
        let mut settings = Settings::for_test();
        for listen in ["127.0.0.1:0", "127.0.0.2:50051", "[::1]:50051"] {
            settings.listen = listen.parse().unwrap();
            settings.validate().unwrap();
        }
        for listen in ["10.0.0.5:50051", "[::]:50051"] {
            settings.listen = listen.parse().unwrap();
            assert!(settings.validate().is_err(), "{listen}");
        }
        settings.mode = crate::posture::Mode::Production;
        settings.validate().unwrap();
    }

    #[test]
    fn the_plaintext_health_address_follows_the_rules_of_listen() {
        let vars = env(&[("NETRAL__HEALTH_LISTEN", "127.0.0.1:8081")]);
        let settings = Settings::load_layers(None, None, vars).unwrap();
        assert_eq!(
            settings.health_listen,
            Some("127.0.0.1:8081".parse().unwrap())
        );
        let vars = env(&[("NETRAL__HEALTH_LISTEN", "0.0.0.0:8081")]);
        let err = Settings::load_layers(None, None, vars).unwrap_err();
        assert!(err.to_string().contains("health_listen"), "{err}");
        let mut settings = Settings::for_test();
        settings.mode = crate::posture::Mode::Production;
        settings.listen = "0.0.0.0:50051".parse().unwrap();
        settings.health_listen = Some("0.0.0.0:8081".parse().unwrap());
        settings.validate().unwrap();
        settings.health_listen = Some(settings.listen);
        assert!(settings.validate().is_err());
    }

    #[test]
    fn the_mode_is_dev_or_production_and_nothing_else() {
        let settings = Settings::load_layers(None, None, env(&[("NETRAL__MODE", "production")]));
        assert_eq!(settings.unwrap().mode, crate::posture::Mode::Production);
        let file = toml_file("mode = \"prod\"\n");
        let err = Settings::load_layers(None, Some(file.path()), HashMap::new()).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("prod"), "{err}");
    }

    #[test]
    fn insecure_dev_mode_is_refused_off_loopback() {
        let vars = env(&[
            ("NETRAL__LISTEN", "0.0.0.0:50051"),
            ("NETRAL__ALLOW_NON_LOOPBACK_DEV", "true"),
            ("NETRAL__TLS__INSECURE_LOOPBACK_DEV", "true"),
        ]);
        let err = Settings::load_layers(None, None, vars).unwrap_err();
        assert!(matches!(err, SettingsError::Refused(_)), "{err}");
        let mut settings = Settings::for_test();
        settings.tls.insecure_loopback_dev = true;
        settings.validate().unwrap();
        settings.listen = "[::1]:50051".parse().unwrap();
        settings.validate().unwrap();
        settings.listen = "10.0.0.5:50051".parse().unwrap();
        settings.allow_non_loopback_dev = true;
        assert!(settings.validate().is_err());
    }

    #[test]
    fn partial_tls_paths_are_refused() {
        let mut settings = Settings::for_test();
        settings.tls.ca_cert = Some("ca.pem".into());
        assert!(matches!(
            settings.validate(),
            Err(SettingsError::Refused(_))
        ));
    }

    #[test]
    fn for_test_listens_on_any_loopback_port() {
        let settings = Settings::for_test();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:0");
        assert_eq!(settings.limits, LimitSettings::default());
    }

    #[test]
    fn base_toml_matches_the_compiled_defaults() {
        let settings = Settings::load_layers(Some(&repo_file("base.toml")), None, HashMap::new());
        assert_eq!(settings.unwrap(), Settings::default());
    }

    #[test]
    fn production_toml_loads_with_database_url() {
        let vars = env(&[("DATABASE_URL", "postgres://netral@postgres:5432/netral")]);
        let settings = Settings::load_layers(
            Some(&repo_file("base.toml")),
            Some(&repo_file("production.toml")),
            vars,
        )
        .unwrap();
        assert_eq!(settings.mode, crate::posture::Mode::Production);
        assert!(settings.database_url().starts_with("postgres://"));
        assert!(settings.tls.ca_cert.is_some());
        assert!(settings.directory.file.is_some());
        assert!(!settings.listen.ip().is_loopback());
    }

    #[test]
    fn redaction_keeps_everything_but_the_password() {
        assert_eq!(
            redact_password("postgres://u:p@h:5/d"),
            "postgres://u:***@h:5/d"
        );
        assert_eq!(redact_password("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact_password("sqlite://./a.db"), "sqlite://./a.db");
    }
}
