//! A real SMTP server on 127.0.0.1 for the reminder tests: a small tokio TCP server that speaks
//! enough of RFC 5321 (greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-stuffing, RSET,
//! NOOP, QUIT) for lettre to deliver a message, and records what it accepted. It can be told to
//! refuse recipients with a 5xx reply, and [`closed_port`] gives a port where nothing listens.
//! It serves only the loopback address and stops when dropped.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Headers and body as sent after DATA (dot-stuffing undone, CRLF line ends).
    pub data: String,
}

impl Received {
    /// The value of the first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
            }
        }
        value
    }

    /// The body, with CRLF turned into LF.
    pub fn body(&self) -> String {
        self.data.split_once("\r\n\r\n").map(|(_, b)| b.replace("\r\n", "\n")).unwrap_or_default()
    }
}

/// How the server answers `RCPT TO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// `550 5.1.1 ... mailbox unavailable`.
    RejectRecipients,
}

#[derive(Debug)]
struct Shared {
    mode: Mode,
    received: Vec<Received>,
    connections: usize,
}

/// The running server.
pub struct SmtpListener {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpListener {
    /// Starts a server on 127.0.0.1 on a free port.
    pub async fn start(mode: Mode) -> SmtpListener {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Mutex::new(Shared { mode, received: Vec::new(), connections: 0 }));
        let state = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                state.lock().unwrap().connections += 1;
                let state = state.clone();
                tokio::spawn(async move {
                    let _ = session(stream, state).await;
                });
            }
        });
        SmtpListener { port, shared, task }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = mode;
    }

    /// The messages accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// How many connections were made.
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}

/// The largest message the server takes; a guard, as real servers have.
const MAX_DATA_BYTES: usize = 1024 * 1024;

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 127.0.0.1 medoffice-test ESMTP ready\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']).to_string();
        let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-127.0.0.1 greets you\r\n250-8BITMIME\r\n250-SIZE 1048576\r\n250 SMTPUTF8\r\n".into(),
            "HELO" => "250 127.0.0.1\r\n".into(),
            "MAIL" => {
                mail_from = angle_address(&command);
                rcpt_to.clear();
                "250 2.1.0 OK\r\n".into()
            }
            "RCPT" => {
                let to = angle_address(&command);
                if shared.lock().unwrap().mode == Mode::RejectRecipients {
                    format!("550 5.1.1 <{to}>: mailbox unavailable\r\n")
                } else {
                    rcpt_to.push(to);
                    "250 2.1.5 OK\r\n".into()
                }
            }
            "DATA" => {
                if rcpt_to.is_empty() {
                    "554 5.5.1 no valid recipients\r\n".into()
                } else {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        let text = line.trim_end_matches(['\r', '\n']);
                        if text == "." {
                            break;
                        }
                        let text = text.strip_prefix('.').unwrap_or(text);
                        if data.len() + text.len() < MAX_DATA_BYTES {
                            data.push_str(text);
                            data.push_str("\r\n");
                        }
                    }
                    let mut state = shared.lock().unwrap();
                    state.received.push(Received { mail_from: mail_from.clone(), rcpt_to: std::mem::take(&mut rcpt_to), data });
                    format!("250 2.0.0 OK queued as {}\r\n", state.received.len())
                }
            }
            "RSET" => {
                rcpt_to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a@b> SIZE=...`.
fn angle_address(command: &str) -> String {
    let start = command.find('<').map(|i| i + 1).unwrap_or(0);
    let end = command[start..].find('>').map(|i| i + start).unwrap_or(command.len());
    command[start..end].to_string()
}
