//! Reading, reporting and verifying the audit trail.

use crate::{Actor, App, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::audit::{AuditRecord, BrokenLink, ChainVerifier, SCHEME_HMAC, is_emergency_access, report_csv};
use medoffice_domain::security::Action;
use medoffice_store::StoreError;
use medoffice_store::audit::{self as store, AuditFilter, AuditSort, NewAuditEvent};

/// The result of `medoffice audit verify`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub ok: bool,
    /// The first broken record, in words, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
    /// The first broken record: practice, seq and time (when the record is there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_record: Option<BrokenLink>,
}

/// Records read per query while verifying and exporting.
const VERIFY_PAGE: i64 = 5000;
/// Records per page of the audit report.
pub const REPORT_PAGE: i64 = 100;
/// The most records one CSV file of the audit report holds; a longer period is refused.
pub const MAX_CSV_RECORDS: i64 = 200_000;

/// What the audit report shows: a filter, a sort and a page (1-based).
#[derive(Debug, Clone, Default)]
pub struct AuditReportQuery {
    pub filter: AuditFilter,
    pub sort: AuditSort,
    pub page: i64,
}

/// One line of the audit report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReportRow {
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Emergency ("break the glass") access, flagged for the reviewer.
    pub emergency: bool,
}

/// One page of the audit report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub rows: Vec<AuditReportRow>,
    /// Records matching the filter, on all pages.
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// The kinds of record the trail mentions, for the filter.
    pub record_types: Vec<String>,
}

/// The audit report as a CSV file.
#[derive(Debug, Clone)]
pub struct AuditCsv {
    pub records: i64,
    pub csv: String,
}

impl App {
    /// The audit trail of the actor's practice, newest first, one page (at most 200).
    pub async fn audit_trail(&self, actor: &Actor, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
        self.authorize(actor, Action::ReadAuditTrail, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::list(&mut conn, &actor.practice_id, filter, limit.clamp(1, 200)).await?)
    }

    /// The audit report for a period, filtered and sorted, one page. Reading it is audited.
    pub async fn audit_report(&self, actor: &Actor, query: &AuditReportQuery) -> Result<AuditReport> {
        self.authorize(actor, Action::ReadAuditTrail, None).await?;
        check_period(&query.filter)?;
        let mut tx = self.store.begin().await?;
        let total = store::count(&mut tx, &actor.practice_id, &query.filter).await?;
        let pages = ((total + REPORT_PAGE - 1) / REPORT_PAGE).max(1);
        let page = query.page.clamp(1, pages);
        let records = store::report(&mut tx, &actor.practice_id, &query.filter, query.sort, REPORT_PAGE, (page - 1) * REPORT_PAGE).await?;
        let record_types = store::record_types(&mut tx, &actor.practice_id).await?;
        let detail = format!("{}; page {page} of {pages}; {total} records", describe(&query.filter, query.sort));
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "audit.report", patient_id: None, record_type: "audit_trail", record_id: None, detail },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AuditReport { rows: records.into_iter().map(row).collect(), total, page, pages, record_types })
    }

    /// Every record matching the filter, in the sort's order, as CSV. Exporting is audited.
    pub async fn audit_report_csv(&self, actor: &Actor, filter: &AuditFilter, sort: AuditSort) -> Result<AuditCsv> {
        self.authorize(actor, Action::ReadAuditTrail, None).await?;
        check_period(filter)?;
        let mut tx = self.store.begin().await?;
        let total = store::count(&mut tx, &actor.practice_id, filter).await?;
        if total > MAX_CSV_RECORDS {
            return Err(ValidationErrors::single(
                "from",
                format!("the period holds {total} records, more than {MAX_CSV_RECORDS} for one file: choose a shorter period"),
            )
            .into());
        }
        let mut records = Vec::new();
        loop {
            let offset = i64::try_from(records.len()).unwrap_or(i64::MAX);
            let page = store::report(&mut tx, &actor.practice_id, filter, sort, VERIFY_PAGE, offset).await?;
            let last = i64::try_from(page.len()).unwrap_or(0) < VERIFY_PAGE;
            records.extend(page);
            if last {
                break;
            }
        }
        let count = i64::try_from(records.len()).unwrap_or(i64::MAX);
        let detail = format!("{}; {count} records as CSV", describe(filter, sort));
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "audit.export", patient_id: None, record_type: "audit_trail", record_id: None, detail },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(AuditCsv { records: count, csv: report_csv(&records) })
    }

    /// Checks every practice's chain from its first record to its head with the audit key.
    pub async fn verify_audit_chain(&self) -> Result<VerifyReport> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let practices = medoffice_store::practice::list(&mut conn).await?;
        let mut records = 0u64;
        for practice in practices {
            let mut verifier = ChainVerifier::new(self.audit_key(), &practice.id);
            loop {
                let page = store::chain_page(&mut conn, &practice.id, verifier.last_seq(), VERIFY_PAGE).await?;
                if page.is_empty() {
                    break;
                }
                for record in &page {
                    if let Err(broken) = verifier.next(record) {
                        return Ok(broken_report(records, broken));
                    }
                    records += 1;
                }
            }
            let head = store::head(&mut conn, &practice.id).await?;
            if let Err(broken) = verifier.finish(head) {
                return Ok(broken_report(records, broken));
            }
        }
        Ok(VerifyReport { records, ok: true, broken: None, broken_record: None })
    }

    /// Seals the chains whose newest record predates the audit key (written before migration
    /// 0043) with one record sealed by the key, which anchors every record before it. Run when
    /// the command line or the server opens the database with its key; returns the practices
    /// sealed (none once done).
    pub async fn seal_audit_chains(&self) -> Result<u64> {
        let practices = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            medoffice_store::practice::list(&mut conn).await?
        };
        let mut sealed = 0;
        for practice in practices {
            let mut tx = self.store.begin().await?;
            let newest = store::newest(&mut tx, &practice.id).await?;
            if let Some(newest) = newest
                && newest.chain_scheme != SCHEME_HMAC
            {
                let detail = format!(
                    "records up to #{} are plain SHA-256 (written before the audit key); from here on each record is sealed with HMAC-SHA256 under audit key {}",
                    newest.seq,
                    self.audit_key_id()
                );
                self.append_audit(
                    &mut tx,
                    NewAuditEvent {
                        practice_id: practice.id.clone(),
                        at: self.now_text(),
                        user_id: None,
                        username: "system".into(),
                        action: "audit.seal".into(),
                        patient_id: None,
                        record_type: "audit_trail".into(),
                        record_id: None,
                        ip: None,
                        outcome: "success".into(),
                        detail,
                    },
                )
                .await?;
                sealed += 1;
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        Ok(sealed)
    }
}

fn row(record: AuditRecord) -> AuditReportRow {
    AuditReportRow { emergency: is_emergency_access(&record.action), record }
}

/// Refuses a period that ends before it starts.
fn check_period(filter: &AuditFilter) -> Result<()> {
    if let (Some(from), Some(until)) = (&filter.from, &filter.until)
        && from > until
    {
        return Err(ValidationErrors::single("until", "the period ends before it starts").into());
    }
    Ok(())
}

/// The filter and sort in words, for the audit record of a report.
fn describe(f: &AuditFilter, sort: AuditSort) -> String {
    let mut parts = Vec::new();
    let mut put = |name: &str, value: &Option<String>| {
        if let Some(v) = value {
            parts.push(format!("{name}={v}"));
        }
    };
    put("from", &f.from);
    put("until", &f.until);
    put("user", &f.username);
    put("patient", &f.patient_id);
    put("action", &f.action_prefix);
    put("record_type", &f.record_type);
    parts.push(format!("sort={} {}", sort.key.as_str(), if sort.descending { "desc" } else { "asc" }));
    parts.join(", ")
}

fn broken_report(records: u64, broken: BrokenLink) -> VerifyReport {
    VerifyReport { records, ok: false, broken: Some(broken.to_string()), broken_record: Some(broken) }
}
