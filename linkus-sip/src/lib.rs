//! # linkus-sip
//!
//! The SIP stack of the [Linkus SDK](https://github.com/linkus-sdk/linkus-sdk),
//! written sans-IO: no sockets, no clock, no tasks inside; a driver feeds it
//! bytes and time.
//!
//! **Status.** The message layer ([`message`]) is complete: RFC 3261 parsing
//! and serialisation that passes the RFC 4475 torture tests, typed headers,
//! stream framing for TCP/TLS, abuse limits and the UAS acceptance checks.
//! The transaction layer ([`transaction`], RFC 3261 §17 with RFC 6026) is in,
//! and so is client digest authentication ([`auth`], RFC 7616/8760); dialogs,
//! registration and the tokio driver come next (see `ARCHITECTURE.md`).
//!
//! ```
//! use linkus_sip::message::{Message, UasPolicy};
//!
//! let datagram = b"INVITE sip:bob@example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
//!     Max-Forwards: 70\r\nTo: Bob <sip:bob@example.com>\r\n\
//!     From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
//!     Call-ID: a84b4c76e66710@pc33.example.com\r\nCSeq: 314159 INVITE\r\n\
//!     Contact: <sip:alice@pc33.example.com>\r\nContent-Length: 0\r\n\r\n";
//! let msg = Message::parse(datagram)?;
//! let req = msg.as_request().expect("a request");
//! assert!(UasPolicy::default().check_request(req).is_ok());
//! # Ok::<(), linkus_sip::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod auth;
#[cfg(feature = "tokio")]
pub mod driver;
mod error;
pub mod message;
pub mod transaction;
pub mod ua;

pub use error::{DnsError, Error, StartLineError, TlsError, UriError};
