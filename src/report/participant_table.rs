//! The participant table held compactly: one byte string for every cell of every row, instead
//! of a vector of [`Datum`] values per row.
//!
//! A [`Datum`] takes 32 bytes and its text a heap allocation of its own; a participant sheet has
//! about a hundred columns, most of them numbers or empty, so a million participants held as
//! `Vec<Vec<Datum>>` took gigabytes. Here an empty cell takes one byte, a number nine, a date
//! five and a text five plus its UTF-8 bytes, all in one buffer, and rows are read back in order
//! as borrowed [`Cell`]s (which is all the workbook writer needs).

use chrono::{Datelike, NaiveDate};

use super::{Column, Datum};

const EMPTY: u8 = 0;
const NUMBER: u8 = 1;
const DATE: u8 = 2;
const TEXT: u8 = 3;

/// One cell of a held row, borrowed from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Date(NaiveDate),
}

impl Cell<'_> {
    /// The cell as an owned [`Datum`].
    pub fn to_datum(self) -> Datum {
        match self {
            Cell::Empty => Datum::Empty,
            Cell::Text(text) => Datum::Text(text.to_owned()),
            Cell::Number(value) => Datum::Number(value),
            Cell::Date(date) => Datum::Date(date),
        }
    }
}

/// Pseudonymised participant-level data: one row per participant, the pseudonym first, one
/// cell per column.
#[derive(Clone, PartialEq, Default)]
pub struct ParticipantTable {
    pub columns: Vec<Column>,
    /// Every cell of every row, encoded one after the other (see the module documentation).
    cells: Vec<u8>,
    rows: usize,
}

impl std::fmt::Debug for ParticipantTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParticipantTable")
            .field("columns", &self.columns)
            .field("rows", &self.rows)
            .field("bytes", &self.cells.len())
            .finish()
    }
}

impl ParticipantTable {
    /// A table with `columns` and no rows yet.
    pub fn new(columns: Vec<Column>) -> ParticipantTable {
        ParticipantTable {
            columns,
            cells: Vec::new(),
            rows: 0,
        }
    }

    /// A table of `rows`, each as [`ParticipantTable::push_row`] takes it.
    pub fn from_rows(columns: Vec<Column>, rows: impl IntoIterator<Item = Vec<Datum>>) -> Self {
        let mut table = ParticipantTable::new(columns);
        for row in rows {
            table.push_row(row);
        }
        table
    }

    /// Adds a row. It holds exactly one cell per column: a short row is completed with empty
    /// cells, and values past the last column (a bug upstream) are left out rather than shown
    /// without a header.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = Datum>) {
        let width = self.columns.len();
        let mut pushed = 0;
        for datum in row.into_iter().take(width) {
            self.push_cell(&datum);
            pushed += 1;
        }
        for _ in pushed..width {
            self.cells.push(EMPTY);
        }
        self.rows += 1;
    }

    fn push_cell(&mut self, datum: &Datum) {
        match datum {
            Datum::Empty => self.cells.push(EMPTY),
            Datum::Number(value) => {
                self.cells.push(NUMBER);
                self.cells.extend_from_slice(&value.to_le_bytes());
            }
            Datum::Date(date) => {
                self.cells.push(DATE);
                self.cells
                    .extend_from_slice(&date.num_days_from_ce().to_le_bytes());
            }
            Datum::Text(text) => {
                // A cell holds at most 32,767 characters in Excel, so a longer text is an
                // accident the writer cuts anyway; 4 GiB in one cell cannot come from a roster.
                let bytes = text.as_bytes();
                let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                self.cells.push(TEXT);
                self.cells.extend_from_slice(&len.to_le_bytes());
                self.cells.extend_from_slice(&bytes[..len as usize]);
            }
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes the cells take (for benchmarks and memory notes).
    pub fn held_bytes(&self) -> usize {
        self.cells.len()
    }

    /// The rows in order, each an iterator over its cells.
    pub fn rows(&self) -> Rows<'_> {
        Rows {
            cells: &self.cells,
            at: 0,
            width: self.columns.len(),
            left: self.rows,
        }
    }

    /// Every row as owned values (tests and small tables).
    pub fn to_rows(&self) -> Vec<Vec<Datum>> {
        self.rows()
            .map(|row| row.map(Cell::to_datum).collect())
            .collect()
    }
}

/// The rows of a [`ParticipantTable`], in order.
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    cells: &'a [u8],
    at: usize,
    width: usize,
    left: usize,
}

impl<'a> Iterator for Rows<'a> {
    type Item = Row<'a>;

    fn next(&mut self) -> Option<Row<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let row = Row {
            cells: &self.cells[self.at..],
            at: 0,
            left: self.width,
        };
        // Skip to the next row: the cells are decoded twice, once here to find the row's end
        // and once by whoever reads the row, which costs far less than holding row offsets.
        let mut skip = row.clone();
        while skip.next().is_some() {}
        self.at += skip.at;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Rows<'_> {}

/// The cells of one row, in column order.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    cells: &'a [u8],
    at: usize,
    left: usize,
}

impl<'a> Row<'a> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut bytes = [0; N];
        bytes.copy_from_slice(&self.cells[self.at..self.at + N]);
        self.at += N;
        bytes
    }
}

impl<'a> Iterator for Row<'a> {
    type Item = Cell<'a>;

    fn next(&mut self) -> Option<Cell<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let tag = self.cells[self.at];
        self.at += 1;
        // The buffer is only ever written by `push_cell`, so every tag is followed by what it
        // announces and every text is the bytes of a `str`.
        Some(match tag {
            NUMBER => Cell::Number(f64::from_le_bytes(self.take())),
            DATE => {
                let days = i32::from_le_bytes(self.take());
                NaiveDate::from_num_days_from_ce_opt(days).map_or(Cell::Empty, Cell::Date)
            }
            TEXT => {
                let len = u32::from_le_bytes(self.take()) as usize;
                let bytes = &self.cells[self.at..self.at + len];
                self.at += len;
                Cell::Text(std::str::from_utf8(bytes).unwrap_or_default())
            }
            _ => Cell::Empty,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Row<'_> {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::ColumnFormat;

    fn columns(n: usize) -> Vec<Column> {
        (0..n)
            .map(|i| Column {
                name: format!("c{i}"),
                label: BTreeMap::new(),
                format: ColumnFormat::Text,
            })
            .collect()
    }

    #[test]
    fn rows_read_back_as_they_were_pushed() {
        let day = NaiveDate::from_ymd_opt(1985, 3, 1).unwrap();
        let rows = vec![
            vec![
                Datum::Text("P-0001".into()),
                Datum::Number(4_500_000.5),
                Datum::Empty,
                Datum::Date(day),
            ],
            vec![
                Datum::Text(String::new()),
                Datum::Number(-0.25),
                Datum::Text("é =HYPERLINK(\"x\")".into()),
                Datum::Empty,
            ],
        ];
        let table = ParticipantTable::from_rows(columns(4), rows.clone());
        assert_eq!(table.len(), 2);
        assert_eq!(table.to_rows(), rows);
        assert_eq!(table.rows().len(), 2);
    }

    #[test]
    fn rows_hold_exactly_one_cell_per_column() {
        let table = ParticipantTable::from_rows(
            columns(3),
            [
                vec![Datum::Number(1.0)],
                vec![
                    Datum::Number(1.0),
                    Datum::Number(2.0),
                    Datum::Number(3.0),
                    Datum::Number(4.0),
                ],
            ],
        );
        assert_eq!(
            table.to_rows(),
            vec![
                vec![Datum::Number(1.0), Datum::Empty, Datum::Empty],
                vec![Datum::Number(1.0), Datum::Number(2.0), Datum::Number(3.0)],
            ]
        );
    }

    #[test]
    fn empty_cells_take_one_byte_and_numbers_nine() {
        let table = ParticipantTable::from_rows(
            columns(3),
            [vec![Datum::Empty, Datum::Number(7.0), Datum::Empty]],
        );
        assert_eq!(table.held_bytes(), 11);
    }
}
