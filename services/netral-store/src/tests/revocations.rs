//! Revocations as stored: recorded with their audit event in one transaction, a second
//! revocation of the same agency or certificate a no-op, and read back whole, oldest first.

use chrono::TimeDelta;
use netral_proto::v1::{AuditLeaf, AuditOutcome};

use super::fixtures::{agency, at};
use super::support::databases;
use crate::audit::AuditRecord;
use crate::{CertificateFingerprint, Revocation, Revoked};

fn audit(action: &str) -> AuditRecord {
    let leaf = AuditLeaf {
        action: action.into(),
        outcome: AuditOutcome::Success as i32,
        ..Default::default()
    };
    AuditRecord {
        case_id: None,
        action: action.into(),
        outcome: "SUCCESS",
        actor: None,
        at: at(2024, 9, 4),
        leaf: netral_audit::leaf::encode(&leaf),
    }
}

fn certificate(n: u8, minutes: i64) -> Revocation {
    Revocation {
        revoked: Revoked::Certificate {
            fingerprint: CertificateFingerprint::of_der(&[n; 100]),
            agency: Some(agency("bawaslu-kotabaru")),
            serial: Some(format!("{n:02x}")),
        },
        revoked_at: at(2024, 9, 4) + TimeDelta::minutes(minutes),
        reason: "INC-2024-0042: key on a lost laptop".into(),
        recorded_by: "operator:ayu".into(),
    }
}

#[tokio::test]
async fn revocations_are_recorded_once_with_their_audit_event_and_read_back_in_order() {
    for db in databases().await {
        assert_eq!(db.store.revocations().await.unwrap(), [], "{}", db.label);
        let leaked = certificate(1, 10);
        let agency = Revocation {
            revoked: Revoked::Agency(agency("pemkab-kotabaru")),
            revoked_at: at(2024, 9, 4) + TimeDelta::minutes(5),
            reason: "Keputusan 7/2024".into(),
            recorded_by: "operator:budi".into(),
        };
        let no_agency = Revocation {
            revoked: Revoked::Certificate {
                fingerprint: CertificateFingerprint::of_der(b"only the fingerprint is known"),
                agency: None,
                serial: None,
            },
            ..certificate(3, 20)
        };
        for revocation in [&leaked, &agency, &no_agency] {
            assert!(
                db.store.revoke(revocation, audit("REVOKE")).await.unwrap(),
                "{}",
                db.label
            );
        }
        assert_eq!(db.store.table_counts().await.unwrap().audit_events, 3);

        // Again, with another reason and date: the first stands, nothing is written.
        let again = Revocation {
            reason: "again".into(),
            ..certificate(1, 30)
        };
        assert!(!db.store.revoke(&again, audit("REVOKE")).await.unwrap());
        let agency_again = Revocation {
            reason: "again".into(),
            ..agency.clone()
        };
        assert!(
            !db.store
                .revoke(&agency_again, audit("REVOKE"))
                .await
                .unwrap()
        );
        assert_eq!(db.store.table_counts().await.unwrap().audit_events, 3);

        // Another certificate of the same agency is revoked separately.
        let second = certificate(2, 40);
        assert!(db.store.revoke(&second, audit("REVOKE")).await.unwrap());
        assert_eq!(
            db.store.revocations().await.unwrap(),
            [agency, leaked, no_agency, second],
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn a_revocation_finer_than_a_microsecond_is_refused() {
    for db in databases().await {
        let fine = Revocation {
            revoked_at: at(2024, 9, 4) + TimeDelta::nanoseconds(1),
            ..certificate(1, 0)
        };
        assert!(matches!(
            db.store.revoke(&fine, audit("REVOKE")).await,
            Err(crate::StoreError::Unrepresentable("revoked_at"))
        ));
        assert_eq!(db.store.revocations().await.unwrap(), []);
    }
}
