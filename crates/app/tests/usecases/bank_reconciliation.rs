//! Bank reconciliation through the use cases: importing statements (OFX and CSV), matching their
//! lines with the cash account's ledger lines, posting fees and interest, and marking the account
//! reconciled only when the difference is zero.
//!
//! The fixtures (crates/domain/tests/fixtures/bank) hold one June 2026 statement of Cash -
//! Operating: a $1,250.00 deposit on 06/01, check 1042 for $450.00 on 06/04, a $15.00 fee on
//! 06/05 and $0.42 interest on 06/30; ending balance $785.42.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::bank_reconciliation::{ImportStatementInput, PostBankLineInput, ReconcileInput};
use medoffice_app::ledger::{JournalEntryInput, JournalLineInput};
use medoffice_app::{Actor, AppError};
use medoffice_domain::ledger::accounts;

const SGML_OFX: &str = include_str!("../../../domain/tests/fixtures/bank/statement_sgml.ofx");
const XML_OFX: &str = include_str!("../../../domain/tests/fixtures/bank/statement_xml.ofx");
const SIGNED_CSV: &str = include_str!("../../../domain/tests/fixtures/bank/signed.csv");

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Posts a two-line entry: `cents` debited to `debit`, credited to `credit`; returns its id.
async fn post(env: &TestEnv, actor: &Actor, date: &str, memo: &str, debit: &str, credit: &str, cents: i64) -> String {
    let line = |account: &str, debit_cents, credit_cents| JournalLineInput {
        account: account.into(),
        debit_cents,
        credit_cents,
        memo: String::new(),
    };
    let input = JournalEntryInput {
        date: date.into(),
        memo: memo.into(),
        idempotency_key: String::new(),
        lines: vec![line(debit, cents, 0), line(credit, 0, cents)],
    };
    env.app.post_journal_entry(actor, &input).await.unwrap().id
}

async fn cash_account(env: &TestEnv, actor: &Actor) -> String {
    let accounts = env.app.cash_accounts(actor).await.unwrap();
    assert!(accounts.iter().all(|a| a.number.starts_with('1')), "only asset accounts take statements");
    accounts.into_iter().find(|a| a.number == accounts::CASH_OPERATING).unwrap().id
}

fn file(account_id: &str, name: &str, text: &str) -> ImportStatementInput {
    ImportStatementInput { account_id: account_id.into(), file_name: name.into(), bytes: text.as_bytes().to_vec() }
}

/// The books of June: the deposit and check 1042 the bank has, a deposit and check 1043 it has not.
async fn june_books(env: &TestEnv, bk: &Actor) -> (String, String, String, String) {
    let deposit = post(env, bk, "2026-06-01", "Blue Cross EFT deposit", accounts::CASH_OPERATING, accounts::AR_INSURANCE, 125_000).await;
    let rent = post(env, bk, "2026-06-02", "Rent, check 1042", "6100", accounts::CASH_OPERATING, 45_000).await;
    let copays = post(env, bk, "2026-06-20", "Co-pays deposited", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 30_000).await;
    let supplies = post(env, bk, "2026-06-25", "Supplies, check 1043", "6200", accounts::CASH_OPERATING, 8_000).await;
    (deposit, rent, copays, supplies)
}

both_backends! {
    async fn a_statement_is_imported_matched_its_fee_and_interest_posted_and_the_account_reconciled(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let (deposit, rent, copays, supplies) = june_books(&env, bk).await;

        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.ofx", SGML_OFX)).await.unwrap();
        assert_eq!((imported.imported, imported.duplicates, imported.matched), (4, 0, 2));
        let statement_id = imported.statement_id.unwrap();
        let statement = env.app.bank_statement(bk, &statement_id).await.unwrap();
        assert_eq!((statement.file_format.as_str(), statement.ending_balance_cents, statement.ending_date.as_deref()), ("ofx", Some(78_542), Some("2026-06-30")));
        let matched: Vec<Option<(&str, i64)>> =
            statement.lines.iter().map(|l| l.matched.as_ref().map(|m| (m.entry_id.as_str(), m.line_number))).collect();
        assert_eq!(matched, [Some((deposit.as_str(), 1)), Some((rent.as_str(), 2)), None, None]);
        assert_eq!(statement.lines.iter().map(|l| l.status.as_str()).collect::<Vec<_>>(), ["matched", "matched", "unmatched", "unmatched"]);
        assert_eq!(statement.lines[1].check_number.as_deref(), Some("1042"));
        let listed = env.app.bank_statements(bk).await.unwrap();
        assert_eq!((listed.len(), listed[0].unmatched_count, listed[0].account_number.as_str()), (1, 2, "1000"));

        // Before the fee and the interest are in the books, the difference is theirs, and marking
        // reconciled is refused with it.
        let june_30 = day("2026-06-30");
        let before = env.app.bank_reconciliation(bk, &cash, june_30, Some(78_542)).await.unwrap();
        assert_eq!((before.cleared_balance_cents, before.ledger_balance_cents, before.difference_cents), (80_000, 102_000, Some(-1_458)));
        assert_eq!(before.outstanding_deposits.iter().map(|l| (l.entry_id.as_str(), l.amount_cents)).collect::<Vec<_>>(), [(copays.as_str(), 30_000)]);
        assert_eq!(before.outstanding_payments.iter().map(|l| (l.entry_id.as_str(), l.amount_cents)).collect::<Vec<_>>(), [(supplies.as_str(), -8_000)]);
        assert_eq!((before.outstanding_deposits_cents, before.outstanding_payments_cents), (30_000, 8_000));
        let reconcile = ReconcileInput { account_id: cash.clone(), statement_id: statement_id.clone(), end_date: "2026-06-30".into(), ending_balance: "$785.42".into() };
        let refused = env.app.mark_reconciled(bk, &reconcile).await;
        match &refused {
            Err(AppError::Validation(e)) => assert!(e.for_field("ending_balance").unwrap().contains("difference of -$14.58"), "{e:?}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(env.app.bank_reconciliation(bk, &cash, june_30, None).await.unwrap().reconciled.is_none());

        // Post the fee (Dr Bank fees, Cr Cash) and the interest (Dr Cash, Cr Other revenue).
        let fee_line = statement.lines[2].id.clone();
        let interest_line = statement.lines[3].id.clone();
        let fee_entry = env.app.post_bank_line(bk, &fee_line, &PostBankLineInput::default()).await.unwrap();
        let entry = env.app.journal_entry(bk, &fee_entry).await.unwrap();
        assert_eq!((entry.source_kind.as_str(), entry.date.as_str(), entry.total_cents), ("bank_line", "2026-06-05", 1_500));
        let sides: Vec<(&str, i64, i64)> = entry.lines.iter().map(|l| (l.account_number.as_str(), l.debit_cents, l.credit_cents)).collect();
        assert_eq!(sides, [(accounts::BANK_FEES, 1_500, 0), (accounts::CASH_OPERATING, 0, 1_500)]);
        let interest_entry = env.app.post_bank_line(bk, &interest_line, &PostBankLineInput { account: String::new(), memo: "June interest".into() }).await.unwrap();
        let entry = env.app.journal_entry(bk, &interest_entry).await.unwrap();
        let sides: Vec<(&str, i64, i64)> = entry.lines.iter().map(|l| (l.account_number.as_str(), l.debit_cents, l.credit_cents)).collect();
        assert_eq!((entry.memo.as_str(), sides), ("June interest", vec![(accounts::CASH_OPERATING, 42, 0), (accounts::OTHER_REVENUE, 0, 42)]));
        let again = env.app.post_bank_line(bk, &fee_line, &PostBankLineInput::default()).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");

        let after = env.app.bank_reconciliation(bk, &cash, june_30, Some(78_542)).await.unwrap();
        assert_eq!((after.cleared_balance_cents, after.difference_cents), (78_542, Some(0)));
        let done = env.app.mark_reconciled(bk, &reconcile).await.unwrap();
        assert_eq!((done.difference_cents, done.ledger_balance_cents), (Some(0), 100_542));
        assert!(done.reconciled.is_some());
        assert_eq!(done.outstanding_deposits.len() + done.outstanding_payments.len(), 2, "the books' own items stay outstanding");
        let twice = env.app.mark_reconciled(bk, &reconcile).await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");

        // A reconciled line's match stands.
        let unmatch = env.app.unmatch_bank_line(bk, &statement.lines[0].id).await;
        assert!(matches!(unmatch, Err(AppError::Conflict(ref m)) if m.contains("reconciliation")), "{unmatch:?}");
        let statement = env.app.bank_statement(bk, &statement_id).await.unwrap();
        assert!(statement.lines.iter().all(|l| l.status == "matched" && l.reconciled));

        let tb = env.app.trial_balance(bk, june_30).await.unwrap();
        assert!(tb.balances());
        let fees = tb.accounts.iter().find(|a| a.number == accounts::BANK_FEES).unwrap();
        assert_eq!(fees.debit_cents, 1_500);
    }
}

both_backends! {
    async fn importing_the_same_lines_again_adds_nothing(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let first = env.app.import_bank_statement(bk, &file(&cash, "june.ofx", SGML_OFX)).await.unwrap();
        assert_eq!((first.imported, first.matched), (4, 0));
        // The same FITIDs, in OFX 2 this time.
        let again = env.app.import_bank_statement(bk, &file(&cash, "june-again.ofx", XML_OFX)).await.unwrap();
        assert_eq!((again.statement_id, again.imported, again.duplicates), (None, 0, 4));

        let csv = env.app.import_bank_statement(bk, &file(&cash, "june.csv", SIGNED_CSV)).await.unwrap();
        assert_eq!((csv.imported, csv.duplicates), (4, 0), "CSV lines carry no FITID: they are new to the account");
        let same_csv = env.app.import_bank_statement(bk, &file(&cash, "june.csv", SIGNED_CSV)).await.unwrap();
        assert_eq!((same_csv.statement_id, same_csv.imported, same_csv.duplicates), (None, 0, 4));
        let longer = format!("{SIGNED_CSV}07/01/2026,MONTHLY SERVICE FEE,(15.00)\r\n");
        let july = env.app.import_bank_statement(bk, &file(&cash, "june-july.csv", &longer)).await.unwrap();
        assert_eq!((july.imported, july.duplicates), (1, 4));
        let statement = env.app.bank_statement(bk, &july.statement_id.unwrap()).await.unwrap();
        assert_eq!(statement.lines.iter().map(|l| (l.date.as_str(), l.amount_cents)).collect::<Vec<_>>(), [("2026-07-01", -1_500)]);
        assert_eq!(statement.duplicate_count, 4);
        assert_eq!(env.app.bank_statements(bk).await.unwrap().len(), 3);

        // Another account keys its lines apart.
        let petty = env.app.cash_accounts(bk).await.unwrap().into_iter().find(|a| a.number == "1020").unwrap().id;
        let other = env.app.import_bank_statement(bk, &file(&petty, "june.ofx", SGML_OFX)).await.unwrap();
        assert_eq!(other.imported, 4);
    }
}

both_backends! {
    async fn a_ledger_line_is_never_matched_twice(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let deposit = post(&env, bk, "2026-06-10", "Co-pays deposited", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 30_000).await;
        let other = post(&env, bk, "2026-06-10", "Refund, check 2001", accounts::AR_PATIENTS, accounts::CASH_OPERATING, 30_000).await;
        let csv = "Date,Description,Amount\n06/10/2026,DEPOSIT,300.00\n06/10/2026,DEPOSIT,300.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "two.csv", csv)).await.unwrap();
        assert_eq!((imported.imported, imported.matched), (2, 1));
        let statement = env.app.bank_statement(bk, &imported.statement_id.unwrap()).await.unwrap();
        let (first, second) = (&statement.lines[0], &statement.lines[1]);
        assert_eq!(first.matched.as_ref().map(|m| m.entry_id.as_str()), Some(deposit.as_str()));
        assert!(second.matched.is_none() && second.suggestions.is_empty(), "the one deposit is taken");

        let taken = env.app.match_bank_line(bk, &second.id, &deposit, 1).await;
        assert!(matches!(taken, Err(AppError::Conflict(ref m)) if m.contains("matched once")), "{taken:?}");
        // The refund is a credit to cash: money out, not this deposit.
        assert_eq!(invalid_fields(env.app.match_bank_line(bk, &second.id, &other, 2).await), ["ledger_line"]);
        assert_eq!(invalid_fields(env.app.match_bank_line(bk, &second.id, &deposit, 2).await), ["ledger_line"], "not the cash line");
        let matched_again = env.app.match_bank_line(bk, &first.id, &deposit, 1).await;
        assert!(matches!(matched_again, Err(AppError::Conflict(_))), "{matched_again:?}");

        // Unmatched, the deposit may go to the other bank line; the first is then set aside.
        env.app.unmatch_bank_line(bk, &first.id).await.unwrap();
        env.app.match_bank_line(bk, &second.id, &deposit, 1).await.unwrap();
        env.app.ignore_bank_line(bk, &first.id).await.unwrap();
        let statement = env.app.bank_statement(bk, &statement.id).await.unwrap();
        let states: Vec<(&str, Option<&str>)> = statement.lines.iter().map(|l| (l.status.as_str(), l.matched.as_ref().map(|m| m.entry_id.as_str()))).collect();
        assert_eq!(states, [("ignored", None), ("matched", Some(deposit.as_str()))]);
        assert!(matches!(env.app.post_bank_line(bk, &first.id, &PostBankLineInput::default()).await, Err(AppError::Conflict(_))));
    }
}

both_backends! {
    async fn a_bad_file_is_refused_with_its_line_and_nothing_is_written(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let revenue = env.app.chart_of_accounts(bk).await.unwrap().into_iter().find(|a| a.number == "4000").unwrap().id;
        let audits = env.count("audit_event").await;
        let bad = "Date,Description,Amount\n06/01/2026,DEPOSIT,100.00\n06/31/2026,FEE,-5.00\n";
        let refused = env.app.import_bank_statement(bk, &file(&cash, "bad.csv", bad)).await;
        match &refused {
            Err(AppError::Validation(e)) => assert_eq!(e.for_field("file"), Some("the statement cannot be read: line 3: '06/31/2026' is not a date (MM/DD/YYYY or YYYY-MM-DD)")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let no_header = env.app.import_bank_statement(bk, &file(&cash, "notes.txt", "just some text\n")).await;
        assert_eq!(invalid_fields(no_header), ["file"]);
        assert_eq!(invalid_fields(env.app.import_bank_statement(bk, &file(&cash, "empty.csv", "")).await), ["file"]);
        assert_eq!(invalid_fields(env.app.import_bank_statement(bk, &file(&revenue, "june.ofx", SGML_OFX)).await), ["account_id"]);
        assert_eq!(invalid_fields(env.app.import_bank_statement(bk, &file("nope", "bad.csv", bad)).await), ["account_id", "file"]);
        assert!(env.app.bank_statements(bk).await.unwrap().is_empty());
        assert_eq!(env.count("audit_event").await, audits, "a refused import audits nothing");

        // The front desk may not import, and neither read the statements.
        let denied = env.app.import_bank_statement(&staff.front_desk, &file(&cash, "june.ofx", SGML_OFX)).await;
        assert!(matches!(denied, Err(AppError::Forbidden)), "{denied:?}");
        assert!(matches!(env.app.bank_statements(&staff.front_desk).await, Err(AppError::Forbidden)));
        assert!(env.app.bank_statements(&staff.admin).await.unwrap().is_empty());
    }
}
