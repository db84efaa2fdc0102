//! The audit trail's rules: what one record holds and how records are chained.
//!
//! Each record carries the hash of the one before it (per practice), so removing or changing a
//! record breaks every hash after it, and `medoffice audit verify` names the first broken link.
//!
//! Records are sealed with HMAC-SHA256 under the audit key ([`AuditKey`]), a secret kept in a file
//! outside the database (`<data-dir>/audit.key`). Someone who can write to the database but does
//! not hold the key cannot recompute a changed record's seal, so a forgery is caught at the
//! record itself. Records written before the key existed (migration 0043) keep their plain
//! SHA-256 hash (`chain_scheme = 'sha256'`); the first sealed record chains to the last of them,
//! so they are anchored too. Once a practice's chain holds a sealed record, every later record
//! must be sealed, and the newest record must be sealed: rewriting a whole chain as plain
//! SHA-256 (a "downgrade") is detected.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that the first record of a practice chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Records written before the audit key existed: a SHA-256 of the content and the previous hash.
pub const SCHEME_SHA256: &str = "sha256";
/// Records sealed with HMAC-SHA256 under the audit key.
pub const SCHEME_HMAC: &str = "hmac-sha256";

/// Actions of emergency ("break the glass") access start with this; the audit report flags them.
pub const EMERGENCY_ACTION_PREFIX: &str = "emergency.";

/// Whether a record is about emergency ("break the glass") access, flagged in the audit report.
pub fn is_emergency_access(action: &str) -> bool {
    action.starts_with(EMERGENCY_ACTION_PREFIX)
}

/// The secret that seals the audit chain: 32 random bytes, kept outside the database. Its
/// `Debug` shows only the key id, never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    /// A key written as 64 hex digits (the key file's content), or `None`.
    pub fn from_hex(text: &str) -> Option<AuditKey> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(AuditKey(bytes))
    }

    /// The key as 64 hex digits, for the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short public name of the key (16 hex digits), stored with each sealed record so that a
    /// verification with the wrong key says so. It reveals nothing about the key.
    pub fn id(&self) -> String {
        let mut mac = self.mac();
        mac.update(b"medoffice audit key id");
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC pads a key shorter than the hash's block (64 bytes) with zeros, so the padded
        // block is the same key, and the fixed size needs no fallible conversion.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        <Hmac<Sha256> as KeyInit>::new(&block.into())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

/// Whether the action was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One audit record, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub practice_id: String,
    /// 1, 2, 3... per practice, without gaps.
    pub seq: i64,
    /// UTC, RFC 3339 with microseconds.
    pub at: String,
    pub user_id: Option<String>,
    pub username: String,
    /// What was done, e.g. `patient.read`, `patient.create`, `login.failed`.
    pub action: String,
    pub patient_id: Option<String>,
    pub record_type: String,
    pub record_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    /// Extra facts (never a password); e.g. the search text, the fields changed.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// [`SCHEME_HMAC`] or, for records older than the audit key, [`SCHEME_SHA256`].
    pub chain_scheme: String,
    /// The [`AuditKey::id`] of the key that sealed the record (sealed records only).
    pub key_id: Option<String>,
}

impl AuditRecord {
    /// The content, length-prefixed field by field so that no two different records serialise
    /// alike, chained to `prev_hash`.
    fn content(&self) -> Vec<u8> {
        let none = "\u{0}";
        let seq = self.seq.to_string();
        let fields = [
            self.prev_hash.as_str(),
            self.practice_id.as_str(),
            seq.as_str(),
            self.at.as_str(),
            self.user_id.as_deref().unwrap_or(none),
            self.username.as_str(),
            self.action.as_str(),
            self.patient_id.as_deref().unwrap_or(none),
            self.record_type.as_str(),
            self.record_id.as_deref().unwrap_or(none),
            self.ip.as_deref().unwrap_or(none),
            self.outcome.as_str(),
            self.detail.as_str(),
        ];
        let mut out = Vec::new();
        for f in fields {
            out.extend_from_slice(&(f.len() as u64).to_be_bytes());
            out.extend_from_slice(f.as_bytes());
        }
        out
    }

    /// The plain SHA-256 hash of the record's content (records older than the audit key). Anyone
    /// can recompute it; it only links records, it does not authenticate them.
    pub fn sha256_hash(&self) -> String {
        hex::encode(Sha256::digest(self.content()))
    }

    /// The HMAC-SHA256 seal of the record's content under `key`. The scheme and the key id are
    /// sealed too, so neither can be changed without the key.
    pub fn hmac_hash(&self, key: &AuditKey) -> String {
        let mut mac = key.mac();
        for f in [SCHEME_HMAC, self.key_id.as_deref().unwrap_or("\u{0}")] {
            mac.update(&(f.len() as u64).to_be_bytes());
            mac.update(f.as_bytes());
        }
        mac.update(&self.content());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals a new record under `key`: sets its scheme, key id and hash.
    pub fn seal(&mut self, key: &AuditKey) {
        self.chain_scheme = SCHEME_HMAC.to_string();
        self.key_id = Some(key.id());
        self.hash = self.hmac_hash(key);
    }
}

/// The first record that does not fit the chain, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("audit record {practice_id}#{seq}{} is broken: {reason}", at.as_deref().map(|a| format!(" (written {a})")).unwrap_or_default())]
pub struct BrokenLink {
    pub practice_id: String,
    pub seq: i64,
    /// When the broken record says it was written; `None` when the record is missing.
    pub at: Option<String>,
    pub reason: String,
}

/// Walks one practice's records in `seq` order, checking each link and seal with the audit key.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    key_id: String,
    practice_id: String,
    /// The last verified record's (seq, hash, scheme).
    prev: Option<(i64, String, String)>,
    /// Whether a sealed record was seen: every later record must be sealed too.
    sealed: bool,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k AuditKey, practice_id: &str) -> ChainVerifier<'k> {
        ChainVerifier { key, key_id: key.id(), practice_id: practice_id.to_string(), prev: None, sealed: false }
    }

    /// The seq of the last verified record (0 before the first).
    pub fn last_seq(&self) -> i64 {
        self.prev.as_ref().map(|p| p.0).unwrap_or(0)
    }

    /// Checks the next record: its place in the sequence, its link to the record before and its
    /// hash or seal.
    pub fn next(&mut self, record: &AuditRecord) -> Result<(), BrokenLink> {
        let broken =
            |reason: String| BrokenLink { practice_id: record.practice_id.clone(), seq: record.seq, at: Some(record.at.clone()), reason };
        let (expected_seq, expected_prev) = match &self.prev {
            Some((seq, hash, _)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if record.practice_id != self.practice_id {
            return Err(broken(format!("it belongs to practice {}, not to {}", record.practice_id, self.practice_id)));
        }
        if record.seq != expected_seq {
            return Err(broken(format!("expected record #{expected_seq} (a record is missing or out of order)")));
        }
        if record.prev_hash != expected_prev {
            return Err(broken("it does not chain to the record before it".into()));
        }
        match record.chain_scheme.as_str() {
            SCHEME_HMAC => {
                let key_id = record.key_id.as_deref().unwrap_or("none");
                if record.hmac_hash(self.key) != record.hash {
                    return Err(broken(if key_id == self.key_id {
                        "its content does not match its HMAC seal (it was changed or forged)".into()
                    } else {
                        format!(
                            "its content does not match its HMAC seal: it names audit key {key_id} but the key given is {} (the wrong key file, or a forged record)",
                            self.key_id
                        )
                    }));
                }
                self.sealed = true;
            }
            SCHEME_SHA256 => {
                if self.sealed {
                    return Err(broken("it is not sealed with the audit key although the records before it are (a forged record)".into()));
                }
                if record.sha256_hash() != record.hash {
                    return Err(broken("its content does not match its hash (it was changed)".into()));
                }
            }
            other => return Err(broken(format!("unknown chain scheme '{other}'"))),
        }
        self.prev = Some((record.seq, record.hash.clone(), record.chain_scheme.clone()));
        Ok(())
    }

    /// Ends the walk: the practice's recorded head must be the last record verified (or records
    /// were removed from the end), and the newest record must be sealed with the audit key.
    pub fn finish(self, head: Option<(i64, String)>) -> Result<(), BrokenLink> {
        let last = self.prev.as_ref().map(|(seq, hash, _)| (*seq, hash.clone()));
        if head != last {
            return Err(BrokenLink {
                seq: self.last_seq() + 1,
                practice_id: self.practice_id,
                at: None,
                reason: "records at the end of the chain are missing".into(),
            });
        }
        if let Some((seq, _, scheme)) = &self.prev
            && scheme != SCHEME_HMAC
        {
            return Err(BrokenLink {
                practice_id: self.practice_id.clone(),
                seq: *seq,
                at: None,
                reason: "the newest record is not sealed with the audit key (run any medoffice command once with the audit key to seal the trail, or the chain was rewritten)".into(),
            });
        }
        Ok(())
    }
}

/// The columns of the audit report's CSV file.
pub const CSV_HEADER: [&str; 13] = [
    "seq",
    "at",
    "username",
    "user_id",
    "action",
    "patient_id",
    "record_type",
    "record_id",
    "ip",
    "outcome",
    "emergency",
    "detail",
    "hash",
];

/// The audit report as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a
/// quote or a line break). A field that a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe.
pub fn report_csv(records: &[AuditRecord]) -> String {
    let mut out = String::new();
    let mut line = |fields: &[&str]| {
        let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&CSV_HEADER);
    for r in records {
        let seq = r.seq.to_string();
        line(&[
            &seq,
            &r.at,
            &r.username,
            r.user_id.as_deref().unwrap_or(""),
            &r.action,
            r.patient_id.as_deref().unwrap_or(""),
            &r.record_type,
            r.record_id.as_deref().unwrap_or(""),
            r.ip.as_deref().unwrap_or(""),
            &r.outcome,
            if is_emergency_access(&r.action) { "yes" } else { "" },
            &r.detail,
            &r.hash,
        ]);
    }
    out
}

/// One CSV field, safe to open in a spreadsheet.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7u8; 32])
    }

    fn record(seq: i64, prev: &str) -> AuditRecord {
        AuditRecord {
            practice_id: "p1".into(),
            seq,
            at: format!("2026-11-28T10:00:{seq:02}.000000Z"),
            user_id: Some("u1".into()),
            username: "frontdesk".into(),
            action: "patient.read".into(),
            patient_id: Some("pat1".into()),
            record_type: "patient".into(),
            record_id: Some("pat1".into()),
            ip: Some("127.0.0.1".into()),
            outcome: "success".into(),
            detail: String::new(),
            prev_hash: prev.to_string(),
            hash: String::new(),
            chain_scheme: String::new(),
            key_id: None,
        }
    }

    /// `legacy` plain SHA-256 records (as written before the audit key), then sealed ones up to `n`.
    fn chain_with_legacy(n: i64, legacy: i64, key: &AuditKey) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = record(seq, &prev);
                if seq <= legacy {
                    r.chain_scheme = SCHEME_SHA256.into();
                    r.hash = r.sha256_hash();
                } else {
                    r.seal(key);
                }
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn chain(n: i64) -> Vec<AuditRecord> {
        chain_with_legacy(n, 0, &key())
    }

    fn verify_with(records: &[AuditRecord], key: &AuditKey) -> Result<usize, BrokenLink> {
        let mut verifier = ChainVerifier::new(key, "p1");
        for r in records {
            verifier.next(r)?;
        }
        let head = records.last().map(|r| (r.seq, r.hash.clone()));
        verifier.finish(head)?;
        Ok(records.len())
    }

    fn verify(records: &[AuditRecord]) -> Result<usize, BrokenLink> {
        verify_with(records, &key())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert!(chain(2).iter().all(|r| r.chain_scheme == SCHEME_HMAC && r.key_id == Some(key().id())));
    }

    #[test]
    fn a_changed_record_is_named() {
        let mut records = chain(5);
        records[2].username = "intruder".into();
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 3);
        assert_eq!(err.at.as_deref(), Some("2026-11-28T10:00:03.000000Z"));
        let text = err.to_string();
        assert!(text.contains("p1#3 (written 2026-11-28T10:00:03.000000Z)") && text.contains("changed"), "{text}");
    }

    #[test]
    fn a_removed_record_is_named() {
        let mut records = chain(5);
        records.remove(1);
        assert_eq!(verify(&records).unwrap_err().seq, 3);
    }

    #[test]
    fn a_forged_record_with_its_sha256_recomputed_is_caught_at_the_record() {
        // An attacker with write access to the database but not the key changes a record and
        // recomputes what they can: a plain SHA-256, marked as such, and every later link.
        let mut records = chain(5);
        records[1].detail = "forged".into();
        records[1].chain_scheme = SCHEME_SHA256.into();
        records[1].hash = records[1].sha256_hash();
        for i in 2..records.len() {
            records[i].prev_hash = records[i - 1].hash.clone();
        }
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.reason.contains("not sealed"), "{err}");

        // Recomputing a seal with a key of their own is no better.
        let mut records = chain(5);
        records[1].detail = "forged".into();
        records[1].hash = records[1].hmac_hash(&AuditKey::from_bytes([9u8; 32]));
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.reason.contains("changed or forged"), "{err}");
    }

    #[test]
    fn a_whole_chain_rewritten_as_plain_sha256_is_caught_at_its_head() {
        let mut records = chain(3);
        let mut prev = GENESIS_HASH.to_string();
        for r in &mut records {
            r.prev_hash = prev.clone();
            r.chain_scheme = SCHEME_SHA256.into();
            r.key_id = None;
            r.hash = r.sha256_hash();
            prev = r.hash.clone();
        }
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("newest record is not sealed"), "{err}");
    }

    #[test]
    fn the_wrong_key_is_named() {
        let other = AuditKey::from_bytes([8u8; 32]);
        let err = verify_with(&chain(3), &other).unwrap_err();
        assert_eq!(err.seq, 1);
        assert!(err.reason.contains(&key().id()) && err.reason.contains(&other.id()), "{err}");
        assert_ne!(key().id(), other.id());
    }

    #[test]
    fn changing_the_scheme_or_key_id_breaks_the_seal() {
        let mut records = chain(3);
        records[2].key_id = Some("0000000000000000".into());
        assert_eq!(verify(&records).unwrap_err().seq, 3);
    }

    #[test]
    fn legacy_records_verify_and_are_anchored_by_the_first_sealed_record() {
        let records = chain_with_legacy(6, 3, &key());
        assert_eq!(verify(&records), Ok(6));

        // A legacy record changed and re-hashed with every later legacy hash: the first sealed
        // record still holds the old hash as its link, under the seal.
        let mut forged = records.clone();
        forged[0].username = "intruder".into();
        forged[0].hash = forged[0].sha256_hash();
        forged[1].prev_hash = forged[0].hash.clone();
        forged[1].hash = forged[1].sha256_hash();
        forged[2].prev_hash = forged[1].hash.clone();
        forged[2].hash = forged[2].sha256_hash();
        forged[3].prev_hash = forged[2].hash.clone();
        let err = verify(&forged).unwrap_err();
        assert_eq!(err.seq, 4);

        // A legacy record after a sealed one is a forgery.
        let mut late = records.clone();
        late[4].chain_scheme = SCHEME_SHA256.into();
        late[4].hash = late[4].sha256_hash();
        late[5].prev_hash = late[4].hash.clone();
        late[5].seal(&key());
        assert_eq!(verify(&late).unwrap_err().seq, 5);
    }

    #[test]
    fn missing_records_at_the_end_are_named() {
        let records = chain(4);
        let key = key();
        let mut verifier = ChainVerifier::new(&key, "p1");
        for r in &records[..3] {
            verifier.next(r).unwrap();
        }
        let err = verifier.finish(Some((4, records[3].hash.clone()))).unwrap_err();
        assert_eq!((err.seq, err.at.clone()), (4, None));
        assert!(err.to_string().contains("p1#4 is broken") && err.reason.contains("missing"), "{err}");
    }

    #[test]
    fn the_key_round_trips_as_hex_and_debug_hides_it() {
        let k = AuditKey::from_bytes([0xab; 32]);
        assert_eq!(AuditKey::from_hex(&format!("{}\n", k.to_hex())), Some(k.clone()));
        assert_eq!(AuditKey::from_hex("abc"), None);
        assert_eq!(k.id().len(), 16);
        let debug = format!("{k:?}");
        assert!(!debug.contains(&k.to_hex()) && debug.contains(&k.id()), "{debug}");
    }

    #[test]
    fn emergency_access_is_recognised_by_its_action() {
        assert!(is_emergency_access("emergency.open"));
        assert!(!is_emergency_access("patient.read"));
    }

    #[test]
    fn the_csv_quotes_fields_and_defuses_formulas() {
        let mut r = chain(1).remove(0);
        r.detail = "=HYPERLINK(\"http://x\"), then\nmore".into();
        r.username = "@admin".into();
        r.action = "emergency.open".into();
        let csv = report_csv(&[r.clone()]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert!(csv.contains(",'@admin,"), "{csv}");
        assert!(csv.contains(",yes,"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\"), then\nmore\""), "{csv}");
        assert!(csv.ends_with(&format!(",{}\r\n", r.hash)));
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
