//! The tokens of a name for the index of short name pieces (`participant_search_grams`,
//! migration 0010), computed in Rust.
//!
//! The migration's view `participant_search_gram_text` computes them in SQL, one `substr`,
//! `lower` and `hex` per character through `json_each`: about a third of a first import's
//! CPU at 100,000 rows, all of it on the storing thread after the last row was read. A
//! first import ([`super::bulk`]) computes the same text here, on the checking thread, and
//! the storing thread only inserts it. The two must agree token for token; the tests compare
//! them on names with upper case, non-Latin letters, punctuation and emoji.
//!
//! Each distinct piece is written once: the index keeps which names hold a token, not where
//! or how often (`detail=none`), so a repeat ("a" three times in "Maulana") only cost FTS5 a
//! tokenisation and a hash lookup on the storing thread. The view repeats them; the index
//! holds the same tokens either way.

use std::fmt::Write;

/// The index text of `name`: for each character, the character and the two characters
/// starting there (one at the end), each after ASCII lower-casing (what SQLite's `lower()`
/// does without ICU) as the upper-case hexadecimal of its UTF-8 bytes, each distinct piece
/// once, in the order first met, separated by single spaces. `None` for an empty name, which
/// the index leaves out.
pub fn name_pieces(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(name.len() * 6);
    // The pieces written so far, each packed into a number (see `packed`).
    let mut seen: Vec<u64> = Vec::with_capacity(name.len() * 2);
    let mut piece = |piece: &str, out: &mut String| {
        let key = packed(piece);
        if !seen.contains(&key) {
            seen.push(key);
            if !out.is_empty() {
                out.push(' ');
            }
            push_hex(piece, out);
        }
    };
    let mut chars = name.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        piece(&name[start..start + c.len_utf8()], &mut out);
        let end = match chars.peek() {
            Some(&(next, d)) => next + d.len_utf8(),
            None => start + c.len_utf8(),
        };
        piece(&name[start..end], &mut out);
    }
    Some(out)
}

/// A piece of one or two characters (at most 8 bytes of UTF-8) as a number that two pieces
/// share only when their tokens are equal: the bytes after ASCII lower-casing, and the
/// length in the low byte so that "a" and "a\0" differ.
fn packed(piece: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(piece.bytes()) {
        *slot = byte.to_ascii_lowercase();
    }
    // A piece of 8 bytes has no room for its length, and needs none: no other piece of up
    // to two characters has 8 bytes and the same ones.
    if piece.len() < 8 {
        bytes[7] = piece.len() as u8;
    }
    u64::from_le_bytes(bytes)
}

/// Appends the upper-case hexadecimal of `piece`'s bytes after ASCII lower-casing, as
/// `hex(lower(piece))` gives it.
fn push_hex(piece: &str, out: &mut String) {
    for byte in piece.bytes() {
        let _ = write!(out, "{:02X}", byte.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What migration 0010's view gives for `name`.
    fn from_sql(name: &str) -> Option<String> {
        let conn = crate::db::open_in_memory().unwrap();
        conn.execute(
            "INSERT INTO participants (id, participant_key, pseudonym, created_at)
             VALUES (1, 'k', 'p', '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO participant_search (participant_id, name) VALUES (1, ?1)",
            [name],
        )
        .unwrap();
        conn.query_row(
            "SELECT grams FROM participant_search_gram_text WHERE participant_id = 1",
            [],
            |row| row.get(0),
        )
        .unwrap()
    }

    #[test]
    fn the_pieces_are_those_of_the_migrations_view() {
        for name in [
            "Dewi Lestari",
            "A",
            "ab",
            "SITI NURHALIZA",
            "Ñoño Ôtô",
            "I Gusti Ngurah Rai, S.Pd.",
            "Ⅻ 名前 😀x",
            "  two  spaces ",
            "O'Brien-Ä",
        ] {
            assert_eq!(name_pieces(name), from_sql(name).map(distinct), "{name:?}");
        }
        assert_eq!(name_pieces(""), None);
        assert_eq!(from_sql(""), None);
    }

    /// The tokens of `text`, each once, in the order first met.
    fn distinct(text: String) -> String {
        let mut tokens: Vec<&str> = Vec::new();
        for token in text.split(' ') {
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        tokens.join(" ")
    }

    #[test]
    fn a_name_of_two_letters_has_three_tokens() {
        // The view repeats the last letter: "61 6162 62 62".
        assert_eq!(name_pieces("Ab").as_deref(), Some("61 6162 62"));
    }

    #[test]
    fn each_piece_is_written_once_whatever_its_case() {
        assert_eq!(
            from_sql("Anna").as_deref(),
            Some("61 616E 6E 6E6E 6E 6E61 61 61")
        );
        assert_eq!(name_pieces("Anna").as_deref(), Some("61 616E 6E 6E6E 6E61"));
        // Different pieces that share bytes or a length stay apart.
        assert_eq!(name_pieces("aé").as_deref(), Some("61 61C3A9 C3A9"));
        assert_eq!(
            name_pieces("😀😀x").as_deref(),
            Some("F09F9880 F09F9880F09F9880 F09F988078 78")
        );
    }
}
