//! XLSForm forms: loading, validation, evaluation and screens (being written).

mod problem;
mod sheet;

pub use problem::{Column, Problem, Severity, column_letter};
