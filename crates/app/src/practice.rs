//! The practice itself: first-run set-up, payers and providers.

use crate::views::{PayerView, ProviderView};
use crate::{Actor, App, Result};
use medoffice_domain::security::Action;
use medoffice_store::audit::NewAuditEvent;
use medoffice_store::practice::{self, PracticeRow};
use medoffice_store::users;
use medoffice_store::{StoreError, new_id};

/// What first-run set-up did.
#[derive(Debug, Clone)]
pub enum Bootstrap {
    /// The database already had users; nothing was changed.
    AlreadySetUp,
    /// A practice and the `admin` user were created; the password is shown once if generated.
    Created { generated_password: Option<String> },
}

impl App {
    /// On a database with no users, creates the practice and the `admin` user. The password is
    /// `admin_password` if given, else a random one returned to be printed once.
    pub async fn bootstrap(&self, practice_name: &str, admin_password: Option<&str>) -> Result<Bootstrap> {
        let mut tx = self.store.begin().await?;
        if users::count_all(&mut tx).await? > 0 {
            return Ok(Bootstrap::AlreadySetUp);
        }
        let generated = admin_password.is_none().then(generated_password);
        let password = admin_password.map(str::to_string).or(generated.clone()).unwrap_or_default();
        let now = self.now_text();
        let practice_id = first_practice_or_insert(
            &mut tx,
            PracticeRow {
                id: new_id(),
                name: practice_name.to_string(),
                timezone: DEFAULT_TIMEZONE.into(),
                phone: None,
                address_line1: None,
                city: None,
                state: None,
                postal_code: None,
                created_at: now.clone(),
            },
        )
        .await?;
        let admin = crate::auth::new_user_row(&practice_id, "admin", "Office manager", "admin", &password, &now)?;
        users::insert(&mut tx, &admin).await?;
        self.append_audit(
            &mut tx,
            NewAuditEvent {
                practice_id,
                at: now,
                username: "(set-up)".into(),
                action: "practice.create".into(),
                record_type: "practice".into(),
                outcome: "success".into(),
                detail: "first start: practice and admin user created".into(),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Bootstrap::Created { generated_password: generated })
    }

    /// Whether any practice exists (the demo refuses a database that has one).
    pub async fn has_practice(&self) -> Result<bool> {
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(!practice::list(&mut conn).await?.is_empty())
    }

    pub async fn list_payers(&self, actor: &Actor) -> Result<Vec<PayerView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let rows = practice::list_payers(&mut conn, &actor.practice_id).await?;
        Ok(rows
            .into_iter()
            .map(|p| PayerView { id: p.id, name: p.name, payer_code: p.payer_code, claim_filing_indicator: p.claim_filing_indicator })
            .collect())
    }

    pub async fn list_providers(&self, actor: &Actor) -> Result<Vec<ProviderView>> {
        self.authorize(actor, Action::ReadPracticeLists, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        let rows = practice::list_providers(&mut conn, &actor.practice_id).await?;
        Ok(rows
            .into_iter()
            .map(|p| ProviderView {
                name: format!("{} {}{}", p.given_name, p.family_name, p.credentials.as_ref().map(|c| format!(", {c}")).unwrap_or_default()),
                id: p.id,
                family_name: p.family_name,
                given_name: p.given_name,
                credentials: p.credentials,
                npi: p.npi,
                specialty: p.specialty,
                colour: p.colour,
                taxonomy_code: p.taxonomy_code,
            })
            .collect())
    }
}

/// The time zone of a new practice until the office manager sets its own.
pub(crate) const DEFAULT_TIMEZONE: &str = "America/New_York";

/// The id of the database's first practice, inserting `new` when there is none: one practice per
/// database is the common case, and set-up and generated data must both find or make it.
pub(crate) async fn first_practice_or_insert(conn: &mut medoffice_store::Connection, new: PracticeRow) -> Result<String> {
    if let Some(existing) = practice::list(conn).await?.into_iter().next() {
        return Ok(existing.id);
    }
    practice::insert(conn, &new).await?;
    Ok(new.id)
}

/// A random password of 20 characters from an alphabet without look-alikes.
pub fn generated_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}
