//! The invitation and reminder emails a participant receives: plain words, greeting by first
//! name, the personal link, why we ask and how long it takes, until when the survey is open,
//! and a link to stop these emails.
//!
//! Domain code: values in, text out. Indonesian first (participants' language); English when
//! the programme's default language is `en`.

use chrono::NaiveDate;
use maud::{DOCTYPE, html};

use super::Rendered;
use super::words;

/// What one participant email says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantEmail<'a> {
    /// `id` or `en`; anything else is Indonesian.
    pub language: &'a str,
    pub programme: &'a str,
    /// The participant's first name; `None` greets without a name.
    pub first_name: Option<&'a str>,
    /// The personal survey link.
    pub link: &'a str,
    /// The page where the participant stops these emails.
    pub opt_out_link: &'a str,
    /// The last day the survey takes answers.
    pub last_day: NaiveDate,
    /// How to reach the programme; empty for none.
    pub contact: &'a str,
    /// 0 for the invitation, 1, 2, … for the reminders.
    pub step: u32,
}

struct Texts {
    /// `{programme}`.
    subject_invitation: &'static str,
    /// `{programme}`, `{date}`.
    subject_reminder: &'static str,
    /// `{name}`.
    hello_name: &'static str,
    hello: &'static str,
    reminder_intro: &'static str,
    /// `{programme}`.
    why: &'static str,
    how_long: &'static str,
    open_link: &'static str,
    /// `{date}`.
    until: &'static str,
    personal: &'static str,
    /// `{contact}`.
    contact: &'static str,
    /// `{programme}`.
    regards: &'static str,
    opt_out: &'static str,
    opt_out_action: &'static str,
}

const INDONESIAN: Texts = Texts {
    subject_invitation: "{programme}: bagaimana kabar Anda setelah pelatihan?",
    subject_reminder: "Pengingat: survei {programme} terbuka sampai {date}",
    hello_name: "Halo {name},",
    hello: "Halo,",
    reminder_intro: "Kami belum menerima jawaban Anda. Jawaban Anda sangat berarti bagi kami.",
    why: "Kami dari tim {programme} ingin tahu kabar Anda setelah pelatihan: pekerjaan, \
          penghasilan, dan jaminan sosial (BPJS Ketenagakerjaan). Jawaban Anda membantu \
          program ini menjadi lebih baik bagi peserta berikutnya.",
    how_long: "Mengisinya hanya sekitar 10 menit. Anda bisa berhenti dan melanjutkan lagi \
               nanti lewat tautan yang sama.",
    open_link: "Buka tautan pribadi Anda:",
    until: "Survei terbuka sampai {date}.",
    personal: "Tautan ini khusus untuk Anda; mohon jangan dibagikan.",
    contact: "Ada pertanyaan? Hubungi {contact}.",
    regards: "Salam,\nTim {programme}",
    opt_out: "Tidak ingin menerima email survei ini lagi?",
    opt_out_action: "Berhenti menerima email",
};

const ENGLISH: Texts = Texts {
    subject_invitation: "{programme}: how are you doing since the training?",
    subject_reminder: "Reminder: the {programme} survey is open until {date}",
    hello_name: "Hello {name},",
    hello: "Hello,",
    reminder_intro: "We have not received your answers yet. They matter a lot to us.",
    why: "We are the {programme} team and would like to know how you are doing since the \
          training: your work, your income and your social security (BPJS \
          Ketenagakerjaan). Your answers help make the programme better for the next \
          participants.",
    how_long: "It takes about 10 minutes. You can stop and continue later with the same link.",
    open_link: "Open your personal link:",
    until: "The survey is open until {date}.",
    personal: "This link is only for you; please do not share it.",
    contact: "Questions? Contact {contact}.",
    regards: "Kind regards,\nThe {programme} team",
    opt_out: "Do not want these survey emails any more?",
    opt_out_action: "Stop these emails",
};

/// The invitation (step 0) or reminder email.
pub fn participant_message(email: &ParticipantEmail) -> Rendered {
    let texts = if email.language == "en" {
        &ENGLISH
    } else {
        &INDONESIAN
    };
    let date = words::date(email.language, email.last_day);
    let subject = if email.step == 0 {
        texts
            .subject_invitation
            .replace("{programme}", email.programme)
    } else {
        texts
            .subject_reminder
            .replace("{programme}", email.programme)
            .replace("{date}", &date)
    };
    let hello = match email.first_name.filter(|name| !name.trim().is_empty()) {
        Some(name) => texts.hello_name.replace("{name}", name.trim()),
        None => texts.hello.to_string(),
    };
    let reminder = (email.step > 0).then_some(texts.reminder_intro);
    let why = texts.why.replace("{programme}", email.programme);
    let until = texts.until.replace("{date}", &date);
    let contact = (!email.contact.trim().is_empty())
        .then(|| texts.contact.replace("{contact}", email.contact.trim()));
    let regards = texts.regards.replace("{programme}", email.programme);

    let mut text = format!("{hello}\n\n");
    if let Some(line) = reminder {
        text.push_str(&format!("{line}\n\n"));
    }
    text.push_str(&format!(
        "{why}\n\n{}\n\n{}\n{}\n\n{until} {}\n",
        texts.how_long, texts.open_link, email.link, texts.personal
    ));
    if let Some(line) = &contact {
        text.push_str(&format!("\n{line}\n"));
    }
    text.push_str(&format!(
        "\n{regards}\n\n--\n{} {}: {}\n",
        texts.opt_out, texts.opt_out_action, email.opt_out_link
    ));

    let button = "display:inline-block;padding:12px 20px;background:#0b5394;color:#ffffff;\
                  border-radius:6px;text-decoration:none;font-size:18px";
    let markup = html! {
        (DOCTYPE)
        html lang=(if email.language == "en" { "en" } else { "id" }) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family:sans-serif;font-size:17px;line-height:1.5;color:#1a1a1a" {
                p { (hello) }
                @if let Some(line) = reminder { p { (line) } }
                p { (why) }
                p { (texts.how_long) }
                p { a href=(email.link) style=(button) { (texts.open_link.trim_end_matches(':')) } }
                p { (texts.open_link) br; a href=(email.link) { (email.link) } }
                p { (until) " " (texts.personal) }
                @if let Some(line) = &contact { p { (line) } }
                p { @for (i, line) in regards.lines().enumerate() { @if i > 0 { br; } (line) } }
                hr;
                p style="font-size:14px;color:#555" {
                    (texts.opt_out) " " a href=(email.opt_out_link) { (texts.opt_out_action) }
                }
            }
        }
    };
    Rendered {
        subject,
        text,
        html: Some(markup.into_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(step: u32, language: &'static str) -> ParticipantEmail<'static> {
        ParticipantEmail {
            language,
            programme: "Promise II Impact",
            first_name: Some("Siti"),
            link: "https://survei.example.org/s/AAAAAAAAAAAAAAAAAAAAAAAA",
            opt_out_link: "https://survei.example.org/s/AAAAAAAAAAAAAAAAAAAAAAAA/berhenti",
            last_day: NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(),
            contact: "WhatsApp 0812-0000-0000 (Bu Sari)",
            step,
        }
    }

    #[test]
    fn the_invitation_greets_by_first_name_and_carries_both_links() {
        let rendered = participant_message(&email(0, "id"));
        assert_eq!(
            rendered.subject,
            "Promise II Impact: bagaimana kabar Anda setelah pelatihan?"
        );
        let text = &rendered.text;
        assert!(
            text.starts_with("Halo Siti,\n\nKami dari tim Promise II Impact"),
            "{text}"
        );
        assert!(text.contains("sekitar 10 menit"));
        assert!(text.contains("Survei terbuka sampai 28 Desember 2026."));
        assert!(text.contains("\nhttps://survei.example.org/s/AAAAAAAAAAAAAAAAAAAAAAAA\n"));
        assert!(text.contains("Berhenti menerima email: https://survei.example.org/s/"));
        assert!(text.contains("Hubungi WhatsApp 0812-0000-0000 (Bu Sari)."));
        assert!(!text.contains("belum menerima"));
        let html = rendered.html.unwrap();
        assert!(
            html.contains(
                r#"href="https://survei.example.org/s/AAAAAAAAAAAAAAAAAAAAAAAA/berhenti""#
            )
        );
        assert!(html.contains(r#"<html lang="id">"#));
    }

    #[test]
    fn reminders_say_so_and_name_the_last_day() {
        let rendered = participant_message(&email(2, "en"));
        assert_eq!(
            rendered.subject,
            "Reminder: the Promise II Impact survey is open until 28 December 2026"
        );
        assert!(
            rendered
                .text
                .contains("We have not received your answers yet.")
        );
    }

    #[test]
    fn names_are_escaped_in_html_and_missing_names_greet_plainly() {
        let mut message = email(0, "id");
        message.first_name = Some("<b>Ani</b>");
        let html = participant_message(&message).html.unwrap();
        assert!(html.contains("Halo &lt;b&gt;Ani&lt;/b&gt;,"), "{html}");
        message.first_name = None;
        assert!(participant_message(&message).text.starts_with("Halo,\n"));
    }
}
