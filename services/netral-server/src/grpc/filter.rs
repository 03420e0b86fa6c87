//! The `filter` and `page_token` of `ListCases`: a small conjunction language
//! (`state = CASE_STATE_FORWARDED AND region_code = "63"`) and opaque keyset cursors bound
//! to the filter they were issued for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use netral_domain::catalogue::ElectionKind;
use netral_domain::policy::{self, AgencyProfile};
use netral_domain::state::CaseState;
use netral_domain::{AgencyId, CaseId, RegionCode};
use netral_proto::v1 as pb;
use netral_store::{CaseQuery, Visibility};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// What a `ListCases` filter asks for; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// Only cases in this region or, for a province, its regencies.
    pub region: Option<RegionCode>,
    /// Only cases of this election kind.
    pub election_kind: Option<ElectionKind>,
    /// Only cases of this election year.
    pub election_year: Option<i32>,
    /// Only cases examined by this agency.
    pub examiner: Option<AgencyId>,
    /// Only cases addressed to this PPK.
    pub ppk: Option<AgencyId>,
    /// Only cases registered by this office.
    pub reporting_office: Option<AgencyId>,
    /// Only cases under this registration number (the cases of one report share it).
    pub registration_number: Option<String>,
    /// Only cases changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Which cases `profile` may list and count on `today` (the policy's list scope, as the
/// store's visibility).
pub fn visibility(profile: &AgencyProfile, today: NaiveDate) -> Visibility {
    Visibility::Scope(policy::list_scope(profile, today))
}

/// The store query of the cases `visible_to` may see that match `wanted`: every one of
/// them (set `before_id`, `limit` and `view` for a page).
pub fn case_query(wanted: CaseFilter, visible_to: Visibility) -> CaseQuery {
    CaseQuery {
        state: wanted.state,
        region_prefix: wanted.region,
        election_kind: wanted.election_kind,
        election_year: wanted.election_year,
        examiner: wanted.examiner,
        ppk: wanted.ppk,
        reporting_office: wanted.reporting_office,
        registration_number: wanted.registration_number,
        updated_since: wanted.updated_since,
        ..CaseQuery::new(visible_to, u64::MAX)
    }
}

fn bad(description: impl Into<String>) -> Error {
    Error::invalid("filter", description)
}

/// `value` without surrounding whitespace and double quotes.
pub(crate) fn unquote(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

fn agency(value: &str) -> Result<AgencyId, Error> {
    let name = unquote(value);
    name.strip_prefix("agencies/")
        .ok_or_else(|| {
            bad(format!(
                "`{name}` is not an agency name agencies/{{agency}}"
            ))
        })?
        .parse()
        .map_err(|e| bad(format!("`{name}`: {e}")))
}

/// The longest filter expression accepted, in bytes: far above any real one (every field
/// once), so that a request's work stays bounded.
pub const MAX_FILTER_BYTES: usize = 1024;

/// The most `AND`ed terms a filter may hold: each field at most once.
pub const MAX_FILTER_TERMS: usize = 12;

/// The terms of a filter expression (`a = 1 AND b >= 2`), bounded: at most
/// [`MAX_FILTER_TERMS`] terms in at most [`MAX_FILTER_BYTES`] bytes, each field and operator
/// at most once (`create_time >= …` and `create_time < …` together are a range; a field
/// given twice with one operator is ambiguous, and would make the cap a cap on nothing).
pub(crate) fn terms(filter: &str) -> Result<Vec<&str>, Error> {
    if filter.len() > MAX_FILTER_BYTES {
        return Err(bad(format!(
            "longer than {MAX_FILTER_BYTES} bytes; a filter names each field at most once"
        )));
    }
    if filter.trim().is_empty() {
        return Ok(Vec::new());
    }
    let terms: Vec<&str> = filter.split(" AND ").collect();
    if terms.len() > MAX_FILTER_TERMS {
        return Err(bad(format!(
            "{} terms; at most {MAX_FILTER_TERMS}, each field at most once",
            terms.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for term in &terms {
        let op_at = term.find(['=', '>', '<']).unwrap_or(term.len());
        let field = term[..op_at].trim();
        let op: String = term[op_at..]
            .chars()
            .take_while(|c| matches!(c, '=' | '>' | '<'))
            .collect();
        if !field.is_empty() && !seen.insert((field, op)) {
            return Err(bad(format!("`{field}` is given more than once")));
        }
    }
    Ok(terms)
}

/// Parses a filter expression; the empty string matches everything.
pub fn parse(filter: &str) -> Result<CaseFilter, Error> {
    let mut out = CaseFilter::default();
    for term in terms(filter)? {
        let (key, op, value) = if let Some((k, v)) = term.split_once(">=") {
            (k.trim(), ">=", v)
        } else if let Some((k, v)) = term.split_once('=') {
            (k.trim(), "=", v)
        } else {
            return Err(bad(format!(
                "`{}` is not a `field = value` term",
                term.trim()
            )));
        };
        match (key, op) {
            ("state", "=") => {
                let v = unquote(value);
                let state = pb::CaseState::from_str_name(v)
                    .filter(|s| *s != pb::CaseState::Unspecified)
                    .and_then(|s| {
                        s.as_str_name()
                            .strip_prefix("CASE_STATE_")
                            .map(str::to_owned)
                    })
                    .and_then(|s| s.parse::<CaseState>().ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "`{v}` is not a case state such as CASE_STATE_FORWARDED"
                        ))
                    })?;
                out.state = Some(state);
            }
            ("region_code", "=") => {
                let v = unquote(value);
                out.region = Some(
                    v.parse()
                        .map_err(|e| bad(format!("region_code `{v}`: {e}")))?,
                );
            }
            ("election.kind", "=") => {
                let v = unquote(value);
                out.election_kind = Some(match pb::ElectionKind::from_str_name(v) {
                    Some(pb::ElectionKind::Pemilu) => ElectionKind::Pemilu,
                    Some(pb::ElectionKind::Pilkada) => ElectionKind::Pilkada,
                    _ => {
                        return Err(bad(format!(
                            "`{v}` is not ELECTION_KIND_PEMILU or ELECTION_KIND_PILKADA"
                        )));
                    }
                });
            }
            ("election.year", "=") => {
                let v = unquote(value);
                out.election_year =
                    Some(v.parse().map_err(|_| bad(format!("`{v}` is not a year")))?);
            }
            ("examiner", "=") => out.examiner = Some(agency(value)?),
            ("ppk", "=") => out.ppk = Some(agency(value)?),
            ("reporting_office", "=") => out.reporting_office = Some(agency(value)?),
            ("registration_number", "=") => {
                let v = unquote(value);
                if v.is_empty() {
                    return Err(bad("registration_number must not be empty"));
                }
                out.registration_number = Some(v.to_owned());
            }
            ("update_time", ">=") => {
                let v = unquote(value);
                let at = DateTime::parse_from_rfc3339(v).map_err(|_| {
                    bad(format!(
                        "`{v}` is not an RFC 3339 time such as \"2024-08-24T00:00:00Z\""
                    ))
                })?;
                out.updated_since = Some(at.with_timezone(&Utc));
            }
            (k, o) => {
                return Err(bad(format!(
                    "`{k} {o}` is not supported; use state, region_code, election.kind, election.year, examiner, ppk, reporting_office, registration_number with `=`, or update_time with `>=`"
                )));
            }
        }
    }
    Ok(out)
}

fn filter_digest(filter: &str) -> String {
    hex::encode(&Sha256::digest(filter.trim().as_bytes())[..8])
}

/// The opaque token that continues a listing after `cursor` (the last item served), bound
/// to `filter`.
pub fn cursor_token(cursor: &str, filter: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("1|{cursor}|{}", filter_digest(filter)))
}

/// The cursor a page token continues after, parsed by `parse`; a token from another filter
/// or listing is rejected.
pub fn parse_cursor_token<T>(
    token: &str,
    filter: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, Error> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        Error::invalid(
            "page_token",
            "not a page token of this listing; start again without it",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split('|');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("1"), Some(cursor), Some(digest), None) if digest == filter_digest(filter) => {
            parse(cursor).map(Some).ok_or_else(invalid)
        }
        (Some("1"), Some(_), Some(_), None) => Err(Error::invalid(
            "page_token",
            "this page token was issued for a different filter",
        )),
        _ => Err(invalid()),
    }
}

/// The opaque token that continues a listing after `last`, bound to `filter`.
pub fn page_token(last: CaseId, filter: &str) -> String {
    cursor_token(&last.to_string(), filter)
}

/// The case a page token continues after; a token from another filter is rejected.
pub fn parse_page_token(token: &str, filter: &str) -> Result<Option<CaseId>, Error> {
    parse_cursor_token(token, filter, |id| id.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_holds_each_field_once_and_at_most_its_bound() {
        let many = vec!["region_code = \"63\""; 2000].join(" AND ");
        let err = parse(&many).unwrap_err().to_string();
        assert!(err.contains("filter"), "{err}");
        let twice = "region_code = \"63\" AND region_code = \"15\"";
        assert!(parse(twice).is_err());
        let long = format!("region_code = \"{}\"", "6".repeat(MAX_FILTER_BYTES));
        assert!(parse(&long).is_err());
        // A range is one field with two operators.
        let range =
            "create_time >= \"2024-01-01T00:00:00Z\" AND create_time < \"2025-01-01T00:00:00Z\"";
        assert!(terms(range).is_ok_and(|t| t.len() == 2));
    }

    #[test]
    fn a_conjunction_of_terms_parses() {
        let f = parse(r#"state = CASE_STATE_SANCTION_RECOMMENDED AND region_code = "63" AND ppk = "agencies/pemkab-kotabaru" AND update_time >= "2024-08-24T00:00:00Z""#).unwrap();
        assert_eq!(f.state, Some(CaseState::SanctionRecommended));
        assert_eq!(f.region, Some("63".parse().unwrap()));
        assert_eq!(f.ppk, Some("pemkab-kotabaru".parse().unwrap()));
        assert!(f.updated_since.is_some());
    }

    #[test]
    fn a_registration_number_term_keeps_the_number_verbatim() {
        let f = parse(r#"registration_number = "007/Reg/LP/PB/Kab/22.02/IX/2024" AND reporting_office = "agencies/bawaslu-kotabaru""#).unwrap();
        assert_eq!(
            f.registration_number.as_deref(),
            Some("007/Reg/LP/PB/Kab/22.02/IX/2024")
        );
        assert_eq!(
            f.reporting_office,
            Some("bawaslu-kotabaru".parse().unwrap())
        );
        assert!(matches!(
            parse(r#"registration_number = """#),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn the_refusal_of_an_unknown_field_lists_the_supported_ones() {
        let Err(Error::Invalid(violations)) = parse("colour = red") else {
            panic!("refused");
        };
        let text = format!("{violations:?}");
        for field in [
            "state",
            "region_code",
            "election.kind",
            "election.year",
            "examiner",
            "ppk",
            "reporting_office",
            "registration_number",
            "update_time",
        ] {
            assert!(text.contains(field), "{field} in {text}");
        }
    }

    #[test]
    fn unknown_fields_and_values_are_rejected() {
        for bad in [
            "colour = red",
            "state = FORWARDED",
            "region_code = 6",
            "update_time >= yesterday",
            "state",
        ] {
            assert!(matches!(parse(bad), Err(Error::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn page_tokens_are_bound_to_their_filter() {
        let id = CaseId::new();
        let token = page_token(id, "state = CASE_STATE_FORWARDED");
        assert_eq!(
            parse_page_token(&token, "state = CASE_STATE_FORWARDED").unwrap(),
            Some(id)
        );
        assert!(parse_page_token(&token, "").is_err());
        assert!(parse_page_token("garbage", "").is_err());
    }
}
