//! The Kubernetes manifests' embedded files are what the server accepts: the settings in the
//! `netral-settings` ConfigMap load (unknown keys would be refused) in production mode with
//! the paths the Deployment mounts and the health port its probes use, and the
//! `netral-directory` ConfigMap's excerpt is a valid directory. `.ci/run` validates the
//! manifests themselves against the Kubernetes schemas.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use netral_domain::Catalogue;
use netral_server::directory::Directory;
use netral_server::posture::Mode;
use netral_server::settings::Settings;

/// `deploy/k8s/base/<file>`.
fn manifest(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/k8s/base")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The block scalar `key: |` of a ConfigMap's `data`, unindented, written to a file.
fn embedded(yaml: &str, key: &str, dir: &Path) -> PathBuf {
    let header = format!("  {key}: |");
    let mut lines = yaml.lines().skip_while(|l| *l != header);
    assert_eq!(
        lines.next(),
        Some(header.as_str()),
        "no {key} in the ConfigMap"
    );
    let body: Vec<&str> = lines
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| l.strip_prefix("    ").unwrap_or(""))
        .collect();
    let path = dir.join(key);
    std::fs::write(&path, body.join("\n")).unwrap();
    path
}

#[test]
fn the_kubernetes_settings_load_in_production_mode_with_the_mounted_paths() {
    let dir = tempfile::tempdir().unwrap();
    let file = embedded(
        &manifest("configmap-settings.yaml"),
        "netral.toml",
        dir.path(),
    );
    let settings = Settings::load(Some(&file)).unwrap();
    settings.validate().unwrap();
    assert_eq!(settings.mode, Mode::Production);
    assert_eq!(settings.listen.port(), 50051);
    assert_eq!(
        settings.health_listen,
        Some("0.0.0.0:8081".parse().unwrap())
    );
    let deployment = manifest("deployment.yaml");
    assert!(deployment.contains("containerPort: 8081"));
    assert!(deployment.contains("mountPath: /etc/netral/tls"));
    assert!(deployment.contains("mountPath: /etc/netral/directory"));
    assert!(deployment.contains("mountPath: /etc/netral/audit"));
    let tls = &settings.tls;
    for path in [&tls.ca_cert, &tls.server_cert, &tls.server_key] {
        assert!(path.as_ref().unwrap().starts_with("/etc/netral/tls"));
    }
    let directory = settings.directory.file.as_ref().unwrap();
    assert_eq!(directory, Path::new("/etc/netral/directory/directory.toml"));
    for key in [
        &settings.audit.signing_key_file,
        &settings.audit.subject_key_file,
    ] {
        assert!(key.as_ref().unwrap().starts_with("/etc/netral/audit"));
    }
}

#[test]
fn the_kubernetes_directory_excerpt_is_a_valid_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = embedded(
        &manifest("configmap-directory.yaml"),
        "directory.toml",
        dir.path(),
    );
    let directory = Directory::load(&file).unwrap();
    directory
        .check_regions(&Catalogue::bundled().unwrap().regions)
        .unwrap();
    assert!(directory.ids().any(|id| id.as_str() == "bkn"));
}
