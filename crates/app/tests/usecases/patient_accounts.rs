//! Patient AR through the use cases: payments at any time (card with a reference, check), each
//! with its journal entry; the patient's account with running balances split into pending with
//! insurance and due from the patient; an overpayment's credit balance and its listing; a void
//! that reverses; bad input named by field with nothing written; who may take and read. The
//! practice's today is 2026-06-15.

use crate::encounters::{address, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::patient_accounts::PatientPaymentInput;

fn payment(amount: &str, method: &str, reference: &str) -> PatientPaymentInput {
    PatientPaymentInput { amount: amount.into(), method: method.into(), reference: reference.into() }
}

async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["patient_payment", "journal_entry", "journal_line"].contains(&table));
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// The entry's lines as (account number, debit, credit, patient).
async fn entry_lines(env: &TestEnv, entry_id: &str) -> Vec<(String, i64, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT a.number, l.debit_cents, l.credit_cents, l.patient_id FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.entry_id = $1 ORDER BY l.line_number",
    )
    .bind(entry_id)
    .fetch_all(env.store.pool())
    .await
    .unwrap()
}

both_backends! {
    async fn payments_post_to_the_account_with_running_balances_credits_and_voids(env: TestEnv) {
        let b = billing_setup(&env).await;
        // The insured patient's charges are pending with insurance.
        let e = env.app.open_encounter(&b.staff.biller, &visit(&b, &b.patient_id)).await.unwrap();
        env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
        let insured = env.app.patient_account(&b.staff.front_desk, &b.patient_id).await.unwrap();
        assert_eq!((insured.insurance_pending_cents, insured.patient_due_cents, insured.balance_cents), (21000, 0, 21000));
        assert_eq!(insured.lines.len(), 1);
        assert_eq!((insured.lines[0].kind.as_str(), insured.lines[0].bucket.as_str()), ("charge", "insurance"));

        // A self-pay patient owes the charges.
        let mut input = patient("Roe", "Rita", "1975-01-01");
        input.address = address();
        let p = env.app.register_patient(&b.staff.front_desk, &input, true).await.unwrap();
        let e2 = env.app.open_encounter(&b.staff.biller, &visit(&b, &p.id)).await.unwrap();
        env.app.post_charges(&b.staff.biller, &e2.id).await.unwrap();

        // A card payment with the processor's reference, by the front desk.
        let card = env.app.take_patient_payment(&b.staff.front_desk, &p.id, &payment("50.00", "Card", "AUTH 881245")).await.unwrap();
        assert_eq!((card.amount_cents, card.method.as_str(), card.purpose.as_str()), (5000, "card", "balance"));
        assert_eq!(card.reference.as_deref(), Some("AUTH 881245"));
        let entry_id: (Option<String>,) = sqlx::query_as("SELECT ledger_entry_id FROM patient_payment WHERE id = $1")
            .bind(&card.id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        let entry_id = entry_id.0.expect("the payment links its entry");
        assert_eq!(
            entry_lines(&env, &entry_id).await,
            [("1010".to_string(), 5000, 0, Some(p.id.clone())), ("1110".to_string(), 0, 5000, Some(p.id.clone()))]
        );
        let receipt = env.app.payment_receipt(&b.staff.front_desk, &card.id).await.unwrap();
        assert_eq!(receipt.payment.receipt_number, card.receipt_number);
        assert_eq!(receipt.patient_mrn, p.mrn);

        let account = env.app.patient_account(&b.staff.biller, &p.id).await.unwrap();
        let running: Vec<(&str, &str, i64, i64, i64)> = account
            .lines
            .iter()
            .map(|l| (l.kind.as_str(), l.bucket.as_str(), l.debit_cents, l.credit_cents, l.patient_balance_cents))
            .collect();
        assert_eq!(running, [("charge", "patient", 21000, 0, 21000), ("payment", "patient", 0, 5000, 16000)]);
        assert_eq!((account.insurance_pending_cents, account.patient_due_cents, account.credit_balance_cents), (0, 16000, 0));
        assert!(env.app.credit_balances(&b.staff.biller).await.unwrap().is_empty());

        // An overpayment by check leaves a credit balance, listed with its age.
        let check = env.app.take_patient_payment(&b.staff.biller, &p.id, &payment("200.00", "check", "1042")).await.unwrap();
        let account = env.app.patient_account(&b.staff.biller, &p.id).await.unwrap();
        assert_eq!((account.patient_due_cents, account.credit_balance_cents), (-4000, 4000));
        assert_eq!(account.lines.last().unwrap().patient_balance_cents, -4000);
        assert_eq!(account.payments.len(), 2);
        assert_eq!(account.payments[0].receipt_number, check.receipt_number);
        env.clock.advance(chrono::Duration::days(10));
        let credits = env.app.credit_balances(&b.staff.biller).await.unwrap();
        assert_eq!(credits.len(), 1);
        assert_eq!((credits[0].patient_id.as_str(), credits[0].credit_cents), (p.id.as_str(), 4000));
        assert_eq!((credits[0].since.as_str(), credits[0].age_days), ("2026-06-15", 10));

        // The void reverses the check's entry (a new entry; the first one is unchanged).
        let lines_before = rows(&env, "journal_line").await;
        let voided = env.app.void_payment(&b.staff.biller, &check.id, "check returned unsigned").await.unwrap();
        assert!(voided.voided);
        assert_eq!(rows(&env, "journal_line").await, lines_before + 2);
        let account = env.app.patient_account(&b.staff.biller, &p.id).await.unwrap();
        assert_eq!((account.patient_due_cents, account.credit_balance_cents), (16000, 0));
        assert_eq!(account.lines.last().unwrap().kind, "reversal");
        assert!(account.payments[0].voided);
        assert!(env.app.credit_balances(&b.staff.biller).await.unwrap().is_empty());

        // Every read and write of the account is audited against the patient.
        let (reads,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'patient_account.read' AND patient_id = $1")
            .bind(&p.id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(reads, 3);
        let (writes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'payment.create' AND patient_id = $1")
            .bind(&p.id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(writes, 2);

        // The books still balance.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert!(env.app.trial_balance(&b.staff.bookkeeper, today).await.unwrap().balances());
    }
}

both_backends! {
    async fn bad_payments_are_named_by_field_and_write_nothing(env: TestEnv) {
        let b = billing_setup(&env).await;
        let (payments, entries) = (rows(&env, "patient_payment").await, rows(&env, "journal_entry").await);
        let id = b.patient_id.clone();
        let fd = &b.staff.front_desk;
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("abc", "bitcoin", "")).await), ["amount", "method"]);
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("0", "cash", "")).await), ["amount"]);
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("-5.00", "cash", "")).await), ["amount"]);
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("30000.00", "cash", "")).await), ["amount"]);
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("20.00", "check", " ")).await), ["reference"]);
        assert_eq!(invalid_fields(env.app.take_patient_payment(fd, &id, &payment("20.00", "card", "")).await), ["reference"]);
        // Never card data.
        assert_eq!(
            invalid_fields(env.app.take_patient_payment(fd, &id, &payment("20.00", "card", "4111 1111 1111 1111")).await),
            ["reference"]
        );
        // Who may: front desk and biller take payments; the provider and the bookkeeper do not,
        // and the bookkeeper does not read a patient's account.
        assert!(matches!(env.app.take_patient_payment(&b.staff.provider, &id, &payment("20.00", "cash", "")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.take_patient_payment(&b.staff.bookkeeper, &id, &payment("20.00", "cash", "")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.patient_account(&b.staff.bookkeeper, &id).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.take_patient_payment(fd, "no-such-patient", &payment("20.00", "cash", "")).await, Err(AppError::NotFound(_))));
        assert_eq!((rows(&env, "patient_payment").await, rows(&env, "journal_entry").await), (payments, entries));

        // Cash needs no reference.
        let cash = env.app.take_patient_payment(fd, &id, &payment("20", "cash", "")).await.unwrap();
        assert_eq!((cash.amount_cents, cash.reference), (2000, None));
        assert_eq!((rows(&env, "patient_payment").await, rows(&env, "journal_entry").await), (payments + 1, entries + 1));
    }
}
