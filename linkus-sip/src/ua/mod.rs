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

mod ids;
mod register;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use register::{KeepAlive, RegisterConfig, RegistrationId, RegistrationState};

use crate::error::Error;
use crate::message::typed::{self, Transport};
use crate::message::{
    HeaderName, Message, Method, Request, Response, StatusCode, UasPolicy, check_response,
};
use crate::transaction::{Output, Peer, TimerConfig, TransactionId, TransactionLayer, TxEvent};
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
}

/// The sans-IO SIP user agent.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    tl: TransactionLayer,
    ids: IdGen,
    next_reg: u64,
    registrations: HashMap<RegistrationId, Registration>,
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
        self.config
            .local
            .iter()
            .find(|(t, _)| t == transport)
            .map(|(_, a)| *a)
            .ok_or(Error::InvalidValue("no local address for this transport"))
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
        self.pump(now);
    }

    /// When [`handle_timeout`](UserAgent::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let regs = self
            .registrations
            .values()
            .filter_map(Registration::next_timer);
        self.tl.poll_timeout().into_iter().chain(regs).min()
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<UaOutput> {
        self.out.pop_front()
    }

    /// Moves the transaction layer's outputs into ours, dispatching events.
    fn pump(&mut self, now: Instant) {
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
                None => {}
            },
            TxEvent::Timeout { id } | TxEvent::TransportError { id } => {
                if let Some(Owner::Registration(rid)) = self.owners.get(&id).copied() {
                    self.on_register_failure(now, rid, None, None);
                }
            }
            TxEvent::Terminated { id } => {
                self.owners.remove(&id);
            }
            TxEvent::Request { id, request, from } => self.on_request(now, id, request, from),
            TxEvent::Stray { .. } => {}
        }
    }

    fn on_request(
        &mut self,
        now: Instant,
        id: TransactionId,
        req: Request,
        _from: crate::transaction::Peer,
    ) {
        if let Err(rej) = self.config.policy.check_request(&req) {
            let tag = self.ids.tag();
            let resp = rej.to_response(&req, &tag);
            self.respond(now, id, &req, resp);
            return;
        }
        let status = match req.method {
            Method::Options => StatusCode(200),
            // Requests inside a dialog we do not know (RFC 3261 §12.2.2).
            _ => StatusCode(481),
        };
        let mut resp = Response::for_request(&req, status);
        if status.0 == 200 {
            let allow: Vec<&str> = self
                .config
                .policy
                .allowed_methods
                .iter()
                .map(Method::as_str)
                .collect();
            let _ = resp.headers.push(HeaderName::Allow, &allow.join(", "));
            let _ = resp.headers.push(HeaderName::Accept, "application/sdp");
            let _ = resp.headers.push(
                HeaderName::Supported,
                &self.config.policy.supported.join(", "),
            );
        }
        let tag = self.ids.tag();
        let _ = resp.set_to_tag(&tag);
        self.respond(now, id, &req, resp);
    }

    fn respond(&mut self, now: Instant, id: TransactionId, req: &Request, mut resp: Response) {
        let _ = resp
            .headers
            .push(HeaderName::Server, &self.config.user_agent);
        let _ = resp.headers.push(HeaderName::ContentLength, "0");
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
