//! Retention of documents (issue 8): the rule of every category (the default of
//! `medoffice_domain::documents`, or the office manager's edit, under a version), the list of
//! documents whose retention has ended, their destruction on the office manager's explicit
//! request, and the destruction log.
//!
//! Nothing is destroyed silently: no background job destroys; a destruction happens only when the
//! office manager picks documents from the list and confirms, and each one leaves a record (the
//! rule, the date it became eligible, the method, the versions' hashes, who and when) kept for
//! ever. Every use case needs [`Action::ManageRetention`] and is audited.
//!
//! Destroying runs in one transaction: the versions are detached from their bytes (blob id and
//! text layer cleared), the blob rows removed, the document marked destroyed and the record
//! written. The encrypted files are deleted only after the commit, so a crash in between leaves
//! an unreferenced encrypted file, never a row pointing at missing bytes; a file that cannot be
//! deleted then is logged and reported to the caller.

use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Months, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::documents::{self, CATEGORIES, PatientDates, RetentionBasis, RetentionRule, destroy_on};
use medoffice_domain::security::Action;
use medoffice_store::retention::{self as store, DestructionRow, RetentionCandidateRow, RetentionRuleRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Rows on one page of the destroy list and of the destruction log.
pub const RETENTION_PAGE_SIZE: usize = 50;
/// The most documents of one category the destroy list examines (oldest first); beyond it the
/// list says that more may follow once these are destroyed.
pub const CANDIDATE_SCAN_LIMIT: i64 = 5_000;
/// The most documents one destruction request takes.
pub const MAX_DESTROY_PER_REQUEST: usize = 200;
/// How the bytes are destroyed, as the record states it.
pub const DESTRUCTION_METHOD: &str = "deleted from encrypted storage (file and key reference removed, text layer cleared)";

/// A category's retention as the rules page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetentionRuleView {
    pub category: String,
    pub label: String,
    pub class_label: String,
    /// `last_visit`, `document_date` or `permanent`.
    pub basis: String,
    pub years: u32,
    pub majority_age: u32,
    pub years_after_majority: u32,
    /// The rule in words.
    pub description: String,
    /// The category's default in words.
    pub default_description: String,
    /// Whether the office manager changed the default.
    pub edited: bool,
    /// The version to send back with an edit (0: never edited).
    pub version: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// An edit of a category's rule as typed, under the version read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RetentionRuleInput {
    /// `last_visit`, `document_date` or `permanent`.
    pub basis: String,
    pub years: String,
    pub majority_age: String,
    pub years_after_majority: String,
    pub version: i64,
}

/// A document whose retention has ended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestroyCandidate {
    pub document_id: String,
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub last_visit: Option<String>,
    /// The rule in words.
    pub rule: String,
    /// The first day it could be destroyed.
    pub eligible_on: String,
}

/// One page of the destroy list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestroyList {
    pub today: String,
    pub items: Vec<DestroyCandidate>,
    /// Pages counted from 1.
    pub page: usize,
    pub total: usize,
    pub has_more: bool,
    /// Some category had more old documents than one look examines: more may be listed once
    /// these are destroyed.
    pub truncated: bool,
}

/// A destruction record as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestructionView {
    pub id: String,
    pub document_id: String,
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub patient_id: Option<String>,
    pub document_date: String,
    pub versions: i64,
    pub sha256s: Vec<String>,
    pub rule: String,
    pub eligible_on: String,
    pub method: String,
    pub destroyed_by: String,
    pub destroyed_at: String,
}

/// What one destruction request did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DestroyOutcome {
    pub destroyed: Vec<DestructionView>,
    /// Storage keys whose files could not be deleted after the commit (logged; the rows no longer
    /// point at them). Empty when all went well.
    pub files_not_removed: Vec<String>,
}

fn category_label(key: &str) -> String {
    documents::category(key).map(|c| c.label.to_string()).unwrap_or_else(|| key.to_string())
}

fn destruction_view(d: DestructionRow) -> DestructionView {
    DestructionView {
        category_label: category_label(&d.category),
        sha256s: d.sha256s.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        id: d.id,
        document_id: d.document_id,
        title: d.title,
        category: d.category,
        patient_id: d.patient_id,
        document_date: d.document_date,
        versions: d.versions,
        rule: d.rule,
        eligible_on: d.eligible_on,
        method: d.method,
        destroyed_by: d.destroyed_by,
        destroyed_at: d.destroyed_at,
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok()
}

/// A stored rule read back; a row the domain cannot read is a corrupt store, named.
fn stored_rule(r: &RetentionRuleRow) -> Result<RetentionRule> {
    let corrupt = |what: &str| AppError::Internal(format!("retention rule of {} has an invalid {what}", r.category));
    let basis = RetentionBasis::parse(&r.basis).map_err(|_| corrupt("basis"))?;
    let years = u32::try_from(r.years).map_err(|_| corrupt("years"))?;
    let majority_age = u32::try_from(r.majority_age).map_err(|_| corrupt("majority age"))?;
    let years_after_majority = u32::try_from(r.years_after_majority).map_err(|_| corrupt("years after majority"))?;
    Ok(RetentionRule { basis, years, majority_age, years_after_majority })
}

/// The rule in force for each category, with the office manager's row when there is one.
async fn rules_in_force(
    conn: &mut Connection,
    practice_id: &str,
) -> Result<HashMap<&'static str, (RetentionRule, Option<RetentionRuleRow>)>> {
    let rows = store::rules(conn, practice_id).await?;
    let mut out = HashMap::new();
    for c in &CATEGORIES {
        let row = rows.iter().find(|r| r.category == c.key).cloned();
        let rule = match &row {
            Some(r) => stored_rule(r)?,
            None => c.default_retention,
        };
        out.insert(c.key, (rule, row));
    }
    Ok(out)
}

fn rule_view(category: &documents::Category, rule: RetentionRule, row: Option<&RetentionRuleRow>) -> RetentionRuleView {
    RetentionRuleView {
        category: category.key.to_string(),
        label: category.label.to_string(),
        class_label: category.class.label().to_string(),
        basis: rule.basis.as_str().to_string(),
        years: rule.years,
        majority_age: rule.majority_age,
        years_after_majority: rule.years_after_majority,
        description: rule.describe(),
        default_description: category.default_retention.describe(),
        edited: row.is_some(),
        version: row.map_or(0, |r| r.version),
        updated_by: row.map(|r| r.updated_by.clone()),
        updated_at: row.map(|r| r.updated_at.clone()),
    }
}

/// The patient's dates a document's retention counts from: birth date and last visit (the later
/// of the last completed appointment and the last encounter).
fn patient_dates(c: &RetentionCandidateRow) -> Option<PatientDates> {
    let birth_date = date(c.birth_date.as_deref()?)?;
    let last_visit = [c.last_appointment.as_deref(), c.last_encounter.as_deref()].into_iter().flatten().filter_map(date).max();
    Some(PatientDates { birth_date, last_visit })
}

fn last_visit_text(c: &RetentionCandidateRow) -> Option<String> {
    patient_dates(c).and_then(|p| p.last_visit).map(|d| d.to_string())
}

/// The first day `c` may be destroyed under `rule`, or `None` when it is kept for ever.
fn eligible_on(rule: &RetentionRule, c: &RetentionCandidateRow) -> Result<Option<NaiveDate>> {
    let document_date =
        date(&c.document_date).ok_or_else(|| AppError::Internal(format!("document {} has an invalid date {}", c.id, c.document_date)))?;
    let patient = if c.patient_id.is_some() { patient_dates(c) } else { None };
    Ok(destroy_on(rule, document_date, patient))
}

/// Parses one number of a rule, naming the field.
fn number(field: &str, text: &str, errors: &mut ValidationErrors) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        errors.add(field, "enter a number of years");
        return None;
    }
    match t.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "enter a whole number of years");
            None
        }
    }
}

impl App {
    /// Every category with the retention rule in force.
    pub async fn retention_rules(&self, actor: &Actor) -> Result<Vec<RetentionRuleView>> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let mut tx = self.store.begin().await?;
        let rules = rules_in_force(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(CATEGORIES.iter().filter_map(|c| rules.get(c.key).map(|(rule, row)| rule_view(c, *rule, row.as_ref()))).collect())
    }

    /// One category's rule in force.
    pub async fn retention_rule(&self, actor: &Actor, category: &str) -> Result<RetentionRuleView> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let c = documents::category(category.trim()).ok_or(AppError::NotFound("document category"))?;
        let mut tx = self.store.begin().await?;
        let row = store::rule(&mut tx, &actor.practice_id, c.key).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let rule = match &row {
            Some(r) => stored_rule(r)?,
            None => c.default_retention,
        };
        Ok(rule_view(c, rule, row.as_ref()))
    }

    /// Changes a category's rule (the office manager), under the version read (0 for a category
    /// never edited). Each field at fault is named; a stale version is a conflict. Audited with
    /// the old and the new rule in words.
    pub async fn save_retention_rule(&self, actor: &Actor, category: &str, input: &RetentionRuleInput) -> Result<RetentionRuleView> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let c = documents::category(category.trim()).ok_or(AppError::NotFound("document category"))?;
        let mut errors = ValidationErrors::new();
        let basis = errors.check("basis", RetentionBasis::parse(&input.basis));
        let (years, majority_age, years_after_majority) = match basis {
            Some(RetentionBasis::Permanent) => (Some(0), Some(0), Some(0)),
            Some(RetentionBasis::DocumentDate) => (number("years", &input.years, &mut errors), Some(0), Some(0)),
            _ => (
                number("years", &input.years, &mut errors),
                number("majority_age", &input.majority_age, &mut errors),
                number("years_after_majority", &input.years_after_majority, &mut errors),
            ),
        };
        let (Some(basis), Some(years), Some(majority_age), Some(years_after_majority)) = (basis, years, majority_age, years_after_majority)
        else {
            return Err(errors.into());
        };
        let rule = RetentionRule { basis, years, majority_age, years_after_majority };
        for (field, message) in rule.validate() {
            errors.add(field, message);
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let stale = || AppError::Conflict("someone else changed this rule since you opened it; reload the page and edit again".into());
        let mut tx = self.store.begin().await?;
        let existing = store::rule(&mut tx, &actor.practice_id, c.key).await?;
        let before = match &existing {
            Some(r) => stored_rule(r)?,
            None => c.default_retention,
        };
        if input.version != existing.as_ref().map_or(0, |r| r.version) {
            return Err(stale());
        }
        let row = RetentionRuleRow {
            practice_id: actor.practice_id.clone(),
            category: c.key.to_string(),
            basis: basis.as_str().to_string(),
            years: i64::from(years),
            majority_age: i64::from(majority_age),
            years_after_majority: i64::from(years_after_majority),
            version: input.version + 1,
            updated_by: actor.username.clone(),
            updated_at: self.now_text(),
        };
        if existing.is_some() {
            if !store::update_rule(&mut tx, &row).await? {
                return Err(stale());
            }
        } else {
            store::insert_rule(&mut tx, &row).await.map_err(|e| match e {
                StoreError::Conflict(_) => stale(),
                other => other.into(),
            })?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "retention.rule.update",
                patient_id: None,
                record_type: "retention_rule",
                record_id: Some(c.key),
                detail: format!("{} → {} (version {})", before.describe(), rule.describe(), row.version),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rule_view(c, rule, Some(&row)))
    }

    /// The active documents whose retention has ended on or before today, by the date they
    /// became eligible (oldest first), one page (counted from 1). Audited.
    pub async fn destroy_list(&self, actor: &Actor, page: usize) -> Result<DestroyList> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let page = page.max(1);
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let (mut eligible, truncated) = self.eligible_documents(&mut tx, actor, today).await?;
        eligible
            .sort_by(|a, b| (&a.eligible_on, &a.document_date, &a.document_id).cmp(&(&b.eligible_on, &b.document_date, &b.document_id)));
        let total = eligible.len();
        let items: Vec<DestroyCandidate> =
            eligible.into_iter().skip((page - 1).saturating_mul(RETENTION_PAGE_SIZE)).take(RETENTION_PAGE_SIZE).collect();
        let has_more = page.saturating_mul(RETENTION_PAGE_SIZE) < total;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "retention.destroy_list",
                patient_id: None,
                record_type: "document",
                record_id: None,
                detail: format!("page {page}: {} of {total} documents eligible for destruction", items.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DestroyList { today: today.to_string(), items, page, total, has_more, truncated })
    }

    /// Every active document eligible on `today`, and whether a category had more to examine.
    async fn eligible_documents(&self, conn: &mut Connection, actor: &Actor, today: NaiveDate) -> Result<(Vec<DestroyCandidate>, bool)> {
        let rules = rules_in_force(conn, &actor.practice_id).await?;
        let mut out = Vec::new();
        let mut truncated = false;
        for c in &CATEGORIES {
            let Some((rule, _)) = rules.get(c.key) else { continue };
            if rule.basis == RetentionBasis::Permanent {
                continue;
            }
            // No document dated after this can be eligible: every basis keeps it at least
            // `years` after its own date (a day later covers 29 February).
            let Some(dated_by) = today.checked_sub_months(Months::new(rule.years.saturating_mul(12))).and_then(|d| d.succ_opt()) else {
                continue;
            };
            let rows = store::candidates(conn, &actor.practice_id, c.key, &dated_by.to_string(), CANDIDATE_SCAN_LIMIT).await?;
            truncated |= i64::try_from(rows.len()).unwrap_or(i64::MAX) >= CANDIDATE_SCAN_LIMIT;
            for row in rows {
                let Some(on) = eligible_on(rule, &row)? else { continue };
                if on > today {
                    continue;
                }
                out.push(DestroyCandidate {
                    last_visit: last_visit_text(&row),
                    document_id: row.id,
                    title: row.title,
                    category: c.key.to_string(),
                    category_label: c.label.to_string(),
                    document_date: row.document_date,
                    patient_id: row.patient_id,
                    patient_name: row.patient_name,
                    birth_date: row.birth_date,
                    rule: rule.describe(),
                    eligible_on: on.to_string(),
                });
            }
        }
        Ok((out, truncated))
    }

    /// Destroys the chosen documents (the office manager, explicitly): all or none, in one
    /// transaction. A document whose retention has not ended, one kept permanently, one already
    /// destroyed or unknown is refused, named, and nothing is destroyed. The files are deleted
    /// after the commit. Audited per document.
    pub async fn destroy_documents(&self, actor: &Actor, document_ids: &[String]) -> Result<DestroyOutcome> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let mut ids: Vec<String> = Vec::new();
        for id in document_ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            if !ids.iter().any(|seen| seen == id) {
                ids.push(id.to_string());
            }
        }
        if ids.is_empty() {
            return Err(ValidationErrors::single("document_ids", "choose the documents to destroy").into());
        }
        if ids.len() > MAX_DESTROY_PER_REQUEST {
            return Err(
                ValidationErrors::single("document_ids", format!("destroy at most {MAX_DESTROY_PER_REQUEST} documents at a time")).into()
            );
        }
        let today = actor.today(self.now());
        let practice_id = actor.practice_id.as_str();
        let mut tx = self.store.begin().await?;
        let rules = rules_in_force(&mut tx, practice_id).await?;
        let mut errors = ValidationErrors::new();
        let mut chosen = Vec::new();
        for id in &ids {
            let row = match store::candidate(&mut tx, practice_id, id).await {
                Ok(r) => r,
                Err(StoreError::NotFound(_)) => {
                    errors.add("document_ids", format!("there is no document '{}'", id.chars().take(60).collect::<String>()));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let document = medoffice_store::documents::get_document(&mut tx, practice_id, id).await?;
            if document.status != "active" {
                let when = store::destruction_of(&mut tx, practice_id, id)
                    .await?
                    .map(|d| format!(" on {}", d.destroyed_at.get(..10).unwrap_or("")));
                errors.add("document_ids", format!("“{}” was already destroyed{}", row.title, when.unwrap_or_default()));
                continue;
            }
            let Some((rule, _)) = rules.get(row.category.as_str()) else {
                return Err(AppError::Internal(format!("document {} has an unknown category {}", row.id, row.category)));
            };
            match eligible_on(rule, &row)? {
                None => errors.add(
                    "document_ids",
                    format!("“{}” is kept permanently ({}) and cannot be destroyed", row.title, category_label(&row.category)),
                ),
                Some(on) if on > today => errors.add(
                    "document_ids",
                    format!("“{}” must be kept until {on} ({}); its retention has not ended", row.title, rule.describe()),
                ),
                Some(on) => chosen.push((row, document, *rule, on)),
            }
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let now = self.now_text();
        let mut keys = Vec::new();
        let mut destroyed = Vec::new();
        for (row, document, rule, on) in chosen {
            let versions = medoffice_store::documents::versions(&mut tx, practice_id, &row.id).await?;
            let mut hashes: Vec<String> = Vec::with_capacity(versions.len());
            for v in versions.iter().rev() {
                hashes.push(v.sha256.clone());
                if let Some(blob_id) = &v.blob_id {
                    match medoffice_store::blobs::get(&mut tx, practice_id, blob_id).await {
                        Ok(blob) => keys.push(blob.storage_key),
                        // A version whose blob row is gone has no file to delete.
                        Err(StoreError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    store::delete_blob_row(&mut tx, practice_id, blob_id).await?;
                }
            }
            store::detach_versions(&mut tx, practice_id, &row.id).await?;
            let search = documents::search_text(&[&document.title, &document.description]);
            if !store::mark_destroyed(&mut tx, practice_id, &row.id, &search, &now).await? {
                return Err(AppError::Conflict(format!("“{}” was destroyed by someone else a moment ago", row.title)));
            }
            let record = DestructionRow {
                practice_id: practice_id.to_string(),
                id: new_id(),
                document_id: row.id.clone(),
                category: row.category.clone(),
                title: row.title.clone(),
                patient_id: row.patient_id.clone(),
                document_date: row.document_date.clone(),
                versions: i64::try_from(versions.len()).unwrap_or(i64::MAX),
                sha256s: hashes.join(","),
                rule: rule.describe(),
                eligible_on: on.to_string(),
                method: DESTRUCTION_METHOD.to_string(),
                destroyed_by: actor.username.clone(),
                destroyed_at: now.clone(),
            };
            store::insert_destruction(&mut tx, &record).await.map_err(|e| match e {
                StoreError::Conflict(_) => AppError::Conflict(format!("“{}” was destroyed by someone else a moment ago", row.title)),
                other => other.into(),
            })?;
            self.audit(
                &mut tx,
                actor,
                AuditNote {
                    action: "document.destroy",
                    patient_id: row.patient_id.as_deref(),
                    record_type: "document",
                    record_id: Some(&row.id),
                    detail: format!("{} ({}), {} versions, eligible {on} under: {}", row.title, row.category, versions.len(), record.rule),
                },
            )
            .await?;
            destroyed.push(destruction_view(record));
        }
        tx.commit().await.map_err(StoreError::from)?;
        let mut files_not_removed = Vec::new();
        for key in keys {
            if let Err(e) = self.blobs.delete(&key).await {
                tracing::error!(key = %key, error = %e, "a destroyed document's file could not be deleted");
                files_not_removed.push(key);
            }
        }
        Ok(DestroyOutcome { destroyed, files_not_removed })
    }

    /// The destruction log, newest first, one page (counted from 1). Audited.
    pub async fn destruction_log(&self, actor: &Actor, page: usize) -> Result<Vec<DestructionView>> {
        self.authorize(actor, Action::ManageRetention, None).await?;
        let page = page.max(1);
        let size = i64::try_from(RETENTION_PAGE_SIZE).unwrap_or(50);
        let offset = i64::try_from(page - 1).unwrap_or(0).saturating_mul(size);
        let mut tx = self.store.begin().await?;
        let rows = store::destructions(&mut tx, &actor.practice_id, size, offset).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "retention.destruction_log",
                patient_id: None,
                record_type: "document_destruction",
                record_id: None,
                detail: format!("page {page}: {} records", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(destruction_view).collect())
    }
}
