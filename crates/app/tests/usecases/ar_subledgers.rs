//! Property: after any sequence of charges, remittances and patient payments (and voids), every
//! receivable subledger equals its control account. Sequences are drawn from seeded random
//! generators (the seed is in every failure message, so a failing sequence replays), on both
//! databases. Checked after every step:
//! - every line of AR - Insurance (1100) names its patient and payer, every line of AR - Patients
//!   (1110) its patient;
//! - the patients' accounts (insurance pending, patient due) add up to 1100 and 1110;
//! - the open items of every patient (oldest charges paid first) add up to 1110, and each patient's
//!   open items to that patient's due balance;
//! - the books balance (debits = credits).

use crate::encounters::{Billing, address, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, coverage, patient};
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput};
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::receivables::patients_due_open_items_in;
use medoffice_app::remittances::RemittanceImportInput;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Seeds per database; each runs `STEPS` random steps.
const SEEDS: [u64; 3] = [7, 1_234, 98_765];
const STEPS: usize = 14;

/// A sent claim of the sequence: its id, CLM01 and whether a remittance posted it.
struct Sent {
    id: String,
    pcn: String,
    posted: bool,
}

async fn balance(env: &TestEnv, number: &str) -> i64 {
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

async fn lines_missing(env: &TestEnv, number: &str, column: &str) -> i64 {
    assert!(["patient_id", "payer_id"].contains(&column));
    let sql = format!(
        "SELECT COUNT(*) FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE a.number = $1 AND l.{column} IS NULL"
    );
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(number).fetch_one(env.store.pool()).await.unwrap();
    n
}

async fn check_subledgers(env: &TestEnv, b: &Billing, patients: &[String], context: &str) {
    for (account, column) in [("1100", "patient_id"), ("1100", "payer_id"), ("1110", "patient_id")] {
        assert_eq!(lines_missing(env, account, column).await, 0, "{context}: a line of {account} without {column}");
    }
    let (ar_insurance, ar_patients) = (balance(env, "1100").await, balance(env, "1110").await);
    let (mut pending, mut due) = (0, 0);
    let mut conn = env.store.pool().acquire().await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let open = patients_due_open_items_in(&mut conn, &b.staff.biller.practice_id, today).await.unwrap();
    drop(conn);
    for p in patients {
        let account = env.app.patient_account(&b.staff.biller, p).await.unwrap();
        assert_eq!(account.balance_cents, account.insurance_pending_cents + account.patient_due_cents, "{context}");
        let items = open.iter().find(|(id, _)| id == p).map(|(_, o)| o.balance_cents()).unwrap_or(0);
        assert_eq!(items, account.patient_due_cents, "{context}: the open items of a patient are the patient's due balance");
        pending += account.insurance_pending_cents;
        due += account.patient_due_cents;
    }
    assert_eq!(pending, ar_insurance, "{context}: the patients' insurance-pending balances are AR - Insurance");
    assert_eq!(due, ar_patients, "{context}: the patients' due balances are AR - Patients");
    assert_eq!(open.iter().map(|(_, o)| o.balance_cents()).sum::<i64>(), ar_patients, "{context}: open items tie to 1110");
    let (debits, credits): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(debit_cents), 0) AS BIGINT), CAST(COALESCE(SUM(credit_cents), 0) AS BIGINT) FROM journal_line",
    )
    .fetch_one(env.store.pool())
    .await
    .unwrap();
    assert_eq!(debits, credits, "{context}: the books balance");
}

/// An 835 for one claim of the standard visit (99213-25 $150.00, 93000 $60.00): each line paid,
/// patient share (PR-2) and contractual adjustment (CO-45) drawn at random, or the whole claim
/// denied (CO-29).
fn remittance_for(rng: &mut SmallRng, payer_code: &str, trace: &str, pcn: &str) -> Vec<u8> {
    let denied = rng.random_bool(0.2);
    let mut claim_lines = Vec::new();
    let (mut paid, mut share) = (0i64, 0i64);
    for (code, charge) in [("HC:99213:25", 15_000i64), ("HC:93000", 6_000)] {
        let (p, r) = if denied {
            (0, 0)
        } else {
            let p = rng.random_range(0..=charge / 100) * 100;
            let r = rng.random_range(0..=(charge - p) / 100) * 100;
            (p, r)
        };
        let co = charge - p - r;
        paid += p;
        share += r;
        claim_lines.push(format!("SVC*{code}*{}*{}**1", cents(charge), cents(p)));
        claim_lines.push("DTM*472*20260610".into());
        if co != 0 {
            claim_lines.push(format!("CAS*CO*{}*{}", if denied { "29" } else { "45" }, cents(co)));
        }
        if r != 0 {
            claim_lines.push(format!("CAS*PR*2*{}", cents(r)));
        }
    }
    let status = if denied { "4" } else { "1" };
    let mut segments = vec![
        "ST*835*0001".to_string(),
        format!("BPR*I*{}*C*CHK************20260614", cents(paid)),
        format!("TRN*1*{trace}*1234567890"),
        format!("N1*PR*PAYER*XV*{payer_code}"),
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*{pcn}*{status}*210*{}*{}*12*ICN-{trace}", cents(paid), cents(share)),
    ];
    segments.extend(claim_lines);
    let count = segments.len() + 1;
    let mut text = String::from(
        "ISA*00*          *00*          *ZZ*PAYER          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000701*0*T*:~\n\
         GS*HP*PAYER*MEDOFFICE*20260614*1200*701*X*005010X221A1~\n",
    );
    for s in segments {
        text.push_str(&s);
        text.push_str("~\n");
    }
    text.push_str(&format!("SE*{count}*0001~\nGE*1*701~\nIEA*1*000000701~\n"));
    text.into_bytes()
}

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

both_backends! {
    async fn every_subledger_equals_its_control_account_after_any_sequence(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let payer_code = env.app.list_payers(biller).await.unwrap().into_iter().find(|p| p.id == b.payer_id).unwrap().payer_code;
        let mut patients = vec![b.patient_id.clone()];
        for (family, member) in [("Roe", "MEMBER002"), ("Poe", "MEMBER003")] {
            let mut input = patient(family, "Sam", "1975-09-12");
            input.address = address();
            let p = env.app.register_patient(&b.staff.front_desk, &input, true).await.unwrap();
            env.app.add_coverage(&b.staff.front_desk, &p.id, &coverage(&b.payer_id, member, "1", "2026-01-01"), None, None).await.unwrap();
            patients.push(p.id);
        }
        let mut sent: Vec<Sent> = Vec::new();
        let mut payments: Vec<String> = Vec::new();
        let mut trace = 0;
        for seed in SEEDS {
            let mut rng = SmallRng::seed_from_u64(seed);
            for step in 0..STEPS {
                let context = format!("seed {seed} step {step}");
                match rng.random_range(0..10) {
                    // Charges: a coded visit posted and its claim sent.
                    0..=3 => {
                        let who = &patients[rng.random_range(0..patients.len())];
                        let e = env.app.open_encounter(biller, &visit(&b, who)).await.unwrap();
                        let claim_id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
                        let ready = ClaimStatusInput { status: "ready".into(), note: String::new() };
                        env.app.change_claim_status(biller, &claim_id, &ready).await.unwrap();
                        env.app.send_ready_claims(biller).await.unwrap();
                        let detail = env.app.claim(biller, &claim_id).await.unwrap();
                        assert_eq!(detail.claim.status, ClaimStatus::Sent, "{context}");
                        sent.push(Sent { id: claim_id, pcn: detail.claim.patient_control_number, posted: false });
                    }
                    // A remittance for a claim waiting for one (or again for one already paid,
                    // which must post nothing).
                    4..=6 if !sent.is_empty() => {
                        let i = rng.random_range(0..sent.len());
                        trace += 1;
                        let bytes = remittance_for(&mut rng, &payer_code, &format!("T{seed}-{trace}"), &sent[i].pcn);
                        let done = env
                            .app
                            .import_remittance(biller, &RemittanceImportInput { file_name: "era.835".into(), bytes })
                            .await
                            .unwrap();
                        if sent[i].posted {
                            assert_eq!(done.claims_matched, 0, "{context}: a claim already paid is not paid twice");
                        } else {
                            assert_eq!(done.claims_matched, 1, "{context}: {:?}", done.claims);
                            sent[i].posted = true;
                            let claim = env.app.claim(biller, &sent[i].id).await.unwrap();
                            assert!(
                                matches!(claim.claim.status, ClaimStatus::Paid | ClaimStatus::PartiallyPaid | ClaimStatus::Denied),
                                "{context}: {:?}",
                                claim.claim.status
                            );
                        }
                    }
                    // A patient pays something (maybe more than owed: a credit balance).
                    7 | 8 => {
                        let who = &patients[rng.random_range(0..patients.len())];
                        let amount = rng.random_range(1..=80) * 500;
                        let method = ["cash", "check", "card"][rng.random_range(0..3)];
                        let input = PatientPaymentInput { amount: cents(amount), method: method.into(), reference: "REF 77".into() };
                        let p = env.app.take_patient_payment(&b.staff.front_desk, who, &input).await.unwrap();
                        payments.push(p.id);
                    }
                    // A payment voided.
                    _ if !payments.is_empty() => {
                        let id = payments.swap_remove(rng.random_range(0..payments.len()));
                        env.app.void_payment(&b.staff.front_desk, &id, "entered twice").await.unwrap();
                    }
                    _ => continue,
                }
                check_subledgers(&env, &b, &patients, &context).await;
            }
        }
        assert!(sent.iter().any(|s| s.posted), "the sequences posted at least one remittance");
        assert!(balance(&env, "1110").await != 0 || balance(&env, "1100").await != 0, "the sequences left receivables to check");
    }
}
