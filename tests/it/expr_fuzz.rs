//! Property test of the expression language against hostile input: over a million generated
//! expressions (random token soups, mutations of realistic expressions, random Unicode, deep
//! nesting, well-formed random expressions), `parse` must never panic, every parse error must
//! point inside the input (or just past its end), every well-formed expression must parse, and
//! every expression that parses must evaluate without panicking.
//!
//! The generator is a seeded xorshift, so a failure reproduces. `PANTAU_FUZZ_SEED` and
//! `PANTAU_FUZZ_COUNT` override the seed and the number of inputs for a longer local run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use chrono::NaiveDate;
use pantau::expr::{Env, Value, parse};

/// Realistic expressions, mutated to produce near-misses that reach deep into the parser.
const SEEDS: &[&str] = &[
    "${age} >= 17 and ${age} <= 70",
    "if(selected(${work}, 'resell'), ${sales} * 0.1, 0)",
    "regex(., '^[0-9]{16}$')",
    "coalesce(${income_wage}, 0) + coalesce(${income_resell}, 0) + coalesce(${other}, 0)",
    "string-length(.) <= 200",
    "count-selected(${programmes}) > 0 and not(selected(${programmes}, 'none'))",
    "format-date(today(), '%e %b %Y')",
    "date(${training_end} + 90) <= today()",
    "concat('Rp ', round(${income_total} div 1000, 1), ' ribu')",
    "int((today() - ${dob}) div 365.25) >= 18",
    "${bpjs_registered} = 'yes' and ${member_type} = \"PU\"",
    "substr(${nik}, 0, 2) = '32'",
    "starts-with(., '08') or starts-with(., '+62')",
    "-(-${a} - -${b}) mod 7 div 2",
    "min(${a}, ${b}, 3) < max(1, pow(2, 3), abs(-4))",
    "floor(${x}) = ceiling(${x})",
    "selected-at(${apps}, count-selected(${apps}) - 1)",
    "if(${a} != '', number(${a}), 0 div 0)",
    "boolean(${flag}) = true() or false()",
    "string(${n}) = '3'",
    "ends-with(${email}, '.id') and contains(${email}, '@')",
    ". > 0 and . < 100000000",
    "(((1 + 2) * 3) - 4) div 5",
    "regex(${phone}, concat('^', ${prefix}, '[0-9]+$'))",
    "${previous.income_total} > 0 and ${income_total} > ${previous.income_total} * 3",
    "today() - date('2024-01-01') > 365",
    "if(${x} > 1, if(${x} > 2, 'a', 'b'), 'c')",
    "format-date(date(${a}), '%d/%m/%y %a %n')",
    ".5 + 12. - 007",
    "${ünï-cödé_1.x} = 'ж'",
];

/// Fragments for token soups: valid tokens, broken ones, and the XPath the lexer rejects.
const TOKENS: &[&str] = &[
    "${age}",
    "${name}",
    "${a.b-c}",
    "${",
    "}",
    "$",
    "{",
    "(",
    ")",
    ",",
    " ",
    "  ",
    "and",
    "or",
    "div",
    "mod",
    "AND",
    "=",
    "==",
    "!=",
    "!",
    "<",
    "<=",
    "<>",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "'",
    "\"",
    "'text'",
    "\"x y\"",
    "''",
    "1",
    "0",
    "3.5",
    ".",
    ".5",
    "12.",
    "..",
    "/",
    "//",
    "[",
    "]",
    "|",
    "||",
    "&&",
    "@",
    "%",
    "#",
    "if(",
    "concat(",
    "selected(",
    "count-selected(",
    "regex(",
    "round(",
    "date(",
    "format-date(",
    "substr(",
    "coalesce(",
    "not(",
    "true()",
    "today()",
    "min(",
    "max(",
    "pow(",
    "int(",
    "number(",
    "string(",
    "string-length(",
    "selected-at(",
    "foo(",
    "now(",
    "jr:choice-name(",
    "ж",
    "日本",
    "✓",
    "😀",
    "\u{0}",
    "\t",
    "\n",
    "é",
    "\u{301}",
    "\u{a0}",
    "'[0-9'",
    "'%Y %b %'",
    "'a|b'",
    "'(a{1000}){1000}'",
    "1e5",
    "‘",
    "’",
    "-1",
    "99999999999999999999999",
    "1 div 0",
    "0 div 0",
];

/// A small, fast, seeded pseudo-random generator (xorshift64*); quality is ample for fuzzing.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A character: mostly printable ASCII, sometimes anything Unicode allows.
    fn char(&mut self) -> char {
        match self.below(10) {
            0..=5 => char::from(b' ' + self.below(95) as u8),
            6 => char::from_u32(0xA0 + self.below(0x500) as u32).unwrap_or('?'),
            7 => char::from_u32(0x4E00 + self.below(0x100) as u32).unwrap_or('?'),
            8 => char::from_u32(0x1F600 + self.below(0x50) as u32).unwrap_or('?'),
            _ => loop {
                if let Some(c) = char::from_u32(self.below(0x11_0000) as u32) {
                    break c;
                }
            },
        }
    }
}

/// One generated input, and whether it is well-formed (and so must parse).
fn generate(rng: &mut Rng) -> (String, bool) {
    let roll = rng.below(1000);
    if (401..=650).contains(&roll) {
        return (expression(rng, 4), true);
    }
    let input = match roll {
        // Deep nesting, rarely, since these inputs are long.
        0..=1 => {
            let opener = rng.pick(&["(", "not(", "-", "if(1,", "concat(", "- (", "((-"]);
            let depth = 50 + rng.below(300);
            let closer = if rng.below(2) == 0 { ")" } else { "" };
            format!(
                "{}{}{}",
                opener.repeat(depth),
                rng.pick(TOKENS),
                closer.repeat(depth)
            )
        }
        // Token soups.
        2..=400 => {
            let count = 1 + rng.below(24);
            (0..count).map(|_| rng.pick(TOKENS)).collect()
        }
        // Random characters.
        651..=750 => {
            let count = rng.below(40);
            (0..count).map(|_| rng.char()).collect()
        }
        // Mutations of realistic expressions.
        _ => {
            let mut chars: Vec<char> = rng.pick(SEEDS).chars().collect();
            for _ in 0..1 + rng.below(4) {
                mutate(rng, &mut chars);
            }
            chars.into_iter().collect()
        }
    };
    (input, false)
}

/// Function calls with the right number of arguments, as (name, argument count).
const CALLS: &[(&str, usize)] = &[
    ("if", 3),
    ("coalesce", 2),
    ("not", 1),
    ("true", 0),
    ("false", 0),
    ("boolean", 1),
    ("selected", 2),
    ("count-selected", 1),
    ("selected-at", 2),
    ("string-length", 1),
    ("regex", 2),
    ("concat", 3),
    ("contains", 2),
    ("starts-with", 2),
    ("ends-with", 2),
    ("substr", 3),
    ("substr", 2),
    ("string", 1),
    ("number", 1),
    ("int", 1),
    ("round", 2),
    ("round", 1),
    ("floor", 1),
    ("ceiling", 1),
    ("abs", 1),
    ("pow", 2),
    ("min", 2),
    ("max", 3),
    ("today", 0),
    ("date", 1),
    ("format-date", 2),
];

/// Operands that are always well-formed.
const LEAVES: &[&str] = &[
    "${a}",
    "${bb}",
    "${ccc}",
    "${dddd}",
    "${eeeee}",
    "${ffffff}",
    ".",
    "0",
    "1",
    "2.5",
    "-3",
    "''",
    "'x'",
    "'12'",
    "'2024-02-29'",
    "'whatsapp qris'",
    "'[0-9]+'",
    "'%Y-%m-%d %b'",
    "'é日😀'",
    "99999999999999999999",
    "0.1",
];

/// A random well-formed expression of at most `depth` levels.
fn expression(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return rng.pick(LEAVES).to_string();
    }
    match rng.below(4) {
        0 => {
            let (name, arity) = CALLS[rng.below(CALLS.len())];
            let args: Vec<String> = (0..arity).map(|_| expression(rng, depth - 1)).collect();
            format!("{name}({})", args.join(", "))
        }
        1 => format!("-{}", expression(rng, depth - 1)),
        2 => format!("({})", expression(rng, depth - 1)),
        _ => {
            let op = rng.pick(&[
                "or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod",
            ]);
            format!(
                "{} {op} {}",
                expression(rng, depth - 1),
                expression(rng, depth - 1)
            )
        }
    }
}

/// Deletes, inserts, duplicates or swaps characters, or splices in a token.
fn mutate(rng: &mut Rng, chars: &mut Vec<char>) {
    let at = rng.below(chars.len() + 1);
    match rng.below(5) {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        1 => {
            let c = rng.char();
            chars.insert(at, c);
        }
        2 if at < chars.len() => {
            let end = (at + 1 + rng.below(8)).min(chars.len());
            let copy: Vec<char> = chars[at..end].to_vec();
            chars.splice(at..at, copy);
        }
        3 if chars.len() >= 2 => {
            let other = rng.below(chars.len());
            let at = at.min(chars.len() - 1);
            chars.swap(at, other);
        }
        _ => {
            let token: Vec<char> = rng.pick(TOKENS).chars().collect();
            chars.splice(at..at, token);
        }
    }
}

/// Answers of every type, chosen by the name so that evaluation meets them all.
struct FuzzEnv;

impl Env for FuzzEnv {
    fn value(&self, name: &str) -> Value {
        match name.len() % 6 {
            0 => Value::empty(),
            1 => Value::Num(name.len() as f64 * 1.5),
            2 => Value::Str("whatsapp qris".to_string()),
            3 => Value::Date(NaiveDate::from_ymd_opt(1984, 5, 17).unwrap()),
            4 => Value::Str("12".to_string()),
            _ => Value::Bool(name.len().is_multiple_of(4)),
        }
    }

    fn current(&self) -> Value {
        Value::Str("08123456789".to_string())
    }

    fn today(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }
}

/// Checks the properties for one input; `Err` describes a violation.
fn check_one(input: &str, well_formed: bool) -> Result<bool, String> {
    let length = input.chars().count();
    match parse(input) {
        Ok(expr) => {
            let _ = expr.eval(&FuzzEnv).to_text();
            let _ = expr.uses_current();
            for reference in expr.references() {
                if input.chars().nth(reference.offset) != Some('$') {
                    return Err(format!(
                        "reference offset {} is not a '$'",
                        reference.offset
                    ));
                }
            }
            Ok(true)
        }
        Err(error) if well_formed => Err(format!("well-formed input rejected: {error}")),
        Err(error) => {
            if error.offset > length {
                return Err(format!(
                    "error offset {} past length {length}",
                    error.offset
                ));
            }
            if error.message.is_empty() {
                return Err("empty error message".to_string());
            }
            let _ = error.to_string();
            Ok(false)
        }
    }
}

#[test]
fn a_million_hostile_inputs_never_panic() {
    let seed = std::env::var("PANTAU_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_CAFE_F00D_u64);
    let count: usize = std::env::var("PANTAU_FUZZ_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let mut parsed = 0usize;
    let mut failures = Vec::new();
    for index in 0..count {
        let (input, well_formed) = generate(&mut rng);
        match catch_unwind(AssertUnwindSafe(|| check_one(&input, well_formed))) {
            Ok(Ok(ok)) => parsed += usize::from(ok),
            Ok(Err(problem)) => failures.push(format!("#{index} {input:?}: {problem}")),
            Err(_) => failures.push(format!("#{index} {input:?}: panicked")),
        }
        if failures.len() >= 20 {
            break;
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "expr fuzz: {count} inputs (seed {seed:#x}), {parsed} parsed and evaluated, in {:.2?}",
        elapsed
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    // The generator must keep reaching the evaluator, not only the error paths.
    assert!(
        parsed * 20 > count,
        "only {parsed} of {count} inputs parsed"
    );
}
