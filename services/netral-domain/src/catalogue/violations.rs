//! The 13 forms of neutrality violation listed by the joint decree (SKB) of 22 Sep 2022, each
//! with its default discipline track. The mapping from form to track is reported practice
//! (Kompas, Nov 2023), not law, so it ships as data an operator may change.

use std::collections::BTreeMap;

use super::table::DataFile;
use super::{CatalogueError, SanctionTrack};

/// The forms the 2022 joint decree lists, numbered `1..=FORM_COUNT`.
const FORM_COUNT: u8 = 13;

/// One form of violation of the 2022 joint decree.
///
/// Every form has **two tracks**. The *ethics track* (a moral sanction under PP 42/2004, see
/// [`super::MoralSanction`]) applies to every form alike, so it is not a column of the data
/// file: [`ViolationForm::has_ethics_track`] states it. The *discipline track* differs per form:
/// its default is [`ViolationForm::default_track`], and the examiner may recommend otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationForm {
    /// The form's number in the decree, 1 to 13; the 13th is "other forms".
    pub number: u8,
    /// Stable code stored in cases and sent on the wire, e.g. `SOCIAL_MEDIA_ENGAGEMENT`.
    pub code: String,
    /// Human description of the conduct.
    pub title: String,
    /// The discipline track this form leads to unless the examiner decides otherwise.
    pub default_track: SanctionTrack,
}

impl ViolationForm {
    /// Whether a moral sanction (ethics track) accompanies the discipline track: always, for
    /// every form of the 2022 decree. Callers ask rather than assume, so the rule has one home.
    pub fn has_ethics_track(&self) -> bool {
        true
    }
}

/// The 13 forms, checked complete on load (exactly numbers 1 to 13, codes unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationCatalogue {
    /// Ordered by number.
    forms: Vec<ViolationForm>,
}

impl ViolationCatalogue {
    /// The form with this number (1 to 13).
    pub fn form(&self, number: u8) -> Option<&ViolationForm> {
        self.forms.iter().find(|f| f.number == number)
    }

    /// The form with this code.
    pub fn by_code(&self, code: &str) -> Option<&ViolationForm> {
        self.forms.iter().find(|f| f.code == code)
    }

    /// Every form, by number.
    pub fn iter(&self) -> impl Iterator<Item = &ViolationForm> + '_ {
        self.forms.iter()
    }

    /// How many forms there are (13 once loaded).
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether there are none (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// Parses and validates `violation-forms.csv`.
    pub(crate) fn from_csv(file: &DataFile) -> Result<Self, CatalogueError> {
        let mut by_number = BTreeMap::new();
        let mut codes = BTreeMap::new();
        for row in file.rows(&["number", "code", "title", "default_track"])? {
            let number = row.number("number", 1..=FORM_COUNT)?;
            let code = row.code("code")?;
            if by_number.contains_key(&number) {
                return Err(row.error("number", format!("form {number} is listed twice")));
            }
            if let Some(other) = codes.insert(code.clone(), number) {
                return Err(row.error("code", format!("{code} is already form {other}")));
            }
            let form = ViolationForm {
                number,
                code,
                title: row.text("title")?.to_owned(),
                default_track: row.parse("default_track", str::parse)?,
            };
            by_number.insert(number, form);
        }
        let missing: Vec<String> = (1..=FORM_COUNT)
            .filter(|n| !by_number.contains_key(n))
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(CatalogueError::in_file(
                &file.name,
                Some("number"),
                format!(
                    "missing form {} (the joint decree lists forms 1 to {FORM_COUNT})",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Self {
            forms: by_number.into_values().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue::{Catalogue, SanctionLevel};

    #[test]
    fn forms_are_found_by_number_and_code() {
        let cat = Catalogue::bundled().unwrap();
        let liking = cat.violations.form(6).unwrap();
        assert_eq!(liking.code, "SOCIAL_MEDIA_ENGAGEMENT");
        assert_eq!(liking.default_track.level(), Some(SanctionLevel::Severe));
        assert_eq!(
            cat.violations.by_code("PARTY_MEMBERSHIP").unwrap().number,
            5
        );
        assert!(cat.violations.form(0).is_none());
        assert!(cat.violations.form(14).is_none());
        assert!(!cat.violations.is_empty());
    }
}
