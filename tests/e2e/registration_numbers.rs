//! One report, three ASN (the Kotabaru story of the Kalsel article of 6 December 2022): Bawaslu
//! Kotabaru registers one case per ASN under the report's one register number, and each case
//! names the other two as related. The number is Bawaslu Kotabaru's: Bawaslu Hulu Sungai
//! Selatan may use the same number for its own report, and the same ASN twice under
//! Kotabaru's number is refused.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, date};
use netral_tests::{assert_refused, error_domain, spawn_app};
use tonic::Code;

/// Three fictional ASN of Kotabaru named in one public report: NIPs with a real birth date,
/// an appointment after eighteen, a gender digit and a sequence.
fn kotabaru_asn() -> [pb::Subject; 3] {
    let asn = |id: &str, full_name: &str, position: &str| pb::Subject {
        id_kind: pb::SubjectIdKind::Nip as i32,
        id: id.into(),
        full_name: full_name.into(),
        position: position.into(),
        employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
        erased: false,
    };
    [
        // Born 1988-04-17, appointed 2014-03, male, sequence 002.
        asn(
            "198804172014031002",
            "Ahmad Fauzan Ramadhani",
            "Kepala Seksi Pemerintahan Kecamatan",
        ),
        // Born 1992-07-09, appointed 2019-02, female, sequence 003.
        asn(
            "199207092019022003",
            "Siti Nurhaliza Pratiwi",
            "Penyuluh Pertanian Ahli Pertama",
        ),
        // Born 1985-12-01, appointed 2010-01, male, sequence 005.
        asn(
            "198512012010011005",
            "Muhammad Rizki Saputra",
            "Kepala Sekolah Dasar Negeri",
        ),
    ]
}

/// Bawaslu Kotabaru's registration of the report under `number`, for `subject`.
fn kotabaru_report(number: &str, subject: pb::Subject) -> pb::RegisterCaseRequest {
    let mut request = fixtures::kotabaru_social_media_like();
    let case = request.r#case.as_mut().expect("the fixture has a case");
    case.registration_number = number.to_owned();
    case.subject = Some(subject);
    case.source = pb::CaseSource::PublicReport as i32;
    case.reported_date = Some(date(2024, 2, 2));
    case.summary = "Laporan masyarakat: tiga ASN hadir dan berfoto dengan simbol kampanye \
                    pada deklarasi pasangan calon."
        .into();
    request
}

#[tokio::test]
async fn one_report_naming_three_asn_becomes_three_cases_that_name_each_other() {
    let app = spawn_app().await;
    let number = fixtures::registration_number("Kab/22.05");

    let mut cases = Vec::new();
    for subject in kotabaru_asn() {
        let case = app
            .register("bawaslu-kotabaru", kotabaru_report(&number, subject))
            .await
            .expect("each ASN of the report becomes a case");
        assert_eq!(case.registration_number, number);
        assert!(
            case.related_cases.is_empty(),
            "replies carry no related cases"
        );
        cases.push(case);
    }
    let names: Vec<_> = cases.iter().map(|c| c.name.clone()).collect();

    // Each case lists the other two, in registration order, in both views.
    for case in &cases {
        let others: Vec<_> = names.iter().filter(|n| **n != case.name).cloned().collect();
        let full = app.get("bawaslu-kotabaru", &case.name).await.unwrap();
        assert_eq!(full.related_cases, others, "{}", case.name);
        let basic = app
            .get_view("bawaslu-kotabaru", &case.name, pb::CaseView::Basic)
            .await
            .unwrap();
        assert_eq!(basic.related_cases, others, "{}", case.name);
        let by_ppk = app.get("pemkab-kotabaru", &case.name).await.unwrap();
        assert_eq!(by_ppk.related_cases, others, "{}", case.name);
    }

    // The same ASN again under the office's number: refused, nothing written.
    let counts = app.row_counts().await;
    let [first, ..] = kotabaru_asn();
    let refused = app
        .register("bawaslu-kotabaru", kotabaru_report(&number, first))
        .await;
    let status = assert_refused(refused, Code::AlreadyExists, "DUPLICATE_REGISTRATION");
    assert_eq!(error_domain(&status), "netral");
    assert_eq!(app.row_counts().await, counts);

    // Bawaslu Hulu Sungai Selatan's own report may carry the same number.
    let mut hss = fixtures::hulu_sungai_selatan_campaign_team();
    hss.r#case.as_mut().unwrap().registration_number = number.clone();
    let hss = app
        .register("bawaslu-hulu-sungai-selatan", hss)
        .await
        .expect("a number belongs to its office");
    assert_eq!(hss.registration_number, number);
    let hss = app
        .get("bawaslu-hulu-sungai-selatan", &hss.name)
        .await
        .unwrap();
    assert!(
        hss.related_cases.is_empty(),
        "another office's cases are not related: {:?}",
        hss.related_cases
    );
    for case in &cases {
        let read = app.read(&case.name).await;
        assert!(!read.related_cases.contains(&hss.name), "{}", case.name);
    }

    // The filter finds the number's cases; with the office, exactly the report's three.
    let filter = format!(r#"registration_number = "{number}""#);
    let mut all: Vec<_> = app
        .list_all("bpk", &filter)
        .await
        .into_iter()
        .map(|c| c.name)
        .collect();
    all.sort();
    let mut expected = names.clone();
    expected.push(hss.name.clone());
    expected.sort();
    assert_eq!(all, expected);

    let filter = format!(
        r#"registration_number = "{number}" AND reporting_office = "agencies/bawaslu-kotabaru""#
    );
    let listed = app.list_all("bawaslu-kotabaru", &filter).await;
    let mut listed: Vec<_> = listed
        .into_iter()
        .inspect(|c| assert!(c.related_cases.is_empty(), "pages carry no related cases"))
        .map(|c| c.name)
        .collect();
    listed.sort();
    let mut three = names;
    three.sort();
    assert_eq!(listed, three);
}
