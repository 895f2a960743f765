//! A participant sheet's entry assembled from separately compressed parts.
//!
//! Why: the Indonesian and English participant sheets differ only in their header row, and one
//! sheet is most of a run's compression. A raw deflate stream may be cut where a compressor was
//! sync-flushed (the flush ends on a byte boundary with an empty stored block, and nothing after
//! it refers back before it), so each sheet's entry is its own compressed head followed by the
//! data rows compressed once for both languages, in several parts on threads of their own. The
//! entry's CRC-32 is combined from the parts' CRCs (`crc32fast`'s `combine`), so nothing is
//! read twice. The decompressed sheet is the same bytes as before; only how it was compressed
//! differs.
//!
//! The entry is written as the only one of a small package in a temporary file, which
//! [`super::splice`] copies, still compressed, into the workbook as it does any other entry.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress, Status};

/// Deflate level of the participant sheets' parts. zlib-rs (a port of zlib-ng) compresses
/// level 2 with its fast strategy and level 3 (the rest of the package's [`super::ZIP_LEVEL`])
/// with its medium one: on a 105 MB participant sheet of 100,000 rows, level 2 took 0.73 s and
/// gave 12.7 MB where level 3 took 1.28 s for 11.8 MB (one core, BENCHMARKS.md, the job): 43 %
/// less time for an 8 % larger sheet. Stock zlib has no such step between its levels, which is
/// why an earlier measurement with Python's zlib found lowering the level not worth it.
const PARTS_LEVEL: u32 = 2;

/// One part of a deflate stream: its compressed bytes (in memory or a temporary file), how
/// many bytes it decompresses to, and their CRC-32.
pub(crate) struct Part {
    data: PartData,
    compressed: u64,
    plain: Hasher,
    plain_len: u64,
}

enum PartData {
    Memory(Vec<u8>),
    File(File),
}

/// Compresses what is written to it as one part of a raw deflate stream.
pub(crate) struct PartWriter<W: Write> {
    compress: Compress,
    out: W,
    buffer: Vec<u8>,
    plain: Hasher,
    plain_len: u64,
}

impl<W: Write> PartWriter<W> {
    pub(crate) fn new(out: W) -> PartWriter<W> {
        PartWriter {
            compress: Compress::new(Compression::new(PARTS_LEVEL), false),
            out,
            buffer: vec![0; 1 << 16],
            plain: Hasher::new(),
            plain_len: 0,
        }
    }

    /// Compresses `input` (output may be held back until the part ends).
    pub(crate) fn write(&mut self, input: &[u8]) -> std::io::Result<()> {
        self.plain.update(input);
        self.plain_len += input.len() as u64;
        self.run(input, FlushCompress::None)
    }

    /// Ends the part: sync-flushed when another part follows, finished when it is the last.
    fn end(&mut self, last: bool) -> std::io::Result<()> {
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        self.run(&[], flush)?;
        self.out.flush()
    }

    fn run(&mut self, mut input: &[u8], flush: FlushCompress) -> std::io::Result<()> {
        loop {
            let (before_in, before_out) = (self.compress.total_in(), self.compress.total_out());
            let status = self
                .compress
                .compress(input, &mut self.buffer, flush)
                .map_err(std::io::Error::other)?;
            let consumed = (self.compress.total_in() - before_in) as usize;
            let produced = (self.compress.total_out() - before_out) as usize;
            input = &input[consumed..];
            self.out.write_all(&self.buffer[..produced])?;
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                // Sync and none: done once the input is taken and the output did not fill
                // the buffer (a full buffer may mean more is waiting).
                _ => input.is_empty() && produced < self.buffer.len(),
            };
            if done {
                return Ok(());
            }
            if status == Status::BufError && consumed == 0 && produced == 0 {
                return Err(std::io::Error::other("the compressor made no progress"));
            }
        }
    }
}

impl PartWriter<Vec<u8>> {
    /// Ends a part kept in memory.
    pub(crate) fn into_part(mut self, last: bool) -> std::io::Result<Part> {
        self.end(last)?;
        Ok(Part {
            compressed: self.out.len() as u64,
            data: PartData::Memory(self.out),
            plain: self.plain,
            plain_len: self.plain_len,
        })
    }
}

impl PartWriter<BufWriter<File>> {
    /// Ends a part written to a temporary file.
    pub(crate) fn into_part(mut self, last: bool) -> std::io::Result<Part> {
        self.end(last)?;
        let mut file = self.out.into_inner().map_err(|err| err.into_error())?;
        let compressed = file.stream_position()?;
        Ok(Part {
            data: PartData::File(file),
            compressed,
            plain: self.plain,
            plain_len: self.plain_len,
        })
    }
}

/// A part compressed from `bytes` in memory (a sheet's head).
pub(crate) fn part_of(bytes: &[u8], last: bool) -> std::io::Result<Part> {
    let mut writer = PartWriter::new(Vec::new());
    writer.write(bytes)?;
    writer.into_part(last)
}

/// Field sizes a plain (not Zip64) header can hold; larger entries carry a Zip64 field.
const ZIP32_LIMIT: u64 = 0xFFFF_FFFF;

/// Writes a package whose only entry, `name`, is `parts` joined in order (all but the last
/// sync-flushed, the last finished) into a new temporary file. `force_zip64` writes the Zip64
/// fields even for a small entry (for tests; large entries get them anyway).
pub(crate) fn package(name: &str, parts: &[&Part], force_zip64: bool) -> std::io::Result<File> {
    let mut crc = Hasher::new();
    let (mut plain_len, mut compressed) = (0u64, 0u64);
    for part in parts.iter() {
        crc.combine(&part.plain);
        plain_len += part.plain_len;
        compressed += part.compressed;
    }
    let crc = crc.finalize();
    let zip64 = force_zip64 || plain_len >= ZIP32_LIMIT || compressed >= ZIP32_LIMIT;
    let name = name.as_bytes();
    let name_len = u16::try_from(name.len()).map_err(std::io::Error::other)?;
    // Zip64 extended information: sizes (uncompressed first), then the header's offset (0)
    // in the central directory.
    let local_extra = zip64_field(&[plain_len, compressed]);
    let central_extra = zip64_field(&[plain_len, compressed, 0]);
    let (version, short_plain, short_compressed) = if zip64 {
        (45u16, ZIP32_LIMIT as u32, ZIP32_LIMIT as u32)
    } else {
        (20u16, plain_len as u32, compressed as u32)
    };

    let mut out = BufWriter::new(tempfile::tempfile()?);
    let mut local = Vec::with_capacity(64);
    local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    local.extend_from_slice(&version.to_le_bytes());
    local.extend_from_slice(&[0, 0, 8, 0]); // flags, method 8 (deflate)
    local.extend_from_slice(&[0, 0, 0x21, 0]); // time 00:00:00, date 1980-01-01
    local.extend_from_slice(&crc.to_le_bytes());
    local.extend_from_slice(&short_compressed.to_le_bytes());
    local.extend_from_slice(&short_plain.to_le_bytes());
    local.extend_from_slice(&name_len.to_le_bytes());
    let local_extra: &[u8] = if zip64 { &local_extra } else { &[] };
    local.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
    local.extend_from_slice(name);
    local.extend_from_slice(local_extra);
    out.write_all(&local)?;
    for part in parts {
        match &part.data {
            PartData::Memory(bytes) => out.write_all(bytes)?,
            PartData::File(file) => {
                // Read through a shared reference: the parts of a body serve several sheets,
                // packaged one after another.
                let mut file: &File = file;
                file.seek(SeekFrom::Start(0))?;
                let copied =
                    std::io::copy(&mut Read::by_ref(&mut file).take(part.compressed), &mut out)?;
                if copied != part.compressed {
                    return Err(std::io::Error::other("a compressed part was cut short"));
                }
            }
        }
    }
    let directory_at = local.len() as u64 + compressed;

    let central_extra: &[u8] = if zip64 { &central_extra } else { &[] };
    let mut central = Vec::with_capacity(96);
    central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    central.extend_from_slice(&(0x0300u16 | version).to_le_bytes()); // made by: Unix
    central.extend_from_slice(&version.to_le_bytes());
    central.extend_from_slice(&[0, 0, 8, 0, 0, 0, 0x21, 0]);
    central.extend_from_slice(&crc.to_le_bytes());
    central.extend_from_slice(&short_compressed.to_le_bytes());
    central.extend_from_slice(&short_plain.to_le_bytes());
    central.extend_from_slice(&name_len.to_le_bytes());
    central.extend_from_slice(&(central_extra.len() as u16).to_le_bytes());
    central.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // comment length, disk, internal attributes
    central.extend_from_slice(&(0o100600u32 << 16).to_le_bytes()); // a file, rw-------
    let offset: u32 = if zip64 { ZIP32_LIMIT as u32 } else { 0 };
    central.extend_from_slice(&offset.to_le_bytes());
    central.extend_from_slice(name);
    central.extend_from_slice(central_extra);
    out.write_all(&central)?;

    let directory_len = central.len() as u64;
    if zip64 {
        let end64_at = directory_at + directory_len;
        let mut end64 = Vec::with_capacity(76);
        end64.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        end64.extend_from_slice(&44u64.to_le_bytes());
        end64.extend_from_slice(&(0x0300u16 | version).to_le_bytes());
        end64.extend_from_slice(&version.to_le_bytes());
        end64.extend_from_slice(&[0; 8]); // this disk, directory's disk
        end64.extend_from_slice(&1u64.to_le_bytes());
        end64.extend_from_slice(&1u64.to_le_bytes());
        end64.extend_from_slice(&directory_len.to_le_bytes());
        end64.extend_from_slice(&directory_at.to_le_bytes());
        end64.extend_from_slice(&0x0706_4b50u32.to_le_bytes()); // locator
        end64.extend_from_slice(&0u32.to_le_bytes());
        end64.extend_from_slice(&end64_at.to_le_bytes());
        end64.extend_from_slice(&1u32.to_le_bytes());
        out.write_all(&end64)?;
    }
    let short_at = if zip64 || directory_at >= ZIP32_LIMIT {
        ZIP32_LIMIT as u32
    } else {
        directory_at as u32
    };
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    end.extend_from_slice(&(directory_len as u32).to_le_bytes());
    end.extend_from_slice(&short_at.to_le_bytes());
    end.extend_from_slice(&[0, 0]);
    out.write_all(&end)?;
    out.into_inner().map_err(|err| err.into_error())
}

/// A Zip64 extended information field holding `values`.
fn zip64_field(values: &[u64]) -> Vec<u8> {
    let mut field = Vec::with_capacity(4 + 8 * values.len());
    field.extend_from_slice(&1u16.to_le_bytes());
    field.extend_from_slice(&((8 * values.len()) as u16).to_le_bytes());
    for value in values {
        field.extend_from_slice(&value.to_le_bytes());
    }
    field
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use zip::ZipArchive;

    use super::*;

    fn body() -> Vec<u8> {
        (0..200_000u32)
            .map(|i| format!("<row r=\"{i}\"><c><v>{}</v></c></row>", i * 7919 % 1013))
            .collect::<String>()
            .into_bytes()
    }

    fn read_back(file: &File) -> Vec<u8> {
        let mut archive = ZipArchive::new(BufReader::new(file)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "sheet.xml");
        let mut plain = Vec::new();
        // Reading to the end checks the CRC.
        entry.read_to_end(&mut plain).unwrap();
        plain
    }

    fn parts(head: &[u8], body: &[u8]) -> Vec<Part> {
        let middle = body.len() / 3;
        let mut first = PartWriter::new(BufWriter::new(tempfile::tempfile().unwrap()));
        first.write(&body[..middle]).unwrap();
        let mut last = PartWriter::new(Vec::new());
        last.write(&body[middle..]).unwrap();
        vec![
            part_of(head, false).unwrap(),
            first.into_part(false).unwrap(),
            last.into_part(true).unwrap(),
        ]
    }

    #[test]
    fn joined_parts_read_back_as_the_whole() {
        let body = body();
        for zip64 in [false, true] {
            let parts = parts(b"<worksheet><sheetData>", &body);
            let refs: Vec<&Part> = parts.iter().collect();
            let file = package("sheet.xml", &refs, zip64).unwrap();
            let mut expected = b"<worksheet><sheetData>".to_vec();
            expected.extend_from_slice(&body);
            assert_eq!(read_back(&file), expected, "zip64: {zip64}");
        }
    }

    #[test]
    fn one_body_serves_two_heads() {
        let body = body();
        let shared = parts(b"<unused>", &body);
        for head in [&b"<kepala>"[..], &b"<head>"[..]] {
            let head_part = part_of(head, false).unwrap();
            let mut refs: Vec<&Part> = vec![&head_part];
            refs.extend(shared.iter().skip(1));
            let file = package("sheet.xml", &refs, false).unwrap();
            let mut expected = head.to_vec();
            expected.extend_from_slice(&body);
            assert_eq!(read_back(&file), expected);
        }
    }
}
