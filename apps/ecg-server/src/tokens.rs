//! Random identifiers and secrets, hex, and HMAC-SHA256 signing of pre-signed URLs.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is not recoverable in any meaningful way; fall back to
    // a hash of the time and the address of the buffer so the server keeps running, but
    // log it loudly.
    if let Err(e) = getrandom::fill(&mut buf) {
        tracing::error!("OS random source failed: {e}");
        let mut h = Sha256::new();
        h.update(crate::timestamps::now_ms().to_le_bytes());
        h.update((buf.as_ptr() as usize).to_le_bytes());
        let d = h.finalize();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = d[i % d.len()];
        }
    }
    buf
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Decodes hex (either case); `None` when malformed.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A new identifier: `prefix` + 128 random bits in hex.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex(&random_bytes(16)))
}

/// SHA-256 in lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signature of a pre-signed upload URL: HMAC-SHA256 over method, path and expiry.
pub fn presign(secret: &[u8], method: &str, path: &str, expires_unix: i64) -> String {
    hex(&hmac_sha256(
        secret,
        format!("{method}\n{path}\n{expires_unix}").as_bytes(),
    ))
}

/// Checks a pre-signed URL's signature (constant time).
pub fn verify_presigned(
    secret: &[u8],
    method: &str,
    path: &str,
    expires_unix: i64,
    signature: &str,
) -> bool {
    constant_time_eq(
        presign(secret, method, path, expires_unix).as_bytes(),
        signature.to_ascii_lowercase().as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_ids() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        let a = new_id("tsk");
        assert_eq!(a.len(), 4 + 32);
        assert_ne!(a, new_id("tsk"));
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn presigned_urls_verify_only_unchanged() {
        let s = presign(b"k", "PUT", "/a", 100);
        assert!(verify_presigned(b"k", "PUT", "/a", 100, &s));
        assert!(!verify_presigned(b"k", "PUT", "/a", 101, &s));
        assert!(!verify_presigned(b"k", "PUT", "/b", 100, &s));
        assert!(!verify_presigned(b"x", "PUT", "/a", 100, &s));
    }
}
