//! # linkus-media
//!
//! The media engine of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk):
//! voice codecs (G.711, G.722, G.729 opt-in, iLBC, Opus), the adaptive jitter
//! buffer and packet-loss concealment, SDP offer/answer, RTP/RTCP, SRTP,
//! ICE/STUN/TURN, DTMF, the conference mixer, call recording and call-quality
//! statistics, all sans-IO with a tokio driver for sockets.
//!
//! **Status: not started.** It depends on no other Linkus crate; `linkus-core`
//! connects it to SIP sessions.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
