//! Mailings: fliers and newsletters to a filtered list of patients.
//!
//! A [`FilterInput`] (text as typed in the form) validates into a [`Filter`]: an age range as of
//! today, a window on the last visit, a provider, a payer, a recall due by a date, a preferred
//! contact method, and the channel (postal or e-mail). The store lists the patients that match;
//! [`classify`] then decides, patient by patient, whether they receive the mailing or why not
//! ([`Exclusion`]): a merged record, an opt-out of this channel, no usable postal address (or one
//! flagged by returned mail), no e-mail address. The text of a mailing may use the letters' merge
//! fields that make sense for everyone ([`MAILING_FIELDS`]).

use crate::ValidationErrors;
use crate::letters;
use crate::patients::{ContactMethod, parse_date};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The oldest age the filter accepts, in years.
pub const MAX_AGE_YEARS: u32 = 130;

/// How a mailing goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Printed and posted: labels, envelopes and the printed fliers.
    Postal,
    /// Sent by e-mail through the practice's mail server.
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Postal => "postal",
            Channel::Email => "email",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Postal => "Postal mail",
            Channel::Email => "E-mail",
        }
    }

    /// `postal` (the default when blank) or `email`.
    pub fn parse(text: &str) -> Result<Channel, String> {
        match text.trim() {
            "" | "postal" => Ok(Channel::Postal),
            "email" => Ok(Channel::Email),
            other => Err(format!("'{}' is not a channel: choose postal or email", other.chars().take(40).collect::<String>())),
        }
    }
}

/// The filter as typed: every criterion optional (blank means "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterInput {
    /// Youngest age in whole years, as of today.
    pub age_min: String,
    /// Oldest age in whole years, as of today.
    pub age_max: String,
    /// Last visit before this date (patients never seen do not match).
    pub last_visit_before: String,
    /// Last visit on or after this date.
    pub last_visit_after: String,
    /// Patients seen by or booked with this provider.
    pub provider_id: String,
    /// Patients with a coverage in force today with this payer.
    pub payer_id: String,
    /// Patients with an open recall due on or before this date.
    pub recall_due_by: String,
    /// `phone`, `text`, `email` or `mail`.
    pub preferred_contact: String,
    /// `postal` or `email`.
    pub channel: String,
}

/// A valid filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub last_visit_before: Option<NaiveDate>,
    pub last_visit_after: Option<NaiveDate>,
    pub provider_id: Option<String>,
    pub payer_id: Option<String>,
    pub recall_due_by: Option<NaiveDate>,
    pub preferred_contact: Option<ContactMethod>,
    pub channel: Channel,
}

fn parse_age(text: &str) -> Result<Option<u32>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u32>() {
        Ok(n) if n <= MAX_AGE_YEARS => Ok(Some(n)),
        _ => Err(format!("enter an age in whole years from 0 to {MAX_AGE_YEARS}")),
    }
}

fn optional_date(text: &str) -> Result<Option<NaiveDate>, String> {
    if text.trim().is_empty() { Ok(None) } else { parse_date(text).map(Some) }
}

fn optional_id(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(64).collect())
}

impl FilterInput {
    /// Checks every criterion, naming each field at fault.
    pub fn validate(&self) -> Result<Filter, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let age_min = e.check("age_min", parse_age(&self.age_min)).flatten();
        let age_max = e.check("age_max", parse_age(&self.age_max)).flatten();
        if let (Some(min), Some(max)) = (age_min, age_max)
            && min > max
        {
            e.add("age_max", format!("the oldest age ({max}) is below the youngest ({min})"));
        }
        let before = e.check("last_visit_before", optional_date(&self.last_visit_before)).flatten();
        let after = e.check("last_visit_after", optional_date(&self.last_visit_after)).flatten();
        if let (Some(b), Some(a)) = (before, after)
            && a >= b
        {
            e.add("last_visit_before", format!("no date is on or after {a} and before {b}: widen the window"));
        }
        let recall_due_by = e.check("recall_due_by", optional_date(&self.recall_due_by)).flatten();
        let preferred_contact = match self.preferred_contact.trim() {
            "" | "any" => None,
            text => e.check("preferred_contact", ContactMethod::parse(text)),
        };
        let channel = e.check("channel", Channel::parse(&self.channel));
        match channel {
            Some(channel) if e.is_empty() => Ok(Filter {
                age_min,
                age_max,
                last_visit_before: before,
                last_visit_after: after,
                provider_id: optional_id(&self.provider_id),
                payer_id: optional_id(&self.payer_id),
                recall_due_by,
                preferred_contact,
                channel,
            }),
            _ => Err(e),
        }
    }
}

impl Filter {
    /// The filter as typed again (stored with the mailing as JSON, and refilled into the form).
    pub fn to_input(&self) -> FilterInput {
        FilterInput {
            age_min: self.age_min.map(|a| a.to_string()).unwrap_or_default(),
            age_max: self.age_max.map(|a| a.to_string()).unwrap_or_default(),
            last_visit_before: self.last_visit_before.map(|d| d.to_string()).unwrap_or_default(),
            last_visit_after: self.last_visit_after.map(|d| d.to_string()).unwrap_or_default(),
            provider_id: self.provider_id.clone().unwrap_or_default(),
            payer_id: self.payer_id.clone().unwrap_or_default(),
            recall_due_by: self.recall_due_by.map(|d| d.to_string()).unwrap_or_default(),
            preferred_contact: self.preferred_contact.map(|c| c.as_str().to_string()).unwrap_or_default(),
            channel: self.channel.as_str().to_string(),
        }
    }

    /// The birth dates the age range allows as of `today`: (born on or before, born after).
    /// Someone is `n` years old from their `n`-th birthday on; a birthday on February 29 comes
    /// on March 1 in other years.
    pub fn birth_date_bounds(&self, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let years_ago = |n: u32| today.checked_sub_months(Months::new(n.saturating_mul(12)));
        let on_or_before = self.age_min.and_then(years_ago);
        // Aged at most `max`: not yet `max + 1`, so born after that birthday's date.
        let after = self.age_max.and_then(|max| years_ago(max + 1));
        (on_or_before, after)
    }
}

/// Why a patient the filter matched does not receive the mailing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The record was merged into another one (the survivor is listed on its own).
    Merged,
    /// The patient asked not to receive mailings by this channel.
    OptedOut,
    /// No complete postal address (street, city, state and ZIP).
    NoAddress,
    /// The address is flagged: mail sent there came back.
    BadAddress,
    /// No e-mail address on file.
    NoEmail,
    /// The text uses a merge field this patient has no value for.
    MergeFields,
}

impl Exclusion {
    pub const ALL: [Exclusion; 6] =
        [Exclusion::Merged, Exclusion::OptedOut, Exclusion::NoAddress, Exclusion::BadAddress, Exclusion::NoEmail, Exclusion::MergeFields];

    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::Merged => "merged",
            Exclusion::OptedOut => "opted_out",
            Exclusion::NoAddress => "no_address",
            Exclusion::BadAddress => "bad_address",
            Exclusion::NoEmail => "no_email",
            Exclusion::MergeFields => "merge_fields",
        }
    }

    pub fn parse(text: &str) -> Option<Exclusion> {
        Exclusion::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// The reason in words.
    pub fn label(self) -> &'static str {
        match self {
            Exclusion::Merged => "merged into another record",
            Exclusion::OptedOut => "opted out of mailings by this channel",
            Exclusion::NoAddress => "no complete postal address",
            Exclusion::BadAddress => "address flagged by returned mail",
            Exclusion::NoEmail => "no e-mail address",
            Exclusion::MergeFields => "the text needs a value this patient does not have",
        }
    }
}

/// A postal address as stored (any part may be missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostalAddress {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
}

fn filled(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl PostalAddress {
    /// The address lines under the name (`12 Elm St`, `Apt 2`, `Albany, NY 12207`), or `None`
    /// when the street, city, state or ZIP is missing: such a piece would not be delivered.
    pub fn lines(&self) -> Option<Vec<String>> {
        let line1 = filled(&self.line1)?;
        let (city, state, zip) = (filled(&self.city)?, filled(&self.state)?, filled(&self.postal_code)?);
        let mut out = vec![line1.to_string()];
        if let Some(l2) = filled(&self.line2) {
            out.push(l2.to_string());
        }
        out.push(format!("{city}, {state} {zip}"));
        Some(out)
    }
}

/// What is known of one matched patient, to decide whether they receive the mailing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    pub merged: bool,
    pub opted_out_postal: bool,
    pub opted_out_email: bool,
    /// An open returned-mail flag on the address.
    pub bad_address: bool,
    pub email: Option<String>,
    pub address: PostalAddress,
}

/// Where the mailing goes for this patient (the address lines, or the e-mail address as one
/// line), or why it does not. A merged record is named first, then an opt-out, then the address.
pub fn classify(c: &Candidate, channel: Channel) -> Result<Vec<String>, Exclusion> {
    if c.merged {
        return Err(Exclusion::Merged);
    }
    match channel {
        Channel::Postal => {
            if c.opted_out_postal {
                return Err(Exclusion::OptedOut);
            }
            let lines = c.address.lines().ok_or(Exclusion::NoAddress)?;
            if c.bad_address {
                return Err(Exclusion::BadAddress);
            }
            Ok(lines)
        }
        Channel::Email => {
            if c.opted_out_email {
                return Err(Exclusion::OptedOut);
            }
            match filled(&c.email) {
                Some(email) if email.contains('@') => Ok(vec![email.to_string()]),
                _ => Err(Exclusion::NoEmail),
            }
        }
    }
}

/// The merge fields a mailing's text may use: the ones every patient of a list can have. The
/// others (an appointment, a balance, an insurer, a recipient) belong to letters about one
/// patient's care or account.
pub const MAILING_FIELDS: [&str; 16] = [
    "letter.date",
    "patient.full_name",
    "patient.given_name",
    "patient.family_name",
    "patient.birth_date",
    "patient.mrn",
    "patient.address",
    "patient.phone",
    "patient.email",
    "practice.name",
    "practice.address",
    "practice.phone",
    "provider.full_name",
    "provider.npi",
    "sender.name",
    "sender.title",
];

/// The problems of a mailing's text: syntax and unknown fields as letters report them, and
/// known fields a mailing cannot fill, each named.
pub fn check_text(text: &str) -> Vec<String> {
    let (used, errors) = letters::fields_used(text);
    let mut out: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for field in used {
        if !MAILING_FIELDS.contains(&field.as_str()) {
            out.push(format!("{{{{{field}}}}} cannot be used in a mailing: use the patient's, practice's, provider's or sender's fields"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.errors.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_blank_filter_is_valid_and_posts_by_default() {
        let f = FilterInput::default().validate().unwrap();
        assert_eq!(f.channel, Channel::Postal);
        assert_eq!(f.age_min, None);
        assert_eq!(f.preferred_contact, None);
        assert_eq!(f.birth_date_bounds(d("2026-06-15")), (None, None));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let input = FilterInput {
            age_min: "-3".into(),
            age_max: "old".into(),
            last_visit_before: "2026-02-30".into(),
            last_visit_after: "yesterday".into(),
            recall_due_by: "13/45/2026".into(),
            preferred_contact: "pigeon".into(),
            channel: "fax".into(),
            ..Default::default()
        };
        let e = input.validate().unwrap_err();
        assert_eq!(
            fields(e),
            vec!["age_min", "age_max", "last_visit_before", "last_visit_after", "recall_due_by", "preferred_contact", "channel"]
        );
    }

    #[test]
    fn an_age_range_upside_down_is_refused_on_the_oldest_age() {
        let e = FilterInput { age_min: "65".into(), age_max: "18".into(), ..Default::default() }.validate().unwrap_err();
        assert_eq!(fields(e.clone()), vec!["age_max"]);
        assert!(e.errors[0].message.contains("below the youngest"));
        assert!(FilterInput { age_min: "131".into(), ..Default::default() }.validate().is_err());
    }

    #[test]
    fn an_empty_last_visit_window_is_refused() {
        let input = FilterInput { last_visit_after: "2026-01-01".into(), last_visit_before: "2026-01-01".into(), ..Default::default() };
        assert_eq!(fields(input.validate().unwrap_err()), vec!["last_visit_before"]);
        let ok = FilterInput { last_visit_after: "2025-01-01".into(), last_visit_before: "01/01/2026".into(), ..Default::default() };
        assert_eq!(ok.validate().unwrap().last_visit_before, Some(d("2026-01-01")));
    }

    #[test]
    fn ages_become_birth_date_bounds_as_of_today() {
        let f = FilterInput { age_min: "18".into(), age_max: "64".into(), ..Default::default() }.validate().unwrap();
        let (on_or_before, after) = f.birth_date_bounds(d("2026-06-15"));
        // 18 today: born on or before 2008-06-15. At most 64: not 65 yet, born after 1961-06-15.
        assert_eq!(on_or_before, Some(d("2008-06-15")));
        assert_eq!(after, Some(d("1961-06-15")));
    }

    #[test]
    fn a_leap_day_birthday_counts_from_march_first_in_other_years() {
        let f = FilterInput { age_min: "26".into(), ..Default::default() }.validate().unwrap();
        // On 2026-02-28, born 2000-02-29 is still 25.
        let (on_or_before, _) = f.birth_date_bounds(d("2026-02-28"));
        assert!(d("2000-02-29") > on_or_before.unwrap());
        let (on_or_before, _) = f.birth_date_bounds(d("2026-03-01"));
        assert!(d("2000-02-29") <= on_or_before.unwrap());
    }

    #[test]
    fn the_filter_round_trips_through_its_typed_form() {
        let input = FilterInput {
            age_min: "5".into(),
            age_max: "17".into(),
            last_visit_before: "2026-01-01".into(),
            last_visit_after: "2024-01-01".into(),
            provider_id: "prov-1".into(),
            payer_id: "payer-2".into(),
            recall_due_by: "2026-07-01".into(),
            preferred_contact: "mail".into(),
            channel: "email".into(),
        };
        let f = input.validate().unwrap();
        assert_eq!(f.to_input(), input);
    }

    fn addressed() -> Candidate {
        Candidate {
            email: Some("pat@example.com".into()),
            address: PostalAddress {
                line1: Some("12 Elm St".into()),
                line2: Some(" ".into()),
                city: Some("Albany".into()),
                state: Some("NY".into()),
                postal_code: Some("12207".into()),
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_address_gives_the_label_lines() {
        assert_eq!(classify(&addressed(), Channel::Postal).unwrap(), vec!["12 Elm St", "Albany, NY 12207"]);
        assert_eq!(classify(&addressed(), Channel::Email).unwrap(), vec!["pat@example.com"]);
    }

    #[test]
    fn exclusions_are_named_merged_first_then_opt_out_then_address() {
        let merged = Candidate { merged: true, opted_out_postal: true, ..addressed() };
        assert_eq!(classify(&merged, Channel::Postal), Err(Exclusion::Merged));
        let opted = Candidate { opted_out_postal: true, bad_address: true, ..addressed() };
        assert_eq!(classify(&opted, Channel::Postal), Err(Exclusion::OptedOut));
        // Opting out of paper does not stop e-mail.
        assert!(classify(&opted, Channel::Email).is_ok());
        let bad = Candidate { bad_address: true, ..addressed() };
        assert_eq!(classify(&bad, Channel::Postal), Err(Exclusion::BadAddress));
        let mut no_city = addressed();
        no_city.address.city = None;
        assert_eq!(classify(&no_city, Channel::Postal), Err(Exclusion::NoAddress));
        let no_email = Candidate { email: Some("  ".into()), ..addressed() };
        assert_eq!(classify(&no_email, Channel::Email), Err(Exclusion::NoEmail));
        let opted_email = Candidate { opted_out_email: true, ..addressed() };
        assert_eq!(classify(&opted_email, Channel::Email), Err(Exclusion::OptedOut));
    }

    #[test]
    fn every_exclusion_reads_back_from_its_code() {
        for e in Exclusion::ALL {
            assert_eq!(Exclusion::parse(e.as_str()), Some(e));
        }
        assert_eq!(Exclusion::parse("nope"), None);
    }

    #[test]
    fn a_mailing_text_may_use_the_fields_everyone_has_only() {
        assert!(check_text("Dear {{patient.full_name}}, news from {{practice.name}}").is_empty());
        let problems = check_text("You owe {{balance.amount}} {{patient.shoe_size}} {{");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("{{balance.amount}} cannot be used in a mailing")));
        assert!(problems.iter().any(|p| p.contains("{{patient.shoe_size}} is not a merge field")));
        for f in MAILING_FIELDS {
            assert!(letters::is_known_field(f), "{f}");
        }
    }
}
