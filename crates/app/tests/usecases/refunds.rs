//! Refunds of credit balances through the use cases: the refund's entry (debit AR - Patients,
//! credit Cash - Operating, on the patient), the credit gone from the list, more than the credit
//! refused, bad input named by field, roles, the audit. Today is 2026-06-15.

use crate::collections::{audits, balance, lines_of, owing};
use crate::encounters::billing_setup;
use crate::harness::{both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::refunds::RefundInput;

both_backends! {
    async fn a_credit_balance_is_refunded_with_its_entry_and_leaves_the_list(env: TestEnv) {
        let b = billing_setup(&env).await;
        let p = owing(&env, &b, "Overpaid", "2026-06-01").await;
        let pay = PatientPaymentInput { amount: "250.00".into(), method: "check".into(), reference: "3301".into() };
        env.app.take_patient_payment(&b.staff.front_desk, &p, &pay).await.unwrap();
        let credits = env.app.credit_balances(&b.staff.biller).await.unwrap();
        assert_eq!(credits.iter().map(|c| (c.patient_id.as_str(), c.credit_cents)).collect::<Vec<_>>(), [(p.as_str(), 4000)]);

        let r = |amount: &str, method: &str, reference: &str| RefundInput {
            patient_id: p.clone(),
            amount: amount.into(),
            method: method.into(),
            reference: reference.into(),
        };
        let biller = &b.staff.biller;
        assert_eq!(invalid_fields(env.app.refund_credit_balance(biller, &r("x", "cash", "")).await), ["amount", "method", "reference"]);
        assert_eq!(invalid_fields(env.app.refund_credit_balance(biller, &r("40.00", "card", "4111 1111 1111 1111")).await), ["reference"]);
        assert_eq!(invalid_fields(env.app.refund_credit_balance(biller, &r("40.01", "check", "1201")).await), ["amount"]);
        assert!(matches!(env.app.refund_credit_balance(&b.staff.bookkeeper, &r("40.00", "check", "1201")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.refund_credit_balance(&b.staff.front_desk, &r("40.00", "check", "1201")).await, Err(AppError::Forbidden)));
        let cash_before = balance(&env, "1000", None).await;

        let done = env.app.refund_credit_balance(biller, &r("40.00", "Check", "1201")).await.unwrap();
        assert_eq!((done.amount_cents, done.method.as_str(), done.refund_date.as_str()), (4000, "check", "2026-06-15"));
        assert_eq!(lines_of(&env, "patient_refund").await, [
            ("1110".to_string(), 4000, 0, Some(p.clone())),
            ("1000".to_string(), 0, 4000, Some(p.clone())),
        ]);
        assert_eq!(balance(&env, "1110", Some(&p)).await, 0);
        assert_eq!(balance(&env, "1000", None).await, cash_before - 4000);
        assert!(env.app.credit_balances(biller).await.unwrap().is_empty());
        // Refunding again: nothing left, so nothing posts.
        assert_eq!(invalid_fields(env.app.refund_credit_balance(biller, &r("1.00", "ach", "TR-1")).await), ["amount"]);
        assert_eq!(lines_of(&env, "patient_refund").await.len(), 2);
        assert_eq!(audits(&env, "refund.create").await, 1);
        assert_eq!(env.app.refunds(&b.staff.bookkeeper, Some(&p)).await.unwrap().len(), 1);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert!(env.app.trial_balance(&b.staff.bookkeeper, day).await.unwrap().balances());
    }
}
