//! Guarantor family accounts: a patient names another as guarantor (set, replaced, cleared), the
//! rules (no self, no chains, the edit role), and the family account's per-member and combined
//! balances, which agree with each member's own account.

use crate::aging_reports::{cash, pays_one, visit_of};
use crate::encounters::billing_setup;
use crate::harness::{both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::families::{GuarantorInput, family_members_in, guarantor_of_in};

fn g(text: &str) -> GuarantorInput {
    GuarantorInput { guarantor: text.into() }
}

both_backends! {
    async fn a_family_is_one_guarantor_and_the_patients_naming_them(env: TestEnv) {
        let b = billing_setup(&env).await;
        let fd = &b.staff.front_desk;
        let jane = b.patient_id.clone();
        let tom = env.app.register_patient(fd, &patient("Doe", "Tom", "2012-03-04"), true).await.unwrap();
        let ann = env.app.register_patient(fd, &patient("Doe", "Ann", "2014-07-09"), true).await.unwrap();
        let max = env.app.register_patient(fd, &patient("Roe", "Max", "1975-01-02"), true).await.unwrap();

        // By MRN or by id.
        assert_eq!(env.app.set_guarantor(fd, &tom.id, &g(&max.mrn)).await.unwrap(), Some(max.id.clone()));
        assert_eq!(env.app.set_guarantor(fd, &tom.id, &g(&jane)).await.unwrap(), Some(jane.clone()), "replaced");
        env.app.set_guarantor(fd, &ann.id, &g(&jane)).await.unwrap();
        let mut conn = env.store.pool().acquire().await.unwrap();
        assert_eq!(guarantor_of_in(&mut conn, &b.staff.admin.practice_id, &tom.id).await.unwrap(), Some(jane.clone()));
        assert_eq!(guarantor_of_in(&mut conn, &b.staff.admin.practice_id, &jane).await.unwrap(), None);
        let members = family_members_in(&mut conn, &b.staff.admin.practice_id, &jane).await.unwrap();
        assert_eq!(members[0], jane, "the guarantor first");
        assert_eq!(members.len(), 3);
        assert!(members.contains(&tom.id) && members.contains(&ann.id));
        assert_eq!(family_members_in(&mut conn, &b.staff.admin.practice_id, &max.id).await.unwrap(), std::slice::from_ref(&max.id));
        drop(conn);
        assert_eq!(env.app.family_members(&b.staff.biller, &jane).await.unwrap().len(), 3);

        // The rules.
        assert_eq!(invalid_fields(env.app.set_guarantor(fd, &max.id, &g(&max.id)).await), ["guarantor"], "not themselves");
        let chain = env.app.set_guarantor(fd, &max.id, &g(&tom.id)).await;
        match chain {
            Err(AppError::Validation(e)) => assert!(e.errors[0].message.contains("has a guarantor of their own"), "{e:?}"),
            other => panic!("a guarantor with a guarantor must be refused, got {other:?}"),
        }
        let chain = env.app.set_guarantor(fd, &jane, &g(&max.id)).await;
        match chain {
            Err(AppError::Validation(e)) => assert!(e.errors[0].message.contains("is the guarantor of others"), "{e:?}"),
            other => panic!("a guarantor cannot get a guarantor, got {other:?}"),
        }
        assert_eq!(invalid_fields(env.app.set_guarantor(fd, &tom.id, &g("00000000")).await), ["guarantor"], "unknown MRN");
        assert!(matches!(env.app.set_guarantor(&b.staff.bookkeeper, &tom.id, &g(&max.id)).await, Err(AppError::Forbidden)));

        // Cleared: Tom is his own family again.
        assert_eq!(env.app.set_guarantor(fd, &tom.id, &g("")).await.unwrap(), None);
        assert_eq!(env.app.family_members(&b.staff.biller, &jane).await.unwrap(), [jane.clone(), ann.id.clone()]);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action IN ('patient.guarantor_set', 'patient.guarantor_clear')")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(n, 4);
    }
}

both_backends! {
    async fn the_family_account_adds_up_each_members_account(env: TestEnv) {
        let b = billing_setup(&env).await;
        let fd = &b.staff.front_desk;
        let biller = &b.staff.biller;
        let jane = b.patient_id.clone();
        let first = visit_of(&env, &b, &jane).await.unwrap();
        visit_of(&env, &b, &jane).await.unwrap();
        env.app.import_remittance(biller, &pays_one("CHK-3001", &first)).await.unwrap();
        let tom = env.app.register_patient(fd, &patient("Doe", "Tom", "2012-03-04"), true).await.unwrap();
        visit_of(&env, &b, &tom.id).await;
        env.app.take_patient_payment(fd, &tom.id, &cash("10.00")).await.unwrap();
        env.app.set_guarantor(fd, &tom.id, &g(&jane)).await.unwrap();

        let family = env.app.family_account(biller, &jane).await.unwrap();
        assert_eq!(family.guarantor_id, jane);
        assert_eq!(family.members.len(), 2);
        assert!(family.members[0].is_guarantor);
        let (j, t) = (&family.members[0], &family.members[1]);
        assert_eq!((j.patient_due_cents, j.insurance_pending_cents, j.total_cents), (3_000, 21_000, 24_000));
        assert_eq!((t.patient_due_cents, t.insurance_pending_cents, t.total_cents), (20_000, 0, 20_000));
        assert_eq!((family.patient_due_cents, family.insurance_pending_cents, family.total_cents), (23_000, 21_000, 44_000));
        // Each member's figures are their own account's.
        for m in &family.members {
            let own = env.app.patient_account(biller, &m.patient_id).await.unwrap();
            assert_eq!((own.patient_due_cents, own.insurance_pending_cents), (m.patient_due_cents, m.insurance_pending_cents));
        }
        // The combined lines run to the family total, oldest first.
        assert_eq!(family.lines.last().unwrap().family_balance_cents, 44_000);
        assert!(family.lines.windows(2).all(|w| w[0].date <= w[1].date));
        assert!(family.lines.iter().any(|l| l.patient_id == tom.id) && family.lines.iter().any(|l| l.patient_id == jane));

        // Tom's family page shows Jane's family.
        let page = env.app.patient_family(biller, &tom.id).await.unwrap();
        assert_eq!(page.guarantor_id.as_deref(), Some(jane.as_str()));
        assert_eq!(page.account.total_cents, 44_000);
        assert_eq!(env.app.patient_family(biller, &jane).await.unwrap().dependants, 1);
        assert!(matches!(env.app.family_account(&b.staff.bookkeeper, &jane).await, Err(AppError::Forbidden)));
    }
}
