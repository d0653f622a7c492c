//! The SDP parser on arbitrary bytes.
//!
//! Checks that parsing never panics, that whatever parses writes back to
//! text that parses to the same value, and that the typed attribute views
//! never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_media::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse_bytes(data) else {
        return;
    };
    let text = sdp.to_string();
    assert_eq!(SessionDescription::parse(&text).as_ref(), Ok(&sdp), "{text:?}");
    let _ = (sdp.direction(), sdp.ice_options(), sdp.ice_lite());
    for m in &sdp.media {
        let _ = (sdp.direction_of(m), sdp.connection_of(m).map(|c| c.ip()));
        let _ = (sdp.ice_ufrag_of(m), sdp.ice_pwd_of(m), m.mid(), m.rtcp_mux());
        let _ = (m.ptime(), m.maxptime(), m.rtcp(), m.end_of_candidates());
        for pt in m.payload_types() {
            let _ = (m.rtpmap(pt), m.fmtp(&pt.to_string()));
        }
        for f in m.fmtps() {
            let _ = f.params().count();
        }
        for c in m.cryptos() {
            let _ = c.key_salt();
            for k in &c.key_params {
                let _ = (k.lifetime_packets(), k.mki_value());
            }
            assert_eq!(linkus_media::sdp::Crypto::parse(&c.to_string()), Some(c));
        }
        for c in m.candidates() {
            assert_eq!(linkus_media::sdp::Candidate::parse(&c.to_string()), Some(c));
        }
    }
});
