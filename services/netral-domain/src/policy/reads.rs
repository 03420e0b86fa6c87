//! Who may read which case: need to know (DESIGN.md, "Who may do what").
//!
//! A case carries a civil servant's NIP, name and position, so it is read only by those whose
//! part in the case needs them: its parties (the registering Bawaslu and the Bawaslu offices
//! above it, the examiner, the PPK), the examiner of the day (who takes over a case whose
//! examiner's grant ended), the personnel registry once a case is forwarded (it reports a
//! subject's separation from then on, and records and blocks later), the regional overseer
//! once a sanction was recommended (warning), and auditors. Whoever may act on a case may
//! read it. A national agency is not a
//! reader for being national: a ministry acting as PPK reads its own cases, and the policy
//! owner (KemenPAN-RB) reads statistics, never a case.
//!
//! [`ListScope`] is the rule itself; [`may_read_case`] asks it about one case, and the store
//! translates it into its query, so what an agency can list is exactly what it can read.

use chrono::NaiveDate;

use super::{AgencyProfile, CaseParties, Denial, Role};
use crate::ids::{AgencyId, RegionCode};

/// Which cases an agency may read, list and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListScope {
    /// The agency itself: the cases naming it as reporting office, examiner or PPK are always
    /// in scope, wherever they are (a reporting office whose jurisdiction moved still reads
    /// its cases).
    pub agency: AgencyId,
    /// Where its role-based reads apply: its region and the regions below it; `None` for a
    /// national agency (everywhere).
    pub jurisdiction: Option<RegionCode>,
    /// Every case in the jurisdiction: a Bawaslu office (cases its own office or one below it
    /// registered), an auditor.
    pub every_case: bool,
    /// Every forwarded case in the jurisdiction: the examiner of the day, which takes over
    /// the open cases of an examiner whose grant ended, and the personnel registry, which
    /// reports a subject's separation from forwarding on.
    pub forwarded: bool,
    /// Every case in the jurisdiction on which a sanction was recommended: the personnel
    /// registry (records, blocks) and the regional overseer (warns a regional head).
    pub recommended: bool,
}

impl ListScope {
    /// Whether a case with these parties falls inside the scope (for one case, and for tests;
    /// the store translates the scope into its query).
    pub fn includes(&self, case: &CaseParties) -> bool {
        if case.names(&self.agency) {
            return true;
        }
        let inside = self
            .jurisdiction
            .is_none_or(|region| region.covers(&case.region));
        inside
            && (self.every_case
                || (self.forwarded && case.forwarded_on.is_some())
                || (self.recommended && case.recommended))
    }

    /// Whether the scope holds every case there is: then a case that cannot be found does
    /// not exist, and may be answered `NOT_FOUND` without telling the caller anything.
    pub fn is_everything(&self) -> bool {
        self.every_case && self.jurisdiction.is_none()
    }
}

/// What `actor` may read and list on `today`.
pub fn list_scope(actor: &AgencyProfile, today: NaiveDate) -> ListScope {
    let holds = |role| actor.holds(role, today);
    ListScope {
        agency: actor.id.clone(),
        jurisdiction: actor.jurisdiction,
        every_case: holds(Role::Bawaslu) || holds(Role::Auditor),
        forwarded: holds(Role::Examiner) || holds(Role::PersonnelRegistry),
        recommended: holds(Role::PersonnelRegistry) || holds(Role::RegionalOversight),
    }
}

/// What `actor` may count in statistics on `today`: what it may read and, for the policy
/// owner, every case in its jurisdiction, since statistics carry no personal data.
pub fn stats_scope(actor: &AgencyProfile, today: NaiveDate) -> ListScope {
    let mut scope = list_scope(actor, today);
    scope.every_case |= actor.holds(Role::PolicyOwner, today);
    scope
}

/// Whether `actor` may read `case` on `today` (see [`list_scope`]). The refusal is the same
/// for every case the agency may not see, [`Denial::CaseNotAccessible`], and the same an
/// unknown case gets, so that it tells nothing about the case.
pub fn may_read_case(
    actor: &AgencyProfile,
    case: &CaseParties,
    today: NaiveDate,
) -> Result<(), Denial> {
    if list_scope(actor, today).includes(case) {
        Ok(())
    } else {
        Err(Denial::CaseNotAccessible)
    }
}
