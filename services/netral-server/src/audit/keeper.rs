//! Keeping the log: the sequencer's loop, checkpoints at an interval and on demand, and the
//! self-check that re-verifies the stored log against the signed checkpoints and raises an
//! alert (an error log line and an `ALERT` audit event) when someone altered it.

use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use netral_audit::CompactRange;
use netral_proto::v1 as pb;
use netral_store::Store;
use netral_store::audit::{LogFinding, StoredCheckpoint};
use tokio::task::JoinHandle;

use super::{AuditKeys, Event, Origin};
use crate::clock::Clock;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::settings::AuditSettings;

/// Most sequencing transactions one pass runs, so a pass always ends.
const MAX_ROUNDS: usize = 1_000;

/// Sequences, signs and checks the log. Cheap to clone.
#[derive(Clone)]
pub struct LogKeeper {
    /// Where the log lives.
    store: Store,
    /// The signing key.
    keys: Arc<AuditKeys>,
    /// The instant of checkpoints and alerts.
    clock: Clock,
    /// Most events one sequencing transaction takes.
    batch: u64,
    /// The right edge the last clean self-check recomputed, where the next one starts;
    /// `None` until a full check has run.
    checked: Arc<std::sync::Mutex<Option<CompactRange>>>,
    /// Where self-checks and their findings are counted, for the operator's alerts.
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for LogKeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKeeper")
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl LogKeeper {
    /// A keeper of the log in `store`.
    pub fn new(store: Store, keys: Arc<AuditKeys>, clock: Clock, batch: u32) -> Self {
        Self {
            store,
            keys,
            clock,
            batch: u64::from(batch.max(1)),
            checked: Arc::default(),
            metrics: None,
        }
    }

    /// The same keeper, counting its self-checks and their findings in `metrics`.
    pub fn reporting_to(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The log's keys.
    pub fn keys(&self) -> &AuditKeys {
        &self.keys
    }

    /// Sequences every event committed before the call (bounded), waiting for a sequencer
    /// running elsewhere if need be; says how many it sequenced itself.
    pub async fn catch_up(&self) -> Result<u64, Error> {
        self.sequence(true).await
    }

    /// Sequences in rounds of `batch` events. Once the first round finds work, the rest run
    /// in the sequencer's span (`audit sequence`, with the number of events sequenced in
    /// all); idle ticks, several a second, leave no span.
    async fn sequence(&self, wait: bool) -> Result<u64, Error> {
        let mut total = self.store.sequence_audit_events(self.batch, wait).await?;
        if total == 0 {
            return Ok(0);
        }
        let span = tracing::info_span!("audit sequence", netral.sequenced = tracing::field::Empty);
        let mut done = total;
        for _ in 1..MAX_ROUNDS {
            if done < self.batch {
                break;
            }
            done = self
                .store
                .sequence_audit_events(self.batch, wait)
                .instrument(span.clone())
                .await?;
            total += done;
        }
        span.record("netral.sequenced", total);
        Ok(total)
    }

    /// Sequences what waits and signs the head if it moved; answers the latest checkpoint.
    pub async fn checkpoint_now(&self) -> Result<StoredCheckpoint, Error> {
        self.catch_up().await?;
        self.store
            .sign_audit_checkpoint(self.keys.signer(), self.clock.now())
            .await?;
        self.store
            .audit_checkpoint(None)
            .await?
            .ok_or_else(|| Error::Unexpected("no checkpoint after signing one".into()))
    }

    /// Re-verifies the whole stored log against its checkpoints; on a finding, logs it and
    /// appends an `ALERT` audit event naming what was found (positions and sizes only).
    pub async fn self_check(&self) -> Result<Vec<LogFinding>, Error> {
        self.check(CompactRange::new()).await
    }

    /// Re-verifies the newest part of the log: what was added since the last clean check,
    /// against the checkpoints signed since (a full check when none ran yet).
    pub async fn self_check_newest(&self) -> Result<Vec<LogFinding>, Error> {
        let start = self.remembered().unwrap_or_default();
        self.check(start).await
    }

    fn remembered(&self) -> Option<CompactRange> {
        self.checked.lock().ok().and_then(|edge| edge.clone())
    }

    async fn check(&self, start: CompactRange) -> Result<Vec<LogFinding>, Error> {
        let (findings, edge) = self
            .store
            .check_audit_log_from(self.keys.verifier_key(), start)
            .await?;
        if let Some(metrics) = &self.metrics {
            metrics.audit_self_check(findings.len());
        }
        if findings.is_empty() {
            if let Ok(mut checked) = self.checked.lock() {
                *checked = Some(edge);
            }
        } else if let Ok(mut checked) = self.checked.lock() {
            // The next check starts from the beginning again.
            *checked = None;
        }
        if let Some(first) = findings.first() {
            tracing::error!(
                findings = findings.len(),
                first = %first,
                "the audit log does not match its signed checkpoints"
            );
            let reason = format!("{} finding(s); first: {first}", findings.len());
            let origin = Origin::default();
            let event = Event {
                reason: &reason,
                ..Event::new(
                    "SELF_CHECK",
                    pb::AuditOutcome::Alert,
                    self.clock.now(),
                    &origin,
                )
            };
            self.store.record_audit(event.record()).await?;
        }
        Ok(findings)
    }

    /// Starts the background loops: the sequencer, checkpoints and the self-check. They run
    /// until the returned handles are aborted.
    pub fn spawn(&self, settings: &AuditSettings) -> Vec<JoinHandle<()>> {
        let every = |ms: u64| {
            let mut interval = tokio::time::interval(Duration::from_millis(ms));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        };
        let keeper = self.clone();
        let mut sequence_every = every(settings.sequence_interval_ms);
        let sequencer = tokio::spawn(async move {
            loop {
                sequence_every.tick().await;
                if let Err(err) = keeper.sequence(false).await {
                    tracing::warn!(error = %err, "audit sequencing failed; retrying");
                }
            }
        });
        let keeper = self.clone();
        let mut checkpoint_every = every(settings.checkpoint_interval_s.saturating_mul(1000));
        let checkpoints = tokio::spawn(async move {
            loop {
                checkpoint_every.tick().await;
                if let Err(err) = keeper.checkpoint_now().await {
                    tracing::warn!(error = %err, "signing an audit checkpoint failed; retrying");
                }
            }
        });
        let keeper = self.clone();
        let period = Duration::from_secs(settings.self_check_interval_s.max(1));
        let full_every = settings.full_check_every.max(1);
        let self_check = tokio::spawn(async move {
            // Not at start: a replica's start must not rescan a long log.
            let mut check_every =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            check_every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for round in 1u64.. {
                check_every.tick().await;
                let checked = match round % u64::from(full_every) {
                    0 => keeper.self_check().await,
                    _ => keeper.self_check_newest().await,
                };
                if let Err(err) = checked {
                    tracing::warn!(error = %err, "the audit log self-check could not run");
                }
            }
        });
        vec![sequencer, checkpoints, self_check]
    }
}
