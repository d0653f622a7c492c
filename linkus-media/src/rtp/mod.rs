//! RTP and RTCP (RFC 3550), sans-IO: packet parsing and writing, RTCP
//! compound packets, and the reception statistics behind receiver reports.
//!
//! - [`packet`]: RTP headers (CSRCs, extension, padding) parsed without
//!   allocation, written into caller buffers; [`is_rtcp`] for rtcp-mux
//!   demultiplexing (RFC 5761).
//! - [`rtcp`]: compound RTCP validation (RFC 3550 §A.2), SR, RR, SDES, BYE.
//! - [`stats`]: sequence tracking with probation and wrap, loss, fraction
//!   lost and interarrival jitter (§A.1, §A.3, §A.8), NTP helpers and the
//!   round-trip time from LSR/DLSR.

pub mod packet;
pub mod rtcp;
pub mod stats;

pub use packet::{RtpHeader, RtpPacket, is_rtcp};
