//! Send and receive gain (FEATURES I2).

use crate::Error;

/// A gain in dB applied to 16-bit PCM, saturating at full scale; a change
/// of gain ramps linearly over [`ramp`](Self::set_ramp) samples (10 ms at
/// 16 kHz by default) so that it does not click.
///
/// ```
/// use linkus_media::audio::Gain;
///
/// let mut gain = Gain::new(6.0)?;
/// let mut pcm = [1000i16; 4];
/// gain.process(&mut pcm);
/// assert_eq!(pcm, [1995; 4]);
/// // Out of range settings are refused.
/// assert!(gain.set_db(30.0).is_err());
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Gain {
    db: f32,
    /// The linear gain now (during a ramp, between the old and the target).
    current: f32,
    target: f32,
    /// Change of `current` per sample during a ramp.
    step: f32,
    /// Samples left in the ramp.
    left: usize,
    ramp: usize,
}

impl Gain {
    /// The lowest gain accepted, in dB.
    pub const MIN_DB: f32 = -20.0;
    /// The highest gain accepted, in dB.
    pub const MAX_DB: f32 = 20.0;
    /// The default ramp: 10 ms at 16 kHz.
    pub const DEFAULT_RAMP: usize = 160;

    /// A gain of `db` dB, in effect from the first sample.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `db` is not a number within
    /// [`MIN_DB`](Self::MIN_DB)..=[`MAX_DB`](Self::MAX_DB).
    pub fn new(db: f32) -> Result<Self, Error> {
        let linear = Self::linear(db)?;
        Ok(Gain {
            db,
            current: linear,
            target: linear,
            step: 0.0,
            left: 0,
            ramp: Self::DEFAULT_RAMP,
        })
    }

    fn linear(db: f32) -> Result<f32, Error> {
        if !(Self::MIN_DB..=Self::MAX_DB).contains(&db) {
            return Err(Error::InvalidConfig {
                reason: "gain must be between -20 and +20 dB",
            });
        }
        Ok(10f32.powf(db / 20.0))
    }

    /// The gain set, in dB (the target while ramping).
    pub fn db(&self) -> f32 {
        self.db
    }

    /// Sets the length of the ramps of later changes, in samples (0: the
    /// change is immediate).
    pub fn set_ramp(&mut self, samples: usize) {
        self.ramp = samples;
    }

    /// Changes the gain to `db` dB; the processed signal ramps to it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] as in [`new`](Self::new); the gain is then
    /// unchanged.
    pub fn set_db(&mut self, db: f32) -> Result<(), Error> {
        let target = Self::linear(db)?;
        self.db = db;
        self.target = target;
        if self.ramp == 0 {
            self.current = target;
            self.left = 0;
        } else {
            self.left = self.ramp;
            self.step = (target - self.current) / self.ramp as f32;
        }
        Ok(())
    }

    /// Applies the gain to `pcm` in place.
    pub fn process(&mut self, pcm: &mut [i16]) {
        let mut rest = pcm;
        while self.left > 0 && !rest.is_empty() {
            self.current += self.step;
            self.left -= 1;
            if self.left == 0 {
                self.current = self.target;
            }
            rest[0] = apply(rest[0], self.current);
            rest = &mut rest[1..];
        }
        if self.current == 1.0 {
            return;
        }
        let g = self.current;
        for s in rest {
            *s = apply(*s, g);
        }
    }
}

fn apply(s: i16, g: f32) -> i16 {
    (f32::from(s) * g).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_the_range() {
        for db in [-20.5, 20.1, f32::NAN, f32::INFINITY] {
            assert!(matches!(Gain::new(db), Err(Error::InvalidConfig { .. })));
        }
        let mut g = Gain::new(0.0).unwrap();
        assert!(g.set_db(-21.0).is_err());
        assert_eq!(g.db(), 0.0);
        assert!(Gain::new(-20.0).is_ok() && Gain::new(20.0).is_ok());
    }

    #[test]
    fn saturates() {
        let mut g = Gain::new(20.0).unwrap();
        let mut pcm = [10_000, -10_000, 100];
        g.process(&mut pcm);
        assert_eq!(pcm, [32767, -32768, 1000]);
    }

    #[test]
    fn ramps_without_steps() {
        let mut g = Gain::new(0.0).unwrap();
        g.set_db(-20.0).unwrap();
        let mut pcm = [10_000i16; 400];
        g.process(&mut pcm);
        // Monotonic, no jump bigger than one ramp step, ends at 1000.
        for w in pcm.windows(2) {
            assert!(w[1] <= w[0] && w[0] - w[1] <= 60, "{w:?}");
        }
        assert_eq!(pcm[0], 9944);
        assert!(pcm[159..].iter().all(|&s| s == 1000));
    }
}
