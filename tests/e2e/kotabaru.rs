//! The Kotabaru social-media case (Pemilu 2024), from Bawaslu Kotabaru's finding to BKN's
//! entry in the personnel registry, checked at every hand-off.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step, date, timestamp, wib};
use netral_tests::spawn_app;
use pb::{CaseState, DeadlineStatus as Status, DeadlineStep as Due};

/// A day as `(year, month, day)`.
type Day = (i32, i32, i32);

/// A deadline as the test expects it: step, agency, start, due, status.
type Expected = (Due, &'static str, Day, Day, Status);

#[track_caller]
fn assert_deadlines(case: &pb::Case, expected: &[Expected]) {
    let actual: Vec<(Due, String, Day, Day, Status)> = case
        .deadlines
        .iter()
        .map(|d| {
            let day = |d: &Option<netral_proto::google::r#type::Date>| {
                let d = d.as_ref().expect("deadline dates are set");
                (d.year, d.month, d.day)
            };
            (
                d.step(),
                d.agency.clone(),
                day(&d.start_date),
                day(&d.due_date),
                d.status(),
            )
        })
        .collect();
    let expected: Vec<_> = expected
        .iter()
        .map(|(step, agency, start, due, status)| {
            (*step, format!("agencies/{agency}"), *start, *due, *status)
        })
        .collect();
    assert_eq!(actual, expected, "deadlines of {}", case.name);
}

#[tokio::test]
async fn the_kotabaru_social_media_case_goes_from_finding_to_the_personnel_registry() {
    let app = spawn_app().await;

    // 1 March 2024, 10:00 WIB: Bawaslu Kotabaru registers its finding.
    let request = fixtures::kotabaru_social_media_like();
    let filed = request.r#case.clone().unwrap();
    let case = app.register("bawaslu-kotabaru", request).await.unwrap();
    assert!(case.name.starts_with("cases/"), "{}", case.name);
    assert!(!case.etag.is_empty());
    assert_eq!(case.state(), CaseState::Registered);
    assert_eq!(case.reporting_office, "agencies/bawaslu-kotabaru");
    assert_eq!(case.examiner, "", "no examiner before forwarding");
    assert_eq!(case.ppk, "agencies/pemkab-kotabaru");
    assert_eq!(case.region_code, "63.02");
    assert_eq!(case.registration_number, filed.registration_number);
    assert_eq!(
        case.subject, filed.subject,
        "the subject is stored as filed"
    );
    assert_eq!(case.election, filed.election);
    assert_eq!(case.violation_form, 6);
    assert_eq!(case.source(), pb::CaseSource::Finding);
    assert_eq!(case.occurred_date, Some(date(2024, 1, 28)));
    assert_eq!(case.reported_date, Some(date(2024, 2, 1)));
    assert_eq!(case.summary, filed.summary);
    assert_eq!(
        case.create_time,
        Some(timestamp(wib("2024-03-01T10:00:00")))
    );
    assert_eq!(case.update_time, case.create_time);
    assert_eq!(case.forward_date, None);
    assert_eq!(case.recommendation, None);
    assert!(case.imposed_sanctions.is_empty());
    assert_eq!(
        case.outcome.clone().unwrap_or_default().registry_reference,
        ""
    );
    assert_deadlines(
        &case,
        &[(
            Due::BawasluReview,
            "bawaslu-kotabaru",
            (2024, 3, 1),
            (2024, 3, 8),
            Status::Open,
        )],
    );

    // 4 March: Bawaslu attaches the screenshot.
    app.clock.set(wib("2024-03-04T09:00:00"));
    let before = case.etag.clone();
    let case = app
        .act("bawaslu-kotabaru", Step::AttachEvidence, &case)
        .await
        .unwrap();
    assert_ne!(case.etag, before, "every accepted step changes the etag");
    assert_eq!(case.state(), CaseState::Registered);
    assert!(
        case.attachments.is_empty() && case.attachment_count == 1,
        "a step's reply is the BASIC view: counted, not listed"
    );
    let full = app.read(&case.name).await;
    let [attachment] = full.attachments.as_slice() else {
        panic!("one attachment expected: {:?}", full.attachments);
    };
    assert_eq!(attachment.digest, fixtures::EVIDENCE_DIGEST);
    assert_eq!(attachment.media_type, "image/png");
    assert_eq!(attachment.agency, "agencies/bawaslu-kotabaru");
    assert_eq!(
        attachment.create_time,
        Some(timestamp(wib("2024-03-04T09:00:00")))
    );

    // 5 March: forwarded to the examiner of the day, KASN.
    app.clock.set(wib("2024-03-05T14:00:00"));
    let case = app
        .act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Forwarded);
    assert_eq!(case.examiner, "agencies/kasn");
    assert_eq!(case.forward_date, Some(date(2024, 3, 5)));
    assert_eq!(case.forward_letter_number, fixtures::FORWARD_LETTER);
    assert_eq!(
        case.update_time,
        Some(timestamp(wib("2024-03-05T14:00:00")))
    );
    assert_deadlines(
        &case,
        &[
            (
                Due::BawasluReview,
                "bawaslu-kotabaru",
                (2024, 3, 1),
                (2024, 3, 8),
                Status::Met,
            ),
            (
                Due::ExaminerAction,
                "kasn",
                (2024, 3, 5),
                (2024, 3, 19),
                Status::Open,
            ),
        ],
    );

    // 6 March: KASN accepts; 7 March: it leaves a note.
    app.clock.set(wib("2024-03-06T09:30:00"));
    let case = app.act("kasn", Step::Accept, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::UnderExamination);
    assert_eq!(case.examiner, "agencies/kasn");
    app.clock.set(wib("2024-03-07T11:00:00"));
    let case = app.act("kasn", Step::AddNote, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::UnderExamination);
    let full = app.read(&case.name).await;
    let [note] = full.notes.as_slice() else {
        panic!("one note expected: {:?}", full.notes);
    };
    assert_eq!(note.agency, "agencies/kasn");
    assert_eq!(
        note.create_time,
        Some(timestamp(wib("2024-03-07T11:00:00")))
    );

    // 13 March: KASN recommends a severe sanction and an open statement to the regent.
    app.clock.set(wib("2024-03-13T15:00:00"));
    let case = app
        .act("kasn", Step::RecommendSanction, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::SanctionRecommended);
    let recommendation = case
        .recommendation
        .clone()
        .expect("the recommendation is stored");
    assert_eq!(recommendation.level(), pb::SanctionLevel::Severe);
    assert_eq!(
        recommendation.moral_sanction(),
        pb::MoralSanction::OpenStatement
    );
    assert_eq!(
        recommendation.letter_number,
        fixtures::RECOMMENDATION_LETTER
    );
    assert!(!case.recommendation_acknowledged);
    assert_deadlines(
        &case,
        &[
            (
                Due::BawasluReview,
                "bawaslu-kotabaru",
                (2024, 3, 1),
                (2024, 3, 8),
                Status::Met,
            ),
            (
                Due::ExaminerAction,
                "kasn",
                (2024, 3, 5),
                (2024, 3, 19),
                Status::Met,
            ),
            (
                Due::PpkAction,
                "pemkab-kotabaru",
                (2024, 3, 13),
                (2024, 3, 23),
                Status::Open,
            ),
        ],
    );

    // 14 March: the regent acknowledges; 20 March: the decree.
    app.clock.set(wib("2024-03-14T08:00:00"));
    let case = app
        .act("pemkab-kotabaru", Step::Acknowledge, &case)
        .await
        .unwrap();
    assert!(case.recommendation_acknowledged);
    assert_eq!(case.state(), CaseState::SanctionRecommended);
    app.clock.set(wib("2024-03-20T10:00:00"));
    let case = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &case)
        .await
        .unwrap();
    assert_eq!(case.state(), CaseState::Sanctioned);
    let imposed: Vec<(&str, &str, Option<_>)> = case
        .imposed_sanctions
        .iter()
        .map(|s| (s.code.as_str(), s.decree_number.as_str(), s.decree_date))
        .collect();
    assert_eq!(
        imposed,
        [
            (
                "SEVERE_DEMOTION_12M",
                fixtures::DECREE_NUMBER,
                Some(date(2024, 3, 19))
            ),
            (
                "MORAL_OPEN_STATEMENT",
                fixtures::DECREE_NUMBER,
                Some(date(2024, 3, 19))
            ),
        ]
    );
    assert_eq!(
        case.recommendation,
        Some(recommendation),
        "the level stays beside the decree"
    );
    assert_eq!(
        case.outcome.clone().unwrap_or_default().registry_reference,
        ""
    );
    assert_deadlines(
        &case,
        &[
            (
                Due::BawasluReview,
                "bawaslu-kotabaru",
                (2024, 3, 1),
                (2024, 3, 8),
                Status::Met,
            ),
            (
                Due::ExaminerAction,
                "kasn",
                (2024, 3, 5),
                (2024, 3, 19),
                Status::Met,
            ),
            (
                Due::PpkAction,
                "pemkab-kotabaru",
                (2024, 3, 13),
                (2024, 3, 23),
                Status::Met,
            ),
        ],
    );

    // 25 March: BKN records it in the registry. The case is closed.
    app.clock.set(wib("2024-03-25T13:00:00"));
    let case = app.act("bkn", Step::RecordInRegistry, &case).await.unwrap();
    assert_eq!(case.state(), CaseState::Recorded);
    assert_eq!(
        case.outcome.clone().unwrap().registry_reference,
        fixtures::REGISTRY_REFERENCE
    );
    assert_eq!(case.imposed_sanctions.len(), 2);
    assert!(
        case.deadlines.iter().all(|d| d.status() != Status::Open),
        "no deadline stays open on a closed case: {:?}",
        case.deadlines
    );
    assert_eq!(
        case.create_time,
        Some(timestamp(wib("2024-03-01T10:00:00")))
    );
    assert_eq!(
        case.update_time,
        Some(timestamp(wib("2024-03-25T13:00:00")))
    );

    // Every party reads the same case, at the same version: in the BASIC view exactly as
    // last answered, in the FULL view with its note and attachment too.
    for agency in ["bawaslu-kotabaru", "kasn", "pemkab-kotabaru", "bkn", "bpk"] {
        let basic = app.get_view(agency, &case.name, pb::CaseView::Basic);
        assert_eq!(
            basic.await.unwrap(),
            case,
            "{agency} reads the case as last answered"
        );
        let full = app.get(agency, &case.name).await.unwrap();
        assert_eq!(
            (full.notes.len(), full.attachments.len()),
            (1, 1),
            "{agency}"
        );
        let without_logs = pb::Case {
            notes: Vec::new(),
            attachments: Vec::new(),
            escalations: Vec::new(),
            ..full
        };
        assert_eq!(without_logs, case, "{agency}: FULL is BASIC plus the logs");
    }

    // The history has one event per step, in order, by the agency that took it, and the
    // events do not carry the subject's personal data.
    let history = app.history(&case).await;
    let steps: Vec<(i64, &str, &str, &str, &str)> = history
        .iter()
        .map(|e| {
            (
                e.case_version,
                e.action.as_str(),
                e.actor.as_str(),
                e.from_state.as_str(),
                e.to_state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                1,
                "REGISTER",
                "bawaslu-kotabaru",
                "REGISTERED",
                "REGISTERED"
            ),
            (
                2,
                "ATTACH_EVIDENCE",
                "bawaslu-kotabaru",
                "REGISTERED",
                "REGISTERED"
            ),
            (3, "FORWARD", "bawaslu-kotabaru", "REGISTERED", "FORWARDED"),
            (4, "ACCEPT", "kasn", "FORWARDED", "UNDER_EXAMINATION"),
            (
                5,
                "ADD_NOTE",
                "kasn",
                "UNDER_EXAMINATION",
                "UNDER_EXAMINATION"
            ),
            (
                6,
                "RECOMMEND_SANCTION",
                "kasn",
                "UNDER_EXAMINATION",
                "SANCTION_RECOMMENDED"
            ),
            (
                7,
                "ACKNOWLEDGE",
                "pemkab-kotabaru",
                "SANCTION_RECOMMENDED",
                "SANCTION_RECOMMENDED"
            ),
            (
                8,
                "RECORD_SANCTION_DECREE",
                "pemkab-kotabaru",
                "SANCTION_RECOMMENDED",
                "SANCTIONED"
            ),
            (9, "RECORD_IN_REGISTRY", "bkn", "SANCTIONED", "RECORDED"),
        ]
    );
    let subject = filed.subject.unwrap();
    for event in &history {
        let payload = event.payload.to_string();
        assert!(
            !payload.contains(&subject.id),
            "event {} holds the NIP",
            event.case_version
        );
        assert!(
            !payload.contains(&subject.full_name),
            "event {} holds the name",
            event.case_version
        );
    }
}
