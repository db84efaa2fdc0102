//! Remittances (835) through the use cases: a payment posted claim by claim (CO-45 written off,
//! PR-1/PR-2 moved to the patient, a denial left with the payer for the worklist, a claim that is
//! not ours listed), the journal entry balanced and the AR control accounts moved by exactly those
//! amounts; the same payment imported again (or twice at once) posting nothing; an unbalanced file
//! refused with nothing written; a secondary claim made when the patient has a secondary coverage.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields};
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput};
use medoffice_app::remittances::RemittanceImportInput;

/// Posts a visit (99213-25 $150.00, 93000 $60.00), sends its claim and returns (id, CLM01).
async fn sent_claim(env: &TestEnv, b: &Billing) -> (String, String) {
    let biller = &b.staff.biller;
    let e = env.app.open_encounter(biller, &visit(b, &b.patient_id)).await.unwrap();
    let claim_id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
    let input = ClaimStatusInput { status: "ready".into(), note: String::new() };
    let ready = env.app.change_claim_status(biller, &claim_id, &input).await.unwrap();
    assert!(ready.problems.is_empty(), "{:?}", ready.problems);
    env.app.send_ready_claims(biller).await.unwrap();
    let detail = env.app.claim(biller, &claim_id).await.unwrap();
    assert_eq!(detail.claim.status, ClaimStatus::Sent);
    (claim_id, detail.claim.patient_control_number)
}

/// The 835 of a check: `paid` pays $140.00 of its $210.00 (CO-45 $40.00, PR-2 $20.00, PR-1
/// $10.00), `denied` is denied (CO-29 on both lines), MO99999999 is not ours ($50.00 paid).
fn remittance_835(trace: &str, paid: &str, denied: &str, total: &str) -> Vec<u8> {
    let segments = [
        "ISA*00*          *00*          *ZZ*AETNA          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000701*0*T*:".to_string(),
        "GS*HP*AETNA*MEDOFFICE*20260614*1200*701*X*005010X221A1".into(),
        "ST*835*0001".into(),
        format!("BPR*I*{total}*C*CHK************20260614"),
        format!("TRN*1*{trace}*1234567890"),
        "N1*PR*AETNA*XV*60054".into(),
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893".into(),
        "LX*1".into(),
        format!("CLP*{paid}*1*210*140*30*12*ICN-1"),
        "NM1*QC*1*DOE*JANE****MI*MEMBER001".into(),
        "SVC*HC:99213:25*150*100**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*30".into(),
        "CAS*PR*2*20".into(),
        "SVC*HC:93000*60*40**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*10".into(),
        "CAS*PR*1*10".into(),
        format!("CLP*{denied}*4*210*0*0*12*ICN-2"),
        "SVC*HC:99213:25*150*0**1".into(),
        "CAS*CO*29*150".into(),
        "SVC*HC:93000*60*0**1".into(),
        "CAS*CO*29*60".into(),
        "CLP*MO99999999*1*50*50**12*ICN-3".into(),
    ];
    let count = segments.len() - 2 + 1; // ST..SE
    let mut text: String = segments.iter().map(|s| format!("{s}~\n")).collect();
    text.push_str(&format!("SE*{count}*0001~\nGE*1*701~\nIEA*1*000000701~\n"));
    text.into_bytes()
}

fn file(bytes: Vec<u8>) -> RemittanceImportInput {
    RemittanceImportInput { file_name: "era.835".into(), bytes }
}

/// The balance (debit - credit) of an account by its number.
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

async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["journal_entry", "remittance", "remittance_claim", "claim_adjudication", "claim"].contains(&table));
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn an_835_posts_payments_write_offs_and_the_patients_share_and_lists_what_it_cannot_match(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (paid_id, paid_pcn) = sent_claim(&env, &b).await;
        let (denied_id, denied_pcn) = sent_claim(&env, &b).await;
        assert_eq!(balance(&env, "1100").await, 42_000);
        let entries = rows(&env, "journal_entry").await;

        let done = env.app.import_remittance(biller, &file(remittance_835("CHK-1001", &paid_pcn, &denied_pcn, "190"))).await.unwrap();
        assert!(!done.duplicate);
        assert_eq!((done.claims_matched, done.claims_unmatched), (2, 1));
        assert_eq!((done.paid_cents, done.adjustment_cents, done.patient_responsibility_cents), (14_000, 4_000, 3_000));
        let outcomes: Vec<(&str, &str)> = done.claims.iter().map(|c| (c.patient_control_number.as_str(), c.outcome.as_str())).collect();
        assert_eq!(outcomes, [(paid_pcn.as_str(), "paid"), (denied_pcn.as_str(), "denied"), ("MO99999999", "unmatched")]);
        assert!(done.claims[2].reason.contains("not one of our claims"), "{}", done.claims[2].reason);

        // The claims moved through accepted to paid and denied.
        let paid = env.app.claim(biller, &paid_id).await.unwrap();
        assert_eq!(paid.claim.status, ClaimStatus::Paid);
        let steps: Vec<(&str, &str)> = paid.history.iter().skip(paid.history.len() - 2).map(|e| (e.to_status.as_str(), e.note.as_str())).collect();
        assert_eq!(steps[0], ("accepted", "accepted (835)"));
        assert_eq!(steps[1].0, "paid");
        assert_eq!(paid.adjudication.as_ref().map(|a| a.paid_cents), Some(14_000));
        assert_eq!(env.app.claim(biller, &denied_id).await.unwrap().claim.status, ClaimStatus::Denied);
        assert_eq!(rows(&env, "claim_adjudication").await, 2);

        // One balanced entry: $140.00 to undeposited funds, $40.00 written off, $30.00 to the
        // patient; the denied claim's $210.00 stays with the payer.
        assert_eq!(rows(&env, "journal_entry").await, entries + 1);
        assert_eq!(balance(&env, "1010").await, 14_000);
        assert_eq!(balance(&env, "4100").await, 4_000);
        assert_eq!(balance(&env, "1110").await, 3_000);
        assert_eq!(balance(&env, "1100").await, 42_000 - 14_000 - 4_000 - 3_000);
        let (debits, credits): (i64, i64) = sqlx::query_as(
            "SELECT CAST(SUM(debit_cents) AS BIGINT), CAST(SUM(credit_cents) AS BIGINT) FROM journal_line",
        )
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(debits, credits);

        // The same payment again posts nothing and says so.
        let again = env.app.import_remittance(biller, &file(remittance_835("CHK-1001", &paid_pcn, &denied_pcn, "190"))).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.remittance_id, done.remittance_id);
        assert_eq!((again.claims_matched, again.paid_cents), (2, 14_000));
        assert_eq!(rows(&env, "journal_entry").await, entries + 1);
        assert_eq!(rows(&env, "remittance").await, 1);
        assert_eq!(rows(&env, "claim_adjudication").await, 2);
        assert_eq!(balance(&env, "1100").await, 21_000);

        // A claim already paid is listed, not paid twice, under another trace number.
        let other = env.app.import_remittance(biller, &file(remittance_835("CHK-1002", &paid_pcn, "MO99999998", "190"))).await.unwrap();
        assert_eq!((other.claims_matched, other.claims_unmatched, other.paid_cents), (0, 3, 0));
        assert!(other.claims[0].reason.contains("is paid"), "{}", other.claims[0].reason);
        assert_eq!(balance(&env, "1100").await, 21_000);
        assert_eq!(env.app.remittances(biller).await.unwrap().len(), 2);
        assert!(env.app.import_remittance(&b.staff.front_desk, &file(remittance_835("CHK-1003", &paid_pcn, &denied_pcn, "190"))).await.is_err());
    }
}

both_backends! {
    async fn the_same_payment_imported_twice_at_once_is_posted_once(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (_, paid_pcn) = sent_claim(&env, &b).await;
        let (_, denied_pcn) = sent_claim(&env, &b).await;
        let entries = rows(&env, "journal_entry").await;
        let input = file(remittance_835("EFT-77", &paid_pcn, &denied_pcn, "190"));
        let (first, second) = tokio::join!(env.app.import_remittance(biller, &input), env.app.import_remittance(biller, &input));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!([first.duplicate, second.duplicate].iter().filter(|d| **d).count(), 1);
        assert_eq!(first.remittance_id, second.remittance_id);
        assert_eq!((first.paid_cents, second.paid_cents), (14_000, 14_000));
        assert_eq!(rows(&env, "remittance").await, 1);
        assert_eq!(rows(&env, "remittance_claim").await, 3);
        assert_eq!(rows(&env, "journal_entry").await, entries + 1);
        assert_eq!(balance(&env, "1010").await, 14_000);
    }
}

both_backends! {
    async fn an_unbalanced_or_unreadable_835_is_refused_with_the_reason_and_nothing_written(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (paid_id, paid_pcn) = sent_claim(&env, &b).await;
        let (_, denied_pcn) = sent_claim(&env, &b).await;
        let entries = rows(&env, "journal_entry").await;
        // The check says $200.00 where the claims paid $190.00.
        let bad = file(remittance_835("CHK-9", &paid_pcn, &denied_pcn, "200"));
        let err = env.app.import_remittance(biller, &bad).await;
        let message = match &err {
            Err(medoffice_app::AppError::Validation(e)) => e.for_field("file").unwrap_or_default().to_string(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert!(message.contains("does not balance"), "{message}");
        assert_eq!(invalid_fields(env.app.import_remittance(biller, &bad).await), ["file"]);
        assert_eq!(invalid_fields(env.app.import_remittance(biller, &file(b"not x12 at all".to_vec())).await), ["file"]);
        assert_eq!(invalid_fields(env.app.import_remittance(biller, &file(Vec::new())).await), ["file"]);
        assert_eq!(rows(&env, "remittance").await, 0);
        assert_eq!(rows(&env, "claim_adjudication").await, 0);
        assert_eq!(rows(&env, "journal_entry").await, entries);
        assert_eq!(env.app.claim(biller, &paid_id).await.unwrap().claim.status, ClaimStatus::Sent);
    }
}

both_backends! {
    async fn a_primary_payment_makes_the_secondary_claim_and_moves_the_patients_share_to_that_payer(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let second_payer = env.payer_id(&b.staff.admin, 1).await;
        env.app.add_coverage(&b.staff.front_desk, &b.patient_id, &coverage(&second_payer, "SEC-9", "2", "2026-01-01"), None, None).await.unwrap();
        let (paid_id, paid_pcn) = sent_claim(&env, &b).await;
        let (_, denied_pcn) = sent_claim(&env, &b).await;
        let claims = rows(&env, "claim").await;
        let done = env.app.import_remittance(biller, &file(remittance_835("CHK-55", &paid_pcn, &denied_pcn, "190"))).await.unwrap();
        let secondary_id = done.claims[0].secondary_claim_id.clone().expect("a secondary claim");
        assert!(done.claims[1].secondary_claim_id.is_none(), "no secondary claim for a denial");
        assert_eq!(rows(&env, "claim").await, claims + 1);
        let secondary = env.app.claim(biller, &secondary_id).await.unwrap();
        assert_eq!(secondary.claim.payer_id, second_payer);
        assert_eq!(secondary.claim.status, ClaimStatus::Draft);
        assert_eq!(env.app.claim(biller, &paid_id).await.unwrap().claim.status, ClaimStatus::Paid);
        // The $30.00 stays in AR - Insurance, now the secondary payer's; nothing to the patient.
        assert_eq!(balance(&env, "1110").await, 0);
        assert_eq!(balance(&env, "1100").await, 42_000 - 14_000 - 4_000);
        let (secondary_ar,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(debit_cents - credit_cents), 0) AS BIGINT) FROM journal_line WHERE payer_id = $1",
        )
        .bind(&second_payer)
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(secondary_ar, 3_000);
    }
}
