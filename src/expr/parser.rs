//! A recursive-descent parser over the tokens, one function per XPath precedence level, from
//! loosest to tightest: `or`, `and`, `= !=`, `< <= > >=`, `+ -`, `* div mod`, unary `-`.
//!
//! Recursion happens only for brackets, function calls and unary minus, each of which counts
//! against [`MAX_DEPTH`], so no input can exhaust the stack. Every error names a character
//! offset and what the author should write.

use super::ast::{BinaryOp, Node, Pattern};
use super::builtins::compile_pattern;
use super::error::ParseError;
use super::functions::{Function, unknown_function_message};
use super::lexer::{Token, TokenKind, tokenize};
use super::value::Value;

/// How deeply brackets, function calls and minus signs may nest. Real forms use a handful of
/// levels; the limit exists so that hostile or corrupted input is an error, not a crash.
pub(crate) const MAX_DEPTH: usize = 100;

/// The longest expression accepted, in characters. An Excel cell holds at most 32,767
/// characters, so no XLSForm expression comes near; the limit bounds the memory a hostile input
/// can make the lexer use (a few dozen bytes a token).
pub(crate) const MAX_LENGTH: usize = 100_000;

/// The operator words; in operand position they are not values.
const WORD_OPERATORS: [&str; 4] = ["and", "or", "div", "mod"];

/// Parses `source` into a tree.
pub(crate) fn parse_source(source: &str) -> Result<Node, ParseError> {
    if source.chars().nth(MAX_LENGTH).is_some() {
        return Err(ParseError::new(
            MAX_LENGTH,
            format!("expression is too long: more than {MAX_LENGTH} characters"),
        ));
    }
    let chars: Vec<char> = source.chars().collect();
    let tokens = tokenize(&chars)?;
    if tokens.is_empty() {
        return Err(ParseError::new(0, "empty expression"));
    }
    let mut parser = Parser {
        chars: &chars,
        tokens,
        position: 0,
        depth: 0,
    };
    let node = parser.or()?;
    match parser.peek().cloned() {
        None => Ok(node),
        Some(token) => Err(parser.trailing(&token)),
    }
}

struct Parser<'a> {
    chars: &'a [char],
    tokens: Vec<Token>,
    /// Index of the next token to read.
    position: usize,
    /// Current nesting of brackets, calls and unary minus.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|token| &token.kind)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek_kind(), Some(TokenKind::Name(name)) if name == word)
    }

    fn advance(&mut self) {
        self.position += 1;
    }

    /// The source text of a token, shortened if long, for messages.
    fn text(&self, token: &Token) -> String {
        let end = (token.offset + token.len).min(self.chars.len());
        let text: String = self.chars[token.offset..end].iter().collect();
        if text.chars().count() > 30 {
            format!("{}…", text.chars().take(30).collect::<String>())
        } else {
            text
        }
    }

    /// The text of the token before the current one, for "after '…'" in messages.
    fn previous_text(&self) -> Option<String> {
        let index = self.position.checked_sub(1)?;
        self.tokens.get(index).map(|token| self.text(token))
    }

    fn end_offset(&self) -> usize {
        self.chars.len()
    }

    /// Counts one level of nesting at `offset`, failing past [`MAX_DEPTH`].
    fn enter(&mut self, offset: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::new(
                offset,
                format!(
                    "expression is nested too deeply: more than {MAX_DEPTH} levels of \
                     brackets, function calls or minus signs"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let mut operands = vec![self.and()?];
        while self.peek_word("or") {
            self.advance();
            operands.push(self.and()?);
        }
        Ok(if operands.len() == 1 {
            operands.swap_remove(0)
        } else {
            Node::Or(operands)
        })
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let mut operands = vec![self.equality()?];
        while self.peek_word("and") {
            self.advance();
            operands.push(self.equality()?);
        }
        Ok(if operands.len() == 1 {
            operands.swap_remove(0)
        } else {
            Node::And(operands)
        })
    }

    fn equality(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::relational, |kind| match kind {
            TokenKind::Eq => Some(BinaryOp::Eq),
            TokenKind::NotEq => Some(BinaryOp::NotEq),
            _ => None,
        })
    }

    fn relational(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::additive, |kind| match kind {
            TokenKind::Less => Some(BinaryOp::Less),
            TokenKind::LessEq => Some(BinaryOp::LessEq),
            TokenKind::Greater => Some(BinaryOp::Greater),
            TokenKind::GreaterEq => Some(BinaryOp::GreaterEq),
            _ => None,
        })
    }

    fn additive(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::multiplicative, |kind| match kind {
            TokenKind::Plus => Some(BinaryOp::Add),
            TokenKind::Minus => Some(BinaryOp::Subtract),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::unary, |kind| match kind {
            TokenKind::Star => Some(BinaryOp::Multiply),
            TokenKind::Name(name) if name == "div" => Some(BinaryOp::Divide),
            TokenKind::Name(name) if name == "mod" => Some(BinaryOp::Modulo),
            _ => None,
        })
    }

    /// Parses `operand (op operand)*` for one precedence level into a flat [`Node::Chain`].
    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<Node, ParseError>,
        operator: fn(&TokenKind) -> Option<BinaryOp>,
    ) -> Result<Node, ParseError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = self.peek_kind().and_then(operator) {
            self.advance();
            rest.push((op, operand(self)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Node::Chain {
                first: Box::new(first),
                rest,
            }
        })
    }

    /// Parses `-* primary`; each minus sign counts as a level of nesting because each becomes
    /// a node of the tree.
    fn unary(&mut self) -> Result<Node, ParseError> {
        let mut signs = 0;
        while let Some(token) = self.peek().filter(|t| t.kind == TokenKind::Minus) {
            let offset = token.offset;
            self.enter(offset)?;
            self.advance();
            signs += 1;
        }
        let operand = self.primary()?;
        self.depth -= signs;
        Ok((0..signs).fold(operand, |inner, _| Node::Negate(Box::new(inner))))
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.missing_value());
        };
        let node = match &token.kind {
            TokenKind::Number(number) => Node::Literal(Value::Num(*number)),
            TokenKind::Str(text) => Node::Literal(Value::Str(text.clone())),
            TokenKind::Ref(name) => Node::Ref {
                name: name.clone(),
                offset: token.offset,
            },
            TokenKind::Dot => Node::Current,
            TokenKind::LParen => return self.group(&token),
            TokenKind::Name(name) => {
                let called = matches!(
                    self.tokens.get(self.position + 1).map(|t| &t.kind),
                    Some(TokenKind::LParen)
                );
                if called {
                    return self.call(name, &token);
                }
                return Err(self.bare_name(name, &token));
            }
            _ => return Err(self.missing_value()),
        };
        self.advance();
        Ok(node)
    }

    /// Parses `( expression )`, the current token being the `(`.
    fn group(&mut self, open: &Token) -> Result<Node, ParseError> {
        self.enter(open.offset)?;
        self.advance();
        let inner = self.or()?;
        let expected = format!(
            "expected ')' to close the '(' at character {}",
            open.offset + 1
        );
        self.close(&expected)?;
        self.leave();
        Ok(inner)
    }

    /// Consumes a `)`, or fails with `expected` and what was found instead.
    fn close(&mut self, expected: &str) -> Result<(), ParseError> {
        match self.peek().cloned() {
            Some(Token {
                kind: TokenKind::RParen,
                ..
            }) => {
                self.advance();
                Ok(())
            }
            Some(token) => Err(self.unexpected_after_operand(&token, expected)),
            None => Err(ParseError::new(
                self.end_offset(),
                format!("unexpected end of expression, {expected}"),
            )),
        }
    }

    /// Parses `name(arguments)`, the current token being the name.
    fn call(&mut self, name: &str, name_token: &Token) -> Result<Node, ParseError> {
        let Some(function) = Function::by_name(name) else {
            return Err(ParseError::new(
                name_token.offset,
                unknown_function_message(name),
            ));
        };
        self.enter(name_token.offset)?;
        self.advance(); // the name
        self.advance(); // the '('
        let expected = format!("expected ')' to close the call to {name}()");
        let mut args = Vec::new();
        let mut arg_offsets = Vec::new();
        if self.peek_kind() == Some(&TokenKind::RParen) {
            self.advance();
        } else {
            loop {
                arg_offsets.push(self.peek().map_or(self.end_offset(), |t| t.offset));
                args.push(self.or()?);
                if self.peek_kind() == Some(&TokenKind::Comma) {
                    self.advance();
                } else {
                    self.close(&expected)?;
                    break;
                }
            }
        }
        self.leave();
        function
            .check_arity(args.len())
            .map_err(|message| ParseError::new(name_token.offset, message))?;
        if function == Function::Regex {
            return regex_call(args, &arg_offsets);
        }
        Ok(Node::Call { function, args })
    }

    /// The error for a name used as a value: a bare name is an XPath path, which forms do not
    /// use; most often the author meant a field or a quoted choice name.
    fn bare_name(&self, name: &str, token: &Token) -> ParseError {
        let message = if WORD_OPERATORS.contains(&name) {
            match self.previous_text() {
                Some(previous) => format!("expected a value after '{previous}', found '{name}'"),
                None => format!("expected a value before '{name}'"),
            }
        } else if name == "true" || name == "false" {
            format!("write {name}() for the boolean value, or '{name}' for the text")
        } else {
            format!(
                "'{name}' is not a value: quote text as '{name}', and refer to a field as \
                 ${{{name}}}"
            )
        };
        ParseError::new(token.offset, message)
    }

    /// The error where a value was expected but something else (or nothing) came.
    fn missing_value(&self) -> ParseError {
        let previous = self.previous_text();
        match (self.peek(), previous) {
            (None, Some(previous)) => ParseError::new(
                self.end_offset(),
                format!("unexpected end of expression, expected a value after '{previous}'"),
            ),
            (None, None) => ParseError::new(self.end_offset(), "empty expression"),
            (Some(token), Some(previous)) => ParseError::new(
                token.offset,
                format!(
                    "expected a value after '{previous}', found '{}'",
                    self.text(token)
                ),
            ),
            (Some(token), None) => ParseError::new(
                token.offset,
                format!("expected a value, found '{}'", self.text(token)),
            ),
        }
    }

    /// The error for a token after a complete operand that does not continue the expression.
    fn unexpected_after_operand(&self, token: &Token, expected: &str) -> ParseError {
        if let TokenKind::Name(name) = &token.kind {
            let lower = name.to_lowercase();
            if &lower != name && WORD_OPERATORS.contains(&lower.as_str()) {
                return ParseError::new(
                    token.offset,
                    format!("operators are written in lower case: use '{lower}', not '{name}'"),
                );
            }
        }
        ParseError::new(
            token.offset,
            format!("{expected}, found '{}'", self.text(token)),
        )
    }

    /// The error for a token left over after a whole expression.
    fn trailing(&self, token: &Token) -> ParseError {
        match token.kind {
            TokenKind::RParen => ParseError::new(token.offset, "unmatched ')'"),
            TokenKind::Comma => ParseError::new(
                token.offset,
                "',' is only allowed between the arguments of a function call",
            ),
            _ => {
                let expected = match self.previous_text() {
                    Some(previous) => format!(
                        "expected an operator or the end of the expression after '{previous}'"
                    ),
                    None => "expected an operator or the end of the expression".to_string(),
                };
                self.unexpected_after_operand(token, &expected)
            }
        }
    }
}

/// Builds a `regex()` node, compiling a literal pattern now so that a broken one is reported
/// when the form loads.
fn regex_call(args: Vec<Node>, arg_offsets: &[usize]) -> Result<Node, ParseError> {
    let mut args = args.into_iter();
    let (Some(subject), Some(pattern)) = (args.next(), args.next()) else {
        // The arity check has already guaranteed two arguments.
        return Err(ParseError::new(0, "regex() takes 2 arguments"));
    };
    let pattern = match pattern {
        Node::Literal(Value::Str(text)) => {
            let offset = arg_offsets.get(1).copied().unwrap_or(0);
            let compiled = compile_pattern(&text).map_err(|problem| {
                ParseError::new(offset, format!("invalid pattern in regex(): {problem}"))
            })?;
            Pattern::Compiled(compiled)
        }
        computed => Pattern::Computed(Box::new(computed)),
    };
    Ok(Node::Regex {
        subject: Box::new(subject),
        pattern,
    })
}
