//! The library behind the `netral` command: what is worth testing or reusing without the
//! binary's argument parsing. For now the load generator, [`bench`].

pub mod bench;
