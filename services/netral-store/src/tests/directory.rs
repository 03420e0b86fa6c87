//! The stored directory: agencies upserted, their grants replaced, nobody deleted.

use netral_domain::policy::{Role, RoleGrant};

use super::fixtures::{agency, at, day};
use super::support::databases;
use crate::AgencyRecord;

fn kasn() -> AgencyRecord {
    AgencyRecord {
        id: agency("kasn"),
        display_name: "Komisi Aparatur Sipil Negara".into(),
        region: None,
        revoked_at: None,
        grants: vec![RoleGrant::between(
            Role::Examiner,
            day(2014, 1, 1),
            day(2024, 8, 23),
        )],
    }
}

fn bawaslu_kotabaru() -> AgencyRecord {
    AgencyRecord {
        id: agency("bawaslu-kotabaru"),
        display_name: "Bawaslu Kabupaten Kotabaru".into(),
        region: Some("63.02".parse().unwrap()),
        revoked_at: None,
        grants: vec![RoleGrant::since(Role::Bawaslu, day(2018, 1, 1))],
    }
}

#[tokio::test]
async fn syncing_upserts_agencies_and_replaces_their_grants() {
    for db in databases().await {
        db.store
            .sync_directory(&[kasn(), bawaslu_kotabaru()])
            .await
            .unwrap();
        assert_eq!(
            db.store.agencies().await.unwrap(),
            vec![bawaslu_kotabaru(), kasn()],
            "{}",
            db.label
        );

        let mut revoked = kasn();
        revoked.display_name = "KASN (dibubarkan)".into();
        revoked.revoked_at = Some(at(2024, 8, 24));
        revoked.grants.push(RoleGrant::between(
            Role::Auditor,
            day(2020, 1, 1),
            day(2024, 8, 23),
        ));
        db.store
            .sync_directory(std::slice::from_ref(&revoked))
            .await
            .unwrap();
        // The agency left out of the second sync is kept as it was.
        assert_eq!(
            db.store.agencies().await.unwrap(),
            vec![bawaslu_kotabaru(), revoked],
            "{}",
            db.label
        );

        let mut no_grants = bawaslu_kotabaru();
        no_grants.grants.clear();
        db.store
            .sync_directory(std::slice::from_ref(&no_grants))
            .await
            .unwrap();
        let stored = db.store.agencies().await.unwrap();
        assert_eq!(stored[0], no_grants, "{}", db.label);
    }
}
