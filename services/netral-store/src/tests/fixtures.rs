//! The cases and agencies tests build, and short ways to register and step them through
//! [`Store::execute`] with the domain's real rules.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use netral_domain::case::{
    Attachment, CancelReason, CaseLimits, CaseRecord, CaseSize, CaseSource, Command, Deadline,
    DeadlineStatus, Election, ElectionPhase, Escalation, EscalationKind, ImposedSanction, NewCase,
    Note, Outcome, Recommendation, SeparationReason, StepContext, StepError, StepOutcome, Subject,
};
use netral_domain::catalogue::{Catalogue, DeadlineStep, ElectionKind, MoralKind, SanctionTrack};
use netral_domain::ids::{SubjectId, SubjectIdKind};
use netral_domain::policy::{AgencyProfile, Role, RoleGrant};
use netral_domain::state::{Action, CaseState};
use netral_domain::{AgencyId, CaseId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use netral_domain::inbox::{RoleHolders, step_recipients};

use crate::{Applied, ExecuteError, Executed, InboxRecord, MutationMeta, Store};

/// The method tests register cases with.
pub(crate) const REGISTER: &str = "netral.v1.CaseService/RegisterCase";

/// The agencies and rules of the tests' world.
pub(crate) struct World {
    /// Deadline rules and calendar, shared with the steps the store runs on its writer lane.
    pub catalogue: Arc<Catalogue>,
    /// Bawaslu of Kalimantan Selatan (province 63): registers anywhere in 63.
    pub bawaslu: AgencyProfile,
    /// Bawaslu RI: national, registers anywhere.
    pub bawaslu_ri: AgencyProfile,
    /// BKN, the examiner since 2024-08-24.
    pub bkn: AgencyProfile,
}

pub(crate) fn world() -> World {
    let since = day(2018, 1, 1);
    World {
        catalogue: Arc::new(Catalogue::bundled().unwrap()),
        bawaslu: AgencyProfile {
            id: agency("bawaslu-kalsel"),
            jurisdiction: Some("63".parse().unwrap()),
            grants: vec![RoleGrant::since(Role::Bawaslu, since)],
        },
        bawaslu_ri: AgencyProfile {
            id: agency("bawaslu-ri"),
            jurisdiction: None,
            grants: vec![RoleGrant::since(Role::Bawaslu, since)],
        },
        bkn: AgencyProfile {
            id: agency("bkn"),
            jurisdiction: None,
            grants: vec![
                RoleGrant::since(Role::Examiner, day(2024, 8, 24)),
                RoleGrant::since(Role::PersonnelRegistry, since),
            ],
        },
    }
}

pub(crate) fn agency(id: &str) -> AgencyId {
    id.parse().unwrap()
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An instant on that day with microseconds, the finest precision the store keeps.
pub(crate) fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    day(y, m, d)
        .and_hms_micro_opt(3, 4, 5, 123_456)
        .unwrap()
        .and_utc()
}

/// A filing numbered `n`, in `region`, whose PPK is `ppk`.
pub(crate) fn filing_in(n: u32, region: &str, ppk: &str) -> NewCase {
    NewCase {
        registration_number: format!("{n:03}/Reg/TM/PB/Kab/22.02/IX/2024"),
        ppk: agency(ppk),
        subject: Subject {
            id: SubjectId::parse(SubjectIdKind::Nip, "198503122010011004").unwrap(),
            full_name: "Fiktif Rahmadani".into(),
            position: "Guru".into(),
            employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
        },
        region: region.parse().unwrap(),
        election: Election {
            kind: ElectionKind::Pilkada,
            year: 2024,
            phase: ElectionPhase::AfterCandidateDetermination,
        },
        legal_basis: "SKB 2022".into(),
        violation_form: 6,
        source: CaseSource::Finding,
        occurred_on: day(2024, 9, 2),
        reported_on: day(2024, 9, 3),
        summary: "Menyukai unggahan kampanye".into(),
        overlaps_election_crime: false,
    }
}

pub(crate) fn filing(n: u32) -> NewCase {
    filing_in(n, "63.02", "pemkab-kotabaru")
}

pub(crate) fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The "encoded response" tests store: enough to tell two responses apart.
pub(crate) fn response_of(case: &CaseRecord) -> Vec<u8> {
    format!("{} {} {}", case.id, case.etag(), case.state).into_bytes()
}

pub(crate) fn ctx<'a>(
    catalogue: &'a Catalogue,
    actor: &'a AgencyProfile,
    now: DateTime<Utc>,
) -> StepContext<'a> {
    StepContext {
        actor,
        now,
        today: now.date_naive(),
        catalogue,
        limits: CaseLimits::default(),
        notices: Default::default(),
        ppk_is_regional_head: true,
        examiner_today: None,
    }
}

/// Registers `filing` by Bawaslu Kalsel at `now`, under `request_id`.
pub(crate) async fn register(
    store: &Store,
    w: &World,
    filing: NewCase,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Executed, ExecuteError<StepError>> {
    register_by(store, w, &w.bawaslu, filing, request_id, now).await
}

/// Registers `filing` by `office` at `now`, under `request_id`.
pub(crate) async fn register_by(
    store: &Store,
    w: &World,
    office: &AgencyProfile,
    filing: NewCase,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Executed, ExecuteError<StepError>> {
    let id = CaseId::new();
    let meta = MutationMeta {
        actor: office.id.clone(),
        request_id,
        method: REGISTER,
        request_digest: digest(&filing.registration_number),
        case_id: id,
        expected_etag: None,
        at: now,
        traceparent: String::new(),
    };
    let number = filing.registration_number.clone();
    let (catalogue, office) = (Arc::clone(&w.catalogue), office.clone());
    store
        .execute(meta, move |current| {
            assert!(current.is_none(), "a registration sees no case");
            let (case, outcome) = CaseRecord::register(id, filing, &ctx(&catalogue, &office, now))?;
            let event_payload = serde_json::json!({ "registration_number": number });
            Ok(Applied {
                inbox: inbox_for(&case, &outcome, &office.id),
                audit: super::fixtures::audit_for(&case, &outcome, now),
                response: response_of(&case),
                subject_key: Some(subject_key(&case)),
                past: Vec::new(),
                case,
                outcome,
                event_payload,
            })
        })
        .await
}

/// A stand-in for the server's keyed subject digest, in its shape: equal for equal
/// identifiers.
pub(crate) fn subject_key(case: &CaseRecord) -> String {
    let id = &case.filing.subject.id;
    let text = format!("{}:{}", id.kind().as_str(), id.as_str());
    format!("hmac-sha256:{}", hex::encode(digest(&text)))
}

/// Registers filing `n` and returns the stored case.
pub(crate) async fn registered(store: &Store, w: &World, n: u32) -> CaseRecord {
    registered_filing(store, w, filing(n)).await
}

pub(crate) async fn registered_filing(store: &Store, w: &World, filing: NewCase) -> CaseRecord {
    applied(
        register(store, w, filing, Uuid::new_v4(), at(2024, 9, 4))
            .await
            .unwrap(),
    )
    .0
}

/// Applies `command` by `actor` to the case `id` read at `etag`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn step(
    store: &Store,
    w: &World,
    actor: &AgencyProfile,
    id: CaseId,
    etag: &str,
    command: Command,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Executed, ExecuteError<StepError>> {
    let meta = MutationMeta {
        actor: actor.id.clone(),
        request_id,
        method: command.action().as_str(),
        request_digest: digest(&format!("{id} {command:?}")),
        case_id: id,
        expected_etag: Some(etag.to_owned()),
        at: now,
        traceparent: String::new(),
    };
    let (catalogue, actor) = (Arc::clone(&w.catalogue), actor.clone());
    store
        .execute(meta, move |current| {
            let mut case = current.expect("a step sees the stored case");
            let payload = serde_json::json!({ "command": format!("{command:?}") });
            let outcome = case.apply(command, &ctx(&catalogue, &actor, now))?;
            Ok(Applied {
                inbox: inbox_for(&case, &outcome, &actor.id),
                audit: super::fixtures::audit_for(&case, &outcome, now),
                response: response_of(&case),
                case,
                outcome,
                event_payload: payload,
                subject_key: None,
                past: Vec::new(),
            })
        })
        .await
}

/// The inbox messages the domain routes for `outcome` by `actor` on `case`, with BKN as the
/// personnel registry and Kemendagri as the regional overseer; the snapshot is
/// [`response_of`] the case and the trace context a fixed one.
pub(crate) fn inbox_for(
    case: &CaseRecord,
    outcome: &StepOutcome,
    actor: &AgencyId,
) -> Vec<InboxRecord> {
    let holders = RoleHolders {
        registry: vec![agency("bkn")],
        oversight: vec![agency("kemendagri")],
    };
    step_recipients(outcome, case, actor, &holders)
        .into_iter()
        .map(|delivery| InboxRecord {
            recipient: delivery.agency,
            kind: delivery.kind,
            snapshot: response_of(case),
            traceparent: TRACEPARENT.into(),
        })
        .collect()
}

/// The trace context every fixture step carries.
pub(crate) const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A note by Bawaslu Kalsel: the simplest step, allowed in every open state.
pub(crate) fn note(text: &str) -> Command {
    Command::AddNote { text: text.into() }
}

pub(crate) fn applied(executed: Executed) -> (CaseRecord, Vec<u8>) {
    match executed {
        Executed::Applied(case, response) => (case, response),
        Executed::Replayed(_) => panic!("expected an applied step, got a replay"),
    }
}

/// A case with every field set, including every list, as no single path of the domain
/// produces: stored through `execute` as a registration, it must read back equal.
pub(crate) fn rich_case() -> (CaseRecord, StepOutcome) {
    let bkn = agency("bkn");
    let ppk = agency("pemkab-kotabaru");
    let mut filing = filing(900);
    filing.subject.id = SubjectId::parse(SubjectIdKind::Nik, "6302015505900002").unwrap();
    filing.source = CaseSource::PublicReport;
    filing.election.kind = ElectionKind::Pemilu;
    filing.election.phase = ElectionPhase::BeforeCandidateDetermination;
    filing.overlaps_election_crime = true;
    filing.violation_form = 13;
    filing.summary = "Kutipan \"berpihak\" — ünïcode, 'quotes' and a\nnewline".into();
    let created = at(2024, 9, 4);
    let later = created + TimeDelta::microseconds(86_400_000_001);
    let mut case = CaseRecord {
        id: CaseId::new(),
        version: 1,
        state: CaseState::Sanctioned,
        created_at: created,
        updated_at: later,
        reporting_office: agency("bawaslu-kalsel"),
        examiner: Some(bkn.clone()),
        filing,
        forwarded_on: Some(day(2024, 9, 5)),
        forward_letter_number: Some("L-1/2024".into()),
        review_extended: true,
        recommendation: Some(Recommendation {
            track: SanctionTrack::DishonourableDismissal,
            moral: Some(MoralKind::Open),
            letter_number: "B-123/BKN".into(),
            rationale: "terbukti".into(),
        }),
        recommendation_acknowledged: true,
        imposed_sanctions: vec![ImposedSanction {
            code: "MORAL_OPEN_STATEMENT".into(),
            decree_number: "SK-9".into(),
            decree_date: day(2024, 10, 1),
        }],
        personnel_data_blocked: true,
        escalations: vec![
            Escalation {
                kind: EscalationKind::Overdue,
                agency: None,
                reference: String::new(),
                reason: "ppk_action overdue".into(),
                at: later,
            },
            Escalation {
                kind: EscalationKind::PersonnelDataBlocked,
                agency: Some(bkn.clone()),
                reference: "BLK-1".into(),
                reason: "no decree".into(),
                at: later,
            },
        ],
        deadlines: vec![
            Deadline {
                step: DeadlineStep::BawasluReviewExtended,
                agency: agency("bawaslu-kalsel"),
                start: day(2024, 9, 4),
                due: day(2024, 9, 18),
                status: DeadlineStatus::Missed,
                notice: None,
                notice_on: None,
            },
            Deadline {
                step: DeadlineStep::PpkAction,
                agency: ppk.clone(),
                start: day(2024, 9, 20),
                due: day(2024, 10, 4),
                status: DeadlineStatus::Open,
                notice: None,
                // What the notices migration gives a deadline open before it.
                notice_on: Some(day(2024, 10, 4)),
            },
        ],
        attachments: vec![Attachment {
            digest: format!("sha256:{}", "ab".repeat(32)),
            media_type: "application/pdf".into(),
            title: "Screenshot".into(),
            size_bytes: 1 << 40,
            agency: bkn,
            at: created,
        }],
        notes: vec![Note {
            text: "catatan".into(),
            agency: ppk,
            at: later,
        }],
        outcome: Outcome {
            rationale: Some("alasan".into()),
            cancel: Some((CancelReason::Other, "detail".into())),
            separation: Some((SeparationReason::DismissedOtherwise, day(2024, 12, 31))),
            registry_reference: Some("REG-7".into()),
        },
        size: CaseSize::default(),
    };
    case.size = CaseSize::of(&case.notes, &case.attachments, &case.escalations);
    let outcome = StepOutcome::new(Action::Register, case.state, case.state);
    (case, outcome)
}

/// Stores `case` as a registration, exactly as given.
pub(crate) async fn store_as_registration(
    store: &Store,
    case: CaseRecord,
    outcome: StepOutcome,
) -> Result<Executed, ExecuteError<StepError>> {
    let key = Some(subject_key(&case));
    store_as_registration_keyed(store, case, outcome, key).await
}

/// Stores `case` as a registration, exactly as given, with the subject key `key`.
pub(crate) async fn store_as_registration_keyed(
    store: &Store,
    case: CaseRecord,
    outcome: StepOutcome,
    subject_key: Option<String>,
) -> Result<Executed, ExecuteError<StepError>> {
    let meta = MutationMeta {
        actor: case.reporting_office.clone(),
        request_id: Uuid::new_v4(),
        method: REGISTER,
        request_digest: digest(&case.filing.registration_number),
        case_id: case.id,
        expected_etag: None,
        at: case.created_at,
        traceparent: String::new(),
    };
    store
        .execute(meta, move |_| {
            Ok(Applied {
                inbox: Vec::new(),
                audit: super::fixtures::audit_for(&case, &outcome, case.created_at),
                response: response_of(&case),
                subject_key,
                past: Vec::new(),
                case,
                outcome,
                event_payload: serde_json::json!({}),
            })
        })
        .await
}

/// The audit event a step on `case` appends: a minimal leaf naming the action and the case.
pub(crate) fn audit_for(
    case: &CaseRecord,
    outcome: &StepOutcome,
    at: DateTime<Utc>,
) -> crate::audit::AuditRecord {
    let leaf = netral_proto::v1::AuditLeaf {
        action: outcome.action.as_str().to_owned(),
        outcome: netral_proto::v1::AuditOutcome::Success as i32,
        case: format!("cases/{}", case.id),
        ..Default::default()
    };
    crate::audit::AuditRecord {
        case_id: Some(case.id),
        action: outcome.action.as_str().to_owned(),
        outcome: "SUCCESS",
        actor: None,
        at,
        leaf: netral_audit::leaf::encode(&leaf),
    }
}
