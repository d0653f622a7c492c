//! The user agent core, sans-IO: registration, dialogs and INVITE sessions
//! on top of the [transaction layer](crate::transaction).
//!
//! Drive it like every core of the SDK:
//!
//! ```text
//! ua.handle_datagram(now, from, &bytes);   // or handle_timeout(now)
//! while let Some(out) = ua.poll_output() {
//!     match out {
//!         UaOutput::Transmit { to, bytes } => socket.send_to(&bytes, to.addr),
//!         UaOutput::Event(ev) => app.on(ev),
//!     }
//! }
//! sleep_until(ua.poll_timeout());
//! ```

mod call;
mod dialog;
mod ids;
mod register;
mod request;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use call::{Body, EndReason, InviteConfig, SessionEvent, SessionId, SessionTimerConfig};
pub use register::{KeepAlive, RegisterConfig, RegistrationId, RegistrationState};
pub use request::{RequestConfig, RequestId};

use crate::error::Error;
use crate::message::typed::{self, Transport};
use crate::message::{
    HeaderName, Message, Method, Request, Response, StatusCode, UasPolicy, check_response,
};
use crate::transaction::{Output, Peer, TimerConfig, TransactionId, TransactionLayer, TxEvent};
use call::Sessions;
use dialog::DialogKey;
use ids::IdGen;
use register::Registration;

/// How the user agent presents itself and where it listens.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// `User-Agent` header value.
    pub user_agent: String,
    /// RFC 3261 timers.
    pub timers: TimerConfig,
    /// What incoming requests the UA accepts.
    pub policy: UasPolicy,
    /// Local listening address per transport: what goes into Via and Contact.
    pub local: Vec<(Transport, SocketAddr)>,
    /// Seed for tags, branches and Call-IDs (the driver seeds from the OS).
    pub seed: u64,
    /// Session timers (RFC 4028) for INVITE sessions; `None` turns them off
    /// (no `Supported: timer`, no Session-Expires, no refreshes).
    pub session_timer: Option<SessionTimerConfig>,
}

impl UaConfig {
    /// A configuration listening on one transport.
    pub fn new(transport: Transport, local: SocketAddr, seed: u64) -> UaConfig {
        UaConfig {
            user_agent: concat!("linkus-sip/", env!("CARGO_PKG_VERSION")).to_owned(),
            timers: TimerConfig::default(),
            policy: UasPolicy::default(),
            local: vec![(transport, local)],
            seed,
            session_timer: Some(SessionTimerConfig::default()),
        }
    }
}

/// Something the application learns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UaEvent {
    /// A registration changed state.
    Registration {
        /// Which one.
        id: RegistrationId,
        /// Its new state.
        state: RegistrationState,
    },
    /// The final response to a request sent with [`UserAgent::send_request`]
    /// (challenges were answered first).
    RequestAnswered {
        /// Which request.
        request: RequestId,
        /// Its final response.
        response: Response,
    },
    /// A request sent with [`UserAgent::send_request`] got no final
    /// response (timer F) or could not be sent.
    RequestFailed {
        /// Which request.
        request: RequestId,
        /// True for a transport failure, false for a timeout.
        transport_error: bool,
    },
    /// A new incoming call: answer it with [`UserAgent::progress`],
    /// [`UserAgent::answer`] or [`UserAgent::reject`].
    IncomingCall {
        /// The new session.
        session: SessionId,
        /// The INVITE (caller in From, offer in the body, Alert-Info, …).
        request: Request,
    },
    /// Progress of a call.
    Session {
        /// Which call.
        session: SessionId,
        /// What happened.
        event: SessionEvent,
    },
    /// An incoming request the core answered or rejected by itself, for
    /// the application's log (OPTIONS, unknown dialog, policy rejection).
    Answered {
        /// Request method.
        method: Method,
        /// Status sent.
        status: StatusCode,
    },
}

/// What the core asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "outputs are moved once from the queue to the driver; boxing would allocate per event"
)]
pub enum UaOutput {
    /// Send these bytes.
    Transmit {
        /// Destination.
        to: Peer,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Tell the application.
    Event(UaEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Registration(RegistrationId),
    Invite(SessionId),
    Cancel(SessionId),
    Bye(SessionId),
    Offer(SessionId),
    Prack(SessionId),
    Request(RequestId),
}

/// The sans-IO SIP user agent.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    tl: TransactionLayer,
    ids: IdGen,
    next_reg: u64,
    registrations: HashMap<RegistrationId, Registration>,
    next_session: u64,
    next_request: u64,
    requests: HashMap<RequestId, request::Pending>,
    sessions: Sessions,
    /// Session timers (2xx retransmission, glare retry) as (due, session);
    /// stale entries are skipped when due.
    session_timers: std::collections::BinaryHeap<std::cmp::Reverse<(Instant, SessionId)>>,
    dialogs: HashMap<DialogKey, SessionId>,
    invite_peers: HashMap<SessionId, Peer>,
    owners: HashMap<TransactionId, Owner>,
    out: VecDeque<UaOutput>,
}

impl UserAgent {
    /// A user agent with no registrations or calls.
    pub fn new(config: UaConfig) -> UserAgent {
        UserAgent {
            tl: TransactionLayer::new(config.timers),
            ids: IdGen::new(config.seed),
            next_reg: 1,
            registrations: HashMap::new(),
            next_session: 1,
            next_request: 1,
            requests: HashMap::new(),
            sessions: HashMap::new(),
            session_timers: std::collections::BinaryHeap::new(),
            dialogs: HashMap::new(),
            invite_peers: HashMap::new(),
            owners: HashMap::new(),
            out: VecDeque::new(),
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &UaConfig {
        &self.config
    }

    fn local_addr(&self, transport: &Transport) -> Result<SocketAddr, Error> {
        local_for(&self.config.local, transport)
    }

    /// Changes the local address of a transport (network handover): every
    /// registration on it re-registers with a Contact at the new address.
    pub fn set_local_addr(&mut self, now: Instant, transport: Transport, addr: SocketAddr) {
        match self.config.local.iter_mut().find(|(t, _)| *t == transport) {
            Some(entry) => entry.1 = addr,
            None => self.config.local.push((transport.clone(), addr)),
        }
        let ids: Vec<RegistrationId> = self
            .registrations
            .iter()
            .filter(|(_, r)| r.config.registrar.transport == transport)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(r) = self.registrations.get_mut(&id) {
                if r.contact_addr != addr {
                    r.stale_contact = Some(r.contact_addr);
                }
                r.contact_addr = addr;
            }
            self.send_register(now, id);
        }
        self.pump(now);
    }

    /// Feeds bytes received from `from`. Malformed messages are dropped (a
    /// request that parses but fails the UA checks is answered by the policy).
    pub fn handle_datagram(&mut self, now: Instant, from: Peer, bytes: &[u8]) {
        // An unparseable datagram cannot be answered: it is dropped.
        if let Ok(msg) = Message::parse(bytes) {
            self.handle_message(now, from, msg);
        }
    }

    /// Feeds a message already framed (stream transports).
    pub fn handle_message(&mut self, now: Instant, from: Peer, msg: Message) {
        if let Message::Response(r) = &msg {
            if check_response(r).is_err() {
                return;
            }
        }
        self.tl.handle_message(now, msg, from);
        self.pump(now);
    }

    /// Fires timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        let due: Vec<RegistrationId> = self
            .registrations
            .iter()
            .filter(|(_, r)| r.next_timer().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.registration_timer(now, id);
        }
        for id in self.due_sessions(now) {
            self.session_timer(now, id);
        }
        self.pump(now);
    }

    /// When [`handle_timeout`](UserAgent::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let regs = self
            .registrations
            .values()
            .filter_map(Registration::next_timer);
        let sessions = self.session_timers.peek().map(|r| r.0.0);
        self.tl
            .poll_timeout()
            .into_iter()
            .chain(regs)
            .chain(sessions)
            .min()
    }

    /// True when nothing is in progress: no call, no registration, and no
    /// request of ours still waiting for its final response.
    pub fn is_idle(&self) -> bool {
        self.tl.pending_clients() == 0 && self.sessions.is_empty() && self.registrations.is_empty()
    }

    /// Starts a clean shutdown: hangs up every call and removes every
    /// registration. Keep driving the core until [`is_idle`](UserAgent::is_idle).
    pub fn shutdown(&mut self, now: Instant) {
        let sessions: Vec<SessionId> = self.sessions.keys().copied().collect();
        for id in sessions {
            if self.hangup(now, id).is_err() {
                self.end_session(id, EndReason::Local);
            }
        }
        let regs: Vec<RegistrationId> = self.registrations.keys().copied().collect();
        for id in regs {
            let registered = matches!(
                self.registration_state(id),
                Some(RegistrationState::Registered { .. })
            );
            if registered {
                let _ = self.unregister(now, id);
            } else {
                self.registrations.remove(&id);
            }
        }
        self.pump(now);
    }

    /// Tells the core that sending to `to` failed: the transactions sending
    /// there fail with a transport error (RFC 3261 §18.4).
    pub fn handle_transport_error(&mut self, now: Instant, to: &Peer, _error: Error) {
        self.tl.handle_transport_error_to(to);
        self.pump(now);
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.out.pop_front()
    }

    /// Moves the transaction layer's outputs into ours, dispatching events.
    fn pump(&mut self, now: Instant) {
        self.pump_tl(now);
        self.prune_session_timers();
    }

    fn pump_tl(&mut self, now: Instant) {
        while let Some(o) = self.tl.poll_output() {
            match o {
                Output::Transmit { to, bytes, .. } => {
                    self.out.push_back(UaOutput::Transmit { to, bytes })
                }
                Output::Event(ev) => self.on_tx_event(now, ev),
            }
        }
    }

    fn on_tx_event(&mut self, now: Instant, ev: TxEvent) {
        match ev {
            TxEvent::Response { id, response } => match self.owners.get(&id).copied() {
                Some(Owner::Registration(rid)) => self.on_register_response(now, rid, id, response),
                Some(Owner::Invite(sid)) => self.on_invite_response(now, sid, response),
                Some(Owner::Offer(sid)) => self.on_offer_response(now, sid, response),
                Some(Owner::Bye(sid)) if response.status.is_final() => {
                    self.end_session(sid, EndReason::Local)
                }
                Some(Owner::Request(rid)) => self.on_request_response(now, rid, response),
                Some(Owner::Bye(_) | Owner::Cancel(_) | Owner::Prack(_)) | None => {}
            },
            TxEvent::Timeout { id } | TxEvent::TransportError { id } => {
                let transport = matches!(ev, TxEvent::TransportError { .. });
                match self.owners.get(&id).copied() {
                    Some(Owner::Registration(rid)) => {
                        self.on_register_failure(now, rid, None, None)
                    }
                    Some(Owner::Invite(sid) | Owner::Offer(sid)) => {
                        self.on_session_timeout(sid, transport)
                    }
                    Some(Owner::Bye(sid)) => self.end_session(sid, EndReason::Local),
                    Some(Owner::Request(rid)) => self.on_request_failure(rid, transport),
                    Some(Owner::Cancel(_) | Owner::Prack(_)) | None => {}
                }
            }
            TxEvent::Terminated { id } => {
                self.owners.remove(&id);
            }
            TxEvent::Request { id, request, from } => self.on_request(now, id, request, from),
            TxEvent::Stray { message, .. } => match message {
                Message::Request(r) if r.method == Method::Ack => self.on_ack(&r),
                Message::Response(r) => self.on_stray_response(&r),
                Message::Request(_) => {}
            },
        }
    }

    fn end_session(&mut self, id: SessionId, reason: EndReason) {
        self.invite_peers.remove(&id);
        self.end(id, reason);
    }

    fn on_request(&mut self, now: Instant, id: TransactionId, req: Request, from: Peer) {
        if let Err(rej) = self.config.policy.check_request(&req) {
            let tag = self.ids.tag();
            let resp = rej.to_response(&req, &tag);
            self.respond(now, id, &req, resp);
            return;
        }
        if req.method == Method::Cancel {
            self.on_cancel(now, id, req);
            self.pump(now);
            return;
        }
        let in_dialog = req
            .headers
            .typed::<typed::To>()
            .ok()
            .flatten()
            .is_some_and(|t| t.tag().is_some());
        if in_dialog {
            match self.session_for(&req) {
                Some(sid) => {
                    self.on_dialog_request(now, sid, id, req);
                    self.pump(now);
                }
                // Requests inside a dialog we do not know (RFC 3261 §12.2.2).
                None => self.answer_simple(now, id, &req, StatusCode(481)),
            }
            return;
        }
        match req.method {
            Method::Invite => {
                self.on_new_invite(now, id, req, from);
                self.pump(now);
            }
            Method::Options => self.answer_simple(now, id, &req, StatusCode(200)),
            _ => self.answer_simple(now, id, &req, StatusCode(405)),
        }
    }

    fn answer_simple(
        &mut self,
        now: Instant,
        id: TransactionId,
        req: &Request,
        status: StatusCode,
    ) {
        let mut resp = Response::for_request(req, status);
        if status.0 == 200 || status.0 == 405 {
            let allow: Vec<&str> = self
                .config
                .policy
                .allowed_methods
                .iter()
                .map(Method::as_str)
                .collect();
            let _ = resp.headers.push(HeaderName::Allow, &allow.join(", "));
        }
        if status.0 == 200 {
            let _ = resp.headers.push(HeaderName::Accept, "application/sdp");
            let _ = resp.headers.push(
                HeaderName::Supported,
                &self.config.policy.supported.join(", "),
            );
        }
        let tag = self.ids.tag();
        let _ = resp.set_to_tag(&tag);
        self.respond(now, id, req, resp);
    }

    fn respond(&mut self, now: Instant, id: TransactionId, req: &Request, mut resp: Response) {
        let _ = resp
            .headers
            .push(HeaderName::Server, &self.config.user_agent);
        let _ = resp.headers.set(HeaderName::ContentLength, "0");
        let status = resp.status;
        if self.tl.send_response(now, id, resp).is_ok() {
            self.out.push_back(UaOutput::Event(UaEvent::Answered {
                method: req.method.clone(),
                status,
            }));
        }
        self.pump(now);
    }

    /// Builds the common headers of an out-of-dialog request from us.
    fn new_request(
        &mut self,
        method: Method,
        request_uri: crate::message::Uri,
        transport: &Transport,
        sent_by: SocketAddr,
    ) -> Request {
        let mut req = Request::new(method, request_uri);
        let branch = self.ids.branch();
        let mut via = typed::Via::new(
            transport.clone(),
            sent_by.ip().into(),
            Some(sent_by.port()),
            &branch,
        );
        via.params.push("rport", None);
        let _ = req.headers.push_typed(&via);
        let _ = req.headers.push_typed(&typed::MaxForwards(70));
        req
    }
}

/// A copy of `req` as a new transaction: a fresh branch in the top Via and
/// CSeq `seq` (RFC 3261 §22.1, for a request retried with credentials).
pub(super) fn reissue(req: &Request, branch: &str, seq: u32) -> Request {
    let mut r = req.clone();
    if let Ok(Some(mut via)) = r.headers.typed_first::<typed::Via>() {
        via.params.set("branch", Some(branch));
        let rest: Vec<String> = r
            .headers
            .get_all(HeaderName::Via)
            .skip(1)
            .map(str::to_owned)
            .collect();
        r.headers.remove(HeaderName::Via);
        for v in rest.iter().rev() {
            let _ = r.headers.push_front(HeaderName::Via, v);
        }
        let mut top = String::new();
        typed::TypedHeader::write(&via, &mut top);
        let _ = r.headers.push_front(HeaderName::Via, &top);
    }
    if let Ok(Some(cseq)) = r.headers.typed::<typed::CSeq>() {
        let _ = r.headers.set_typed(&typed::CSeq {
            seq,
            method: cseq.method,
        });
    }
    r
}

/// The local address (for Via and Contact) of a transport. A free function
/// so that it can be called while a session is borrowed.
fn local_for(
    local: &[(Transport, SocketAddr)],
    transport: &Transport,
) -> Result<SocketAddr, Error> {
    local
        .iter()
        .find(|(t, _)| t == transport)
        .map(|(_, a)| *a)
        .ok_or(Error::InvalidValue("no local address for this transport"))
}

/// The digest client that answers a challenge: the request's own, else the
/// account's.
fn digest_client<'a>(
    own: Option<&'a mut crate::auth::DigestClient>,
    account: Option<RegistrationId>,
    registrations: &'a mut HashMap<RegistrationId, Registration>,
) -> Result<&'a mut crate::auth::DigestClient, Error> {
    match (own, account) {
        (Some(own), _) => Ok(own),
        (None, Some(acct)) => registrations
            .get_mut(&acct)
            .and_then(|r| r.auth.as_mut())
            .ok_or(Error::InvalidValue("no credentials")),
        (None, None) => Err(Error::InvalidValue("no credentials")),
    }
}
