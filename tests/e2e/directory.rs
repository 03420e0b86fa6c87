//! Every agency reads the exchange's reference data: who holds which role when, the regions,
//! the working-day calendar, the deadline rules and the sanction codes a PPK decrees with.

use netral_proto::v1 as pb;
use netral_proto::v1::directory_service_client::DirectoryServiceClient;
use netral_tests::{assert_refused, field_violations, spawn_app};
use tonic::Code;

async fn directory(
    app: &netral_tests::TestApp,
    agency: &str,
) -> DirectoryServiceClient<tonic::transport::Channel> {
    DirectoryServiceClient::new(app.channel_for(agency).await)
}

#[tokio::test]
async fn a_ppk_finds_the_sanction_codes_it_decrees_with() {
    let app = spawn_app().await;
    let mut dir = directory(&app, "pemkab-kotabaru").await;
    let all = dir
        .list_sanctions(pb::ListSanctionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        all.sanctions.len(),
        12,
        "9 disciplinary, PTDH and 2 moral sanctions"
    );
    assert!(
        all.sanctions
            .iter()
            .any(|s| s.code == "SEVERE_DEMOTION_12M")
    );
    let severe = dir
        .list_sanctions(pb::ListSanctionsRequest {
            filter: "level = SANCTION_LEVEL_SEVERE".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(severe.sanctions.len(), 3);
    assert!(
        severe
            .sanctions
            .iter()
            .all(|s| s.level == pb::SanctionLevel::Severe as i32)
    );
}

#[tokio::test]
async fn the_examiner_role_moves_from_kasn_to_bkn_in_the_directory() {
    let app = spawn_app().await;
    let mut dir = directory(&app, "bawaslu-kotabaru").await;
    let examiners = dir
        .list_agencies(pb::ListAgenciesRequest {
            filter: "role = ROLE_EXAMINER".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .agencies;
    let names: Vec<_> = examiners.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["agencies/bkn", "agencies/kasn"]);
    let kasn = dir
        .get_agency(pb::GetAgencyRequest {
            name: "agencies/kasn".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let grant = &kasn.agency.unwrap().grants[0];
    let until = grant.valid_until.unwrap();
    assert_eq!((until.year, until.month, until.day), (2024, 8, 23));
}

#[tokio::test]
async fn regions_page_through_all_of_kalimantan_selatan() {
    let app = spawn_app().await;
    let mut dir = directory(&app, "bpk").await;
    let mut token = String::new();
    let mut codes = Vec::new();
    loop {
        let page = dir
            .list_regions(pb::ListRegionsRequest {
                page_size: 5,
                page_token: token,
                filter: r#"code = "63""#.into(),
            })
            .await
            .unwrap()
            .into_inner();
        codes.extend(page.regions.into_iter().map(|r| r.code));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(codes.first().map(String::as_str), Some("63"));
    assert!(codes.contains(&"63.02".to_owned()));
    assert_eq!(
        codes.len(),
        14,
        "the province and its 13 regencies and cities"
    );
}

#[tokio::test]
async fn the_calendar_lists_the_2024_voting_day() {
    let app = spawn_app().await;
    let mut dir = directory(&app, "kemendagri").await;
    let days = dir
        .list_non_working_days(pb::ListNonWorkingDaysRequest {
            page_size: 1000,
            filter: "year = 2024".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .days;
    assert!(
        days.iter()
            .any(|d| d.date.is_some_and(|d| (d.month, d.day) == (2, 14)))
    );
    assert!(days.iter().all(|d| d.date.is_some_and(|d| d.year == 2024)));
}

#[tokio::test]
async fn a_bad_directory_filter_names_the_filter_field() {
    let app = spawn_app().await;
    let mut dir = directory(&app, "bkn").await;
    let err = dir
        .list_agencies(pb::ListAgenciesRequest {
            filter: "colour = red".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_refused(
        Err::<(), _>(err.clone()),
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field_violations(&err), ["filter"]);
    let missing = dir
        .get_agency(pb::GetAgencyRequest {
            name: "agencies/nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}
