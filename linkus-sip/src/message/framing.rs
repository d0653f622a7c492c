//! Message framing on stream transports (TCP, TLS): messages split across
//! reads or glued together in one read, and RFC 5626 keepalives.

use super::Message;
use super::parse::{self, Framing, Limits};
use crate::error::Error;

/// What a stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "keepalives are rare and the frame is moved once; boxing would allocate per message"
)]
pub enum Framed {
    /// A complete message.
    Message(Message),
    /// A double CRLF keepalive ping (RFC 5626 §3.5.1): answer with a single CRLF.
    Ping,
    /// A single CRLF: the pong to our ping.
    Pong,
}

/// Accumulates bytes from a stream and cuts them into messages.
///
/// A framing error (bad Content-Length, limits exceeded, garbage) cannot be
/// recovered from on a stream: the caller closes the connection.
///
/// ```
/// use linkus_sip::message::{Framed, StreamFramer};
///
/// let mut f = StreamFramer::default();
/// f.push(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nContent-Le");
/// assert_eq!(f.next_frame()?, Some(Framed::Ping));
/// assert_eq!(f.next_frame()?, None); // waits for more bytes
/// f.push(b"ngth: 0\r\n\r\n");
/// assert!(matches!(f.next_frame()?, Some(Framed::Message(_))));
/// # Ok::<(), linkus_sip::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
    limits: Limits,
}

impl StreamFramer {
    /// A framer with explicit limits.
    pub fn with_limits(limits: Limits) -> StreamFramer {
        StreamFramer {
            buf: Vec::new(),
            limits,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet framed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Framed>, Error> {
        // Keepalives: CRLFCRLF is a ping, a lone CRLF a pong.
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.drain(..4);
            return Ok(Some(Framed::Ping));
        }
        if self.buf.starts_with(b"\r\n") {
            if self.buf.len() == 2 {
                self.buf.clear();
                return Ok(Some(Framed::Pong));
            }
            // "\r\n\r" alone: wait to see whether it is a ping. With a
            // fourth byte it is not (that would be "\r\n\r\n"): a pong,
            // and the rest is framed as usual. Waiting then would buffer
            // without bound.
            if self.buf.get(2) != Some(&b'\r') || self.buf.len() > 3 {
                self.buf.drain(..2);
                return Ok(Some(Framed::Pong));
            }
            return Ok(None);
        }
        let Some((head_len, body_start)) = parse::find_head_end(&self.buf) else {
            if self.buf.len() > self.limits.max_message_size {
                return Err(Error::MessageTooLarge {
                    limit: self.limits.max_message_size,
                });
            }
            // Bound line length even before the head is complete.
            let last_line = self
                .buf
                .rsplit(|b| *b == b'\n')
                .next()
                .map_or(0, <[u8]>::len);
            if last_line > self.limits.max_line_length {
                return Err(Error::LineTooLong {
                    limit: self.limits.max_line_length,
                });
            }
            return Ok(None);
        };
        if head_len > self.limits.max_message_size {
            return Err(Error::MessageTooLarge {
                limit: self.limits.max_message_size,
            });
        }
        // Parse the head alone to learn Content-Length, then wait for the body.
        let declared = declared_length(&self.buf[..head_len])?;
        let Some(len) = declared else {
            return Err(Error::MissingContentLength);
        };
        if body_start + len > self.limits.max_message_size {
            return Err(Error::MessageTooLarge {
                limit: self.limits.max_message_size,
            });
        }
        if self.buf.len() < body_start + len {
            return Ok(None);
        }
        let (msg, used) =
            parse::parse_message(&self.buf[..body_start + len], &self.limits, Framing::Stream)?;
        self.buf.drain(..used);
        Ok(Some(Framed::Message(msg)))
    }
}

/// Content-Length of a head, looked up without parsing the whole head.
fn declared_length(head: &[u8]) -> Result<Option<usize>, Error> {
    let head = std::str::from_utf8(head).map_err(|_| Error::InvalidUtf8)?;
    let mut found = None;
    // Folded Content-Length values are legal but never seen; unfold simply.
    let mut lines = head.split("\r\n").skip(1).peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim_matches([' ', '\t']);
        if !(name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l")) {
            continue;
        }
        let mut v = value.trim_matches([' ', '\t']).to_owned();
        while let Some(cont) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            v.push_str(cont.trim_matches([' ', '\t']));
        }
        let n: usize = if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse().map_err(|_| invalid_cl())?
        } else {
            return Err(invalid_cl());
        };
        match found {
            Some(prev) if prev != n => return Err(Error::ConflictingContentLength),
            _ => found = Some(n),
        }
    }
    Ok(found)
}

fn invalid_cl() -> Error {
    Error::InvalidHeader {
        header: super::HeaderName::ContentLength,
        reason: "not a non-negative number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn byte_by_byte_and_glued() {
        let mut f = StreamFramer::default();
        let mut got = 0;
        let twice: Vec<u8> = [OPTIONS, OPTIONS].concat();
        for b in &twice {
            f.push(std::slice::from_ref(b));
            while let Some(fr) = f.next_frame().unwrap() {
                let Framed::Message(m) = fr else {
                    panic!("unexpected keepalive")
                };
                assert_eq!(m.body(), b"hello");
                got += 1;
            }
        }
        assert_eq!(got, 2);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn errors_are_typed() {
        let mut f = StreamFramer::default();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(f.next_frame(), Err(Error::MissingContentLength));
        let mut f = StreamFramer::default();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nl: 13\r\nl: 5\r\n\r\n");
        assert_eq!(f.next_frame(), Err(Error::ConflictingContentLength));
        let mut f = StreamFramer::with_limits(Limits {
            max_message_size: 100,
            ..Limits::default()
        });
        f.push(&[b'A'; 101]);
        assert_eq!(f.next_frame(), Err(Error::MessageTooLarge { limit: 100 }));
        let mut f = StreamFramer::default();
        f.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1000000\r\n\r\n");
        assert_eq!(
            f.next_frame(),
            Err(Error::MessageTooLarge { limit: 65_535 })
        );
    }

    #[test]
    fn keepalives() {
        let mut f = StreamFramer::default();
        f.push(b"\r\n");
        assert_eq!(f.next_frame().unwrap(), Some(Framed::Pong));
        f.push(b"\r\n\r");
        assert_eq!(f.next_frame().unwrap(), None);
        f.push(b"\n");
        assert_eq!(f.next_frame().unwrap(), Some(Framed::Ping));
    }
}
