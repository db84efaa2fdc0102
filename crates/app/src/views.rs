//! What use cases return: plain, serialisable views shared by the HTML pages and the JSON API.

use medoffice_domain::money::Money;
use medoffice_domain::patients::{Phone, priority_label};
use medoffice_store::patients::{CoverageWithPayer, PatientRow};
use serde::Serialize;
use utoipa::ToSchema;

/// A postal address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressView {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
}

impl AddressView {
    fn from_parts(
        line1: &Option<String>,
        line2: &Option<String>,
        city: &Option<String>,
        state: &Option<String>,
        postal_code: &Option<String>,
    ) -> Option<AddressView> {
        Some(AddressView {
            line1: line1.clone()?,
            line2: line2.clone(),
            city: city.clone().unwrap_or_default(),
            state: state.clone().unwrap_or_default(),
            postal_code: postal_code.clone().unwrap_or_default(),
        })
    }

    /// "12 Elm St, Apt 2, Albany, NY 12207".
    pub fn one_line(&self) -> String {
        let mut parts = vec![self.line1.clone()];
        parts.extend(self.line2.clone());
        parts.push(format!("{}, {} {}", self.city, self.state, self.postal_code));
        parts.join(", ")
    }
}

/// The patient's phones, formatted `(555) 201-3344`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhonesView {
    pub mobile: Option<String>,
    pub home: Option<String>,
    pub work: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmergencyContactView {
    pub name: String,
    pub relationship: Option<String>,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuarantorView {
    pub family_name: String,
    pub given_name: String,
    pub relationship: String,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressView>,
}

/// A patient's demographics.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    /// Medical record number, assigned by medoffice (8 digits with a check digit).
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub suffix: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `female`, `male`, `other` or `unknown`.
    pub sex: String,
    /// The preferred phone number.
    pub phone: Option<String>,
    pub phones: PhonesView,
    /// `mobile`, `home` or `work`.
    pub preferred_phone: String,
    pub email: Option<String>,
    /// `phone`, `text`, `email` or `mail`.
    pub preferred_contact: String,
    pub language: Option<String>,
    pub address: Option<AddressView>,
    pub emergency_contact: Option<EmergencyContactView>,
    pub guarantor: Option<GuarantorView>,
    /// Set when this record was merged into another patient (whose id it is).
    pub merged_into: Option<String>,
    /// Increases with every change; send it back with an edit.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn phone_display(digits: &Option<String>) -> Option<String> {
    digits.as_deref().map(|d| Phone::parse(d).map(|p| p.display()).unwrap_or_else(|_| d.to_string()))
}

impl From<&PatientRow> for PatientView {
    fn from(r: &PatientRow) -> Self {
        PatientView {
            id: r.id.clone(),
            mrn: r.mrn.clone(),
            family_name: r.family_name.clone(),
            given_name: r.given_name.clone(),
            middle_name: r.middle_name.clone(),
            preferred_name: r.preferred_name.clone(),
            suffix: r.suffix.clone(),
            birth_date: r.birth_date.clone(),
            sex: r.sex.clone(),
            phone: phone_display(&r.phone().map(str::to_string)),
            phones: PhonesView {
                mobile: phone_display(&r.phone_mobile),
                home: phone_display(&r.phone_home),
                work: phone_display(&r.phone_work),
            },
            preferred_phone: r.preferred_phone.clone(),
            email: r.email.clone(),
            preferred_contact: r.preferred_contact.clone(),
            language: r.language.clone(),
            address: AddressView::from_parts(&r.address_line1, &r.address_line2, &r.city, &r.state, &r.postal_code),
            emergency_contact: r.emergency_contact_name.as_ref().map(|name| EmergencyContactView {
                name: name.clone(),
                relationship: r.emergency_contact_relationship.clone(),
                phone: phone_display(&r.emergency_contact_phone).unwrap_or_default(),
            }),
            guarantor: match (&r.guarantor_family_name, &r.guarantor_given_name) {
                (Some(f), Some(g)) => Some(GuarantorView {
                    family_name: f.clone(),
                    given_name: g.clone(),
                    relationship: r.guarantor_relationship.clone().unwrap_or_default(),
                    birth_date: r.guarantor_birth_date.clone(),
                    phone: phone_display(&r.guarantor_phone),
                    address: AddressView::from_parts(
                        &r.guarantor_address_line1,
                        &r.guarantor_address_line2,
                        &r.guarantor_city,
                        &r.guarantor_state,
                        &r.guarantor_postal_code,
                    ),
                }),
                _ => None,
            },
            merged_into: r.merged_into.clone(),
            version: r.version,
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
        }
    }
}

impl PatientView {
    /// "Doe, Jane M." as on a chart header.
    pub fn display_name(&self) -> String {
        let mut name = format!("{}, {}", self.family_name, self.given_name);
        if let Some(m) = &self.middle_name {
            name.push(' ');
            name.push_str(m);
        }
        if let Some(s) = &self.suffix {
            name.push(' ');
            name.push_str(s);
        }
        name
    }
}

/// One insurance coverage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageView {
    pub id: String,
    pub patient_id: String,
    pub payer_id: String,
    pub payer_name: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub plan_name: Option<String>,
    /// 1 primary, 2 secondary, 3 tertiary.
    pub priority: i64,
    pub priority_label: String,
    /// `self`, `spouse`, `child` or `other`.
    pub relationship_to_subscriber: String,
    pub subscriber_family_name: Option<String>,
    pub subscriber_given_name: Option<String>,
    pub subscriber_birth_date: Option<String>,
    pub subscriber_sex: Option<String>,
    pub copay_cents: i64,
    /// The co-pay as shown to people, e.g. `$25.00`.
    pub copay_display: String,
    pub start_date: String,
    pub end_date: Option<String>,
    /// Whether the coverage is in force on the practice's today.
    pub active: bool,
    pub card_front_blob_id: Option<String>,
    pub card_back_blob_id: Option<String>,
}

impl CoverageView {
    pub fn from_row(c: &CoverageWithPayer, today: &str) -> CoverageView {
        let r = &c.coverage;
        CoverageView {
            id: r.id.clone(),
            patient_id: r.patient_id.clone(),
            payer_id: r.payer_id.clone(),
            payer_name: c.payer_name.clone(),
            member_id: r.member_id.clone(),
            group_number: r.group_number.clone(),
            plan_name: r.plan_name.clone(),
            priority: r.priority,
            priority_label: priority_label(u8::try_from(r.priority).unwrap_or(0)).to_string(),
            relationship_to_subscriber: r.relationship_to_subscriber.clone(),
            subscriber_family_name: r.subscriber_family_name.clone(),
            subscriber_given_name: r.subscriber_given_name.clone(),
            subscriber_birth_date: r.subscriber_birth_date.clone(),
            subscriber_sex: r.subscriber_sex.clone(),
            copay_cents: r.copay_cents,
            copay_display: Money::from_cents(r.copay_cents).to_string(),
            start_date: r.start_date.clone(),
            end_date: r.end_date.clone(),
            active: r.start_date.as_str() <= today && r.end_date.as_deref().is_none_or(|end| end >= today),
            card_front_blob_id: r.card_front_blob_id.clone(),
            card_back_blob_id: r.card_back_blob_id.clone(),
        }
    }
}

/// The chart: a patient with everything attached.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChartView {
    pub patient: PatientView,
    pub coverages: Vec<CoverageView>,
    /// Age in whole years on the practice's today.
    pub age: i32,
}

/// One search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientSummary {
    pub id: String,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub sex: String,
    pub phone: Option<String>,
}

impl From<&PatientRow> for PatientSummary {
    fn from(r: &PatientRow) -> Self {
        PatientSummary {
            id: r.id.clone(),
            mrn: r.mrn.clone(),
            family_name: r.family_name.clone(),
            given_name: r.given_name.clone(),
            preferred_name: r.preferred_name.clone(),
            birth_date: r.birth_date.clone(),
            sex: r.sex.clone(),
            phone: phone_display(&r.phone().map(str::to_string)),
        }
    }
}

/// An existing patient who may be the one being registered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    pub patient: PatientSummary,
    /// Why it looks like the same person, in words.
    pub reason: String,
}

/// An insurance company.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerView {
    pub id: String,
    pub name: String,
    /// The electronic payer id.
    pub payer_code: String,
    pub claim_filing_indicator: String,
}

/// A rendering or billing provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    pub id: String,
    pub name: String,
    pub family_name: String,
    pub given_name: String,
    pub credentials: Option<String>,
    pub npi: String,
    pub specialty: Option<String>,
    pub colour: String,
}

/// A staff account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
}

/// An appointment. Times are RFC 3339 with the practice's UTC offset on that date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: String,
    /// RFC 3339 with offset, e.g. `2026-06-16T09:00:00-04:00`.
    pub start: String,
    pub end: String,
    /// The appointment type's id.
    pub appointment_type: String,
    pub appointment_type_name: String,
    /// `scheduled`, `confirmed`, `arrived`, `in_room`, `checked_out`, `completed`, `cancelled`,
    /// `no_show` or `rescheduled`.
    pub status: String,
    /// Booked on top of another appointment where the template allows it.
    pub overbook: bool,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub notes: Option<String>,
    /// Changes with every change of the appointment.
    pub version: i64,
}

/// An open time of a provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    /// RFC 3339 with offset.
    pub start: String,
    pub end: String,
    pub provider_id: String,
    pub location_id: String,
}

/// An appointment type, for choosing one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentTypeView {
    pub id: String,
    pub name: String,
    pub duration_minutes: i64,
}
