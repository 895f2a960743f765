//! Reference data with its sources: provincial minimum wages (UMP) and province codes.
//!
//! The defaults are the CSV files in `reference/`, compiled into the binary so that pantau works
//! with no files around it; a programme can point the configuration at its own copies. Values
//! whose source is marked `UNVERIFIED` or `CONFLICT` keep that mark ([`Certainty`]) so workbooks
//! can show it next to every figure that uses them.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::Deserialize;

const DEFAULT_UMP: &str = include_str!("../../reference/ump.csv");
const DEFAULT_PROVINCES: &str = include_str!("../../reference/province_codes.csv");

/// How far a reference value can be trusted, from the mark in its source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// Taken from a decree or a primary report.
    Sourced,
    /// From a secondary table not yet checked against the governor's decree.
    Unverified,
    /// Sources disagree on this value.
    Conflict,
}

impl Certainty {
    fn from_source(source: &str) -> Certainty {
        if source.contains("CONFLICT") {
            Certainty::Conflict
        } else if source.contains("UNVERIFIED") {
            Certainty::Unverified
        } else {
            Certainty::Sourced
        }
    }
}

/// One province, with both of its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    /// BPS (Statistics Indonesia) code, used by the minimum wage table.
    pub bps_code: u8,
    /// Kemendagri/Dukcapil code: the first two digits of a NIK issued there.
    pub nik_prefix: u8,
    /// Official name, for example "Jawa Barat".
    pub name: String,
}

/// A provincial minimum wage for one year.
#[derive(Debug, Clone, PartialEq)]
pub struct MinimumWage {
    /// Rupiah per month.
    pub rupiah: u64,
    /// Where the figure comes from, as given in the reference file.
    pub source: String,
    /// Whether the source marks the figure as unverified or disputed.
    pub certainty: Certainty,
}

/// The reference tables pantau uses.
#[derive(Debug, Clone)]
pub struct Reference {
    provinces: Vec<Province>,
    wages: BTreeMap<(u8, i32), MinimumWage>,
}

#[derive(Deserialize)]
struct ProvinceRow {
    bps_code: u8,
    kemendagri_code_nik_prefix: u8,
    province_name: String,
}

#[derive(Deserialize)]
struct UmpRow {
    province_code: u8,
    year: i32,
    ump_idr: u64,
    source: String,
}

impl Reference {
    /// The tables shipped in `reference/`.
    pub fn builtin() -> Reference {
        // The shipped files are checked by a unit test, so a failure here is a build defect.
        Reference::from_csv(DEFAULT_PROVINCES, DEFAULT_UMP)
            .expect("the reference data shipped in reference/ parses")
    }

    /// Reads the two tables from CSV text with the columns of the shipped files.
    pub fn from_csv(provinces_csv: &str, ump_csv: &str) -> anyhow::Result<Reference> {
        let mut provinces = Vec::new();
        let mut reader = csv::Reader::from_reader(provinces_csv.as_bytes());
        for (index, row) in reader.deserialize::<ProvinceRow>().enumerate() {
            let row = row.with_context(|| format!("province codes, row {}", index + 2))?;
            provinces.push(Province {
                bps_code: row.bps_code,
                nik_prefix: row.kemendagri_code_nik_prefix,
                name: row.province_name,
            });
        }
        let mut wages = BTreeMap::new();
        let mut reader = csv::Reader::from_reader(ump_csv.as_bytes());
        for (index, row) in reader.deserialize::<UmpRow>().enumerate() {
            let line = index + 2;
            let row = row.with_context(|| format!("minimum wages, row {line}"))?;
            if !provinces.iter().any(|p| p.bps_code == row.province_code) {
                bail!(
                    "minimum wages, row {line}: unknown province code {}",
                    row.province_code
                );
            }
            let wage = MinimumWage {
                rupiah: row.ump_idr,
                certainty: Certainty::from_source(&row.source),
                source: row.source,
            };
            if wages.insert((row.province_code, row.year), wage).is_some() {
                bail!(
                    "minimum wages, row {line}: province {} has two rows for {}",
                    row.province_code,
                    row.year
                );
            }
        }
        Ok(Reference { provinces, wages })
    }

    /// All provinces, in the order of the reference file.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// The province whose Dukcapil code starts a NIK. Papua's pre-2022 codes map to the province
    /// that carries that code today; see `reference/README.md`.
    pub fn province_by_nik_prefix(&self, prefix: u8) -> Option<&Province> {
        self.provinces.iter().find(|p| p.nik_prefix == prefix)
    }

    /// The province with this BPS code.
    pub fn province_by_bps_code(&self, code: u8) -> Option<&Province> {
        self.provinces.iter().find(|p| p.bps_code == code)
    }

    /// The province with this name, ignoring case and spacing ("jawa  barat", "JAWA BARAT").
    pub fn province_by_name(&self, name: &str) -> Option<&Province> {
        let wanted = fold(name);
        self.provinces.iter().find(|p| fold(&p.name) == wanted)
    }

    /// The minimum wage of a province (BPS code) in a year. Years after the newest in the table
    /// use the newest figure, because a decree for the coming year may not exist yet.
    pub fn minimum_wage(&self, bps_code: u8, year: i32) -> Option<&MinimumWage> {
        self.wages
            .range((bps_code, i32::MIN)..=(bps_code, year))
            .next_back()
            .map(|(_, wage)| wage)
    }
}

fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse_with_all_provinces_and_both_years() {
        let reference = Reference::builtin();
        assert_eq!(reference.provinces().len(), 38);
        for province in reference.provinces() {
            for year in [2025, 2026] {
                let wage = reference.minimum_wage(province.bps_code, year);
                assert!(wage.is_some(), "{} has no UMP for {year}", province.name);
            }
        }
    }

    #[test]
    fn jakarta_2026_and_newest_year_fallback() {
        let reference = Reference::builtin();
        let jakarta = reference.province_by_name("dki  jakarta").unwrap();
        let wage = reference.minimum_wage(jakarta.bps_code, 2026).unwrap();
        assert!(wage.rupiah > 5_000_000, "{}", wage.rupiah);
        assert_eq!(reference.minimum_wage(jakarta.bps_code, 2030), Some(wage));
        assert_eq!(reference.minimum_wage(jakarta.bps_code, 2020), None);
    }

    #[test]
    fn papua_nik_prefix_differs_from_bps_code() {
        let reference = Reference::builtin();
        assert_eq!(reference.province_by_nik_prefix(91).unwrap().name, "Papua");
        assert_eq!(
            reference.province_by_bps_code(91).unwrap().name,
            "Papua Barat"
        );
    }

    #[test]
    fn unverified_marks_survive() {
        let reference = Reference::builtin();
        let marked = reference
            .wages
            .values()
            .filter(|w| w.certainty != Certainty::Sourced)
            .count();
        assert!(marked > 0);
    }

    #[test]
    fn a_wage_for_an_unknown_province_names_the_row() {
        let err = Reference::from_csv(
            DEFAULT_PROVINCES,
            "province_code,province_name,year,ump_idr,source\n99,X,2026,1,s\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "minimum wages, row 2: unknown province code 99"
        );
    }
}
