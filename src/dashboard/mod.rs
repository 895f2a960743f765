//! The admin dashboard's figures: per wave and cohort, how many were invited, opened their
//! link, consented and completed; each wave's response rate day by day since it opened; and
//! the training attendance funnel (session 1 → 2 → 3) by age group. Figures only, no personal
//! data.
//!
//! Built to stay fast at a million participants:
//!
//! - the wave and cohort counts and the hourly series are kept up to date on write by the
//!   triggers of migration `0005_dashboard.sql` (`dashboard_counts`, `dashboard_hourly`), so
//!   reading them costs a few hundred rows whatever the size; [`recount`] rebuilds them from
//!   the base tables;
//! - the funnel by age group cannot be kept by age (ages change with the date), but it can by
//!   birth date: the triggers of migration `0007_funnel.sql` keep, per birth date and kept age
//!   group, the participants and their attendance (`funnel_counts`, some tens of thousands of
//!   rows at most), and [`funnel`] turns birth dates into age groups on the day asked.
//!   [`funnel_from_scratch`] counts the same from every roster row, for tests and benchmarks.
//!
//! Nothing is cached in memory: every view, the first after an import or at midnight
//! included, reads the kept counts.
//!
//! Database only: no actix, no clock (the caller passes `today`), no network.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;

/// One wave and cohort's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveCohort {
    /// Wave name.
    pub wave: String,
    /// Cohort ("" when the roster has none).
    pub cohort: String,
    /// Invitations issued.
    pub invited: i64,
    /// Links opened.
    pub opened: i64,
    /// Consent given.
    pub consented: i64,
    /// Responses submitted.
    pub completed: i64,
}

/// One age group's attendance of training sessions 1 to 3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// Age group ("<30", "30-39", "40-49", "50+", "?" when unknown).
    pub age_group: String,
    /// Participants.
    pub enrolled: i64,
    /// Attended session 1, 2, 3.
    pub sessions: [i64; 3],
}

/// One day of a wave's response rate: everything up to the end of that local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// Days since the wave opened (0 on its first day).
    pub day: u32,
    /// The local date.
    pub date: NaiveDate,
    /// Invitations issued so far.
    pub invited: i64,
    /// Responses received so far.
    pub completed: i64,
}

/// A wave's response rate over time, one entry per local day from its first invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveSeries {
    /// Wave name.
    pub wave: String,
    /// Consecutive days, the first being the day the first invitation was issued.
    pub days: Vec<Day>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Per wave and cohort.
    pub waves: Vec<WaveCohort>,
    /// Per wave, day by day.
    pub over_time: Vec<WaveSeries>,
    /// By age group.
    pub funnel: Vec<Funnel>,
}

/// The longest series shown: a year of days.
const MAX_DAYS: i64 = 366;

/// Per wave and cohort figures, from the counts kept on write.
pub fn wave_cohorts(conn: &Connection) -> rusqlite::Result<Vec<WaveCohort>> {
    let mut stmt = conn.prepare_cached(
        "SELECT wave, cohort, invited, opened, consented, completed FROM dashboard_counts
         WHERE invited > 0 ORDER BY wave, cohort",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(WaveCohort {
            wave: row.get(0)?,
            cohort: row.get(1)?,
            invited: row.get(2)?,
            opened: row.get(3)?,
            consented: row.get(4)?,
            completed: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// The same figures as [`wave_cohorts`], counted from the base tables (seconds at a million
/// participants): what the kept counts must always equal.
pub fn wave_cohorts_from_scratch(conn: &Connection) -> rusqlite::Result<Vec<WaveCohort>> {
    let mut stmt = conn.prepare(
        "SELECT i.wave, coalesce(c.attrs ->> '$.cohort', '') AS cohort, count(*),
                sum(i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined')),
                sum(EXISTS (SELECT 1 FROM consents k
                            WHERE k.invitation_id = i.id AND k.decision = 'accepted')),
                sum(i.status = 'submitted')
         FROM invitations i
         LEFT JOIN participant_rows c ON c.participant_id = i.participant_id
         GROUP BY i.wave, cohort ORDER BY i.wave, cohort",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(WaveCohort {
            wave: row.get(0)?,
            cohort: row.get(1)?,
            invited: row.get(2)?,
            opened: row.get(3)?,
            consented: row.get(4)?,
            completed: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// Rebuilds the kept counts (waves, hours, funnel) from the base tables, in one transaction (after a repair by hand,
/// or to check the triggers).
pub fn recount(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "DELETE FROM dashboard_counts;
         DELETE FROM dashboard_hourly;
         INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
         SELECT i.wave, coalesce(c.attrs ->> '$.cohort', ''), count(*),
                sum(i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined')),
                sum(EXISTS (SELECT 1 FROM consents k
                            WHERE k.invitation_id = i.id AND k.decision = 'accepted')),
                sum(i.status = 'submitted')
         FROM invitations i
         LEFT JOIN participant_rows c ON c.participant_id = i.participant_id
         WHERE true GROUP BY 1, 2;
         INSERT INTO dashboard_hourly (wave, hour, invited, completed)
         SELECT wave, hour, sum(invited), sum(completed) FROM (
             SELECT wave, substr(issued_at, 1, 13) AS hour, 1 AS invited, 0 AS completed
             FROM invitations
             UNION ALL
             SELECT i.wave, substr(r.submitted_at, 1, 13), 0, 1
             FROM responses r JOIN invitations i ON i.id = r.invitation_id
         ) WHERE true GROUP BY wave, hour;",
    )?;
    recount_funnel(&tx)?;
    tx.commit()
}

/// Rebuilds `funnel_counts` from participants and their roster rows, inside the caller's
/// transaction (by [`recount`], and by a first import that stored its rows without the
/// funnel's triggers: `crate::participants::bulk`).
pub fn recount_funnel(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM funnel_counts;
         INSERT INTO funnel_counts
             (birth_date, age_group, people, attended_1, attended_2, attended_3)
         SELECT coalesce(r.attrs -> '$.birth_date', 'null'),
                coalesce(r.attrs -> '$.age_group', 'null'), count(*),
                sum(coalesce(r.attrs ->> '$.attended_1' = '1', 0)),
                sum(coalesce(r.attrs ->> '$.attended_2' = '1', 0)),
                sum(coalesce(r.attrs ->> '$.attended_3' = '1', 0))
         FROM participants p LEFT JOIN participant_rows r ON r.participant_id = p.id
         WHERE true GROUP BY 1, 2;",
    )
}

/// Each wave's cumulative invitations and responses per local day in `zone`, from the first
/// day an invitation was issued to the later of the last day with news and `today` (at most a
/// year).
pub fn over_time(
    conn: &Connection,
    zone: Tz,
    today: NaiveDate,
) -> rusqlite::Result<Vec<WaveSeries>> {
    let mut stmt = conn.prepare_cached(
        "SELECT wave, hour, invited, completed FROM dashboard_hourly
         WHERE invited <> 0 OR completed <> 0 ORDER BY wave, hour",
    )?;
    let mut rows = stmt.query([])?;
    // (wave, [(local date, invited, completed)]) in hour order, so dates come sorted.
    let mut waves: Vec<(String, Vec<DayCounts>)> = Vec::new();
    while let Some(row) = rows.next()? {
        let wave: String = row.get(0)?;
        let hour: String = row.get(1)?;
        let Ok(utc) = NaiveDateTime::parse_from_str(&format!("{hour}:00"), "%Y-%m-%dT%H:%M") else {
            // An hour that is not one (hand-written data): nothing to place it on.
            continue;
        };
        let date = DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
            .with_timezone(&zone)
            .date_naive();
        if waves.last().is_none_or(|(name, _)| *name != wave) {
            waves.push((wave, Vec::new()));
        }
        let (_, days) = waves.last_mut().expect("just pushed");
        match days.last_mut() {
            Some((last, invited, completed)) if *last == date => {
                *invited += row.get::<_, i64>(2)?;
                *completed += row.get::<_, i64>(3)?;
            }
            _ => days.push((date, row.get(2)?, row.get(3)?)),
        }
    }
    Ok(waves
        .into_iter()
        .map(|(wave, days)| WaveSeries {
            wave,
            days: cumulative(&days, today),
        })
        .collect())
}

/// A local date with the invitations issued and responses received on it.
type DayCounts = (NaiveDate, i64, i64);

/// Running totals per consecutive day from the first day with invitations.
fn cumulative(days: &[DayCounts], today: NaiveDate) -> Vec<Day> {
    let Some(first) = days
        .iter()
        .find(|(_, invited, _)| *invited > 0)
        .map(|d| d.0)
    else {
        return Vec::new();
    };
    let last = days.last().map_or(first, |d| d.0).max(today);
    let span = (last - first).num_days().clamp(0, MAX_DAYS - 1);
    let mut out = Vec::with_capacity(span as usize + 1);
    let (mut invited, mut completed) = (0, 0);
    let mut next = days.iter().peekable();
    for offset in 0..=span {
        let date = first + chrono::Duration::days(offset);
        while let Some((day, i, c)) = next.peek() {
            if *day > date {
                break;
            }
            invited += i;
            completed += c;
            next.next();
        }
        out.push(Day {
            day: offset as u32,
            date,
            invited,
            completed,
        });
    }
    out
}

/// The age group of each `(birth, kept, people, s1, s2, s3)` row of `rows` (an SQL subquery
/// naming those columns) on the date `?1`, summed by group. Shared by [`funnel`] and
/// [`funnel_from_scratch`] so that the two can differ only in where the rows come from.
fn funnel_query(rows: &str) -> String {
    format!(
        "SELECT CASE WHEN kept IS NOT NULL THEN kept
                     WHEN age IS NULL THEN '?'
                     WHEN age < 30 THEN '<30' WHEN age < 40 THEN '30-39'
                     WHEN age < 50 THEN '40-49' ELSE '50+' END AS age_group,
                sum(people), sum(s1), sum(s2), sum(s3)
         FROM (SELECT kept,
                      CASE WHEN birth IS NULL THEN NULL ELSE
                        (CAST(substr(?1, 1, 4) AS INTEGER) - CAST(substr(birth, 1, 4) AS INTEGER))
                        - (substr(?1, 6, 5) < substr(birth, 6, 5)) END AS age,
                      people, s1, s2, s3
               FROM ({rows}))
         GROUP BY age_group ORDER BY age_group"
    )
}

/// Runs a [`funnel_query`] for `today`.
fn funnel_rows(conn: &Connection, sql: &str, today: NaiveDate) -> rusqlite::Result<Vec<Funnel>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([today.to_string()], |row| {
        Ok(Funnel {
            age_group: row.get(0)?,
            enrolled: row.get(1)?,
            sessions: [row.get(2)?, row.get(3)?, row.get(4)?],
        })
    })?;
    rows.collect()
}

/// The attendance funnel by age group on `today`, from the counts per birth date and kept age
/// group that the triggers of migration `0007_funnel.sql` keep (`funnel_counts`): a few
/// thousand rows whatever the number of participants. Erased participants count by the age
/// group kept at erasure.
pub fn funnel(conn: &Connection, today: NaiveDate) -> rusqlite::Result<Vec<Funnel>> {
    // The keys are JSON texts ('null' when absent): `->> '$'` turns them back into the values
    // (NULL for 'null'). The triggers delete emptied rows; the filter is only a guard.
    let sql = funnel_query(
        "SELECT birth_date ->> '$' AS birth, age_group ->> '$' AS kept, people,
                attended_1 AS s1, attended_2 AS s2, attended_3 AS s3
         FROM funnel_counts WHERE people <> 0",
    );
    funnel_rows(conn, &sql, today)
}

/// The same figures as [`funnel`], counted from every participant's roster row (seconds at a
/// million participants): what the kept counts must always equal.
pub fn funnel_from_scratch(conn: &Connection, today: NaiveDate) -> rusqlite::Result<Vec<Funnel>> {
    // Grouped by birth date first, so the age arithmetic runs once per date. `NOT INDEXED`
    // walks participants in id order, so the row lookups move forward through the table.
    let sql = funnel_query(
        "SELECT r.attrs ->> '$.birth_date' AS birth, r.attrs ->> '$.age_group' AS kept,
                count(*) AS people,
                sum(coalesce(r.attrs ->> '$.attended_1' = '1', 0)) AS s1,
                sum(coalesce(r.attrs ->> '$.attended_2' = '1', 0)) AS s2,
                sum(coalesce(r.attrs ->> '$.attended_3' = '1', 0)) AS s3
         FROM participants p NOT INDEXED
         LEFT JOIN participant_rows r ON r.participant_id = p.id
         GROUP BY birth, kept",
    );
    funnel_rows(conn, &sql, today)
}

/// Everything the dashboard shows on `today` (local date in `zone`): all of it read from the
/// counts kept on write, so every view costs a few thousand rows, the first after an import or
/// at midnight included.
pub fn figures(conn: &Connection, today: NaiveDate, zone: Tz) -> rusqlite::Result<Figures> {
    Ok(Figures {
        waves: wave_cohorts(conn)?,
        over_time: over_time(conn, zone, today)?,
        funnel: funnel(conn, today)?,
    })
}

#[cfg(test)]
mod tests;
