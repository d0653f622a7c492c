//! RTP data packets (RFC 3550 §5.1): the fixed header, CSRCs, the header
//! extension and padding.

use crate::Error;

/// Size of the fixed RTP header, without CSRCs or extension.
pub const HEADER_LEN: usize = 12;

/// Most CSRCs a packet can carry (the 4-bit CC field).
pub const MAX_CSRCS: usize = 15;

/// The header of an RTP packet.
///
/// Parsing borrows nothing: the CSRC list is copied into a fixed array and
/// the header extension is described by its profile and its byte range in
/// the packet, so a parsed header is `Copy` and costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit (first packet of a talkspurt for audio, last packet of a
    /// frame for video).
    pub marker: bool,
    /// Payload type, 0–127.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp, in units of the payload's clock rate.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    csrc_count: u8,
    csrcs: [u32; MAX_CSRCS],
    /// Profile-defined header extension: its 16-bit profile identifier.
    /// `None` when the X bit is clear.
    pub extension_profile: Option<u16>,
}

impl RtpHeader {
    /// A header with no CSRCs and no extension.
    pub fn new(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type: payload_type & 0x7f,
            sequence,
            timestamp,
            ssrc,
            csrc_count: 0,
            csrcs: [0; MAX_CSRCS],
            extension_profile: None,
        }
    }

    /// The contributing sources (for mixed audio).
    pub fn csrcs(&self) -> &[u32] {
        &self.csrcs[..usize::from(self.csrc_count)]
    }

    /// Sets the contributing sources.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for more than [`MAX_CSRCS`].
    pub fn set_csrcs(&mut self, csrcs: &[u32]) -> Result<(), Error> {
        if csrcs.len() > MAX_CSRCS {
            return Err(Error::InvalidConfig {
                reason: "an RTP packet carries at most 15 CSRCs",
            });
        }
        self.csrcs[..csrcs.len()].copy_from_slice(csrcs);
        self.csrc_count = csrcs.len() as u8;
        Ok(())
    }

    /// Length of this header when written without an extension.
    pub fn len(&self) -> usize {
        HEADER_LEN + 4 * usize::from(self.csrc_count)
    }

    /// Always false: a header has at least 12 bytes (for clippy's `len`
    /// convention).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the header followed by `payload` into `out` (no extension, no
    /// padding) and returns the packet length.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `out` cannot hold the packet.
    pub fn write(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let head = self.len();
        let total = head + payload.len();
        crate::codec::check_len(total, out.len())?;
        out[0] = 0x80 | self.csrc_count;
        out[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7f);
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        for (i, c) in self.csrcs().iter().enumerate() {
            out[12 + 4 * i..16 + 4 * i].copy_from_slice(&c.to_be_bytes());
        }
        out[head..total].copy_from_slice(payload);
        Ok(total)
    }
}

/// A parsed RTP packet borrowing its payload from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header.
    pub header: RtpHeader,
    /// The body of the header extension (after its 4-byte preamble), empty
    /// when there is none.
    pub extension: &'a [u8],
    /// The payload, padding removed.
    pub payload: &'a [u8],
    /// Number of padding bytes that followed the payload.
    pub padding: u8,
}

fn bad(reason: &'static str) -> Error {
    Error::MalformedPacket {
        protocol: "RTP",
        reason,
    }
}

impl<'a> RtpPacket<'a> {
    /// Parses one RTP packet.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] if the version is not 2, or the CSRC list,
    /// the extension or the padding do not fit in the datagram.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let Some(fixed) = data.get(..HEADER_LEN) else {
            return Err(bad("shorter than the 12-byte header"));
        };
        if fixed[0] >> 6 != 2 {
            return Err(bad("version is not 2"));
        }
        let has_padding = fixed[0] & 0x20 != 0;
        let has_extension = fixed[0] & 0x10 != 0;
        let csrc_count = fixed[0] & 0x0f;
        let mut header = RtpHeader::new(
            fixed[1] & 0x7f,
            u16::from_be_bytes([fixed[2], fixed[3]]),
            u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        );
        header.marker = fixed[1] & 0x80 != 0;
        let mut at = HEADER_LEN;
        let csrc_end = at + 4 * usize::from(csrc_count);
        let Some(csrcs) = data.get(at..csrc_end) else {
            return Err(bad("CSRC list past the end"));
        };
        for (slot, c) in header.csrcs.iter_mut().zip(csrcs.chunks_exact(4)) {
            *slot = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        header.csrc_count = csrc_count;
        at = csrc_end;
        let mut extension: &[u8] = &[];
        if has_extension {
            let Some(pre) = data.get(at..at + 4) else {
                return Err(bad("extension header past the end"));
            };
            header.extension_profile = Some(u16::from_be_bytes([pre[0], pre[1]]));
            let words = usize::from(u16::from_be_bytes([pre[2], pre[3]]));
            let end = at + 4 + 4 * words;
            let Some(body) = data.get(at + 4..end) else {
                return Err(bad("extension past the end"));
            };
            extension = body;
            at = end;
        }
        let mut end = data.len();
        let mut padding = 0;
        if has_padding {
            padding = data[end - 1];
            if padding == 0 || usize::from(padding) > end - at {
                return Err(bad("bad padding length"));
            }
            end -= usize::from(padding);
        }
        Ok(Self {
            header,
            extension,
            payload: &data[at..end],
            padding,
        })
    }
}

/// Tells RTP from RTCP on a multiplexed port (RFC 5761 §4): RTCP packet
/// types 192–223 occupy the second byte's range that RTP payload types
/// 64–95 (with the marker) would.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 8 && datagram[0] >> 6 == 2 && (192..=223).contains(&datagram[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_csrcs() {
        let mut h = RtpHeader::new(9, 65535, 0xdead_beef, 0x1122_3344);
        h.marker = true;
        h.set_csrcs(&[1, 2, 3]).unwrap();
        let mut buf = [0u8; 64];
        let n = h.write(b"hello", &mut buf).unwrap();
        assert_eq!(n, 12 + 12 + 5);
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, b"hello");
        assert_eq!(p.header.csrcs(), &[1, 2, 3]);
        assert!(!is_rtcp(&buf[..n]));
    }

    #[test]
    fn extension_and_padding() {
        // V=2 P=1 X=1 CC=0, PT 0, seq 1, ts 2, ssrc 3, ext profile 0xBEDE
        // with one word, payload "ab", 2 bytes padding.
        let pkt = [
            0xb0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0, b'a',
            b'b', 0, 2,
        ];
        let p = RtpPacket::parse(&pkt).unwrap();
        assert_eq!(p.header.extension_profile, Some(0xbede));
        assert_eq!(p.extension, &[0x10, 0xaa, 0, 0]);
        assert_eq!(p.payload, b"ab");
        assert_eq!(p.padding, 2);
    }

    #[test]
    fn malformed() {
        let err = |d: &[u8]| RtpPacket::parse(d).unwrap_err();
        assert!(matches!(err(&[0x80; 11]), Error::MalformedPacket { .. }));
        assert!(matches!(err(&[0x40; 12]), Error::MalformedPacket { .. }));
        // CC = 2 but no CSRCs.
        let mut p = [0u8; 12];
        p[0] = 0x82;
        assert!(matches!(err(&p), Error::MalformedPacket { .. }));
        // Padding longer than the packet body.
        p[0] = 0xa0;
        let mut q = p.to_vec();
        q.push(5);
        assert!(matches!(err(&q), Error::MalformedPacket { .. }));
        q[12] = 0;
        assert!(matches!(err(&q), Error::MalformedPacket { .. }));
        // Extension length past the end.
        let mut x = [0u8; 16];
        x[0] = 0x90;
        x[15] = 4;
        assert!(matches!(err(&x), Error::MalformedPacket { .. }));
    }

    #[test]
    fn small_buffer() {
        let h = RtpHeader::new(0, 0, 0, 0);
        assert_eq!(
            h.write(&[0; 160], &mut [0u8; 100]),
            Err(Error::BufferTooSmall {
                needed: 172,
                available: 100
            })
        );
    }

    #[test]
    fn demux() {
        assert!(is_rtcp(&[0x80, 200, 0, 6, 0, 0, 0, 1]));
        assert!(is_rtcp(&[0x81, 201, 0, 7, 0, 0, 0, 1]));
        assert!(!is_rtcp(&[0x80, 0x80, 0, 6, 0, 0, 0, 1]));
        assert!(!is_rtcp(&[0x80, 200, 0]));
    }
}
