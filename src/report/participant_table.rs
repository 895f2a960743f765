//! The participant table held compactly: one byte string for every cell of every row, instead
//! of a vector of [`Datum`] values per row.
//!
//! A [`Datum`] takes 32 bytes and its text a heap allocation of its own; a participant sheet has
//! about a hundred columns, most of them numbers or empty, so a million participants held as
//! `Vec<Vec<Datum>>` took gigabytes. Here an empty cell takes one byte, a number nine, a date
//! five and a text five plus its UTF-8 bytes, all in one buffer, and rows are read back in order
//! as borrowed [`Cell`]s (which is all the workbook writer needs).
//!
//! Rows can be encoded apart from the table, on several threads ([`EncodedRows`], written cell
//! by cell with no [`Datum`] or `String` in between), and appended in order. The table notes
//! where every [`MARK`]th row starts, so that a writer can start reading at any row without
//! decoding the rows before it ([`ParticipantTable::rows_from`]), and, per run of rows, the
//! widest text and largest number of each column ([`Extent`]), so that a writer can size the
//! columns without reading every row again.

use std::ops::Range;

use chrono::{Datelike, NaiveDate};

use super::{Column, Datum};

const EMPTY: u8 = 0;
const NUMBER: u8 = 1;
const DATE: u8 = 2;
const TEXT: u8 = 3;

/// Every `MARK`th row's start is noted (a few kilobytes at a million rows).
pub const MARK: usize = 4096;

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
#[derive(Clone, Default)]
pub struct ParticipantTable {
    pub columns: Vec<Column>,
    /// Every cell of every row, encoded one after the other (see the module documentation).
    cells: Vec<u8>,
    rows: usize,
    /// Byte offset in `cells` of rows 0, MARK, 2 × MARK, …
    marks: Vec<usize>,
    /// Runs of rows in order, each at least MARK rows long but the last, with what each
    /// column holds at most over the run.
    runs: Vec<(Range<usize>, Vec<Extent>)>,
}

/// What the cells of one column hold at most over a run of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extent {
    /// Some cell is a text (possibly empty).
    pub texts: bool,
    /// The longest line of those texts, in characters ([`longest_line`]).
    pub text_chars: usize,
    /// Some text is longer than [`LONG_TEXT`] bytes: not counted in `text_chars`, as a writer
    /// may cut it; it has to read the run's rows itself.
    pub long_texts: bool,
    /// Some cell is a finite number.
    pub numbers: bool,
    /// The largest magnitude of those numbers.
    pub largest: f64,
    /// Some cell is a date.
    pub dates: bool,
}

impl Extent {
    fn widen(&mut self, other: &Extent) {
        self.texts |= other.texts;
        self.text_chars = self.text_chars.max(other.text_chars);
        self.long_texts |= other.long_texts;
        self.numbers |= other.numbers;
        self.largest = self.largest.max(other.largest);
        self.dates |= other.dates;
    }
}

/// Texts up to this many bytes are measured into [`Extent::text_chars`] (Excel's limit of a
/// cell, in characters, so that no shorter text is ever cut by a writer).
pub const LONG_TEXT: usize = 32_767;

/// The longest line of `text`, in characters: how wide it shows in a cell.
pub fn longest_line(text: &str) -> usize {
    // Nearly every text is one line: counted without splitting it.
    if !text.as_bytes().contains(&b'\n') {
        return text.chars().count();
    }
    text.lines()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
}

/// Tables are equal when their columns and rows are: the noted rows and runs only say where
/// to look, and runs depend on how the rows were handed in.
impl PartialEq for ParticipantTable {
    fn eq(&self, other: &ParticipantTable) -> bool {
        self.columns == other.columns && self.rows == other.rows && self.cells == other.cells
    }
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
            marks: Vec::new(),
            runs: Vec::new(),
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
        let mut encoded = EncodedRows::new(self.columns.len());
        for datum in row {
            encoded.push(&datum);
        }
        encoded.end_row();
        self.append(encoded);
    }

    /// Makes room for `bytes` more bytes of encoded rows, so that a large table is written
    /// into one allocation instead of being copied each time it outgrows its buffer.
    pub fn reserve(&mut self, bytes: usize) {
        self.cells.reserve(bytes);
    }

    /// Bytes the encoded rows take (to size [`ParticipantTable::reserve`]).
    pub fn encoded_bytes(rows: &EncodedRows) -> usize {
        rows.cells.len()
    }

    /// Appends rows encoded apart (see [`EncodedRows`]) after the table's own.
    pub fn append(&mut self, rows: EncodedRows) {
        if rows.width != self.columns.len() {
            // Encoded for another table (a bug upstream): each row is taken as `push_row`
            // takes it, completed or cut to this table's columns.
            let width = rows.width;
            let decoded: Vec<Vec<Datum>> = (Rows {
                cells: &rows.cells,
                at: 0,
                width,
                left: rows.starts.len(),
            })
            .map(|row| row.map(Cell::to_datum).collect())
            .collect();
            for row in decoded {
                self.push_row(row);
            }
            return;
        }
        let base = self.cells.len();
        for (index, start) in rows.starts.iter().enumerate() {
            if (self.rows + index).is_multiple_of(MARK) {
                self.marks.push(base + start);
            }
        }
        let added = self.rows..self.rows + rows.starts.len();
        match self.runs.last_mut() {
            Some((run, extents)) if run.len() < MARK => {
                run.end = added.end;
                for (extent, more) in extents.iter_mut().zip(&rows.extents) {
                    extent.widen(more);
                }
            }
            _ if added.is_empty() => {}
            _ => self.runs.push((added.clone(), rows.extents)),
        }
        self.rows = added.end;
        if self.cells.is_empty() && self.cells.capacity() < rows.cells.len() {
            // Nothing reserved: the first rows' buffer becomes the table's.
            self.cells = rows.cells;
        } else {
            self.cells.extend_from_slice(&rows.cells);
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

    /// The rows from row `start` (0-based) on, found from the nearest noted row rather than by
    /// decoding every row before it.
    pub fn rows_from(&self, start: usize) -> Rows<'_> {
        let start = start.min(self.rows);
        let mark = (start / MARK).min(self.marks.len().saturating_sub(1));
        let mut rows = Rows {
            cells: &self.cells,
            at: self.marks.get(mark).copied().unwrap_or(0),
            width: self.columns.len(),
            left: self.rows
                - if self.marks.is_empty() {
                    0
                } else {
                    mark * MARK
                },
        };
        let skip = start - (self.rows - rows.left);
        for _ in 0..skip {
            rows.next();
        }
        rows
    }

    /// Runs of rows in order, covering every row once, with what each column holds at most
    /// over the run (one [`Extent`] per column).
    pub fn extents(&self) -> impl Iterator<Item = (Range<usize>, &[Extent])> {
        self.runs
            .iter()
            .map(|(rows, extents)| (rows.clone(), extents.as_slice()))
    }

    /// Every row as owned values (tests and small tables).
    pub fn to_rows(&self) -> Vec<Vec<Datum>> {
        self.rows()
            .map(|row| row.map(Cell::to_datum).collect())
            .collect()
    }
}

/// Rows encoded for a [`ParticipantTable`] of `width` columns, cell by cell, apart from the
/// table (so that several threads can each encode a run of rows), then handed to
/// [`ParticipantTable::append`]. Every row holds exactly one cell per column: [`end_row`]
/// completes a short row with empty cells, and cells past the last column are left out.
///
/// [`end_row`]: EncodedRows::end_row
#[derive(Debug, Clone, Default)]
pub struct EncodedRows {
    cells: Vec<u8>,
    width: usize,
    /// Byte offset of each finished row.
    starts: Vec<usize>,
    /// Cells written to the row being encoded.
    in_row: usize,
    row_start: usize,
    /// Per column, what its cells hold at most.
    extents: Vec<Extent>,
}

impl EncodedRows {
    /// No rows yet, for a table of `width` columns.
    pub fn new(width: usize) -> EncodedRows {
        EncodedRows {
            width,
            extents: vec![Extent::default(); width],
            ..EncodedRows::default()
        }
    }

    /// Number of finished rows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no row was finished.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Whether the row being encoded has room for another cell.
    fn room(&mut self) -> bool {
        if self.in_row == 0 {
            self.row_start = self.cells.len();
        }
        if self.in_row >= self.width {
            return false;
        }
        self.in_row += 1;
        true
    }

    /// An empty cell.
    pub fn empty(&mut self) {
        if self.room() {
            self.cells.push(EMPTY);
        }
    }

    /// The extent of the column of the cell just given room.
    fn extent(&mut self) -> &mut Extent {
        &mut self.extents[self.in_row - 1]
    }

    /// A number.
    pub fn number(&mut self, value: f64) {
        if self.room() {
            if value.is_finite() {
                let extent = self.extent();
                extent.numbers = true;
                extent.largest = extent.largest.max(value.abs());
            }
            self.cells.push(NUMBER);
            self.cells.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// A date.
    pub fn date(&mut self, date: NaiveDate) {
        if self.room() {
            self.extent().dates = true;
            self.cells.push(DATE);
            self.cells
                .extend_from_slice(&date.num_days_from_ce().to_le_bytes());
        }
    }

    /// A text.
    pub fn text(&mut self, text: &str) {
        if self.room() {
            // A cell holds at most 32,767 characters in Excel, so a longer text is an
            // accident the writer cuts anyway; 4 GiB in one cell cannot come from a roster.
            let extent = self.extent();
            extent.texts = true;
            if text.len() > LONG_TEXT {
                extent.long_texts = true;
            } else {
                extent.text_chars = extent.text_chars.max(longest_line(text));
            }
            let mut len = text.len().min(u32::MAX as usize);
            while !text.is_char_boundary(len) {
                len -= 1;
            }
            self.cells.push(TEXT);
            self.cells.extend_from_slice(&(len as u32).to_le_bytes());
            self.cells.extend_from_slice(&text.as_bytes()[..len]);
        }
    }

    /// A cell from an owned value.
    pub fn push(&mut self, datum: &Datum) {
        match datum {
            Datum::Empty => self.empty(),
            Datum::Number(value) => self.number(*value),
            Datum::Date(date) => self.date(*date),
            Datum::Text(text) => self.text(text),
        }
    }

    /// `n` empty cells.
    pub fn empties(&mut self, n: usize) {
        for _ in 0..n {
            self.empty();
        }
    }

    /// Ends the row being encoded, completing it with empty cells.
    pub fn end_row(&mut self) {
        if self.in_row == 0 {
            self.row_start = self.cells.len();
        }
        for _ in self.in_row..self.width {
            self.cells.push(EMPTY);
        }
        self.starts.push(self.row_start);
        self.in_row = 0;
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

    use super::*;
    use crate::report::ColumnFormat;

    fn columns(n: usize) -> Vec<Column> {
        (0..n)
            .map(|i| Column::unlabelled(format!("c{i}"), ColumnFormat::Text))
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
    fn rows_encoded_apart_equal_rows_pushed() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let rows: Vec<Vec<Datum>> = (0..3 * MARK + 17)
            .map(|i| match i % 4 {
                0 => vec![Datum::Text(format!("P-{i}")), Datum::Number(i as f64)],
                1 => vec![Datum::Empty, Datum::Date(day), Datum::Text("x".into())],
                2 => vec![],
                _ => vec![
                    Datum::Number(-0.5),
                    Datum::Text("é".into()),
                    Datum::Number(1.0),
                    Datum::Number(2.0),
                ],
            })
            .collect();
        let pushed = ParticipantTable::from_rows(columns(3), rows.clone());
        let mut appended = ParticipantTable::new(columns(3));
        // Runs of uneven length, so that noted rows fall inside runs.
        for run in rows.chunks(1000) {
            let mut encoded = EncodedRows::new(3);
            for row in run {
                for datum in row {
                    encoded.push(datum);
                }
                encoded.end_row();
            }
            assert_eq!(encoded.len(), run.len());
            appended.append(encoded);
        }
        assert_eq!(appended, pushed);
        assert_eq!(appended.to_rows(), pushed.to_rows());
        assert_eq!(appended.to_rows()[2], vec![Datum::Empty; 3]);
        assert_eq!(appended.to_rows()[3].len(), 3);
    }

    #[test]
    fn rows_from_any_row_read_what_follows_it() {
        let rows: Vec<Vec<Datum>> = (0..2 * MARK + 5)
            .map(|i| vec![Datum::Number(i as f64), Datum::Text("t".repeat(i % 7))])
            .collect();
        let table = ParticipantTable::from_rows(columns(2), rows.clone());
        for start in [
            0,
            1,
            MARK - 1,
            MARK,
            MARK + 1,
            2 * MARK,
            2 * MARK + 4,
            2 * MARK + 5,
        ] {
            let read: Vec<Vec<Datum>> = table
                .rows_from(start)
                .map(|row| row.map(Cell::to_datum).collect())
                .collect();
            assert_eq!(read, rows[start..], "from row {start}");
        }
        assert_eq!(table.rows_from(10 * MARK).len(), 0);
        assert_eq!(ParticipantTable::new(columns(2)).rows_from(3).len(), 0);
    }

    #[test]
    fn rows_encoded_for_another_width_are_fitted() {
        let mut encoded = EncodedRows::new(2);
        encoded.number(1.0);
        encoded.number(2.0);
        encoded.end_row();
        let mut table = ParticipantTable::new(columns(3));
        table.append(encoded);
        assert_eq!(
            table.to_rows(),
            vec![vec![Datum::Number(1.0), Datum::Number(2.0), Datum::Empty]]
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
