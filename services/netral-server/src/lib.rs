//! The netral gRPC exchange server as a library: configuration, agency identity from mTLS
//! client certificates, the directory of agencies, the development PKI, one module per gRPC
//! service, the single error → `Status` mapping with the one gRPC code per reason
//! ([`reasons`]), and [`startup::Application`].
//!
//! `main.rs` only parses flags and calls [`startup::Application`]; tests start the same
//! application on `127.0.0.1:0`.

pub mod admin;
pub mod audit;
pub mod clock;
pub mod deadline_engine;
pub mod directory;
pub mod error;
pub mod exchange;
pub mod files;
pub mod grpc;
pub mod health;
pub mod identity;
pub mod listener;
pub mod maintenance;
pub mod metrics;
pub mod pki;
pub mod posture;
pub mod reasons;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod tls;
