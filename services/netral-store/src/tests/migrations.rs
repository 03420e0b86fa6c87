//! Opening the store: migrations that survive concurrent starters and restarts, and the
//! SQLite settings that every pooled connection must carry.

use netral_domain::CaseId;
use netral_domain::case::{CaseRecord, CaseSize, Command, DeadlineStatus, Note};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, EntityTrait, IdenStatic, Iterable, Statement,
    TransactionTrait,
};
use tempfile::TempDir;
use uuid::Uuid;

use super::fixtures::*;
use super::support::{PgDatabase, databases, pg_admin_url, sqlite};
use crate::convert::{case_row, subject_row};
use crate::entity::{cases, subjects};
use crate::{CaseQuery, CaseView, Store, Visibility, dto, migration};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_run_concurrently_from_four_connections_on_postgres() {
    let test = "migrations_run_concurrently_from_four_connections_on_postgres";
    let Some(admin) = crate::testing::postgres_or_skip(test) else {
        return;
    };
    let (_pg, url) = PgDatabase::create(&admin).await;
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::connect(&url, 2).await })
        })
        .collect();
    let mut stores = Vec::new();
    for starter in starters {
        stores.push(starter.await.unwrap().unwrap());
    }
    let w = world();
    let case = registered(&stores[0], &w, 1).await;
    assert_eq!(
        stores[3].get_case(case.id, CaseView::Full).await.unwrap(),
        Some(case)
    );
}

#[tokio::test]
async fn reopening_a_store_keeps_its_cases_and_reruns_no_migration() {
    let w = world();
    for db in databases().await {
        let case = registered(&db.store, &w, 1).await;
        db.store.clone().close().await.unwrap();
        let reopened = Store::connect(&db.url, 2).await.unwrap();
        assert_eq!(
            reopened.get_case(case.id, CaseView::Full).await.unwrap(),
            Some(case.clone()),
            "{}",
            db.label
        );
        let again = step(
            &reopened,
            &w,
            &w.bawaslu,
            case.id,
            "v1",
            note("n"),
            Uuid::new_v4(),
            at(2024, 9, 5),
        );
        assert_eq!(applied(again.await.unwrap()).0.version, 2, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_is_configured() {
    let db = sqlite().await;
    // Open transactions pin distinct pool connections; ask each of them.
    let mut txns = Vec::new();
    for _ in 0..4 {
        txns.push(db.store.db.begin().await.unwrap());
    }
    for txn in &txns {
        let pragma = |name: &str| {
            Statement::from_string(txn.get_database_backend(), format!("PRAGMA {name}"))
        };
        let value = |row: sea_orm::QueryResult| -> String {
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
                .unwrap()
        };
        let journal = value(
            txn.query_one(pragma("journal_mode"))
                .await
                .unwrap()
                .unwrap(),
        );
        let synchronous = value(txn.query_one(pragma("synchronous")).await.unwrap().unwrap());
        let foreign_keys = value(
            txn.query_one(pragma("foreign_keys"))
                .await
                .unwrap()
                .unwrap(),
        );
        let busy = value(
            txn.query_one(pragma("busy_timeout"))
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            (
                journal.as_str(),
                synchronous.as_str(),
                foreign_keys.as_str(),
                busy.as_str()
            ),
            // synchronous=FULL (2): a commit is on disk before it is acknowledged.
            ("wal", "2", "1", "5000")
        );
    }
    for txn in txns {
        txn.rollback().await.unwrap();
    }
}

/// A database as the first release left it (its first migration only), removed when dropped.
struct LegacyDb {
    label: &'static str,
    url: String,
    _dir: Option<TempDir>,
    _pg: Option<PgDatabase>,
}

/// An empty first-release database on SQLite, and on PostgreSQL when configured.
async fn legacy_databases() -> Vec<LegacyDb> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut dbs = vec![LegacyDb {
        label: "sqlite",
        url,
        _dir: Some(dir),
        _pg: None,
    }];
    if let Some(admin) = pg_admin_url() {
        let (pg, url) = PgDatabase::create(&admin).await;
        dbs.push(LegacyDb {
            label: "postgres",
            url,
            _dir: None,
            _pg: Some(pg),
        });
    }
    for db in &dbs {
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        migration::up_to(&conn, Some(1)).await.unwrap();
        conn.close().await.unwrap();
    }
    dbs
}

/// Writes `case` as the first release stored it: its own columns, and its lists as JSON
/// columns of `cases`.
async fn insert_legacy<C: ConnectionTrait>(conn: &C, case: &CaseRecord) {
    use cases::Column as C;
    let subject_id = Uuid::new_v4().to_string();
    let subject = subject_row(&case.filing.subject, subject_id.clone());
    // The first release's subjects had no `erased_at` (added by the third migration).
    let mut subject = subjects::ActiveModel::from(subject);
    subject.erased_at = sea_orm::ActiveValue::NotSet;
    subjects::Entity::insert(subject)
        .exec_without_returning(conn)
        .await
        .unwrap();
    let row = cases::ActiveModel::from(case_row(case, subject_id).unwrap());
    let mut columns = Vec::new();
    let mut values: Vec<SimpleExpr> = Vec::new();
    for column in C::iter() {
        // The counts are the second release's, the subject key the sixth's, the trace
        // context the eighth's.
        if matches!(
            column,
            C::SubjectKey
                | C::Traceparent
                | C::NoteCount
                | C::AttachmentCount
                | C::EscalationCount
                | C::SanctionCount
                | C::TextBytes
        ) {
            continue;
        }
        columns.push(Alias::new(column.as_str()));
        values.push(row.get(column).into_value().unwrap().into());
    }
    let lists = [
        (
            "imposed_sanctions",
            dto::sanctions_to_json(&case.imposed_sanctions),
        ),
        ("escalations", dto::escalations_to_json(&case.escalations)),
        ("deadlines", dto::deadlines_to_json(&case.deadlines)),
        ("attachments", dto::attachments_to_json(&case.attachments)),
        ("notes", dto::notes_to_json(&case.notes)),
    ];
    for (column, json) in lists {
        columns.push(Alias::new(column));
        values.push(json.unwrap().into());
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("cases"))
        .columns(columns)
        .values_panic(values);
    let backend = conn.get_database_backend();
    conn.execute(backend.build(&insert)).await.unwrap();
}

/// An open case as the domain builds it: registered, its review extended (a mooted and a new
/// deadline, a note), evidence attached and notes in several scripts.
fn open_case(w: &World) -> CaseRecord {
    let by = |minutes| at(2024, 9, 4) + chrono::TimeDelta::minutes(minutes);
    let ctx_at = |minutes| ctx(&w.catalogue, &w.bawaslu, by(minutes));
    let (mut case, _) = CaseRecord::register(CaseId::new(), filing(2), &ctx_at(0)).unwrap();
    let commands = [
        Command::ExtendReview {
            reason: "saksi tambahan".into(),
        },
        Command::AttachEvidence {
            digest: format!("sha256:{}", "cd".repeat(32)),
            media_type: "image/png".into(),
            title: "Tangkapan layar — ünïcode".into(),
            size_bytes: 12_345,
        },
        note("catatan pertama"),
        note("ملاحظة 🗳️"),
    ];
    for (minutes, command) in (1..).zip(commands) {
        case.apply(command, &ctx_at(minutes)).unwrap();
    }
    case
}

/// The legacy cases: a rich one with every list, an open one, and one with no list at all.
fn legacy_cases(w: &World) -> Vec<CaseRecord> {
    let (mut rich, _) = rich_case();
    rich.version = 4;
    let (mut empty, _) = rich_case();
    empty.id = CaseId::new();
    empty.filing.registration_number = "901/Reg/TM/PB/Kab/22.02/IX/2024".into();
    empty.imposed_sanctions.clear();
    empty.deadlines.clear();
    empty = empty.basic();
    empty.size = CaseSize::default();
    let mut cases = vec![rich, open_case(w), empty];
    // The first release knew no notices: the notices migration looks at each open deadline
    // on its due day.
    for deadline in cases.iter_mut().flat_map(|c| c.deadlines.iter_mut()) {
        deadline.notice = None;
        deadline.notice_on = (deadline.status == DeadlineStatus::Open).then_some(deadline.due);
    }
    cases
}

#[tokio::test]
async fn cases_stored_by_the_first_release_read_back_equal_after_the_upgrade() {
    let w = world();
    for db in legacy_databases().await {
        let cases = legacy_cases(&w);
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        for case in &cases {
            insert_legacy(&conn, case).await;
        }
        conn.close().await.unwrap();

        let store = Store::connect(&db.url, 4).await.unwrap();
        for case in &cases {
            let size = CaseSize::of(&case.notes, &case.attachments, &case.escalations);
            assert_eq!(
                case.size, size,
                "{}: the fixture counts its lists",
                db.label
            );
            let read = store.get_case(case.id, CaseView::Full).await.unwrap();
            assert_eq!(read.as_ref(), Some(case), "{}", db.label);
            let basic = store.get_case(case.id, CaseView::Basic).await.unwrap();
            assert_eq!(basic, Some(case.clone().basic()), "{}", db.label);
        }
        let children: usize = cases
            .iter()
            .map(|c| {
                c.notes.len()
                    + c.attachments.len()
                    + c.escalations.len()
                    + c.deadlines.len()
                    + c.imposed_sanctions.len()
            })
            .sum();
        let counts = store.table_counts().await.unwrap();
        assert_eq!(counts.child_records, children as u64, "{}", db.label);

        // The open case steps on: a deadline met in place, notes numbered after the old ones.
        let mut expected = cases[1].clone();
        let forward = Command::Forward {
            letter_number: "L-9".into(),
            examiner: w.bkn.id.clone(),
        };
        for (minutes, (actor, command)) in
            (0..).zip([(&w.bawaslu, forward), (&w.bkn, note("baru"))])
        {
            let now = at(2024, 9, 6) + chrono::TimeDelta::minutes(minutes);
            let etag = expected.etag();
            let stepped = step(
                &store,
                &w,
                actor,
                expected.id,
                &etag,
                command.clone(),
                Uuid::new_v4(),
                now,
            );
            let (answered, _) = applied(stepped.await.unwrap());
            expected
                .apply(command, &ctx(&w.catalogue, actor, now))
                .unwrap();
            assert_eq!(answered, expected.clone().basic(), "{}", db.label);
        }
        let read = store.get_case(expected.id, CaseView::Full).await.unwrap();
        assert_eq!(read, Some(expected), "{}", db.label);
    }
}

#[tokio::test]
async fn an_upgrade_copies_every_case_across_its_copy_pages() {
    let w = world();
    for db in legacy_databases().await {
        let (template, _) = rich_case();
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        let txn = conn.begin().await.unwrap();
        let mut ids = Vec::new();
        // One more case than a copy page holds.
        for n in 0..501 {
            let mut case = template.clone();
            case.id = CaseId::new();
            case.filing.registration_number = format!("{n:04}/Reg/TM/PB/Kab/22.02/IX/2024");
            case.notes = vec![Note {
                text: format!("catatan {n}"),
                agency: w.bkn.id.clone(),
                at: at(2024, 9, 4),
            }];
            case.size = CaseSize::of(&case.notes, &case.attachments, &case.escalations);
            insert_legacy(&txn, &case).await;
            ids.push(case.id);
        }
        txn.commit().await.unwrap();
        conn.close().await.unwrap();

        let store = Store::connect(&db.url, 4).await.unwrap();
        let per_case = (1 + template.attachments.len() + template.escalations.len())
            + template.deadlines.len()
            + template.imposed_sanctions.len();
        let counts = store.table_counts().await.unwrap();
        assert_eq!(counts.child_records, 501 * per_case as u64, "{}", db.label);
        let mut query = CaseQuery::new(Visibility::Everything, 1000);
        query.view = CaseView::Full;
        let listed = store.list_cases(&query).await.unwrap();
        let mut listed_ids: Vec<_> = listed.iter().map(|c| c.id).collect();
        listed_ids.sort();
        ids.sort();
        assert_eq!(listed_ids, ids, "{}: every case is still there", db.label);
        for case in listed {
            let n: u32 = case.filing.registration_number[..4].parse().unwrap();
            let texts: Vec<_> = case.notes.iter().map(|n| n.text.clone()).collect();
            assert_eq!(texts, [format!("catatan {n}")], "{}", db.label);
            assert_eq!(case.size.notes, 1, "{}", db.label);
        }
    }
}

#[tokio::test]
async fn the_upgrade_removes_the_reversible_subject_digest_from_old_case_events() {
    let w = world();
    for db in legacy_databases().await {
        let case = legacy_cases(&w).remove(0);
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        insert_legacy(&conn, &case).await;
        // The first release's registration payload: an unsalted SHA-256 of the NIP.
        let payload = serde_json::json!({
            "registration_number": case.filing.registration_number,
            "subject_id_kind": "NIP",
            "subject_digest": "sha256:5d41402abc4b2a76b9719d911017c592ae2f0a1c9b2e5b1f5f3b2a1c0d9e8f7a",
        });
        let insert = Query::insert()
            .into_table(Alias::new("case_events"))
            .columns(
                [
                    "case_id",
                    "case_version",
                    "action",
                    "actor",
                    "request_id",
                    "from_state",
                    "to_state",
                    "payload",
                    "occurred_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                case.id.to_string().into(),
                1i64.into(),
                "REGISTER".into(),
                "bawaslu-kalsel".into(),
                Uuid::new_v4().to_string().into(),
                "REGISTERED".into(),
                "REGISTERED".into(),
                payload.to_string().into(),
                case.created_at.into(),
            ])
            .to_owned();
        let backend = conn.get_database_backend();
        conn.execute(backend.build(&insert)).await.unwrap();
        conn.close().await.unwrap();

        let store = Store::connect(&db.url, 2).await.unwrap();
        let events = store.case_events(case.id).await.unwrap();
        assert_eq!(events.len(), 1, "{}", db.label);
        let kept = &events[0].payload;
        assert_eq!(
            *kept,
            serde_json::json!({
                "registration_number": case.filing.registration_number,
                "subject_id_kind": "NIP",
            }),
            "{}: the digest is gone, the rest kept",
            db.label
        );
    }
}

#[tokio::test]
async fn cases_stored_before_registration_numbers_were_per_office_read_back_equal_and_keep_their_subject()
 {
    let w = world();
    for db in legacy_databases().await {
        let cases = legacy_cases(&w);
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        for case in &cases {
            insert_legacy(&conn, case).await;
        }
        // Up to the deadline notices, the migration before registration numbers.
        migration::up_to(&conn, Some(4)).await.unwrap();
        // The open case's registration event, as the server wrote it: a keyed digest.
        let open = &cases[1];
        let payload = serde_json::json!({
            "registration_number": open.filing.registration_number,
            "subject_id_kind": "NIP",
            "subject_digest": subject_key(open),
        });
        let insert = Query::insert()
            .into_table(Alias::new("case_events"))
            .columns(
                [
                    "case_id",
                    "case_version",
                    "action",
                    "actor",
                    "request_id",
                    "from_state",
                    "to_state",
                    "payload",
                    "occurred_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                open.id.to_string().into(),
                1i64.into(),
                "REGISTER".into(),
                open.reporting_office.as_str().into(),
                Uuid::new_v4().to_string().into(),
                "REGISTERED".into(),
                "REGISTERED".into(),
                payload.to_string().into(),
                open.created_at.into(),
            ])
            .to_owned();
        let backend = conn.get_database_backend();
        conn.execute(backend.build(&insert)).await.unwrap();
        conn.close().await.unwrap();

        let store = Store::connect(&db.url, 4).await.unwrap();
        for case in &cases {
            let read = store.get_case(case.id, CaseView::Full).await.unwrap();
            assert_eq!(read.as_ref(), Some(case), "{}", db.label);
        }
        // The key came over from the event: the same subject again is refused.
        let mut again = open.filing.clone();
        again.summary = "didaftarkan ulang".into();
        let refused = register(&store, &w, again.clone(), Uuid::new_v4(), at(2024, 9, 6)).await;
        assert!(
            matches!(
                refused,
                Err(crate::ExecuteError::Store(
                    crate::StoreError::DuplicateRegistration
                ))
            ),
            "{}",
            db.label
        );
        // Another ASN of the same report is welcome, and the two link to each other.
        again.subject.id = netral_domain::SubjectId::parse(
            netral_domain::ids::SubjectIdKind::Nip,
            "199001052015032002",
        )
        .unwrap();
        let second = registered_filing(&store, &w, again).await;
        let related = store
            .related_cases(
                open.id,
                &open.reporting_office,
                &open.filing.registration_number,
            )
            .await
            .unwrap();
        assert_eq!(related, [second.id], "{}", db.label);
        // Every legacy case still reads back equal after the table was rebuilt.
        let counts = store.table_counts().await.unwrap();
        assert_eq!(counts.cases, 4, "{}", db.label);
    }
}

#[tokio::test]
async fn the_revocations_table_comes_empty_to_a_database_of_the_previous_release_and_goes_back() {
    use sea_orm_migration::MigratorTrait;
    let w = world();
    for db in legacy_databases().await {
        let cases = legacy_cases(&w);
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        for case in &cases {
            insert_legacy(&conn, case).await;
        }
        // The previous release: every migration up to registration numbers.
        migration::up_to(&conn, Some(5)).await.unwrap();
        conn.close().await.unwrap();

        let store = Store::connect(&db.url, 2).await.unwrap();
        for case in &cases {
            let read = store.get_case(case.id, CaseView::Full).await.unwrap();
            assert_eq!(read.as_ref(), Some(case), "{}", db.label);
        }
        assert_eq!(store.revocations().await.unwrap(), [], "{}", db.label);
        let revocation = crate::Revocation {
            revoked: crate::Revoked::Agency(agency("pemkab-kotabaru")),
            revoked_at: at(2024, 9, 5),
            reason: "Keputusan 7/2024".into(),
            recorded_by: "operator".into(),
        };
        let audit = crate::audit::AuditRecord {
            case_id: None,
            action: "REVOKE_AGENCY".into(),
            outcome: "SUCCESS",
            actor: None,
            at: at(2024, 9, 5),
            leaf: netral_audit::leaf::encode(&netral_proto::v1::AuditLeaf::default()),
        };
        assert!(store.revoke(&revocation, audit).await.unwrap());
        assert_eq!(store.revocations().await.unwrap(), [revocation]);
        store.close().await.unwrap();

        // Rolled back, the table goes and the cases stay; the next start brings it back.
        let conn = Database::connect(db.url.as_str()).await.unwrap();
        // Down past the trace context (the eighth) to the revocations (the seventh).
        migration::Migrator::down(&conn, Some(2)).await.unwrap();
        let gone = conn
            .execute_unprepared("SELECT 1 FROM revocations")
            .await
            .is_err();
        assert!(gone, "{}: the table is still there", db.label);
        conn.close().await.unwrap();
        let store = Store::connect(&db.url, 2).await.unwrap();
        assert_eq!(store.revocations().await.unwrap(), [], "{}", db.label);
        assert_eq!(store.table_counts().await.unwrap().cases, 3, "{}", db.label);
    }
}
