//! Interviewer-assisted answering: a staff member fills a participant's survey on their behalf
//! during a phone call, through the participant's own link, and what they record is marked as
//! assisted, with who did it.
//!
//! The assisted mode is a grant bound to the staff member's admin session, so that nothing a
//! participant holds can switch it on:
//!
//! - only a CSRF-checked POST in the admin area, by someone allowed to see the participant,
//!   issues a grant ([`grant`]);
//! - the grant travels in its own cookie, limited to that one link's path, and is
//!   `{user id}.{mac}` where the mac is SHA-256 over a fixed label, the session's secret CSRF
//!   token and the invitation id: without the session's secret it cannot be made, and it names
//!   one invitation only;
//! - every survey request checks it again ([`holder`]): the session must still be live, its
//!   user enabled, allowed to see participants, and (for a field officer) the participant in
//!   scope. Logging out or the session expiring ends the assisted mode at once.
//!
//! Nothing is stored for a grant, so there is nothing to clean up.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::sessions::same_token;
use super::{Permission, users};
use crate::invitations::rfc3339;

/// The grant cookie's name (its path is the one survey link).
pub const COOKIE: &str = "pantau_assist";

/// The staff member filling a survey on a participant's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistant {
    /// Their user id (stored in `consents.assisted_by` and `responses.assisted_by`).
    pub user: i64,
    /// Their login name, shown on the consent screen.
    pub username: String,
}

fn mac(session_csrf: &str, invitation: i64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"pantau assisted answering\0");
    hasher.update(session_csrf.as_bytes());
    hasher.update(b"\0");
    hasher.update(invitation.to_string().as_bytes());
    let mut text = String::with_capacity(64);
    for byte in hasher.finalize() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The grant cookie's value for `user`'s session (whose secret CSRF token is `session_csrf`)
/// on `invitation`.
pub fn grant(session_csrf: &str, user: i64, invitation: i64) -> String {
    format!("{user}.{}", mac(session_csrf, invitation))
}

/// Who holds the grant `value` on `invitation` of `participant` at `now`, if it is valid: made
/// by a live session of an enabled user who may still see that participant. Anything else
/// (malformed, forged, for another invitation, session ended) is `None`, and the survey runs
/// as the participant's own.
pub fn holder(
    conn: &Connection,
    value: &str,
    invitation: i64,
    participant: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Assistant>> {
    let Some((user, given)) = value.split_once('.') else {
        return Ok(None);
    };
    let Ok(user) = user.parse::<i64>() else {
        return Ok(None);
    };
    let mut statement = conn
        .prepare_cached("SELECT csrf_token FROM sessions WHERE user_id = ?1 AND expires_at > ?2")?;
    let secrets = statement
        .query_map(params![user, rfc3339(now)], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !secrets
        .iter()
        .any(|secret| same_token(given, &mac(secret, invitation)))
    {
        return Ok(None);
    }
    let Some(account) = users::by_id(conn, user)? else {
        return Ok(None);
    };
    if account.disabled_at.is_some() || !account.role.allows(Permission::ViewParticipants) {
        return Ok(None);
    }
    if let Some(scope) = &account.scope
        && !scope.covers(conn, participant)?
    {
        return Ok(None);
    }
    Ok(Some(Assistant {
        user,
        username: account.username,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::users::{NewUser, add};
    use crate::accounts::{Role, Scope, sessions};

    fn setup() -> (Connection, i64) {
        let conn = crate::db::open_in_memory().unwrap();
        conn.execute(
            "INSERT INTO participants (id, participant_key, pseudonym, created_at)
             VALUES (7, 'id:7', 'P-7', 'now')",
            [],
        )
        .unwrap();
        crate::participants::attributes::set_values(
            &conn,
            7,
            &[("union", "SP Garmen")],
            None,
            "now",
        )
        .unwrap();
        (conn, 7)
    }

    fn user(conn: &Connection, name: &str, role: Role, scope: Option<Scope>) -> i64 {
        let new = NewUser {
            username: name,
            role,
            scope,
            password: "a long test password",
        };
        add(conn, &new, None, Utc::now()).unwrap().id
    }

    #[test]
    fn a_grant_holds_only_for_its_session_invitation_and_scope() {
        let (conn, participant) = setup();
        let now = Utc::now();
        let officer = user(
            &conn,
            "officer",
            Role::FieldOfficer,
            Some(Scope::new("union", "SP Garmen").unwrap()),
        );
        let account = users::by_id(&conn, officer).unwrap().unwrap();
        let (token, session) = sessions::create(&conn, &account, now).unwrap();
        let value = grant(&session.csrf_token, officer, 11);
        let found = holder(&conn, &value, 11, participant, now).unwrap();
        assert_eq!(found.map(|a| a.username).as_deref(), Some("officer"));
        // Another invitation, a tampered mac, another user id: nothing.
        assert_eq!(holder(&conn, &value, 12, participant, now).unwrap(), None);
        let last = if value.ends_with('0') { "1" } else { "0" };
        let tampered = format!("{}{last}", &value[..value.len() - 1]);
        assert_eq!(
            holder(&conn, &tampered, 11, participant, now).unwrap(),
            None
        );
        let other = value.replacen(&officer.to_string(), "999", 1);
        assert_eq!(holder(&conn, &other, 11, participant, now).unwrap(), None);
        assert_eq!(
            holder(&conn, "garbage", 11, participant, now).unwrap(),
            None
        );
        // Out of scope once the participant moves to another union.
        crate::participants::attributes::set_values(&conn, 7, &[("union", "SP Lain")], None, "now")
            .unwrap();
        assert_eq!(holder(&conn, &value, 11, participant, now).unwrap(), None);
        crate::participants::attributes::set_values(
            &conn,
            7,
            &[("union", "SP Garmen")],
            None,
            "now",
        )
        .unwrap();
        assert!(
            holder(&conn, &value, 11, participant, now)
                .unwrap()
                .is_some()
        );
        // Logging out ends it.
        sessions::delete(&conn, &token).unwrap();
        assert_eq!(holder(&conn, &value, 11, participant, now).unwrap(), None);
    }
}
