//! The edits `audit_tamper` makes to a stored audit log: their kinds, the seeded generator
//! that draws them, and the raw SQL that makes each one (values bound, so that blobs are
//! `bytea` on PostgreSQL and blobs on SQLite), with the rows it touches.

use netral_audit::LogSigner;
use netral_audit::tree::{Hash, decompose};
use sea_orm::sea_query::Value;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder, Statement,
    TransactionTrait,
};

use crate::entity::audit::{checkpoints, events, head, subtrees};

/// The kinds of edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// One byte of one event's leaf flipped.
    FlipLeafByte,
    /// One event's row deleted.
    DeleteEvent,
    /// The leaves (and leaf hashes) of two events swapped.
    SwapLeaves,
    /// The sequence numbers of two events swapped.
    SwapSequences,
    /// The events with the k highest sequences deleted.
    TruncateTail,
    /// A checkpoint's note replaced by one another key signed over the same size and root.
    ResignCheckpoint,
    /// A checkpoint's stored root changed.
    EditCheckpointRoot,
    /// One character of a checkpoint note's signed text changed.
    EditCheckpointNote,
    /// A checkpoint's row deleted and reinserted with another root: a genuine note of
    /// another size, or a note another key signed over the new root.
    ReinsertCheckpoint,
    /// One event's stored leaf hash changed, its leaf left alone.
    EditLeafHash,
    /// A stored subtree hash on the log's right edge changed.
    EditSubtree,
}

pub(super) const KINDS: [Kind; 11] = [
    Kind::FlipLeafByte,
    Kind::DeleteEvent,
    Kind::SwapLeaves,
    Kind::SwapSequences,
    Kind::TruncateTail,
    Kind::ResignCheckpoint,
    Kind::EditCheckpointRoot,
    Kind::EditCheckpointNote,
    Kind::ReinsertCheckpoint,
    Kind::EditLeafHash,
    Kind::EditSubtree,
];

/// Marsaglia's xorshift64: deterministic, and enough to pick edits.
pub(super) struct Xorshift(pub(super) u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A non-zero byte to XOR with: flips at least one bit.
    fn flip(&mut self) -> u8 {
        1 + self.below(255) as u8
    }
}

/// `bytes` with the byte at a random position flipped.
fn flipped(rng: &mut Xorshift, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = rng.below(out.len());
    out[i] ^= rng.flip();
    out
}

/// The rows an edit touches, by key: every edit touches one table.
pub(super) enum Touched {
    /// Events, by id.
    Events(Vec<i64>),
    /// Checkpoints, by tree size.
    Checkpoints(Vec<i64>),
    /// Subtrees, by level and index.
    Subtrees(Vec<(i16, i64)>),
}

/// One edit: what it does, the statements that make it and the rows they touch.
pub(super) struct Edit {
    pub(super) kind: Kind,
    pub(super) what: String,
    pub(super) statements: Vec<Statement>,
    pub(super) touched: Touched,
    /// Whether an export carries what the edit changes (the leaves and the latest
    /// checkpoint); a stored leaf hash or subtree, or an older checkpoint, it does not.
    pub(super) exported: bool,
}

/// Every row of the audit tables, in key order.
#[derive(Debug, PartialEq)]
pub(super) struct Tables {
    pub(super) events: Vec<events::Model>,
    subtrees: Vec<subtrees::Model>,
    head: Vec<head::Model>,
    checkpoints: Vec<checkpoints::Model>,
}

pub(super) async fn tables(conn: &DatabaseConnection) -> Tables {
    Tables {
        events: events::Entity::find()
            .order_by_asc(events::Column::Id)
            .all(conn)
            .await
            .unwrap(),
        subtrees: subtrees::Entity::find()
            .order_by_asc(subtrees::Column::Level)
            .order_by_asc(subtrees::Column::Idx)
            .all(conn)
            .await
            .unwrap(),
        head: head::Entity::find().all(conn).await.unwrap(),
        checkpoints: checkpoints::Entity::find()
            .order_by_asc(checkpoints::Column::TreeSize)
            .all(conn)
            .await
            .unwrap(),
    }
}

/// A statement with bound values, written with `?` placeholders (numbered for PostgreSQL).
fn sql(backend: DbBackend, text: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    let text = match backend {
        DbBackend::Postgres => {
            let mut n = 0;
            text.chars()
                .map(|c| match c {
                    '?' => {
                        n += 1;
                        format!("${n}")
                    }
                    c => c.to_string(),
                })
                .collect()
        }
        _ => text.to_owned(),
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// Draws the next edit of the pristine log `log`; `forger` is a key that is not the log's.
pub(super) fn draw(
    rng: &mut Xorshift,
    log: &Tables,
    forger: &LogSigner,
    backend: DbBackend,
) -> Edit {
    let kind = KINDS[rng.below(KINDS.len())];
    let events = &log.events; // in id order, which is sequence order here
    let n = events.len();
    let two = |rng: &mut Xorshift| {
        let a = rng.below(n);
        (a, (a + 1 + rng.below(n - 1)) % n)
    };
    let latest = log.checkpoints.len() - 1;
    let cp_index = rng.below(log.checkpoints.len());
    let cp = &log.checkpoints[cp_index];
    let at_checkpoint = |what: String, statements| Edit {
        kind,
        what: format!("{what} of checkpoint {}", cp.tree_size),
        statements,
        touched: Touched::Checkpoints(vec![cp.tree_size]),
        exported: cp_index == latest,
    };
    let on_events = |what: String, ids: Vec<i64>, statements| Edit {
        kind,
        what,
        statements,
        touched: Touched::Events(ids),
        exported: true,
    };
    match kind {
        Kind::FlipLeafByte => {
            let e = &events[rng.below(n)];
            let leaf = flipped(rng, &e.leaf);
            let update = sql(
                backend,
                "UPDATE audit_events SET leaf = ? WHERE id = ?",
                [leaf.into(), e.id.into()],
            );
            on_events(
                format!("a byte of leaf {}", seq(e)),
                vec![e.id],
                vec![update],
            )
        }
        Kind::DeleteEvent => {
            let e = &events[rng.below(n)];
            let delete = sql(
                backend,
                "DELETE FROM audit_events WHERE id = ?",
                [e.id.into()],
            );
            on_events(
                format!("event {} deleted", seq(e)),
                vec![e.id],
                vec![delete],
            )
        }
        Kind::SwapLeaves => {
            let (a, b) = two(rng);
            let (a, b) = (&events[a], &events[b]);
            let set = |to: &events::Model, from: &events::Model| {
                sql(
                    backend,
                    "UPDATE audit_events SET leaf = ?, leaf_hash = ? WHERE id = ?",
                    [
                        from.leaf.clone().into(),
                        from.leaf_hash.clone().into(),
                        to.id.into(),
                    ],
                )
            };
            let what = format!("leaves {} and {} swapped", seq(a), seq(b));
            on_events(what, vec![a.id, b.id], vec![set(a, b), set(b, a)])
        }
        Kind::SwapSequences => {
            let (a, b) = two(rng);
            let (a, b) = (&events[a], &events[b]);
            let renumber = |e: &events::Model, to: Option<i64>| {
                sql(
                    backend,
                    "UPDATE audit_events SET sequence = ? WHERE id = ?",
                    [to.into(), e.id.into()],
                )
            };
            // Through NULL: the sequence is unique.
            let statements = vec![
                renumber(a, None),
                renumber(b, a.sequence),
                renumber(a, b.sequence),
            ];
            let what = format!("sequences {} and {} swapped", seq(a), seq(b));
            on_events(what, vec![a.id, b.id], statements)
        }
        Kind::TruncateTail => {
            let k = 1 + rng.below(8);
            let tail = &events[n - k..];
            let delete = sql(
                backend,
                "DELETE FROM audit_events WHERE sequence >= ?",
                [tail[0].sequence.into()],
            );
            on_events(
                format!("the last {k} events deleted"),
                tail.iter().map(|e| e.id).collect(),
                vec![delete],
            )
        }
        Kind::ResignCheckpoint => {
            let forged = forger.sign(cp.tree_size as u64, root_of(cp)).unwrap();
            let update = sql(
                backend,
                "UPDATE audit_checkpoints SET note = ?, key_id = ?, signature = ? \
                 WHERE tree_size = ?",
                [
                    forged.note.into(),
                    forger.key_id().into(),
                    forged.signature.into(),
                    cp.tree_size.into(),
                ],
            );
            at_checkpoint("the note re-signed by another key".into(), vec![update])
        }
        Kind::EditCheckpointRoot => {
            let root = flipped(rng, &cp.root);
            let update = sql(
                backend,
                "UPDATE audit_checkpoints SET root = ? WHERE tree_size = ?",
                [root.into(), cp.tree_size.into()],
            );
            at_checkpoint("the stored root".into(), vec![update])
        }
        Kind::EditCheckpointNote => {
            // The signed text: origin, size and root lines, up to the blank line.
            let text_len = cp.note.find("\n\n").unwrap() + 1;
            let i = rng.below(text_len);
            const CHARS: &[u8] =
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/=.\n";
            let mut note = cp.note.clone().into_bytes();
            let original = note[i];
            while note[i] == original {
                note[i] = CHARS[rng.below(CHARS.len())];
            }
            let note = String::from_utf8(note).unwrap();
            let update = sql(
                backend,
                "UPDATE audit_checkpoints SET note = ? WHERE tree_size = ?",
                [note.into(), cp.tree_size.into()],
            );
            at_checkpoint(format!("character {i} of the note"), vec![update])
        }
        Kind::ReinsertCheckpoint => {
            let (what, root, key_id, signature, note) = if rng.below(2) == 0 {
                // A genuine note, signed by the log's key, but of another size.
                let other = &log.checkpoints[(cp_index + 1 + rng.below(latest)) % (latest + 1)];
                let what = format!(
                    "the genuine note of checkpoint {} in place",
                    other.tree_size
                );
                (
                    what,
                    other.root.clone(),
                    other.key_id.clone(),
                    other.signature.clone(),
                    other.note.clone(),
                )
            } else {
                let root: Hash = flipped(rng, &cp.root).try_into().unwrap();
                let forged = forger.sign(cp.tree_size as u64, root).unwrap();
                let what = "another root signed by another key in place".to_owned();
                (
                    what,
                    root.to_vec(),
                    forger.key_id(),
                    forged.signature,
                    forged.note,
                )
            };
            let delete = sql(
                backend,
                "DELETE FROM audit_checkpoints WHERE tree_size = ?",
                [cp.tree_size.into()],
            );
            let insert = sql(
                backend,
                "INSERT INTO audit_checkpoints \
                 (tree_size, root, created_at, key_id, signature, note) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                [
                    cp.tree_size.into(),
                    root.into(),
                    cp.created_at.into(),
                    key_id.into(),
                    signature.into(),
                    note.into(),
                ],
            );
            at_checkpoint(what, vec![delete, insert])
        }
        Kind::EditLeafHash => {
            let e = &events[rng.below(n)];
            let hash = flipped(rng, &e.leaf_hash);
            let update = sql(
                backend,
                "UPDATE audit_events SET leaf_hash = ? WHERE id = ?",
                [hash.into(), e.id.into()],
            );
            Edit {
                exported: false,
                ..on_events(
                    format!("the leaf hash of {}", seq(e)),
                    vec![e.id],
                    vec![update],
                )
            }
        }
        Kind::EditSubtree => {
            let edge: Vec<_> = decompose(0, n as u64)
                .into_iter()
                .filter(|t| t.level > 0)
                .collect();
            let tile = edge[rng.below(edge.len())];
            let key = (i16::from(tile.level), tile.index as i64);
            let stored = log
                .subtrees
                .iter()
                .find(|s| (s.level, s.idx) == key)
                .unwrap();
            let hash = flipped(rng, &stored.hash);
            let update = sql(
                backend,
                "UPDATE audit_subtrees SET hash = ? WHERE level = ? AND idx = ?",
                [hash.into(), key.0.into(), key.1.into()],
            );
            Edit {
                kind,
                what: format!("subtree at level {}, index {}", key.0, key.1),
                statements: vec![update],
                touched: Touched::Subtrees(vec![key]),
                exported: false,
            }
        }
    }
}

/// An event's sequence (every event of the pristine log has one).
fn seq(e: &events::Model) -> i64 {
    e.sequence.unwrap()
}

fn root_of(cp: &checkpoints::Model) -> Hash {
    cp.root.clone().try_into().unwrap()
}

/// Runs `statements` in one transaction.
pub(super) async fn apply(conn: &DatabaseConnection, statements: Vec<Statement>) {
    let txn = conn.begin().await.unwrap();
    for statement in statements {
        txn.execute(statement).await.unwrap();
    }
    txn.commit().await.unwrap();
}
