//! Kamailio as registrar + proxy with digest authentication.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::process::PeerProcess;
use crate::tls::TestCerts;
use crate::{Error, Result, RunDir, Transport, net};

/// The configuration template (`peers/kamailio/kamailio.cfg`).
pub const CONFIG_TEMPLATE: &str = include_str!("../peers/kamailio/kamailio.cfg");

/// The digest realm of the test registrar.
pub const REALM: &str = "linkus.test";

/// A SIP user of the registrar and its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user part (`1001`), also the digest username.
    pub user: String,
    /// The digest password.
    pub password: String,
}

impl Account {
    /// An account.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }
}

/// Users `1001` to `1010`, each with password `secret<user>` (`secret1001`).
pub fn default_accounts() -> Vec<Account> {
    (1001..=1010)
        .map(|n| Account::new(n.to_string(), format!("secret{n}")))
        .collect()
}

/// Settings of a [`Kamailio`] instance; start it with
/// [`start`](Self::start).
#[derive(Debug, Clone)]
pub struct KamailioBuilder {
    accounts: Vec<Account>,
    tls: bool,
    debug: i8,
    startup_timeout: Duration,
}

impl Default for KamailioBuilder {
    fn default() -> Self {
        Self {
            accounts: default_accounts(),
            tls: false,
            debug: 2,
            startup_timeout: Duration::from_secs(15),
        }
    }
}

impl KamailioBuilder {
    /// Replaces the accounts (default: [`default_accounts`]). Users and
    /// passwords may hold ASCII letters, digits, `-`, `_` and `.` only.
    pub fn accounts(mut self, accounts: Vec<Account>) -> Self {
        self.accounts = accounts;
        self
    }

    /// Also listens on TLS, with a certificate of a CA generated now
    /// (see [`Kamailio::certs`]).
    pub fn enable_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Kamailio's log level, -3 (alert) to 3 (debug); default 2 (info).
    pub fn debug(mut self, level: i8) -> Self {
        self.debug = level.clamp(-3, 3);
        self
    }

    /// How long to wait for the first OPTIONS answer (default 15 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Writes the configuration into a fresh run directory, starts
    /// `kamailio -DD -E` (foreground, logs to stderr) and returns once it
    /// answers an OPTIONS over UDP with 200.
    pub fn start(self) -> Result<Kamailio> {
        for a in &self.accounts {
            if !safe_token(&a.user) || !safe_token(&a.password) {
                return Err(Error::InvalidConfig(format!(
                    "account {:?}: use [A-Za-z0-9._-] only",
                    a.user
                )));
            }
        }
        let dir = RunDir::new("kamailio")?;
        let port = net::free_port()?;
        let udp = SocketAddr::from((net::LOOPBACK, port));
        let tcp = udp;
        let (tls, certs) = if self.tls {
            let tls_port = net::free_port()?;
            let certs = TestCerts::generate(dir.path())?;
            (
                Some(SocketAddr::from((net::LOOPBACK, tls_port))),
                Some(certs),
            )
        } else {
            (None, None)
        };

        let mut listen = format!("listen=udp:{udp}\nlisten=tcp:{tcp}\n");
        let mut tls_cfg_path = String::new();
        if let (Some(addr), Some(certs)) = (tls, &certs) {
            listen.push_str(&format!("listen=tls:{addr}\n"));
            let tls_cfg = format!(
                "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                 require_certificate = no\nprivate_key = {}\ncertificate = {}\n\n\
                 [client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                 require_certificate = no\n",
                certs.server_key.display(),
                certs.server_cert.display()
            );
            tls_cfg_path = dir
                .write("tls.cfg", &tls_cfg)?
                .to_string_lossy()
                .into_owned();
        }
        let users: String = self
            .accounts
            .iter()
            .map(|a| format!("\t$sht(users=>{}) = \"{}\";\n", a.user, a.password))
            .collect();
        let cfg = CONFIG_TEMPLATE
            .replace("{{TLS}}", if self.tls { "#!define WITH_TLS" } else { "" })
            .replace("{{LISTEN}}", &listen)
            .replace("{{DEBUG}}", &self.debug.to_string())
            .replace("{{USERS}}", &users)
            .replace("{{TLS_CFG}}", &tls_cfg_path);
        let cfg_path = dir.write("kamailio.cfg", &cfg)?;

        let mut cmd = Command::new("kamailio");
        cmd.arg("-DD")
            .arg("-E")
            .arg("-f")
            .arg(&cfg_path)
            .arg("-Y")
            .arg(dir.path())
            .arg("-P")
            .arg(dir.join("kamailio.pid"))
            .arg("-w")
            .arg(dir.path())
            .args(["-m", "32", "-M", "4"]);
        let process = PeerProcess::spawn("kamailio", "kamailio", "kamailio", cmd, dir.path())?;
        let mut kamailio = Kamailio {
            process,
            udp,
            tcp,
            tls,
            certs,
            accounts: self.accounts,
            dir,
        };
        let ready = net::wait_until(
            "kamailio to answer OPTIONS over UDP",
            self.startup_timeout,
            Duration::from_millis(50),
            || {
                kamailio.process.ensure_running()?;
                match net::options_udp(kamailio.udp, Duration::from_millis(250)) {
                    Ok(200) => Ok(true),
                    Ok(code) => Err(Error::Protocol {
                        peer: "kamailio".into(),
                        detail: format!("OPTIONS got {code}, not 200"),
                    }),
                    Err(Error::Timeout { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            },
        );
        if let Err(e) = ready {
            kamailio.process.print_logs();
            return Err(e);
        }
        Ok(kamailio)
    }
}

fn safe_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A running Kamailio (registrar + proxy) on loopback, stopped on drop.
///
/// It listens on UDP and TCP at the same port of 127.0.0.1 (and on TLS at
/// another port when built with [`KamailioBuilder::enable_tls`]); its SIP
/// domain is that `127.0.0.1:<port>` (also the alias `linkus.test`) and its
/// digest realm [`REALM`]. REGISTER is always challenged (401); other
/// requests from a local user are challenged with 407; calls to a
/// registered user are routed by location lookup with record-routing.
#[derive(Debug)]
pub struct Kamailio {
    process: PeerProcess,
    udp: SocketAddr,
    tcp: SocketAddr,
    tls: Option<SocketAddr>,
    certs: Option<TestCerts>,
    accounts: Vec<Account>,
    // Dropped after `process`: the logs outlive the peer.
    dir: RunDir,
}

impl Kamailio {
    /// The settings, to change before [`KamailioBuilder::start`].
    pub fn builder() -> KamailioBuilder {
        KamailioBuilder::default()
    }

    /// Starts an instance with the default settings (UDP + TCP, users
    /// 1001…1010).
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// The UDP listening address.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp
    }

    /// The TCP listening address (same port as UDP).
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp
    }

    /// The TLS listening address, if enabled.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls
    }

    /// The listening address for `transport`, if it listens on it.
    pub fn addr(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => Some(self.udp),
            Transport::Tcp => Some(self.tcp),
            Transport::Tls => self.tls,
        }
    }

    /// The SIP domain of the users: `127.0.0.1:<udp port>`.
    pub fn domain(&self) -> String {
        self.udp.to_string()
    }

    /// The accounts it authenticates.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The password of `user`, if it is an account.
    pub fn password(&self, user: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|a| a.user == user)
            .map(|a| a.password.as_str())
    }

    /// The generated CA and server certificate, when TLS is enabled.
    pub fn certs(&self) -> Option<&TestCerts> {
        self.certs.as_ref()
    }

    /// Kamailio's log (it logs to stderr).
    pub fn log(&self) -> String {
        self.process.stderr()
    }

    /// The PID of the main process.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The run directory (configuration, pid file, logs).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Prints the tail of the log to stderr.
    pub fn print_logs(&self) {
        self.process.print_logs();
    }

    /// Fails with [`Error::Exited`] if Kamailio is no longer running.
    pub fn ensure_running(&mut self) -> Result<()> {
        self.process.ensure_running()
    }

    /// Stops it now (SIGTERM, then SIGKILL after 3 s), as drop does.
    pub fn stop(&mut self) {
        self.process.stop();
    }
}
