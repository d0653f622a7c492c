//! Randomness for credentials, transaction IDs and tie-breakers.
//!
//! Bytes come from the operating system (ring's `SystemRandom`); should it
//! ever fail, a SplitMix64 stream seeded from it at creation takes over, so
//! that the agent never panics.

use ring::rand::{SecureRandom as _, SystemRandom};

use super::IceError;

/// The ice-chars of ufrag and pwd (RFC 8839 §5.4).
const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) struct Rng {
    os: SystemRandom,
    fallback: u64,
}

impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rng")
    }
}

impl Rng {
    pub(crate) fn new() -> Result<Self, IceError> {
        let os = SystemRandom::new();
        let mut seed = [0u8; 8];
        os.fill(&mut seed).map_err(|_| IceError::Random)?;
        Ok(Rng {
            os,
            fallback: u64::from_le_bytes(seed),
        })
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        if self.os.fill(buf).is_err() {
            for chunk in buf.chunks_mut(8) {
                let v = self.splitmix().to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        }
    }

    fn splitmix(&mut self) -> u64 {
        self.fallback = self.fallback.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.fallback;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b)
    }

    pub(crate) fn txid(&mut self) -> [u8; 12] {
        let mut t = [0u8; 12];
        self.fill(&mut t);
        t
    }

    /// `n` random ice-chars (6 bits each).
    pub(crate) fn ice_string(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        b.iter()
            .map(|&x| char::from(ICE_CHARS[usize::from(x & 63)]))
            .collect()
    }

    /// A fraction in [0.8, 1.2) for jittered intervals (RFC 7675 §5.1).
    pub(crate) fn jitter(&mut self) -> f64 {
        let x = (self.u64() >> 11) as f64 / (1u64 << 53) as f64;
        0.8 + 0.4 * x
    }
}
