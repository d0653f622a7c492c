//! Parts of iLBC that encoder and decoder share: frame layout, bit packing,
//! LSF dequantisation and interpolation, codebook construction and the
//! start state decoder (RFC 3951 sections 3.2 to 3.8 and 4.1 to 4.4).

// Index loops follow the RFC's equations sample by sample.
#![allow(clippy::needless_range_loop)]

use super::IlbcMode;
use super::tables::{
    CB_FILTERS, GAIN_SQ3, GAIN_SQ4, GAIN_SQ5, LSF_CB, LSF_DIM, LSF_SIZE, LSF_WEIGHT_20MS,
    LSF_WEIGHT_30MS, STATE_FRGQ, STATE_SQ3, ULP_20MS, ULP_30MS, Ulp, UlpTable,
};

/// LPC filter order.
pub(super) const ORDER: usize = 10;
/// Length of an LPC coefficient vector `1, a1 .. a10`.
pub(super) const ORDER1: usize = ORDER + 1;
/// Sub-block length.
pub(super) const SUBL: usize = 40;
/// Length of the two sub-blocks that hold the start state.
pub(super) const STATE_LEN: usize = 80;
/// Longest frame (30 ms).
pub(super) const BLOCKL_MAX: usize = 240;
/// Most sub-blocks of a frame.
pub(super) const NSUB_MAX: usize = 6;
/// Codebook memory of the sub-blocks after the start state.
pub(super) const CB_MEML: usize = 147;
/// Codebook memory of the start state extension.
pub(super) const ST_MEM_L: usize = 85;
/// Codebook stages.
pub(super) const CB_NSTAGES: usize = 3;
/// Largest codebook gain the encoder searches with.
pub(super) const CB_MAXGAIN: f32 = 1.3;
/// Bandwidth expansion of the perceptual weighting filter.
pub(super) const CHIRP_WEIGHT: f32 = 0.4222;
/// Bandwidth expansion of the LPC analysis.
pub(super) const CHIRP_SYNT: f32 = 0.9025;
/// Floor of energies the codebook search divides by.
pub(super) const EPS: f32 = 2.220_446e-16;

/// Constants of one frame mode.
#[derive(Debug)]
pub(super) struct ModeParams {
    /// Samples per frame.
    pub(super) blockl: usize,
    /// Sub-blocks per frame.
    pub(super) nsub: usize,
    /// Sub-blocks coded with the adaptive codebook (besides the state).
    pub(super) nasub: usize,
    /// LSF vectors per frame.
    pub(super) lpc_n: usize,
    /// Samples of the scalar-quantised start state.
    pub(super) state_short_len: usize,
    /// Bytes per frame.
    pub(super) bytes: usize,
    /// Bit allocation.
    pub(super) ulp: &'static UlpTable,
}

/// 20 ms mode: 160 samples, 38 bytes.
pub(super) const MODE_20: ModeParams = ModeParams {
    blockl: 160,
    nsub: 4,
    nasub: 2,
    lpc_n: 1,
    state_short_len: 57,
    bytes: 38,
    ulp: &ULP_20MS,
};

/// 30 ms mode: 240 samples, 50 bytes.
pub(super) const MODE_30: ModeParams = ModeParams {
    blockl: 240,
    nsub: 6,
    nasub: 4,
    lpc_n: 2,
    state_short_len: 58,
    bytes: 50,
    ulp: &ULP_30MS,
};

impl IlbcMode {
    /// The mode's constants.
    pub(super) fn params(self) -> &'static ModeParams {
        match self {
            IlbcMode::Ms20 => &MODE_20,
            IlbcMode::Ms30 => &MODE_30,
        }
    }
}

/// The quantisation indices of one frame, in the layout of RFC 3951
/// section 3.8 (codebook indices as transmitted, before
/// [`index_conv_dec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FrameParams {
    /// LSF split indices (3 per LSF vector).
    pub(super) lsf: [u16; 6],
    /// Start sub-block, 1-based (1..=3 for 20 ms, 1..=5 for 30 ms).
    pub(super) start: u16,
    /// 1 if the scalar-quantised part of the start state comes first.
    pub(super) state_first: u16,
    /// Index of the start state's maximum amplitude.
    pub(super) idx_for_max: u16,
    /// Start state samples (3-bit indices).
    pub(super) idx_vec: [u16; 58],
    /// Codebook indices of the start state extension.
    pub(super) extra_cb_index: [u16; 3],
    /// Gain indices of the start state extension.
    pub(super) extra_gain_index: [u16; 3],
    /// Codebook indices per sub-block and stage.
    pub(super) cb_index: [[u16; 3]; 4],
    /// Gain indices per sub-block and stage.
    pub(super) gain_index: [[u16; 3]; 4],
}

impl Default for FrameParams {
    fn default() -> Self {
        Self {
            lsf: [0; 6],
            start: 0,
            state_first: 0,
            idx_for_max: 0,
            idx_vec: [0; 58],
            extra_cb_index: [0; 3],
            extra_gain_index: [0; 3],
            cb_index: [[0; 3]; 4],
            gain_index: [[0; 3]; 4],
        }
    }
}

/// Visits every field of `p` in transmission order for ULP class `class`,
/// with its bit allocation.
fn for_each_field(
    p: &mut FrameParams,
    mode: &ModeParams,
    class: usize,
    f: &mut impl FnMut(&mut u16, &Ulp, usize),
) {
    let u = mode.ulp;
    for k in 0..3 * mode.lpc_n {
        f(&mut p.lsf[k], &u.lsf[k], class);
    }
    f(&mut p.start, &u.start, class);
    f(&mut p.state_first, &u.state_first, class);
    f(&mut p.idx_for_max, &u.scale, class);
    for v in p.idx_vec.iter_mut().take(mode.state_short_len) {
        f(v, &u.state, class);
    }
    for k in 0..CB_NSTAGES {
        f(&mut p.extra_cb_index[k], &u.extra_cb_index[k], class);
    }
    for k in 0..CB_NSTAGES {
        f(&mut p.extra_gain_index[k], &u.extra_cb_gain[k], class);
    }
    for i in 0..mode.nasub {
        for k in 0..CB_NSTAGES {
            f(&mut p.cb_index[i][k], &u.cb_index[i][k], class);
        }
    }
    for i in 0..mode.nasub {
        for k in 0..CB_NSTAGES {
            f(&mut p.gain_index[i][k], &u.cb_gain[i][k], class);
        }
    }
}

/// Writes bits MSB first.
struct BitWriter<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl BitWriter<'_> {
    fn put(&mut self, value: u32, bits: u32) {
        for b in (0..bits).rev() {
            let bit = ((value >> b) & 1) as u8;
            if let Some(byte) = self.out.get_mut(self.pos / 8) {
                *byte |= bit << (7 - self.pos % 8);
            }
            self.pos += 1;
        }
    }
}

/// Reads bits MSB first; reads past the end give zeros.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn get(&mut self, bits: u32) -> u32 {
        let mut v = 0u32;
        for _ in 0..bits {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        v
    }
}

/// Packs `p` into `out` (exactly `mode.bytes` long), classes 1 to 3 in
/// order, the most significant bits of each value in the lowest class, and
/// a final 0 bit (not an empty frame).
pub(super) fn pack(p: &FrameParams, mode: &ModeParams, out: &mut [u8]) {
    out.fill(0);
    let mut w = BitWriter { out, pos: 0 };
    let mut p = p.clone();
    for class in 0..3 {
        for_each_field(&mut p, mode, class, &mut |v, ulp, c| {
            let below: u8 = ulp[c + 1..].iter().sum();
            let bits = ulp[c];
            if bits > 0 {
                let part = (u32::from(*v) >> below) & ((1u32 << bits) - 1);
                w.put(part, u32::from(bits));
            }
        });
    }
    w.put(0, 1);
}

/// Unpacks one frame of `mode.bytes` bytes. Returns the parameters and the
/// empty-frame bit (the last bit of the frame).
pub(super) fn unpack(data: &[u8], mode: &ModeParams) -> (FrameParams, bool) {
    let mut p = FrameParams::default();
    let mut r = BitReader { data, pos: 0 };
    for class in 0..3 {
        for_each_field(&mut p, mode, class, &mut |v, ulp, c| {
            let bits = ulp[c];
            if bits > 0 {
                *v = ((u32::from(*v) << bits) | r.get(u32::from(bits))) as u16;
            }
        });
    }
    let empty = r.get(1) == 1;
    (p, empty)
}

/// Maps the transmitted 7-bit indices of stages 2 and 3 of the first
/// sub-block back to the codebook (RFC 3951 section 3.6.4).
pub(super) fn index_conv_dec(index: &mut [u16; 3]) {
    for v in index.iter_mut().skip(1) {
        if (44..108).contains(v) {
            *v += 64;
        } else if (108..128).contains(v) {
            *v += 128;
        }
    }
}

/// The inverse of [`index_conv_dec`], for the encoder.
pub(super) fn index_conv_enc(index: &mut [u16; 3]) {
    for v in index.iter_mut().skip(1) {
        if (108..172).contains(v) {
            *v -= 64;
        } else if *v >= 236 {
            *v -= 128;
        }
    }
}

/// Dequantised LSF vectors (one or two) of the split indices.
pub(super) fn lsf_dequant(index: &[u16; 6], lpc_n: usize) -> [f32; 2 * ORDER] {
    let mut lsf = [0f32; 2 * ORDER];
    for n in 0..lpc_n {
        let mut pos = 0;
        let mut cb_pos = 0;
        for i in 0..3 {
            let dim = LSF_DIM[i];
            let idx = usize::from(index[3 * n + i]).min(LSF_SIZE[i] - 1);
            let src = cb_pos + idx * dim;
            lsf[n * ORDER + pos..n * ORDER + pos + dim].copy_from_slice(&LSF_CB[src..src + dim]);
            pos += dim;
            cb_pos += LSF_SIZE[i] * dim;
        }
    }
    lsf
}

/// Enforces a minimum distance between neighbouring LSFs and keeps them in
/// (0, pi) (RFC 3951 section 3.2.5), for `n` vectors.
pub(super) fn lsf_check(lsf: &mut [f32], n: usize) {
    const EPS_SEP: f32 = 0.039;
    const EPS2: f32 = 0.0195;
    // The RFC's bound (about 4000 Hz), not pi.
    #[allow(clippy::approx_constant)]
    const MAX_LSF: f32 = 3.14;
    const MIN_LSF: f32 = 0.01;
    for _ in 0..2 {
        for m in 0..n {
            for k in 0..ORDER - 1 {
                let pos = m * ORDER + k;
                if lsf[pos + 1] - lsf[pos] < EPS_SEP {
                    if lsf[pos + 1] < lsf[pos] {
                        lsf[pos + 1] = lsf[pos] + EPS2;
                        lsf[pos] = lsf[pos + 1] - EPS2;
                    } else {
                        lsf[pos] -= EPS2;
                        lsf[pos + 1] += EPS2;
                    }
                }
                lsf[pos] = lsf[pos].clamp(MIN_LSF, MAX_LSF);
            }
        }
    }
}

/// `coef * a + (1 - coef) * b`, element by element.
pub(super) fn interpolate(a: &[f32], b: &[f32], coef: f32) -> [f32; ORDER] {
    let mut out = [0f32; ORDER];
    let inv = 1.0 - coef;
    for i in 0..ORDER {
        out[i] = coef * a[i] + inv * b[i];
    }
    out
}

/// Bandwidth expansion: `out[i] = coef^i * a[i]`.
pub(super) fn bwexpand(a: &[f32], coef: f32) -> [f32; ORDER1] {
    let mut out = [0f32; ORDER1];
    out[0] = a[0];
    let mut chirp = coef;
    for i in 1..ORDER1 {
        out[i] = chirp * a[i];
        chirp *= coef;
    }
    out
}

/// LSFs (radians) to LPC coefficients `1, a1 .. a10` (RFC 3951 section
/// 3.2.6).
pub(super) fn lsf2a(lsf: &[f32; ORDER]) -> [f32; ORDER1] {
    use core::f32::consts::PI;
    let mut freq = [0f32; ORDER];
    for i in 0..ORDER {
        freq[i] = lsf[i] * (0.5 / PI);
    }
    if freq[0] <= 0.0 || freq[ORDER - 1] >= 0.5 {
        if freq[0] <= 0.0 {
            freq[0] = 0.022;
        }
        if freq[ORDER - 1] >= 0.5 {
            freq[ORDER - 1] = 0.499;
        }
        let step = (freq[ORDER - 1] - freq[0]) / (ORDER - 1) as f32;
        for i in 1..ORDER {
            freq[i] = freq[i - 1] + step;
        }
    }
    let half = ORDER / 2;
    let mut p = [0f32; 5];
    let mut q = [0f32; 5];
    for i in 0..half {
        p[i] = (2.0 * PI * freq[2 * i]).cos();
        q[i] = (2.0 * PI * freq[2 * i + 1]).cos();
    }
    // Impulse response of the two symmetric/antisymmetric polynomials,
    // evaluated as cascades of second-order sections.
    let mut a = [0f32; 6];
    let mut b = [0f32; 6];
    let mut a1 = [0f32; 5];
    let mut a2 = [0f32; 5];
    let mut b1 = [0f32; 5];
    let mut b2 = [0f32; 5];
    let mut out = [0f32; ORDER1];
    out[0] = 1.0;
    for j in 0..=ORDER {
        let (x, y) = match j {
            0 => (0.25, 0.25),
            1 => (0.25, -0.25),
            _ => (0.0, 0.0),
        };
        a[0] = x;
        b[0] = y;
        for i in 0..half {
            a[i + 1] = a[i] - 2.0 * p[i] * a1[i] + a2[i];
            b[i + 1] = b[i] - 2.0 * q[i] * b1[i] + b2[i];
            a2[i] = a1[i];
            a1[i] = a[i];
            b2[i] = b1[i];
            b1[i] = b[i];
        }
        if j > 0 {
            out[j] = 2.0 * (a[half] + b[half]);
        }
    }
    out
}

/// Synthesis filter coefficients of each sub-block, interpolated between
/// the previous frame's last LSF vector `old` and this frame's `lsf` (one
/// or two vectors), as the decoder does (RFC 3951 section 4.1). Returns
/// `nsub` filters of `ORDER1` coefficients each.
pub(super) fn interpolate_lsf(
    mode: &ModeParams,
    old: &[f32; ORDER],
    lsf: &[f32; 2 * ORDER],
    out: &mut [f32; ORDER1 * NSUB_MAX],
) {
    let first = &lsf[..ORDER];
    if mode.lpc_n == 2 {
        let second = &lsf[ORDER..];
        for (i, &w) in LSF_WEIGHT_30MS.iter().enumerate() {
            let l = if i == 0 {
                interpolate(old, first, w)
            } else {
                interpolate(first, second, w)
            };
            out[i * ORDER1..(i + 1) * ORDER1].copy_from_slice(&lsf2a(&l));
        }
    } else {
        for (i, &w) in LSF_WEIGHT_20MS.iter().enumerate() {
            let l = interpolate(old, first, w);
            out[i * ORDER1..(i + 1) * ORDER1].copy_from_slice(&lsf2a(&l));
        }
    }
}

/// Dequantised gain of one codebook stage (RFC 3951 section 4.4.3): stage
/// 0 has 32 levels, stage 1 16, stage 2 8, scaled by the previous stage's
/// gain magnitude (at least 0.1).
pub(super) fn gain_dequant(index: u16, max_in: f32, stage: usize) -> f32 {
    let scale = max_in.abs().max(0.1);
    let i = usize::from(index);
    let g = match stage {
        0 => GAIN_SQ5.get(i),
        1 => GAIN_SQ4.get(i),
        _ => GAIN_SQ3.get(i),
    };
    scale * g.copied().unwrap_or(0.0)
}

/// The codebook memory `mem` filtered with the expansion filter (the
/// second codebook section, RFC 3951 section 3.6.3), zeros outside.
pub(super) fn filter_cb_mem(mem: &[f32], out: &mut [f32]) {
    // out[k] = sum_j mem[k - 3 + j] * CB_FILTERS[7 - j], zeros outside.
    let n = mem.len().min(out.len()).min(CB_MEML);
    let mut padded = [0f32; CB_MEML + 8];
    padded[3..3 + n].copy_from_slice(&mem[..n]);
    let mut taps = CB_FILTERS;
    taps.reverse();
    for (k, o) in out.iter_mut().enumerate().take(n) {
        let x = &padded[k..k + 8];
        let mut s = 0f32;
        for j in 0..8 {
            s += x[j] * taps[j];
        }
        *o = s;
    }
}

/// Copies codebook vector `index` of length `veclen` (22, 23 or 40) into
/// `out`, from the memory `mem` and its filtered version `filt` (both
/// `lmem` long) (RFC 3951 section 4.4.2): the first section are segments
/// of the memory, for 40-sample vectors followed by 20 vectors that
/// interpolate a segment shorter than the vector; the second section
/// repeats that on the filtered memory. Indices outside the codebook give
/// a zero vector.
pub(super) fn get_cb_vec(mem: &[f32], filt: &[f32], index: usize, veclen: usize, out: &mut [f32]) {
    let lmem = mem.len();
    let out = &mut out[..veclen];
    if lmem < veclen || filt.len() != lmem {
        out.fill(0.0);
        return;
    }
    let base_plain = lmem - veclen + 1;
    let base_size = if veclen == SUBL {
        base_plain + veclen / 2
    } else {
        base_plain
    };
    let (src, i) = if index < base_size {
        (mem, index)
    } else {
        (filt, index - base_size)
    };
    if i < base_plain {
        let k = i + veclen;
        out.copy_from_slice(&src[lmem - k..lmem - k + veclen]);
        return;
    }
    // Interpolated (augmented) vector: a segment of k/2 samples, repeated,
    // with a 5-sample cross-fade.
    let k = 2 * (i - base_plain) + veclen;
    let ihigh = k / 2;
    if k > lmem || ihigh < 5 || ihigh > veclen {
        out.fill(0.0);
        return;
    }
    let ilow = ihigh - 5;
    out[..ilow].copy_from_slice(&src[lmem - ihigh..lmem - ihigh + ilow]);
    let mut alfa = 0f32;
    for j in ilow..ihigh {
        out[j] = (1.0 - alfa) * src[lmem - ihigh + j] + alfa * src[lmem - k + j];
        alfa += 0.2;
    }
    out[ihigh..].copy_from_slice(&src[lmem - k + ihigh..lmem - k + veclen]);
}

/// Decodes `veclen` samples from three codebook stages (RFC 3951 section
/// 4.4): the sum of each stage's vector times its dequantised gain.
pub(super) fn cb_construct(
    out: &mut [f32],
    index: &[u16; 3],
    gain_index: &[u16; 3],
    mem: &[f32],
    veclen: usize,
) {
    let mut filt = [0f32; CB_MEML];
    let lmem = mem.len().min(CB_MEML);
    filter_cb_mem(&mem[..lmem], &mut filt[..lmem]);
    let mut gain = [0f32; 3];
    gain[0] = gain_dequant(gain_index[0], 1.0, 0);
    gain[1] = gain_dequant(gain_index[1], gain[0], 1);
    gain[2] = gain_dequant(gain_index[2], gain[1], 2);
    let out = &mut out[..veclen];
    out.fill(0.0);
    let mut v = [0f32; SUBL];
    for k in 0..CB_NSTAGES {
        get_cb_vec(
            &mem[..lmem],
            &filt[..lmem],
            usize::from(index[k]),
            veclen,
            &mut v,
        );
        for (o, &x) in out.iter_mut().zip(&v[..veclen]) {
            *o += gain[k] * x;
        }
    }
}

/// Decodes the scalar-quantised start state (RFC 3951 section 4.2):
/// scales the 3-bit levels by the maximum amplitude and undoes the
/// all-pass phase filter by circular convolution with its time reverse.
pub(super) fn state_construct(
    idx_for_max: u16,
    idx_vec: &[u16],
    synt_denum: &[f32],
    out: &mut [f32],
    len: usize,
) {
    let max_val = STATE_FRGQ
        .get(usize::from(idx_for_max))
        .copied()
        .unwrap_or(1.0);
    let max_val = 10f32.powf(max_val) / 4.5;
    let mut numerator = [0f32; ORDER1];
    for k in 0..ORDER {
        numerator[k] = synt_denum[ORDER - k];
    }
    numerator[ORDER] = synt_denum[0];
    let mut tmp = [0f32; ORDER + 2 * STATE_LEN];
    let mut fout = [0f32; ORDER + 2 * STATE_LEN];
    for k in 0..len {
        let q = usize::from(idx_vec[len - 1 - k]).min(7);
        tmp[ORDER + k] = max_val * STATE_SQ3[q];
    }
    zero_pole_filter(&tmp, &numerator, synt_denum, 2 * len, &mut fout);
    for k in 0..len {
        out[k] = fout[ORDER + len - 1 - k] + fout[ORDER + 2 * len - 1 - k];
    }
}

/// Pole-zero filter: `input[ORDER..ORDER+len]` through `zero / pole`, with
/// `input[..ORDER]` and `out[..ORDER]` the (zero) states; output in
/// `out[ORDER..ORDER+len]`.
pub(super) fn zero_pole_filter(
    input: &[f32],
    zero: &[f32; ORDER1],
    pole: &[f32],
    len: usize,
    out: &mut [f32],
) {
    for n in ORDER..ORDER + len {
        let mut s = zero[0] * input[n];
        for k in 1..ORDER1 {
            s += zero[k] * input[n - k];
        }
        out[n] = s;
    }
    all_pole_filter(out, ORDER, len, pole);
}

/// All-pole filter `1 / A(z)` in place on `buf[start..start+len]`, with
/// `buf[start-ORDER..start]` the state.
pub(super) fn all_pole_filter(buf: &mut [f32], start: usize, len: usize, a: &[f32]) {
    for n in start..start + len {
        let mut s = buf[n];
        for k in 1..ORDER1 {
            s -= a[k] * buf[n - k];
        }
        buf[n] = s;
    }
}

/// LPC synthesis filter on `data` in place, state in `mem` (last ORDER
/// outputs, oldest first).
pub(super) fn synt_filter(data: &mut [f32], a: &[f32], mem: &mut [f32; ORDER]) {
    let mut buf = [0f32; ORDER + BLOCKL_MAX];
    let len = data.len();
    buf[..ORDER].copy_from_slice(mem);
    buf[ORDER..ORDER + len].copy_from_slice(data);
    all_pole_filter(&mut buf, ORDER, len, a);
    data.copy_from_slice(&buf[ORDER..ORDER + len]);
    mem.copy_from_slice(&buf[len..len + ORDER]);
}

/// Second-order high-pass filter (direct form, zeros then poles) with
/// state `mem` = [x(n-1), x(n-2), y(n-1), y(n-2)].
pub(super) fn hp_filter(data: &mut [f32], zero: &[f32; 3], pole: &[f32; 3], mem: &mut [f32; 4]) {
    for x in data.iter_mut() {
        let input = *x;
        let mut y = zero[0] * input + zero[1] * mem[0] + zero[2] * mem[1];
        mem[1] = mem[0];
        mem[0] = input;
        y -= pole[1] * mem[2] + pole[2] * mem[3];
        mem[3] = mem[2];
        mem[2] = y;
        *x = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (xorshift32).
    fn next(seed: &mut u32) -> u32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 17;
        *seed ^= *seed << 5;
        *seed
    }

    #[test]
    fn frame_bit_budget() {
        // 303 + 1 and 399 + 1 bits (RFC 3951 tables 3.2 and 3.3).
        for (mode, bits) in [(&MODE_20, 304), (&MODE_30, 400)] {
            let mut total = 1;
            let mut p = FrameParams::default();
            for class in 0..3 {
                for_each_field(&mut p, mode, class, &mut |_, ulp, c| {
                    total += usize::from(ulp[c]);
                });
            }
            assert_eq!(total, bits);
            assert_eq!(total, mode.bytes * 8);
        }
    }

    #[test]
    fn pack_unpack_round_trip() {
        let mut seed = 0x1234_5678;
        for mode in [&MODE_20, &MODE_30] {
            for _ in 0..200 {
                let mut p = FrameParams::default();
                for class in 0..3 {
                    for_each_field(&mut p, mode, class, &mut |v, ulp, c| {
                        if c == 0 {
                            let bits: u8 = ulp.iter().sum();
                            *v = (next(&mut seed) & ((1u32 << bits) - 1)) as u16;
                        }
                    });
                }
                let mut bytes = [0u8; 50];
                pack(&p, mode, &mut bytes[..mode.bytes]);
                let (q, empty) = unpack(&bytes[..mode.bytes], mode);
                assert_eq!(p, q);
                assert!(!empty);
                // The empty-frame flag is the very last bit.
                bytes[mode.bytes - 1] |= 1;
                let (q, empty) = unpack(&bytes[..mode.bytes], mode);
                assert_eq!(p, q);
                assert!(empty);
            }
        }
    }

    #[test]
    fn ulp_classes_put_msbs_first() {
        // 20 ms: the first bits are the 6-bit LSF index 0, MSB first.
        let mut p = FrameParams::default();
        p.lsf[0] = 0b10_0001;
        p.start = 3;
        let mut bytes = [0u8; 38];
        pack(&p, &MODE_20, &mut bytes);
        assert_eq!(bytes[0], 0b1000_0100);
        // Start (2 bits) follows the 20 LSF bits.
        assert_eq!(bytes[2] & 0b0000_1100, 0b0000_1100);
    }

    #[test]
    fn index_conversion_round_trip() {
        for i in (0..44).chain(108..172).chain(236..256) {
            let mut idx = [0, i, i];
            index_conv_enc(&mut idx);
            assert!(idx[1] < 128, "{i} -> {}", idx[1]);
            index_conv_dec(&mut idx);
            assert_eq!(idx, [0, i, i]);
        }
    }

    #[test]
    fn codebook_vectors_stay_in_bounds() {
        let mem: [f32; CB_MEML] = core::array::from_fn(|i| i as f32);
        let mut filt = [0f32; CB_MEML];
        filter_cb_mem(&mem, &mut filt);
        let mut v = [0f32; SUBL];
        for index in 0..256 {
            get_cb_vec(&mem, &filt, index, SUBL, &mut v);
            get_cb_vec(&mem[..ST_MEM_L], &filt[..ST_MEM_L], index, 22, &mut v);
            get_cb_vec(&mem[..ST_MEM_L], &filt[..ST_MEM_L], index, 23, &mut v);
        }
        // Vector 0 is the last 40 samples of the memory.
        get_cb_vec(&mem, &filt, 0, SUBL, &mut v);
        assert_eq!(v[0], (CB_MEML - SUBL) as f32);
        assert_eq!(v[SUBL - 1], (CB_MEML - 1) as f32);
    }

    #[test]
    fn lsf_round_trip_through_lpc() {
        // The mean LSFs give a stable filter whose first coefficient is 1.
        let a = lsf2a(&super::super::tables::LSF_MEAN);
        assert_eq!(a[0], 1.0);
        assert!(a.iter().all(|x| x.is_finite()));
    }
}
