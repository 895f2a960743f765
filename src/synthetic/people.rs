//! Made-up participants with realistic Indonesian names, valid NIKs and phone numbers, and the
//! union, region, sector and training details of the ILO/Evermos reseller programme.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};

/// A small deterministic random number generator (SplitMix64). Its stream is fixed forever, so a
/// seed names the same roster in every test run and every benchmark.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Seed of the random stream; the same seed gives the same people.
    pub seed: u64,
    /// How many participants.
    pub participants: usize,
    /// Number of the first participant id (`EVM-000001` for 1), so that two specs can describe
    /// disjoint or overlapping groups.
    pub first_id: usize,
    /// The day the roster is written; ages and training dates are before it.
    pub today: NaiveDate,
}

impl Spec {
    /// `participants` people from `seed`, ids from 1, written on 1 December 2025.
    pub fn new(seed: u64, participants: usize) -> Spec {
        Spec {
            seed,
            participants,
            first_id: 1,
            today: NaiveDate::from_ymd_opt(2025, 12, 1).expect("valid date"),
        }
    }
}

/// One made-up participant, with every value in the normalised form pantau stores, so tests can
/// compare what was imported with what was generated.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Programme participant id, `EVM-000001`.
    pub participant_id: String,
    /// 16-digit NIK consistent with the birth date and sex.
    pub nik: String,
    /// Full name.
    pub name: String,
    /// `L` or `P`.
    pub sex: char,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Mobile number as stored, `62…`.
    pub phone: String,
    /// Province name as in the reference data.
    pub province: &'static str,
    /// Regency or city.
    pub regency: &'static str,
    /// Union confederation (KSPI, KSPSI, KSBSI).
    pub confederation: &'static str,
    /// Federation within the confederation.
    pub federation: &'static str,
    /// The plant-level union.
    pub union: String,
    /// Last employer before the layoff.
    pub last_employer: String,
    /// Sector of that employer.
    pub sector: &'static str,
    /// Date of the layoff.
    pub layoff_date: NaiveDate,
    /// Last monthly wage in rupiah, near the regency's minimum wage.
    pub last_wage: u64,
    /// Training cohort, `Angkatan 3`.
    pub cohort: String,
    /// Where the training took place.
    pub training_location: &'static str,
    /// Last day of the training.
    pub training_date: NaiveDate,
    /// Day the participant joined the programme: three to five weeks before the training ended.
    pub enrolment_date: NaiveDate,
    /// Attendance of the three sessions, falling like the first cohort's 48 → 30 → 29.
    pub attended: [bool; 3],
}

const WOMEN: &[&str] = &[
    "Siti", "Dewi", "Sri", "Nur", "Ayu", "Rina", "Yuli", "Eka", "Fitri", "Lilis", "Neneng", "Euis",
    "Tati", "Wulan", "Ratna", "Yanti", "Dian", "Nia", "Rika", "Imas", "Enok", "Ani", "Lia", "Susi",
    "Heni", "Indah", "Mega", "Putri", "Nining", "Iis",
];
const MEN: &[&str] = &[
    "Budi", "Agus", "Dedi", "Asep", "Ujang", "Cecep", "Iwan", "Joko", "Bambang", "Hendra", "Rudi",
    "Yayan", "Dadang", "Endang", "Ade", "Hadi", "Wawan", "Eko", "Andi", "Rahmat", "Yusuf", "Ahmad",
    "Muhammad", "Dodi", "Jajang", "Aep", "Deni", "Irfan", "Sutrisno", "Slamet",
];
const SECOND_WOMEN: &[&str] = &[
    "Nurhayati",
    "Rahmawati",
    "Lestari",
    "Susanti",
    "Wulandari",
    "Handayani",
    "Kurniasih",
    "Marlina",
    "Rohmah",
    "Suryani",
    "Komalasari",
    "Fatimah",
    "Aminah",
    "Yuliani",
];
const SECOND_MEN: &[&str] = &[
    "Hidayat",
    "Saputra",
    "Setiawan",
    "Kurniawan",
    "Permana",
    "Sulaeman",
    "Gunawan",
    "Wahyudi",
    "Maulana",
    "Firmansyah",
    "Nugraha",
    "Santoso",
    "Supriatna",
    "Hermawan",
];

/// Region: province, regency, Dukcapil regency code (the NIK's digits 3–4), minimum wage, weight.
const REGIONS: &[(&str, &str, u8, u8, u64, u32)] = &[
    ("Jawa Barat", "Kabupaten Bekasi", 32, 16, 5_558_000, 22),
    ("Jawa Barat", "Kota Bekasi", 32, 75, 5_690_000, 10),
    ("Jawa Barat", "Kabupaten Sukabumi", 32, 2, 3_604_000, 16),
    ("Jawa Barat", "Kabupaten Bogor", 32, 1, 4_877_000, 14),
    ("Jawa Barat", "Kabupaten Karawang", 32, 15, 5_599_000, 14),
    ("Jawa Barat", "Kabupaten Purwakarta", 32, 14, 4_792_000, 6),
    ("Banten", "Kabupaten Tangerang", 36, 3, 5_069_000, 8),
    ("Jawa Tengah", "Kabupaten Semarang", 33, 22, 2_750_000, 5),
    ("DKI Jakarta", "Kota Jakarta Utara", 31, 75, 5_396_000, 5),
];

/// Confederation, federation, union prefix, the sectors its members work in.
const UNIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "KSPI",
        "FSPMI",
        "PUK SPAMK FSPMI",
        &["elektronik", "otomotif"],
    ),
    (
        "KSPI",
        "SPN",
        "PSP SPN",
        &["garmen", "tekstil", "alas kaki"],
    ),
    (
        "KSPI",
        "FSP KEP",
        "PUK SP KEP",
        &["kimia", "makanan minuman"],
    ),
    (
        "KSPSI",
        "FSP TSK-SPSI",
        "PUK SP TSK SPSI",
        &["garmen", "tekstil", "alas kaki"],
    ),
    (
        "KSPSI",
        "FSP LEM-SPSI",
        "PUK SP LEM SPSI",
        &["elektronik", "logam"],
    ),
    (
        "KSPSI",
        "FSP RTMM-SPSI",
        "PUK SP RTMM SPSI",
        &["makanan minuman"],
    ),
    (
        "KSBSI",
        "FSB GARTEKS",
        "PK FSB GARTEKS",
        &["garmen", "tekstil"],
    ),
    (
        "KSBSI",
        "FSB NIKEUBA",
        "PK FSB NIKEUBA",
        &["kimia", "alas kaki"],
    ),
];

const COMPANY_FIRST: &[&str] = &[
    "Sinar", "Karya", "Mitra", "Cahaya", "Bintang", "Sumber", "Panca", "Tri", "Duta", "Mega",
    "Surya", "Putra",
];
const COMPANY_SECOND: &[&str] = &[
    "Garmindo",
    "Tekstil Abadi",
    "Apparel Indonesia",
    "Busana Jaya",
    "Sepatu Mandiri",
    "Elektronik Nusantara",
    "Sentosa",
    "Makmur",
    "Indah Perkasa",
    "Komponen Presisi",
];

/// Training locations and when each cohort's training ended.
const TRAININGS: &[&str] = &[
    "Bekasi - Gedung Buruh KSPI",
    "Sukabumi - Aula Disnaker",
    "Karawang - BLK Karawang",
    "Bogor - Hotel Bumi Wiyata",
];

/// Mobile prefixes after the leading 0 (Telkomsel, Indosat, XL, Smartfren, Tri).
const MOBILE: &[&str] = &[
    "811", "812", "813", "821", "822", "852", "853", "815", "816", "857", "858", "817", "818",
    "819", "859", "877", "878", "881", "882", "895", "896", "897", "898",
];

/// Generates the people of `spec`. Ids, NIKs and phone numbers are unique within one call, and
/// a person's values depend only on the seed and the person's id, so `first_id` ranges that
/// overlap describe the same people.
pub fn roster(spec: &Spec) -> Vec<Person> {
    let mut niks = HashSet::with_capacity(spec.participants);
    (0..spec.participants)
        .map(|index| person(spec, spec.first_id + index, &mut niks))
        .collect()
}

fn person(spec: &Spec, id: usize, niks: &mut HashSet<String>) -> Person {
    let mut rng = Rng::new(spec.seed.wrapping_mul(0x100_0000_01B3) ^ id as u64);
    let female = rng.chance(0.55);
    let name = if female {
        format!("{} {}", rng.pick(WOMEN), rng.pick(SECOND_WOMEN))
    } else {
        format!("{} {}", rng.pick(MEN), rng.pick(SECOND_MEN))
    };
    // Ages 22 to 58, many past 40 as in the unions' feedback.
    let age_days = 365 * (22 + rng.below(37) as i64) + rng.below(365) as i64;
    let birth_date = spec.today - Duration::days(age_days);
    let region = weighted_region(&mut rng);
    let (province, regency, nik_province, regency_code, minimum_wage, _) = *region;
    let nik = unique_nik(
        &mut rng,
        niks,
        [nik_province, regency_code],
        birth_date,
        female,
    );
    // A bijection of the id keeps phone numbers unique for up to 10^8 people.
    let number = (id as u64).wrapping_mul(7_919_113) % 100_000_000;
    let phone = format!("62{}{number:08}", MOBILE[id % MOBILE.len()]);
    let &(confederation, federation, union_prefix, sectors) = rng.pick(UNIONS);
    let sector = *rng.pick(sectors);
    let last_employer = format!(
        "PT {} {}",
        rng.pick(COMPANY_FIRST),
        rng.pick(COMPANY_SECOND)
    );
    let union = format!("{union_prefix} {last_employer}");
    let wage_factor = 0.9 + rng.below(30) as f64 / 100.0;
    let last_wage = ((minimum_wage as f64 * wage_factor) / 1000.0).round() as u64 * 1000;
    let cohort_number = 1 + rng.below(6);
    let training_date = NaiveDate::from_ymd_opt(2025, 1 + (cohort_number as u32 - 1) * 2, 20)
        .expect("valid date")
        .min(spec.today - Duration::days(10));
    let layoff_date = training_date - Duration::days(30 + rng.below(300) as i64);
    let training_location = TRAININGS[(cohort_number as usize - 1) % TRAININGS.len()];
    let first = rng.chance(0.80);
    let second = first && rng.chance(0.625);
    let third = second && rng.chance(0.967);
    Person {
        participant_id: format!("EVM-{id:06}"),
        nik,
        name,
        sex: if female { 'P' } else { 'L' },
        birth_date,
        phone,
        province,
        regency,
        confederation,
        federation,
        union,
        last_employer,
        sector,
        layoff_date,
        last_wage,
        cohort: format!("Angkatan {cohort_number}"),
        training_location,
        training_date,
        // From the id, not the random stream, so that adding it changed no other value.
        enrolment_date: training_date - Duration::days(21 + (id % 15) as i64),
        attended: [first, second, third],
    }
}

fn weighted_region(rng: &mut Rng) -> &'static (&'static str, &'static str, u8, u8, u64, u32) {
    let total: u32 = REGIONS.iter().map(|r| r.5).sum();
    let mut ticket = rng.below(total.into()) as u32;
    for region in REGIONS {
        if ticket < region.5 {
            return region;
        }
        ticket -= region.5;
    }
    &REGIONS[0]
}

/// `PP RR DD DDMMYY SSSS`, women's day plus 40; the serial moves on until the NIK is unused.
fn unique_nik(
    rng: &mut Rng,
    used: &mut HashSet<String>,
    [province, regency]: [u8; 2],
    birth: NaiveDate,
    female: bool,
) -> String {
    let district = 1 + rng.below(30);
    let day = birth.day() + if female { 40 } else { 0 };
    let mut serial = 1 + rng.below(9000);
    loop {
        let nik = format!(
            "{province:02}{regency:02}{district:02}{day:02}{:02}{:02}{serial:04}",
            birth.month(),
            birth.year() % 100
        );
        if used.insert(nik.clone()) {
            return nik;
        }
        serial = serial % 9999 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Reference;
    use crate::roster::{Cell, Nik, Phone};

    #[test]
    fn the_same_seed_gives_the_same_people() {
        assert_eq!(roster(&Spec::new(7, 50)), roster(&Spec::new(7, 50)));
        assert_ne!(roster(&Spec::new(7, 50)), roster(&Spec::new(8, 50)));
    }

    #[test]
    fn overlapping_specs_describe_the_same_people() {
        let all = roster(&Spec::new(3, 20));
        let tail = roster(&Spec {
            first_id: 11,
            ..Spec::new(3, 10)
        });
        assert_eq!(&all[10..], &tail[..]);
    }

    #[test]
    fn niks_and_phones_are_valid_and_agree_with_the_person() {
        let reference = Reference::builtin();
        let spec = Spec::new(1, 2000);
        let people = roster(&spec);
        let mut phones = HashSet::new();
        for person in &people {
            let (nik, warnings) =
                Nik::parse(&Cell::text(&person.nik), &reference, spec.today).unwrap();
            assert!(warnings.is_empty(), "{warnings:?}");
            let facts = nik.facts(&reference, spec.today).unwrap();
            assert_eq!(facts.birth_date, person.birth_date);
            assert_eq!(facts.sex.code(), person.sex.to_string());
            let phone = Phone::parse(&Cell::text(&person.phone)).unwrap();
            assert_eq!(phone.as_str(), person.phone);
            assert!(phones.insert(person.phone.clone()));
        }
        let attended: Vec<usize> = (0..3)
            .map(|s| people.iter().filter(|p| p.attended[s]).count())
            .collect();
        assert!(attended[0] > attended[1] && attended[1] >= attended[2]);
    }
}
