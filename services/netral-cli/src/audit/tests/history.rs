//! History: case names, and lines read from the leaf rather than the event's copies.

use netral_audit::tree;
use netral_proto::v1::AuditEvent;

use super::{CASE, leaf};
use crate::audit::history::{self, CaseName, EventLine};

#[test]
fn case_names_are_read_with_or_without_their_prefix() {
    let id = "0190f1c2-7a3b-7cde-8f01-23456789abcd";
    let name = |text: &str| text.parse::<CaseName>().map(|n| n.to_string());
    assert_eq!(name(CASE).unwrap(), CASE);
    assert_eq!(name(id).unwrap(), CASE);
    assert_eq!(name(&id.to_uppercase()).unwrap(), CASE);
    assert!(name("cases/").is_err());
    assert!(name("cases/42").is_err());
    assert!(name("agencies/bpk").is_err());
}

#[test]
fn history_lines_are_read_from_the_leaf() {
    let bytes = netral_audit::leaf::encode(&leaf(0, ""));
    let event = AuditEvent {
        sequence: 12,
        leaf_hash: hex::encode(tree::leaf_hash(&bytes)),
        // A convenience copy that disagrees with the leaf is not what is shown.
        action: "SOMETHING_ELSE".into(),
        leaf: bytes.clone(),
        ..Default::default()
    };
    let line = EventLine::of(&event).unwrap();
    assert_eq!(line.action, "FORWARD");
    assert_eq!(line.outcome, "SUCCESS");
    assert_eq!(line.time, "2024-06-01T00:00:00.000Z");
    assert_eq!(line.transition(), "REGISTERED→FORWARDED");

    let mut table = Vec::new();
    history::print(std::slice::from_ref(&line), false, &mut table).unwrap();
    let table = String::from_utf8(table).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[0].starts_with("SEQ") && rows[0].ends_with("REASON"),
        "{table}"
    );
    assert!(rows[1].starts_with("12  ") && rows[1].contains("agencies/bawaslu-kotabaru"));
    assert!(
        rows[1].contains("REGISTERED→FORWARDED") && rows[1].contains("req-0"),
        "{table}"
    );

    let mut json = Vec::new();
    history::print(&[line.clone(), line], true, &mut json).unwrap();
    let json = String::from_utf8(json).unwrap();
    assert_eq!(json.lines().count(), 2);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["sequence"], 12);
    assert_eq!(first["case"], CASE);
    assert_eq!(first["payload"]["letter_number"], "045/PP.01.02");

    let lying = AuditEvent {
        leaf_hash: hex::encode([7u8; 32]),
        ..event.clone()
    };
    assert!(EventLine::of(&lying).is_err());
    let garbage = AuditEvent {
        leaf: vec![0xff, 0xff],
        leaf_hash: String::new(),
        ..event
    };
    assert!(EventLine::of(&garbage).is_err());
}
