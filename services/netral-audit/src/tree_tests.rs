//! The tree against the RFC 6962 test vectors of transparency-dev/merkle
//! (`testonly/constants.go` and `proof/verify_test.go`, Apache-2.0: the 8 leaf inputs,
//! the roots of every size 0..=8, and their inclusion and consistency proofs), and against
//! ct-merkle's in-memory tree for every size up to 70.

use std::collections::HashMap;

use ct_merkle::mem_backed_tree::MemoryBackedTree;

use super::*;

fn h(hex: &str) -> Hash {
    hex::decode(hex).unwrap().try_into().unwrap()
}

/// transparency-dev/merkle `testonly.LeafInputs()`.
fn leaf_inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| hex::decode(s).unwrap())
    .collect()
}

/// transparency-dev/merkle `testonly.RootHashes()`, by tree size from 0.
fn roots() -> Vec<Hash> {
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    .iter()
    .map(|s| h(s))
    .collect()
}

/// Builds the log over `leaves` as the sequencer does: the right edge, and every completed
/// subtree stored (leaf hashes at level 0).
fn build(leaves: &[Vec<u8>]) -> (CompactRange, HashMap<Subtree, Hash>) {
    let mut range = CompactRange::new();
    let mut stored = HashMap::new();
    for (i, leaf) in leaves.iter().enumerate() {
        let hash = leaf_hash(leaf);
        stored.insert(
            Subtree {
                level: 0,
                index: i as u64,
            },
            hash,
        );
        range.push(hash, |s, h| {
            stored.insert(s, *h);
        });
    }
    (range, stored)
}

fn prove_inclusion(stored: &HashMap<Subtree, Hash>, seq: u64, size: u64) -> Vec<Hash> {
    ProofPlan::inclusion(seq, size)
        .unwrap()
        .assemble(stored)
        .unwrap()
}

fn prove_consistency(stored: &HashMap<Subtree, Hash>, first: u64, second: u64) -> Vec<Hash> {
    ProofPlan::consistency(first, second)
        .unwrap()
        .assemble(stored)
        .unwrap()
}

#[test]
fn roots_of_every_size_match_the_rfc6962_vectors() {
    let leaves = leaf_inputs();
    assert_eq!(empty_root(), roots()[0]);
    for size in 1..=leaves.len() {
        let (range, _) = build(&leaves[..size]);
        assert_eq!(range.root(), roots()[size], "size {size}");
    }
}

#[test]
fn inclusion_proofs_match_the_rfc6962_vectors() {
    let (_, stored) = build(&leaf_inputs());
    // (leaf index from 0, tree size, proof): verify_test.go's inclusionProofs, whose leaf
    // numbers count from 1.
    let vectors: [(u64, u64, Vec<&str>); 4] = [
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            vec![
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            vec![
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    let leaves = leaf_inputs();
    for (seq, size, proof) in vectors {
        let expected: Vec<Hash> = proof.iter().map(|s| h(s)).collect();
        assert_eq!(
            prove_inclusion(&stored, seq, size),
            expected,
            "{seq}/{size}"
        );
        verify_inclusion(
            &leaves[seq as usize],
            seq,
            size,
            &roots()[size as usize],
            &expected,
        )
        .unwrap();
    }
    assert!(prove_inclusion(&stored, 0, 1).is_empty());
}

#[test]
fn consistency_proofs_match_the_rfc6962_vectors() {
    let (_, stored) = build(&leaf_inputs());
    let vectors: [(u64, u64, Vec<&str>); 4] = [
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    let r = roots();
    for (first, second, proof) in vectors {
        let expected: Vec<Hash> = proof.iter().map(|s| h(s)).collect();
        assert_eq!(prove_consistency(&stored, first, second), expected);
        verify_consistency(
            first,
            &r[first as usize],
            second,
            &r[second as usize],
            &expected,
        )
        .unwrap();
    }
    assert!(prove_consistency(&stored, 1, 1).is_empty());
}

#[test]
fn proofs_from_stored_subtrees_equal_ct_merkles_for_every_size_up_to_70() {
    let leaves: Vec<Vec<u8>> = (0u32..70).map(|i| i.to_be_bytes().to_vec()).collect();
    let (_, stored) = build(&leaves);
    let mut reference = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    let mut reference_roots = Vec::new();
    for (size, leaf) in (1u64..).zip(&leaves) {
        reference.push(leaf.clone());
        let root: Hash = (*reference.root().as_bytes()).into();
        let (range, _) = build(&leaves[..size as usize]);
        assert_eq!(range.root(), root, "root at {size}");
        reference_roots.push(root);
        for seq in 0..size {
            let theirs = reference.prove_inclusion(seq as usize);
            let ours = prove_inclusion(&stored, seq, size);
            assert_eq!(ours.concat(), theirs.as_bytes(), "inclusion {seq}/{size}");
            verify_inclusion(&leaves[seq as usize], seq, size, &root, &ours).unwrap();
        }
    }
    for second in 1..=70u64 {
        for first in 1..=second {
            let proof = prove_consistency(&stored, first, second);
            let first_root = reference_roots[first as usize - 1];
            let second_root = reference_roots[second as usize - 1];
            verify_consistency(first, &first_root, second, &second_root, &proof).unwrap();
        }
    }
}

#[test]
fn forged_proofs_are_refused() {
    let leaves = leaf_inputs();
    let (_, stored) = build(&leaves);
    let r = roots();
    let proof = prove_inclusion(&stored, 5, 8);
    // A wrong sibling.
    let mut wrong = proof.clone();
    wrong[1][0] ^= 8;
    assert_eq!(
        verify_inclusion(&leaves[5], 5, 8, &r[8], &wrong),
        Err(ProofError::Mismatch)
    );
    // The right hashes claimed for another size or position.
    assert!(verify_inclusion(&leaves[5], 5, 7, &r[7], &proof).is_err());
    assert!(verify_inclusion(&leaves[5], 4, 8, &r[8], &proof).is_err());
    // A hash too many or too few.
    let mut longer = proof.clone();
    longer.push(r[8]);
    assert_eq!(
        verify_inclusion(&leaves[5], 5, 8, &r[8], &longer),
        Err(ProofError::Malformed)
    );
    assert_eq!(
        verify_inclusion(&leaves[5], 5, 8, &r[8], &proof[..2]),
        Err(ProofError::Malformed)
    );
    // Another leaf at that position.
    assert!(verify_inclusion(&leaves[4], 5, 8, &r[8], &proof).is_err());

    let consistency = prove_consistency(&stored, 6, 8);
    let mut wrong = consistency.clone();
    wrong[0][0] ^= 16;
    assert!(verify_consistency(6, &r[6], 8, &r[8], &wrong).is_err());
    assert!(verify_consistency(5, &r[5], 8, &r[8], &consistency).is_err());
    assert!(verify_consistency(6, &r[8], 8, &r[6], &consistency).is_err());
    assert!(verify_consistency(8, &r[8], 6, &r[6], &consistency).is_err());
    assert!(verify_consistency(0, &r[0], 8, &r[8], &consistency).is_err());
}

#[test]
fn proof_requests_outside_the_tree_are_errors_not_panics() {
    assert!(ProofPlan::inclusion(0, 0).is_err());
    assert!(ProofPlan::inclusion(8, 8).is_err());
    assert!(ProofPlan::inclusion(0, u64::MAX).is_err());
    assert!(ProofPlan::consistency(0, 8).is_err());
    assert!(ProofPlan::consistency(9, 8).is_err());
    assert!(ProofPlan::consistency(1, u64::MAX).is_err());
}

#[test]
fn the_right_edge_resumes_from_its_stored_tiles() {
    let leaves: Vec<Vec<u8>> = (0u32..37).map(|i| i.to_le_bytes().to_vec()).collect();
    let (full, stored) = build(&leaves);
    for size in 0..=37u64 {
        let tiles: Vec<Hash> = decompose(0, size).iter().map(|s| stored[s]).collect();
        let mut resumed = CompactRange::from_tiles(size, &tiles).unwrap();
        for leaf in &leaves[size as usize..] {
            resumed.push(leaf_hash(leaf), |s, h| assert_eq!(stored[&s], *h));
        }
        assert_eq!(resumed.root(), full.root());
    }
    assert!(CompactRange::from_tiles(3, &[[0; 32]]).is_none());
}
