//! `pantau check-form FILE...`: loads each form, prints every problem with its place, and fails
//! when any file has an error. Warnings are printed but do not fail the check.

use std::path::PathBuf;

use super::Failure;
use crate::form;

/// Checks every file, even after one has failed, so that a person sees all problems at once.
pub fn run(files: &[PathBuf], json: bool) -> Result<(), Failure> {
    let mut files_with_errors = 0;
    for path in files {
        let (loaded, problems) = form::check_path(path);
        let errors = problems.iter().filter(|p| p.is_error()).count();
        let warnings = problems.len() - errors;
        if json {
            for problem in &problems {
                println!("{}", problem_json(problem));
            }
        } else {
            for problem in &problems {
                println!("{problem}");
            }
            match (&loaded, errors) {
                (Some(form), 0) => println!(
                    "{}: ok — {} ({} questions, {} screens, languages: {}){}",
                    path.display(),
                    form.id(),
                    form.question_count(),
                    form.screens().len(),
                    form.language_names().join(", "),
                    plural_warnings(warnings),
                ),
                _ => println!(
                    "{}: {} error{}{}",
                    path.display(),
                    errors,
                    if errors == 1 { "" } else { "s" },
                    plural_warnings(warnings),
                ),
            }
        }
        if errors > 0 || loaded.is_none() {
            files_with_errors += 1;
        }
    }
    if files_with_errors > 0 {
        return Err(Failure::Input(format!(
            "{files_with_errors} of {} form file{} failed the check",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

fn plural_warnings(warnings: usize) -> String {
    match warnings {
        0 => String::new(),
        1 => ", 1 warning".to_owned(),
        n => format!(", {n} warnings"),
    }
}

fn problem_json(problem: &form::Problem) -> serde_json::Value {
    serde_json::json!({
        "severity": if problem.is_error() { "error" } else { "warning" },
        "file": problem.file,
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column.as_ref().map(|c| c.header.clone()),
        "column_letter": problem.column.as_ref().map(|c| c.letter()),
        "message": problem.message,
        "text": problem.to_string(),
    })
}
