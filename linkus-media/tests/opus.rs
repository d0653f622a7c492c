//! Opus through the public API on real speech (the first 3 s of the
//! codec-ref test speech, `tests/data/g722_speech.in.raw`, 16 kHz): the
//! round trip keeps the waveform, in-band FEC recovers a lost frame better
//! than concealment, DTX sends (almost) nothing on silence, bad settings and
//! bad packets give typed errors.

use core::time::Duration;

use linkus_media::Error;
use linkus_media::codec::opus::{OPUS_16K, OpusConfig, OpusDecoder, OpusEncoder};
use linkus_media::codec::{Codec, Decoder, Encoder};

const SPEECH_16K: &[u8] = include_bytes!("data/g722_speech.in.raw");

fn speech_16k() -> Vec<i16> {
    SPEECH_16K
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The 16 kHz speech at `rate` (8 kHz: every other sample of a 3-tap
/// low-pass; 48 kHz: linear interpolation), good enough to check a codec.
fn speech(rate: usize) -> Vec<i16> {
    let s = speech_16k();
    match rate {
        16_000 => s,
        8000 => (0..s.len() / 2)
            .map(|i| {
                let at = |k: usize| i32::from(s[k.min(s.len() - 1)]);
                ((at(2 * i) * 2 + at(2 * i + 1) + at((2 * i).saturating_sub(1))) / 4) as i16
            })
            .collect(),
        48_000 => (0..s.len() * 3)
            .map(|i| {
                let (k, r) = (i / 3, (i % 3) as i32);
                let a = i32::from(s[k]);
                let b = i32::from(s[(k + 1).min(s.len() - 1)]);
                (a + (b - a) * r / 3) as i16
            })
            .collect(),
        _ => unreachable!(),
    }
}

/// Encodes `pcm` in frames of `frame` samples; returns the packets.
fn encode_all(enc: &mut dyn Encoder, pcm: &[i16], frame: usize) -> Vec<Vec<u8>> {
    pcm.chunks_exact(frame)
        .map(|f| {
            let mut pkt = vec![0u8; enc.max_payload_len(frame)];
            let n = enc.encode(f, &mut pkt).unwrap();
            assert!(n >= 1 && n <= pkt.len());
            pkt.truncate(n);
            pkt
        })
        .collect()
}

fn decode_all(dec: &mut dyn Decoder, bits: &[Vec<u8>], frame: usize) -> Vec<i16> {
    let mut out = vec![0i16; bits.len() * frame];
    for (pkt, o) in bits.iter().zip(out.chunks_mut(frame)) {
        assert_eq!(dec.decoded_len(pkt), Ok(frame));
        assert_eq!(dec.decode(pkt, o), Ok(frame));
    }
    out
}

/// Normalised correlation of `a` and `b`.
fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt().max(1.0)
}

/// Energy of `want - got`.
fn error_energy(want: &[i16], got: &[i16]) -> f64 {
    want.iter()
        .zip(got)
        .map(|(&w, &g)| (f64::from(w) - f64::from(g)).powi(2))
        .sum()
}

/// Round trip at `rate` Hz and `bitrate`: decoded output, delayed by the
/// encoder's look-ahead, correlates with the input.
fn round_trip(rate: usize, bitrate: u32, frame_ms: usize) -> f64 {
    let input = speech(rate);
    let frame = rate * frame_ms / 1000;
    let mut enc = OpusEncoder::new(OpusConfig::new(rate as u32, bitrate)).unwrap();
    let mut dec = OpusDecoder::new(rate as u32).unwrap();
    let bits = encode_all(&mut enc, &input, frame);
    let out = decode_all(&mut dec, &bits, frame);
    let delay = enc.lookahead();
    assert!(delay > 0 && delay < rate / 100, "look-ahead {delay}");
    let n = out.len() - delay;
    correlation(&input[..n], &out[delay..])
}

#[test]
fn speech_round_trip_keeps_the_waveform() {
    let c16 = round_trip(16_000, 24_000, 20);
    let c48 = round_trip(48_000, 32_000, 20);
    let c8 = round_trip(8000, 16_000, 20);
    let c16_60 = round_trip(16_000, 24_000, 60);
    let c16_10 = round_trip(16_000, 32_000, 10);
    eprintln!(
        "correlation 16k {c16:.3}, 48k {c48:.3}, 8k {c8:.3}, 60 ms {c16_60:.3}, 10 ms {c16_10:.3}"
    );
    for c in [c16, c48, c8, c16_60, c16_10] {
        assert!(c > 0.85, "correlation {c}");
    }
    // Without the look-ahead alignment it would not correlate nearly as
    // well: the check above does measure the codec.
    let input = speech(16_000);
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000)).unwrap();
    let bits = encode_all(&mut enc, &input, 320);
    let out = decode_all(&mut OpusDecoder::new(16_000).unwrap(), &bits, 320);
    assert!(correlation(&input, &out) < c16 - 0.2);
}

#[test]
fn default_codec_is_48k_opus() {
    let codec = Codec::Opus;
    assert_eq!(Codec::from_rtpmap("OPUS", 48_000), Some(Codec::Opus));
    let info = codec.info();
    assert_eq!(info.rtpmap().to_string(), "opus/48000/2");
    assert_eq!(
        (info.sample_rate, info.clock_rate, info.channels),
        (48_000, 48_000, 1)
    );
    assert_eq!(info.fmtp, Some("useinbandfec=1"));
    assert_eq!(info.payload_type, None);
    let (mut enc, mut dec) = (codec.encoder(), codec.decoder());
    let input = speech(48_000);
    let bits = encode_all(enc.as_mut(), &input, 960);
    // 32 kbit/s VBR: about 80 bytes per 20 ms.
    let bytes: usize = bits.iter().map(Vec::len).sum();
    let kbps = bytes as f64 * 8.0 / 3.0 / 1000.0;
    assert!((20.0..45.0).contains(&kbps), "{kbps} kbit/s");
    decode_all(dec.as_mut(), &bits, 960);
    assert_eq!(
        OPUS_16K.fmtp.map(|f| f.contains("maxplaybackrate=16000")),
        Some(true)
    );
    assert_eq!(
        OPUS_16K.rtp_timestamp_increment(Duration::from_millis(20)),
        Some(960)
    );
}

/// Decodes `bits` with packet `lost` missing, filled by `fill`; returns
/// the error energy of that frame against the loss-free decode.
fn lost_frame_error(
    bits: &[Vec<u8>],
    clean: &[i16],
    lost: usize,
    fill: impl Fn(&mut OpusDecoder, &[u8], &mut [i16]) -> Result<usize, Error>,
) -> f64 {
    let mut dec = OpusDecoder::new(16_000).unwrap();
    let mut out = [0i16; 320];
    for pkt in &bits[..lost] {
        dec.decode(pkt, &mut out).unwrap();
    }
    assert_eq!(fill(&mut dec, &bits[lost + 1], &mut out), Ok(320));
    error_energy(&clean[lost * 320..(lost + 1) * 320], &out)
}

#[test]
fn fec_recovers_a_lost_frame_better_than_concealment() {
    let input = speech(16_000);
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000).with_fec(10)).unwrap();
    assert!(enc.config().fec);
    let bits = encode_all(&mut enc, &input, 320);
    let clean = decode_all(&mut OpusDecoder::new(16_000).unwrap(), &bits, 320);
    let (mut fec, mut plc) = (0.0, 0.0);
    // Every 7th frame of the speech (not the first, not the last).
    for lost in (5..bits.len() - 1).step_by(7) {
        fec += lost_frame_error(&bits, &clean, lost, |d, next, o| d.decode_fec(next, o));
        plc += lost_frame_error(&bits, &clean, lost, |d, _, o| d.conceal(o));
    }
    eprintln!("lost-frame error energy: FEC {fec:.3e}, PLC {plc:.3e}");
    assert!(fec * 3.0 < plc, "FEC {fec:.3e} vs PLC {plc:.3e}");

    // Without FEC in the stream, decode_fec falls back to concealment.
    let mut plain = OpusEncoder::new(OpusConfig::new(16_000, 24_000)).unwrap();
    let bits = encode_all(&mut plain, &input, 320);
    let clean = decode_all(&mut OpusDecoder::new(16_000).unwrap(), &bits, 320);
    let a = lost_frame_error(&bits, &clean, 40, |d, next, o| d.decode_fec(next, o));
    let b = lost_frame_error(&bits, &clean, 40, |d, _, o| d.conceal(o));
    assert_eq!(a, b);
}

#[test]
fn concealment_and_fec_buffer_sizes() {
    let mut dec = OpusDecoder::new(16_000).unwrap();
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000)).unwrap();
    let bits = encode_all(&mut enc, &speech(16_000)[..3200], 320);
    let mut out = vec![0i16; 960];
    // Any multiple of 2.5 ms (40 samples at 16 kHz), up to 60 ms and more.
    for n in [40, 320, 960] {
        assert_eq!(dec.conceal(&mut out[..n]), Ok(n));
    }
    assert_eq!(dec.conceal(&mut out[..0]), Ok(0));
    assert_eq!(
        dec.conceal(&mut out[..100]),
        Err(Error::BadFrameSize {
            codec: "opus",
            samples: 100
        })
    );
    assert_eq!(
        dec.decode_fec(&bits[1], &mut out[..200]),
        Err(Error::BufferTooSmall {
            needed: 320,
            available: 200
        })
    );
    assert_eq!(
        dec.decode(&bits[1], &mut out[..319]),
        Err(Error::BufferTooSmall {
            needed: 320,
            available: 319
        })
    );
    assert_eq!(dec.decode(&bits[1], &mut out), Ok(320));
    dec.reset();
    assert_eq!(dec.decode(&bits[2], &mut out), Ok(320));
}

#[test]
fn dtx_sends_tiny_packets_on_silence() {
    let silence = vec![0i16; 16_000 * 3];
    let count_tiny = |config: OpusConfig| {
        let mut enc = OpusEncoder::new(config).unwrap();
        let bits = encode_all(&mut enc, &silence, 320);
        // Skip the first second (the encoder needs a moment to decide).
        let tail = &bits[50..];
        let tiny = tail.iter().filter(|p| p.len() <= 2).count();
        (tiny, tail.len())
    };
    let (tiny, total) = count_tiny(OpusConfig::new(16_000, 24_000).with_dtx());
    assert!(
        tiny * 10 >= total * 9,
        "DTX: {tiny} of {total} packets <= 2 bytes"
    );
    let (tiny, _) = count_tiny(OpusConfig::new(16_000, 24_000));
    assert_eq!(tiny, 0, "without DTX");

    // The decoder takes the DTX packets.
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000).with_dtx()).unwrap();
    let bits = encode_all(&mut enc, &silence, 320);
    let out = decode_all(&mut OpusDecoder::new(16_000).unwrap(), &bits, 320);
    assert!(out.iter().all(|&s| s.abs() < 100));
}

#[test]
fn bad_settings_are_invalid_config() {
    let bad = [
        OpusConfig::new(44_100, 24_000),
        OpusConfig::new(24_000, 24_000),
        OpusConfig::new(16_000, 5999),
        OpusConfig::new(16_000, 510_001),
        OpusConfig::new(16_000, 24_000).with_complexity(11),
        OpusConfig::new(16_000, 24_000).with_fec(101),
        OpusConfig::new(16_000, 24_000).with_fec(0),
    ];
    for config in bad {
        assert!(
            matches!(OpusEncoder::new(config), Err(Error::InvalidConfig { .. })),
            "{config:?}"
        );
    }
    assert!(matches!(
        OpusDecoder::new(11_025),
        Err(Error::InvalidConfig { .. })
    ));
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000).with_fec(5)).unwrap();
    assert!(matches!(
        enc.set_bitrate(1000),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        enc.set_expected_loss(0),
        Err(Error::InvalidConfig { .. })
    ));
    assert_eq!(enc.config(), &OpusConfig::new(16_000, 24_000).with_fec(5));
    assert_eq!(enc.set_bitrate(16_000), Ok(()));
    assert_eq!(enc.set_expected_loss(20), Ok(()));
    assert_eq!(enc.config().bitrate, 16_000);
    assert_eq!(enc.config().expected_loss_percent, 20);
    assert_eq!(OpusConfig::default(), OpusConfig::new(48_000, 32_000));
}

#[test]
fn bad_frames_and_buffers() {
    let mut enc = OpusEncoder::new(OpusConfig::new(16_000, 24_000)).unwrap();
    let mut pkt = [0u8; 1500];
    for n in [0, 1, 319, 321, 480, 1120, 1280, 2000] {
        assert_eq!(
            enc.encode(&vec![0i16; n], &mut pkt),
            Err(Error::BadFrameSize {
                codec: "opus",
                samples: n
            })
        );
    }
    assert_eq!(
        enc.encode(&[0i16; 320], &mut pkt[..2]),
        Err(Error::BufferTooSmall {
            needed: 1279,
            available: 2
        })
    );
    // A short buffer caps the packet.
    let input = speech(16_000);
    let n = enc.encode(&input[16_000..16_320], &mut pkt[..20]).unwrap();
    assert!(n <= 20);
    let n = enc.encode(&input[16_320..16_640], &mut pkt).unwrap();
    assert!(n > 20);
}

/// xorshift32.
fn random_bytes(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn garbage_payloads_give_typed_errors() {
    let mut dec = OpusDecoder::new(16_000).unwrap();
    let mut out = vec![0i16; 16_000];
    let corrupt = |e: &Error| matches!(e, Error::CorruptPayload { codec: "opus", .. });
    // Empty, a code-3 packet without its frame count, a code-3 packet of
    // 0 frames, and one claiming 48 frames of 20 ms (> 120 ms).
    for p in [&[][..], &[0x03], &[0x0b, 0x00], &[0x0b, 0x30, 0, 0]] {
        let e = dec.decoded_len(p).unwrap_err();
        assert!(corrupt(&e), "{p:?}: {e}");
        assert_eq!(dec.decode(p, &mut out), Err(e.clone()));
        assert_eq!(dec.decode_fec(p, &mut out), Err(e));
    }
    let mut decoded = 0;
    for seed in 1..2000u32 {
        let p = random_bytes(seed, (seed % 300) as usize + 1);
        match dec.decode(&p, &mut out) {
            Ok(n) => {
                assert_eq!(dec.decoded_len(&p), Ok(n));
                decoded += 1;
            }
            Err(e) => assert!(corrupt(&e), "{e}"),
        }
        if seed % 3 == 0 {
            let _ = dec.decode_fec(&p, &mut out);
            assert_eq!(dec.conceal(&mut out[..320]), Ok(320));
        }
    }
    // Most random bytes are valid Opus (any TOC byte with code 0 is).
    assert!(decoded > 1000, "{decoded}");
}
