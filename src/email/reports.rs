//! Queuing the report emails of a run: one email per address of each recipient group whose
//! schedule triggered the run, in the group's language, with the group's workbook attached.
//!
//! The scheduler decides which groups are due; this module only queues. The dedupe key
//! `report:{run_id}:{group}:{address}` makes queuing a run's emails twice harmless.

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

use super::outbox::{self, NewEmail};
use super::report_message::report_message;
use crate::config::{Config, WorkbookVariant};
use crate::report::Report;

/// A workbook the run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenWorkbook {
    pub variant: WorkbookVariant,
    /// The language it is written in.
    pub language: String,
    /// Its path relative to the reports folder.
    pub path: String,
}

/// What [`queue_report_emails`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReportEmails {
    /// Emails newly queued.
    pub queued: usize,
    /// Emails this run had already queued (the job ran again).
    pub already_queued: usize,
}

/// Queues the report emails of run `run_id` for the recipient groups named in `groups`.
///
/// Every group must exist in `[[recipients]]` and have its workbook among `workbooks` (same
/// variant, in the group's language, else in any language); otherwise nothing is queued and
/// the error names the group, so a run never mails half its recipients.
pub fn queue_report_emails(
    conn: &mut Connection,
    config: &Config,
    report: &Report,
    workbooks: &[WrittenWorkbook],
    run_id: i64,
    groups: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<ReportEmails> {
    let mut emails = Vec::new();
    for name in groups {
        let group = config
            .recipients
            .iter()
            .find(|recipient| &recipient.group == name)
            .with_context(|| format!("there is no recipient group {name:?} in [[recipients]]"))?;
        let workbook = workbooks
            .iter()
            .filter(|w| w.variant == group.workbook)
            .find(|w| w.language == group.language)
            .or_else(|| workbooks.iter().find(|w| w.variant == group.workbook))
            .with_context(|| {
                format!(
                    "recipient group {name:?} receives the {} workbook, which this run did not \
                     write",
                    variant_name(group.workbook)
                )
            })?;
        let file_name = workbook.path.rsplit('/').next().unwrap_or(&workbook.path);
        let rendered = report_message(report, &group.language, group.workbook, file_name);
        for address in &group.emails {
            emails.push(NewEmail {
                dedupe_key: format!("report:{run_id}:{}:{address}", group.group),
                recipient: address.clone(),
                subject: rendered.subject.clone(),
                body_text: rendered.text.clone(),
                body_html: rendered.html.clone(),
                attachment: Some(workbook.path.clone()),
            });
        }
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut counts = ReportEmails::default();
    for email in &emails {
        if outbox::queue(&tx, email, now).context("cannot queue a report email")? {
            counts.queued += 1;
        } else {
            counts.already_queued += 1;
        }
    }
    tx.commit()?;
    tracing::info!(
        run = run_id,
        queued = counts.queued,
        already_queued = counts.already_queued,
        "report emails queued"
    );
    Ok(counts)
}

fn variant_name(variant: WorkbookVariant) -> &'static str {
    match variant {
        WorkbookVariant::Donor => "donor",
        WorkbookVariant::Manager => "manager",
    }
}
