//! Name resolution of SIP servers, behind a trait so tests can substitute it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use crate::error::Error;

/// A boxed future, as returned by [`Resolver::resolve`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Turns a host name and port into addresses (A/AAAA).
///
/// The default, [`SystemResolver`], asks the operating system. SRV lookups
/// (RFC 3263) need a DNS client; plug one in by implementing this trait.
pub trait Resolver: Send + Sync + 'static {
    /// Addresses of `host:port`, preferred first.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, Result<Vec<SocketAddr>, Error>>;
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
}

impl StaticResolver {
    /// Adds `host` → `addrs` (the port of each address is replaced by the one asked).
    #[must_use]
    pub fn with(mut self, host: &str, addrs: &[SocketAddr]) -> StaticResolver {
        self.entries
            .push((host.to_ascii_lowercase(), addrs.to_vec()));
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
}
