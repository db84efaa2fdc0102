//! Several requests at once (several app servers share one database): numbers are handed out
//! once each and the audit chain stays one unbroken line.

use crate::harness::{both_backends, patient};
use medoffice_domain::patients::mrn_from_sequence;
use std::collections::BTreeSet;
use tokio::task::JoinSet;

const FAMILY_NAMES: [&str; 8] = ["Adams", "Baker", "Clark", "Davis", "Evans", "Fisher", "Garcia", "Hughes"];

both_backends! {
    async fn simultaneous_first_registrations_get_distinct_mrns(env: TestEnv) {
        let staff = env.practice().await;
        let mut running = JoinSet::new();
        for (i, family) in FAMILY_NAMES.iter().enumerate() {
            let app = env.app.clone();
            let actor = staff.front_desk.clone();
            let input = patient(family, "Pat", &format!("1980-01-{:02}", i + 1));
            running.spawn(async move { app.register_patient(&actor, &input, false).await });
        }
        let mut mrns = BTreeSet::new();
        while let Some(joined) = running.join_next().await {
            let view = joined.unwrap().unwrap_or_else(|e| panic!("a simultaneous registration failed: {e}"));
            mrns.insert(view.mrn);
        }
        let expected: BTreeSet<String> = (1..=8).map(mrn_from_sequence).collect();
        assert_eq!(mrns, expected);
    }
}

both_backends! {
    async fn simultaneous_chart_reads_keep_the_audit_chain_unbroken(env: TestEnv) {
        let staff = env.practice().await;
        let jane = env.app.register_patient(&staff.front_desk, &patient("Doe", "Jane", "1985-03-14"), false).await.unwrap();
        let before = env.count("audit_event").await;
        let mut running = JoinSet::new();
        for i in 0..24 {
            let app = env.app.clone();
            let actor = if i % 2 == 0 { staff.front_desk.clone() } else { staff.provider.clone() };
            let id = jane.id.clone();
            running.spawn(async move { app.patient_chart(&actor, &id).await.map(|_| ()) });
        }
        while let Some(joined) = running.join_next().await {
            joined.unwrap().unwrap_or_else(|e| panic!("a simultaneous chart read failed: {e}"));
        }
        assert_eq!(env.count("audit_event").await, before + 24);
        let report = env.app.verify_audit_chain().await.unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(i64::try_from(report.records).unwrap(), before + 24);
    }
}
