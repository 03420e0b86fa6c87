//! Values of the `netral case` flags, parsed once while the command line is read: the
//! contract's enums by their short name (`severe`, `open-statement`) or their full wire name
//! (`SANCTION_LEVEL_SEVERE`), and calendar dates (`2024-03-19`).

use chrono::{Datelike, NaiveDate};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;

/// An enum value named `text` (short or full) of an enum whose wire names start `prefix`.
fn wire_enum<E>(prefix: &str, text: &str, from: fn(&str) -> Option<E>) -> Result<E, String> {
    let upper = text.trim().to_uppercase().replace('-', "_");
    let full = if upper.starts_with(prefix) {
        upper
    } else {
        format!("{prefix}{upper}")
    };
    match from(&full) {
        Some(value) if !full.ends_with("_UNSPECIFIED") => Ok(value),
        _ => Err(format!("`{text}` is not one of the {prefix}* values")),
    }
}

/// `light`, `medium`, `severe` or `dishonourable-dismissal`.
pub fn level(text: &str) -> Result<pb::SanctionLevel, String> {
    wire_enum("SANCTION_LEVEL_", text, pb::SanctionLevel::from_str_name)
}

/// `closed-statement` or `open-statement`.
pub fn moral(text: &str) -> Result<pb::MoralSanction, String> {
    wire_enum("MORAL_SANCTION_", text, pb::MoralSanction::from_str_name)
}

/// `duplicate`, `withdrawn` or `other`.
pub fn cancel_reason(text: &str) -> Result<pb::CancelReason, String> {
    wire_enum("CANCEL_REASON_", text, pb::CancelReason::from_str_name)
}

/// `retired`, `resigned`, `died` or `dismissed-otherwise`.
pub fn separation(text: &str) -> Result<pb::SeparationReason, String> {
    wire_enum(
        "SEPARATION_REASON_",
        text,
        pb::SeparationReason::from_str_name,
    )
}

/// `basic` or `full`.
pub fn view(text: &str) -> Result<pb::CaseView, String> {
    wire_enum("CASE_VIEW_", text, pb::CaseView::from_str_name)
}

/// A calendar date, `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<Date, String> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date YYYY-MM-DD"))?;
    Ok(wire_date(day))
}

/// A date on the wire.
pub fn wire_date(day: NaiveDate) -> Date {
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// A wire date as `YYYY-MM-DD` (empty when unset).
pub fn show_date(date: Option<&Date>) -> String {
    date.map_or_else(String::new, |d| {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    })
}

/// An enum's wire name without its `prefix` (`CASE_STATE_FORWARDED` as `FORWARDED`).
pub fn short<'a>(name: &'a str, prefix: &str) -> &'a str {
    name.strip_prefix(prefix).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_read_by_short_or_full_name_but_never_unspecified() {
        assert_eq!(level("severe"), Ok(pb::SanctionLevel::Severe));
        assert_eq!(
            level("dishonourable-dismissal"),
            Ok(pb::SanctionLevel::DishonourableDismissal)
        );
        assert_eq!(level("SANCTION_LEVEL_LIGHT"), Ok(pb::SanctionLevel::Light));
        assert!(level("unspecified").is_err());
        assert!(level("harsh").is_err());
        assert_eq!(
            moral("open-statement"),
            Ok(pb::MoralSanction::OpenStatement)
        );
        assert_eq!(cancel_reason("withdrawn"), Ok(pb::CancelReason::Withdrawn));
        assert_eq!(separation("died"), Ok(pb::SeparationReason::Died));
        assert_eq!(view("full"), Ok(pb::CaseView::Full));
    }

    #[test]
    fn dates_read_as_iso_days() {
        let day = date("2024-03-19").unwrap();
        assert_eq!((day.year, day.month, day.day), (2024, 3, 19));
        assert_eq!(show_date(Some(&day)), "2024-03-19");
        assert!(date("19/03/2024").is_err());
        assert!(date("2024-02-30").is_err());
    }
}
