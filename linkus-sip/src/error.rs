//! The crate's one error type.

use crate::auth::ChallengeError;
use crate::message::{HeaderName, Method};

/// Every failure of `linkus-sip`: bad input from the network or the user,
/// and limits hit. Matched exactly in tests (`PartialEq`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message (or the bytes buffered for one) exceeds [`Limits::max_message_size`](crate::message::Limits).
    #[error("message larger than the limit of {limit} bytes")]
    MessageTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More header fields than [`Limits::max_headers`](crate::message::Limits).
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// A line (start line or header line with its folds) longer than
    /// [`Limits::max_line_length`](crate::message::Limits).
    #[error("a line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// A datagram whose header section is not closed by an empty line.
    #[error("the header section is not terminated by an empty line")]
    IncompleteHead,
    /// The start line or header section is not UTF-8.
    #[error("the header section is not valid UTF-8")]
    InvalidUtf8,
    /// The request line or status line is malformed.
    #[error("invalid start line: {0}")]
    StartLine(#[from] StartLineError),
    /// The SIP version is not `SIP/2.0` (a UA answers 505).
    #[error("unsupported SIP version {0:?}")]
    UnsupportedVersion(String),
    /// A header line is not `name: value` with a token name.
    #[error("malformed header line {line}")]
    HeaderLine {
        /// 1-based line number in the message.
        line: usize,
    },
    /// A header's value does not follow its grammar.
    #[error("invalid {header} header: {reason}")]
    InvalidHeader {
        /// The header (known headers only; unknown ones are kept verbatim).
        header: HeaderName,
        /// What is wrong.
        reason: &'static str,
    },
    /// A URI does not follow RFC 3261 §25 / RFC 3966.
    #[error("invalid URI: {0}")]
    InvalidUri(#[from] UriError),
    /// A header field the message must carry is missing.
    #[error("missing {0} header")]
    MissingHeader(HeaderName),
    /// A header field that may appear once appears several times.
    #[error("{0} header appears more than once")]
    DuplicateHeader(HeaderName),
    /// Content-Length values disagree with each other (framing is corrupt).
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Content-Length is missing on a stream transport, where it is mandatory.
    #[error("Content-Length is required on stream transports")]
    MissingContentLength,
    /// Content-Length announces more bytes than the datagram holds.
    #[error(
        "Content-Length {declared} exceeds the {available} bytes that follow the header section"
    )]
    ContentLengthExceedsBody {
        /// The announced length.
        declared: usize,
        /// The bytes present.
        available: usize,
    },
    /// The CSeq method differs from the request method.
    #[error("CSeq method {cseq} does not match request method {method}")]
    CSeqMethodMismatch {
        /// Method of the request line.
        method: Method,
        /// Method of the CSeq header.
        cseq: Method,
    },
    /// A multipart body is malformed.
    #[error("invalid multipart body: {0}")]
    Multipart(&'static str),
    /// A response received by a UA must carry exactly one Via (RFC 3261 §8.1.3.3).
    #[error("a response must carry exactly one Via, this one has {0}")]
    ResponseViaCount(usize),
    /// A socket operation failed (driver only).
    #[error("I/O error: {0:?}")]
    Io(std::io::ErrorKind),
    /// TLS could not be set up or the handshake failed (driver only).
    #[error("TLS: {0}")]
    Tls(TlsError),
    /// A DNS lookup failed or its response is malformed (driver only).
    #[error("DNS: {0}")]
    Dns(DnsError),
    /// The driver task has stopped.
    #[error("the SIP endpoint has shut down")]
    Shutdown,
    /// A value handed to a builder cannot be put on the wire (e.g. it holds CR or LF).
    #[error("invalid value for {0}")]
    InvalidValue(&'static str),
    /// A 401/407 carries no digest challenge this client can answer.
    #[error("unusable authentication challenge: {0}")]
    AuthChallenge(#[from] ChallengeError),
    /// The server challenged again credentials it had just been given for
    /// this realm, without `stale=true`: the username or password is wrong.
    #[error("credentials rejected for realm {realm:?}")]
    AuthRejected {
        /// The realm whose credentials were rejected.
        realm: String,
    },
    /// A realm challenges and no credentials are configured for it.
    #[error("no credentials for realm {realm:?}")]
    AuthNoCredentials {
        /// The realm that challenged.
        realm: String,
    },
}

/// What is wrong with a request line or status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartLineError {
    /// Not three SP-separated elements.
    #[error(
        "not of the form `Method SP Request-URI SP SIP-Version` / `SIP-Version SP Status-Code SP Reason`"
    )]
    Malformed,
    /// More than one SP between elements (RFC 4475 §3.1.2.9).
    #[error("elements separated by more than one SP")]
    ExtraWhitespace,
    /// SP after the SIP version (RFC 4475 §3.1.2.10).
    #[error("trailing whitespace")]
    TrailingWhitespace,
    /// The method is not a token.
    #[error("the method is not a token")]
    InvalidMethod,
    /// The Request-URI is enclosed in `<>` (RFC 4475 §3.1.2.7).
    #[error("the Request-URI is enclosed in <>")]
    AngleBracketsInRequestUri,
    /// The Request-URI carries `?headers` (RFC 3261 §19.1.5, RFC 4475 §3.1.2.11).
    #[error("the Request-URI carries escaped headers")]
    HeadersInRequestUri,
    /// The status code is not three digits from 100 to 699.
    #[error("the status code is not three digits between 100 and 699")]
    InvalidStatusCode,
    /// The reason phrase holds control characters.
    #[error("the reason phrase holds control characters")]
    InvalidReasonPhrase,
}

/// What is wrong with a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// No `scheme:` prefix, or an invalid scheme.
    #[error("missing or invalid scheme")]
    Scheme,
    /// The user part holds characters it may not.
    #[error("invalid user part")]
    User,
    /// The password holds characters it may not.
    #[error("invalid password")]
    Password,
    /// The host is not a hostname, IPv4 address or bracketed IPv6 reference.
    #[error("invalid host")]
    Host,
    /// The port is not a number from 0 to 65535.
    #[error("invalid port")]
    Port,
    /// A URI parameter is empty or holds characters it may not.
    #[error("invalid URI parameter")]
    Param,
    /// The `?headers` part is malformed.
    #[error("invalid URI headers")]
    Headers,
    /// A tel URI's number is malformed.
    #[error("invalid telephone number")]
    TelNumber,
    /// Characters (such as whitespace) that no URI may hold.
    #[error("invalid character")]
    Character,
}

/// What went wrong with TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The server name is not a valid DNS name or IP address.
    #[error("invalid server name")]
    InvalidServerName,
    /// No TLS client configuration: build the endpoint with TLS enabled.
    #[error("TLS is not configured on this endpoint")]
    NotConfigured,
    /// A certificate or key could not be loaded.
    #[error("invalid certificate or key")]
    BadCertificate,
    /// The handshake failed (certificate not trusted, name mismatch, protocol error).
    #[error("handshake failed: {0:?}")]
    Handshake(std::io::ErrorKind),
}

/// What went wrong with a DNS lookup (the driver's DNS client, RFC 1035).
///
/// Malformed responses are reported with these typed errors; the parser
/// never panics on network input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The name cannot be put in a query: empty label, label longer than 63
    /// bytes, name longer than 255 bytes, or non-ASCII (use punycode).
    #[error("invalid domain name")]
    InvalidName,
    /// The message ends before a field it announces (header, name, record, RDATA).
    #[error("message shorter than its contents")]
    OutOfBounds,
    /// A compression pointer does not point strictly before the name that
    /// holds it (how pointer loops are made), or pointers nest too deep.
    #[error("compression pointer loop")]
    PointerLoop,
    /// A label type other than a plain label or a pointer (0x40/0x80 prefixes).
    #[error("unsupported label type")]
    BadLabel,
    /// A decoded name longer than 255 bytes.
    #[error("name longer than 255 bytes")]
    NameTooLong,
    /// A record's RDATA does not match its type (e.g. an A record not 4 bytes long).
    #[error("malformed resource record")]
    BadRecord,
    /// The message is a query, or not a standard query's response.
    #[error("not a response to a standard query")]
    NotAResponse,
    /// The response's id is not the query's (stale or spoofed; the client
    /// keeps waiting for the right one).
    #[error("response id {got:#06x} does not match query id {expected:#06x}")]
    IdMismatch {
        /// The query's id.
        expected: u16,
        /// The response's id.
        got: u16,
    },
    /// The response's question is not the query's.
    #[error("response question does not match the query")]
    QuestionMismatch,
    /// The response has the TC bit: it did not fit in a datagram (there is
    /// no TCP fallback).
    #[error("truncated response (TC)")]
    Truncated,
    /// The name does not exist (RCODE 3, NXDOMAIN).
    #[error("no such domain")]
    NxDomain,
    /// Another error RCODE (1 FORMERR, 2 SERVFAIL, 4 NOTIMP, 5 REFUSED, ...).
    #[error("server answered RCODE {0}")]
    Rcode(u8),
    /// No nameserver answered in time, after the retry.
    #[error("no answer from the nameservers in time")]
    Timeout,
    /// No nameserver is configured.
    #[error("no nameserver configured")]
    NoNameserver,
    /// This resolver does not do SRV lookups (the default of
    /// `Resolver::resolve_srv`).
    #[error("SRV lookups are not supported by this resolver")]
    NotSupported,
    /// The SRV record set says the service is decidedly not available at
    /// this domain (a single record with target `.`, RFC 2782).
    #[error("service not available at this domain (SRV target \".\")")]
    ServiceUnavailable,
}
