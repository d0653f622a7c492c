//! SRTP and SRTCP (RFC 3711; AES-256, RFC 6188; AEAD AES-GCM, RFC 7714) keyed from SDES
//! (RFC 4568), with replay protection.
//!
//! The cryptography is webrtc-rs' sans-IO `rtc-srtp` on ring; this module
//! adds the suites as SDP names them, master-key handling and typed errors.
//!
//! ```
//! use linkus_media::srtp::{SrtpSession, SrtpSuite};
//! use linkus_media::rtp::{RtpHeader, RtpPacket};
//!
//! let suite = SrtpSuite::AesCm128HmacSha1_80;
//! let alice_key = [1u8; 30]; // 16-byte key || 14-byte salt, as in a=crypto
//! let bob_key = [2u8; 30];
//! let mut alice = SrtpSession::new(suite, &alice_key, &bob_key)?;
//! let mut bob = SrtpSession::new(suite, &bob_key, &alice_key)?;
//!
//! let mut plain = [0u8; 172];
//! let n = RtpHeader::new(0, 1, 160, 0xabc).write(&[0x55; 160], &mut plain)?;
//! let mut wire = [0u8; 200];
//! let m = alice.protect_rtp(&plain[..n], &mut wire)?;
//! assert_eq!(m, n + 10); // 80-bit tag
//! let mut back = [0u8; 200];
//! let k = bob.unprotect_rtp(&wire[..m], &mut back)?;
//! assert_eq!(RtpPacket::parse(&back[..k])?.payload, &[0x55; 160]);
//! // A replayed packet is refused.
//! assert!(bob.unprotect_rtp(&wire[..m], &mut back).is_err());
//! # Ok::<(), linkus_media::Error>(())
//! ```

use core::fmt;

use rtc_srtp::context::Context;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use rtc_srtp::protection_profile::ProtectionProfile;

use crate::Error;

/// Packets remembered by the replay windows (RFC 3711 §3.3.2 asks for at
/// least 64).
const REPLAY_WINDOW: usize = 128;

/// The SRTP crypto suites we negotiate (SDP `a=crypto` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SrtpSuite {
    /// `AES_CM_128_HMAC_SHA1_80` (RFC 4568): AES-128 counter mode, 80-bit tag.
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32` (RFC 4568): as above with a 32-bit RTP tag.
    AesCm128HmacSha1_32,
    /// `AEAD_AES_128_GCM` (RFC 7714): AES-128 GCM, 128-bit tag.
    AeadAes128Gcm,
    /// `AES_256_CM_HMAC_SHA1_80` (RFC 6188).
    Aes256CmHmacSha1_80,
    /// `AES_256_CM_HMAC_SHA1_32` (RFC 6188).
    Aes256CmHmacSha1_32,
    /// `AEAD_AES_256_GCM` (RFC 7714).
    AeadAes256Gcm,
}

impl SrtpSuite {
    /// Every suite: the AES-128 ones first (what peers commonly offer),
    /// strongest authentication first within each key size.
    pub const ALL: [SrtpSuite; 6] = [
        SrtpSuite::AeadAes128Gcm,
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
        SrtpSuite::AeadAes256Gcm,
        SrtpSuite::Aes256CmHmacSha1_80,
        SrtpSuite::Aes256CmHmacSha1_32,
    ];

    /// The suite's name in SDP `a=crypto` lines.
    pub fn sdp_name(self) -> &'static str {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            SrtpSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            SrtpSuite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            SrtpSuite::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            SrtpSuite::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            SrtpSuite::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// The suite of an SDP `a=crypto` name (case-sensitive, as RFC 4568's
    /// grammar is).
    pub fn from_sdp_name(name: &str) -> Option<SrtpSuite> {
        SrtpSuite::ALL.into_iter().find(|s| s.sdp_name() == name)
    }

    /// Length of the master key in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80
            | SrtpSuite::AesCm128HmacSha1_32
            | SrtpSuite::AeadAes128Gcm => 16,
            _ => 32,
        }
    }

    /// Length of the master salt in bytes.
    pub fn salt_len(self) -> usize {
        match self {
            SrtpSuite::AeadAes128Gcm | SrtpSuite::AeadAes256Gcm => 12,
            _ => 14,
        }
    }

    /// Length of the SDES `inline:` key material: key then salt.
    pub fn master_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Bytes SRTP adds to an RTP packet (the authentication tag).
    pub fn rtp_overhead(self) -> usize {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 | SrtpSuite::Aes256CmHmacSha1_80 => 10,
            SrtpSuite::AesCm128HmacSha1_32 | SrtpSuite::Aes256CmHmacSha1_32 => 4,
            SrtpSuite::AeadAes128Gcm | SrtpSuite::AeadAes256Gcm => 16,
        }
    }

    /// Bytes SRTCP adds to an RTCP packet (E flag and index, then the tag:
    /// RFC 4568 keeps SRTCP's tag at 80 bits for the `_32` suite too).
    pub fn rtcp_overhead(self) -> usize {
        match self {
            SrtpSuite::AeadAes128Gcm | SrtpSuite::AeadAes256Gcm => 4 + 16,
            _ => 4 + 10,
        }
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            SrtpSuite::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            SrtpSuite::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
            SrtpSuite::AeadAes128Gcm => ProtectionProfile::AeadAes128Gcm,
            SrtpSuite::Aes256CmHmacSha1_80 => ProtectionProfile::Aes256CmHmacSha1_80,
            SrtpSuite::Aes256CmHmacSha1_32 => ProtectionProfile::Aes256CmHmacSha1_32,
            SrtpSuite::AeadAes256Gcm => ProtectionProfile::AeadAes256Gcm,
        }
    }
}

impl fmt::Display for SrtpSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sdp_name())
    }
}

/// One SRTP session: our outbound keys and the peer's inbound keys, for RTP
/// and RTCP, with replay protection on what we receive.
pub struct SrtpSession {
    suite: SrtpSuite,
    tx: Context,
    rx: Context,
}

impl fmt::Debug for SrtpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("SrtpSession")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

fn srtp_error(e: &rtc_shared::error::Error) -> Error {
    use rtc_shared::error::Error as E;
    let reason = match e {
        E::SrtpSsrcDuplicated(..) | E::SrtcpSsrcDuplicated(..) | E::ErrDuplicated => {
            "replayed packet"
        }
        E::ErrFailedToVerifyAuthTag
        | E::RtpFailedToVerifyAuthTag
        | E::RtcpFailedToVerifyAuthTag => "authentication failed",
        E::ErrTooShortRtp | E::ErrTooShortRtcp | E::RtcpInvalidLengthAuthTag(..) => "too short",
        E::ErrExceededMaxPackets => "key exhausted (2^48 packets)",
        _ => "rejected",
    };
    Error::MalformedPacket {
        protocol: "SRTP",
        reason,
    }
}

impl SrtpSession {
    /// A session that encrypts with `local_master` and decrypts with
    /// `remote_master`, each the key followed by the salt (the decoded
    /// `inline:` value of the SDES `a=crypto` line).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if a master key is not
    /// [`master_len`](SrtpSuite::master_len) bytes.
    pub fn new(suite: SrtpSuite, local_master: &[u8], remote_master: &[u8]) -> Result<Self, Error> {
        let provider = rtc_srtp::crypto::default_provider().map_err(|_| Error::InvalidConfig {
            reason: "no SRTP crypto provider",
        })?;
        let context = |master: &[u8]| -> Result<Context, Error> {
            if master.len() != suite.master_len() {
                return Err(Error::InvalidConfig {
                    reason: "SRTP master key and salt have the wrong length for the suite",
                });
            }
            let (key, salt) = master.split_at(suite.key_len());
            Context::new(
                key,
                salt,
                suite.profile(),
                Some(srtp_replay_protection(REPLAY_WINDOW)),
                Some(srtcp_replay_protection(REPLAY_WINDOW)),
                provider.crypto(),
            )
            .map_err(|_| Error::InvalidConfig {
                reason: "SRTP context rejected the keys",
            })
        };
        Ok(Self {
            suite,
            tx: context(local_master)?,
            rx: context(remote_master)?,
        })
    }

    /// The suite in use.
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    /// Encrypts and authenticates an RTP packet into `out`; returns its
    /// length (the input plus [`rtp_overhead`](SrtpSuite::rtp_overhead)).
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] if `packet` is not RTP;
    /// [`Error::BufferTooSmall`] if `out` cannot hold the result.
    pub fn protect_rtp(&mut self, packet: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let sealed = self.tx.encrypt_rtp(packet).map_err(|e| srtp_error(&e))?;
        copy_out(&sealed, out)
    }

    /// Authenticates, checks for replay and decrypts an SRTP packet into
    /// `out`; returns the RTP packet's length.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] for a packet that fails authentication,
    /// is replayed, or is too short; [`Error::BufferTooSmall`] as above.
    pub fn unprotect_rtp(&mut self, packet: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let opened = self.rx.decrypt_rtp(packet).map_err(|e| srtp_error(&e))?;
        copy_out(&opened, out)
    }

    /// Encrypts and authenticates a compound RTCP packet (SRTCP).
    ///
    /// # Errors
    ///
    /// As [`protect_rtp`](Self::protect_rtp).
    pub fn protect_rtcp(&mut self, packet: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let sealed = self.tx.encrypt_rtcp(packet).map_err(|e| srtp_error(&e))?;
        copy_out(&sealed, out)
    }

    /// Authenticates, checks for replay and decrypts an SRTCP packet.
    ///
    /// # Errors
    ///
    /// As [`unprotect_rtp`](Self::unprotect_rtp).
    pub fn unprotect_rtcp(&mut self, packet: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let opened = self.rx.decrypt_rtcp(packet).map_err(|e| srtp_error(&e))?;
        copy_out(&opened, out)
    }
}

fn copy_out(data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    crate::codec::check_len(data.len(), out.len())?;
    out[..data.len()].copy_from_slice(data);
    Ok(data.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::rtcp::{Compound, RtcpWriter};
    use crate::rtp::{RtpHeader, RtpPacket};

    fn pair(suite: SrtpSuite) -> (SrtpSession, SrtpSession) {
        let a: Vec<u8> = (0..suite.master_len() as u8).collect();
        let b: Vec<u8> = (0..suite.master_len() as u8).map(|x| x ^ 0x5a).collect();
        (
            SrtpSession::new(suite, &a, &b).unwrap(),
            SrtpSession::new(suite, &b, &a).unwrap(),
        )
    }

    #[test]
    fn every_suite_round_trips_rtp_and_rtcp() {
        for suite in SrtpSuite::ALL {
            let (mut a, mut b) = pair(suite);
            let mut plain = [0u8; 200];
            let mut wire = [0u8; 256];
            let mut back = [0u8; 256];
            // Across the sequence wrap, so the rollover counter is exercised.
            for i in 0..300u32 {
                let seq = (65400 + i) as u16;
                let payload = [i as u8; 160];
                let n = RtpHeader::new(0, seq, i * 160, 42)
                    .write(&payload, &mut plain)
                    .unwrap();
                let m = a.protect_rtp(&plain[..n], &mut wire).unwrap();
                assert_eq!(m, n + suite.rtp_overhead(), "{suite}");
                assert_ne!(&wire[12..n], &plain[12..n], "payload is encrypted");
                let k = b.unprotect_rtp(&wire[..m], &mut back).unwrap();
                assert_eq!(RtpPacket::parse(&back[..k]).unwrap().payload, &payload);
            }
            let mut rtcp = [0u8; 64];
            let mut w = RtcpWriter::new(&mut rtcp);
            w.receiver_report(42, &[]).unwrap();
            w.sdes_cname(42, "a@b").unwrap();
            let n = w.finish();
            let m = b.protect_rtcp(&rtcp[..n], &mut wire).unwrap();
            assert_eq!(m, n + suite.rtcp_overhead(), "{suite}");
            let k = a.unprotect_rtcp(&wire[..m], &mut back).unwrap();
            assert!(Compound::parse(&back[..k], false).is_ok());
            // SRTCP replay.
            assert_eq!(
                a.unprotect_rtcp(&wire[..m], &mut back),
                Err(Error::MalformedPacket {
                    protocol: "SRTP",
                    reason: "replayed packet"
                })
            );
        }
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        for suite in SrtpSuite::ALL {
            let (mut a, mut b) = pair(suite);
            let mut plain = [0u8; 64];
            let n = RtpHeader::new(8, 1, 0, 7)
                .write(&[1; 20], &mut plain)
                .unwrap();
            let mut wire = [0u8; 128];
            let m = a.protect_rtp(&plain[..n], &mut wire).unwrap();
            let mut back = [0u8; 128];
            let mut bad = wire;
            bad[20] ^= 1;
            assert_eq!(
                b.unprotect_rtp(&bad[..m], &mut back),
                Err(Error::MalformedPacket {
                    protocol: "SRTP",
                    reason: "authentication failed"
                }),
                "{suite}"
            );
            // Our own outbound keys do not open our packets.
            let (mut c, _) = pair(suite);
            assert!(c.unprotect_rtp(&wire[..m], &mut back).is_err());
            // Truncated packets and garbage are errors, not panics.
            for len in 0..m {
                let _ = b.unprotect_rtp(&wire[..len], &mut back);
                let _ = b.unprotect_rtcp(&wire[..len], &mut back);
            }
            // The untouched packet still opens (failed ones did not burn its index).
            assert!(b.unprotect_rtp(&wire[..m], &mut back).is_ok());
        }
    }

    #[test]
    fn reordered_packets_inside_the_window_open() {
        let (mut a, mut b) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let mut wires = Vec::new();
        for seq in 0..50u16 {
            let mut plain = [0u8; 40];
            let n = RtpHeader::new(0, seq, 0, 9)
                .write(&[0; 8], &mut plain)
                .unwrap();
            let mut wire = [0u8; 64];
            let m = a.protect_rtp(&plain[..n], &mut wire).unwrap();
            wires.push(wire[..m].to_vec());
        }
        let mut back = [0u8; 64];
        for i in (0..50).rev() {
            assert!(b.unprotect_rtp(&wires[i], &mut back).is_ok(), "{i}");
        }
    }

    #[test]
    fn key_lengths_and_names() {
        assert!(matches!(
            SrtpSession::new(SrtpSuite::AesCm128HmacSha1_80, &[0; 29], &[0; 30]),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(SrtpSession::new(SrtpSuite::AeadAes128Gcm, &[0; 28], &[0; 28]).is_ok());
        for s in SrtpSuite::ALL {
            assert_eq!(SrtpSuite::from_sdp_name(s.sdp_name()), Some(s));
        }
        assert_eq!(SrtpSuite::from_sdp_name("F8_128_HMAC_SHA1_80"), None);
        let dbg = format!("{:?}", pair(SrtpSuite::AeadAes128Gcm).0);
        assert!(!dbg.contains("key"), "{dbg}");
    }
}
