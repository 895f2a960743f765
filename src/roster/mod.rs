//! Rosters: the participant lists that unions, federations, training partners and the platform
//! send as hand-made Excel or CSV files.
//!
//! This module turns one cell at a time into validated values ([`Nik`], [`Phone`], [`Sex`],
//! dates, [`Rupiah`], attendance flags). Each parser takes a [`Cell`] as the spreadsheet holds it
//! and returns either the normalised value (with any warnings) or a message a programme officer
//! can act on.

mod attendance;
mod cell;
mod dates;
mod headers;
mod money;
mod nik;
mod package;
mod phone;
mod read;
mod records;
mod sex;
mod stream;

pub use attendance::parse_attendance;
pub use cell::Cell;
pub use dates::{ENGLISH_MONTHS, INDONESIAN_MONTHS, parse_date};
pub use headers::{Aliases, Field, HeaderRow, find_header_row, fold};
pub use money::Rupiah;
pub use nik::{Nik, NikFacts};
pub use package::{SheetMarks, check_workbook};
pub use phone::Phone;
pub use read::{Sheet, column_letters, read_roster};
pub use records::{
    ParsedRoster, ParticipantKey, RosterRecord, RosterRules, RowProblem, Severity, SheetSummary,
    Values, parse_roster, parse_roster_each, parse_roster_parts,
};
pub use sex::Sex;
pub use stream::{SheetPart, StreamError, XlsxStream};
