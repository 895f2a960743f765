//! Logged-in sessions: a random token in the cookie, its SHA-256 in the database, a CSRF token
//! per session, an idle expiry that slides with use and a hard one from login.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::users::{self, User};
use crate::invitations::rfc3339;

/// A session unused this long ends.
pub const IDLE_HOURS: i64 = 8;

/// A session ends this long after login however much it is used.
pub const MAX_DAYS: i64 = 7;

/// A logged-in staff member's session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in.
    pub user: User,
    /// The token every state-changing form must echo.
    pub csrf_token: String,
    /// When the session ends unless used again.
    pub expires_at: String,
}

fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 (hex) stored for a cookie token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a session for `user` at `now`: the cookie token and the session.
pub fn create(
    conn: &Connection,
    user: &User,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, Session)> {
    let token = random_token()?;
    let csrf_token = random_token()?;
    let expires_at = rfc3339(now + Duration::hours(IDLE_HOURS));
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token_hash(&token),
            user.id,
            csrf_token,
            rfc3339(now),
            expires_at
        ],
    )?;
    Ok((
        token,
        Session {
            user: user.clone(),
            csrf_token,
            expires_at,
        },
    ))
}

/// The live session for cookie `token` at `now`, its idle expiry pushed forward; `None` when
/// unknown, expired or its user disabled (an expired session is deleted on the way).
pub fn lookup(
    conn: &Connection,
    token: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Session>> {
    let hash = token_hash(token);
    let row: Option<(i64, String, String, String)> = conn
        .query_row(
            "SELECT user_id, csrf_token, created_at, expires_at FROM sessions
             WHERE token_hash = ?1",
            [&hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((user_id, csrf_token, created_at, expires_at)) = row else {
        return Ok(None);
    };
    let stamp = rfc3339(now);
    let user = users::by_id(conn, user_id)?;
    let Some(user) = user.filter(|u| u.disabled_at.is_none() && expires_at > stamp) else {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash])?;
        return Ok(None);
    };
    let hard_end = DateTime::parse_from_rfc3339(&created_at)
        .map(|t| t.with_timezone(&Utc) + Duration::days(MAX_DAYS))
        .unwrap_or(now);
    if hard_end <= now {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [&hash])?;
        return Ok(None);
    }
    let expires_at = rfc3339((now + Duration::hours(IDLE_HOURS)).min(hard_end));
    conn.execute(
        "UPDATE sessions SET expires_at = ?1 WHERE token_hash = ?2",
        params![expires_at, hash],
    )?;
    Ok(Some(Session {
        user,
        csrf_token,
        expires_at,
    }))
}

/// Ends the session of cookie `token` (logout).
pub fn delete(conn: &Connection, token: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        [token_hash(token)],
    )?;
    Ok(())
}

/// Whether `given` equals `expected`, comparing every byte so the time taken does not tell how
/// much of a guessed CSRF token was right.
pub fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;
    use crate::accounts::users::{NewUser, add};

    #[test]
    fn sessions_slide_expire_and_end() {
        let conn = crate::db::open_in_memory().unwrap();
        let now = Utc::now();
        let new = NewUser {
            username: "sari",
            role: Role::Viewer,
            scope: None,
            password: "the right password",
        };
        let user = add(&conn, &new, None, now).unwrap();
        let (token, session) = create(&conn, &user, now).unwrap();
        let stored: String = conn
            .query_row("SELECT token_hash FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, token, "only the hash is stored");
        assert_eq!(stored, token_hash(&token));
        let hours = |h| now + Duration::hours(h);
        assert!(lookup(&conn, &token, hours(7)).unwrap().is_some());
        assert!(
            lookup(&conn, &token, hours(14)).unwrap().is_some(),
            "use slides expiry"
        );
        assert!(
            lookup(&conn, &token, hours(23)).unwrap().is_none(),
            "idle 9 hours"
        );
        let (token, _) = create(&conn, &user, now).unwrap();
        let mut at = now;
        while at < now + Duration::days(MAX_DAYS) - Duration::hours(1) {
            at += Duration::hours(6);
            if at >= now + Duration::days(MAX_DAYS) {
                break;
            }
            assert!(lookup(&conn, &token, at).unwrap().is_some());
        }
        assert!(
            lookup(&conn, &token, now + Duration::days(MAX_DAYS))
                .unwrap()
                .is_none()
        );
        let (token, _) = create(&conn, &user, now).unwrap();
        delete(&conn, &token).unwrap();
        assert!(lookup(&conn, &token, now).unwrap().is_none());
        assert!(same_token(&session.csrf_token, &session.csrf_token.clone()));
        assert!(!same_token("abc", &session.csrf_token));
    }
}
