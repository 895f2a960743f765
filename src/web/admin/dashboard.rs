//! `/admin`: response figures per wave and cohort, and the training attendance funnel by age
//! group. Figures only, no personal data, so every role sees it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use rusqlite::Connection;

use super::frame::{admin_page, db, percent};
use super::gate::Staff;
use crate::web::layout::page;
use crate::web::state::AppState;

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

/// Per wave and cohort figures.
pub fn wave_cohorts(conn: &Connection) -> rusqlite::Result<Vec<WaveCohort>> {
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

/// The attendance funnel by age group on `today` (`YYYY-MM-DD`). Erased participants count by
/// the age group kept at erasure.
pub fn funnel(conn: &Connection, today: &str) -> rusqlite::Result<Vec<Funnel>> {
    let mut stmt = conn.prepare(
        "SELECT CASE WHEN kept IS NOT NULL THEN kept
                     WHEN age IS NULL THEN '?'
                     WHEN age < 30 THEN '<30' WHEN age < 40 THEN '30-39'
                     WHEN age < 50 THEN '40-49' ELSE '50+' END AS age_group,
                count(*), sum(s1), sum(s2), sum(s3)
         FROM (SELECT attrs ->> '$.age_group' AS kept,
                      CASE WHEN birth IS NULL THEN NULL ELSE
                        (CAST(substr(?1, 1, 4) AS INTEGER) - CAST(substr(birth, 1, 4) AS INTEGER))
                        - (substr(?1, 6, 5) < substr(birth, 6, 5)) END AS age,
                      coalesce(attrs ->> '$.attended_1' = '1', 0) AS s1,
                      coalesce(attrs ->> '$.attended_2' = '1', 0) AS s2,
                      coalesce(attrs ->> '$.attended_3' = '1', 0) AS s3
               FROM (SELECT r.attrs, r.attrs ->> '$.birth_date' AS birth
                     FROM participants p LEFT JOIN participant_rows r ON r.participant_id = p.id))
         GROUP BY age_group ORDER BY age_group",
    )?;
    let rows = stmt.query_map([today], |row| {
        Ok(Funnel {
            age_group: row.get(0)?,
            enrolled: row.get(1)?,
            sessions: [row.get(2)?, row.get(3)?, row.get(4)?],
        })
    })?;
    rows.collect()
}

/// `GET /admin`.
pub async fn show(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    let tz = state.config.programme.time_zone;
    let today = chrono::Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .to_string();
    let figures = db(&state, texts, move |conn| {
        Ok((wave_cohorts(conn)?, funnel(conn, &today)?))
    })
    .await;
    let (waves, funnel) = match figures {
        Ok(figures) => figures,
        Err(response) => return response,
    };
    let body = html! {
        h2 { (texts.response_rate) }
        @if waves.is_empty() { p { (texts.none) } } @else {
            div.scroll { table {
                thead { tr {
                    th { (texts.wave) } th { (texts.cohort) } th { (texts.invited) }
                    th { (texts.opened) } th { (texts.consented) } th { (texts.completed) }
                    th { (texts.response_rate) }
                } }
                tbody { @for row in &waves { tr {
                    td { (row.wave) } td { (row.cohort) } td { (row.invited) }
                    td { (row.opened) } td { (row.consented) } td { (row.completed) }
                    td { (percent(row.completed, row.invited)) }
                } } }
            } }
        }
        h2 { (texts.funnel) }
        @if funnel.is_empty() { p { (texts.none) } } @else {
            div.scroll { table {
                thead { tr {
                    th { (texts.age_group) } th { (texts.enrolled) }
                    @for n in 1..=3 { th { (texts.session) " " (n) } }
                } }
                tbody { @for row in &funnel { tr {
                    td { (row.age_group) } td { (row.enrolled) }
                    @for count in row.sessions {
                        td { (count) " (" (percent(count, row.enrolled)) ")" }
                    }
                } } }
            } }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.dashboard, body),
    )
}
