//! The demo practice's billing: its billing details, and the last three weeks of office visits
//! coded on the superbill, their charges posted and their claims at the stages a biller meets on
//! a Monday: the oldest sent in 837P batches, some ready to send, the last day's still drafts.
//! Everything goes through the use
//! cases (so the books, the claims and the audit trail agree), deterministically.
//!
//! The visits of the last business day are coded but not yet reviewed: their claims are drafts.

use crate::claims::{BillingSettingsInput, ClaimStatusInput};
use crate::encounters::{EncounterInput, LineInput};
use crate::{App, AppError, Result};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use medoffice_domain::identifiers::npi_from_base;
use medoffice_store::users;

/// Visits coded: (diagnoses, lines as (procedure, modifiers, pointers)).
type Coding = (&'static [&'static str], &'static [(&'static str, &'static str, &'static str)]);

const CODINGS: [Coding; 8] = [
    (&["J02.9", "R50.9"], &[("99213", "", "1 2"), ("87880", "QW", "1")]),
    (&["E11.9", "I10"], &[("99214", "25", "1 2"), ("83036", "QW", "1"), ("36415", "", "1")]),
    (&["J06.9", "R05.9"], &[("99213", "", "1 2")]),
    (&["Z00.00", "E78.5"], &[("99396", "", "1"), ("80053", "", "2"), ("36415", "", "2")]),
    (&["I10"], &[("99212", "", "1")]),
    (&["Z23"], &[("90471", "", "1"), ("90686", "", "1")]),
    (&["M54.50", "G89.29"], &[("99214", "", "1 2"), ("96372", "", "1"), ("J1100", "", "1")]),
    (&["F41.1"], &[("99213", "", "1"), ("96127", "", "1")]),
];

impl App {
    /// The demo's billing: details, about two visits a business day for the last three weeks.
    pub(crate) async fn demo_billing(&self) -> Result<usize> {
        let actor_of = |username: &'static str| async move {
            let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
            let user = users::find_by_username(&mut conn, username).await?.into_iter().next().ok_or(AppError::NotFound("user"))?;
            self.actor_for(&mut conn, &user, None).await
        };
        // The superbill checks every diagnosis against ICD-10-CM (`serve` loads it at its first
        // start too; loading is idempotent).
        self.ensure_icd10cm_loaded().await?;
        let admin = actor_of("admin").await?;
        let biller = actor_of("biller").await?;
        self.set_billing_settings(
            &admin,
            &BillingSettingsInput {
                billing_npi: npi_from_base(158_203_344),
                tax_id: "84-2931756".into(),
                taxonomy_code: "207Q00000X".into(),
                address_line1: "410 Riverside Drive".into(),
                city: "Springfield".into(),
                state: "IL".into(),
                postal_code: "62701-1320".into(),
                phone: "(217) 555-0142".into(),
                submitter_id: "RIVERSIDEFM".into(),
                claims_usage: "test".into(),
                clearinghouse_id: "330897513".into(),
                clearinghouse_name: "Office Ally".into(),
            },
        )
        .await?;
        let providers = self.list_providers(&biller).await?;
        let patients = self.recent_patients(&biller, 300).await?;
        if providers.is_empty() || patients.is_empty() {
            return Ok(0);
        }
        let today = biller.today(self.now());
        let mut days: Vec<NaiveDate> = (1..=21u64)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        days.reverse();
        let mut coded = 0usize;
        let mut visit = 0usize;
        for (day_index, day) in days.iter().enumerate() {
            for _ in 0..2 {
                visit += 1;
                let coding = CODINGS[visit % CODINGS.len()];
                let patient = &patients[(visit * 37) % patients.len()];
                let input = EncounterInput {
                    patient_id: patient.id.clone(),
                    rendering_provider_id: providers[visit % providers.len()].id.clone(),
                    service_date: day.format("%Y-%m-%d").to_string(),
                    diagnoses: coding.0.iter().map(|d| (*d).to_string()).collect(),
                    lines: coding
                        .1
                        .iter()
                        .map(|(code, modifiers, pointers)| LineInput {
                            procedure_code: (*code).into(),
                            modifiers: (*modifiers).into(),
                            pointers: (*pointers).into(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                };
                // A patient whose coverage the generator left incomplete is coded another day.
                let Ok(encounter) = self.open_encounter(&biller, &input).await else { continue };
                let posted = self.post_charges(&biller, &encounter.id).await?;
                coded += 1;
                // Reviewed claims are marked ready (the scrubber permitting); the last day's wait.
                if let Some(claim_id) = posted.claim_id.filter(|_| day_index + 1 < days.len()) {
                    let ready = ClaimStatusInput { status: "ready".into(), note: "coded and checked".into() };
                    let _ = self.change_claim_status(&biller, &claim_id, &ready).await;
                }
            }
            // Claims go out twice a week; the last few days' are still waiting to be sent.
            if matches!(day.weekday(), Weekday::Tue | Weekday::Fri) && day_index + 4 < days.len() {
                self.send_ready_claims(&biller).await?;
            }
        }
        Ok(coded)
    }
}
