//! RTCP (RFC 3550 §6): parsing and writing compound packets of sender and
//! receiver reports, source descriptions and goodbyes.
//!
//! Parsing borrows the datagram and allocates nothing: a
//! [`Compound`] is validated as a whole first (RFC 3550 §A.2: version 2,
//! lengths that add up to the datagram, padding only in the last packet,
//! a report first), then iterated.

use crate::Error;

/// RTCP packet type of a sender report.
pub const SR: u8 = 200;
/// RTCP packet type of a receiver report.
pub const RR: u8 = 201;
/// RTCP packet type of a source description.
pub const SDES: u8 = 202;
/// RTCP packet type of a goodbye.
pub const BYE: u8 = 203;
/// RTCP packet type of an application-defined packet.
pub const APP: u8 = 204;

/// Size of one report block.
const BLOCK_LEN: usize = 24;

fn bad(reason: &'static str) -> Error {
    Error::MalformedPacket {
        protocol: "RTCP",
        reason,
    }
}

/// One reception report block: what the sender of the report heard from
/// `ssrc`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block is about.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed: duplicates make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter, in RTP timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from
    /// `ssrc` (0 if none).
    pub last_sr: u32,
    /// Delay since that SR was received, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(b: &[u8]) -> Self {
        let lost = word(b, 4) & 0x00ff_ffff;
        // Sign-extend the 24-bit field.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Self {
            ssrc: word(b, 0),
            fraction_lost: b[4],
            cumulative_lost,
            highest_seq: word(b, 8),
            jitter: word(b, 12),
            last_sr: word(b, 16),
            delay_since_last_sr: word(b, 20),
        }
    }

    fn write(&self, out: &mut [u8]) {
        let lost = (self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        out[4..8].copy_from_slice(&(u32::from(self.fraction_lost) << 24 | lost).to_be_bytes());
        out[8..12].copy_from_slice(&self.highest_seq.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// The report blocks of an SR or RR, parsed as they are iterated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a>(&'a [u8]);

impl<'a> ReportBlocks<'a> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.0.len() / BLOCK_LEN
    }

    /// True if there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The blocks.
    pub fn iter(&self) -> impl Iterator<Item = ReportBlock> + use<'a> {
        self.0.chunks_exact(BLOCK_LEN).map(ReportBlock::parse)
    }
}

/// The sender information of an SR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp (seconds since 1900 in the high 32 bits).
    pub ntp: u64,
    /// The RTP timestamp that corresponds to `ntp`.
    pub rtp_timestamp: u32,
    /// Packets sent so far.
    pub packet_count: u32,
    /// Payload octets sent so far.
    pub octet_count: u32,
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// Sender report (PT 200).
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its sender information.
        info: SenderInfo,
        /// What it received.
        blocks: ReportBlocks<'a>,
    },
    /// Receiver report (PT 201).
    ReceiverReport {
        /// The sender of the report.
        ssrc: u32,
        /// What it received.
        blocks: ReportBlocks<'a>,
    },
    /// Source description (PT 202); see [`SdesItems`].
    SourceDescription(SdesChunks<'a>),
    /// Goodbye (PT 203).
    Goodbye {
        /// The sources leaving: a multiple of 4 bytes, see [`RtcpPacket::bye_sources`].
        sources: &'a [u8],
        /// The reason, if given (raw bytes, UTF-8 by RFC 3550).
        reason: Option<&'a [u8]>,
    },
    /// Any other packet type (APP, feedback, XR, ...), unparsed.
    Other {
        /// Packet type.
        packet_type: u8,
        /// The 5-bit count/format field.
        count: u8,
        /// The body after the 4-byte header.
        body: &'a [u8],
    },
}

impl RtcpPacket<'_> {
    /// The SSRCs of a [`Goodbye`](RtcpPacket::Goodbye) (empty for other packets).
    pub fn bye_sources(&self) -> impl Iterator<Item = u32> + '_ {
        let s: &[u8] = match self {
            RtcpPacket::Goodbye { sources, .. } => sources,
            _ => &[],
        };
        s.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// The chunks of an SDES packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunks<'a> {
    count: u8,
    body: &'a [u8],
}

/// One SDES item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// The source the item describes.
    pub ssrc: u32,
    /// Item type (1 = CNAME, 2 = NAME, ...).
    pub kind: u8,
    /// Item text (UTF-8 by RFC 3550, not checked).
    pub value: &'a [u8],
}

/// SDES item type of the canonical name.
pub const CNAME: u8 = 1;

/// Iterator over the items of an SDES packet (see [`SdesChunks::items`]).
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    body: &'a [u8],
    pos: usize,
    chunks_left: u8,
    ssrc: Option<u32>,
}

impl<'a> SdesChunks<'a> {
    /// Every item of every chunk, with the chunk's SSRC. Stops at the first
    /// malformed chunk.
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems {
            body: self.body,
            pos: 0,
            chunks_left: self.count,
            ssrc: None,
        }
    }

    /// The CNAME of `ssrc`, if described here.
    pub fn cname(&self, ssrc: u32) -> Option<&'a [u8]> {
        self.items()
            .find(|i| i.ssrc == ssrc && i.kind == CNAME)
            .map(|i| i.value)
    }
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        loop {
            let ssrc = match self.ssrc {
                Some(s) => s,
                None => {
                    if self.chunks_left == 0 {
                        return None;
                    }
                    let s =
                        u32::from_be_bytes(self.body.get(self.pos..self.pos + 4)?.try_into().ok()?);
                    self.pos += 4;
                    self.chunks_left -= 1;
                    self.ssrc = Some(s);
                    s
                }
            };
            let kind = *self.body.get(self.pos)?;
            if kind == 0 {
                // End of the chunk's items: null bytes up to the next 32-bit
                // boundary (the body starts aligned).
                self.pos = (self.pos + 1).div_ceil(4) * 4;
                self.ssrc = None;
                continue;
            }
            let len = usize::from(*self.body.get(self.pos + 1)?);
            let value = self.body.get(self.pos + 2..self.pos + 2 + len)?;
            self.pos += 2 + len;
            return Some(SdesItem { ssrc, kind, value });
        }
    }
}

/// A validated compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a>(&'a [u8]);

impl<'a> Compound<'a> {
    /// Checks a datagram (decrypted, for SRTCP) as RFC 3550 §A.2 says.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] if any packet's version is not 2, a length
    /// runs past the datagram or leaves bytes over, a packet before the last
    /// is padded, or the first packet is not an SR or RR. (RFC 5506
    /// reduced-size RTCP is accepted with `allow_reduced_size`.)
    pub fn parse(data: &'a [u8], allow_reduced_size: bool) -> Result<Self, Error> {
        if data.len() < 4 {
            return Err(bad("shorter than a header"));
        }
        if !allow_reduced_size && !matches!(data[1], SR | RR) {
            return Err(bad("first packet is not a report"));
        }
        let mut rest = data;
        while !rest.is_empty() {
            let Some(h) = rest.get(..4) else {
                return Err(bad("trailing bytes"));
            };
            if h[0] >> 6 != 2 {
                return Err(bad("version is not 2"));
            }
            let len = 4 * (usize::from(u16::from_be_bytes([h[2], h[3]])) + 1);
            let Some(packet) = rest.get(..len) else {
                return Err(bad("length past the end"));
            };
            if h[0] & 0x20 != 0 {
                let pad = usize::from(packet[len - 1]);
                if len != rest.len() {
                    return Err(bad("padding before the last packet"));
                }
                if pad == 0 || pad > len - 4 {
                    return Err(bad("bad padding length"));
                }
            }
            check_body(h[1], h[0] & 0x1f, &packet[4..])?;
            rest = &rest[len..];
        }
        Ok(Self(data))
    }

    /// The packets, in order.
    pub fn packets(&self) -> impl Iterator<Item = RtcpPacket<'a>> + 'a {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let h = rest.get(..4)?;
            let len = 4 * (usize::from(u16::from_be_bytes([h[2], h[3]])) + 1);
            let mut packet = rest.get(..len)?;
            rest = &rest[len..];
            if h[0] & 0x20 != 0 {
                let pad = usize::from(packet[len - 1]);
                packet = &packet[..len - pad];
            }
            Some(view(h[1], h[0] & 0x1f, &packet[4..]))
        })
    }
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Checks what [`view`] will index, so that it cannot go out of bounds.
fn check_body(pt: u8, count: u8, body: &[u8]) -> Result<(), Error> {
    let blocks = BLOCK_LEN * usize::from(count);
    match pt {
        SR if body.len() < 24 + blocks => Err(bad("sender report shorter than its blocks")),
        RR if body.len() < 4 + blocks => Err(bad("receiver report shorter than its blocks")),
        BYE if body.len() < 4 * usize::from(count) => Err(bad("goodbye shorter than its sources")),
        _ => Ok(()),
    }
}

fn view(pt: u8, count: u8, body: &[u8]) -> RtcpPacket<'_> {
    let blocks = BLOCK_LEN * usize::from(count);
    match pt {
        SR => RtcpPacket::SenderReport {
            ssrc: word(body, 0),
            info: SenderInfo {
                ntp: u64::from(word(body, 4)) << 32 | u64::from(word(body, 8)),
                rtp_timestamp: word(body, 12),
                packet_count: word(body, 16),
                octet_count: word(body, 20),
            },
            blocks: ReportBlocks(&body[24..24 + blocks]),
        },
        RR => RtcpPacket::ReceiverReport {
            ssrc: word(body, 0),
            blocks: ReportBlocks(&body[4..4 + blocks]),
        },
        SDES => RtcpPacket::SourceDescription(SdesChunks { count, body }),
        BYE => {
            let n = 4 * usize::from(count);
            let reason = body
                .get(n)
                .and_then(|&len| body.get(n + 1..n + 1 + usize::from(len)));
            RtcpPacket::Goodbye {
                sources: &body[..n],
                reason,
            }
        }
        _ => RtcpPacket::Other {
            packet_type: pt,
            count,
            body,
        },
    }
}

/// Writes a compound RTCP packet into a caller's buffer.
///
/// ```
/// use linkus_media::rtp::rtcp::{Compound, ReportBlock, RtcpPacket, RtcpWriter};
///
/// let mut buf = [0u8; 256];
/// let mut w = RtcpWriter::new(&mut buf);
/// w.receiver_report(0x1111, &[ReportBlock { ssrc: 0x2222, fraction_lost: 64, ..Default::default() }])?;
/// w.sdes_cname(0x1111, "alice@example.com")?;
/// let n = w.finish();
/// let compound = Compound::parse(&buf[..n], false)?;
/// let first = compound.packets().next();
/// assert!(matches!(first, Some(RtcpPacket::ReceiverReport { ssrc: 0x1111, .. })));
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug)]
pub struct RtcpWriter<'b> {
    out: &'b mut [u8],
    len: usize,
}

impl<'b> RtcpWriter<'b> {
    /// A writer filling `out` from its start.
    pub fn new(out: &'b mut [u8]) -> Self {
        Self { out, len: 0 }
    }

    fn start(&mut self, pt: u8, count: u8, body_len: usize) -> Result<&mut [u8], Error> {
        let total = 4 + body_len;
        crate::codec::check_len(self.len + total, self.out.len())?;
        let words = u16::try_from(total / 4 - 1).map_err(|_| Error::InvalidConfig {
            reason: "RTCP packet longer than 256 KiB",
        })?;
        let p = &mut self.out[self.len..self.len + total];
        p[0] = 0x80 | (count & 0x1f);
        p[1] = pt;
        p[2..4].copy_from_slice(&words.to_be_bytes());
        self.len += total;
        Ok(&mut p[4..])
    }

    fn check_blocks(blocks: &[ReportBlock]) -> Result<u8, Error> {
        u8::try_from(blocks.len())
            .ok()
            .filter(|&n| n <= 31)
            .ok_or(Error::InvalidConfig {
                reason: "at most 31 report blocks per report",
            })
    }

    /// Appends a sender report.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when the buffer is full;
    /// [`Error::InvalidConfig`] for more than 31 blocks.
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
    ) -> Result<(), Error> {
        let n = Self::check_blocks(blocks)?;
        let body = self.start(SR, n, 24 + BLOCK_LEN * blocks.len())?;
        body[0..4].copy_from_slice(&ssrc.to_be_bytes());
        body[4..12].copy_from_slice(&info.ntp.to_be_bytes());
        body[12..16].copy_from_slice(&info.rtp_timestamp.to_be_bytes());
        body[16..20].copy_from_slice(&info.packet_count.to_be_bytes());
        body[20..24].copy_from_slice(&info.octet_count.to_be_bytes());
        for (b, out) in blocks.iter().zip(body[24..].chunks_exact_mut(BLOCK_LEN)) {
            b.write(out);
        }
        Ok(())
    }

    /// Appends a receiver report.
    ///
    /// # Errors
    ///
    /// As [`sender_report`](Self::sender_report).
    pub fn receiver_report(&mut self, ssrc: u32, blocks: &[ReportBlock]) -> Result<(), Error> {
        let n = Self::check_blocks(blocks)?;
        let body = self.start(RR, n, 4 + BLOCK_LEN * blocks.len())?;
        body[0..4].copy_from_slice(&ssrc.to_be_bytes());
        for (b, out) in blocks.iter().zip(body[4..].chunks_exact_mut(BLOCK_LEN)) {
            b.write(out);
        }
        Ok(())
    }

    /// Appends an SDES packet with one chunk holding the CNAME of `ssrc`.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when the buffer is full;
    /// [`Error::InvalidConfig`] for a CNAME over 255 bytes.
    pub fn sdes_cname(&mut self, ssrc: u32, cname: &str) -> Result<(), Error> {
        let len = u8::try_from(cname.len()).map_err(|_| Error::InvalidConfig {
            reason: "an SDES item is at most 255 bytes",
        })?;
        // SSRC, type, length, text, then at least one null, padded to 4.
        let chunk = (4 + 2 + cname.len() + 1).div_ceil(4) * 4;
        let body = self.start(SDES, 1, chunk)?;
        body.fill(0);
        body[0..4].copy_from_slice(&ssrc.to_be_bytes());
        body[4] = CNAME;
        body[5] = len;
        body[6..6 + cname.len()].copy_from_slice(cname.as_bytes());
        Ok(())
    }

    /// Appends a goodbye for `sources` with an optional reason.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when the buffer is full;
    /// [`Error::InvalidConfig`] for more than 31 sources or a reason over 255
    /// bytes.
    pub fn bye(&mut self, sources: &[u32], reason: Option<&str>) -> Result<(), Error> {
        let n = u8::try_from(sources.len())
            .ok()
            .filter(|&n| n <= 31)
            .ok_or(Error::InvalidConfig {
                reason: "at most 31 sources per goodbye",
            })?;
        let reason_len = match reason {
            Some(r) => {
                1 + usize::from(u8::try_from(r.len()).map_err(|_| Error::InvalidConfig {
                    reason: "a goodbye reason is at most 255 bytes",
                })?)
            }
            None => 0,
        };
        let body_len = (4 * sources.len() + reason_len).div_ceil(4) * 4;
        let body = self.start(BYE, n, body_len)?;
        body.fill(0);
        for (s, out) in sources.iter().zip(body.chunks_exact_mut(4)) {
            out.copy_from_slice(&s.to_be_bytes());
        }
        if let Some(r) = reason {
            let at = 4 * sources.len();
            body[at] = r.len() as u8;
            body[at + 1..at + 1 + r.len()].copy_from_slice(r.as_bytes());
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn finish(self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sr_sdes_bye_round_trip() {
        let block = ReportBlock {
            ssrc: 7,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 0x0001_0005,
            jitter: 80,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        };
        let info = SenderInfo {
            ntp: 0xe000_0000_8000_0000,
            rtp_timestamp: 160,
            packet_count: 10,
            octet_count: 1600,
        };
        let mut buf = [0u8; 512];
        let mut w = RtcpWriter::new(&mut buf);
        w.sender_report(1, &info, &[block, block]).unwrap();
        w.sdes_cname(1, "abc").unwrap();
        w.sdes_cname(1, "abcd").unwrap();
        w.bye(&[1, 2], Some("hung up")).unwrap();
        let n = w.finish();
        assert_eq!(n % 4, 0);
        let c = Compound::parse(&buf[..n], false).unwrap();
        let packets: Vec<_> = c.packets().collect();
        assert_eq!(packets.len(), 4);
        match packets[0] {
            RtcpPacket::SenderReport {
                ssrc,
                info: i,
                blocks,
            } => {
                assert_eq!((ssrc, i), (1, info));
                assert_eq!(blocks.iter().collect::<Vec<_>>(), vec![block, block]);
            }
            ref p => panic!("{p:?}"),
        }
        for (p, name) in packets[1..3].iter().zip([&b"abc"[..], b"abcd"]) {
            match p {
                RtcpPacket::SourceDescription(s) => assert_eq!(s.cname(1), Some(name)),
                p => panic!("{p:?}"),
            }
        }
        assert_eq!(packets[3].bye_sources().collect::<Vec<_>>(), vec![1, 2]);
        assert!(matches!(
            packets[3],
            RtcpPacket::Goodbye {
                reason: Some(b"hung up"),
                ..
            }
        ));
    }

    #[test]
    fn rejects_malformed() {
        let mut buf = [0u8; 64];
        let mut w = RtcpWriter::new(&mut buf);
        w.receiver_report(1, &[ReportBlock::default()]).unwrap();
        let n = w.finish();
        let good = &buf[..n];
        assert!(Compound::parse(good, false).is_ok());
        // Truncated.
        assert!(Compound::parse(&good[..n - 4], false).is_err());
        // Trailing garbage.
        let mut long = good.to_vec();
        long.extend_from_slice(&[0x80, 0]);
        assert!(Compound::parse(&long, false).is_err());
        // Count says 2 blocks but only one is there.
        let mut two = good.to_vec();
        two[0] = 0x82;
        assert!(Compound::parse(&two, false).is_err());
        // Not a report first.
        let mut sdes = good.to_vec();
        sdes[1] = SDES;
        assert!(Compound::parse(&sdes, false).is_err());
        assert!(Compound::parse(&sdes, true).is_ok());
        // Version 1.
        let mut v1 = good.to_vec();
        v1[0] = 0x41;
        assert!(Compound::parse(&v1, false).is_err());
    }

    #[test]
    fn rfc3550_cumulative_lost_sign() {
        let b = ReportBlock {
            cumulative_lost: -1,
            ..Default::default()
        };
        let mut out = [0u8; 24];
        b.write(&mut out);
        assert_eq!(&out[4..8], &[0, 0xff, 0xff, 0xff]);
        assert_eq!(ReportBlock::parse(&out).cumulative_lost, -1);
        let big = ReportBlock {
            cumulative_lost: 1 << 30,
            ..Default::default()
        };
        big.write(&mut out);
        assert_eq!(ReportBlock::parse(&out).cumulative_lost, 0x7f_ffff);
    }
}
