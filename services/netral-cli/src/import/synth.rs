//! Fictional history files for tests, the sample and the import benchmark: concluded cases
//! modelled on the seed stories (Hulu Sungai Selatan's Pilkada 2018 and 2020, Kotabaru and
//! OKU Selatan's Pilkada 2020, Pemilu 2019, Batang Hari's Pemilu 2024), with real agencies
//! and places and invented civil servants (DOMAIN.md). Optionally one row in `bad_every` is
//! wrong, each in one of [`BAD_KINDS`] ways, so a test sees every kind refused by its line.

use std::io::Write;

use super::row::COLUMNS;

/// The kinds of bad rows, in the order they recur: what is wrong and which column the
/// refusal names.
pub const BAD_KINDS: [(&str, &str); 6] = [
    ("a NIP whose birth date is no date", "case.subject.id"),
    ("a date that is no date", "decree_date"),
    ("forwarded before it was registered", "forwarded_date"),
    ("a sanction code not in the catalogue", "sanctions[0].code"),
    ("a case still open", "outcome"),
    (
        "an examiner that did not hold the role on the forwarding date",
        "examiner",
    ),
];

/// A place of the seed stories: the Bawaslu office, the region and its PPK.
struct Place {
    /// The Bawaslu office's agency id.
    office: &'static str,
    /// A short code for register numbers.
    code: &'static str,
    /// The Kemendagri region code.
    region: &'static str,
    /// The PPK's agency id.
    ppk: &'static str,
    /// The employing instance.
    instance: &'static str,
}

const PLACES: [Place; 4] = [
    Place {
        office: "bawaslu-hulu-sungai-selatan",
        code: "Kab-HSS",
        region: "63.06",
        ppk: "pemkab-hulu-sungai-selatan",
        instance: "Pemerintah Kabupaten Hulu Sungai Selatan",
    },
    Place {
        office: "bawaslu-kotabaru",
        code: "Kab-KTB",
        region: "63.02",
        ppk: "pemkab-kotabaru",
        instance: "Pemerintah Kabupaten Kotabaru",
    },
    Place {
        office: "bawaslu-batang-hari",
        code: "Kab-BTH",
        region: "15.04",
        ppk: "pemkab-batang-hari",
        instance: "Pemerintah Kabupaten Batang Hari",
    },
    Place {
        office: "bawaslu-oku-selatan",
        code: "Kab-OKUS",
        region: "16.09",
        ppk: "pemkab-oku-selatan",
        instance: "Pemerintah Kabupaten Ogan Komering Ulu Selatan",
    },
];

/// An election of the stories: kind, year, and the day its violations are set around.
const ELECTIONS: [(&str, i32, &str); 4] = [
    ("PILKADA", 2018, "2018-04-16"),
    ("PEMILU", 2019, "2019-03-11"),
    ("PILKADA", 2020, "2020-10-12"),
    ("PEMILU", 2024, "2023-11-06"),
];

/// Invented given and family names (no real official).
const GIVEN: [&str; 8] = [
    "Rahmat", "Siti", "Fauzan", "Nurul", "Hendra", "Dewi", "Akhmad", "Rina",
];
const FAMILY: [&str; 8] = [
    "Hidayat",
    "Rahmawati",
    "Saputra",
    "Aulia",
    "Pratama",
    "Lestari",
    "Fadillah",
    "Maulana",
];
const POSITIONS: [&str; 5] = [
    "Guru Ahli Muda",
    "Kepala Seksi",
    "Analis Kebijakan",
    "Camat",
    "Penyuluh Pertanian",
];

/// Writes a header and `rows` fictional cases as CSV to `out`; with `bad_every = Some(k)`,
/// rows k, 2k, … (1-based) are bad, cycling through [`BAD_KINDS`].
pub fn write(out: impl Write, rows: usize, bad_every: Option<usize>) -> anyhow::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(COLUMNS)?;
    for i in 0..rows {
        let mut record = good(i);
        if let Some(k) = bad_every.filter(|_| is_bad(i, bad_every)) {
            spoil(&mut record, ((i + 1) / k - 1) % BAD_KINDS.len());
        }
        csv.write_record(COLUMNS.map(|c| record.get(c).cloned().unwrap_or_default()))?;
    }
    csv.flush()?;
    Ok(())
}

/// Whether row `i` (0-based) of a file written with `bad_every` is bad.
pub fn is_bad(i: usize, bad_every: Option<usize>) -> bool {
    bad_every.is_some_and(|k| k > 0 && (i + 1).is_multiple_of(k))
}

type Record = std::collections::HashMap<&'static str, String>;

fn day(base: &str, offset: i64) -> String {
    let base = chrono::NaiveDate::parse_from_str(base, "%Y-%m-%d").unwrap_or_default();
    (base + chrono::TimeDelta::days(offset)).to_string()
}

/// The `i`-th good row: one of three outcomes, in one of the places and elections.
fn good(i: usize) -> Record {
    let place = &PLACES[i % PLACES.len()];
    let (kind, year, base) = ELECTIONS[(i / PLACES.len()) % ELECTIONS.len()];
    let spread = i64::try_from(i % 40).unwrap_or_default();
    let occurred = day(base, spread);
    let birth_year = 1970 + (i % 20);
    let birth = format!("{birth_year}{:02}{:02}", 1 + i % 12, 1 + i % 28);
    let nip = format!(
        "{birth}{}{:02}{}{:03}",
        birth_year + 25,
        1 + (i / 7) % 12,
        1 + i % 2,
        1 + i % 999
    );
    let mut r = Record::new();
    let mut set = |k: &'static str, v: String| {
        r.insert(k, v);
    };
    set("source_reference", format!("SIAPNET/{year}/{:06}", i + 1));
    set(
        "registration_number",
        format!("{:06}/Reg/TM/{kind}/{}/{year}", i + 1, place.code),
    );
    set("reporting_office", place.office.into());
    set("ppk", place.ppk.into());
    set("region_code", place.region.into());
    set("election_kind", kind.into());
    set("election_year", year.to_string());
    set("election_phase", "AFTER_CANDIDATE_DETERMINATION".into());
    let legal_basis = if year < 2022 {
        "UU 5/2014 pasal 2 huruf f; PP 42/2004"
    } else {
        "SKB Netralitas ASN 2022"
    };
    set("legal_basis", legal_basis.into());
    set("violation_form", (1 + i % 8).to_string());
    set(
        "source",
        if i.is_multiple_of(3) {
            "PUBLIC_REPORT"
        } else {
            "FINDING"
        }
        .into(),
    );
    set("occurred_date", occurred.clone());
    set("reported_date", day(&occurred, 2));
    set("registered_date", day(&occurred, 3));
    set("subject_id_kind", "NIP".into());
    set("subject_id", nip);
    set(
        "subject_name",
        format!(
            "{} {}",
            GIVEN[i % GIVEN.len()],
            FAMILY[(i / 8) % FAMILY.len()]
        ),
    );
    set("subject_position", POSITIONS[i % POSITIONS.len()].into());
    set("subject_instance", place.instance.into());
    set(
        "summary",
        "Membagikan dan menyukai unggahan kampanye calon di media sosial (fiktif).".into(),
    );
    set("overlaps_election_crime", "false".into());
    match i % 5 {
        0 => {
            set("outcome", "DISMISSED".into());
            set("concluded_date", day(&occurred, 10));
            set(
                "rationale",
                "Tidak memenuhi unsur pelanggaran netralitas.".into(),
            );
        }
        1 => {
            set("outcome", "NOT_PROVEN".into());
            forwarding(&mut set, &occurred, place, year, i);
            set("concluded_date", day(&occurred, 30));
            set("rationale", "Bukti tidak cukup (fiktif).".into());
        }
        _ => {
            set("outcome", "RECORDED".into());
            forwarding(&mut set, &occurred, place, year, i);
            set("recommended_date", day(&occurred, 30));
            set("recommended_level", "MEDIUM".into());
            set("recommended_moral", "OPEN_STATEMENT".into());
            set(
                "recommendation_letter",
                format!("R-{:05}/KASN/{year}", i + 1),
            );
            set(
                "sanction_codes",
                "MEDIUM_ALLOWANCE_CUT_25_6M;MORAL_OPEN_STATEMENT".into(),
            );
            set("decree_number", format!("800/{:05}/BKPSDM/{year}", i + 1));
            set("decree_date", day(&occurred, 45));
            set(
                "registry_reference",
                format!("IDIS/{year}/{}/{:06}", place.region, i + 1),
            );
            set("recorded_date", day(&occurred, 55));
        }
    }
    r
}

fn forwarding(
    set: &mut impl FnMut(&'static str, String),
    occurred: &str,
    place: &Place,
    year: i32,
    i: usize,
) {
    set("forwarded_date", day(occurred, 10));
    set(
        "forward_letter_number",
        format!("{:05}/PP.01.02/{}/{year}", i + 1, place.code),
    );
    set("examiner", "kasn".into());
}

/// Makes `record` bad in the `kind`-th way of [`BAD_KINDS`].
fn spoil(r: &mut Record, kind: usize) {
    match kind {
        0 => {
            // Born on the 31st of February.
            if let Some(nip) = r.get_mut("subject_id") {
                nip.replace_range(4..8, "0231");
            }
        }
        1 => {
            r.insert("outcome", "RECORDED".into());
            r.insert("decree_date", "2020-02-30".into());
        }
        2 => {
            let registered = r.get("registered_date").cloned().unwrap_or_default();
            r.insert("outcome", "NOT_PROVEN".into());
            r.insert("forwarded_date", day(&registered, -5));
            r.insert("forward_letter_number", "001/PP.01.02/2020".into());
            r.insert("concluded_date", day(&registered, 20));
            r.insert("rationale", "Bukti tidak cukup.".into());
        }
        3 => {
            let occurred = r.get("occurred_date").cloned().unwrap_or_default();
            r.insert("outcome", "RECORDED".into());
            r.insert("forwarded_date", day(&occurred, 10));
            r.insert("forward_letter_number", "002/PP.01.02/2020".into());
            r.insert("recommended_date", day(&occurred, 30));
            r.insert("recommended_level", "MEDIUM".into());
            r.insert("recommendation_letter", "R-1/KASN".into());
            r.insert("sanction_codes", "MEDIUM_SALARY_FREEZE".into());
            r.insert("decree_number", "800/1/BKPSDM".into());
            r.insert("decree_date", day(&occurred, 45));
            r.insert("registry_reference", "IDIS/1".into());
            r.insert("recorded_date", day(&occurred, 55));
        }
        4 => {
            r.insert("outcome", "FORWARDED".into());
        }
        _ => {
            let occurred = r.get("occurred_date").cloned().unwrap_or_default();
            r.insert("outcome", "NOT_PROVEN".into());
            r.insert("forwarded_date", day(&occurred, 10));
            r.insert("forward_letter_number", "003/PP.01.02/2020".into());
            r.insert("examiner", "bkn".into());
            r.insert("concluded_date", day(&occurred, 30));
            r.insert("rationale", "Bukti tidak cukup.".into());
        }
    }
}
