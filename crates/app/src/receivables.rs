//! Receivables: the open items of the AR control accounts, read from the journal and aged with
//! [`medoffice_domain::ledger::aging`] (credits pay the oldest charges first). These functions
//! run inside a use case's transaction; statements, late charges, the aging reports and the
//! collections worklist all start here, so they agree on what a patient owes and since when.

use crate::Result;
use chrono::NaiveDate;
use medoffice_domain::ledger::accounts;
use medoffice_domain::ledger::aging::{Movement, OpenItems, open_items};
use medoffice_store::Connection;
use medoffice_store::receivables::{self as store, MovementRow};

/// A date of the journal (`YYYY-MM-DD`); a malformed one (never written by medoffice) counts as
/// the oldest possible so it is never hidden as current.
fn date_of(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

/// The open items of a list of movements of one account.
pub fn open_items_of(rows: &[MovementRow]) -> OpenItems {
    let movements: Vec<Movement> = rows.iter().map(|r| Movement { date: date_of(&r.entry_date), cents: r.signed_cents() }).collect();
    open_items(&movements)
}

/// One patient's due (AR - Patients) open items on a day.
pub async fn patient_due_open_items_in(conn: &mut Connection, practice_id: &str, patient_id: &str, as_of: NaiveDate) -> Result<OpenItems> {
    let rows = store::movements_of_patient(conn, practice_id, accounts::AR_PATIENTS, patient_id, &as_of.to_string()).await?;
    Ok(open_items_of(&rows))
}

/// Every patient's due (AR - Patients) open items on a day, by patient id (patients whose
/// account is settled to zero included, with no items). Lines without a patient are grouped under
/// an empty id, so the sum of every group's balance is always the control account's balance.
pub async fn patients_due_open_items_in(conn: &mut Connection, practice_id: &str, as_of: NaiveDate) -> Result<Vec<(String, OpenItems)>> {
    let rows = store::movements(conn, practice_id, accounts::AR_PATIENTS, &as_of.to_string()).await?;
    Ok(group_open_items(&rows, |r| r.patient_id.clone().unwrap_or_default()))
}

/// Groups movements (already ordered by the key, as [`store::movements`] orders by patient) and
/// computes each group's open items. Any key works (patient, payer, claim) as long as the rows
/// are sorted by it; unsorted rows are sorted here first.
pub fn group_open_items(rows: &[MovementRow], key: impl Fn(&MovementRow) -> String) -> Vec<(String, OpenItems)> {
    let mut keyed: Vec<(String, &MovementRow)> = rows.iter().map(|r| (key(r), r)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, OpenItems)> = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        let movements: Vec<Movement> =
            keyed[start..end].iter().map(|(_, r)| Movement { date: date_of(&r.entry_date), cents: r.signed_cents() }).collect();
        out.push((keyed[start].0.clone(), open_items(&movements)));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(patient: &str, date: &str, debit: i64, credit: i64) -> MovementRow {
        MovementRow {
            patient_id: Some(patient.into()),
            payer_id: None,
            claim_id: None,
            entry_date: date.into(),
            debit_cents: debit,
            credit_cents: credit,
        }
    }

    #[test]
    fn groups_sum_to_the_whole_account() {
        let rows = vec![
            row("b", "2026-01-05", 1_000, 0),
            row("a", "2026-01-01", 5_000, 0),
            row("a", "2026-02-01", 0, 2_000),
            row("b", "2026-03-01", 0, 1_500),
        ];
        let groups = group_open_items(&rows, |r| r.patient_id.clone().unwrap_or_default());
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, "a");
        assert_eq!(groups[0].1.balance_cents(), 3_000);
        assert_eq!(groups[1].1.unapplied_credit_cents, 500);
        let total: i64 = groups.iter().map(|(_, o)| o.balance_cents()).sum();
        assert_eq!(total, rows.iter().map(MovementRow::signed_cents).sum::<i64>());
    }
}
