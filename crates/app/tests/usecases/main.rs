//! Every store and use-case test of medoffice, each run on SQLite and on PostgreSQL.
//!
//! One binary for the crate (linking is the slow part of a test build). PostgreSQL comes from
//! `MEDOFFICE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`): each test
//! creates its own database there and drops it at the end. When PostgreSQL is not reachable the
//! PostgreSQL variants fail; they are never skipped.
//!
//! Run: `cargo test -p medoffice-app --test usecases` (one backend: add `-- on_sqlite`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod acknowledgements;
mod aging_reports;
mod ar_subledgers;
mod atomicity;
mod audit;
mod auth;
mod backups;
mod bank_reconciliation;
mod bill_payments;
mod calendar_feeds;
mod cash_basis;
mod claim_status;
mod claims;
mod claims_cob;
mod cms1500;
mod code_sets;
mod collections;
mod concurrency;
mod coverages;
mod demo_billing;
mod demo_books;
mod denials;
mod deposits;
mod documents;
mod eligibility;
mod encounters;
mod families;
mod front_desk;
mod invoices;
mod late_charges;
mod ledger;
mod ledger_totals;
mod letters;
mod mail_room;
mod mailings;
mod messages;
mod mfa;
mod paper_eob;
mod patient_accounts;
mod patients;
mod payables;
mod payment_plans;
mod recalls;
mod records_release;
mod recurring_entries;
mod refunds;
mod reminders;
mod remittances;
mod rescheduling;
mod retention;
mod roles;
mod schedule_setup;
mod schedule_views;
mod scheduling;
mod scheduling_store;
mod schema;
mod search;
mod smtp_listener;
mod statements;
mod vendors;
mod waitlist;
