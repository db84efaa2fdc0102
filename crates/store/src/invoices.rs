//! Third-party invoices' tables (migration 0031_invoices): `third_party`, `invoice`,
//! `invoice_line`, `invoice_payment`, `invoice_late_charge`. Every money row's journal entry is
//! posted by the caller (`medoffice_app::invoices`) in the same transaction.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

/// The most invoices a list or an aging report reads (a practice issues tens a month).
pub const MAX_INVOICES: i64 = 20_000;

/// A bill-to account.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ThirdPartyRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    /// `employer`, `school`, `attorney`, `practice` or `other`.
    pub kind: String,
    pub contact: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
    /// `PaymentTerms::as_text`.
    pub payment_terms: String,
    pub late_rate_basis_points: i64,
    pub late_flat_fee_cents: i64,
    pub late_grace_days: i64,
    pub late_minimum_cents: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// An invoice's header.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InvoiceRow {
    pub practice_id: String,
    pub id: String,
    pub third_party_id: String,
    pub invoice_number: i64,
    pub invoice_date: String,
    pub due_date: String,
    pub payment_terms: String,
    pub memo: Option<String>,
    pub total_cents: i64,
    /// `open`, `partially_paid`, `paid` or `void`.
    pub status: String,
    pub journal_entry_id: String,
    pub void_date: Option<String>,
    pub void_reason: Option<String>,
    pub void_entry_id: Option<String>,
    pub voided_by: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// One printed line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InvoiceLineRow {
    pub practice_id: String,
    pub invoice_id: String,
    pub line_number: i64,
    pub description: String,
    pub service_date: Option<String>,
    pub amount_cents: i64,
}

/// A payment received on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InvoicePaymentRow {
    pub practice_id: String,
    pub id: String,
    pub invoice_id: String,
    pub receipt_number: i64,
    pub payment_date: String,
    /// `check`, `ach` or `card`.
    pub method: String,
    pub reference: String,
    pub amount_cents: i64,
    pub journal_entry_id: String,
    pub received_by: String,
    pub received_at: String,
}

/// A late charge on an invoice, reversed or not.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LateChargeRow {
    pub practice_id: String,
    pub id: String,
    pub invoice_id: String,
    pub charge_date: String,
    pub amount_cents: i64,
    pub past_due_cents: i64,
    pub days_past_due: i64,
    pub journal_entry_id: String,
    pub reversal_date: Option<String>,
    pub reversal_reason: Option<String>,
    pub reversal_entry_id: Option<String>,
    pub reversed_by: Option<String>,
    pub created_at: String,
}

pub async fn insert_third_party(conn: &mut AnyConnection, p: &ThirdPartyRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO third_party (practice_id, id, name, kind, contact, address, email, payment_terms, late_rate_basis_points, \
         late_flat_fee_cents, late_grace_days, late_minimum_cents, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.kind)
    .bind(&p.contact)
    .bind(&p.address)
    .bind(&p.email)
    .bind(&p.payment_terms)
    .bind(p.late_rate_basis_points)
    .bind(p.late_flat_fee_cents)
    .bind(p.late_grace_days)
    .bind(p.late_minimum_cents)
    .bind(&p.created_at)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a party's fields (id, practice and creation time stay).
pub async fn update_third_party(conn: &mut AnyConnection, p: &ThirdPartyRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE third_party SET name = $3, kind = $4, contact = $5, address = $6, email = $7, payment_terms = $8, \
         late_rate_basis_points = $9, late_flat_fee_cents = $10, late_grace_days = $11, late_minimum_cents = $12, updated_at = $13 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.kind)
    .bind(&p.contact)
    .bind(&p.address)
    .bind(&p.email)
    .bind(&p.payment_terms)
    .bind(p.late_rate_basis_points)
    .bind(p.late_flat_fee_cents)
    .bind(p.late_grace_days)
    .bind(p.late_minimum_cents)
    .bind(&p.updated_at)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("third party"));
    }
    Ok(())
}

/// Parties by name (2000 at most).
pub async fn list_third_parties(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<ThirdPartyRow>> {
    Ok(sqlx::query_as("SELECT * FROM third_party WHERE practice_id = $1 ORDER BY name, id LIMIT 2000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}

pub async fn get_third_party(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<ThirdPartyRow> {
    sqlx::query_as("SELECT * FROM third_party WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("third party"))
}

/// Inserts an invoice and its lines (the caller's transaction makes them one write).
pub async fn insert_invoice(conn: &mut AnyConnection, i: &InvoiceRow, lines: &[InvoiceLineRow]) -> Result<()> {
    sqlx::query(
        "INSERT INTO invoice (practice_id, id, third_party_id, invoice_number, invoice_date, due_date, payment_terms, memo, total_cents, \
         status, journal_entry_id, void_date, void_reason, void_entry_id, voided_by, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&i.practice_id)
    .bind(&i.id)
    .bind(&i.third_party_id)
    .bind(i.invoice_number)
    .bind(&i.invoice_date)
    .bind(&i.due_date)
    .bind(&i.payment_terms)
    .bind(&i.memo)
    .bind(i.total_cents)
    .bind(&i.status)
    .bind(&i.journal_entry_id)
    .bind(&i.void_date)
    .bind(&i.void_reason)
    .bind(&i.void_entry_id)
    .bind(&i.voided_by)
    .bind(&i.created_by)
    .bind(&i.created_at)
    .execute(&mut *conn)
    .await?;
    for l in lines {
        sqlx::query(
            "INSERT INTO invoice_line (practice_id, invoice_id, line_number, description, service_date, amount_cents) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&l.practice_id)
        .bind(&l.invoice_id)
        .bind(l.line_number)
        .bind(&l.description)
        .bind(&l.service_date)
        .bind(l.amount_cents)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn get_invoice(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<InvoiceRow> {
    sqlx::query_as("SELECT * FROM invoice WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("invoice"))
}

/// Makes writers of one invoice (a payment, a void, a late charge) queue: a no-op update takes the
/// row's lock on PostgreSQL (SQLite's writers are serial already).
pub async fn lock_invoice(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<()> {
    let done = sqlx::query("UPDATE invoice SET status = status WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("invoice"));
    }
    Ok(())
}

pub async fn invoice_lines(conn: &mut AnyConnection, practice_id: &str, invoice_id: &str) -> Result<Vec<InvoiceLineRow>> {
    Ok(sqlx::query_as("SELECT * FROM invoice_line WHERE practice_id = $1 AND invoice_id = $2 ORDER BY line_number")
        .bind(practice_id)
        .bind(invoice_id)
        .fetch_all(conn)
        .await?)
}

/// Invoices, newest first ([`MAX_INVOICES`] at most), of one party when given.
pub async fn list_invoices(conn: &mut AnyConnection, practice_id: &str, third_party_id: Option<&str>) -> Result<Vec<InvoiceRow>> {
    Ok(sqlx::query_as(
        "SELECT * FROM invoice WHERE practice_id = $1 AND ($2 = '' OR third_party_id = $2) \
         ORDER BY invoice_number DESC LIMIT $3",
    )
    .bind(practice_id)
    .bind(third_party_id.unwrap_or(""))
    .bind(MAX_INVOICES)
    .fetch_all(conn)
    .await?)
}

pub async fn set_invoice_status(conn: &mut AnyConnection, practice_id: &str, id: &str, status: &str) -> Result<()> {
    sqlx::query("UPDATE invoice SET status = $3 WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks an invoice void with the reversal's entry.
pub async fn void_invoice(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    void_date: &str,
    reason: &str,
    entry_id: &str,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE invoice SET status = 'void', void_date = $3, void_reason = $4, void_entry_id = $5, voided_by = $6 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(id)
    .bind(void_date)
    .bind(reason)
    .bind(entry_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_payment(conn: &mut AnyConnection, p: &InvoicePaymentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO invoice_payment (practice_id, id, invoice_id, receipt_number, payment_date, method, reference, amount_cents, \
         journal_entry_id, received_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.invoice_id)
    .bind(p.receipt_number)
    .bind(&p.payment_date)
    .bind(&p.method)
    .bind(&p.reference)
    .bind(p.amount_cents)
    .bind(&p.journal_entry_id)
    .bind(&p.received_by)
    .bind(&p.received_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An invoice's payments, oldest first.
pub async fn payments_of_invoice(conn: &mut AnyConnection, practice_id: &str, invoice_id: &str) -> Result<Vec<InvoicePaymentRow>> {
    Ok(sqlx::query_as("SELECT * FROM invoice_payment WHERE practice_id = $1 AND invoice_id = $2 ORDER BY payment_date, receipt_number")
        .bind(practice_id)
        .bind(invoice_id)
        .fetch_all(conn)
        .await?)
}

/// Every invoice payment of the practice (for the aging of all invoices at once).
pub async fn all_payments(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<InvoicePaymentRow>> {
    Ok(sqlx::query_as("SELECT * FROM invoice_payment WHERE practice_id = $1").bind(practice_id).fetch_all(conn).await?)
}

pub async fn insert_late_charge(conn: &mut AnyConnection, c: &LateChargeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO invoice_late_charge (practice_id, id, invoice_id, charge_date, amount_cents, past_due_cents, days_past_due, \
         journal_entry_id, reversal_date, reversal_reason, reversal_entry_id, reversed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.practice_id)
    .bind(&c.id)
    .bind(&c.invoice_id)
    .bind(&c.charge_date)
    .bind(c.amount_cents)
    .bind(c.past_due_cents)
    .bind(c.days_past_due)
    .bind(&c.journal_entry_id)
    .bind(&c.reversal_date)
    .bind(&c.reversal_reason)
    .bind(&c.reversal_entry_id)
    .bind(&c.reversed_by)
    .bind(&c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An invoice's late charges, oldest first.
pub async fn late_charges_of_invoice(conn: &mut AnyConnection, practice_id: &str, invoice_id: &str) -> Result<Vec<LateChargeRow>> {
    Ok(sqlx::query_as("SELECT * FROM invoice_late_charge WHERE practice_id = $1 AND invoice_id = $2 ORDER BY charge_date, id")
        .bind(practice_id)
        .bind(invoice_id)
        .fetch_all(conn)
        .await?)
}

/// Every late charge of the practice (for the aging of all invoices at once).
pub async fn all_late_charges(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<LateChargeRow>> {
    Ok(sqlx::query_as("SELECT * FROM invoice_late_charge WHERE practice_id = $1").bind(practice_id).fetch_all(conn).await?)
}

pub async fn get_late_charge(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<LateChargeRow> {
    sqlx::query_as("SELECT * FROM invoice_late_charge WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("late charge"))
}

/// Marks a late charge reversed with the reversal's entry.
pub async fn reverse_late_charge(
    conn: &mut AnyConnection,
    practice_id: &str,
    id: &str,
    date: &str,
    reason: &str,
    entry_id: &str,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE invoice_late_charge SET reversal_date = $3, reversal_reason = $4, reversal_entry_id = $5, reversed_by = $6 \
         WHERE practice_id = $1 AND id = $2",
    )
    .bind(practice_id)
    .bind(id)
    .bind(date)
    .bind(reason)
    .bind(entry_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The balance (debits less credits) of one account (by number) on `as_of`: what the aging of
/// the invoices ties to.
pub async fn account_balance(conn: &mut AnyConnection, practice_id: &str, account_number: &str, as_of: &str) -> Result<i64> {
    let (balance,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents), 0) - COALESCE(SUM(l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.entry_date <= $3",
    )
    .bind(practice_id)
    .bind(account_number)
    .bind(as_of)
    .fetch_one(conn)
    .await?;
    Ok(balance)
}
