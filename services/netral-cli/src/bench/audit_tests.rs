//! Smoke test of `netral bench audit` with a tiny log: an in-process server on SQLite in a
//! temporary data directory, seeded with 2 000 events, measured, exported and verified, then
//! run again to show that the seeded log is reused. Nothing about speed is asserted.

use super::audit::{self, AuditArgs};
use super::database::DatabaseChoice;

fn args(dir: &std::path::Path) -> AuditArgs {
    AuditArgs {
        events: 2_000,
        database: DatabaseChoice::Sqlite,
        server_bin: None,
        in_process: true,
        data_dir: Some(dir.join("data")),
        calls: 30,
        page_calls: Some(20),
        phase_timeout: 60,
        verify_runs: 1,
        export: None,
        keep_export: false,
        no_verify: false,
        verify_only: None,
        key: None,
        seed: 3,
        json: Some(dir.join("report.json")),
        no_progress: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_audit_bench_seeds_measures_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let args = args(dir.path());
    let mut out = Vec::new();
    let report = audit::run(&args, &mut out).await.unwrap();
    let table = String::from_utf8(out).unwrap();

    assert!(report.seeded, "{table}");
    assert!(report.checkpoint_accepted, "{table}");
    assert_eq!((report.events, report.cases), (2_000, 20), "{table}");
    assert_eq!(report.history_calls, 30, "{table}");
    assert_eq!(report.page_calls, 20, "{table}");
    assert_eq!(
        (report.history_mismatches, report.history_errors),
        (0, 0),
        "{table}"
    );
    assert_eq!(
        (report.page_mismatches, report.page_errors),
        (0, 0),
        "{table}"
    );
    // 20 cases of ~100 events each (the earliest ones gather more).
    assert!(
        (50.0..=1_000.0).contains(&report.history_events_mean),
        "{table}"
    );
    assert!(report.page_events_mean <= 100.0, "{table}");
    for latency in [
        report.history_grpc_p50_ms,
        report.history_grpc_p99_ms,
        report.history_sql_p50_ms,
        report.history_sql_p99_ms,
        report.page_grpc_p99_ms,
        report.page_sql_p99_ms,
    ] {
        assert!(latency > 0.0 && latency.is_finite(), "{table}");
    }
    assert!(report.history_grpc_p50_ms <= report.history_grpc_p99_ms);
    assert!(report.history_ratio_p99 > 0.0, "{table}");
    assert!(report.history_sql_plan.contains("audit_events"), "{table}");
    assert_eq!(report.export_source, "server");
    assert_eq!(report.verify_runs, 1);
    assert!(report.export_mb > report.export_leaf_mb && report.export_leaf_mb > 0.4);
    assert!(report.verify_mb_per_s > 0.0, "{table}");
    assert!(table.contains("(a) GetCaseHistory"), "{table}");
    assert!(table.contains("(c) verify"), "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["events"], 2_000);
    assert!(json["history_ratio_p99"].is_number());
    assert!(json["verify_mb_per_s"].is_number());
    let export = dir.path().join("data").join("audit-export-sqlite.bin");
    assert!(
        !export.exists(),
        "the export is removed unless --keep-export"
    );

    // Again on the same data directory, keeping the export: the log is reused, and
    // --verify-only checks the kept file.
    let again = AuditArgs {
        calls: 5,
        keep_export: true,
        no_verify: false,
        ..args.clone()
    };
    let report = audit::run(&again, &mut Vec::new()).await.unwrap();
    assert!(!report.seeded);
    assert_eq!(report.events, 2_000);
    assert!(export.exists());
    let only = AuditArgs {
        verify_only: Some(export.clone()),
        json: None,
        ..args
    };
    let report = audit::run(&only, &mut Vec::new()).await.unwrap();
    assert_eq!((report.events, report.verify_runs), (2_000, 1));
    assert_eq!(report.export_source, "file");
}
