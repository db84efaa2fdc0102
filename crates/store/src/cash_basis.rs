//! What cash-basis reports read besides the daily totals: the lines of the entries that touch a
//! receivable or payable control account, and the bill lines behind each bill payment (see
//! `medoffice_domain::ledger::cash_basis`).

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// A line of an entry that touches a control account.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ControlEntryLineRow {
    pub entry_id: String,
    pub account_id: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

/// Every line of the entries dated `from..=to` that have a line on one of `control_account_ids`,
/// ordered by entry. Found through the lines-by-account index, then each entry's lines by key.
pub async fn lines_of_control_entries(
    conn: &mut AnyConnection,
    practice_id: &str,
    from: &str,
    to: &str,
    control_account_ids: &[String],
) -> Result<Vec<ControlEntryLineRow>> {
    if control_account_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..control_account_ids.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "SELECT l.entry_id, l.account_id, l.debit_cents, l.credit_cents FROM journal_line l \
         WHERE l.practice_id = $1 AND l.entry_id IN ( \
           SELECT DISTINCT c.entry_id FROM journal_line c WHERE c.practice_id = $1 AND c.entry_date >= $2 AND c.entry_date <= $3 \
           AND c.account_id IN ({})) \
         ORDER BY l.entry_id, l.line_number",
        placeholders.join(", ")
    );
    // Only numbered placeholders are formatted into the text; the ids are bound.
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(from).bind(to);
    for id in control_account_ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(conn).await?)
}

/// One bill line behind a bill payment's entry (or its void's): the cash the payment applied to
/// the bill, the bill's total, and the line's account and amount.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PaymentBillLineRow {
    pub journal_entry_id: String,
    pub void_entry_id: Option<String>,
    pub applied_cents: i64,
    pub bill_total_cents: i64,
    pub account_number: String,
    pub line_cents: i64,
}

/// The bill lines behind the payments paid or voided on `from..=to`.
pub async fn bill_lines_of_payments(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<Vec<PaymentBillLineRow>> {
    Ok(sqlx::query_as(
        "SELECT p.journal_entry_id, p.void_entry_id, a.amount_cents AS applied_cents, b.total_cents AS bill_total_cents, \
         bl.account_number, bl.amount_cents AS line_cents \
         FROM bill_payment p \
         JOIN bill_payment_application a ON a.practice_id = p.practice_id AND a.payment_id = p.id \
         JOIN bill b ON b.practice_id = a.practice_id AND b.id = a.bill_id \
         JOIN bill_line bl ON bl.practice_id = b.practice_id AND bl.bill_id = b.id \
         WHERE p.practice_id = $1 AND ((p.payment_date >= $2 AND p.payment_date <= $3) OR (p.void_date >= $2 AND p.void_date <= $3)) \
         ORDER BY p.journal_entry_id, b.id, bl.line_number",
    )
    .bind(practice_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// The date of the latest entry of a source kind dated on or before `as_of` (the last year-end
/// close before a date), if any.
pub async fn latest_entry_date_of_source(
    conn: &mut AnyConnection,
    practice_id: &str,
    source_kind: &str,
    as_of: &str,
) -> Result<Option<String>> {
    let (date,): (Option<String>,) =
        sqlx::query_as("SELECT MAX(entry_date) FROM journal_entry WHERE practice_id = $1 AND source_kind = $2 AND entry_date <= $3")
            .bind(practice_id)
            .bind(source_kind)
            .bind(as_of)
            .fetch_one(conn)
            .await?;
    Ok(date)
}
