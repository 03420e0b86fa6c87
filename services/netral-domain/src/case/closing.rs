//! What a case's end does besides changing its state: a block of the subject's personnel
//! data never outlives the case it was placed for.
//!
//! BKN blocks the personnel data (no promotion, transfer or pension processing) while a PPK
//! ignores a recommendation; the block is lifted when the sanction is recorded. A case can
//! also end without a sanction while blocked (cancelled, or the subject retired, resigned or
//! died): then the block is lifted by the step that ends the case, recorded as an escalation
//! raised by netral itself, and BKN is told through its inbox (see
//! [`crate::inbox::BLOCK_LIFTED`]). Unblocking a closed case by hand is refused, so nothing
//! else could ever lift it.

use chrono::{DateTime, Utc};

use super::record::{CaseRecord, Escalation, EscalationKind};
use crate::state::CaseState;

impl CaseRecord {
    /// Lifts the personnel-data block of a case that has just reached the terminal state
    /// `closed`, recording a [`EscalationKind::PersonnelDataUnblocked`] escalation raised by
    /// netral (no agency) whose reason names how the case ended. Returns whether a block was
    /// lifted; a case that was not blocked is left as it is.
    pub(super) fn lift_block_on_close(&mut self, closed: CaseState, at: DateTime<Utc>) -> bool {
        if !closed.is_terminal() || !self.personnel_data_blocked {
            return false;
        }
        self.personnel_data_blocked = false;
        let reason = format!("case closed: {closed}");
        self.size.escalations += 1;
        self.size.text_bytes += reason.len() as u64;
        self.escalations.push(Escalation {
            kind: EscalationKind::PersonnelDataUnblocked,
            agency: None,
            reference: String::new(),
            reason,
            at,
        });
        true
    }
}
