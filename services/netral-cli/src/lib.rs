//! The library behind the `netral` command: what is worth testing or reusing without the
//! binary's argument parsing: the audit log commands, [`audit`], the load generator,
//! [`bench`], and the retry policy every call of the command uses, [`retry`].

pub mod audit;
pub mod bench;
pub mod retry;
