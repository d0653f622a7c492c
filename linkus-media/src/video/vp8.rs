//! VP8 RTP payload format (RFC 7741): the payload descriptor, packetizing
//! a frame and reassembling frames.

use super::{Assembly, DEFAULT_MAX_FRAME, Frame, VideoError};
use crate::Error;

const CODEC: &str = "VP8";

/// The VP8 payload descriptor (RFC 7741 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Descriptor {
    /// N: the frame is not a reference frame.
    pub non_reference: bool,
    /// S: the packet starts a partition.
    pub start_of_partition: bool,
    /// PID: the partition index (0–7).
    pub partition_index: u8,
    /// Picture id, 7 or 15 bits.
    pub picture_id: Option<u16>,
    /// Whether the picture id is written in 15 bits (M bit).
    pub long_picture_id: bool,
    /// TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// TID (temporal layer index).
    pub tid: Option<u8>,
    /// Y: layer sync bit (with TID).
    pub layer_sync: bool,
    /// KEYIDX.
    pub key_idx: Option<u8>,
}

impl Descriptor {
    /// Parses the descriptor at the start of `payload`; returns it and its
    /// length.
    ///
    /// # Errors
    ///
    /// [`VideoError::Malformed`] if the payload ends inside the descriptor
    /// or carries no VP8 data after it.
    pub fn parse(payload: &[u8]) -> Result<(Descriptor, usize), Error> {
        let truncated = VideoError::Malformed {
            codec: CODEC,
            reason: "truncated payload descriptor",
        };
        let mut it = payload.iter().copied();
        let mut next = || it.next().ok_or(truncated.clone());
        let b0 = next()?;
        let mut d = Descriptor {
            non_reference: b0 & 0x20 != 0,
            start_of_partition: b0 & 0x10 != 0,
            partition_index: b0 & 0x07,
            ..Descriptor::default()
        };
        let mut len = 1;
        if b0 & 0x80 != 0 {
            let x = next()?;
            len += 1;
            if x & 0x80 != 0 {
                let p = next()?;
                len += 1;
                if p & 0x80 != 0 {
                    let lo = next()?;
                    len += 1;
                    d.picture_id = Some(u16::from(p & 0x7F) << 8 | u16::from(lo));
                    d.long_picture_id = true;
                } else {
                    d.picture_id = Some(u16::from(p));
                }
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(next()?);
                len += 1;
            }
            if x & 0x30 != 0 {
                let t = next()?;
                len += 1;
                if x & 0x20 != 0 {
                    d.tid = Some(t >> 6);
                    d.layer_sync = t & 0x20 != 0;
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(t & 0x1F);
                }
            }
        }
        if len >= payload.len() {
            return Err(VideoError::Malformed {
                codec: CODEC,
                reason: "no VP8 data after the descriptor",
            }
            .into());
        }
        Ok((d, len))
    }

    /// Appends the descriptor's bytes to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut b0 = self.partition_index & 0x07;
        if self.non_reference {
            b0 |= 0x20;
        }
        if self.start_of_partition {
            b0 |= 0x10;
        }
        let mut x = 0u8;
        if self.picture_id.is_some() {
            x |= 0x80;
        }
        if self.tl0_pic_idx.is_some() {
            x |= 0x40;
        }
        if self.tid.is_some() {
            x |= 0x20;
        }
        if self.key_idx.is_some() {
            x |= 0x10;
        }
        if x == 0 {
            out.push(b0);
            return;
        }
        out.push(b0 | 0x80);
        out.push(x);
        if let Some(id) = self.picture_id {
            if self.long_picture_id {
                out.push(0x80 | ((id >> 8) & 0x7F) as u8);
                out.push((id & 0xFF) as u8);
            } else {
                out.push((id & 0x7F) as u8);
            }
        }
        if let Some(t) = self.tl0_pic_idx {
            out.push(t);
        }
        if self.tid.is_some() || self.key_idx.is_some() {
            let mut t = (self.tid.unwrap_or(0) & 3) << 6 | (self.key_idx.unwrap_or(0) & 0x1F);
            if self.layer_sync {
                t |= 0x20;
            }
            out.push(t);
        }
    }
}

/// Whether an encoded VP8 frame is a key frame (RFC 6386 §9.1: bit 0 of
/// the frame tag is 0).
pub fn is_key_frame(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 == 0)
}

/// Splits one encoded frame into RTP payloads of at most `mtu` bytes, each
/// with a payload descriptor (S set on the first, partition index 0, and
/// the 15-bit `picture_id` if given); the RTP marker bit goes on the last.
///
/// # Errors
///
/// [`VideoError::EmptyFrame`], or [`VideoError::MtuTooSmall`] if the MTU
/// leaves no room after the descriptor.
pub fn packetize(frame: &[u8], mtu: usize, picture_id: Option<u16>) -> Result<Vec<Vec<u8>>, Error> {
    if frame.is_empty() {
        return Err(VideoError::EmptyFrame.into());
    }
    let mut descriptor = Descriptor {
        start_of_partition: true,
        picture_id: picture_id.map(|id| id & 0x7FFF),
        long_picture_id: true,
        ..Descriptor::default()
    };
    let mut header = Vec::with_capacity(4);
    descriptor.write(&mut header);
    let room = mtu.saturating_sub(header.len());
    if room == 0 {
        return Err(VideoError::MtuTooSmall { mtu }.into());
    }
    let mut out = Vec::with_capacity(frame.len().div_ceil(room));
    for (i, chunk) in frame.chunks(room).enumerate() {
        if i == 1 {
            descriptor.start_of_partition = false;
        }
        let mut p = Vec::with_capacity(header.len() + chunk.len());
        descriptor.write(&mut p);
        p.extend_from_slice(chunk);
        out.push(p);
    }
    Ok(out)
}

/// Reassembles VP8 frames from RTP payloads, in arrival order.
///
/// [`push`](Self::push) each packet, then [`pop`](Self::pop) the frames it
/// completed. A frame is [`complete`](Frame::complete) when its first
/// packet (S set, partition 0) and its marker packet arrived without a
/// sequence gap.
#[derive(Debug, Clone)]
pub struct Depacketizer {
    frame: Assembly,
    started: bool,
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

    /// A depacketizer that drops frames larger than `max_frame` bytes.
    pub fn with_max_frame(max_frame: usize) -> Self {
        Depacketizer {
            frame: Assembly::new(max_frame),
            started: false,
        }
    }

    /// Takes one RTP payload with its header's sequence number, timestamp
    /// and marker bit.
    ///
    /// # Errors
    ///
    /// [`VideoError::Malformed`]: the packet is ignored (the next one sees
    /// a sequence gap). [`VideoError::FrameTooLarge`] once per frame that
    /// grows beyond the limit; that frame is dropped.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        let (d, len) = Descriptor::parse(payload)?;
        let data = payload.get(len..).unwrap_or_default();
        let fresh = self.frame.timestamp.is_none_or(|t| t != timestamp);
        self.frame.begin(seq, timestamp);
        if fresh {
            self.started = false;
        }
        if d.start_of_partition && d.partition_index == 0 {
            if self.started || !self.frame.is_empty() {
                // A second frame start within one timestamp, or data
                // before the start.
                self.frame.damaged = true;
            }
            self.started = true;
        }
        let result = self.frame.extend(data);
        if marker {
            if !self.started {
                self.frame.damaged = true;
            }
            self.frame.finish(true);
            self.started = false;
        }
        result.map_err(Error::from)
    }

    /// The next frame completed by [`push`](Self::push), oldest first; at
    /// most [`MAX_READY_FRAMES`](super::MAX_READY_FRAMES) are kept.
    pub fn pop(&mut self) -> Option<Frame> {
        self.frame.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_rfc7741_fields() {
        // X, S, PID 0; I, L, T, K; M with picture id 0x1234; TL0PICIDX 7;
        // TID 2, Y, KEYIDX 5.
        let bytes = [0x90, 0xF0, 0x92, 0x34, 0x07, 0xA5, 0x9D];
        let (d, len) = Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, 6);
        assert_eq!(d.picture_id, Some(0x1234));
        assert_eq!(
            (d.tl0_pic_idx, d.tid, d.key_idx),
            (Some(7), Some(2), Some(5))
        );
        assert!(d.layer_sync && d.start_of_partition && d.long_picture_id);
        let mut out = Vec::new();
        d.write(&mut out);
        assert_eq!(out, bytes[..6]);
        assert!(Descriptor::parse(&bytes[..5]).is_err());
        assert!(Descriptor::parse(&[0x10]).is_err());
        // 7-bit picture id.
        let (d, len) = Descriptor::parse(&[0x80, 0x80, 0x05, 0x9D]).unwrap();
        assert_eq!((d.picture_id, d.long_picture_id, len), (Some(5), false, 3));
    }
}
