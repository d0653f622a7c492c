//! The tokio driver (feature `tokio`): one task per endpoint owns the UDP
//! socket, the TCP listener and connections, TLS connections, and the
//! timers, and feeds the sans-IO [`UserAgent`] with bytes and time.
//!
//! Servers are found through a [`Resolver`]: A/AAAA by default, and SRV
//! records as RFC 3263 §4.2 does with [`Endpoint::resolve_service`] (or
//! [`EndpointBuilder::srv_lookup`]) and a resolver that does SRV, such as
//! [`DnsResolver`] (its DNS client is in [`dns`]).
//!
//! ```no_run
//! use linkus_sip::driver::Endpoint;
//! use linkus_sip::message::Uri;
//! use linkus_sip::ua::UaEvent;
//!
//! # async fn run() -> Result<(), linkus_sip::Error> {
//! let (endpoint, mut events) = Endpoint::builder().udp("0.0.0.0:0".parse().unwrap()).build().await?;
//! let reg = endpoint
//!     .register("pbx.example.com:5060", linkus_sip::message::typed::Transport::Udp,
//!               Uri::parse("sip:1001@pbx.example.com")?, Some(("1001".into(), "secret".into())))
//!     .await?;
//! while let Some(ev) = events.recv().await {
//!     if let UaEvent::Registration { id, state } = ev {
//!         println!("{id:?}: {state:?}");
//!     }
//! }
//! endpoint.shutdown().await;
//! # let _ = reg;
//! # Ok(()) }
//! ```
#![allow(
    clippy::disallowed_methods,
    reason = "the driver is where the clock is read and where tasks sleep"
)]

pub mod dns;
mod resolver;
mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};

pub use resolver::{BoxFuture, DnsResolver, Resolver, SrvTarget, StaticResolver, SystemResolver};
pub use tls::TlsConfig;

use crate::error::{DnsError, Error, TlsError};
use crate::message::typed::Transport;
use crate::message::{Framed, StreamFramer, Uri};
use crate::transaction::Peer;
use crate::ua::{RegisterConfig, RegistrationId, UaConfig, UaEvent, UaOutput, UserAgent};

type Job = Box<dyn FnOnce(&mut UserAgent, Instant, &mut DriverState) + Send>;

enum Command {
    Run(Job),
    Shutdown(oneshot::Sender<()>),
}

/// Where the endpoint listens and how it behaves.
pub struct EndpointBuilder {
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
    tls: Option<(Option<SocketAddr>, TlsConfig)>,
    user_agent: Option<String>,
    seed: Option<u64>,
    resolver: Arc<dyn Resolver>,
    advertise: HashMap<Transport, SocketAddr>,
    srv: bool,
}

impl std::fmt::Debug for EndpointBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointBuilder")
            .field("udp", &self.udp)
            .field("tcp", &self.tcp)
            .finish()
    }
}

impl EndpointBuilder {
    /// Listen on UDP at `addr` (port 0 picks a free port).
    #[must_use]
    pub fn udp(mut self, addr: SocketAddr) -> Self {
        self.udp = Some(addr);
        self
    }

    /// Listen on TCP at `addr`.
    #[must_use]
    pub fn tcp(mut self, addr: SocketAddr) -> Self {
        self.tcp = Some(addr);
        self
    }

    /// Use TLS as a client (and, with `listen`, as a server too).
    #[must_use]
    pub fn tls(mut self, listen: Option<SocketAddr>, config: TlsConfig) -> Self {
        self.tls = Some((listen, config));
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.user_agent = Some(ua.to_owned());
        self
    }

    /// Seeds tags, branches and Call-IDs (random by default).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Replaces the DNS resolver.
    #[must_use]
    pub fn resolver(mut self, r: impl Resolver) -> Self {
        self.resolver = Arc::new(r);
        self
    }

    /// Locate servers with SRV records (RFC 3263 §4.2) in
    /// [`Endpoint::resolve`] and [`Endpoint::register`] when the server
    /// string is a domain name without a port (default off: a name is then
    /// resolved to A/AAAA on port 5060, or 5061 for TLS). Needs a resolver
    /// that does SRV, such as [`DnsResolver`]; with one that does not, the
    /// lookup falls back to A/AAAA. See [`Endpoint::resolve_service`].
    #[must_use]
    pub fn srv_lookup(mut self, on: bool) -> Self {
        self.srv = on;
        self
    }

    /// Advertise `addr` in Via/Contact for `transport` instead of the bound
    /// address (a 0.0.0.0 bind needs a reachable address here).
    #[must_use]
    pub fn advertise(mut self, transport: Transport, addr: SocketAddr) -> Self {
        self.advertise.insert(transport, addr);
        self
    }

    /// Binds the sockets and starts the driver task.
    pub async fn build(self) -> Result<(Endpoint, mpsc::UnboundedReceiver<UaEvent>), Error> {
        let io = |e: std::io::Error| Error::Io(e.kind());
        let mut local = Vec::new();
        let udp = match self.udp {
            Some(a) => {
                let s = UdpSocket::bind(a).await.map_err(io)?;
                local.push((Transport::Udp, s.local_addr().map_err(io)?));
                Some(Arc::new(s))
            }
            None => None,
        };
        let tcp = match self.tcp {
            Some(a) => {
                let l = TcpListener::bind(a).await.map_err(io)?;
                local.push((Transport::Tcp, l.local_addr().map_err(io)?));
                Some(l)
            }
            None => None,
        };
        let (tls_listener, tls) = match self.tls {
            Some((listen, cfg)) => {
                let l = match listen {
                    Some(a) => {
                        let l = TcpListener::bind(a).await.map_err(io)?;
                        local.push((Transport::Tls, l.local_addr().map_err(io)?));
                        Some(l)
                    }
                    None => None,
                };
                (l, Some(cfg))
            }
            None => (None, None),
        };
        if local.is_empty() {
            return Err(Error::InvalidValue(
                "the endpoint needs at least one transport",
            ));
        }
        let bound: Vec<(Transport, SocketAddr)> = local.clone();
        for (t, a) in &mut local {
            if let Some(adv) = self.advertise.get(t) {
                *a = *adv;
            } else if a.ip().is_unspecified() {
                // Without an advertised address, use loopback rather than 0.0.0.0.
                let ip = if a.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                };
                *a = SocketAddr::new(ip, a.port());
            }
        }
        // A TLS client without a listener still needs an address for Via/Contact.
        if tls.is_some() && !local.iter().any(|(t, _)| *t == Transport::Tls) {
            if let Some((_, a)) = local.first().cloned() {
                local.push((Transport::Tls, a));
            }
        }
        let seed = self.seed.unwrap_or_else(random_seed);
        let mut config = UaConfig::new(local[0].0.clone(), local[0].1, seed);
        config.local = local.clone();
        if let Some(ua) = self.user_agent {
            config.user_agent = ua;
        }
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let (frame_tx, frame_rx) = mpsc::unbounded_channel();
        let state = DriverState {
            conns: HashMap::new(),
            frame_tx,
            tls,
            tls_names: HashMap::new(),
        };
        let driver = Driver {
            ua: UserAgent::new(config),
            udp,
            tcp,
            tls_listener,
            cmd_rx,
            ev_tx,
            frame_rx,
            state,
        };
        let join = tokio::spawn(driver.run());
        Ok((
            Endpoint {
                cmd: cmd_tx,
                local,
                bound,
                resolver: self.resolver,
                srv: self.srv,
                join: std::sync::Mutex::new(Some(join)),
            },
            ev_rx,
        ))
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS's randomness.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.finish()
}

/// A running SIP endpoint: a handle to its driver task.
pub struct Endpoint {
    cmd: mpsc::UnboundedSender<Command>,
    local: Vec<(Transport, SocketAddr)>,
    bound: Vec<(Transport, SocketAddr)>,
    resolver: Arc<dyn Resolver>,
    srv: bool,
    join: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("local", &self.local)
            .finish()
    }
}

impl Endpoint {
    /// A builder with the system resolver and no transports yet.
    pub fn builder() -> EndpointBuilder {
        EndpointBuilder {
            udp: None,
            tcp: None,
            tls: None,
            user_agent: None,
            seed: None,
            resolver: Arc::new(SystemResolver),
            advertise: HashMap::new(),
            srv: false,
        }
    }

    /// The bound address of a transport.
    pub fn local_addr(&self, transport: &Transport) -> Option<SocketAddr> {
        self.bound
            .iter()
            .find(|(t, _)| t == transport)
            .map(|(_, a)| *a)
    }

    /// Runs `f` on the user agent inside the driver task, with the current time.
    pub async fn with_ua<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut UserAgent, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |ua, now, _| {
            let _ = tx.send(f(ua, now));
        });
        self.cmd
            .send(Command::Run(job))
            .map_err(|_| Error::Shutdown)?;
        rx.await.map_err(|_| Error::Shutdown)
    }

    /// Queues `f` to run on the user agent without waiting for it (for
    /// high-rate work such as answering calls in a load server).
    pub fn post(
        &self,
        f: impl FnOnce(&mut UserAgent, Instant) + Send + 'static,
    ) -> Result<(), Error> {
        let job: Job = Box::new(move |ua, now, _| f(ua, now));
        self.cmd
            .send(Command::Run(job))
            .map_err(|_| Error::Shutdown)
    }

    /// Resolves `server` (`host[:port]`) to the peer for `transport`: the
    /// host's first address (of the UDP socket's family, for UDP).
    ///
    /// With [`EndpointBuilder::srv_lookup`] on, a domain name without a port
    /// goes through [`Endpoint::resolve_service`] instead.
    pub async fn resolve(&self, server: &str, transport: &Transport) -> Result<Peer, Error> {
        let default_port = default_port(transport);
        let (host, port, explicit) = split_host_port(server, default_port)?;
        if self.srv && !explicit && host.parse::<std::net::IpAddr>().is_err() {
            return self.resolve_service(server, transport).await;
        }
        let addrs = self.resolver.resolve(&host, port).await?;
        let addr = self
            .pick(&addrs, transport)
            .ok_or(Error::Io(std::io::ErrorKind::NotFound))?;
        self.peer(addr, transport, host).await
    }

    /// Locates the server of `domain` for `transport` as RFC 3263 §4.2 does:
    /// asks the SRV records of `_sip._udp.domain` (UDP), `_sip._tcp.domain`
    /// (TCP) or `_sips._tcp.domain` (TLS) and takes the first target, in
    /// the resolver's order (priority, then weight), that has an address.
    /// Without SRV records (none, NXDOMAIN, or a resolver without SRV
    /// support) it falls back to the A/AAAA records of `domain` on port 5060
    /// (5061 for TLS). Other failures of the SRV lookup (timeout, SERVFAIL,
    /// truncated or malformed response) are returned, not papered over.
    ///
    /// With TLS, the certificate is checked against `domain`, not against
    /// the SRV target (RFC 5922 §4.1: the target is not trusted input).
    ///
    /// A `domain` with a port, or an IP address, has no SRV lookup (§4.2):
    /// it is resolved as [`Endpoint::resolve`] does without SRV. Only the
    /// first usable target is returned; failing over to the next target when
    /// a request times out is not done.
    pub async fn resolve_service(
        &self,
        domain: &str,
        transport: &Transport,
    ) -> Result<Peer, Error> {
        let default_port = default_port(transport);
        let (host, port, explicit) = split_host_port(domain, default_port)?;
        if explicit || host.parse::<std::net::IpAddr>().is_ok() {
            let addrs = self.resolver.resolve(&host, port).await?;
            let addr = self
                .pick(&addrs, transport)
                .ok_or(Error::Io(std::io::ErrorKind::NotFound))?;
            return self.peer(addr, transport, host).await;
        }
        let service = match transport {
            Transport::Udp => "_sip._udp",
            Transport::Tcp => "_sip._tcp",
            Transport::Tls => "_sips._tcp",
            _ => return Err(Error::InvalidValue("unsupported transport")),
        };
        let name = format!("{service}.{}", host.trim_end_matches('.'));
        let targets = match self.resolver.resolve_srv(&name).await {
            Ok(t) => t,
            Err(Error::Dns(DnsError::NotSupported)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let targets: Vec<SrvTarget> = targets
            .into_iter()
            .filter(|t| !t.target.is_empty() && t.target != ".")
            .collect();
        let addr = if targets.is_empty() {
            let addrs = self.resolver.resolve(&host, default_port).await?;
            self.pick(&addrs, transport)
        } else {
            let mut found = None;
            let mut last = Error::Io(std::io::ErrorKind::NotFound);
            for t in &targets {
                let addrs = if t.addrs.is_empty() {
                    match self.resolver.resolve(&t.target, t.port).await {
                        Ok(a) => a,
                        Err(e) => {
                            last = e;
                            continue;
                        }
                    }
                } else {
                    t.addrs
                        .iter()
                        .map(|ip| SocketAddr::new(*ip, t.port))
                        .collect()
                };
                found = self.pick(&addrs, transport);
                if found.is_some() {
                    break;
                }
            }
            Some(found.ok_or(last)?)
        };
        let addr = addr.ok_or(Error::Io(std::io::ErrorKind::NotFound))?;
        self.peer(addr, transport, host).await
    }

    /// The address to use among `addrs`: for UDP, the first of the family
    /// of the bound UDP socket (an IPv4 socket cannot reach IPv6); else the first.
    fn pick(&self, addrs: &[SocketAddr], transport: &Transport) -> Option<SocketAddr> {
        let udp = self.local_addr(&Transport::Udp);
        match (transport, udp) {
            (Transport::Udp, Some(local)) => addrs
                .iter()
                .find(|a| a.is_ipv4() == local.is_ipv4())
                .or(addrs.first())
                .copied(),
            _ => addrs.first().copied(),
        }
    }

    /// The peer at `addr`; for TLS, remembers `tls_name` as the name to
    /// check the server's certificate against.
    async fn peer(
        &self,
        addr: SocketAddr,
        transport: &Transport,
        tls_name: String,
    ) -> Result<Peer, Error> {
        if matches!(transport, Transport::Tls) {
            self.run(move |_, _, st| {
                st.tls_names.insert(addr, tls_name);
            })
            .await?;
        }
        Ok(Peer {
            addr,
            transport: transport.clone(),
        })
    }

    async fn run(
        &self,
        f: impl FnOnce(&mut UserAgent, Instant, &mut DriverState) + Send + 'static,
    ) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |ua, now, st| {
            f(ua, now, st);
            let _ = tx.send(());
        });
        self.cmd
            .send(Command::Run(job))
            .map_err(|_| Error::Shutdown)?;
        rx.await.map_err(|_| Error::Shutdown)
    }

    /// Registers `aor` at `server` (`host[:port]`) over `transport`, with
    /// digest credentials `(username, password)` if the server challenges.
    ///
    /// The server is located by [`Endpoint::resolve`]: with
    /// [`EndpointBuilder::srv_lookup`] on and no port in `server`, through
    /// its SRV records (RFC 3263), else through A/AAAA.
    pub async fn register(
        &self,
        server: &str,
        transport: Transport,
        aor: Uri,
        credentials: Option<(String, String)>,
    ) -> Result<RegistrationId, Error> {
        let peer = self.resolve(server, &transport).await?;
        let domain = match &aor {
            Uri::Sip(u) => u.host.to_string(),
            _ => {
                return Err(Error::InvalidValue(
                    "the address of record must be a SIP URI",
                ));
            }
        };
        let scheme = if matches!(transport, Transport::Tls) {
            "sips"
        } else {
            "sip"
        };
        let registrar_uri = Uri::parse(&format!("{scheme}:{domain}"))?;
        let mut cfg = RegisterConfig::new(peer, registrar_uri, aor);
        cfg.credentials = credentials;
        self.with_ua(move |ua, now| ua.register(now, cfg)).await?
    }

    /// Stops the endpoint cleanly: unregisters, hangs up live calls, waits
    /// (at most 5 s) for their transactions, then closes every socket.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        let join = self.join.lock().ok().and_then(|mut j| j.take());
        if let Some(j) = join {
            let _ = j.await;
        }
    }
}

fn default_port(transport: &Transport) -> u16 {
    if matches!(transport, Transport::Tls) {
        5061
    } else {
        5060
    }
}

/// `host[:port]` → (host, port, whether the port was given).
fn split_host_port(server: &str, default_port: u16) -> Result<(String, u16, bool), Error> {
    if let Ok(a) = server.parse::<SocketAddr>() {
        return Ok((a.ip().to_string(), a.port(), true));
    }
    // A bare IPv6 address: its colons are not a port separator.
    if let Ok(ip) = server.parse::<std::net::Ipv6Addr>() {
        return Ok((ip.to_string(), default_port, false));
    }
    if let Some(rest) = server.strip_prefix('[') {
        let (h, p) = rest
            .split_once(']')
            .ok_or(Error::InvalidValue("server address"))?;
        return match p.strip_prefix(':') {
            Some(p) => Ok((
                h.to_owned(),
                p.parse().map_err(|_| Error::InvalidValue("server port"))?,
                true,
            )),
            None if p.is_empty() => Ok((h.to_owned(), default_port, false)),
            None => Err(Error::InvalidValue("server address")),
        };
    }
    match server.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_owned(),
            p.parse().map_err(|_| Error::InvalidValue("server port"))?,
            true,
        )),
        None => Ok((server.to_owned(), default_port, false)),
    }
}

/// A stream connection's writer side.
struct Conn {
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

/// Driver state reachable from jobs.
pub struct DriverState {
    conns: HashMap<(Transport, SocketAddr), Conn>,
    frame_tx: mpsc::UnboundedSender<StreamEvent>,
    tls: Option<TlsConfig>,
    tls_names: HashMap<SocketAddr, String>,
}

impl std::fmt::Debug for DriverState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverState")
            .field("connections", &self.conns.len())
            .finish()
    }
}

#[allow(
    clippy::large_enum_variant,
    reason = "events are moved once through the channel; boxing would allocate per message"
)]
enum StreamEvent {
    Frame(Peer, Framed),
    Closed(Peer),
}

struct Driver {
    ua: UserAgent,
    udp: Option<Arc<UdpSocket>>,
    tcp: Option<TcpListener>,
    tls_listener: Option<TcpListener>,
    cmd_rx: mpsc::UnboundedReceiver<Command>,
    ev_tx: mpsc::UnboundedSender<UaEvent>,
    frame_rx: mpsc::UnboundedReceiver<StreamEvent>,
    state: DriverState,
}

async fn accept(l: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn recv_udp(
    s: &Option<Arc<UdpSocket>>,
    buf: &mut [u8],
) -> std::io::Result<(usize, SocketAddr)> {
    match s {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn run(mut self) {
        let mut buf = vec![0u8; 65_535];
        let mut shutdown: Option<(oneshot::Sender<()>, Instant)> = None;
        loop {
            self.flush().await;
            if let Some((_, deadline)) = &shutdown {
                if self.ua.is_idle() || Instant::now() >= *deadline {
                    break;
                }
            }
            let timeout = self.ua.poll_timeout();
            let sleep_for = timeout.map_or(Duration::from_secs(3600), |t| {
                t.saturating_duration_since(Instant::now())
            });
            let sleep_for = match &shutdown {
                Some((_, d)) => sleep_for.min(d.saturating_duration_since(Instant::now())),
                None => sleep_for,
            };
            tokio::select! {
                cmd = self.cmd_rx.recv() => match cmd {
                    Some(Command::Run(job)) => job(&mut self.ua, Instant::now(), &mut self.state),
                    Some(Command::Shutdown(tx)) => {
                        self.ua.shutdown(Instant::now());
                        shutdown = Some((tx, Instant::now() + Duration::from_secs(5)));
                    }
                    None => {
                        if shutdown.is_none() {
                            self.ua.shutdown(Instant::now());
                            let (tx, _) = oneshot::channel();
                            shutdown = Some((tx, Instant::now() + Duration::from_secs(5)));
                        }
                    }
                },
                r = recv_udp(&self.udp, &mut buf) => {
                    if let Ok((n, from)) = r {
                        let peer = Peer { addr: from, transport: Transport::Udp };
                        if buf[..n].iter().all(|b| *b == b'\r' || *b == b'\n') {
                            continue; // keepalive
                        }
                        self.ua.handle_datagram(Instant::now(), peer, &buf[..n]);
                    }
                },
                r = accept(&self.tcp) => {
                    if let Ok((stream, from)) = r {
                        let _ = stream.set_nodelay(true);
                        let peer = Peer { addr: from, transport: Transport::Tcp };
                        let conn = spawn_conn(stream, peer.clone(), self.state.frame_tx.clone());
                        self.state.conns.insert((Transport::Tcp, from), conn);
                    }
                },
                r = accept(&self.tls_listener) => {
                    if let Ok((stream, from)) = r {
                        if let Some(acceptor) = self.state.tls.as_ref().and_then(TlsConfig::acceptor) {
                            let frame_tx = self.state.frame_tx.clone();
                            let (tx, rx) = mpsc::unbounded_channel();
                            self.state.conns.insert((Transport::Tls, from), Conn { tx });
                            tokio::spawn(async move {
                                let peer = Peer { addr: from, transport: Transport::Tls };
                                match acceptor.accept(stream).await {
                                    Ok(s) => conn_task(s, peer, frame_tx, rx).await,
                                    Err(_) => { let _ = frame_tx.send(StreamEvent::Closed(peer)); }
                                }
                            });
                        }
                    }
                },
                Some(ev) = self.frame_rx.recv() => match ev {
                    StreamEvent::Frame(peer, Framed::Message(m)) => self.ua.handle_message(Instant::now(), peer, m),
                    StreamEvent::Frame(peer, Framed::Ping) => {
                        if let Some(c) = self.state.conns.get(&(peer.transport.clone(), peer.addr)) {
                            let _ = c.tx.send(b"\r\n".to_vec());
                        }
                    }
                    StreamEvent::Frame(_, Framed::Pong) => {}
                    StreamEvent::Closed(peer) => { self.state.conns.remove(&(peer.transport, peer.addr)); }
                },
                () = tokio::time::sleep(sleep_for) => {
                    self.ua.handle_timeout(Instant::now());
                }
            }
        }
        self.flush().await;
        if let Some((tx, _)) = shutdown {
            let _ = tx.send(());
        }
    }

    async fn flush(&mut self) {
        while let Some(out) = self.ua.poll_output() {
            match out {
                UaOutput::Transmit { to, bytes } => {
                    if let Err(e) = self.transmit(&to, bytes).await {
                        self.ua.handle_transport_error(Instant::now(), &to, e);
                    }
                }
                UaOutput::Event(ev) => {
                    let _ = self.ev_tx.send(ev);
                }
            }
        }
    }

    async fn transmit(&mut self, to: &Peer, bytes: Vec<u8>) -> Result<(), Error> {
        match to.transport {
            Transport::Udp => {
                let s = self
                    .udp
                    .as_ref()
                    .ok_or(Error::InvalidValue("UDP is not enabled"))?;
                s.send_to(&bytes, to.addr)
                    .await
                    .map_err(|e| Error::Io(e.kind()))?;
                Ok(())
            }
            Transport::Tcp | Transport::Tls => {
                let key = (to.transport.clone(), to.addr);
                if let Some(c) = self.state.conns.get(&key) {
                    if c.tx.send(bytes.clone()).is_ok() {
                        return Ok(());
                    }
                    self.state.conns.remove(&key);
                }
                let stream =
                    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(to.addr))
                        .await
                        .map_err(|_| Error::Io(std::io::ErrorKind::TimedOut))?
                        .map_err(|e| Error::Io(e.kind()))?;
                let _ = stream.set_nodelay(true);
                let conn = if to.transport == Transport::Tls {
                    let cfg = self
                        .state
                        .tls
                        .as_ref()
                        .ok_or(Error::Tls(TlsError::NotConfigured))?;
                    let name = self
                        .state
                        .tls_names
                        .get(&to.addr)
                        .cloned()
                        .unwrap_or_else(|| to.addr.ip().to_string());
                    let tls =
                        tokio::time::timeout(Duration::from_secs(5), cfg.connect(&name, stream))
                            .await
                            .map_err(|_| {
                                Error::Tls(TlsError::Handshake(std::io::ErrorKind::TimedOut))
                            })??;
                    let (tx, rx) = mpsc::unbounded_channel();
                    tokio::spawn(conn_task(tls, to.clone(), self.state.frame_tx.clone(), rx));
                    Conn { tx }
                } else {
                    spawn_conn(stream, to.clone(), self.state.frame_tx.clone())
                };
                let _ = conn.tx.send(bytes);
                self.state.conns.insert(key, conn);
                Ok(())
            }
            _ => Err(Error::InvalidValue("unsupported transport")),
        }
    }
}

fn spawn_conn(stream: TcpStream, peer: Peer, frame_tx: mpsc::UnboundedSender<StreamEvent>) -> Conn {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(conn_task(stream, peer, frame_tx, rx));
    Conn { tx }
}

/// Reads frames from a stream and writes what the driver queues.
async fn conn_task<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: Peer,
    frame_tx: mpsc::UnboundedSender<StreamEvent>,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut framer = StreamFramer::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(bytes) => {
                    if wr.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    framer.push(&buf[..n]);
                    loop {
                        match framer.next_frame() {
                            Ok(Some(f)) => { let _ = frame_tx.send(StreamEvent::Frame(peer.clone(), f)); }
                            Ok(None) => break,
                            // Corrupt framing cannot be recovered on a stream: close.
                            Err(_) => {
                                let _ = wr.shutdown().await;
                                let _ = frame_tx.send(StreamEvent::Closed(peer));
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
    let _ = wr.shutdown().await;
    let _ = frame_tx.send(StreamEvent::Closed(peer));
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn host_port_splitting() {
        let s = |x: &str| split_host_port(x, 5060);
        let ok = |h: &str, p, explicit| Ok((h.to_owned(), p, explicit));
        assert_eq!(s("example.com"), ok("example.com", 5060, false));
        assert_eq!(s("example.com:5070"), ok("example.com", 5070, true));
        assert_eq!(s("192.0.2.1"), ok("192.0.2.1", 5060, false));
        assert_eq!(s("192.0.2.1:5080"), ok("192.0.2.1", 5080, true));
        assert_eq!(s("[::1]"), ok("::1", 5060, false));
        assert_eq!(s("[::1]:5090"), ok("::1", 5090, true));
        // A bare IPv6 address: no port in it (was read as port 1).
        assert_eq!(s("::1"), ok("::1", 5060, false));
        assert_eq!(s("2001:db8::1"), ok("2001:db8::1", 5060, false));
        assert!(s("example.com:x").is_err());
        assert!(s("[::1]x").is_err());
        assert!(s("[::1").is_err());
    }
}
