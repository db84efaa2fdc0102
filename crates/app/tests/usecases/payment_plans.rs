//! Payment plans through the use cases: the schedule from the total, the monthly amount and the
//! day; a missed installment flagged on the plan and the worklist (and the dunning run no longer
//! skipping the patient); completion when the balance is paid; cancel with a reason; bad input
//! named by field; one active plan per patient; roles. Today is 2026-06-15.

use crate::collections::owing;
use crate::encounters::billing_setup;
use crate::harness::{both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::collections::WorklistFilter;
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::payment_plans::PaymentPlanInput;

fn plan(patient_id: &str, total: &str, monthly: &str, day: &str, start: &str) -> PaymentPlanInput {
    PaymentPlanInput {
        patient_id: patient_id.into(),
        total: total.into(),
        monthly_amount: monthly.into(),
        day_of_month: day.into(),
        start_date: start.into(),
    }
}

fn cash(amount: &str) -> PatientPaymentInput {
    PatientPaymentInput { amount: amount.into(), method: "cash".into(), reference: String::new() }
}

both_backends! {
    async fn a_plan_flags_a_missed_installment_and_completes_when_paid(env: TestEnv) {
        let b = billing_setup(&env).await;
        let p = owing(&env, &b, "Planner", "2026-03-01").await;
        let biller = &b.staff.biller;

        assert_eq!(
            invalid_fields(env.app.create_payment_plan(biller, &plan(&p, "", "abc", "31", "someday")).await),
            ["monthly_amount", "day_of_month", "start_date"]
        );
        assert_eq!(invalid_fields(env.app.create_payment_plan(biller, &plan(&p, "300.00", "50.00", "20", "")).await), ["total"]);
        assert_eq!(invalid_fields(env.app.create_payment_plan(biller, &plan(&p, "", "1.00", "20", "")).await), ["monthly_amount"]);
        assert!(matches!(env.app.create_payment_plan(&b.staff.front_desk, &plan(&p, "", "100.00", "20", "")).await, Err(AppError::Forbidden)));

        let made = env.app.create_payment_plan(biller, &plan(&p, "", "100.00", "20", "")).await.unwrap();
        assert_eq!((made.total_cents, made.status.as_str(), made.missed), (21000, "active", false));
        let schedule: Vec<(&str, i64)> = made.installments.iter().map(|i| (i.due_date.as_str(), i.amount_cents)).collect();
        assert_eq!(schedule, [("2026-06-20", 10000), ("2026-07-20", 10000), ("2026-08-20", 1000)]);
        // One active plan per patient.
        assert_eq!(invalid_fields(env.app.create_payment_plan(biller, &plan(&p, "", "50.00", "5", "")).await), ["patient_id"]);

        // The first installment paid: the plan is current, the dunning run skips the patient.
        env.app.take_patient_payment(&b.staff.front_desk, &p, &cash("100.00")).await.unwrap();
        let run = env.app.run_dunning(biller, "").await.unwrap();
        assert_eq!((run.letters, run.skipped_on_plan), (0, 1));
        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        assert_eq!(rows[0].plan_status.as_deref(), Some("current"));

        // July's installment unpaid five days after its due day: missed, flagged everywhere.
        env.clock.advance(chrono::Duration::days(40)); // 2026-07-25: within the grace days
        let plans = env.app.payment_plans(biller, Some(&p), "").await.unwrap();
        assert!(!plans[0].missed);
        assert_eq!(plans[0].installments[1].status, "due");
        env.clock.advance(chrono::Duration::days(1)); // 2026-07-26
        let plans = env.app.payment_plans(&b.staff.bookkeeper, Some(&p), "active").await.unwrap();
        assert!(plans[0].missed);
        assert_eq!(plans[0].installments.iter().map(|i| i.status.as_str()).collect::<Vec<_>>(), ["paid", "missed", "upcoming"]);
        assert_eq!(plans[0].paid_cents, 10000);
        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        assert_eq!(rows[0].plan_status.as_deref(), Some("missed"));
        let run = env.app.run_dunning(biller, "").await.unwrap();
        assert_eq!((run.letters, run.skipped_on_plan), (1, 0));

        // The rest paid: the balance is settled, the plan completes.
        env.app.take_patient_payment(&b.staff.front_desk, &p, &cash("110.00")).await.unwrap();
        let plans = env.app.payment_plans(biller, Some(&p), "").await.unwrap();
        assert_eq!((plans[0].status.as_str(), plans[0].completed_on.as_deref(), plans[0].missed), ("completed", Some("2026-07-26"), false));
        assert_eq!(invalid_fields(env.app.cancel_payment_plan(biller, &made.id, "changed mind").await), ["reason"]);
        assert_eq!(invalid_fields(env.app.payment_plans(biller, None, "paused").await), ["status"]);
    }
}

both_backends! {
    async fn a_plan_is_cancelled_with_a_reason_and_another_can_follow(env: TestEnv) {
        let b = billing_setup(&env).await;
        let p = owing(&env, &b, "Canceller", "2026-03-01").await;
        let biller = &b.staff.biller;
        let made = env.app.create_payment_plan(biller, &plan(&p, "200.00", "50.00", "1", "2026-07-01")).await.unwrap();
        assert_eq!(made.installments.len(), 4);
        assert_eq!(made.installments[0].due_date, "2026-07-01");
        assert_eq!(invalid_fields(env.app.cancel_payment_plan(biller, &made.id, " ").await), ["reason"]);
        assert!(matches!(env.app.cancel_payment_plan(&b.staff.bookkeeper, &made.id, "x").await, Err(AppError::Forbidden)));
        let cancelled = env.app.cancel_payment_plan(biller, &made.id, "patient asked to pay in full").await.unwrap();
        assert_eq!((cancelled.status.as_str(), cancelled.cancel_reason.as_deref()), ("cancelled", Some("patient asked to pay in full")));
        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        assert_eq!(rows[0].plan_status, None);
        env.app.create_payment_plan(biller, &plan(&p, "", "70.00", "15", "")).await.unwrap();
        assert_eq!(env.app.payment_plans(biller, Some(&p), "").await.unwrap().len(), 2);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action IN ('payment_plan.create', 'payment_plan.cancel')")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 3);
    }
}
