//! Measurements (a) and (b) of `netral bench audit`: the server's reads of the log over gRPC
//! and mTLS as the auditor (`bpk`), against the same rows read by raw SQL through a
//! separate connection, alternately, call after call (one client, no concurrency), so both
//! see the same caches and the same noise. Each pair uses one random case or filter; even
//! iterations call gRPC first, odd ones SQL first.
//!
//! - (a) `GetCaseHistory(cases/<random seeded case>)` vs the store's query of one page
//!   (1 000) of that case's history: `SELECT <every column> FROM audit_events WHERE sequence
//!   IS NOT NULL AND case_id = ? ORDER BY sequence LIMIT ?`;
//! - (b) `ListAuditEvents(filter = action = "FORWARD" AND create_time >= "<random day>",
//!   page_size = 100)` vs `… WHERE sequence IS NOT NULL AND action = ? AND created_at >= ?
//!   ORDER BY sequence LIMIT ?` with 101 (the store asks for one more row, to know whether a
//!   next page exists).
//!
//! The SQL is built with sea-query exactly as sea-orm builds the store's (table-qualified
//! columns, every value and the LIMIT bound as parameters). That is not a detail: on
//! PostgreSQL a literal `LIMIT 101` lets the prepared statement switch to a generic plan
//! after five executions, which scans the whole `sequence` index (seconds on 10 million
//! events), while the store's `LIMIT $3` keeps per-call plans. The SQL side decodes the same
//! columns as the store's entity, and every pair is checked to hold the same sequences.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use netral_proto::v1::audit_service_client::AuditServiceClient;
use netral_proto::v1::{GetCaseHistoryRequest, ListAuditEventsRequest};
use sea_orm::sea_query::{
    Alias, Expr, Order, PostgresQueryBuilder, Query, SelectStatement, SqliteQueryBuilder,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use tokio::time::Instant;

use super::audit_progress::Progress;
use super::audit_synth::{Rng, Synth};

/// Uncounted pairs before each measurement.
const WARM_UP: u64 = 20;
/// The action (b) filters on.
pub const PAGE_ACTION: &str = "FORWARD";
/// The store's columns (`SELECT *` of `audit_events`).
const COLUMNS: [&str; 9] = [
    "id",
    "sequence",
    "case_id",
    "action",
    "outcome",
    "actor",
    "created_at",
    "leaf",
    "leaf_hash",
];

/// One measured comparison: latencies of both sides, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Pair {
    /// gRPC calls answered.
    pub grpc_us: Vec<u32>,
    /// SQL queries answered.
    pub sql_us: Vec<u32>,
    /// Events returned by gRPC over all calls.
    pub events: u64,
    /// Pairs whose two answers held different sequences.
    pub mismatches: u64,
    /// Failed calls or queries, by kind.
    pub errors: BTreeMap<String, u64>,
}

impl Pair {
    /// Failed calls or queries.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn failed(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }
}

/// The store's query of a page of `audit_events`, built as sea-orm builds it for
/// `Store::audit_events` (columns qualified by the table, values and the LIMIT bound as
/// parameters: the LIMIT matters, see docs/PERFORMANCE.md), with `filter`'s terms after
/// `sequence IS NOT NULL`.
fn store_query(
    backend: DbBackend,
    filter: impl FnOnce(&mut SelectStatement, &Alias),
    limit: u64,
) -> Statement {
    let table = Alias::new("audit_events");
    let mut query = Query::select();
    for column in COLUMNS {
        query.column((table.clone(), Alias::new(column)));
    }
    query
        .from(table.clone())
        .and_where(Expr::col((table.clone(), Alias::new("sequence"))).is_not_null());
    filter(&mut query, &table);
    query
        .order_by((table, Alias::new("sequence")), Order::Asc)
        .limit(limit);
    let (sql, values) = match backend {
        DbBackend::Postgres => query.build(PostgresQueryBuilder),
        _ => query.build(SqliteQueryBuilder),
    };
    Statement::from_sql_and_values(backend, sql, values.0)
}

/// (a)'s query: one page (1 000) of a case's history.
fn history_query(backend: DbBackend, case: &str) -> Statement {
    let case = case.to_owned();
    store_query(
        backend,
        |q, t| {
            q.and_where(Expr::col((t.clone(), Alias::new("case_id"))).eq(case));
        },
        1_000,
    )
}

/// (b)'s query: the first page of 100 (and one more row) of `PAGE_ACTION` since `since`.
fn page_query(backend: DbBackend, since: DateTime<Utc>) -> Statement {
    store_query(
        backend,
        |q, t| {
            q.and_where(Expr::col((t.clone(), Alias::new("action"))).eq(PAGE_ACTION))
                .and_where(Expr::col((t.clone(), Alias::new("created_at"))).gte(since));
        },
        101,
    )
}

/// Reads every column of the rows the way the store's entity does; returns their sequences.
fn decode(rows: &[QueryResult]) -> anyhow::Result<Vec<i64>> {
    rows.iter()
        .map(|row| {
            let _: i64 = row.try_get("", "id")?;
            let sequence: Option<i64> = row.try_get("", "sequence")?;
            let _: Option<String> = row.try_get("", "case_id")?;
            let _: String = row.try_get("", "action")?;
            let _: String = row.try_get("", "outcome")?;
            let _: Option<String> = row.try_get("", "actor")?;
            let _: DateTime<Utc> = row.try_get("", "created_at")?;
            let _: Vec<u8> = row.try_get("", "leaf")?;
            let _: Vec<u8> = row.try_get("", "leaf_hash")?;
            sequence.context("an unsequenced row")
        })
        .collect()
}

/// What one side of a pair returned: its sequences, or why it failed.
type Side = Result<Vec<i64>, String>;

/// The client and the connection (a) and (b) compare.
pub struct Reads<'a> {
    /// `AuditService` as `bpk`.
    pub client: AuditServiceClient<crate::trace::Traced>,
    /// The raw SQL connection.
    pub db: &'a DatabaseConnection,
    /// The seeded log's shape.
    pub synth: &'a Synth,
}

impl Reads<'_> {
    async fn history_grpc(&mut self, case: &str) -> Side {
        let request = GetCaseHistoryRequest {
            name: format!("cases/{case}"),
        };
        match self.client.get_case_history(request).await {
            Ok(reply) => Ok(reply
                .into_inner()
                .events
                .iter()
                .map(|e| e.sequence)
                .collect()),
            Err(status) => Err(format!("gRPC {:?}", status.code())),
        }
    }

    async fn sql(&self, statement: Statement) -> Side {
        match self.db.query_all(statement).await {
            Ok(rows) => decode(&rows).map_err(|e| format!("SQL decode: {e}")),
            Err(err) => Err(format!("SQL: {err}")),
        }
    }

    async fn page_grpc(&mut self, since: DateTime<Utc>) -> Side {
        let filter = format!(
            "action = \"{PAGE_ACTION}\" AND create_time >= \"{}\"",
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let request = ListAuditEventsRequest {
            page_size: 100,
            page_token: String::new(),
            filter,
        };
        match self.client.list_audit_events(request).await {
            Ok(reply) => Ok(reply
                .into_inner()
                .events
                .iter()
                .map(|e| e.sequence)
                .collect()),
            Err(status) => Err(format!("gRPC {:?}", status.code())),
        }
    }

    /// (a): `calls` pairs over random seeded cases, stopping early at `limit`.
    pub async fn histories(
        &mut self,
        calls: u64,
        limit: Duration,
        rng: &mut Rng,
        show: bool,
    ) -> Pair {
        let backend = self.db.get_database_backend();
        let progress = Progress::new("(a) case histories", "pairs", calls, show);
        let mut pair = Pair::default();
        let give_up = Instant::now() + limit;
        for i in 0..WARM_UP + calls {
            if Instant::now() >= give_up {
                break;
            }
            let case = self.synth.case_id(rng.below(self.synth.cases)).to_string();
            let grpc_first = i % 2 == 0;
            let (grpc, sql_side) = if grpc_first {
                let g = timed(self.history_grpc(&case)).await;
                let s = timed(self.sql(history_query(backend, &case))).await;
                (g, s)
            } else {
                let s = timed(self.sql(history_query(backend, &case))).await;
                let g = timed(self.history_grpc(&case)).await;
                (g, s)
            };
            if i >= WARM_UP {
                record(&mut pair, grpc, sql_side, true);
                progress.set(i + 1 - WARM_UP);
            }
        }
        progress.finish();
        pair
    }

    /// (b): `calls` pairs over random days, stopping early at `limit`.
    pub async fn pages(&mut self, calls: u64, limit: Duration, rng: &mut Rng, show: bool) -> Pair {
        let backend = self.db.get_database_backend();
        let progress = Progress::new("(b) filtered pages", "pairs", calls, show);
        let mut pair = Pair::default();
        let give_up = Instant::now() + limit;
        for i in 0..WARM_UP + calls {
            if Instant::now() >= give_up {
                break;
            }
            let since = self.synth.random_day(rng);
            let (grpc, sql_side) = if i % 2 == 0 {
                let g = timed(self.page_grpc(since)).await;
                let s = timed(self.sql(page_query(backend, since))).await;
                (g, s)
            } else {
                let s = timed(self.sql(page_query(backend, since))).await;
                let g = timed(self.page_grpc(since)).await;
                (g, s)
            };
            if i >= WARM_UP {
                // The store fetched 101 rows to learn whether a next page exists; the page
                // shows 100.
                let sql_side = (
                    sql_side.0.map(|mut rows| {
                        rows.truncate(100);
                        rows
                    }),
                    sql_side.1,
                );
                record(&mut pair, grpc, sql_side, false);
                progress.set(i + 1 - WARM_UP);
            }
        }
        progress.finish();
        pair
    }
}

/// `work`'s result and how long it took, in microseconds.
async fn timed(work: impl Future<Output = Side>) -> (Side, u32) {
    let started = Instant::now();
    let side = work.await;
    let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    (side, us)
}

/// Adds one pair's outcome; with `non_empty`, an empty answer counts as a mismatch (every
/// seeded case has at least its registration).
fn record(pair: &mut Pair, grpc: (Side, u32), sql: (Side, u32), non_empty: bool) {
    match (&grpc.0, &sql.0) {
        (Ok(g), Ok(s)) => {
            pair.events += g.len() as u64;
            if g != s || (non_empty && g.is_empty()) {
                pair.mismatches += 1;
            }
        }
        _ => pair.mismatches += 1,
    }
    match grpc.0 {
        Ok(_) => pair.grpc_us.push(grpc.1),
        Err(kind) => pair.failed(kind),
    }
    match sql.0 {
        Ok(_) => pair.sql_us.push(sql.1),
        Err(kind) => pair.failed(kind),
    }
}

/// How the database plans (a)'s and (b)'s queries (`EXPLAIN QUERY PLAN` on SQLite,
/// `EXPLAIN` on PostgreSQL), each as one line.
pub async fn plans(db: &DatabaseConnection, synth: &Synth) -> anyhow::Result<(String, String)> {
    let backend = db.get_database_backend();
    let case = synth.case_id(synth.cases / 2).to_string();
    let mut rng = Rng::new(7);
    let since = synth.random_day(&mut rng);
    let history = explain(db, history_query(backend, &case)).await?;
    let page = explain(db, page_query(backend, since)).await?;
    Ok((history, page))
}

/// `statement`'s plan, one line.
async fn explain(db: &DatabaseConnection, statement: Statement) -> anyhow::Result<String> {
    let prefix = match statement.db_backend {
        DbBackend::Postgres => "EXPLAIN ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let column = match statement.db_backend {
        DbBackend::Postgres => "QUERY PLAN",
        _ => "detail",
    };
    let statement = Statement {
        sql: format!("{prefix}{}", statement.sql),
        ..statement
    };
    let rows = db.query_all(statement).await.context("EXPLAIN failed")?;
    let lines = rows
        .iter()
        .map(|row| {
            row.try_get::<String>("", column)
                .map(|l| l.trim().to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queries_are_the_stores() {
        let since = chrono::DateTime::UNIX_EPOCH;
        let page = page_query(DbBackend::Postgres, since);
        assert_eq!(
            page.sql,
            "SELECT \"audit_events\".\"id\", \"audit_events\".\"sequence\", \
             \"audit_events\".\"case_id\", \"audit_events\".\"action\", \
             \"audit_events\".\"outcome\", \"audit_events\".\"actor\", \
             \"audit_events\".\"created_at\", \"audit_events\".\"leaf\", \
             \"audit_events\".\"leaf_hash\" FROM \"audit_events\" WHERE \
             \"audit_events\".\"sequence\" IS NOT NULL AND \"audit_events\".\"action\" = $1 \
             AND \"audit_events\".\"created_at\" >= $2 ORDER BY \"audit_events\".\"sequence\" \
             ASC LIMIT $3"
        );
        assert_eq!(page.values.map(|v| v.0.len()), Some(3));
        let history = history_query(DbBackend::Sqlite, "x");
        assert!(
            history
                .sql
                .ends_with("= ? ORDER BY \"audit_events\".\"sequence\" ASC LIMIT ?")
        );
    }
}
