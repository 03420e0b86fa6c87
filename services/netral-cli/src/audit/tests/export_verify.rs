//! Exports: written through a partial file, verified offline, refused when tampered with.

use netral_audit::LogSigner;
use netral_proto::v1::ExportAuditLogResponse;
use netral_proto::v1::ExportedLeaf;
use netral_proto::v1::export_audit_log_response::Item;

use super::{Log, ORIGIN, leaf};
use crate::audit::export::{ExportWriter, with_suffix};
use crate::audit::verify::{self, VerifyArgs, verify_file};
use crate::connect::PkiDir;

#[test]
fn a_built_export_verifies_and_reports_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(10, "", None);
    let file = dir.path().join("log.bin");
    log.write_export(&file, &log.items(10));
    let verified = verify_file(&file, &log.verifier, None).unwrap();
    assert_eq!(verified.report.checkpoint.tree_size, 10);
    assert_eq!(verified.report.checkpoint.root, log.root(10));
    assert_eq!(
        verified.report.leaf_bytes,
        log.leaves.iter().map(|l| l.len() as u64).sum::<u64>()
    );
    let mut out = Vec::new();
    verify::print(&verified, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("verified: 10 events of log netral.test/audit"),
        "{out}"
    );
    assert!(out.contains(&hex::encode(log.root(10))), "{out}");
    assert!(out.contains("MB/s"), "{out}");
}

#[test]
fn a_tampered_export_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(10, "", None);
    let file = dir.path().join("log.bin");

    // One event replaced by another well-formed one: the root no longer matches.
    let mut items = log.items(10);
    let forged = netral_audit::leaf::encode(&leaf(3, "forged"));
    items[3] = ExportAuditLogResponse {
        item: Some(Item::Leaf(ExportedLeaf {
            sequence: 3,
            leaf: forged,
        })),
    };
    log.write_export(&file, &items);
    let err = verify_file(&file, &log.verifier, None).unwrap_err();
    assert!(format!("{err:#}").contains("does NOT verify"), "{err:#}");

    // An event removed, with the signed checkpoint kept.
    let mut items = log.items(10);
    items.remove(9);
    log.write_export(&file, &items);
    assert!(verify_file(&file, &log.verifier, None).is_err());

    // Any flipped bit in the file.
    log.write_export(&file, &log.items(10));
    let pristine = std::fs::read(&file).unwrap();
    for at in [
        0,
        pristine.len() / 3,
        pristine.len() / 2,
        pristine.len() - 10,
    ] {
        let mut bytes = pristine.clone();
        bytes[at] ^= 0x01;
        std::fs::write(&file, &bytes).unwrap();
        assert!(
            verify_file(&file, &log.verifier, None).is_err(),
            "flip at {at} verified"
        );
    }

    // The right file, the wrong key.
    std::fs::write(&file, &pristine).unwrap();
    let (_, other_key) = LogSigner::generate(ORIGIN);
    assert!(verify_file(&file, &other_key, None).is_err());
    assert!(verify_file(&file, &log.verifier, None).is_ok());
}

#[test]
fn an_export_is_checked_against_a_trusted_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let keys = LogSigner::generate(ORIGIN);
    let log = Log::new(10, "", Some(keys.clone()));
    let file = dir.path().join("log.bin");
    log.write_export(&file, &log.items(10));

    let kept = log.checkpoint(4).note;
    let verified = verify_file(&file, &log.verifier, Some(&kept)).unwrap();
    assert_eq!(verified.report.extends_trusted, Some(4));

    // A checkpoint of another history under the same key: the log was rewritten.
    let rewritten = Log::new(10, "other", Some(keys));
    let foreign = rewritten.checkpoint(4).note;
    assert!(verify_file(&file, &log.verifier, Some(&foreign)).is_err());
    // A kept checkpoint larger than the export.
    let larger = Log::new(12, "", None);
    assert!(verify_file(&file, &log.verifier, Some(&larger.checkpoint(12).note)).is_err());
}

#[test]
fn the_verify_command_reads_the_key_from_the_pki_directory() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(5, "", None);
    let file = dir.path().join("log.bin");
    log.write_export(&file, &log.items(5));
    std::fs::write(
        dir.path().join("audit-log.pub"),
        format!("{}\n", log.verifier),
    )
    .unwrap();
    let kept = dir.path().join("kept.checkpoint");
    std::fs::write(&kept, log.checkpoint(2).note).unwrap();
    let args = VerifyArgs {
        file: file.clone(),
        key: None,
        trusted_checkpoint: Some(kept),
        pki: PkiDir {
            pki: dir.path().to_owned(),
        },
    };
    let mut out = Vec::new();
    verify::run(&args, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("extends the trusted checkpoint of 2 events"),
        "{out}"
    );

    let missing = VerifyArgs {
        file,
        key: Some(dir.path().join("nowhere.pub")),
        trusted_checkpoint: None,
        pki: PkiDir {
            pki: dir.path().to_owned(),
        },
    };
    let err = verify::run(&missing, &mut Vec::new()).unwrap_err();
    assert!(format!("{err:#}").contains("nowhere.pub"), "{err:#}");
}

#[test]
fn an_export_is_written_through_a_partial_file_with_its_checkpoint_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(7, "", None);
    let file = dir.path().join("log.bin");
    let mut writer = ExportWriter::create(&file).unwrap();
    for item in log.items(7) {
        writer.push(&item).unwrap();
    }
    assert!(with_suffix(&file, ".partial").exists());
    let exported = writer.finish().unwrap();
    assert_eq!(exported.leaves, 7);
    assert!(!with_suffix(&file, ".partial").exists());
    let note = std::fs::read_to_string(&exported.checkpoint_file).unwrap();
    assert_eq!(
        exported.checkpoint_file,
        dir.path().join("log.bin.checkpoint")
    );
    assert_eq!(note, log.checkpoint(7).note);
    let verified = verify_file(&file, &log.verifier, Some(&note)).unwrap();
    assert_eq!(verified.report.extends_trusted, Some(7));
}

#[test]
fn an_incomplete_or_disordered_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::new(6, "", None);
    let file = dir.path().join("log.bin");
    let items = log.items(6);

    // The stream ends before the checkpoint.
    let mut writer = ExportWriter::create(&file).unwrap();
    for item in &items[..6] {
        writer.push(item).unwrap();
    }
    assert!(writer.finish().is_err());
    assert!(!file.exists() && !with_suffix(&file, ".partial").exists());

    // A gap in the sequence.
    let mut writer = ExportWriter::create(&file).unwrap();
    writer.push(&items[0]).unwrap();
    assert!(writer.push(&items[2]).is_err());
    drop(writer);
    assert!(!with_suffix(&file, ".partial").exists());

    // A checkpoint that covers more than was sent, and anything after the checkpoint.
    let mut writer = ExportWriter::create(&file).unwrap();
    writer.push(&items[0]).unwrap();
    writer.push(&items[6]).unwrap();
    assert!(writer.push(&items[1]).is_err());
    assert!(writer.finish().is_err());
    assert!(!file.exists() && !with_suffix(&file, ".partial").exists());
}
