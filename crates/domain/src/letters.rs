//! Letter templates and their merge fields: `{{patient.full_name}}` and the like.
//!
//! The renderer is pure: it takes a template's text and the values known for one letter and
//! answers the letter's text, or every problem at once. A field the renderer does not know, and a
//! known field with no value for this letter, are both errors naming the field: a letter is never
//! printed with a blank where a name or an amount should be. Values are inserted once (a value
//! that itself contains `{{...}}` is not expanded again) and escaped for the output: nothing for
//! plain text (the PDF), HTML entities for the preview.

use std::collections::BTreeMap;
use std::fmt;

/// Every merge field a template may use, with what it holds (shown to the office manager).
pub const FIELDS: [(&str, &str); 32] = [
    ("letter.date", "today's date, e.g. June 15, 2026"),
    ("patient.full_name", "the patient's name, e.g. Pat Doe"),
    ("patient.given_name", "the patient's given (first) name"),
    ("patient.family_name", "the patient's family (last) name"),
    ("patient.birth_date", "the patient's date of birth"),
    ("patient.mrn", "the patient's chart number"),
    ("patient.address", "the patient's mailing address (several lines)"),
    ("patient.phone", "the patient's preferred phone"),
    ("patient.email", "the patient's e-mail address"),
    ("guarantor.full_name", "who pays the bill (the patient when no guarantor is recorded)"),
    ("guarantor.address", "the guarantor's mailing address (several lines)"),
    ("provider.full_name", "the provider, with credentials, e.g. Ann Lee, MD"),
    ("provider.npi", "the provider's NPI"),
    ("practice.name", "the practice's name"),
    ("practice.address", "the practice's address (one line)"),
    ("practice.phone", "the practice's phone"),
    ("appointment.date", "the patient's next appointment: date"),
    ("appointment.time", "the patient's next appointment: time"),
    ("appointment.provider", "the patient's next appointment: provider"),
    ("missed_appointment.date", "the date of the patient's latest missed appointment"),
    ("balance.amount", "what the patient owes now (AR - Patients), e.g. $120.00"),
    ("balance.days_past_due", "days since the oldest unpaid charge"),
    ("insurer.name", "the primary coverage's payer"),
    ("insurer.member_id", "the patient's member id with the primary payer"),
    ("insurer.group_number", "the group number of the primary coverage"),
    ("insurer.address", "the primary payer's claims address (one line)"),
    ("insurer.phone", "the primary payer's phone"),
    ("recipient.name", "the other practice or person the letter goes to"),
    ("recipient.address", "the recipient's address (typed or from the directory)"),
    ("recipient.phone", "the recipient's phone or fax"),
    ("sender.name", "who signs the letter: the provider, else the office manager"),
    ("sender.title", "the signer's title, e.g. Office manager"),
];

/// Whether `name` is a merge field the renderer knows.
pub fn is_known_field(name: &str) -> bool {
    FIELDS.iter().any(|(f, _)| *f == name)
}

/// How the values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// For the PDF and e-mail: text as is.
    Plain,
    /// For the preview in a page: `<`, `>`, `&`, `"` and `'` as entities (the template's own text
    /// too), so a value can never add markup.
    Html,
}

/// One problem with a template or with one letter's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// `{{...}}` names a field the renderer does not know.
    UnknownField(String),
    /// A known field with no value for this letter (no appointment booked, no insurance...).
    MissingValue(String),
    /// `{{` without its `}}`.
    Unclosed,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::UnknownField(n) => write!(f, "{{{{{n}}}}} is not a merge field"),
            MergeError::MissingValue(n) => write!(f, "{{{{{n}}}}} has no value for this letter"),
            MergeError::Unclosed => f.write_str("a {{ is not closed with }}"),
        }
    }
}

/// The values known for one letter: a field with `None` is known to have no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeValues {
    values: BTreeMap<String, Option<String>>,
}

impl MergeValues {
    pub fn new() -> MergeValues {
        MergeValues::default()
    }

    /// Sets a field's value; blank text counts as no value.
    pub fn set(&mut self, field: &str, value: Option<impl Into<String>>) {
        let value = value.map(Into::into).filter(|v: &String| !v.trim().is_empty());
        self.values.insert(field.to_string(), value);
    }

    /// The value of a field, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values.get(field).and_then(|v| v.as_deref())
    }
}

/// The fields a template uses, in order of first use, and its syntax errors (unknown fields,
/// unclosed braces): what the editor checks before saving.
pub fn fields_used(template: &str) -> (Vec<String>, Vec<MergeError>) {
    let mut used = Vec::new();
    let mut errors = Vec::new();
    for piece in pieces(template) {
        match piece {
            Piece::Field(name) if !is_known_field(&name) => push_once(&mut errors, MergeError::UnknownField(name)),
            Piece::Field(name) => {
                if !used.contains(&name) {
                    used.push(name);
                }
            }
            Piece::Unclosed => push_once(&mut errors, MergeError::Unclosed),
            Piece::Text(_) => {}
        }
    }
    (used, errors)
}

/// Renders `template` with `values`. Every problem is answered at once, each field named once.
pub fn render(template: &str, values: &MergeValues, output: Output) -> Result<String, Vec<MergeError>> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut errors = Vec::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(&escape(text, output)),
            Piece::Field(name) if !is_known_field(&name) => push_once(&mut errors, MergeError::UnknownField(name)),
            Piece::Field(name) => match values.get(&name) {
                Some(value) => out.push_str(&escape(value, output)),
                None => push_once(&mut errors, MergeError::MissingValue(name)),
            },
            Piece::Unclosed => push_once(&mut errors, MergeError::Unclosed),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn push_once(errors: &mut Vec<MergeError>, e: MergeError) {
    if !errors.contains(&e) {
        errors.push(e);
    }
}

enum Piece<'a> {
    Text(&'a str),
    /// The field's name, spaces inside the braces trimmed.
    Field(String),
    Unclosed,
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push(Piece::Field(after[..close].trim().to_string()));
                rest = &after[close + 2..];
            }
            None => {
                out.push(Piece::Unclosed);
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn escape(text: &str, output: Output) -> String {
    match output {
        Output::Plain => text.to_string(),
        Output::Html => {
            let mut s = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '<' => s.push_str("&lt;"),
                    '>' => s.push_str("&gt;"),
                    '&' => s.push_str("&amp;"),
                    '"' => s.push_str("&quot;"),
                    '\'' => s.push_str("&#39;"),
                    c => s.push(c),
                }
            }
            s
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn values() -> MergeValues {
        let mut v = MergeValues::new();
        v.set("patient.full_name", Some("Pat Doe"));
        v.set("practice.name", Some("Maple & Oak <Family> Medicine"));
        v.set("appointment.date", None::<String>);
        v.set("balance.amount", Some("  "));
        v
    }

    #[test]
    fn known_fields_are_replaced_by_their_values() {
        let text = render("Dear {{patient.full_name}},\nfrom {{ practice.name }}", &values(), Output::Plain).unwrap();
        assert_eq!(text, "Dear Pat Doe,\nfrom Maple & Oak <Family> Medicine");
    }

    #[test]
    fn an_unknown_field_is_an_error_naming_it() {
        let errors = render("Hi {{patient.shoe_size}} {{patient.full_name}}", &values(), Output::Plain).unwrap_err();
        assert_eq!(errors, vec![MergeError::UnknownField("patient.shoe_size".into())]);
        assert_eq!(errors[0].to_string(), "{{patient.shoe_size}} is not a merge field");
    }

    #[test]
    fn a_field_without_a_value_is_an_error_never_a_blank() {
        let errors =
            render("On {{appointment.date}} you owe {{balance.amount}}; {{appointment.date}}", &values(), Output::Plain).unwrap_err();
        assert_eq!(errors, vec![MergeError::MissingValue("appointment.date".into()), MergeError::MissingValue("balance.amount".into())]);
    }

    #[test]
    fn a_field_never_given_counts_as_missing() {
        let errors = render("{{insurer.name}}", &MergeValues::new(), Output::Plain).unwrap_err();
        assert_eq!(errors, vec![MergeError::MissingValue("insurer.name".into())]);
    }

    #[test]
    fn an_unclosed_brace_is_an_error() {
        assert_eq!(render("Dear {{patient.full_name", &values(), Output::Plain).unwrap_err(), vec![MergeError::Unclosed]);
    }

    #[test]
    fn the_html_output_escapes_values_and_text() {
        let html = render("<b>{{practice.name}}</b>", &values(), Output::Html).unwrap();
        assert_eq!(html, "&lt;b&gt;Maple &amp; Oak &lt;Family&gt; Medicine&lt;/b&gt;");
    }

    #[test]
    fn a_value_that_looks_like_a_field_is_not_expanded_again() {
        let mut v = values();
        v.set("recipient.name", Some("{{patient.full_name}}"));
        assert_eq!(render("To {{recipient.name}}", &v, Output::Plain).unwrap(), "To {{patient.full_name}}");
    }

    #[test]
    fn fields_used_lists_fields_once_and_reports_unknown_ones() {
        let (used, errors) = fields_used("{{patient.full_name}} {{ patient.full_name }} {{nope}} {{letter.date}}");
        assert_eq!(used, vec!["patient.full_name".to_string(), "letter.date".to_string()]);
        assert_eq!(errors, vec![MergeError::UnknownField("nope".into())]);
    }

    #[test]
    fn every_field_is_namespaced_and_listed_once() {
        for (i, (f, _)) in FIELDS.iter().enumerate() {
            assert!(f.contains('.'), "{f}");
            assert!(!FIELDS[..i].iter().any(|(g, _)| g == f), "{f} twice");
        }
    }
}
