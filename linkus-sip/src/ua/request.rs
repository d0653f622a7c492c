//! Requests outside any dialog and outside INVITE sessions: MESSAGE,
//! SUBSCRIBE, REFER, PUBLISH, OPTIONS, INFO… sent with the credentials of an
//! account (or of the request alone), pre-authorised when the account's
//! realm is known, and retried once per challenge on 401/407.

use std::time::Instant;

use super::{Body, Owner, RegistrationId, UaEvent, UaOutput, UserAgent};
use crate::auth::{Credentials, DigestClient};
use crate::error::Error;
use crate::message::typed::{self, NameAddr};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::transaction::Peer;

/// Identifies a request sent with [`UserAgent::send_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(super) u64);

/// An out-of-dialog request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestConfig {
    /// The method (not INVITE, ACK, CANCEL, BYE or REGISTER: those have their own API).
    pub method: Method,
    /// Request-URI.
    pub target: Uri,
    /// Our identity (From), without tag.
    pub from: NameAddr,
    /// To; the target when `None`.
    pub to: Option<NameAddr>,
    /// Next hop, as resolved by the driver.
    pub peer: Peer,
    /// Pre-loaded route set, in order.
    pub route: Vec<String>,
    /// The body, if any (a MESSAGE's text, a PUBLISH's PIDF, …).
    pub body: Option<Body>,
    /// Extra header fields (Event, Expires, Refer-To, Accept, …).
    pub extra_headers: Vec<(HeaderName, String)>,
    /// The registration whose credentials answer challenges.
    pub account: Option<RegistrationId>,
    /// Credentials for this request alone.
    pub credentials: Option<(String, String)>,
}

#[derive(Debug)]
pub(super) struct Pending {
    last: Request,
    peer: Peer,
    account: Option<RegistrationId>,
    auth: Option<DigestClient>,
    attempts: u8,
}

impl UserAgent {
    /// Sends a request outside any dialog. Its final response arrives as
    /// [`UaEvent::RequestAnswered`] (after credentials were given for any
    /// 401/407), a timeout or transport failure as [`UaEvent::RequestFailed`].
    pub fn send_request(&mut self, now: Instant, cfg: RequestConfig) -> Result<RequestId, Error> {
        if matches!(
            cfg.method,
            Method::Invite | Method::Ack | Method::Cancel | Method::Bye | Method::Register
        ) {
            return Err(Error::InvalidValue(
                "use invite(), hangup() or register() for this method",
            ));
        }
        let sent_by = self.local_addr(&cfg.peer.transport)?;
        let mut req = self.new_request(
            cfg.method.clone(),
            cfg.target.clone(),
            &cfg.peer.transport,
            sent_by,
        );
        for r in &cfg.route {
            req.headers.push(HeaderName::Route, r)?;
        }
        let mut from = cfg.from.clone();
        from.set_tag(&self.ids.tag());
        req.headers.push_typed(&typed::From(from))?;
        let to = cfg
            .to
            .clone()
            .unwrap_or_else(|| NameAddr::new(cfg.target.clone()));
        req.headers.push_typed(&typed::To(to))?;
        req.headers.push(HeaderName::CallId, &self.ids.call_id())?;
        req.headers.push_typed(&typed::CSeq {
            seq: 1,
            method: cfg.method.clone(),
        })?;
        req.headers
            .push(HeaderName::UserAgent, &self.config.user_agent)?;
        for (name, value) in &cfg.extra_headers {
            req.headers.push(*name, value)?;
        }
        match &cfg.body {
            Some(b) => req.set_body(&b.content_type, b.bytes.clone())?,
            None => req.headers.push(HeaderName::ContentLength, "0")?,
        }
        let mut auth = cfg
            .credentials
            .as_ref()
            .map(|(u, p)| DigestClient::new(Credentials::new(u.as_str(), p.as_str())));
        let ids = &mut self.ids;
        if let Some(a) = auth.as_mut() {
            a.authorize(&mut req, &mut || ids.cnonce())?;
        } else if let Some(a) = cfg
            .account
            .and_then(|a| self.registrations.get_mut(&a))
            .and_then(|r| r.auth.as_mut())
        {
            a.authorize(&mut req, &mut || ids.cnonce())?;
        }
        let tx = self.tl.send_request(now, req.clone(), cfg.peer.clone())?;
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.owners.insert(tx, Owner::Request(id));
        self.requests.insert(
            id,
            Pending {
                last: req,
                peer: cfg.peer,
                account: cfg.account,
                auth,
                attempts: 0,
            },
        );
        self.pump(now);
        Ok(id)
    }

    pub(super) fn on_request_response(&mut self, now: Instant, id: RequestId, resp: Response) {
        if !resp.status.is_final() {
            return;
        }
        let status = resp.status.0;
        if (status == 401 || status == 407) && self.retry_request(now, id, &resp).is_ok() {
            return;
        }
        self.requests.remove(&id);
        self.out
            .push_back(UaOutput::Event(UaEvent::RequestAnswered {
                request: id,
                response: resp,
            }));
    }

    pub(super) fn on_request_failure(&mut self, id: RequestId, transport_error: bool) {
        if self.requests.remove(&id).is_some() {
            self.out.push_back(UaOutput::Event(UaEvent::RequestFailed {
                request: id,
                transport_error,
            }));
        }
    }

    fn retry_request(
        &mut self,
        now: Instant,
        id: RequestId,
        challenge: &Response,
    ) -> Result<(), Error> {
        let p = self
            .requests
            .get_mut(&id)
            .ok_or(Error::InvalidValue("unknown request"))?;
        if p.attempts >= 2 {
            return Err(Error::InvalidValue("challenged too often"));
        }
        let ids = &mut self.ids;
        let auth = super::digest_client(p.auth.as_mut(), p.account, &mut self.registrations)?;
        let lines = auth.handle_challenge(&p.last, challenge, &mut || ids.cnonce())?;
        let seq = p.last.headers.typed::<typed::CSeq>()?.map_or(1, |c| c.seq) + 1;
        let mut retry = super::reissue(&p.last, &self.ids.branch(), seq);
        crate::auth::apply_credentials(&mut retry, &lines)?;
        let tx = self.tl.send_request(now, retry.clone(), p.peer.clone())?;
        p.last = retry;
        p.attempts += 1;
        self.owners.insert(tx, Owner::Request(id));
        Ok(())
    }
}
