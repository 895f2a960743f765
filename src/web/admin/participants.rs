//! `/admin/participants`: search and filters, one participant's timeline, and the admin's
//! erase and export actions.
//!
//! A field officer's scope is applied in every query here: outside it, a participant does not
//! exist (404), so ids cannot be probed.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use rusqlite::{Connection, params_from_iter};
use serde::Deserialize;

use super::frame::{admin_page, csrf, db, message, see_other};
use super::gate::Staff;
use super::texts::Texts;
use crate::accounts::{Permission, Scope, audit};
use crate::participants::{self, ErasePolicy, ParticipantError, search_index};
use crate::web::layout::page;
use crate::web::state::AppState;

/// Rows per page.
const PAGE_SIZE: i64 = 50;

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// Name, phone or NIK fragment.
    #[serde(default)]
    pub q: String,
    /// Cohort, exactly.
    #[serde(default)]
    pub cohort: String,
    /// Union, exactly.
    #[serde(default)]
    pub union: String,
    /// An invitation status any wave has for the participant.
    #[serde(default)]
    pub status: String,
    /// 1-based page number.
    #[serde(default)]
    pub page: Option<i64>,
}

/// One row of the list.
#[derive(Debug)]
pub struct Row {
    id: i64,
    pseudonym: String,
    name: Option<String>,
    phone: Option<String>,
    cohort: Option<String>,
    union: Option<String>,
    erased: bool,
}

/// One page of search results.
#[derive(Debug)]
pub struct Found {
    /// At most a page of participants, in id order.
    pub rows: Vec<Row>,
    /// Whether another page follows.
    pub more: bool,
    /// Participants a first import stored that the search cannot find yet
    /// ([`crate::participants::search_index`]).
    pub waiting: i64,
}

const STATUSES: &[&str] = &[
    "issued",
    "sent",
    "opened",
    "submitted",
    "declined",
    "expired",
];

/// `%fragment%` for LIKE with `\` escaping the wildcards typed by the user.
fn like(fragment: &str) -> String {
    let escaped: String = fragment
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// Where a fragment is looked for, and what for: the name as typed, the phone as stored
/// (62…), the NIK's digits.
#[derive(Debug)]
struct Needles {
    /// SQL conditions on `s`, one per searched column, OR-ed together.
    conditions: Vec<&'static str>,
    /// Their arguments, in order.
    args: Vec<String>,
    /// `(column, text)` for the trigram index, one per condition.
    terms: Vec<(&'static str, String)>,
}

/// The fewest characters the trigram index can look up: a shorter text has no trigram.
const TRIGRAM: usize = 3;

impl Needles {
    fn new(q: &str) -> Self {
        let mut needles = Needles {
            conditions: Vec::new(),
            args: Vec::new(),
            terms: Vec::new(),
        };
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        // A fragment of digits (spaces, dashes, a leading + aside) is a phone or NIK, never a
        // name; instr() on those short texts costs a fraction of a LIKE.
        let only_digits = q
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '.'));
        if !only_digits {
            needles.conditions.push("s.name LIKE ? ESCAPE '\\'");
            needles.args.push(like(q));
            needles.terms.push(("name", q.to_owned()));
        }
        if !digits.is_empty() {
            // Phones are stored as 62…; staff type 08….
            let phone = match digits.strip_prefix('0') {
                Some(rest) => format!("62{rest}"),
                None => digits.clone(),
            };
            needles.conditions.push("instr(s.phone, ?) > 0");
            needles.conditions.push("instr(s.nik, ?) > 0");
            needles.args.push(phone.clone());
            needles.args.push(digits.clone());
            needles.terms.push(("phone", phone));
            needles.terms.push(("nik", digits));
        }
        needles
    }

    /// The FTS5 query finding every participant whose texts may match, when each text is long
    /// enough for the trigram index: for each text, all of its trigrams (`"dew" "ewi"`), the
    /// texts OR-ed. The index keeps neither positions nor columns (migration 0012), so this
    /// finds the participants holding every trigram of a text in any of name, phone and NIK,
    /// ignoring case (Unicode's, where LIKE ignores only ASCII's): a superset of what the
    /// exact conditions accept, which then keep exactly the right ones.
    fn trigram_query(&self) -> Option<String> {
        if self.terms.is_empty()
            || self
                .terms
                .iter()
                .any(|(_, text)| text.chars().count() < TRIGRAM)
        {
            return None;
        }
        let groups: Vec<String> = self
            .terms
            .iter()
            .map(|(_, text)| {
                let chars: Vec<char> = text.chars().collect();
                let trigrams: Vec<String> = chars
                    .windows(TRIGRAM)
                    .map(|trigram| {
                        let trigram: String = trigram.iter().collect();
                        format!("\"{}\"", trigram.replace('"', "\"\""))
                    })
                    .collect();
                format!("({})", trigrams.join(" "))
            })
            .collect();
        Some(groups.join(" OR "))
    }

    /// The query of `participant_search_grams` (migration 0010) for a name fragment of one or
    /// two characters with no digit in it: the token of that piece, its UTF-8 bytes in
    /// hexadecimal after folding ASCII case, as the migration's view makes them. That index
    /// lists exactly the participants whose name contains the piece.
    ///
    /// `None` for anything else: a fragment with digits is also looked for in phones and NIKs,
    /// where one or two digits are found in a large share of participants, so walking the
    /// table in order stops after a few hundred rows.
    fn gram_query(&self) -> Option<String> {
        match self.terms.as_slice() {
            [("name", text)] if (1..TRIGRAM).contains(&text.chars().count()) => {
                let token: String = text
                    .to_ascii_lowercase()
                    .bytes()
                    .map(|byte| format!("{byte:02x}"))
                    .collect();
                Some(format!("\"{token}\""))
            }
            _ => None,
        }
    }
}

/// Which table leads the search, and so in what order it reads participants.
enum Driver {
    /// The trigram index (0006), for texts of three characters or more.
    Trigrams(String),
    /// The index of one- and two-character pieces of names (0010).
    Grams(String),
    /// `participant_search` in id order: a fragment with one or two digits.
    Scan,
    /// Every participant, through `participants` (no text), or a cohort's or union's index.
    List,
}

/// The participants matching `filters` inside `scope`, one page of them.
///
/// A fragment of three characters or more is looked up in `participant_search_text`, a
/// trigram index over the name, phone and NIK, which lists the participants whose texts
/// contain it in id order; the exact conditions and the filters are then tested on those
/// participants only, and the walk stops at the page's last row. A name fragment of one or
/// two characters is looked up the same way in `participant_search_grams`, which lists the
/// participants whose name holds that piece (so one that nobody has is answered at once). A
/// short fragment with digits (also looked for in phones and NIKs, where one or two digits
/// are common) walks `participant_search` (narrow and in id order) and stops at the page's
/// last row. A cohort or union without a text uses that column's index, which lists its
/// participants in id order.
pub fn search(
    conn: &Connection,
    filters: &Filters,
    scope: Option<&Scope>,
) -> rusqlite::Result<Found> {
    let q = filters.q.trim();
    let needles = Needles::new(q);
    let driver = if let Some(query) = needles.trigram_query() {
        Driver::Trigrams(query)
    } else if let Some(query) = needles.gram_query() {
        Driver::Grams(query)
    } else if q.is_empty() {
        Driver::List
    } else {
        Driver::Scan
    };
    let mut args: Vec<String> = Vec::new();
    // Without a condition on the searched columns every participant is listed, also those
    // with no roster values (erased, or added by hand). With one, an index of the texts (or
    // the search table itself) drives the query in its own order, which a cohort's or union's
    // index also gives, so that SQLite stops at the page's last row instead of sorting every
    // match.
    let (from, matching, order) = match driver {
        Driver::Trigrams(query) => {
            args.push(query);
            (
                "participant_search_text
                 JOIN participant_search s ON s.participant_id = participant_search_text.rowid
                 JOIN participants p ON p.id = s.participant_id",
                "participant_search_text MATCH ?",
                "participant_search_text.rowid",
            )
        }
        Driver::Grams(query) => {
            args.push(query);
            (
                "participant_search_grams
                 JOIN participant_search s ON s.participant_id = participant_search_grams.rowid
                 JOIN participants p ON p.id = s.participant_id",
                "participant_search_grams MATCH ?",
                "participant_search_grams.rowid",
            )
        }
        Driver::List if filters.cohort.is_empty() && filters.union.is_empty() => (
            "participants p LEFT JOIN participant_search s ON s.participant_id = p.id",
            "1 = 1",
            "p.id",
        ),
        Driver::List | Driver::Scan => (
            "participant_search s JOIN participants p ON p.id = s.participant_id",
            "1 = 1",
            "s.participant_id",
        ),
    };
    let mut sql = format!(
        "SELECT p.id, p.pseudonym, s.name, s.phone, s.cohort, s.union_name,
                p.erased_at IS NOT NULL
         FROM {from}
         WHERE {matching}"
    );
    if !q.is_empty() {
        let mut alternatives = needles.conditions;
        if alternatives.is_empty() {
            // Only punctuation: nothing to look for, nobody matches.
            alternatives.push("0");
        }
        sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
        args.extend(needles.args);
    }
    // With a text, the cohort and union are tested on the rows the scan reads (the unary
    // `+` keeps SQLite from their indexes): walking a cohort's index entries would visit its
    // rows out of order, one random read each, where the scan reads them in sequence and
    // stops at the page's last match.
    let column = |name: &str| {
        if q.is_empty() {
            format!("s.{name}")
        } else {
            format!("+s.{name}")
        }
    };
    if !filters.cohort.is_empty() {
        sql.push_str(&format!(" AND {} = ?", column("cohort")));
        args.push(filters.cohort.clone());
    }
    if !filters.union.is_empty() {
        sql.push_str(&format!(" AND {} = ?", column("union_name")));
        args.push(filters.union.clone());
    }
    if STATUSES.contains(&filters.status.as_str()) {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM invitations i WHERE i.participant_id = p.id AND i.status = ?)",
        );
        args.push(filters.status.clone());
    }
    if let Some(scope) = scope {
        sql.push_str(" AND ");
        sql.push_str(&Scope::condition("p.id"));
        args.push(scope.field.clone());
        args.push(scope.value.clone());
    }
    let page = filters.page.unwrap_or(1).max(1);
    sql.push_str(&format!(
        " ORDER BY {order} LIMIT {} OFFSET {}",
        PAGE_SIZE + 1,
        (page - 1).saturating_mul(PAGE_SIZE)
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
        Ok(Row {
            id: row.get(0)?,
            pseudonym: row.get(1)?,
            name: row.get(2)?,
            phone: row.get(3)?,
            cohort: row.get(4)?,
            union: row.get(5)?,
            erased: row.get(6)?,
        })
    })?;
    let mut rows: Vec<Row> = rows.collect::<rusqlite::Result<_>>()?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok(Found {
        rows,
        more,
        waiting: search_index::waiting(conn)?,
    })
}

/// [`search`], after adding the participants waiting for the search index when there are at
/// most `inline_limit` of them, so that a small roster is searchable right after its import;
/// more are left to the server's indexer (`web::search_indexer`), and the page says so.
fn find(
    conn: &mut Connection,
    filters: &Filters,
    scope: Option<&Scope>,
    inline_limit: i64,
) -> anyhow::Result<Found> {
    if (1..=inline_limit).contains(&search_index::waiting(conn)?) {
        search_index::catch_up(conn)?;
    }
    Ok(search(conn, filters, scope)?)
}

fn page_link(filters: &Filters, page: i64) -> String {
    let query = serde_urlencoded::to_string([
        ("q", filters.q.as_str()),
        ("cohort", filters.cohort.as_str()),
        ("union", filters.union.as_str()),
        ("status", filters.status.as_str()),
        ("page", &page.to_string()),
    ])
    .unwrap_or_default();
    format!("/admin/participants?{query}")
}

/// `GET /admin/participants`.
pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    filters: web::Query<Filters>,
) -> HttpResponse {
    let texts = staff.texts;
    let filters = filters.into_inner();
    let scope = staff.session.user.scope.clone();
    let filters = std::sync::Arc::new(filters);
    let shared = std::sync::Arc::clone(&filters);
    let found = db(&state, texts, move |conn| {
        find(conn, &shared, scope.as_ref(), search_index::INLINE_LIMIT)
    })
    .await;
    let found = match found {
        Ok(found) => found,
        Err(response) => return response,
    };
    page(
        StatusCode::OK,
        admin_page(
            texts,
            &staff.session,
            texts.participants,
            list_body(texts, &filters, &found),
        ),
    )
}

/// The list page's content: the search form and one page of results.
pub fn list_body(texts: &Texts, filters: &Filters, found: &Found) -> Markup {
    let Found {
        rows,
        more,
        waiting,
    } = found;
    let more = *more;
    let page_number = filters.page.unwrap_or(1).max(1);
    html! {
        @if *waiting > 0 {
            p.notice role="status" { (waiting) " " (texts.search_waiting) }
        }
        form method="get" action="/admin/participants" {
            label for="q" { (texts.search) }
            input id="q" type="text" name="q" value=(filters.q) placeholder=(texts.search_hint);
            label for="cohort" { (texts.cohort) }
            input id="cohort" type="text" name="cohort" value=(filters.cohort);
            label for="union" { (texts.union) }
            input id="union" type="text" name="union" value=(filters.union);
            label for="status" { (texts.status) }
            select id="status" name="status" {
                option value="" { (texts.any) }
                @for status in STATUSES {
                    option value=(status) selected[filters.status == *status] { (status) }
                }
            }
            div.buttons { button type="submit" { (texts.search) } }
        }
        @if rows.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.participants) { table {
                thead { tr {
                    th { "#" } th { (texts.name) } th { (texts.phone) }
                    th { (texts.cohort) } th { (texts.union) }
                } }
                tbody { @for row in rows { tr {
                    td { a href={ "/admin/participants/" (row.id) } { (row.id) } }
                    td {
                        @if row.erased { em { (texts.erased) } " · " (row.pseudonym) }
                        @else { (row.name.as_deref().unwrap_or(&row.pseudonym)) }
                    }
                    td { (row.phone.as_deref().unwrap_or("")) }
                    td { (row.cohort.as_deref().unwrap_or("")) }
                    td { (row.union.as_deref().unwrap_or("")) }
                } } }
            } }
        }
        p {
            @if page_number > 1 { a.change href=(page_link(filters, page_number - 1)) { (texts.previous) } " " }
            @if more { a.change href=(page_link(filters, page_number + 1)) { (texts.next) } }
        }
    }
}

/// One invitation on the timeline.
#[derive(Debug)]
struct InvitationEntry {
    id: i64,
    wave: String,
    status: String,
    issued: String,
    closes: String,
    /// Whether its survey still takes answers (so it can be filled on the participant's behalf).
    open: bool,
    /// "channel #step · sent at"
    reminders: Vec<String>,
    /// (decision, decided at, staff member who recorded it on the participant's behalf)
    consents: Vec<(String, String, Option<String>)>,
    /// The staff member who filled the response on the participant's behalf.
    assisted_by: Option<String>,
    answers: Vec<(String, String)>,
}

/// One participant's timeline, as shown on the detail page.
#[derive(Debug, Default)]
struct Timeline {
    pseudonym: String,
    erased_at: Option<String>,
    /// (field, value, import file, updated at)
    attributes: Vec<(String, String, Option<String>, String)>,
    /// (field, value, import file, set at)
    history: Vec<(String, Option<String>, Option<String>, String)>,
    invitations: Vec<InvitationEntry>,
    /// (wave, code, reason)
    flags: Vec<(Option<String>, String, String)>,
}

fn strings(
    conn: &Connection,
    sql: &str,
    id: i64,
    columns: usize,
) -> rusqlite::Result<Vec<Vec<Option<String>>>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([id], |row| {
        (0..columns)
            .map(|i| row.get::<_, Option<String>>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    rows.collect()
}

fn timeline(conn: &Connection, id: i64) -> anyhow::Result<Timeline> {
    let (pseudonym, erased_at) = conn.query_row(
        "SELECT pseudonym, erased_at FROM participants WHERE id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut out = Timeline {
        pseudonym,
        erased_at,
        ..Timeline::default()
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    for row in strings(
        conn,
        "SELECT a.name, a.value, i.file_name, a.updated_at FROM participant_attributes a
         LEFT JOIN roster_imports i ON i.id = a.set_by_import
         WHERE a.participant_id = ?1 ORDER BY a.name",
        id,
        4,
    )? {
        out.attributes
            .push((text(&row[0]), text(&row[1]), row[2].clone(), text(&row[3])));
    }
    for row in strings(
        conn,
        "SELECT h.name, h.value, i.file_name, h.set_at FROM participant_attribute_history h
         LEFT JOIN roster_imports i ON i.id = h.import_id
         WHERE h.participant_id = ?1 ORDER BY h.set_at, h.id",
        id,
        4,
    )? {
        out.history
            .push((text(&row[0]), row[1].clone(), row[2].clone(), text(&row[3])));
    }
    let now = crate::invitations::rfc3339(chrono::Utc::now());
    let invitations = {
        let mut stmt = conn.prepare(
            "SELECT i.id, i.wave, i.status, i.issued_at, i.closes_at, r.answers, u.username,
                    i.status IN ('issued', 'sent', 'opened', 'declined')
                    AND i.opens_at <= ?2 AND i.closes_at > ?2
             FROM invitations i LEFT JOIN responses r ON r.invitation_id = i.id
             LEFT JOIN users u ON u.id = r.assisted_by
             WHERE i.participant_id = ?1 ORDER BY i.issued_at, i.id",
        )?;
        let rows = stmt.query_map(rusqlite::params![id, now], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
                row.get::<_, bool>(7)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    for (invitation, wave, status, issued, closes, answers, assisted_by, open) in invitations {
        let consents = strings(
            conn,
            "SELECT c.decision, c.decided_at, u.username FROM consents c
             LEFT JOIN users u ON u.id = c.assisted_by
             WHERE c.invitation_id = ?1 ORDER BY c.id",
            invitation,
            3,
        )?
        .into_iter()
        .map(|row| (text(&row[0]), text(&row[1]), row[2].clone()))
        .collect();
        let reminders = strings(
            conn,
            "SELECT channel || ' #' || step || ' · ' || sent_at FROM reminders
             WHERE invitation_id = ?1 ORDER BY sent_at",
            invitation,
            1,
        )?
        .into_iter()
        .map(|row| text(&row[0]))
        .collect();
        let answers: Vec<(String, String)> = answers
            .and_then(|json| {
                serde_json::from_str::<std::collections::BTreeMap<String, serde_json::Value>>(&json)
                    .ok()
            })
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        out.invitations.push(InvitationEntry {
            id: invitation,
            wave,
            status,
            issued,
            closes,
            open,
            reminders,
            consents,
            assisted_by,
            answers,
        });
    }
    for row in strings(
        conn,
        "SELECT wave, code, reason FROM data_quality_flags WHERE participant_id = ?1
         ORDER BY created_at",
        id,
        3,
    )? {
        out.flags
            .push((row[0].clone(), text(&row[1]), text(&row[2])));
    }
    Ok(out)
}

/// Whether the staff member may see participant `id` (exists and is in their scope).
pub(super) fn visible(conn: &Connection, id: i64, scope: Option<&Scope>) -> rusqlite::Result<bool> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM participants WHERE id = ?1)",
        [id],
        |row| row.get(0),
    )?;
    Ok(exists && scope.map_or(Ok(true), |scope| scope.covers(conn, id))?)
}

fn timeline_markup(staff: &Staff, id: i64, t: &Timeline) -> Markup {
    let texts = staff.texts;
    let file = |f: &Option<String>| f.clone().unwrap_or_else(|| texts.by_hand.to_owned());
    let rights = staff
        .session
        .user
        .role
        .allows(Permission::ExerciseDataRights);
    html! {
        p { "#" (id) " · " (t.pseudonym) }
        @if let Some(at) = &t.erased_at { p.notice { (texts.erased) " · " (at) } }
        h2 { (texts.roster_values) }
        @if t.attributes.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.roster_values) { table {
                thead { tr { th { (texts.field) } th { (texts.value) } th { (texts.set_by) } } }
                tbody { @for (name, value, import, at) in &t.attributes { tr {
                    td { (name) } td { (value) } td { (file(import)) " · " (at) }
                } } }
            } }
        }
        h2 { (texts.history) }
        @if t.history.is_empty() { p { (texts.none) } } @else {
            ul { @for (name, value, import, at) in &t.history {
                li { (at) " · " (name) " = " (value.as_deref().unwrap_or("—")) " · " (file(import)) }
            } }
        }
        h2 { (texts.invitations) }
        @if t.invitations.is_empty() { p { (texts.none) } }
        @for entry in &t.invitations {
            h3 { (texts.wave) " " (entry.wave) ": " (entry.status) }
            p { (entry.issued) " → " (entry.closes) }
            @if !entry.reminders.is_empty() {
                p { (texts.reminders) ": " }
                ul { @for reminder in &entry.reminders { li { (reminder) } } }
            }
            @if !entry.consents.is_empty() {
                p { (texts.consent) ": " }
                ul { @for (decision, at, by) in &entry.consents {
                    li {
                        (at) " · " (decision)
                        @if let Some(by) = by { " · " (texts.assisted_by) " " (by) }
                    }
                } }
            }
            @if let Some(by) = &entry.assisted_by {
                p.notice { (texts.response_assisted_by) " " (by) }
            }
            @if !entry.answers.is_empty() {
                p { (texts.answers) ":" }
                dl { @for (name, value) in &entry.answers { dt { (name) } dd { (value) } } }
            }
            @if entry.open && t.erased_at.is_none() {
                form method="post" action={ "/admin/participants/" (id) "/assist" } {
                    (csrf(&staff.session))
                    input type="hidden" name="invitation" value=(entry.id);
                    p { (texts.assist_hint) }
                    div.buttons { button type="submit" { (texts.assist) } }
                }
            }
        }
        h2 { (texts.flags) }
        @if t.flags.is_empty() { p { (texts.none) } } @else {
            ul { @for (wave, code, reason) in &t.flags {
                li { (wave.as_deref().unwrap_or("roster")) " · " (code) " · " (reason) }
            } }
        }
        @if rights {
            p { a.change href={ "/admin/participants/" (id) "/export" } { (texts.export) } }
            @if t.erased_at.is_none() {
                form method="post" action={ "/admin/participants/" (id) "/erase" } {
                    (csrf(&staff.session))
                    p { (texts.erase_warning) }
                    div.buttons { button type="submit" { (texts.erase) } }
                }
            }
        }
    }
}

/// `GET /admin/participants/{id}`.
pub async fn detail(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    let scope = staff.session.user.scope.clone();
    let found = db(&state, texts, move |conn| {
        if !visible(conn, id, scope.as_ref())? {
            return Ok(None);
        }
        Ok(Some(timeline(conn, id)?))
    })
    .await;
    match found {
        Ok(Some(t)) => {
            let title = format!("{} #{id}", texts.participants);
            page(
                StatusCode::OK,
                admin_page(
                    texts,
                    &staff.session,
                    &title,
                    timeline_markup(&staff, id, &t),
                ),
            )
        }
        Ok(None) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}

/// `POST /admin/participants/{id}/erase` (admins; the gate checked role and CSRF).
pub async fn erase(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    let user = staff.session.user.id;
    let policy = ErasePolicy::from_forms(state.forms.values().map(|f| f.as_ref()));
    let outcome = db(&state, texts, move |conn| {
        match participants::erase(conn, id, Some(user), chrono::Utc::now(), &policy) {
            Ok(_) | Err(ParticipantError::AlreadyErased(_)) => Ok(true),
            Err(ParticipantError::NotFound(_)) => Ok(false),
            Err(ParticipantError::Internal(err)) => Err(err),
        }
    })
    .await;
    match outcome {
        Ok(true) => see_other(&format!("/admin/participants/{id}")),
        Ok(false) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}

/// `GET /admin/participants/{id}/export`: everything held about the person, as a JSON download.
pub async fn export(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    let user = staff.session.user.id;
    let outcome = db(&state, texts, move |conn| {
        match participants::export(conn, id) {
            Ok(data) => {
                let target = format!("participant:{id}");
                audit::action(
                    conn,
                    chrono::Utc::now(),
                    Some(user),
                    "participant.export",
                    Some(&target),
                )?;
                Ok(Some(serde_json::to_string_pretty(&data)?))
            }
            Err(ParticipantError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    })
    .await;
    match outcome {
        Ok(Some(json)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"participant-{id}.json\""),
            ))
            .body(json),
        Ok(None) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_waiting_participants_are_indexed_at_once_many_are_announced() {
        let people = [
            ("id:1", r#"{"name":"Siti Aminah","cohort":"A"}"#),
            ("id:2", r#"{"name":"Budi Hartono","cohort":"B"}"#),
            ("id:3", r#"{"name":"Sri Aminah","cohort":"A"}"#),
        ];
        let texts = super::super::texts::texts("id");
        let filters = Filters {
            q: "aminah".into(),
            ..Filters::default()
        };
        let mut conn = crate::db::open_in_memory().unwrap();
        search_index::first_import(&mut conn, &people);
        // More than the page adds itself: nothing found yet, and the page says why.
        let found = find(&mut conn, &filters, None, 2).unwrap();
        assert!(found.rows.is_empty());
        assert_eq!(found.waiting, 3);
        let page = list_body(texts, &filters, &found).into_string();
        assert!(page.contains("3 peserta dari impor terakhir"), "{page}");
        // Few enough: added first, then found; no notice.
        let found = find(&mut conn, &filters, None, 3).unwrap();
        let names: Vec<_> = found.rows.iter().map(|r| r.name.clone()).collect();
        assert_eq!(
            names,
            [
                Some("Siti Aminah".to_owned()),
                Some("Sri Aminah".to_owned())
            ]
        );
        assert_eq!(found.waiting, 0);
        let page = list_body(texts, &filters, &found).into_string();
        assert!(!page.contains("peserta dari impor terakhir"), "{page}");
    }

    #[test]
    fn short_name_fragments_become_the_token_of_their_piece() {
        // ASCII case folded (as LIKE ignores it), bytes in hexadecimal, one quoted token.
        assert_eq!(Needles::new("Qx").gram_query().as_deref(), Some("\"7178\""));
        assert_eq!(Needles::new("q").gram_query().as_deref(), Some("\"71\""));
        assert_eq!(Needles::new("'N").gram_query().as_deref(), Some("\"276e\""));
        // Other letters are taken as written, like LIKE does.
        assert_eq!(Needles::new("Ñ").gram_query().as_deref(), Some("\"c391\""));
        assert_eq!(Needles::new("ñ").gram_query().as_deref(), Some("\"c3b1\""));
        // Three characters go to the trigram index; digits walk the table.
        assert_eq!(Needles::new("abc").gram_query(), None);
        assert!(Needles::new("abc").trigram_query().is_some());
        assert_eq!(Needles::new("a1").gram_query(), None);
        assert_eq!(Needles::new("12").gram_query(), None);
        assert_eq!(Needles::new("-").gram_query(), None);
    }

    /// Participants with these names, through the one writer of roster values.
    fn database(names: &[&str]) -> Connection {
        let conn = crate::db::open_in_memory().unwrap();
        for (n, name) in names.iter().enumerate() {
            conn.execute(
                "INSERT INTO participants (participant_key, pseudonym, created_at)
                 VALUES (?1, ?2, '2025-01-01T00:00:00Z')",
                [format!("id:{n}"), format!("P-{n}")],
            )
            .unwrap();
            let id = conn.last_insert_rowid();
            crate::participants::attributes::set_values(
                &conn,
                id,
                &[
                    ("name", name),
                    ("cohort", if n % 2 == 0 { "A" } else { "B" }),
                ],
                None,
                "2025-01-01T00:00:00Z",
            )
            .unwrap();
        }
        conn
    }

    fn found(conn: &Connection, q: &str, cohort: &str) -> Vec<i64> {
        let filters = Filters {
            q: q.to_owned(),
            cohort: cohort.to_owned(),
            ..Filters::default()
        };
        search(conn, &filters, None)
            .unwrap()
            .rows
            .iter()
            .map(|row| row.id)
            .collect()
    }

    #[test]
    fn one_and_two_characters_find_the_names_holding_them_with_the_filters() {
        let conn = database(&["Budi Santoso", "Siti Aminah", "Zaenal", "dewi"]);
        assert_eq!(found(&conn, "z", ""), [3]);
        assert_eq!(found(&conn, "D", ""), [1, 4]);
        assert_eq!(found(&conn, "MI", ""), [2]);
        assert_eq!(found(&conn, "na", ""), [2, 3]);
        assert_eq!(found(&conn, "na", "B"), [2]);
        assert_eq!(found(&conn, "na", "A"), [3]);
        assert!(found(&conn, "qx", "").is_empty());
        assert!(found(&conn, "x", "A").is_empty());
    }
}
