//! A PPK's decree stays within what the examiner recommended.
//!
//! The examiner recommends a track (a disciplinary level of PP 94/2021, or dishonourable
//! dismissal); the PPK picks the concrete sanction. Which tracks a decree may use for each
//! recommended track is catalogue data (`decree-levels.csv`, by default exactly the
//! recommended one); moral sanctions are always allowed alongside.

use super::apply::StepError;
use super::record::{CaseRecord, ImposedSanction};
use crate::catalogue::Catalogue;
use crate::reason::Reason;

impl CaseRecord {
    /// Refuses `sanctions` when one is a disciplinary sanction whose track the catalogue does
    /// not allow for the case's recommendation. Codes the catalogue does not know were refused
    /// when the request was parsed; a case without a recommendation has nothing to check.
    pub(super) fn check_decree_within_recommendation(
        &self,
        sanctions: &[ImposedSanction],
        catalogue: &Catalogue,
    ) -> Result<(), StepError> {
        let Some(recommendation) = &self.recommendation else {
            return Ok(());
        };
        let recommended = recommendation.track;
        for sanction in sanctions {
            let Some(decreed) = catalogue.sanctions.disciplinary_by_code(&sanction.code) else {
                continue;
            };
            if !catalogue
                .sanctions
                .decree_allows(recommended, decreed.track)
            {
                return Err(StepError::Precondition {
                    reason: Reason::SanctionOutsideRecommendedLevel,
                    message: format!(
                        "{} is a {} sanction; the examiner recommended {recommended}",
                        decreed.code, decreed.track
                    ),
                });
            }
        }
        Ok(())
    }
}
