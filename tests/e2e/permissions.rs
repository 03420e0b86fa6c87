//! Who may do what (DESIGN.md): deny by default. Each agency of a representative set tries
//! each step on a case standing where that step is otherwise allowed; only the agencies the
//! design names succeed, the others get PERMISSION_DENIED and the case does not change.

use netral_proto::v1::CaseState;
use netral_store::TableCounts;
use netral_tests::fixtures::{self, Step, walk_to};
use netral_tests::{assert_refused, spawn_app};
use tonic::Code;

/// Bawaslu with and without jurisdiction over Kotabaru, both examiners, the PPK of the case
/// and of another regency, Kemendagri and an auditor.
const AGENCIES: [&str; 8] = [
    "bawaslu-kotabaru",
    "bawaslu-hulu-sungai-selatan",
    "kasn",
    "bkn",
    "pemkab-kotabaru",
    "pemkab-hulu-sungai-selatan",
    "kemendagri",
    "bpk",
];

/// A step, where a (KASN-examined, Kotabaru) case must stand for it to be allowed, the
/// steps that prepare it, and the agencies of [`AGENCIES`] that may take it.
struct Rule {
    step: Step,
    state: CaseState,
    setup: &'static [Step],
    allowed: &'static [&'static str],
}

/// The parties who may leave evidence or a note on a forwarded case: the reporting Bawaslu,
/// the examiner it was forwarded to and the case's PPK. The personnel registry and the
/// regional overseer join once a sanction is recommended (before, they may not even read
/// the case). DESIGN.md is silent on these two steps; this is the reading the contract's
/// "a party" and the domain share.
const PARTIES: &[&str] = &["bawaslu-kotabaru", "kasn", "pemkab-kotabaru"];

const RULES: [Rule; 16] = [
    Rule {
        step: Step::ExtendReview,
        state: CaseState::Registered,
        setup: &[],
        allowed: &["bawaslu-kotabaru"],
    },
    Rule {
        step: Step::Dismiss,
        state: CaseState::Registered,
        setup: &[],
        allowed: &["bawaslu-kotabaru"],
    },
    Rule {
        step: Step::Forward,
        state: CaseState::Registered,
        setup: &[],
        allowed: &["bawaslu-kotabaru"],
    },
    Rule {
        step: Step::Cancel,
        state: CaseState::Registered,
        setup: &[],
        allowed: &["bawaslu-kotabaru"],
    },
    Rule {
        step: Step::Accept,
        state: CaseState::Forwarded,
        setup: &[],
        allowed: &["kasn"],
    },
    Rule {
        step: Step::ConcludeNotProven,
        state: CaseState::UnderExamination,
        setup: &[],
        allowed: &["kasn"],
    },
    Rule {
        step: Step::RecommendSanction,
        state: CaseState::UnderExamination,
        setup: &[],
        allowed: &["kasn"],
    },
    Rule {
        step: Step::Acknowledge,
        state: CaseState::SanctionRecommended,
        setup: &[],
        allowed: &["pemkab-kotabaru"],
    },
    Rule {
        step: Step::RecordSanctionDecree,
        state: CaseState::SanctionRecommended,
        setup: &[],
        allowed: &["pemkab-kotabaru"],
    },
    Rule {
        step: Step::ReportSubjectSeparated,
        state: CaseState::SanctionRecommended,
        setup: &[],
        allowed: &["bkn"],
    },
    Rule {
        step: Step::RecordInRegistry,
        state: CaseState::Sanctioned,
        setup: &[],
        allowed: &["bkn"],
    },
    Rule {
        step: Step::BlockPersonnelData,
        state: CaseState::SanctionRecommended,
        setup: &[],
        allowed: &["bkn"],
    },
    Rule {
        step: Step::UnblockPersonnelData,
        state: CaseState::SanctionRecommended,
        setup: &[Step::BlockPersonnelData],
        allowed: &["bkn"],
    },
    Rule {
        step: Step::SendWarningLetter,
        state: CaseState::SanctionRecommended,
        setup: &[],
        allowed: &["kemendagri"],
    },
    Rule {
        step: Step::AttachEvidence,
        state: CaseState::Forwarded,
        setup: &[],
        allowed: PARTIES,
    },
    Rule {
        step: Step::AddNote,
        state: CaseState::Forwarded,
        setup: &[],
        allowed: PARTIES,
    },
];

/// Why `agency` may not take `step` on the Kotabaru case (examined by KASN, PPK the regent
/// of Kotabaru) standing at `state`, read from DESIGN.md's table rather than from the code: a
/// case it may not see at all (need to know: told as for a case that does not exist), a role
/// the agency does not hold, a case that is not its own, or an examiner's step by anyone but
/// the examiner the case was forwarded to.
fn expected_reason(step: Step, agency: &str, state: CaseState) -> &'static str {
    let recommended = matches!(
        state,
        CaseState::SanctionRecommended | CaseState::Sanctioned
    );
    let reads = match agency {
        "bawaslu-kotabaru" | "pemkab-kotabaru" | "bpk" => true,
        // The examiner of the day and the registry see what was forwarded.
        "kasn" | "bkn" => state != CaseState::Registered,
        // The overseer, once a sanction was recommended.
        "kemendagri" => recommended,
        _ => false,
    };
    if !reads {
        return "CASE_NOT_ACCESSIBLE";
    }
    let examiners_hands = matches!(state, CaseState::Forwarded | CaseState::UnderExamination);
    match step {
        Step::Cancel if examiners_hands => "NOT_THE_EXAMINER",
        Step::ExtendReview | Step::Dismiss | Step::Forward | Step::Cancel => "ROLE_NOT_HELD",
        Step::Accept | Step::ConcludeNotProven | Step::RecommendSanction => "NOT_THE_EXAMINER",
        Step::Acknowledge
        | Step::RecordSanctionDecree
        | Step::ReportSubjectSeparated
        | Step::RecordInRegistry
        | Step::BlockPersonnelData
        | Step::UnblockPersonnelData
        | Step::SendWarningLetter => "ROLE_NOT_HELD",
        Step::AttachEvidence | Step::AddNote => "NOT_A_PARTY",
    }
}

#[test]
fn the_permission_table_covers_every_step_once() {
    let mut covered: Vec<String> = RULES.iter().map(|r| format!("{:?}", r.step)).collect();
    let mut every: Vec<String> = Step::ALL.iter().map(|s| format!("{s:?}")).collect();
    covered.sort();
    every.sort();
    assert_eq!(covered, every, "RULES must name every step exactly once");
}

#[tokio::test]
async fn each_agency_may_take_only_the_steps_the_design_gives_it() {
    let app = spawn_app().await;
    let mut wrong = Vec::new();
    for rule in &RULES {
        let step = rule.step;
        app.clock.set(netral_tests::default_now());
        let mut case = walk_to(&app, rule.state).await;
        if rule.state == CaseState::SanctionRecommended {
            // Blocks and warnings answer a PPK past its deadline.
            app.clock.set(fixtures::past_the_ppk_deadline());
        }
        for setup in rule.setup {
            case = app
                .act(&setup.actor_for(&case), *setup, &case)
                .await
                .unwrap();
        }
        let mut events = app.history(&case).await.len();
        for agency in AGENCIES.into_iter().filter(|a| !rule.allowed.contains(a)) {
            let expected = expected_reason(step, agency, rule.state);
            match app.act(agency, step, &case).await {
                Err(status)
                    if status.code() == Code::PermissionDenied
                        && netral_tests::reason(&status) == expected => {}
                Err(status) => wrong.push(format!(
                    "{step:?} by {agency}: expected PERMISSION_DENIED {expected}, got {:?} {} ({})",
                    status.code(),
                    netral_tests::reason(&status),
                    status.message()
                )),
                Ok(_) => wrong.push(format!(
                    "{step:?} by {agency}: expected PERMISSION_DENIED, it succeeded"
                )),
            }
            let (now, history) = (app.read(&case.name).await, app.history(&case).await);
            if now.etag != case.etag || history.len() != events {
                wrong.push(format!("{step:?} by {agency}: the case changed"));
                (case, events) = (now, history.len());
            }
        }
        for agency in rule.allowed {
            match app.act(agency, step, &case).await {
                Ok(next) => case = next,
                Err(status) => wrong.push(format!(
                    "{step:?} by {agency}: expected success, got {:?} {} ({})",
                    status.code(),
                    netral_tests::reason(&status),
                    status.message()
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the permission matrix is not the design's:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn only_bawaslu_with_jurisdiction_registers_a_case() {
    let app = spawn_app().await;
    let empty = app.row_counts().await;
    let mut wrong = Vec::new();
    let others: Vec<_> = AGENCIES
        .into_iter()
        .filter(|a| *a != "bawaslu-kotabaru")
        .collect();
    for agency in others.iter().copied() {
        match app
            .register(agency, fixtures::kotabaru_social_media_like())
            .await
        {
            // Registering is Bawaslu's, in its jurisdiction, like forwarding.
            Err(status)
                if status.code() == Code::PermissionDenied
                    && netral_tests::reason(&status)
                        == if agency.starts_with("bawaslu-") {
                            "OUTSIDE_JURISDICTION"
                        } else {
                            "ROLE_NOT_HELD"
                        } => {}
            other => wrong.push(format!("RegisterCase by {agency}: {other:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "registrations not refused:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        app.row_counts().await,
        TableCounts {
            audit_events: empty.audit_events + others.len() as u64,
            ..empty
        },
        "a refused registration wrote rows other than its audit event"
    );
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
}

#[tokio::test]
async fn bawaslu_cannot_recommend_sanctions() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::UnderExamination).await;
    let events = app.history(&case).await.len();
    let refused = app
        .act("bawaslu-kotabaru", Step::RecommendSanction, &case)
        .await;
    assert_refused(refused, Code::PermissionDenied, "NOT_THE_EXAMINER");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
    assert_eq!(app.history(&case).await.len(), events);
}

#[tokio::test]
async fn ppk_cannot_sanction_another_regions_employee() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    let refused = app
        .act(
            "pemkab-hulu-sungai-selatan",
            Step::RecordSanctionDecree,
            &case,
        )
        .await;
    // It may not even see the case: told as for a case that does not exist.
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    assert_eq!(app.read(&case.name).await.etag, case.etag);
    // The regent of Kotabaru still can.
    let case = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Sanctioned);
}

#[tokio::test]
async fn auditor_can_read_but_not_write() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    let read = app.get("bpk", &case.name).await.unwrap();
    assert_eq!(read, case);
    let listed = app.list_all("bpk", "").await;
    assert_eq!(
        listed.iter().map(|c| &c.name).collect::<Vec<_>>(),
        [&case.name]
    );

    let counts = app.row_counts().await;
    for step in [
        Step::AddNote,
        Step::AttachEvidence,
        Step::Cancel,
        Step::Accept,
    ] {
        let refused = app.act("bpk", step, &case).await;
        let status = refused.expect_err("an auditor must not write");
        assert_eq!(
            (status.code(), netral_tests::reason(&status).as_str()),
            (
                Code::PermissionDenied,
                expected_reason(step, "bpk", CaseState::Forwarded)
            ),
            "{step:?}: {status:?}"
        );
    }
    let refused = app
        .register("bpk", fixtures::kotabaru_social_media_like())
        .await;
    let status = refused.unwrap_err();
    assert_eq!(
        (status.code(), netral_tests::reason(&status).as_str()),
        (Code::PermissionDenied, "ROLE_NOT_HELD")
    );
    assert_eq!(
        app.row_counts().await,
        TableCounts {
            audit_events: counts.audit_events + 5,
            ..counts
        },
        "the auditor's attempts wrote rows other than one audit event each"
    );
    assert_eq!(app.read(&case.name).await.etag, case.etag);
}

#[tokio::test]
async fn bawaslu_outside_its_region_cannot_register() {
    let app = spawn_app().await;
    let empty = app.row_counts().await;
    for outsider in ["bawaslu-hulu-sungai-selatan", "bawaslu-batang-hari"] {
        let refused = app
            .register(outsider, fixtures::kotabaru_social_media_like())
            .await;
        assert_refused(refused, Code::PermissionDenied, "OUTSIDE_JURISDICTION");
    }
    let refusals_on_record = TableCounts {
        audit_events: empty.audit_events + 2,
        ..empty
    };
    assert_eq!(app.row_counts().await, refusals_on_record);
}

#[tokio::test]
async fn a_higher_bawaslu_level_acts_in_the_regencies_below_it() {
    let app = spawn_app().await;
    let case = app
        .register("bawaslu-kalsel", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    assert_eq!(case.reporting_office, "agencies/bawaslu-kalsel");
    let case = app.act("bawaslu-ri", Step::Forward, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::Forwarded);
}
