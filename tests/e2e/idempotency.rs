//! Retries after a dropped response: the same `request_id` with the same request returns the
//! first answer and is applied once; the same `request_id` with anything else is refused.

use netral_proto::v1::CaseState;
use netral_tests::fixtures::{self, Step, case_of, walk_to, wib};
use netral_tests::{assert_refused, spawn_app};
use tonic::Code;

#[tokio::test]
async fn a_forward_retried_after_a_dropped_response_is_applied_once() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    let mut bawaslu = app.client("bawaslu-kotabaru").await;
    let request = fixtures::forward(&case);

    app.clock.set(wib("2024-03-05T14:00:00"));
    let first = bawaslu
        .forward_case(request.clone())
        .await
        .unwrap()
        .into_inner();
    let first = case_of(first.r#case);
    assert_eq!(first.state(), CaseState::Forwarded);

    // The answer was lost on the way; Bawaslu's system retries the next morning.
    app.clock.set(wib("2024-03-06T08:00:00"));
    let retried = bawaslu
        .forward_case(request.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = case_of(retried.r#case);
    assert_eq!(
        retried, first,
        "a replay answers the first response, etag and times included"
    );
    assert_eq!(app.read(&case.name).await, first);

    let history = app.history(&case).await;
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["REGISTER", "FORWARD"],
        "the forward is recorded once"
    );
    assert_eq!(history[1].request_id.to_string(), request.request_id);
    let counts = app.row_counts().await;

    // The same request id with another letter number: refused, whatever the etag.
    let mut changed = request.clone();
    changed.letter_number = "046/PP.01.02/K.KS-05/03/2024".into();
    assert_refused(
        bawaslu.forward_case(changed.clone()).await,
        Code::AlreadyExists,
        "REQUEST_ID_REUSED",
    );
    changed.etag = first.etag.clone();
    assert_refused(
        bawaslu.forward_case(changed).await,
        Code::AlreadyExists,
        "REQUEST_ID_REUSED",
    );

    // Nor may it be reused for another method.
    let mut note = fixtures::add_note(&first);
    note.request_id = request.request_id.clone();
    assert_refused(
        bawaslu.add_note(note).await,
        Code::AlreadyExists,
        "REQUEST_ID_REUSED",
    );

    assert_eq!(app.row_counts().await, counts);
    assert_eq!(app.read(&case.name).await, first);
}

#[tokio::test]
async fn a_registration_retried_after_a_dropped_response_registers_one_case() {
    let app = spawn_app().await;
    let mut bawaslu = app.client("bawaslu-kotabaru").await;
    let request = fixtures::kotabaru_social_media_like();

    let first = case_of(
        bawaslu
            .register_case(request.clone())
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );
    let retried = case_of(
        bawaslu
            .register_case(request.clone())
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );
    assert_eq!(
        retried, first,
        "the retry answers the case registered the first time"
    );
    let counts = app.row_counts().await;
    assert_eq!(
        (
            counts.cases,
            counts.subjects,
            counts.case_events,
            counts.idempotency_keys
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(app.history(&first).await.len(), 1);

    let mut changed = request.clone();
    changed.r#case.as_mut().unwrap().summary = "Ringkasan yang berbeda.".into();
    let refused = bawaslu.register_case(changed).await;
    assert_refused(refused, Code::AlreadyExists, "REQUEST_ID_REUSED");
    assert_eq!(app.row_counts().await, counts);
}

#[tokio::test]
async fn request_ids_are_scoped_to_the_agency_that_chose_them() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::Registered).await;
    let shared_id = fixtures::request_id();

    let mut forward = fixtures::forward(&case);
    forward.request_id = shared_id.clone();
    let mut bawaslu = app.client("bawaslu-kotabaru").await;
    let case = case_of(
        bawaslu
            .forward_case(forward)
            .await
            .unwrap()
            .into_inner()
            .r#case,
    );

    // KASN happens to pick the same UUID: its request is its own, and it is applied.
    let mut accept = fixtures::accept(&case);
    accept.request_id = shared_id;
    let mut kasn = app.client("kasn").await;
    let case = case_of(kasn.accept_case(accept).await.unwrap().into_inner().r#case);
    assert_eq!(case.state(), CaseState::UnderExamination);

    let actions: Vec<String> = app
        .history(&case)
        .await
        .iter()
        .map(|e| e.action.as_str().to_owned())
        .collect();
    assert_eq!(actions, ["REGISTER", "FORWARD", "ACCEPT"]);
    let case = app.act("kasn", Step::AddNote, &case).await.unwrap();
    assert_eq!(case.note_count, 1);
}

#[tokio::test]
async fn a_retry_racing_the_original_gets_the_same_answer() {
    let app = spawn_app().await;
    let mut first = app.client("bawaslu-kotabaru").await;
    let channel = app
        .try_connect(app.tls_for("bawaslu-kotabaru"))
        .await
        .unwrap();
    let mut second = netral_proto::v1::case_service_client::CaseServiceClient::new(channel);

    for round in 0..5 {
        let request = fixtures::kotabaru_social_media_like();
        let (a, b) = tokio::join!(
            first.register_case(request.clone()),
            second.register_case(request.clone())
        );
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (
                case_of(a.into_inner().r#case),
                case_of(b.into_inner().r#case),
            ),
            other => panic!("round {round}: both copies of a registration must succeed: {other:?}"),
        };
        assert_eq!(a, b, "round {round}: one case, one answer");

        let forward = fixtures::forward(&a);
        let (c, d) = tokio::join!(
            first.forward_case(forward.clone()),
            second.forward_case(forward.clone())
        );
        let (c, d) = match (c, d) {
            (Ok(c), Ok(d)) => (
                case_of(c.into_inner().r#case),
                case_of(d.into_inner().r#case),
            ),
            other => panic!("round {round}: both copies of a forward must succeed: {other:?}"),
        };
        assert_eq!(c, d, "round {round}: one forward, one answer");
        let actions: Vec<String> = app
            .history(&c)
            .await
            .iter()
            .map(|e| e.action.as_str().to_owned())
            .collect();
        assert_eq!(actions, ["REGISTER", "FORWARD"], "round {round}");
    }
    assert_eq!(app.row_counts().await.cases, 5);
}
