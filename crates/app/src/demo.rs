//! The demo practice: `medoffice demo` fills an empty database with a believable practice and
//! one user per role, so a new user sees something real at once.

use crate::generate::Generated;
use crate::{App, AppError, Result};
use medoffice_domain::validation::ValidationErrors;
use medoffice_store::users;

/// How many patients the demo registers.
pub const DEMO_PATIENTS: usize = 300;

/// The demo's users: (username, display name, role).
pub const DEMO_USERS: [(&str, &str, &str); 5] = [
    ("admin", "Dana Whitfield (office manager)", "admin"),
    ("frontdesk", "Rosa Alvarez", "front_desk"),
    ("biller", "Marcus Bell", "biller"),
    ("bookkeeper", "Priya Raman", "bookkeeper"),
    ("doctor", "Dr. Grace Okafor", "provider"),
];

impl App {
    /// Fills an empty database with the demo practice. Refuses a database with a practice.
    pub async fn demo(&self, password: &str) -> Result<Generated> {
        let generated = self.seed_practice("Riverside Family Medicine", DEMO_PATIENTS, password).await?;
        self.book_demo_week().await?;
        self.demo_mail().await?;
        self.demo_messages().await?;
        self.demo_books().await?;
        self.demo_billing().await?;
        Ok(generated)
    }

    /// A week of appointments from now on, booked by the demo's front desk through the booking
    /// use case (so every one follows the rules and is audited): about half of each provider's
    /// times, mostly office visits, the next two days' mostly confirmed. Deterministic.
    async fn book_demo_week(&self) -> Result<usize> {
        use crate::scheduling::{NewAppointment, StatusEventInput};
        use rand::{Rng, SeedableRng};
        let actor = {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            let user = users::find_by_username(&mut conn, "frontdesk").await?.into_iter().next().ok_or(AppError::NotFound("user"))?;
            self.actor_for(&mut conn, &user, None).await?
        };
        let providers = self.list_providers(&actor).await?;
        let patients = self.recent_patients(&actor, 100).await?;
        if patients.is_empty() {
            return Ok(0);
        }
        let mut rng = rand::rngs::SmallRng::seed_from_u64(20261128);
        let now = self.now().with_timezone(&actor.timezone).naive_local();
        let mut booked = 0;
        for day in 0..7u64 {
            let Some(date) = now.date().checked_add_days(chrono::Days::new(day)) else { continue };
            for provider in &providers {
                let mut minute = 8 * 60;
                while minute < 17 * 60 {
                    let physical = rng.random_bool(0.15);
                    let length = if physical { 40 } else { 20 };
                    let take = rng.random_bool(0.5);
                    let start = date.and_hms_opt(minute / 60, minute % 60, 0).unwrap_or_default();
                    minute += if take { length } else { 20 };
                    if !take || start <= now {
                        continue;
                    }
                    let patient = &patients[rng.random_range(0..patients.len())];
                    let input = NewAppointment {
                        patient_id: patient.id.clone(),
                        provider_id: provider.id.clone(),
                        start: start.format("%Y-%m-%dT%H:%M").to_string(),
                        appointment_type: if physical { "Annual physical".into() } else { String::new() },
                        ..Default::default()
                    };
                    // Lunch, a holiday, the end of the day: not every time can be booked.
                    let Ok(a) = self.book_appointment(&actor, &input).await else { continue };
                    booked += 1;
                    if day <= 2 && rng.random_bool(0.7) {
                        let confirm = StatusEventInput { event: "confirm".into(), ..Default::default() };
                        self.change_appointment_status(&actor, &a.id, &confirm).await?;
                    }
                }
            }
        }
        Ok(booked)
    }

    /// Fills an empty database with a generated practice of `patients` patients and the demo's
    /// users, all with `password` (the demo, and benchmarks at scale).
    pub async fn seed_practice(&self, name: &str, patients: usize, password: &str) -> Result<Generated> {
        medoffice_domain::security::check_password_policy(password).map_err(|m| ValidationErrors::single("password", m))?;
        if self.has_practice().await? {
            return Err(AppError::Conflict(
                "this database already has a practice; the demo only fills an empty one (use another --data-dir)".into(),
            ));
        }
        let generated = self.generate_practice(name, patients, 20261128, |_| {}).await?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        for (username, display_name, role) in DEMO_USERS {
            let user = crate::auth::new_user_row(&generated.practice_id, username, display_name, role, password, &now)?;
            users::insert(&mut tx, &user).await?;
        }
        // The demo's CPT/HCPCS codes with our own labels, standard fees and payers' expected amounts.
        self.load_demo_code_sets(&mut tx, &generated.practice_id).await?;
        tx.commit().await?;
        Ok(generated)
    }
}
