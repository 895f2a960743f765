//! Everything pantau holds about one participant, as one JSON document: what a person asking
//! for their data receives (UU 27/2022 right of access).

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value, json};

use super::ParticipantError;

/// Runs `sql` with `params` and returns each row as a JSON object keyed by column name. JSON
/// columns (`answers`) are embedded as JSON rather than as strings.
fn rows(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let mut out = Vec::new();
    let mut cursor = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = cursor.next()? {
        let mut object = Map::new();
        for (index, name) in names.iter().enumerate() {
            let value = match row.get::<_, SqlValue>(index)? {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(n) => json!(n),
                SqlValue::Real(x) => json!(x),
                SqlValue::Text(text) if name == "answers" => {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }
                SqlValue::Text(text) => Value::String(text),
                SqlValue::Blob(_) => Value::Null,
            };
            object.insert(name.clone(), value);
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// Everything held about participant `id`: the participant row, roster attributes and their
/// history (each with the file that set it), invitations with their reminders, consents,
/// draft and response, data-quality flags, and the emails queued to them.
pub fn export(conn: &Connection, id: i64) -> Result<Value, ParticipantError> {
    let participant = rows(
        conn,
        "SELECT id, participant_key, pseudonym, created_at, erased_at FROM participants
         WHERE id = ?1",
        &[&id],
    )?
    .into_iter()
    .next()
    .ok_or_else(|| ParticipantError::NotFound(id.to_string()))?;
    let attributes = rows(
        conn,
        "SELECT a.name, a.value, a.updated_at, i.file_name AS import_file
         FROM participant_attributes a LEFT JOIN roster_imports i ON i.id = a.set_by_import
         WHERE a.participant_id = ?1 ORDER BY a.name",
        &[&id],
    )?;
    let history = rows(
        conn,
        "SELECT h.name, h.value, h.set_at, i.file_name AS import_file
         FROM participant_attribute_history h LEFT JOIN roster_imports i ON i.id = h.import_id
         WHERE h.participant_id = ?1 ORDER BY h.set_at, h.id",
        &[&id],
    )?;
    let mut invitations = rows(
        conn,
        "SELECT id, wave, status, issued_at, opens_at, closes_at, opened_at FROM invitations
         WHERE participant_id = ?1 ORDER BY issued_at, id",
        &[&id],
    )?;
    for invitation in &mut invitations {
        let invitation_id = invitation["id"].as_i64().unwrap_or_default();
        let reminders = rows(
            conn,
            "SELECT channel, step, sent_at FROM reminders WHERE invitation_id = ?1
             ORDER BY sent_at, id",
            &[&invitation_id],
        )?;
        let consents = rows(
            conn,
            "SELECT decision, text_version, language, decided_at,
                    assisted_by IS NOT NULL AS interviewer_assisted
             FROM consents WHERE invitation_id = ?1 ORDER BY decided_at, id",
            &[&invitation_id],
        )?;
        let drafts = rows(
            conn,
            "SELECT answers, screen, language, updated_at FROM drafts WHERE invitation_id = ?1",
            &[&invitation_id],
        )?;
        let responses = rows(
            conn,
            "SELECT form_id, form_version, answers, language, submitted_at,
                    assisted_by IS NOT NULL AS interviewer_assisted
             FROM responses WHERE invitation_id = ?1",
            &[&invitation_id],
        )?;
        if let Value::Object(object) = invitation {
            object.insert("reminders".into(), Value::Array(reminders));
            object.insert("consents".into(), Value::Array(consents));
            object.insert(
                "draft".into(),
                drafts.into_iter().next().unwrap_or(Value::Null),
            );
            object.insert(
                "response".into(),
                responses.into_iter().next().unwrap_or(Value::Null),
            );
        }
    }
    let flags = rows(
        conn,
        "SELECT wave, code, reason, created_at FROM data_quality_flags
         WHERE participant_id = ?1 ORDER BY created_at, id",
        &[&id],
    )?;
    let email: Option<String> = attributes
        .iter()
        .find(|a| a["name"] == "email")
        .and_then(|a| a["value"].as_str().map(str::to_owned));
    let emails = rows(
        conn,
        "SELECT o.recipient, o.subject, o.status, o.created_at, o.sent_at FROM email_outbox o
         WHERE o.recipient = ?1 COLLATE NOCASE
            OR EXISTS (SELECT 1 FROM invitations v WHERE v.participant_id = ?2
                       AND o.dedupe_key LIKE 'invitation:' || v.id || ':%')
         ORDER BY o.created_at, o.id",
        &[&email, &id],
    )?;
    Ok(json!({
        "participant": participant,
        "attributes": attributes,
        "history": history,
        "invitations": invitations,
        "data_quality_flags": flags,
        "emails": emails,
    }))
}
