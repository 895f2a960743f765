//! A small, careful reader for the one `multipart/form-data` body the admin area takes: a roster
//! upload. The body is already in memory (its size checked against `[server] max_upload_mb`);
//! this finds one named file part in it. Malformed bodies are an error, never a panic.

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file name the browser sent, without any folder.
    pub file_name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Why a multipart body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MultipartError {
    /// The Content-Type has no boundary.
    #[error("the upload is not multipart/form-data with a boundary")]
    NoBoundary,
    /// The body does not follow the multipart format.
    #[error("the upload is malformed")]
    Malformed,
    /// No file part with the expected field name.
    #[error("the upload has no file in the field {0:?}")]
    NoFile(String),
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let (kind, params) = content_type
        .split_once(';')
        .ok_or(MultipartError::NoBoundary)?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or(MultipartError::NoBoundary)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The `name="…"` or `filename="…"` parameter of a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// The file sent in field `field` of `body`, delimited by `boundary`.
pub fn file_part(body: &[u8], boundary: &str, field: &str) -> Result<Upload, MultipartError> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut at =
        find(body, delimiter.as_bytes(), 0).ok_or(MultipartError::Malformed)? + delimiter.len();
    loop {
        let rest = body.get(at..).ok_or(MultipartError::Malformed)?;
        if rest.starts_with(b"--") {
            return Err(MultipartError::NoFile(field.to_owned()));
        }
        if !rest.starts_with(b"\r\n") {
            return Err(MultipartError::Malformed);
        }
        let head_start = at + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or(MultipartError::Malformed)?;
        let head = std::str::from_utf8(&body[head_start..head_end])
            .map_err(|_| MultipartError::Malformed)?;
        let content_start = head_end + 4;
        let content_end = find(body, next_delimiter.as_bytes(), content_start)
            .ok_or(MultipartError::Malformed)?;
        let disposition = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default();
        if disposition_param(&disposition, "name").as_deref() == Some(field)
            && let Some(file_name) = disposition_param(&disposition, "filename")
        {
            // Browsers on Windows once sent the whole path; keep the last component only.
            let file_name = file_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .to_owned();
            if file_name.is_empty() {
                return Err(MultipartError::NoFile(field.to_owned()));
            }
            return Ok(Upload {
                file_name,
                bytes: body[content_start..content_end].to_vec(),
            });
        }
        at = content_end + next_delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, bytes) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            let disposition = match file {
                Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
                None => format!("form-data; name=\"{name}\""),
            };
            out.extend_from_slice(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn finds_the_named_file_among_other_fields() {
        let data = body(&[
            ("note", None, b"hello"),
            (
                "roster",
                Some("C:\\Users\\sari\\roster.xlsx"),
                b"PK\x03\x04\r\nbinary--XyZ",
            ),
        ]);
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let upload = file_part(&data, &b, "roster").unwrap();
        assert_eq!(upload.file_name, "roster.xlsx");
        assert_eq!(upload.bytes, b"PK\x03\x04\r\nbinary--XyZ");
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert_eq!(boundary("text/plain"), Err(MultipartError::NoBoundary));
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
        let b = "XyZ";
        assert_eq!(
            file_part(b"junk", b, "roster"),
            Err(MultipartError::Malformed)
        );
        assert_eq!(
            file_part(b"--XyZ\r\nContent-Disposition: form-data; name=\"roster\"; filename=\"a.csv\"\r\n\r\nno end", b, "roster"),
            Err(MultipartError::Malformed)
        );
        let data = body(&[("note", None, b"hello")]);
        assert_eq!(
            file_part(&data, b, "roster"),
            Err(MultipartError::NoFile("roster".into()))
        );
        for cut in 0..data.len() {
            let _ = file_part(&data[..cut], b, "roster");
        }
    }
}
