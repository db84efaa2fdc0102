//! Bank reconciliation through the use cases: importing statements (OFX and CSV), matching their
//! lines with the cash account's ledger lines, posting fees and interest, and marking the account
//! reconciled only when the difference is zero.
//!
//! The fixtures (crates/domain/tests/fixtures/bank) hold one June 2026 statement of Cash -
//! Operating: a $1,250.00 deposit on 06/01, check 1042 for $450.00 on 06/04, a $15.00 fee on
//! 06/05 and $0.42 interest on 06/30; ending balance $785.42.

use crate::harness::{TestEnv, both_backends, invalid_fields};
use chrono::NaiveDate;
use medoffice_app::bank_reconciliation::{ImportStatementInput, MarkClearedInput, PostBankLineInput, ReconcileInput};
use medoffice_app::ledger::{JournalEntryInput, JournalLineInput, ReverseInput};
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

both_backends! {
    async fn an_account_with_history_reconciles_once_its_starting_point_is_marked_cleared(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        // May: the opening balance, check 1030 the bank paid in May, check 1031 it has not paid yet.
        let opening = post(&env, bk, "2026-05-01", "Opening balance", accounts::CASH_OPERATING, accounts::OWNERS_CAPITAL, 100_000).await;
        let paid = post(&env, bk, "2026-05-20", "Rent, check 1030", "6100", accounts::CASH_OPERATING, 20_000).await;
        let unpaid = post(&env, bk, "2026-05-28", "Supplies, check 1031", "6200", accounts::CASH_OPERATING, 5_000).await;
        post(&env, bk, "2026-06-10", "Co-pays deposited", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 30_000).await;
        let csv = "Date,Description,Amount\n06/10/2026,DEPOSIT,300.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.csv", csv)).await.unwrap();
        assert_eq!(imported.matched, 1);
        let statement_id = imported.statement_id.unwrap();
        let june_30 = day("2026-06-30");
        // The bank's balance: 1,000.00 - 200.00 + 300.00.
        let before = env.app.bank_reconciliation(bk, &cash, june_30, Some(110_000)).await.unwrap();
        assert_eq!((before.cleared_balance_cents, before.difference_cents), (30_000, Some(80_000)), "history is outstanding");

        // Lines on or after the statement's first day are matched, not marked cleared.
        let audits = env.count("audit_event").await;
        let mark = |ledger_line: String, before: &str| MarkClearedInput { statement_id: statement_id.clone(), ledger_line, before: before.into() };
        assert_eq!(invalid_fields(env.app.mark_bank_lines_cleared(bk, &mark(String::new(), "2026-06-15")).await), ["before"]);
        assert_eq!(invalid_fields(env.app.mark_bank_lines_cleared(bk, &mark(String::new(), "")).await), ["before"]);
        let all = env.app.mark_bank_lines_cleared(bk, &mark(String::new(), "2026-06-10")).await.unwrap();
        assert_eq!(all, 3, "the opening balance and both May checks");
        assert_eq!(env.count("audit_event").await, audits + 1);
        let view = env.app.bank_reconciliation(bk, &cash, june_30, Some(110_000)).await.unwrap();
        assert_eq!((view.cleared_balance_cents, view.difference_cents), (105_000, Some(5_000)));
        assert_eq!(view.cleared_items.iter().map(|c| (c.kind.as_str(), c.line.entry_id.as_str())).collect::<Vec<_>>(),
            [("history", opening.as_str()), ("history", paid.as_str()), ("history", unpaid.as_str())]);

        // Check 1031 is still out: undo it; it is outstanding again and the difference is zero.
        env.app.unclear_bank_ledger_line(bk, &unpaid, 2).await.unwrap();
        let view = env.app.bank_reconciliation(bk, &cash, june_30, Some(110_000)).await.unwrap();
        assert_eq!((view.cleared_balance_cents, view.difference_cents), (110_000, Some(0)));
        assert_eq!(view.outstanding_payments.iter().map(|l| l.entry_id.as_str()).collect::<Vec<_>>(), [unpaid.as_str()]);
        // Marked one by one this time, then undone again.
        assert_eq!(env.app.mark_bank_lines_cleared(bk, &mark(format!("{unpaid}:2"), "")).await.unwrap(), 1);
        let twice = env.app.mark_bank_lines_cleared(bk, &mark(format!("{unpaid}:2"), "")).await;
        assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
        env.app.unclear_bank_ledger_line(bk, &unpaid, 2).await.unwrap();
        assert_eq!(invalid_fields(env.app.mark_bank_lines_cleared(bk, &mark(format!("{unpaid}:1"), "")).await), ["ledger_line"], "not the cash line");

        let reconcile = ReconcileInput { account_id: cash.clone(), statement_id: statement_id.clone(), end_date: "2026-06-30".into(), ending_balance: "1100.00".into() };
        let done = env.app.mark_reconciled(bk, &reconcile).await.unwrap();
        assert_eq!((done.difference_cents, done.ledger_balance_cents), (Some(0), 105_000));
        assert!(done.cleared_items.is_empty(), "the history is reconciled now");
        let undo = env.app.unclear_bank_ledger_line(bk, &opening, 1).await;
        assert!(matches!(undo, Err(AppError::Conflict(ref m)) if m.contains("reconciliation")), "{undo:?}");
        // A later statement starts from the reconciled balance.
        let july = env.app.bank_reconciliation(bk, &cash, day("2026-07-31"), Some(110_000)).await.unwrap();
        assert_eq!(july.difference_cents, Some(0));
        let denied = env.app.mark_bank_lines_cleared(&staff.front_desk, &mark(String::new(), "2026-06-01")).await;
        assert!(matches!(denied, Err(AppError::Forbidden)), "{denied:?}");
    }
}

both_backends! {
    async fn an_entry_and_its_reversal_clear_together(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let wrong = post(&env, bk, "2026-06-03", "Rent, check 1042 (wrong amount)", "6100", accounts::CASH_OPERATING, 54_000).await;
        let reversal = env.app.reverse_entry(bk, &wrong, &ReverseInput { date: "2026-06-04".into(), memo: String::new() }).await.unwrap().id;
        post(&env, bk, "2026-06-04", "Rent, check 1042", "6100", accounts::CASH_OPERATING, 45_000).await;
        let csv = "Date,Description,Amount\n06/05/2026,CHECK 1042,-450.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.csv", csv)).await.unwrap();
        assert_eq!(imported.matched, 1);
        let view = env.app.bank_reconciliation(bk, &cash, day("2026-06-30"), Some(-45_000)).await.unwrap();
        assert!(view.outstanding_payments.is_empty() && view.outstanding_deposits.is_empty(), "{view:?}");
        let pair: Vec<(&str, &str, i64)> = view.cleared_items.iter().map(|c| (c.kind.as_str(), c.line.entry_id.as_str(), c.line.amount_cents)).collect();
        assert_eq!(pair, [("reversal", wrong.as_str(), -54_000), ("reversal", reversal.as_str(), 54_000)]);
        assert_eq!(view.difference_cents, Some(0));
        // Undoing one undoes the pair; matching again clears it again.
        env.app.unclear_bank_ledger_line(bk, &wrong, 2).await.unwrap();
        let view = env.app.bank_reconciliation(bk, &cash, day("2026-06-30"), Some(-45_000)).await.unwrap();
        assert_eq!((view.cleared_items.len(), view.outstanding_payments.len(), view.outstanding_deposits.len()), (0, 1, 1));
        env.app.auto_match_statement(bk, &imported.statement_id.clone().unwrap()).await.unwrap();
        let reconcile = ReconcileInput { account_id: cash.clone(), statement_id: imported.statement_id.unwrap(), end_date: "2026-06-30".into(), ending_balance: "-450.00".into() };
        let done = env.app.mark_reconciled(bk, &reconcile).await.unwrap();
        assert!(done.cleared_items.is_empty() && done.outstanding_payments.is_empty() && done.outstanding_deposits.is_empty(), "{done:?}");
    }
}

both_backends! {
    async fn a_deposit_is_matched_with_the_co_pays_it_holds(env: TestEnv) {
        let staff = env.practice().await;
        let bk = &staff.bookkeeper;
        let cash = cash_account(&env, bk).await;
        let first = post(&env, bk, "2026-06-08", "Co-pay Smith", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 2_500).await;
        let second = post(&env, bk, "2026-06-09", "Co-pay Jones", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 4_000).await;
        let far = post(&env, bk, "2026-04-01", "Co-pay Brown", accounts::CASH_OPERATING, accounts::AR_PATIENTS, 4_000).await;
        let csv = "Date,Description,Amount\n06/10/2026,DEPOSIT,65.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.csv", csv)).await.unwrap();
        assert_eq!(imported.matched, 0);
        let statement_id = imported.statement_id.unwrap();
        let line = env.app.bank_statement(bk, &statement_id).await.unwrap().lines[0].id.clone();

        // The picker: open lines within 30 days, any amount, searchable.
        let all = env.app.bank_line_candidates(bk, &line, "").await.unwrap();
        assert_eq!(all.iter().map(|l| l.entry_id.as_str()).collect::<Vec<_>>(), [first.as_str(), second.as_str()], "not {far}");
        let by_amount = env.app.bank_line_candidates(bk, &line, "40.00").await.unwrap();
        assert_eq!(by_amount.iter().map(|l| l.entry_id.as_str()).collect::<Vec<_>>(), [second.as_str()]);
        let by_memo = env.app.bank_line_candidates(bk, &line, "smith").await.unwrap();
        assert_eq!(by_memo.iter().map(|l| l.entry_id.as_str()).collect::<Vec<_>>(), [first.as_str()]);

        // One of them is not the deposit; both are.
        assert_eq!(invalid_fields(env.app.match_bank_line(bk, &line, &first, 1).await), ["ledger_line"]);
        env.app.match_bank_line_to(bk, &line, &[(first.clone(), 1), (second.clone(), 1)]).await.unwrap();
        let statement = env.app.bank_statement(bk, &statement_id).await.unwrap();
        let l = &statement.lines[0];
        assert_eq!((l.status.as_str(), l.matched.as_ref().map(|m| m.entry_id.as_str())), ("matched", Some(first.as_str())));
        assert_eq!(l.batch.iter().map(|b| b.entry_id.as_str()).collect::<Vec<_>>(), [second.as_str()]);
        assert!(env.app.bank_line_candidates(bk, &line, "").await.unwrap().is_empty());
        let view = env.app.bank_reconciliation(bk, &cash, day("2026-06-30"), Some(6_500)).await.unwrap();
        assert_eq!((view.cleared_balance_cents, view.difference_cents), (6_500, Some(0)));

        // Unmatched, the batch is undone; matched again, it reconciles.
        env.app.unmatch_bank_line(bk, &line).await.unwrap();
        assert_eq!(env.app.bank_line_candidates(bk, &line, "").await.unwrap().len(), 2);
        env.app.match_bank_line_to(bk, &line, &[(second.clone(), 1), (first.clone(), 1)]).await.unwrap();
        let reconcile = ReconcileInput { account_id: cash.clone(), statement_id, end_date: "2026-06-30".into(), ending_balance: "65.00".into() };
        let done = env.app.mark_reconciled(bk, &reconcile).await.unwrap();
        assert_eq!(done.difference_cents, Some(0));
        let unmatch = env.app.unmatch_bank_line(bk, &line).await;
        assert!(matches!(unmatch, Err(AppError::Conflict(_))), "{unmatch:?}");
        assert_eq!(done.outstanding_deposits.iter().map(|l| l.entry_id.as_str()).collect::<Vec<_>>(), [far.as_str()]);
    }
}

both_backends! {
    async fn a_deposits_one_cash_line_matches_the_banks_one_deposit_line(env: TestEnv) {
        use medoffice_app::deposits::NewDepositInput;
        use medoffice_app::patient_accounts::PatientPaymentInput;
        let b = crate::encounters::billing_setup(&env).await;
        let desk = &b.staff.front_desk;
        let bk = &b.staff.bookkeeper;
        for (amount, method, reference) in [("45.00", "cash", ""), ("120.00", "check", "2231"), ("30.00", "cash", "")] {
            let input = PatientPaymentInput { amount: amount.into(), method: method.into(), reference: reference.into() };
            env.app.take_patient_payment(desk, &b.patient_id, &input).await.unwrap();
        }
        let deposit = env.app.make_deposit(desk, &NewDepositInput { all: true, ..Default::default() }).await.unwrap();
        assert_eq!(deposit.total_cents, 19_500);
        // A $195.00 receipt of another kind the same week: the deposit's own line is matched, by date.
        post(&env, bk, "2026-06-13", "Grant received", accounts::CASH_OPERATING, "4900", 19_500).await;

        let cash = cash_account(&env, bk).await;
        let csv = "Date,Description,Amount\n06/16/2026,DEPOSIT BRANCH 14,195.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.csv", csv)).await.unwrap();
        assert_eq!(imported.matched, 1);
        let statement = env.app.bank_statement(bk, &imported.statement_id.unwrap()).await.unwrap();
        let matched = statement.lines[0].matched.as_ref().unwrap();
        assert_eq!((matched.entry_id.as_str(), matched.line_number, matched.amount_cents), (deposit.journal_entry_id.as_str(), 1, 19_500));
        assert!(statement.lines[0].batch.is_empty() && statement.lines[0].matched_by_trace.is_none());
    }
}

both_backends! {
    async fn an_eft_is_matched_with_its_remittance_by_the_trace_number_in_the_banks_description(env: TestEnv) {
        let b = crate::encounters::billing_setup(&env).await;
        let bk = &b.staff.bookkeeper;
        // Another $140.00 into cash the same day, posted first: matching by amount alone would take it.
        let other = post(&env, bk, "2026-06-14", "Refund from supplier", accounts::CASH_OPERATING, "6200", 14_000).await;
        let pcn = crate::deposits::sent_claim_number(&env, &b).await;
        let done = env.app.import_remittance(&b.staff.biller, &crate::deposits::payment_835("ACH", "EFT77123", &pcn)).await.unwrap();
        assert_eq!(done.paid_cents, 14_000);
        assert_eq!(crate::deposits::balance(&env, "1010").await, 0, "an EFT goes to cash, not to undeposited funds");
        let (remittance_entry,): (String,) =
            sqlx::query_as("SELECT id FROM journal_entry WHERE source_kind = 'remittance'").fetch_one(env.store.pool()).await.unwrap();

        let cash = cash_account(&env, bk).await;
        let csv = "Date,Description,Amount\n06/15/2026,ACH CREDIT AETNA TRN*1*EFT77123*1060054000,140.00\n06/15/2026,REFUND HUDSON,140.00\n";
        let imported = env.app.import_bank_statement(bk, &file(&cash, "june.csv", csv)).await.unwrap();
        assert_eq!(imported.matched, 2);
        let statement = env.app.bank_statement(bk, &imported.statement_id.unwrap()).await.unwrap();
        let eft = &statement.lines[0];
        assert_eq!(eft.matched.as_ref().map(|m| m.entry_id.as_str()), Some(remittance_entry.as_str()));
        assert_eq!(eft.matched_by_trace.as_deref(), Some("EFT77123"));
        assert_eq!(statement.lines[1].matched.as_ref().map(|m| m.entry_id.as_str()), Some(other.as_str()));
        assert!(statement.lines[1].matched_by_trace.is_none());

        // Unmatched, the line forgets its trace; matching again finds it again.
        env.app.unmatch_bank_line(bk, &eft.id).await.unwrap();
        let line = env.app.bank_line(bk, &eft.id).await.unwrap();
        assert!(line.matched.is_none() && line.matched_by_trace.is_none());
        assert_eq!(env.app.auto_match_statement(bk, &statement.id).await.unwrap(), 1);
        assert_eq!(env.app.bank_line(bk, &eft.id).await.unwrap().matched_by_trace.as_deref(), Some("EFT77123"));
    }
}
