//! Three server processes on one database, as a deployment runs its replicas behind a load
//! balancer: thirty cases walk their whole life at once, every step through a different
//! replica than the step before, and afterwards nothing is lost or doubled: each case is in
//! its final state with one case event per step, the audit log holds each step once and
//! verifies (one sequencer at a time across the processes), each step told each recipient
//! once, and each deadline exists once. On SQLite (one shared file) and on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netral_domain::CaseId;
use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_server::audit::{AuditKeys, KeyFiles, LogKeeper};
use netral_server::clock::Clock;
use netral_server::settings::Settings;
use netral_store::Store;
use netral_tests::fixtures::{self, path_to};
use netral_tests::process::{CrashSite, ServerProcess};
use netral_tests::{PATIENCE, default_now, eventually};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::sync::Mutex;
use tonic::transport::Channel;

/// Server processes on the one database.
const REPLICAS: usize = 3;
/// Cases walked at once.
const CASES: usize = 30;

/// One mTLS client per replica and agency, made on first use and shared by the cases.
struct Clients {
    /// The running replicas.
    replicas: Vec<ServerProcess>,
    /// `(replica, agency)` → its client (one connection each).
    made: Mutex<HashMap<(usize, String), CaseServiceClient<Channel>>>,
}

impl Clients {
    async fn get(&self, replica: usize, agency: &str) -> CaseServiceClient<Channel> {
        let key = (replica, agency.to_owned());
        if let Some(client) = self.made.lock().await.get(&key) {
            return client.clone();
        }
        let client = self.replicas[replica].client(agency).await;
        self.made.lock().await.insert(key, client.clone());
        client
    }
}

/// Registers a case through replica `first`, then takes every step to RECORDED, each
/// through the replica after the one before; answers the final case and the replicas used.
async fn walk_across(clients: &Clients, first: usize) -> (pb::Case, Vec<usize>) {
    let mut replica = first;
    let mut used = vec![replica];
    let mut bawaslu = clients.get(replica, "bawaslu-kotabaru").await;
    let reply = bawaslu
        .register_case(fixtures::kotabaru_social_media_like())
        .await
        .unwrap_or_else(|status| panic!("register through replica {replica}: {status:?}"));
    let mut case = fixtures::case_of(reply.into_inner().r#case);
    for step in path_to(pb::CaseState::Recorded) {
        replica = (replica + 1) % REPLICAS;
        used.push(replica);
        let actor = step.actor_for(&case);
        let mut client = clients.get(replica, &actor).await;
        case = step
            .send(&mut client, &case)
            .await
            .unwrap_or_else(|status| {
                panic!("{actor} cannot {step:?} through replica {replica}: {status:?}")
            });
    }
    (case, used)
}

/// Rows of `sql` as text columns `columns` plus a trailing count column `n`.
async fn counted(db: &DatabaseConnection, sql: &str, columns: &[&str]) -> Vec<(Vec<String>, i64)> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all(Statement::from_string(backend, sql))
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
    rows.iter()
        .map(|row| {
            let key = columns
                .iter()
                .map(|c| row.try_get::<String>("", c).unwrap())
                .collect();
            (key, row.try_get::<i64>("", "n").unwrap())
        })
        .collect()
}

/// Per case, the keys `sql` groups by (after the case id); fails on any key counted twice.
async fn once_per_case(
    db: &DatabaseConnection,
    what: &str,
    sql: &str,
    columns: &[&str],
) -> BTreeMap<String, BTreeSet<Vec<String>>> {
    let mut per_case: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (mut key, n) in counted(db, sql, columns).await {
        assert_eq!(n, 1, "{what} {key:?} is there {n} times");
        let case = key.remove(0);
        per_case.entry(case).or_default().insert(key);
    }
    per_case
}

/// Every case's set is the same (the same path, the same parties) and not empty.
fn alike(what: &str, per_case: &BTreeMap<String, BTreeSet<Vec<String>>>, cases: usize) {
    assert_eq!(per_case.len(), cases, "{what}: cases with any");
    let first = per_case.values().next().unwrap();
    assert!(!first.is_empty());
    for (case, set) in per_case {
        assert_eq!(set, first, "{what} of {case} differ from the others'");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_one_database_lose_nothing_and_double_nothing() {
    let started = Instant::now();
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server"))
        .await
        .standing_at(default_now());
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(site.start().await);
    }
    let clients = Arc::new(Clients {
        replicas,
        made: Mutex::default(),
    });

    let walks: Vec<_> = (0..CASES)
        .map(|i| {
            let clients = clients.clone();
            tokio::spawn(async move { walk_across(&clients, i % REPLICAS).await })
        })
        .collect();
    let mut cases = Vec::new();
    for walk in walks {
        let (case, used) = walk.await.unwrap();
        assert!(used.windows(2).all(|w| w[0] != w[1]), "{used:?}");
        cases.push(case);
    }
    let steps = 1 + path_to(pb::CaseState::Recorded).len();

    // Every case reads RECORDED through every replica.
    for (replica, case) in cases.iter().enumerate() {
        for r in [replica % REPLICAS, (replica + 1) % REPLICAS] {
            let read = clients
                .get(r, "bkn")
                .await
                .get_case(pb::GetCaseRequest {
                    name: case.name.clone(),
                    view: pb::CaseView::Basic as i32,
                })
                .await
                .unwrap()
                .into_inner();
            let read = fixtures::case_of(read.r#case);
            assert_eq!(fixtures::state_of(&read), pb::CaseState::Recorded);
            assert_eq!(read.etag, case.etag, "replica {r} reads what was written");
        }
    }

    let url = site.database_url();
    let store = Store::connect(&url, 2).await.unwrap();
    // One case event per step, versions 1..=steps, the same actions in the same order.
    let mut actions = None;
    for case in &cases {
        let events = store
            .case_events(CaseId::from_resource_name(&case.name).unwrap())
            .await
            .unwrap();
        let versions: Vec<i64> = events.iter().map(|e| e.case_version).collect();
        assert_eq!(
            versions,
            (1..=steps as i64).collect::<Vec<_>>(),
            "{}",
            case.name
        );
        let requests: BTreeSet<_> = events.iter().map(|e| e.request_id).collect();
        assert_eq!(requests.len(), steps, "one request id per step");
        let these: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(these.len(), BTreeSet::from_iter(&these).len(), "{these:?}");
        match &actions {
            None => actions = Some(these.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
            Some(first) => assert_eq!(&these, first, "{}", case.name),
        }
    }
    let counts = store.table_counts().await.unwrap();
    assert_eq!(counts.cases, CASES as u64);
    assert_eq!(counts.case_events, (CASES * steps) as u64);

    let db = Database::connect(url.as_str()).await.unwrap();
    // The audit log: each step's event once, nothing else succeeded on these cases' steps.
    let audited = once_per_case(
        &db,
        "the audit event of",
        "SELECT case_id, action, COUNT(*) AS n FROM audit_events \
         WHERE outcome = 'SUCCESS' AND case_id IS NOT NULL AND action IN \
         (SELECT DISTINCT action FROM case_events) GROUP BY case_id, action",
        &["case_id", "action"],
    )
    .await;
    alike("audit events", &audited, CASES);
    assert_eq!(audited.values().next().unwrap().len(), steps);
    // The replicas' sequencers integrated every event, one at a time: nothing waits, no
    // sequence number is missing or given twice, and the signed log verifies.
    eventually(PATIENCE, || {
        let store = store.clone();
        async move { store.audit_events_waiting().await.unwrap() == 0 }
    })
    .await;
    let tree_size = store.audit_tree_size().await.unwrap();
    let sequences = counted(
        &db,
        "SELECT 'all' AS k, COUNT(DISTINCT sequence) AS n FROM audit_events",
        &["k"],
    )
    .await;
    assert_eq!(sequences[0].1 as u64, tree_size);
    assert_eq!(store.table_counts().await.unwrap().audit_events, tree_size);
    let mut settings = Settings::for_test();
    settings.data_dir = site.dir.path().to_owned();
    let keys = Arc::new(AuditKeys::load(&KeyFiles::of(&settings), &[]).unwrap());
    let keeper = LogKeeper::new(store.clone(), keys, Clock::manual(default_now()), 1000);
    let checkpoint = keeper.checkpoint_now().await.unwrap();
    assert_eq!(checkpoint.tree_size, tree_size);
    assert_eq!(
        keeper.self_check().await.unwrap(),
        vec![],
        "the log verifies"
    );

    // Inboxes: each step told each of its recipients once, alike for every case.
    let told = once_per_case(
        &db,
        "the inbox message",
        "SELECT case_id, action, recipient, kind, COUNT(*) AS n FROM inbox_messages \
         GROUP BY case_id, action, recipient, kind",
        &["case_id", "action", "recipient", "kind"],
    )
    .await;
    alike("inbox messages", &told, CASES);
    eventually(PATIENCE, || async {
        counted(
            &db,
            "SELECT 'all' AS k, COUNT(*) AS n FROM inbox_messages WHERE seq IS NULL",
            &["k"],
        )
        .await[0]
            .1
            == 0
    })
    .await;
    let numbered = counted(
        &db,
        "SELECT 'all' AS k, COUNT(*) - COUNT(DISTINCT seq) AS n FROM inbox_messages",
        &["k"],
    )
    .await;
    assert_eq!(numbered[0].1, 0, "no feed position given twice");

    // Deadlines: each started once per case.
    let deadlines = once_per_case(
        &db,
        "the deadline",
        "SELECT case_id, step, agency, COUNT(*) AS n FROM case_deadlines \
         GROUP BY case_id, step, agency",
        &["case_id", "step", "agency"],
    )
    .await;
    alike("deadlines", &deadlines, CASES);

    let took = started.elapsed();
    eprintln!("{CASES} cases × {steps} steps across {REPLICAS} replicas in {took:?}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
}
