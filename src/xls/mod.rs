//! The `.xls` format (BIFF records in a compound file), where pantau looks inside it itself
//! before or beside calamine: a pre-flight check that refuses damaged files that would make
//! calamine ask for more memory than the machine has (`guard.rs`), and the hidden rows of each
//! sheet, which calamine does not report (`rows.rs`). Both walk the same container
//! (`container.rs`) and never allocate more than the file's own size.
//!
//! Forms and rosters both use it: an `.xls` is a common format for both.

mod container;
mod guard;
mod rows;

pub use guard::{SHEET_CELLS, check};
pub use rows::{HiddenRows, hidden_rows};
