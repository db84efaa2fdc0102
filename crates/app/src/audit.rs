//! Reading and verifying the audit trail.

use crate::{Actor, App, Result};
use medoffice_domain::audit::{AuditRecord, BrokenLink, verify_next};
use medoffice_domain::security::Action;
use medoffice_store::StoreError;
use medoffice_store::audit::{self as store, AuditFilter};

/// The result of `medoffice audit verify`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub ok: bool,
    /// The first broken record, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
}

/// Records read per query while verifying.
const VERIFY_PAGE: i64 = 5000;

impl App {
    /// The audit trail of the actor's practice, newest first, one page (at most 200).
    pub async fn audit_trail(&self, actor: &Actor, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
        self.authorize(actor, Action::ReadAuditTrail, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list(&mut conn, &actor.practice_id, filter, limit.clamp(1, 200)).await?)
    }

    /// Checks every practice's chain from its first record to its head.
    pub async fn verify_audit_chain(&self) -> Result<VerifyReport> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let practices = medoffice_store::practice::list(&mut conn).await?;
        let mut records = 0u64;
        for practice in practices {
            let mut prev: Option<(i64, String)> = None;
            loop {
                let after = prev.as_ref().map(|p| p.0).unwrap_or(0);
                let page = store::chain_page(&mut conn, &practice.id, after, VERIFY_PAGE).await?;
                if page.is_empty() {
                    break;
                }
                for record in &page {
                    match verify_next(prev.as_ref().map(|(s, h)| (*s, h.as_str())), record) {
                        Ok(next) => prev = Some(next),
                        Err(broken) => return Ok(broken_report(records, broken)),
                    }
                    records += 1;
                }
            }
            // The head must agree with the last record, or records were removed from the end.
            let head = store::head(&mut conn, &practice.id).await?;
            if head != prev {
                let seq = prev.as_ref().map(|p| p.0 + 1).unwrap_or(1);
                return Ok(broken_report(
                    records,
                    BrokenLink { practice_id: practice.id.clone(), seq, reason: "records at the end of the chain are missing".into() },
                ));
            }
        }
        Ok(VerifyReport { records, ok: true, broken: None })
    }
}

fn broken_report(records: u64, broken: BrokenLink) -> VerifyReport {
    VerifyReport { records, ok: false, broken: Some(broken.to_string()) }
}
