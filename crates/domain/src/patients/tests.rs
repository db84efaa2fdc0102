use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
}

fn jane() -> PatientInput {
    PatientInput {
        family_name: "Doe".into(),
        given_name: "Jane".into(),
        birth_date: "1985-03-14".into(),
        sex: "female".into(),
        phone: "(555) 201-3344".into(),
        email: "Jane@Example.COM".into(),
        address: AddressInput {
            line1: "12 Elm St".into(),
            city: "Albany".into(),
            state: "ny".into(),
            postal_code: "12207".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn fields(result: Result<PatientData, ValidationErrors>) -> Vec<String> {
    result.err().map(|e| e.errors.into_iter().map(|f| f.field).collect()).unwrap_or_default()
}

#[test]
fn a_complete_registration_is_valid_and_normalised() {
    let p = jane().validate(today());
    let Ok(p) = p else {
        unreachable!("expected valid: {p:?}");
    };
    assert_eq!(p.phone().map(Phone::digits), Some("5552013344"));
    assert_eq!(p.phone_mobile.as_ref().map(Phone::display), Some("(555) 201-3344".into()));
    assert_eq!(p.email.as_ref().map(Email::as_str), Some("Jane@example.com"));
    assert_eq!(p.address.as_ref().map(|a| a.state.as_str()), Some("NY"));
    assert_eq!(p.display_name(), "Doe, Jane");
    assert_eq!(p.age_on(today()), 41);
}

#[test]
fn missing_names_birth_date_and_sex_are_all_reported_at_once() {
    let input = PatientInput::default();
    assert_eq!(fields(input.validate(today())), vec!["family_name", "given_name", "birth_date", "sex"]);
}

#[test]
fn an_impossible_birth_date_is_rejected() {
    let mut p = jane();
    p.birth_date = "2026-02-30".into();
    let err = p.validate(today()).err().unwrap_or_default();
    assert_eq!(err.for_field("birth_date"), Some("2026-02-30 is not a real date"));
}

#[test]
fn a_future_birth_date_is_rejected() {
    let mut p = jane();
    p.birth_date = "2027-01-01".into();
    assert_eq!(fields(p.validate(today())), vec!["birth_date"]);
}

#[test]
fn a_birth_date_more_than_130_years_ago_is_rejected() {
    let mut p = jane();
    p.birth_date = "1890-01-01".into();
    assert_eq!(fields(p.validate(today())), vec!["birth_date"]);
}

#[test]
fn a_us_style_date_is_accepted() {
    assert_eq!(parse_date("03/14/1985"), NaiveDate::from_ymd_opt(1985, 3, 14).ok_or_else(String::new));
    assert!(parse_date("14.03.1985").is_err());
}

#[test]
fn malformed_phone_numbers_are_rejected() {
    for bad in ["555-1234", "(055) 201-3344", "555 101 3344", "555-201-33445", "call me"] {
        assert!(Phone::parse(bad).is_err(), "{bad} should be rejected");
    }
    assert_eq!(Phone::parse("+1 555 201 3344").map(|p| p.digits().to_string()), Ok("5552013344".into()));
}

#[test]
fn malformed_emails_are_rejected() {
    for bad in ["jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "jane@exa..mple.com"] {
        assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn unknown_state_codes_and_bad_zip_codes_are_rejected() {
    assert!(parse_state("XX").is_err());
    assert_eq!(parse_state("pr"), Ok("PR".into()));
    for bad in ["1234", "123456", "12345-678", "ABCDE", "12345 6789"] {
        assert!(parse_postal_code(bad).is_err(), "{bad} should be rejected");
    }
    assert_eq!(parse_postal_code("122071234"), Ok("12207-1234".into()));
    assert_eq!(parse_postal_code("12207-1234"), Ok("12207-1234".into()));
}

#[test]
fn a_partial_address_names_each_missing_line() {
    let mut p = jane();
    p.address = AddressInput { line1: "12 Elm St".into(), ..Default::default() };
    assert_eq!(fields(p.validate(today())), vec!["address.city", "address.state", "address.postal_code"]);
}

#[test]
fn a_guarantor_needs_a_name_and_a_known_relationship() {
    let mut p = jane();
    p.guarantor = Some(GuarantorInput { family_name: "Doe".into(), relationship: "uncle".into(), ..Default::default() });
    assert_eq!(fields(p.validate(today())), vec!["guarantor.given_name", "guarantor.relationship"]);
    p.guarantor =
        Some(GuarantorInput { family_name: "Doe".into(), given_name: "John".into(), relationship: "parent".into(), ..Default::default() });
    assert!(p.validate(today()).is_ok());
}

#[test]
fn an_all_blank_guarantor_means_the_patient_pays() {
    let mut p = jane();
    p.guarantor = Some(GuarantorInput::default());
    assert_eq!(p.validate(today()).map(|d| d.guarantor), Ok(None));
}

#[test]
fn an_emergency_contact_needs_both_name_and_phone() {
    let mut p = jane();
    p.emergency_contact_name = "John Doe".into();
    assert_eq!(fields(p.validate(today())), vec!["emergency_contact_phone"]);
}

#[test]
fn preferring_email_without_an_address_is_rejected() {
    let mut p = jane();
    p.email = String::new();
    p.preferred_contact = "email".into();
    assert_eq!(fields(p.validate(today())), vec!["email"]);
}

#[test]
fn names_with_digits_or_symbols_are_rejected_but_accents_and_hyphens_are_not() {
    assert!(parse_name_part("J0hn").is_err());
    assert!(parse_name_part("<b>").is_err());
    assert_eq!(parse_name_part(" María-José  O'Neil "), Ok("María-José O'Neil".into()));
}

#[test]
fn mrns_carry_a_check_digit_that_catches_typos() {
    let mrn = mrn_from_sequence(42);
    assert_eq!(mrn.len(), 8);
    assert!(is_valid_mrn(&mrn));
    let mut typo = mrn.clone().into_bytes();
    typo[6] = if typo[6] == b'9' { b'8' } else { typo[6] + 1 };
    assert!(!is_valid_mrn(&String::from_utf8(typo).unwrap_or_default()));
}

fn coverage() -> CoverageInput {
    CoverageInput {
        payer_id: "payer-1".into(),
        member_id: "xzb 99812".into(),
        priority: "1".into(),
        relationship_to_subscriber: "self".into(),
        copay: "25".into(),
        start_date: "2026-01-01".into(),
        ..Default::default()
    }
}

#[test]
fn a_self_insured_coverage_is_valid() {
    let c = coverage().validate(today());
    assert_eq!(c.as_ref().map(|c| c.member_id.as_str()), Ok("XZB99812"));
    assert_eq!(c.as_ref().map(|c| c.copay.cents()), Ok(2500));
    assert_eq!(c.map(|c| c.subscriber), Ok(None));
}

#[test]
fn coverage_dates_out_of_order_are_rejected() {
    let mut c = coverage();
    c.end_date = "2025-12-31".into();
    let err = c.validate(today()).err().unwrap_or_default();
    assert_eq!(err.for_field("end_date"), Some("the end date is before the start date"));
}

#[test]
fn a_non_self_subscriber_must_be_described() {
    let mut c = coverage();
    c.relationship_to_subscriber = "child".into();
    let err = c.validate(today()).err().unwrap_or_default();
    let names: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, vec!["subscriber_family_name", "subscriber_given_name", "subscriber_birth_date", "subscriber_sex"]);
}

#[test]
fn a_negative_copay_or_bad_priority_is_rejected() {
    let mut c = coverage();
    c.copay_cents = Some(-100);
    c.priority = "4".into();
    let err = c.validate(today()).err().unwrap_or_default();
    assert!(err.for_field("copay_cents").is_some());
    assert!(err.for_field("priority").is_some());
}

#[test]
fn two_primaries_at_once_are_refused_but_consecutive_ones_are_fine() {
    let new = coverage().validate(today()).unwrap_or_else(|e| unreachable!("{e}"));
    let d = |s: &str| parse_date(s).unwrap_or_default();
    let open_ended =
        CoveragePeriod { id: "c1".into(), payer_name: "Aetna".into(), priority: 1, start_date: d("2025-01-01"), end_date: None };
    let err = check_priority_overlap(&new, std::slice::from_ref(&open_ended)).err().unwrap_or_default();
    assert!(err.for_field("priority").unwrap_or_default().contains("Aetna"));
    let ended = CoveragePeriod { end_date: Some(d("2025-12-31")), ..open_ended.clone() };
    assert!(check_priority_overlap(&new, &[ended]).is_ok());
    let secondary = CoveragePeriod { priority: 2, ..open_ended };
    assert!(check_priority_overlap(&new, &[secondary]).is_ok());
}

#[test]
fn duplicates_are_recognised_by_name_and_birth_date_or_phone() {
    let new = jane().validate(today()).unwrap_or_else(|e| unreachable!("{e}"));
    let dob = new.birth_date;
    let probe = |f: &'static str, g: &'static str, phones: Vec<&'static str>| DuplicateProbe {
        family_name: f,
        given_name: g,
        birth_date: dob,
        phones,
    };
    assert_eq!(likely_duplicate(&new, &probe("DOE", "jane", vec![])), Some(DuplicateReason::SameNameAndBirthDate));
    assert_eq!(likely_duplicate(&new, &probe("Dow", "Jane", vec![])), Some(DuplicateReason::SimilarNameAndBirthDate));
    assert_eq!(likely_duplicate(&new, &probe("Smith", "Jane", vec!["5552013344"])), Some(DuplicateReason::SameBirthDateAndPhone));
    assert_eq!(likely_duplicate(&new, &probe("Smith", "Peter", vec![])), None);
    let other_day = DuplicateProbe { birth_date: dob.succ_opt().unwrap_or(dob), ..probe("Doe", "Jane", vec![]) };
    assert_eq!(likely_duplicate(&new, &other_day), None);
    let other_day_same_phone = DuplicateProbe { birth_date: dob.succ_opt().unwrap_or(dob), ..probe("Doe", "Jane", vec!["5552013344"]) };
    assert_eq!(likely_duplicate(&new, &other_day_same_phone), Some(DuplicateReason::SameNameAndPhone));
}

#[test]
fn control_characters_in_any_field_are_refused() {
    let mut p = jane();
    p.address.line1 = "12 Elm\u{0} St".into();
    p.language = "Eng\u{1b}lish".into();
    assert_eq!(fields(p.validate(today())), vec!["language", "address.line1"]);
    let mut c = coverage();
    c.plan_name = "Gold\nPlan".into();
    let err = c.validate(today()).err().unwrap_or_default();
    assert!(err.for_field("plan_name").is_some());
}

#[test]
fn nested_phones_and_emergency_contact_as_the_api_answers_them_are_accepted() {
    let mut p = jane();
    p.phones = Some(PhonesInput { mobile: Some("(555) 201-3344".into()), home: Some("(555) 201-9999".into()), work: None });
    p.emergency_contact = Some(EmergencyContactInput {
        name: Some("John Doe".into()),
        relationship: Some("spouse".into()),
        phone: Some("(555) 201-1111".into()),
    });
    let d = p.validate(today()).unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(d.phone_home.as_ref().map(Phone::digits), Some("5552019999"));
    assert_eq!(d.phone_mobile.as_ref().map(Phone::digits), Some("5552013344"));
    assert_eq!(d.emergency_contact.map(|c| c.name), Some("John Doe".to_string()));
}
