//! The catalogue of functions an expression may call: their names, how many arguments each
//! takes, and advice for names that are not in it. Their behaviour is in `builtins.rs`.
//!
//! The list is the XLSForm subset that makes sense for forms without repeats. The argument
//! counts are those of the ODK XForms spec and JavaRosa, so a form that loads here also loads
//! in ODK Collect and KoboToolbox.

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    If,
    Coalesce,
    Not,
    True,
    False,
    Boolean,
    Selected,
    CountSelected,
    SelectedAt,
    StringLength,
    Regex,
    Concat,
    Contains,
    StartsWith,
    EndsWith,
    Substr,
    String,
    Number,
    Int,
    Round,
    Floor,
    Ceiling,
    Abs,
    Pow,
    Min,
    Max,
    Today,
    Date,
    FormatDate,
}

/// Name, function, fewest arguments, most arguments (`None`: any number).
const CATALOGUE: &[(&str, Function, usize, Option<usize>)] = &[
    ("if", Function::If, 3, Some(3)),
    ("coalesce", Function::Coalesce, 2, Some(2)),
    ("not", Function::Not, 1, Some(1)),
    ("true", Function::True, 0, Some(0)),
    ("false", Function::False, 0, Some(0)),
    ("boolean", Function::Boolean, 1, Some(1)),
    ("selected", Function::Selected, 2, Some(2)),
    ("count-selected", Function::CountSelected, 1, Some(1)),
    ("selected-at", Function::SelectedAt, 2, Some(2)),
    ("string-length", Function::StringLength, 1, Some(1)),
    ("regex", Function::Regex, 2, Some(2)),
    ("concat", Function::Concat, 1, None),
    ("contains", Function::Contains, 2, Some(2)),
    ("starts-with", Function::StartsWith, 2, Some(2)),
    ("ends-with", Function::EndsWith, 2, Some(2)),
    ("substr", Function::Substr, 2, Some(3)),
    ("string", Function::String, 1, Some(1)),
    ("number", Function::Number, 1, Some(1)),
    ("int", Function::Int, 1, Some(1)),
    ("round", Function::Round, 1, Some(2)),
    ("floor", Function::Floor, 1, Some(1)),
    ("ceiling", Function::Ceiling, 1, Some(1)),
    ("abs", Function::Abs, 1, Some(1)),
    ("pow", Function::Pow, 2, Some(2)),
    ("min", Function::Min, 1, None),
    ("max", Function::Max, 1, None),
    ("today", Function::Today, 0, Some(0)),
    ("date", Function::Date, 1, Some(1)),
    ("format-date", Function::FormatDate, 2, Some(2)),
];

/// ODK functions pantau leaves out on purpose, with the reason given to the form author.
const LEFT_OUT: &[(&str, &str)] = &[
    ("now", "pantau records dates, not times; use today()"),
    ("indexed-repeat", "repeats are not supported"),
    ("position", "repeats are not supported"),
    (
        "count",
        "it counts repeats, which are not supported; use count-selected() for choices",
    ),
    (
        "sum",
        "it sums repeats, which are not supported; add the fields with '+'",
    ),
    ("count-non-empty", "repeats are not supported"),
    ("join", "repeats are not supported; use concat()"),
    (
        "random",
        "a random value would change each time the form is shown",
    ),
    ("randomize", "choice order is fixed in pantau forms"),
    ("uuid", "pantau identifies responses itself"),
    ("once", "calculations are recomputed from the answers"),
    ("pulldata", "pantau forms have no attached CSV files"),
    ("instance", "pantau forms have no secondary instances"),
    (
        "jr:choice-name",
        "choice labels are not available inside expressions",
    ),
    (
        "jr:itext",
        "translations are chosen with label::language columns",
    ),
];

impl Function {
    /// Looks up a function by the name written in the form.
    pub(crate) fn by_name(name: &str) -> Option<Function> {
        CATALOGUE
            .iter()
            .find(|(known, ..)| *known == name)
            .map(|&(_, function, ..)| function)
    }

    fn entry(self) -> &'static (&'static str, Function, usize, Option<usize>) {
        // Every variant has a catalogue row (the unit test checks it); the fallback row only
        // keeps this free of panics.
        CATALOGUE
            .iter()
            .find(|(_, function, ..)| *function == self)
            .unwrap_or(&CATALOGUE[0])
    }

    /// Checks the number of arguments of a call, or says what it should be, as in
    /// "if() takes 3 arguments, got 2".
    pub(crate) fn check_arity(self, got: usize) -> Result<(), String> {
        let &(name, _, min, max) = self.entry();
        if got >= min && max.is_none_or(|max| got <= max) {
            return Ok(());
        }
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        let takes = match max {
            Some(0) => "no arguments".to_string(),
            Some(max) if max == min => format!("{min} {}", plural(min)),
            Some(max) => format!("{min} or {max} arguments"),
            None => format!("at least {min} {}", plural(min)),
        };
        Err(format!("{name}() takes {takes}, got {got}"))
    }
}

/// The message for a call of a function that is not in the catalogue: why an ODK function was
/// left out, or which known function the name is probably a misspelling of.
pub(crate) fn unknown_function_message(name: &str) -> String {
    if let Some((_, reason)) = LEFT_OUT.iter().find(|(left_out, _)| *left_out == name) {
        return format!(
            "unknown function '{name}': pantau does not support {name}() because {reason}"
        );
    }
    match closest_name(name) {
        Some(known) => format!("unknown function '{name}'; did you mean {known}()?"),
        None => format!("unknown function '{name}'"),
    }
}

/// The catalogue name nearest to `name`, if it is near enough to be a slip: a different case,
/// `_` for `-`, or up to two letters wrong.
fn closest_name(name: &str) -> Option<&'static str> {
    let normalized: String = name.to_lowercase().replace('_', "-");
    // Distances are only worth computing for names of a plausible length; this also keeps
    // the work bounded for absurdly long names.
    if normalized.chars().count() > 40 {
        return None;
    }
    CATALOGUE
        .iter()
        .map(|&(known, ..)| (edit_distance(&normalized, known), known))
        // Two slips in a name of three letters or fewer make it another word altogether.
        .filter(|&(distance, known)| distance <= if known.len() <= 3 { 1 } else { 2 })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_round_trips_through_its_name() {
        for &(name, function, ..) in CATALOGUE {
            assert_eq!(Function::by_name(name), Some(function));
            assert_eq!(function.entry().0, name);
        }
    }

    #[test]
    fn arity_messages_read_naturally() {
        assert_eq!(
            Function::If.check_arity(2).unwrap_err(),
            "if() takes 3 arguments, got 2"
        );
        assert_eq!(
            Function::Not.check_arity(0).unwrap_err(),
            "not() takes 1 argument, got 0"
        );
        assert_eq!(
            Function::Today.check_arity(1).unwrap_err(),
            "today() takes no arguments, got 1"
        );
        assert_eq!(
            Function::Round.check_arity(3).unwrap_err(),
            "round() takes 1 or 2 arguments, got 3"
        );
        assert_eq!(
            Function::Concat.check_arity(0).unwrap_err(),
            "concat() takes at least 1 argument, got 0"
        );
        assert!(Function::Max.check_arity(12).is_ok());
    }

    #[test]
    fn suggests_near_names() {
        assert!(
            unknown_function_message("count_selected").ends_with("did you mean count-selected()?")
        );
        assert!(unknown_function_message("IF").ends_with("did you mean if()?"));
        assert_eq!(
            unknown_function_message("frobnicate"),
            "unknown function 'frobnicate'"
        );
        assert!(unknown_function_message("now").contains("use today()"));
    }
}
