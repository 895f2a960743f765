//! `forms/followup.xlsx`: the follow-up survey (3, 6, 12 months after training). Work and income
//! now compared with the previous wave, reselling, BPJS Ketenagakerjaan, digital tools and
//! credit, satisfaction.
//!
//! `previous_income_total` and `previous_work_status` are filled by pantau with the same
//! participant's answers in the previous wave (empty at the first follow-up without a baseline,
//! and in KoboToolbox/ODK).

use crate::common::{self, thousands};
use crate::{Form, Line, Sheet, choice, end_group, row, settings};

/// An `if()` chain that turns the previous work status code into words of one language.
fn previous_work_words(words: [&str; 4]) -> String {
    let [wage, own, both, none] = words;
    format!(
        "if(${{previous_work_status}} = 'wage', '{wage}', if(${{previous_work_status}} = 'self', '{own}', if(${{previous_work_status}} = 'both', '{both}', if(${{previous_work_status}} = 'none', '{none}', ''))))"
    )
}

pub fn form() -> Form {
    let mut survey: Vec<Line> = vec![
        row("hidden", "roster_first_name"),
        row("hidden", "previous_income_total"),
        row("hidden", "previous_work_status"),
        row("calculate", "previous_work_id").calc(&previous_work_words([
            "bekerja sebagai karyawan atau buruh",
            "punya usaha sendiri atau menjadi reseller",
            "bekerja sebagai karyawan/buruh dan juga punya usaha sendiri/reseller",
            "sedang tidak bekerja",
        ])),
        row("calculate", "previous_work_en").calc(&previous_work_words([
            "were working as an employee or labourer",
            "had your own business or were reselling",
            "had a wage job and also your own business or reselling",
            "were not working",
        ])),
        row("calculate", "previous_income_fmt").calc(&thousands("previous_income_total")),
        row("note", "intro")
            .label(
                "Halo ${roster_first_name}, apa kabar? Ini survei lanjutan program pelatihan yang Anda ikuti. Kami ingin tahu keadaan Anda sekarang, kira-kira 8 menit. Tidak ada jawaban yang salah. Anda bisa berhenti dan melanjutkan nanti.",
                "Hello ${roster_first_name}, how are you? This is the follow-up survey of the training programme you joined. We would like to know how you are doing now; it takes about 8 minutes. There are no wrong answers. You can stop and continue later.",
            )
            .relevant("${roster_first_name} != ''"),
        row("note", "intro_anonymous")
            .label(
                "Halo, apa kabar? Ini survei lanjutan program pelatihan yang Anda ikuti. Kami ingin tahu keadaan Anda sekarang, kira-kira 8 menit. Tidak ada jawaban yang salah. Anda bisa berhenti dan melanjutkan nanti.",
                "Hello, how are you? This is the follow-up survey of the training programme you joined. We would like to know how you are doing now; it takes about 8 minutes. There are no wrong answers. You can stop and continue later.",
            )
            .relevant("${roster_first_name} = ''"),
        // Work now, next to the previous answer.
        row("begin_group", "work").label("Pekerjaan sekarang", "Work now"),
        row("begin_group", "work_now").appearance("field-list"),
        row("note", "previous_work_note")
            .label(
                "Pada survei sebelumnya, Anda ${previous_work_id}.",
                "In the previous survey, you ${previous_work_en}.",
            )
            .relevant("${previous_work_status} != ''"),
        common::work_status(),
        end_group(),
    ];
    survey.extend(common::reselling(
        "Apakah Anda masih berjualan sebagai reseller online, misalnya lewat aplikasi Evermos?",
        "Do you still sell as an online reseller, for example through the Evermos app?",
    ));
    survey.push(end_group());
    survey.extend(common::income());
    survey.extend(vec![
        row("begin_group", "income_compare")
            .label("Dibandingkan survei sebelumnya", "Compared with the previous survey")
            .relevant("${previous_income_total} != ''")
            .appearance("field-list"),
        row("note", "previous_income_note").label(
            "Pada survei sebelumnya, penghasilan Anda Rp ${previous_income_fmt} per bulan. Bulan lalu penghasilan Anda Rp ${income_total_fmt}.",
            "In the previous survey, your income was Rp ${previous_income_fmt} a month. Last month your income was Rp ${income_total_fmt}.",
        ),
        row("select_one change", "income_change")
            .label(
                "Menurut Anda, dibandingkan waktu survei sebelumnya, penghasilan Anda sekarang:",
                "In your view, compared with the time of the previous survey, your income now is:",
            )
            .req(),
        end_group(),
    ]);
    survey.extend(common::bpjs());
    survey.extend(common::digital(
        "Sejak ikut program ini",
        "Since joining this programme",
    ));
    survey.extend(common::closing(
        "Bagian mana dari program yang paling membantu Anda?",
        "Which part of the programme has helped you most?",
    ));

    let mut choices = common::choices();
    choices.extend(vec![
        choice("change", "up", "Lebih besar", "Higher"),
        choice("change", "same", "Kurang lebih sama", "About the same"),
        choice("change", "down", "Lebih kecil", "Lower"),
    ]);

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
            ("form_title", "Pantau: Survei Lanjutan Peserta"),
            ("form_id", "pantau_followup"),
            ("version", "2026112401"),
            ("default_language", crate::ID),
        ]),
    }
}
