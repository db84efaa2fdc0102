//! Release of records (issue 8): for an open records request in the mail room, the patient's
//! documents picked one by one are sent as one PDF: the cover letter (the `records_released`
//! template, merged for the patient and the requester and laid out on the letterhead by the
//! letters code) followed by every document, PDFs page by page and images as pages.
//!
//! One transaction keeps the PDF (a blob), the release and the documents it sent, and fulfils the
//! request through the mail room's own fulfilment (the disclosure in the patient's accounting of
//! disclosures, with the documents' titles and the page count, and the outgoing mail log).
//!
//! It needs [`Action::ReleaseRecords`] and, for every document picked, its class's action (a
//! front desk cannot send an accounting record it may not read). Every read and write is audited.

use crate::mail_room::{FulfilInput, RecordsRequestView, SEND_METHODS};
use crate::{Actor, App, AppError, AuditNote, Result};
use medoffice_domain::ValidationErrors;
use medoffice_domain::documents;
use medoffice_domain::security::Action;
use medoffice_pdf::merge::merge_pdfs;
use medoffice_pdf::scan::{images_to_pdf, pdf_page_count};
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::documents::DocumentRow;
use medoffice_store::retention::{self as store, ReleaseRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The most documents one release sends.
pub const MAX_RELEASE_DOCUMENTS: usize = 200;
/// The most documents the release form lists for a patient.
pub const RELEASE_FORM_LIMIT: i64 = 1_000;
/// The letter template of the cover letter.
pub const COVER_TEMPLATE: &str = "records_released";
/// The longest `what` the accounting of disclosures keeps.
const MAX_WHAT_CHARS: usize = 400;

/// A release as typed: the documents, where it goes and how it is sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ReleaseInput {
    pub document_ids: Vec<String>,
    /// The requester's address, lines separated by line breaks (printed on the cover letter).
    pub recipient_address: String,
    /// `YYYY-MM-DD`; blank for today.
    pub date: String,
    /// One of the mail room's send methods.
    pub method: String,
    pub tracking_number: String,
}

/// A document the release form offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReleasableDocument {
    pub id: String,
    pub title: String,
    pub category_label: String,
    pub document_date: String,
    pub current_version: i64,
}

/// A document a release sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReleasedDocument {
    pub document_id: String,
    pub version: i64,
    pub title: String,
    pub category_label: String,
    pub document_date: String,
}

/// A release of records as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReleaseView {
    pub id: String,
    pub patient_id: String,
    pub records_request_id: Option<String>,
    pub disclosure_id: String,
    pub recipient_name: String,
    pub recipient_address: String,
    pub purpose: String,
    pub page_count: i64,
    pub released_by: String,
    pub released_at: String,
    pub documents: Vec<ReleasedDocument>,
    /// Where its PDF is.
    pub pdf_url: String,
}

/// The release form: the request, the documents that may be picked, the releases made for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReleaseForm {
    pub request: RecordsRequestView,
    pub documents: Vec<ReleasableDocument>,
    pub releases: Vec<ReleaseView>,
}

fn category_label(key: &str) -> String {
    documents::category(key).map(|c| c.label.to_string()).unwrap_or_else(|| key.to_string())
}

/// Whether the actor may read documents of this category.
fn may_read(actor: &Actor, category: &str) -> bool {
    documents::category(category).is_some_and(|c| actor.role.may(c.class.action()))
}

/// The titles sent, as the accounting of disclosures states them (cut short with a count when
/// there are many).
fn what_was_sent(documents: &[DocumentRow]) -> String {
    let mut what = format!("{} document{}: ", documents.len(), if documents.len() == 1 { "" } else { "s" });
    for (i, d) in documents.iter().enumerate() {
        let item = format!("{}{} ({})", if i > 0 { "; " } else { "" }, d.title, d.document_date);
        if what.chars().count() + item.chars().count() > MAX_WHAT_CHARS {
            what.push_str(&format!("; and {} more", documents.len() - i));
            break;
        }
        what.push_str(&item);
    }
    what
}

impl App {
    /// The release form of an open or fulfilled request: the patient's active documents the actor
    /// may read, and the releases made for the request. Audited.
    pub async fn release_form(&self, actor: &Actor, request_id: &str) -> Result<ReleaseForm> {
        let request = self.records_request(actor, request_id).await?.request;
        let mut tx = self.store.begin().await?;
        let rows = store::active_documents_of_patient(&mut tx, &actor.practice_id, &request.patient_id, RELEASE_FORM_LIMIT).await?;
        let documents = rows
            .into_iter()
            .filter(|d| may_read(actor, &d.category))
            .map(|d| ReleasableDocument {
                category_label: category_label(&d.category),
                id: d.id,
                title: d.title,
                document_date: d.document_date,
                current_version: d.current_version,
            })
            .collect::<Vec<_>>();
        let mut releases = Vec::new();
        for r in store::releases_of_request(&mut tx, &actor.practice_id, &request.id).await? {
            releases.push(self.release_view(&mut tx, r).await?);
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.release.form",
                patient_id: Some(&request.patient_id),
                record_type: "records_request",
                record_id: Some(&request.id),
                detail: format!("{} documents offered", documents.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ReleaseForm { request, documents, releases })
    }

    async fn release_view(&self, conn: &mut Connection, r: ReleaseRow) -> Result<ReleaseView> {
        let documents = store::release_documents(conn, &r.practice_id, &r.id)
            .await?
            .into_iter()
            .map(|d| ReleasedDocument {
                category_label: category_label(&d.category),
                document_id: d.document_id,
                version: d.version,
                title: d.title,
                document_date: d.document_date,
            })
            .collect();
        Ok(ReleaseView {
            pdf_url: format!("/records-releases/{}/pdf", r.id),
            id: r.id,
            patient_id: r.patient_id,
            records_request_id: r.records_request_id,
            disclosure_id: r.disclosure_id,
            recipient_name: r.recipient_name,
            recipient_address: r.recipient_address,
            purpose: r.purpose,
            page_count: r.page_count,
            released_by: r.released_by,
            released_at: r.released_at,
            documents,
        })
    }

    /// A document's current version as PDF pages (through the documents' own read, which checks
    /// the class and the hash): a PDF as it is, an image made a page.
    async fn release_part(&self, conn: &mut Connection, actor: &Actor, d: &DocumentRow) -> Result<Vec<u8>> {
        let (v, bytes) = self.document_bytes_in(conn, actor, &d.id, None).await?;
        let unreadable =
            |e: String| AppError::from(ValidationErrors::single("document_ids", format!("“{}” cannot be added: {e}", d.title)));
        if v.content_type == "application/pdf" {
            pdf_page_count(&bytes).map_err(unreadable)?;
            Ok(bytes)
        } else {
            images_to_pdf(&[&bytes]).map_err(unreadable)
        }
    }

    /// Releases the picked documents for an open records request: one PDF (cover letter, then
    /// each document), stored; the release and its documents written; the request fulfilled
    /// through the mail room (disclosure with the titles and the page count, outgoing mail log),
    /// all in one transaction. A document of another patient, destroyed, unknown or of a class
    /// the actor may not read is refused, named. Audited.
    pub async fn release_records(&self, actor: &Actor, request_id: &str, input: &ReleaseInput) -> Result<ReleaseView> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let practice_id = actor.practice_id.as_str();
        let mut errors = ValidationErrors::new();
        let mut ids: Vec<String> = Vec::new();
        for id in input.document_ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            if !ids.iter().any(|seen| seen == id) {
                ids.push(id.to_string());
            }
        }
        if ids.is_empty() {
            errors.add("document_ids", "choose the documents to release");
        } else if ids.len() > MAX_RELEASE_DOCUMENTS {
            errors.add("document_ids", format!("release at most {MAX_RELEASE_DOCUMENTS} documents at a time"));
        }
        let address: Vec<&str> = input.recipient_address.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if address.is_empty() {
            errors.add("recipient_address", "enter the address the records are sent to (it is printed on the cover letter)");
        } else if address.len() > 6 || address.iter().any(|l| l.chars().count() > 100) {
            errors.add("recipient_address", "at most 6 lines of at most 100 characters");
        }
        if !SEND_METHODS.iter().any(|(code, _)| *code == input.method.trim()) {
            errors.add("method", "choose how the records are sent");
        }
        let mut tx = self.store.begin().await?;
        let request = medoffice_store::mail_room::get_request(&mut tx, practice_id, request_id.trim()).await?;
        if request.status != "open" {
            return Err(AppError::Conflict("this request was fulfilled already; its release is on the request's page".into()));
        }
        let mut picked = Vec::new();
        for id in &ids {
            let d = match medoffice_store::documents::get_document(&mut tx, practice_id, id).await {
                Ok(d) => d,
                Err(StoreError::NotFound(_)) => {
                    errors.add("document_ids", format!("there is no document '{}'", id.chars().take(60).collect::<String>()));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if d.patient_id.as_deref() != Some(request.patient_id.as_str()) {
                errors.add("document_ids", format!("“{}” is not a document of this request's patient", d.title));
                continue;
            }
            if !may_read(actor, &d.category) {
                // Refused through `authorize`, which audits the refusal (outside this transaction).
                drop(tx);
                let action = documents::category(&d.category).map_or(Action::HandlePatientDocuments, |c| c.class.action());
                self.authorize(actor, action, Some(&request.patient_id)).await?;
                return Err(AppError::Forbidden);
            }
            if d.status != "active" {
                errors.add("document_ids", format!("“{}” was destroyed and cannot be released", d.title));
                continue;
            }
            picked.push(d);
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        // The order of the file: oldest document first, as a chart is read.
        picked.sort_by(|a, b| (&a.document_date, &a.created_at, &a.id).cmp(&(&b.document_date, &b.created_at, &b.id)));
        let recipient_address = address.join("\n");
        let letter = crate::letters::LetterInput {
            template: COVER_TEMPLATE.into(),
            patient_id: request.patient_id.clone(),
            recipient_name: request.requester_name.clone(),
            recipient_address: recipient_address.clone(),
            ..Default::default()
        };
        let (_, cover) = self.render_letter_in(&mut tx, actor, &letter).await.map_err(|e| match e {
            // The template's merge errors name the merge field; on this form they concern the cover letter.
            AppError::Validation(v) => {
                let mut out = ValidationErrors::new();
                for f in v.errors {
                    let field = if f.field == "body" { "cover_letter" } else { f.field.as_str() };
                    out.add(field, format!("cover letter: {}", f.message));
                }
                AppError::from(out)
            }
            other => other,
        })?;
        let mut parts = vec![cover];
        for d in &picked {
            parts.push(self.release_part(&mut tx, actor, d).await?);
        }
        let pdf = merge_pdfs(parts).map_err(|e| AppError::Internal(format!("the release could not be assembled: {e}")))?;
        let pages = pdf_page_count(&pdf).map_err(|e| AppError::Internal(format!("the assembled release cannot be read back: {e}")))?;
        let pages = i64::try_from(pages).unwrap_or(i64::MAX);
        let (fulfilled, disclosure_id) = self
            .fulfil_records_request_in(
                &mut tx,
                actor,
                &request.id,
                &FulfilInput {
                    date: input.date.clone(),
                    method: input.method.clone(),
                    tracking_number: input.tracking_number.clone(),
                    pages,
                    what: what_was_sent(&picked),
                },
            )
            .await?;
        let blob_id = new_id();
        let key = format!("{practice_id}/{blob_id}");
        self.blobs.put(&key, &pdf).await?;
        blobs::insert(
            &mut tx,
            &BlobRow {
                practice_id: practice_id.into(),
                id: blob_id.clone(),
                content_type: "application/pdf".into(),
                size_bytes: i64::try_from(pdf.len()).unwrap_or(i64::MAX),
                sha256: hex::encode(Sha256::digest(&pdf)),
                storage_key: key,
                created_at: self.now_text(),
            },
        )
        .await?;
        let row = ReleaseRow {
            practice_id: practice_id.into(),
            id: new_id(),
            patient_id: request.patient_id.clone(),
            records_request_id: Some(request.id.clone()),
            disclosure_id,
            recipient_name: request.requester_name.clone(),
            recipient_address,
            purpose: request.purpose.clone(),
            letter_id: None,
            blob_id,
            page_count: pages,
            released_by: actor.username.clone(),
            released_at: self.now_text(),
        };
        store::insert_release(&mut tx, &row).await?;
        for d in &picked {
            store::insert_release_document(&mut tx, practice_id, &row.id, &d.id, d.current_version).await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.release",
                patient_id: Some(&row.patient_id),
                record_type: "records_release",
                record_id: Some(&row.id),
                detail: format!(
                    "{} documents, {pages} pages to {} for request {} ({})",
                    picked.len(),
                    row.recipient_name,
                    request.id,
                    fulfilled.request.fulfilled_method_label.unwrap_or_default()
                ),
            },
        )
        .await?;
        let view = self.release_view(&mut tx, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One release with the documents it sent. Audited.
    pub async fn records_release(&self, actor: &Actor, id: &str) -> Result<ReleaseView> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_release(&mut tx, &actor.practice_id, id.trim()).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.release.read",
                patient_id: Some(&row.patient_id),
                record_type: "records_release",
                record_id: Some(&row.id),
                detail: String::new(),
            },
        )
        .await?;
        let view = self.release_view(&mut tx, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// A release's PDF as sent, checked against its hash: file name and bytes. Audited.
    pub async fn records_release_pdf(&self, actor: &Actor, id: &str) -> Result<(String, Vec<u8>)> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_release(&mut tx, &actor.practice_id, id.trim()).await?;
        let blob = blobs::get(&mut tx, &actor.practice_id, &row.blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != blob.sha256 {
            return Err(AppError::Damaged(format!("the stored release {} does not match its hash", row.id)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.release.pdf",
                patient_id: Some(&row.patient_id),
                record_type: "records_release",
                record_id: Some(&row.id),
                detail: format!("{} pages", row.page_count),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((format!("records-release-{}.pdf", row.released_at.get(..10).unwrap_or("")), bytes))
    }

    /// A patient's releases of records, newest first. Audited.
    pub async fn patient_releases(&self, actor: &Actor, patient_id: &str) -> Result<Vec<ReleaseView>> {
        self.authorize(actor, Action::ReleaseRecords, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::releases_of_patient(&mut tx, &actor.practice_id, patient_id.trim(), 200).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.release_view(&mut tx, r).await?);
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.release.list",
                patient_id: Some(patient_id.trim()),
                record_type: "records_release",
                record_id: None,
                detail: format!("{} releases", out.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn doc(title: &str, date: &str) -> DocumentRow {
        DocumentRow {
            practice_id: "p".into(),
            id: title.into(),
            category: "referral".into(),
            title: title.into(),
            description: String::new(),
            document_date: date.into(),
            patient_id: Some("pt".into()),
            payer_id: None,
            vendor_id: None,
            claim_id: None,
            current_version: 1,
            search_text: String::new(),
            status: "active".into(),
            created_by: "u".into(),
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn what_was_sent_lists_the_titles_and_cuts_a_long_list_short_with_a_count() {
        let two = what_was_sent(&[doc("Referral", "2026-01-02"), doc("Lab result", "2026-02-03")]);
        assert_eq!(two, "2 documents: Referral (2026-01-02); Lab result (2026-02-03)");
        let many: Vec<DocumentRow> = (0..60).map(|i| doc(&format!("Visit note number {i}"), "2026-01-01")).collect();
        let text = what_was_sent(&many);
        assert!(text.chars().count() <= MAX_WHAT_CHARS + 20, "{text}");
        assert!(text.starts_with("60 documents: Visit note number 0"), "{text}");
        assert!(text.ends_with("more"), "{text}");
    }
}
