//! Bank deposits through the use cases: the undeposited items (patients' cash and checks, a
//! payer's paper check from an 835; not a voided payment, not an EFT), a deposit of some of them
//! posting one balanced entry (Dr 1000 for the total, Cr 1010 per item keeping the patient), the
//! slip's totals, an item deposited at most once (also by two desks at the same moment), an undo
//! that reverses the entry and frees the items, bad input named by field, and who may deposit.
//! The practice's today is 2026-06-15.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::claims::ClaimStatusInput;
use medoffice_app::deposits::{NewDepositInput, UndoDepositInput};
use medoffice_app::patient_accounts::PatientPaymentInput;
use medoffice_app::remittances::RemittanceImportInput;

fn payment(amount: &str, method: &str, reference: &str) -> PatientPaymentInput {
    PatientPaymentInput { amount: amount.into(), method: method.into(), reference: reference.into() }
}

/// The balance (debit - credit) of an account by its number.
pub(crate) async fn balance(env: &TestEnv, number: &str) -> i64 {
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

/// Rows in one of the tables this test reads.
async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["journal_entry", "deposit", "deposit_item"].contains(&table));
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

/// Posts a visit ($210.00), sends its claim and returns its CLM01.
pub(crate) async fn sent_claim_number(env: &TestEnv, b: &Billing) -> String {
    let biller = &b.staff.biller;
    let e = env.app.open_encounter(biller, &visit(b, &b.patient_id)).await.unwrap();
    let claim_id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
    let ready = ClaimStatusInput { status: "ready".into(), note: String::new() };
    env.app.change_claim_status(biller, &claim_id, &ready).await.unwrap();
    env.app.send_ready_claims(biller).await.unwrap();
    env.app.claim(biller, &claim_id).await.unwrap().claim.patient_control_number
}

/// Aetna's 835 paying claim `pcn` $140.00 of its $210.00 (CO-45 $40.00, PR-2 $30.00) on
/// 2026-06-14, by check (`CHK`) or EFT (`ACH`), trace number `trace`.
pub(crate) fn payment_835(method: &str, trace: &str, pcn: &str) -> RemittanceImportInput {
    let bpr = match method {
        "ACH" => "BPR*I*140*C*ACH*CCP*01*011000015*DA*4419025573*1060054000**01*071000013*DA*2298834710*20260614".to_string(),
        _ => "BPR*I*140*C*CHK************20260614".to_string(),
    };
    let segments = [
        "ISA*00*          *00*          *ZZ*AETNA          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000901*0*T*:".to_string(),
        "GS*HP*AETNA*MEDOFFICE*20260614*1200*901*X*005010X221A1".into(),
        "ST*835*0001".into(),
        bpr,
        format!("TRN*1*{trace}*1060054000"),
        "N1*PR*AETNA*XV*60054".into(),
        "N1*PE*TEST PRACTICE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*{pcn}*1*210*140*30*12*ICN-9"),
        "NM1*QC*1*DOE*JANE****MI*MEMBER001".into(),
        "SVC*HC:99213:25*150*100**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*30".into(),
        "CAS*PR*2*20".into(),
        "SVC*HC:93000*60*40**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*10".into(),
        "CAS*PR*2*10".into(),
    ];
    let count = segments.len() - 2 + 1;
    let mut text: String = segments.iter().map(|s| format!("{s}~\n")).collect();
    text.push_str(&format!("SE*{count}*0001~\nGE*1*901~\nIEA*1*000000901~\n"));
    RemittanceImportInput { file_name: "era.835".into(), bytes: text.into_bytes() }
}

both_backends! {
    async fn a_deposit_moves_the_chosen_payments_to_cash_once_and_an_undo_frees_them(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        let patient = b.patient_id.clone();
        let cash = env.app.take_patient_payment(desk, &patient, &payment("45.00", "cash", "")).await.unwrap();
        let check = env.app.take_patient_payment(desk, &patient, &payment("120.00", "check", "2231")).await.unwrap();
        let voided = env.app.take_patient_payment(desk, &patient, &payment("10.00", "cash", "")).await.unwrap();
        env.app.void_payment(desk, &voided.id, "keyed twice").await.unwrap();
        let pcn = sent_claim_number(&env, &b).await;
        env.app.import_remittance(&b.staff.biller, &payment_835("CHK", "CHK-5521", &pcn)).await.unwrap();
        assert_eq!(balance(&env, "1010").await, 4_500 + 12_000 + 14_000);

        // The undeposited items, oldest first: the payer's check (paid on 06/14) and both payments,
        // never the voided payment.
        let waiting = env.app.undeposited_items(desk).await.unwrap();
        let listed: Vec<(&str, &str, Option<&str>, i64)> =
            waiting.items.iter().map(|i| (i.kind.as_str(), i.method.as_str(), i.check_number.as_deref(), i.amount_cents)).collect();
        assert_eq!(listed, [
            ("payer_check", "check", Some("CHK-5521"), 14_000),
            ("patient_payment", "cash", None, 4_500),
            ("patient_payment", "check", Some("2231"), 12_000),
        ]);
        assert_eq!(waiting.total_cents, 30_500);
        assert!(waiting.items[1].from_name.contains(','), "the patient's name: {}", waiting.items[1].from_name);
        assert_eq!(waiting.items[0].from_name, "AETNA");
        assert!(waiting.accounts.iter().any(|a| a.number == "1000") && waiting.accounts.iter().all(|a| a.number != "1010"));

        // Deposit the cash and the payer's check.
        let chosen = vec![waiting.items[1].key.clone(), waiting.items[0].key.clone()];
        let input = NewDepositInput { deposit_date: "2026-06-15".into(), items: chosen.clone(), ..Default::default() };
        let deposit = env.app.make_deposit(desk, &input).await.unwrap();
        assert_eq!((deposit.deposit_number, deposit.total_cents, deposit.items.len()), (1, 18_500, 2));
        assert_eq!((deposit.cash_cents, deposit.checks_cents, deposit.check_count, deposit.other_cents), (4_500, 14_000, 1, 0));
        assert_eq!(deposit.account_number, "1000");
        let lines = entry_lines(&env, &deposit.journal_entry_id).await;
        assert_eq!(lines, [
            ("1000".to_string(), 18_500, 0, None),
            ("1010".to_string(), 0, 14_000, None),
            ("1010".to_string(), 0, 4_500, Some(patient.clone())),
        ]);
        assert_eq!(balance(&env, "1010").await, 12_000);
        assert_eq!(env.app.undeposited_items(desk).await.unwrap().items.len(), 1);

        // The same items again: refused, nothing posted.
        let entries = rows(&env, "journal_entry").await;
        assert!(matches!(env.app.make_deposit(desk, &input).await, Err(AppError::Conflict(_))));
        assert_eq!(rows(&env, "journal_entry").await, entries);

        // Undo: a reason is required; the reversal frees both items.
        assert_eq!(invalid_fields(env.app.undo_deposit(desk, &deposit.id, &UndoDepositInput::default()).await), ["reason"]);
        let undone = env.app.undo_deposit(desk, &deposit.id, &UndoDepositInput { reason: "wrong bag".into() }).await.unwrap();
        assert_eq!(undone.reversal_reason.as_deref(), Some("wrong bag"));
        assert_eq!(balance(&env, "1010").await, 30_500);
        assert_eq!(balance(&env, "1000").await, 0);
        assert!(matches!(env.app.undo_deposit(desk, &deposit.id, &UndoDepositInput { reason: "again".into() }).await, Err(AppError::Conflict(_))));
        let again = env.app.undeposited_items(desk).await.unwrap();
        assert_eq!(again.items.len(), 3);

        // All of them into a new deposit; the undone one keeps its items for the record.
        let all = env.app.make_deposit(desk, &NewDepositInput { all: true, ..Default::default() }).await.unwrap();
        assert_eq!((all.deposit_number, all.total_cents, all.check_count, all.checks_cents), (2, 30_500, 2, 26_000));
        assert_eq!(all.deposit_date, "2026-06-15");
        assert_eq!(env.app.deposit(desk, &deposit.id).await.unwrap().items.len(), 2);
        let listed = env.app.deposits(desk).await.unwrap();
        assert_eq!(listed.iter().map(|d| (d.deposit_number, d.reversed)).collect::<Vec<_>>(), [(2, false), (1, true)]);
        assert_eq!(balance(&env, "1010").await, 0);
        assert_eq!(balance(&env, "1000").await, 30_500);
        assert!(env.app.undeposited_items(desk).await.unwrap().items.is_empty());
        let _ = (cash, check);

        let (debits, credits): (i64, i64) =
            sqlx::query_as("SELECT CAST(SUM(debit_cents) AS BIGINT), CAST(SUM(credit_cents) AS BIGINT) FROM journal_line")
                .fetch_one(env.store.pool())
                .await
                .unwrap();
        assert_eq!(debits, credits);
    }
}

both_backends! {
    async fn bad_deposits_are_refused_by_field_and_only_depositing_roles_may_deposit(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        env.app.take_patient_payment(desk, &b.patient_id, &payment("45.00", "cash", "")).await.unwrap();
        let key = env.app.undeposited_items(desk).await.unwrap().items[0].key.clone();
        let entries = rows(&env, "journal_entry").await;

        assert_eq!(invalid_fields(env.app.make_deposit(desk, &NewDepositInput::default()).await), ["items"]);
        let bad = NewDepositInput { deposit_date: "2026-06-31".into(), account: "1010".into(), items: vec![key.clone()], ..Default::default() };
        assert_eq!(invalid_fields(env.app.make_deposit(desk, &bad).await), ["deposit_date", "account"]);
        let future = NewDepositInput { deposit_date: "2026-06-16".into(), items: vec![key.clone()], ..Default::default() };
        assert_eq!(invalid_fields(env.app.make_deposit(desk, &future).await), ["deposit_date"]);
        let early = NewDepositInput { deposit_date: "2026-06-14".into(), items: vec![key.clone()], ..Default::default() };
        assert_eq!(invalid_fields(env.app.make_deposit(desk, &early).await), ["deposit_date"]);
        let unknown = NewDepositInput { items: vec!["nothing:1".into()], ..Default::default() };
        assert!(matches!(env.app.make_deposit(desk, &unknown).await, Err(AppError::Conflict(_))));
        assert_eq!(rows(&env, "journal_entry").await, entries);

        assert!(matches!(env.app.undeposited_items(&b.staff.provider).await, Err(AppError::Forbidden)));
        let ok = NewDepositInput { items: vec![key], ..Default::default() };
        assert!(matches!(env.app.make_deposit(&b.staff.provider, &ok).await, Err(AppError::Forbidden)));
        let made = env.app.make_deposit(&b.staff.bookkeeper, &ok).await.unwrap();
        assert_eq!(made.total_cents, 4_500);
    }
}

both_backends! {
    async fn two_desks_depositing_the_same_check_at_once_deposit_it_once(env: TestEnv) {
        let b = billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        env.app.take_patient_payment(desk, &b.patient_id, &payment("120.00", "check", "3001")).await.unwrap();
        let key = env.app.undeposited_items(desk).await.unwrap().items[0].key.clone();
        let input = NewDepositInput { items: vec![key], ..Default::default() };
        let (a, c) = tokio::join!(env.app.make_deposit(desk, &input), env.app.make_deposit(&b.staff.bookkeeper, &input));
        let made = [a.is_ok(), c.is_ok()];
        assert_eq!(made.iter().filter(|m| **m).count(), 1, "{a:?} {c:?}");
        let refused = if a.is_ok() { c } else { a };
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        assert_eq!(rows(&env, "deposit").await, 1);
        assert_eq!(balance(&env, "1010").await, 0);
        assert_eq!(balance(&env, "1000").await, 12_000);
    }
}
