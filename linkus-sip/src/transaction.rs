//! The transaction layer (RFC 3261 §17, updated by RFC 6026), sans-IO.
//!
//! Four state machines — INVITE and non-INVITE, client and server — with
//! timers A to M, retransmission only over unreliable transports, the ACK
//! for non-2xx final responses generated inside the client transaction, and
//! 2xx responses and their ACKs left to the dialog layer (RFC 6026).
//!
//! The layer never reads the clock or touches a socket: the caller passes
//! `now` in, transmits what [`Output::Transmit`] asks for, and calls
//! [`TransactionLayer::handle_timeout`] at [`TransactionLayer::poll_timeout`].
//!
//! ```
//! # #![allow(clippy::disallowed_methods)]
//! use std::time::{Duration, Instant};
//! use linkus_sip::message::{Message, Method, Request, Uri, typed::Transport};
//! use linkus_sip::transaction::{Output, Peer, TransactionLayer, TimerConfig, TxEvent};
//!
//! let raw = b"OPTIONS sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa1\r\n\
//!     Max-Forwards: 70\r\nTo: <sip:bob@192.0.2.4>\r\nFrom: <sip:alice@192.0.2.1>;tag=1\r\n\
//!     Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
//! let Message::Request(req) = Message::parse(raw)? else { unreachable!() };
//! let peer = Peer { addr: "192.0.2.4:5060".parse().unwrap(), transport: Transport::Udp };
//! let t0 = Instant::now(); // the driver's clock; the layer only ever receives it
//! let mut layer = TransactionLayer::new(TimerConfig::default());
//! let id = layer.send_request(t0, req, peer)?;
//! assert!(matches!(layer.poll_output(), Some(Output::Transmit { .. })));
//! // Nobody answers: timer E retransmits, timer F (64·T1) ends it.
//! let mut now = t0;
//! while let Some(at) = layer.poll_timeout() {
//!     now = at;
//!     layer.handle_timeout(now);
//! }
//! let events: Vec<_> = std::iter::from_fn(|| layer.poll_output()).collect();
//! assert!(events.iter().any(|o| matches!(o, Output::Event(TxEvent::Timeout { id: i }) if *i == id)));
//! assert_eq!(now - t0, Duration::from_secs(32));
//! # Ok::<(), linkus_sip::Error>(())
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::message::typed::{self, Transport, Via};
use crate::message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};

/// RFC 3261 timer values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Round-trip estimate, 500 ms by default.
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    pub t2: Duration,
    /// Longest time a message stays in the network, 5 s.
    pub t4: Duration,
    /// Send 100 Trying as soon as an INVITE arrives (RFC 3261 §17.2.1 asks
    /// for it within 200 ms unless the TU answers sooner).
    pub auto_trying: bool,
}

impl Default for TimerConfig {
    fn default() -> TimerConfig {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            auto_trying: true,
        }
    }
}

/// Where a message goes, and over what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Peer {
    /// Remote address.
    pub addr: SocketAddr,
    /// Transport; decides whether the layer retransmits.
    pub transport: Transport,
}

/// Identifies a transaction for the lifetime of the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(u64);

/// What the layer tells its user (the transaction user: dialogs, registration, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    /// A new request arrived; answer it with [`TransactionLayer::send_response`].
    Request {
        /// The new server transaction.
        id: TransactionId,
        /// The request.
        request: Request,
        /// Where it came from.
        from: Peer,
    },
    /// A response for one of our client transactions.
    Response {
        /// The client transaction.
        id: TransactionId,
        /// The response.
        response: Response,
    },
    /// Timer B or F fired (no final response), or timer H (the ACK for our
    /// non-2xx final response never came).
    Timeout {
        /// The transaction.
        id: TransactionId,
    },
    /// The transport failed to deliver a message of this transaction.
    TransportError {
        /// The transaction.
        id: TransactionId,
    },
    /// The transaction is gone; no more events for it.
    Terminated {
        /// The transaction.
        id: TransactionId,
    },
    /// A message no transaction matched: an ACK for a 2xx, a retransmitted
    /// 2xx after the client transaction ended, or a stray response. Dialogs
    /// handle these.
    Stray {
        /// The message.
        message: Message,
        /// Where it came from.
        from: Peer,
    },
}

/// What the layer asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "outputs are moved once from the queue to the driver; boxing would allocate per event"
)]
pub enum Output {
    /// Send these bytes.
    Transmit {
        /// The transaction that sends (for transport error reports).
        id: TransactionId,
        /// Destination.
        to: Peer,
        /// The serialised message.
        bytes: Vec<u8>,
    },
    /// An event for the transaction user.
    Event(TxEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Trying,
    Proceeding,
    Accepted,
    Completed,
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InviteClient,
    NonInviteClient,
    InviteServer,
    NonInviteServer,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// RFC 3261: branch (with cookie), sent-by for servers, and method (ACK
    /// folded into INVITE).
    Rfc3261 {
        branch: String,
        sent_by: String,
        method: Method,
        server: bool,
    },
    /// RFC 2543 peers (no magic cookie): the request's identifying fields.
    Rfc2543 {
        uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        via: String,
        method: Method,
    },
}

#[derive(Debug)]
struct Tx {
    kind: Kind,
    state: State,
    peer: Peer,
    /// The request, kept by INVITE client transactions only (to build the
    /// ACK for a non-2xx); server transactions hand theirs to the TU.
    request: Option<Request>,
    /// Last response sent (servers) for retransmission.
    last_response: Option<Vec<u8>>,
    /// ACK sent for a non-2xx final (INVITE clients).
    ack: Option<Vec<u8>>,
    request_bytes: Vec<u8>,
    /// Retransmission timer (A, E or G) and its current interval.
    retransmit_at: Option<Instant>,
    interval: Duration,
    /// Timeout timer (B, F, H, D, K, I, J, L or M) and what it means.
    deadline: Option<(Instant, Deadline)>,
    merge_key: Option<MergeKey>,
    key: Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// B, F, H: report a timeout and end.
    Timeout,
    /// D, K, I, J, L, M: end quietly.
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MergeKey {
    from_tag: String,
    call_id: String,
    cseq: u32,
    method: Method,
}

/// The RFC 3261 transaction layer for one endpoint.
#[derive(Debug)]
pub struct TransactionLayer {
    config: TimerConfig,
    next_id: u64,
    /// Boxed so that the map's buckets stay small: its capacity follows the
    /// peak transaction count and is not given back.
    txs: HashMap<TransactionId, Box<Tx>>,
    by_key: HashMap<Key, TransactionId>,
    /// Every armed timer as (due, transaction). Entries made stale by a
    /// state change stay until due and are skipped: a spurious wake-up at
    /// most, never a missed timer.
    timers: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    merged: HashMap<MergeKey, TransactionId>,
    out: VecDeque<Output>,
}

fn key_for_request(req: &Request, server: bool) -> Result<Key, Error> {
    let via: Via = req
        .headers
        .typed_first()?
        .ok_or(Error::MissingHeader(HeaderName::Via))?;
    let method = match req.method {
        Method::Ack => Method::Invite,
        ref m => m.clone(),
    };
    if via.has_rfc3261_branch() {
        let sent_by = if server {
            format!("{}:{}", via.host, via.port.unwrap_or(0))
        } else {
            String::new()
        };
        let branch = via.branch().unwrap_or_default().to_owned();
        return Ok(Key::Rfc3261 {
            branch,
            sent_by,
            method,
            server,
        });
    }
    let from: typed::From = req
        .headers
        .typed()?
        .ok_or(Error::MissingHeader(HeaderName::From))?;
    let cseq: typed::CSeq = req
        .headers
        .typed()?
        .ok_or(Error::MissingHeader(HeaderName::CSeq))?;
    Ok(Key::Rfc2543 {
        uri: req.uri.to_string(),
        from_tag: from.tag().unwrap_or_default().to_owned(),
        call_id: req
            .headers
            .get(HeaderName::CallId)
            .unwrap_or_default()
            .to_owned(),
        cseq: cseq.seq,
        via: req
            .headers
            .get(HeaderName::Via)
            .unwrap_or_default()
            .to_owned(),
        method,
    })
}

fn key_for_response(resp: &Response) -> Result<Key, Error> {
    let via: Via = resp
        .headers
        .typed_first()?
        .ok_or(Error::MissingHeader(HeaderName::Via))?;
    let cseq: typed::CSeq = resp
        .headers
        .typed()?
        .ok_or(Error::MissingHeader(HeaderName::CSeq))?;
    let method = match cseq.method {
        Method::Ack => Method::Invite,
        m => m,
    };
    Ok(Key::Rfc3261 {
        branch: via.branch().unwrap_or_default().to_owned(),
        sent_by: String::new(),
        method,
        server: false,
    })
}

impl TransactionLayer {
    /// An empty layer.
    pub fn new(config: TimerConfig) -> TransactionLayer {
        TransactionLayer {
            config,
            next_id: 1,
            txs: HashMap::new(),
            by_key: HashMap::new(),
            timers: BinaryHeap::new(),
            merged: HashMap::new(),
            out: VecDeque::new(),
        }
    }

    /// Live transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Client transactions still waiting for a final response (the ones a
    /// clean shutdown waits for; server transactions only absorb retransmissions).
    pub fn pending_clients(&self) -> usize {
        self.txs
            .values()
            .filter(|t| {
                matches!(t.kind, Kind::InviteClient | Kind::NonInviteClient)
                    && matches!(t.state, State::Calling | State::Trying | State::Proceeding)
            })
            .count()
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    fn alloc_id(&mut self) -> TransactionId {
        let id = TransactionId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Starts a client transaction for `req` (not ACK: an ACK for a 2xx is
    /// sent by the dialog, outside any transaction). The request's top Via
    /// must carry an RFC 3261 branch.
    pub fn send_request(
        &mut self,
        now: Instant,
        req: Request,
        to: Peer,
    ) -> Result<TransactionId, Error> {
        if req.method == Method::Ack {
            return Err(Error::InvalidValue(
                "ACK is not sent in a client transaction",
            ));
        }
        let key = key_for_request(&req, false)?;
        if !matches!(key, Key::Rfc3261 { .. }) {
            return Err(Error::InvalidValue(
                "client requests need an RFC 3261 branch",
            ));
        }
        if self.by_key.contains_key(&key) {
            return Err(Error::InvalidValue("a transaction with this branch exists"));
        }
        let id = self.alloc_id();
        let invite = req.method == Method::Invite;
        let reliable = to.transport.is_reliable();
        let t1 = self.config.t1;
        let bytes = req.to_bytes();
        let tx = Tx {
            kind: if invite {
                Kind::InviteClient
            } else {
                Kind::NonInviteClient
            },
            state: if invite {
                State::Calling
            } else {
                State::Trying
            },
            peer: to.clone(),
            request: invite.then_some(req),
            last_response: None,
            ack: None,
            request_bytes: bytes.clone(),
            retransmit_at: (!reliable).then_some(now + t1),
            interval: t1,
            deadline: Some((now + 64 * t1, Deadline::Timeout)),
            merge_key: None,
            key: key.clone(),
        };
        self.txs.insert(id, Box::new(tx));
        self.by_key.insert(key, id);
        self.rearm(id);
        self.out.push_back(Output::Transmit { id, to, bytes });
        Ok(id)
    }

    /// Sends a response in server transaction `id`.
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        resp: Response,
    ) -> Result<(), Error> {
        let config = self.config;
        let tx = self
            .txs
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown transaction"))?;
        if !matches!(tx.kind, Kind::InviteServer | Kind::NonInviteServer)
            || matches!(
                tx.state,
                State::Completed | State::Confirmed | State::Accepted
            )
        {
            return Err(Error::InvalidValue(
                "the transaction cannot send a response now",
            ));
        }
        let reliable = tx.peer.transport.is_reliable();
        let bytes = resp.to_bytes();
        let status = resp.status;
        tx.last_response = Some(bytes.clone());
        self.out.push_back(Output::Transmit {
            id,
            to: tx.peer.clone(),
            bytes,
        });
        match (tx.kind, status) {
            (_, s) if s.is_provisional() => tx.state = State::Proceeding,
            (Kind::InviteServer, s) if s.is_success() => {
                // RFC 6026: Accepted, timer L absorbs INVITE retransmissions.
                tx.state = State::Accepted;
                tx.deadline = Some((now + 64 * config.t1, Deadline::End));
            }
            (Kind::InviteServer, _) => {
                tx.state = State::Completed;
                tx.interval = config.t1;
                tx.retransmit_at = (!reliable).then_some(now + config.t1);
                tx.deadline = Some((now + 64 * config.t1, Deadline::Timeout)); // timer H
            }
            _ => {
                tx.state = State::Completed;
                let j = if reliable {
                    Duration::ZERO
                } else {
                    64 * config.t1
                };
                tx.deadline = Some((now + j, Deadline::End));
            }
        }
        self.rearm(id);
        Ok(())
    }

    /// The transaction a CANCEL refers to: the INVITE server transaction
    /// with the same branch and sent-by (RFC 3261 §9.2).
    pub fn invite_for_cancel(&self, cancel: &Request) -> Option<TransactionId> {
        let mut key = key_for_request(cancel, true).ok()?;
        match &mut key {
            Key::Rfc3261 { method, .. } | Key::Rfc2543 { method, .. } => *method = Method::Invite,
        }
        self.by_key.get(&key).copied()
    }

    /// The INVITE of a live INVITE client transaction.
    pub fn request(&self, id: TransactionId) -> Option<&Request> {
        self.txs.get(&id).and_then(|t| t.request.as_ref())
    }

    /// Feeds a parsed message received from `from`.
    pub fn handle_message(&mut self, now: Instant, msg: Message, from: Peer) {
        match msg {
            Message::Response(resp) => self.on_response(now, resp, from),
            Message::Request(req) => self.on_request(now, req, from),
        }
    }

    /// Reports that the transport could not deliver for transaction `id`.
    pub fn handle_transport_error(&mut self, id: TransactionId) {
        if self.txs.contains_key(&id) {
            self.out
                .push_back(Output::Event(TxEvent::TransportError { id }));
            self.terminate(id);
        }
    }

    /// Reports that the transport could not deliver to `peer`: every
    /// transaction sending there fails.
    pub fn handle_transport_error_to(&mut self, peer: &Peer) {
        let mut ids: Vec<TransactionId> = self
            .txs
            .iter()
            .filter(|(_, t)| t.peer == *peer)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.handle_transport_error(id);
        }
    }

    fn on_response(&mut self, now: Instant, resp: Response, from: Peer) {
        let Ok(key) = key_for_response(&resp) else {
            return;
        };
        let Some(&id) = self.by_key.get(&key) else {
            self.out.push_back(Output::Event(TxEvent::Stray {
                message: Message::Response(resp),
                from,
            }));
            return;
        };
        let config = self.config;
        let Some(tx) = self.txs.get_mut(&id) else {
            return;
        };
        let reliable = tx.peer.transport.is_reliable();
        let status = resp.status;
        match (tx.kind, tx.state) {
            (Kind::InviteClient, State::Calling | State::Proceeding) => {
                tx.retransmit_at = None;
                if status.is_provisional() {
                    // Timer B runs in Calling only (RFC 3261 §17.1.1.2); once
                    // the far end answers 1xx, the TU decides when to CANCEL.
                    tx.state = State::Proceeding;
                    tx.deadline = None;
                } else if status.is_success() {
                    tx.state = State::Accepted;
                    tx.deadline = Some((now + 64 * config.t1, Deadline::End)); // timer M
                } else {
                    let ack = tx
                        .request
                        .as_ref()
                        .map(|r| build_ack(r, &resp).to_bytes())
                        .unwrap_or_default();
                    tx.ack = Some(ack.clone());
                    tx.state = State::Completed;
                    let d = if reliable {
                        Duration::ZERO
                    } else {
                        Duration::from_secs(32)
                    };
                    tx.deadline = Some((now + d, Deadline::End)); // timer D
                    self.out.push_back(Output::Transmit {
                        id,
                        to: tx.peer.clone(),
                        bytes: ack,
                    });
                }
                self.out
                    .push_back(Output::Event(TxEvent::Response { id, response: resp }));
            }
            // RFC 6026: 2xx retransmissions go to the TU (it re-sends the ACK).
            (Kind::InviteClient, State::Accepted) if status.is_success() => {
                self.out
                    .push_back(Output::Event(TxEvent::Response { id, response: resp }));
            }
            // A retransmitted non-2xx final: send the same ACK again.
            (Kind::InviteClient, State::Completed) if status.is_final() && !status.is_success() => {
                if let Some(ack) = &tx.ack {
                    self.out.push_back(Output::Transmit {
                        id,
                        to: tx.peer.clone(),
                        bytes: ack.clone(),
                    });
                }
            }
            (Kind::NonInviteClient, State::Trying | State::Proceeding) => {
                if status.is_provisional() {
                    tx.state = State::Proceeding;
                } else {
                    tx.state = State::Completed;
                    tx.retransmit_at = None;
                    let k = if reliable { Duration::ZERO } else { config.t4 };
                    tx.deadline = Some((now + k, Deadline::End)); // timer K
                }
                self.out
                    .push_back(Output::Event(TxEvent::Response { id, response: resp }));
            }
            _ => {} // Completed non-INVITE: absorb retransmissions.
        }
        self.rearm(id);
    }

    fn on_request(&mut self, now: Instant, req: Request, from: Peer) {
        let Ok(key) = key_for_request(&req, true) else {
            return;
        };
        if let Some(&id) = self.by_key.get(&key) {
            self.on_request_retransmission(now, id, req);
            return;
        }
        if req.method == Method::Ack {
            // ACK for a 2xx (or for a transaction already gone): the dialog's.
            self.out.push_back(Output::Event(TxEvent::Stray {
                message: Message::Request(req),
                from,
            }));
            return;
        }
        let id = self.alloc_id();
        let invite = req.method == Method::Invite;
        // Merged requests (RFC 3261 §8.2.2.2): same From tag, Call-ID and CSeq
        // with no To tag, arriving through another path.
        let merge_key = merge_key(&req);
        let merged = merge_key
            .as_ref()
            .and_then(|k| self.merged.get(k))
            .is_some();
        let tx = Tx {
            kind: if invite {
                Kind::InviteServer
            } else {
                Kind::NonInviteServer
            },
            state: if invite {
                State::Proceeding
            } else {
                State::Trying
            },
            peer: from.clone(),
            request: None,
            last_response: None,
            ack: None,
            request_bytes: Vec::new(),
            retransmit_at: None,
            interval: self.config.t1,
            deadline: None,
            merge_key: if merged { None } else { merge_key.clone() },
            key: key.clone(),
        };
        self.txs.insert(id, Box::new(tx));
        self.by_key.insert(key, id);
        if merged {
            let resp = Response::for_request(&req, StatusCode(482));
            let _ = self.send_response(now, id, resp);
            return;
        }
        if let Some(k) = merge_key {
            self.merged.insert(k, id);
        }
        if invite && self.config.auto_trying {
            let trying = Response::for_request(&req, StatusCode(100));
            let _ = self.send_response(now, id, trying);
        }
        self.out.push_back(Output::Event(TxEvent::Request {
            id,
            request: req,
            from,
        }));
    }

    fn on_request_retransmission(&mut self, now: Instant, id: TransactionId, req: Request) {
        let config = self.config;
        let Some(tx) = self.txs.get_mut(&id) else {
            return;
        };
        match (tx.kind, tx.state, req.method == Method::Ack) {
            (Kind::InviteServer, State::Completed, true) => {
                // The ACK for our non-2xx: stop G and H, absorb the rest (timer I).
                tx.state = State::Confirmed;
                tx.retransmit_at = None;
                let i = if tx.peer.transport.is_reliable() {
                    Duration::ZERO
                } else {
                    config.t4
                };
                tx.deadline = Some((now + i, Deadline::End));
            }
            (_, State::Proceeding | State::Completed, false) => {
                if let Some(bytes) = &tx.last_response {
                    self.out.push_back(Output::Transmit {
                        id,
                        to: tx.peer.clone(),
                        bytes: bytes.clone(),
                    });
                }
            }
            _ => {} // Trying, Accepted, Confirmed: absorb.
        }
        self.rearm(id);
    }

    /// When [`handle_timeout`](TransactionLayer::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let config = self.config;
        let mut ended = Vec::new();
        let mut ids: Vec<TransactionId> = Vec::new();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        for &id in &ids {
            let Some(tx) = self.txs.get_mut(&id) else {
                continue;
            };
            if let Some((at, what)) = tx.deadline {
                if at <= now {
                    if what == Deadline::Timeout {
                        self.out.push_back(Output::Event(TxEvent::Timeout { id }));
                    }
                    ended.push(id);
                    continue;
                }
            }
            if let Some(at) = tx.retransmit_at {
                if at <= now {
                    let bytes = match tx.kind {
                        Kind::InviteServer => tx.last_response.clone(),
                        _ => Some(tx.request_bytes.clone()),
                    };
                    if let Some(bytes) = bytes {
                        self.out.push_back(Output::Transmit {
                            id,
                            to: tx.peer.clone(),
                            bytes,
                        });
                    }
                    tx.interval = match (tx.kind, tx.state) {
                        (Kind::InviteClient, _) => tx.interval * 2, // timer A
                        (Kind::NonInviteClient, State::Proceeding) => config.t2, // timer E
                        _ => (tx.interval * 2).min(config.t2),      // timers E, G
                    };
                    tx.retransmit_at = Some(now + tx.interval);
                }
            }
        }
        for id in ended {
            self.terminate(id);
        }
        for id in ids {
            self.rearm(id);
        }
    }

    /// Drops heap entries that no longer match a live timer, so that the top
    /// is always a real deadline.
    fn prune(&mut self) {
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            let live = self.txs.get(&id).is_some_and(|t| {
                t.retransmit_at == Some(at) || t.deadline.is_some_and(|d| d.0 == at)
            });
            if live {
                break;
            }
            self.timers.pop();
        }
    }

    /// Puts a transaction's current timers into the heap.
    fn rearm(&mut self, id: TransactionId) {
        if let Some(tx) = self.txs.get(&id) {
            for at in [tx.retransmit_at, tx.deadline.map(|d| d.0)]
                .into_iter()
                .flatten()
            {
                self.timers.push(Reverse((at, id)));
            }
        }
        self.prune();
    }

    fn terminate(&mut self, id: TransactionId) {
        if let Some(tx) = self.txs.remove(&id) {
            if self.by_key.get(&tx.key) == Some(&id) {
                self.by_key.remove(&tx.key);
            }
            if let Some(k) = tx.merge_key {
                self.merged.remove(&k);
            }
            self.out
                .push_back(Output::Event(TxEvent::Terminated { id }));
        }
        self.prune();
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}

fn merge_key(req: &Request) -> Option<MergeKey> {
    let to: typed::To = req.headers.typed().ok()??;
    if to.tag().is_some() {
        return None;
    }
    let from: typed::From = req.headers.typed().ok()??;
    let cseq: typed::CSeq = req.headers.typed().ok()??;
    Some(MergeKey {
        from_tag: from.tag()?.to_owned(),
        call_id: req.headers.get(HeaderName::CallId)?.to_owned(),
        cseq: cseq.seq,
        method: cseq.method,
    })
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3).
fn build_ack(invite: &Request, resp: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    let mut h = Headers::new();
    if let Some(via) = invite.headers.get(HeaderName::Via) {
        let top = crate::message::text_first_element(via);
        let _ = h.push(HeaderName::Via, top);
    }
    for v in invite.headers.get_all(HeaderName::Route) {
        let _ = h.push(HeaderName::Route, v);
    }
    let _ = h.push(HeaderName::MaxForwards, "70");
    for name in [HeaderName::From, HeaderName::CallId] {
        if let Some(v) = invite.headers.get(name) {
            let _ = h.push(name, v);
        }
    }
    if let Some(v) = resp.headers.get(HeaderName::To) {
        let _ = h.push(HeaderName::To, v);
    }
    if let Ok(Some(cseq)) = invite.headers.typed::<typed::CSeq>() {
        let _ = h.push_typed(&typed::CSeq {
            seq: cseq.seq,
            method: Method::Ack,
        });
    }
    let _ = h.push(HeaderName::ContentLength, "0");
    ack.headers = h;
    ack
}
