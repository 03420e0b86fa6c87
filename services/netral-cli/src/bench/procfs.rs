//! What the kernel says of a process under load: its resident memory from
//! `/proc/<pid>/status` (`VmRSS` now, `VmHWM` its peak so far, and a sampler that reads `VmRSS`
//! every 100 ms) and its CPU time from `/proc/<pid>/stat`. Elsewhere than Linux every reading
//! is `None` and the report says `n/a`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

/// How often the peak sampler reads the resident memory.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// A process's resident memory, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident now, in KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the highest resident size so far, in KiB.
    pub hwm_kib: u64,
}

/// The resident memory of `pid`, or `None` where `/proc` cannot tell (not Linux, gone).
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&status)
}

/// `VmRSS` and `VmHWM` of a `/proc/<pid>/status` text.
fn parse_status(status: &str) -> Option<Memory> {
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some(Memory {
        rss_kib: kib("VmRSS:")?,
        hwm_kib: kib("VmHWM:")?,
    })
}

/// CPU time (user + system, every thread) `pid` has used so far, in seconds, from
/// `/proc/<pid>/stat`; `None` where `/proc` cannot tell.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = parse_cpu_ticks(&stat)?;
    Some(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in clock ticks. The
/// command name (field 2) may hold spaces and parentheses, so fields are counted after its
/// last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_comm) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(field(14)? + field(15)?)
}

/// Samples `VmRSS` of a process every [`SAMPLE_EVERY`] and keeps the highest value.
pub struct PeakSampler {
    /// The highest `VmRSS` seen, in KiB.
    peak_kib: Arc<AtomicU64>,
    /// The sampling task.
    task: JoinHandle<()>,
}

impl PeakSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let peak = Arc::clone(&peak_kib);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                match memory(pid) {
                    Some(m) => peak.fetch_max(m.rss_kib, Ordering::Relaxed),
                    None => return,
                };
            }
        });
        Self { peak_kib, task }
    }

    /// Stops sampling and returns the highest `VmRSS` seen, in KiB.
    pub fn finish(self) -> u64 {
        self.task.abort();
        self.peak_kib.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time() {
        let stat = "4242 (netral (x) y) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 75 0 0 20 0 9";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
        if cfg!(target_os = "linux") {
            assert!(cpu_seconds(std::process::id()).is_some());
        }
    }

    #[test]
    fn reads_resident_memory() {
        let status = "Name:\tnetral-server\nVmHWM:\t   61234 kB\nVmRSS:\t   20480 kB\n";
        let m = parse_status(status).unwrap();
        assert_eq!((m.rss_kib, m.hwm_kib), (20480, 61234));
        if cfg!(target_os = "linux") {
            assert!(memory(std::process::id()).is_some_and(|m| m.rss_kib > 0));
        }
    }
}
