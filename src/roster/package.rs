//! The zip package inside `.xlsx` and `.ods` workbooks, looked at before and beside calamine:
//! damage that would make calamine allocate without bound is refused here, and the rows a
//! person hid in Excel or LibreOffice, which calamine does not report, are found here.
//!
//! Two forged declarations are refused:
//!
//! * an `.xlsx` shared-strings part whose `uniqueCount` promises more texts than the part can
//!   hold (calamine reserves that many strings up front, so a few bytes can ask for terabytes:
//!   calamine issue #684), or whose `count` promises more string cells than the worksheets can
//!   hold;
//! * an `.ods` sheet whose repeated rows and columns (`number-rows-repeated`,
//!   `number-columns-repeated` on cells that hold a value) expand to more cells than the file has
//!   bytes. calamine caps such a sheet at 100 million cells, still gigabytes of memory from a
//!   file of a few hundred bytes.
//!
//! A real workbook never trips either check: every shared string and every cell reference
//! costs several bytes of XML, and a roster's cells are mostly different from each other.
//! Sizes are taken as the smaller of the size an entry declares and what its compressed bytes
//! can expand to, since the declared size is itself part of what may be forged.

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

/// Hidden rows of a sheet as runs of spreadsheet row numbers: (first row, 1-based; count).
pub type RowRuns = Vec<(usize, usize)>;

/// Sheet name → its hidden rows, for the sheets that have any.
pub type HiddenRows = HashMap<String, RowRuns>;

/// Deflate cannot expand data by more than about 1032 to 1.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The fewest bytes one shared string takes (`<si/>`).
const MIN_SHARED_STRING_BYTES: u64 = 5;

/// The fewest bytes one string cell takes in a worksheet (`<c t="s"><v>0</v></c>`).
const MIN_STRING_CELL_BYTES: u64 = 8;

/// An `.ods` sheet may always declare this many cells, whatever the file's size.
const ODS_FREE_CELLS: u64 = 2_000_000;

type Archive<'b> = ZipArchive<Cursor<&'b [u8]>>;

/// What kind of package a zip file is.
pub(super) enum Package<'b> {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx(Archive<'b>),
    /// OpenDocument spreadsheet (`.ods`).
    Ods(Archive<'b>),
    /// Something calamine may still read (`.xlsb`) or will refuse itself.
    Other,
}

/// Refuses a zip workbook (`.xlsx`, `.ods`) whose declared sizes would make calamine allocate
/// without bound; anything else passes. For readers other than the roster's (forms), which need
/// the check but not the hidden rows.
pub fn check_workbook(bytes: &[u8]) -> Result<(), String> {
    match open(bytes) {
        Package::Xlsx(mut archive) => check_xlsx(&mut archive),
        Package::Ods(mut archive) => check_ods(&mut archive).map(|_| ()),
        Package::Other => Ok(()),
    }
}

/// Opens the zip package; `Other` when it is not one pantau looks inside.
pub(super) fn open(bytes: &[u8]) -> Package<'_> {
    let Ok(archive) = ZipArchive::new(Cursor::new(bytes)) else {
        return Package::Other;
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    if names.iter().any(|n| n == "xl/workbook.xml") {
        Package::Xlsx(archive)
    } else if names.iter().any(|n| n == "content.xml") && names.iter().any(|n| n == "mimetype") {
        Package::Ods(archive)
    } else {
        Package::Other
    }
}

/// The most bytes an entry can really expand to.
fn real_size(size: u64, compressed: u64) -> u64 {
    size.min(compressed.saturating_mul(MAX_DEFLATE_RATIO).max(compressed))
}

fn damaged(what: &str) -> String {
    format!(
        "the workbook is damaged: {what}; open it in Excel or LibreOffice, save it again and \
         import the saved copy"
    )
}

/// Refuses an `.xlsx` whose shared-strings counts are larger than its parts can hold. Reads
/// only the first kilobytes of the shared-strings part.
pub(super) fn check_xlsx(archive: &mut Archive) -> Result<(), String> {
    let mut strings_part = None;
    let mut worksheet_bytes = 0u64;
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(index) else {
            continue;
        };
        let name = entry.name().map(|n| n.to_lowercase()).unwrap_or_default();
        let size = real_size(entry.size(), entry.compressed_size());
        if name.ends_with("sharedstrings.xml") {
            strings_part = Some((index, entry.name().unwrap_or_default().into_owned(), size));
        } else if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            worksheet_bytes = worksheet_bytes.saturating_add(size);
        }
    }
    let Some((index, part, size)) = strings_part else {
        return Ok(());
    };
    let entry = archive
        .by_index(index)
        .map_err(|e| damaged(&format!("its part {part} cannot be read ({e})")))?;
    let mut reader = Reader::from_reader(BufReader::new(entry.take(64 * 1024)));
    let mut buf = Vec::new();
    let sst = loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sst" => {
                break e.into_owned();
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => buf.clear(),
            Err(e) => return Err(damaged(&format!("its part {part} is not valid XML ({e})"))),
        }
    };
    let number = |attribute: &str| -> Result<Option<u64>, String> {
        match attribute_value(&sst, attribute) {
            None => Ok(None),
            Some(text) => text.trim().parse::<u64>().map(Some).map_err(|_| {
                damaged(&format!(
                    "its part {part} gives {attribute} as {text:?}, which is not a number"
                ))
            }),
        }
    };
    if let Some(unique) = number("uniqueCount")? {
        let most = size / MIN_SHARED_STRING_BYTES;
        if unique > most {
            return Err(damaged(&format!(
                "its part {part} claims {unique} distinct texts (uniqueCount) but its {size} \
                 bytes can hold at most {most}"
            )));
        }
    }
    if let Some(count) = number("count")? {
        let most = worksheet_bytes / MIN_STRING_CELL_BYTES;
        if count > most {
            return Err(damaged(&format!(
                "its part {part} claims {count} text cells (count) but its worksheets' \
                 {worksheet_bytes} bytes can hold at most {most}"
            )));
        }
    }
    Ok(())
}

/// The value of the attribute whose local name is `name`, unescaped.
fn attribute_value(element: &BytesStart, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.clone().into_owned())
        })
}

/// Whether an XML attribute value means true.
fn truthy(value: &str) -> bool {
    matches!(value.trim(), "1" | "true")
}

/// Adds `count` rows from `first` to runs, joining a run that ends where this one starts.
fn push_run(runs: &mut RowRuns, first: usize, count: usize) {
    match runs.last_mut() {
        Some((start, length)) if *start + *length == first => *length += count,
        _ => runs.push((first, count)),
    }
}

/// A merged region as 0-based spreadsheet (top, left) and (bottom, right) corners.
pub type Merge = ((usize, usize), (usize, usize));

/// What a worksheet's XML says about its rows besides their cells, which calamine's cell
/// readers do not report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetMarks {
    /// Hidden rows.
    pub hidden_rows: RowRuns,
    /// Merged regions (`<mergeCell ref="C3:C5"/>`).
    pub merged: Vec<Merge>,
}

/// Hidden rows and merged cells of every worksheet of an `.xlsx`, by sheet name, for the
/// sheets that have any. Each worksheet part is decompressed once and searched for `hidden=`
/// and `<mergeCell` as bytes; only a part that has one is parsed as XML, so that a million-row
/// sheet without either costs one decompression (on a core of its own while calamine reads).
pub fn xlsx_marks(bytes: &[u8]) -> Result<HashMap<String, SheetMarks>, String> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| damaged(&format!("{e}")))?;
    let mut marks = HashMap::new();
    for (sheet, part) in xlsx_sheet_parts(&mut archive)? {
        if !part_mentions(&mut archive, &part, &[b"hidden=", b"<mergeCell "])? {
            continue;
        }
        let entry = archive
            .by_name(&part)
            .map_err(|e| damaged(&format!("its part {part} cannot be read ({e})")))?;
        let mut reader = Reader::from_reader(BufReader::new(entry));
        let mut buf = Vec::new();
        let mut found = SheetMarks::default();
        let mut next_row = 1usize;
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "row" => {
                    let row = attribute_value(&e, "r")
                        .and_then(|r| r.trim().parse::<usize>().ok())
                        .unwrap_or(next_row);
                    next_row = row + 1;
                    if attribute_value(&e, "hidden").is_some_and(|v| truthy(&v)) {
                        push_run(&mut found.hidden_rows, row, 1);
                    }
                }
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "mergeCell" => {
                    // A reference that does not parse merges nothing pantau could name.
                    if let Some(merge) = attribute_value(&e, "ref").and_then(|r| parse_merge(&r)) {
                        found.merged.push(merge);
                    }
                }
                Ok(Event::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    return Err(damaged(&format!(
                        "the XML of sheet {sheet:?} ({part}) is broken ({e})"
                    )));
                }
            }
            buf.clear();
        }
        if found != SheetMarks::default() {
            marks.insert(sheet, found);
        }
    }
    Ok(marks)
}

/// `C3:C5` → ((2, 2), (4, 2)); a single cell `C3` is a region of one.
fn parse_merge(reference: &str) -> Option<Merge> {
    let (first, last) = reference
        .trim()
        .split_once(':')
        .unwrap_or((reference.trim(), reference.trim()));
    Some((parse_cell_ref(first)?, parse_cell_ref(last)?))
}

/// `AB12` → (11, 27), 0-based; `$` signs are ignored.
fn parse_cell_ref(reference: &str) -> Option<(usize, usize)> {
    let reference = reference.replace('$', "");
    let split = reference.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = reference.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let column = letters.bytes().fold(0usize, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row: usize = digits.parse().ok()?;
    Some((row.checked_sub(1)?, column - 1))
}

/// Rows an `.xlsx`'s worksheets hold at most, for sizing an import before its rows are read:
/// from each worksheet's `<dimension ref="A1:P1000001"/>`, or where a writer left it out,
/// from the part's size (a roster row takes well over 100 bytes of XML). Each sheet counts at
/// most Excel's 1,048,576 rows, and no more rows than its part has room for (an empty row
/// element, `<row r="1"/>`, takes 12 bytes): a forged dimension, or a hundred sheets each
/// declaring a million rows, cannot make an import reserve memory for rows it does not hold.
pub(super) fn xlsx_rows_estimate(archive: &mut Archive) -> usize {
    const EXCEL_ROWS: usize = 1_048_576;
    let Ok(parts) = xlsx_sheet_parts(archive) else {
        return 0;
    };
    let mut rows = 0usize;
    for (_, part) in parts {
        let Ok(entry) = archive.by_name(&part) else {
            continue;
        };
        let size = real_size(entry.size(), entry.compressed_size());
        let mut head = Vec::new();
        let _ = entry.take(8 * 1024).read_to_end(&mut head);
        let declared = memchr::memmem::find(&head, b"<dimension ").and_then(|at| {
            let rest = &head[at..];
            let end = memchr::memchr(b'>', rest)?;
            let text = std::str::from_utf8(&rest[..end]).ok()?;
            let reference = text.split("ref=\"").nth(1)?.split('"').next()?;
            parse_merge(reference).map(|(_, (bottom, _))| bottom + 1)
        });
        let room = usize::try_from(size / 12).unwrap_or(EXCEL_ROWS);
        let sheet_rows = declared
            .unwrap_or((size / 100) as usize)
            .min(room)
            .min(EXCEL_ROWS);
        rows = rows.saturating_add(sheet_rows);
    }
    rows
}

/// Whether the decompressed part contains any of `needles`, read a megabyte at a time.
fn part_mentions(archive: &mut Archive, part: &str, needles: &[&[u8]]) -> Result<bool, String> {
    let mut entry = archive
        .by_name(part)
        .map_err(|e| damaged(&format!("its part {part} cannot be read ({e})")))?;
    let finders: Vec<_> = needles.iter().map(memchr::memmem::Finder::new).collect();
    let mut chunk = vec![0u8; 1 << 20];
    // The last bytes of each chunk are kept in front of the next, so that a needle split
    // between two chunks is still found.
    let keep = needles.iter().map(|n| n.len()).max().unwrap_or(1) - 1;
    let mut filled = 0usize;
    loop {
        let read = entry
            .read(&mut chunk[filled..])
            .map_err(|e| damaged(&format!("its part {part} cannot be decompressed ({e})")))?;
        if read == 0 {
            return Ok(false);
        }
        let end = filled + read;
        if finders.iter().any(|f| f.find(&chunk[..end]).is_some()) {
            return Ok(true);
        }
        let tail = end.saturating_sub(keep);
        chunk.copy_within(tail..end, 0);
        filled = end - tail;
    }
}

/// (sheet name, worksheet part path) of every sheet, from `xl/workbook.xml` and its
/// relationships.
fn xlsx_sheet_parts(archive: &mut Archive) -> Result<Vec<(String, String)>, String> {
    let mut sheets = Vec::new();
    for_each_element(archive, "xl/workbook.xml", "sheet", |e| {
        let name = attribute_value(e, "name");
        // The relationship id is `r:id`; its local name is `id`, as is nothing else's here.
        let id = attribute_value(e, "id");
        if let (Some(name), Some(id)) = (name, id) {
            sheets.push((name, id));
        }
    })?;
    let mut targets = HashMap::new();
    let rels = "xl/_rels/workbook.xml.rels";
    if archive.by_name(rels).is_ok() {
        for_each_element(archive, rels, "Relationship", |e| {
            if let (Some(id), Some(target)) =
                (attribute_value(e, "Id"), attribute_value(e, "Target"))
            {
                let path = match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_owned(),
                    None => format!("xl/{target}"),
                };
                targets.insert(id, path);
            }
        })?;
    }
    Ok(sheets
        .into_iter()
        .filter_map(|(name, id)| {
            let part = targets.get(&id)?.clone();
            archive.by_name(&part).is_ok().then_some((name, part))
        })
        .collect())
}

/// Calls `found` with every element named `local` in a small XML part.
fn for_each_element(
    archive: &mut Archive,
    part: &str,
    local: &str,
    mut found: impl FnMut(&BytesStart),
) -> Result<(), String> {
    let entry = archive
        .by_name(part)
        .map_err(|e| damaged(&format!("its part {part} cannot be read ({e})")))?;
    let mut reader = Reader::from_reader(BufReader::new(entry));
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == local => found(&e),
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(damaged(&format!("its part {part} is not valid XML ({e})"))),
        }
        buf.clear();
    }
}

/// Reads an `.ods` file's `content.xml` once: refuses a sheet whose repeated cells expand
/// beyond what the file holds, and returns the hidden rows (`table:visibility` `collapse` or
/// `filter`) that hold values, by sheet name.
pub(super) fn check_ods(archive: &mut Archive) -> Result<HiddenRows, String> {
    let part = "content.xml";
    let entry = archive
        .by_name(part)
        .map_err(|e| damaged(&format!("its part {part} cannot be read ({e})")))?;
    let budget = real_size(entry.size(), entry.compressed_size()).max(ODS_FREE_CELLS);
    let mut reader = Reader::from_reader(BufReader::new(entry));
    let mut buf = Vec::new();
    let mut hidden = HiddenRows::new();
    let mut table: Option<OdsTable> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| damaged(&format!("its part {part} is not valid XML ({e})")))?;
        let self_closed = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                table = Some(OdsTable::new(
                    attribute_value(&e, "name").unwrap_or_default(),
                ));
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(done) = table.take()
                    && !done.hidden.is_empty()
                {
                    hidden.insert(done.name, done.hidden);
                }
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(table) = &mut table {
                    let repeats = repeat_count(&e, "number-rows-repeated", part)?;
                    let collapsed = attribute_value(&e, "visibility")
                        .is_some_and(|v| v == "collapse" || v == "filter");
                    table.start_row(repeats, collapsed);
                    if self_closed {
                        table.end_row(budget)?;
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                if let Some(table) = &mut table {
                    table.end_row(budget)?;
                }
            }
            Event::Start(e) | Event::Empty(e)
                if e.name().as_ref() == "table:table-cell"
                    || e.name().as_ref() == "table:covered-table-cell" =>
            {
                if let Some(table) = &mut table {
                    let repeats = repeat_count(&e, "number-columns-repeated", part)?;
                    // A self-closed cell without a value type is empty (formatting only); the
                    // others may hold something.
                    let valued = !self_closed
                        || attribute_value(&e, "value-type").is_some()
                        || attribute_value(&e, "formula").is_some();
                    table.cell(repeats, valued);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(hidden)
}

fn repeat_count(element: &BytesStart, attribute: &str, part: &str) -> Result<u64, String> {
    match attribute_value(element, attribute) {
        None => Ok(1),
        Some(text) => text.trim().parse::<u64>().map(|n| n.max(1)).map_err(|_| {
            damaged(&format!(
                "its part {part} repeats a row or cell {text:?} times, which is not a number"
            ))
        }),
    }
}

/// Running totals for one `.ods` sheet while its XML streams past.
struct OdsTable {
    name: String,
    /// 0-based index of the next row, repeats expanded.
    next_row: u64,
    /// The current row's repeat count, whether it is hidden, the column reached and the end
    /// of its last valued cell.
    row: (u64, bool, u64, u64),
    /// First valued row and the end of the last one.
    span: Option<(u64, u64)>,
    /// Widest valued row.
    width: u64,
    hidden: RowRuns,
}

impl OdsTable {
    fn new(name: String) -> OdsTable {
        OdsTable {
            name,
            next_row: 0,
            row: (1, false, 0, 0),
            span: None,
            width: 0,
            hidden: RowRuns::new(),
        }
    }

    fn start_row(&mut self, repeats: u64, hidden: bool) {
        self.row = (repeats, hidden, 0, 0);
    }

    fn cell(&mut self, repeats: u64, valued: bool) {
        let (_, _, column, last) = &mut self.row;
        *column = column.saturating_add(repeats);
        if valued {
            *last = *column;
        }
    }

    fn end_row(&mut self, budget: u64) -> Result<(), String> {
        let (repeats, hidden, _, last) = self.row;
        let first = self.next_row;
        self.next_row = first.saturating_add(repeats);
        if last == 0 {
            return Ok(());
        }
        self.width = self.width.max(last);
        let start = self.span.map_or(first, |(start, _)| start);
        self.span = Some((start, self.next_row));
        let cells = (self.next_row - start).saturating_mul(self.width);
        if cells > budget {
            return Err(damaged(&format!(
                "sheet {:?} repeats its rows and cells into {cells} cells, more than the file \
                 can hold ({budget})",
                self.name
            )));
        }
        if hidden {
            push_run(
                &mut self.hidden,
                usize::try_from(first + 1).unwrap_or(usize::MAX),
                usize::try_from(repeats).unwrap_or(usize::MAX),
            );
        }
        Ok(())
    }
}
