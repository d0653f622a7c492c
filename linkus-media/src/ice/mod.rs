//! ICE (RFC 8445) with STUN (RFC 8489) and TURN (RFC 8656), sans-IO.
//!
//! An [`IceAgent`] finds a working path for one media component between two
//! peers. It owns no socket and reads no clock: the caller
//!
//! - gives it the local addresses of its UDP sockets
//!   ([`add_local_address`](IceAgent::add_local_address)): each becomes a
//!   host candidate and, with [`IceConfig::stun_servers`] and
//!   [`IceConfig::turn_servers`], the base of a server-reflexive and a
//!   relayed candidate;
//! - exchanges credentials and candidates with the peer through SDP
//!   (`a=ice-ufrag`, `a=ice-pwd`, `a=candidate`; [`Candidate`] converts to
//!   and from the attribute text);
//! - feeds every datagram received on those sockets to
//!   [`handle_datagram`](IceAgent::handle_datagram) (STUN and TURN are
//!   consumed, media is handed back; [`classify`] tells them apart by the
//!   first byte), sends what [`poll_transmit`](IceAgent::poll_transmit)
//!   returns from the socket it names, calls
//!   [`handle_timeout`](IceAgent::handle_timeout) at
//!   [`poll_timeout`](IceAgent::poll_timeout), and reads
//!   [`poll_event`](IceAgent::poll_event);
//! - sends media with [`send`](IceAgent::send), which routes it on the
//!   selected pair (through the TURN server when the local candidate is a
//!   relayed one).
//!
//! What it does: connectivity checks paced every `Ta` with retransmission,
//! triggered checks, peer-reflexive candidates, regular or aggressive
//! nomination ([`Nomination`]), role-conflict repair with tie-breakers
//! (RFC 8445 §7.3.1.1), consent freshness (RFC 7675: a check every 4–6 s
//! on the selected pair, consent lost after 30 s without a response), ICE
//! restart (new ufrag/pwd, media continues on the old pair until a new one
//! is selected), and TURN allocation with long-term credentials, refresh,
//! channel binding (which installs the permission) and Send/Data
//! indications. [`IceConfig::enabled`] is the user's ICE switch: off, the
//! agent gathers nothing and the SDP carries plain `c=`/`m=` addresses.
//!
//! Why not webrtc-rs' `rtc-ice`/`rtc-stun`/`rtc-turn` (0.21.1): `rtc-ice`
//! has no aggressive nomination, times liveness from any inbound traffic
//! rather than from responses to our own checks (RFC 7675), and leaves
//! server-reflexive and relayed gathering, and sending checks through a
//! relay, to its caller; gluing `rtc-turn`'s client to it would have meant
//! translating between two more sets of transaction, time and buffer
//! types. The STUN codec ICE and TURN need is small (`stun.rs`, checked
//! against the RFC 5769 test vectors), so the module carries its own, on
//! ring (HMAC-SHA1, random numbers) and md-5.
//!
//! Simplifications (one data stream, one component, UDP): every pair starts
//! Waiting (no frozen/foundation algorithm across components), local
//! server-reflexive candidates are advertised but not paired (their base,
//! the host candidate, is), and a check whose response maps to an unknown
//! address marks the pair that sent it valid.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use linkus_media::ice::{IceAgent, IceConfig, IceEvent, IceRole};
//!
//! let t0 = Instant::now(); // the caller's clock; the agent never reads one
//! let mut a = IceAgent::new(IceConfig::new(IceRole::Controlling))?;
//! let mut b = IceAgent::new(IceConfig::new(IceRole::Controlled))?;
//! let (addr_a, addr_b) = ("127.0.0.1:40000".parse().unwrap(), "127.0.0.1:40002".parse().unwrap());
//! a.add_local_address(t0, addr_a)?;
//! b.add_local_address(t0, addr_b)?;
//! // What SDP would carry, both ways.
//! a.set_remote_credentials(b.local_credentials().clone())?;
//! b.set_remote_credentials(a.local_credentials().clone())?;
//! for c in b.local_candidates() { a.add_remote_candidate(c.clone())?; }
//! for c in a.local_candidates() { b.add_remote_candidate(c.clone())?; }
//!
//! // A lossless in-process network and a virtual clock.
//! let mut now = t0;
//! while now < t0 + Duration::from_secs(5) && !(a.is_connected() && b.is_connected()) {
//!     while let Some(t) = a.poll_transmit() { b.handle_datagram(now, t.from, t.to, &t.data); }
//!     while let Some(t) = b.poll_transmit() { a.handle_datagram(now, t.from, t.to, &t.data); }
//!     now += Duration::from_millis(10);
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//! }
//! assert!(a.is_connected() && b.is_connected());
//! let rtp = a.send(now, &[0x80, 0, 0, 1])?;
//! assert_eq!((rtp.from, rtp.to), (addr_a, addr_b));
//! # Ok::<(), linkus_media::Error>(())
//! ```

mod agent;
mod candidate;
mod demux;
mod rng;
mod stun;
mod turn;

use std::net::SocketAddr;
use std::time::Duration;

pub use agent::IceAgent;
pub use candidate::{Candidate, CandidateKind};
pub use demux::{PacketClass, classify};

/// What went wrong in ICE, STUN or TURN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IceError {
    /// A candidate (or its SDP text) is malformed or unsupported.
    #[error("bad ICE candidate: {reason}")]
    BadCandidate {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// ICE credentials are missing or too short (RFC 8445 §5.3: ufrag at
    /// least 4 characters, pwd at least 22).
    #[error("bad ICE credentials: {reason}")]
    BadCredentials {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// The TURN server rejected our long-term credentials (401 after an
    /// authenticated request).
    #[error("TURN server {server} rejected the credentials")]
    TurnUnauthorized {
        /// The TURN server.
        server: SocketAddr,
    },
    /// The TURN server refused a request with an error response.
    #[error("TURN server {server} refused: {code} {reason}")]
    TurnRejected {
        /// The TURN server.
        server: SocketAddr,
        /// The STUN error code (0 if the response was unusable).
        code: u16,
        /// The reason phrase, or what was wrong with the response.
        reason: String,
    },
    /// A STUN or TURN server did not answer within the retransmissions.
    #[error("{server} did not answer")]
    ServerTimeout {
        /// The server.
        server: SocketAddr,
    },
    /// No candidate pair is selected (not connected yet, consent lost or
    /// ICE failed): media cannot be sent.
    #[error("no selected ICE candidate pair")]
    NotConnected,
    /// ICE is switched off ([`IceConfig::enabled`]).
    #[error("ICE is disabled")]
    Disabled,
    /// An address is not one of the agent's local addresses.
    #[error("{addr} is not a local address of the ICE agent")]
    UnknownLocalAddress {
        /// The address.
        addr: SocketAddr,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Random,
}

/// Which side nominates the pair (RFC 8445 §6.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceRole {
    /// The agent that nominates (usually the offerer).
    Controlling,
    /// The agent that follows the peer's nomination.
    Controlled,
}

/// How the controlling agent nominates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Nomination {
    /// Checks first, then one more check with USE-CANDIDATE on the best
    /// valid pair (RFC 8445 §8.1.1).
    #[default]
    Regular,
    /// USE-CANDIDATE on every check: the first pair that works is selected,
    /// a better one replaces it when it works (RFC 5245 §8.1.1.2, for
    /// peers that expect it).
    Aggressive,
}

/// The agent's connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceState {
    /// Waiting for the remote credentials.
    New,
    /// Running connectivity checks.
    Checking,
    /// A pair is selected and consent is fresh.
    Connected,
    /// Every pair failed, or consent was lost: no media path.
    Failed,
    /// [`IceAgent::close`] was called.
    Closed,
    /// ICE is switched off ([`IceConfig::enabled`]).
    Disabled,
}

/// The username fragment and password of one side (`a=ice-ufrag`,
/// `a=ice-pwd`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceCredentials {
    /// The username fragment (at least 4 ice-chars).
    pub ufrag: String,
    /// The password (at least 22 ice-chars).
    pub pwd: String,
}

/// A TURN server with long-term credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// The server's UDP address.
    pub addr: SocketAddr,
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnServer")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The settings of an [`IceAgent`]. Build one with [`IceConfig::new`] and
/// change the fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IceConfig {
    /// The user's ICE switch. Off: no candidates are gathered, no checks
    /// sent, the agent's SDP attributes are empty (plain `c=`/`m=`
    /// addresses) and [`IceAgent::handle_datagram`] hands every non-STUN
    /// datagram back as media. Default: on.
    pub enabled: bool,
    /// The initial role (the offerer controls).
    pub role: IceRole,
    /// How the controlling agent nominates.
    pub nomination: Nomination,
    /// The component ID of the candidates (1 = RTP, also with rtcp-mux).
    pub component: u16,
    /// STUN servers for server-reflexive candidates.
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers for relayed candidates (each also yields a
    /// server-reflexive candidate).
    pub turn_servers: Vec<TurnServer>,
    /// Use and advertise relayed candidates only (WebRTC's `relay`
    /// transport policy): the peer never learns our addresses and media
    /// always goes through the TURN server. Default: off.
    pub relay_only: bool,
    /// `Ta`, the pacing of new checks (RFC 8445 §14.2: 50 ms).
    pub check_pacing: Duration,
    /// The first retransmission timeout of a connectivity check; it doubles
    /// up to 3 s.
    pub check_rto: Duration,
    /// Transmissions of one check before its pair fails.
    pub check_max_sends: u32,
    /// The first retransmission timeout of STUN/TURN server requests
    /// (RFC 8489 §6.2.1: 500 ms); it doubles up to 8 s.
    pub server_rto: Duration,
    /// Transmissions of one server request before it times out (`Rc`, 7).
    pub server_max_sends: u32,
    /// Regular nomination: how long the controlling agent waits, after the
    /// first valid pair, for a better pair before nominating the best valid
    /// one (it nominates earlier once no better pair is left to check).
    pub nomination_wait: Duration,
    /// The mean interval of consent checks (RFC 7675: 5 s, jittered by
    /// ±20 %).
    pub consent_interval: Duration,
    /// Consent is lost after this long without a response (RFC 7675: 30 s).
    pub consent_timeout: Duration,
}

impl IceConfig {
    /// ICE on, with the RFC defaults, `role`, regular nomination and no
    /// servers.
    pub fn new(role: IceRole) -> Self {
        IceConfig {
            enabled: true,
            role,
            nomination: Nomination::Regular,
            component: 1,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            relay_only: false,
            check_pacing: Duration::from_millis(50),
            check_rto: Duration::from_millis(250),
            check_max_sends: 7,
            server_rto: Duration::from_millis(500),
            server_max_sends: 7,
            nomination_wait: Duration::from_secs(1),
            consent_interval: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
        }
    }

    /// The user switched ICE off: media goes to the plain `c=`/`m=`
    /// addresses.
    pub fn disabled() -> Self {
        IceConfig {
            enabled: false,
            ..IceConfig::new(IceRole::Controlled)
        }
    }
}

/// A datagram to send: from the local socket bound to `from`, to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket address to send from (a host candidate's address).
    pub from: SocketAddr,
    /// The destination.
    pub to: SocketAddr,
    /// The datagram.
    pub data: Vec<u8>,
}

/// What [`IceAgent::handle_datagram`] made of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// STUN or TURN traffic, consumed by the agent.
    Consumed,
    /// Media received directly from the peer at `from`: the datagram
    /// itself is the payload.
    Media {
        /// The peer's address.
        from: SocketAddr,
    },
    /// Media the TURN server relayed from the peer at `from`, unwrapped.
    RelayedMedia {
        /// The peer's address.
        from: SocketAddr,
        /// The payload.
        payload: Vec<u8>,
    },
    /// Not for us (an unknown source, a malformed or unauthenticated
    /// message): drop it.
    Discarded,
}

/// What the agent reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IceEvent {
    /// A local candidate was gathered: add it to the SDP (or trickle it).
    CandidateGathered(Candidate),
    /// Every STUN/TURN server has answered or failed.
    GatheringComplete,
    /// A STUN or TURN server gave no candidate.
    GatheringFailed {
        /// The server.
        server: SocketAddr,
        /// Why.
        error: IceError,
    },
    /// The connection state changed.
    StateChanged(IceState),
    /// A (new) pair was selected: media goes from `local` to `remote`.
    SelectedPair {
        /// The local candidate (its base socket sends).
        local: Candidate,
        /// The remote candidate.
        remote: Candidate,
    },
    /// The role changed to resolve a role conflict.
    RoleChanged(IceRole),
    /// No consent response for [`IceConfig::consent_timeout`]: media must
    /// stop (RFC 7675 §5.1).
    ConsentLost,
}
