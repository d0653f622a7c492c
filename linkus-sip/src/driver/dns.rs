//! A small DNS client (RFC 1035) for the driver: A, AAAA and SRV (RFC 2782)
//! queries over UDP, enough for RFC 3263 server location.
//!
//! The wire format is handled by pure functions, bytes in and typed result
//! out: [`Query::to_bytes`] builds a query, [`parse_message`] decodes any
//! message (name compression included) and [`parse_response`] also checks it
//! answers a given query. Malformed input is a [`DnsError`], never a panic.
//! [`DnsClient`] sends the queries over UDP with a bounded timeout and one
//! retry; [`DnsResolver`](super::DnsResolver) builds on it.
//!
//! Not done: TCP fallback for truncated responses (reported as
//! [`DnsError::Truncated`]), EDNS(0), DNSSEC, caching, search domains.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::error::{DnsError, Error};

/// The record types this client asks for or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// IPv4 address (1).
    A,
    /// Canonical name (5); followed when looking for addresses.
    Cname,
    /// IPv6 address (28, RFC 3596).
    Aaaa,
    /// Service location (33, RFC 2782).
    Srv,
}

impl RecordType {
    /// The TYPE/QTYPE code.
    pub fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
        }
    }
}

const CLASS_IN: u16 = 1;
const FLAG_QR: u16 = 0x8000;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;
const MAX_NAME: usize = 255;
const MAX_POINTERS: usize = 64;
const MAX_CNAMES: usize = 8;

/// A query: one question, recursion desired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The message id the response must carry (pick it at random).
    pub id: u16,
    /// The name asked about (a trailing dot is allowed).
    pub name: String,
    /// What is asked.
    pub qtype: RecordType,
}

impl Query {
    /// A query of `qtype` records of `name`, with message id `id`.
    pub fn new(id: u16, name: &str, qtype: RecordType) -> Query {
        Query {
            id,
            name: name.to_owned(),
            qtype,
        }
    }

    /// The query on the wire: header (RD set, QDCOUNT 1), then the question
    /// (QCLASS IN). Fails if the name cannot be encoded.
    pub fn to_bytes(&self) -> Result<Vec<u8>, DnsError> {
        let mut out = Vec::with_capacity(18 + self.name.len());
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&FLAG_RD.to_be_bytes());
        out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        encode_name(&self.name, &mut out)?;
        out.extend_from_slice(&self.qtype.code().to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        Ok(out)
    }
}

/// Writes `name` as uncompressed labels. The name must be ASCII, with
/// labels of 1 to 63 bytes and at most 255 bytes in all on the wire.
fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || !name.is_ascii() || name.len() + 2 > MAX_NAME {
        return Err(DnsError::InvalidName);
    }
    for label in name.split('.') {
        let len = u8::try_from(label.len()).map_err(|_| DnsError::InvalidName)?;
        if len == 0 || len > 63 || label.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(DnsError::InvalidName);
        }
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// A question of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name, lowercase, without the trailing dot.
    pub name: String,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS.
    pub qclass: u16,
}

/// An SRV record's data (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among records of the same priority.
    pub weight: u16,
    /// The port of the service on the target.
    pub port: u16,
    /// The target host, lowercase, without the trailing dot; empty for `.`
    /// ("the service is not available at this domain").
    pub target: String,
}

/// A record's data, decoded for the types this client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// An alias's canonical name.
    Cname(String),
    /// A service location.
    Srv(SrvRecord),
    /// Another type (or another class than IN), not decoded.
    Other {
        /// TYPE.
        rtype: u16,
    },
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name, lowercase, without the trailing dot.
    pub name: String,
    /// CLASS.
    pub class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// A decoded DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message id.
    pub id: u16,
    /// The header flags (QR, opcode, AA, TC, RD, RA, Z, RCODE).
    pub flags: u16,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section.
    pub additional: Vec<Record>,
}

impl Message {
    /// The response code (low 4 bits of the flags).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000F) as u8
    }

    /// Addresses of `name` in the answer and additional sections, following
    /// CNAME records (at most 8): A records first, then AAAA, each in
    /// message order, without duplicates.
    pub fn addresses(&self, name: &str) -> Vec<IpAddr> {
        let names = self.aliases(name);
        let records = || self.answers.iter().chain(&self.additional);
        let mut out: Vec<IpAddr> = Vec::new();
        let v4 = records().filter_map(|r| match &r.data {
            RData::A(a) if names.contains(&r.name) => Some(IpAddr::V4(*a)),
            _ => None,
        });
        let v6 = records().filter_map(|r| match &r.data {
            RData::Aaaa(a) if names.contains(&r.name) => Some(IpAddr::V6(*a)),
            _ => None,
        });
        for ip in v4.chain(v6) {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
        out
    }

    /// The SRV records of `name` in the answer section (following CNAME
    /// records, which a compliant server does not use here), in message order.
    pub fn srv(&self, name: &str) -> Vec<SrvRecord> {
        let names = self.aliases(name);
        self.answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Srv(s) if names.contains(&r.name) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// `name` and the canonical names it leads to through CNAME records of
    /// the answer section.
    fn aliases(&self, name: &str) -> Vec<String> {
        let mut names = vec![normalize(name)];
        for _ in 0..MAX_CNAMES {
            let Some(next) = self.answers.iter().find_map(|r| match &r.data {
                RData::Cname(c) if names.contains(&r.name) && !names.contains(c) => Some(c),
                _ => None,
            }) else {
                break;
            };
            names.push(next.clone());
        }
        names
    }
}

/// A name as this module stores names: lowercase, no trailing dot.
fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn be16(msg: &[u8], pos: usize) -> Result<u16, DnsError> {
    match msg.get(pos..pos.saturating_add(2)) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(DnsError::OutOfBounds),
    }
}

fn be32(msg: &[u8], pos: usize) -> Result<u32, DnsError> {
    match msg.get(pos..pos.saturating_add(4)) {
        Some(&[a, b, c, d]) => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(DnsError::OutOfBounds),
    }
}

/// Reads the name at `start`, following compression pointers; returns it
/// (lowercase, no trailing dot, the root as "") and the offset just after
/// it where it was written.
///
/// Every pointer must point strictly before the labels that led to it (the
/// start of the name, then the previous pointer's target), so offsets
/// decrease and loops are impossible; RFC 1035 compressors only point to
/// prior occurrences anyway. Bytes other than letters, digits, `-` and `_`
/// are written `\DDD` (the presentation format's escape).
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut pos = start;
    let mut limit = start;
    let mut after: Option<usize> = None;
    let mut wire_len = 1usize;
    let mut pointers = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::OutOfBounds)?;
        match len & 0xC0 {
            0x00 if len == 0 => return Ok((name, after.unwrap_or(pos + 1))),
            0x00 => {
                let len = usize::from(len);
                let label = msg
                    .get(pos + 1..pos + 1 + len)
                    .ok_or(DnsError::OutOfBounds)?;
                wire_len += len + 1;
                if wire_len > MAX_NAME {
                    return Err(DnsError::NameTooLong);
                }
                if !name.is_empty() {
                    name.push('.');
                }
                for &b in label {
                    if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                        name.push(char::from(b.to_ascii_lowercase()));
                    } else {
                        name.push_str(&format!("\\{b:03}"));
                    }
                }
                pos += 1 + len;
            }
            0xC0 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::OutOfBounds)?;
                let target = (usize::from(len & 0x3F) << 8) | usize::from(low);
                pointers += 1;
                if target >= limit || pointers > MAX_POINTERS {
                    return Err(DnsError::PointerLoop);
                }
                after.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            _ => return Err(DnsError::BadLabel),
        }
    }
}

fn read_question(msg: &[u8], pos: usize) -> Result<(Question, usize), DnsError> {
    let (name, pos) = read_name(msg, pos)?;
    let qtype = be16(msg, pos)?;
    let qclass = be16(msg, pos + 2)?;
    Ok((
        Question {
            name,
            qtype,
            qclass,
        },
        pos + 4,
    ))
}

fn read_record(msg: &[u8], pos: usize) -> Result<(Record, usize), DnsError> {
    let (name, pos) = read_name(msg, pos)?;
    let rtype = be16(msg, pos)?;
    let class = be16(msg, pos + 2)?;
    let ttl = be32(msg, pos + 4)?;
    let rdlen = usize::from(be16(msg, pos + 8)?);
    let start = pos + 10;
    let end = start + rdlen;
    let rdata = msg.get(start..end).ok_or(DnsError::OutOfBounds)?;
    let data = match (rtype, class) {
        (1, CLASS_IN) => {
            let b: [u8; 4] = rdata.try_into().map_err(|_| DnsError::BadRecord)?;
            RData::A(Ipv4Addr::from(b))
        }
        (28, CLASS_IN) => {
            let b: [u8; 16] = rdata.try_into().map_err(|_| DnsError::BadRecord)?;
            RData::Aaaa(Ipv6Addr::from(b))
        }
        (5, CLASS_IN) => {
            let (target, after) = read_name(msg, start)?;
            if after != end {
                return Err(DnsError::BadRecord);
            }
            RData::Cname(target)
        }
        (33, CLASS_IN) => {
            if rdlen < 7 {
                return Err(DnsError::BadRecord);
            }
            let (target, after) = read_name(msg, start + 6)?;
            if after != end {
                return Err(DnsError::BadRecord);
            }
            RData::Srv(SrvRecord {
                priority: be16(msg, start)?,
                weight: be16(msg, start + 2)?,
                port: be16(msg, start + 4)?,
                target,
            })
        }
        _ => RData::Other { rtype },
    };
    Ok((
        Record {
            name,
            class,
            ttl,
            data,
        },
        end,
    ))
}

/// Decodes a DNS message: header, question, answer, authority and
/// additional sections. Bytes after the last record are ignored.
pub fn parse_message(msg: &[u8]) -> Result<Message, DnsError> {
    let id = be16(msg, 0)?;
    let flags = be16(msg, 2)?;
    let counts = [be16(msg, 4)?, be16(msg, 6)?, be16(msg, 8)?, be16(msg, 10)?];
    let mut pos = 12;
    // No capacity from the counts: they are untrusted, and every entry
    // consumes bytes, so a lying count ends in OutOfBounds.
    let mut questions = Vec::new();
    for _ in 0..counts[0] {
        let (q, next) = read_question(msg, pos)?;
        questions.push(q);
        pos = next;
    }
    let mut sections: [Vec<Record>; 3] = Default::default();
    for (section, &count) in sections.iter_mut().zip(&counts[1..]) {
        for _ in 0..count {
            let (r, next) = read_record(msg, pos)?;
            section.push(r);
            pos = next;
        }
    }
    let [answers, authority, additional] = sections;
    Ok(Message {
        id,
        flags,
        questions,
        answers,
        authority,
        additional,
    })
}

/// Decodes `msg` as the response to `query`: the id must match, the QR bit
/// be set with opcode QUERY, the TC bit clear, the question be the query's
/// (name case-insensitively, type, class IN), and the RCODE 0
/// (3 is [`DnsError::NxDomain`], others [`DnsError::Rcode`]). An error
/// response without a question section is accepted as that error.
pub fn parse_response(msg: &[u8], query: &Query) -> Result<Message, DnsError> {
    let id = be16(msg, 0)?;
    if id != query.id {
        return Err(DnsError::IdMismatch {
            expected: query.id,
            got: id,
        });
    }
    let flags = be16(msg, 2)?;
    if flags & FLAG_QR == 0 || (flags >> 11) & 0xF != 0 {
        return Err(DnsError::NotAResponse);
    }
    if flags & FLAG_TC != 0 {
        return Err(DnsError::Truncated);
    }
    let m = parse_message(msg)?;
    let rcode = m.rcode();
    let asked = |q: &Question| {
        q.name == normalize(&query.name) && q.qtype == query.qtype.code() && q.qclass == CLASS_IN
    };
    let question_ok = match m.questions.as_slice() {
        [q] => asked(q),
        [] => rcode != 0,
        _ => false,
    };
    if !question_ok {
        return Err(DnsError::QuestionMismatch);
    }
    match rcode {
        0 => Ok(m),
        3 => Err(DnsError::NxDomain),
        r => Err(DnsError::Rcode(r)),
    }
}

/// Nameservers of a `resolv.conf` text: the `nameserver` lines, port 53.
/// Comments (`#`, `;`) are skipped, and so are IPv6 addresses with a scope
/// name (`fe80::1%eth0`); a numeric scope (`%2`) is kept.
pub fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(addr) = words.next() else {
            continue;
        };
        let parsed = match addr.split_once('%') {
            None => addr
                .parse::<IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, 53)),
            Some((ip, scope)) => match (ip.parse::<Ipv6Addr>(), scope.parse::<u32>()) {
                (Ok(ip), Ok(scope)) => Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                    ip, 53, 0, scope,
                ))),
                _ => None,
            },
        };
        out.extend(parsed);
    }
    out
}

/// One step of splitmix64: a small, well-mixed generator for query ids and
/// SRV weighted selection (not for cryptography).
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Orders SRV records for trying (RFC 2782): by priority, lowest first;
/// within a priority, by the RFC's weighted random selection (records of
/// weight 0 first, then repeatedly pick the first record whose running
/// weight sum reaches a random number in `0..=total`), drawing from a
/// generator seeded with `seed`. The same records and seed give the same
/// order; when every weight of a priority is 0, their message order is kept.
pub fn order_srv(records: Vec<SrvRecord>, seed: u64) -> Vec<SrvRecord> {
    let mut state = seed;
    let mut records = records;
    records.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(records.len());
    let mut rest = records.as_slice();
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|r| r.priority == first.priority)
            .count();
        let (group, tail) = rest.split_at(same);
        let mut group: Vec<&SrvRecord> = group.iter().filter(|r| r.weight == 0).collect();
        group.extend(rest[..same].iter().filter(|r| r.weight != 0));
        while !group.is_empty() {
            let total: u64 = group.iter().map(|r| u64::from(r.weight)).sum();
            let pick = splitmix64(&mut state) % (total + 1);
            let mut sum = 0u64;
            let index = group
                .iter()
                .position(|r| {
                    sum += u64::from(r.weight);
                    sum >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(index).clone());
        }
        rest = tail;
    }
    out
}

/// A DNS client over UDP.
///
/// Each try goes to a fresh socket on an ephemeral port, connected to the
/// nameserver (so datagrams from elsewhere are dropped), with a fresh
/// pseudo-random id; responses with another id or question are ignored
/// until the try's timeout. The nameservers are tried in order, and the
/// whole round once more (`attempts`, default 2: one retry). A lookup thus
/// takes at most `timeout × attempts × nameservers`.
#[derive(Debug)]
pub struct DnsClient {
    nameservers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: u32,
    ids: AtomicU64,
}

impl DnsClient {
    /// A client asking `nameservers`, with a 2 s timeout per try and 2 attempts.
    pub fn new(nameservers: Vec<SocketAddr>) -> DnsClient {
        DnsClient {
            nameservers,
            timeout: Duration::from_secs(2),
            attempts: 2,
            ids: AtomicU64::new(super::random_seed()),
        }
    }

    /// A client asking the nameservers of `/etc/resolv.conf`, or
    /// 127.0.0.1:53 when there is none (as the C library does). Its
    /// `options` (timeout, attempts, rotate) are not read.
    pub fn from_resolv_conf() -> DnsClient {
        let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let mut ns = parse_resolv_conf(&text);
        if ns.is_empty() {
            ns.push(SocketAddr::from(([127, 0, 0, 1], 53)));
        }
        DnsClient::new(ns)
    }

    /// How long one try waits for its response (at least 1 ms, at most 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> DnsClient {
        self.timeout = timeout.clamp(Duration::from_millis(1), Duration::from_secs(30));
        self
    }

    /// Rounds over the nameservers (1 to 5; default 2, one retry).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> DnsClient {
        self.attempts = attempts.clamp(1, 5);
        self
    }

    /// Seeds the query ids (random by default), for reproducible tests.
    #[must_use]
    pub fn seed(self, seed: u64) -> DnsClient {
        self.ids.store(seed, Ordering::Relaxed);
        self
    }

    /// The nameservers asked, in order.
    pub fn nameservers(&self) -> &[SocketAddr] {
        &self.nameservers
    }

    fn next_id(&self) -> u16 {
        let mut s = self.ids.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        (splitmix64(&mut s) >> 48) as u16
    }

    /// Asks for `qtype` records of `name`. NXDOMAIN and truncated
    /// responses end the lookup at once; timeouts, socket errors, error
    /// RCODEs and malformed responses move on to the next nameserver or
    /// attempt, and the last such error is returned when all fail.
    pub async fn query(&self, name: &str, qtype: RecordType) -> Result<Message, Error> {
        let query = Query::new(self.next_id(), name, qtype);
        let bytes = query.to_bytes().map_err(Error::Dns)?;
        let mut last = Error::Dns(DnsError::NoNameserver);
        for _ in 0..self.attempts {
            for ns in &self.nameservers {
                match self.try_one(*ns, &bytes, &query).await {
                    Ok(m) => return Ok(m),
                    Err(e @ Error::Dns(DnsError::NxDomain | DnsError::Truncated)) => {
                        return Err(e);
                    }
                    Err(e) => last = e,
                }
            }
        }
        Err(last)
    }

    async fn try_one(&self, ns: SocketAddr, bytes: &[u8], query: &Query) -> Result<Message, Error> {
        let io = |e: std::io::Error| Error::Io(e.kind());
        let local: SocketAddr = if ns.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).await.map_err(io)?;
        socket.connect(ns).await.map_err(io)?;
        socket.send(bytes).await.map_err(io)?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut buf = vec![0u8; 65_535];
        loop {
            let n = tokio::time::timeout_at(deadline, socket.recv(&mut buf))
                .await
                .map_err(|_| Error::Dns(DnsError::Timeout))?
                .map_err(io)?;
            match parse_response(&buf[..n], query) {
                // Not ours (stale, or spoofed): keep waiting.
                Err(
                    DnsError::IdMismatch { .. }
                    | DnsError::NotAResponse
                    | DnsError::QuestionMismatch,
                ) => {}
                other => return other.map_err(Error::Dns),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response header: id, flags, counts.
    fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&flags.to_be_bytes());
        for c in counts {
            v.extend_from_slice(&c.to_be_bytes());
        }
        v
    }

    fn labels(name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode_name(name, &mut v).unwrap();
        v
    }

    fn rr(name: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut v = name.to_vec();
        v.extend_from_slice(&rtype.to_be_bytes());
        v.extend_from_slice(&CLASS_IN.to_be_bytes());
        v.extend_from_slice(&300u32.to_be_bytes());
        v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        v.extend_from_slice(rdata);
        v
    }

    fn srv_rdata(priority: u16, weight: u16, port: u16, target: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [priority, weight, port] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v.extend_from_slice(target);
        v
    }

    const SRV_NAME: &str = "_sip._udp.example.test";

    /// A response to `Query::new(0x1234, SRV_NAME, Srv)`: two SRV records
    /// (owner = pointer to the question), the second's target compressed
    /// onto the first's, and the targets' A/AAAA records in the additional
    /// section (owners = pointers into the SRV RDATA).
    fn srv_response() -> Vec<u8> {
        let mut m = header(0x1234, 0x8180, [1, 2, 0, 3]);
        m.extend(labels(SRV_NAME));
        m.extend_from_slice(&[0, 33, 0, 1]);
        // First answer: target "a.example.test" written as "a" + pointer to
        // "example.test" in the question (offset 12 + 5 + 5 = 22).
        let first = m.len();
        let mut t1 = vec![1, b'a'];
        t1.extend_from_slice(&[0xC0, 22]);
        m.extend(rr(&[0xC0, 12], 33, &srv_rdata(20, 5, 5070, &t1)));
        let t1_at = (first + 2 + 10 + 6) as u8;
        // Second answer: target "b.example.test" = "b" + pointer to 22.
        let second = m.len();
        m.extend(rr(
            &[0xC0, 12],
            33,
            &srv_rdata(10, 0, 5060, &[1, b'b', 0xC0, 22]),
        ));
        let t2_at = (second + 2 + 10 + 6) as u8;
        m.extend(rr(&[0xC0, t1_at], 1, &[192, 0, 2, 1]));
        m.extend(rr(&[0xC0, t2_at], 1, &[192, 0, 2, 2]));
        m.extend(rr(&[0xC0, t2_at], 28, &Ipv6Addr::LOCALHOST.octets()));
        m
    }

    #[test]
    fn query_bytes() {
        let q = Query::new(0xBEEF, "_sip._udp.Example.test.", RecordType::Srv);
        let mut want = vec![0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"\x04_sip\x04_udp\x07Example\x04test\x00");
        want.extend_from_slice(&[0, 33, 0, 1]);
        assert_eq!(q.to_bytes().unwrap(), want);
        let a = Query::new(1, "h", RecordType::A).to_bytes().unwrap();
        assert_eq!(&a[12..], b"\x01h\x00\x00\x01\x00\x01");
        let aaaa = Query::new(1, "h", RecordType::Aaaa).to_bytes().unwrap();
        assert_eq!(&aaaa[aaaa.len() - 4..], &[0, 28, 0, 1]);
    }

    #[test]
    fn invalid_names_are_refused() {
        let long_label = "a".repeat(64);
        let long_name = vec!["abcdefgh"; 30].join(".");
        for name in [
            "",
            ".",
            "a..b",
            "é.test",
            "a b.test",
            &long_label,
            &long_name,
        ] {
            assert_eq!(
                Query::new(1, name, RecordType::A).to_bytes(),
                Err(DnsError::InvalidName),
                "{name:?}"
            );
        }
        assert!(
            Query::new(1, &"a".repeat(63), RecordType::A)
                .to_bytes()
                .is_ok()
        );
    }

    #[test]
    fn parses_srv_with_compression_and_glue() {
        let q = Query::new(0x1234, "_SIP._udp.example.test.", RecordType::Srv);
        let m = parse_response(&srv_response(), &q).unwrap();
        assert_eq!(
            m.srv(SRV_NAME),
            vec![
                SrvRecord {
                    priority: 20,
                    weight: 5,
                    port: 5070,
                    target: "a.example.test".into()
                },
                SrvRecord {
                    priority: 10,
                    weight: 0,
                    port: 5060,
                    target: "b.example.test".into()
                },
            ]
        );
        assert_eq!(
            m.addresses("a.example.test"),
            vec![IpAddr::from([192, 0, 2, 1])]
        );
        assert_eq!(
            m.addresses("B.example.test."),
            vec![
                IpAddr::from([192, 0, 2, 2]),
                IpAddr::from(Ipv6Addr::LOCALHOST)
            ]
        );
        assert_eq!(m.additional[0].name, "a.example.test");
        assert_eq!(m.additional[0].ttl, 300);
    }

    #[test]
    fn follows_cnames_for_addresses() {
        let mut m = header(7, 0x8180, [1, 2, 0, 0]);
        m.extend(labels("sip.example.test"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        let cname_rdata_at = (m.len() + 2 + 10) as u8;
        m.extend(rr(&[0xC0, 12], 5, &labels("real.example.test")));
        m.extend(rr(&[0xC0, cname_rdata_at], 1, &[10, 0, 0, 1]));
        let r = parse_response(&m, &Query::new(7, "sip.example.test", RecordType::A)).unwrap();
        assert_eq!(r.answers[0].data, RData::Cname("real.example.test".into()));
        assert_eq!(
            r.addresses("sip.example.test"),
            vec![IpAddr::from([10, 0, 0, 1])]
        );
        assert_eq!(r.addresses("other.test"), Vec::<IpAddr>::new());
    }

    #[test]
    fn pointer_loops_are_errors() {
        // The answer's owner points to itself.
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        m.extend_from_slice(&[0xC0, 12]);
        m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        assert_eq!(parse_message(&m), Err(DnsError::PointerLoop));
        // Two names pointing at each other: "a" + ptr(16) at 12, "b" + ptr(12) at 16.
        let mut m = header(1, 0x8180, [2, 0, 0, 0]);
        m.extend_from_slice(&[1, b'a', 0xC0, 16]);
        m.extend_from_slice(&[1, b'b', 0xC0, 12]);
        assert_eq!(parse_message(&m), Err(DnsError::PointerLoop));
        // A label, then a pointer back to that same label.
        let mut m = header(1, 0x8180, [1, 0, 0, 0]);
        m.extend_from_slice(&[1, b'a', 0xC0, 12, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::PointerLoop));
        // A pointer past the end.
        let mut m = header(1, 0x8180, [1, 0, 0, 0]);
        m.extend_from_slice(&[0xFF, 0xFF, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::PointerLoop));
    }

    #[test]
    fn bad_labels_and_long_names_are_errors() {
        let mut m = header(1, 0x8180, [1, 0, 0, 0]);
        m.extend_from_slice(&[0x40, 0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::BadLabel));
        // 5 × 63-byte labels: 320 bytes on the wire.
        let mut m = header(1, 0x8180, [1, 0, 0, 0]);
        for _ in 0..5 {
            m.push(63);
            m.extend_from_slice(&[b'x'; 63]);
        }
        m.extend_from_slice(&[0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Err(DnsError::NameTooLong));
        // Odd bytes in a label are escaped, not trusted.
        let mut m = header(1, 0x8180, [1, 0, 0, 0]);
        m.extend_from_slice(&[3, b'a', b'.', 0xFF, 0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m).unwrap().questions[0].name, "a\\046\\255");
    }

    #[test]
    fn truncated_messages_are_out_of_bounds() {
        let full = srv_response();
        for len in 0..full.len() {
            assert_eq!(
                parse_message(&full[..len]),
                Err(DnsError::OutOfBounds),
                "cut at {len}"
            );
        }
        // A count larger than the records present.
        let mut m = srv_response();
        m[7] = 3;
        assert_eq!(parse_message(&m), Err(DnsError::OutOfBounds));
    }

    #[test]
    fn bad_rdata_is_an_error() {
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        m.extend(rr(&labels("h.test"), 1, &[1, 2, 3]));
        assert_eq!(parse_message(&m), Err(DnsError::BadRecord));
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        m.extend(rr(&labels("h.test"), 33, &[0, 1, 0, 1]));
        assert_eq!(parse_message(&m), Err(DnsError::BadRecord));
        // SRV target longer than its RDATA says.
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        let mut rd = srv_rdata(1, 1, 1, &labels("t.test"));
        rd.push(0);
        m.extend(rr(&labels("h.test"), 33, &rd));
        assert_eq!(parse_message(&m), Err(DnsError::BadRecord));
        // Unknown types are skipped by length.
        let mut m = header(1, 0x8180, [0, 1, 0, 0]);
        m.extend(rr(&labels("h.test"), 16, b"\x03txt"));
        assert_eq!(
            parse_message(&m).unwrap().answers[0].data,
            RData::Other { rtype: 16 }
        );
    }

    #[test]
    fn response_checks() {
        let q = Query::new(0x1234, SRV_NAME, RecordType::Srv);
        let ok = srv_response();
        let mut wrong_id = ok.clone();
        wrong_id[1] = 0x35;
        assert_eq!(
            parse_response(&wrong_id, &q),
            Err(DnsError::IdMismatch {
                expected: 0x1234,
                got: 0x1235
            })
        );
        let mut query_bit = ok.clone();
        query_bit[2] &= 0x7F;
        assert_eq!(parse_response(&query_bit, &q), Err(DnsError::NotAResponse));
        let mut tc = ok.clone();
        tc[2] |= 0x02;
        assert_eq!(parse_response(&tc, &q), Err(DnsError::Truncated));
        let other = Query::new(0x1234, "_sip._tcp.example.test", RecordType::Srv);
        assert_eq!(parse_response(&ok, &other), Err(DnsError::QuestionMismatch));
        let other = Query::new(0x1234, SRV_NAME, RecordType::A);
        assert_eq!(parse_response(&ok, &other), Err(DnsError::QuestionMismatch));
        // NXDOMAIN with the question; SERVFAIL without one.
        let mut nx = header(0x1234, 0x8183, [1, 0, 0, 0]);
        nx.extend(labels(SRV_NAME));
        nx.extend_from_slice(&[0, 33, 0, 1]);
        assert_eq!(parse_response(&nx, &q), Err(DnsError::NxDomain));
        let servfail = header(0x1234, 0x8182, [0, 0, 0, 0]);
        assert_eq!(parse_response(&servfail, &q), Err(DnsError::Rcode(2)));
        // NOERROR without a question is not an answer to ours.
        let empty = header(0x1234, 0x8180, [0, 0, 0, 0]);
        assert_eq!(parse_response(&empty, &q), Err(DnsError::QuestionMismatch));
        // NODATA: no records, no error.
        let mut nodata = header(0x1234, 0x8180, [1, 0, 0, 0]);
        nodata.extend(labels(SRV_NAME));
        nodata.extend_from_slice(&[0, 33, 0, 1]);
        assert_eq!(parse_response(&nodata, &q).unwrap().srv(SRV_NAME), vec![]);
    }

    #[test]
    fn mangled_responses_never_panic() {
        let base = srv_response();
        let mut state = 42u64;
        for _ in 0..20_000 {
            let mut m = base.clone();
            let r = splitmix64(&mut state);
            for k in 0..(r % 4 + 1) {
                let x = splitmix64(&mut state);
                let i = (x as usize) % m.len();
                m[i] = (x >> 32) as u8 ^ (k as u8);
            }
            if r & 0x10 != 0 {
                m.truncate((r >> 8) as usize % (m.len() + 1));
            }
            let _ = parse_message(&m);
            let _ = parse_response(&m, &Query::new(0x1234, SRV_NAME, RecordType::Srv));
        }
    }

    fn srv(priority: u16, weight: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port: 5060,
            target: target.into(),
        }
    }

    #[test]
    fn srv_order_is_priority_then_weighted() {
        let records = vec![
            srv(20, 0, "c"),
            srv(10, 0, "a"),
            srv(30, 0, "d"),
            srv(10, 0, "b"),
        ];
        let targets = |v: Vec<SrvRecord>| v.into_iter().map(|r| r.target).collect::<Vec<_>>();
        // All weights 0: message order within a priority.
        assert_eq!(targets(order_srv(records, 1)), ["a", "b", "c", "d"]);
        // Same seed, same order.
        let weighted = vec![srv(1, 10, "x"), srv(1, 90, "y"), srv(0, 5, "first")];
        assert_eq!(
            order_srv(weighted.clone(), 9),
            order_srv(weighted.clone(), 9)
        );
        // The heavier record comes first about 90 % of the time.
        let mut y_first = 0;
        for seed in 0..1000 {
            let o = order_srv(weighted.clone(), seed);
            assert_eq!(o[0].target, "first");
            assert_eq!(o.len(), 3);
            if o[1].target == "y" {
                y_first += 1;
            }
        }
        assert!((850..=950).contains(&y_first), "{y_first}");
    }

    #[test]
    fn resolv_conf() {
        let text = "# comment\nsearch example.test\nnameserver 10.0.0.1\n\
                    nameserver 2001:db8::53 # v6\n  nameserver\t192.0.2.53\n\
                    ;nameserver 10.9.9.9\nnameserver fe80::1%eth0\nnameserver fe80::1%2\n\
                    nameserver bogus\noptions timeout:1\n";
        let ns = parse_resolv_conf(text);
        assert_eq!(
            ns,
            vec![
                "10.0.0.1:53".parse::<SocketAddr>().unwrap(),
                "[2001:db8::53]:53".parse().unwrap(),
                "192.0.2.53:53".parse().unwrap(),
                "[fe80::1%2]:53".parse().unwrap(),
            ]
        );
    }
}
