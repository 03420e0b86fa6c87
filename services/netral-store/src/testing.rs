//! For test suites only (the store's, the CLI's, the end-to-end one): which PostgreSQL
//! server to test against, and a visible record of a test that ran nothing.
//!
//! A test that needs PostgreSQL and finds no `NETRAL_TEST_DATABASE_URL` is **skipped, never
//! passed silently**: it writes `test <name> ... skipped: <why>` straight to the process's
//! stderr (past libtest's capture, so the line appears in every run's output, where `.ci/run`
//! counts it) and returns. When `NETRAL_TEST_REQUIRE_POSTGRES` is set (`.ci/run`'s
//! PostgreSQL run) it fails instead.

use std::io::Write;

/// The variable naming the PostgreSQL admin URL tests create their databases with.
pub const DATABASE_URL_VAR: &str = "NETRAL_TEST_DATABASE_URL";

/// Set when PostgreSQL tests must not be skipped.
pub const REQUIRE_POSTGRES_VAR: &str = "NETRAL_TEST_REQUIRE_POSTGRES";

/// The PostgreSQL admin URL, if tests should run on PostgreSQL too.
pub fn postgres_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The PostgreSQL admin URL for `test`, or `None` after recording that `test` was skipped;
/// panics when PostgreSQL is required.
pub fn postgres_or_skip(test: &str) -> Option<String> {
    let url = postgres_url();
    if url.is_none() {
        assert!(
            std::env::var_os(REQUIRE_POSTGRES_VAR).is_none(),
            "{test}: PostgreSQL is required ({REQUIRE_POSTGRES_VAR}) but {DATABASE_URL_VAR} is unset"
        );
        skipped(
            test,
            &format!("needs PostgreSQL ({DATABASE_URL_VAR} is unset)"),
        );
    }
    url
}

/// Records that `test` ran nothing, and why, where the run's output shows it.
pub fn skipped(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "test {test} ... skipped: {why}");
}
