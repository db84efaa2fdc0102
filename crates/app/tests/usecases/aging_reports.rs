//! Aging reports and AR metrics through the use cases: after charges to insurance and self-pay, an
//! 835 payment with its write-off and patient share, patient payments and a credit balance, the
//! reports by patient, guarantor, payer and provider each total exactly the control accounts'
//! balances; items move column on the right day as the clock advances; days in AR and the
//! collection rates come out exactly; the front desk may not read any of it.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::aging_reports::{AgingBy, AgingInput, AgingReport, ArMetricsInput};
use medoffice_app::claims::ClaimStatusInput;
use medoffice_app::families::GuarantorInput;
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::remittances::RemittanceImportInput;

/// Posts a visit of 2026-06-10 ($210.00) for the patient; sends its claim when insured. Returns the
/// claim's patient control number, if any.
pub async fn visit_of(env: &TestEnv, b: &Billing, patient_id: &str) -> Option<String> {
    let biller = &b.staff.biller;
    let e = env.app.open_encounter(biller, &visit(b, patient_id)).await.unwrap();
    let claim_id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id?;
    let input = ClaimStatusInput { status: "ready".into(), note: String::new() };
    env.app.change_claim_status(biller, &claim_id, &input).await.unwrap();
    env.app.send_ready_claims(biller).await.unwrap();
    Some(env.app.claim(biller, &claim_id).await.unwrap().claim.patient_control_number)
}

/// An 835 paying one claim $140.00 of $210.00: CO-45 $40.00, PR-2 $20.00, PR-1 $10.00.
pub fn pays_one(trace: &str, pcn: &str) -> RemittanceImportInput {
    let segments = [
        "ISA*00*          *00*          *ZZ*AETNA          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000801*0*T*:".to_string(),
        "GS*HP*AETNA*MEDOFFICE*20260614*1200*801*X*005010X221A1".into(),
        "ST*835*0001".into(),
        "BPR*I*140*C*CHK************20260614".into(),
        format!("TRN*1*{trace}*1234567890"),
        "N1*PR*AETNA*XV*60054".into(),
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*{pcn}*1*210*140*30*12*ICN-1"),
        "SVC*HC:99213:25*150*100**1".into(),
        "CAS*CO*45*30".into(),
        "CAS*PR*2*20".into(),
        "SVC*HC:93000*60*40**1".into(),
        "CAS*CO*45*10".into(),
        "CAS*PR*1*10".into(),
    ];
    let count = segments.len() - 2 + 1;
    let mut text: String = segments.iter().map(|s| format!("{s}~\n")).collect();
    text.push_str(&format!("SE*{count}*0001~\nGE*1*801~\nIEA*1*000000801~\n"));
    RemittanceImportInput { file_name: "era.835".into(), bytes: text.into_bytes() }
}

pub fn cash(amount: &str) -> PatientPaymentInput {
    PatientPaymentInput { amount: amount.into(), method: "cash".into(), reference: String::new() }
}

/// The balance (debits less credits) of an account, straight from the journal.
pub async fn balance(env: &TestEnv, number: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE a.number = $1",
    )
    .bind(number)
    .fetch_one(env.store.pool())
    .await
    .unwrap();
    n
}

/// The mix: Jane (insured) has two visits, one paid by the 835 (her share $30.00), and pays
/// $50.00 (a $20.00 credit); Tom (self-pay, Jane his guarantor) has one visit and pays $10.00.
/// Returns Tom's id.
async fn the_mix(env: &TestEnv, b: &Billing) -> String {
    let biller = &b.staff.biller;
    let first = visit_of(env, b, &b.patient_id).await.unwrap();
    visit_of(env, b, &b.patient_id).await.unwrap();
    let done = env.app.import_remittance(biller, &pays_one("CHK-2001", &first)).await.unwrap();
    assert_eq!((done.claims_matched, done.paid_cents), (1, 14_000));
    env.app.take_patient_payment(&b.staff.front_desk, &b.patient_id, &cash("50.00")).await.unwrap();
    let tom = env.app.register_patient(&b.staff.front_desk, &patient("Doe", "Tom", "2012-03-04"), true).await.unwrap();
    assert_eq!(visit_of(env, b, &tom.id).await, None, "Tom has no coverage: self-pay");
    env.app.take_patient_payment(&b.staff.front_desk, &tom.id, &cash("10.00")).await.unwrap();
    let jane_mrn = env.app.patient_account(biller, &b.patient_id).await.unwrap().patient_mrn;
    env.app.set_guarantor(&b.staff.front_desk, &tom.id, &GuarantorInput { guarantor: jane_mrn }).await.unwrap();
    tom.id
}

async fn report(env: &TestEnv, b: &Billing, by: &str, as_of: &str) -> AgingReport {
    env.app.aging_report(&b.staff.biller, &AgingInput { by: by.into(), as_of: as_of.into() }).await.unwrap()
}

fn row<'a>(r: &'a AgingReport, key: &str) -> &'a medoffice_app::aging_reports::AgingRow {
    r.rows.iter().find(|row| row.key == key).unwrap_or_else(|| panic!("no row {key} in {:?}", r.rows))
}

both_backends! {
    async fn every_aging_report_ties_to_its_control_accounts(env: TestEnv) {
        let b = billing_setup(&env).await;
        let tom = the_mix(&env, &b).await;
        assert_eq!(balance(&env, "1100").await, 21_000, "one claim still with the payer");
        assert_eq!(balance(&env, "1110").await, 3_000 - 5_000 + 21_000 - 1_000);

        let by_patient = report(&env, &b, "patient", "").await;
        assert_eq!(by_patient.by, AgingBy::Patient);
        assert_eq!(by_patient.as_of, "2026-06-15");
        assert_eq!(by_patient.totals.total_cents, 18_000);
        assert_eq!(by_patient.control_cents, balance(&env, "1110").await);
        assert!(by_patient.ties() && by_patient.difference_cents == 0);
        let jane = row(&by_patient, &b.patient_id);
        assert_eq!((jane.buckets_cents, jane.credit_cents, jane.total_cents), ([0; 5], 2_000, -2_000), "a credit balance, apart");
        assert_eq!(jane.link.as_deref(), Some(format!("/patients/{}/account", b.patient_id).as_str()));
        let tom_row = row(&by_patient, &tom);
        assert_eq!((tom_row.buckets_cents, tom_row.total_cents), ([20_000, 0, 0, 0, 0], 20_000));
        assert_eq!(by_patient.totals.credit_cents, 2_000);

        let by_guarantor = report(&env, &b, "guarantor", "").await;
        assert_eq!(by_guarantor.rows.len(), 1, "Tom is under Jane: {:?}", by_guarantor.rows);
        let family = row(&by_guarantor, &b.patient_id);
        assert_eq!((family.detail.as_str(), family.buckets_cents[0], family.credit_cents, family.total_cents), ("2 patients", 20_000, 2_000, 18_000));
        assert!(by_guarantor.ties());

        let by_payer = report(&env, &b, "payer", "").await;
        assert_eq!(by_payer.rows.len(), 1);
        let payer = row(&by_payer, &b.payer_id);
        assert_eq!((payer.detail.as_str(), payer.buckets_cents, payer.total_cents), ("1 claim", [21_000, 0, 0, 0, 0], 21_000));
        assert_eq!(by_payer.control_cents, balance(&env, "1100").await);
        assert!(by_payer.ties());

        let by_provider = report(&env, &b, "provider", "").await;
        assert_eq!(by_provider.controls.len(), 2);
        assert_eq!(by_provider.totals.total_cents, 21_000 + 18_000);
        assert_eq!(by_provider.control_cents, balance(&env, "1100").await + balance(&env, "1110").await);
        assert!(by_provider.ties());
        let doctor = row(&by_provider, &b.provider_id);
        assert!(doctor.total_cents >= 21_000, "the pending claim is the rendering provider's: {doctor:?}");
        let none = row(&by_provider, "");
        assert_eq!(none.name, "No provider");
        assert_eq!(doctor.total_cents + none.total_cents, 39_000);

        // The CSV has the rows and the total, amounts as plain decimals.
        let csv = by_patient.to_csv();
        assert!(csv.starts_with("Patient,Detail,Current,31-60,61-90,91-120,120+,Credits,Total\r\n"), "{csv}");
        assert!(csv.contains("\"Doe, Tom\""), "{csv}");
        assert!(csv.ends_with("Total,2 rows,200.00,0.00,0.00,0.00,0.00,20.00,180.00\r\n"), "{csv}");

        // A day before the visits nothing was owed; the report still ties (to zero).
        let before = report(&env, &b, "patient", "2026-06-01").await;
        assert!(before.rows.is_empty() && before.totals.total_cents == 0 && before.ties());

        // Bad input names its field.
        let bad = env.app.aging_report(&b.staff.biller, &AgingInput { by: "vendor".into(), as_of: String::new() }).await;
        assert_eq!(invalid_fields(bad), ["by"]);
        let bad = env.app.aging_report(&b.staff.biller, &AgingInput { by: "payer".into(), as_of: "06/15/2026".into() }).await;
        assert_eq!(invalid_fields(bad), ["as_of"]);
    }
}

both_backends! {
    async fn items_change_column_on_the_day_they_turn_31_61_91_and_121_days_old(env: TestEnv) {
        let b = billing_setup(&env).await;
        let tom = the_mix(&env, &b).await;
        // Tom's charge is of 2026-06-10; today is 2026-06-15.
        let day = chrono::Duration::days(1);
        let expect = [(25, 0), (26, 1), (55, 1), (56, 2), (85, 2), (86, 3), (115, 3), (116, 4)];
        let mut advanced = 0;
        for (days, column) in expect {
            env.clock.advance(day * (days - advanced));
            advanced = days;
            let r = report(&env, &b, "patient", "").await;
            let mut want = [0i64; 5];
            want[column] = 20_000;
            assert_eq!(row(&r, &tom).buckets_cents, want, "{days} days after 2026-06-15 (as of {})", r.as_of);
            assert!(r.ties());
            let payer = report(&env, &b, "payer", "").await;
            let mut want = [0i64; 5];
            want[column] = 21_000;
            assert_eq!(payer.totals.buckets_cents, want, "the pending claim of the same day ages alike");
        }
    }
}

both_backends! {
    async fn days_in_ar_and_the_collection_rates_are_exact(env: TestEnv) {
        let b = billing_setup(&env).await;
        the_mix(&env, &b).await;
        let m = env.app.ar_metrics(&b.staff.bookkeeper, &ArMetricsInput::default()).await.unwrap();
        assert_eq!((m.ar_insurance_cents, m.ar_patients_cents, m.ar_total_cents), (21_000, 18_000, 39_000));
        assert_eq!((m.charges_window_from.as_str(), m.charges_window_to.as_str()), ("2026-03-18", "2026-06-15"));
        assert_eq!(m.charges_90_days_cents, 63_000);
        // 39,000 / (63,000 / 90) = 55.714 days.
        assert_eq!((m.days_in_ar_tenths, m.days_in_ar().as_str()), (Some(557), "55.7"));
        assert_eq!((m.period_charges_cents, m.contractual_adjustments_cents), (63_000, 4_000));
        assert_eq!((m.payer_payments_cents, m.patient_payments_cents, m.payments_cents), (14_000, 6_000, 20_000));
        // 20,000 / (63,000 - 4,000) = 33.898 %; 20,000 / 63,000 = 31.746 %.
        assert_eq!((m.net_collection_rate_tenths, m.net_collection_rate().as_str()), (Some(339), "33.9%"));
        assert_eq!((m.gross_collection_rate_tenths, m.gross_collection_rate().as_str()), (Some(317), "31.7%"));

        // A period with the payments but none of the charges has no rate (nothing to divide by).
        let later = ArMetricsInput { as_of: String::new(), from: "2026-06-11".into(), to: "2026-06-15".into() };
        let m = env.app.ar_metrics(&b.staff.biller, &later).await.unwrap();
        assert_eq!((m.period_charges_cents, m.payments_cents, m.net_collection_rate_tenths), (0, 20_000, None));
        assert_eq!(m.net_collection_rate(), "n/a");
        let backwards = ArMetricsInput { as_of: String::new(), from: "2026-06-15".into(), to: "2026-06-01".into() };
        assert_eq!(invalid_fields(env.app.ar_metrics(&b.staff.biller, &backwards).await), ["from"]);
    }
}

both_backends! {
    async fn the_front_desk_cannot_read_aging_or_metrics(env: TestEnv) {
        let b = billing_setup(&env).await;
        let fd = &b.staff.front_desk;
        assert!(matches!(env.app.aging_report(fd, &AgingInput::default()).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.ar_metrics(fd, &ArMetricsInput::default()).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.aging_report(&b.staff.provider, &AgingInput::default()).await, Err(AppError::Forbidden)));
        // The biller, the bookkeeper and the admin may; each read is audited.
        for actor in [&b.staff.biller, &b.staff.bookkeeper, &b.staff.admin] {
            assert!(env.app.aging_report(actor, &AgingInput { by: "provider".into(), as_of: String::new() }).await.unwrap().ties());
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'receivables.aging'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 3);
    }
}
