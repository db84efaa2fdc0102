//! Medical files (issue 8): the practice's documents of every kind, by category and class, who may
//! handle each class, what an upload may be, and how long each category is kept.
//!
//! A category belongs to one class, and the class decides access: patient records to the clinical
//! and front-desk roles, accounting records to billing and the books, contracts and business
//! documents to the office manager and the bookkeeper (see [`DocumentClass::action`]). Each
//! category has a default [`RetentionRule`] the office manager may change; [`destroy_on`] says
//! the first day a document may be destroyed.

use crate::security::Action;
use chrono::{Datelike, Months, NaiveDate};

/// The class of a category: decides who may see and file it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentClass {
    PatientRecord,
    Accounting,
    Contract,
    Business,
}

impl DocumentClass {
    pub const ALL: [DocumentClass; 4] =
        [DocumentClass::PatientRecord, DocumentClass::Accounting, DocumentClass::Contract, DocumentClass::Business];

    /// The action a role needs to upload, read, search or release documents of this class.
    pub fn action(self) -> Action {
        match self {
            DocumentClass::PatientRecord => Action::HandlePatientDocuments,
            DocumentClass::Accounting => Action::HandleAccountingDocuments,
            DocumentClass::Contract | DocumentClass::Business => Action::HandleBusinessDocuments,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentClass::PatientRecord => "patient_record",
            DocumentClass::Accounting => "accounting",
            DocumentClass::Contract => "contract",
            DocumentClass::Business => "business",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentClass::PatientRecord => "Patient records",
            DocumentClass::Accounting => "Accounting records",
            DocumentClass::Contract => "Contracts",
            DocumentClass::Business => "Business documents",
        }
    }
}

/// What a category's retention is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionBasis {
    /// Years after the patient's last visit (and, for a minor, until the age of majority plus
    /// years, whichever is later).
    LastVisit,
    /// Years after the date the document bears.
    DocumentDate,
    /// Kept for as long as the practice exists.
    Permanent,
}

impl RetentionBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionBasis::LastVisit => "last_visit",
            RetentionBasis::DocumentDate => "document_date",
            RetentionBasis::Permanent => "permanent",
        }
    }

    pub fn parse(text: &str) -> Result<RetentionBasis, String> {
        match text.trim() {
            "last_visit" => Ok(RetentionBasis::LastVisit),
            "document_date" => Ok(RetentionBasis::DocumentDate),
            "permanent" => Ok(RetentionBasis::Permanent),
            other => Err(format!("unknown retention basis '{other}': use last_visit, document_date or permanent")),
        }
    }
}

/// How long a category's documents are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionRule {
    pub basis: RetentionBasis,
    /// Years after the last visit or the document's date.
    pub years: u32,
    /// With [`RetentionBasis::LastVisit`]: a minor's records are kept until this age ...
    pub majority_age: u32,
    /// ... plus these years.
    pub years_after_majority: u32,
}

/// The longest retention a rule may set, in years.
pub const MAX_RETENTION_YEARS: u32 = 100;

impl RetentionRule {
    pub const fn last_visit(years: u32, majority_age: u32, years_after_majority: u32) -> RetentionRule {
        RetentionRule { basis: RetentionBasis::LastVisit, years, majority_age, years_after_majority }
    }

    pub const fn document_date(years: u32) -> RetentionRule {
        RetentionRule { basis: RetentionBasis::DocumentDate, years, majority_age: 0, years_after_majority: 0 }
    }

    pub const PERMANENT: RetentionRule =
        RetentionRule { basis: RetentionBasis::Permanent, years: 0, majority_age: 0, years_after_majority: 0 };

    /// Checks a rule an office manager typed; each field at fault is named.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if self.basis != RetentionBasis::Permanent && !(1..=MAX_RETENTION_YEARS).contains(&self.years) {
            errors.push(("years", format!("keep documents between 1 and {MAX_RETENTION_YEARS} years")));
        }
        if self.basis == RetentionBasis::LastVisit {
            if !(18..=26).contains(&self.majority_age) {
                errors.push(("majority_age", "the age of majority for retention is between 18 and 26".to_string()));
            }
            if self.years_after_majority > MAX_RETENTION_YEARS {
                errors.push(("years_after_majority", format!("at most {MAX_RETENTION_YEARS} years")));
            }
        }
        errors
    }

    /// The rule in words, as the retention page and a destruction record show it.
    pub fn describe(&self) -> String {
        match self.basis {
            RetentionBasis::LastVisit => format!(
                "{} years after the last visit; minors until age {} + {} years",
                self.years, self.majority_age, self.years_after_majority
            ),
            RetentionBasis::DocumentDate => format!("{} years after the document's date", self.years),
            RetentionBasis::Permanent => "kept permanently".to_string(),
        }
    }
}

/// A category of document: a stable key (stored, used by the API), a label and its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub key: &'static str,
    pub label: &'static str,
    pub class: DocumentClass,
    pub default_retention: RetentionRule,
}

/// Adult records 7 years after the last visit, minors until 21 + 7 (the common state rule).
const PATIENT_RECORDS: RetentionRule = RetentionRule::last_visit(7, 21, 7);
/// Tax and accounting records: 7 years.
const ACCOUNTING_RECORDS: RetentionRule = RetentionRule::document_date(7);
/// Contracts: 10 years from their date (past any claim under them).
const CONTRACTS: RetentionRule = RetentionRule::document_date(10);

/// Every category, in the order the upload form lists them.
pub const CATEGORIES: [Category; 17] = [
    Category { key: "referral", label: "Referral", class: DocumentClass::PatientRecord, default_retention: PATIENT_RECORDS },
    Category { key: "outside_records", label: "Outside records", class: DocumentClass::PatientRecord, default_retention: PATIENT_RECORDS },
    Category { key: "consent_form", label: "Consent form", class: DocumentClass::PatientRecord, default_retention: PATIENT_RECORDS },
    Category { key: "insurance_card", label: "Insurance card", class: DocumentClass::PatientRecord, default_retention: PATIENT_RECORDS },
    Category { key: "lab_result", label: "Lab or imaging result", class: DocumentClass::PatientRecord, default_retention: PATIENT_RECORDS },
    Category {
        key: "patient_other",
        label: "Other patient record",
        class: DocumentClass::PatientRecord,
        default_retention: PATIENT_RECORDS,
    },
    Category { key: "eob", label: "EOB", class: DocumentClass::Accounting, default_retention: ACCOUNTING_RECORDS },
    Category { key: "deposit_slip", label: "Deposit slip", class: DocumentClass::Accounting, default_retention: ACCOUNTING_RECORDS },
    Category { key: "bank_statement", label: "Bank statement", class: DocumentClass::Accounting, default_retention: ACCOUNTING_RECORDS },
    Category {
        key: "accounting_other",
        label: "Other accounting record",
        class: DocumentClass::Accounting,
        default_retention: ACCOUNTING_RECORDS,
    },
    Category { key: "payer_contract", label: "Payer contract", class: DocumentClass::Contract, default_retention: CONTRACTS },
    Category { key: "lease", label: "Lease", class: DocumentClass::Contract, default_retention: CONTRACTS },
    Category { key: "vendor_agreement", label: "Vendor agreement", class: DocumentClass::Contract, default_retention: CONTRACTS },
    Category { key: "licence", label: "Licence", class: DocumentClass::Business, default_retention: RetentionRule::PERMANENT },
    Category { key: "policy", label: "Policy", class: DocumentClass::Business, default_retention: RetentionRule::PERMANENT },
    Category { key: "insurance_policy", label: "Practice insurance policy", class: DocumentClass::Business, default_retention: CONTRACTS },
    Category {
        key: "business_other",
        label: "Other business document",
        class: DocumentClass::Business,
        default_retention: ACCOUNTING_RECORDS,
    },
];

/// The category with this key.
pub fn category(key: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.key == key)
}

/// The category a user chose, or a message naming the choices.
pub fn parse_category(text: &str) -> Result<&'static Category, String> {
    let key = text.trim();
    if key.is_empty() {
        return Err("choose a category".to_string());
    }
    category(key).ok_or_else(|| {
        let keys: Vec<&str> = CATEGORIES.iter().map(|c| c.key).collect();
        format!("unknown category '{key}': use one of {}", keys.join(", "))
    })
}

/// The categories of the classes a role may handle.
pub fn categories_for(may: impl Fn(Action) -> bool) -> Vec<&'static Category> {
    CATEGORIES.iter().filter(|c| may(c.class.action())).collect()
}

/// What a patient's retention is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientDates {
    pub birth_date: NaiveDate,
    /// The last visit; `None` when the patient never came (the document's date stands in).
    pub last_visit: Option<NaiveDate>,
}

fn plus_years(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    // 29 February plus whole years lands on 28 February in a common year (Months does this).
    date.checked_add_months(Months::new(years.checked_mul(12)?))
}

/// The first day a document may be destroyed under `rule`, or `None` when it is kept for ever.
/// Patient records count from the later of the last visit (or the document's date when there
/// was no visit, or the document is newer than the last visit) plus `years`, and the patient's
/// birthday at `majority_age` plus `years_after_majority`; other bases from the document's date.
pub fn destroy_on(rule: &RetentionRule, document_date: NaiveDate, patient: Option<PatientDates>) -> Option<NaiveDate> {
    match rule.basis {
        RetentionBasis::Permanent => None,
        RetentionBasis::DocumentDate => plus_years(document_date, rule.years),
        RetentionBasis::LastVisit => {
            let Some(p) = patient else {
                return plus_years(document_date, rule.years);
            };
            let last = p.last_visit.map_or(document_date, |v| v.max(document_date));
            let after_visit = plus_years(last, rule.years)?;
            let after_majority = plus_years(p.birth_date, rule.majority_age.checked_add(rule.years_after_majority)?)?;
            Some(after_visit.max(after_majority))
        }
    }
}

/// Whether a patient was a minor (under `majority_age`) on `date`.
pub fn minor_on(birth_date: NaiveDate, majority_age: u32, date: NaiveDate) -> bool {
    let mut age = date.year() - birth_date.year();
    if (date.month(), date.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age < i32::try_from(majority_age).unwrap_or(i32::MAX)
}

/// The largest file one upload may be.
pub const MAX_DOCUMENT_BYTES: usize = 25 * 1024 * 1024;
/// The most files (scanned pages) one upload may combine.
pub const MAX_PAGES_PER_UPLOAD: usize = 100;
/// The longest title and description.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;

/// The content types a document may have, known by their first bytes (never by the file's name
/// or the type the browser claimed).
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// Checks one uploaded file: not empty, not too large, a PDF or an image by its bytes. Returns
/// the content type.
pub fn check_upload(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("the file is empty".to_string());
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the file is {:.1} MB; the largest allowed is {} MB",
            bytes.len() as f64 / 1_048_576.0,
            MAX_DOCUMENT_BYTES / 1_048_576
        ));
    }
    sniff_content_type(bytes).ok_or_else(|| "only PDF files and JPEG or PNG images can be filed (this file is none of them)".to_string())
}

/// A file name fit to show and to offer on download: the last path part, printable characters
/// only, at most 120 of them. It is never used as a path on disk.
pub fn display_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control() && *c != '"').take(120).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() || clean == "." || clean == ".." { "document".to_string() } else { clean }
}

/// The text a document is searched by: lower case, whitespace collapsed.
pub fn search_text(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for word in part.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    out
}

/// The words of a search, lower case, each at least two characters; at most eight. A document
/// matches when its search text holds every word.
pub fn search_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .map(|w| w.trim_matches(['-', '\'']).to_lowercase())
        .filter(|w| w.chars().count() >= 2)
        .take(8)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::security::Role;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn adult_records_are_kept_seven_years_after_the_last_visit() {
        let rule = category("referral").unwrap().default_retention;
        let adult = PatientDates { birth_date: d("1970-03-04"), last_visit: Some(d("2019-06-10")) };
        assert_eq!(destroy_on(&rule, d("2015-01-20"), Some(adult)), Some(d("2026-06-10")));
        // A document newer than the last visit counts from its own date.
        assert_eq!(destroy_on(&rule, d("2020-02-01"), Some(adult)), Some(d("2027-02-01")));
        // No visit at all: from the document's date.
        let never = PatientDates { birth_date: d("1970-03-04"), last_visit: None };
        assert_eq!(destroy_on(&rule, d("2018-05-05"), Some(never)), Some(d("2025-05-05")));
    }

    #[test]
    fn a_minors_records_are_kept_until_twenty_one_plus_seven() {
        let rule = category("outside_records").unwrap().default_retention;
        // Born 2010-09-15, last seen at 12: kept until 2010 + 21 + 7 = 2038-09-15.
        let child = PatientDates { birth_date: d("2010-09-15"), last_visit: Some(d("2022-11-01")) };
        assert_eq!(destroy_on(&rule, d("2022-11-01"), Some(child)), Some(d("2038-09-15")));
        assert!(minor_on(d("2010-09-15"), 21, d("2022-11-01")));
        // Seen last at 25: the last visit's seven years are later than 21 + 7.
        let grown = PatientDates { birth_date: d("2000-01-10"), last_visit: Some(d("2025-03-01")) };
        assert_eq!(destroy_on(&rule, d("2012-04-04"), Some(grown)), Some(d("2032-03-01")));
        // Turned 21 the day before the visit: adult; turning 21 the day after: still a minor.
        assert!(!minor_on(d("2000-03-01"), 21, d("2021-03-01")));
        assert!(minor_on(d("2000-03-02"), 21, d("2021-03-01")));
    }

    #[test]
    fn an_edited_rule_and_leap_days_and_permanent_categories() {
        let rule = RetentionRule::last_visit(10, 18, 10);
        let p = PatientDates { birth_date: d("2008-02-29"), last_visit: Some(d("2016-02-29")) };
        // 2008-02-29 + 28 years = 2036-02-29 (leap year); last visit + 10 = 2026-02-28.
        assert_eq!(destroy_on(&rule, d("2016-02-29"), Some(p)), Some(d("2036-02-29")));
        assert_eq!(plus_years(d("2016-02-29"), 10), Some(d("2026-02-28")));
        assert_eq!(destroy_on(&category("eob").unwrap().default_retention, d("2019-12-31"), None), Some(d("2026-12-31")));
        assert_eq!(destroy_on(&category("payer_contract").unwrap().default_retention, d("2015-07-01"), None), Some(d("2025-07-01")));
        assert_eq!(destroy_on(&category("licence").unwrap().default_retention, d("1990-01-01"), None), None);
    }

    #[test]
    fn rules_are_validated_naming_the_field() {
        assert!(RetentionRule::last_visit(7, 21, 7).validate().is_empty());
        assert!(RetentionRule::PERMANENT.validate().is_empty());
        let bad = RetentionRule::last_visit(0, 30, 7).validate();
        let fields: Vec<&str> = bad.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["years", "majority_age"]);
        assert_eq!(RetentionRule::document_date(101).validate()[0].0, "years");
        assert_eq!(RetentionRule::last_visit(7, 21, 7).describe(), "7 years after the last visit; minors until age 21 + 7 years");
        assert!(RetentionBasis::parse("forever").unwrap_err().contains("permanent"));
    }

    #[test]
    fn every_category_has_a_unique_key_and_the_access_matrix_follows_the_class() {
        let mut keys: Vec<&str> = CATEGORIES.iter().map(|c| c.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), CATEGORIES.len());
        let may = |role: Role, key: &str| role.may(category(key).unwrap().class.action());
        // Patient records: clinical and front desk (and the office manager), not billing or the books.
        for key in ["referral", "consent_form", "insurance_card"] {
            assert!(may(Role::Provider, key) && may(Role::FrontDesk, key) && may(Role::Admin, key), "{key}");
            assert!(!may(Role::Bookkeeper, key) && !may(Role::Biller, key), "{key}");
        }
        // Contracts and business documents: office manager and bookkeeper only.
        for key in ["payer_contract", "lease", "vendor_agreement", "licence", "policy"] {
            assert!(may(Role::Admin, key) && may(Role::Bookkeeper, key), "{key}");
            assert!(!may(Role::FrontDesk, key) && !may(Role::Provider, key) && !may(Role::Biller, key), "{key}");
        }
        // Accounting records: billing and the books.
        for key in ["eob", "deposit_slip", "bank_statement"] {
            assert!(may(Role::Biller, key) && may(Role::Bookkeeper, key) && may(Role::Admin, key), "{key}");
            assert!(!may(Role::FrontDesk, key) && !may(Role::Provider, key), "{key}");
        }
        assert!(Role::Admin.may(Action::ManageRetention) && !Role::Bookkeeper.may(Action::ManageRetention));
        assert_eq!(categories_for(|a| Role::Bookkeeper.may(a)).len(), 11);
        assert!(parse_category("tax return").unwrap_err().contains("referral"));
        assert_eq!(parse_category(" ").unwrap_err(), "choose a category");
    }

    #[test]
    fn uploads_are_known_by_their_bytes_and_limited_in_size() {
        assert_eq!(check_upload(b"%PDF-1.7\n..."), Ok("application/pdf"));
        assert_eq!(check_upload(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Ok("image/jpeg"));
        assert_eq!(check_upload(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert!(check_upload(b"II*\0 a TIFF").is_err());
        assert!(check_upload(b"MZ\x90\0 an executable").unwrap_err().contains("only PDF"));
        assert!(check_upload(b"<html><script>").is_err());
        assert_eq!(check_upload(b"").unwrap_err(), "the file is empty");
        let big = vec![b'%'; MAX_DOCUMENT_BYTES + 1];
        assert!(check_upload(&big).unwrap_err().contains("largest allowed is 25 MB"));
    }

    #[test]
    fn file_names_are_shown_never_used_as_paths() {
        assert_eq!(display_file_name("../../etc/passwd"), "passwd");
        assert_eq!(display_file_name("C:\\scans\\referral 12.pdf"), "referral 12.pdf");
        assert_eq!(display_file_name(".."), "document");
        assert_eq!(display_file_name("a\"b\n.pdf"), "ab.pdf");
    }

    #[test]
    fn search_text_and_words_are_lower_case_and_split_on_punctuation() {
        assert_eq!(search_text(&["Referral  from Dr. Chen", "Cardiology\nconsult"]), "referral from dr. chen cardiology consult");
        assert_eq!(search_words("Cardiology, ECHO  x"), vec!["cardiology", "echo"]);
        assert_eq!(search_words("O'Brien follow-up"), vec!["o'brien", "follow-up"]);
        assert!(search_words("  ").is_empty());
    }
}
