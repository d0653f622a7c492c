//! Name resolution of SIP servers, behind a trait so tests can substitute it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use super::dns::{self, DnsClient, RecordType};
use crate::error::{DnsError, Error};

/// A boxed future, as returned by [`Resolver::resolve`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One target of an SRV record set (RFC 2782), in the order to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvTarget {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among targets of the same priority.
    pub weight: u16,
    /// The port of the service on the target.
    pub port: u16,
    /// The target host name (no trailing dot).
    pub target: String,
    /// The target's addresses when the same response carried them (the
    /// additional section); empty means "resolve `target`".
    pub addrs: Vec<IpAddr>,
}

/// Turns a host name and port into addresses (A/AAAA), and a service name
/// into SRV targets (RFC 2782, for RFC 3263 server location).
///
/// The default, [`SystemResolver`], asks the operating system and does no
/// SRV lookups; [`DnsResolver`] asks nameservers directly and does both;
/// [`StaticResolver`] answers from a table, for tests.
pub trait Resolver: Send + Sync + 'static {
    /// Addresses of `host:port`, preferred first.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, Error>>;

    /// The SRV targets of `name` (such as `_sip._udp.example.com`), in the
    /// order to try them. `Ok` with no target means the name has no SRV
    /// record (NXDOMAIN or no data), so the caller falls back to A/AAAA.
    ///
    /// The default answers `Err(Error::Dns(DnsError::NotSupported))`, which
    /// [`Endpoint::resolve_service`](super::Endpoint::resolve_service) also
    /// treats as "no SRV record".
    fn resolve_srv<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvTarget>, Error>> {
        let _ = name;
        Box::pin(async { Err(Error::Dns(DnsError::NotSupported)) })
    }
}

/// The operating system's resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, Error>> {
        Box::pin(async move {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                return Ok(vec![SocketAddr::new(ip, port)]);
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| Error::Io(e.kind()))?
                .collect();
            if addrs.is_empty() {
                Err(Error::Io(std::io::ErrorKind::NotFound))
            } else {
                Ok(addrs)
            }
        })
    }
}

/// A fixed table, for tests and for hosts files of embedded devices.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    entries: Vec<(String, Vec<SocketAddr>)>,
    srv: Vec<(String, Vec<SrvTarget>)>,
}

impl StaticResolver {
    /// Adds `host` → `addrs` (the port of each address is replaced by the one asked).
    #[must_use]
    pub fn with(mut self, host: &str, addrs: &[SocketAddr]) -> StaticResolver {
        self.entries
            .push((host.to_ascii_lowercase(), addrs.to_vec()));
        self
    }

    /// Adds the SRV record set `name` → `targets`, returned in the order given.
    #[must_use]
    pub fn with_srv(mut self, name: &str, targets: &[SrvTarget]) -> StaticResolver {
        self.srv.push((name.to_ascii_lowercase(), targets.to_vec()));
        self
    }
}

impl Resolver for StaticResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, Error>> {
        Box::pin(async move {
            let host = host.to_ascii_lowercase();
            self.entries
                .iter()
                .find(|(h, _)| *h == host)
                .map(|(_, a)| a.iter().map(|a| SocketAddr::new(a.ip(), port)).collect())
                .ok_or(Error::Io(std::io::ErrorKind::NotFound))
        })
    }

    /// The targets added with [`StaticResolver::with_srv`]; none for other names.
    fn resolve_srv<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvTarget>, Error>> {
        Box::pin(async move {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            Ok(self
                .srv
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.clone())
                .unwrap_or_default())
        })
    }
}

/// A resolver that asks nameservers directly ([`DnsClient`]): A and AAAA
/// records for [`Resolver::resolve`], SRV records for
/// [`Resolver::resolve_srv`].
///
/// - Addresses: the A and AAAA queries go out together; IPv4 addresses come
///   first, then IPv6 (the endpoint then prefers the family of its UDP
///   socket). CNAME chains inside a response are followed. When DNS yields
///   no address (NXDOMAIN, no data, timeout, ...), the system resolver is
///   asked instead, so `/etc/hosts` names such as `localhost` still work;
///   turn that off with [`DnsResolver::system_fallback`].
/// - SRV: targets are ordered by priority, then by RFC 2782's weighted
///   random selection within a priority, drawn from a generator seeded at
///   random (or with [`DnsResolver::seed`], for reproducible orders; each
///   lookup advances it). Addresses of the targets found in the response's
///   additional section are returned in [`SrvTarget::addrs`]. NXDOMAIN and
///   "no SRV record" are `Ok(vec![])`; a lone target `.` is
///   [`DnsError::ServiceUnavailable`].
#[derive(Debug)]
pub struct DnsResolver {
    client: DnsClient,
    system_fallback: bool,
    rng: AtomicU64,
}

impl DnsResolver {
    /// A resolver using `client`.
    pub fn new(client: DnsClient) -> DnsResolver {
        DnsResolver {
            client,
            system_fallback: true,
            rng: AtomicU64::new(super::random_seed()),
        }
    }

    /// A resolver asking the nameservers of `/etc/resolv.conf`
    /// (see [`DnsClient::from_resolv_conf`]).
    pub fn from_system() -> DnsResolver {
        DnsResolver::new(DnsClient::from_resolv_conf())
    }

    /// A resolver asking `nameservers` (default timeout and retry).
    pub fn with_nameservers(nameservers: &[SocketAddr]) -> DnsResolver {
        DnsResolver::new(DnsClient::new(nameservers.to_vec()))
    }

    /// Seeds the weighted random order of SRV targets of equal priority.
    #[must_use]
    pub fn seed(self, seed: u64) -> DnsResolver {
        self.rng.store(seed, Ordering::Relaxed);
        self
    }

    /// Whether to ask the system resolver when DNS yields no address (default on).
    #[must_use]
    pub fn system_fallback(mut self, on: bool) -> DnsResolver {
        self.system_fallback = on;
        self
    }

    /// The DNS client.
    pub fn client(&self) -> &DnsClient {
        &self.client
    }

    async fn dns_addresses(&self, host: &str) -> Result<Vec<IpAddr>, Error> {
        let (v4, v6) = tokio::join!(
            self.client.query(host, RecordType::A),
            self.client.query(host, RecordType::Aaaa)
        );
        let mut addrs = Vec::new();
        let mut error = None;
        for r in [v4, v6] {
            match r {
                Ok(m) => {
                    for ip in m.addresses(host) {
                        if !addrs.contains(&ip) {
                            addrs.push(ip);
                        }
                    }
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        match error {
            Some(e) if addrs.is_empty() => Err(e),
            _ if addrs.is_empty() => Err(Error::Io(std::io::ErrorKind::NotFound)),
            _ => Ok(addrs),
        }
    }
}

impl Resolver for DnsResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, Error>> {
        Box::pin(async move {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                return Ok(vec![SocketAddr::new(ip, port)]);
            }
            match self.dns_addresses(bare).await {
                Ok(ips) => Ok(ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect()),
                Err(e) if self.system_fallback => {
                    SystemResolver.resolve(bare, port).await.map_err(|_| e)
                }
                Err(e) => Err(e),
            }
        })
    }

    fn resolve_srv<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvTarget>, Error>> {
        Box::pin(async move {
            let m = match self.client.query(name, RecordType::Srv).await {
                Ok(m) => m,
                Err(Error::Dns(DnsError::NxDomain)) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let records = m.srv(name);
            if records.len() == 1 && records.iter().all(|r| r.target.is_empty()) {
                return Err(Error::Dns(DnsError::ServiceUnavailable));
            }
            let records = records
                .into_iter()
                .filter(|r| !r.target.is_empty())
                .collect();
            let mut state = self.rng.fetch_add(1, Ordering::Relaxed);
            let seed = dns::splitmix64(&mut state);
            Ok(dns::order_srv(records, seed)
                .into_iter()
                .map(|r| SrvTarget {
                    addrs: m.addresses(&r.target),
                    priority: r.priority,
                    weight: r.weight,
                    port: r.port,
                    target: r.target,
                })
                .collect())
        })
    }
}
