//! Evaluation of the tree: operators here, functions in `builtins.rs`.
//!
//! Evaluation never fails. As in XPath, a value that does not fit becomes NaN (for numbers) or
//! the empty string, and comparisons involving NaN are false, so an unanswered question makes a
//! constraint or relevance condition false instead of breaking the form.

use super::Env;
use super::ast::{BinaryOp, Node, Pattern};
use super::builtins;
use super::value::Value;

/// Evaluates `node` against `env`.
pub(crate) fn eval(node: &Node, env: &dyn Env) -> Value {
    match node {
        Node::Literal(value) => value.clone(),
        Node::Ref { name, .. } => env.value(name),
        Node::Current => env.current(),
        Node::Negate(inner) => Value::Num(-eval(inner, env).to_num()),
        Node::Or(operands) => Value::Bool(operands.iter().any(|o| eval(o, env).to_bool())),
        Node::And(operands) => Value::Bool(operands.iter().all(|o| eval(o, env).to_bool())),
        Node::Chain { first, rest } => rest.iter().fold(eval(first, env), |left, (op, right)| {
            binary(*op, &left, &eval(right, env))
        }),
        Node::Call { function, args } => builtins::call(*function, args, env),
        Node::Regex { subject, pattern } => {
            let subject = eval(subject, env).to_text();
            Value::Bool(match pattern {
                Pattern::Compiled(regex) => regex.is_match(&subject),
                // A computed pattern that does not compile simply does not match, as the
                // interface promises; literal patterns were checked when the form loaded.
                Pattern::Computed(pattern) => {
                    builtins::compile_pattern(&eval(pattern, env).to_text())
                        .is_ok_and(|regex| regex.is_match(&subject))
                }
            })
        }
    }
}

/// Applies a binary operator to two evaluated operands.
fn binary(op: BinaryOp, left: &Value, right: &Value) -> Value {
    match op {
        BinaryOp::Eq => Value::Bool(equals(left, right)),
        BinaryOp::NotEq => Value::Bool(!equals(left, right)),
        // XPath 1.0 defines order only on numbers, so `<` and friends always compare
        // numerically; dates are days and date strings convert, so dates order correctly.
        BinaryOp::Less => Value::Bool(left.to_num() < right.to_num()),
        BinaryOp::LessEq => Value::Bool(left.to_num() <= right.to_num()),
        BinaryOp::Greater => Value::Bool(left.to_num() > right.to_num()),
        BinaryOp::GreaterEq => Value::Bool(left.to_num() >= right.to_num()),
        BinaryOp::Add => Value::Num(left.to_num() + right.to_num()),
        BinaryOp::Subtract => Value::Num(left.to_num() - right.to_num()),
        BinaryOp::Multiply => Value::Num(left.to_num() * right.to_num()),
        // IEEE division, as in XPath: `1 div 0` is Infinity and `0 div 0` NaN.
        BinaryOp::Divide => Value::Num(left.to_num() / right.to_num()),
        // Rust's `%` on floats truncates like Java's, so `-7 mod 3` is -1 as in XPath.
        BinaryOp::Modulo => Value::Num(left.to_num() % right.to_num()),
    }
}

/// XPath 1.0 equality, as JavaRosa's `XPathEqExpr` implements it: if either side is a boolean,
/// compare as booleans; else if either is a number (a date counts as one) compare as numbers;
/// else compare the text.
fn equals(left: &Value, right: &Value) -> bool {
    let numeric = |v: &Value| matches!(v, Value::Num(_) | Value::Date(_));
    if matches!(left, Value::Bool(_)) || matches!(right, Value::Bool(_)) {
        left.to_bool() == right.to_bool()
    } else if numeric(left) || numeric(right) {
        let (a, b) = (left.to_num(), right.to_num());
        // JavaRosa's tolerance, so that `0.1 + 0.2 = 0.3` holds as a form author expects.
        a == b || (a - b).abs() < 1e-12
    } else {
        left.to_text() == right.to_text()
    }
}
