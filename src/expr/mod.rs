//! The XLSForm expression language: the subset of XPath 1.0, with the ODK extensions, that
//! form authors write in the `relevant`, `constraint`, `calculation`, `required`, `default` and
//! `choice_filter` columns and in `${name}` interpolations.
//!
//! ```text
//! source ──lexer──▶ tokens ──parser──▶ ast::Node ──eval (+ builtins)──▶ Value
//! ```
//!
//! [`parse`] checks everything that can be checked without answers (syntax, function names,
//! argument counts, literal regular expressions), so a form loader reports problems when the
//! form is loaded. [`Expr::eval`] then never fails: like ODK, it turns values that do not fit
//! into NaN or the empty string.
//!
//! Behaviour follows the ODK XForms spec and, where the spec is loose, JavaRosa (the engine of
//! ODK Collect and KoboCollect), so that a form behaves the same here as on a phone. Supported:
//! `${name}` references (letters, digits, `_`, `-`, `.`), `.`, string and number literals,
//! `or`, `and`, `= != < <= > >=`, `+ -`, `* div mod`, unary `-`, brackets, and the functions
//! listed in `functions.rs`. XPath paths, predicates and unions are rejected with a message
//! that says to use `${name}`.

mod ast;
mod builtins;
mod dates;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod value;

pub use error::ParseError;
pub use value::Value;

use ast::Node;

/// Where an expression gets the values it refers to.
pub trait Env {
    /// The value of `${name}`; [`Value::empty`] when unanswered or unknown.
    fn value(&self, name: &str) -> Value;
    /// The value of `.`, the question the expression belongs to.
    fn current(&self) -> Value;
    /// Today's date, for `today()`: the domain never reads the clock itself.
    fn today(&self) -> chrono::NaiveDate;
}

/// A `${name}` reference in an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The field name between the braces.
    pub name: String,
    /// 0-based character index of the `$` in the source.
    pub offset: usize,
}

/// A parsed expression, ready to evaluate any number of times.
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    root: Node,
}

/// Parses an expression, or says at which character and why it cannot be parsed.
///
/// Never panics and uses bounded stack and memory whatever the input: nesting deeper than 100
/// brackets, calls or minus signs is an error, and so is a source longer than 100,000
/// characters (an Excel cell holds at most 32,767).
pub fn parse(source: &str) -> Result<Expr, ParseError> {
    let root = parser::parse_source(source)?;
    Ok(Expr {
        source: source.to_string(),
        root,
    })
}

impl Expr {
    /// The text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every `${name}` reference, in source order, repeats included.
    pub fn references(&self) -> Vec<Reference> {
        let mut references = Vec::new();
        self.root.walk(&mut |node| {
            if let Node::Ref { name, offset } = node {
                references.push(Reference {
                    name: name.clone(),
                    offset: *offset,
                });
            }
        });
        // The walk visits operands left to right, which is already source order; sorting keeps
        // that promise independent of how the tree is shaped.
        references.sort_by_key(|reference| reference.offset);
        references
    }

    /// Whether the expression uses `.`, the value of its own question.
    pub fn uses_current(&self) -> bool {
        let mut found = false;
        self.root
            .walk(&mut |node| found |= matches!(node, Node::Current));
        found
    }

    /// Evaluates the expression. Never panics; values that do not fit become NaN or empty as
    /// in XPath, and a computed `regex()` pattern that is not a valid regular expression
    /// matches nothing.
    pub fn eval(&self, env: &dyn Env) -> Value {
        eval::eval(&self.root, env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Empty;

    impl Env for Empty {
        fn value(&self, _name: &str) -> Value {
            Value::empty()
        }
        fn current(&self) -> Value {
            Value::Num(1.0)
        }
        fn today(&self) -> chrono::NaiveDate {
            chrono::NaiveDate::default()
        }
    }

    #[test]
    fn the_deepest_allowed_expression_fits_in_a_small_stack() {
        // Spawned threads (web server workers among them) get 2 MiB of stack by default, less
        // than the main thread. At the nesting limit, parsing, evaluating, cloning and dropping
        // took under 256 KiB at opt-level 1 and under 768 KiB unoptimised when measured; 1 MiB
        // keeps this test meaningful in every profile with room to spare.
        let layers = [
            "if(. and ",
            "concat(-",
            "(1 + ",
            "round(not(",
            "coalesce(${a}, -",
        ];
        let mut source = String::new();
        let mut closing = String::new();
        let mut depth = 0;
        for layer in layers.iter().cycle() {
            let cost = layer.matches('(').count() + layer.matches('-').count();
            if depth + cost > parser::MAX_DEPTH {
                break;
            }
            depth += cost;
            source.push_str(layer);
            closing.insert_str(
                0,
                match *layer {
                    "if(. and " => ", 1, 2)",
                    "(1 + " => ")",
                    "round(not(" => "))",
                    _ => ")",
                },
            );
        }
        source.push('.');
        source.push_str(&closing);
        assert!(depth > parser::MAX_DEPTH - 5);
        let expected_references = source.matches("${a}").count();
        let handle = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                let expr = parse(&source).expect("parses");
                let copy = expr.clone();
                let value = copy.eval(&Empty);
                drop(copy);
                (value, expr.references().len())
            })
            .unwrap();
        let (value, references) = handle.join().expect("no stack overflow");
        assert_eq!(references, expected_references);
        assert_ne!(value, Value::empty());
    }
}
