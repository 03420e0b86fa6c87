//! Who may take which action on which case, deny by default (DESIGN.md, "Who may do what").
//!
//! An agency's authority comes from dated role grants in the directory plus, for some roles,
//! a jurisdiction. Two roles are bound to a case rather than to a territory: the examiner is
//! the agency the case was forwarded to (and must hold `EXAMINER` on the day it acts; an open
//! case passes to the holder of the day once the grant of its examiner ends, see
//! [`examiner_hand_over`]), the PPK is the employing authority named on the case. The other acting roles
//! (Bawaslu, personnel registry, regional oversight, auditing) are exercised over a territory:
//! everywhere for a national agency, inside its region for a regional one.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::ids::{AgencyId, RegionCode};
use crate::state::{Action, UnknownName};

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
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 7] = [
        Self::Bawaslu,
        Self::Examiner,
        Self::Ppk,
        Self::PersonnelRegistry,
        Self::RegionalOversight,
        Self::PolicyOwner,
        Self::Auditor,
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
        }
    }

    /// Whether the role is exercised over a territory, so that a regional holder acts (and
    /// reads) only inside its jurisdiction. The examiner and the PPK are instead bound to the
    /// cases that name them; the policy owner does not act on cases.
    const fn is_territorial(self) -> bool {
        matches!(
            self,
            Self::Bawaslu | Self::PersonnelRegistry | Self::RegionalOversight | Self::Auditor
        )
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
    /// The stable UPPER_SNAKE reason sent to agencies in `ErrorInfo.reason`.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::RoleNotHeld { .. } => "ROLE_NOT_HELD",
            Self::OutsideJurisdiction => "OUTSIDE_JURISDICTION",
            Self::NotAParty => "NOT_A_PARTY",
            Self::NotOwnInbox => "NOT_OWN_INBOX",
            Self::NotTheExaminer => "NOT_THE_EXAMINER",
            Self::NoExaminerOnDate { .. } => "NO_EXAMINER_ON_DATE",
            Self::AmbiguousExaminer { .. } => "AMBIGUOUS_EXAMINER",
            Self::NetralOnly => "NETRAL_ONLY",
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
        A::Register | A::ExtendReview | A::Dismiss | A::Forward | A::Cancel => {
            actor.exercise(Role::Bawaslu, &case.region, today)
        }
        A::Accept | A::ConcludeNotProven | A::RecommendSanction => the_examiner(actor, case, today),
        A::Acknowledge | A::RecordSanctionDecree | A::ReportSubjectSeparated => {
            the_ppk(actor, case, today)
        }
        A::RecordInRegistry | A::BlockPersonnelData | A::UnblockPersonnelData => {
            actor.exercise(Role::PersonnelRegistry, &case.region, today)
        }
        A::SendWarningLetter => actor.exercise(Role::RegionalOversight, &case.region, today),
        A::AttachEvidence | A::AddNote => acting_party(actor, case, today),
        A::RaiseNotice => Err(Denial::NetralOnly),
    }
}

/// Whether `actor` may read `case` on `today`: the agencies that may act on it, the agencies
/// it names, national agencies holding any role, and auditors (inside their jurisdiction,
/// for a regional auditor).
pub fn may_read_case(
    actor: &AgencyProfile,
    case: &CaseParties,
    today: NaiveDate,
) -> Result<(), Denial> {
    if case.names(&actor.id) || (actor.is_national() && actor.holds_any(today)) {
        return Ok(());
    }
    let checks = [
        acting_party(actor, case, today),
        actor.exercise(Role::Auditor, &case.region, today),
    ];
    any_of(checks)
}

/// Which cases `ListCases` may show an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Every case: national agencies holding a role, national auditors.
    Everything,
    /// Cases whose region lies inside `region`, and cases naming `agency` wherever they are
    /// (a reporting office whose jurisdiction moved still sees its cases): regional Bawaslu
    /// offices and other regional holders of a territorial role.
    Jurisdiction {
        /// The agency's jurisdiction.
        region: RegionCode,
        /// The agency itself.
        agency: AgencyId,
    },
    /// Only cases naming this agency as reporting office, examiner or PPK.
    PartyTo(AgencyId),
}

impl ListScope {
    /// Whether a case with these parties falls inside the scope (for filtering in memory; the
    /// store translates the scope into its query).
    pub fn includes(&self, case: &CaseParties) -> bool {
        match self {
            Self::Everything => true,
            Self::Jurisdiction { region, agency } => {
                region.covers(&case.region) || case.names(agency)
            }
            Self::PartyTo(agency) => case.names(agency),
        }
    }
}

/// What `ListCases` may show `actor` on `today`. Every case in the scope is one
/// [`may_read_case`] allows.
pub fn list_scope(actor: &AgencyProfile, today: NaiveDate) -> ListScope {
    let territorial = Role::ALL
        .into_iter()
        .any(|role| role.is_territorial() && actor.holds(role, today));
    match actor.jurisdiction {
        None if actor.holds_any(today) => ListScope::Everything,
        Some(region) if territorial => ListScope::Jurisdiction {
            region,
            agency: actor.id.clone(),
        },
        _ => ListScope::PartyTo(actor.id.clone()),
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
/// examiner, the case's PPK, or a personnel-registry or regional-oversight holder.
fn acting_party(actor: &AgencyProfile, case: &CaseParties, today: NaiveDate) -> Result<(), Denial> {
    let checks = [
        actor.exercise(Role::Bawaslu, &case.region, today),
        the_examiner(actor, case, today),
        the_ppk(actor, case, today),
        actor.exercise(Role::PersonnelRegistry, &case.region, today),
        actor.exercise(Role::RegionalOversight, &case.region, today),
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
mod tests {
    use super::*;
    use Action as A;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn region(s: &str) -> RegionCode {
        s.parse().unwrap()
    }

    fn agency(id: &str, jurisdiction: Option<&str>, grants: &[RoleGrant]) -> AgencyProfile {
        AgencyProfile {
            id: id.parse().unwrap(),
            jurisdiction: jurisdiction.map(region),
            grants: grants.to_vec(),
        }
    }

    fn since(role: Role, from: &str) -> RoleGrant {
        RoleGrant::since(role, day(from))
    }

    fn bawaslu(id: &str, jurisdiction: Option<&str>) -> AgencyProfile {
        agency(id, jurisdiction, &[since(Role::Bawaslu, "2018-01-01")])
    }

    fn kasn() -> AgencyProfile {
        let grant = RoleGrant::between(Role::Examiner, day("2014-01-15"), day("2024-08-23"));
        agency("kasn", None, &[grant])
    }

    fn bkn() -> AgencyProfile {
        agency(
            "bkn",
            None,
            &[
                since(Role::PersonnelRegistry, "2014-01-15"),
                since(Role::Examiner, "2024-08-24"),
            ],
        )
    }

    fn ppk(id: &str, jurisdiction: &str) -> AgencyProfile {
        agency(id, Some(jurisdiction), &[since(Role::Ppk, "2014-01-15")])
    }

    /// A Pemilu 2024 case against a (fictional) Kotabaru civil servant, forwarded to KASN.
    fn kotabaru_case() -> CaseParties {
        CaseParties {
            region: region("63.02"),
            reporting_office: "bawaslu-kotabaru".parse().unwrap(),
            examiner: Some("kasn".parse().unwrap()),
            forwarded_on: Some(day("2024-02-20")),
            ppk: "pemkab-kotabaru".parse().unwrap(),
        }
    }

    fn case_in(region_code: &str, ppk_id: &str) -> CaseParties {
        CaseParties {
            region: region(region_code),
            ppk: ppk_id.parse().unwrap(),
            ..kotabaru_case()
        }
    }

    fn forwarded(examiner: &str, on: &str) -> CaseParties {
        CaseParties {
            examiner: Some(examiner.parse().unwrap()),
            forwarded_on: Some(day(on)),
            ..kotabaru_case()
        }
    }

    /// The day the matrix is evaluated: Pemilu 2024, before the KASN → BKN cut-over.
    const TODAY: &str = "2024-03-01";

    /// One agency per role, each the right one for `kotabaru_case` where that matters.
    fn holder_of(role: Role) -> AgencyProfile {
        match role {
            Role::Bawaslu => bawaslu("bawaslu-kotabaru", Some("63.02")),
            Role::Examiner => kasn(),
            Role::Ppk => ppk("pemkab-kotabaru", "63.02"),
            Role::PersonnelRegistry => bkn(),
            Role::RegionalOversight => agency(
                "kemendagri",
                None,
                &[since(Role::RegionalOversight, "2014-01-15")],
            ),
            Role::PolicyOwner => agency(
                "kemenpan-rb",
                None,
                &[since(Role::PolicyOwner, "2014-01-15")],
            ),
            Role::Auditor => agency("ombudsman", None, &[since(Role::Auditor, "2014-01-15")]),
        }
    }

    /// The roles in the matrix's column order.
    const COLUMNS: [Role; 7] = [
        Role::Bawaslu,
        Role::Examiner,
        Role::Ppk,
        Role::PersonnelRegistry,
        Role::RegionalOversight,
        Role::PolicyOwner,
        Role::Auditor,
    ];

    /// Who may do what on `kotabaru_case`, written out from DESIGN.md. Legend: `ok` allowed;
    /// `-B` `-P` `-R` `-O` lacks the BAWASLU, PPK, PERSONNEL_REGISTRY, REGIONAL_OVERSIGHT
    /// role; `NE` not the examiner; `NP` not a party; `NN` netral's own action.
    #[rustfmt::skip]
    const MATRIX: &[(Action, [&str; 7])] = &[
        //                             BAWASLU EXAMINER PPK  REGISTRY OVERSIGHT POLICY AUDITOR
        (A::Register,               ["ok", "-B", "-B", "-B", "-B", "-B", "-B"]),
        (A::ExtendReview,           ["ok", "-B", "-B", "-B", "-B", "-B", "-B"]),
        (A::Dismiss,                ["ok", "-B", "-B", "-B", "-B", "-B", "-B"]),
        (A::Forward,                ["ok", "-B", "-B", "-B", "-B", "-B", "-B"]),
        (A::Accept,                 ["NE", "ok", "NE", "NE", "NE", "NE", "NE"]),
        (A::ConcludeNotProven,      ["NE", "ok", "NE", "NE", "NE", "NE", "NE"]),
        (A::RecommendSanction,      ["NE", "ok", "NE", "NE", "NE", "NE", "NE"]),
        (A::Acknowledge,            ["-P", "-P", "ok", "-P", "-P", "-P", "-P"]),
        (A::RecordSanctionDecree,   ["-P", "-P", "ok", "-P", "-P", "-P", "-P"]),
        (A::ReportSubjectSeparated, ["-P", "-P", "ok", "-P", "-P", "-P", "-P"]),
        (A::RecordInRegistry,       ["-R", "-R", "-R", "ok", "-R", "-R", "-R"]),
        (A::BlockPersonnelData,     ["-R", "-R", "-R", "ok", "-R", "-R", "-R"]),
        (A::UnblockPersonnelData,   ["-R", "-R", "-R", "ok", "-R", "-R", "-R"]),
        (A::SendWarningLetter,      ["-O", "-O", "-O", "-O", "ok", "-O", "-O"]),
        (A::Cancel,                 ["ok", "-B", "-B", "-B", "-B", "-B", "-B"]),
        (A::AttachEvidence,         ["ok", "ok", "ok", "ok", "ok", "NP", "NP"]),
        (A::AddNote,                ["ok", "ok", "ok", "ok", "ok", "NP", "NP"]),
        (A::RaiseNotice,            ["NN", "NN", "NN", "NN", "NN", "NN", "NN"]),
    ];

    fn decode(cell: &str) -> Result<(), Denial> {
        match cell {
            "ok" => Ok(()),
            "-B" => Err(Denial::RoleNotHeld {
                role: Role::Bawaslu,
            }),
            "-P" => Err(Denial::RoleNotHeld { role: Role::Ppk }),
            "-R" => Err(Denial::RoleNotHeld {
                role: Role::PersonnelRegistry,
            }),
            "-O" => Err(Denial::RoleNotHeld {
                role: Role::RegionalOversight,
            }),
            "NE" => Err(Denial::NotTheExaminer),
            "NP" => Err(Denial::NotAParty),
            "NN" => Err(Denial::NetralOnly),
            other => panic!("unknown matrix cell {other:?}"),
        }
    }

    #[test]
    fn every_role_and_action_cell_matches_the_matrix() {
        assert_eq!(COLUMNS, Role::ALL, "matrix columns must follow Role::ALL");
        let case = kotabaru_case();
        let mut checked = 0;
        for (column, role) in Role::ALL.into_iter().enumerate() {
            let actor = holder_of(role);
            for action in Action::ALL {
                let rows: Vec<_> = MATRIX.iter().filter(|(a, _)| *a == action).collect();
                assert_eq!(rows.len(), 1, "{action} must have exactly one matrix row");
                let expected = decode(rows[0].1[column]);
                assert_eq!(
                    authorize(&actor, action, &case, day(TODAY)),
                    expected,
                    "{role} × {action}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, MATRIX.len() * Role::ALL.len());
    }

    #[test]
    fn every_role_may_read_the_case_and_lists_what_it_may_read() {
        let case = kotabaru_case();
        for role in Role::ALL {
            let actor = holder_of(role);
            assert_eq!(may_read_case(&actor, &case, day(TODAY)), Ok(()), "{role}");
            let expected = match role {
                Role::Bawaslu => ListScope::Jurisdiction {
                    region: region("63.02"),
                    agency: actor.id.clone(),
                },
                Role::Ppk => ListScope::PartyTo("pemkab-kotabaru".parse().unwrap()),
                _ => ListScope::Everything,
            };
            assert_eq!(list_scope(&actor, day(TODAY)), expected, "{role}");
        }
    }

    #[test]
    fn province_bawaslu_kalsel_acts_on_a_kotabaru_case() {
        let kalsel = bawaslu("bawaslu-kalsel", Some("63"));
        for action in [
            A::Register,
            A::ExtendReview,
            A::Dismiss,
            A::Forward,
            A::Cancel,
            A::AddNote,
        ] {
            assert_eq!(
                authorize(&kalsel, action, &kotabaru_case(), day(TODAY)),
                Ok(()),
                "{action}"
            );
        }
        assert_eq!(may_read_case(&kalsel, &kotabaru_case(), day(TODAY)), Ok(()));
        assert_eq!(
            list_scope(&kalsel, day(TODAY)),
            ListScope::Jurisdiction {
                region: region("63"),
                agency: kalsel.id.clone()
            }
        );
    }

    #[test]
    fn bawaslu_kotabaru_may_not_touch_a_hulu_sungai_selatan_case() {
        let kotabaru = bawaslu("bawaslu-kotabaru", Some("63.02"));
        let hss = CaseParties {
            reporting_office: "bawaslu-hulu-sungai-selatan".parse().unwrap(),
            ..case_in("63.06", "pemkab-hulu-sungai-selatan")
        };
        for action in [
            A::Register,
            A::Forward,
            A::Dismiss,
            A::Cancel,
            A::AttachEvidence,
        ] {
            assert_eq!(
                authorize(&kotabaru, action, &hss, day(TODAY)),
                Err(Denial::OutsideJurisdiction),
                "{action}"
            );
        }
        assert_eq!(
            may_read_case(&kotabaru, &hss, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
        assert!(!list_scope(&kotabaru, day(TODAY)).includes(&hss));
    }

    #[test]
    fn a_regency_bawaslu_does_not_cover_its_province() {
        let kotabaru = bawaslu("bawaslu-kotabaru", Some("63.02"));
        let governor_case = case_in("63", "pemprov-kalsel");
        assert_eq!(
            authorize(&kotabaru, A::Register, &governor_case, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
        let kalsel = bawaslu("bawaslu-kalsel", Some("63"));
        assert_eq!(
            authorize(&kalsel, A::Register, &governor_case, day(TODAY)),
            Ok(())
        );
    }

    #[test]
    fn bawaslu_kalsel_may_not_act_in_jambi() {
        let kalsel = bawaslu("bawaslu-kalsel", Some("63"));
        let batang_hari = case_in("15.04", "pemkab-batang-hari");
        assert_eq!(
            authorize(&kalsel, A::Forward, &batang_hari, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
    }

    #[test]
    fn bawaslu_ri_acts_everywhere() {
        let ri = bawaslu("bawaslu-ri", None);
        for code in ["63.02", "63.06", "63.71", "63", "15.04", "16.09"] {
            let case = case_in(code, "pemkab-x");
            for action in [
                A::Register,
                A::ExtendReview,
                A::Dismiss,
                A::Forward,
                A::Cancel,
            ] {
                assert_eq!(
                    authorize(&ri, action, &case, day(TODAY)),
                    Ok(()),
                    "{code} {action}"
                );
            }
            assert_eq!(may_read_case(&ri, &case, day(TODAY)), Ok(()), "{code}");
        }
        assert_eq!(list_scope(&ri, day(TODAY)), ListScope::Everything);
    }

    #[test]
    fn register_is_judged_on_the_prospective_case() {
        let kotabaru = bawaslu("bawaslu-kotabaru", Some("63.02"));
        let prospective = CaseParties {
            examiner: None,
            forwarded_on: None,
            ..kotabaru_case()
        };
        assert_eq!(
            authorize(&kotabaru, A::Register, &prospective, day(TODAY)),
            Ok(())
        );
        let elsewhere = CaseParties {
            region: region("16.09"),
            ..prospective
        };
        assert_eq!(
            authorize(&kotabaru, A::Register, &elsewhere, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
    }

    #[test]
    fn ppk_of_another_regency_is_not_a_party() {
        let hss = ppk("pemkab-hulu-sungai-selatan", "63.06");
        let case = kotabaru_case();
        for action in [
            A::Acknowledge,
            A::RecordSanctionDecree,
            A::ReportSubjectSeparated,
            A::AddNote,
        ] {
            assert_eq!(
                authorize(&hss, action, &case, day(TODAY)),
                Err(Denial::NotAParty),
                "{action}"
            );
        }
        assert_eq!(
            may_read_case(&hss, &case, day(TODAY)),
            Err(Denial::NotAParty)
        );
        assert!(!list_scope(&hss, day(TODAY)).includes(&case));
    }

    #[test]
    fn a_lapsed_grant_no_longer_authorizes() {
        let ended = RoleGrant::between(Role::Bawaslu, day("2018-01-01"), day("2024-02-29"));
        let panwaslu = agency("bawaslu-kotabaru", Some("63.02"), &[ended]);
        let case = kotabaru_case();
        assert_eq!(
            authorize(&panwaslu, A::Forward, &case, day("2024-02-29")),
            Ok(())
        );
        assert_eq!(
            authorize(&panwaslu, A::Forward, &case, day("2024-03-01")),
            Err(Denial::RoleNotHeld {
                role: Role::Bawaslu
            })
        );
        assert_eq!(
            authorize(&panwaslu, A::AddNote, &case, day("2024-03-01")),
            Err(Denial::NotAParty)
        );
    }

    #[test]
    fn the_registering_office_still_reads_its_case_after_its_mandate_ends() {
        let ended = RoleGrant::between(Role::Bawaslu, day("2018-01-01"), day("2024-02-29"));
        let panwaslu = agency("bawaslu-kotabaru", Some("63.02"), &[ended]);
        assert_eq!(
            may_read_case(&panwaslu, &kotabaru_case(), day("2025-01-01")),
            Ok(())
        );
        assert_eq!(
            list_scope(&panwaslu, day("2025-01-01")),
            ListScope::PartyTo("bawaslu-kotabaru".parse().unwrap())
        );
    }

    #[test]
    fn a_regional_holder_of_a_territorial_role_stays_in_its_region() {
        let kanreg = agency(
            "kanreg-bkn-banjarmasin",
            Some("63"),
            &[since(Role::PersonnelRegistry, "2014-01-15")],
        );
        assert_eq!(
            authorize(&kanreg, A::BlockPersonnelData, &kotabaru_case(), day(TODAY)),
            Ok(())
        );
        let jambi = case_in("15.04", "pemkab-batang-hari");
        assert_eq!(
            authorize(&kanreg, A::BlockPersonnelData, &jambi, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
        assert_eq!(
            may_read_case(&kanreg, &jambi, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
        assert_eq!(
            list_scope(&kanreg, day(TODAY)),
            ListScope::Jurisdiction {
                region: region("63"),
                agency: kanreg.id.clone()
            }
        );

        let inspectorate = agency(
            "inspektorat-kalsel",
            Some("63"),
            &[since(Role::Auditor, "2014-01-15")],
        );
        assert_eq!(
            may_read_case(&inspectorate, &kotabaru_case(), day(TODAY)),
            Ok(())
        );
        assert_eq!(
            list_scope(&inspectorate, day(TODAY)),
            ListScope::Jurisdiction {
                region: region("63"),
                agency: inspectorate.id.clone()
            }
        );
        assert_eq!(
            may_read_case(&inspectorate, &jambi, day(TODAY)),
            Err(Denial::OutsideJurisdiction)
        );
        assert_eq!(
            authorize(&inspectorate, A::AddNote, &kotabaru_case(), day(TODAY)),
            Err(Denial::NotAParty)
        );
    }

    #[test]
    fn a_national_agency_without_any_current_role_sees_only_its_own_cases() {
        let dissolved = kasn();
        let today = day("2025-03-01");
        assert_eq!(
            list_scope(&dissolved, today),
            ListScope::PartyTo("kasn".parse().unwrap())
        );
        assert_eq!(may_read_case(&dissolved, &kotabaru_case(), today), Ok(()));
        let someone_elses = forwarded("bkn", "2024-09-02");
        assert_eq!(
            may_read_case(&dissolved, &someone_elses, today),
            Err(Denial::NotAParty)
        );
    }

    #[test]
    fn an_agency_with_no_grants_is_denied_everything() {
        let stranger = agency("stranger", None, &[]);
        let case = kotabaru_case();
        for action in Action::ALL {
            use Action as A;
            let expected = match action {
                A::Register | A::ExtendReview | A::Dismiss | A::Forward | A::Cancel => {
                    Denial::RoleNotHeld {
                        role: Role::Bawaslu,
                    }
                }
                A::Accept | A::ConcludeNotProven | A::RecommendSanction => Denial::NotTheExaminer,
                A::Acknowledge | A::RecordSanctionDecree | A::ReportSubjectSeparated => {
                    Denial::RoleNotHeld { role: Role::Ppk }
                }
                A::RecordInRegistry | A::BlockPersonnelData | A::UnblockPersonnelData => {
                    Denial::RoleNotHeld {
                        role: Role::PersonnelRegistry,
                    }
                }
                A::SendWarningLetter => Denial::RoleNotHeld {
                    role: Role::RegionalOversight,
                },
                A::AttachEvidence | A::AddNote => Denial::NotAParty,
                A::RaiseNotice => Denial::NetralOnly,
            };
            assert_eq!(
                authorize(&stranger, action, &case, day(TODAY)),
                Err(expected),
                "{action}"
            );
        }
        assert_eq!(
            may_read_case(&stranger, &case, day(TODAY)),
            Err(Denial::NotAParty)
        );
        assert_eq!(
            list_scope(&stranger, day(TODAY)),
            ListScope::PartyTo("stranger".parse().unwrap())
        );
    }

    #[test]
    fn listing_shows_exactly_the_cases_the_agency_may_read() {
        let mut agencies: Vec<AgencyProfile> = Role::ALL.into_iter().map(holder_of).collect();
        agencies.extend([
            bawaslu("bawaslu-kalsel", Some("63")),
            bawaslu("bawaslu-hulu-sungai-selatan", Some("63.06")),
            ppk("pemkab-hulu-sungai-selatan", "63.06"),
            agency(
                "inspektorat-kalsel",
                Some("63"),
                &[since(Role::Auditor, "2014-01-15")],
            ),
            agency("stranger", None, &[]),
        ]);
        let cases = [
            kotabaru_case(),
            case_in("63.06", "pemkab-hulu-sungai-selatan"),
            case_in("15.04", "pemkab-batang-hari"),
            forwarded("bkn", "2024-09-02"),
        ];
        for today in [day(TODAY), day("2025-03-01")] {
            for actor in &agencies {
                let scope = list_scope(actor, today);
                for case in &cases {
                    assert_eq!(
                        scope.includes(case),
                        may_read_case(actor, case, today).is_ok(),
                        "{} listed ≠ readable: {:?}",
                        actor.id,
                        case
                    );
                }
            }
        }
    }

    #[test]
    fn an_unforwarded_case_has_no_examiner() {
        let prospective = CaseParties {
            examiner: None,
            forwarded_on: None,
            ..kotabaru_case()
        };
        assert_eq!(
            authorize(&kasn(), A::Accept, &prospective, day(TODAY)),
            Err(Denial::NotTheExaminer)
        );
    }

    fn directory() -> Vec<AgencyProfile> {
        vec![
            bawaslu("bawaslu-ri", None),
            kasn(),
            bkn(),
            holder_of(Role::RegionalOversight),
        ]
    }

    #[test]
    fn on_the_last_day_of_kasn_the_examiner_is_kasn() {
        let agencies = directory();
        assert_eq!(
            examiner_on(&agencies, day("2024-08-23"))
                .unwrap()
                .id
                .as_str(),
            "kasn"
        );
    }

    #[test]
    fn on_the_first_day_of_bkn_the_examiner_is_bkn() {
        let agencies = directory();
        assert_eq!(
            examiner_on(&agencies, day("2024-08-24"))
                .unwrap()
                .id
                .as_str(),
            "bkn"
        );
    }

    #[test]
    fn kasn_no_longer_examines_after_its_last_day_even_the_cases_it_was_given() {
        let case = forwarded("kasn", "2024-08-23");
        for action in [A::Accept, A::ConcludeNotProven, A::RecommendSanction] {
            assert_eq!(
                authorize(&kasn(), action, &case, day("2024-08-23")),
                Ok(()),
                "{action} on its last day"
            );
            assert_eq!(
                authorize(&kasn(), action, &case, day("2024-08-26")),
                Err(Denial::RoleNotHeld {
                    role: Role::Examiner
                }),
                "{action} after its last day"
            );
        }
    }

    #[test]
    fn bkn_takes_over_a_case_kasn_left_unfinished() {
        let case = forwarded("kasn", "2024-08-23");
        let (today, bkn) = (day("2024-08-26"), bkn());
        for action in [A::Accept, A::ConcludeNotProven, A::RecommendSanction] {
            let from = examiner_hand_over(&bkn, action, &case, Some(&bkn.id), today);
            assert_eq!(
                from.as_ref().map(AgencyId::as_str),
                Some("kasn"),
                "{action}"
            );
            // Judged on the case as it is after the hand-over, BKN is its examiner...
            let handed = forwarded("bkn", "2024-08-23");
            assert_eq!(authorize(&bkn, action, &handed, today), Ok(()), "{action}");
            // ...and KASN is not.
            assert_eq!(
                authorize(&kasn(), action, &handed, today),
                Err(Denial::NotTheExaminer)
            );
        }
        // Only the examiner's own steps hand a case over.
        for action in [A::AddNote, A::AttachEvidence, A::BlockPersonnelData] {
            assert_eq!(
                examiner_hand_over(&bkn, action, &case, Some(&bkn.id), today),
                None
            );
        }
    }

    #[test]
    fn no_hand_over_while_the_recorded_examiner_still_holds_the_role() {
        let case = forwarded("kasn", "2024-08-20");
        let bkn = bkn();
        // On KASN's last day BKN is not the examiner of the day: nothing to take over.
        let kasn = kasn();
        assert_eq!(
            examiner_hand_over(&bkn, A::Accept, &case, Some(&kasn.id), day("2024-08-23")),
            None
        );
        // A directory naming no examiner (or several) for the day hands nothing over.
        assert_eq!(
            examiner_hand_over(&bkn, A::Accept, &case, None, day("2024-08-26")),
            None
        );
        // An agency without the EXAMINER grant takes nothing over, whatever it is told.
        let ppk = ppk("pemkab-kotabaru", "63.02");
        assert_eq!(
            examiner_hand_over(&ppk, A::Accept, &case, Some(&ppk.id), day("2024-08-26")),
            None
        );
        // The case's own examiner has nothing to take over, and an unforwarded case
        // has no examiner to take over from.
        let own = forwarded("bkn", "2024-08-24");
        let fresh = CaseParties {
            examiner: None,
            forwarded_on: None,
            ..kotabaru_case()
        };
        for case in [own, fresh] {
            assert_eq!(
                examiner_hand_over(&bkn, A::Accept, &case, Some(&bkn.id), day("2024-08-26")),
                None
            );
        }
    }

    #[test]
    fn bkn_examines_a_case_forwarded_on_its_first_day_and_kasn_may_not() {
        let case = forwarded("bkn", "2024-08-24");
        for today in [day("2024-08-24"), day("2025-02-10")] {
            for action in [A::Accept, A::ConcludeNotProven, A::RecommendSanction] {
                assert_eq!(authorize(&bkn(), action, &case, today), Ok(()), "{action}");
                assert_eq!(
                    authorize(&kasn(), action, &case, today),
                    Err(Denial::NotTheExaminer)
                );
            }
        }
    }

    #[test]
    fn a_case_misrouted_to_kasn_after_the_cut_over_is_refused() {
        let case = forwarded("kasn", "2024-08-24");
        assert_eq!(
            authorize(&kasn(), A::Accept, &case, day("2024-08-24")),
            Err(Denial::RoleNotHeld {
                role: Role::Examiner
            })
        );
        let early = forwarded("bkn", "2024-08-23");
        assert_eq!(
            authorize(&bkn(), A::Accept, &early, day("2024-08-23")),
            Err(Denial::RoleNotHeld {
                role: Role::Examiner
            })
        );
    }

    #[test]
    fn overlapping_examiner_grants_are_ambiguous() {
        let overlapping = agency("kasn", None, &[since(Role::Examiner, "2014-01-15")]);
        let agencies = [overlapping, bkn()];
        assert_eq!(
            examiner_on(&agencies, day("2024-08-23"))
                .unwrap()
                .id
                .as_str(),
            "kasn"
        );
        assert_eq!(
            examiner_on(&agencies, day("2024-08-24")).unwrap_err(),
            Denial::AmbiguousExaminer {
                date: day("2024-08-24")
            }
        );
    }

    #[test]
    fn the_same_examiner_listed_twice_is_not_ambiguous() {
        let agencies = [bkn(), bkn()];
        assert_eq!(
            examiner_on(&agencies, day("2025-01-01"))
                .unwrap()
                .id
                .as_str(),
            "bkn"
        );
    }

    #[test]
    fn no_examiner_before_kasn_existed_or_in_an_empty_directory() {
        let agencies = directory();
        assert_eq!(
            examiner_on(&agencies, day("2013-12-31")).unwrap_err(),
            Denial::NoExaminerOnDate {
                date: day("2013-12-31")
            }
        );
        let gap = [
            kasn(),
            agency("bkn", None, &[since(Role::Examiner, "2024-09-01")]),
        ];
        assert_eq!(
            examiner_on(&gap, day("2024-08-26")).unwrap_err().reason(),
            "NO_EXAMINER_ON_DATE"
        );
        assert_eq!(
            examiner_on([], day("2025-01-01")).unwrap_err(),
            Denial::NoExaminerOnDate {
                date: day("2025-01-01")
            }
        );
    }

    #[test]
    fn grants_include_both_end_days() {
        let grant = RoleGrant::between(Role::Examiner, day("2014-01-15"), day("2024-08-23"));
        assert!(!grant.covers(day("2014-01-14")));
        assert!(grant.covers(day("2014-01-15")));
        assert!(grant.covers(day("2024-08-23")));
        assert!(!grant.covers(day("2024-08-24")));
        let open = RoleGrant::since(Role::Examiner, day("2024-08-24"));
        assert!(!open.covers(day("2024-08-23")));
        assert!(open.covers(day("2099-12-31")));
    }

    #[test]
    fn denials_carry_the_reason_sent_to_agencies() {
        let date = day("2024-08-24");
        let reasons = [
            (Denial::RoleNotHeld { role: Role::Ppk }, "ROLE_NOT_HELD"),
            (Denial::OutsideJurisdiction, "OUTSIDE_JURISDICTION"),
            (Denial::NotAParty, "NOT_A_PARTY"),
            (Denial::NotTheExaminer, "NOT_THE_EXAMINER"),
            (Denial::NoExaminerOnDate { date }, "NO_EXAMINER_ON_DATE"),
            (Denial::AmbiguousExaminer { date }, "AMBIGUOUS_EXAMINER"),
        ];
        for (denial, reason) in reasons {
            assert_eq!(denial.reason(), reason, "{denial}");
        }
        assert_eq!(
            Denial::RoleNotHeld {
                role: Role::PersonnelRegistry
            }
            .to_string(),
            "the agency does not hold the PERSONNEL_REGISTRY role"
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(Role::PersonnelRegistry.as_str(), "PERSONNEL_REGISTRY");
        assert_eq!("ppk".parse::<Role>(), Err(UnknownName::new("role", "ppk")));
    }

    #[test]
    fn all_lists_every_role_once() {
        let index = |role: Role| match role {
            Role::Bawaslu => 0,
            Role::Examiner => 1,
            Role::Ppk => 2,
            Role::PersonnelRegistry => 3,
            Role::RegionalOversight => 4,
            Role::PolicyOwner => 5,
            Role::Auditor => 6,
        };
        let indices: std::collections::HashSet<usize> = Role::ALL.into_iter().map(index).collect();
        assert_eq!(indices, (0..Role::ALL.len()).collect());
    }
}
