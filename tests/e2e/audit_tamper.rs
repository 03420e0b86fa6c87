//! Someone with database access alters the stored log: `netral audit verify` refuses the
//! next export (alone and against a checkpoint kept from before), and the server's
//! self-check finds it and puts an alert on record.

use clap::Parser;
use netral_cli::audit::{AuditArgs, run};
use netral_proto::v1 as pb;
use netral_tests::fixtures::{self, Step};
use netral_tests::{TestApp, spawn_app};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

/// `netral audit …` as the command line parses it.
#[derive(Debug, Parser)]
struct Netral {
    #[command(flatten)]
    audit: AuditArgs,
}

async fn netral(app: &TestApp, args: &[&str]) -> anyhow::Result<String> {
    let connect = [
        "--endpoint",
        &app.endpoint(),
        "--pki",
        app.pki_dir.to_str().unwrap(),
    ];
    let online = matches!(args[0], "export" | "history" | "prove");
    let argv = std::iter::once("netral")
        .chain(args.iter().copied())
        .chain(connect.iter().copied().filter(|_| online))
        .chain(
            ["--pki", app.pki_dir.to_str().unwrap()]
                .into_iter()
                .filter(|_| !online),
        );
    let parsed = Netral::try_parse_from(argv)?;
    let mut out = Vec::new();
    run(parsed.audit, &mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn an_altered_leaf_fails_offline_verification_and_the_self_check_raises_an_alert() {
    let app = spawn_app().await;
    let case = app
        .register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    app.act("bawaslu-kotabaru", Step::Forward, &case)
        .await
        .unwrap();
    app.audit_keeper().checkpoint_now().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.bin");
    let first = first.to_str().unwrap();
    netral(&app, &["export", "--out", first]).await.unwrap();
    let verified = netral(&app, &["verify", first]).await.unwrap();
    assert!(verified.contains("verified"), "{verified}");
    let history = netral(&app, &["history", &case.name, "--json"])
        .await
        .unwrap();
    let actions: Vec<String> = history
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["action"].to_string())
        .collect();
    assert_eq!(actions, ["\"REGISTER\"", "\"FORWARD\""]);
    // Event 0 is the start's directory sync, 1 the registration, 2 the forwarding.
    let proved = netral(&app, &["prove", "2"]).await.unwrap();
    assert!(
        proved.contains("FORWARD") && proved.contains("included"),
        "{proved}"
    );

    // Someone rewrites the registration's leaf (sequence 1) in the database.
    netral_tests::alter_audit_leaf(&app, 1).await;

    let second = dir.path().join("second.bin");
    let second = second.to_str().unwrap();
    netral(&app, &["export", "--out", second]).await.unwrap();
    let refused = netral(&app, &["verify", second]).await.unwrap_err();
    assert!(format!("{refused:#}").contains("root"), "{refused:#}");
    let refused = netral(&app, &["prove", "1"]).await.unwrap_err();
    assert!(
        !format!("{refused:#}").is_empty(),
        "the altered leaf cannot be proved"
    );
    let kept = format!("{first}.checkpoint");
    let refused = netral(&app, &["verify", second, "--trusted-checkpoint", &kept])
        .await
        .unwrap_err();
    assert!(!format!("{refused:#}").is_empty());

    let findings = app.audit_keeper().self_check().await.unwrap();
    assert!(
        !findings.is_empty(),
        "the self-check must see the altered leaf"
    );
    app.audit_keeper().catch_up().await.unwrap();
    let alerts = app
        .audit_client("bpk")
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            filter: "outcome = \"ALERT\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].action, "SELF_CHECK");
    assert!(
        alerts[0].reason.contains("sequence 1"),
        "{}",
        alerts[0].reason
    );
}

#[tokio::test]
async fn the_hourly_check_reverifies_what_the_log_gained_since_the_last_one() {
    let app = spawn_app().await;
    let keeper = app.audit_keeper();
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let first = keeper.checkpoint_now().await.unwrap().tree_size;
    assert!(keeper.self_check_newest().await.unwrap().is_empty());

    // More events and a checkpoint; then one of the new leaves is rewritten.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
    let second = keeper.checkpoint_now().await.unwrap().tree_size;
    assert!(second > first);
    let db = Database::connect(app.database_url.as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let update = match backend {
        DbBackend::Postgres => "UPDATE audit_events SET leaf = $1 WHERE sequence = $2",
        _ => "UPDATE audit_events SET leaf = ? WHERE sequence = ?",
    };
    let forged = netral_audit::leaf::encode(&pb::AuditLeaf {
        action: "REGISTER".into(),
        ..Default::default()
    });
    db.execute(Statement::from_sql_and_values(
        backend,
        update,
        [forged.into(), (first as i64).into()],
    ))
    .await
    .unwrap();
    let findings = keeper.self_check_newest().await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.to_string().contains(&format!("sequence {first}"))),
        "{findings:?}"
    );
}
