//! netral end to end: real servers over mTLS, one fresh database per test. Each module tells
//! one part of the story; test names say what they prove.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod atomicity;
mod audit;
mod audit_erasure;
mod audit_tamper;
mod case_size;
mod cli_case;
mod cli_demo;
mod concurrency;
mod crash;
mod deadline_engine;
mod deadlines;
mod decree_levels;
mod directory;
mod examiner_handover;
mod health_and_reads;
mod health_listener;
mod history_import;
mod idempotency;
mod identity;
mod inbox;
mod inbox_limits;
mod inbox_processes;
mod kotabaru;
mod least_privilege;
mod listing;
mod metrics;
mod mtls;
mod outage;
mod outcomes;
mod permissions;
mod posture;
mod promises;
mod registration_numbers;
mod replicas;
mod revocation;
mod stats;
mod traces;
mod validation;
mod validation_steps;
