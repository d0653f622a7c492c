//! Multipart bodies (RFC 2046 §5.1), as carried by SIP (RFC 3261 §7.4,
//! RFC 5621): parts are framed by the boundary, never by text lines, so
//! binary parts survive (RFC 4475 §3.1.1.11).

use super::headers::Headers;
use super::parse::{Limits, parse_headers};
use super::typed::MediaType;
use crate::error::Error;

/// One body part: its header fields and its octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The part's header fields (Content-Type, Content-Disposition, …).
    pub headers: Headers,
    /// The part's octets.
    pub body: &'a [u8],
}

/// Writes parts as a multipart body delimited by `boundary` (the same
/// boundary goes into the Content-Type's `boundary` parameter). Fails when
/// the boundary is not 1 to 70 characters of the RFC 2046 set, or when a
/// part's octets contain the delimiter, which would corrupt the framing.
///
/// ```
/// use linkus_sip::message::{HeaderName, Headers, multipart::{self, Part}, typed::MediaType};
///
/// let mut h = Headers::new();
/// h.push(HeaderName::ContentType, "application/sdp")?;
/// let body = multipart::write("x1", &[Part { headers: h, body: b"v=0\r\n" }])?;
/// let mut ct = MediaType::new("multipart", "mixed");
/// ct.params.push("boundary", Some("x1"));
/// assert_eq!(multipart::parse(&ct, &body)?[0].body, b"v=0\r\n");
/// # Ok::<(), linkus_sip::Error>(())
/// ```
pub fn write(boundary: &str, parts: &[Part<'_>]) -> Result<Vec<u8>, Error> {
    let valid_boundary = !boundary.is_empty()
        && boundary.len() <= 70
        && !boundary.ends_with(' ')
        && boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b));
    if !valid_boundary {
        return Err(Error::Multipart(
            "boundary must be 1 to 70 characters of the RFC 2046 set",
        ));
    }
    let delimiter = [b"\r\n--".as_slice(), boundary.as_bytes()].concat();
    let mut out = Vec::new();
    for part in parts {
        if memchr::memmem::find(part.body, &delimiter[2..]).is_some() {
            return Err(Error::Multipart("a part contains the boundary"));
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\n");
        part.headers.write_to(&mut out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(part.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
    Ok(out)
}

/// Splits a multipart body using the `boundary` parameter of `content_type`.
///
/// ```
/// use linkus_sip::message::{multipart, typed::MediaType};
///
/// let mut ct = MediaType::new("multipart", "mixed");
/// ct.params.push("boundary", Some("b1"));
/// let body = b"--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1--\r\n";
/// let parts = multipart::parse(&ct, body)?;
/// assert_eq!(parts[0].body, b"Hello");
/// # Ok::<(), linkus_sip::Error>(())
/// ```
pub fn parse<'a>(content_type: &MediaType, body: &'a [u8]) -> Result<Vec<Part<'a>>, Error> {
    if !content_type.kind.eq_ignore_ascii_case("multipart") {
        return Err(Error::Multipart("not a multipart content type"));
    }
    let boundary = content_type
        .params
        .get_unquoted("boundary")
        .ok_or(Error::Multipart("missing boundary parameter"))?;
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(Error::Multipart("boundary must be 1 to 70 characters"));
    }
    let dash_boundary: Vec<u8> = [b"--".as_slice(), boundary.as_bytes()].concat();
    let delimiter: Vec<u8> = [b"\r\n".as_slice(), &dash_boundary].concat();

    // The first boundary may open the body (no preamble) or follow a preamble.
    let mut pos = if body.starts_with(&dash_boundary) {
        dash_boundary.len()
    } else {
        memchr::memmem::find(body, &delimiter)
            .map(|i| i + delimiter.len())
            .ok_or(Error::Multipart("no boundary found"))?
    };
    let limits = Limits::default();
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts); // close-delimiter; the epilogue is ignored
        }
        // Transport padding, then CRLF.
        let pad = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let rest = rest[pad..]
            .strip_prefix(b"\r\n")
            .ok_or(Error::Multipart("boundary not followed by CRLF"))?;
        let part_start = body.len() - rest.len();
        let end = memchr::memmem::find(rest, &delimiter)
            .ok_or(Error::Multipart("missing closing boundary"))?;
        let part = &rest[..end];
        let (head, content) = if let Some(c) = part.strip_prefix(b"\r\n") {
            (&[][..], c)
        } else {
            let i = memchr::memmem::find(part, b"\r\n\r\n").ok_or(Error::Multipart(
                "part without a blank line after its headers",
            ))?;
            (&part[..i], &part[i + 4..])
        };
        let head = std::str::from_utf8(head)
            .map_err(|_| Error::Multipart("part headers are not UTF-8"))?;
        let headers = parse_headers(head, &limits)?;
        parts.push(Part {
            headers,
            body: content,
        });
        if parts.len() > limits.max_headers {
            return Err(Error::Multipart("too many parts"));
        }
        pos = part_start + end + delimiter.len();
    }
}
