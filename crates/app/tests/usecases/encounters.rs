//! Encounters and charges through the use cases: coding a visit (every rule of the superbill
//! named on its field), posting charges with their AR entry in one transaction, a failure that
//! writes nothing, and who may code and post. The practice's today is 2026-06-15.

use crate::harness::{Staff, TestEnv, both_backends, coverage, invalid_fields, patient};
use medoffice_app::AppError;
use medoffice_app::claims::BillingSettingsInput;
use medoffice_app::code_sets::ProcedureImport;
use medoffice_app::encounters::{EncounterInput, LineInput};
use medoffice_app::fees::FeeInput;
use medoffice_domain::coding::search_text;
use medoffice_domain::patients::AddressInput;
use medoffice_store::code_sets::{NewDiagnosis, insert_diagnoses};

/// A few ICD-10-CM FY2026 codes (the whole set is loaded by the code-set tests; these tests need
/// only these): billable ones and a category header.
const DIAGNOSES: [(&str, bool, &str); 8] = [
    ("J06.9", true, "Acute upper respiratory infection, unspecified"),
    ("R05.9", true, "Cough, unspecified"),
    ("E11.9", true, "Type 2 diabetes mellitus without complications"),
    ("I10", true, "Essential (primary) hypertension"),
    ("M54.50", true, "Low back pain, unspecified"),
    ("Z00.00", true, "Encounter for general adult medical examination without abnormal findings"),
    ("J02", false, "Acute pharyngitis"),
    ("J02.9", true, "Acute pharyngitis, unspecified"),
];

/// What a billing test needs: staff, a provider, a payer, an insured patient (self subscriber).
pub struct Billing {
    pub staff: Staff,
    pub provider_id: String,
    pub payer_id: String,
    pub patient_id: String,
}

pub fn address() -> AddressInput {
    AddressInput {
        line1: "12 Main St".into(),
        line2: String::new(),
        city: "Springfield".into(),
        state: "IL".into(),
        postal_code: "62701".into(),
    }
}

/// Sets up codes, fees, the practice's billing details and a patient insured as subscriber with
/// the first payer (Aetna) from 2026-01-01.
pub async fn billing_setup(env: &TestEnv) -> Billing {
    let staff = env.practice().await;
    let mut conn = env.store.pool().acquire().await.unwrap();
    let rows: Vec<NewDiagnosis> = DIAGNOSES
        .iter()
        .map(|(code, billable, d)| NewDiagnosis { code, billable: *billable, description: d, search_text: search_text(d) })
        .collect();
    insert_diagnoses(&mut conn, "icd10cm", "2026", "2025-10-01", &rows).await.unwrap();
    drop(conn);
    let import = ProcedureImport {
        code_set: "cpt".into(),
        text: "99213,Office visit est 20-29 min\n99214,Office visit est 30-39 min\n93000,Electrocardiogram\n20610,Joint injection large\n36415,Venipuncture\n".into(),
        effective_from: String::new(),
    };
    env.app.import_procedure_codes(&staff.admin, &import).await.unwrap();
    let hcpcs =
        ProcedureImport { code_set: "hcpcs".into(), text: "J1030,Methylprednisolone 40 mg\n".into(), effective_from: String::new() };
    env.app.import_procedure_codes(&staff.admin, &hcpcs).await.unwrap();
    for (code, amount) in [("99213", "150.00"), ("99214", "200.00"), ("93000", "60.00"), ("36415", "12.00")] {
        env.app
            .set_standard_fee(
                &staff.admin,
                &FeeInput { code: code.into(), modifier: String::new(), amount: amount.into(), amount_cents: None },
            )
            .await
            .unwrap();
    }
    env.app
        .set_billing_settings(
            &staff.admin,
            &BillingSettingsInput {
                billing_npi: "1234567893".into(),
                tax_id: "12-3456789".into(),
                taxonomy_code: "207Q00000X".into(),
                address_line1: "100 Clinic Way".into(),
                city: "Springfield".into(),
                state: "il".into(),
                postal_code: "62701-1234".into(),
                phone: "(217) 555-0100".into(),
                submitter_id: "SUB123".into(),
                claims_usage: "test".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let provider_id = env.app.list_providers(&staff.admin).await.unwrap()[0].id.clone();
    let payer_id = env.payer_id(&staff.admin, 0).await;
    let mut input = patient("Doe", "Jane", "1980-04-02");
    input.address = address();
    let p = env.app.register_patient(&staff.front_desk, &input, true).await.unwrap();
    let mut c = coverage(&payer_id, "MEMBER001", "1", "2026-01-01");
    c.group_number = "GRP-100".into();
    env.app.add_coverage(&staff.front_desk, &p.id, &c, None, None).await.unwrap();
    Billing { staff, provider_id, payer_id, patient_id: p.id }
}

pub fn line(code: &str, modifiers: &str, pointers: &str) -> LineInput {
    LineInput { procedure_code: code.into(), modifiers: modifiers.into(), pointers: pointers.into(), ..Default::default() }
}

/// A visit on 2026-06-10 with two diagnoses and an office visit plus an ECG.
pub fn visit(b: &Billing, patient_id: &str) -> EncounterInput {
    EncounterInput {
        patient_id: patient_id.into(),
        rendering_provider_id: b.provider_id.clone(),
        service_date: "2026-06-10".into(),
        diagnoses: vec!["j069".into(), "R05.9".into()],
        lines: vec![line("99213", "25", "1,2"), line("93000", "", "2")],
        ..Default::default()
    }
}

async fn journal_rows(env: &TestEnv, key: &str) -> Vec<(String, i64, i64, Option<String>, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT a.number, l.debit_cents, l.credit_cents, l.patient_id, l.payer_id, l.claim_id FROM journal_line l \
         JOIN journal_entry e ON e.practice_id = l.practice_id AND e.id = l.entry_id \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE e.idempotency_key = $1 ORDER BY l.line_number",
    )
    .bind(key)
    .fetch_all(env.store.pool())
    .await
    .unwrap()
}

async fn count(env: &TestEnv, table: &str) -> i64 {
    assert!(["claim", "encounter", "journal_entry", "claim_status_event"].contains(&table));
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(env.store.pool()).await.unwrap();
    n
}

both_backends! {
    async fn a_coded_visit_keeps_its_diagnoses_in_order_and_charges_from_the_fee_schedule(env: TestEnv) {
        let b = billing_setup(&env).await;
        let biller = &b.staff.biller;
        let e = env.app.open_encounter(&b.staff.provider, &visit(&b, &b.patient_id)).await.unwrap();
        assert_eq!(e.status, "open");
        assert_eq!(e.diagnoses.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["J06.9", "R05.9"]);
        assert_eq!(e.diagnoses[0].description, "Acute upper respiratory infection, unspecified");
        assert_eq!(e.lines.len(), 2);
        assert_eq!((e.lines[0].charge_cents, e.lines[0].modifiers.clone(), e.lines[0].pointers.clone()), (15000, vec!["25".to_string()], vec![1, 2]));
        assert_eq!((e.lines[1].charge_cents, e.lines[1].pointers.clone()), (6000, vec![2]));
        assert_eq!(e.total_cents, 21000);
        assert_eq!(e.billing_provider_id, b.provider_id);
        assert_eq!(e.place_of_service, "11");

        // Saved again: a typed charge and units replace the fee.
        let mut input = e.to_input();
        input.lines[1].units = "2".into();
        input.lines[1].charge = "100.00".into();
        input.lines.push(line("36415", "", "1"));
        input.lines[2].units = "3".into();
        let e = env.app.update_encounter(biller, &e.id, &input).await.unwrap();
        assert_eq!(e.lines.iter().map(|l| l.charge_cents).collect::<Vec<_>>(), [15000, 10000, 3600]);

        // The patient's recent diagnoses are offered first.
        let offers = env.app.recent_diagnoses(biller, &b.patient_id).await.unwrap();
        let mut codes: Vec<&str> = offers.iter().map(|o| o.code.as_str()).collect();
        codes.sort();
        assert_eq!(codes, ["J06.9", "R05.9"]);
    }
}

both_backends! {
    async fn the_superbill_names_every_field_at_fault(env: TestEnv) {
        let b = billing_setup(&env).await;
        let mut input = visit(&b, &b.patient_id);
        input.diagnoses = vec!["J02".into(), "XYZ".into(), "J06.9".into(), "j06.9".into()];
        input.lines = vec![
            LineInput { procedure_code: "99999".into(), ..line("99999", "", "1") },
            line("20610", "RT 59 XS 76 LT", "5"),
            LineInput { units: "0".into(), ..line("99213", "", "1 1") },
        ];
        let fields = invalid_fields(env.app.open_encounter(&b.staff.biller, &input).await);
        assert_eq!(
            fields,
            [
                "diagnoses[0]", // a category header, not billable
                "diagnoses[1]", // not a code
                "diagnoses[3]", // twice
                "lines[0].procedure_code", // not one of the practice's codes
                "lines[1].modifiers", // five modifiers
                "lines[1].charge", // no standard fee for 20610
                "lines[1].pointers", // diagnosis 5 of 4
                "lines[2].units",
                "lines[2].pointers", // 1 twice
            ]
        );
        // A future date, no diagnosis, no line, an unknown provider.
        let input = EncounterInput {
            patient_id: b.patient_id.clone(),
            rendering_provider_id: "nobody".into(),
            service_date: "2026-06-16".into(),
            ..Default::default()
        };
        assert_eq!(invalid_fields(env.app.open_encounter(&b.staff.biller, &input).await), ["service_date", "rendering_provider_id", "billing_provider_id", "diagnoses", "lines"]);
        // Thirteen diagnoses.
        let mut input = visit(&b, &b.patient_id);
        input.diagnoses = (0..13).map(|_| "J06.9".to_string()).collect();
        assert!(invalid_fields(env.app.open_encounter(&b.staff.biller, &input).await).contains(&"diagnoses".to_string()));
    }
}

both_backends! {
    async fn posting_charges_writes_the_ar_entry_and_a_draft_claim_in_one_transaction(env: TestEnv) {
        let b = billing_setup(&env).await;
        let e = env.app.open_encounter(&b.staff.provider, &visit(&b, &b.patient_id)).await.unwrap();
        // The provider codes but does not post; the front desk does neither.
        assert!(matches!(env.app.post_charges(&b.staff.provider, &e.id).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.post_charges(&b.staff.front_desk, &e.id).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.open_encounter(&b.staff.front_desk, &visit(&b, &b.patient_id)).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.open_encounter(&b.staff.bookkeeper, &visit(&b, &b.patient_id)).await, Err(AppError::Forbidden)));

        let posted = env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
        assert!(!posted.already_posted);
        assert_eq!(posted.total_cents, 21000);
        let claim_id = posted.claim_id.clone().expect("an insured visit has a claim");
        let lines = journal_rows(&env, &format!("charges:{}", e.id)).await;
        assert_eq!(
            lines,
            [
                ("1100".to_string(), 21000, 0, Some(b.patient_id.clone()), Some(b.payer_id.clone()), Some(claim_id.clone())),
                ("4000".to_string(), 0, 21000, Some(b.patient_id.clone()), None, None),
            ]
        );
        let claim = env.app.claim(&b.staff.biller, &claim_id).await.unwrap();
        assert_eq!(claim.claim.status, medoffice_app::claims::ClaimStatus::Draft);
        assert_eq!(claim.claim.total_cents, 21000);
        assert_eq!(claim.history.len(), 1);
        assert!(claim.problems.is_empty(), "{:?}", claim.problems);

        // Posted once: again returns the same, and the encounter no longer changes.
        let again = env.app.post_charges(&b.staff.biller, &e.id).await.unwrap();
        assert!(again.already_posted);
        assert_eq!(again.journal_entry_id, posted.journal_entry_id);
        assert_eq!(count(&env, "claim").await, 1);
        assert!(matches!(env.app.update_encounter(&b.staff.biller, &e.id, &visit(&b, &b.patient_id)).await, Err(AppError::Conflict(_))));

        // Self-pay: AR - Patients, no claim.
        let mut uninsured = patient("Roe", "Rita", "1975-01-01");
        uninsured.address = address();
        let p = env.app.register_patient(&b.staff.front_desk, &uninsured, true).await.unwrap();
        let e2 = env.app.open_encounter(&b.staff.biller, &visit(&b, &p.id)).await.unwrap();
        let posted = env.app.post_charges(&b.staff.admin, &e2.id).await.unwrap();
        assert!(posted.claim_id.is_none());
        let lines = journal_rows(&env, &format!("charges:{}", e2.id)).await;
        assert_eq!(lines[0], ("1110".to_string(), 21000, 0, Some(p.id.clone()), None, None));
        assert_eq!(count(&env, "claim").await, 1);
    }
}

both_backends! {
    async fn a_posting_that_fails_writes_nothing(env: TestEnv) {
        let b = billing_setup(&env).await;
        let mut input = visit(&b, &b.patient_id);
        input.service_date = "2026-05-20".into();
        let e = env.app.open_encounter(&b.staff.biller, &input).await.unwrap();
        // May is closed in the books: the entry is refused, so neither claim nor status change stays.
        env.app.close_period(&b.staff.bookkeeper, "2026-05").await.unwrap();
        let (claims, entries, events) = (count(&env, "claim").await, count(&env, "journal_entry").await, count(&env, "claim_status_event").await);
        let fields = invalid_fields(env.app.post_charges(&b.staff.biller, &e.id).await);
        assert_eq!(fields, ["date"]);
        assert_eq!(count(&env, "claim").await, claims);
        assert_eq!(count(&env, "journal_entry").await, entries);
        assert_eq!(count(&env, "claim_status_event").await, events);
        let still = env.app.encounter(&b.staff.biller, &e.id).await.unwrap();
        assert_eq!((still.status.as_str(), still.claim_id.as_deref(), still.journal_entry_id.as_deref()), ("open", None, None));
        let (claim_counter,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM counter WHERE name = 'claim'").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(claim_counter, 0, "the claim number taken inside the failed transaction is rolled back too");
    }
}

both_backends! {
    async fn an_encounter_opens_from_a_checked_in_appointment_once(env: TestEnv) {
        let b = billing_setup(&env).await;
        let booking = medoffice_app::scheduling::NewAppointment {
            patient_id: b.patient_id.clone(),
            provider_id: b.provider_id.clone(),
            start: "2026-06-15T14:00".into(),
            ..Default::default()
        };
        let appointment = env.app.book_appointment(&b.staff.front_desk, &booking).await.unwrap().id;
        let prefilled = env.app.encounter_input_for_appointment(&b.staff.provider, &appointment).await.unwrap();
        assert_eq!((prefilled.patient_id.as_str(), prefilled.rendering_provider_id.as_str(), prefilled.service_date.as_str()), (b.patient_id.as_str(), b.provider_id.as_str(), "2026-06-15"));
        let mut input = EncounterInput { diagnoses: vec!["I10".into()], lines: vec![line("99214", "", "")], ..prefilled.clone() };
        // Not checked in yet.
        assert_eq!(invalid_fields(env.app.open_encounter(&b.staff.provider, &input).await), ["appointment_id"]);
        let check_in = medoffice_app::front_desk::CheckInInput { demographics_confirmed: true, insurance_confirmed: true, ..Default::default() };
        env.app.check_in(&b.staff.front_desk, &appointment, &check_in).await.unwrap();
        let e = env.app.open_encounter(&b.staff.provider, &input).await.unwrap();
        assert_eq!((e.appointment_id.as_deref(), e.service_date.as_str(), e.total_cents), (Some(appointment.as_str()), "2026-06-15", 20000));
        assert_eq!(env.app.encounter_of_appointment(&b.staff.biller, &appointment).await.unwrap(), Some(e.id.clone()));
        // One encounter per appointment.
        input.diagnoses = vec!["E11.9".into()];
        assert_eq!(invalid_fields(env.app.open_encounter(&b.staff.provider, &input).await), ["appointment_id"]);
        // Another patient's appointment is refused.
        let mut other = patient("Roe", "Rita", "1975-01-01");
        other.address = address();
        let other = env.app.register_patient(&b.staff.front_desk, &other, true).await.unwrap();
        let wrong = EncounterInput { patient_id: other.id, ..input };
        assert!(invalid_fields(env.app.open_encounter(&b.staff.provider, &wrong).await).contains(&"appointment_id".to_string()));
    }
}
