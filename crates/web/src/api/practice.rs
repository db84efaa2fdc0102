//! The practice's lists: payers and providers.

use super::Page;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use medoffice_app::views::{PayerView, ProviderView};

/// The insurance companies the practice bills.
#[utoipa::path(get, path = "/api/v1/payers", tag = "practice",
    responses((status = 200, description = "The payers", body = Page<PayerView>), (status = 401, body = crate::error::Problem)))]
pub async fn payers(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<PayerView>>, ApiError> {
    Ok(Json(Page::all(state.app.list_payers(&actor).await?)))
}

/// The practice's providers, with their NPIs.
#[utoipa::path(get, path = "/api/v1/providers", tag = "practice",
    responses((status = 200, description = "The providers", body = Page<ProviderView>), (status = 401, body = crate::error::Problem)))]
pub async fn providers(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Page<ProviderView>>, ApiError> {
    Ok(Json(Page::all(state.app.list_providers(&actor).await?)))
}
