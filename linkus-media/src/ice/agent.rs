//! The ICE agent: gathering, checks, nomination, consent and restart.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::candidate::{Candidate, CandidateKind, pair_priority, priority};
use super::rng::Rng;
use super::stun::{self, Builder, Class, Message};
use super::turn::{Retransmit, TurnClient, TurnEvent, TurnState};
use super::{
    IceConfig, IceCredentials, IceError, IceEvent, IceRole, IceState, Nomination, Received,
    Transmit,
};
use crate::Error;

/// At most this many remote candidates (a bound on the work a peer's SDP
/// or its checks can cause).
const MAX_REMOTE_CANDIDATES: usize = 100;
/// At most this many local addresses.
const MAX_LOCAL_ADDRESSES: usize = 16;
/// The cap of a check's doubling retransmission timeout.
const MAX_CHECK_RTO: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
struct Local {
    cand: Candidate,
    /// The socket it sends from.
    base: SocketAddr,
    /// The TURN client of a relayed candidate.
    turn: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PairState {
    Waiting,
    InProgress,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
struct Pair {
    local: usize,
    remote: usize,
    priority: u64,
    state: PairState,
    nominated: bool,
    /// Controlled side: the peer sent USE-CANDIDATE before the pair was
    /// valid; it is nominated when our check succeeds (RFC 8445 §7.3.1.5).
    nominate_on_success: bool,
    /// The pair lost consent (RFC 7675): it stays failed, whatever checks
    /// arrive on it, until an ICE restart makes new pairs.
    consent_lost: bool,
}

#[derive(Debug, Clone)]
struct Check {
    txid: [u8; 12],
    /// The pair, or `None` for a consent check on the selected path.
    pair: Option<usize>,
    local: usize,
    remote: SocketAddr,
    use_candidate: bool,
    role: IceRole,
    /// The remote password the request was signed with.
    key: String,
    bytes: Vec<u8>,
    next_at: Instant,
    rto: Duration,
    sent: u32,
}

#[derive(Debug)]
struct StunGather {
    server: SocketAddr,
    base: SocketAddr,
    txid: [u8; 12],
    bytes: Vec<u8>,
    next_at: Instant,
    rto: Duration,
    sent: u32,
    done: bool,
}

/// The path media takes: a local candidate and a remote address.
#[derive(Debug, Clone)]
struct Path {
    local: usize,
    remote: Candidate,
}

/// A sans-IO ICE agent for one component (see the [module docs](super)).
#[derive(Debug)]
pub struct IceAgent {
    config: IceConfig,
    role: IceRole,
    tie_breaker: u64,
    rng: Rng,
    local_creds: IceCredentials,
    remote_creds: Option<IceCredentials>,
    locals: Vec<Local>,
    remotes: Vec<Candidate>,
    pairs: Vec<Pair>,
    triggered: VecDeque<(usize, bool)>,
    checks: Vec<Check>,
    gathers: Vec<StunGather>,
    turns: Vec<TurnClient>,
    state: IceState,
    path: Option<Path>,
    /// Pair index of the selected pair of the current ICE session.
    selected: Option<usize>,
    /// Regular nomination: the pair whose USE-CANDIDATE check is out.
    nominating: Option<usize>,
    first_valid_at: Option<Instant>,
    next_check_at: Option<Instant>,
    next_consent_at: Option<Instant>,
    last_consent: Option<Instant>,
    gathering: bool,
    /// The latest `now` the caller gave.
    now: Option<Instant>,
    foundations: Vec<(CandidateKind, std::net::IpAddr, Option<SocketAddr>)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<IceEvent>,
}

fn check_credentials(c: &IceCredentials) -> Result<(), IceError> {
    let ice_chars = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    };
    if c.ufrag.len() < 4 || c.ufrag.len() > 256 || !ice_chars(&c.ufrag) {
        return Err(IceError::BadCredentials {
            reason: "ufrag must be 4-256 ice-chars",
        });
    }
    if c.pwd.len() < 22 || c.pwd.len() > 256 || !ice_chars(&c.pwd) {
        return Err(IceError::BadCredentials {
            reason: "pwd must be 22-256 ice-chars",
        });
    }
    Ok(())
}

impl IceAgent {
    /// An agent with fresh random credentials and tie-breaker.
    ///
    /// # Errors
    ///
    /// [`IceError::Random`] if the system's random number generator fails.
    pub fn new(config: IceConfig) -> Result<Self, Error> {
        let mut rng = Rng::new()?;
        let local_creds = IceCredentials {
            ufrag: rng.ice_string(8),
            pwd: rng.ice_string(24),
        };
        let state = if config.enabled {
            IceState::New
        } else {
            IceState::Disabled
        };
        Ok(IceAgent {
            role: config.role,
            tie_breaker: rng.u64(),
            rng,
            local_creds,
            remote_creds: None,
            locals: Vec::new(),
            remotes: Vec::new(),
            pairs: Vec::new(),
            triggered: VecDeque::new(),
            checks: Vec::new(),
            gathers: Vec::new(),
            turns: Vec::new(),
            state,
            path: None,
            selected: None,
            nominating: None,
            first_valid_at: None,
            next_check_at: None,
            next_consent_at: None,
            last_consent: None,
            gathering: false,
            now: None,
            foundations: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            config,
        })
    }

    /// Whether ICE is on (the user's switch, [`IceConfig::enabled`]).
    pub fn is_enabled(&self) -> bool {
        self.config.enabled
    }

    /// The current state.
    pub fn state(&self) -> IceState {
        self.state
    }

    /// Whether a pair is selected and consent is fresh: [`send`](Self::send)
    /// works.
    pub fn is_connected(&self) -> bool {
        self.state == IceState::Connected
    }

    /// The current role.
    pub fn role(&self) -> IceRole {
        self.role
    }

    /// Our credentials, for `a=ice-ufrag` and `a=ice-pwd`.
    pub fn local_credentials(&self) -> &IceCredentials {
        &self.local_creds
    }

    /// The peer's credentials, once set.
    pub fn remote_credentials(&self) -> Option<&IceCredentials> {
        self.remote_creds.as_ref()
    }

    /// Every local candidate gathered so far (empty when ICE is off).
    ///
    /// With [`IceConfig::relay_only`] only the relayed ones; local
    /// peer-reflexive candidates are never listed (RFC 8445 §7.2.5.3.1).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals
            .iter()
            .filter(|l| self.advertised(l.cand.kind()))
            .map(|l| &l.cand)
    }

    /// Whether local candidates of `kind` go into the SDP.
    fn advertised(&self, kind: CandidateKind) -> bool {
        kind != CandidateKind::PeerReflexive
            && (!self.config.relay_only || kind == CandidateKind::Relayed)
    }

    /// Whether local candidates of `kind` are paired (server-reflexive ones
    /// are replaced by their base, RFC 8445 §6.1.2.4).
    fn pairable(&self, kind: CandidateKind) -> bool {
        match kind {
            CandidateKind::Relayed => true,
            CandidateKind::Host => !self.config.relay_only,
            CandidateKind::ServerReflexive | CandidateKind::PeerReflexive => false,
        }
    }

    /// The remote candidates (from SDP, and peer-reflexive ones learned
    /// from checks).
    pub fn remote_candidates(&self) -> &[Candidate] {
        &self.remotes
    }

    /// The selected pair: the local and remote candidate media uses.
    pub fn selected_pair(&self) -> Option<(&Candidate, &Candidate)> {
        let p = self.path.as_ref()?;
        Some((&self.locals.get(p.local)?.cand, &p.remote))
    }

    /// Whether every STUN/TURN server has answered or failed.
    pub fn is_gathering_complete(&self) -> bool {
        self.gathers.iter().all(|g| g.done) && self.turns.iter().all(TurnClient::settled)
    }

    /// The SDP attribute lines of ICE (`a=ice-ufrag`, `a=ice-pwd`, one
    /// `a=candidate` per local candidate, `a=end-of-candidates` once
    /// gathering is complete); none when ICE is off, so the SDP carries
    /// plain `c=`/`m=` addresses.
    pub fn sdp_attributes(&self) -> Vec<String> {
        if !self.config.enabled {
            return Vec::new();
        }
        let mut v = vec![
            format!("a=ice-ufrag:{}", self.local_creds.ufrag),
            format!("a=ice-pwd:{}", self.local_creds.pwd),
        ];
        v.extend(self.local_candidates().map(|c| format!("a={c}")));
        if self.is_gathering_complete() {
            v.push("a=end-of-candidates".into());
        }
        v
    }

    /// Our ICE parameters for the SDP module's offer or answer
    /// ([`LocalMedia::with_ice`](crate::sdp::LocalMedia::with_ice)); `None`
    /// when ICE is off, so the SDP carries plain `c=`/`m=` addresses.
    pub fn sdp_ice(&self) -> Option<crate::sdp::IceCredentials> {
        if !self.config.enabled {
            return None;
        }
        Some(crate::sdp::IceCredentials {
            ufrag: self.local_creds.ufrag.clone(),
            pwd: self.local_creds.pwd.clone(),
            candidates: self.local_candidates().map(Into::into).collect(),
            end_of_candidates: self.is_gathering_complete(),
            lite: false,
        })
    }

    /// Applies the peer's ICE parameters from a negotiated offer or answer.
    /// New credentials after earlier ones are the peer's ICE restart: this
    /// agent restarts too (RFC 8445 §9), so the answer must carry
    /// [`sdp_ice`](Self::sdp_ice) again. Candidates the agent cannot use
    /// (TCP, FQDN, mDNS) are skipped. Returns whether it restarted.
    ///
    /// # Errors
    ///
    /// As [`set_remote_credentials`](Self::set_remote_credentials) and
    /// [`add_remote_candidate`](Self::add_remote_candidate).
    pub fn apply_remote_ice(&mut self, remote: &crate::sdp::RemoteIce) -> Result<bool, Error> {
        if !self.config.enabled {
            return Err(IceError::Disabled.into());
        }
        let creds = IceCredentials {
            ufrag: remote.ufrag.clone(),
            pwd: remote.pwd.clone(),
        };
        let restarted = match &self.remote_creds {
            Some(old) if *old != creds => {
                self.restart()?;
                true
            }
            _ => false,
        };
        self.set_remote_credentials(creds)?;
        for c in &remote.candidates {
            if let Ok(c) = Candidate::try_from(c) {
                self.add_remote_candidate(c)?;
            }
        }
        Ok(restarted)
    }

    /// The candidate for the SDP's `c=`/`m=` line (RFC 8839 §4.2.1.1):
    /// the selected one once connected, else the relayed, server-reflexive
    /// or host candidate, in that order of preference.
    pub fn default_candidate(&self) -> Option<&Candidate> {
        if let Some((local, _)) = self.selected_pair() {
            return Some(local);
        }
        [
            CandidateKind::Relayed,
            CandidateKind::ServerReflexive,
            CandidateKind::Host,
        ]
        .into_iter()
        .find_map(|k| self.local_candidates().find(|c| c.kind() == k))
    }

    fn foundation(
        &mut self,
        kind: CandidateKind,
        base: SocketAddr,
        server: Option<SocketAddr>,
    ) -> String {
        let key = (kind, base.ip(), server);
        let i = match self.foundations.iter().position(|f| *f == key) {
            Some(i) => i,
            None => {
                self.foundations.push(key);
                self.foundations.len() - 1
            }
        };
        (i + 1).to_string()
    }

    /// Adds the address of a local UDP socket: a host candidate, and the
    /// start of server-reflexive and relayed gathering from it through the
    /// configured servers of the same address family. Does nothing when
    /// ICE is off.
    ///
    /// # Errors
    ///
    /// [`IceError::BadCandidate`] for an unspecified address or port, or
    /// more than 16 addresses.
    pub fn add_local_address(&mut self, now: Instant, addr: SocketAddr) -> Result<(), Error> {
        self.now = Some(now);
        if !self.config.enabled {
            return Ok(());
        }
        if addr.ip().is_unspecified() || addr.port() == 0 {
            return Err(IceError::BadCandidate {
                reason: "a local address needs a concrete IP and port",
            }
            .into());
        }
        let hosts = self
            .locals
            .iter()
            .filter(|l| l.cand.kind() == CandidateKind::Host)
            .count();
        if self.locals.iter().any(|l| l.cand.addr() == addr) {
            return Ok(());
        }
        if hosts >= MAX_LOCAL_ADDRESSES {
            return Err(IceError::BadCandidate {
                reason: "too many local addresses",
            }
            .into());
        }
        let local_pref = u16::MAX - u16::try_from(hosts).unwrap_or(0);
        let foundation = self.foundation(CandidateKind::Host, addr, None);
        let cand = Candidate::local(
            foundation,
            self.config.component,
            addr,
            CandidateKind::Host,
            None,
            local_pref,
        );
        self.push_local(Local {
            cand,
            base: addr,
            turn: None,
        });
        for server in self.config.stun_servers.clone() {
            if server.is_ipv4() != addr.is_ipv4() {
                continue;
            }
            let txid = self.rng.txid();
            let bytes = Builder::new(Class::Request, stun::BINDING, &txid).fingerprint();
            self.transmits.push_back(Transmit {
                from: addr,
                to: server,
                data: bytes.clone(),
            });
            self.gathers.push(StunGather {
                server,
                base: addr,
                txid,
                bytes,
                next_at: now + self.config.server_rto,
                rto: self.config.server_rto,
                sent: 1,
                done: false,
            });
        }
        let retransmit = Retransmit {
            rto: self.config.server_rto,
            max_sends: self.config.server_max_sends,
        };
        for server in self.config.turn_servers.clone() {
            if server.addr.is_ipv4() != addr.is_ipv4() {
                continue;
            }
            let client = TurnClient::new(
                now,
                server.addr,
                addr,
                &server.username,
                &server.password,
                retransmit,
                &mut self.rng,
            );
            self.turns.push(client);
        }
        self.gathering = true;
        self.pump_turns(now);
        self.check_gathering_complete();
        Ok(())
    }

    fn push_local(&mut self, local: Local) {
        let pairable = self.pairable(local.cand.kind());
        if self.advertised(local.cand.kind()) {
            self.events
                .push_back(IceEvent::CandidateGathered(local.cand.clone()));
        }
        self.locals.push(local);
        if pairable {
            let li = self.locals.len() - 1;
            for ri in 0..self.remotes.len() {
                self.add_pair(li, ri);
            }
        }
    }

    fn check_gathering_complete(&mut self) {
        if self.gathering && self.is_gathering_complete() {
            self.gathering = false;
            self.events.push_back(IceEvent::GatheringComplete);
        }
    }

    /// Sets the peer's `a=ice-ufrag`/`a=ice-pwd` and starts the checks.
    ///
    /// # Errors
    ///
    /// [`IceError::BadCredentials`] if they are too short or not ice-chars;
    /// [`IceError::Disabled`] when ICE is off.
    pub fn set_remote_credentials(&mut self, creds: IceCredentials) -> Result<(), Error> {
        if !self.config.enabled {
            return Err(IceError::Disabled.into());
        }
        check_credentials(&creds)?;
        self.remote_creds = Some(creds);
        if self.state == IceState::New {
            self.set_state(IceState::Checking);
        }
        Ok(())
    }

    /// Adds a remote candidate (from SDP or trickled). Candidates of
    /// another component or address family than ours still pair only with
    /// matching local ones.
    ///
    /// # Errors
    ///
    /// [`IceError::Disabled`] when ICE is off; [`IceError::BadCandidate`]
    /// past 100 remote candidates.
    pub fn add_remote_candidate(&mut self, cand: Candidate) -> Result<(), Error> {
        if !self.config.enabled {
            return Err(IceError::Disabled.into());
        }
        if cand.component() != self.config.component
            || self.remotes.iter().any(|r| r.addr() == cand.addr())
        {
            return Ok(());
        }
        if self.remotes.len() >= MAX_REMOTE_CANDIDATES {
            return Err(IceError::BadCandidate {
                reason: "too many remote candidates",
            }
            .into());
        }
        self.remotes.push(cand);
        let ri = self.remotes.len() - 1;
        for li in 0..self.locals.len() {
            self.add_pair(li, ri);
        }
        if self.state == IceState::Failed && self.path.is_none() && self.remote_creds.is_some() {
            self.set_state(IceState::Checking);
        }
        Ok(())
    }

    fn pair_prio(&self, local: &Candidate, remote: &Candidate) -> u64 {
        match self.role {
            IceRole::Controlling => pair_priority(local.priority(), remote.priority()),
            IceRole::Controlled => pair_priority(remote.priority(), local.priority()),
        }
    }

    fn add_pair(&mut self, li: usize, ri: usize) -> Option<usize> {
        let (local, remote) = (&self.locals[li], &self.remotes[ri]);
        if !self.pairable(local.cand.kind())
            || local.cand.addr().is_ipv4() != remote.addr().is_ipv4()
        {
            return None;
        }
        if let Some(i) = self
            .pairs
            .iter()
            .position(|p| p.local == li && p.remote == ri)
        {
            return Some(i);
        }
        let priority = self.pair_prio(&local.cand, remote);
        self.pairs.push(Pair {
            local: li,
            remote: ri,
            priority,
            state: PairState::Waiting,
            nominated: false,
            nominate_on_success: false,
            consent_lost: false,
        });
        Some(self.pairs.len() - 1)
    }

    fn set_state(&mut self, state: IceState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(IceEvent::StateChanged(state));
        }
    }

    /// Sets the role (from the offer/answer: the offerer controls). A
    /// change emits [`IceEvent::RoleChanged`].
    pub fn set_role(&mut self, role: IceRole) {
        if self.role == role {
            return;
        }
        self.role = role;
        for i in 0..self.pairs.len() {
            let p = &self.pairs[i];
            let prio = self.pair_prio(&self.locals[p.local].cand, &self.remotes[p.remote]);
            self.pairs[i].priority = prio;
        }
        self.nominating = None;
        self.events.push_back(IceEvent::RoleChanged(role));
    }

    /// Queues `data` for the socket of local candidate `li` to `to`.
    fn send_from(&mut self, now: Instant, li: usize, to: SocketAddr, data: Vec<u8>) {
        let Some(local) = self.locals.get(li) else {
            return;
        };
        match local.turn {
            None => self.transmits.push_back(Transmit {
                from: local.base,
                to,
                data,
            }),
            Some(t) => {
                let Some(client) = self.turns.get_mut(t) else {
                    return;
                };
                if let Some(wrapped) = client.wrap(now, to, &data, &mut self.rng) {
                    let (from, server) = (client.base, client.server);
                    self.pump_turn_transmits(t);
                    self.transmits.push_back(Transmit {
                        from,
                        to: server,
                        data: wrapped,
                    });
                }
            }
        }
    }

    /// Routes a datagram received on the local socket `to` from `from`.
    ///
    /// STUN checks and responses and TURN traffic are consumed; media from
    /// a known remote candidate comes back as [`Received::Media`] (or
    /// [`Received::RelayedMedia`] when a TURN server relayed it). When ICE
    /// is off every non-STUN datagram is media.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        data: &[u8],
    ) -> Received {
        self.now = Some(now);
        if !self.config.enabled {
            return if stun::is_stun(data) {
                Received::Discarded
            } else {
                Received::Media { from }
            };
        }
        // The TURN server of an allocation from this socket.
        if let Some(t) = self
            .turns
            .iter()
            .position(|c| c.server == from && c.base == to)
        {
            return self.handle_from_turn(now, t, data);
        }
        if stun::is_stun(data) {
            let Some(msg) = Message::decode(data) else {
                return Received::Discarded;
            };
            // A STUN server's Binding response.
            if let Some(g) = self
                .gathers
                .iter()
                .position(|g| !g.done && g.txid == msg.txid && g.server == from && g.base == to)
            {
                self.handle_gather_response(g, &msg);
                return Received::Consumed;
            }
            let Some(li) = self.locals.iter().position(|l| {
                l.turn.is_none() && l.cand.kind() == CandidateKind::Host && l.base == to
            }) else {
                return Received::Discarded;
            };
            return self.handle_stun(now, li, from, &msg);
        }
        if self.is_known_remote(from) {
            Received::Media { from }
        } else {
            Received::Discarded
        }
    }

    /// A remote candidate, or the remote end of the path media uses (kept
    /// through an ICE restart).
    fn is_known_remote(&self, addr: SocketAddr) -> bool {
        self.remotes.iter().any(|r| r.addr() == addr)
            || self.path.as_ref().is_some_and(|p| p.remote.addr() == addr)
    }

    fn handle_from_turn(&mut self, now: Instant, t: usize, data: &[u8]) -> Received {
        let li = self.locals.iter().position(|l| l.turn == Some(t));
        let (peer, inner) = if stun::is_stun(data) {
            let Some(msg) = Message::decode(data) else {
                return Received::Discarded;
            };
            if msg.class == Class::Indication {
                match self.turns[t].unwrap_indication(&msg) {
                    Some(x) => x,
                    None => return Received::Discarded,
                }
            } else {
                if self.turns[t].owns(&msg.txid) {
                    self.turns[t].handle_response(now, &msg, &mut self.rng);
                    self.pump_turns(now);
                    return Received::Consumed;
                }
                return Received::Discarded;
            }
        } else {
            match self.turns[t].unwrap_channel(data) {
                Some(x) => x,
                None => return Received::Discarded,
            }
        };
        let Some(li) = li else {
            return Received::Discarded;
        };
        if stun::is_stun(inner) {
            let Some(msg) = Message::decode(inner) else {
                return Received::Discarded;
            };
            return self.handle_stun(now, li, peer, &msg);
        }
        if self.is_known_remote(peer) {
            Received::RelayedMedia {
                from: peer,
                payload: inner.to_vec(),
            }
        } else {
            Received::Discarded
        }
    }

    fn handle_gather_response(&mut self, g: usize, msg: &Message<'_>) {
        let (server, base) = (self.gathers[g].server, self.gathers[g].base);
        self.gathers[g].done = true;
        match (msg.class, msg.xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS)) {
            (Class::Success, Some(mapped)) => self.add_srflx(mapped, base, server),
            _ => {
                let (code, reason) = msg.error_code().unwrap_or((0, "no XOR-MAPPED-ADDRESS"));
                self.events.push_back(IceEvent::GatheringFailed {
                    server,
                    error: IceError::TurnRejected {
                        server,
                        code,
                        reason: reason.to_owned(),
                    },
                });
            }
        }
        self.check_gathering_complete();
    }

    fn add_srflx(&mut self, mapped: SocketAddr, base: SocketAddr, server: SocketAddr) {
        // A reflexive address equal to a local one is redundant (no NAT).
        if self.locals.iter().any(|l| l.cand.addr() == mapped) {
            return;
        }
        let local_pref = self
            .locals
            .iter()
            .find(|l| l.base == base && l.cand.kind() == CandidateKind::Host)
            .map_or(u16::MAX, |l| ((l.cand.priority() >> 8) & 0xFFFF) as u16);
        let foundation = self.foundation(CandidateKind::ServerReflexive, base, Some(server));
        let cand = Candidate::local(
            foundation,
            self.config.component,
            mapped,
            CandidateKind::ServerReflexive,
            Some(base),
            local_pref,
        );
        self.push_local(Local {
            cand,
            base,
            turn: None,
        });
    }

    fn pump_turn_transmits(&mut self, t: usize) {
        let Some(client) = self.turns.get_mut(t) else {
            return;
        };
        while let Some(data) = client.poll_transmit() {
            self.transmits.push_back(Transmit {
                from: client.base,
                to: client.server,
                data,
            });
        }
    }

    fn pump_turns(&mut self, _now: Instant) {
        for t in 0..self.turns.len() {
            self.pump_turn_transmits(t);
            while let Some(ev) = self.turns[t].poll_event() {
                let (server, base) = (self.turns[t].server, self.turns[t].base);
                match ev {
                    TurnEvent::Allocated { relayed, mapped } => {
                        self.add_srflx(mapped, base, server);
                        let local_pref = self
                            .locals
                            .iter()
                            .find(|l| l.base == base && l.cand.kind() == CandidateKind::Host)
                            .map_or(u16::MAX, |l| ((l.cand.priority() >> 8) & 0xFFFF) as u16);
                        let foundation =
                            self.foundation(CandidateKind::Relayed, relayed, Some(server));
                        let cand = Candidate::local(
                            foundation,
                            self.config.component,
                            relayed,
                            CandidateKind::Relayed,
                            Some(mapped),
                            local_pref,
                        );
                        self.push_local(Local {
                            cand,
                            base,
                            turn: Some(t),
                        });
                    }
                    TurnEvent::Failed(error) => {
                        self.events
                            .push_back(IceEvent::GatheringFailed { server, error });
                        // Pairs on a failed allocation fail too.
                        if let Some(li) = self.locals.iter().position(|l| l.turn == Some(t)) {
                            for p in &mut self.pairs {
                                if p.local == li {
                                    p.state = PairState::Failed;
                                }
                            }
                        }
                    }
                }
            }
        }
        self.check_gathering_complete();
    }

    fn respond(&mut self, now: Instant, li: usize, to: SocketAddr, data: Vec<u8>) {
        self.send_from(now, li, to, data);
    }

    fn handle_stun(
        &mut self,
        now: Instant,
        li: usize,
        from: SocketAddr,
        msg: &Message<'_>,
    ) -> Received {
        if msg.method != stun::BINDING {
            return Received::Discarded;
        }
        match msg.class {
            Class::Request => self.handle_request(now, li, from, msg),
            Class::Success | Class::Error => self.handle_response(now, li, from, msg),
            // Binding indications are keepalives.
            Class::Indication => Received::Consumed,
        }
    }

    fn handle_request(
        &mut self,
        now: Instant,
        li: usize,
        from: SocketAddr,
        msg: &Message<'_>,
    ) -> Received {
        let username = msg.text(stun::ATTR_USERNAME).unwrap_or("");
        let ours = username
            .split_once(':')
            .is_some_and(|(l, _)| l == self.local_creds.ufrag);
        if !ours || !msg.verify_integrity(self.local_creds.pwd.as_bytes()) {
            return Received::Discarded;
        }
        // Role conflicts (RFC 8445 §7.3.1.1).
        match (
            self.role,
            msg.u64_attr(stun::ATTR_ICE_CONTROLLING),
            msg.u64_attr(stun::ATTR_ICE_CONTROLLED),
        ) {
            (IceRole::Controlling, Some(theirs), _) => {
                if self.tie_breaker >= theirs {
                    self.send_error(now, li, from, msg, 487, "Role Conflict");
                    return Received::Consumed;
                }
                self.set_role(IceRole::Controlled);
            }
            (IceRole::Controlled, _, Some(theirs)) => {
                if self.tie_breaker >= theirs {
                    self.set_role(IceRole::Controlling);
                } else {
                    self.send_error(now, li, from, msg, 487, "Role Conflict");
                    return Received::Consumed;
                }
            }
            _ => {}
        }
        let resp = Builder::new(Class::Success, stun::BINDING, &msg.txid)
            .xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS, from)
            .integrity(self.local_creds.pwd.as_bytes())
            .fingerprint();
        self.respond(now, li, from, resp);

        // The remote candidate, peer-reflexive if new (RFC 8445 §7.3.1.3).
        let ri = match self.remotes.iter().position(|r| r.addr() == from) {
            Some(ri) => ri,
            None => {
                if self.remotes.len() >= MAX_REMOTE_CANDIDATES {
                    return Received::Consumed;
                }
                let prio = msg.u32_attr(stun::ATTR_PRIORITY).unwrap_or(0);
                let foundation = format!("prflx{}", self.remotes.len());
                let Ok(c) = Candidate::new(
                    foundation,
                    self.config.component,
                    prio,
                    from,
                    CandidateKind::PeerReflexive,
                    None,
                ) else {
                    return Received::Consumed;
                };
                self.remotes.push(c);
                let ri = self.remotes.len() - 1;
                for l in 0..self.locals.len() {
                    self.add_pair(l, ri);
                }
                ri
            }
        };
        let Some(pi) = self.add_pair(li, ri) else {
            return Received::Consumed;
        };
        let use_candidate = msg.has(stun::ATTR_USE_CANDIDATE) && self.role == IceRole::Controlled;
        let pair = &mut self.pairs[pi];
        let mut triggered = false;
        match pair.state {
            PairState::Succeeded => {
                if use_candidate && !pair.nominated {
                    pair.nominated = true;
                    self.update_selection(now);
                }
            }
            PairState::InProgress => pair.nominate_on_success |= use_candidate,
            PairState::Failed if pair.consent_lost => {}
            PairState::Waiting | PairState::Failed => {
                pair.nominate_on_success |= use_candidate;
                pair.state = PairState::Waiting;
                triggered = true;
                if !self.triggered.iter().any(|(p, _)| *p == pi) {
                    self.triggered.push_back((pi, false));
                }
            }
        }
        if triggered
            && self.state == IceState::Failed
            && self.path.is_none()
            && self.remote_creds.is_some()
        {
            self.set_state(IceState::Checking);
        }
        Received::Consumed
    }

    fn send_error(
        &mut self,
        now: Instant,
        li: usize,
        to: SocketAddr,
        msg: &Message<'_>,
        code: u16,
        reason: &str,
    ) {
        let resp = Builder::new(Class::Error, stun::BINDING, &msg.txid)
            .error_code(code, reason)
            .integrity(self.local_creds.pwd.as_bytes())
            .fingerprint();
        self.respond(now, li, to, resp);
    }

    fn handle_response(
        &mut self,
        now: Instant,
        li: usize,
        from: SocketAddr,
        msg: &Message<'_>,
    ) -> Received {
        let Some(ci) = self.checks.iter().position(|c| c.txid == msg.txid) else {
            return Received::Discarded;
        };
        if !msg.verify_integrity(self.checks[ci].key.as_bytes()) {
            return Received::Discarded;
        }
        let check = self.checks.remove(ci);
        // Responses must come back on the same path (RFC 8445 §7.2.5.2.1).
        let symmetric = check.remote == from && check.local == li;
        let Some(pi) = check.pair else {
            // A consent check.
            if msg.class == Class::Success && symmetric {
                self.last_consent = Some(now);
            }
            return Received::Consumed;
        };
        if pi >= self.pairs.len() {
            return Received::Consumed;
        }
        if msg.class == Class::Error {
            let code = msg.error_code().map_or(0, |(c, _)| c);
            if code == 487 && check.role == self.role {
                let flipped = match self.role {
                    IceRole::Controlling => IceRole::Controlled,
                    IceRole::Controlled => IceRole::Controlling,
                };
                self.set_role(flipped);
                self.pairs[pi].state = PairState::Waiting;
                self.triggered.push_back((pi, false));
            } else if code != 487 {
                self.fail_pair(pi);
            } else {
                self.pairs[pi].state = PairState::Waiting;
                self.triggered.push_back((pi, false));
            }
            return Received::Consumed;
        }
        if !symmetric {
            self.fail_pair(pi);
            return Received::Consumed;
        }
        if let Some(mapped) = msg.xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS)
            && !self.locals.iter().any(|l| l.cand.addr() == mapped)
        {
            // A peer-reflexive local candidate (RFC 8445 §7.2.5.3.1); it
            // is not paired: the pair that found it becomes valid.
            let base = self.locals[li].base;
            let local_pref = ((self.locals[li].cand.priority() >> 8) & 0xFFFF) as u16;
            let foundation = self.foundation(CandidateKind::PeerReflexive, base, None);
            let cand = Candidate::local(
                foundation,
                self.config.component,
                mapped,
                CandidateKind::PeerReflexive,
                Some(base),
                local_pref,
            );
            self.locals.push(Local {
                cand,
                base,
                turn: None,
            });
        }
        let pair = &mut self.pairs[pi];
        pair.state = PairState::Succeeded;
        if self
            .path
            .as_ref()
            .is_some_and(|p| p.local == li && p.remote.addr() == from)
        {
            self.last_consent = Some(now);
        }
        let nominate = match self.role {
            IceRole::Controlling => check.use_candidate,
            IceRole::Controlled => pair.nominate_on_success,
        };
        if nominate {
            pair.nominated = true;
        }
        if check.use_candidate && self.nominating == Some(pi) {
            self.nominating = None;
        }
        if self.first_valid_at.is_none() {
            self.first_valid_at = Some(now);
        }
        self.update_selection(now);
        Received::Consumed
    }

    fn fail_pair(&mut self, pi: usize) {
        if let Some(p) = self.pairs.get_mut(pi) {
            p.state = PairState::Failed;
            p.nominated = false;
        }
        if self.nominating == Some(pi) {
            self.nominating = None;
        }
        if self.selected == Some(pi) {
            self.selected = None;
        }
    }

    /// Selects the best nominated valid pair (RFC 8445 §8.1.1).
    fn update_selection(&mut self, now: Instant) {
        let best = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.nominated && p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i);
        let Some(pi) = best else {
            return;
        };
        if self.selected == Some(pi) {
            return;
        }
        self.selected = Some(pi);
        let (li, ri) = (self.pairs[pi].local, self.pairs[pi].remote);
        let remote = self.remotes[ri].clone();
        self.path = Some(Path {
            local: li,
            remote: remote.clone(),
        });
        self.last_consent = Some(now);
        if self.next_consent_at.is_none() {
            self.schedule_consent(now);
        }
        self.events.push_back(IceEvent::SelectedPair {
            local: self.locals[li].cand.clone(),
            remote,
        });
        self.set_state(IceState::Connected);
    }

    fn schedule_consent(&mut self, now: Instant) {
        let jitter = self.rng.jitter();
        self.next_consent_at = Some(now + self.config.consent_interval.mul_f64(jitter));
    }

    fn build_check(
        &mut self,
        li: usize,
        use_candidate: bool,
    ) -> Option<([u8; 12], Vec<u8>, String)> {
        let remote = self.remote_creds.as_ref()?;
        let txid = self.rng.txid();
        let local = &self.locals[li].cand;
        let prflx_priority = priority(
            CandidateKind::PeerReflexive,
            ((local.priority() >> 8) & 0xFFFF) as u16,
            local.component(),
        );
        let mut b = Builder::new(Class::Request, stun::BINDING, &txid)
            .attr(
                stun::ATTR_USERNAME,
                format!("{}:{}", remote.ufrag, self.local_creds.ufrag).as_bytes(),
            )
            .u32_attr(stun::ATTR_PRIORITY, prflx_priority);
        b = match self.role {
            IceRole::Controlling => b.u64_attr(stun::ATTR_ICE_CONTROLLING, self.tie_breaker),
            IceRole::Controlled => b.u64_attr(stun::ATTR_ICE_CONTROLLED, self.tie_breaker),
        };
        if use_candidate {
            b = b.attr(stun::ATTR_USE_CANDIDATE, &[]);
        }
        let key = remote.pwd.clone();
        Some((txid, b.integrity(key.as_bytes()).fingerprint(), key))
    }

    fn send_check(&mut self, now: Instant, pi: usize, nominate: bool) {
        let use_candidate = self.role == IceRole::Controlling
            && (nominate || self.config.nomination == Nomination::Aggressive);
        let li = self.pairs[pi].local;
        let remote = self.remotes[self.pairs[pi].remote].addr();
        let Some((txid, bytes, key)) = self.build_check(li, use_candidate) else {
            return;
        };
        // A new check on a pair replaces its outstanding one.
        self.checks.retain(|c| c.pair != Some(pi));
        self.pairs[pi].state = PairState::InProgress;
        self.send_from(now, li, remote, bytes.clone());
        self.checks.push(Check {
            txid,
            pair: Some(pi),
            local: li,
            remote,
            use_candidate,
            role: self.role,
            key,
            bytes,
            next_at: now + self.config.check_rto,
            rto: self.config.check_rto,
            sent: 1,
        });
    }

    fn send_consent(&mut self, now: Instant) {
        let Some(path) = self.path.clone() else {
            return;
        };
        let Some((txid, bytes, key)) = self.build_check(path.local, false) else {
            return;
        };
        self.send_from(now, path.local, path.remote.addr(), bytes.clone());
        // Consent checks are not retransmitted; the entry only matches the
        // response and is dropped after the consent timeout.
        self.checks.push(Check {
            txid,
            pair: None,
            local: path.local,
            remote: path.remote.addr(),
            use_candidate: false,
            role: self.role,
            key,
            bytes,
            next_at: now + self.config.consent_timeout,
            rto: self.config.consent_timeout,
            sent: self.config.check_max_sends,
        });
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.config.enabled || self.state == IceState::Closed && self.turns.is_empty() {
            return None;
        }
        let checking = self.remote_creds.is_some()
            && (!self.triggered.is_empty()
                || self.pairs.iter().any(|p| p.state == PairState::Waiting));
        let mut t: Vec<Instant> = Vec::new();
        if checking {
            t.extend(self.next_check_at);
        }
        t.extend(self.checks.iter().map(|c| c.next_at));
        t.extend(self.gathers.iter().filter(|g| !g.done).map(|g| g.next_at));
        t.extend(self.turns.iter().filter_map(TurnClient::poll_timeout));
        if self.path.is_some() {
            t.extend(self.next_consent_at);
            t.extend(self.last_consent.map(|l| l + self.config.consent_timeout));
        }
        if self.role == IceRole::Controlling
            && self.config.nomination == Nomination::Regular
            && self.selected.is_none()
            && self.nominating.is_none()
            && !matches!(self.state, IceState::Failed | IceState::Closed)
            && self.pairs.iter().any(|p| p.state == PairState::Succeeded)
        {
            t.extend(self.first_valid_at.map(|f| f + self.config.nomination_wait));
        }
        let earliest = t.into_iter().min();
        // With a check due and no pacing timer yet, wake at once.
        match (checking, self.next_check_at, self.now) {
            (true, None, Some(now)) => Some(earliest.map_or(now, |e| e.min(now))),
            _ => earliest,
        }
    }

    /// Advances timers to `now`: paced checks, retransmissions, server
    /// transactions, TURN refreshes, nomination and consent.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        if !self.config.enabled || self.state == IceState::Closed {
            if self.state == IceState::Closed {
                for t in 0..self.turns.len() {
                    self.turns[t].handle_timeout(now, &mut self.rng);
                    self.pump_turn_transmits(t);
                }
            }
            return;
        }
        // STUN gathering retransmissions.
        for g in 0..self.gathers.len() {
            let gather = &mut self.gathers[g];
            if gather.done || gather.next_at > now {
                continue;
            }
            if gather.sent >= self.config.server_max_sends {
                gather.done = true;
                let server = gather.server;
                self.events.push_back(IceEvent::GatheringFailed {
                    server,
                    error: IceError::ServerTimeout { server },
                });
                continue;
            }
            gather.sent += 1;
            gather.rto = (gather.rto * 2).min(Duration::from_secs(8));
            gather.next_at = now + gather.rto;
            self.transmits.push_back(Transmit {
                from: gather.base,
                to: gather.server,
                data: gather.bytes.clone(),
            });
        }
        for t in 0..self.turns.len() {
            self.turns[t].handle_timeout(now, &mut self.rng);
        }
        self.pump_turns(now);

        // Check retransmissions and timeouts.
        let mut failed = Vec::new();
        let mut resend = Vec::new();
        self.checks.retain_mut(|c| {
            if c.next_at > now {
                return true;
            }
            if c.sent >= self.config.check_max_sends {
                failed.extend(c.pair);
                return false;
            }
            c.sent += 1;
            c.rto = (c.rto * 2).min(MAX_CHECK_RTO);
            c.next_at = now + c.rto;
            resend.push((c.local, c.remote, c.bytes.clone()));
            true
        });
        for (li, to, bytes) in resend {
            self.send_from(now, li, to, bytes);
        }
        for pi in failed {
            self.fail_pair(pi);
        }

        self.regular_nomination(now);

        // Paced checks: triggered first, then the best waiting pair.
        if self.remote_creds.is_some() && self.next_check_at.is_none_or(|t| t <= now) {
            let next = self.triggered.pop_front().or_else(|| {
                self.pairs
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.state == PairState::Waiting)
                    .max_by_key(|(_, p)| p.priority)
                    .map(|(i, _)| (i, false))
            });
            if let Some((pi, nominate)) = next {
                self.send_check(now, pi, nominate);
                self.next_check_at = Some(now + self.config.check_pacing);
            } else {
                self.next_check_at = None;
            }
        }

        // Consent freshness (RFC 7675).
        if self.path.is_some() {
            if self
                .last_consent
                .is_some_and(|l| now >= l + self.config.consent_timeout)
            {
                // The pair lost consent: it is not selected again.
                if let Some(pair) = self.selected.and_then(|pi| self.pairs.get_mut(pi)) {
                    pair.state = PairState::Failed;
                    pair.nominated = false;
                    pair.consent_lost = true;
                }
                self.path = None;
                self.selected = None;
                self.next_consent_at = None;
                self.checks.retain(|c| c.pair.is_some());
                self.events.push_back(IceEvent::ConsentLost);
                self.set_state(IceState::Failed);
            } else if self.next_consent_at.is_some_and(|t| t <= now) {
                self.send_consent(now);
                self.schedule_consent(now);
            }
        }

        // ICE fails when every pair failed and nothing is left to try.
        if self.state == IceState::Checking
            && self.path.is_none()
            && !self.pairs.is_empty()
            && self.pairs.iter().all(|p| p.state == PairState::Failed)
            && self.triggered.is_empty()
            && self.is_gathering_complete()
        {
            self.set_state(IceState::Failed);
        }
    }

    fn regular_nomination(&mut self, now: Instant) {
        if self.role != IceRole::Controlling
            || self.config.nomination != Nomination::Regular
            || self.selected.is_some()
            || self.nominating.is_some()
            || matches!(self.state, IceState::Failed | IceState::Closed)
        {
            return;
        }
        let Some((pi, best)) = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, p)| (i, p.priority))
        else {
            return;
        };
        let better_pending = self.pairs.iter().any(|p| {
            p.priority > best && matches!(p.state, PairState::Waiting | PairState::InProgress)
        }) || !self.is_gathering_complete();
        let waited = self
            .first_valid_at
            .is_some_and(|f| now >= f + self.config.nomination_wait);
        if !better_pending || waited {
            self.nominating = Some(pi);
            self.triggered.retain(|(p, _)| *p != pi);
            self.triggered.push_front((pi, true));
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<IceEvent> {
        self.events.pop_front()
    }

    /// Wraps a media datagram (RTP, RTCP, DTLS) for the selected pair: a
    /// direct datagram, or one through the TURN server.
    ///
    /// # Errors
    ///
    /// [`IceError::NotConnected`] without a selected pair (before
    /// connectivity, after consent was lost); [`IceError::Disabled`] when
    /// ICE is off (send to the SDP's `c=`/`m=` address instead).
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<Transmit, Error> {
        self.now = Some(now);
        if !self.config.enabled {
            return Err(IceError::Disabled.into());
        }
        let path = self.path.clone().ok_or(IceError::NotConnected)?;
        let before = self.transmits.len();
        self.send_from(now, path.local, path.remote.addr(), data.to_vec());
        // The media datagram is the last one queued (a ChannelBind request
        // may precede it).
        if self.transmits.len() > before {
            self.transmits
                .pop_back()
                .ok_or(IceError::NotConnected.into())
        } else {
            Err(IceError::NotConnected.into())
        }
    }

    /// Restarts ICE (RFC 8445 §9): new local credentials, the peer's
    /// credentials and candidates forgotten, local candidates (and TURN
    /// allocations) kept. Media keeps flowing on the selected pair until
    /// the new checks select one; consent keeps being timed. Put the new
    /// credentials in the next offer, then call
    /// [`set_remote_credentials`](Self::set_remote_credentials) and
    /// [`add_remote_candidate`](Self::add_remote_candidate) with the
    /// answer.
    ///
    /// # Errors
    ///
    /// [`IceError::Disabled`] when ICE is off.
    pub fn restart(&mut self) -> Result<&IceCredentials, Error> {
        if !self.config.enabled {
            return Err(IceError::Disabled.into());
        }
        self.local_creds = IceCredentials {
            ufrag: self.rng.ice_string(8),
            pwd: self.rng.ice_string(24),
        };
        self.remote_creds = None;
        // The path keeps its local index (local candidates stay) and a
        // copy of the remote candidate; pair indices go.
        self.remotes.clear();
        self.pairs.clear();
        self.triggered.clear();
        self.checks.clear();
        self.selected = None;
        self.nominating = None;
        self.first_valid_at = None;
        self.next_check_at = None;
        if self.path.is_none() {
            self.set_state(IceState::New);
        }
        Ok(&self.local_creds)
    }

    /// Stops: no more checks; TURN allocations are released (a Refresh with
    /// lifetime 0 each, to send from [`poll_transmit`](Self::poll_transmit)).
    pub fn close(&mut self, now: Instant) {
        for t in 0..self.turns.len() {
            self.turns[t].close(now, &mut self.rng);
            self.pump_turn_transmits(t);
        }
        self.checks.clear();
        self.triggered.clear();
        self.path = None;
        self.selected = None;
        if self.config.enabled {
            self.set_state(IceState::Closed);
        }
    }

    /// Whether the TURN allocation on `server` is in place (for tests and
    /// diagnostics).
    pub fn has_allocation(&self, server: SocketAddr) -> bool {
        self.turns
            .iter()
            .any(|t| t.server == server && matches!(t.state(), TurnState::Allocated { .. }))
    }

    /// The relayed address allocated on `server`, if any.
    pub fn relayed_address(&self, server: SocketAddr) -> Option<SocketAddr> {
        self.turns.iter().find(|t| t.server == server)?.relayed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[allow(clippy::disallowed_methods, reason = "a test's clock origin")]
    fn t0() -> Instant {
        Instant::now()
    }

    fn events(a: &mut IceAgent) -> Vec<IceEvent> {
        std::iter::from_fn(|| a.poll_event()).collect()
    }

    #[test]
    fn server_reflexive_candidate_from_a_stun_server() {
        let (server, base) = (addr("127.0.0.1:3478"), addr("127.0.0.1:40000"));
        // The mapping a NAT would give (another loopback address here).
        let mapped = addr("127.0.0.5:6000");
        let mut config = IceConfig::new(IceRole::Controlling);
        config.stun_servers = vec![server, addr("[::1]:3478")];
        let mut a = IceAgent::new(config).unwrap();
        let now = t0();
        a.add_local_address(now, base).unwrap();
        let t = a.poll_transmit().unwrap();
        assert_eq!(
            (t.from, t.to),
            (base, server),
            "only the same address family"
        );
        assert!(a.poll_transmit().is_none());
        let req = Message::decode(&t.data).unwrap();
        assert_eq!((req.class, req.method), (Class::Request, stun::BINDING));
        assert!(!a.is_gathering_complete());
        let resp = Builder::new(Class::Success, stun::BINDING, &req.txid)
            .xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS, mapped)
            .fingerprint();
        assert_eq!(
            a.handle_datagram(now, server, base, &resp),
            Received::Consumed
        );
        // A second copy (a retransmission's answer) changes nothing.
        assert_eq!(
            a.handle_datagram(now, server, base, &resp),
            Received::Discarded
        );
        let ev = events(&mut a);
        let srflx = a.local_candidates().nth(1).unwrap().clone();
        assert_eq!(srflx.kind(), CandidateKind::ServerReflexive);
        assert_eq!(srflx.addr(), mapped);
        assert_eq!(srflx.related(), Some(base));
        assert_eq!(srflx.priority() >> 24, 100);
        assert_eq!(ev.last(), Some(&IceEvent::GatheringComplete));
        assert!(ev.contains(&IceEvent::CandidateGathered(srflx.clone())));
        let sdp = a.sdp_attributes();
        assert!(sdp.contains(&format!(
            "a=candidate:2 1 UDP {} 127.0.0.5 6000 typ srflx raddr 127.0.0.1 rport 40000",
            srflx.priority()
        )));
        assert_eq!(sdp.last().map(String::as_str), Some("a=end-of-candidates"));
    }

    #[test]
    fn a_silent_stun_server_fails_gathering_after_its_retransmissions() {
        let (server, base) = (addr("127.0.0.1:3478"), addr("127.0.0.1:40000"));
        let mut config = IceConfig::new(IceRole::Controlled);
        config.stun_servers = vec![server];
        let mut a = IceAgent::new(config).unwrap();
        let start = t0();
        a.add_local_address(start, base).unwrap();
        let mut sent = 0;
        let mut now = start;
        while !a.is_gathering_complete() && now < start + Duration::from_secs(60) {
            sent += std::iter::from_fn(|| a.poll_transmit()).count();
            now = a.poll_timeout().unwrap();
            a.handle_timeout(now);
        }
        assert_eq!(sent, 7);
        assert_eq!(now - start, Duration::from_millis(31_500));
        let ev = events(&mut a);
        assert!(ev.contains(&IceEvent::GatheringFailed {
            server,
            error: IceError::ServerTimeout { server },
        }));
        assert_eq!(ev.last(), Some(&IceEvent::GatheringComplete));
        assert_eq!(a.local_candidates().count(), 1);
    }
}
