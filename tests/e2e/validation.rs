//! Every malformed registration is refused with INVALID_ARGUMENT naming the bad field
//! (a BadRequest field violation), and writes nothing.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, date, wib};
use netral_tests::{assert_refused, field_violations, not_refused_on, spawn_app};
use tonic::Code;

type Mutation = fn(&mut pb::RegisterCaseRequest);

fn case(request: &mut pb::RegisterCaseRequest) -> &mut pb::Case {
    request.r#case.as_mut().expect("the fixture has a case")
}

fn subject(request: &mut pb::RegisterCaseRequest) -> &mut pb::Subject {
    case(request)
        .subject
        .as_mut()
        .expect("the fixture has a subject")
}

fn election(request: &mut pb::RegisterCaseRequest) -> &mut pb::Election {
    case(request)
        .election
        .as_mut()
        .expect("the fixture has an election")
}

/// One bad field at a time: what is wrong, how to make it wrong, the field path expected.
const INVALID: &[(&str, Mutation, &str)] = &[
    (
        "request_id that is not a UUID",
        |r| r.request_id = "retry-1".into(),
        "request_id",
    ),
    ("absent request_id", |r| r.request_id.clear(), "request_id"),
    (
        "nil request_id",
        |r| r.request_id = uuid::Uuid::nil().to_string(),
        "request_id",
    ),
    (
        "empty registration number",
        |r| case(r).registration_number = "  ".into(),
        "case.registration_number",
    ),
    (
        "PPK that is not a PPK",
        |r| case(r).ppk = "agencies/bkn".into(),
        "case.ppk",
    ),
    (
        "unknown PPK",
        |r| case(r).ppk = "agencies/pemkab-atlantis".into(),
        "case.ppk",
    ),
    (
        "PPK without agencies/",
        |r| case(r).ppk = "pemkab-kotabaru".into(),
        "case.ppk",
    ),
    (
        "missing subject",
        |r| case(r).subject = None,
        "case.subject",
    ),
    (
        "unspecified subject id kind",
        |r| subject(r).id_kind = 0,
        "case.subject.id_kind",
    ),
    (
        "unknown subject id kind",
        |r| subject(r).id_kind = 9,
        "case.subject.id_kind",
    ),
    (
        "NIP born on 30 February",
        |r| subject(r).id = "199002302015032001".into(),
        "case.subject.id",
    ),
    (
        "NIP with gender digit 3",
        |r| subject(r).id = "199003252015033001".into(),
        "case.subject.id",
    ),
    (
        "NIP of 17 digits",
        |r| subject(r).id = "19900325201503200".into(),
        "case.subject.id",
    ),
    (
        "NIP of 19 digits",
        |r| subject(r).id = "1990032520150320011".into(),
        "case.subject.id",
    ),
    (
        "NIP appointed at 17",
        |r| subject(r).id = "199003252007032001".into(),
        "case.subject.id",
    ),
    (
        "NIP with sequence 000",
        |r| subject(r).id = "199003252015032000".into(),
        "case.subject.id",
    ),
    (
        "NIP with a letter",
        |r| subject(r).id = "19900325201503200X".into(),
        "case.subject.id",
    ),
    (
        "empty name",
        |r| subject(r).full_name = String::new(),
        "case.subject.full_name",
    ),
    (
        "overlong name",
        |r| subject(r).full_name = "A".repeat(201),
        "case.subject.full_name",
    ),
    (
        "a right-to-left override in the name",
        |r| subject(r).full_name = "Budi \u{202E}otnaS".into(),
        "case.subject.full_name",
    ),
    (
        "a zero-width space in the registration number",
        |r| case(r).registration_number = "001/Reg/\u{200B}LP/PB/Kab/22.09/III/2024".into(),
        "case.registration_number",
    ),
    (
        "empty employing instance",
        |r| subject(r).employing_instance = " ".into(),
        "case.subject.employing_instance",
    ),
    (
        "malformed region",
        |r| case(r).region_code = "6x".into(),
        "case.region_code",
    ),
    (
        "region without dot",
        |r| case(r).region_code = "6302".into(),
        "case.region_code",
    ),
    (
        "non-existent region",
        |r| case(r).region_code = "63.99".into(),
        "case.region_code",
    ),
    (
        "missing election",
        |r| case(r).election = None,
        "case.election",
    ),
    (
        "unspecified election kind",
        |r| election(r).kind = 0,
        "case.election.kind",
    ),
    (
        "unspecified election phase",
        |r| election(r).phase = 0,
        "case.election.phase",
    ),
    (
        "election year 1990",
        |r| election(r).year = 1990,
        "case.election.year",
    ),
    (
        "empty legal basis",
        |r| case(r).legal_basis = String::new(),
        "case.legal_basis",
    ),
    (
        "violation form 0",
        |r| case(r).violation_form = 0,
        "case.violation_form",
    ),
    (
        "violation form 14",
        |r| case(r).violation_form = 14,
        "case.violation_form",
    ),
    ("unspecified source", |r| case(r).source = 0, "case.source"),
    (
        "missing occurred date",
        |r| case(r).occurred_date = None,
        "case.occurred_date",
    ),
    (
        "missing reported date",
        |r| case(r).reported_date = None,
        "case.reported_date",
    ),
    (
        "occurred on 30 February",
        |r| case(r).occurred_date = Some(date(2024, 2, 30)),
        "case.occurred_date",
    ),
    (
        "occurred after it was reported",
        |r| case(r).occurred_date = Some(date(2024, 2, 5)),
        "case.occurred_date",
    ),
    // The clock stands at 1 March 2024, 10:00 WIB.
    (
        "reported tomorrow",
        |r| case(r).reported_date = Some(date(2024, 3, 2)),
        "case.reported_date",
    ),
    (
        "empty summary",
        |r| case(r).summary = "\n\t ".into(),
        "case.summary",
    ),
    (
        "overlong summary",
        |r| case(r).summary = "x".repeat(4001),
        "case.summary",
    ),
    (
        "control character in summary",
        |r| case(r).summary = "Suka\u{0007}".into(),
        "case.summary",
    ),
    ("missing case", |r| r.r#case = None, "case"),
];

#[tokio::test]
async fn every_invalid_field_of_a_registration_is_named_and_nothing_is_written() {
    let app = spawn_app().await;
    let empty = app.row_counts().await;
    let mut wrong = Vec::new();
    for (what, mutate, field) in INVALID {
        let mut request = fixtures::kotabaru_social_media_like();
        mutate(&mut request);
        let answer = app.register("bawaslu-kotabaru", request).await;
        wrong.extend(not_refused_on(what, answer.map(|case| case.name), field));
        let counts = app.row_counts().await;
        if counts != empty {
            wrong.push(format!("{what}: rows were written: {counts:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "invalid registrations not refused as expected:\n{}",
        wrong.join("\n")
    );

    // The request they were all derived from is valid.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let app = spawn_app().await;
    let mut request = fixtures::kotabaru_social_media_like();
    case(&mut request).region_code = "63.99".into();
    subject(&mut request).id = "199003252015033001".into();
    case(&mut request).violation_form = 0;
    let status = app.register("bawaslu-kotabaru", request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields = field_violations(&status);
    fields.sort();
    assert_eq!(
        fields,
        ["case.region_code", "case.subject.id", "case.violation_form"]
    );
}

#[tokio::test]
async fn a_subject_is_registered_once_under_an_offices_number() {
    let app = spawn_app().await;
    let first = fixtures::kotabaru_social_media_like();
    let number = first.r#case.as_ref().unwrap().registration_number.clone();
    app.register("bawaslu-kotabaru", first).await.unwrap();
    let counts = app.row_counts().await;

    let mut again = fixtures::kotabaru_social_media_like();
    case(&mut again).registration_number = number.clone();
    let refused = app.register("bawaslu-kotabaru", again).await;
    assert_refused(refused, Code::AlreadyExists, "DUPLICATE_REGISTRATION");
    assert_eq!(app.row_counts().await, counts);

    // The number is Bawaslu Kotabaru's: the provincial office's own report may carry it.
    let mut again = fixtures::kotabaru_social_media_like();
    case(&mut again).registration_number = number;
    app.register("bawaslu-kalsel", again).await.unwrap();
}

#[tokio::test]
async fn dates_are_judged_on_the_calendar_of_jakarta() {
    let app = spawn_app().await;
    // 20:00 UTC on 1 March is 03:00 on 2 March in Jakarta: a report dated the 2nd is today's.
    app.clock.set(wib("2024-03-02T03:00:00"));
    let mut today = fixtures::kotabaru_social_media_like();
    case(&mut today).reported_date = Some(date(2024, 3, 2));
    app.register("bawaslu-kotabaru", today).await.unwrap();

    let mut tomorrow = fixtures::kotabaru_social_media_like();
    case(&mut tomorrow).reported_date = Some(date(2024, 3, 3));
    let status = app
        .register("bawaslu-kotabaru", tomorrow)
        .await
        .unwrap_err();
    assert_eq!(field_violations(&status), ["case.reported_date"]);
}

#[tokio::test]
async fn texts_up_to_their_limits_are_accepted() {
    let app = spawn_app().await;
    let mut request = fixtures::kotabaru_social_media_like();
    case(&mut request).summary = "é".repeat(4000);
    subject(&mut request).full_name = "Ä".repeat(200);
    case(&mut request).registration_number = format!("{:0>120}", fixtures::request_id());
    let registered = app.register("bawaslu-kotabaru", request).await.unwrap();
    assert_eq!(registered.summary.chars().count(), 4000);
}
