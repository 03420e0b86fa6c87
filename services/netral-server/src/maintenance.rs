//! Background upkeep the server runs beside its services: readiness that follows the
//! database, and the purge of idempotency keys past their retention (in bounded batches, so
//! a purge never holds a long lock).

use std::time::Duration;

use chrono::TimeDelta;
use netral_store::Store;
use tokio::task::JoinHandle;

use netral_proto::v1::case_service_server::CaseServiceServer;
use netral_proto::v1::inbox_service_server::InboxServiceServer;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::clock::Clock;
use crate::grpc::case_service::CaseApi;
use crate::grpc::inbox_service::InboxApi;
use crate::settings::IdempotencySettings;

/// How often readiness asks the database whether it answers.
const READINESS_INTERVAL: Duration = Duration::from_millis(250);

/// How long one readiness probe may take before the database counts as unreachable.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Keeps `grpc.health.v1` for the case and inbox services (and the server as a whole) in step with the
/// database: NOT_SERVING while it does not answer, SERVING again once it does, so a load
/// balancer sends agencies elsewhere during an outage. Liveness is not affected: the process
/// stays up, since a restart would not bring the database back. Runs until aborted (the
/// application aborts it when it starts draining).
pub fn spawn_readiness(store: Store, health: HealthReporter) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(READINESS_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut serving = true;
        loop {
            every.tick().await;
            let answers = matches!(
                tokio::time::timeout(READINESS_TIMEOUT, store.ping()).await,
                Ok(Ok(()))
            );
            if answers == serving {
                continue;
            }
            serving = answers;
            let status = if serving {
                tracing::info!("the database answers again: serving");
                ServingStatus::Serving
            } else {
                tracing::warn!("the database does not answer: not serving until it does");
                ServingStatus::NotServing
            };
            for service in [
                <CaseServiceServer<CaseApi> as tonic::server::NamedService>::NAME,
                <InboxServiceServer<InboxApi> as tonic::server::NamedService>::NAME,
                "",
            ] {
                health.set_service_status(service, status).await;
            }
        }
    })
}

/// Starts the purge of expired idempotency keys: right away, then every
/// `purge_interval_s`. The task runs until aborted (the application aborts it on shutdown).
pub fn spawn_key_purge(
    store: Store,
    clock: Clock,
    settings: IdempotencySettings,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(settings.purge_interval_s));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let retention = TimeDelta::days(i64::from(settings.retention_days));
            let cutoff = clock.now() - retention;
            match purge_before(&store, cutoff, u64::from(settings.purge_batch)).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired idempotency keys purged"),
                Err(err) => {
                    tracing::warn!(error = %err, "idempotency key purge failed; retrying later")
                }
            }
        }
    })
}

/// Deletes every key created before `cutoff`, `batch` at a time; stops at the first short
/// batch. Bounded: at most 10 000 batches per run, the rest waits for the next run.
async fn purge_before(
    store: &Store,
    cutoff: chrono::DateTime<chrono::Utc>,
    batch: u64,
) -> Result<u64, netral_store::StoreError> {
    let mut total = 0;
    for _ in 0..10_000 {
        let purged = store.purge_idempotency_keys(cutoff, batch).await?;
        total += purged;
        if purged < batch {
            break;
        }
    }
    Ok(total)
}
