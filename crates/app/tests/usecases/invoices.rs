//! Third-party invoices through the use cases: an invoice posts exactly its entry (Dr 1120 /
//! Cr 4300), payments (partial, then whole; never more than the balance) post Dr 1010 / Cr 1120,
//! a void reverses the entry and is refused once paid, the aging by party ties to the 1120
//! balance, late charges follow the party's policy as the clock passes due date + grace days (once
//! in 30 days, so a second run the same day charges nothing) and a reversal takes one back; a role
//! without ManageReceivables is refused; bad input names its field. Today is 2026-06-15.

use crate::harness::{Staff, TestEnv, both_backends, invalid_fields};
use chrono::Duration;
use medoffice_app::invoices::{InvoiceLineInput, InvoicePaymentInput, InvoiceQuery, NewInvoiceInput, ThirdPartyInput};
use medoffice_app::{Actor, AppError};

fn party(name: &str) -> ThirdPartyInput {
    ThirdPartyInput {
        name: name.into(),
        kind: "employer".into(),
        contact: "Jo Smith, HR".into(),
        address: "1 Industrial Way\nSpringfield, IL 62701".into(),
        email: "hr@acme.example".into(),
        ..Default::default()
    }
}

fn with_policy(mut p: ThirdPartyInput) -> ThirdPartyInput {
    p.late_rate_percent = "1.5".into();
    p.late_grace_days = "10".into();
    p
}

fn line(description: &str, amount: &str) -> InvoiceLineInput {
    InvoiceLineInput { description: description.into(), service_date: String::new(), amount: amount.into() }
}

fn invoice(party_id: &str, date: &str, lines: Vec<InvoiceLineInput>) -> NewInvoiceInput {
    NewInvoiceInput { third_party_id: party_id.into(), invoice_date: date.into(), memo: String::new(), lines }
}

fn pay(amount: &str) -> InvoicePaymentInput {
    InvoicePaymentInput { amount: amount.into(), method: "check".into(), reference: "10442".into(), payment_date: String::new() }
}

/// The entry's lines as (account number, debit, credit).
async fn entry_lines(env: &TestEnv, entry_id: &str) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT a.number, l.debit_cents, l.credit_cents FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id \
         WHERE l.entry_id = $1 ORDER BY l.line_number",
    )
    .bind(entry_id)
    .fetch_all(env.store.pool())
    .await
    .unwrap()
}

/// An account's balance (debits less credits) over the whole journal.
async fn balance(env: &TestEnv, number: &str) -> i64 {
    let (b,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(l.debit_cents), 0) - COALESCE(SUM(l.credit_cents), 0) AS BIGINT) FROM journal_line l \
         JOIN ledger_account a ON a.practice_id = l.practice_id AND a.id = l.account_id WHERE a.number = $1",
    )
    .bind(number)
    .fetch_one(env.store.pool())
    .await
    .unwrap();
    b
}

async fn entries(env: &TestEnv) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM journal_entry").fetch_one(env.store.pool()).await.unwrap();
    n
}

async fn setup(env: &TestEnv, policy: bool) -> (Staff, String) {
    let staff = env.practice().await;
    let input = if policy { with_policy(party("Acme Tools")) } else { party("Acme Tools") };
    let p = env.app.add_third_party(&staff.biller, &input).await.unwrap();
    (staff, p.id)
}

fn today(env: &TestEnv, actor: &Actor) -> chrono::NaiveDate {
    actor.today(env.app.now())
}

both_backends! {
    async fn an_invoice_posts_exactly_its_entry_with_its_number_and_due_date(env: TestEnv) {
        let (staff, party_id) = setup(&env, false).await;
        let before = entries(&env).await;
        let inv = env
            .app
            .create_invoice(&staff.biller, &invoice(&party_id, "", vec![line("Pre-employment physical", "120.00"), line("Drug screen", "80")]))
            .await
            .unwrap();
        assert_eq!(inv.number, "INV-000001");
        assert_eq!((inv.invoice_date.as_str(), inv.due_date.as_str()), ("2026-06-15", "2026-07-15"), "Net 30 by default");
        assert_eq!((inv.total_cents, inv.balance_cents, inv.status.as_str()), (20000, 20000, "open"));
        assert_eq!(inv.lines.len(), 2);
        assert_eq!(entries(&env).await, before + 1, "one entry, nothing else");
        assert_eq!(entry_lines(&env, &inv.journal_entry_id).await, vec![("1120".into(), 20000, 0), ("4300".into(), 0, 20000)]);
        let (kind, source): (String, Option<String>) = sqlx::query_as("SELECT source_kind, source_id FROM journal_entry WHERE id = $1")
            .bind(&inv.journal_entry_id)
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert_eq!((kind.as_str(), source.as_deref()), ("invoice", Some(inv.id.as_str())));
        let second = env.app.create_invoice(&staff.biller, &invoice(&party_id, "2026-06-01", vec![line("Records copy", "25.00")])).await.unwrap();
        assert_eq!(second.number, "INV-000002");
        assert_eq!(second.due_date, "2026-07-01");
        assert_eq!(balance(&env, "1120").await, 22500);
        assert_eq!(balance(&env, "4300").await, -22500);
        // Listed newest first, and read whole by the bookkeeper (ReadReceivables).
        let list = env.app.invoices(&staff.bookkeeper, &InvoiceQuery::default()).await.unwrap();
        assert_eq!(list.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), vec!["INV-000002", "INV-000001"]);
        assert_eq!(env.app.invoice(&staff.bookkeeper, &inv.id).await.unwrap().lines[1].description, "Drug screen");
        let (name, pdf) = env.app.invoice_pdf(&staff.biller, &inv.id).await.unwrap();
        assert_eq!(name, "INV-000001.pdf");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}

both_backends! {
    async fn a_partial_payment_then_the_rest_pay_the_invoice_and_never_more(env: TestEnv) {
        let (staff, party_id) = setup(&env, false).await;
        let inv = env.app.create_invoice(&staff.biller, &invoice(&party_id, "", vec![line("Physical", "200.00")])).await.unwrap();
        let first = env.app.pay_invoice(&staff.biller, &inv.id, &pay("50.00")).await.unwrap();
        assert_eq!((first.amount_cents, first.receipt_number), (5000, 1));
        assert_eq!(entry_lines(&env, &first.journal_entry_id).await, vec![("1010".into(), 5000, 0), ("1120".into(), 0, 5000)]);
        let partly = env.app.invoice(&staff.biller, &inv.id).await.unwrap();
        assert_eq!((partly.status.as_str(), partly.paid_cents, partly.balance_cents), ("partially_paid", 5000, 15000));

        let before = entries(&env).await;
        assert_eq!(invalid_fields(env.app.pay_invoice(&staff.biller, &inv.id, &pay("150.01")).await), vec!["amount"]);
        assert_eq!(entries(&env).await, before, "a refused payment posts nothing");

        let ach = InvoicePaymentInput { method: "ach".into(), reference: "TRACE 0021".into(), ..pay("150.00") };
        let second = env.app.pay_invoice(&staff.biller, &inv.id, &ach).await.unwrap();
        assert_eq!(second.receipt_number, 2);
        let paid = env.app.invoice(&staff.biller, &inv.id).await.unwrap();
        assert_eq!((paid.status.as_str(), paid.paid_cents, paid.balance_cents, paid.payments.len()), ("paid", 20000, 0, 2));
        assert_eq!(balance(&env, "1120").await, 0);
        assert_eq!(balance(&env, "1010").await, 20000);
        assert!(matches!(env.app.pay_invoice(&staff.biller, &inv.id, &pay("1.00")).await, Err(AppError::Validation(_))));
        let paid_list = env.app.invoices(&staff.biller, &InvoiceQuery { status: "paid".into(), ..Default::default() }).await.unwrap();
        assert_eq!(paid_list.len(), 1);
        assert!(env.app.invoices(&staff.biller, &InvoiceQuery { status: "open".into(), ..Default::default() }).await.unwrap().is_empty());
    }
}

both_backends! {
    async fn a_void_reverses_the_entry_and_is_refused_once_paid(env: TestEnv) {
        let (staff, party_id) = setup(&env, false).await;
        let inv = env.app.create_invoice(&staff.biller, &invoice(&party_id, "", vec![line("School physical", "75.00")])).await.unwrap();
        assert_eq!(invalid_fields(env.app.void_invoice(&staff.biller, &inv.id, "  ").await), vec!["reason"]);
        let void = env.app.void_invoice(&staff.biller, &inv.id, "entered twice").await.unwrap();
        assert_eq!((void.status.as_str(), void.balance_cents, void.void_reason.as_deref()), ("void", 0, Some("entered twice")));
        let reversal = void.void_entry_id.clone().unwrap();
        assert_eq!(entry_lines(&env, &reversal).await, vec![("1120".into(), 0, 7500), ("4300".into(), 7500, 0)]);
        let (of,): (Option<String>,) =
            sqlx::query_as("SELECT reversal_of FROM journal_entry WHERE id = $1").bind(&reversal).fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(of.as_deref(), Some(inv.journal_entry_id.as_str()));
        assert_eq!((balance(&env, "1120").await, balance(&env, "4300").await), (0, 0));
        assert!(matches!(env.app.void_invoice(&staff.biller, &inv.id, "again").await, Err(AppError::Conflict(_))));
        assert!(matches!(env.app.pay_invoice(&staff.biller, &inv.id, &pay("1.00")).await, Err(AppError::Conflict(_))));

        let paid = env.app.create_invoice(&staff.biller, &invoice(&party_id, "", vec![line("Records", "40.00")])).await.unwrap();
        env.app.pay_invoice(&staff.biller, &paid.id, &pay("10.00")).await.unwrap();
        let before = entries(&env).await;
        assert!(matches!(env.app.void_invoice(&staff.biller, &paid.id, "wrong party").await, Err(AppError::Conflict(_))));
        assert_eq!(entries(&env).await, before);
        assert_eq!(env.app.invoice(&staff.biller, &paid.id).await.unwrap().status, "partially_paid");
    }
}

both_backends! {
    async fn the_aging_by_party_ties_to_the_ar_other_balance(env: TestEnv) {
        let (staff, acme) = setup(&env, false).await;
        let school = env
            .app
            .add_third_party(&staff.biller, &ThirdPartyInput { kind: "school".into(), payment_terms: "net_15".into(), ..party("Lincoln High") })
            .await
            .unwrap();
        let b = &staff.biller;
        // 106 days old on 2026-06-15: 91-120. 45 days: 31-60. Today: current.
        let old = env.app.create_invoice(b, &invoice(&acme, "2026-03-01", vec![line("Exams", "300.00")])).await.unwrap();
        env.app.create_invoice(b, &invoice(&acme, "2026-05-01", vec![line("Exams", "120.00")])).await.unwrap();
        env.app.create_invoice(b, &invoice(&school.id, "", vec![line("Sports physicals", "450.00")])).await.unwrap();
        let voided = env.app.create_invoice(b, &invoice(&school.id, "2026-04-01", vec![line("Wrong", "99.00")])).await.unwrap();
        env.app.void_invoice(b, &voided.id, "wrong school").await.unwrap();
        env.app.pay_invoice(b, &old.id, &InvoicePaymentInput { payment_date: "2026-06-01".into(), ..pay("100.00") }).await.unwrap();

        let aging = env.app.invoice_aging(&staff.bookkeeper, None).await.unwrap();
        assert_eq!(aging.as_of, "2026-06-15");
        assert!(aging.basis.contains("invoice date"));
        let by_name = |n: &str| aging.rows.iter().find(|r| r.name == n).unwrap().buckets_cents.clone();
        assert_eq!(by_name("Acme Tools"), vec![0, 12000, 0, 20000, 0]);
        assert_eq!(by_name("Lincoln High"), vec![45000, 0, 0, 0, 0]);
        assert_eq!(aging.totals_cents, vec![45000, 12000, 0, 20000, 0]);
        assert_eq!(aging.total_cents, 77000);
        assert_eq!(aging.ledger_balance_cents, balance(&env, "1120").await);
        assert_eq!(aging.total_cents, aging.ledger_balance_cents, "the aging ties to 1120");
        assert!(aging.ties());

        // The list's aging filter: the oldest open amount's column.
        let q = InvoiceQuery { aging: "days91_to120".into(), ..Default::default() };
        let list = env.app.invoices(b, &q).await.unwrap();
        assert_eq!(list.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), vec![old.id.as_str()]);
        assert_eq!(invalid_fields(env.app.invoices(b, &InvoiceQuery { aging: "ancient".into(), ..Default::default() }).await), vec!["aging"]);

        // Still tied after a month passes and a late charge or payment lands.
        env.clock.advance(Duration::days(31));
        let later = env.app.invoice_aging(&staff.bookkeeper, None).await.unwrap();
        assert_eq!(later.total_cents, later.ledger_balance_cents);
        assert_eq!(later.totals_cents, vec![0, 45000, 12000, 0, 20000]);
    }
}

both_backends! {
    async fn late_charges_come_after_due_date_and_grace_once_and_can_be_reversed(env: TestEnv) {
        let (staff, party_id) = setup(&env, true).await;
        let plain = env.app.add_third_party(&staff.biller, &party("No Policy Inc")).await.unwrap();
        let b = &staff.biller;
        let inv = env.app.create_invoice(b, &invoice(&party_id, "", vec![line("Physicals", "200.00")])).await.unwrap();
        let other = env.app.create_invoice(b, &invoice(&plain.id, "", vec![line("Physicals", "200.00")])).await.unwrap();
        assert_eq!(inv.due_date, "2026-07-15");

        // Not past due yet.
        let run = env.app.apply_invoice_late_charges(b, today(&env, b)).await.unwrap();
        assert_eq!((run.charged, run.total_cents), (0, 0));
        // 2026-07-25: 10 days past due, within the 10 grace days.
        env.clock.advance(Duration::days(40));
        assert_eq!(today(&env, b).to_string(), "2026-07-25");
        assert_eq!(env.app.apply_invoice_late_charges(b, today(&env, b)).await.unwrap().charged, 0);
        // 2026-07-26: past due + grace: 1.5 % of $200.00.
        env.clock.advance(Duration::days(1));
        let before = entries(&env).await;
        let run = env.app.apply_invoice_late_charges(b, today(&env, b)).await.unwrap();
        assert_eq!((run.charged, run.total_cents), (1, 300));
        assert_eq!(entries(&env).await, before + 1, "one entry: the party without a policy is not charged");
        let charge = run.charges[0].clone();
        assert_eq!((charge.invoice_id.as_str(), charge.charge_date.as_str(), charge.days_past_due), (inv.id.as_str(), "2026-07-26", 11));
        assert_eq!(entry_lines(&env, &charge.journal_entry_id).await, vec![("1120".into(), 300, 0), ("4200".into(), 0, 300)]);
        // Twice the same day: nothing more.
        let again = env.app.apply_invoice_late_charges(b, today(&env, b)).await.unwrap();
        assert_eq!((again.charged, again.total_cents), (0, 0));
        assert_eq!(entries(&env).await, before + 1);
        // Ten days later: still within the 30 days.
        env.clock.advance(Duration::days(10));
        assert_eq!(env.app.apply_invoice_late_charges(b, today(&env, b)).await.unwrap().charged, 0);
        let charged = env.app.invoice(b, &inv.id).await.unwrap();
        assert_eq!((charged.late_charges_cents, charged.balance_cents, charged.late_charges.len()), (300, 20300, 1));
        assert_eq!(env.app.invoice(b, &other.id).await.unwrap().balance_cents, 20000);
        assert_eq!(balance(&env, "1120").await, 40300);
        assert_eq!(balance(&env, "4200").await, -300);

        // A biller reverses it with a reason.
        assert_eq!(invalid_fields(env.app.reverse_invoice_late_charge(b, &charge.id, "").await), vec!["reason"]);
        let reversed = env.app.reverse_invoice_late_charge(b, &charge.id, "waived as a courtesy").await.unwrap();
        assert!(reversed.reversed);
        let rev_entry = reversed.reversal_entry_id.clone().unwrap();
        assert_eq!(entry_lines(&env, &rev_entry).await, vec![("1120".into(), 0, 300), ("4200".into(), 300, 0)]);
        assert_eq!((balance(&env, "1120").await, balance(&env, "4200").await), (40000, 0));
        assert!(matches!(env.app.reverse_invoice_late_charge(b, &charge.id, "again").await, Err(AppError::Conflict(_))));
        assert_eq!(env.app.invoice(b, &inv.id).await.unwrap().balance_cents, 20000);

        // From the command line 30 days after the first charge: charged again, once.
        let offline = env.app.apply_invoice_late_charges_offline(Some("2026-08-25")).await.unwrap();
        assert_eq!((offline.charged, offline.total_cents), (1, 300));
        assert_eq!(env.app.apply_invoice_late_charges_offline(Some("2026-08-25")).await.unwrap().charged, 0);
        assert_eq!(invalid_fields(env.app.apply_invoice_late_charges_offline(Some("25/08/2026")).await), vec!["date"]);
        let aging = env.app.invoice_aging(b, Some(chrono::NaiveDate::from_ymd_opt(2026, 8, 25).unwrap())).await.unwrap();
        assert_eq!(aging.total_cents, 40300);
        assert_eq!(aging.total_cents, aging.ledger_balance_cents);
    }
}

both_backends! {
    async fn a_role_without_manage_receivables_is_refused_and_writes_nothing(env: TestEnv) {
        let (staff, party_id) = setup(&env, true).await;
        let inv = env.app.create_invoice(&staff.admin, &invoice(&party_id, "", vec![line("Physical", "50.00")])).await.unwrap();
        let before = entries(&env).await;
        for actor in [&staff.bookkeeper, &staff.front_desk, &staff.provider] {
            assert!(matches!(env.app.add_third_party(actor, &party("Other")).await, Err(AppError::Forbidden)));
            assert!(matches!(
                env.app.create_invoice(actor, &invoice(&party_id, "", vec![line("Physical", "50.00")])).await,
                Err(AppError::Forbidden)
            ));
            assert!(matches!(env.app.pay_invoice(actor, &inv.id, &pay("10.00")).await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.void_invoice(actor, &inv.id, "no").await, Err(AppError::Forbidden)));
            assert!(matches!(env.app.apply_invoice_late_charges(actor, today(&env, actor)).await, Err(AppError::Forbidden)));
        }
        assert_eq!(entries(&env).await, before);
        // The bookkeeper reads; the front desk does not.
        assert_eq!(env.app.invoices(&staff.bookkeeper, &InvoiceQuery::default()).await.unwrap().len(), 1);
        assert!(matches!(env.app.invoices(&staff.front_desk, &InvoiceQuery::default()).await, Err(AppError::Forbidden)));
        assert!(matches!(env.app.invoice_aging(&staff.front_desk, None).await, Err(AppError::Forbidden)));
        let (denied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_event WHERE action = 'access.denied'")
            .fetch_one(env.store.pool())
            .await
            .unwrap();
        assert!(denied >= 17, "every refusal is audited ({denied})");
    }
}

both_backends! {
    async fn bad_input_names_the_field_and_writes_nothing(env: TestEnv) {
        let (staff, party_id) = setup(&env, false).await;
        let b = &staff.biller;
        let bad = ThirdPartyInput {
            name: " ".into(),
            kind: "bank".into(),
            email: "not-an-address".into(),
            payment_terms: "net_thirty".into(),
            late_rate_percent: "1.555".into(),
            late_grace_days: "-1".into(),
            ..Default::default()
        };
        let mut fields = invalid_fields(env.app.add_third_party(b, &bad).await);
        fields.sort();
        assert_eq!(fields, vec!["email", "kind", "late_grace_days", "late_rate_percent", "name", "payment_terms"]);
        assert_eq!(invalid_fields(env.app.create_invoice(b, &invoice(&party_id, "", vec![])).await), vec!["lines"]);
        assert_eq!(invalid_fields(env.app.create_invoice(b, &invoice("nobody", "", vec![line("x", "1.00")])).await), vec!["third_party_id"]);
        let mut fields = invalid_fields(
            env.app
                .create_invoice(
                    b,
                    &invoice(
                        &party_id,
                        "2026-13-01",
                        vec![line("ok", "1.00"), line("", "abc"), InvoiceLineInput { service_date: "2027-01-01".into(), ..line("later", "5.00") }],
                    ),
                )
                .await,
        );
        fields.sort();
        assert_eq!(fields, vec!["invoice_date", "lines[1].amount", "lines[1].description", "lines[2].service_date"]);
        assert_eq!(invalid_fields(env.app.create_invoice(b, &invoice(&party_id, "2026-07-01", vec![line("x", "1.00")])).await), vec!["invoice_date"]);
        let inv = env.app.create_invoice(b, &invoice(&party_id, "", vec![line("x", "10.00")])).await.unwrap();
        let bad_pay = InvoicePaymentInput { amount: "0".into(), method: "bitcoin".into(), reference: "".into(), payment_date: "tomorrow".into() };
        let mut fields = invalid_fields(env.app.pay_invoice(b, &inv.id, &bad_pay).await);
        fields.sort();
        assert_eq!(fields, vec!["amount", "method", "payment_date", "reference"]);
        let card = InvoicePaymentInput { method: "card".into(), reference: "4111 1111 1111 1111".into(), ..pay("5.00") };
        assert_eq!(invalid_fields(env.app.pay_invoice(b, &inv.id, &card).await), vec!["reference"]);
        let (payments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invoice_payment").fetch_one(env.store.pool()).await.unwrap();
        assert_eq!(payments, 0);
        assert_eq!(env.app.invoices(b, &InvoiceQuery::default()).await.unwrap().len(), 1, "only the good invoice was written");
        assert_eq!(invalid_fields(env.app.invoices(b, &InvoiceQuery { status: "late".into(), ..Default::default() }).await), vec!["status"]);

        // An edit keeps the id and changes the terms of new invoices only.
        let edited = env
            .app
            .update_third_party(b, &party_id, &ThirdPartyInput { payment_terms: "net_45".into(), ..party("Acme Tools Inc") })
            .await
            .unwrap();
        assert_eq!((edited.id.as_str(), edited.terms_label.as_str(), edited.name.as_str()), (party_id.as_str(), "Net 45", "Acme Tools Inc"));
        assert_eq!(env.app.invoice(b, &inv.id).await.unwrap().due_date, "2026-07-15");
        let next = env.app.create_invoice(b, &invoice(&party_id, "", vec![line("y", "1.00")])).await.unwrap();
        assert_eq!(next.due_date, "2026-07-30");
    }
}
