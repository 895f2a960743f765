//! pantau's integration tests, in one binary so that they link once. Each module covers one part
//! of the programme; fixtures live under `tests/data/`.

mod admin;
mod admin_browser;
mod admin_pages;
mod admin_site;
mod browser;
mod calllist;
mod check_form_cli;
mod consent;
mod db;
mod demo_cli;
mod email;
mod expr_cases;
mod expr_fuzz;
mod form_fixtures;
mod form_fuzz;
mod form_validation;
mod http;
mod job_cache;
mod office;
mod page_weight;
mod pipeline;
mod pipeline_inputs;
mod proxies_and_logs;
mod roster_import;
mod schedule;
mod survey;
mod survey_metadata;
mod workbook;
