//! Mailings through the use cases: each criterion of the filter (age as of today, last visit,
//! provider, payer, recall due, contact preference), the exclusions with their reasons (merged,
//! opted out, no address, no e-mail, a merge field without a value), the mailing saved in one
//! transaction with an outgoing mail entry per recipient (and nothing at all when it fails part
//! way), opt-outs set and cleared with an audit record, the roles, and the labels, envelopes and
//! fliers read back with `pdftotext -layout`. The clock stands at Monday 2026-06-15, noon in New
//! York.

use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::mailings::{FilterPreview, MailingInput, OptOutInput};
use medoffice_app::recalls::NewRecall;
use medoffice_domain::mailings::FilterInput;
use medoffice_domain::patients::AddressInput;
use medoffice_store::Backend;
use medoffice_store::audit::AuditFilter;

/// The PDF's text laid out as printed, by poppler's `pdftotext -layout` (poppler-utils). A
/// machine without it fails the test: the check is the point.
fn pdftotext(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed to check the mailing PDFs");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that `words` appear in `text` in this order, each found after the one before.
fn in_order(text: &str, words: &[&str]) {
    let mut from = 0;
    for w in words {
        match text[from..].find(w) {
            Some(at) => from += at + w.len(),
            None => panic!("{w:?} missing after byte {from} of {words:?} in:\n{text}"),
        }
    }
}

fn address(line1: &str) -> AddressInput {
    AddressInput { line1: line1.into(), line2: String::new(), city: "Albany".into(), state: "NY".into(), postal_code: "12207".into() }
}

async fn give_practice_an_address(env: &TestEnv) {
    sqlx::query("UPDATE practice SET phone = $1, address_line1 = $2, city = $3, state = $4, postal_code = $5")
        .bind("(518) 555-0199")
        .bind("1 State St")
        .bind("Albany")
        .bind("NY")
        .bind("12207")
        .execute(env.store.pool())
        .await
        .unwrap();
}

async fn encounter(env: &TestEnv, practice_id: &str, patient_id: &str, provider_id: &str, date: &str) {
    sqlx::query(
        "INSERT INTO encounter (practice_id, id, patient_id, rendering_provider_id, billing_provider_id, place_of_service, service_date, \
         status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $4, '11', $5, 'open', 'test', $6, $6)",
    )
    .bind(practice_id)
    .bind(format!("enc-{patient_id}-{date}"))
    .bind(patient_id)
    .bind(provider_id)
    .bind(date)
    .bind(format!("{date}T15:00:00.000000Z"))
    .execute(env.store.pool())
    .await
    .unwrap();
}

async fn rows(env: &TestEnv, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// The patients of every test, and the ids they need.
struct World {
    adams: String,
    baker: String,
    clark: String,
    davis: String,
    evans: String,
    fox: String,
    provider_1: String,
    provider_2: String,
    payer: String,
}

/// Adams (76, mail, seen 2025-01-05 by provider 1, insured by the first payer), Baker (35 today,
/// 36 tomorrow, e-mail, seen 2026-03-01 by provider 2, recall due 2026-07-01), Clark (11, never
/// seen, recall due 2026-09-01), Davis (no address, e-mail), Evans (opted out of postal
/// mailings) and Fox (a duplicate merged into Adams).
async fn world(env: &TestEnv, staff: &crate::harness::Staff) -> World {
    give_practice_an_address(env).await;
    let desk = &staff.front_desk;
    let register = async |family: &str, given: &str, born: &str, street: Option<&str>, email: Option<&str>| {
        let mut p = patient(family, given, born);
        if let Some(s) = street {
            p.address = address(s);
        }
        if let Some(e) = email {
            p.email = e.into();
            p.preferred_contact = "email".into();
        } else if street.is_some() {
            p.preferred_contact = "mail".into();
        }
        env.app.register_patient(desk, &p, true).await.unwrap().id
    };
    let adams = register("Adams", "Amy", "1950-01-10", Some("1 Oak St"), None).await;
    let baker = register("Baker", "Ben", "1990-06-16", Some("2 Pine St"), Some("ben@example.com")).await;
    let clark = register("Clark", "Cara", "2015-02-02", Some("3 Elm St"), None).await;
    let davis = register("Davis", "Dan", "1980-05-05", None, Some("dan@example.com")).await;
    let evans = register("Evans", "Eve", "1975-03-03", Some("5 Ash St"), None).await;
    let fox = register("Fox", "Fay", "1950-01-10", Some("6 Fir St"), None).await;
    let providers = env.app.list_providers(&staff.admin).await.unwrap();
    let (provider_1, provider_2) = (providers[0].id.clone(), providers[1].id.clone());
    let practice_id = staff.admin.practice_id.clone();
    encounter(env, &practice_id, &adams, &provider_1, "2025-01-05").await;
    encounter(env, &practice_id, &baker, &provider_2, "2026-03-01").await;
    let payer = env.payer_id(&staff.admin, 0).await;
    env.app.add_coverage(desk, &adams, &coverage(&payer, "MEM1", "1", "2026-01-01"), None, None).await.unwrap();
    for (pid, due) in [(&baker, "2026-07-01"), (&clark, "2026-09-01")] {
        let recall = NewRecall { patient_id: pid.clone(), reason: "Check-up".into(), due_date: due.into(), ..Default::default() };
        env.app.create_recall(desk, &recall).await.unwrap();
    }
    env.app.set_mailing_opt_outs(desk, &evans, OptOutInput { postal: true, email: false }).await.unwrap();
    env.app.merge_patients(&staff.admin, &adams, &fox).await.unwrap();
    World { adams, baker, clark, davis, evans, fox, provider_1, provider_2, payer }
}

fn names(p: &FilterPreview) -> Vec<String> {
    p.first.iter().map(|r| r.name.clone()).collect()
}

fn reasons(p: &FilterPreview) -> Vec<(String, usize)> {
    p.excluded.iter().map(|x| (x.reason.clone(), x.count)).collect()
}

both_backends! {
    async fn each_criterion_of_the_filter_narrows_the_list_and_exclusions_are_counted_with_reasons(env: TestEnv) {
        let staff = env.practice().await;
        let w = world(&env, &staff).await;
        let desk = &staff.front_desk;
        let app = &env.app;
        let preview = |f: FilterInput| async move { app.preview_mailing_filter(desk, &f).await.unwrap() };

        // Everyone, by post: three recipients; Davis has no address, Evans opted out, Fox was merged.
        let all = preview(FilterInput::default()).await;
        assert_eq!((all.matched, all.included), (6, 3));
        assert_eq!(names(&all), vec!["Amy Adams", "Ben Baker", "Cara Clark"]);
        assert_eq!(all.first[0].address, "1 Oak St, Albany, NY 12207");
        assert_eq!(reasons(&all), vec![("merged".into(), 1), ("opted_out".into(), 1), ("no_address".into(), 1)]);
        let why: Vec<(String, Option<String>)> = all.first_excluded.iter().map(|r| (r.patient_id.clone(), r.excluded.clone())).collect();
        assert!(why.contains(&(w.fox.clone(), Some("merged".into()))));
        assert!(why.contains(&(w.evans.clone(), Some("opted_out".into()))));
        assert!(why.contains(&(w.davis.clone(), Some("no_address".into()))));

        // Age as of today: Baker is 35 until tomorrow.
        let f = |min: &str, max: &str| FilterInput { age_min: min.into(), age_max: max.into(), ..Default::default() };
        assert_eq!(names(&preview(f("36", "")).await), vec!["Amy Adams"]);
        assert_eq!(names(&preview(f("35", "35")).await), vec!["Ben Baker"]);
        assert_eq!(names(&preview(f("", "17")).await), vec!["Cara Clark"]);
        // Last visit: before 2026 (Adams), on or after (Baker); never seen matches neither.
        let before = preview(FilterInput { last_visit_before: "2026-01-01".into(), ..Default::default() }).await;
        assert_eq!(names(&before), vec!["Amy Adams"]);
        assert_eq!(before.first[0].last_visit.as_deref(), Some("2025-01-05"));
        assert_eq!(names(&preview(FilterInput { last_visit_after: "2026-01-01".into(), ..Default::default() }).await), vec!["Ben Baker"]);
        // Provider and payer.
        assert_eq!(names(&preview(FilterInput { provider_id: w.provider_1.clone(), ..Default::default() }).await), vec!["Amy Adams"]);
        assert_eq!(names(&preview(FilterInput { provider_id: w.provider_2.clone(), ..Default::default() }).await), vec!["Ben Baker"]);
        assert_eq!(names(&preview(FilterInput { payer_id: w.payer.clone(), ..Default::default() }).await), vec!["Amy Adams"]);
        // Recall due by the end of July: Baker's (Clark's is due in September).
        assert_eq!(names(&preview(FilterInput { recall_due_by: "2026-07-31".into(), ..Default::default() }).await), vec!["Ben Baker"]);
        assert_eq!(
            names(&preview(FilterInput { recall_due_by: "2026-12-31".into(), ..Default::default() }).await),
            vec!["Ben Baker", "Cara Clark"]
        );
        // Contact preference, and the e-mail channel: Davis needs no address for e-mail.
        let by_email = preview(FilterInput { preferred_contact: "email".into(), channel: "email".into(), ..Default::default() }).await;
        assert_eq!(names(&by_email), vec!["Ben Baker", "Dan Davis"]);
        assert_eq!(by_email.first[1].address, "dan@example.com");
        let email_all = preview(FilterInput { channel: "email".into(), ..Default::default() }).await;
        assert_eq!(email_all.included, 2);
        assert_eq!(reasons(&email_all), vec![("merged".into(), 1), ("no_email".into(), 3)]);
        // Bad input names its field; an unknown provider or payer is an error, not an empty list.
        let bad = env.app.preview_mailing_filter(desk, &FilterInput { age_min: "70".into(), age_max: "20".into(), provider_id: "nobody".into(), payer_id: "none".into(), ..Default::default() }).await;
        assert_eq!(invalid_fields(bad), vec!["age_max", "provider_id", "payer_id"]);
        let _ = (&w.adams, &w.baker, &w.clark);
    }
}

both_backends! {
    async fn a_mailing_saves_recipients_and_exclusions_logs_outgoing_mail_and_prints_labels_envelopes_and_fliers(env: TestEnv) {
        let staff = env.practice().await;
        let w = world(&env, &staff).await;
        let input = MailingInput {
            title: "Flu shots are here".into(),
            body: "{{letter.date}}\n\n{{patient.full_name}}\n{{patient.address}}\n\nDear {{patient.given_name}},\n\nFlu shots are in. Call {{practice.phone}}.".into(),
            ..Default::default()
        };
        let m = env.app.create_mailing(&staff.front_desk, &input).await.unwrap();
        assert_eq!((m.summary.recipient_count, m.summary.excluded_count), (3, 3));
        let recipients: Vec<&str> = m.recipients.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(recipients, vec!["Amy Adams", "Ben Baker", "Cara Clark"]);
        assert_eq!(m.recipients[0].address, "1 Oak St, Albany, NY 12207");
        assert!(m.recipients.iter().all(|r| r.outgoing_mail_id.is_some() && r.email_status.is_none()));
        let excluded: Vec<(&str, &str)> = m.excluded.iter().map(|r| (r.patient_id.as_str(), r.excluded.as_deref().unwrap())).collect();
        assert!(excluded.contains(&(w.evans.as_str(), "opted_out")) && excluded.contains(&(w.fox.as_str(), "merged")), "{excluded:?}");
        assert!(excluded.contains(&(w.davis.as_str(), "no_address")));
        assert_eq!(m.filter.channel, "postal");
        // One outgoing mail entry per recipient, pointing at the mailing; audited.
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM outgoing_mail WHERE about_kind = 'other' AND method = 'usps_first_class'").await, 3);
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM mailing_recipient").await, 6);
        let audit = env.app.audit_trail(&staff.admin, &AuditFilter { action_prefix: Some("mailing.create".into()), ..Default::default() }, 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(env.app.mailings(&staff.admin).await.unwrap().len(), 1);
        assert_eq!(env.app.mailing(&staff.front_desk, &m.summary.id).await.unwrap().recipients.len(), 3);

        // Labels: across the first row in order, each name above its street.
        let labels = pdftotext(&env.app.mailing_labels_pdf(&staff.front_desk, &m.summary.id).await.unwrap());
        in_order(&labels, &["Amy Adams", "Ben Baker", "Cara Clark", "1 Oak St", "2 Pine St", "3 Elm St"]);
        assert!(labels.lines().any(|l| l.contains("Amy Adams") && l.contains("Ben Baker") && l.contains("Cara Clark")), "one row of three:\n{labels}");
        assert!(!labels.contains("Eve Evans") && !labels.contains("Dan Davis") && !labels.contains("Fay Fox"));
        // Envelopes: the practice's return address, then each recipient on their own page.
        let envelopes = pdftotext(&env.app.mailing_envelopes_pdf(&staff.front_desk, &m.summary.id).await.unwrap());
        in_order(&envelopes, &["Test Practice", "1 State St", "Amy Adams", "1 Oak St", "Albany, NY 12207", "Ben Baker", "Cara Clark"]);
        assert_eq!(envelopes.matches("Test Practice").count(), 3);
        // Fliers: the text rendered for each recipient, in the same order.
        let fliers = pdftotext(&env.app.mailing_fliers_pdf(&staff.front_desk, &m.summary.id).await.unwrap());
        in_order(&fliers, &["Amy Adams", "Dear Amy,", "Ben Baker", "2 Pine St", "Dear Ben,", "Dear Cara,"]);
        assert!(fliers.contains("Flu shots are in. Call (518) 555-0199.") && fliers.contains("June 15, 2026"));
        assert!(!fliers.contains("{{"));
        // Labels straight from a filter, without a mailing.
        let from_filter = pdftotext(
            &env.app.filter_labels_pdf(&staff.front_desk, &FilterInput { age_max: "40".into(), ..Default::default() }, false).await.unwrap(),
        );
        in_order(&from_filter, &["Ben Baker", "Cara Clark"]);
        assert!(!from_filter.contains("Amy Adams"));
    }
}

both_backends! {
    async fn merge_fields_a_patient_lacks_exclude_that_patient_and_account_fields_are_refused(env: TestEnv) {
        let staff = env.practice().await;
        let w = world(&env, &staff).await;
        // The recall template names the provider: Clark was never seen, so has none.
        let m = env
            .app
            .create_mailing(&staff.admin, &MailingInput { title: "Recall".into(), template: "recall".into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(m.template_key.as_deref(), Some("recall"));
        let clark = m.excluded.iter().find(|r| r.patient_id == w.clark).expect("Clark excluded");
        assert_eq!(clark.excluded.as_deref(), Some("merge_fields"));
        assert!(clark.excluded_detail.as_deref().unwrap_or_default().contains("{{provider.full_name}}"), "{clark:?}");
        assert_eq!(m.recipients.len(), 2);
        // A balance or an appointment is not a mailing's business; an empty text and title are refused.
        let bad = MailingInput { title: "Owed".into(), body: "You owe {{balance.amount}}".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.create_mailing(&staff.admin, &bad).await), vec!["body"]);
        let empty = MailingInput { filter: FilterInput { age_min: "x".into(), ..Default::default() }, ..Default::default() };
        assert_eq!(invalid_fields(env.app.create_mailing(&staff.admin, &empty).await), vec!["title", "body", "age_min"]);
        // A filter nobody passes creates nothing.
        let nobody = MailingInput { title: "None".into(), body: "Hi".into(), filter: FilterInput { age_min: "120".into(), ..Default::default() }, ..Default::default() };
        assert_eq!(invalid_fields(env.app.create_mailing(&staff.admin, &nobody).await), vec!["filter"]);
        assert_eq!(env.app.mailings(&staff.admin).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn opt_outs_are_set_and_cleared_audited_and_honoured(env: TestEnv) {
        let staff = env.practice().await;
        let w = world(&env, &staff).await;
        let desk = &staff.front_desk;
        let prefs = env.app.set_mailing_opt_outs(desk, &w.baker, OptOutInput { postal: true, email: true }).await.unwrap();
        assert_eq!(prefs.postal_opt_out.as_ref().map(|o| o.1.as_str()), Some("frontdesk"));
        assert!(prefs.email_opt_out.is_some());
        let postal = env.app.preview_mailing_filter(desk, &FilterInput::default()).await.unwrap();
        assert_eq!(names(&postal), vec!["Amy Adams", "Cara Clark"]);
        assert!(postal.first_excluded.iter().any(|r| r.patient_id == w.baker && r.excluded.as_deref() == Some("opted_out")));
        let email = env.app.preview_mailing_filter(desk, &FilterInput { channel: "email".into(), ..Default::default() }).await.unwrap();
        assert_eq!(names(&email), vec!["Dan Davis"]);
        // Cleared for e-mail only: e-mail mailings reach Baker again, postal ones do not.
        let prefs = env.app.set_mailing_opt_outs(&staff.biller, &w.baker, OptOutInput { postal: true, email: false }).await.unwrap();
        assert!(prefs.postal_opt_out.is_some() && prefs.email_opt_out.is_none());
        let email = env.app.preview_mailing_filter(desk, &FilterInput { channel: "email".into(), ..Default::default() }).await.unwrap();
        assert_eq!(names(&email), vec!["Ben Baker", "Dan Davis"]);
        // Saving the same choice again changes and audits nothing.
        env.app.set_mailing_opt_outs(desk, &w.baker, OptOutInput { postal: true, email: false }).await.unwrap();
        let trail = |prefix: &'static str| {
            let admin = staff.admin.clone();
            let app = env.app.clone();
            async move { app.audit_trail(&admin, &AuditFilter { action_prefix: Some(prefix.into()), ..Default::default() }, 50).await.unwrap() }
        };
        // Evans's (in the world) and Baker's two.
        assert_eq!(trail("patient.mailing_opt_out.set").await.len(), 3);
        let cleared = trail("patient.mailing_opt_out.clear").await;
        assert_eq!(cleared.len(), 1);
        assert_eq!(cleared[0].patient_id.as_deref(), Some(w.baker.as_str()));
        // The bookkeeper and a provider cannot change them; a provider can read them.
        assert!(matches!(env.app.set_mailing_opt_outs(&staff.bookkeeper, &w.baker, OptOutInput::default()).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.set_mailing_opt_outs(&staff.provider, &w.baker, OptOutInput::default()).await, Err(AppError::Forbidden)));
        assert!(env.app.mailing_preferences(&staff.provider, &w.baker).await.unwrap().postal_opt_out.is_some());
    }
}

both_backends! {
    async fn a_mailing_that_fails_part_way_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        world(&env, &staff).await;
        // The outgoing mail entry of the second recipient fails.
        match env.backend {
            Backend::Sqlite => {
                sqlx::query("CREATE TRIGGER fail_second BEFORE INSERT ON outgoing_mail WHEN NEW.recipient = 'Ben Baker' BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    .execute(env.store.pool())
                    .await
                    .unwrap();
            }
            Backend::Postgres => {
                sqlx::query("CREATE FUNCTION fail_second() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.recipient = 'Ben Baker' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$")
                    .execute(env.store.pool())
                    .await
                    .unwrap();
                sqlx::query("CREATE TRIGGER fail_second BEFORE INSERT ON outgoing_mail FOR EACH ROW EXECUTE FUNCTION fail_second()")
                    .execute(env.store.pool())
                    .await
                    .unwrap();
            }
        }
        let audit_before = env.count("audit_event").await;
        let input = MailingInput { title: "News".into(), body: "Dear {{patient.full_name}}".into(), ..Default::default() };
        let result = env.app.create_mailing(&staff.front_desk, &input).await;
        assert!(result.is_err(), "{result:?}");
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM mailing").await, 0);
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM mailing_recipient").await, 0);
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM outgoing_mail").await, 0, "Adams's entry went with the transaction");
        assert_eq!(env.count("audit_event").await, audit_before);
        assert!(env.app.verify_audit_chain().await.unwrap().ok);
    }
}

both_backends! {
    async fn the_desk_and_the_office_manager_send_mailings_and_no_one_else(env: TestEnv) {
        let staff = env.practice().await;
        world(&env, &staff).await;
        let input = MailingInput { title: "News".into(), body: "Hello {{patient.given_name}}".into(), ..Default::default() };
        for who in [&staff.biller, &staff.bookkeeper, &staff.provider] {
            assert!(matches!(env.app.preview_mailing_filter(who, &FilterInput::default()).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.create_mailing(who, &input).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.mailings(who).await, Err(AppError::Forbidden)));
        }
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM mailing").await, 0);
        let m = env.app.create_mailing(&staff.admin, &input).await.unwrap();
        assert!(matches!(env.app.mailing_labels_pdf(&staff.provider, &m.summary.id).await, Err(AppError::Forbidden)));
        assert!(env.app.mailing_labels_pdf(&staff.front_desk, &m.summary.id).await.is_ok());
        // An e-mail mailing: pending until sent, no labels, and no sending without a mail server.
        let by_email = MailingInput { filter: FilterInput { channel: "email".into(), ..Default::default() }, ..input.clone() };
        let e = env.app.create_mailing(&staff.front_desk, &by_email).await.unwrap();
        assert_eq!(e.emails_pending, 2);
        assert!(e.recipients.iter().all(|r| r.email_status.as_deref() == Some("pending")));
        assert_eq!(rows(&env, "SELECT COUNT(*) FROM outgoing_mail WHERE method = 'secure_email'").await, 2);
        assert!(matches!(env.app.mailing_labels_pdf(&staff.front_desk, &e.summary.id).await, Err(AppError::Conflict(_))));
        assert!(matches!(env.app.send_mailing_emails(&staff.front_desk, &e.summary.id).await, Err(AppError::Conflict(_))));
        assert!(matches!(env.app.send_mailing_emails(&staff.front_desk, &m.summary.id).await, Err(AppError::Conflict(_))));
    }
}

both_backends! {
    async fn an_email_mailing_is_sent_once_to_each_pending_recipient_with_how_to_opt_out(env: TestEnv) {
        use crate::smtp_listener::{Mode, SmtpListener};
        use medoffice_app::reminders::SmtpInput;
        let staff = env.practice().await;
        world(&env, &staff).await;
        let server = SmtpListener::start(Mode::Accept).await;
        let settings = SmtpInput {
            host: "127.0.0.1".into(),
            port: server.port.to_string(),
            security: "none".into(),
            from_address: "office@test.example".into(),
            from_name: "Test Practice".into(),
            ..Default::default()
        };
        env.app.save_smtp_settings(&staff.admin, &settings).await.unwrap();
        let input = MailingInput {
            title: "Flu shots".into(),
            body: "Dear {{patient.given_name}}, flu shots are in.".into(),
            filter: FilterInput { channel: "email".into(), ..Default::default() },
            ..Default::default()
        };
        let m = env.app.create_mailing(&staff.front_desk, &input).await.unwrap();
        let report = env.app.send_mailing_emails(&staff.front_desk, &m.summary.id).await.unwrap();
        assert_eq!((report.sent, report.failed, report.stopped), (2, 0, None));
        let received = server.received();
        assert_eq!(received.len(), 2);
        let bodies: Vec<String> = received.iter().map(|r| r.body()).collect();
        assert!(bodies.iter().any(|b| b.contains("Dear Ben, flu shots are in.")), "{bodies:?}");
        assert!(bodies.iter().any(|b| b.contains("Dear Dan, flu shots are in.")), "{bodies:?}");
        assert!(bodies.iter().all(|b| b.contains("To receive no more mailings by e-mail")), "{bodies:?}");
        assert_eq!(received[0].header("Subject").as_deref(), Some("Flu shots"));
        let after = env.app.mailing(&staff.front_desk, &m.summary.id).await.unwrap();
        assert_eq!((after.emails_sent, after.emails_pending), (2, 0));
        // A second run sends nothing more.
        let again = env.app.send_mailing_emails(&staff.front_desk, &m.summary.id).await.unwrap();
        assert_eq!((again.sent, again.failed), (0, 0));
        assert_eq!(server.received().len(), 2);
        let audit = env.app.audit_trail(&staff.admin, &AuditFilter { action_prefix: Some("mailing.email".into()), ..Default::default() }, 10).await.unwrap();
        assert_eq!(audit.len(), 2);
    }
}
