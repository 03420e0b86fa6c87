//! `netral-server migrate`, the deployment's migration job: the real binary brings a fresh
//! database's schema up to date and exits, a second run changes nothing, two runs at once
//! wait for each other, and it needs nothing but the database URL, also in production mode
//! (no certificates, directory or audit keys), where it refuses anything but PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use netral_store::Store;
use netral_store::migration::Migrator;
use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;

/// The repository root, where `deploy/config/base.toml` is found as in a real start.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts `netral-server migrate` with `args` before the command and only `env` set.
fn spawn_migrate(args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_netral-server"))
        .args(args)
        .arg("migrate")
        .current_dir(repo_root())
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start netral-server")
}

/// Runs `netral-server migrate` to its end (the binary's own connect timeout bounds it).
fn migrate(args: &[&str], env: &[(&str, &str)]) -> Output {
    spawn_migrate(args, env)
        .wait_with_output()
        .expect("cannot wait for netral-server")
}

/// What a successful run prints: every migration applied, the newest last.
fn up_to_date() -> String {
    let all = Migrator::migrations();
    let latest = all.last().unwrap().name().to_owned();
    format!(
        "schema up to date: {} migrations applied, the latest {latest}\n",
        all.len()
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn migrate_creates_the_sqlite_schema_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let args = ["--data-dir", data_dir.to_str().unwrap()];
    for run in 0..2 {
        let out = migrate(&args, &[]);
        assert!(out.status.success(), "run {run}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), up_to_date(), "run {run}");
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let applied = runtime.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", data_dir.join("netral.db").display());
        let store = Store::connect(&url, 1).await.unwrap();
        store.applied_migrations().await.unwrap()
    });
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(!data_dir.join("pki").exists(), "migrate generates no PKI");
}

#[test]
fn migrate_in_production_mode_needs_only_postgresql() {
    let out = migrate(&["--config", "deploy/config/production.toml"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(netral_server::posture::NEEDS_POSTGRES),
        "{stderr}"
    );
    assert!(!stderr.contains("tls.ca_cert"), "{stderr}");
}

#[test]
fn migrate_on_postgresql_in_production_mode_twice_at_once() {
    let Some(admin) = netral_store::testing::postgres_or_skip(
        "migrate_on_postgresql_in_production_mode_twice_at_once",
    ) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let name = format!("netral_migrate_{}", uuid::Uuid::new_v4().simple());
    let (scheme, rest) = admin.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    let url = format!("{scheme}://{authority}/{name}");
    let admin_db = runtime.block_on(async {
        let db = Database::connect(admin.as_str()).await.unwrap();
        db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        db
    });

    // Production mode, its TLS files, directory and audit keys all absent: migrate runs.
    let args = ["--config", "deploy/config/production.toml"];
    let env = [("DATABASE_URL", url.as_str())];
    let racing: Vec<_> = (0..2).map(|_| spawn_migrate(&args, &env)).collect();
    for child in racing {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), up_to_date());
    }
    let applied = runtime.block_on(async {
        let store = Store::connect(&url, 1).await.unwrap();
        let applied = store.applied_migrations().await.unwrap();
        store.close().await.unwrap();
        applied
    });
    assert_eq!(applied.len(), Migrator::migrations().len());
    runtime.block_on(async {
        admin_db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .unwrap();
    });
}
