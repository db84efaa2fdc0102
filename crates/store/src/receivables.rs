//! Receivables read from the journal (issue 7): the movements of the AR control accounts
//! (1100 AR - Insurance, 1110 AR - Patients, 1120 AR - Other) with the subledger keys each line
//! carries (patient, payer, claim), for aging, statements, late charges and collections. Nothing
//! here is stored twice: a balance is always the sum of its journal lines.

use crate::Result;
use sqlx::{AnyConnection, FromRow};

/// One journal line of a receivable account, with its subledger keys.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MovementRow {
    pub patient_id: Option<String>,
    pub payer_id: Option<String>,
    pub claim_id: Option<String>,
    pub entry_date: String,
    pub debit_cents: i64,
    pub credit_cents: i64,
}

impl MovementRow {
    /// Debit positive, credit negative.
    pub fn signed_cents(&self) -> i64 {
        self.debit_cents - self.credit_cents
    }
}

const MOVEMENT_COLUMNS: &str = "l.patient_id, l.payer_id, l.claim_id, l.entry_date, l.debit_cents, l.credit_cents";

/// Every line of one account (by its number, e.g. `1110`) dated on or before `as_of`
/// (`YYYY-MM-DD`), ordered by patient, then date: the input of an aging report.
pub async fn movements(conn: &mut AnyConnection, practice_id: &str, account_number: &str, as_of: &str) -> Result<Vec<MovementRow>> {
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.entry_date <= $3 \
         ORDER BY l.patient_id, l.entry_date, l.entry_id, l.line_number"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(account_number).bind(as_of).fetch_all(conn).await?)
}

/// One patient's lines of one account dated on or before `as_of`, oldest first.
pub async fn movements_of_patient(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_number: &str,
    patient_id: &str,
    as_of: &str,
) -> Result<Vec<MovementRow>> {
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND l.patient_id = $2 AND a.number = $3 AND l.entry_date <= $4 \
         ORDER BY l.entry_date, l.entry_id, l.line_number"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(patient_id).bind(account_number).bind(as_of).fetch_all(conn).await?)
}

/// The balance (debits less credits) of one account on `as_of`: what an aging report must tie to.
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

/// The patients with a debit (owing) balance on one account on `as_of`, with that balance, largest
/// first: who gets a statement, a late charge or a place on the collections worklist.
pub async fn patients_owing(conn: &mut AnyConnection, practice_id: &str, account_number: &str, as_of: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT l.patient_id, CAST(SUM(l.debit_cents) - SUM(l.credit_cents) AS BIGINT) AS owing \
         FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.entry_date <= $3 AND l.patient_id IS NOT NULL \
         GROUP BY l.patient_id HAVING SUM(l.debit_cents) > SUM(l.credit_cents) \
         ORDER BY owing DESC, l.patient_id",
    )
    .bind(practice_id)
    .bind(account_number)
    .bind(as_of)
    .fetch_all(conn)
    .await?)
}

/// A claim's keys for the aging reports: its payer and rendering provider.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ClaimKeysRow {
    pub id: String,
    pub claim_number: i64,
    pub payer_id: String,
    pub rendering_provider_id: String,
}

/// Every claim of the practice with a line on AR - Insurance or AR - Patients: how the aging by
/// payer and by provider find a line's payer and provider.
pub async fn claim_keys(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<ClaimKeysRow>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.claim_number, c.payer_id, c.rendering_provider_id FROM claim c \
         WHERE c.practice_id = $1 AND EXISTS (SELECT 1 FROM journal_line l WHERE l.practice_id = c.practice_id AND l.claim_id = c.id)",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// A patient's name and MRN, as a report row shows them.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PatientLabelRow {
    pub id: String,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
}

/// The name and MRN of every patient with at least one journal line, and of every guarantor (the
/// only ones an aging report can name), in one query rather than one per row.
pub async fn patient_labels(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<PatientLabelRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.mrn, p.family_name, p.given_name FROM patient p WHERE p.practice_id = $1 \
         AND (EXISTS (SELECT 1 FROM journal_line l WHERE l.practice_id = p.practice_id AND l.patient_id = p.id) \
         OR EXISTS (SELECT 1 FROM patient_guarantor g WHERE g.practice_id = p.practice_id AND g.guarantor_patient_id = p.id))",
    )
    .bind(practice_id)
    .fetch_all(conn)
    .await?)
}

/// Every payer's id and name.
pub async fn payer_names(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT id, name FROM payer WHERE practice_id = $1").bind(practice_id).fetch_all(conn).await?)
}

/// Every provider's id and name (`Given Family, CREDENTIALS`).
pub async fn provider_names(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, given_name, family_name, credentials FROM provider WHERE practice_id = $1")
            .bind(practice_id)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, given, family, credentials)| {
            let name = match credentials.filter(|c| !c.trim().is_empty()) {
                Some(c) => format!("{given} {family}, {c}"),
                None => format!("{given} {family}"),
            };
            (id, name)
        })
        .collect())
}

/// The debits and credits of one account dated from `from` to `to` (both included, `YYYY-MM-DD`).
pub async fn account_activity(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_number: &str,
    from: &str,
    to: &str,
) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents), 0) AS BIGINT), CAST(COALESCE(SUM(l.credit_cents), 0) AS BIGINT) \
         FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.entry_date >= $3 AND l.entry_date <= $4",
    )
    .bind(practice_id)
    .bind(account_number)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}

/// Money received against receivables from `from` to `to` (both included): the net debits to
/// Cash - Operating (1000) and Undeposited funds (1010) of entries that credit or debit an AR
/// control account, split into (from payers, from patients). An entry that touches AR - Insurance
/// (a remittance) counts as a payer's; one that touches only AR - Patients (a co-pay, a payment
/// at any time, their voids, a refund) as a patient's. Deposits (cash to cash) touch no AR and
/// are not counted twice.
pub async fn payments_received(conn: &mut AnyConnection, practice_id: &str, from: &str, to: &str) -> Result<(i64, i64)> {
    let touches = |numbers: &str| {
        format!(
            "EXISTS (SELECT 1 FROM journal_line o JOIN ledger_account oa ON oa.practice_id = o.practice_id AND oa.id = o.account_id \
             WHERE o.practice_id = l.practice_id AND o.entry_id = l.entry_id AND oa.number IN ({numbers}))"
        )
    };
    let sql = format!(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN {ins} THEN l.debit_cents - l.credit_cents ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN NOT {ins} AND {pat} THEN l.debit_cents - l.credit_cents ELSE 0 END), 0) AS BIGINT) \
         FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number IN ('1000', '1010') AND l.entry_date >= $2 AND l.entry_date <= $3",
        ins = touches("'1100'"),
        pat = touches("'1110'"),
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(from).bind(to).fetch_one(conn).await?)
}

/// Every line of one account dated on or before `as_of`, in no particular order: the aging
/// reports group and sort them in memory anyway, and leaving the sort out of the query saves the
/// database a sort of the whole account (seconds at a million lines on SQLite).
pub async fn movements_unsorted(
    conn: &mut AnyConnection,
    practice_id: &str,
    account_number: &str,
    as_of: &str,
) -> Result<Vec<MovementRow>> {
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND a.number = $2 AND l.entry_date <= $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(practice_id).bind(account_number).bind(as_of).fetch_all(conn).await?)
}
