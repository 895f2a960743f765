//! Password hashing with argon2id, stored as PHC strings (`$argon2id$v=19$m=…`).
//!
//! The parameters are the argon2 crate's defaults (19 MiB, 2 passes, 1 lane), the OWASP
//! minimum: a login takes tens of milliseconds, a stolen database costs an attacker that much
//! per guess. The parameters travel inside each PHC string, so raising them later keeps old
//! hashes verifiable.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted when creating a user.
pub const MIN_LENGTH: usize = 10;

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| anyhow::anyhow!("cannot encode a password salt: {e}"))?;
    let phc = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Does the work of one verification against a hash nobody's password matches, so that a login
/// for an unknown user takes as long as one with a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        hash("pantau: no account has this password").unwrap_or_else(|_| {
            // Without random bytes no login works anyway; a fixed valid hash keeps the timing.
            "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                .to_owned()
        })
    });
    let _ = verify(password, phc);
}

/// Why a new password is refused, in words for the person typing it.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!(
            "the password must be at least {MIN_LENGTH} characters long"
        ));
    }
    if password.trim() != password {
        return Err("the password must not start or end with spaces".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let one = hash("correct horse battery").unwrap();
        let two = hash("correct horse battery").unwrap();
        assert!(one.starts_with("$argon2id$"), "{one}");
        assert_ne!(one, two, "each hash has its own salt");
        assert!(verify("correct horse battery", &one));
        assert!(!verify("correct horse batterY", &one));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength(" padded password ").is_err());
        assert!(check_strength("long enough password").is_ok());
    }
}
