//! Jitter buffer cost: one `push` and one `pop` per 20 ms frame, as in a
//! call, on a steady stream with 0–60 ms of seeded jitter (the buffer holds
//! about 3–4 packets and its delay window is full: 500 packets).
//!
//! ```text
//! cargo bench -p linkus-sdk --bench jitter -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use linkus_media::jitter::{JitterBuffer, JitterConfig, RtpPacket};

/// splitmix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bench(c: &mut Criterion) {
    let mut jb = JitterBuffer::new(JitterConfig::default()).unwrap();
    let mut rng = 1u64;
    let mut i: u64 = 0;
    let payload = vec![0xffu8; 160];
    // One frame: the packet sent at i * 20 ms arrives 30–90 ms later (pushed
    // in send order: the reordering is in the timestamps the buffer sees);
    // the device pops at i * 20 ms + 100 ms.
    let mut frame = |jb: &mut JitterBuffer| {
        let sent = i * 20_000;
        let arrival = sent + 30_000 + next(&mut rng) % 60_001;
        let packet = RtpPacket {
            seq: i as u16,
            timestamp: (i as u32).wrapping_mul(160),
            ssrc: 1,
            marker: i == 0,
            payload_type: 0,
            payload: payload.clone(),
        };
        jb.push(Duration::from_micros(arrival), packet);
        let out = jb.pop(Duration::from_micros(sent + 100_000));
        i += 1;
        out
    };
    for _ in 0..1000 {
        frame(&mut jb);
    }
    c.bench_function("jitter/push_pop_frame", |b| {
        b.iter(|| black_box(frame(&mut jb)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
