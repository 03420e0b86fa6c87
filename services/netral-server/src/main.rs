//! `netral-server`: parses flags, loads layered settings, and runs the [`Application`] until
//! SIGINT or SIGTERM, draining in-flight calls; or runs one operator command against the
//! configured database:
//!
//! ```text
//! netral-server [--config FILE] [--data-dir DIR] [--listen ADDR] [--insecure-loopback-dev]
//! echo DIGITS | netral-server [--config FILE] erase-subject --kind NIP --reference "Putusan 12/2026"
//! netral-server [--config FILE] revoke (--agency ID | --certificate FILE.pem | --fingerprint HEX) --reason TEXT [--by NAME]
//! netral-server [--config FILE] revocations
//! netral-server [--config FILE] migrate
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use netral_server::admin::revoke::{self, RevokeOrder, RevokeOutcome};
use netral_server::admin::{self, Erasure};
use netral_server::audit::{AuditKeys, KeyFiles};
use netral_server::clock::Clock;
use netral_server::startup::Application;
use netral_server::{settings::Settings, telemetry};

/// The netral exchange server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Flags {
    /// Address to listen on [default from settings: 127.0.0.1:50051].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Folder for the embedded SQLite database and the dev PKI [default: ./netral-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A TOML settings file layered over deploy/config/base.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve plaintext without client certificates, on a loopback address only, for local
    /// development. Callers name their agency in the `x-netral-dev-agency` header.
    #[arg(long)]
    insecure_loopback_dev: bool,
    /// An operator command instead of serving.
    #[command(subcommand)]
    command: Option<Command>,
}

/// Operator commands, run against the configured database and keys.
#[derive(Debug, Subcommand)]
enum Command {
    /// Erases a subject's personal data (identifier, name, position) from every case naming
    /// it, on a data-protection request; audited, and every proof issued before still
    /// verifies. The identifier's digits are read from standard input, so they stay out of
    /// shell history and the process list.
    EraseSubject {
        /// The identifier's kind: NIP, NI_PPPK or NIK.
        #[arg(long)]
        kind: String,
        /// The request's legal reference (a decision or ticket number); recorded in the
        /// audit log, so it must not hold personal data.
        #[arg(long)]
        reference: String,
    },
    /// Revokes a whole agency, or one client certificate (a leaked key), in the database:
    /// every replica refuses it within `directory.refresh_interval_ms`, without a restart.
    /// Audited; revoking the same thing again changes nothing.
    #[command(group(ArgGroup::new("target").required(true).args(["agency", "certificate", "fingerprint"])))]
    Revoke {
        /// The agency id, e.g. `pemkab-kotabaru`: every certificate it holds is refused.
        #[arg(long)]
        agency: Option<String>,
        /// A PEM file holding the certificate to revoke (its fingerprint, agency and serial
        /// are recorded); the agency's other certificates keep working.
        #[arg(long)]
        certificate: Option<PathBuf>,
        /// The certificate's SHA-256 fingerprint (of its DER), 64 hex digits, colons allowed
        /// (as `openssl x509 -noout -fingerprint -sha256` prints it).
        #[arg(long)]
        fingerprint: Option<String>,
        /// Why (a ticket or decision number); recorded in the audit log, so no personal data.
        #[arg(long)]
        reason: String,
        /// Who records the revocation [default: the login name].
        #[arg(long, env = "NETRAL_OPERATOR")]
        by: Option<String>,
    },
    /// Lists every revocation recorded with `revoke`, oldest first.
    Revocations,
    /// Brings the database's schema up to date and exits (a deployment's migration job, run
    /// before the replicas roll). Needs only the database URL: no certificates, directory or
    /// audit keys. Replicas still migrate on start; concurrent runs wait for each other.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let flags = Flags::parse();
    match run(flags).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("netral-server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags) -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::load(flags.config.as_deref())?;
    if let Some(listen) = flags.listen {
        settings.listen = listen;
    }
    if let Some(dir) = flags.data_dir {
        settings.data_dir = dir;
    }
    if flags.insecure_loopback_dev {
        settings.tls.insecure_loopback_dev = true;
    }
    // Before anything is created or opened, and before any operator command: the flags may
    // have changed what was valid, and production mode names everything it lacks at once.
    settings.validate()?;
    if let Some(Command::Migrate) = flags.command {
        return migrate(&settings).await;
    }
    netral_server::posture::check(&settings)?;
    let telemetry = match flags.command {
        // An operator command's few lines need no collector.
        Some(_) => telemetry::init(&settings.telemetry.without_export())?,
        None => telemetry::init(&settings.telemetry)?,
    };
    match flags.command {
        Some(Command::EraseSubject { kind, reference }) => {
            return erase(&settings, &kind, &reference).await;
        }
        Some(Command::Revoke {
            agency,
            certificate,
            fingerprint,
            reason,
            by,
        }) => {
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .or_else(|| std::env::var("LOGNAME").ok())
                .unwrap_or_else(|| "operator".into());
            let order = match (agency, certificate, fingerprint) {
                (Some(agency), _, _) => RevokeOrder::agency(&agency, &reason, &by)?,
                (_, Some(path), _) => {
                    let pem = std::fs::read(&path)
                        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
                    RevokeOrder::certificate_pem(&pem, &reason, &by)?
                }
                (_, _, Some(hex)) => RevokeOrder::fingerprint(&hex, &reason, &by)?,
                (None, None, None) => {
                    return Err("name an --agency, --certificate or --fingerprint".into());
                }
            };
            return revoke_now(&settings, &order).await;
        }
        Some(Command::Revocations) => return list_revocations(&settings).await,
        Some(Command::Migrate) | None => {}
    }
    let app = Application::build(settings).await?;
    let addr = app.local_addr();
    tracing::info!(%addr, "netral-server listening");
    if let Some(pki) = app.dev_pki_dir() {
        let pki = pki.display();
        println!("netral-server listening on {addr} (mTLS, development PKI)");
        println!("  CA certificate:      {pki}/ca.pem");
        println!("  agency certificates: {pki}/agencies/<agency>.pem and .key");
        println!(
            "  try: buf curl --protocol grpc --cacert {pki}/ca.pem --cert {pki}/agencies/bawaslu-kotabaru.pem --key {pki}/agencies/bawaslu-kotabaru.key --list-methods https://localhost:{}",
            addr.port()
        );
    } else {
        println!("netral-server listening on {addr}");
    }
    let served = app.run_until(shutdown_signal()).await;
    tracing::info!("netral-server stopped");
    telemetry.shutdown().await;
    Ok(served?)
}

/// `erase-subject`: reads the digits from standard input, erases, reports the cases.
async fn erase(
    settings: &Settings,
    kind: &str,
    reference: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut id = String::new();
    std::io::stdin().read_line(&mut id)?;
    let erasure = Erasure::parse(kind, &id, reference)?;
    let store = netral_store::Store::connect(&settings.database_url(), 2).await?;
    let keys = AuditKeys::load(&KeyFiles::of(settings), &[])?;
    let cases = admin::erase_subject(&store, &keys, Clock::system().now(), &erasure).await?;
    if cases.is_empty() {
        println!("no case names that subject (or it was erased before): nothing changed");
    }
    for case in &cases {
        println!("erased the subject of cases/{case}");
    }
    store.close().await?;
    Ok(())
}

/// `revoke`: records the order and says when it applies.
async fn revoke_now(
    settings: &Settings,
    order: &RevokeOrder,
) -> Result<(), Box<dyn std::error::Error>> {
    let directory = netral_server::directory::Directory::from_settings(&settings.directory)?;
    let store = netral_store::Store::connect(&settings.database_url(), 2).await?;
    let outcome = revoke::revoke(&store, &directory, Clock::system().now(), order).await;
    store.close().await?;
    match outcome? {
        RevokeOutcome::Recorded(revocation) => {
            for line in revoke::listing(std::slice::from_ref(&revocation)) {
                println!("revoked: {line}");
            }
            println!(
                "every replica on this database refuses it within {} ms (directory.refresh_interval_ms)",
                settings.directory.refresh_interval_ms
            );
        }
        RevokeOutcome::AlreadyRevoked(first) => {
            for line in revoke::listing(std::slice::from_ref(&first)) {
                println!("already revoked, nothing changed: {line}");
            }
        }
    }
    Ok(())
}

/// `migrate`: connects (which migrates, under PostgreSQL's migration lock) and reports the
/// schema. In production mode the database must be PostgreSQL, as for serving.
async fn migrate(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let url = settings.database_url();
    let production = settings.mode == netral_server::posture::Mode::Production;
    if production && !url.starts_with("postgres") {
        return Err(format!(
            "production mode needs: {}",
            netral_server::posture::NEEDS_POSTGRES
        )
        .into());
    }
    let store = netral_store::Store::connect(&url, 2).await?;
    let applied = store.applied_migrations().await;
    store.close().await?;
    let applied = applied?;
    println!(
        "schema up to date: {} migrations applied, the latest {}",
        applied.len(),
        applied.last().map_or("none", String::as_str)
    );
    Ok(())
}

/// `revocations`: one line per revocation, oldest first.
async fn list_revocations(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let store = netral_store::Store::connect(&settings.database_url(), 2).await?;
    let revocations = store.revocations().await;
    store.close().await?;
    let revocations = revocations?;
    if revocations.is_empty() {
        println!("nothing is revoked");
    }
    for line in revoke::listing(&revocations) {
        println!("{line}");
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
