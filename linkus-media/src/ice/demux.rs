//! Telling STUN, TURN channel data, DTLS, ZRTP and RTP/RTCP apart on one
//! socket by the first byte (RFC 7983 §7, RFC 5761 §4).

/// What a datagram received on a media socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketClass {
    /// STUN (first byte 0–3): an ICE check, a STUN or TURN response or a
    /// TURN Data indication. Feed it to [`IceAgent::handle_datagram`](super::IceAgent::handle_datagram).
    Stun,
    /// ZRTP (16–19).
    Zrtp,
    /// DTLS (20–63).
    Dtls,
    /// TURN ChannelData (64–79), from a TURN server only.
    TurnChannel,
    /// RTP (128–191, payload type not 64–95).
    Rtp,
    /// RTCP (128–191, packet type 192–223, RFC 5761 §4).
    Rtcp,
    /// Anything else: drop it.
    Unknown,
}

/// Classifies a datagram by its first byte (RFC 7983 §7) and, for RTP and
/// RTCP, its second (RFC 5761 §4).
///
/// ```
/// use linkus_media::ice::{classify, PacketClass};
///
/// assert_eq!(classify(&[0x80, 0x00, 0, 1]), PacketClass::Rtp);
/// assert_eq!(classify(&[0x81, 200, 0, 6]), PacketClass::Rtcp);
/// assert_eq!(classify(&[0x00, 0x01, 0, 0]), PacketClass::Stun);
/// assert_eq!(classify(&[0x40, 0x00, 0, 4]), PacketClass::TurnChannel);
/// assert_eq!(classify(&[]), PacketClass::Unknown);
/// ```
pub fn classify(packet: &[u8]) -> PacketClass {
    match packet.first() {
        Some(0..=3) => PacketClass::Stun,
        Some(16..=19) => PacketClass::Zrtp,
        Some(20..=63) => PacketClass::Dtls,
        Some(64..=79) => PacketClass::TurnChannel,
        Some(128..=191) => match packet.get(1) {
            Some(192..=223) => PacketClass::Rtcp,
            Some(_) => PacketClass::Rtp,
            None => PacketClass::Unknown,
        },
        _ => PacketClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_first_byte_has_one_class() {
        for b in 0..=255u8 {
            let c = classify(&[b, 0]);
            let want = match b {
                0..=3 => PacketClass::Stun,
                16..=19 => PacketClass::Zrtp,
                20..=63 => PacketClass::Dtls,
                64..=79 => PacketClass::TurnChannel,
                128..=191 => PacketClass::Rtp,
                _ => PacketClass::Unknown,
            };
            assert_eq!(c, want, "{b}");
        }
        assert_eq!(classify(&[0x80, 72 + 128]), PacketClass::Rtcp);
        assert_eq!(classify(&[0x80, 96 + 128]), PacketClass::Rtp);
    }
}
