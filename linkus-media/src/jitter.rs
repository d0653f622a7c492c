//! Adaptive jitter buffer, sans-IO.
//!
//! The caller [`push`](JitterBuffer::push)es every received RTP packet with
//! the time it arrived, and [`pop`](JitterBuffer::pop)s once per frame
//! interval (20 ms by default) with the current time. Each pop yields one
//! [`Playout`]: a packet to decode, a lost frame to conceal with
//! [`Decoder::conceal`](crate::codec::Decoder::conceal), a frame inserted to
//! grow the delay (conceal it too), or silence. `now` is any monotonic time
//! since an arbitrary origin; the buffer never reads a clock.
//!
//! ```
//! use std::time::Duration;
//! use linkus_media::jitter::{JitterBuffer, JitterConfig, Playout, RtpPacket};
//!
//! let mut jb = JitterBuffer::new(JitterConfig::default())?;
//! let packet = |seq: u16| RtpPacket {
//!     seq,
//!     timestamp: u32::from(seq) * 160,
//!     ssrc: 0x1234,
//!     marker: seq == 0,
//!     payload_type: 0,
//!     payload: vec![0xff; 160],
//! };
//! // Packets arrive 30 ms after they were sent; the audio device asks for
//! // a frame every 20 ms.
//! let mut decoded = 0;
//! for tick in 0..50u16 {
//!     let now = Duration::from_millis(u64::from(tick) * 20);
//!     if tick >= 2 {
//!         jb.push(now + Duration::from_millis(10), packet(tick - 2));
//!     }
//!     match jb.pop(now + Duration::from_millis(10)) {
//!         Playout::Packet(_p) => decoded += 1, // decoder.decode(&_p.payload, pcm)
//!         Playout::Lost { .. } | Playout::Expand => {} // decoder.conceal(pcm)
//!         Playout::Empty => {}                          // silence
//!     }
//! }
//! assert_eq!(decoded, 46);
//! assert_eq!(jb.stats().lost, 0);
//! # Ok::<(), linkus_media::Error>(())
//! ```
//!
//! # How the delay adapts
//!
//! For each packet the buffer computes its relative transit time
//! `r = arrival - timestamp` (in microseconds) and keeps the last
//! [`JitterConfig::window`] values. The smallest of them is the transit of
//! the fastest recent packet; `r - min` is how much buffering that packet
//! needed. The desired delay is the [`JitterConfig::percentile`] of these
//! values, bounded by [`JitterConfig::min_delay`] and
//! [`JitterConfig::max_delay`]. The target follows the desired delay up at
//! once, and down by at most one frame each time the desired delay has
//! stayed below the target for [`JitterConfig::shrink_after`]. The RFC 3550 §A.8 interarrival
//! jitter is computed beside it and reported in [`JitterStats`].
//!
//! The *level* is the delay the frame about to be played gets:
//! `now - timestamp(next slot) - min`. It is compared with the target at
//! every pop:
//!
//! - level more than half a frame under the target: one frame is inserted
//!   ([`Playout::Expand`], or silence during a silence gap) without advancing
//!   the playout position. This is how late packets (which raise the target)
//!   grow the delay immediately, and how a slow sender clock is absorbed.
//! - level more than one and a half frames over the target during a silence
//!   gap (discontinuous transmission): one silent frame is skipped, which
//!   costs nothing audible.
//! - level more than [`JitterConfig::far_off`] over the target while talking:
//!   one whole packet is discarded. This is how a fast sender clock is
//!   absorbed on a stream that never falls silent.
//!
//! A packet that arrives while nothing is buffered and either carries the
//! marker bit or follows comfort noise or [`JitterConfig::max_conceal`] of
//! concealment (the start of a talkspurt after silence, or the end of an
//! outage) re-synchronises: the talkspurt starts
//! exactly `target` after its first packet arrived. So sender clock drift is
//! corrected at the start of every talkspurt for free, and by whole frames
//! within long talkspurts only when the level is far off.
//!
//! # Stream changes
//!
//! Sequence numbers (u16) and timestamps (u32) are unwrapped into 64-bit
//! counters, so wrap-around is invisible. A new SSRC, or a timestamp that
//! disagrees with the arrival time by more than [`JitterConfig::reset_jump`],
//! resets the buffer (counters in [`JitterStats`] are kept, `resets` counts
//! up) and the packet starts a new stream.
//!
//! One packet is one frame of [`JitterConfig::frame`]: the buffer plays one
//! packet per pop. Packets still buffered at a reset are discarded (counted
//! in `discarded`), and so are packets that arrive when the buffer already
//! holds twice `max_delay` of audio plus 50 frames (10 000 packets at most),
//! so a flood cannot make it grow without bound.
//!
//! # Silence and loss
//!
//! A frame with nothing to play is [`Playout::Lost`] when a later packet
//! is buffered and the sequence numbers show the gap, or when nothing is
//! buffered during speech (an underrun, concealed for at most
//! [`JitterConfig::max_conceal`]). It is [`Playout::Empty`] when the
//! sequence numbers have no gap (the sender skipped timestamps: DTX), after
//! a comfort-noise packet ([`JitterConfig::comfort_noise_pt`]), or once
//! concealment has run for `max_conceal`.
//!
//! # Limits
//!
//! The percentile is taken over relative transit times, so a sender clock
//! that drifts by `d` spreads them by `d * window * frame` (10 ms for 0.1 %
//! over the default 500 packets) and raises the target by as much; a
//! drift-compensated estimator is future work.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::Error;

/// An RTP packet as the jitter buffer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// RTP sequence number.
    pub seq: u16,
    /// RTP timestamp, in units of the clock rate.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Marker bit: the first packet of a talkspurt.
    pub marker: bool,
    /// RTP payload type.
    pub payload_type: u8,
    /// The codec payload.
    pub payload: Vec<u8>,
}

/// What to play for one frame interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Decode this packet.
    Packet(RtpPacket),
    /// The packet with this sequence number is lost: conceal one frame.
    Lost {
        /// Sequence number of the lost packet.
        seq: u16,
    },
    /// A frame inserted to grow the delay: conceal one frame (or stretch).
    Expand,
    /// Nothing to play: before the first packet, or during silence (DTX).
    /// Play silence or comfort noise.
    Empty,
}

/// Settings of a [`JitterBuffer`].
#[derive(Debug, Clone, PartialEq)]
pub struct JitterConfig {
    /// RTP clock rate of the stream (8000 for G.711 and G.722).
    pub clock_rate: u32,
    /// Duration of one packet and of one pop interval.
    pub frame: Duration,
    /// The target delay never goes below this.
    pub min_delay: Duration,
    /// The target delay never goes above this.
    pub max_delay: Duration,
    /// Percentile (0 to 1) of recent delays that the target covers.
    pub percentile: f64,
    /// Number of recent packets the delay statistics look at.
    pub window: usize,
    /// How long the desired delay must stay below the target before the
    /// target drops (by one frame at most).
    pub shrink_after: Duration,
    /// How far over the target the level may go while talking before a
    /// packet is discarded.
    pub far_off: Duration,
    /// How long a stream with nothing buffered is concealed before the
    /// buffer plays silence instead.
    pub max_conceal: Duration,
    /// A timestamp this far from what the arrival time predicts resets the buffer.
    pub reset_jump: Duration,
    /// Payload type of comfort noise (RFC 3389; 13 in RFC 3551). After a
    /// comfort-noise packet the sender may fall silent: frames with nothing
    /// buffered are then [`Playout::Empty`], not lost.
    pub comfort_noise_pt: Option<u8>,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            frame: Duration::from_millis(20),
            min_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(500),
            percentile: 0.99,
            window: 500,
            shrink_after: Duration::from_secs(3),
            far_off: Duration::from_millis(80),
            max_conceal: Duration::from_millis(200),
            reset_jump: Duration::from_secs(3),
            comfort_noise_pt: Some(13),
        }
    }
}

/// Counters and gauges of a [`JitterBuffer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Current target delay.
    pub target_delay: Duration,
    /// Delay of the last frame played, over the fastest recent packet (the level).
    pub current_delay: Duration,
    /// Audio buffered ahead of the playout position.
    pub buffered: Duration,
    /// Packets given to `push`.
    pub received: u64,
    /// Packets returned by `pop`.
    pub played: u64,
    /// Frames returned as [`Playout::Lost`].
    pub lost: u64,
    /// Packets that arrived after their slot was played.
    pub late: u64,
    /// Packets received twice.
    pub duplicate: u64,
    /// Packets discarded to shrink the delay, at a reset, or because the
    /// buffer was full.
    pub discarded: u64,
    /// Frames to conceal: [`Playout::Lost`] and [`Playout::Expand`].
    pub concealed: u64,
    /// Current RFC 3550 interarrival jitter.
    pub jitter: Duration,
    /// Largest RFC 3550 interarrival jitter seen.
    pub max_jitter: Duration,
    /// Resets on an SSRC change or a timestamp jump.
    pub resets: u64,
}

#[derive(Debug)]
struct Slot {
    ext_seq: i64,
    packet: RtpPacket,
}

enum Kind {
    Due,
    Missing,
    Gap,
    Underrun,
}

/// The adaptive jitter buffer. See the [module docs](self).
#[derive(Debug)]
pub struct JitterBuffer {
    cfg: JitterConfig,
    frame_ts: i64,
    frame_us: i64,
    buffer: BTreeMap<i64, Slot>,
    ssrc: Option<u32>,
    /// Highest extended timestamp and its raw value, and when it arrived.
    ts_ref: Option<(i64, u32, i64)>,
    seq_ref: Option<(i64, u16)>,
    started: bool,
    first_arrival: i64,
    play_ts: i64,
    next_seq: i64,
    missing_run: i64,
    /// The last packet played was comfort noise.
    in_cn: bool,
    played_seqs: VecDeque<i64>,
    transits: VecDeque<i64>,
    /// The same values as `transits`, sorted: the minimum and the
    /// percentile are read from it (kept sorted by binary-search insert and
    /// remove, a short memmove per packet instead of a selection over the
    /// whole window).
    sorted: Vec<i64>,
    min_transit: i64,
    target_us: i64,
    low_since: Option<i64>,
    prev_transit: Option<i64>,
    jitter_us: f64,
    stats: JitterStats,
}

/// Upper bound of the packets a buffer holds, whatever the settings.
const MAX_PACKETS: usize = 10_000;

/// Times beyond about 285 years are taken as this, so sums cannot overflow.
const MAX_TIME_US: i64 = 1 << 53;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn duration(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

impl JitterBuffer {
    /// A buffer with these settings.
    ///
    /// Fails with [`Error::InvalidConfig`] when the clock rate is zero or over
    /// 1 MHz, the frame is zero, over 10 s or not a whole number of clock
    /// ticks, `min_delay` is over
    /// `max_delay`, the percentile is outside 0..=1 or the window is empty.
    pub fn new(cfg: JitterConfig) -> Result<Self, Error> {
        let bad = |reason| Err(Error::InvalidConfig { reason });
        let frame_us = micros(cfg.frame);
        let ticks = i128::from(frame_us) * i128::from(cfg.clock_rate);
        if cfg.clock_rate == 0 || cfg.clock_rate > 1_000_000 {
            return bad("clock_rate must be within 1..=1000000");
        }
        if frame_us == 0 || frame_us > 10_000_000 || ticks % 1_000_000 != 0 {
            return bad("frame must be a whole number of clock ticks, at most 10 s");
        }
        if cfg.min_delay > cfg.max_delay {
            return bad("min_delay is over max_delay");
        }
        if !(0.0..=1.0).contains(&cfg.percentile) {
            return bad("percentile must be within 0..=1");
        }
        if cfg.window == 0 {
            return bad("window must not be empty");
        }
        let frame_ts = i64::try_from(ticks / 1_000_000).unwrap_or(i64::MAX);
        let target_us = micros(cfg.min_delay);
        let mut jb = Self {
            frame_ts,
            frame_us,
            buffer: BTreeMap::new(),
            ssrc: None,
            ts_ref: None,
            seq_ref: None,
            started: false,
            first_arrival: 0,
            play_ts: 0,
            next_seq: 0,
            missing_run: 0,
            in_cn: false,
            played_seqs: VecDeque::new(),
            transits: VecDeque::with_capacity(cfg.window),
            sorted: Vec::with_capacity(cfg.window),
            min_transit: 0,
            target_us,
            low_since: None,
            prev_transit: None,
            jitter_us: 0.0,
            stats: JitterStats::default(),
            cfg,
        };
        jb.stats.target_delay = duration(target_us);
        Ok(jb)
    }

    /// The settings.
    pub fn config(&self) -> &JitterConfig {
        &self.cfg
    }

    /// Counters and gauges.
    pub fn stats(&self) -> &JitterStats {
        &self.stats
    }

    /// Current target delay.
    pub fn target_delay(&self) -> Duration {
        duration(self.target_us)
    }

    fn ts_us(&self, ext_ts: i64) -> i64 {
        let us = i128::from(ext_ts) * 1_000_000 / i128::from(self.cfg.clock_rate);
        i64::try_from(us).unwrap_or(i64::MAX)
    }

    fn reset(&mut self) {
        self.stats.discarded += self.buffer.len() as u64;
        self.buffer.clear();
        self.ssrc = None;
        self.ts_ref = None;
        self.seq_ref = None;
        self.started = false;
        self.missing_run = 0;
        self.in_cn = false;
        self.played_seqs.clear();
        self.transits.clear();
        self.sorted.clear();
        self.prev_transit = None;
        self.jitter_us = 0.0;
        self.low_since = None;
        self.target_us = micros(self.cfg.min_delay);
        self.stats.target_delay = duration(self.target_us);
        self.stats.resets += 1;
    }

    /// Takes a packet that arrived at `now`.
    pub fn push(&mut self, now: Duration, packet: RtpPacket) {
        let now = micros(now).min(MAX_TIME_US);
        self.stats.received += 1;
        if self.ssrc.is_some_and(|s| s != packet.ssrc) {
            self.reset();
        }
        if let Some((ext, _, at)) = self.ts_ref {
            let ext_ts = self.unwrap_ts(packet.timestamp);
            let predicted = self.ts_us(ext).saturating_add(now.saturating_sub(at));
            if self
                .ts_us(ext_ts)
                .saturating_sub(predicted)
                .saturating_abs()
                > micros(self.cfg.reset_jump)
            {
                self.reset();
            }
        }
        self.ssrc = Some(packet.ssrc);

        let ext_ts = self.unwrap_ts(packet.timestamp);
        let ext_seq = match self.seq_ref {
            Some((ext, raw)) => ext + i64::from(packet.seq.wrapping_sub(raw) as i16),
            None => i64::from(packet.seq),
        };
        if self.ts_ref.is_none_or(|(e, _, _)| ext_ts > e) {
            self.ts_ref = Some((ext_ts, packet.timestamp, now));
        }
        if self.seq_ref.is_none_or(|(e, _)| ext_seq > e) {
            self.seq_ref = Some((ext_seq, packet.seq));
        }

        if self.buffer.contains_key(&ext_ts) || self.played_seqs.contains(&ext_seq) {
            self.stats.duplicate += 1;
            return;
        }
        self.measure(now, ext_ts);

        let silent = self.is_silent();
        if self.started && self.buffer.is_empty() && (packet.marker || silent) {
            // A talkspurt after silence: start it `target` from now.
            self.started = false;
        }
        if self.started && ext_ts < self.play_ts {
            self.stats.late += 1;
            return;
        }
        if self.buffer.len() >= self.capacity() {
            // A sender far ahead of the playout (or a flood): bounded memory.
            self.stats.discarded += 1;
            return;
        }
        if !self.started && self.buffer.is_empty() {
            self.first_arrival = now;
        }
        self.buffer.insert(ext_ts, Slot { ext_seq, packet });
        self.update_buffered();
    }

    /// Most packets held: twice `max_delay` in frames plus 50, at most 10 000.
    fn capacity(&self) -> usize {
        let frames = micros(self.cfg.max_delay) / self.frame_us;
        usize::try_from(frames.saturating_mul(2).saturating_add(50))
            .unwrap_or(MAX_PACKETS)
            .min(MAX_PACKETS)
    }

    fn unwrap_ts(&self, ts: u32) -> i64 {
        match self.ts_ref {
            Some((ext, raw, _)) => ext + i64::from(ts.wrapping_sub(raw) as i32),
            None => i64::from(ts),
        }
    }

    /// Updates the jitter, the transit window and the target delay.
    fn measure(&mut self, now: i64, ext_ts: i64) {
        let transit = now.saturating_sub(self.ts_us(ext_ts));
        if let Some(prev) = self.prev_transit {
            let d = transit.saturating_sub(prev).saturating_abs() as f64;
            self.jitter_us += (d - self.jitter_us) / 16.0;
            self.stats.jitter = duration(self.jitter_us as i64);
            self.stats.max_jitter = self.stats.max_jitter.max(self.stats.jitter);
        }
        self.prev_transit = Some(transit);

        if self.transits.len() == self.cfg.window
            && let Some(old) = self.transits.pop_front()
            && let Ok(i) = self.sorted.binary_search(&old)
        {
            self.sorted.remove(i);
        }
        self.transits.push_back(transit);
        let at = self.sorted.partition_point(|&t| t < transit);
        self.sorted.insert(at, transit);
        self.min_transit = self.sorted.first().copied().unwrap_or(transit);
        let n = self.sorted.len();
        let k = ((n as f64 - 1.0) * self.cfg.percentile).ceil() as usize;
        let k = k.min(n - 1);
        let high = self
            .sorted
            .get(k)
            .map_or(0, |t| t.saturating_sub(self.min_transit));

        let min = micros(self.cfg.min_delay);
        let max = micros(self.cfg.max_delay);
        let desired = high.clamp(min, max);
        if desired > self.target_us {
            self.target_us = desired;
            self.low_since = None;
        } else if desired < self.target_us {
            // Lower by at most a frame, once the desired delay has stayed
            // below the target for `shrink_after`.
            match self.low_since {
                None => self.low_since = Some(now),
                Some(since) if now.saturating_sub(since) >= micros(self.cfg.shrink_after) => {
                    self.target_us = self.target_us.saturating_sub(self.frame_us).max(desired);
                    self.low_since = Some(now);
                }
                Some(_) => {}
            }
        } else {
            self.low_since = None;
        }
        self.stats.target_delay = duration(self.target_us);
    }

    fn update_buffered(&mut self) {
        self.stats.buffered = match self.buffer.last_key_value() {
            Some((&ts, _)) if self.started => duration(
                self.ts_us(ts + self.frame_ts)
                    .saturating_sub(self.ts_us(self.play_ts)),
            ),
            Some((&ts, _)) => {
                let first = self.buffer.keys().next().copied().unwrap_or(ts);
                duration(
                    self.ts_us(ts + self.frame_ts)
                        .saturating_sub(self.ts_us(first)),
                )
            }
            None => Duration::ZERO,
        };
    }

    fn kind(&self) -> Kind {
        match self.buffer.first_key_value() {
            Some((&ts, _)) if ts < self.play_ts + self.frame_ts => Kind::Due,
            Some((_, slot)) if slot.ext_seq > self.next_seq => Kind::Missing,
            Some(_) => Kind::Gap,
            None => Kind::Underrun,
        }
    }

    /// What to play for the frame interval starting at `now`. Call once per
    /// [`JitterConfig::frame`].
    pub fn pop(&mut self, now: Duration) -> Playout {
        let now = micros(now).min(MAX_TIME_US);
        let out = self.pop_inner(now);
        self.update_buffered();
        out
    }

    fn pop_inner(&mut self, now: i64) -> Playout {
        if !self.started {
            let Some((&first, slot)) = self.buffer.first_key_value() else {
                return Playout::Empty;
            };
            if now < self.first_arrival.saturating_add(self.target_us) {
                return Playout::Empty;
            }
            self.started = true;
            self.play_ts = first;
            self.next_seq = slot.ext_seq;
            self.missing_run = 0;
            self.in_cn = false;
        }
        let level = now
            .saturating_sub(self.ts_us(self.play_ts))
            .saturating_sub(self.min_transit);
        self.stats.current_delay = duration(level);
        let mut kind = self.kind();
        let silent = self.is_silent();

        if level.saturating_add(self.frame_us / 2) < self.target_us {
            return match kind {
                Kind::Gap => Playout::Empty,
                Kind::Underrun if silent => Playout::Empty,
                _ => {
                    self.stats.concealed += 1;
                    Playout::Expand
                }
            };
        }
        let far = level > self.target_us.saturating_add(micros(self.cfg.far_off));
        let over = level > self.target_us.saturating_add(self.frame_us * 3 / 2);
        match kind {
            Kind::Due if far => {
                if let Some((ts, slot)) = self.buffer.pop_first() {
                    self.stats.discarded += 1;
                    self.mark_played(ts, slot.ext_seq);
                    kind = self.kind();
                }
            }
            Kind::Gap if over => {
                self.play_ts += self.frame_ts;
                kind = self.kind();
            }
            _ => {}
        }

        match kind {
            Kind::Due => match self.buffer.pop_first() {
                Some((ts, slot)) => {
                    self.mark_played(ts, slot.ext_seq);
                    self.missing_run = 0;
                    self.in_cn = self.cfg.comfort_noise_pt == Some(slot.packet.payload_type);
                    self.stats.played += 1;
                    Playout::Packet(slot.packet)
                }
                None => Playout::Empty,
            },
            Kind::Missing => self.lost(),
            Kind::Underrun if !silent => self.lost(),
            Kind::Underrun => {
                if !self.in_cn {
                    self.next_seq += 1;
                }
                self.play_ts += self.frame_ts;
                Playout::Empty
            }
            Kind::Gap => {
                self.play_ts += self.frame_ts;
                Playout::Empty
            }
        }
    }

    /// Comfort noise was played, or concealment has run for `max_conceal`.
    fn is_silent(&self) -> bool {
        self.in_cn || self.missing_run * self.frame_us >= micros(self.cfg.max_conceal)
    }

    fn lost(&mut self) -> Playout {
        let seq = self.next_seq as u16;
        self.next_seq += 1;
        self.play_ts += self.frame_ts;
        self.missing_run += 1;
        self.stats.lost += 1;
        self.stats.concealed += 1;
        Playout::Lost { seq }
    }

    fn mark_played(&mut self, ts: i64, ext_seq: i64) {
        self.play_ts = ts + self.frame_ts;
        self.next_seq = ext_seq + 1;
        if self.played_seqs.len() == 128 {
            self.played_seqs.pop_front();
        }
        self.played_seqs.push_back(ext_seq);
    }
}
