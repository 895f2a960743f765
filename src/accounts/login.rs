//! Checking a username and password, with a lockout after repeated failures.
//!
//! An unknown username, a wrong password, a disabled account and a locked one all get the same
//! refusal, and an unknown username still costs one argon2 verification, so that the login form
//! does not tell which usernames exist.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit;
use super::password;
use super::users::{self, User};
use crate::invitations::rfc3339;

/// Consecutive failures that lock an account.
pub const MAX_FAILURES: i64 = 5;

/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;

/// Why a login did not succeed. Shown to the person as one message whatever the reason.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, disabled or locked account.
    #[error("wrong username or password, or the account is locked for a while")]
    Refused,
    /// The database failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for LoginError {
    fn from(err: rusqlite::Error) -> LoginError {
        LoginError::Internal(err.into())
    }
}

/// Checks `username` and `password` at `now`: the user on success; on failure counts it and
/// locks the account after [`MAX_FAILURES`]. Every outcome is written to the audit log.
pub fn authenticate(
    conn: &Connection,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<User, LoginError> {
    let stored: Option<(i64, String, i64)> = conn
        .query_row(
            "SELECT id, password_hash, failed_logins FROM users WHERE username = ?1",
            [username],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((id, hash, failures)) = stored else {
        password::verify_dummy(password);
        // The typed name is not logged: it may be a password typed into the wrong box.
        audit::action(conn, now, None, "user.login_failed", None)?;
        return Err(LoginError::Refused);
    };
    let user = users::by_id(conn, id)?.ok_or(LoginError::Refused)?;
    let target = format!("user:{id}");
    let locked = user
        .locked_until
        .as_deref()
        .is_some_and(|until| until > rfc3339(now).as_str());
    // Verify even when locked or disabled, so those cases take the same time.
    let matches = password::verify(password, &hash);
    if locked || user.disabled_at.is_some() {
        let action = if locked {
            "user.login_locked"
        } else {
            "user.login_disabled"
        };
        audit::action(conn, now, Some(id), action, Some(&target))?;
        return Err(LoginError::Refused);
    }
    if !matches {
        let failures = failures + 1;
        if failures >= MAX_FAILURES {
            let until = rfc3339(now + Duration::minutes(LOCK_MINUTES));
            conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = ?1 WHERE id = ?2",
                params![until, id],
            )?;
            audit::action(conn, now, Some(id), "user.locked", Some(&target))?;
        } else {
            conn.execute(
                "UPDATE users SET failed_logins = ?1 WHERE id = ?2",
                params![failures, id],
            )?;
            audit::action(conn, now, Some(id), "user.login_failed", Some(&target))?;
        }
        return Err(LoginError::Refused);
    }
    conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
        [id],
    )?;
    audit::action(conn, now, Some(id), "user.login", Some(&target))?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;
    use crate::accounts::users::{NewUser, add};

    #[test]
    fn five_failures_lock_the_account_for_fifteen_minutes() {
        let conn = crate::db::open_in_memory().unwrap();
        let now = Utc::now();
        let new = NewUser {
            username: "sari",
            role: Role::Admin,
            scope: None,
            password: "the right password",
        };
        add(&conn, &new, None, now).unwrap();
        assert!(authenticate(&conn, "SARI", "the right password", now).is_ok());
        assert!(matches!(
            authenticate(&conn, "nobody", "the right password", now),
            Err(LoginError::Refused)
        ));
        for _ in 0..MAX_FAILURES {
            assert!(authenticate(&conn, "sari", "wrong password!", now).is_err());
        }
        assert!(
            authenticate(&conn, "sari", "the right password", now).is_err(),
            "locked: even the right password is refused"
        );
        let later = now + Duration::minutes(LOCK_MINUTES) + Duration::seconds(1);
        assert!(authenticate(&conn, "sari", "the right password", later).is_ok());
    }
}
