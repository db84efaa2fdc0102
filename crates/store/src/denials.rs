//! The denial worklist's reads (issue 7, migration 0029): the claims a payer denied or paid only
//! in part, each with what it still owes in AR - Insurance (the sum of its 1100 journal lines by
//! `claim_id`, never stored twice) and when it reached that status.

use crate::Result;
use crate::claims::ClaimListRow;
use sqlx::{AnyConnection, FromRow};

/// The most claims the worklist reads at once.
pub const WORKLIST_LIMIT: i64 = 500;

/// A denied or partially paid claim with its names, its balance with the payer and when it got
/// its status.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DenialRow {
    #[sqlx(flatten)]
    pub listed: ClaimListRow,
    /// The claim's AR - Insurance balance (debits less credits on 1100 with its `claim_id`).
    pub ar_insurance_cents: i64,
    /// When the claim last moved to its current status (the history event's timestamp).
    pub status_since: Option<String>,
}

/// The denied and partially paid claims, of one payer or all (`payer_id` empty), oldest service
/// first, at most [`WORKLIST_LIMIT`].
pub async fn worklist(conn: &mut AnyConnection, practice_id: &str, payer_id: &str) -> Result<Vec<DenialRow>> {
    Ok(sqlx::query_as(
        "SELECT c.*, pt.family_name AS patient_family_name, pt.given_name AS patient_given_name, py.name AS payer_name, \
         pr.family_name AS provider_family_name, pr.given_name AS provider_given_name, 0 AS problem_count, \
         (SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
            JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
            WHERE l.practice_id = c.practice_id AND l.claim_id = c.id AND a.number = '1100') AS ar_insurance_cents, \
         (SELECT MAX(e.at) FROM claim_status_event e \
            WHERE e.practice_id = c.practice_id AND e.claim_id = c.id AND e.to_status = c.status) AS status_since \
         FROM claim c \
         JOIN patient pt ON pt.practice_id = c.practice_id AND pt.id = c.patient_id \
         JOIN payer py ON py.practice_id = c.practice_id AND py.id = c.payer_id \
         JOIN provider pr ON pr.practice_id = c.practice_id AND pr.id = c.rendering_provider_id \
         WHERE c.practice_id = $1 AND c.status IN ('denied', 'partially_paid') AND ($2 = '' OR c.payer_id = $2) \
         ORDER BY c.service_date, c.claim_number LIMIT $3",
    )
    .bind(practice_id)
    .bind(payer_id)
    .bind(WORKLIST_LIMIT)
    .fetch_all(conn)
    .await?)
}

/// What one claim still owes in AR - Insurance (debits less credits on 1100 with its id).
pub async fn ar_insurance_of_claim(conn: &mut AnyConnection, practice_id: &str, claim_id: &str) -> Result<i64> {
    let (cents,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.practice_id = $1 AND l.claim_id = $2 AND a.number = '1100'",
    )
    .bind(practice_id)
    .bind(claim_id)
    .fetch_one(conn)
    .await?;
    Ok(cents)
}
