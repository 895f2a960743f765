//! The tokens of a name for the index of short name pieces (`participant_search_grams`,
//! migration 0010), computed in Rust.
//!
//! The migration's view `participant_search_gram_text` computes them in SQL, one `substr`,
//! `lower` and `hex` per character through `json_each`: about a third of a first import's
//! CPU at 100,000 rows, all of it on the storing thread after the last row was read. A
//! first import ([`super::bulk`]) computes the same text here, on the checking thread, and
//! the storing thread only inserts it. The two must agree token for token; the tests compare
//! them on names with upper case, non-Latin letters, punctuation and emoji.

use std::fmt::Write;

/// The index text of `name`: for each character, the character and the two characters
/// starting there (one at the end), each after ASCII lower-casing (what SQLite's `lower()`
/// does without ICU) as the upper-case hexadecimal of its UTF-8 bytes, all separated by
/// single spaces. `None` for an empty name, which the index leaves out.
pub fn name_pieces(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(name.len() * 8);
    let mut chars = name.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !out.is_empty() {
            out.push(' ');
        }
        let one = &name[start..start + c.len_utf8()];
        push_hex(one, &mut out);
        out.push(' ');
        let end = match chars.peek() {
            Some(&(next, d)) => next + d.len_utf8(),
            None => start + c.len_utf8(),
        };
        push_hex(&name[start..end], &mut out);
    }
    Some(out)
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
            assert_eq!(name_pieces(name), from_sql(name), "{name:?}");
        }
        assert_eq!(name_pieces(""), None);
        assert_eq!(from_sql(""), None);
    }

    #[test]
    fn a_name_of_two_letters_has_three_tokens_and_a_repeat() {
        assert_eq!(name_pieces("Ab").as_deref(), Some("61 6162 62 62"));
    }
}
