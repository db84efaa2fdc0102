//! Accounts payable's tables (migration 0010_payables): `vendor`, `bill`, `bill_line`. A bill's
//! journal entry is posted by the caller (`medoffice_app::payables`) in the same transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// A vendor.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct VendorRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub tax_id: Option<String>,
    pub default_expense_account: Option<String>,
    /// `PaymentTerms::as_text`.
    pub payment_terms: String,
    /// 1 when payments are reported on a 1099.
    pub is_1099: i64,
    pub created_at: String,
}

/// A bill's header.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct BillRow {
    pub practice_id: String,
    pub id: String,
    pub vendor_id: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub memo: Option<String>,
    pub total_cents: i64,
    /// `open` or `paid`.
    pub status: String,
    pub journal_entry_id: String,
    pub created_by: String,
    pub created_at: String,
}

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct BillLineRow {
    pub practice_id: String,
    pub bill_id: String,
    pub line_number: i64,
    pub account_number: String,
    pub amount_cents: i64,
    pub memo: Option<String>,
}

/// A bill with its vendor's name, for lists.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BillListRow {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub payment_terms: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub total_cents: i64,
    pub status: String,
    pub journal_entry_id: String,
}

pub async fn insert_vendor(conn: &mut AnyConnection, v: &VendorRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO vendor (practice_id, id, name, address, contact, tax_id, default_expense_account, payment_terms, is_1099, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&v.practice_id)
    .bind(&v.id)
    .bind(&v.name)
    .bind(&v.address)
    .bind(&v.contact)
    .bind(&v.tax_id)
    .bind(&v.default_expense_account)
    .bind(&v.payment_terms)
    .bind(v.is_1099)
    .bind(&v.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Vendors by name (a practice has tens to hundreds; 2000 at most here).
pub async fn list_vendors(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<VendorRow>> {
    Ok(sqlx::query_as("SELECT * FROM vendor WHERE practice_id = $1 ORDER BY name, id LIMIT 2000").bind(practice_id).fetch_all(conn).await?)
}

pub async fn get_vendor(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<VendorRow> {
    sqlx::query_as("SELECT * FROM vendor WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("vendor"))
}

/// Whether the vendor already has a bill with this number.
pub async fn bill_number_taken(conn: &mut AnyConnection, practice_id: &str, vendor_id: &str, bill_number: &str) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM bill WHERE practice_id = $1 AND vendor_id = $2 AND bill_number = $3")
        .bind(practice_id)
        .bind(vendor_id)
        .bind(bill_number)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Inserts a bill and its lines (the caller's transaction makes them one write);
/// `Conflict("bill_number_unique")` (or SQLite's column list) for a number the vendor used.
pub async fn insert_bill(conn: &mut AnyConnection, b: &BillRow, lines: &[BillLineRow]) -> Result<()> {
    sqlx::query(
        "INSERT INTO bill (practice_id, id, vendor_id, bill_number, bill_date, due_date, memo, total_cents, status, journal_entry_id, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&b.practice_id)
    .bind(&b.id)
    .bind(&b.vendor_id)
    .bind(&b.bill_number)
    .bind(&b.bill_date)
    .bind(&b.due_date)
    .bind(&b.memo)
    .bind(b.total_cents)
    .bind(&b.status)
    .bind(&b.journal_entry_id)
    .bind(&b.created_by)
    .bind(&b.created_at)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO bill_line (practice_id, bill_id, line_number, account_number, amount_cents, memo) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&l.practice_id)
        .bind(&l.bill_id)
        .bind(l.line_number)
        .bind(&l.account_number)
        .bind(l.amount_cents)
        .bind(&l.memo)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Open bills by due date (the earliest, so the overdue ones, first), at most `limit`.
pub async fn open_bills_by_due(conn: &mut AnyConnection, practice_id: &str, limit: i64) -> Result<Vec<BillListRow>> {
    Ok(sqlx::query_as(
        "SELECT b.id, b.vendor_id, v.name AS vendor_name, v.payment_terms, b.bill_number, b.bill_date, b.due_date, b.total_cents, \
         b.status, b.journal_entry_id FROM bill b JOIN vendor v ON v.practice_id = b.practice_id AND v.id = b.vendor_id \
         WHERE b.practice_id = $1 AND b.status = 'open' ORDER BY b.due_date, v.name, b.bill_number LIMIT $2",
    )
    .bind(practice_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Changes a vendor's fields (everything but its id and creation time).
pub async fn update_vendor(conn: &mut AnyConnection, v: &VendorRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE vendor SET name = $3, address = $4, contact = $5, tax_id = $6, default_expense_account = $7, payment_terms = $8, \
         is_1099 = $9 WHERE practice_id = $1 AND id = $2",
    )
    .bind(&v.practice_id)
    .bind(&v.id)
    .bind(&v.name)
    .bind(&v.address)
    .bind(&v.contact)
    .bind(&v.tax_id)
    .bind(&v.default_expense_account)
    .bind(&v.payment_terms)
    .bind(v.is_1099)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("vendor"));
    }
    Ok(())
}

/// Each vendor's balance on the accounts payable account (`ap_number`): credits less debits of
/// the lines that name the vendor, so bills less payments, tied to the control account.
pub async fn vendor_open_balances(conn: &mut AnyConnection, practice_id: &str, ap_number: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT jl.vendor_id, CAST(SUM(jl.credit_cents - jl.debit_cents) AS BIGINT) FROM journal_line jl \
         JOIN ledger_account a ON a.practice_id = jl.practice_id AND a.id = jl.account_id \
         WHERE jl.practice_id = $1 AND a.number = $2 AND jl.vendor_id IS NOT NULL GROUP BY jl.vendor_id",
    )
    .bind(practice_id)
    .bind(ap_number)
    .fetch_all(conn)
    .await?)
}

/// Bills newest first (by bill date), optionally of one status and of one vendor, at most `limit`.
pub async fn list_bills(
    conn: &mut AnyConnection,
    practice_id: &str,
    status: Option<&str>,
    vendor_id: Option<&str>,
    limit: i64,
) -> Result<Vec<BillListRow>> {
    Ok(sqlx::query_as(
        "SELECT b.id, b.vendor_id, v.name AS vendor_name, v.payment_terms, b.bill_number, b.bill_date, b.due_date, b.total_cents, \
         b.status, b.journal_entry_id FROM bill b JOIN vendor v ON v.practice_id = b.practice_id AND v.id = b.vendor_id \
         WHERE b.practice_id = $1 AND ($2 = '' OR b.status = $2) AND ($3 = '' OR b.vendor_id = $3) \
         ORDER BY b.bill_date DESC, v.name, b.bill_number LIMIT $4",
    )
    .bind(practice_id)
    .bind(status.unwrap_or(""))
    .bind(vendor_id.unwrap_or(""))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn get_bill(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<BillRow> {
    sqlx::query_as("SELECT * FROM bill WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("bill"))
}

/// A bill's lines in order.
pub async fn bill_lines(conn: &mut AnyConnection, practice_id: &str, bill_id: &str) -> Result<Vec<BillLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM bill_line WHERE practice_id = $1 AND bill_id = $2 ORDER BY line_number")
        .bind(practice_id)
        .bind(bill_id)
        .fetch_all(conn)
        .await?)
}
