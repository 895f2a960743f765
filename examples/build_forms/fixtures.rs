//! Test fixtures in `tests/data/forms/`: forms written the way KoboToolbox and ODK users write
//! them, for the engine's tests. Each has a sidecar `<name>.expect.toml` (written by hand) with
//! scenarios the tests assert; keep the two in step when changing a form here.

use crate::{Col, Form, Line, Sheet, col, settings};

// ---------------------------------------------------------------------------------------------
// kobo_household.xlsx: as exported from the KoboToolbox form builder.
// ---------------------------------------------------------------------------------------------

const KEN: &str = "English (en)";
const KFR: &str = "Français (fr)";
const KID: &str = "Bahasa Indonesia (id)";

/// A Kobo `$kuid`: nine deterministic letters and digits.
fn kuid(seed: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut x = (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..9)
        .map(|_| {
            x ^= x >> 29;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// A Kobo survey row: type, name and the label in the three languages (English, French,
/// Indonesian).
fn k(ty: &str, name: &str, en: &str, fr: &str, id: &str) -> Line {
    let line = Line::default().set("type", ty).set("name", name);
    let line = if en.is_empty() {
        line
    } else {
        line.set(&format!("label::{KEN}"), en)
    };
    let line = if fr.is_empty() {
        line
    } else {
        line.set(&format!("label::{KFR}"), fr)
    };
    if id.is_empty() {
        line
    } else {
        line.set(&format!("label::{KID}"), id)
    }
}

fn k_hint(line: Line, en: &str, fr: &str, id: &str) -> Line {
    line.set(&format!("hint::{KEN}"), en)
        .set(&format!("hint::{KFR}"), fr)
        .set(&format!("hint::{KID}"), id)
}

fn k_constraint(line: Line, expr: &str, en: &str, fr: &str, id: &str) -> Line {
    line.set("constraint", expr)
        .set(&format!("constraint_message::{KEN}"), en)
        .set(&format!("constraint_message::{KFR}"), fr)
        .set(&format!("constraint_message::{KID}"), id)
}

/// A Kobo choice row.
fn kc(list: &str, name: &str, en: &str, fr: &str, id: &str) -> Line {
    Line::default()
        .set("list_name", list)
        .set("name", name)
        .set(&format!("label::{KEN}"), en)
        .set(&format!("label::{KFR}"), fr)
        .set(&format!("label::{KID}"), id)
}

pub fn kobo_household() -> Form {
    let end = |name: &str| {
        Line::default()
            .set("type", "end group")
            .set("$autoname", name)
    };
    let mut survey = vec![
        k("start", "start", "", "", ""),
        k("end", "end", "", "", ""),
        k("today", "today", "", "", ""),
        k(
            "select_one yes_no",
            "consent",
            "Do you agree to answer this survey?",
            "Acceptez-vous de répondre à cette enquête ?",
            "Apakah Anda setuju mengikuti survei ini?",
        )
        .set("required", "true"),
        k("begin group", "respondent", "Respondent", "Répondant", "Responden")
            .set("required", "false")
            .set("relevant", "${consent} = 'yes'"),
        k("text", "resp_name", "Name of the respondent", "Nom du répondant", "Nama responden")
            .set("required", "true"),
        k_constraint(
            k("integer", "resp_age", "Age (years)", "Âge (années)", "Umur (tahun)").set("required", "true"),
            ". >= 18 and . <= 99",
            "The respondent must be 18 to 99 years old.",
            "Le répondant doit avoir entre 18 et 99 ans.",
            "Responden harus berumur 18 sampai 99 tahun.",
        ),
        k("select_one sex", "resp_sex", "Sex", "Sexe", "Jenis kelamin").set("required", "true"),
        k(
            "select_one yes_no",
            "has_phone",
            "Do you have a mobile phone?",
            "Avez-vous un téléphone portable ?",
            "Apakah Anda punya HP?",
        )
        .set("required", "false"),
        k_hint(
            k_constraint(
                k("text", "phone", "Mobile phone number", "Numéro de téléphone portable", "Nomor HP")
                    .set("required", "${has_phone} = 'yes'")
                    .set("appearance", "numbers"),
                "regex(., '^08[0-9]{8,11}$')",
                "Enter a number that starts with 08 and has 10 to 13 digits.",
                "Saisissez un numéro qui commence par 08 et compte 10 à 13 chiffres.",
                "Tulis nomor yang diawali 08, 10 sampai 13 angka.",
            ),
            "Example: 081234567890",
            "Exemple : 081234567890",
            "Contoh: 081234567890",
        ),
        end("respondent"),
        k("begin group", "location", "Location", "Localisation", "Lokasi")
            .set("relevant", "${consent} = 'yes'"),
        k("select_one province", "province", "Province", "Province", "Provinsi").set("required", "true"),
        k("select_one district", "district", "District or city", "District ou ville", "Kabupaten/kota")
            .set("required", "true")
            .set("choice_filter", "province=${province}"),
        end("location"),
        k("begin group", "household", "Household", "Ménage", "Rumah tangga")
            .set("relevant", "${consent} = 'yes'"),
        k_constraint(
            k(
                "integer",
                "hh_adults",
                "How many adults (18 or older) live in this household?",
                "Combien d'adultes (18 ans ou plus) vivent dans ce ménage ?",
                "Berapa orang dewasa (18 tahun ke atas) tinggal di rumah tangga ini?",
            )
            .set("required", "true"),
            ". >= 1 and . <= 30",
            "Between 1 and 30.",
            "Entre 1 et 30.",
            "Antara 1 dan 30.",
        ),
        k_constraint(
            k(
                "integer",
                "hh_children",
                "How many children (under 18)?",
                "Combien d'enfants (moins de 18 ans) ?",
                "Berapa anak (di bawah 18 tahun)?",
            )
            .set("required", "true"),
            ". >= 0 and . <= 30",
            "Between 0 and 30.",
            "Entre 0 et 30.",
            "Antara 0 dan 30.",
        ),
        k("calculate", "hh_size", "", "", "").set("calculation", "${hh_adults} + ${hh_children}"),
        k("begin group", "income_grp", "Household income", "Revenu du ménage", "Penghasilan rumah tangga")
            .set("relevant", "${hh_size} > 0"),
        k(
            "select_one yes_no",
            "has_income",
            "Did anyone in the household earn money last month?",
            "Quelqu'un dans le ménage a-t-il gagné de l'argent le mois dernier ?",
            "Apakah ada anggota rumah tangga yang mendapat uang bulan lalu?",
        )
        .set("required", "true"),
        k("begin group", "income_detail", "Income details", "Détail du revenu", "Rincian penghasilan")
            .set("relevant", "${has_income} = 'yes'"),
        k_constraint(
            k(
                "integer",
                "hh_income",
                "Total household income last month (rupiah)",
                "Revenu total du ménage le mois dernier (roupies)",
                "Total penghasilan rumah tangga bulan lalu (rupiah)",
            )
            .set("required", "true"),
            ". > 0",
            "Must be more than 0.",
            "Doit être supérieur à 0.",
            "Harus lebih dari 0.",
        ),
        k(
            "select_multiple income_source",
            "income_sources",
            "Where did this income come from?",
            "D'où vient ce revenu ?",
            "Dari mana penghasilan ini?",
        )
        .set("required", "true"),
        end("income_detail"),
        k("calculate", "income_pc", "", "", "")
            .set("calculation", "if(${has_income} = 'yes', round(${hh_income} div ${hh_size}, 0), 0)"),
        k("calculate", "below_line", "", "", "")
            .set("calculation", "if(${income_pc} < 600000, 'yes', 'no')"),
        end("income_grp"),
        k(
            "note",
            "hh_summary",
            "This household has ${hh_size} members and ${income_pc} rupiah per person a month.",
            "Ce ménage compte ${hh_size} membres et ${income_pc} roupies par personne et par mois.",
            "Rumah tangga ini beranggota ${hh_size} orang dengan ${income_pc} rupiah per orang per bulan.",
        )
        .set("relevant", "${has_income} != ''"),
        end("household"),
        k(
            "select_one yes_no",
            "recontact",
            "May we contact you again?",
            "Pouvons-nous vous recontacter ?",
            "Bolehkah kami menghubungi Anda lagi?",
        )
        .set("required", "true")
        .set("relevant", "${consent} = 'yes'"),
        k("calculate", "__version__", "", "", "").set("calculation", "'vGq3aXhLk8Tz2mYpN6wRc4'"),
    ];
    // Kobo's bookkeeping columns: a `$kuid` on every row (an end group carries "/" and the kuid
    // of its begin group) and `$autoname` (the name Kobo would have given).
    let mut open: Vec<String> = Vec::new();
    for (i, line) in survey.iter_mut().enumerate() {
        let ty = line.get("type").unwrap_or_default().to_owned();
        let id = kuid(i);
        if ty == "end group" {
            let begin = open.pop().expect("balanced groups");
            *line = std::mem::take(line).set("$kuid", format!("/{begin}"));
            continue;
        }
        if ty == "begin group" {
            open.push(id.clone());
        }
        let name = line.get("name").unwrap_or_default().to_owned();
        *line = std::mem::take(line).set("$kuid", id).set("$autoname", name);
    }

    // Kobo's choice rows carry `$kuid`/`$autovalue` too, but KoboToolbox strips them before
    // pyxform sees the form; plain pyxform would copy them into the itemsets as elements named
    // `<$kuid>`, which is not XML. So the fixture leaves them out of `choices`.
    let choices = vec![
        kc("yes_no", "yes", "Yes", "Oui", "Ya"),
        kc("yes_no", "no", "No", "Non", "Tidak"),
        kc("sex", "female", "Female", "Femme", "Perempuan"),
        kc("sex", "male", "Male", "Homme", "Laki-laki"),
        kc(
            "province",
            "dki_jakarta",
            "DKI Jakarta",
            "DKI Jakarta",
            "DKI Jakarta",
        ),
        kc(
            "province",
            "jawa_barat",
            "West Java",
            "Java occidental",
            "Jawa Barat",
        ),
        kc(
            "province",
            "jawa_tengah",
            "Central Java",
            "Java central",
            "Jawa Tengah",
        ),
        kc(
            "district",
            "jakarta_timur",
            "East Jakarta",
            "Jakarta Est",
            "Jakarta Timur",
        )
        .set("province", "dki_jakarta"),
        kc(
            "district",
            "jakarta_utara",
            "North Jakarta",
            "Jakarta Nord",
            "Jakarta Utara",
        )
        .set("province", "dki_jakarta"),
        kc(
            "district",
            "kab_bekasi",
            "Bekasi Regency",
            "Régence de Bekasi",
            "Kabupaten Bekasi",
        )
        .set("province", "jawa_barat"),
        kc(
            "district",
            "kota_bekasi",
            "Bekasi City",
            "Ville de Bekasi",
            "Kota Bekasi",
        )
        .set("province", "jawa_barat"),
        kc(
            "district",
            "kab_sukabumi",
            "Sukabumi Regency",
            "Régence de Sukabumi",
            "Kabupaten Sukabumi",
        )
        .set("province", "jawa_barat"),
        kc(
            "district",
            "kota_bandung",
            "Bandung City",
            "Ville de Bandung",
            "Kota Bandung",
        )
        .set("province", "jawa_barat"),
        kc(
            "district",
            "kota_semarang",
            "Semarang City",
            "Ville de Semarang",
            "Kota Semarang",
        )
        .set("province", "jawa_tengah"),
        kc(
            "district",
            "kab_sukoharjo",
            "Sukoharjo Regency",
            "Régence de Sukoharjo",
            "Kabupaten Sukoharjo",
        )
        .set("province", "jawa_tengah"),
        kc("income_source", "wages", "Wages", "Salaires", "Gaji/upah"),
        kc(
            "income_source",
            "business",
            "Own business",
            "Entreprise propre",
            "Usaha sendiri",
        ),
        kc(
            "income_source",
            "remittances",
            "Money from family",
            "Argent de la famille",
            "Kiriman keluarga",
        ),
        kc("income_source", "other", "Other", "Autre", "Lainnya"),
    ];

    let langs = [KEN, KFR, KID];
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut survey_cols: Vec<Col> = vec![col("type", 22.0), col("$kuid", 12.0), col("name", 16.0)];
    survey_cols.extend(langs.iter().map(|l| col(leak(format!("label::{l}")), 45.0)));
    survey_cols.extend(langs.iter().map(|l| col(leak(format!("hint::{l}")), 30.0)));
    survey_cols.extend([
        col("required", 20.0),
        col("relevant", 24.0),
        col("constraint", 24.0),
    ]);
    survey_cols.extend(
        langs
            .iter()
            .map(|l| col(leak(format!("constraint_message::{l}")), 35.0)),
    );
    survey_cols.extend([
        col("calculation", 45.0),
        col("choice_filter", 22.0),
        col("appearance", 12.0),
        col("$autoname", 16.0),
    ]);
    let mut choice_cols: Vec<Col> = vec![col("list_name", 16.0), col("name", 16.0)];
    choice_cols.extend(langs.iter().map(|l| col(leak(format!("label::{l}")), 25.0)));
    choice_cols.push(col("province", 14.0));

    Form {
        survey: Sheet {
            name: "survey",
            columns: survey_cols,
            rows: survey,
        },
        choices: Sheet {
            name: "choices",
            columns: choice_cols,
            rows: choices,
        },
        settings: settings(&[
            ("form_title", "Household survey"),
            ("form_id", "kobo_household"),
            ("version", "vGq3aXhLk8Tz2mYpN6wRc4"),
            ("default_language", KEN),
        ]),
    }
}

// ---------------------------------------------------------------------------------------------
// odk_clinic.xlsx: a plain ODK form, one language in `label`.
// ---------------------------------------------------------------------------------------------

/// The columns of `odk_clinic`, and one row as the cells in that order (empty = blank cell):
/// the spreadsheet as it is.
const CLINIC_COLUMNS: [&str; 13] = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "appearance",
    "read_only",
];

#[rustfmt::skip]
const CLINIC_SURVEY: &[[&str; 13]] = &[
    // type, name, label, hint, required, required_message, relevant, constraint, constraint_message, calculation, default, appearance, read_only
    ["text", "clinic_code", "Clinic code", "", "", "", "", "", "", "", "PKM-BKS-01", "", "yes"],
    ["begin_group", "patient", "Patient", "", "", "", "", "", "", "", "", "field-list", ""],
    ["text", "patient_name", "Patient name", "", "yes", "Enter the patient's name.", "", "", "", "", "", "", ""],
    ["integer", "age", "Age (years)", "", "yes", "", "", ". >= 0 and . <= 120", "Age must be between 0 and 120.", "", "", "", ""],
    ["select_one sex", "sex", "Sex", "", "yes", "", "", "", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["date", "visit_date", "Date of visit", "", "yes", "", "", ". <= today() and . >= date('2020-01-01')", "The visit date must be between 1 January 2020 and today.", "", "", "", ""],
    ["select_one yes_no", "pregnant", "Is the patient pregnant?", "", "yes", "", "${sex} = 'female' and ${age} >= 12 and ${age} <= 55", "", "", "", "", "", ""],
    ["begin_group", "vitals", "Vital signs", "", "", "", "", "", "", "", "", "field-list", ""],
    ["decimal", "weight", "Weight (kg)", "", "yes", "", "", ". > 0 and . <= 300", "Weight must be more than 0 and at most 300 kg.", "", "", "", ""],
    ["decimal", "height", "Height (cm)", "", "yes", "", "", ". >= 30 and . <= 250", "Height must be between 30 and 250 cm.", "", "", "", ""],
    ["decimal", "temperature", "Temperature (°C)", "", "", "", "", ". >= 30 and . <= 45", "Temperature must be between 30 and 45 °C.", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["calculate", "bmi", "", "", "", "", "", "", "", "round(${weight} div ((${height} div 100) * (${height} div 100)), 1)", "", "", ""],
    ["calculate", "bmi_class", "", "", "", "", "", "", "", "if(${bmi} < 18.5, 'underweight', if(${bmi} < 25, 'normal', if(${bmi} < 30, 'overweight', 'obese')))", "", "", ""],
    ["select_multiple symptom", "symptoms", "Symptoms today", "Select all that apply.", "yes", "", "", "not(selected(., 'none') and count-selected(.) > 1)", "'None' cannot be combined with a symptom.", "", "", "", ""],
    ["calculate", "symptom_count", "", "", "", "", "", "", "", "count-selected(${symptoms})", "", "", ""],
    ["integer", "fever_days", "For how many days has the patient had fever?", "", "yes", "", "selected(${symptoms}, 'fever')", ". >= 1 and . <= 60", "Between 1 and 60 days.", "", "", "", ""],
    ["date", "fever_onset", "On which day did the fever start?", "", "", "", "selected(${symptoms}, 'fever')", ". <= ${visit_date}", "The fever cannot start after the visit.", "", "", "", ""],
    ["note", "referral_advice", "Three or more symptoms or a high temperature: consider referral.", "", "", "", "count-selected(${symptoms}) >= 3 or ${temperature} >= 39", "", "", "", "", "", ""],
    ["select_one yes_no", "referred", "Was the patient referred to hospital?", "", "yes", "", "count-selected(${symptoms}) >= 3 or ${temperature} >= 39", "", "", "", "no", "", ""],
    ["integer", "visits_this_year", "Visits to this clinic this year, including today", "", "yes", "", "", ". >= 1", "At least 1 (today's visit).", "", "1", "", ""],
    ["calculate", "summary", "", "", "", "", "", "", "", "concat(${patient_name}, ' (', ${age}, ' y), BMI ', ${bmi}, ' ', ${bmi_class})", "", "", ""],
    ["note", "summary_note", "Summary: ${summary}", "", "", "", "", "", "", "", "", "", ""],
    ["text", "notes", "Clinician's notes", "Optional.", "", "", "", "", "", "", "", "multiline", ""],
];

#[rustfmt::skip]
const CLINIC_CHOICES: &[[&str; 3]] = &[
    // list_name, name, label
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
    ["sex", "female", "Female"],
    ["sex", "male", "Male"],
    ["symptom", "fever", "Fever"],
    ["symptom", "cough", "Cough"],
    ["symptom", "headache", "Headache"],
    ["symptom", "diarrhoea", "Diarrhoea"],
    ["symptom", "rash", "Rash"],
    ["symptom", "none", "None of these"],
];

/// Turns a table of cells under `columns` into rows.
fn table<const N: usize>(columns: [&'static str; N], rows: &[[&str; N]]) -> Vec<Line> {
    rows.iter()
        .map(|cells| {
            columns
                .iter()
                .zip(cells)
                .filter(|(_, v)| !v.is_empty())
                .fold(Line::default(), |line, (c, v)| line.set(c, *v))
        })
        .collect()
}

pub fn odk_clinic() -> Form {
    let widths = [
        18.0, 18.0, 45.0, 20.0, 9.0, 25.0, 40.0, 40.0, 40.0, 60.0, 12.0, 12.0, 10.0,
    ];
    Form {
        survey: Sheet {
            name: "survey",
            columns: CLINIC_COLUMNS
                .iter()
                .zip(widths)
                .map(|(h, w)| col(h, w))
                .collect(),
            rows: table(CLINIC_COLUMNS, CLINIC_SURVEY),
        },
        choices: Sheet {
            name: "choices",
            columns: vec![
                col("list_name", 14.0),
                col("name", 14.0),
                col("label", 20.0),
            ],
            rows: table(["list_name", "name", "label"], CLINIC_CHOICES),
        },
        settings: settings(&[
            ("form_title", "Clinic visit"),
            ("form_id", "odk_clinic"),
            ("version", "2024031501"),
            (
                "instance_name",
                "concat(${patient_name}, ' ', ${visit_date})",
            ),
        ]),
    }
}
