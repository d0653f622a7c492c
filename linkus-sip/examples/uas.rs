//! `uas`: a SIP user agent server that answers every INVITE with 200 and an
//! SDP, accepts ACK and BYE, and prints a summary when interrupted (SIGINT)
//! or after `--seconds`.
//!
//! ```text
//! cargo run --release -p linkus-sip --features tokio --example uas -- \
//!     --listen 127.0.0.1:5070 [--transport udp|tcp] [--seconds N] [--stats-every S]
//! ```
//!
//! `--stats-every S` also prints a JSON line every S seconds on stderr with
//! the dialogs up and the resident memory, to sample memory at a load plateau.
//!
//! The summary is one JSON line: calls answered, failed (ended without an
//! ACK or by a transport error), peak concurrent dialogs, and the process's
//! resident memory (now and peak) from `/proc/self/status`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results"
)]
#![allow(
    clippy::disallowed_methods,
    reason = "an application, not a sans-IO core: it may sleep"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts live heap bytes, so the summary can report memory per dialog
/// exactly (RSS keeps freed memory the allocator has not returned).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

#[allow(
    unsafe_code,
    reason = "a global allocator is unsafe by definition; it forwards to System"
)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwards the caller's contract to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwards the caller's contract to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn heap_kib() -> usize {
    LIVE.load(Ordering::Relaxed) / 1024
}

use linkus_sip::driver::Endpoint;
use linkus_sip::ua::{Body, EndReason, SessionEvent, UaEvent};

const SDP: &str = "v=0\r\no=linkus 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn usage() -> ! {
    eprintln!("usage: uas --listen ADDR [--transport udp|tcp] [--seconds N]");
    std::process::exit(2)
}

fn main() {
    let mut listen: Option<SocketAddr> = None;
    let mut tcp = false;
    let mut seconds: Option<u64> = None;
    let mut stats_every: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().and_then(|v| v.parse().ok()),
            "--transport" => match args.next().as_deref() {
                Some("udp") => tcp = false,
                Some("tcp") => tcp = true,
                _ => usage(),
            },
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()),
            "--stats-every" => stats_every = args.next().and_then(|v| v.parse().ok()),
            _ => usage(),
        }
    }
    let Some(listen) = listen else { usage() };
    // One thread: the driver and this loop share it, SIPp gets the other core.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let builder = Endpoint::builder().user_agent("linkus-uas");
        let builder = if tcp { builder.tcp(listen) } else { builder.udp(listen) };
        let (endpoint, mut events) = builder.build().await.expect("bind");
        eprintln!("uas listening on {listen} ({})", if tcp { "tcp" } else { "udp" });
        let (mut answered, mut failed, mut active, mut peak) = (0u64, 0u64, 0u64, 0u64);
        let stop = async {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::pin!(stop);
        let mut ticker = tokio::time::interval(Duration::from_secs(stats_every.unwrap_or(3600).max(1)));
        let started = std::time::Instant::now();
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = ticker.tick(), if stats_every.is_some() => {
                    eprintln!(
                        "{{\"t\":{:.1},\"answered\":{answered},\"dialogs\":{active},\"heap_kib\":{},\"rss_kib\":{}}}",
                        started.elapsed().as_secs_f64(),
                        heap_kib(),
                        status_kib("VmRSS:").unwrap_or(0)
                    );
                }
                ev = events.recv() => match ev {
                    Some(UaEvent::IncomingCall { session, .. }) => {
                        answered += 1;
                        let _ = endpoint.post(move |ua, now| {
                            let _ = ua.answer(now, session, Some(Body::sdp(SDP)));
                        });
                    }
                    Some(UaEvent::Session { event: SessionEvent::Confirmed { .. }, .. }) => {
                        active += 1;
                        peak = peak.max(active);
                    }
                    Some(UaEvent::Session { event: SessionEvent::Ended { reason }, .. }) => match reason {
                        EndReason::RemoteBye | EndReason::Local => active = active.saturating_sub(1),
                        EndReason::Cancelled => {}
                        _ => failed += 1,
                    },
                    Some(_) => {}
                    None => break,
                },
            }
        }
        println!(
            "{{\"calls_answered\":{answered},\"calls_failed\":{failed},\"peak_dialogs\":{peak},\"active_dialogs\":{active},\"rss_kib\":{},\"peak_rss_kib\":{}}}",
            status_kib("VmRSS:").unwrap_or(0),
            status_kib("VmHWM:").unwrap_or(0)
        );
        endpoint.shutdown().await;
    });
}
