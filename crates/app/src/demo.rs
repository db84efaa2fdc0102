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
        self.seed_practice("Riverside Family Medicine", DEMO_PATIENTS, password).await
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
        tx.commit().await?;
        Ok(generated)
    }
}
