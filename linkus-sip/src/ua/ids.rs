//! Tags, branches and Call-IDs from a seeded generator.
//!
//! The core takes no hidden randomness: the driver seeds it (from the OS in
//! production, a constant in tests), so a scenario replays exactly.

use crate::message::typed::BRANCH_MAGIC_COOKIE;

/// splitmix64: small, fast, good enough for unguessable-in-practice
/// identifiers when seeded from the OS (RFC 3261 asks for 32 bits of
/// randomness in tags and unique branches, not cryptographic strength).
#[derive(Debug, Clone)]
pub(crate) struct IdGen {
    state: u64,
}

impl IdGen {
    pub(crate) fn new(seed: u64) -> IdGen {
        IdGen { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A From/To tag.
    pub(crate) fn tag(&mut self) -> String {
        format!("{:012x}", self.next_u64() >> 16)
    }

    /// A Via branch with the RFC 3261 magic cookie.
    pub(crate) fn branch(&mut self) -> String {
        format!("{BRANCH_MAGIC_COOKIE}{:016x}", self.next_u64())
    }

    /// A Call-ID.
    pub(crate) fn call_id(&mut self) -> String {
        format!(
            "{:016x}{:08x}@linkus",
            self.next_u64(),
            self.next_u64() >> 32
        )
    }

    /// A digest client nonce (128 bits, hex).
    pub(crate) fn cnonce(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// A fraction in [0, 1) for jitter.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
