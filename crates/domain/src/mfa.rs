//! Multi-factor authentication: time-based one-time passwords (TOTP, RFC 6238 over HOTP, RFC 4226)
//! and single-use recovery codes.
//!
//! The parameters are the ones every authenticator app assumes: HMAC-SHA-1, 6 digits, 30-second
//! steps. A code is accepted for the current step and one step either side (clock drift), and only
//! for a step later than the last one the user signed in with, so a code seen over a shoulder or
//! in a log cannot be used a second time.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps either side of the current one that are still accepted (clock drift).
pub const DRIFT_STEPS: i64 = 1;
/// Bytes of a new TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at once.
pub const RECOVERY_CODES: usize = 10;

/// HOTP (RFC 4226): the `digits`-digit code of `counter` under `key`.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length, so this cannot fail; an empty MAC gives code 0.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let word = digest.get(offset..offset + 4).map(|b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]])).unwrap_or(0);
    word % 10u32.pow(digits)
}

/// The TOTP step of a Unix time.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of a step, zero-padded.
pub fn code_for_step(key: &[u8], step: i64) -> String {
    format!("{:0width$}", hotp(key, step.max(0) as u64, DIGITS), width = DIGITS as usize)
}

/// Checks a submitted code at `unix_seconds`. Returns the step it matched, which the caller stores
/// as the last used step; `None` when the code is wrong, malformed, or of a step at or before
/// `last_used_step` (a replay).
pub fn verify_totp(key: &[u8], submitted: &str, unix_seconds: i64, last_used_step: Option<i64>) -> Option<i64> {
    let code: String = submitted.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    let mut matched = None;
    // Every candidate is computed and compared (no early exit on the first match).
    for step in (now - DRIFT_STEPS)..=(now + DRIFT_STEPS) {
        let expected = code_for_step(key, step);
        let same = expected.bytes().zip(code.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same && last_used_step.is_none_or(|last| step > last) && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (how authenticator apps take a secret).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32 (case, spaces and padding ignored). `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let c = c.to_ascii_uppercase() as u8;
        let value = BASE32.iter().position(|&x| x == c)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (from a QR code or pasted).
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let issuer_enc = uri_encode(issuer);
    format!(
        "otpauth://totp/{issuer_enc}:{}?secret={secret_base32}&issuer={issuer_enc}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        uri_encode(account)
    )
}

fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The alphabet of recovery codes: Crockford's base32 (digits and lowercase letters without
/// i, l, o and u), so a code read aloud or from paper is not misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A recovery code from 10 random bytes: `xxxxx-xxxxx` (50 bits of the bytes, in the code alphabet).
pub fn recovery_code_from_bytes(bytes: &[u8; 10]) -> String {
    let mut code = String::with_capacity(11);
    for (i, b) in bytes.iter().enumerate() {
        if i == 5 {
            code.push('-');
        }
        code.push(char::from(RECOVERY_ALPHABET[usize::from(b & 31)]));
    }
    code
}

/// A recovery code as typed, reduced to its characters (case, spaces and hyphens ignored; the
/// look-alikes o, i and l read as 0, 1 and 1).
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

/// Whether a typed string looks like a recovery code rather than a 6-digit code.
pub fn looks_like_recovery_code(typed: &str) -> bool {
    let n = normalize_recovery_code(typed);
    n.len() == 10 && n.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
}

/// What is stored of a recovery code: SHA-256 of the user's id and the normalized code (the codes
/// are random, 50 bits each, so a fast hash is enough; the user id keeps equal codes of two users
/// apart).
pub fn recovery_code_hash(user_id: &str, typed: &str) -> String {
    let mut h = Sha256::new();
    h.update(user_id.as_bytes());
    h.update(b":");
    h.update(normalize_recovery_code(typed).as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed is the 20 ASCII bytes "12345678901234567890", and the
    /// codes are 8 digits long.
    #[test]
    fn rfc_6238_sha1_test_vectors() {
        let key = b"12345678901234567890";
        for (time, expected) in [
            (59_i64, 94287082_u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(key, step_at(time) as u64, 8), expected, "T = {time}");
        }
        // The same steps with 6 digits are the last six digits.
        assert_eq!(code_for_step(key, step_at(59)), "287082");
        assert_eq!(code_for_step(key, step_at(1111111109)), "081804");
    }

    #[test]
    fn rfc_4226_hotp_test_vectors() {
        let key = b"12345678901234567890";
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(key, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_further() {
        let key = b"12345678901234567890";
        let now = 1_234_567_890;
        let step = step_at(now);
        assert_eq!(verify_totp(key, &code_for_step(key, step), now, None), Some(step));
        assert_eq!(verify_totp(key, &code_for_step(key, step - 1), now, None), Some(step - 1));
        assert_eq!(verify_totp(key, &code_for_step(key, step + 1), now, None), Some(step + 1));
        assert_eq!(verify_totp(key, &code_for_step(key, step - 2), now, None), None);
        assert_eq!(verify_totp(key, &code_for_step(key, step + 2), now, None), None);
        // Spaces as apps show them ("287 082") are fine; letters and wrong lengths are not.
        let spaced = format!("{} {}", &code_for_step(key, step)[..3], &code_for_step(key, step)[3..]);
        assert_eq!(verify_totp(key, &spaced, now, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "12345a"] {
            assert_eq!(verify_totp(key, bad, now, None), None, "{bad}");
        }
        assert_eq!(verify_totp(b"another key of twenty", &code_for_step(key, step), now, None), None);
    }

    #[test]
    fn a_used_step_is_never_accepted_again() {
        let key = b"12345678901234567890";
        let now = 2_000_000_000;
        let step = step_at(now);
        let code = code_for_step(key, step);
        let used = verify_totp(key, &code, now, None);
        assert_eq!(used, Some(step));
        // The same code again, in the same step or the next one: refused.
        assert_eq!(verify_totp(key, &code, now, used), None);
        assert_eq!(verify_totp(key, &code, now + 30, used), None);
        // An older code still inside the drift window: refused too.
        assert_eq!(verify_totp(key, &code_for_step(key, step - 1), now, used), None);
        // The next step's code is fine.
        assert_eq!(verify_totp(key, &code_for_step(key, step + 1), now + 30, used), Some(step + 1));
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b""), "");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI======"), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("mzxw 6ytb oi"), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("MZ1W"), None);
        let secret: Vec<u8> = (0u8..20).collect();
        assert_eq!(base32_decode(&base32_encode(&secret)), Some(secret));
    }

    #[test]
    fn the_otpauth_uri_names_the_practice_and_the_user() {
        let uri = otpauth_uri("Riverside Family", "admin", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/Riverside%20Family:admin?secret=JBSWY3DPEHPK3PXP&issuer=Riverside%20Family&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_readable_and_hashed_per_user() {
        let code = recovery_code_from_bytes(&[10, 11, 12, 13, 14, 15, 16, 17, 0, 31]);
        assert_eq!(code, "abcde-fgh0z");
        assert!(looks_like_recovery_code(&code));
        assert!(looks_like_recovery_code(" ABCDE FGHOZ "));
        assert!(!looks_like_recovery_code("123456"));
        assert_eq!(recovery_code_hash("u1", &code), recovery_code_hash("u1", "ABCDEFGHOZ"));
        assert_ne!(recovery_code_hash("u1", &code), recovery_code_hash("u2", &code));
    }
}
