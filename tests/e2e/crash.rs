//! A server killed with SIGKILL in the middle of group commits: every step it acknowledged is
//! there after the restart, none is there twice, retries of acknowledged steps answer what
//! they answered first, and a step whose answer was lost is applied exactly once when sent
//! again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use netral_domain::CaseId;
use netral_proto::v1 as pb;
use netral_store::Store;
use netral_tests::fixtures;
use netral_tests::helpers::PATIENCE;
use netral_tests::process::CrashSite;

/// Agencies writing at once, one case each: enough to fill batches.
const WRITERS: usize = 12;
/// Most notes one writer sends (the loop's bound).
const MAX_STEPS: usize = 400;
/// Acknowledged steps, in all, before the kill.
const KILL_AFTER: usize = 120;

/// What one writer saw: its case, the steps acknowledged with their replies, and the request
/// that was under way when the server died.
struct Written {
    case: pb::Case,
    acknowledged: Vec<(pb::AddNoteRequest, pb::Case)>,
    unanswered: Option<pb::AddNoteRequest>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_batch_loses_no_acknowledged_step_and_applies_none_twice() {
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server")).await;
    let server = site.start().await;
    let mut bawaslu = server.client("bawaslu-kotabaru").await;
    let mut cases = Vec::new();
    for _ in 0..WRITERS {
        let reply = bawaslu
            .register_case(fixtures::kotabaru_social_media_like())
            .await
            .unwrap();
        cases.push(fixtures::case_of(reply.into_inner().r#case));
    }

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = cases
        .into_iter()
        .map(|case| {
            let mut client = bawaslu.clone();
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                let mut written = Written {
                    case: case.clone(),
                    acknowledged: Vec::new(),
                    unanswered: None,
                };
                let mut current = case;
                for _ in 0..MAX_STEPS {
                    let request = fixtures::add_note(&current);
                    match client.add_note(request.clone()).await {
                        Ok(reply) => {
                            current = fixtures::case_of(reply.into_inner().r#case);
                            written.acknowledged.push((request, current.clone()));
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => {
                            written.unanswered = Some(request);
                            break;
                        }
                    }
                }
                written
            })
        })
        .collect();

    let give_up = tokio::time::Instant::now() + PATIENCE;
    while acknowledged.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(tokio::time::Instant::now() < give_up, "the writers stalled");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill().await;
    let mut results = Vec::new();
    for writer in writers {
        results.push(writer.await.unwrap());
    }
    let unanswered = results.iter().filter(|w| w.unanswered.is_some()).count();
    assert!(unanswered > 0, "the kill interrupted no writer");

    let server = site.start().await;
    let mut bawaslu = server.client("bawaslu-kotabaru").await;
    let store = Store::connect(&site.database_url(), 2).await.unwrap();
    for written in &results {
        // Every acknowledged step answers its retry with its first answer.
        for (request, first) in &written.acknowledged {
            let again = bawaslu.add_note(request.clone()).await.unwrap();
            assert_eq!(&fixtures::case_of(again.into_inner().r#case), first);
        }
        // The step whose answer was lost: sent again, it is applied (now or before the
        // crash), once.
        let mut expected_notes = written.acknowledged.len();
        if let Some(request) = &written.unanswered {
            bawaslu.add_note(request.clone()).await.unwrap();
            expected_notes += 1;
        }
        let id = CaseId::from_resource_name(&written.case.name).unwrap();
        let events = store.case_events(id).await.unwrap();
        let mut request_ids: Vec<_> = events.iter().map(|e| e.request_id).collect();
        request_ids.sort_unstable();
        request_ids.dedup();
        assert_eq!(request_ids.len(), events.len(), "a request applied twice");
        assert_eq!(events.len(), 1 + expected_notes, "steps lost or doubled");
        let full = store
            .get_case(id, netral_store::CaseView::Full)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(full.notes.len(), expected_notes);
        assert_eq!(full.version as usize, 1 + expected_notes);
    }
    server.kill().await;
}
