//! Consent over real HTTP: a participant who declined comes back through the same link and
//! takes part after all; every decision is a row, and the latest counts.

use super::survey::{Site, start_survey};

#[test]
fn a_participant_who_declined_can_come_back_and_take_part() {
    let site = Site::start();
    let token = site.participant("Dewi Lestari", 0, 0);
    let declined = site.post(
        &format!("/s/{token}/consent"),
        &[("decision", "decline"), ("lang", "id")],
    );
    assert_eq!(declined.status, 200);
    let again = format!("/s/{token}?consent=again");
    assert!(declined.body.contains(&again), "{}", declined.body);

    // Opening the link later: the declined page, still offering to reconsider.
    let later = site.get(&format!("/s/{token}"));
    assert!(
        later.body.contains("memilih tidak mengisi"),
        "{}",
        later.body
    );
    assert!(later.body.contains("Berubah pikiran?"));

    // The consent screen again; accepting leads to the first question.
    let consent = site.get(&again);
    assert_eq!(consent.status, 200);
    assert!(
        consent.body.contains(r#"value="accept""#),
        "{}",
        consent.body
    );
    let first = site.post_follow(
        &format!("/s/{token}/consent"),
        &[("decision", "accept"), ("lang", "id")],
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.hidden("_screen").is_some(), "{}", first.body);
    assert_eq!(
        site.count("SELECT count(*) FROM consents WHERE decision = 'declined'"),
        1
    );
    assert_eq!(
        site.count(
            "SELECT count(*) FROM consents WHERE decision = 'accepted'
             AND id = (SELECT max(id) FROM consents)"
        ),
        1,
        "the acceptance is a new, latest row; the refusal stays as history"
    );
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'opened'"),
        1
    );
    // The link now resumes the survey, not the declined page.
    let resumed = site.get(&format!("/s/{token}"));
    assert_eq!(resumed.hidden("_screen"), first.hidden("_screen"));
}

#[test]
fn a_refusal_cannot_be_reconsidered_once_the_window_has_closed() {
    let site = Site::start();
    let token = site.participant("Ani", 60, 55);
    site.conn()
        .execute("UPDATE invitations SET status = 'declined'", [])
        .unwrap();
    let page = site.get(&format!("/s/{token}"));
    assert!(page.body.contains("memilih tidak mengisi"), "{}", page.body);
    assert!(!page.body.contains("consent=again"));
    let again = site.get(&format!("/s/{token}?consent=again"));
    assert!(!again.body.contains(r#"value="accept""#), "{}", again.body);
    let accept = site.post(
        &format!("/s/{token}/consent"),
        &[("decision", "accept"), ("lang", "id")],
    );
    assert!(accept.body.contains("memilih tidak mengisi"));
    assert_eq!(site.count("SELECT count(*) FROM consents"), 0);
}

#[test]
fn declining_twice_and_accepting_keeps_every_decision() {
    let site = Site::start();
    let token = site.participant("Rudi", 0, 0);
    for _ in 0..2 {
        site.post(
            &format!("/s/{token}/consent"),
            &[("decision", "decline"), ("lang", "id")],
        );
    }
    let first = start_survey(&site, &token);
    assert!(first.hidden("_screen").is_some(), "{}", first.body);
    assert_eq!(site.count("SELECT count(*) FROM consents"), 3);
}
