//! `netral-server`: parses flags, loads layered settings, and runs the [`Application`] until
//! SIGINT or SIGTERM, draining in-flight calls.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
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
}

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
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
    app.run_until(shutdown_signal()).await?;
    tracing::info!("netral-server stopped");
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
