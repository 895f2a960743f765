//! The compound file around an `.xls` workbook ([MS-CFB]) and the BIFF records inside it
//! ([MS-XLS]): just enough to find the workbook stream and walk its records, as calamine does,
//! without ever allocating more than the file's own size. A damaged structure is an `Err` with
//! a reason in plain words.

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const LAST_SECTOR_ID: u32 = 0xFFFF_FFFA;
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;

/// The `Workbook` (or `Book`) stream of a compound file, found as calamine finds it ([MS-CFB]).
///
/// `Ok(None)` when the bytes are not a compound file or calamine refuses them outright (wrong
/// header, no workbook stream). `Err` when the structure is damaged in a way calamine would
/// follow blindly: chains that loop (calamine reads the directory chain until it ends, so a loop
/// grows memory forever) or leave the file, mini sectors that are not there. A file written by
/// a spreadsheet program has none of these, so nothing readable is refused.
pub(super) fn workbook_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
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

pub(super) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// The records of a BIFF stream as `(type, data)`, stopping where a record would run past the
/// end (where calamine stops with an error).
pub(super) fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
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
