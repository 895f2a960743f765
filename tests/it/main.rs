//! pantau's integration tests, in one binary so that they link once. Each module covers one part
//! of the programme; fixtures live under `tests/data/`.
mod admin;
mod check_form_cli;
mod db;
mod demo_cli;
mod expr_cases;
mod expr_fuzz;
mod form_fixtures;
mod form_fuzz;
mod form_validation;
mod roster_import;
mod survey;
