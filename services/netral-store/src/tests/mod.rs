//! Tests of the store against real databases: every scenario runs on a fresh SQLite file and,
//! when `NETRAL_TEST_DATABASE_URL` names a PostgreSQL server, on a fresh PostgreSQL database.

mod appends;
mod audit_edits;
mod audit_log;
mod audit_steps;
mod audit_tamper;
mod batches;
mod child_records;
mod compliance;
mod directory;
mod execute;
mod fixtures;
mod inbox;
mod listing;
mod migrations;
mod races;
mod registration_numbers;
mod retention;
mod revocations;
mod round_trip;
mod scopes;
mod support;
mod transient;
mod write_gate;
