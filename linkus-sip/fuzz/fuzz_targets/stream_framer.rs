//! A TCP/TLS byte stream cut into reads at input-derived points.
//!
//! Input layout: byte 0 picks how many split sizes follow (0..=7), those
//! bytes are the read sizes (cycled), the rest is the stream. Small limits
//! so that the limit paths are reachable with short inputs.
//!
//! Checked: the framer terminates (every frame consumes bytes), `Ok(None)`
//! never leaves more than the message size limit buffered, and the messages
//! it yields do not depend on how the stream was cut into reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkus_sip::Error;
use linkus_sip::message::{Framed, Limits, Message, StreamFramer};

const LIMITS: Limits = Limits {
    max_message_size: 1024,
    max_headers: 16,
    max_line_length: 256,
};

/// Messages framed, and whether the stream ended in an error.
struct Outcome {
    messages: Vec<Message>,
    error: Option<Error>,
}

/// Drains every frame the framer has; `Err` on a framing error.
fn drain(f: &mut StreamFramer, messages: &mut Vec<Message>) -> Result<(), Error> {
    // Each frame consumes at least one byte: more frames than bytes is a hang.
    let mut budget = f.buffered() + 1;
    loop {
        let before = f.buffered();
        match f.next_frame()? {
            None => {
                assert!(
                    f.buffered() <= LIMITS.max_message_size,
                    "waiting for more bytes with {} buffered (limit {})",
                    f.buffered(),
                    LIMITS.max_message_size
                );
                return Ok(());
            }
            Some(frame) => {
                assert!(f.buffered() < before, "a frame consumed no bytes");
                if let Framed::Message(m) = frame {
                    let _ = m.check();
                    let bytes = m.to_bytes();
                    assert_eq!(
                        Message::parse(&bytes).as_ref(),
                        Ok(&m),
                        "parse(to_bytes(m)) != m"
                    );
                    messages.push(m);
                }
            }
        }
        budget -= 1;
        assert!(budget > 0, "the framer does not terminate");
    }
}

fn run(stream: &[u8], sizes: &[u8]) -> Outcome {
    let mut f = StreamFramer::with_limits(LIMITS);
    let mut messages = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            usize::from(sizes[i % sizes.len()]).clamp(1, rest.len())
        };
        i += 1;
        f.push(&rest[..n]);
        rest = &rest[n..];
        if let Err(e) = drain(&mut f, &mut messages) {
            return Outcome {
                messages,
                error: Some(e),
            };
        }
    }
    Outcome {
        messages,
        error: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let k = usize::from(k % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(k);

    let whole = run(stream, &[]);
    let cut = run(stream, sizes);
    // Reads may only make an error show up earlier (a line or message over
    // its limit before its end has arrived), never change the messages.
    assert!(
        whole.messages.starts_with(&cut.messages),
        "cutting the stream changed the messages"
    );
    if cut.error.is_none() {
        assert_eq!(
            whole.messages, cut.messages,
            "cutting the stream lost messages"
        );
        assert_eq!(whole.error, None, "cutting the stream hid an error");
    }
});
