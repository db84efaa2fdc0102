//! Paper EOBs typed by hand through the use cases: the same posting as the equivalent 835 (the
//! same amounts on the same accounts, the same claim outcomes); an EOB that does not add up
//! refused at the field that does not, with nothing written; the same payer and check number
//! posted once; the mail room's check leaving "to post" when its EOB is posted.

use crate::denials::{balance, denied_clp, era, paid_clp, payer_code, sent_claim};
use crate::encounters::billing_setup;
use crate::harness::{TestEnv, both_backends, invalid_fields};
use medoffice_app::AppError;
use medoffice_app::claims::ClaimStatus;
use medoffice_app::claims_cob::AdjustmentInput;
use medoffice_app::mail_room::NewMailInput;
use medoffice_app::paper_eob::{PaperEobClaimInput, PaperEobInput, PaperEobLineInput};

fn adj(group: &str, reason: &str, amount: &str) -> AdjustmentInput {
    AdjustmentInput { group_code: group.into(), reason_code: reason.into(), amount: amount.into(), amount_cents: None }
}

fn line(paid: &str, adjustments: Vec<AdjustmentInput>) -> PaperEobLineInput {
    // A spare blank row, as the form sends.
    let mut adjustments = adjustments;
    adjustments.push(AdjustmentInput::default());
    PaperEobLineInput { paid: paid.into(), paid_cents: None, adjustments }
}

/// What [`paid_clp`] says, typed: $140.00 of $210.00 (CO-45 $40.00, PR-2 $20.00, PR-1 $10.00).
fn paid_claim(pcn: &str) -> PaperEobClaimInput {
    PaperEobClaimInput {
        claim: pcn.into(),
        status: "paid".into(),
        paid: "140.00".into(),
        payer_claim_control_number: "ICN-P".into(),
        lines: vec![
            line("100.00", vec![adj("CO", "45", "30.00"), adj("PR", "2", "20.00")]),
            line("40", vec![adj("co", "45", "10"), adj("PR", "1", "10")]),
        ],
        ..Default::default()
    }
}

/// What [`denied_clp`] with CO-29 says, typed (the claim picked by its number without `MO`).
fn denied_claim(pcn: &str) -> PaperEobClaimInput {
    PaperEobClaimInput {
        claim: pcn.trim_start_matches('M').trim_start_matches('O').trim_start_matches('0').into(),
        status: "denied".into(),
        lines: vec![line("0", vec![adj("CO", "29", "150")]), line("0.00", vec![adj("CO", "29", "60.00")])],
        ..Default::default()
    }
}

fn eob(payer_id: &str, check: &str, amount: &str, claims: Vec<PaperEobClaimInput>) -> PaperEobInput {
    PaperEobInput {
        payer_id: payer_id.into(),
        check_number: check.into(),
        check_date: "2026-06-14".into(),
        check_amount: amount.into(),
        claims,
        ..Default::default()
    }
}

const ACCOUNTS: [&str; 5] = ["1010", "1100", "1110", "4100", "1000"];

async fn balances(env: &TestEnv) -> Vec<i64> {
    let mut out = Vec::new();
    for a in ACCOUNTS {
        out.push(balance(env, a).await);
    }
    out
}

async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["journal_entry", "remittance", "remittance_claim", "claim_adjudication"].contains(&table));
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_paper_eob_posts_the_same_entry_as_the_equivalent_835(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let code = payer_code(&env, &b).await;
        let (paper_paid, paper_paid_pcn) = sent_claim(&env, &b).await;
        let (paper_denied, paper_denied_pcn) = sent_claim(&env, &b).await;
        let (file_paid, file_paid_pcn) = sent_claim(&env, &b).await;
        let (file_denied, file_denied_pcn) = sent_claim(&env, &b).await;

        let before = balances(&env).await;
        let entries = rows(&env, "journal_entry").await;
        let paper = env
            .app
            .post_paper_eob(biller, &eob(&b.payer_id, "CHK-100", "140.00", vec![paid_claim(&paper_paid_pcn), denied_claim(&paper_denied_pcn)]))
            .await
            .unwrap();
        assert!(!paper.mail_payment_marked);
        let paper_result = &paper.remittance;
        assert!(!paper_result.duplicate);
        assert_eq!((paper_result.claims_matched, paper_result.claims_unmatched), (2, 0), "{:?}", paper_result.claims);
        let after_paper = balances(&env).await;

        let file = env
            .app
            .import_remittance(biller, &era(&code, "CHK-200", "140", &[paid_clp(&file_paid_pcn), denied_clp(&file_denied_pcn, "CO", "29")]))
            .await
            .unwrap();
        let after_file = balances(&env).await;
        assert_eq!(rows(&env, "journal_entry").await, entries + 2);

        // The same amounts on the same accounts, the same totals and outcomes.
        let moved = |from: &[i64], to: &[i64]| from.iter().zip(to).map(|(a, b)| b - a).collect::<Vec<i64>>();
        assert_eq!(moved(&before, &after_paper), moved(&after_paper, &after_file));
        assert_eq!(moved(&before, &after_paper), [14_000, -(14_000 + 4_000 + 3_000), 3_000, 4_000, 0]);
        assert_eq!(
            (paper_result.paid_cents, paper_result.adjustment_cents, paper_result.patient_responsibility_cents),
            (file.paid_cents, file.adjustment_cents, file.patient_responsibility_cents)
        );
        let outcomes = |r: &medoffice_app::remittances::RemittanceImportResult| r.claims.iter().map(|c| c.outcome.clone()).collect::<Vec<_>>();
        assert_eq!(outcomes(paper_result), outcomes(&file));
        for (paper_id, file_id) in [(&paper_paid, &file_paid), (&paper_denied, &file_denied)] {
            let p = env.app.claim(biller, paper_id).await.unwrap();
            let f = env.app.claim(biller, file_id).await.unwrap();
            assert_eq!(p.claim.status, f.claim.status);
            assert_eq!(p.adjudication.as_ref().map(|a| a.paid_cents), f.adjudication.as_ref().map(|a| a.paid_cents));
        }
        assert_eq!(env.app.claim(biller, &paper_paid).await.unwrap().claim.status, ClaimStatus::Paid);
        assert_eq!(env.app.claim(biller, &paper_denied).await.unwrap().claim.status, ClaimStatus::Denied);
        // Kept as a paper remittance.
        let (source,): (String,) = sqlx::query_as("SELECT source FROM remittance WHERE id = $1")
            .bind(&paper_result.remittance_id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(source, "paper");
        assert!(matches!(
            env.app.post_paper_eob(&b.staff.front_desk, &eob(&b.payer_id, "CHK-300", "0", vec![])).await,
            Err(AppError::Forbidden)
        ));
    }
}

both_backends! {
    async fn a_paper_eob_that_does_not_add_up_is_refused_at_the_field_with_nothing_written(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (paid_id, paid_pcn) = sent_claim(&env, &b).await;
        let (entries, remittances, adjudications) =
            (rows(&env, "journal_entry").await, rows(&env, "remittance").await, rows(&env, "claim_adjudication").await);

        // Line 2 is typed $45.00 paid where $60.00 less $20.00 of adjustments is $40.00: that
        // line does not add up, nor do the lines to the claim's $140.00.
        let mut bad = paid_claim(&paid_pcn);
        bad.lines[1].paid = "45.00".into();
        let err = env.app.post_paper_eob(biller, &eob(&b.payer_id, "CHK-9", "140.00", vec![bad])).await;
        let message = match &err {
            Err(AppError::Validation(e)) => e.for_field("claims[0].lines[1].paid").unwrap_or_default().to_string(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert!(message.contains("is $40.00, not the $45.00 paid"), "{message}");
        assert!(message.contains("does not add up"), "{message}");
        let mut fields = invalid_fields(err);
        fields.sort();
        assert_eq!(fields, ["claims[0].lines[1].paid", "claims[0].paid"]);

        // A check that is not the claims' total.
        let fields = invalid_fields(env.app.post_paper_eob(biller, &eob(&b.payer_id, "CHK-9", "150.00", vec![paid_claim(&paid_pcn)])).await);
        assert_eq!(fields, ["check_amount"]);

        // Fields missing or wrong, all named at once.
        let mut wrong = paid_claim(&paid_pcn);
        wrong.status = "maybe".into();
        wrong.lines[0].adjustments[0].group_code = "XX".into();
        let input = PaperEobInput { check_date: "2026-07-01".into(), ..eob("", "", "abc", vec![wrong]) };
        let fields = invalid_fields(env.app.post_paper_eob(biller, &input).await);
        for f in ["check_number", "check_date", "check_amount", "payer_id", "claims[0].status", "claims[0].lines[0].adjustments[0].group_code"] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
        let fields = invalid_fields(env.app.post_paper_eob(biller, &eob(&b.payer_id, "CHK-9", "140", vec![PaperEobClaimInput { claim: "MO99999999".into(), ..paid_claim("") }])).await);
        assert_eq!(fields, ["claims[0].claim"]);

        assert_eq!(rows(&env, "journal_entry").await, entries);
        assert_eq!(rows(&env, "remittance").await, remittances);
        assert_eq!(rows(&env, "claim_adjudication").await, adjudications);
        assert_eq!(env.app.claim(biller, &paid_id).await.unwrap().claim.status, ClaimStatus::Sent);
    }
}

both_backends! {
    async fn a_check_from_the_mail_is_posted_once_and_leaves_the_checks_to_post(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let (_, paid_pcn) = sent_claim(&env, &b).await;
        let mail = NewMailInput {
            kind: "insurance_check".into(),
            sender: "The payer".into(),
            received_date: "2026-06-15".into(),
            payer_id: b.payer_id.clone(),
            check_number: "CHK-555".into(),
            amount_cents: 14_000,
            ..Default::default()
        };
        let logged = env.app.log_mail(&b.staff.front_desk, &mail, None).await.unwrap();
        let payment_id = logged.payment.unwrap().id;

        // The form starts from the check: payer, number and amount.
        let form = env.app.paper_eob_form(biller, "", &payment_id, std::slice::from_ref(&paid_pcn)).await.unwrap();
        let check = form.mail_check.unwrap();
        assert_eq!((check.check_number.as_str(), check.amount_cents, check.payer_id.as_deref()), ("CHK-555", 14_000, Some(b.payer_id.as_str())));
        assert_eq!(form.open_claims.iter().map(|c| c.patient_control_number.as_str()).collect::<Vec<_>>(), [paid_pcn.as_str()]);
        assert_eq!(form.claims.len(), 1);
        assert_eq!(form.claims[0].lines.iter().map(|l| (l.procedure_code.as_str(), l.charge_cents)).collect::<Vec<_>>(), [("99213", 15_000), ("93000", 6_000)]);

        let input = PaperEobInput { mail_payment_id: payment_id.clone(), ..eob(&b.payer_id, "CHK-555", "140.00", vec![paid_claim(&paid_pcn)]) };
        let done = env.app.post_paper_eob(biller, &input).await.unwrap();
        assert!(done.mail_payment_marked);
        assert_eq!(done.remittance.paid_cents, 14_000);
        assert!(env.app.mail_payments_to_post(biller).await.unwrap().is_empty());
        let item = env.app.mail_item(biller, &logged.item.id).await.unwrap();
        let payment = item.payment.unwrap();
        assert_eq!(payment.status, "posted");
        assert_eq!(payment.posted_ref.as_deref(), Some(format!("remittance:{}", done.remittance.remittance_id).as_str()));

        // The same check again (here without the mail check): refused, nothing posted.
        let (entries, ledger) = (rows(&env, "journal_entry").await, balances(&env).await);
        let again = env.app.post_paper_eob(biller, &eob(&b.payer_id, "CHK-555", "140.00", vec![paid_claim(&paid_pcn)])).await;
        let message = match &again {
            Err(AppError::Validation(e)) => e.for_field("check_number").unwrap_or_default().to_string(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert!(message.contains("posted already"), "{message}");
        // And the mail check, once posted, cannot be used again.
        assert!(invalid_fields(env.app.post_paper_eob(biller, &PaperEobInput { check_number: "CHK-556".into(), ..input.clone() }).await).contains(&"mail_payment_id".to_string()));
        assert_eq!(rows(&env, "journal_entry").await, entries);
        assert_eq!(rows(&env, "remittance").await, 1);
        assert_eq!(balances(&env).await, ledger);
    }
}
