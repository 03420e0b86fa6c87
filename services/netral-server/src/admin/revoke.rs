//! `netral-server revoke` and `netral-server revocations`: an operator revokes a whole agency
//! or one client certificate (a leaked key) in the database every replica reads; each
//! replica refuses it within `directory.refresh_interval_ms`, without a restart. The act is
//! recorded in the same transaction as its audit event (`REVOKE_AGENCY` /
//! `REVOKE_CERTIFICATE`, from `operator`, with the reason and who recorded it), so auditors
//! see who revoked what and when.

use chrono::{DateTime, Utc};
use netral_domain::AgencyId;
use netral_proto::v1 as pb;
use netral_store::{CertificateFingerprint, Revocation, Revoked, Store};

use crate::audit::{Event, Origin};
use crate::directory::Directory;
use crate::error::{Error, FieldViolation};
use crate::identity::agency_from_certificate;

/// The longest reason, and the longest operator name, accepted.
const MAX_TEXT: usize = 200;

/// An operator's revocation, checked and ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeOrder {
    /// What to revoke.
    pub revoked: Revoked,
    /// Why (a ticket or decision number): goes into the audit log, so no personal data.
    pub reason: String,
    /// Who records it (`--by`, else the login name).
    pub recorded_by: String,
}

/// What `revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Recorded now, with its audit event.
    Recorded(Revocation),
    /// It was revoked before; the first revocation stands and nothing was written.
    AlreadyRevoked(Revocation),
}

impl RevokeOrder {
    /// Revokes the agency `id` (every certificate it holds).
    pub fn agency(id: &str, reason: &str, recorded_by: &str) -> Result<Self, Error> {
        let id = id
            .trim()
            .parse::<AgencyId>()
            .map_err(|err| violation("agency", err.to_string()));
        Self::checked(id.map(Revoked::Agency), reason, recorded_by)
    }

    /// Revokes the certificate in `pem` (the first one, if the file holds a chain): its
    /// fingerprint, and the agency and serial number it names, for the record.
    pub fn certificate_pem(pem: &[u8], reason: &str, recorded_by: &str) -> Result<Self, Error> {
        let revoked = x509_parser::pem::parse_x509_pem(pem)
            .map_err(|err| violation("certificate", format!("not a PEM certificate: {err}")))
            .and_then(|(_, pem)| {
                let cert = pem.parse_x509().map_err(|err| {
                    violation("certificate", format!("not an X.509 certificate: {err}"))
                })?;
                Ok(Revoked::Certificate {
                    fingerprint: CertificateFingerprint::of_der(&pem.contents),
                    agency: agency_from_certificate(&pem.contents).ok(),
                    serial: Some(hex::encode(cert.raw_serial())),
                })
            });
        Self::checked(revoked, reason, recorded_by)
    }

    /// Revokes the certificate whose SHA-256 fingerprint (of its DER) is `fingerprint`.
    pub fn fingerprint(fingerprint: &str, reason: &str, recorded_by: &str) -> Result<Self, Error> {
        let revoked = fingerprint
            .parse::<CertificateFingerprint>()
            .map(|fingerprint| Revoked::Certificate {
                fingerprint,
                agency: None,
                serial: None,
            })
            .map_err(|err| violation("fingerprint", err.to_string()));
        Self::checked(revoked, reason, recorded_by)
    }

    /// The order, or every bad field at once.
    fn checked(
        revoked: Result<Revoked, FieldViolation>,
        reason: &str,
        recorded_by: &str,
    ) -> Result<Self, Error> {
        let mut violations = Vec::new();
        let mut text = |field: &str, value: &str| {
            let value = value.trim();
            if value.is_empty()
                || value.chars().count() > MAX_TEXT
                || value.chars().any(char::is_control)
            {
                let description = format!("must be 1 to {MAX_TEXT} printable characters");
                violations.push(violation(field, description));
            }
            value.to_owned()
        };
        let reason = text("reason", reason);
        let recorded_by = text("by", recorded_by);
        match revoked {
            Ok(revoked) if violations.is_empty() => Ok(Self {
                revoked,
                reason,
                recorded_by,
            }),
            Ok(_) => Err(Error::Invalid(violations)),
            Err(bad) => {
                violations.insert(0, bad);
                Err(Error::Invalid(violations))
            }
        }
    }

    /// The audit event recording this order at `at`.
    fn event<'a>(&'a self, at: DateTime<Utc>, origin: &'a Origin) -> Event<'a> {
        let (action, payload) = match &self.revoked {
            Revoked::Agency(id) => (
                "REVOKE_AGENCY",
                serde_json::json!({ "agency": id.as_str(), "recorded_by": self.recorded_by }),
            ),
            Revoked::Certificate {
                fingerprint,
                agency,
                serial,
            } => (
                "REVOKE_CERTIFICATE",
                serde_json::json!({
                    "certificate_fingerprint": fingerprint.to_string(),
                    "agency": agency.as_ref().map(AgencyId::as_str),
                    "serial": serial,
                    "recorded_by": self.recorded_by,
                }),
            ),
        };
        Event {
            reason: &self.reason,
            payload_json: payload.to_string(),
            ..Event::new(action, pb::AuditOutcome::Success, at, origin)
        }
    }
}

/// Records `order` at `at` with its audit event, in one transaction. An agency must be in
/// `directory` (a typo would otherwise revoke nothing); a certificate may name any agency.
pub async fn revoke(
    store: &Store,
    directory: &Directory,
    at: DateTime<Utc>,
    order: &RevokeOrder,
) -> Result<RevokeOutcome, Error> {
    if let Revoked::Agency(id) = &order.revoked
        && directory.get(id).is_none()
    {
        let description = format!("`{id}` is not in the directory ({})", directory.origin());
        return Err(Error::Invalid(vec![violation("agency", description)]));
    }
    let at = netral_store::storage_instant(at);
    let revocation = Revocation {
        revoked: order.revoked.clone(),
        revoked_at: at,
        reason: order.reason.clone(),
        recorded_by: order.recorded_by.clone(),
    };
    let origin = Origin {
        peer: "operator".into(),
        ..Origin::default()
    };
    let event = order.event(at, &origin);
    if store.revoke(&revocation, event.record()).await? {
        return Ok(RevokeOutcome::Recorded(revocation));
    }
    let first = store
        .revocations()
        .await?
        .into_iter()
        .find(|r| same_target(&r.revoked, &order.revoked))
        .ok_or_else(|| Error::Unexpected("a revocation vanished while recorded".into()))?;
    Ok(RevokeOutcome::AlreadyRevoked(first))
}

/// One line per revocation, oldest first, as `netral-server revocations` prints them.
pub fn listing(revocations: &[Revocation]) -> Vec<String> {
    revocations
        .iter()
        .map(|r| {
            let what = match &r.revoked {
                Revoked::Agency(id) => format!("agency      {id}"),
                Revoked::Certificate {
                    fingerprint,
                    agency,
                    serial,
                } => {
                    let agency = agency.as_ref().map_or("?", AgencyId::as_str);
                    let serial = serial.as_deref().unwrap_or("?");
                    format!("certificate {fingerprint} (agency {agency}, serial {serial})")
                }
            };
            let at = r
                .revoked_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            format!("{at}  {what}  by {}: {}", r.recorded_by, r.reason)
        })
        .collect()
}

/// Whether two revocations name the same agency or certificate.
fn same_target(a: &Revoked, b: &Revoked) -> bool {
    match (a, b) {
        (Revoked::Agency(a), Revoked::Agency(b)) => a == b,
        (
            Revoked::Certificate { fingerprint: a, .. },
            Revoked::Certificate { fingerprint: b, .. },
        ) => a == b,
        _ => false,
    }
}

fn violation(field: &str, description: String) -> FieldViolation {
    FieldViolation {
        field: field.into(),
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected an invalid order, got {other}"),
        }
    }

    #[test]
    fn an_order_is_parsed_whole_or_refused_field_by_field() {
        let order = RevokeOrder::agency("pemkab-kotabaru", "Keputusan 7/2024", "ayu").unwrap();
        assert_eq!(
            order.revoked,
            Revoked::Agency("pemkab-kotabaru".parse().unwrap())
        );
        assert_eq!(
            fields(RevokeOrder::agency("Pemkab Kotabaru", "", "ayu").unwrap_err()),
            ["agency", "reason"]
        );
        assert_eq!(
            fields(RevokeOrder::fingerprint("abc", "INC-1", "").unwrap_err()),
            ["fingerprint", "by"]
        );
        assert_eq!(
            fields(RevokeOrder::certificate_pem(b"junk", "INC-1", "ayu").unwrap_err()),
            ["certificate"]
        );
        let long = "x".repeat(MAX_TEXT + 1);
        assert_eq!(
            fields(RevokeOrder::agency("bkn", &long, "a\u{7}").unwrap_err()),
            ["reason", "by"]
        );
    }

    #[test]
    fn a_certificate_is_named_by_its_fingerprint_agency_and_serial() {
        let dir = tempfile::tempdir().unwrap();
        let kotabaru: AgencyId = "bawaslu-kotabaru".parse().unwrap();
        let pki = crate::pki::DevPki::ensure(dir.path(), std::slice::from_ref(&kotabaru)).unwrap();
        let pem = std::fs::read(pki.agency_cert_paths(&kotabaru).0).unwrap();
        let order = RevokeOrder::certificate_pem(&pem, "INC-1", "ayu").unwrap();
        let (_, parsed) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
        let Revoked::Certificate {
            fingerprint,
            agency,
            serial,
        } = &order.revoked
        else {
            panic!("a certificate order revokes a certificate");
        };
        assert_eq!(
            *fingerprint,
            CertificateFingerprint::of_der(&parsed.contents)
        );
        assert_eq!(agency.as_ref(), Some(&kotabaru));
        assert!(serial.as_ref().is_some_and(|s| !s.is_empty()));
        let by_hex =
            RevokeOrder::fingerprint(&fingerprint.to_string().to_uppercase(), "INC-1", "ayu");
        assert!(
            matches!(by_hex.unwrap().revoked, Revoked::Certificate { fingerprint: f, .. } if f == *fingerprint)
        );
    }
}
