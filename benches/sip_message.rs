//! SIP message parse/serialise throughput: `linkus-sip` against two baselines.
//!
//! Three realistic messages (constants below):
//!
//! * `invite`: an INVITE with an SDP offer (~900 bytes on the wire);
//! * `ok`: the 200 OK answering it, **with** an SDP answer;
//! * `register`: a REGISTER carrying a Digest `Authorization` header.
//!
//! Groups (criterion ids are `<group>/<msg>/<impl>`, throughput in bytes of
//! the wire message):
//!
//! * `parse/<msg>/linkus`: [`Message::parse`], framing only (start line,
//!   header lines, Content-Length, Request-URI; header values kept as text);
//! * `parse/<msg>/linkus+check`: [`Message::parse`] followed by
//!   [`Message::check`], i.e. the grammar of every known header is validated
//!   too (what a UA does before accepting a message);
//! * `parse/<msg>/rsip`: `rsip` 0.4 (`SipMessage::try_from(&[u8])`, nom based,
//!   headers kept as untyped strings);
//! * `parse/<msg>/rsipstack`: `rsipstack`'s own parser (`rsipstack::sip`,
//!   `SipMessage::try_from(&[u8])`, headers kept as untyped strings);
//! * `serialize/<msg>/<impl>`: the already parsed message back to wire bytes
//!   (`Message::to_bytes`, rsip `to_string().into_bytes()`, rsipstack
//!   `to_bytes`).
//!
//! Before anything is measured, every implementation is checked once to
//! parse each message with all its header lines and its whole body, and to
//! serialise it back to something that parses again.
//!
//! Run with (the short warm-up/measurement keeps it to about two minutes):
//!
//! ```text
//! cargo bench -p linkus-sdk --bench sip_message -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! A filter narrows it down, e.g. `-- parse/invite`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use linkus_sip::message::Message;
use rsip::prelude::HasHeaders as _;
use rsipstack::sip::HasHeaders as _;

/// An INVITE with an SDP offer (the usual headers of a softphone call).
const INVITE: &str = concat!(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n",
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n",
    "Max-Forwards: 70\r\n",
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n",
    "To: \"Bob\" <sip:bob@biloxi.example.com>\r\n",
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n",
    "CSeq: 314159 INVITE\r\n",
    "Contact: <sip:alice@pc33.atlanta.example.com:5060;transport=udp>\r\n",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY, MESSAGE\r\n",
    "Supported: replaces, timer, 100rel\r\n",
    "Session-Expires: 1800;refresher=uac\r\n",
    "Accept: application/sdp\r\n",
    "User-Agent: Linkus/0.1.0\r\n",
    "Content-Type: application/sdp\r\n",
    "Content-Length: 264\r\n",
    "\r\n",
    "v=0\r\n",
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n",
    "s=-\r\n",
    "c=IN IP4 192.0.2.101\r\n",
    "t=0 0\r\n",
    "m=audio 49170 RTP/AVP 0 8 9 101\r\n",
    "a=rtpmap:0 PCMU/8000\r\n",
    "a=rtpmap:8 PCMA/8000\r\n",
    "a=rtpmap:9 G722/8000\r\n",
    "a=rtpmap:101 telephone-event/8000\r\n",
    "a=fmtp:101 0-16\r\n",
    "a=ptime:20\r\n",
    "a=sendrecv\r\n",
);

/// The 200 OK to [`INVITE`], with an SDP answer.
const OK: &str = concat!(
    "SIP/2.0 200 OK\r\n",
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.101\r\n",
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n",
    "To: \"Bob\" <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n",
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n",
    "CSeq: 314159 INVITE\r\n",
    "Contact: <sip:bob@192.0.2.4:5060;transport=udp>\r\n",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY\r\n",
    "Supported: replaces, timer\r\n",
    "Require: timer\r\n",
    "Session-Expires: 1800;refresher=uac\r\n",
    "Server: Linkus/0.1.0\r\n",
    "Content-Type: application/sdp\r\n",
    "Content-Length: 209\r\n",
    "\r\n",
    "v=0\r\n",
    "o=bob 2808844564 2808844564 IN IP4 192.0.2.4\r\n",
    "s=-\r\n",
    "c=IN IP4 192.0.2.4\r\n",
    "t=0 0\r\n",
    "m=audio 3456 RTP/AVP 0 101\r\n",
    "a=rtpmap:0 PCMU/8000\r\n",
    "a=rtpmap:101 telephone-event/8000\r\n",
    "a=fmtp:101 0-16\r\n",
    "a=ptime:20\r\n",
    "a=sendrecv\r\n",
);

/// A REGISTER answering a 401 challenge: Digest credentials with qop=auth.
const REGISTER: &str = concat!(
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n",
    "Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport\r\n",
    "Max-Forwards: 70\r\n",
    "From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n",
    "To: Bob <sip:bob@biloxi.example.com>\r\n",
    "Call-ID: 843817637684230@998sdasdh09\r\n",
    "CSeq: 1827 REGISTER\r\n",
    "Contact: <sip:bob@192.0.2.4:5060;transport=udp>;expires=3600\r\n",
    "Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", ",
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", ",
    "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, cnonce=\"0a4f113b\", ",
    "qop=auth, nc=00000001, opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n",
    "Expires: 3600\r\n",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY\r\n",
    "User-Agent: Linkus/0.1.0\r\n",
    "Content-Length: 0\r\n",
    "\r\n",
);

const MESSAGES: [(&str, &str); 3] = [("invite", INVITE), ("ok", OK), ("register", REGISTER)];

/// The body of a message: what follows the blank line.
fn body_of(raw: &str) -> &[u8] {
    let i = raw.find("\r\n\r\n").expect("blank line") + 4;
    &raw.as_bytes()[i..]
}

/// Checks once that every implementation accepts every message, finds all
/// its header lines, keeps its whole body, and serialises back to something
/// that parses again.
fn sanity_check() {
    for (name, raw) in MESSAGES {
        let bytes = raw.as_bytes();
        let body = body_of(raw);

        let m = Message::parse(bytes).unwrap_or_else(|e| panic!("linkus {name}: {e}"));
        m.check()
            .unwrap_or_else(|e| panic!("linkus check {name}: {e}"));
        assert_eq!(m.body(), body, "linkus {name} body");
        assert_eq!(m.to_bytes(), bytes, "linkus {name} round trip");
        let header_lines = m.headers().len();

        let m = rsip::SipMessage::try_from(bytes).unwrap_or_else(|e| panic!("rsip {name}: {e}"));
        assert_eq!(m.body().as_slice(), body, "rsip {name} body");
        let n = m.headers().iter().count();
        assert_eq!(n, header_lines, "rsip {name} headers");
        let out = m.to_string().into_bytes();
        rsip::SipMessage::try_from(out.as_slice())
            .unwrap_or_else(|e| panic!("rsip {name} re-parse: {e}"));

        let m = rsipstack::sip::SipMessage::try_from(bytes)
            .unwrap_or_else(|e| panic!("rsipstack {name}: {e}"));
        assert_eq!(rsipstack_body(&m), body, "rsipstack {name} body");
        assert_eq!(m.headers().len(), header_lines, "rsipstack {name} headers");
        let out = m.to_bytes();
        rsipstack::sip::SipMessage::try_from(out.as_slice())
            .unwrap_or_else(|e| panic!("rsipstack {name} re-parse: {e}"));
    }
}

fn rsipstack_body(m: &rsipstack::sip::SipMessage) -> &[u8] {
    match m {
        rsipstack::sip::SipMessage::Request(r) => r.body(),
        rsipstack::sip::SipMessage::Response(r) => r.body(),
    }
}

fn parse(c: &mut Criterion) {
    sanity_check();
    for (name, raw) in MESSAGES {
        let bytes = raw.as_bytes();
        let mut g = c.benchmark_group(format!("parse/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("linkus", |b| {
            b.iter(|| Message::parse(black_box(bytes)).expect("parses"));
        });
        g.bench_function("linkus+check", |b| {
            b.iter(|| {
                let m = Message::parse(black_box(bytes)).expect("parses");
                m.check().expect("valid");
                m
            });
        });
        g.bench_function("rsip", |b| {
            b.iter(|| rsip::SipMessage::try_from(black_box(bytes)).expect("parses"));
        });
        g.bench_function("rsipstack", |b| {
            b.iter(|| rsipstack::sip::SipMessage::try_from(black_box(bytes)).expect("parses"));
        });
        g.finish();
    }
}

fn serialize(c: &mut Criterion) {
    for (name, raw) in MESSAGES {
        let bytes = raw.as_bytes();
        let mut g = c.benchmark_group(format!("serialize/{name}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));

        let m = Message::parse(bytes).expect("parses");
        g.bench_function("linkus", |b| b.iter(|| black_box(&m).to_bytes()));

        let m = rsip::SipMessage::try_from(bytes).expect("parses");
        g.bench_function("rsip", |b| {
            b.iter(|| black_box(&m).to_string().into_bytes());
        });

        let m = rsipstack::sip::SipMessage::try_from(bytes).expect("parses");
        g.bench_function("rsipstack", |b| b.iter(|| black_box(&m).to_bytes()));
        g.finish();
    }
}

criterion_group!(benches, parse, serialize);
criterion_main!(benches);
