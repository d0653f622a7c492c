//! The conference mixer for local conferences and conference rooms.

use crate::Error;

/// One participant of a [`Mixer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(u8);

impl LegId {
    /// The leg's slot, 0 to [`Mixer::MAX_LEGS`] − 1 (a slot is reused
    /// after [`Mixer::remove_leg`]).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

#[derive(Debug, Clone)]
struct Leg {
    input: Vec<i16>,
    has_input: bool,
    output: Vec<i16>,
    /// The limiter's gain on this leg's output.
    gain: f32,
}

/// Mixes up to [`MAX_LEGS`](Self::MAX_LEGS) legs of a conference: each
/// leg hears the sum of all the others, never itself.
///
/// All legs run at the mixer's rate and frame length (the caller resamples
/// a leg whose codec runs at another rate). Each frame interval, every leg
/// [`push`](Self::push)es its frame (a leg that pushes nothing contributes
/// silence, e.g. while its jitter buffer is empty), then [`mix`](Self::mix)
/// makes every leg's [`output`](Self::output). Sums are exact in 32 bits.
/// When a leg's mix would peak above −2.5 dBFS, a limiter scales it down
/// (attack within the first quarter of the frame, release at most 1 dB
/// per frame), and a soft clipper (a smooth knee that tends to full scale)
/// catches what the attack lets through, so loud talkers together never
/// wrap around, clip hard or distort much.
///
/// ```
/// use linkus_media::audio::Mixer;
///
/// let mut mixer = Mixer::new(160)?;
/// let (a, b, c) = (mixer.add_leg()?, mixer.add_leg()?, mixer.add_leg()?);
/// mixer.push(a, &[100; 160])?;
/// mixer.push(b, &[20; 160])?;
/// mixer.push(c, &[3; 160])?;
/// mixer.mix();
/// assert_eq!(mixer.output(a).unwrap()[0], 23);
/// assert_eq!(mixer.output(b).unwrap()[0], 103);
/// assert_eq!(mixer.output(c).unwrap()[0], 120);
/// # Ok::<(), linkus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mixer {
    frame: usize,
    legs: Vec<Option<Leg>>,
    sum: Vec<i32>,
    /// One leg's mix before limiting.
    mix: Vec<i32>,
}

/// Where the soft clipper's knee starts (−2.5 dBFS).
const KNEE: i32 = 24_576;

/// Soft clip: identity up to the knee, then `T + e / (1 + e / (FS − T))`
/// for the excess `e`, which has slope 1 at the knee and tends to full
/// scale.
fn soft_clip(x: i32) -> i16 {
    if x.unsigned_abs() <= KNEE as u32 {
        return x as i16;
    }
    let a = x.unsigned_abs() as f32;
    let room = 32_767.0 - KNEE as f32;
    let e = a - KNEE as f32;
    let y = (KNEE as f32 + e / (1.0 + e / room)).min(32_767.0) as i16;
    if x < 0 { -y } else { y }
}

impl Mixer {
    /// The most legs a mixer takes.
    pub const MAX_LEGS: usize = 9;

    /// A mixer of frames of `frame_samples` samples (e.g. 320 for 20 ms at
    /// 16 kHz).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 or more than 1 s at 48 kHz.
    pub fn new(frame_samples: usize) -> Result<Self, Error> {
        if frame_samples == 0 || frame_samples > 48_000 {
            return Err(Error::InvalidConfig {
                reason: "mixer: frame length must be 1 to 48000 samples",
            });
        }
        Ok(Mixer {
            frame: frame_samples,
            legs: vec![None; Self::MAX_LEGS],
            sum: vec![0; frame_samples],
            mix: vec![0; frame_samples],
        })
    }

    /// The frame length in samples.
    pub fn frame_samples(&self) -> usize {
        self.frame
    }

    /// How many legs the mixer has.
    pub fn len(&self) -> usize {
        self.legs.iter().flatten().count()
    }

    /// Whether the mixer has no legs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The legs, in slot order.
    pub fn legs(&self) -> impl Iterator<Item = LegId> + '_ {
        self.legs
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_some())
            .map(|(i, _)| LegId(i as u8))
    }

    /// Adds a leg; its output is silence until the next [`mix`](Self::mix).
    ///
    /// # Errors
    ///
    /// [`Error::MixerFull`] when the mixer has [`MAX_LEGS`](Self::MAX_LEGS).
    pub fn add_leg(&mut self) -> Result<LegId, Error> {
        let Some(i) = self.legs.iter().position(Option::is_none) else {
            return Err(Error::MixerFull {
                max: Self::MAX_LEGS,
            });
        };
        self.legs[i] = Some(Leg {
            input: vec![0; self.frame],
            has_input: false,
            output: vec![0; self.frame],
            gain: 1.0,
        });
        Ok(LegId(i as u8))
    }

    /// Removes a leg; returns whether it was there.
    pub fn remove_leg(&mut self, leg: LegId) -> bool {
        self.legs
            .get_mut(leg.index())
            .and_then(Option::take)
            .is_some()
    }

    fn leg_mut(&mut self, leg: LegId) -> Result<&mut Leg, Error> {
        self.legs
            .get_mut(leg.index())
            .and_then(Option::as_mut)
            .ok_or(Error::InvalidConfig {
                reason: "mixer: no such leg",
            })
    }

    /// Gives `leg`'s frame for this interval (a second push replaces the
    /// first).
    ///
    /// # Errors
    ///
    /// [`Error::BadFrameSize`] if `pcm` is not one frame;
    /// [`Error::InvalidConfig`] for a leg that is not in the mixer.
    pub fn push(&mut self, leg: LegId, pcm: &[i16]) -> Result<(), Error> {
        if pcm.len() != self.frame {
            return Err(Error::BadFrameSize {
                codec: "mixer",
                samples: pcm.len(),
            });
        }
        let l = self.leg_mut(leg)?;
        l.input.copy_from_slice(pcm);
        l.has_input = true;
        Ok(())
    }

    /// Mixes the frames pushed since the last mix into every leg's output
    /// and starts the next interval.
    pub fn mix(&mut self) {
        self.sum.fill(0);
        for leg in self.legs.iter().flatten().filter(|l| l.has_input) {
            for (s, &x) in self.sum.iter_mut().zip(&leg.input) {
                *s += i32::from(x);
            }
        }
        let frame = self.frame;
        for leg in self.legs.iter_mut().flatten() {
            // What this leg hears before limiting: the others' sum.
            if leg.has_input {
                for ((d, &s), &x) in self.mix.iter_mut().zip(&self.sum).zip(&leg.input) {
                    *d = s - i32::from(x);
                }
            } else {
                self.mix.copy_from_slice(&self.sum);
            }
            let peak = self.mix.iter().map(|d| d.unsigned_abs()).max().unwrap_or(0);
            let target = if peak > KNEE as u32 {
                KNEE as f32 / peak as f32
            } else {
                1.0
            };
            let from = leg.gain;
            let (to, ramp) = if target < from {
                (target, frame.div_ceil(4))
            } else {
                // Release: at most +1 dB per frame.
                (target.min(from * 1.122), frame)
            };
            if from == 1.0 && to == 1.0 {
                // No limiting (the usual case): integers only.
                for (o, &d) in leg.output.iter_mut().zip(&self.mix) {
                    *o = soft_clip(d);
                }
            } else {
                for (i, (o, &d)) in leg.output.iter_mut().zip(&self.mix).enumerate() {
                    let g = if i < ramp {
                        from + (to - from) * (i + 1) as f32 / ramp as f32
                    } else {
                        to
                    };
                    *o = soft_clip((d as f32 * g).round() as i32);
                }
            }
            leg.gain = to;
            leg.has_input = false;
        }
    }

    /// What `leg` hears: the mix of the others at the last
    /// [`mix`](Self::mix), or `None` for a leg not in the mixer.
    pub fn output(&self, leg: LegId) -> Option<&[i16]> {
        self.legs
            .get(leg.index())
            .and_then(Option::as_ref)
            .map(|l| &l.output[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_clip_is_monotonic_and_bounded() {
        let mut last = i16::MIN;
        for x in (-9 * 32768..=9 * 32767).step_by(97) {
            let y = soft_clip(x);
            assert!(y >= last, "{x}");
            last = y;
        }
        assert_eq!(soft_clip(KNEE), KNEE as i16);
        assert_eq!(soft_clip(-KNEE - 1), -KNEE as i16 - 1);
        assert_eq!(soft_clip(9 * 32767), 32_526);
        assert!(soft_clip(i32::MAX) >= 32_766);
        assert!(soft_clip(i32::MIN + 1) <= -32_766);
    }

    #[test]
    fn tenth_leg_is_refused_and_slots_are_reused() {
        let mut m = Mixer::new(80).unwrap();
        let legs: Vec<_> = (0..9).map(|_| m.add_leg().unwrap()).collect();
        assert_eq!(m.add_leg(), Err(Error::MixerFull { max: 9 }));
        assert!(m.remove_leg(legs[4]));
        assert!(!m.remove_leg(legs[4]));
        assert_eq!(
            m.push(legs[4], &[0; 80]),
            Err(Error::InvalidConfig {
                reason: "mixer: no such leg"
            })
        );
        assert_eq!(m.add_leg().unwrap().index(), 4);
        assert!(matches!(
            m.push(legs[0], &[0; 79]),
            Err(Error::BadFrameSize { .. })
        ));
        assert_eq!(m.len(), 9);
    }

    #[test]
    fn loud_legs_saturate_softly() {
        let mut m = Mixer::new(4).unwrap();
        let legs: Vec<_> = (0..9).map(|_| m.add_leg().unwrap()).collect();
        for &l in &legs {
            m.push(l, &[30_000, -30_000, 30_000, 0]).unwrap();
        }
        m.mix();
        for &l in &legs {
            let o = m.output(l).unwrap();
            assert!(o[0] >= 24_000, "{o:?}");
            assert_eq!(o[1], -o[0]);
            assert_eq!(o[3], 0);
        }
    }
}
