//! Reception statistics of one RTP source (RFC 3550 §A.1, §A.3, §A.8) and
//! the round-trip time from reception reports (§6.4.1).

use std::time::Duration;

use super::rtcp::ReportBlock;

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;
const MIN_SEQUENTIAL: u8 = 2;
const SEQ_MOD: u32 = 1 << 16;

/// A 64-bit NTP timestamp `origin_ntp + elapsed`.
pub fn ntp_add(origin_ntp: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs() << 32;
    let frac = (u64::from(elapsed.subsec_nanos()) << 32) / 1_000_000_000;
    origin_ntp.wrapping_add(secs | frac)
}

/// The middle 32 bits of an NTP timestamp, the unit of LSR/DLSR (1/65536 s).
pub fn ntp_compact(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// A duration in 1/65536 s units (for DLSR), saturating.
fn compact(d: Duration) -> u32 {
    let v = (d.as_nanos() << 16) / 1_000_000_000;
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// What the sequence check made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// In sequence (or within the misorder/dropout tolerance): count it.
    Valid,
    /// The source is on probation (its first packets): not yet valid.
    Probation,
    /// A sequence jump too large to trust; a second consecutive packet after
    /// it restarts the statistics (the sender restarted).
    Bad,
}

/// Statistics of one received RTP source, as RFC 3550 keeps them.
///
/// ```
/// use std::time::Duration;
/// use linkus_media::rtp::stats::ReceiverStats;
///
/// let mut rx = ReceiverStats::new(8000);
/// for seq in [10u16, 11, 12, 14, 15] {
///     let now = Duration::from_millis(20 * u64::from(seq));
///     rx.on_packet(now, seq, u32::from(seq) * 160);
/// }
/// assert_eq!(rx.received(), 5);
/// assert_eq!(rx.cumulative_lost(), 1);
/// let block = rx.report_block(0x1234, Duration::from_millis(400));
/// assert_eq!(block.fraction_lost, 42); // 1 of 6 expected, in 1/256
/// ```
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    clock_rate: u32,
    started: bool,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u8,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i64>,
    /// Jitter in timestamp units, times 16 (RFC 3550 §A.8 integer form).
    jitter16: u64,
    last_sr: u32,
    last_sr_at: Option<Duration>,
    last_arrival: Option<Duration>,
}

impl ReceiverStats {
    /// Statistics for a source whose RTP clock runs at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter16: 0,
            last_sr: 0,
            last_sr_at: None,
            last_arrival: None,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Counts a packet that arrived at `now` (any monotonic time).
    pub fn on_packet(&mut self, now: Duration, seq: u16, timestamp: u32) -> SeqVerdict {
        let verdict = self.update_seq(seq);
        if verdict == SeqVerdict::Valid {
            self.last_arrival = Some(now);
            // Interarrival jitter in timestamp units (RFC 3550 §A.8).
            let arrival =
                (now.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32 as i64;
            let transit = (arrival as u32).wrapping_sub(timestamp) as i32 as i64;
            if let Some(prev) = self.transit {
                let d = (transit - prev).unsigned_abs();
                // J += (|D| - J) / 16, kept scaled by 16.
                self.jitter16 =
                    self.jitter16 + d.min(u64::from(u32::MAX)) - (self.jitter16 + 8) / 16;
            }
            self.transit = Some(transit);
        }
        verdict
    }

    /// RFC 3550 §A.1 `update_seq`.
    fn update_seq(&mut self, seq: u16) -> SeqVerdict {
        if !self.started {
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.base_seq = u32::from(seq.wrapping_sub(MIN_SEQUENTIAL as u16 - 1));
                    self.received = u64::from(MIN_SEQUENTIAL);
                    return SeqVerdict::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqVerdict::Probation;
        }
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
        } else if udelta <= u16::MAX - MAX_MISORDER {
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets: the sender restarted.
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return SeqVerdict::Bad;
            }
        }
        // else: a duplicate or reordered packet, counted.
        self.received += 1;
        SeqVerdict::Valid
    }

    /// Records an SR from this source arriving at `now` with NTP time `ntp`.
    pub fn on_sender_report(&mut self, now: Duration, ntp: u64) {
        self.last_sr = ntp_compact(ntp);
        self.last_sr_at = Some(now);
    }

    /// Extended highest sequence number received.
    pub fn highest_seq(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets counted (duplicates included, as RFC 3550 does).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Packets expected from the first to the highest sequence number.
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            return 0;
        }
        u64::from(self.highest_seq().wrapping_sub(self.base_seq)) + 1
    }

    /// Packets lost: expected minus received (negative with duplicates).
    pub fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Current interarrival jitter.
    pub fn jitter(&self) -> Duration {
        Duration::from_nanos(self.jitter16 / 16 * 1_000_000_000 / u64::from(self.clock_rate))
    }

    /// When the last valid packet arrived.
    pub fn last_arrival(&self) -> Option<Duration> {
        self.last_arrival
    }

    /// The report block about this source (`ssrc`) for an SR/RR sent at
    /// `now`; resets the interval counters behind `fraction_lost`.
    pub fn report_block(&mut self, ssrc: u32, now: Duration) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.saturating_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction_lost = (lost_interval << 8)
            .checked_div(expected_interval)
            .map_or(0, |f| f.min(255) as u8);
        let delay = self
            .last_sr_at
            .map_or(0, |at| compact(now.saturating_sub(at)));
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_seq: self.highest_seq(),
            jitter: u32::try_from(self.jitter16 / 16).unwrap_or(u32::MAX),
            last_sr: self.last_sr,
            delay_since_last_sr: if self.last_sr_at.is_some() { delay } else { 0 },
        }
    }
}

/// Round-trip time from a report block about our own stream, received when
/// our NTP clock read `now_ntp` (RFC 3550 §6.4.1: `A - LSR - DLSR`). `None`
/// when the peer has not received an SR from us yet, or the result is
/// negative (clock trouble).
pub fn round_trip_time(block: &ReportBlock, now_ntp: u64) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let a = ntp_compact(now_ntp);
    let rtt = a
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    if rtt > u32::MAX / 2 {
        return None;
    }
    Some(Duration::from_nanos((u64::from(rtt) * 1_000_000_000) >> 16))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn wrap_and_loss() {
        let mut rx = ReceiverStats::new(8000);
        let mut t = 0;
        for i in 0..200u32 {
            let seq = (65500 + i) as u16;
            if i % 10 == 5 {
                continue; // lose every 10th
            }
            t += 20;
            rx.on_packet(ms(t), seq, i * 160);
        }
        assert_eq!(rx.expected(), 200);
        assert_eq!(rx.cumulative_lost(), 20);
        assert_eq!(rx.highest_seq(), 65536 + (65500 + 199 - 65536));
        let b = rx.report_block(1, ms(t));
        assert_eq!(b.fraction_lost, (20 * 256 / 200) as u8);
        // Next interval: nothing new.
        assert_eq!(rx.report_block(1, ms(t)).fraction_lost, 0);
    }

    #[test]
    fn jitter_of_alternating_delay() {
        let mut rx = ReceiverStats::new(8000);
        for i in 0..500u64 {
            // 20 ms spacing, every other packet 10 ms late.
            let arrival = ms(20 * i + if i % 2 == 1 { 10 } else { 0 });
            rx.on_packet(arrival, i as u16, (i * 160) as u32);
        }
        // |D| is 80 ticks every packet: J converges to 80 ticks = 10 ms.
        let j = rx.jitter().as_micros();
        assert!((9_500..=10_000).contains(&j), "{j}");
    }

    #[test]
    fn restart_after_two_sequential_jumps() {
        let mut rx = ReceiverStats::new(8000);
        for s in 0..10u16 {
            rx.on_packet(ms(u64::from(s) * 20), s, 0);
        }
        assert_eq!(rx.on_packet(ms(300), 30_000, 0), SeqVerdict::Bad);
        assert_eq!(rx.on_packet(ms(320), 30_001, 0), SeqVerdict::Valid);
        assert_eq!(rx.expected(), 1);
        assert_eq!(rx.received(), 1);
    }

    #[test]
    fn rtt_from_lsr_dlsr() {
        let origin = 0xe000_0000_0000_0000;
        // We sent an SR at t=1 s; the peer held it 250 ms; its RR arrives at
        // t=1.4 s: RTT 150 ms.
        let lsr = ntp_compact(ntp_add(origin, ms(1000)));
        let block = ReportBlock {
            last_sr: lsr,
            delay_since_last_sr: compact(ms(250)),
            ..Default::default()
        };
        let rtt = round_trip_time(&block, ntp_add(origin, ms(1400))).unwrap();
        assert!((rtt.as_micros() as i64 - 150_000).abs() < 100, "{rtt:?}");
        assert_eq!(round_trip_time(&ReportBlock::default(), origin), None);
    }
}
