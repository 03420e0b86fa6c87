//! The directory: every agency known to the exchange, its jurisdiction, its dated role grants
//! and whether its access was revoked.
//!
//! An operator keeps it as a TOML file (`directory.file`); without one, the server runs on the
//! development seed `dev/directory.dev.toml`, compiled in and parsed by the same code. Every
//! entry is validated on load and errors name the file, the agency and the field, so a
//! directory that loads is one the policy rules can trust (e.g. never two examiners on a day).
//!
//! ```toml
//! [[agencies]]
//! id = "bawaslu-kotabaru"
//! display_name = "Bawaslu Kabupaten Kotabaru"
//! region = "63.02"                    # optional; absent for a national agency
//! revoked_at = 2025-01-01T00:00:00Z   # optional, RFC 3339
//! [[agencies.grants]]
//! role = "BAWASLU"
//! from = 2018-01-01
//! until = 2029-12-31                  # optional, inclusive
//! ```

mod handle;
pub(crate) mod refresh;

pub use handle::DirectoryHandle;
pub use refresh::{DirectoryRefresh, RefreshReport};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use netral_domain::catalogue::RegionCatalogue;
use netral_domain::policy::{self, AgencyProfile, Denial, Role, RoleGrant};
use netral_domain::{AgencyId, RegionCode};
use serde::Deserialize;

use crate::identity::IdentityError;

mod employer;

use crate::settings::DirectorySettings;
pub use employer::same_instance;
use employer::validate_instances;

/// The bundled development directory.
pub const DEV_SEED: &str = include_str!("../dev/directory.dev.toml");

/// What the exchange knows about one agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Id, jurisdiction and dated roles: everything the policy rules need.
    pub profile: AgencyProfile,
    /// The agency's official name, for people reading lists, inboxes and audit reports.
    pub display_name: String,
    /// When the agency's access was revoked (a compromised key, a dissolved body); calls are
    /// refused from then on. `None` while the agency is active.
    pub revoked_at: Option<DateTime<Utc>>,
    /// For a PPK, the employing instances (*instansi*) whose civil servants it disciplines,
    /// e.g. `["Kementerian Agama"]`: what binds a national PPK (a ministry) to the cases that
    /// may name it. A regional PPK is bound by its jurisdiction, and by these too when listed.
    pub instances: Vec<String>,
}

impl DirectoryEntry {
    /// The agency's id.
    pub fn id(&self) -> &AgencyId {
        &self.profile.id
    }

    /// Whether the agency's access is revoked at `at`.
    pub fn is_revoked_at(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_some_and(|revoked| revoked <= at)
    }
}

/// The agencies known to the exchange, keyed and iterated by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// Where the directory came from (a file path, or the bundled seed), for error messages.
    origin: String,
    /// The entries; a `BTreeMap` so listings are in a stable order. Shared, so that a call's
    /// resolved caller holds its entry without copying it (see [`Directory::resolve_shared`]).
    entries: BTreeMap<AgencyId, Arc<DirectoryEntry>>,
    /// The certificates revoked one by one (a leaked key) while their agency stays active:
    /// empty in a directory read from its file, filled by [`Directory::with_revocations`].
    revoked_certificates: BTreeSet<netral_store::CertificateFingerprint>,
}

/// Why a directory cannot be loaded. Each error names where the directory came from and,
/// for a bad entry, the agency and the field to fix.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The file cannot be read.
    #[error("cannot read directory file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML of the directory's shape (with line and column).
    #[error("{origin}: {message}")]
    Syntax {
        /// Where the text came from.
        origin: String,
        /// The parser's description, with the position of the problem.
        message: String,
    },
    /// An entry parsed but one of its values is wrong.
    #[error("{origin}: agency `{agency}`, field `{field}`: {reason}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// The agency id as written in the file.
        agency: String,
        /// The field, e.g. `region` or `grants[1].role`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The file's shape, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirectory {
    /// Every agency, in file order.
    #[serde(default)]
    agencies: Vec<RawAgency>,
}

/// One `[[agencies]]` table, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgency {
    /// The slug naming the agency.
    id: String,
    /// Official name.
    display_name: String,
    /// Region code of the jurisdiction; absent for national agencies.
    region: Option<String>,
    /// RFC 3339 instant of revocation, as a TOML datetime or a string.
    revoked_at: Option<toml::Value>,
    /// Dated role grants.
    #[serde(default)]
    grants: Vec<RawGrant>,
    /// For a PPK, the employing instances it disciplines.
    #[serde(default)]
    instances: Vec<String>,
}

/// One `[[agencies.grants]]` table, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    /// Role wire name, e.g. `EXAMINER`.
    role: String,
    /// First day in force, as a TOML date or a string.
    from: toml::Value,
    /// Last day in force (inclusive), as a TOML date or a string.
    until: Option<toml::Value>,
}

impl Directory {
    /// The bundled development directory (`dev/directory.dev.toml`).
    pub fn dev_seed() -> Result<Self, DirectoryError> {
        Self::parse(DEV_SEED, "bundled dev directory")
    }

    /// The configured directory file, or the dev seed when none is configured.
    pub fn from_settings(settings: &DirectorySettings) -> Result<Self, DirectoryError> {
        match &settings.file {
            Some(path) => Self::load(path),
            None => Self::dev_seed(),
        }
    }

    /// Reads and validates a directory file.
    pub fn load(path: &Path) -> Result<Self, DirectoryError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DirectoryError::Read {
            path: origin.clone(),
            source,
        })?;
        Self::parse(&text, &origin)
    }

    /// Parses and validates directory TOML; `origin` names the text in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, DirectoryError> {
        let raw: RawDirectory = toml::from_str(text).map_err(|err| DirectoryError::Syntax {
            origin: origin.to_owned(),
            message: err.to_string(),
        })?;
        let mut entries = BTreeMap::new();
        for agency in raw.agencies {
            let checked = validate(&agency).and_then(|entry| {
                if entries.contains_key(entry.id()) {
                    return Err(("id".to_owned(), "duplicate id".to_owned()));
                }
                if entry.id().as_str() == crate::exchange::NETRAL_ACTOR {
                    return Err((
                        "id".to_owned(),
                        "reserved for netral's own steps (the deadline engine)".to_owned(),
                    ));
                }
                let others = entries.values().map(Arc::as_ref);
                overlapping_examiner(&entry, others).map_or(Ok(entry), Err)
            });
            let entry = checked.map_err(|(field, reason)| DirectoryError::Invalid {
                origin: origin.to_owned(),
                agency: agency.id.clone(),
                field,
                reason,
            })?;
            entries.insert(entry.id().clone(), Arc::new(entry));
        }
        Ok(Self {
            origin: origin.to_owned(),
            entries,
            revoked_certificates: BTreeSet::new(),
        })
    }

    /// Checks that every jurisdiction is a real region of the catalogue (the directory and
    /// the catalogue are configured separately, so this runs once both are loaded).
    pub fn check_regions(&self, regions: &RegionCatalogue) -> Result<(), DirectoryError> {
        for entry in self.entries.values() {
            if let Some(region) = entry.profile.jurisdiction
                && !regions.contains(&region)
            {
                return Err(DirectoryError::Invalid {
                    origin: self.origin.clone(),
                    agency: entry.id().to_string(),
                    field: "region".into(),
                    reason: format!("region {region} is not in the region catalogue"),
                });
            }
        }
        Ok(())
    }

    /// Where the directory came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The entry for `id`, revoked or not.
    pub fn get(&self, id: &AgencyId) -> Option<&DirectoryEntry> {
        self.entries.get(id).map(Arc::as_ref)
    }

    /// The entry for a caller, refusing unknown agencies and any agency with a revocation
    /// date, even one still in the future: a scheduled revocation is honoured early rather
    /// than late. Use [`Directory::resolve_at`] to honour the date exactly.
    pub fn resolve(&self, id: &AgencyId) -> Result<&DirectoryEntry, IdentityError> {
        self.resolve_shared(id).map(Arc::as_ref)
    }

    /// [`Directory::resolve`], answering the shared entry itself: what a call's caller holds
    /// (one reference count, no copy of its grants and names on every call).
    pub fn resolve_shared(&self, id: &AgencyId) -> Result<&Arc<DirectoryEntry>, IdentityError> {
        let entry = self.known(id)?;
        match entry.revoked_at {
            Some(_) => Err(IdentityError::Revoked(id.clone())),
            None => Ok(entry),
        }
    }

    /// The entry for a caller at `now`, refusing unknown agencies and agencies revoked at or
    /// before `now`.
    pub fn resolve_at(
        &self,
        id: &AgencyId,
        now: DateTime<Utc>,
    ) -> Result<&DirectoryEntry, IdentityError> {
        let entry = self.known(id)?;
        if entry.is_revoked_at(now) {
            Err(IdentityError::Revoked(id.clone()))
        } else {
            Ok(entry)
        }
    }

    /// Every entry, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &DirectoryEntry> + '_ {
        self.entries.values().map(Arc::as_ref)
    }

    /// Every agency as the store records it (what `Store::sync_directory` takes).
    pub fn records(&self) -> Vec<netral_store::AgencyRecord> {
        self.iter()
            .map(|entry| netral_store::AgencyRecord {
                id: entry.profile.id.clone(),
                display_name: entry.display_name.clone(),
                region: entry.profile.jurisdiction,
                revoked_at: entry.revoked_at,
                grants: entry.profile.grants.clone(),
            })
            .collect()
    }

    /// Every agency id, in order.
    pub fn ids(&self) -> impl Iterator<Item = &AgencyId> + '_ {
        self.entries.keys()
    }

    /// How many agencies the directory holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the directory holds no agency at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The one agency holding `EXAMINER` on `date` (see [`policy::examiner_on`]).
    pub fn examiner_on(&self, date: NaiveDate) -> Result<&AgencyProfile, Denial> {
        policy::examiner_on(self.entries.values().map(|entry| &entry.profile), date)
    }

    /// The entry for `id`, or `UnknownAgency`.
    fn known(&self, id: &AgencyId) -> Result<&Arc<DirectoryEntry>, IdentityError> {
        self.entries
            .get(id)
            .ok_or_else(|| IdentityError::UnknownAgency(id.clone()))
    }
}

/// One raw agency as a validated entry, or the failing field and why.
fn validate(raw: &RawAgency) -> Result<DirectoryEntry, (String, String)> {
    let fail = |field: &str, reason: String| (field.to_owned(), reason);
    let id: AgencyId = raw.id.parse().map_err(|err| fail("id", format!("{err}")))?;
    if raw.display_name.trim().is_empty() {
        return Err(fail("display_name", "must not be empty".into()));
    }
    let jurisdiction = raw
        .region
        .as_deref()
        .map(str::parse::<RegionCode>)
        .transpose()
        .map_err(|err| {
            fail(
                "region",
                format!("not a region code like 63 or 63.02: {err}"),
            )
        })?;
    let revoked_at = raw
        .revoked_at
        .as_ref()
        .map(instant)
        .transpose()
        .map_err(|reason| fail("revoked_at", reason))?;
    if raw.grants.is_empty() {
        return Err(fail(
            "grants",
            "at least one [[agencies.grants]] is required".into(),
        ));
    }
    let grants = raw
        .grants
        .iter()
        .enumerate()
        .map(|(i, grant)| validate_grant(grant).map_err(|(f, r)| (format!("grants[{i}].{f}"), r)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DirectoryEntry {
        profile: AgencyProfile {
            id,
            jurisdiction,
            grants,
        },
        display_name: raw.display_name.clone(),
        revoked_at,
        instances: validate_instances(&raw.instances)
            .map_err(|reason| fail("instances", reason))?,
    })
}

/// One raw grant as a [`RoleGrant`], or the failing field (inside the grant) and why.
fn validate_grant(raw: &RawGrant) -> Result<RoleGrant, (&'static str, String)> {
    let role: Role = raw.role.parse().map_err(|err| ("role", format!("{err}")))?;
    let valid_from = day(&raw.from).map_err(|reason| ("from", reason))?;
    let valid_until = raw
        .until
        .as_ref()
        .map(day)
        .transpose()
        .map_err(|reason| ("until", reason))?;
    if let Some(until) = valid_until
        && until < valid_from
    {
        return Err(("until", format!("{until} is before `from` ({valid_from})")));
    }
    Ok(RoleGrant {
        role,
        valid_from,
        valid_until,
    })
}

/// An `EXAMINER` grant of `entry` overlapping one of another agency: only one agency may
/// examine on any day ([`policy::examiner_on`] would refuse to choose).
fn overlapping_examiner<'a>(
    entry: &'a DirectoryEntry,
    others: impl Iterator<Item = &'a DirectoryEntry>,
) -> Option<(String, String)> {
    let examiner = |e: &'a DirectoryEntry| {
        let grants = e.profile.grants.iter().enumerate();
        grants
            .filter(|(_, g)| g.role == Role::Examiner)
            .map(move |(i, g)| (e.id(), i, g))
    };
    let ends_after = |g: &RoleGrant, day: NaiveDate| g.valid_until.is_none_or(|u| u >= day);
    others.flat_map(examiner).find_map(|(other, _, theirs)| {
        examiner(entry)
            .find(|(_, _, mine)| {
                ends_after(mine, theirs.valid_from) && ends_after(theirs, mine.valid_from)
            })
            .map(|(_, i, _)| {
                let reason = format!("EXAMINER overlaps the EXAMINER grant of `{other}`");
                (format!("grants[{i}]"), reason)
            })
    })
}

/// A calendar day written as a TOML date (`2018-01-01`) or a string.
fn day(value: &toml::Value) -> Result<NaiveDate, String> {
    let text = match value {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
        toml::Value::String(s) => s.clone(),
        other => return Err(format!("expected a date like 2018-01-01, got {other}")),
    };
    text.parse()
        .map_err(|err| format!("`{text}` is not a date like 2018-01-01: {err}"))
}

/// An instant written as an RFC 3339 TOML datetime (`2025-01-01T00:00:00Z`) or a string.
fn instant(value: &toml::Value) -> Result<DateTime<Utc>, String> {
    let text = match value {
        toml::Value::Datetime(dt) => dt.to_string(),
        toml::Value::String(s) => s.clone(),
        other => return Err(format!("expected an RFC 3339 instant, got {other}")),
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|dt| dt.with_timezone(&Utc))
        .map_err(|err| format!("`{text}` is not an RFC 3339 instant with offset: {err}"))
}

#[cfg(test)]
mod tests {
    use netral_domain::catalogue::Catalogue;

    use super::*;

    fn id(s: &str) -> AgencyId {
        s.parse().unwrap()
    }

    fn invalid(text: &str) -> (String, String, String) {
        match Directory::parse(text, "test.toml").unwrap_err() {
            DirectoryError::Invalid {
                agency,
                field,
                reason,
                ..
            } => (agency, field, reason),
            other => panic!("expected an invalid entry, got {other}"),
        }
    }

    #[test]
    fn the_dev_seed_loads_with_every_agency() {
        let dir = Directory::dev_seed().unwrap();
        let expected = "bawaslu-batang-hari bawaslu-hulu-sungai-selatan bawaslu-kalsel \
            bawaslu-kotabaru bawaslu-oku-selatan bawaslu-ri bkn bpk kasn kemenag kemendagri \
            kemenpan-rb netral-migrasi pemkab-batang-hari pemkab-hulu-sungai-selatan \
            pemkab-kotabaru pemkab-oku-selatan \
            pemprov-jambi pemprov-kalsel pemprov-sumsel";
        let expected: Vec<&str> = expected.split_whitespace().collect();
        let ids: Vec<String> = dir.ids().map(ToString::to_string).collect();
        assert_eq!(ids, expected);
        let kotabaru = dir.resolve(&id("bawaslu-kotabaru")).unwrap();
        assert_eq!(
            kotabaru.profile.jurisdiction,
            Some("63.02".parse().unwrap())
        );
        assert!(dir.get(&id("bawaslu-ri")).unwrap().profile.is_national());
        let catalogue = Catalogue::bundled().unwrap();
        dir.check_regions(&catalogue.regions).unwrap();
    }

    #[test]
    fn kasn_examines_until_the_cut_over_and_bkn_from_the_next_day() {
        let dir = Directory::dev_seed().unwrap();
        let on = |s: &str| dir.examiner_on(s.parse().unwrap()).unwrap().id.to_string();
        assert_eq!(on("2024-08-23"), "kasn");
        assert_eq!(on("2024-08-24"), "bkn");
    }

    #[test]
    fn no_agency_may_take_the_name_netral_records_its_own_steps_under() {
        let (agency, field, reason) = invalid(
            r#"
            [[agencies]]
            id = "netral"
            display_name = "Not really netral"
            [[agencies.grants]]
            role = "AUDITOR"
            from = 2020-01-01
            "#,
        );
        assert_eq!((agency.as_str(), field.as_str()), ("netral", "id"));
        assert!(reason.contains("reserved"), "{reason}");
    }

    #[test]
    fn a_bad_role_names_the_agency_and_the_field() {
        let (agency, field, reason) = invalid(
            r#"
            [[agencies]]
            id = "bkn"
            display_name = "BKN"
            [[agencies.grants]]
            role = "PERSONNEL_REGISTRY"
            from = 2000-01-01
            [[agencies.grants]]
            role = "EXAMINOR"
            from = 2024-08-24
            "#,
        );
        assert_eq!((agency.as_str(), field.as_str()), ("bkn", "grants[1].role"));
        assert!(reason.contains("EXAMINOR"), "{reason}");
        let err = Directory::parse("[[agencies]]\nid = 3", "x.toml").unwrap_err();
        assert!(err.to_string().starts_with("x.toml: "), "{err}");
    }

    #[test]
    fn bad_entries_are_rejected() {
        let agency =
            |body: &str| format!("[[agencies]]\nid = \"bkn\"\ndisplay_name = \"BKN\"\n{body}");
        let grant = "[[agencies.grants]]\nrole = \"AUDITOR\"\nfrom = 2020-01-01\n";
        let cases = [
            (agency(&format!("region = \"6302\"\n{grant}")), "region"),
            (
                agency(&format!("{grant}until = 2019-12-31\n")),
                "grants[0].until",
            ),
            (format!("{}{}", agency(grant), agency(grant)), "id"),
            (agency(""), "grants"),
            (
                agency(&format!("revoked_at = 2025-01-01T00:00:00\n{grant}")),
                "revoked_at",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(invalid(&text).1, expected, "{text}");
        }
    }

    #[test]
    fn overlapping_examiners_are_rejected() {
        let text = r#"
            [[agencies]]
            id = "kasn"
            display_name = "KASN"
            [[agencies.grants]]
            role = "EXAMINER"
            from = 2014-01-01
            until = 2024-08-24
            [[agencies]]
            id = "bkn"
            display_name = "BKN"
            [[agencies.grants]]
            role = "EXAMINER"
            from = "2024-08-24"
        "#;
        let (agency, field, _) = invalid(text);
        assert_eq!((agency.as_str(), field.as_str()), ("bkn", "grants[0]"));
    }

    #[test]
    fn unknown_and_revoked_agencies_are_refused() {
        let text = r#"
            [[agencies]]
            id = "pemkab-lama"
            display_name = "Pemerintah Kabupaten Lama"
            region = "63.02"
            revoked_at = 2025-01-01T00:00:00Z
            [[agencies.grants]]
            role = "PPK"
            from = 2018-01-01
        "#;
        let dir = Directory::parse(text, "test.toml").unwrap();
        let lama = id("pemkab-lama");
        assert_eq!(
            dir.resolve(&lama),
            Err(IdentityError::Revoked(lama.clone()))
        );
        let before = "2024-12-31T23:59:59Z".parse().unwrap();
        assert!(dir.resolve_at(&lama, before).is_ok());
        let after = "2025-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            dir.resolve_at(&lama, after),
            Err(IdentityError::Revoked(lama))
        );
        let ghost = id("pemkab-ghost");
        assert_eq!(
            dir.resolve(&ghost),
            Err(IdentityError::UnknownAgency(ghost))
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = Directory::parse("[[agencies]]\nid = \"bkn\"\nname = \"BKN\"\n", "x.toml");
        assert!(matches!(err, Err(DirectoryError::Syntax { .. })));
    }
}
