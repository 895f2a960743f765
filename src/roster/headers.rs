//! Recognising roster columns by their headers, and finding the header row itself.
//!
//! Headers are compared after folding: lower case, letters and digits only, so "No. HP/WA",
//! "no hp wa" and "NO_HP_WA" are the same. A header is tried whole and then without its
//! parenthesised part ("Jenis Kelamin (L/P)" → "jenis kelamin"). The built-in aliases cover the
//! Indonesian and English spellings seen in programme rosters; the configuration adds more.

use std::collections::HashMap;

use super::Cell;

/// A roster column pantau understands. Other columns are kept as extra attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The programme's own participant id.
    ParticipantId,
    /// National identity number.
    Nik,
    /// Full name.
    Name,
    /// Sex (L/P).
    Sex,
    /// Date of birth.
    BirthDate,
    /// Age in years, when the roster has no birth date.
    Age,
    /// Mobile or WhatsApp number.
    Phone,
    /// Email address.
    Email,
    /// Street address.
    Address,
    /// Province name.
    Province,
    /// Regency or city (kabupaten / kota).
    Regency,
    /// District (kecamatan).
    District,
    /// Trade-union confederation.
    Confederation,
    /// Trade-union federation.
    Federation,
    /// Trade union (serikat pekerja).
    Union,
    /// Last employer before the layoff.
    LastEmployer,
    /// Sector or industry.
    Sector,
    /// Date of the layoff (PHK).
    LayoffDate,
    /// Last monthly wage before the layoff.
    LastWage,
    /// Training cohort or batch.
    Cohort,
    /// Where the training took place.
    TrainingLocation,
    /// Date the training ended.
    TrainingDate,
    /// Date the participant joined the programme (anchors the baseline wave).
    EnrolmentDate,
    /// Attendance of training session n (1-based).
    Attended(u8),
    /// Disability as the roster records it.
    Disability,
    /// BPJS Ketenagakerjaan membership number (KPJ).
    Kpj,
}

impl Field {
    /// The name used in the database, in forms (`roster_<name>`) and in indicators.
    pub fn name(self) -> String {
        match self {
            Field::Attended(n) => format!("attended_{n}"),
            other => CANONICAL
                .iter()
                .find(|(_, field)| *field == other)
                .map(|(name, _)| (*name).to_owned())
                .unwrap_or_default(),
        }
    }

    /// The field with this canonical name, as used in the configuration's alias table.
    pub fn from_name(name: &str) -> Option<Field> {
        if let Some(n) = name.strip_prefix("attended_") {
            return n.parse().ok().filter(|n| *n > 0).map(Field::Attended);
        }
        CANONICAL
            .iter()
            .find(|(canonical, _)| *canonical == name)
            .map(|(_, field)| *field)
    }

    /// Whether the column can identify a participant by itself.
    pub fn identifies(self) -> bool {
        matches!(
            self,
            Field::ParticipantId | Field::Nik | Field::Phone | Field::Name
        )
    }
}

const CANONICAL: &[(&str, Field)] = &[
    ("participant_id", Field::ParticipantId),
    ("nik", Field::Nik),
    ("name", Field::Name),
    ("sex", Field::Sex),
    ("birth_date", Field::BirthDate),
    ("age", Field::Age),
    ("phone", Field::Phone),
    ("email", Field::Email),
    ("address", Field::Address),
    ("province", Field::Province),
    ("regency", Field::Regency),
    ("district", Field::District),
    ("confederation", Field::Confederation),
    ("federation", Field::Federation),
    ("union", Field::Union),
    ("last_employer", Field::LastEmployer),
    ("sector", Field::Sector),
    ("layoff_date", Field::LayoffDate),
    ("last_wage", Field::LastWage),
    ("cohort", Field::Cohort),
    ("training_location", Field::TrainingLocation),
    ("training_date", Field::TrainingDate),
    ("enrolment_date", Field::EnrolmentDate),
    ("disability", Field::Disability),
    ("kpj", Field::Kpj),
];

/// Built-in header spellings, before folding.
const ALIASES: &[(Field, &[&str])] = &[
    (
        Field::ParticipantId,
        &[
            "participant id",
            "id peserta",
            "kode peserta",
            "no peserta",
            "nomor peserta",
            "id",
        ],
    ),
    (
        Field::Nik,
        &[
            "nik",
            "no ktp",
            "nomor ktp",
            "nik ktp",
            "no nik",
            "nomor induk kependudukan",
            "ktp",
        ],
    ),
    (
        Field::Name,
        &[
            "nama",
            "nama lengkap",
            "nama peserta",
            "name",
            "full name",
            "nama anggota",
        ],
    ),
    (
        Field::Sex,
        &[
            "jenis kelamin",
            "jk",
            "l/p",
            "lp",
            "sex",
            "gender",
            "kelamin",
        ],
    ),
    (
        Field::BirthDate,
        &[
            "tanggal lahir",
            "tgl lahir",
            "tgl. lahir",
            "date of birth",
            "dob",
            "birth date",
            "tanggal kelahiran",
        ],
    ),
    (Field::Age, &["umur", "usia", "age"]),
    (
        Field::Phone,
        &[
            "no hp",
            "no. hp",
            "nomor hp",
            "no hp/wa",
            "no wa",
            "no. wa",
            "nomor wa",
            "whatsapp",
            "no whatsapp",
            "telepon",
            "telp",
            "no telp",
            "phone",
            "mobile",
            "hp",
            "wa",
            "hp/wa",
            "no handphone",
            "handphone",
        ],
    ),
    (Field::Email, &["email", "e-mail", "alamat email", "surel"]),
    (
        Field::Address,
        &["alamat", "address", "alamat lengkap", "alamat rumah"],
    ),
    (Field::Province, &["provinsi", "province", "prov"]),
    (
        Field::Regency,
        &[
            "kabupaten",
            "kota",
            "kabupaten/kota",
            "kab/kota",
            "kab kota",
            "regency",
            "city",
            "district/city",
        ],
    ),
    (
        Field::District,
        &["kecamatan", "kec", "subdistrict", "sub-district"],
    ),
    (Field::Confederation, &["konfederasi", "confederation"]),
    (Field::Federation, &["federasi", "federation"]),
    (
        Field::Union,
        &[
            "serikat pekerja",
            "serikat",
            "sp",
            "union",
            "trade union",
            "serikat buruh",
            "sp/sb",
            "psp",
            "puk",
        ],
    ),
    (
        Field::LastEmployer,
        &[
            "perusahaan terakhir",
            "perusahaan",
            "nama perusahaan",
            "last employer",
            "employer",
            "company",
            "tempat kerja terakhir",
        ],
    ),
    (
        Field::Sector,
        &[
            "sektor",
            "industri",
            "sektor industri",
            "sector",
            "industry",
        ],
    ),
    (
        Field::LayoffDate,
        &[
            "tanggal phk",
            "tgl phk",
            "layoff date",
            "date of layoff",
            "tanggal di phk",
        ],
    ),
    (
        Field::LastWage,
        &[
            "upah terakhir",
            "gaji terakhir",
            "last wage",
            "last salary",
            "upah",
            "gaji",
            "upah sebelum phk",
        ],
    ),
    (
        Field::Cohort,
        &[
            "angkatan",
            "kohort",
            "batch",
            "cohort",
            "gelombang",
            "kelas",
        ],
    ),
    (
        Field::TrainingLocation,
        &[
            "lokasi pelatihan",
            "tempat pelatihan",
            "training location",
            "lokasi",
            "venue",
        ],
    ),
    (
        Field::TrainingDate,
        &[
            "tanggal pelatihan",
            "tgl pelatihan",
            "training date",
            "tanggal selesai pelatihan",
            "training end date",
        ],
    ),
    (
        Field::EnrolmentDate,
        &[
            "tanggal daftar",
            "tgl daftar",
            "tanggal pendaftaran",
            "tgl pendaftaran",
            "tanggal registrasi",
            "tanggal bergabung",
            "enrolment date",
            "enrollment date",
            "registration date",
            "date enrolled",
        ],
    ),
    (
        Field::Disability,
        &[
            "disabilitas",
            "penyandang disabilitas",
            "disability",
            "difabel",
        ],
    ),
    (
        Field::Kpj,
        &[
            "kpj",
            "no kpj",
            "no. bpjs",
            "no bpjs",
            "nomor bpjs",
            "no bpjs ketenagakerjaan",
            "nomor kpj",
            "bpjs tk",
        ],
    ),
];

/// Folds a header for comparison: lower case, letters and digits only.
pub fn fold(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The alias table: built-in spellings plus those from the configuration.
#[derive(Debug, Clone)]
pub struct Aliases {
    by_folded: HashMap<String, Field>,
}

impl Default for Aliases {
    fn default() -> Self {
        Aliases::new(&[]).expect("built-in aliases use known fields")
    }
}

impl Aliases {
    /// Built-in aliases plus extra ones (canonical field name → header spellings). An extra
    /// alias overrides a built-in one with the same folded spelling.
    pub fn new(extra: &[(String, Vec<String>)]) -> Result<Aliases, String> {
        let mut by_folded = HashMap::new();
        for (field, spellings) in ALIASES {
            for spelling in *spellings {
                by_folded.insert(fold(spelling), *field);
            }
        }
        for (name, spellings) in extra {
            let field = Field::from_name(name)
                .ok_or_else(|| format!("roster alias for unknown field {name:?}"))?;
            for spelling in spellings {
                by_folded.insert(fold(spelling), field);
            }
        }
        Ok(Aliases { by_folded })
    }

    /// The field a header names, if any.
    pub fn field(&self, header: &str) -> Option<Field> {
        let folded = fold(header);
        if folded.is_empty() {
            return None;
        }
        if let Some(field) = self.by_folded.get(&folded) {
            return Some(*field);
        }
        if let Some(n) = attendance_session(&folded) {
            return Some(Field::Attended(n));
        }
        // "Jenis Kelamin (L/P)", "Nama Lengkap (sesuai KTP)".
        if let Some(open) = header.find('(') {
            let without = fold(&header[..open]);
            if let Some(field) = self.by_folded.get(&without) {
                return Some(*field);
            }
        }
        None
    }
}

/// "Kehadiran Sesi 1", "Sesi 2", "Hadir Pertemuan 3", "Session 1", "Attendance day 2".
fn attendance_session(folded: &str) -> Option<u8> {
    let digits_at = folded.find(|c: char| c.is_ascii_digit())?;
    let (word, number) = folded.split_at(digits_at);
    if !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let word = word
        .trim_start_matches("kehadiran")
        .trim_start_matches("hadir")
        .trim_start_matches("attendance")
        .trim_start_matches("attended");
    if !matches!(word, "sesi" | "session" | "pertemuan" | "hari" | "day") {
        return None;
    }
    number.parse().ok().filter(|n| (1..=50).contains(n))
}

/// The header row of a sheet and what each of its columns means.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderRow {
    /// 0-based index of the header row in the sheet.
    pub row: usize,
    /// For each column: its header text and the field it maps to (None for extra columns).
    pub columns: Vec<(String, Option<Field>)>,
}

/// How many rows from the top are searched for the header row; title blocks are short.
const SEARCH_ROWS: usize = 30;

/// Finds the header row: among the first rows, the first with the most recognised headers, at
/// least two of them and one that identifies a participant. None means the sheet does not look
/// like a roster.
pub fn find_header_row(rows: &[Vec<Cell>], aliases: &Aliases) -> Option<HeaderRow> {
    let mut best: Option<(usize, usize)> = None;
    for (index, row) in rows.iter().take(SEARCH_ROWS).enumerate() {
        let fields: Vec<Field> = row
            .iter()
            .filter_map(|cell| match cell {
                Cell::Text(text) => aliases.field(text),
                _ => None,
            })
            .collect();
        let score = fields.len();
        if score >= 2
            && fields.iter().any(|f| f.identifies())
            && best.is_none_or(|(_, best_score)| score > best_score)
        {
            best = Some((index, score));
        }
    }
    let (row, _) = best?;
    let columns = rows[row]
        .iter()
        .map(|cell| {
            let text = cell.display();
            let field = aliases.field(&text);
            (text, field)
        })
        .collect();
    Some(HeaderRow { row, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(header: &str) -> Option<Field> {
        Aliases::default().field(header)
    }

    #[test]
    fn spellings_from_real_rosters() {
        assert_eq!(field("Nama Lengkap"), Some(Field::Name));
        assert_eq!(field("NO. HP/WA"), Some(Field::Phone));
        assert_eq!(field("Jenis Kelamin (L/P)"), Some(Field::Sex));
        assert_eq!(field("L/P"), Some(Field::Sex));
        assert_eq!(field("Tgl. Lahir"), Some(Field::BirthDate));
        assert_eq!(field("No KTP"), Some(Field::Nik));
        assert_eq!(field("Kabupaten/Kota"), Some(Field::Regency));
        assert_eq!(field("Serikat Pekerja"), Some(Field::Union));
        assert_eq!(field("Gaji Terakhir"), Some(Field::LastWage));
        assert_eq!(field("Kehadiran Sesi 1"), Some(Field::Attended(1)));
        assert_eq!(field("Sesi 3"), Some(Field::Attended(3)));
        assert_eq!(field("Session 2"), Some(Field::Attended(2)));
        assert_eq!(field("No. BPJS"), Some(Field::Kpj));
        assert_eq!(field("Hobi"), None);
        assert_eq!(field("3"), None);
        assert_eq!(field(""), None);
    }

    #[test]
    fn configured_aliases_extend_the_table() {
        let aliases =
            Aliases::new(&[("union".into(), vec!["Nama SP/SB Tingkat Pabrik".into()])]).unwrap();
        assert_eq!(
            aliases.field("nama sp/sb tingkat pabrik"),
            Some(Field::Union)
        );
        let err = Aliases::new(&[("hobby".into(), vec!["Hobi".into()])]).unwrap_err();
        assert!(err.contains("hobby"));
    }

    #[test]
    fn canonical_names_round_trip() {
        for (name, field) in CANONICAL {
            assert_eq!(field.name(), *name);
            assert_eq!(Field::from_name(name), Some(*field));
        }
        assert_eq!(Field::from_name("attended_4"), Some(Field::Attended(4)));
        assert_eq!(Field::Attended(4).name(), "attended_4");
        assert_eq!(Field::from_name("attended_0"), None);
    }

    #[test]
    fn header_row_below_a_title_block() {
        let t = Cell::text;
        let rows = vec![
            vec![t("DAFTAR PESERTA PELATIHAN RESELLER"), Cell::Empty],
            vec![t("Federasi Serikat Pekerja Garmen"), Cell::Empty],
            vec![],
            vec![
                t("No"),
                t("Nama Lengkap"),
                t("NIK"),
                t("No. HP/WA"),
                t("Hobi"),
            ],
            vec![
                Cell::Number(1.0),
                t("Siti"),
                t("3201014507850003"),
                t("0812"),
            ],
        ];
        let header = find_header_row(&rows, &Aliases::default()).unwrap();
        assert_eq!(header.row, 3);
        assert_eq!(header.columns[1].1, Some(Field::Name));
        assert_eq!(header.columns[4], ("Hobi".to_owned(), None));
    }

    #[test]
    fn a_sheet_without_identifying_headers_is_not_a_roster() {
        let t = Cell::text;
        let rows = vec![
            vec![t("Provinsi"), t("Sektor")],
            vec![t("Jawa Barat"), t("Garmen")],
        ];
        assert_eq!(find_header_row(&rows, &Aliases::default()), None);
    }
}
