//! The parsed form of an expression.
//!
//! Runs of operators of one precedence level (`a + b - c`, `x or y or z`) are kept flat, as a
//! first operand and a list of (operator, operand) pairs, rather than as a left-leaning tree. A
//! sum of ten thousand terms is then one node, so the depth of the tree, and with it the
//! recursion of evaluation and of dropping, is bounded by the parser's nesting limit whatever
//! the input.

use regex::Regex;

use super::functions::Function;
use super::value::Value;

/// A node of the expression tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A string or number literal.
    Literal(Value),
    /// `${name}`; `offset` is the character index of its `$`.
    Ref { name: String, offset: usize },
    /// `.`, the value of the question the expression belongs to.
    Current,
    /// Unary minus.
    Negate(Box<Node>),
    /// `a or b or …`, evaluated left to right and stopping at the first true operand.
    Or(Vec<Node>),
    /// `a and b and …`, stopping at the first false operand.
    And(Vec<Node>),
    /// A left-associative run of binary operators of one precedence level.
    Chain {
        first: Box<Node>,
        rest: Vec<(BinaryOp, Node)>,
    },
    /// A call of a built-in function other than `regex()`; the parser has checked the number
    /// of arguments.
    Call { function: Function, args: Vec<Node> },
    /// `regex(subject, pattern)`, kept apart so that a literal pattern is compiled once when
    /// the form loads (and a broken one reported then) instead of at every evaluation.
    Regex {
        subject: Box<Node>,
        pattern: Pattern,
    },
}

/// The pattern of a `regex()` call.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A literal pattern, compiled while parsing (already anchored at both ends).
    Compiled(Regex),
    /// A pattern computed by an expression, compiled at each evaluation.
    Computed(Box<Node>),
}

/// The binary operators other than `and` and `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

impl Node {
    /// Calls `visit` on this node and every node below it, in source order.
    pub(crate) fn walk(&self, visit: &mut dyn FnMut(&Node)) {
        visit(self);
        match self {
            Node::Literal(_) | Node::Ref { .. } | Node::Current => {}
            Node::Negate(inner) => inner.walk(visit),
            Node::Or(operands) | Node::And(operands) | Node::Call { args: operands, .. } => {
                for operand in operands {
                    operand.walk(visit);
                }
            }
            Node::Chain { first, rest } => {
                first.walk(visit);
                for (_, operand) in rest {
                    operand.walk(visit);
                }
            }
            Node::Regex { subject, pattern } => {
                subject.walk(visit);
                if let Pattern::Computed(pattern) = pattern {
                    pattern.walk(visit);
                }
            }
        }
    }
}
