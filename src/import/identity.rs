//! Finding the participant a roster row is about, and naming new participants.
//!
//! Participants are found through their identifying values (`participant_id`, `nik`, `phone`:
//! the indexed columns `roster_id`, `nik` and `phone` of `participants`) and their
//! `participant_key`.
//! For a file that is large next to the database, every identifier is loaded into hash maps
//! once, so that a million rows cost a million hash lookups rather than three million index
//! searches; for a small file into a large database, each row is looked up with prepared
//! queries instead, so that a ten-row file does not load a million identifiers.

use std::collections::HashSet;

use anyhow::Context;
use rusqlite::{OptionalExtension, Transaction};

use super::values_index::ValuesIndex;

/// The pseudonyms in use, as the 40 bits they were drawn from. foldhash rather than std's
/// SipHash: one lookup per new participant on the storing thread.
type Drawn = HashSet<u64, foldhash::fast::RandomState>;

/// The attributes that identify a participant, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ident {
    /// The programme's participant id.
    Id,
    /// The NIK.
    Nik,
    /// The normalised phone number.
    Phone,
}

impl Ident {
    /// All of them, strongest first.
    pub(super) const ALL: [Ident; 3] = [Ident::Id, Ident::Nik, Ident::Phone];

    /// The attribute name.
    pub(super) fn attribute(self) -> &'static str {
        match self {
            Ident::Id => "participant_id",
            Ident::Nik => "nik",
            Ident::Phone => "phone",
        }
    }

    /// The identifier an attribute name stands for.
    pub(super) fn of_attribute(name: &str) -> Option<Ident> {
        Ident::ALL.into_iter().find(|i| i.attribute() == name)
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Identifiers loaded in memory.
struct Loaded {
    idents: [ValuesIndex; 3],
    keys: ValuesIndex,
    /// Pseudonyms that [`pseudonym`] can draw, by their bits: another text can never equal a
    /// new one, so it need not be kept.
    pseudonyms: Drawn,
}

/// Looks participants up by identifier, either in loaded maps or with queries.
pub(super) struct Directory {
    loaded: Option<Loaded>,
    random: RandomBytes,
}

impl Directory {
    /// Loads every identifier when the file has at least a quarter as many rows as the
    /// database has participants.
    pub(super) fn new(tx: &Transaction, rows: usize) -> anyhow::Result<Directory> {
        let participants: i64 = tx
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .context("cannot count participants")?;
        let loaded = if (rows as i64).saturating_mul(4) >= participants {
            // Room for the file's rows too: growing a map rehashes all it holds.
            Some(load(tx, participants as usize + rows)?)
        } else {
            None
        };
        tracing::debug!(
            participants,
            loaded = loaded.is_some(),
            "participant directory"
        );
        Ok(Directory {
            loaded,
            random: RandomBytes::default(),
        })
    }

    /// The participant whose `ident` is `value`; with several (a shared phone), one of them.
    pub(super) fn find(
        &self,
        tx: &Transaction,
        ident: Ident,
        value: &str,
    ) -> anyhow::Result<Option<i64>> {
        if let Some(loaded) = &self.loaded {
            return Ok(loaded.idents[ident.slot()].get(value));
        }
        let sql = match ident {
            Ident::Id => FIND_BY_ROSTER_ID,
            Ident::Nik => FIND_BY_NIK,
            Ident::Phone => FIND_BY_PHONE,
        };
        tx.prepare_cached(sql)?
            .query_row([value], |row| row.get(0))
            .optional()
            .context("cannot look up a participant")
    }

    /// The participant with this `participant_key`.
    pub(super) fn find_key(&self, tx: &Transaction, key: &str) -> anyhow::Result<Option<i64>> {
        if let Some(loaded) = &self.loaded {
            return Ok(loaded.keys.get(key));
        }
        tx.prepare_cached("SELECT id FROM participants WHERE participant_key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()
            .context("cannot look up a participant")
    }

    /// Notes a participant's new identifier (the database already has it; the loaded maps
    /// must learn it too). The first participant seen with a shared phone keeps it.
    pub(super) fn remember(&mut self, ident: Ident, value: &str, participant: i64) {
        if let Some(loaded) = &mut self.loaded {
            loaded.idents[ident.slot()].insert_if_absent(value, participant);
        }
    }

    /// Notes a new participant's key.
    pub(super) fn remember_key(&mut self, key: &str, participant: i64) {
        if let Some(loaded) = &mut self.loaded {
            loaded.keys.set(key, participant);
        }
    }

    /// A fresh pseudonym, `P-` and 8 characters of Crockford's base32 (40 random bits), unused
    /// by any participant. Random rather than derived from the key, so that it reveals nothing
    /// about the person; with a million participants two draws do collide now and then, hence
    /// the check.
    pub(super) fn new_pseudonym(&mut self, tx: &Transaction) -> anyhow::Result<String> {
        loop {
            let bits = self.random.take5()?;
            let pseudonym = pseudonym(bits);
            let taken = match &mut self.loaded {
                Some(loaded) => !loaded.pseudonyms.insert(bits),
                None => tx
                    .prepare_cached("SELECT 1 FROM participants WHERE pseudonym = ?1")?
                    .query_row([&pseudonym], |_| Ok(()))
                    .optional()?
                    .is_some(),
            };
            if !taken {
                return Ok(pseudonym);
            }
        }
    }
}

/// Every participant's key, pseudonym and identifiers, with room for `capacity` keys.
fn load(tx: &Transaction, capacity: usize) -> anyhow::Result<Loaded> {
    // Sized once: grown by doubling, a million entries were rehashed twenty times each, into
    // fresh memory the kernel zeroed first (a tenth of a first import's storing thread).
    // Bytes per value: a phone or a NIK is 13 to 16, a participant id about ten, a key three
    // or four more.
    let mut loaded = Loaded {
        idents: std::array::from_fn(|_| ValuesIndex::with_capacity(capacity, 16)),
        keys: ValuesIndex::with_capacity(capacity, 20),
        pseudonyms: Drawn::with_capacity_and_hasher(capacity, Default::default()),
    };
    // One pass in id order: where participants share a value (a phone), the first keeps it.
    let mut statement = tx.prepare(
        "SELECT id, participant_key, pseudonym, roster_id, nik, phone FROM participants
         ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        loaded.keys.set(row.get_ref(1)?.as_str()?, id);
        if let Some(bits) = drawn_bits(row.get_ref(2)?.as_str()?) {
            loaded.pseudonyms.insert(bits);
        }
        for ident in Ident::ALL {
            if let Some(value) = row.get_ref(3 + ident.slot())?.as_str_or_null()? {
                loaded.idents[ident.slot()].insert_if_absent(value, id);
            }
        }
    }
    Ok(loaded)
}

const FIND_BY_ROSTER_ID: &str =
    "SELECT id FROM participants WHERE roster_id = ?1 ORDER BY id LIMIT 1";
const FIND_BY_NIK: &str = "SELECT id FROM participants WHERE nik = ?1 ORDER BY id LIMIT 1";
const FIND_BY_PHONE: &str = "SELECT id FROM participants WHERE phone = ?1 ORDER BY id LIMIT 1";

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The 40 bits [`pseudonym`] made `text` from; `None` for any other text.
fn drawn_bits(text: &str) -> Option<u64> {
    let digits = text.strip_prefix("P-").filter(|d| d.len() == 8)?;
    digits.bytes().try_fold(0u64, |bits, digit| {
        let value = CROCKFORD.iter().position(|&c| c == digit)?;
        Some(bits << 5 | value as u64)
    })
}

fn pseudonym(bits: u64) -> String {
    let mut out = String::with_capacity(10);
    out.push_str("P-");
    for i in (0..8).rev() {
        out.push(CROCKFORD[((bits >> (i * 5)) & 31) as usize] as char);
    }
    out
}

/// Operating-system randomness fetched a page at a time: one system call per 800 pseudonyms
/// rather than one each.
#[derive(Default)]
struct RandomBytes {
    buffer: Vec<u8>,
    used: usize,
}

impl RandomBytes {
    fn take5(&mut self) -> anyhow::Result<u64> {
        if self.used + 5 > self.buffer.len() {
            self.buffer.resize(4000, 0);
            getrandom::fill(&mut self.buffer)
                .map_err(|e| anyhow::anyhow!("no randomness from the operating system: {e}"))?;
            self.used = 0;
        }
        let mut bits = 0u64;
        for byte in &self.buffer[self.used..self.used + 5] {
            bits = bits << 8 | u64::from(*byte);
        }
        self.used += 5;
        Ok(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_p_dash_eight_base32_characters() {
        assert_eq!(pseudonym(0), "P-00000000");
        assert_eq!(pseudonym((1 << 40) - 1), "P-ZZZZZZZZ");
        let mut random = RandomBytes::default();
        let drawn: HashSet<String> = (0..2000)
            .map(|_| pseudonym(random.take5().unwrap()))
            .collect();
        assert!(drawn.len() >= 1999);
    }

    #[test]
    fn pseudonyms_give_back_the_bits_they_were_drawn_from() {
        let mut random = RandomBytes::default();
        for _ in 0..2000 {
            let bits = random.take5().unwrap();
            assert_eq!(drawn_bits(&pseudonym(bits)), Some(bits));
        }
        assert_eq!(drawn_bits("P-ZZZZZZZZ"), Some((1 << 40) - 1));
        // Texts a draw cannot make: lower case, I L O U, another length or prefix.
        for other in [
            "P-0000000",
            "P-000000000",
            "p-00000000",
            "P-0000000I",
            "P-abcdefgh",
            "Q-00000000",
            "",
        ] {
            assert_eq!(drawn_bits(other), None, "{other}");
        }
    }
}
