//! A pre-flight check of `.xls` bytes before calamine reads them.
//!
//! calamine 0.38 trusts the DIMENSIONS record of each sheet and reserves memory for every cell
//! it claims: a damaged file claiming 4 billion rows × 65,535 columns asks for hundreds of
//! gigabytes; and it turns each sheet's cells into a dense grid spanning the first to the last
//! cell, so one damaged cell record at column 60,000 asks for billions of cells. An allocation
//! failure aborts the whole process, which no `catch_unwind` can stop, so one damaged upload
//! would take the server down. This check finds the workbook stream in the compound file (the
//! `.xls` container) and walks its sheets the way calamine does, and refuses a file whose sheets
//! claim or span more cells than a form can need. It never allocates more than the file's size.

/// The most cells a sheet may claim: an `.xls` sheet has at most 65,536 rows and 256 columns,
/// and a form needs a tiny fraction of that.
const MAX_CELLS: u64 = 4_000_000;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const LAST_SECTOR_ID: u32 = 0xFFFF_FFFA;
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;

/// `Err` with a reason when `bytes` are a compound file whose workbook has a sheet larger than
/// an `.xls` file can hold. Anything that is not a compound file, or whose structure cannot be
/// followed, is left to calamine, which refuses it without allocating on its behalf.
pub(crate) fn check(bytes: &[u8]) -> Result<(), String> {
    let stream = match workbook_stream(bytes) {
        Ok(Some(stream)) => stream,
        Ok(None) => return Ok(()),
        Err(reason) => return Err(damaged(reason)),
    };
    // The sheets are where the workbook's BOUNDSHEET records say, as calamine reads them: a
    // damaged offset lands mid-record, and calamine then reads whatever records it finds there.
    let mut sheets = Vec::new();
    for (kind, data) in records(&stream) {
        match kind {
            0x0085 if data.len() >= 4 => sheets.push(u32_at(data, 0) as usize),
            0x000A => break,
            _ => {}
        }
    }
    for start in sheets {
        if let Some(sheet) = stream.get(start..) {
            check_sheet(sheet)?;
        }
    }
    Ok(())
}

/// Checks the records of one sheet, up to its EOF: the DIMENSIONS record, and the rectangle
/// spanned by the cells, which calamine turns into a dense grid.
fn check_sheet(sheet: &[u8]) -> Result<(), String> {
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut span: Option<(u32, u32, u32, u32)> = None;
    let mut include = |row: u32, col: u32| {
        span = Some(match span {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    };
    for (kind, data) in records(sheet) {
        if depth > 0 {
            match kind {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match kind {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x0200 => check_dimensions(data)?,
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                include(u32::from(u16_at(data, 0)), u32::from(u16_at(data, 2)));
            }
            0x00BD if data.len() >= 6 => {
                let row = u32::from(u16_at(data, 0));
                include(row, u32::from(u16_at(data, 2)));
                include(row, u32::from(u16_at(data, data.len() - 2)));
            }
            0x000A => break,
            _ => {}
        }
    }
    if let Some((r0, r1, c0, c1)) = span {
        let cells = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
        if cells > MAX_CELLS {
            return Err(damaged(&format!(
                "a sheet has cells from row {} to row {} and from column {} to column {}",
                r0 + 1,
                r1 + 1,
                c0 + 1,
                c1 + 1
            )));
        }
    }
    Ok(())
}

/// The records of a BIFF stream as `(type, data)`, stopping where a record would run past the
/// end (where calamine stops with an error).
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let kind = u16_at(rest, 0);
        let len = usize::from(u16_at(rest, 2));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((kind, data))
    })
}

fn damaged(reason: &str) -> String {
    format!(
        "the .xls file looks damaged ({reason}); open it and save it again, preferably as .xlsx"
    )
}

/// A DIMENSIONS record ([MS-XLS] 2.4.90), read as calamine reads it.
fn check_dimensions(data: &[u8]) -> Result<(), String> {
    let (first_row, last_row, last_col) = match data.len() {
        10 => (
            u64::from(u16_at(data, 0)),
            u64::from(u16_at(data, 2)),
            u64::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u64::from(u32_at(data, 0)),
            u64::from(u32_at(data, 4)),
            u64::from(u16_at(data, 10)),
        ),
        _ => return Ok(()),
    };
    // calamine counts (last_row - 1) - first_row + 1 rows when both ends are set, which wraps
    // around when the first row is past the last.
    let inverted = last_row >= 1 && last_col >= 1 && first_row >= last_row;
    let cells = last_row.saturating_sub(first_row).saturating_mul(last_col);
    if inverted || last_row > 65_536 || last_col > 256 || cells > MAX_CELLS {
        return Err(damaged(&format!(
            "a sheet claims rows {first_row} to {last_row} and {last_col} columns"
        )));
    }
    Ok(())
}

/// The `Workbook` (or `Book`) stream of a compound file, found as calamine finds it ([MS-CFB]).
///
/// `Ok(None)` when the bytes are not a compound file or calamine refuses them outright (wrong
/// header, no workbook stream). `Err` when the structure is damaged in a way calamine would
/// follow blindly: chains that loop (calamine reads the directory chain until it ends, so a loop
/// grows memory forever) or leave the file, mini sectors that are not there. A file written by
/// a spreadsheet program has none of these, so nothing readable is refused.
fn workbook_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
    const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.len() < 512 || !bytes.starts_with(&SIGNATURE) || u16_at(bytes, 32) != 6 {
        return Ok(None);
    }
    let large = match u16_at(bytes, 30) {
        9 => false,
        12 => true,
        _ => return Ok(None),
    };
    let size = if large { 4096 } else { 512 };
    let file = Sectors {
        bytes: bytes.get(size..).unwrap_or_default(),
        size,
    };

    // The FAT: sectors listed in the header's DIFAT, then in the DIFAT chain.
    let mut difat: Vec<u32> = (76..512).step_by(4).map(|at| u32_at(bytes, at)).collect();
    let mut next = u32_at(bytes, 68);
    let mut hops = 0;
    while next < LAST_SECTOR_ID {
        hops += 1;
        if hops > file.count() + 1 {
            return Err("its sector allocation table loops");
        }
        let sector = file.get(next)?;
        difat.extend(sector.chunks_exact(4).map(|c| u32_at(c, 0)));
        next = difat
            .pop()
            .ok_or("its sector allocation table is cut short")?;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|&id| id < DIFAT_SECTOR) {
        fat.extend(file.get(id)?.chunks_exact(4).map(|c| u32_at(c, 0)));
    }

    let directory = file.chain(u32_at(bytes, 48), &fat, usize::MAX)?;
    let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
    let root = *entries.first().ok_or("it has no directory")?;
    let stream_len = |entry: &[u8]| -> usize {
        if large {
            usize::try_from(u64::from(u32_at(entry, 120)) | u64::from(u32_at(entry, 124)) << 32)
                .unwrap_or(usize::MAX)
        } else {
            u32_at(entry, 120) as usize
        }
    };
    let named = |wanted: &str| {
        entries.iter().copied().find(|entry| {
            let units: Vec<u16> = (0..32).map(|i| u16_at(entry, i * 2)).collect();
            let name = String::from_utf16_lossy(&units);
            let name = name.split('\0').next().unwrap_or_default();
            name.eq_ignore_ascii_case(wanted)
        })
    };
    let Some(entry) = named("Workbook").or_else(|| named("Book")) else {
        return Ok(None);
    };
    let start = u32_at(entry, 116);
    let len = stream_len(entry);
    if len >= 4096 {
        return file.chain(start, &fat, len).map(Some);
    }
    // Small streams live in the mini stream, in 64-byte sectors with their own FAT.
    let mini_fat_sectors = u32_at(bytes, 64) as usize;
    if mini_fat_sectors == 0 {
        return Err("its small streams have no allocation table");
    }
    let mini_stream = file.chain(u32_at(root, 116), &fat, stream_len(root))?;
    let mini_fat_bytes = file.chain(
        u32_at(bytes, 60),
        &fat,
        mini_fat_sectors.saturating_mul(size),
    )?;
    let mini_fat: Vec<u32> = mini_fat_bytes
        .chunks_exact(4)
        .map(|c| u32_at(c, 0))
        .collect();
    let mini = Sectors {
        bytes: &mini_stream,
        size: 64,
    };
    mini.chain(start, &mini_fat, len).map(Some)
}

/// Sectors of a compound file (or of its mini stream), numbered from 0.
struct Sectors<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl Sectors<'_> {
    /// How many sectors there are (the last may be cut short).
    fn count(&self) -> usize {
        self.bytes.len().div_ceil(self.size)
    }

    fn get(&self, id: u32) -> Result<&[u8], &'static str> {
        let start = (id as usize).saturating_mul(self.size);
        if start >= self.bytes.len() {
            return Err("a sector lies past the end of the file");
        }
        Ok(&self.bytes[start..(start + self.size).min(self.bytes.len())])
    }

    /// The sectors of a chain, cut to `len` bytes.
    fn chain(&self, mut id: u32, fat: &[u32], len: usize) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::new();
        let mut hops = 0;
        while id != END_OF_CHAIN && out.len() < len {
            hops += 1;
            if hops > self.count() {
                return Err("a chain of sectors loops");
            }
            let sector = self.get(id)?;
            out.extend_from_slice(&sector[..sector.len().min(len - out.len())]);
            if out.len() >= len {
                break;
            }
            id = *fat
                .get(id as usize)
                .ok_or("a sector is missing from the allocation table")?;
        }
        Ok(out)
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_formats_pass() {
        assert!(check(b"PK\x03\x04 an xlsx").is_ok());
        assert!(check(b"").is_ok());
    }

    #[test]
    fn dimensions_are_checked_as_calamine_reads_them() {
        let biff8 = |first: u32, last: u32, cols: u16| {
            let mut data = Vec::new();
            data.extend_from_slice(&first.to_le_bytes());
            data.extend_from_slice(&last.to_le_bytes());
            data.extend_from_slice(&0u16.to_le_bytes());
            data.extend_from_slice(&cols.to_le_bytes());
            data.extend_from_slice(&0u16.to_le_bytes());
            data
        };
        assert!(check_dimensions(&biff8(0, 40, 18)).is_ok());
        assert!(check_dimensions(&biff8(0, 0, 0)).is_ok());
        let error = check_dimensions(&biff8(0, u32::MAX, 65_535)).unwrap_err();
        assert!(error.contains("claims rows 0 to 4294967295"), "{error}");
        assert!(check_dimensions(&biff8(50, 10, 3)).is_err());
        assert!(check_dimensions(&biff8(0, 65_536, 256)).is_err());
    }

    #[test]
    fn cells_spanning_a_huge_grid_are_refused() {
        let record = |kind: u16, data: &[u8]| {
            let mut out = kind.to_le_bytes().to_vec();
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
            out
        };
        let number = |row: u16, col: u16| {
            let mut data = row.to_le_bytes().to_vec();
            data.extend_from_slice(&col.to_le_bytes());
            data.extend_from_slice(&[0; 10]);
            record(0x0203, &data)
        };
        let sheet = |cells: &[(u16, u16)]| {
            let mut out = record(0x0809, &[0; 16]);
            for &(row, col) in cells {
                out.extend(number(row, col));
            }
            out.extend(record(0x000A, &[]));
            out
        };
        assert!(check_sheet(&sheet(&[(0, 0), (40, 12)])).is_ok());
        let error = check_sheet(&sheet(&[(0, 0), (48_387, 51_200)])).unwrap_err();
        assert!(error.contains("from row 1 to row 48388"), "{error}");
    }
}
