//! A minimal registrar for simulations: stores bindings, answers REGISTER
//! with the granted expiry and the source address in `received`/`rport`,
//! and can be told to fail the next requests (503 + Retry-After, 423, …).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use linkus_sip::message::typed::{self, Contact};
use linkus_sip::message::{HeaderName, Message, Method, Response, StatusCode};
use linkus_sip::transaction::{Output, Peer, TimerConfig, TransactionLayer, TxEvent};

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI as registered.
    pub contact: String,
    /// When it expires.
    pub expires_at: Instant,
    /// The address the REGISTER came from.
    pub source: SocketAddr,
}

/// A registrar for one domain.
#[derive(Debug)]
pub struct Registrar {
    domain: String,
    tl: TransactionLayer,
    tag_counter: u64,
    /// Address of record → bindings.
    bindings: HashMap<String, Vec<Binding>>,
    /// Answers to give instead of registering: (status, Retry-After, Min-Expires).
    scripted: VecDeque<(u16, Option<u32>, Option<u32>)>,
    /// Longest expiry granted.
    pub max_expires: u32,
    /// REGISTER requests received (retransmissions excluded).
    pub registers_seen: usize,
    out: VecDeque<(Peer, Vec<u8>)>,
}

impl Registrar {
    pub(crate) fn new(domain: &str, seed: u64) -> Registrar {
        Registrar {
            domain: domain.to_owned(),
            tl: TransactionLayer::new(TimerConfig::default()),
            tag_counter: seed,
            bindings: HashMap::new(),
            scripted: VecDeque::new(),
            max_expires: 3600,
            registers_seen: 0,
            out: VecDeque::new(),
        }
    }

    /// The domain it serves.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The next REGISTER gets `status` (with optional Retry-After and Min-Expires) instead.
    pub fn fail_next(&mut self, status: u16, retry_after: Option<u32>, min_expires: Option<u32>) {
        self.scripted.push_back((status, retry_after, min_expires));
    }

    /// Live bindings of an address of record (`sip:1001@domain`).
    pub fn bindings(&self, aor: &str, now: Instant) -> Vec<Binding> {
        self.bindings
            .get(aor)
            .map(|v| v.iter().filter(|b| b.expires_at > now).cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn handle_datagram(&mut self, now: Instant, from: Peer, bytes: &[u8]) {
        if let Ok(msg) = Message::parse(bytes) {
            self.tl.handle_message(now, msg, from);
        }
        self.pump(now);
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        self.pump(now);
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.tl.poll_timeout()
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<(Peer, Vec<u8>)> {
        self.out.pop_front()
    }

    fn pump(&mut self, now: Instant) {
        while let Some(o) = self.tl.poll_output() {
            match o {
                Output::Transmit { to, bytes, .. } => self.out.push_back((to, bytes)),
                Output::Event(TxEvent::Request { id, request, from }) => {
                    let resp = self.answer(now, &request, &from);
                    let _ = self.tl.send_response(now, id, resp);
                }
                Output::Event(_) => {}
            }
        }
    }

    fn answer(
        &mut self,
        now: Instant,
        req: &linkus_sip::message::Request,
        from: &Peer,
    ) -> Response {
        self.tag_counter += 1;
        let tag = format!("r{:x}", self.tag_counter);
        let mut resp = self.base_response(
            req,
            from,
            if req.method == Method::Register {
                200
            } else {
                405
            },
        );
        let _ = resp.set_to_tag(&tag);
        if req.method != Method::Register {
            return resp;
        }
        self.registers_seen += 1;
        if let Some((status, retry_after, min_expires)) = self.scripted.pop_front() {
            let mut r = self.base_response(req, from, status);
            let _ = r.set_to_tag(&tag);
            if let Some(s) = retry_after {
                let _ = r.headers.push(HeaderName::RetryAfter, &s.to_string());
            }
            if let Some(m) = min_expires {
                let _ = r.headers.push(HeaderName::MinExpires, &m.to_string());
            }
            return r;
        }
        let aor = match req.headers.typed::<typed::To>() {
            Ok(Some(to)) => to.uri.to_string(),
            _ => return self.base_response(req, from, 400),
        };
        let default_expires = req
            .headers
            .typed::<typed::Expires>()
            .ok()
            .flatten()
            .map_or(3600, |e| e.0);
        let contacts = req.headers.typed_all::<Contact>().unwrap_or_default();
        let list = self.bindings.entry(aor.clone()).or_default();
        for c in &contacts {
            let Some(addr) = c.addr() else { continue };
            let uri = addr.uri.to_string();
            let expires = c.expires().unwrap_or(default_expires).min(self.max_expires);
            list.retain(|b| b.contact != uri);
            if expires > 0 {
                list.push(Binding {
                    contact: uri,
                    expires_at: now + Duration::from_secs(u64::from(expires)),
                    source: from.addr,
                });
            }
        }
        list.retain(|b| b.expires_at > now);
        for b in list.iter() {
            let left = b.expires_at.saturating_duration_since(now).as_secs();
            let _ = resp.headers.push(
                HeaderName::Contact,
                &format!("<{}>;expires={left}", b.contact),
            );
        }
        resp
    }

    /// A response whose top Via records where the request really came from.
    fn base_response(
        &self,
        req: &linkus_sip::message::Request,
        from: &Peer,
        status: u16,
    ) -> Response {
        let mut resp = Response::for_request(req, StatusCode(status));
        if let Ok(Some(mut via)) = resp.headers.typed_first::<typed::Via>() {
            via.params
                .set("received", Some(&from.addr.ip().to_string()));
            if via.params.contains("rport") {
                via.params.set("rport", Some(&from.addr.port().to_string()));
            }
            let mut vias: Vec<String> = resp
                .headers
                .get_all(HeaderName::Via)
                .map(str::to_owned)
                .collect();
            let mut top = String::new();
            use linkus_sip::message::typed::TypedHeader as _;
            via.write(&mut top);
            if let Some(first) = vias.first_mut() {
                // Replace only the first element of the first Via line.
                let rest: Vec<&str> = first.splitn(2, ',').collect();
                *first = match rest.get(1) {
                    Some(more) => format!("{top},{more}"),
                    None => top,
                };
            }
            resp.headers.remove(HeaderName::Via);
            for v in vias.iter().rev() {
                let _ = resp.headers.push_front(HeaderName::Via, v);
            }
        }
        let _ = resp.headers.push(
            HeaderName::Server,
            &format!("linkus-sim registrar ({})", self.domain),
        );
        let _ = resp.headers.set(HeaderName::ContentLength, "0");
        resp
    }
}
