//! Sending one e-mail through the practice's SMTP server (lettre, over tokio and rustls).
//!
//! The answer is the server's own words either way: the reply that accepted the message, or the
//! error (connection refused, a TLS failure, `550 mailbox unavailable`...). A message counts as
//! sent only when the server accepted it after `DATA`; there is no queue in between that could
//! report success for a message that never left.
//!
//! A message with attachments ([`send_with_attachments`], a letter's PDF) is `multipart/mixed`:
//! the plain-text body first, so a reader that shows no attachments still has the words, then
//! each file base64-encoded with its name and type.

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP command may take before the attempt fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a whole attempt (connect, TLS, authenticate, send) may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(90);

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP: only for a relay on the same machine or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS; a server that does not offer it is refused.
    StartTls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

impl Security {
    pub const ALL: [Security; 3] = [Security::StartTls, Security::Tls, Security::None];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Security::None => "None (plain SMTP, local relay only)",
            Security::StartTls => "STARTTLS (usually port 587)",
            Security::Tls => "Implicit TLS (usually port 465)",
        }
    }

    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }

    pub fn parse(text: &str) -> Result<Security, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(Security::None),
            "starttls" | "" => Ok(Security::StartTls),
            "tls" | "ssl" | "smtps" | "implicit_tls" => Ok(Security::Tls),
            other => Err(format!("'{}' is not one of starttls, tls, none", other.chars().take(20).collect::<String>())),
        }
    }
}

/// Where and as whom to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: String,
}

/// One plain-text message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body: String,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name the recipient sees (`letter-2026-06-15.pdf`).
    pub file_name: String,
    /// `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    /// In words to show the office manager: the server's reply or the connection's error.
    pub message: String,
    /// The server could not be reached or talked to at all (refused, timed out, TLS failed), as
    /// opposed to a reply refusing this message: the next message would fare no better.
    pub server_unreachable: bool,
}

impl MailError {
    fn message_only(message: String) -> MailError {
        MailError { message, server_unreachable: false }
    }
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Sends `email`. `Ok` carries the server's reply accepting it (e.g. `250 OK queued as 12345`);
/// `Err` the reason it was not sent.
pub async fn send(config: &SmtpConfig, email: &Email) -> Result<String, MailError> {
    send_with_attachments(config, email, &[]).await
}

/// Sends `email` with `attachments` (none: the same plain-text message as [`send`]).
pub async fn send_with_attachments(config: &SmtpConfig, email: &Email, attachments: &[Attachment]) -> Result<String, MailError> {
    let message = build_with_attachments(config, email, attachments).map_err(MailError::message_only)?;
    let transport = transport(config).map_err(|message| MailError { message, server_unreachable: true })?;
    match tokio::time::timeout(ATTEMPT_TIMEOUT, transport.send(message)).await {
        Err(_) => Err(MailError {
            message: format!("the mail server {}:{} did not finish within {} seconds", config.host, config.port, ATTEMPT_TIMEOUT.as_secs()),
            server_unreachable: true,
        }),
        // A reply with a code (550 mailbox unavailable, 452 too many recipients) is about this
        // message; anything else (refused, timed out, TLS) is about the server.
        Ok(Err(e)) => Err(MailError { message: describe_error(config, &e), server_unreachable: e.status().is_none() }),
        Ok(Ok(response)) => {
            let text = response.message().collect::<Vec<_>>().join(" ");
            Ok(format!("{} {}", response.code(), text).trim().to_string())
        }
    }
}

#[cfg(test)]
fn build(config: &SmtpConfig, email: &Email) -> Result<Message, String> {
    build_with_attachments(config, email, &[])
}

fn build_with_attachments(config: &SmtpConfig, email: &Email, attachments: &[Attachment]) -> Result<Message, String> {
    let from_address: Address =
        config.from_address.parse().map_err(|e| format!("the practice's From address '{}' is not valid: {e}", config.from_address))?;
    let to_address: Address = email.to.parse().map_err(|e| format!("the address '{}' is not valid: {e}", email.to))?;
    let domain = from_address.domain().to_string();
    let builder = Message::builder()
        .from(Mailbox::new(Some(config.from_name.clone()), from_address))
        .to(Mailbox::new(email.to_name.clone(), to_address))
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", uuid::Uuid::now_v7().simple())));
    let built = if attachments.is_empty() {
        builder.header(ContentType::TEXT_PLAIN).body(email.body.clone())
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(email.body.clone()));
        for a in attachments {
            let content_type = ContentType::parse(&a.content_type)
                .map_err(|e| format!("the attachment {} has no valid type '{}': {e}", a.file_name, a.content_type))?;
            parts = parts.singlepart(LettreAttachment::new(a.file_name.clone()).body(a.bytes.clone(), content_type));
        }
        builder.multipart(parts)
    };
    built.map_err(|e| format!("the message could not be built: {e}"))
}

fn transport(config: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = match config.security {
        Security::None => Tls::None,
        Security::StartTls => Tls::Required(tls_parameters(&config.host)?),
        Security::Tls => Tls::Wrapper(tls_parameters(&config.host)?),
    };
    // The EHLO name: the From address's domain, a name the server can look up (lettre's default,
    // "localhost", is refused by some servers).
    let hello = config.from_address.rsplit_once('@').map(|(_, d)| d.to_string()).filter(|d| !d.is_empty());
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
        .port(config.port)
        .tls(tls)
        .timeout(Some(COMMAND_TIMEOUT));
    if let Some(domain) = hello {
        builder = builder.hello_name(ClientId::Domain(domain));
    }
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new_rustls(host.to_string()).map_err(|e| format!("TLS cannot be set up for {host}: {e}"))
}

/// lettre's error with the server named, and its causes (a refused connection says so).
fn describe_error(config: &SmtpConfig, e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    format!("{}:{}: {text}", config.host, config.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_parses_its_names_and_common_aliases() {
        assert_eq!(Security::parse("starttls"), Ok(Security::StartTls));
        assert_eq!(Security::parse("SSL"), Ok(Security::Tls));
        assert_eq!(Security::parse("none"), Ok(Security::None));
        assert!(Security::parse("maybe").is_err());
        for s in Security::ALL {
            assert_eq!(Security::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn a_bad_recipient_is_refused_before_any_connection() {
        let config = SmtpConfig {
            host: "127.0.0.1".into(),
            port: 1,
            security: Security::None,
            username: None,
            password: None,
            from_address: "office@example.com".into(),
            from_name: "Office".into(),
        };
        let email = Email { to: "not an address".into(), to_name: None, subject: "s".into(), body: "b".into() };
        let err = build(&config, &email).err().unwrap_or_default();
        assert!(err.contains("not an address"), "{err}");
    }

    #[test]
    fn a_message_with_an_attachment_is_multipart_mixed_with_the_text_first_and_the_file_in_base64() {
        let config = SmtpConfig {
            host: "127.0.0.1".into(),
            port: 1,
            security: Security::None,
            username: None,
            password: None,
            from_address: "office@example.com".into(),
            from_name: "Office".into(),
        };
        let email = Email { to: "pat@example.com".into(), to_name: None, subject: "Your letter".into(), body: "Dear Pat,".into() };
        let file = Attachment {
            file_name: "letter.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        };
        let Ok(message) = build_with_attachments(&config, &email, std::slice::from_ref(&file)) else { unreachable!("the message builds") };
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(raw.contains("Content-Type: multipart/mixed"), "{raw}");
        let text_at = raw.find("Dear Pat,").unwrap_or(usize::MAX);
        let file_at = raw.find("filename=\"letter.pdf\"").unwrap_or(usize::MAX);
        assert!(text_at < file_at && file_at < usize::MAX, "{raw}");
        // A PDF is binary: base64, whole.
        assert!(raw.contains("Content-Type: application/pdf") && raw.contains("Content-Transfer-Encoding: base64"), "{raw}");
        assert!(raw.contains("JVBERi0xLjcKJeLjz9MK"), "{raw}");
        // A bad type is refused naming the file.
        let bad = Attachment { content_type: "not a type".into(), ..file };
        let err = build_with_attachments(&config, &email, &[bad]).err().unwrap_or_default();
        assert!(err.contains("letter.pdf"), "{err}");
    }
}
