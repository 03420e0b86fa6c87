//! The server's posture on a real listener: what it writes is its user's alone, a connection
//! that never finishes its TLS handshake is closed after `limits.tls_handshake_timeout_ms`, no
//! more than `limits.max_connections` are served at once, and a private key in its data
//! directory that others could read stops it from starting.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use netral_proto::v1 as pb;
use netral_proto::v1::case_service_client::CaseServiceClient;
use netral_server::clock::Clock;
use netral_server::settings::Settings;
use netral_server::startup::Application;
use netral_tests::fixtures;
use netral_tests::{PATIENCE, TestApp, eventually, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Every folder and file under `root` with its permission bits, folders first.
fn modes_under(root: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        found.push((folder.clone(), mode(&folder)));
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push((path.clone(), mode(&path)));
            }
        }
    }
    found
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Reads from `stream` until the server closes it (end of file or a reset), failing the test
/// if it is still open after [`PATIENCE`]; returns when that was.
async fn closed_by_the_server(stream: &mut TcpStream) -> Instant {
    let give_up = Instant::now() + PATIENCE;
    let mut buffer = [0u8; 1024];
    loop {
        let read = tokio::time::timeout_at(give_up, stream.read(&mut buffer))
            .await
            .expect("the server kept the connection open");
        match read {
            Ok(0) | Err(_) => return Instant::now(),
            // A TLS alert or the like: keep reading until the close.
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn everything_the_server_creates_is_its_users_alone() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("netral-data");
    let app = spawn_app_with(|s| s.data_dir = data_dir.clone()).await;
    // A step, so that SQLite has written its write-ahead log.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();

    let found = modes_under(&data_dir);
    let names: Vec<String> = found
        .iter()
        .map(|(path, _)| path.strip_prefix(&data_dir).unwrap().display().to_string())
        .collect();
    for expected in [
        "pki",
        "pki/agencies",
        "pki/ca.key",
        "pki/server.key",
        "audit",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for expected in ["audit/audit-log.key", "audit/subject.key"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    if app.database_url.starts_with("sqlite:") {
        for expected in ["netral.db", "netral.db-wal", "netral.db-shm"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
    }
    let open: Vec<String> = found
        .iter()
        .filter(|(path, mode)| *mode != if path.is_dir() { 0o700 } else { 0o600 })
        .map(|(path, mode)| format!("{} {mode:o}", path.display()))
        .collect();
    assert!(open.is_empty(), "not the owner's alone: {open:?}");
}

#[tokio::test]
async fn a_connection_that_never_completes_its_tls_handshake_is_closed() {
    let app = spawn_app_with(|s| s.limits.tls_handshake_timeout_ms = 300).await;

    // One connects and says nothing; another starts a ClientHello and stops half-way.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let silent_since = Instant::now();
    let mut half_open = TcpStream::connect(app.addr).await.unwrap();
    half_open
        .write_all(&[0x16, 0x03, 0x01, 0x02])
        .await
        .unwrap();
    let half_open_since = Instant::now();
    for (stream, since) in [
        (&mut silent, silent_since),
        (&mut half_open, half_open_since),
    ] {
        let after = closed_by_the_server(stream).await - since;
        // The server's clock started at its accept, a little before ours.
        assert!(
            after >= Duration::from_millis(200),
            "closed after {after:?}: well before the handshake timeout, so not by it"
        );
    }

    // Agencies that complete their handshake are served as before.
    app.register("bawaslu-kotabaru", fixtures::kotabaru_social_media_like())
        .await
        .unwrap();
}

/// Whether a new connection as `agency` is served now (a handshake and one call).
async fn served(app: &TestApp, agency: &str) -> bool {
    let Ok(channel) = app.try_connect(app.tls_for(agency)).await else {
        return false;
    };
    CaseServiceClient::new(channel)
        .list_cases(pb::ListCasesRequest::default())
        .await
        .is_ok()
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_until_one_ends() {
    let app = spawn_app_with(|s| s.limits.max_connections = 1).await;
    let first = app
        .try_connect(app.tls_for("bawaslu-kotabaru"))
        .await
        .unwrap();
    let mut kotabaru = CaseServiceClient::new(first);
    kotabaru
        .register_case(fixtures::kotabaru_social_media_like())
        .await
        .unwrap();

    // The one slot is taken: a second connection is closed at once, before any handshake.
    let mut second = TcpStream::connect(app.addr).await.unwrap();
    let since = Instant::now();
    let after = closed_by_the_server(&mut second).await - since;
    // Far sooner than the handshake timeout (10 s): refused, not timed out.
    assert!(
        after < Duration::from_secs(5),
        "closed only after {after:?}"
    );
    assert!(!served(&app, "bkn").await, "a second agency was served");
    kotabaru
        .list_cases(pb::ListCasesRequest::default())
        .await
        .expect("the connection holding the slot is still served");

    // Once the first connection ends, its slot serves the next.
    drop(kotabaru);
    eventually(PATIENCE, || served(&app, "bkn")).await;
}

#[tokio::test]
async fn a_dev_ca_key_others_can_read_stops_the_server_from_starting() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.pki_dir.join("ca.key");
    let data_dir = app.pki_dir.parent().unwrap().to_owned();
    let mut settings = Settings::for_test();
    settings.data_dir = data_dir;
    settings.database.url = Some(app.database_url.clone());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();

    let clock = Clock::manual(netral_tests::default_now());
    let started = Application::build_with_clock(settings, clock).await;
    let err = match started {
        Ok(_) => panic!("the server started with a CA key readable by others"),
        Err(err) => err.to_string(),
    };
    assert!(err.contains(&key.display().to_string()), "{err}");
    assert!(
        err.contains("readable by its group, readable by others"),
        "{err}"
    );
}
