//! An outbox row as an RFC 5322 message: headers, a plain-text body with its HTML alternative,
//! and the attached workbook.
//!
//! The structure is the usual one mail clients expect: `multipart/mixed` holding a
//! `multipart/alternative` (text first, HTML last, the richest part last as RFC 2046 asks) and
//! the attachment; without an attachment the alternative is the whole body, and without HTML
//! the text is. lettre encodes UTF-8 subjects and bodies.

use std::path::{Component, Path};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::outbox::Claimed;

/// The MIME type of an `.xlsx` workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The MIME type for an attachment file name, by its extension.
pub fn mime_type(file_name: &str) -> &'static str {
    let extension = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("xlsx") => XLSX_MIME,
        Some("csv") => "text/csv",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Builds the message for a claimed outbox email, dated `now`. The error says what is wrong
/// with the row (an address, the attachment); such an email cannot be sent as it stands.
pub fn build(
    email: &Claimed,
    from: &Mailbox,
    reports_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Message, String> {
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|e| format!("the recipient address is not valid: {e}"))?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.as_str())
        .date(SystemTime::from(now))
        .message_id(Some(message_id(email, from)));
    let text = SinglePart::plain(email.body_text.clone());
    let alternative = |html: &String| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(SinglePart::html(html.clone()))
    };
    let built = match (&email.body_html, &email.attachment) {
        (None, None) => builder.singlepart(text.clone()),
        (Some(html), None) => builder.multipart(alternative(html)),
        (html, Some(relative)) => {
            let attachment = attachment(reports_dir, relative)?;
            let mixed = match html {
                Some(html) => MultiPart::mixed().multipart(alternative(html)),
                None => MultiPart::mixed().singlepart(text.clone()),
            };
            builder.multipart(mixed.singlepart(attachment))
        }
    };
    built.map_err(|e| format!("cannot build the message: {e}"))
}

/// A Message-ID that stays the same across attempts (the outbox id and queuing time), so that
/// a resend after a crash is recognised as the same message.
fn message_id(email: &Claimed, from: &Mailbox) -> String {
    let stamp: String = email
        .created_at
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("<pantau.{}.{stamp}@{}>", email.id, from.email.domain())
}

/// Reads the file `relative` inside the reports folder as an attachment. Paths that would
/// leave the folder are refused: the outbox is filled by pantau, but a database edited by hand
/// must not be able to mail out any file on the server.
fn attachment(reports_dir: &Path, relative: &str) -> Result<SinglePart, String> {
    let path = Path::new(relative);
    let inside = path
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    if !inside || relative.is_empty() {
        return Err(format!(
            "the attachment {relative} is not a path inside the reports folder"
        ));
    }
    let full = reports_dir.join(path);
    let bytes = std::fs::read(&full)
        .map_err(|e| format!("cannot read the attachment {}: {e}", full.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| relative.to_string());
    let content_type = ContentType::parse(mime_type(&name))
        .map_err(|e| format!("bad attachment type for {name}: {e}"))?;
    Ok(Attachment::new(name).body(bytes, content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(attachment: Option<&str>, html: bool) -> Claimed {
        Claimed {
            id: 3,
            recipient: "sari@example.org".into(),
            subject: "Laporan Promise II — November".into(),
            body_text: "Halo Sari".into(),
            body_html: html.then(|| "<p>Halo Sari</p>".into()),
            attachment: attachment.map(Into::into),
            attempts: 1,
            created_at: "2026-11-29T01:00:00Z".into(),
        }
    }

    fn from() -> Mailbox {
        "Pantau <pantau@example.org>".parse().unwrap()
    }

    #[test]
    fn text_html_and_workbook_make_a_mixed_message() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.xlsx"), b"PK fake").unwrap();
        let message = build(
            &claimed(Some("book.xlsx"), true),
            &from(),
            dir.path(),
            Utc::now(),
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(text.contains("multipart/mixed"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains(XLSX_MIME), "{text}");
        assert!(text.contains("Message-ID: <pantau.3.20261129010000@example.org>"));
        // The non-ASCII subject is encoded, not sent raw.
        assert!(!text.contains("Subject: Laporan Promise II —"), "{text}");
    }

    #[test]
    fn attachments_outside_the_reports_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["../secret.xlsx", "/etc/passwd", ""] {
            let err =
                build(&claimed(Some(path), true), &from(), dir.path(), Utc::now()).unwrap_err();
            assert!(
                err.contains("not a path inside the reports folder"),
                "{err}"
            );
        }
        let err = build(
            &claimed(Some("gone.xlsx"), false),
            &from(),
            dir.path(),
            Utc::now(),
        )
        .unwrap_err();
        assert!(err.contains("cannot read the attachment"), "{err}");
    }

    #[test]
    fn a_bad_recipient_is_an_error_without_sending() {
        let mut email = claimed(None, false);
        email.recipient = "not an address".into();
        let err = build(&email, &from(), Path::new("."), Utc::now()).unwrap_err();
        assert!(err.contains("recipient address is not valid"), "{err}");
    }
}
