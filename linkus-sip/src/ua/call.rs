//! INVITE sessions (RFC 3261 §13–15, RFC 6026), UAC and UAS: provisional
//! responses and early media, the 2xx ACK (sent and retransmitted by the
//! dialog, not a transaction), the UAS 2xx retransmission until the ACK,
//! CANCEL and its race with 200, BYE, re-INVITE and UPDATE with 491 glare
//! back-off (§14.1), and forking (the first 2xx wins; later ones are ACKed
//! and hung up).
//!
//! Reliable provisional responses (RFC 3262): our INVITEs carry
//! `Supported: 100rel`. As UAC every 1xx with `Require: 100rel` is PRACKed
//! in its early dialog (its own CSeq space, route set and remote target,
//! carried into the confirmed dialog), once per RSeq and in order;
//! retransmitted and out-of-order ones are dropped unreported. As UAS
//! [`UserAgent::progress_reliable`] (or `progress` when the INVITE
//! requires 100rel) retransmits the 1xx until its PRACK (T1 doubling; 504
//! and [`EndReason::NoPrack`] after 64·T1), holds the 2xx back behind a
//! reliable 1xx with SDP, and answers a PRACK matching nothing with 481.
//! A body in a PRACK (an answer to an offer in a reliable 1xx) is not
//! reported yet.
//!
//! Session timers (RFC 4028), configured by [`SessionTimerConfig`] in
//! [`UaConfig::session_timer`](super::UaConfig::session_timer): our INVITEs
//! carry `Supported: timer`, `Session-Expires` and `Min-SE`; a 422 is
//! retried once with its Min-SE. As UAS a request below our Min-SE gets
//! 422, and the 2xx carries `Session-Expires` with the refresher (the
//! caller's choice, else the caller when it supports timers) and
//! `Require: timer`. The refresher refreshes at half the interval — UPDATE
//! without body when the peer allows it, else a re-INVITE with the last
//! description we sent — and the other side answers such refreshes itself
//! (no new offer, or the same one again), unseen by the application. Any
//! successful re-INVITE/UPDATE restarts the timer. Without one, either side
//! sends BYE at the expiry minus min(32 s, interval/3) (RFC 4028 §10) and
//! the session ends with [`EndReason::SessionExpired`].
//!
//! SDP is an opaque body here: offer/answer meaning belongs to `linkus-media`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::dialog::{Dialog, DialogKey};
use super::{Owner, UaEvent, UaOutput, UserAgent};
use crate::error::Error;
use crate::message::typed::{self, Contact, MediaType, NameAddr};
use crate::message::{HeaderName, Message, Method, Request, Response, SipUri, StatusCode, Uri};
use crate::transaction::{Peer, TransactionId};

/// Identifies an INVITE session (a call leg) of the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub(super) u64);

/// A body with its type (SDP for calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Content-Type.
    pub content_type: MediaType,
    /// Octets.
    pub bytes: Vec<u8>,
}

impl Body {
    /// An `application/sdp` body.
    pub fn sdp(bytes: impl Into<Vec<u8>>) -> Body {
        Body {
            content_type: MediaType::new("application", "sdp"),
            bytes: bytes.into(),
        }
    }

    fn from_message(headers: &crate::message::Headers, bytes: &[u8]) -> Option<Body> {
        if bytes.is_empty() {
            return None;
        }
        let ct = headers.typed::<typed::ContentType>().ok()??;
        Some(Body {
            content_type: ct.0,
            bytes: bytes.to_vec(),
        })
    }
}

/// What to call, from whom, through where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteConfig {
    /// Request-URI (`sip:1002@pbx.example.com`).
    pub target: Uri,
    /// Our identity (From), without tag.
    pub from: NameAddr,
    /// Next hop (outbound proxy or the callee), as resolved by the driver.
    pub peer: Peer,
    /// Pre-loaded route set (e.g. `<sip:proxy;lr>`), in order.
    pub route: Vec<String>,
    /// The offer, if the call carries one in the INVITE.
    pub offer: Option<Body>,
    /// Extra header fields (Alert-Info, Call-Info, Replaces, Referred-By, …).
    pub extra_headers: Vec<(HeaderName, String)>,
    /// The registration whose credentials answer 401/407 challenges.
    pub account: Option<super::RegistrationId>,
    /// Credentials `(username, password)` for this call alone, when it goes
    /// through no registered account (a direct call to a server that challenges).
    pub credentials: Option<(String, String)>,
}

/// Session timers (RFC 4028): the interval we ask for and the smallest we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// Session interval in seconds: requested in our INVITEs (`Session-Expires`)
    /// and offered when a caller supporting timers asks for none. 1800 by default.
    pub interval: u32,
    /// The smallest interval we accept (`Min-SE`), in seconds; a request
    /// asking for less gets 422. 90 by default (the RFC 4028 floor: a
    /// running timer never uses less than 90 s, whatever was announced).
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> SessionTimerConfig {
        SessionTimerConfig {
            interval: 1800,
            min_se: 90,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// We hung up (BYE sent, or CANCEL, or our rejection).
    Local,
    /// The other side sent BYE.
    RemoteBye,
    /// The INVITE got a final non-2xx (`status` 486, 603, …).
    Rejected {
        /// The status code.
        status: u16,
    },
    /// The caller cancelled before we answered.
    Cancelled,
    /// No final response (timer B) or no ACK for our 2xx (64·T1).
    Timeout,
    /// The transport failed.
    TransportError,
    /// UAS: the PRACK for our reliable provisional response never came
    /// within 64·T1 (RFC 3262 §3); the INVITE was rejected with 504.
    NoPrack,
    /// The session interval (RFC 4028) ran out without a successful
    /// refresh; we sent BYE.
    SessionExpired,
}

/// Progress of a session, reported as [`UaEvent::Session`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// 1xx from the callee (180 ringing, 183 with early media SDP).
    Progress {
        /// Status code.
        status: u16,
        /// Early media answer, if any.
        body: Option<Body>,
    },
    /// The call was answered (UAC: 2xx received and ACKed).
    Answered {
        /// The answer (or the offer when the INVITE had none).
        body: Option<Body>,
    },
    /// UAS: the ACK for our 2xx arrived; the call is up.
    Confirmed {
        /// A body in the ACK (the answer to an offer we put in the 2xx).
        body: Option<Body>,
    },
    /// The peer sent a re-INVITE or UPDATE with an offer: answer it with
    /// [`UserAgent::accept_offer`] or [`UserAgent::reject_offer`].
    Offer {
        /// The offer (`None` for an offerless re-INVITE: send an offer in the 2xx).
        body: Option<Body>,
    },
    /// Our re-INVITE/UPDATE was answered.
    OfferAnswered {
        /// The answer.
        body: Option<Body>,
    },
    /// Our re-INVITE/UPDATE failed (the session continues).
    OfferRejected {
        /// The status.
        status: u16,
    },
    /// The session is over.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Uac,
    Uas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// UAC: INVITE sent. UAS: INVITE received, not answered.
    Early,
    /// UAS: 2xx sent, waiting for the ACK.
    WaitAck,
    /// Up.
    Established,
    /// BYE sent or CANCEL sent.
    Ending,
}

/// Our retransmitted 2xx (UAS, RFC 3261 §13.3.1.4).
#[derive(Debug)]
struct Retransmit {
    bytes: Vec<u8>,
    interval: Duration,
    next_at: Instant,
    give_up_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OfferKind {
    ReInvite,
    Update,
}

#[derive(Debug)]
pub(super) struct Session {
    role: Role,
    phase: Phase,
    invite: Request,
    invite_tx: Option<TransactionId>,
    dialog: Option<Dialog>,
    local_tag: String,
    ack: Option<Vec<u8>>,
    retransmit: Option<Retransmit>,
    cancel_wanted: bool,
    got_provisional: bool,
    /// Our pending re-INVITE/UPDATE: its transaction and body (for 491 retries).
    our_offer: Option<(TransactionId, OfferKind, Option<Body>)>,
    glare_retry_at: Option<(Instant, OfferKind, Option<Body>)>,
    /// Their pending re-INVITE/UPDATE we have to answer.
    their_offer: Option<(TransactionId, OfferKind, Request)>,
    /// The re-INVITE's transaction whose 2xx we retransmit.
    reinvite_ack_seq: Option<u32>,
    /// The account whose digest client authenticates our requests.
    account: Option<super::RegistrationId>,
    /// Challenges answered for the INVITE (a guard against loops).
    auth_attempts: u8,
    /// The call's own digest client (from `InviteConfig::credentials`).
    auth: Option<crate::auth::DigestClient>,
    /// UAS: our reliable provisional response waiting for its PRACK.
    rel_out: Option<ReliableProvisional>,
    /// UAS: the RSeq of our next reliable provisional response.
    next_rseq: u32,
    /// UAS: a reliable provisional we stopped retransmitting because the
    /// final response went out; a late PRACK for it still gets 200.
    rel_superseded: Option<u32>,
    /// UAS: `answer()` was called while a reliable provisional with SDP
    /// waited for its PRACK; the 2xx goes out when the PRACK arrives.
    deferred_answer: Option<Option<Body>>,
    /// UAC: early dialogs (one per To tag) and the last RSeq PRACKed in each.
    early: Vec<EarlyDialog>,
    /// The negotiated session timer (RFC 4028), once the session is up.
    timer: Option<SessionTimer>,
    /// The last session description we sent (re-sent in re-INVITE refreshes).
    last_local: Option<Body>,
    /// The last session description the peer sent (a refresh repeats it).
    last_remote: Option<Body>,
    /// Our pending re-INVITE/UPDATE is a session refresh, not the application's.
    refreshing: bool,
    /// A 422 was already answered by retrying with the peer's Min-SE.
    retried_422: bool,
    /// The peer listed UPDATE in its Allow (refreshes then use UPDATE).
    peer_allows_update: bool,
}

/// A running session timer (RFC 4028 §7.2, §9, §10).
#[derive(Debug, Clone, Copy)]
struct SessionTimer {
    /// Seconds.
    interval: u32,
    /// We send the refreshes; otherwise we watch for the peer's.
    we_refresh: bool,
    /// When we refresh (half the interval), if we are the refresher.
    refresh_at: Option<Instant>,
    /// When we give up and send BYE: the expiry minus min(32 s, interval/3).
    expire_at: Instant,
}

impl SessionTimer {
    fn start(now: Instant, interval: u32, we_refresh: bool) -> SessionTimer {
        // RFC 4028 §4: no interval is below 90 s; a peer announcing less
        // must not make us refresh in a tight loop.
        let interval = interval.max(90);
        let i = u64::from(interval);
        let margin = (i / 3).min(32);
        SessionTimer {
            interval,
            we_refresh,
            refresh_at: we_refresh.then(|| now + Duration::from_secs(i / 2)),
            expire_at: now + Duration::from_secs(i - margin),
        }
    }
}

/// `Session-Expires` of a message: seconds and the `refresher` parameter.
fn session_expires(headers: &crate::message::Headers) -> Option<(u32, Option<String>)> {
    let se = headers.typed::<typed::SessionExpires>().ok()??;
    let refresher = se.refresher().map(str::to_ascii_lowercase);
    Some((se.seconds, refresher))
}

fn min_se(headers: &crate::message::Headers) -> Option<u32> {
    headers.typed::<typed::MinSe>().ok()?.map(|m| m.0)
}

fn allows_update(headers: &crate::message::Headers) -> bool {
    lists_tag(headers, HeaderName::Allow, "UPDATE")
}

/// UAS: a reliable provisional response (RFC 3262 §3) and its retransmission.
#[derive(Debug)]
struct ReliableProvisional {
    rseq: u32,
    response: Response,
    has_sdp: bool,
    interval: Duration,
    next_at: Instant,
    give_up_at: Instant,
}

/// UAC: an early dialog and its reliable provisional state (RFC 3262 §4).
#[derive(Debug)]
struct EarlyDialog {
    dialog: Dialog,
    last_rseq: Option<u32>,
}

/// True when a list header (`Supported`, `Require`) carries `tag`.
fn lists_tag(headers: &crate::message::Headers, name: HeaderName, tag: &str) -> bool {
    headers
        .get_all(name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(tag))
}

impl Session {
    pub(super) fn next_timer(&self) -> Option<Instant> {
        let r = self
            .retransmit
            .as_ref()
            .map(|r| r.next_at.min(r.give_up_at));
        let g = self.glare_retry_at.as_ref().map(|g| g.0);
        let p = self.rel_out.as_ref().map(|p| p.next_at.min(p.give_up_at));
        let t = self
            .timer
            .as_ref()
            .map(|t| t.refresh_at.map_or(t.expire_at, |r| r.min(t.expire_at)));
        r.into_iter().chain(g).chain(p).chain(t).min()
    }
}

fn push_body(req_headers: &mut crate::message::Headers, body: &mut Vec<u8>, b: Option<&Body>) {
    if let Some(b) = b {
        let _ = req_headers.set(HeaderName::ContentType, &b.content_type.to_string());
        *body = b.bytes.clone();
    }
    let _ = req_headers.set(HeaderName::ContentLength, &body.len().to_string());
}

impl UserAgent {
    fn local_contact(&self, user: Option<&str>, peer: &Peer) -> Result<NameAddr, Error> {
        let addr = self.local_addr(&peer.transport)?;
        let mut uri = SipUri::new(addr.ip().into()).with_port(addr.port());
        uri.user = user.map(str::to_owned);
        if !matches!(peer.transport, typed::Transport::Udp) {
            uri = uri.with_param(
                "transport",
                Some(&peer.transport.as_str().to_ascii_lowercase()),
            );
        }
        Ok(NameAddr::new(Uri::Sip(uri)))
    }

    fn emit(&mut self, session: SessionId, event: SessionEvent) {
        self.out
            .push_back(UaOutput::Event(UaEvent::Session { session, event }));
    }

    pub(super) fn end(&mut self, id: SessionId, reason: EndReason) {
        if let Some(s) = self.sessions.remove(&id) {
            if let Some(d) = &s.dialog {
                self.dialogs.remove(&d.key());
            }
            self.emit(id, SessionEvent::Ended { reason });
        }
    }

    /// Places a call. Progress arrives as [`UaEvent::Session`] events.
    pub fn invite(&mut self, now: Instant, cfg: InviteConfig) -> Result<SessionId, Error> {
        let sent_by = self.local_addr(&cfg.peer.transport)?;
        let user = cfg.from.uri.as_sip().and_then(|u| u.user.clone());
        let contact = self.local_contact(user.as_deref(), &cfg.peer)?;
        let mut req = self.new_request(
            Method::Invite,
            cfg.target.clone(),
            &cfg.peer.transport,
            sent_by,
        );
        for r in &cfg.route {
            req.headers.push(HeaderName::Route, r)?;
        }
        let local_tag = self.ids.tag();
        let mut from = cfg.from.clone();
        from.set_tag(&local_tag);
        req.headers.push_typed(&typed::From(from))?;
        req.headers
            .push_typed(&typed::To(NameAddr::new(cfg.target.clone())))?;
        req.headers.push(HeaderName::CallId, &self.ids.call_id())?;
        req.headers.push_typed(&typed::CSeq {
            seq: 1,
            method: Method::Invite,
        })?;
        req.headers.push_typed(&Contact::Addr(contact))?;
        self.push_capabilities(&mut req.headers);
        if let Some(st) = self.config.session_timer {
            req.headers.push_typed(&typed::SessionExpires {
                seconds: st.interval.max(st.min_se),
                params: crate::message::Params::default(),
            })?;
            req.headers.push_typed(&typed::MinSe(st.min_se))?;
        }
        for (name, value) in &cfg.extra_headers {
            req.headers.push(*name, value)?;
        }
        let mut body = Vec::new();
        push_body(&mut req.headers, &mut body, cfg.offer.as_ref());
        req.body = body;
        if let Some(auth) = cfg
            .account
            .and_then(|a| self.registrations.get_mut(&a))
            .and_then(|r| r.auth.as_mut())
        {
            let ids = &mut self.ids;
            auth.authorize(&mut req, &mut || ids.cnonce())?;
        }
        let own_auth = cfg.credentials.as_ref().map(|(u, p)| {
            crate::auth::DigestClient::new(crate::auth::Credentials::new(u.as_str(), p.as_str()))
        });
        let tx = self.tl.send_request(now, req.clone(), cfg.peer.clone())?;
        let id = SessionId(self.next_session);
        self.next_session += 1;
        self.owners.insert(tx, Owner::Invite(id));
        self.sessions.insert(
            id,
            Box::new(Session {
                role: Role::Uac,
                phase: Phase::Early,
                invite: req,
                invite_tx: Some(tx),
                dialog: None,
                local_tag,
                ack: None,
                retransmit: None,
                cancel_wanted: false,
                got_provisional: false,
                our_offer: None,
                glare_retry_at: None,
                their_offer: None,
                reinvite_ack_seq: None,
                account: cfg.account,
                auth_attempts: 0,
                auth: own_auth,
                rel_out: None,
                next_rseq: 1,
                rel_superseded: None,
                deferred_answer: None,
                early: Vec::new(),
                timer: None,
                last_local: cfg.offer.clone(),
                last_remote: None,
                refreshing: false,
                retried_422: false,
                peer_allows_update: false,
            }),
        );
        self.invite_peers.insert(id, cfg.peer);
        self.pump(now);
        Ok(id)
    }

    fn push_capabilities(&self, headers: &mut crate::message::Headers) {
        let allow: Vec<&str> = self
            .config
            .policy
            .allowed_methods
            .iter()
            .map(Method::as_str)
            .collect();
        let _ = headers.push(HeaderName::Allow, &allow.join(", "));
        let supported = if self.config.session_timer.is_some() {
            "100rel, timer, replaces, norefersub"
        } else {
            "100rel, replaces, norefersub"
        };
        let _ = headers.push(HeaderName::Supported, supported);
        let _ = headers.push(HeaderName::UserAgent, &self.config.user_agent);
    }

    /// The INVITE that created the session (caller, callee, offer, headers).
    pub fn session_request(&self, id: SessionId) -> Option<&Request> {
        self.sessions.get(&id).map(|s| &s.invite)
    }

    /// UAS: sends a provisional response (180 Ringing, or 183 with early media).
    ///
    /// When the INVITE has `Require: 100rel` the response is sent reliably,
    /// as with [`progress_reliable`](UserAgent::progress_reliable).
    pub fn progress(
        &mut self,
        now: Instant,
        id: SessionId,
        status: u16,
        body: Option<Body>,
    ) -> Result<(), Error> {
        let required = self
            .sessions
            .get(&id)
            .is_some_and(|s| lists_tag(&s.invite.headers, HeaderName::Require, "100rel"));
        self.send_provisional(now, id, status, body, required)
    }

    /// UAS: sends a provisional response reliably (RFC 3262): with
    /// `Require: 100rel` and an `RSeq`, retransmitted (T1, doubling) until
    /// the caller's PRACK arrives. Without a PRACK within 64·T1 the call is
    /// rejected with 504 and ends with [`EndReason::NoPrack`]. While a
    /// reliable provisional carrying SDP waits for its PRACK,
    /// [`answer`](UserAgent::answer) holds the 2xx back until it arrives.
    ///
    /// Fails when the INVITE lists 100rel in neither Supported nor Require,
    /// or when the previous reliable provisional is still unacknowledged.
    pub fn progress_reliable(
        &mut self,
        now: Instant,
        id: SessionId,
        status: u16,
        body: Option<Body>,
    ) -> Result<(), Error> {
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let h = &s.invite.headers;
        if !lists_tag(h, HeaderName::Supported, "100rel")
            && !lists_tag(h, HeaderName::Require, "100rel")
        {
            return Err(Error::InvalidValue("the caller does not support 100rel"));
        }
        self.send_provisional(now, id, status, body, true)
    }

    fn send_provisional(
        &mut self,
        now: Instant,
        id: SessionId,
        status: u16,
        body: Option<Body>,
        reliable: bool,
    ) -> Result<(), Error> {
        if !(101..200).contains(&status) {
            return Err(Error::InvalidValue("a provisional status is 101 to 199"));
        }
        let mut resp = self.uas_response(id, status, body.as_ref())?;
        let tx = self.uas_invite_tx(id)?;
        if !reliable {
            self.tl.send_response(now, tx, resp)?;
            if let (Some(s), Some(b)) = (self.sessions.get_mut(&id), body) {
                s.last_local = Some(b);
            }
            self.pump(now);
            return Ok(());
        }
        let t1 = self.config.timers.t1;
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        if s.rel_out.is_some() {
            // RFC 3262 §3: one unacknowledged reliable provisional at a time.
            return Err(Error::InvalidValue(
                "the previous reliable provisional response is not PRACKed yet",
            ));
        }
        let rseq = s.next_rseq;
        resp.headers.push(HeaderName::Require, "100rel")?;
        resp.headers.push_typed(&typed::RSeq(rseq))?;
        let stream = s
            .dialog
            .as_ref()
            .is_some_and(|d| d.peer.transport.is_reliable());
        self.tl.send_response(now, tx, resp.clone())?;
        if let Some(s) = self.sessions.get_mut(&id) {
            if body.is_some() {
                s.last_local = body.clone();
            }
            s.next_rseq = rseq.wrapping_add(1).max(1);
            s.rel_out = Some(ReliableProvisional {
                rseq,
                response: resp,
                has_sdp: body.is_some(),
                interval: t1,
                // Over a stream transport only the give-up timer matters.
                next_at: if stream { now + 64 * t1 } else { now + t1 },
                give_up_at: now + 64 * t1,
            });
        }
        self.arm_session(id);
        self.pump(now);
        Ok(())
    }

    /// UAS: answers the call with 200 and (usually) the SDP answer.
    ///
    /// While a reliable provisional response with SDP waits for its PRACK,
    /// the 2xx is held back and sent when the PRACK arrives (RFC 3262 §3).
    pub fn answer(&mut self, now: Instant, id: SessionId, body: Option<Body>) -> Result<(), Error> {
        self.uas_invite_tx(id)?;
        if let Some(s) = self.sessions.get_mut(&id) {
            if s.rel_out.as_ref().is_some_and(|r| r.has_sdp) {
                s.deferred_answer = Some(body);
                return Ok(());
            }
            // The final response ends the provisional's retransmissions.
            if let Some(r) = s.rel_out.take() {
                s.rel_superseded = Some(r.rseq);
            }
        }
        let mut resp = self.uas_response(id, 200, body.as_ref())?;
        let tx = self.uas_invite_tx(id)?;
        let timer = self.uas_session_timer(id);
        if let Some((interval, we_refresh, require)) = timer {
            let refresher = if we_refresh { "uas" } else { "uac" };
            resp.headers.push(
                HeaderName::SessionExpires,
                &format!("{interval};refresher={refresher}"),
            )?;
            if require {
                resp.headers.push(HeaderName::Require, "timer")?;
            }
        }
        let bytes = resp.to_bytes();
        self.tl.send_response(now, tx, resp)?;
        let t1 = self.config.timers.t1;
        let reliable = self
            .sessions
            .get(&id)
            .and_then(|s| s.dialog.as_ref())
            .is_some_and(|d| d.peer.transport.is_reliable());
        if let Some(s) = self.sessions.get_mut(&id) {
            s.phase = Phase::WaitAck;
            s.invite_tx = None;
            if body.is_some() {
                s.last_local = body;
            }
            s.timer = timer.map(|(interval, we, _)| SessionTimer::start(now, interval, we));
            s.retransmit = Some(Retransmit {
                bytes,
                interval: t1,
                // Over a reliable transport only the give-up timer matters.
                next_at: if reliable { now + 64 * t1 } else { now + t1 },
                give_up_at: now + 64 * t1,
            });
        }
        self.arm_session(id);
        self.pump(now);
        Ok(())
    }

    /// UAS: the session timer of our 2xx (RFC 4028 §9): interval, whether
    /// we refresh, and whether to add `Require: timer`. `None` when timers
    /// are off here or the caller neither supports them nor asked for one.
    fn uas_session_timer(&self, id: SessionId) -> Option<(u32, bool, bool)> {
        let cfg = self.config.session_timer?;
        let h = &self.sessions.get(&id)?.invite.headers;
        let supported = lists_tag(h, HeaderName::Supported, "timer")
            || lists_tag(h, HeaderName::Require, "timer");
        let asked = session_expires(h);
        if !supported && asked.is_none() {
            return None;
        }
        let floor = cfg.min_se.max(min_se(h).unwrap_or(0));
        let interval = asked
            .as_ref()
            .map_or(cfg.interval.max(floor), |(secs, _)| *secs);
        let we_refresh = match asked.as_ref().and_then(|(_, r)| r.as_deref()) {
            Some("uas") => true,
            Some("uac") => false,
            // The caller did not choose: it refreshes if it can (§9).
            _ => !supported,
        };
        Some((interval, we_refresh, supported))
    }

    /// UAS: rejects the call (486 Busy Here, 603 Decline, 480, …).
    pub fn reject(&mut self, now: Instant, id: SessionId, status: u16) -> Result<(), Error> {
        if !(300..700).contains(&status) {
            return Err(Error::InvalidValue("a rejection status is 300 to 699"));
        }
        let resp = self.uas_response(id, status, None)?;
        let tx = self.uas_invite_tx(id)?;
        self.tl.send_response(now, tx, resp)?;
        self.end(id, EndReason::Local);
        self.pump(now);
        Ok(())
    }

    /// Ends the call: CANCEL while a UAC call is unanswered, 603 for an
    /// unanswered incoming call, BYE once established.
    pub fn hangup(&mut self, now: Instant, id: SessionId) -> Result<(), Error> {
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        match (s.role, s.phase) {
            (Role::Uas, Phase::Early) => return self.reject(now, id, 603),
            (Role::Uac, Phase::Early) => {
                if s.got_provisional {
                    self.send_cancel(now, id)?;
                } else if let Some(s) = self.sessions.get_mut(&id) {
                    // RFC 3261 §9.1: no CANCEL before a provisional response.
                    s.cancel_wanted = true;
                }
            }
            (_, Phase::Ending) => {}
            _ => self.send_bye(now, id)?,
        }
        self.pump(now);
        Ok(())
    }

    /// Sends a re-INVITE (or UPDATE) with a new offer: hold, resume, codec change.
    pub fn reoffer(
        &mut self,
        now: Instant,
        id: SessionId,
        body: Option<Body>,
        use_update: bool,
    ) -> Result<(), Error> {
        let kind = if use_update {
            OfferKind::Update
        } else {
            OfferKind::ReInvite
        };
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        if s.phase != Phase::Established || s.our_offer.is_some() || s.their_offer.is_some() {
            return Err(Error::InvalidValue("an offer is already in progress"));
        }
        self.send_offer(now, id, kind, body)?;
        self.pump(now);
        Ok(())
    }

    /// Answers the peer's re-INVITE/UPDATE offer with 200 and our answer.
    pub fn accept_offer(
        &mut self,
        now: Instant,
        id: SessionId,
        body: Option<Body>,
    ) -> Result<(), Error> {
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let (tx, kind, req) = s
            .their_offer
            .take()
            .ok_or(Error::InvalidValue("no offer to answer"))?;
        let mut resp = Response::for_request(&req, StatusCode(200));
        let contact = self.dialog_contact(id)?;
        resp.headers.push_typed(&Contact::Addr(contact))?;
        // A successful re-INVITE/UPDATE refreshes the session (RFC 4028 §9).
        let timer = self.sessions.get(&id).and_then(|s| s.timer).map(|t| {
            let (interval, we_refresh) = match session_expires(&req.headers) {
                Some((secs, Some(r))) => (secs, r == "uas"),
                Some((secs, None)) => (secs, t.we_refresh),
                None => (t.interval, t.we_refresh),
            };
            SessionTimer::start(now, interval, we_refresh)
        });
        if let Some(t) = &timer {
            let refresher = if t.we_refresh { "uas" } else { "uac" };
            resp.headers.push(
                HeaderName::SessionExpires,
                &format!("{};refresher={refresher}", t.interval),
            )?;
            if lists_tag(&req.headers, HeaderName::Supported, "timer") {
                resp.headers.push(HeaderName::Require, "timer")?;
            }
        }
        push_body(&mut resp.headers, &mut resp.body, body.as_ref());
        let bytes = resp.to_bytes();
        self.tl.send_response(now, tx, resp)?;
        if let Some(s) = self.sessions.get_mut(&id) {
            if timer.is_some() {
                s.timer = timer;
            }
            if let Some(b) = Body::from_message(&req.headers, &req.body) {
                s.last_remote = Some(b);
            }
            if body.is_some() {
                s.last_local = body;
            }
        }
        if kind == OfferKind::ReInvite {
            let t1 = self.config.timers.t1;
            if let Some(s) = self.sessions.get_mut(&id) {
                s.reinvite_ack_seq = req
                    .headers
                    .typed::<typed::CSeq>()
                    .ok()
                    .flatten()
                    .map(|c| c.seq);
                s.retransmit = Some(Retransmit {
                    bytes,
                    interval: t1,
                    next_at: now + t1,
                    give_up_at: now + 64 * t1,
                });
            }
        }
        self.arm_session(id);
        self.pump(now);
        Ok(())
    }

    /// Refuses the peer's offer (488 Not Acceptable Here); the session goes on.
    pub fn reject_offer(&mut self, now: Instant, id: SessionId, status: u16) -> Result<(), Error> {
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let (tx, _, req) = s
            .their_offer
            .take()
            .ok_or(Error::InvalidValue("no offer to answer"))?;
        let mut resp = Response::for_request(&req, StatusCode(status));
        let _ = resp.headers.set(HeaderName::ContentLength, "0");
        self.tl.send_response(now, tx, resp)?;
        self.pump(now);
        Ok(())
    }

    fn dialog_contact(&self, id: SessionId) -> Result<NameAddr, Error> {
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let d = s
            .dialog
            .as_ref()
            .ok_or(Error::InvalidValue("no dialog yet"))?;
        let user = d.local.uri.as_sip().and_then(|u| u.user.clone());
        self.local_contact(user.as_deref(), &d.peer)
    }

    fn uas_invite_tx(&self, id: SessionId) -> Result<TransactionId, Error> {
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        if s.role != Role::Uas || s.phase != Phase::Early {
            return Err(Error::InvalidValue("the call is not waiting for an answer"));
        }
        s.invite_tx
            .ok_or(Error::InvalidValue("the call is not waiting for an answer"))
    }

    fn uas_response(
        &self,
        id: SessionId,
        status: u16,
        body: Option<&Body>,
    ) -> Result<Response, Error> {
        let s = self
            .sessions
            .get(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let mut resp = Response::for_request(&s.invite, StatusCode(status));
        resp.set_to_tag(&s.local_tag)?;
        if status < 300 {
            let contact = self.dialog_contact(id)?;
            resp.headers.push_typed(&Contact::Addr(contact))?;
            self.push_capabilities(&mut resp.headers);
        }
        push_body(&mut resp.headers, &mut resp.body, body);
        Ok(resp)
    }

    fn send_cancel(&mut self, now: Instant, id: SessionId) -> Result<(), Error> {
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let inv = &s.invite;
        // RFC 3261 §9.1: same Request-URI, Call-ID, From, To (no tag), CSeq
        // number, the INVITE's top Via and Route.
        let mut cancel = Request::new(Method::Cancel, inv.uri.clone());
        if let Some(v) = inv.headers.get(HeaderName::Via) {
            cancel.headers.push(HeaderName::Via, v)?;
        }
        cancel.headers.push_typed(&typed::MaxForwards(70))?;
        for r in inv.headers.get_all(HeaderName::Route) {
            cancel.headers.push(HeaderName::Route, r)?;
        }
        for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
            if let Some(v) = inv.headers.get(name) {
                cancel.headers.push(name, v)?;
            }
        }
        let seq = inv.headers.typed::<typed::CSeq>()?.map_or(1, |c| c.seq);
        cancel.headers.push_typed(&typed::CSeq {
            seq,
            method: Method::Cancel,
        })?;
        cancel.headers.push(HeaderName::ContentLength, "0")?;
        s.phase = Phase::Ending;
        let peer = self
            .invite_peers
            .get(&id)
            .cloned()
            .ok_or(Error::InvalidValue("unknown session"))?;
        let tx = self.tl.send_request(now, cancel, peer)?;
        self.owners.insert(tx, Owner::Cancel(id));
        Ok(())
    }

    fn send_bye(&mut self, now: Instant, id: SessionId) -> Result<(), Error> {
        let branch = self.ids.branch();
        let ua = self.config.user_agent.clone();
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let d = s.dialog.as_mut().ok_or(Error::InvalidValue("no dialog"))?;
        d.local_seq += 1;
        let sent_by = super::local_for(&self.config.local, &d.peer.transport)?;
        let mut bye = d.request(Method::Bye, d.local_seq, &branch, sent_by, &ua);
        bye.headers.push(HeaderName::ContentLength, "0")?;
        let peer = d.peer.clone();
        s.phase = Phase::Ending;
        s.retransmit = None;
        s.timer = None;
        let tx = self.tl.send_request(now, bye, peer)?;
        self.owners.insert(tx, Owner::Bye(id));
        Ok(())
    }

    fn send_offer(
        &mut self,
        now: Instant,
        id: SessionId,
        kind: OfferKind,
        body: Option<Body>,
    ) -> Result<(), Error> {
        let branch = self.ids.branch();
        let ua = self.config.user_agent.clone();
        let contact = self.dialog_contact(id)?;
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let d = s.dialog.as_mut().ok_or(Error::InvalidValue("no dialog"))?;
        d.local_seq += 1;
        let sent_by = super::local_for(&self.config.local, &d.peer.transport)?;
        let method = if kind == OfferKind::Update {
            Method::Update
        } else {
            Method::Invite
        };
        let mut req = d.request(method, d.local_seq, &branch, sent_by, &ua);
        req.headers.push_typed(&Contact::Addr(contact))?;
        if let (Some(t), Some(cfg)) = (s.timer, self.config.session_timer) {
            // Every re-INVITE/UPDATE of a timed session carries the timer
            // and keeps the refresher where it is (RFC 4028 §7.4).
            let refresher = if t.we_refresh { "uac" } else { "uas" };
            req.headers.push(HeaderName::Supported, "timer")?;
            req.headers.push(
                HeaderName::SessionExpires,
                &format!("{};refresher={refresher}", t.interval),
            )?;
            req.headers.push_typed(&typed::MinSe(cfg.min_se))?;
        }
        let mut b = Vec::new();
        push_body(&mut req.headers, &mut b, body.as_ref());
        req.body = b;
        let peer = d.peer.clone();
        let tx = self.tl.send_request(now, req, peer)?;
        s.our_offer = Some((tx, kind, body));
        self.owners.insert(tx, Owner::Offer(id));
        Ok(())
    }

    /// Sends the ACK for a 2xx to our INVITE or re-INVITE (a new
    /// transaction-less request; RFC 3261 §13.2.2.4).
    fn send_2xx_ack(&mut self, id: SessionId, seq: u32) {
        let branch = self.ids.branch();
        let ua = self.config.user_agent.clone();
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some(d) = s.dialog.as_ref() else { return };
        let Ok(sent_by) = super::local_for(&self.config.local, &d.peer.transport) else {
            return;
        };
        let mut ack = d.request(Method::Ack, seq, &branch, sent_by, &ua);
        // The ACK for a 2xx carries the INVITE's credentials (RFC 3261 §13.2.2.4).
        for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
            for v in s.invite.headers.get_all(name) {
                let _ = ack.headers.push(name, v);
            }
        }
        let _ = ack.headers.push(HeaderName::ContentLength, "0");
        let bytes = ack.to_bytes();
        s.ack = Some(bytes.clone());
        self.out.push_back(UaOutput::Transmit {
            to: d.peer.clone(),
            bytes,
        });
    }

    // ------------------------------------------------------------------
    // Responses to our requests

    pub(super) fn on_invite_response(&mut self, now: Instant, id: SessionId, resp: Response) {
        self.on_invite_response_inner(now, id, resp);
        self.arm_session(id);
    }

    fn on_invite_response_inner(&mut self, now: Instant, id: SessionId, resp: Response) {
        let status = resp.status.0;
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let peer = self.invite_peers.get(&id).cloned();
        if (101..200).contains(&status) {
            if s.phase != Phase::Early {
                // A 1xx overtaken by the 2xx (UDP reordering across a proxy's
                // workers) or after CANCEL: nothing to report.
                return;
            }
            if lists_tag(&resp.headers, HeaderName::Require, "100rel")
                && !self.accept_reliable_provisional(now, id, &resp)
            {
                // A retransmission, out of order, or unusable: not processed
                // further (RFC 3262 §4).
                return;
            }
            let Some(s) = self.sessions.get_mut(&id) else {
                return;
            };
            s.got_provisional = true;
            if s.dialog.is_none() {
                if let Some(peer) = &peer {
                    s.dialog = Dialog::uac(&s.invite, &resp, peer); // early dialog
                }
            }
            let cancel = s.cancel_wanted;
            let body = Body::from_message(&resp.headers, &resp.body);
            if body.is_some() {
                // Early media SDP: the answer when the 2xx repeats none.
                s.last_remote = body.clone();
            }
            self.emit(id, SessionEvent::Progress { status, body });
            if cancel {
                let _ = self.send_cancel(now, id);
            }
            return;
        }
        if status == 100 {
            return;
        }
        if (200..300).contains(&status) {
            let Some(peer) = peer else { return };
            let Some(new) = Dialog::uac(&s.invite, &resp, &peer) else {
                return;
            };
            let seq = resp
                .headers
                .typed::<typed::CSeq>()
                .ok()
                .flatten()
                .map_or(1, |c| c.seq);
            let established =
                s.phase == Phase::Established || s.phase == Phase::Ending && s.ack.is_some();
            match &s.dialog {
                Some(d) if established && d.remote_tag != new.remote_tag => {
                    // Forked 2xx from another branch: ACK it and hang that one up.
                    self.ack_and_bye_fork(now, new, seq);
                    return;
                }
                Some(_) if established => {
                    // A retransmission of the 2xx we took: ACK again.
                    if let Some(ack) = s.ack.clone() {
                        if let Some(d) = &s.dialog {
                            self.out.push_back(UaOutput::Transmit {
                                to: d.peer.clone(),
                                bytes: ack,
                            });
                        }
                    }
                    return;
                }
                _ => {}
            }
            let was_cancelling = s.phase == Phase::Ending;
            let mut new = new;
            // The early dialog's CSeq space (PRACKs) carries over (RFC 3262 §4).
            if let Some(e) = s
                .early
                .iter()
                .find(|e| e.dialog.remote_tag == new.remote_tag)
            {
                new.local_seq = new.local_seq.max(e.dialog.local_seq);
            }
            s.early.clear();
            let key = new.key();
            s.dialog = Some(new);
            s.phase = Phase::Established;
            let body = Body::from_message(&resp.headers, &resp.body);
            if body.is_some() {
                s.last_remote = body.clone();
            }
            s.peer_allows_update = allows_update(&resp.headers);
            // RFC 4028 §7.2: no Session-Expires in the 2xx, no session timer.
            if self.config.session_timer.is_some() {
                if let Some((secs, refresher)) = session_expires(&resp.headers) {
                    let we_refresh = refresher.as_deref() != Some("uas");
                    s.timer = Some(SessionTimer::start(now, secs, we_refresh));
                }
            }
            self.dialogs.insert(key, id);
            self.send_2xx_ack(id, seq);
            self.emit(id, SessionEvent::Answered { body });
            if was_cancelling || self.sessions.get(&id).is_some_and(|s| s.cancel_wanted) {
                // CANCEL crossed the 200: the call is up, so end it with BYE.
                let _ = self.send_bye(now, id);
            }
            return;
        }
        // Session interval too small (RFC 4028 §7.1): retry once with its Min-SE.
        if status == 422
            && s.phase == Phase::Early
            && !s.retried_422
            && self.retry_invite_with_min_se(now, id, &resp).is_ok()
        {
            return;
        }
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        // A challenge: answer it with the account's credentials, once or twice.
        if (status == 401 || status == 407)
            && s.phase == Phase::Early
            && s.auth_attempts < 2
            && (s.account.is_some() || s.auth.is_some())
            && self.retry_invite_with_credentials(now, id, &resp).is_ok()
        {
            return;
        }
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        // Final non-2xx: the transaction sent the ACK.
        let reason = if s.phase == Phase::Ending && status == 487 {
            EndReason::Local
        } else {
            EndReason::Rejected { status }
        };
        self.end(id, reason);
    }

    /// UAC: a 1xx with `Require: 100rel`. PRACKs it in its early dialog
    /// when its RSeq is the next one expected there (any RSeq for the first
    /// of a dialog) and says whether to process it; retransmissions and
    /// out-of-order ones are dropped (RFC 3262 §4).
    fn accept_reliable_provisional(
        &mut self,
        now: Instant,
        id: SessionId,
        resp: &Response,
    ) -> bool {
        let Ok(Some(typed::RSeq(rseq))) = resp.headers.typed::<typed::RSeq>() else {
            return false;
        };
        let Some(peer) = self.invite_peers.get(&id).cloned() else {
            return false;
        };
        let Some(s) = self.sessions.get_mut(&id) else {
            return false;
        };
        let Some(fresh) = Dialog::uac(&s.invite, resp, &peer) else {
            return false; // no To tag: there is no early dialog to PRACK in
        };
        let Ok(Some(invite_cseq)) = s.invite.headers.typed::<typed::CSeq>() else {
            return false;
        };
        let i = match s
            .early
            .iter()
            .position(|e| e.dialog.remote_tag == fresh.remote_tag)
        {
            Some(i) => i,
            None => {
                s.early.push(EarlyDialog {
                    dialog: fresh,
                    last_rseq: None,
                });
                s.early.len() - 1
            }
        };
        let Some(e) = s.early.get_mut(i) else {
            return false;
        };
        if let Some(last) = e.last_rseq {
            if rseq != last.wrapping_add(1) {
                return false;
            }
        }
        e.last_rseq = Some(rseq);
        e.dialog.local_seq += 1;
        let Ok(sent_by) = super::local_for(&self.config.local, &e.dialog.peer.transport) else {
            return false;
        };
        let branch = self.ids.branch();
        let mut prack = e.dialog.request(
            Method::Prack,
            e.dialog.local_seq,
            &branch,
            sent_by,
            &self.config.user_agent,
        );
        let rack = typed::RAck {
            rseq,
            cseq: invite_cseq.seq,
            method: Method::Invite,
        };
        if prack.headers.push_typed(&rack).is_err()
            || prack.headers.push(HeaderName::ContentLength, "0").is_err()
        {
            return false;
        }
        let to = e.dialog.peer.clone();
        match self.tl.send_request(now, prack, to) {
            Ok(tx) => {
                self.owners.insert(tx, Owner::Prack(id));
                true
            }
            Err(_) => false,
        }
    }

    /// UAC: re-sends the INVITE (CSeq + 1, new branch) asking for the
    /// 422's Min-SE as session interval.
    fn retry_invite_with_min_se(
        &mut self,
        now: Instant,
        id: SessionId,
        resp: &Response,
    ) -> Result<(), Error> {
        let floor = min_se(&resp.headers).ok_or(Error::InvalidValue("422 without Min-SE"))?;
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let last = s.invite.clone();
        let seq = last.headers.typed::<typed::CSeq>()?.map_or(1, |c| c.seq) + 1;
        let mut retry = super::reissue(&last, &self.ids.branch(), seq);
        let asked = session_expires(&last.headers).map_or(0, |(secs, _)| secs);
        retry.headers.set_typed(&typed::SessionExpires {
            seconds: asked.max(floor),
            params: crate::message::Params::default(),
        })?;
        retry.headers.set_typed(&typed::MinSe(floor))?;
        self.resend_invite(now, id, retry)?;
        if let Some(s) = self.sessions.get_mut(&id) {
            s.retried_422 = true;
            s.dialog = None;
            s.early.clear();
        }
        Ok(())
    }

    fn retry_invite_with_credentials(
        &mut self,
        now: Instant,
        id: SessionId,
        challenge: &Response,
    ) -> Result<(), Error> {
        let s = self
            .sessions
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown session"))?;
        let last = s.invite.clone();
        let ids = &mut self.ids;
        let auth = super::digest_client(s.auth.as_mut(), s.account, &mut self.registrations)?;
        let lines = auth.handle_challenge(&last, challenge, &mut || ids.cnonce())?;
        let seq = last.headers.typed::<typed::CSeq>()?.map_or(1, |c| c.seq) + 1;
        let mut retry = super::reissue(&last, &self.ids.branch(), seq);
        crate::auth::apply_credentials(&mut retry, &lines)?;
        self.resend_invite(now, id, retry)?;
        if let Some(s) = self.sessions.get_mut(&id) {
            s.auth_attempts += 1;
        }
        Ok(())
    }

    /// Sends a retried INVITE (new CSeq and branch) in a new client
    /// transaction and makes it the session's current INVITE.
    fn resend_invite(&mut self, now: Instant, id: SessionId, retry: Request) -> Result<(), Error> {
        let peer = self
            .invite_peers
            .get(&id)
            .cloned()
            .ok_or(Error::InvalidValue("unknown session"))?;
        let tx = self.tl.send_request(now, retry.clone(), peer)?;
        self.owners.insert(tx, Owner::Invite(id));
        if let Some(s) = self.sessions.get_mut(&id) {
            s.invite = retry;
            s.invite_tx = Some(tx);
        }
        Ok(())
    }

    fn ack_and_bye_fork(&mut self, now: Instant, dialog: Dialog, seq: u32) {
        let Ok(sent_by) = super::local_for(&self.config.local, &dialog.peer.transport) else {
            return;
        };
        let ua = self.config.user_agent.clone();
        let mut ack = dialog.request(Method::Ack, seq, &self.ids.branch(), sent_by, &ua);
        let _ = ack.headers.push(HeaderName::ContentLength, "0");
        self.out.push_back(UaOutput::Transmit {
            to: dialog.peer.clone(),
            bytes: ack.to_bytes(),
        });
        let mut bye = dialog.request(Method::Bye, seq + 1, &self.ids.branch(), sent_by, &ua);
        let _ = bye.headers.push(HeaderName::ContentLength, "0");
        let _ = self.tl.send_request(now, bye, dialog.peer.clone());
    }

    pub(super) fn on_offer_response(&mut self, now: Instant, id: SessionId, resp: Response) {
        self.on_offer_response_inner(now, id, resp);
        self.arm_session(id);
    }

    fn on_offer_response_inner(&mut self, now: Instant, id: SessionId, resp: Response) {
        let status = resp.status.0;
        if status < 200 {
            return;
        }
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some((_, kind, body)) = s.our_offer.take() else {
            return;
        };
        let refreshing = std::mem::take(&mut s.refreshing);
        if (200..300).contains(&status) {
            if let Some(d) = s.dialog.as_mut() {
                d.refresh_target(&resp.headers);
            }
            // The 2xx refreshes the session (RFC 4028 §7.4); its
            // Session-Expires may move the refresher.
            if let Some(t) = s.timer {
                let (interval, we_refresh) = match session_expires(&resp.headers) {
                    Some((secs, Some(r))) => (secs, r != "uas"),
                    Some((secs, None)) => (secs, t.we_refresh),
                    None => (t.interval, t.we_refresh),
                };
                s.timer = Some(SessionTimer::start(now, interval, we_refresh));
            }
            if body.is_some() {
                s.last_local = body;
            }
            let answer = Body::from_message(&resp.headers, &resp.body);
            if answer.is_some() {
                s.last_remote = answer.clone();
            }
            if kind == OfferKind::ReInvite {
                let seq = resp
                    .headers
                    .typed::<typed::CSeq>()
                    .ok()
                    .flatten()
                    .map_or(1, |c| c.seq);
                self.send_2xx_ack(id, seq);
            }
            if !refreshing {
                self.emit(id, SessionEvent::OfferAnswered { body: answer });
            }
        } else if status == 491 {
            // Glare (RFC 3261 §14.1): the Call-ID owner waits 2.1–4 s, the other 0–2 s.
            let owner = s.role == Role::Uac;
            let unit = self.ids.unit();
            let wait = if owner { 2.1 + 1.9 * unit } else { 2.0 * unit };
            let at = now + Duration::from_secs_f64(wait);
            if let Some(s) = self.sessions.get_mut(&id) {
                match s.timer.as_mut() {
                    // A refresh is simply tried again later.
                    Some(t) if refreshing => t.refresh_at = Some(at),
                    _ => s.glare_retry_at = Some((at, kind, body)),
                }
            }
        } else if status == 481 || status == 408 {
            // The dialog is gone (RFC 3261 §12.2.1.2).
            self.end(id, EndReason::Timeout);
        } else if status == 422
            && s.timer
                .is_some_and(|t| min_se(&resp.headers).is_some_and(|floor| floor > t.interval))
        {
            // Interval too small (RFC 4028 §7.4): once more with the peer's Min-SE.
            if let (Some(t), Some(floor)) = (s.timer.as_mut(), min_se(&resp.headers)) {
                t.interval = floor;
            }
            s.refreshing = refreshing;
            if self.send_offer(now, id, kind, body).is_err() {
                if let Some(s) = self.sessions.get_mut(&id) {
                    s.refreshing = false;
                }
            }
        } else if !refreshing {
            self.emit(id, SessionEvent::OfferRejected { status });
        }
        // A failed refresh leaves the session to its expiry (RFC 4028 §10).
    }

    pub(super) fn on_session_timeout(&mut self, id: SessionId, transport: bool) {
        let reason = if transport {
            EndReason::TransportError
        } else {
            EndReason::Timeout
        };
        self.end(id, reason);
    }

    // ------------------------------------------------------------------
    // Requests from the peer

    /// A new INVITE (outside any dialog) passed the policy checks.
    pub(super) fn on_new_invite(
        &mut self,
        now: Instant,
        tx: TransactionId,
        req: Request,
        from: Peer,
    ) {
        if self.reject_small_interval(now, tx, &req) {
            return;
        }
        let local_tag = self.ids.tag();
        let Some(dialog) = Dialog::uas(&req, &local_tag, &from) else {
            let mut resp = Response::for_request(&req, StatusCode(400));
            let _ = resp.set_to_tag(&local_tag);
            let _ = self.tl.send_response(now, tx, resp);
            return;
        };
        let id = SessionId(self.next_session);
        self.next_session += 1;
        // RFC 3262 §3: the first RSeq is random, small enough never to wrap.
        let next_rseq = 1 + (self.ids.next_u64() % (1 << 30)) as u32;
        self.dialogs.insert(dialog.key(), id);
        self.sessions.insert(
            id,
            Box::new(Session {
                role: Role::Uas,
                phase: Phase::Early,
                invite: req.clone(),
                invite_tx: Some(tx),
                dialog: Some(dialog),
                local_tag,
                ack: None,
                retransmit: None,
                cancel_wanted: false,
                got_provisional: false,
                our_offer: None,
                glare_retry_at: None,
                their_offer: None,
                reinvite_ack_seq: None,
                account: None,
                auth_attempts: 0,
                auth: None,
                rel_out: None,
                next_rseq,
                rel_superseded: None,
                deferred_answer: None,
                early: Vec::new(),
                timer: None,
                last_local: None,
                last_remote: Body::from_message(&req.headers, &req.body),
                refreshing: false,
                retried_422: false,
                peer_allows_update: allows_update(&req.headers),
            }),
        );
        self.owners.insert(tx, Owner::Invite(id));
        self.out.push_back(UaOutput::Event(UaEvent::IncomingCall {
            session: id,
            request: req,
        }));
    }

    /// Answers 422 with our Min-SE when `req` asks for a shorter session
    /// interval than we accept (RFC 4028 §9); true when it did.
    fn reject_small_interval(&mut self, now: Instant, tx: TransactionId, req: &Request) -> bool {
        let Some(cfg) = self.config.session_timer else {
            return false;
        };
        if session_expires(&req.headers).is_none_or(|(secs, _)| secs >= cfg.min_se) {
            return false;
        }
        let mut resp = Response::for_request(req, StatusCode(422));
        let _ = resp.headers.push_typed(&typed::MinSe(cfg.min_se));
        let has_to_tag = req
            .headers
            .typed::<typed::To>()
            .ok()
            .flatten()
            .is_some_and(|t| t.tag().is_some());
        if !has_to_tag {
            let tag = self.ids.tag();
            let _ = resp.set_to_tag(&tag);
        }
        self.respond(now, tx, req, resp);
        true
    }

    /// The session a request belongs to, by dialog identifiers.
    pub(super) fn session_for(&self, req: &Request) -> Option<SessionId> {
        let to: typed::To = req.headers.typed().ok()??;
        let from: typed::From = req.headers.typed().ok()??;
        let key = DialogKey {
            call_id: req.headers.get(HeaderName::CallId)?.to_owned(),
            local_tag: to.tag()?.to_owned(),
            remote_tag: from.tag().unwrap_or_default().to_owned(),
        };
        self.dialogs.get(&key).copied()
    }

    /// An in-dialog request for session `id`.
    pub(super) fn on_dialog_request(
        &mut self,
        now: Instant,
        id: SessionId,
        tx: TransactionId,
        req: Request,
    ) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let cseq = req
            .headers
            .typed::<typed::CSeq>()
            .ok()
            .flatten()
            .map_or(0, |c| c.seq);
        if let Some(d) = s.dialog.as_mut() {
            if d.remote_seq.is_some_and(|r| cseq < r) {
                // Out of order (RFC 3261 §12.2.2).
                let resp = Response::for_request(&req, StatusCode(500));
                let _ = self.tl.send_response(now, tx, resp);
                return;
            }
            d.remote_seq = Some(cseq);
        }
        match req.method {
            Method::Bye => {
                let resp = Response::for_request(&req, StatusCode(200));
                let _ = self.tl.send_response(now, tx, resp);
                self.end(id, EndReason::RemoteBye);
            }
            Method::Invite | Method::Update => {
                let kind = if req.method == Method::Update {
                    OfferKind::Update
                } else {
                    OfferKind::ReInvite
                };
                if s.timer.is_some() && self.reject_small_interval(now, tx, &req) {
                    return;
                }
                let Some(s) = self.sessions.get_mut(&id) else {
                    return;
                };
                if s.our_offer.is_some() || s.their_offer.is_some() {
                    // Glare: we have an offer outstanding (RFC 3261 §14.2).
                    let mut resp = Response::for_request(&req, StatusCode(491));
                    let _ = resp.headers.set(HeaderName::ContentLength, "0");
                    let _ = self.tl.send_response(now, tx, resp);
                    return;
                }
                if let Some(d) = s.dialog.as_mut() {
                    d.refresh_target(&req.headers);
                }
                let body = Body::from_message(&req.headers, &req.body);
                // A session refresh (RFC 4028): no new offer, or the last one
                // again. Answered here with our last description; the
                // application hears nothing.
                let refresh = s.timer.is_some() && (body.is_none() || body == s.last_remote);
                let our_last = if body.is_none() && kind == OfferKind::Update {
                    None
                } else {
                    s.last_local.clone()
                };
                s.their_offer = Some((tx, kind, req));
                if refresh {
                    let _ = self.accept_offer(now, id, our_last);
                } else {
                    self.emit(id, SessionEvent::Offer { body });
                }
            }
            Method::Prack => self.on_prack(now, id, tx, &req),
            _ => {
                // INFO, MESSAGE, NOTIFY… inside a call: accepted; the
                // application layer above handles their content.
                let resp = Response::for_request(&req, StatusCode(200));
                let _ = self.tl.send_response(now, tx, resp);
            }
        }
    }

    /// UAS: a PRACK (RFC 3262 §3). 200 when its RAck names our pending
    /// reliable provisional (then a held-back 2xx goes out), 481 otherwise.
    fn on_prack(&mut self, now: Instant, id: SessionId, tx: TransactionId, req: &Request) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let rack = req.headers.typed::<typed::RAck>().ok().flatten();
        let invite_seq = s
            .invite
            .headers
            .typed::<typed::CSeq>()
            .ok()
            .flatten()
            .map(|c| c.seq);
        let matches = |rseq: u32| {
            rack.as_ref().is_some_and(|r| {
                r.rseq == rseq && Some(r.cseq) == invite_seq && r.method == Method::Invite
            })
        };
        let pending = s.rel_out.as_ref().is_some_and(|r| matches(r.rseq));
        let late = s.rel_superseded.is_some_and(matches);
        let status = if pending || late { 200 } else { 481 };
        let mut resp = Response::for_request(req, StatusCode(status));
        let _ = resp.headers.set(HeaderName::ContentLength, "0");
        let _ = self.tl.send_response(now, tx, resp);
        if !pending {
            return;
        }
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        s.rel_out = None;
        let deferred = s.deferred_answer.take();
        self.arm_session(id);
        if let Some(body) = deferred {
            if self.answer(now, id, body).is_err() {
                let _ = self.reject(now, id, 500);
            }
        }
    }

    /// An ACK outside any transaction: the ACK for one of our 2xx.
    pub(super) fn on_ack(&mut self, req: &Request) {
        let Some(id) = self.session_for(req) else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let seq = req
            .headers
            .typed::<typed::CSeq>()
            .ok()
            .flatten()
            .map(|c| c.seq);
        if s.phase == Phase::WaitAck {
            s.phase = Phase::Established;
            s.retransmit = None;
            let body = Body::from_message(&req.headers, &req.body);
            self.emit(id, SessionEvent::Confirmed { body });
        } else if s.reinvite_ack_seq.is_some() && s.reinvite_ack_seq == seq {
            s.reinvite_ack_seq = None;
            s.retransmit = None;
        }
        self.arm_session(id);
    }

    /// A CANCEL: 200 to it, and 487 to the INVITE it cancels if unanswered.
    pub(super) fn on_cancel(&mut self, now: Instant, tx: TransactionId, req: Request) {
        let invite_tx = self.tl.invite_for_cancel(&req);
        let status = if invite_tx.is_some() { 200 } else { 481 };
        let resp = Response::for_request(&req, StatusCode(status));
        let _ = self.tl.send_response(now, tx, resp);
        let Some(invite_tx) = invite_tx else { return };
        let id = self
            .sessions
            .iter()
            .find(|(_, s)| s.invite_tx == Some(invite_tx))
            .map(|(id, _)| *id);
        let Some(id) = id else { return };
        if let Ok(resp) = self.uas_response(id, 487, None) {
            let _ = self.tl.send_response(now, invite_tx, resp);
        }
        self.end(id, EndReason::Cancelled);
    }

    /// Session timers: 2xx retransmission and give-up, glare retries.
    pub(super) fn session_timer(&mut self, now: Instant, id: SessionId) {
        self.session_timer_inner(now, id);
        self.arm_session(id);
    }

    fn session_timer_inner(&mut self, now: Instant, id: SessionId) {
        let t2 = self.config.timers.t2;
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        if let Some(r) = s.retransmit.as_mut() {
            if r.give_up_at <= now {
                // No ACK for our 2xx within 64·T1: end the dialog with BYE (§13.3.1.4).
                s.retransmit = None;
                if s.phase == Phase::WaitAck {
                    let _ = self.send_bye(now, id);
                    self.end(id, EndReason::Timeout);
                }
                return;
            } else if r.next_at <= now {
                if let Some(d) = &s.dialog {
                    self.out.push_back(UaOutput::Transmit {
                        to: d.peer.clone(),
                        bytes: r.bytes.clone(),
                    });
                }
                r.interval = (r.interval * 2).min(t2);
                r.next_at = now + r.interval;
            }
        }
        self.reliable_provisional_timer(now, id);
        self.refresh_timer(now, id);
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        if let Some((at, kind, body)) = s.glare_retry_at.take() {
            if at <= now {
                let _ = self.send_offer(now, id, kind, body);
            } else {
                s.glare_retry_at = Some((at, kind, body));
            }
        }
    }

    /// UAS: retransmits the reliable provisional (T1, doubling) or, after
    /// 64·T1 without PRACK, rejects the INVITE with 504 (RFC 3262 §3).
    fn reliable_provisional_timer(&mut self, now: Instant, id: SessionId) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some(tx) = s.invite_tx else {
            s.rel_out = None;
            return;
        };
        let Some(r) = s.rel_out.as_mut() else {
            return;
        };
        if r.give_up_at <= now {
            s.rel_out = None;
            s.deferred_answer = None;
            if let Ok(resp) = self.uas_response(id, 504, None) {
                let _ = self.tl.send_response(now, tx, resp);
            }
            self.end(id, EndReason::NoPrack);
        } else if r.next_at <= now {
            let resp = r.response.clone();
            r.interval *= 2;
            r.next_at = (now + r.interval).min(r.give_up_at);
            let _ = self.tl.send_response(now, tx, resp);
        }
    }

    /// Session timer (RFC 4028): the refresher refreshes at half the
    /// interval (UPDATE without body when the peer allows it, else a
    /// re-INVITE with our last description); without a successful refresh
    /// either side sends BYE at the expiry minus min(32 s, interval/3).
    fn refresh_timer(&mut self, now: Instant, id: SessionId) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        let Some(t) = s.timer.as_mut() else {
            return;
        };
        if t.expire_at <= now {
            let _ = self.send_bye(now, id);
            self.end(id, EndReason::SessionExpired);
            return;
        }
        if t.refresh_at.is_none_or(|r| r > now) {
            return;
        }
        if s.phase != Phase::Established
            || s.our_offer.is_some()
            || s.their_offer.is_some()
            || s.glare_retry_at.is_some()
        {
            // Another offer is in progress; its 2xx refreshes the session too.
            t.refresh_at = Some(now + Duration::from_secs(1));
            return;
        }
        t.refresh_at = None;
        let (kind, body) = if s.peer_allows_update {
            (OfferKind::Update, None)
        } else {
            (OfferKind::ReInvite, s.last_local.clone())
        };
        s.refreshing = true;
        if self.send_offer(now, id, kind, body).is_err() {
            if let Some(s) = self.sessions.get_mut(&id) {
                s.refreshing = false;
            }
        }
    }

    /// Sessions whose timers are due (popped from the timer heap).
    pub(super) fn due_sessions(&mut self, now: Instant) -> Vec<SessionId> {
        let mut due = Vec::new();
        while let Some(std::cmp::Reverse((at, id))) = self.session_timers.peek().copied() {
            if at > now {
                break;
            }
            self.session_timers.pop();
            due.push(id);
        }
        due.sort_unstable();
        due.dedup();
        due
    }

    /// Puts a session's next timer into the heap.
    pub(super) fn arm_session(&mut self, id: SessionId) {
        if let Some(at) = self.sessions.get(&id).and_then(|s| s.next_timer()) {
            self.session_timers.push(std::cmp::Reverse((at, id)));
        }
        self.prune_session_timers();
    }

    /// Drops heap entries of ended sessions or changed timers; a session
    /// whose timer moved gets its current one back into the heap, so a
    /// timer cleared without `arm_session` never hides a later one.
    pub(super) fn prune_session_timers(&mut self) {
        while let Some(std::cmp::Reverse((at, id))) = self.session_timers.peek().copied() {
            let current = self.sessions.get(&id).and_then(|s| s.next_timer());
            if current == Some(at) {
                break;
            }
            self.session_timers.pop();
            if let Some(c) = current {
                self.session_timers.push(std::cmp::Reverse((c, id)));
            }
        }
    }

    /// A 2xx that arrived after its INVITE transaction ended (RFC 6026):
    /// re-send the ACK of the matching dialog.
    pub(super) fn on_stray_response(&mut self, resp: &Response) {
        if !resp.status.is_success() {
            return;
        }
        let Ok(Some(cseq)) = resp.headers.typed::<typed::CSeq>() else {
            return;
        };
        if cseq.method != Method::Invite {
            return;
        }
        let (Ok(Some(from)), Ok(Some(to))) = (
            resp.headers.typed::<typed::From>(),
            resp.headers.typed::<typed::To>(),
        ) else {
            return;
        };
        let key = DialogKey {
            call_id: resp
                .headers
                .get(HeaderName::CallId)
                .unwrap_or_default()
                .to_owned(),
            local_tag: from.tag().unwrap_or_default().to_owned(),
            remote_tag: to.tag().unwrap_or_default().to_owned(),
        };
        if let Some(id) = self.dialogs.get(&key).copied() {
            if let Some(s) = self.sessions.get(&id) {
                if let (Some(ack), Some(d)) = (s.ack.clone(), s.dialog.as_ref()) {
                    self.out.push_back(UaOutput::Transmit {
                        to: d.peer.clone(),
                        bytes: ack,
                    });
                }
            }
        }
    }

    /// Looks a message's dialog up without consuming it (for drivers' logs).
    pub fn session_of(&self, msg: &Message) -> Option<SessionId> {
        match msg {
            Message::Request(r) => self.session_for(r),
            Message::Response(_) => None,
        }
    }
}

/// Boxed so that the map's buckets stay small (its capacity follows the peak).
pub(super) type Sessions = HashMap<SessionId, Box<Session>>;
