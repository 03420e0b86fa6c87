//! Signed checkpoints in the C2SP `tlog-checkpoint` format: a signed note (C2SP
//! `signed-note`, Ed25519) whose text is the log's origin, its tree size and its base64
//! root hash. Anyone with the log's public verifier key can check one offline; the key
//! lives in `audit-log.pub` beside the agencies' certificates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, VerifierList};

use crate::tree::Hash;

/// Why a key or a checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The private key text is not a signed-note Ed25519 signer key.
    #[error("the audit log's signing key is malformed")]
    SigningKey,
    /// The public key text is not a signed-note Ed25519 verifier key.
    #[error("the audit log's verifier key is malformed")]
    VerifierKey,
    /// The note is malformed, unsigned by this key, or its signature does not verify.
    #[error("the checkpoint's signature does not verify with the log's key: {0}")]
    Signature(String),
    /// The signed text is not an origin, a tree size and a root hash.
    #[error("the checkpoint's text is not a tlog-checkpoint: {0}")]
    Body(&'static str),
    /// The checkpoint is for another log.
    #[error("the checkpoint is for log {found:?}, not {expected:?}")]
    Origin {
        /// The origin the verifier key names.
        expected: String,
        /// The origin the checkpoint names.
        found: String,
    },
}

/// What a checkpoint states: this log, at this size, has this root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    /// The log's origin line (also the signing key's name).
    pub origin: String,
    /// The number of leaves covered.
    pub tree_size: u64,
    /// The Merkle tree hash of those leaves.
    pub root: Hash,
}

impl CheckpointBody {
    /// The note text that is signed.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.tree_size,
            BASE64.encode(self.root)
        )
    }

    fn parse(text: &[u8]) -> Result<Self, CheckpointError> {
        let text = std::str::from_utf8(text).map_err(|_| CheckpointError::Body("not UTF-8"))?;
        let mut lines = text.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty());
        let size = lines.next().and_then(|s| s.parse::<u64>().ok());
        let root = lines
            .next()
            .and_then(|r| BASE64.decode(r).ok())
            .and_then(|r| Hash::try_from(r).ok());
        match (origin, size, root) {
            (Some(origin), Some(tree_size), Some(root)) => Ok(Self {
                origin: origin.to_owned(),
                tree_size,
                root,
            }),
            _ => Err(CheckpointError::Body(
                "expected an origin, a tree size and a base64 SHA-256 root",
            )),
        }
    }
}

/// A checkpoint with its signature, as served and exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// What it states.
    pub body: CheckpointBody,
    /// The whole signed note (text, blank line, signature line).
    pub note: String,
    /// The raw Ed25519 signature over the text, for the contract's `signature` field.
    pub signature: Vec<u8>,
}

/// The log's signing key: an Ed25519 signed-note key named after the log's origin.
pub struct LogSigner {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// A new random key for the log `origin` (which must be a valid note key name: no
    /// spaces, no `+`): the signer key text (secret) and the verifier key text (public).
    pub fn generate(origin: &str) -> (String, String) {
        signed_note::generate_key(&mut rand_core::OsRng, origin)
    }

    /// The signer from its key text (`PRIVATE+KEY+{origin}+{id}+{key}`).
    pub fn new(signer_key: &str) -> Result<Self, CheckpointError> {
        let signer =
            StandardSigner::new(signer_key.trim()).map_err(|_| CheckpointError::SigningKey)?;
        let seed = signer_key
            .trim()
            .splitn(5, '+')
            .nth(4)
            .and_then(|k| BASE64.decode(k).ok())
            .and_then(|k| <[u8; 32]>::try_from(k.get(1..)?).ok())
            .ok_or(CheckpointError::SigningKey)?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let verifier_key = signed_note::new_ed25519_verifier_key(signer.name(), &public);
        Ok(Self {
            signer,
            verifier_key,
        })
    }

    /// The log's origin, which is also the key's name.
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The public verifier key text (`{origin}+{id}+{key}`).
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The key's id as the contract shows it: `{origin}+{id in hex}`.
    pub fn key_id(&self) -> String {
        format!("{}+{:08x}", self.signer.name(), self.signer.key_id())
    }

    /// Signs a checkpoint of `tree_size` leaves with `root`.
    pub fn sign(&self, tree_size: u64, root: Hash) -> Result<SignedCheckpoint, CheckpointError> {
        let body = CheckpointBody {
            origin: self.origin().to_owned(),
            tree_size,
            root,
        };
        let text = body.text();
        let signature = self
            .signer
            .sign(text.as_bytes())
            .map_err(|e| CheckpointError::Signature(e.to_string()))?;
        let mut note = Note::new(text.as_bytes(), &[])
            .map_err(|e| CheckpointError::Signature(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| CheckpointError::Signature(e.to_string()))?;
        let note = String::from_utf8(note.to_bytes())
            .map_err(|_| CheckpointError::Body("the note is not UTF-8"))?;
        Ok(SignedCheckpoint {
            body,
            note,
            signature,
        })
    }
}

/// Checks a checkpoint note against the log's verifier key and reads what it states.
/// Trusts nothing but the key: a note signed by another key, for another origin, or with
/// a text that is not a checkpoint is refused.
pub fn open(note: &str, verifier_key: &str) -> Result<CheckpointBody, CheckpointError> {
    let verifier =
        StandardVerifier::new(verifier_key.trim()).map_err(|_| CheckpointError::VerifierKey)?;
    let expected = signed_note::Verifier::name(&verifier).to_owned();
    let parsed =
        Note::from_bytes(note.as_bytes()).map_err(|e| CheckpointError::Signature(e.to_string()))?;
    let (verified, _) = parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    if verified.is_empty() {
        return Err(CheckpointError::Signature(
            "no signature by the log's key".into(),
        ));
    }
    let body = CheckpointBody::parse(parsed.text())?;
    if body.origin != expected {
        return Err(CheckpointError::Origin {
            expected,
            found: body.origin,
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_states_what_was_signed() {
        let (skey, vkey) = LogSigner::generate("netral.test/audit");
        let signer = LogSigner::new(&skey).unwrap();
        assert_eq!(signer.verifier_key(), vkey);
        let signed = signer.sign(7, [9; 32]).unwrap();
        assert!(signed.note.starts_with("netral.test/audit\n7\n"));
        assert!(signed.note.contains("\n\n\u{2014} netral.test/audit "));
        let body = open(&signed.note, &vkey).unwrap();
        assert_eq!(body, signed.body);
        assert_eq!(signed.signature.len(), 64);
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_is_refused() {
        let (skey, _) = LogSigner::generate("netral.test/audit");
        let (_, other_vkey) = LogSigner::generate("netral.test/audit");
        let signed = LogSigner::new(&skey).unwrap().sign(3, [1; 32]).unwrap();
        assert!(matches!(
            open(&signed.note, &other_vkey),
            Err(CheckpointError::Signature(_))
        ));
    }

    #[test]
    fn an_altered_checkpoint_is_refused() {
        let (skey, vkey) = LogSigner::generate("netral.test/audit");
        let signed = LogSigner::new(&skey).unwrap().sign(3, [1; 32]).unwrap();
        let forged = signed.note.replacen("\n3\n", "\n4\n", 1);
        assert!(open(&forged, &vkey).is_err());
    }

    #[test]
    fn a_malformed_key_is_refused_not_panicked_on() {
        assert!(matches!(
            LogSigner::new("PRIVATE+KEY+x+00000000+AAAA"),
            Err(CheckpointError::SigningKey)
        ));
        assert!(matches!(
            open("x\n1\nAA==\n", "nonsense"),
            Err(CheckpointError::VerifierKey)
        ));
    }
}
