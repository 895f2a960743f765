//! `forms/baseline.xlsx`: the survey at enrolment. Work before the layoff, work and income now,
//! reselling, BPJS Ketenagakerjaan, digital tools and credit, the Washington Group short set,
//! satisfaction.

use crate::common::{self, RUPIAH, RUPIAH_MSG_EN, RUPIAH_MSG_ID};
use crate::{Form, Line, Sheet, choice, end_group, row, settings};

pub fn form() -> Form {
    let mut survey: Vec<Line> = vec![
        row("hidden", "roster_first_name"),
        row("note", "intro")
            .label(
                "Halo ${roster_first_name}, terima kasih sudah ikut program ini. Survei singkat ini menanyakan pekerjaan dan penghasilan Anda, kira-kira 10 menit. Tidak ada jawaban yang salah. Anda bisa berhenti dan melanjutkan nanti.",
                "Hello ${roster_first_name}, thank you for joining this programme. This short survey asks about your work and income and takes about 10 minutes. There are no wrong answers. You can stop and continue later.",
            )
            .relevant("${roster_first_name} != ''"),
        row("note", "intro_anonymous")
            .label(
                "Halo, terima kasih sudah ikut program ini. Survei singkat ini menanyakan pekerjaan dan penghasilan Anda, kira-kira 10 menit. Tidak ada jawaban yang salah. Anda bisa berhenti dan melanjutkan nanti.",
                "Hello, thank you for joining this programme. This short survey asks about your work and income and takes about 10 minutes. There are no wrong answers. You can stop and continue later.",
            )
            .relevant("${roster_first_name} = ''"),
        // Before the layoff.
        row("begin_group", "before").label("Pekerjaan sebelum PHK", "Work before the layoff"),
        row("date", "layoff_date")
            .label(
                "Kapan Anda terkena PHK (pemutusan hubungan kerja)?",
                "When were you laid off?",
            )
            .hint(
                "Jika lupa tanggalnya, pilih tanggal 1 pada bulan itu.",
                "If you do not remember the day, choose the 1st of that month.",
            )
            .req()
            .constraint(
                ". <= today()",
                "Tanggal tidak boleh sesudah hari ini.",
                "The date cannot be after today.",
            ),
        row("integer", "pre_layoff_wage")
            .label(
                "Berapa gaji atau upah bulanan terakhir Anda sebelum PHK (dalam rupiah)?",
                "What was your last monthly wage before the layoff (in rupiah)?",
            )
            .hint(
                "Upah yang Anda terima per bulan. Tulis angka saja, tanpa titik. Contoh: 4500000 untuk Rp 4.500.000.",
                "The wage you received per month. Numbers only, no dots. Example: 4500000 for Rp 4,500,000.",
            )
            .req()
            .constraint(RUPIAH, RUPIAH_MSG_ID, RUPIAH_MSG_EN)
            .appearance("numbers"),
        row("select_one sector", "sector")
            .label(
                "Tempat kerja Anda sebelum PHK bergerak di bidang apa?",
                "In which sector was your workplace before the layoff?",
            )
            .req()
            .appearance("minimal"),
        row("text", "sector_other")
            .label("Sebutkan bidangnya:", "Please name the sector:")
            .req()
            .relevant("${sector} = 'other'"),
        end_group(),
        // Work now.
        row("begin_group", "work").label("Pekerjaan sekarang", "Work now"),
        common::work_status(),
    ];
    survey.extend(common::reselling(
        "Saat ini, apakah Anda berjualan sebagai reseller online, misalnya lewat aplikasi Evermos?",
        "Do you currently sell as an online reseller, for example through the Evermos app?",
    ));
    survey.push(end_group());
    survey.extend(common::income());
    survey.extend(common::bpjs());
    survey.extend(common::digital(
        "Dalam 12 bulan terakhir",
        "In the last 12 months",
    ));
    survey.extend(washington_group());
    survey.extend(common::closing(
        "Sejauh ini, bagian mana dari program yang paling membantu Anda?",
        "So far, which part of the programme has helped you most?",
    ));

    let mut choices = common::choices();
    choices.extend(sector_choices());
    choices.extend(wg_choices());

    Form {
        survey: Sheet {
            name: "survey",
            columns: crate::shipped_survey_columns(),
            rows: survey,
        },
        choices: Sheet {
            name: "choices",
            columns: crate::shipped_choices_columns(),
            rows: choices,
        },
        settings: settings(&[
            ("form_title", "Pantau: Survei Awal Peserta"),
            ("form_id", "pantau_baseline"),
            ("version", "2026112401"),
            ("default_language", crate::ID),
        ]),
    }
}

/// The Washington Group Short Set on Functioning (WG-SS), six domains, on one screen. The
/// Indonesian follows the official English wording closely; the answer categories keep the
/// WG "No / Yes - some / Yes - a lot / Cannot do at all" form.
fn washington_group() -> Vec<Line> {
    let q = |name: &str, id: &str, en: &str| row("select_one wg", name).label(id, en).req();
    vec![
        row("begin_group", "wg")
            .label("Kesehatan dan kegiatan sehari-hari", "Health and daily activities")
            .appearance("field-list"),
        row("note", "wg_intro").label(
            "Pertanyaan berikut menanyakan tentang kesulitan yang mungkin Anda alami saat melakukan kegiatan tertentu karena MASALAH KESEHATAN.",
            "The next questions ask about difficulties you may have doing certain activities because of a HEALTH PROBLEM.",
        ),
        q(
            "wg_seeing",
            "Apakah Anda mengalami kesulitan melihat, walaupun memakai kacamata?",
            "Do you have difficulty seeing, even if wearing glasses?",
        ),
        q(
            "wg_hearing",
            "Apakah Anda mengalami kesulitan mendengar, walaupun memakai alat bantu dengar?",
            "Do you have difficulty hearing, even if using a hearing aid?",
        ),
        q(
            "wg_walking",
            "Apakah Anda mengalami kesulitan berjalan atau naik tangga?",
            "Do you have difficulty walking or climbing steps?",
        ),
        q(
            "wg_cognition",
            "Apakah Anda mengalami kesulitan mengingat atau berkonsentrasi?",
            "Do you have difficulty remembering or concentrating?",
        ),
        q(
            "wg_selfcare",
            "Apakah Anda mengalami kesulitan mengurus diri sendiri, seperti mandi seluruh badan atau berpakaian?",
            "Do you have difficulty with self-care, such as washing all over or dressing?",
        ),
        q(
            "wg_communication",
            "Dengan bahasa yang biasa Anda gunakan sehari-hari, apakah Anda mengalami kesulitan berkomunikasi, misalnya memahami orang lain atau dipahami orang lain?",
            "Using your usual language, do you have difficulty communicating, for example understanding or being understood?",
        ),
        end_group(),
    ]
}

fn wg_choices() -> Vec<Line> {
    vec![
        choice(
            "wg",
            "none",
            "Tidak – tidak ada kesulitan",
            "No – no difficulty",
        ),
        choice(
            "wg",
            "some",
            "Ya – sedikit kesulitan",
            "Yes – some difficulty",
        ),
        choice(
            "wg",
            "alot",
            "Ya – banyak kesulitan",
            "Yes – a lot of difficulty",
        ),
        choice("wg", "cannot", "Tidak bisa sama sekali", "Cannot do at all"),
    ]
}

fn sector_choices() -> Vec<Line> {
    vec![
        choice(
            "sector",
            "garment",
            "Garmen / pakaian jadi",
            "Garments / clothing",
        ),
        choice("sector", "textile", "Tekstil", "Textiles"),
        choice("sector", "footwear", "Sepatu dan alas kaki", "Footwear"),
        choice("sector", "electronics", "Elektronik", "Electronics"),
        choice(
            "sector",
            "automotive",
            "Otomotif dan suku cadang",
            "Automotive and parts",
        ),
        choice("sector", "food", "Makanan dan minuman", "Food and drink"),
        choice(
            "sector",
            "other_manufacturing",
            "Pabrik lainnya",
            "Other manufacturing",
        ),
        choice("sector", "trade", "Perdagangan / toko", "Trade / shops"),
        choice(
            "sector",
            "services",
            "Jasa (misalnya hotel, transportasi, kebersihan)",
            "Services (for example hotels, transport, cleaning)",
        ),
        choice("sector", "other", "Lainnya", "Other"),
    ]
}
