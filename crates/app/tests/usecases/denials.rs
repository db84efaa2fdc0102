//! The denial worklist through the use cases: a denied claim listed with its payer, the payer's
//! reasons in words and what it still owes in AR - Insurance; a zero-paid line of a partially paid
//! claim listed by line; each action (appeal, write off, bill the patient) taking the claim off
//! the list and moving the ledger by exactly the claim's remainder; roles without ManageClaims
//! refused.

use crate::encounters::{Billing, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput};
use medoffice_app::denials::{DenialActionInput, DenialQuery};
use medoffice_app::remittances::RemittanceImportInput;

/// Posts a visit (99213-25 $150.00, 93000 $60.00), sends its claim and returns (id, CLM01).
pub async fn sent_claim(env: &TestEnv, b: &Billing) -> (String, String) {
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

/// An 835 check from payer `payer_code` dated 2026-06-14 with the claims' CLP loops as given.
pub fn era(payer_code: &str, trace: &str, total: &str, claims: &[String]) -> RemittanceImportInput {
    let mut segments = vec![
        "ISA*00*          *00*          *ZZ*PAYER          *ZZ*MEDOFFICE      *260614*1200*^*00501*000000801*0*T*:".to_string(),
        "GS*HP*PAYER*MEDOFFICE*20260614*1200*801*X*005010X221A1".into(),
        "ST*835*0001".into(),
        format!("BPR*I*{total}*C*CHK************20260614"),
        format!("TRN*1*{trace}*1234567890"),
        format!("N1*PR*THE PAYER*XV*{payer_code}"),
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893".into(),
        "LX*1".into(),
    ];
    for c in claims {
        segments.extend(c.split('~').map(str::to_string));
    }
    let count = segments.len() - 2 + 1;
    let mut text: String = segments.iter().map(|s| format!("{s}~\n")).collect();
    text.push_str(&format!("SE*{count}*0001~\nGE*1*801~\nIEA*1*000000801~\n"));
    RemittanceImportInput { file_name: "era.835".into(), bytes: text.into_bytes() }
}

/// A claim paid $140.00 of $210.00 (CO-45 $40.00, PR-2 $20.00, PR-1 $10.00).
pub fn paid_clp(pcn: &str) -> String {
    format!(
        "CLP*{pcn}*1*210*140*30*12*ICN-P~SVC*HC:99213:25*150*100**1~DTM*472*20260610~CAS*CO*45*30~CAS*PR*2*20~\
         SVC*HC:93000*60*40**1~DTM*472*20260610~CAS*CO*45*10~CAS*PR*1*10"
    )
}

/// A claim denied whole with `group`-`reason` on both lines.
pub fn denied_clp(pcn: &str, group: &str, reason: &str) -> String {
    format!("CLP*{pcn}*4*210*0*0*12*ICN-D~SVC*HC:99213:25*150*0**1~CAS*{group}*{reason}*150~SVC*HC:93000*60*0**1~CAS*{group}*{reason}*60")
}

/// The balance (debit - credit) of an account by its number.
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

pub async fn payer_code(env: &TestEnv, b: &Billing) -> String {
    let payers = env.app.list_payers(&b.staff.admin).await.unwrap();
    payers.into_iter().find(|p| p.id == b.payer_id).unwrap().payer_code
}

fn note(text: &str) -> DenialActionInput {
    DenialActionInput { note: text.into() }
}

both_backends! {
    async fn a_denied_claim_is_listed_with_its_reasons_and_a_write_off_closes_it_for_its_remainder(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let code = payer_code(&env, &b).await;
        let (_, paid_pcn) = sent_claim(&env, &b).await;
        let (denied_id, denied_pcn) = sent_claim(&env, &b).await;
        env.app.import_remittance(biller, &era(&code, "CHK-1", "140", &[paid_clp(&paid_pcn), denied_clp(&denied_pcn, "CO", "29")])).await.unwrap();

        let list = env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap();
        assert_eq!(list.items.len(), 1);
        let item = &list.items[0];
        assert_eq!((item.claim_id.as_str(), item.status, item.line_number), (denied_id.as_str(), ClaimStatus::Denied, None));
        assert_eq!((item.ar_insurance_cents, item.denied_cents, list.total_ar_insurance_cents), (21_000, 21_000, 21_000));
        assert_eq!(item.patient_name, "Doe, Jane");
        assert_eq!(item.service_date, "2026-06-10");
        assert_eq!((item.denied_on.as_str(), item.days_since_denial), ("2026-06-14", 1));
        assert_eq!(item.reasons.len(), 1);
        assert_eq!((item.reasons[0].group_code.as_str(), item.reasons[0].reason_code.as_str()), ("CO", "29"));
        assert_eq!(item.reasons[0].meaning, "the time limit for filing has expired");
        assert!(!item.patient_liable);
        let other_payer = env.payer_id(&b.staff.admin, 1).await;
        assert!(env.app.denial_worklist(biller, &DenialQuery { payer_id: other_payer }).await.unwrap().items.is_empty());
        assert_eq!(env.app.denial_worklist(biller, &DenialQuery { payer_id: b.payer_id.clone() }).await.unwrap().items.len(), 1);

        // Roles without ManageClaims are refused; a write-off needs its reason.
        assert!(matches!(env.app.denial_worklist(&b.staff.front_desk, &DenialQuery::default()).await, Err(AppError::Forbidden)));
        for actor in [&b.staff.front_desk, &b.staff.bookkeeper, &b.staff.provider] {
            assert!(matches!(env.app.write_off_denial(actor, &denied_id, &note("late")).await, Err(AppError::Forbidden)));
        }
        assert_eq!(invalid_fields(env.app.write_off_denial(biller, &denied_id, &note("  ")).await), ["note"]);

        let (ar, adjustments, patients) = (balance(&env, "1100").await, balance(&env, "4100").await, balance(&env, "1110").await);
        assert_eq!(ar, 21_000);
        let done = env.app.write_off_denial(biller, &denied_id, &note("filing limit passed, no proof of timely filing")).await.unwrap();
        assert_eq!((done.status, done.amount_cents), (ClaimStatus::Closed, 21_000));
        assert!(done.journal_entry_id.is_some());
        assert_eq!(balance(&env, "1100").await, ar - 21_000);
        assert_eq!(balance(&env, "4100").await, adjustments + 21_000);
        assert_eq!(balance(&env, "1110").await, patients);
        // The AR line carries the claim, its payer and its patient.
        let (claim, payer, patient): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT l.claim_id, l.payer_id, l.patient_id FROM journal_line l JOIN ledger_account a \
             ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE l.entry_id = $1 AND a.number = '1100'",
        )
        .bind(done.journal_entry_id.as_deref().unwrap())
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!((claim.as_deref(), payer.as_deref(), patient.as_deref()), (Some(denied_id.as_str()), Some(b.payer_id.as_str()), Some(b.patient_id.as_str())));
        let detail = env.app.claim(biller, &denied_id).await.unwrap();
        assert_eq!(detail.claim.status, ClaimStatus::Closed);
        assert!(detail.history.last().unwrap().note.contains("written off"), "{:?}", detail.history.last());
        assert!(env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap().items.is_empty());
        // Once closed, nothing more to write off.
        assert!(matches!(env.app.write_off_denial(biller, &denied_id, &note("again")).await, Err(AppError::Conflict(_))));
        assert_eq!(balance(&env, "4100").await, adjustments + 21_000);
    }
}

both_backends! {
    async fn an_appealed_claim_leaves_the_list_and_the_next_835_posts_it(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let code = payer_code(&env, &b).await;
        let (denied_id, denied_pcn) = sent_claim(&env, &b).await;
        env.app.import_remittance(biller, &era(&code, "CHK-1", "0", &[denied_clp(&denied_pcn, "CO", "16")])).await.unwrap();
        let ar = balance(&env, "1100").await;
        assert_eq!(ar, 21_000);
        assert!(matches!(env.app.appeal_denial(&b.staff.front_desk, &denied_id, &note("x")).await, Err(AppError::Forbidden)));
        assert_eq!(invalid_fields(env.app.appeal_denial(biller, &denied_id, &note("")).await), ["note"]);
        let done = env.app.appeal_denial(biller, &denied_id, &note("resent with the referral attached")).await.unwrap();
        assert_eq!((done.status, done.amount_cents, done.journal_entry_id), (ClaimStatus::Appealed, 0, None));
        assert_eq!(balance(&env, "1100").await, ar);
        let detail = env.app.claim(biller, &denied_id).await.unwrap();
        assert_eq!(detail.claim.status, ClaimStatus::Appealed);
        assert!(detail.history.last().unwrap().note.contains("referral attached"));
        assert!(env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap().items.is_empty());

        // The payer pays on appeal: the 835 posts it like any other.
        let paid = env.app.import_remittance(biller, &era(&code, "CHK-2", "140", &[paid_clp(&denied_pcn)])).await.unwrap();
        assert_eq!(paid.claims_matched, 1, "{:?}", paid.claims);
        assert_eq!(env.app.claim(biller, &denied_id).await.unwrap().claim.status, ClaimStatus::Paid);
        assert_eq!(balance(&env, "1100").await, 0);
    }
}

both_backends! {
    async fn a_non_covered_denial_is_billed_to_the_patient_and_a_contractual_one_is_not(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let code = payer_code(&env, &b).await;
        let (late_id, late_pcn) = sent_claim(&env, &b).await;
        let (covered_id, covered_pcn) = sent_claim(&env, &b).await;
        env.clock.advance(chrono::Duration::days(10));
        env.app
            .import_remittance(biller, &era(&code, "CHK-7", "0", &[denied_clp(&late_pcn, "CO", "29"), denied_clp(&covered_pcn, "CO", "96")]))
            .await
            .unwrap();
        let list = env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap();
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.total_ar_insurance_cents, 42_000);
        assert!(list.items.iter().all(|i| i.days_since_denial == 11));
        let covered = list.items.iter().find(|i| i.claim_id == covered_id).unwrap();
        assert!(covered.patient_liable);
        assert_eq!(covered.reasons[0].meaning, "non-covered charge");

        assert_eq!(invalid_fields(env.app.bill_patient_for_denial(biller, &late_id, &note("")).await), ["action"]);
        let (ar, patients) = (balance(&env, "1100").await, balance(&env, "1110").await);
        let done = env.app.bill_patient_for_denial(biller, &covered_id, &note("not covered by the plan")).await.unwrap();
        assert_eq!((done.status, done.amount_cents), (ClaimStatus::Closed, 21_000));
        assert_eq!(balance(&env, "1100").await, ar - 21_000);
        assert_eq!(balance(&env, "1110").await, patients + 21_000);
        let (patient,): (Option<String>,) = sqlx::query_as(
            "SELECT l.patient_id FROM journal_line l JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
             WHERE l.entry_id = $1 AND a.number = '1110'",
        )
        .bind(done.journal_entry_id.as_deref().unwrap())
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(patient.as_deref(), Some(b.patient_id.as_str()));
        let left = env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap();
        assert_eq!(left.items.iter().map(|i| i.claim_id.as_str()).collect::<Vec<_>>(), [late_id.as_str()]);
    }
}

both_backends! {
    async fn a_zero_paid_line_of_a_partially_paid_claim_is_listed_by_line(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let code = payer_code(&env, &b).await;
        let (claim_id, pcn) = sent_claim(&env, &b).await;
        // The visit paid, the ECG denied as bundled (CO-97).
        let clp = format!(
            "CLP*{pcn}*1*210*100*20*12*ICN-X~SVC*HC:99213:25*150*100**1~DTM*472*20260610~CAS*CO*45*30~CAS*PR*2*20~\
             SVC*HC:93000*60*0**1~DTM*472*20260610~CAS*CO*97*60"
        );
        let done = env.app.import_remittance(biller, &era(&code, "CHK-3", "100", &[clp])).await.unwrap();
        assert_eq!(done.claims[0].outcome, "partially_paid", "{:?}", done.claims);
        let list = env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap();
        assert_eq!(list.items.len(), 1);
        let item = &list.items[0];
        assert_eq!((item.claim_id.as_str(), item.status, item.line_number), (claim_id.as_str(), ClaimStatus::PartiallyPaid, Some(2)));
        assert_eq!((item.procedure_code.as_deref(), item.charge_cents, item.denied_cents), (Some("93000"), 6_000, 6_000));
        assert_eq!(item.reasons.iter().map(|r| format!("{}-{}", r.group_code, r.reason_code)).collect::<Vec<_>>(), ["CO-97"]);
        // The denied line's $60.00 stays with the payer (not written off by the 835): what the
        // claim still owes in AR - Insurance, from the journal.
        assert_eq!(item.ar_insurance_cents, 6_000);
        assert_eq!(balance(&env, "1100").await, 6_000);
        assert_eq!(balance(&env, "4100").await, 3_000, "only the paid line's CO-45 is written off");
        let ar = balance(&env, "1100").await;
        let adjustments = balance(&env, "4100").await;
        let closed = env.app.write_off_denial(biller, &claim_id, &note("bundled, not separately payable")).await.unwrap();
        assert_eq!(closed.amount_cents, ar);
        assert_eq!(balance(&env, "1100").await, 0);
        assert_eq!(balance(&env, "4100").await, adjustments + ar);
        assert!(env.app.denial_worklist(biller, &DenialQuery::default()).await.unwrap().items.is_empty());
    }
}
