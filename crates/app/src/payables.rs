//! Accounts payable: vendors, the bills they send, and the bills due.
//!
//! Entering a bill posts its journal entry through [`App::post_entry`] in the same transaction
//! (Dr each line's expense, asset or prepaid account, Cr Accounts payable, key `bill:<id>`), so
//! a bill and its entry exist together or not at all. A vendor's bill number is entered once: a
//! second bill with the same number is refused on `bill_number`. Writing needs the bookkeeper's
//! posting right ([`Action::PostJournal`]); reading the books' right ([`Action::ReadBooks`]).

use crate::ledger::{NewEntry, NewLine, ensure_default_chart};
use crate::patients::Upload;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::ledger::terms::PaymentTerms;
use medoffice_domain::ledger::{AccountType, Section, accounts};
use medoffice_domain::security::Action;
use medoffice_domain::validation::clean;
use medoffice_store::bill_attachments::{self, BillAttachmentRow};
use medoffice_store::blobs::{self, BlobRow};
use medoffice_store::ledger::{self as ledger_store, AccountRow};
use medoffice_store::payables::{self as store, BillLineRow, BillRow, VendorRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The source kind of a bill's journal entry.
pub const SOURCE_BILL: &str = "bill";
/// The most open bills the bills-due list shows.
pub const BILLS_DUE_LIMIT: i64 = 1000;

/// A new vendor as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewVendorInput {
    pub name: String,
    pub address: String,
    pub contact: String,
    pub tax_id: String,
    /// An account number; blank for none.
    pub default_expense_account: String,
    /// `net_30`, `2/10 net 30`, `due_on_receipt`, `day_of_month:15`.
    pub payment_terms: String,
    pub is_1099: bool,
}

/// A vendor as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorView {
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub tax_id: Option<String>,
    pub default_expense_account: Option<String>,
    pub payment_terms: String,
    pub terms_label: String,
    pub is_1099: bool,
}

/// A bill as typed: lines in cents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewBillInput {
    pub vendor_id: String,
    pub bill_number: String,
    /// `YYYY-MM-DD`.
    pub bill_date: String,
    pub memo: String,
    pub lines: Vec<BillLineInput>,
}

/// One line of a bill: an expense, asset or prepaid account (blank: the vendor's default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct BillLineInput {
    pub account: String,
    pub amount_cents: i64,
    pub memo: String,
}

/// A bill as entered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillView {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub bill_number: String,
    pub bill_date: String,
    pub due_date: String,
    pub total_cents: i64,
    pub status: String,
    pub journal_entry_id: String,
}

/// An open bill in the bills-due list.
#[derive(Debug, Clone, Serialize)]
pub struct BillDueView {
    pub bill: BillView,
    /// Days past the due date (0 when not yet due).
    pub days_overdue: i64,
    /// The last day of the early-payment discount, while it is still available.
    pub discount_until: Option<String>,
}

fn vendor_view(v: &VendorRow) -> VendorView {
    VendorView {
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
        contact: v.contact.clone(),
        tax_id: v.tax_id.clone(),
        default_expense_account: v.default_expense_account.clone(),
        payment_terms: v.payment_terms.clone(),
        terms_label: PaymentTerms::parse(&v.payment_terms).map(|t| t.label()).unwrap_or_else(|_| v.payment_terms.clone()),
        is_1099: v.is_1099 == 1,
    }
}

/// Whether a bill line may go to this account: an open expense or asset account (prepaid included).
fn billable(a: &AccountRow) -> Result<(), String> {
    let section = AccountType::parse(&a.account_type).map(AccountType::section);
    if !matches!(section, Some(Section::Expense | Section::Asset)) {
        return Err(format!("account {} {} is not an expense, asset or prepaid account", a.number, a.name));
    }
    if a.active != 1 {
        return Err(format!("account {} {} is closed", a.number, a.name));
    }
    Ok(())
}

fn optional(field: &str, text: &str, max: usize, errors: &mut ValidationErrors) -> Option<String> {
    let value = clean(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

/// A vendor's fields as typed, validated: every field at fault named at once. The row it answers
/// has no id or creation time yet (the caller sets them).
async fn checked_vendor(conn: &mut Connection, actor: &Actor, input: &NewVendorInput, now: &str) -> Result<VendorRow> {
    let mut errors = ValidationErrors::new();
    let name = clean(&input.name);
    match &name {
        None => errors.add("name", "enter the vendor's name"),
        Some(n) if n.chars().count() > 100 => errors.add("name", "at most 100 characters"),
        Some(_) => {}
    }
    let address = optional("address", &input.address, 500, &mut errors);
    let contact = optional("contact", &input.contact, 200, &mut errors);
    let tax_id = optional("tax_id", &input.tax_id, 20, &mut errors);
    let terms = errors.check("payment_terms", PaymentTerms::parse(&input.payment_terms));
    let default_account = clean(&input.default_expense_account);
    if let Some(number) = &default_account {
        ensure_default_chart(conn, &actor.practice_id, now).await?;
        let chart = ledger_store::list_accounts(conn, &actor.practice_id).await?;
        match chart.iter().find(|a| &a.number == number) {
            None => errors.add("default_expense_account", format!("there is no account {number}")),
            Some(a) => {
                if let Err(e) = billable(a) {
                    errors.add("default_expense_account", e);
                }
            }
        }
    }
    let (Some(name), Some(terms)) = (name, terms) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(VendorRow {
        practice_id: actor.practice_id.clone(),
        id: String::new(),
        name,
        address,
        contact,
        tax_id,
        default_expense_account: default_account,
        payment_terms: terms.as_text(),
        is_1099: i64::from(input.is_1099),
        created_at: String::new(),
    })
}

impl App {
    /// Adds a vendor.
    pub async fn add_vendor(&self, actor: &Actor, input: &NewVendorInput) -> Result<VendorView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let fields = checked_vendor(&mut tx, actor, input, &now).await?;
        let row = VendorRow { practice_id: actor.practice_id.clone(), id: new_id(), created_at: now, ..fields };
        store::insert_vendor(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.vendor.add",
                patient_id: None,
                record_type: "vendor",
                record_id: Some(&row.id),
                detail: format!("{} ({})", row.name, row.payment_terms),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendor_view(&row))
    }

    /// The practice's vendors by name.
    pub async fn vendors(&self, actor: &Actor) -> Result<Vec<VendorView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let vendors = store::list_vendors(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendors.iter().map(vendor_view).collect())
    }

    /// Enters a vendor's bill and posts its entry (Dr the lines' accounts, Cr Accounts payable)
    /// in one transaction. The due date follows from the vendor's terms.
    pub async fn enter_bill(&self, actor: &Actor, input: &NewBillInput) -> Result<BillView> {
        self.enter_bill_with_attachment(actor, input, None).await
    }

    /// Enters a bill as [`App::enter_bill`] does, with the scanned bill attached: a PDF, PNG or
    /// JPEG (recognised by its first bytes) of at most `max_upload_bytes`, refused on
    /// `attachment`. The bill, its entry and the attachment are one transaction: a bill refused
    /// for any reason stores no attachment row (its bytes are written only once all is valid).
    pub async fn enter_bill_with_attachment(&self, actor: &Actor, input: &NewBillInput, attachment: Option<Upload>) -> Result<BillView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut errors = ValidationErrors::new();
        let attachment = self.check_bill_file(attachment, &mut errors);
        let bill_number = clean(&input.bill_number);
        match &bill_number {
            None => errors.add("bill_number", "enter the vendor's bill number"),
            Some(n) if n.chars().count() > 60 => errors.add("bill_number", "at most 60 characters"),
            Some(_) => {}
        }
        let bill_date = errors.check(
            "bill_date",
            NaiveDate::parse_from_str(input.bill_date.trim(), "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD".to_string()),
        );
        let memo = optional("memo", &input.memo, 500, &mut errors);
        if input.lines.is_empty() {
            errors.add("lines", "a bill needs at least one line");
        }
        let mut tx = self.store.begin().await?;
        let now = self.now_text();
        let vendor = match store::get_vendor(&mut tx, &actor.practice_id, input.vendor_id.trim()).await {
            Ok(v) => Some(v),
            Err(StoreError::NotFound(_)) => {
                errors.add("vendor_id", "choose the vendor");
                None
            }
            Err(e) => return Err(e.into()),
        };
        if let (Some(v), Some(n)) = (&vendor, &bill_number)
            && store::bill_number_taken(&mut tx, &actor.practice_id, &v.id, n).await?
        {
            errors.add("bill_number", format!("bill {n} from {} was entered already", v.name));
        }
        ensure_default_chart(&mut tx, &actor.practice_id, &now).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let mut lines = Vec::with_capacity(input.lines.len());
        let mut total: i64 = 0;
        for (i, l) in input.lines.iter().enumerate() {
            let account = clean(&l.account).or_else(|| vendor.as_ref().and_then(|v| v.default_expense_account.clone()));
            match account.as_deref().map(|n| (n, chart.iter().find(|a| a.number == n))) {
                None => errors.add(&format!("lines[{i}].account"), "choose the account (the vendor has no default)"),
                Some((n, None)) => errors.add(&format!("lines[{i}].account"), format!("there is no account {n}")),
                Some((_, Some(a))) => {
                    if let Err(e) = billable(a) {
                        errors.add(&format!("lines[{i}].account"), e);
                    }
                }
            }
            if l.amount_cents <= 0 {
                errors.add(&format!("lines[{i}].amount_cents"), "enter an amount above zero");
            }
            total = match total.checked_add(l.amount_cents.max(0)) {
                Some(t) => t,
                None => {
                    errors.add("lines", "the amounts are too large");
                    0
                }
            };
            lines.push((account.unwrap_or_default(), l.amount_cents, clean(&l.memo)));
        }
        let (Some(vendor), Some(bill_number), Some(bill_date)) = (vendor, bill_number, bill_date) else {
            return Err(errors.into());
        };
        // Terms are parsed before they are stored, so this fails only on a corrupted row.
        let terms =
            PaymentTerms::parse(&vendor.payment_terms).map_err(|e| StoreError::Corrupt(format!("vendor {} terms: {e}", vendor.id)))?;
        let Some(due_date) = terms.due_date(bill_date) else {
            errors.add("bill_date", "the due date falls past the calendar's end");
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let id = new_id();
        let mut entry_lines: Vec<NewLine> = lines
            .iter()
            .map(|(account, cents, memo)| NewLine {
                memo: memo.clone(),
                vendor_id: Some(vendor.id.clone()),
                ..NewLine::debit(account, *cents)
            })
            .collect();
        entry_lines.push(NewLine { vendor_id: Some(vendor.id.clone()), ..NewLine::credit(accounts::ACCOUNTS_PAYABLE, total) });
        let entry = NewEntry {
            date: Some(bill_date),
            memo: format!("Bill {bill_number} from {}", vendor.name),
            source_kind: SOURCE_BILL.to_string(),
            source_id: Some(id.clone()),
            idempotency_key: Some(format!("bill:{id}")),
            reversal_of: None,
            posted_by: actor.user_id.clone(),
            lines: entry_lines,
        };
        let posted = self.post_entry(&mut tx, &actor.practice_id, &entry).await?;
        let row = BillRow {
            practice_id: actor.practice_id.clone(),
            id: id.clone(),
            vendor_id: vendor.id.clone(),
            bill_number,
            bill_date: bill_date.to_string(),
            due_date: due_date.to_string(),
            memo,
            total_cents: total,
            status: "open".to_string(),
            journal_entry_id: posted.entry.id.clone(),
            created_by: actor.user_id.clone(),
            created_at: now,
        };
        let line_rows: Vec<BillLineRow> = lines
            .into_iter()
            .enumerate()
            .map(|(i, (account_number, amount_cents, memo))| BillLineRow {
                practice_id: actor.practice_id.clone(),
                bill_id: id.clone(),
                line_number: i as i64 + 1,
                account_number,
                amount_cents,
                memo,
            })
            .collect();
        store::insert_bill(&mut tx, &row, &line_rows).await?;
        let attached = match attachment {
            Some(file) => Some(self.attach_to_bill(&mut tx, actor, &row.id, file).await?),
            None => None,
        };
        let attached_note =
            attached.as_ref().map(|a| format!(", attached {} ({} bytes)", a.content_type, a.size_bytes)).unwrap_or_default();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.bill.enter",
                patient_id: None,
                record_type: "bill",
                record_id: Some(&row.id),
                detail: format!(
                    "bill {} from {}, {} cents, due {}{attached_note}",
                    row.bill_number, vendor.name, row.total_cents, row.due_date
                ),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(BillView {
            id: row.id,
            vendor_id: vendor.id,
            vendor_name: vendor.name,
            bill_number: row.bill_number,
            bill_date: row.bill_date,
            due_date: row.due_date,
            total_cents: row.total_cents,
            status: row.status,
            journal_entry_id: row.journal_entry_id,
        })
    }

    /// Open bills by due date, the overdue ones first, with the early-payment discounts still
    /// available as of the practice's today.
    pub async fn bills_due(&self, actor: &Actor) -> Result<Vec<BillDueView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let today = actor.today(self.now());
        let mut tx = self.store.begin().await?;
        let rows = store::open_bills_by_due(&mut tx, &actor.practice_id, BILLS_DUE_LIMIT).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let bill_date = NaiveDate::parse_from_str(&r.bill_date, "%Y-%m-%d").ok();
                let due = NaiveDate::parse_from_str(&r.due_date, "%Y-%m-%d").ok();
                let discount_until = bill_date
                    .zip(PaymentTerms::parse(&r.payment_terms).ok())
                    .and_then(|(d, t)| t.discount_until(d))
                    .filter(|until| *until >= today)
                    .map(|d| d.to_string());
                BillDueView {
                    days_overdue: due.map(|d| (today - d).num_days().max(0)).unwrap_or(0),
                    discount_until,
                    bill: BillView {
                        id: r.id,
                        vendor_id: r.vendor_id,
                        vendor_name: r.vendor_name,
                        bill_number: r.bill_number,
                        bill_date: r.bill_date,
                        due_date: r.due_date,
                        total_cents: r.total_cents,
                        status: r.status,
                        journal_entry_id: r.journal_entry_id,
                    },
                }
            })
            .collect())
    }
}

/// The most bills a bill list answers.
pub const BILL_LIST_LIMIT: i64 = 500;
/// The statuses a bill list may be filtered on.
pub const BILL_STATUSES: [&str; 2] = ["open", "paid"];

/// A vendor with what the practice owes it: its balance on accounts payable (bills less payments).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorBalanceView {
    #[serde(flatten)]
    pub vendor: VendorView,
    pub open_balance_cents: i64,
}

/// One line of a bill as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillLineView {
    pub line_number: i64,
    pub account_number: String,
    /// The account's name in the chart (blank if the account is gone from it).
    pub account_name: String,
    pub amount_cents: i64,
    pub memo: Option<String>,
}

/// A file attached to a bill (its bytes at `/books/bills/attachments/{id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillAttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// A bill with its memo, lines and attachments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillDetailView {
    #[serde(flatten)]
    pub bill: BillView,
    pub memo: Option<String>,
    pub payment_terms: String,
    pub terms_label: String,
    pub lines: Vec<BillLineView>,
    pub attachments: Vec<BillAttachmentView>,
}

fn attachment_view(a: &BillAttachmentRow) -> BillAttachmentView {
    BillAttachmentView {
        id: a.id.clone(),
        filename: a.filename.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        sha256: a.sha256.clone(),
        uploaded_by: a.uploaded_by.clone(),
        uploaded_at: a.uploaded_at.clone(),
    }
}

/// The kinds of scanned bill accepted, recognised by their first bytes, never by the file's
/// name or the type the browser claims.
pub fn sniff_bill_file(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file name fit to show and to offer on download: the last path part, without control
/// characters or quotes, at most 120 characters; `bill` when nothing is left.
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = last.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(120).collect();
    let kept = kept.trim().to_string();
    if kept.is_empty() { "bill".to_string() } else { kept }
}

impl App {
    /// An attachment as uploaded, checked: none when no file was chosen; refused on
    /// `attachment` when too large or not a PDF, PNG or JPEG.
    fn check_bill_file(&self, upload: Option<Upload>, errors: &mut ValidationErrors) -> Option<(Upload, &'static str)> {
        let upload = upload.filter(|u| !u.bytes.is_empty())?;
        if upload.bytes.len() > self.config.max_upload_bytes {
            errors.add("attachment", format!("the file is larger than {} MB", self.config.max_upload_bytes / (1024 * 1024)));
            return None;
        }
        match sniff_bill_file(&upload.bytes) {
            Some(kind) => Some((upload, kind)),
            None => {
                errors.add("attachment", "attach the scanned bill as a PDF, PNG or JPEG file");
                None
            }
        }
    }

    /// Writes the file to the blob store, then its blob and attachment rows in the caller's
    /// transaction (a crash in between leaves an orphan file, never a row without its bytes).
    async fn attach_to_bill(
        &self,
        conn: &mut Connection,
        actor: &Actor,
        bill_id: &str,
        (upload, content_type): (Upload, &'static str),
    ) -> Result<BillAttachmentRow> {
        let blob_id = new_id();
        let key = format!("{}/{blob_id}", actor.practice_id);
        let sha256 = hex::encode(Sha256::digest(&upload.bytes));
        let size_bytes = i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX);
        let now = self.now_text();
        self.blobs.put(&key, &upload.bytes).await?;
        blobs::insert(
            conn,
            &BlobRow {
                practice_id: actor.practice_id.clone(),
                id: blob_id.clone(),
                content_type: content_type.to_string(),
                size_bytes,
                sha256: sha256.clone(),
                storage_key: key,
                created_at: now.clone(),
            },
        )
        .await?;
        let row = BillAttachmentRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            bill_id: bill_id.to_string(),
            blob_id,
            sha256,
            filename: clean_file_name(&upload.file_name),
            content_type: content_type.to_string(),
            size_bytes,
            uploaded_by: actor.username.clone(),
            uploaded_at: now,
        };
        bill_attachments::insert(conn, &row).await?;
        Ok(row)
    }

    /// One vendor.
    pub async fn vendor(&self, actor: &Actor, vendor_id: &str) -> Result<VendorView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_vendor(&mut tx, &actor.practice_id, vendor_id.trim()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendor_view(&row))
    }

    /// Changes a vendor (name, address, contact, tax id, default account, terms, 1099 flag),
    /// checked as a new vendor is. Bills already entered keep their due dates. Audited with what
    /// changed.
    pub async fn update_vendor(&self, actor: &Actor, vendor_id: &str, input: &NewVendorInput) -> Result<VendorView> {
        self.authorize(actor, Action::PostJournal, None).await?;
        let mut tx = self.store.begin().await?;
        let before = store::get_vendor(&mut tx, &actor.practice_id, vendor_id.trim()).await?;
        let now = self.now_text();
        let fields = checked_vendor(&mut tx, actor, input, &now).await?;
        let row = VendorRow { id: before.id.clone(), created_at: before.created_at.clone(), ..fields };
        let change = |field: &str, old: Option<&str>, new: Option<&str>| {
            (old != new).then(|| format!("{field}: {} -> {}", old.unwrap_or("-"), new.unwrap_or("-")))
        };
        let changed: Vec<String> = [
            change("name", Some(&before.name), Some(&row.name)),
            change("address", before.address.as_deref(), row.address.as_deref()),
            change("contact", before.contact.as_deref(), row.contact.as_deref()),
            // A tax id is named as changed, not written into the audit trail.
            (before.tax_id != row.tax_id).then(|| "tax_id changed".to_string()),
            change("default_expense_account", before.default_expense_account.as_deref(), row.default_expense_account.as_deref()),
            change("payment_terms", Some(&before.payment_terms), Some(&row.payment_terms)),
            (before.is_1099 != row.is_1099).then(|| format!("is_1099: {} -> {}", before.is_1099 == 1, row.is_1099 == 1)),
        ]
        .into_iter()
        .flatten()
        .collect();
        store::update_vendor(&mut tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.vendor.update",
                patient_id: None,
                record_type: "vendor",
                record_id: Some(&row.id),
                detail: if changed.is_empty() { "no change".to_string() } else { changed.join("; ") },
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendor_view(&row))
    }

    /// The vendors by name, each with its balance on accounts payable.
    pub async fn vendors_with_balances(&self, actor: &Actor) -> Result<Vec<VendorBalanceView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let vendors = store::list_vendors(&mut tx, &actor.practice_id).await?;
        let balances: std::collections::HashMap<String, i64> =
            store::vendor_open_balances(&mut tx, &actor.practice_id, accounts::ACCOUNTS_PAYABLE).await?.into_iter().collect();
        tx.commit().await.map_err(StoreError::from)?;
        Ok(vendors
            .iter()
            .map(|v| VendorBalanceView { vendor: vendor_view(v), open_balance_cents: balances.get(&v.id).copied().unwrap_or(0) })
            .collect())
    }

    /// Bills newest first, optionally of one status (`open`, `paid`; blank for all) and one
    /// vendor (blank for all), at most [`BILL_LIST_LIMIT`].
    pub async fn bills(&self, actor: &Actor, status: &str, vendor_id: &str) -> Result<Vec<BillView>> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let status = status.trim();
        if !status.is_empty() && !BILL_STATUSES.contains(&status) {
            return Err(ValidationErrors::single("status", format!("the status is one of {}", BILL_STATUSES.join(", "))).into());
        }
        let vendor_id = vendor_id.trim();
        let mut tx = self.store.begin().await?;
        let rows = store::list_bills(
            &mut tx,
            &actor.practice_id,
            Some(status).filter(|s| !s.is_empty()),
            Some(vendor_id).filter(|v| !v.is_empty()),
            BILL_LIST_LIMIT,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| BillView {
                id: r.id,
                vendor_id: r.vendor_id,
                vendor_name: r.vendor_name,
                bill_number: r.bill_number,
                bill_date: r.bill_date,
                due_date: r.due_date,
                total_cents: r.total_cents,
                status: r.status,
                journal_entry_id: r.journal_entry_id,
            })
            .collect())
    }

    /// One bill with its vendor, lines and attachments.
    pub async fn bill(&self, actor: &Actor, bill_id: &str) -> Result<BillDetailView> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let row = store::get_bill(&mut tx, &actor.practice_id, bill_id.trim()).await?;
        let vendor = store::get_vendor(&mut tx, &actor.practice_id, &row.vendor_id).await?;
        let lines = store::bill_lines(&mut tx, &actor.practice_id, &row.id).await?;
        let chart = ledger_store::list_accounts(&mut tx, &actor.practice_id).await?;
        let attachments = bill_attachments::for_bill(&mut tx, &actor.practice_id, &row.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let view = vendor_view(&vendor);
        Ok(BillDetailView {
            memo: row.memo.clone(),
            payment_terms: view.payment_terms,
            terms_label: view.terms_label,
            lines: lines
                .into_iter()
                .map(|l| BillLineView {
                    account_name: chart.iter().find(|a| a.number == l.account_number).map(|a| a.name.clone()).unwrap_or_default(),
                    line_number: l.line_number,
                    account_number: l.account_number,
                    amount_cents: l.amount_cents,
                    memo: l.memo,
                })
                .collect(),
            attachments: attachments.iter().map(attachment_view).collect(),
            bill: BillView {
                id: row.id,
                vendor_id: vendor.id,
                vendor_name: vendor.name,
                bill_number: row.bill_number,
                bill_date: row.bill_date,
                due_date: row.due_date,
                total_cents: row.total_cents,
                status: row.status,
                journal_entry_id: row.journal_entry_id,
            },
        })
    }

    /// A bill's attached file: what it is and its bytes, checked against the stored hash.
    /// Audited as a read of the bill.
    pub async fn bill_attachment(&self, actor: &Actor, attachment_id: &str) -> Result<(BillAttachmentView, Vec<u8>)> {
        self.authorize(actor, Action::ReadBooks, None).await?;
        let mut tx = self.store.begin().await?;
        let attachment = bill_attachments::get(&mut tx, &actor.practice_id, attachment_id.trim()).await?;
        let blob = blobs::get(&mut tx, &actor.practice_id, &attachment.blob_id).await?;
        let bytes = self.blobs.get(&blob.storage_key).await?;
        if hex::encode(Sha256::digest(&bytes)) != attachment.sha256 {
            return Err(AppError::Internal(format!("stored file {} is damaged (its hash does not match)", blob.id)));
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "payables.bill.attachment.read",
                patient_id: None,
                record_type: "bill",
                record_id: Some(&attachment.bill_id),
                detail: format!("attachment {} ({})", attachment.id, attachment.filename),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((attachment_view(&attachment), bytes))
    }
}
