//! Patient use cases: register, edit, find, open the chart, insurance coverages, card images,
//! duplicates and merges.

use crate::views::{ChartView, CoverageView, DuplicateCandidate, PatientSummary, PatientView};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::patients::{
    CoverageInput, CoveragePeriod, DuplicateProbe, PatientData, PatientInput, age_on, check_priority_overlap, likely_duplicate,
    mrn_from_sequence, parse_date,
};
use medoffice_domain::search::{Indexable, index_tokens, parse_query, rank, spelled_match};
use medoffice_domain::security::Action;
use medoffice_domain::validation::ValidationErrors;
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::patients::{self as store, PatientRow};
use medoffice_store::{Connection, StoreError, new_id, next_counter};
use sha2::{Digest, Sha256};

/// How many search results a search answers at most.
pub const MAX_SEARCH_RESULTS: usize = 25;
/// How many candidates the index scan hands to ranking: enough to rank the 25 shown (spelled
/// matches come first out of the scan), few enough that a two-word search probes little.
const SEARCH_CANDIDATES: i64 = 60;

/// An uploaded file as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Which side of the insurance card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSide {
    Front,
    Back,
}

/// The kinds of card image accepted, recognised by their first bytes, not by the name or the
/// type the browser claims.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

impl App {
    fn today_text(&self, actor: &Actor) -> String {
        actor.today(self.now()).to_string()
    }

    /// Registers a patient. Unless `confirmed_new` is set, a registration that looks like an
    /// existing patient is refused with the likely duplicates, so the front desk chooses.
    pub async fn register_patient(&self, actor: &Actor, input: &PatientInput, confirmed_new: bool) -> Result<PatientView> {
        self.authorize(actor, Action::RegisterPatient, None).await?;
        let data = input.validate(actor.today(self.now()))?;
        let mut tx = self.store.begin().await?;
        if !confirmed_new {
            let duplicates = find_duplicates(&mut tx, &actor.practice_id, &data, None).await?;
            if !duplicates.is_empty() {
                return Err(AppError::PossibleDuplicates(duplicates));
            }
        }
        let id = new_id();
        let mrn = mrn_from_sequence(u64::try_from(next_counter(&mut tx, &actor.practice_id, "mrn").await?).unwrap_or(0));
        let now = self.now_text();
        store::insert(&mut tx, &actor.practice_id, &id, &mrn, &data, &now).await?;
        reindex(&mut tx, &actor.practice_id, &id).await?;
        let row = store::get(&mut tx, &actor.practice_id, &id).await?;
        let detail = if confirmed_new { "registered after reviewing possible duplicates".into() } else { String::new() };
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "patient.create", patient_id: Some(&id), record_type: "patient", record_id: Some(&id), detail },
        )
        .await?;
        tx.commit().await?;
        Ok(PatientView::from(&row))
    }

    /// The likely duplicates of a registration, without registering (the form's check).
    pub async fn find_possible_duplicates(
        &self,
        actor: &Actor,
        input: &PatientInput,
        except_id: Option<&str>,
    ) -> Result<Vec<DuplicateCandidate>> {
        self.authorize(actor, Action::SearchPatients, None).await?;
        let data = input.validate(actor.today(self.now()))?;
        let mut tx = self.store.begin().await?;
        let found = find_duplicates(&mut tx, &actor.practice_id, &data, except_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.duplicate_check",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("{} match(es)", found.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Edits a patient's demographics; `expected_version` is the version the editor read.
    pub async fn update_patient(
        &self,
        actor: &Actor,
        patient_id: &str,
        expected_version: i64,
        input: &PatientInput,
    ) -> Result<PatientView> {
        self.authorize(actor, Action::EditPatient, Some(patient_id)).await?;
        let data = input.validate(actor.today(self.now()))?;
        let mut tx = self.store.begin().await?;
        let before = store::get(&mut tx, &actor.practice_id, patient_id).await?;
        if before.merged_into.is_some() {
            return Err(AppError::Conflict("this record was merged into another patient; edit that one".into()));
        }
        store::update(&mut tx, &actor.practice_id, patient_id, expected_version, &data, &self.now_text()).await?;
        reindex(&mut tx, &actor.practice_id, patient_id).await?;
        let after = store::get(&mut tx, &actor.practice_id, patient_id).await?;
        let mut detail = changed_fields(&before, &after).join(", ");
        // A new address clears the bad-address flag that returned mail set (the mail room).
        let address =
            |p: &PatientRow| (p.address_line1.clone(), p.address_line2.clone(), p.city.clone(), p.state.clone(), p.postal_code.clone());
        if address(&before) != address(&after) && self.clear_bad_address_in(&mut tx, actor, patient_id).await? {
            detail.push_str("; bad-address flag cleared");
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.update",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(PatientView::from(&after))
    }

    /// The patient's chart: demographics and coverages. Every opening is audited.
    pub async fn patient_chart(&self, actor: &Actor, patient_id: &str) -> Result<ChartView> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get(&mut tx, &actor.practice_id, patient_id).await?;
        let coverages = store::coverages_of(&mut tx, &actor.practice_id, patient_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        let today = self.today_text(actor);
        let age = parse_date(&row.birth_date).map(|b| age_on(b, actor.today(self.now()))).unwrap_or(0);
        Ok(ChartView {
            patient: PatientView::from(&row),
            coverages: coverages.iter().map(|c| CoverageView::from_row(c, &today)).collect(),
            age,
        })
    }

    /// Finds patients by any part of the name (typo-tolerant), birth date, phone, MRN or member
    /// id; best matches first, at most 25. The search (with its text) is audited.
    pub async fn search_patients(&self, actor: &Actor, query: &str) -> Result<Vec<PatientSummary>> {
        self.authorize(actor, Action::SearchPatients, None).await?;
        let words = parse_query(query);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store.begin().await?;
        let ids = store::search_ids(&mut tx, &actor.practice_id, &words, SEARCH_CANDIDATES).await?;
        let rows = store::get_many(&mut tx, &actor.practice_id, &ids).await?;
        // Member ids are not in the row; a word that matched only one still counts as found.
        let scored: Vec<(u32, bool, &PatientRow)> = rows
            .iter()
            .map(|r| {
                let tokens = tokens_of_row(r, &[]);
                (rank(&words, &tokens).max(1), spelled_match(&words, &tokens), r)
            })
            .collect();
        let any_spelled = scored.iter().any(|(_, spelled, _)| *spelled);
        let mut ranked: Vec<(u32, &PatientRow)> =
            scored.into_iter().filter(|(_, spelled, _)| *spelled || !any_spelled).map(|(s, _, r)| (s, r)).collect();
        ranked.sort_by(|a, b| {
            b.0.cmp(&a.0).then_with(|| {
                (&a.1.family_name, &a.1.given_name, &a.1.birth_date).cmp(&(&b.1.family_name, &b.1.given_name, &b.1.birth_date))
            })
        });
        let results: Vec<PatientSummary> = ranked.into_iter().take(MAX_SEARCH_RESULTS).map(|(_, r)| PatientSummary::from(r)).collect();
        let detail: String = query.chars().take(100).collect();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.search",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("{detail} ({} result(s))", results.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(results)
    }

    /// The patients registered or changed most recently.
    pub async fn recent_patients(&self, actor: &Actor, limit: i64) -> Result<Vec<PatientSummary>> {
        self.authorize(actor, Action::SearchPatients, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_recent(&mut tx, &actor.practice_id, limit.clamp(1, 100)).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.list",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("recent ({})", rows.len()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rows.iter().map(PatientSummary::from).collect())
    }

    pub async fn count_patients(&self, actor: &Actor) -> Result<i64> {
        self.authorize(actor, Action::SearchPatients, None).await?;
        let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
        Ok(store::count(&mut conn, &actor.practice_id).await?)
    }

    /// Adds an insurance coverage, with optional card images.
    pub async fn add_coverage(
        &self,
        actor: &Actor,
        patient_id: &str,
        input: &CoverageInput,
        front: Option<Upload>,
        back: Option<Upload>,
    ) -> Result<CoverageView> {
        self.save_coverage(actor, patient_id, None, input, front, back).await
    }

    /// Changes a coverage (end it, correct a member id, add card images).
    pub async fn update_coverage(
        &self,
        actor: &Actor,
        patient_id: &str,
        coverage_id: &str,
        input: &CoverageInput,
        front: Option<Upload>,
        back: Option<Upload>,
    ) -> Result<CoverageView> {
        self.save_coverage(actor, patient_id, Some(coverage_id), input, front, back).await
    }

    async fn save_coverage(
        &self,
        actor: &Actor,
        patient_id: &str,
        coverage_id: Option<&str>,
        input: &CoverageInput,
        front: Option<Upload>,
        back: Option<Upload>,
    ) -> Result<CoverageView> {
        self.authorize(actor, Action::EditCoverage, Some(patient_id)).await?;
        let mut errors = ValidationErrors::new();
        let data = match input.validate(actor.today(self.now())) {
            Ok(d) => Some(d),
            Err(e) => {
                errors = e;
                None
            }
        };
        let front = self.check_upload(front, "card_front", &mut errors);
        let back = self.check_upload(back, "card_back", &mut errors);
        let Some(data) = data.filter(|_| errors.is_empty()) else {
            return Err(errors.into());
        };
        let mut tx = self.store.begin().await?;
        let patient = store::get(&mut tx, &actor.practice_id, patient_id).await?;
        if patient.merged_into.is_some() {
            return Err(AppError::Conflict("this record was merged into another patient".into()));
        }
        if medoffice_store::practice::get_payer(&mut tx, &actor.practice_id, &data.payer_id).await.is_err() {
            return Err(ValidationErrors::single("payer_id", "choose an insurance company from the practice's list").into());
        }
        let existing = store::coverages_of(&mut tx, &actor.practice_id, patient_id).await?;
        if let Some(id) = coverage_id
            && !existing.iter().any(|c| c.coverage.id == id)
        {
            return Err(AppError::NotFound("coverage"));
        }
        let periods: Vec<CoveragePeriod> = existing
            .iter()
            .filter(|c| Some(c.coverage.id.as_str()) != coverage_id)
            .filter_map(|c| {
                Some(CoveragePeriod {
                    id: c.coverage.id.clone(),
                    payer_name: c.payer_name.clone(),
                    priority: u8::try_from(c.coverage.priority).ok()?,
                    start_date: parse_date(&c.coverage.start_date).ok()?,
                    end_date: c.coverage.end_date.as_deref().and_then(|d| parse_date(d).ok()),
                })
            })
            .collect();
        check_priority_overlap(&data, &periods)?;
        let front_id = match front {
            Some(u) => Some(self.store_blob(&mut tx, actor, u).await?),
            None => None,
        };
        let back_id = match back {
            Some(u) => Some(self.store_blob(&mut tx, actor, u).await?),
            None => None,
        };
        let now = self.now_text();
        let (id, action) = match coverage_id {
            Some(id) => {
                store::update_coverage(&mut tx, &actor.practice_id, id, patient_id, &data, (front_id.as_deref(), back_id.as_deref()), &now)
                    .await?;
                (id.to_string(), "coverage.update")
            }
            None => {
                let id = new_id();
                store::insert_coverage(
                    &mut tx,
                    &actor.practice_id,
                    &id,
                    patient_id,
                    &data,
                    (front_id.as_deref(), back_id.as_deref()),
                    &now,
                )
                .await?;
                (id, "coverage.create")
            }
        };
        reindex(&mut tx, &actor.practice_id, patient_id).await?;
        let saved = store::get_coverage(&mut tx, &actor.practice_id, &id).await?;
        let detail = format!("{} {} member {}", saved.payer_name, data.priority, data.member_id);
        self.audit(
            &mut tx,
            actor,
            AuditNote { action, patient_id: Some(patient_id), record_type: "coverage", record_id: Some(&id), detail },
        )
        .await?;
        tx.commit().await?;
        Ok(CoverageView::from_row(&saved, &self.today_text(actor)))
    }

    fn check_upload(&self, upload: Option<Upload>, field: &str, errors: &mut ValidationErrors) -> Option<(Upload, &'static str)> {
        let upload = upload.filter(|u| !u.bytes.is_empty())?;
        if upload.bytes.len() > self.config.max_upload_bytes {
            errors.add(field, format!("the file is larger than {} MB", self.config.max_upload_bytes / (1024 * 1024)));
            return None;
        }
        match sniff_image(&upload.bytes) {
            Some(kind) => Some((upload, kind)),
            None => {
                errors.add(field, "upload a photo or scan: JPEG, PNG, WebP or PDF");
                None
            }
        }
    }

    /// Writes the bytes to the blob store, then records them in the transaction.
    async fn store_blob(&self, conn: &mut Connection, actor: &Actor, (upload, content_type): (Upload, &'static str)) -> Result<String> {
        let id = new_id();
        let key = format!("{}/{id}", actor.practice_id);
        self.blobs.put(&key, &upload.bytes).await?;
        blobs::insert(
            conn,
            &BlobRow {
                practice_id: actor.practice_id.clone(),
                id: id.clone(),
                content_type: content_type.to_string(),
                size_bytes: i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX),
                sha256: hex::encode(Sha256::digest(&upload.bytes)),
                storage_key: key,
                created_at: self.now_text(),
            },
        )
        .await?;
        Ok(id)
    }

    /// A card image of a coverage: its content type and bytes. Audited as a read of the patient.
    pub async fn card_image(&self, actor: &Actor, coverage_id: &str, side: CardSide) -> Result<(String, Vec<u8>)> {
        // The role first: a refused user learns nothing, not even whether the coverage exists.
        self.authorize(actor, Action::ReadPatient, None).await?;
        let mut tx = self.store.begin().await?;
        let coverage = store::get_coverage(&mut tx, &actor.practice_id, coverage_id).await?;
        let patient_id = coverage.coverage.patient_id.clone();
        let blob_id = match side {
            CardSide::Front => coverage.coverage.card_front_blob_id.clone(),
            CardSide::Back => coverage.coverage.card_back_blob_id.clone(),
        }
        .ok_or(AppError::NotFound("card image"))?;
        let blob = blobs::get(&mut tx, &actor.practice_id, &blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != blob.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "coverage.card.read",
                patient_id: Some(&patient_id),
                record_type: "blob",
                record_id: Some(&blob.id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((blob.content_type, bytes))
    }

    /// Folds the record `merged_id` into `survivor_id` (an admin's decision after a duplicate
    /// was registered): coverages move over, the merged record is kept but hidden, all audited.
    pub async fn merge_patients(&self, actor: &Actor, survivor_id: &str, merged_id: &str) -> Result<PatientView> {
        self.authorize(actor, Action::MergePatients, Some(merged_id)).await?;
        if survivor_id == merged_id {
            return Err(ValidationErrors::single("merged_id", "choose two different patients").into());
        }
        let mut tx = self.store.begin().await?;
        let survivor = store::get(&mut tx, &actor.practice_id, survivor_id).await?;
        let merged = store::get(&mut tx, &actor.practice_id, merged_id).await?;
        if survivor.merged_into.is_some() {
            return Err(ValidationErrors::single("survivor_id", "that record was itself merged into another").into());
        }
        let moved = store::merge(&mut tx, &actor.practice_id, &new_id(), survivor_id, merged_id, &actor.user_id, &self.now_text()).await?;
        reindex(&mut tx, &actor.practice_id, survivor_id).await?;
        let detail = format!("MRN {} merged into MRN {}; {moved} coverage(s) moved", merged.mrn, survivor.mrn);
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.merge",
                patient_id: Some(survivor_id),
                record_type: "patient",
                record_id: Some(merged_id),
                detail: detail.clone(),
            },
        )
        .await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.merged_away",
                patient_id: Some(merged_id),
                record_type: "patient",
                record_id: Some(merged_id),
                detail,
            },
        )
        .await?;
        let after = store::get(&mut tx, &actor.practice_id, survivor_id).await?;
        tx.commit().await?;
        Ok(PatientView::from(&after))
    }
}

/// The existing patients a registration may duplicate: those born the same day, and those
/// sharing a phone number.
async fn find_duplicates(
    conn: &mut Connection,
    practice_id: &str,
    data: &PatientData,
    except_id: Option<&str>,
) -> Result<Vec<DuplicateCandidate>> {
    let mut candidates = store::born_on(conn, practice_id, &data.birth_date.to_string()).await?;
    for phone in data.phones() {
        candidates.extend(store::with_phone(conn, practice_id, phone.digits()).await?);
    }
    let mut seen = std::collections::HashSet::new();
    Ok(candidates
        .iter()
        .filter(|r| Some(r.id.as_str()) != except_id && seen.insert(r.id.clone()))
        .filter_map(|r| {
            let birth_date = parse_date(&r.birth_date).ok()?;
            let probe = DuplicateProbe { family_name: &r.family_name, given_name: &r.given_name, birth_date, phones: r.phones() };
            likely_duplicate(data, &probe)
                .map(|reason| DuplicateCandidate { patient: PatientSummary::from(r), reason: reason.explain().to_string() })
        })
        .take(20)
        .collect())
}

/// The search tokens a stored patient row yields (member ids passed separately).
fn tokens_of_row(r: &PatientRow, member_ids: &[String]) -> Vec<String> {
    let mut names = vec![r.family_name.as_str(), r.given_name.as_str()];
    names.extend(r.middle_name.as_deref());
    names.extend(r.preferred_name.as_deref());
    index_tokens(&Indexable {
        names,
        birth_date: parse_date(&r.birth_date).ok(),
        phones: r.phones(),
        mrn: &r.mrn,
        member_ids: member_ids.iter().map(String::as_str).collect(),
        name_pairs: std::iter::once(r.given_name.as_str())
            .chain(r.preferred_name.as_deref())
            .map(|given| (r.family_name.as_str(), given))
            .collect(),
    })
}

/// Recomputes a patient's search tokens from the stored row and coverages.
async fn reindex(conn: &mut Connection, practice_id: &str, patient_id: &str) -> Result<()> {
    let row = store::get(conn, practice_id, patient_id).await?;
    let member_ids: Vec<String> =
        store::coverages_of(conn, practice_id, patient_id).await?.into_iter().map(|c| c.coverage.member_id).collect();
    let tokens = tokens_of_row(&row, &member_ids);
    store::replace_tokens(conn, practice_id, patient_id, &tokens).await?;
    Ok(())
}

/// The names of the columns an edit changed (for the audit record; values are not repeated).
fn changed_fields(before: &PatientRow, after: &PatientRow) -> Vec<&'static str> {
    let b = serde_json::to_value(before).unwrap_or_default();
    let a = serde_json::to_value(after).unwrap_or_default();
    match (b.as_object(), a.as_object()) {
        (Some(bo), Some(ao)) => store::DATA_COLUMNS.iter().copied().filter(|f| bo.get(*f) != ao.get(*f)).collect(),
        _ => Vec::new(),
    }
}
