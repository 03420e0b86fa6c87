//! Every step's own fields, one bad field at a time, like `validation.rs` for registration:
//! the step is refused with INVALID_ARGUMENT naming exactly that field in a BadRequest, and
//! nothing is written.

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_tests::fixtures::{self, walk_to};
use netral_tests::{TestApp, not_refused_on, spawn_app};
use tonic::transport::Channel;

/// Sends one (mutated) request for `case` as a client.
type Sender<R> = for<'a> fn(
    &'a mut CaseServiceClient<Channel>,
    R,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), tonic::Status>> + Send + 'a>,
>;

/// One bad request: what is wrong, how to break the fixture's request, the field expected.
type Bad<R> = (&'static str, fn(&mut R), &'static str);

/// Sends each of `bad` (built from `valid` on a case walked to `state`) as `agency` and
/// collects what was not refused as expected; then checks `valid` itself is accepted.
async fn check<R: Clone>(
    app: &TestApp,
    state: pb::CaseState,
    agency: &str,
    valid: fn(&pb::Case) -> R,
    send: Sender<R>,
    bad: &[Bad<R>],
) -> Vec<String> {
    app.clock.set(netral_tests::default_now());
    let case = walk_to(app, state).await;
    if state == pb::CaseState::SanctionRecommended {
        // Blocks and warnings answer a PPK past its deadline.
        app.clock.set(fixtures::past_the_ppk_deadline());
    }
    let before = app.row_counts().await;
    let mut client = app.client(agency).await;
    let mut wrong = Vec::new();
    for (what, mutate, field) in bad {
        let mut request = valid(&case);
        mutate(&mut request);
        wrong.extend(not_refused_on(
            what,
            send(&mut client, request).await,
            field,
        ));
        if app.row_counts().await != before {
            wrong.push(format!("{what}: rows were written"));
        }
    }
    if let Err(status) = send(&mut client, valid(&case)).await {
        wrong.push(format!("the valid request was refused: {status:?}"));
    }
    wrong
}

fn recommendation(r: &mut pb::RecommendSanctionRequest) -> &mut pb::SanctionRecommendation {
    r.recommendation.as_mut().expect("the fixture recommends")
}

fn attachment(r: &mut pb::AttachEvidenceRequest) -> &mut pb::Attachment {
    r.attachment.as_mut().expect("the fixture attaches")
}

#[tokio::test]
async fn every_invalid_field_of_every_step_is_named_and_nothing_is_written() {
    use pb::CaseState as S;
    let app = spawn_app().await;
    let mut wrong = Vec::new();

    let recommend: &[Bad<pb::RecommendSanctionRequest>] = &[
        (
            "no recommendation",
            |r| r.recommendation = None,
            "recommendation",
        ),
        (
            "unspecified level",
            |r| recommendation(r).level = 0,
            "recommendation.level",
        ),
        (
            "unknown moral sanction",
            |r| recommendation(r).moral_sanction = 99,
            "recommendation.moral_sanction",
        ),
        (
            "empty letter number",
            |r| recommendation(r).letter_number.clear(),
            "recommendation.letter_number",
        ),
        ("a bad etag", |r| r.etag.clear(), "etag"),
    ];
    wrong.extend(
        check(
            &app,
            S::UnderExamination,
            "kasn",
            fixtures::recommend_sanction,
            |c, r| Box::pin(async move { c.recommend_sanction(r).await.map(drop) }),
            recommend,
        )
        .await,
    );

    let decree: &[Bad<pb::RecordSanctionDecreeRequest>] = &[
        ("no sanction", |r| r.sanctions.clear(), "sanctions"),
        (
            "an unknown code",
            |r| r.sanctions[0].code = "SEVERE_EXILE".into(),
            "sanctions[0].code",
        ),
        (
            "two disciplinary sanctions",
            |r| r.sanctions[1].code = "MEDIUM_ALLOWANCE_CUT_25_6M".into(),
            "sanctions",
        ),
        (
            "no decree date",
            |r| r.sanctions[0].decree_date = None,
            "sanctions[0].decree_date",
        ),
        (
            "an empty decree number",
            |r| r.sanctions[1].decree_number.clear(),
            "sanctions[1].decree_number",
        ),
    ];
    wrong.extend(
        check(
            &app,
            S::SanctionRecommended,
            "pemkab-kotabaru",
            fixtures::record_sanction_decree,
            |c, r| Box::pin(async move { c.record_sanction_decree(r).await.map(drop) }),
            decree,
        )
        .await,
    );

    let attach: &[Bad<pb::AttachEvidenceRequest>] = &[
        ("no attachment", |r| r.attachment = None, "attachment"),
        (
            "an md5 digest",
            |r| attachment(r).digest = "md5:9e107d9d372bb6826bd81d3542a419d6".into(),
            "attachment.digest",
        ),
        (
            "an upper-case digest",
            |r| attachment(r).digest = attachment(r).digest.to_uppercase(),
            "attachment.digest",
        ),
        (
            "a media type without a slash",
            |r| attachment(r).media_type = "png".into(),
            "attachment.media_type",
        ),
        (
            "a negative size",
            |r| attachment(r).size_bytes = -1,
            "attachment.size_bytes",
        ),
        (
            "a bidi isolate in the title",
            |r| attachment(r).title = "\u{2067}Tangkapan layar\u{2069}".into(),
            "attachment.title",
        ),
    ];
    wrong.extend(
        check(
            &app,
            S::Forwarded,
            "bawaslu-kotabaru",
            fixtures::attach_evidence,
            |c, r| Box::pin(async move { c.attach_evidence(r).await.map(drop) }),
            attach,
        )
        .await,
    );

    let cancel: &[Bad<pb::CancelCaseRequest>] = &[
        ("no reason", |r| r.reason = 0, "reason"),
        (
            "OTHER without detail",
            |r| {
                r.reason = pb::CancelReason::Other as i32;
                r.detail.clear();
            },
            "detail",
        ),
    ];
    wrong.extend(
        check(
            &app,
            S::Registered,
            "bawaslu-kotabaru",
            fixtures::cancel,
            |c, r| Box::pin(async move { c.cancel_case(r).await.map(drop) }),
            cancel,
        )
        .await,
    );

    let separated: &[Bad<pb::ReportSubjectSeparatedRequest>] = &[
        ("no reason", |r| r.reason = 0, "reason"),
        (
            "no effective date",
            |r| r.effective_date = None,
            "effective_date",
        ),
        (
            "an impossible date",
            |r| r.effective_date = Some(fixtures::date(2024, 2, 30)),
            "effective_date",
        ),
        (
            "a separation still to come",
            |r| r.effective_date = Some(fixtures::date(2099, 1, 1)),
            "effective_date",
        ),
    ];
    wrong.extend(
        check(
            &app,
            S::SanctionRecommended,
            "bkn",
            fixtures::report_subject_separated,
            |c, r| Box::pin(async move { c.report_subject_separated(r).await.map(drop) }),
            separated,
        )
        .await,
    );

    let warning: &[Bad<pb::SendWarningLetterRequest>] = &[
        (
            "no letter number",
            |r| r.letter_number.clear(),
            "letter_number",
        ),
        ("no letter date", |r| r.letter_date = None, "letter_date"),
    ];
    wrong.extend(
        check(
            &app,
            S::SanctionRecommended,
            "kemendagri",
            fixtures::send_warning_letter,
            |c, r| Box::pin(async move { c.send_warning_letter(r).await.map(drop) }),
            warning,
        )
        .await,
    );

    assert!(
        wrong.is_empty(),
        "invalid steps not refused as expected:\n{}",
        wrong.join("\n")
    );
}
