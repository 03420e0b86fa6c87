//! The library behind the `netral` command: what is worth testing or reusing without the
//! binary's argument parsing: the audit log commands, [`audit`], an agency's inbox,
//! [`inbox`], the history import, [`import`], the compliance statistics, [`stats`], the load generator, [`bench`], and what
//! every online command shares: the connection flags and mTLS channel, [`connect`],
//! readable gRPC failures, [`rpc`], and the retry policy, [`retry`]. Every `CaseService` RPC,
//! [`case`], the directory, [`directory`], the seed stories played live, [`demo`], the
//! connection profile of those, [`profile`], the contract's JSON, [`protojson`], and the exit
//! codes, [`exit`].

pub mod audit;
pub mod bench;
pub mod case;
pub mod connect;
pub mod demo;
pub mod directory;
pub mod exit;
pub mod import;
pub mod inbox;
pub mod profile;
pub mod protojson;
pub mod retry;
pub mod rpc;
pub mod stats;
pub mod trace;
