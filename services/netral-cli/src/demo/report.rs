//! What the stories are made of: a report (who registers what about whom), the opening that
//! registers its cases or finds them from an earlier run, and the small values the steps
//! carry (dates, decrees).

use chrono::{Duration, Utc};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;

use super::Player;
use crate::case::parse::wire_date;
use crate::case::steps::{CaseCommand, DecreeArgs, StepArgs};

/// A wire date.
pub fn day(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// Today in Jakarta (WIB), the decree date.
fn today() -> Date {
    wire_date((Utc::now() + Duration::hours(7)).date_naive())
}

/// A fictional civil servant with a NIP.
fn subject(nip: &str, name: &str, position: &str, instance: &str) -> pb::Subject {
    pb::Subject {
        id_kind: pb::SubjectIdKind::Nip as i32,
        id: nip.into(),
        full_name: name.into(),
        position: position.into(),
        employing_instance: instance.into(),
        erased: false,
    }
}

/// A story's report: who registers what, beyond the subjects it names.
pub struct Report {
    /// The story's heading.
    pub title: &'static str,
    /// The Bawaslu office that registers it.
    pub office: &'static str,
    /// The office's register number.
    pub number: &'static str,
    /// The PPK, `agencies/…`.
    pub ppk: &'static str,
    /// Where it happened.
    pub region: &'static str,
    /// Pemilu or Pilkada, the year, and whether candidates were determined.
    pub election: (pb::ElectionKind, i32),
    /// The form of violation, 1 to 13.
    pub form: i32,
    /// Finding or public report.
    pub source: pb::CaseSource,
    /// When it happened and when Bawaslu learnt of it.
    pub dates: (Date, Date),
    /// What happened.
    pub summary: &'static str,
    /// The (fictional) civil servants it names: NIP, name, position; one case each.
    pub subjects: &'static [(&'static str, &'static str, &'static str)],
    /// Where they work.
    pub instance: &'static str,
}

/// What a story's opening found.
pub enum Opening {
    /// The office already registered the number: the first of its cases.
    Existing(String),
    /// The cases just registered, one per subject.
    Registered(Vec<pb::Case>),
}

impl Report {
    /// Prints the story's heading and registers one case per subject, unless the office
    /// already registered the number (a second run), which it says instead.
    pub async fn open(&self, p: &mut Player<'_>) -> anyhow::Result<Opening> {
        p.story(self.title)?;
        if let Some(case) = p.existing(self.office, self.number).await?.first() {
            return Ok(Opening::Existing(case.name.clone()));
        }
        let mut cases = Vec::new();
        for (nip, name, position) in self.subjects {
            let case = self.case(subject(nip, name, position, self.instance));
            cases.push(p.register(self.office, case).await?);
        }
        Ok(Opening::Registered(cases))
    }

    /// The one case of a single-subject story, or the first one found.
    pub async fn open_one(&self, p: &mut Player<'_>) -> anyhow::Result<Result<pb::Case, String>> {
        Ok(match self.open(p).await? {
            Opening::Existing(name) => Err(name),
            Opening::Registered(mut cases) => Ok(cases.remove(0)),
        })
    }

    /// The case to register for `subject`.
    fn case(&self, subject: pb::Subject) -> pb::Case {
        let (kind, year) = self.election;
        let legal_basis = match kind {
            pb::ElectionKind::Pilkada => "UU 10/2016 Pasal 70 ayat (1); SKB Netralitas ASN",
            _ => "UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022",
        };
        pb::Case {
            registration_number: self.number.into(),
            ppk: self.ppk.into(),
            subject: Some(subject),
            region_code: self.region.into(),
            election: Some(pb::Election {
                kind: kind as i32,
                year,
                phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
            }),
            legal_basis: legal_basis.into(),
            violation_form: self.form,
            source: self.source as i32,
            occurred_date: Some(self.dates.0),
            reported_date: Some(self.dates.1),
            summary: self.summary.into(),
            ..Default::default()
        }
    }
}

/// The agency id of `agencies/{id}`.
pub fn id(name: &str) -> String {
    name.strip_prefix("agencies/").unwrap_or(name).to_owned()
}

/// A decree of `codes` signed today.
pub fn decree(number: &str, codes: &[&str]) -> impl FnOnce(StepArgs) -> CaseCommand {
    let number = number.to_owned();
    let sanctions: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    move |step| {
        CaseCommand::Decree(DecreeArgs {
            step,
            sanctions,
            decree_number: Some(number),
            decree_date: Some(today()),
            file: None,
        })
    }
}
