//! Coding: what a diagnosis, a procedure, a modifier and a place of service look like, and the
//! claim filing indicator a payer is billed under.
//!
//! The code sets themselves are data (ICD-10-CM in the database, CPT and HCPCS imported per
//! practice); this module holds their shapes, the small lists that ship whole (modifiers, places
//! of service, SBR09 claim filing indicators) and the text normalisation every code search uses,
//! so the web forms, the import and the claim scrubber all refuse the same things.

use serde::{Deserialize, Serialize};

/// The ICD-10-CM code set's name in the database.
pub const ICD10CM: &str = "icd10cm";

/// The most words a code search takes (more narrow nothing and cost a scan each).
pub const MAX_SEARCH_WORDS: usize = 8;

/// An ICD-10-CM code as typed (`j02.0`, `J020`, ` E11.9 `), normalised to the dotted upper-case
/// form of the tabular list (`J02.0`). Only the shape is checked: a letter and two letters or
/// digits (the category: `J02`, `C4A`, and since April 2026 `QA0`), then up to four letters or
/// digits after the dot.
pub fn parse_icd10cm(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_uppercase();
    let bare: String = t.chars().filter(|c| *c != '.').collect();
    let dots = t.chars().filter(|c| *c == '.').count();
    let bad = || format!("'{}' is not an ICD-10-CM code, e.g. J02.0 or E11.9", text.trim());
    let b = bare.as_bytes();
    let shape = (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_alphanumeric()
        && b[2].is_ascii_alphanumeric()
        && b[3..].iter().all(u8::is_ascii_alphanumeric);
    // A dot, if typed, sits after the category.
    let dot_ok = dots == 0 || (dots == 1 && t.find('.') == Some(3) && b.len() > 3);
    if !shape || !dot_ok {
        return Err(bad());
    }
    Ok(if b.len() > 3 { format!("{}.{}", &bare[..3], &bare[3..]) } else { bare })
}

/// The code as X12 claims carry it: without the dot (`J02.0` -> `J020`).
pub fn icd10cm_without_dot(code: &str) -> String {
    code.chars().filter(|c| *c != '.').collect()
}

/// Whether a search word looks like the start of an ICD-10-CM code (`e11`, `j02.`, `z00.00`,
/// `qa0`): a letter then a digit, or two letters then a digit. Such words search the codes, the
/// others the descriptions.
pub fn is_icd10cm_prefix(word: &str) -> bool {
    let b = word.as_bytes();
    let start = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && (b[1].is_ascii_digit() || (b.len() >= 3 && b[1].is_ascii_alphabetic() && b[2].is_ascii_digit()));
    start && b.len() <= 8 && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'.')
}

/// A code prefix as typed, in the stored form (`e119` -> `E11.9`, `j02.` -> `J02.`).
pub fn icd10cm_prefix(word: &str) -> String {
    let upper = word.trim().to_ascii_uppercase();
    let bare: String = upper.chars().filter(|c| *c != '.').collect();
    if bare.len() > 3 {
        format!("{}.{}", &bare[..3], &bare[3..])
    } else if upper.ends_with('.') && bare.len() == 3 {
        format!("{bare}.")
    } else {
        bare
    }
}

/// The procedure code sets a practice imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureCodeSet {
    /// CPT (AMA, licensed): five digits, or four digits and F (category II), T (category III) or
    /// U (proprietary laboratory analyses).
    Cpt,
    /// HCPCS Level II (CMS): a letter and four digits.
    Hcpcs,
}

impl ProcedureCodeSet {
    pub const ALL: [ProcedureCodeSet; 2] = [ProcedureCodeSet::Cpt, ProcedureCodeSet::Hcpcs];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcedureCodeSet::Cpt => "cpt",
            ProcedureCodeSet::Hcpcs => "hcpcs",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ProcedureCodeSet::Cpt => "CPT",
            ProcedureCodeSet::Hcpcs => "HCPCS Level II",
        }
    }

    pub fn parse(text: &str) -> Result<ProcedureCodeSet, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cpt" => Ok(ProcedureCodeSet::Cpt),
            "hcpcs" => Ok(ProcedureCodeSet::Hcpcs),
            other => Err(format!("'{other}' is not a procedure code set: use cpt or hcpcs")),
        }
    }

    /// Whether `code` (upper case, trimmed) has this set's shape.
    pub fn fits(self, code: &str) -> bool {
        let b = code.as_bytes();
        b.len() == 5
            && match self {
                ProcedureCodeSet::Cpt => b[..4].iter().all(u8::is_ascii_digit) && (b[4].is_ascii_digit() || b"FTU".contains(&b[4])),
                ProcedureCodeSet::Hcpcs => b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit),
            }
    }

    /// The set a code belongs to, from its shape alone.
    pub fn of(code: &str) -> Option<ProcedureCodeSet> {
        ProcedureCodeSet::ALL.into_iter().find(|s| s.fits(code))
    }
}

/// A procedure code as typed, upper-cased and checked against `set`'s shape.
pub fn parse_procedure_code(text: &str, set: ProcedureCodeSet) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if set.fits(&code) {
        return Ok(code);
    }
    Err(match set {
        ProcedureCodeSet::Cpt => format!("'{}' is not a CPT code (five digits, or four digits and F, T or U, e.g. 99213)", text.trim()),
        ProcedureCodeSet::Hcpcs => format!("'{}' is not a HCPCS Level II code (a letter and four digits, e.g. G0439)", text.trim()),
    })
}

/// A procedure code of either set (`99213`, `g0439`), upper-cased.
pub fn parse_any_procedure_code(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    match ProcedureCodeSet::of(&code) {
        Some(_) => Ok(code),
        None => Err(format!("'{}' is not a CPT or HCPCS code, e.g. 99213 or G0439", text.trim())),
    }
}

/// Modifiers in everyday use, with medoffice's own short labels. Any two-character modifier is
/// accepted (payers publish more); these are the ones offered and explained.
pub const MODIFIERS: [(&str, &str); 30] = [
    ("24", "Unrelated E/M visit during a postoperative period"),
    ("25", "Separate, significant E/M visit on the day of a procedure"),
    ("26", "Professional component only"),
    ("33", "Preventive service"),
    ("50", "Bilateral procedure"),
    ("51", "Multiple procedures"),
    ("52", "Reduced service"),
    ("57", "Visit that led to the decision for surgery"),
    ("59", "Distinct procedural service"),
    ("76", "Repeat procedure by the same provider"),
    ("77", "Repeat procedure by another provider"),
    ("91", "Repeat clinical laboratory test"),
    ("93", "Telehealth, audio only"),
    ("95", "Telehealth, audio and video"),
    ("AI", "Principal provider of record"),
    ("GA", "Advance beneficiary notice (ABN) on file"),
    ("GT", "Telehealth, interactive audio and video (older payers)"),
    ("GY", "Service not covered by law"),
    ("GZ", "Expected to be denied, no ABN on file"),
    ("KX", "Coverage requirements met"),
    ("LT", "Left side"),
    ("QW", "CLIA-waived laboratory test"),
    ("RT", "Right side"),
    ("TC", "Technical component only"),
    ("XE", "Separate encounter"),
    ("XP", "Separate practitioner"),
    ("XS", "Separate structure or organ"),
    ("XU", "Unusual service that does not overlap"),
    ("FS", "Split or shared visit"),
    ("CR", "Related to a catastrophe or disaster"),
];

/// A modifier as typed: two letters or digits, upper-cased.
pub fn parse_modifier(text: &str) -> Result<String, String> {
    let m = text.trim().to_ascii_uppercase();
    if m.len() == 2 && m.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(m)
    } else {
        Err(format!("'{}' is not a modifier (two letters or digits, e.g. 25 or LT)", text.trim()))
    }
}

/// The short label of a listed modifier.
pub fn modifier_label(code: &str) -> Option<&'static str> {
    MODIFIERS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The place-of-service codes a professional claim may carry (CLM05-1, SV105), CMS's whole list,
/// with medoffice's own short names.
pub const PLACES_OF_SERVICE: [(&str, &str); 52] = [
    ("01", "Pharmacy"),
    ("02", "Telehealth, not in the patient's home"),
    ("03", "School"),
    ("04", "Homeless shelter"),
    ("05", "Indian Health Service free-standing facility"),
    ("06", "Indian Health Service provider-based facility"),
    ("07", "Tribal 638 free-standing facility"),
    ("08", "Tribal 638 provider-based facility"),
    ("09", "Prison or correctional facility"),
    ("10", "Telehealth in the patient's home"),
    ("11", "Office"),
    ("12", "Home"),
    ("13", "Assisted living facility"),
    ("14", "Group home"),
    ("15", "Mobile unit"),
    ("16", "Temporary lodging"),
    ("17", "Walk-in retail health clinic"),
    ("18", "Place of employment or worksite"),
    ("19", "Off-campus outpatient hospital"),
    ("20", "Urgent care facility"),
    ("21", "Inpatient hospital"),
    ("22", "On-campus outpatient hospital"),
    ("23", "Hospital emergency room"),
    ("24", "Ambulatory surgical center"),
    ("25", "Birthing center"),
    ("26", "Military treatment facility"),
    ("27", "Outreach site or street"),
    ("31", "Skilled nursing facility"),
    ("32", "Nursing facility"),
    ("33", "Custodial care facility"),
    ("34", "Hospice"),
    ("41", "Ambulance, land"),
    ("42", "Ambulance, air or water"),
    ("49", "Independent clinic"),
    ("50", "Federally qualified health center"),
    ("51", "Inpatient psychiatric facility"),
    ("52", "Psychiatric facility, partial hospitalisation"),
    ("53", "Community mental health center"),
    ("54", "Intermediate care facility for people with intellectual disabilities"),
    ("55", "Residential substance use treatment facility"),
    ("56", "Psychiatric residential treatment center"),
    ("57", "Non-residential substance use treatment facility"),
    ("58", "Non-residential opioid treatment facility"),
    ("60", "Mass immunisation center"),
    ("61", "Comprehensive inpatient rehabilitation facility"),
    ("62", "Comprehensive outpatient rehabilitation facility"),
    ("65", "End-stage renal disease treatment facility"),
    ("66", "PACE center"),
    ("71", "Public health clinic"),
    ("72", "Rural health clinic"),
    ("81", "Independent laboratory"),
    ("99", "Other place of service"),
];

/// A place-of-service code as typed (`11`, ` 2` -> `02`), checked against the list.
pub fn parse_place_of_service(text: &str) -> Result<String, String> {
    let t = text.trim();
    let code = if t.len() == 1 { format!("0{t}") } else { t.to_string() };
    if PLACES_OF_SERVICE.iter().any(|(c, _)| *c == code) {
        Ok(code)
    } else {
        Err(format!("'{t}' is not a place-of-service code, e.g. 11 (office) or 10 (telehealth in the home)"))
    }
}

/// The name of a place-of-service code.
pub fn place_of_service_label(code: &str) -> Option<&'static str> {
    PLACES_OF_SERVICE.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The claim filing indicator (837P SBR09): the kind of plan a payer's claims are filed under.
/// The 5010 list; its 4010 predecessor's `09` (self-pay) is gone: a self-paying patient has no
/// claim, so no payer is self-pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClaimFilingIndicator {
    OtherNonFederal,
    PreferredProvider,
    PointOfService,
    ExclusiveProvider,
    Indemnity,
    HmoMedicareRisk,
    DentalMaintenance,
    AutomobileMedical,
    BlueCrossBlueShield,
    Tricare,
    Commercial,
    Disability,
    FederalEmployees,
    Hmo,
    LiabilityMedical,
    MedicarePartA,
    MedicarePartB,
    Medicaid,
    OtherFederal,
    TitleV,
    VeteransAffairs,
    WorkersCompensation,
    MutuallyDefined,
}

impl ClaimFilingIndicator {
    /// Every indicator, in the order of the implementation guide's list.
    pub const ALL: [ClaimFilingIndicator; 23] = {
        use ClaimFilingIndicator::*;
        [
            OtherNonFederal,
            PreferredProvider,
            PointOfService,
            ExclusiveProvider,
            Indemnity,
            HmoMedicareRisk,
            DentalMaintenance,
            AutomobileMedical,
            BlueCrossBlueShield,
            Tricare,
            Commercial,
            Disability,
            FederalEmployees,
            Hmo,
            LiabilityMedical,
            MedicarePartA,
            MedicarePartB,
            Medicaid,
            OtherFederal,
            TitleV,
            VeteransAffairs,
            WorkersCompensation,
            MutuallyDefined,
        ]
    };

    /// The X12 code (SBR09).
    pub fn code(self) -> &'static str {
        use ClaimFilingIndicator::*;
        match self {
            OtherNonFederal => "11",
            PreferredProvider => "12",
            PointOfService => "13",
            ExclusiveProvider => "14",
            Indemnity => "15",
            HmoMedicareRisk => "16",
            DentalMaintenance => "17",
            AutomobileMedical => "AM",
            BlueCrossBlueShield => "BL",
            Tricare => "CH",
            Commercial => "CI",
            Disability => "DS",
            FederalEmployees => "FI",
            Hmo => "HM",
            LiabilityMedical => "LM",
            MedicarePartA => "MA",
            MedicarePartB => "MB",
            Medicaid => "MC",
            OtherFederal => "OF",
            TitleV => "TV",
            VeteransAffairs => "VA",
            WorkersCompensation => "WC",
            MutuallyDefined => "ZZ",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        use ClaimFilingIndicator::*;
        match self {
            OtherNonFederal => "Other non-federal program",
            PreferredProvider => "Preferred provider organisation (PPO)",
            PointOfService => "Point of service (POS) plan",
            ExclusiveProvider => "Exclusive provider organisation (EPO)",
            Indemnity => "Indemnity insurance",
            HmoMedicareRisk => "HMO Medicare risk",
            DentalMaintenance => "Dental maintenance organisation",
            AutomobileMedical => "Automobile medical",
            BlueCrossBlueShield => "Blue Cross Blue Shield",
            Tricare => "TRICARE (CHAMPUS)",
            Commercial => "Commercial insurance",
            Disability => "Disability",
            FederalEmployees => "Federal Employees Program",
            Hmo => "Health maintenance organisation (HMO)",
            LiabilityMedical => "Liability medical",
            MedicarePartA => "Medicare Part A",
            MedicarePartB => "Medicare Part B",
            Medicaid => "Medicaid",
            OtherFederal => "Other federal program",
            TitleV => "Title V",
            VeteransAffairs => "Veterans Affairs plan",
            WorkersCompensation => "Workers' compensation",
            MutuallyDefined => "Mutually defined",
        }
    }

    /// An indicator from its X12 code (`ci`, ` MB `).
    pub fn parse(text: &str) -> Result<ClaimFilingIndicator, String> {
        let code = text.trim().to_ascii_uppercase();
        ClaimFilingIndicator::ALL.into_iter().find(|i| i.code() == code).ok_or_else(|| {
            if code == "09" {
                "09 (self-pay) is not a claim filing indicator in 5010: self-paying patients have no payer".to_string()
            } else {
                format!("'{}' is not a claim filing indicator, e.g. CI (commercial), MB (Medicare Part B), MC (Medicaid)", text.trim())
            }
        })
    }
}

/// Text as code searches compare it: lower case, common Latin accents folded (`Sézary` ->
/// `sezary`), so a search typed without accents finds the descriptions that have them.
pub fn search_text(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        })
        .collect()
}

/// The words of a code search: letters, digits and dots (a code's), in search form, repeats
/// dropped, at most [`MAX_SEARCH_WORDS`].
pub fn search_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in search_text(query).split(|c: char| !(c.is_alphanumeric() || c == '.')) {
        let word = word.trim_matches('.');
        if !word.is_empty() && !words.iter().any(|w| w == word) && words.len() < MAX_SEARCH_WORDS {
            words.push(word.to_string());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10cm_codes_are_normalised_to_the_dotted_upper_case_form() {
        assert_eq!(parse_icd10cm("j02.0"), Ok("J02.0".into()));
        assert_eq!(parse_icd10cm(" J020 "), Ok("J02.0".into()));
        assert_eq!(parse_icd10cm("E11"), Ok("E11".into()));
        assert_eq!(parse_icd10cm("S72.001A"), Ok("S72.001A".into()));
        assert_eq!(parse_icd10cm("C4A.0"), Ok("C4A.0".into()));
        assert_eq!(parse_icd10cm("qa00101"), Ok("QA0.0101".into()));
        assert_eq!(icd10cm_without_dot("S72.001A"), "S72001A");
    }

    #[test]
    fn malformed_icd10cm_codes_are_refused() {
        for bad in ["", "J0", "0J2.0", "J02.00000", "J0.20", "J02..0", "99213", "J02.", "J02-0"] {
            assert!(parse_icd10cm(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cpt_and_hcpcs_codes_have_their_own_shapes() {
        assert_eq!(parse_procedure_code(" 99213", ProcedureCodeSet::Cpt), Ok("99213".into()));
        assert_eq!(parse_procedure_code("0001f", ProcedureCodeSet::Cpt), Ok("0001F".into()));
        assert_eq!(parse_procedure_code("0042T", ProcedureCodeSet::Cpt), Ok("0042T".into()));
        assert!(parse_procedure_code("G0439", ProcedureCodeSet::Cpt).is_err());
        assert!(parse_procedure_code("9921", ProcedureCodeSet::Cpt).is_err());
        assert_eq!(parse_procedure_code("g0439", ProcedureCodeSet::Hcpcs), Ok("G0439".into()));
        assert!(parse_procedure_code("99213", ProcedureCodeSet::Hcpcs).is_err());
        assert!(parse_procedure_code("GG439", ProcedureCodeSet::Hcpcs).is_err());
        assert_eq!(ProcedureCodeSet::of("36415"), Some(ProcedureCodeSet::Cpt));
        assert_eq!(ProcedureCodeSet::of("J1100"), Some(ProcedureCodeSet::Hcpcs));
        assert_eq!(ProcedureCodeSet::of("J11"), None);
        assert!(parse_any_procedure_code("hello").is_err());
    }

    #[test]
    fn modifiers_are_two_letters_or_digits() {
        assert_eq!(parse_modifier("lt"), Ok("LT".into()));
        assert_eq!(parse_modifier(" 25 "), Ok("25".into()));
        for bad in ["", "2", "255", "L-", "é1"] {
            assert!(parse_modifier(bad).is_err(), "{bad}");
        }
        assert_eq!(modifier_label("25").map(|l| l.contains("E/M")), Some(true));
        assert!(MODIFIERS.iter().all(|(c, _)| parse_modifier(c).as_deref() == Ok(*c)));
    }

    #[test]
    fn places_of_service_come_from_the_list() {
        assert_eq!(parse_place_of_service("11"), Ok("11".into()));
        assert_eq!(parse_place_of_service("2"), Ok("02".into()));
        assert!(parse_place_of_service("28").is_err());
        assert!(parse_place_of_service("office").is_err());
        assert_eq!(place_of_service_label("10"), Some("Telehealth in the patient's home"));
        let mut codes: Vec<&str> = PLACES_OF_SERVICE.iter().map(|(c, _)| *c).collect();
        codes.dedup();
        assert_eq!(codes.len(), PLACES_OF_SERVICE.len(), "no code twice, in order");
    }

    #[test]
    fn claim_filing_indicators_round_trip_and_self_pay_is_explained() {
        for i in ClaimFilingIndicator::ALL {
            assert_eq!(ClaimFilingIndicator::parse(i.code()), Ok(i));
        }
        assert_eq!(ClaimFilingIndicator::parse(" mb "), Ok(ClaimFilingIndicator::MedicarePartB));
        assert!(ClaimFilingIndicator::parse("09").is_err_and(|e| e.contains("self-pay")));
        assert!(ClaimFilingIndicator::parse("XX").is_err());
    }

    #[test]
    fn search_words_are_lowercased_folded_and_deduplicated() {
        assert_eq!(search_words("Sézary  DISEASE, sezary"), ["sezary", "disease"]);
        assert_eq!(search_words("E11.9 type-2"), ["e11.9", "type", "2"]);
        assert_eq!(search_words("  ,; "), Vec::<String>::new());
        assert_eq!(search_words("a b c d e f g h i j").len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn code_prefixes_are_recognised_and_put_in_stored_form() {
        assert!(is_icd10cm_prefix("e11"));
        assert!(is_icd10cm_prefix("j02.0"));
        assert!(!is_icd10cm_prefix("diabetes"));
        assert!(!is_icd10cm_prefix("2"));
        assert!(is_icd10cm_prefix("qa0"));
        assert!(!is_icd10cm_prefix("flu"));
        assert_eq!(icd10cm_prefix("e119"), "E11.9");
        assert_eq!(icd10cm_prefix("j02."), "J02.");
        assert_eq!(icd10cm_prefix("j0"), "J0");
    }
}
