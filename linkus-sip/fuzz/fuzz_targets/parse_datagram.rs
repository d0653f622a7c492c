//! A UDP datagram from the network: parse, check, and what a UA does next.
//! Whatever parses must serialise to bytes that parse back to the same
//! message, and serialising must be stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_sip::message::{Message, UasPolicy, check_response};

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::parse(data) else {
        return;
    };
    let _ = m.check();
    match &m {
        Message::Request(r) => {
            if let Err(rejection) = UasPolicy::default().check_request(r) {
                // The answer is built from the request's own headers.
                let _ = Message::parse(&rejection.to_response(r, "fuzz").to_bytes());
            }
        }
        Message::Response(r) => {
            let _ = check_response(r);
        }
    }
    let bytes = m.to_bytes();
    let again = Message::parse(&bytes);
    assert_eq!(again.as_ref(), Ok(&m), "parse(to_bytes(m)) != m");
    if let Ok(again) = again {
        assert_eq!(again.to_bytes(), bytes, "to_bytes is not stable");
    }
});
