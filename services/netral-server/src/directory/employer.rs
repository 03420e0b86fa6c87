//! Which PPK may be named for a civil servant: the employing authority of the subject's
//! instance, bound through the directory (its jurisdiction and the instances it lists), never
//! a free choice of the registering office (issue 12: a Kotabaru case naming Jambi's
//! government would hand Jambi the civil servant's data and decree).

use chrono::NaiveDate;
use netral_domain::RegionCode;
use netral_domain::policy::Role;

use super::DirectoryEntry;

/// Instance names: non-empty, each once (compared as [`same_instance`] compares them).
pub(super) fn validate_instances(raw: &[String]) -> Result<Vec<String>, String> {
    let mut seen: Vec<&String> = Vec::new();
    for name in raw {
        if name.trim().is_empty() {
            return Err("an instance name must not be empty".into());
        }
        if seen.iter().any(|other| same_instance(other, name)) {
            return Err(format!("`{name}` is listed twice"));
        }
        seen.push(name);
    }
    Ok(raw.iter().map(|name| name.trim().to_owned()).collect())
}

/// Whether two instance names name the same instance: letters compared without case, runs of
/// spaces as one (a registration typed by hand says "Pemerintah  kabupaten Kotabaru").
pub fn same_instance(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

impl DirectoryEntry {
    /// Whether this agency may be named PPK of a civil servant of `instance` whose instance
    /// lies in `region`, on `today`: it holds `PPK`, its access is not revoked, and it
    /// employs such civil servants — a regional government those working in its region (a
    /// province's civil servants also work in its regencies: a provincial school teacher in
    /// Kotabaru), a national PPK those of the instances the directory lists for it; where
    /// the directory lists instances for a regional government too, the instance must be one
    /// of them. The reason names only the directory's public facts.
    pub fn employs(
        &self,
        region: &RegionCode,
        instance: &str,
        today: NaiveDate,
    ) -> Result<(), String> {
        let id = self.id();
        if self.revoked_at.is_some() {
            return Err(format!("`{id}`'s access to the exchange was revoked"));
        }
        if !self.profile.holds(Role::Ppk, today) {
            return Err(format!("`{id}` does not hold the PPK role"));
        }
        if let Some(own) = self.profile.jurisdiction
            && !own.covers(region)
        {
            return Err(format!(
                "`{id}` is the PPK of region {own}, not of the case's region {region}"
            ));
        }
        if self.instances.is_empty() {
            return match self.profile.jurisdiction {
                Some(_) => Ok(()),
                None => Err(format!(
                    "`{id}` is a national PPK and the directory lists no instance it employs"
                )),
            };
        }
        if self.instances.iter().any(|i| same_instance(i, instance)) {
            Ok(())
        } else {
            Err(format!(
                "`{id}` is not the PPK of the instance named in case.subject.employing_instance"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Directory;

    fn day() -> NaiveDate {
        "2024-03-01".parse().unwrap()
    }

    fn entry(dir: &Directory, id: &str) -> DirectoryEntry {
        dir.get(&id.parse().unwrap()).unwrap().clone()
    }

    fn kotabaru() -> RegionCode {
        "63.02".parse().unwrap()
    }

    #[test]
    fn a_regional_government_employs_the_civil_servants_working_in_its_region() {
        let dir = Directory::dev_seed().unwrap();
        let regency = entry(&dir, "pemkab-kotabaru");
        let typed = "Pemerintah  kabupaten KOTABARU";
        assert_eq!(regency.employs(&kotabaru(), typed, day()), Ok(()));
        let province = entry(&dir, "pemprov-kalsel");
        let teacher = "Pemerintah Provinsi Kalimantan Selatan";
        assert_eq!(province.employs(&kotabaru(), teacher, day()), Ok(()));
        // Its instances listed, the province is not the regency's employer.
        let err = province
            .employs(&kotabaru(), "Pemerintah Kabupaten Kotabaru", day())
            .unwrap_err();
        assert!(err.contains("not the PPK of the instance"), "{err}");
        let err = entry(&dir, "pemprov-jambi")
            .employs(&kotabaru(), teacher, day())
            .unwrap_err();
        assert!(err.contains("region 15"), "{err}");
    }

    #[test]
    fn a_ministry_employs_only_the_instances_the_directory_lists() {
        let dir = Directory::dev_seed().unwrap();
        let kemenag = entry(&dir, "kemenag");
        let own = "Kementerian Agama";
        assert_eq!(kemenag.employs(&kotabaru(), own, day()), Ok(()));
        let regency = "Pemerintah Kabupaten Kotabaru";
        assert!(kemenag.employs(&kotabaru(), regency, day()).is_err());
        let mut unlisted = kemenag.clone();
        unlisted.instances.clear();
        let err = unlisted.employs(&kotabaru(), own, day()).unwrap_err();
        assert!(err.contains("lists no instance"), "{err}");
    }

    #[test]
    fn a_revoked_or_roleless_agency_employs_no_one() {
        let dir = Directory::dev_seed().unwrap();
        let instance = "Pemerintah Kabupaten Kotabaru";
        let mut revoked = entry(&dir, "pemkab-kotabaru");
        revoked.revoked_at = Some("2024-01-01T00:00:00Z".parse().unwrap());
        let err = revoked.employs(&kotabaru(), instance, day()).unwrap_err();
        assert!(err.contains("revoked"), "{err}");
        let err = entry(&dir, "bkn")
            .employs(&kotabaru(), instance, day())
            .unwrap_err();
        assert!(err.contains("PPK role"), "{err}");
    }

    #[test]
    fn instance_names_are_listed_once_and_never_empty() {
        let blank = ["Kementerian Agama".to_owned(), " ".to_owned()];
        assert!(validate_instances(&blank).is_err());
        let twice = [
            "Kementerian Agama".to_owned(),
            "kementerian  agama".to_owned(),
        ];
        assert!(validate_instances(&twice).is_err());
        let padded = [" Kementerian Agama ".to_owned()];
        assert_eq!(validate_instances(&padded).unwrap(), ["Kementerian Agama"]);
    }
}
