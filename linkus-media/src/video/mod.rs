//! RTP payload formats of encoded video for 1:1 calls: H.264 (RFC 6184) and
//! VP8 (RFC 7741). The encoders and decoders belong to the platform; this
//! module turns an encoded frame into RTP payloads that fit an MTU, and
//! payloads from the network back into frames, detecting loss.
//!
//! - [`h264::packetize`]: an access unit in Annex B byte-stream format
//!   (start codes) into single NAL unit packets, STAP-A aggregates of small
//!   NAL units (packetization mode 1) and FU-A fragments of large ones;
//!   [`h264::Depacketizer`] reassembles access units (Annex B again).
//! - [`vp8::packetize`] / [`vp8::Depacketizer`]: the VP8 payload descriptor
//!   with an optional 15-bit picture id, and frame reassembly.
//!
//! All functions work on byte slices, never panic and report
//! [`VideoError`] through [`Error::Video`](crate::Error::Video). The RTP
//! marker bit goes on the last payload of a frame; the depacketizers take
//! sequence number, timestamp and marker of each packet and give the
//! reassembled [`Frame`]s back through `pop`, like the jitter buffer.
//!
//! ```
//! use linkus_media::video::h264;
//!
//! // SPS, PPS and an IDR slice larger than the MTU.
//! let mut au = vec![0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80];
//! au.extend_from_slice(&[0, 0, 1, 0x65]);
//! au.extend(std::iter::repeat(0xAB).take(3000));
//! let payloads = h264::packetize(&au, 1200, h264::PacketizationMode::NonInterleaved)?;
//! assert_eq!(payloads[0][0] & 0x1F, 24); // STAP-A with SPS and PPS
//! assert!(payloads[1..].iter().all(|p| p[0] & 0x1F == 28)); // FU-A
//!
//! let mut depack = h264::Depacketizer::new();
//! for (i, p) in payloads.iter().enumerate() {
//!     let marker = i + 1 == payloads.len();
//!     depack.push(100 + i as u16, 9000, marker, p)?;
//! }
//! let frame = depack.pop().expect("one access unit");
//! assert!(frame.complete);
//! assert!(h264::nal_units(&frame.data).eq(h264::nal_units(&au)));
//! assert_eq!(depack.pop(), None);
//! # Ok::<(), linkus_media::Error>(())
//! ```

pub mod h264;
pub mod vp8;

/// What went wrong packetizing or depacketizing video.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VideoError {
    /// The MTU leaves no room for payload.
    #[error("MTU {mtu} is too small")]
    MtuTooSmall {
        /// The MTU passed.
        mtu: usize,
    },
    /// The frame is empty or holds no NAL unit.
    #[error("empty frame")]
    EmptyFrame,
    /// A NAL unit does not fit the MTU and packetization mode 0 cannot
    /// fragment it.
    #[error("NAL unit of {len} bytes does not fit an MTU of {mtu} in mode 0")]
    NalTooLarge {
        /// NAL unit size.
        len: usize,
        /// The MTU.
        mtu: usize,
    },
    /// A payload is malformed.
    #[error("malformed {codec} payload: {reason}")]
    Malformed {
        /// `H264` or `VP8`.
        codec: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A payload uses a packet type this module does not take (STAP-B,
    /// MTAP, FU-B: interleaved mode).
    #[error("unsupported H.264 packet type {0}")]
    UnsupportedPacketType(u8),
    /// A frame grew beyond the depacketizer's limit.
    #[error("frame larger than {limit} bytes")]
    FrameTooLarge {
        /// The limit.
        limit: usize,
    },
}

/// A frame reassembled from RTP payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// RTP timestamp of the frame.
    pub timestamp: u32,
    /// The encoded frame (Annex B for H.264, the VP8 frame for VP8).
    pub data: Vec<u8>,
    /// Whether the frame arrived without detected loss: no gap in sequence
    /// numbers, first and last packet seen. A decoder may still try an
    /// incomplete frame, or ask for a key frame (RTCP PLI) instead.
    pub complete: bool,
}

/// Default limit on a reassembled frame (8 MiB).
pub const DEFAULT_MAX_FRAME: usize = 8 * 1024 * 1024;

/// Frames a depacketizer keeps for [`pop`](h264::Depacketizer::pop) at
/// most; older ones are dropped if the caller does not pop.
pub const MAX_READY_FRAMES: usize = 8;

/// Sequence-number and timestamp bookkeeping shared by the depacketizers.
#[derive(Debug, Clone)]
pub(crate) struct Assembly {
    data: Vec<u8>,
    pub(crate) timestamp: Option<u32>,
    last_seq: Option<u16>,
    /// Loss or a missing start was detected in the current frame.
    pub(crate) damaged: bool,
    /// The current frame exceeded `max_frame` and is being dropped.
    overflowed: bool,
    pub(crate) max_frame: usize,
    ready: std::collections::VecDeque<Frame>,
}

impl Assembly {
    pub(crate) fn new(max_frame: usize) -> Self {
        Assembly {
            data: Vec::new(),
            timestamp: None,
            last_seq: None,
            damaged: false,
            overflowed: false,
            max_frame,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// Starts a packet: ends the frame of another timestamp (its marker was
    /// lost) and notes a sequence gap, which damages the current frame.
    /// Returns whether there was a gap or a frame change.
    pub(crate) fn begin(&mut self, seq: u16, timestamp: u32) -> bool {
        let gap = self
            .last_seq
            .is_some_and(|last| seq != last.wrapping_add(1));
        self.last_seq = Some(seq);
        let mut changed = false;
        if self.timestamp.is_some_and(|t| t != timestamp) {
            self.finish(false);
            changed = true;
        }
        if self.timestamp.is_none() {
            self.timestamp = Some(timestamp);
            self.damaged = false;
            self.overflowed = false;
        }
        if gap {
            // The lost packets may have started this frame.
            self.damaged = true;
        }
        gap || changed
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Appends bytes, enforcing the size limit.
    pub(crate) fn extend(&mut self, bytes: &[u8]) -> Result<(), VideoError> {
        if self.overflowed {
            return Ok(());
        }
        if self.data.len().saturating_add(bytes.len()) > self.max_frame {
            return self.overflow();
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }

    /// Drops the current frame for being too large; reports it once.
    pub(crate) fn overflow(&mut self) -> Result<(), VideoError> {
        if core::mem::replace(&mut self.overflowed, true) {
            return Ok(());
        }
        self.data = Vec::new();
        self.damaged = true;
        Err(VideoError::FrameTooLarge {
            limit: self.max_frame,
        })
    }

    /// Ends the current frame and queues it; `marker` says its last packet
    /// was seen. Empty and oversized frames are dropped.
    pub(crate) fn finish(&mut self, marker: bool) {
        let Some(timestamp) = self.timestamp.take() else {
            return;
        };
        let data = core::mem::take(&mut self.data);
        let complete = marker && !self.damaged;
        self.damaged = false;
        if data.is_empty() || core::mem::take(&mut self.overflowed) {
            return;
        }
        if self.ready.len() >= MAX_READY_FRAMES {
            self.ready.pop_front();
        }
        self.ready.push_back(Frame {
            timestamp,
            data,
            complete,
        });
    }

    pub(crate) fn pop(&mut self) -> Option<Frame> {
        self.ready.pop_front()
    }
}
