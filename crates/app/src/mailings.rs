//! Mailings (issue 8): fliers and newsletters to a filtered list of patients, by post or by
//! e-mail, honouring each patient's opt-outs.
//!
//! The filter (`medoffice_domain::mailings`) is drawn by one query of the store; each matched
//! patient is then classified: a recipient with the address used, or excluded with the reason
//! (merged record, opted out, no usable address, returned mail, no e-mail, a merge field with no
//! value). Creating a mailing is one transaction: the mailing, every matched patient with the
//! text rendered for them (the letters' merge renderer, so `{{patient.full_name}}` works), and an
//! outgoing mail log entry per recipient. E-mail recipients are sent afterwards, one by one, each
//! marked sent or failed, so a second run sends only what is still pending. Labels (Avery 5160),
//! #10 envelopes and the printed fliers are PDF files made from what was saved, so a reprint is
//! the same as the first print.

use crate::mail_room::OutgoingInput;
use crate::{Actor, App, AppError, AuditNote, Result};
use chrono::NaiveDate;
use medoffice_domain::ValidationErrors;
use medoffice_domain::letters::{self, MergeValues, Output};
use medoffice_domain::mailings::{self as rules, Candidate, Channel, Exclusion, Filter, FilterInput, PostalAddress};
use medoffice_domain::security::{Action, Role};
use medoffice_pdf::labels;
use medoffice_pdf::letter::{LetterPage, Letterhead, letters_pdf_with_logo};
use medoffice_store::mailings::{self as store, CandidateRow, FilterParams, MailingRow, OptOutRow, RecipientRow};
use medoffice_store::practice::{PracticeRow, ProviderRow};
use medoffice_store::{Connection, StoreError, new_id};
use serde::{Deserialize, Serialize};

/// The most patients one filter may match (recipients and excluded together): a bigger list is
/// refused, to be narrowed.
pub const MAX_MATCHED: usize = 5_000;
/// The patients a preview lists (the count covers them all).
pub const PREVIEW_ROWS: usize = 25;
/// A mailing's title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;

/// A mailing to create: its title, its text (a letter template, or typed) and the filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MailingInput {
    pub title: String,
    /// A letter template's key or id; blank to use `body`.
    pub template: String,
    /// The text, with merge fields, when no template is chosen.
    pub body: String,
    #[serde(flatten)]
    pub filter: FilterInput,
}

/// A patient's mailing opt-outs as a form sets them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutInput {
    pub postal: bool,
    pub email: bool,
}

/// One matched patient as a list shows them.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedPatient {
    pub patient_id: String,
    pub name: String,
    pub mrn: String,
    pub birth_date: String,
    pub last_visit: Option<String>,
    /// The address lines (or e-mail address) joined by commas; empty when excluded for it.
    pub address: String,
    /// The reason's code and its words, when excluded.
    pub excluded: Option<String>,
    pub excluded_label: Option<String>,
}

/// How many were excluded for one reason.
#[derive(Debug, Clone, Serialize)]
pub struct ExclusionCount {
    pub reason: String,
    pub label: String,
    pub count: usize,
}

/// What a filter draws, before anything is saved.
#[derive(Debug, Clone, Serialize)]
pub struct FilterPreview {
    pub channel: String,
    pub matched: usize,
    pub included: usize,
    pub excluded: Vec<ExclusionCount>,
    /// The first recipients, by name.
    pub first: Vec<MatchedPatient>,
    /// The first excluded patients, with their reasons.
    pub first_excluded: Vec<MatchedPatient>,
}

/// A mailing in the list.
#[derive(Debug, Clone, Serialize)]
pub struct MailingSummary {
    pub id: String,
    pub title: String,
    pub channel: String,
    pub channel_label: String,
    pub recipient_count: i64,
    pub excluded_count: i64,
    pub created_by: String,
    pub created_at: String,
}

/// One matched patient of a saved mailing.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientView {
    pub patient_id: String,
    pub name: String,
    pub address: String,
    pub excluded: Option<String>,
    pub excluded_label: Option<String>,
    /// Which merge fields were missing, for `merge_fields`.
    pub excluded_detail: Option<String>,
    pub outgoing_mail_id: Option<String>,
    /// `pending`, `sent` or `failed` for e-mail recipients.
    pub email_status: Option<String>,
    pub email_error: Option<String>,
}

/// A saved mailing with its recipients and excluded patients.
#[derive(Debug, Clone, Serialize)]
pub struct MailingView {
    pub summary: MailingSummary,
    pub filter: FilterInput,
    pub template_key: Option<String>,
    pub body: String,
    pub recipients: Vec<RecipientView>,
    pub excluded: Vec<RecipientView>,
    pub emails_pending: usize,
    pub emails_sent: usize,
    pub emails_failed: usize,
}

/// What a run of e-mail sending did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    /// Set when the mail server could not be reached: the rest stay pending for another run.
    pub stopped: Option<String>,
}

/// A patient's mailing preferences.
#[derive(Debug, Clone, Serialize)]
pub struct MailingPreferences {
    pub patient_id: String,
    pub patient_name: String,
    /// When and by whom each opt-out was recorded.
    pub postal_opt_out: Option<(String, String)>,
    pub email_opt_out: Option<(String, String)>,
}

fn summary(m: &MailingRow) -> MailingSummary {
    let channel_label = Channel::parse(&m.channel).map(Channel::label).unwrap_or("Unknown");
    MailingSummary {
        id: m.id.clone(),
        title: m.title.clone(),
        channel: m.channel.clone(),
        channel_label: channel_label.to_string(),
        recipient_count: m.recipient_count,
        excluded_count: m.excluded_count,
        created_by: m.created_by.clone(),
        created_at: m.created_at.clone(),
    }
}

fn recipient_view(r: &RecipientRow) -> RecipientView {
    let reason = r.excluded_reason.as_deref().and_then(Exclusion::parse);
    RecipientView {
        patient_id: r.patient_id.clone(),
        name: r.name.clone(),
        address: r.address.as_deref().unwrap_or_default().replace('\n', ", "),
        excluded: r.excluded_reason.clone(),
        excluded_label: reason.map(|e| e.label().to_string()),
        excluded_detail: r.excluded_detail.clone(),
        outgoing_mail_id: r.outgoing_mail_id.clone(),
        email_status: r.email_status.clone(),
        email_error: r.email_error.clone(),
    }
}

fn full_name(row: &CandidateRow) -> String {
    format!("{} {}", row.given_name, row.family_name)
}

fn address_of(row: &CandidateRow) -> PostalAddress {
    PostalAddress {
        line1: row.address_line1.clone(),
        line2: row.address_line2.clone(),
        city: row.city.clone(),
        state: row.state.clone(),
        postal_code: row.postal_code.clone(),
    }
}

fn candidate(row: &CandidateRow) -> Candidate {
    Candidate {
        merged: row.merged_into.is_some(),
        opted_out_postal: row.opted_out_postal != 0,
        opted_out_email: row.opted_out_email != 0,
        bad_address: row.bad_address != 0,
        email: row.email.clone(),
        address: address_of(row),
    }
}

/// `(518) 462-0199` for ten digits; other text as stored.
fn phone_text(digits: &str) -> String {
    if digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        digits.to_string()
    }
}

fn preferred_phone(row: &CandidateRow) -> Option<String> {
    let preferred = match row.preferred_phone.as_str() {
        "home" => &row.phone_home,
        "work" => &row.phone_work,
        _ => &row.phone_mobile,
    };
    preferred.as_deref().or(row.phone_mobile.as_deref()).or(row.phone_home.as_deref()).or(row.phone_work.as_deref()).map(phone_text)
}

/// One matched patient and where the mailing goes for them, or why not.
struct Classified {
    row: CandidateRow,
    outcome: std::result::Result<Vec<String>, Exclusion>,
}

fn matched(c: &Classified) -> MatchedPatient {
    let excluded = c.outcome.as_ref().err().copied();
    MatchedPatient {
        patient_id: c.row.id.clone(),
        name: full_name(&c.row),
        mrn: c.row.mrn.clone(),
        birth_date: c.row.birth_date.clone(),
        last_visit: c.row.last_visit.clone(),
        address: c.outcome.as_ref().map(|l| l.join(", ")).unwrap_or_default(),
        excluded: excluded.map(|e| e.as_str().to_string()),
        excluded_label: excluded.map(|e| e.label().to_string()),
    }
}

/// The counts by reason, in the order of [`Exclusion::ALL`], reasons with none left out.
fn exclusion_counts(reasons: impl Iterator<Item = Exclusion>) -> Vec<ExclusionCount> {
    let all: Vec<Exclusion> = reasons.collect();
    Exclusion::ALL
        .iter()
        .map(|e| ExclusionCount { reason: e.as_str().into(), label: e.label().into(), count: all.iter().filter(|x| *x == e).count() })
        .filter(|c| c.count > 0)
        .collect()
}

/// The practice's one-line address and its lines for a return address.
fn practice_lines(p: &PracticeRow) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l1) = p.address_line1.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        out.push(l1.to_string());
    }
    let city = format!(
        "{}{} {}",
        p.city.as_deref().unwrap_or_default(),
        p.state.as_deref().map(|s| format!(", {s}")).unwrap_or_default(),
        p.postal_code.as_deref().unwrap_or_default()
    );
    if !city.trim().is_empty() {
        out.push(city.trim().to_string());
    }
    out
}

fn provider_name(p: &ProviderRow) -> String {
    match p.credentials.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => format!("{} {}, {c}", p.given_name, p.family_name),
        None => format!("{} {}", p.given_name, p.family_name),
    }
}

/// One matched patient's piece: the address lines and the rendered text, or why they are left
/// out (with the merge fields that had no value, for `merge_fields`).
type Rendered = std::result::Result<(Vec<String>, String), (Exclusion, Option<String>)>;

/// What every recipient's text shares.
struct MergeContext {
    today: NaiveDate,
    local_now: String,
    practice: PracticeRow,
    providers: Vec<ProviderRow>,
    sender_name: String,
    sender_title: String,
    /// Whether the text uses a provider field (the usual provider is then looked up).
    needs_provider: bool,
}

impl App {
    /// Validates the filter and checks that the provider and payer it names exist, every field
    /// at fault named at once.
    async fn checked_filter(&self, conn: &mut Connection, actor: &Actor, input: &FilterInput) -> Result<Filter> {
        let validated = input.validate();
        let mut e = validated.as_ref().err().cloned().unwrap_or_default();
        let provider = input.provider_id.trim();
        if !provider.is_empty() {
            let providers = medoffice_store::practice::list_providers(conn, &actor.practice_id).await?;
            if !providers.iter().any(|x| x.id == provider) {
                e.add("provider_id", "there is no such provider");
            }
        }
        let payer = input.payer_id.trim();
        if !payer.is_empty() {
            let payers = medoffice_store::practice::list_payers(conn, &actor.practice_id).await?;
            if !payers.iter().any(|x| x.id == payer) {
                e.add("payer_id", "there is no such payer");
            }
        }
        match validated {
            Ok(filter) if e.is_empty() => Ok(filter),
            _ => Err(e.into()),
        }
    }

    /// The patients `filter` matches, each classified; refused when more than [`MAX_MATCHED`].
    async fn draw(&self, conn: &mut Connection, actor: &Actor, filter: &Filter) -> Result<Vec<Classified>> {
        let today = actor.today(self.now());
        let (born_on_or_before, born_after) = filter.birth_date_bounds(today);
        let text = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let params = FilterParams {
            born_on_or_before: text(born_on_or_before),
            born_after: text(born_after),
            last_visit_before: text(filter.last_visit_before),
            last_visit_after: text(filter.last_visit_after),
            provider_id: filter.provider_id.clone().unwrap_or_default(),
            payer_id: filter.payer_id.clone().unwrap_or_default(),
            recall_due_by: text(filter.recall_due_by),
            preferred_contact: filter.preferred_contact.map(|c| c.as_str().to_string()).unwrap_or_default(),
            today: today.to_string(),
        };
        let limit = i64::try_from(MAX_MATCHED + 1).unwrap_or(i64::MAX);
        let rows = store::matching_patients(conn, &actor.practice_id, &params, limit).await?;
        if rows.len() > MAX_MATCHED {
            return Err(ValidationErrors::single(
                "filter",
                format!("the filter matches more than {MAX_MATCHED} patients; narrow it (an age range, a provider, a payer...)"),
            )
            .into());
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let outcome = rules::classify(&candidate(&row), filter.channel);
                Classified { row, outcome }
            })
            .collect())
    }

    /// Counts what a filter draws and lists the first recipients and excluded patients, saving
    /// nothing. Audited (it lists patients).
    pub async fn preview_mailing_filter(&self, actor: &Actor, input: &FilterInput) -> Result<FilterPreview> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let mut tx = self.store.begin().await?;
        let filter = self.checked_filter(&mut tx, actor, input).await?;
        let drawn = self.draw(&mut tx, actor, &filter).await?;
        let included = drawn.iter().filter(|c| c.outcome.is_ok()).count();
        let preview = FilterPreview {
            channel: filter.channel.as_str().into(),
            matched: drawn.len(),
            included,
            excluded: exclusion_counts(drawn.iter().filter_map(|c| c.outcome.as_ref().err().copied())),
            first: drawn.iter().filter(|c| c.outcome.is_ok()).take(PREVIEW_ROWS).map(matched).collect(),
            first_excluded: drawn.iter().filter(|c| c.outcome.is_err()).take(PREVIEW_ROWS).map(matched).collect(),
        };
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mailing.preview",
                patient_id: None,
                record_type: "mailing",
                record_id: None,
                detail: format!("{} matched, {} included", preview.matched, preview.included),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(preview)
    }

    async fn merge_context(&self, conn: &mut Connection, actor: &Actor, body: &str) -> Result<MergeContext> {
        let practice = medoffice_store::practice::get(conn, &actor.practice_id).await?;
        let providers = medoffice_store::practice::list_providers(conn, &actor.practice_id).await?;
        let now = self.now();
        let sender_title = match actor.role {
            Role::Admin => "Office manager".to_string(),
            other => other.label().to_string(),
        };
        Ok(MergeContext {
            today: actor.today(now),
            local_now: now.with_timezone(&actor.timezone).format("%Y-%m-%dT%H:%M").to_string(),
            practice,
            providers,
            sender_name: actor.display_name.clone(),
            sender_title,
            needs_provider: letters::fields_used(body).0.iter().any(|f| f.starts_with("provider.")),
        })
    }

    /// The merge values of one recipient: the fields [`rules::MAILING_FIELDS`] allows.
    async fn mailing_values(&self, conn: &mut Connection, ctx: &MergeContext, row: &CandidateRow) -> Result<MergeValues> {
        let mut v = MergeValues::new();
        v.set("letter.date", Some(ctx.today.format("%B %-d, %Y").to_string()));
        v.set("patient.full_name", Some(full_name(row)));
        v.set("patient.given_name", Some(row.given_name.clone()));
        v.set("patient.family_name", Some(row.family_name.clone()));
        v.set("patient.birth_date", NaiveDate::parse_from_str(&row.birth_date, "%Y-%m-%d").ok().map(|d| d.format("%m/%d/%Y").to_string()));
        v.set("patient.mrn", Some(row.mrn.clone()));
        v.set("patient.address", address_of(row).lines().map(|l| l.join("\n")));
        v.set("patient.phone", preferred_phone(row));
        v.set("patient.email", row.email.clone());
        v.set("practice.name", Some(ctx.practice.name.clone()));
        let practice_line = practice_lines(&ctx.practice).join(", ");
        v.set("practice.address", Some(practice_line));
        v.set("practice.phone", ctx.practice.phone.clone());
        let provider = if ctx.needs_provider {
            // The usual provider of the appointments, else the one of the latest encounter.
            let id = match medoffice_store::messages::patient_usual_provider(conn, &ctx.practice.id, &row.id, &ctx.local_now).await? {
                Some(id) => Some(id),
                None => store::latest_encounter_provider(conn, &ctx.practice.id, &row.id).await?,
            };
            id.and_then(|id| ctx.providers.iter().find(|p| p.id == id))
        } else {
            None
        };
        v.set("provider.full_name", provider.map(provider_name));
        v.set("provider.npi", provider.map(|p| p.npi.clone()));
        v.set("sender.name", Some(ctx.sender_name.clone()));
        v.set("sender.title", Some(ctx.sender_title.clone()));
        Ok(v)
    }

    /// Creates a mailing in one transaction: the mailing, every matched patient (recipients with
    /// their address and rendered text, excluded ones with the reason) and an outgoing mail
    /// entry per recipient. Nothing is e-mailed yet ([`App::send_mailing_emails`]). Audited.
    pub async fn create_mailing(&self, actor: &Actor, input: &MailingInput) -> Result<MailingView> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let mut e = ValidationErrors::new();
        let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            e.add("title", format!("give the mailing a title of at most {MAX_TITLE_CHARS} characters"));
        }
        // The text: a template's (as it reads today) or typed.
        let (template_key, body, text_field) = match input.template.trim() {
            "" => (None, input.body.replace("\r\n", "\n"), "body"),
            key => match self.letter_template(actor, key).await {
                Ok(t) => (Some(t.key), t.body, "template"),
                Err(AppError::Validation(v)) => {
                    e.errors.extend(v.errors);
                    (None, String::new(), "template")
                }
                Err(other) => return Err(other),
            },
        };
        if input.template.trim().is_empty() && body.trim().is_empty() {
            e.add("body", "write the text, or choose a letter template");
        } else if body.chars().count() > crate::letters::MAX_TEMPLATE_CHARS {
            e.add(text_field, format!("at most {} characters", crate::letters::MAX_TEMPLATE_CHARS));
        }
        if !body.trim().is_empty() {
            for problem in rules::check_text(&body) {
                e.add(text_field, problem);
            }
        }
        let mut tx = self.store.begin().await?;
        let filter = match self.checked_filter(&mut tx, actor, &input.filter).await {
            Ok(f) => Some(f),
            Err(AppError::Validation(v)) => {
                e.errors.extend(v.errors);
                None
            }
            Err(other) => return Err(other),
        };
        let Some(filter) = filter.filter(|_| e.is_empty()) else {
            return Err(e.into());
        };
        let drawn = self.draw(&mut tx, actor, &filter).await?;
        let ctx = self.merge_context(&mut tx, actor, &body).await?;
        // Render each recipient's text; a missing value excludes that patient, named.
        let mut rows: Vec<(CandidateRow, Rendered)> = Vec::new();
        for c in drawn {
            let outcome = match c.outcome {
                Err(reason) => Err((reason, None)),
                Ok(address) => {
                    let values = self.mailing_values(&mut tx, &ctx, &c.row).await?;
                    match letters::render(&body, &values, Output::Plain) {
                        Ok(text) => Ok((address, text)),
                        Err(problems) => {
                            Err((Exclusion::MergeFields, Some(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))))
                        }
                    }
                }
            };
            rows.push((c.row, outcome));
        }
        let included = rows.iter().filter(|(_, o)| o.is_ok()).count();
        if included == 0 {
            return Err(ValidationErrors::single(
                "filter",
                format!("no patient would receive this mailing ({} matched, all excluded)", rows.len()),
            )
            .into());
        }
        let mailing = MailingRow {
            practice_id: actor.practice_id.clone(),
            id: new_id(),
            title: title.clone(),
            channel: filter.channel.as_str().into(),
            filter_json: serde_json::to_string(&filter.to_input()).map_err(|e| AppError::Internal(e.to_string()))?,
            template_key,
            body,
            recipient_count: i64::try_from(included).unwrap_or(i64::MAX),
            excluded_count: i64::try_from(rows.len() - included).unwrap_or(i64::MAX),
            created_by: actor.username.clone(),
            created_at: self.now_text(),
        };
        store::insert_mailing(&mut tx, &mailing).await?;
        for (seq, (row, outcome)) in rows.iter().enumerate() {
            let name = full_name(row);
            let mut r = RecipientRow {
                practice_id: actor.practice_id.clone(),
                mailing_id: mailing.id.clone(),
                patient_id: row.id.clone(),
                seq: i64::try_from(seq).unwrap_or(i64::MAX),
                channel: mailing.channel.clone(),
                name: name.clone(),
                address: None,
                excluded_reason: None,
                excluded_detail: None,
                body: None,
                outgoing_mail_id: None,
                email_status: None,
                email_error: None,
                emailed_at: None,
            };
            match outcome {
                Err((reason, detail)) => {
                    r.excluded_reason = Some(reason.as_str().into());
                    r.excluded_detail = detail.clone();
                }
                Ok((address, text)) => {
                    let email = filter.channel == Channel::Email;
                    let logged = self
                        .log_outgoing_in(
                            &mut tx,
                            actor,
                            &OutgoingInput {
                                recipient: if email { address.join(" ") } else { name.clone() }.chars().take(200).collect(),
                                method: if email { "secure_email".into() } else { "usps_first_class".into() },
                                about_kind: "other".into(),
                                about_id: mailing.id.clone(),
                                patient_id: row.id.clone(),
                                description: format!("Mailing: {title}").chars().take(200).collect(),
                                ..Default::default()
                            },
                        )
                        .await?;
                    r.address = Some(address.join("\n"));
                    r.body = Some(text.clone());
                    r.outgoing_mail_id = Some(logged.id);
                    r.email_status = email.then(|| "pending".to_string());
                }
            }
            store::insert_recipient(&mut tx, &r).await?;
        }
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "mailing.create",
                patient_id: None,
                record_type: "mailing",
                record_id: Some(&mailing.id),
                detail: format!(
                    "{} by {}: {} recipients, {} excluded",
                    title, mailing.channel, mailing.recipient_count, mailing.excluded_count
                ),
            },
        )
        .await?;
        let recipients = store::recipients_of(&mut tx, &actor.practice_id, &mailing.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(mailing_view(&mailing, &recipients))
    }

    /// The practice's mailings, newest first (titles and counts only).
    pub async fn mailings(&self, actor: &Actor) -> Result<Vec<MailingSummary>> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let mut tx = self.store.begin().await?;
        let rows = store::list_mailings(&mut tx, &actor.practice_id, 100).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(rows.iter().map(summary).collect())
    }

    /// One mailing with its recipients and excluded patients. Audited.
    pub async fn mailing(&self, actor: &Actor, id: &str) -> Result<MailingView> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let mut tx = self.store.begin().await?;
        let (m, recipients) = self.load_mailing(&mut tx, actor, id, "mailing.read").await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(mailing_view(&m, &recipients))
    }

    async fn load_mailing(&self, conn: &mut Connection, actor: &Actor, id: &str, action: &str) -> Result<(MailingRow, Vec<RecipientRow>)> {
        let m = store::get_mailing(conn, &actor.practice_id, id.trim()).await?;
        let recipients = store::recipients_of(conn, &actor.practice_id, &m.id).await?;
        self.audit(
            conn,
            actor,
            AuditNote {
                action,
                patient_id: None,
                record_type: "mailing",
                record_id: Some(&m.id),
                detail: format!("{} recipients", m.recipient_count),
            },
        )
        .await?;
        Ok((m, recipients))
    }

    /// A postal mailing's recipients, in print order: (name and address lines, rendered text).
    async fn postal_pieces(&self, actor: &Actor, id: &str, action: &str) -> Result<(PracticeRow, Vec<(Vec<String>, String)>)> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let mut tx = self.store.begin().await?;
        let (m, recipients) = self.load_mailing(&mut tx, actor, id, action).await?;
        if action != "mailing.fliers" && m.channel != Channel::Postal.as_str() {
            return Err(AppError::Conflict("this mailing goes by e-mail: it has no labels or envelopes".into()));
        }
        let practice = medoffice_store::practice::get(&mut tx, &actor.practice_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let pieces = recipients
            .iter()
            .filter(|r| r.excluded_reason.is_none())
            .map(|r| {
                let mut lines = vec![r.name.clone()];
                if m.channel == Channel::Postal.as_str() {
                    lines.extend(r.address.as_deref().unwrap_or_default().lines().map(str::to_string));
                }
                (lines, r.body.clone().unwrap_or_default())
            })
            .collect();
        Ok((practice, pieces))
    }

    /// The recipients' address labels on Avery 5160 sheets. Audited.
    pub async fn mailing_labels_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        let (_, pieces) = self.postal_pieces(actor, id, "mailing.labels").await?;
        let labels: Vec<Vec<String>> = pieces.into_iter().map(|(lines, _)| lines).collect();
        Ok(labels::avery_5160(&labels))
    }

    /// One #10 envelope per recipient, the practice's return address on each. Audited.
    pub async fn mailing_envelopes_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        let (practice, pieces) = self.postal_pieces(actor, id, "mailing.envelopes").await?;
        let mut back = vec![practice.name.clone()];
        back.extend(practice_lines(&practice));
        let recipients: Vec<Vec<String>> = pieces.into_iter().map(|(lines, _)| lines).collect();
        Ok(labels::envelopes_10(&back, &recipients))
    }

    /// The fliers as printed: each recipient's text on the letterhead, one after the other, in
    /// the labels' order. Audited.
    pub async fn mailing_fliers_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>> {
        let (practice, pieces) = self.postal_pieces(actor, id, "mailing.fliers").await?;
        let mut lines = vec![practice_lines(&practice).join(", ")];
        if let Some(phone) = &practice.phone {
            lines.push(format!("Phone {phone}"));
        }
        lines.retain(|l| !l.is_empty());
        let head = Letterhead { practice_name: practice.name.clone(), lines };
        let pages: Vec<LetterPage> =
            pieces.into_iter().map(|(_, body)| LetterPage { body, signer_name: String::new(), signer_title: String::new() }).collect();
        // The practice's logo on every page, as on its letters.
        let logo = {
            let mut conn = self.store.pool().acquire().await.map_err(StoreError::from)?;
            self.letterhead_logo_in(&mut conn, &actor.practice_id).await?
        };
        Ok(letters_pdf_with_logo(&head, logo.as_ref(), &pages))
    }

    /// Labels or envelopes straight from a filter (postal, whatever channel it names), without
    /// creating a mailing. Audited.
    pub async fn filter_labels_pdf(&self, actor: &Actor, input: &FilterInput, envelopes: bool) -> Result<Vec<u8>> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let postal = FilterInput { channel: Channel::Postal.as_str().into(), ..input.clone() };
        let mut tx = self.store.begin().await?;
        let filter = self.checked_filter(&mut tx, actor, &postal).await?;
        let drawn = self.draw(&mut tx, actor, &filter).await?;
        let practice = medoffice_store::practice::get(&mut tx, &actor.practice_id).await?;
        let pieces: Vec<Vec<String>> = drawn
            .iter()
            .filter_map(|c| c.outcome.as_ref().ok().map(|lines| std::iter::once(full_name(&c.row)).chain(lines.iter().cloned()).collect()))
            .collect();
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: if envelopes { "mailing.filter_envelopes" } else { "mailing.filter_labels" },
                patient_id: None,
                record_type: "mailing",
                record_id: None,
                detail: format!("{} addresses", pieces.len()),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if envelopes {
            let mut back = vec![practice.name.clone()];
            back.extend(practice_lines(&practice));
            Ok(labels::envelopes_10(&back, &pieces))
        } else {
            Ok(labels::avery_5160(&pieces))
        }
    }

    /// Sends an e-mail mailing's pending messages through the practice's mail server, one by
    /// one, each marked sent or failed in its own transaction (audited), so a second run sends
    /// only what is still pending. Stops, leaving the rest pending, when the server cannot be
    /// reached.
    pub async fn send_mailing_emails(&self, actor: &Actor, id: &str) -> Result<SendReport> {
        self.authorize(actor, Action::SendMailings, None).await?;
        let (m, recipients, practice, smtp) = {
            let mut tx = self.store.begin().await?;
            let (m, recipients) = self.load_mailing(&mut tx, actor, id, "mailing.send").await?;
            let practice = medoffice_store::practice::get(&mut tx, &actor.practice_id).await?;
            let smtp = medoffice_store::reminders::get_smtp(&mut tx, &actor.practice_id).await?;
            tx.commit().await.map_err(StoreError::from)?;
            (m, recipients, practice, smtp)
        };
        if m.channel != Channel::Email.as_str() {
            return Err(AppError::Conflict("this mailing goes by post: print its labels and fliers instead".into()));
        }
        let Some(config) = smtp.as_ref().and_then(crate::reminders::smtp_config) else {
            return Err(AppError::Conflict("e-mail is not set up for the practice yet (Admin → E-mail)".into()));
        };
        let footer = match &practice.phone {
            Some(phone) => {
                format!("\n\n--\n{}\nTo receive no more mailings by e-mail, reply to this message or call {phone}.\n", practice.name)
            }
            None => format!("\n\n--\n{}\nTo receive no more mailings by e-mail, reply to this message.\n", practice.name),
        };
        let mut report = SendReport::default();
        for r in recipients.iter().filter(|r| r.email_status.as_deref() == Some("pending")) {
            let (Some(to), Some(body)) = (r.address.clone(), r.body.clone()) else { continue };
            let email =
                crate::mailer::Email { to, to_name: Some(r.name.clone()), subject: m.title.clone(), body: format!("{body}{footer}") };
            let outcome = crate::mailer::send(&config, &email).await;
            if let Err(e) = &outcome
                && e.server_unreachable
            {
                report.stopped = Some(e.message.clone());
                break;
            }
            let mut tx = self.store.begin().await?;
            let (status, error) = match &outcome {
                Ok(_) => ("sent", None),
                Err(e) => ("failed", Some(e.message.as_str())),
            };
            if store::set_email_status(&mut tx, &actor.practice_id, &m.id, &r.patient_id, status, error, &self.now_text()).await? {
                self.audit(
                    &mut tx,
                    actor,
                    AuditNote {
                        action: "mailing.email",
                        patient_id: Some(&r.patient_id),
                        record_type: "mailing",
                        record_id: Some(&m.id),
                        detail: match error {
                            None => format!("sent to {}", email.to),
                            Some(e) => format!("to {} failed: {e}", email.to),
                        },
                    },
                )
                .await?;
                if outcome.is_ok() {
                    report.sent += 1;
                } else {
                    report.failed += 1;
                }
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        Ok(report)
    }

    /// A patient's mailing opt-outs. Audited.
    pub async fn mailing_preferences(&self, actor: &Actor, patient_id: &str) -> Result<MailingPreferences> {
        self.authorize(actor, Action::ReadPatient, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let prefs = self.preferences_in(&mut tx, actor, patient_id).await?;
        self.audit(
            &mut tx,
            actor,
            AuditNote {
                action: "patient.mailing_preferences.read",
                patient_id: Some(&prefs.patient_id),
                record_type: "patient",
                record_id: Some(&prefs.patient_id),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(prefs)
    }

    async fn preferences_in(&self, conn: &mut Connection, actor: &Actor, patient_id: &str) -> Result<MailingPreferences> {
        let patient = medoffice_store::patients::get(conn, &actor.practice_id, patient_id.trim()).await?;
        let rows = store::opt_outs_of(conn, &actor.practice_id, &patient.id).await?;
        let of = |channel: &str| rows.iter().find(|o| o.channel == channel).map(|o| (o.set_at.clone(), o.set_by.clone()));
        Ok(MailingPreferences {
            patient_name: format!("{} {}", patient.given_name, patient.family_name),
            postal_opt_out: of("postal"),
            email_opt_out: of("email"),
            patient_id: patient.id,
        })
    }

    /// Sets or clears a patient's opt-outs of postal and e-mail mailings, each change audited
    /// with who and when.
    pub async fn set_mailing_opt_outs(&self, actor: &Actor, patient_id: &str, input: OptOutInput) -> Result<MailingPreferences> {
        self.authorize(actor, Action::EditPatient, Some(patient_id)).await?;
        let mut tx = self.store.begin().await?;
        let patient = medoffice_store::patients::get(&mut tx, &actor.practice_id, patient_id.trim()).await?;
        if patient.merged_into.is_some() {
            return Err(AppError::Conflict("this record was merged into another; change the surviving record instead".into()));
        }
        for (channel, wanted) in [(Channel::Postal, input.postal), (Channel::Email, input.email)] {
            let changed = if wanted {
                store::set_opt_out(
                    &mut tx,
                    &OptOutRow {
                        practice_id: actor.practice_id.clone(),
                        patient_id: patient.id.clone(),
                        channel: channel.as_str().into(),
                        set_at: self.now_text(),
                        set_by: actor.username.clone(),
                    },
                )
                .await?
            } else {
                store::clear_opt_out(&mut tx, &actor.practice_id, &patient.id, channel.as_str()).await?
            };
            if changed {
                self.audit(
                    &mut tx,
                    actor,
                    AuditNote {
                        action: if wanted { "patient.mailing_opt_out.set" } else { "patient.mailing_opt_out.clear" },
                        patient_id: Some(&patient.id),
                        record_type: "patient",
                        record_id: Some(&patient.id),
                        detail: channel.as_str().into(),
                    },
                )
                .await?;
            }
        }
        let prefs = self.preferences_in(&mut tx, actor, &patient.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(prefs)
    }
}

fn mailing_view(m: &MailingRow, rows: &[RecipientRow]) -> MailingView {
    let filter = serde_json::from_str::<FilterInput>(&m.filter_json).unwrap_or_default();
    let status = |s: &str| rows.iter().filter(|r| r.email_status.as_deref() == Some(s)).count();
    MailingView {
        summary: summary(m),
        filter,
        template_key: m.template_key.clone(),
        body: m.body.clone(),
        recipients: rows.iter().filter(|r| r.excluded_reason.is_none()).map(recipient_view).collect(),
        excluded: rows.iter().filter(|r| r.excluded_reason.is_some()).map(recipient_view).collect(),
        emails_pending: status("pending"),
        emails_sent: status("sent"),
        emails_failed: status("failed"),
    }
}
