//! Patients and their insurance coverages: what a valid registration is.
//!
//! Raw input (`PatientInput`, `CoverageInput`) comes from a form or the API as text; `validate`
//! turns it into `PatientData` / `CoverageData` or returns every field error at once.

use crate::money::Money;
use crate::validation::{ValidationErrors, clean};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The longest name part we accept; X12 allows 60 for a last name, 35 for a first name.
const MAX_NAME_CHARS: usize = 60;
/// Nobody registered is older than this.
const MAX_AGE_YEARS: i32 = 130;

// ---------------------------------------------------------------------------------------------
// Small value types
// ---------------------------------------------------------------------------------------------

/// Administrative sex as the X12 and FHIR standards carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Result<Sex, String> {
        match text.trim().to_lowercase().as_str() {
            "female" | "f" => Ok(Sex::Female),
            "male" | "m" => Ok(Sex::Male),
            "other" | "o" => Ok(Sex::Other),
            "unknown" | "u" => Ok(Sex::Unknown),
            "" => Err("choose female, male, other or unknown".into()),
            other => Err(format!("'{other}' is not one of female, male, other, unknown")),
        }
    }
}

/// A US (NANP) telephone number, kept as its 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Accepts the ways people write numbers: `(555) 201-3344`, `555.201.3344`, `+1 555 201 3344`.
    pub fn parse(text: &str) -> Result<Phone, String> {
        let allowed = |c: char| c.is_ascii_digit() || " ()-.+".contains(c);
        if !text.trim().chars().all(allowed) {
            return Err("a phone number has only digits, spaces and ( ) - . +".into());
        }
        let mut digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.len() == 11 && digits.starts_with('1') {
            digits.remove(0);
        }
        if digits.len() != 10 {
            return Err("a phone number has 10 digits, area code first, e.g. (555) 201-3344".into());
        }
        let bytes = digits.as_bytes();
        if bytes[0] < b'2' || bytes[3] < b'2' {
            return Err("neither the area code nor the exchange can start with 0 or 1".into());
        }
        Ok(Phone(digits))
    }

    /// The 10 digits, as stored.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `(555) 201-3344`.
    pub fn display(&self) -> String {
        format!("({}) {}-{}", &self.0[0..3], &self.0[3..6], &self.0[6..10])
    }
}

/// An e-mail address, checked for the shape mail servers accept; lowercased domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        let t = text.trim();
        let bad = || format!("'{t}' is not an e-mail address, e.g. name@example.com");
        if t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// USPS codes of the states, DC, the territories and the military post offices.
pub const US_STATES: [&str; 59] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA",
    "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX",
    "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "AA", "AE", "AP",
];

pub fn parse_state(text: &str) -> Result<String, String> {
    let code = text.trim().to_uppercase();
    if US_STATES.contains(&code.as_str()) { Ok(code) } else { Err(format!("'{}' is not a US state code, e.g. NY", text.trim())) }
}

/// A ZIP code: `12345` or `12345-6789` (a bare 9-digit ZIP+4 is accepted and hyphenated).
pub fn parse_postal_code(text: &str) -> Result<String, String> {
    let t = text.trim();
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let shape_ok = t.chars().all(|c| c.is_ascii_digit() || c == '-');
    match (shape_ok, digits.len()) {
        (true, 5) if t.len() == 5 => Ok(digits),
        (true, 9) if t.len() == 9 || (t.len() == 10 && t.as_bytes()[5] == b'-') => Ok(format!("{}-{}", &digits[..5], &digits[5..])),
        _ => Err(format!("'{t}' is not a ZIP code, e.g. 12345 or 12345-6789")),
    }
}

/// A calendar date as people type it: `1985-03-14` or `03/14/1985`. Impossible dates are refused.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter a date, e.g. 1985-03-14".into());
    }
    let parsed = NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%m/%d/%Y"));
    match parsed {
        Ok(date) if date.year() >= 1000 => Ok(date),
        _ if looks_like_date(t) => Err(format!("{t} is not a real date")),
        _ => Err(format!("'{t}' is not a date; write it as YYYY-MM-DD, e.g. 1985-03-14")),
    }
}

fn looks_like_date(t: &str) -> bool {
    let parts: Vec<&str> = t.split(['-', '/']).collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A person's name part: letters (any script), spaces, apostrophes, hyphens and periods.
pub fn parse_name_part(text: &str) -> Result<String, String> {
    let Some(name) = clean(text) else {
        return Err("this name is required".into());
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("at most {MAX_NAME_CHARS} characters"));
    }
    if !name.chars().any(|c| c.is_alphabetic()) || !name.chars().all(|c| c.is_alphabetic() || " '-.’".contains(c)) {
        return Err("a name has letters, spaces, apostrophes, hyphens and periods only".into());
    }
    Ok(name)
}

fn optional<T>(errors: &mut ValidationErrors, field: &str, text: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
    if text.trim().is_empty() { None } else { errors.check(field, parse(text)) }
}

fn free_text(errors: &mut ValidationErrors, field: &str, text: &str, max: usize) -> Option<String> {
    let value = clean(text)?;
    if value.chars().count() > max {
        errors.add(field, format!("at most {max} characters"));
    }
    Some(value)
}

/// Which of the patient's phones to call first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    Home,
    Work,
}

impl PhoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Home => "home",
            PhoneKind::Work => "work",
        }
    }
    pub fn parse(text: &str) -> Result<PhoneKind, String> {
        match text.trim() {
            "mobile" | "" => Ok(PhoneKind::Mobile),
            "home" => Ok(PhoneKind::Home),
            "work" => Ok(PhoneKind::Work),
            other => Err(format!("'{other}' is not one of mobile, home, work")),
        }
    }
}

/// How the patient wants to hear from the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    Phone,
    Text,
    Email,
    Mail,
}

impl ContactMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactMethod::Phone => "phone",
            ContactMethod::Text => "text",
            ContactMethod::Email => "email",
            ContactMethod::Mail => "mail",
        }
    }
    pub fn parse(text: &str) -> Result<ContactMethod, String> {
        match text.trim() {
            "phone" | "" => Ok(ContactMethod::Phone),
            "text" => Ok(ContactMethod::Text),
            "email" => Ok(ContactMethod::Email),
            "mail" => Ok(ContactMethod::Mail),
            other => Err(format!("'{other}' is not one of phone, text, email, mail")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The patient
// ---------------------------------------------------------------------------------------------

/// A postal address as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressInput {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

/// A valid US postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

impl AddressInput {
    fn text_fields(&self, prefix: &str) -> Vec<(String, &str)> {
        [("line1", &self.line1), ("line2", &self.line2), ("city", &self.city), ("state", &self.state), ("postal_code", &self.postal_code)]
            .into_iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.as_str()))
            .collect()
    }

    fn is_blank(&self) -> bool {
        [&self.line1, &self.line2, &self.city, &self.state, &self.postal_code].iter().all(|s| s.trim().is_empty())
    }

    /// `None` when every line is blank; otherwise all of line 1, city, state and ZIP are required.
    pub fn validate(&self, errors: &mut ValidationErrors, prefix: &str) -> Option<Address> {
        if self.is_blank() {
            return None;
        }
        let required = |errors: &mut ValidationErrors, name: &str, value: &str| {
            let v = clean(value);
            if v.is_none() {
                errors.add(&format!("{prefix}{name}"), "required when an address is given");
            }
            v
        };
        let line1 = required(errors, "line1", &self.line1);
        let city = required(errors, "city", &self.city);
        let state = if self.state.trim().is_empty() {
            required(errors, "state", "")
        } else {
            errors.check(&format!("{prefix}state"), parse_state(&self.state))
        };
        let postal_code = if self.postal_code.trim().is_empty() {
            required(errors, "postal_code", "")
        } else {
            errors.check(&format!("{prefix}postal_code"), parse_postal_code(&self.postal_code))
        };
        for (name, value) in [("line1", &self.line1), ("line2", &self.line2), ("city", &self.city)] {
            if value.chars().count() > 55 {
                errors.add(&format!("{prefix}{name}"), "at most 55 characters");
            }
        }
        Some(Address { line1: line1?, line2: clean(&self.line2), city: city?, state: state?, postal_code: postal_code? })
    }
}

/// Who pays when it is not the patient (a parent for a child).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuarantorInput {
    pub family_name: String,
    pub given_name: String,
    pub relationship: String,
    pub birth_date: String,
    pub phone: String,
    pub address: AddressInput,
}

/// The guarantor relationships medoffice knows.
pub const GUARANTOR_RELATIONSHIPS: [&str; 4] = ["parent", "spouse", "legal_guardian", "other"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guarantor {
    pub family_name: String,
    pub given_name: String,
    pub relationship: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyContact {
    pub name: String,
    pub relationship: Option<String>,
    pub phone: Phone,
}

/// A registration or an edit of a patient, as text from a form or a JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientInput {
    pub family_name: String,
    pub given_name: String,
    pub middle_name: String,
    pub preferred_name: String,
    pub suffix: String,
    pub birth_date: String,
    pub sex: String,
    /// The preferred number; stored under `preferred_phone`'s kind when that slot is empty.
    pub phone: String,
    pub phone_mobile: String,
    pub phone_home: String,
    pub phone_work: String,
    pub preferred_phone: String,
    pub email: String,
    pub preferred_contact: String,
    pub language: String,
    pub address: AddressInput,
    pub emergency_contact_name: String,
    pub emergency_contact_relationship: String,
    pub emergency_contact_phone: String,
    /// `None` (or all blank) when the patient is their own guarantor.
    pub guarantor: Option<GuarantorInput>,
    /// The phones as the API answers them (`phones.mobile`...); used where the flat field is empty,
    /// so an answer can be sent back as an edit without losing numbers.
    pub phones: Option<PhonesInput>,
    /// The emergency contact as the API answers it; used where the flat fields are empty.
    pub emergency_contact: Option<EmergencyContactInput>,
}

/// Phones in the nested shape of the API's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhonesInput {
    pub mobile: Option<String>,
    pub home: Option<String>,
    pub work: Option<String>,
}

/// An emergency contact in the nested shape of the API's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyContactInput {
    pub name: Option<String>,
    pub relationship: Option<String>,
    pub phone: Option<String>,
}

/// A valid patient's demographics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientData {
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub suffix: Option<String>,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub phone_mobile: Option<Phone>,
    pub phone_home: Option<Phone>,
    pub phone_work: Option<Phone>,
    pub preferred_phone: PhoneKind,
    pub email: Option<Email>,
    pub preferred_contact: ContactMethod,
    pub language: Option<String>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
    pub guarantor: Option<Guarantor>,
}

impl PatientData {
    /// The number to call: the preferred one, else the first one given.
    pub fn phone(&self) -> Option<&Phone> {
        let preferred = match self.preferred_phone {
            PhoneKind::Mobile => self.phone_mobile.as_ref(),
            PhoneKind::Home => self.phone_home.as_ref(),
            PhoneKind::Work => self.phone_work.as_ref(),
        };
        preferred.or(self.phone_mobile.as_ref()).or(self.phone_home.as_ref()).or(self.phone_work.as_ref())
    }

    /// All phone numbers given.
    pub fn phones(&self) -> impl Iterator<Item = &Phone> {
        [&self.phone_mobile, &self.phone_home, &self.phone_work].into_iter().flatten()
    }

    /// "Family, Given Middle" as on a chart header.
    pub fn display_name(&self) -> String {
        let mut name = format!("{}, {}", self.family_name, self.given_name);
        if let Some(middle) = &self.middle_name {
            name.push(' ');
            name.push_str(middle);
        }
        name
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> i32 {
        age_on(self.birth_date, today)
    }
}

/// Age in whole years of someone born on `birth_date`, on `today`.
pub fn age_on(birth_date: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth_date.year();
    if (today.month(), today.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age
}

impl PatientInput {
    /// Validates every field against the rules of a registration; `today` is the practice's date.
    pub fn validate(&self, today: NaiveDate) -> Result<PatientData, ValidationErrors> {
        self.resolved().validate_flat(today)
    }

    /// The input with the nested `phones` and `emergency_contact` folded into the flat fields
    /// that are empty.
    fn resolved(&self) -> PatientInput {
        let mut r = self.clone();
        let fill = |flat: &mut String, nested: Option<&String>| {
            if let Some(v) = nested
                && flat.trim().is_empty()
            {
                flat.clone_from(v);
            }
        };
        if let Some(p) = &self.phones {
            fill(&mut r.phone_mobile, p.mobile.as_ref());
            fill(&mut r.phone_home, p.home.as_ref());
            fill(&mut r.phone_work, p.work.as_ref());
        }
        if let Some(c) = &self.emergency_contact {
            fill(&mut r.emergency_contact_name, c.name.as_ref());
            fill(&mut r.emergency_contact_relationship, c.relationship.as_ref());
            fill(&mut r.emergency_contact_phone, c.phone.as_ref());
        }
        // The preferred number is also in `phone`; once a slot holds it, `phone` adds nothing.
        let slots = [&r.phone_mobile, &r.phone_home, &r.phone_work];
        if !r.phone.trim().is_empty() && slots.iter().any(|s| Phone::parse(s).ok().is_some_and(|p| Phone::parse(&r.phone).ok() == Some(p)))
        {
            r.phone.clear();
        }
        r.phones = None;
        r.emergency_contact = None;
        r
    }

    fn validate_flat(&self, today: NaiveDate) -> Result<PatientData, ValidationErrors> {
        let control = control_character_errors(&self.text_fields());
        if !control.is_empty() {
            return Err(control);
        }
        let mut e = ValidationErrors::new();
        let family_name = e.check("family_name", parse_name_part(&self.family_name));
        let given_name = e.check("given_name", parse_name_part(&self.given_name));
        let middle_name = optional(&mut e, "middle_name", &self.middle_name, parse_name_part);
        let preferred_name = optional(&mut e, "preferred_name", &self.preferred_name, parse_name_part);
        let suffix = free_text(&mut e, "suffix", &self.suffix, 10);
        let birth_date = e.check("birth_date", parse_birth_date(&self.birth_date, today));
        let sex = e.check("sex", Sex::parse(&self.sex));
        let preferred_phone = e.check("preferred_phone", PhoneKind::parse(&self.preferred_phone));

        let mut phone_mobile = optional(&mut e, "phone_mobile", &self.phone_mobile, Phone::parse);
        let mut phone_home = optional(&mut e, "phone_home", &self.phone_home, Phone::parse);
        let mut phone_work = optional(&mut e, "phone_work", &self.phone_work, Phone::parse);
        if let (Some(phone), Some(kind)) = (optional(&mut e, "phone", &self.phone, Phone::parse), preferred_phone) {
            let slot = match kind {
                PhoneKind::Mobile => &mut phone_mobile,
                PhoneKind::Home => &mut phone_home,
                PhoneKind::Work => &mut phone_work,
            };
            if slot.is_none() {
                *slot = Some(phone);
            }
        }
        // A preferred kind chosen explicitly must have a number (a typo in it is reported on its own field).
        if let Some(kind) = preferred_phone.filter(|_| !self.preferred_phone.trim().is_empty()) {
            let (slot, raw) = match kind {
                PhoneKind::Mobile => (&phone_mobile, format!("{}{}", self.phone_mobile, self.phone)),
                PhoneKind::Home => (&phone_home, format!("{}{}", self.phone_home, self.phone)),
                PhoneKind::Work => (&phone_work, format!("{}{}", self.phone_work, self.phone)),
            };
            if slot.is_none() && raw.trim().is_empty() {
                e.add("preferred_phone", format!("no {} number is given", kind.as_str()));
            }
        }

        let email = optional(&mut e, "email", &self.email, Email::parse);
        let preferred_contact = e.check("preferred_contact", ContactMethod::parse(&self.preferred_contact));
        if preferred_contact == Some(ContactMethod::Email) && email.is_none() && self.email.trim().is_empty() {
            e.add("email", "required when the preferred contact is e-mail");
        }
        if matches!(preferred_contact, Some(ContactMethod::Text))
            && phone_mobile.is_none()
            && self.phone_mobile.trim().is_empty()
            && self.phone.trim().is_empty()
        {
            e.add("phone_mobile", "required when the preferred contact is text messages");
        }
        let language = free_text(&mut e, "language", &self.language, 40);
        let address = self.address.validate(&mut e, "address.");
        if preferred_contact == Some(ContactMethod::Mail) && self.address.is_blank() {
            e.add("address.line1", "required when the preferred contact is mail");
        }

        let emergency_contact = self.validate_emergency_contact(&mut e);
        let guarantor = match &self.guarantor {
            Some(g) if !g.is_blank() => validate_guarantor(g, &mut e, today),
            _ => None,
        };

        if !e.is_empty() {
            return Err(e);
        }
        match (family_name, given_name, birth_date, sex, preferred_phone, preferred_contact) {
            (Some(family_name), Some(given_name), Some(birth_date), Some(sex), Some(preferred_phone), Some(preferred_contact)) => {
                Ok(PatientData {
                    family_name,
                    given_name,
                    middle_name,
                    preferred_name,
                    suffix,
                    birth_date,
                    sex,
                    phone_mobile,
                    phone_home,
                    phone_work,
                    preferred_phone,
                    email,
                    preferred_contact,
                    language,
                    address,
                    emergency_contact,
                    guarantor,
                })
            }
            _ => Err(ValidationErrors::single("patient", "incomplete registration")),
        }
    }

    /// Every text field with its name, for checks that apply to all of them.
    fn text_fields(&self) -> Vec<(String, &str)> {
        let mut fields: Vec<(String, &str)> = [
            ("family_name", &self.family_name),
            ("given_name", &self.given_name),
            ("middle_name", &self.middle_name),
            ("preferred_name", &self.preferred_name),
            ("suffix", &self.suffix),
            ("birth_date", &self.birth_date),
            ("sex", &self.sex),
            ("phone", &self.phone),
            ("phone_mobile", &self.phone_mobile),
            ("phone_home", &self.phone_home),
            ("phone_work", &self.phone_work),
            ("preferred_phone", &self.preferred_phone),
            ("email", &self.email),
            ("preferred_contact", &self.preferred_contact),
            ("language", &self.language),
            ("emergency_contact_name", &self.emergency_contact_name),
            ("emergency_contact_relationship", &self.emergency_contact_relationship),
            ("emergency_contact_phone", &self.emergency_contact_phone),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_str()))
        .collect();
        fields.extend(self.address.text_fields("address."));
        if let Some(g) = &self.guarantor {
            for (k, v) in [
                ("family_name", &g.family_name),
                ("given_name", &g.given_name),
                ("relationship", &g.relationship),
                ("birth_date", &g.birth_date),
                ("phone", &g.phone),
            ] {
                fields.push((format!("guarantor.{k}"), v.as_str()));
            }
            fields.extend(g.address.text_fields("guarantor.address."));
        }
        fields
    }

    fn validate_emergency_contact(&self, e: &mut ValidationErrors) -> Option<EmergencyContact> {
        let name = clean(&self.emergency_contact_name);
        let phone_text = self.emergency_contact_phone.trim();
        let relationship = free_text(e, "emergency_contact_relationship", &self.emergency_contact_relationship, 40);
        match (name, phone_text.is_empty()) {
            (None, true) => {
                if relationship.is_some() {
                    e.add("emergency_contact_name", "enter the emergency contact's name");
                }
                None
            }
            (None, false) => {
                e.add("emergency_contact_name", "enter the emergency contact's name");
                None
            }
            (Some(_), true) => {
                e.add("emergency_contact_phone", "enter the emergency contact's phone number");
                None
            }
            (Some(name), false) => {
                let phone = e.check("emergency_contact_phone", Phone::parse(phone_text))?;
                if name.chars().count() > 120 {
                    e.add("emergency_contact_name", "at most 120 characters");
                }
                Some(EmergencyContact { name, relationship, phone })
            }
        }
    }
}

impl GuarantorInput {
    fn is_blank(&self) -> bool {
        [&self.family_name, &self.given_name, &self.relationship, &self.birth_date, &self.phone].iter().all(|s| s.trim().is_empty())
            && self.address.is_blank()
    }
}

fn validate_guarantor(g: &GuarantorInput, e: &mut ValidationErrors, today: NaiveDate) -> Option<Guarantor> {
    let family_name = e.check("guarantor.family_name", parse_name_part(&g.family_name));
    let given_name = e.check("guarantor.given_name", parse_name_part(&g.given_name));
    let relationship = {
        let r = g.relationship.trim();
        if GUARANTOR_RELATIONSHIPS.contains(&r) {
            Some(r.to_string())
        } else {
            e.add("guarantor.relationship", "choose parent, spouse, legal_guardian or other");
            None
        }
    };
    let birth_date = optional(e, "guarantor.birth_date", &g.birth_date, |t| parse_birth_date(t, today));
    let phone = optional(e, "guarantor.phone", &g.phone, Phone::parse);
    let address = g.address.validate(e, "guarantor.address.");
    Some(Guarantor { family_name: family_name?, given_name: given_name?, relationship: relationship?, birth_date, phone, address })
}

/// Text with control characters (NUL, escape, line breaks in one-line fields) is refused: it
/// has no place in a name or an address, breaks printed forms and X12 files, and PostgreSQL
/// cannot store NUL at all.
fn control_character_errors(fields: &[(String, &str)]) -> ValidationErrors {
    let mut e = ValidationErrors::new();
    for (name, value) in fields {
        if value.chars().any(char::is_control) {
            e.add(name, "contains control characters (such as NUL or a line break); type it again");
        }
    }
    e
}

/// A birth date: a real date, not in the future, not more than 130 years ago.
pub fn parse_birth_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_date(text)?;
    if date > today {
        return Err("the birth date is in the future".into());
    }
    if age_on(date, today) > MAX_AGE_YEARS {
        return Err(format!("a birth date more than {MAX_AGE_YEARS} years ago is not plausible"));
    }
    Ok(date)
}

/// A medical record number: a 7-digit sequence and a Luhn check digit, so a mistyped MRN is
/// caught at once instead of opening another patient's chart.
pub fn mrn_from_sequence(sequence: u64) -> String {
    let body = format!("{:07}", sequence % 10_000_000);
    format!("{body}{}", luhn_check_digit(&body))
}

/// Whether `text` is a well-formed MRN (8 digits, valid check digit).
pub fn is_valid_mrn(text: &str) -> bool {
    text.len() == 8 && text.chars().all(|c| c.is_ascii_digit()) && luhn_check_digit(&text[..7]) == text.as_bytes()[7] - b'0'
}

/// The Luhn check digit for a string of ASCII digits.
pub fn luhn_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.saturating_sub(b'0'));
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    ((10 - (sum % 10)) % 10) as u8
}

// ---------------------------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------------------------

/// What an existing patient has that a new registration is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateProbe<'a> {
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub birth_date: NaiveDate,
    pub phones: Vec<&'a str>,
}

/// Why an existing patient looks like the one being registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameNameAndBirthDate,
    SimilarNameAndBirthDate,
    SameBirthDateAndPhone,
    SameNameAndPhone,
}

impl DuplicateReason {
    pub fn explain(self) -> &'static str {
        match self {
            DuplicateReason::SameNameAndBirthDate => "same name and date of birth",
            DuplicateReason::SimilarNameAndBirthDate => "similar name and same date of birth",
            DuplicateReason::SameBirthDateAndPhone => "same date of birth and phone number",
            DuplicateReason::SameNameAndPhone => "same name and phone number (check the date of birth)",
        }
    }
}

/// Whether `existing` is likely the same person as `new`: the same (or a similar-sounding) name
/// and birth date, the same birth date and phone, or the same name and phone (a mistyped birth
/// date must not let a second chart in).
pub fn likely_duplicate(new: &PatientData, existing: &DuplicateProbe<'_>) -> Option<DuplicateReason> {
    let norm = crate::search::normalize;
    let same_family = norm(&new.family_name) == norm(existing.family_name);
    let same_given = norm(&new.given_name) == norm(existing.given_name);
    let shares_phone = new.phones().any(|p| existing.phones.contains(&p.digits()));
    if new.birth_date != existing.birth_date {
        return (same_family && same_given && shares_phone).then_some(DuplicateReason::SameNameAndPhone);
    }
    if same_family && same_given {
        return Some(DuplicateReason::SameNameAndBirthDate);
    }
    let phonetic = crate::search::phonetic_key;
    let similar_family = same_family || phonetic(&new.family_name) == phonetic(existing.family_name);
    let (new_given, old_given) = (norm(&new.given_name), norm(existing.given_name));
    let similar_given = same_given
        || phonetic(&new.given_name) == phonetic(existing.given_name)
        || new_given.chars().next() == old_given.chars().next() && (new_given.starts_with(&old_given) || old_given.starts_with(&new_given));
    if similar_family && similar_given {
        return Some(DuplicateReason::SimilarNameAndBirthDate);
    }
    shares_phone.then_some(DuplicateReason::SameBirthDateAndPhone)
}

// ---------------------------------------------------------------------------------------------
// Insurance coverage
// ---------------------------------------------------------------------------------------------

/// The patient's relationship to the insurance subscriber (X12 codes 18, 01, 19, G8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberRelationship {
    #[serde(rename = "self")]
    SelfInsured,
    Spouse,
    Child,
    Other,
}

impl SubscriberRelationship {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberRelationship::SelfInsured => "self",
            SubscriberRelationship::Spouse => "spouse",
            SubscriberRelationship::Child => "child",
            SubscriberRelationship::Other => "other",
        }
    }
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "self" | "" | "18" => Ok(Self::SelfInsured),
            "spouse" | "01" => Ok(Self::Spouse),
            "child" | "19" => Ok(Self::Child),
            "other" | "G8" => Ok(Self::Other),
            other => Err(format!("'{other}' is not one of self, spouse, child, other")),
        }
    }
    /// The X12 individual relationship code (SBR02 / PAT01).
    pub fn x12_code(self) -> &'static str {
        match self {
            Self::SelfInsured => "18",
            Self::Spouse => "01",
            Self::Child => "19",
            Self::Other => "G8",
        }
    }
}

/// Primary, secondary or tertiary.
pub fn priority_label(priority: u8) -> &'static str {
    match priority {
        1 => "primary",
        2 => "secondary",
        3 => "tertiary",
        _ => "other",
    }
}

/// A coverage as text from a form or JSON. `copay_cents` wins over `copay` (dollars as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageInput {
    pub payer_id: String,
    pub member_id: String,
    pub group_number: String,
    pub plan_name: String,
    pub priority: String,
    pub relationship_to_subscriber: String,
    pub subscriber_family_name: String,
    pub subscriber_given_name: String,
    pub subscriber_birth_date: String,
    pub subscriber_sex: String,
    pub copay: String,
    pub copay_cents: Option<i64>,
    pub start_date: String,
    pub end_date: String,
}

/// The insured person when it is not the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    pub family_name: String,
    pub given_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

/// A valid coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageData {
    pub payer_id: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub plan_name: Option<String>,
    pub priority: u8,
    pub relationship_to_subscriber: SubscriberRelationship,
    /// `None` when the patient is the subscriber.
    pub subscriber: Option<Subscriber>,
    pub copay: Money,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// Member ids and group numbers: letters, digits and hyphens, as printed on the card.
fn parse_card_id(text: &str, what: &str) -> Result<String, String> {
    let id: String = text.trim().to_uppercase().chars().filter(|c| *c != ' ').collect();
    if id.len() < 2 || id.len() > 50 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("{what} has 2 to 50 letters, digits or hyphens, as printed on the card"));
    }
    Ok(id)
}

impl CoverageInput {
    pub fn validate(&self, today: NaiveDate) -> Result<CoverageData, ValidationErrors> {
        let fields: Vec<(String, &str)> = [
            ("payer_id", &self.payer_id),
            ("member_id", &self.member_id),
            ("group_number", &self.group_number),
            ("plan_name", &self.plan_name),
            ("priority", &self.priority),
            ("relationship_to_subscriber", &self.relationship_to_subscriber),
            ("subscriber_family_name", &self.subscriber_family_name),
            ("subscriber_given_name", &self.subscriber_given_name),
            ("subscriber_birth_date", &self.subscriber_birth_date),
            ("subscriber_sex", &self.subscriber_sex),
            ("copay", &self.copay),
            ("start_date", &self.start_date),
            ("end_date", &self.end_date),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.as_str()))
        .collect();
        let control = control_character_errors(&fields);
        if !control.is_empty() {
            return Err(control);
        }
        let mut e = ValidationErrors::new();
        let payer_id = clean(&self.payer_id);
        if payer_id.is_none() {
            e.add("payer_id", "choose the insurance company");
        }
        let member_id = e.check("member_id", parse_card_id(&self.member_id, "a member id"));
        let group_number = optional(&mut e, "group_number", &self.group_number, |t| parse_card_id(t, "a group number"));
        let plan_name = free_text(&mut e, "plan_name", &self.plan_name, 80);
        let priority = match self.priority.trim() {
            "1" | "primary" | "" => Some(1u8),
            "2" | "secondary" => Some(2),
            "3" | "tertiary" => Some(3),
            other => {
                e.add("priority", format!("'{other}' is not 1 (primary), 2 (secondary) or 3 (tertiary)"));
                None
            }
        };
        let relationship = e.check("relationship_to_subscriber", SubscriberRelationship::parse(&self.relationship_to_subscriber));
        let subscriber = match relationship {
            Some(SubscriberRelationship::SelfInsured) | None => None,
            Some(_) => {
                let family_name = e.check("subscriber_family_name", parse_name_part(&self.subscriber_family_name));
                let given_name = e.check("subscriber_given_name", parse_name_part(&self.subscriber_given_name));
                let birth_date = e.check("subscriber_birth_date", parse_birth_date(&self.subscriber_birth_date, today));
                let sex = e.check("subscriber_sex", Sex::parse(&self.subscriber_sex));
                match (family_name, given_name, birth_date, sex) {
                    (Some(family_name), Some(given_name), Some(birth_date), Some(sex)) => {
                        Some(Subscriber { family_name, given_name, birth_date, sex })
                    }
                    _ => None,
                }
            }
        };
        let copay = match self.copay_cents {
            Some(cents) => Some(Money::from_cents(cents)),
            None if self.copay.trim().is_empty() => Some(Money::ZERO),
            None => e.check("copay", Money::parse(&self.copay)),
        };
        let copay_field = if self.copay_cents.is_some() { "copay_cents" } else { "copay" };
        if let Some(c) = copay {
            if c.cents() < 0 {
                e.add(copay_field, "a co-pay cannot be negative");
            } else if c.cents() > 1_000_000 {
                e.add(copay_field, "a co-pay above $10,000.00 is not plausible");
            }
        }
        let start_date = if self.start_date.trim().is_empty() {
            e.add("start_date", "enter the date the coverage starts (on the card as 'effective')");
            None
        } else {
            e.check("start_date", parse_date(&self.start_date))
        };
        let end_date = optional(&mut e, "end_date", &self.end_date, parse_date);
        if let (Some(start), Some(end)) = (start_date, end_date)
            && end < start
        {
            e.add("end_date", "the end date is before the start date");
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (payer_id, member_id, priority, relationship, copay, start_date) {
            (Some(payer_id), Some(member_id), Some(priority), Some(relationship_to_subscriber), Some(copay), Some(start_date)) => {
                Ok(CoverageData {
                    payer_id,
                    member_id,
                    group_number,
                    plan_name,
                    priority,
                    relationship_to_subscriber,
                    subscriber,
                    copay,
                    start_date,
                    end_date,
                })
            }
            _ => Err(ValidationErrors::single("coverage", "incomplete coverage")),
        }
    }
}

/// The part of an existing coverage that the overlap rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveragePeriod {
    pub id: String,
    pub payer_name: String,
    pub priority: u8,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// A patient cannot have two coverages of the same priority (two primaries) on the same day.
/// `existing` excludes the coverage being edited.
pub fn check_priority_overlap(new: &CoverageData, existing: &[CoveragePeriod]) -> Result<(), ValidationErrors> {
    for other in existing.iter().filter(|c| c.priority == new.priority) {
        let new_end = new.end_date.unwrap_or(NaiveDate::MAX);
        let other_end = other.end_date.unwrap_or(NaiveDate::MAX);
        if new.start_date <= other_end && other.start_date <= new_end {
            let until = other.end_date.map(|d| format!("until {d}")).unwrap_or_else(|| "with no end date".into());
            return Err(ValidationErrors::single(
                "priority",
                format!(
                    "the patient already has a {} coverage ({}) from {} {until}; end it first or choose another priority",
                    priority_label(new.priority),
                    other.payer_name,
                    other.start_date
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
