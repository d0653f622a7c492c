//! The bounded SDP parser.

use super::attr::{self, Fmtp, Rtcp, RtpMap, parse_num};
use super::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, SdpError, SdpErrorKind,
    SessionDescription, Timing,
};

/// Bounds on what [`SessionDescription::parse_with_limits`] accepts, so
/// that input from the network cannot make it use unbounded memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input in bytes (default 64 KiB).
    pub max_size: usize,
    /// Most lines, blank lines included (default 2048).
    pub max_lines: usize,
    /// Most `m=` sections (default 32).
    pub max_media: usize,
    /// Most `a=` lines in the session section or in one media section
    /// (default 512).
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 64 * 1024,
            max_lines: 2048,
            max_media: 32,
            max_attributes: 512,
        }
    }
}

type Res<T> = Result<T, SdpErrorKind>;

fn err(line: usize, kind: SdpErrorKind) -> SdpError {
    SdpError { line, kind }
}

/// Splits `x=value`; the type must be one lowercase ASCII letter.
fn split_line(line: &str) -> Res<(char, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_lowercase() {
        return Err(SdpErrorKind::MalformedLine);
    }
    Ok((char::from(bytes[0]), &line[2..]))
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && !s
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
}

fn parse_origin(v: &str) -> Res<Origin> {
    let t: Vec<&str> = v.split_ascii_whitespace().collect();
    let [username, session_id, version, net_type, addr_type, address] = t[..] else {
        return Err(SdpErrorKind::BadOrigin);
    };
    Ok(Origin {
        username: username.into(),
        session_id: session_id.into(),
        session_version: parse_num(version, 20).ok_or(SdpErrorKind::BadOrigin)?,
        net_type: net_type.into(),
        addr_type: addr_type.into(),
        address: address.into(),
    })
}

fn parse_connection(v: &str) -> Res<Connection> {
    let t: Vec<&str> = v.split_ascii_whitespace().collect();
    let [net_type, addr_type, address] = t[..] else {
        return Err(SdpErrorKind::BadConnection);
    };
    Ok(Connection {
        net_type: net_type.into(),
        addr_type: addr_type.into(),
        address: address.into(),
    })
}

fn parse_bandwidth(v: &str) -> Res<Bandwidth> {
    let (kind, value) = v.split_once(':').ok_or(SdpErrorKind::BadBandwidth)?;
    if !is_token(kind) {
        return Err(SdpErrorKind::BadBandwidth);
    }
    Ok(Bandwidth {
        kind: kind.into(),
        value: parse_num(value.trim(), 20).ok_or(SdpErrorKind::BadBandwidth)?,
    })
}

fn parse_timing(v: &str) -> Res<Timing> {
    let t: Vec<&str> = v.split_ascii_whitespace().collect();
    let [start, stop] = t[..] else {
        return Err(SdpErrorKind::BadTiming);
    };
    Ok(Timing {
        start: parse_num(start, 20).ok_or(SdpErrorKind::BadTiming)?,
        stop: parse_num(stop, 20).ok_or(SdpErrorKind::BadTiming)?,
        repeats: Vec::new(),
    })
}

fn parse_media(v: &str) -> Res<MediaDescription> {
    let mut it = v.split_ascii_whitespace();
    let media = it.next().ok_or(SdpErrorKind::BadMedia)?;
    let port_text = it.next().ok_or(SdpErrorKind::BadMedia)?;
    let proto = it.next().ok_or(SdpErrorKind::BadMedia)?;
    let (port, port_count) = match port_text.split_once('/') {
        Some((p, n)) => (p, Some(parse_num(n, 5).ok_or(SdpErrorKind::BadMedia)?)),
        None => (port_text, None),
    };
    let port = parse_num(port, 5).ok_or(SdpErrorKind::BadMedia)?;
    let formats: Vec<String> = it.map(str::to_string).collect();
    if formats.is_empty() && port != 0 {
        return Err(SdpErrorKind::BadMedia);
    }
    let mut m = MediaDescription::new(media, port, proto, formats);
    m.port_count = port_count;
    Ok(m)
}

/// Parses `name[:value]` and checks the values of the typed attributes.
fn parse_attribute(v: &str) -> Res<Attribute> {
    let (name, value) = match v.split_once(':') {
        Some((n, val)) => (n, Some(val)),
        None => (v, None),
    };
    if !is_token(name) {
        return Err(SdpErrorKind::BadAttribute(name.chars().take(64).collect()));
    }
    let ok = match (name, value) {
        ("rtpmap", Some(v)) => RtpMap::parse(v).is_some(),
        ("fmtp", Some(v)) => Fmtp::parse(v).is_some(),
        ("ptime" | "maxptime", Some(v)) => attr::parse_ms(v).is_ok(),
        ("rtcp", Some(v)) => Rtcp::parse(v).is_some(),
        // One odd crypto suite or candidate must not fail a whole call:
        // these are kept verbatim and skipped by the typed views
        // (`cryptos()`, `candidates()`) if malformed.
        ("crypto" | "candidate", Some(_)) => true,
        ("ice-ufrag" | "ice-pwd" | "mid", Some(v)) => is_token(v),
        ("rtpmap" | "fmtp" | "ptime" | "maxptime" | "rtcp" | "crypto" | "candidate", None)
        | ("ice-ufrag" | "ice-pwd" | "mid", None) => false,
        _ => true,
    };
    if !ok {
        return Err(SdpErrorKind::BadAttribute(name.into()));
    }
    Ok(Attribute {
        name: name.into(),
        value: value.map(str::to_string),
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T, ty: char) -> Res<()> {
    if slot.is_some() {
        return Err(SdpErrorKind::UnexpectedLine(ty));
    }
    *slot = Some(value);
    Ok(())
}

pub(crate) fn parse(text: &str, limits: &Limits) -> Result<SessionDescription, SdpError> {
    if text.len() > limits.max_size {
        return Err(err(
            0,
            SdpErrorKind::TooLarge {
                limit: limits.max_size,
            },
        ));
    }
    let line_count = text.split('\n').count() - usize::from(text.ends_with('\n'));
    if line_count > limits.max_lines {
        return Err(err(
            limits.max_lines.saturating_add(1),
            SdpErrorKind::TooManyLines {
                limit: limits.max_lines,
            },
        ));
    }
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches(['\r', ' ', '\t'])))
        .filter(|(_, l)| !l.is_empty());

    let mut next = |expect: char, missing: SdpErrorKind| -> Result<(usize, &str), SdpError> {
        let (n, line) = lines.next().ok_or_else(|| {
            err(
                0,
                if expect == 'v' {
                    SdpErrorKind::Empty
                } else {
                    missing.clone()
                },
            )
        })?;
        match split_line(line) {
            Ok((t, v)) if t == expect => Ok((n, v)),
            _ => Err(err(n, missing)),
        }
    };
    let (n, v) = next('v', SdpErrorKind::BadVersion)?;
    if v != "0" {
        return Err(err(n, SdpErrorKind::BadVersion));
    }
    let (n, v) = next('o', SdpErrorKind::MissingOrigin)?;
    let origin = parse_origin(v).map_err(|k| err(n, k))?;
    let (_, v) = next('s', SdpErrorKind::MissingSessionName)?;
    let mut sdp = SessionDescription::new(origin);
    sdp.session_name = v.into();
    sdp.timing.clear();

    let mut media_lines = Vec::new();
    for (n, line) in lines {
        let (ty, v) = split_line(line).map_err(|k| err(n, k))?;
        line_into(&mut sdp, ty, v, limits)
            .map_err(|k| err(n, k))
            .map(|started_media| {
                if started_media {
                    media_lines.push(n);
                }
            })?;
    }
    if sdp.timing.is_empty() {
        sdp.timing.push(Timing::default());
    }
    if sdp.connection.is_none() {
        for (m, &n) in sdp.media.iter().zip(&media_lines) {
            if m.port != 0 && m.connections.is_empty() {
                return Err(err(n, SdpErrorKind::MissingConnection));
            }
        }
    }
    Ok(sdp)
}

/// Adds one line after `s=`; returns whether it started a media section.
fn line_into(sdp: &mut SessionDescription, ty: char, v: &str, limits: &Limits) -> Res<bool> {
    if ty == 'm' {
        if sdp.media.len() >= limits.max_media {
            return Err(SdpErrorKind::TooManyMedia {
                limit: limits.max_media,
            });
        }
        sdp.media.push(parse_media(v)?);
        return Ok(true);
    }
    if let Some(m) = sdp.media.last_mut() {
        match ty {
            'i' => set_once(&mut m.info, v.into(), ty)?,
            'c' => m.connections.push(parse_connection(v)?),
            'b' => m.bandwidths.push(parse_bandwidth(v)?),
            'k' => set_once(&mut m.key, v.into(), ty)?,
            'a' => {
                if m.attributes.len() >= limits.max_attributes {
                    return Err(SdpErrorKind::TooManyAttributes {
                        limit: limits.max_attributes,
                    });
                }
                m.attributes.push(parse_attribute(v)?);
            }
            'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => {
                return Err(SdpErrorKind::UnexpectedLine(ty));
            }
            other => return Err(SdpErrorKind::UnknownLineType(other)),
        }
        return Ok(false);
    }
    match ty {
        'i' => set_once(&mut sdp.info, v.into(), ty)?,
        'u' => set_once(&mut sdp.uri, v.into(), ty)?,
        'e' => sdp.emails.push(v.into()),
        'p' => sdp.phones.push(v.into()),
        'c' => set_once(&mut sdp.connection, parse_connection(v)?, ty)?,
        'b' => sdp.bandwidths.push(parse_bandwidth(v)?),
        't' => sdp.timing.push(parse_timing(v)?),
        'r' => match sdp.timing.last_mut() {
            Some(t) => t.repeats.push(v.into()),
            None => return Err(SdpErrorKind::BadTiming),
        },
        'z' => set_once(&mut sdp.time_zones, v.into(), ty)?,
        'k' => set_once(&mut sdp.key, v.into(), ty)?,
        'a' => {
            if sdp.attributes.len() >= limits.max_attributes {
                return Err(SdpErrorKind::TooManyAttributes {
                    limit: limits.max_attributes,
                });
            }
            sdp.attributes.push(parse_attribute(v)?);
        }
        'v' | 'o' | 's' => return Err(SdpErrorKind::UnexpectedLine(ty)),
        other => return Err(SdpErrorKind::UnknownLineType(other)),
    }
    Ok(false)
}
