//! The worker pool every phase shares, so that the service, the health ceiling and the
//! persistence floor are measured the same way: `clients` workers take case numbers from one
//! counter until all N are taken (or the phase's deadline passes), each running one case's six
//! steps in order, and each keeps its own tally (per-step latencies, acknowledgements, errors
//! by kind) that is merged at the end. Nothing is shared on the hot path but the counter and
//! the progress bar.
//!
//! Two ways to hand out cases ([`Plan::rate`]): **closed loop** (the default), where a worker
//! starts its next case as soon as its last one is done, so the phase runs at saturation and
//! measures capacity; and **paced**, where case *i* is due `i / rate` seconds after the start
//! and waits for that moment, so the phase offers a fixed load and measures the latency an
//! agency sees below saturation. A paced case that starts late because every worker was busy
//! is recorded as start lag: the latency figures then understate the wait, and the report
//! says so.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The six steps of a case's life, in order: (gRPC method, snake-case name for report keys).
pub const STEPS: [(&str, &str); 6] = [
    ("RegisterCase", "register_case"),
    ("ForwardCase", "forward_case"),
    ("AcceptCase", "accept_case"),
    ("RecommendSanction", "recommend_sanction"),
    ("RecordSanctionDecree", "record_sanction_decree"),
    ("RecordInRegistry", "record_in_registry"),
];

/// How long in-flight calls may still finish after the deadline before workers are aborted.
/// Every call has its own shorter timeout, so this is only a backstop against a hang.
const STRAGGLER_GRACE: Duration = Duration::from_secs(60);

/// The error label of steps never sent because the phase's deadline passed.
pub const NOT_SENT: &str = "not sent (bench deadline)";

/// What one worker (and, merged, one phase) observed.
#[derive(Debug)]
pub struct Tally {
    /// Latency of each acknowledged call in microseconds, per step (index into [`STEPS`]).
    pub latencies_us: Vec<Vec<u32>>,
    /// Calls that succeeded with the expected reply.
    pub acknowledged: u64,
    /// Failed calls by kind (a gRPC code, or a store error), so a run's failures are legible.
    pub errors: BTreeMap<String, u64>,
    /// Failed calls per step (index into [`STEPS`]).
    pub failures: Vec<u64>,
    /// Paced phases only: how late each case started after its due time, in microseconds.
    pub start_lag_us: Vec<u32>,
    /// Advanced once per call, whatever its outcome; hidden when not on a terminal.
    progress: ProgressBar,
}

impl Tally {
    /// An empty tally feeding `progress`.
    fn new(progress: ProgressBar) -> Self {
        Self {
            latencies_us: vec![Vec::new(); STEPS.len()],
            acknowledged: 0,
            errors: BTreeMap::new(),
            failures: vec![0; STEPS.len()],
            start_lag_us: Vec::new(),
            progress,
        }
    }

    /// Records an acknowledged call of `step` that started at `started`.
    pub fn ok(&mut self, step: usize, started: Instant) {
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        if let Some(samples) = self.latencies_us.get_mut(step) {
            samples.push(micros);
        }
        self.acknowledged += 1;
        self.progress.inc(1);
    }

    /// Records a failed call, and the steps of its case that will therefore not be sent
    /// (they count as neither acknowledged nor failed, but advance the progress bar).
    pub fn failed(&mut self, step: usize, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
        if let Some(failures) = self.failures.get_mut(step) {
            *failures += 1;
        }
        let skipped = STEPS.len().saturating_sub(step + 1);
        self.progress.inc(1 + skipped as u64);
    }

    /// Adds `other` into this tally.
    fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.latencies_us.iter_mut().zip(other.latencies_us) {
            mine.extend(theirs);
        }
        self.acknowledged += other.acknowledged;
        for (mine, theirs) in self.failures.iter_mut().zip(other.failures) {
            *mine += theirs;
        }
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.start_lag_us.extend(other.start_lag_us);
    }

    /// Every failed call.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// One worker's way of running a case: the six steps of case number `index`, in order, each
/// recorded in `tally`, stopping at the first failure (a later step needs the earlier etag).
pub trait CaseRunner: Send + 'static {
    /// Runs case `index`.
    fn run_case(&mut self, index: usize, tally: &mut Tally) -> impl Future<Output = ()> + Send;
}

/// What a phase measured.
#[derive(Debug)]
pub struct Phase {
    /// The merged tallies of every worker.
    pub tally: Tally,
    /// Wall time from the first call to the last worker's end.
    pub elapsed: Duration,
}

impl Phase {
    /// Acknowledged calls per second of wall time.
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.tally.acknowledged as f64 / secs
        } else {
            0.0
        }
    }

    /// The latencies of one step, sorted, in microseconds.
    pub fn sorted_step(&self, step: usize) -> Vec<u32> {
        let mut samples = self
            .tally
            .latencies_us
            .get(step)
            .cloned()
            .unwrap_or_default();
        samples.sort_unstable();
        samples
    }

    /// Paced phases only: how late the cases started, sorted, in microseconds.
    pub fn sorted_start_lag(&self) -> Vec<u32> {
        let mut samples = self.tally.start_lag_us.clone();
        samples.sort_unstable();
        samples
    }

    /// The latencies of every step together, sorted, in microseconds.
    pub fn sorted_all(&self) -> Vec<u32> {
        let mut samples: Vec<u32> = self.tally.latencies_us.concat();
        samples.sort_unstable();
        samples
    }
}

/// The `p`-th percentile (nearest rank) of `sorted` microseconds, in milliseconds; 0 when
/// there is no sample.
pub fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

/// How a phase runs: how many cases, for how long at most, and how they are handed out.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Cases to run, six steps each.
    pub cases: usize,
    /// No case starts once this much time has passed since the phase began; the cases left
    /// count as [`NOT_SENT`] errors.
    pub limit: Duration,
    /// Cases started per second (paced); `None` for a closed loop at saturation.
    pub rate: Option<Rate>,
    /// Whether to draw a progress bar (on a terminal only).
    pub show_progress: bool,
}

/// A pace: cases started per second, a finite number above zero (checked once, where it is
/// parsed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(f64);

impl Rate {
    /// Cases per second.
    pub fn per_second(self) -> f64 {
        self.0
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.parse::<f64>() {
            Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(Self(rate)),
            _ => Err(format!(
                "`{text}` is not a positive number of cases per second"
            )),
        }
    }
}

/// When a case may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// At once: a closed loop.
    Now,
    /// Not before this instant: a paced plan.
    At(Instant),
    /// Never: so far ahead (a tiny rate) that no clock reaches it.
    Never,
}

impl Plan {
    /// When case `index` of a phase that started at `start` may start.
    fn due(&self, start: Instant, index: usize) -> Due {
        let Some(rate) = self.rate else {
            return Due::Now;
        };
        Duration::try_from_secs_f64(index as f64 / rate.per_second())
            .ok()
            .and_then(|offset| start.checked_add(offset))
            .map_or(Due::Never, Due::At)
    }
}

/// Runs `plan.cases` cases over `runners` (one worker each) and returns what they measured.
/// Workers stop starting cases once `plan.limit` has passed since the start. A worker still
/// busy [`STRAGGLER_GRACE`] after that is aborted.
pub async fn drive<R: CaseRunner>(
    label: &str,
    runners: Vec<R>,
    plan: Plan,
) -> anyhow::Result<Phase> {
    let cases = plan.cases;
    let progress = progress_bar(label, (cases * STEPS.len()) as u64, plan.show_progress);
    let next = Arc::new(AtomicUsize::new(0));
    let begun = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let stop_taking = started + plan.limit;
    let mut workers = JoinSet::new();
    for mut runner in runners {
        let (next, begun) = (Arc::clone(&next), Arc::clone(&begun));
        let mut tally = Tally::new(progress.clone());
        workers.spawn(async move {
            while Instant::now() < stop_taking {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= cases {
                    break;
                }
                match plan.due(started, index) {
                    Due::Now => {}
                    Due::At(due) if due < stop_taking => {
                        tokio::time::sleep_until(due).await;
                        let lag = Instant::now().saturating_duration_since(due);
                        let lag_us = u32::try_from(lag.as_micros()).unwrap_or(u32::MAX);
                        tally.start_lag_us.push(lag_us);
                    }
                    Due::At(_) | Due::Never => break,
                }
                begun.fetch_add(1, Ordering::Relaxed);
                runner.run_case(index, &mut tally).await;
            }
            tally
        });
    }
    let mut merged = Tally::new(progress.clone());
    let give_up = stop_taking + STRAGGLER_GRACE;
    loop {
        match tokio::time::timeout_at(give_up, workers.join_next()).await {
            Ok(Some(Ok(tally))) => merged.merge(tally),
            Ok(Some(Err(err))) => {
                progress.abandon();
                anyhow::bail!("a {label} worker failed: {err}");
            }
            Ok(None) => break,
            Err(_) => {
                let stuck = workers.len() as u64;
                workers.abort_all();
                merged
                    .errors
                    .insert("worker stuck past the deadline".into(), stuck);
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    let begun = begun.load(Ordering::Relaxed).min(cases);
    if begun < cases {
        let not_sent = ((cases - begun) * STEPS.len()) as u64;
        merged.errors.insert(NOT_SENT.into(), not_sent);
    }
    progress.finish_and_clear();
    Ok(Phase {
        tally: merged,
        elapsed,
    })
}

/// A bar on stderr (drawn only when stderr is a terminal), or a hidden one.
fn progress_bar(label: &str, total: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg:>24} [{elapsed_precise}] {wide_bar} {pos}/{len} calls ({per_sec}, eta {eta})",
    );
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar.set_message(label.to_owned());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&samples, 50.0), 50.0);
        assert_eq!(percentile_ms(&samples, 99.0), 99.0);
        assert_eq!(percentile_ms(&samples, 100.0), 100.0);
        assert_eq!(percentile_ms(&[1500], 99.0), 1.5);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    struct Counting;

    impl CaseRunner for Counting {
        async fn run_case(&mut self, index: usize, tally: &mut Tally) {
            for step in 0..STEPS.len() {
                let started = Instant::now();
                if index == 1 && step == 2 {
                    tally.failed(step, "Aborted");
                    return;
                }
                tally.ok(step, started);
            }
        }
    }

    #[tokio::test]
    async fn every_case_is_taken_once_and_failures_stop_their_case() {
        let runners = (0..3).map(|_| Counting).collect();
        let phase = drive("test", runners, closed(5, Duration::from_secs(60)))
            .await
            .unwrap();
        assert_eq!(phase.tally.acknowledged, 4 * 6 + 2);
        assert_eq!(phase.tally.errors.get("Aborted"), Some(&1));
        assert_eq!(phase.tally.error_count(), 1);
        assert_eq!(phase.tally.failures, [0, 0, 1, 0, 0, 0]);
        assert_eq!(phase.sorted_step(0).len(), 5);
        assert_eq!(phase.sorted_step(2).len(), 4);
        assert_eq!(phase.sorted_all().len(), 26);
    }

    #[tokio::test]
    async fn cases_left_at_the_deadline_are_reported_not_sent() {
        let runners = vec![Counting];
        let phase = drive("test", runners, closed(4, Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(phase.tally.acknowledged, 0);
        assert_eq!(phase.tally.errors.get(NOT_SENT), Some(&24));
    }

    fn closed(cases: usize, limit: Duration) -> Plan {
        Plan {
            cases,
            limit,
            rate: None,
            show_progress: false,
        }
    }

    fn paced(rate: &str, cases: usize, limit: Duration) -> Plan {
        Plan {
            rate: Some(rate.parse().unwrap()),
            ..closed(cases, limit)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_phase_starts_each_case_at_its_due_time() {
        let runners = (0..3).map(|_| Counting).collect();
        let began = Instant::now();
        let plan = paced("10", 5, Duration::from_secs(60));
        let phase = drive("test", runners, plan).await.unwrap();
        // Case 4 is due 0.4 s in; the paused clock only moves to due times.
        let elapsed = began.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(402), "{elapsed:?}");
        assert_eq!(phase.tally.start_lag_us.len(), 5);
        assert!(phase.sorted_start_lag().iter().all(|lag| *lag < 2000));
        assert_eq!(phase.tally.acknowledged, 4 * 6 + 2);
    }

    #[tokio::test(start_paused = true)]
    async fn paced_cases_due_after_the_limit_are_not_sent() {
        let runners = (0..4).map(|_| Counting).collect();
        let plan = paced("1", 10, Duration::from_millis(2500));
        let phase = drive("test", runners, plan).await.unwrap();
        // Cases 0, 1 and 2 are due at 0, 1 and 2 s; 3..10 would be due after 2.5 s.
        assert_eq!(phase.tally.start_lag_us.len(), 3);
        assert_eq!(phase.tally.errors.get(NOT_SENT), Some(&(7 * 6)));
    }

    #[test]
    fn a_rate_too_small_for_any_clock_never_starts_the_later_cases() {
        let plan = paced("1e-300", 2, Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(plan.due(start, 0), Due::At(start));
        assert_eq!(plan.due(start, 1), Due::Never);
        assert_eq!(closed(2, Duration::ZERO).due(start, 1), Due::Now);
    }
}
