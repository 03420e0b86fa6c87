//! Fresh databases for tests: a SQLite file in a temporary directory, and a PostgreSQL
//! database created for the test and dropped after it when `NETRAL_TEST_DATABASE_URL` (an
//! admin URL such as `postgres://postgres@127.0.0.1:5432/postgres`) is set. If it is set but
//! unreachable the test fails: a silently skipped backend is a backend not tested.

use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;

use crate::Store;

/// The variable naming the PostgreSQL admin URL.
pub(crate) const PG_ENV: &str = "NETRAL_TEST_DATABASE_URL";

/// A store on a database of its own, removed when dropped.
pub(crate) struct TestDb {
    /// The store under test.
    pub store: Store,
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// The URL the store was opened with, to open more stores on the same database.
    pub url: String,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<TempDir>,
    /// Drops the PostgreSQL database.
    _pg: Option<PgDatabase>,
}

/// A PostgreSQL database created for one test.
pub(crate) struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    /// Creates a fresh, empty database on the server at `admin_url`; panics (fails the test)
    /// when the server cannot be reached.
    pub(crate) async fn create(admin_url: &str) -> (Self, String) {
        let name = format!("netral_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(admin_url, &name);
        (
            Self {
                admin_url: admin_url.to_owned(),
                name,
            },
            url,
        )
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs outside any async context we may block on: use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await?;
                admin.execute_unprepared(&sql).await?;
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// `admin_url` with its database replaced by `name`.
pub(crate) fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

/// The PostgreSQL admin URL, if tests should run on PostgreSQL too.
pub(crate) fn pg_admin_url() -> Option<String> {
    crate::testing::postgres_url()
}

/// A store on a fresh SQLite file.
pub(crate) async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("nested/netral.db").display()
    );
    let store = Store::connect(&url, 4).await.unwrap();
    TestDb {
        store,
        label: "sqlite",
        url,
        _dir: Some(dir),
        _pg: None,
    }
}

/// A store on a fresh PostgreSQL database.
pub(crate) async fn postgres(admin_url: &str) -> TestDb {
    let (pg, url) = PgDatabase::create(admin_url).await;
    let store = Store::connect(&url, 8).await.unwrap();
    TestDb {
        store,
        label: "postgres",
        url,
        _dir: None,
        _pg: Some(pg),
    }
}

/// A fresh SQLite store, and a fresh PostgreSQL one when configured.
pub(crate) async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    if let Some(admin) = pg_admin_url() {
        dbs.push(postgres(&admin).await);
    }
    dbs
}

#[test]
fn swaps_the_database_of_an_admin_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@db:5432/postgres?sslmode=disable", "t1"),
        "postgres://u:p@db:5432/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://db", "t1"), "postgres://db/t1");
}
