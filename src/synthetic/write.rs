//! Writing synthetic people as roster files, clean or messy, with an optional known set of bad
//! rows.

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::people::{Person, Rng};

/// How carefully the file is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One sheet, header in the first row, plain spellings, values typed as text or numbers.
    Clean,
    /// Every variant of a hand-made roster the import must cope with.
    Messy,
}

/// A roster column the generator can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Running number, "No".
    RowNumber,
    /// Participant id.
    ParticipantId,
    /// NIK.
    Nik,
    /// Full name.
    Name,
    /// Sex.
    Sex,
    /// Date of birth.
    BirthDate,
    /// Mobile number.
    Phone,
    /// Province.
    Province,
    /// Regency or city.
    Regency,
    /// Confederation.
    Confederation,
    /// Federation.
    Federation,
    /// Plant-level union.
    Union,
    /// Last employer.
    LastEmployer,
    /// Sector.
    Sector,
    /// Layoff date.
    LayoffDate,
    /// Last wage.
    LastWage,
    /// Cohort.
    Cohort,
    /// Training location.
    TrainingLocation,
    /// Training date.
    TrainingDate,
    /// Enrolment date.
    EnrolmentDate,
    /// Attendance of session 1, 2 or 3.
    Attended(u8),
    /// A column pantau does not know ("Ukuran Baju"), kept as an extra attribute.
    ShirtSize,
}

impl Column {
    /// Every column, in the order rosters usually have them.
    pub const ALL: [Column; 23] = [
        Column::RowNumber,
        Column::ParticipantId,
        Column::Nik,
        Column::Name,
        Column::Sex,
        Column::BirthDate,
        Column::Phone,
        Column::Province,
        Column::Regency,
        Column::Confederation,
        Column::Federation,
        Column::Union,
        Column::LastEmployer,
        Column::Sector,
        Column::LayoffDate,
        Column::LastWage,
        Column::Cohort,
        Column::TrainingLocation,
        Column::TrainingDate,
        Column::EnrolmentDate,
        Column::Attended(1),
        Column::Attended(2),
        Column::Attended(3),
    ];

    /// The 16 columns of the benchmark roster.
    pub const BENCHMARK: [Column; 16] = [
        Column::ParticipantId,
        Column::Nik,
        Column::Name,
        Column::Sex,
        Column::BirthDate,
        Column::Phone,
        Column::Province,
        Column::Regency,
        Column::Federation,
        Column::Union,
        Column::Sector,
        Column::LastWage,
        Column::Cohort,
        Column::Attended(1),
        Column::Attended(2),
        Column::Attended(3),
    ];

    /// Header spellings seen in real rosters; the first is the clean one.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Column::RowNumber => &["No", "No.", "NO"],
            Column::ParticipantId => &["ID Peserta", "Kode Peserta", "Participant ID"],
            Column::Nik => &["NIK", "No. KTP", "NIK KTP", "Nomor Induk Kependudukan"],
            Column::Name => &["Nama Lengkap", "Nama", "NAMA PESERTA", "Name"],
            Column::Sex => &["Jenis Kelamin", "L/P", "JK", "Jenis Kelamin (L/P)"],
            Column::BirthDate => &["Tanggal Lahir", "Tgl. Lahir", "TGL LAHIR", "Date of birth"],
            Column::Phone => &["No. HP", "No. HP/WA", "No WhatsApp", "Telepon"],
            Column::Province => &["Provinsi", "PROVINSI", "Prov"],
            Column::Regency => &["Kabupaten/Kota", "Kab/Kota", "Kota"],
            Column::Confederation => &["Konfederasi", "KONFEDERASI"],
            Column::Federation => &["Federasi", "FEDERASI", "Federation"],
            Column::Union => &["Serikat Pekerja", "SP/SB", "Nama PUK"],
            Column::LastEmployer => &["Perusahaan Terakhir", "Nama Perusahaan", "Perusahaan"],
            Column::Sector => &["Sektor", "Sektor Industri", "Industri"],
            Column::LayoffDate => &["Tanggal PHK", "Tgl PHK", "Tanggal di PHK"],
            Column::LastWage => &["Upah Terakhir", "Gaji Terakhir", "Upah sebelum PHK"],
            Column::Cohort => &["Angkatan", "Batch", "Kohort"],
            Column::TrainingLocation => &["Lokasi Pelatihan", "Tempat Pelatihan", "Lokasi"],
            Column::TrainingDate => &["Tanggal Pelatihan", "Tgl Pelatihan", "Training date"],
            Column::EnrolmentDate => &["Tanggal Daftar", "Tgl. Pendaftaran", "Enrolment date"],
            Column::Attended(1) => &["Sesi 1", "Kehadiran Sesi 1", "Hadir Sesi 1"],
            Column::Attended(2) => &["Sesi 2", "Kehadiran Sesi 2", "Hadir Sesi 2"],
            Column::Attended(_) => &["Sesi 3", "Kehadiran Sesi 3", "Hadir Sesi 3"],
            Column::ShirtSize => &["Ukuran Baju", "UKURAN BAJU"],
        }
    }

    /// The attribute name pantau stores this column under.
    pub fn attribute(self) -> String {
        match self {
            Column::RowNumber => String::new(),
            Column::ParticipantId => "participant_id".into(),
            Column::Nik => "nik".into(),
            Column::Name => "name".into(),
            Column::Sex => "sex".into(),
            Column::BirthDate => "birth_date".into(),
            Column::Phone => "phone".into(),
            Column::Province => "province".into(),
            Column::Regency => "regency".into(),
            Column::Confederation => "confederation".into(),
            Column::Federation => "federation".into(),
            Column::Union => "union".into(),
            Column::LastEmployer => "last_employer".into(),
            Column::Sector => "sector".into(),
            Column::LayoffDate => "layoff_date".into(),
            Column::LastWage => "last_wage".into(),
            Column::Cohort => "cohort".into(),
            Column::TrainingLocation => "training_location".into(),
            Column::TrainingDate => "training_date".into(),
            Column::EnrolmentDate => "enrolment_date".into(),
            Column::Attended(n) => format!("attended_{n}"),
            Column::ShirtSize => "extra_ukuran_baju".into(),
        }
    }

    /// The value pantau should store for `person` in this column.
    pub fn expected(self, person: &Person) -> Option<String> {
        let date = |d: NaiveDate| Some(d.format("%Y-%m-%d").to_string());
        match self {
            Column::RowNumber | Column::ShirtSize => None,
            Column::ParticipantId => Some(person.participant_id.clone()),
            Column::Nik => Some(person.nik.clone()),
            Column::Name => Some(person.name.clone()),
            Column::Sex => Some(person.sex.to_string()),
            Column::BirthDate => date(person.birth_date),
            Column::Phone => Some(person.phone.clone()),
            Column::Province => Some(person.province.into()),
            Column::Regency => Some(person.regency.into()),
            Column::Confederation => Some(person.confederation.into()),
            Column::Federation => Some(person.federation.into()),
            Column::Union => Some(person.union.clone()),
            Column::LastEmployer => Some(person.last_employer.clone()),
            Column::Sector => Some(person.sector.into()),
            Column::LayoffDate => date(person.layoff_date),
            Column::LastWage => Some(person.last_wage.to_string()),
            Column::Cohort => Some(person.cohort.clone()),
            Column::TrainingLocation => Some(person.training_location.into()),
            Column::TrainingDate => date(person.training_date),
            Column::EnrolmentDate => date(person.enrolment_date),
            Column::Attended(n) => Some(
                if person.attended[usize::from(n.clamp(1, 3)) - 1] {
                    "1"
                } else {
                    "0"
                }
                .into(),
            ),
        }
    }
}

/// How a roster file is written.
#[derive(Debug, Clone)]
pub struct Style {
    /// Clean or messy.
    pub mode: Mode,
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Seed for the messy choices (spellings, formats, hidden rows), independent of the people.
    pub seed: u64,
    /// How many rows get one known bad cell (see [`BadRow`]).
    pub bad_rows: usize,
    /// One sheet per federation instead of one sheet.
    pub sheets_by_federation: bool,
}

impl Style {
    /// A clean roster with every column.
    pub fn clean() -> Style {
        Style {
            mode: Mode::Clean,
            columns: Column::ALL.to_vec(),
            seed: 0,
            bad_rows: 0,
            sheets_by_federation: false,
        }
    }

    /// A messy roster with every column plus an unknown one, one sheet per federation.
    pub fn messy(seed: u64) -> Style {
        let mut columns = Column::ALL.to_vec();
        columns.push(Column::ShirtSize);
        Style {
            mode: Mode::Messy,
            columns,
            seed,
            bad_rows: 0,
            sheets_by_federation: true,
        }
    }

    /// The benchmark's clean 16-column roster.
    pub fn benchmark() -> Style {
        Style {
            columns: Column::BENCHMARK.to_vec(),
            ..Style::clean()
        }
    }
}

/// A row the generator spoiled on purpose, and why the import must reject it.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// Sheet name.
    pub sheet: String,
    /// Spreadsheet row number (1-based).
    pub row: usize,
    /// The spoiled column, or `None` when the row lacks any identifier.
    pub column: Option<Column>,
    /// Index of the person in the slice that was written.
    pub person: usize,
    /// A fragment of the message pantau gives.
    pub expect: &'static str,
}

/// Where each person ended up.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// (sheet, spreadsheet row number, index of the person), in writing order.
    pub rows: Vec<(String, usize, usize)>,
    /// The spoiled rows.
    pub bad: Vec<BadRow>,
    /// Rows hidden in the workbook.
    pub hidden_rows: usize,
}

/// A cell before it is written.
enum Value {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

/// The kinds of spoiled cells, tried in turn.
const SPOILERS: &[(Column, &str, &str)] = &[
    (Column::Nik, "3.20101E+15", "scientific notation"),
    (
        Column::Phone,
        "021-5551234",
        "not an Indonesian mobile number",
    ),
    (Column::BirthDate, "31/02/1985", "not recognised"),
    (Column::Sex, "X", "not recognised"),
    (Column::LastWage, "3,5", "not recognised"),
    (Column::Sector, "#N/A", "formula error"),
    (Column::Nik, "320101450785000", "15 digits"),
];

/// Builds the sheets: (name, people indexes), split by federation when asked.
fn sheets(people: &[Person], style: &Style) -> Vec<(String, Vec<usize>)> {
    if !style.sheets_by_federation {
        return vec![("Peserta".to_owned(), (0..people.len()).collect())];
    }
    let mut by: Vec<(String, Vec<usize>)> = Vec::new();
    for (index, person) in people.iter().enumerate() {
        match by.iter_mut().find(|(name, _)| name == person.federation) {
            Some((_, rows)) => rows.push(index),
            None => by.push((person.federation.to_owned(), vec![index])),
        }
    }
    by.sort_by(|a, b| a.0.cmp(&b.0));
    by
}

/// Which people get a spoiled cell, spread over the file, with the spoiler each gets.
fn spoiled(people: usize, style: &Style) -> Vec<(usize, usize)> {
    let usable: Vec<usize> = (0..SPOILERS.len())
        .filter(|&k| style.columns.contains(&SPOILERS[k].0))
        .collect();
    let no_key = !style.columns.contains(&Column::ParticipantId);
    let kinds = usable.len() + usize::from(no_key);
    if kinds == 0 || people == 0 {
        return vec![];
    }
    (0..style.bad_rows.min(people))
        .map(|k| {
            let person = (k + 1) * people / (style.bad_rows.min(people) + 1);
            // usize::MAX marks "no identifier at all".
            let kind = usable.get(k % kinds).copied().unwrap_or(usize::MAX);
            (person, kind)
        })
        .collect()
}

/// The value of one cell; messy mode varies the spelling with `rng`.
fn value(person: &Person, index: usize, column: Column, mode: Mode, rng: &mut Rng) -> Value {
    let messy = mode == Mode::Messy;
    let text = |s: &str| Value::Text(s.to_owned());
    match column {
        Column::RowNumber => Value::Number(index as f64 + 1.0),
        Column::ParticipantId => text(&person.participant_id),
        Column::Nik if messy => match rng.below(20) {
            // Stored as a number: accepted with a warning when the last digit survived.
            0 | 1 if !person.nik.ends_with('0') => {
                Value::Number(person.nik.parse().unwrap_or_default())
            }
            2 => Value::Text(format!("'{}", person.nik)),
            3 => Value::Text(format!(
                "{} {} {} {}",
                &person.nik[..4],
                &person.nik[4..8],
                &person.nik[8..12],
                &person.nik[12..]
            )),
            _ => text(&person.nik),
        },
        Column::Nik => text(&person.nik),
        Column::Name if messy => match rng.below(6) {
            0 => Value::Text(person.name.to_uppercase()),
            1 => Value::Text(format!(" {}  ", person.name.replace(' ', "  "))),
            _ => text(&person.name),
        },
        Column::Name => text(&person.name),
        Column::Sex if messy => {
            let spellings: &[&str] = if person.sex == 'P' {
                &["P", "Perempuan", "perempuan", "Wanita", "PR", "P "]
            } else {
                &["L", "Laki-laki", "LAKI-LAKI", "Pria", "LK", "l"]
            };
            let spelling: &&str = rng.pick(spellings);
            text(spelling)
        }
        Column::Sex => Value::Text(person.sex.to_string()),
        Column::BirthDate | Column::LayoffDate | Column::TrainingDate | Column::EnrolmentDate => {
            let date = match column {
                Column::BirthDate => person.birth_date,
                Column::LayoffDate => person.layoff_date,
                Column::EnrolmentDate => person.enrolment_date,
                _ => person.training_date,
            };
            if !messy {
                return Value::Date(date);
            }
            match rng.below(5) {
                0 => Value::Date(date),
                1 => Value::Number(excel_serial(date)),
                2 => Value::Text(date.format("%d/%m/%Y").to_string()),
                3 => Value::Text(format!(
                    "{} {} {}",
                    date.day(),
                    crate::roster::INDONESIAN_MONTHS[date.month0() as usize],
                    date.year()
                )),
                _ => Value::Text(date.format("%Y-%m-%d").to_string()),
            }
        }
        Column::Phone if messy => {
            let local = &person.phone[2..];
            match rng.below(5) {
                0 => Value::Number(local.parse().unwrap_or_default()),
                1 => Value::Text(format!("0{}-{}-{}", &local[..3], &local[3..7], &local[7..])),
                2 => Value::Text(format!(
                    "+62 {} {} {}",
                    &local[..3],
                    &local[3..7],
                    &local[7..]
                )),
                3 => Value::Text(format!("0{local}")),
                _ => Value::Text(person.phone.clone()),
            }
        }
        Column::Phone => Value::Text(format!("0{}", &person.phone[2..])),
        Column::Province => text(person.province),
        Column::Regency => text(person.regency),
        Column::Confederation => text(person.confederation),
        Column::Federation => text(person.federation),
        Column::Union => text(&person.union),
        Column::LastEmployer => text(&person.last_employer),
        Column::Sector => text(person.sector),
        Column::LastWage if messy => match rng.below(4) {
            0 => Value::Number(person.last_wage as f64),
            1 => Value::Text(format!("Rp {}", grouped(person.last_wage))),
            2 if person.last_wage.is_multiple_of(100_000) => Value::Text(format!(
                "{},{} juta",
                person.last_wage / 1_000_000,
                person.last_wage % 1_000_000 / 100_000
            )),
            _ => Value::Text(format!("{},-", grouped(person.last_wage))),
        },
        Column::LastWage => Value::Number(person.last_wage as f64),
        Column::Cohort => text(&person.cohort),
        Column::TrainingLocation => text(person.training_location),
        Column::Attended(n) => {
            let came = person.attended[usize::from(n.clamp(1, 3)) - 1];
            if !messy {
                return Value::Number(if came { 1.0 } else { 0.0 });
            }
            match (rng.below(4), came) {
                (0, true) => text("✓"),
                (0, false) => Value::Empty,
                (1, true) => text("hadir"),
                (1, false) => text("tidak hadir"),
                (2, true) => text("ya"),
                (2, false) => text("x"),
                (_, true) => Value::Number(1.0),
                (_, false) => Value::Number(0.0),
            }
        }
        Column::ShirtSize => text(["S", "M", "L", "XL", "XXL"][index % 5]),
    }
}

fn grouped(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn excel_serial(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    (date - epoch).num_days() as f64
}

/// One row of cells for `person`, spoiled when asked.
fn row_values(
    person: &Person,
    index: usize,
    style: &Style,
    spoil: Option<usize>,
    rng: &mut Rng,
) -> Vec<Value> {
    style
        .columns
        .iter()
        .map(|&column| match spoil {
            Some(usize::MAX) if matches!(column, Column::Nik | Column::Phone) => Value::Empty,
            Some(kind) if kind != usize::MAX && SPOILERS[kind].0 == column => {
                Value::Text(SPOILERS[kind].1.to_owned())
            }
            _ => value(person, index, column, style.mode, rng),
        })
        .collect()
}

/// The whole layout: for each sheet its name, title rows, header, and the rows to write.
struct Layout {
    sheets: Vec<(String, Vec<usize>)>,
    spoiled: Vec<(usize, usize)>,
    headers: Vec<&'static str>,
    title_rows: usize,
}

fn layout(people: &[Person], style: &Style, rng: &mut Rng) -> Layout {
    let headers = style
        .columns
        .iter()
        .map(|column| match style.mode {
            Mode::Clean => column.headers()[0],
            Mode::Messy => *rng.pick(column.headers()),
        })
        .collect();
    Layout {
        sheets: sheets(people, style),
        spoiled: spoiled(people.len(), style),
        headers,
        title_rows: if style.mode == Mode::Messy { 3 } else { 0 },
    }
}

fn record_bad(written: &mut Written, sheet: &str, row: usize, person: usize, kind: usize) {
    let (column, expect) = if kind == usize::MAX {
        (None, "no participant id, NIK or phone")
    } else {
        (Some(SPOILERS[kind].0), SPOILERS[kind].2)
    };
    written.bad.push(BadRow {
        sheet: sheet.to_owned(),
        row,
        column,
        person,
        expect,
    });
}

/// The workbook as bytes.
pub fn xlsx_bytes(people: &[Person], style: &Style) -> Result<(Vec<u8>, Written), String> {
    let mut workbook = build_workbook(people, style)?;
    let bytes = workbook.0.save_to_buffer().map_err(|e| e.to_string())?;
    Ok((bytes, workbook.1))
}

/// Writes the people as an `.xlsx` roster at `path`.
pub fn write_xlsx(people: &[Person], style: &Style, path: &Path) -> Result<Written, String> {
    let (mut workbook, written) = build_workbook(people, style)?;
    workbook
        .save(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(written)
}

fn build_workbook(people: &[Person], style: &Style) -> Result<(Workbook, Written), String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut rng = Rng::new(style.seed);
    let layout = layout(people, style, &mut rng);
    let mut workbook = Workbook::new();
    let mut written = Written::default();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let title_format = Format::new().set_bold();
    let width = style.columns.len().max(1) as u16;
    for (sheet_name, members) in &layout.sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name).map_err(err)?;
        if layout.title_rows > 0 {
            let title = "DAFTAR PESERTA PELATIHAN RESELLER EVERMOS - PROMISE II IMPACT";
            if width > 1 {
                sheet
                    .merge_range(0, 0, 0, width - 1, title, &title_format)
                    .map_err(err)?;
            } else {
                sheet.write_string(0, 0, title).map_err(err)?;
            }
            sheet
                .write_string(
                    1,
                    0,
                    format!("Federasi: {sheet_name} — diperbarui 01/12/2025"),
                )
                .map_err(err)?;
        }
        let header_row = layout.title_rows as u32;
        for (col, header) in layout.headers.iter().enumerate() {
            sheet
                .write_string(header_row, col as u16, *header)
                .map_err(err)?;
        }
        for (position, &index) in members.iter().enumerate() {
            let row = header_row + 1 + position as u32;
            let spoil = layout
                .spoiled
                .iter()
                .find(|(p, _)| *p == index)
                .map(|(_, k)| *k);
            if let Some(kind) = spoil {
                record_bad(&mut written, sheet_name, row as usize + 1, index, kind);
            }
            let values = row_values(&people[index], position, style, spoil, &mut rng);
            write_row(sheet, row, &values, &date_format).map_err(err)?;
            if style.mode == Mode::Messy && rng.chance(0.02) {
                sheet.set_row_hidden(row).map_err(err)?;
                written.hidden_rows += 1;
            }
            written
                .rows
                .push((sheet_name.clone(), row as usize + 1, index));
        }
    }
    if style.mode == Mode::Messy {
        // A hidden lookup sheet, as offices keep for drop-down lists; it is not a roster.
        let lists = workbook.add_worksheet();
        lists.set_name("Daftar Federasi").map_err(err)?;
        lists.write_string(0, 0, "Konfederasi").map_err(err)?;
        lists.write_string(0, 1, "Federasi").map_err(err)?;
        for (row, (confederation, federation)) in [("KSPI", "FSPMI"), ("KSPSI", "FSP TSK-SPSI")]
            .iter()
            .enumerate()
        {
            lists
                .write_string(row as u32 + 1, 0, *confederation)
                .map_err(err)?;
            lists
                .write_string(row as u32 + 1, 1, *federation)
                .map_err(err)?;
        }
        lists.set_hidden(true);
    }
    Ok((workbook, written))
}

fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    values: &[Value],
    date_format: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (col, value) in values.iter().enumerate() {
        let col = col as u16;
        match value {
            Value::Text(text) => {
                sheet.write_string(row, col, text)?;
            }
            Value::Number(n) => {
                sheet.write_number(row, col, *n)?;
            }
            Value::Date(date) => {
                let excel = ExcelDateTime::from_ymd(
                    date.year() as u16,
                    date.month() as u8,
                    date.day() as u8,
                )?;
                sheet.write_datetime_with_format(row, col, &excel, date_format)?;
            }
            Value::Empty => {}
        }
    }
    Ok(())
}

/// Writes the people as a `.csv` roster at `path`: comma-separated UTF-8 when clean; messy adds
/// a byte-order mark, semicolons (Excel's choice where the comma is the decimal mark) and title
/// lines. Federations stay in one file, since CSV has no sheets.
pub fn write_csv(people: &[Person], style: &Style, path: &Path) -> Result<Written, String> {
    let mut rng = Rng::new(style.seed);
    let layout = layout(people, style, &mut rng);
    let messy = style.mode == Mode::Messy;
    let sheet_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    if messy {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut writer = csv::WriterBuilder::new()
        .delimiter(if messy { b';' } else { b',' })
        .flexible(true)
        .from_writer(&mut out);
    let csv_err = |e: csv::Error| e.to_string();
    if messy {
        writer
            .write_record(["DAFTAR PESERTA PELATIHAN RESELLER EVERMOS"])
            .map_err(csv_err)?;
        writer.write_record([""]).map_err(csv_err)?;
        writer.write_record([""]).map_err(csv_err)?;
    }
    writer.write_record(&layout.headers).map_err(csv_err)?;
    let mut written = Written::default();
    for (index, person) in people.iter().enumerate() {
        let row = layout.title_rows + 2 + index;
        let spoil = layout
            .spoiled
            .iter()
            .find(|(p, _)| *p == index)
            .map(|(_, k)| *k);
        if let Some(kind) = spoil {
            record_bad(&mut written, &sheet_name, row, index, kind);
        }
        let values = row_values(person, index, style, spoil, &mut rng);
        let fields: Vec<String> = values
            .iter()
            .map(|value| match value {
                Value::Text(text) => text.clone(),
                Value::Number(n) => format!("{n}"),
                Value::Date(date) => date.format("%d/%m/%Y").to_string(),
                Value::Empty => String::new(),
            })
            .collect();
        writer.write_record(&fields).map_err(csv_err)?;
        written.rows.push((sheet_name.clone(), row, index));
    }
    writer.flush().map_err(|e| e.to_string())?;
    drop(writer);
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Spec, roster};

    #[test]
    fn bad_rows_are_spread_and_named() {
        let people = roster(&Spec::new(1, 100));
        let style = Style {
            bad_rows: 8,
            ..Style::messy(2)
        };
        let (bytes, written) = xlsx_bytes(&people, &style).unwrap();
        assert!(bytes.starts_with(b"PK"));
        assert_eq!(written.bad.len(), 8);
        assert_eq!(written.rows.len(), 100);
        assert!(
            written
                .bad
                .iter()
                .any(|b| b.column.is_none() && b.expect.contains("no participant id"))
                || style.columns.contains(&Column::ParticipantId)
        );
    }
}
