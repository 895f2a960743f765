//! Malformed forms and the problems they must produce, each with its place.
//!
//! Every case is a compact text description of a workbook, written to a temporary `.xlsx` with
//! rust_xlsxwriter, loaded with [`check_path`], and compared through one helper, [`check`]:
//! each expected text must appear in some problem (displayed without the file name), and every
//! problem must be expected, warnings included.
//!
//! Description format: `[sheet]` starts a sheet; each following line is a row, cells separated
//! by `|`, surrounding spaces trimmed, empty cells left unwritten; a line `-` is an empty row.

use std::path::{Path, PathBuf};

use pantau::form::{Problem, Severity, check_bytes, check_path};
use rust_xlsxwriter::Workbook;

/// The sheets of a description, as rows of cells.
fn parse_spec(spec: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut sheets: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sheets.push((name.to_string(), Vec::new()));
            continue;
        }
        let rows = &mut sheets.last_mut().expect("a [sheet] line first").1;
        if line == "-" {
            rows.push(Vec::new());
        } else {
            rows.push(line.split('|').map(|c| c.trim().to_string()).collect());
        }
    }
    sheets
}

/// Writes a description as an xlsx workbook.
pub(crate) fn xlsx(spec: &str) -> Vec<u8> {
    let mut workbook = Workbook::new();
    for (name, rows) in parse_spec(spec) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32, c as u16, cell).unwrap();
                }
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// Loads a file written into a temporary directory as `form.xlsx` (or `name`), returning the
/// problems displayed without the directory.
fn problems_of(name: &str, bytes: &[u8]) -> (bool, Vec<(Severity, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (form, problems) = check_path(&path);
    let prefix = format!("{}: ", path.display());
    let shown = problems
        .iter()
        .map(|p: &Problem| {
            let text = p.to_string();
            (
                p.severity,
                text.strip_prefix(&prefix).unwrap_or(&text).to_string(),
            )
        })
        .collect();
    (form.is_some(), shown)
}

/// Loads `spec` and checks that the problems are exactly `expected` (each a fragment of one
/// problem's text).
fn check(spec: &str, expected: &[&str]) {
    check_file("form.xlsx", &xlsx(spec), expected);
}

fn check_file(name: &str, bytes: &[u8], expected: &[&str]) {
    let (loaded, problems) = problems_of(name, bytes);
    let listing = problems
        .iter()
        .map(|(_, p)| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n");
    for want in expected {
        assert!(
            problems.iter().any(|(_, p)| p.contains(want)),
            "expected a problem containing\n  {want}\ngot\n{listing}"
        );
    }
    for (_, problem) in &problems {
        assert!(
            expected.iter().any(|want| problem.contains(want)),
            "unexpected problem\n  {problem}\nall problems:\n{listing}"
        );
    }
    let has_error = problems.iter().any(|(s, _)| *s == Severity::Error);
    assert_eq!(
        loaded, !has_error,
        "a form loads exactly when it has no error\n{listing}"
    );
}

const YES_NO: &str = "
[choices]
list_name | name | label
yn | yes | Ya
yn | no | Tidak
";

fn with_choices(survey: &str) -> String {
    format!("{survey}\n{YES_NO}")
}

// --- the file itself ---

#[test]
fn random_bytes_named_xlsx() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    check_file("form.xlsx", &bytes, &["not a readable .xlsx workbook"]);
}

#[test]
fn empty_file() {
    check_file("form.xlsx", b"", &["the file is empty"]);
}

#[test]
fn truncated_xlsx() {
    let bytes = xlsx("[survey]\ntype | name | label\ntext | a | A");
    check_file(
        "form.xlsx",
        &bytes[..bytes.len() / 2],
        &["not a readable .xlsx workbook"],
    );
}

#[test]
fn unknown_extension_with_garbage() {
    check_file(
        "form.csv",
        b"type,name\ntext,a\n",
        &["not a spreadsheet pantau can read"],
    );
}

#[test]
fn missing_file() {
    let (form, problems) = check_path(Path::new("/nonexistent/pantau/form.xlsx"));
    assert!(form.is_none());
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .to_string()
            .starts_with("/nonexistent/pantau/form.xlsx: cannot read the file")
    );
}

#[test]
fn no_survey_sheet() {
    check(
        "[Sheet1]\ntype | name\n[choices]\nlist_name | name | label\nyn | yes | Ya",
        &["no survey sheet (sheets found: Sheet1, choices)"],
    );
}

#[test]
fn survey_sheet_found_in_any_case() {
    check("[SURVEY]\nType | Name | Label\ntext | a | A", &[]);
}

#[test]
fn empty_survey_sheet() {
    check(
        "[survey]",
        &["survey sheet: the survey sheet has no header row"],
    );
}

#[test]
fn survey_without_type_column() {
    check(
        "[survey]\nkind | name | label\ntext | a | A",
        &["survey sheet: the survey sheet has no type column"],
    );
}

#[test]
fn survey_without_name_column() {
    check(
        "[survey]\ntype | label\ntext | A",
        &["survey sheet: the survey sheet has no name column"],
    );
}

#[test]
fn survey_without_questions() {
    check(
        "[survey]\ntype | name | label",
        &["survey sheet: the survey sheet has no questions"],
    );
}

#[test]
fn sixteen_thousand_columns_of_headers() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("survey").unwrap();
    for col in 0..16_384u16 {
        let header = match col {
            0 => "type".to_string(),
            1 => "name".to_string(),
            2 => "label".to_string(),
            _ => format!("extra_{col}"),
        };
        sheet.write_string(0, col, header).unwrap();
    }
    sheet.write_string(1, 0, "text").unwrap();
    sheet.write_string(1, 1, "a").unwrap();
    sheet.write_string(1, 2, "A").unwrap();
    sheet.write_string(1, 16_383, "far away").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    check_file("form.xlsx", &bytes, &[]);
}

// --- columns ---

#[test]
fn duplicate_column() {
    check(
        "[survey]\ntype | name | label | name\ntext | a | A | b",
        &["survey row 1, column name (D): duplicate column name (also column B)"],
    );
}

#[test]
fn misspelt_column() {
    check(
        "[survey]\ntype | name | label | requried\ntext | a | A | yes",
        &[
            "survey row 1, column requried (D): warning: unknown column requried is ignored (did you mean required?)",
        ],
    );
}

#[test]
fn media_column_used() {
    check(
        "[survey]\ntype | name | label | media::image\ntext | a | A | photo.jpg",
        &[
            "survey row 2, column media::image (D): media (images, audio, video) are not supported by pantau",
        ],
    );
}

#[test]
fn unused_media_column_and_kobo_columns_are_fine() {
    check(
        "[survey]\ntype | name | label | media::image | $kuid | $autoname\ntext | a | A | | k1 | a",
        &[],
    );
}

// --- types ---

#[test]
fn unknown_type() {
    check(
        "[survey]\ntype | name | label\ntextt | a | A",
        &["survey row 2, column type (A): unknown type textt (did you mean text?)"],
    );
}

#[test]
fn repeat_refused() {
    check(
        "[survey]\ntype | name | label\nbegin repeat | kids | Children\ntext | kid | Name\nend repeat | |",
        &[
            "survey row 2, column type (A): repeats are not supported by pantau",
            "survey row 4, column type (A): repeats are not supported by pantau",
        ],
    );
}

#[test]
fn geopoint_refused() {
    check(
        "[survey]\ntype | name | label\ngeopoint | where | Where are you?",
        &["survey row 2, column type (A): locations (geopoint) are not supported by pantau"],
    );
}

#[test]
fn image_refused() {
    check(
        "[survey]\ntype | name | label\nimage | photo | Photo",
        &["survey row 2, column type (A): media uploads (image) are not supported by pantau"],
    );
}

#[test]
fn range_refused() {
    check(
        "[survey]\ntype | name | label\nrange | score | Score",
        &[
            "survey row 2, column type (A): range questions are not supported by pantau: use integer with a constraint",
        ],
    );
}

#[test]
fn rank_refused() {
    check(
        &with_choices("[survey]\ntype | name | label\nrank yn | order | Order"),
        &["survey row 2, column type (A): rank questions are not supported by pantau"],
    );
}

#[test]
fn select_from_file_refused() {
    check(
        "[survey]\ntype | name | label\nselect_one_from_file villages.csv | village | Village",
        &["survey row 2, column type (A): select_one_from_file is not supported by pantau"],
    );
}

#[test]
fn time_refused() {
    check(
        "[survey]\ntype | name | label\ntime | when | When?",
        &["survey row 2, column type (A): time questions are not supported by pantau"],
    );
}

#[test]
fn barcode_refused() {
    check(
        "[survey]\ntype | name | label\nbarcode | code | Code",
        &["survey row 2, column type (A): barcode questions are not supported by pantau"],
    );
}

#[test]
fn or_other_refused() {
    check(
        &with_choices("[survey]\ntype | name | label\nselect_one yn or_other | q | Q"),
        &["survey row 2, column type (A): or_other is not supported by pantau"],
    );
}

#[test]
fn device_metadata_is_a_warning() {
    check(
        "[survey]\ntype | name | label\nstart | start |\ndeviceid | deviceid |\ntext | a | A",
        &["survey row 3, column type (A): warning: deviceid is not collected by pantau"],
    );
}

#[test]
fn select_without_list() {
    check(
        "[survey]\ntype | name | label\nselect_one | q | Q",
        &[
            "survey row 2, column type (A): select_one needs the name of a choice list, like select_one yes_no",
        ],
    );
}

#[test]
fn select_with_extra_words() {
    check(
        &with_choices("[survey]\ntype | name | label\nselect_one yn extra | q | Q"),
        &["survey row 2, column type (A): unexpected extra after the list name yn"],
    );
}

#[test]
fn row_without_type() {
    check(
        "[survey]\ntype | name | label\ntext | a | A\n | b | B",
        &["survey row 3, column type (A): missing type: the row has content but no type"],
    );
}

// --- names ---

#[test]
fn duplicate_names() {
    check(
        "[survey]\ntype | name | label\ntext | a | A\ninteger | a | A again",
        &["survey row 3, column name (B): duplicate name a (first used in row 2)"],
    );
}

#[test]
fn name_starting_with_a_digit() {
    check(
        "[survey]\ntype | name | label\ntext | 1age | Age",
        &[
            "survey row 2, column name (B): invalid name 1age: use only letters, digits, _, - and . and start with a letter or _",
        ],
    );
}

#[test]
fn name_with_a_space() {
    check(
        "[survey]\ntype | name | label\ntext | first name | Name",
        &["survey row 2, column name (B): invalid name first name"],
    );
}

#[test]
fn missing_name() {
    check(
        "[survey]\ntype | name | label\ntext | | Name",
        &["survey row 2, column name (B): text has no name"],
    );
}

#[test]
fn group_without_name() {
    check(
        "[survey]\ntype | name | label\nbegin group | | G\ntext | a | A\nend group | |",
        &["survey row 2, column name (B): begin group has no name"],
    );
}

// --- labels and languages ---

#[test]
fn question_without_label() {
    check(
        "[survey]\ntype | name | label\ntext | a |",
        &["survey row 2, column label (C): text question a has no label"],
    );
}

#[test]
fn missing_translation_is_a_warning() {
    check(
        "[survey]\ntype | name | label::Indonesian (id) | label::English (en)\ntext | a | Umur | Age\ntext | b | Nama |\n[settings]\ndefault_language\nIndonesian (id)",
        &["survey row 3, column label::English (en) (D): warning: missing label in English (en)"],
    );
}

#[test]
fn missing_hint_column_for_a_language() {
    check(
        "[survey]\ntype | name | label::id | label::en | hint::id\ntext | a | Umur | Age | Dalam tahun",
        &["survey row 2: warning: no hint::en column, so every hint is missing in en"],
    );
}

#[test]
fn default_language_matching_no_column() {
    check(
        "[survey]\ntype | name | label::English (en)\ntext | a | Age\n[settings]\ndefault_language\nIndonesian (id)",
        &[
            "warning: default_language Indonesian (id) matches no label column (languages: English (en)); English (en) is used",
        ],
    );
}

#[test]
fn plain_label_and_default_language_label_clash() {
    check(
        "[survey]\ntype | name | label | label::Indonesian (id) | label::English (en)\ntext | a | Umur | Umur | Age\n[settings]\ndefault_language\nIndonesian (id)",
        &[
            "survey row 1, column label::Indonesian (id) (D): duplicate column label::Indonesian (id) (column C has the same text in Indonesian (id))",
        ],
    );
}

#[test]
fn kobo_autoname_stands_in_for_an_empty_name() {
    check(
        "[survey]\ntype | name | label | $autoname | relevant\ntext | | Umur | umur |\ntext | b | B | b | ${umur} != ''",
        &[],
    );
}

#[test]
fn label_refers_to_undefined_field() {
    check(
        "[survey]\ntype | name | label\ntext | a | Halo ${nama}",
        &["survey row 2, column label (C): reference to undefined field ${nama}"],
    );
}

#[test]
fn label_with_unterminated_reference() {
    check(
        "[survey]\ntype | name | label\ntext | a | Halo ${nama",
        &["survey row 2, column label (C): at character 6: unterminated ${, expected '}'"],
    );
}

#[test]
fn roster_value_without_hidden_field() {
    check(
        "[survey]\ntype | name | label\nnote | hi | Halo ${roster_first_name}",
        &[
            "reference to undefined field ${roster_first_name} (add a hidden field named roster_first_name to fill it from the participant's roster)",
        ],
    );
}

#[test]
fn constraint_message_refers_to_undefined_field() {
    check(
        "[survey]\ntype | name | label | constraint | constraint_message\ninteger | a | A | . > 0 | Lebih dari ${minimum}",
        &["survey row 2, column constraint_message (E): reference to undefined field ${minimum}"],
    );
}

// --- expressions ---

#[test]
fn reference_to_undefined_field_in_relevant() {
    check(
        "[survey]\ntype | name | label | relevant\ninteger | age | Age |\ntext | job | Job | ${agee} > 17",
        &[
            "survey row 3, column relevant (D): reference to undefined field ${agee} (did you mean ${age}?)",
        ],
    );
}

#[test]
fn bad_expression_syntax() {
    check(
        "[survey]\ntype | name | label | relevant\ninteger | age | Age |\ntext | job | Job | ${age} > ",
        &[
            "survey row 3, column relevant (D): invalid expression at character 9: unexpected end of expression, expected a value after '>'",
        ],
    );
}

#[test]
fn unknown_function() {
    check(
        "[survey]\ntype | name | label | calculation\ninteger | age | Age |\ncalculate | x | | foo(${age})",
        &["survey row 3, column calculation (D): invalid expression at character 1:"],
    );
}

#[test]
fn unbalanced_brackets() {
    check(
        "[survey]\ntype | name | label | constraint\ninteger | age | Age | (. > 3",
        &["survey row 2, column constraint (D): invalid expression at character"],
    );
}

#[test]
fn bad_required_expression() {
    check(
        "[survey]\ntype | name | label | required\ninteger | age | Age | sometimes",
        &["survey row 2, column required (D): invalid expression at character 1:"],
    );
}

#[test]
fn dot_outside_constraint() {
    check(
        "[survey]\ntype | name | label | relevant\ninteger | age | Age | . > 3",
        &[
            "survey row 2, column relevant (D): . (the answer being checked) can only be used in constraint, not in relevant",
        ],
    );
}

#[test]
fn reference_to_a_group() {
    check(
        "[survey]\ntype | name | label | relevant\nbegin group | g | G |\ntext | a | A |\nend group | | |\ntext | b | B | ${g} = 'x'",
        &["survey row 5, column relevant (D): ${g} is a group, not a field: it has no value"],
    );
}

#[test]
fn calculate_without_calculation() {
    check(
        "[survey]\ntype | name | label | calculation\ntext | a | A |\ncalculate | total | |",
        &["survey row 3, column calculation (D): calculate total has no calculation"],
    );
}

#[test]
fn circular_calculation() {
    check(
        "[survey]\ntype | name | label | calculation\ncalculate | a | | ${b} + 1\ncalculate | b | | ${a} * 2\ntext | c | C |",
        &["survey row 2, column calculation (D): circular calculation: a → b → a"],
    );
}

#[test]
fn circular_calculation_of_three() {
    check(
        "[survey]\ntype | name | label | calculation\ntext | x | X |\ncalculate | a | | ${c}\ncalculate | b | | ${a}\ncalculate | c | | ${b}",
        &["survey row 3, column calculation (D): circular calculation: a → c → b → a"],
    );
}

#[test]
fn field_relevant_on_itself() {
    check(
        "[survey]\ntype | name | label | relevant\ntext | a | A | ${a} != ''",
        &["survey row 2, column relevant (D): circular reference: a → a"],
    );
}

#[test]
fn group_relevant_on_its_own_field() {
    check(
        "[survey]\ntype | name | label | relevant\nbegin group | g | G | ${a} = 'x'\ntext | a | A |\nend group | | |",
        &["survey row 2, column relevant (D): circular reference: g → a → g"],
    );
}

#[test]
fn later_field_in_relevance_is_allowed() {
    check(
        "[survey]\ntype | name | label | relevant\ntext | a | A | ${b} = 'x'\ntext | b | B |",
        &[],
    );
}

// --- groups ---

#[test]
fn end_group_without_begin() {
    check(
        "[survey]\ntype | name | label\ntext | a | A\nend group | |",
        &["survey row 3, column type (A): end group without a matching begin group"],
    );
}

#[test]
fn begin_group_without_end() {
    check(
        "[survey]\ntype | name | label\nbegin group | g | G\ntext | a | A\nbegin_group | h | H\ntext | b | B\nend_group | |",
        &["survey row 2, column type (A): begin group g has no matching end group"],
    );
}

#[test]
fn empty_group() {
    check(
        "[survey]\ntype | name | label\nbegin group | g | G\nend group | |\ntext | a | A",
        &["survey row 2, column type (A): warning: group g is empty"],
    );
}

#[test]
fn field_list_on_a_question_and_unknown_appearance() {
    check(
        "[survey]\ntype | name | label | appearance\ntext | a | A | field-list\ntext | b | B | likert",
        &[
            "survey row 2, column appearance (D): warning: appearance field-list only applies to groups",
            "survey row 3, column appearance (D): warning: appearance likert is ignored by pantau",
        ],
    );
}

// --- choices ---

#[test]
fn missing_choice_list() {
    check(
        &with_choices("[survey]\ntype | name | label\nselect_one yesno | q | Q"),
        &["survey row 2, column type (A): choice list yesno is not defined in the choices sheet"],
    );
}

#[test]
fn no_choices_sheet() {
    check(
        "[survey]\ntype | name | label\nselect_multiple fruit | q | Q",
        &[
            "survey row 2, column type (A): choice list fruit is not defined: the form has no choices sheet",
        ],
    );
}

#[test]
fn empty_choice_list() {
    check(
        "[survey]\ntype | name | label\nselect_one fruit | q | Q\n[choices]\nlist_name | name | label\nfruit | | Apple",
        &[
            "choices row 2, column name (B): a choice of list fruit has no name",
            "survey row 2, column type (A): choice list fruit has no choices",
        ],
    );
}

#[test]
fn duplicate_choice_names() {
    check(
        "[survey]\ntype | name | label\nselect_one yn | q | Q\n[choices]\nlist_name | name | label\nyn | yes | Ya\nyn | no | Tidak\nyn | yes | Iya",
        &["choices row 4, column name (B): duplicate choice yes in list yn (first in row 2)"],
    );
}

#[test]
fn choice_name_with_a_space() {
    check(
        "[survey]\ntype | name | label\nselect_multiple fruit | q | Q\n[choices]\nlist_name | name | label\nfruit | green apple | Apel",
        &["choices row 2, column name (B): the choice name 'green apple' contains a space"],
    );
}

#[test]
fn choices_sheet_without_list_name() {
    check(
        "[survey]\ntype | name | label\ntext | a | A\n[choices]\nlist | name | label\nyn | yes | Ya",
        &["choices sheet: the choices sheet has no list_name column"],
    );
}

#[test]
fn choice_without_label_is_a_warning() {
    check(
        "[survey]\ntype | name | label\nselect_one yn | q | Q\n[choices]\nlist_name | name | label\nyn | yes | Ya\nyn | no |",
        &["choices row 3: warning: choice no of list yn has no label; its name is shown"],
    );
}

#[test]
fn choice_filter_on_unknown_column() {
    check(
        "[survey]\ntype | name | label | choice_filter\nselect_one prov | p | P |\nselect_one dist | d | D | provinsi = ${p}\n[choices]\nlist_name | name | label | province\nprov | jb | Jawa Barat |\ndist | bks | Bekasi | jb",
        &[
            "survey row 3, column choice_filter (D): choice_filter refers to provinsi, which is not a column of the choices sheet (name, label, province); write ${provinsi} to refer to a field",
        ],
    );
}

#[test]
fn choice_filter_syntax_error_points_into_the_original_text() {
    check(
        "[survey]\ntype | name | label | choice_filter\nselect_one prov | p | P |\nselect_one dist | d | D | province = = ${p}\n[choices]\nlist_name | name | label | province\nprov | jb | Jawa Barat |\ndist | bks | Bekasi | jb",
        &["survey row 3, column choice_filter (D): invalid expression at character 12:"],
    );
}

#[test]
fn choice_filter_on_a_text_question() {
    check(
        "[survey]\ntype | name | label | choice_filter\ntext | a | A | x = 1",
        &[
            "survey row 2, column choice_filter (D): warning: choice_filter is ignored on a text question",
        ],
    );
}

// --- defaults ---

#[test]
fn default_not_a_whole_number() {
    check(
        "[survey]\ntype | name | label | default\ninteger | a | A | lima",
        &["survey row 2, column default (D): default lima is not a whole number"],
    );
}

#[test]
fn default_not_a_date() {
    check(
        "[survey]\ntype | name | label | default\ndate | a | A | 31/12/2024",
        &[
            "survey row 2, column default (D): default 31/12/2024 is not a date written as yyyy-mm-dd",
        ],
    );
}

#[test]
fn default_not_a_choice() {
    check(
        &with_choices("[survey]\ntype | name | label | default\nselect_one yn | q | Q | maybe"),
        &["survey row 2, column default (D): default maybe is not a choice of list yn"],
    );
}

#[test]
fn default_with_undefined_reference() {
    check(
        "[survey]\ntype | name | label | default\ntext | a | A | ${b}",
        &["survey row 2, column default (D): reference to undefined field ${b}"],
    );
}

// --- settings ---

#[test]
fn settings_with_extra_rows() {
    check(
        "[survey]\ntype | name | label\ntext | a | A\n[settings]\nform_id | version\nx | 1\ny | 2",
        &["settings row 3: warning: only row 2 of the settings sheet is read"],
    );
}

// --- many problems at once ---

#[test]
fn every_problem_is_reported_in_one_pass() {
    check(
        "[survey]\ntype | name | label | relevant | calculation\ntextt | a | A | |\ninteger | b | | ${zz} > 1 |\ncalculate | c | | | ${c} + 1\ngeopoint | d | D | |\ntext | b | B | |",
        &[
            "survey row 2, column type (A): unknown type textt",
            "survey row 3, column label (C): integer question b has no label",
            "survey row 3, column relevant (D): reference to undefined field ${zz}",
            "survey row 4, column calculation (E): circular calculation: c → c",
            "survey row 5, column type (A): locations (geopoint) are not supported by pantau",
            "survey row 6, column name (B): duplicate name b (first used in row 3)",
        ],
    );
}

#[test]
fn load_bytes_names_the_file_as_given() {
    let (form, problems) = check_bytes("uploads/x.xlsx", b"garbage");
    assert!(form.is_none());
    assert!(
        problems[0]
            .to_string()
            .starts_with("uploads/x.xlsx: not a readable .xlsx workbook")
    );
}

// --- other formats ---

#[test]
fn ods_and_xls_fixtures_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms");
    for name in ["odk_clinic.ods", "odk_clinic.xls", "odk_clinic.xlsx"] {
        let (form, problems) = check_path(&dir.join(name));
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(listed.is_empty(), "{name}: {}", listed.join("\n"));
        assert_eq!(form.unwrap().fields().len(), 21, "{name}");
    }
}

#[test]
fn ods_and_xls_bytes_with_the_wrong_extension() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms");
    let ods = std::fs::read(dir.join("odk_clinic.ods")).unwrap();
    check_file("form.xlsx", &ods, &["not a readable .xlsx workbook"]);
    // Without a known extension the format is detected from the bytes.
    let (form, _) = check_bytes("upload", &ods);
    assert!(form.is_some());
}

#[test]
fn xls_claiming_billions_of_cells_is_refused_before_it_is_read() {
    // calamine would reserve memory for every cell a sheet's DIMENSIONS record claims, and an
    // allocation of hundreds of gigabytes aborts the process.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms");
    let mut xls = std::fs::read(dir.join("odk_clinic.xls")).unwrap();
    let record = [0x00, 0x02, 0x0E, 0x00, 0, 0, 0, 0];
    let at = xls
        .windows(record.len())
        .position(|w| w == record)
        .expect("a DIMENSIONS record");
    xls[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    xls[at + 14..at + 16].copy_from_slice(&u16::MAX.to_le_bytes());
    check_file(
        "form.xls",
        &xls,
        &["the .xls file looks damaged (a sheet claims rows 0 to 4294967295 and 65535 columns)"],
    );
}

#[test]
fn xlsx_claiming_trillions_of_texts_is_refused_before_it_is_read() {
    // calamine reserves room for as many shared strings as `uniqueCount` claims (calamine
    // issue #684): unguarded, this 4 KB form asks for 96 terabytes and the server aborts.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms");
    let good = std::fs::read(dir.join("odk_clinic.xlsx")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&good)).unwrap();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let pattern = regex::Regex::new(r#"uniqueCount="\d+""#).unwrap();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if name == "xl/sharedStrings.xml" {
            let text = String::from_utf8(content).unwrap();
            assert!(pattern.is_match(&text), "{text:.200}");
            content = pattern
                .replace(&text, r#"uniqueCount="4000000000000""#)
                .into_owned()
                .into_bytes();
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, &content).unwrap();
    }
    let forged = writer.finish().unwrap().into_inner();
    check_file(
        "form.xlsx",
        &forged,
        &["claims 4000000000000 distinct texts (uniqueCount)"],
    );
}
