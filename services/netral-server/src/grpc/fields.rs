//! Collecting field violations while parsing a request, so that one reply names every bad
//! field at once and nothing is written when any is bad.

use std::fmt::Display;

use chrono::NaiveDate;
use netral_domain::{AgencyId, CaseId};
use netral_proto::google::r#type::Date;
use uuid::Uuid;

use crate::error::{Error, FieldViolation};

/// Field violations found so far in one request.
#[derive(Debug, Default)]
pub struct Fields {
    /// Every violation, in the order found.
    violations: Vec<FieldViolation>,
}

impl Fields {
    /// Records a violation of `field`.
    pub fn violate(&mut self, field: &str, description: impl Into<String>) {
        self.violations.push(FieldViolation {
            field: field.to_owned(),
            description: description.into(),
        });
    }

    /// Keeps the value of another parser's result, or records its field violations here
    /// (an error other than bad input is passed on).
    pub fn absorb<T>(&mut self, result: Result<T, Error>) -> Result<Option<T>, Error> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(Error::Invalid(violations)) => {
                self.violations.extend(violations);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Whether any violation was recorded.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// `Ok` when the request is valid so far, otherwise every violation as `INVALID_ARGUMENT`.
    pub fn finish(self) -> Result<(), Error> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.violations))
        }
    }

    /// Keeps the value of a parse, or records its error against `field`.
    pub fn parse<T, E: Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.violate(field, e.to_string())).ok()
    }

    /// Required free text: trimmed, non-empty, at most `max_chars`, no control characters
    /// other than newlines and tabs.
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.violate(field, "is required");
        } else {
            self.check_text(field, trimmed, max_chars);
        }
        trimmed.to_owned()
    }

    /// Optional free text with the same limits as [`Fields::text`]; may be empty.
    pub fn optional_text(&mut self, field: &str, value: &str, max_chars: usize) -> String {
        let trimmed = value.trim();
        self.check_text(field, trimmed, max_chars);
        trimmed.to_owned()
    }

    fn check_text(&mut self, field: &str, value: &str, max_chars: usize) {
        let chars = value.chars().count();
        if chars > max_chars {
            self.violate(
                field,
                format!("must be at most {max_chars} characters, got {chars}"),
            );
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            self.violate(field, "must not contain control characters");
        }
        if let Some(c) = value.chars().find(|c| is_format_character(*c)) {
            self.violate(
                field,
                format!(
                    "must not contain invisible formatting characters (U+{:04X}): bidi \
                     overrides, zero-width and other Unicode format characters make a text \
                     read differently from what it says",
                    u32::from(c)
                ),
            );
        }
    }

    /// The caller's idempotency key: a UUID in canonical form.
    pub fn request_id(&mut self, field: &str, value: &str) -> Option<Uuid> {
        if value.is_empty() {
            self.violate(
                field,
                "is required: a UUID chosen by the caller, reused on retries",
            );
            return None;
        }
        match Uuid::try_parse(value) {
            Ok(id) if !id.is_nil() => Some(id),
            _ => {
                self.violate(
                    field,
                    "must be a UUID such as 0190f1c2-3c4d-7e5f-8a9b-0c1d2e3f4a5b",
                );
                None
            }
        }
    }

    /// A case resource name, `cases/{case_id}`.
    pub fn case_name(&mut self, field: &str, value: &str) -> Option<CaseId> {
        if value.is_empty() {
            self.violate(
                field,
                "is required: the case's resource name, cases/{case_id}",
            );
            return None;
        }
        let case = self.parse(field, CaseId::from_resource_name(value))?;
        // The call's span names the case it is about (a case id is no personal data).
        super::rpc_span::record_case(&case);
        Some(case)
    }

    /// The etag the caller read.
    pub fn etag(&mut self, field: &str, value: &str) -> Option<String> {
        if value.is_empty() {
            self.violate(field, "is required: the etag of the case as last read");
            None
        } else {
            Some(value.to_owned())
        }
    }

    /// An agency resource name, `agencies/{agency}`.
    pub fn agency_name(&mut self, field: &str, value: &str) -> Option<AgencyId> {
        match value.strip_prefix("agencies/") {
            Some(id) => self.parse(field, id.parse::<AgencyId>()),
            None => {
                self.violate(field, "must be an agency resource name, agencies/{agency}");
                None
            }
        }
    }

    /// A required calendar date.
    pub fn date(&mut self, field: &str, value: Option<&Date>) -> Option<NaiveDate> {
        let Some(d) = value else {
            self.violate(field, "is required");
            return None;
        };
        let date = u32::try_from(d.month)
            .ok()
            .zip(u32::try_from(d.day).ok())
            .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day));
        if date.is_none() {
            self.violate(
                field,
                "must be a real calendar date (year, month and day all set)",
            );
        }
        date
    }

    /// A required calendar date that has already come: on or before `today` (a separation
    /// reported for a day still to come would end a case on a promise).
    pub fn past_date(
        &mut self,
        field: &str,
        value: Option<&Date>,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let date = self.date(field, value)?;
        if date > today {
            self.violate(field, format!("must not be after today ({today})"));
            return None;
        }
        Some(date)
    }

    /// A required enum value: unknown numbers and the `UNSPECIFIED` zero are violations.
    pub fn enum_value<P, T>(
        &mut self,
        field: &str,
        raw: i32,
        map: impl FnOnce(P) -> Option<T>,
    ) -> Option<T>
    where
        P: TryFrom<i32>,
    {
        let mapped = P::try_from(raw).ok().and_then(map);
        if mapped.is_none() {
            self.violate(
                field,
                "is required: choose one of the enum's values other than UNSPECIFIED",
            );
        }
        mapped
    }
}

/// Unwraps values that a clean [`Fields`] guarantees are present.
pub fn present<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::Unexpected("a validated field was missing".into()))
}

/// The Unicode format characters (general category Cf, Unicode 15.1): invisible, they change
/// how a text is shown — a right-to-left override makes `SK-12/2024` display as another
/// number, a zero-width space makes two identical-looking names differ. None belongs in a
/// case exchanged between agencies' systems.
const FORMAT_CHARACTERS: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is a Unicode format character (see [`FORMAT_CHARACTERS`]).
pub fn is_format_character(c: char) -> bool {
    let c = u32::from(c);
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_refused_in_any_text() {
        for sneaky in [
            "SK-12/\u{202E}4202",
            "Budi\u{200B}Santoso",
            "\u{2066}catatan\u{2069}",
            "nama\u{00AD}",
            "tag\u{E0041}",
        ] {
            let mut f = Fields::default();
            f.text("note", sneaky, 100);
            assert!(!f.is_clean(), "{sneaky:?} must be refused");
        }
    }

    #[test]
    fn indonesian_names_and_text_pass() {
        let mut f = Fields::default();
        for fine in [
            "Siti Nur'aini, S.Pd.",
            "Pemerintah Kabupaten Hulu Sungai Selatan",
            "Catatan:\n\t— lihat lampiran ünïcode ✓",
        ] {
            f.text("note", fine, 100);
        }
        assert!(f.is_clean());
    }

    #[test]
    fn the_format_character_table_is_sorted_and_holds_the_bidi_controls() {
        assert!(
            FORMAT_CHARACTERS
                .windows(2)
                .all(|w| w[0].0 <= w[0].1 && w[0].1 < w[1].0)
        );
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200F}', '\u{FEFF}',
        ] {
            assert!(is_format_character(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{00A0}', 'é', '\u{2028}'] {
            assert!(!is_format_character(c), "{c:?}");
        }
    }
}
