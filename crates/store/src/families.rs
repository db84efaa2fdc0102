//! Guarantor family accounts (issue 7, migration 0033): which patient is responsible for another
//! patient's bill. One row per patient who names a guarantor; the family of a guarantor is the
//! guarantor and every patient naming them. Balances are never stored here (see
//! [`crate::receivables`]).

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// A patient's guarantor, with who set it and when.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct GuarantorRow {
    pub practice_id: String,
    pub patient_id: String,
    pub guarantor_patient_id: String,
    pub set_by: String,
    pub set_at: String,
}

/// The guarantor a patient names, if any.
pub async fn guarantor_of(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<Option<GuarantorRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_guarantor WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(patient_id)
        .fetch_optional(conn)
        .await?)
}

/// The patients who name `guarantor_id` as their guarantor, by id.
pub async fn dependants_of(conn: &mut AnyConnection, practice_id: &str, guarantor_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT patient_id FROM patient_guarantor WHERE practice_id = $1 AND guarantor_patient_id = $2 ORDER BY patient_id")
            .bind(practice_id)
            .bind(guarantor_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Every (patient, guarantor) pair of the practice: how the aging by guarantor groups patients.
pub async fn all_guarantors(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT patient_id, guarantor_patient_id FROM patient_guarantor WHERE practice_id = $1")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

/// Sets (or replaces) a patient's guarantor.
pub async fn set_guarantor(conn: &mut AnyConnection, row: &GuarantorRow) -> Result<()> {
    sqlx::query("DELETE FROM patient_guarantor WHERE practice_id = $1 AND patient_id = $2")
        .bind(&row.practice_id)
        .bind(&row.patient_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO patient_guarantor (practice_id, patient_id, guarantor_patient_id, set_by, set_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.practice_id)
    .bind(&row.patient_id)
    .bind(&row.guarantor_patient_id)
    .bind(&row.set_by)
    .bind(&row.set_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears a patient's guarantor; whether there was one.
pub async fn clear_guarantor(conn: &mut AnyConnection, practice_id: &str, patient_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM patient_guarantor WHERE practice_id = $1 AND patient_id = $2")
        .bind(practice_id)
        .bind(patient_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The id of the patient with this MRN (case as stored), if any.
pub async fn patient_id_by_mrn(conn: &mut AnyConnection, practice_id: &str, mrn: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM patient WHERE practice_id = $1 AND mrn = $2")
        .bind(practice_id)
        .bind(mrn)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(id,)| id))
}
