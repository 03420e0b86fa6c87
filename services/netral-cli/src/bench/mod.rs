//! `netral bench`: load generators that talk to netral the way agencies do (real gRPC over
//! mutual TLS, each step sent with the certificate of the agency that may take it) and report
//! throughput and latency next to the ceilings that bound them.
//!
//! One module per concern:
//!
//! | module | what |
//! |---|---|
//! | [`lifecycle`] | `netral bench lifecycle`: the flags and the run, phase by phase |
//! | `server` | the server under load: spawned child, in-process, or an existing endpoint |
//! | `procfs` | its memory (RSS now, peak, sampled) and CPU time, from `/proc` |
//! | `database` | a fresh SQLite file or PostgreSQL database per phase, removed afterwards |
//! | `drive` | the worker pool every phase shares: N cases, `clients` workers, a deadline |
//! | `grpc` | the six RPCs of a case's life, and the health ceiling over the same channels |
//! | `floor` | (b): the same six transitions straight through the server's write path, `Exchange` |
//! | `sql_floor` | (c): the same six transitions as bare prepared SQL, one transaction per step |
//! | `sql_steps` | (c)'s statements and the rows each step writes |
//! | [`report`] | the flat report and the `--json` file |
//! | `table` | the table printed for people |
//! | [`audit`] | `netral bench audit`: the audit log at scale, seeded, read, exported and verified |
//! | `audit_synth`, `audit_seed` | its synthetic log and how it is written into the database |
//! | `audit_server`, `audit_measure`, `audit_verify` | its server, reads (a) (b) and verification (c) |
//! | [`audit_report`] | its report; `audit_progress` its progress lines |
//! | [`inbox`] | `netral bench inbox`: a stream per agency open while the lifecycle runs |
//! | `inbox_directory` | its directory: an office and a PPK per region |
//! | [`deadlines`] | `netral bench deadlines`: the deadline engine's scan and the compliance figures over 100,000 cases |
//! | [`notes`] | `netral bench notes`: AddNote on cases holding 200 long notes against AddNote on fresh ones |
//!
//! Later modes (reads, a soak) join [`BenchMode`].

pub mod audit;
mod audit_measure;
mod audit_progress;
pub mod audit_report;
mod audit_seed;
mod audit_server;
mod audit_synth;
mod audit_verify;
mod database;
pub mod deadlines;
mod drive;
mod floor;
mod grpc;
pub mod inbox;
mod inbox_directory;
pub mod lifecycle;
pub mod notes;
pub mod otlp_sink;
mod procfs;
pub mod report;
mod server;
mod sql_floor;
mod sql_steps;
mod table;

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod tests;

use std::io::Write;

use clap::{Args, Subcommand};

/// Arguments of `netral bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which load to generate.
    #[command(subcommand)]
    pub mode: BenchMode,
}

/// The load generator's modes.
#[derive(Debug, Subcommand)]
pub enum BenchMode {
    /// Drive N cases through their whole life (register → forward → accept → recommend →
    /// sanction → record) over gRPC and mTLS, and compare with the cost of gRPC alone (health
    /// checks), of the write path alone (the same transitions through the store) and of the
    /// rows alone (the same writes as bare SQL).
    Lifecycle(lifecycle::LifecycleArgs),
    /// Seed a signed audit log of N events (10 million by default) into the database, serve
    /// it, and compare GetCaseHistory and a filtered ListAuditEvents page with the same rows
    /// by raw SQL, and the offline verification of its export with `sha256sum`.
    Audit(audit::AuditArgs),
    /// Hold one WatchInbox stream open per agency (about 1,100: every Bawaslu office and PPK
    /// in the country) while the lifecycle runs; report delivery latency and server RSS.
    Inbox(inbox::InboxArgs),
    /// Register N cases (100,000) on a fresh database with M of them (1,000) overdue, then
    /// time the due-index read, one deadline-engine scan raising them all, and the
    /// compliance figures over every case.
    Deadlines(deadlines::DeadlinesArgs),
    /// Time AddNote on cases holding 200 notes of 4,000 characters against AddNote on fresh
    /// cases, under the same load.
    Notes(notes::NotesArgs),
    /// An OTLP/gRPC receiver that only counts what it gets: point a server's
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` at it to measure what exporting costs.
    OtlpSink(otlp_sink::SinkArgs),
}

/// Runs a `netral bench` mode, writing its table to `out`.
pub async fn run(args: BenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match args.mode {
        BenchMode::Lifecycle(args) => lifecycle::run(&args, out).await.map(|_| ()),
        BenchMode::Audit(args) => audit::run(&args, out).await.map(|_| ()),
        BenchMode::Inbox(args) => inbox::run(&args, out).await.map(|_| ()),
        BenchMode::Deadlines(args) => deadlines::run(args, out).await,
        BenchMode::Notes(args) => notes::run(&args, out).await.map(|_| ()),
        BenchMode::OtlpSink(args) => otlp_sink::run(args, out).await,
    }
}
