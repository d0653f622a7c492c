//! RFC 3263 server location through the driver's DNS client, against a tiny
//! fake DNS server on 127.0.0.1 (a UDP socket answering crafted SRV, A and
//! AAAA responses, with compression pointers): SRV targets in priority
//! order, fallback to A/AAAA without SRV, `register` over SRV, retry after a
//! lost query, stale ids ignored, and truncated/timeout errors.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use linkus_sip::driver::dns::{DnsClient, RecordType};
use linkus_sip::driver::{DnsResolver, Endpoint, Resolver, SrvTarget};
use linkus_sip::message::Uri;
use linkus_sip::message::typed::Transport;
use linkus_sip::{DnsError, Error};
use tokio::net::UdpSocket;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// SRV records: (priority, weight, port, target).
type SrvSet = Vec<(u16, u16, u16, &'static str)>;

/// What the fake server knows.
#[derive(Clone, Default)]
struct Zone {
    /// SRV owner → (priority, weight, port, target). An empty list makes the
    /// name exist without SRV records (NODATA).
    srv: Vec<(&'static str, SrvSet)>,
    /// A records.
    a: Vec<(&'static str, [u8; 4])>,
    /// SRV targets whose A records go in the additional section.
    glue: Vec<&'static str>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Answer,
    /// Ignore the first query (the client must retry).
    DropFirst,
    /// Send a response with the wrong id before the right one.
    WrongIdFirst,
    /// Answer with the TC bit.
    Truncate,
}

type Log = Arc<Mutex<Vec<(String, u16)>>>;

fn encode(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in name.split('.') {
        v.push(l.len() as u8);
        v.extend_from_slice(l.as_bytes());
    }
    v.push(0);
    v
}

/// (qname, qtype, end of the question) of a query.
fn question(q: &[u8]) -> (String, u16, usize) {
    let mut pos = 12;
    let mut labels = Vec::new();
    while q[pos] != 0 {
        let len = q[pos] as usize;
        labels.push(String::from_utf8_lossy(&q[pos + 1..pos + 1 + len]).to_ascii_lowercase());
        pos += 1 + len;
    }
    let qtype = u16::from_be_bytes([q[pos + 1], q[pos + 2]]);
    (labels.join("."), qtype, pos + 5)
}

fn record(out: &mut Vec<u8>, owner: &[u8], rtype: u16, rdata: &[u8]) {
    out.extend_from_slice(owner);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// The response to `q`: answers' owners point to the question (offset 12),
/// glue A records' owners point to the SRV targets inside the answers.
fn respond(q: &[u8], zone: &Zone, truncate: bool) -> Vec<u8> {
    let (name, qtype, qend) = question(q);
    let srv = zone.srv.iter().find(|(n, _)| *n == name).map(|(_, r)| r);
    let a: Vec<[u8; 4]> = zone
        .a
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, ip)| *ip)
        .collect();
    let exists = srv.is_some() || !a.is_empty();
    let mut answers = Vec::new();
    let mut glue = Vec::new();
    let mut count = (0u16, 0u16);
    let base = qend; // answers start right after the question
    match qtype {
        33 => {
            for (prio, weight, port, target) in srv.into_iter().flatten() {
                let mut rdata = Vec::new();
                for x in [*prio, *weight, *port] {
                    rdata.extend_from_slice(&x.to_be_bytes());
                }
                rdata.extend(encode(target));
                let target_at = base + answers.len() + 2 + 10 + 6;
                record(&mut answers, &[0xC0, 12], 33, &rdata);
                count.0 += 1;
                if zone.glue.contains(target) {
                    for (_, ip) in zone.a.iter().filter(|(n, _)| n == target) {
                        let ptr = [0xC0 | (target_at >> 8) as u8, target_at as u8];
                        record(&mut glue, &ptr, 1, ip);
                        count.1 += 1;
                    }
                }
            }
        }
        1 => {
            for ip in &a {
                record(&mut answers, &[0xC0, 12], 1, ip);
                count.0 += 1;
            }
        }
        _ => {}
    }
    let mut flags: u16 = 0x8180;
    if !exists {
        flags |= 3;
    }
    if truncate {
        flags |= 0x0200;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&q[0..2]);
    out.extend_from_slice(&flags.to_be_bytes());
    for c in [1, count.0, 0, count.1] {
        out.extend_from_slice(&c.to_be_bytes());
    }
    out.extend_from_slice(&q[12..qend]);
    out.extend(answers);
    out.extend(glue);
    out
}

/// Starts the fake server; returns its address and the log of (name, qtype) asked.
async fn fake_dns(zone: Zone, mode: Mode) -> (SocketAddr, Log) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        let mut first = true;
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let q = &buf[..n];
            let (name, qtype, _) = question(q);
            seen.lock().unwrap().push((name, qtype));
            if mode == Mode::DropFirst && std::mem::take(&mut first) {
                continue;
            }
            let response = respond(q, &zone, mode == Mode::Truncate);
            if mode == Mode::WrongIdFirst {
                let mut stale = response.clone();
                stale[0] ^= 0xFF;
                socket.send_to(&stale, from).await.unwrap();
            }
            socket.send_to(&response, from).await.unwrap();
        }
    });
    (addr, log)
}

fn resolver(ns: SocketAddr) -> DnsResolver {
    DnsResolver::new(
        DnsClient::new(vec![ns])
            .timeout(Duration::from_secs(2))
            .seed(7),
    )
    .seed(7)
    .system_fallback(false)
}

fn example_zone() -> Zone {
    Zone {
        srv: vec![
            (
                "_sip._udp.example.test",
                vec![
                    (20, 0, 5070, "b.example.test"),
                    (10, 0, 5060, "a.example.test"),
                    (30, 0, 5080, "c.example.test"),
                ],
            ),
            ("_sip._tcp.nodata.test", vec![]),
        ],
        a: vec![
            ("a.example.test", [127, 0, 0, 1]),
            ("b.example.test", [127, 0, 0, 2]),
            ("c.example.test", [127, 0, 0, 3]),
            ("nosrv.test", [127, 0, 0, 4]),
            ("nodata.test", [127, 0, 0, 5]),
        ],
        glue: vec!["a.example.test", "b.example.test"],
    }
}

fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

#[tokio::test]
async fn srv_targets_come_in_priority_order() {
    let (ns, log) = fake_dns(example_zone(), Mode::Answer).await;
    let r = resolver(ns);
    let targets = timeout(WAIT, r.resolve_srv("_sip._udp.example.test"))
        .await
        .unwrap()
        .unwrap();
    let t = |priority, port, target: &str, addrs: Vec<IpAddr>| SrvTarget {
        priority,
        weight: 0,
        port,
        target: target.into(),
        addrs,
    };
    assert_eq!(
        targets,
        vec![
            t(10, 5060, "a.example.test", vec![ip([127, 0, 0, 1])]),
            t(20, 5070, "b.example.test", vec![ip([127, 0, 0, 2])]),
            // No glue for c: resolved by its own A query.
            t(30, 5080, "c.example.test", vec![]),
        ]
    );
    let c = timeout(WAIT, r.resolve("c.example.test", 5080))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c, vec![SocketAddr::from(([127, 0, 0, 3], 5080))]);
    let asked = log.lock().unwrap().clone();
    assert_eq!(asked[0], ("_sip._udp.example.test".into(), 33));
    assert!(asked.contains(&("c.example.test".into(), 1)));
    assert!(asked.contains(&("c.example.test".into(), 28)));
    // A name without SRV records: no targets, not an error.
    let none = timeout(WAIT, r.resolve_srv("_sip._udp.nosrv.test"))
        .await
        .unwrap()
        .unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn resolve_service_takes_the_first_srv_target() {
    let (ns, log) = fake_dns(example_zone(), Mode::Answer).await;
    let (ep, _ev) = Endpoint::builder()
        .udp("127.0.0.1:0".parse().unwrap())
        .resolver(resolver(ns))
        .seed(1)
        .build()
        .await
        .unwrap();
    let peer = timeout(WAIT, ep.resolve_service("example.test", &Transport::Udp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.addr, SocketAddr::from(([127, 0, 0, 1], 5060)));
    assert_eq!(peer.transport, Transport::Udp);
    // An explicit port skips SRV (RFC 3263 §4.2).
    let peer = timeout(
        WAIT,
        ep.resolve_service("b.example.test:5999", &Transport::Udp),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(peer.addr, SocketAddr::from(([127, 0, 0, 2], 5999)));
    assert!(
        !log.lock()
            .unwrap()
            .iter()
            .any(|(n, _)| n.contains("_sip._udp.b.example")),
    );
    ep.shutdown().await;
}

#[tokio::test]
async fn falls_back_to_a_without_srv() {
    let (ns, log) = fake_dns(example_zone(), Mode::Answer).await;
    let (ep, _ev) = Endpoint::builder()
        .udp("127.0.0.1:0".parse().unwrap())
        .resolver(resolver(ns))
        .seed(2)
        .build()
        .await
        .unwrap();
    // NXDOMAIN for the SRV name.
    let peer = timeout(WAIT, ep.resolve_service("nosrv.test", &Transport::Udp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.addr, SocketAddr::from(([127, 0, 0, 4], 5060)));
    // The SRV name exists but has no SRV record (NODATA); TCP asks _sip._tcp.
    let peer = timeout(WAIT, ep.resolve_service("nodata.test", &Transport::Tcp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.addr, SocketAddr::from(([127, 0, 0, 5], 5060)));
    let asked = log.lock().unwrap().clone();
    assert_eq!(asked[0], ("_sip._udp.nosrv.test".into(), 33));
    assert!(asked.contains(&("nosrv.test".into(), 1)));
    assert!(asked.contains(&("_sip._tcp.nodata.test".into(), 33)));
    ep.shutdown().await;
}

#[tokio::test]
async fn register_locates_the_registrar_by_srv_when_asked() {
    let registrar = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = registrar.local_addr().unwrap().port();
    let zone = Zone {
        srv: vec![(
            "_sip._udp.example.test",
            vec![(10, 0, port, "pbx.example.test")],
        )],
        a: vec![("pbx.example.test", [127, 0, 0, 1])],
        glue: vec![],
    };
    let (ns, _log) = fake_dns(zone, Mode::Answer).await;
    let (ep, _ev) = Endpoint::builder()
        .udp("127.0.0.1:0".parse().unwrap())
        .resolver(resolver(ns))
        .srv_lookup(true)
        .seed(3)
        .build()
        .await
        .unwrap();
    let aor = Uri::parse("sip:1001@example.test").unwrap();
    timeout(WAIT, ep.register("example.test", Transport::Udp, aor, None))
        .await
        .unwrap()
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let (n, _) = timeout(WAIT, registrar.recv_from(&mut buf))
        .await
        .expect("REGISTER in time")
        .unwrap();
    assert!(
        buf[..n].starts_with(b"REGISTER sip:example.test SIP/2.0\r\n"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    // Dropped without shutdown: nobody answers the REGISTER.
    drop(ep);
}

#[tokio::test]
async fn retries_a_lost_query_and_ignores_stale_ids() {
    let (ns, log) = fake_dns(example_zone(), Mode::DropFirst).await;
    let r = DnsResolver::new(DnsClient::new(vec![ns]).timeout(Duration::from_millis(300)))
        .system_fallback(false);
    let targets = timeout(WAIT, r.resolve_srv("_sip._udp.example.test"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(targets.len(), 3);
    assert_eq!(log.lock().unwrap().len(), 2, "one query, one retry");

    let (ns, log) = fake_dns(example_zone(), Mode::WrongIdFirst).await;
    let client = DnsClient::new(vec![ns]).timeout(Duration::from_secs(5));
    let m = timeout(WAIT, client.query("a.example.test", RecordType::A))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.addresses("a.example.test"), vec![ip([127, 0, 0, 1])]);
    assert_eq!(log.lock().unwrap().len(), 1, "no retry needed");
}

#[tokio::test]
async fn truncated_responses_and_timeouts_are_typed_errors() {
    let (ns, _log) = fake_dns(example_zone(), Mode::Truncate).await;
    let r = resolver(ns);
    assert_eq!(
        timeout(WAIT, r.resolve_srv("_sip._udp.example.test"))
            .await
            .unwrap(),
        Err(Error::Dns(DnsError::Truncated))
    );
    // A nameserver that never answers: 2 tries of 100 ms.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let client = DnsClient::new(vec![silent.local_addr().unwrap()])
        .timeout(Duration::from_millis(100))
        .attempts(2);
    let started = tokio::time::Instant::now();
    assert_eq!(
        timeout(WAIT, client.query("example.test", RecordType::Srv))
            .await
            .unwrap()
            .unwrap_err(),
        Error::Dns(DnsError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // SRV errors other than "no record" are not papered over by the fallback.
    let (ep, _ev) = Endpoint::builder()
        .udp("127.0.0.1:0".parse().unwrap())
        .resolver(resolver(ns))
        .seed(4)
        .build()
        .await
        .unwrap();
    assert_eq!(
        timeout(WAIT, ep.resolve_service("example.test", &Transport::Udp))
            .await
            .unwrap(),
        Err(Error::Dns(DnsError::Truncated))
    );
    ep.shutdown().await;
    drop(silent);
}

static NEXT_DIR: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A CA and a certificate for 127.0.0.1, ::1 and localhost, made with
/// openssl by the test kit: (CA PEM, certificate PEM, key PEM).
fn test_ca() -> (String, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "linkus-dns-srv-tls-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let certs = linkus_testkit::TestCerts::generate(&dir).unwrap();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let out = (
        read(&certs.ca_cert),
        read(&certs.server_cert),
        read(&certs.server_key),
    );
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// TLS asks `_sips._tcp.<domain>` and checks the certificate against the
/// domain, not the SRV target: the server's certificate names `localhost`
/// and the SRV target is `node1.test`, so the call only gets through if
/// the domain was remembered as the TLS server name.
#[tokio::test]
async fn tls_over_srv_checks_the_certificate_against_the_domain() {
    use linkus_sip::driver::TlsConfig;
    use linkus_sip::message::typed::NameAddr;
    use linkus_sip::ua::{InviteConfig, UaEvent};

    let (ca, cert, key) = test_ca();
    let server_tls = TlsConfig::with_ca_pem(ca.as_bytes())
        .unwrap()
        .with_server_identity(cert.as_bytes(), key.as_bytes())
        .unwrap();
    let (bob, mut bob_ev) = Endpoint::builder()
        .tls(Some("127.0.0.1:0".parse().unwrap()), server_tls)
        .seed(20)
        .build()
        .await
        .unwrap();
    let port = bob.local_addr(&Transport::Tls).unwrap().port();
    let zone = Zone {
        srv: vec![("_sips._tcp.localhost", vec![(10, 0, port, "node1.test")])],
        a: vec![("node1.test", [127, 0, 0, 1])],
        glue: vec!["node1.test"],
    };
    let (ns, log) = fake_dns(zone, Mode::Answer).await;
    let (alice, _alice_ev) = Endpoint::builder()
        .tls(None, TlsConfig::with_ca_pem(ca.as_bytes()).unwrap())
        .udp("127.0.0.1:0".parse().unwrap())
        .resolver(resolver(ns))
        .seed(21)
        .build()
        .await
        .unwrap();
    let peer = timeout(WAIT, alice.resolve_service("localhost", &Transport::Tls))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.addr, SocketAddr::from(([127, 0, 0, 1], port)));
    assert_eq!(log.lock().unwrap()[0], ("_sips._tcp.localhost".into(), 33));
    let cfg = InviteConfig {
        target: Uri::parse("sips:bob@localhost").unwrap(),
        from: NameAddr::new(Uri::parse("sips:alice@example.test").unwrap()),
        peer,
        route: Vec::new(),
        offer: None,
        extra_headers: Vec::new(),
        account: None,
        credentials: None,
    };
    alice
        .with_ua(move |ua, now| ua.invite(now, cfg))
        .await
        .unwrap()
        .unwrap();
    loop {
        let ev = timeout(WAIT, bob_ev.recv())
            .await
            .expect("the INVITE over TLS in time")
            .expect("alive");
        if let UaEvent::IncomingCall { session, .. } = ev {
            // Busy: the INVITE transaction ends, and so does shutdown, at once.
            bob.with_ua(move |ua, now| ua.reject(now, session, 486))
                .await
                .unwrap()
                .unwrap();
            break;
        }
    }
    alice.shutdown().await;
    bob.shutdown().await;
}
