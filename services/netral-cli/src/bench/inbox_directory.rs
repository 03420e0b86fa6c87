//! The directory `netral bench inbox` serves: the dev directory plus a Bawaslu office and a
//! regional government (as PPK) for every province, regency and city of the bundled
//! Kemendagri region list (about 1,100 agencies in all, the country's real count), so that
//! every stream the bench opens belongs to an agency of its own, as in production.

use std::fmt::Write as _;

use netral_domain::Catalogue;

/// The directory's TOML text with at least `agencies` agencies (the dev directory's first,
/// then two per region until the count is reached), and how many it holds.
pub fn directory(agencies: usize) -> anyhow::Result<(String, usize)> {
    let catalogue = Catalogue::bundled()?;
    let mut text = netral_server::directory::DEV_SEED.to_owned();
    let mut count = netral_server::directory::Directory::dev_seed()?.len();
    text.push_str(
        "\n# --- Added by `netral bench inbox`: one Bawaslu office and one PPK per region ---\n",
    );
    let regions = catalogue.regions.provinces().flat_map(|(province, name)| {
        std::iter::once((province, name.to_owned())).chain(
            catalogue
                .regions
                .regencies_in(province)
                .map(|(code, name)| (code, name.to_owned()))
                .collect::<Vec<_>>(),
        )
    });
    for (code, name) in regions {
        if count >= agencies {
            break;
        }
        let slug = code.to_string().replace('.', "-");
        for (kind, role, label) in [
            ("bawaslu", "BAWASLU", "Bawaslu"),
            ("ppk", "PPK", "Pemerintah"),
        ] {
            writeln!(
                text,
                "\n[[agencies]]\nid = \"bench-{kind}-{slug}\"\ndisplay_name = \"{label} {}\"\n\
                 region = \"{code}\"\n[[agencies.grants]]\nrole = \"{role}\"\nfrom = 2018-01-01",
                name.replace('"', "'")
            )?;
            count += 1;
        }
    }
    Ok((text, count))
}

/// Every agency id of a directory's TOML text, in order.
pub fn ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("id = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_directory_is_a_valid_directory_of_the_asked_size() {
        let (text, count) = directory(1100).unwrap();
        let parsed = netral_server::directory::Directory::parse(&text, "bench").unwrap();
        assert_eq!(parsed.len(), count);
        assert!((1100..1102).contains(&count), "{count}");
        assert_eq!(ids(&text).len(), count);
        let regions = netral_domain::Catalogue::bundled().unwrap().regions;
        parsed.check_regions(&regions).unwrap();
    }
}
