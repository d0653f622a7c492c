//! The SDP writer: RFC 8866 line order, CRLF line ends.

use core::fmt;

use super::{Attribute, Bandwidth, Connection, MediaDescription, SessionDescription, Timing};

fn connection(f: &mut fmt::Formatter<'_>, c: &Connection) -> fmt::Result {
    write!(f, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)
}

fn bandwidths(f: &mut fmt::Formatter<'_>, b: &[Bandwidth]) -> fmt::Result {
    b.iter()
        .try_for_each(|b| write!(f, "b={}:{}\r\n", b.kind, b.value))
}

fn attributes(f: &mut fmt::Formatter<'_>, attrs: &[Attribute]) -> fmt::Result {
    attrs.iter().try_for_each(|a| match &a.value {
        Some(v) => write!(f, "a={}:{v}\r\n", a.name),
        None => write!(f, "a={}\r\n", a.name),
    })
}

fn opt(f: &mut fmt::Formatter<'_>, ty: char, v: &Option<String>) -> fmt::Result {
    match v {
        Some(v) => write!(f, "{ty}={v}\r\n"),
        None => Ok(()),
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        f.write_str("v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        if self.session_name.is_empty() {
            f.write_str("s= \r\n")?;
        } else {
            write!(f, "s={}\r\n", self.session_name)?;
        }
        opt(f, 'i', &self.info)?;
        opt(f, 'u', &self.uri)?;
        self.emails
            .iter()
            .try_for_each(|e| write!(f, "e={e}\r\n"))?;
        self.phones
            .iter()
            .try_for_each(|p| write!(f, "p={p}\r\n"))?;
        if let Some(c) = &self.connection {
            connection(f, c)?;
        }
        bandwidths(f, &self.bandwidths)?;
        let default = [Timing::default()];
        let timing = if self.timing.is_empty() {
            &default[..]
        } else {
            &self.timing
        };
        for t in timing {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            t.repeats.iter().try_for_each(|r| write!(f, "r={r}\r\n"))?;
        }
        opt(f, 'z', &self.time_zones)?;
        opt(f, 'k', &self.key)?;
        attributes(f, &self.attributes)?;
        self.media.iter().try_for_each(|m| write!(f, "{m}"))
    }
}

impl fmt::Display for MediaDescription {
    /// Writes the section from its `m=` line to its last `a=` line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        self.formats.iter().try_for_each(|p| write!(f, " {p}"))?;
        f.write_str("\r\n")?;
        opt(f, 'i', &self.info)?;
        self.connections.iter().try_for_each(|c| connection(f, c))?;
        bandwidths(f, &self.bandwidths)?;
        opt(f, 'k', &self.key)?;
        attributes(f, &self.attributes)
    }
}
