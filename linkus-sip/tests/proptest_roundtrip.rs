//! Property tests of the message layer on generated messages.
//!
//! The strategies build a *model* of a valid message (request or response,
//! methods including extension tokens, sip/sips/tel URIs with user,
//! password, escapes and parameters, Via lists, From/To with quoted or token
//! display names and tags, CSeq, Call-ID, Contact with q/expires, unknown
//! headers, compact and case-varied header names, LWS and `\r\n ` folding
//! wherever the grammar allows it, bodies with Content-Length), render it to
//! wire bytes and check:
//!
//! * (a) `Message::parse` and `Message::check` accept it;
//! * (b) the typed values read back equal the model's;
//! * (c) `parse(to_bytes(m)) == m`, `to_bytes` is stable, and a
//!   `StreamFramer` fed the bytes in random reads yields `m`;
//! * (d) arbitrary bytes and mutated messages (truncation, bit flips,
//!   insertions, deletions) never panic `parse`, `check` or the framer, and
//!   whatever of them parses round-trips too.
//!
//! The case counts are small so that the suite runs in seconds in debug
//! builds; set `PROPTEST_CASES` to run more.

use std::net::{Ipv4Addr, Ipv6Addr};

use linkus_sip::message::typed::{self, Contact, NameAddr, Transport, Via};
use linkus_sip::message::{
    Framed, Host, Limits, Message, Params, SipUri, StatusCode, StreamFramer, TelUri, Uri,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------
// Model

#[derive(Debug, Clone)]
enum GHost {
    Domain(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl GHost {
    fn render(&self) -> String {
        match self {
            GHost::Domain(d) => d.clone(),
            GHost::V4(a) => a.to_string(),
            GHost::V6(a) => format!("[{a}]"),
        }
    }
    fn expected(&self) -> Host {
        match self {
            GHost::Domain(d) => Host::Domain(d.clone()),
            GHost::V4(a) => Host::Ipv4(*a),
            GHost::V6(a) => Host::Ipv6(*a),
        }
    }
}

type GParams = Vec<(String, Option<String>)>;

fn params_of(list: &GParams) -> Params {
    let mut p = Params::default();
    for (n, v) in list {
        p.push(n, v.as_deref());
    }
    p
}

#[derive(Debug, Clone)]
enum GUri {
    Sip {
        secure: bool,
        user: Option<String>,
        password: Option<String>,
        host: GHost,
        port: Option<u16>,
        params: GParams,
    },
    Tel {
        number: String,
        params: GParams,
    },
}

impl GUri {
    fn render(&self) -> String {
        let mut s = String::new();
        match self {
            GUri::Sip {
                secure,
                user,
                password,
                host,
                port,
                params,
            } => {
                s.push_str(if *secure { "sips:" } else { "sip:" });
                if let Some(u) = user {
                    s.push_str(u);
                    if let Some(p) = password {
                        s.push(':');
                        s.push_str(p);
                    }
                    s.push('@');
                }
                s.push_str(&host.render());
                if let Some(p) = port {
                    s.push_str(&format!(":{p}"));
                }
                render_uri_params(&mut s, params);
            }
            GUri::Tel { number, params } => {
                s.push_str("tel:");
                s.push_str(number);
                render_uri_params(&mut s, params);
            }
        }
        s
    }

    fn expected(&self) -> Uri {
        match self {
            GUri::Sip {
                secure,
                user,
                password,
                host,
                port,
                params,
            } => {
                let mut u = SipUri::new(host.expected());
                u.secure = *secure;
                u.user = user.clone();
                u.password = password.clone();
                u.port = *port;
                u.params = params_of(params);
                Uri::Sip(u)
            }
            GUri::Tel { number, params } => Uri::Tel(TelUri {
                number: number.clone(),
                params: params_of(params),
            }),
        }
    }

    /// Usable as an addr-spec (without `<>`) in From/To/Contact.
    fn plain(&self) -> bool {
        !self.render().contains([';', '?', ','])
    }
}

fn render_uri_params(s: &mut String, params: &GParams) {
    for (n, v) in params {
        s.push(';');
        s.push_str(n);
        if let Some(v) = v {
            s.push('=');
            s.push_str(v);
        }
    }
}

#[derive(Debug, Clone)]
enum GDisplay {
    /// Quoted; `escape_more` also escapes ordinary characters (`\a`).
    Quoted { text: String, escape_more: bool },
    /// `token *(LWS token)`.
    Tokens(Vec<String>),
}

#[derive(Debug, Clone)]
struct GNameAddr {
    display: Option<GDisplay>,
    uri: GUri,
    /// Use `<>` (forced when there is a display name or the URI is not plain).
    angle: bool,
    /// Header parameters, as written.
    params: GParams,
}

impl GNameAddr {
    fn angle(&self) -> bool {
        self.angle || self.display.is_some() || !self.uri.plain()
    }

    fn render(&self, ws: &mut Ws) -> String {
        let mut s = String::new();
        match &self.display {
            None => {}
            Some(GDisplay::Quoted { text, escape_more }) => {
                s.push('"');
                for (i, c) in text.chars().enumerate() {
                    if c == '"' || c == '\\' || (*escape_more && c.is_ascii() && i % 3 == 0) {
                        s.push('\\');
                    }
                    s.push(c);
                }
                s.push('"');
                s.push_str(ws.any());
            }
            Some(GDisplay::Tokens(words)) => {
                s.push_str(&words.join(" "));
                s.push_str(ws.any());
            }
        }
        if self.angle() {
            s.push('<');
            s.push_str(&self.uri.render());
            s.push('>');
        } else {
            s.push_str(&self.uri.render());
        }
        render_header_params(&mut s, &self.params, ws);
        s
    }

    fn expected(&self) -> NameAddr {
        let display_name = match &self.display {
            None => None,
            Some(GDisplay::Quoted { text, .. }) => Some(text.clone()),
            Some(GDisplay::Tokens(w)) => Some(w.join(" ")),
        };
        NameAddr {
            display_name,
            uri: self.uri.expected(),
            params: params_of(&self.params),
        }
    }
}

/// `*( SEMI generic-param )` with LWS around `;` and `=`.
fn render_header_params(s: &mut String, params: &GParams, ws: &mut Ws) {
    for (n, v) in params {
        s.push_str(ws.any());
        s.push(';');
        s.push_str(ws.any());
        s.push_str(n);
        if let Some(v) = v {
            s.push_str(ws.any());
            s.push('=');
            s.push_str(ws.any());
            s.push_str(v);
        }
    }
}

#[derive(Debug, Clone)]
struct GVia {
    transport: &'static str,
    host: GHost,
    port: Option<u16>,
    params: GParams,
}

impl GVia {
    fn render(&self, ws: &mut Ws) -> String {
        let mut s = format!(
            "SIP{}/{}2.0{}/{}{}{}{}",
            ws.any(),
            ws.any(),
            ws.any(),
            ws.any(),
            self.transport,
            ws.some(),
            self.host.render()
        );
        if let Some(p) = self.port {
            s.push_str(&format!("{}:{}{p}", ws.any(), ws.any()));
        }
        render_header_params(&mut s, &self.params, ws);
        s
    }

    fn expected(&self) -> Via {
        Via {
            protocol: "SIP".into(),
            version: "2.0".into(),
            transport: Transport::parse(self.transport).expect("a token"),
            host: self.host.expected(),
            port: self.port,
            params: params_of(&self.params),
        }
    }

    fn branch(&self) -> &str {
        self.params[0].1.as_deref().expect("branch has a value")
    }
}

#[derive(Debug, Clone)]
enum GContact {
    Star,
    Addr {
        addr: GNameAddr,
        /// thousandths, and how to write it (digits after the point).
        q: Option<(u16, usize)>,
        expires: Option<u32>,
    },
}

impl GContact {
    fn render(&self, ws: &mut Ws) -> String {
        match self {
            GContact::Star => "*".into(),
            GContact::Addr { addr, .. } => addr.render(ws),
        }
    }
}

fn render_q(t: u16, digits: usize) -> String {
    if t == 1000 {
        return ["1", "1.0", "1.00", "1.000"][digits.min(3)].to_owned();
    }
    let frac = format!("{t:03}");
    let needed = frac.trim_end_matches('0').len();
    let n = digits.clamp(needed, 3);
    if n == 0 {
        if digits == 0 { "0" } else { "0." }.to_owned()
    } else {
        format!("0.{}", &frac[..n])
    }
}

#[derive(Debug, Clone)]
enum GStart {
    Request { method: String, uri: GUri },
    Response { code: u16, reason: String },
}

#[derive(Debug, Clone)]
struct GMessage {
    start: GStart,
    vias: Vec<GVia>,
    vias_on_one_line: bool,
    from: GNameAddr,
    to: GNameAddr,
    call_id: String,
    cseq: u32,
    cseq_method: String,
    max_forwards: Option<u8>,
    contacts: Vec<GContact>,
    unknown: Vec<(String, String)>,
    body: Vec<u8>,
    with_content_type: bool,
    /// Per header: compact form if any, name case, whitespace before ':'.
    name_style: Vec<u8>,
    /// Order of the header lines.
    shuffle: u64,
    ws: Vec<u8>,
}

/// A source of LWS choices drawn by the strategy.
struct Ws {
    choices: Vec<u8>,
    i: usize,
}

const LWS: [&str; 8] = ["", "", " ", "  ", "\t", "\r\n ", "\r\n\t", " \r\n  "];

impl Ws {
    fn next(&mut self) -> u8 {
        let c = self.choices.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        c
    }
    /// Optional LWS (`SWS`).
    fn any(&mut self) -> &'static str {
        LWS[usize::from(self.next()) % LWS.len()]
    }
    /// Required LWS.
    fn some(&mut self) -> &'static str {
        LWS[2 + usize::from(self.next()) % (LWS.len() - 2)]
    }
    /// One SP, or a fold: what unfolds to exactly one SP.
    fn space_or_fold(&mut self) -> &'static str {
        [" ", "\r\n ", "\r\n\t", " \r\n  "][usize::from(self.next()) % 4]
    }
    /// After the colon (folding right after it is allowed too).
    fn after_colon(&mut self) -> &'static str {
        self.any()
    }
}

impl GMessage {
    fn is_request(&self) -> bool {
        matches!(self.start, GStart::Request { .. })
    }

    fn name(&self, idx: usize, long: &str, compact: Option<&str>) -> String {
        let style = self.name_style.get(idx).copied().unwrap_or(0);
        let base = match compact {
            Some(c) if style & 1 == 1 => c.to_owned(),
            _ => long.to_owned(),
        };
        let base = match style >> 1 & 3 {
            1 => base.to_ascii_lowercase(),
            2 => base.to_ascii_uppercase(),
            _ => base,
        };
        let before_colon = match style >> 3 & 3 {
            1 => " ",
            2 => "\t",
            _ => "",
        };
        format!("{base}{before_colon}:")
    }

    fn render(&self) -> Vec<u8> {
        let mut ws = Ws {
            choices: self.ws.clone(),
            i: 0,
        };
        let mut out = String::new();
        match &self.start {
            GStart::Request { method, uri } => {
                out.push_str(&format!("{method} {} SIP/2.0\r\n", uri.render()));
            }
            GStart::Response { code, reason } => {
                out.push_str(&format!("SIP/2.0 {code} {reason}\r\n"));
            }
        }
        // Header groups; a group is kept together (Via order matters).
        let mut groups: Vec<String> = Vec::new();
        let line = |name: String, value: String, ws: &mut Ws| {
            format!("{name}{}{value}\r\n", ws.after_colon())
        };
        let mut via_block = String::new();
        if self.vias_on_one_line {
            let values: Vec<String> = self.vias.iter().map(|v| v.render(&mut ws)).collect();
            let mut joined = String::new();
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    joined.push_str(ws.any());
                    joined.push(',');
                    joined.push_str(ws.any());
                }
                joined.push_str(v);
            }
            via_block.push_str(&line(self.name(0, "Via", Some("v")), joined, &mut ws));
        } else {
            for v in &self.vias {
                let value = v.render(&mut ws);
                via_block.push_str(&line(self.name(0, "Via", Some("v")), value, &mut ws));
            }
        }
        groups.push(via_block);
        let from = self.from.render(&mut ws);
        groups.push(line(self.name(1, "From", Some("f")), from, &mut ws));
        let to = self.to.render(&mut ws);
        groups.push(line(self.name(2, "To", Some("t")), to, &mut ws));
        groups.push(line(
            self.name(3, "Call-ID", Some("i")),
            self.call_id.clone(),
            &mut ws,
        ));
        let cseq = format!("{}{}{}", self.cseq, ws.some(), self.cseq_method);
        groups.push(line(self.name(4, "CSeq", None), cseq, &mut ws));
        if let Some(mf) = self.max_forwards {
            groups.push(line(
                self.name(5, "Max-Forwards", None),
                mf.to_string(),
                &mut ws,
            ));
        }
        if !self.contacts.is_empty() {
            let mut joined = String::new();
            for (i, c) in self.contacts.iter().enumerate() {
                if i > 0 {
                    joined.push_str(ws.any());
                    joined.push(',');
                    joined.push_str(ws.any());
                }
                joined.push_str(&c.render(&mut ws));
            }
            groups.push(line(self.name(6, "Contact", Some("m")), joined, &mut ws));
        }
        for (name, value) in &self.unknown {
            // Fold at some of the single spaces between words.
            let mut folded = String::new();
            for (i, word) in value.split(' ').enumerate() {
                if i > 0 {
                    folded.push_str(ws.space_or_fold());
                }
                folded.push_str(word);
            }
            groups.push(line(format!("{name}:"), folded, &mut ws));
        }
        if self.with_content_type {
            groups.push(line(
                self.name(7, "Content-Type", Some("c")),
                "application/sdp".into(),
                &mut ws,
            ));
        }
        groups.push(line(
            self.name(8, "Content-Length", Some("l")),
            self.body.len().to_string(),
            &mut ws,
        ));
        shuffle(&mut groups, self.shuffle);
        for g in groups {
            out.push_str(&g);
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// (b): the typed values read back equal the model's.
    fn check_fields(&self, m: &Message) -> Result<(), TestCaseError> {
        match (&self.start, m) {
            (GStart::Request { method, uri }, Message::Request(r)) => {
                prop_assert_eq!(r.method.as_str(), method.as_str());
                prop_assert_eq!(&r.uri, &uri.expected());
                prop_assert_eq!(r.uri.to_string(), uri.render());
            }
            (GStart::Response { code, reason }, Message::Response(r)) => {
                prop_assert_eq!(r.status, StatusCode(*code));
                prop_assert_eq!(&r.reason, reason);
            }
            _ => prop_assert!(false, "request/response mixed up"),
        }
        let h = m.headers();
        let vias = h.typed_all::<Via>().map_err(fail)?;
        let expected: Vec<Via> = self.vias.iter().map(GVia::expected).collect();
        prop_assert_eq!(&vias, &expected);
        let top = h.typed_first::<Via>().map_err(fail)?.expect("a Via");
        prop_assert_eq!(top.branch(), Some(self.vias[0].branch()));
        let from = h.typed::<typed::From>().map_err(fail)?.expect("From");
        prop_assert_eq!(&from.0, &self.from.expected());
        let want_from = self.from.expected();
        prop_assert_eq!(from.tag(), want_from.tag());
        let to = h.typed::<typed::To>().map_err(fail)?.expect("To");
        prop_assert_eq!(&to.0, &self.to.expected());
        let call_id = h.typed::<typed::CallId>().map_err(fail)?.expect("Call-ID");
        prop_assert_eq!(&call_id.0, &self.call_id);
        let cseq = h.typed::<typed::CSeq>().map_err(fail)?.expect("CSeq");
        prop_assert_eq!(cseq.seq, self.cseq);
        prop_assert_eq!(cseq.method.as_str(), self.cseq_method.as_str());
        let mf = h.typed::<typed::MaxForwards>().map_err(fail)?;
        prop_assert_eq!(mf.map(|m| m.0), self.max_forwards);
        let contacts = h.typed_all::<Contact>().map_err(fail)?;
        prop_assert_eq!(contacts.len(), self.contacts.len());
        for (got, want) in contacts.iter().zip(&self.contacts) {
            match (got, want) {
                (Contact::Star, GContact::Star) => {}
                (Contact::Addr(a), GContact::Addr { addr, q, expires }) => {
                    prop_assert_eq!(a, &addr.expected());
                    prop_assert_eq!(got.q(), q.map(|(t, _)| t));
                    prop_assert_eq!(got.expires(), *expires);
                }
                _ => prop_assert!(false, "{:?} read back as {:?}", want, got),
            }
        }
        for (name, value) in &self.unknown {
            prop_assert_eq!(h.get_raw(name), Some(value.as_str()));
        }
        let cl = h.typed::<typed::ContentLength>().map_err(fail)?;
        prop_assert_eq!(cl, Some(typed::ContentLength(self.body.len() as u32)));
        prop_assert_eq!(m.body(), &self.body[..]);
        Ok(())
    }
}

fn fail(e: linkus_sip::Error) -> TestCaseError {
    TestCaseError::fail(format!("typed header: {e}"))
}

/// Fisher-Yates driven by a xorshift seed.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

// ---------------------------------------------------------------------------
// Strategies

/// A `%HH` escape, upper- or lower-case hex.
fn escape() -> impl Strategy<Value = String> {
    (any::<u8>(), any::<bool>()).prop_map(|(b, lower)| {
        if lower {
            format!("%{b:02x}")
        } else {
            format!("%{b:02X}")
        }
    })
}

/// 1 to `max` characters of `class` (a regex class) or escapes.
fn escaped(class: &'static str, min: usize, max: usize) -> impl Strategy<Value = String> {
    vec(prop_oneof![4 => class, 1 => escape()], min..=max).prop_map(|v| v.concat())
}

const TOKEN: &str = "[a-zA-Z0-9.!%*_+`'~-]";

fn token(max: usize) -> impl Strategy<Value = String> {
    vec(TOKEN, 1..=max).prop_map(|v| v.concat())
}

fn host() -> impl Strategy<Value = GHost> {
    prop_oneof![
        3 => vec("[a-z]([a-z0-9-]{0,6}[a-z0-9])?", 1..4).prop_map(|l| GHost::Domain(l.join("."))),
        1 => any::<[u8; 4]>().prop_map(|o| GHost::V4(Ipv4Addr::from(o))),
        1 => any::<[u16; 8]>().prop_map(|s| GHost::V6(Ipv6Addr::from(s))),
    ]
}

fn uri_params() -> impl Strategy<Value = GParams> {
    let param_class = r"[a-zA-Z0-9\-_.!~*'()\[\]/:&+$]";
    vec(
        prop_oneof![
            Just(("transport".to_owned(), Some("tcp".to_owned()))),
            Just(("lr".to_owned(), None)),
            (
                escaped(param_class, 1, 6),
                proptest::option::of(escaped(param_class, 1, 8))
            ),
        ],
        0..3,
    )
}

fn sip_uri() -> impl Strategy<Value = GUri> {
    let user = escaped(r"[a-zA-Z0-9\-_.!~*'()&=+$,;?/]", 1, 10);
    let password = escaped(r"[a-zA-Z0-9\-_.!~*'()&=+$,]", 0, 6);
    (
        any::<bool>(),
        proptest::option::of((user, proptest::option::of(password))),
        host(),
        proptest::option::of(any::<u16>()),
        uri_params(),
    )
        .prop_map(|(secure, userinfo, host, port, params)| {
            let (user, password) = match userinfo {
                Some((u, p)) => (Some(u), p),
                None => (None, None),
            };
            GUri::Sip {
                secure,
                user,
                password,
                host,
                port,
                params,
            }
        })
}

fn tel_uri() -> impl Strategy<Value = GUri> {
    (
        "\\+?[0-9]{1,3}(-[0-9]{2,4}){0,3}",
        vec(
            prop_oneof![
                Just(("phone-context".to_owned(), Some("example.com".to_owned()))),
                ("[a-z]{1,6}", proptest::option::of("[a-z0-9]{1,6}")),
            ],
            0..3,
        ),
    )
        .prop_map(|(number, params)| GUri::Tel { number, params })
}

fn any_uri() -> impl Strategy<Value = GUri> {
    prop_oneof![4 => sip_uri(), 1 => tel_uri()]
}

fn display() -> impl Strategy<Value = Option<GDisplay>> {
    proptest::option::of(prop_oneof![
        ("[ -~\u{e9}\u{65e5}\u{672c}]{0,12}", any::<bool>())
            .prop_map(|(text, escape_more)| GDisplay::Quoted { text, escape_more }),
        vec(token(8), 1..3).prop_map(GDisplay::Tokens),
    ])
}

/// Header parameters: token names, token or quoted-string values.
fn header_params() -> impl Strategy<Value = GParams> {
    vec(
        (
            "[a-z][a-z0-9-]{0,6}".prop_filter("not a param the test reads", |n| {
                ![
                    "tag", "q", "expires", "branch", "received", "rport", "ttl", "maddr",
                ]
                .contains(&n.as_str())
            }),
            proptest::option::of(prop_oneof![
                token(8),
                "\"[ -!#-\\[\\]-~]{0,8}\"".prop_map(String::from),
            ]),
        ),
        0..3,
    )
}

fn name_addr(with_tag: bool) -> impl Strategy<Value = GNameAddr> {
    (
        display(),
        any_uri(),
        any::<bool>(),
        proptest::option::weighted(0.8, token(12)),
        header_params(),
    )
        .prop_map(move |(display, uri, angle, tag, mut params)| {
            if let Some(t) = tag.filter(|_| with_tag) {
                params.insert(0, ("tag".into(), Some(t)));
            }
            GNameAddr {
                display,
                uri,
                angle,
                params,
            }
        })
}

fn via() -> impl Strategy<Value = GVia> {
    (
        select(&["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "udp", "X-MOB"][..]),
        host(),
        proptest::option::of(any::<u16>()),
        "z9hG4bK[a-zA-Z0-9.!%*_+`'~-]{1,16}",
        proptest::option::of(proptest::option::of(any::<u16>())),
        proptest::option::of(any::<[u8; 4]>()),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(transport, host, port, branch, rport, received, ttl)| {
            let mut params: GParams = vec![("branch".into(), Some(branch))];
            if let Some(r) = rport {
                params.push(("rport".into(), r.map(|p| p.to_string())));
            }
            if let Some(a) = received {
                params.push(("received".into(), Some(Ipv4Addr::from(a).to_string())));
            }
            if let Some(t) = ttl {
                params.push(("ttl".into(), Some(t.to_string())));
            }
            GVia {
                transport,
                host,
                port,
                params,
            }
        })
}

fn contact() -> impl Strategy<Value = GContact> {
    prop_oneof![
        1 => Just(GContact::Star),
        6 => (
            name_addr(false),
            proptest::option::of((0u16..=1000, 0usize..4)),
            proptest::option::of(any::<u32>()),
        )
            .prop_map(|(mut addr, q, expires)| {
                if let Some(e) = expires {
                    addr.params.insert(0, ("expires".into(), Some(e.to_string())));
                }
                if let Some((t, digits)) = q {
                    addr.params.insert(0, ("q".into(), Some(render_q(t, digits))));
                }
                GContact::Addr { addr, q, expires }
            }),
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(
            &[
                "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO", "UPDATE",
                "PRACK", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH",
            ][..]
        )
        .prop_map(String::from),
        1 => "[A-Za-z][a-zA-Z0-9.!%*_+`'~-]{0,9}",
    ]
}

fn start() -> impl Strategy<Value = GStart> {
    prop_oneof![
        (method(), any_uri()).prop_map(|(method, uri)| GStart::Request { method, uri }),
        (100u16..=699, "([ -~\u{e9}]{0,20})?")
            .prop_map(|(code, reason)| GStart::Response { code, reason }),
    ]
}

/// Unknown header: an `X-` name and words separated by single spaces.
fn unknown_header() -> impl Strategy<Value = (String, String)> {
    (
        "X-[A-Za-z0-9-]{1,10}",
        vec("[!-~\u{e9}]{1,8}", 1..5).prop_map(|w| w.join(" ")),
    )
}

fn message() -> impl Strategy<Value = GMessage> {
    let headers = (
        vec(via(), 1..4),
        any::<bool>(),
        name_addr(true),
        name_addr(true),
        (
            "[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,16}",
            proptest::option::of("[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,16}"),
        )
            .prop_map(|(a, b)| match b {
                Some(b) => format!("{a}@{b}"),
                None => a,
            }),
        0u32..(1 << 31),
        method(),
        proptest::option::of(any::<u8>()),
        vec(contact(), 0..3),
        vec(unknown_header(), 0..4),
    );
    let rest = (
        vec(any::<u8>(), 0..64),
        any::<bool>(),
        vec(any::<u8>(), 9),
        any::<u64>(),
        vec(0u8..8, 64),
    );
    (start(), headers, rest).prop_map(
        |(
            start,
            (vias, vias_on_one_line, from, to, call_id, cseq, method, mf, contacts, unknown),
            (body, with_content_type, name_style, shuffle, ws),
        )| {
            // A request's CSeq method is its own method.
            // Unknown header names are unique, so that `get_raw` finds each.
            let unknown = unknown
                .into_iter()
                .enumerate()
                .map(|(i, (n, v))| (format!("{n}-{i}"), v))
                .collect();
            let cseq_method = match &start {
                GStart::Request { method, .. } => method.clone(),
                GStart::Response { .. } => method,
            };
            GMessage {
                start,
                vias,
                vias_on_one_line,
                from,
                to,
                call_id,
                cseq,
                cseq_method,
                max_forwards: mf,
                contacts,
                unknown,
                with_content_type: with_content_type && !body.is_empty(),
                body,
                name_style,
                shuffle,
                ws,
            }
        },
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            vec(
                prop_oneof![
                    any::<u8>(),
                    select(
                        &[
                            b'\r', b'\n', b' ', b'\t', b':', b';', b',', b'"', b'<', b'%'
                        ][..]
                    )
                ],
                1..6
            )
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match m {
        Mutation::Truncate(i) => bytes.truncate(i % bytes.len()),
        Mutation::Flip(i, bit) => {
            let i = i % bytes.len();
            bytes[i] ^= 1 << bit;
        }
        Mutation::Insert(i, b) => {
            let i = i % (bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let i = i % bytes.len();
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

// ---------------------------------------------------------------------------
// Checks shared by the properties

/// Feeds `bytes` to a framer in reads of the given sizes; returns the
/// messages framed. Fails if the framer does not terminate.
fn frame(bytes: &[u8], sizes: &[usize], limits: Limits) -> Result<Vec<Message>, TestCaseError> {
    let mut f = StreamFramer::with_limits(limits);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(rest.len());
        let n = n.clamp(1, rest.len());
        i += 1;
        f.push(&rest[..n]);
        rest = &rest[n..];
        let mut budget = f.buffered() + 1;
        loop {
            match f.next_frame() {
                Err(_) => return Ok(out),
                Ok(None) => {
                    prop_assert!(
                        f.buffered() <= limits.max_message_size,
                        "waiting with {} bytes buffered",
                        f.buffered()
                    );
                    break;
                }
                Ok(Some(Framed::Message(m))) => out.push(m),
                Ok(Some(_)) => {}
            }
            budget -= 1;
            prop_assert!(budget > 0, "the framer does not terminate");
        }
    }
    Ok(out)
}

/// Whatever parses must round-trip, and serialising must be stable.
fn assert_round_trip(m: &Message) -> Result<(), TestCaseError> {
    let bytes = m.to_bytes();
    let again = Message::parse(&bytes);
    prop_assert_eq!(
        again.as_ref(),
        Ok(m),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    prop_assert_eq!(again.map(|a| a.to_bytes()).ok(), Some(bytes));
    Ok(())
}

/// (d): no panic, and what parses round-trips.
fn never_panics(bytes: &[u8], sizes: &[usize]) -> Result<(), TestCaseError> {
    if let Ok(m) = Message::parse(bytes) {
        let _ = m.check();
        assert_round_trip(&m)?;
    }
    let small = Limits {
        max_message_size: 512,
        max_headers: 8,
        max_line_length: 128,
    };
    for m in frame(bytes, sizes, small)? {
        let _ = m.check();
        assert_round_trip(&m)?;
    }
    frame(bytes, sizes, Limits::default())?;
    Ok(())
}

fn config(default_cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    c
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(128))]

    /// (a) and (b): a generated valid message parses, passes the UA checks,
    /// and its typed values read back as generated.
    #[test]
    fn generated_messages_parse_check_and_read_back(g in message()) {
        let bytes = g.render();
        let m = Message::parse(&bytes)
            .map_err(|e| TestCaseError::fail(format!("parse: {e}\n{}", String::from_utf8_lossy(&bytes))))?;
        m.check()
            .map_err(|e| TestCaseError::fail(format!("check: {e}\n{}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(m.as_request().is_some(), g.is_request());
        g.check_fields(&m)?;
    }

    /// (c): serialising round-trips and is stable; a stream framer fed the
    /// bytes in arbitrary reads yields the same message.
    #[test]
    fn generated_messages_round_trip(
        g in message(),
        sizes in vec(1usize..200, 1..6),
    ) {
        let bytes = g.render();
        let m = Message::parse(&bytes).map_err(|e| TestCaseError::fail(format!("parse: {e}")))?;
        assert_round_trip(&m)?;
        let wire = m.to_bytes();
        let glued = [wire.as_slice(), b"\r\n\r\n", wire.as_slice()].concat();
        let framed = frame(&glued, &sizes, Limits::default())?;
        prop_assert_eq!(framed, vec![m.clone(), m]);
    }

    /// (d) on valid messages mutated: truncated, bits flipped, bytes
    /// inserted or deleted.
    #[test]
    fn mutated_messages_never_panic(
        g in message(),
        mutations in vec(mutation(), 1..4),
        sizes in vec(1usize..64, 0..4),
    ) {
        let mut bytes = g.render();
        for mu in &mutations {
            mutate(&mut bytes, mu);
        }
        never_panics(&bytes, &sizes)?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// (d) on arbitrary bytes (biased towards the SIP alphabet), after a
    /// valid start line or not, with the head closed or not.
    #[test]
    fn arbitrary_bytes_never_panic(
        prefix in select(&["", "INVITE sip:a@b SIP/2.0\r\n", "SIP/2.0 200 OK\r\n"][..]),
        data in prop_oneof![
            vec(any::<u8>(), 0..512),
            vec(
                prop_oneof![
                    select(&b"\r\n\r\n \t:;,=<>\"@%/\\?.-0123456789aAsSvVlL"[..]),
                    32u8..127,
                ],
                0..512,
            ),
        ],
        suffix in select(&["", "\r\n", "\r\n\r\n", "\r\nl: 0\r\n\r\n"][..]),
        sizes in vec(1usize..64, 0..4),
    ) {
        let bytes = [prefix.as_bytes(), &data, suffix.as_bytes()].concat();
        never_panics(&bytes, &sizes)?;
    }
}

// ---------------------------------------------------------------------------
// Found by these properties

/// A `<` inside a quoted parameter value of an addr-spec Contact was taken
/// for the start of a name-addr, and the valid header was rejected.
#[test]
fn angle_bracket_in_quoted_param_of_addr_spec() {
    let c = <Contact as typed::TypedHeader>::parse(r#"tel:0;a="<""#).unwrap();
    let a = c.addr().unwrap();
    assert_eq!(a.uri.to_string(), "tel:0");
    assert_eq!(a.params.get("a"), Some(Some(r#""<""#)));
    let f = <typed::From as typed::TypedHeader>::parse(r#"sip:a@b ;tag=1;x="a<b>""#).unwrap();
    assert_eq!(f.tag(), Some("1"));
}
