//! Background upkeep the server runs beside its services: today the purge of idempotency
//! keys past their retention, in bounded batches so a purge never holds a long lock.

use std::time::Duration;

use chrono::TimeDelta;
use netral_store::Store;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::settings::IdempotencySettings;

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
