//! Code sets, payers and fee schedules through the use cases: the whole ICD-10-CM loaded once and
//! searched by code and words, the billable check the claim scrubber uses, CPT/HCPCS imports
//! (good and bad files), payers with their claim details, and fee lookups. The practice's today
//! is 2026-06-15.

use crate::harness::{both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::AppError;
use medoffice_app::code_sets::{DiagnosisSearch, DiagnosisStatus, MatchKind, ProcedureImport, ProcedureSearch};
use medoffice_app::fees::{FeeInput, FeeQuery};
use medoffice_app::payers::PayerInput;
use std::time::Instant;

fn search(q: &str) -> DiagnosisSearch {
    DiagnosisSearch { q: q.into(), ..Default::default() }
}

fn cpt(text: &str) -> ProcedureImport {
    ProcedureImport { code_set: "cpt".into(), text: text.into(), effective_from: String::new() }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn paper_payer(name: &str) -> PayerInput {
    PayerInput {
        name: name.into(),
        claim_filing_indicator: "CI".into(),
        accepts_electronic_claims: false,
        address_line1: "PO Box 1200".into(),
        city: "Albany".into(),
        state: "ny".into(),
        postal_code: "12203".into(),
        timely_filing_days: "90".into(),
        ..Default::default()
    }
}

fn fee(code: &str, modifier: &str, amount: &str) -> FeeInput {
    FeeInput { code: code.into(), modifier: modifier.into(), amount: amount.into(), amount_cents: None }
}

both_backends! {
    async fn the_whole_icd10cm_loads_once_and_is_found_by_code_and_by_words(env: TestEnv) {
        let staff = env.practice().await;
        let started = Instant::now();
        // Two loaders at once (a start and a first search): both succeed, the rows are there once.
        let (a, b) = tokio::join!(env.app.ensure_icd10cm_loaded(), env.app.ensure_icd10cm_loaded());
        let (a, b) = (a.unwrap(), b.unwrap());
        eprintln!("ICD-10-CM load on {:?}: {} ms", env.backend, started.elapsed().as_millis());
        for load in [&a, &b] {
            assert_eq!((load.rows, load.billable), (98_147, 74_714), "{load:?}");
        }
        assert!(a.loaded_now || b.loaded_now, "one of them loaded it");
        let again = env.app.ensure_icd10cm_loaded().await.unwrap();
        assert!(!again.loaded_now);
        let (rows, billable): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), CAST(SUM(billable) AS BIGINT) FROM diagnosis_code").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!((rows, billable), (98_147, 74_714));

        let biller = &staff.biller;
        // By code: the code typed first, then the codes under it; typed without the dot too.
        let found = env.app.search_diagnoses(biller, &search("j02")).await.unwrap();
        let codes: Vec<(&str, MatchKind)> = found.iter().map(|d| (d.code.as_str(), d.match_kind)).collect();
        assert_eq!(
            codes,
            [("J02", MatchKind::Exact), ("J02.0", MatchKind::CodePrefix), ("J02.8", MatchKind::CodePrefix), ("J02.9", MatchKind::CodePrefix)]
        );
        assert!(!found[0].billable && found[1].billable);
        assert_eq!(found[1].claim_code, "J020");
        let billable_only = DiagnosisSearch { billable_only: true, ..search("J02") };
        let found = env.app.search_diagnoses(biller, &billable_only).await.unwrap();
        assert_eq!(found.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["J02.0", "J02.8", "J02.9"]);
        let found = env.app.search_diagnoses(biller, &search("E119")).await.unwrap();
        assert_eq!((found[0].code.as_str(), found[0].match_kind), ("E11.9", MatchKind::Exact));
        assert_eq!(found[0].description, "Type 2 diabetes mellitus without complications");

        // By words: every word must match, in any order and case, accents folded.
        let timed = Instant::now();
        let found = env.app.search_diagnoses(biller, &search("Pharyngitis streptococcal")).await.unwrap();
        eprintln!("ICD-10-CM word search on {:?}: {} ms", env.backend, timed.elapsed().as_millis());
        assert_eq!(found[0].code, "J02.0", "{found:?}");
        assert!(found.iter().all(|d| d.match_kind == MatchKind::Description));
        let found = env.app.search_diagnoses(biller, &search("type 2 diabetes kidney")).await.unwrap();
        let mut codes: Vec<&str> = found.iter().map(|d| d.code.as_str()).collect();
        // The general term first (the shortest description).
        assert_eq!(codes[0], "E11.2", "{codes:?}");
        codes.sort();
        assert_eq!(codes, ["E11.2", "E11.22", "E11.29"]);
        assert!(found.iter().all(|d| {
            let t = d.description.to_lowercase();
            t.contains("diabetes") && t.contains("kidney") && t.contains('2')
        }));
        let found = env.app.search_diagnoses(biller, &search("sezary")).await.unwrap();
        assert!(found.iter().any(|d| d.code == "C84.1" && d.description == "Sézary disease"), "{found:?}");
        // A code prefix and words together: within the prefix only.
        let found = env.app.search_diagnoses(biller, &search("E11 nephropathy")).await.unwrap();
        assert_eq!(found.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E11.21"]);
        assert!(env.app.search_diagnoses(biller, &search("zzzqqq")).await.unwrap().is_empty());
        let limited = DiagnosisSearch { limit: 5, ..search("fracture") };
        assert_eq!(env.app.search_diagnoses(biller, &limited).await.unwrap().len(), 5);
        assert_eq!(invalid_fields(env.app.search_diagnoses(biller, &search(" ,, ")).await), ["q"]);
        assert_eq!(invalid_fields(env.app.search_diagnoses(biller, &DiagnosisSearch { on: "2026-02-30".into(), ..search("J02") }).await), ["on"]);

        // The billable check the claim scrubber uses, by date of service.
        let on = date("2026-06-15");
        assert!(env.app.is_billable_on(biller, "J02.0", on).await.unwrap().is_billable());
        assert!(env.app.is_billable_on(biller, "j020", on).await.unwrap().is_billable());
        let header = env.app.is_billable_on(biller, "J02", on).await.unwrap();
        assert!(matches!(&header, DiagnosisStatus::Header { description } if description == "Acute pharyngitis"));
        assert!(header.problem("J02", on).unwrap().contains("more specific"));
        assert_eq!(env.app.is_billable_on(biller, "Q99.99", on).await.unwrap(), DiagnosisStatus::Unknown);
        assert_eq!(env.app.is_billable_on(biller, "not a code", on).await.unwrap(), DiagnosisStatus::Unknown);
        // FY2026 codes apply from 2025-10-01: an older date of service has no version loaded.
        assert_eq!(env.app.is_billable_on(biller, "J02.0", date("2025-09-30")).await.unwrap(), DiagnosisStatus::NotInEffect);
        assert_eq!(env.app.diagnosis(biller, "j02.9", "").await.unwrap().description, "Acute pharyngitis, unspecified");

        // The bookkeeper does not code visits.
        assert!(matches!(env.app.search_diagnoses(&staff.bookkeeper, &search("J02")).await, Err(AppError::Forbidden)));
    }
}

both_backends! {
    async fn a_cpt_import_adds_then_updates_and_a_bad_file_writes_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        let file = "Code\tShort description\n99213\tOffice visit, established, low\n99214\tOffice visit, established, moderate\n0001F\tHeart failure composite\n";
        let first = env.app.import_procedure_codes(admin, &cpt(file)).await.unwrap();
        assert_eq!((first.added, first.updated, first.header_skipped), (3, 0, true));
        // A re-import (comma separated, no header) rewrites descriptions and adds the new codes.
        let second = env.app.import_procedure_codes(admin, &cpt("99213,\"Office visit, est., low MDM\"\n99215,Office visit, high\n")).await.unwrap();
        assert_eq!((second.added, second.updated, second.header_skipped), (1, 1, false));
        let found = env.app.search_procedures(&staff.biller, &ProcedureSearch { q: "9921".into(), ..Default::default() }).await.unwrap();
        let rows: Vec<(&str, &str)> = found.iter().map(|p| (p.code.as_str(), p.short_description.as_str())).collect();
        assert_eq!(
            rows,
            [("99213", "Office visit, est., low MDM"), ("99214", "Office visit, established, moderate"), ("99215", "Office visit")]
        );
        assert!(found.iter().all(|p| p.code_set == "cpt" && p.source == "import" && p.effective_from.is_none()));
        let exact = env.app.search_procedures(&staff.provider, &ProcedureSearch { q: "99214".into(), ..Default::default() }).await.unwrap();
        assert_eq!(exact[0].match_kind, MatchKind::Exact);
        let words = env.app.search_procedures(&staff.biller, &ProcedureSearch { q: "HEART failure".into(), ..Default::default() }).await.unwrap();
        assert_eq!(words.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["0001F"]);

        // A bad file: every bad line named, and nothing written (not even its good lines).
        let before = env.app.procedure_counts(admin).await.unwrap();
        let bad = "99212\tStraightforward visit\n9921\tToo short\nG0439\tA HCPCS code in the CPT file\n99212\tTwice\n99211\n";
        let err = env.app.import_procedure_codes(admin, &cpt(bad)).await.unwrap_err();
        let AppError::Validation(errors) = err else { panic!("expected a validation error, got {err:?}") };
        let messages: Vec<&str> = errors.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        for (message, line) in messages.iter().zip(["line 2:", "line 3:", "line 4:", "line 5:"]) {
            assert!(message.starts_with(line), "{message}");
        }
        assert_eq!(messages[2], "line 4: 99212 is also on line 1");
        let after = env.app.procedure_counts(admin).await.unwrap();
        assert_eq!((after.cpt, after.hcpcs), (before.cpt, before.hcpcs));
        assert_eq!(after.cpt, 4);
        assert!(env.app.search_procedures(admin, &ProcedureSearch { q: "99212".into(), ..Default::default() }).await.unwrap().is_empty());

        // HCPCS with its own shape; unknown sets and dates refused by field.
        let hcpcs = ProcedureImport { code_set: "hcpcs".into(), text: "g0439,Annual wellness visit, later years\n".into(), effective_from: "2026-01-01".into() };
        assert_eq!(env.app.import_procedure_codes(admin, &hcpcs).await.unwrap().added, 1);
        let found = env.app.search_procedures(admin, &ProcedureSearch { q: "wellness".into(), code_set: "hcpcs".into(), ..Default::default() }).await.unwrap();
        assert_eq!((found[0].code.as_str(), found[0].effective_from.as_deref()), ("G0439", Some("2026-01-01")));
        let before_2026 = ProcedureSearch { q: "G0439".into(), on: "2025-12-31".into(), ..Default::default() };
        assert!(env.app.search_procedures(admin, &before_2026).await.unwrap().is_empty());
        let wrong = ProcedureImport { code_set: "icd".into(), text: "99213,x".into(), effective_from: "soon".into() };
        assert_eq!(invalid_fields(env.app.import_procedure_codes(admin, &wrong).await), ["code_set", "effective_from"]);
        // Only the office manager imports.
        assert!(matches!(env.app.import_procedure_codes(&staff.biller, &cpt("99213,x")).await, Err(AppError::Forbidden)));
    }
}

both_backends! {
    async fn payers_carry_their_claim_details_and_are_validated(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        let added = env.app.add_payer(admin, &paper_payer("Local Union Health Fund")).await.unwrap();
        assert_eq!((added.state.as_deref(), added.postal_code.as_deref()), (Some("NY"), Some("12203")));
        assert!(!added.accepts_electronic_claims && added.active);
        assert_eq!((added.timely_filing_days, added.claim_filing_indicator_label.as_str()), (Some(90), "Commercial insurance"));
        // The coverage form's list (every staff member) has it, and coverages can name it.
        assert!(env.app.list_payers(&staff.front_desk).await.unwrap().iter().any(|p| p.id == added.id));

        // Every fault at once; a paper payer needs its address, an electronic one its payer id.
        let bad = PayerInput {
            name: "local union health FUND".into(),
            claim_filing_indicator: "09".into(),
            phone: "555".into(),
            state: "XX".into(),
            postal_code: "1220".into(),
            timely_filing_days: "0".into(),
            accepts_electronic_claims: false,
            ..Default::default()
        };
        let mut fields = invalid_fields(env.app.add_payer(admin, &bad).await);
        fields.sort();
        assert_eq!(fields, ["address_line1", "city", "claim_filing_indicator", "name", "phone", "postal_code", "state", "timely_filing_days"]);
        let electronic = PayerInput { name: "Acme Health".into(), claim_filing_indicator: "HM".into(), ..Default::default() };
        assert_eq!(invalid_fields(env.app.add_payer(admin, &electronic).await), ["payer_code"]);
        let electronic = PayerInput { payer_code: "acme-01".into(), timely_filing_days: "180".into(), ..electronic };
        let acme = env.app.add_payer(admin, &electronic).await.unwrap();
        assert_eq!((acme.payer_code.as_str(), acme.accepts_electronic_claims), ("ACME-01", true));

        // A change, then deactivation: the payer stays, marked inactive.
        let changed = PayerInput { payer_code: "ACME2".into(), active: false, ..electronic.clone() };
        let updated = env.app.update_payer(admin, &acme.id, &changed).await.unwrap();
        assert_eq!((updated.payer_code.as_str(), updated.active), ("ACME2", false));
        let reread = env.app.payer(&staff.biller, &acme.id).await.unwrap();
        assert_eq!((reread.payer_code.as_str(), reread.active, reread.timely_filing_days), ("ACME2", false, Some(180)));
        // Its own name is not a clash; another payer's is.
        let clash = PayerInput { name: "Local Union Health Fund".into(), ..changed.clone() };
        assert_eq!(invalid_fields(env.app.update_payer(admin, &acme.id, &clash).await), ["name"]);
        assert!(matches!(env.app.update_payer(admin, "no-such-payer", &changed).await, Err(AppError::NotFound(_))));
        // The generated payers gained the new columns' defaults.
        let all = env.app.payers(&staff.biller).await.unwrap();
        assert!(all.iter().filter(|p| p.id != acme.id && p.id != added.id).all(|p| p.active && p.accepts_electronic_claims));
        // Only the office manager changes payers; the audit trail has both changes.
        assert!(matches!(env.app.add_payer(&staff.biller, &paper_payer("Other")).await, Err(AppError::Forbidden)));
        let (audited,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action IN ('payers.add', 'payers.update')")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!(audited, 3);
    }
}

both_backends! {
    async fn fees_give_the_standard_charge_and_each_payers_expected_amount(env: TestEnv) {
        let staff = env.practice().await;
        let admin = &staff.admin;
        env.app.import_procedure_codes(admin, &cpt("99213\tOffice visit, established, low MDM\n93000\tECG with report\n")).await.unwrap();
        let payer = env.payer_id(admin, 0).await;
        let other = env.payer_id(admin, 1).await;

        assert_eq!(env.app.set_standard_fee(admin, &fee("99213", "", "150.00")).await.unwrap().charge_cents, 15_000);
        env.app.set_standard_fee(admin, &fee("99213", "25", "$160")).await.unwrap();
        // Setting again changes it.
        env.app.set_standard_fee(admin, &FeeInput { amount_cents: Some(6_500), ..fee("93000", "", "") }).await.unwrap();
        env.app.set_payer_fee(admin, &payer, &fee("99213", "", "92.50")).await.unwrap();
        let expected = env.app.set_payer_fee(admin, &payer, &fee("93000", "", "17.44")).await.unwrap();
        assert_eq!((expected.allowed_cents, expected.charge_cents), (1_744, Some(6_500)));

        let quote = |code: &str, modifier: &str, payer_id: &str| FeeQuery { code: code.into(), modifier: modifier.into(), payer_id: payer_id.into() };
        let q = env.app.fee_quote(&staff.biller, &quote("99213", "", &payer)).await.unwrap();
        assert_eq!((q.charge_cents, q.expected_cents, q.charge_for_modifier), (Some(15_000), Some(9_250), false));
        assert_eq!(q.description.as_deref(), Some("Office visit, established, low MDM"));
        // The modifier's own fee wins; the payer's amount for the code serves the modifier too.
        let q = env.app.fee_quote(&staff.biller, &quote("99213", "25", &payer)).await.unwrap();
        assert_eq!((q.charge_cents, q.expected_cents, q.charge_for_modifier), (Some(16_000), Some(9_250), true));
        let q = env.app.fee_quote(&staff.biller, &quote("99213", "lt", &payer)).await.unwrap();
        assert_eq!((q.charge_cents, q.modifier.as_str(), q.charge_for_modifier), (Some(15_000), "LT", false));
        // Another payer without a contract rate: the charge, no expected amount.
        let q = env.app.fee_quote(&staff.bookkeeper, &quote("99213", "", &other)).await.unwrap();
        assert_eq!((q.charge_cents, q.expected_cents), (Some(15_000), None));
        let q = env.app.fee_quote(&staff.biller, &quote("93000", "", "")).await.unwrap();
        assert_eq!((q.charge_cents, q.expected_cents), (Some(6_500), None));

        let schedule = env.app.fee_schedule(&staff.biller, Some(&payer)).await.unwrap();
        let lines: Vec<(&str, &str, i64)> = schedule.standard.iter().map(|f| (f.code.as_str(), f.modifier.as_str(), f.charge_cents)).collect();
        assert_eq!(lines, [("93000", "", 6_500), ("99213", "", 15_000), ("99213", "25", 16_000)]);
        assert_eq!(schedule.payer.len(), 2);
        assert_eq!(schedule.standard[0].description.as_deref(), Some("ECG with report"));

        // Refusals by field: unknown code, bad modifier, negative or unreadable amounts, no payer.
        assert_eq!(invalid_fields(env.app.set_standard_fee(admin, &fee("99999", "", "10")).await), ["code"]);
        assert_eq!(invalid_fields(env.app.set_standard_fee(admin, &fee("99213", "2", "ten")).await), ["modifier", "amount"]);
        assert_eq!(invalid_fields(env.app.set_standard_fee(admin, &FeeInput { amount_cents: Some(-1), ..fee("99213", "", "") }).await), ["amount_cents"]);
        assert_eq!(invalid_fields(env.app.set_payer_fee(admin, "no-such-payer", &fee("99213", "", "1")).await), ["payer_id"]);
        assert_eq!(invalid_fields(env.app.fee_quote(&staff.biller, &quote("nope", "", "no-such-payer")).await), ["code", "payer_id"]);

        // Removing the modifier's fee falls back to the code's.
        env.app.remove_standard_fee(admin, "99213", "25").await.unwrap();
        let q = env.app.fee_quote(&staff.biller, &quote("99213", "25", "")).await.unwrap();
        assert_eq!(q.charge_cents, Some(15_000));
        env.app.remove_payer_fee(admin, &payer, "99213", "").await.unwrap();
        assert_eq!(env.app.fee_quote(&staff.biller, &quote("99213", "", &payer)).await.unwrap().expected_cents, None);
        assert!(matches!(env.app.remove_standard_fee(admin, "99213", "25").await, Err(AppError::NotFound(_))));
        // Who may: the office manager sets; the front desk does not even read.
        assert!(matches!(env.app.set_standard_fee(&staff.biller, &fee("99213", "", "1")).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.fee_schedule(&staff.front_desk, None).await, Err(AppError::Forbidden)));
    }
}

both_backends! {
    async fn a_demo_practice_has_procedure_codes_with_our_labels_and_fees(env: TestEnv) {
        env.app.seed_practice("Demo Practice", 0, "demo-password-1").await.unwrap();
        let admin = env.login("admin", "demo-password-1").await;
        let counts = env.app.procedure_counts(&admin).await.unwrap();
        assert!(counts.cpt >= 25 && counts.hcpcs >= 5, "{counts:?}");
        let found = env.app.search_procedures(&admin, &ProcedureSearch { q: "99213".into(), ..Default::default() }).await.unwrap();
        assert_eq!((found[0].short_description.as_str(), found[0].source.as_str()), ("Office visit, established, low MDM", "demo"));
        let medicare = env.app.payers(&admin).await.unwrap().into_iter().find(|p| p.claim_filing_indicator == "MB").unwrap();
        let q = env.app.fee_quote(&admin, &FeeQuery { code: "99213".into(), modifier: String::new(), payer_id: medicare.id }).await.unwrap();
        assert_eq!((q.charge_cents, q.expected_cents), (Some(15_000), Some(8_250)));
    }
}
