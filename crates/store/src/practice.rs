//! The practice, its payers and its providers.

use crate::{Result, StoreError};
use sqlx::{AnyConnection, FromRow};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PracticeRow {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub created_at: String,
}

pub async fn insert(conn: &mut AnyConnection, p: &PracticeRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO practice (id, name, timezone, phone, address_line1, city, state, postal_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.timezone)
    .bind(&p.phone)
    .bind(&p.address_line1)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<PracticeRow> {
    sqlx::query_as("SELECT * FROM practice WHERE id = $1").bind(id).fetch_optional(conn).await?.ok_or(StoreError::NotFound("practice"))
}

/// The practices, oldest first (one, for a single practice's database).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<PracticeRow>> {
    Ok(sqlx::query_as("SELECT * FROM practice ORDER BY created_at, id LIMIT 1000").fetch_all(conn).await?)
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct PayerRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub payer_code: String,
    pub claim_filing_indicator: String,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub created_at: String,
}

pub async fn insert_payer(conn: &mut AnyConnection, p: &PayerRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO payer (practice_id, id, name, payer_code, claim_filing_indicator, phone, address_line1, city, state, postal_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.payer_code)
    .bind(&p.claim_filing_indicator)
    .bind(&p.phone)
    .bind(&p.address_line1)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(&p.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The practice's payers by name. A practice bills tens of payers, not thousands; the limit is a guard.
pub async fn list_payers(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<PayerRow>> {
    Ok(sqlx::query_as("SELECT * FROM payer WHERE practice_id = $1 ORDER BY name, id LIMIT 2000").bind(practice_id).fetch_all(conn).await?)
}

pub async fn get_payer(conn: &mut AnyConnection, practice_id: &str, id: &str) -> Result<PayerRow> {
    sqlx::query_as("SELECT * FROM payer WHERE practice_id = $1 AND id = $2")
        .bind(practice_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound("payer"))
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ProviderRow {
    pub practice_id: String,
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    pub credentials: Option<String>,
    pub npi: String,
    pub specialty: Option<String>,
    pub colour: String,
    pub user_id: Option<String>,
    pub created_at: String,
    /// The provider's NUCC taxonomy code (the 837P's PRV), e.g. `207Q00000X`; optional.
    pub taxonomy_code: Option<String>,
}

pub async fn insert_provider(conn: &mut AnyConnection, p: &ProviderRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO provider (practice_id, id, family_name, given_name, credentials, npi, specialty, colour, user_id, created_at, taxonomy_code) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&p.practice_id)
    .bind(&p.id)
    .bind(&p.family_name)
    .bind(&p.given_name)
    .bind(&p.credentials)
    .bind(&p.npi)
    .bind(&p.specialty)
    .bind(&p.colour)
    .bind(&p.user_id)
    .bind(&p.created_at)
    .bind(&p.taxonomy_code)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_providers(conn: &mut AnyConnection, practice_id: &str) -> Result<Vec<ProviderRow>> {
    Ok(sqlx::query_as("SELECT * FROM provider WHERE practice_id = $1 ORDER BY family_name, given_name, id LIMIT 2000")
        .bind(practice_id)
        .fetch_all(conn)
        .await?)
}
