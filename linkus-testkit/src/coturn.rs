//! coturn (`turnserver`) as a STUN/TURN server on loopback with long-term
//! credentials.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::kamailio::Account;
use crate::process::PeerProcess;
use crate::{Error, Result, RunDir, net};

/// The realm of the test TURN server.
pub const REALM: &str = "linkus.test";

/// How many relay ports the server may allocate from.
const RELAY_PORTS: u16 = 16;

/// Settings of a [`Coturn`] instance; start it with [`start`](Self::start).
#[derive(Debug, Clone)]
pub struct CoturnBuilder {
    accounts: Vec<Account>,
    startup_timeout: Duration,
    verbose: bool,
}

impl Default for CoturnBuilder {
    fn default() -> Self {
        Self {
            accounts: vec![Account::new("alice", "secret")],
            startup_timeout: Duration::from_secs(15),
            verbose: true,
        }
    }
}

impl CoturnBuilder {
    /// Replaces the long-term users (default: `alice` with password
    /// `secret`). Users and passwords may hold ASCII letters, digits, `-`,
    /// `_` and `.` only.
    pub fn accounts(mut self, accounts: Vec<Account>) -> Self {
        self.accounts = accounts;
        self
    }

    /// How long to wait for the first STUN Binding answer (default 15 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Whether coturn logs each request (`--verbose`, default on).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Writes `turnserver.conf` into a fresh run directory, starts
    /// `turnserver -c <it>` in the foreground (logging to stdout) and
    /// returns once it answers a STUN Binding request over UDP.
    pub fn start(self) -> Result<Coturn> {
        if self.accounts.is_empty() {
            return Err(Error::InvalidConfig(
                "coturn needs at least one user".into(),
            ));
        }
        for a in &self.accounts {
            if !safe_token(&a.user) || !safe_token(&a.password) {
                return Err(Error::InvalidConfig(format!(
                    "account {:?}: use [A-Za-z0-9._-] only",
                    a.user
                )));
            }
        }
        let dir = RunDir::new("coturn")?;
        let port = net::free_port()?;
        let min_port = net::free_ports(RELAY_PORTS)?;
        let max_port = min_port + RELAY_PORTS - 1;
        let addr = SocketAddr::from((net::LOOPBACK, port));
        let users: String = self
            .accounts
            .iter()
            .map(|a| format!("user={}:{}\n", a.user, a.password))
            .collect();
        let cfg = format!(
            "# Written by linkus-testkit.\n\
             listening-ip={ip}\n\
             relay-ip={ip}\n\
             listening-port={port}\n\
             min-port={min_port}\n\
             max-port={max_port}\n\
             realm={REALM}\n\
             lt-cred-mech\n\
             {users}\
             fingerprint\n\
             no-tls\n\
             no-dtls\n\
             no-tcp-relay\n\
             allow-loopback-peers\n\
             no-multicast-peers\n\
             no-cli\n\
             no-rfc5780\n\
             no-stun-backward-compatibility\n\
             userdb={db}\n\
             pidfile={pid}\n\
             log-file=stdout\n\
             simple-log\n\
             {verbose}",
            ip = net::LOOPBACK,
            db = dir.join("turndb").display(),
            pid = dir.join("turnserver.pid").display(),
            verbose = if self.verbose { "verbose\n" } else { "" },
        );
        let cfg_path = dir.write("turnserver.conf", &cfg)?;
        let mut cmd = Command::new("turnserver");
        cmd.arg("-c").arg(&cfg_path);
        let process = PeerProcess::spawn("turnserver", "turnserver", "coturn", cmd, dir.path())?;
        let mut coturn = Coturn {
            process,
            addr,
            relay_ports: (min_port, max_port),
            accounts: self.accounts,
            dir,
        };
        let ready = net::wait_until(
            "turnserver to answer a STUN Binding request",
            self.startup_timeout,
            Duration::from_millis(50),
            || {
                coturn.process.ensure_running()?;
                Ok(stun_binding(coturn.addr, Duration::from_millis(200)).is_some())
            },
        );
        if let Err(e) = ready {
            coturn.process.print_logs();
            return Err(e);
        }
        Ok(coturn)
    }
}

fn safe_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Sends one STUN Binding request (RFC 8489) to `server` and returns the
/// XOR-MAPPED-ADDRESS port of the success response, if one came within
/// `timeout`.
pub fn stun_binding(server: SocketAddr, timeout: Duration) -> Option<u16> {
    let sock = UdpSocket::bind((net::LOOPBACK, 0)).ok()?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .ok()?;
    let txid: [u8; 12] = *b"linkus-ready";
    let mut req = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
    req.extend_from_slice(&txid);
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        let _ = sock.send_to(&req, server);
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let resp = &buf[..n];
        if from != server || n < 20 || resp[..2] != [0x01, 0x01] || resp[8..20] != txid {
            continue;
        }
        // Find XOR-MAPPED-ADDRESS (0x0020).
        let mut at = 20;
        while at + 8 <= n {
            let typ = u16::from_be_bytes([resp[at], resp[at + 1]]);
            let len = usize::from(u16::from_be_bytes([resp[at + 2], resp[at + 3]]));
            if typ == 0x0020 {
                return Some(u16::from_be_bytes([resp[at + 6], resp[at + 7]]) ^ 0x2112);
            }
            at += 4 + len.div_ceil(4) * 4;
        }
        return Some(0);
    }
    None
}

/// A running coturn on 127.0.0.1, stopped on drop.
///
/// It listens for STUN and TURN over UDP (and TCP) on one port of
/// 127.0.0.1, relays from 16 ports of 127.0.0.1
/// ([`relay_ports`](Self::relay_ports)), authenticates allocations with the
/// long-term credential mechanism in realm [`REALM`] (default user `alice`,
/// password `secret`), and relays to loopback peers
/// (`allow-loopback-peers`). TLS, DTLS and the CLI are off.
#[derive(Debug)]
pub struct Coturn {
    process: PeerProcess,
    addr: SocketAddr,
    relay_ports: (u16, u16),
    accounts: Vec<Account>,
    // Dropped after `process`: the logs outlive the peer.
    dir: RunDir,
}

impl Coturn {
    /// The settings, to change before [`CoturnBuilder::start`].
    pub fn builder() -> CoturnBuilder {
        CoturnBuilder::default()
    }

    /// Starts an instance with the default settings (user `alice`/`secret`).
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// The STUN/TURN address (UDP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first and last relay port.
    pub fn relay_ports(&self) -> (u16, u16) {
        self.relay_ports
    }

    /// The long-term users.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The password of `user`, if it is one of the accounts.
    pub fn password(&self, user: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|a| a.user == user)
            .map(|a| a.password.as_str())
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.process.stdout()
    }

    /// The run directory (configuration and logs).
    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// Errors if the server has exited.
    pub fn ensure_running(&mut self) -> Result<()> {
        self.process.ensure_running()
    }

    /// Prints the server's logs to stderr.
    pub fn print_logs(&self) {
        self.process.print_logs();
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        self.process.stop();
    }
}
