//! The seed stories of DOMAIN.md as cases, each ending differently: Hulu Sungai Selatan
//! (Pilkada 2020) decreed and recorded; Kotabaru (Pemilu 2024), one report naming three ASN:
//! one recorded, one not proven, one still with the examiner; Batang Hari (Pemilu 2024)
//! dismissed after an extended review; OKU Selatan (Pilkada 2020) recommended and waiting on
//! its PPK's deadline. The civil servants, their NIPs and every letter number are fictional.

use netral_proto::v1 as pb;

use super::Player;
use super::report::{Opening, Report, day, decree, id};
use crate::case::steps::{CaseCommand, StepArgs};

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
