//! The persistence floor: the same six transitions per case, by the same agencies, applied
//! straight through the server's write path, [`Exchange`] — exactly what `CaseService` runs
//! (event payload, policy, state machine, group-committed store transaction, reply stored for
//! replays) — but with no gRPC, TLS, HTTP/2, request parsing or caller lookup. What the
//! service reaches is measured against this.

use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use netral_domain::case::{
    CaseSource, Command, Election, ElectionPhase, ImposedSanction, NewCase, Recommendation, Subject,
};
use netral_domain::catalogue::{ElectionKind, MoralKind, SanctionLevel, SanctionTrack};
use netral_domain::ids::{SubjectId, SubjectIdKind};
use netral_domain::{AgencyId, AgencyProfile, CaseId, Catalogue};
use netral_proto::v1 as pb;
use netral_server::clock::Clock;
use netral_server::directory::Directory;
use netral_server::exchange::{Exchange, Mutation};
use netral_store::Store;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::drive::{CaseRunner, STEPS, Tally};
use super::grpc::{BAWASLU, EXAMINER, PPK};

/// What every floor worker shares: the write path, the store, and the directory.
#[derive(Clone)]
pub struct Floor {
    /// The store on the floor's own fresh database (closed at the end).
    store: Store,
    /// The server's write path over `store`, with the bundled catalogue and default limits.
    exchange: Exchange,
    /// The dev directory: profiles and the examiner of the day.
    directory: Arc<Directory>,
    /// Makes registration numbers unique to this run.
    run_tag: Arc<str>,
}

impl Floor {
    /// Connects to `url` (migrating the fresh database) with the server's default pool size,
    /// and syncs the dev directory into it as the server does at start.
    pub async fn open(url: &str, run_tag: Arc<str>) -> anyhow::Result<Self> {
        let pool = netral_server::settings::Settings::default()
            .database
            .max_connections;
        let store = Store::connect(url, pool)
            .await
            .context("the floor cannot open its database")?;
        let directory = Directory::dev_seed()?;
        store.sync_directory(&directory.records()).await?;
        let directory = Arc::new(directory);
        let exchange = Exchange::new(
            store.clone(),
            Arc::new(Catalogue::bundled()?),
            Default::default(),
            Arc::new(netral_server::audit::AuditKeys::ephemeral(
                "netral.bench/audit-log",
            )),
            netral_server::directory::DirectoryHandle::new(Directory::clone(&directory)),
            Default::default(),
        );
        Ok(Self {
            store,
            exchange,
            directory,
            run_tag,
        })
    }

    /// Closes the pool (SQLite checkpoints its WAL).
    pub async fn close(self) -> anyhow::Result<()> {
        self.store.close().await?;
        Ok(())
    }

    /// A worker of this floor.
    pub fn runner(&self) -> anyhow::Result<FloorRunner> {
        let profile = |id: &str| -> anyhow::Result<AgencyProfile> {
            let id: AgencyId = id.parse()?;
            let entry = self
                .directory
                .get(&id)
                .with_context(|| format!("{id} is not in the dev directory"))?;
            Ok(entry.profile.clone())
        };
        Ok(FloorRunner {
            floor: self.clone(),
            bawaslu: profile(BAWASLU)?,
            examiner: profile(EXAMINER)?,
            ppk: profile(PPK)?,
        })
    }
}

/// One floor worker.
pub struct FloorRunner {
    /// The shared store and rules.
    floor: Floor,
    /// The registering and forwarding office.
    bawaslu: AgencyProfile,
    /// The examiner and personnel registry.
    examiner: AgencyProfile,
    /// The PPK.
    ppk: AgencyProfile,
}

/// The case as a worker knows it between steps: its id and etag.
pub struct Held {
    /// The case.
    id: CaseId,
    /// Its etag after the last step.
    etag: String,
}

/// The id and etag of a reply.
fn held(reply: pb::Case) -> Result<Held, String> {
    let id = CaseId::from_resource_name(&reply.name).map_err(|_| "reply without a case name")?;
    Ok(Held {
        id,
        etag: reply.etag,
    })
}

/// The idempotency digest: the server hashes the method and the encoded request; here the
/// method and the request id stand in for the request.
fn digest(method: &str, request_id: uuid::Uuid) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(request_id.as_bytes());
    hasher.finalize().into()
}

/// A fresh mutation by `caller` through `method`, now.
fn mutation(caller: &AgencyProfile, method: &'static str) -> Mutation {
    mutation_at(caller, method, Clock::system().now())
}

/// A fresh mutation by `caller` through `method` at the instant `at`.
pub(super) fn mutation_at(
    caller: &AgencyProfile,
    method: &'static str,
    at: chrono::DateTime<chrono::Utc>,
) -> Mutation {
    let request_id = uuid::Uuid::new_v4();
    Mutation {
        caller: caller.clone(),
        request_id,
        method,
        request_digest: digest(method, request_id),
        at,
        origin: netral_server::audit::Origin::default(),
    }
}

/// Today in the exchange's calendar.
fn today() -> NaiveDate {
    Clock::date_of(Clock::system().now())
}

impl FloorRunner {
    /// Registers case `index` as Bawaslu Kotabaru.
    async fn register(&self, index: usize) -> Result<Held, String> {
        let filing = self.filing(index)?;
        let reply = self
            .floor
            .exchange
            .register(mutation(&self.bawaslu, "RegisterCase"), filing)
            .await
            .map_err(|err| format!("refused: {err}"))?;
        held(reply)
    }

    /// Applies `command` to `case` as `actor`, with `case`'s etag.
    async fn apply(
        &self,
        actor: &AgencyProfile,
        method: &'static str,
        case: &Held,
        command: Command,
    ) -> Result<Held, String> {
        let reply = self
            .floor
            .exchange
            .transition(mutation(actor, method), case.id, case.etag.clone(), command)
            .await
            .map_err(|err| format!("refused: {err}"))?;
        held(reply)
    }

    /// The same filing as the gRPC bench's registration `index`.
    fn filing(&self, index: usize) -> Result<NewCase, String> {
        filing(&self.floor.run_tag, index)
    }

    /// The examiner of the day, as the server resolves it for a forwarding.
    fn examiner_today(&self) -> Result<AgencyId, String> {
        self.floor
            .directory
            .examiner_on(today())
            .map(|profile| profile.id.clone())
            .map_err(|err| format!("step refused: {err}"))
    }
}

/// Records the outcome of step `step` and hands on the case, or returns from `run_case`.
macro_rules! step {
    ($tally:expr, $step:expr, $result:expr) => {{
        let started = Instant::now();
        match $result.await {
            Ok(case) => {
                $tally.ok($step, started);
                case
            }
            Err(kind) => {
                $tally.failed($step, kind);
                return;
            }
        }
    }};
}

impl CaseRunner for FloorRunner {
    async fn run_case(&mut self, index: usize, tally: &mut Tally) {
        let methods = STEPS.map(|(method, _)| method);
        let case = step!(tally, 0, self.register(index));
        let forward = async {
            let command = Command::Forward {
                letter_number: "045/PP.01.02/K.KS-05/03/2024".into(),
                examiner: self.examiner_today()?,
            };
            self.apply(&self.bawaslu, methods[1], &case, command).await
        };
        let case = step!(tally, 1, forward);
        let accept = self.apply(&self.examiner, methods[2], &case, Command::Accept);
        let case = step!(tally, 2, accept);
        let recommendation = Recommendation {
            track: SanctionTrack::Level(SanctionLevel::Severe),
            moral: Some(MoralKind::Open),
            letter_number: "B-1207/BKN/03/2024".into(),
            rationale: "Terbukti menyukai dan membagikan unggahan kampanye (bentuk 6).".into(),
        };
        let command = Command::RecommendSanction(recommendation);
        let case = step!(
            tally,
            3,
            self.apply(&self.examiner, methods[3], &case, command)
        );
        let sanctions = vec![ImposedSanction {
            code: "SEVERE_DEMOTION_12M".into(),
            decree_number: "800/123/BKPSDM/2024".into(),
            decree_date: today(),
        }];
        let command = Command::RecordSanctionDecree { sanctions };
        let case = step!(tally, 4, self.apply(&self.ppk, methods[4], &case, command));
        let command = Command::RecordInRegistry {
            reference: "IDIS-BENCH-1".into(),
        };
        step!(
            tally,
            5,
            self.apply(&self.examiner, methods[5], &case, command)
        );
    }
}

/// The gRPC bench's registration `index` of run `tag` (fictional civil servant, Kotabaru).
pub(super) fn filing(tag: &str, index: usize) -> Result<NewCase, String> {
    let bad = |what: &str| format!("bench data: {what}");
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| bad("date"));
    Ok(NewCase {
        registration_number: format!("BENCH-{tag}-{index:07}/Reg/TM/PL/Kab/22.05/2024"),
        ppk: PPK.parse().map_err(|_| bad("PPK"))?,
        subject: Subject {
            id: SubjectId::parse(SubjectIdKind::Nip, "199003252015032001")
                .map_err(|_| bad("NIP"))?,
            full_name: "Rusdiana Maulida Hasanah (fiktif)".into(),
            position: "Guru Ahli Pertama".into(),
            employing_instance: "Pemerintah Kabupaten Kotabaru".into(),
        },
        region: "63.02".parse().map_err(|_| bad("region"))?,
        election: Election {
            kind: ElectionKind::Pemilu,
            year: 2024,
            phase: ElectionPhase::AfterCandidateDetermination,
        },
        legal_basis: "UU 7/2017 Pasal 280 ayat (3); SKB Netralitas ASN 2022".into(),
        violation_form: 6,
        source: CaseSource::Finding,
        occurred_on: date(2024, 1, 28)?,
        reported_on: date(2024, 2, 1)?,
        summary: "Menyukai dan membagikan unggahan kampanye calon di Facebook (data fiktif)."
            .into(),
        overlaps_election_crime: false,
    })
}
