//! Waking the streams of agencies that have news, without a polling loop per stream.
//!
//! Each agency with an open stream has a `watch` channel here whose value counts wake-ups;
//! a stream reads its messages after its cursor, then waits for the next change. Wake-ups
//! come from this replica's commits (SQLite numbers messages at insert, so a commit wakes
//! its recipients at once) or sequencer rounds (PostgreSQL), from other replicas'
//! sequencer rounds by `LISTEN netral_inbox`, and from a periodic re-check of the newest
//! `seq` per recipient, the safety net for a lost notification or a listener reconnecting.
//! A spurious wake-up costs one query that finds nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::sequencer::{CHANNEL, EVERYONE};
use crate::entity::inbox::messages;
use crate::error::StoreError;
use crate::store::Store;

/// How many messages one sequencer round numbers at most.
const SEQUENCE_BATCH: u64 = 1000;

/// How long the listener waits before reconnecting after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// The wake-up channels of one store's streams, and the trigger of its sequencer.
#[derive(Debug, Default)]
pub struct InboxSignals {
    /// One channel per agency that has (or had) a stream; closed ones are swept on
    /// subscription.
    feeds: Mutex<HashMap<String, watch::Sender<u64>>>,
    /// Set by a commit that inserted unsequenced messages (PostgreSQL): the sequencer runs.
    pending: Notify,
}

impl InboxSignals {
    /// A receiver that changes whenever `agency` may have new messages. Subscribe before
    /// reading, so no wake-up between the read and the wait is lost.
    pub fn subscribe(&self, agency: &str) -> watch::Receiver<u64> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        if feeds.len() >= 64 && feeds.len().is_power_of_two() {
            feeds.retain(|_, feed| feed.receiver_count() > 0);
        }
        feeds
            .entry(agency.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Wakes the streams of `agencies`.
    pub fn wake<'a>(&self, agencies: impl IntoIterator<Item = &'a str>) {
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        for agency in agencies {
            if let Some(feed) = feeds.get(agency) {
                feed.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Wakes every stream.
    pub fn wake_all(&self) {
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        for feed in feeds.values() {
            feed.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// How many streams are open, for metrics and tests.
    pub fn streams(&self) -> usize {
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        feeds.values().map(watch::Sender::receiver_count).sum()
    }

    /// A batch holding messages for `recipients` committed on `backend`.
    pub(crate) fn committed<'a>(
        &self,
        backend: DbBackend,
        recipients: impl IntoIterator<Item = &'a str>,
    ) {
        match backend {
            DbBackend::Sqlite => self.wake(recipients),
            _ => self.pending.notify_one(),
        }
    }
}

impl Store {
    /// The wake-up channels of this store's inbox streams.
    pub fn inbox_signals(&self) -> &InboxSignals {
        &self.inbox
    }

    /// Starts what delivers inbox messages while the store is open: the sequencer and the
    /// cross-replica listener on PostgreSQL, and on both backends the re-check every
    /// `recheck`. Abort the returned tasks to stop them.
    pub fn spawn_inbox_delivery(&self, recheck: Duration) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![tokio::spawn(recheck_loop(self.clone(), recheck))];
        if self.backend() == DbBackend::Postgres {
            tasks.push(tokio::spawn(sequencer_loop(self.clone(), recheck)));
            tasks.push(tokio::spawn(listener_loop(self.clone())));
        }
        tasks
    }

    /// The newest `seq` of each recipient with messages above `after`, and the newest
    /// overall (`after` when there is none).
    pub(crate) async fn inbox_heads_since(
        &self,
        after: i64,
    ) -> Result<(Vec<String>, i64), StoreError> {
        let rows: Vec<(String, Option<i64>)> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Recipient)
            .expr(Expr::col(messages::Column::Seq).max())
            .filter(messages::Column::Seq.gt(after))
            .group_by(messages::Column::Recipient)
            .into_tuple()
            .all(&self.db)
            .await?;
        let newest = rows.iter().filter_map(|(_, s)| *s).max().unwrap_or(after);
        Ok((rows.into_iter().map(|(r, _)| r).collect(), newest))
    }
}

/// Every `period`, wakes the recipients of messages numbered since the last look.
async fn recheck_loop(store: Store, period: Duration) {
    let mut seen = None;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let after = match seen {
            Some(after) => after,
            None => match super::record::max_seq(&store.db).await {
                Ok(max) => {
                    seen = Some(max);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "inbox re-check could not read the newest message");
                    continue;
                }
            },
        };
        match store.inbox_heads_since(after).await {
            Ok((recipients, newest)) => {
                store
                    .inbox_signals()
                    .wake(recipients.iter().map(String::as_str));
                seen = Some(newest);
            }
            Err(err) => tracing::warn!(error = %err, "inbox re-check failed"),
        }
    }
}

/// Sequences whatever waits whenever a commit asks, and every `period` in case a replica
/// committed and died before sequencing.
async fn sequencer_loop(store: Store, period: Duration) {
    loop {
        tokio::select! {
            () = store.inbox.pending.notified() => {}
            () = tokio::time::sleep(period) => {}
        }
        loop {
            match store.sequence_inbox(SEQUENCE_BATCH).await {
                Ok(recipients) if !recipients.is_empty() => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "inbox sequencing failed; retrying");
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    break;
                }
            }
        }
    }
}

/// Listens for other replicas' sequencer rounds and wakes the streams they concern; after
/// a reconnect it wakes every stream, since notifications may have been missed meanwhile.
async fn listener_loop(store: Store) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = store.db.get_postgres_connection_pool().clone();
    let mut reconnected = false;
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "inbox listener cannot connect; retrying");
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "inbox listener cannot listen; retrying");
            tokio::time::sleep(RECONNECT_DELAY).await;
            continue;
        }
        if reconnected {
            store.inbox_signals().wake_all();
        }
        reconnected = true;
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match notification.payload() {
                    EVERYONE => store.inbox_signals().wake_all(),
                    recipients => store.inbox_signals().wake(recipients.split(' ')),
                },
                // The connection dropped; the next call reconnects. Whatever was notified
                // meanwhile is lost: wake everyone to read it.
                Ok(None) => {
                    tracing::warn!("inbox listener lost its connection; reconnecting");
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    store.inbox_signals().wake_all();
                }
                Err(err) => {
                    tracing::warn!(error = %err, "inbox listener failed; starting over");
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    break;
                }
            }
        }
    }
}
