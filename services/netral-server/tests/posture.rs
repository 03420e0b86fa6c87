//! The real `netral-server` binary refuses a posture that cannot be served safely before it
//! creates or opens anything: production mode without its database, certificates, directory
//! and audit keys, and dev mode on a non-loopback address. Each time: a failing exit status
//! and exactly one line on stderr naming what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to refuse.
const PATIENCE: Duration = Duration::from_secs(30);

/// The repository root, where `deploy/config/base.toml` is found as in a real start.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the server with `args` from the repository root, with no `DATABASE_URL`, no
/// `NETRAL__*` and nothing else from this environment, and waits (at most [`PATIENCE`]) for it
/// to exit.
fn run_server(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netral-server"))
        .args(args)
        .current_dir(repo_root())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start netral-server");
    let give_up = Instant::now() + PATIENCE;
    loop {
        if child
            .try_wait()
            .expect("cannot wait for netral-server")
            .is_some()
        {
            return child.wait_with_output().expect("cannot read its output");
        }
        if Instant::now() >= give_up {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netral-server was still running after {PATIENCE:?}: it did not refuse");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lines the server wrote to stderr.
fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn production_without_database_certificates_directory_or_keys_names_them_all_on_one_line() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let output = run_server(&[
        "--config",
        "deploy/config/production.toml",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "exactly one line: {lines:#?}");
    let line = &lines[0];

    // The files production.toml names, absent on a machine that is not a deployment.
    let files = [
        ("tls.ca_cert", "/etc/netral/tls/ca.pem"),
        ("tls.server_cert", "/etc/netral/tls/server.pem"),
        ("tls.server_key", "/etc/netral/tls/server.key"),
        ("directory.file", "/etc/netral/directory.toml"),
        ("audit.signing_key_file", "/etc/netral/audit/audit-log.key"),
        ("audit.subject_key_file", "/etc/netral/audit/subject.key"),
    ];
    let mut expected =
        "netral-server: production mode needs: database.url (or DATABASE_URL) pointing at PostgreSQL"
            .to_owned();
    for (key, path) in files {
        if !Path::new(path).exists() {
            expected.push_str(&format!(", {key} ({path}: not found)"));
        }
    }
    assert_eq!(line, &expected);
    assert!(
        !data_dir.exists(),
        "the refused server created its data directory"
    );
}

#[test]
fn dev_mode_on_a_non_loopback_address_is_refused_on_one_line() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let output = run_server(&[
        "--listen",
        "0.0.0.0:0",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "exactly one line: {lines:#?}");
    let line = &lines[0];
    assert!(line.starts_with("netral-server: "), "{line}");
    for named in [
        "0.0.0.0:0",
        "loopback",
        "mode = \"production\"",
        "allow_non_loopback_dev",
    ] {
        assert!(line.contains(named), "{named} missing from: {line}");
    }
    assert!(
        !data_dir.exists(),
        "the refused server created its data directory"
    );
}
