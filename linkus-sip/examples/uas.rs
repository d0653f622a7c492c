//! `uas`: a SIP user agent server that answers every INVITE with 200 and an
//! SDP, accepts ACK and BYE, and prints a summary when interrupted (SIGINT)
//! or after `--seconds`.
//!
//! ```text
//! cargo run --release -p linkus-sip --features tokio --example uas -- \
//!     --listen 127.0.0.1:5070 [--transport udp|tcp] [--seconds N]
//! ```
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

use std::net::SocketAddr;
use std::time::Duration;

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
        loop {
            tokio::select! {
                () = &mut stop => break,
                ev = events.recv() => match ev {
                    Some(UaEvent::IncomingCall { session, .. }) => {
                        let _ = endpoint.post(move |ua, now| {
                            let _ = ua.answer(now, session, Some(Body::sdp(SDP)));
                        });
                    }
                    Some(UaEvent::Session { event: SessionEvent::Confirmed { .. }, .. }) => {
                        answered += 1;
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
