//! What a user agent server answers to a request it cannot accept
//! (RFC 3261 §8.2, RFC 4475 §3.1.2 and §3.3), and which responses a user
//! agent client discards (RFC 3261 §8.1.3.3).

use super::headers::HeaderName;
use super::method::Method;
use super::typed::{self, MediaType};
use super::{Request, Response, StatusCode};
use crate::error::Error;

/// A request the UAS refuses: the status to answer with, why, and the
/// header fields the answer must carry (Allow, Unsupported, Accept, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Status code of the answer.
    pub status: StatusCode,
    /// The parse or check error behind a 400/505, if that was the cause.
    pub error: Option<Error>,
    /// Header fields to add to the answer.
    pub headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn new(status: u16) -> Rejection {
        Rejection {
            status: StatusCode(status),
            error: None,
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: HeaderName, value: String) -> Rejection {
        self.headers.push((name, value));
        self
    }

    /// The answer for an error found while parsing or checking a request:
    /// 505 for another SIP version, 513 for an oversized message, 400 otherwise.
    pub fn from_error(error: Error) -> Rejection {
        let status = match error {
            Error::UnsupportedVersion(_) => 505,
            Error::MessageTooLarge { .. } => 513,
            _ => 400,
        };
        Rejection {
            status: StatusCode(status),
            error: Some(error),
            headers: Vec::new(),
        }
    }

    /// Builds the response to `req`, with a To tag when the status is final
    /// and the request had none (RFC 3261 §8.2.6.2).
    pub fn to_response(&self, req: &Request, to_tag: &str) -> Response {
        let mut resp = Response::for_request(req, self.status);
        if self.status.is_final() {
            let _ = resp.set_to_tag_if_missing(to_tag);
        }
        for (name, value) in &self.headers {
            // Values are built here from tokens: no CR/LF.
            let _ = resp.headers.push(*name, value);
        }
        resp
    }
}

impl Response {
    fn set_to_tag_if_missing(&mut self, tag: &str) -> Result<(), Error> {
        match self.headers.typed::<typed::To>() {
            Ok(Some(to)) if to.tag().is_none() => self.set_to_tag(tag),
            _ => Ok(()),
        }
    }
}

/// What this UAS supports, for [`UasPolicy::check_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UasPolicy {
    /// Methods it handles; others get 405 (known methods) or 501 (extension methods).
    pub allowed_methods: Vec<Method>,
    /// Option tags it supports (`100rel`, `replaces`, `timer`, …); a Require
    /// outside this list gets 420.
    pub supported: Vec<String>,
    /// Body types it understands; others get 415.
    pub accepted_content_types: Vec<MediaType>,
    /// Content codings it understands (besides `identity`); others get 415.
    pub accepted_encodings: Vec<String>,
    /// Answer 483 to Max-Forwards 0. A UA processes such a request normally
    /// (RFC 4475 §3.3.11), so this is off by default; an element that would
    /// forward the request (a B2BUA) turns it on.
    pub reject_zero_max_forwards: bool,
}

impl Default for UasPolicy {
    /// A softphone: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK,
    /// NOTIFY, REFER, MESSAGE; SDP, plain text, sipfrag, DTMF relay,
    /// message-summary and multipart bodies.
    fn default() -> UasPolicy {
        use Method as M;
        UasPolicy {
            allowed_methods: vec![
                M::Invite,
                M::Ack,
                M::Bye,
                M::Cancel,
                M::Options,
                M::Info,
                M::Update,
                M::Prack,
                M::Notify,
                M::Refer,
                M::Message,
            ],
            supported: [
                "100rel",
                "replaces",
                "timer",
                "norefersub",
                "path",
                "outbound",
                "gruu",
            ]
            .map(String::from)
            .to_vec(),
            accepted_content_types: [
                ("application", "sdp"),
                ("text", "plain"),
                ("message", "sipfrag"),
                ("application", "dtmf-relay"),
                ("application", "dtmf"),
                ("application", "simple-message-summary"),
                ("application", "pidf+xml"),
                ("application", "dialog-info+xml"),
                ("multipart", "mixed"),
                ("multipart", "alternative"),
                ("multipart", "related"),
            ]
            .map(|(t, s)| MediaType::new(t, s))
            .to_vec(),
            accepted_encodings: Vec::new(),
            reject_zero_max_forwards: false,
        }
    }
}

impl UasPolicy {
    /// Checks a parsed request in the order of RFC 3261 §8.2 and returns the
    /// rejection to send, if any.
    ///
    /// ```
    /// use linkus_sip::message::{Message, UasPolicy};
    ///
    /// let raw = b"OPTIONS sip:u@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
    ///     To: <sip:u@example.com>\r\nFrom: <sip:c@example.net>;tag=1\r\nCall-ID: x\r\n\
    ///     CSeq: 1 OPTIONS\r\nRequire: nothingSupportsThis\r\nContent-Length: 0\r\n\r\n";
    /// let msg = Message::parse(raw)?;
    /// let rej = UasPolicy::default().check_request(msg.as_request().unwrap()).unwrap_err();
    /// assert_eq!(rej.status.0, 420);
    /// assert_eq!(rej.headers[0].1, "nothingSupportsThis");
    /// # Ok::<(), linkus_sip::Error>(())
    /// ```
    pub fn check_request(&self, req: &Request) -> Result<(), Rejection> {
        // Syntax, ranges, mandatory and single-valued headers, CSeq match.
        if let Err(e) = super::check_parts(Some(&req.method), &req.headers) {
            // An unknown method whose CSeq does not match: 501 is the more
            // future-proof answer (RFC 4475 §3.1.2.18).
            if matches!(e, Error::CSeqMethodMismatch { .. })
                && !self.allowed_methods.contains(&req.method)
                && matches!(req.method, Method::Extension(_))
            {
                return Err(self.method_rejection(501));
            }
            return Err(Rejection::from_error(e));
        }
        let headers = &req.headers;
        if self.reject_zero_max_forwards
            && matches!(
                headers.typed::<typed::MaxForwards>(),
                Ok(Some(typed::MaxForwards(0)))
            )
        {
            return Err(Rejection::new(483));
        }
        // §8.2.1 method inspection.
        if !self.allowed_methods.contains(&req.method) {
            let status = if matches!(req.method, Method::Extension(_)) {
                501
            } else {
                405
            };
            return Err(self.method_rejection(status));
        }
        // §8.2.2.1 Request-URI scheme.
        if !req.uri.is_sip_or_tel() {
            return Err(Rejection::new(416));
        }
        // §8.2.2.3 Require (CANCEL and ACK are exempt).
        if !matches!(req.method, Method::Ack | Method::Cancel) {
            let required = headers
                .typed_all::<typed::Require>()
                .map_err(Rejection::from_error)?;
            let unsupported: Vec<&str> = required
                .iter()
                .map(|r| r.0.as_str())
                .filter(|r| !self.supported.iter().any(|s| s.eq_ignore_ascii_case(r)))
                .collect();
            if !unsupported.is_empty() {
                return Err(
                    Rejection::new(420).with(HeaderName::Unsupported, unsupported.join(", "))
                );
            }
        }
        // §8.2.3 content processing.
        if !req.body.is_empty() || headers.contains(HeaderName::ContentType) {
            if let Ok(Some(ct)) = headers.typed::<typed::ContentType>() {
                if !self.accepted_content_types.iter().any(|a| a.matches(&ct.0)) {
                    return Err(Rejection::new(415).with(HeaderName::Accept, self.accept_list()));
                }
            }
            let encodings = headers
                .typed_all::<typed::ContentEncoding>()
                .map_err(Rejection::from_error)?;
            if encodings.iter().any(|e| {
                !e.0.eq_ignore_ascii_case("identity")
                    && !self
                        .accepted_encodings
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&e.0))
            }) {
                let mut accepted = vec!["identity".to_owned()];
                accepted.extend(self.accepted_encodings.iter().cloned());
                return Err(Rejection::new(415)
                    .with(HeaderName::Accept, self.accept_list())
                    .with(HeaderName::AcceptEncoding, accepted.join(", ")));
            }
        }
        // An INVITE is answered with SDP: an Accept without it cannot be
        // satisfied (RFC 4475 §3.3.15: 406 with a 399 Warning).
        if req.method == Method::Invite && headers.contains(HeaderName::Accept) {
            let accept = headers
                .typed_all::<typed::Accept>()
                .map_err(Rejection::from_error)?;
            let sdp = MediaType::new("application", "sdp");
            if !accept.iter().any(|a| a.0.matches(&sdp)) {
                return Err(Rejection::new(406).with(
                    HeaderName::Warning,
                    "399 linkus \"no acceptable response body: only application/sdp can be sent\""
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }

    fn method_rejection(&self, status: u16) -> Rejection {
        let allow: Vec<&str> = self.allowed_methods.iter().map(Method::as_str).collect();
        Rejection::new(status).with(HeaderName::Allow, allow.join(", "))
    }

    fn accept_list(&self) -> String {
        self.accepted_content_types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Checks a response received by a UAC: the [`Message::check`](super::Message::check) rules plus
/// RFC 3261 §8.1.3.3, exactly one Via (else it is discarded). `Err` means
/// discard silently: responses are never answered.
pub fn check_response(resp: &Response) -> Result<(), Error> {
    super::check_parts(None, &resp.headers)?;
    let vias = resp.headers.typed_all::<typed::Via>()?.len();
    if vias != 1 {
        return Err(Error::ResponseViaCount(vias));
    }
    Ok(())
}
