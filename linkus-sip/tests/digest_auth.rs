//! Digest authentication: published vectors (RFC 2617, RFC 7616) and the
//! client's flows (401, 407, stale nonces, wrong passwords, nonce counts,
//! several challenges, malformed challenges).

use linkus_sip::Error;
use linkus_sip::auth::{
    Algorithm, AuthHeader, Challenge, ChallengeError, ChallengeKind, Credentials, DigestClient,
    Qop, Secret, apply_credentials, ha1, userhash, verify,
};
use linkus_sip::message::typed::{Auth, Authorization, ProxyAuthorization, TypedHeader};
use linkus_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode};

fn fixed(cnonce: &str) -> impl FnMut() -> String + '_ {
    move || cnonce.to_owned()
}

/// cnonces c1, c2, … so that each call is told apart.
fn counter() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("c{n}")
    }
}

fn parse_auth(value: &str) -> Auth {
    Authorization::parse(value).unwrap().0
}

fn request(method: &str, uri: &str, cseq: u32, body: &str) -> Request {
    let raw = format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{cseq}\r\n\
         Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=a\r\n\
         Call-ID: call-{method}\r\nCSeq: {cseq} {method}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match Message::parse(raw.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn challenge_response(req: &Request, status: u16, challenges: &[&str]) -> Response {
    let mut resp = Response::for_request(req, StatusCode(status));
    let name = if status == 407 {
        HeaderName::ProxyAuthenticate
    } else {
        HeaderName::WwwAuthenticate
    };
    for c in challenges {
        resp.headers.push(name, c).unwrap();
    }
    resp
}

fn retried(req: &Request, lines: &[AuthHeader]) -> Request {
    let mut retry = req.clone();
    apply_credentials(&mut retry, lines).unwrap();
    retry
}

fn auth_of(req: &Request) -> Auth {
    req.headers.typed::<Authorization>().unwrap().unwrap().0
}

// ---------------------------------------------------------------------------
// Published vectors

/// RFC 2617 §3.5: MD5, qop=auth.
#[test]
fn rfc2617_section_3_5_md5_auth() {
    let challenge = parse_auth(
        r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
    );
    let challenge = Challenge::parse(ChallengeKind::Www, &challenge).unwrap();
    assert_eq!(challenge.algorithm, Algorithm::Md5);
    assert_eq!(challenge.qop, [Qop::Auth, Qop::AuthInt]);
    let mut client = DigestClient::new(Credentials::new("Mufasa", "Circle Of Life"));
    client.remember(challenge).unwrap();
    let get = Method::Extension("GET".into());
    let lines = client
        .credentials_for(&get, "/dir/index.html", b"", &mut fixed("0a4f113b"))
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].name, HeaderName::Authorization);
    let auth = parse_auth(&lines[0].value);
    assert_eq!(
        auth.param("response"),
        Some("6629fae49393a05397450978507c4ef1")
    );
    assert_eq!(auth.param("nc"), Some("00000001"));
    assert_eq!(auth.param("qop"), Some("auth"));
    assert_eq!(auth.param("cnonce"), Some("0a4f113b"));
    assert_eq!(
        auth.param("opaque"),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    assert_eq!(auth.param("uri"), Some("/dir/index.html"));

    // The RFC's own Authorization header passes the server-side check.
    let published = parse_auth(
        r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
    );
    assert!(verify(
        &published,
        &get,
        b"",
        Secret::Password("Circle Of Life")
    ));
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    assert!(verify(&published, &get, b"", Secret::Ha1(&stored)));
    assert!(!verify(
        &published,
        &get,
        b"",
        Secret::Password("Circle of Life")
    ));
    assert!(!verify(
        &published,
        &Method::Extension("POST".into()),
        b"",
        Secret::Password("Circle Of Life")
    ));
}

const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const RFC7616_OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";

fn rfc7616_3_9_1(algorithm: &str, expected: &str) {
    let challenge = parse_auth(&format!(
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}""#
    ));
    let challenge = Challenge::parse(ChallengeKind::Www, &challenge).unwrap();
    let mut client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
    client.remember(challenge).unwrap();
    let get = Method::Extension("GET".into());
    let lines = client
        .credentials_for(&get, "/dir/index.html", b"", &mut fixed(RFC7616_CNONCE))
        .unwrap();
    let auth = parse_auth(&lines[0].value);
    assert_eq!(auth.param("response"), Some(expected));
    assert_eq!(auth.param("username"), Some("Mufasa"));
    assert_eq!(auth.param("realm"), Some("http-auth@example.org"));
    assert_eq!(auth.param("algorithm"), Some(algorithm));
    assert_eq!(auth.param("nonce"), Some(RFC7616_NONCE));
    assert_eq!(auth.param("cnonce"), Some(RFC7616_CNONCE));
    assert_eq!(auth.param("opaque"), Some(RFC7616_OPAQUE));
    assert_eq!(auth.param("nc"), Some("00000001"));
    assert_eq!(auth.param("qop"), Some("auth"));
    assert!(verify(&auth, &get, b"", Secret::Password("Circle of Life")));
}

/// RFC 7616 §3.9.1, MD5 (password "Circle of Life", lowercase "of": erratum 4495).
#[test]
fn rfc7616_section_3_9_1_md5() {
    rfc7616_3_9_1("MD5", "8ca523f5e9506fed4657c9700eebdbec");
}

/// RFC 7616 §3.9.1, SHA-256.
#[test]
fn rfc7616_section_3_9_1_sha256() {
    rfc7616_3_9_1(
        "SHA-256",
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
}

/// RFC 7616 §3.9.2 (SHA-512-256, userhash). The RFC's printed userhash and
/// response were computed with SHA-512 cut to 256 bits, not with SHA-512/256
/// as §3.2 defines it (see erratum 4897, which reports the example); this
/// test shows that, and checks our SHA-512/256 values against ones computed
/// independently with OpenSSL's SHA512-256.
#[test]
fn rfc7616_section_3_9_2_sha512_256_userhash() {
    use sha2::{Digest, Sha512};
    let user = "J\u{e4}s\u{f8}n Doe";
    let realm = "api@example.org";
    let password = "Secret, or not?";
    let nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK";
    let cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
    let opaque = "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS";

    // What the RFC printed: truncated SHA-512.
    let truncated = |s: &str| -> String {
        Sha512::digest(s.as_bytes())[..32]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert_eq!(
        truncated(&format!("{user}:{realm}")),
        "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
    );
    let ha1_t = truncated(&format!("{user}:{realm}:{password}"));
    let ha2_t = truncated("GET:/doe.json");
    assert_eq!(
        truncated(&format!("{ha1_t}:{nonce}:00000001:{cnonce}:auth:{ha2_t}")),
        "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd"
    );

    // SHA-512/256 proper.
    assert_eq!(
        userhash(Algorithm::Sha512_256, user, realm),
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
    let challenge = parse_auth(&format!(
        r#"Digest realm="{realm}", qop="auth", algorithm=SHA-512-256, nonce="{nonce}", opaque="{opaque}", charset=UTF-8, userhash=true"#
    ));
    let challenge = Challenge::parse(ChallengeKind::Www, &challenge).unwrap();
    assert!(challenge.userhash);
    let mut client = DigestClient::new(Credentials::new(user, password));
    client.remember(challenge).unwrap();
    let get = Method::Extension("GET".into());
    let lines = client
        .credentials_for(&get, "/doe.json", b"", &mut fixed(cnonce))
        .unwrap();
    let auth = parse_auth(&lines[0].value);
    assert_eq!(
        auth.param("username"),
        Some("793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b")
    );
    assert_eq!(auth.param("userhash"), Some("true"));
    assert_eq!(auth.param("algorithm"), Some("SHA-512-256"));
    assert_eq!(
        auth.param("response"),
        Some("3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5")
    );
    // A registrar holding HA1 checks it; with only the password it cannot
    // (the username on the wire is a hash).
    let stored = ha1(Algorithm::Sha512_256, user, realm, password);
    assert!(verify(&auth, &get, b"", Secret::Ha1(&stored)));
    assert!(!verify(&auth, &get, b"", Secret::Password(password)));
}

/// auth-int hashes the body (value cross-checked with Python's hashlib).
#[test]
fn auth_int_hashes_the_body() {
    let msg = request("MESSAGE", "sip:bob@example.com", 1, "Hello, Bob!");
    let resp = challenge_response(
        &msg,
        401,
        &[r#"Digest realm="example.com", nonce="n-int", qop="auth-int", algorithm=SHA-256"#],
    );
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let lines = client
        .handle_challenge(&msg, &resp, &mut fixed("c-int"))
        .unwrap();
    let retry = retried(&msg, &lines);
    let auth = auth_of(&retry);
    assert_eq!(auth.param("qop"), Some("auth-int"));
    assert_eq!(
        auth.param("response"),
        Some("857b841a732229d94c508acedb818e1aea64ab6371c3d4c5e7bfc61e82fb0e80")
    );
    assert!(verify(
        &auth,
        &retry.method,
        &retry.body,
        Secret::Password("s3cret")
    ));
    assert!(!verify(
        &auth,
        &retry.method,
        b"Hello, Eve!",
        Secret::Password("s3cret")
    ));
}

#[test]
fn auth_is_preferred_unless_asked_for_auth_int() {
    let msg = request("MESSAGE", "sip:bob@example.com", 1, "hi");
    let resp = challenge_response(
        &msg,
        401,
        &[r#"Digest realm="example.com", nonce="n", qop="auth-int,auth""#],
    );
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let lines = client
        .handle_challenge(&msg, &resp, &mut counter())
        .unwrap();
    assert_eq!(parse_auth(&lines[0].value).param("qop"), Some("auth"));

    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    client.prefer_auth_int(true);
    let lines = client
        .handle_challenge(&msg, &resp, &mut counter())
        .unwrap();
    let auth = parse_auth(&lines[0].value);
    assert_eq!(auth.param("qop"), Some("auth-int"));
    assert!(verify(
        &auth,
        &msg.method,
        &msg.body,
        Secret::Password("s3cret")
    ));
}

/// MD5-sess: one cnonce per nonce, so the session key stays the same
/// (values cross-checked with Python's hashlib).
#[test]
fn md5_sess_reuses_the_cnonce_of_the_nonce() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = challenge_response(
        &reg,
        401,
        &[r#"Digest realm="example.com", nonce="n-sess", qop="auth", algorithm=MD5-sess"#],
    );
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut calls = 0;
    let mut cnonce = || {
        calls += 1;
        "c-sess".to_owned()
    };
    let first = client.handle_challenge(&reg, &resp, &mut cnonce).unwrap();
    let mut again = request("REGISTER", "sip:example.com", 3, "");
    client.authorize(&mut again, &mut cnonce).unwrap();
    assert_eq!(calls, 1);
    let a1 = parse_auth(&first[0].value);
    let a2 = auth_of(&again);
    assert_eq!(
        a1.param("response"),
        Some("52d4e7c982a6b90caf1e0c2c6009ab0e")
    );
    assert_eq!(
        a2.param("response"),
        Some("4425c8b4f60327ba75cdfbf6848523c1")
    );
    assert_eq!(a2.param("cnonce"), Some("c-sess"));
    assert!(verify(&a2, &again.method, b"", Secret::Password("s3cret")));
}

// ---------------------------------------------------------------------------
// A registrar for the flows: one realm, a nonce it can expire, nc replay checks.

struct Registrar {
    kind: ChallengeKind,
    realm: &'static str,
    password: &'static str,
    algorithm: Algorithm,
    nonce: String,
    nonces_issued: u32,
    last_nc: u32,
}

impl Registrar {
    fn new(realm: &'static str, password: &'static str) -> Registrar {
        Registrar {
            kind: ChallengeKind::Www,
            realm,
            password,
            algorithm: Algorithm::Sha256,
            nonce: "nonce-1".into(),
            nonces_issued: 1,
            last_nc: 0,
        }
    }

    fn proxy(realm: &'static str, password: &'static str) -> Registrar {
        Registrar {
            kind: ChallengeKind::Proxy,
            ..Registrar::new(realm, password)
        }
    }

    fn new_nonce(&mut self) {
        self.nonces_issued += 1;
        self.nonce = format!("nonce-{}", self.nonces_issued);
        self.last_nc = 0;
    }

    fn challenge(&self, req: &Request, stale: bool) -> Response {
        let mut c = Challenge::new(self.kind, self.realm, self.nonce.clone());
        c.algorithm = self.algorithm;
        c.qop = vec![Qop::Auth];
        c.stale = stale;
        c.opaque = Some("op4que".into());
        let status = match self.kind {
            ChallengeKind::Www => 401,
            ChallengeKind::Proxy => 407,
        };
        challenge_response(req, status, &[&c.header_value()])
    }

    /// The status the registrar answers with; 401/407 responses carry a
    /// new nonce unless `same_nonce`.
    fn handle(&mut self, req: &Request) -> Response {
        let creds: Vec<Auth> = match self.kind {
            ChallengeKind::Www => req
                .headers
                .typed_all::<Authorization>()
                .unwrap()
                .into_iter()
                .map(|a| a.0)
                .collect(),
            ChallengeKind::Proxy => req
                .headers
                .typed_all::<ProxyAuthorization>()
                .unwrap()
                .into_iter()
                .map(|a| a.0)
                .collect(),
        };
        let Some(auth) = creds
            .into_iter()
            .find(|a| a.param("realm") == Some(self.realm))
        else {
            return self.challenge(req, false);
        };
        assert_eq!(auth.param("uri"), Some(req.uri.to_string().as_str()));
        assert_eq!(auth.param("opaque"), Some("op4que"));
        let good = verify(
            &auth,
            &req.method,
            &req.body,
            Secret::Password(self.password),
        );
        if !good {
            self.new_nonce();
            return self.challenge(req, false);
        }
        if auth.param("nonce") != Some(self.nonce.as_str()) {
            self.new_nonce();
            return self.challenge(req, true);
        }
        let nc = u32::from_str_radix(auth.param("nc").unwrap(), 16).unwrap();
        assert!(nc > self.last_nc, "nonce count replayed");
        self.last_nc = nc;
        Response::for_request(req, StatusCode(200))
    }
}

#[test]
fn register_401_retry_200_then_preauthorised_requests() {
    let mut registrar = Registrar::new("example.com", "s3cret");
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut cnonce = counter();

    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = registrar.handle(&reg);
    assert_eq!(resp.status, StatusCode(401));
    let lines = client.handle_challenge(&reg, &resp, &mut cnonce).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].realm, "example.com");
    let retry = retried(&reg, &lines);
    assert_eq!(auth_of(&retry).param("nc"), Some("00000001"));
    assert_eq!(registrar.handle(&retry).status, StatusCode(200));

    // Every later request of the account, any method and Request-URI, is
    // pre-authorised with the next nonce count.
    let methods = [
        ("REGISTER", "sip:example.com", ""),
        ("INVITE", "sip:bob@example.com", "v=0\r\n"),
        ("SUBSCRIBE", "sip:carol@example.com", ""),
        ("MESSAGE", "sip:bob@example.com", "hello"),
        ("REFER", "sip:bob@192.0.2.4:5060", ""),
    ];
    for (i, (method, uri, body)) in methods.into_iter().enumerate() {
        let mut req = request(method, uri, 10 + i as u32, body);
        client.authorize(&mut req, &mut cnonce).unwrap();
        let auth = auth_of(&req);
        assert_eq!(auth.param("nc"), Some(format!("{:08x}", i + 2).as_str()));
        assert_eq!(auth.param("uri"), Some(uri));
        assert_eq!(registrar.handle(&req).status, StatusCode(200), "{method}");
    }
}

#[test]
fn ack_and_cancel_are_left_alone() {
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    client
        .remember(Challenge::new(ChallengeKind::Www, "example.com", "n"))
        .unwrap();
    for method in ["ACK", "CANCEL"] {
        let mut req = request(method, "sip:bob@example.com", 1, "");
        client.authorize(&mut req, &mut counter()).unwrap();
        assert!(!req.headers.contains(HeaderName::Authorization));
    }
}

#[test]
fn proxy_407_then_registrar_401() {
    let mut proxy = Registrar::proxy("proxy.example.com", "s3cret");
    let mut registrar = Registrar::new("example.com", "s3cret");
    registrar.algorithm = Algorithm::Md5;
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut cnonce = counter();

    let invite = request("INVITE", "sip:bob@example.com", 1, "v=0\r\n");
    let resp = proxy.handle(&invite);
    assert_eq!(resp.status, StatusCode(407));
    let lines = client
        .handle_challenge(&invite, &resp, &mut cnonce)
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].name, HeaderName::ProxyAuthorization);
    let retry = retried(&invite, &lines);
    assert!(!retry.headers.contains(HeaderName::Authorization));
    assert_eq!(proxy.handle(&retry).status, StatusCode(200));

    // The UAS behind the proxy challenges too: the next retry carries both,
    // the proxy's with the next nonce count.
    let resp = registrar.handle(&retry);
    assert_eq!(resp.status, StatusCode(401));
    let lines = client.handle_challenge(&retry, &resp, &mut cnonce).unwrap();
    assert_eq!(lines.len(), 2);
    let retry2 = retried(&invite, &lines);
    let pa = retry2
        .headers
        .typed::<ProxyAuthorization>()
        .unwrap()
        .unwrap();
    assert_eq!(pa.param("nc"), Some("00000002"));
    assert_eq!(auth_of(&retry2).param("algorithm"), Some("MD5"));
    assert_eq!(proxy.handle(&retry2).status, StatusCode(200));
    assert_eq!(registrar.handle(&retry2).status, StatusCode(200));
}

#[test]
fn stale_nonce_is_retried_without_asking() {
    let mut registrar = Registrar::new("example.com", "s3cret");
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut cnonce = counter();
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let lines = client
        .handle_challenge(&reg, &registrar.handle(&reg), &mut cnonce)
        .unwrap();
    assert_eq!(
        registrar.handle(&retried(&reg, &lines)).status,
        StatusCode(200)
    );

    // The nonce expires; the next refresh is answered stale=true.
    registrar.new_nonce();
    let mut refresh = request("REGISTER", "sip:example.com", 3, "");
    client.authorize(&mut refresh, &mut cnonce).unwrap();
    assert_eq!(auth_of(&refresh).param("nc"), Some("00000002"));
    let resp = registrar.handle(&refresh);
    assert_eq!(resp.status, StatusCode(401));
    let ch = Challenge::from_response(&resp).unwrap();
    assert!(ch[0].stale);
    let lines = client
        .handle_challenge(&refresh, &resp, &mut cnonce)
        .unwrap();
    let retry = retried(&refresh, &lines);
    let auth = auth_of(&retry);
    assert_eq!(auth.param("nonce"), Some("nonce-3"));
    assert_eq!(auth.param("nc"), Some("00000001"));
    assert_eq!(registrar.handle(&retry).status, StatusCode(200));
}

#[test]
fn a_server_that_calls_everything_stale_does_not_loop() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut cnonce = counter();
    let mut req = reg.clone();
    let mut n = 0;
    let err = loop {
        n += 1;
        assert!(n < 10, "looping");
        let c = format!(r#"Digest realm="example.com", nonce="n{n}", qop="auth", stale=true"#);
        match client.handle_challenge(&req, &challenge_response(&req, 401, &[&c]), &mut cnonce) {
            Ok(lines) => req = retried(&reg, &lines),
            Err(e) => break e,
        }
    };
    assert_eq!(
        err,
        Error::AuthRejected {
            realm: "example.com".into()
        }
    );
}

#[test]
fn wrong_password_is_a_typed_error_not_a_loop() {
    // The registrar issues a new nonce with every 401.
    let mut registrar = Registrar::new("example.com", "s3cret");
    let mut client = DigestClient::new(Credentials::new("alice", "wrong"));
    let mut cnonce = counter();
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let lines = client
        .handle_challenge(&reg, &registrar.handle(&reg), &mut cnonce)
        .unwrap();
    let retry = retried(&reg, &lines);
    let resp = registrar.handle(&retry);
    assert_eq!(resp.status, StatusCode(401));
    assert_eq!(
        client.handle_challenge(&retry, &resp, &mut cnonce),
        Err(Error::AuthRejected {
            realm: "example.com".into()
        })
    );
    // The realm is forgotten: nothing is pre-authorised with it any more.
    assert_eq!(client.realms().count(), 0);
    let mut next = request("REGISTER", "sip:example.com", 3, "");
    client.authorize(&mut next, &mut cnonce).unwrap();
    assert!(!next.headers.contains(HeaderName::Authorization));
}

#[test]
fn same_nonce_without_stale_is_a_rejection() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let challenge = r#"Digest realm="example.com", nonce="same", qop="auth""#;
    let mut client = DigestClient::new(Credentials::new("alice", "wrong"));
    let mut cnonce = counter();
    let lines = client
        .handle_challenge(
            &reg,
            &challenge_response(&reg, 401, &[challenge]),
            &mut cnonce,
        )
        .unwrap();
    let retry = retried(&reg, &lines);
    assert_eq!(
        client.handle_challenge(
            &retry,
            &challenge_response(&retry, 401, &[challenge]),
            &mut cnonce
        ),
        Err(Error::AuthRejected {
            realm: "example.com".into()
        })
    );
}

#[test]
fn a_forgotten_cached_nonce_is_answered_once_more() {
    // A server that lost its nonces (restart) challenges a pre-authorised
    // request with a fresh nonce and no stale flag: answer it once.
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let mut cnonce = counter();
    let first = r#"Digest realm="example.com", nonce="old", qop="auth""#;
    client
        .handle_challenge(&reg, &challenge_response(&reg, 401, &[first]), &mut cnonce)
        .unwrap();
    let mut later = request("INVITE", "sip:bob@example.com", 1, "");
    client.authorize(&mut later, &mut cnonce).unwrap();
    assert_eq!(auth_of(&later).param("nc"), Some("00000002"));
    let fresh = r#"Digest realm="example.com", nonce="new", qop="auth""#;
    let lines = client
        .handle_challenge(
            &later,
            &challenge_response(&later, 401, &[fresh]),
            &mut cnonce,
        )
        .unwrap();
    let retry = retried(&later, &lines);
    assert_eq!(auth_of(&retry).param("nonce"), Some("new"));
    // …but its answer challenged again is a rejection.
    let newer = r#"Digest realm="example.com", nonce="newer", qop="auth""#;
    assert!(matches!(
        client.handle_challenge(
            &retry,
            &challenge_response(&retry, 401, &[newer]),
            &mut cnonce
        ),
        Err(Error::AuthRejected { .. })
    ));
}

#[test]
fn without_qop_the_rfc2069_form_is_used() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = challenge_response(&reg, 401, &[r#"Digest realm="example.com", nonce="abc""#]);
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let lines = client
        .handle_challenge(&reg, &resp, &mut || unreachable!("no cnonce without qop"))
        .unwrap();
    let auth = parse_auth(&lines[0].value);
    assert_eq!(auth.param("nc"), None);
    assert_eq!(auth.param("cnonce"), None);
    assert_eq!(auth.param("qop"), None);
    assert!(verify(&auth, &reg.method, b"", Secret::Password("s3cret")));
}

// ---------------------------------------------------------------------------
// Choosing among challenges

#[test]
fn the_strongest_challenge_of_a_realm_is_chosen() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = challenge_response(
        &reg,
        401,
        &[
            r#"Digest realm="example.com", nonce="a", qop="auth", algorithm=MD5"#,
            r#"Digest realm="example.com", nonce="x", qop="auth", algorithm=SHA3-256"#,
            r#"Digest realm="example.com", nonce="b", qop="auth", algorithm=SHA-512-256"#,
            r#"Digest realm="example.com", nonce="c", qop="auth", algorithm=SHA-256"#,
            r#"Digest realm="other.example.com", nonce="d", qop="auth""#,
        ],
    );
    let chosen = Challenge::from_response(&resp).unwrap();
    assert_eq!(chosen.len(), 2);
    assert_eq!(chosen[0].algorithm, Algorithm::Sha512_256);
    assert_eq!(chosen[0].nonce, "b");
    assert_eq!(chosen[1].realm, "other.example.com");
    assert_eq!(chosen[1].algorithm, Algorithm::Md5);

    // Only the realm with credentials is answered.
    let mut client =
        DigestClient::new(Credentials::new("alice", "s3cret").for_realm("example.com"));
    let lines = client
        .handle_challenge(&reg, &resp, &mut counter())
        .unwrap();
    assert_eq!(lines.len(), 1);
    let auth = parse_auth(&lines[0].value);
    assert_eq!(auth.param("algorithm"), Some("SHA-512-256"));
    assert_eq!(auth.param("response").map(str::len), Some(64));
    assert!(verify(&auth, &reg.method, b"", Secret::Password("s3cret")));
}

#[test]
fn per_realm_credentials() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = challenge_response(
        &reg,
        401,
        &[
            r#"Digest realm="a.example", nonce="1", qop="auth""#,
            r#"Digest realm="b.example", nonce="2", qop="auth""#,
        ],
    );
    let mut client = DigestClient::new(Credentials::new("anyone", "fallback"));
    client.add_credentials(Credentials::new("bob", "for-b").for_realm("b.example"));
    let lines = client
        .handle_challenge(&reg, &resp, &mut counter())
        .unwrap();
    let a = parse_auth(&lines[0].value);
    let b = parse_auth(&lines[1].value);
    assert_eq!(a.param("username"), Some("anyone"));
    assert_eq!(b.param("username"), Some("bob"));
    assert!(verify(&b, &reg.method, b"", Secret::Password("for-b")));

    let mut only_c = DigestClient::new(Credentials::new("c", "c").for_realm("c.example"));
    assert_eq!(
        only_c.handle_challenge(&reg, &resp, &mut counter()),
        Err(Error::AuthNoCredentials {
            realm: "a.example".into()
        })
    );
}

// ---------------------------------------------------------------------------
// Bad challenges give typed errors

#[test]
fn malformed_challenges_are_typed_errors() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    let cases: &[(&[&str], ChallengeError)] = &[
        (&[], ChallengeError::Missing),
        (
            &[r#"Digest realm="example.com", qop="auth""#],
            ChallengeError::MissingNonce,
        ),
        (&[r#"Digest nonce="n""#], ChallengeError::MissingRealm),
        (
            &[r#"Digest realm="example.com", nonce="n", algorithm=SHA-1"#],
            ChallengeError::UnsupportedAlgorithm("SHA-1".into()),
        ),
        (
            &[r#"Digest realm="example.com", nonce="n", qop="auth-conf""#],
            ChallengeError::UnsupportedQop("auth-conf".into()),
        ),
        (
            &[r#"Basic realm="example.com""#],
            ChallengeError::NotDigest("Basic".into()),
        ),
        (
            &[
                r#"Basic realm="example.com""#,
                r#"Digest realm="example.com""#,
            ],
            ChallengeError::NotDigest("Basic".into()),
        ),
    ];
    for (headers, expected) in cases {
        let resp = challenge_response(&reg, 401, headers);
        assert_eq!(
            client.handle_challenge(&reg, &resp, &mut counter()),
            Err(Error::AuthChallenge(expected.clone())),
            "{headers:?}"
        );
    }
    let resp = challenge_response(&reg, 401, &[r#"Digest realm="example.com, nonce="n""#]);
    assert!(matches!(
        client.handle_challenge(&reg, &resp, &mut counter()),
        Err(Error::AuthChallenge(ChallengeError::Syntax(_)))
    ));
    let ok = Response::for_request(&reg, StatusCode(200));
    assert_eq!(
        client.handle_challenge(&reg, &ok, &mut counter()),
        Err(Error::AuthChallenge(ChallengeError::NotAChallenge(200)))
    );
    // A usable challenge beside broken ones is still answered.
    let resp = challenge_response(
        &reg,
        401,
        &[
            r#"Digest realm="example.com", algorithm=SHA-1"#,
            r#"Digest realm="example.com", nonce="n", qop="auth""#,
        ],
    );
    assert!(client.handle_challenge(&reg, &resp, &mut counter()).is_ok());
}

#[test]
fn header_injection_through_the_cnonce_or_username_is_refused() {
    let reg = request("REGISTER", "sip:example.com", 1, "");
    let resp = challenge_response(
        &reg,
        401,
        &[r#"Digest realm="example.com", nonce="n", qop="auth""#],
    );
    let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
    assert_eq!(
        client.handle_challenge(&reg, &resp, &mut fixed("x\r\nEvil: 1")),
        Err(Error::InvalidValue("cnonce"))
    );
    let mut client = DigestClient::new(Credentials::new("alice\r\nEvil: 1", "s3cret"));
    assert_eq!(
        client.handle_challenge(&reg, &resp, &mut counter()),
        Err(Error::InvalidValue("username"))
    );
}

#[test]
fn challenge_round_trips_through_its_header_value() {
    let mut c = Challenge::new(ChallengeKind::Proxy, "example.com", "abc");
    c.algorithm = Algorithm::Sha256Sess;
    c.qop = vec![Qop::Auth, Qop::AuthInt];
    c.opaque = Some("o".into());
    c.stale = true;
    c.userhash = true;
    let parsed = Challenge::parse(ChallengeKind::Proxy, &parse_auth(&c.header_value())).unwrap();
    assert_eq!(parsed, c);
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_challenge_text_gives_a_result(value in "[ -~]{0,120}") {
            let reg = request("REGISTER", "sip:example.com", 1, "");
            let mut resp = Response::for_request(&reg, StatusCode(401));
            if resp.headers.push(HeaderName::WwwAuthenticate, &value).is_ok() {
                let mut client = DigestClient::new(Credentials::new("alice", "s3cret"));
                let _ = client.handle_challenge(&reg, &resp, &mut || "c".to_owned());
            }
        }

        #[test]
        fn verify_never_panics(value in "Digest [ -~]{0,160}") {
            if let Ok(a) = Authorization::parse(&value) {
                let _ = verify(&a, &Method::Register, b"", Secret::Ha1("zz"));
            }
        }
    }
}
