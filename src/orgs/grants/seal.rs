//! Grant secrets at rest. With `GRANT_ENCRYPTION_KEY` set they are sealed
//! with XChaCha20-Poly1305 (random nonce per value); without it they are
//! stored as they are, marked so a key can be added later.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::config::Secret;

const SEALED: &str = "sealed:v1:";
const PLAIN: &str = "plain:";

/// Why a stored secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A sealed value and no key to open it.
    #[error("a stored grant secret is encrypted: set GRANT_ENCRYPTION_KEY to the key it was stored with")]
    KeyMissing,
    /// Wrong key or damaged value.
    #[error("a stored grant secret cannot be decrypted: GRANT_ENCRYPTION_KEY differs from the key it was stored with")]
    Undecryptable,
    /// Not a value this module wrote.
    #[error("a stored grant secret has an unknown format")]
    Format,
}

/// Seals and opens grant secrets.
#[derive(Clone)]
pub struct Sealer {
    cipher: Option<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("encrypting", &self.cipher.is_some())
            .finish()
    }
}

impl Sealer {
    /// A sealer for the base64 key, or a pass-through without one.
    /// The key was validated with the configuration.
    pub fn new(key_b64: Option<&Secret>) -> Self {
        let cipher = key_b64
            .and_then(|k| B64.decode(k.expose()).ok())
            .filter(|bytes| bytes.len() == 32)
            .map(|bytes| XChaCha20Poly1305::new(Key::from_slice(&bytes)));
        Self { cipher }
    }

    /// Whether secrets are encrypted at rest (`GRANT_ENCRYPTION_KEY` is set).
    pub fn encrypts(&self) -> bool {
        self.cipher.is_some()
    }

    /// The stored form of `secret`.
    pub fn seal(&self, secret: &Secret) -> String {
        let Some(cipher) = &self.cipher else {
            return format!("{PLAIN}{}", secret.expose());
        };
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        match cipher.encrypt(XNonce::from_slice(&nonce), secret.expose().as_bytes()) {
            Ok(ciphertext) => {
                let mut packed = nonce.to_vec();
                packed.extend(ciphertext);
                format!("{SEALED}{}", B64.encode(packed))
            }
            // Encryption of an in-memory buffer cannot fail; never store in the clear by accident.
            Err(_) => format!("{SEALED}invalid"),
        }
    }

    /// The secret from its stored form.
    pub fn open(&self, stored: &str) -> Result<Secret, SealError> {
        if let Some(plain) = stored.strip_prefix(PLAIN) {
            return Ok(Secret::new(plain));
        }
        let sealed = stored.strip_prefix(SEALED).ok_or(SealError::Format)?;
        let cipher = self.cipher.as_ref().ok_or(SealError::KeyMissing)?;
        let packed = B64.decode(sealed).map_err(|_| SealError::Undecryptable)?;
        if packed.len() < 24 {
            return Err(SealError::Undecryptable);
        }
        let (nonce, ciphertext) = packed.split_at(24);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError::Undecryptable)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| SealError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Secret {
        Secret::new(B64.encode([byte; 32]))
    }

    #[test]
    fn sealed_secrets_round_trip_and_hide_the_value() {
        let sealer = Sealer::new(Some(&key(7)));
        let stored = sealer.seal(&Secret::new("gs_super_secret"));
        assert!(stored.starts_with("sealed:v1:"));
        assert!(!stored.contains("gs_super_secret"));
        assert_ne!(
            stored,
            sealer.seal(&Secret::new("gs_super_secret")),
            "fresh nonce each time"
        );
        assert_eq!(sealer.open(&stored).unwrap().expose(), "gs_super_secret");
    }

    #[test]
    fn wrong_or_missing_keys_are_reported() {
        let stored = Sealer::new(Some(&key(7))).seal(&Secret::new("s"));
        assert!(matches!(
            Sealer::new(Some(&key(8))).open(&stored),
            Err(SealError::Undecryptable)
        ));
        assert!(matches!(
            Sealer::new(None).open(&stored),
            Err(SealError::KeyMissing)
        ));
        assert!(matches!(
            Sealer::new(None).open("what"),
            Err(SealError::Format)
        ));
    }

    #[test]
    fn without_a_key_values_are_marked_plain_and_still_readable_after_adding_one() {
        let stored = Sealer::new(None).seal(&Secret::new("s"));
        assert_eq!(stored, "plain:s");
        assert_eq!(
            Sealer::new(Some(&key(1))).open(&stored).unwrap().expose(),
            "s"
        );
    }
}
