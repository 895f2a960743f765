//! How an email leaves pantau: one [`Transport`], chosen from the configuration.
//!
//! - **SMTP** (`[smtp] host` set): lettre's blocking SMTP client, with STARTTLS, TLS from the
//!   first byte, or no encryption for a relay on the same machine; the password comes from
//!   `PANTAU_SMTP_PASSWORD`; every command times out after [`SMTP_TIMEOUT`].
//! - **File** (no host, the default): each email is written as an RFC 5322 `.eml` file into
//!   the outbox folder, so a first run with no mail server still shows what would be sent.
//! - **Memory**: for unit tests, which read back what was sent.
//!
//! Failures are sorted into temporary (no connection, a timeout, an SMTP 4xx reply: try again
//! later) and permanent (an SMTP 5xx reply: trying again will not help).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::Message;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as SmtpTls, TlsParameters};
use lettre::{SmtpTransport, Transport as _};

use crate::config::{Config, Secrets, Tls};

/// How long the SMTP client waits for the server at each step (connecting, each command).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why one email could not be handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the server was unreachable or answered 4xx.
    #[error("{0}")]
    Temporary(String),
    /// Trying again will not help: the server answered 5xx.
    #[error("{0}")]
    Permanent(String),
}

/// Why the transport could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A login name without a password.
    #[error(
        "smtp.username is set but the environment variable PANTAU_SMTP_PASSWORD is not: \
         set it to the SMTP password, or remove smtp.username for a server without login"
    )]
    MissingPassword,
    /// A password without a login name: probably a forgotten `username`.
    #[error("PANTAU_SMTP_PASSWORD is set but smtp.username is not: add smtp.username")]
    MissingUsername,
    /// lettre could not prepare TLS for the host.
    #[error("cannot prepare TLS for the SMTP host {host}: {message}")]
    Tls { host: String, message: String },
}

/// Emails kept in memory by [`Transport::Memory`]: each one as the bytes an SMTP server would
/// have received. Clones share the same list.
#[derive(Debug, Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Vec<u8>>>>);

impl Mailbox {
    /// The emails received so far, in order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.0.lock().map(|list| list.clone()).unwrap_or_default()
    }
}

/// Where emails go.
pub enum Transport {
    /// A mail server.
    Smtp {
        client: Box<SmtpTransport>,
        /// `host:port`, for messages.
        server: String,
    },
    /// `.eml` files in this folder.
    File(PathBuf),
    /// A list in memory (tests).
    Memory(Mailbox),
}

impl std::fmt::Debug for Transport {
    /// Names the destination only: the SMTP client holds the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Transport {
    /// The transport the configuration asks for: SMTP when `[smtp] host` is set, else files in
    /// the outbox folder.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Transport, TransportError> {
        let smtp = &config.smtp;
        let Some(host) = smtp.host.as_deref() else {
            return Ok(Transport::File(config.outbox_dir()));
        };
        let tls_parameters = || {
            TlsParameters::new(host.to_string()).map_err(|e| TransportError::Tls {
                host: host.to_string(),
                message: e.to_string(),
            })
        };
        let tls = match smtp.tls {
            Tls::Starttls => SmtpTls::Required(tls_parameters()?),
            Tls::Tls => SmtpTls::Wrapper(tls_parameters()?),
            Tls::None => SmtpTls::None,
        };
        let mut builder = SmtpTransport::builder_dangerous(host)
            .port(smtp.port())
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        match (&smtp.username, &secrets.smtp_password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (Some(_), None) => return Err(TransportError::MissingPassword),
            (None, Some(_)) => return Err(TransportError::MissingUsername),
            (None, None) => {}
        }
        Ok(Transport::Smtp {
            client: Box::new(builder.build()),
            server: format!("{host}:{}", smtp.port()),
        })
    }

    /// A transport that keeps emails in memory, and the list they go to.
    pub fn memory() -> (Transport, Mailbox) {
        let mailbox = Mailbox::default();
        (Transport::Memory(mailbox.clone()), mailbox)
    }

    /// Where emails go, for people: `SMTP smtp.example.org:587`, `files in /srv/outbox`.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { server, .. } => format!("SMTP {server}"),
            Transport::File(dir) => format!("files in {}", dir.display()),
            Transport::Memory(_) => "memory".to_string(),
        }
    }

    /// Hands over the outbox email `id` as `message`.
    pub fn send(&self, id: i64, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp { client, server } => client
                .send(message)
                .map(|_| ())
                .map_err(|e| classify(server, &e)),
            Transport::File(dir) => write_eml(dir, id, &message.formatted()),
            Transport::Memory(mailbox) => {
                let mut list = mailbox
                    .0
                    .lock()
                    .map_err(|_| SendError::Temporary("the memory mailbox is poisoned".into()))?;
                list.push(message.formatted());
                Ok(())
            }
        }
    }
}

/// Sorts an SMTP failure. A reply from the server is temporary when 4xx and permanent when
/// 5xx; anything else (no connection, a timeout, a TLS failure, a dropped connection) is
/// temporary, since the server may be back later.
fn classify(server: &str, error: &lettre::transport::smtp::Error) -> SendError {
    let message = format!("SMTP {server}: {error}");
    if error.is_permanent() {
        SendError::Permanent(message)
    } else {
        SendError::Temporary(message)
    }
}

/// The file an outbox email is written to. Named after the outbox id, so that sending the
/// same email again replaces the file instead of adding a second one.
pub fn eml_path(dir: &Path, id: i64) -> PathBuf {
    dir.join(format!("email-{id:06}.eml"))
}

/// Writes `bytes` to `email-{id}.eml` atomically: into a temporary file in the same folder,
/// flushed to disk, then renamed, so a reader never sees half an email.
fn write_eml(dir: &Path, id: i64, bytes: &[u8]) -> Result<(), SendError> {
    let fail = |what: &str, path: &Path, e: std::io::Error| {
        SendError::Temporary(format!("cannot {what} {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("create the outbox folder", dir, e))?;
    let target = eml_path(dir, id);
    let temporary = dir.join(format!(".email-{id:06}.eml.tmp"));
    let mut file = std::fs::File::create(&temporary).map_err(|e| fail("create", &temporary, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail("write", &temporary, e))?;
    drop(file);
    std::fs::rename(&temporary, &target).map_err(|e| fail("rename into", &target, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message::builder()
            .from("Pantau <pantau@localhost>".parse().unwrap())
            .to("staff@example.org".parse().unwrap())
            .subject("Laporan")
            .body("Halo".to_string())
            .unwrap()
    }

    #[test]
    fn without_a_host_emails_become_files_in_the_outbox_folder() {
        let config = Config::default();
        let transport = Transport::from_config(&config, &Secrets::default()).unwrap();
        assert!(matches!(&transport, Transport::File(dir) if *dir == config.outbox_dir()));
    }

    #[test]
    fn a_username_needs_the_password_from_the_environment() {
        let text = "[smtp]\nhost = \"smtp.example.org\"\nusername = \"pantau\"\n";
        let config = Config::from_toml(text, Path::new("pantau.toml")).unwrap();
        let err = Transport::from_config(&config, &Secrets::default()).unwrap_err();
        assert!(err.to_string().contains("PANTAU_SMTP_PASSWORD"), "{err}");
        let secrets = Secrets {
            smtp_password: Some("secret".into()),
            session_key: None,
        };
        let transport = Transport::from_config(&config, &secrets).unwrap();
        assert_eq!(transport.describe(), "SMTP smtp.example.org:587");
        assert!(!format!("{transport:?}").contains("secret"));
    }

    #[test]
    fn the_file_transport_replaces_the_file_of_a_resent_email() {
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::File(dir.path().to_path_buf());
        transport.send(7, &message()).unwrap();
        transport.send(7, &message()).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["email-000007.eml"]);
        let text = std::fs::read_to_string(eml_path(dir.path(), 7)).unwrap();
        assert!(text.contains("Subject: Laporan"), "{text}");
    }

    #[test]
    fn the_memory_transport_keeps_what_was_sent() {
        let (transport, mailbox) = Transport::memory();
        transport.send(1, &message()).unwrap();
        assert_eq!(mailbox.messages().len(), 1);
    }
}
