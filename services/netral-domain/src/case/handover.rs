//! The hand-over of an open case to the examiner of the day.
//!
//! The examiner role is a dated grant (KASN until 2024-08-23, BKN from 2024-08-24), and a case
//! forwarded to an examiner whose grant then ended must not be stranded: the first examiner's
//! step the holder of the day takes on it ([`crate::policy::examiner_hand_over`] decides when)
//! hands the case over. The case then names the new examiner, its open examiner deadline
//! waits for it, and the step's [`super::StepOutcome`] names the examiner handed over from,
//! so the hand-over is in the step's case event and audit event, never silent.

use super::record::{CaseRecord, DeadlineStatus};
use crate::catalogue::DeadlineStep;
use crate::ids::AgencyId;

impl CaseRecord {
    /// Makes `to` the case's examiner and moves the open examiner deadline to it (its dates
    /// stay: the clock started when Bawaslu forwarded the case).
    pub(super) fn hand_over_examination(&mut self, to: &AgencyId) {
        for deadline in self
            .deadlines
            .iter_mut()
            .filter(|d| d.step == DeadlineStep::ExaminerAction && d.status == DeadlineStatus::Open)
        {
            deadline.agency = to.clone();
        }
        self.examiner = Some(to.clone());
    }
}
