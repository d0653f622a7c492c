//! A multipart body: byte 0 is the boundary length (0..=79, so that the
//! 1..=70 rule is tested on both sides), the next bytes the boundary, the
//! rest the body. Parts that are multipart themselves are split too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_sip::message::multipart;
use linkus_sip::message::typed::{ContentType, MediaType};

fn split(ct: &MediaType, body: &[u8], depth: usize) {
    let Ok(parts) = multipart::parse(ct, body) else {
        return;
    };
    for part in parts {
        assert!(part.body.len() <= body.len());
        if let Ok(Some(ContentType(inner))) = part.headers.typed::<ContentType>() {
            if depth < 4 && inner.kind.eq_ignore_ascii_case("multipart") {
                split(&inner, part.body, depth + 1);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 80).min(rest.len());
    let (boundary, body) = rest.split_at(n);
    let Ok(boundary) = std::str::from_utf8(boundary) else {
        return;
    };
    let mut ct = MediaType::new("multipart", "mixed");
    ct.params.push("boundary", Some(boundary));
    split(&ct, body, 0);
});
