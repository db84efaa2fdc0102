//! The audit trail's rules: what one record holds and how records are chained.
//!
//! Each record carries the hash of the one before it (per practice), so removing or changing a
//! record breaks every hash after it, and `medoffice audit verify` names the first broken link.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that the first record of a practice chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
}

impl AuditRecord {
    /// The hash of this record's content chained to `prev_hash`. Fields are length-prefixed, so no
    /// two different records serialise alike.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let none = "\u{0}";
        let fields = [
            self.prev_hash.as_str(),
            self.practice_id.as_str(),
            &self.seq.to_string(),
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
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The first record that does not fit the chain, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {practice_id}#{seq} is broken: {reason}")]
pub struct BrokenLink {
    pub practice_id: String,
    pub seq: i64,
    pub reason: String,
}

/// Walks one practice's records in `seq` order. `prev` is the last verified record's (seq, hash),
/// or `None` at the start. Returns the record's own (seq, hash) to pass on.
pub fn verify_next(prev: Option<(i64, &str)>, record: &AuditRecord) -> Result<(i64, String), BrokenLink> {
    let broken = |reason: String| BrokenLink { practice_id: record.practice_id.clone(), seq: record.seq, reason };
    let (expected_seq, expected_prev) = match prev {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH),
    };
    if record.seq != expected_seq {
        return Err(broken(format!("expected record #{expected_seq} (a record is missing or out of order)")));
    }
    if record.prev_hash != expected_prev {
        return Err(broken("it does not chain to the record before it".into()));
    }
    if record.compute_hash() != record.hash {
        return Err(broken("its content does not match its hash (it was changed)".into()));
    }
    Ok((record.seq, record.hash.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRecord {
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
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.compute_hash();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord]) -> Result<usize, BrokenLink> {
        let mut prev: Option<(i64, String)> = None;
        for r in records {
            prev = Some(verify_next(prev.as_ref().map(|(s, h)| (*s, h.as_str())), r)?);
        }
        Ok(records.len())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn a_changed_record_is_named() {
        let mut records = chain(5);
        records[2].username = "intruder".into();
        let err = verify(&records).err();
        assert_eq!(err.map(|e| e.seq), Some(3));
    }

    #[test]
    fn a_removed_record_is_named() {
        let mut records = chain(5);
        records.remove(1);
        let err = verify(&records).err();
        assert_eq!(err.map(|e| e.seq), Some(3));
    }

    #[test]
    fn a_rehashed_forgery_breaks_the_next_link() {
        let mut records = chain(4);
        records[1].detail = "forged".into();
        records[1].hash = records[1].compute_hash();
        let err = verify(&records).err();
        assert_eq!(err.map(|e| e.seq), Some(3));
    }
}
