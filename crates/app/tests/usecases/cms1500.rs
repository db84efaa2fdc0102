//! Paper claims through the use cases: a claim on the CMS-1500 (02/12) form read back with lopdf
//! (patient, diagnoses, each line's code and charge, the total; seven lines make two sheets, each
//! totalled), the red form's data moved by the practice's offsets, and paper payers' claims kept
//! out of the 837P export, then printed into one kept PDF and marked sent once.

use crate::encounters::{address, billing_setup, line, visit};
use crate::harness::{TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::claims::{ClaimStatus, ClaimStatusInput};
use medoffice_app::cms1500::{ClaimFormSettingsInput, FormKind};

fn pages_text(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let pages = doc.get_pages().len() as u32;
    (1..=pages).map(|p| doc.extract_text(&[p]).unwrap()).collect()
}

/// Every piece of data text on the first page (Courier, font F1) with where it starts.
fn data_positions(bytes: &[u8]) -> Vec<(f32, f32, String)> {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let page = doc.get_pages()[&1];
    let content = lopdf::content::Content::decode(&doc.get_page_content(page)).unwrap();
    let (mut x, mut y, mut data) = (0.0, 0.0, false);
    let mut out = Vec::new();
    for op in content.operations {
        match op.operator.as_str() {
            "Tf" => data = op.operands[0].as_name().unwrap() == b"F1",
            "Td" => {
                x = op.operands[0].as_float().unwrap();
                y = op.operands[1].as_float().unwrap();
            }
            "Tj" if data => out.push((x, y, String::from_utf8_lossy(op.operands[0].as_str().unwrap()).into_owned())),
            _ => {}
        }
    }
    out
}

fn to(status: &str) -> ClaimStatusInput {
    ClaimStatusInput { status: status.into(), note: String::new() }
}

async fn audit_count(env: &TestEnv, action: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = $1").bind(action).fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_claim_prints_on_the_cms1500_and_seven_lines_make_two_sheets_each_totalled(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let mut input = visit(&b, &b.patient_id);
        input.diagnoses = vec!["E11.9".into(), "I10".into(), "J06.9".into()];
        input.lines = vec![
            line("99214", "25", "1,2"),
            line("93000", "", "2"),
            line("36415", "", "1"),
            line("20610", "RT", "3"),
            line("J1030", "JZ", "3"),
            line("99213", "", "1,3"),
            line("36415", "", "2"),
        ];
        input.lines[3].charge = "225.00".into();
        input.lines[4].charge = "18.00".into();
        let e = env.app.open_encounter(biller, &input).await.unwrap();
        let claim_id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();

        // A draft prints too, for review.
        let file = env.app.claim_form_pdf(biller, &claim_id, FormKind::Plain).await.unwrap();
        assert_eq!(file.sheets, 2);
        assert!(file.bytes.starts_with(b"%PDF-"));
        let pages = pages_text(&file.bytes);
        assert_eq!(pages.len(), 2, "seven lines: six on the first sheet, one on the second");
        for page in &pages {
            for expected in ["HEALTH INSURANCE CLAIM FORM", "DOE, JANE", "04 02 1980", "MEMBER001", "GRP-100", "E119", "I10", "J069", "MO00000001", "SIGNATURE ON FILE", "1234567893", "123456789"] {
                assert!(page.contains(expected), "{expected:?} missing from {page}");
            }
        }
        // Sheet 1: lines 1-6 with their charges; total 200 + 60 + 12 + 225 + 18 + 150 = 665.
        for expected in ["99214", "25", "AB", "93000", "36415", "20610", "RT", "J1030", "JZ", "99213", "AC", "200 00", "60 00", "12 00", "225 00", "18 00", "150 00", "665 00"] {
            assert!(pages[0].contains(expected), "{expected:?} missing from the first sheet: {}", pages[0]);
        }
        // Sheet 2: line 7 alone, totalled on its own.
        assert!(pages[1].contains("36415") && pages[1].contains("12 00"), "{}", pages[1]);
        assert!(!pages[1].contains("99214") && !pages[1].contains("665 00"), "{}", pages[1]);
        assert_eq!(pages[1].matches("12 00").count(), 2, "the line and its sheet's total: {}", pages[1]);

        // The red form: the same data, no form, moved by the practice's offsets.
        let admin = &b.staff.admin;
        assert_eq!(env.app.claim_form_settings(biller).await.unwrap().offset_right_points, 0);
        let settings = env
            .app
            .set_claim_form_settings(admin, &ClaimFormSettingsInput { offset_right_points: "10".into(), offset_down_points: "-5".into() })
            .await
            .unwrap();
        assert_eq!((settings.offset_right_points, settings.offset_down_points), (10, -5));
        let red = env.app.claim_form_pdf(biller, &claim_id, FormKind::Red).await.unwrap();
        let red_pages = pages_text(&red.bytes);
        assert!(!red_pages[0].contains("HEALTH INSURANCE CLAIM FORM") && red_pages[0].contains("DOE, JANE"), "{}", red_pages[0]);
        let plain_at = data_positions(&file.bytes);
        let red_at = data_positions(&red.bytes);
        assert_eq!(plain_at.len(), red_at.len());
        for ((px, py, text), (rx, ry, red_text)) in plain_at.iter().zip(&red_at) {
            assert_eq!(text, red_text);
            assert!((rx - px - 10.0).abs() < 0.01 && (ry - py - 5.0).abs() < 0.01, "{text}: ({px}, {py}) -> ({rx}, {ry})");
        }

        // Offsets out of range or not numbers are refused on their fields; only the office manager sets them.
        let bad = ClaimFormSettingsInput { offset_right_points: "100".into(), offset_down_points: "a".into() };
        assert_eq!(invalid_fields(env.app.set_claim_form_settings(admin, &bad).await), ["offset_right_points", "offset_down_points"]);
        assert_eq!(env.app.claim_form_settings(biller).await.unwrap().offset_right_points, 10, "nothing written");
        let ok = ClaimFormSettingsInput { offset_right_points: "1".into(), offset_down_points: "1".into() };
        assert!(matches!(env.app.set_claim_form_settings(biller, &ok).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.claim_form_pdf(&b.staff.front_desk, &claim_id, FormKind::Plain).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.claim_form_pdf(biller, "nope", FormKind::Plain).await, Err(AppError::NotFound(_))));
        assert!(FormKind::parse("blue").is_err());
        assert_eq!(audit_count(&env, "claim.cms1500").await, 2);
    }
}

both_backends! {
    async fn paper_payers_claims_stay_out_of_837p_files_and_are_printed_and_marked_sent_once(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        // The Billing patient's payer takes paper only; a second patient's payer is electronic.
        sqlx::query("UPDATE payer SET accepts_electronic_claims = 0 WHERE id = $1").bind(&b.payer_id).execute(env.store.pool()).await.unwrap();
        let electronic_payer = env.payer_id(&b.staff.admin, 2).await;
        let mut other = patient("Roe", "Richard", "1970-01-01");
        other.address = address();
        let other = env.app.register_patient(&b.staff.front_desk, &other, true).await.unwrap();
        env.app.add_coverage(&b.staff.front_desk, &other.id, &coverage(&electronic_payer, "MEMBER777", "1", "2026-01-01"), None, None).await.unwrap();
        let mut claims = Vec::new();
        for patient_id in [&b.patient_id, &other.id] {
            let e = env.app.open_encounter(biller, &visit(&b, patient_id)).await.unwrap();
            let id = env.app.post_charges(biller, &e.id).await.unwrap().claim_id.unwrap();
            let d = env.app.change_claim_status(biller, &id, &to("ready")).await.unwrap();
            assert!(d.problems.is_empty(), "{:?}", d.problems);
            claims.push(id);
        }
        let (paper, electronic) = (&claims[0], &claims[1]);

        // The 837P export takes the electronic payer's claim only.
        let export = env.app.send_ready_claims(biller).await.unwrap();
        assert_eq!(export.batches.len(), 1);
        assert_eq!(export.batches[0].payer_id, electronic_payer);
        assert_eq!(export.batches[0].claim_count, 1);
        let (_, content) = env.app.claim_batch_file(biller, &export.batches[0].id).await.unwrap();
        assert!(content.contains("ROE") && !content.contains("MEMBER001"), "{content}");
        assert_eq!(env.app.claim(biller, paper).await.unwrap().claim.status, ClaimStatus::Ready);
        assert_eq!(env.app.claim(biller, electronic).await.unwrap().claim.status, ClaimStatus::Sent);
        assert_eq!(env.app.paper_claims(biller).await.unwrap().ready_count, 1);

        // Only a role that manages claims prints.
        assert!(matches!(env.app.print_paper_claims(&b.staff.front_desk, FormKind::Plain).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.print_paper_claims(&b.staff.provider, FormKind::Plain).await, Err(AppError::Forbidden)));

        let result = env.app.print_paper_claims(biller, FormKind::Plain).await.unwrap();
        assert!(result.returned_to_draft.is_empty());
        let print = result.print.unwrap();
        assert_eq!((print.claim_count, print.sheet_count, print.total_cents, print.form.as_str()), (1, 1, 21_000, "plain"));
        let detail = env.app.claim(biller, paper).await.unwrap();
        assert_eq!(detail.claim.status, ClaimStatus::Sent);
        assert!(detail.history.last().unwrap().note.contains("printed on paper"), "{:?}", detail.history);
        assert_eq!(detail.claim.batch_id, None, "no 837P file holds it");

        // Printed once: a second run finds nothing; the kept file prints again, the same bytes.
        let again = env.app.print_paper_claims(biller, FormKind::Plain).await.unwrap();
        assert!(again.print.is_none());
        let file = env.app.paper_print_file(biller, &print.id).await.unwrap();
        let text = pages_text(&file.bytes).join("\n");
        for expected in ["DOE, JANE", "MO00000001", "J069", "R059", "99213", "150 00", "93000", "60 00", "210 00"] {
            assert!(text.contains(expected), "{expected:?} missing from {text}");
        }
        assert!(!text.contains("ROE"), "the electronic claim is not on paper");
        assert_eq!(env.app.paper_print_file(biller, &print.id).await.unwrap().bytes, file.bytes);
        let overview = env.app.paper_claims(biller).await.unwrap();
        assert_eq!((overview.ready_count, overview.prints.len()), (0, 1));
        assert_eq!(audit_count(&env, "claim.paper_print").await, 1);
        assert_eq!(audit_count(&env, "claim.paper_print.read").await, 2);
        let (sent_events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM claim_status_event WHERE claim_id = $1 AND to_status = 'sent'")
            .bind(paper)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(sent_events, 1);
    }
}
