-- Paying vendors' bills (SQLite): payments (a check or an ACH transfer to one vendor) and the
-- bills each one pays. Kept in step with ../postgres/0011_bill_payments.sql by the schema test.
--
-- Why a table of applications and not a new bill status: bill.status (0010) allows only 'open'
-- and 'paid', and SQLite cannot alter a CHECK. So bill.status stays 'open' until the bill is
-- settled in full and 'paid' after (back to 'open' when a payment is voided), and what a bill
-- still owes is its total less the applications of its payments that are not voided. "Partially
-- paid" is derived: an open bill with a settled amount above zero.

-- One payment to one vendor. method is 'check' (reference: the check number, digits) or 'ach'
-- (reference: the transfer's reference). cash_account is the number of the asset account paid
-- from (1000 Cash - Operating unless chosen). amount_cents is the cash paid; discount_cents the
-- early-payment discount taken (credited to 6900 Purchase discounts); their sum is what the
-- payment settles on Accounts payable. journal_entry_id is the payment's entry (key
-- 'bill_payment:<id>'). A voided payment (a spoiled check, a returned transfer) keeps its row:
-- status 'voided', void_date and void_entry_id, the reversal posted through the ledger.
CREATE TABLE bill_payment (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    vendor_id TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('check', 'ach')),
    reference TEXT NOT NULL,
    cash_account TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    discount_cents BIGINT NOT NULL CHECK (discount_cents >= 0),
    journal_entry_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('posted', 'voided')),
    void_date TEXT,
    void_entry_id TEXT,
    voided_by TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, vendor_id) REFERENCES vendor (practice_id, id),
    FOREIGN KEY (practice_id, journal_entry_id) REFERENCES journal_entry (practice_id, id)
);
CREATE INDEX bill_payment_by_date ON bill_payment (practice_id, payment_date);
CREATE INDEX bill_payment_by_vendor ON bill_payment (practice_id, vendor_id, payment_date);
-- A check number is written once per account, a voided (spoiled) check's included: the number
-- is on a piece of paper that exists.
CREATE UNIQUE INDEX bill_payment_check_number_unique ON bill_payment (practice_id, cash_account, reference) WHERE method = 'check';

-- What one payment did to one bill: amount_cents of cash and discount_cents of discount, which
-- together settle that much of the bill. A bill is listed once per payment.
CREATE TABLE bill_payment_application (
    practice_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
    discount_cents BIGINT NOT NULL CHECK (discount_cents >= 0),
    PRIMARY KEY (practice_id, payment_id, bill_id),
    FOREIGN KEY (practice_id, payment_id) REFERENCES bill_payment (practice_id, id),
    FOREIGN KEY (practice_id, bill_id) REFERENCES bill (practice_id, id)
);
CREATE INDEX bill_payment_application_by_bill ON bill_payment_application (practice_id, bill_id);
