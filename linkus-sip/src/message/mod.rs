//! The SIP message layer (RFC 3261 §7, §20, §25): parse, inspect, build and
//! serialise requests and responses.
//!
//! Parsing is in two steps, so that the hot path stays cheap:
//!
//! 1. [`Message::parse`] (datagram) or [`StreamFramer`] (TCP/TLS) check the
//!    framing: start line, header lines (folding, compact names, limits) and
//!    Content-Length. Header values are kept as text.
//! 2. [`Message::check`] applies what a UA checks before it accepts a
//!    message: the grammar of every known header, the CSeq/method match,
//!    scalar ranges, single-valued headers (RFC 4475 §3.1.2 and §3.3.8).
//!
//! Typed header views ([`typed`]) parse on demand.
//!
//! ```
//! use linkus_sip::message::{Message, Method, typed};
//!
//! let raw = b"OPTIONS sip:alice@example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n\
//!     Max-Forwards: 70\r\n\
//!     To: <sip:alice@example.com>\r\n\
//!     From: \"Bob\" <sip:bob@example.com>;tag=1928301774\r\n\
//!     Call-ID: a84b4c76e66710\r\n\
//!     CSeq: 63104 OPTIONS\r\n\
//!     Content-Length: 0\r\n\r\n";
//! let msg = Message::parse(raw)?;
//! msg.check()?;
//! let req = msg.as_request().unwrap();
//! assert_eq!(req.method, Method::Options);
//! let from: typed::From = req.headers.typed()?.unwrap();
//! assert_eq!(from.tag(), Some("1928301774"));
//! assert_eq!(Message::parse(&msg.to_bytes())?, msg);
//! # Ok::<(), linkus_sip::Error>(())
//! ```

mod framing;
mod headers;
mod method;
pub mod multipart;
mod params;
mod parse;
mod text;
pub mod typed;
mod uri;
mod verdict;

use std::borrow::Cow;
use std::fmt;

pub use framing::{Framed, StreamFramer};
pub use headers::{HeaderField, HeaderName, Headers};
pub use method::Method;
pub use params::{Param, Params};
pub use parse::Limits;
pub use uri::{AbsoluteUri, Host, SipUri, TelUri, Uri};
pub use verdict::{Rejection, UasPolicy, check_response};

use crate::error::Error;
use parse::Framing;

/// A response status code, 100 to 699.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 1xx.
    pub fn is_provisional(self) -> bool {
        (100..200).contains(&self.0)
    }
    /// 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
    /// 200 to 699.
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }
    /// The reason phrase RFC 3261 §21 (and extensions) suggests for the code.
    pub fn default_reason(self) -> &'static str {
        match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            199 => "Early Dialog Terminated",
            200 => "OK",
            202 => "Accepted",
            204 => "No Notification",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Moved Temporarily",
            305 => "Use Proxy",
            380 => "Alternative Service",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            410 => "Gone",
            412 => "Conditional Request Failed",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            420 => "Bad Extension",
            421 => "Extension Required",
            422 => "Session Interval Too Small",
            423 => "Interval Too Brief",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            485 => "Ambiguous",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            489 => "Bad Event",
            491 => "Request Pending",
            493 => "Undecipherable",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            _ => "",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI.
    pub uri: Uri,
    /// Version as written (`SIP/2.0`).
    pub version: Cow<'static, str>,
    /// Header fields.
    pub headers: Headers,
    /// Body octets.
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Version as written (`SIP/2.0`).
    pub version: Cow<'static, str>,
    /// Status code.
    pub status: StatusCode,
    /// Reason phrase (may be empty).
    pub reason: Cow<'static, str>,
    /// Header fields.
    pub headers: Headers,
    /// Body octets.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message from a UDP datagram with the default [`Limits`]:
    /// octets after the Content-Length body are ignored (RFC 3261 §18.3);
    /// without Content-Length the body is the rest of the datagram.
    pub fn parse(datagram: &[u8]) -> Result<Message, Error> {
        Message::parse_with_limits(datagram, &Limits::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with_limits(datagram: &[u8], limits: &Limits) -> Result<Message, Error> {
        if datagram.len() > limits.max_message_size && parse::find_head_end(datagram).is_none() {
            return Err(Error::MessageTooLarge {
                limit: limits.max_message_size,
            });
        }
        parse::parse_message(datagram, limits, Framing::Datagram).map(|(m, _)| m)
    }

    /// Parses then [`check`](Message::check)s: what a UA does with a datagram.
    pub fn parse_checked(datagram: &[u8]) -> Result<Message, Error> {
        let m = Message::parse(datagram)?;
        m.check()?;
        Ok(m)
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The header fields, mutably.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }

    /// The checks a UA applies before accepting a message (RFC 3261 §8.2,
    /// §8.1.3, RFC 4475 §3.1.2): every known header follows its grammar and
    /// range, single-valued headers appear once, CSeq matches the method, and
    /// the mandatory headers (Via, From, To, Call-ID, CSeq; Max-Forwards is
    /// tolerated missing for RFC 2543 peers) are present.
    pub fn check(&self) -> Result<(), Error> {
        match self {
            Message::Request(r) => check_parts(Some(&r.method), &r.headers),
            Message::Response(r) => check_parts(None, &r.headers),
        }
    }

    /// Serialises the message: start line, header fields as stored, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len_hint());
        self.write_to(&mut out);
        out
    }

    /// Appends the serialised message to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Message::Request(r) => {
                out.extend_from_slice(r.method.as_str().as_bytes());
                out.push(b' ');
                out.extend_from_slice(r.uri.to_string().as_bytes());
                out.push(b' ');
                out.extend_from_slice(r.version.as_bytes());
            }
            Message::Response(r) => {
                out.extend_from_slice(r.version.as_bytes());
                out.push(b' ');
                out.extend_from_slice(itoa3(r.status.0).as_slice());
                out.push(b' ');
                out.extend_from_slice(r.reason.as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        self.headers().write_to(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body());
    }

    fn wire_len_hint(&self) -> usize {
        64 + self.headers().wire_len() + self.body().len()
    }
}

/// [`Message::check`] on borrowed parts; `method` is the request method.
pub(crate) fn check_parts(method: Option<&Method>, headers: &Headers) -> Result<(), Error> {
    for h in headers.iter() {
        if let Some(k) = h.known {
            typed::validate(k, h.value)?;
        }
    }
    for name in [
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::MaxForwards,
        HeaderName::ContentType,
        HeaderName::Expires,
        HeaderName::Date,
    ] {
        if headers.count(name) > 1 {
            return Err(Error::DuplicateHeader(name));
        }
    }
    for name in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        if !headers.contains(name) {
            return Err(Error::MissingHeader(name));
        }
    }
    if let Some(method) = method {
        if let Some(cseq) = headers.typed::<typed::CSeq>()? {
            if &cseq.method != method {
                return Err(Error::CSeqMethodMismatch {
                    method: method.clone(),
                    cseq: cseq.method,
                });
            }
        }
    }
    Ok(())
}

/// The first element of a comma-separated header value.
pub(crate) fn text_first_element(value: &str) -> &str {
    text::split_commas(value).next().unwrap_or(value)
}

fn itoa3(code: u16) -> [u8; 3] {
    let c = code.min(999);
    [
        b'0' + (c / 100) as u8,
        b'0' + (c / 10 % 10) as u8,
        b'0' + (c % 10) as u8,
    ]
}

impl From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            version: "SIP/2.0".into(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Sets the body and its Content-Type and Content-Length.
    pub fn set_body(
        &mut self,
        content_type: &typed::MediaType,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        set_body(&mut self.headers, Some(content_type), body.len())?;
        self.body = body;
        Ok(())
    }

    /// Serialises the request.
    pub fn to_bytes(&self) -> Vec<u8> {
        Message::Request(self.clone()).to_bytes()
    }
}

impl Response {
    /// A response to `req` (RFC 3261 §8.2.6) with an empty body
    /// (`Content-Length: 0`): copies Via, From, To, Call-ID and CSeq (and
    /// Record-Route for 1xx/2xx that may set up a dialog); the reason phrase is the default for the code. Add the To tag with
    /// [`Response::set_to_tag`] when the response creates a dialog.
    pub fn for_request(req: &Request, status: StatusCode) -> Response {
        let mut headers = Headers::new();
        let copy: &[HeaderName] = if (101..300).contains(&status.0) {
            &[
                HeaderName::Via,
                HeaderName::RecordRoute,
                HeaderName::From,
                HeaderName::To,
                HeaderName::CallId,
                HeaderName::CSeq,
            ]
        } else {
            &[
                HeaderName::Via,
                HeaderName::From,
                HeaderName::To,
                HeaderName::CallId,
                HeaderName::CSeq,
            ]
        };
        for name in copy {
            // Values came from a parsed message: no CR/LF, pushing cannot fail.
            if name.is_list() {
                for v in req.headers.get_all(*name) {
                    let _ = headers.push(*name, v);
                }
            } else if let Some(v) = req.headers.get(*name) {
                let _ = headers.push(*name, v);
            }
        }
        // Mandatory on stream transports; set_body() replaces it.
        let _ = headers.push(HeaderName::ContentLength, "0");
        Response {
            version: "SIP/2.0".into(),
            status,
            reason: status.default_reason().into(),
            headers,
            body: Vec::new(),
        }
    }

    /// Adds (or replaces) the tag of the To header.
    pub fn set_to_tag(&mut self, tag: &str) -> Result<(), Error> {
        if let Some(mut to) = self.headers.typed::<typed::To>()? {
            to.set_tag(tag);
            self.headers.set_typed(&to)?;
        }
        Ok(())
    }

    /// Sets the body and its Content-Type and Content-Length.
    pub fn set_body(
        &mut self,
        content_type: &typed::MediaType,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        set_body(&mut self.headers, Some(content_type), body.len())?;
        self.body = body;
        Ok(())
    }

    /// Serialises the response.
    pub fn to_bytes(&self) -> Vec<u8> {
        Message::Response(self.clone()).to_bytes()
    }
}

fn set_body(headers: &mut Headers, ct: Option<&typed::MediaType>, len: usize) -> Result<(), Error> {
    if let Some(ct) = ct {
        headers.set(HeaderName::ContentType, &ct.to_string())?;
    }
    headers.set(HeaderName::ContentLength, &len.to_string())
}
