//! G.711 against a straightforward reference written from the standard:
//! the decision and output values of ITU-T G.711 Table 1 (A-law) and
//! Table 2 (µ-law), searched linearly, for every one of the 65536 inputs.

use linkus_media::codec::Codec;
use linkus_media::codec::g711::{
    Law, alaw_to_linear, decode_alaw, decode_ulaw, encode_alaw, encode_ulaw, linear_to_alaw,
    linear_to_ulaw, ulaw_to_linear,
};

/// One quantisation interval of a G.711 table: inputs `>= lower` (and below
/// the next interval's `lower`) take `code`'s magnitude bits and decode to
/// `output`, on the standard's uniform scale.
struct Interval {
    lower: i32,
    output: i32,
    /// Segment (3 bits) and step (4 bits) before sign and bit inversion.
    code: u8,
}

/// G.711 Table 2 (µ-law), magnitudes on the 14-bit scale (max 8159): segment
/// `s` starts at `(32 << s) - 33` with steps of `2 << s`, the first interval
/// of segment 0 is `[0, 1)` and decodes to 0; outputs are the interval
/// centres (segment 0: `2k`).
fn ulaw_table() -> Vec<Interval> {
    let mut t = Vec::new();
    for seg in 0..8u8 {
        let start = (32 << seg) - 33;
        let step = 2 << seg;
        for k in 0..16u8 {
            let (lower, output) = if seg == 0 && k == 0 {
                (0, 0)
            } else {
                // Intervals are [start + step*k - step/2, ...) in segment 0
                // (decision values 1, 3, ..., 29) and [start + step*k, ...)
                // above, with outputs at their centres.
                let lower = if seg == 0 {
                    2 * i32::from(k) - 1
                } else {
                    start + step * i32::from(k)
                };
                let output = if seg == 0 {
                    2 * i32::from(k)
                } else {
                    lower + step / 2
                };
                (lower, output)
            };
            t.push(Interval {
                lower,
                output,
                code: (seg << 4) | k,
            });
        }
    }
    t
}

/// G.711 Table 1 (A-law), magnitudes on the 12-bit scale (max 4096):
/// segments 0 and 1 have steps of 2 from 0 and 32, segment `s >= 2` starts
/// at `16 << s` with steps of `1 << s`; outputs are the interval centres.
fn alaw_table() -> Vec<Interval> {
    let mut t = Vec::new();
    for seg in 0..8u8 {
        let (start, step) = if seg == 0 {
            (0, 2)
        } else {
            (16 << seg, 1 << seg)
        };
        for k in 0..16u8 {
            let lower = start + step * i32::from(k);
            t.push(Interval {
                lower,
                output: lower + step / 2,
                code: (seg << 4) | k,
            });
        }
    }
    t
}

/// The interval holding magnitude `m`: the last whose lower bound is <= m.
fn find(table: &[Interval], m: i32) -> &Interval {
    table.iter().rev().find(|iv| iv.lower <= m).unwrap()
}

/// Magnitude of a 16-bit sample on the standard's scale (`shift` 2 for
/// µ-law's 14 bits, 3 for A-law's 13), negative values by one's complement.
fn magnitude(x: i16, shift: u32) -> i32 {
    let x = i32::from(x);
    (if x >= 0 { x } else { -x - 1 }) >> shift
}

fn ref_ulaw(table: &[Interval], x: i16) -> u8 {
    let iv = find(table, magnitude(x, 2));
    // µ-law: polarity bit 1 for positive, bits 2 to 8 inverted.
    let sign = if x >= 0 { 0x80 } else { 0 };
    sign | (!iv.code & 0x7F)
}

fn ref_alaw(table: &[Interval], x: i16) -> u8 {
    let iv = find(table, magnitude(x, 3));
    // A-law: sign bit 1 for positive, then the even bits inverted.
    let sign = if x >= 0 { 0x80 } else { 0 };
    (sign | iv.code) ^ 0x55
}

fn ref_ulaw_decode(table: &[Interval], code: u8) -> i16 {
    let v = table[usize::from(!code & 0x7F)].output * 4;
    (if code & 0x80 != 0 { v } else { -v }) as i16
}

fn ref_alaw_decode(table: &[Interval], code: u8) -> i16 {
    let c = code ^ 0x55;
    let v = table[usize::from(c & 0x7F)].output * 8;
    (if c & 0x80 != 0 { v } else { -v }) as i16
}

#[test]
fn reference_tables_have_the_standards_end_points() {
    let u = ulaw_table();
    assert_eq!(u.len(), 128);
    assert_eq!(u[127].lower, 7903);
    assert_eq!(u[127].output, 8031);
    assert_eq!(u[16].lower, 31); // segment 1 starts at decision value 31
    let a = alaw_table();
    assert_eq!(a[127].lower, 3968);
    assert_eq!(a[127].output, 4032);
    assert_eq!(a[32].lower, 64);
}

#[test]
fn ulaw_encode_all_inputs() {
    let table = ulaw_table();
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let mut fast = vec![0u8; all.len()];
    encode_ulaw(&all, &mut fast);
    for (&x, &f) in all.iter().zip(&fast) {
        let want = ref_ulaw(&table, x);
        assert_eq!(linear_to_ulaw(x), want, "computed, x = {x}");
        assert_eq!(f, want, "table, x = {x}");
    }
}

#[test]
fn alaw_encode_all_inputs() {
    let table = alaw_table();
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let mut fast = vec![0u8; all.len()];
    encode_alaw(&all, &mut fast);
    for (&x, &f) in all.iter().zip(&fast) {
        let want = ref_alaw(&table, x);
        assert_eq!(linear_to_alaw(x), want, "computed, x = {x}");
        assert_eq!(f, want, "table, x = {x}");
    }
}

#[test]
fn decode_all_codes() {
    let (ut, at) = (ulaw_table(), alaw_table());
    let codes: Vec<u8> = (0..=255).collect();
    let mut u = [0i16; 256];
    let mut a = [0i16; 256];
    decode_ulaw(&codes, &mut u);
    decode_alaw(&codes, &mut a);
    for c in 0..=255u8 {
        assert_eq!(ulaw_to_linear(c), ref_ulaw_decode(&ut, c), "µ-law {c:#04x}");
        assert_eq!(u[usize::from(c)], ref_ulaw_decode(&ut, c), "µ-law {c:#04x}");
        assert_eq!(alaw_to_linear(c), ref_alaw_decode(&at, c), "A-law {c:#04x}");
        assert_eq!(a[usize::from(c)], ref_alaw_decode(&at, c), "A-law {c:#04x}");
    }
}

#[test]
fn every_code_survives_decode_then_encode() {
    for c in 0..=255u8 {
        assert_eq!(linear_to_alaw(alaw_to_linear(c)), c, "A-law {c:#04x}");
        // µ-law 0x7F is "negative zero": it decodes to 0 like 0xFF, and 0
        // encodes as positive zero (G.711 Table 2 gives both codes the
        // output value 0).
        let want = if c == 0x7F { 0xFF } else { c };
        assert_eq!(linear_to_ulaw(ulaw_to_linear(c)), want, "µ-law {c:#04x}");
    }
    assert_eq!(ulaw_to_linear(0x7F), 0);
    assert_eq!(ulaw_to_linear(0xFF), 0);
}

#[test]
fn decoded_value_lies_in_its_interval() {
    // Encoding then decoding lands within half a step of the input (the
    // quantisation error bound), except beyond the last decision value.
    for x in i16::MIN..=i16::MAX {
        let y = i32::from(ulaw_to_linear(linear_to_ulaw(x)));
        let err = (y - i32::from(x)).abs();
        if i32::from(x).abs() < 8159 * 4 {
            // step 1024 in the top segment on the 16-bit scale
            assert!(err <= 512 + 4, "µ-law {x} -> {y}");
        }
        let y = i32::from(alaw_to_linear(linear_to_alaw(x)));
        assert!((y - i32::from(x)).abs() <= 512 + 8, "A-law {x} -> {y}");
    }
}

#[test]
fn frame_encoders_use_the_same_codes() {
    let pcm: Vec<i16> = (0..160).map(|i| (i * 409 - 32000) as i16).collect();
    for (law, codec) in [(Law::MuLaw, Codec::Pcmu), (Law::ALaw, Codec::Pcma)] {
        let mut enc = codec.encoder();
        let mut out = [0u8; 160];
        assert_eq!(enc.encode(&pcm, &mut out), Ok(160));
        for (&x, &c) in pcm.iter().zip(&out) {
            let want = match law {
                Law::MuLaw => linear_to_ulaw(x),
                Law::ALaw => linear_to_alaw(x),
            };
            assert_eq!(c, want);
        }
        let mut dec = codec.decoder();
        let mut back = [0i16; 160];
        assert_eq!(dec.decode(&out, &mut back), Ok(160));
    }
}
