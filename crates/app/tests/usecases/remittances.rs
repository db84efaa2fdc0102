//! Remittances (835) through the use cases: a payment posted claim by claim (CO-45 written off,
//! PR-1/PR-2 moved to the patient, a denial left with the payer for the worklist, a claim that is
//! not ours listed), the journal entry balanced and the AR control accounts moved by exactly those
//! amounts; the same payment imported again (or twice at once) posting nothing; an unbalanced file
//! refused with nothing written; a secondary claim made when the patient has a secondary coverage.
//! Part two: a file of several payments posted each on its own; a reversal (CLP02 22) taking back
//! the earlier posting (including the secondary payer's share) so the corrected claim posts; PLB
//! interest and recoveries posted so the cash line is BPR02; a claim billed to another payer left
//! unposted; a payer paying more than billed; adjustments and remark codes in plain words; and
//! underpaid lines against the payer's expected amounts.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields};
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput};
use medoffice_app::fees::FeeInput;
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

/// The segments of one payment (ST..SE without them) from the payer with electronic id `payer`.
fn payment(trace: &str, total: &str, payer: &str, body: &[String]) -> Vec<String> {
    let mut out = vec![
        format!("BPR*I*{total}*C*CHK************20260614"),
        format!("TRN*1*{trace}*1234567890"),
        format!("N1*PR*PAYER {payer}*XV*{payer}"),
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893".into(),
        "LX*1".into(),
    ];
    out.extend(body.iter().cloned());
    out
}

/// A file of payments, one ST..SE each.
fn file_of(payments: &[Vec<String>]) -> RemittanceImportInput {
    let mut text = String::from(
        "ISA*00*          *00*          *ZZ*AETNA          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000702*0*T*:~\n\
         GS*HP*AETNA*MEDOFFICE*20260614*1200*702*X*005010X221A1~\n",
    );
    for (i, segments) in payments.iter().enumerate() {
        text.push_str(&format!("ST*835*{:04}~\n", i + 1));
        for s in segments {
            text.push_str(s);
            text.push_str("~\n");
        }
        text.push_str(&format!("SE*{}*{:04}~\n", segments.len() + 2, i + 1));
    }
    text.push_str(&format!("GE*{}*702~\nIEA*1*000000702~\n", payments.len()));
    file(text.into_bytes())
}

/// Claim `pcn` paid $140.00 of its $210.00 (CO-45 $40.00, PR-2 $20.00, PR-1 $10.00).
fn paid_claim(pcn: &str, icn: &str) -> Vec<String> {
    vec![
        format!("CLP*{pcn}*1*210*140*30*12*{icn}"),
        "SVC*HC:99213:25*150*100**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*30".into(),
        "CAS*PR*2*20".into(),
        "SVC*HC:93000*60*40**1".into(),
        "DTM*472*20260610".into(),
        "CAS*CO*45*10".into(),
        "CAS*PR*1*10".into(),
    ]
}

/// The balance of AR - Insurance for one payer.
async fn payer_ar(env: &TestEnv, payer_id: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE a.number = '1100' AND l.payer_id = $1",
    )
    .bind(payer_id)
    .fetch_one(env.store.pool())
    .await
    .unwrap();
    n
}

/// The debits and credits of a remittance's entry, and its cash line (debit - credit on 1010/1000).
async fn entry_of(env: &TestEnv, remittance_id: &str) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT CAST(SUM(l.debit_cents) AS BIGINT), CAST(SUM(l.credit_cents) AS BIGINT), \
         CAST(SUM(CASE WHEN a.number IN ('1000', '1010') THEN l.debit_cents - l.credit_cents ELSE 0 END) AS BIGINT) \
         FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE e.idempotency_key = $1",
    )
    .bind(format!("remittance:{remittance_id}"))
    .fetch_one(env.store.pool())
    .await
    .unwrap()
}

both_backends! {
    async fn a_file_of_several_payments_posts_each_on_its_own_and_answers_their_sum(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (first_id, first) = sent_claim(&env, &b).await;
        let (second_id, second) = sent_claim(&env, &b).await;
        let (_, third) = sent_claim(&env, &b).await;
        let entries = rows(&env, "journal_entry").await;
        let both = file_of(&[
            payment("CHK-A", "140", "60054", &paid_claim(&first, "ICN-A")),
            payment("CHK-B", "140", "60054", &paid_claim(&second, "ICN-B")),
        ]);
        let done = env.app.import_remittance(biller, &both).await.unwrap();
        assert!(!done.duplicate);
        assert_eq!(done.remittances.len(), 2);
        assert_eq!((done.claims_matched, done.claims_unmatched, done.paid_cents), (2, 0, 28_000));
        assert_eq!((done.adjustment_cents, done.patient_responsibility_cents), (8_000, 6_000));
        let traces: Vec<&str> = done.remittances.iter().map(|r| r.trace_number.as_str()).collect();
        assert_eq!(traces, ["CHK-A", "CHK-B"]);
        assert_ne!(done.remittances[0].remittance_id, done.remittances[1].remittance_id);
        assert_eq!(rows(&env, "remittance").await, 2);
        assert_eq!(rows(&env, "journal_entry").await, entries + 2, "one entry per payment");
        assert_eq!(balance(&env, "1010").await, 28_000);
        assert_eq!(env.app.claim(biller, &first_id).await.unwrap().claim.status, ClaimStatus::Paid);
        assert_eq!(env.app.claim(biller, &second_id).await.unwrap().claim.status, ClaimStatus::Paid);

        // Again: every payment was posted before.
        let again = env.app.import_remittance(biller, &both).await.unwrap();
        assert!(again.duplicate && again.remittances.iter().all(|r| r.duplicate));
        assert_eq!(rows(&env, "journal_entry").await, entries + 2);

        // One posted before and one new: only the new one posts; the file is not a duplicate.
        let mixed = file_of(&[
            payment("CHK-B", "140", "60054", &paid_claim(&second, "ICN-B")),
            payment("CHK-C", "140", "60054", &paid_claim(&third, "ICN-C")),
        ]);
        let done = env.app.import_remittance(biller, &mixed).await.unwrap();
        assert!(!done.duplicate);
        assert_eq!(done.remittances.iter().map(|r| r.duplicate).collect::<Vec<_>>(), [true, false]);
        assert_eq!(rows(&env, "remittance").await, 3);
        assert_eq!(rows(&env, "journal_entry").await, entries + 3);
        assert_eq!(balance(&env, "1010").await, 42_000);

        // One payment that does not balance refuses the whole file, nothing posted.
        let (_, fourth) = sent_claim(&env, &b).await;
        let bad = file_of(&[
            payment("CHK-D", "140", "60054", &paid_claim(&fourth, "ICN-D")),
            payment("CHK-E", "999", "60054", &paid_claim(&fourth, "ICN-E")),
        ]);
        assert_eq!(invalid_fields(env.app.import_remittance(biller, &bad).await), ["file"]);
        assert_eq!(rows(&env, "remittance").await, 3);
    }
}

both_backends! {
    async fn a_reversal_takes_back_the_earlier_posting_and_the_corrected_claim_then_posts(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let second_payer = env.payer_id(&b.staff.admin, 1).await;
        env.app.add_coverage(&b.staff.front_desk, &b.patient_id, &coverage(&second_payer, "SEC-9", "2", "2026-01-01"), None, None).await.unwrap();
        let (claim_id, pcn) = sent_claim(&env, &b).await;
        let first = env.app.import_remittance(biller, &file_of(&[payment("CHK-1", "140", "60054", &paid_claim(&pcn, "ICN-1"))])).await.unwrap();
        assert!(first.claims[0].secondary_claim_id.is_some());
        assert_eq!(payer_ar(&env, &second_payer).await, 3_000);
        assert_eq!(balance(&env, "4100").await, 4_000);

        // The payer takes the payment back (CLP02 22, found by its claim control number) and
        // pays the corrected claim in the same 835: $150.00 (CO-45 $40.00, PR $20.00).
        let reversal = [
            format!("CLP*{pcn}*22*-210*-140*-30*12*ICN-1"),
            "CAS*CO*45*-40".into(),
            "CAS*PR*2*-20*PR*1*-10".into(),
        ];
        let corrected = [
            format!("CLP*{pcn}*1*210*150*20*12*ICN-1B"),
            "SVC*HC:99213:25*150*110**1".into(),
            "DTM*472*20260610".into(),
            "CAS*CO*45*30".into(),
            "CAS*PR*2*10".into(),
            "SVC*HC:93000*60*40**1".into(),
            "DTM*472*20260610".into(),
            "CAS*CO*45*10".into(),
            "CAS*PR*1*10".into(),
        ];
        let entries = rows(&env, "journal_entry").await;
        let body: Vec<String> = reversal.iter().chain(&corrected).cloned().collect();
        let done = env.app.import_remittance(biller, &file_of(&[payment("CHK-2", "10", "60054", &body)])).await.unwrap();
        let outcomes: Vec<&str> = done.claims.iter().map(|c| c.outcome.as_str()).collect();
        assert_eq!(outcomes, ["reversed", "paid"], "{:?}", done.claims);
        assert_eq!(done.claims[0].reverses_remittance_id.as_deref(), Some(first.remittance_id.as_str()));
        assert_eq!((done.claims[0].paid_cents, done.claims[0].adjustment_cents, done.claims[0].patient_responsibility_cents), (-14_000, -4_000, -3_000));
        assert_eq!(rows(&env, "journal_entry").await, entries + 1, "one entry for the remittance");
        let (debits, credits, cash) = entry_of(&env, &done.remittance_id).await;
        assert_eq!(debits, credits);
        assert_eq!(cash, 1_000, "the cash line is BPR02");
        // The reversal took the secondary payer's $30.00 back; the corrected claim's own posting
        // then moved its $20.00 of patient's share (to the patient or the secondary payer).
        assert_eq!(balance(&env, "1010").await, 15_000);
        assert_eq!(balance(&env, "4100").await, 4_000);
        assert_eq!(balance(&env, "1100").await + balance(&env, "1110").await, 21_000 - 15_000 - 4_000);
        assert_eq!(payer_ar(&env, &b.payer_id).await, 0);
        let claim = env.app.claim(biller, &claim_id).await.unwrap();
        assert_eq!(claim.claim.status, ClaimStatus::Paid);
        assert!(claim.history.iter().any(|e| e.to_status == "accepted" && e.note == "reversed by 835 CHK-2"), "{:?}", claim.history);
        let earlier = env.app.remittance(biller, &first.remittance_id).await.unwrap();
        assert_eq!(earlier.claims[0].reversed_by_remittance_id.as_deref(), Some(done.remittance_id.as_str()));

        // A reversal with nothing to reverse is unmatched with the reason; the claim's own payment
        // in the same 835 posts.
        let (other_id, other) = sent_claim(&env, &b).await;
        let mut body = vec![format!("CLP*{other}*22*-210*-140*-30*12*ICN-9"), "CAS*CO*45*-40".into(), "CAS*PR*2*-30".into()];
        body.extend(paid_claim(&other, "ICN-9B"));
        let done = env.app.import_remittance(biller, &file_of(&[payment("CHK-3", "0", "60054", &body)])).await.unwrap();
        assert_eq!(done.claims[0].outcome, "unmatched");
        assert!(done.claims[0].reason.contains("nothing to reverse"), "{}", done.claims[0].reason);
        assert_eq!(done.claims[1].outcome, "paid");
        assert_eq!(env.app.claim(biller, &other_id).await.unwrap().claim.status, ClaimStatus::Paid);
    }
}

both_backends! {
    async fn provider_level_adjustments_post_with_the_payment_so_the_cash_line_is_the_check(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (_, pcn) = sent_claim(&env, &b).await;
        let (recovered_id, recovered) = sent_claim(&env, &b).await;
        // $5.00 interest added, $30.00 recovered against our claim, $10.00 offset against the payer.
        let mut body = paid_claim(&pcn, "ICN-1");
        body.push(format!("PLB*1234567893*20261231*L6*-5*WO:{recovered}*30*FB:OFFSET77*10"));
        let done = env.app.import_remittance(biller, &file_of(&[payment("EFT-9", "105", "60054", &body)])).await.unwrap();
        assert_eq!(done.provider_adjustment_cents, 3_500);
        let (debits, credits, cash) = entry_of(&env, &done.remittance_id).await;
        assert_eq!(debits, credits);
        assert_eq!(cash, 10_500, "the cash line is BPR02");
        assert_eq!(balance(&env, "4900").await, -500, "interest credited to other revenue");
        assert_eq!(balance(&env, "1100").await, 42_000 - 14_000 - 4_000 - 3_000 + 3_000 + 1_000);
        let (claim_line,): (i64,) = sqlx::query_as(
            "SELECT CAST(SUM(l.debit_cents) AS BIGINT) FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id \
             AND a.id = l.account_id WHERE a.number = '1100' AND l.claim_id = $1",
        )
        .bind(&recovered_id)
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(claim_line, 21_000 + 3_000, "the charge, then the recovery against that claim");
        let detail = env.app.remittance(biller, &done.remittance_id).await.unwrap();
        let plb: Vec<(&str, &str, Option<&str>)> =
            detail.provider_adjustments.iter().map(|p| (p.reason_code.as_str(), p.outcome.as_str(), p.account.as_deref())).collect();
        assert_eq!(plb, [("L6", "posted", Some("4900")), ("WO", "posted", Some("1100")), ("FB", "posted", Some("1100"))]);
        assert_eq!(detail.provider_adjustments[1].claim_id.as_deref(), Some(recovered_id.as_str()));

        // J1 (nonspendable) is listed, not posted: the cash line is then the posted part only.
        let (_, third) = sent_claim(&env, &b).await;
        let mut body = paid_claim(&third, "ICN-3");
        body.push("PLB*1234567893*20261231*J1:X1*10".into());
        let done = env.app.import_remittance(biller, &file_of(&[payment("EFT-10", "130", "60054", &body)])).await.unwrap();
        let detail = env.app.remittance(biller, &done.remittance_id).await.unwrap();
        assert_eq!(detail.provider_adjustments[0].outcome, "unmatched");
        assert!(detail.provider_adjustments[0].note.contains("by hand"), "{}", detail.provider_adjustments[0].note);
        assert_eq!(done.provider_adjustment_cents, 0);
        let (debits, credits, cash) = entry_of(&env, &done.remittance_id).await;
        assert_eq!((debits - credits, cash), (0, 14_000));
    }
}

both_backends! {
    async fn a_claim_billed_to_another_payer_is_listed_never_posted(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (claim_id, pcn) = sent_claim(&env, &b).await;
        let entries = rows(&env, "journal_entry").await;
        // Blue Cross (00803) pays a claim billed to Aetna (60054).
        let done = env.app.import_remittance(biller, &file_of(&[payment("BC-1", "140", "00803", &paid_claim(&pcn, "ICN-1"))])).await.unwrap();
        assert_eq!((done.claims_matched, done.claims_unmatched, done.paid_cents), (0, 1, 0));
        assert!(done.claims[0].reason.contains("was billed to") && done.claims[0].reason.contains("60054"), "{}", done.claims[0].reason);
        assert_eq!(done.claims[0].claim_id.as_deref(), Some(claim_id.as_str()));
        assert_eq!(rows(&env, "journal_entry").await, entries);
        assert_eq!(rows(&env, "claim_adjudication").await, 0);
        assert_eq!(env.app.claim(biller, &claim_id).await.unwrap().claim.status, ClaimStatus::Sent);
    }
}

both_backends! {
    async fn a_payer_paying_more_than_billed_posts_its_negative_adjustment(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (claim_id, pcn) = sent_claim(&env, &b).await;
        let body = vec![
            format!("CLP*{pcn}*1*210*230*0*12*ICN-7"),
            "MOA***MA01*N381".into(),
            "SVC*HC:99213:25*150*160**1".into(),
            "DTM*472*20260610".into(),
            "CAS*CO*45*-10".into(),
            "LQ*HE*N130".into(),
            "SVC*HC:93000*60*70**1".into(),
            "DTM*472*20260610".into(),
            "CAS*CO*45*-10".into(),
        ];
        let done = env.app.import_remittance(biller, &file_of(&[payment("CHK-OVER", "230", "60054", &body)])).await.unwrap();
        assert_eq!((done.claims_matched, done.paid_cents, done.adjustment_cents), (1, 23_000, -2_000));
        assert_eq!(balance(&env, "1010").await, 23_000);
        assert_eq!(balance(&env, "4100").await, -2_000, "the contractual adjustments account is credited");
        assert_eq!(balance(&env, "1100").await, 0);
        assert_eq!(env.app.claim(biller, &claim_id).await.unwrap().claim.status, ClaimStatus::Paid);

        // The adjustments and remark codes in plain words.
        let detail = env.app.remittance(biller, &done.remittance_id).await.unwrap();
        let claim = &detail.claims[0];
        assert_eq!(claim.adjustments.len(), 2);
        assert_eq!((claim.adjustments[0].line, claim.adjustments[0].group_code.as_str(), claim.adjustments[0].amount_cents), (1, "CO", -1_000));
        assert!(claim.adjustments[0].reason_meaning.contains("fee schedule"), "{}", claim.adjustments[0].reason_meaning);
        let remarks: Vec<&str> = claim.remarks.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(remarks, ["MA01", "N381"]);
        assert!(claim.remarks[0].meaning.contains("appeal"), "{}", claim.remarks[0].meaning);
        assert_eq!(claim.lines[0].remarks[0].code, "N130");
        assert!(claim.lines[0].remarks[0].meaning.contains("benefit"), "{}", claim.lines[0].remarks[0].meaning);
    }
}

both_backends! {
    async fn lines_allowed_below_the_payers_expected_amount_are_flagged_and_listed(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        for (code, amount) in [("99213", "130.00"), ("93000", "50.00")] {
            let fee = FeeInput { code: code.into(), modifier: String::new(), amount: amount.into(), amount_cents: None };
            env.app.set_payer_fee(&b.staff.admin, &b.payer_id, &fee).await.unwrap();
        }
        let (claim_id, pcn) = sent_claim(&env, &b).await;
        // 99213: paid $100.00 + PR $20.00 = $120.00 allowed of $130.00; 93000: AMT*B6 says $45.00
        // allowed of $50.00.
        let mut body = paid_claim(&pcn, "ICN-U");
        body.insert(8, "AMT*B6*45".into());
        let done = env.app.import_remittance(biller, &file_of(&[payment("CHK-U", "140", "60054", &body)])).await.unwrap();
        assert_eq!(done.claims[0].outcome, "paid");
        assert_eq!(done.claims[0].short_cents, 1_500);
        assert!(done.claims[0].reason.contains("underpaid"), "{}", done.claims[0].reason);
        let lines: Vec<(i64, Option<i64>, i64)> = done.claims[0].lines.iter().map(|l| (l.allowed_cents, l.expected_cents, l.short_cents)).collect();
        assert_eq!(lines, [(12_000, Some(13_000), 1_000), (4_500, Some(5_000), 500)]);

        let list = env.app.underpayments(biller).await.unwrap();
        let rows: Vec<(&str, &str, i64, i64, i64)> =
            list.iter().map(|u| (u.claim_id.as_deref().unwrap_or(""), u.procedure_code.as_str(), u.expected_cents, u.allowed_cents, u.short_cents)).collect();
        assert_eq!(rows, [(claim_id.as_str(), "99213", 13_000, 12_000, 1_000), (claim_id.as_str(), "93000", 5_000, 4_500, 500)]);
        assert_eq!(list[0].payer_name, "PAYER 60054");

        // Reversed postings drop out. A reversal alone carries its balance forward (PLB FB, a
        // negative amount here), which posts against the payer's AR - Insurance.
        let body = vec![
            format!("CLP*{pcn}*22*-210*-140*-30*12*ICN-U"),
            "CAS*CO*45*-40".into(),
            "CAS*PR*2*-30".into(),
            "PLB*1234567893*20261231*FB:ICN-U*-140".into(),
        ];
        let entries_before = rows_count(&env).await;
        let done = env.app.import_remittance(biller, &file_of(&[payment("CHK-UR", "0", "60054", &body)])).await.unwrap();
        assert_eq!(done.claims[0].outcome, "reversed");
        assert_eq!(rows_count(&env).await, entries_before + 1);
        let (debits, credits, cash) = entry_of(&env, &done.remittance_id).await;
        assert_eq!((debits - credits, cash), (0, 0));
        assert_eq!(balance(&env, "1100").await, 21_000 - 14_000, "the claim is owed again; the payer's carried-forward balance offsets the cash");
        assert!(env.app.underpayments(biller).await.unwrap().is_empty());
        assert!(env.app.underpayments(&b.staff.front_desk).await.is_err());
    }
}

async fn rows_count(env: &TestEnv) -> i64 {
    rows(env, "journal_entry").await
}
