//! Encounters (migration 0017): the coded visit, its diagnoses in claim order and its service
//! lines, plus the practice's billing details that claims need.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A coded visit.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EncounterRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub appointment_id: Option<String>,
    pub rendering_provider_id: String,
    pub billing_provider_id: String,
    pub place_of_service: String,
    pub service_date: String,
    /// `open` or `posted`.
    pub status: String,
    pub coverage_id: Option<String>,
    pub journal_entry_id: Option<String>,
    pub claim_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub posted_at: Option<String>,
}

/// A service line; `modifiers` and `pointers` joined by `,`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EncounterLineRow {
    pub practice_id: String,
    pub encounter_id: String,
    pub line_number: i64,
    pub procedure_code: String,
    pub modifiers: String,
    pub units: i64,
    pub charge_cents: i64,
    pub pointers: String,
    pub service_date: String,
}

/// The practice's details as billing provider and submitter.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PracticeBillingRow {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub billing_npi: Option<String>,
    pub tax_id: Option<String>,
    pub taxonomy_code: Option<String>,
    pub billing_postal_code: Option<String>,
    pub submitter_id: Option<String>,
    /// `test` or `production`.
    pub claims_usage: String,
    /// The clearinghouse every 837P goes to (ISA08 and 1000B NM109), if the practice uses one.
    pub clearinghouse_id: Option<String>,
    pub clearinghouse_name: Option<String>,
}

pub async fn practice_billing(conn: &mut AnyConnection, practice_id: &str) -> Result<PracticeBillingRow> {
    sqlx::query_as(
        "SELECT id, name, phone, address_line1, city, state, postal_code, billing_npi, tax_id, taxonomy_code, \
         billing_postal_code, submitter_id, claims_usage, clearinghouse_id, clearinghouse_name FROM practice WHERE id = $1",
    )
    .bind(practice_id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("practice"))
}

pub async fn update_practice_billing(conn: &mut AnyConnection, p: &PracticeBillingRow) -> Result<()> {
    sqlx::query(
        "UPDATE practice SET phone = $2, address_line1 = $3, city = $4, state = $5, postal_code = $6, billing_npi = $7, \
         tax_id = $8, taxonomy_code = $9, billing_postal_code = $10, submitter_id = $11, claims_usage = $12, \
         clearinghouse_id = $13, clearinghouse_name = $14 WHERE id = $1",
    )
    .bind(&p.id)
    .bind(&p.phone)
    .bind(&p.address_line1)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(&p.billing_npi)
    .bind(&p.tax_id)
    .bind(&p.taxonomy_code)
    .bind(&p.billing_postal_code)
    .bind(&p.submitter_id)
    .bind(&p.claims_usage)
    .bind(&p.clearinghouse_id)
    .bind(&p.clearinghouse_name)
    .execute(conn)
    .await?;
    Ok(())
}

/// A provider's taxonomy code (PRV), if recorded.
pub async fn provider_taxonomy(conn: &mut AnyConnection, practice_id: &str, provider_id: &str) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT taxonomy_code FROM provider WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(provider_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|(t,)| t))
}

pub async fn insert(conn: &mut AnyConnection, e: &EncounterRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO encounter (practice_id, id, patient_id, appointment_id, rendering_provider_id, billing_provider_id, \
         place_of_service, service_date, status, coverage_id, journal_entry_id, claim_id, created_by, created_at, updated_at, posted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(&e.patient_id)
    .bind(&e.appointment_id)
    .bind(&e.rendering_provider_id)
    .bind(&e.billing_provider_id)
    .bind(&e.place_of_service)
    .bind(&e.service_date)
    .bind(&e.status)
    .bind(&e.coverage_id)
    .bind(&e.journal_entry_id)
    .bind(&e.claim_id)
    .bind(&e.created_by)
    .bind(&e.created_at)
    .bind(&e.updated_at)
    .bind(&e.posted_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Rewrites an open encounter's header (who, where, when).
pub async fn update_header(conn: &mut AnyConnection, e: &EncounterRow) -> Result<()> {
    sqlx::query(
        "UPDATE encounter SET rendering_provider_id = $3, billing_provider_id = $4, place_of_service = $5, service_date = $6, \
         updated_at = $7 WHERE practice_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(&e.practice_id)
    .bind(&e.id)
    .bind(&e.rendering_provider_id)
    .bind(&e.billing_provider_id)
    .bind(&e.place_of_service)
    .bind(&e.service_date)
    .bind(&e.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks an encounter posted, with its entry, coverage and claim. Returns false when it was not
/// open any more (posted meanwhile).
pub async fn mark_posted(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    coverage_id: Option<&str>,
    journal_entry_id: &str,
    claim_id: Option<&str>,
    now: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE encounter SET status = 'posted', coverage_id = $3, journal_entry_id = $4, claim_id = $5, posted_at = $6, updated_at = $6 \
         WHERE practice_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(coverage_id)
    .bind(journal_entry_id)
    .bind(claim_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<EncounterRow> {
    sqlx::query_as("SELECT * FROM encounter WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("encounter"))
}

pub async fn by_appointment(conn: &mut AnyConnection, practice_id: &str, appointment_id: &str) -> Result<Option<EncounterRow>> {
    Ok(sqlx::query_as("SELECT * FROM encounter WHERE practice_id = $1 AND appointment_id = $2")
        .bind(practice_id)
        .bind(appointment_id)
        .fetch_optional(conn)
        .await?)
}

/// The most recent encounters, newest first (at most `limit`, capped at 500).
pub async fn list_recent(conn: &mut AnyConnection, practice_id: &str, status: Option<&str>, limit: i64) -> Result<Vec<EncounterRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM encounter WHERE practice_id = $1 AND ($2 = '' OR status = $2) ORDER BY service_date DESC, id DESC LIMIT $3",
    )
    .bind(practice_id)
    .bind(status.unwrap_or(""))
    .bind(limit.clamp(1, 500))
    .fetch_all(conn)
    .await?)
}

/// The encounter's diagnosis codes in order.
pub async fn diagnoses(conn: &mut AnyConnection, practice_id: &str, encounter_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM encounter_diagnosis WHERE practice_id = $1 AND encounter_id = $2 ORDER BY position")
            .bind(practice_id)
            .bind(encounter_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

pub async fn lines(conn: &mut AnyConnection, practice_id: &str, encounter_id: &str) -> Result<Vec<EncounterLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM encounter_line WHERE practice_id = $1 AND encounter_id = $2 ORDER BY line_number")
        .bind(practice_id)
        .bind(encounter_id)
        .fetch_all(conn)
        .await?)
}

/// Replaces an encounter's diagnoses and lines (the superbill is saved whole).
pub async fn replace_coding(
    conn: &mut AnyConnection,
    practice_id: &str,
    encounter_id: &str,
    diagnoses: &[String],
    lines: &[EncounterLineRow],
) -> Result<()> {
    sqlx::query("DELETE FROM encounter_diagnosis WHERE practice_id = $1 AND encounter_id = $2")
        .bind(practice_id)
        .bind(encounter_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM encounter_line WHERE practice_id = $1 AND encounter_id = $2")
        .bind(practice_id)
        .bind(encounter_id)
        .execute(&mut *conn)
        .await?;
    for (i, code) in diagnoses.iter().enumerate() {
        sqlx::query("INSERT INTO encounter_diagnosis (practice_id, encounter_id, position, code) VALUES ($1, $2, $3, $4)")
            .bind(practice_id)
            .bind(encounter_id)
            .bind(i as i64 + 1)
            .bind(code)
            .execute(&mut *conn)
            .await?;
    }
    for l in lines {
        sqlx::query(
            "INSERT INTO encounter_line (practice_id, encounter_id, line_number, procedure_code, modifiers, units, charge_cents, pointers, service_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(practice_id)
        .bind(encounter_id)
        .bind(l.line_number)
        .bind(&l.procedure_code)
        .bind(&l.modifiers)
        .bind(l.units)
        .bind(l.charge_cents)
        .bind(&l.pointers)
        .bind(&l.service_date)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The diagnoses a patient was coded with on earlier encounters, most recent first, each once
/// (at most `limit`).
pub async fn recent_diagnoses_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT d.code, MAX(e.service_date) AS last_date FROM encounter_diagnosis d \
         JOIN encounter e ON e.practice_id = d.practice_id AND e.id = d.encounter_id \
         WHERE d.practice_id = $1 AND e.patient_id = $2 GROUP BY d.code ORDER BY last_date DESC, d.code LIMIT $3",
    )
    .bind(practice_id)
    .bind(patient_id)
    .bind(limit.clamp(1, 50))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(c, _)| c).collect())
}
