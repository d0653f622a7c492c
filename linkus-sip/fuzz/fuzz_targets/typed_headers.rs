//! One header field `name\0value` through every typed parser, the UA checks
//! and the URI parser. A typed value that parses must write itself back in
//! a form that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_sip::message::typed::{self, TypedHeader};
use linkus_sip::message::{Headers, Message, Method, Request, Uri};

/// `typed_all`, `typed` and `typed_first`; every value written back must
/// parse to itself.
fn exercise<H: TypedHeader + PartialEq + std::fmt::Debug>(headers: &Headers) {
    if let Ok(all) = headers.typed_all::<H>() {
        for h in &all {
            let mut s = String::new();
            h.write(&mut s);
            let back = H::parse(&s);
            assert_eq!(back.as_ref(), Ok(h), "{}: {h:?} writes as {s:?}", H::NAME);
            // And through a header container (the value must be pushable).
            let mut hs = Headers::new();
            hs.push_typed(h).expect("a typed value holds no CR/LF");
            let first = hs.typed_first::<H>();
            assert_eq!(first.as_ref().map(Option::as_ref), Ok(Some(h)));
        }
    }
    let _ = headers.typed::<H>();
    let _ = headers.typed_first::<H>();
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (name, value) = text.split_once('\0').unwrap_or(("Via", text));

    if let Ok(uri) = Uri::parse(value) {
        let s = uri.to_string();
        assert_eq!(
            Uri::parse(&s).as_ref(),
            Ok(&uri),
            "URI {value:?} writes as {s:?}"
        );
    }

    let mut headers = Headers::new();
    if headers.push_raw(name, value).is_err() {
        return;
    }

    use typed::*;
    exercise::<Via>(&headers);
    exercise::<From>(&headers);
    exercise::<To>(&headers);
    exercise::<Contact>(&headers);
    exercise::<Route>(&headers);
    exercise::<RecordRoute>(&headers);
    exercise::<ReferTo>(&headers);
    exercise::<ReferredBy>(&headers);
    exercise::<PAssertedIdentity>(&headers);
    exercise::<PPreferredIdentity>(&headers);
    exercise::<Path>(&headers);
    exercise::<ServiceRoute>(&headers);
    exercise::<CSeq>(&headers);
    exercise::<RAck>(&headers);
    exercise::<CallId>(&headers);
    exercise::<MaxForwards>(&headers);
    exercise::<Expires>(&headers);
    exercise::<MinExpires>(&headers);
    exercise::<ContentLength>(&headers);
    exercise::<RSeq>(&headers);
    exercise::<MinSe>(&headers);
    exercise::<SessionExpires>(&headers);
    exercise::<Authorization>(&headers);
    exercise::<ProxyAuthorization>(&headers);
    exercise::<WwwAuthenticate>(&headers);
    exercise::<ProxyAuthenticate>(&headers);
    exercise::<ContentType>(&headers);
    exercise::<Accept>(&headers);
    exercise::<AcceptEncoding>(&headers);
    exercise::<ContentEncoding>(&headers);
    exercise::<Supported>(&headers);
    exercise::<Require>(&headers);
    exercise::<ProxyRequire>(&headers);
    exercise::<Unsupported>(&headers);
    exercise::<Allow>(&headers);
    exercise::<AllowEvents>(&headers);
    exercise::<Event>(&headers);
    exercise::<SubscriptionState>(&headers);
    exercise::<Replaces>(&headers);
    exercise::<CallInfo>(&headers);
    exercise::<AlertInfo>(&headers);
    exercise::<ErrorInfo>(&headers);
    exercise::<Reason>(&headers);
    exercise::<RetryAfter>(&headers);
    exercise::<Warning>(&headers);
    exercise::<Date>(&headers);
    exercise::<UserAgent>(&headers);
    exercise::<Server>(&headers);

    // The UA checks over a request carrying the field.
    let mut req = Request::new(
        Method::Options,
        Uri::parse("sip:fuzz@example.com").expect("uri"),
    );
    req.headers = headers;
    let _ = Message::Request(req).check();
});
