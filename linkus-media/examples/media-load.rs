//! Media load: N call pairs over loopback UDP on one thread, each side
//! sending a 20 ms packet in real time and receiving through the jitter
//! buffer and the decoder, as a softphone or a media server would.
//!
//! ```text
//! cargo run --release -p linkus-media --example media-load -- --calls 1000 --seconds 30 --srtp --codec pcmu
//! ```
//!
//! Prints one JSON line: calls, seconds, `cpu_cores` (this process's CPU
//! time over wall time), `rss_kib` (resident memory at the end),
//! `rss_kib_per_call` (growth over the baseline measured before the calls
//! were set up, divided by the calls), packets sent and received,
//! `late_or_lost` (fraction of the packets sent that were lost or arrived
//! too late to play) and `concealed_ms` (all streams together).
//!
//! Every stream has its own socket on 127.0.0.1 (2 per call) and its own
//! SRTP keys; the calls' 20 ms ticks are spread evenly over the frame
//! interval so the load is smooth, as independent calls are.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: JSON on stdout, errors on stderr"
)]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a load tool")]
#![allow(
    clippy::disallowed_methods,
    reason = "the driver of the sans-IO streams owns the clock and sleeps"
)]

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use linkus_media::codec::Codec;
use linkus_media::srtp::SrtpSuite;
use linkus_media::stream::{AudioStream, MAX_DATAGRAM, StreamConfig};

const FRAME: Duration = Duration::from_millis(20);

struct Side {
    socket: UdpSocket,
    stream: AudioStream,
}

fn proc_field(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    proc_field("/proc/self/status", "VmRSS:")
}

/// User + system CPU time of the process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which may contain spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 (1-based), in clock ticks.
    let ticks = f[11] + f[12];
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn speech(rate: u32) -> Vec<i16> {
    // A voiced-like signal with pauses: 160 Hz with harmonics, amplitude
    // modulated at 3 Hz, half of each second silent.
    let n = rate as usize * 2;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            if (t % 1.0) > 0.5 {
                return 0;
            }
            let w = 160.0 * std::f64::consts::TAU * t;
            let env = 0.6 + 0.4 * (3.0 * std::f64::consts::TAU * t).sin();
            (env * (5000.0 * w.sin() + 2500.0 * (2.0 * w).sin() + 1200.0 * (3.0 * w).sin())) as i16
        })
        .collect()
}

fn main() {
    let mut calls = 100usize;
    let mut seconds = 10u64;
    let mut srtp = false;
    let mut codec = Codec::Pcmu;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--calls" => calls = args.next().unwrap().parse().unwrap(),
            "--seconds" => seconds = args.next().unwrap().parse().unwrap(),
            "--srtp" => srtp = true,
            "--codec" => {
                codec = match args.next().unwrap().as_str() {
                    "pcmu" => Codec::Pcmu,
                    "pcma" => Codec::Pcma,
                    "g722" => Codec::G722,
                    "opus" => Codec::Opus,
                    c => {
                        eprintln!("unknown codec {c} (pcmu, pcma, g722, opus)");
                        std::process::exit(2);
                    }
                }
            }
            _ => {
                eprintln!(
                    "usage: media-load --calls N --seconds S [--srtp] [--codec pcmu|pcma|g722|opus]"
                );
                std::process::exit(2);
            }
        }
    }
    let rss_before = rss_kib();
    let suite = SrtpSuite::AesCm128HmacSha1_80;
    let pt = codec.info().payload_type.unwrap_or(96);
    let mut sides: Vec<Side> = Vec::with_capacity(2 * calls);
    for call in 0..calls {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let key = |side: u8| -> Vec<u8> {
            (0..suite.master_len())
                .map(|i| (i as u8) ^ side ^ (call as u8))
                .collect()
        };
        for (socket, remote, ssrc, (local_key, remote_key)) in [
            (a, ba, 2 * call as u32 + 1, (key(1), key(2))),
            (b, aa, 2 * call as u32 + 2, (key(2), key(1))),
        ] {
            socket.set_nonblocking(true).unwrap();
            let mut cfg = StreamConfig::new(codec, pt, remote, ssrc);
            if srtp {
                cfg.srtp = Some((suite, local_key, remote_key));
            }
            sides.push(Side {
                socket,
                stream: AudioStream::new(cfg).unwrap(),
            });
        }
    }
    let input = speech(codec.info().sample_rate);
    let frame = sides[0].stream.frame_samples();
    let frames_in_input = input.len() / frame;
    let mut wire = [0u8; MAX_DATAGRAM];
    let mut rx = [0u8; MAX_DATAGRAM];
    let mut pcm = vec![0i16; frame];

    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let total_ticks = seconds * 50;
    let n = sides.len() as u32;
    let mut send_errors = 0u64;
    // Side i ticks at t0 + k*20ms + i*20ms/n.
    for k in 0..total_ticks {
        for (i, side) in sides.iter_mut().enumerate() {
            let due = FRAME * k as u32 + FRAME * i as u32 / n;
            // Sleep only when more than 1 ms ahead: a tick up to 1 ms early is
            // harmless, and a sleep per stream would cost more than the stream.
            let elapsed = t0.elapsed();
            if due > elapsed + Duration::from_millis(1) {
                std::thread::sleep(due - elapsed);
            }
            let now = t0.elapsed();
            // Receive what arrived since this side's last tick.
            loop {
                match side.socket.recv_from(&mut rx) {
                    Ok((len, from)) => side.stream.receive(now, from, &rx[..len]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("recv: {e}"),
                }
            }
            let f = (k as usize + i) % frames_in_input;
            let tx = side
                .stream
                .send_frame(now, &input[f * frame..(f + 1) * frame], &mut wire)
                .unwrap();
            if side.socket.send_to(&wire[..tx.len], tx.to).is_err() {
                send_errors += 1;
            }
            side.stream.play_frame(now, &mut pcm).unwrap();
            if let Some(t) = side.stream.poll_rtcp(now, &mut wire) {
                let _ = side.socket.send_to(&wire[..t.len], t.to);
            }
        }
    }
    let wall = t0.elapsed();
    let cpu = cpu_time() - cpu0;
    let rss = rss_kib();

    let (mut sent, mut received, mut lost, mut late, mut concealed) =
        (0u64, 0u64, 0i64, 0u64, 0u64);
    for side in &sides {
        let s = side.stream.stats();
        sent += s.packets_sent;
        received += s.packets_received;
        lost += s.packets_lost;
        late += s.late;
        concealed += s.frames_concealed;
    }
    // Packets still in flight at the end (each side's last one) are not lost.
    let late_or_lost = (lost.max(0) as u64 + late) as f64 / sent.max(1) as f64;
    println!(
        "{{\"calls\":{calls},\"seconds\":{seconds},\"codec\":\"{}\",\"srtp\":{srtp},\"cpu_cores\":{:.3},\"rss_kib\":{rss},\"rss_kib_per_call\":{:.1},\"packets_sent\":{sent},\"packets_received\":{received},\"late_or_lost\":{:.6},\"concealed_ms\":{},\"send_errors\":{send_errors},\"wall_s\":{:.2}}}",
        codec.info().name,
        cpu.as_secs_f64() / wall.as_secs_f64(),
        rss.saturating_sub(rss_before) as f64 / calls as f64,
        late_or_lost,
        concealed * 20,
        wall.as_secs_f64(),
    );
}
