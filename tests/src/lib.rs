//! The end-to-end harness of netral: real servers on `127.0.0.1:0` over mutual TLS, each
//! with its own data directory, database (SQLite, or PostgreSQL when
//! `NETRAL_TEST_DATABASE_URL` is set) and manual clock.
//!
//! - [`helpers`]: [`spawn_app`], [`TestApp`] (clients per agency, row counts, the store),
//!   [`eventually`], and the error probes [`reason`] and [`field_violations`];
//! - [`otlp`]: a real OTLP/gRPC metrics receiver, for the server's metrics;
//! - [`fixtures`]: fictional civil servants, request builders for every step, and the
//!   `walk_to` helpers that carry a case through its life.
//!
//! The scenarios themselves are in `e2e/`, one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod fixtures;
pub mod helpers;
pub mod otlp;
pub mod process;
pub mod proxy;

pub use helpers::{
    DEFAULT_NOW, PATIENCE, TestApp, alter_audit_leaf, assert_refused, default_now, error_domain,
    eventually, field_violations, not_refused_on, reason, receive, spawn_app, spawn_app_with,
};
