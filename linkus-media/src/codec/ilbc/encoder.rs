//! The iLBC frame encoder (RFC 3951 section 3): high-pass filter, LPC
//! analysis and LSF quantisation, start state selection and scalar
//! quantisation, three-stage adaptive codebook search, bit packing.

// Index loops follow the RFC's equations sample by sample.
#![allow(clippy::needless_range_loop)]

use super::common::{
    BLOCKL_MAX, CB_MAXGAIN, CB_MEML, CB_NSTAGES, CHIRP_SYNT, CHIRP_WEIGHT, EPS, FrameParams,
    ModeParams, NSUB_MAX, ORDER, ORDER1, ST_MEM_L, STATE_LEN, SUBL, all_pole_filter, bwexpand,
    cb_construct, filter_cb_mem, get_cb_vec, hp_filter, index_conv_enc, interpolate,
    interpolate_lsf, lsf_check, lsf2a, pack, state_construct, zero_pole_filter,
};
use super::tables::{
    GAIN_SQ3, GAIN_SQ4, GAIN_SQ5, HPI_POLE, HPI_ZERO, LPC_LAG_WIN, LSF_CB, LSF_DIM, LSF_MEAN,
    LSF_SIZE, LSF_WEIGHT_20MS, LSF_WEIGHT_30MS, SEARCH_RANGE, STATE_FRGQ, STATE_SQ3,
};

/// Samples of history before the frame in the LPC analysis buffer.
const LPC_LOOKBACK: usize = 60;

/// The analysis windows (RFC 3951 section 3.2.1), computed once per
/// encoder: a 240-sample Hann window (first LSF vector of 30 ms frames)
/// and an asymmetric window (sine-squared rise over 220 samples, cosine
/// fall over 20) for the last LSF vector, both rounded to 2^-15 like the
/// RFC's tables.
#[derive(Debug, Clone)]
struct Windows {
    hann: [f32; BLOCKL_MAX],
    asym: [f32; BLOCKL_MAX],
}

impl Windows {
    fn new() -> Self {
        use core::f64::consts::PI;
        let q15 = |x: f64| ((x * 32768.0).round().min(32767.0) / 32768.0) as f32;
        let mut hann = [0f32; BLOCKL_MAX];
        let mut asym = [0f32; BLOCKL_MAX];
        for i in 0..BLOCKL_MAX {
            hann[i] = q15(0.5 * (1.0 - (2.0 * PI * (i + 1) as f64 / 241.0).cos()));
            asym[i] = if i < 220 {
                let s = (PI * (i + 1) as f64 / 440.0).sin();
                q15(s * s)
            } else {
                q15((2.0 * PI * (i - 220) as f64 / 80.0).cos())
            };
        }
        Self { hann, asym }
    }
}

/// Autocorrelation of `x` at lags 0..=ORDER.
fn autocorr(x: &[f32]) -> [f32; ORDER1] {
    let mut r = [0f32; ORDER1];
    for (lag, v) in r.iter_mut().enumerate() {
        *v = x[..x.len() - lag]
            .iter()
            .zip(&x[lag..])
            .map(|(a, b)| a * b)
            .sum();
    }
    r
}

/// Levinson-Durbin recursion: LPC coefficients `1, a1 .. a10` of `r`.
fn levinson(r: &[f32; ORDER1]) -> [f32; ORDER1] {
    let mut a = [0f32; ORDER1];
    a[0] = 1.0;
    if r[0] < EPS {
        return a;
    }
    let mut k = -r[1] / r[0];
    a[1] = k;
    let mut alpha = r[0] + r[1] * k;
    for m in 1..ORDER {
        let mut sum = r[m + 1];
        for i in 0..m {
            sum += a[i + 1] * r[m - i];
        }
        k = -sum / alpha;
        alpha += k * sum;
        let m_h = (m + 1) >> 1;
        for i in 0..m_h {
            let s = a[i + 1] + k * a[m - i];
            a[m - i] += k * a[i + 1];
            a[i + 1] = s;
        }
        a[m + 1] = k;
    }
    a
}

/// LPC coefficients to LSFs in radians (RFC 3951 section 3.2.3): the roots
/// of the symmetric and antisymmetric polynomials, found alternately on a
/// grid refined four times.
fn a2lsf(a: &[f32; ORDER1]) -> [f32; ORDER] {
    const STEPS: [f32; 4] = [0.00635, 0.003175, 0.0015875, 0.00079375];
    const TWO_PI: f32 = core::f32::consts::TAU;
    let mut p = [0f32; 5];
    let mut q = [0f32; 5];
    for i in 0..5 {
        p[i] = -(a[i + 1] + a[ORDER - i]);
        q[i] = a[ORDER - i] - a[i + 1];
    }
    let mut p_pre = [0f32; 5];
    let mut q_pre = [0f32; 5];
    p_pre[0] = -1.0 - p[0];
    q_pre[0] = 1.0 - q[0];
    for i in 1..5 {
        p_pre[i] = -p_pre[i - 1] - p[i];
        q_pre[i] = q_pre[i - 1] - q[i];
    }
    p_pre[4] /= 2.0;
    q_pre[4] /= 2.0;

    let mut freq = [0f32; ORDER];
    let mut omega = 0f32;
    let mut old_omega = 0f32;
    let mut old = [f32::MAX, f32::MAX];
    for (lsp_index, f) in freq.iter_mut().enumerate() {
        let which = lsp_index & 1;
        let pq = if which == 0 { &p_pre } else { &q_pre };
        let mut step_idx = 0;
        let mut step = STEPS[0];
        // Bounded: omega advances by at least the coarsest step until 0.5.
        let mut guard = 0;
        while step_idx < STEPS.len() && guard < 1000 {
            guard += 1;
            let hlp = (omega * TWO_PI).cos();
            let hlp1 = 2.0 * hlp + pq[0];
            let hlp2 = 2.0 * hlp * hlp1 - 1.0 + pq[1];
            let hlp3 = 2.0 * hlp * hlp2 - hlp1 + pq[2];
            let hlp4 = 2.0 * hlp * hlp3 - hlp2 + pq[3];
            let hlp5 = hlp * hlp4 - hlp3 + pq[4];
            if hlp5 * old[which] <= 0.0 || omega >= 0.5 {
                if step_idx == STEPS.len() - 1 {
                    *f = if hlp5.abs() >= old[which].abs() {
                        omega - step
                    } else {
                        omega
                    };
                    old[which] = if old[which] >= 0.0 {
                        -f32::MAX
                    } else {
                        f32::MAX
                    };
                    omega = old_omega;
                    step_idx = STEPS.len();
                } else {
                    if step_idx == 0 {
                        old_omega = omega;
                    }
                    step_idx += 1;
                    omega -= STEPS[step_idx];
                    step = STEPS[step_idx];
                }
            } else {
                old[which] = hlp5;
                omega += step;
            }
        }
    }
    for f in freq.iter_mut() {
        *f *= TWO_PI;
    }
    freq
}

/// Nearest codebook vector of each LSF split: quantised LSFs and indices.
fn split_vq(lsf: &[f32], qlsf: &mut [f32], index: &mut [u16]) {
    let mut cb_pos = 0;
    let mut x_pos = 0;
    for i in 0..3 {
        let dim = LSF_DIM[i];
        let x = &lsf[x_pos..x_pos + dim];
        let mut best = 0;
        let mut best_dist = f32::MAX;
        for j in 0..LSF_SIZE[i] {
            let c = &LSF_CB[cb_pos + j * dim..cb_pos + (j + 1) * dim];
            let dist: f32 = x.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum();
            if dist < best_dist {
                best_dist = dist;
                best = j;
            }
        }
        qlsf[x_pos..x_pos + dim]
            .copy_from_slice(&LSF_CB[cb_pos + best * dim..cb_pos + (best + 1) * dim]);
        index[i] = best as u16;
        x_pos += dim;
        cb_pos += dim * LSF_SIZE[i];
    }
}

/// Scalar quantiser with sorted levels `cb`: index of the nearest level.
fn sort_sq(x: f32, cb: &[f32]) -> usize {
    if x <= cb[0] {
        return 0;
    }
    let mut i = 0;
    while x > cb[i] && i < cb.len() - 1 {
        i += 1;
    }
    if x > (cb[i] + cb[i - 1]) / 2.0 {
        i
    } else {
        i - 1
    }
}

/// Gain quantiser of codebook stage `stage` relative to `max_in`: the
/// quantised gain and its index.
fn gain_quant(gain: f32, max_in: f32, stage: usize) -> (f32, u16) {
    let scale = max_in.max(0.1);
    let cb: &[f32] = match stage {
        0 => &GAIN_SQ5,
        1 => &GAIN_SQ4,
        _ => &GAIN_SQ3,
    };
    let mut best = 0;
    let mut best_m = f32::MAX;
    for (i, &c) in cb.iter().enumerate() {
        let d = gain - scale * c;
        if d * d < best_m {
            best_m = d * d;
            best = i;
        }
    }
    (scale * cb[best], best as u16)
}

/// Searches the three codebook stages for `target` (`ltarget` samples)
/// given the decoded residual `mem` before it, in the domain weighted by
/// `weight` (RFC 3951 section 3.6). `block` selects the search ranges
/// (0: start state extension, 1..: later sub-blocks). Returns codebook and
/// gain indices, all encodable in the frame's bit allocation.
fn cb_search(target_in: &[f32], mem: &[f32], weight: &[f32], block: usize) -> ([u16; 3], [u16; 3]) {
    let lmem = mem.len();
    let ltarget = target_in.len();
    // Weighted memory and target: 1/A(z/gamma) over memory then target.
    let mut buf = [0f32; ORDER + CB_MEML + SUBL];
    buf[ORDER..ORDER + lmem].copy_from_slice(mem);
    buf[ORDER + lmem..ORDER + lmem + ltarget].copy_from_slice(target_in);
    all_pole_filter(&mut buf, ORDER, lmem + ltarget, weight);
    let wmem = &buf[ORDER..ORDER + lmem];
    let mut target = [0f32; SUBL];
    target[..ltarget].copy_from_slice(&buf[ORDER + lmem..ORDER + lmem + ltarget]);
    let target_energy = dot(&target[..ltarget], &target[..ltarget]);
    let mut wfilt = [0f32; CB_MEML];
    filter_cb_mem(wmem, &mut wfilt[..lmem]);
    let wfilt = &wfilt[..lmem];

    let base_plain = lmem - ltarget + 1;
    let aug = ltarget == SUBL;
    let base_size = if aug {
        base_plain + SUBL / 2
    } else {
        base_plain
    };

    // Plain vectors are segments of the (filtered) weighted memory: vector
    // `i` of a section starts at `lmem - ltarget - i`. Their energies follow
    // by recursion; the interpolated ones are built in `aug_vecs`. The
    // energies are the same in every stage.
    let nplain = SEARCH_RANGE[block]
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .min(base_plain);
    let naug = if aug { base_size - base_plain } else { 0 };
    let mut inv_plain = [[0f32; 128]; 2];
    let mut aug_vecs = [[[0f32; SUBL]; SUBL / 2]; 2];
    let mut inv_aug = [[0f32; SUBL / 2]; 2];
    let inv = |e: f32| if e > 0.0 { 1.0 / (e + EPS) } else { 0.0 };
    for (section, src) in [wmem, wfilt].into_iter().enumerate() {
        let top = lmem - ltarget;
        let mut e = dot(&src[top..lmem], &src[top..lmem]);
        inv_plain[section][0] = inv(e);
        for i in 1..nplain {
            let r = top - i;
            e += src[r] * src[r] - src[r + ltarget] * src[r + ltarget];
            inv_plain[section][i] = inv(e);
        }
        for k in 0..naug {
            let v = &mut aug_vecs[section][k];
            get_cb_vec(
                wmem,
                wfilt,
                section * base_size + base_plain + k,
                ltarget,
                v,
            );
            inv_aug[section][k] = inv(dot(v, v));
        }
    }

    let mut index = [0u16; 3];
    let mut gain_index = [0u16; 3];
    let mut gains = [0f32; 3];
    let mut cvec = [0f32; SUBL];
    let mut best_vec = [0f32; SUBL];
    for stage in 0..CB_NSTAGES {
        let range = SEARCH_RANGE[block][stage].min(nplain);
        let mut best = 0usize;
        let mut best_measure = -1e7f32;
        let mut best_gain = 0f32;
        let mut consider = |index: usize, cross: f32, inv_e: f32| {
            let measure = if stage == 0 && cross <= 0.0 {
                -1e7
            } else {
                cross * cross * inv_e
            };
            let g = cross * inv_e;
            if measure > best_measure && g.abs() < CB_MAXGAIN {
                best = index;
                best_measure = measure;
                best_gain = g;
            }
        };
        for (section, src) in [wmem, wfilt].into_iter().enumerate() {
            let mut cross = [0f32; 128];
            correlate(&target[..ltarget], src, range, &mut cross);
            for i in 0..range {
                consider(section * base_size + i, cross[i], inv_plain[section][i]);
            }
            for k in 0..naug {
                let cross = dot(&target[..ltarget], &aug_vecs[section][k][..ltarget]);
                consider(
                    section * base_size + base_plain + k,
                    cross,
                    inv_aug[section][k],
                );
            }
        }
        let (gq, gi) = match stage {
            0 => gain_quant(best_gain.clamp(0.0, CB_MAXGAIN), 1.0, 0),
            s => gain_quant(best_gain, gains[s - 1].abs(), s),
        };
        index[stage] = best as u16;
        gain_index[stage] = gi;
        gains[stage] = gq;
        get_cb_vec(wmem, wfilt, best, ltarget, &mut best_vec);
        for ((c, t), &v) in cvec
            .iter_mut()
            .zip(target.iter_mut())
            .zip(&best_vec[..ltarget])
        {
            *c += gq * v;
            *t -= gq * v;
        }
    }

    // Raise the first gain while the coded energy stays below the
    // target's (energy matching, RFC 3951 section 3.6.4.2).
    let cene = dot(&cvec[..ltarget], &cvec[..ltarget]);
    let first = usize::from(gain_index[0]);
    let mut j = first;
    for (i, &g) in GAIN_SQ5.iter().enumerate().skip(first) {
        if cene * g * g < target_energy * gains[0] * gains[0] && GAIN_SQ5[j] < 2.0 * gains[0] {
            j = i;
        }
    }
    gain_index[0] = j as u16;
    (index, gain_index)
}

/// `out[i] = sum_j t[j] * w[w.len() - t.len() - i + j]` for `i` in `0..n`:
/// the correlation of `t` with the last `n` segments of `w`, computed
/// segment-parallel so that it vectorises.
fn correlate(t: &[f32], w: &[f32], n: usize, out: &mut [f32; 128]) {
    let n = n.min(out.len()).min(w.len() + 1 - t.len().min(w.len()));
    if n == 0 {
        return;
    }
    let r0 = w.len() - t.len() + 1 - n;
    let mut acc = [0f32; 128];
    for (j, &tj) in t.iter().enumerate() {
        for (a, &x) in acc[..n].iter_mut().zip(&w[r0 + j..r0 + j + n]) {
            *a += tj * x;
        }
    }
    for i in 0..n {
        out[i] = acc[n - 1 - i];
    }
}

/// Dot product, in eight lanes so that it vectorises.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s
}

/// Sub-block with the most residual energy to start from (1-based pair
/// index), RFC 3951 section 3.5.1.
fn frame_classify(mode: &ModeParams, residual: &[f32]) -> usize {
    const SSQ_WIN: [f32; NSUB_MAX - 1] = [0.8, 0.9, 1.0, 0.9, 0.8];
    const SAMP_WIN: [f32; 5] = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0, 4.0 / 6.0, 5.0 / 6.0];
    let nsub = mode.nsub;
    let mut front = [0f32; NSUB_MAX];
    let mut back = [0f32; NSUB_MAX];
    for n in 0..nsub {
        let sub = &residual[n * SUBL..(n + 1) * SUBL];
        for (l, &x) in sub.iter().enumerate() {
            let e = x * x;
            if n < nsub - 1 {
                front[n] += if l < 5 { SAMP_WIN[l] * e } else { e };
            }
            if n > 0 {
                back[n] += if l >= SUBL - 5 {
                    SAMP_WIN[SUBL - l - 1] * e
                } else {
                    e
                };
            }
        }
    }
    let mut l = if nsub == 4 { 1 } else { 0 };
    let mut best = (front[0] + back[1]) * SSQ_WIN[l];
    let mut best_n = 1;
    for n in 2..nsub {
        l += 1;
        let e = (front[n - 1] + back[n]) * SSQ_WIN[l];
        if e > best {
            best = e;
            best_n = n;
        }
    }
    best_n
}

/// Scalar quantisation of the start state (RFC 3951 section 3.5.2 and
/// 3.5.3): all-pass phase filtering, log-domain maximum quantisation,
/// then 3-bit quantisation with noise shaping. Returns the maximum index
/// and writes the sample indices.
fn state_search(
    mode: &ModeParams,
    residual: &[f32],
    synt: &[f32],
    weight: &[f32],
    idx_vec: &mut [u16],
    state_first: bool,
) -> u16 {
    let len = mode.state_short_len;
    let mut numerator = [0f32; ORDER1];
    for k in 0..ORDER {
        numerator[k] = synt[ORDER - k];
    }
    numerator[ORDER] = synt[0];
    let mut tmp = [0f32; ORDER + 2 * STATE_LEN];
    let mut fout = [0f32; ORDER + 2 * STATE_LEN];
    tmp[ORDER..ORDER + len].copy_from_slice(&residual[..len]);
    zero_pole_filter(&tmp, &numerator, &synt[..ORDER1], 2 * len, &mut fout);
    for k in 0..len {
        fout[ORDER + k] += fout[ORDER + k + len];
    }
    let mut max_val = fout[ORDER];
    for k in 1..len {
        let v = fout[ORDER + k];
        if v * v > max_val * max_val {
            max_val = v;
        }
    }
    let max_val = max_val.abs().max(10.0).log10();
    let idx_for_max = sort_sq(max_val, &STATE_FRGQ);
    let scal = 4.5 / 10f32.powf(STATE_FRGQ[idx_for_max]);
    for v in fout[ORDER..ORDER + len].iter_mut() {
        *v *= scal;
    }

    // Noise-shaped quantisation: `fout` (with zero state before it) is
    // weighted in place; `synt_out` is the weighted quantised signal.
    let mut synt_out = [0f32; ORDER + STATE_LEN];
    let mut w = &weight[..ORDER1];
    let first_len = if state_first { SUBL } else { len - SUBL };
    all_pole_filter(&mut fout, ORDER, first_len, w);
    for n in 0..len {
        if n == first_len {
            w = &weight[ORDER1..2 * ORDER1];
            all_pole_filter(&mut fout, ORDER + n, len - n, w);
        }
        synt_out[ORDER + n] = 0.0;
        all_pole_filter(&mut synt_out, ORDER + n, 1, w);
        let to_q = fout[ORDER + n] - synt_out[ORDER + n];
        let index = sort_sq(to_q, &STATE_SQ3);
        idx_vec[n] = index as u16;
        synt_out[ORDER + n] = STATE_SQ3[index];
        all_pole_filter(&mut synt_out, ORDER + n, 1, w);
    }
    idx_for_max as u16
}

/// Encoder state of one stream.
#[derive(Debug, Clone)]
pub(super) struct FrameEncoder {
    mode: &'static ModeParams,
    windows: Windows,
    ana_mem: [f32; ORDER],
    lsf_old: [f32; ORDER],
    lsfdeq_old: [f32; ORDER],
    lpc_buffer: [f32; LPC_LOOKBACK + BLOCKL_MAX],
    hp_mem: [f32; 4],
}

impl FrameEncoder {
    /// An encoder in its initial state.
    pub(super) fn new(mode: &'static ModeParams) -> Self {
        Self {
            mode,
            windows: Windows::new(),
            ana_mem: [0.0; ORDER],
            lsf_old: LSF_MEAN,
            lsfdeq_old: LSF_MEAN,
            lpc_buffer: [0.0; LPC_LOOKBACK + BLOCKL_MAX],
            hp_mem: [0.0; 4],
        }
    }

    /// LPC analysis of the new frame `data`: unquantised LSF vectors.
    fn analysis(&mut self, data: &[f32]) -> [f32; 2 * ORDER] {
        let blockl = self.mode.blockl;
        let total = LPC_LOOKBACK + BLOCKL_MAX;
        self.lpc_buffer[total - blockl..].copy_from_slice(data);
        let mut lsf = [0f32; 2 * ORDER];
        let lpc_n = self.mode.lpc_n;
        for k in 0..lpc_n {
            let mut temp = [0f32; BLOCKL_MAX];
            let (x, win) = if k < lpc_n - 1 {
                (&self.lpc_buffer[..BLOCKL_MAX], &self.windows.hann)
            } else {
                (&self.lpc_buffer[LPC_LOOKBACK..], &self.windows.asym)
            };
            for ((t, &x), &w) in temp.iter_mut().zip(x).zip(win) {
                *t = x * w;
            }
            let mut r = autocorr(&temp);
            for (v, w) in r.iter_mut().zip(LPC_LAG_WIN) {
                *v *= w;
            }
            let a = bwexpand(&levinson(&r), CHIRP_SYNT);
            lsf[k * ORDER..(k + 1) * ORDER].copy_from_slice(&a2lsf(&a));
        }
        self.lpc_buffer.copy_within(blockl.., 0);
        lsf
    }

    /// Encodes one frame of `mode.blockl` samples into `out`
    /// (`mode.bytes` bytes).
    pub(super) fn encode(&mut self, pcm: &[i16], out: &mut [u8]) {
        let mode = self.mode;
        let blockl = mode.blockl;
        let nsub = mode.nsub;
        let ssl = mode.state_short_len;
        let mut data = [0f32; BLOCKL_MAX];
        for (d, &s) in data.iter_mut().zip(pcm) {
            *d = f32::from(s);
        }
        hp_filter(&mut data[..blockl], &HPI_ZERO, &HPI_POLE, &mut self.hp_mem);

        // LPC analysis, quantisation and interpolation.
        let mut p = FrameParams::default();
        let lsf = self.analysis(&data[..blockl]);
        let mut lsfdeq = [0f32; 2 * ORDER];
        for k in 0..mode.lpc_n {
            let r = k * ORDER..(k + 1) * ORDER;
            split_vq(
                &lsf[r.clone()],
                &mut lsfdeq[r],
                &mut p.lsf[3 * k..3 * k + 3],
            );
        }
        lsf_check(&mut lsfdeq, mode.lpc_n);
        let mut syntdenum = [0f32; ORDER1 * NSUB_MAX];
        interpolate_lsf(mode, &self.lsfdeq_old, &lsfdeq, &mut syntdenum);
        let mut weightdenum = [0f32; ORDER1 * NSUB_MAX];
        {
            let first = &lsf[..ORDER];
            for i in 0..nsub {
                let l = if mode.lpc_n == 2 {
                    if i == 0 {
                        interpolate(&self.lsf_old, first, LSF_WEIGHT_30MS[0])
                    } else {
                        interpolate(first, &lsf[ORDER..], LSF_WEIGHT_30MS[i])
                    }
                } else {
                    interpolate(&self.lsf_old, first, LSF_WEIGHT_20MS[i])
                };
                weightdenum[i * ORDER1..(i + 1) * ORDER1]
                    .copy_from_slice(&bwexpand(&lsf2a(&l), CHIRP_WEIGHT));
            }
        }
        let last = (mode.lpc_n - 1) * ORDER;
        self.lsf_old.copy_from_slice(&lsf[last..last + ORDER]);
        self.lsfdeq_old.copy_from_slice(&lsfdeq[last..last + ORDER]);

        // LPC residual.
        let mut residual = [0f32; BLOCKL_MAX];
        for n in 0..nsub {
            let a = &syntdenum[n * ORDER1..(n + 1) * ORDER1];
            for i in 0..SUBL {
                let x = n * SUBL + i;
                let mut s = a[0] * data[x];
                for k in 1..ORDER1 {
                    s += a[k]
                        * if x >= k {
                            data[x - k]
                        } else {
                            self.ana_mem[ORDER + x - k]
                        };
                }
                residual[x] = s;
            }
        }
        self.ana_mem.copy_from_slice(&data[blockl - ORDER..blockl]);

        // Start state: location, then scalar quantisation.
        let start = frame_classify(mode, &residual);
        let diff = STATE_LEN - ssl;
        let energy =
            |from: usize| -> f32 { residual[from..from + ssl].iter().map(|x| x * x).sum() };
        let state_first = energy((start - 1) * SUBL) > energy((start - 1) * SUBL + diff);
        let start_pos = if state_first {
            (start - 1) * SUBL
        } else {
            (start - 1) * SUBL + diff
        };
        p.start = start as u16;
        p.state_first = u16::from(state_first);
        let s = (start - 1) * ORDER1;
        p.idx_for_max = state_search(
            mode,
            &residual[start_pos..start_pos + ssl],
            &syntdenum[s..s + ORDER1],
            &weightdenum[s..s + 2 * ORDER1],
            &mut p.idx_vec,
            state_first,
        );
        let mut decresidual = [0f32; BLOCKL_MAX];
        let mut st = [0f32; STATE_LEN];
        state_construct(
            p.idx_for_max,
            &p.idx_vec[..ssl],
            &syntdenum[s..s + ORDER1],
            &mut st,
            ssl,
        );
        decresidual[start_pos..start_pos + ssl].copy_from_slice(&st[..ssl]);

        // The rest of the start sub-blocks, from the adaptive codebook.
        let mut mem = [0f32; CB_MEML];
        if state_first {
            let m = &mut mem[..ST_MEM_L];
            m[ST_MEM_L - ssl..].copy_from_slice(&decresidual[start_pos..start_pos + ssl]);
            let t = start_pos + ssl;
            let w = start * ORDER1;
            let (idx, gain) = cb_search(&residual[t..t + diff], m, &weightdenum[w..w + ORDER1], 0);
            p.extra_cb_index = idx;
            p.extra_gain_index = gain;
            let mut v = [0f32; SUBL];
            cb_construct(&mut v, &idx, &gain, m, diff);
            decresidual[t..t + diff].copy_from_slice(&v[..diff]);
        } else {
            let mut rev = [0f32; SUBL];
            for k in 0..diff {
                rev[k] = residual[(start + 1) * SUBL - 1 - (k + ssl)];
            }
            let m = &mut mem[..ST_MEM_L];
            for k in 0..ssl {
                m[ST_MEM_L - 1 - k] = decresidual[start_pos + k];
            }
            let w = (start - 1) * ORDER1;
            let (idx, gain) = cb_search(&rev[..diff], m, &weightdenum[w..w + ORDER1], 0);
            p.extra_cb_index = idx;
            p.extra_gain_index = gain;
            let mut v = [0f32; SUBL];
            cb_construct(&mut v, &idx, &gain, m, diff);
            for k in 0..diff {
                decresidual[start_pos - 1 - k] = v[k];
            }
        }

        let mut subcount = 0;
        // Sub-blocks after the start state, forwards.
        if nsub > start + 1 {
            mem.fill(0.0);
            mem[CB_MEML - STATE_LEN..]
                .copy_from_slice(&decresidual[(start - 1) * SUBL..(start - 1) * SUBL + STATE_LEN]);
            for sub in 0..nsub - start - 1 {
                let pos = (start + 1 + sub) * SUBL;
                let w = (start + 1 + sub) * ORDER1;
                let (idx, gain) = cb_search(
                    &residual[pos..pos + SUBL],
                    &mem,
                    &weightdenum[w..w + ORDER1],
                    subcount + 1,
                );
                p.cb_index[subcount] = idx;
                p.gain_index[subcount] = gain;
                let mut v = [0f32; SUBL];
                cb_construct(&mut v, &idx, &gain, &mem, SUBL);
                decresidual[pos..pos + SUBL].copy_from_slice(&v);
                mem.copy_within(SUBL.., 0);
                mem[CB_MEML - SUBL..].copy_from_slice(&v);
                subcount += 1;
            }
        }
        // Sub-blocks before it, backwards in time.
        if start > 1 {
            let nback = start - 1;
            let got = (SUBL * (nsub + 1 - start)).min(CB_MEML);
            mem.fill(0.0);
            for k in 0..got {
                mem[CB_MEML - 1 - k] = decresidual[(start - 1) * SUBL + k];
            }
            for sub in 0..nback {
                let mut rev = [0f32; SUBL];
                for k in 0..SUBL {
                    rev[k] = residual[(start - 1) * SUBL - 1 - sub * SUBL - k];
                }
                let w = (start - 2 - sub) * ORDER1;
                let (idx, gain) = cb_search(&rev, &mem, &weightdenum[w..w + ORDER1], subcount + 1);
                p.cb_index[subcount] = idx;
                p.gain_index[subcount] = gain;
                let mut v = [0f32; SUBL];
                cb_construct(&mut v, &idx, &gain, &mem, SUBL);
                mem.copy_within(SUBL.., 0);
                mem[CB_MEML - SUBL..].copy_from_slice(&v);
                subcount += 1;
            }
        }

        index_conv_enc(&mut p.cb_index[0]);
        pack(&p, mode, out);
    }
}
