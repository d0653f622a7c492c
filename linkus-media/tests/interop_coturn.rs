//! ICE through a real TURN server: coturn on 127.0.0.1 (linkus-testkit's
//! [`Coturn`]), with std UDP sockets on loopback and bounded waits.
//!
//! Agent A gathers a relayed candidate with long-term credentials (and
//! advertises only that one), agent B is host-only; the checks succeed, A's
//! selected pair uses the relay, and RTP-like datagrams go both ways
//! through it. A wrong password is a typed error. Also: both sides
//! relayed, ICE restart and consent freshness through the relay, and coturn
//! as a plain STUN server.
#![allow(
    clippy::disallowed_methods,
    reason = "an interop test drives real sockets with the wall clock"
)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use linkus_media::ice::{
    CandidateKind, IceAgent, IceConfig, IceError, IceEvent, IceRole, Received, TurnServer,
};
use linkus_testkit::Coturn;

/// One agent with its socket.
struct Side {
    agent: IceAgent,
    sock: UdpSocket,
    addr: SocketAddr,
    events: Vec<IceEvent>,
    media: Vec<(SocketAddr, Vec<u8>)>,
}

impl Side {
    fn new(config: IceConfig, now: Instant) -> Side {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_nonblocking(true).unwrap();
        let addr = sock.local_addr().unwrap();
        let mut agent = IceAgent::new(config).unwrap();
        agent.add_local_address(now, addr).unwrap();
        Side {
            agent,
            sock,
            addr,
            events: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Sends what the agent queued, reads what arrived, runs its timers.
    fn pump(&mut self) {
        while let Some(t) = self.agent.poll_transmit() {
            assert_eq!(t.from, self.addr);
            self.sock.send_to(&t.data, t.to).unwrap();
        }
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = self.sock.recv_from(&mut buf) {
            match self
                .agent
                .handle_datagram(Instant::now(), from, self.addr, &buf[..n])
            {
                Received::Media { from } => self.media.push((from, buf[..n].to_vec())),
                Received::RelayedMedia { from, payload } => self.media.push((from, payload)),
                Received::Consumed | Received::Discarded => {}
            }
        }
        let now = Instant::now();
        if self.agent.poll_timeout().is_some_and(|t| t <= now) {
            self.agent.handle_timeout(now);
        }
        while let Some(t) = self.agent.poll_transmit() {
            self.sock.send_to(&t.data, t.to).unwrap();
        }
        while let Some(e) = self.agent.poll_event() {
            self.events.push(e);
        }
    }
}

/// Pumps both sides until `done` or `timeout` (wall clock); returns
/// whether `done` held.
fn run(
    sides: &mut [&mut Side],
    timeout: Duration,
    mut done: impl FnMut(&[&mut Side]) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        for s in sides.iter_mut() {
            s.pump();
        }
        if done(sides) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

fn turn_config(server: SocketAddr, password: &str) -> IceConfig {
    let mut c = IceConfig::new(IceRole::Controlling);
    c.turn_servers = vec![TurnServer {
        addr: server,
        username: "alice".into(),
        password: password.into(),
    }];
    c.relay_only = true;
    c
}

#[test]
fn relayed_candidate_through_coturn_carries_media_both_ways() {
    let coturn = Coturn::start().expect("coturn starts (scripts/apt-install.sh coturn)");
    let server = coturn.addr();
    let t0 = Instant::now();
    let mut a = Side::new(turn_config(server, "secret"), t0);
    let mut b = Side::new(IceConfig::new(IceRole::Controlled), t0);

    // A allocates a relayed candidate on coturn.
    let gathered = run(&mut [&mut a], Duration::from_secs(10), |s| {
        s[0].events.contains(&IceEvent::GatheringComplete)
    });
    assert!(gathered, "no allocation: {:?}\n{}", a.events, coturn.log());
    let relayed = a.agent.relayed_address(server).expect("an allocation");
    let (lo, hi) = coturn.relay_ports();
    assert!(
        relayed.ip().is_loopback() && (lo..=hi).contains(&relayed.port()),
        "{relayed}"
    );
    let a_cands: Vec<_> = a.agent.local_candidates().cloned().collect();
    assert_eq!(a_cands.len(), 1, "relay only: {a_cands:?}");
    assert_eq!(a_cands[0].kind(), CandidateKind::Relayed);
    assert_eq!(a_cands[0].addr(), relayed);
    assert!(
        a.events
            .iter()
            .all(|e| !matches!(e, IceEvent::GatheringFailed { .. }))
    );

    // Offer/answer.
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone())
        .unwrap();
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone())
        .unwrap();
    for c in &a_cands {
        b.agent
            .add_remote_candidate(c.to_string().parse().unwrap())
            .unwrap();
    }
    for c in b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        a.agent.add_remote_candidate(c).unwrap();
    }

    let connected = run(&mut [&mut a, &mut b], Duration::from_secs(15), |s| {
        s.iter().all(|s| s.agent.is_connected())
    });
    assert!(
        connected,
        "a {:?}\nb {:?}\n{}",
        a.events,
        b.events,
        coturn.log()
    );
    let (al, ar) = a.agent.selected_pair().unwrap();
    assert_eq!(al.kind(), CandidateKind::Relayed);
    assert_eq!(al.addr(), relayed);
    assert_eq!(ar.addr(), b.addr);
    let (bl, br) = b.agent.selected_pair().unwrap();
    assert_eq!(bl.addr(), b.addr);
    assert_eq!(br.addr(), relayed, "B talks to A's relayed address");

    // RTP-like datagrams both ways through the relay.
    const N: usize = 20;
    for i in 0..N {
        let mut rtp = vec![0x80, 0x00, 0x00, i as u8];
        rtp.extend_from_slice(&[0xA5; 160]);
        let t = a.agent.send(Instant::now(), &rtp).unwrap();
        assert_eq!(t.to, server, "A's media goes to the TURN server");
        a.sock.send_to(&t.data, t.to).unwrap();
        rtp[1] = 0x08;
        let t = b.agent.send(Instant::now(), &rtp).unwrap();
        assert_eq!(t.to, relayed);
        b.sock.send_to(&t.data, t.to).unwrap();
        run(&mut [&mut a, &mut b], Duration::from_millis(5), |_| false);
    }
    let all = run(&mut [&mut a, &mut b], Duration::from_secs(5), |s| {
        s[0].media.len() >= N && s[1].media.len() >= N
    });
    assert!(all, "a got {}, b got {}", a.media.len(), b.media.len());
    for (from, payload) in &a.media {
        assert_eq!(*from, b.addr);
        assert_eq!(payload.len(), 164);
        assert_eq!(payload[1], 0x08);
    }
    for (from, payload) in &b.media {
        assert_eq!(*from, relayed, "B sees A's media coming from the relay");
        assert_eq!(payload.len(), 164);
        assert_eq!(payload[1], 0x00);
    }
    let seqs: Vec<u8> = b.media.iter().map(|(_, p)| p[3]).collect();
    assert_eq!(seqs, (0..N as u8).collect::<Vec<_>>());

    // Release the allocation.
    a.agent.close(Instant::now());
    run(&mut [&mut a], Duration::from_millis(300), |_| false);
}

#[test]
fn wrong_turn_password_is_a_typed_error() {
    let coturn = Coturn::start().expect("coturn starts (scripts/apt-install.sh coturn)");
    let server = coturn.addr();
    let mut a = Side::new(turn_config(server, "not-the-secret"), Instant::now());
    let failed = run(&mut [&mut a], Duration::from_secs(10), |s| {
        s[0].events.contains(&IceEvent::GatheringComplete)
    });
    assert!(failed, "{:?}\n{}", a.events, coturn.log());
    assert!(
        a.events.contains(&IceEvent::GatheringFailed {
            server,
            error: IceError::TurnUnauthorized { server },
        }),
        "{:?}",
        a.events
    );
    assert!(a.agent.relayed_address(server).is_none());
    assert_eq!(a.agent.local_candidates().count(), 0);
    let error: linkus_media::Error = IceError::TurnUnauthorized { server }.into();
    assert!(error.to_string().contains("rejected the credentials"));
}

#[test]
fn coturn_as_stun_server_completes_gathering() {
    let coturn = Coturn::start().expect("coturn starts (scripts/apt-install.sh coturn)");
    let mut config = IceConfig::new(IceRole::Controlling);
    config.stun_servers = vec![coturn.addr()];
    let mut a = Side::new(config, Instant::now());
    let done = run(&mut [&mut a], Duration::from_secs(10), |s| {
        s[0].events.contains(&IceEvent::GatheringComplete)
    });
    assert!(done, "{:?}", a.events);
    assert!(
        a.events
            .iter()
            .all(|e| !matches!(e, IceEvent::GatheringFailed { .. }))
    );
    // On loopback the reflexive address is the host address itself: no
    // redundant server-reflexive candidate.
    let kinds: Vec<_> = a.agent.local_candidates().map(|c| c.kind()).collect();
    assert_eq!(kinds, [CandidateKind::Host]);
}

#[test]
fn both_sides_relayed_through_coturn() {
    let coturn = Coturn::start().expect("coturn starts (scripts/apt-install.sh coturn)");
    let server = coturn.addr();
    let t0 = Instant::now();
    let mut a = Side::new(turn_config(server, "secret"), t0);
    let mut b_config = turn_config(server, "secret");
    b_config.role = IceRole::Controlled;
    let mut b = Side::new(b_config, t0);
    let gathered = run(&mut [&mut a, &mut b], Duration::from_secs(10), |s| {
        s.iter()
            .all(|s| s.events.contains(&IceEvent::GatheringComplete))
    });
    assert!(gathered, "a {:?}\nb {:?}", a.events, b.events);
    let (ra, rb) = (
        a.agent.relayed_address(server).unwrap(),
        b.agent.relayed_address(server).unwrap(),
    );
    assert_ne!(ra, rb);
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone())
        .unwrap();
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone())
        .unwrap();
    for c in b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        a.agent.add_remote_candidate(c).unwrap();
    }
    for c in a.agent.local_candidates().cloned().collect::<Vec<_>>() {
        b.agent.add_remote_candidate(c).unwrap();
    }
    let connected = run(&mut [&mut a, &mut b], Duration::from_secs(15), |s| {
        s.iter().all(|s| s.agent.is_connected())
    });
    assert!(
        connected,
        "a {:?}\nb {:?}\n{}",
        a.events,
        b.events,
        coturn.log()
    );
    let (al, ar) = a.agent.selected_pair().unwrap();
    assert_eq!((al.addr(), ar.addr()), (ra, rb));
    let (bl, br) = b.agent.selected_pair().unwrap();
    assert_eq!((bl.addr(), br.addr()), (rb, ra));
    for i in 0..5u8 {
        let t = a.agent.send(Instant::now(), &[0x80, 0, 0, i]).unwrap();
        a.sock.send_to(&t.data, t.to).unwrap();
        let t = b.agent.send(Instant::now(), &[0x80, 8, 0, i]).unwrap();
        b.sock.send_to(&t.data, t.to).unwrap();
    }
    let all = run(&mut [&mut a, &mut b], Duration::from_secs(5), |s| {
        s.iter().all(|s| s.media.len() >= 5)
    });
    assert!(all, "a got {:?}, b got {:?}", a.media, b.media);
    assert!(a.media.iter().all(|(from, p)| *from == rb && p[1] == 8));
    assert!(b.media.iter().all(|(from, p)| *from == ra && p[1] == 0));
}

/// Exchanges credentials and candidates (what SDP would carry).
fn signal(a: &mut Side, b: &mut Side) {
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone())
        .unwrap();
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone())
        .unwrap();
    for c in b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        a.agent.add_remote_candidate(c).unwrap();
    }
    for c in a.agent.local_candidates().cloned().collect::<Vec<_>>() {
        b.agent.add_remote_candidate(c).unwrap();
    }
}

fn selections(s: &Side) -> usize {
    s.events
        .iter()
        .filter(|e| matches!(e, IceEvent::SelectedPair { .. }))
        .count()
}

#[test]
fn restart_and_consent_over_the_relay() {
    let coturn = Coturn::start().expect("coturn starts (scripts/apt-install.sh coturn)");
    let server = coturn.addr();
    let t0 = Instant::now();
    // Short consent timers so that the test is quick.
    let mut a_config = turn_config(server, "secret");
    a_config.consent_interval = Duration::from_millis(250);
    a_config.consent_timeout = Duration::from_secs(2);
    let mut a = Side::new(a_config, t0);
    let mut b = Side::new(IceConfig::new(IceRole::Controlled), t0);
    assert!(run(&mut [&mut a], Duration::from_secs(10), |s| {
        s[0].events.contains(&IceEvent::GatheringComplete)
    }));
    let relayed = a.agent.relayed_address(server).unwrap();
    signal(&mut a, &mut b);
    assert!(run(&mut [&mut a, &mut b], Duration::from_secs(15), |s| {
        s.iter().all(|s| s.agent.is_connected())
    }));

    // Both restart (new credentials); the allocation is kept.
    let old = a.agent.local_credentials().clone();
    a.agent.restart().unwrap();
    b.agent.restart().unwrap();
    assert_ne!(a.agent.local_credentials(), &old);
    signal(&mut a, &mut b);
    let reselected = run(&mut [&mut a, &mut b], Duration::from_secs(15), |s| {
        s.iter().all(|s| selections(s) == 2)
    });
    assert!(reselected, "a {:?}\nb {:?}", a.events, b.events);
    assert_eq!(a.agent.selected_pair().unwrap().0.addr(), relayed);
    let t = a.agent.send(Instant::now(), &[0x80, 0, 0, 9]).unwrap();
    a.sock.send_to(&t.data, t.to).unwrap();
    assert!(run(&mut [&mut a, &mut b], Duration::from_secs(5), |s| {
        !s[1].media.is_empty()
    }));
    assert_eq!(b.media[0], (relayed, vec![0x80, 0, 0, 9]));

    // Consent stays fresh through the relay for a few timeouts' worth...
    let lost = run(&mut [&mut a, &mut b], Duration::from_secs(3), |s| {
        s[0].events.contains(&IceEvent::ConsentLost)
    });
    assert!(!lost, "{:?}", a.events);
    // ...and is lost about 2 s after B stops answering.
    let silent_from = Instant::now();
    let lost = run(&mut [&mut a], Duration::from_secs(10), |s| {
        s[0].events.contains(&IceEvent::ConsentLost)
    });
    let after = silent_from.elapsed();
    assert!(lost, "{:?}", a.events);
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(5),
        "{after:?}"
    );
    assert!(a.agent.send(Instant::now(), &[0x80]).is_err());
}
