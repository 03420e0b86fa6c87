//! The load over gRPC: mTLS channels presenting the dev PKI's agency certificates, a case's
//! six RPCs each sent by the agency that may take it (as `docs/examples/walk-case.sh` does),
//! and the health ceiling, which makes the same number of `grpc.health.v1` checks over the same
//! channels from the same workers: the cost of tonic, TLS and HTTP/2 with no work behind them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{Datelike, Utc};
use netral_proto::google::r#type::Date;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_server::clock::Clock;
use tokio::time::Instant;
use tonic::Status;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use super::drive::{CaseRunner, Tally};

/// The Bawaslu office that registers and forwards: Kotabaru, whose region the cases are in.
pub const BAWASLU: &str = "bawaslu-kotabaru";
/// The examiner (since 2024-08-24), who accepts and recommends; also the personnel registry,
/// which records the sanction.
pub const EXAMINER: &str = "bkn";
/// The PPK of the reported teacher's employing instance, who decrees the sanction.
pub const PPK: &str = "pemkab-kotabaru";

/// How long one call may take before the client gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long establishing one connection (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which agency sends a step.
#[derive(Debug, Clone, Copy)]
enum Sender {
    /// [`BAWASLU`].
    Bawaslu,
    /// [`EXAMINER`].
    Examiner,
    /// [`PPK`].
    Ppk,
}

/// Who sends each of the six steps of [`super::drive::STEPS`].
const SENDERS: [Sender; 6] = [
    Sender::Bawaslu,
    Sender::Bawaslu,
    Sender::Examiner,
    Sender::Examiner,
    Sender::Ppk,
    Sender::Examiner,
];

/// How workers share connections (`--connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Connections {
    /// Every worker has its own connection per agency, as independent client systems would.
    PerClient,
    /// One connection per agency, multiplexed (HTTP/2) by every worker.
    PerAgency,
}

impl Connections {
    /// The flag's spelling, for the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerClient => "per-client",
            Self::PerAgency => "per-agency",
        }
    }
}

/// One worker's three channels, one per agency it acts as.
#[derive(Clone)]
pub struct AgencyChannels {
    /// As [`BAWASLU`].
    bawaslu: Channel,
    /// As [`EXAMINER`].
    examiner: Channel,
    /// As [`PPK`].
    ppk: Channel,
}

impl AgencyChannels {
    /// The channel of [`BAWASLU`].
    pub fn bawaslu(&self) -> Channel {
        self.bawaslu.clone()
    }

    /// The channel of `sender`.
    fn of(&self, sender: Sender) -> Channel {
        match sender {
            Sender::Bawaslu => self.bawaslu.clone(),
            Sender::Examiner => self.examiner.clone(),
            Sender::Ppk => self.ppk.clone(),
        }
    }
}

/// The client TLS configuration of `agency` from the dev PKI in `pki_dir`.
pub(super) fn tls_for(pki_dir: &Path, agency: &str) -> anyhow::Result<ClientTlsConfig> {
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let ca = read(&pki_dir.join("ca.pem"))?;
    let dir = pki_dir.join("agencies");
    let cert = read(&dir.join(format!("{agency}.pem")))?;
    let key = read(&dir.join(format!("{agency}.key")))?;
    Ok(netral_server::tls::client_tls_config(ca, cert, key))
}

/// One mTLS connection to `endpoint` with `tls`.
async fn connect_with(endpoint: &str, tls: ClientTlsConfig) -> anyhow::Result<Channel> {
    let channel = Channel::from_shared(endpoint.to_owned())
        .with_context(|| format!("`{endpoint}` is not a valid endpoint"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .tcp_nodelay(true)
        .tls_config(tls)?
        .connect()
        .await
        .with_context(|| format!("cannot connect to {endpoint}"))?;
    Ok(channel)
}

/// Asks the server's health service, as `agency`, whether it is serving.
pub async fn probe(endpoint: &str, pki_dir: &Path, agency: &str) -> anyhow::Result<()> {
    let channel = connect_with(endpoint, tls_for(pki_dir, agency)?).await?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await?;
    match reply.into_inner().status() {
        ServingStatus::Serving => Ok(()),
        other => bail!("health is {}", other.as_str_name()),
    }
}

/// The channels of `clients` workers: their own per worker, or three shared ones.
pub async fn channels(
    endpoint: &str,
    pki_dir: &Path,
    clients: usize,
    mode: Connections,
) -> anyhow::Result<Vec<AgencyChannels>> {
    let tls = [BAWASLU, EXAMINER, PPK].map(|agency| tls_for(pki_dir, agency));
    let [bawaslu, examiner, ppk] = tls;
    let (bawaslu, examiner, ppk) = (bawaslu?, examiner?, ppk?);
    let connect = || async {
        Ok::<_, anyhow::Error>(AgencyChannels {
            bawaslu: connect_with(endpoint, bawaslu.clone()).await?,
            examiner: connect_with(endpoint, examiner.clone()).await?,
            ppk: connect_with(endpoint, ppk.clone()).await?,
        })
    };
    let mut all = Vec::with_capacity(clients);
    match mode {
        Connections::PerAgency => {
            let shared = connect().await?;
            all.resize(clients, shared);
        }
        Connections::PerClient => {
            for _ in 0..clients {
                all.push(connect().await?);
            }
        }
    }
    Ok(all)
}

/// The health ceiling's worker: six checks per case, each over the channel of the agency
/// that would send that step.
pub struct HealthRunner {
    /// The worker's channels.
    channels: AgencyChannels,
}

impl HealthRunner {
    /// A worker over `channels`.
    pub fn new(channels: AgencyChannels) -> Self {
        Self { channels }
    }
}

impl CaseRunner for HealthRunner {
    async fn run_case(&mut self, _index: usize, tally: &mut Tally) {
        for (step, sender) in SENDERS.iter().enumerate() {
            let mut client = HealthClient::new(self.channels.of(*sender));
            let started = Instant::now();
            match client.check(HealthCheckRequest::default()).await {
                Ok(reply) if reply.get_ref().status() == ServingStatus::Serving => {
                    tally.ok(step, started)
                }
                Ok(_) => tally.failed(step, "NotServing"),
                Err(status) => tally.failed(step, code(&status)),
            }
        }
    }
}

/// The lifecycle's worker: registers a case and takes it to RECORDED.
pub struct LifecycleRunner {
    /// As [`BAWASLU`].
    bawaslu: CaseServiceClient<Channel>,
    /// As [`EXAMINER`].
    examiner: CaseServiceClient<Channel>,
    /// As [`PPK`].
    ppk: CaseServiceClient<Channel>,
    /// Makes registration numbers unique to this run (they are unique exchange-wide).
    run_tag: Arc<str>,
    /// Where each acknowledged step's answer time is written, when a bench needs it (the
    /// inbox bench measures delivery from it).
    acks: Option<AckLog>,
}

/// When each step was acknowledged: (case name, step index) → the instant its answer came.
pub type AckLog = Arc<std::sync::Mutex<std::collections::HashMap<(String, usize), Instant>>>;

impl LifecycleRunner {
    /// A worker over `channels`; `run_tag` goes into every registration number.
    pub fn new(channels: &AgencyChannels, run_tag: Arc<str>) -> Self {
        Self {
            bawaslu: CaseServiceClient::new(channels.of(Sender::Bawaslu)),
            examiner: CaseServiceClient::new(channels.of(Sender::Examiner)),
            ppk: CaseServiceClient::new(channels.of(Sender::Ppk)),
            run_tag,
            acks: None,
        }
    }

    /// The same worker, also writing when each step was acknowledged into `acks`.
    pub fn logging_acks(mut self, acks: AckLog) -> Self {
        self.acks = Some(acks);
        self
    }

    fn acknowledged(&self, case: &pb::Case, step: usize) {
        if let Some(acks) = &self.acks {
            let mut acks = acks.lock().unwrap_or_else(|p| p.into_inner());
            acks.insert((case.name.clone(), step), Instant::now());
        }
    }
}

/// Sends one step and returns the case it answered with, or records the failure and returns
/// from the enclosing `run_case`.
macro_rules! step {
    ($runner:expr, $tally:expr, $step:expr, $expected:expr, $call:expr) => {{
        let started = Instant::now();
        let reply = $call.await.map(|r| r.into_inner().r#case);
        match acknowledge($tally, $step, started, $expected, reply) {
            Some(case) => {
                $runner.acknowledged(&case, $step);
                case
            }
            None => return,
        }
    }};
}

impl CaseRunner for LifecycleRunner {
    async fn run_case(&mut self, index: usize, tally: &mut Tally) {
        use pb::CaseState as S;
        let register = register_request(&self.run_tag, index);
        let case = step!(
            self,
            tally,
            0,
            S::Registered,
            self.bawaslu.register_case(register)
        );
        let case = step!(
            self,
            tally,
            1,
            S::Forwarded,
            self.bawaslu.forward_case(forward(&case))
        );
        let case = step!(
            self,
            tally,
            2,
            S::UnderExamination,
            self.examiner.accept_case(accept(&case))
        );
        let case = step!(
            self,
            tally,
            3,
            S::SanctionRecommended,
            self.examiner.recommend_sanction(recommend(&case))
        );
        let case = step!(
            self,
            tally,
            4,
            S::Sanctioned,
            self.ppk.record_sanction_decree(decree(&case))
        );
        step!(
            self,
            tally,
            5,
            S::Recorded,
            self.examiner.record_in_registry(record(&case))
        );
    }
}

/// Records a reply: acknowledged when it carries the case in the `expected` state.
fn acknowledge(
    tally: &mut Tally,
    step: usize,
    started: Instant,
    expected: pb::CaseState,
    reply: Result<Option<pb::Case>, Status>,
) -> Option<pb::Case> {
    match reply {
        Ok(Some(case)) if case.state == expected as i32 => {
            tally.ok(step, started);
            Some(case)
        }
        Ok(Some(_)) => {
            tally.failed(step, "reply in an unexpected state");
            None
        }
        Ok(None) => {
            tally.failed(step, "reply without a case");
            None
        }
        Err(status) => {
            tally.failed(step, code(&status));
            None
        }
    }
}

/// The error label of a failed call: its gRPC code.
fn code(status: &Status) -> String {
    format!("{:?}", status.code())
}

/// A fresh idempotency key.
fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Today in the exchange's calendar (Jakarta), as a wire date.
fn today() -> Date {
    let day = Clock::date_of(Utc::now());
    Date {
        year: day.year(),
        month: day.month() as i32,
        day: day.day() as i32,
    }
}

/// Registration `index` of this run: Bawaslu Kotabaru's finding that a (fictional) teacher
/// shared a candidate's campaign posts (form 6), Pemilu 2024, for the Kotabaru regent as PPK.
pub fn register_request(run_tag: &str, index: usize) -> pb::RegisterCaseRequest {
    let date = |year, month, day| Some(Date { year, month, day });
    pb::RegisterCaseRequest {
        request_id: request_id(),
        r#case: Some(pb::Case {
            registration_number: format!("BENCH-{run_tag}-{index:07}/Reg/TM/PL/Kab/22.05/2024"),
            ppk: format!("agencies/{PPK}"),
            subject: Some(pb::Subject {
                id_kind: pb::SubjectIdKind::Nip as i32,
                id: "199003252015032001".into(),
                full_name: "Rusdiana Maulida Hasanah (fiktif)".into(),
                position: "Guru Ahli Pertama".into(),
                employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
                erased: false,
            }),
            region_code: "63.02".into(),
            election: Some(pb::Election {
                kind: pb::ElectionKind::Pemilu as i32,
                year: 2024,
                phase: pb::ElectionPhase::AfterCandidateDetermination as i32,
            }),
            legal_basis: "UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022".into(),
            violation_form: 6,
            source: pb::CaseSource::Finding as i32,
            occurred_date: date(2024, 1, 28),
            reported_date: date(2024, 2, 1),
            summary: "Menyukai dan membagikan unggahan kampanye calon di Facebook (data fiktif)."
                .into(),
            ..Default::default()
        }),
    }
}

fn forward(case: &pb::Case) -> pb::ForwardCaseRequest {
    pb::ForwardCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        letter_number: "045/PP.01.02/K.KS-05/03/2024".into(),
    }
}

fn accept(case: &pb::Case) -> pb::AcceptCaseRequest {
    pb::AcceptCaseRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
    }
}

fn recommend(case: &pb::Case) -> pb::RecommendSanctionRequest {
    pb::RecommendSanctionRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        recommendation: Some(pb::SanctionRecommendation {
            level: pb::SanctionLevel::Severe as i32,
            moral_sanction: pb::MoralSanction::OpenStatement as i32,
            letter_number: "B-1207/BKN/03/2024".into(),
            rationale: "Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6).".into(),
        }),
    }
}

fn decree(case: &pb::Case) -> pb::RecordSanctionDecreeRequest {
    pb::RecordSanctionDecreeRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        sanctions: vec![pb::ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "800/123/BKPSDM/2024".into(),
            decree_date: Some(today()),
        }],
    }
}

fn record(case: &pb::Case) -> pb::RecordInRegistryRequest {
    pb::RecordInRegistryRequest {
        name: case.name.clone(),
        etag: case.etag.clone(),
        request_id: request_id(),
        registry_reference: "IDIS-BENCH-1".into(),
    }
}
