//! An audit event's leaf: the deterministic protobuf encoding of `netral.v1.AuditLeaf`.
//! prost writes fields in field-number order and omits defaults, which is the encoding any
//! protobuf library's deterministic mode produces for a message without maps or unknown
//! fields; a leaf that does not re-encode to its own bytes is refused.

use netral_proto::v1::AuditLeaf;
use prost::Message;

/// Why stored or exported bytes are not a leaf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    /// The bytes are not an `AuditLeaf`.
    #[error("not an AuditLeaf encoding")]
    Undecodable,
    /// The bytes decode, but are not the deterministic encoding of what they hold
    /// (reordered or duplicated fields, explicit defaults, unknown fields).
    #[error("not the deterministic encoding of the AuditLeaf it holds")]
    NotCanonical,
}

/// The leaf bytes of an event.
pub fn encode(leaf: &AuditLeaf) -> Vec<u8> {
    leaf.encode_to_vec()
}

/// The event a leaf holds, if the bytes are exactly its deterministic encoding.
pub fn decode(bytes: &[u8]) -> Result<AuditLeaf, LeafError> {
    let leaf = AuditLeaf::decode(bytes).map_err(|_| LeafError::Undecodable)?;
    if leaf.encoded_len() != bytes.len() || leaf.encode_to_vec() != bytes {
        return Err(LeafError::NotCanonical);
    }
    Ok(leaf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_round_trips_and_a_reordered_encoding_is_refused() {
        let leaf = AuditLeaf {
            action: "FORWARD".into(),
            outcome: 1,
            actor: "agencies/bawaslu-kalsel".into(),
            ..Default::default()
        };
        let bytes = encode(&leaf);
        assert_eq!(decode(&bytes).unwrap(), leaf);
        // The same fields with `actor` (5) written before `action` (1).
        let actor = AuditLeaf {
            actor: leaf.actor.clone(),
            ..Default::default()
        };
        let rest = AuditLeaf {
            actor: String::new(),
            ..leaf.clone()
        };
        let mut swapped = encode(&actor);
        swapped.extend(encode(&rest));
        assert_eq!(AuditLeaf::decode(&swapped[..]).unwrap(), leaf);
        assert_eq!(decode(&swapped), Err(LeafError::NotCanonical));
        assert_eq!(decode(&[0xff, 0xff]), Err(LeafError::Undecodable));
    }
}
