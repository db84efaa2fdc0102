//! Letters through the use cases: the built-in templates seeded, merge fields filled from the
//! patient, practice, insurer, balance and recipient; missing and unknown fields refused naming
//! them; the PDF's text; the letter saved on the chart with its PDF, logged as outgoing mail and
//! noted on the telephone message it answers; templates edited by the office manager only;
//! batches. The clock stands at Monday 2026-06-15, noon in New York.

use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::letters::{BUILT_IN, LetterInput, TemplateInput};
use medoffice_app::messages::{ContactInput, NewMessage};
use medoffice_domain::patients::AddressInput;
use medoffice_store::audit::AuditFilter;

fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

fn input(template: &str, patient_id: &str) -> LetterInput {
    LetterInput { template: template.into(), patient_id: patient_id.into(), ..Default::default() }
}

/// The generated practice has no address or phone, which every letterhead template uses.
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

async fn register_with_address(env: &TestEnv, actor: &medoffice_app::Actor, family: &str) -> String {
    give_practice_an_address(env).await;
    let mut p = patient(family, "Pat", "1960-03-14");
    p.address = AddressInput {
        line1: "12 Elm St".into(),
        line2: String::new(),
        city: "Albany".into(),
        state: "NY".into(),
        postal_code: "12207".into(),
    };
    env.app.register_patient(actor, &p, true).await.unwrap().id
}

both_backends! {
    async fn every_built_in_template_is_seeded_once_and_renders_for_a_full_patient(env: TestEnv) {
        let staff = env.practice().await;
        let templates = env.app.letter_templates(&staff.front_desk).await.unwrap();
        assert_eq!(templates.len(), BUILT_IN.len());
        // A second read seeds nothing more.
        assert_eq!(env.app.letter_templates(&staff.admin).await.unwrap().len(), 14);
        for key in ["appointment_reminder", "missed_appointment", "recall", "welcome", "referral", "records_request", "insurance_appeal",
            "past_due_30", "past_due_60", "past_due_90", "payment_plan", "paid_in_full", "discharge", "records_released"] {
            assert!(templates.iter().any(|t| t.key == key && t.built_in), "{key} missing");
        }
        let pid = register_with_address(&env, &staff.front_desk, "Doe").await;
        // The welcome letter needs no appointment, balance or insurer.
        let preview = env.app.preview_letter(&staff.front_desk, &input("welcome", &pid), None).await.unwrap();
        assert!(preview.text.contains("Dear Pat Doe,"), "{}", preview.text);
        assert!(preview.text.contains("June 15, 2026"));
        assert!(preview.text.contains("12 Elm St\nAlbany, NY 12207"), "{}", preview.text);
        assert!(preview.text.contains("Our office is at 1 State St, Albany, NY 12207 and you can reach us at (518) 555-0199."), "{}", preview.text);
        assert!(!preview.text.contains("{{"));
    }
}

both_backends! {
    async fn a_field_with_no_value_for_this_patient_is_refused_naming_it(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register_with_address(&env, &staff.front_desk, "Doe").await;
        // No appointment booked: the reminder cannot be written.
        let err = env.app.preview_letter(&staff.front_desk, &input("appointment_reminder", &pid), None).await.unwrap_err();
        let AppError::Validation(v) = err else { panic!("{err:?}") };
        let messages: Vec<String> = v.errors.iter().map(|e| e.message.clone()).collect();
        assert!(messages.iter().any(|m| m.contains("{{appointment.date}}") && m.contains("no value")), "{messages:?}");
        // No insurance: the appeal names the insurer fields.
        let err = env.app.write_letter(&staff.front_desk, &input("insurance_appeal", &pid)).await.unwrap_err();
        assert!(err.to_string().contains("insurer") || matches!(err, AppError::Validation(_)), "{err}");
        // With a primary coverage the appeal renders with the payer's name and member id.
        let payer = env.payer_id(&staff.admin, 0).await;
        env.app.add_coverage(&staff.front_desk, &pid, &coverage(&payer, "MEM123", "1", "2026-01-01"), None, None).await.unwrap();
        let payer_name = env.app.list_payers(&staff.admin).await.unwrap().remove(0).name;
        let preview = env.app.preview_letter(&staff.biller, &input("insurance_appeal", &pid), None).await;
        match preview {
            Ok(p) => {
                assert!(p.text.contains(&payer_name), "{}", p.text);
                assert!(p.text.contains("MEM123"));
            }
            // A generated payer may have no claims address on file: the error names that field.
            Err(AppError::Validation(v)) => assert!(v.errors.iter().all(|e| e.message.contains("insurer.address") || e.message.contains("practice.phone")), "{v:?}"),
            Err(e) => panic!("{e}"),
        }
        // An unknown template and an unknown patient name what is wrong.
        assert_eq!(invalid_fields(env.app.preview_letter(&staff.front_desk, &input("no_such", &pid), None).await), vec!["template"]);
        assert_eq!(invalid_fields(env.app.preview_letter(&staff.front_desk, &input("welcome", "nobody"), None).await), vec!["patient_id"]);
    }
}

both_backends! {
    async fn templates_are_edited_by_the_office_manager_only_and_unknown_fields_are_refused(env: TestEnv) {
        let staff = env.practice().await;
        let welcome = env.app.letter_template(&staff.admin, "welcome").await.unwrap();
        let edit = TemplateInput { name: "Welcome".into(), body: "Hello {{patient.full_name}} from {{practice.name}}".into(), version: welcome.version };
        for who in [&staff.front_desk, &staff.biller, &staff.provider, &staff.bookkeeper] {
            assert!(matches!(env.app.save_letter_template(who, &welcome.id, &edit).await, Err(AppError::Forbidden)));
        }
        let bad = TemplateInput { body: "Hello {{patient.shoe_size}}".into(), ..edit.clone() };
        assert_eq!(invalid_fields(env.app.save_letter_template(&staff.admin, &welcome.id, &bad).await), vec!["body"]);
        let saved = env.app.save_letter_template(&staff.admin, &welcome.id, &edit).await.unwrap();
        assert_eq!(saved.version, welcome.version + 1);
        // A stale version is a conflict, not a lost edit.
        assert!(matches!(env.app.save_letter_template(&staff.admin, &welcome.id, &edit).await, Err(AppError::Conflict(_))));
        let pid = register_with_address(&env, &staff.front_desk, "Roe").await;
        let preview = env.app.preview_letter(&staff.front_desk, &input("welcome", &pid), None).await.unwrap();
        assert_eq!(preview.text, "Hello Pat Roe from Test Practice");
        // The editor's preview of unsaved text escapes it for the page.
        let preview = env.app.preview_letter(&staff.admin, &input("welcome", &pid), Some("<b>{{patient.family_name}}</b>")).await.unwrap();
        assert_eq!(preview.html, "&lt;b&gt;Roe&lt;/b&gt;");
        // The bookkeeper does not write letters.
        assert!(matches!(env.app.letter_templates(&staff.bookkeeper).await, Err(AppError::Forbidden)));
    }
}

both_backends! {
    async fn a_referral_is_saved_with_its_pdf_logged_as_mail_and_noted_on_the_message(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register_with_address(&env, &staff.front_desk, "Doe").await;
        let contact = env
            .app
            .save_contact(&staff.front_desk, None, &ContactInput { name: "Hudson Cardiology".into(), kind: "practice".into(), phone: "518-555-0100".into(), ..Default::default() })
            .await
            .unwrap();
        let message = env
            .app
            .take_message(&staff.front_desk, &NewMessage { patient_id: pid.clone(), callback_phone: "(518) 555-0142".into(), body: "Needs a referral to cardiology".into(), ..Default::default() })
            .await
            .unwrap();
        let letter_input = LetterInput {
            contact_id: contact.id.clone(),
            recipient_address: "40 River Rd\nTroy, NY 12180".into(),
            message_id: message.id.clone(),
            ..input("referral", &pid)
        };
        let letter = env.app.write_letter(&staff.provider, &letter_input).await.unwrap();
        assert_eq!(letter.recipient_name.as_deref(), Some("Hudson Cardiology"));
        assert_eq!(letter.delivery, "print");
        assert!(letter.body.contains("40 River Rd\nTroy, NY 12180"));
        assert!(letter.body.contains("Re: Pat Doe, born 03/14/1960"), "{}", letter.body);
        // The PDF on file carries the letterhead, the recipient and the text.
        let text = pdf_text(&env.app.letter_pdf(&staff.front_desk, &letter.id).await.unwrap());
        for wanted in ["Test Practice", "Hudson Cardiology", "40 River Rd", "referring my patient Pat Doe"] {
            assert!(text.contains(wanted), "missing {wanted:?} in {text}");
        }
        // On the chart, in the outgoing mail log, and on the message's thread.
        let chart = env.app.patient_letters(&staff.front_desk, &pid).await.unwrap();
        assert_eq!(chart.len(), 1);
        assert_eq!(chart[0].id, letter.id);
        let outgoing = letter.outgoing_mail_id.clone().unwrap();
        assert!(!outgoing.is_empty());
        let thread = env.app.message(&staff.front_desk, &message.id).await.unwrap();
        assert!(thread.entries.iter().any(|e| e.body.contains("Letter sent: Referral to another practice")), "{:?}", thread.entries);
        // Audited.
        let filter = AuditFilter { action_prefix: Some("letter.write".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&staff.admin, &filter, 50).await.unwrap().len(), 1);
        // E-mail only where the patient chose it.
        let err = env.app.write_letter(&staff.front_desk, &LetterInput { delivery: "email".into(), ..input("welcome", &pid) }).await;
        assert_eq!(invalid_fields(err), vec!["delivery"]);
    }
}

both_backends! {
    async fn a_batch_prints_one_pdf_and_saves_a_letter_per_patient(env: TestEnv) {
        let staff = env.practice().await;
        let a = register_with_address(&env, &staff.front_desk, "Ames").await;
        let b = register_with_address(&env, &staff.front_desk, "Baker").await;
        let (letters, pdf) = env.app.write_letter_batch(&staff.biller, "paid_in_full", &[a.clone(), b.clone()]).await.unwrap();
        assert_eq!(letters.len(), 2);
        let text = pdf_text(&pdf);
        assert!(text.contains("Pat Ames") && text.contains("Pat Baker"), "{text}");
        assert_eq!(lopdf::Document::load_mem(&pdf).unwrap().get_pages().len(), 2);
        assert_eq!(env.app.patient_letters(&staff.front_desk, &b).await.unwrap().len(), 1);
        assert_eq!(env.app.recent_letters(&staff.front_desk).await.unwrap().len(), 2);
        // The CLI's render names the bad template.
        assert!(matches!(env.app.render_letter_pdf_offline("nope", &a).await, Err(AppError::Validation(_))));
        let one = env.app.render_letter_pdf_offline("welcome", &a).await.unwrap();
        assert!(pdf_text(&one).contains("Welcome to Test Practice"));
    }
}

/// The text of a PDF as `pdftotext -layout FILE -` (poppler-utils) reads it: an independent
/// reader, so a letter is checked as a person's PDF viewer would show it. A missing pdftotext
/// fails the test (scripts/test.sh installs poppler-utils); it is never skipped.
pub fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (Debian package poppler-utils) must be installed to check letters: {e}"));
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that `wanted` all occur in `text`, each after the one before.
fn assert_in_order(text: &str, wanted: &[&str]) {
    let mut from = 0;
    for w in wanted {
        match text[from..].find(w) {
            Some(at) => from += at + w.len(),
            None => panic!("{w:?} missing after byte {from} (or out of order) in:\n{text}"),
        }
    }
}

/// The image XObjects of a PDF other than soft masks: (width, height, has a soft mask).
pub fn pdf_images(bytes: &[u8]) -> Vec<(i64, i64, bool)> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let images: Vec<(lopdf::ObjectId, &lopdf::Dictionary)> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| o.as_stream().ok().map(|s| (*id, &s.dict)))
        .filter(|(_, d)| d.get(b"Subtype").and_then(|s| s.as_name()).ok() == Some(b"Image".as_slice()))
        .collect();
    let masks: Vec<lopdf::ObjectId> = images.iter().filter_map(|(_, d)| d.get(b"SMask").and_then(|m| m.as_reference()).ok()).collect();
    images
        .iter()
        .filter(|(id, _)| !masks.contains(id))
        .map(|(_, d)| (d.get(b"Width").unwrap().as_i64().unwrap(), d.get(b"Height").unwrap().as_i64().unwrap(), d.get(b"SMask").is_ok()))
        .collect()
}

fn upload(name: &str, bytes: Vec<u8>) -> medoffice_app::patients::Upload {
    medoffice_app::patients::Upload { file_name: name.into(), content_type: "application/octet-stream".into(), bytes }
}

both_backends! {
    async fn the_referral_reads_back_through_pdftotext_in_the_order_printed(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register_with_address(&env, &staff.front_desk, "Doe").await;
        let letter_input = LetterInput {
            recipient_name: "Hudson Cardiology".into(),
            recipient_address: "40 River Rd\nTroy, NY 12180".into(),
            ..input("referral", &pid)
        };
        let letter = env.app.write_letter(&staff.provider, &letter_input).await.unwrap();
        let text = pdftotext(&env.app.letter_pdf(&staff.front_desk, &letter.id).await.unwrap());
        // Letterhead, recipient block, the patient, the signature line and who signs.
        assert_in_order(
            &text,
            &["Test Practice", "1 State St", "June 15, 2026", "Hudson Cardiology", "40 River Rd", "Troy, NY 12180", "Re: Pat Doe", "referring my patient Pat Doe", "Sincerely,", "________________", &letter.signed_by],
        );
    }
}

both_backends! {
    async fn the_office_manager_s_logo_goes_on_every_letter_and_bad_files_are_refused_naming_the_field(env: TestEnv) {
        let staff = env.practice().await;
        let pid = register_with_address(&env, &staff.front_desk, "Doe").await;
        assert!(env.app.letterhead_logo(&staff.front_desk).await.unwrap().is_none());
        let png = medoffice_pdf::image::samples::png(60, 30, true);
        // The office manager's only.
        assert!(matches!(env.app.set_letterhead_logo(&staff.front_desk, &upload("logo.png", png.clone())).await, Err(AppError::Forbidden)));
        // The type is the file's first bytes, not its name.
        assert_eq!(invalid_fields(env.app.set_letterhead_logo(&staff.admin, &upload("logo.png", b"GIF89a\x01\x00".to_vec())).await), ["logo"]);
        let mut huge = png.clone();
        huge.resize(medoffice_app::letters::MAX_LOGO_BYTES + 1, 0);
        let err = env.app.set_letterhead_logo(&staff.admin, &upload("logo.png", huge)).await.unwrap_err();
        let AppError::Validation(v) = err else { panic!("{err:?}") };
        assert_eq!(v.errors[0].field, "logo");
        assert!(v.errors[0].message.contains("at most 1024 KB"), "{v:?}");
        assert_eq!(invalid_fields(env.app.set_letterhead_logo(&staff.admin, &upload("logo.png", Vec::new())).await), ["logo"]);
        // A damaged PNG is refused, not stored.
        assert_eq!(invalid_fields(env.app.set_letterhead_logo(&staff.admin, &upload("logo.png", png[..40].to_vec())).await), ["logo"]);
        assert!(env.app.letterhead_logo(&staff.admin).await.unwrap().is_none());

        let saved = env.app.set_letterhead_logo(&staff.admin, &upload("named-wrong.gif", png.clone())).await.unwrap();
        assert_eq!((saved.content_type.as_str(), saved.width_px, saved.height_px), ("image/png", 60, 30));
        let (content_type, bytes) = env.app.letterhead_logo_file(&staff.front_desk).await.unwrap();
        assert_eq!((content_type.as_str(), bytes), ("image/png", png.clone()));

        // A single letter, a batch and the CLI's render all carry it (drawn once per file).
        let letter = env.app.write_letter(&staff.front_desk, &input("welcome", &pid)).await.unwrap();
        assert_eq!(pdf_images(&env.app.letter_pdf(&staff.front_desk, &letter.id).await.unwrap()), [(60, 30, true)]);
        let other = register_with_address(&env, &staff.front_desk, "Roe").await;
        let (_, batch) = env.app.write_letter_batch(&staff.front_desk, "welcome", &[pid.clone(), other]).await.unwrap();
        assert_eq!(pdf_images(&batch), [(60, 30, true)]);
        assert_eq!(pdf_images(&env.app.render_letter_pdf_offline("welcome", &pid).await.unwrap()), [(60, 30, true)]);
        // A JPEG replaces it and goes in as it is.
        let jpeg = medoffice_pdf::image::samples::jpeg_header(300, 100, 3);
        env.app.set_letterhead_logo(&staff.admin, &upload("logo.jpg", jpeg)).await.unwrap();
        assert_eq!(pdf_images(&env.app.render_letter_pdf_offline("welcome", &pid).await.unwrap()), [(300, 100, false)]);
        // Removed: no picture any more; audited both ways.
        env.app.remove_letterhead_logo(&staff.admin).await.unwrap();
        assert!(pdf_images(&env.app.render_letter_pdf_offline("welcome", &pid).await.unwrap()).is_empty());
        let filter = AuditFilter { action_prefix: Some("letterhead_logo.".into()), ..Default::default() };
        assert_eq!(env.app.audit_trail(&staff.admin, &filter, 10).await.unwrap().len(), 3);
    }
}

both_backends! {
    async fn a_batch_refuses_no_patients_and_names_the_patient_and_field_it_cannot_fill(env: TestEnv) {
        let staff = env.practice().await;
        let ames = register_with_address(&env, &staff.front_desk, "Ames").await;
        assert_eq!(invalid_fields(env.app.write_letter_batch(&staff.front_desk, "welcome", &[]).await), ["patient_ids"]);
        assert_eq!(invalid_fields(env.app.write_letter_batch(&staff.front_desk, "welcome", &["  ".into()]).await), ["patient_ids"]);
        assert_eq!(invalid_fields(env.app.write_letter_batch(&staff.front_desk, "", std::slice::from_ref(&ames)).await), ["template"]);
        // A patient with no address on file: the whole batch is refused, naming them and the field.
        let no_address = env.app.register_patient(&staff.front_desk, &patient("Nomad", "Nell", "1980-01-01"), true).await.unwrap().id;
        let err = env.app.write_letter_batch(&staff.front_desk, "welcome", &[ames.clone(), no_address]).await.unwrap_err();
        let AppError::Validation(v) = err else { panic!("{err:?}") };
        assert!(v.errors.iter().all(|e| e.field == "patient_ids"), "{v:?}");
        assert!(v.errors.iter().any(|e| e.message.contains("Nell Nomad") && e.message.contains("{{patient.address}}")), "{v:?}");
        assert!(env.app.recent_letters(&staff.front_desk).await.unwrap().is_empty(), "nothing saved");
        // Repeated ids print once.
        let (letters, _) = env.app.write_letter_batch(&staff.front_desk, "welcome", &[ames.clone(), ames.clone()]).await.unwrap();
        assert_eq!(letters.len(), 1);
    }
}

both_backends! {
    async fn a_letter_by_email_carries_its_pdf_as_an_attachment_with_the_text_in_the_body(env: TestEnv) {
        use crate::smtp_listener::{Mode, SmtpListener};
        use medoffice_app::reminders::SmtpInput;
        let staff = env.practice().await;
        give_practice_an_address(&env).await;
        let mut p = patient("Mailer", "Mona", "1979-05-05");
        p.address = AddressInput { line1: "3 Oak St".into(), line2: String::new(), city: "Albany".into(), state: "NY".into(), postal_code: "12207".into() };
        p.email = "mona.mailer@example.com".into();
        p.preferred_contact = "email".into();
        let pid = env.app.register_patient(&staff.front_desk, &p, true).await.unwrap().id;
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
        let letter = env.app.write_letter(&staff.front_desk, &LetterInput { delivery: "email".into(), ..input("welcome", &pid) }).await.unwrap();
        assert_eq!(letter.emailed_to.as_deref(), Some("mona.mailer@example.com"));
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert!(received[0].header("Content-Type").unwrap_or_default().starts_with("multipart/mixed"), "{:?}", received[0].header("Content-Type"));
        let body = received[0].body();
        // The plain text first, then the PDF, base64 ("%PDF-" is "JVBERi0").
        let text_at = body.find("Welcome to Test Practice").expect("the text in the body");
        let file_at = body.find("Content-Type: application/pdf").expect("the PDF part");
        assert!(text_at < file_at, "{body}");
        assert!(body.contains("filename=\"welcome-2026-06-15.pdf\""), "{body}");
        assert!(body[file_at..].contains("JVBERi0"), "{body}");
        // A printed letter sends nothing.
        env.app.write_letter(&staff.front_desk, &input("welcome", &pid)).await.unwrap();
        assert_eq!(server.received().len(), 1);
    }
}
