//! pantau's integration tests, in one binary so that they link once. Each module covers one part
//! of the programme; fixtures live under `tests/data/`.
mod expr_cases;
mod expr_fuzz;
mod db;
