//! Least privilege over mTLS (issue 12): reads follow need to know, the PPK is the employer
//! of the subject's instance, no single party ends a case another agency is working on, and a
//! caller that may not see a case learns nothing about it — not even that it exists.

use netral_proto::v1 as pb;
use netral_proto::v1::stats_service_client::StatsServiceClient;
use netral_tests::fixtures::{self, Step, walk_to, wib};
use netral_tests::{assert_refused, field_violations, spawn_app, spawn_app_with};
use pb::CaseState;
use tonic::{Code, Status};

/// A Kotabaru case whose civil servant teaches at a state madrasah: a Kementerian Agama
/// employee, disciplined by the ministry, not by the regency.
fn madrasah_teacher_case() -> pb::RegisterCaseRequest {
    let mut request = fixtures::kotabaru_social_media_like();
    let case = request.r#case.as_mut().unwrap();
    case.ppk = "agencies/kemenag".into();
    case.subject.as_mut().unwrap().employing_instance = "Kementerian Agama".into();
    request
}

/// `request` naming `ppk` as the Kotabaru teacher's PPK.
fn naming_ppk(ppk: &str) -> pb::RegisterCaseRequest {
    let mut request = fixtures::kotabaru_social_media_like();
    request.r#case.as_mut().unwrap().ppk = format!("agencies/{ppk}");
    request
}

#[tokio::test]
async fn the_policy_owner_counts_every_case_and_reads_none() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    walk_to(&app, CaseState::Registered).await;

    let refused = app.get("kemenpan-rb", &case.name).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    assert!(app.list_all("kemenpan-rb", "").await.is_empty());

    let rows = StatsServiceClient::new(app.channel_for("kemenpan-rb").await)
        .get_compliance_stats(pb::GetComplianceStatsRequest::default())
        .await
        .expect("the policy owner reads statistics")
        .into_inner()
        .rows;
    let total: i64 = rows.iter().map(|row| row.total).sum();
    assert_eq!(total, 2, "every case is counted: {rows:?}");
}

#[tokio::test]
async fn a_ministry_ppk_reads_only_the_cases_naming_it() {
    let app = spawn_app().await;
    let regency = walk_to(&app, CaseState::SanctionRecommended).await;
    let madrasah = app
        .register("bawaslu-kotabaru", madrasah_teacher_case())
        .await
        .expect("a ministry is the PPK of its own civil servants");

    let listed: Vec<_> = app
        .list_all("kemenag", "")
        .await
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&madrasah.name));
    assert!(app.get("kemenag", &madrasah.name).await.is_ok());
    let refused = app.get("kemenag", &regency.name).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
    // And the regency's PPK does not read the ministry's case.
    let refused = app.get("pemkab-kotabaru", &madrasah.name).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");
}

#[tokio::test]
async fn bawaslu_cannot_name_a_ppk_that_does_not_employ_the_civil_servant() {
    let app = spawn_app().await;
    let empty = app.row_counts().await;
    let mut ministry_for_a_regency_employee = madrasah_teacher_case();
    ministry_for_a_regency_employee
        .r#case
        .as_mut()
        .unwrap()
        .subject
        .as_mut()
        .unwrap()
        .employing_instance = "Pemerintah Kabupaten Kotabaru".into();
    for (what, request) in [
        ("another province's government", naming_ppk("pemprov-jambi")),
        (
            "a neighbouring regency",
            naming_ppk("pemkab-hulu-sungai-selatan"),
        ),
        ("not a PPK at all", naming_ppk("bkn")),
        (
            "a ministry for a regency employee",
            ministry_for_a_regency_employee,
        ),
    ] {
        let status = app
            .register("bawaslu-kotabaru", request)
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        assert_eq!(field_violations(&status), ["case.ppk"], "{what}");
    }
    assert_eq!(app.row_counts().await, empty, "nothing was written");
}

#[tokio::test]
async fn a_revoked_ppk_cannot_be_named() {
    let revoked = "\n[[agencies]]\nid = \"pemkab-kotabaru-lama\"\n\
        display_name = \"Pemerintah Kabupaten Kotabaru (sertifikat lama)\"\n\
        region = \"63.02\"\nrevoked_at = 2023-12-31T00:00:00Z\n\
        [[agencies.grants]]\nrole = \"PPK\"\nfrom = 2018-01-01\n";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!("{}{revoked}", netral_server::directory::DEV_SEED),
    )
    .unwrap();
    let path = file.path().to_owned();
    let app = spawn_app_with(move |s| s.directory.file = Some(path)).await;
    let status = app
        .register("bawaslu-kotabaru", naming_ppk("pemkab-kotabaru-lama"))
        .await
        .expect_err("a revoked PPK must not be named");
    assert_eq!(field_violations(&status), ["case.ppk"]);
    assert!(status.message().contains("case.ppk"), "{status:?}");
}

#[tokio::test]
async fn no_single_party_ends_a_case_another_agency_is_working_on() {
    let app = spawn_app().await;
    // A just-registered case: the PPK cannot end it, nor can the registry see it.
    let fresh = walk_to(&app, CaseState::Registered).await;
    let refused = app
        .act("pemkab-kotabaru", Step::ReportSubjectSeparated, &fresh)
        .await;
    assert_refused(refused, Code::PermissionDenied, "ROLE_NOT_HELD");
    let refused = app.act("bkn", Step::ReportSubjectSeparated, &fresh).await;
    assert_refused(refused, Code::PermissionDenied, "CASE_NOT_ACCESSIBLE");

    // Once the examiner recommended a sanction, no one cancels: the PPK must act.
    let recommended = walk_to(&app, CaseState::SanctionRecommended).await;
    let refused = app
        .act("bawaslu-kotabaru", Step::Cancel, &recommended)
        .await;
    assert_refused(refused, Code::FailedPrecondition, "INVALID_TRANSITION");
    let refused = app.act("kasn", Step::Cancel, &recommended).await;
    assert_refused(refused, Code::PermissionDenied, "ROLE_NOT_HELD");

    // A separation still to come is not a separation.
    let mut request = fixtures::report_subject_separated(&recommended);
    request.effective_date = Some(fixtures::date(2099, 1, 1));
    let status = app
        .client("bkn")
        .await
        .report_subject_separated(request)
        .await
        .expect_err("a future separation must be refused");
    assert_eq!(field_violations(&status), ["effective_date"]);
    assert_eq!(app.read(&recommended.name).await.etag, recommended.etag);
}

/// What a refused caller is told: everything a client could compare.
fn told(status: Status) -> (Code, String, String) {
    let reason = netral_tests::reason(&status);
    (status.code(), reason, status.message().to_owned())
}

#[tokio::test]
async fn an_outsider_learns_nothing_about_a_case_it_may_not_see() {
    let app = spawn_app().await;
    let real = walk_to(&app, CaseState::Forwarded).await;
    let mut stale = real.clone();
    stale.etag = "\"v1\"".into();
    let mut ghost = real.clone();
    ghost.name = format!("cases/{}", uuid::Uuid::now_v7());
    let before = app.row_counts().await;

    for outsider in ["pemkab-batang-hari", "bawaslu-batang-hari", "kemenpan-rb"] {
        let mut answers = Vec::new();
        for case in [&real, &stale, &ghost] {
            let read = app.get(outsider, &case.name).await.expect_err("read");
            let step = app
                .act(outsider, Step::AddNote, case)
                .await
                .expect_err("step");
            answers.push((told(read), told(step)));
        }
        assert!(
            answers.iter().all(|answer| *answer == answers[0]),
            "{outsider} can tell the cases apart: {answers:#?}"
        );
        assert_eq!(answers[0].0.0, Code::PermissionDenied);
        assert_eq!(answers[0].0.1, "CASE_NOT_ACCESSIBLE");
    }
    // Each refusal is an audit event, and nothing else was written.
    let after = app.row_counts().await;
    assert_eq!(
        after,
        netral_store::TableCounts {
            audit_events: before.audit_events + 18,
            ..before
        }
    );
}

#[tokio::test]
async fn a_party_refused_a_step_is_refused_before_its_etag_is_compared() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    let mut stale = case.clone();
    stale.etag = "\"v1\"".into();
    // The PPK may read the case but not accept it: the same answer with either etag.
    let fresh = app.act("pemkab-kotabaru", Step::Accept, &case).await;
    let old = app.act("pemkab-kotabaru", Step::Accept, &stale).await;
    assert_eq!(
        told(fresh.unwrap_err()),
        told(old.unwrap_err()),
        "the refusal must not reveal the version"
    );
}

#[tokio::test]
async fn a_retry_of_an_allowed_step_still_answers_after_the_case_moved_on() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Forwarded).await;
    app.clock.set(wib("2024-03-06T10:00:00"));
    let request = fixtures::cancel(&case);
    let mut kasn = app.client("kasn").await;
    let first = kasn
        .cancel_case(request.clone())
        .await
        .unwrap()
        .into_inner();
    // The case is closed now; the same request is a retry, answered as the first time.
    let again = kasn.cancel_case(request).await.unwrap().into_inner();
    assert_eq!(first, again);
}
