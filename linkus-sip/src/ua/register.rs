//! Registration (RFC 3261 §10): REGISTER with refresh before expiry, the
//! registrar's granted expiry, 423 Interval Too Brief, retry with back-off
//! (RFC 5626 §4.5 base times, or the server's Retry-After), unregister,
//! NAT learning from `received`/`rport` (RFC 3581) and keepalives
//! (RFC 5626 §3.5: CRLF on streams; CRLF or OPTIONS on UDP).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Owner, UaEvent, UaOutput, UserAgent};
use crate::auth::{Credentials, DigestClient};
use crate::error::Error;
use crate::message::typed::{self, Contact, NameAddr};
use crate::message::{HeaderName, Method, Response, SipUri, Uri};
use crate::transaction::{Peer, TransactionId};

/// Identifies a registration of the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(pub(super) u64);

/// How a registered binding is kept alive through NATs and idle-timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// No keepalive.
    Off,
    /// A double CRLF every interval (RFC 5626 §3.5.1 on streams; accepted by
    /// common proxies on UDP too).
    Crlf(Duration),
    /// An OPTIONS request to the registrar every interval (UDP).
    Options(Duration),
}

/// What to register where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterConfig {
    /// Where REGISTER goes (the driver resolved the server's name).
    pub registrar: Peer,
    /// Request-URI of REGISTER: `sip:domain`.
    pub registrar_uri: Uri,
    /// Address of record: `sip:1001@domain`.
    pub aor: Uri,
    /// Display name in From/To.
    pub display_name: Option<String>,
    /// Requested expiry in seconds.
    pub expires: u32,
    /// Keepalive while registered.
    pub keepalive: KeepAlive,
    /// Digest credentials `(username, password)`, used for every request of
    /// this account (REGISTER, and INVITE etc. that name it).
    pub credentials: Option<(String, String)>,
}

impl RegisterConfig {
    /// Registration of `aor` at `registrar` for an hour, with the keepalive
    /// the transport calls for (CRLF every 25 s on UDP, 90 s on streams).
    pub fn new(registrar: Peer, registrar_uri: Uri, aor: Uri) -> RegisterConfig {
        let keepalive = if registrar.transport.is_reliable() {
            KeepAlive::Crlf(Duration::from_secs(90))
        } else {
            KeepAlive::Crlf(Duration::from_secs(25))
        };
        RegisterConfig {
            registrar,
            registrar_uri,
            aor,
            display_name: None,
            expires: 3600,
            keepalive,
            credentials: None,
        }
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistrationState {
    /// REGISTER sent, no final answer yet.
    Registering,
    /// The registrar accepted the binding.
    Registered {
        /// Seconds granted by the registrar.
        expires: u32,
        /// The Contact address the registrar holds (public address behind NAT).
        contact: SocketAddr,
    },
    /// It failed; `retry_in` tells when the next attempt happens.
    Failed {
        /// Final status, `None` for a timeout or transport error.
        status: Option<u16>,
        /// Delay before the next attempt (none after 401/403/404: needs the user).
        retry_in: Option<Duration>,
    },
    /// Removed from the registrar (or given up).
    Unregistered,
}

#[derive(Debug)]
pub(super) struct Registration {
    pub(super) config: RegisterConfig,
    pub(super) contact_addr: SocketAddr,
    /// A contact we registered before the address changed: removed
    /// (expires=0) in the next REGISTER.
    pub(super) stale_contact: Option<SocketAddr>,
    call_id: String,
    from_tag: String,
    cseq: u32,
    expires: u32,
    state: RegistrationState,
    pending: Option<TransactionId>,
    refresh_at: Option<Instant>,
    keepalive_at: Option<Instant>,
    failures: u32,
    unregistering: bool,
    /// The account's digest client (pre-authorises and answers challenges).
    pub(super) auth: Option<DigestClient>,
    /// The last REGISTER sent, to answer a challenge to it.
    last_request: Option<crate::message::Request>,
}

impl Registration {
    pub(super) fn next_timer(&self) -> Option<Instant> {
        if self.pending.is_some() {
            return None;
        }
        [self.refresh_at, self.keepalive_at]
            .into_iter()
            .flatten()
            .min()
    }
}

impl UserAgent {
    /// Starts registering. Progress arrives as [`UaEvent::Registration`].
    pub fn register(
        &mut self,
        now: Instant,
        config: RegisterConfig,
    ) -> Result<RegistrationId, Error> {
        if !matches!(config.aor, Uri::Sip(_)) {
            return Err(Error::InvalidValue(
                "the address of record must be a SIP URI",
            ));
        }
        let contact_addr = self.local_addr(&config.registrar.transport)?;
        let auth = config
            .credentials
            .as_ref()
            .map(|(u, p)| DigestClient::new(Credentials::new(u.as_str(), p.as_str())));
        let id = RegistrationId(self.next_reg);
        self.next_reg += 1;
        let reg = Registration {
            expires: config.expires,
            config,
            contact_addr,
            stale_contact: None,
            call_id: self.ids.call_id(),
            from_tag: self.ids.tag(),
            cseq: 0,
            state: RegistrationState::Registering,
            pending: None,
            refresh_at: None,
            keepalive_at: None,
            failures: 0,
            unregistering: false,
            auth: None,
            last_request: None,
        };
        self.registrations.insert(id, Registration { auth, ..reg });
        self.send_register(now, id);
        self.pump(now);
        Ok(id)
    }

    /// Removes the binding (REGISTER with expires 0).
    pub fn unregister(&mut self, now: Instant, id: RegistrationId) -> Result<(), Error> {
        let reg = self
            .registrations
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown registration"))?;
        reg.unregistering = true;
        reg.refresh_at = None;
        reg.keepalive_at = None;
        if reg.pending.is_none() {
            self.send_register(now, id);
        }
        self.pump(now);
        Ok(())
    }

    /// The current state of a registration.
    pub fn registration_state(&self, id: RegistrationId) -> Option<&RegistrationState> {
        self.registrations.get(&id).map(|r| &r.state)
    }

    pub(super) fn send_register(&mut self, now: Instant, id: RegistrationId) {
        let Some(reg) = self.registrations.get(&id) else {
            return;
        };
        let transport = reg.config.registrar.transport.clone();
        let contact_addr = reg.contact_addr;
        let mut req = self.new_request(
            Method::Register,
            reg.config.registrar_uri.clone(),
            &transport,
            contact_addr,
        );
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        reg.cseq += 1;
        let mut aor = NameAddr::new(reg.config.aor.clone());
        aor.display_name = reg.config.display_name.clone();
        let _ = req.headers.push_typed(&typed::To(aor.clone()));
        let mut from = aor;
        from.set_tag(&reg.from_tag);
        let _ = req.headers.push_typed(&typed::From(from));
        let _ = req.headers.push(HeaderName::CallId, &reg.call_id);
        let _ = req.headers.push_typed(&typed::CSeq {
            seq: reg.cseq,
            method: Method::Register,
        });
        let expires = if reg.unregistering { 0 } else { reg.expires };
        let _ = req.headers.push_typed(&Contact::Addr(contact_for(
            &reg.config.aor,
            contact_addr,
            &transport,
            expires,
        )));
        if let Some(stale) = reg.stale_contact.filter(|s| *s != contact_addr) {
            let old = contact_for(&reg.config.aor, stale, &transport, 0);
            let _ = req.headers.push_typed(&Contact::Addr(old));
        }
        let _ = req.headers.push_typed(&typed::Expires(expires));
        let _ = req
            .headers
            .push(HeaderName::UserAgent, &self.config.user_agent);
        let _ = req.headers.push(HeaderName::ContentLength, "0");
        let peer = reg.config.registrar.clone();
        if let Some(auth) = reg.auth.as_mut() {
            let ids = &mut self.ids;
            let _ = auth.authorize(&mut req, &mut || ids.cnonce());
        }
        reg.last_request = Some(req.clone());
        match self.tl.send_request(now, req, peer) {
            Ok(tx) => {
                reg.pending = Some(tx);
                self.owners.insert(tx, Owner::Registration(id));
            }
            Err(_) => {
                reg.pending = None;
            }
        }
    }

    fn set_state(&mut self, id: RegistrationId, state: RegistrationState) {
        if let Some(reg) = self.registrations.get_mut(&id) {
            if reg.state != state {
                reg.state = state.clone();
                self.out
                    .push_back(UaOutput::Event(UaEvent::Registration { id, state }));
            }
        }
    }

    pub(super) fn on_register_response(
        &mut self,
        now: Instant,
        id: RegistrationId,
        tx: TransactionId,
        resp: Response,
    ) {
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        if reg.pending != Some(tx) || !resp.status.is_final() {
            return;
        }
        reg.pending = None;
        match resp.status.0 {
            200..=299 => {
                reg.failures = 0;
                if reg.unregistering {
                    self.registrations.remove(&id);
                    self.out.push_back(UaOutput::Event(UaEvent::Registration {
                        id,
                        state: RegistrationState::Unregistered,
                    }));
                    return;
                }
                // NAT: what address did the registrar see? (RFC 3581; on
                // streams the answer is the connection's port, which the
                // registrar reaches through the connection anyway.)
                let learnt = if reg.config.registrar.transport.is_reliable() {
                    None
                } else {
                    learnt_address(&resp)
                };
                if let Some(public) = learnt {
                    if public != reg.contact_addr {
                        reg.stale_contact = Some(reg.contact_addr);
                        reg.contact_addr = public;
                        self.send_register(now, id);
                        return;
                    }
                }
                reg.stale_contact = None;
                let granted = granted_expires(&resp, reg.contact_addr).unwrap_or(reg.expires);
                if granted == 0 {
                    self.set_state(id, RegistrationState::Unregistered);
                    return;
                }
                reg.refresh_at = Some(now + refresh_delay(granted));
                reg.keepalive_at = match reg.config.keepalive {
                    KeepAlive::Off => None,
                    KeepAlive::Crlf(d) | KeepAlive::Options(d) => Some(now + d),
                };
                let contact = reg.contact_addr;
                self.set_state(
                    id,
                    RegistrationState::Registered {
                        expires: granted,
                        contact,
                    },
                );
            }
            401 | 407 if reg.auth.is_some() => {
                let (Some(auth), Some(last)) = (reg.auth.as_mut(), reg.last_request.as_ref())
                else {
                    return;
                };
                let ids = &mut self.ids;
                match auth.handle_challenge(last, &resp, &mut || ids.cnonce()) {
                    Ok(lines) => {
                        reg.cseq += 1;
                        let mut retry = super::reissue(last, &self.ids.branch(), reg.cseq);
                        if crate::auth::apply_credentials(&mut retry, &lines).is_err() {
                            self.on_register_failure(now, id, Some(resp.status.0), None);
                            return;
                        }
                        reg.last_request = Some(retry.clone());
                        let peer = reg.config.registrar.clone();
                        match self.tl.send_request(now, retry, peer) {
                            Ok(tx) => {
                                reg.pending = Some(tx);
                                self.owners.insert(tx, Owner::Registration(id));
                            }
                            Err(_) => self.on_register_failure(now, id, Some(resp.status.0), None),
                        }
                    }
                    Err(_) => self.on_register_failure(now, id, Some(resp.status.0), None),
                }
            }
            423 => {
                // Interval Too Brief: retry at once with the registrar's minimum.
                let min = resp
                    .headers
                    .typed::<typed::MinExpires>()
                    .ok()
                    .flatten()
                    .map(|m| m.0);
                match min {
                    Some(m) if m > reg.expires => {
                        reg.expires = m;
                        self.send_register(now, id);
                    }
                    _ => self.on_register_failure(now, id, Some(423), None),
                }
            }
            status => {
                let retry_after = resp
                    .headers
                    .typed::<typed::RetryAfter>()
                    .ok()
                    .flatten()
                    .map(|r| Duration::from_secs(u64::from(r.seconds)));
                self.on_register_failure(now, id, Some(status), retry_after);
            }
        }
    }

    pub(super) fn on_register_failure(
        &mut self,
        now: Instant,
        id: RegistrationId,
        status: Option<u16>,
        retry_after: Option<Duration>,
    ) {
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        reg.pending = None;
        reg.keepalive_at = None;
        if reg.unregistering {
            self.registrations.remove(&id);
            self.out.push_back(UaOutput::Event(UaEvent::Registration {
                id,
                state: RegistrationState::Unregistered,
            }));
            return;
        }
        reg.failures += 1;
        // Credentials or the account itself are wrong: do not hammer the server.
        let permanent = matches!(status, Some(401 | 403 | 404 | 407));
        let retry_in = if permanent {
            None
        } else {
            Some(retry_after.unwrap_or_else(|| backoff(reg.failures, self.ids.unit())))
        };
        reg.refresh_at = retry_in.map(|d| now + d);
        self.set_state(id, RegistrationState::Failed { status, retry_in });
    }

    pub(super) fn registration_timer(&mut self, now: Instant, id: RegistrationId) {
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        if reg.keepalive_at.is_some_and(|t| t <= now) {
            let interval = match reg.config.keepalive {
                KeepAlive::Off => None,
                KeepAlive::Crlf(d) | KeepAlive::Options(d) => Some(d),
            };
            reg.keepalive_at = interval.map(|d| now + d);
            let to = reg.config.registrar.clone();
            if matches!(reg.config.keepalive, KeepAlive::Options(_)) {
                self.send_keepalive_options(now, id);
            } else {
                self.out.push_back(UaOutput::Transmit {
                    to,
                    bytes: b"\r\n\r\n".to_vec(),
                });
            }
        }
        let Some(reg) = self.registrations.get_mut(&id) else {
            return;
        };
        if reg.refresh_at.is_some_and(|t| t <= now) {
            reg.refresh_at = None;
            self.send_register(now, id);
        }
    }

    fn send_keepalive_options(&mut self, now: Instant, id: RegistrationId) {
        let Some(reg) = self.registrations.get(&id) else {
            return;
        };
        let transport = reg.config.registrar.transport.clone();
        let (uri, aor, addr, peer) = (
            reg.config.registrar_uri.clone(),
            reg.config.aor.clone(),
            reg.contact_addr,
            reg.config.registrar.clone(),
        );
        let mut req = self.new_request(Method::Options, uri.clone(), &transport, addr);
        let _ = req.headers.push_typed(&typed::To(NameAddr::new(uri)));
        let mut from = NameAddr::new(aor);
        from.set_tag(&self.ids.tag());
        let _ = req.headers.push_typed(&typed::From(from));
        let _ = req.headers.push(HeaderName::CallId, &self.ids.call_id());
        let _ = req.headers.push_typed(&typed::CSeq {
            seq: 1,
            method: Method::Options,
        });
        let _ = req.headers.push(HeaderName::ContentLength, "0");
        // The answer (or its absence) does not matter: the packet is the point.
        let _ = self.tl.send_request(now, req, peer);
    }
}

/// `<sip:user@addr;transport=x>;expires=N`.
fn contact_for(
    aor: &Uri,
    addr: SocketAddr,
    transport: &typed::Transport,
    expires: u32,
) -> NameAddr {
    let mut uri = SipUri::new(addr.ip().into()).with_port(addr.port());
    if let Uri::Sip(a) = aor {
        uri.user = a.user.clone();
        uri.secure = matches!(transport, typed::Transport::Tls) && a.secure;
    }
    if !matches!(transport, typed::Transport::Udp) {
        uri = uri.with_param("transport", Some(&transport.as_str().to_ascii_lowercase()));
    }
    let mut na = NameAddr::new(Uri::Sip(uri));
    na.params.push("expires", Some(&expires.to_string()));
    na
}

/// The public address a registrar saw, from `received` and `rport` of our Via.
fn learnt_address(resp: &Response) -> Option<SocketAddr> {
    let via: typed::Via = resp.headers.typed_first().ok()??;
    let ip = via.received()?;
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port.unwrap_or(5060),
    };
    Some(SocketAddr::new(ip, port))
}

/// Expiry granted to our contact: its `expires` parameter in the 200, else
/// the Expires header (RFC 3261 §10.2.4).
fn granted_expires(resp: &Response, contact_addr: SocketAddr) -> Option<u32> {
    let contacts = resp.headers.typed_all::<Contact>().ok()?;
    let ours = contacts.iter().find(|c| {
        c.addr().and_then(|a| a.uri.as_sip()).is_some_and(|u| {
            u.host.ip() == Some(contact_addr.ip()) && u.port.unwrap_or(5060) == contact_addr.port()
        })
    });
    ours.and_then(Contact::expires).or_else(|| {
        resp.headers
            .typed::<typed::Expires>()
            .ok()
            .flatten()
            .map(|e| e.0)
    })
}

/// Refresh ahead of expiry: half-way for short registrations, 30 s early
/// (and never later than 90 % of the interval) for long ones.
fn refresh_delay(granted: u32) -> Duration {
    let g = u64::from(granted);
    let secs = if g <= 60 {
        g / 2
    } else {
        (g - 30).min(g * 9 / 10)
    };
    Duration::from_secs(secs.max(1))
}

/// RFC 5626 §4.5: wait `min(max, base · 2^failures)` scaled into [50 %, 100 %].
fn backoff(failures: u32, unit: f64) -> Duration {
    let base = 30f64;
    let max = 1800f64;
    let upper = (base * 2f64.powi(failures.min(10) as i32 - 1)).min(max);
    Duration::from_secs_f64(upper * (0.5 + 0.5 * unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_and_backoff() {
        assert_eq!(refresh_delay(3600), Duration::from_secs(3240));
        assert_eq!(refresh_delay(600), Duration::from_secs(540));
        assert_eq!(refresh_delay(60), Duration::from_secs(30));
        assert_eq!(refresh_delay(120), Duration::from_secs(90));
        assert_eq!(refresh_delay(1), Duration::from_secs(1));
        assert_eq!(backoff(1, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(2, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(30, 1.0), Duration::from_secs(1800));
    }
}
