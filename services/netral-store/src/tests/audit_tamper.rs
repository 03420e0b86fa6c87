//! Tampering with the stored audit log, one edit at a time, as someone with write access to
//! the database would: a leaf's bytes changed, an event deleted, two events' leaves or
//! numbers swapped, the tail cut off, a checkpoint replaced, a stored hash edited.
//!
//! A thousand such edits (made by `audit_edits`), drawn by a seeded generator, must each be
//! found by the server's self-check (`Store::check_audit_log`) and, when the edit touches
//! what an export carries (the leaves and the latest checkpoint), by the offline
//! verification of an export built from the tampered database
//! (`netral_audit::export::verify`). After each edit the rows it touched are written back as
//! they were, and every fifty edits the log must be whole again: nothing found, every row of
//! the audit tables as it was.

use std::collections::BTreeMap;

use netral_audit::LogSigner;
use netral_audit::export;
use netral_proto::v1::export_audit_log_response::Item;
use netral_proto::v1::{Checkpoint, ExportAuditLogResponse, ExportedLeaf};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, TransactionTrait,
};

use super::audit_edits::{KINDS, Kind, Touched, Xorshift, apply, draw, tables};
use super::audit_log::{ORIGIN, grow_and_sign};
use super::support::databases;
use crate::Store;
use crate::entity::audit::{checkpoints, events, subtrees};

/// The log tampered with: 53 events (its right edge has subtrees of 32, 16 and 4 leaves and
/// a lone leaf), signed at four sizes, the last covering every event. (The self-check
/// verifies every checkpoint's signature each time it runs: more checkpoints, slower edits.)
const SIZES: [u32; 4] = [6, 16, 29, 53];
/// How many edits are tried.
const EDITS: u32 = 1_000;
/// How often the log is shown to be whole again.
const WHOLE_EVERY: u32 = 50;
/// The generator's seed: the same edits on every run and every database.
const SEED: u64 = 0x6e65_7472_616c_0a75;

/// The tamperer's own connection to the database: a single one, whose commits need not
/// reach the disk before they are acknowledged (nothing here outlives the test).
async fn tamperer(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let conn = Database::connect(options).await.unwrap();
    let lazy_commits = match conn.get_database_backend() {
        DbBackend::Postgres => "SET synchronous_commit TO OFF",
        _ => "PRAGMA synchronous = OFF",
    };
    conn.execute_unprepared(lazy_commits).await.unwrap();
    conn
}

/// The touched rows as they were before the edit.
enum Saved {
    Events(Vec<events::Model>),
    Checkpoints(Vec<checkpoints::Model>),
    Subtrees(Vec<subtrees::Model>),
}

/// Reads the rows `touched` names, as they are.
async fn save(conn: &DatabaseConnection, touched: &Touched) -> Saved {
    match touched {
        Touched::Events(ids) => Saved::Events(
            events::Entity::find()
                .filter(events::Column::Id.is_in(ids.clone()))
                .all(conn)
                .await
                .unwrap(),
        ),
        Touched::Checkpoints(sizes) => Saved::Checkpoints(
            checkpoints::Entity::find()
                .filter(checkpoints::Column::TreeSize.is_in(sizes.clone()))
                .all(conn)
                .await
                .unwrap(),
        ),
        Touched::Subtrees(keys) => Saved::Subtrees(
            subtrees::Entity::find()
                .filter(subtree_keys(keys))
                .all(conn)
                .await
                .unwrap(),
        ),
    }
}

fn subtree_keys(keys: &[(i16, i64)]) -> Condition {
    keys.iter().fold(Condition::any(), |any, &(level, idx)| {
        any.add(
            subtrees::Column::Level
                .eq(level)
                .and(subtrees::Column::Idx.eq(idx)),
        )
    })
}

/// Writes the saved rows back in place of whatever the edit left under their keys.
async fn restore(conn: &DatabaseConnection, touched: &Touched, saved: Saved) {
    let txn = conn.begin().await.unwrap();
    match (touched, saved) {
        (Touched::Events(ids), Saved::Events(rows)) => {
            events::Entity::delete_many()
                .filter(events::Column::Id.is_in(ids.clone()))
                .exec(&txn)
                .await
                .unwrap();
            events::Entity::insert_many(rows.into_iter().map(events::ActiveModel::from))
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        (Touched::Checkpoints(sizes), Saved::Checkpoints(rows)) => {
            checkpoints::Entity::delete_many()
                .filter(checkpoints::Column::TreeSize.is_in(sizes.clone()))
                .exec(&txn)
                .await
                .unwrap();
            checkpoints::Entity::insert_many(rows.into_iter().map(checkpoints::ActiveModel::from))
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        (Touched::Subtrees(keys), Saved::Subtrees(rows)) => {
            subtrees::Entity::delete_many()
                .filter(subtree_keys(keys))
                .exec(&txn)
                .await
                .unwrap();
            subtrees::Entity::insert_many(rows.into_iter().map(subtrees::ActiveModel::from))
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        _ => unreachable!("saved as touched"),
    }
    txn.commit().await.unwrap();
}

/// Builds an export from the database as it stands (the leaves up to the latest stored
/// checkpoint, then that checkpoint) and verifies it offline as `netral audit verify` does.
async fn export_verifies(store: &Store, verifier_key: &str) -> Result<(), String> {
    let latest = store
        .audit_checkpoint(None)
        .await
        .unwrap()
        .ok_or("no checkpoint")?;
    let mut file = Vec::new();
    for row in store
        .audit_leaves(0, latest.tree_size, 10_000)
        .await
        .unwrap()
    {
        let leaf = ExportedLeaf {
            sequence: row.sequence as i64,
            leaf: row.leaf,
        };
        let item = ExportAuditLogResponse {
            item: Some(Item::Leaf(leaf)),
        };
        export::write_item(&mut file, &item).unwrap();
    }
    let checkpoint = Checkpoint {
        tree_size: latest.tree_size as i64,
        root_hash: hex::encode(latest.root),
        note: latest.note,
        ..Default::default()
    };
    let item = ExportAuditLogResponse {
        item: Some(Item::Checkpoint(checkpoint)),
    };
    export::write_item(&mut file, &item).unwrap();
    export::verify(&mut file.as_slice(), verifier_key, None)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// How one kind of edit fared.
#[derive(Debug, Default)]
struct Tally {
    tried: u32,
    found_by_self_check: u32,
    /// Edits of this kind an export carries, and how many exports were rejected.
    exported: u32,
    rejected_exports: u32,
    /// Edits an export does not carry whose export nonetheless verified (all of them).
    blind_exports_verified: u32,
    /// What went unnoticed, for the failure message.
    missed: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_single_edit_of_the_stored_log_is_detected() {
    for db in databases().await {
        let (skey, vkey) = LogSigner::generate(ORIGIN);
        let signer = LogSigner::new(&skey).unwrap();
        let (forger_key, _) = LogSigner::generate(ORIGIN);
        let forger = LogSigner::new(&forger_key).unwrap();
        grow_and_sign(&db.store, &signer, &SIZES).await;

        let conn = tamperer(&db.url).await;
        let backend = conn.get_database_backend();
        let pristine = tables(&conn).await;
        assert_eq!(pristine.events.len(), 53, "{}", db.label);
        assert_eq!(
            db.store.check_audit_log(&vkey).await.unwrap(),
            [],
            "{}",
            db.label
        );
        export_verifies(&db.store, &vkey).await.unwrap();

        let mut rng = Xorshift(SEED);
        let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
        for n in 1..=EDITS {
            let edit = draw(&mut rng, &pristine, &forger, backend);
            let saved = save(&conn, &edit.touched).await;
            apply(&conn, edit.statements).await;
            // The two checkers, side by side.
            let export = tokio::spawn({
                let (store, vkey) = (db.store.clone(), vkey.clone());
                async move { export_verifies(&store, &vkey).await }
            });
            let findings = db.store.check_audit_log(&vkey).await.unwrap();
            let export = export.await.unwrap();
            restore(&conn, &edit.touched, saved).await;

            let tally = tallies.entry(edit.kind).or_default();
            tally.tried += 1;
            if findings.is_empty() {
                tally.missed.push(format!("self-check: {}", edit.what));
            } else {
                tally.found_by_self_check += 1;
            }
            match (edit.exported, export) {
                (true, Err(_)) => {
                    tally.exported += 1;
                    tally.rejected_exports += 1;
                }
                (true, Ok(())) => {
                    tally.exported += 1;
                    tally.missed.push(format!("export: {}", edit.what));
                }
                // By design the export carries only the leaves and the latest checkpoint: a
                // stored leaf hash or subtree, or an older checkpoint, is the self-check's
                // alone to see. That its export still verifies keeps the exception honest.
                (false, Ok(())) => tally.blind_exports_verified += 1,
                (false, Err(e)) => panic!(
                    "{}: {}: an export rejected what it does not carry: {e}",
                    db.label, edit.what
                ),
            }

            if n % WHOLE_EVERY == 0 {
                assert_eq!(
                    db.store.check_audit_log(&vkey).await.unwrap(),
                    [],
                    "{}: after edit {n} the log is whole again",
                    db.label
                );
                export_verifies(&db.store, &vkey).await.unwrap();
                assert!(
                    tables(&conn).await == pristine,
                    "{}: after edit {n} every row is restored",
                    db.label
                );
            }
        }

        for kind in KINDS {
            let t = tallies
                .get(&kind)
                .unwrap_or_else(|| panic!("{}: no {kind:?} edit was tried", db.label));
            assert_eq!(
                (t.found_by_self_check, t.rejected_exports),
                (t.tried, t.exported),
                "{}: {kind:?} not always detected: {t:?}",
                db.label
            );
            match kind {
                Kind::EditLeafHash | Kind::EditSubtree => {
                    assert_eq!(t.blind_exports_verified, t.tried, "{}: {kind:?}", db.label);
                }
                Kind::ResignCheckpoint
                | Kind::EditCheckpointRoot
                | Kind::EditCheckpointNote
                | Kind::ReinsertCheckpoint => {
                    assert!(
                        0 < t.exported && t.exported < t.tried,
                        "{}: {kind:?} hit both the latest and an older checkpoint: {t:?}",
                        db.label
                    );
                }
                _ => assert_eq!(t.exported, t.tried, "{}: {kind:?}", db.label),
            }
        }
        conn.close().await.unwrap();
    }
}
