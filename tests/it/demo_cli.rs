//! `pantau demo --no-serve` in an empty folder: the README's first steps as a new user meets them.

use std::process::Command;

#[test]
fn the_demo_builds_a_programme_in_an_empty_folder_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_pantau"))
            .args(["demo", "--no-serve"])
            .current_dir(dir.path())
            .env("PANTAU_LOG", "warn")
            .output()
            .unwrap()
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(dir.path().join("forms/baseline.xlsx").exists());
    assert!(dir.path().join("inbox/demo-roster-1.xlsx").exists());
    assert!(
        stdout.contains("roster demo-roster-1.xlsx: imported; 150 rows, 150 new"),
        "{stdout}"
    );
    // The second file repeats 20 people of the first: they are recognised, not duplicated.
    assert!(
        stdout.contains("roster demo-roster-2.xlsx: imported; 150 rows, 130 new"),
        "{stdout}"
    );
    // The programme's past is replayed: every wave has responses, and the waves open today
    // still have links to answer.
    for wave in ["baseline", "m3", "m6", "m12"] {
        let line = stdout
            .lines()
            .find(|l| {
                l.starts_with(&format!("wave {wave}: ")) && l.contains("in the programme's past")
            })
            .unwrap_or_else(|| panic!("no past responses line for {wave}: {stdout}"));
        let count: usize = line
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(count > 50, "{line}");
    }
    assert!(stdout.contains("http://127.0.0.1:8080/s/"), "{stdout}");

    let second = run();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("demo-roster-1.xlsx: already imported"),
        "{stdout}"
    );
    assert!(
        stdout.contains("wave baseline: 0 new invitation(s)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("in the programme's past"),
        "replayed twice: {stdout}"
    );

    let conn = rusqlite::Connection::open(dir.path().join("pantau.db")).unwrap();
    let participants: i64 = conn
        .query_row("SELECT COUNT(*) FROM participants", [], |r| r.get(0))
        .unwrap();
    assert_eq!(participants, 280);
    // Stored the way the survey stores them: consent first, one response per invitation,
    // the invitation marked submitted.
    let (responses, submitted, consented): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM responses),
                    (SELECT COUNT(*) FROM invitations WHERE status = 'submitted'),
                    (SELECT COUNT(DISTINCT r.invitation_id) FROM responses r
                     JOIN consents c ON c.invitation_id = r.invitation_id
                     WHERE c.decision = 'accepted' AND c.decided_at <= r.submitted_at)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(responses > 280, "{responses}");
    assert_eq!(responses, submitted);
    assert_eq!(responses, consented);
}
