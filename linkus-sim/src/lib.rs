//! # linkus-sim
//!
//! Deterministic network simulation for the Linkus SDK's tests: SIP user
//! agents ([`linkus_sip::ua::UserAgent`]) and a small [`Registrar`] on
//! virtual time, connected by a seeded emulator of an unreliable network
//! (loss, duplication, variable delay and so reordering, NAT with
//! rebinding, address changes). The sans-IO cores never read the clock, so a
//! scenario of minutes runs in milliseconds and replays exactly from its seed.
//!
//! ```
//! use std::time::Duration;
//! use linkus_sim::{LinkConfig, Sim};
//!
//! let mut sim = Sim::new(42, LinkConfig::lossy(0.3));
//! let alice = sim.add_ua("alice", "10.0.0.1:5060");
//! let bob = sim.add_ua("bob", "10.0.0.2:5060");
//! let call = sim.call(alice, bob, "v=0 offer")?;
//! sim.run_for(Duration::from_secs(60));
//! // Nobody answers on bob's side yet: the call rings (no auto-answer here).
//! assert!(sim.ua_events(bob).iter().any(|e| matches!(e.event, linkus_sip::ua::UaEvent::IncomingCall { .. })));
//! # let _ = call;
//! # Ok::<(), linkus_sip::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod registrar;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use registrar::{Binding, Registrar};

use linkus_sip::Error;
use linkus_sip::message::Uri;
use linkus_sip::message::typed::{NameAddr, Transport};
use linkus_sip::transaction::Peer;
use linkus_sip::ua::{
    Body, InviteConfig, RegisterConfig, RegistrationId, SessionEvent, SessionId, UaConfig, UaEvent,
    UaOutput, UserAgent,
};

/// How the emulated network treats every datagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a delivered datagram arrives twice.
    pub duplicate: f64,
    /// Shortest one-way delay.
    pub delay_min: Duration,
    /// Longest one-way delay (a spread reorders datagrams).
    pub delay_max: Duration,
}

impl LinkConfig {
    /// A perfect 20 ms link.
    pub fn perfect() -> LinkConfig {
        LinkConfig {
            loss: 0.0,
            duplicate: 0.0,
            delay_min: Duration::from_millis(20),
            delay_max: Duration::from_millis(20),
        }
    }

    /// `loss` probability, 5 % duplicates, 10–150 ms delay (reorders).
    pub fn lossy(loss: f64) -> LinkConfig {
        LinkConfig {
            loss,
            duplicate: 0.05,
            delay_min: Duration::from_millis(10),
            delay_max: Duration::from_millis(150),
        }
    }
}

/// A node of the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

/// A datagram in flight or delivered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Datagram {
    /// Source address as the receiver sees it (after NAT).
    pub from: SocketAddr,
    /// Destination address.
    pub to: SocketAddr,
    /// Payload.
    pub bytes: Vec<u8>,
}

/// An event a user agent emitted, with the virtual time it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    /// Time since the start of the simulation.
    pub at: Duration,
    /// The event.
    pub event: UaEvent,
}

impl Timed {
    /// True when this is the `Answered` event of `session`.
    pub fn is_answered(&self, session: SessionId) -> bool {
        matches!(&self.event, UaEvent::Session { session: s, event: SessionEvent::Answered { .. } } if *s == session)
    }

    /// The session event, if this is one for `session`.
    pub fn session_event(&self, session: SessionId) -> Option<&SessionEvent> {
        match &self.event {
            UaEvent::Session { session: s, event } if *s == session => Some(event),
            _ => None,
        }
    }
}

#[derive(Debug)]
enum Kind {
    Ua(Box<UserAgent>),
    Registrar(Box<Registrar>),
}

#[derive(Debug)]
struct Node {
    name: String,
    addr: SocketAddr,
    /// The public address it appears from, when behind a NAT.
    nat_public: Option<SocketAddr>,
    kind: Kind,
    events: Vec<Timed>,
    /// Answer incoming calls at once (180 then 200 with this SDP).
    auto_answer: Option<String>,
}

/// A filter deciding, before the random loss, whether a datagram is dropped.
pub type DropFilter = Box<dyn FnMut(&Datagram) -> bool>;

/// The simulation: nodes, the network between them, and virtual time.
pub struct Sim {
    t0: Instant,
    now: Instant,
    rng: u64,
    link: LinkConfig,
    nodes: Vec<Node>,
    in_flight: BinaryHeap<Reverse<(Instant, u64, Datagram)>>,
    seq: u64,
    drop_filter: Option<DropFilter>,
    delivered: Vec<(Duration, Datagram)>,
    dropped: usize,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &(self.now - self.t0))
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

fn parse_addr(addr: &str) -> SocketAddr {
    addr.parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 5060)))
}

impl Sim {
    /// A simulation whose randomness all comes from `seed`.
    #[allow(
        clippy::disallowed_methods,
        reason = "one base instant; all later times are virtual"
    )]
    pub fn new(seed: u64, link: LinkConfig) -> Sim {
        let t0 = Instant::now();
        Sim {
            t0,
            now: t0,
            rng: seed ^ 0x5EED_5EED_5EED_5EED,
            link,
            nodes: Vec::new(),
            in_flight: BinaryHeap::new(),
            seq: 0,
            drop_filter: None,
            delivered: Vec::new(),
            dropped: 0,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Virtual time elapsed.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// The current virtual instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Changes the link for every datagram sent from now on.
    pub fn set_link(&mut self, link: LinkConfig) {
        self.link = link;
    }

    /// Drops every datagram for which `filter` returns true (before random loss).
    pub fn set_drop_filter(&mut self, filter: impl FnMut(&Datagram) -> bool + 'static) {
        self.drop_filter = Some(Box::new(filter));
    }

    /// Removes the drop filter.
    pub fn clear_drop_filter(&mut self) {
        self.drop_filter = None;
    }

    /// Adds a user agent listening on UDP at `addr`.
    pub fn add_ua(&mut self, name: &str, addr: &str) -> NodeId {
        let addr = parse_addr(addr);
        let seed = self.next_u64();
        let ua = UserAgent::new(UaConfig::new(Transport::Udp, addr, seed));
        self.push_node(name, addr, Kind::Ua(Box::new(ua)))
    }

    /// Adds a user agent with a custom configuration (its first local address is used).
    pub fn add_ua_with(&mut self, name: &str, config: UaConfig) -> NodeId {
        let addr = config
            .local
            .first()
            .map_or_else(|| parse_addr(""), |(_, a)| *a);
        self.push_node(name, addr, Kind::Ua(Box::new(UserAgent::new(config))))
    }

    /// Adds a registrar for `domain` at `addr`.
    pub fn add_registrar(&mut self, name: &str, addr: &str, domain: &str) -> NodeId {
        let addr = parse_addr(addr);
        let reg = Registrar::new(domain, self.next_u64());
        self.push_node(name, addr, Kind::Registrar(Box::new(reg)))
    }

    fn push_node(&mut self, name: &str, addr: SocketAddr, kind: Kind) -> NodeId {
        self.nodes.push(Node {
            name: name.to_owned(),
            addr,
            nat_public: None,
            kind,
            events: Vec::new(),
            auto_answer: None,
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Makes a user agent answer every incoming call at once: 180, then
    /// 200 with `sdp` (`None` turns it off).
    pub fn set_auto_answer(&mut self, node: NodeId, sdp: Option<&str>) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.auto_answer = sdp.map(str::to_owned);
        }
    }

    /// The node's listening address.
    pub fn addr(&self, node: NodeId) -> SocketAddr {
        self.nodes
            .get(node.0)
            .map_or_else(|| parse_addr(""), |n| n.addr)
    }

    /// The node's name.
    pub fn name(&self, node: NodeId) -> &str {
        self.nodes.get(node.0).map_or("", |n| n.name.as_str())
    }

    /// Puts a node behind a NAT that maps it to `public` (call again to
    /// rebind: datagrams to the old public address are then lost).
    pub fn set_nat(&mut self, node: NodeId, public: &str) {
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.nat_public = Some(parse_addr(public));
        }
    }

    /// Moves a node to a new local address (network handover) and tells its UA.
    pub fn move_node(&mut self, node: NodeId, addr: &str) {
        let addr = parse_addr(addr);
        let now = self.now;
        if let Some(n) = self.nodes.get_mut(node.0) {
            n.addr = addr;
            if let Kind::Ua(ua) = &mut n.kind {
                ua.set_local_addr(now, Transport::Udp, addr);
            }
        }
    }

    /// The user agent of a node.
    pub fn ua(&mut self, node: NodeId) -> Option<&mut UserAgent> {
        match &mut self.nodes.get_mut(node.0)?.kind {
            Kind::Ua(ua) => Some(ua),
            Kind::Registrar(_) => None,
        }
    }

    /// The registrar of a node.
    pub fn registrar(&mut self, node: NodeId) -> Option<&mut Registrar> {
        match &mut self.nodes.get_mut(node.0)?.kind {
            Kind::Registrar(r) => Some(r),
            Kind::Ua(_) => None,
        }
    }

    /// Every event a user agent emitted so far.
    pub fn ua_events(&self, node: NodeId) -> &[Timed] {
        self.nodes.get(node.0).map_or(&[], |n| n.events.as_slice())
    }

    /// Every datagram delivered so far, with its delivery time.
    pub fn delivered(&self) -> &[(Duration, Datagram)] {
        &self.delivered
    }

    /// Datagrams lost so far (filter and random loss).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The peer a node is reached at by others (its public address behind NAT).
    pub fn peer(&self, node: NodeId) -> Peer {
        let n = self.nodes.get(node.0);
        let addr = n.map_or_else(|| parse_addr(""), |n| n.nat_public.unwrap_or(n.addr));
        Peer {
            addr,
            transport: Transport::Udp,
        }
    }

    /// Starts a call from `from` to `to` with `offer` as SDP; returns the caller's session.
    pub fn call(&mut self, from: NodeId, to: NodeId, offer: &str) -> Result<SessionId, Error> {
        let target_addr = self.peer(to).addr;
        let target = Uri::parse(&format!("sip:{}@{target_addr}", self.name(to)))?;
        let from_uri = Uri::parse(&format!("sip:{}@{}", self.name(from), self.addr(from)))?;
        let cfg = InviteConfig {
            target,
            from: NameAddr::new(from_uri),
            peer: self.peer(to),
            route: Vec::new(),
            offer: Some(Body::sdp(offer.as_bytes())),
            extra_headers: Vec::new(),
            account: None,
            credentials: None,
        };
        let now = self.now;
        let ua = self
            .ua(from)
            .ok_or(Error::InvalidValue("not a user agent"))?;
        let id = ua.invite(now, cfg)?;
        self.collect();
        Ok(id)
    }

    /// Starts registering the user agent `ua` as `user` at `registrar`'s
    /// domain (`sip:{user}@{domain}`), reaching it at its address.
    pub fn register(
        &mut self,
        ua: NodeId,
        registrar: NodeId,
        user: &str,
    ) -> Result<RegistrationId, Error> {
        let domain = match &self.nodes.get(registrar.0).map(|n| &n.kind) {
            Some(Kind::Registrar(r)) => r.domain().to_owned(),
            _ => return Err(Error::InvalidValue("not a registrar")),
        };
        let cfg = RegisterConfig::new(
            self.peer(registrar),
            Uri::parse(&format!("sip:{domain}"))?,
            Uri::parse(&format!("sip:{user}@{domain}"))?,
        );
        let now = self.now;
        let id = self
            .ua(ua)
            .ok_or(Error::InvalidValue("not a user agent"))?
            .register(now, cfg)?;
        self.collect();
        Ok(id)
    }

    /// Runs until `d` of virtual time has passed.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until, |_| false);
    }

    /// Runs until `pred` holds for a newly emitted event (returns it), or `limit` passes.
    pub fn run_until_event(
        &mut self,
        limit: Duration,
        mut pred: impl FnMut(NodeId, &Timed) -> bool,
    ) -> Option<(NodeId, Timed)> {
        let until = self.now + limit;
        let mut found = None;
        self.run_until(until, |(node, ev)| {
            if pred(node, ev) {
                found = Some((node, ev.clone()));
                true
            } else {
                false
            }
        });
        found
    }

    fn run_until(&mut self, until: Instant, mut stop: impl FnMut((NodeId, &Timed)) -> bool) {
        let mut seen: Vec<usize> = self.nodes.iter().map(|n| n.events.len()).collect();
        loop {
            self.collect();
            // New events: check the stop condition.
            for (i, n) in self.nodes.iter().enumerate() {
                for ev in &n.events[seen[i]..] {
                    if stop((NodeId(i), ev)) {
                        return;
                    }
                }
                seen[i] = n.events.len();
            }
            let next_packet = self.in_flight.peek().map(|Reverse((t, _, _))| *t);
            let next_timer = self.nodes.iter().filter_map(node_timeout).min();
            let Some(next) = [next_packet, next_timer].into_iter().flatten().min() else {
                self.now = until.max(self.now);
                return;
            };
            if next > until {
                self.now = until.max(self.now);
                return;
            }
            self.now = next.max(self.now);
            let now = self.now;
            while self
                .in_flight
                .peek()
                .is_some_and(|Reverse((t, _, _))| *t <= now)
            {
                let Some(Reverse((_, _, dg))) = self.in_flight.pop() else {
                    break;
                };
                self.deliver(dg);
            }
            for n in &mut self.nodes {
                if node_timeout(n).is_some_and(|t| t <= now) {
                    match &mut n.kind {
                        Kind::Ua(ua) => ua.handle_timeout(now),
                        Kind::Registrar(r) => r.handle_timeout(now),
                    }
                }
            }
        }
    }

    fn deliver(&mut self, dg: Datagram) {
        // NAT: a datagram to a public address goes to the node behind it.
        let target = self
            .nodes
            .iter()
            .position(|n| n.nat_public == Some(dg.to))
            .or_else(|| {
                self.nodes
                    .iter()
                    .position(|n| n.addr == dg.to && n.nat_public.is_none())
            });
        let Some(i) = target else {
            self.dropped += 1;
            return;
        };
        self.delivered.push((self.now - self.t0, dg.clone()));
        let now = self.now;
        let from = Peer {
            addr: dg.from,
            transport: Transport::Udp,
        };
        match &mut self.nodes[i].kind {
            Kind::Ua(ua) => ua.handle_datagram(now, from, &dg.bytes),
            Kind::Registrar(r) => r.handle_datagram(now, from, &dg.bytes),
        }
    }

    /// Moves every node's outputs into the network and its event log.
    fn collect(&mut self) {
        let mut sends = Vec::new();
        let at = self.now - self.t0;
        let now = self.now;
        for n in &mut self.nodes {
            let source = n.nat_public.unwrap_or(n.addr);
            match &mut n.kind {
                Kind::Ua(ua) => loop {
                    let mut incoming = Vec::new();
                    while let Some(o) = ua.poll_output() {
                        match o {
                            UaOutput::Transmit { to, bytes } => sends.push(Datagram {
                                from: source,
                                to: to.addr,
                                bytes,
                            }),
                            UaOutput::Event(event) => {
                                if let UaEvent::IncomingCall { session, .. } = &event {
                                    incoming.push(*session);
                                }
                                n.events.push(Timed { at, event });
                            }
                        }
                    }
                    let Some(sdp) = n.auto_answer.clone() else {
                        break;
                    };
                    if incoming.is_empty() {
                        break;
                    }
                    for session in incoming {
                        let _ = ua.progress(now, session, 180, None);
                        let _ = ua.answer(now, session, Some(Body::sdp(sdp.as_bytes())));
                    }
                },
                Kind::Registrar(r) => {
                    while let Some((to, bytes)) = r.poll_transmit() {
                        sends.push(Datagram {
                            from: source,
                            to: to.addr,
                            bytes,
                        });
                    }
                }
            }
        }
        for dg in sends {
            self.send(dg);
        }
    }

    fn send(&mut self, dg: Datagram) {
        if self.drop_filter.as_mut().is_some_and(|f| f(&dg)) {
            self.dropped += 1;
            return;
        }
        let link = self.link;
        if self.unit() < link.loss {
            self.dropped += 1;
            return;
        }
        let copies = if self.unit() < link.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            let spread = link.delay_max.saturating_sub(link.delay_min);
            let delay = link.delay_min + spread.mul_f64(self.unit());
            self.seq += 1;
            self.in_flight
                .push(Reverse((self.now + delay, self.seq, dg.clone())));
        }
    }
}

fn node_timeout(n: &Node) -> Option<Instant> {
    match &n.kind {
        Kind::Ua(ua) => ua.poll_timeout(),
        Kind::Registrar(r) => r.poll_timeout(),
    }
}
