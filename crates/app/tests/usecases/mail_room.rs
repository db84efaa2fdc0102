//! The mail room through the use cases: each kind of incoming mail, a check to post, returned
//! mail (the flag, the list to call and its clearing by a new address), records requests (due 30
//! days later; fulfilment writes the disclosure and the outgoing log in one transaction), the
//! outgoing log, refusals naming fields with nothing written, and who may do what. The practice's
//! today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields, patient, png_bytes, upload};
use medoffice_app::mail_room::{FulfilInput, MailFilter, NewMailInput, NewRecordsRequestInput, OutgoingInput};
use medoffice_app::payables::NewVendorInput;
use medoffice_app::{Actor, AppError};
use medoffice_domain::patients::AddressInput;
use sqlx::AssertSqlSafe;

async fn rows(env: &TestEnv, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

async fn register(env: &TestEnv, actor: &Actor, family: &str, given: &str) -> String {
    let mut input = patient(family, given, "1980-04-02");
    input.address = AddressInput {
        line1: "12 Elm St".into(),
        line2: String::new(),
        city: "Albany".into(),
        state: "NY".into(),
        postal_code: "12207".into(),
    };
    env.app.register_patient(actor, &input, true).await.unwrap().id
}

fn mail(kind: &str, sender: &str) -> NewMailInput {
    NewMailInput { kind: kind.into(), sender: sender.into(), received_date: "2026-06-15".into(), ..Default::default() }
}

both_backends! {
    async fn every_kind_of_mail_is_logged_with_what_it_concerns_and_listed_by_filter(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Rivera", "Ana").await;
        let payer = env.payer_id(desk, 0).await;
        let vendor = env
            .app
            .add_vendor(&staff.bookkeeper, &NewVendorInput { name: "Paper Co".into(), payment_terms: "net_30".into(), ..Default::default() })
            .await
            .unwrap()
            .id;
        let cases = [
            NewMailInput { patient_id: pid.clone(), check_number: "1001".into(), amount_cents: 4_500, ..mail("patient_payment", "Ana Rivera") },
            NewMailInput { payer_id: payer.clone(), check_number: "88123".into(), amount_cents: 125_000, ..mail("insurance_check", "Aetna") },
            NewMailInput { patient_id: pid.clone(), summary: "Thank-you card".into(), ..mail("correspondence", "Ana Rivera") },
            NewMailInput { patient_id: pid.clone(), ..mail("records_request", "Dr Lee") },
            NewMailInput { patient_id: pid.clone(), ..mail("returned_mail", "USPS") },
            NewMailInput { route_to_role: "admin".into(), ..mail("legal", "Smith & Jones LLP") },
            NewMailInput { vendor_id: vendor.clone(), ..mail("vendor_bill", "Paper Co") },
            NewMailInput { route_to_user_id: staff.biller.user_id.clone(), ..mail("other", "State of NY") },
        ];
        for input in &cases {
            let logged = env.app.log_mail(desk, input, upload("scan.png", "image/png", png_bytes())).await.unwrap();
            assert_eq!(logged.item.kind, input.kind);
            assert_eq!(logged.item.status, "open");
            assert_eq!(logged.item.scan_content_type.as_deref(), Some("image/png"));
            assert_eq!(logged.payment.is_some(), matches!(input.kind.as_str(), "patient_payment" | "insurance_check"), "{}", input.kind);
        }
        let all = env.app.mail_items(desk, &MailFilter::default()).await.unwrap();
        assert_eq!(all.len(), 8);
        let legal = env.app.mail_items(desk, &MailFilter { kind: "legal".into(), ..Default::default() }).await.unwrap();
        assert_eq!(legal.len(), 1);
        assert_eq!(legal[0].routed_label(), "Office manager (admin)");
        let payment = all.iter().find(|m| m.kind == "patient_payment").unwrap();
        assert_eq!(payment.patient_name.as_deref(), Some("Rivera, Ana"));

        // "Mine": the biller sees what is routed to them by name; the admin what is routed to the role.
        let mine = MailFilter { mine: true, ..Default::default() };
        let billers = env.app.mail_items(&staff.biller, &mine).await.unwrap();
        assert_eq!(billers.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(), ["other"]);
        let admins = env.app.mail_items(&staff.admin, &mine).await.unwrap();
        assert_eq!(admins.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(), ["legal"]);

        // Done: off the open list, once.
        env.app.mark_mail_done(desk, &legal[0].id).await.unwrap();
        let open = env.app.mail_items(desk, &MailFilter { status: "open".into(), ..Default::default() }).await.unwrap();
        assert_eq!(open.len(), 7);
        assert!(matches!(env.app.mark_mail_done(desk, &legal[0].id).await, Err(AppError::Conflict(_))));

        // The scan comes back as stored.
        let (name, kind, bytes) = env.app.mail_scan(desk, &legal[0].id).await.unwrap();
        assert_eq!((name.as_str(), kind.as_str(), bytes), ("scan.png", "image/png", png_bytes()));
    }
}

both_backends! {
    async fn a_check_in_the_mail_waits_to_post_until_posting_marks_it_posted(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let payer = env.payer_id(desk, 0).await;
        let first = env
            .app
            .log_mail(desk, &NewMailInput { payer_id: payer.clone(), check_number: "555".into(), amount_cents: 98_765, ..mail("insurance_check", "Payer") }, None)
            .await
            .unwrap();
        let to_post = env.app.mail_payments_to_post(&staff.biller).await.unwrap();
        assert_eq!(to_post.len(), 1);
        assert_eq!((to_post[0].check_number.as_str(), to_post[0].amount_cents, to_post[0].status.as_str()), ("555", 98_765, "to_post"));
        assert_eq!(to_post[0].mail_item_id, first.item.id);

        // Payment posting (issue 7) marks it posted inside its own transaction, once.
        let mut tx = env.store.begin().await.unwrap();
        env.app.mark_mail_payment_posted_in(&mut tx, &staff.biller, &to_post[0].id, "remittance:r-1").await.unwrap();
        tx.commit().await.unwrap();
        assert!(env.app.mail_payments_to_post(&staff.biller).await.unwrap().is_empty());
        let detail = env.app.mail_item(desk, &first.item.id).await.unwrap();
        let payment = detail.payment.unwrap();
        assert_eq!((payment.status.as_str(), payment.posted_ref.as_deref()), ("posted", Some("remittance:r-1")));
        let mut tx = env.store.begin().await.unwrap();
        assert!(matches!(
            env.app.mark_mail_payment_posted_in(&mut tx, &staff.biller, &to_post[0].id, "remittance:r-2").await,
            Err(AppError::Conflict(_))
        ));
    }
}

both_backends! {
    async fn refused_mail_names_its_fields_and_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let blobs = rows(&env, "blob").await;
        let audit = rows(&env, "audit_event").await;
        let fields = invalid_fields(env.app.log_mail(desk, &NewMailInput { received_date: "2026-07-01".into(), kind: "patient_payment".into(), ..Default::default() }, upload("x.txt", "text/plain", b"hello".to_vec())).await);
        for f in ["scan", "received_date", "sender", "check_number", "amount_cents", "patient_id"] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
        let fields = invalid_fields(env.app.log_mail(desk, &NewMailInput { kind: "postcard".into(), sender: "X".into(), ..Default::default() }, None).await);
        assert_eq!(fields, ["kind"]);
        let fields = invalid_fields(env.app.log_mail(desk, &NewMailInput { patient_id: "nobody".into(), payer_id: "nobody".into(), route_to_role: "nurse".into(), ..mail("correspondence", "X") }, None).await);
        assert_eq!(fields, ["route_to_role", "patient_id", "payer_id"]);
        let fields = invalid_fields(env.app.log_mail(desk, &mail("insurance_check", "Payer"), None).await);
        assert_eq!(fields, ["check_number", "amount_cents", "payer_id"]);
        assert_eq!(rows(&env, "mail_item").await, 0);
        assert_eq!(rows(&env, "mail_payment").await, 0);
        assert_eq!(rows(&env, "blob").await, blobs);
        assert_eq!(rows(&env, "audit_event").await, audit);
        // The bookkeeper neither logs nor reads the mail; the provider reads but does not log.
        assert!(matches!(env.app.log_mail(&staff.bookkeeper, &mail("other", "X"), None).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.mail_items(&staff.bookkeeper, &MailFilter::default()).await, Err(AppError::Forbidden)));
        assert!(env.app.mail_items(&staff.provider, &MailFilter::default()).await.is_ok());
        assert!(matches!(env.app.log_mail(&staff.provider, &mail("other", "X"), None).await, Err(AppError::Forbidden)));
    }
}

both_backends! {
    async fn returned_mail_flags_the_address_and_a_new_address_clears_it(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Okafor", "Chidi").await;
        let other = register(&env, desk, "Brown", "Lee").await;
        env.app.log_mail(desk, &NewMailInput { patient_id: pid.clone(), ..mail("returned_mail", "USPS") }, None).await.unwrap();
        // A second letter back does not add a second flag.
        env.app.log_mail(desk, &NewMailInput { patient_id: pid.clone(), ..mail("returned_mail", "USPS") }, None).await.unwrap();
        let calls = env.app.returned_mail_calls(desk).await.unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].patient_name, "Okafor, Chidi");
        assert_eq!(calls[0].address, "12 Elm St, Albany, NY, 12207");
        assert_eq!(env.app.patient_mail(desk, &pid).await.unwrap().bad_address_since.as_deref().map(|s| &s[..10]), Some("2026-06-15"));
        assert_eq!(env.app.patient_mail(desk, &other).await.unwrap().bad_address_since, None);

        // Editing something else keeps the flag; a new address clears it.
        let chart = env.app.patient_chart(desk, &pid).await.unwrap();
        let mut input = patient("Okafor", "Chidi", "1980-04-02");
        input.address = AddressInput { line1: "12 Elm St".into(), line2: String::new(), city: "Albany".into(), state: "NY".into(), postal_code: "12207".into() };
        input.email = "chidi@example.com".into();
        let after = env.app.update_patient(desk, &pid, chart.patient.version, &input).await.unwrap();
        assert_eq!(env.app.returned_mail_calls(desk).await.unwrap().len(), 1);
        input.address.line1 = "40 Oak Ave".into();
        env.app.update_patient(desk, &pid, after.version, &input).await.unwrap();
        assert!(env.app.returned_mail_calls(desk).await.unwrap().is_empty());
        assert_eq!(env.app.patient_mail(desk, &pid).await.unwrap().bad_address_since, None);
    }
}

fn request(patient_id: &str) -> NewRecordsRequestInput {
    NewRecordsRequestInput {
        patient_id: patient_id.into(),
        requester_name: "Dr Ana Ruiz, Lakeside Cardiology".into(),
        requester_kind: "provider".into(),
        requested_what: "Visit notes and labs since 2025".into(),
        purpose: "Continuity of care".into(),
        received_date: "2026-06-01".into(),
        mail_item_id: String::new(),
    }
}

both_backends! {
    async fn a_records_request_is_due_in_30_days_and_overdue_ones_come_first(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Nguyen", "Bao").await;
        let recent = env.app.log_records_request(desk, &request(&pid), upload("auth.png", "image/png", png_bytes())).await.unwrap();
        assert_eq!((recent.received_date.as_str(), recent.due_date.as_str(), recent.days_left), ("2026-06-01", "2026-07-01", 16));
        assert_eq!(recent.due_label(), "16 days left");
        let old = env.app.log_records_request(desk, &NewRecordsRequestInput { received_date: "2026-05-10".into(), ..request(&pid) }, None).await.unwrap();
        assert_eq!((old.due_date.as_str(), old.days_left), ("2026-06-09", -6));
        assert!(old.is_overdue());
        let list = env.app.records_requests(desk, "open").await.unwrap();
        assert_eq!(list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [old.id.as_str(), recent.id.as_str()]);
        let (name, _, bytes) = env.app.records_authorization(desk, &recent.id).await.unwrap();
        assert_eq!((name.as_str(), bytes), ("auth.png", png_bytes()));

        // Refusals name the fields and write nothing.
        let fields = invalid_fields(env.app.log_records_request(desk, &NewRecordsRequestInput { requester_kind: "neighbour".into(), received_date: "2026-13-01".into(), ..Default::default() }, None).await);
        for f in ["patient_id", "requester_name", "requester_kind", "requested_what", "purpose", "received_date"] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
        assert_eq!(rows(&env, "records_request").await, 2);
        // Releasing records is for the roles that deal with patients' records.
        assert!(matches!(env.app.records_requests(&staff.bookkeeper, "").await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.log_records_request(&staff.biller, &request(&pid), None).await, Err(AppError::Forbidden)));
        assert!(env.app.records_requests(&staff.provider, "").await.is_ok());
    }
}

both_backends! {
    async fn fulfilling_a_request_writes_the_disclosure_and_the_outgoing_mail_once(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Garcia", "Luz").await;
        let r = env.app.log_records_request(desk, &request(&pid), None).await.unwrap();

        // Certified mail without its tracking number, no pages and a future date: refused, nothing written.
        let bad = FulfilInput { date: "2026-06-20".into(), method: "usps_certified".into(), ..Default::default() };
        let fields = invalid_fields(env.app.fulfil_records_request(desk, &r.id, &bad).await);
        for f in ["date", "pages", "tracking_number"] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
        assert_eq!(rows(&env, "disclosure").await, 0);
        assert_eq!(rows(&env, "outgoing_mail").await, 0);
        assert_eq!(env.app.records_request(desk, &r.id).await.unwrap().request.status, "open");

        let good = FulfilInput { date: "2026-06-12".into(), method: "usps_certified".into(), tracking_number: "9407 1000 0000 0000 0000 01".into(), pages: 42, what: String::new() };
        let done = env.app.fulfil_records_request(desk, &r.id, &good).await.unwrap();
        assert_eq!(done.request.status, "fulfilled");
        assert_eq!((done.request.fulfilled_date.as_deref(), done.request.fulfilled_method.as_deref(), done.request.pages), (Some("2026-06-12"), Some("usps_certified"), Some(42)));
        assert_eq!(done.outgoing.len(), 1);
        assert_eq!(done.outgoing[0].recipient, "Dr Ana Ruiz, Lakeside Cardiology");
        assert_eq!(done.outgoing[0].tracking_number.as_deref(), Some("9407 1000 0000 0000 0000 01"));
        assert_eq!(done.outgoing[0].about_kind, "records");

        let report = env.app.disclosures(desk, &pid).await.unwrap();
        assert_eq!(report.disclosures.len(), 1);
        let d = &report.disclosures[0];
        assert_eq!((d.disclosed_on.as_str(), d.recipient.as_str(), d.purpose.as_str()), ("2026-06-12", "Dr Ana Ruiz, Lakeside Cardiology", "Continuity of care"));
        assert!(d.what.starts_with("Visit notes and labs since 2025 (42 pages"), "{}", d.what);
        assert_eq!(env.app.patient_mail(desk, &pid).await.unwrap().disclosures, 1);
        let outgoing = env.app.outgoing_mail(desk).await.unwrap();
        assert_eq!(outgoing.len(), 1);

        // Once only.
        assert!(matches!(env.app.fulfil_records_request(desk, &r.id, &good).await, Err(AppError::Conflict(_))));
        assert_eq!(rows(&env, "disclosure").await, 1);

        // The report as a PDF the patient can be given.
        let pdf = env.app.disclosure_report_pdf(desk, &pid).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let text = doc.extract_text(&[1]).unwrap();
        for expected in ["Accounting of disclosures", "Garcia, Luz", "2026-06-12", "Dr Ana Ruiz", "Continuity of care"] {
            assert!(text.contains(expected), "{expected} is not in the PDF: {text}");
        }
    }
}

both_backends! {
    async fn other_modules_log_outgoing_mail_inside_their_own_transaction(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Khan", "Sara").await;
        let statement = OutgoingInput {
            recipient: "Sara Khan".into(),
            method: "usps_first_class".into(),
            about_kind: "statement".into(),
            about_id: "st-1".into(),
            patient_id: pid.clone(),
            description: "June statement".into(),
            ..Default::default()
        };
        // Rolled back with the caller's transaction: nothing stays.
        let mut tx = env.store.begin().await.unwrap();
        env.app.log_outgoing_in(&mut tx, desk, &statement).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(rows(&env, "outgoing_mail").await, 0);
        let mut tx = env.store.begin().await.unwrap();
        let logged = env.app.log_outgoing_in(&mut tx, desk, &statement).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((logged.method_label.as_str(), logged.about_label.as_str(), logged.sent_date.as_str()), ("USPS first class", "Statement", "2026-06-15"));
        let fields = invalid_fields(env.app.log_outgoing(desk, &OutgoingInput { method: "pigeon".into(), about_kind: "gift".into(), ..Default::default() }).await);
        assert_eq!(fields, ["recipient", "method", "about_kind", "description"]);
        assert_eq!(env.app.outgoing_mail(desk).await.unwrap().len(), 1);
    }
}

both_backends! {
    async fn a_vendor_bill_from_the_mail_is_entered_once_and_carries_its_scan(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let vendor = env
            .app
            .add_vendor(bk, &NewVendorInput { name: "Paper Co".into(), payment_terms: "net_30".into(), default_expense_account: "6200".into(), ..Default::default() })
            .await
            .unwrap()
            .id;
        let item = env
            .app
            .log_mail(&staff.front_desk, &NewMailInput { vendor_id: vendor.clone(), route_to_role: "bookkeeper".into(), ..mail("vendor_bill", "Paper Co") }, upload("bill.png", "image/png", png_bytes()))
            .await
            .unwrap()
            .item;
        let bill = env
            .app
            .enter_bill(bk, &medoffice_app::payables::NewBillInput {
                vendor_id: vendor,
                bill_number: "PC-77".into(),
                bill_date: "2026-06-10".into(),
                memo: String::new(),
                lines: vec![medoffice_app::payables::BillLineInput { account: String::new(), amount_cents: 12_300, memo: String::new() }],
            })
            .await
            .unwrap();
        env.app.mail_bill_entered(bk, &item.id, &bill.id).await.unwrap();
        let detail = env.app.bill(bk, &bill.id).await.unwrap();
        assert_eq!(detail.attachments.len(), 1);
        assert_eq!(detail.attachments[0].filename, "bill.png");
        let (_, bytes) = env.app.bill_attachment(bk, &detail.attachments[0].id).await.unwrap();
        assert_eq!(bytes, png_bytes());
        let after = env.app.mail_item(&staff.front_desk, &item.id).await.unwrap().item;
        assert_eq!((after.status.as_str(), after.bill_id.as_deref()), ("done", Some(bill.id.as_str())));
        assert!(matches!(env.app.mail_bill_entered(bk, &item.id, &bill.id).await, Err(AppError::Conflict(_))));
    }
}
