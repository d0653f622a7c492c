//! Inputs found by the cargo-fuzz targets in `linkus-sip/fuzz` (minimised),
//! kept as regression tests on stable. Each test states what went wrong.

use linkus_sip::Error;
use linkus_sip::message::{Framed, Limits, Message, StreamFramer};

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

/// `\r\n\r` followed by anything but `\n` (here a NUL after a message and
/// its keepalive-looking CRLF) made the stream framer wait forever for the
/// fourth byte of a ping, buffering every later byte without limit
/// (`stream_framer` target, minimised by hand from a 1 KiB input).
#[test]
fn cr_lf_cr_not_followed_by_lf_does_not_stall_the_framer() {
    let limits = Limits {
        max_message_size: 1024,
        max_headers: 16,
        max_line_length: 256,
    };
    let mut f = StreamFramer::with_limits(limits);
    f.push(b"REGISTER sip:example.com SIP/2.0\r\nL:0\r\n\r\n\r\n\r\x00OPT");
    assert!(matches!(f.next_frame(), Ok(Some(Framed::Message(_)))));
    assert_eq!(f.next_frame(), Ok(Some(Framed::Pong)));
    // What follows is framed (and refused) like any other bytes.
    let mut result = f.next_frame();
    for _ in 0..100 {
        if result != Ok(None) {
            break;
        }
        assert!(
            f.buffered() <= limits.max_message_size,
            "{} buffered",
            f.buffered()
        );
        f.push(&[b'A'; 64]);
        result = f.next_frame();
    }
    assert_eq!(result, Err(Error::LineTooLong { limit: 256 }));

    // "\r\n\r" alone still waits: it may be the start of a ping.
    let mut f = StreamFramer::default();
    f.push(b"\r\n\r");
    assert_eq!(f.next_frame(), Ok(None));
    f.push(b"\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
    assert_eq!(f.next_frame(), Ok(Some(Framed::Ping)));
    assert!(matches!(f.next_frame(), Ok(Some(Framed::Message(_)))));
}

/// The display name of RFC 4475 §3.1.1.3 (esc02.dat) holds BEL, NUL and DEL
/// as quoted-pairs. Written back, they were put in the quoted string raw,
/// which qdtext does not allow, so the header did not parse again
/// (`typed_headers` target, from the RFC 4475 seed).
#[test]
fn control_characters_in_display_name_are_written_as_quoted_pairs() {
    use linkus_sip::message::typed::{To, TypedHeader};
    let raw = "\"BEL:\\\u{7} NUL:\\\0 DEL:\\\u{7f}\" <sip:a@example.com>";
    let to = To::parse(raw).unwrap();
    assert_eq!(
        to.display_name.as_deref(),
        Some("BEL:\u{7} NUL:\0 DEL:\u{7f}")
    );
    let mut written = String::new();
    to.write(&mut written);
    assert_eq!(written, raw);
    assert_eq!(To::parse(&written), Ok(to));
}
