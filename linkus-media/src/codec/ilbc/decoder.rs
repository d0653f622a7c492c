//! The iLBC frame decoder (RFC 3951 section 4): residual reconstruction
//! from the start state and the adaptive codebook, packet loss concealment
//! (section 4.5), enhancement (section 4.6) and synthesis (section 4.7).

// Index loops follow the RFC's equations sample by sample.
#![allow(clippy::needless_range_loop)]

use super::common::{
    BLOCKL_MAX, CB_MEML, FrameParams, ModeParams, NSUB_MAX, ORDER, ORDER1, ST_MEM_L, STATE_LEN,
    SUBL, cb_construct, hp_filter, index_conv_dec, interpolate_lsf, lsf_check, lsf_dequant,
    state_construct, synt_filter, unpack,
};
use super::enhancer::{ENH_BLOCKL, Enhancer, xcorr_coef};
use super::tables::{HPO_POLE, HPO_ZERO, LSF_MEAN};

/// Decodes the residual of one frame from its parameters (after
/// [`index_conv_dec`]) and the synthesis filters (RFC 3951 section 4.4 and
/// `Decode()` of the reference).
pub(super) fn decode_residual(
    mode: &ModeParams,
    p: &FrameParams,
    syntdenum: &[f32; ORDER1 * NSUB_MAX],
    decresidual: &mut [f32; BLOCKL_MAX],
) {
    let start = usize::from(p.start);
    let ssl = mode.state_short_len;
    let diff = STATE_LEN - ssl;
    let start_pos = if p.state_first == 1 {
        (start - 1) * SUBL
    } else {
        (start - 1) * SUBL + diff
    };
    let mut st = [0f32; STATE_LEN];
    state_construct(
        p.idx_for_max,
        &p.idx_vec[..ssl],
        &syntdenum[(start - 1) * ORDER1..start * ORDER1],
        &mut st,
        ssl,
    );
    decresidual[start_pos..start_pos + ssl].copy_from_slice(&st[..ssl]);

    let mut mem = [0f32; CB_MEML];
    let mut reverse = [0f32; BLOCKL_MAX];
    if p.state_first == 1 {
        // Adaptive part after the scalar part.
        let m = &mut mem[..ST_MEM_L];
        m[ST_MEM_L - ssl..].copy_from_slice(&decresidual[start_pos..start_pos + ssl]);
        let mut v = [0f32; SUBL];
        cb_construct(&mut v, &p.extra_cb_index, &p.extra_gain_index, m, diff);
        decresidual[start_pos + ssl..start_pos + ssl + diff].copy_from_slice(&v[..diff]);
    } else {
        // Adaptive part before the scalar part, coded time-reversed.
        let m = &mut mem[..ST_MEM_L];
        for k in 0..ssl {
            m[ST_MEM_L - 1 - k] = decresidual[start_pos + k];
        }
        cb_construct(
            &mut reverse,
            &p.extra_cb_index,
            &p.extra_gain_index,
            m,
            diff,
        );
        for k in 0..diff {
            decresidual[start_pos - 1 - k] = reverse[k];
        }
    }

    let mut subcount = 0;
    // Forward prediction of the sub-blocks after the start state.
    let nfor = mode.nsub - start - 1;
    if mode.nsub > start + 1 {
        mem.fill(0.0);
        mem[CB_MEML - STATE_LEN..]
            .copy_from_slice(&decresidual[(start - 1) * SUBL..(start - 1) * SUBL + STATE_LEN]);
        for sub in 0..nfor {
            let pos = (start + 1 + sub) * SUBL;
            let mut v = [0f32; SUBL];
            cb_construct(
                &mut v,
                &p.cb_index[subcount],
                &p.gain_index[subcount],
                &mem,
                SUBL,
            );
            decresidual[pos..pos + SUBL].copy_from_slice(&v);
            mem.copy_within(SUBL.., 0);
            mem[CB_MEML - SUBL..].copy_from_slice(&v);
            subcount += 1;
        }
    }
    // Backward prediction of the sub-blocks before it, time-reversed.
    if start > 1 {
        let nback = start - 1;
        let got = (SUBL * (mode.nsub + 1 - start)).min(CB_MEML);
        mem.fill(0.0);
        for k in 0..got {
            mem[CB_MEML - 1 - k] = decresidual[(start - 1) * SUBL + k];
        }
        for sub in 0..nback {
            let mut v = [0f32; SUBL];
            cb_construct(
                &mut v,
                &p.cb_index[subcount],
                &p.gain_index[subcount],
                &mem,
                SUBL,
            );
            reverse[sub * SUBL..(sub + 1) * SUBL].copy_from_slice(&v);
            mem.copy_within(SUBL.., 0);
            mem[CB_MEML - SUBL..].copy_from_slice(&v);
            subcount += 1;
        }
        for i in 0..SUBL * nback {
            decresidual[SUBL * nback - i - 1] = reverse[i];
        }
    }
}

/// `(cc, gain, periodicity)` of pitch prediction of the last `srange`
/// samples of `buf` at `lag`.
fn comp_corr(buf: &[f32], lag: usize, srange: usize) -> (f32, f32, f32) {
    let blen = buf.len();
    let srange = if blen < srange + lag {
        blen.saturating_sub(lag)
    } else {
        srange
    };
    let (mut c, mut e_lag, mut e) = (0f32, 0f32, 0f32);
    for i in 0..srange {
        let x = buf[blen - srange + i];
        let y = buf[blen - srange + i - lag];
        c += x * y;
        e_lag += y * y;
        e += x * x;
    }
    if e_lag > 0.0 {
        let pm = if e > 0.0 {
            c.abs() / (e_lag.sqrt() * e.sqrt())
        } else {
            0.0
        };
        (c * c / e_lag, (c / e_lag).abs(), pm)
    } else {
        (0.0, 0.0, 0.0)
    }
}

/// Packet loss concealment state (RFC 3951 section 4.5).
#[derive(Debug, Clone)]
struct Plc {
    prev_lag: usize,
    cons_count: usize,
    prev_lost: bool,
    prev_lpc: [f32; ORDER1],
    prev_residual: [f32; BLOCKL_MAX],
    per: f32,
    seed: u32,
}

impl Plc {
    fn new() -> Self {
        let mut prev_lpc = [0f32; ORDER1];
        prev_lpc[0] = 1.0;
        Self {
            prev_lag: 120,
            cons_count: 0,
            prev_lost: false,
            prev_lpc,
            prev_residual: [0.0; BLOCKL_MAX],
            per: 0.0,
            seed: 777,
        }
    }

    /// Remembers a correctly received frame's residual and last filter.
    fn good(&mut self, residual: &[f32], lpc: &[f32]) {
        self.cons_count = 0;
        self.prev_lost = false;
        self.prev_lpc.copy_from_slice(lpc);
        self.prev_residual[..residual.len()].copy_from_slice(residual);
    }

    /// Conceals one frame: a mix of pitch repetition and noise taken from
    /// the last residual, attenuated the longer the loss lasts; the LPC
    /// filter of the last frame is kept.
    fn conceal(&mut self, residual: &mut [f32], inlag: usize) -> [f32; ORDER1] {
        let blockl = residual.len();
        let hist = &self.prev_residual[..blockl];
        self.cons_count += 1;
        let (lag, max_per) = if self.prev_lost {
            (self.prev_lag, self.per)
        } else {
            // Search around the last lag for the best pitch period.
            let inlag = inlag.clamp(23, blockl - 4);
            let mut lag = inlag - 3;
            let (mut maxcc, _, mut max_per) = comp_corr(hist, lag, 60);
            for i in inlag - 2..=inlag + 3 {
                let (cc, _, per) = comp_corr(hist, i, 60);
                if cc > maxcc {
                    maxcc = cc;
                    lag = i;
                    max_per = per;
                }
            }
            (lag, max_per)
        };
        // Attenuation by loss length. (The reference code tests the
        // thresholds in increasing order, so that only 0.9 is ever used;
        // here the longest matching loss wins, as its comments intend, so
        // that a long loss fades to silence.)
        let lost = self.cons_count * blockl;
        let use_gain = if lost > 4 * 320 {
            0.0
        } else if lost > 3 * 320 {
            0.5
        } else if lost > 2 * 320 {
            0.7
        } else if lost > 320 {
            0.9
        } else {
            1.0
        };
        let f = max_per.sqrt();
        let pitchfact = if f > 0.7 {
            1.0
        } else if f > 0.4 {
            (f - 0.4) / (0.7 - 0.4)
        } else {
            0.0
        };
        let use_lag = if lag < 80 { 2 * lag } else { lag };
        let mut randvec = [0f32; BLOCKL_MAX];
        let mut energy = 0f32;
        for i in 0..blockl {
            self.seed = (self.seed.wrapping_mul(69069).wrapping_add(1)) & 0x7fff_ffff;
            let randlag = 50 + (self.seed % 70) as usize;
            randvec[i] = if i < randlag {
                hist[blockl + i - randlag]
            } else {
                randvec[i - randlag]
            };
            let rep = if i < use_lag {
                hist[blockl + i - use_lag]
            } else {
                residual[i - use_lag]
            };
            let fade = if i < 80 {
                1.0
            } else if i < 160 {
                0.95
            } else {
                0.9
            };
            residual[i] = fade * use_gain * (pitchfact * rep + (1.0 - pitchfact) * randvec[i]);
            energy += residual[i] * residual[i];
        }
        // Too weak for pitch repetition: noise only (attenuated like the
        // pitch part, see above).
        if (energy / blockl as f32).sqrt() < 30.0 {
            for i in 0..blockl {
                residual[i] = use_gain * randvec[i];
            }
        }
        self.prev_lag = lag;
        self.per = max_per;
        self.prev_lost = true;
        self.prev_residual[..blockl].copy_from_slice(residual);
        self.prev_lpc
    }
}

/// Decoder state of one stream.
#[derive(Debug, Clone)]
pub(super) struct FrameDecoder {
    mode: &'static ModeParams,
    synt_mem: [f32; ORDER],
    lsfdeq_old: [f32; ORDER],
    last_lag: usize,
    plc: Plc,
    old_syntdenum: [f32; ORDER1 * NSUB_MAX],
    hp_mem: [f32; 4],
    enhancer: Option<Enhancer>,
    prev_enh_pl: bool,
}

impl FrameDecoder {
    /// A decoder in its initial state.
    pub(super) fn new(mode: &'static ModeParams, enhance: bool) -> Self {
        let mut old_syntdenum = [0f32; ORDER1 * NSUB_MAX];
        for i in 0..NSUB_MAX {
            old_syntdenum[i * ORDER1] = 1.0;
        }
        Self {
            mode,
            synt_mem: [0.0; ORDER],
            lsfdeq_old: LSF_MEAN,
            last_lag: 20,
            plc: Plc::new(),
            old_syntdenum,
            hp_mem: [0.0; 4],
            enhancer: enhance.then(Enhancer::new),
            prev_enh_pl: false,
        }
    }

    /// Decodes one frame (`Some` of exactly `mode.bytes` bytes) or conceals
    /// a lost one (`None`) into `out` (`mode.blockl` samples). A frame with
    /// its empty-frame bit set or an invalid start position is concealed,
    /// as RFC 3951 section 4 prescribes.
    pub(super) fn decode(&mut self, frame: Option<&[u8]>, out: &mut [i16]) {
        let mode = self.mode;
        let blockl = mode.blockl;
        let mut decresidual = [0f32; BLOCKL_MAX];
        let mut syntdenum = [0f32; ORDER1 * NSUB_MAX];
        let params = frame.and_then(|bytes| {
            let (p, empty) = unpack(bytes, mode);
            let max_start = mode.nsub - 1;
            (!empty && (1..=max_start).contains(&usize::from(p.start))).then_some(p)
        });
        let lost = params.is_none();
        if let Some(mut p) = params {
            index_conv_dec(&mut p.cb_index[0]);
            let mut lsfdeq = lsf_dequant(&p.lsf, mode.lpc_n);
            lsf_check(&mut lsfdeq, mode.lpc_n);
            interpolate_lsf(mode, &self.lsfdeq_old, &lsfdeq, &mut syntdenum);
            let last = (mode.lpc_n - 1) * ORDER;
            self.lsfdeq_old.copy_from_slice(&lsfdeq[last..last + ORDER]);
            decode_residual(mode, &p, &syntdenum, &mut decresidual);
            let l = (mode.nsub - 1) * ORDER1;
            self.plc
                .good(&decresidual[..blockl], &syntdenum[l..l + ORDER1]);
        } else {
            let lpc = self.plc.conceal(&mut decresidual[..blockl], self.last_lag);
            for i in 0..mode.nsub {
                syntdenum[i * ORDER1..(i + 1) * ORDER1].copy_from_slice(&lpc);
            }
        }

        let mut data = [0f32; BLOCKL_MAX];
        let delay = if let Some(enhancer) = &mut self.enhancer {
            // Enhancement, then synthesis with the filters of the delayed
            // sub-blocks.
            self.last_lag = enhancer.process(
                &mut data[..blockl],
                &decresidual[..blockl],
                self.prev_enh_pl,
            );
            if mode.nsub == 6 { 2 } else { 1 }
        } else {
            // No enhancer: the pitch lag for the PLC from the residual's
            // last 80 samples (the reference code reads them at the end
            // of a 240-sample buffer also in 20 ms mode; here at the end
            // of the frame).
            let res = &decresidual[..blockl];
            let t = blockl - ENH_BLOCKL;
            let mut lag = 20;
            let mut maxcc = xcorr_coef(&res[t..], &res[t - lag..t - lag + ENH_BLOCKL]);
            for ilag in 21..120.min(t + 1) {
                let cc = xcorr_coef(&res[t..], &res[t - ilag..t - ilag + ENH_BLOCKL]);
                if cc > maxcc {
                    maxcc = cc;
                    lag = ilag;
                }
            }
            self.last_lag = lag;
            data[..blockl].copy_from_slice(res);
            0
        };
        for i in 0..mode.nsub {
            let a = if i < delay {
                let j = mode.nsub - delay + i;
                &self.old_syntdenum[j * ORDER1..(j + 1) * ORDER1]
            } else {
                let j = i - delay;
                &syntdenum[j * ORDER1..(j + 1) * ORDER1]
            };
            synt_filter(&mut data[i * SUBL..(i + 1) * SUBL], a, &mut self.synt_mem);
        }
        hp_filter(&mut data[..blockl], &HPO_ZERO, &HPO_POLE, &mut self.hp_mem);
        for (o, &x) in out.iter_mut().zip(&data[..blockl]) {
            *o = x.round().clamp(-32768.0, 32767.0) as i16;
        }
        self.old_syntdenum = syntdenum;
        self.prev_enh_pl = lost;
    }
}
