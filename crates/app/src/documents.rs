//! Medical files (issue 8): documents of every kind filed by category, with their versions.
//!
//! A document is a PDF or an image kept in the blob store (encrypted at rest) with its content
//! hash; several scanned images filed together become one PDF of as many pages
//! ([`medoffice_pdf::scan::images_to_pdf`]). A new version never erases the old ones: every
//! version stays downloadable with its own hash. A PDF's text layer is kept for search, with the
//! title, the description, the category and the file name.
//!
//! Access follows the category's class ([`DocumentClass::action`]): patient records to the
//! clinical and front-desk roles, accounting records to billing and the books, contracts and
//! business documents to the office manager and the bookkeeper. A document of a class the actor
//! may not handle is refused even by id, and searches only ever look at the categories the actor
//! may handle. Every upload, read, view, download and search is audited, with the patient.

use crate::mail_room::{Links, check_links};
use crate::patients::Upload;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Datelike, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::documents::{
    self as rules, Category, DocumentClass, MAX_DESCRIPTION_CHARS, MAX_DOCUMENT_BYTES, MAX_PAGES_PER_UPLOAD, MAX_TITLE_CHARS,
};
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::documents::{self as store, DocumentFilter, DocumentListRow, DocumentRow, DocumentVersionRow};
use medoffice_store::{Connection, StoreError, Tx, new_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The most documents one list or search answers.
pub const DOCUMENT_LIST_LIMIT: i64 = 200;

/// A document's facts as typed (the file comes separately). Blank means none; a blank title is
/// taken from the file's name and a blank date is today.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DocumentInput {
    /// A category key (`referral`, `eob`, `payer_contract`, `licence`, ...).
    pub category: String,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DD`, the date the document bears; blank for today.
    pub document_date: String,
    pub patient_id: String,
    pub payer_id: String,
    pub vendor_id: String,
    pub claim_id: String,
}

/// What a list of documents asks for. Blank fields do not narrow it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DocumentQuery {
    /// Words, each of which the title, description, file name or text must hold.
    pub q: String,
    pub category: String,
    pub patient_id: String,
    pub payer_id: String,
    pub vendor_id: String,
    pub claim_id: String,
}

/// One version of a document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentVersionView {
    pub version: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub page_count: i64,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// False once the document was destroyed under its retention rule.
    pub available: bool,
}

/// A document with its current version's facts and every version, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub category: String,
    pub category_label: String,
    /// `patient_record`, `accounting`, `contract` or `business`.
    pub class: String,
    pub title: String,
    pub description: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub claim_id: Option<String>,
    pub claim_number: Option<i64>,
    /// The current version's number.
    pub version: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub page_count: i64,
    /// `active` or `destroyed`.
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub versions: Vec<DocumentVersionView>,
}

/// A document in a list or search answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentListItem {
    pub id: String,
    pub category: String,
    pub category_label: String,
    pub class: String,
    pub title: String,
    pub description: String,
    pub document_date: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub claim_id: Option<String>,
    pub claim_number: Option<i64>,
    pub version: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub page_count: i64,
    pub file_name: String,
}

/// What the upload form offers to link a document to.
#[derive(Debug, Clone, Default)]
pub struct DocumentFormChoices {
    pub payers: Vec<(String, String)>,
    pub vendors: Vec<(String, String)>,
}

/// A version's bytes, to show in the browser or to download.
#[derive(Debug, Clone)]
pub struct DocumentContent {
    pub document_id: String,
    pub version: i64,
    /// The name to offer: the uploaded file's name, cleaned; never a path.
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Why a document's bytes are read: shown in the browser or saved (audited apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentUse {
    View,
    Download,
}

/// A file ready to store: its bytes, type, name to show, pages and text layer.
struct Prepared {
    bytes: Vec<u8>,
    content_type: &'static str,
    file_name: String,
    page_count: i64,
    text: String,
}

fn class_label(c: &Category) -> String {
    c.class.as_str().to_string()
}

fn category_label(key: &str) -> String {
    rules::category(key).map_or_else(|| key.to_string(), |c| c.label.to_string())
}

fn class_of(key: &str) -> Option<DocumentClass> {
    rules::category(key).map(|c| c.class)
}

/// Checks the uploaded files and makes them one file: a single PDF or image as it is (a PDF must
/// be readable; its text layer is kept), several images combined into one PDF, one page each.
/// Every fault is named on `file`.
fn prepare(files: Vec<Upload>, errors: &mut ValidationErrors) -> Option<Prepared> {
    let files: Vec<Upload> = files.into_iter().filter(|f| !f.bytes.is_empty() || !f.file_name.is_empty()).collect();
    if files.is_empty() {
        errors.add("file", "choose the file to upload (a PDF, or JPEG or PNG images of the scanned pages)");
        return None;
    }
    if files.len() > MAX_PAGES_PER_UPLOAD {
        errors.add("file", format!("at most {MAX_PAGES_PER_UPLOAD} scanned pages can be filed as one document"));
        return None;
    }
    let several = files.len() > 1;
    let mut types = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        match rules::check_upload(&f.bytes) {
            Ok(t) => types.push(t),
            Err(e) if several => {
                errors.add("file", format!("file {} ({}): {e}", i + 1, rules::display_file_name(&f.file_name)));
                return None;
            }
            Err(e) => {
                errors.add("file", e);
                return None;
            }
        }
    }
    if several {
        if let Some(i) = types.iter().position(|t| *t == "application/pdf") {
            errors.add(
                "file",
                format!(
                    "several files are filed as the scanned pages of one document: each must be a JPEG or PNG image (file {} is a PDF)",
                    i + 1
                ),
            );
            return None;
        }
        let pages: Vec<&[u8]> = files.iter().map(|f| f.bytes.as_slice()).collect();
        let pdf = match medoffice_pdf::scan::images_to_pdf(&pages) {
            Ok(pdf) => pdf,
            Err(e) => {
                errors.add("file", e);
                return None;
            }
        };
        if pdf.len() > MAX_DOCUMENT_BYTES {
            errors.add("file", format!("the scanned pages together are larger than {} MB", MAX_DOCUMENT_BYTES / 1_048_576));
            return None;
        }
        let first = rules::display_file_name(&files[0].file_name);
        let stem = first.rsplit_once('.').map_or(first.as_str(), |(s, _)| s).to_string();
        return Some(Prepared {
            bytes: pdf,
            content_type: "application/pdf",
            file_name: format!("{stem}.pdf"),
            page_count: i64::try_from(files.len()).unwrap_or(i64::MAX),
            text: String::new(),
        });
    }
    let file = files.into_iter().next()?;
    let content_type = types[0];
    let (page_count, text) = if content_type == "application/pdf" {
        match medoffice_pdf::scan::pdf_page_count(&file.bytes) {
            Ok(n) => (i64::try_from(n).unwrap_or(i64::MAX), medoffice_pdf::scan::pdf_text(&file.bytes)),
            Err(e) => {
                errors.add("file", e);
                return None;
            }
        }
    } else {
        (1, String::new())
    };
    Some(Prepared { file_name: rules::display_file_name(&file.file_name), bytes: file.bytes, content_type, page_count, text })
}

/// The title: as typed, or the file's name without its extension.
fn title_of(typed: &str, file_name: Option<&str>, category: Option<&Category>, errors: &mut ValidationErrors) -> Option<String> {
    if let Some(t) = clean(typed) {
        if t.chars().count() > MAX_TITLE_CHARS {
            errors.add("title", format!("at most {MAX_TITLE_CHARS} characters"));
            return None;
        }
        return Some(t);
    }
    let from_file = file_name.map(|n| n.rsplit_once('.').map_or(n, |(s, _)| s).trim().to_string()).filter(|s| !s.is_empty());
    let t = from_file.or_else(|| category.map(|c| c.label.to_string())).unwrap_or_else(|| "Document".to_string());
    Some(t.chars().take(MAX_TITLE_CHARS).collect())
}

fn date_of(typed: &str, today: NaiveDate, errors: &mut ValidationErrors) -> Option<NaiveDate> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Some(today);
    }
    match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        Ok(d) if d.year() < 1900 => {
            errors.add("document_date", "enter a date after 1900");
            None
        }
        Ok(d) if d > today + chrono::Duration::days(366) => {
            errors.add("document_date", "the date is more than a year ahead");
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            errors.add("document_date", "enter the date as YYYY-MM-DD");
            None
        }
    }
}

fn list_item(r: DocumentListRow) -> DocumentListItem {
    DocumentListItem {
        category_label: category_label(&r.category),
        class: class_of(&r.category).map_or_else(String::new, |c| c.as_str().to_string()),
        id: r.id,
        category: r.category,
        title: r.title,
        description: r.description,
        document_date: r.document_date,
        patient_id: r.patient_id,
        patient_name: r.patient_name,
        payer_id: r.payer_id,
        payer_name: r.payer_name,
        vendor_id: r.vendor_id,
        vendor_name: r.vendor_name,
        claim_id: r.claim_id,
        claim_number: r.claim_number,
        version: r.current_version,
        content_type: r.content_type,
        size_bytes: r.size_bytes,
        page_count: r.page_count,
        file_name: r.file_name,
    }
}

fn version_view(v: &DocumentVersionRow) -> DocumentVersionView {
    DocumentVersionView {
        version: v.version,
        file_name: v.file_name.clone(),
        content_type: v.content_type.clone(),
        size_bytes: v.size_bytes,
        sha256: v.sha256.clone(),
        page_count: v.page_count,
        note: v.note.clone(),
        created_by: v.created_by.clone(),
        created_at: v.created_at.clone(),
        available: v.blob_id.is_some(),
    }
}

impl App {
    /// The categories the actor may file and read, in the form's order.
    pub fn document_categories(&self, actor: &Actor) -> Vec<&'static Category> {
        rules::categories_for(|a| actor.role.may(a))
    }

    /// Whether the actor may handle documents of any class (the Documents pages and link).
    pub fn may_handle_documents(&self, actor: &Actor) -> bool {
        !self.document_categories(actor).is_empty()
    }

    /// The payers and vendors an upload may be linked to, as (id, name).
    pub async fn document_form_choices(&self, actor: &Actor) -> Result<DocumentFormChoices> {
        self.authorize_any_documents(actor, None).await?;
        let mut tx = self.store.begin().await?;
        let payers = medoffice_store::practice::list_payers(&mut tx, &actor.practice_id).await?;
        let vendors = medoffice_store::payables::list_vendors(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DocumentFormChoices {
            payers: payers.into_iter().map(|p| (p.id, p.name)).collect(),
            vendors: vendors.into_iter().map(|v| (v.id, v.name)).collect(),
        })
    }

    /// Refuses (and audits the refusal of) a role that handles no document at all.
    async fn authorize_any_documents(&self, actor: &Actor, patient_id: Option<&str>) -> Result<()> {
        if self.may_handle_documents(actor) {
            return Ok(());
        }
        self.authorize(actor, Action::HandlePatientDocuments, patient_id).await
    }

    /// Reads one version's bytes inside the caller's transaction: the role checked by the
    /// document's class, the bytes checked against the version's stored hash. `None` is the
    /// current version. Not audited here: the caller audits what it does with them.
    pub(crate) async fn document_bytes_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        document_id: &str,
        version: Option<i64>,
    ) -> Result<(DocumentVersionRow, Vec<u8>)> {
        let doc = store::get_document(conn, &actor.practice_id, document_id.trim()).await?;
        let class = class_of(&doc.category).ok_or_else(|| AppError::Internal(format!("unknown category {}", doc.category)))?;
        if !actor.role.may(class.action()) {
            return Err(AppError::Forbidden);
        }
        let number = version.unwrap_or(doc.current_version);
        let row = store::get_version(conn, &actor.practice_id, &doc.id, number).await?;
        let bytes = self.version_bytes(conn, &doc, &row).await?;
        Ok((row, bytes))
    }

    async fn version_bytes(&self, conn: &mut Connection, doc: &DocumentRow, row: &DocumentVersionRow) -> Result<Vec<u8>> {
        let Some(blob_id) = &row.blob_id else {
            return Err(AppError::Conflict(format!(
                "the file of document '{}' (version {}) was destroyed under its retention rule",
                doc.title, row.version
            )));
        };
        let blob = blobs::get(conn, &doc.practice_id, blob_id).await?;
        let damaged = || {
            AppError::Damaged(format!(
                "the file of document '{}' (version {}) is damaged: its content does not match its hash",
                doc.title, row.version
            ))
        };
        let bytes = match self.blobs.get(&blob.storage_key).await {
            Ok(b) => b,
            Err(StoreError::Tampered(_)) => return Err(damaged()),
            // The file is gone or unreadable: as damaged, to be restored from the backup.
            Err(StoreError::Corrupt(detail)) if detail.starts_with("cannot read file") => {
                return Err(AppError::Damaged(format!(
                    "the file of document '{}' (version {}) cannot be read ({detail})",
                    doc.title, row.version
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if hex::encode(Sha256::digest(&bytes)) != row.sha256 {
            return Err(damaged());
        }
        Ok(bytes)
    }

    /// Loads a document and refuses it (auditing the refusal) when its class is not the actor's.
    /// The transaction is given back when the document may be handled.
    async fn document_for(&self, actor: &Actor, id: &str) -> Result<(Tx, DocumentRow)> {
        self.authorize_any_documents(actor, None).await?;
        let mut tx = self.store.begin().await?;
        let doc = store::get_document(&mut tx, &actor.practice_id, id.trim()).await?;
        let class = class_of(&doc.category).ok_or_else(|| AppError::Internal(format!("unknown category {}", doc.category)))?;
        if !actor.role.may(class.action()) {
            drop(tx);
            self.authorize(actor, class.action(), doc.patient_id.as_deref()).await?;
            return Err(AppError::Forbidden);
        }
        Ok((tx, doc))
    }

    /// Stores the bytes in the blob store and their blob row in the transaction.
    async fn store_document_blob(&self, conn: &mut Connection, actor: &Actor, file: &Prepared, sha256: &str) -> Result<BlobRow> {
        let id = new_id();
        let key = format!("{}/{id}", actor.practice_id);
        let row = BlobRow {
            practice_id: actor.practice_id.clone(),
            id,
            content_type: file.content_type.to_string(),
            size_bytes: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
            sha256: sha256.to_string(),
            storage_key: key.clone(),
            created_at: self.now_text(),
        };
        self.blobs.put(&key, &file.bytes).await?;
        blobs::insert(conn, &row).await?;
        Ok(row)
    }

    /// Files a document: its category decides who may; one file, or several scanned images that
    /// become one PDF. Refused input names every field at fault and writes nothing.
    pub async fn upload_document(&self, actor: &Actor, input: &DocumentInput, files: Vec<Upload>) -> Result<DocumentView> {
        let patient_id = clean(&input.patient_id);
        let mut errors = ValidationErrors::new();
        let category = match rules::parse_category(&input.category) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.add("category", e);
                None
            }
        };
        match category {
            Some(c) => self.authorize(actor, c.class.action(), patient_id.as_deref()).await?,
            None => self.authorize_any_documents(actor, patient_id.as_deref()).await?,
        }
        let today = actor.today(self.now());
        let prepared = prepare(files, &mut errors);
        let title = title_of(&input.title, prepared.as_ref().map(|p| p.file_name.as_str()), category, &mut errors);
        let description = input.description.trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.add("description", format!("at most {MAX_DESCRIPTION_CHARS} characters"));
        }
        let date = date_of(&input.document_date, today, &mut errors);
        let payer_id = clean(&input.payer_id);
        let vendor_id = clean(&input.vendor_id);
        let claim_id = clean(&input.claim_id);
        if category.is_some_and(|c| c.class == DocumentClass::PatientRecord) && patient_id.is_none() {
            errors.add("patient_id", "choose the patient this record belongs to");
        }
        let mut tx = self.store.begin().await?;
        let practice = actor.practice_id.as_str();
        let links = Links {
            patient_id: patient_id.as_deref(),
            payer_id: payer_id.as_deref(),
            vendor_id: vendor_id.as_deref(),
            claim_id: claim_id.as_deref(),
        };
        check_links(&mut tx, practice, &links, &mut errors).await?;
        let (Some(category), Some(file), Some(title), Some(date), true) = (category, prepared, title, date, errors.is_empty()) else {
            return Err(errors.into());
        };
        let sha256 = hex::encode(Sha256::digest(&file.bytes));
        let blob = self.store_document_blob(&mut tx, actor, &file, &sha256).await?;
        let now = self.now_text();
        let id = new_id();
        let search = rules::search_text(&[&title, &description, category.label, &file.file_name, &file.text]);
        let doc = DocumentRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            category: category.key.to_string(),
            title,
            description,
            document_date: date.to_string(),
            patient_id,
            payer_id,
            vendor_id,
            claim_id,
            current_version: 1,
            search_text: search,
            status: "active".to_string(),
            created_by: actor.username.clone(),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        store::insert_document(&mut tx, &doc).await?;
        let version = DocumentVersionRow {
            practice_id: actor.practice_id.clone(),
            document_id: id.clone(),
            version: 1,
            blob_id: Some(blob.id.clone()),
            file_name: file.file_name.clone(),
            content_type: file.content_type.to_string(),
            size_bytes: blob.size_bytes,
            sha256: sha256.clone(),
            page_count: file.page_count,
            text_content: file.text.clone(),
            note: None,
            created_by: actor.username.clone(),
            created_at: now,
        };
        store::insert_version(&mut tx, &version).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "document.upload",
                patient_id: doc.patient_id.as_deref(),
                record_type: "document",
                record_id: Some(&id),
                detail: format!("{} v1 {} sha256:{sha256}", category.key, file.content_type),
            },
        )
        .await?;
        let view = self.view_in(&mut tx, &doc).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Adds a new version of a document; the earlier versions are kept and stay downloadable.
    pub async fn add_document_version(&self, actor: &Actor, id: &str, files: Vec<Upload>, note: &str) -> Result<DocumentView> {
        let (mut tx, doc) = self.document_for(actor, id).await?;
        if doc.status != "active" {
            return Err(AppError::Conflict("this document was destroyed under its retention rule; file a new document instead".into()));
        }
        let mut errors = ValidationErrors::new();
        let prepared = prepare(files, &mut errors);
        let note = clean(note);
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_DESCRIPTION_CHARS) {
            errors.add("note", format!("at most {MAX_DESCRIPTION_CHARS} characters"));
        }
        let (Some(file), true) = (prepared, errors.is_empty()) else {
            return Err(errors.into());
        };
        let number = doc.current_version + 1;
        let sha256 = hex::encode(Sha256::digest(&file.bytes));
        let blob = self.store_document_blob(&mut tx, actor, &file, &sha256).await?;
        let now = self.now_text();
        let label = category_label(&doc.category);
        let search = rules::search_text(&[&doc.title, &doc.description, &label, &file.file_name, &file.text]);
        match store::set_current_version(&mut tx, &actor.practice_id, &doc.id, number, &search, &now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Conflict("someone else added a version of this document just now; reload and try again".into()));
            }
            Err(e) => return Err(e.into()),
        }
        let version = DocumentVersionRow {
            practice_id: actor.practice_id.clone(),
            document_id: doc.id.clone(),
            version: number,
            blob_id: Some(blob.id.clone()),
            file_name: file.file_name.clone(),
            content_type: file.content_type.to_string(),
            size_bytes: blob.size_bytes,
            sha256: sha256.clone(),
            page_count: file.page_count,
            text_content: file.text.clone(),
            note,
            created_by: actor.username.clone(),
            created_at: now,
        };
        store::insert_version(&mut tx, &version).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "document.version.add",
                patient_id: doc.patient_id.as_deref(),
                record_type: "document",
                record_id: Some(&doc.id),
                detail: format!("v{number} {} sha256:{sha256}", file.content_type),
            },
        )
        .await?;
        let doc = store::get_document(&mut tx, &actor.practice_id, &doc.id).await?;
        let view = self.view_in(&mut tx, &doc).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// One document with its versions. Audited as a read (with the patient).
    pub async fn document(&self, actor: &Actor, id: &str) -> Result<DocumentView> {
        let (mut tx, doc) = self.document_for(actor, id).await?;
        let view = self.view_in(&mut tx, &doc).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "document.read",
                patient_id: doc.patient_id.as_deref(),
                record_type: "document",
                record_id: Some(&doc.id),
                detail: doc.category.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// A version's bytes (the current one when `version` is `None`), checked against its hash.
    /// Audited as a view (shown in the browser) or a download, with the patient.
    pub async fn document_content(&self, actor: &Actor, id: &str, version: Option<i64>, usage: ContentUse) -> Result<DocumentContent> {
        let (mut tx, doc) = self.document_for(actor, id).await?;
        let (row, bytes) = self.document_bytes_in(&mut tx, actor, &doc.id, version).await?;
        let action = match usage {
            ContentUse::View => "document.view",
            ContentUse::Download => "document.download",
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action,
                patient_id: doc.patient_id.as_deref(),
                record_type: "document",
                record_id: Some(&doc.id),
                detail: format!("v{} sha256:{}", row.version, row.sha256),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DocumentContent {
            document_id: doc.id,
            version: row.version,
            file_name: row.file_name,
            content_type: row.content_type,
            sha256: row.sha256,
            bytes,
        })
    }

    /// Documents by patient, payer, vendor, claim or category, and by words of their title,
    /// description, file name or text; only the categories the actor may handle, newest first.
    /// Audited as a search (with the patient when the list is a patient's).
    pub async fn documents(&self, actor: &Actor, query: &DocumentQuery) -> Result<Vec<DocumentListItem>> {
        let patient_id = clean(&query.patient_id);
        self.authorize_any_documents(actor, patient_id.as_deref()).await?;
        let allowed: Vec<String> = self.document_categories(actor).iter().map(|c| c.key.to_string()).collect();
        let category = match clean(&query.category) {
            None => None,
            Some(key) => match rules::parse_category(&key) {
                Ok(c) if actor.role.may(c.class.action()) => Some(c.key.to_string()),
                Ok(c) => {
                    self.authorize(actor, c.class.action(), patient_id.as_deref()).await?;
                    None
                }
                Err(e) => return Err(ValidationErrors::single("category", e).into()),
            },
        };
        let words = rules::search_words(&query.q);
        let filter = DocumentFilter {
            categories: allowed,
            category,
            patient_id: patient_id.clone(),
            payer_id: clean(&query.payer_id),
            vendor_id: clean(&query.vendor_id),
            claim_id: clean(&query.claim_id),
            words: words.clone(),
        };
        let mut tx = self.store.begin().await?;
        let rows = store::list(&mut tx, &actor.practice_id, &filter, DOCUMENT_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "document.search",
                patient_id: patient_id.as_deref(),
                record_type: "document",
                record_id: None,
                detail: format!(
                    "{} found; words: {}; category: {}",
                    rows.len(),
                    words.join(" "),
                    filter.category.as_deref().unwrap_or("any")
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(list_item).collect())
    }

    /// A patient's documents (the chart's section): those linked to the patient in the classes
    /// the actor may handle.
    pub async fn patient_documents(&self, actor: &Actor, patient_id: &str) -> Result<Vec<DocumentListItem>> {
        self.documents(actor, &DocumentQuery { patient_id: patient_id.to_string(), ..Default::default() }).await
    }

    async fn view_in(&self, conn: &mut Connection, doc: &DocumentRow) -> Result<DocumentView> {
        let versions = store::versions(conn, &doc.practice_id, &doc.id).await?;
        let current = versions
            .iter()
            .find(|v| v.version == doc.current_version)
            .ok_or_else(|| AppError::Internal(format!("document {} has no version {}", doc.id, doc.current_version)))?
            .clone();
        let practice = doc.practice_id.as_str();
        let patient_name = match &doc.patient_id {
            Some(id) => {
                medoffice_store::patients::get(conn, practice, id).await.ok().map(|p| format!("{}, {}", p.family_name, p.given_name))
            }
            None => None,
        };
        let payer_name = match &doc.payer_id {
            Some(id) => medoffice_store::practice::get_payer(conn, practice, id).await.ok().map(|p| p.name),
            None => None,
        };
        let vendor_name = match &doc.vendor_id {
            Some(id) => medoffice_store::payables::get_vendor(conn, practice, id).await.ok().map(|v| v.name),
            None => None,
        };
        let claim_number = match &doc.claim_id {
            Some(id) => medoffice_store::claims::get(conn, practice, id).await.ok().map(|c| c.claim_number),
            None => None,
        };
        let category = rules::category(&doc.category);
        Ok(DocumentView {
            id: doc.id.clone(),
            category: doc.category.clone(),
            category_label: category_label(&doc.category),
            class: category.map(class_label).unwrap_or_default(),
            title: doc.title.clone(),
            description: doc.description.clone(),
            document_date: doc.document_date.clone(),
            patient_id: doc.patient_id.clone(),
            patient_name,
            payer_id: doc.payer_id.clone(),
            payer_name,
            vendor_id: doc.vendor_id.clone(),
            vendor_name,
            claim_id: doc.claim_id.clone(),
            claim_number,
            version: doc.current_version,
            file_name: current.file_name.clone(),
            content_type: current.content_type.clone(),
            size_bytes: current.size_bytes,
            sha256: current.sha256.clone(),
            page_count: current.page_count,
            status: doc.status.clone(),
            created_by: doc.created_by.clone(),
            created_at: doc.created_at.clone(),
            updated_at: doc.updated_at.clone(),
            versions: versions.iter().map(version_view).collect(),
        })
    }
}
