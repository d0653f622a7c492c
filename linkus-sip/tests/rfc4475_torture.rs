//! RFC 4475 torture tests: every message of `shared/testdata/rfc4475`, as
//! the manifest classifies it, with the fields and verdicts the RFC calls out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use linkus_sip::message::typed::{self, Contact, Transport};
use linkus_sip::message::{
    HeaderName, Host, Message, Method, StatusCode, UasPolicy, Uri, check_response, multipart,
};
use linkus_sip::{Error, StartLineError, UriError};

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LINKUS_RFC4475_DIR") {
        return dir.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/rfc4475")
}

/// `file -> class` from MANIFEST.tsv; fails loudly when the corpus is missing.
fn manifest() -> BTreeMap<String, String> {
    let path = corpus_dir().join("MANIFEST.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("RFC 4475 corpus not found at {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_owned(), cols[3].to_owned())
        })
        .collect()
}

fn raw(file: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(file)).unwrap()
}

fn parse(file: &str) -> Result<Message, Error> {
    let m = Message::parse(&raw(file))?;
    m.check()?;
    Ok(m)
}

fn req(file: &str) -> linkus_sip::message::Request {
    match parse(file).unwrap_or_else(|e| panic!("{file}: {e}")) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("{file}: expected a request"),
    }
}

fn sip(uri: &Uri) -> &linkus_sip::message::SipUri {
    uri.as_sip().expect("a SIP URI")
}

#[test]
fn manifest_covers_all_49_files_and_every_class_behaves() {
    let m = manifest();
    assert_eq!(m.len(), 49);
    let mut accepted = 0;
    for (file, class) in &m {
        let bytes = raw(file);
        let result = parse(file);
        match class.as_str() {
            "valid" | "backward-compatible" => {
                let msg = result.unwrap_or_else(|e| panic!("{file} ({class}) rejected: {e}"));
                round_trip(file, &bytes, &msg);
                accepted += 1;
            }
            "invalid" => {
                assert!(result.is_err(), "{file} (invalid) was accepted");
            }
            "transaction" | "application" => {
                // Parseable (mcl01 aside: its framing is corrupt), verdicts in their own tests.
                if let Ok(msg) = Message::parse(&bytes) {
                    round_trip(file, &bytes, &msg);
                }
            }
            other => panic!("unknown class {other}"),
        }
    }
    assert_eq!(accepted, 14);
}

/// parse → serialise → parse gives the same message, and serialising again
/// gives the same bytes.
fn round_trip(file: &str, original: &[u8], msg: &Message) {
    let bytes = msg.to_bytes();
    let again = Message::parse(&bytes).unwrap_or_else(|e| panic!("{file}: re-parse failed: {e}"));
    assert_eq!(&again, msg, "{file}: round trip changed the message");
    assert_eq!(
        again.to_bytes(),
        bytes,
        "{file}: serialisation is not stable"
    );
    assert!(!original.is_empty());
}

// ---------------------------------------------------------------------------
// 3.1.1 valid messages: the fields the RFC calls out.

#[test]
fn wsinv_short_tortuous_invite() {
    let r = req("wsinv.dat");
    assert_eq!(r.method, Method::Invite);
    let u = sip(&r.uri);
    assert_eq!(u.user.as_deref(), Some("vivekg"));
    assert_eq!(u.host, Host::Domain("chair-dnrc.example.com".into()));
    assert_eq!(u.params.get("unknownparam"), Some(None));
    let h = &r.headers;
    let to: typed::To = h.typed().unwrap().unwrap();
    assert_eq!(to.tag(), Some("1918181833n"));
    let from: typed::From = h.typed().unwrap().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(
        h.typed::<typed::MaxForwards>().unwrap(),
        Some(typed::MaxForwards(68))
    );
    assert_eq!(
        h.typed::<typed::CSeq>().unwrap().unwrap(),
        typed::CSeq {
            seq: 9,
            method: Method::Invite
        }
    );
    assert_eq!(h.get(HeaderName::CallId), Some("wsinv.ndaksdj@192.0.2.1"));
    let vias = h.typed_all::<typed::Via>().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        (vias[0].transport.clone(), vias[0].branch()),
        (Transport::Udp, Some("390skdjuw"))
    );
    assert_eq!(vias[0].host, Host::Ipv4("192.0.2.2".parse().unwrap()));
    assert!(!vias[0].has_rfc3261_branch());
    assert_eq!(vias[1].host, Host::Domain("spindle.example.com".into()));
    assert_eq!(
        (vias[1].transport.clone(), vias[1].branch()),
        (Transport::Tcp, Some("z9hG4bK9ikj8"))
    );
    assert_eq!(vias[2].host, Host::Ipv4("192.168.255.111".parse().unwrap()));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(h.get(HeaderName::Subject), Some(""));
    assert_eq!(
        h.get_raw("newfangledheader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(h.get_raw("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    let route: typed::Route = h.typed().unwrap().unwrap();
    let ru = sip(&route.uri);
    assert!(ru.lr());
    assert_eq!(ru.params.get("unknownwith"), Some(Some("value")));
    assert_eq!(ru.params.get("unknown-no-value"), Some(None));
    let c: Contact = h.typed().unwrap().unwrap();
    let ca = c.addr().unwrap();
    assert_eq!(ca.display_name.as_deref(), Some("Quoted string \"\""));
    assert_eq!(ca.params.get("newparam"), Some(Some("newvalue")));
    assert_eq!(ca.params.get("secondparam"), Some(None));
    assert_eq!(c.q(), Some(330));
    assert_eq!(r.body.len(), 150);
    let ct: typed::ContentType = h.typed().unwrap().unwrap();
    assert!(ct.0.is("application", "sdp"));
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    let r = req("intmeth.dat");
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(r.method, Method::Extension(method.into()));
    let u = sip(&r.uri);
    assert_eq!(
        u.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        u.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(u.host, Host::Domain("example.com".into()));
    let h = &r.headers;
    assert_eq!(
        h.typed::<typed::CSeq>().unwrap().unwrap().method.as_str(),
        method
    );
    let via: typed::Via = h.typed().unwrap().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let to: typed::To = h.typed().unwrap().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
    let from: typed::From = h.typed().unwrap().unwrap();
    assert_eq!(
        from.display_name.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        from.params.get_unquoted("fromParam''~+*_!.-%").as_deref(),
        Some("работающий")
    );
    assert_eq!(
        h.get(HeaderName::CallId),
        Some("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
    );
    assert_eq!(
        h.get_raw("extensionHeader-!.%*+_`'~"),
        Some("\u{feff}大停電")
    );
    assert_eq!(
        h.typed::<typed::MaxForwards>().unwrap(),
        Some(typed::MaxForwards(255))
    );
    // An endpoint answers an unknown method with 501 and Allow.
    let rej = UasPolicy::default().check_request(&r).unwrap_err();
    assert_eq!(rej.status, StatusCode(501));
    assert_eq!(rej.headers[0].0, HeaderName::Allow);
}

#[test]
fn esc01_percent_escapes() {
    let r = req("esc01.dat");
    assert_eq!(
        &*sip(&r.uri).user_unescaped().unwrap(),
        b"sips:user@example.com"
    );
    assert_eq!(sip(&r.uri).host, Host::Domain("example.net".into()));
    let to: typed::To = r.headers.typed().unwrap().unwrap();
    assert_eq!(&*sip(&to.uri).user_unescaped().unwrap(), b"user");
    let from: typed::From = r.headers.typed().unwrap().unwrap();
    assert_eq!(&*sip(&from.uri).user_unescaped().unwrap(), b"I have spaces");
    let c: Contact = r.headers.typed().unwrap().unwrap();
    let cu = sip(&c.addr().unwrap().uri);
    assert_eq!(&*cu.user_unescaped().unwrap(), b"caller");
    let params: Vec<_> = cu.params.iter().collect();
    assert_eq!(params.len(), 2);
    assert_eq!(params[0].name, "%6C%72");
    assert_eq!(params[1].value.as_deref(), Some("v%61lue%25%34%31"));
    // Unescaping happens once: `value%41`, not `valueA`.
    let once = |s: &str| {
        Uri::parse(&format!("sip:{s}@h"))
            .unwrap()
            .as_sip()
            .unwrap()
            .user_unescaped()
            .unwrap()
            .into_owned()
    };
    assert_eq!(once("v%61lue%25%34%31"), b"value%41");
    assert_eq!(once("%6C%72"), b"lr");
    assert_eq!(
        r.headers.get(HeaderName::CallId),
        Some("esc01.239409asdfakjkn23onasd0-3234")
    );
    assert_eq!(
        r.headers.typed::<typed::MaxForwards>().unwrap(),
        Some(typed::MaxForwards(87))
    );
}

#[test]
fn escnull_escaped_nulls() {
    let r = req("escnull.dat");
    let to: typed::To = r.headers.typed().unwrap().unwrap();
    assert_eq!(&*sip(&to.uri).user_unescaped().unwrap(), b"null-\0-null");
    let contacts = r.headers.typed_all::<Contact>().unwrap();
    let users: Vec<Vec<u8>> = contacts
        .iter()
        .map(|c| {
            sip(&c.addr().unwrap().uri)
                .user_unescaped()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(users, vec![b"\0".to_vec(), b"\0\0".to_vec()]);
}

#[test]
fn esc02_percent_that_is_not_an_escape() {
    let r = req("esc02.dat");
    assert_eq!(r.method, Method::Extension("RE%47IST%45R".into()));
    assert_ne!(r.method, Method::Register);
    let to: typed::To = r.headers.typed().unwrap().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("%Z%45"));
    // `C%6Fntact` is an extension header, not Contact.
    assert_eq!(r.headers.typed_all::<Contact>().unwrap().len(), 2);
    assert_eq!(
        r.headers.get_raw("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
    let via: typed::Via = r.headers.typed().unwrap().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK209%fzsnel234"));
    assert_eq!(
        UasPolicy::default().check_request(&r).unwrap_err().status,
        StatusCode(501)
    );
}

#[test]
fn lwsdisp_no_lws_before_angle() {
    let r = req("lwsdisp.dat");
    let from: typed::From = r.headers.typed().unwrap().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("caller"));
    assert_eq!(from.tag(), Some("323"));
}

#[test]
fn longreq_long_values() {
    let r = req("longreq.dat");
    let to: typed::To = r.headers.typed().unwrap().unwrap();
    let name = format!("I have a user name of {} proportion", "extreme".repeat(10));
    assert_eq!(to.display_name.as_deref(), Some(name.as_str()));
    let tu = sip(&to.uri);
    assert_eq!(tu.port, Some(6000));
    assert_eq!(
        tu.params.get("unknownparam1"),
        Some(Some(format!("very{}value", "long".repeat(20)).as_str()))
    );
    assert_eq!(
        tu.params.get(&format!("longparam{}", "name".repeat(25))),
        Some(Some("shortvalue"))
    );
    let from: typed::From = r.headers.typed().unwrap().unwrap();
    assert_eq!(
        from.tag(),
        Some(format!("12{}424", "982".repeat(50)).as_str())
    );
    assert_eq!(
        sip(&from.uri).user.as_deref(),
        Some("amazinglylongcallername".repeat(5).as_str())
    );
    assert_eq!(
        r.headers.get(HeaderName::CallId),
        Some(format!("longreq.one{}longcallid", "really".repeat(20)).as_str())
    );
    let vias = r.headers.typed_all::<typed::Via>().unwrap();
    assert_eq!(vias.len(), 34);
    for (i, v) in vias.iter().take(33).enumerate() {
        assert_eq!(v.host, Host::Domain(format!("sip{}.example.com", 33 - i)));
    }
    assert_eq!(vias[33].received(), Some("192.0.2.5".parse().unwrap()));
    assert_eq!(
        vias[33].branch(),
        Some(format!("very{}branchvalue", "long".repeat(50)).as_str())
    );
    assert_eq!(r.body.len(), 150);
}

#[test]
fn dblreq_extra_octets_in_datagram() {
    let r = req("dblreq.dat");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert_eq!(
        r.headers.get(HeaderName::CallId),
        Some("dblreq.0ha0isndaksdj99sdfafnl3lk233412")
    );
    let via: typed::Via = r.headers.typed().unwrap().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bKkdjuw23492"));
    // The INVITE that follows is not part of the message.
    assert!(!String::from_utf8_lossy(&Message::Request(r).to_bytes()).contains("INVITE"));
}

#[test]
fn semiuri_semicolon_in_user_part() {
    let r = req("semiuri.dat");
    let u = sip(&r.uri);
    assert_eq!(&*u.user_unescaped().unwrap(), b"user;par=u@example.net");
    assert_eq!(u.host, Host::Domain("example.com".into()));
    assert!(u.params.is_empty());
    let accept = r.headers.typed_all::<typed::Accept>().unwrap();
    let types: Vec<String> = accept.iter().map(|a| a.0.to_string()).collect();
    assert_eq!(
        types,
        [
            "application/sdp",
            "application/pkcs7-mime",
            "multipart/mixed",
            "multipart/signed",
            "message/sip",
            "message/sipfrag"
        ]
    );
}

#[test]
fn transports_varied_and_unknown() {
    let r = req("transports.dat");
    let vias = r.headers.typed_all::<typed::Via>().unwrap();
    let t: Vec<Transport> = vias.iter().map(|v| v.transport.clone()).collect();
    assert_eq!(
        t,
        [
            Transport::Udp,
            Transport::Sctp,
            Transport::Tls,
            Transport::Other("UNKNOWN".into()),
            Transport::Tcp
        ]
    );
    assert_eq!(vias[3].host, Host::Domain("t4.example.com".into()));
    assert_eq!(
        r.headers.get(HeaderName::CallId),
        Some("transports.kijh4akdnaqjkwendsasfdj")
    );
}

#[test]
fn mpart01_multipart_with_binary_part() {
    let r = req("mpart01.dat");
    assert_eq!(r.method, Method::Message);
    assert_eq!(r.body.len(), 553);
    let ct: typed::ContentType = r.headers.typed().unwrap().unwrap();
    let parts = multipart::parse(&ct.0, &r.body).unwrap();
    assert_eq!(parts.len(), 2);
    let t0: typed::ContentType = parts[0].headers.typed().unwrap().unwrap();
    assert!(t0.0.is("text", "plain"));
    assert_eq!(parts[0].body, b"Hello");
    let t1: typed::ContentType = parts[1].headers.typed().unwrap().unwrap();
    assert!(t1.0.is("application", "octet-stream"));
    assert!(
        parts[1].body.contains(&0),
        "the binary part keeps its NUL octets"
    );
    let via: typed::Via = r.headers.typed().unwrap().unwrap();
    assert_eq!(via.rport(), Some(None));
    assert_eq!(via.port, Some(5070));
    let date: typed::Date = r.headers.typed().unwrap().unwrap();
    assert_eq!(date.unix_seconds, 1_129_351_496);
}

#[test]
fn unreason_and_noreason_phrases() {
    let m = parse("unreason.dat").unwrap();
    let resp = m.as_response().unwrap();
    assert_eq!(resp.status, StatusCode(200));
    assert_eq!(
        resp.reason,
        "= 2**3 * 5**2 но сто девяносто девять - простое"
    );
    assert_eq!(resp.body.len(), 154);
    let m = parse("noreason.dat").unwrap();
    let resp = m.as_response().unwrap();
    assert_eq!(resp.status, StatusCode(100));
    assert_eq!(resp.reason, "");
    assert!(check_response(resp).is_ok());
}

// ---------------------------------------------------------------------------
// 3.1.2 invalid messages: each yields its typed error.

fn header_error(file: &str, header: HeaderName) {
    match parse(file) {
        Err(Error::InvalidHeader { header: h, .. }) => assert_eq!(h, header, "{file}"),
        other => panic!("{file}: expected an invalid {header} header, got {other:?}"),
    }
}

#[test]
fn invalid_messages_yield_typed_errors() {
    header_error("badinv01.dat", HeaderName::Via);
    assert_eq!(
        parse("clerr.dat"),
        Err(Error::ContentLengthExceedsBody {
            declared: 9999,
            available: 154
        })
    );
    header_error("ncl.dat", HeaderName::ContentLength);
    header_error("scalar02.dat", HeaderName::CSeq);
    header_error("scalarlg.dat", HeaderName::CSeq);
    header_error("quotbal.dat", HeaderName::To);
    assert_eq!(
        parse("ltgtruri.dat"),
        Err(StartLineError::AngleBracketsInRequestUri.into())
    );
    assert_eq!(parse("lwsruri.dat"), Err(UriError::Character.into()));
    assert_eq!(
        parse("lwsstart.dat"),
        Err(StartLineError::ExtraWhitespace.into())
    );
    assert_eq!(
        parse("trws.dat"),
        Err(StartLineError::TrailingWhitespace.into())
    );
    assert_eq!(
        parse("escruri.dat"),
        Err(StartLineError::HeadersInRequestUri.into())
    );
    header_error("baddate.dat", HeaderName::Date);
    header_error("regbadct.dat", HeaderName::Contact);
    header_error("badaspec.dat", HeaderName::To);
    header_error("baddn.dat", HeaderName::From);
    assert_eq!(
        parse("badvers.dat"),
        Err(Error::UnsupportedVersion("SIP/7.0".into()))
    );
    assert_eq!(
        parse("mismatch01.dat"),
        Err(Error::CSeqMethodMismatch {
            method: Method::Options,
            cseq: Method::Invite
        })
    );
    assert_eq!(
        parse("mismatch02.dat"),
        Err(Error::CSeqMethodMismatch {
            method: Method::Extension("NEWMETHOD".into()),
            cseq: Method::Invite
        })
    );
    assert_eq!(
        parse("bigcode.dat"),
        Err(StartLineError::InvalidStatusCode.into())
    );
}

#[test]
fn scalar02_each_overlarge_field_is_caught_on_its_own() {
    let text = String::from_utf8(raw("scalar02.dat")).unwrap();
    let fixed_cseq = text.replace("36893488147419103232 REGISTER", "1 REGISTER");
    let m = Message::parse(fixed_cseq.as_bytes()).unwrap();
    assert!(matches!(
        m.check(),
        Err(Error::InvalidHeader {
            header: HeaderName::MaxForwards,
            ..
        })
    ));
    let fixed_mf = fixed_cseq.replace("Max-Forwards: 300", "Max-Forwards: 70");
    let m = Message::parse(fixed_mf.as_bytes()).unwrap();
    assert!(matches!(
        m.check(),
        Err(Error::InvalidHeader {
            header: HeaderName::Expires,
            ..
        })
    ));
    let fixed_exp = fixed_mf.replace(&format!("Expires: 1{}", "0".repeat(100)), "Expires: 60");
    let m = Message::parse(fixed_exp.as_bytes()).unwrap();
    assert!(matches!(
        m.check(),
        Err(Error::InvalidHeader {
            header: HeaderName::Contact,
            ..
        })
    ));
}

#[test]
fn invalid_requests_get_the_status_the_rfc_names() {
    let policy = UasPolicy::default();
    let status = |file: &str| {
        let m = Message::parse(&raw(file));
        let rej = match m {
            Ok(Message::Request(r)) => policy.check_request(&r).unwrap_err(),
            Ok(Message::Response(_)) => panic!("{file} is a response"),
            Err(e) => linkus_sip::message::Rejection::from_error(e),
        };
        rej.status.0
    };
    for f in [
        "badinv01.dat",
        "clerr.dat",
        "ncl.dat",
        "scalar02.dat",
        "quotbal.dat",
        "mismatch01.dat",
    ] {
        assert_eq!(status(f), 400, "{f}");
    }
    assert_eq!(status("badvers.dat"), 505);
    assert_eq!(status("mismatch02.dat"), 501);
}

#[test]
fn invalid_responses_are_discarded() {
    // scalarlg parses but fails the checks; bigcode fails to parse at all.
    let m = Message::parse(&raw("scalarlg.dat")).unwrap();
    assert!(check_response(m.as_response().unwrap()).is_err());
    assert!(Message::parse(&raw("bigcode.dat")).is_err());
}

// ---------------------------------------------------------------------------
// 3.2 and 3.3: what the transaction layer and the application are told.

#[test]
fn badbranch_bare_magic_cookie_needs_rfc2543_matching() {
    let r = req("badbranch.dat");
    let via: typed::Via = r.headers.typed().unwrap().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK"));
    assert!(!via.has_rfc3261_branch());
}

#[test]
fn application_level_verdicts() {
    let policy = UasPolicy::default();
    let verdict = |file: &str| {
        let m = Message::parse(&raw(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        policy.check_request(m.as_request().unwrap())
    };
    // 3.3.1 missing Call-ID/From/To.
    let rej = verdict("insuf.dat").unwrap_err();
    assert_eq!(rej.status.0, 400);
    assert!(matches!(rej.error, Some(Error::MissingHeader(_))));
    // 3.3.2 / 3.3.3 unknown or atypical Request-URI scheme.
    assert_eq!(verdict("unkscm.dat").unwrap_err().status.0, 416);
    assert_eq!(verdict("novelsc.dat").unwrap_err().status.0, 416);
    // 3.3.4 unknown schemes in To/From/Contact parse; a non-registrar UA rejects REGISTER.
    let m = Message::parse(&raw("unksm2.dat")).unwrap();
    m.check().unwrap();
    let to: typed::To = m.headers().typed().unwrap().unwrap();
    assert_eq!(to.uri.scheme(), "isbn");
    let from: typed::From = m.headers().typed().unwrap().unwrap();
    assert_eq!(from.uri.to_string(), "http://www.example.com");
    let c: Contact = m.headers().typed().unwrap().unwrap();
    assert_eq!(c.addr().unwrap().uri.to_string(), "name:John_Smith");
    assert_eq!(verdict("unksm2.dat").unwrap_err().status.0, 405);
    // 3.3.5 Require → 420 listing the Require tokens (Proxy-Require is for proxies).
    let rej = verdict("bext01.dat").unwrap_err();
    assert_eq!(rej.status.0, 420);
    assert_eq!(
        rej.headers,
        vec![(
            HeaderName::Unsupported,
            "nothingSupportsThis, nothingSupportsThisEither".into()
        )]
    );
    // 3.3.6 unknown Content-Type → 415 with Accept.
    let rej = verdict("invut.dat").unwrap_err();
    assert_eq!(rej.status.0, 415);
    assert_eq!(rej.headers[0].0, HeaderName::Accept);
    assert!(rej.headers[0].1.contains("application/sdp"));
    // 3.3.7 unknown Authorization scheme: parses; a UA that is not a registrar answers 405.
    let m = Message::parse(&raw("regaut01.dat")).unwrap();
    let auth: typed::Authorization = m.headers().typed().unwrap().unwrap();
    assert_eq!(auth.scheme, "NoOneKnowsThisScheme");
    assert_eq!(auth.param("opaque-data"), Some("here"));
    assert_eq!(verdict("regaut01.dat").unwrap_err().status.0, 405);
    // 3.3.8 several values in single-valued fields → 400.
    let rej = verdict("multi01.dat").unwrap_err();
    assert_eq!(rej.status.0, 400);
    assert!(matches!(rej.error, Some(Error::DuplicateHeader(_))));
    // 3.3.9 conflicting Content-Length: corrupt framing, a typed error.
    assert_eq!(
        Message::parse(&raw("mcl01.dat")),
        Err(Error::ConflictingContentLength)
    );
    // 3.3.11 Max-Forwards 0: a UA answers normally; an element that forwards says 483.
    assert!(verdict("zeromf.dat").is_ok());
    let forwarding = UasPolicy {
        reject_zero_max_forwards: true,
        ..UasPolicy::default()
    };
    let m = Message::parse(&raw("zeromf.dat")).unwrap();
    assert_eq!(
        forwarding
            .check_request(m.as_request().unwrap())
            .unwrap_err()
            .status
            .0,
        483
    );
    // 3.3.15 Accept without SDP on an INVITE → 406 with a 399 Warning.
    let rej = verdict("sdp01.dat").unwrap_err();
    assert_eq!(rej.status.0, 406);
    assert!(rej.headers[0].1.starts_with("399 "));
}

#[test]
fn bcast_response_with_two_vias_is_discarded() {
    let m = parse("bcast.dat").unwrap();
    let resp = m.as_response().unwrap();
    let vias = resp.headers.typed_all::<typed::Via>().unwrap();
    assert_eq!(vias[1].host, Host::Ipv4("255.255.255.255".parse().unwrap()));
    assert_eq!(check_response(resp), Err(Error::ResponseViaCount(2)));
}

#[test]
fn register_contact_params_are_header_or_uri_params_as_written() {
    // 3.3.12: without <> the parameter belongs to the header field.
    let r = req("cparam01.dat");
    let c: Contact = r.headers.typed().unwrap().unwrap();
    let a = c.addr().unwrap();
    assert!(sip(&a.uri).params.is_empty());
    assert_eq!(a.params.get("unknownparam"), Some(None));
    // 3.3.13: inside <> it is a URI parameter.
    let r = req("cparam02.dat");
    let c: Contact = r.headers.typed().unwrap().unwrap();
    let a = c.addr().unwrap();
    assert_eq!(sip(&a.uri).params.get("unknownparam"), Some(None));
    assert!(a.params.is_empty());
    // 3.3.14: an escaped header inside <> is kept in the URI.
    let r = req("regescrt.dat");
    let c: Contact = r.headers.typed().unwrap().unwrap();
    let u = sip(&c.addr().unwrap().uri);
    assert_eq!(
        u.headers,
        vec![("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
    );
    assert_eq!(
        c.addr().unwrap().uri.to_string(),
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );
}

// ---------------------------------------------------------------------------
// 3.4 backward compatibility.

#[test]
fn inv2543_rfc2543_syntax_is_accepted() {
    let r = req("inv2543.dat");
    assert_eq!(r.method, Method::Invite);
    let via: typed::Via = r.headers.typed().unwrap().unwrap();
    assert_eq!(via.branch(), None);
    assert!(!via.has_rfc3261_branch());
    let from: typed::From = r.headers.typed().unwrap().unwrap();
    assert_eq!(from.tag(), None);
    assert_eq!(r.headers.typed::<typed::MaxForwards>().unwrap(), None);
    assert_eq!(
        r.body.len(),
        105,
        "no Content-Length: the body is the rest of the datagram"
    );
    assert!(UasPolicy::default().check_request(&r).is_ok());
}
