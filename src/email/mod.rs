//! Email: the outbox every email goes through, the transports that deliver it, and the emails
//! pantau writes (report emails to recipient groups; survey invitations and reminders to
//! participants).
//!
//! The flow: the job *queues* emails in the `email_outbox` table ([`queue_report_emails`],
//! [`queue_participant_emails`]); a sender *drains* the due ones ([`drain`]) through one
//! [`Transport`] chosen from `[smtp]`: SMTP, `.eml` files in the outbox folder, or memory for
//! tests. A mail server outage delays mail, with backoff, instead of losing it.
//!
//! Files: `outbox.rs` (the table: queue, claim, mark, retry), `backoff.rs` (retry delays),
//! `sender.rs` (drain), `transport.rs` (SMTP, file, memory), `mime.rs` (an outbox row as an
//! RFC 5322 message), `report_message.rs` and `participant_message.rs` (what the emails say,
//! pure functions), `words.rs` (dates and figures in words), `reports.rs` and
//! `participants.rs` (what the job queues).
//!
//! Invariants: logs carry outbox ids, statuses and counts, never an address, subject or body;
//! every email is in the outbox before any attempt to send it; the renderers do no I/O.

mod backoff;
mod mime;
mod outbox;
mod participant_message;
mod participants;
mod report_message;
mod reports;
mod sender;
mod transport;
mod words;

pub use backoff::{MAX_ATTEMPTS, MAX_DELAY, delay_after};
pub use mime::{XLSX_MIME, mime_type};
pub use outbox::{
    AfterFailure, Claimed, FailedEmail, LEASE, NewEmail, OutboxState, Retry, claim_next,
    mark_failed, mark_sent, mark_temporary_failure, queue, retry, state,
};
pub use participant_message::{ParticipantEmail, participant_message};
pub use participants::{OPT_OUT_PATH, ParticipantEmails, opt_out_url, queue_participant_emails};
pub use report_message::report_message;
pub use reports::{ReportEmails, WrittenWorkbook, queue_report_emails};
pub use sender::{Drained, drain, sender_address};
pub use transport::{Mailbox, SMTP_TIMEOUT, SendError, Transport, TransportError, eml_path};

/// An email's subject and bodies, as a renderer writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML alternative.
    pub html: Option<String>,
}
