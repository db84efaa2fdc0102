//! The demo practice's billing (`medoffice demo`): three weeks of coded visits whose claims a
//! biller finds at every early stage (sent in batches, ready, the last day's drafts waiting for
//! review), and whose charges are in the books; one payer has paid the oldest of its claims by EFT
//! (an 835 the demo writes from its own sent claims, valid for pyx12), so the demo shows paid
//! claims, patients' shares, a denial and the EFT in cash. The practice's today is 2026-06-15.

use crate::harness::both_backends;
use chrono::NaiveDate;
use medoffice_app::claims::{ClaimStatus, ClaimWorklistQuery};
use medoffice_x12::remittance835::{balance_problems, read_835};

both_backends! {
    async fn the_demo_practice_has_claims_sent_ready_and_waiting_for_review(env: TestEnv) {
        env.app.demo("demo-password-1").await.unwrap();
        let biller = env.login("biller", "demo-password-1").await;
        let list = env.app.claims_worklist(&biller, &ClaimWorklistQuery::default()).await.unwrap();
        let count = |status: ClaimStatus| list.counts.iter().find(|c| c.status == status).map_or(0, |c| c.count);
        let (sent, ready, draft) = (count(ClaimStatus::Sent), count(ClaimStatus::Ready), count(ClaimStatus::Draft));
        let (paid, denied) = (count(ClaimStatus::Paid) + count(ClaimStatus::PartiallyPaid), count(ClaimStatus::Denied));
        assert!(sent >= 8, "most claims went out in batches: {sent} sent");
        assert!(paid >= 1 && denied == 1, "the payer's 835 paid claims and denied one: {paid} paid, {denied} denied");
        assert!(ready >= 2, "the last days' claims wait to be sent: {ready} ready");
        assert!(draft >= 1, "the last day's claims wait for review: {draft} drafts");

        // A draft of the last business day, clean, may be marked ready.
        let drafts = env.app.claims_worklist(&biller, &ClaimWorklistQuery { status: "draft".into(), ..Default::default() }).await.unwrap();
        assert!(drafts.claims.iter().all(|c| c.service_date == "2026-06-12"), "only Friday's visits are drafts");
        let detail = env.app.claim(&biller, &drafts.claims[0].id).await.unwrap();
        assert!(detail.problems.is_empty() && detail.next.contains(&ClaimStatus::Ready), "{:?}", detail.problems);

        // Every batch is an 837P file for its payer with the claims it carries.
        let batches = env.app.claim_batches(&biller).await.unwrap();
        assert!(!batches.is_empty());
        assert_eq!(batches.iter().map(|b| b.claim_count).sum::<i64>(), sent + paid + denied);
        let (_, file) = env.app.claim_batch_file(&biller, &batches[0].id).await.unwrap();
        assert!(file.starts_with("ISA*") && file.contains("ST*837*") && file.contains("CLM*MO"), "{}", &file[..file.len().min(200)]);

        // The charges are in the books, which still balance.
        let bk = env.login("bookkeeper", "demo-password-1").await;
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let tb = env.app.trial_balance(&bk, today).await.unwrap();
        assert!(tb.balances());
        let charges: i64 = list.claims.iter().map(|c| c.total_cents).sum();
        let receivable: i64 = tb.accounts.iter().filter(|l| l.number == "1100" || l.number == "1110").map(|l| l.debit_cents - l.credit_cents).sum();

        // The remittance: one EFT from one payer, every claim of it ours and posted.
        let remittances = env.app.remittances(&biller).await.unwrap();
        assert_eq!(remittances.len(), 1);
        let r = &remittances[0];
        assert_eq!((r.payment_method.as_str(), r.claims_unmatched), ("ACH", 0));
        assert!(r.claims_matched >= 2 && r.claims_matched as usize == (paid + denied) as usize, "{r:?}");
        let claims = env.app.remittance(&biller, &r.id).await.unwrap().claims;
        let (payer_paid, adjusted, patients): (i64, i64, i64) = (
            claims.iter().map(|c| c.paid_cents).sum(),
            claims.iter().filter(|c| c.outcome != "denied").map(|c| c.adjustment_cents).sum(),
            claims.iter().map(|c| c.patient_responsibility_cents).sum(),
        );
        assert!(payer_paid > 0 && adjusted > 0 && patients > 0, "paid {payer_paid}, CO {adjusted}, PR {patients}");
        assert_eq!(r.total_paid_cents, payer_paid);
        // AR moved: what the payer paid and wrote off left the receivables; the patients' share
        // moved from AR - Insurance to AR - Patients (or a secondary payer's AR - Insurance).
        let pool = env.store.pool().clone();
        let ar_moved = |numbers: &'static str| {
            let pool = pool.clone();
            async move {
            let (cents,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(COALESCE(SUM(l.debit_cents - l.credit_cents), 0) AS BIGINT) FROM journal_line l \
                 JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
                 JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
                 WHERE e.source_kind = 'remittance' AND a.number IN ({numbers})"
            )))
            .fetch_one(&pool)
            .await
            .unwrap();
            cents
            }
        };
        assert_eq!(ar_moved("'1100', '1110'").await, -(payer_paid + adjusted));
        assert!(ar_moved("'1110'").await > 0, "the patients' share moved to AR - Patients");
        assert!(receivable >= charges - payer_paid - adjusted && charges > 0, "receivables {receivable}, charges {charges}");
        let balance = |number: &str| tb.accounts.iter().find(|l| l.number == number).map_or(0, |l| l.debit_cents - l.credit_cents);
        assert!(balance("1110") > 0, "patients owe their co-pays and co-insurance");
        assert!(balance("4100") >= adjusted, "the contractual adjustments are in the books");
        let (eft,): (i64,) = sqlx::query_as(
            "SELECT CAST(SUM(l.debit_cents) AS BIGINT) FROM journal_line l JOIN journal_entry e ON e.practice_id = l.practice_id \
             AND e.id = l.entry_id JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
             WHERE e.source_kind = 'remittance' AND a.number = '1000'",
        )
        .fetch_one(env.store.pool())
        .await
        .unwrap();
        assert_eq!(eft, payer_paid, "the EFT went straight to Cash - Operating");

        // The 835 the demo wrote balances and passes the independent validator.
        let (content,): (String,) = sqlx::query_as("SELECT content FROM remittance").fetch_one(env.store.pool()).await.unwrap();
        let sets = read_835(content.as_bytes()).unwrap();
        assert!(balance_problems(&sets[0]).is_empty(), "{:?}", balance_problems(&sets[0]));
        assert!(content.contains("CAS*CO*45*") && content.contains("CAS*PR*3*") && content.contains("CAS*PR*2*"), "{content}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.835");
        std::fs::write(&path, &content).unwrap();
        crate::claims::pyx12_validate(&[path]);
    }
}
