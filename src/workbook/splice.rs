//! Completing the participant sheets of one or more workbooks: each distinct sheet is written
//! and compressed once, then copied, still compressed, into every workbook that shows it.
//!
//! rust_xlsxwriter first writes each workbook whole except for its participant sheets' data
//! rows (see [`super::participants`]), into memory. A participant sheet's part is then cut in
//! three: everything up to its data (declaration, dimension, frozen pane, widths, header row),
//! the probe row (which only tells the style index of each number format), and everything after
//! the data (autofilter, page setup). Two workbooks whose cut parts and style indices are the
//! same (the manager and donor workbooks in one language) show the same sheet byte for byte, so
//! the sheet is compressed once for both into an anonymous temporary file, and each workbook's
//! package is rewritten with that entry in place of the placeholder (the other entries are
//! copied without decompressing them). Sheets that differ only in their head (the Indonesian
//! and English header rows) also share their compressed data rows, compressed in parts on
//! every core ([`super::deflate_parts`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Cursor, Write};
use std::ops::Range;
use std::path::PathBuf;

use rust_xlsxwriter::XlsxError;
use zip::{ZipArchive, ZipWriter};

use super::deflate_parts::{self, Part, PartWriter};
use super::participants::Placeholder;
use super::sheet_rows::{RowWriter, Styles, column_letters};
use crate::report::{ColumnFormat, ParticipantTable};

/// One workbook written by rust_xlsxwriter, waiting for its participant sheets.
pub(crate) struct Pending {
    /// The package rust_xlsxwriter wrote, with placeholder participant sheets.
    pub package: Vec<u8>,
    pub placeholders: Vec<Placeholder>,
    /// Where the finished workbook goes.
    pub path: PathBuf,
}

/// What makes one participant sheet: two with equal keys are the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SheetKey {
    head: String,
    tail: String,
    styles: Styles,
    rows: Range<usize>,
}

/// Bytes of row XML gathered before they go to the compressor.
const BATCH: usize = 1 << 16;

/// Finishes every pending workbook; the results are in the order of `pending`. A workbook that
/// fails does not stop the others.
pub(crate) fn finish(
    table: &ParticipantTable,
    pending: Vec<Pending>,
) -> Vec<Result<(), (PathBuf, XlsxError)>> {
    // Cut every placeholder and note which distinct sheets are needed.
    let mut keys: Vec<SheetKey> = Vec::new();
    let mut cut: Vec<Result<Vec<(String, usize)>, XlsxError>> = Vec::new();
    for workbook in &pending {
        cut.push(cut_placeholders(table, workbook).map(|sheets| {
            sheets
                .into_iter()
                .map(|(part, key)| {
                    let index = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                        keys.push(key);
                        keys.len() - 1
                    });
                    (part, index)
                })
                .collect()
        }));
    }
    let sheets = compress_sheets(table, &keys);
    pending
        .into_iter()
        .zip(cut)
        .map(|(workbook, cut)| {
            let path = workbook.path.clone();
            let done = cut.and_then(|parts| {
                let mut replacements = HashMap::new();
                for (part, index) in parts {
                    let sheet = sheets[index]
                        .as_ref()
                        .map_err(|err| XlsxError::CustomError(err.clone()))?;
                    replacements.insert(part, sheet);
                }
                repackage(&workbook.package, &replacements, &workbook.path)
            });
            done.map_err(|err| (path, err))
        })
        .collect()
}

/// Reads and cuts the placeholder parts of one workbook.
fn cut_placeholders(
    table: &ParticipantTable,
    workbook: &Pending,
) -> Result<Vec<(String, SheetKey)>, XlsxError> {
    if workbook.placeholders.is_empty() {
        return Ok(Vec::new());
    }
    let mut archive = ZipArchive::new(Cursor::new(workbook.package.as_slice()))?;
    let last_column = table.columns.len().saturating_sub(1);
    workbook
        .placeholders
        .iter()
        .map(|placeholder| {
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut archive.by_name(&placeholder.part)?, &mut xml)?;
            let key = cut(&xml, placeholder.rows.clone(), last_column)
                .map_err(|why| XlsxError::CustomError(format!("{}: {why}", placeholder.part)))?;
            Ok((placeholder.part.clone(), key))
        })
        .collect()
}

/// Cuts a placeholder sheet's XML around its probe row (see the module documentation).
fn cut(xml: &str, rows: Range<usize>, last_column: usize) -> Result<SheetKey, &'static str> {
    let data = xml
        .find("<sheetData>")
        .ok_or("the placeholder sheet has no sheetData")?;
    let probe = xml[data..]
        .find("<row r=\"2\"")
        .map(|at| data + at)
        .ok_or("the placeholder sheet has no probe row")?;
    let end = xml[probe..]
        .find("</sheetData>")
        .map(|at| probe + at)
        .ok_or("the placeholder sheet's data is not closed")?;
    let styles = probed_styles(&xml[probe..end])?;
    // The dimension covers the header and every data row, not the probe.
    let dimension = xml[..probe]
        .find("<dimension ref=\"")
        .ok_or("the placeholder sheet has no dimension")?;
    let dimension_end = xml[dimension..]
        .find("/>")
        .map(|at| dimension + at + 2)
        .ok_or("the placeholder sheet's dimension is not closed")?;
    let head = format!(
        "{}<dimension ref=\"A1:{}{}\"/>{}",
        &xml[..dimension],
        column_letters(last_column),
        rows.len() + 1,
        &xml[dimension_end..probe]
    );
    Ok(SheetKey {
        head,
        tail: xml[end..].to_owned(),
        styles,
        rows,
    })
}

/// The style index of each probe cell, in [`super::participants`]' probe order.
fn probed_styles(probe: &str) -> Result<Styles, &'static str> {
    let mut found = Vec::with_capacity(5);
    for cell in probe.split("<c ").skip(1) {
        let tag = &cell[..cell.find('>').ok_or("a probe cell is not closed")?];
        let style = match tag.find(" s=\"") {
            Some(at) => {
                let digits = &tag[at + 4..];
                let digits = &digits[..digits.find('"').ok_or("a probe style is not closed")?];
                digits
                    .parse()
                    .map_err(|_| "a probe style is not a number")?
            }
            None => 0,
        };
        found.push(style);
    }
    match found[..] {
        [integer, number, percent, rupiah, date] => Ok(Styles {
            integer,
            number,
            percent,
            rupiah,
            date,
        }),
        _ => Err("the probe row does not have one cell per number format"),
    }
}

/// What sheets with the same data rows share: everything after their header row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BodyKey<'a> {
    tail: &'a str,
    styles: Styles,
    rows: Range<usize>,
}

/// Every distinct sheet of `keys`, in order, each compressed as the only entry of a package in
/// an anonymous temporary file (whose entry is then copied as is): at a million participants
/// a compressed sheet is hundreds of megabytes, which need not stay in memory.
///
/// Sheets that differ only in their head (the languages' header rows) share one compressed
/// body ([`super::deflate_parts`]), compressed in as many parts as there are cores, each on a
/// thread of its own.
fn compress_sheets(table: &ParticipantTable, keys: &[SheetKey]) -> Vec<Result<File, String>> {
    let formats: Vec<ColumnFormat> = table.columns.iter().map(|column| column.format).collect();
    let mut bodies: Vec<BodyKey> = Vec::new();
    let body_of: Vec<usize> = keys
        .iter()
        .map(|key| {
            let body = BodyKey {
                tail: &key.tail,
                styles: key.styles,
                rows: key.rows.clone(),
            };
            bodies.iter().position(|b| *b == body).unwrap_or_else(|| {
                bodies.push(body);
                bodies.len() - 1
            })
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    // Each body cut into row ranges; the last range carries the tail.
    let pieces: Vec<(usize, Range<usize>, bool)> = bodies
        .iter()
        .enumerate()
        .flat_map(|(body, key)| {
            let per_part = key.rows.len().div_ceil(threads).max(1);
            let mut ranges = Vec::new();
            let mut start = key.rows.start;
            while start < key.rows.end || ranges.is_empty() {
                let end = (start + per_part).min(key.rows.end);
                ranges.push(start..end);
                start = end;
            }
            let count = ranges.len();
            ranges
                .into_iter()
                .enumerate()
                .map(move |(index, range)| (body, range, index + 1 == count))
        })
        .collect();
    let compressed: Vec<Result<Part, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|(body, range, last)| {
                let formats = &formats;
                let key = &bodies[*body];
                scope.spawn(move || {
                    compress_rows(table, formats, key, range.clone(), *last)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("a sheet writer stopped".to_owned()))
            })
            .collect()
    });
    let mut parts_of: Vec<Result<Vec<Part>, String>> =
        bodies.iter().map(|_| Ok(Vec::new())).collect();
    for ((body, _, _), part) in pieces.iter().zip(compressed) {
        match (&mut parts_of[*body], part) {
            (Ok(parts), Ok(part)) => parts.push(part),
            (slot @ Ok(_), Err(err)) => *slot = Err(err),
            (Err(_), _) => {}
        }
    }
    keys.iter()
        .zip(body_of)
        .map(|(key, body)| {
            let parts = parts_of[body].as_ref().map_err(Clone::clone)?;
            let head =
                deflate_parts::part_of(key.head.as_bytes(), false).map_err(|e| e.to_string())?;
            let mut joined: Vec<&Part> = Vec::with_capacity(parts.len() + 1);
            joined.push(&head);
            joined.extend(parts);
            deflate_parts::package("sheet.xml", &joined, false).map_err(|e| e.to_string())
        })
        .collect()
}

/// The data rows `range` of a sheet (numbered from the sheet's first row `key.rows.start`),
/// followed by the sheet's tail when `last`, compressed as one part of its entry.
fn compress_rows(
    table: &ParticipantTable,
    formats: &[ColumnFormat],
    key: &BodyKey,
    range: Range<usize>,
    last: bool,
) -> std::io::Result<Part> {
    let mut part = PartWriter::new(BufWriter::new(tempfile::tempfile()?));
    let writer = RowWriter::new(formats, key.styles);
    let mut batch = Vec::with_capacity(BATCH + 4096);
    let rows = table.rows_from(range.start).take(range.len());
    for (index, row) in (range.start..).zip(rows) {
        writer.write(&mut batch, (index - key.rows.start) as u32 + 1, row);
        if batch.len() >= BATCH {
            part.write(&batch)?;
            batch.clear();
        }
    }
    if last {
        batch.extend_from_slice(key.tail.as_bytes());
    }
    part.write(&batch)?;
    part.into_part(last)
}

/// Writes `package` to `path` with the entries named in `replacements` taken from those
/// one-entry packages instead; every entry keeps its place and its compressed bytes.
fn repackage(
    package: &[u8],
    replacements: &HashMap<String, &File>,
    path: &std::path::Path,
) -> Result<(), XlsxError> {
    let mut source = ZipArchive::new(Cursor::new(package))?;
    let file = File::create(path)?;
    let mut out = ZipWriter::new(BufWriter::new(file));
    for index in 0..source.len() {
        let entry = source.by_index_raw(index)?;
        let name = entry.name()?.into_owned();
        match replacements.get(&name) {
            Some(sheet) => {
                drop(entry);
                let mut sheet = ZipArchive::new(BufReader::new(*sheet))?;
                out.raw_copy_file_rename(sheet.by_index_raw(0)?, name)?;
            }
            None => out.raw_copy_file(entry)?,
        }
    }
    out.finish()?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACEHOLDER: &str = "<?xml version=\"1.0\"?><worksheet><dimension ref=\"A1:E2\"/>\
        <sheetViews/><sheetData><row r=\"1\"><c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t>P</t>\
        </is></c></row><row r=\"2\"><c r=\"A2\" s=\"3\"><v>0</v></c><c r=\"B2\" s=\"4\"><v>0</v>\
        </c><c r=\"C2\" s=\"5\"><v>0</v></c><c r=\"D2\" s=\"6\"><v>0</v></c><c r=\"E2\" \
        s=\"7\"><v>0</v></c></row></sheetData><autoFilter ref=\"A1:A10\"/></worksheet>";

    #[test]
    fn a_placeholder_is_cut_around_its_probe_row() {
        let key = cut(PLACEHOLDER, 0..9, 0).unwrap();
        assert_eq!(
            key.head,
            "<?xml version=\"1.0\"?><worksheet><dimension ref=\"A1:A10\"/><sheetViews/>\
             <sheetData><row r=\"1\"><c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t>P</t></is></c>\
             </row>"
        );
        assert_eq!(
            key.tail,
            "</sheetData><autoFilter ref=\"A1:A10\"/></worksheet>"
        );
        assert_eq!(
            key.styles,
            Styles {
                integer: 3,
                number: 4,
                percent: 5,
                rupiah: 6,
                date: 7
            }
        );
    }

    #[test]
    fn a_placeholder_without_its_probe_is_refused() {
        let without = PLACEHOLDER.replace("<row r=\"2\"", "<row r=\"3\"");
        assert_eq!(
            cut(&without, 0..9, 0).unwrap_err(),
            "the placeholder sheet has no probe row"
        );
        let short = PLACEHOLDER.replace("<c r=\"E2\" s=\"7\"><v>0</v></c>", "");
        assert!(cut(&short, 0..9, 0).is_err());
    }
}
