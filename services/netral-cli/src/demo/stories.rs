//! The seed stories of DOMAIN.md as cases, each ending differently: Hulu Sungai Selatan
//! (Pilkada 2020) decreed and recorded; Kotabaru (Pemilu 2024), one report naming three ASN:
//! one recorded, one not proven, one still with the examiner; Batang Hari (Pemilu 2024)
//! dismissed after an extended review; OKU Selatan (Pilkada 2020) recommended and waiting on
//! its PPK's deadline. The civil servants, their NIPs and every letter number are fictional.

use chrono::{Duration, Utc};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;

use super::Player;
use crate::case::parse::wire_date;
use crate::case::steps::{CaseCommand, DecreeArgs, StepArgs};

/// A wire date.
fn day(year: i32, month: i32, day: i32) -> Date {
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
struct Report {
    /// The story's heading.
    title: &'static str,
    /// The Bawaslu office that registers it.
    office: &'static str,
    /// The office's register number.
    number: &'static str,
    /// The PPK, `agencies/…`.
    ppk: &'static str,
    /// Where it happened.
    region: &'static str,
    /// Pemilu or Pilkada, the year, and whether candidates were determined.
    election: (pb::ElectionKind, i32),
    /// The form of violation, 1 to 13.
    form: i32,
    /// Finding or public report.
    source: pb::CaseSource,
    /// When it happened and when Bawaslu learnt of it.
    dates: (Date, Date),
    /// What happened.
    summary: &'static str,
    /// The (fictional) civil servants it names: NIP, name, position; one case each.
    subjects: &'static [(&'static str, &'static str, &'static str)],
    /// Where they work.
    instance: &'static str,
}

/// What a story's opening found.
enum Opening {
    /// The office already registered the number: the first of its cases.
    Existing(String),
    /// The cases just registered, one per subject.
    Registered(Vec<pb::Case>),
}

impl Report {
    /// Prints the story's heading and registers one case per subject, unless the office
    /// already registered the number (a second run), which it says instead.
    async fn open(&self, p: &mut Player<'_>) -> anyhow::Result<Opening> {
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
    async fn open_one(&self, p: &mut Player<'_>) -> anyhow::Result<Result<pb::Case, String>> {
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
fn id(name: &str) -> String {
    name.strip_prefix("agencies/").unwrap_or(name).to_owned()
}

/// A decree of `codes` signed today.
fn decree(number: &str, codes: &[&str]) -> impl FnOnce(StepArgs) -> CaseCommand {
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

/// Plays every story; returns the case whose audit timeline is worth showing.
pub async fn play(p: &mut Player<'_>) -> anyhow::Result<Option<String>> {
    let shown = hulu_sungai_selatan(p).await?;
    kotabaru(p).await?;
    batang_hari(p).await?;
    oku_selatan(p).await?;
    Ok(shown)
}

/// Examined, recommended, decreed by the regent and recorded by BKN.
async fn hulu_sungai_selatan(p: &mut Player<'_>) -> anyhow::Result<Option<String>> {
    let report = Report {
        title: "Hulu Sungai Selatan (Kalsel), Pilkada gubernur 2020: a department head on a \
                campaign team",
        office: "bawaslu-hulu-sungai-selatan",
        number: "031/Reg/LP/PG/Kab/22.11/XI/2020",
        ppk: "agencies/pemkab-hulu-sungai-selatan",
        region: "63.06",
        election: (pb::ElectionKind::Pilkada, 2020),
        form: 10,
        source: pb::CaseSource::PublicReport,
        dates: (day(2020, 11, 20), day(2020, 11, 23)),
        summary: "Tercatat sebagai anggota tim kampanye pasangan calon gubernur Kalimantan Selatan.",
        subjects: &[(
            "197911052005011004",
            "Muhammad Rizal Fahmi",
            "Kepala Bidang Pendapatan Daerah",
        )],
        instance: "Pemerintah Kabupaten Hulu Sungai Selatan",
    };
    let case = match report.open_one(p).await? {
        Ok(case) => case,
        Err(existing) => return Ok(Some(existing)),
    };
    let office = report.office;
    let case = p
        .act(office, &case, |step| CaseCommand::Forward {
            step,
            letter_number: "012/PM.00.02/K.KS-11/12/2020".into(),
        })
        .await?;
    let examiner = id(&case.examiner);
    let case = p
        .act(&examiner, &case, |step| CaseCommand::Accept { step })
        .await?;
    let case = p
        .act(&examiner, &case, |step| CaseCommand::Recommend {
            step,
            level: pb::SanctionLevel::Medium,
            moral_sanction: Some(pb::MoralSanction::ClosedStatement),
            letter_number: "B-3318/KASN/12/2020".into(),
            rationale: "Terbukti menjadi anggota tim kampanye (bentuk 10).".into(),
        })
        .await?;
    let ppk = "pemkab-hulu-sungai-selatan";
    let case = p
        .act(ppk, &case, |step| CaseCommand::Acknowledge { step })
        .await?;
    let sanctions = ["MEDIUM_ALLOWANCE_CUT_25_12M", "MORAL_CLOSED_STATEMENT"];
    let case = p
        .act(ppk, &case, decree("800/041/BKPSDM/2021", &sanctions))
        .await?;
    let case = p
        .act("bkn", &case, |step| CaseCommand::Record {
            step,
            registry_reference: "IDIS/2021/63.06/000088".into(),
        })
        .await?;
    Ok(Some(case.name))
}

/// One report, three ASN, three linked cases: recorded, not proven, with the examiner.
async fn kotabaru(p: &mut Player<'_>) -> anyhow::Result<()> {
    let report = Report {
        title: "Kotabaru (Kalsel), Pemilu 2024: one report naming three ASN, three linked cases",
        office: "bawaslu-kotabaru",
        number: "007/Reg/LP/PL/Kab/22.05/II/2024",
        ppk: "agencies/pemkab-kotabaru",
        region: "63.02",
        election: (pb::ElectionKind::Pemilu, 2024),
        form: 6,
        source: pb::CaseSource::PublicReport,
        dates: (day(2024, 1, 28), day(2024, 2, 1)),
        summary: "Menyukai dan membagikan unggahan kampanye calon anggota DPRD di Facebook.",
        subjects: &[
            ("198804172011012002", "Siti Nurhalimah", "Guru Ahli Muda"),
            (
                "198201092008011005",
                "Hendra Saputra",
                "Sekretaris Kecamatan",
            ),
            (
                "199106282019031007",
                "Wahyu Prasetyo",
                "Penyuluh Pertanian Ahli Pertama",
            ),
        ],
        instance: "Pemerintah Kabupaten Kotabaru",
    };
    let Opening::Registered(cases) = report.open(p).await? else {
        return Ok(());
    };
    let office = report.office;
    let [first, second, third]: [pb::Case; 3] = cases
        .try_into()
        .map_err(|_| anyhow::anyhow!("three subjects make three cases"))?;
    let letter = "045/PP.01.02/K.KS-05/03/2024";
    let forward = |step: StepArgs| CaseCommand::Forward {
        step,
        letter_number: letter.into(),
    };
    let first = p.act(office, &first, forward).await?;
    let second = p.act(office, &second, forward).await?;
    let third = p
        .act(office, &third, |step| CaseCommand::Attach {
            step,
            digest: "sha256:4b7e0d3c9a1f5e6d2c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d"
                .into(),
            media_type: "image/png".into(),
            title: "Tangkapan layar unggahan Facebook".into(),
            size_bytes: 182_004,
        })
        .await?;
    p.act(office, &third, forward).await?;

    let examiner = id(&first.examiner);
    let first = p
        .act(&examiner, &first, |step| CaseCommand::Accept { step })
        .await?;
    let first = p
        .act(&examiner, &first, |step| CaseCommand::Recommend {
            step,
            level: pb::SanctionLevel::Severe,
            moral_sanction: Some(pb::MoralSanction::OpenStatement),
            letter_number: "B-1207/KASN/03/2024".into(),
            rationale: "Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6).".into(),
        })
        .await?;
    let ppk = "pemkab-kotabaru";
    let first = p
        .act(ppk, &first, |step| CaseCommand::Acknowledge { step })
        .await?;
    let sanctions = ["SEVERE_DEMOTION_12M", "MORAL_OPEN_STATEMENT"];
    let first = p
        .act(ppk, &first, decree("800.1.6.4/117/BKPSDM/2024", &sanctions))
        .await?;
    p.act("bkn", &first, |step| CaseCommand::Record {
        step,
        registry_reference: "IDIS/2024/63.02/000417".into(),
    })
    .await?;

    let second = p
        .act(&examiner, &second, |step| CaseCommand::Accept { step })
        .await?;
    p.act(&examiner, &second, |step| CaseCommand::NotProven {
        step,
        rationale: "Akun yang membagikan unggahan tidak terbukti milik terlapor.".into(),
    })
    .await?;
    Ok(())
}

/// A finding reviewed at length, then dismissed.
async fn batang_hari(p: &mut Player<'_>) -> anyhow::Result<()> {
    let report = Report {
        title: "Batang Hari (Jambi), Pemilu 2024: liking a candidate's posts",
        office: "bawaslu-batang-hari",
        number: "003/Reg/TM/PL/Kab/05.04/II/2024",
        ppk: "agencies/pemkab-batang-hari",
        region: "15.04",
        election: (pb::ElectionKind::Pemilu, 2024),
        form: 6,
        source: pb::CaseSource::Finding,
        dates: (day(2024, 2, 5), day(2024, 2, 8)),
        summary: "Menyukai dan mengomentari unggahan kampanye calon presiden di Instagram.",
        subjects: &[(
            "199205142020122003",
            "Dewi Anggraini",
            "Analis Kebijakan Ahli Pertama",
        )],
        instance: "Pemerintah Kabupaten Batang Hari",
    };
    let Ok(case) = report.open_one(p).await? else {
        return Ok(());
    };
    let office = report.office;
    let case = p
        .act(office, &case, |step| CaseCommand::ExtendReview {
            step,
            reason: "Menunggu klarifikasi tertulis dari terlapor.".into(),
        })
        .await?;
    let case = p
        .act(office, &case, |step| CaseCommand::Note {
            step,
            text: "Terlapor menyatakan akun tersebut dikelola pihak lain.".into(),
        })
        .await?;
    p.act(office, &case, |step| CaseCommand::Dismiss {
        step,
        rationale: "Akun yang menyukai unggahan terbukti bukan milik terlapor.".into(),
    })
    .await?;
    Ok(())
}

/// Recommended and acknowledged; the PPK's deadline is running.
async fn oku_selatan(p: &mut Player<'_>) -> anyhow::Result<()> {
    let report = Report {
        title: "OKU Selatan (Sumsel), Pilkada 2020: gifts to voters at a candidate's meeting",
        office: "bawaslu-oku-selatan",
        number: "019/Reg/TM/PB/Kab/06.13/X/2020",
        ppk: "agencies/pemkab-oku-selatan",
        region: "16.09",
        election: (pb::ElectionKind::Pilkada, 2020),
        form: 8,
        source: pb::CaseSource::Finding,
        dates: (day(2020, 10, 14), day(2020, 10, 16)),
        summary: "Membagikan bingkisan kepada warga dalam pertemuan yang dihadiri calon bupati.",
        subjects: &[(
            "197703212003121002",
            "Rudi Hartono",
            "Kepala Seksi Pemerintahan Kecamatan",
        )],
        instance: "Pemerintah Kabupaten Ogan Komering Ulu Selatan",
    };
    let Ok(case) = report.open_one(p).await? else {
        return Ok(());
    };
    let office = report.office;
    let case = p
        .act(office, &case, |step| CaseCommand::Forward {
            step,
            letter_number: "021/PM.00.02/K.SS-13/10/2020".into(),
        })
        .await?;
    let examiner = id(&case.examiner);
    let case = p
        .act(&examiner, &case, |step| CaseCommand::Accept { step })
        .await?;
    let case = p
        .act(&examiner, &case, |step| CaseCommand::Recommend {
            step,
            level: pb::SanctionLevel::Severe,
            moral_sanction: None,
            letter_number: "B-2954/KASN/11/2020".into(),
            rationale: "Terbukti melakukan kegiatan yang mengarah pada keberpihakan (bentuk 8)."
                .into(),
        })
        .await?;
    p.act("pemkab-oku-selatan", &case, |step| {
        CaseCommand::Acknowledge { step }
    })
    .await?;
    Ok(())
}
