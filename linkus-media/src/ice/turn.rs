//! A sans-IO TURN client (RFC 8656) over UDP: one allocation on one
//! server from one local socket, with the long-term credential mechanism,
//! refreshes, channel bindings (which also install and refresh the peer's
//! permission), Send/Data indications and ChannelData.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::IceError;
use super::rng::Rng;
use super::stun::{self, Builder, Class, Message};

/// Channel numbers are 0x4000..=0x4FFF (RFC 8656 §12).
const FIRST_CHANNEL: u16 = 0x4000;
const LAST_CHANNEL: u16 = 0x4FFF;
/// Channel bindings last 10 minutes and permissions 5: rebinding every 4
/// minutes keeps both (RFC 8656 §9, §12).
const CHANNEL_REFRESH: Duration = Duration::from_secs(240);
/// How many 438 (Stale Nonce) retries one request gets.
const MAX_STALE_RETRIES: u8 = 3;
const SOFTWARE: &[u8] = b"linkus-media";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Allocate,
    Refresh { lifetime: u32 },
    ChannelBind { peer: SocketAddr, number: u16 },
}

#[derive(Debug)]
struct Transaction {
    txid: [u8; 12],
    kind: Kind,
    bytes: Vec<u8>,
    next_at: Instant,
    rto: Duration,
    sent: u32,
    stale_retries: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TurnState {
    Allocating,
    Allocated {
        relayed: SocketAddr,
        mapped: SocketAddr,
    },
    Failed,
    Closed,
}

#[derive(Debug)]
struct Channel {
    peer: SocketAddr,
    number: u16,
    bound: bool,
    refresh_at: Instant,
}

/// What the client reports to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TurnEvent {
    Allocated {
        relayed: SocketAddr,
        mapped: SocketAddr,
    },
    Failed(IceError),
}

/// Retransmission settings of STUN transactions (RFC 8489 §6.2.1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retransmit {
    pub(crate) rto: Duration,
    pub(crate) max_sends: u32,
}

#[derive(Debug)]
pub(crate) struct TurnClient {
    pub(crate) server: SocketAddr,
    pub(crate) base: SocketAddr,
    username: String,
    password: String,
    realm: Option<String>,
    nonce: Option<String>,
    key: Option<Vec<u8>>,
    state: TurnState,
    retransmit: Retransmit,
    txs: Vec<Transaction>,
    channels: Vec<Channel>,
    next_channel: u16,
    refresh_at: Option<Instant>,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<TurnEvent>,
}

impl TurnClient {
    /// Starts an allocation on `server` from the socket bound to `base`.
    pub(crate) fn new(
        now: Instant,
        server: SocketAddr,
        base: SocketAddr,
        username: &str,
        password: &str,
        retransmit: Retransmit,
        rng: &mut Rng,
    ) -> Self {
        let mut c = TurnClient {
            server,
            base,
            username: username.to_owned(),
            password: password.to_owned(),
            realm: None,
            nonce: None,
            key: None,
            state: TurnState::Allocating,
            retransmit,
            txs: Vec::new(),
            channels: Vec::new(),
            next_channel: FIRST_CHANNEL,
            refresh_at: None,
            out: VecDeque::new(),
            events: VecDeque::new(),
        };
        c.request(now, Kind::Allocate, 0, rng);
        c
    }

    pub(crate) fn state(&self) -> TurnState {
        self.state
    }

    pub(crate) fn relayed(&self) -> Option<SocketAddr> {
        match self.state {
            TurnState::Allocated { relayed, .. } => Some(relayed),
            _ => None,
        }
    }

    /// Whether the allocation attempt has ended (allocated, failed, closed).
    pub(crate) fn settled(&self) -> bool {
        self.state != TurnState::Allocating
    }

    fn request(&mut self, now: Instant, kind: Kind, stale_retries: u8, rng: &mut Rng) {
        let txid = rng.txid();
        let method = match kind {
            Kind::Allocate => stun::ALLOCATE,
            Kind::Refresh { .. } => stun::REFRESH,
            Kind::ChannelBind { .. } => stun::CHANNEL_BIND,
        };
        let mut b = Builder::new(Class::Request, method, &txid).attr(stun::ATTR_SOFTWARE, SOFTWARE);
        b = match kind {
            // UDP (17), RFC 8656 §18.7.
            Kind::Allocate => b.attr(stun::ATTR_REQUESTED_TRANSPORT, &[17, 0, 0, 0]),
            Kind::Refresh { lifetime } => b.u32_attr(stun::ATTR_LIFETIME, lifetime),
            Kind::ChannelBind { peer, number } => b
                .attr(
                    stun::ATTR_CHANNEL_NUMBER,
                    &[(number >> 8) as u8, number as u8, 0, 0],
                )
                .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer),
        };
        let bytes = match (&self.key, &self.realm, &self.nonce) {
            (Some(key), Some(realm), Some(nonce)) => b
                .attr(stun::ATTR_USERNAME, self.username.as_bytes())
                .attr(stun::ATTR_REALM, realm.as_bytes())
                .attr(stun::ATTR_NONCE, nonce.as_bytes())
                .integrity(key)
                .fingerprint(),
            _ => b.fingerprint(),
        };
        self.out.push_back(bytes.clone());
        self.txs.push(Transaction {
            txid,
            kind,
            bytes,
            next_at: now + self.retransmit.rto,
            rto: self.retransmit.rto,
            sent: 1,
            stale_retries,
        });
    }

    /// Whether `txid` is one of our outstanding requests.
    pub(crate) fn owns(&self, txid: &[u8; 12]) -> bool {
        self.txs.iter().any(|t| &t.txid == txid)
    }

    /// Handles a response to one of our requests.
    pub(crate) fn handle_response(&mut self, now: Instant, msg: &Message<'_>, rng: &mut Rng) {
        let Some(i) = self.txs.iter().position(|t| t.txid == msg.txid) else {
            return;
        };
        // A response to an authenticated request must carry our integrity
        // (RFC 8489 §9.2.5); a forged one is dropped and the request stays.
        let authenticated = self.key.is_some() && self.nonce.is_some();
        if authenticated && msg.class == Class::Success {
            let ok = self.key.as_deref().is_some_and(|k| msg.verify_integrity(k));
            if !ok {
                return;
            }
        }
        let tx = self.txs.remove(i);
        match msg.class {
            Class::Success => self.on_success(now, tx.kind, msg),
            Class::Error => self.on_error(now, tx, msg, authenticated, rng),
            _ => {}
        }
    }

    fn on_success(&mut self, now: Instant, kind: Kind, msg: &Message<'_>) {
        match kind {
            Kind::Allocate => {
                let relayed = msg.xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS);
                let mapped = msg.xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS);
                let lifetime = msg.u32_attr(stun::ATTR_LIFETIME).unwrap_or(600);
                match (relayed, mapped) {
                    (Some(relayed), Some(mapped)) => {
                        self.state = TurnState::Allocated { relayed, mapped };
                        self.schedule_refresh(now, lifetime);
                        self.events
                            .push_back(TurnEvent::Allocated { relayed, mapped });
                    }
                    _ => self.fail(IceError::TurnRejected {
                        server: self.server,
                        code: 0,
                        reason: "Allocate success without XOR-RELAYED-ADDRESS".into(),
                    }),
                }
            }
            Kind::Refresh { lifetime: 0 } => {
                self.state = TurnState::Closed;
                self.refresh_at = None;
            }
            Kind::Refresh { .. } => {
                let lifetime = msg.u32_attr(stun::ATTR_LIFETIME).unwrap_or(600);
                self.schedule_refresh(now, lifetime);
            }
            Kind::ChannelBind { peer, number } => {
                if let Some(c) = self
                    .channels
                    .iter_mut()
                    .find(|c| c.peer == peer && c.number == number)
                {
                    c.bound = true;
                    c.refresh_at = now + CHANNEL_REFRESH;
                }
            }
        }
    }

    fn on_error(
        &mut self,
        now: Instant,
        tx: Transaction,
        msg: &Message<'_>,
        authenticated: bool,
        rng: &mut Rng,
    ) {
        let (code, reason) = msg.error_code().unwrap_or((0, ""));
        let fresh_nonce = msg.text(stun::ATTR_NONCE);
        match code {
            // The first request is sent without credentials; the 401
            // carries the realm and nonce to use (RFC 8489 §9.2.3).
            401 if !authenticated => {
                let (Some(realm), Some(nonce)) = (msg.text(stun::ATTR_REALM), fresh_nonce) else {
                    return self.fail(IceError::TurnRejected {
                        server: self.server,
                        code,
                        reason: "401 without REALM and NONCE".into(),
                    });
                };
                self.key = Some(stun::long_term_key(&self.username, realm, &self.password));
                self.realm = Some(realm.to_owned());
                self.nonce = Some(nonce.to_owned());
                self.request(now, tx.kind, tx.stale_retries, rng);
            }
            401 => self.fail(IceError::TurnUnauthorized {
                server: self.server,
            }),
            438 if tx.stale_retries < MAX_STALE_RETRIES => {
                if let Some(nonce) = fresh_nonce {
                    self.nonce = Some(nonce.to_owned());
                }
                if let Some(realm) = msg.text(stun::ATTR_REALM) {
                    self.key = Some(stun::long_term_key(&self.username, realm, &self.password));
                    self.realm = Some(realm.to_owned());
                }
                self.request(now, tx.kind, tx.stale_retries + 1, rng);
            }
            _ => match tx.kind {
                Kind::ChannelBind { peer, .. } => {
                    // Fall back to Send indications for this peer.
                    self.channels.retain(|c| c.peer != peer);
                }
                Kind::Refresh { lifetime: 0 } => self.state = TurnState::Closed,
                Kind::Allocate | Kind::Refresh { .. } => self.fail(IceError::TurnRejected {
                    server: self.server,
                    code,
                    reason: reason.to_owned(),
                }),
            },
        }
    }

    fn fail(&mut self, error: IceError) {
        if matches!(self.state, TurnState::Failed | TurnState::Closed) {
            return;
        }
        self.state = TurnState::Failed;
        self.txs.clear();
        self.channels.clear();
        self.refresh_at = None;
        self.events.push_back(TurnEvent::Failed(error));
    }

    fn schedule_refresh(&mut self, now: Instant, lifetime: u32) {
        // Refresh a minute early, or at half of a short lifetime.
        let lifetime = Duration::from_secs(u64::from(lifetime.max(2)));
        let early = Duration::from_secs(60).min(lifetime / 2);
        self.refresh_at = Some(now + lifetime - early);
    }

    /// Wraps `data` for `peer`: ChannelData once the channel is bound, a
    /// Send indication before. Binds a channel to `peer` on first use.
    pub(crate) fn wrap(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        rng: &mut Rng,
    ) -> Option<Vec<u8>> {
        if !matches!(self.state, TurnState::Allocated { .. }) {
            return None;
        }
        if let Some(c) = self.channels.iter().find(|c| c.peer == peer) {
            if c.bound {
                let len = u16::try_from(data.len()).ok()?;
                let mut v = Vec::with_capacity(4 + data.len() + 3);
                v.extend_from_slice(&c.number.to_be_bytes());
                v.extend_from_slice(&len.to_be_bytes());
                v.extend_from_slice(data);
                // Padding to 4 bytes is required over TCP only but harmless.
                return Some(v);
            }
        } else if self.next_channel <= LAST_CHANNEL {
            let number = self.next_channel;
            self.next_channel += 1;
            self.channels.push(Channel {
                peer,
                number,
                bound: false,
                refresh_at: now + CHANNEL_REFRESH,
            });
            self.request(now, Kind::ChannelBind { peer, number }, 0, rng);
        }
        let txid = rng.txid();
        Some(
            Builder::new(Class::Indication, stun::SEND, &txid)
                .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
                .attr(stun::ATTR_DATA, data)
                .fingerprint(),
        )
    }

    /// Unwraps a Data indication: the peer and the data.
    pub(crate) fn unwrap_indication<'a>(
        &self,
        msg: &Message<'a>,
    ) -> Option<(SocketAddr, &'a [u8])> {
        if msg.class != Class::Indication || msg.method != stun::DATA {
            return None;
        }
        Some((
            msg.xor_addr(stun::ATTR_XOR_PEER_ADDRESS)?,
            msg.attr(stun::ATTR_DATA)?,
        ))
    }

    /// Unwraps ChannelData: the peer and the data.
    pub(crate) fn unwrap_channel<'a>(&self, b: &'a [u8]) -> Option<(SocketAddr, &'a [u8])> {
        if b.len() < 4 {
            return None;
        }
        let number = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let data = b.get(4..4 + len)?;
        let c = self.channels.iter().find(|c| c.number == number)?;
        Some((c.peer, data))
    }

    /// Deallocates (Refresh with lifetime 0, RFC 8656 §7).
    pub(crate) fn close(&mut self, now: Instant, rng: &mut Rng) {
        if matches!(self.state, TurnState::Allocated { .. }) {
            self.txs.clear();
            self.refresh_at = None;
            self.request(now, Kind::Refresh { lifetime: 0 }, 0, rng);
        } else {
            self.txs.clear();
        }
        self.channels.clear();
        if self.state == TurnState::Allocating {
            self.state = TurnState::Closed;
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let txs = self.txs.iter().map(|t| t.next_at);
        let channels = self
            .channels
            .iter()
            .filter(|c| c.bound)
            .map(|c| c.refresh_at);
        txs.chain(channels).chain(self.refresh_at).min()
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, rng: &mut Rng) {
        let mut timed_out = None;
        for t in &mut self.txs {
            if t.next_at > now {
                continue;
            }
            if t.sent >= self.retransmit.max_sends {
                timed_out = Some(t.kind);
                continue;
            }
            t.sent += 1;
            t.rto = (t.rto * 2).min(Duration::from_secs(8));
            t.next_at = now + t.rto;
            self.out.push_back(t.bytes.clone());
        }
        if let Some(kind) = timed_out {
            self.txs
                .retain(|t| t.next_at > now || t.sent < self.retransmit.max_sends);
            match kind {
                Kind::ChannelBind { peer, .. } => self.channels.retain(|c| c.peer != peer),
                Kind::Refresh { lifetime: 0 } => self.state = TurnState::Closed,
                Kind::Allocate | Kind::Refresh { .. } => self.fail(IceError::ServerTimeout {
                    server: self.server,
                }),
            }
        }
        if self.refresh_at.is_some_and(|at| at <= now) {
            self.refresh_at = None;
            self.request(now, Kind::Refresh { lifetime: 600 }, 0, rng);
        }
        let due: Vec<(SocketAddr, u16)> = self
            .channels
            .iter_mut()
            .filter(|c| c.bound && c.refresh_at <= now)
            .map(|c| {
                c.refresh_at = now + CHANNEL_REFRESH;
                (c.peer, c.number)
            })
            .collect();
        for (peer, number) in due {
            self.request(now, Kind::ChannelBind { peer, number }, 0, rng);
        }
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    pub(crate) fn poll_event(&mut self) -> Option<TurnEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "127.0.0.1:3478";
    const BASE: &str = "127.0.0.1:40000";
    const RELAYED: &str = "127.0.0.1:50000";
    const PEER: &str = "127.0.0.1:40002";

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// The origin of the virtual clock.
    #[allow(clippy::disallowed_methods, reason = "a test's clock origin")]
    fn t0() -> Instant {
        Instant::now()
    }

    /// A scripted TURN server: checks what the client sends and answers.
    struct FakeServer {
        key: Vec<u8>,
        nonce: &'static str,
    }

    impl FakeServer {
        fn new() -> Self {
            FakeServer {
                key: stun::long_term_key("alice", "linkus.test", "secret"),
                nonce: "nonce-1",
            }
        }

        fn challenge(&self, req: &Message<'_>, code: u16) -> Vec<u8> {
            Builder::new(Class::Error, req.method, &req.txid)
                .error_code(code, "Unauthorized")
                .attr(stun::ATTR_REALM, b"linkus.test")
                .attr(stun::ATTR_NONCE, self.nonce.as_bytes())
                .fingerprint()
        }

        fn authenticated(&self, req: &Message<'_>) -> bool {
            req.text(stun::ATTR_USERNAME) == Some("alice")
                && req.text(stun::ATTR_NONCE) == Some(self.nonce)
                && req.verify_integrity(&self.key)
        }

        fn success(&self, req: &Message<'_>, lifetime: Option<u32>) -> Vec<u8> {
            let mut b = Builder::new(Class::Success, req.method, &req.txid);
            if req.method == stun::ALLOCATE {
                b = b
                    .xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS, addr(RELAYED))
                    .xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS, addr("192.0.2.7:6000"));
            }
            if let Some(l) = lifetime {
                b = b.u32_attr(stun::ATTR_LIFETIME, l);
            }
            b.integrity(&self.key).fingerprint()
        }
    }

    fn client(now: Instant, password: &str, rng: &mut Rng) -> TurnClient {
        let retransmit = Retransmit {
            rto: Duration::from_millis(500),
            max_sends: 7,
        };
        TurnClient::new(
            now,
            addr(SERVER),
            addr(BASE),
            "alice",
            password,
            retransmit,
            rng,
        )
    }

    /// Allocates through the 401 challenge; returns the client.
    fn allocated(now: Instant, server: &FakeServer, rng: &mut Rng) -> TurnClient {
        let mut c = client(now, "secret", rng);
        let first = c.poll_transmit().unwrap();
        let req = Message::decode(&first).unwrap();
        assert_eq!((req.class, req.method), (Class::Request, stun::ALLOCATE));
        assert_eq!(
            req.attr(stun::ATTR_REQUESTED_TRANSPORT),
            Some(&[17, 0, 0, 0][..])
        );
        assert!(
            !req.has(stun::ATTR_MESSAGE_INTEGRITY),
            "the first Allocate is unauthenticated"
        );
        let resp = server.challenge(&req, 401);
        c.handle_response(now, &Message::decode(&resp).unwrap(), rng);
        let second = c.poll_transmit().unwrap();
        let req = Message::decode(&second).unwrap();
        assert!(server.authenticated(&req));
        let resp = server.success(&req, Some(600));
        c.handle_response(now, &Message::decode(&resp).unwrap(), rng);
        assert_eq!(
            c.poll_event(),
            Some(TurnEvent::Allocated {
                relayed: addr(RELAYED),
                mapped: addr("192.0.2.7:6000"),
            })
        );
        c
    }

    #[test]
    fn allocates_refreshes_and_deallocates() {
        let mut rng = Rng::new().unwrap();
        let t0 = t0();
        let server = FakeServer::new();
        let mut c = allocated(t0, &server, &mut rng);
        assert_eq!(c.relayed(), Some(addr(RELAYED)));
        // Refresh one minute before the 600 s lifetime runs out.
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(540)));
        let t1 = t0 + Duration::from_secs(540);
        c.handle_timeout(t1, &mut rng);
        let refresh = c.poll_transmit().unwrap();
        let req = Message::decode(&refresh).unwrap();
        assert_eq!(req.method, stun::REFRESH);
        assert!(server.authenticated(&req));
        // A forged success (wrong key) is ignored; the real one reschedules.
        let forged = Builder::new(Class::Success, stun::REFRESH, &req.txid)
            .u32_attr(stun::ATTR_LIFETIME, 600)
            .integrity(b"not the key")
            .fingerprint();
        c.handle_response(t1, &Message::decode(&forged).unwrap(), &mut rng);
        assert!(c.owns(&req.txid));
        let ok = server.success(&req, Some(300));
        c.handle_response(t1, &Message::decode(&ok).unwrap(), &mut rng);
        assert_eq!(c.poll_timeout(), Some(t1 + Duration::from_secs(240)));
        // Closing sends a Refresh with lifetime 0.
        c.close(t1, &mut rng);
        let bye = c.poll_transmit().unwrap();
        let req = Message::decode(&bye).unwrap();
        assert_eq!(req.u32_attr(stun::ATTR_LIFETIME), Some(0));
        let ok = server.success(&req, Some(0));
        c.handle_response(t1, &Message::decode(&ok).unwrap(), &mut rng);
        assert_eq!(c.state(), TurnState::Closed);
    }

    #[test]
    fn stale_nonce_is_retried_with_the_new_one() {
        let mut rng = Rng::new().unwrap();
        let t0 = t0();
        let mut server = FakeServer::new();
        let mut c = allocated(t0, &server, &mut rng);
        let t1 = t0 + Duration::from_secs(540);
        c.handle_timeout(t1, &mut rng);
        let req_bytes = c.poll_transmit().unwrap();
        let req = Message::decode(&req_bytes).unwrap();
        server.nonce = "nonce-2";
        let stale = server.challenge(&req, 438);
        c.handle_response(t1, &Message::decode(&stale).unwrap(), &mut rng);
        let retry = c.poll_transmit().unwrap();
        let req = Message::decode(&retry).unwrap();
        assert_eq!(req.method, stun::REFRESH);
        assert!(server.authenticated(&req), "signed with the new nonce");
        assert!(c.poll_event().is_none());
    }

    #[test]
    fn wrong_password_and_silence_are_typed_errors() {
        let mut rng = Rng::new().unwrap();
        let t0 = t0();
        let server = FakeServer::new();
        let mut c = client(t0, "wrong", &mut rng);
        let first = c.poll_transmit().unwrap();
        let req = Message::decode(&first).unwrap();
        c.handle_response(
            t0,
            &Message::decode(&server.challenge(&req, 401)).unwrap(),
            &mut rng,
        );
        let second = c.poll_transmit().unwrap();
        let req = Message::decode(&second).unwrap();
        assert!(!server.authenticated(&req));
        c.handle_response(
            t0,
            &Message::decode(&server.challenge(&req, 401)).unwrap(),
            &mut rng,
        );
        assert_eq!(
            c.poll_event(),
            Some(TurnEvent::Failed(IceError::TurnUnauthorized {
                server: addr(SERVER)
            }))
        );
        assert!(c.settled());

        // A server that never answers: 7 transmissions, then a timeout
        // (0.5 + 1 + 2 + 4 + 8 + 8 + 8 s).
        let mut c = client(t0, "secret", &mut rng);
        let mut now = t0;
        let mut sent = 0;
        while let Some(at) = c.poll_timeout() {
            while c.poll_transmit().is_some() {
                sent += 1;
            }
            now = at;
            c.handle_timeout(now, &mut rng);
            if c.settled() {
                break;
            }
        }
        assert_eq!(sent, 7);
        assert_eq!(now - t0, Duration::from_millis(31_500));
        assert_eq!(
            c.poll_event(),
            Some(TurnEvent::Failed(IceError::ServerTimeout {
                server: addr(SERVER)
            }))
        );
    }

    #[test]
    fn data_goes_by_indication_until_the_channel_is_bound() {
        let mut rng = Rng::new().unwrap();
        let t0 = t0();
        let server = FakeServer::new();
        let mut c = allocated(t0, &server, &mut rng);
        let peer = addr(PEER);
        // First use: a ChannelBind request and a Send indication.
        let send = c.wrap(t0, peer, b"hello", &mut rng).unwrap();
        let ind = Message::decode(&send).unwrap();
        assert_eq!((ind.class, ind.method), (Class::Indication, stun::SEND));
        assert_eq!(ind.xor_addr(stun::ATTR_XOR_PEER_ADDRESS), Some(peer));
        assert_eq!(ind.attr(stun::ATTR_DATA), Some(&b"hello"[..]));
        let bind = c.poll_transmit().unwrap();
        let req = Message::decode(&bind).unwrap();
        assert_eq!(req.method, stun::CHANNEL_BIND);
        assert_eq!(
            req.attr(stun::ATTR_CHANNEL_NUMBER),
            Some(&[0x40, 0x00, 0, 0][..])
        );
        assert_eq!(req.xor_addr(stun::ATTR_XOR_PEER_ADDRESS), Some(peer));
        assert!(server.authenticated(&req));
        // Before the answer, still indications (and no second bind).
        assert!(Message::decode(&c.wrap(t0, peer, b"x", &mut rng).unwrap()).is_some());
        assert!(c.poll_transmit().is_none());
        c.handle_response(
            t0,
            &Message::decode(&server.success(&req, None)).unwrap(),
            &mut rng,
        );
        // Then ChannelData.
        let cd = c.wrap(t0, peer, b"hello", &mut rng).unwrap();
        assert_eq!(cd, [0x40, 0x00, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o']);
        // Inbound ChannelData and Data indications unwrap to the peer.
        assert_eq!(c.unwrap_channel(&cd), Some((peer, &b"hello"[..])));
        assert_eq!(
            c.unwrap_channel(&[0x40, 0x01, 0, 1, 0]),
            None,
            "unknown channel"
        );
        assert_eq!(c.unwrap_channel(&[0x40, 0x00, 0, 9, 0]), None, "truncated");
        let data = Builder::new(Class::Indication, stun::DATA, &[3; 12])
            .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
            .attr(stun::ATTR_DATA, b"world")
            .fingerprint();
        let msg = Message::decode(&data).unwrap();
        assert_eq!(c.unwrap_indication(&msg), Some((peer, &b"world"[..])));
        // The binding (and so the permission) is refreshed every 4 minutes.
        let t1 = t0 + CHANNEL_REFRESH;
        assert!(c.poll_timeout().is_some_and(|t| t <= t1));
        c.handle_timeout(t1, &mut rng);
        let rebind = c.poll_transmit().unwrap();
        assert_eq!(Message::decode(&rebind).unwrap().method, stun::CHANNEL_BIND);
    }
}
