//! The tone that tells the parties a call is being recorded (FEATURES D11).

use crate::Error;

/// A periodic warning beep: by default 1400 Hz for 200 ms at −20 dBFS every
/// 15 s, starting at once, with 5 ms raised-cosine edges so that it does
/// not click. [`AudioPath`](super::AudioPath) mixes it into both
/// directions while it records and the tone is on
/// ([`set_recording_tone`](super::AudioPath::set_recording_tone)).
///
/// ```
/// use linkus_media::audio::RecordingTone;
///
/// let mut tone = RecordingTone::new(8_000);
/// let mut pcm = [0i16; 160];
/// tone.mix_into(&mut pcm); // the first 20 ms: beeping
/// assert!(pcm.iter().any(|&s| s > 3000));
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordingTone {
    /// Radians per sample.
    step: f64,
    amp: f64,
    beep: usize,
    period: usize,
    edge: usize,
    /// Position in the period.
    pos: usize,
}

impl RecordingTone {
    /// The default tone at `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        let rate = f64::from(sample_rate.max(1));
        let samples = |ms: f64| (rate * ms / 1000.0) as usize;
        RecordingTone {
            step: 2.0 * std::f64::consts::PI * 1400.0_f64.min(rate / 2.0) / rate,
            amp: 32767.0 * 10f64.powf(-20.0 / 20.0),
            beep: samples(200.0).max(1),
            period: samples(15_000.0).max(2),
            edge: samples(5.0),
            pos: 0,
        }
    }

    /// A tone of `freq_hz` for `beep_ms` every `period_ms` at `level_dbfs`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a frequency not below half the rate, a
    /// beep not shorter than the period, a period over an hour or a level
    /// outside −60..=0 dBFS.
    pub fn with(
        sample_rate: u32,
        freq_hz: f64,
        beep_ms: u32,
        period_ms: u32,
        level_dbfs: f64,
    ) -> Result<Self, Error> {
        let rate = f64::from(sample_rate);
        if !(freq_hz > 0.0 && freq_hz < rate / 2.0) {
            return Err(Error::InvalidConfig {
                reason: "recording tone: frequency must be between 0 and half the rate",
            });
        }
        if beep_ms == 0 || beep_ms >= period_ms || period_ms > 3_600_000 {
            return Err(Error::InvalidConfig {
                reason: "recording tone: the beep must be shorter than the period (at most 1 h)",
            });
        }
        if !(-60.0..=0.0).contains(&level_dbfs) {
            return Err(Error::InvalidConfig {
                reason: "recording tone: level must be -60 to 0 dBFS",
            });
        }
        let samples = |ms: u32| (rate * f64::from(ms) / 1000.0) as usize;
        let beep = samples(beep_ms).max(1);
        Ok(RecordingTone {
            step: 2.0 * std::f64::consts::PI * freq_hz / rate,
            amp: 32767.0 * 10f64.powf(level_dbfs / 20.0),
            beep,
            period: samples(period_ms).max(beep + 1),
            edge: (rate * 0.005) as usize,
            pos: 0,
        })
    }

    /// Starts the period again (the next sample begins a beep).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Adds the tone to `pcm` (saturating) and advances by its length.
    pub fn mix_into(&mut self, pcm: &mut [i16]) {
        for s in pcm {
            if self.pos < self.beep {
                let edge = self.edge.min(self.beep / 2);
                let from_edge = self.pos.min(self.beep - 1 - self.pos);
                let env = if from_edge < edge {
                    0.5 - 0.5 * (std::f64::consts::PI * from_edge as f64 / edge as f64).cos()
                } else {
                    1.0
                };
                let v = self.amp * env * (self.step * self.pos as f64).sin();
                *s = (f64::from(*s) + v).round().clamp(-32768.0, 32767.0) as i16;
            }
            self.pos += 1;
            if self.pos == self.period {
                self.pos = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beeps_every_period_without_clicks() {
        let mut t = RecordingTone::with(8000, 1000.0, 100, 1000, -6.0).unwrap();
        let mut pcm = vec![0i16; 16_000];
        t.mix_into(&mut pcm);
        let loud = |r: std::ops::Range<usize>| pcm[r].iter().any(|&s| s.abs() > 10_000);
        assert!(loud(0..800) && loud(8000..8800));
        assert!(pcm[800..8000].iter().all(|&s| s == 0));
        assert!(pcm[0].abs() < 100 && pcm[799].abs() < 100);
        assert!(RecordingTone::with(8000, 4000.0, 100, 1000, -6.0).is_err());
        assert!(RecordingTone::with(8000, 1000.0, 1000, 1000, -6.0).is_err());
        assert!(RecordingTone::with(8000, 1000.0, 100, 1000, 1.0).is_err());
    }
}
