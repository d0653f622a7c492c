//! Inputs found by the cargo-fuzz targets in `linkus-sip/fuzz` (minimised),
//! kept as regression tests on stable. Each test states what went wrong.

use linkus_sip::Error;
use linkus_sip::message::Message;

/// What the `parse_datagram` target asserts: whatever parses serialises to
/// bytes that parse back to the same message.
fn assert_round_trip(datagram: &[u8]) {
    if let Ok(m) = Message::parse(datagram) {
        let _ = m.check();
        let bytes = m.to_bytes();
        assert_eq!(
            Message::parse(&bytes),
            Ok(m),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// A bare LF inside a folded continuation line was kept in the value; the
/// serialised message then carried an extra header line (`Via: injected`),
/// so a proxy re-sending it would inject a header.
#[test]
fn bare_lf_in_continuation_line() {
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nAccept: a/b,\r\n c/d\nVia: injected\r\n\r\n";
    assert_eq!(Message::parse(raw), Err(Error::HeaderLine { line: 3 }));
    let raw = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n\tb\rc\r\n\r\n";
    assert_eq!(Message::parse(raw), Err(Error::HeaderLine { line: 3 }));
    assert_round_trip(raw);
}

/// A request-line version with a multi-byte character across byte 4
/// (`SIPé.0`) panicked: the `SIP/` prefix was sliced at byte 4 without
/// checking for a char boundary. Found reading the parser while writing the
/// targets; the `parse_datagram` target reaches it from the RFC 4475 seeds.
#[test]
fn multibyte_char_in_request_line_version() {
    for raw in [
        "OPTIONS sip:a@b SIP\u{e9}.0\r\n\r\n",
        "OPTIONS sip:a@b SI\u{20ac}/2.0\r\nVia: x\r\n\r\n",
        "OPTIONS sip:a@b \u{1f600}\r\n\r\n",
    ] {
        assert_eq!(
            Message::parse(raw.as_bytes()),
            Err(Error::StartLine(linkus_sip::StartLineError::Malformed)),
            "{raw:?}"
        );
    }
}
