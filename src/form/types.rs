//! Reading the `type` column: what pantau supports, what it refuses (and why), what it does not
//! know.
//!
//! Spelling follows pyxform: `select_one LIST` or `select one LIST`, `begin group` or
//! `begin_group`, types in any case, runs of spaces as one. The aliases pyxform accepts for the
//! supported types (`string`, `int`, `select all that apply`, `trigger`) are accepted too.
//!
//! Metadata: `start`, `end` and `today` are filled by the server. Of the device and user metadata
//! of ODK Collect, `deviceid` gets the server's name (`<host>:web`, as Enketo does) and
//! `username` who answered (`participant`); the others (`phonenumber`, `email`, `audit`, …)
//! mean nothing in a browser. Kobo adds some of them to every form, so they all load with a
//! warning that says what the field will hold.
//! Everything that would make pantau drop a question (repeats, locations, media, ranges, time) is
//! an error that says what to do instead.

use super::columns::closest;
use super::model::{FieldKind, Metadata};

/// What a `type` cell declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeSpec {
    Field(FieldKind),
    BeginGroup,
    EndGroup,
    /// A metadata type pantau accepts but cannot fill; the warning to give.
    Unfilled(Metadata, String),
    /// A type pantau refuses; the message says why and what to use instead.
    Refused(String),
    /// A select without a list, or with something extra after it.
    BadSelect(String),
    /// Not an XLSForm type pantau knows; the message may suggest one.
    Unknown(String),
}

const KNOWN: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "date",
    "select_one",
    "select_multiple",
    "note",
    "calculate",
    "acknowledge",
    "hidden",
    "begin_group",
    "end_group",
    "start",
    "end",
    "today",
];

/// Reads a trimmed, non-empty `type` cell.
pub(crate) fn parse_type(cell: &str) -> TypeSpec {
    let words: Vec<&str> = cell.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    // "select one x" and "select_one x" are the same; so are "begin group" and "begin_group".
    let (keyword, rest) = match lower.as_slice() {
        [a, b, ..] if matches!((a.as_str(), b.as_str()), ("select", "one" | "multiple")) => {
            (format!("select_{b}"), &words[2..])
        }
        [a, b, c, ..] if (a, b, c) == (&"select".into(), &"all".into(), &"that".into()) => {
            // "select all that apply LIST"
            let skip = if lower.get(3).map(String::as_str) == Some("apply") {
                4
            } else {
                3
            };
            (
                "select_multiple".to_string(),
                &words[skip.min(words.len())..],
            )
        }
        [a, b, ..]
            if matches!(a.as_str(), "begin" | "end")
                && matches!(b.as_str(), "group" | "repeat") =>
        {
            (format!("{a}_{b}"), &words[2..])
        }
        [a, ..] => (a.replace('-', "_").clone(), &words[1..]),
        [] => return TypeSpec::Unknown("the type is empty".to_string()),
    };
    let keyword = match keyword.as_str() {
        "select1" => "select_one".to_string(),
        _ => keyword,
    };
    if keyword == "select_one" || keyword == "select_multiple" {
        return select(&keyword, rest);
    }
    let spec = simple(&keyword, words[0]);
    let takes_words = matches!(
        spec,
        TypeSpec::BeginGroup | TypeSpec::EndGroup | TypeSpec::Refused(_) | TypeSpec::Unknown(_)
    );
    if !rest.is_empty() && !takes_words {
        return TypeSpec::Unknown(format!(
            "unknown type {cell}: only select_one and select_multiple take a list name"
        ));
    }
    if let TypeSpec::Unknown(_) = spec {
        let suggestion = closest(&keyword, KNOWN)
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        return TypeSpec::Unknown(format!("unknown type {cell}{suggestion}"));
    }
    spec
}

/// The types that are one word (or `begin group`), by their normalised keyword; `written` is
/// the first word as the author wrote it, for messages.
fn simple(keyword: &str, written: &str) -> TypeSpec {
    let field = TypeSpec::Field;
    match keyword {
        "text" | "string" => field(FieldKind::Text),
        "integer" | "int" => field(FieldKind::Integer),
        "decimal" => field(FieldKind::Decimal),
        "date" => field(FieldKind::Date),
        "note" => field(FieldKind::Note),
        "calculate" => field(FieldKind::Calculate),
        "acknowledge" | "trigger" => field(FieldKind::Acknowledge),
        "hidden" => field(FieldKind::Hidden),
        "start" => field(FieldKind::Metadata(Metadata::Start)),
        "end" => field(FieldKind::Metadata(Metadata::End)),
        "today" => field(FieldKind::Metadata(Metadata::Today)),
        "begin_group" => TypeSpec::BeginGroup,
        "end_group" => TypeSpec::EndGroup,
        "deviceid" | "subscriberid" | "simserial" | "phonenumber" | "username" | "email"
        | "audit" => {
            let name: &'static str = match keyword {
                "deviceid" => "deviceid",
                "subscriberid" => "subscriberid",
                "simserial" => "simserial",
                "phonenumber" => "phonenumber",
                "username" => "username",
                "email" => "email",
                _ => "audit",
            };
            let holds = match name {
                "deviceid" => "holds the server's name (host:web), as Enketo does",
                "username" => "holds who answered (participant)",
                _ => "stays empty",
            };
            TypeSpec::Unfilled(
                Metadata::Unfilled(name),
                format!(
                    "{name} is not collected by pantau (there is no device to ask); the field {holds}"
                ),
            )
        }
        "begin_repeat" | "end_repeat" | "repeat" => TypeSpec::Refused(
            "repeats are not supported by pantau: ask about a fixed number of items with separate \
             questions, or ask for a count"
                .to_string(),
        ),
        "geopoint" | "geotrace" | "geoshape" | "start_geopoint" | "background_geopoint" => {
            TypeSpec::Refused(format!(
                "locations ({}) are not supported by pantau: ask for the village or district as \
                 text or select_one",
                written
            ))
        }
        "image" | "audio" | "video" | "file" | "background_audio" | "signature" | "photo" => {
            TypeSpec::Refused(format!(
                "media uploads ({}) are not supported by pantau: participants answer on prepaid \
                 data, so ask in words",
                written
            ))
        }
        "barcode" => TypeSpec::Refused(
            "barcode questions are not supported by pantau: ask for the number as text".to_string(),
        ),
        "range" => TypeSpec::Refused(
            "range questions are not supported by pantau: use integer with a constraint such as \
             . >= 1 and . <= 10"
                .to_string(),
        ),
        "rank" => TypeSpec::Refused(
            "rank questions are not supported by pantau: ask select_one questions for the first, \
             second, … choice"
                .to_string(),
        ),
        "time" | "datetime" | "datetime_local" => TypeSpec::Refused(format!(
            "{} questions are not supported by pantau: use date, or text for a time of day",
            written
        )),
        "select_one_from_file" | "select_multiple_from_file" | "select_one_external" => {
            TypeSpec::Refused(format!(
                "{} is not supported by pantau: put the choices in the choices sheet",
                written
            ))
        }
        "xml_external" | "csv_external" | "osm" | "entity" => TypeSpec::Refused(format!(
            "{} is not supported by pantau: pantau forms use only their own sheets",
            written
        )),
        _ => TypeSpec::Unknown(String::new()),
    }
}

fn select(keyword: &str, rest: &[&str]) -> TypeSpec {
    match rest {
        [] => TypeSpec::BadSelect(format!(
            "{keyword} needs the name of a choice list, like {keyword} yes_no"
        )),
        [list] => {
            let list = list.to_string();
            TypeSpec::Field(if keyword == "select_one" {
                FieldKind::SelectOne { list }
            } else {
                FieldKind::SelectMultiple { list }
            })
        }
        [_, extra, ..] if extra.eq_ignore_ascii_case("or_other") => TypeSpec::Refused(
            "or_other is not supported by pantau: add an 'other' choice and a text question \
             relevant when it is selected"
                .to_string(),
        ),
        [list, extra, ..] => TypeSpec::BadSelect(format!(
            "unexpected {extra} after the list name {list}: a choice list name has no spaces"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyxform_spellings_are_accepted() {
        let one = TypeSpec::Field(FieldKind::SelectOne {
            list: "yes_no".into(),
        });
        assert_eq!(parse_type("select_one yes_no"), one);
        assert_eq!(parse_type("select one   yes_no"), one);
        assert_eq!(parse_type("Select_One yes_no"), one);
        assert_eq!(
            parse_type("select all that apply fruit"),
            TypeSpec::Field(FieldKind::SelectMultiple {
                list: "fruit".into()
            })
        );
        assert_eq!(parse_type("begin group"), TypeSpec::BeginGroup);
        assert_eq!(parse_type("end_group"), TypeSpec::EndGroup);
        assert_eq!(parse_type("string"), TypeSpec::Field(FieldKind::Text));
    }

    #[test]
    fn unsupported_types_are_refused_with_a_reason() {
        for t in [
            "begin repeat",
            "geopoint",
            "image",
            "range",
            "rank x",
            "time",
        ] {
            match parse_type(t) {
                TypeSpec::Refused(message) => assert!(message.contains("not supported"), "{t}"),
                other => panic!("{t}: {other:?}"),
            }
        }
        assert!(matches!(parse_type("select_one"), TypeSpec::BadSelect(_)));
        assert!(matches!(
            parse_type("select_one a or_other"),
            TypeSpec::Refused(_)
        ));
        assert_eq!(
            parse_type("textt"),
            TypeSpec::Unknown("unknown type textt (did you mean text?)".into())
        );
    }
}
