//! Personal survey tokens: the secret in `/s/{token}`.

use base64::Engine;

/// Random bytes per token: 144 bits, above the 128 the design asks for, and a multiple of three
/// so the base64 text has no padding (24 characters).
const TOKEN_BYTES: usize = 18;

/// A new unguessable, URL-safe token from the operating system's random source.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the operating system gave no random bytes: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a string could be a token, checked before any database lookup so that junk in the
/// URL costs nothing.
pub fn looks_like_token(text: &str) -> bool {
    text.len() == 24
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_distinct_and_recognised() {
        let tokens: std::collections::HashSet<String> =
            (0..1000).map(|_| new_token().unwrap()).collect();
        assert_eq!(tokens.len(), 1000);
        for token in &tokens {
            assert!(looks_like_token(token), "{token}");
        }
        assert!(!looks_like_token("../../etc/passwd"));
        assert!(!looks_like_token("short"));
    }
}
