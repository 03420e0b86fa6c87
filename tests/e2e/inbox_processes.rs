//! The inbox across processes: what `netral inbox` prints and acknowledges; messages
//! committed before a SIGKILL reach the watcher after the restart; two server processes on
//! one database deliver each other's messages (on PostgreSQL by `LISTEN/NOTIFY`, well
//! before the periodic re-check would).

use std::time::{Duration, Instant};

use clap::Parser;
use netral_cli::inbox::{InboxArgs, run};
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step, walk_to};
use netral_tests::process::{CrashSite, ServerProcess};
use netral_tests::{TestApp, receive, spawn_app};

/// `netral inbox …` as the command line parses it.
#[derive(Debug, Parser)]
struct Netral {
    #[command(flatten)]
    inbox: InboxArgs,
}

async fn netral(app: &TestApp, args: &[&str]) -> anyhow::Result<String> {
    let pki = app.pki_dir.to_str().unwrap().to_owned();
    let endpoint = app.endpoint();
    let connect = ["--endpoint", &endpoint, "--pki", &pki];
    let argv = std::iter::once("netral")
        .chain(args.iter().copied())
        .chain(connect);
    let parsed = Netral::try_parse_from(argv)?;
    let mut out = Vec::new();
    run(parsed.inbox, &mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn netral_inbox_watch_prints_and_acknowledges_what_it_printed() {
    let app = spawn_app().await;
    let mut forwarded = Vec::new();
    for _ in 0..3 {
        forwarded.push(walk_to(&app, pb::CaseState::Forwarded).await.name);
    }
    let printed = netral(&app, &["watch", "--agency", "kasn", "--max", "2", "--json"])
        .await
        .unwrap();
    let lines: Vec<serde_json::Value> = printed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cases: Vec<&str> = lines.iter().map(|l| l["case"].as_str().unwrap()).collect();
    assert_eq!(cases, [forwarded[0].as_str(), forwarded[1].as_str()]);
    assert_eq!(lines[0]["action"], "FORWARD");
    assert_eq!(lines[0]["kind"], "CASE_CHANGED");

    let status = netral(&app, &["status", "--agency", "kasn", "--json"])
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        status["unacknowledged_count"], 1,
        "watch acknowledged what it printed"
    );
    assert_eq!(status["acknowledged_cursor"], lines[1]["cursor"]);

    // A second watcher starts after the acknowledged cursor: the third message only.
    let next = netral(&app, &["watch", "--agency", "kasn", "--max", "1", "--json"])
        .await
        .unwrap();
    assert!(next.contains(&forwarded[2]), "{next}");
    let listed = netral(&app, &["list", "--agency", "kasn"]).await.unwrap();
    assert!(listed.ends_with("3 message(s)\n"), "{listed}");
    let unacked = netral(&app, &["list", "--agency", "kasn", "--unacknowledged"])
        .await
        .unwrap();
    assert!(unacked.ends_with("0 message(s)\n"), "{unacked}");
    let refused = netral(&app, &["status"]).await.unwrap_err();
    assert!(refused.to_string().contains("--agency"), "{refused}");
}

/// Registers and forwards a case through `server` (to BKN, the examiner on today's date).
async fn forward_one(server: &ServerProcess) -> String {
    let mut client = server.client("bawaslu-kotabaru").await;
    let reply = client
        .register_case(fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let case = fixtures::case_of(reply.into_inner().r#case);
    Step::Forward.send(&mut client, &case).await.unwrap().name
}

/// Opens a `WatchInbox` stream as `agency` on `server`.
async fn watch(server: &ServerProcess, agency: &str) -> tonic::Streaming<pb::WatchInboxResponse> {
    server
        .inbox_client(agency)
        .await
        .watch_inbox(pb::WatchInboxRequest::default())
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_committed_before_a_kill_are_delivered_after_the_restart() {
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server")).await;
    let server = site.start().await;
    let mut forwarded = Vec::new();
    for _ in 0..5 {
        forwarded.push(forward_one(&server).await);
    }
    server.kill().await;

    let server = site.start().await;
    let mut stream = watch(&server, "bkn").await;
    let mut delivered = Vec::new();
    for _ in 0..forwarded.len() {
        delivered.push(receive(&mut stream, 1).await[0].case.clone());
    }
    assert_eq!(
        delivered, forwarded,
        "every acknowledged step's message, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_through_one_server_reaches_a_watcher_on_another() {
    let site = CrashSite::new(env!("CARGO_BIN_EXE_netral-crash-server")).await;
    let a = site.start().await;
    let b = site.start().await;
    let postgres = site.database_url().starts_with("postgres");
    let mut stream = watch(&b, "bkn").await;
    for round in 0..3 {
        let started = Instant::now();
        let case = forward_one(&a).await;
        assert_eq!(
            receive(&mut stream, 1).await[0].case.clone(),
            case,
            "round {round}"
        );
        let took = started.elapsed();
        if postgres {
            // The periodic re-check runs every 2 s: within 1 s means NOTIFY carried it.
            assert!(took < Duration::from_secs(1), "round {round} took {took:?}");
        }
    }
}
