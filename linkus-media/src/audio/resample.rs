//! Sample-rate conversion between a device's rate and a codec's rate.
//!
//! [`Resampler`] is a rational polyphase windowed-sinc (Kaiser window,
//! β = 8, about 80 dB of stop-band rejection) converter for any pair of
//! rates whose ratio reduces to `L/M` with `L` and `M` at most
//! [`MAX_FACTOR`]: 8, 16, 32 and 48 kHz between each other, and 44.1 kHz
//! to and from those (160/147, 320/441 ...). The pass band ends at 92 % of
//! the lower Nyquist frequency (3.68 kHz between 8 and 16 kHz). It delays
//! the signal by about 12 samples of the lower rate.
//!
//! ```
//! use linkus_media::audio::Resampler;
//!
//! let mut up = Resampler::new(8_000, 48_000)?;
//! let mut out = vec![0i16; up.max_output(80)];
//! // 10 ms at 8 kHz becomes 10 ms at 48 kHz.
//! assert_eq!(up.process(&[1000; 80], &mut out)?, 480);
//! # Ok::<(), linkus_media::Error>(())
//! ```

use crate::Error;

/// The largest up- or down-sampling factor (after reducing the ratio).
pub const MAX_FACTOR: u32 = 512;
/// Taps per phase of the filter, per unit of the down-sampling factor.
const TAPS: usize = 24;

/// A streaming sample-rate converter for mono `i16` audio.
///
/// A rational polyphase windowed-sinc filter (Kaiser window, β = 8, about
/// 80 dB of stop-band rejection) for any pair of rates whose ratio reduces
/// to `L/M` with `L` and `M` at most [`MAX_FACTOR`]: 8, 16, 32 and 48 kHz
/// between each other, and 44.1 kHz to and from those. The pass band ends
/// at 92 % of the lower Nyquist frequency (3.68 kHz between 8 and 16 kHz);
/// the signal is delayed by about 12 samples of the lower rate.
///
/// ```
/// use linkus_media::audio::Resampler;
///
/// let mut up = Resampler::new(8_000, 48_000)?;
/// let mut out = vec![0i16; up.max_output(80)];
/// // 10 ms at 8 kHz becomes 10 ms at 48 kHz.
/// assert_eq!(up.process(&[1000; 80], &mut out)?, 480);
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    /// Up-sampling factor.
    l: usize,
    /// Down-sampling factor.
    m: usize,
    /// Taps per phase.
    k: usize,
    /// `l` phases of `k` coefficients, each in the order of the history
    /// window (oldest sample first).
    coeffs: Vec<f32>,
    /// The last `k` input samples, twice (see `push`).
    hist: Vec<f32>,
    pos: usize,
    /// Position of the next output within the newest input sample, in
    /// units of 1/l sample.
    acc: usize,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The zeroth-order modified Bessel function of the first kind.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / f64::from(k * k);
        sum += term;
        if term < sum * 1e-12 {
            break;
        }
    }
    sum
}

/// Dot product with eight accumulators (vectorises; the filters' taps
/// are multiples of 8).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0f32; 8];
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    tail += acc.iter().sum::<f32>();
    tail
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz (the same rate copies).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a zero rate or a ratio that does not
    /// reduce to factors of at most [`MAX_FACTOR`].
    pub fn new(from: u32, to: u32) -> Result<Self, Error> {
        if from == 0 || to == 0 {
            return Err(Error::InvalidConfig {
                reason: "resampler: a sample rate is zero",
            });
        }
        let g = gcd(from, to);
        let (l, m) = (to / g, from / g);
        if l > MAX_FACTOR || m > MAX_FACTOR {
            return Err(Error::InvalidConfig {
                reason: "resampler: the ratio of the rates is too complex",
            });
        }
        let (l, m) = (l as usize, m as usize);
        let k = if l == m {
            1
        } else {
            TAPS * m.div_ceil(l).max(1)
        };
        let n = k * l;
        let mut coeffs = vec![0f32; n];
        if l == m {
            coeffs[0] = 1.0;
        } else {
            // Cut-off in cycles per sample at the up-sampled rate.
            let fc = 0.5 / l.max(m) as f64 * 0.92;
            let beta = 8.0;
            let centre = (n as f64 - 1.0) / 2.0;
            let i0b = bessel_i0(beta);
            let mut proto = vec![0f64; n];
            for (i, h) in proto.iter_mut().enumerate() {
                let t = i as f64 - centre;
                let x = 2.0 * fc * t;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let r = t / (centre + 0.5);
                let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
                *h = 2.0 * fc * sinc * w;
            }
            // Unity gain at DC in every phase on average: scale to l.
            let sum: f64 = proto.iter().sum();
            for (p, phase) in coeffs.chunks_exact_mut(k).enumerate() {
                for (j, c) in phase.iter_mut().enumerate() {
                    *c = (proto[p + (k - 1 - j) * l] * l as f64 / sum) as f32;
                }
            }
        }
        Ok(Resampler {
            from,
            to,
            l,
            m,
            k,
            coeffs,
            hist: vec![0.0; 2 * k],
            pos: 0,
            acc: 0,
        })
    }

    /// The input rate.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// The output rate.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// The most samples [`process`](Self::process) can write for `input`
    /// samples.
    pub fn max_output(&self, input: usize) -> usize {
        (input * self.l).div_ceil(self.m) + 1
    }

    /// Forgets the signal so far (the next output starts from silence).
    pub fn reset(&mut self) {
        self.hist.fill(0.0);
        self.pos = 0;
        self.acc = 0;
    }

    /// Converts `input` and writes the output samples into `output`,
    /// returning how many. A whole number of 10 ms frames at standard rates
    /// always gives exactly the same duration at the output rate.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `output` is shorter than
    /// [`max_output`](Self::max_output)`(input.len())`; nothing is consumed.
    pub fn process(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, Error> {
        crate::codec::check_len(self.max_output(input.len()), output.len())?;
        if self.l == self.m {
            output[..input.len()].copy_from_slice(input);
            return Ok(input.len());
        }
        let k = self.k;
        let mut n = 0;
        for &x in input {
            let x = f32::from(x);
            self.hist[self.pos] = x;
            self.hist[self.pos + k] = x;
            self.pos = (self.pos + 1) % k;
            // The last k samples, oldest first.
            let window = &self.hist[self.pos..self.pos + k];
            while self.acc < self.l {
                let phase = &self.coeffs[self.acc * k..(self.acc + 1) * k];
                let y = dot(window, phase);
                output[n] = y.round().clamp(-32768.0, 32767.0) as i16;
                n += 1;
                self.acc += self.m;
            }
            self.acc -= self.l;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, freq: f64, len: usize, amp: f64) -> Vec<i16> {
        (0..len)
            .map(|i| {
                (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    fn convert(from: u32, to: u32, input: &[i16], frame: usize) -> Vec<i16> {
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0i16; r.max_output(frame)];
        for f in input.chunks(frame) {
            let n = r.process(f, &mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn frame_lengths_are_exact() {
        for (from, to) in [
            (8000, 16000),
            (16000, 8000),
            (8000, 48000),
            (48000, 8000),
            (16000, 48000),
            (48000, 16000),
            (44100, 16000),
            (16000, 44100),
            (48000, 48000),
        ] {
            let mut r = Resampler::new(from, to).unwrap();
            let inp = vec![0i16; from as usize / 100];
            let mut out = vec![0i16; r.max_output(inp.len())];
            for _ in 0..10 {
                assert_eq!(r.process(&inp, &mut out).unwrap(), to as usize / 100);
            }
        }
    }

    #[test]
    fn passes_the_voice_band_and_rejects_images() {
        // 1 kHz through 8k -> 48k -> 8k keeps its level.
        let x = tone(8000, 1000.0, 8000, 10000.0);
        let up = convert(8000, 48000, &x, 80);
        let back = convert(48000, 8000, &up, 480);
        let (a, b) = (rms(&x[2000..]), rms(&back[2000..]));
        assert!((b / a - 1.0).abs() < 0.02, "{a} {b}");
        assert!((rms(&up[12000..]) / a - 1.0).abs() < 0.02);
        // A 6 kHz tone at 16 kHz is above 8 kHz's Nyquist: removed.
        let hi = tone(16000, 6000.0, 16000, 10000.0);
        let down = convert(16000, 8000, &hi, 160);
        assert!(
            rms(&down[1000..]) < 10000.0 * 1e-3,
            "{}",
            rms(&down[1000..])
        );
    }

    #[test]
    fn rejects_bad_rates() {
        assert!(Resampler::new(0, 8000).is_err());
        assert!(Resampler::new(8000, 7919).is_err());
        let mut r = Resampler::new(8000, 16000).unwrap();
        assert!(matches!(
            r.process(&[0; 80], &mut [0; 100]),
            Err(Error::BufferTooSmall { .. })
        ));
    }
}
