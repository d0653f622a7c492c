//! Loopback ports and a minimal SIP OPTIONS probe.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::{Error, Result, Transport};

/// The address every peer listens on.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// How many random ports a port search tries before it gives up.
const PORT_TRIES: usize = 64;

/// A loopback port that is free for both UDP and TCP right now (bound with
/// port 0, then released). Another process may take it before the peer
/// binds it; the window is short and the launchers report a failed bind as
/// an early exit.
pub fn free_port() -> Result<u16> {
    free_ports(1)
}

/// The first of `n` consecutive loopback ports that are all free for UDP
/// and TCP (baresip binds `port + 1` for TLS beside its SIP port).
pub fn free_ports(n: u16) -> Result<u16> {
    for _ in 0..PORT_TRIES {
        let first = TcpListener::bind((LOOPBACK, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::io("binding a loopback port", e))?
            .port();
        if first.checked_add(n).is_none() {
            continue;
        }
        if (first..first + n).all(port_is_free) {
            return Ok(first);
        }
    }
    Err(Error::io(
        format!("finding {n} free consecutive loopback port(s)"),
        std::io::ErrorKind::AddrInUse.into(),
    ))
}

fn port_is_free(port: u16) -> bool {
    let tcp = TcpListener::bind((LOOPBACK, port));
    let udp = UdpSocket::bind((LOOPBACK, port));
    tcp.is_ok() && udp.is_ok()
}

/// Whether some socket is bound to `port` on 127.0.0.1 (or any address):
/// a UDP socket, or a TCP socket in LISTEN state, read from
/// `/proc/net/{udp,tcp}` without touching the port.
pub fn port_bound(port: u16) -> bool {
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    ["/proc/net/udp", "/proc/net/tcp"].iter().any(|file| {
        let Ok(table) = std::fs::read_to_string(file) else {
            return false;
        };
        table.lines().skip(1).any(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1).unwrap_or("");
            let state = cols.nth(1).unwrap_or("");
            let listening = file.ends_with("udp") || state == "0A";
            listening && wanted.iter().any(|w| w == local)
        })
    })
}

/// Builds an out-of-dialog OPTIONS request to `target` from `local`.
pub fn options_request(transport: Transport, local: SocketAddr, target: SocketAddr) -> String {
    static CALL: AtomicU32 = AtomicU32::new(0);
    let n = CALL.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let via = transport.via_name();
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\n\
         Via: SIP/2.0/{via} {local};branch=z9hG4bK-testkit-{pid}-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:{target}>\r\n\
         From: <sip:probe@{local}>;tag=probe{n}\r\n\
         Call-ID: testkit-probe-{pid}-{n}@{local}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Accept: application/sdp\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The status code of a SIP response's status line.
pub fn status_code(response: &str) -> Option<u16> {
    let line = response.lines().next()?;
    let mut parts = line.split(' ');
    if parts.next()? != "SIP/2.0" {
        return None;
    }
    parts.next()?.parse().ok()
}

/// Sends one OPTIONS over UDP to `target` and returns the status code of the
/// response (retransmitting every 200 ms until `timeout`).
pub fn options_udp(target: SocketAddr, timeout: Duration) -> Result<u16> {
    let sock = UdpSocket::bind((LOOPBACK, 0)).map_err(|e| Error::io("binding UDP", e))?;
    let local = sock.local_addr().map_err(|e| Error::io("local_addr", e))?;
    let request = options_request(Transport::Udp, local, target);
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| Error::io("set_read_timeout", e))?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < deadline {
        // A refused datagram (nobody listening yet) shows as an error on
        // the next call: keep trying until the deadline.
        let _ = sock.send_to(request.as_bytes(), target);
        match sock.recv_from(&mut buf) {
            Ok((n, from)) if from == target => {
                let text = String::from_utf8_lossy(&buf[..n]);
                if let Some(code) = status_code(&text) {
                    return Ok(code);
                }
            }
            Ok(_) | Err(_) => {}
        }
    }
    Err(Error::Timeout {
        what: format!("an OPTIONS response over UDP from {target}"),
        after: timeout,
    })
}

/// Sends one OPTIONS over a new TCP connection to `target` and returns the
/// status code of the response.
pub fn options_tcp(target: SocketAddr, timeout: Duration) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&target, timeout)
        .map_err(|e| Error::io(format!("connecting to {target}"), e))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| Error::io("set_read_timeout", e))?;
    let local = stream
        .local_addr()
        .map_err(|e| Error::io("local_addr", e))?;
    let request = options_request(Transport::Tcp, local, target);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| Error::io(format!("writing to {target}"), e))?;
    let deadline = Instant::now() + timeout;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && received.len() < 65_536 {
        let n = stream
            .read(&mut buf)
            .map_err(|e| Error::io(format!("reading from {target}"), e))?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
        if received.windows(4).any(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&received);
            return status_code(&text).ok_or_else(|| Error::Protocol {
                peer: target.to_string(),
                detail: format!("not a SIP response: {text:?}"),
            });
        }
    }
    Err(Error::Timeout {
        what: format!("an OPTIONS response over TCP from {target}"),
        after: timeout,
    })
}

/// Calls `check` every `interval` until it returns `Ok(true)`, an error, or
/// `timeout` passes ([`Error::Timeout`] naming `what`).
pub fn wait_until(
    what: &str,
    timeout: Duration,
    interval: Duration,
    mut check: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if check()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: what.to_owned(),
                after: timeout,
            });
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_reads_the_status_line() {
        assert_eq!(status_code("SIP/2.0 200 OK\r\n\r\n"), Some(200));
        assert_eq!(status_code("SIP/2.0 401 Unauthorized\r\n"), Some(401));
        assert_eq!(status_code("OPTIONS sip:a SIP/2.0\r\n"), None);
    }

    #[test]
    fn port_bound_sees_a_udp_socket() {
        let sock = UdpSocket::bind((LOOPBACK, 0)).unwrap();
        let port = sock.local_addr().unwrap().port();
        assert!(port_bound(port));
        drop(sock);
        assert!(!port_bound(port));
    }

    #[test]
    fn free_ports_are_consecutive_and_free() {
        let first = free_ports(2).unwrap();
        assert!(port_is_free(first) && port_is_free(first + 1));
    }
}
