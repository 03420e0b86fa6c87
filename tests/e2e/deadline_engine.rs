//! Deadlines that enforce themselves: the deadline engine raises a reminder, overdue, then
//! the escalation proposals to BKN and Kemendagri, each once and in order, with the
//! injected clock standing on the days that matter; across restarts and replicas.

use netral_proto::v1 as pb;
use netral_tests::fixtures::{Step, walk_to, wib};
use netral_tests::{PATIENCE, assert_refused, eventually, spawn_app, spawn_app_with};
use pb::{
    CaseState, DeadlineNotice, DeadlineStatus, DeadlineStep, EscalationKind, InboxMessageKind,
};
use tonic::Code;

fn ppk_deadline(case: &pb::Case) -> pb::Deadline {
    case.deadlines
        .iter()
        .find(|d| d.step() == DeadlineStep::PpkAction)
        .cloned()
        .unwrap_or_else(|| panic!("no PPK deadline: {:?}", case.deadlines))
}

fn escalation_kinds(case: &pb::Case) -> Vec<EscalationKind> {
    case.escalations.iter().map(|e| e.kind()).collect()
}

/// The kinds of `agency`'s inbox messages about `case` raised by the deadline engine, oldest
/// first, once there are `count` of them (on PostgreSQL the inbox sequencer numbers
/// committed messages a moment after their commit).
async fn told(
    app: &netral_tests::TestApp,
    agency: &str,
    case: &pb::Case,
    count: usize,
) -> Vec<InboxMessageKind> {
    let read = || async {
        app.inbox(agency)
            .await
            .into_iter()
            .filter(|m| m.r#case == case.name && m.action == "RAISE_NOTICE")
            .inspect(|m| assert_eq!(m.actor, "", "netral's own notice names no agency"))
            .map(|m| m.kind())
            .collect::<Vec<_>>()
    };
    eventually(PATIENCE, || async { read().await.len() >= count }).await;
    read().await
}

/// How many `RAISE_NOTICE` events the case's history holds.
async fn raises(app: &netral_tests::TestApp, case: &pb::Case) -> usize {
    app.history(case)
        .await
        .iter()
        .filter(|e| e.action.as_str() == "RAISE_NOTICE")
        .count()
}

#[tokio::test]
async fn a_silent_ppk_is_reminded_then_overdue_then_escalated_to_bkn_and_kemendagri_once() {
    let app = spawn_app().await;
    // Recommended on Fri 1 March 2024: the PPK has ten days, until Mon 11 March.
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    let deadline = ppk_deadline(&case);
    assert_eq!(
        deadline.due_date,
        Some(netral_tests::fixtures::date(2024, 3, 11))
    );
    assert_eq!(
        deadline.next_notice_date,
        Some(netral_tests::fixtures::date(2024, 3, 9))
    );

    app.clock.set(wib("2024-03-08T23:59:00"));
    assert_eq!(app.scan_deadlines().await.raised, 0, "nothing due yet");

    app.clock.set(wib("2024-03-09T00:01:00"));
    assert_eq!(app.scan_deadlines().await.raised, 1);
    assert_eq!(
        app.scan_deadlines().await.raised,
        0,
        "a reminder is raised once"
    );
    let reminded = app.read(&case.name).await;
    assert_eq!(
        ppk_deadline(&reminded).last_notice(),
        DeadlineNotice::Reminder
    );
    assert_eq!(escalation_kinds(&reminded), [EscalationKind::Reminder]);
    assert_eq!(
        told(&app, "pemkab-kotabaru", &case, 1).await,
        [InboxMessageKind::DeadlineReminder]
    );

    // Still within the deadline: BKN may not block yet.
    let early = app.act("bkn", Step::BlockPersonnelData, &reminded).await;
    assert_refused(early, Code::FailedPrecondition, "PPK_NOT_OVERDUE");

    app.clock.set(wib("2024-03-12T08:00:00"));
    assert_eq!(app.scan_deadlines().await.raised, 3);
    assert_eq!(app.scan_deadlines().await.raised, 0);
    let escalated = app.read(&case.name).await;
    assert_eq!(
        escalation_kinds(&escalated),
        [
            EscalationKind::Reminder,
            EscalationKind::Overdue,
            EscalationKind::BlockProposed,
            EscalationKind::WarningProposed
        ]
    );
    assert!(escalated.escalations.iter().all(|e| e.agency.is_empty()));
    let deadline = ppk_deadline(&escalated);
    assert_eq!(
        (
            deadline.status(),
            deadline.last_notice(),
            deadline.next_notice_date
        ),
        (DeadlineStatus::Open, DeadlineNotice::WarningProposal, None)
    );
    assert_eq!(escalated.state(), CaseState::SanctionRecommended);
    assert_eq!(raises(&app, &case).await, 4);

    assert_eq!(
        told(&app, "pemkab-kotabaru", &case, 4).await,
        [
            InboxMessageKind::DeadlineReminder,
            InboxMessageKind::DeadlineMissed,
            InboxMessageKind::CaseChanged,
            InboxMessageKind::CaseChanged
        ]
    );
    // KASN recommended: it hears the PPK is late; BKN gets the block proposal.
    assert_eq!(
        told(&app, "kasn", &case, 1).await,
        [InboxMessageKind::CaseChanged]
    );
    assert_eq!(
        told(&app, "bkn", &case, 1).await,
        [InboxMessageKind::Escalation]
    );
    assert_eq!(
        told(&app, "kemendagri", &case, 1).await,
        [InboxMessageKind::Escalation]
    );

    // The agencies act on the proposals; the PPK decrees late; BKN records and the block
    // is lifted.
    let blocked = app
        .act("bkn", Step::BlockPersonnelData, &escalated)
        .await
        .unwrap();
    let warned = app
        .act("kemendagri", Step::SendWarningLetter, &blocked)
        .await
        .unwrap();
    app.clock.set(wib("2024-03-13T09:00:00"));
    let sanctioned = app
        .act("pemkab-kotabaru", Step::RecordSanctionDecree, &warned)
        .await
        .unwrap();
    assert_eq!(ppk_deadline(&sanctioned).status(), DeadlineStatus::Missed);
    assert_eq!(ppk_deadline(&sanctioned).next_notice_date, None);
    let recorded = app
        .act("bkn", Step::RecordInRegistry, &sanctioned)
        .await
        .unwrap();
    let recorded = app.read(&recorded.name).await;
    assert!(!recorded.personnel_data_blocked);
    assert_eq!(
        escalation_kinds(&recorded).last(),
        Some(&EscalationKind::PersonnelDataUnblocked)
    );

    app.clock.set(wib("2024-06-01T08:00:00"));
    assert_eq!(
        app.scan_deadlines().await.raised,
        0,
        "a closed case raises nothing"
    );
    assert_eq!(raises(&app, &case).await, 4);
}

#[tokio::test]
async fn a_catch_up_after_downtime_raises_what_fell_due_once_in_order_and_no_stale_reminder() {
    let app = spawn_app().await;
    let case = walk_to(&app, CaseState::SanctionRecommended).await;
    // Down from before the reminder until long after the deadline.
    app.clock.set(wib("2024-04-20T08:00:00"));
    let report = app.scan_deadlines().await;
    assert_eq!((report.raised, report.failed), (3, 0));
    let caught_up = app.read(&case.name).await;
    assert_eq!(
        escalation_kinds(&caught_up),
        [
            EscalationKind::Overdue,
            EscalationKind::BlockProposed,
            EscalationKind::WarningProposed
        ]
    );
    let events: Vec<_> = app
        .history(&case)
        .await
        .into_iter()
        .filter(|e| e.action.as_str() == "RAISE_NOTICE")
        .map(|e| e.payload["notice"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events, ["OVERDUE", "BLOCK_PROPOSAL", "WARNING_PROPOSAL"]);
}

#[tokio::test]
async fn a_scan_raises_at_most_its_batch_and_the_next_scan_continues() {
    let app = spawn_app_with(|s| s.deadlines.scan_batch = 2).await;
    let mut cases = Vec::new();
    for _ in 0..3 {
        cases.push(walk_to(&app, CaseState::Registered).await);
    }
    // Bawaslu's seven days from 1 March end on 8 March: each review climbs reminder then
    // overdue, but long after it the reminder is skipped: one notice per case.
    app.clock.set(wib("2024-03-20T08:00:00"));
    assert_eq!(app.scan_deadlines().await.raised, 2);
    assert_eq!(app.scan_deadlines().await.raised, 1);
    assert_eq!(app.scan_deadlines().await.raised, 0);
    for case in &cases {
        assert_eq!(raises(&app, case).await, 1);
        let read = app.read(&case.name).await;
        assert_eq!(escalation_kinds(&read), [EscalationKind::Overdue]);
    }
}

#[tokio::test]
async fn a_raise_that_fails_mid_batch_commits_nothing_and_a_restart_fires_the_rest_once() {
    // One notice per scan: a scan that stops after its first commit is a process killed in
    // the middle of its batch.
    let app = spawn_app_with(|s| s.deadlines.scan_batch = 1).await;
    let cases = [
        walk_to(&app, CaseState::Registered).await,
        walk_to(&app, CaseState::Registered).await,
        walk_to(&app, CaseState::Registered).await,
    ];
    app.clock.set(wib("2024-03-20T08:00:00"));
    // The first raise dies after writing the case, before its commit: nothing of it stays.
    app.store().fail_points().after_case_write(true);
    let report = app.scan_deadlines().await;
    assert_eq!((report.raised, report.failed), (0, 1));
    assert_eq!(
        all_raises(&app, &cases).await,
        0,
        "the failed raise left no event"
    );
    assert_eq!(app.scan_deadlines().await.raised, 1);
    // The restart: another server process on the same database takes over the scan.
    let restarted = app.replica_engine().await;
    assert_eq!(restarted.scan().await.expect("scan").raised, 1);
    assert_eq!(restarted.scan().await.expect("scan").raised, 1);
    assert_eq!(restarted.scan().await.expect("scan").raised, 0);
    assert_eq!(app.scan_deadlines().await.raised, 0);
    for case in &cases {
        assert_eq!(
            raises(&app, case).await,
            1,
            "each notice fired exactly once"
        );
    }
}

/// The `RAISE_NOTICE` events of all `cases`.
async fn all_raises(app: &netral_tests::TestApp, cases: &[pb::Case]) -> usize {
    let mut total = 0;
    for case in cases {
        total += raises(app, case).await;
    }
    total
}

#[tokio::test]
async fn two_replicas_scanning_at_once_fire_each_notice_once() {
    let app = spawn_app().await;
    let mut cases = Vec::new();
    for _ in 0..6 {
        cases.push(walk_to(&app, CaseState::SanctionRecommended).await);
    }
    let replica = app.replica_engine().await;
    app.clock.set(wib("2024-03-12T08:00:00"));
    let ours = app.scan_deadlines();
    let theirs = replica.scan();
    let (ours, theirs) = tokio::join!(ours, theirs);
    let theirs = theirs.expect("the replica's scan runs");
    // Each case: overdue, block proposal, warning proposal (the reminder is stale). Each
    // replica scans while the other holds the scan, or collects only refusals.
    let mut total = ours.raised + theirs.raised;
    // A replica skipped by the advisory lock leaves what it did not see to the next scan.
    total += app.scan_deadlines().await.raised;
    assert_eq!(total, 6 * 3, "ours: {ours:?}, theirs: {theirs:?}");
    for case in &cases {
        assert_eq!(raises(&app, case).await, 3);
        let read = app.read(&case.name).await;
        assert_eq!(read.escalations.len(), 3);
    }
}

#[tokio::test]
async fn the_running_server_raises_notices_by_itself() {
    let app = spawn_app_with(|s| {
        s.deadlines.enabled = true;
        s.deadlines.scan_interval_ms = 50;
    })
    .await;
    let case = walk_to(&app, CaseState::Registered).await;
    app.clock.set(wib("2024-03-07T08:00:00"));
    assert_eq!(
        told(&app, "bawaslu-kotabaru", &case, 1).await,
        [InboxMessageKind::DeadlineReminder]
    );
}
