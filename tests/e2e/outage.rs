//! A database outage agencies ride through: while the line to PostgreSQL is cut, every call
//! answers UNAVAILABLE with a RetryInfo delay (never INTERNAL), readiness reports
//! NOT_SERVING, and once the line is back writes resume and every step a client retried with
//! its `request_id` is there exactly once. A client using the `netral` command's retry
//! policy sees no error at all: the outage is only latency to it. On SQLite, a database file
//! locked by another writer past the busy timeout is the same kind of outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use netral_cli::retry::RetryPolicy;
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step};
use netral_tests::helpers::{PATIENCE, reason};
use netral_tests::proxy::{CutProxy, target_of, through};
use netral_tests::spawn_app_with;
use sea_orm::ConnectionTrait;
use tokio::time::Instant;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

/// Agencies' systems writing during the outage.
const WRITERS: usize = 4;
/// How long the line stays cut.
const OUTAGE: Duration = Duration::from_secs(3);

/// What one writer saw: the registrations acknowledged, and every refusal on the way.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, Instant)>,
    refusals: Vec<(Code, String, bool)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_ride_through_a_cut_database_line_and_readiness_follows_it() {
    let test = "writes_ride_through_a_cut_database_line_and_readiness_follows_it";
    let Some(admin) = netral_store::testing::postgres_or_skip(test) else {
        return;
    };
    let proxy = CutProxy::to(target_of(&admin)).await;
    let proxy_addr = proxy.addr;
    let app = spawn_app_with(move |s| {
        let url = s.database.url.clone().expect("a PostgreSQL test database");
        s.database.url = Some(through(&url, proxy_addr));
    })
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let client = app.client("bawaslu-kotabaru").await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let stop = stop.clone();
            let mut client = client.clone();
            async move {
                let mut seen = Seen::default();
                // Bounded: each writer stops when told, and each retry waits 50 ms.
                'cases: for _ in 0..10_000 {
                    let request = fixtures::kotabaru_social_media_like();
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            break 'cases;
                        }
                        match client.register_case(request.clone()).await {
                            Ok(_) => {
                                let number = request.r#case.as_ref().unwrap();
                                let number = number.registration_number.clone();
                                seen.acknowledged.push((number, Instant::now()));
                                continue 'cases;
                            }
                            Err(status) => {
                                let retry = status.get_error_details().retry_info().is_some();
                                seen.refusals.push((status.code(), reason(&status), retry));
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    }
                }
                seen
            }
        })
        .map(tokio::spawn)
        .collect();

    // A writer with the `netral` command's retry policy: it must never see an error.
    let patient = {
        let stop = stop.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let mut registered = Vec::new();
            for _ in 0..10_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let request = fixtures::kotabaru_social_media_like();
                let number = request.r#case.as_ref().unwrap().registration_number.clone();
                RetryPolicy::default()
                    .call(|| {
                        let mut client = client.clone();
                        let request = request.clone();
                        async move { client.register_case(request).await }
                    })
                    .await
                    .expect("the retry policy rides through a 3 s outage");
                registered.push(number);
            }
            registered
        })
    };

    let mut health = app.health_client().await;
    let check = || HealthCheckRequest {
        service: "netral.v1.CaseService".into(),
    };
    let status_now = |health: &mut tonic_health::pb::health_client::HealthClient<_>| {
        let mut health = health.clone();
        async move { health.check(check()).await.unwrap().into_inner().status() }
    };

    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    let give_up = Instant::now() + PATIENCE;
    while status_now(&mut health).await != ServingStatus::NotServing {
        assert!(
            Instant::now() < give_up,
            "readiness never reported NOT_SERVING"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(OUTAGE).await;
    proxy.restore();
    let restored = Instant::now();
    while status_now(&mut health).await != ServingStatus::Serving {
        assert!(
            Instant::now() < give_up + OUTAGE,
            "readiness never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);

    let mut acknowledged = Vec::new();
    let mut refusals = Vec::new();
    for writer in writers {
        let seen = writer.await.unwrap();
        acknowledged.extend(seen.acknowledged);
        refusals.extend(seen.refusals);
    }
    assert!(!refusals.is_empty(), "the outage refused nothing");
    let patiently = patient.await.unwrap();
    assert!(!patiently.is_empty());
    for (code, why, retry_info) in &refusals {
        assert_eq!(
            (*code, why.as_str(), *retry_info),
            (Code::Unavailable, "STORAGE_UNAVAILABLE", true),
            "every call failed by the outage says: retry"
        );
    }
    let first_after = acknowledged
        .iter()
        .map(|(_, at)| *at)
        .filter(|at| *at >= restored)
        .min()
        .expect("no write succeeded after the restore");
    assert!(
        first_after - restored <= Duration::from_secs(1),
        "writes resumed {:?} after the restore",
        first_after - restored
    );

    acknowledged.extend(patiently.into_iter().map(|number| (number, restored)));

    // Every acknowledged registration is there exactly once.
    let listed = app.list_all("bpk", "").await;
    let mut numbers: Vec<&str> = listed
        .iter()
        .map(|c| c.registration_number.as_str())
        .collect();
    numbers.sort_unstable();
    let before = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), before, "a registration applied twice");
    for (number, _) in &acknowledged {
        assert!(
            numbers.binary_search(&number.as_str()).is_ok(),
            "{number} lost"
        );
    }
    assert_eq!(
        listed.len(),
        acknowledged.len(),
        "a case nobody was told of"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_locked_past_the_busy_timeout_answers_unavailable_then_recovers() {
    if netral_store::testing::postgres_url().is_some() {
        // The PostgreSQL run has its own outage test above.
        netral_store::testing::skipped(
            "a_sqlite_file_locked_past_the_busy_timeout_answers_unavailable_then_recovers",
            "a SQLite test, and this run is on PostgreSQL",
        );
        return;
    }
    let app = netral_tests::spawn_app().await;
    let case = fixtures::walk_to(&app, pb::CaseState::Registered).await;

    // Another process's writer takes the database file and keeps it past the 5 s busy timeout.
    let holder = sea_orm::Database::connect(app.database_url.as_str())
        .await
        .unwrap();
    holder.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();
    let refused = app.act("bawaslu-kotabaru", Step::AddNote, &case).await;
    let status = refused.expect_err("a locked file cannot take the step");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unavailable, "STORAGE_UNAVAILABLE")
    );
    assert!(status.get_error_details().retry_info().is_some());
    // A read of personal data is put on record before it is answered, so while nothing can
    // be written a read is refused too (fail closed), with the same retryable answer.
    let unread = app.get("bpk", &case.name).await.unwrap_err();
    assert_eq!(
        (unread.code(), reason(&unread).as_str()),
        (Code::Unavailable, "STORAGE_UNAVAILABLE")
    );

    // A client with the retry policy, started while the file is still locked, gets through
    // once the lock is gone.
    let client = app.client("bawaslu-kotabaru").await;
    let request = fixtures::add_note(&case);
    let patient = tokio::spawn(async move {
        RetryPolicy::default()
            .call(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.add_note(request).await }
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    holder.execute_unprepared("ROLLBACK").await.unwrap();
    let noted = fixtures::case_of(patient.await.unwrap().unwrap().into_inner().r#case);
    assert_eq!(noted.note_count, 1);
    assert_eq!(
        app.read(&case.name).await.etag,
        noted.etag,
        "nothing else was written"
    );
    assert_eq!(
        app.history(&noted).await.len(),
        2,
        "registered, then one note"
    );
}
