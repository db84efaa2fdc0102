//! Medical files through the use cases: upload of a PDF (found by its text layer and its
//! description), scanned images combined into one PDF, versions that keep the old ones, damaged
//! files reported, who may handle which class, the audit of every view and download, refused
//! input named by field with nothing written. The practice's today is 2026-06-15.

use crate::harness::{TestEnv, both_backends, invalid_fields, patient};
use medoffice_app::documents::{ContentUse, DocumentInput, DocumentQuery};
use medoffice_app::patients::Upload;
use medoffice_app::payables::NewVendorInput;
use medoffice_app::{Actor, AppError};
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

async fn rows(env: &TestEnv, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

/// The audit actions written about one record, oldest first, with their patient.
async fn audited(env: &TestEnv, record_id: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT action, patient_id FROM audit_event WHERE record_id = $1 ORDER BY seq")
        .bind(record_id)
        .fetch_all(env.store.pool())
        .await
        .unwrap()
}

/// A one-page PDF whose text layer says `text`.
fn pdf_with_text(text: &str) -> Vec<u8> {
    let mut doc = medoffice_pdf::Document::letter();
    doc.paragraph(text);
    doc.finish()
}

/// The start of a baseline JPEG: SOI, a frame header of `w` x `h` and EOI (enough to embed).
fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    out
}

fn file(name: &str, bytes: Vec<u8>) -> Upload {
    Upload { file_name: name.into(), content_type: "application/octet-stream".into(), bytes }
}

fn input(category: &str, patient_id: &str) -> DocumentInput {
    DocumentInput { category: category.into(), patient_id: patient_id.into(), ..Default::default() }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn register(env: &TestEnv, actor: &Actor, family: &str) -> String {
    env.app.register_patient(actor, &patient(family, "Ana", "1980-04-02"), true).await.unwrap().id
}

async fn search(env: &TestEnv, actor: &Actor, q: &str) -> Vec<String> {
    env.app.documents(actor, &DocumentQuery { q: q.into(), ..Default::default() }).await.unwrap().into_iter().map(|d| d.id).collect()
}

both_backends! {
    async fn a_pdf_is_filed_with_its_hash_and_found_by_its_text_and_its_description(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Rivera").await;
        let bytes = pdf_with_text("Please schedule an echocardiogram for shortness of breath");
        let doc = env
            .app
            .upload_document(
                desk,
                &DocumentInput { description: "Cardiology consult from Dr. Okafor".into(), document_date: "2026-06-01".into(), ..input("referral", &pid) },
                vec![file("C:\\scans\\referral okafor.pdf", bytes.clone())],
            )
            .await
            .unwrap();
        assert_eq!(doc.category, "referral");
        assert_eq!(doc.class, "patient_record");
        assert_eq!(doc.title, "referral okafor", "the title defaults to the file's name");
        assert_eq!(doc.file_name, "referral okafor.pdf");
        assert_eq!(doc.document_date, "2026-06-01");
        assert_eq!(doc.patient_id.as_deref(), Some(pid.as_str()));
        assert_eq!(doc.patient_name.as_deref(), Some("Rivera, Ana"));
        assert_eq!((doc.version, doc.page_count, doc.content_type.as_str()), (1, 1, "application/pdf"));
        assert_eq!(doc.sha256, sha(&bytes));
        assert_eq!(doc.size_bytes, bytes.len() as i64);

        // Found by a word of the text layer, of the description, and by several words at once.
        assert_eq!(search(&env, desk, "echocardiogram").await, vec![doc.id.clone()]);
        assert_eq!(search(&env, &staff.provider, "OKAFOR").await, vec![doc.id.clone()]);
        assert_eq!(search(&env, desk, "cardiology breath").await, vec![doc.id.clone()]);
        assert!(search(&env, desk, "cardiology colonoscopy").await.is_empty());
        // A patient's list; a category filter.
        let by_patient = env.app.patient_documents(desk, &pid).await.unwrap();
        assert_eq!(by_patient.len(), 1);
        assert_eq!(by_patient[0].patient_name.as_deref(), Some("Rivera, Ana"));
        let consents = env.app.documents(desk, &DocumentQuery { category: "consent_form".into(), ..Default::default() }).await.unwrap();
        assert!(consents.is_empty());

        // The bytes come back as they were, each view and download audited with the patient.
        let shown = env.app.document_content(desk, &doc.id, None, ContentUse::View).await.unwrap();
        assert_eq!(shown.bytes, bytes);
        assert_eq!((shown.content_type.as_str(), shown.file_name.as_str()), ("application/pdf", "referral okafor.pdf"));
        env.app.document_content(&staff.provider, &doc.id, Some(1), ContentUse::Download).await.unwrap();
        env.app.document(desk, &doc.id).await.unwrap();
        let trail = audited(&env, &doc.id).await;
        let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, vec!["document.upload", "document.view", "document.download", "document.read"]);
        assert!(trail.iter().all(|(_, p)| p.as_deref() == Some(pid.as_str())), "{trail:?}");
        // The file on disk is encrypted: the text is not there in clear.
        let blob_dir = env.db.dir.path().join("blobs");
        let mut found_clear = false;
        for practice in std::fs::read_dir(&blob_dir).unwrap() {
            for f in std::fs::read_dir(practice.unwrap().path()).unwrap() {
                let on_disk = std::fs::read(f.unwrap().path()).unwrap();
                found_clear |= on_disk.windows(14).any(|w| w == b"echocardiogram");
            }
        }
        assert!(!found_clear);
    }
}

both_backends! {
    async fn scanned_images_become_one_pdf_with_a_page_each(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register(&env, &staff.front_desk, "Chen").await;
        let pages = vec![file("outside-1.jpg", jpeg(1700, 2200)), file("outside-2.jpg", jpeg(2200, 1700)), file("outside-3.jpg", jpeg(800, 600))];
        let doc = env
            .app
            .upload_document(&staff.provider, &DocumentInput { title: "Records from Albany Med".into(), ..input("outside_records", &pid) }, pages)
            .await
            .unwrap();
        assert_eq!((doc.content_type.as_str(), doc.page_count), ("application/pdf", 3));
        assert_eq!(doc.file_name, "outside-1.pdf");
        assert_eq!(doc.document_date, "2026-06-15", "a blank date is today");
        let content = env.app.document_content(&staff.provider, &doc.id, None, ContentUse::Download).await.unwrap();
        assert_eq!(medoffice_pdf::scan::pdf_page_count(&content.bytes).unwrap(), 3);
        assert_eq!(sha(&content.bytes), doc.sha256);
        // A single image stays an image.
        let card = env
            .app
            .upload_document(&staff.front_desk, &input("insurance_card", &pid), vec![file("card.jpg", jpeg(640, 400))])
            .await
            .unwrap();
        assert_eq!((card.content_type.as_str(), card.page_count, card.title.as_str()), ("image/jpeg", 1, "card"));
        assert_eq!(search(&env, &staff.front_desk, "albany").await, vec![doc.id.clone()]);
    }
}

both_backends! {
    async fn a_new_version_never_erases_the_old_one(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let vendor = env
            .app
            .add_vendor(bk, &NewVendorInput { name: "Elm Street Properties".into(), payment_terms: "net_30".into(), ..Default::default() })
            .await
            .unwrap()
            .id;
        let first = pdf_with_text("Lease of suite 200, rent 4,000 dollars monthly");
        let doc = env
            .app
            .upload_document(bk, &DocumentInput { category: "lease".into(), title: "Office lease".into(), vendor_id: vendor.clone(), ..Default::default() }, vec![file("lease.pdf", first.clone())])
            .await
            .unwrap();
        assert_eq!(doc.vendor_name.as_deref(), Some("Elm Street Properties"));
        let second = pdf_with_text("Amended lease of suite 200, rent 4,400 dollars monthly");
        let updated = env.app.add_document_version(&staff.admin, &doc.id, vec![file("lease-amended.pdf", second.clone())], "Amendment 1").await.unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(updated.sha256, sha(&second));
        assert_eq!(updated.title, "Office lease");
        let numbers: Vec<i64> = updated.versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, vec![2, 1]);
        assert_eq!(updated.versions[0].note.as_deref(), Some("Amendment 1"));
        assert_eq!(updated.versions[1].sha256, sha(&first));

        let old = env.app.document_content(bk, &doc.id, Some(1), ContentUse::Download).await.unwrap();
        assert_eq!((old.bytes, old.version, old.sha256), (first, 1, sha(&pdf_with_text("Lease of suite 200, rent 4,000 dollars monthly"))));
        let current = env.app.document_content(bk, &doc.id, None, ContentUse::View).await.unwrap();
        assert_eq!((current.bytes, current.version), (second, 2));
        assert!(matches!(env.app.document_content(bk, &doc.id, Some(3), ContentUse::View).await, Err(AppError::NotFound(_))));
        // Search reads the current version's text.
        assert_eq!(search(&env, bk, "amended").await, vec![doc.id.clone()]);
        assert_eq!(env.app.documents(bk, &DocumentQuery { vendor_id: vendor, ..Default::default() }).await.unwrap().len(), 1);
        let actions: Vec<String> = audited(&env, &doc.id).await.into_iter().map(|(a, _)| a).collect();
        assert!(actions.contains(&"document.version.add".to_string()), "{actions:?}");
        // A version with a bad file is refused on `file` and changes nothing.
        let fields = invalid_fields(env.app.add_document_version(bk, &doc.id, vec![file("x.exe", b"MZ\x90\0".to_vec())], "").await);
        assert_eq!(fields, vec!["file"]);
        assert_eq!(env.app.document(bk, &doc.id).await.unwrap().versions.len(), 2);
    }
}

both_backends! {
    async fn a_damaged_file_is_reported_naming_the_document(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        let doc = env
            .app
            .upload_document(admin, &DocumentInput { category: "licence".into(), title: "State medical licence".into(), ..Default::default() }, vec![file("licence.pdf", pdf_with_text("Licence 12345"))])
            .await
            .unwrap();
        let (blob_id,): (String,) = sqlx::query_as("SELECT blob_id FROM document_version WHERE document_id = $1")
            .bind(&doc.id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        let path = env.db.dir.path().join("blobs").join(&admin.practice_id).join(&blob_id);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0x40;
        std::fs::write(&path, &bad).unwrap();
        match env.app.document_content(admin, &doc.id, None, ContentUse::View).await {
            Err(AppError::Damaged(m)) => assert!(m.contains("State medical licence"), "{m}"),
            other => panic!("expected Damaged, got {:?}", other.map(|c| c.version)),
        }
        // The file intact but the stored hash not its own: damaged as well.
        std::fs::write(&path, &good).unwrap();
        sqlx::query("UPDATE document_version SET sha256 = $1 WHERE document_id = $2")
            .bind("0".repeat(64))
            .bind(&doc.id)
            .execute(env.store.pool())
            .await
            .unwrap();
        match env.app.document_content(admin, &doc.id, None, ContentUse::Download).await {
            Err(AppError::Damaged(m)) => assert!(m.contains("does not match"), "{m}"),
            other => panic!("expected Damaged, got {:?}", other.map(|c| c.version)),
        }
        // The file gone altogether: damaged too, naming the document.
        std::fs::remove_file(&path).unwrap();
        match env.app.document_content(admin, &doc.id, None, ContentUse::View).await {
            Err(AppError::Damaged(m)) => assert!(m.contains("State medical licence") && m.contains("cannot be read"), "{m}"),
            other => panic!("expected Damaged, got {:?}", other.map(|c| c.version)),
        }
    }
}

both_backends! {
    async fn each_role_handles_only_its_classes_of_documents(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register(&env, &staff.admin, "Okafor").await;
        let payer = env.payer_id(&staff.admin, 0).await;
        // One document of each class, filed by the office manager; the same word in each.
        let classes = [
            ("referral", "patient_record", DocumentInput { description: "zebra referral".into(), ..input("referral", &pid) }),
            ("eob", "accounting", DocumentInput { description: "zebra remittance".into(), payer_id: payer.clone(), ..input("eob", "") }),
            ("payer_contract", "contract", DocumentInput { description: "zebra contract".into(), payer_id: payer.clone(), ..input("payer_contract", "") }),
            ("policy", "business", DocumentInput { description: "zebra policy".into(), ..input("policy", "") }),
        ];
        let mut ids = Vec::new();
        for (_, _, i) in &classes {
            ids.push(env.app.upload_document(&staff.admin, i, vec![file("doc.pdf", pdf_with_text("zebra"))]).await.unwrap().id);
        }
        // Who may: patient records to admin, front desk, provider; accounting to admin, biller,
        // bookkeeper; contracts and business documents to admin and bookkeeper.
        let matrix: [(&Actor, [bool; 4]); 5] = [
            (&staff.admin, [true, true, true, true]),
            (&staff.front_desk, [true, false, false, false]),
            (&staff.provider, [true, false, false, false]),
            (&staff.biller, [false, true, false, false]),
            (&staff.bookkeeper, [false, true, true, true]),
        ];
        for (actor, allowed) in matrix {
            let who = actor.role.as_str();
            for (k, (category, _, i)) in classes.iter().enumerate() {
                let upload = env.app.upload_document(actor, i, vec![file("again.pdf", pdf_with_text("again"))]).await;
                assert_eq!(upload.is_ok(), allowed[k], "{who} upload {category}: {:?}", upload.as_ref().err());
                if !allowed[k] {
                    assert!(matches!(upload, Err(AppError::Forbidden)), "{who} {category}");
                }
                let read = env.app.document(actor, &ids[k]).await;
                assert_eq!(read.is_ok(), allowed[k], "{who} read {category}");
                let content = env.app.document_content(actor, &ids[k], None, ContentUse::View).await;
                assert_eq!(content.is_ok(), allowed[k], "{who} content {category}");
                if !allowed[k] {
                    assert!(matches!(read, Err(AppError::Forbidden)) && matches!(content, Err(AppError::Forbidden)), "{who} {category}");
                    let version = env.app.add_document_version(actor, &ids[k], vec![file("v.pdf", pdf_with_text("v"))], "").await;
                    assert!(matches!(version, Err(AppError::Forbidden)), "{who} version {category}");
                    let filtered = env.app.documents(actor, &DocumentQuery { category: category.to_string(), ..Default::default() }).await;
                    assert!(matches!(filtered, Err(AppError::Forbidden)), "{who} filter {category}");
                }
            }
            // Search never shows a class the role may not handle.
            let found = env.app.documents(actor, &DocumentQuery { q: "zebra".into(), ..Default::default() }).await.unwrap();
            let classes_found: std::collections::BTreeSet<&str> = found.iter().map(|d| d.class.as_str()).collect();
            let expected: std::collections::BTreeSet<&str> =
                classes.iter().zip(allowed).filter(|(_, a)| *a).map(|((_, c, _), _)| *c).collect();
            assert_eq!(classes_found, expected, "{who} search");
        }
        // Refusals are audited.
        let (denied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'access.denied' AND outcome = 'denied'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert!(denied >= 10, "{denied}");
    }
}

both_backends! {
    async fn refused_input_is_named_by_field_and_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Lee").await;
        let pdf = || vec![file("a.pdf", pdf_with_text("text"))];
        let cases: Vec<(DocumentInput, Vec<Upload>, &str)> = vec![
            (input("referral", &pid), vec![file("a.exe", b"MZ\x90\0 program".to_vec())], "file"),
            (input("referral", &pid), vec![file("big.pdf", { let mut b = b"%PDF-1.7\n".to_vec(); b.resize(25 * 1024 * 1024 + 1, b' '); b })], "file"),
            (input("referral", &pid), vec![file("empty.pdf", Vec::new())], "file"),
            (input("referral", &pid), Vec::new(), "file"),
            (input("referral", &pid), vec![file("broken.pdf", b"%PDF-1.4 this is no PDF".to_vec())], "file"),
            (input("referral", &pid), vec![file("p1.jpg", jpeg(10, 10)), file("p2.pdf", pdf_with_text("x"))], "file"),
            (input("tax_return", &pid), pdf(), "category"),
            (input("referral", "no-such-patient"), pdf(), "patient_id"),
            (input("referral", ""), pdf(), "patient_id"),
            (DocumentInput { document_date: "06/01/2026".into(), ..input("referral", &pid) }, pdf(), "document_date"),
            (DocumentInput { document_date: "2031-01-01".into(), ..input("referral", &pid) }, pdf(), "document_date"),
            (DocumentInput { title: "t".repeat(201), ..input("referral", &pid) }, pdf(), "title"),
            (DocumentInput { description: "d".repeat(4001), ..input("referral", &pid) }, pdf(), "description"),
            (DocumentInput { payer_id: "no-such-payer".into(), ..input("referral", &pid) }, pdf(), "payer_id"),
            (DocumentInput { vendor_id: "no-such-vendor".into(), ..input("referral", &pid) }, pdf(), "vendor_id"),
            (DocumentInput { claim_id: "no-such-claim".into(), ..input("referral", &pid) }, pdf(), "claim_id"),
        ];
        for (i, files, field) in cases {
            let fields = invalid_fields(env.app.upload_document(desk, &i, files).await);
            assert_eq!(fields, vec![field.to_string()], "{field}");
        }
        // Several faults at once are all named.
        let fields = invalid_fields(
            env.app.upload_document(desk, &DocumentInput { document_date: "soon".into(), ..input("referral", "") }, Vec::new()).await,
        );
        assert_eq!(fields, vec!["file", "document_date", "patient_id"]);
        assert_eq!((rows(&env, "document").await, rows(&env, "document_version").await, rows(&env, "blob").await), (0, 0, 0));
        assert!(!env.db.dir.path().join("blobs").join(&desk.practice_id).exists(), "no file was written");
        // Unknown documents are not found.
        assert!(matches!(env.app.document(desk, "nope").await, Err(AppError::NotFound(_))));
        assert!(matches!(env.app.document_content(desk, "nope", None, ContentUse::View).await, Err(AppError::NotFound(_))));
    }
}

both_backends! {
    async fn a_failure_after_the_checks_leaves_no_document_behind(env: TestEnv) {
        let staff = env.practice().await;
        let desk = &staff.front_desk;
        let pid = register(&env, desk, "Moss").await;
        // The practice's blob folder cannot be created: a plain file stands in its place.
        let blob_root = env.db.dir.path().join("blobs");
        std::fs::create_dir_all(&blob_root).unwrap();
        std::fs::write(blob_root.join(&desk.practice_id), b"in the way").unwrap();
        let result = env.app.upload_document(desk, &input("consent_form", &pid), vec![file("consent.pdf", pdf_with_text("consent"))]).await;
        assert!(result.is_err(), "{:?}", result.map(|d| d.id));
        assert_eq!((rows(&env, "document").await, rows(&env, "document_version").await, rows(&env, "blob").await), (0, 0, 0));
        let (uploads,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'document.upload'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(uploads, 0);
    }
}
