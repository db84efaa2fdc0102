//! Synthetic practice data: the demo practice (`medoffice demo`) and data at scale for
//! benchmarks (`medoffice generate`). Deterministic for a given seed.
//!
//! Today it makes what the built areas have: the practice, providers, payers, patients with
//! coverages, and the scheduling set-up (a location, appointment types, weekly templates). Each
//! later area (messages, claims, ledger) adds its part here.

use crate::{App, Result};
use chrono::{Datelike, Duration, NaiveDate};
use medoffice_domain::identifiers::npi_from_base;
use medoffice_domain::money::Money;
use medoffice_domain::patients::{
    Address, ContactMethod, CoverageData, Email, EmergencyContact, Guarantor, PatientData, Phone, PhoneKind, Sex, Subscriber,
    SubscriberRelationship, mrn_from_sequence,
};
use medoffice_domain::search::{Indexable, index_tokens};
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::patients as store;
use medoffice_store::practice::{self, PayerRow, PracticeRow, ProviderRow};
use medoffice_store::{Connection, new_id, next_counter};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const FAMILY_NAMES: [&str; 60] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "Kowalski",
    "Schmidt",
    "Patel",
    "Kim",
    "Cohen",
    "Murphy",
    "Sullivan",
    "Novak",
    "Fischer",
];
const FEMALE_NAMES: [&str; 30] = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Margaret",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sophia",
    "Olivia",
    "María",
];
const MALE_NAMES: [&str; 30] = [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Jason",
    "Edward",
    "Liam",
    "José",
];
const STREETS: [&str; 16] = [
    "Elm St",
    "Maple Ave",
    "Oak St",
    "Washington St",
    "Lake Rd",
    "Hill St",
    "Park Ave",
    "Main St",
    "Cedar Ln",
    "Pine St",
    "River Rd",
    "Church St",
    "Highland Ave",
    "Madison Ave",
    "State St",
    "Union St",
];
/// (city, state, ZIP prefix, area code)
const PLACES: [(&str, &str, &str, &str); 6] = [
    ("Albany", "NY", "122", "518"),
    ("Troy", "NY", "121", "518"),
    ("Schenectady", "NY", "123", "518"),
    ("Saratoga Springs", "NY", "128", "518"),
    ("Pittsfield", "MA", "012", "413"),
    ("Bennington", "VT", "052", "802"),
];
/// (name, electronic payer id, claim filing indicator)
pub const DEMO_PAYERS: [(&str, &str, &str); 7] = [
    ("Aetna", "60054", "CI"),
    ("Blue Cross Blue Shield", "00803", "BL"),
    ("Cigna", "62308", "CI"),
    ("UnitedHealthcare", "87726", "CI"),
    ("Medicare Part B", "13202", "MB"),
    ("Medicaid", "14163", "MC"),
    ("Humana", "61101", "HM"),
];
/// (family, given, credentials, specialty, colour)
const DEMO_PROVIDERS: [(&str, &str, &str, &str, &str); 5] = [
    ("Okafor", "Grace", "MD", "Family medicine", "#2563eb"),
    ("Lindqvist", "Erik", "MD", "Internal medicine", "#059669"),
    ("Haddad", "Leila", "DO", "Pediatrics", "#d97706"),
    ("Brennan", "Thomas", "MD", "Family medicine", "#7c3aed"),
    ("Castillo", "Ana", "NP", "Family nurse practitioner", "#db2777"),
];

/// What `generate` made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Generated {
    pub practice_id: String,
    pub providers: usize,
    pub payers: usize,
    pub patients: usize,
    pub coverages: usize,
}

/// Makes practices' synthetic data.
pub struct Generator {
    rng: SmallRng,
    today: NaiveDate,
}

impl Generator {
    pub fn new(seed: u64, today: NaiveDate) -> Generator {
        Generator { rng: SmallRng::seed_from_u64(seed), today }
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    fn phone(&mut self, area: &str) -> Option<Phone> {
        let exchange = self.rng.random_range(200..1000);
        let line = self.rng.random_range(0..10000);
        Phone::parse(&format!("{area}{exchange:03}{line:04}")).ok()
    }

    fn birth_date(&mut self) -> NaiveDate {
        let days = self.rng.random_range(0..(92 * 365));
        self.today - Duration::days(days + 30)
    }

    /// One patient's demographics and coverages (payer ids from `payers`).
    pub fn patient(&mut self, payers: &[PayerRow]) -> (PatientData, Vec<CoverageData>) {
        let sex = if self.rng.random_bool(0.52) { Sex::Female } else { Sex::Male };
        let given = if sex == Sex::Female { self.pick(&FEMALE_NAMES) } else { self.pick(&MALE_NAMES) }.to_string();
        let family = self.pick(&FAMILY_NAMES).to_string();
        let birth_date = self.birth_date();
        let (city, state, zip, area) = PLACES[self.rng.random_range(0..PLACES.len())];
        let zip = format!("{zip}{:02}", self.rng.random_range(1..99));
        let address = Address {
            line1: format!("{} {}", self.rng.random_range(1..2000), self.pick(&STREETS)),
            line2: self.rng.random_bool(0.15).then(|| format!("Apt {}", self.rng.random_range(1..40))),
            city: city.to_string(),
            state: state.to_string(),
            postal_code: zip,
        };
        let age = medoffice_domain::patients::age_on(birth_date, self.today);
        let minor = age < 18;
        let phone_mobile = self.phone(area);
        let phone_home = if self.rng.random_bool(0.3) { self.phone(area) } else { None };
        let guardian_given = if self.rng.random_bool(0.5) { self.pick(&FEMALE_NAMES) } else { self.pick(&MALE_NAMES) }.to_string();
        let guarantor = minor.then(|| Guarantor {
            family_name: family.clone(),
            given_name: guardian_given.clone(),
            relationship: "parent".into(),
            birth_date: Some(birth_date - Duration::days(365 * 30)),
            phone: phone_mobile.clone(),
            address: Some(address.clone()),
        });
        let email = if self.rng.random_bool(0.6) {
            Email::parse(&format!(
                "{}.{}{}@example.com",
                medoffice_domain::search::normalize(&given),
                medoffice_domain::search::normalize(&family),
                self.rng.random_range(1..999)
            ))
            .ok()
        } else {
            None
        };
        let preferred_contact = match (email.is_some(), self.rng.random_range(0..4)) {
            (true, 0) => ContactMethod::Email,
            (_, 1) => ContactMethod::Text,
            (_, 2) => ContactMethod::Mail,
            _ => ContactMethod::Phone,
        };
        let emergency_contact = self.phone(area).filter(|_| self.rng.random_bool(0.7)).map(|phone| EmergencyContact {
            name: format!("{} {}", if sex == Sex::Female { self.pick(&MALE_NAMES) } else { self.pick(&FEMALE_NAMES) }, family),
            relationship: Some(if minor { "parent" } else { "spouse" }.into()),
            phone,
        });
        let data = PatientData {
            family_name: family.clone(),
            given_name: given,
            middle_name: None,
            preferred_name: None,
            suffix: None,
            birth_date,
            sex,
            phone_mobile,
            phone_home,
            phone_work: None,
            preferred_phone: PhoneKind::Mobile,
            email,
            preferred_contact,
            language: self.rng.random_bool(0.1).then(|| "Spanish".to_string()),
            address: Some(address),
            emergency_contact,
            guarantor,
        };
        let mut coverages = Vec::new();
        if !payers.is_empty() && self.rng.random_bool(0.93) {
            let medicare = payers.iter().position(|p| p.claim_filing_indicator == "MB");
            let primary_index = match (age >= 65, medicare) {
                (true, Some(i)) => i,
                _ => self.rng.random_range(0..payers.len()),
            };
            let start = NaiveDate::from_ymd_opt(self.today.year() - self.rng.random_range(0..4), 1, 1).unwrap_or(self.today);
            let subscriber = minor.then(|| Subscriber {
                family_name: family.clone(),
                given_name: guardian_given.clone(),
                birth_date: birth_date - Duration::days(365 * 30),
                sex: Sex::Unknown,
            });
            coverages.push(CoverageData {
                payer_id: payers[primary_index].id.clone(),
                member_id: format!("{}{:09}", &payers[primary_index].name[..1].to_uppercase(), self.rng.random_range(0..1_000_000_000u32)),
                group_number: self.rng.random_bool(0.7).then(|| format!("G{:06}", self.rng.random_range(0..1_000_000))),
                plan_name: None,
                priority: 1,
                relationship_to_subscriber: if minor { SubscriberRelationship::Child } else { SubscriberRelationship::SelfInsured },
                subscriber,
                copay: Money::from_cents([0, 1500, 2000, 2500, 3000, 4000][self.rng.random_range(0..6)]),
                start_date: start,
                end_date: None,
            });
            if self.rng.random_bool(0.12) {
                let secondary = (primary_index + 1 + self.rng.random_range(0..payers.len() - 1)) % payers.len();
                coverages.push(CoverageData {
                    payer_id: payers[secondary].id.clone(),
                    member_id: format!("S{:09}", self.rng.random_range(0..1_000_000_000u32)),
                    group_number: None,
                    plan_name: None,
                    priority: 2,
                    relationship_to_subscriber: SubscriberRelationship::SelfInsured,
                    subscriber: None,
                    copay: Money::ZERO,
                    start_date: start,
                    end_date: None,
                });
            }
        }
        (data, coverages)
    }
}

impl App {
    /// Creates a practice with providers and payers, and `patients` patients with coverages,
    /// committing every 2,000 patients. Returns what was made.
    pub async fn generate_practice(
        &self,
        practice_name: &str,
        patients: usize,
        seed: u64,
        mut progress: impl FnMut(usize),
    ) -> Result<Generated> {
        let today = self.now().date_naive();
        let mut generator = Generator::new(seed, today);
        let now = self.now_text();
        let mut tx = self.store.begin().await?;
        let practice_id = crate::practice::first_practice_or_insert(
            &mut tx,
            PracticeRow {
                id: new_id(),
                name: practice_name.to_string(),
                timezone: crate::practice::DEFAULT_TIMEZONE.into(),
                phone: Some("5184620100".into()),
                address_line1: Some("220 Washington Ave".into()),
                city: Some("Albany".into()),
                state: Some("NY".into()),
                postal_code: Some("12203".into()),
                created_at: now.clone(),
            },
        )
        .await?;
        let mut payers = practice::list_payers(&mut tx, &practice_id).await?;
        if payers.is_empty() {
            for (name, code, indicator) in DEMO_PAYERS {
                practice::insert_payer(
                    &mut tx,
                    &PayerRow {
                        practice_id: practice_id.clone(),
                        id: new_id(),
                        name: name.into(),
                        payer_code: code.into(),
                        claim_filing_indicator: indicator.into(),
                        phone: None,
                        address_line1: None,
                        city: None,
                        state: None,
                        postal_code: None,
                        created_at: now.clone(),
                    },
                )
                .await?;
            }
            payers = practice::list_payers(&mut tx, &practice_id).await?;
        }
        let mut providers = practice::list_providers(&mut tx, &practice_id).await?;
        if providers.is_empty() {
            for (i, (family, given, credentials, specialty, colour)) in DEMO_PROVIDERS.iter().enumerate() {
                practice::insert_provider(
                    &mut tx,
                    &ProviderRow {
                        practice_id: practice_id.clone(),
                        id: new_id(),
                        family_name: family.to_string(),
                        given_name: given.to_string(),
                        credentials: Some(credentials.to_string()),
                        npi: npi_from_base(134_567_000 + u32::try_from(i).unwrap_or(0) * 7919),
                        specialty: Some(specialty.to_string()),
                        colour: colour.to_string(),
                        user_id: None,
                        created_at: now.clone(),
                        taxonomy_code: Some("207Q00000X".into()),
                    },
                )
                .await?;
            }
            providers = practice::list_providers(&mut tx, &practice_id).await?;
        }
        insert_demo_schedule(&mut tx, &practice_id, &providers, &now).await?;
        let mut coverages = 0;
        for i in 0..patients {
            let (data, covs) = generator.patient(&payers);
            coverages += covs.len();
            insert_generated_patient(&mut tx, &practice_id, &data, &covs, &now).await?;
            if (i + 1) % 2000 == 0 {
                tx.commit().await?;
                progress(i + 1);
                tx = self.store.begin().await?;
            }
        }
        self.append_audit(
            &mut tx,
            NewAuditEvent {
                practice_id: practice_id.clone(),
                at: self.now_text(),
                username: "(command line)".into(),
                action: "practice.generate".into(),
                record_type: "practice".into(),
                outcome: "success".into(),
                detail: format!("{patients} synthetic patients (seed {seed})"),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        progress(patients);
        Ok(Generated { practice_id, providers: providers.len(), payers: payers.len(), patients, coverages })
    }
}

/// The demo's appointment types: (name, minutes, colour, patient kind).
pub const DEMO_APPOINTMENT_TYPES: [(&str, i64, &str, &str); 3] = [
    ("Office visit", 20, "#2563eb", "established"),
    ("New patient visit", 40, "#059669", "new"),
    ("Annual physical", 40, "#d97706", "any"),
];

/// Working hours of every demo provider, Monday to Friday, in minutes from midnight: 08:00-12:00
/// and 13:00-17:00 (lunch is the gap between them).
const DEMO_WORKING_HOURS: [(i64, i64); 2] = [(8 * 60, 12 * 60), (13 * 60, 17 * 60)];

/// One location, the demo's appointment types offered by every provider, and a weekly template per
/// provider; only where the practice has none yet (types and templates are left alone otherwise).
async fn insert_demo_schedule(conn: &mut Connection, practice_id: &str, providers: &[ProviderRow], now: &str) -> Result<()> {
    use medoffice_store::scheduling::{self as sched, AppointmentTypeRow, LocationRow, TemplateEntryRow};
    if !sched::list_locations(conn, practice_id).await?.is_empty() {
        return Ok(());
    }
    let location_id = new_id();
    sched::insert_location(
        conn,
        &LocationRow {
            practice_id: practice_id.to_string(),
            id: location_id.clone(),
            name: "Main office".into(),
            phone: Some("5184620100".into()),
            address_line1: Some("220 Washington Ave".into()),
            address_line2: None,
            city: Some("Albany".into()),
            state: Some("NY".into()),
            postal_code: Some("12203".into()),
            created_at: now.to_string(),
        },
    )
    .await?;
    let provider_ids: Vec<String> = providers.iter().map(|p| p.id.clone()).collect();
    if sched::list_appointment_types(conn, practice_id).await?.is_empty() {
        for (name, minutes, colour, kind) in DEMO_APPOINTMENT_TYPES {
            let row = AppointmentTypeRow {
                practice_id: practice_id.to_string(),
                id: new_id(),
                name: name.into(),
                duration_minutes: minutes,
                colour: colour.into(),
                patient_kind: kind.into(),
                created_at: now.to_string(),
            };
            sched::insert_appointment_type(conn, &row, &provider_ids).await?;
        }
    }
    for provider_id in &provider_ids {
        if !sched::list_template_entries(conn, practice_id, provider_id).await?.is_empty() {
            continue;
        }
        for weekday in 1..=5 {
            for (start_minute, end_minute) in DEMO_WORKING_HOURS {
                sched::insert_template_entry(
                    conn,
                    &TemplateEntryRow {
                        practice_id: practice_id.to_string(),
                        id: new_id(),
                        provider_id: provider_id.clone(),
                        location_id: location_id.clone(),
                        weekday,
                        start_minute,
                        end_minute,
                        kind: "work".into(),
                        reason: None,
                        allowed_type_ids: None,
                        allow_overbook: 0,
                        created_at: now.to_string(),
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn insert_generated_patient(
    conn: &mut Connection,
    practice_id: &str,
    data: &PatientData,
    coverages: &[CoverageData],
    now: &str,
) -> Result<()> {
    let id = new_id();
    let mrn = mrn_from_sequence(u64::try_from(next_counter(conn, practice_id, "mrn").await?).unwrap_or(0));
    store::insert(conn, practice_id, &id, &mrn, data, now).await?;
    for c in coverages {
        store::insert_coverage(conn, practice_id, &new_id(), &id, c, (None, None), now).await?;
    }
    let phones: Vec<&str> = data.phones().map(Phone::digits).collect();
    let tokens = index_tokens(&Indexable {
        names: vec![data.family_name.as_str(), data.given_name.as_str()],
        birth_date: Some(data.birth_date),
        phones,
        mrn: &mrn,
        member_ids: coverages.iter().map(|c| c.member_id.as_str()).collect(),
        name_pairs: vec![(data.family_name.as_str(), data.given_name.as_str())],
    });
    store::insert_tokens(conn, practice_id, &id, &tokens).await?;
    Ok(())
}

/// What `generate_appointments` made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GeneratedAppointments {
    pub appointments: usize,
    /// Of those, in the past (completed, cancelled or no-show).
    pub past: usize,
}

impl App {
    /// `days` days of appointments for every provider of the practice, ending `days_ahead` days
    /// after today (the past ones completed, cancelled or missed; the future ones scheduled or
    /// confirmed), about 70% of each provider's open windows filled with the practice's types.
    /// Written in bulk with the store's insert (each with its booking event), so the database's
    /// no-overlap rule still holds; times come from the domain's `availability`, so they respect
    /// templates, exceptions and holidays. Deterministic for a seed. For benchmarks and the
    /// `generate --days` command, not for a live practice (no audit record per appointment; one
    /// for the run).
    pub async fn generate_appointments(&self, practice_id: &str, days: u32, days_ahead: u32, seed: u64) -> Result<GeneratedAppointments> {
        use medoffice_domain::scheduling::{AppointmentStatus, ProviderId, availability};
        use medoffice_store::scheduling::{self as sched, AppointmentEventRow, AppointmentRow, local_text, minute_of};
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5c4e_d01e);
        let now = self.now_text();
        let now_local = {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            let p = practice::get(&mut conn, practice_id).await?;
            let tz: chrono_tz::Tz = p.timezone.parse().unwrap_or(chrono_tz::America::New_York);
            self.now().with_timezone(&tz).naive_local()
        };
        let today = now_local.date();
        let first = today - Duration::days(i64::from(days.saturating_sub(days_ahead)));
        let last = today + Duration::days(i64::from(days_ahead));
        let mut tx = self.store.begin().await?;
        let providers = practice::list_providers(&mut tx, practice_id).await?;
        let types = crate::scheduling::load_types(&mut tx, practice_id).await?;
        let patient_ids = store::list_ids(&mut tx, practice_id, 50_000).await?;
        if patient_ids.is_empty() || types.is_empty() {
            return Ok(GeneratedAppointments { appointments: 0, past: 0 });
        }
        let (mut made, mut past, mut pending) = (0usize, 0usize, 0usize);
        for provider in &providers {
            let id = ProviderId::new(provider.id.clone());
            let schedule = crate::scheduling::load_schedule(&mut tx, practice_id, &id, first, last).await?;
            let offered: Vec<_> = types.iter().filter(|t| t.offered_by(&id)).collect();
            let (Some(calendar), false) = (schedule.calendar_of(&id), offered.is_empty()) else { continue };
            let mut day = first;
            while day <= last {
                for window in availability(day, calendar, &schedule.holidays) {
                    let interval = window.interval();
                    let mut start = interval.start();
                    while start < interval.end() {
                        let t = offered[rng.random_range(0..offered.len())];
                        let Some(end) = start.checked_add_signed(Duration::minutes(i64::from(t.duration().minutes()))) else { break };
                        if end > interval.end() {
                            break;
                        }
                        let taken_already =
                            schedule.appointments.iter().any(|a| a.occupies_time() && a.interval.start() < end && start < a.interval.end());
                        if !rng.random_bool(0.7) || !window.allows(&t.id) || taken_already {
                            start += Duration::minutes(i64::from(t.duration().minutes().min(20)));
                            continue;
                        }
                        let status = if end <= now_local {
                            past += 1;
                            match rng.random_range(0..100) {
                                0..=84 => AppointmentStatus::Completed,
                                85..=92 => AppointmentStatus::Cancelled,
                                _ => AppointmentStatus::NoShow,
                            }
                        } else if start <= now_local {
                            AppointmentStatus::Arrived
                        } else if rng.random_bool(0.5) {
                            AppointmentStatus::Confirmed
                        } else {
                            AppointmentStatus::Scheduled
                        };
                        let row = AppointmentRow {
                            practice_id: practice_id.to_string(),
                            id: new_id(),
                            patient_id: patient_ids[rng.random_range(0..patient_ids.len())].clone(),
                            provider_id: provider.id.clone(),
                            location_id: window.location.as_str().to_string(),
                            appointment_type_id: t.id.as_str().to_string(),
                            start_at: local_text(start),
                            end_at: local_text(end),
                            start_minute: minute_of(start),
                            end_minute: minute_of(end),
                            status: status.as_str().to_string(),
                            overbook: 0,
                            cancel_reason: (status == AppointmentStatus::Cancelled).then(|| "Patient called to cancel".to_string()),
                            cancelled_by: (status == AppointmentStatus::Cancelled).then(|| "patient".to_string()),
                            rescheduled_to: None,
                            notes: None,
                            version: 1,
                            created_at: now.clone(),
                            updated_at: now.clone(),
                            series_id: None,
                            rescheduled_from: None,
                            room_id: None,
                        };
                        sched::insert_appointment(&mut tx, &row).await?;
                        sched::append_appointment_event(
                            &mut tx,
                            &AppointmentEventRow {
                                practice_id: practice_id.to_string(),
                                appointment_id: row.id.clone(),
                                seq: 1,
                                at: now.clone(),
                                user_id: None,
                                from_status: None,
                                to_status: row.status.clone(),
                                detail: serde_json::json!({"event": "book", "start": row.start_at, "generated": true}).to_string(),
                            },
                        )
                        .await?;
                        made += 1;
                        pending += 1;
                        if pending >= 2000 {
                            tx.commit().await?;
                            tx = self.store.begin().await?;
                            pending = 0;
                        }
                        start = end;
                    }
                }
                day += Duration::days(1);
            }
        }
        self.append_audit(
            &mut tx,
            NewAuditEvent {
                practice_id: practice_id.to_string(),
                at: now,
                username: "(command line)".into(),
                action: "appointment.generate".into(),
                record_type: "appointment".into(),
                outcome: "success".into(),
                detail: format!("{made} synthetic appointments from {first} to {last} (seed {seed})"),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(GeneratedAppointments { appointments: made, past })
    }
}
