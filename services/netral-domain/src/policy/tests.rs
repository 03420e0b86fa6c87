//! The policy table, cell by cell: who may act, read and list, on which case and day.

use super::*;
use crate::state::CaseState;
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

/// A Pemilu 2024 case against a (fictional) Kotabaru civil servant, forwarded to KASN,
/// which recommended a sanction to the PPK.
fn kotabaru_case() -> CaseParties {
    CaseParties {
        region: region("63.02"),
        reporting_office: "bawaslu-kotabaru".parse().unwrap(),
        examiner: Some("kasn".parse().unwrap()),
        forwarded_on: Some(day("2024-02-20")),
        ppk: "pemkab-kotabaru".parse().unwrap(),
        state: CaseState::SanctionRecommended,
        recommended: true,
    }
}

/// The Kotabaru case as Bawaslu registered it: not yet forwarded.
fn registered() -> CaseParties {
    CaseParties {
        examiner: None,
        forwarded_on: None,
        state: CaseState::Registered,
        recommended: false,
        ..kotabaru_case()
    }
}

/// The Kotabaru case while KASN examines it.
fn under_examination() -> CaseParties {
    CaseParties {
        state: CaseState::UnderExamination,
        recommended: false,
        ..kotabaru_case()
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
        Role::Migration => agency(
            "netral-migrasi",
            None,
            &[since(Role::Migration, "2014-01-15")],
        ),
    }
}

/// The roles in the matrix's column order.
const COLUMNS: [Role; 8] = [
    Role::Bawaslu,
    Role::Examiner,
    Role::Ppk,
    Role::PersonnelRegistry,
    Role::RegionalOversight,
    Role::PolicyOwner,
    Role::Auditor,
    Role::Migration,
];

/// Who may do what on `kotabaru_case`, written out from DESIGN.md. Legend: `ok` allowed;
/// `-B` `-P` `-R` `-O` lacks the BAWASLU, PPK, PERSONNEL_REGISTRY, REGIONAL_OVERSIGHT
/// role, `-M` lacks the MIGRATION role; `NE` not the examiner; `NP` not a party; `NN` netral's
/// own action.
#[rustfmt::skip]
const MATRIX: &[(Action, [&str; 8])] = &[
    //                             BAWASLU EXAMINER PPK  REGISTRY OVERSIGHT POLICY AUDITOR MIGRATION
    (A::Register,               ["ok", "-B", "-B", "-B", "-B", "-B", "-B", "-B"]),
    (A::ExtendReview,           ["ok", "-B", "-B", "-B", "-B", "-B", "-B", "-B"]),
    (A::Dismiss,                ["ok", "-B", "-B", "-B", "-B", "-B", "-B", "-B"]),
    (A::Forward,                ["ok", "-B", "-B", "-B", "-B", "-B", "-B", "-B"]),
    (A::Accept,                 ["NE", "ok", "NE", "NE", "NE", "NE", "NE", "NE"]),
    (A::ConcludeNotProven,      ["NE", "ok", "NE", "NE", "NE", "NE", "NE", "NE"]),
    (A::RecommendSanction,      ["NE", "ok", "NE", "NE", "NE", "NE", "NE", "NE"]),
    (A::Acknowledge,            ["-P", "-P", "ok", "-P", "-P", "-P", "-P", "-P"]),
    (A::RecordSanctionDecree,   ["-P", "-P", "ok", "-P", "-P", "-P", "-P", "-P"]),
    (A::ReportSubjectSeparated, ["-R", "-R", "-R", "ok", "-R", "-R", "-R", "-R"]),
    (A::RecordInRegistry,       ["-R", "-R", "-R", "ok", "-R", "-R", "-R", "-R"]),
    (A::BlockPersonnelData,     ["-R", "-R", "-R", "ok", "-R", "-R", "-R", "-R"]),
    (A::UnblockPersonnelData,   ["-R", "-R", "-R", "ok", "-R", "-R", "-R", "-R"]),
    (A::SendWarningLetter,      ["-O", "-O", "-O", "-O", "ok", "-O", "-O", "-O"]),
    // Once a sanction is recommended the state machine refuses a cancellation; who may
    // cancel before is `whoever_holds_the_case_cancels_it`.
    (A::Cancel,                 ["ok", "-B", "-B", "-B", "-B", "-B", "-B", "-B"]),
    (A::AttachEvidence,         ["ok", "ok", "ok", "ok", "ok", "NP", "NP", "NP"]),
    (A::AddNote,                ["ok", "ok", "ok", "ok", "ok", "NP", "NP", "NP"]),
    (A::RaiseNotice,            ["NN", "NN", "NN", "NN", "NN", "NN", "NN", "NN"]),
    (A::ImportHistory,          ["-M", "-M", "-M", "-M", "-M", "-M", "-M", "ok"]),
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
        "-M" => Err(Denial::RoleNotHeld {
            role: Role::Migration,
        }),
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

/// What each role's holder may read: (registered, under examination, recommended).
#[rustfmt::skip]
const READS: [(Role, [bool; 3]); 8] = [
    (Role::Bawaslu,           [true,  true,  true]),
    (Role::Examiner,          [false, true,  true]),
    (Role::Ppk,               [true,  true,  true]),
    (Role::PersonnelRegistry, [false, true,  true]),
    (Role::RegionalOversight, [false, false, true]),
    (Role::PolicyOwner,       [false, false, false]),
    (Role::Auditor,           [true,  true,  true]),
    (Role::Migration,         [false, false, false]),
];

#[test]
fn each_role_reads_the_case_when_its_part_needs_it() {
    let stages = [registered(), under_examination(), kotabaru_case()];
    for (role, expected) in READS {
        let actor = holder_of(role);
        for (case, may) in stages.iter().zip(expected) {
            let answer = may_read_case(&actor, case, day(TODAY));
            let wanted = if may {
                Ok(())
            } else {
                Err(Denial::CaseNotAccessible)
            };
            assert_eq!(answer, wanted, "{role} reading a {:?} case", case.state);
            assert_eq!(list_scope(&actor, day(TODAY)).includes(case), may, "{role}");
        }
    }
}

#[test]
fn the_policy_owner_counts_every_case_and_reads_none() {
    let kemenpan = holder_of(Role::PolicyOwner);
    let scope = list_scope(&kemenpan, day(TODAY));
    assert!(!scope.every_case && !scope.forwarded && !scope.recommended);
    assert_eq!(
        may_read_case(&kemenpan, &kotabaru_case(), day(TODAY)),
        Err(Denial::CaseNotAccessible)
    );
    assert!(stats_scope(&kemenpan, day(TODAY)).is_everything());
    // Others count what they may read.
    let ppk = holder_of(Role::Ppk);
    assert_eq!(stats_scope(&ppk, day(TODAY)), list_scope(&ppk, day(TODAY)));
}

#[test]
fn a_ministry_acting_as_ppk_reads_only_its_own_cases() {
    let kemenag = agency("kemenag", None, &[since(Role::Ppk, "2014-01-15")]);
    let its_own = case_in("63.02", "kemenag");
    assert_eq!(may_read_case(&kemenag, &its_own, day(TODAY)), Ok(()));
    assert_eq!(
        may_read_case(&kemenag, &kotabaru_case(), day(TODAY)),
        Err(Denial::CaseNotAccessible)
    );
    let scope = list_scope(&kemenag, day(TODAY));
    assert!(!scope.is_everything() && !scope.every_case);
}

#[test]
fn whoever_holds_the_case_cancels_it() {
    let (bawaslu, kasn) = (holder_of(Role::Bawaslu), kasn());
    assert_eq!(
        authorize(&bawaslu, A::Cancel, &registered(), day(TODAY)),
        Ok(())
    );
    assert_eq!(
        authorize(&kasn, A::Cancel, &registered(), day(TODAY)),
        Err(Denial::RoleNotHeld {
            role: Role::Bawaslu
        })
    );
    for state in [CaseState::Forwarded, CaseState::UnderExamination] {
        let held = CaseParties {
            state,
            ..under_examination()
        };
        assert_eq!(authorize(&kasn, A::Cancel, &held, day(TODAY)), Ok(()));
        assert_eq!(
            authorize(&bawaslu, A::Cancel, &held, day(TODAY)),
            Err(Denial::NotTheExaminer),
            "Bawaslu cancelling a {state:?} case"
        );
    }
}

#[test]
fn whoever_may_act_on_a_case_may_read_it() {
    // A step first reads the case (its etag, the policy's question): an action the policy
    // allows on a case the actor may not read could never be taken.
    for case in [registered(), under_examination(), kotabaru_case()] {
        for role in Role::ALL {
            let actor = holder_of(role);
            for action in netral_domain_actions() {
                let possible = crate::state::next_state(case.state, action).is_ok();
                if action != A::Register
                    && possible
                    && authorize(&actor, action, &case, day(TODAY)).is_ok()
                {
                    assert_eq!(
                        may_read_case(&actor, &case, day(TODAY)),
                        Ok(()),
                        "{role} may {action:?} a case it cannot read"
                    );
                }
            }
        }
    }
}

/// Every case action.
fn netral_domain_actions() -> impl Iterator<Item = A> {
    MATRIX.iter().map(|(action, _)| *action)
}

#[test]
fn only_the_registry_reports_a_separation() {
    for case in [registered(), under_examination(), kotabaru_case()] {
        for role in Role::ALL {
            let allowed = authorize(
                &holder_of(role),
                A::ReportSubjectSeparated,
                &case,
                day(TODAY),
            );
            assert_eq!(allowed.is_ok(), role == Role::PersonnelRegistry, "{role}");
        }
    }
}

#[test]
fn the_registry_and_the_overseer_act_on_a_case_only_once_a_sanction_is_recommended() {
    for role in [Role::PersonnelRegistry, Role::RegionalOversight] {
        let actor = holder_of(role);
        assert_eq!(
            authorize(&actor, A::AddNote, &under_examination(), day(TODAY)),
            Err(Denial::NotAParty),
            "{role}"
        );
        assert_eq!(
            authorize(&actor, A::AddNote, &kotabaru_case(), day(TODAY)),
            Ok(()),
            "{role}"
        );
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
    let scope = list_scope(&kalsel, day(TODAY));
    assert_eq!(scope.jurisdiction, Some(region("63")));
    assert!(scope.every_case && !scope.is_everything());
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
        Err(Denial::CaseNotAccessible)
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
    assert!(list_scope(&ri, day(TODAY)).is_everything());
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
    for action in [A::Acknowledge, A::RecordSanctionDecree, A::AddNote] {
        assert_eq!(
            authorize(&hss, action, &case, day(TODAY)),
            Err(Denial::NotAParty),
            "{action}"
        );
    }
    assert_eq!(
        may_read_case(&hss, &case, day(TODAY)),
        Err(Denial::CaseNotAccessible)
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
    let scope = list_scope(&panwaslu, day("2025-01-01"));
    assert!(!scope.every_case && !scope.forwarded && !scope.recommended);
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
        Err(Denial::CaseNotAccessible)
    );
    let scope = list_scope(&kanreg, day(TODAY));
    assert_eq!(scope.jurisdiction, Some(region("63")));
    assert!(scope.recommended && !scope.every_case);

    let inspectorate = agency(
        "inspektorat-kalsel",
        Some("63"),
        &[since(Role::Auditor, "2014-01-15")],
    );
    assert_eq!(
        may_read_case(&inspectorate, &kotabaru_case(), day(TODAY)),
        Ok(())
    );
    let scope = list_scope(&inspectorate, day(TODAY));
    assert_eq!(scope.jurisdiction, Some(region("63")));
    assert!(scope.every_case);
    assert_eq!(
        may_read_case(&inspectorate, &jambi, day(TODAY)),
        Err(Denial::CaseNotAccessible)
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
    let scope = list_scope(&dissolved, today);
    assert!(!scope.every_case && !scope.forwarded && !scope.recommended);
    assert_eq!(may_read_case(&dissolved, &kotabaru_case(), today), Ok(()));
    let someone_elses = forwarded("bkn", "2024-09-02");
    assert_eq!(
        may_read_case(&dissolved, &someone_elses, today),
        Err(Denial::CaseNotAccessible)
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
            A::Acknowledge | A::RecordSanctionDecree => Denial::RoleNotHeld { role: Role::Ppk },
            A::ReportSubjectSeparated
            | A::RecordInRegistry
            | A::BlockPersonnelData
            | A::UnblockPersonnelData => Denial::RoleNotHeld {
                role: Role::PersonnelRegistry,
            },
            A::SendWarningLetter => Denial::RoleNotHeld {
                role: Role::RegionalOversight,
            },
            A::AttachEvidence | A::AddNote => Denial::NotAParty,
            A::RaiseNotice => Denial::NetralOnly,
            A::ImportHistory => Denial::RoleNotHeld {
                role: Role::Migration,
            },
        };
        assert_eq!(
            authorize(&stranger, action, &case, day(TODAY)),
            Err(expected),
            "{action}"
        );
    }
    assert_eq!(
        may_read_case(&stranger, &case, day(TODAY)),
        Err(Denial::CaseNotAccessible)
    );
    let scope = list_scope(&stranger, day(TODAY));
    assert!(!scope.every_case && !scope.forwarded && !scope.recommended);
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
        examiner_on(&gap, day("2024-08-26"))
            .unwrap_err()
            .reason()
            .as_str(),
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
        assert_eq!(denial.reason().as_str(), reason, "{denial}");
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
        Role::Migration => 7,
    };
    let indices: std::collections::HashSet<usize> = Role::ALL.into_iter().map(index).collect();
    assert_eq!(indices, (0..Role::ALL.len()).collect());
}
