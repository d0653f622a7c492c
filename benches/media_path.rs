//! The per-packet media path of one call leg, without sockets: one side's
//! `send_frame` (encode, RTP, SRTP) and the other side's `receive` (SRTP,
//! RTP, jitter buffer) and `play_frame` (jitter buffer, decode), per 20 ms
//! frame of G.711 µ-law, with and without SRTP; and the SRTP protect and
//! unprotect of a 172-byte RTP packet alone.
//!
//! ```text
//! cargo bench -p linkus-sdk --bench media_path -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use linkus_media::codec::Codec;
use linkus_media::rtp::RtpHeader;
use linkus_media::srtp::{SrtpSession, SrtpSuite};
use linkus_media::stream::{AudioStream, StreamConfig};

fn bench(c: &mut Criterion) {
    let a_addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let b_addr: SocketAddr = "127.0.0.1:4002".parse().unwrap();
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let mut group = c.benchmark_group("media_path");
    for (name, srtp) in [("pcmu", false), ("pcmu_srtp80", true)] {
        let mut a = StreamConfig::new(Codec::Pcmu, 0, b_addr, 1);
        let mut b = StreamConfig::new(Codec::Pcmu, 0, a_addr, 2);
        if srtp {
            a.srtp = Some((suite, vec![1; 30], vec![2; 30]));
            b.srtp = Some((suite, vec![2; 30], vec![1; 30]));
        }
        let (mut a, mut b) = (AudioStream::new(a).unwrap(), AudioStream::new(b).unwrap());
        let pcm: Vec<i16> = (0..160).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
        let mut wire = [0u8; 1500];
        let mut out = [0i16; 160];
        let mut tick = 0u64;
        group.bench_function(format!("send_receive_play/{name}"), |bench| {
            bench.iter(|| {
                let now = Duration::from_millis(20 * tick);
                tick += 1;
                let tx = a.send_frame(now, black_box(&pcm), &mut wire).unwrap();
                b.receive(now, a_addr, &wire[..tx.len]);
                b.play_frame(now, &mut out).unwrap();
                black_box(&out);
            });
        });
    }
    let mut tx = SrtpSession::new(suite, &[1; 30], &[2; 30]).unwrap();
    let mut rx = SrtpSession::new(suite, &[2; 30], &[1; 30]).unwrap();
    let mut plain = [0u8; 200];
    let mut wire = [0u8; 256];
    let mut back = [0u8; 256];
    let mut seq = 0u16;
    group.bench_function("srtp80_protect_unprotect_172B", |bench| {
        bench.iter(|| {
            seq = seq.wrapping_add(1);
            let n = RtpHeader::new(0, seq, u32::from(seq) * 160, 7)
                .write(&[0x55; 160], &mut plain)
                .unwrap();
            let m = tx.protect_rtp(&plain[..n], &mut wire).unwrap();
            black_box(rx.unprotect_rtp(&wire[..m], &mut back).unwrap());
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
