//! Indonesia's provinces and regencies/cities with their Kemendagri codes and names, to check a
//! [`RegionCode`] against real regions and to name regions in outputs. Data: idn-area-data
//! 4.0.1, ODbL 1.0 (see `data/regions/LICENSE-ODbL.md`).

use std::collections::BTreeMap;

use super::CatalogueError;
use super::table::DataFile;
use crate::RegionCode;

/// The real provinces and regencies/cities, checked consistent on load: codes unique, every
/// regency inside a listed province and its code starting with that province's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCatalogue {
    /// Every region's name by code; a province sorts just before its regencies.
    names: BTreeMap<RegionCode, String>,
    /// How many entries of `names` are provinces.
    provinces: usize,
}

impl RegionCatalogue {
    /// The official name of a region, e.g. `Kabupaten Kotabaru` for `63.02`.
    pub fn name(&self, code: &RegionCode) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }

    /// Whether the code names a real province or regency/city.
    pub fn contains(&self, code: &RegionCode) -> bool {
        self.names.contains_key(code)
    }

    /// How many regions there are, provinces and regencies/cities together.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many provinces there are.
    pub fn province_count(&self) -> usize {
        self.provinces
    }

    /// How many regencies and cities there are.
    pub fn regency_count(&self) -> usize {
        self.names.len() - self.provinces
    }

    /// Every province with its name, by code.
    pub fn provinces(&self) -> impl Iterator<Item = (RegionCode, &str)> + '_ {
        self.names
            .iter()
            .filter(|(c, _)| c.is_province())
            .map(|(c, n)| (*c, n.as_str()))
    }

    /// The regencies and cities of `province` (or of the province containing it), by code.
    pub fn regencies_in(
        &self,
        province: RegionCode,
    ) -> impl Iterator<Item = (RegionCode, &str)> + '_ {
        let province = province.to_province();
        self.names
            .range(province..)
            .skip_while(|(c, _)| c.is_province())
            .take_while(move |(c, _)| c.province_code() == province.province_code())
            .map(|(c, n)| (*c, n.as_str()))
    }

    /// Parses and validates `regions/id-provinces.csv` (`code,name`) and
    /// `regions/id-regencies.csv` (`code,province_code,name`).
    pub(crate) fn from_csv(
        province_file: &DataFile,
        regency_file: &DataFile,
    ) -> Result<Self, CatalogueError> {
        let mut names = BTreeMap::new();
        for row in province_file.rows(&["code", "name"])? {
            let code: RegionCode = row.parse("code", str::parse)?;
            if !code.is_province() {
                return Err(row.error("code", format!("{code} is a regency code, not a province")));
            }
            if names.insert(code, row.text("name")?.to_owned()).is_some() {
                return Err(row.error("code", format!("{code} is listed twice")));
            }
        }
        let provinces = names.len();

        for row in regency_file.rows(&["code", "province_code", "name"])? {
            let code: RegionCode = row.parse("code", str::parse)?;
            let province: RegionCode = row.parse("province_code", str::parse)?;
            if !province.is_province() {
                return Err(row.error(
                    "province_code",
                    format!("{province} is not a province code"),
                ));
            }
            if !names.contains_key(&province) {
                return Err(row.error(
                    "province_code",
                    format!("province {province} is not in {}", province_file.name),
                ));
            }
            if code.is_province() {
                return Err(row.error("code", format!("{code} is a province code, not a regency")));
            }
            if !province.covers(&code) {
                return Err(row.error("code", format!("{code} is not in province {province}")));
            }
            if names.insert(code, row.text("name")?.to_owned()).is_some() {
                return Err(row.error("code", format!("{code} is listed twice")));
            }
        }
        Ok(Self { names, provinces })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn code(s: &str) -> RegionCode {
        s.parse().unwrap()
    }

    #[test]
    fn the_regions_of_the_seed_stories_are_named() {
        let regions = Catalogue::bundled().unwrap().regions;
        assert_eq!(
            regions.name(&code("63.06")),
            Some("Kabupaten Hulu Sungai Selatan")
        );
        assert_eq!(regions.name(&code("63.71")), Some("Kota Banjarmasin"));
        assert_eq!(regions.name(&code("15.04")), Some("Kabupaten Batanghari"));
        assert_eq!(
            regions.name(&code("16.09")),
            Some("Kabupaten Ogan Komering Ulu Selatan")
        );
        assert!(regions.contains(&code("63")));
        assert!(!regions.contains(&code("63.99")));
        assert!(!regions.contains(&code("20")));
    }

    #[test]
    fn a_province_lists_its_regencies() {
        let regions = Catalogue::bundled().unwrap().regions;
        let kalsel: Vec<RegionCode> = regions
            .regencies_in(code("63.02"))
            .map(|(c, _)| c)
            .collect();
        assert_eq!(kalsel.len(), 13);
        assert_eq!(kalsel.first(), Some(&code("63.01")));
        assert_eq!(kalsel.last(), Some(&code("63.72")));
        assert_eq!(regions.provinces().count(), 38);
        let total: usize = regions
            .provinces()
            .map(|(p, _)| regions.regencies_in(p).count())
            .sum();
        assert_eq!(total, regions.regency_count());
    }
}
