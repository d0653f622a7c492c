//! The decoder's pitch enhancer (RFC 3951 section 4.6): each 80-sample
//! block of the decoded residual is smoothed towards a weighted mean of
//! pitch-synchronous segments from the surrounding periods, within an
//! energy constraint. Delays the output by 40 (20 ms) or 80 (30 ms)
//! samples.

// Index loops follow the RFC's equations sample by sample.
#![allow(clippy::needless_range_loop)]

use super::tables::{ENH_PLOCS, LP_FILT, POLYPHASER};

/// Enhancer block length.
pub(super) const ENH_BLOCKL: usize = 80;
const ENH_BLOCKL_HALF: usize = ENH_BLOCKL / 2;
/// 2 * ENH_HL + 1 segments are combined.
const ENH_HL: usize = 3;
/// Largest difference between estimated and refined pitch period.
const ENH_SLOP: usize = 2;
const ENH_OVERHANG: f32 = 2.0;
/// Up-sampling factor of the segment refinement.
const ENH_UPS0: usize = 4;
/// Half length of the up-sampling filters.
const ENH_FL0: usize = 3;
const ENH_VECTL: usize = ENH_BLOCKL + 2 * ENH_FL0;
const ENH_CORRDIM: usize = 2 * ENH_SLOP + 1;
/// Blocks in the enhancer buffer.
pub(super) const ENH_NBLOCKS_TOT: usize = 8;
/// Length of the enhancer buffer.
pub(super) const ENH_BUFL: usize = ENH_NBLOCKS_TOT * ENH_BLOCKL;
/// Largest fraction of energy the smoothing may change.
const ENH_ALPHA0: f32 = 0.05;

/// Index of the element of `array` closest to `value`.
fn nearest_neighbor(array: &[f32], value: f32) -> usize {
    let mut best = 0;
    let mut best_crit = (array[0] - value) * (array[0] - value);
    for (i, &a) in array.iter().enumerate().skip(1) {
        let c = (a - value) * (a - value);
        if c < best_crit {
            best_crit = c;
            best = i;
        }
    }
    best
}

/// `corr[i] = sum_j seq1[i + j] * seq2[j]` for `i` in `0..=seq1.len() -
/// seq2.len()`.
fn mycorr1(corr: &mut [f32], seq1: &[f32], seq2: &[f32]) {
    let n = seq1.len() + 1 - seq2.len();
    for (i, c) in corr.iter_mut().enumerate().take(n) {
        *c = seq1[i..i + seq2.len()]
            .iter()
            .zip(seq2)
            .map(|(a, b)| a * b)
            .sum();
    }
}

/// Up-samples `seq` four times with the polyphase filters, assuming zeros
/// outside (`seq` must have room for `dim` samples and zeros after them up
/// to the filter length).
fn upsample(out: &mut [f32; ENH_CORRDIM * ENH_UPS0 + 8], seq: &[f32; 8], dim: usize) {
    let mut hfl = ENH_FL0;
    let mut filterlength = 2 * hfl + 1;
    let mut offset = 0;
    if filterlength > dim {
        let hfl2 = dim / 2;
        offset = hfl - hfl2;
        hfl = hfl2;
        filterlength = 2 * hfl + 1;
    }
    let tap = |j: usize, k: usize| POLYPHASER[j * (2 * ENH_FL0 + 1) + offset + k];
    let mut pu = 0;
    // Filter overhangs the left side.
    for i in hfl..filterlength {
        for j in 0..ENH_UPS0 {
            let mut s = 0f32;
            for k in 0..=i {
                s += seq[i - k] * tap(j, k);
            }
            out[pu] = s;
            pu += 1;
        }
    }
    for i in filterlength..dim {
        for j in 0..ENH_UPS0 {
            let mut s = 0f32;
            for k in 0..filterlength {
                s += seq[i - k] * tap(j, k);
            }
            out[pu] = s;
            pu += 1;
        }
    }
    // Filter overhangs the right side.
    for q in 1..=hfl {
        for j in 0..ENH_UPS0 {
            let mut s = 0f32;
            for k in 0..filterlength - q {
                s += seq[dim - 1 - k] * tap(j, q + k);
            }
            out[pu] = s;
            pu += 1;
        }
    }
}

/// Finds the segment near `est_seg_pos` that correlates best with the
/// block at `center`, at quarter-sample resolution; writes it to `seg` and
/// returns its refined start.
fn refiner(seg: &mut [f32], idata: &[f32; ENH_BUFL], center: usize, est_seg_pos: f32) -> f32 {
    let idatal = ENH_BUFL as i64;
    let est_rounded = (est_seg_pos - 0.5) as i64;
    let start = (est_rounded - ENH_SLOP as i64).max(0);
    let mut end = est_rounded + ENH_SLOP as i64;
    if end + ENH_BLOCKL as i64 >= idatal {
        end = idatal - ENH_BLOCKL as i64 - 1;
    }
    let corrdim = (end - start + 1).clamp(1, ENH_CORRDIM as i64) as usize;
    let start = start as usize;
    let mut corr = [0f32; 8];
    let target = &idata[center..center + ENH_BLOCKL];
    let span = (corrdim + ENH_BLOCKL - 1).min(ENH_BUFL - start);
    if span >= ENH_BLOCKL {
        mycorr1(&mut corr[..corrdim], &idata[start..start + span], target);
    }
    let mut ups = [0f32; ENH_CORRDIM * ENH_UPS0 + 8];
    upsample(&mut ups, &corr, corrdim);
    let mut tloc = 0;
    let mut maxv = ups[0];
    for (i, &v) in ups.iter().enumerate().take(ENH_UPS0 * corrdim).skip(1) {
        if v > maxv {
            tloc = i;
            maxv = v;
        }
    }
    let upd = start as f32 + tloc as f32 / ENH_UPS0 as f32 + 1.0;
    let tloc2 = tloc.div_ceil(ENH_UPS0);
    let st = start as i64 + tloc2 as i64 - ENH_FL0 as i64;
    let mut vect = [0f32; ENH_VECTL];
    for (i, v) in vect.iter_mut().enumerate() {
        let p = st + i as i64;
        if (0..idatal).contains(&p) {
            *v = idata[p as usize];
        }
    }
    let fraction = tloc2 * ENH_UPS0 - tloc;
    let taps = &POLYPHASER[(2 * ENH_FL0 + 1) * fraction..(2 * ENH_FL0 + 1) * (fraction + 1)];
    mycorr1(&mut seg[..ENH_BLOCKL], &vect, taps);
    upd
}

/// The smoothed block from the `2 * ENH_HL + 1` pitch-synchronous segments.
fn smath(odata: &mut [f32], sseq: &[[f32; ENH_BLOCKL]; 2 * ENH_HL + 1]) {
    use core::f32::consts::PI;
    let hl = ENH_HL;
    let mut wt = [0f32; 2 * ENH_HL + 1];
    for i in 1..=2 * hl + 1 {
        wt[i - 1] = 0.5 * (1.0 - (2.0 * PI * i as f32 / (2 * hl + 2) as f32).cos());
    }
    wt[hl] = 0.0;
    let mut surround = [0f32; ENH_BLOCKL];
    for (k, seq) in sseq.iter().enumerate() {
        if k == hl {
            continue;
        }
        for (s, &x) in surround.iter_mut().zip(seq) {
            *s += x * wt[k];
        }
    }
    let cur = &sseq[hl];
    let (mut w00, mut w10, mut w11) = (0f32, 0f32, 0f32);
    for i in 0..ENH_BLOCKL {
        w00 += cur[i] * cur[i];
        w11 += surround[i] * surround[i];
        w10 += surround[i] * cur[i];
    }
    if w11.abs() < 1.0 {
        w11 = 1.0;
    }
    let c = (w00 / w11).sqrt();
    let mut errs = 0f32;
    for i in 0..ENH_BLOCKL {
        odata[i] = c * surround[i];
        let err = cur[i] - odata[i];
        errs += err * err;
    }
    if errs > ENH_ALPHA0 * w00 {
        if w00 < 1.0 {
            w00 = 1.0;
        }
        let denom = (w11 * w00 - w10 * w10) / (w00 * w00);
        let (a, b) = if denom > 0.0001 {
            let a = ((ENH_ALPHA0 - ENH_ALPHA0 * ENH_ALPHA0 / 4.0) / denom).sqrt();
            (a, 1.0 - ENH_ALPHA0 / 2.0 - a * w10 / w00)
        } else {
            (0.0, 1.0)
        };
        for i in 0..ENH_BLOCKL {
            odata[i] = a * surround[i] + b * cur[i];
        }
    }
}

/// Enhances the block at `center` of `idata` into `odata`.
fn enhance_block(
    odata: &mut [f32],
    idata: &[f32; ENH_BUFL],
    center: usize,
    period: &[f32; ENH_NBLOCKS_TOT],
) {
    let hl = ENH_HL;
    let mut sseq = [[0f32; ENH_BLOCKL]; 2 * ENH_HL + 1];
    let mut lag_block = [0usize; 2 * ENH_HL + 1];
    let mut block_start = [0f32; 2 * ENH_HL + 1];
    let center_end = center + ENH_BLOCKL - 1;
    lag_block[hl] = nearest_neighbor(&ENH_PLOCS, 0.5 * (center + center_end) as f32);
    block_start[hl] = center as f32;
    sseq[hl].copy_from_slice(&idata[center..center + ENH_BLOCKL]);
    // Past.
    for q in (0..hl).rev() {
        let per = period[lag_block[q + 1]];
        block_start[q] = block_start[q + 1] - per;
        lag_block[q] = nearest_neighbor(&ENH_PLOCS, block_start[q] + ENH_BLOCKL_HALF as f32 - per);
        if block_start[q] - ENH_OVERHANG >= 0.0 {
            block_start[q] = refiner(&mut sseq[q], idata, center, block_start[q]);
        } else {
            sseq[q] = [0.0; ENH_BLOCKL];
        }
    }
    // Future.
    let mut plocs2 = [0f32; ENH_NBLOCKS_TOT];
    for i in 0..ENH_NBLOCKS_TOT {
        plocs2[i] = ENH_PLOCS[i] - period[i];
    }
    for q in hl + 1..=2 * hl {
        lag_block[q] = nearest_neighbor(&plocs2, block_start[q - 1] + ENH_BLOCKL_HALF as f32);
        block_start[q] = block_start[q - 1] + period[lag_block[q]];
        if block_start[q] + ENH_BLOCKL as f32 + ENH_OVERHANG < ENH_BUFL as f32 {
            block_start[q] = refiner(&mut sseq[q], idata, center, block_start[q]);
        } else {
            sseq[q] = [0.0; ENH_BLOCKL];
        }
    }
    smath(odata, &sseq);
}

/// `(sum t*r)^2 / sum r*r` if the correlation is positive, else 0.
pub(super) fn xcorr_coef(target: &[f32], regressor: &[f32]) -> f32 {
    let mut c = 0f32;
    let mut e = 0f32;
    for (&t, &r) in target.iter().zip(regressor) {
        c += t * r;
        e += r * r;
    }
    if c > 0.0 { c * c / e } else { 0.0 }
}

/// Low-pass filters and decimates `x[base..base + len]` by two (samples
/// before `base` are the filter state), as the enhancer's pitch estimator
/// does; returns the number of outputs.
fn down_sample(x: &[f32], base: usize, len: usize, out: &mut [f32]) -> usize {
    let mut n = 0;
    let mut i = 3;
    while i < len {
        let mut o = 0f32;
        for (j, &c) in LP_FILT.iter().enumerate() {
            o += c * x[base + i - j];
        }
        out[n] = o;
        n += 1;
        i += 2;
    }
    // One more output, with zeros for the future input.
    let i = len + 2;
    let mut o = 0f32;
    for j in 0..LP_FILT.len() - (i - len) {
        o += LP_FILT[i - len + j] * x[base + len - 1 - j];
    }
    out[n] = o;
    n + 1
}

/// Enhancer state of a decoder.
#[derive(Debug, Clone)]
pub(super) struct Enhancer {
    /// The last 640 samples of decoded residual.
    buf: [f32; ENH_BUFL],
    /// Pitch period estimate of each block of `buf`.
    period: [f32; ENH_NBLOCKS_TOT],
}

impl Enhancer {
    /// A new enhancer (silent history, periods of 40).
    pub(super) fn new() -> Self {
        Self {
            buf: [0.0; ENH_BUFL],
            period: [40.0; ENH_NBLOCKS_TOT],
        }
    }

    /// Takes the frame's residual `input` (160 or 240 samples), writes the
    /// enhanced (delayed) residual to `out`, and returns the pitch lag for
    /// the PLC. `prev_lost` tells that the previous frame was concealed,
    /// which is then cross-faded into this one.
    pub(super) fn process(&mut self, out: &mut [f32], input: &[f32], prev_lost: bool) -> usize {
        let blockl = input.len();
        let thirty = blockl == 240;
        self.buf.copy_within(blockl.., 0);
        self.buf[ENH_BUFL - blockl..].copy_from_slice(input);
        let plc_blockl = if thirty { ENH_BLOCKL } else { 40 };
        let ioffset = usize::from(!thirty);
        let shift = 3 - ioffset;
        self.period.copy_within(shift.., 0);

        // Pitch estimate on the 2:1 down-sampled signal.
        let in_len = 3 * ENH_BLOCKL + 120;
        let mut ds = [0f32; (3 * ENH_BLOCKL + 120) / 2];
        let base = (5 + ioffset) * ENH_BLOCKL - 120;
        down_sample(&self.buf, base, in_len - ioffset * ENH_BLOCKL, &mut ds);
        let mut lag = 10;
        for iblock in 0..3 - ioffset {
            let t = 60 + iblock * ENH_BLOCKL_HALF;
            let target = &ds[t..t + ENH_BLOCKL_HALF];
            lag = 10;
            let mut maxcc = xcorr_coef(target, &ds[t - lag..t - lag + ENH_BLOCKL_HALF]);
            for ilag in 11..60 {
                let cc = xcorr_coef(target, &ds[t - ilag..t - ilag + ENH_BLOCKL_HALF]);
                if cc > maxcc {
                    maxcc = cc;
                    lag = ilag;
                }
            }
            self.period[iblock + 5 + ioffset] = (lag * 2) as f32;
        }

        if prev_lost {
            // Re-estimate the lag at the start of this frame and blend a
            // backward prediction from it into the concealed samples.
            let inlag = self.period[5 + ioffset] as usize;
            lag = inlag - 1;
            let mut maxcc = xcorr_coef(&input[..plc_blockl], &input[lag..lag + plc_blockl]);
            for ilag in inlag..=inlag + 1 {
                let cc = xcorr_coef(&input[..plc_blockl], &input[ilag..ilag + plc_blockl]);
                if cc > maxcc {
                    maxcc = cc;
                    lag = ilag;
                }
            }
            self.period[5 + ioffset - 1] = lag as f32;
            let mut pred = [0f32; ENH_BLOCKL];
            let first = lag.min(plc_blockl);
            for t in 0..first {
                pred[plc_blockl - 1 - t] = input[lag - 1 - t];
            }
            let last = ENH_BUFL - 1 - blockl;
            for t in 0..plc_blockl.saturating_sub(lag) {
                pred[plc_blockl - 1 - first - t] = self.buf[last - t];
            }
            let mut e_old = 0f32;
            let mut e_pred = 0f32;
            for (i, &p) in pred.iter().enumerate().take(plc_blockl) {
                e_old += self.buf[last - i] * self.buf[last - i];
                e_pred += p * p;
            }
            let e_pred = (e_pred / plc_blockl as f32).sqrt();
            let e_old = (e_old / plc_blockl as f32).sqrt();
            if e_pred > 2.0 * e_old && e_pred > 0.0 {
                let r = 2.0 * e_old / e_pred;
                for p in pred.iter_mut().take(plc_blockl - 10) {
                    *p *= r;
                }
                for (i, p) in pred
                    .iter_mut()
                    .enumerate()
                    .take(plc_blockl)
                    .skip(plc_blockl - 10)
                {
                    *p *= (i as f32 - plc_blockl as f32 + 10.0) * (1.0 - r) / 10.0 + r;
                }
            }
            for i in 0..plc_blockl {
                let w = (i + 1) as f32 / (plc_blockl + 1) as f32;
                let b = &mut self.buf[last - i];
                *b = *b * w + (1.0 - w) * pred[plc_blockl - 1 - i];
            }
        }

        if thirty {
            for iblock in 0..3 {
                enhance_block(
                    &mut out[iblock * ENH_BLOCKL..],
                    &self.buf,
                    (4 + iblock) * ENH_BLOCKL,
                    &self.period,
                );
            }
        } else {
            for iblock in 0..2 {
                enhance_block(
                    &mut out[iblock * ENH_BLOCKL..],
                    &self.buf,
                    (5 + iblock) * ENH_BLOCKL + 40,
                    &self.period,
                );
            }
        }
        lag * 2
    }
}
