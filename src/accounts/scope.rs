//! What a field officer may see: the participants whose roster field equals a value ("union" =
//! "SP Garmen Bekasi").

use std::fmt;

use rusqlite::{Connection, OptionalExtension, params};

/// Roster fields a scope may name (the `users.scope_field` CHECK constraint).
pub const SCOPE_FIELDS: &[&str] = &[
    "confederation",
    "federation",
    "union",
    "training_location",
    "province",
    "cohort",
];

/// A field officer's scope: participants whose attribute `field` is `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// One of [`SCOPE_FIELDS`].
    pub field: String,
    /// The value, compared exactly as the roster import normalised it.
    pub value: String,
}

/// A scope field that is not one of [`SCOPE_FIELDS`].
#[derive(Debug, thiserror::Error)]
#[error("unknown scope field {0:?}; use one of {list}", list = SCOPE_FIELDS.join(", "))]
pub struct UnknownScopeField(pub String);

impl Scope {
    /// A scope on `field` = `value`, checking the field name.
    pub fn new(field: &str, value: &str) -> Result<Scope, UnknownScopeField> {
        let field = field.trim().to_ascii_lowercase();
        if !SCOPE_FIELDS.contains(&field.as_str()) {
            return Err(UnknownScopeField(field));
        }
        Ok(Scope {
            field,
            value: value.trim().to_owned(),
        })
    }

    /// SQL condition (with two `?` parameters: [`Scope::field`], [`Scope::value`]) true for the
    /// participants in scope; `participant_id` is the SQL expression naming the participant.
    pub fn condition(participant_id: &str) -> String {
        // The field is one of SCOPE_FIELDS (checked by `new`), so the JSON path built from it
        // is a plain key.
        format!(
            "(SELECT scope_r.attrs ->> ('$.' || ?) FROM participant_rows scope_r \
             WHERE scope_r.participant_id = {participant_id}) = ?"
        )
    }

    /// Whether participant `id` is in this scope.
    pub fn covers(&self, conn: &Connection, id: i64) -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT 1 FROM participant_rows
             WHERE participant_id = ?1 AND attrs ->> ('$.' || ?2) = ?3",
            params![id, self.field, self.value],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.field, self.value)
    }
}
