//! Test data from the seed stories (DOMAIN.md): real agencies and places, **fictional** civil
//! servants with valid NIPs, request builders for every step, and `walk_to` helpers carrying
//! a case through its life with the agencies that may take each step.
//!
//! Every builder returns a fresh `request_id` (and, for registrations, a fresh registration
//! number), so two calls never collide by accident; tests that want a replay clone the
//! request they sent.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use tonic::Status;
use tonic::transport::Channel;

use crate::helpers::TestApp;

// --- Time -------------------------------------------------------------------------------

/// The instant at a wall-clock time in Jakarta (WIB, UTC+7), written `2024-08-23T23:59:59`;
/// the exchange takes its dates there.
pub fn wib(local: &str) -> DateTime<Utc> {
    let wib = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_else(|err| panic!("`{local}` is not YYYY-MM-DDTHH:MM:SS: {err}"))
        .and_local_timezone(wib)
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&Utc)
}

/// An instant past the PPK's deadline of a case walked to SANCTION_RECOMMENDED at
/// [`crate::DEFAULT_NOW`] (ten days from Fri 1 March 2024): Tue 12 March 2024, 08:00 WIB.
pub fn past_the_ppk_deadline() -> DateTime<Utc> {
    wib("2024-03-12T08:00:00")
}

/// A wire date.
pub fn date(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// A wire timestamp of `at`.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

// --- People (fictional) -------------------------------------------------------------------

/// A teacher of a state primary school in Kotabaru (fictional). NIP: born 1990-03-25,
/// appointed 2015-03, female, sequence 001.
pub fn kotabaru_teacher() -> pb::Subject {
    pb::Subject {
        id_kind: pb::SubjectIdKind::Nip as i32,
        id: "199003252015032001".into(),
        full_name: "Rusdiana Maulida Hasanah".into(),
        position: "Guru Ahli Pertama".into(),
        employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
        erased: false,
    }
}

/// A section head of a Hulu Sungai Selatan regional office (fictional). NIP: born
/// 1985-07-12, appointed 2010-01, male, sequence 003.
pub fn hulu_sungai_selatan_section_head() -> pb::Subject {
    pb::Subject {
        id_kind: pb::SubjectIdKind::Nip as i32,
        id: "198507122010011003".into(),
        full_name: "Ahmad Syarifuddin Noor".into(),
        position: "Kepala Seksi".into(),
        employing_instance: "Pemerintah Kabupaten Hulu Sungai Selatan".into(),
        erased: false,
    }
}

/// A policy analyst of the Batang Hari regency (fictional). NIP: born 1989-12-30,
/// appointed 2019-02, female, sequence 004.
pub fn batang_hari_analyst() -> pb::Subject {
    pb::Subject {
        id_kind: pb::SubjectIdKind::Nip as i32,
        id: "198912302019022004".into(),
        full_name: "Yulia Kartika Permatasari".into(),
        position: "Analis Kebijakan Ahli Muda".into(),
        employing_instance: "Pemerintah Kabupaten Batang Hari".into(),
        erased: false,
    }
}

// --- Registrations ------------------------------------------------------------------------

/// A fresh caller-chosen idempotency key.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh Bawaslu register number in the office's style (unique per call).
pub fn registration_number(office_code: &str) -> String {
    let serial = uuid::Uuid::new_v4().simple().to_string();
    format!("{}/Reg/TM/PL/{office_code}/2024", &serial[..12])
}

/// Pemilu 2024, Kotabaru (Kalsel): Bawaslu Kotabaru's own finding that a (fictional) teacher
/// liked and shared a legislative candidate's campaign posts (violation form 6), to be
/// decided by the Kotabaru regent as PPK.
pub fn kotabaru_social_media_like() -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        request_id: request_id(),
        r#case: Some(pb::Case {
            registration_number: registration_number("Kab/22.05"),
            ppk: "agencies/pemkab-kotabaru".into(),
            subject: Some(kotabaru_teacher()),
            region_code: "63.02".into(),
            election: Some(pb::Election {
                kind: pb::ElectionKind::Pemilu as i32,
                year: 2024,
                phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
            }),
            legal_basis: "UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022".into(),
            violation_form: 6,
            source: pb::CaseSource::Finding as i32,
            occurred_date: Some(date(2024, 1, 28)),
            reported_date: Some(date(2024, 2, 1)),
            summary: "Menyukai dan membagikan unggahan kampanye calon anggota DPRD di Facebook \
                      menggunakan akun pribadi."
                .into(),
            ..Default::default()
        }),
    }
}

/// Pilkada gubernur 2020, Hulu Sungai Selatan (Kalsel): a public report that a (fictional)
/// section head joined a campaign team (form 10), registered by Bawaslu Hulu Sungai Selatan
/// for the regent of Hulu Sungai Selatan as PPK.
pub fn hulu_sungai_selatan_campaign_team() -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        request_id: request_id(),
        r#case: Some(pb::Case {
            registration_number: registration_number("Kab/22.11"),
            ppk: "agencies/pemkab-hulu-sungai-selatan".into(),
            subject: Some(hulu_sungai_selatan_section_head()),
            region_code: "63.06".into(),
            election: Some(pb::Election {
                kind: pb::ElectionKind::Pilkada as i32,
                year: 2020,
                phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
            }),
            legal_basis: "UU 10/2016 Pasal 70 ayat (1); SKB Netralitas ASN".into(),
            violation_form: 10,
            source: pb::CaseSource::PublicReport as i32,
            occurred_date: Some(date(2020, 11, 20)),
            reported_date: Some(date(2020, 11, 23)),
            summary: "Tercatat sebagai anggota tim kampanye pasangan calon gubernur.".into(),
            ..Default::default()
        }),
    }
}

/// Pemilu 2024, Batang Hari (Jambi): a (fictional) analyst shared a candidate's posts
/// (form 6), registered by Bawaslu Batang Hari for the regent of Batang Hari as PPK.
pub fn batang_hari_shared_post() -> pb::RegisterCaseRequest {
    pb::RegisterCaseRequest {
        request_id: request_id(),
        r#case: Some(pb::Case {
            registration_number: registration_number("Kab/05.04"),
            ppk: "agencies/pemkab-batang-hari".into(),
            subject: Some(batang_hari_analyst()),
            region_code: "15.04".into(),
            election: Some(pb::Election {
                kind: pb::ElectionKind::Pemilu as i32,
                year: 2024,
                phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
            }),
            legal_basis: "UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022".into(),
            violation_form: 6,
            source: pb::CaseSource::Finding as i32,
            occurred_date: Some(date(2024, 2, 5)),
            reported_date: Some(date(2024, 2, 8)),
            summary: "Membagikan unggahan kampanye calon presiden di grup WhatsApp dinas.".into(),
            ..Default::default()
        }),
    }
}

// --- Steps on an existing case --------------------------------------------------------------

/// Bawaslu extends its review.
pub fn extend_review(case: &pb::Case) -> pb::ExtendReviewRequest {
    pb::ExtendReviewRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        reason: "Menunggu klarifikasi tertulis dari terlapor.".into(),
    }
}

/// Bawaslu dismisses the case.
pub fn dismiss(case: &pb::Case) -> pb::DismissCaseRequest {
    pb::DismissCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        rationale: "Akun yang menyukai unggahan terbukti bukan milik terlapor.".into(),
    }
}

/// The letter number [`forward`] sends.
pub const FORWARD_LETTER: &str = "045/PP.01.02/K.KS-05/03/2024";

/// Bawaslu forwards the case to the examiner of the day.
pub fn forward(case: &pb::Case) -> pb::ForwardCaseRequest {
    pb::ForwardCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        letter_number: FORWARD_LETTER.into(),
    }
}

/// The examiner accepts the case.
pub fn accept(case: &pb::Case) -> pb::AcceptCaseRequest {
    pb::AcceptCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
    }
}

/// The examiner concludes the violation is not proven.
pub fn conclude_not_proven(case: &pb::Case) -> pb::ConcludeNotProvenRequest {
    pb::ConcludeNotProvenRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        rationale: "Bukti tangkapan layar tidak dapat diverifikasi keasliannya.".into(),
    }
}

/// The letter number [`recommend_sanction`] sends.
pub const RECOMMENDATION_LETTER: &str = "B-1207/KASN/03/2024";

/// The examiner recommends a severe disciplinary sanction and an open moral statement.
pub fn recommend_sanction(case: &pb::Case) -> pb::RecommendSanctionRequest {
    pb::RecommendSanctionRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        recommendation: Some(pb::SanctionRecommendation {
            level: pb::SanctionLevel::Severe as i32,
            moral_sanction: pb::MoralSanction::OpenStatement as i32,
            letter_number: RECOMMENDATION_LETTER.into(),
            rationale: "Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6).".into(),
        }),
    }
}

/// The PPK acknowledges the recommendation.
pub fn acknowledge(case: &pb::Case) -> pb::AcknowledgeRecommendationRequest {
    pb::AcknowledgeRecommendationRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
    }
}

/// The decree number [`record_sanction_decree`] sends.
pub const DECREE_NUMBER: &str = "800.1.6.4/117/BKPSDM/2024";

/// The PPK's decree: demotion for 12 months and an open statement, signed 2024-03-19.
pub fn record_sanction_decree(case: &pb::Case) -> pb::RecordSanctionDecreeRequest {
    let sanction = |code: &str| pb::ImposedSanction {
        code: code.into(),
        decree_number: DECREE_NUMBER.into(),
        decree_date: Some(date(2024, 3, 19)),
    };
    pb::RecordSanctionDecreeRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        sanctions: vec![
            sanction("SEVERE_DEMOTION_12M"),
            sanction("MORAL_OPEN_STATEMENT"),
        ],
    }
}

/// The PPK reports that the subject retired on 2024-03-01.
pub fn report_subject_separated(case: &pb::Case) -> pb::ReportSubjectSeparatedRequest {
    pb::ReportSubjectSeparatedRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        reason: pb::SeparationReason::Retired as i32,
        effective_date: Some(date(2024, 3, 1)),
    }
}

/// The registry reference [`record_in_registry`] sends.
pub const REGISTRY_REFERENCE: &str = "IDIS/2024/63.02/000417";

/// BKN records the sanction in the personnel registry.
pub fn record_in_registry(case: &pb::Case) -> pb::RecordInRegistryRequest {
    pb::RecordInRegistryRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        registry_reference: REGISTRY_REFERENCE.into(),
    }
}

/// BKN blocks the subject's personnel data.
pub fn block_personnel_data(case: &pb::Case) -> pb::BlockPersonnelDataRequest {
    pb::BlockPersonnelDataRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        reason: "PPK belum menindaklanjuti rekomendasi dalam 10 hari.".into(),
    }
}

/// BKN lifts the block.
pub fn unblock_personnel_data(case: &pb::Case) -> pb::UnblockPersonnelDataRequest {
    pb::UnblockPersonnelDataRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        reason: "PPK telah menyampaikan jadwal penetapan keputusan.".into(),
    }
}

/// Kemendagri warns the regional head (letter dated 2024-03-25).
pub fn send_warning_letter(case: &pb::Case) -> pb::SendWarningLetterRequest {
    pb::SendWarningLetterRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        letter_number: "100.2.2.6/2291/OTDA".into(),
        letter_date: Some(date(2024, 3, 25)),
    }
}

/// Bawaslu cancels the case: the reporter withdrew.
pub fn cancel(case: &pb::Case) -> pb::CancelCaseRequest {
    pb::CancelCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        reason: pb::CancelReason::Withdrawn as i32,
        detail: "Pelapor mencabut laporannya secara tertulis.".into(),
    }
}

/// The digest [`attach_evidence`] sends.
pub const EVIDENCE_DIGEST: &str =
    "sha256:9f2c1e0b7d4a3f6e8c5b2a1d0e9f8c7b6a5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f";

/// A party attaches a screenshot by digest.
pub fn attach_evidence(case: &pb::Case) -> pb::AttachEvidenceRequest {
    pb::AttachEvidenceRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        attachment: Some(pb::Attachment {
            digest: EVIDENCE_DIGEST.into(),
            media_type: "image/png".into(),
            title: "Tangkapan layar unggahan Facebook".into(),
            size_bytes: 182_004,
            ..Default::default()
        }),
    }
}

/// A party leaves a note.
pub fn add_note(case: &pb::Case) -> pb::AddNoteRequest {
    pb::AddNoteRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        text: "Klarifikasi terlapor dijadwalkan pekan depan.".into(),
    }
}

/// The case in a reply, which every successful reply must carry.
#[track_caller]
pub fn case_of(case: Option<pb::Case>) -> pb::Case {
    case.expect("a successful reply carries the case")
}

/// The agency id of a resource name `agencies/{id}`.
#[track_caller]
pub fn agency_id(name: &str) -> &str {
    name.strip_prefix("agencies/")
        .unwrap_or_else(|| panic!("`{name}` is not an agency resource name"))
}

/// The state of a case, as the enum.
pub fn state_of(case: &pb::Case) -> pb::CaseState {
    pb::CaseState::try_from(case.state).unwrap_or(pb::CaseState::Unspecified)
}

/// Every transition RPC on an existing case, so tests can range over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// `ExtendReview`.
    ExtendReview,
    /// `DismissCase`.
    Dismiss,
    /// `ForwardCase`.
    Forward,
    /// `AcceptCase`.
    Accept,
    /// `ConcludeNotProven`.
    ConcludeNotProven,
    /// `RecommendSanction`.
    RecommendSanction,
    /// `AcknowledgeRecommendation`.
    Acknowledge,
    /// `RecordSanctionDecree`.
    RecordSanctionDecree,
    /// `ReportSubjectSeparated`.
    ReportSubjectSeparated,
    /// `RecordInRegistry`.
    RecordInRegistry,
    /// `BlockPersonnelData`.
    BlockPersonnelData,
    /// `UnblockPersonnelData`.
    UnblockPersonnelData,
    /// `SendWarningLetter`.
    SendWarningLetter,
    /// `CancelCase`.
    Cancel,
    /// `AttachEvidence`.
    AttachEvidence,
    /// `AddNote`.
    AddNote,
}

impl Step {
    /// Every step.
    pub const ALL: [Self; 16] = [
        Self::ExtendReview,
        Self::Dismiss,
        Self::Forward,
        Self::Accept,
        Self::ConcludeNotProven,
        Self::RecommendSanction,
        Self::Acknowledge,
        Self::RecordSanctionDecree,
        Self::ReportSubjectSeparated,
        Self::RecordInRegistry,
        Self::BlockPersonnelData,
        Self::UnblockPersonnelData,
        Self::SendWarningLetter,
        Self::Cancel,
        Self::AttachEvidence,
        Self::AddNote,
    ];

    /// The agency that may take this step on `case` according to DESIGN.md: the reporting
    /// Bawaslu office, the examiner it was forwarded to (who also cancels it once it has it),
    /// its PPK, BKN (the registry, also reporting a separation) or Kemendagri.
    pub fn actor_for(self, case: &pb::Case) -> String {
        let of = |name: &str| agency_id(name).to_owned();
        match self {
            // Once forwarded, the case is the examiner's to cancel.
            Self::Cancel if !case.examiner.is_empty() => of(&case.examiner),
            Self::ExtendReview
            | Self::Dismiss
            | Self::Forward
            | Self::Cancel
            | Self::AttachEvidence
            | Self::AddNote => of(&case.reporting_office),
            Self::Accept | Self::ConcludeNotProven | Self::RecommendSanction => {
                assert!(!case.examiner.is_empty(), "{self:?} needs a forwarded case");
                of(&case.examiner)
            }
            Self::Acknowledge | Self::RecordSanctionDecree => of(&case.ppk),
            Self::ReportSubjectSeparated
            | Self::RecordInRegistry
            | Self::BlockPersonnelData
            | Self::UnblockPersonnelData => "bkn".into(),
            Self::SendWarningLetter => "kemendagri".into(),
        }
    }

    /// Sends this step's fixture request for `case` (its name and etag, a fresh request id)
    /// and returns the case from the reply.
    pub async fn send(
        self,
        client: &mut CaseServiceClient<Channel>,
        case: &pb::Case,
    ) -> Result<pb::Case, Status> {
        let reply = match self {
            Self::ExtendReview => {
                client
                    .extend_review(extend_review(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::Dismiss => {
                client
                    .dismiss_case(dismiss(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::Forward => {
                client
                    .forward_case(forward(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::Accept => client.accept_case(accept(case)).await?.into_inner().r#case,
            Self::ConcludeNotProven => {
                client
                    .conclude_not_proven(conclude_not_proven(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::RecommendSanction => {
                client
                    .recommend_sanction(recommend_sanction(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::Acknowledge => {
                client
                    .acknowledge_recommendation(acknowledge(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::RecordSanctionDecree => {
                let request = record_sanction_decree(case);
                client
                    .record_sanction_decree(request)
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::ReportSubjectSeparated => {
                let request = report_subject_separated(case);
                client
                    .report_subject_separated(request)
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::RecordInRegistry => {
                client
                    .record_in_registry(record_in_registry(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::BlockPersonnelData => {
                let request = block_personnel_data(case);
                client
                    .block_personnel_data(request)
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::UnblockPersonnelData => {
                let request = unblock_personnel_data(case);
                client
                    .unblock_personnel_data(request)
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::SendWarningLetter => {
                client
                    .send_warning_letter(send_warning_letter(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::Cancel => client.cancel_case(cancel(case)).await?.into_inner().r#case,
            Self::AttachEvidence => {
                client
                    .attach_evidence(attach_evidence(case))
                    .await?
                    .into_inner()
                    .r#case
            }
            Self::AddNote => client.add_note(add_note(case)).await?.into_inner().r#case,
        };
        Ok(case_of(reply))
    }
}

/// The steps that carry a freshly registered case to `state`, along the main path or the
/// shortest way to a terminal state.
pub fn path_to(state: pb::CaseState) -> Vec<Step> {
    use pb::CaseState as S;
    let main = [
        Step::Forward,
        Step::Accept,
        Step::RecommendSanction,
        Step::RecordSanctionDecree,
        Step::RecordInRegistry,
    ];
    match state {
        S::Registered => vec![],
        S::Forwarded => main[..1].to_vec(),
        S::UnderExamination => main[..2].to_vec(),
        S::SanctionRecommended => main[..3].to_vec(),
        S::Sanctioned => main[..4].to_vec(),
        S::Recorded => main.to_vec(),
        S::NotProven => vec![Step::Forward, Step::Accept, Step::ConcludeNotProven],
        S::Dismissed => vec![Step::Dismiss],
        S::Cancelled => vec![Step::Cancel],
        S::SubjectSeparated => vec![Step::ReportSubjectSeparated],
        S::Unspecified => panic!("no case is ever in CASE_STATE_UNSPECIFIED"),
    }
}

/// Registers a fresh [`kotabaru_social_media_like`] case as Bawaslu Kotabaru and carries it
/// to `state` (see [`walk_from`]).
pub async fn walk_to(app: &TestApp, state: pb::CaseState) -> pb::Case {
    let case = app
        .register("bawaslu-kotabaru", kotabaru_social_media_like())
        .await
        .unwrap_or_else(|status| panic!("Bawaslu Kotabaru cannot register: {status:?}"));
    walk_from(app, case, state).await
}

/// Carries `case` from REGISTERED to `state` with the right agency for each step: the
/// reporting Bawaslu office registers, forwards, dismisses and cancels; the examiner of the
/// forwarding date (KASN before 2024-08-24, BKN from) accepts and recommends; the case's PPK
/// decrees and reports separations; BKN records.
pub async fn walk_from(app: &TestApp, mut case: pb::Case, state: pb::CaseState) -> pb::Case {
    for step in path_to(state) {
        let actor = step.actor_for(&case);
        case = app.act(&actor, step, &case).await.unwrap_or_else(|status| {
            panic!(
                "walking {} to {state:?}: {actor} cannot {step:?}: {status:?}",
                case.name
            )
        });
    }
    assert_eq!(state_of(&case), state, "the walk did not end in {state:?}");
    case
}
