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
    /// The NUCC taxonomy code claims carry for this provider (PRV), if recorded.
    pub taxonomy_code: Option<String>,
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

// ---------------------------------------------------------------------------------------------
// Schedule set-up (app::schedule_setup)
// ---------------------------------------------------------------------------------------------

/// A room of a location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomView {
    pub id: String,
    pub location_id: String,
    pub name: String,
    /// Deactivated rooms are kept (appointments may point at them) but no longer offered.
    pub active: bool,
}

/// A location (office) of the practice with its rooms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationView {
    pub id: String,
    pub name: String,
    /// `(555) 201-3344`, if on file.
    pub phone: Option<String>,
    pub address: Option<AddressView>,
    /// Active rooms first, each group by name.
    pub rooms: Vec<RoomView>,
}

/// An appointment type with everything the set-up page edits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentTypeDetailView {
    pub id: String,
    pub name: String,
    /// The default length, 5 to 480 minutes.
    pub duration_minutes: i64,
    /// `#rrggbb`.
    pub colour: String,
    /// `new`, `established` or `any`.
    pub patient_kind: String,
    /// The providers who offer it.
    pub provider_ids: Vec<String>,
}

/// One line of a provider's weekly template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateEntryView {
    pub id: String,
    pub provider_id: String,
    pub location_id: String,
    pub location_name: String,
    /// `monday`...`sunday`.
    pub weekday: String,
    /// Local time `HH:MM`.
    pub start: String,
    /// Local time `HH:MM`, not included.
    pub end: String,
    /// `working` or `block`.
    pub kind: String,
    /// Why a block is blocked (`Lunch`); none for working hours.
    pub reason: Option<String>,
    /// For working hours: the only types bookable there; empty means every type.
    pub appointment_type_ids: Vec<String>,
    /// Their names, in the same order.
    pub appointment_type_names: Vec<String>,
    /// For working hours: whether appointments may overlap there on purpose.
    pub allow_overbook: bool,
}

/// A provider's weekly template, Monday first, by start time.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderTemplateView {
    pub provider_id: String,
    pub provider_name: String,
    pub entries: Vec<TemplateEntryView>,
}

/// A range of hours of one day, local `HH:MM`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoursView {
    pub start: String,
    pub end: String,
}

/// A change to one provider's schedule on one date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayExceptionView {
    pub id: String,
    pub provider_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `closed`, `replace_hours` or `extra_hours`.
    pub kind: String,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub hours: Vec<HoursView>,
    pub note: Option<String>,
}

/// A day the whole practice is closed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub name: String,
}

/// A booked appointment that a set-up change left outside the provider's hours. It was neither
/// moved nor cancelled: someone has to call the patient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StrandedAppointmentView {
    pub appointment_id: String,
    pub patient_id: String,
    pub provider_id: String,
    /// RFC 3339 with the practice's offset.
    pub start: String,
    pub end: String,
    /// `YYYY-MM-DD`, local.
    pub date: String,
    /// `09:00–09:20`, local.
    pub time_range: String,
    pub appointment_type_name: String,
    pub status: String,
    /// Why the time is no longer bookable, e.g. "the time is outside the provider's working hours".
    pub reason: String,
}

/// What a change of a provider's template did: the template as it now is, and the future
/// appointments (within a year) that now fall outside it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateChangeView {
    pub template: ProviderTemplateView,
    pub outside_hours: Vec<StrandedAppointmentView>,
}

/// An exception as added or removed, and the appointments of its date now outside the hours.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExceptionChangeView {
    pub exception: DayExceptionView,
    pub outside_hours: Vec<StrandedAppointmentView>,
}

/// A holiday as added, and the appointments already booked on it (every provider's).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayChangeView {
    pub holiday: HolidayView,
    pub outside_hours: Vec<StrandedAppointmentView>,
}

/// A patient on the waitlist: what they want, when they can come, and the freed slots offered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistEntryView {
    pub id: String,
    pub patient: PatientSummary,
    /// `None` for any provider.
    pub provider_id: Option<String>,
    /// The provider's name, or "Any provider".
    pub provider_name: String,
    /// The appointment type's id.
    pub appointment_type: String,
    pub appointment_type_name: String,
    pub duration_minutes: i64,
    /// `YYYY-MM-DD`, inclusive.
    pub earliest_date: String,
    pub latest_date: String,
    /// `any`, `morning` (starting before 12:00) or `afternoon`.
    pub part_of_day: String,
    pub note: Option<String>,
    /// `waiting`, `offered`, `booked` or `removed`.
    pub status: String,
    pub booked_appointment_id: Option<String>,
    /// Who added the entry (display name) and when (RFC 3339 with the practice's offset).
    pub added_by: String,
    pub added_at: String,
    /// The open offers, soonest first.
    pub offers: Vec<WaitlistOfferView>,
}

/// A freed slot offered to a waitlist entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistOfferView {
    pub id: String,
    pub entry_id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub location_id: String,
    /// RFC 3339 with the practice's offset.
    pub start: String,
    pub end: String,
    /// `open`, `booked`, `declined` or `withdrawn`.
    pub status: String,
    /// The slot has been taken since it was offered, or has passed: it can no longer be booked.
    pub gone: bool,
    /// RFC 3339 with the practice's offset.
    pub offered_at: String,
}

/// A recall: "see this patient again" by a date, for a reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecallView {
    pub id: String,
    pub patient: PatientSummary,
    pub provider_id: Option<String>,
    pub provider_name: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// What it is now: `pending` (due, nobody reached out yet), `contacted`, `booked` (the patient
    /// has an appointment booked since the recall was made) or `closed`.
    pub status: String,
    /// Due before today and neither booked nor closed.
    pub overdue: bool,
    /// The start of the earliest appointment booked since the recall was made (RFC 3339).
    pub booked_start: Option<String>,
    pub close_reason: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub notes: Option<String>,
    /// Who made the recall (display name) and when (RFC 3339 with the practice's offset).
    pub created_by: String,
    pub created_at: String,
    /// The calls, letters and e-mails, oldest first (on a single recall; empty in lists).
    pub contacts: Vec<RecallContactView>,
}

/// One attempt to reach a patient about a recall.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecallContactView {
    pub seq: i64,
    /// RFC 3339 with the practice's offset.
    pub at: String,
    /// Who (display name).
    pub by: String,
    /// `phone`, `letter` or `email`.
    pub method: String,
    /// `reached`, `left_message`, `no_answer`, `wrong_number` (calls) or `sent`.
    pub outcome: String,
    pub note: Option<String>,
}

/// What a printed recall letter says.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecallLetterView {
    pub recall_id: String,
    pub practice_name: String,
    /// The practice's address, one line each.
    pub practice_address: Vec<String>,
    pub practice_phone: Option<String>,
    pub patient_id: String,
    /// "Ada Quillfeather".
    pub patient_name: String,
    /// The patient's address, one line each (empty when none is on file).
    pub patient_address: Vec<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    pub provider_name: Option<String>,
    /// Today, `YYYY-MM-DD`.
    pub letter_date: String,
}
