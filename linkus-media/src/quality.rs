//! Call quality: an ITU-T G.107 E-model estimate of the listening and
//! conversational quality (R factor and MOS) from the measured loss, delay
//! and codec.
//!
//! The E-model sums impairments on a 0–100 scale: with the default room
//! noise and echo settings `R = 93.2 − Id − Ie,eff`, where `Id` is the
//! delay impairment (G.107 §7.4 `Idd`, zero up to 100 ms of one-way
//! delay) and `Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)` the
//! equipment impairment of the codec under random loss `Ppl` (percent).
//! `Ie` and `Bpl` come from ITU-T G.113 Appendix I where it lists the
//! codec (G.711 with Appendix I concealment: 0 / 25.1; G.729A: 11 / 19;
//! iLBC: 10–11 / 32 (20/30 ms)); G.722 and Opus are rated on the same
//! narrow-band scale as G.711 with concealment (their wide-band advantage
//! is not counted: the estimate is conservative for them).
//!
//! ```
//! use std::time::Duration;
//! use linkus_media::codec::Codec;
//! use linkus_media::quality::{estimate, Conditions};
//!
//! let clean = estimate(Codec::Pcmu, &Conditions::default());
//! assert!((clean.mos - 4.41).abs() < 0.01); // R = 93.2
//! let bad = estimate(Codec::Pcmu, &Conditions {
//!     loss: 0.05,
//!     one_way_delay: Duration::from_millis(300),
//!     ..Conditions::default()
//! });
//! assert!(bad.mos < 3.6 && bad.r < 70.0);
//! ```

use std::time::Duration;

use crate::codec::Codec;

/// What the network did to a stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Fraction of packets lost or discarded late (0–1).
    pub loss: f64,
    /// Burst ratio (1 for random loss, above 1 for bursty loss).
    pub burst_ratio: f64,
    /// Mouth-to-ear delay: half the RTT plus jitter buffer, packetisation
    /// and codec delay.
    pub one_way_delay: Duration,
}

impl Default for Conditions {
    fn default() -> Self {
        Self {
            loss: 0.0,
            burst_ratio: 1.0,
            one_way_delay: Duration::ZERO,
        }
    }
}

/// The estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Transmission rating factor, 0–100 (93.2 is the best narrow-band call).
    pub r: f64,
    /// Mean opinion score, 1–4.5 (G.107 Annex B conversion of `r`).
    pub mos: f64,
}

/// `(Ie, Bpl)` of a codec: equipment impairment and packet-loss robustness.
fn impairment(codec: Codec) -> (f64, f64) {
    match codec {
        Codec::Pcmu | Codec::Pcma | Codec::G722 | Codec::Opus => (0.0, 25.1),
        Codec::Ilbc(crate::codec::ilbc::IlbcMode::Ms20) => (10.0, 32.0),
        Codec::Ilbc(crate::codec::ilbc::IlbcMode::Ms30) => (11.0, 32.0),
        #[allow(
            unreachable_patterns,
            reason = "G.729 exists with the g729 feature only"
        )]
        _ => (11.0, 19.0),
    }
}

/// Delay impairment `Idd` of G.107 §7.4 for a one-way delay.
fn delay_impairment(delay: Duration) -> f64 {
    let ta = delay.as_secs_f64() * 1000.0;
    if ta <= 100.0 {
        return 0.0;
    }
    let x = (ta / 100.0).log2();
    25.0 * ((1.0 + x.powi(6)).powf(1.0 / 6.0) - 3.0 * (1.0 + (x / 3.0).powi(6)).powf(1.0 / 6.0)
        + 2.0)
}

/// MOS from R (G.107 Annex B).
pub fn mos_from_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

/// The E-model estimate for `codec` under `conditions`.
pub fn estimate(codec: Codec, conditions: &Conditions) -> Estimate {
    let (ie, bpl) = impairment(codec);
    let ppl = (conditions.loss.clamp(0.0, 1.0)) * 100.0;
    let burst = conditions.burst_ratio.max(1.0);
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl / burst + bpl);
    let r = (93.2 - delay_impairment(conditions.one_way_delay) - ie_eff).clamp(0.0, 100.0);
    Estimate {
        r,
        mos: mos_from_r(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g107_reference_points() {
        // The default R of G.107 gives MOS 4.41.
        assert!((mos_from_r(93.2) - 4.41).abs() < 0.005);
        // R 50 is the "nearly all users dissatisfied" boundary: MOS 2.58.
        assert!((mos_from_r(50.0) - 2.58).abs() < 0.01);
        // Idd at 200 ms is small, at 400 ms large (G.107 figure).
        let d200 = delay_impairment(Duration::from_millis(200));
        let d400 = delay_impairment(Duration::from_millis(400));
        assert!((1.0..6.0).contains(&d200), "{d200}");
        assert!((18.0..30.0).contains(&d400), "{d400}");
        assert_eq!(delay_impairment(Duration::from_millis(90)), 0.0);
    }

    #[test]
    fn loss_hurts_more_without_robustness_and_in_bursts() {
        let c = |codec, loss, burst| {
            estimate(
                codec,
                &Conditions {
                    loss,
                    burst_ratio: burst,
                    one_way_delay: Duration::from_millis(80),
                },
            )
            .mos
        };
        assert!(c(Codec::Pcmu, 0.01, 1.0) > c(Codec::Pcmu, 0.05, 1.0));
        assert!(c(Codec::Pcmu, 0.05, 1.0) > c(Codec::Pcmu, 0.05, 2.0));
        // iLBC starts lower (Ie 11) but degrades more slowly (Bpl 32).
        let ilbc = Codec::Ilbc(crate::codec::ilbc::IlbcMode::Ms30);
        assert!(c(Codec::Pcmu, 0.0, 1.0) > c(ilbc, 0.0, 1.0));
        let drop_g711 = c(Codec::Pcmu, 0.0, 1.0) - c(Codec::Pcmu, 0.1, 1.0);
        let drop_ilbc = c(ilbc, 0.0, 1.0) - c(ilbc, 0.1, 1.0);
        assert!(drop_ilbc < drop_g711);
        assert!(c(Codec::Pcmu, 1.0, 1.0) < 1.5);
    }
}
