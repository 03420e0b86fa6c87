//! Every agency's inbox, as a transactional outbox: a step's messages are inserted in the
//! step's own savepoint ([`record`]), so they commit with it or not at all; each gets its
//! place in the feeds (`seq`, the cursor agencies see) once committed, in an order no
//! later commit can slip in front of ([`sequencer`]); readers page through an agency's
//! messages after a cursor ([`read`]) and acknowledge them ([`ack`]); and live streams are
//! woken when their agency has news ([`signal`], fed by local commits, PostgreSQL
//! `LISTEN/NOTIFY` from other replicas and a periodic re-check).

pub mod ack;
pub(crate) mod read;
pub(crate) mod record;
pub(crate) mod sequencer;
pub mod signal;

pub use read::{InboxBacklog, InboxMessage, InboxQuery, InboxStatus};
pub use record::InboxRecord;
pub use signal::InboxSignals;
