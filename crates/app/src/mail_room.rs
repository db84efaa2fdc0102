//! The mail room: incoming mail logged the day it arrives (with its scan, what it concerns and
//! whom it is routed to), the checks it brings (to post until payment posting takes them),
//! returned mail (the patient's address flagged bad and the patient on a list to call), vendor
//! bills (to enter in accounts payable), records requests (due 30 days after receipt under HIPAA;
//! each release written to the patient's accounting of disclosures and to the outgoing mail log)
//! and the outgoing mail log, which other modules write inside their own transaction
//! ([`App::log_outgoing_in`]).
//!
//! Logging and reading mail need [`Action::LogMail`] / [`Action::ReadMail`]; records requests and
//! disclosures need [`Action::ReleaseRecords`]. Every read and write is audited, with the patient.

use crate::patients::Upload;
use crate::payables::sniff_bill_file;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::{Duration, NaiveDate};
use medoffice_domain::ValidationErrors;
use medoffice_domain::security::{Action, Role};
use medoffice_domain::validation::clean;
use medoffice_pdf::{Align, Column, Document, Row, Table, TitleBlock};
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::mail_room::{
    self as store, BadAddressRow, DisclosureRow, MailItemRow, MailListRow, MailPaymentListRow, MailPaymentRow, OutgoingMailRow,
    RecordsRequestRow,
};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Days a covered entity has to answer a request for records (HIPAA, 45 CFR 164.524(b)(2)).
pub const RECORDS_DUE_DAYS: i64 = 30;
/// The most rows a mail-room list answers.
pub const MAIL_LIST_LIMIT: i64 = 500;

/// The kinds of incoming mail, with their labels.
pub const MAIL_KINDS: [(&str, &str); 8] = [
    ("patient_payment", "Patient payment"),
    ("insurance_check", "Insurance check with paper EOB"),
    ("correspondence", "Correspondence"),
    ("records_request", "Records request"),
    ("returned_mail", "Returned mail"),
    ("legal", "Legal"),
    ("vendor_bill", "Vendor bill"),
    ("other", "Other"),
];

/// Who asks for records.
pub const REQUESTER_KINDS: [(&str, &str); 6] = [
    ("patient", "The patient"),
    ("provider", "Another provider"),
    ("attorney", "Attorney"),
    ("insurer", "Insurer"),
    ("government", "Government agency"),
    ("other", "Other"),
];

/// How mail leaves the office.
pub const SEND_METHODS: [(&str, &str); 5] = [
    ("usps_first_class", "USPS first class"),
    ("usps_certified", "USPS certified"),
    ("fax", "Fax"),
    ("secure_email", "Secure e-mail"),
    ("pickup", "Picked up in person"),
];

/// What outgoing mail was.
pub const OUTGOING_KINDS: [(&str, &str); 5] =
    [("statement", "Statement"), ("letter", "Letter"), ("paper_claim", "Claim on paper"), ("records", "Records"), ("other", "Other")];

fn label_of(list: &[(&'static str, &'static str)], code: &str) -> String {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| l.to_string()).unwrap_or_else(|| code.to_string())
}

/// A piece of incoming mail as typed. Amounts in cents; blank ids for none.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewMailInput {
    /// `YYYY-MM-DD`; blank for today.
    pub received_date: String,
    pub sender: String,
    /// One of [`MAIL_KINDS`].
    pub kind: String,
    pub summary: String,
    pub patient_id: String,
    pub payer_id: String,
    pub vendor_id: String,
    pub claim_id: String,
    /// A user to act on it, or
    pub route_to_user_id: String,
    /// a role's pile (`front_desk`, `biller`...).
    pub route_to_role: String,
    /// For a patient payment or insurance check: the check number and amount.
    pub check_number: String,
    pub amount_cents: i64,
}

/// A piece of incoming mail as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailItemView {
    pub id: String,
    pub received_date: String,
    pub sender: String,
    pub kind: String,
    pub kind_label: String,
    pub summary: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub claim_id: Option<String>,
    pub claim_number: Option<i64>,
    pub routed_to_user_id: Option<String>,
    pub routed_to_name: Option<String>,
    pub routed_to_role: Option<String>,
    /// `open` or `done`.
    pub status: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub scan_filename: Option<String>,
    pub scan_content_type: Option<String>,
    pub scan_size_bytes: Option<i64>,
    /// The bill entered from a vendor bill.
    pub bill_id: Option<String>,
    pub logged_by: String,
}

impl MailItemView {
    /// Whom it is routed to, in words.
    pub fn routed_label(&self) -> String {
        match (&self.routed_to_name, &self.routed_to_role) {
            (Some(name), _) => name.clone(),
            (None, Some(role)) => role.parse::<Role>().map(|r| r.label().to_string()).unwrap_or_else(|_| role.clone()),
            (None, None) => "-".to_string(),
        }
    }

    /// What it concerns, in words.
    pub fn concerns_label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.patient_name {
            parts.push(p.clone());
        }
        if let Some(p) = &self.payer_name {
            parts.push(p.clone());
        }
        if let Some(v) = &self.vendor_name {
            parts.push(v.clone());
        }
        if let Some(c) = self.claim_number {
            parts.push(format!("claim {c}"));
        }
        if parts.is_empty() { "-".to_string() } else { parts.join(" · ") }
    }
}

fn item_view(r: MailListRow) -> MailItemView {
    MailItemView {
        kind_label: label_of(&MAIL_KINDS, &r.kind),
        id: r.id,
        received_date: r.received_date,
        sender: r.sender,
        kind: r.kind,
        summary: r.summary,
        patient_id: r.patient_id,
        patient_name: r.patient_name,
        payer_id: r.payer_id,
        payer_name: r.payer_name,
        vendor_id: r.vendor_id,
        vendor_name: r.vendor_name,
        claim_id: r.claim_id,
        claim_number: r.claim_number,
        routed_to_user_id: r.routed_to_user_id,
        routed_to_name: r.routed_to_name,
        routed_to_role: r.routed_to_role,
        status: r.status,
        done_at: r.done_at,
        done_by: r.done_by,
        scan_filename: r.scan_filename,
        scan_content_type: r.scan_content_type,
        scan_size_bytes: r.scan_size_bytes,
        bill_id: r.bill_id,
        logged_by: r.created_by,
    }
}

/// A check from the mail, to post or posted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailPaymentView {
    pub id: String,
    pub mail_item_id: String,
    pub received_date: String,
    pub check_number: String,
    pub amount_cents: i64,
    pub payer_id: Option<String>,
    pub payer_name: Option<String>,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    /// `to_post` or `posted`.
    pub status: String,
    /// What posted it (`remittance:<id>`, `payment:<id>`), once posted.
    pub posted_ref: Option<String>,
}

impl MailPaymentView {
    /// Who paid: the payer or the patient.
    pub fn from_label(&self) -> String {
        self.payer_name.clone().or_else(|| self.patient_name.clone()).unwrap_or_default()
    }
}

fn payment_view(r: MailPaymentListRow) -> MailPaymentView {
    MailPaymentView {
        id: r.id,
        mail_item_id: r.mail_item_id,
        received_date: r.received_date,
        check_number: r.check_number,
        amount_cents: r.amount_cents,
        payer_id: r.payer_id,
        payer_name: r.payer_name,
        patient_id: r.patient_id,
        patient_name: r.patient_name,
        status: r.status,
        posted_ref: r.posted_ref,
    }
}

/// A mail item with the check it brought.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailItemDetail {
    #[serde(flatten)]
    pub item: MailItemView,
    pub payment: Option<MailPaymentView>,
}

/// The filters of the incoming log.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MailFilter {
    /// One of [`MAIL_KINDS`] or blank.
    pub kind: String,
    /// `open`, `done` or blank.
    pub status: String,
    /// Only what is routed to me or my role.
    pub mine: bool,
}

/// The choices of the mail form, each (id, name).
#[derive(Debug, Clone, Default)]
pub struct MailFormChoices {
    pub users: Vec<(String, String)>,
    pub payers: Vec<(String, String)>,
    pub vendors: Vec<(String, String)>,
}

/// A patient on the list to call (their mail came back).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadAddressView {
    pub patient_id: String,
    pub patient_name: String,
    pub mrn: String,
    pub phone: Option<String>,
    /// The address the mail came back from.
    pub address: String,
    pub mail_item_id: String,
    pub flagged_at: String,
}

impl BadAddressView {
    /// The day the address was flagged.
    pub fn flagged_on(&self) -> &str {
        self.flagged_at.get(..10).unwrap_or(&self.flagged_at)
    }
}

fn bad_address_view(r: BadAddressRow) -> BadAddressView {
    let address = [r.address_line1, r.city, r.state, r.postal_code].into_iter().flatten().collect::<Vec<_>>().join(", ");
    BadAddressView {
        patient_id: r.patient_id,
        patient_name: r.patient_name,
        mrn: r.mrn,
        phone: r.phone,
        address,
        mail_item_id: r.mail_item_id,
        flagged_at: r.flagged_at,
    }
}

/// A records request as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewRecordsRequestInput {
    pub patient_id: String,
    pub requester_name: String,
    /// One of [`REQUESTER_KINDS`].
    pub requester_kind: String,
    /// What was asked for ("visit notes 2025", "immunisation record").
    pub requested_what: String,
    /// Why (continuity of care, legal, insurance, personal).
    pub purpose: String,
    /// `YYYY-MM-DD`; blank for today. Due 30 days later.
    pub received_date: String,
    /// The mail item it came in, if any.
    pub mail_item_id: String,
}

/// A records request as shown, with the days left until it is due.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordsRequestView {
    pub id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub requester_name: String,
    pub requester_kind: String,
    pub requester_kind_label: String,
    pub requested_what: String,
    pub purpose: String,
    pub received_date: String,
    pub due_date: String,
    /// Days from today to the due date (negative: overdue). For an open request.
    pub days_left: i64,
    pub mail_item_id: Option<String>,
    pub authorization_filename: Option<String>,
    /// `open` or `fulfilled`.
    pub status: String,
    pub fulfilled_date: Option<String>,
    pub fulfilled_method: Option<String>,
    pub fulfilled_method_label: Option<String>,
    pub pages: Option<i64>,
    pub fulfilled_by: Option<String>,
}

impl RecordsRequestView {
    pub fn is_overdue(&self) -> bool {
        self.status == "open" && self.days_left < 0
    }

    /// "12 days left", "due today", "3 days overdue".
    pub fn due_label(&self) -> String {
        match self.days_left {
            d if d < 0 => format!("{} day{} overdue", -d, if d == -1 { "" } else { "s" }),
            0 => "due today".to_string(),
            d => format!("{d} day{} left", if d == 1 { "" } else { "s" }),
        }
    }
}

/// How a records request was fulfilled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct FulfilInput {
    /// `YYYY-MM-DD`; blank for today.
    pub date: String,
    /// One of [`SEND_METHODS`].
    pub method: String,
    /// For certified mail.
    pub tracking_number: String,
    pub pages: i64,
    /// What was released (blank: what was asked for).
    pub what: String,
}

/// A records request with what was sent for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordsRequestDetail {
    #[serde(flatten)]
    pub request: RecordsRequestView,
    pub outgoing: Vec<OutgoingMailView>,
}

/// One release in a patient's accounting of disclosures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    pub disclosed_on: String,
    pub recipient: String,
    pub what: String,
    pub purpose: String,
    pub released_by: String,
    pub records_request_id: Option<String>,
}

/// A patient's accounting of disclosures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureReport {
    pub patient_id: String,
    pub patient_name: String,
    pub mrn: String,
    pub birth_date: String,
    pub disclosures: Vec<DisclosureView>,
}

/// What left the office, as typed (or as another module writes it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OutgoingInput {
    /// `YYYY-MM-DD`; blank for today.
    pub sent_date: String,
    pub recipient: String,
    /// One of [`SEND_METHODS`].
    pub method: String,
    pub tracking_number: String,
    /// One of [`OUTGOING_KINDS`].
    pub about_kind: String,
    pub about_id: String,
    pub patient_id: String,
    pub description: String,
}

/// A piece of outgoing mail as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutgoingMailView {
    pub id: String,
    pub sent_date: String,
    pub recipient: String,
    pub method: String,
    pub method_label: String,
    pub tracking_number: Option<String>,
    pub about_kind: String,
    pub about_label: String,
    pub about_id: Option<String>,
    pub patient_id: Option<String>,
    pub description: String,
    pub sent_by: String,
}

fn outgoing_view(r: OutgoingMailRow) -> OutgoingMailView {
    OutgoingMailView {
        method_label: label_of(&SEND_METHODS, &r.method),
        about_label: label_of(&OUTGOING_KINDS, &r.about_kind),
        id: r.id,
        sent_date: r.sent_date,
        recipient: r.recipient,
        method: r.method,
        tracking_number: r.tracking_number,
        about_kind: r.about_kind,
        about_id: r.about_id,
        patient_id: r.patient_id,
        description: r.description,
        sent_by: r.sent_by,
    }
}

/// What the chart shows of the mail room: a bad address, the count of disclosures.
#[derive(Debug, Clone, Serialize)]
pub struct PatientMailView {
    /// When returned mail flagged the address bad, if it is.
    pub bad_address_since: Option<String>,
    pub disclosures: usize,
}

impl PatientMailView {
    /// The day returned mail flagged the address bad, if it is.
    pub fn bad_address_day(&self) -> Option<&str> {
        self.bad_address_since.as_deref().map(|s| s.get(..10).unwrap_or(s))
    }
}

fn required(field: &str, text: &str, max: usize, what: &str, errors: &mut ValidationErrors) -> Option<String> {
    match clean(text) {
        None => {
            errors.add(field, what.to_string());
            None
        }
        Some(v) if v.chars().count() > max => {
            errors.add(field, format!("at most {max} characters"));
            None
        }
        Some(v) => Some(v),
    }
}

fn optional(field: &str, text: &str, max: usize, errors: &mut ValidationErrors) -> Option<String> {
    let value = clean(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

/// A date as typed, blank for today; refused in the future.
fn date_or_today(field: &str, text: &str, today: NaiveDate, errors: &mut ValidationErrors) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        return Some(today);
    }
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Err(_) => {
            errors.add(field, "enter a date as YYYY-MM-DD");
            None
        }
        Ok(d) if d > today => {
            errors.add(field, "the date is in the future");
            None
        }
        Ok(d) => Some(d),
    }
}

fn one_of(field: &str, text: &str, list: &[(&str, &str)], errors: &mut ValidationErrors) -> Option<String> {
    let code = text.trim();
    if list.iter().any(|(c, _)| *c == code) {
        Some(code.to_string())
    } else {
        errors.add(field, format!("choose one of {}", list.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")));
        None
    }
}

/// The due date of a records request received on `received`.
pub fn records_due_date(received: NaiveDate) -> NaiveDate {
    received + Duration::days(RECORDS_DUE_DAYS)
}

/// A scanned file, checked: a PDF, PNG or JPEG of at most the upload limit.
struct Scan {
    upload: Upload,
    content_type: &'static str,
}

/// A scan stored: the blob row and the name to show.
struct StoredScan {
    blob: BlobRow,
    filename: String,
}

fn clean_file_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(120).collect();
    let kept = kept.trim().to_string();
    if kept.is_empty() { fallback.to_string() } else { kept }
}

/// The records a form links to by id (mail items and documents).
#[derive(Debug, Default)]
pub(crate) struct Links<'a> {
    pub patient_id: Option<&'a str>,
    pub payer_id: Option<&'a str>,
    pub vendor_id: Option<&'a str>,
    pub claim_id: Option<&'a str>,
}

/// Checks that every record a form links to exists in the practice; one that does not is an
/// error on its field ("there is no such payer").
pub(crate) async fn check_links(conn: &mut Connection, practice: &str, links: &Links<'_>, errors: &mut ValidationErrors) -> Result<()> {
    if let Some(id) = links.patient_id {
        let found = async { medoffice_store::patients::get(&mut *conn, practice, id).await.map(|_| ()) };
        exists(found, "patient_id", "there is no such patient", errors).await?;
    }
    if let Some(id) = links.payer_id {
        let found = async { medoffice_store::practice::get_payer(&mut *conn, practice, id).await.map(|_| ()) };
        exists(found, "payer_id", "there is no such payer", errors).await?;
    }
    if let Some(id) = links.vendor_id {
        let found = async { medoffice_store::payables::get_vendor(&mut *conn, practice, id).await.map(|_| ()) };
        exists(found, "vendor_id", "there is no such vendor", errors).await?;
    }
    if let Some(id) = links.claim_id {
        let found = async { medoffice_store::claims::get(&mut *conn, practice, id).await.map(|_| ()) };
        exists(found, "claim_id", "there is no such claim", errors).await?;
    }
    Ok(())
}

async fn exists<F>(found: F, field: &str, message: &str, errors: &mut ValidationErrors) -> Result<bool>
where
    F: std::future::Future<Output = medoffice_store::Result<()>>,
{
    match found.await {
        Ok(()) => Ok(true),
        Err(StoreError::NotFound(_)) => {
            errors.add(field, message.to_string());
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

impl App {
    fn check_scan(&self, field: &str, upload: Option<Upload>, errors: &mut ValidationErrors) -> Option<Scan> {
        let upload = upload.filter(|u| !u.bytes.is_empty())?;
        if upload.bytes.len() > self.config.max_upload_bytes {
            errors.add(field, format!("the file is larger than {} MB", self.config.max_upload_bytes / (1024 * 1024)));
            return None;
        }
        match sniff_bill_file(&upload.bytes) {
            Some(content_type) => Some(Scan { upload, content_type }),
            None => {
                errors.add(field, "attach the scan as a PDF, PNG or JPEG file");
                None
            }
        }
    }

    /// Writes the scan to the blob store, then its blob row in the caller's transaction.
    async fn store_scan(&self, conn: &mut Connection, actor: &Actor, scan: Scan, fallback_name: &str) -> Result<StoredScan> {
        let id = new_id();
        let key = format!("{}/{id}", actor.practice_id);
        let row = BlobRow {
            practice_id: actor.practice_id.clone(),
            id,
            content_type: scan.content_type.to_string(),
            size_bytes: i64::try_from(scan.upload.bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(Sha256::digest(&scan.upload.bytes)),
            storage_key: key.clone(),
            created_at: self.now_text(),
        };
        self.blobs.put(&key, &scan.upload.bytes).await?;
        blobs::insert(conn, &row).await?;
        Ok(StoredScan { blob: row, filename: clean_file_name(&scan.upload.file_name, fallback_name) })
    }

    /// Reads a stored scan's bytes, checked against its hash.
    async fn read_scan(&self, conn: &mut Connection, practice_id: &str, blob_id: &str, sha256: &str) -> Result<Vec<u8>> {
        let blob = blobs::get(conn, practice_id, blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        Ok(bytes)
    }

    /// Logs a piece of incoming mail with its scan. A check (patient payment or insurance check)
    /// needs its number and amount and becomes a payment to post; returned mail flags the
    /// patient's address bad. All in one transaction; refused input names every field at fault
    /// and writes nothing (the scan's bytes are written only once all is valid).
    pub async fn log_mail(&self, actor: &Actor, input: &NewMailInput, scan: Option<Upload>) -> Result<MailItemDetail> {
        self.authorize(actor, Action::LogMail, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let scan = self.check_scan("scan", scan, &mut errors);
        let received = date_or_today("received_date", &input.received_date, today, &mut errors);
        let sender = required("sender", &input.sender, 200, "enter who sent it", &mut errors);
        let kind = one_of("kind", &input.kind, &MAIL_KINDS, &mut errors);
        let summary = optional("summary", &input.summary, 1000, &mut errors);
        let patient_id = clean(&input.patient_id);
        let payer_id = clean(&input.payer_id);
        let vendor_id = clean(&input.vendor_id);
        let claim_id = clean(&input.claim_id);
        let route_user = clean(&input.route_to_user_id);
        let route_role = clean(&input.route_to_role);
        if let Some(r) = &route_role
            && r.parse::<Role>().is_err()
        {
            errors.add("route_to_role", "choose a role");
        }
        if route_user.is_some() && route_role.is_some() {
            errors.add("route_to_role", "route to a person or to a role, not both");
        }
        let is_check = matches!(kind.as_deref(), Some("patient_payment" | "insurance_check"));
        let check_number = clean(&input.check_number);
        if is_check {
            match &check_number {
                None => errors.add("check_number", "enter the check number"),
                Some(n) if n.chars().count() > 30 => errors.add("check_number", "at most 30 characters"),
                Some(_) => {}
            }
            if input.amount_cents <= 0 {
                errors.add("amount_cents", "enter the check's amount");
            }
        }
        match kind.as_deref() {
            Some("patient_payment" | "returned_mail" | "records_request") if patient_id.is_none() => {
                errors.add("patient_id", "choose the patient it concerns")
            }
            Some("insurance_check") if payer_id.is_none() => errors.add("payer_id", "choose the payer who sent the check"),
            Some("vendor_bill") if vendor_id.is_none() => errors.add("vendor_id", "choose the vendor who sent the bill"),
            _ => {}
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
        if let Some(id) = &route_user {
            let found = async {
                medoffice_store::users::get(&mut tx, practice, id).await.and_then(|u| match u.disabled_at {
                    None => Ok(()),
                    Some(_) => Err(StoreError::NotFound("user")),
                })
            };
            exists(found, "route_to_user_id", "choose an active user", &mut errors).await?;
        }
        let (Some(received), Some(sender), Some(kind)) = (received, sender, kind) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let now = self.now_text();
        let stored = match scan {
            Some(s) => Some(self.store_scan(&mut tx, actor, s, "scan").await?),
            None => None,
        };
        let row = MailItemRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            received_date: received.to_string(),
            sender,
            kind: kind.clone(),
            summary,
            patient_id: patient_id.clone(),
            payer_id: payer_id.clone(),
            vendor_id,
            claim_id,
            routed_to_user_id: route_user,
            routed_to_role: route_role,
            status: "open".to_string(),
            done_at: None,
            done_by: None,
            scan_blob_id: stored.as_ref().map(|s| s.blob.id.clone()),
            scan_sha256: stored.as_ref().map(|s| s.blob.sha256.clone()),
            scan_filename: stored.as_ref().map(|s| s.filename.clone()),
            scan_content_type: stored.as_ref().map(|s| s.blob.content_type.clone()),
            scan_size_bytes: stored.as_ref().map(|s| s.blob.size_bytes),
            bill_id: None,
            created_by: actor.username.clone(),
            created_at: now.clone(),
        };
        store::insert_item(&mut tx, &row).await?;
        let mut detail = format!("{} from {}", kind, row.sender);
        if is_check {
            let payment = MailPaymentRow {
                practice_id: actor.practice_id.clone(),
                id: new_id(),
                mail_item_id: row.id.clone(),
                check_number: check_number.unwrap_or_default(),
                amount_cents: input.amount_cents,
                // An insurance check is the payer's; a patient's check is the patient's.
                payer_id: if kind == "insurance_check" { payer_id } else { None },
                patient_id: if kind == "patient_payment" { patient_id.clone() } else { None },
                status: "to_post".to_string(),
                posted_ref: None,
                posted_at: None,
                created_at: now.clone(),
            };
            store::insert_payment(&mut tx, &payment).await?;
            detail.push_str(&format!(", check {} for {} cents to post", payment.check_number, payment.amount_cents));
        }
        if kind == "returned_mail"
            && let Some(p) = &patient_id
            && store::flag_bad_address(&mut tx, &actor.practice_id, &new_id(), p, &row.id, &now).await?
        {
            detail.push_str(", address flagged bad");
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote { action: "mail.log", patient_id: patient_id.as_deref(), record_type: "mail_item", record_id: Some(&row.id), detail },
        )
        .await?;
        let item = item_view(store::get_item_listed(&mut tx, &actor.practice_id, &row.id).await?);
        let payment = self.payment_of(&mut tx, &actor.practice_id, &row.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(MailItemDetail { item, payment })
    }

    async fn payment_of(&self, conn: &mut Connection, practice_id: &str, mail_item_id: &str) -> Result<Option<MailPaymentView>> {
        let Some(p) = store::payment_of_item(conn, practice_id, mail_item_id).await? else {
            return Ok(None);
        };
        let listed = store::list_payments(conn, practice_id, &p.status, MAIL_LIST_LIMIT).await?;
        Ok(listed.into_iter().find(|l| l.id == p.id).map(payment_view))
    }

    /// What the mail form offers: active users to route to, payers and vendors, each (id, name).
    pub async fn mail_form_choices(&self, actor: &Actor) -> Result<MailFormChoices> {
        self.authorize(actor, Action::LogMail, None).await?;
        let mut tx = self.store.begin().await?;
        let users = medoffice_store::users::list(&mut tx, &actor.practice_id).await?;
        let payers = medoffice_store::practice::list_payers(&mut tx, &actor.practice_id).await?;
        let vendors = medoffice_store::payables::list_vendors(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(MailFormChoices {
            users: users.into_iter().filter(|u| u.disabled_at.is_none()).map(|u| (u.id, u.display_name)).collect(),
            payers: payers.into_iter().map(|p| (p.id, p.name)).collect(),
            vendors: vendors.into_iter().map(|v| (v.id, v.name)).collect(),
        })
    }

    /// The incoming log, newest first, filtered by kind, status and "mine" (routed to me or my role).
    pub async fn mail_items(&self, actor: &Actor, filter: &MailFilter) -> Result<Vec<MailItemView>> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut errors = ValidationErrors::new();
        let kind = clean(&filter.kind);
        if let Some(k) = &kind {
            one_of("kind", k, &MAIL_KINDS, &mut errors);
        }
        let status = clean(&filter.status);
        if status.as_deref().is_some_and(|s| s != "open" && s != "done") {
            errors.add("status", "the status is open or done");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let mut tx = self.store.begin().await?;
        let mine = filter.mine.then_some((actor.user_id.as_str(), actor.role.as_str()));
        let rows = store::list_items(&mut tx, &actor.practice_id, kind.as_deref(), status.as_deref(), mine, MAIL_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.list",
                patient_id: None,
                record_type: "mail_item",
                record_id: None,
                detail: format!(
                    "kind={} status={} mine={} ({} items)",
                    kind.unwrap_or_default(),
                    status.unwrap_or_default(),
                    filter.mine,
                    rows.len()
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(item_view).collect())
    }

    /// One mail item with its check. Audited as a read of the patient it concerns.
    pub async fn mail_item(&self, actor: &Actor, id: &str) -> Result<MailItemDetail> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut tx = self.store.begin().await?;
        let item = item_view(store::get_item_listed(&mut tx, &actor.practice_id, id.trim()).await?);
        let payment = self.payment_of(&mut tx, &actor.practice_id, &item.id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.read",
                patient_id: item.patient_id.as_deref(),
                record_type: "mail_item",
                record_id: Some(&item.id),
                detail: item.kind.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(MailItemDetail { item, payment })
    }

    /// A mail item's scan: its name, content type and bytes (checked against the stored hash).
    pub async fn mail_scan(&self, actor: &Actor, id: &str) -> Result<(String, String, Vec<u8>)> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut tx = self.store.begin().await?;
        let item = store::get_item(&mut tx, &actor.practice_id, id.trim()).await?;
        let (Some(blob_id), Some(sha), Some(name), Some(kind)) =
            (&item.scan_blob_id, &item.scan_sha256, &item.scan_filename, &item.scan_content_type)
        else {
            return Err(AppError::NotFound("scan"));
        };
        let bytes = self.read_scan(&mut tx, &actor.practice_id, blob_id, sha).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.scan.read",
                patient_id: item.patient_id.as_deref(),
                record_type: "mail_item",
                record_id: Some(&item.id),
                detail: name.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((name.clone(), kind.clone(), bytes))
    }

    /// Marks a mail item done (whoever it was routed to has acted on it).
    pub async fn mark_mail_done(&self, actor: &Actor, id: &str) -> Result<()> {
        self.authorize(actor, Action::LogMail, None).await?;
        let mut tx = self.store.begin().await?;
        let item = store::get_item(&mut tx, &actor.practice_id, id.trim()).await?;
        if !store::mark_done(&mut tx, &actor.practice_id, &item.id, &self.now_text(), &actor.username).await? {
            return Err(AppError::Conflict("this mail was marked done already".into()));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.done",
                patient_id: item.patient_id.as_deref(),
                record_type: "mail_item",
                record_id: Some(&item.id),
                detail: item.kind.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// The checks from the mail still to post, oldest first.
    pub async fn mail_payments_to_post(&self, actor: &Actor) -> Result<Vec<MailPaymentView>> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_payments(&mut tx, &actor.practice_id, "to_post", MAIL_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.payments.list",
                patient_id: None,
                record_type: "mail_payment",
                record_id: None,
                detail: format!("{} to post", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(payment_view).collect())
    }

    /// Marks a check from the mail posted, by what posted it (`remittance:<id>`,
    /// `payment:<id>`), inside the posting use case's own transaction. Refused when it was
    /// posted already, so a check is posted once.
    pub async fn mark_mail_payment_posted_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        payment_id: &str,
        posted_ref: &str,
    ) -> Result<()> {
        if !store::mark_payment_posted(conn, &actor.practice_id, payment_id, posted_ref, &self.now_text()).await? {
            return Err(AppError::Conflict("this check was posted already (or does not exist)".into()));
        }
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "mail.payment.posted",
                patient_id: None,
                record_type: "mail_payment",
                record_id: Some(payment_id),
                detail: posted_ref.to_string(),
            },
        )
        .await
    }

    /// The patients whose mail came back, to call for a new address.
    pub async fn returned_mail_calls(&self, actor: &Actor) -> Result<Vec<BadAddressView>> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::bad_addresses(&mut tx, &actor.practice_id, MAIL_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.returned.list",
                patient_id: None,
                record_type: "patient",
                record_id: None,
                detail: format!("{} to call", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(bad_address_view).collect())
    }

    /// Clears a patient's bad-address flag in the caller's transaction (their address was
    /// changed); called by the patient edit. True when a flag was cleared.
    pub(crate) async fn clear_bad_address_in(&self, conn: &mut Connection, actor: &Actor, patient_id: &str) -> Result<bool> {
        Ok(store::clear_bad_address(conn, &actor.practice_id, patient_id, &self.now_text(), &actor.username).await?)
    }

    /// What the chart shows of the mail room for a patient. Audited as a read of the patient.
    pub async fn patient_mail(&self, actor: &Actor, patient_id: &str) -> Result<PatientMailView> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let since = store::bad_address_since(&mut tx, &actor.practice_id, patient_id).await?;
        let disclosures = store::disclosures_of(&mut tx, &actor.practice_id, patient_id, MAIL_LIST_LIMIT).await?.len();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.patient.read",
                patient_id: Some(patient_id),
                record_type: "patient",
                record_id: Some(patient_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(PatientMailView { bad_address_since: since, disclosures })
    }

    /// Records that the bill for a vendor bill in the mail was entered: the item is marked done
    /// and linked to the bill. Refused when the item is not a vendor bill or has a bill already.
    pub async fn mail_bill_entered(&self, actor: &Actor, mail_item_id: &str, bill_id: &str) -> Result<()> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let item = store::get_item(&mut tx, &actor.practice_id, mail_item_id.trim()).await?;
        medoffice_store::payables::get_bill(&mut tx, &actor.practice_id, bill_id).await?;
        if !store::set_bill(&mut tx, &actor.practice_id, &item.id, bill_id, &self.now_text(), &actor.username).await? {
            return Err(AppError::Conflict("this mail is not a vendor bill, or its bill was entered already".into()));
        }
        // The scan from the mail becomes the bill's attachment (the same blob), unless the bill
        // was entered with its own file.
        let mut carried = String::new();
        if let (Some(blob_id), Some(sha), Some(name), Some(kind), Some(size)) =
            (&item.scan_blob_id, &item.scan_sha256, &item.scan_filename, &item.scan_content_type, item.scan_size_bytes)
            && medoffice_store::bill_attachments::for_bill(&mut tx, &actor.practice_id, bill_id).await?.is_empty()
        {
            medoffice_store::bill_attachments::insert(
                &mut tx,
                &medoffice_store::bill_attachments::BillAttachmentRow {
                    practice_id: actor.practice_id.clone(),
                    id: new_id(),
                    bill_id: bill_id.to_string(),
                    blob_id: blob_id.clone(),
                    sha256: sha.clone(),
                    filename: name.clone(),
                    content_type: kind.clone(),
                    size_bytes: size,
                    uploaded_by: actor.username.clone(),
                    uploaded_at: self.now_text(),
                },
            )
            .await?;
            carried = ", scan attached".to_string();
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.bill.entered",
                patient_id: None,
                record_type: "mail_item",
                record_id: Some(&item.id),
                detail: format!("bill {bill_id}{carried}"),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Logs a records request (due 30 days after it was received) with the authorisation on
    /// file as a scan.
    pub async fn log_records_request(
        &self,
        actor: &Actor,
        input: &NewRecordsRequestInput,
        authorization: Option<Upload>,
    ) -> Result<RecordsRequestView> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let scan = self.check_scan("authorization", authorization, &mut errors);
        let patient_id = clean(&input.patient_id);
        if patient_id.is_none() {
            errors.add("patient_id", "choose the patient whose records are asked for");
        }
        let requester = required("requester_name", &input.requester_name, 200, "enter who asks", &mut errors);
        let requester_kind = one_of("requester_kind", &input.requester_kind, &REQUESTER_KINDS, &mut errors);
        let what = required("requested_what", &input.requested_what, 500, "enter what is asked for", &mut errors);
        let purpose = required("purpose", &input.purpose, 300, "enter the purpose (e.g. continuity of care)", &mut errors);
        let received = date_or_today("received_date", &input.received_date, today, &mut errors);
        let mail_item_id = clean(&input.mail_item_id);
        let mut tx = self.store.begin().await?;
        let practice = actor.practice_id.as_str();
        if let Some(id) = &patient_id {
            let found = async { medoffice_store::patients::get(&mut tx, practice, id).await.map(|_| ()) };
            exists(found, "patient_id", "there is no such patient", &mut errors).await?;
        }
        if let Some(id) = &mail_item_id {
            let found = async { store::get_item(&mut tx, practice, id).await.map(|_| ()) };
            exists(found, "mail_item_id", "there is no such mail item", &mut errors).await?;
        }
        let (Some(patient_id), Some(requester), Some(requester_kind), Some(what), Some(purpose), Some(received)) =
            (patient_id, requester, requester_kind, what, purpose, received)
        else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let stored = match scan {
            Some(s) => Some(self.store_scan(&mut tx, actor, s, "authorization").await?),
            None => None,
        };
        let row = RecordsRequestRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            patient_id: patient_id.clone(),
            requester_name: requester,
            requester_kind,
            requested_what: what,
            purpose,
            received_date: received.to_string(),
            due_date: records_due_date(received).to_string(),
            mail_item_id,
            auth_blob_id: stored.as_ref().map(|s| s.blob.id.clone()),
            auth_sha256: stored.as_ref().map(|s| s.blob.sha256.clone()),
            auth_filename: stored.as_ref().map(|s| s.filename.clone()),
            auth_content_type: stored.as_ref().map(|s| s.blob.content_type.clone()),
            auth_size_bytes: stored.as_ref().map(|s| s.blob.size_bytes),
            status: "open".to_string(),
            fulfilled_date: None,
            fulfilled_method: None,
            pages: None,
            fulfilled_by: None,
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_request(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.request.log",
                patient_id: Some(&patient_id),
                record_type: "records_request",
                record_id: Some(&row.id),
                detail: format!("from {} ({}), due {}", row.requester_name, row.requester_kind, row.due_date),
            },
        )
        .await?;
        let view = self.request_view(&mut tx, actor, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    async fn request_view(&self, conn: &mut Connection, actor: &Actor, r: RecordsRequestRow) -> Result<RecordsRequestView> {
        let patient = medoffice_store::patients::get(conn, &actor.practice_id, &r.patient_id).await?;
        let today = actor.today(self.now());
        let days_left = NaiveDate::parse_from_str(&r.due_date, "%Y-%m-%d").map(|d| (d - today).num_days()).unwrap_or(0);
        Ok(RecordsRequestView {
            patient_name: format!("{}, {}", patient.family_name, patient.given_name),
            requester_kind_label: label_of(&REQUESTER_KINDS, &r.requester_kind),
            fulfilled_method_label: r.fulfilled_method.as_deref().map(|m| label_of(&SEND_METHODS, m)),
            id: r.id,
            patient_id: r.patient_id,
            requester_name: r.requester_name,
            requester_kind: r.requester_kind,
            requested_what: r.requested_what,
            purpose: r.purpose,
            received_date: r.received_date,
            due_date: r.due_date,
            days_left,
            mail_item_id: r.mail_item_id,
            authorization_filename: r.auth_filename,
            status: r.status,
            fulfilled_date: r.fulfilled_date,
            fulfilled_method: r.fulfilled_method,
            pages: r.pages,
            fulfilled_by: r.fulfilled_by,
        })
    }

    /// Records requests: open ones first by due date (overdue first), then fulfilled ones.
    /// `status` is `open`, `fulfilled` or blank.
    pub async fn records_requests(&self, actor: &Actor, status: &str) -> Result<Vec<RecordsRequestView>> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let status = clean(status);
        if status.as_deref().is_some_and(|s| s != "open" && s != "fulfilled") {
            return Err(ValidationErrors::single("status", "the status is open or fulfilled").into());
        }
        let mut tx = self.store.begin().await?;
        let rows = store::list_requests(&mut tx, &actor.practice_id, status.as_deref(), MAIL_LIST_LIMIT).await?;
        let mut views = Vec::with_capacity(rows.len());
        for r in rows {
            views.push(self.request_view(&mut tx, actor, r).await?);
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.request.list",
                patient_id: None,
                record_type: "records_request",
                record_id: None,
                detail: format!("status={} ({} requests)", status.unwrap_or_default(), views.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(views)
    }

    /// One records request with what was sent for it.
    pub async fn records_request(&self, actor: &Actor, id: &str) -> Result<RecordsRequestDetail> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_request(&mut tx, &actor.practice_id, id.trim()).await?;
        let outgoing = store::outgoing_about(&mut tx, &actor.practice_id, "records", &row.id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.request.read",
                patient_id: Some(&row.patient_id),
                record_type: "records_request",
                record_id: Some(&row.id),
                detail: String::new(),
            },
        )
        .await?;
        let request = self.request_view(&mut tx, actor, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(RecordsRequestDetail { request, outgoing: outgoing.into_iter().map(outgoing_view).collect() })
    }

    /// A records request's authorisation scan: name, content type, bytes.
    pub async fn records_authorization(&self, actor: &Actor, id: &str) -> Result<(String, String, Vec<u8>)> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let mut tx = self.store.begin().await?;
        let r = store::get_request(&mut tx, &actor.practice_id, id.trim()).await?;
        let (Some(blob_id), Some(sha), Some(name), Some(kind)) = (&r.auth_blob_id, &r.auth_sha256, &r.auth_filename, &r.auth_content_type)
        else {
            return Err(AppError::NotFound("authorization"));
        };
        let bytes = self.read_scan(&mut tx, &actor.practice_id, blob_id, sha).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.authorization.read",
                patient_id: Some(&r.patient_id),
                record_type: "records_request",
                record_id: Some(&r.id),
                detail: name.clone(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((name.clone(), kind.clone(), bytes))
    }

    /// Fulfils a records request: the request is marked fulfilled (when, how, pages), the
    /// release is written to the patient's accounting of disclosures and to the outgoing mail
    /// log, all in one transaction. A request is fulfilled once.
    pub async fn fulfil_records_request(&self, actor: &Actor, id: &str, input: &FulfilInput) -> Result<RecordsRequestDetail> {
        self.authorize(actor, Action::ReleaseRecords, None).await?;
        let mut tx = self.store.begin().await?;
        let (detail, _) = self.fulfil_records_request_in(&mut tx, actor, id, input).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(detail)
    }

    /// Fulfils a records request inside the caller's transaction (a release of records calls
    /// this next to its own writes); the caller has checked [`Action::ReleaseRecords`]. Returns
    /// the request as it now stands and the id of the disclosure written.
    pub(crate) async fn fulfil_records_request_in(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        id: &str,
        input: &FulfilInput,
    ) -> Result<(RecordsRequestDetail, String)> {
        let today = actor.today(self.now());
        let mut errors = ValidationErrors::new();
        let date = date_or_today("date", &input.date, today, &mut errors);
        let method = one_of("method", &input.method, &SEND_METHODS, &mut errors);
        if input.pages <= 0 {
            errors.add("pages", "enter the number of pages released");
        } else if input.pages > 100_000 {
            errors.add("pages", "at most 100000 pages");
        }
        let what = optional("what", &input.what, 500, &mut errors);
        let request = store::get_request(&mut *conn, &actor.practice_id, id.trim()).await?;
        if request.status != "open" {
            return Err(AppError::Conflict("this request was fulfilled already".into()));
        }
        if let Some(d) = date
            && d.to_string() < request.received_date
        {
            errors.add("date", "the request was received after that date");
        }
        let what = what.unwrap_or_else(|| request.requested_what.clone());
        let outgoing = OutgoingInput {
            // Blank when the date or method was refused above: the outgoing entry's own checks
            // then add only what they alone see (a certified send without its tracking number).
            sent_date: date.map(|d| d.to_string()).unwrap_or_default(),
            recipient: request.requester_name.clone(),
            method: method.clone().unwrap_or_else(|| "usps_first_class".to_string()),
            tracking_number: input.tracking_number.clone(),
            about_kind: "records".to_string(),
            about_id: request.id.clone(),
            patient_id: request.patient_id.clone(),
            description: format!("Records: {what} ({} pages)", input.pages),
        };
        let checked = match checked_outgoing(&outgoing, today) {
            Ok(row) => Some(row),
            Err(e) => {
                errors.extend_prefixed("", e);
                None
            }
        };
        let (Some(date), Some(method), Some(checked)) = (date, method, checked) else {
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let by = actor.display_name.clone();
        if !store::fulfil_request(&mut *conn, &actor.practice_id, &request.id, &date.to_string(), &method, input.pages, &by).await? {
            return Err(AppError::Conflict("this request was fulfilled already".into()));
        }
        let now = self.now_text();
        let disclosure_id = new_id();
        store::insert_disclosure(
            &mut *conn,
            &DisclosureRow {
                practice_id: actor.practice_id.clone(),
                id: disclosure_id.clone(),
                patient_id: request.patient_id.clone(),
                disclosed_on: date.to_string(),
                recipient: request.requester_name.clone(),
                what: format!("{what} ({} pages, {})", input.pages, label_of(&SEND_METHODS, &method)),
                purpose: request.purpose.clone(),
                released_by: by,
                records_request_id: Some(request.id.clone()),
                created_at: now,
            },
        )
        .await?;
        self.insert_outgoing(&mut *conn, actor, checked).await?;
        self.audit(
            &mut *conn,
            actor,
            AuditNote {
                action: "records.request.fulfil",
                patient_id: Some(&request.patient_id),
                record_type: "records_request",
                record_id: Some(&request.id),
                detail: format!("{} pages by {method} to {}", input.pages, request.requester_name),
            },
        )
        .await?;
        let row = store::get_request(&mut *conn, &actor.practice_id, &request.id).await?;
        let outgoing = store::outgoing_about(&mut *conn, &actor.practice_id, "records", &row.id).await?;
        let request = self.request_view(&mut *conn, actor, row).await?;
        Ok((RecordsRequestDetail { request, outgoing: outgoing.into_iter().map(outgoing_view).collect() }, disclosure_id))
    }

    /// A patient's accounting of disclosures, oldest first.
    pub async fn disclosures(&self, actor: &Actor, patient_id: &str) -> Result<DisclosureReport> {
        self.authorize(actor, Action::ReleaseRecords, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, &actor.practice_id, patient_id.trim()).await?;
        let rows = store::disclosures_of(&mut tx, &actor.practice_id, &patient.id, MAIL_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "records.disclosures.read",
                patient_id: Some(&patient.id),
                record_type: "patient",
                record_id: Some(&patient.id),
                detail: format!("{} disclosures", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(DisclosureReport {
            patient_name: format!("{}, {}", patient.family_name, patient.given_name),
            mrn: patient.mrn,
            birth_date: patient.birth_date,
            patient_id: patient.id,
            disclosures: rows
                .into_iter()
                .map(|d| DisclosureView {
                    disclosed_on: d.disclosed_on,
                    recipient: d.recipient,
                    what: d.what,
                    purpose: d.purpose,
                    released_by: d.released_by,
                    records_request_id: d.records_request_id,
                })
                .collect(),
        })
    }

    /// The accounting of disclosures as a PDF the patient can be given.
    pub async fn disclosure_report_pdf(&self, actor: &Actor, patient_id: &str) -> Result<Vec<u8>> {
        let report = self.disclosures(actor, patient_id).await?;
        let printed_at = self.now().with_timezone(&actor.timezone).format("%Y-%m-%d %H:%M %Z").to_string();
        let mut doc = Document::letter();
        doc.title_block(&TitleBlock {
            organization: actor.practice_name.clone(),
            title: "Accounting of disclosures".to_string(),
            period: format!("{} (MRN {}, born {})", report.patient_name, report.mrn, report.birth_date),
            printed_at,
        });
        doc.paragraph(
            "This is the list of the releases of your health information made by this practice, as HIPAA \
             (45 CFR 164.528) entitles you to: the date, who received it, what was released and why.",
        );
        if report.disclosures.is_empty() {
            doc.paragraph("No disclosures are recorded.");
        } else {
            doc.table(&Table {
                columns: vec![
                    Column::new("Date", 1.1, Align::Left),
                    Column::new("Recipient", 2.2, Align::Left),
                    Column::new("What was released", 3.2, Align::Left),
                    Column::new("Purpose", 2.0, Align::Left),
                    Column::new("Released by", 1.5, Align::Left),
                ],
                rows: report
                    .disclosures
                    .iter()
                    .map(|d| {
                        Row::new(vec![
                            d.disclosed_on.clone(),
                            d.recipient.clone(),
                            d.what.clone(),
                            d.purpose.clone(),
                            d.released_by.clone(),
                        ])
                    })
                    .collect(),
            });
        }
        Ok(doc.finish())
    }

    /// Logs a piece of outgoing mail (a use case of its own, for what is sent by hand).
    pub async fn log_outgoing(&self, actor: &Actor, input: &OutgoingInput) -> Result<OutgoingMailView> {
        self.authorize(actor, Action::LogMail, None).await?;
        let mut tx = self.store.begin().await?;
        let view = self.log_outgoing_in(&mut tx, actor, input).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view)
    }

    /// Logs outgoing mail inside the caller's transaction: the statement run, a letter, a paper
    /// claim or a records release calls this next to its own writes. Refused input names its
    /// fields; the caller's transaction then rolls back with it. Audited.
    pub async fn log_outgoing_in(&self, conn: &mut Connection, actor: &Actor, input: &OutgoingInput) -> Result<OutgoingMailView> {
        let checked = checked_outgoing(input, actor.today(self.now()))?;
        if let Some(p) = &checked.patient_id {
            medoffice_store::patients::get(conn, &actor.practice_id, p).await.map_err(|e| match e {
                StoreError::NotFound(_) => AppError::from(ValidationErrors::single("patient_id", "there is no such patient")),
                other => other.into(),
            })?;
        }
        self.insert_outgoing(conn, actor, checked).await
    }

    async fn insert_outgoing(&self, conn: &mut Connection, actor: &Actor, checked: CheckedOutgoing) -> Result<OutgoingMailView> {
        let row = OutgoingMailRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            sent_date: checked.sent_date,
            recipient: checked.recipient,
            method: checked.method,
            tracking_number: checked.tracking_number,
            about_kind: checked.about_kind,
            about_id: checked.about_id,
            patient_id: checked.patient_id,
            description: checked.description,
            sent_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_outgoing(conn, &row).await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action: "mail.outgoing.log",
                patient_id: row.patient_id.as_deref(),
                record_type: "outgoing_mail",
                record_id: Some(&row.id),
                detail: format!("{} to {} by {}", row.about_kind, row.recipient, row.method),
            },
        )
        .await?;
        Ok(outgoing_view(row))
    }

    /// The outgoing mail log, newest first.
    pub async fn outgoing_mail(&self, actor: &Actor) -> Result<Vec<OutgoingMailView>> {
        self.authorize(actor, Action::ReadMail, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_outgoing(&mut tx, &actor.practice_id, MAIL_LIST_LIMIT).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mail.outgoing.list",
                patient_id: None,
                record_type: "outgoing_mail",
                record_id: None,
                detail: format!("{} items", rows.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.into_iter().map(outgoing_view).collect())
    }
}

/// Outgoing mail's fields, checked.
struct CheckedOutgoing {
    sent_date: String,
    recipient: String,
    method: String,
    tracking_number: Option<String>,
    about_kind: String,
    about_id: Option<String>,
    patient_id: Option<String>,
    description: String,
}

fn checked_outgoing(input: &OutgoingInput, today: NaiveDate) -> Result<CheckedOutgoing, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let date = date_or_today("sent_date", &input.sent_date, today, &mut errors);
    let recipient = required("recipient", &input.recipient, 200, "enter to whom it went", &mut errors);
    let method = one_of("method", &input.method, &SEND_METHODS, &mut errors);
    let tracking = optional("tracking_number", &input.tracking_number, 60, &mut errors);
    if method.as_deref() == Some("usps_certified") && tracking.is_none() {
        errors.add("tracking_number", "certified mail needs its tracking number");
    }
    let about_kind = one_of("about_kind", &input.about_kind, &OUTGOING_KINDS, &mut errors);
    let about_id = optional("about_id", &input.about_id, 60, &mut errors);
    let description = required("description", &input.description, 500, "say what was sent", &mut errors);
    let (Some(date), Some(recipient), Some(method), Some(about_kind), Some(description)) =
        (date, recipient, method, about_kind, description)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedOutgoing {
        sent_date: date.to_string(),
        recipient,
        method,
        tracking_number: tracking,
        about_kind,
        about_id,
        patient_id: clean(&input.patient_id),
        description,
    })
}

impl App {
    /// The demo's mail: a patient's check and an insurance check to post, returned mail (a
    /// patient to call), a records request due in three weeks, a legal letter for the office
    /// manager. Logged by the demo's front desk through the use cases.
    pub(crate) async fn demo_mail(&self) -> Result<()> {
        let actor = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            let user = medoffice_store::users::find_by_username(&mut conn, "frontdesk")
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound("user"))?;
            self.actor_for(&mut conn, &user, None).await?
        };
        let patients = self.recent_patients(&actor, 3).await?;
        let payers = self.list_payers(&actor).await?;
        let (Some(first), Some(second), Some(payer)) = (patients.first(), patients.get(1), payers.first()) else {
            return Ok(());
        };
        let today = actor.today(self.now());
        let day = |back: i64| (today - Duration::days(back)).to_string();
        let name = |p: &crate::views::PatientSummary| format!("{} {}", p.given_name, p.family_name);
        let items = [
            NewMailInput {
                received_date: day(0),
                sender: name(first),
                kind: "patient_payment".into(),
                patient_id: first.id.clone(),
                check_number: "2214".into(),
                amount_cents: 4_000,
                route_to_role: "biller".into(),
                ..Default::default()
            },
            NewMailInput {
                received_date: day(1),
                sender: payer.name.clone(),
                kind: "insurance_check".into(),
                summary: "Check with paper EOB for three claims".into(),
                payer_id: payer.id.clone(),
                check_number: "800451".into(),
                amount_cents: 38_650,
                route_to_role: "biller".into(),
                ..Default::default()
            },
            NewMailInput {
                received_date: day(1),
                sender: "USPS".into(),
                kind: "returned_mail".into(),
                summary: "Statement returned: moved, left no address".into(),
                patient_id: second.id.clone(),
                route_to_role: "front_desk".into(),
                ..Default::default()
            },
            NewMailInput {
                received_date: day(2),
                sender: "Hart & Lowe LLP".into(),
                kind: "legal".into(),
                summary: "Notice of representation".into(),
                route_to_role: "admin".into(),
                ..Default::default()
            },
        ];
        for item in &items {
            self.log_mail(&actor, item, None).await?;
        }
        self.log_records_request(
            &actor,
            &NewRecordsRequestInput {
                patient_id: first.id.clone(),
                requester_name: "Lakeside Cardiology".into(),
                requester_kind: "provider".into(),
                requested_what: "Visit notes and ECGs of the last two years".into(),
                purpose: "Continuity of care".into(),
                received_date: day(9),
                mail_item_id: String::new(),
            },
            None,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_records_request_is_due_thirty_days_after_it_was_received() {
        let received = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        assert_eq!(records_due_date(received), NaiveDate::from_ymd_opt(2026, 7, 15).unwrap());
        let feb = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(records_due_date(feb), NaiveDate::from_ymd_opt(2026, 3, 12).unwrap());
    }

    #[test]
    fn certified_mail_without_a_tracking_number_is_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let input = OutgoingInput {
            recipient: "Dr Lee".into(),
            method: "usps_certified".into(),
            about_kind: "records".into(),
            description: "records".into(),
            ..Default::default()
        };
        let Err(errors) = checked_outgoing(&input, today) else { panic!("accepted") };
        assert!(errors.for_field("tracking_number").is_some());
        let ok = OutgoingInput { tracking_number: "9400 1000 0000 0000 0000 00".into(), ..input };
        assert!(checked_outgoing(&ok, today).is_ok());
    }
}
