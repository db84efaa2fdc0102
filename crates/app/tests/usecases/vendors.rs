//! Vendors changed after they are added, and bills with the scanned bill attached: the file is
//! recognised by its first bytes, kept with the bill in the bill's own transaction and read back
//! (audited). The practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields, png_bytes, upload};
use medoffice_app::payables::{BillLineInput, NewBillInput, NewVendorInput};
use medoffice_app::{Actor, AppError};
use medoffice_store::audit::AuditFilter;
use sqlx::AssertSqlSafe;

fn vendor(name: &str, terms: &str) -> NewVendorInput {
    NewVendorInput {
        name: name.into(),
        address: "12 Main St, Springfield".into(),
        contact: "billing@example.com".into(),
        tax_id: "12-3456789".into(),
        default_expense_account: "6200".into(),
        payment_terms: terms.into(),
        is_1099: false,
    }
}

fn bill(vendor_id: &str, number: &str, lines: &[(&str, i64)]) -> NewBillInput {
    NewBillInput {
        vendor_id: vendor_id.into(),
        bill_number: number.into(),
        bill_date: "2026-06-01".into(),
        memo: "June supplies".into(),
        lines: lines.iter().map(|(a, c)| BillLineInput { account: (*a).into(), amount_cents: *c, memo: String::new() }).collect(),
    }
}

fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// Rows of a table the harness's `count` does not know.
async fn rows(env: &TestEnv, table: &str) -> i64 {
    assert!(["bill", "bill_attachment", "blob"].contains(&table));
    let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// Files written to the blob store (under the test's data dir).
fn stored_files(env: &TestEnv) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum::<usize>())
            .unwrap_or(0)
    }
    walk(&env.db.dir.path().join("blobs"))
}

async fn trail(env: &TestEnv, admin: &Actor, action: &str) -> Vec<medoffice_domain::audit::AuditRecord> {
    let all = env.app.audit_trail(admin, &AuditFilter::default(), 200).await.unwrap();
    all.into_iter().filter(|r| r.action == action).collect()
}

both_backends! {
    async fn a_vendor_is_changed_with_the_same_checks_as_a_new_one_and_the_change_is_audited(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = env.app.add_vendor(bk, &vendor("Acme Medical", "net_30")).await.unwrap();
        let changed = env
            .app
            .update_vendor(bk, &v.id, &NewVendorInput { payment_terms: "day_of_month:15".into(), is_1099: true, ..vendor("Acme Medical Supply", "") })
            .await
            .unwrap();
        assert_eq!((changed.id.as_str(), changed.name.as_str()), (v.id.as_str(), "Acme Medical Supply"));
        assert_eq!((changed.payment_terms.as_str(), changed.is_1099), ("day_of_month:15", true));
        let read = env.app.vendor(bk, &v.id).await.unwrap();
        assert_eq!((read.name.as_str(), read.payment_terms.as_str(), read.is_1099), ("Acme Medical Supply", "day_of_month:15", true));

        // A bill entered after the change is due by the new terms.
        let b = env.app.enter_bill(bk, &bill(&v.id, "A-1", &[("", 10_000)])).await.unwrap();
        assert_eq!(b.due_date, "2026-07-15");

        let records = trail(&env, &staff.admin, "payables.vendor.update").await;
        assert_eq!(records.len(), 1);
        let detail = &records[0].detail;
        assert!(detail.contains("name: Acme Medical -> Acme Medical Supply"), "{detail}");
        assert!(detail.contains("payment_terms: net_30 -> day_of_month:15") && detail.contains("is_1099: false -> true"), "{detail}");
        assert_eq!(records[0].record_id.as_deref(), Some(v.id.as_str()));

        // Refused as a new vendor would be, every field named; nothing changes.
        let bad = env
            .app
            .update_vendor(bk, &v.id, &NewVendorInput { default_expense_account: "4000".into(), ..vendor(" ", "day_of_month:32") })
            .await;
        assert_eq!(invalid_fields(bad), ["name", "payment_terms", "default_expense_account"]);
        assert_eq!(env.app.vendor(bk, &v.id).await.unwrap().name, "Acme Medical Supply");
        assert!(matches!(env.app.update_vendor(bk, "nobody", &vendor("X", "net_30")).await, Err(AppError::NotFound(_))));
        assert!(matches!(env.app.update_vendor(&staff.front_desk, &v.id, &vendor("X", "net_30")).await, Err(AppError::Forbidden)));
        assert_eq!(trail(&env, &staff.admin, "payables.vendor.update").await.len(), 1);
    }
}

both_backends! {
    async fn a_scanned_bill_is_kept_with_its_bill_by_its_first_bytes_and_read_back_audited(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = env.app.add_vendor(bk, &vendor("Acme Medical", "net_30")).await.unwrap();
        // The browser's claim and the name do not decide the type: the bytes do.
        let entered = env
            .app
            .enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 12_550)]), upload("C:\\scans\\inv-1.bin", "application/octet-stream", pdf_bytes()))
            .await
            .unwrap();
        let detail = env.app.bill(bk, &entered.id).await.unwrap();
        assert_eq!(detail.attachments.len(), 1);
        let a = &detail.attachments[0];
        assert_eq!((a.filename.as_str(), a.content_type.as_str()), ("inv-1.bin", "application/pdf"));
        assert_eq!(a.size_bytes, pdf_bytes().len() as i64);
        assert_eq!((detail.memo.as_deref(), detail.lines.len(), detail.lines[0].amount_cents), (Some("June supplies"), 1, 12_550));
        assert_eq!(detail.lines[0].account_number, "6200");
        assert!(!detail.lines[0].account_name.is_empty());

        let (file, bytes) = env.app.bill_attachment(bk, &a.id).await.unwrap();
        assert_eq!((file.content_type.as_str(), bytes), ("application/pdf", pdf_bytes()));
        let reads = trail(&env, &staff.admin, "payables.bill.attachment.read").await;
        assert_eq!(reads.len(), 1);
        assert_eq!((reads[0].record_type.as_str(), reads[0].record_id.as_deref()), ("bill", Some(entered.id.as_str())));
        let entered_audit = trail(&env, &staff.admin, "payables.bill.enter").await;
        assert!(entered_audit[0].detail.contains("attached application/pdf"), "{}", entered_audit[0].detail);

        // A PNG is a PNG whatever it is called.
        let png = env
            .app
            .enter_bill_with_attachment(bk, &bill(&v.id, "INV-2", &[("6200", 100)]), upload("inv-2.pdf", "application/pdf", png_bytes()))
            .await
            .unwrap();
        assert_eq!(env.app.bill(bk, &png.id).await.unwrap().attachments[0].content_type, "image/png");

        // Those without the books' right read nothing, not even the file.
        assert!(matches!(env.app.bill_attachment(&staff.front_desk, &a.id).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.bill_attachment(bk, "nothing").await, Err(AppError::NotFound(_))));
        assert_eq!((rows(&env, "bill_attachment").await, rows(&env, "blob").await, stored_files(&env)), (2, 2, 2));
    }
}

both_backends! {
    async fn a_file_that_is_not_a_pdf_png_or_jpeg_or_is_too_large_is_refused_and_the_bill_not_entered(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = env.app.add_vendor(bk, &vendor("Acme Medical", "net_30")).await.unwrap();
        let named_pdf = upload("bill.pdf", "application/pdf", b"<html>not a bill</html>".to_vec());
        let refused = env.app.enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 100)]), named_pdf).await;
        assert_eq!(invalid_fields(refused), ["attachment"]);

        let mut large = b"%PDF-1.4\n".to_vec();
        large.resize(env.app.config.max_upload_bytes + 1, b' ');
        let too_large = env.app.enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 100)]), upload("big.pdf", "application/pdf", large)).await;
        match too_large {
            Err(AppError::Validation(e)) => assert!(e.for_field("attachment").unwrap().contains("larger than 10 MB")),
            other => panic!("expected the attachment refused, got {other:?}"),
        }
        assert_eq!((rows(&env, "bill").await, rows(&env, "bill_attachment").await, rows(&env, "blob").await, stored_files(&env)), (0, 0, 0, 0));
        // An empty file part (no file chosen) is no attachment.
        let none = env.app.enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 100)]), upload("", "application/octet-stream", Vec::new())).await.unwrap();
        assert!(env.app.bill(bk, &none.id).await.unwrap().attachments.is_empty());
    }
}

both_backends! {
    async fn a_bill_refused_for_a_bad_line_or_a_used_number_stores_no_attachment(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let v = env.app.add_vendor(bk, &vendor("Acme Medical", "net_30")).await.unwrap();
        let bad_line = env
            .app
            .enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 100), ("4000", 50)]), upload("scan.png", "image/png", png_bytes()))
            .await;
        assert_eq!(invalid_fields(bad_line), ["lines[1].account"]);
        assert_eq!((rows(&env, "bill").await, rows(&env, "bill_attachment").await, rows(&env, "blob").await, stored_files(&env)), (0, 0, 0, 0));

        env.app.enter_bill(bk, &bill(&v.id, "INV-1", &[("6200", 100)])).await.unwrap();
        let again = env.app.enter_bill_with_attachment(bk, &bill(&v.id, "INV-1", &[("6200", 100)]), upload("scan.png", "image/png", png_bytes())).await;
        assert_eq!(invalid_fields(again), ["bill_number"]);
        assert_eq!((rows(&env, "bill").await, rows(&env, "bill_attachment").await, rows(&env, "blob").await, stored_files(&env)), (1, 0, 0, 0));
        let tb = env.app.trial_balance(bk, chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()).await.unwrap();
        assert_eq!(tb.total_debit_cents, 100, "only the one bill posted");
    }
}

both_backends! {
    async fn bills_are_listed_by_status_and_vendor_and_each_vendor_shows_what_is_owed(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let acme = env.app.add_vendor(bk, &vendor("Acme Medical", "net_30")).await.unwrap();
        let power = env.app.add_vendor(bk, &vendor("Power Co", "due_on_receipt")).await.unwrap();
        let quiet = env.app.add_vendor(bk, &vendor("Quiet Vendor", "net_15")).await.unwrap();
        env.app.enter_bill(bk, &bill(&acme.id, "A-1", &[("6200", 10_000), ("1300", 2_550)])).await.unwrap();
        env.app.enter_bill(bk, &NewBillInput { bill_date: "2026-06-10".into(), ..bill(&acme.id, "A-2", &[("6200", 500)]) }).await.unwrap();
        env.app.enter_bill(bk, &bill(&power.id, "P-1", &[("6200", 7_000)])).await.unwrap();

        let open = env.app.bills(bk, "open", "").await.unwrap();
        assert_eq!(open.iter().map(|b| b.bill_number.as_str()).collect::<Vec<_>>(), ["A-2", "A-1", "P-1"]);
        assert!(env.app.bills(bk, "paid", "").await.unwrap().is_empty());
        assert_eq!(env.app.bills(bk, "", &power.id).await.unwrap().len(), 1);
        assert_eq!(invalid_fields(env.app.bills(bk, "overdue", "").await), ["status"]);

        let balances = env.app.vendors_with_balances(bk).await.unwrap();
        let owed: Vec<(&str, i64)> = balances.iter().map(|b| (b.vendor.name.as_str(), b.open_balance_cents)).collect();
        assert_eq!(owed, [("Acme Medical", 13_050), ("Power Co", 7_000), ("Quiet Vendor", 0)]);
        assert_eq!(balances[2].vendor.id, quiet.id);
        assert!(matches!(env.app.vendors_with_balances(&staff.front_desk).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.bills(&staff.provider, "", "").await, Err(AppError::Forbidden)));
    }
}
