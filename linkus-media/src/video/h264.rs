//! H.264 RTP payload format (RFC 6184): single NAL unit packets, STAP-A
//! and FU-A, for packetization modes 0 and 1.

use super::{Assembly, DEFAULT_MAX_FRAME, Frame, VideoError};
use crate::Error;

const CODEC: &str = "H264";
const STAP_A: u8 = 24;
const FU_A: u8 = 28;
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// `packetization-mode` of the SDP `a=fmtp` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketizationMode {
    /// Mode 0: single NAL unit packets only.
    SingleNal,
    /// Mode 1: single NAL units, STAP-A and FU-A.
    NonInterleaved,
}

/// The NAL units of an Annex B byte stream (start codes `00 00 01` or
/// `00 00 00 01`), without start codes; bytes before the first start code
/// and empty units are skipped. A stream without any start code is taken as
/// one NAL unit.
pub fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let first = find_start(stream, 0);
    let mut pos = match first {
        Some((_, end)) => end,
        None => 0,
    };
    let mut done = stream.is_empty();
    core::iter::from_fn(move || {
        while !done {
            let (nal_end, next) = match find_start(stream, pos) {
                Some((start, end)) => (start, Some(end)),
                None => (stream.len(), None),
            };
            let nal = stream.get(pos..nal_end).unwrap_or_default();
            match next {
                Some(n) => pos = n,
                None => done = true,
            }
            // Trailing zero bytes belong to the next start code (or are
            // trailing_zero_8bits).
            let mut len = nal.len();
            while len > 0 && nal[len - 1] == 0 {
                len -= 1;
            }
            if len > 0 {
                return nal.get(..len);
            }
        }
        None
    })
}

/// The next `00 00 01` from `from`: (index of its first zero, index after
/// the `01`).
fn find_start(s: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = s.get(from..)?;
    rest.windows(3)
        .position(|w| w == [0, 0, 1])
        .map(|i| (from + i, from + i + 3))
}

/// Splits an access unit (Annex B) into RTP payloads of at most `mtu`
/// bytes, in order; the RTP marker bit goes on the last one.
///
/// Mode 1 aggregates consecutive NAL units that fit together into STAP-A
/// packets and fragments NAL units larger than the MTU into FU-A packets;
/// mode 0 sends each NAL unit as it is.
///
/// # Errors
///
/// [`VideoError::MtuTooSmall`] for an MTU below 3 bytes,
/// [`VideoError::EmptyFrame`] without NAL units, and in mode 0
/// [`VideoError::NalTooLarge`].
pub fn packetize(
    access_unit: &[u8],
    mtu: usize,
    mode: PacketizationMode,
) -> Result<Vec<Vec<u8>>, Error> {
    if mtu < 3 {
        return Err(VideoError::MtuTooSmall { mtu }.into());
    }
    let nals: Vec<&[u8]> = nal_units(access_unit).collect();
    if nals.is_empty() {
        return Err(VideoError::EmptyFrame.into());
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < nals.len() {
        let nal = nals[i];
        if nal.len() > mtu {
            if mode == PacketizationMode::SingleNal {
                return Err(VideoError::NalTooLarge {
                    len: nal.len(),
                    mtu,
                }
                .into());
            }
            fragment(nal, mtu, &mut out);
            i += 1;
            continue;
        }
        // How many NAL units from i fit one STAP-A (1 + sum(2 + len))?
        let mut size = 1;
        let mut n = 0;
        if mode == PacketizationMode::NonInterleaved {
            while let Some(next) = nals.get(i + n) {
                if size + 2 + next.len() > mtu || next.len() > usize::from(u16::MAX) {
                    break;
                }
                size += 2 + next.len();
                n += 1;
            }
        }
        if n < 2 {
            out.push(nal.to_vec());
            i += 1;
            continue;
        }
        let group = &nals[i..i + n];
        // F is the OR of the units' F bits, NRI their maximum.
        let f = group.iter().fold(0, |acc, u| acc | (u[0] & 0x80));
        let nri = group.iter().map(|u| u[0] & 0x60).max().unwrap_or(0);
        let mut p = Vec::with_capacity(size);
        p.push(f | nri | STAP_A);
        for u in group {
            // Fits: checked against u16::MAX above.
            let len = u16::try_from(u.len()).unwrap_or(u16::MAX);
            p.extend_from_slice(&len.to_be_bytes());
            p.extend_from_slice(u);
        }
        out.push(p);
        i += n;
    }
    Ok(out)
}

/// FU-A fragments of one NAL unit (RFC 6184 §5.8).
fn fragment(nal: &[u8], mtu: usize, out: &mut Vec<Vec<u8>>) {
    let indicator = (nal[0] & 0xE0) | FU_A;
    let kind = nal[0] & 0x1F;
    let body = &nal[1..];
    let chunk = mtu - 2;
    let count = body.len().div_ceil(chunk);
    for (k, piece) in body.chunks(chunk).enumerate() {
        let mut header = kind;
        if k == 0 {
            header |= 0x80;
        }
        if k + 1 == count {
            header |= 0x40;
        }
        let mut p = Vec::with_capacity(piece.len() + 2);
        p.push(indicator);
        p.push(header);
        p.extend_from_slice(piece);
        out.push(p);
    }
}

/// One RTP payload, parsed.
enum Packet<'a> {
    /// Whole NAL units (single NAL unit packet or STAP-A).
    Units(Vec<&'a [u8]>),
    /// An FU-A fragment.
    Fragment {
        /// The NAL unit header it restores.
        nal_header: u8,
        start: bool,
        end: bool,
        body: &'a [u8],
    },
}

fn parse(payload: &[u8]) -> Result<Packet<'_>, VideoError> {
    let malformed = |reason| VideoError::Malformed {
        codec: CODEC,
        reason,
    };
    let (&header, rest) = payload.split_first().ok_or(malformed("empty payload"))?;
    if header & 0x80 != 0 {
        return Err(malformed("forbidden_zero_bit set"));
    }
    match header & 0x1F {
        0 => Err(malformed("NAL unit type 0")),
        1..=23 => Ok(Packet::Units(vec![payload])),
        STAP_A => {
            let mut units = Vec::new();
            let mut rest = rest;
            while !rest.is_empty() {
                let [a, b, tail @ ..] = rest else {
                    return Err(malformed("truncated STAP-A size"));
                };
                let len = usize::from(u16::from_be_bytes([*a, *b]));
                let (unit, tail) = match tail.split_at_checked(len) {
                    Some(split) if len > 0 => split,
                    _ => return Err(malformed("STAP-A unit size out of range")),
                };
                units.push(unit);
                rest = tail;
            }
            if units.is_empty() {
                return Err(malformed("empty STAP-A"));
            }
            Ok(Packet::Units(units))
        }
        FU_A => {
            let [fu_header, body @ ..] = rest else {
                return Err(malformed("truncated FU-A"));
            };
            let (start, end) = (fu_header & 0x80 != 0, fu_header & 0x40 != 0);
            if start && end {
                return Err(malformed("FU-A with both start and end bits"));
            }
            Ok(Packet::Fragment {
                nal_header: (header & 0xE0) | (fu_header & 0x1F),
                start,
                end,
                body,
            })
        }
        other => Err(VideoError::UnsupportedPacketType(other)),
    }
}

/// Reassembles H.264 access units from RTP payloads (modes 0 and 1), in
/// arrival order (put a jitter buffer in front to reorder).
///
/// [`push`](Self::push) each packet, then [`pop`](Self::pop) the access
/// units it completed. An access unit ends with the marker bit or when the
/// timestamp changes (the marker packet was lost). A sequence gap, an FU-A
/// without its start or end, or a lost marker makes the frame
/// [`complete`](Frame::complete) `false`; a NAL unit that lost a fragment is
/// dropped, the other NAL units of the access unit are kept.
#[derive(Debug, Clone)]
pub struct Depacketizer {
    frame: Assembly,
    /// An FU-A NAL unit in progress (restored header and body so far).
    fu: Option<Vec<u8>>,
}

impl Default for Depacketizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Depacketizer {
    /// A depacketizer with a frame limit of [`DEFAULT_MAX_FRAME`].
    pub fn new() -> Self {
        Self::with_max_frame(DEFAULT_MAX_FRAME)
    }

    /// A depacketizer that drops access units larger than `max_frame` bytes.
    pub fn with_max_frame(max_frame: usize) -> Self {
        Depacketizer {
            frame: Assembly::new(max_frame),
            fu: None,
        }
    }

    fn emit_nal(&mut self, nal: &[u8]) -> Result<(), VideoError> {
        self.frame.extend(&START_CODE)?;
        self.frame.extend(nal)
    }

    /// Drops an unfinished FU-A NAL unit (its end was lost).
    fn drop_fu(&mut self) {
        if self.fu.take().is_some() {
            self.frame.damaged = true;
        }
    }

    /// Takes one RTP payload with its header's sequence number, timestamp
    /// and marker bit.
    ///
    /// # Errors
    ///
    /// [`VideoError::Malformed`] for an empty or inconsistent payload and
    /// [`VideoError::UnsupportedPacketType`] for interleaved-mode packets:
    /// the packet is ignored (the next one sees a sequence gap).
    /// [`VideoError::FrameTooLarge`] once per access unit that grows beyond
    /// the limit; that access unit is dropped.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        let packet = parse(payload)?;
        if self.frame.begin(seq, timestamp) {
            // Lost packets or a new access unit: a fragment in progress
            // cannot be finished.
            self.fu = None;
        }
        let result = match packet {
            Packet::Units(units) => {
                self.drop_fu();
                units.iter().try_for_each(|u| self.emit_nal(u))
            }
            Packet::Fragment {
                nal_header,
                start,
                end,
                body,
            } => self.fragment(nal_header, start, end, body),
        };
        if marker {
            self.drop_fu();
            self.frame.finish(true);
        }
        result.map_err(Error::from)
    }

    fn fragment(
        &mut self,
        nal_header: u8,
        start: bool,
        end: bool,
        body: &[u8],
    ) -> Result<(), VideoError> {
        if start {
            self.drop_fu();
            let mut nal = Vec::with_capacity(body.len() + 1);
            nal.push(nal_header);
            nal.extend_from_slice(body);
            self.fu = Some(nal);
        } else {
            let Some(nal) = self.fu.as_mut() else {
                // The start was lost: drop the rest of this NAL unit.
                self.frame.damaged = true;
                return Ok(());
            };
            if nal.len().saturating_add(body.len()) > self.frame.max_frame {
                self.fu = None;
                return self.frame.overflow();
            }
            nal.extend_from_slice(body);
        }
        if end {
            if let Some(nal) = self.fu.take() {
                self.emit_nal(&nal)?;
            }
        }
        Ok(())
    }

    /// The next access unit completed by [`push`](Self::push), oldest
    /// first; at most [`MAX_READY_FRAMES`](super::MAX_READY_FRAMES) are
    /// kept.
    pub fn pop(&mut self) -> Option<Frame> {
        self.frame.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_b_split() {
        let s = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 0,
        ];
        let units: Vec<&[u8]> = nal_units(&s).collect();
        assert_eq!(units, [&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 4]]);
        assert_eq!(nal_units(&[0x65, 1]).collect::<Vec<_>>(), [&[0x65, 1][..]]);
        assert_eq!(nal_units(&[]).count(), 0);
        assert_eq!(nal_units(&[0, 0, 1]).count(), 0);
        assert_eq!(nal_units(&[0, 0, 1, 0, 0, 1]).count(), 0);
    }

    #[test]
    fn fu_a_headers() {
        let mut nal = vec![0x65];
        nal.extend(0..=255u8);
        let mut out = Vec::new();
        fragment(&nal, 100, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0][..2], [0x7C, 0x85]);
        assert_eq!(out[1][..2], [0x7C, 0x05]);
        assert_eq!(out[2][..2], [0x7C, 0x45]);
        assert!(out.iter().all(|p| p.len() <= 100));
    }
}
