//! The demo practice's billing (`medoffice demo`): three weeks of coded visits whose claims a
//! biller finds at every early stage (sent in batches, ready, the last day's drafts waiting for
//! review), and whose charges are in the books. The practice's today is 2026-06-15.

use crate::harness::both_backends;
use chrono::NaiveDate;
use medoffice_app::claims::{ClaimStatus, ClaimWorklistQuery};

both_backends! {
    async fn the_demo_practice_has_claims_sent_ready_and_waiting_for_review(env: TestEnv) {
        env.app.demo("demo-password-1").await.unwrap();
        let biller = env.login("biller", "demo-password-1").await;
        let list = env.app.claims_worklist(&biller, &ClaimWorklistQuery::default()).await.unwrap();
        let count = |status: ClaimStatus| list.counts.iter().find(|c| c.status == status).map_or(0, |c| c.count);
        let (sent, ready, draft) = (count(ClaimStatus::Sent), count(ClaimStatus::Ready), count(ClaimStatus::Draft));
        assert!(sent >= 10, "most claims went out in batches: {sent} sent");
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
        assert_eq!(batches.iter().map(|b| b.claim_count).sum::<i64>(), sent);
        let (_, file) = env.app.claim_batch_file(&biller, &batches[0].id).await.unwrap();
        assert!(file.starts_with("ISA*") && file.contains("ST*837*") && file.contains("CLM*MO"), "{}", &file[..file.len().min(200)]);

        // The charges are in the books, which still balance.
        let bk = env.login("bookkeeper", "demo-password-1").await;
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let tb = env.app.trial_balance(&bk, today).await.unwrap();
        assert!(tb.balances());
        let charges: i64 = list.claims.iter().map(|c| c.total_cents).sum();
        let receivable: i64 = tb.accounts.iter().filter(|l| l.number == "1100" || l.number == "1110").map(|l| l.debit_cents - l.credit_cents).sum();
        assert!(receivable >= charges && charges > 0, "receivables {receivable} hold the claims' charges {charges}");
    }
}
