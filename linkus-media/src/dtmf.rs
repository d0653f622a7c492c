//! DTMF: RFC 4733 telephone-events in RTP, sent and received, and in-band
//! tone detection (Goertzel) as the fallback for peers that send tones in
//! the audio.
//!
//! [`DtmfSender`] turns a digit into the RFC 4733 packet sequence: one
//! packet per frame interval with a growing duration, the first with the
//! marker bit, and the final one (E bit) sent three times, all with the
//! event's start timestamp. [`DtmfReceiver`] turns received event packets
//! into one [`DtmfEvent`] per digit, however many packets and retransmitted
//! ends arrive. [`ToneDetector`] finds digits in decoded 8 kHz audio.

use crate::Error;

/// Size of an RFC 4733 event payload.
pub const EVENT_LEN: usize = 4;

/// The sixteen DTMF events (RFC 4733 §3.2: 0–9, `*` = 10, `#` = 11,
/// A–D = 12–15).
pub fn event_code(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        'a'..='d' => Some(digit as u8 - b'a' + 12),
        _ => None,
    }
}

/// The digit of a DTMF event code.
pub fn event_digit(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

/// One RFC 4733 event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// Event code (0–15 for DTMF).
    pub event: u8,
    /// End of the event.
    pub end: bool,
    /// Volume in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl EventPayload {
    /// Parses a 4-byte event payload (longer payloads carry more events;
    /// the first is returned).
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] if shorter than 4 bytes.
    pub fn parse(p: &[u8]) -> Result<Self, Error> {
        let [event, flags, d0, d1, ..] = *p else {
            return Err(Error::MalformedPacket {
                protocol: "RFC 4733",
                reason: "event payload shorter than 4 bytes",
            });
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(&self) -> [u8; EVENT_LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// One RTP packet to send for a DTMF event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// Set the RTP marker bit (first packet of the event).
    pub marker: bool,
    /// The event payload. Every packet of an event goes out with the RTP
    /// timestamp of the event's start; `duration` grows instead.
    pub payload: EventPayload,
}

/// Sends one digit as RFC 4733 packets, one per [`next_packet`] call (call
/// it once per frame interval).
///
/// [`next_packet`]: DtmfSender::next_packet
#[derive(Debug, Clone)]
pub struct DtmfSender {
    event: u8,
    volume: u8,
    step: u16,
    total: u16,
    elapsed: u16,
    ends_left: u8,
    started: bool,
}

impl DtmfSender {
    /// A sender of `digit` lasting `duration_ticks` RTP clock ticks, one
    /// packet per `frame_ticks` (160 for 20 ms at 8 kHz).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a character that is not a DTMF digit, a
    /// zero frame, or a duration that does not fit 16 bits (8.19 s at 8
    /// kHz; RFC 4733 segments longer events, which DTMF never needs).
    pub fn new(digit: char, duration_ticks: u32, frame_ticks: u16) -> Result<Self, Error> {
        let event = event_code(digit).ok_or(Error::InvalidConfig {
            reason: "not a DTMF digit (0-9, *, #, A-D)",
        })?;
        let total = u16::try_from(duration_ticks).map_err(|_| Error::InvalidConfig {
            reason: "DTMF duration over 65535 RTP ticks",
        })?;
        if frame_ticks == 0 || total == 0 {
            return Err(Error::InvalidConfig {
                reason: "DTMF frame and duration must not be zero",
            });
        }
        Ok(Self {
            event,
            volume: 10,
            step: frame_ticks,
            total,
            elapsed: 0,
            ends_left: 3,
            started: false,
        })
    }

    /// The next packet, or `None` once the three end packets are out.
    pub fn next_packet(&mut self) -> Option<EventPacket> {
        if self.ends_left == 0 {
            return None;
        }
        let marker = !self.started;
        self.started = true;
        self.elapsed = self.elapsed.saturating_add(self.step).min(self.total);
        let end = self.elapsed >= self.total;
        if end {
            self.ends_left -= 1;
        }
        Some(EventPacket {
            marker,
            payload: EventPayload {
                event: self.event,
                end,
                volume: self.volume,
                duration: self.elapsed,
            },
        })
    }

    /// True once every packet has been produced.
    pub fn is_done(&self) -> bool {
        self.ends_left == 0
    }
}

/// A digit received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfEvent {
    /// The digit (`0`–`9`, `*`, `#`, `A`–`D`).
    pub digit: char,
    /// Its duration in RTP clock ticks, as far as known.
    pub duration: u16,
}

/// Reassembles received RFC 4733 packets into digits.
#[derive(Debug, Clone, Default)]
pub struct DtmfReceiver {
    /// (RTP timestamp, event) of the event in progress or last ended.
    current: Option<(u32, u8)>,
    reported: bool,
}

impl DtmfReceiver {
    /// A receiver with no event in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one telephone-event packet (its RTP timestamp and payload) and
    /// returns the digit when it ends. Retransmitted end packets and
    /// packets of an event already reported return `None`. An event whose
    /// end packets were all lost is not reported: a new event (another
    /// timestamp or code) replaces it.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedPacket`] for a payload shorter than 4 bytes.
    pub fn on_packet(
        &mut self,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<DtmfEvent>, Error> {
        let p = EventPayload::parse(payload)?;
        let key = (timestamp, p.event);
        if self.current != Some(key) {
            self.current = Some(key);
            self.reported = false;
        }
        if p.end && !self.reported {
            self.reported = true;
            if let Some(digit) = event_digit(p.event) {
                return Ok(Some(DtmfEvent {
                    digit,
                    duration: p.duration,
                }));
            }
        }
        Ok(None)
    }
}

/// The DTMF row and column frequencies.
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Goertzel block: 102 samples at 8 kHz (12.75 ms), the classic size that
/// separates the DTMF frequencies.
const BLOCK: usize = 102;

/// Detects DTMF tones in 8 kHz audio (the in-band fallback for peers that
/// do not send RFC 4733 events).
///
/// A digit is reported once when both its tones stand out of the signal in
/// two consecutive blocks (about 26 ms), with the twist and the ratio to the
/// other DTMF frequencies inside the usual limits, and re-armed after a
/// block without it.
#[derive(Debug, Clone)]
pub struct ToneDetector {
    coeffs: [f32; 8],
    q1: [f32; 8],
    q2: [f32; 8],
    energy: f32,
    filled: usize,
    candidate: Option<char>,
    hits: u8,
    reported: Option<char>,
}

impl Default for ToneDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl ToneDetector {
    /// A detector for 8 kHz audio.
    pub fn new() -> Self {
        let mut coeffs = [0.0; 8];
        for (c, f) in coeffs.iter_mut().zip(ROWS.iter().chain(COLS.iter())) {
            *c = 2.0 * (2.0 * core::f32::consts::PI * f / 8000.0).cos();
        }
        Self {
            coeffs,
            q1: [0.0; 8],
            q2: [0.0; 8],
            energy: 0.0,
            filled: 0,
            candidate: None,
            hits: 0,
            reported: None,
        }
    }

    /// Feeds samples; calls `on_digit` for each digit detected.
    pub fn process(&mut self, pcm: &[i16], mut on_digit: impl FnMut(char)) {
        for &s in pcm {
            let x = f32::from(s) / 32768.0;
            self.energy += x * x;
            for k in 0..8 {
                let q0 = self.coeffs[k] * self.q1[k] - self.q2[k] + x;
                self.q2[k] = self.q1[k];
                self.q1[k] = q0;
            }
            self.filled += 1;
            if self.filled == BLOCK {
                let digit = self.block_digit();
                self.q1 = [0.0; 8];
                self.q2 = [0.0; 8];
                self.energy = 0.0;
                self.filled = 0;
                if digit.is_some() && digit == self.candidate {
                    self.hits = self.hits.saturating_add(1);
                } else {
                    self.candidate = digit;
                    self.hits = u8::from(digit.is_some());
                }
                match digit {
                    Some(d) if self.hits >= 2 && self.reported != Some(d) => {
                        self.reported = Some(d);
                        on_digit(d);
                    }
                    None => self.reported = None,
                    _ => {}
                }
            }
        }
    }

    fn block_digit(&self) -> Option<char> {
        let power: [f32; 8] = core::array::from_fn(|k| {
            self.q1[k] * self.q1[k] + self.q2[k] * self.q2[k]
                - self.coeffs[k] * self.q1[k] * self.q2[k]
        });
        let best = |range: core::ops::Range<usize>| {
            range
                .clone()
                .max_by(|&a, &b| power[a].total_cmp(&power[b]))
                .map(|i| (i - range.start, power[i]))
        };
        let (r, pr) = best(0..4)?;
        let (c, pc) = best(4..8)?;
        // Total energy of the block, scaled like the Goertzel powers (N/2).
        let total = self.energy * BLOCK as f32 / 2.0;
        // Both tones present (about -30 dBm0 and up), together most of the
        // signal, twist within 8 dB normal / 4 dB reverse, and each tone
        // well above the others of its group.
        let min_power = 1e-3 * BLOCK as f32 * BLOCK as f32 / 4.0;
        if pr < min_power || pc < min_power {
            return None;
        }
        if pr + pc < 0.6 * total {
            return None;
        }
        if pc > pr * 2.5 || pr > pc * 6.3 {
            return None;
        }
        let others = |group: core::ops::Range<usize>, peak: f32| {
            group
                .filter(|&i| power[i] < peak)
                .all(|i| power[i] * 6.3 < peak)
        };
        if !others(0..4, pr) || !others(4..8, pc) {
            return None;
        }
        Some(KEYS[r][c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        for (i, d) in "0123456789*#ABCD".chars().enumerate() {
            assert_eq!(event_code(d), Some(i as u8));
            assert_eq!(event_digit(i as u8), Some(d));
        }
        assert_eq!(event_code('x'), None);
        assert_eq!(event_digit(16), None);
    }

    #[test]
    fn sender_then_receiver() {
        let mut tx = DtmfSender::new('5', 800, 160).unwrap();
        let mut rx = DtmfReceiver::new();
        let mut packets = Vec::new();
        while let Some(p) = tx.next_packet() {
            packets.push(p);
        }
        // 160, 320, ..., 800 (end) and two more ends.
        assert_eq!(packets.len(), 7);
        assert!(packets[0].marker && !packets[1].marker);
        assert_eq!(packets[4].payload.duration, 800);
        assert!(packets[4..].iter().all(|p| p.payload.end));
        let mut got = Vec::new();
        for p in &packets {
            if let Some(e) = rx.on_packet(1000, &p.payload.to_bytes()).unwrap() {
                got.push(e);
            }
        }
        assert_eq!(
            got,
            vec![DtmfEvent {
                digit: '5',
                duration: 800
            }]
        );
        // The same digit again is a new event (new timestamp).
        let mut tx = DtmfSender::new('5', 160, 160).unwrap();
        let p = tx.next_packet().unwrap();
        assert_eq!(
            rx.on_packet(2000, &p.payload.to_bytes()).unwrap(),
            Some(DtmfEvent {
                digit: '5',
                duration: 160
            })
        );
        assert!(rx.on_packet(2000, &[1, 2]).is_err());
    }

    #[test]
    fn sender_rejects_bad_settings() {
        assert!(DtmfSender::new('x', 800, 160).is_err());
        assert!(DtmfSender::new('1', 70_000, 160).is_err());
        assert!(DtmfSender::new('1', 800, 0).is_err());
    }

    fn tone(digit: char, ms: usize, amp: f32) -> Vec<i16> {
        let idx = "123A456B789C*0#D".find(digit).unwrap();
        let (fr, fc) = (ROWS[idx / 4], COLS[idx % 4]);
        (0..ms * 8)
            .map(|n| {
                let t = n as f32 / 8000.0;
                let v = amp
                    * ((2.0 * core::f32::consts::PI * fr * t).sin()
                        + (2.0 * core::f32::consts::PI * fc * t).sin());
                v as i16
            })
            .collect()
    }

    #[test]
    fn detects_every_digit_in_band() {
        let mut audio = Vec::new();
        let digits = "0123456789*#ABCD";
        for d in digits.chars() {
            audio.extend(tone(d, 60, 6000.0));
            audio.extend(vec![0i16; 60 * 8]);
        }
        let mut det = ToneDetector::new();
        let mut got = String::new();
        for chunk in audio.chunks(160) {
            det.process(chunk, |d| got.push(d));
        }
        assert_eq!(got, digits);
    }

    #[test]
    fn speech_like_signals_are_not_digits() {
        // One tone alone, a chord of non-DTMF frequencies, and noise.
        let single: Vec<i16> = (0..8000)
            .map(|n| {
                (8000.0 * (2.0 * core::f32::consts::PI * 770.0 * n as f32 / 8000.0).sin()) as i16
            })
            .collect();
        let chord: Vec<i16> = (0..8000)
            .map(|n| {
                let t = n as f32 / 8000.0;
                (5000.0
                    * ((2.0 * core::f32::consts::PI * 440.0 * t).sin()
                        + (2.0 * core::f32::consts::PI * 1000.0 * t).sin())) as i16
            })
            .collect();
        let mut x = 12345u32;
        let noise: Vec<i16> = (0..8000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((x >> 16) as i16) / 4
            })
            .collect();
        for signal in [single, chord, noise] {
            let mut det = ToneDetector::new();
            let mut got = String::new();
            det.process(&signal, |d| got.push(d));
            assert_eq!(got, "");
        }
    }
}
