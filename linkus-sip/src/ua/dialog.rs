//! Dialog state (RFC 3261 §12): identifiers, sequence numbers, remote
//! target and route set, and building requests inside a dialog.

use std::net::SocketAddr;

use crate::message::typed::{self, NameAddr, Transport};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::transaction::Peer;

/// Dialog identifiers as seen from our side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct DialogKey {
    pub(super) call_id: String,
    pub(super) local_tag: String,
    pub(super) remote_tag: String,
}

#[derive(Debug, Clone)]
pub(super) struct Dialog {
    pub(super) call_id: String,
    pub(super) local_tag: String,
    pub(super) remote_tag: String,
    pub(super) local_seq: u32,
    pub(super) remote_seq: Option<u32>,
    /// Our URI (From of our requests), without tag.
    pub(super) local: NameAddr,
    /// Their URI (To of our requests), without tag.
    pub(super) remote: NameAddr,
    /// Remote target: the peer's Contact.
    pub(super) remote_target: Uri,
    /// Route set, in the order our requests carry it.
    pub(super) route_set: Vec<String>,
    /// Where in-dialog requests go.
    pub(super) peer: Peer,
}

impl Dialog {
    pub(super) fn key(&self) -> DialogKey {
        DialogKey {
            call_id: self.call_id.clone(),
            local_tag: self.local_tag.clone(),
            remote_tag: self.remote_tag.clone(),
        }
    }

    /// The UAC side of a dialog from the INVITE we sent and a response
    /// with a To tag (RFC 3261 §12.1.2).
    pub(super) fn uac(invite: &Request, resp: &Response, peer: &Peer) -> Option<Dialog> {
        let to: typed::To = resp.headers.typed().ok()??;
        let remote_tag = to.tag()?.to_owned();
        let from: typed::From = invite.headers.typed().ok()??;
        let cseq: typed::CSeq = invite.headers.typed().ok()??;
        // Record-Route reversed for the UAC.
        let mut route_set: Vec<String> = record_routes(&resp.headers);
        route_set.reverse();
        let remote_target = contact_uri(&resp.headers).unwrap_or_else(|| invite.uri.clone());
        Some(Dialog {
            call_id: resp.headers.get(HeaderName::CallId)?.to_owned(),
            local_tag: from.tag()?.to_owned(),
            remote_tag,
            local_seq: cseq.seq,
            remote_seq: None,
            local: strip_tag(from.0),
            remote: strip_tag(to.0),
            peer: next_hop(&route_set, &remote_target, peer),
            remote_target,
            route_set,
        })
    }

    /// The UAS side of a dialog from a received INVITE (RFC 3261 §12.1.1).
    pub(super) fn uas(invite: &Request, local_tag: &str, from_peer: &Peer) -> Option<Dialog> {
        let from: typed::From = invite.headers.typed().ok()??;
        let to: typed::To = invite.headers.typed().ok()??;
        let cseq: typed::CSeq = invite.headers.typed().ok()??;
        let route_set = record_routes(&invite.headers);
        let remote_target = contact_uri(&invite.headers)?;
        Some(Dialog {
            call_id: invite.headers.get(HeaderName::CallId)?.to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag: from.tag().unwrap_or_default().to_owned(),
            local_seq: 0,
            remote_seq: Some(cseq.seq),
            local: strip_tag(to.0),
            remote: strip_tag(from.0),
            // Requests go back the way the INVITE came (symmetric, RFC 3581),
            // unless there is no route set and the target is an IP literal.
            peer: next_hop(&route_set, &remote_target, from_peer),
            remote_target,
            route_set,
        })
    }

    /// A request inside the dialog (RFC 3261 §12.2.1.1). `seq` is the CSeq
    /// number to use (ACK and CANCEL reuse the INVITE's).
    pub(super) fn request(
        &self,
        method: Method,
        seq: u32,
        branch: &str,
        sent_by: SocketAddr,
        user_agent: &str,
    ) -> Request {
        let mut req = Request::new(method.clone(), self.remote_target.clone());
        let mut via = typed::Via::new(
            self.peer.transport.clone(),
            sent_by.ip().into(),
            Some(sent_by.port()),
            branch,
        );
        via.params.push("rport", None);
        let _ = req.headers.push_typed(&via);
        let _ = req.headers.push_typed(&typed::MaxForwards(70));
        for r in &self.route_set {
            let _ = req.headers.push(HeaderName::Route, r);
        }
        let mut from = self.local.clone();
        from.set_tag(&self.local_tag);
        let _ = req.headers.push_typed(&typed::From(from));
        let mut to = self.remote.clone();
        if !self.remote_tag.is_empty() {
            to.set_tag(&self.remote_tag);
        }
        let _ = req.headers.push_typed(&typed::To(to));
        let _ = req.headers.push(HeaderName::CallId, &self.call_id);
        let _ = req.headers.push_typed(&typed::CSeq { seq, method });
        let _ = req.headers.push(HeaderName::UserAgent, user_agent);
        req
    }

    /// Target refresh from a re-INVITE/UPDATE or its 2xx (RFC 3261 §12.2).
    pub(super) fn refresh_target(&mut self, headers: &crate::message::Headers) {
        if let Some(uri) = contact_uri(headers) {
            self.remote_target = uri;
        }
    }
}

fn strip_tag(mut na: NameAddr) -> NameAddr {
    na.params.remove("tag");
    na
}

fn record_routes(headers: &crate::message::Headers) -> Vec<String> {
    headers
        .typed_all::<typed::RecordRoute>()
        .map(|v| v.into_iter().map(|r| r.0.to_string()).collect())
        .unwrap_or_default()
}

fn contact_uri(headers: &crate::message::Headers) -> Option<Uri> {
    let c: typed::Contact = headers.typed_first().ok()??;
    c.addr().map(|a| a.uri.clone())
}

/// With no route set and an IP-literal target, requests go to the target;
/// otherwise to the peer the dialog was set up through (our outbound proxy
/// or the address the request came from).
fn next_hop(route_set: &[String], target: &Uri, via: &Peer) -> Peer {
    if route_set.is_empty() {
        if let Some(u) = target.as_sip() {
            if let Some(ip) = u.host.ip() {
                // RFC 3263 §4.1: without a transport parameter, sip: means
                // UDP and sips: means TLS.
                let transport = match u.transport() {
                    Some(t) => Transport::parse(t).unwrap_or(Transport::Udp),
                    None if u.secure => Transport::Tls,
                    None => Transport::Udp,
                };
                let default_port = if matches!(transport, Transport::Tls) {
                    5061
                } else {
                    5060
                };
                return Peer {
                    addr: SocketAddr::new(ip, u.port.unwrap_or(default_port)),
                    transport,
                };
            }
        }
    }
    via.clone()
}
