//! Revocations recorded by operators while the servers run: a whole agency, or one client
//! certificate named by the SHA-256 of its DER. Every replica reads them on its refresh
//! interval and refuses what they name; recording one appends its audit event in the same
//! transaction, so the log shows who revoked what, and when, exactly when it took effect.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use netral_domain::AgencyId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, QueryOrder, Set};
use sha2::{Digest, Sha256};

use crate::audit::AuditRecord;
use crate::codec::{Keyword, decode, parse};
use crate::entity::revocations;
use crate::error::StoreError;
use crate::store::Store;

/// The SHA-256 of a certificate's DER encoding: how netral names one certificate (the same
/// value audit events record as `certificate_fingerprint`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateFingerprint([u8; 32]);

impl CertificateFingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for CertificateFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CertificateFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateFingerprint({self})")
    }
}

/// Why a text is not a certificate fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a certificate fingerprint is the SHA-256 of its DER: 64 hex digits, optionally in pairs \
     separated by colons"
)]
pub struct BadFingerprint;

impl FromStr for CertificateFingerprint {
    type Err = BadFingerprint;

    /// Reads 64 hex digits, in either case, with or without `:` between the pairs (as
    /// `openssl x509 -fingerprint -sha256` prints them).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.trim().chars().filter(|c| *c != ':').collect();
        let bytes = hex::decode(digits).map_err(|_| BadFingerprint)?;
        bytes.try_into().map(Self).map_err(|_| BadFingerprint)
    }
}

/// What a revocation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Every certificate of the agency, and the agency's place in the exchange.
    Agency(AgencyId),
    /// One certificate; the agency's other certificates keep working.
    Certificate {
        /// The certificate's fingerprint.
        fingerprint: CertificateFingerprint,
        /// The agency the certificate names, when the operator gave the certificate itself.
        agency: Option<AgencyId>,
        /// The certificate's serial number in hex, when known.
        serial: Option<String>,
    },
}

/// One recorded revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// What is revoked.
    pub revoked: Revoked,
    /// When it was recorded; it applies from then on (whole microseconds).
    pub revoked_at: DateTime<Utc>,
    /// Why (a ticket or decision number): recorded in the audit log, so no personal data.
    pub reason: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The stored `kind` of a revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevocationKind {
    /// A whole agency.
    Agency,
    /// One certificate.
    Certificate,
}

const TABLE: &str = "revocations";

impl Revocation {
    /// The row storing it.
    fn row(&self) -> revocations::ActiveModel {
        let (kind, subject, agency, serial) = match &self.revoked {
            Revoked::Agency(id) => (RevocationKind::Agency, id.to_string(), Some(id), None),
            Revoked::Certificate {
                fingerprint,
                agency,
                serial,
            } => (
                RevocationKind::Certificate,
                fingerprint.to_string(),
                agency.as_ref(),
                serial.clone(),
            ),
        };
        revocations::ActiveModel {
            kind: Set(kind.keyword().to_owned()),
            subject: Set(subject),
            agency_id: Set(agency.map(ToString::to_string)),
            serial: Set(serial),
            revoked_at: Set(self.revoked_at),
            reason: Set(self.reason.clone()),
            recorded_by: Set(self.recorded_by.clone()),
        }
    }

    /// The revocation a row stores.
    fn from_row(row: revocations::Model) -> Result<Self, StoreError> {
        let agency = row
            .agency_id
            .map(|a| parse::<AgencyId>(&a, TABLE, "agency_id"))
            .transpose()?;
        let revoked = match decode::<RevocationKind>(&row.kind, TABLE, "kind")? {
            RevocationKind::Agency => Revoked::Agency(parse(&row.subject, TABLE, "subject")?),
            RevocationKind::Certificate => Revoked::Certificate {
                fingerprint: parse(&row.subject, TABLE, "subject")?,
                agency,
                serial: row.serial,
            },
        };
        Ok(Self {
            revoked,
            revoked_at: row.revoked_at,
            reason: row.reason,
            recorded_by: row.recorded_by,
        })
    }
}

impl Store {
    /// Records `revocation` and its audit event `audit` in one transaction. Answers `false`,
    /// writing nothing, when the same agency or certificate was already revoked (the first
    /// revocation stands, with its date and reason).
    pub async fn revoke(
        &self,
        revocation: &Revocation,
        audit: AuditRecord,
    ) -> Result<bool, StoreError> {
        if !crate::convert::representable(revocation.revoked_at) {
            return Err(StoreError::Unrepresentable("revoked_at"));
        }
        let (txn, _gate) = crate::writer::begin(&self.db, &self.write_gate).await?;
        let inserted = revocations::Entity::insert(revocation.row())
            .on_conflict(
                OnConflict::columns([revocations::Column::Kind, revocations::Column::Subject])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        crate::audit::record::insert(&txn, &audit).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Every revocation, oldest first.
    pub async fn revocations(&self) -> Result<Vec<Revocation>, StoreError> {
        revocations::Entity::find()
            .order_by_asc(revocations::Column::RevokedAt)
            .order_by_asc(revocations::Column::Kind)
            .order_by_asc(revocations::Column::Subject)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Revocation::from_row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_as_openssl_prints_them_and_print_as_lower_hex() {
        let fp = CertificateFingerprint::of_der(b"not really a certificate");
        let hex = fp.to_string();
        assert_eq!(hex.len(), 64);
        assert_eq!(hex.parse::<CertificateFingerprint>(), Ok(fp));
        let openssl: Vec<String> = fp.as_bytes().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(openssl.join(":").parse::<CertificateFingerprint>(), Ok(fp));
        for bad in [
            "",
            "abc",
            &hex[..62],
            &format!("{hex}00"),
            &hex.replace('a', "g"),
        ] {
            assert_eq!(
                bad.parse::<CertificateFingerprint>(),
                Err(BadFingerprint),
                "{bad}"
            );
        }
    }
}
