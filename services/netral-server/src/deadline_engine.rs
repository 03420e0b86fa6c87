//! The deadline engine: deadlines that enforce themselves. Every scan reads the notices due
//! by today from the deadlines' `notice_on` index and raises each through
//! [`Exchange::raise_notice`] — one transaction per notice, with its case event, audit event
//! and inbox messages.
//!
//! The engine keeps no state of its own: what was raised is stored on each deadline, so a
//! restart resumes where the last commit left off, a catch-up after downtime raises what fell
//! due once and in ladder order (a bounded number per scan, so it never floods the writer),
//! and several replicas fire each notice once (a PostgreSQL advisory lock lets one replica
//! scan at a time; each raise is version-guarded besides). The clock is the server's
//! injectable [`Clock`].

use std::time::{Duration, Instant};
use tracing::Instrument;

use futures::StreamExt;
use netral_domain::case::NoticePolicy;
use netral_store::Store;
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::error::Error;
use crate::exchange::{Exchange, RaiseOutcome};

/// How many raises one scan runs at once (each its own transaction; together they share
/// group commits).
const PARALLEL_RAISES: usize = 16;

/// The deadline engine's settings (`[deadlines]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineSettings {
    /// Whether this replica scans at all (every replica may: they take turns).
    pub enabled: bool,
    /// How often a scan runs, in milliseconds.
    pub scan_interval_ms: u64,
    /// The most notices one scan raises; the rest wait for the next scan.
    pub scan_batch: u32,
    /// How many calendar days before a deadline its reminder falls due; 0 sends none.
    pub reminder_lead_days: u32,
    /// How many calendar days after a PPK's deadline passed the escalation proposals (block
    /// to BKN, warning to Kemendagri) fall due.
    pub escalate_after_days: u32,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        let policy = NoticePolicy::default();
        Self {
            enabled: true,
            scan_interval_ms: 60_000,
            scan_batch: 500,
            reminder_lead_days: policy.reminder_lead_days,
            escalate_after_days: policy.escalate_after_days,
        }
    }
}

impl DeadlineSettings {
    /// When notices fall due.
    pub fn policy(&self) -> NoticePolicy {
        NoticePolicy {
            reminder_lead_days: self.reminder_lead_days,
            escalate_after_days: self.escalate_after_days,
        }
    }

    /// `scan_interval_ms` as a duration (at least 10 ms).
    pub fn scan_interval(&self) -> Duration {
        Duration::from_millis(self.scan_interval_ms.max(10))
    }
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Notices raised and committed.
    pub raised: u64,
    /// Due notices found with nothing left to raise (a racing step or replica got there
    /// first); they are not raised again.
    pub nothing_due: u64,
    /// Raises that failed (logged); retried by the next scan.
    pub failed: u64,
    /// Reads of the due index.
    pub rounds: u64,
    /// Whether another replica held the scan, so this one did nothing.
    pub skipped: bool,
    /// How long the scan took.
    pub elapsed: Duration,
}

/// The deadline engine of one replica. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DeadlineEngine {
    /// Where raises are applied.
    exchange: Exchange,
    /// Where due notices are found.
    store: Store,
    /// The injectable clock: "today" for the scan and the instant of each raise.
    clock: Clock,
    /// Its settings.
    settings: DeadlineSettings,
}

impl DeadlineEngine {
    /// An engine raising through `exchange` the notices `store` holds as due.
    pub fn new(exchange: Exchange, store: Store, clock: Clock, settings: DeadlineSettings) -> Self {
        Self {
            exchange,
            store,
            clock,
            settings,
        }
    }

    /// One scan: raises what is due by today, at most `scan_batch` notices, each once.
    /// A deadline whose next rung is due too (a catch-up) climbs it in the next round of
    /// the same scan.
    pub async fn scan(&self) -> Result<ScanReport, Error> {
        self.scan_once()
            .instrument(tracing::info_span!("deadline scan"))
            .await
    }

    /// [`Self::scan`] inside its span.
    async fn scan_once(&self) -> Result<ScanReport, Error> {
        let started = Instant::now();
        let mut report = ScanReport::default();
        let Some(lease) = self.store.try_lease_deadline_scan().await? else {
            report.skipped = true;
            return Ok(report);
        };
        let budget = u64::from(self.settings.scan_batch.max(1));
        let policy = self.settings.policy();
        while report.raised < budget {
            let now = self.clock.now();
            let due = self
                .store
                .due_notices(Clock::date_of(now), budget - report.raised)
                .await?;
            report.rounds += 1;
            if due.is_empty() {
                break;
            }
            let raised_before = report.raised;
            // Raises of different cases share group commits; two deadlines of one case
            // race on its version, and the loser is raised in the next round.
            let outcomes: Vec<_> = futures::stream::iter(due)
                .map(|item| async move {
                    let outcome = self
                        .exchange
                        .raise_notice(item, self.clock.now(), policy)
                        .await;
                    (item, outcome)
                })
                .buffer_unordered(PARALLEL_RAISES)
                .collect()
                .await;
            for (item, outcome) in outcomes {
                match outcome {
                    Ok(RaiseOutcome::Raised(_)) => report.raised += 1,
                    Ok(RaiseOutcome::NothingDue) => report.nothing_due += 1,
                    Err(err) => {
                        report.failed += 1;
                        tracing::warn!(case = %item.case_id, error = %err, "raising a notice failed");
                    }
                }
            }
            if report.raised == raised_before {
                // Nothing moved: what is left is refused or failing; the next scan retries.
                break;
            }
        }
        lease.release().await?;
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Scans every `scan_interval` until aborted (the server aborts it on shutdown). A scan
    /// that fails is logged and retried at the next tick.
    pub fn spawn(self) -> Option<JoinHandle<()>> {
        if !self.settings.enabled {
            return None;
        }
        Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(self.settings.scan_interval());
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match self.scan().await {
                    Ok(report) if report.raised > 0 || report.failed > 0 => {
                        tracing::info!(
                            raised = report.raised,
                            failed = report.failed,
                            elapsed_ms = report.elapsed.as_millis() as u64,
                            "deadline scan"
                        );
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "deadline scan failed"),
                }
            }
        }))
    }
}
