//! Creating, listing and disabling staff accounts.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit;
use super::password;
use super::role::Role;
use super::scope::{Scope, UnknownScopeField};
use crate::invitations::rfc3339;

/// A staff account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// What the account may do.
    pub role: Role,
    /// For field officers: the participants they may see.
    pub scope: Option<Scope>,
    /// When the account was disabled, if it was.
    pub disabled_at: Option<String>,
    /// Until when the account is locked after failed logins, if it is.
    pub locked_until: Option<String>,
    /// When the account was created.
    pub created_at: String,
}

/// What `pantau user add` asks for.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// Role.
    pub role: Role,
    /// Scope (field officers only, and required for them).
    pub scope: Option<Scope>,
    /// The password in clear, hashed here.
    pub password: &'a str,
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Username empty, too long or with spaces or control characters.
    #[error("username {0:?} is not usable: use 1 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadUsername(String),
    /// The username is taken (compared without case).
    #[error("a user named {0:?} already exists")]
    Taken(String),
    /// The password is too weak.
    #[error("{0}")]
    WeakPassword(String),
    /// A field officer needs a scope.
    #[error("a field officer needs a scope: --scope-field FIELD --scope-value VALUE")]
    ScopeNeeded,
    /// Only field officers have scopes.
    #[error("only a field officer has a scope; drop --scope-field and --scope-value for {0}")]
    ScopeNotAllowed(Role),
    /// A scope field not in the list.
    #[error(transparent)]
    ScopeField(#[from] UnknownScopeField),
    /// No user with that name.
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    /// The database failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for AccountError {
    fn from(err: rusqlite::Error) -> AccountError {
        AccountError::Internal(err.into())
    }
}

const COLUMNS: &str =
    "id, username, role, scope_field, scope_value, disabled_at, locked_until, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(2)?;
    let role = role.parse::<Role>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let field: Option<String> = row.get(3)?;
    let value: Option<String> = row.get(4)?;
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        role,
        scope: field
            .zip(value)
            .map(|(field, value)| Scope { field, value }),
        disabled_at: row.get(5)?,
        locked_until: row.get(6)?,
        created_at: row.get(7)?,
    })
}

fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadUsername(name.to_owned()))
    }
}

/// Creates an account, recording `user.add` by `actor` (None from the command line).
pub fn add(
    conn: &Connection,
    new: &NewUser<'_>,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    check_username(new.username)?;
    password::check_strength(new.password).map_err(AccountError::WeakPassword)?;
    match (&new.scope, new.role) {
        (None, Role::FieldOfficer) => return Err(AccountError::ScopeNeeded),
        (Some(_), role) if role != Role::FieldOfficer => {
            return Err(AccountError::ScopeNotAllowed(role));
        }
        _ => {}
    }
    if find(conn, new.username)?.is_some() {
        return Err(AccountError::Taken(new.username.to_owned()));
    }
    let hash = password::hash(new.password)?;
    conn.execute(
        "INSERT INTO users (username, password_hash, role, scope_field, scope_value, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.username,
            hash,
            new.role.as_str(),
            new.scope.as_ref().map(|s| s.field.as_str()),
            new.scope.as_ref().map(|s| s.value.as_str()),
            rfc3339(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    let target = format!("user:{id}");
    audit::record(
        conn,
        now,
        audit::Entry {
            user: actor,
            action: "user.add",
            target: Some(&target),
            detail: Some(new.role.as_str()),
        },
    )?;
    by_id(conn, id)?.ok_or_else(|| AccountError::NoSuchUser(new.username.to_owned()))
}

/// The account named `username` (without case), if any.
pub fn find(conn: &Connection, username: &str) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
        [username],
        from_row,
    )
    .optional()
}

/// The account with row id `id`, if any.
pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

/// Every account, by username.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))?;
    stmt.query_map([], from_row)?.collect()
}

/// Disables `username` and ends its sessions; `false` when it was already disabled.
pub fn disable(
    conn: &Connection,
    username: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, AccountError> {
    let user =
        find(conn, username)?.ok_or_else(|| AccountError::NoSuchUser(username.to_owned()))?;
    if user.disabled_at.is_some() {
        return Ok(false);
    }
    conn.execute(
        "UPDATE users SET disabled_at = ?1 WHERE id = ?2",
        params![rfc3339(now), user.id],
    )?;
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user.id])?;
    let target = format!("user:{}", user.id);
    audit::action(conn, now, actor, "user.disable", Some(&target))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new<'a>(name: &'a str, role: Role, scope: Option<Scope>) -> NewUser<'a> {
        NewUser {
            username: name,
            role,
            scope,
            password: "a long enough password",
        }
    }

    #[test]
    fn accounts_are_checked_created_and_disabled() {
        let conn = crate::db::open_in_memory().unwrap();
        let now = Utc::now();
        let sari = add(&conn, &new("sari", Role::Manager, None), None, now).unwrap();
        assert_eq!(sari.role, Role::Manager);
        assert!(matches!(
            add(&conn, &new("SARI", Role::Viewer, None), None, now),
            Err(AccountError::Taken(_))
        ));
        assert!(matches!(
            add(&conn, &new("budi", Role::FieldOfficer, None), None, now),
            Err(AccountError::ScopeNeeded)
        ));
        let scope = Scope::new("union", "SP Garmen").unwrap();
        assert!(matches!(
            add(
                &conn,
                &new("budi", Role::Viewer, Some(scope.clone())),
                None,
                now
            ),
            Err(AccountError::ScopeNotAllowed(Role::Viewer))
        ));
        let budi = add(
            &conn,
            &new("budi", Role::FieldOfficer, Some(scope.clone())),
            None,
            now,
        )
        .unwrap();
        assert_eq!(budi.scope, Some(scope));
        assert!(matches!(
            add(&conn, &new("with space", Role::Viewer, None), None, now),
            Err(AccountError::BadUsername(_))
        ));
        let weak = NewUser {
            password: "short",
            ..new("weak", Role::Viewer, None)
        };
        assert!(matches!(
            add(&conn, &weak, None, now),
            Err(AccountError::WeakPassword(_))
        ));
        assert!(disable(&conn, "Sari", None, now).unwrap());
        assert!(!disable(&conn, "sari", None, now).unwrap());
        assert!(find(&conn, "sari").unwrap().unwrap().disabled_at.is_some());
        let names: Vec<String> = list(&conn)
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["budi", "sari"]);
        let audited: i64 = conn
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action LIKE 'user.%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(audited, 3);
    }
}
