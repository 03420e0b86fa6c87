//! The sea-orm entities: one module per table, private to the crate. Callers see cases,
//! events and agencies through the repository types, never rows, so that no other crate can
//! write a case around [`crate::Store::execute`].

pub(crate) mod agencies;
pub(crate) mod audit;
pub(crate) mod case_children;
pub(crate) mod case_events;
pub(crate) mod cases;
pub(crate) mod idempotency_keys;
pub(crate) mod inbox;
pub(crate) mod revocations;
pub(crate) mod role_grants;
pub(crate) mod subjects;
