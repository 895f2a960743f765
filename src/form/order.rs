//! The order in which a form's values are computed, and the cycles that would make one
//! impossible.
//!
//! Each field and group is a node. A field depends on what its `relevant`, `calculation` and
//! `default` read and on its enclosing group (a field is relevant only when its group is); a
//! group depends on what its `relevant` reads and on its own enclosing group. Computing a node's
//! relevance and then its value, in an order where dependencies come first, evaluates the whole
//! form in one pass. Constraints, `required`, `read_only` and choice filters do not feed other
//! values, so they are not edges.
//!
//! The depth-first search is iterative: a chain of thousands of calculations must not overflow
//! the stack.

use std::collections::HashSet;

use super::columns::Role;
use super::model::{Element, FieldKind};
use super::problem::{Column, Problems, Severity};
use super::survey::Survey;

struct Edge {
    to: usize,
    column: Option<Column>,
    role: Option<Role>,
}

/// The evaluation order of `survey`'s elements, reporting every cycle. Nodes are fields
/// (`0..fields`) then groups.
pub(crate) fn evaluation_order(survey: &Survey, problems: &mut Problems) -> Vec<Element> {
    let fields = survey.fields.len();
    let count = fields + survey.groups.len();
    let node = |element: Element| match element {
        Element::Field(f) => f,
        Element::Group(g) => fields + g,
    };
    let element = |n: usize| {
        if n < fields {
            Element::Field(n)
        } else {
            Element::Group(n - fields)
        }
    };
    let mut edges: Vec<Vec<Edge>> = (0..count).map(|_| Vec::new()).collect();
    for usage in &survey.usages {
        let Some(owner) = usage.owner else { continue };
        if !matches!(
            usage.role,
            Role::Relevant | Role::Calculation | Role::Default
        ) {
            continue;
        }
        for name in &usage.references {
            if let Some(Element::Field(target)) = survey.names.get(name) {
                edges[node(owner)].push(Edge {
                    to: *target,
                    column: Some(usage.column.clone()),
                    role: Some(usage.role),
                });
            }
        }
    }
    for (f, field) in survey.fields.iter().enumerate() {
        if let Some(g) = field.group {
            edges[f].push(Edge {
                to: fields + g,
                column: None,
                role: None,
            });
        }
    }
    for (g, group) in survey.groups.iter().enumerate() {
        if let Some(parent) = group.parent {
            edges[fields + g].push(Edge {
                to: fields + parent,
                column: None,
                role: None,
            });
        }
    }
    let rows: Vec<u32> = survey
        .fields
        .iter()
        .map(|f| f.row)
        .chain(survey.groups.iter().map(|g| g.row))
        .collect();
    let names: Vec<&str> = survey
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .chain(survey.groups.iter().map(|g| g.name.as_str()))
        .collect();
    let row = |n: usize| rows[n];
    // Roots in sheet order, so that independent elements keep the author's order.
    let mut roots: Vec<usize> = (0..count).collect();
    roots.sort_by_key(|&n| row(n));

    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut colour = vec![WHITE; count];
    let mut order = Vec::with_capacity(count);
    let mut reported: HashSet<Vec<usize>> = HashSet::new();
    for root in roots {
        if colour[root] != WHITE {
            continue;
        }
        // (node, index of the next edge to follow)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = GREY;
        while let Some(&mut (n, ref mut next)) = stack.last_mut() {
            if let Some(edge) = edges[n].get(*next) {
                *next += 1;
                match colour[edge.to] {
                    WHITE => {
                        colour[edge.to] = GREY;
                        stack.push((edge.to, 0));
                    }
                    GREY => {
                        let start = stack.iter().position(|&(m, _)| m == edge.to).unwrap_or(0);
                        let cycle: Vec<usize> = stack[start..].iter().map(|&(m, _)| m).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if reported.insert(key) {
                            report_cycle(&cycle, &edges, survey, &rows, &names, problems);
                        }
                    }
                    _ => {}
                }
            } else {
                colour[n] = BLACK;
                order.push(element(n));
                stack.pop();
            }
        }
    }
    order
}

/// Reports `cycle` (each node depends on the next, the last on the first), starting from the
/// node highest in the sheet.
fn report_cycle(
    cycle: &[usize],
    edges: &[Vec<Edge>],
    survey: &Survey,
    rows: &[u32],
    names: &[&str],
    problems: &mut Problems,
) {
    let fields = survey.fields.len();
    let row = |n: usize| rows[n];
    let name = |n: usize| names[n];
    let first = (0..cycle.len()).min_by_key(|&i| row(cycle[i])).unwrap_or(0);
    let rotated: Vec<usize> = cycle[first..]
        .iter()
        .chain(&cycle[..first])
        .copied()
        .collect();
    let edge_between = |from: usize, to: usize| edges[from].iter().find(|e| e.to == to);
    let all_calculations = rotated.iter().enumerate().all(|(i, &n)| {
        let to = rotated[(i + 1) % rotated.len()];
        n < fields
            && survey.fields[n].kind == FieldKind::Calculate
            && edge_between(n, to).is_some_and(|e| e.role == Some(Role::Calculation))
    });
    let mut path: Vec<&str> = rotated.iter().map(|&n| name(n)).collect();
    path.push(name(rotated[0]));
    let what = if all_calculations {
        "circular calculation"
    } else {
        "circular reference"
    };
    let message = format!("{what}: {}", path.join(" → "));
    let start = rotated[0];
    let next = rotated[1 % rotated.len()];
    match edge_between(start, next).and_then(|e| e.column.as_ref()) {
        Some(column) => problems.cell(&survey.sheet, row(start), column, Severity::Error, message),
        None => problems.row(&survey.sheet, row(start), Severity::Error, message),
    }
}
