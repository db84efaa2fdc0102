//! Collections through the use cases: the worklist of past-due accounts (oldest first, filters,
//! roles), the dunning run (one level at a time, a month apart, each level once, logged as
//! outgoing mail, a PDF per letter), the agency hand-off (CSV, flag, one bad-debt entry, an audit
//! row per account, never twice), a later payment's recovery of the written-off debt, and the
//! small-balance write-off. The practice's today is 2026-06-15; net days are 30. The dunning
//! letters are the `past_due_30/60/90` letter templates, saved on the chart like any letter.

use crate::encounters::{Billing, address, billing_setup, visit};
use crate::harness::{TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::collections::{AgencyExportInput, NoteInput, WorklistFilter, WriteOffInput};
use medoffice_app::patient_accounts::PatientPaymentInput;

/// A self-pay patient charged $210.00 for a visit on `service_date`.
pub async fn owing(env: &TestEnv, b: &Billing, family: &str, service_date: &str) -> String {
    let mut input = patient(family, "Pat", "1970-02-03");
    input.address = address();
    let p = env.app.register_patient(&b.staff.front_desk, &input, true).await.unwrap();
    let mut v = visit(b, &p.id);
    v.service_date = service_date.into();
    let e = env.app.open_encounter(&b.staff.biller, &v).await.unwrap();
    env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
    p.id
}

/// The balance of an account (debits less credits) over every posting, or one patient's lines.
pub async fn balance(env: &TestEnv, account: &str, patient_id: Option<&str>) -> i64 {
    let (b,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents), 0) - COALESCE(SUM(l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE a.number = $1 AND ($2 = '' OR l.patient_id = $2)",
    )
    .bind(account)
    .bind(patient_id.unwrap_or(""))
    .fetch_one(env.store.pool())
    .await
    .unwrap();
    b
}

/// The lines of the entries of one source kind as (account, debit, credit, patient).
pub async fn lines_of(env: &TestEnv, source_kind: &str) -> Vec<(String, i64, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT a.number, l.debit_cents, l.credit_cents, l.patient_id FROM journal_line l \
         JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE e.source_kind = $1 ORDER BY e.entry_number, l.line_number",
    )
    .bind(source_kind)
    .fetch_all(env.store.pool())
    .await
    .unwrap()
}

pub async fn audits(env: &TestEnv, action: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = $1").bind(action).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// Sets (or clears) the practice's phone, which the dunning templates print.
pub async fn set_practice_phone(env: &TestEnv, phone: Option<&str>) {
    sqlx::query("UPDATE practice SET phone = $1").bind(phone).execute(env.store.pool()).await.unwrap();
}

fn filter(min_amount: &str, min_days: &str) -> WorklistFilter {
    WorklistFilter { min_amount: min_amount.into(), min_days: min_days.into() }
}

both_backends! {
    async fn the_worklist_lists_past_due_accounts_and_dunning_sends_each_level_once(env: TestEnv) {
        let b = billing_setup(&env).await;
        let old = owing(&env, &b, "Oldest", "2026-03-01").await; // 106 days: 76 past due
        let newer = owing(&env, &b, "Newer", "2026-04-20").await; // 56 days: 26 past due
        let current = owing(&env, &b, "Current", "2026-06-10").await; // not yet due (5 days past due a month later)
        let biller = &b.staff.biller;

        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        let got: Vec<(&str, i64, i64)> = rows.iter().map(|r| (r.patient_id.as_str(), r.days_past_due, r.balance_cents)).collect();
        assert_eq!(got, [(old.as_str(), 76, 21000), (newer.as_str(), 26, 21000)]);
        assert_eq!((rows[0].oldest_date.as_str(), rows[0].last_letter_level, rows[0].in_collections), ("2026-03-01", None, false));
        assert_eq!(env.app.collections_worklist(biller, &filter("", "30")).await.unwrap().len(), 1);
        assert!(env.app.collections_worklist(biller, &filter("300.00", "")).await.unwrap().is_empty());
        assert_eq!(invalid_fields(env.app.collections_worklist(biller, &filter("lots", "-3")).await), ["min_amount", "min_days"]);
        // The bookkeeper reads receivables; the front desk does not.
        assert_eq!(env.app.collections_worklist(&b.staff.bookkeeper, &WorklistFilter::default()).await.unwrap().len(), 2);
        assert!(matches!(env.app.collections_worklist(&b.staff.front_desk, &WorklistFilter::default()).await, Err(AppError::Forbidden)));

        // A follow-up note with its next action shows on the worklist.
        let note = NoteInput { note: "Called, left a message".into(), next_action_date: "2026-06-22".into() };
        env.app.add_collection_note(biller, &old, &note).await.unwrap();
        let bad = NoteInput { note: String::new(), next_action_date: "next week".into() };
        assert_eq!(invalid_fields(env.app.add_collection_note(biller, &old, &bad).await), ["note", "next_action_date"]);
        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        assert_eq!(rows[0].next_action_date.as_deref(), Some("2026-06-22"));

        // The first run: the oldest gets the first letter (not a final notice at once).
        assert!(matches!(env.app.run_dunning(&b.staff.bookkeeper, "").await, Err(AppError::Forbidden)));
        assert_eq!(invalid_fields(env.app.run_dunning(biller, "2026-07-01").await), ["date"]);
        assert_eq!(invalid_fields(env.app.run_dunning(biller, "15/06/2026").await), ["date"]);
        let run = env.app.run_dunning(biller, "").await.unwrap();
        assert_eq!(run.letters, 1);
        assert_eq!((run.made[0].patient_id.as_str(), run.made[0].level, run.made[0].balance_cents), (old.as_str(), 1, 21000));
        // The past_due_30 template, filled for the account as of the run.
        assert!(run.made[0].body.contains("a balance of $210.00 on this account that is now past due"), "{}", run.made[0].body);
        assert!(run.made[0].body.starts_with("June 15, 2026\n\nPat Oldest\n12 Main St"), "{}", run.made[0].body);
        assert!(run.not_written.is_empty(), "{:?}", run.not_written);
        // Run again the same day: nothing new.
        assert_eq!(env.app.run_dunning(biller, "2026-06-15").await.unwrap().letters, 0);

        // A month later: the second notice to the oldest, the first to the newer.
        env.clock.advance(chrono::Duration::days(30));
        let run = env.app.run_dunning(biller, "").await.unwrap();
        let mut made: Vec<(String, i64)> = run.made.iter().map(|l| (l.patient_id.clone(), l.level)).collect();
        made.sort();
        let mut want = vec![(old.clone(), 2), (newer.clone(), 1)];
        want.sort();
        assert_eq!(made, want);
        // And then the final notice, which names the agency hand-off.
        env.clock.advance(chrono::Duration::days(30));
        let run = env.app.run_dunning(biller, "").await.unwrap();
        let last = run.made.iter().find(|l| l.patient_id == old).expect("the final notice");
        assert_eq!((last.level, last.title.as_str()), (3, "Final notice"));
        assert!(last.body.contains("collection agency") && last.body.contains("136 days past due"), "{}", last.body);
        assert_eq!(run.letters, 3, "the newer's second and the current's first as well");
        // After the final notice, nothing more to the oldest.
        env.clock.advance(chrono::Duration::days(30));
        let run = env.app.run_dunning(biller, "").await.unwrap();
        let mut made: Vec<(String, i64)> = run.made.iter().map(|l| (l.patient_id.clone(), l.level)).collect();
        made.sort();
        let mut want = vec![(newer.clone(), 3), (current.clone(), 2)];
        want.sort();
        assert_eq!(made, want);
        let (letters,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dunning_letter").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(letters, 8);

        // Every letter is in the outgoing mail log, against its patient.
        let mail = env.app.outgoing_mail(&b.staff.admin).await.unwrap();
        assert_eq!(mail.iter().filter(|m| m.about_kind == "letter" && m.patient_id.as_deref() == Some(old.as_str())).count(), 3);
        assert_eq!(audits(&env, "collections.dunning_letter.create").await, 8);
        let account = env.app.collection_account(biller, &old).await.unwrap();
        assert_eq!(account.letters.iter().map(|l| l.level).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(account.letters.iter().all(|l| l.outgoing_mail_id.is_some()));
        let (name, pdf) = env.app.dunning_letter_pdf(biller, &account.letters[2].id).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-") && name.ends_with(".pdf"), "{name}");
        // Each letter is on the chart too, and its PDF is the chart letter's.
        let chart = env.app.patient_letters(&b.staff.front_desk, &old).await.unwrap();
        let keys: Vec<&str> = chart.iter().map(|l| l.template_key.as_str()).collect();
        assert_eq!(keys, ["past_due_90", "past_due_60", "past_due_30"]);
        assert_eq!(chart[0].outgoing_mail_id, account.letters[2].outgoing_mail_id);
        assert_eq!(pdf, env.app.letter_pdf(&b.staff.front_desk, &chart[0].id).await.unwrap());
        let rows = env.app.collections_worklist(biller, &WorklistFilter::default()).await.unwrap();
        assert_eq!(rows.iter().find(|r| r.patient_id == old).and_then(|r| r.last_letter_level), Some(3));
    }
}

both_backends! {
    async fn an_agency_hand_off_writes_off_in_one_entry_and_a_later_payment_recovers(env: TestEnv) {
        let b = billing_setup(&env).await;
        let first = owing(&env, &b, "Alpha", "2026-02-01").await;
        let second = owing(&env, &b, "Bravo", "2026-03-01").await;
        let biller = &b.staff.biller;
        let send = |ids: Vec<String>, agency: &str| AgencyExportInput { agency_name: agency.into(), patient_ids: ids };

        assert_eq!(invalid_fields(env.app.export_to_agency(biller, &send(vec![], "")).await), ["agency_name", "patient_ids"]);
        assert!(matches!(env.app.export_to_agency(&b.staff.bookkeeper, &send(vec![first.clone()], "Acme")).await, Err(AppError::Forbidden)));
        let x = env.app.export_to_agency(biller, &send(vec![first.clone(), second.clone()], "Acme Recovery")).await.unwrap();
        assert_eq!((x.accounts, x.total_cents), (2, 42000));
        let mut csv = x.content.lines();
        assert_eq!(csv.next(), Some("patient_name,address,birth_date,account_number,balance,dates_of_service,last_payment_date"));
        let body: Vec<&str> = csv.collect();
        assert_eq!(body.len(), 2);
        assert!(body.iter().any(|l| l.starts_with("Pat Alpha,\"12 Main St, Springfield IL 62701\",1970-02-03,") && l.contains(",210.00,2026-02-01,")), "{body:?}");

        // One entry: bad debt debited once, each patient's AR credited.
        let mut lines = lines_of(&env, "collections_write_off").await;
        assert_eq!(lines.remove(0), ("6500".to_string(), 42000, 0, None));
        lines.sort();
        let mut want = vec![("1110".to_string(), 0, 21000, Some(first.clone())), ("1110".to_string(), 0, 21000, Some(second.clone()))];
        want.sort();
        assert_eq!(lines, want);
        assert_eq!(balance(&env, "1110", Some(&first)).await, 0);
        assert_eq!(balance(&env, "6500", None).await, 42000);
        assert_eq!(audits(&env, "collections.agency_export").await, 2);
        let account = env.app.collection_account(biller, &first).await.unwrap();
        assert_eq!(account.in_collections.as_ref().map(|c| c.0.as_str()), Some("Acme Recovery"));
        assert_eq!(account.write_offs.iter().map(|w| (w.kind.as_str(), w.amount_cents)).collect::<Vec<_>>(), [("agency", 21000)]);
        let (name, file) = env.app.agency_export_file(biller, &x.id).await.unwrap();
        assert_eq!((name, file), (x.file_name.clone(), x.content.clone()));

        // Never twice: the account is named.
        let again = env.app.export_to_agency(biller, &send(vec![first.clone()], "Other Agency")).await;
        assert_eq!(invalid_fields(again), ["patient_ids"]);
        assert_eq!(balance(&env, "6500", None).await, 42000);

        // The agency sends $150.00 by check: the write-off is recovered first, so the payment
        // settles a receivable (no credit balance) and bad debt expense is net of it.
        let check = PatientPaymentInput { amount: "150.00".into(), method: "check".into(), reference: "AG-5521".into() };
        env.app.take_patient_payment(&b.staff.front_desk, &first, &check).await.unwrap();
        assert_eq!(lines_of(&env, "bad_debt_recovery").await, [
            ("1110".to_string(), 15000, 0, Some(first.clone())),
            ("6500".to_string(), 0, 15000, Some(first.clone())),
        ]);
        assert_eq!(balance(&env, "1110", Some(&first)).await, 0);
        assert_eq!(balance(&env, "6500", None).await, 27000);
        assert!(env.app.credit_balances(biller).await.unwrap().is_empty());
        // Recovery stops at what was written off: the rest is an ordinary payment (a credit).
        let more = PatientPaymentInput { amount: "70.00".into(), method: "check".into(), reference: "AG-5522".into() };
        env.app.take_patient_payment(&b.staff.front_desk, &first, &more).await.unwrap();
        assert_eq!(balance(&env, "6500", None).await, 21000);
        assert_eq!(balance(&env, "1110", Some(&first)).await, -1000);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert!(env.app.trial_balance(&b.staff.bookkeeper, day).await.unwrap().balances());
    }
}

both_backends! {
    async fn a_small_balance_is_written_off_with_a_reason(env: TestEnv) {
        let b = billing_setup(&env).await;
        let p = owing(&env, &b, "Small", "2026-03-01").await;
        let pay = PatientPaymentInput { amount: "205.00".into(), method: "cash".into(), reference: String::new() };
        env.app.take_patient_payment(&b.staff.front_desk, &p, &pay).await.unwrap();
        let w = |amount: &str, reason: &str| WriteOffInput { patient_id: p.clone(), amount: amount.into(), reason: reason.into() };
        assert_eq!(invalid_fields(env.app.write_off_balance(&b.staff.biller, &w("0", "")).await), ["amount", "reason"]);
        assert_eq!(invalid_fields(env.app.write_off_balance(&b.staff.biller, &w("5.01", "small balance")).await), ["amount"]);
        assert!(matches!(env.app.write_off_balance(&b.staff.bookkeeper, &w("5.00", "small balance")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.write_off_balance(&b.staff.front_desk, &w("5.00", "small balance")).await, Err(AppError::Forbidden)));
        let done = env.app.write_off_balance(&b.staff.biller, &w("5.00", "small balance")).await.unwrap();
        assert_eq!((done.kind.as_str(), done.amount_cents), ("adjustment", 500));
        assert_eq!(lines_of(&env, "bad_debt_write_off").await, [
            ("6500".to_string(), 500, 0, Some(p.clone())),
            ("1110".to_string(), 0, 500, Some(p.clone())),
        ]);
        assert_eq!(balance(&env, "1110", Some(&p)).await, 0);
        // Nothing left to write off.
        assert_eq!(invalid_fields(env.app.write_off_balance(&b.staff.biller, &w("1.00", "again")).await), ["amount"]);
        assert_eq!(audits(&env, "collections.write_off").await, 1);
        assert!(env.app.collections_worklist(&b.staff.biller, &WorklistFilter::default()).await.unwrap().is_empty());
    }
}

both_backends! {
    async fn dunning_letters_follow_the_office_manager_s_template_edits_and_carry_the_logo(env: TestEnv) {
        let b = billing_setup(&env).await;
        let old = owing(&env, &b, "Oldest", "2026-03-01").await; // 76 days past due
        let biller = &b.staff.biller;
        // No practice phone: the letter is not written, naming the patient and the field, and
        // the run goes on (the next run tries again).
        set_practice_phone(&env, None).await;
        let run = env.app.run_dunning(biller, "").await.unwrap();
        assert_eq!(run.letters, 0);
        assert!(run.not_written.iter().any(|m| m.contains("Pat Oldest") && m.contains("{{practice.phone}}")), "{:?}", run.not_written);
        set_practice_phone(&env, Some("(217) 555-0100")).await;
        // The office manager rewords the first letter and adds a logo.
        let t = env.app.letter_template(&b.staff.admin, "past_due_30").await.unwrap();
        let edit = medoffice_app::letters::TemplateInput {
            name: t.name.clone(),
            body: "{{letter.date}}\n\n{{guarantor.full_name}}\n{{guarantor.address}}\n\nA gentle reminder: {{balance.amount}} is {{balance.days_past_due}} days overdue. Call {{practice.phone}}.\n\nSincerely,".into(),
            version: t.version,
        };
        env.app.save_letter_template(&b.staff.admin, &t.id, &edit).await.unwrap();
        let logo = medoffice_app::patients::Upload {
            file_name: "logo.png".into(),
            content_type: String::new(),
            bytes: medoffice_pdf::image::samples::png(50, 20, false),
        };
        env.app.set_letterhead_logo(&b.staff.admin, &logo).await.unwrap();
        let run = env.app.run_dunning(biller, "").await.unwrap();
        assert_eq!(run.letters, 1);
        assert!(run.made[0].body.contains("A gentle reminder: $210.00 is 76 days overdue. Call (217) 555-0100."), "{}", run.made[0].body);
        let (_, pdf) = env.app.dunning_letter_pdf(biller, &run.made[0].id).await.unwrap();
        assert_eq!(crate::letters::pdf_images(&pdf), [(50, 20, false)]);
        let text = crate::letters::pdftotext(&pdf);
        for wanted in ["Test Practice", "Pat Oldest", "A gentle reminder: $210.00 is 76 days overdue", "Billing office"] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
        let chart = env.app.patient_letters(&b.staff.front_desk, &old).await.unwrap();
        assert_eq!((chart.len(), chart[0].signed_by.as_str()), (1, "Billing office"));
    }
}
