//! Paying vendors' bills (migration 0011_bill_payments): `bill_payment`, one check or ACH transfer
//! to one vendor, and `bill_payment_application`, what it settled of each bill. A bill's open
//! balance is its total less the applications of payments that are not voided; the caller
//! (`medoffice_app::bill_payments`) posts each payment's entry in the same transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A payment to a vendor.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PaymentRow {
    pub practice_id: String,
    pub id: String,
    pub vendor_id: String,
    pub payment_date: String,
    /// `check` or `ach`.
    pub method: String,
    /// The check number or the transfer's reference.
    pub reference: String,
    /// The number of the cash account paid from.
    pub cash_account: String,
    /// The cash paid.
    pub amount_cents: i64,
    /// The early-payment discount taken.
    pub discount_cents: i64,
    pub journal_entry_id: String,
    /// `posted` or `voided`.
    pub status: String,
    pub void_date: Option<String>,
    pub void_entry_id: Option<String>,
    pub voided_by: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// What a payment settled of one bill.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ApplicationRow {
    pub practice_id: String,
    pub payment_id: String,
    pub bill_id: String,
    pub amount_cents: i64,
    pub discount_cents: i64,
}

/// An application with its bill's number, for showing a payment.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ApplicationListRow {
    pub bill_id: String,
    pub bill_number: String,
    pub amount_cents: i64,
    pub discount_cents: i64,
}

/// A payment with its vendor's name, for the check register.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PaymentListRow {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub payment_date: String,
    pub method: String,
    pub reference: String,
    pub cash_account: String,
    pub amount_cents: i64,
    pub discount_cents: i64,
    pub journal_entry_id: String,
    pub status: String,
    pub void_date: Option<String>,
    pub void_entry_id: Option<String>,
}

/// A bill with its vendor and what has been settled of it, for paying and aging.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PayableBillRow {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub payment_terms: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub total_cents: i64,
    /// `open` or `paid`.
    pub status: String,
    /// Cash and discount of the applications counted (see each query).
    pub settled_cents: i64,
}

/// A 1099 vendor's cash paid over a range of dates.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct VendorPaidRow {
    pub vendor_id: String,
    pub vendor_name: String,
    pub tax_id: Option<String>,
    pub address: Option<String>,
    pub paid_cents: i64,
    pub payments: i64,
}

/// What of a bill the applications of payments not voided have settled.
const SETTLED_NOW: &str = "CAST(COALESCE((SELECT SUM(a.amount_cents + a.discount_cents) FROM bill_payment_application a \
     JOIN bill_payment p ON p.practice_id = a.practice_id AND p.id = a.payment_id \
     WHERE a.practice_id = b.practice_id AND a.bill_id = b.id AND p.status = 'posted'), 0) AS BIGINT)";

/// Takes the bill's row lock before its balance is read, so two payment runs paying the same
/// bill queue instead of both settling it (a no-op update: a row lock on PostgreSQL, implied by
/// SQLite's single writer). `NotFound("bill")` when there is no such bill.
pub async fn lock_bill(conn: &mut AnyConnection, practice_id: &str, bill_id: &str) -> Result<()> {
    let done = sqlx::query("UPDATE bill SET status = status WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(bill_id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 { Err(StoreError::NotFound("bill")) } else { Ok(()) }
}

/// One bill with its vendor and what payments not voided have settled of it.
pub async fn payable_bill(conn: &mut AnyConnection, practice_id: &str, bill_id: &str) -> Result<PayableBillRow> {
    let sql = format!(
        "SELECT b.id, b.vendor_id, v.name AS vendor_name, v.payment_terms, b.bill_number, b.bill_date, b.due_date, b.total_cents, \
         b.status, {SETTLED_NOW} AS settled_cents FROM bill b JOIN vendor v ON v.practice_id = b.practice_id AND v.id = b.vendor_id \
         WHERE b.practice_id = $1 AND b.id = $2"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(bill_id).fetch_optional(conn).await?.ok_or(StoreError::NotFound("bill"))
}

/// What payments not voided have settled of each open bill that has any (bill id, cents).
pub async fn settled_of_open_bills(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT a.bill_id, CAST(SUM(a.amount_cents + a.discount_cents) AS BIGINT) FROM bill_payment_application a \
         JOIN bill_payment p ON p.practice_id = a.practice_id AND p.id = a.payment_id \
         JOIN bill b ON b.practice_id = a.practice_id AND b.id = a.bill_id \
         WHERE a.practice_id = $1 AND p.status = 'posted' AND b.status = 'open' GROUP BY a.bill_id",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// Sets a bill's status (`open` or `paid`).
pub async fn set_bill_status(conn: &mut AnyConnection, practice_id: &str, bill_id: &str, status: &str) -> Result<()> {
    sqlx::query("UPDATE bill SET status = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(bill_id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a check with this number was written on the account (voided ones included).
pub async fn check_number_taken(conn: &mut AnyConnection, practice_id: &str, cash_account: &str, reference: &str) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM bill_payment WHERE practice_id = $1 AND cash_account = $2 AND reference = $3 AND method = 'check'",
    )
    .bind(practice_id)
    .bind(cash_account)
    .bind(reference)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A counter's value, if it was ever set.
pub async fn counter_value(conn: &mut AnyConnection, practice_id: &str, name: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT value FROM counter WHERE practice_id = $1 AND name = $2")
        .bind(practice_id)
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Raises a counter to `value` (never lowers it): the last check number written on an account.
pub async fn raise_counter(conn: &mut AnyConnection, practice_id: &str, name: &str, value: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO counter (practice_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (practice_id, name) \
         DO UPDATE SET value = CASE WHEN counter.value < excluded.value THEN excluded.value ELSE counter.value END",
    )
    .bind(practice_id)
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a payment and its applications (the caller's transaction makes them one write).
pub async fn insert_payment(conn: &mut AnyConnection, p: &PaymentRow, applications: &[ApplicationRow]) -> Result<()> {
    sqlx::query(
        "INSERT INTO bill_payment (practice_id, id, vendor_id, payment_date, method, reference, cash_account, amount_cents, \
         discount_cents, journal_entry_id, status, void_date, void_entry_id, voided_by, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.vendor_id)
    .bind(&p.payment_date)
    .bind(&p.method)
    .bind(&p.reference)
    .bind(&p.cash_account)
    .bind(p.amount_cents)
    .bind(p.discount_cents)
    .bind(&p.journal_entry_id)
    .bind(&p.status)
    .bind(&p.void_date)
    .bind(&p.void_entry_id)
    .bind(&p.voided_by)
    .bind(&p.created_by)
    .bind(&p.created_at)
    .execute(&mut *conn)
    .await?;
    for a in applications {
        sqlx::query(
            "INSERT INTO bill_payment_application (practice_id, payment_id, bill_id, amount_cents, discount_cents) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&a.practice_id)
        .bind(&a.payment_id)
        .bind(&a.bill_id)
        .bind(a.amount_cents)
        .bind(a.discount_cents)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_payment(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PaymentRow> {
    sqlx::query_as("SELECT * FROM bill_payment WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("bill payment"))
}

/// The bills a payment paid, by bill number.
pub async fn applications_of(conn: &mut AnyConnection, practice_id: &str, payment_id: &str) -> Result<Vec<ApplicationListRow>> {
    Ok(sqlx::query_as(
        "SELECT a.bill_id, b.bill_number, a.amount_cents, a.discount_cents FROM bill_payment_application a \
         JOIN bill b ON b.practice_id = a.practice_id AND b.id = a.bill_id \
         WHERE a.practice_id = $1 AND a.payment_id = $2 ORDER BY b.bill_number",
    )
    .bind(practice_id)
    .bind(payment_id)
    .fetch_all(conn)
    .await?)
}

/// Marks a posted payment voided; false when it was not posted (voided meanwhile).
pub async fn mark_voided(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    void_date: &str,
    void_entry_id: &str,
    voided_by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE bill_payment SET status = 'voided', void_date = $3, void_entry_id = $4, voided_by = $5 \
         WHERE practice_id = $1 AND id = $2 AND status = 'posted'",
    )
    .bind(practice_id)
    .bind(id)
    .bind(void_date)
    .bind(void_entry_id)
    .bind(voided_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Payments dated `from..=to` (voided ones included) by date, at most `limit`.
pub async fn payments_between(
    conn: &mut AnyConnection,
    practice_id: &str,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<PaymentListRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.vendor_id, v.name AS vendor_name, p.payment_date, p.method, p.reference, p.cash_account, p.amount_cents, \
         p.discount_cents, p.journal_entry_id, p.status, p.void_date, p.void_entry_id FROM bill_payment p \
         JOIN vendor v ON v.practice_id = p.practice_id AND v.id = p.vendor_id \
         WHERE p.practice_id = $1 AND p.payment_date >= $2 AND p.payment_date <= $3 \
         ORDER BY p.payment_date, p.method, p.reference, p.id LIMIT $4",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The bills dated on or before `as_of` that were not settled in full as of that day, with what
/// was settled of them by then: applications of payments dated by `as_of` and not voided by
/// then (a payment voided later still counts, as its reversal is dated later too). By vendor's
/// name and due date, at most `limit`.
pub async fn bills_open_as_of(conn: &mut AnyConnection, practice_id: &str, as_of: &str, limit: i64) -> Result<Vec<PayableBillRow>> {
    Ok(sqlx::query_as(
        // Only two kinds of bill can have been open on the date: those open now, and those a
        // payment dated after it settled (a bill paid now by payments all dated on or before the
        // date was paid then too). Reading just those keeps the aging fast with years of paid
        // bills; each candidate's settled amount as of the date then decides.
        "WITH candidate AS (SELECT id FROM bill WHERE practice_id = $1 AND status = 'open' \
         UNION SELECT a.bill_id AS id FROM bill_payment p JOIN bill_payment_application a ON a.practice_id = p.practice_id AND a.payment_id = p.id \
         WHERE p.practice_id = $1 AND p.payment_date > $2) \
         SELECT * FROM (SELECT b.id, b.vendor_id, v.name AS vendor_name, v.payment_terms, b.bill_number, b.bill_date, b.due_date, \
         b.total_cents, b.status, CAST(COALESCE((SELECT SUM(a.amount_cents + a.discount_cents) FROM bill_payment_application a \
         JOIN bill_payment p ON p.practice_id = a.practice_id AND p.id = a.payment_id \
         WHERE a.practice_id = b.practice_id AND a.bill_id = b.id AND p.payment_date <= $2 \
         AND (p.status = 'posted' OR p.void_date > $2)), 0) AS BIGINT) AS settled_cents \
         FROM candidate c JOIN bill b ON b.practice_id = $1 AND b.id = c.id \
         JOIN vendor v ON v.practice_id = b.practice_id AND v.id = b.vendor_id \
         WHERE b.bill_date <= $2) x WHERE x.settled_cents < x.total_cents \
         ORDER BY x.vendor_name, x.vendor_id, x.due_date, x.bill_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(as_of)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The cash paid to each 1099 vendor by payments dated `from..=to` and not voided, by name.
pub async fn paid_to_1099_vendors(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<VendorPaidRow>> {
    Ok(sqlx::query_as(
        "SELECT v.id AS vendor_id, v.name AS vendor_name, v.tax_id, v.address, CAST(SUM(p.amount_cents) AS BIGINT) AS paid_cents, \
         CAST(COUNT(*) AS BIGINT) AS payments FROM bill_payment p JOIN vendor v ON v.practice_id = p.practice_id AND v.id = p.vendor_id \
         WHERE p.practice_id = $1 AND v.is_1099 = 1 AND p.status = 'posted' AND p.payment_date >= $2 AND p.payment_date <= $3 \
         GROUP BY v.id, v.name, v.tax_id, v.address ORDER BY v.name, v.id",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
