//! The wire parser: start line, header section (folding, compact forms,
//! limits) and body framing.

use std::sync::LazyLock;

use std::borrow::Cow;

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
    // Built once: `memmem::find` would build a searcher on every call.
    static BLANK_LINE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\r\n\r\n"));
    BLANK_LINE.find(buf).map(|i| (i, i + 4))
}

/// The index of the first CRLF in `s`.
#[inline]
fn find_crlf(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', &s[from..]) {
        let lf = from + i;
        if lf > 0 && s[lf - 1] == b'\r' {
            return Some(lf - 1);
        }
        from = lf + 1;
    }
    None
}

/// One line of the header section, as `split("\r\n")` would cut it.
struct Line<'a> {
    text: &'a str,
    /// Offset of `text` in the header section.
    start: usize,
    /// Line number in the message (the start line is 1).
    no: usize,
    /// The first `:`, if any.
    colon: Option<usize>,
    /// A CR or LF that is not part of a CRLF is inside the line.
    bare_break: bool,
    /// `text[..colon]` is a token as it stands (the usual `Name:`), so it
    /// needs neither trimming nor a token check.
    token_name: bool,
}

/// The lines of the header section, found in one scan per line (the hot
/// loop of parsing): up to the colon byte by byte, then with memchr.
struct Lines<'a> {
    rest: Option<&'a str>,
    /// Offset of `rest` in the header section.
    offset: usize,
    /// Number of the next line.
    no: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;
    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        let s = self.rest?;
        let b = s.as_bytes();
        let no = self.no;
        self.no += 1;
        let start = self.offset;
        let mut bare_break = false;
        // Token characters are none of `:`, CR, LF: skip them in one go.
        let t = b
            .iter()
            .position(|c| !text::is_token_byte(*c))
            .unwrap_or(b.len());
        let token_name = t > 0 && b.get(t) == Some(&b':');
        let (mut colon, mut from) = if token_name {
            (Some(t), t + 1)
        } else {
            (None, t)
        };
        loop {
            let found = if colon.is_none() {
                b[from..]
                    .iter()
                    .position(|c| matches!(c, b':' | b'\r' | b'\n'))
            } else {
                memchr::memchr2(b'\r', b'\n', &b[from..])
            };
            let Some(i) = found.map(|i| from + i) else {
                self.rest = None;
                return Some(Line {
                    text: s,
                    start,
                    no,
                    colon,
                    bare_break,
                    token_name,
                });
            };
            match b[i] {
                b':' => colon = Some(i),
                b'\r' if b.get(i + 1) == Some(&b'\n') => {
                    self.rest = Some(&s[i + 2..]);
                    self.offset += i + 2;
                    return Some(Line {
                        text: &s[..i],
                        start,
                        no,
                        colon,
                        bare_break,
                        token_name,
                    });
                }
                _ => bare_break = true,
            }
            from = i + 1;
        }
    }
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
    let (start_line, header_text) = match find_crlf(head.as_bytes()) {
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
    // The header text is copied once; unfolded fields point into the copy.
    let mut headers = Headers::with_text(text_block, 16);
    if text_block.is_empty() {
        return Ok(headers);
    }
    // The header lines start at line 2; `next` is the line after `line`,
    // looked at for folding.
    let mut lines = Lines {
        rest: Some(text_block),
        offset: 0,
        no: 2,
    };
    let mut next = lines.next();
    while let Some(Line {
        text: line,
        start,
        no: line_no,
        colon,
        bare_break,
        token_name,
    }) = next.take()
    {
        next = lines.next();
        if text::starts_with_ws(line) {
            // A continuation line with nothing to continue.
            return Err(Error::HeaderLine { line: line_no });
        }
        if bare_break {
            return Err(Error::HeaderLine { line: line_no });
        }
        let colon = colon.ok_or(Error::HeaderLine { line: line_no })?;
        let name_range = if token_name {
            0..colon
        } else {
            text::trim_ws_range(line.as_bytes(), 0..colon)
        };
        let name = &line[name_range.clone()];
        if !token_name && !text::is_token(name) {
            return Err(Error::HeaderLine { line: line_no });
        }
        let value_range = text::trim_ws_range(line.as_bytes(), colon + 1..line.len());
        let first = &line[value_range.clone()];
        let mut total = line.len();
        // Continuation lines (folding): each CRLF + whitespace becomes one SP.
        let has_fold = next.as_ref().is_some_and(|l| text::starts_with_ws(l.text));
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
            while let Some(cont) = next.take_if(|l| text::starts_with_ws(l.text)) {
                next = lines.next();
                // A bare CR or LF in a continuation line would end up in
                // the value and split it into two lines when re-serialised.
                if cont.bare_break {
                    return Err(Error::HeaderLine { line: cont.no });
                }
                let cont = cont.text;
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
            headers.push_parsed_span(
                start + name_range.start..start + name_range.end,
                start + value_range.start..start + value_range.end,
            );
        }
    }
    Ok(headers)
}

/// `Method SP Request-URI SP SIP-Version`, exactly one SP each.
fn parse_request_line(line: &str) -> Result<(Method, Uri, Cow<'static, str>), Error> {
    if line.ends_with([' ', '\t']) {
        return Err(StartLineError::TrailingWhitespace.into());
    }
    let mut parts = text::split_byte(line, b' ');
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
    Ok((method, uri, version_text(version)))
}

/// `SIP/2.0` as written; the usual spelling costs no allocation.
fn version_text(version: &str) -> Cow<'static, str> {
    if version == "SIP/2.0" {
        Cow::Borrowed("SIP/2.0")
    } else {
        Cow::Owned(version.to_owned())
    }
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
fn parse_status_line(
    line: &str,
) -> Result<(Cow<'static, str>, StatusCode, Cow<'static, str>), Error> {
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
    let status = StatusCode(status);
    // The usual phrase costs no allocation.
    let reason = if reason == status.default_reason() {
        Cow::Borrowed(status.default_reason())
    } else {
        Cow::Owned(reason.to_owned())
    };
    Ok((version_text(version), status, reason))
}
