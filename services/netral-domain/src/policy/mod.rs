//! Who may take which action on which case, deny by default (DESIGN.md, "Who may do what").
//!
//! An agency's authority comes from dated role grants in the directory plus, for some roles,
//! a jurisdiction. Two roles are bound to a case rather than to a territory: the examiner is
//! the agency the case was forwarded to (and must hold `EXAMINER` on the day it acts; an open
//! case passes to the holder of the day once the grant of its examiner ends, see
//! [`examiner_hand_over`]), the PPK is the employing authority named on the case. The other acting roles
//! (Bawaslu, personnel registry, regional oversight, auditing) are exercised over a territory:
//! everywhere for a national agency, inside its region for a regional one.
//!
//! Who may read which case (need to know) is [`reads`]'s part of the table.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::ids::{AgencyId, RegionCode};
use crate::reason::Reason;
use crate::state::{Action, CaseState, UnknownName};

mod reads;

pub use reads::{ListScope, list_scope, may_read_case, stats_scope};

/// A role an agency can be granted in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// An election supervisory office (Bawaslu RI, province, regency/city): registers, reviews,
    /// forwards, dismisses and cancels cases.
    Bawaslu,
    /// The examiner (KASN until 2024-08-23, BKN since): verifies forwarded cases and recommends
    /// a sanction level.
    Examiner,
    /// An employing authority (*Pejabat Pembina Kepegawaian*): imposes the concrete sanction.
    Ppk,
    /// The keeper of the national personnel registry (BKN): records sanctions, blocks data.
    PersonnelRegistry,
    /// The overseer of regional heads (Kemendagri): sends warning letters.
    RegionalOversight,
    /// The policy owner (KemenPAN-RB): reads cases and statistics, takes no action.
    PolicyOwner,
    /// An auditor (inspectorate, BPK, Ombudsman): read-only.
    Auditor,
    /// A migration agency: brings in the history of concluded past cases, and nothing else (it
    /// reads no case and takes no step on one).
    Migration,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 8] = [
        Self::Bawaslu,
        Self::Examiner,
        Self::Ppk,
        Self::PersonnelRegistry,
        Self::RegionalOversight,
        Self::PolicyOwner,
        Self::Auditor,
        Self::Migration,
    ];

    /// The stable wire name, e.g. `"PERSONNEL_REGISTRY"`, as used in the directory.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bawaslu => "BAWASLU",
            Self::Examiner => "EXAMINER",
            Self::Ppk => "PPK",
            Self::PersonnelRegistry => "PERSONNEL_REGISTRY",
            Self::RegionalOversight => "REGIONAL_OVERSIGHT",
            Self::PolicyOwner => "POLICY_OWNER",
            Self::Auditor => "AUDITOR",
            Self::Migration => "MIGRATION",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;

    /// Parses the exact wire name given by [`Role::as_str`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownName::new("role", s))
    }
}

/// One role held by an agency over a period. Roles move between agencies over time (the
/// examiner passed from KASN to BKN on 2024-08-24), so a grant is always dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleGrant {
    /// The role granted.
    pub role: Role,
    /// The first day the grant is in force.
    pub valid_from: NaiveDate,
    /// The last day the grant is in force, inclusive; `None` while it is open-ended.
    pub valid_until: Option<NaiveDate>,
}

impl RoleGrant {
    /// A grant in force from `valid_from` with no end yet.
    pub const fn since(role: Role, valid_from: NaiveDate) -> Self {
        Self {
            role,
            valid_from,
            valid_until: None,
        }
    }

    /// A grant in force from `valid_from` to `valid_until`, both days included.
    pub const fn between(role: Role, valid_from: NaiveDate, valid_until: NaiveDate) -> Self {
        Self {
            role,
            valid_from,
            valid_until: Some(valid_until),
        }
    }

    /// Whether the grant is in force on `date` (both ends inclusive).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// What the directory knows about an agency, as far as authorization needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyProfile {
    /// The agency, as identified by its client certificate.
    pub id: AgencyId,
    /// The region a regional office serves (`63` Bawaslu Kalsel, `63.02` Bawaslu Kotabaru);
    /// `None` for a national agency (Bawaslu RI, BKN, Kemendagri, ...).
    pub jurisdiction: Option<RegionCode>,
    /// Every role the agency holds or has held, with its dates.
    pub grants: Vec<RoleGrant>,
}

impl AgencyProfile {
    /// Whether one of the agency's grants gives it `role` on `on`.
    pub fn holds(&self, role: Role, on: NaiveDate) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.role == role && grant.covers(on))
    }

    /// Whether the agency holds any role at all on `on`.
    pub fn holds_any(&self, on: NaiveDate) -> bool {
        self.grants.iter().any(|grant| grant.covers(on))
    }

    /// Whether the agency is national (no jurisdiction limit).
    pub fn is_national(&self) -> bool {
        self.jurisdiction.is_none()
    }

    /// Whether `region` lies inside the agency's jurisdiction (always, for a national agency).
    pub fn covers(&self, region: &RegionCode) -> bool {
        self.jurisdiction.is_none_or(|own| own.covers(region))
    }

    /// The agency holds the territorial `role` on `on` and `region` lies in its jurisdiction.
    fn exercise(&self, role: Role, region: &RegionCode, on: NaiveDate) -> Result<(), Denial> {
        if !self.holds(role, on) {
            Err(Denial::RoleNotHeld { role })
        } else if !self.covers(region) {
            Err(Denial::OutsideJurisdiction)
        } else {
            Ok(())
        }
    }
}

/// The agencies a case names, and what authorization needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseParties {
    /// The region of the ASN's employing instance; decides which Bawaslu offices have
    /// jurisdiction.
    pub region: RegionCode,
    /// The Bawaslu office that registered the case. It may always read the case.
    pub reporting_office: AgencyId,
    /// The examiner the case was forwarded to; `None` until it is forwarded.
    pub examiner: Option<AgencyId>,
    /// The day the case was forwarded, which decides who the examiner is; `None` until then.
    pub forwarded_on: Option<NaiveDate>,
    /// The employing authority of the reported civil servant.
    pub ppk: AgencyId,
    /// Where the case stands: who may cancel it depends on who holds it.
    pub state: CaseState,
    /// Whether the examiner recommended a sanction: from then on the personnel registry and
    /// the regional overseer have a part in the case (recording, blocking, warning).
    pub recommended: bool,
}

impl CaseParties {
    /// Whether the case names `agency` as its reporting office, examiner or PPK.
    pub fn names(&self, agency: &AgencyId) -> bool {
        self.reporting_office == *agency
            || self.ppk == *agency
            || self.examiner.as_ref() == Some(agency)
    }
}

/// Why an agency may not do what it asked. Sent to the caller as an `ErrorInfo` reason; the
/// messages name roles and dates only, never another agency's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The action needs a role the agency does not hold on the relevant date.
    #[error("the agency does not hold the {role} role")]
    RoleNotHeld {
        /// The role the action needs.
        role: Role,
    },
    /// The agency holds the role, but the case's region lies outside its jurisdiction.
    #[error("the case's region is outside the agency's jurisdiction")]
    OutsideJurisdiction,
    /// The case does not concern the agency (e.g. the PPK of another regency).
    #[error("the agency is not a party to this case")]
    NotAParty,
    /// The agency may not see the case, or there is no such case: the two are answered alike,
    /// so that a caller learns nothing about a case it may not see, not even that it exists.
    #[error("no such case is accessible to the agency")]
    CaseNotAccessible,
    /// The agency asked for another agency's inbox: each reads only its own.
    #[error("an agency reads only its own inbox")]
    NotOwnInbox,
    /// The action is the examiner's, and the case was not forwarded to this agency.
    #[error("the agency is not the examiner this case was forwarded to")]
    NotTheExaminer,
    /// The directory names no examiner on a date a case needs one.
    #[error("no agency holds the EXAMINER role on {date}")]
    NoExaminerOnDate {
        /// The date without an examiner.
        date: NaiveDate,
    },
    /// The action is netral's own (the deadline engine's notices): no agency takes it.
    #[error("only netral itself takes this action")]
    NetralOnly,
    /// The directory names several examiners on one date: a directory error to fix, never
    /// resolved by guessing.
    #[error("more than one agency holds the EXAMINER role on {date}")]
    AmbiguousExaminer {
        /// The date with overlapping grants.
        date: NaiveDate,
    },
}

impl Denial {
    /// The reason sent to agencies in `ErrorInfo.reason` and recorded in the audit log.
    pub const fn reason(&self) -> Reason {
        match self {
            Self::RoleNotHeld { .. } => Reason::RoleNotHeld,
            Self::OutsideJurisdiction => Reason::OutsideJurisdiction,
            Self::NotAParty => Reason::NotAParty,
            Self::CaseNotAccessible => Reason::CaseNotAccessible,
            Self::NotOwnInbox => Reason::NotOwnInbox,
            Self::NotTheExaminer => Reason::NotTheExaminer,
            Self::NoExaminerOnDate { .. } => Reason::NoExaminerOnDate,
            Self::AmbiguousExaminer { .. } => Reason::AmbiguousExaminer,
            Self::NetralOnly => Reason::NetralOnly,
        }
    }
}

/// Whether `actor` may take `action` on `case` on `today`. Anything not explicitly permitted
/// is denied. For `Register`, pass the parties the new case would have.
///
/// Whether the action fits the case's state is [`crate::state::next_state`]'s question; the
/// server asks both.
pub fn authorize(
    actor: &AgencyProfile,
    action: Action,
    case: &CaseParties,
    today: NaiveDate,
) -> Result<(), Denial> {
    use Action as A;

    match action {
        A::Register | A::ExtendReview | A::Dismiss | A::Forward => {
            actor.exercise(Role::Bawaslu, &case.region, today)
        }
        // Whoever holds the case cancels it: the examiner once it was forwarded, Bawaslu
        // before (and in the states where no one may, the state machine refuses).
        A::Cancel => match case.state {
            CaseState::Forwarded | CaseState::UnderExamination => the_examiner(actor, case, today),
            _ => actor.exercise(Role::Bawaslu, &case.region, today),
        },
        A::Accept | A::ConcludeNotProven | A::RecommendSanction => the_examiner(actor, case, today),
        A::Acknowledge | A::RecordSanctionDecree => the_ppk(actor, case, today),
        // The registry's records say who left the service: the PPK, whose duty a separation
        // would end, cannot end the case alone.
        A::ReportSubjectSeparated
        | A::RecordInRegistry
        | A::BlockPersonnelData
        | A::UnblockPersonnelData => actor.exercise(Role::PersonnelRegistry, &case.region, today),
        A::SendWarningLetter => actor.exercise(Role::RegionalOversight, &case.region, today),
        A::AttachEvidence | A::AddNote => acting_party(actor, case, today),
        A::RaiseNotice => Err(Denial::NetralOnly),
        A::ImportHistory => may_import(actor, today).and_then(|()| {
            // A national migration agency covers every region; a regional one only its own.
            actor.exercise(Role::Migration, &case.region, today)
        }),
    }
}

/// Whether `actor` may bring in past cases on `today`: only an agency holding `MIGRATION`.
/// Asked once per import call before any row is read, and again per row by [`authorize`].
pub fn may_import(actor: &AgencyProfile, today: NaiveDate) -> Result<(), Denial> {
    if actor.holds(Role::Migration, today) {
        Ok(())
    } else {
        Err(Denial::RoleNotHeld {
            role: Role::Migration,
        })
    }
}

/// The one agency holding `EXAMINER` on `date`, to which a case forwarded that day goes.
/// Zero holders or several (overlapping grants) are directory errors and are reported, never
/// guessed around. The same agency listed twice counts once.
pub fn examiner_on<'a>(
    agencies: impl IntoIterator<Item = &'a AgencyProfile>,
    date: NaiveDate,
) -> Result<&'a AgencyProfile, Denial> {
    let mut found: Option<&'a AgencyProfile> = None;
    for agency in agencies
        .into_iter()
        .filter(|agency| agency.holds(Role::Examiner, date))
    {
        match found {
            None => found = Some(agency),
            Some(first) if first.id == agency.id => {}
            Some(_) => return Err(Denial::AmbiguousExaminer { date }),
        }
    }
    found.ok_or(Denial::NoExaminerOnDate { date })
}

/// `actor` is the examiner the case names, and holds `EXAMINER` today: the examiner of an open
/// case follows the dated grant, so an agency whose grant ended (KASN after 2024-08-23) no
/// longer acts on the cases it was given, and the holder of the day takes them over (see
/// [`examiner_hand_over`]).
fn the_examiner(actor: &AgencyProfile, case: &CaseParties, today: NaiveDate) -> Result<(), Denial> {
    if case.examiner.as_ref() != Some(&actor.id) || case.forwarded_on.is_none() {
        return Err(Denial::NotTheExaminer);
    }
    let role = Role::Examiner;
    if actor.holds(role, today) {
        Ok(())
    } else {
        Err(Denial::RoleNotHeld { role })
    }
}

/// Whether `actor`, taking the examiner's `action` on `case` on `today`, takes the case over
/// from the examiner it names; if so, that examiner.
///
/// The examiner of an open case follows the dated grant: when the one agency holding
/// `EXAMINER` on the step's day (`examiner_today`, from the directory; `None` when it names
/// none or several) acts as examiner on a case forwarded to another agency, that agency no
/// longer holds the role on that day (grants of one role never overlap), so the case passes to
/// the actor with this step. KASN's cases forwarded on or before 2024-08-23 pass to BKN the
/// first time BKN acts on them. Authorization then judges the step on the case as it will be
/// after the hand-over ([`authorize`] with the actor as examiner), so the old examiner is
/// refused as not the examiner from then on.
pub fn examiner_hand_over(
    actor: &AgencyProfile,
    action: Action,
    case: &CaseParties,
    examiner_today: Option<&AgencyId>,
    today: NaiveDate,
) -> Option<AgencyId> {
    let examiners_step = matches!(
        action,
        Action::Accept | Action::ConcludeNotProven | Action::RecommendSanction
    );
    let recorded = case.examiner.as_ref()?;
    let takes_over = examiners_step
        && case.forwarded_on.is_some()
        && *recorded != actor.id
        && examiner_today == Some(&actor.id)
        && actor.holds(Role::Examiner, today);
    takes_over.then(|| recorded.clone())
}

/// `actor` holds `PPK` today and is the PPK the case names.
fn the_ppk(actor: &AgencyProfile, case: &CaseParties, today: NaiveDate) -> Result<(), Denial> {
    if !actor.holds(Role::Ppk, today) {
        Err(Denial::RoleNotHeld { role: Role::Ppk })
    } else if actor.id != case.ppk {
        Err(Denial::NotAParty)
    } else {
        Ok(())
    }
}

/// `actor` may act on the case in some role: the Bawaslu with jurisdiction, the case's
/// examiner, the case's PPK, or — once a sanction was recommended, when they have a part in
/// it — a personnel-registry or regional-oversight holder.
fn acting_party(actor: &AgencyProfile, case: &CaseParties, today: NaiveDate) -> Result<(), Denial> {
    let after_recommendation = |role| {
        actor
            .exercise(role, &case.region, today)
            .and_then(|()| case.recommended.then_some(()).ok_or(Denial::NotAParty))
    };
    let checks = [
        actor.exercise(Role::Bawaslu, &case.region, today),
        the_examiner(actor, case, today),
        the_ppk(actor, case, today),
        after_recommendation(Role::PersonnelRegistry),
        after_recommendation(Role::RegionalOversight),
    ];
    any_of(checks)
}

/// Allowed if any check allows; otherwise `OutsideJurisdiction` when the actor holds a
/// fitting role in another region (the more useful answer), else `NotAParty`.
fn any_of<const N: usize>(checks: [Result<(), Denial>; N]) -> Result<(), Denial> {
    if checks.iter().any(Result::is_ok) {
        Ok(())
    } else if checks.contains(&Err(Denial::OutsideJurisdiction)) {
        Err(Denial::OutsideJurisdiction)
    } else {
        Err(Denial::NotAParty)
    }
}

#[cfg(test)]
mod tests;
