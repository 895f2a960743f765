//! Outreach for field officers: the call list of participants with an open invitation, most at
//! risk of dropping out first, with their phone, personal survey link and a WhatsApp
//! click-to-chat link that has the invitation already typed.
//!
//! [`call_list`] reads the rows from the database at a given instant (no clock of its own);
//! [`write_call_list`] writes them as a workbook; [`risk`] documents the score that orders them.
//! `pantau calllist` (`src/cli/calllist.rs`) puts the three together.

mod list;
pub mod risk;
mod workbook;

pub use list::{CallListRow, call_list, call_list_in};
pub use risk::{Reason, Risk, RiskSignals, assess};
pub use workbook::{ROWS_PER_SHEET, sheet_name, write_call_list};
