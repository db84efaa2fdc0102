//! medoffice's HTTP surface, in process: the JSON API (`/api/v1`) and the staff's pages, over a
//! fresh demo practice on SQLite for every test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod acknowledgement_pages;
mod aging_pages;
mod api_appointments;
mod api_auth;
mod api_bad_input;
mod api_bank;
mod api_claims;
mod api_docs;
mod api_documents;
mod api_patients;
mod api_payables;
mod appointment_pages;
mod audit_pages;
mod backup_pages;
mod bank_pages;
mod bill_payment_pages;
mod billing_pages;
mod calendar_feeds;
mod cash_basis_pages;
mod claim_status_pages;
mod claims_cob_pages;
mod cms1500_pages;
mod code_set_pages;
mod collection_pages;
mod denial_pages;
mod deposit_pages;
mod document_pages;
mod eligibility_pages;
mod harness;
mod invoice_pages;
mod ledger_downloads;
mod ledger_pages;
mod letter_pages;
mod mail_pages;
mod mailing_pages;
mod messages_pages;
mod mfa_pages;
mod pages;
mod patient_account_pages;
mod payables_pages;
mod reminder_pages;
mod remittance_pages;
mod retention_pages;
mod schedule_pages;
mod schedule_setup_pages;
mod statement_pages;
mod vendor_bill_pages;
mod waitlist_recall_pages;
