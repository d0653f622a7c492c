//! The wire parser: start line, header section (folding, compact forms,
//! limits) and body framing.

use memchr::memmem;

use super::headers::{HeaderName, Headers};
use super::method::Method;
use super::text;
use super::uri::Uri;
use super::{Message, Request, Response, StatusCode};
use crate::error::{Error, StartLineError};

/// Bounds that protect a parser fed by the network. Every one of them is a
/// typed error when exceeded; nothing is allocated beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message (head and body), in bytes.
    pub max_message_size: usize,
    /// Most header lines.
    pub max_headers: usize,
    /// Longest start line or header field (with its folded continuation lines).
    pub max_line_length: usize,
}

impl Default for Limits {
    /// 64 KiB messages (the largest UDP datagram), 256 header fields, 8 KiB lines.
    fn default() -> Limits {
        Limits {
            max_message_size: 65_535,
            max_headers: 256,
            max_line_length: 8_192,
        }
    }
}

/// How the body's extent is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// UDP: the datagram is the message; without Content-Length the body is
    /// the rest of it; octets after Content-Length are discarded.
    Datagram,
    /// TCP/TLS: Content-Length is mandatory and the body must be complete.
    Stream,
}

/// Finds the end of the header section: returns `(head_len, body_start)`.
/// `head_len` excludes the blank line.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    memmem::find(buf, b"\r\n\r\n").map(|i| (i, i + 4))
}

/// Parses one message from a complete buffer.
pub(crate) fn parse_message(
    buf: &[u8],
    limits: &Limits,
    framing: Framing,
) -> Result<(Message, usize), Error> {
    // RFC 3261 §7.5: ignore CRLFs before the start line.
    let mut start = 0;
    while buf.get(start..start + 2) == Some(b"\r\n") {
        start += 2;
    }
    let buf = &buf[start..];
    let (head_len, body_start) = match find_head_end(buf) {
        Some(x) => x,
        // A datagram whose last header line ends the datagram (no blank
        // line): the datagram boundary ends the head; the body is empty.
        None if framing == Framing::Datagram && buf.ends_with(b"\r\n") => {
            (buf.len() - 2, buf.len())
        }
        None if framing == Framing::Datagram => return Err(Error::IncompleteHead),
        None => return Err(Error::IncompleteHead),
    };
    if head_len > limits.max_message_size {
        return Err(Error::MessageTooLarge {
            limit: limits.max_message_size,
        });
    }
    let head = std::str::from_utf8(&buf[..head_len]).map_err(|_| Error::InvalidUtf8)?;
    let (start_line, header_text) = match head.find("\r\n") {
        Some(i) => (&head[..i], &head[i + 2..]),
        None => (head, ""),
    };
    if start_line.len() > limits.max_line_length {
        return Err(Error::LineTooLong {
            limit: limits.max_line_length,
        });
    }
    let headers = parse_headers(header_text, limits)?;

    // Body framing.
    let available = buf.len() - body_start;
    let content_length = content_length(&headers)?;
    let body_len = match (content_length, framing) {
        (Some(n), _) if n > limits.max_message_size => {
            return Err(Error::MessageTooLarge {
                limit: limits.max_message_size,
            });
        }
        (Some(n), _) if n > available => {
            return Err(Error::ContentLengthExceedsBody {
                declared: n,
                available,
            });
        }
        (Some(n), _) => n,
        (None, Framing::Datagram) => available,
        (None, Framing::Stream) => return Err(Error::MissingContentLength),
    };
    if head_len + body_len > limits.max_message_size {
        return Err(Error::MessageTooLarge {
            limit: limits.max_message_size,
        });
    }
    let body = buf[body_start..body_start + body_len].to_vec();
    let msg = if start_line.starts_with("SIP/") {
        let (version, status, reason) = parse_status_line(start_line)?;
        Message::Response(Response {
            version,
            status,
            reason,
            headers,
            body,
        })
    } else {
        let (method, uri, version) = parse_request_line(start_line)?;
        Message::Request(Request {
            method,
            uri,
            version,
            headers,
            body,
        })
    };
    Ok((msg, start + body_start + body_len))
}

/// Content-Length from every Content-Length line; disagreeing values are a
/// framing error (RFC 4475 §3.3.9).
fn content_length(headers: &Headers) -> Result<Option<usize>, Error> {
    let mut found: Option<usize> = None;
    for v in headers.get_all(HeaderName::ContentLength) {
        let n = text::parse_decimal(text::trim_ws(v), u64::from(u32::MAX))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Error::InvalidHeader {
                header: HeaderName::ContentLength,
                reason: "not a non-negative number",
            })?;
        match found {
            Some(prev) if prev != n => return Err(Error::ConflictingContentLength),
            _ => found = Some(n),
        }
    }
    Ok(found)
}

/// Parses the header section (without the start line and the blank line).
pub(crate) fn parse_headers(text_block: &str, limits: &Limits) -> Result<Headers, Error> {
    let mut headers = Headers::with_capacity(text_block.len(), 16);
    if text_block.is_empty() {
        return Ok(headers);
    }
    let mut lines = text_block.split("\r\n").enumerate().peekable();
    while let Some((idx, line)) = lines.next() {
        let line_no = idx + 2;
        if line.starts_with([' ', '\t']) {
            // A continuation line with nothing to continue.
            return Err(Error::HeaderLine { line: line_no });
        }
        if line.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(Error::HeaderLine { line: line_no });
        }
        let colon = line.find(':').ok_or(Error::HeaderLine { line: line_no })?;
        let name = text::trim_ws(&line[..colon]);
        if !text::is_token(name) {
            return Err(Error::HeaderLine { line: line_no });
        }
        let first = text::trim_ws(&line[colon + 1..]);
        let mut total = line.len();
        // Continuation lines (folding): each CRLF + whitespace becomes one SP.
        let has_fold = lines
            .peek()
            .is_some_and(|(_, l)| l.starts_with([' ', '\t']));
        if headers.len() >= limits.max_headers {
            return Err(Error::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        if has_fold {
            let mut pieces: Vec<&str> = Vec::with_capacity(4);
            if !first.is_empty() {
                pieces.push(first);
            }
            while let Some((idx, cont)) = lines.next_if(|(_, l)| l.starts_with([' ', '\t'])) {
                // A bare CR or LF in a continuation line would end up in
                // the value and split it into two lines when re-serialised.
                if cont.bytes().any(|b| b == b'\r' || b == b'\n') {
                    return Err(Error::HeaderLine { line: idx + 2 });
                }
                total += cont.len() + 2;
                if total > limits.max_line_length {
                    return Err(Error::LineTooLong {
                        limit: limits.max_line_length,
                    });
                }
                let c = text::trim_ws(cont);
                if !c.is_empty() {
                    pieces.push(c);
                }
            }
            headers.push_parsed_pieces(name, pieces.into_iter());
        } else {
            if total > limits.max_line_length {
                return Err(Error::LineTooLong {
                    limit: limits.max_line_length,
                });
            }
            headers.push_parsed(name, first);
        }
    }
    Ok(headers)
}

/// `Method SP Request-URI SP SIP-Version`, exactly one SP each.
fn parse_request_line(line: &str) -> Result<(Method, Uri, String), Error> {
    if line.ends_with([' ', '\t']) {
        return Err(StartLineError::TrailingWhitespace.into());
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(StartLineError::Malformed.into());
    };
    if method.is_empty() || uri.is_empty() || version.is_empty() {
        return Err(StartLineError::ExtraWhitespace.into());
    }
    if parts.next().is_some() {
        // More than three elements: either doubled SPs or LWS inside the URI.
        return Err(if line.contains("  ") {
            StartLineError::ExtraWhitespace.into()
        } else {
            crate::error::UriError::Character.into()
        });
    }
    let method = Method::parse(method)?;
    if uri.starts_with('<') {
        return Err(StartLineError::AngleBracketsInRequestUri.into());
    }
    check_version(version)?;
    let uri = Uri::parse(uri)?;
    if let Uri::Sip(s) = &uri {
        if !s.headers.is_empty() {
            return Err(StartLineError::HeadersInRequestUri.into());
        }
    }
    Ok((method, uri, version.to_owned()))
}

fn check_version(version: &str) -> Result<(), Error> {
    if version.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT
    let ok = version.len() > 4
        && version
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
        && version[4..].split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_digit())
        });
    if ok {
        Err(Error::UnsupportedVersion(version.to_owned()))
    } else {
        Err(StartLineError::Malformed.into())
    }
}

/// `SIP-Version SP Status-Code SP Reason-Phrase`.
fn parse_status_line(line: &str) -> Result<(String, StatusCode, String), Error> {
    let (version, rest) = line.split_once(' ').ok_or(StartLineError::Malformed)?;
    check_version(version)?;
    let (code, reason) = match rest.split_once(' ') {
        Some((c, r)) => (c, r),
        // Missing SP before an empty reason phrase: accepted (RFC 4475 §3.1.1.13 notes
        // liberal receivers do).
        None => (rest, ""),
    };
    if code.len() != 3 {
        return Err(StartLineError::InvalidStatusCode.into());
    }
    let status = text::parse_decimal(code, 699)
        .filter(|c| *c >= 100)
        .and_then(|c| u16::try_from(c).ok())
        .ok_or(StartLineError::InvalidStatusCode)?;
    if reason.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(StartLineError::InvalidReasonPhrase.into());
    }
    Ok((version.to_owned(), StatusCode(status), reason.to_owned()))
}
