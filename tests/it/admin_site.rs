//! The admin area's test site, shared by `admin.rs` and `admin_pages.rs`: a server on
//! 127.0.0.1:0 with a temporary database, users created with `accounts::users::add`,
//! participants and invitations inserted with SQL, and a small blocking HTTP client on
//! `std::net::TcpStream` that keeps the session cookie, logs in and reads forms' hidden fields.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use chrono::Utc;
use pantau::accounts::users::{NewUser, add};
use pantau::accounts::{Role, Scope};
use pantau::config::Config;
use regex::Regex;
use rusqlite::{Connection, params};
use tempfile::TempDir;

pub(crate) const PASSWORD: &str = "a long test password";

/// A running server with its configuration.
pub(crate) struct Site {
    pub(crate) dir: TempDir,
    pub(crate) port: u16,
    pub(crate) config: Config,
}

impl Site {
    /// Starts a server with one wave; `server` is extra `[server]` configuration.
    pub(crate) fn start(server: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let forms = dir.path().join("forms");
        std::fs::create_dir_all(&forms).unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
        std::fs::copy(shipped.join("followup.xlsx"), forms.join("followup.xlsx")).unwrap();
        let config_path = dir.path().join("pantau.toml");
        let text = format!(
            "[paths]\ndatabase = \"pantau.db\"\nforms = \"forms\"\nreports = \"reports\"\n\
             [server]\n{server}\n\
             [[waves]]\nname = \"m3\"\nform = \"followup.xlsx\"\nanchor = \"training_end\"\n\
             offset_months = 0\nwindow_days = 30\n"
        );
        std::fs::write(&config_path, text).unwrap();
        let config = Config::load(Some(&config_path)).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server_config = config.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                pantau::web::server(server_config, listener)
                    .unwrap()
                    .await
                    .unwrap();
            })
        });
        Site { dir, port, config }
    }

    pub(crate) fn conn(&self) -> Connection {
        pantau::db::open(&self.config.database()).unwrap()
    }

    pub(crate) fn user(&self, name: &str, role: Role, scope: Option<Scope>) {
        let new = NewUser {
            username: name,
            role,
            scope,
            password: PASSWORD,
        };
        add(&self.conn(), &new, None, Utc::now()).unwrap();
    }

    /// Adds the two participants most admin tests need, in different unions (so a scoped
    /// officer sees one and not the other): Siti Aminah of SP Garmen, then Budi Hartono of SP
    /// Logam; returns their ids in that order.
    pub(crate) fn siti_and_budi(&self) -> (i64, i64) {
        let siti = self.participant(
            "Siti Aminah",
            "6281234500001",
            "3201014506800002",
            "SP Garmen",
        );
        let budi = self.participant(
            "Budi Hartono",
            "6281234500002",
            "3201010101900001",
            "SP Logam",
        );
        (siti, budi)
    }

    /// Adds a participant with a name, phone, NIK and union; returns its id.
    pub(crate) fn participant(&self, name: &str, phone: &str, nik: &str, union: &str) -> i64 {
        let conn = self.conn();
        let now = "2025-01-01T00:00:00Z";
        conn.execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at) VALUES (?1, ?2, ?3)",
            // Unique per NIK without holding it, as a real pseudonym holds no identifier.
            params![
                format!("nik:{nik}"),
                format!("P-{}", pseudonym_of(nik)),
                now
            ],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        for (field, value) in [
            ("name", name),
            ("phone", phone),
            ("nik", nik),
            ("union", union),
            ("birth_date", "1979-02-03"),
            ("attended_1", "1"),
        ] {
            pantau::participants::attributes::set_values(&conn, id, &[(field, value)], None, now)
                .unwrap();
        }
        id
    }

    /// A client logged in as `name` (asserting the login worked).
    pub(crate) fn login(&self, name: &str) -> Client {
        let mut client = Client {
            port: self.port,
            cookie: None,
            extra: None,
        };
        let reply = client.post(
            "/admin/login",
            &[("username", name), ("password", PASSWORD)],
        );
        assert_eq!(reply.status, 303, "login of {name} failed: {}", reply.body);
        client
    }

    pub(crate) fn anonymous(&self) -> Client {
        Client {
            port: self.port,
            cookie: None,
            extra: None,
        }
    }
}

/// One HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) bytes: Vec<u8>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The CSRF token of the first form on the page.
    pub(crate) fn csrf(&self) -> String {
        Regex::new(r#"name="csrf" value="([^"]+)""#)
            .unwrap()
            .captures(&self.body)
            .map(|c| c[1].to_string())
            .expect("the page has a CSRF field")
    }
}

/// A minimal HTTP/1.1 client keeping the session cookie it was given.
pub(crate) struct Client {
    port: u16,
    /// The session cookie's value, as the server last set it.
    pub(crate) cookie: Option<String>,
    /// Another cookie sent with every request (`name=value`), as a browser sends one whose
    /// path matches.
    pub(crate) extra: Option<String>,
}

impl Client {
    pub(crate) fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None, b"")
    }

    pub(crate) fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
    }

    /// Sends one request with `body` of `content_type` (a multipart upload, say).
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        if let Some(kind) = content_type {
            head.push_str(&format!("Content-Type: {kind}\r\n"));
        }
        if let Some(cookie) = &self.cookie {
            head.push_str(&format!("Cookie: pantau_session={cookie}\r\n"));
        }
        if let Some(extra) = &self.extra {
            head.push_str(&format!("Cookie: {extra}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let crate::http::RawReply {
            status,
            headers,
            bytes,
        } = crate::http::parse(&raw);
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie")
                && let Some(rest) = value.strip_prefix("pantau_session=")
            {
                let token = rest.split(';').next().unwrap_or_default();
                self.cookie = (!token.is_empty()).then(|| token.to_string());
            }
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            bytes,
            body,
        }
    }
}

/// An open m3 invitation for `participant`; returns its token.
pub(crate) fn invite(site: &Site, participant: i64) -> String {
    let conn = site.conn();
    conn.execute(
        "INSERT OR IGNORE INTO waves (name, form_file, updated_at)
         VALUES ('m3', 'followup.xlsx', '2026-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    let token = format!("tok{participant:0>21}");
    conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at, closes_at)
         VALUES (?1, 'm3', ?2, 'sent', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
                 '2099-01-01T00:00:00Z')",
        params![participant, token],
    )
    .unwrap();
    token
}

/// The one integer `sql` selects.
pub(crate) fn count(site: &Site, sql: &str) -> i64 {
    site.conn().query_row(sql, [], |row| row.get(0)).unwrap()
}

/// The value of the hidden (or any) input `name` on the page.
pub(crate) fn hidden(page: &Reply, name: &str) -> Option<String> {
    Regex::new(&format!(r#"name="{name}" value="([^"]*)""#))
        .unwrap()
        .captures(&page.body)
        .map(|c| c[1].to_string())
}

/// GET after a 303, as a browser follows it.
pub(crate) fn follow(client: &mut Client, reply: Reply) -> Reply {
    match reply.status {
        303 => client.get(&reply.header("location").unwrap()),
        _ => reply,
    }
}

/// A stable, unique stand-in for a pseudonym: the NIK's digits mapped to letters, reversed.
fn pseudonym_of(nik: &str) -> String {
    nik.chars()
        .rev()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from(b'A' + d as u8),
            None => 'Z',
        })
        .collect()
}
