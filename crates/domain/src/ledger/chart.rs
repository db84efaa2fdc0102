//! The default chart of accounts of a medical practice, created with the practice's books.
//!
//! Numbers follow the usual blocks (1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx revenue,
//! 5xxx-6xxx expenses). Other modules post to these accounts by number through [`accounts`], so
//! a practice that renames an account keeps its postings flowing to it.

use super::AccountType;
use AccountType::*;

/// One account of the default chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultAccount {
    pub number: &'static str,
    pub name: &'static str,
    pub account_type: AccountType,
    /// The account it is grouped under (a contra account under the one it offsets).
    pub parent: Option<&'static str>,
}

/// The numbers of the accounts that medoffice's own money events post to (see the journal
/// entries of each event in the product description).
pub mod accounts {
    pub const CASH_OPERATING: &str = "1000";
    pub const UNDEPOSITED_FUNDS: &str = "1010";
    pub const AR_INSURANCE: &str = "1100";
    pub const AR_PATIENTS: &str = "1110";
    pub const AR_OTHER: &str = "1120";
    pub const ALLOWANCE_FOR_DOUBTFUL_ACCOUNTS: &str = "1190";
    pub const PREPAID_EXPENSES: &str = "1300";
    pub const MEDICAL_EQUIPMENT: &str = "1500";
    pub const ACCUMULATED_DEPRECIATION: &str = "1590";
    pub const ACCOUNTS_PAYABLE: &str = "2000";
    pub const PATIENT_CREDIT_BALANCES: &str = "2100";
    pub const CUSTOMER_DEPOSITS: &str = "2200";
    pub const ACCRUED_LIABILITIES: &str = "2300";
    pub const OWNERS_CAPITAL: &str = "3000";
    pub const OWNERS_DRAWS: &str = "3100";
    pub const RETAINED_EARNINGS: &str = "3900";
    pub const PATIENT_SERVICE_REVENUE: &str = "4000";
    pub const CONTRACTUAL_ADJUSTMENTS: &str = "4100";
    pub const FINANCE_CHARGE_INCOME: &str = "4200";
    pub const OTHER_SERVICE_REVENUE: &str = "4300";
    pub const OTHER_REVENUE: &str = "4900";
    pub const BAD_DEBT_EXPENSE: &str = "6500";
    pub const BANK_FEES: &str = "6600";
    pub const PURCHASE_DISCOUNTS: &str = "6900";
    pub const UNCATEGORIZED_EXPENSES: &str = "6990";
}

const fn account(number: &'static str, name: &'static str, account_type: AccountType, parent: Option<&'static str>) -> DefaultAccount {
    DefaultAccount { number, name, account_type, parent }
}

/// The chart a new practice's books start with. Parents come before their children.
pub const DEFAULT_CHART: &[DefaultAccount] = &[
    account("1000", "Cash - Operating", Asset, None),
    account("1010", "Undeposited funds", Asset, None),
    account("1020", "Petty cash", Asset, None),
    account("1100", "Accounts receivable - Insurance", Asset, None),
    account("1110", "Accounts receivable - Patients", Asset, None),
    account("1120", "Accounts receivable - Other", Asset, None),
    account("1190", "Allowance for doubtful accounts", ContraAsset, Some("1110")),
    account("1300", "Prepaid expenses", Asset, None),
    account("1500", "Medical equipment", Asset, None),
    account("1510", "Office furniture and equipment", Asset, None),
    account("1590", "Accumulated depreciation", ContraAsset, Some("1500")),
    account("2000", "Accounts payable", Liability, None),
    account("2100", "Patient credit balances", Liability, None),
    account("2200", "Customer deposits", Liability, None),
    account("2300", "Accrued liabilities", Liability, None),
    account("2400", "Payroll liabilities", Liability, None),
    account("2700", "Notes payable", Liability, None),
    account("3000", "Owner's capital", Equity, None),
    account("3100", "Owner's draws", ContraEquity, Some("3000")),
    account("3900", "Retained earnings", Equity, None),
    account("4000", "Patient service revenue", Revenue, None),
    account("4100", "Contractual adjustments", ContraRevenue, Some("4000")),
    account("4200", "Finance charge income", Revenue, None),
    account("4300", "Other service revenue", Revenue, None),
    account("4900", "Other revenue", Revenue, None),
    account("6000", "Salaries and wages", Expense, None),
    account("6010", "Payroll taxes and benefits", Expense, None),
    account("6100", "Rent", Expense, None),
    account("6150", "Utilities", Expense, None),
    account("6200", "Medical supplies", Expense, None),
    account("6210", "Office supplies", Expense, None),
    account("6300", "Clearinghouse fees", Expense, None),
    account("6310", "Software and subscriptions", Expense, None),
    account("6400", "Malpractice insurance", Expense, None),
    account("6410", "Other insurance", Expense, None),
    account("6500", "Bad debt expense", Expense, None),
    account("6600", "Bank and card fees", Expense, None),
    account("6700", "Depreciation expense", Expense, None),
    account("6800", "Professional fees", Expense, None),
    account("6850", "Repairs and maintenance", Expense, None),
    account("6900", "Purchase discounts", ContraExpense, None),
    account("6990", "Uncategorized expenses", Expense, None),
];
