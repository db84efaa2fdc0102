//! Payments taken at the front desk (co-pays at check-in): table `patient_payment`
//! (migrations 0004_front_desk). Amounts are integer cents; a payment is voided, never deleted.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct PaymentRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub appointment_id: Option<String>,
    /// `copay`, `balance` or `prepayment`.
    pub purpose: String,
    pub amount_cents: i64,
    /// `cash`, `check`, `card` or `other`.
    pub method: String,
    /// A check number, the last four digits of a card...
    pub reference: Option<String>,
    /// 1, 2, 3... per practice (counter `receipt`).
    pub receipt_number: i64,
    pub received_at: String,
    pub received_by: String,
    /// Set by the bookkeeping module when it posts the payment to the ledger.
    pub ledger_entry_id: Option<String>,
    pub voided_at: Option<String>,
    pub voided_by: Option<String>,
    pub void_reason: Option<String>,
}

pub async fn insert_payment(conn: &mut AnyConnection, p: &PaymentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO patient_payment (practice_id, id, patient_id, appointment_id, purpose, amount_cents, method, reference, \
         receipt_number, received_at, received_by, ledger_entry_id, voided_at, voided_by, void_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.patient_id)
    .bind(&p.appointment_id)
    .bind(&p.purpose)
    .bind(p.amount_cents)
    .bind(&p.method)
    .bind(&p.reference)
    .bind(p.receipt_number)
    .bind(&p.received_at)
    .bind(&p.received_by)
    .bind(&p.ledger_entry_id)
    .bind(&p.voided_at)
    .bind(&p.voided_by)
    .bind(&p.void_reason)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_payment(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PaymentRow> {
    sqlx::query_as("SELECT * FROM patient_payment WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("payment"))
}

/// The payments taken for an appointment, oldest first.
pub async fn payments_of_appointment(conn: &mut AnyConnection, practice_id: &str, appointment_id: &str) -> Result<Vec<PaymentRow>> {
    Ok(sqlx::query_as("SELECT * FROM patient_payment WHERE practice_id = $1 AND appointment_id = $2 ORDER BY receipt_number LIMIT 100")
        .bind(practice_id)
        .bind(appointment_id)
        .fetch_all(conn)
        .await?)
}

/// The payments received from `from` (inclusive) to `to` (exclusive), RFC 3339 UTC timestamps:
/// the day's takings for the deposit.
pub async fn payments_received_between(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<PaymentRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM patient_payment WHERE practice_id = $1 AND received_at >= $2 AND received_at < $3 \
         ORDER BY receipt_number LIMIT 5000",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Voids a payment not voided yet; `Conflict("payment_already_voided")` otherwise.
pub async fn void_payment(conn: &mut AnyConnection, practice_id: &str, id: &str, at: &str, by: &str, reason: &str) -> Result<PaymentRow> {
    let done = sqlx::query(
        "UPDATE patient_payment SET voided_at = $1, voided_by = $2, void_reason = $3 \
         WHERE practice_id = $4 AND id = $5 AND voided_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(reason)
    .bind(practice_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let row = get_payment(conn, practice_id, id).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("payment_already_voided".into()));
    }
    Ok(row)
}

/// Links a payment to the journal entry that posted it (set once, in the payment's transaction).
pub async fn set_ledger_entry(conn: &mut AnyConnection, practice_id: &str, id: &str, entry_id: &str) -> Result<()> {
    sqlx::query("UPDATE patient_payment SET ledger_entry_id = $1 WHERE practice_id = $2 AND id = $3 AND ledger_entry_id IS NULL")
        .bind(entry_id)
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
