//! The demo practice's books: an owner's investment, an equipment loan and the equipment, three months of rent and
//! payroll paid by check, vendors with their terms, bills (paid with the early-payment discount,
//! paid in part, open, overdue), monthly rent as a recurring entry and the month's depreciation.
//! Everything goes through the bookkeeper's use cases, so the demo's books follow every rule and
//! are audited like real ones. Deterministic for a given today.

use crate::bill_payments::{BillAmountInput, PaymentRunInput, VendorPaymentInput};
use crate::ledger::{JournalEntryInput, JournalLineInput, ManualLineInput};
use crate::payables::{BillLineInput, NewBillInput, NewVendorInput};
use crate::recurring::RecurringTemplateInput;
use crate::{Actor, App, AppError, Result};
use chrono::{Datelike, Months, NaiveDate};
use medoffice_store::users;

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn lines(lines: &[(&str, i64, i64)]) -> Vec<JournalLineInput> {
    lines
        .iter()
        .map(|(a, d, c)| JournalLineInput { account: (*a).into(), debit_cents: *d, credit_cents: *c, memo: String::new() })
        .collect()
}

impl App {
    async fn demo_bookkeeper(&self) -> Result<Actor> {
        let mut conn = self.store.pool().acquire().await.map_err(medoffice_store::StoreError::from)?;
        let user = users::find_by_username(&mut conn, "bookkeeper").await?.into_iter().next().ok_or(AppError::NotFound("user"))?;
        self.actor_for(&mut conn, &user, None).await
    }

    async fn demo_entry(&self, actor: &Actor, date: NaiveDate, memo: &str, entry: &[(&str, i64, i64)]) -> Result<()> {
        let input = JournalEntryInput { date: day(date), memo: memo.into(), idempotency_key: String::new(), lines: lines(entry) };
        self.post_journal_entry(actor, &input).await.map(|_| ())
    }

    /// Posts the demo's books (see the module's documentation).
    pub(crate) async fn demo_books(&self) -> Result<()> {
        let bk = self.demo_bookkeeper().await?;
        let today = bk.today(self.now());
        let this_month = today.with_day(1).unwrap_or(today);
        let start = this_month.checked_sub_months(Months::new(3)).unwrap_or(this_month);

        self.demo_entry(
            &bk,
            start,
            "Owner's investment to open the practice's account",
            &[("1000", 20_000_000, 0), ("3000", 0, 20_000_000)],
        )
        .await?;
        self.demo_entry(&bk, start, "Equipment loan from Hudson Valley Bank", &[("1000", 10_000_000, 0), ("2700", 0, 10_000_000)]).await?;
        self.demo_entry(&bk, start, "Exam tables, ECG machine and autoclave", &[("1500", 4_800_000, 0), ("1000", 0, 4_800_000)]).await?;
        self.demo_entry(&bk, start, "Malpractice insurance, twelve months paid ahead", &[("1300", 1_440_000, 0), ("1000", 0, 1_440_000)])
            .await?;
        for m in 0..3u32 {
            let Some(month) = start.checked_add_months(Months::new(m)) else { continue };
            let label = month.format("%B %Y").to_string();
            let payday = month.with_day(28).unwrap_or(month);
            self.demo_entry(
                &bk,
                payday,
                &format!("Payroll, {label}"),
                &[("6000", 3_800_000, 0), ("6010", 310_000, 0), ("1000", 0, 3_800_000), ("2400", 0, 310_000)],
            )
            .await?;
            let remit = month.checked_add_months(Months::new(1)).and_then(|d| d.with_day(10)).unwrap_or(payday);
            if remit <= today {
                self.demo_entry(&bk, remit, &format!("Payroll taxes for {label} deposited"), &[("2400", 310_000, 0), ("1000", 0, 310_000)])
                    .await?;
            }
            self.demo_entry(&bk, payday, &format!("Malpractice insurance used up, {label}"), &[("6400", 120_000, 0), ("1300", 0, 120_000)])
                .await?;
            self.demo_entry(&bk, payday, &format!("Depreciation, {label}"), &[("6700", 80_000, 0), ("1590", 0, 80_000)]).await?;
        }

        // Rent: a recurring entry on the first of each month, caught up to today.
        let rent = RecurringTemplateInput {
            memo: "Rent, 41 Lark St suite 200".into(),
            frequency: "monthly".into(),
            day_of_month: "1".into(),
            start_date: day(start),
            end_date: String::new(),
            occurrences: String::new(),
            lines: vec![
                ManualLineInput { account: "6100".into(), debit: "4500.00".into(), credit: String::new(), memo: String::new() },
                ManualLineInput { account: "1000".into(), debit: String::new(), credit: "4500.00".into(), memo: String::new() },
            ],
        };
        self.add_recurring_template(&bk, &rent).await?;
        self.post_due_recurring_entries(&bk, today).await?;

        // Vendors and their bills.
        let vendor = |name: &str, terms: &str, account: &str, is_1099: bool| NewVendorInput {
            name: name.into(),
            address: "Albany, NY".into(),
            contact: String::new(),
            tax_id: String::new(),
            default_expense_account: account.into(),
            payment_terms: terms.into(),
            is_1099,
        };
        let henry = self.add_vendor(&bk, &vendor("Hudson Medical Supply", "2/10 net 30", "6200", false)).await?;
        let office = self.add_vendor(&bk, &vendor("Capital Office Products", "net_30", "6210", false)).await?;
        let clearing = self.add_vendor(&bk, &vendor("ClaimBridge Clearinghouse", "day_of_month:15", "6300", false)).await?;
        let cpa = self.add_vendor(&bk, &vendor("Morrow & Tate CPAs", "net_30", "6800", true)).await?;
        let power = self.add_vendor(&bk, &vendor("National Grid", "due_on_receipt", "6150", false)).await?;
        let bill = |vendor_id: &str, number: &str, date: NaiveDate, items: &[(&str, i64)]| NewBillInput {
            vendor_id: vendor_id.into(),
            bill_number: number.into(),
            bill_date: day(date),
            memo: String::new(),
            lines: items.iter().map(|(a, c)| BillLineInput { account: (*a).into(), amount_cents: *c, memo: String::new() }).collect(),
        };
        let ago = |days: u64| today.checked_sub_days(chrono::Days::new(days)).unwrap_or(today);
        let supplies = self.enter_bill(&bk, &bill(&henry.id, "HMS-20417", ago(6), &[("6200", 186_450), ("6210", 12_300)])).await?;
        self.enter_bill(&bk, &bill(&office.id, "COP-5531", ago(40), &[("6210", 34_875)])).await?;
        let claims = self.enter_bill(&bk, &bill(&clearing.id, "CB-2026-118", ago(20), &[("6300", 29_900)])).await?;
        let audit = self.enter_bill(&bk, &bill(&cpa.id, "MT-884", ago(75), &[("6800", 250_000)])).await?;
        self.enter_bill(&bk, &bill(&power.id, "NG-7719-03", ago(3), &[("6150", 41_260)])).await?;
        self.enter_bill(&bk, &bill(&henry.id, "HMS-20502", ago(1), &[("6200", 92_040)])).await?;
        self.enter_bill(&bk, &bill(&cpa.id, "MT-902", ago(35), &[("6800", 120_000)])).await?;

        // A payment run: the supplies bill within its discount window, the clearinghouse by ACH,
        // and part of the accountant's bill.
        let pay = |vendor_id: &str, method: &str, reference: &str, bills: Vec<(String, i64)>| VendorPaymentInput {
            vendor_id: vendor_id.into(),
            method: method.into(),
            reference: reference.into(),
            bills: bills.into_iter().map(|(bill_id, amount_cents)| BillAmountInput { bill_id, amount_cents }).collect(),
        };
        let run = PaymentRunInput {
            payment_date: day(ago(2)),
            cash_account: String::new(),
            idempotency_key: String::new(),
            payments: vec![
                pay(&henry.id, "check", "1001", vec![(supplies.id.clone(), supplies.total_cents)]),
                pay(&clearing.id, "ach", "ACH-0611-CB", vec![(claims.id.clone(), claims.total_cents)]),
                pay(&cpa.id, "check", "1002", vec![(audit.id.clone(), 100_000)]),
            ],
        };
        self.pay_bills(&bk, &run).await?;
        Ok(())
    }
}
