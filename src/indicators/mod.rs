//! Outcome indicators: figures declared in the configuration with the form expression language,
//! computed over merged participant records and broken down by disaggregations, with small
//! cells suppressed.
//!
//! Domain code: it takes records and returns figures; reading the database and writing
//! workbooks happen elsewhere. Every [`Figure`] carries its numerator and denominator (`n`) so
//! that a reader can check it, and a suppressed figure carries no value at all.

mod compute;
mod derive;
mod record;
mod suppression;

pub use compute::{
    Breakdown, Columns, CompiledIndicator, Figure, Groups, IndicatorResult, Part, compile,
};
pub use derive::{WG_DOMAINS, age_group, age_on, disability, minimum_wage};
pub use record::{Names, Record, RecordEnv, name_order};
pub use suppression::suppress;
