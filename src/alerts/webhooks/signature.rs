//! Sentry's webhook signature: `Sentry-Hook-Signature` is the hex
//! HMAC-SHA256 of the raw body, keyed with the integration's client secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `signature` (hex) signs `body` with `secret`. Constant time in
/// the comparison; a malformed header is simply not a match.
pub(crate) fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_matches_only_its_body_and_secret() {
        let body = br#"{"action":"created"}"#;
        let signature = sign("s3cret", body);
        assert_eq!(signature.len(), 64);
        assert!(verify("s3cret", body, &signature));
        assert!(verify("s3cret", body, &signature.to_uppercase()));
        assert!(!verify("other", body, &signature));
        assert!(!verify("s3cret", br#"{"action":"resolved"}"#, &signature));
        assert!(!verify("s3cret", body, "not hex"));
        assert!(!verify("s3cret", body, ""));
        assert!(!verify("s3cret", body, &signature[..62]));
    }
}
