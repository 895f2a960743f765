//! Staff accounts for the admin area: users with a role (and a scope for field officers),
//! argon2id passwords, login with lockout, sessions, and the audit log.
//!
//! Domain and database only: no actix, no clock (every function takes `now`), no network. The
//! web layer (`crate::web::admin`) turns cookies into [`sessions::Session`]s and asks
//! [`Role::allows`] whether a request may go on.
//!
//! Session tokens are 32 random bytes; the cookie carries them, the database only their
//! SHA-256, so `PANTAU_SESSION_KEY` is not needed: there is nothing to sign, and a copy of the
//! database yields no live session.

pub mod assist;
pub mod audit;
pub mod login;
pub mod password;
pub mod role;
pub mod scope;
pub mod sessions;
pub mod users;

pub use role::{Permission, Role};
pub use scope::Scope;
pub use users::User;
