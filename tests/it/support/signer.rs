//! Signs requests the way Slack does, independently of the service's code:
//! `v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body))`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body.as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A form POST of `body` to `url`, signed now with the test signing secret,
/// as Slack sends commands and interactions.
pub fn signed_form(client: &reqwest::Client, url: &str, body: String) -> reqwest::RequestBuilder {
    let ts = now();
    let signature = sign(super::app::SIGNING_SECRET, ts, &body);
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .body(body)
}
