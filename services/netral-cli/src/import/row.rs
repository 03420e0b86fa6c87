//! One CSV line of a history file → one `PastCase` row of `ImportService.ImportCases`. The
//! CSV format (one column per field, a header row naming them, ISO 8601 dates) is documented
//! in docs/OPERATIONS.md, "Bringing in the history"; [`COLUMNS`] lists the columns in order.
//! What the client can check without the server (a date that is no date, an unknown enum name,
//! a number that is no number) is refused here with the line and the column; everything else
//! is the server's to judge, with the same rules as a live case.

use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;
use uuid::Uuid;

/// The columns of a history CSV, in the order the sample and the generator write them.
pub const COLUMNS: [&str; 36] = [
    "source_reference",
    "registration_number",
    "reporting_office",
    "ppk",
    "region_code",
    "election_kind",
    "election_year",
    "election_phase",
    "legal_basis",
    "violation_form",
    "source",
    "occurred_date",
    "reported_date",
    "registered_date",
    "subject_id_kind",
    "subject_id",
    "subject_name",
    "subject_position",
    "subject_instance",
    "summary",
    "overlaps_election_crime",
    "outcome",
    "forwarded_date",
    "forward_letter_number",
    "examiner",
    "concluded_date",
    "rationale",
    "recommended_date",
    "recommended_level",
    "recommended_moral",
    "recommendation_letter",
    "sanction_codes",
    "decree_number",
    "decree_date",
    "registry_reference",
    "recorded_date",
];

/// The namespace of the request ids the CLI derives from source references: a re-run sends
/// the same request id for the same row.
const REQUEST_NAMESPACE: Uuid = Uuid::from_u128(0x6e65_7472_616c_4000_8000_636c_6920_6964);

/// A bad field found on the client side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvViolation {
    /// The CSV column.
    pub field: String,
    /// Why it is refused.
    pub description: String,
}

/// Where each column sits in the file's header.
#[derive(Debug, Clone)]
pub struct Header {
    /// `positions[i]` is the index in the file of `COLUMNS[i]`.
    positions: Vec<usize>,
}

impl Header {
    /// The header of a file, refused if a column is missing or unknown.
    pub fn new(record: &csv::StringRecord) -> anyhow::Result<Self> {
        let names: Vec<&str> = record.iter().map(str::trim).collect();
        if let Some(unknown) = names.iter().find(|n| !COLUMNS.contains(n)) {
            anyhow::bail!("line 1: unknown column `{unknown}` (the columns: {COLUMNS:?})");
        }
        let positions = COLUMNS
            .iter()
            .map(|column| {
                names
                    .iter()
                    .position(|n| n == column)
                    .ok_or_else(|| anyhow::anyhow!("line 1: the column `{column}` is missing"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { positions })
    }
}

/// Reads the fields of one record, collecting violations.
struct Cells<'a> {
    /// The record.
    record: &'a csv::StringRecord,
    /// Its header.
    header: &'a Header,
    /// What was refused so far.
    violations: Vec<CsvViolation>,
}

impl Cells<'_> {
    fn text(&self, column: &str) -> String {
        let index = COLUMNS.iter().position(|c| *c == column).unwrap_or(0);
        self.header
            .positions
            .get(index)
            .and_then(|p| self.record.get(*p))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    fn violate(&mut self, column: &str, description: impl Into<String>) {
        self.violations.push(CsvViolation {
            field: column.to_owned(),
            description: description.into(),
        });
    }

    /// An optional ISO 8601 date (`YYYY-MM-DD`); empty is `None`.
    fn date(&mut self, column: &str) -> Option<Date> {
        let text = self.text(column);
        if text.is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(d) => {
                use chrono::Datelike;
                Some(Date {
                    year: d.year(),
                    month: i32::try_from(d.month()).unwrap_or_default(),
                    day: i32::try_from(d.day()).unwrap_or_default(),
                })
            }
            Err(_) => {
                self.violate(
                    column,
                    format!("`{text}` is not an ISO 8601 date (YYYY-MM-DD)"),
                );
                None
            }
        }
    }

    /// An integer; empty is 0 (the server refuses a missing required number).
    fn number(&mut self, column: &str) -> i32 {
        let text = self.text(column);
        if text.is_empty() {
            return 0;
        }
        text.parse().unwrap_or_else(|_| {
            self.violate(column, format!("`{text}` is not a whole number"));
            0
        })
    }

    /// An enum by its short name (`PEMILU` for `ELECTION_KIND_PEMILU`); empty is 0.
    fn name(&mut self, column: &str, prefix: &str, lookup: fn(&str) -> Option<i32>) -> i32 {
        let text = self.text(column);
        if text.is_empty() {
            return 0;
        }
        lookup(&format!("{prefix}{}", text.to_ascii_uppercase())).unwrap_or_else(|| {
            self.violate(column, format!("`{text}` is not a known value"));
            0
        })
    }

    /// `agencies/<id>` from a plain agency id; empty stays empty.
    fn agency(&self, column: &str) -> String {
        let id = self.text(column);
        if id.is_empty() || id.starts_with("agencies/") {
            id
        } else {
            format!("agencies/{id}")
        }
    }
}

/// The request id the CLI sends for the row with `source_reference`.
pub fn request_id(source_reference: &str) -> String {
    Uuid::new_v5(&REQUEST_NAMESPACE, source_reference.as_bytes()).to_string()
}

/// One record (at `line` of the file) as a row, or what the client refuses in it.
pub fn past_case(
    record: &csv::StringRecord,
    header: &Header,
    line: u64,
) -> Result<pb::PastCase, Vec<CsvViolation>> {
    let mut c = Cells {
        record,
        header,
        violations: Vec::new(),
    };
    let subject = pb::Subject {
        id_kind: c.name("subject_id_kind", "SUBJECT_ID_KIND_", |s| {
            pb::SubjectIdKind::from_str_name(s).map(|v| v as i32)
        }),
        id: c.text("subject_id"),
        full_name: c.text("subject_name"),
        position: c.text("subject_position"),
        employing_instance: c.text("subject_instance"),
        erased: false,
    };
    let election = pb::Election {
        kind: c.name("election_kind", "ELECTION_KIND_", |s| {
            pb::ElectionKind::from_str_name(s).map(|v| v as i32)
        }),
        year: c.number("election_year"),
        phase: c.name("election_phase", "ELECTION_PHASE_", |s| {
            pb::ElectionPhase::from_str_name(s).map(|v| v as i32)
        }),
    };
    let overlaps = match c
        .text("overlaps_election_crime")
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "false" | "no" | "0" => false,
        "true" | "yes" | "1" => true,
        other => {
            let other = other.to_owned();
            c.violate(
                "overlaps_election_crime",
                format!("`{other}` is not true or false"),
            );
            false
        }
    };
    let case = pb::Case {
        registration_number: c.text("registration_number"),
        ppk: c.agency("ppk"),
        subject: Some(subject),
        region_code: c.text("region_code"),
        election: Some(election),
        legal_basis: c.text("legal_basis"),
        violation_form: c.number("violation_form"),
        source: c.name("source", "CASE_SOURCE_", |s| {
            pb::CaseSource::from_str_name(s).map(|v| v as i32)
        }),
        occurred_date: c.date("occurred_date"),
        reported_date: c.date("reported_date"),
        summary: c.text("summary"),
        overlaps_election_crime: overlaps,
        ..Default::default()
    };
    let recommendation =
        (!c.text("recommended_level").is_empty()).then(|| pb::SanctionRecommendation {
            level: c.name("recommended_level", "SANCTION_LEVEL_", |s| {
                pb::SanctionLevel::from_str_name(s).map(|v| v as i32)
            }),
            moral_sanction: c.name("recommended_moral", "MORAL_SANCTION_", |s| {
                pb::MoralSanction::from_str_name(s).map(|v| v as i32)
            }),
            letter_number: c.text("recommendation_letter"),
            ..Default::default()
        });
    let decree_number = c.text("decree_number");
    let decree_date = c.date("decree_date");
    let sanctions = c
        .text("sanction_codes")
        .split([';', ' '])
        .filter(|code| !code.is_empty())
        .map(|code| pb::ImposedSanction {
            code: code.to_owned(),
            decree_number: decree_number.clone(),
            decree_date,
        })
        .collect();
    let source_reference = c.text("source_reference");
    let row = pb::PastCase {
        request_id: request_id(&source_reference),
        source_line: i64::try_from(line).unwrap_or(i64::MAX),
        r#case: Some(case),
        reporting_office: c.agency("reporting_office"),
        registered_date: c.date("registered_date"),
        outcome: c.name("outcome", "CASE_STATE_", |s| {
            pb::CaseState::from_str_name(s).map(|v| v as i32)
        }),
        forwarded_date: c.date("forwarded_date"),
        forward_letter_number: c.text("forward_letter_number"),
        examiner: c.agency("examiner"),
        concluded_date: c.date("concluded_date"),
        rationale: c.text("rationale"),
        recommendation,
        recommended_date: c.date("recommended_date"),
        sanctions,
        registry_reference: c.text("registry_reference"),
        recorded_date: c.date("recorded_date"),
        source_reference,
    };
    if c.violations.is_empty() {
        Ok(row)
    } else {
        Err(c.violations)
    }
}
