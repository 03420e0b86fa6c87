//! The library behind the `netral` command: what is worth testing or reusing without the
//! binary's argument parsing: the audit log commands, [`audit`], an agency's inbox,
//! [`inbox`], the history import, [`import`], the compliance statistics, [`stats`], the load generator, [`bench`], and what
//! every online command shares: the connection flags and mTLS channel, [`connect`],
//! readable gRPC failures, [`rpc`], and the retry policy, [`retry`].

pub mod audit;
pub mod bench;
pub mod connect;
pub mod import;
pub mod inbox;
pub mod retry;
pub mod rpc;
pub mod stats;
