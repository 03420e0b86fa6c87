//! The server's notion of "now", injectable so tests can stand on 2024-08-23 or 2024-08-24
//! without waiting for it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};

/// Where the server reads the time. Production uses [`Clock::system`]; tests use
/// [`Clock::manual`] and move it with [`Clock::set`].
#[derive(Clone, Debug)]
pub struct Clock {
    /// `None` reads the system clock; `Some` holds a time set by a test.
    manual: Option<Arc<RwLock<DateTime<Utc>>>>,
}

/// Western Indonesia Time (WIB, UTC+7): the exchange decides dates (grants, forwarding,
/// deadlines) on the calendar of Jakarta, where the national agencies sit.
const WIB_OFFSET_SECONDS: i32 = 7 * 3600;

impl Clock {
    /// The real clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock standing still at `at` until [`Clock::set`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(RwLock::new(at))),
        }
    }

    /// Moves a manual clock; does nothing to the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(manual) = &self.manual {
            match manual.write() {
                Ok(mut guard) => *guard = at,
                Err(poisoned) => *poisoned.into_inner() = at,
            }
        }
    }

    /// The current instant, at the microsecond precision the store keeps (so a case read
    /// back equals the case written).
    pub fn now(&self) -> DateTime<Utc> {
        self.raw_now().trunc_subsecs(6)
    }

    fn raw_now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(manual) => match manual.read() {
                Ok(guard) => *guard,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// The exchange's calendar date at `at`.
    pub fn date_of(at: DateTime<Utc>) -> NaiveDate {
        match FixedOffset::east_opt(WIB_OFFSET_SECONDS) {
            Some(wib) => at.with_timezone(&wib).date_naive(),
            None => at.date_naive(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_taken_in_jakarta() {
        // 17:30 UTC on the 23rd is already 00:30 on the 24th in Jakarta.
        let at = "2024-08-23T17:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            Clock::date_of(at),
            NaiveDate::from_ymd_opt(2024, 8, 24).unwrap()
        );
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = "2024-08-23T03:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        let later = "2024-08-24T03:00:00Z".parse::<DateTime<Utc>>().unwrap();
        clock.clone().set(later);
        assert_eq!(clock.now(), later);
    }
}
