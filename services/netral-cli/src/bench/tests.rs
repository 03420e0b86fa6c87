//! Smoke tests of `netral bench lifecycle` with tiny numbers: an in-process server on SQLite
//! (and on PostgreSQL when `NETRAL_TEST_DATABASE_URL` names an admin URL), checking the
//! report's shape and that every transition was acknowledged. Nothing about speed is
//! asserted: timings on a shared machine prove nothing.

use serde_json::Value;

use super::database::DatabaseChoice;
use super::drive::STEPS;
use super::grpc::Connections;
use super::lifecycle::{self, LifecycleArgs};

/// The keys the issue fixes, with whether each is a number (else a string).
const REQUIRED_KEYS: [(&str, bool); 17] = [
    ("database", false),
    ("clients", true),
    ("cases", true),
    ("transitions", true),
    ("transitions_per_s", true),
    ("p50_ms", true),
    ("p99_ms", true),
    ("health_per_s", true),
    ("floor_per_s", true),
    ("ratio_vs_floor", true),
    ("ratio_vs_health", true),
    ("errors", true),
    ("server_peak_rss_mb", true),
    ("floor_sql_per_s", true),
    ("floor_sql_p50_ms", true),
    ("floor_sql_p99_ms", true),
    ("ratio_vs_sql_floor", true),
];

/// 2 clients, 3 cases, in-process, on `database`: every one of the 18 transitions (and 18
/// health checks, 18 floor (b) and 18 floor (c) transitions) acknowledged, and the JSON
/// report complete.
async fn smoke(database: DatabaseChoice, connections: Connections, rate: Option<&str>) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let args = LifecycleArgs {
        clients: 2,
        cases: 3,
        database: database.clone(),
        endpoint: None,
        pki: None,
        allow_remote: false,
        in_process: true,
        server_bin: None,
        connections,
        rate: rate.map(|r| r.parse().unwrap()),
        timeout: 120,
        json: Some(json.clone()),
        no_progress: true,
    };
    let mut out = Vec::new();
    let report = lifecycle::run(&args, &mut out).await.unwrap();
    let table = String::from_utf8(out).unwrap();

    assert_eq!(report.errors, 0, "{table}");
    assert_eq!(report.transitions, 18, "{table}");
    assert_eq!(report.cases_recorded, 3, "{table}");
    assert_eq!(
        (report.health_calls, report.health_errors),
        (18, 0),
        "{table}"
    );
    assert_eq!(
        (report.floor_transitions, report.floor_errors),
        (18, 0),
        "{table}"
    );
    assert_eq!(
        (report.floor_sql_transitions, report.floor_sql_errors),
        (18, 0),
        "{table}"
    );
    assert!(table.contains("ratios: service/(a) health = "), "{table}");
    assert!(table.contains("(c) bare SQL"), "{table}");
    for (method, _) in STEPS {
        assert!(table.contains(method), "{method} missing from\n{table}");
    }

    let text = std::fs::read_to_string(&json).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let object = value.as_object().expect("the report is a JSON object");
    for (key, numeric) in REQUIRED_KEYS {
        let field = object
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing: {text}"));
        assert_eq!(field.is_number(), numeric, "{key} in {text}");
        assert!(numeric || field.is_string(), "{key} in {text}");
    }
    assert!(
        object.values().all(|v| !v.is_object() && !v.is_array()),
        "not flat: {text}"
    );
    assert_eq!(object["database"], database.kind());
    assert_eq!(object["transitions"], 18);
    assert_eq!(object["errors"], 0);
    assert_eq!(object["floor_sql_transitions"], 18);
    assert_eq!(object["floor_sql_errors"], 0);
    assert_eq!(object["server"], "in-process");
    for (_, name) in STEPS {
        assert_eq!(object[&format!("{name}_calls")], 3.0, "{name}: {text}");
        for p in ["p50", "p95", "p99"] {
            assert!(
                object[&format!("{name}_{p}_ms")].is_number(),
                "{name}_{p}: {text}"
            );
        }
    }
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_lifecycle_on_sqlite_acknowledges_every_transition() {
    let report = smoke(DatabaseChoice::Sqlite, Connections::PerClient, None).await;
    assert!(report["rate_cases_per_s"].is_null());
    assert!(report["start_lag_p99_ms"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_lifecycle_reports_its_offered_load() {
    let report = smoke(DatabaseChoice::Sqlite, Connections::PerClient, Some("40")).await;
    assert_eq!(report["rate_cases_per_s"], 40.0);
    assert_eq!(report["offered_transitions_per_s"], 240.0);
    assert!(report["start_lag_p99_ms"].is_number());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_connections_carry_the_same_load() {
    smoke(DatabaseChoice::Sqlite, Connections::PerAgency, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_lifecycle_on_postgres_when_configured() {
    let test = "a_tiny_lifecycle_on_postgres_when_configured";
    let Some(admin_url) = netral_store::testing::postgres_or_skip(test) else {
        return;
    };
    smoke(
        DatabaseChoice::Postgres { admin_url },
        Connections::PerClient,
        None,
    )
    .await;
}
