//! Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760), sans-IO.
//!
//! The client side answers `401 Unauthorized` (WWW-Authenticate →
//! Authorization) and `407 Proxy Authentication Required`
//! (Proxy-Authenticate → Proxy-Authorization) challenges, and pre-authorises
//! every later request of the account; the server side is one function,
//! [`verify`], for registrar simulators and tests.
//!
//! # Design
//!
//! - **One [`DigestClient`] per account.** It holds the account's
//!   [`Credentials`] (one set for every realm, or one per realm) and, for each
//!   realm that challenged, the chosen [`Challenge`] and its nonce count.
//!   Realms are kept apart for WWW and proxy challenges ([`ChallengeKind`]).
//! - **Answering a challenge.** [`DigestClient::handle_challenge`] takes the
//!   request and its 401/407 and returns the credential header lines
//!   ([`AuthHeader`]) for the retried request: one for each realm the client
//!   knows, including realms it pre-authorised before. The caller copies the
//!   request, increments its CSeq, gives it a new Via branch (RFC 3261 §22.1)
//!   and puts the lines in with [`apply_credentials`].
//! - **Pre-authorisation.** [`DigestClient::authorize`] adds credentials for
//!   every known realm to any new request of the account, whatever its
//!   method and Request-URI (a SIP realm protects the whole account, and the
//!   `domain` parameter is not used), with `nc` counting up per nonce. ACK
//!   and CANCEL are left alone: they cannot be challenged, and the ACK for a
//!   2xx carries the INVITE's own credentials (RFC 3261 §13.2.2.4), which the
//!   dialog layer copies.
//! - **Several challenges.** Challenges are grouped by realm (a forking proxy
//!   may aggregate several realms, RFC 3261 §22.3). Within a realm, the
//!   strongest supported algorithm wins, SHA-512-256 > SHA-256 > MD5 (each with
//!   its `-sess` variant at the same rank); equal ranks go to the topmost.
//!   Servers list challenges in their order of preference, strongest first,
//!   so this is normally also the topmost supported one, the other choice
//!   the RFCs allow a client.
//!   A challenge that is not Digest, lacks a realm or nonce, names an unknown
//!   algorithm or only unknown qop values is skipped; when none is left,
//!   [`Error::AuthChallenge`] says why the first one was unusable.
//! - **Stale nonces and wrong passwords.** A new challenge with `stale=true`
//!   replaces the nonce and the request is retried without asking the user.
//!   A realm is rejected ([`Error::AuthRejected`], and the realm is forgotten
//!   so that nothing loops) when the request carried credentials for it and
//!   the challenge repeats the nonce those used (stale or not), or, without
//!   `stale`, when those were the very credentials computed in answer to the
//!   previous challenge; a server that calls three fresh answers in a row
//!   stale is rejected too. A pre-authorised request whose cached nonce the
//!   server has forgotten (a fresh nonce, no `stale`) is answered once more;
//!   without qop there is no `nc` to tell a pre-authorised request from the
//!   answer, so there the second challenge counts as a rejection.
//! - **qop.** `auth` is used when offered, `auth-int` when it is the only one
//!   offered or when [`DigestClient::prefer_auth_int`] asks for it (the body
//!   is hashed; an empty body hashes the empty string). A challenge without
//!   qop is answered the RFC 2069 way (no `cnonce`, no `nc`).
//! - **`-sess` algorithms.** RFC 2617 computes the session key once, with the
//!   cnonce of the first request after the challenge; many servers recompute
//!   it from each request's cnonce. The client draws one cnonce per nonce for
//!   `-sess` and reuses it (with `nc` counting up), so both readings agree.
//! - **`userhash=true`** (RFC 7616 §3.4.4): the `username` parameter carries
//!   `H(username:realm)` and `userhash=true`; A1 still uses the real name.
//! - **No hidden randomness.** The client nonce comes from the caller, a
//!   `&mut dyn FnMut() -> String` called once per credential line (once per
//!   nonce for `-sess`): production code returns a fresh random string
//!   (16 bytes or more, base64 or hex), tests a fixed one. The module never
//!   reads the clock or touches a socket.
//! - **Secrets.** The password never appears in `Debug` output.
//!
//! SHA-512-256 is the FIPS 180-4 SHA-512/256 hash (its own initial values).
//! The example of RFC 7616 §3.9.2 was computed with SHA-512 cut to 256 bits
//! instead, so its printed `userhash` and `response` are not reproduced
//! (erratum 4897 reports that example); the tests say how.
//!
//! ```
//! use linkus_sip::auth::{apply_credentials, verify, Credentials, DigestClient, Secret};
//! use linkus_sip::message::{typed::Authorization, HeaderName, Message, Response, StatusCode};
//!
//! let raw = b"REGISTER sip:example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr1\r\nMax-Forwards: 70\r\n\
//!     To: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=a1\r\n\
//!     Call-ID: reg1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
//! let Message::Request(register) = Message::parse(raw)? else { unreachable!() };
//!
//! // The registrar challenges.
//! let mut unauthorized = Response::for_request(&register, StatusCode(401));
//! unauthorized.headers.push(
//!     HeaderName::WwwAuthenticate,
//!     r#"Digest realm="example.com", nonce="f84f1cec41e6", qop="auth", algorithm=SHA-256"#,
//! )?;
//!
//! let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
//! // Production code returns a fresh random string here.
//! let mut cnonce = || "0a4f113b".to_owned();
//! let lines = client.handle_challenge(&register, &unauthorized, &mut cnonce)?;
//! let mut retry = register.clone(); // the caller also bumps CSeq and makes a new branch
//! apply_credentials(&mut retry, &lines)?;
//!
//! // What the registrar checks.
//! let auth = retry.headers.typed::<Authorization>()?.expect("credentials");
//! assert!(verify(&auth, &retry.method, &retry.body, Secret::Password("s3cret")));
//! assert_eq!(auth.param("nc"), Some("00000001"));
//!
//! // The account's next request is pre-authorised with the next nonce count.
//! let mut refresh = register.clone();
//! client.authorize(&mut refresh, &mut cnonce)?;
//! let auth = refresh.headers.typed::<Authorization>()?.expect("credentials");
//! assert_eq!(auth.param("nc"), Some("00000002"));
//! # Ok::<(), linkus_sip::Error>(())
//! ```

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use crate::error::Error;
use crate::message::typed::{
    Auth, AuthParam, Authorization, ProxyAuthenticate, TypedHeader, WwwAuthenticate,
};
use crate::message::{HeaderName, Method, Request, Response};

// ---------------------------------------------------------------------------
// Credentials

/// A username and password, for every realm or for one realm.
///
/// `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user's name in the realm (SIP: usually the user part of the AOR,
    /// or an authorisation id the provider gave).
    pub username: String,
    /// The password.
    pub password: String,
    /// The realm these credentials are for; `None` answers any realm that
    /// has no credentials of its own.
    pub realm: Option<String>,
}

impl Credentials {
    /// Credentials for any realm.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
            realm: None,
        }
    }

    /// Restricts the credentials to one realm.
    pub fn for_realm(mut self, realm: impl Into<String>) -> Credentials {
        self.realm = Some(realm.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Algorithms and qop

/// A digest algorithm (RFC 7616 §3.2, RFC 8760).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, the default when a challenge names none.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (FIPS 180-4 SHA-512/256).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

#[derive(Clone, Copy)]
enum HashFn {
    Md5,
    Sha256,
    Sha512_256,
}

impl Algorithm {
    /// Every algorithm, strongest first.
    pub const ALL: &'static [Algorithm] = &[
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Md5,
        Algorithm::Md5Sess,
    ];

    /// Parses an `algorithm` value (case-insensitive); `None` when unknown.
    pub fn parse(s: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .iter()
            .copied()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// The name as written in a header.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// True for the `-sess` variants, whose A1 includes the nonce and cnonce.
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Rank used to choose among challenges: higher is stronger
    /// (SHA-512-256 > SHA-256 > MD5; a `-sess` variant ranks as its hash).
    pub fn strength(self) -> u8 {
        match self.hash_fn() {
            HashFn::Md5 => 1,
            HashFn::Sha256 => 2,
            HashFn::Sha512_256 => 3,
        }
    }

    fn hash_fn(self) -> HashFn {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => HashFn::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => HashFn::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => HashFn::Sha512_256,
        }
    }

    /// Lowercase hex of the hash of `parts` joined with `:`.
    fn hex(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(p);
            }
            to_hex(&d.finalize())
        }
        match self.hash_fn() {
            HashFn::Md5 => run::<Md5>(parts),
            HashFn::Sha256 => run::<Sha256>(parts),
            HashFn::Sha512_256 => run::<Sha512_256>(parts),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A quality of protection (RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: method and Request-URI are protected.
    Auth,
    /// `auth-int`: the body is protected too.
    AuthInt,
}

impl Qop {
    /// Parses a qop value (case-insensitive); `None` when unknown.
    pub fn parse(s: &str) -> Option<Qop> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }

    /// The value as written in a header.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// Challenges

/// Who challenges: the UAS or registrar (401) or a proxy (407).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// `401`: `WWW-Authenticate`, answered with `Authorization`.
    Www,
    /// `407`: `Proxy-Authenticate`, answered with `Proxy-Authorization`.
    Proxy,
}

impl ChallengeKind {
    /// The kind of challenge a response status carries: 401 or 407.
    pub fn for_status(status: u16) -> Option<ChallengeKind> {
        match status {
            401 => Some(ChallengeKind::Www),
            407 => Some(ChallengeKind::Proxy),
            _ => None,
        }
    }

    /// The header that carries the challenge.
    pub fn challenge_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::WwwAuthenticate,
            ChallengeKind::Proxy => HeaderName::ProxyAuthenticate,
        }
    }

    /// The header that carries the answer.
    pub fn credentials_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::Authorization,
            ChallengeKind::Proxy => HeaderName::ProxyAuthorization,
        }
    }
}

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The response is not a 401 or 407.
    #[error("status {0} is not an authentication challenge")]
    NotAChallenge(u16),
    /// A 401 without WWW-Authenticate, or a 407 without Proxy-Authenticate.
    #[error("the response carries no challenge")]
    Missing,
    /// The header does not follow the challenge grammar.
    #[error("malformed challenge: {0}")]
    Syntax(&'static str),
    /// Another scheme than Digest (kept as written).
    #[error("unsupported scheme {0:?}")]
    NotDigest(String),
    /// No `realm` parameter.
    #[error("the challenge has no realm")]
    MissingRealm,
    /// No `nonce` parameter.
    #[error("the challenge has no nonce")]
    MissingNonce,
    /// An `algorithm` this client does not implement.
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// A `qop` list without `auth` or `auth-int`.
    #[error("unsupported qop {0:?}")]
    UnsupportedQop(String),
}

/// A Digest challenge, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// From a 401 or a 407.
    pub kind: ChallengeKind,
    /// The protection space.
    pub realm: String,
    /// The server's nonce.
    pub nonce: String,
    /// Returned unchanged in the credentials.
    pub opaque: Option<String>,
    /// The algorithm (MD5 when absent).
    pub algorithm: Algorithm,
    /// The qop values offered that this client knows, in the server's order;
    /// empty when the challenge has no `qop` (RFC 2069 compatibility).
    pub qop: Vec<Qop>,
    /// `stale=true`: the previous credentials were right but their nonce expired.
    pub stale: bool,
    /// `userhash=true` (RFC 7616 §3.4.4).
    pub userhash: bool,
}

impl Challenge {
    /// A challenge with MD5 and no qop, for building one on the server side;
    /// set the other fields as needed.
    pub fn new(kind: ChallengeKind, realm: impl Into<String>, nonce: impl Into<String>) -> Self {
        Challenge {
            kind,
            realm: realm.into(),
            nonce: nonce.into(),
            opaque: None,
            algorithm: Algorithm::Md5,
            qop: Vec::new(),
            stale: false,
            userhash: false,
        }
    }

    /// Reads a challenge from a parsed `WWW-Authenticate` or
    /// `Proxy-Authenticate` value.
    pub fn parse(kind: ChallengeKind, auth: &Auth) -> Result<Challenge, ChallengeError> {
        if !auth.is_digest() {
            return Err(ChallengeError::NotDigest(auth.scheme.clone()));
        }
        let realm = auth.param("realm").ok_or(ChallengeError::MissingRealm)?;
        let nonce = auth.param("nonce").ok_or(ChallengeError::MissingNonce)?;
        let algorithm = match auth.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => Algorithm::parse(a)
                .ok_or_else(|| ChallengeError::UnsupportedAlgorithm(a.to_owned()))?,
        };
        let qop = match auth.param("qop") {
            None => Vec::new(),
            Some(list) => {
                let mut qop = Vec::new();
                for q in list.split(',').filter_map(|q| Qop::parse(q.trim())) {
                    if !qop.contains(&q) {
                        qop.push(q);
                    }
                }
                if qop.is_empty() {
                    return Err(ChallengeError::UnsupportedQop(list.to_owned()));
                }
                qop
            }
        };
        let flag = |name| {
            auth.param(name)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        Ok(Challenge {
            kind,
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: auth.param("opaque").map(str::to_owned),
            algorithm,
            qop,
            stale: flag("stale"),
            userhash: flag("userhash"),
        })
    }

    /// Reads the challenges of a 401 or 407 and keeps one per realm: the
    /// strongest supported algorithm, the topmost among equals. Realms keep
    /// the order in which they first appear. Unusable challenges are skipped;
    /// when none is left, the error is the first one's.
    pub fn from_response(response: &Response) -> Result<Vec<Challenge>, ChallengeError> {
        let kind = ChallengeKind::for_status(response.status.0)
            .ok_or(ChallengeError::NotAChallenge(response.status.0))?;
        let mut chosen: Vec<Challenge> = Vec::new();
        let mut first_error = None;
        for value in response.headers.get_all(kind.challenge_header()) {
            let parsed = match kind {
                ChallengeKind::Www => WwwAuthenticate::parse(value).map(|h| h.0),
                ChallengeKind::Proxy => ProxyAuthenticate::parse(value).map(|h| h.0),
            };
            let challenge = parsed
                .map_err(|e| match e {
                    Error::InvalidHeader { reason, .. } => ChallengeError::Syntax(reason),
                    _ => ChallengeError::Syntax("malformed header"),
                })
                .and_then(|auth| Challenge::parse(kind, &auth));
            match challenge {
                Ok(c) => match chosen.iter_mut().find(|k| k.realm == c.realm) {
                    Some(k) if c.algorithm.strength() > k.algorithm.strength() => *k = c,
                    Some(_) => {}
                    None => chosen.push(c),
                },
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if chosen.is_empty() {
            return Err(first_error.unwrap_or(ChallengeError::Missing));
        }
        Ok(chosen)
    }

    /// The challenge as a header value (`Digest realm="…", nonce="…", …`),
    /// for a server or a test to put in a 401/407.
    pub fn to_auth(&self) -> Auth {
        let mut params = vec![quoted("realm", &self.realm), quoted("nonce", &self.nonce)];
        if let Some(o) = &self.opaque {
            params.push(quoted("opaque", o));
        }
        params.push(token("algorithm", self.algorithm.as_str()));
        if !self.qop.is_empty() {
            let list: Vec<&str> = self.qop.iter().map(|q| q.as_str()).collect();
            params.push(quoted("qop", &list.join(",")));
        }
        if self.stale {
            params.push(token("stale", "true"));
        }
        if self.userhash {
            params.push(token("userhash", "true"));
        }
        Auth {
            scheme: "Digest".into(),
            params,
        }
    }

    /// [`Challenge::to_auth`] written out as a header value.
    pub fn header_value(&self) -> String {
        let mut s = String::new();
        WwwAuthenticate(self.to_auth()).write(&mut s);
        s
    }
}

fn quoted(name: &str, value: &str) -> AuthParam {
    AuthParam {
        name: name.into(),
        value: value.into(),
        quoted: true,
    }
}

fn token(name: &str, value: &str) -> AuthParam {
    AuthParam {
        name: name.into(),
        value: value.into(),
        quoted: false,
    }
}

// ---------------------------------------------------------------------------
// The response computation (RFC 7616 §3.4.1-3.4.3)

enum A1Source<'a> {
    Password {
        username: &'a str,
        realm: &'a str,
        password: &'a str,
    },
    Ha1(&'a str),
}

struct DigestInput<'a> {
    algorithm: Algorithm,
    a1: A1Source<'a>,
    nonce: &'a str,
    cnonce: Option<&'a str>,
    nc: Option<&'a str>,
    qop: Option<Qop>,
    method: &'a str,
    uri: &'a str,
    body: &'a [u8],
}

fn compute_response(i: &DigestInput<'_>) -> String {
    let alg = i.algorithm;
    let mut ha1 = match i.a1 {
        A1Source::Password {
            username,
            realm,
            password,
        } => alg.hex(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()]),
        A1Source::Ha1(h) => h.to_ascii_lowercase(),
    };
    if alg.is_session() {
        let cnonce = i.cnonce.unwrap_or("");
        ha1 = alg.hex(&[ha1.as_bytes(), i.nonce.as_bytes(), cnonce.as_bytes()]);
    }
    let ha2 = match i.qop {
        Some(Qop::AuthInt) => {
            let body = alg.hex(&[i.body]);
            alg.hex(&[i.method.as_bytes(), i.uri.as_bytes(), body.as_bytes()])
        }
        _ => alg.hex(&[i.method.as_bytes(), i.uri.as_bytes()]),
    };
    match (i.qop, i.nc, i.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) => alg.hex(&[
            ha1.as_bytes(),
            i.nonce.as_bytes(),
            nc.as_bytes(),
            cnonce.as_bytes(),
            qop.as_str().as_bytes(),
            ha2.as_bytes(),
        ]),
        _ => alg.hex(&[ha1.as_bytes(), i.nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// `H(username:realm:password)`, the HA1 a registrar may store instead of
/// the password (pass it to [`verify`] as [`Secret::Ha1`]).
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hex(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()])
}

/// `H(username:realm)`, the `username` sent when a challenge has
/// `userhash=true` (RFC 7616 §3.4.4).
pub fn userhash(algorithm: Algorithm, username: &str, realm: &str) -> String {
    algorithm.hex(&[username.as_bytes(), realm.as_bytes()])
}

// ---------------------------------------------------------------------------
// Server side

/// What the server knows of the user's secret.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    /// The password; the username is taken from the credentials, so this
    /// cannot check credentials sent with `userhash=true`.
    Password(&'a str),
    /// `H(username:realm:password)` in hex, for the credentials' algorithm
    /// (see [`ha1`]).
    Ha1(&'a str),
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(<redacted>)"),
            Secret::Ha1(_) => f.write_str("Ha1(<redacted>)"),
        }
    }
}

/// Checks the `response` of Digest credentials against the request's
/// method and body and the user's secret.
///
/// Only the digest is checked. The caller also checks what is stateful or
/// its own policy: that the realm is its own, the nonce is one it issued and
/// still valid (answer `stale=true` otherwise), `nc` has not been seen for
/// that nonce, `uri` names the Request-URI, and the username is known.
/// Returns false for malformed credentials, an unknown algorithm, or
/// `userhash=true` with a [`Secret::Password`].
pub fn verify(authorization: &Auth, method: &Method, body: &[u8], secret: Secret<'_>) -> bool {
    if !authorization.is_digest() {
        return false;
    }
    let p = |name| authorization.param(name);
    let (Some(username), Some(realm), Some(nonce), Some(uri), Some(response)) = (
        p("username"),
        p("realm"),
        p("nonce"),
        p("uri"),
        p("response"),
    ) else {
        return false;
    };
    let Some(algorithm) = p("algorithm").map_or(Some(Algorithm::Md5), Algorithm::parse) else {
        return false;
    };
    let qop = match p("qop") {
        None => None,
        Some(q) => match Qop::parse(q) {
            Some(q) => Some(q),
            None => return false,
        },
    };
    let (nc, cnonce) = (p("nc"), p("cnonce"));
    if qop.is_some() && (nc.is_none() || cnonce.is_none()) {
        return false;
    }
    if algorithm.is_session() && cnonce.is_none() {
        return false;
    }
    let a1 = match secret {
        Secret::Password(_) if p("userhash").is_some_and(|v| v.eq_ignore_ascii_case("true")) => {
            return false;
        }
        Secret::Password(password) => A1Source::Password {
            username,
            realm,
            password,
        },
        Secret::Ha1(h) => A1Source::Ha1(h),
    };
    let expected = compute_response(&DigestInput {
        algorithm,
        a1,
        nonce,
        cnonce,
        nc,
        qop,
        method: method.as_str(),
        uri,
        body,
    });
    eq_hex(&expected, response)
}

/// Compares a computed lowercase hex digest with a received one, ignoring
/// case, in time that does not depend on where they differ.
fn eq_hex(expected: &str, received: &str) -> bool {
    if expected.len() != received.len() {
        return false;
    }
    expected
        .bytes()
        .zip(received.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()))
        == 0
}

// ---------------------------------------------------------------------------
// The client

/// One credential header line for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// `Authorization` or `Proxy-Authorization`.
    pub name: HeaderName,
    /// The realm it answers.
    pub realm: String,
    /// The header value (`Digest username="…", …`).
    pub value: String,
}

/// Replaces every `Authorization` and `Proxy-Authorization` line of
/// `request` by `lines` (from [`DigestClient::handle_challenge`] or
/// [`DigestClient::credentials_for`]).
pub fn apply_credentials(request: &mut Request, lines: &[AuthHeader]) -> Result<(), Error> {
    request.headers.remove(HeaderName::Authorization);
    request.headers.remove(HeaderName::ProxyAuthorization);
    for line in lines {
        request.headers.push(line.name, &line.value)?;
    }
    Ok(())
}

/// What the client remembers of one realm.
#[derive(Debug, Clone)]
struct RealmState {
    challenge: Challenge,
    /// Last nonce count used with `challenge.nonce`.
    nc: u32,
    /// The cnonce reused for every request of a `-sess` nonce.
    session_cnonce: Option<String>,
    /// The next credentials computed answer the challenge just received.
    answering: bool,
    /// `(nonce, nc)` of the credentials that answered the last challenge.
    answer: Option<(String, Option<u32>)>,
    /// How many challenges in a row called a fresh answer stale.
    stale_answers: u8,
}

/// Fresh answers a server may call stale in a row before the realm counts
/// as rejected (a server that says `stale=true` to everything would loop).
const MAX_STALE_ANSWERS: u8 = 2;

/// Credentials as found in a request: realm, nonce and nc.
struct Sent {
    realm: String,
    nonce: String,
    nc: Option<u32>,
}

/// The Digest client of one account: answers 401/407 challenges and
/// pre-authorises the account's requests. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct DigestClient {
    credentials: Vec<Credentials>,
    realms: Vec<RealmState>,
    prefer_auth_int: bool,
}

impl DigestClient {
    /// A client with one set of credentials.
    pub fn new(credentials: Credentials) -> DigestClient {
        DigestClient {
            credentials: vec![credentials],
            ..DigestClient::default()
        }
    }

    /// Adds credentials; per-realm ones take precedence over realm-less ones,
    /// and among equals the first added wins.
    pub fn add_credentials(&mut self, credentials: Credentials) {
        self.credentials.push(credentials);
    }

    /// Uses `auth-int` whenever a challenge offers it (default: `auth` when
    /// offered, `auth-int` only when it is the only choice).
    pub fn prefer_auth_int(&mut self, yes: bool) {
        self.prefer_auth_int = yes;
    }

    /// The realms the client holds a challenge for, with their kind.
    pub fn realms(&self) -> impl Iterator<Item = (ChallengeKind, &str)> + '_ {
        self.realms
            .iter()
            .map(|r| (r.challenge.kind, r.challenge.realm.as_str()))
    }

    /// Forgets the challenge of a realm (both kinds): its requests go out
    /// without credentials until it challenges again.
    pub fn forget(&mut self, realm: &str) {
        self.realms.retain(|r| r.challenge.realm != realm);
    }

    /// Forgets every challenge (e.g. after the account's registration ended).
    pub fn forget_all(&mut self) {
        self.realms.clear();
    }

    fn credentials(&self, realm: &str) -> Option<&Credentials> {
        self.credentials
            .iter()
            .find(|c| c.realm.as_deref() == Some(realm))
            .or_else(|| self.credentials.iter().find(|c| c.realm.is_none()))
    }

    /// Takes a challenge known from elsewhere (restored state, another
    /// component) as if it had just been received: the realm's next
    /// credentials use its nonce with `nc=00000001`. Unlike
    /// [`DigestClient::handle_challenge`] nothing is checked for rejection.
    pub fn remember(&mut self, challenge: Challenge) -> Result<(), Error> {
        if self.credentials(&challenge.realm).is_none() {
            return Err(Error::AuthNoCredentials {
                realm: challenge.realm,
            });
        }
        self.install(challenge, 0);
        Ok(())
    }

    fn install(&mut self, challenge: Challenge, stale_answers: u8) {
        let pos = self.realms.iter().position(|r| {
            r.challenge.kind == challenge.kind && r.challenge.realm == challenge.realm
        });
        let state = RealmState {
            challenge,
            nc: 0,
            session_cnonce: None,
            answering: true,
            answer: None,
            stale_answers,
        };
        match pos.and_then(|i| self.realms.get_mut(i)) {
            Some(r) => *r = state,
            None => self.realms.push(state),
        }
    }

    /// Takes the 401 or 407 that answered `request` and returns the
    /// credential lines for its retry (every realm the client knows, the
    /// challenging ones with their new nonce). The caller copies the request,
    /// increments its CSeq, gives it a new branch, and applies the lines with
    /// [`apply_credentials`].
    ///
    /// Errors: [`Error::AuthChallenge`] when no challenge is usable,
    /// [`Error::AuthRejected`] when the server turned down the credentials
    /// the request carried (the realm is forgotten; ask the user),
    /// [`Error::AuthNoCredentials`] when no challenging realm has credentials.
    pub fn handle_challenge(
        &mut self,
        request: &Request,
        response: &Response,
        cnonce: &mut dyn FnMut() -> String,
    ) -> Result<Vec<AuthHeader>, Error> {
        let challenges = Challenge::from_response(response)?;
        let Some(kind) = challenges.first().map(|c| c.kind) else {
            return Err(ChallengeError::Missing.into());
        };
        let sent = sent_credentials(request, kind);
        let mut missing = None;
        let mut installed = false;
        for ch in challenges {
            if self.credentials(&ch.realm).is_none() {
                missing.get_or_insert_with(|| ch.realm.clone());
                continue;
            }
            let previous = self
                .realms
                .iter()
                .find(|r| r.challenge.kind == kind && r.challenge.realm == ch.realm);
            let mut stale_answers = 0;
            if let Some(s) = sent.iter().find(|s| s.realm == ch.realm) {
                let was_answer = previous
                    .and_then(|r| r.answer.as_ref())
                    .is_some_and(|(nonce, nc)| *nonce == s.nonce && *nc == s.nc);
                if was_answer && ch.stale {
                    stale_answers = previous.map_or(0, |r| r.stale_answers) + 1;
                }
                // Rejected: a repeated nonce, the very answer challenged
                // again, or a server that calls every fresh nonce stale.
                if s.nonce == ch.nonce
                    || (was_answer && !ch.stale)
                    || stale_answers > MAX_STALE_ANSWERS
                {
                    self.realms
                        .retain(|r| !(r.challenge.kind == kind && r.challenge.realm == ch.realm));
                    return Err(Error::AuthRejected { realm: ch.realm });
                }
            }
            self.install(ch, stale_answers);
            installed = true;
        }
        if !installed {
            return Err(Error::AuthNoCredentials {
                realm: missing.unwrap_or_default(),
            });
        }
        self.credentials_for(
            &request.method,
            &request.uri.to_string(),
            &request.body,
            cnonce,
        )
    }

    /// Adds credentials for every known realm to a new request of the
    /// account (pre-authorisation), replacing any it carries. ACK and CANCEL
    /// are left as they are (see the [module docs](self)).
    pub fn authorize(
        &mut self,
        request: &mut Request,
        cnonce: &mut dyn FnMut() -> String,
    ) -> Result<(), Error> {
        if matches!(request.method, Method::Ack | Method::Cancel) || self.realms.is_empty() {
            return Ok(());
        }
        let lines = self.credentials_for(
            &request.method,
            &request.uri.to_string(),
            &request.body,
            cnonce,
        )?;
        apply_credentials(request, &lines)
    }

    /// The credential lines for a request with this method, Request-URI (as
    /// written on the request line) and body, one per known realm; each
    /// call uses the next nonce count.
    pub fn credentials_for(
        &mut self,
        method: &Method,
        uri: &str,
        body: &[u8],
        cnonce: &mut dyn FnMut() -> String,
    ) -> Result<Vec<AuthHeader>, Error> {
        let mut lines = Vec::with_capacity(self.realms.len());
        let mut exhausted = Vec::new();
        let prefer_auth_int = self.prefer_auth_int;
        for i in 0..self.realms.len() {
            let Some(realm) = self.realms.get(i).map(|r| r.challenge.realm.clone()) else {
                continue;
            };
            let Some(creds) = self.credentials(&realm).cloned() else {
                continue;
            };
            let Some(state) = self.realms.get_mut(i) else {
                continue;
            };
            match answer(state, &creds, method, uri, body, prefer_auth_int, cnonce)? {
                Some(line) => lines.push(line),
                None => exhausted.push(i),
            }
        }
        // A nonce whose count ran out cannot be used again: drop it so that
        // the server challenges afresh.
        for i in exhausted.into_iter().rev() {
            self.realms.remove(i);
        }
        Ok(lines)
    }
}

/// The credentials a request carries for challenges of `kind`.
fn sent_credentials(request: &Request, kind: ChallengeKind) -> Vec<Sent> {
    let mut out = Vec::new();
    for value in request.headers.get_all(kind.credentials_header()) {
        let Ok(Authorization(auth)) = Authorization::parse(value) else {
            continue;
        };
        if let (true, Some(realm), Some(nonce)) =
            (auth.is_digest(), auth.param("realm"), auth.param("nonce"))
        {
            out.push(Sent {
                realm: realm.to_owned(),
                nonce: nonce.to_owned(),
                nc: auth
                    .param("nc")
                    .and_then(|nc| u32::from_str_radix(nc, 16).ok()),
            });
        }
    }
    out
}

fn is_header_safe(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

/// Computes one credential line; `None` when the nonce count is exhausted.
fn answer(
    state: &mut RealmState,
    creds: &Credentials,
    method: &Method,
    uri: &str,
    body: &[u8],
    prefer_auth_int: bool,
    cnonce: &mut dyn FnMut() -> String,
) -> Result<Option<AuthHeader>, Error> {
    if !is_header_safe(&creds.username) {
        return Err(Error::InvalidValue("username"));
    }
    let ch = &state.challenge;
    let alg = ch.algorithm;
    let offers = |q| ch.qop.contains(&q);
    let qop = if offers(Qop::AuthInt) && (prefer_auth_int || !offers(Qop::Auth)) {
        Some(Qop::AuthInt)
    } else if offers(Qop::Auth) {
        Some(Qop::Auth)
    } else {
        None
    };
    let nc = match qop {
        Some(_) => match state.nc.checked_add(1) {
            Some(n) => Some(n),
            None => return Ok(None),
        },
        None => None,
    };
    let cn = if alg.is_session() {
        match &state.session_cnonce {
            Some(c) => Some(c.clone()),
            None => Some(cnonce()),
        }
    } else if qop.is_some() {
        Some(cnonce())
    } else {
        None
    };
    if let Some(c) = &cn {
        if c.is_empty() || !is_header_safe(c) {
            return Err(Error::InvalidValue("cnonce"));
        }
    }
    let nc_text = nc.map(|n| format!("{n:08x}"));
    let response = compute_response(&DigestInput {
        algorithm: alg,
        a1: A1Source::Password {
            username: &creds.username,
            realm: &ch.realm,
            password: &creds.password,
        },
        nonce: &ch.nonce,
        cnonce: cn.as_deref(),
        nc: nc_text.as_deref(),
        qop,
        method: method.as_str(),
        uri,
        body,
    });
    let username = if ch.userhash {
        userhash(alg, &creds.username, &ch.realm)
    } else {
        creds.username.clone()
    };
    let mut params = vec![
        quoted("username", &username),
        quoted("realm", &ch.realm),
        quoted("nonce", &ch.nonce),
        quoted("uri", uri),
        quoted("response", &response),
        token("algorithm", alg.as_str()),
    ];
    if let Some(c) = &cn {
        params.push(quoted("cnonce", c));
    }
    if let Some(o) = &ch.opaque {
        params.push(quoted("opaque", o));
    }
    if let (Some(q), Some(n)) = (qop, &nc_text) {
        params.push(token("qop", q.as_str()));
        params.push(token("nc", n));
    }
    if ch.userhash {
        params.push(token("userhash", "true"));
    }
    let mut value = String::new();
    Authorization(Auth {
        scheme: "Digest".into(),
        params,
    })
    .write(&mut value);
    let line = AuthHeader {
        name: ch.kind.credentials_header(),
        realm: ch.realm.clone(),
        value,
    };
    if let Some(n) = nc {
        state.nc = n;
    }
    if alg.is_session() && state.session_cnonce.is_none() {
        state.session_cnonce = cn;
    }
    if state.answering {
        state.answering = false;
        state.answer = Some((state.challenge.nonce.clone(), nc));
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_algorithm_names() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.as_str()), Some(*a));
            assert_eq!(Algorithm::parse(&a.as_str().to_ascii_lowercase()), Some(*a));
        }
        assert_eq!(Algorithm::parse("SHA-512"), None);
        assert_eq!(
            Algorithm::Md5.hex(&[b""]),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let c = Credentials::new("alice", "hunter2").for_realm("example.com");
        let client = DigestClient::new(c.clone());
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{client:?}").contains("hunter2"));
        assert!(!format!("{:?}", Secret::Password("hunter2")).contains("hunter2"));
    }
}
