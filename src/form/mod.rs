//! XLSForm forms: loading a workbook into a checked [`Form`], reporting every [`Problem`] in one
//! pass, and evaluating the form for one participant ([`Evaluation`]).
//!
//! # Loading and checking
//!
//! [`check_path`] and [`check_bytes`] return the form (when it has no error) together with every
//! problem found, warnings included; [`Form::load_path`] and [`Form::load_bytes`] return the form
//! or the problems. `.xlsx`, `.xls` and `.ods` are read (see `sheet.rs`); the sheets `survey`,
//! `choices` and `settings` are found by name in any case.
//!
//! What pantau accepts, refuses and ignores:
//!
//! - **types**: `text`, `integer`, `decimal`, `date`, `select_one LIST`, `select_multiple LIST`,
//!   `note`, `acknowledge`, `calculate`, `hidden`, `begin group`/`end group` (a group with
//!   appearance `field-list` is one screen) and the metadata `start`, `end`, `today` (filled by
//!   the server). Device metadata (`deviceid`, `username`, `phonenumber`, `email`, `audit`, …)
//!   loads with a warning and stays empty. Repeats, locations, media, `range`, `rank`, `time`,
//!   choices from files and `or_other` are **errors** that say what to do instead: pantau never
//!   drops a question silently.
//! - **columns**: `name` (or Kobo's `$autoname`), `label`, `hint`, `required`,
//!   `required_message`, `relevant`, `constraint`, `constraint_message`, `calculation`,
//!   `default`, `choice_filter`, `read_only`, `appearance`; texts in languages as
//!   `label::Indonesian (id)` or `label::id`, the plain column being the `default_language`.
//!   Media columns are refused when a row uses them; other columns are ignored (with a warning
//!   when the header looks like a misspelt known one).
//! - **appearances**: `field-list` (groups), `minimal`, `numbers`, `multiline`; others are kept
//!   and reported as ignored.
//! - **defaults** are literal values, checked against the type, unless they contain `${` or a
//!   function call, in which case they are expressions (as in pyxform).
//! - **choice filters** read bare names as columns of the choice (`province = ${province}`).
//!
//! Severity: errors stop the form from loading; warnings (a missing translation, an ignored
//! appearance, device metadata, a group with no fields) do not. A text missing in the
//! participant's language falls back to the default language at run time.
//!
//! # Roster and previous-wave values
//!
//! pantau's convention, chosen so that the same file stays valid for pyxform, Kobo and ODK:
//!
//! - a field of type `hidden` named `roster_<attribute>` is filled by the server from the
//!   participant's roster (`roster_first_name`, `roster_district`);
//! - a field of type `hidden` named `previous_<field>` is filled from the same participant's
//!   answer to `<field>` in the previous wave (`previous_income_total`), typed like `<field>`
//!   when this form has it.
//!
//! Forms use them as ordinary references: `Terakhir kali penghasilan Anda Rp
//! ${previous_income_total} per bulan`. [`Form::prefills`] lists what the server must provide;
//! the values reach [`Evaluation::new`] as its `prefill` map.
//!
//! # Evaluating
//!
//! [`Evaluation::new`] takes the form, the stored answers, the prefill values, the language and
//! today's date, and computes relevance (inherited from groups), calculations (in dependency
//! order, precomputed at load) and defaults. It then answers labels with `${name}` filled in,
//! the choices after `choice_filter`, `required`/`read_only`, screen navigation, and
//! [`Evaluation::validate_screen`] for a submitted screen. See `runtime.rs` for the rules.
//!
//! # Code map
//!
//! - reading: `sheet.rs` (workbook → text grids, with `crate::xls` in front of calamine),
//!   `columns.rs` (header roles and languages), `types.rs` (the `type` column);
//! - loading: `load.rs` (the pipeline), `survey.rs` and `groups.rs` (survey rows), `choices.rs`
//!   (choices and settings), `choice_filter.rs`, `template.rs` (`${}` in texts);
//! - checking: `validate.rs` (references, lists, translations), `order.rs` (cycles and the
//!   evaluation order), `problem.rs`;
//! - running: `model.rs`, `runtime.rs`, `submit.rs`, `screens.rs`, `answer.rs`, `messages.rs`.

mod answer;
mod choice_filter;
mod choices;
mod columns;
mod groups;
mod load;
mod messages;
mod model;
mod order;
mod problem;
mod runtime;
mod screens;
mod sheet;
mod submit;
mod survey;
mod template;
#[cfg(test)]
mod testing;
mod types;
mod validate;

use std::path::Path;

pub use answer::{NumberParser, parse_date, parse_decimal, parse_integer, typed_value};
pub use messages::{ENGLISH, INDONESIAN, Messages, messages_for};
pub use model::{
    Appearance, Choice, ChoiceList, Condition, DefaultValue, Element, Field, FieldId, FieldKind,
    Form, Group, GroupId, Language, Metadata, Prefill, Settings, Template, Text,
};
pub use problem::{Column, Problem, Severity, column_letter};
pub use runtime::{Evaluation, ShownChoice};
pub use screens::Screen;
pub use submit::{FieldError, ScreenCheck};

/// Loads and checks the form file at `path`: the form when it has no error, and every problem
/// found (warnings too). A file that cannot be read is one problem naming the file.
pub fn check_path(path: &Path) -> (Option<Form>, Vec<Problem>) {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(&name, &bytes),
        Err(error) => (
            None,
            vec![Problem {
                file: name,
                sheet: None,
                row: None,
                column: None,
                severity: Severity::Error,
                message: format!("cannot read the file: {error}"),
            }],
        ),
    }
}

/// Loads and checks a form from its bytes; `file_name` names it in problems and its extension
/// (`.xlsx`, `.xls`, `.ods`) decides the format.
pub fn check_bytes(file_name: &str, bytes: &[u8]) -> (Option<Form>, Vec<Problem>) {
    load::load(file_name, bytes)
}

impl Form {
    /// Loads the form at `path`, or returns every problem when it has an error. Warnings are
    /// dropped when the form loads; use [`check_path`] to see them.
    pub fn load_path(path: &Path) -> Result<Form, Vec<Problem>> {
        into_result(check_path(path))
    }

    /// Loads a form from its bytes (see [`check_bytes`]).
    pub fn load_bytes(file_name: &str, bytes: &[u8]) -> Result<Form, Vec<Problem>> {
        into_result(check_bytes(file_name, bytes))
    }
}

fn into_result((form, problems): (Option<Form>, Vec<Problem>)) -> Result<Form, Vec<Problem>> {
    form.ok_or(problems)
}
