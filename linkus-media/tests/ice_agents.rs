//! Two sans-IO ICE agents on loopback addresses, connected through an
//! in-process network with a virtual clock: host candidates, regular and
//! aggressive nomination, peer-reflexive discovery, consent freshness, ICE
//! restart, role conflicts and the ICE switch. No socket is opened.
#![allow(
    clippy::disallowed_methods,
    reason = "the tests take one Instant as the origin of their virtual clock"
)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use linkus_media::ice::{
    Candidate, CandidateKind, IceAgent, IceConfig, IceError, IceEvent, IceRole, IceState,
    Nomination, Received, Transmit,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Latency of the virtual network.
const LATENCY: Duration = Duration::from_millis(5);
/// The longest virtual time one test may run.
const HORIZON: Duration = Duration::from_secs(120);

struct Peer {
    agent: IceAgent,
    addrs: Vec<SocketAddr>,
    events: Vec<IceEvent>,
    /// Media received (from, payload).
    media: Vec<(SocketAddr, Vec<u8>)>,
    /// While false, every datagram to this peer is lost.
    reachable: bool,
}

impl Peer {
    fn new(config: IceConfig, addrs: &[&str], t0: Instant) -> Peer {
        let mut agent = IceAgent::new(config).unwrap();
        let addrs: Vec<SocketAddr> = addrs.iter().map(|a| addr(a)).collect();
        for a in &addrs {
            agent.add_local_address(t0, *a).unwrap();
        }
        Peer {
            agent,
            addrs,
            events: Vec::new(),
            media: Vec::new(),
            reachable: true,
        }
    }

    fn drain_events(&mut self) {
        while let Some(e) = self.agent.poll_event() {
            self.events.push(e);
        }
    }

    fn selected_events(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, IceEvent::SelectedPair { .. }))
            .count()
    }
}

/// Exchanges credentials and candidates as an offer/answer would.
fn signal(a: &mut Peer, b: &mut Peer) {
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone())
        .unwrap();
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone())
        .unwrap();
    // Through the SDP text, as the sdp module carries it.
    for c in b.agent.local_candidates().cloned().collect::<Vec<_>>() {
        let line: Candidate = c.to_string().parse().unwrap();
        a.agent.add_remote_candidate(line).unwrap();
    }
    for c in a.agent.local_candidates().cloned().collect::<Vec<_>>() {
        let line: Candidate = format!("a={c}").parse().unwrap();
        b.agent.add_remote_candidate(line).unwrap();
    }
}

struct Net {
    now: Instant,
    t0: Instant,
    in_flight: Vec<(Instant, Transmit)>,
    delivered: usize,
    /// Every Binding request sent: (sender, whether it had USE-CANDIDATE).
    requests: Vec<(SocketAddr, bool)>,
}

/// The attribute types of a STUN message (for inspecting checks).
fn stun_attributes(d: &[u8]) -> Vec<u16> {
    let mut types = Vec::new();
    let mut at = 20;
    while at + 4 <= d.len() {
        types.push(u16::from_be_bytes([d[at], d[at + 1]]));
        let len = usize::from(u16::from_be_bytes([d[at + 2], d[at + 3]]));
        at += 4 + len.div_ceil(4) * 4;
    }
    types
}

impl Net {
    fn new(t0: Instant) -> Net {
        Net {
            now: t0,
            t0,
            in_flight: Vec::new(),
            delivered: 0,
            requests: Vec::new(),
        }
    }

    fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    fn collect(&mut self, p: &mut Peer) {
        while let Some(t) = p.agent.poll_transmit() {
            assert!(p.addrs.contains(&t.from), "sent from a foreign socket");
            if t.data.len() >= 20 && t.data[..2] == [0x00, 0x01] {
                let use_candidate = stun_attributes(&t.data).contains(&0x0025);
                self.requests.push((t.from, use_candidate));
            }
            self.in_flight.push((self.now + LATENCY, t));
        }
        p.drain_events();
    }

    fn deliver(&mut self, t: Transmit, peers: &mut [&mut Peer]) {
        let Some(p) = peers.iter_mut().find(|p| p.addrs.contains(&t.to)) else {
            return;
        };
        if !p.reachable {
            return;
        }
        self.delivered += 1;
        match p.agent.handle_datagram(self.now, t.from, t.to, &t.data) {
            Received::Media { from } => p.media.push((from, t.data)),
            Received::RelayedMedia { from, payload } => p.media.push((from, payload)),
            Received::Consumed | Received::Discarded => {}
        }
    }

    /// Runs the network until `done` holds or `limit` of virtual time
    /// passes; returns whether `done` held.
    fn run_until(
        &mut self,
        peers: &mut [&mut Peer],
        limit: Duration,
        mut done: impl FnMut(&[&mut Peer]) -> bool,
    ) -> bool {
        let end = (self.now + limit).min(self.t0 + HORIZON);
        loop {
            for p in peers.iter_mut() {
                self.collect(p);
            }
            if done(peers) {
                return true;
            }
            // The next instant anything happens.
            let next_delivery = self.in_flight.iter().map(|(at, _)| *at).min();
            let next_timer = peers.iter().filter_map(|p| p.agent.poll_timeout()).min();
            let next = [next_delivery, next_timer]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(end)
                .max(self.now)
                .min(end);
            if next >= end && self.now >= end {
                return false;
            }
            self.now = next.max(self.now);
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|(at, _)| *at <= self.now);
            self.in_flight = later;
            for (_, t) in due {
                self.deliver(t, peers);
            }
            for p in peers.iter_mut() {
                if p.agent.poll_timeout().is_some_and(|t| t <= self.now) {
                    p.agent.handle_timeout(self.now);
                    // A timer that stays due would spin the caller's loop.
                    let next = p.agent.poll_timeout();
                    assert!(
                        next.is_none_or(|t| t > self.now),
                        "timer still due after handle_timeout"
                    );
                }
            }
            if self.now >= end {
                for p in peers.iter_mut() {
                    self.collect(p);
                }
                return done(peers);
            }
        }
    }
}

fn both_connected(p: &[&mut Peer]) -> bool {
    p.iter().all(|p| p.agent.is_connected())
}

fn config(role: IceRole, nomination: Nomination) -> IceConfig {
    let mut c = IceConfig::new(role);
    c.nomination = nomination;
    c
}

/// The pairs the two agents selected are the two ends of one path.
fn assert_same_path(a: &Peer, b: &Peer) {
    let (al, ar) = a.agent.selected_pair().expect("a selected a pair");
    let (bl, br) = b.agent.selected_pair().expect("b selected a pair");
    assert_eq!(al.addr(), br.addr(), "a's local is b's remote");
    assert_eq!(bl.addr(), ar.addr(), "b's local is a's remote");
}

/// Media goes both ways on the selected pair.
fn exchange_media(net: &mut Net, a: &mut Peer, b: &mut Peer) {
    let (na, nb) = (a.media.len(), b.media.len());
    let ta = a
        .agent
        .send(net.now, b"\x80\x00\x00\x01rtp-from-a")
        .unwrap();
    let tb = b
        .agent
        .send(net.now, b"\x80\x00\x00\x01rtp-from-b")
        .unwrap();
    net.in_flight.push((net.now, ta));
    net.in_flight.push((net.now, tb));
    net.run_until(&mut [a, b], Duration::from_millis(100), |p| {
        p[0].media.len() > na && p[1].media.len() > nb
    });
    assert_eq!(a.media.last().unwrap().1, b"\x80\x00\x00\x01rtp-from-b");
    assert_eq!(b.media.last().unwrap().1, b"\x80\x00\x00\x01rtp-from-a");
}

fn connect(nomination: Nomination, a_addrs: &[&str], b_addrs: &[&str]) -> (Net, Peer, Peer) {
    let t0 = Instant::now();
    let mut a = Peer::new(config(IceRole::Controlling, nomination), a_addrs, t0);
    let mut b = Peer::new(config(IceRole::Controlled, nomination), b_addrs, t0);
    signal(&mut a, &mut b);
    let mut net = Net::new(t0);
    let ok = net.run_until(
        &mut [&mut a, &mut b],
        Duration::from_secs(10),
        both_connected,
    );
    assert!(ok, "not connected: a {:?}, b {:?}", a.events, b.events);
    (net, a, b)
}

#[test]
fn host_candidates_connect_with_regular_nomination() {
    let (mut net, mut a, mut b) = connect(
        Nomination::Regular,
        &["127.0.0.1:40000"],
        &["127.0.0.1:40002"],
    );
    assert!(
        net.elapsed() < Duration::from_secs(2),
        "{:?}",
        net.elapsed()
    );
    assert_same_path(&a, &b);
    assert_eq!(a.selected_events(), 1);
    assert_eq!(b.selected_events(), 1);
    // Regular nomination: an ordinary check first, then one with
    // USE-CANDIDATE from the controlling side only.
    let from_a: Vec<bool> = net
        .requests
        .iter()
        .filter(|r| r.0 == a.addrs[0])
        .map(|r| r.1)
        .collect();
    assert_eq!(from_a.first(), Some(&false), "{from_a:?}");
    assert_eq!(from_a.iter().filter(|u| **u).count(), 1, "{from_a:?}");
    assert!(
        net.requests
            .iter()
            .filter(|r| r.0 == b.addrs[0])
            .all(|r| !r.1)
    );
    for p in [&a, &b] {
        assert!(p.events.contains(&IceEvent::GatheringComplete));
        assert!(
            p.events
                .contains(&IceEvent::StateChanged(IceState::Connected))
        );
        let gathered = p
            .events
            .iter()
            .filter(|e| matches!(e, IceEvent::CandidateGathered(_)))
            .count();
        assert_eq!(gathered, 1);
    }
    exchange_media(&mut net, &mut a, &mut b);
    // The SDP attributes of the agent.
    let sdp = a.agent.sdp_attributes();
    assert!(sdp[0].starts_with("a=ice-ufrag:") && sdp[1].starts_with("a=ice-pwd:"));
    assert_eq!(
        sdp[2],
        format!("a={}", a.agent.local_candidates().next().unwrap())
    );
    assert_eq!(sdp.last().unwrap(), "a=end-of-candidates");
}

#[test]
fn regular_nomination_picks_the_best_pair_of_several() {
    // Two addresses each (IPv4 and IPv6 loopback, and a second IPv4
    // loopback address): the highest-priority pair is the one selected.
    let (mut net, mut a, mut b) = connect(
        Nomination::Regular,
        &["127.0.0.1:40010", "[::1]:40011"],
        &["127.0.0.1:40012", "[::1]:40013"],
    );
    assert_same_path(&a, &b);
    let (al, ar) = a.agent.selected_pair().unwrap();
    // Both first addresses have the highest local preference.
    assert_eq!(al.addr(), addr("127.0.0.1:40010"));
    assert_eq!(ar.addr(), addr("127.0.0.1:40012"));
    assert_eq!(a.selected_events(), 1, "regular nomination selects once");
    exchange_media(&mut net, &mut a, &mut b);
}

#[test]
fn ipv6_loopback_connects() {
    let (mut net, mut a, mut b) = connect(Nomination::Regular, &["[::1]:40300"], &["[::1]:40302"]);
    assert_same_path(&a, &b);
    exchange_media(&mut net, &mut a, &mut b);
}

#[test]
fn aggressive_nomination_selects_on_the_first_check() {
    let (mut net, mut a, mut b) = connect(
        Nomination::Aggressive,
        &["127.0.0.1:40020", "[::1]:40021"],
        &["127.0.0.1:40022", "[::1]:40023"],
    );
    // The first successful check nominates: connected within a few round
    // trips, with no wait for a better pair.
    assert!(
        net.elapsed() < Duration::from_millis(200),
        "{:?}",
        net.elapsed()
    );
    assert_same_path(&a, &b);
    let (al, _) = a.agent.selected_pair().unwrap();
    assert_eq!(al.addr(), addr("127.0.0.1:40020"));
    // Every check of the controlling side carries USE-CANDIDATE, none of
    // the controlled side's.
    let a_checks: Vec<bool> = net
        .requests
        .iter()
        .filter(|r| a.addrs.contains(&r.0))
        .map(|r| r.1)
        .collect();
    assert!(
        !a_checks.is_empty() && a_checks.iter().all(|u| *u),
        "{a_checks:?}"
    );
    assert!(
        net.requests
            .iter()
            .filter(|r| b.addrs.contains(&r.0))
            .all(|r| !r.1)
    );
    exchange_media(&mut net, &mut a, &mut b);
}

#[test]
fn controlled_side_learns_a_peer_reflexive_candidate() {
    // Controlled side without a remote candidate: it learns a
    // peer-reflexive one from the controlling side's checks.
    let t0 = Instant::now();
    let mut a = Peer::new(
        config(IceRole::Controlling, Nomination::Regular),
        &["127.0.0.1:40030"],
        t0,
    );
    let mut b = Peer::new(
        config(IceRole::Controlled, Nomination::Regular),
        &["127.0.0.1:40032"],
        t0,
    );
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone())
        .unwrap();
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone())
        .unwrap();
    let c = b.agent.local_candidates().next().unwrap().clone();
    a.agent.add_remote_candidate(c).unwrap();
    let mut net = Net::new(t0);
    assert!(net.run_until(
        &mut [&mut a, &mut b],
        Duration::from_secs(10),
        both_connected
    ));
    let prflx = &b.agent.remote_candidates()[0];
    assert_eq!(prflx.kind(), CandidateKind::PeerReflexive);
    assert_eq!(prflx.addr(), addr("127.0.0.1:40030"));
    assert_same_path(&a, &b);
    exchange_media(&mut net, &mut a, &mut b);
}

#[test]
fn consent_expires_when_the_peer_stops_answering() {
    let (mut net, mut a, mut b) = connect(
        Nomination::Regular,
        &["127.0.0.1:40040"],
        &["127.0.0.1:40042"],
    );
    // Consent checks keep the session alive for a minute of silence-free
    // operation.
    let ok = net.run_until(&mut [&mut a, &mut b], Duration::from_secs(60), |p| {
        p.iter().any(|p| p.events.contains(&IceEvent::ConsentLost))
    });
    assert!(!ok, "consent lost while the peer answers");
    assert!(a.agent.is_connected() && b.agent.is_connected());

    // B disappears: nothing reaches it any more.
    b.reachable = false;
    let lost_from = net.now;
    let ok = net.run_until(&mut [&mut a, &mut b], Duration::from_secs(40), |p| {
        p[0].events.contains(&IceEvent::ConsentLost)
    });
    assert!(ok, "consent never expired: {:?}", a.events);
    let after = net.now - lost_from;
    // The last response came at most one consent interval (6 s) before B
    // went away; consent is lost 30 s after it.
    assert!(
        after > Duration::from_secs(23) && after <= Duration::from_secs(31),
        "{after:?}"
    );
    assert_eq!(a.agent.state(), IceState::Failed);
    assert!(a.events.contains(&IceEvent::StateChanged(IceState::Failed)));
    assert_eq!(
        a.agent.send(net.now, b"\x80\x00\x00\x01").unwrap_err(),
        linkus_media::Error::Ice(IceError::NotConnected)
    );
    // The pair that lost consent is not selected again, even once B is
    // back.
    b.reachable = true;
    net.run_until(&mut [&mut a, &mut b], Duration::from_secs(10), |_| false);
    assert_eq!(a.selected_events(), 1);
    assert_eq!(a.agent.state(), IceState::Failed);
}

#[test]
fn ice_restart_changes_credentials_and_reselects() {
    let (mut net, mut a, mut b) = connect(
        Nomination::Regular,
        &["127.0.0.1:40050"],
        &["127.0.0.1:40052"],
    );
    let old_a = a.agent.local_credentials().clone();
    let old_b = b.agent.local_credentials().clone();
    // A offers a restart, B answers with new credentials too.
    let new_a = a.agent.restart().unwrap().clone();
    let new_b = b.agent.restart().unwrap().clone();
    assert_ne!(old_a.ufrag, new_a.ufrag);
    assert_ne!(old_a.pwd, new_a.pwd);
    assert_ne!(old_b.ufrag, new_b.ufrag);
    // Media continues on the old pair during the restart.
    exchange_media(&mut net, &mut a, &mut b);
    signal(&mut a, &mut b);
    let ok = net.run_until(&mut [&mut a, &mut b], Duration::from_secs(10), |p| {
        p.iter().all(|p| p.selected_events() == 2)
    });
    assert!(ok, "no new selection after the restart: {:?}", a.events);
    assert!(a.agent.is_connected() && b.agent.is_connected());
    assert_eq!(a.agent.remote_credentials(), Some(&new_b));
    assert_same_path(&a, &b);
    exchange_media(&mut net, &mut a, &mut b);
    // Consent is kept with the new credentials.
    let ok = net.run_until(&mut [&mut a, &mut b], Duration::from_secs(45), |p| {
        p.iter().any(|p| p.events.contains(&IceEvent::ConsentLost))
    });
    assert!(!ok);
}

fn role_conflict(role: IceRole) {
    let t0 = Instant::now();
    let mut a = Peer::new(config(role, Nomination::Regular), &["127.0.0.1:40060"], t0);
    let mut b = Peer::new(config(role, Nomination::Regular), &["127.0.0.1:40062"], t0);
    signal(&mut a, &mut b);
    let mut net = Net::new(t0);
    let ok = net.run_until(
        &mut [&mut a, &mut b],
        Duration::from_secs(10),
        both_connected,
    );
    assert!(ok, "a {:?} b {:?}", a.events, b.events);
    assert_ne!(a.agent.role(), b.agent.role(), "the conflict is repaired");
    let switched = [&a, &b]
        .iter()
        .filter(|p| {
            p.events
                .iter()
                .any(|e| matches!(e, IceEvent::RoleChanged(_)))
        })
        .count();
    assert_eq!(switched, 1, "exactly one agent switches role");
    assert_same_path(&a, &b);
    exchange_media(&mut net, &mut a, &mut b);
}

#[test]
fn role_conflict_both_controlling() {
    role_conflict(IceRole::Controlling);
}

#[test]
fn role_conflict_both_controlled() {
    role_conflict(IceRole::Controlled);
}

#[test]
fn checks_with_wrong_credentials_fail() {
    let t0 = Instant::now();
    let mut a = Peer::new(
        config(IceRole::Controlling, Nomination::Regular),
        &["127.0.0.1:40070"],
        t0,
    );
    let mut b = Peer::new(
        config(IceRole::Controlled, Nomination::Regular),
        &["127.0.0.1:40072"],
        t0,
    );
    signal(&mut a, &mut b);
    // A believes B's password is something else: B discards A's checks and
    // A discards B's responses.
    let mut wrong = b.agent.local_credentials().clone();
    wrong.pwd = "x".repeat(22);
    a.agent.set_remote_credentials(wrong).unwrap();
    let mut net = Net::new(t0);
    let ok = net.run_until(&mut [&mut a, &mut b], Duration::from_secs(30), |p| {
        p[0].agent.state() == IceState::Failed
    });
    assert!(ok, "{:?}", a.events);
    assert!(a.agent.selected_pair().is_none());
    assert_eq!(a.selected_events(), 0);
}

#[test]
fn media_from_unknown_sources_is_discarded() {
    let (net, mut a, _b) = connect(
        Nomination::Regular,
        &["127.0.0.1:40080"],
        &["127.0.0.1:40082"],
    );
    let stranger = addr("127.0.0.1:40999");
    let got = a.agent.handle_datagram(
        net.now,
        stranger,
        addr("127.0.0.1:40080"),
        b"\x80\x00\x00\x01",
    );
    assert_eq!(got, Received::Discarded);
    let got = a.agent.handle_datagram(
        net.now,
        addr("127.0.0.1:40082"),
        addr("127.0.0.1:40080"),
        b"\x80\x00\x00\x01",
    );
    assert_eq!(
        got,
        Received::Media {
            from: addr("127.0.0.1:40082")
        }
    );
    // Malformed STUN never panics and is dropped.
    let mut junk = vec![0u8, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42];
    junk.extend_from_slice(&[0; 16]);
    for n in 0..junk.len() {
        let r = a
            .agent
            .handle_datagram(net.now, stranger, addr("127.0.0.1:40080"), &junk[..n]);
        assert_eq!(r, Received::Discarded);
    }
}

#[test]
fn the_ice_switch_turns_everything_off() {
    let t0 = Instant::now();
    let mut a = IceAgent::new(IceConfig::disabled()).unwrap();
    assert!(!a.is_enabled());
    a.add_local_address(t0, addr("127.0.0.1:40090")).unwrap();
    assert_eq!(a.local_candidates().count(), 0);
    assert!(
        a.sdp_attributes().is_empty(),
        "plain c=/m= addresses, no ICE attributes"
    );
    assert_eq!(a.state(), IceState::Disabled);
    assert!(a.poll_transmit().is_none());
    assert!(a.poll_timeout().is_none());
    assert!(a.poll_event().is_none());
    let from = addr("127.0.0.1:40092");
    assert_eq!(
        a.handle_datagram(t0, from, addr("127.0.0.1:40090"), b"\x80\x00\x00\x01"),
        Received::Media { from }
    );
    assert_eq!(
        a.send(t0, b"\x80").unwrap_err(),
        linkus_media::Error::Ice(IceError::Disabled)
    );
    let c: Candidate = "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host"
        .parse()
        .unwrap();
    assert!(a.add_remote_candidate(c).is_err());
}

proptest::proptest! {
    /// Whatever arrives on a socket of a connected agent, it never panics
    /// and keeps its selected pair.
    #[test]
    fn arbitrary_datagrams_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), stun_like in proptest::prelude::any::<bool>()) {
        let (net, mut a, _b) = connect(Nomination::Regular, &["127.0.0.1:40100"], &["127.0.0.1:40102"]);
        let mut data = data;
        if stun_like && data.len() >= 20 {
            // A STUN header with a consistent length, to reach the decoder.
            data[0] &= 0x3F;
            let len = ((data.len() - 20) & !3) as u16;
            data.truncate(20 + usize::from(len));
            data[2..4].copy_from_slice(&len.to_be_bytes());
            data[4..8].copy_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        }
        for from in ["127.0.0.1:40102", "127.0.0.1:40999"] {
            let _ = a.agent.handle_datagram(net.now, addr(from), addr("127.0.0.1:40100"), &data);
        }
        proptest::prop_assert!(a.agent.is_connected());
    }
}

/// The agent's parameters travel through a real SDP offer/answer (the sdp
/// module's Negotiator, written and parsed as text) and connect; with the
/// ICE switch off the SDP carries no ICE attributes.
#[test]
fn ice_parameters_through_sdp_offer_answer() {
    use linkus_media::sdp::{CryptoSuite, LocalMedia, Negotiator, SessionDescription};

    let keys = |_: &CryptoSuite, k: &mut [u8]| k.fill(7);
    let t0 = Instant::now();
    let mut a = Peer::new(
        config(IceRole::Controlling, Nomination::Regular),
        &["127.0.0.1:40200"],
        t0,
    );
    let mut b = Peer::new(
        config(IceRole::Controlled, Nomination::Regular),
        &["127.0.0.1:40202"],
        t0,
    );
    let local_a =
        LocalMedia::new(addr("127.0.0.1:0").ip(), 40200).with_ice(a.agent.sdp_ice().unwrap());
    let local_b =
        LocalMedia::new(addr("127.0.0.1:0").ip(), 40202).with_ice(b.agent.sdp_ice().unwrap());
    let mut na = Negotiator::new(local_a, keys);
    let mut nb = Negotiator::new(local_b, keys);

    let offer = na.create_offer().unwrap().to_string();
    assert!(
        offer.contains("a=candidate:1 1 UDP 2130706431 127.0.0.1 40200 typ host\r\n"),
        "{offer}"
    );
    assert!(offer.contains(&format!(
        "a=ice-ufrag:{}\r\n",
        a.agent.local_credentials().ufrag
    )));
    let (answer, media_b) = nb
        .receive_offer(&SessionDescription::parse(&offer).unwrap())
        .unwrap();
    let restarted = b
        .agent
        .apply_remote_ice(media_b[0].remote_ice.as_ref().unwrap())
        .unwrap();
    assert!(!restarted);
    let media_a = na
        .receive_answer(&SessionDescription::parse(&answer.to_string()).unwrap())
        .unwrap();
    a.agent
        .apply_remote_ice(media_a[0].remote_ice.as_ref().unwrap())
        .unwrap();

    let mut net = Net::new(t0);
    assert!(net.run_until(
        &mut [&mut a, &mut b],
        Duration::from_secs(10),
        both_connected
    ));
    assert_same_path(&a, &b);
    assert_eq!(
        a.agent.default_candidate().unwrap().addr(),
        addr("127.0.0.1:40200")
    );

    // A restart offered by A: B sees new credentials and restarts too.
    a.agent.restart().unwrap();
    na.local_mut().ice = a.agent.sdp_ice();
    let offer = na.create_offer().unwrap().to_string();
    let (_, media_b) = nb
        .receive_offer(&SessionDescription::parse(&offer).unwrap())
        .unwrap();
    let old_b = b.agent.local_credentials().clone();
    assert!(
        b.agent
            .apply_remote_ice(media_b[0].remote_ice.as_ref().unwrap())
            .unwrap()
    );
    assert_ne!(
        b.agent.local_credentials(),
        &old_b,
        "B answers with new credentials"
    );

    // The ICE switch off: no ICE in the SDP at all.
    let off = IceAgent::new(IceConfig::disabled()).unwrap();
    assert!(off.sdp_ice().is_none());
    let mut plain = LocalMedia::new(addr("127.0.0.1:0").ip(), 40204);
    plain.ice = off.sdp_ice();
    let offer = Negotiator::new(plain, keys)
        .create_offer()
        .unwrap()
        .to_string();
    assert!(
        !offer.contains("a=ice-") && !offer.contains("a=candidate"),
        "{offer}"
    );
    assert!(
        offer.contains("c=IN IP4 127.0.0.1\r\n") && offer.contains("m=audio 40204 "),
        "{offer}"
    );
}
