//! Attributes derived for indicators and disaggregations from a participant's roster values and
//! answers: age at the wave date, age group, the 40+ flag, Washington Group disability, province
//! and the provincial minimum wage (UMP) in force.

use chrono::{Datelike, NaiveDate};

use crate::reference::{Certainty, Reference};

/// The default age groups of the design: under 30, 30–39, 40–49, 50 and over.
pub fn age_group(age: u32) -> &'static str {
    match age {
        0..30 => "<30",
        30..40 => "30-39",
        40..50 => "40-49",
        _ => "50+",
    }
}

/// Completed years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// The six Washington Group short-set domains, as named in the shipped baseline form.
pub const WG_DOMAINS: [&str; 6] = [
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_cognition",
    "wg_selfcare",
    "wg_communication",
];

/// Washington Group disability cut-off: at least one domain answered "a lot of difficulty"
/// (`alot`) or "cannot do at all" (`cannot`). None when no domain was answered, so that a
/// missing baseline is not counted as "no disability".
pub fn disability<'a>(answers: impl IntoIterator<Item = Option<&'a str>>) -> Option<bool> {
    let mut answered = false;
    for answer in answers.into_iter().flatten() {
        answered = true;
        if matches!(answer, "alot" | "cannot") {
            return Some(true);
        }
    }
    answered.then_some(false)
}

/// The minimum wage for a participant: by the roster's province name, else by the NIK's
/// province prefix, for the year of `on`. Returns the rupiah amount and whether its source is
/// marked unverified or disputed.
pub fn minimum_wage(
    reference: &Reference,
    province_name: Option<&str>,
    nik: Option<&str>,
    on: NaiveDate,
) -> Option<(u64, Certainty)> {
    let province = province_name
        .and_then(|name| reference.province_by_name(name))
        .or_else(|| {
            let prefix: u8 = nik?.get(0..2)?.parse().ok()?;
            reference.province_by_nik_prefix(prefix)
        })?;
    let wage = reference.minimum_wage(province.bps_code, on.year())?;
    Some((wage.rupiah, wage.certainty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn ages_count_completed_years() {
        assert_eq!(age_on(date(1985, 7, 5), date(2026, 7, 4)), Some(40));
        assert_eq!(age_on(date(1985, 7, 5), date(2026, 7, 5)), Some(41));
        assert_eq!(age_on(date(2030, 1, 1), date(2026, 7, 5)), None);
    }

    #[test]
    fn age_groups_have_the_designs_edges() {
        assert_eq!(age_group(29), "<30");
        assert_eq!(age_group(30), "30-39");
        assert_eq!(age_group(39), "30-39");
        assert_eq!(age_group(40), "40-49");
        assert_eq!(age_group(50), "50+");
    }

    #[test]
    fn washington_group_cut_off() {
        assert_eq!(disability([Some("none"), Some("some"), None]), Some(false));
        assert_eq!(disability([Some("some"), Some("alot")]), Some(true));
        assert_eq!(disability([Some("cannot")]), Some(true));
        assert_eq!(disability([None, None]), None);
    }

    #[test]
    fn minimum_wage_by_province_name_or_nik() {
        let reference = Reference::builtin();
        let on = date(2026, 3, 1);
        let by_name = minimum_wage(&reference, Some("Jawa Barat"), None, on).unwrap();
        let by_nik = minimum_wage(&reference, None, Some("3201014507850003"), on).unwrap();
        assert_eq!(by_name, by_nik);
        assert!(by_name.0 > 2_000_000);
        assert_eq!(minimum_wage(&reference, Some("Atlantis"), None, on), None);
    }
}
