//! Synthetic rosters: a deterministic, seeded generator of made-up programme participants and
//! the roster files a union or training partner might send about them.
//!
//! Used by the tests, the demo and the benchmarks, so that no real person's data is ever needed
//! to exercise the import. The same [`Spec`] always gives the same people, on every machine and
//! every version: the random numbers come from a small hand-written generator ([`Rng`]) rather
//! than a crate whose streams may change between releases.
//!
//! [`roster`] makes the people; [`write_xlsx`] and [`write_csv`] write them as a file in a
//! [`Style`]: `Clean` (one sheet, plain headers, text and numbers as a careful officer types
//! them) or `Messy` (title rows, varied header spellings, serial and text dates, `3,5 juta`,
//! phones that lost their leading 0, a few NIKs stored as numbers, L/P spelled every way, ✓/x
//! attendance, hidden rows, a hidden sheet, one sheet per federation), optionally with a known
//! set of bad rows whose problems the caller can check for.

mod people;
mod respondent;
mod write;

pub use people::{Person, Rng, Spec, roster};
pub use respondent::{Persona, answers};
pub use write::{BadRow, Column, Mode, Style, Written, write_csv, write_xlsx, xlsx_bytes};
