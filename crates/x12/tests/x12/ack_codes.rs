//! The acknowledgement codes medoffice shows a biller, in plain words: a 999 group's errors
//! (AK905-AK909) and the common claim status codes of a 277CA rejection; unknown codes give none.

use medoffice_x12::ack999::{AckCode, Acknowledgement999, group_error_meaning};
use medoffice_x12::claim277ca::{Status, status_meaning};

#[test]
fn a_999_group_error_is_said_in_plain_words() {
    assert_eq!(group_error_meaning("5"), Some("the number of included transaction sets does not match the count"));
    assert_eq!(group_error_meaning("99"), None);
    let ack = Acknowledgement999 {
        control_number: "0001".into(),
        functional_id: "HC".into(),
        group_control_number: "7".into(),
        version: None,
        sets: Vec::new(),
        group_status: AckCode::Rejected,
        sets_included: Some(1),
        sets_received: Some(1),
        sets_accepted: Some(0),
        group_errors: vec!["4".into(), "ZZ".into()],
    };
    assert_eq!(ack.group_error_meanings(), ["the group control numbers in the header and trailer do not match", "error code ZZ"]);
}

#[test]
fn common_claim_status_codes_of_rejections_are_said_in_plain_words() {
    assert_eq!(status_meaning("116"), Some("the claim was submitted to the wrong payer"));
    assert_eq!(status_meaning("30"), Some("the subscriber and the subscriber id do not match"));
    assert_eq!(status_meaning("99999"), None);
    let status =
        Status { category: "A7".into(), code: "128".into(), entity: Some("85".into()), date: None, amount_cents: None, message: None };
    assert_eq!(status.explanation(), "rejected for invalid information: the entity's tax id is missing or invalid (billing provider)");
}
