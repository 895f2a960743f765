//! The plain sections of `pantau.toml`: programme, paths, server, reporting, recipients, SMTP and
//! roster aliases. Waves and indicators have their own files.
//!
//! Values that can be checked on their own (a time zone, a URL) are checked while deserializing,
//! so that toml attaches the line; checks across sections live in `validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, de};

/// `[programme]`: who runs the follow-up and how participants are addressed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programme {
    /// The programme's name, shown to participants and on workbook covers.
    pub name: String,
    /// Country the programme runs in, for workbook covers.
    pub country: String,
    /// IANA time zone used for dates, windows and schedules (default `Asia/Jakarta`).
    #[serde(deserialize_with = "time_zone")]
    pub time_zone: chrono_tz::Tz,
    /// Language participants see first (`id`).
    pub default_language: String,
    /// Languages offered, matching the forms' `label::… (xx)` columns.
    pub languages: Vec<String>,
    /// How participants reach the programme (phone, WhatsApp), shown when a survey window is
    /// closed or a link is wrong. Empty shows no contact line.
    pub contact: String,
    /// Months personal data is kept after a participant's last wave before it is erased.
    pub retention_months: u32,
}

/// `[paths]`: where pantau keeps its files, relative to the config file's directory unless
/// absolute. Use the `Config` accessors for the resolved paths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// SQLite database file.
    pub database: PathBuf,
    /// Folder of XLSForm files.
    pub forms: PathBuf,
    /// Folder watched for roster files.
    pub inbox: PathBuf,
    /// Folder workbooks are written to.
    pub reports: PathBuf,
    /// Folder `.eml` files are written to when no SMTP host is set.
    pub outbox: PathBuf,
}

/// `[server]`: the web server for surveys and the admin area.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// `host:port` to listen on.
    #[serde(deserialize_with = "address")]
    pub address: String,
    /// The URL participants' links start with, `http` or `https`, kept without a trailing `/`.
    #[serde(deserialize_with = "base_url")]
    pub public_base_url: String,
    /// Largest survey or form request body accepted, in KiB.
    pub max_body_kb: u32,
    /// Largest roster upload on the admin page, in MiB.
    pub max_upload_mb: u32,
    /// Survey page views (`/s/{token}`) allowed per client IP per minute.
    pub token_pages_per_minute: u32,
    /// Form posts (answers, login) allowed per client IP per minute.
    pub posts_per_minute: u32,
    /// Addresses or ranges (`10.0.0.0/8`, `::1`) of the reverse proxies in front of pantau.
    /// Only a request arriving from one of them has its client address taken from
    /// `X-Forwarded-For`; from anywhere else that header is ignored, since anyone can send it.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `[reporting]`: how indicators are broken down and protected.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reporting {
    /// Participant fields each indicator is broken down by, in table order.
    pub disaggregations: Vec<String>,
    /// Cells counting fewer participants than this are suppressed (with a complementary cell).
    pub suppression_threshold: u32,
}

/// Which workbook a recipient group receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkbookVariant {
    /// No personal data at all.
    Donor,
    /// The donor workbook plus non-respondents, data-quality flags and import errors.
    Manager,
}

/// `[[recipients]]`: one group of people who receive a report on a schedule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// Name of the group, unique (`managers`, `donors`).
    pub group: String,
    /// Email addresses; an empty list sends nothing.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Name of an entry in `[schedules]`.
    pub schedule: String,
    /// Which workbook is attached.
    pub workbook: WorkbookVariant,
    /// Language of the email and workbook; one of `programme.languages`.
    pub language: String,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tls {
    /// Plain connection upgraded with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

/// `[smtp]`: the mail server. The password comes from `PANTAU_SMTP_PASSWORD`, never the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Mail server host; `None` writes emails as `.eml` files into the outbox folder instead.
    pub host: Option<String>,
    /// Port; `None` means the usual one for `tls` (see [`Smtp::port`]).
    pub port: Option<u16>,
    /// Connection security.
    pub tls: Tls,
    /// Login name; the password is read from `PANTAU_SMTP_PASSWORD`.
    pub username: Option<String>,
    /// Sender, such as `Pantau <pantau@example.org>`.
    pub from: String,
}

impl Smtp {
    /// The configured port, or the usual one for the TLS mode: 587, 465 or 25.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Starttls => 587,
            Tls::Tls => 465,
            Tls::None => 25,
        })
    }
}

/// `[roster]`: settings for roster imports.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterSettings {
    /// Extra header spellings per canonical field name, added to the built-in aliases.
    pub aliases: BTreeMap<String, Vec<String>>,
}

fn time_zone<'de, D: Deserializer<'de>>(deserializer: D) -> Result<chrono_tz::Tz, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse().map_err(|_| {
        de::Error::custom(format!(
            "unknown time zone `{name}`: use an IANA name such as `Asia/Jakarta`, \
             `Asia/Makassar` or `Asia/Jayapura`"
        ))
    })
}

fn address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let address = String::deserialize(deserializer)?;
    let valid = address
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if valid {
        Ok(address)
    } else {
        Err(de::Error::custom(format!(
            "`{address}` is not `host:port`, such as `127.0.0.1:8080` or `0.0.0.0:80`"
        )))
    }
}

fn networks<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let entries = Vec::<String>::deserialize(deserializer)?;
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            // A bare address is a range of one.
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    de::Error::custom(format!(
                        "`{entry}` is not an IP address or range, such as `127.0.0.1`, \
                         `10.0.0.0/8` or `::1`"
                    ))
                })
        })
        .collect()
}

fn base_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let url = String::deserialize(deserializer)?;
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    let valid = match host {
        Some(host) => {
            !host.is_empty() && !url.contains(char::is_whitespace) && !url.contains(['?', '#'])
        }
        None => false,
    };
    if valid {
        Ok(url.trim_end_matches('/').to_string())
    } else {
        Err(de::Error::custom(format!(
            "`{url}` is not an http or https URL such as `https://survey.example.org`"
        )))
    }
}
