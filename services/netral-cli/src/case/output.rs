//! A case, or a page of cases, as people read it (one `field  value` line each; a page as
//! aligned columns) or as scripts read it (the proto3 JSON of `netral.v1.Case` or
//! `netral.v1.ListCasesResponse`, with the proto field names).

use std::io::Write;

use netral_proto::v1 as pb;

use super::Output;
use super::parse::{short, show_date};
use crate::protojson;
use crate::stats::print_table;

/// Prints one case.
pub fn case(case: &pb::Case, output: Output, out: &mut dyn Write) -> anyhow::Result<()> {
    match output {
        Output::Json => protojson::write("netral.v1.Case", case, out),
        Output::Table => {
            let rows: Vec<Vec<String>> = case_rows(case)
                .into_iter()
                .filter(|(_, value)| !value.is_empty())
                .map(|(field, value)| vec![field.to_owned(), value])
                .collect();
            print_table(&rows, 2, out)
        }
    }
}

/// Prints a page of cases and, when there is more, how to get it.
pub fn page(
    page: &pb::ListCasesResponse,
    output: Output,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if output == Output::Json {
        return protojson::write("netral.v1.ListCasesResponse", page, out);
    }
    let mut rows = vec![
        [
            "name",
            "state",
            "region",
            "registration_number",
            "examiner",
            "ppk",
            "deadline",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    rows.extend(page.cases.iter().map(|case| {
        vec![
            case.name.clone(),
            state(case).to_owned(),
            case.region_code.clone(),
            case.registration_number.clone(),
            agency(&case.examiner).to_owned(),
            agency(&case.ppk).to_owned(),
            open_deadline(case),
        ]
    }));
    print_table(&rows, 7, out)?;
    if !page.next_page_token.is_empty() {
        writeln!(
            out,
            "more: --page-token {} (or --all)",
            page.next_page_token
        )?;
    }
    Ok(())
}

/// A case's state without its prefix, `FORWARDED`.
pub fn state(case: &pb::Case) -> &'static str {
    short(case.state().as_str_name(), "CASE_STATE_")
}

/// An agency's id from its resource name.
fn agency(name: &str) -> &str {
    name.strip_prefix("agencies/").unwrap_or(name)
}

/// The first open deadline: `PPK_ACTION pemkab-kotabaru 2024-03-11`.
pub fn open_deadline(case: &pb::Case) -> String {
    case.deadlines
        .iter()
        .find(|d| d.status() == pb::DeadlineStatus::Open)
        .map_or_else(String::new, |d| {
            format!(
                "{} {} {}",
                short(d.step().as_str_name(), "DEADLINE_STEP_"),
                agency(&d.agency),
                show_date(d.due_date.as_ref())
            )
        })
}

/// The `field  value` lines of one case (empty values are left out when printed).
fn case_rows(case: &pb::Case) -> Vec<(&'static str, String)> {
    let subject = case.subject.as_ref().map_or_else(String::new, |s| {
        let kind = short(s.id_kind().as_str_name(), "SUBJECT_ID_KIND_");
        if s.erased {
            format!("(erased) {kind}, {}", s.employing_instance)
        } else {
            format!(
                "{kind} {} {}, {}, {}",
                s.id, s.full_name, s.position, s.employing_instance
            )
        }
    });
    let election = case.election.as_ref().map_or_else(String::new, |e| {
        format!(
            "{} {} ({})",
            short(e.kind().as_str_name(), "ELECTION_KIND_"),
            e.year,
            short(e.phase().as_str_name(), "ELECTION_PHASE_")
        )
    });
    let recommendation = case.recommendation.as_ref().map_or_else(String::new, |r| {
        let moral = match r.moral_sanction() {
            pb::MoralSanction::Unspecified => String::new(),
            moral => format!(" + {}", short(moral.as_str_name(), "MORAL_SANCTION_")),
        };
        let level = short(r.level().as_str_name(), "SANCTION_LEVEL_");
        format!("{level}{moral}, letter {}", r.letter_number)
    });
    let sanctions: Vec<String> = case
        .imposed_sanctions
        .iter()
        .map(|s| {
            let date = show_date(s.decree_date.as_ref());
            format!("{} (SK {}, {date})", s.code, s.decree_number)
        })
        .collect();
    let outcome = case.outcome.as_ref().map_or_else(String::new, |o| {
        [o.rationale.as_str(), o.registry_reference.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    });
    let deadlines: Vec<String> = case
        .deadlines
        .iter()
        .map(|d| {
            format!(
                "{} {} due {} {}",
                short(d.step().as_str_name(), "DEADLINE_STEP_"),
                agency(&d.agency),
                show_date(d.due_date.as_ref()),
                short(d.status().as_str_name(), "DEADLINE_STATUS_")
            )
        })
        .collect();
    vec![
        ("name", case.name.clone()),
        ("state", state(case).to_owned()),
        ("registration_number", case.registration_number.clone()),
        (
            "reporting_office",
            agency(&case.reporting_office).to_owned(),
        ),
        ("subject", subject),
        ("region_code", case.region_code.clone()),
        ("election", election),
        ("violation_form", case.violation_form.to_string()),
        ("legal_basis", case.legal_basis.clone()),
        ("examiner", agency(&case.examiner).to_owned()),
        ("ppk", agency(&case.ppk).to_owned()),
        ("forward_letter", case.forward_letter_number.clone()),
        ("recommendation", recommendation),
        ("sanctions", sanctions.join("; ")),
        ("outcome", outcome),
        (
            "blocked",
            if case.personnel_data_blocked {
                "yes".into()
            } else {
                String::new()
            },
        ),
        ("deadlines", deadlines.join("; ")),
        (
            "counts",
            format!(
                "{} notes, {} attachments, {} escalations",
                case.note_count, case.attachment_count, case.escalation_count
            ),
        ),
        ("related_cases", case.related_cases.join(", ")),
        ("etag", case.etag.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_prints_one_aligned_line_per_case_and_json_uses_proto_names() {
        let case = pb::Case {
            name: "cases/0190f1c2-7a3b-7cde-8f01-23456789abcd".into(),
            state: pb::CaseState::Forwarded as i32,
            region_code: "63.02".into(),
            registration_number: "001/Reg".into(),
            examiner: "agencies/bkn".into(),
            ppk: "agencies/pemkab-kotabaru".into(),
            ..Default::default()
        };
        let listing = pb::ListCasesResponse {
            cases: vec![case.clone()],
            next_page_token: String::new(),
        };
        let mut out = Vec::new();
        page(&listing, Output::Table, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[1].contains("FORWARDED") && lines[1].contains("pemkab-kotabaru"));

        let mut out = Vec::new();
        page(&listing, Output::Json, &mut out).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["cases"][0]["registration_number"], "001/Reg");

        let mut out = Vec::new();
        self::case(&case, Output::Table, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with("examiner") && l.ends_with("bkn"))
        );
    }
}
