//! The `filter` and `page_token` of `ListAuditEvents`: terms joined by ` AND `
//! (`case = "cases/…" AND outcome = "DENIED" AND create_time >= "2024-01-01T00:00:00Z"`),
//! and cursors holding the last sequence served, bound to the filter they were issued for.

use chrono::{DateTime, Utc};
use netral_domain::{AgencyId, CaseId};
use netral_store::audit::AuditFilter;

use super::filter::unquote;
use crate::error::Error;

fn bad(description: impl Into<String>) -> Error {
    Error::invalid("filter", description)
}

fn time(value: &str) -> Result<DateTime<Utc>, Error> {
    let v = unquote(value);
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            bad(format!(
                "`{v}` is not an RFC 3339 time such as \"2024-08-24T00:00:00Z\""
            ))
        })
}

/// Parses a case name `cases/{uuid}`.
pub fn case_name(value: &str) -> Result<CaseId, Error> {
    let v = unquote(value);
    v.strip_prefix("cases/")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| bad(format!("`{v}` is not a case name cases/{{case_id}}")))
}

/// Parses a filter expression; the empty string matches every event.
pub fn parse(filter: &str) -> Result<AuditFilter, Error> {
    let mut out = AuditFilter::default();
    for term in super::filter::terms(filter)? {
        let (key, op, value) = [">=", "<", "="]
            .iter()
            .find_map(|op| term.split_once(op).map(|(k, v)| (k.trim(), *op, v)))
            .ok_or_else(|| bad(format!("`{}` is not a `field = value` term", term.trim())))?;
        match (key, op) {
            ("case", "=") => out.case_id = Some(case_name(value)?),
            ("actor", "=") => {
                let v = unquote(value);
                let id: AgencyId = v
                    .strip_prefix("agencies/")
                    .and_then(|a| a.parse().ok())
                    .ok_or_else(|| {
                        bad(format!("`{v}` is not an agency name agencies/{{agency}}"))
                    })?;
                out.actor = Some(id.as_str().to_owned());
            }
            ("action", "=") => out.action = Some(unquote(value).to_owned()),
            ("outcome", "=") => {
                let v = unquote(value);
                let known = ["SUCCESS", "DENIED", "UNAUTHENTICATED", "ALERT"];
                let name = v.strip_prefix("AUDIT_OUTCOME_").unwrap_or(v);
                if !known.contains(&name) {
                    return Err(bad(format!(
                        "`{v}` is not an outcome: SUCCESS, DENIED, UNAUTHENTICATED or ALERT"
                    )));
                }
                out.outcome = Some(name.to_owned());
            }
            ("create_time", ">=") => out.since = Some(time(value)?),
            ("create_time", "<") => out.until = Some(time(value)?),
            (k, o) => {
                return Err(bad(format!(
                    "`{k} {o}` is not supported; use case, actor, action, outcome with `=`, or create_time with `>=` and `<`"
                )));
            }
        }
    }
    Ok(out)
}

/// The token continuing after `sequence` under `filter`.
pub fn page_token(sequence: u64, filter: &str) -> String {
    super::filter::cursor_token(&sequence.to_string(), filter)
}

/// The sequence a token continues after; the token must come from the same filter.
pub fn parse_page_token(token: &str, filter: &str) -> Result<Option<u64>, Error> {
    super::filter::parse_cursor_token(token, filter, |s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_supported_term() {
        let f = parse(
            "case = \"cases/0b5f3c6e-1d2a-4e8b-9c7d-2f1e3a4b5c6d\" AND actor = \"agencies/bkn\" \
             AND action = \"FORWARD\" AND outcome = \"DENIED\" \
             AND create_time >= \"2024-01-01T00:00:00Z\" AND create_time < \"2024-02-01T00:00:00Z\"",
        )
        .unwrap();
        assert!(f.case_id.is_some());
        assert_eq!(f.actor.as_deref(), Some("bkn"));
        assert_eq!(f.action.as_deref(), Some("FORWARD"));
        assert_eq!(f.outcome.as_deref(), Some("DENIED"));
        assert!(f.since.unwrap() < f.until.unwrap());
    }

    #[test]
    fn refuses_what_it_does_not_know_with_a_field_violation() {
        for bad in [
            "case = \"x\"",
            "actor = \"bkn\"",
            "outcome = \"MAYBE\"",
            "create_time >= \"yesterday\"",
            "sequence = 3",
            "nonsense",
        ] {
            assert!(matches!(parse(bad), Err(Error::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn a_token_only_continues_its_own_filter() {
        let token = page_token(41, "action = \"FORWARD\"");
        assert_eq!(
            parse_page_token(&token, "action = \"FORWARD\"").unwrap(),
            Some(41)
        );
        assert!(parse_page_token(&token, "").is_err());
        assert!(parse_page_token("garbage", "").is_err());
        assert_eq!(parse_page_token("", "").unwrap(), None);
    }
}
