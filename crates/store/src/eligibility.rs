//! Eligibility (migration 0021): the 270 requests written (each kept whole, with the people asked
//! about by trace number), the 271 files imported (keyed by their SHA-256) and every answer about
//! a coverage, one row per answer so the history stays.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most requests or response files a list shows.
pub const LIST_LIMIT: i64 = 100;
/// The most booked patients a day's request asks about (a busy day is a few hundred).
pub const MAX_SCHEDULE_PATIENTS: i64 = 1000;

/// One 270 file.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EligibilityRequestRow {
    pub practice_id: String,
    pub id: String,
    pub request_number: i64,
    /// `patient` or `schedule`.
    pub kind: String,
    pub service_date: String,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    /// `test` or `production`.
    pub usage: String,
    pub file_name: String,
    #[serde(skip)]
    pub content: String,
    pub inquiry_count: i64,
    pub created_by: String,
    pub created_at: String,
}

/// One person asked about.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct InquiryRow {
    pub practice_id: String,
    pub trace_number: String,
    pub request_id: String,
    pub patient_id: String,
    pub coverage_id: String,
    pub payer_id: String,
}

/// One imported 271 file.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ResponseFileRow {
    pub practice_id: String,
    pub id: String,
    pub sha256: String,
    pub file_name: String,
    #[serde(skip)]
    pub content: String,
    pub matched_count: i64,
    pub unmatched_count: i64,
    pub imported_by: String,
    pub imported_at: String,
}

/// What a payer said about one coverage.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct EligibilityResultRow {
    pub practice_id: String,
    pub id: String,
    pub response_file_id: String,
    pub trace_number: String,
    pub patient_id: String,
    pub coverage_id: String,
    pub checked_at: String,
    /// `active`, `inactive` or `unknown`.
    pub status: String,
    pub plan_name: Option<String>,
    pub copay_cents: Option<i64>,
    pub deductible_remaining_cents: Option<i64>,
    pub coinsurance_basis_points: Option<i64>,
    /// MSG lines, one a line.
    pub messages: String,
    /// AAA reasons in words, one a line.
    pub rejection: Option<String>,
}

/// A booked appointment of a day whose patient may be asked about.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BookedPatientRow {
    pub patient_id: String,
    pub provider_id: String,
    pub start_at: String,
}

pub async fn insert_request(conn: &mut AnyConnection, r: &EligibilityRequestRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO eligibility_request (practice_id, id, request_number, kind, service_date, interchange_control_number, \
         group_control_number, usage, file_name, content, inquiry_count, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(r.request_number)
    .bind(&r.kind)
    .bind(&r.service_date)
    .bind(r.interchange_control_number)
    .bind(r.group_control_number)
    .bind(&r.usage)
    .bind(&r.file_name)
    .bind(&r.content)
    .bind(r.inquiry_count)
    .bind(&r.created_by)
    .bind(&r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_inquiry(conn: &mut AnyConnection, i: &InquiryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO eligibility_inquiry (practice_id, trace_number, request_id, patient_id, coverage_id, payer_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&i.practice_id)
    .bind(&i.trace_number)
    .bind(&i.request_id)
    .bind(&i.patient_id)
    .bind(&i.coverage_id)
    .bind(&i.payer_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_request(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<EligibilityRequestRow> {
    sqlx::query_as("SELECT * FROM eligibility_request WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("eligibility request"))
}

/// The latest requests, newest first.
pub async fn list_requests(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<EligibilityRequestRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_request WHERE practice_id = $1 ORDER BY created_at DESC, request_number DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit.clamp(1, LIST_LIMIT))
        .fetch_all(conn)
        .await?)
}

/// The people a request asked about.
pub async fn inquiries_of(conn: &mut AnyConnection, practice_id: &str, request_id: &str) -> Result<Vec<InquiryRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_inquiry WHERE practice_id = $1 AND request_id = $2 ORDER BY trace_number")
        .bind(practice_id)
        .bind(request_id)
        .fetch_all(conn)
        .await?)
}

pub async fn inquiry_by_trace(conn: &mut AnyConnection, practice_id: &str, trace_number: &str) -> Result<Option<InquiryRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_inquiry WHERE practice_id = $1 AND trace_number = $2")
        .bind(practice_id)
        .bind(trace_number)
        .fetch_optional(conn)
        .await?)
}

/// The response file already imported with this SHA-256, if any.
pub async fn response_file_by_hash(conn: &mut AnyConnection, practice_id: &str, sha256: &str) -> Result<Option<ResponseFileRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_response_file WHERE practice_id = $1 AND sha256 = $2")
        .bind(practice_id)
        .bind(sha256)
        .fetch_optional(conn)
        .await?)
}

/// Stores a response file; `Conflict("eligibility_response_file_unique")` for the same bytes twice.
pub async fn insert_response_file(conn: &mut AnyConnection, f: &ResponseFileRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO eligibility_response_file (practice_id, id, sha256, file_name, content, matched_count, unmatched_count, \
         imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&f.practice_id)
    .bind(&f.id)
    .bind(&f.sha256)
    .bind(&f.file_name)
    .bind(&f.content)
    .bind(f.matched_count)
    .bind(f.unmatched_count)
    .bind(&f.imported_by)
    .bind(&f.imported_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest response files, newest first.
pub async fn list_response_files(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<ResponseFileRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_response_file WHERE practice_id = $1 ORDER BY imported_at DESC, id DESC LIMIT $2")
        .bind(practice_id)
        .bind(limit.clamp(1, LIST_LIMIT))
        .fetch_all(conn)
        .await?)
}

pub async fn insert_result(conn: &mut AnyConnection, r: &EligibilityResultRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO eligibility_result (practice_id, id, response_file_id, trace_number, patient_id, coverage_id, checked_at, \
         status, plan_name, copay_cents, deductible_remaining_cents, coinsurance_basis_points, messages, rejection) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&r.practice_id)
    .bind(&r.id)
    .bind(&r.response_file_id)
    .bind(&r.trace_number)
    .bind(&r.patient_id)
    .bind(&r.coverage_id)
    .bind(&r.checked_at)
    .bind(&r.status)
    .bind(&r.plan_name)
    .bind(r.copay_cents)
    .bind(r.deductible_remaining_cents)
    .bind(r.coinsurance_basis_points)
    .bind(&r.messages)
    .bind(&r.rejection)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every answer about a patient's coverages, newest first (the first per coverage is its latest).
pub async fn results_of_patient(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Vec<EligibilityResultRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM eligibility_result WHERE practice_id = $1 AND patient_id = $2 ORDER BY checked_at DESC, id DESC LIMIT 200",
    )
    .bind(practice_id)
    .bind(patient_id)
    .fetch_all(conn)
    .await?)
}

/// The latest answer about each of the patients' coverages (one query for a whole arrivals list).
pub async fn latest_for_patients(conn: &mut AnyConnection, practice_id: &str, patient_ids: &[String]) -> Result<Vec<EligibilityResultRow>> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..patient_ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT r.* FROM eligibility_result r WHERE r.practice_id = $1 AND r.patient_id IN ({}) AND NOT EXISTS (\
         SELECT 1 FROM eligibility_result n WHERE n.practice_id = r.practice_id AND n.coverage_id = r.coverage_id \
         AND (n.checked_at > r.checked_at OR (n.checked_at = r.checked_at AND n.id > r.id))) ORDER BY r.patient_id, r.coverage_id",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id);
    for id in patient_ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The answers an imported file gave, in file order.
pub async fn results_of_file(conn: &mut AnyConnection, practice_id: &str, file_id: &str) -> Result<Vec<EligibilityResultRow>> {
    Ok(sqlx::query_as("SELECT * FROM eligibility_result WHERE practice_id = $1 AND response_file_id = $2 ORDER BY id")
        .bind(practice_id)
        .bind(file_id)
        .fetch_all(conn)
        .await?)
}

/// The patients booked on a local date (`YYYY-MM-DD`) with an appointment still to come or under
/// way (scheduled, confirmed, arrived, in the room), first appointment first.
pub async fn booked_on(conn: &mut AnyConnection, practice_id: &str, date: &str) -> Result<Vec<BookedPatientRow>> {
    Ok(sqlx::query_as(
        "SELECT patient_id, provider_id, start_at FROM appointment WHERE practice_id = $1 AND start_at >= $2 AND start_at < $3 \
         AND status IN ('scheduled', 'confirmed', 'arrived', 'in_room') ORDER BY start_at, id LIMIT $4",
    )
    .bind(practice_id)
    .bind(format!("{date}T00:00"))
    .bind(format!("{date}T99:99"))
    .bind(MAX_SCHEDULE_PATIENTS)
    .fetch_all(conn)
    .await?)
}
