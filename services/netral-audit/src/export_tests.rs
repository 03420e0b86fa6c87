//! The offline verifier against a genuine export and against edited ones.

use netral_proto::v1::{AuditLeaf, Checkpoint, ExportedLeaf};

use super::*;
use crate::checkpoint::LogSigner;

const ORIGIN: &str = "netral.test/audit";

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            crate::leaf::encode(&AuditLeaf {
                action: "FORWARD".into(),
                outcome: 1,
                actor: format!("agencies/a{i}"),
                request_id: format!("{i:08}"),
                ..Default::default()
            })
        })
        .collect()
}

fn checkpoint_of(signer: &LogSigner, leaves: &[Vec<u8>]) -> Checkpoint {
    let mut range = CompactRange::new();
    for leaf in leaves {
        range.push(leaf_hash(leaf), |_, _| {});
    }
    let signed = signer.sign(range.size(), range.root()).unwrap();
    Checkpoint {
        tree_size: range.size() as i64,
        root_hash: hex::encode(signed.body.root),
        note: signed.note,
        ..Default::default()
    }
}

fn export(leaves: &[Vec<u8>], checkpoint: Checkpoint) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        let item = ExportAuditLogResponse {
            item: Some(Item::Leaf(ExportedLeaf {
                sequence: i as i64,
                leaf: leaf.clone(),
            })),
        };
        write_item(&mut out, &item).unwrap();
    }
    let item = ExportAuditLogResponse {
        item: Some(Item::Checkpoint(checkpoint)),
    };
    write_item(&mut out, &item).unwrap();
    out
}

fn keys() -> (LogSigner, String) {
    let (skey, vkey) = LogSigner::generate(ORIGIN);
    (LogSigner::new(&skey).unwrap(), vkey)
}

#[test]
fn a_genuine_export_verifies_and_extends_an_earlier_checkpoint() {
    let (signer, vkey) = keys();
    let all = leaves(21);
    let earlier = checkpoint_of(&signer, &all[..13]);
    let file = export(&all, checkpoint_of(&signer, &all));
    let report = verify(&mut &file[..], &vkey, Some(&earlier.note)).unwrap();
    assert_eq!(report.checkpoint.tree_size, 21);
    assert_eq!(report.extends_trusted, Some(13));
}

#[test]
fn edited_exports_are_refused() {
    let (signer, vkey) = keys();
    let all = leaves(9);
    let good = checkpoint_of(&signer, &all);

    let mut changed = all.clone();
    changed[4] = crate::leaf::encode(&AuditLeaf {
        action: "DISMISS".into(),
        ..crate::leaf::decode(&all[4]).unwrap()
    });
    assert!(matches!(
        verify(&mut &export(&changed, good.clone())[..], &vkey, None),
        Err(VerifyError::Root)
    ));

    let mut swapped = all.clone();
    swapped.swap(2, 3);
    assert!(verify(&mut &export(&swapped, good.clone())[..], &vkey, None).is_err());

    assert!(matches!(
        verify(&mut &export(&all[..8], good.clone())[..], &vkey, None),
        Err(VerifyError::Size { .. })
    ));

    // The whole log rewritten and re-signed by someone else's key.
    let (forger, _) = keys();
    let forged = checkpoint_of(&forger, &changed);
    assert!(matches!(
        verify(&mut &export(&changed, forged)[..], &vkey, None),
        Err(VerifyError::Signature(_))
    ));

    // A plain field that disagrees with the signed note.
    let mut lying = good.clone();
    lying.tree_size = 8;
    assert!(matches!(
        verify(&mut &export(&all, lying)[..], &vkey, None),
        Err(VerifyError::Fields)
    ));

    // Cut anywhere: the end of the file is never taken for the end of the log.
    let file = export(&all, good);
    for cut in [1, file.len() / 2, file.len() - 1] {
        assert!(
            verify(&mut &file[..cut], &vkey, None).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_log_rewritten_under_a_kept_checkpoint_is_detected() {
    let (signer, vkey) = keys();
    let all = leaves(12);
    let kept = checkpoint_of(&signer, &all[..7]);
    // The operator rewrites event 3 and signs a fresh, internally consistent checkpoint.
    let mut rewritten = all.clone();
    rewritten[3] = leaves(40)[39].clone();
    let file = export(&rewritten, checkpoint_of(&signer, &rewritten));
    assert!(verify(&mut &file[..], &vkey, None).is_ok());
    assert!(matches!(
        verify(&mut &file[..], &vkey, Some(&kept.note)),
        Err(VerifyError::TrustedMismatch { trusted: 7 })
    ));
    let larger = checkpoint_of(&signer, &leaves(13));
    assert!(matches!(
        verify(
            &mut &export(&all, checkpoint_of(&signer, &all))[..],
            &vkey,
            Some(&larger.note)
        ),
        Err(VerifyError::TrustedLarger { .. })
    ));
}
