//! Roles and what each may do. Deny by default: an action a role is not listed for is refused.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A staff member's role in the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    FrontDesk,
    Biller,
    Bookkeeper,
    Provider,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::FrontDesk, Role::Biller, Role::Bookkeeper, Role::Provider];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::FrontDesk => "front_desk",
            Role::Biller => "biller",
            Role::Bookkeeper => "bookkeeper",
            Role::Provider => "provider",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Office manager (admin)",
            Role::FrontDesk => "Front desk",
            Role::Biller => "Biller",
            Role::Bookkeeper => "Bookkeeper",
            Role::Provider => "Provider",
        }
    }

    /// Whether this role may perform `action`. The single place where permissions are decided.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            // Patient demographics and insurance: the people who deal with patients and their bills.
            ReadPatient | SearchPatients => matches!(self, Admin | FrontDesk | Biller | Provider),
            RegisterPatient | EditPatient | EditCoverage => {
                matches!(self, Admin | FrontDesk | Biller)
            }
            MergePatients => matches!(self, Admin),
            // Reference lists every staff member needs to read.
            ReadPracticeLists => true,
            ManagePracticeLists => matches!(self, Admin),
            ManageUsers | ReadAuditTrail => matches!(self, Admin),
            // The schedule: the front desk books; providers and billers look at it.
            ReadAppointments => matches!(self, Admin | FrontDesk | Provider | Biller),
            BookAppointments => matches!(self, Admin | FrontDesk),
            // Appointment types, weekly templates, exceptions and holidays.
            ManageSchedules => matches!(self, Admin),
            // Calendar feeds hand a provider's schedule to an outside app: the office manager decides.
            ManageCalendarFeeds => matches!(self, Admin),
            // Appointment reminders: the desk sends them and records the answers; the office manager
            // sets up the mail server and the rules.
            SendReminders => matches!(self, Admin | FrontDesk),
            ManageReminders => matches!(self, Admin),
            OverbookAppointments => matches!(self, Admin | Provider),
            TakePayments => matches!(self, Admin | FrontDesk | Biller),
            // The waitlist and recalls: the desk works them; providers see the waitlist, and see and
            // create recalls ("see this patient again in 6 months").
            ReadWaitlist => matches!(self, Admin | FrontDesk | Provider),
            ManageWaitlist => matches!(self, Admin | FrontDesk),
            ReadRecalls | CreateRecalls => matches!(self, Admin | FrontDesk | Provider),
            ManageRecalls => matches!(self, Admin | FrontDesk),
            // The books: the bookkeeper and the office manager; reopening a closed period is the admin's.
            ReadBooks | PostJournal | ManageAccounts | ClosePeriods => matches!(self, Admin | Bookkeeper),
            ReopenPeriods => matches!(self, Admin),
            // Code sets, payers and fee schedules: the office manager keeps them; whoever codes or
            // bills a visit reads the codes, and billing and the books read the fees.
            ReadCodeSets => matches!(self, Admin | FrontDesk | Biller | Provider),
            ManageCodeSets | ManagePayers | ManageFeeSchedules => matches!(self, Admin),
            ReadFeeSchedules => matches!(self, Admin | Biller | Bookkeeper),
            // Encounters and claims: the provider codes the visit; billing posts the charges and
            // works the claims (the desk takes co-pays but does not bill).
            CodeEncounters => matches!(self, Admin | Biller | Provider),
            PostCharges | ReadClaims | ManageClaims => matches!(self, Admin | Biller),
            // Telephone messages: everyone who deals with patients takes calls and works their
            // inboxes; the front desk and the office manager keep the directory; the office manager
            // sets the triage rules, deadlines and inbox members and watches the late messages.
            TakeMessages | WorkMessages => matches!(self, Admin | FrontDesk | Biller | Provider),
            ManageDirectory => matches!(self, Admin | FrontDesk),
            ManageMessageRules => matches!(self, Admin),
            // The mail room: the desk (and billing, who opens the checks) logs incoming and outgoing
            // mail; everyone who reads patient data reads the log. Records requests release a
            // patient's records: the roles that read charts and deal with patients.
            LogMail => matches!(self, Admin | FrontDesk | Biller),
            ReadMail => matches!(self, Admin | FrontDesk | Biller | Provider),
            ReleaseRecords => matches!(self, Admin | FrontDesk | Provider),
            // Eligibility: the desk checks coverage before a visit and billing before a claim.
            CheckEligibility => matches!(self, Admin | FrontDesk | Biller),
            // Patient receivables: billing works them (statements, late charges, collections,
            // refunds, payment plans, third-party invoices); the bookkeeper reads the aging that
            // ties to the ledger and makes the bank deposits; write-offs and agency hand-offs are
            // billing's and the office manager's.
            ReadReceivables => matches!(self, Admin | Biller | Bookkeeper),
            ManageReceivables => matches!(self, Admin | Biller),
            WriteOffBadDebt => matches!(self, Admin | Biller),
            MakeDeposits => matches!(self, Admin | Biller | Bookkeeper | FrontDesk),
            // Letters: the office manager keeps the templates; everyone who deals with patients
            // writes letters from them.
            ManageLetterTemplates => matches!(self, Admin),
            WriteLetters => matches!(self, Admin | FrontDesk | Biller | Provider),
            // Mailings (fliers, newsletters) to filtered lists of patients: the desk and the office manager.
            SendMailings => matches!(self, Admin | FrontDesk),
            // Medical files by class (crate::documents): patient records to the clinical and
            // front-desk roles; accounting records to billing and the books; contracts and business
            // documents to the office manager and the bookkeeper. Retention and destruction are the
            // office manager's.
            HandlePatientDocuments => matches!(self, Admin | FrontDesk | Provider),
            HandleAccountingDocuments => matches!(self, Admin | Biller | Bookkeeper),
            HandleBusinessDocuments => matches!(self, Admin | Bookkeeper),
            ManageRetention => matches!(self, Admin),
            // The scheduled daily backup (folder, hour, how many to keep): the office manager's.
            ManageBackups => matches!(self, Admin),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role '{s}': use one of admin, front_desk, biller, bookkeeper, provider"))
    }
}

/// Every use case names one action; the application layer checks it before touching data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ReadPatient,
    SearchPatients,
    RegisterPatient,
    EditPatient,
    EditCoverage,
    MergePatients,
    ReadPracticeLists,
    ManagePracticeLists,
    ManageUsers,
    ReadAuditTrail,
    /// See appointments and open slots.
    ReadAppointments,
    /// Book appointments and move them through their lifecycle (confirm, check in, cancel...).
    BookAppointments,
    /// Set up appointment types, providers' weekly templates, exceptions and holidays.
    ManageSchedules,
    /// Make and revoke the secret calendar (ICS) feeds of providers' schedules, and choose whether
    /// a feed may carry patients' names.
    ManageCalendarFeeds,
    /// Send appointment reminders, work the daily call list and record patients' replies.
    SendReminders,
    /// Set the practice's SMTP server and the reminder rules of appointment types.
    ManageReminders,
    /// Book on top of another appointment where the template allows overbooking: a clinical
    /// judgement, so the provider or the office manager, not the desk alone.
    OverbookAppointments,
    /// Take a payment at the desk (a co-pay at check-in) and void one taken by mistake.
    TakePayments,
    /// See the waitlist and the freed slots offered to it.
    ReadWaitlist,
    /// Add patients to the waitlist, remove them, and book or decline the slots offered.
    ManageWaitlist,
    /// See recalls and print their letters.
    ReadRecalls,
    /// Create a recall ("see this patient again in 6 months").
    CreateRecalls,
    /// Record calls, letters and e-mails about recalls, and close them.
    ManageRecalls,
    /// See the books: chart of accounts, journal, trial balance and the statements.
    ReadBooks,
    /// Post manual journal entries and reverse entries.
    PostJournal,
    /// Add, rename and close accounts of the chart.
    ManageAccounts,
    /// Close a month of the books.
    ClosePeriods,
    /// Reopen a closed month: the office manager only, audited.
    ReopenPeriods,
    /// Search the diagnosis (ICD-10-CM) and procedure (CPT, HCPCS) codes.
    ReadCodeSets,
    /// Import the practice's CPT and HCPCS files.
    ManageCodeSets,
    /// Add and change payers: electronic id, claim filing indicator, paper address, limits.
    ManagePayers,
    /// See the standard fees and the payers' expected (allowed) amounts.
    ReadFeeSchedules,
    /// Set the standard fees and the payers' expected amounts.
    ManageFeeSchedules,
    /// Open and code an encounter (diagnoses and service lines) on the superbill.
    CodeEncounters,
    /// Post an encounter's charges to the ledger and create its claim.
    PostCharges,
    /// See claims, their problems and history, and the 837P batches.
    ReadClaims,
    /// Scrub claims, move them through their lifecycle and send (export) them.
    ManageClaims,
    /// Log incoming mail (checks, EOBs, letters, returned mail) and outgoing mail, route it and
    /// mark it done.
    LogMail,
    /// See the mail log, the checks to post and the returned-mail call list.
    ReadMail,
    /// Log and fulfil records requests and read a patient's accounting of disclosures.
    ReleaseRecords,
    /// Write 270 eligibility requests, import the 271 answers and see them.
    CheckEligibility,
    /// Take a telephone message on the call pad (triage and routing) and read the directory.
    TakeMessages,
    /// Read one's inboxes and work their messages: acknowledge, reply, reassign, change status.
    WorkMessages,
    /// Add and change the practice's telephone directory contacts.
    ManageDirectory,
    /// Edit triage rules, callback deadlines and inbox members; see the late messages.
    ManageMessageRules,
    /// See the receivables: aging by patient, guarantor, payer and provider, days in AR, the
    /// collections worklist, statements sent, credit balances, third-party invoices.
    ReadReceivables,
    /// Run statements, set the statement and late-charge settings, apply and reverse late
    /// charges, make payment plans, refund credit balances, invoice third parties.
    ManageReceivables,
    /// Send a balance to a collection agency and write it off as bad debt.
    WriteOffBadDebt,
    /// Group received payments (undeposited funds) into a bank deposit.
    MakeDeposits,
    /// Edit the practice's letter templates.
    ManageLetterTemplates,
    /// Write letters from templates (preview, save, print, e-mail) and read them on the chart.
    WriteLetters,
    /// Draw patient lists for mailings (fliers, newsletters), create and send the mailings and
    /// print their labels, envelopes and fliers.
    SendMailings,
    /// Upload, read and search patient records (referrals, outside records, consents, cards).
    HandlePatientDocuments,
    /// Upload, read and search accounting records (EOBs, deposit slips, bank statements).
    HandleAccountingDocuments,
    /// Upload, read and search contracts and business documents (leases, licences, policies).
    HandleBusinessDocuments,
    /// Edit retention rules and destroy documents whose retention has ended.
    ManageRetention,
    /// Set the scheduled daily backup (folder, hour, how many to keep) and see how it went.
    ManageBackups,
}

/// The common passwords medoffice refuses, one a line (John the Ripper's public-domain
/// `password.lst`, most common first, and a few longer ones medoffice adds; `#!` lines are comments).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

static COMMON_SET: std::sync::LazyLock<std::collections::HashSet<String>> = std::sync::LazyLock::new(|| {
    COMMON_PASSWORDS.lines().filter(|l| !l.starts_with("#!") && !l.trim().is_empty()).map(|l| l.trim().to_lowercase()).collect()
});

/// Whether a password (any case) is on the shipped list of common passwords.
pub fn is_common_password(password: &str) -> bool {
    COMMON_SET.contains(&password.trim().to_lowercase())
}

/// How many passwords the shipped list holds.
pub fn common_password_count() -> usize {
    COMMON_SET.len()
}

/// Keyboard walks and alphabets: a password that is a piece of one (either way) is refused.
const WALKS: [&str; 6] = [
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
    "qazwsxedcrfvtgbyhnujmikolp",
    "!@#$%^&*()_+",
];

/// Words of practice names that are too generic to refuse in a password.
const GENERIC_PRACTICE_WORDS: [&str; 16] = [
    "family",
    "medicine",
    "medical",
    "clinic",
    "practice",
    "health",
    "center",
    "centre",
    "associates",
    "group",
    "doctors",
    "pediatrics",
    "primary",
    "internal",
    "office",
    "partners",
];

/// The password policy without the person: 12 to 256 characters, not on the common list (nor a
/// listed password with digits or symbols before or after it, or with letters swapped for look-alike
/// digits), not one character or a short piece repeated, not a simple sequence or keyboard walk.
/// No composition rules and no expiry (NIST SP 800-63B). Returns the reason it is refused.
pub fn check_password_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < 12 {
        return Err("a password needs at least 12 characters".into());
    }
    if length > 256 {
        return Err("a password has at most 256 characters".into());
    }
    let lower = password.to_lowercase();
    if is_common_password(&lower) {
        return Err("this is one of the most common passwords; choose another (a few unrelated words make a good one)".into());
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let unleet: String = core
        .chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '$' | '5' => 's',
            '7' => 't',
            other => other,
        })
        .collect();
    for candidate in [core, unleet.as_str(), unleet.replace('i', "l").as_str()] {
        if candidate.chars().count() >= 4 && is_common_password(candidate) {
            return Err("this is a common password with a few characters changed or added; choose another".into());
        }
    }
    let chars: Vec<char> = lower.chars().collect();
    let distinct: std::collections::HashSet<char> = chars.iter().copied().collect();
    if distinct.len() <= 2 {
        return Err("a password of one or two repeated characters is too easy to guess".into());
    }
    if (1..=chars.len() / 2).any(|unit| chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit])) {
        return Err("a password made of one short piece repeated is too easy to guess".into());
    }
    if is_sequence(&chars) {
        return Err("a simple sequence (abcd..., 1234..., 9876...) is too easy to guess".into());
    }
    if WALKS.iter().any(|w| w.contains(lower.as_str()) || w.chars().rev().collect::<String>().contains(lower.as_str())) {
        return Err("a row of keys on the keyboard is too easy to guess".into());
    }
    Ok(())
}

/// Each character one after the previous (or one before), digits wrapping from 9 to 0.
fn is_sequence(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> Option<i32> {
        let d = b as i32 - a as i32;
        match (a, b, d) {
            (_, _, 1 | -1) => Some(d),
            ('9', '0', _) => Some(1),
            ('0', '9', _) => Some(-1),
            _ => None,
        }
    };
    let steps: Vec<Option<i32>> = chars.windows(2).map(|w| step(w[0], w[1])).collect();
    steps.first().copied().flatten().is_some_and(|first| steps.iter().all(|s| *s == Some(first)))
}

/// The whole policy for one person's password: [`check_password_policy`], and not containing the
/// username or the practice's name (or a distinctive word of it).
pub fn check_password_for(password: &str, username: &str, practice_name: &str) -> Result<(), String> {
    check_password_policy(password)?;
    let compact = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect() };
    let pw = compact(password);
    let user = compact(username);
    if user.chars().count() >= 3 && pw.contains(&user) {
        return Err("a password must not contain your username".into());
    }
    let practice = compact(practice_name);
    let distinctive = practice_name
        .split(|c: char| !c.is_alphanumeric())
        .map(compact)
        .filter(|w| w.chars().count() >= 5 && !GENERIC_PRACTICE_WORDS.contains(&w.as_str()))
        .any(|w| pw.contains(&w));
    if (practice.chars().count() >= 4 && pw.contains(&practice)) || distinctive {
        return Err("a password must not contain the practice's name".into());
    }
    Ok(())
}

/// A username: 2 to 64 characters of lowercase letters, digits, `.`, `_` and `-`.
pub fn parse_username(text: &str) -> Result<String, String> {
    let name = text.trim().to_lowercase();
    let ok_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if name.len() < 2 || name.len() > 64 || !ok_chars {
        return Err("a username has 2 to 64 letters, digits, '.', '_' or '-'".into());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_merge_patients_and_manage_users() {
        for role in Role::ALL {
            assert_eq!(role.may(Action::MergePatients), role == Role::Admin);
            assert_eq!(role.may(Action::ManageUsers), role == Role::Admin);
            assert_eq!(role.may(Action::ReadAuditTrail), role == Role::Admin);
        }
    }

    #[test]
    fn the_bookkeeper_cannot_read_patient_charts() {
        assert!(!Role::Bookkeeper.may(Action::ReadPatient));
        assert!(!Role::Bookkeeper.may(Action::SearchPatients));
        assert!(Role::FrontDesk.may(Action::RegisterPatient));
        assert!(!Role::Provider.may(Action::RegisterPatient));
        assert!(Role::Provider.may(Action::ReadPatient));
    }

    #[test]
    fn the_desk_sends_reminders_and_only_the_admin_sets_up_the_mail_server() {
        assert!(Role::FrontDesk.may(Action::SendReminders));
        assert!(!Role::Bookkeeper.may(Action::SendReminders));
        assert!(!Role::Biller.may(Action::SendReminders));
        for role in Role::ALL {
            assert_eq!(role.may(Action::ManageReminders), role == Role::Admin);
        }
    }

    #[test]
    fn only_the_admin_manages_calendar_feeds() {
        for role in Role::ALL {
            assert_eq!(role.may(Action::ManageCalendarFeeds), role == Role::Admin);
        }
    }

    #[test]
    fn the_office_manager_keeps_code_sets_payers_and_fees_and_billing_reads_them() {
        for role in Role::ALL {
            for action in [Action::ManageCodeSets, Action::ManagePayers, Action::ManageFeeSchedules] {
                assert_eq!(role.may(action), role == Role::Admin, "{role} {action:?}");
            }
            assert_eq!(role.may(Action::ReadCodeSets), role != Role::Bookkeeper, "{role}");
            assert_eq!(role.may(Action::ReadFeeSchedules), matches!(role, Role::Admin | Role::Biller | Role::Bookkeeper), "{role}");
        }
    }

    #[test]
    fn roles_parse_from_their_names_and_unknown_ones_are_refused() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("nurse".parse::<Role>().is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("correct horse battery").is_ok());
    }

    #[test]
    fn the_common_password_list_ships_thousands_of_real_passwords() {
        assert!(common_password_count() > 3400, "{}", common_password_count());
        for common in ["123456", "password", "qwerty", "iloveyou", "letmein", "Password1234", "ADMINISTRATOR"] {
            assert!(is_common_password(common), "{common}");
        }
        assert!(!is_common_password("violet tractor umbrella"));
    }

    #[test]
    fn common_passwords_and_their_easy_variants_are_refused() {
        for weak in [
            "password1234",
            "Password1234!",
            "qwerty123456",
            "iloveyou2024!",
            "P@ssw0rd2024",
            "!!monkey1234",
            "l3tm3in12345",
            "administrator",
            "aaaaaaaaaaaa",
            "abababababab",
            "qwertyqwerty",
            "abcdefghijklm",
            "123456789012",
            "987654321098",
            "zyxwvutsrqpo",
            "qwertyuiopas",
            "1qaz2wsx3edc4",
            "lkjhgfdsapoi",
        ] {
            assert!(check_password_policy(weak).is_err(), "{weak} was accepted");
        }
        for fine in ["correct horse battery", "violet-tractor-42-umbrella", "Tr0ub4dor&3xyz", "a-long-password-1", "demo-password-1"] {
            assert_eq!(check_password_policy(fine), Ok(()), "{fine}");
        }
    }

    #[test]
    fn a_password_may_not_contain_the_username_or_the_practice_name() {
        let practice = "Riverside Family Medicine";
        assert!(check_password_for("frontdesk-spring-rain", "frontdesk", practice).is_err());
        assert!(check_password_for("FrontDesk-spring-rain", "front.desk", practice).is_err());
        assert!(check_password_for("Riverside-2026-spring", "frontdesk", practice).is_err());
        assert!(check_password_for("riversidefamilymedicine", "frontdesk", practice).is_err());
        // Generic words of the name are fine.
        assert_eq!(check_password_for("my family hikes on sundays", "frontdesk", practice), Ok(()));
        assert_eq!(check_password_for("violet tractor umbrella", "frontdesk", practice), Ok(()));
        // The length rule comes first.
        assert_eq!(check_password_for("short", "frontdesk", practice), Err("a password needs at least 12 characters".into()));
    }

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(parse_username(" Front.Desk "), Ok("front.desk".into()));
        assert!(parse_username("a").is_err());
        assert!(parse_username("no spaces").is_err());
        assert!(parse_username("<script>").is_err());
    }

    #[test]
    fn the_desk_works_the_waitlist_and_recalls_providers_read_and_create_recalls_and_the_bookkeeper_sees_neither() {
        for role in Role::ALL {
            let desk = matches!(role, Role::Admin | Role::FrontDesk);
            let clinical = desk || role == Role::Provider;
            assert_eq!(role.may(Action::ManageWaitlist), desk, "{role}");
            assert_eq!(role.may(Action::ManageRecalls), desk, "{role}");
            assert_eq!(role.may(Action::ReadWaitlist), clinical, "{role}");
            assert_eq!(role.may(Action::ReadRecalls), clinical, "{role}");
            assert_eq!(role.may(Action::CreateRecalls), clinical, "{role}");
        }
        assert!(!Role::Bookkeeper.may(Action::ReadRecalls) && !Role::Bookkeeper.may(Action::ReadWaitlist));
    }

    #[test]
    fn the_bookkeeper_and_the_admin_keep_the_books_and_only_the_admin_reopens_a_period() {
        for role in Role::ALL {
            let books = matches!(role, Role::Admin | Role::Bookkeeper);
            for action in [Action::ReadBooks, Action::PostJournal, Action::ManageAccounts, Action::ClosePeriods] {
                assert_eq!(role.may(action), books, "{role} {action:?}");
            }
            assert_eq!(role.may(Action::ReopenPeriods), role == Role::Admin, "{role}");
        }
    }
}
