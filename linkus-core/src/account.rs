//! Accounts: sign-in data, server addresses, and the list of accounts of a
//! device (FEATURES A2, A7, A8).
//!
//! - [`AccountConfig`] is what a user types to sign in: user (extension
//!   number or e-mail), password, server.
//! - [`ServerSpec`] is the server: an SN, a domain (or IP) with an optional
//!   port, or the "custom settings" pair of a LAN address and a remote
//!   address. [`ServerSpec::route`] picks the address to use from the
//!   device's current interfaces, without I/O.
//! - [`Accounts`] keeps the list in a [`Store`] and the passwords in a
//!   [`SecretStore`]: add, list, switch the active account without signing
//!   out, sign out, sign in again, remove one or many.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::error::{Error, ServerError};
use crate::secret::{Secret, SecretStore};
use crate::store::Store;

/// The id the store gives an account. Ids are never reused, so a removed
/// account's leftovers can never attach to a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A host: an IP address or a DNS name (kept in lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A DNS name, validated (letters, digits, hyphens; labels of 1–63).
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => ip.fmt(f),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// A host and an optional port (`None`: the SIP default, or DNS SRV for a
/// domain, RFC 3263).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// The host.
    pub host: Host,
    /// The port, 1–65535, when one was given.
    pub port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => self.host.fmt(f),
        }
    }
}

impl HostPort {
    /// Parses `host`, `host:port`, `192.0.2.10:5060`, `2001:db8::1` or
    /// `[2001:db8::1]:5060`.
    ///
    /// ```
    /// use linkus_core::{Host, HostPort};
    /// let hp = HostPort::parse("PBX.example.com:5070")?;
    /// assert_eq!(hp.host, Host::Name("pbx.example.com".into()));
    /// assert_eq!(hp.port, Some(5070));
    /// # Ok::<(), linkus_core::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, Error> {
        let err = |reason| Error::InvalidServer {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err(ServerError::Empty));
        }
        // A URI (`sip:pbx.example.com`, `https://…`) is not a host.
        let lower = s.to_ascii_lowercase();
        if s.contains("://")
            || ["sip:", "sips:", "tel:"]
                .iter()
                .any(|p| lower.starts_with(p))
        {
            return Err(err(ServerError::InvalidHost));
        }
        // Bare IPv6 without a port.
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(HostPort {
                host: Host::Ip(ip),
                port: None,
            });
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (v6, after) = rest
                .split_once(']')
                .ok_or_else(|| err(ServerError::InvalidHost))?;
            let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| err(ServerError::InvalidHost))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| err(ServerError::InvalidPort))?,
                ),
            };
            (Host::Ip(IpAddr::V6(ip)), port)
        } else {
            let (host, port) = match s.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            };
            let host = match host.parse::<IpAddr>() {
                Ok(ip @ IpAddr::V4(_)) => Host::Ip(ip),
                Ok(IpAddr::V6(_)) => return Err(err(ServerError::InvalidHost)),
                Err(_) if host.contains(':') => return Err(err(ServerError::InvalidHost)),
                Err(_) if looks_like_ipv4(host) => return Err(err(ServerError::InvalidHost)),
                Err(_) if is_dns_name(host) => Host::Name(host.to_ascii_lowercase()),
                Err(_) => return Err(err(ServerError::InvalidHost)),
            };
            (host, port)
        };
        let port = match port {
            None => None,
            Some(p) => Some(parse_port(p).ok_or_else(|| err(ServerError::InvalidPort))?),
        };
        Ok(HostPort { host, port })
    }
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|&port| port != 0)
}

/// Digits and dots only: meant as an IPv4 address, so not a DNS name even if
/// malformed (`192.0.2.300`).
fn looks_like_ipv4(s: &str) -> bool {
    s.contains('.') && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// One address of the device with its prefix length (netmask), as the OS
/// reports it: the input of [`ServerSpec::route`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalInterface {
    /// The device's address on the interface.
    pub addr: IpAddr,
    /// The prefix length: 24 for 255.255.255.0.
    pub prefix_len: u8,
}

impl LocalInterface {
    /// Whether `ip` is inside this interface's subnet.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let len = u32::from(self.prefix_len.min(32));
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let len = u32::from(self.prefix_len.min(128));
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// The server of an account (FEATURES A2): an SN, a domain or IP with an
/// optional port, or custom settings with a LAN and a remote address.
///
/// ```
/// use linkus_core::{LocalInterface, ServerSpec, ServerTarget};
/// let server = ServerSpec::custom(Some("192.168.1.20:5060"), Some("pbx.example.com:35060"))?;
/// // On the office Wi-Fi (192.168.1.0/24) the LAN address is used…
/// let office = [LocalInterface { addr: "192.168.1.57".parse().unwrap(), prefix_len: 24 }];
/// assert_eq!(server.route(&office)?.to_string(), "192.168.1.20:5060");
/// // …elsewhere the remote one.
/// let cellular = [LocalInterface { addr: "10.64.3.9".parse().unwrap(), prefix_len: 30 }];
/// assert_eq!(server.route(&cellular)?.to_string(), "pbx.example.com:35060");
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerSpec {
    /// The serial number of the PBX. The SDK cannot turn it into an address
    /// by itself: the vendor's cloud does, through the PBX API the Core is
    /// given. Text: 8–32 ASCII letters and digits, kept in upper case.
    Sn(String),
    /// A domain or an IP address, with an optional port.
    Host(HostPort),
    /// "Custom settings": a LAN address (an IP, used when the device is on
    /// that network) and a remote address (IP or domain, used elsewhere).
    Custom {
        /// The PBX's address on the company LAN.
        lan: Option<HostPort>,
        /// The PBX's address from the Internet.
        remote: Option<HostPort>,
    },
}

/// Where to connect, as chosen by [`ServerSpec::route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerTarget {
    /// Resolve this SN through the vendor's cloud first.
    ResolveSn(String),
    /// Connect to this address (a domain goes through RFC 3263 resolution).
    Connect(HostPort),
}

impl fmt::Display for ServerTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerTarget::ResolveSn(sn) => write!(f, "SN {sn}"),
            ServerTarget::Connect(hp) => hp.fmt(f),
        }
    }
}

impl ServerSpec {
    /// Parses the "SN/domain" field of the sign-in form: a domain, an IP, a
    /// `host:port`, or an SN. An SN is told from a one-label host name by its
    /// shape: 8 to 32 ASCII letters and digits, no dot, starting with a digit
    /// (`3631A1234567`); use [`ServerSpec::sn`] when the app knows it has one.
    ///
    /// ```
    /// use linkus_core::ServerSpec;
    /// assert!(matches!(ServerSpec::parse("3631a1234567")?, ServerSpec::Sn(sn) if sn == "3631A1234567"));
    /// assert_eq!(ServerSpec::parse("pbx.example.com:5070")?.to_string(), "pbx.example.com:5070");
    /// # Ok::<(), linkus_core::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, Error> {
        let s = input.trim();
        let sn_shaped = (8..=32).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && s.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && s.parse::<IpAddr>().is_err();
        if sn_shaped {
            return Self::sn(s);
        }
        HostPort::parse(input).map(ServerSpec::Host)
    }

    /// An SN: 8 to 32 ASCII letters and digits (kept in upper case).
    pub fn sn(input: &str) -> Result<Self, Error> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::InvalidServer {
                input: input.to_owned(),
                reason: ServerError::Empty,
            });
        }
        if !(8..=32).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidServer {
                input: input.to_owned(),
                reason: ServerError::InvalidSn,
            });
        }
        Ok(ServerSpec::Sn(s.to_ascii_uppercase()))
    }

    /// Custom settings: a LAN address (must be an IP, with an optional port)
    /// and a remote address (IP or domain); at least one of them. Empty
    /// strings count as absent.
    pub fn custom(lan: Option<&str>, remote: Option<&str>) -> Result<Self, Error> {
        let lan = lan.filter(|s| !s.trim().is_empty());
        let remote = remote.filter(|s| !s.trim().is_empty());
        let lan = match lan {
            None => None,
            Some(s) => {
                let hp = HostPort::parse(s)?;
                if !matches!(hp.host, Host::Ip(_)) {
                    return Err(Error::InvalidServer {
                        input: s.to_owned(),
                        reason: ServerError::LanNotIp,
                    });
                }
                Some(hp)
            }
        };
        let remote = remote.map(HostPort::parse).transpose()?;
        if lan.is_none() && remote.is_none() {
            return Err(Error::InvalidServer {
                input: String::new(),
                reason: ServerError::NoAddress,
            });
        }
        Ok(ServerSpec::Custom { lan, remote })
    }

    /// The address to use now, given the device's current interfaces (FEATURES
    /// A2: "on the LAN use the local one, elsewhere the remote one"). The
    /// device is on the LAN when the LAN address is inside the subnet of one
    /// of `interfaces`. With only one address configured, that one is used.
    ///
    /// A LAN reached through a router (another subnet) is not detected by
    /// this rule; a driver that wants it can try [`ServerSpec::candidates`]
    /// in order.
    ///
    /// Custom settings built by hand with neither address are
    /// [`ServerError::NoAddress`] ([`ServerSpec::custom`] refuses them).
    pub fn route(&self, interfaces: &[LocalInterface]) -> Result<ServerTarget, Error> {
        match self {
            ServerSpec::Sn(sn) => Ok(ServerTarget::ResolveSn(sn.clone())),
            ServerSpec::Host(hp) => Ok(ServerTarget::Connect(hp.clone())),
            ServerSpec::Custom { .. } => match self.candidates(interfaces).into_iter().next() {
                Some(hp) => Ok(ServerTarget::Connect(hp)),
                None => Err(Error::InvalidServer {
                    input: String::new(),
                    reason: ServerError::NoAddress,
                }),
            },
        }
    }

    /// The addresses to try, best first: for custom settings the LAN address
    /// first when on its network, else the remote address first; for a
    /// domain, that one; for an SN, none (resolve it first).
    pub fn candidates(&self, interfaces: &[LocalInterface]) -> Vec<HostPort> {
        match self {
            ServerSpec::Sn(_) => Vec::new(),
            ServerSpec::Host(hp) => vec![hp.clone()],
            ServerSpec::Custom { lan, remote } => {
                let on_lan = match lan {
                    Some(HostPort {
                        host: Host::Ip(ip), ..
                    }) => interfaces.iter().any(|i| i.contains(*ip)),
                    _ => false,
                };
                let (first, second) = if on_lan { (lan, remote) } else { (remote, lan) };
                first.iter().chain(second.iter()).cloned().collect()
            }
        }
    }

    /// The stored form: a kind and up to two address texts.
    pub(crate) fn to_parts(&self) -> (&'static str, Option<String>, Option<String>) {
        match self {
            ServerSpec::Sn(sn) => ("sn", Some(sn.clone()), None),
            ServerSpec::Host(hp) => ("host", Some(hp.to_string()), None),
            ServerSpec::Custom { lan, remote } => (
                "custom",
                lan.as_ref().map(ToString::to_string),
                remote.as_ref().map(ToString::to_string),
            ),
        }
    }

    /// Reads back [`ServerSpec::to_parts`].
    pub(crate) fn from_parts(kind: &str, a: Option<&str>, b: Option<&str>) -> Result<Self, Error> {
        match (kind, a) {
            ("sn", Some(sn)) => Self::sn(sn),
            ("host", Some(hp)) => HostPort::parse(hp).map(ServerSpec::Host),
            ("custom", _) => Self::custom(a, b),
            _ => Err(crate::error::StoreError::Corrupt(format!("server kind {kind:?}")).into()),
        }
    }
}

impl fmt::Display for ServerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerSpec::Sn(sn) => f.write_str(sn),
            ServerSpec::Host(hp) => hp.fmt(f),
            ServerSpec::Custom { lan, remote } => {
                f.write_str("LAN ")?;
                match lan {
                    Some(hp) => hp.fmt(f)?,
                    None => f.write_str("-")?,
                }
                f.write_str(", remote ")?;
                match remote {
                    Some(hp) => hp.fmt(f),
                    None => f.write_str("-"),
                }
            }
        }
    }
}

/// What a user gives to sign in (FEATURES A2).
///
/// ```
/// use linkus_core::{AccountConfig, Secret, ServerSpec};
/// let config = AccountConfig::new("1001", Secret::new("s3cret"), ServerSpec::parse("pbx.example.com")?)
///     .with_display_name("Alice");
/// config.validate()?;
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// The extension number or e-mail (or `user@domain` for AD sign-in).
    pub username: String,
    /// The digest authentication name when it differs from `username`.
    pub auth_name: Option<String>,
    /// The display name for the From header.
    pub display_name: Option<String>,
    /// The password (never stored with the account record).
    pub password: Secret,
    /// The server.
    pub server: ServerSpec,
}

impl AccountConfig {
    /// A configuration with no auth name and no display name.
    pub fn new(username: impl Into<String>, password: Secret, server: ServerSpec) -> Self {
        AccountConfig {
            username: username.into(),
            auth_name: None,
            display_name: None,
            password,
            server,
        }
    }

    /// Sets the digest authentication name.
    pub fn with_auth_name(mut self, auth_name: impl Into<String>) -> Self {
        self.auth_name = Some(auth_name.into());
        self
    }

    /// Sets the display name.
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Checks every field; the first problem is the error.
    pub fn validate(&self) -> Result<(), Error> {
        self.profile().validate()?;
        validate_password(&self.password)
    }

    /// The account without its password.
    pub fn profile(&self) -> AccountProfile {
        AccountProfile {
            username: self.username.trim().to_owned(),
            auth_name: self.auth_name.as_ref().map(|s| s.trim().to_owned()),
            display_name: self.display_name.as_ref().map(|s| s.trim().to_owned()),
            server: self.server.clone(),
        }
    }
}

fn validate_password(password: &Secret) -> Result<(), Error> {
    let p = password.expose();
    let invalid = |reason| Error::InvalidAccount {
        field: "password",
        reason,
    };
    if p.is_empty() {
        return Err(invalid("empty"));
    }
    if p.len() > 256 {
        return Err(invalid("longer than 256 bytes"));
    }
    if p.chars().any(char::is_control) {
        return Err(invalid("holds control characters"));
    }
    Ok(())
}

/// An account as stored: everything but the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProfile {
    /// The extension number or e-mail.
    pub username: String,
    /// The digest authentication name when it differs from `username`.
    pub auth_name: Option<String>,
    /// The display name.
    pub display_name: Option<String>,
    /// The server.
    pub server: ServerSpec,
}

impl AccountProfile {
    /// Checks the user name, auth name and display name.
    pub fn validate(&self) -> Result<(), Error> {
        validate_user("username", &self.username)?;
        if let Some(auth) = &self.auth_name {
            validate_user("auth_name", auth)?;
        }
        if let Some(name) = &self.display_name {
            if name.len() > 128 {
                return Err(Error::InvalidAccount {
                    field: "display_name",
                    reason: "longer than 128 bytes",
                });
            }
            if name.chars().any(char::is_control) {
                return Err(Error::InvalidAccount {
                    field: "display_name",
                    reason: "holds control characters",
                });
            }
        }
        Ok(())
    }

    /// Whether two profiles name the same user on the same server.
    fn same_identity(&self, other: &AccountProfile) -> bool {
        self.username.eq_ignore_ascii_case(&other.username) && self.server == other.server
    }
}

fn validate_user(field: &'static str, user: &str) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidAccount { field, reason };
    if user.is_empty() {
        return Err(invalid("empty"));
    }
    if user.len() > 128 {
        return Err(invalid("longer than 128 bytes"));
    }
    if user.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("holds spaces or control characters"));
    }
    Ok(())
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// User, server, names.
    pub profile: AccountProfile,
    /// Whether the account is signed in (registers when the Core starts).
    /// Signing out keeps the account in the list but forgets its password.
    pub signed_in: bool,
}

/// The global setting that holds the active account id.
pub(crate) const ACTIVE_ACCOUNT_KEY: &str = "accounts.active";

/// The accounts of the device (FEATURES A7, A8) over a [`Store`] and a
/// [`SecretStore`].
///
/// ```
/// use std::sync::Arc;
/// use linkus_core::{AccountConfig, Accounts, MemorySecretStore, MemoryStore, Secret, ServerSpec};
/// let accounts = Accounts::new(Arc::new(MemoryStore::new()), Arc::new(MemorySecretStore::new()));
/// let pbx = ServerSpec::parse("pbx.example.com")?;
/// let a = accounts.add(&AccountConfig::new("1001", Secret::new("pw1"), pbx.clone()))?;
/// let b = accounts.add(&AccountConfig::new("1002", Secret::new("pw2"), pbx))?;
/// assert_eq!(accounts.active()?.map(|a| a.id), Some(a)); // the first added is active
/// accounts.switch(b)?; // a stays signed in
/// assert!(accounts.get(a)?.signed_in);
/// assert_eq!(accounts.password(b)?.expose(), "pw2");
/// accounts.remove(&[a, b])?;
/// assert!(accounts.list()?.is_empty());
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
}

impl Accounts {
    /// Accounts over these stores.
    pub fn new(store: Arc<dyn Store>, secrets: Arc<dyn SecretStore>) -> Self {
        Accounts { store, secrets }
    }

    /// Adds a signed-in account after validating it. The first account
    /// becomes the active one. The same user on the same server twice is
    /// [`Error::AccountExists`].
    pub fn add(&self, config: &AccountConfig) -> Result<AccountId, Error> {
        config.validate()?;
        let profile = config.profile();
        if let Some(existing) = self
            .store
            .accounts()?
            .into_iter()
            .find(|a| a.profile.same_identity(&profile))
        {
            return Err(Error::AccountExists(existing.id));
        }
        let id = self.store.insert_account(&profile, true)?;
        if let Err(e) = self.secrets.put(id, &config.password) {
            // Do not leave an account without its password behind.
            let _ = self.store.delete_accounts(&[id]);
            return Err(e);
        }
        if self.active_id()?.is_none() {
            self.store
                .set_setting(None, ACTIVE_ACCOUNT_KEY, &id.0.to_string())?;
        }
        Ok(id)
    }

    /// Every account, oldest first.
    pub fn list(&self) -> Result<Vec<Account>, Error> {
        self.store.accounts()
    }

    /// One account.
    pub fn get(&self, id: AccountId) -> Result<Account, Error> {
        self.store.account(id)?.ok_or(Error::AccountNotFound(id))
    }

    /// Replaces user, names and server of an account (its password is
    /// [`Accounts::sign_in`]'s).
    pub fn update(&self, id: AccountId, profile: &AccountProfile) -> Result<(), Error> {
        profile.validate()?;
        self.get(id)?;
        if let Some(other) = self
            .store
            .accounts()?
            .into_iter()
            .find(|a| a.id != id && a.profile.same_identity(profile))
        {
            return Err(Error::AccountExists(other.id));
        }
        self.store.update_account(id, profile)
    }

    fn active_id(&self) -> Result<Option<AccountId>, Error> {
        let Some(text) = self.store.setting(None, ACTIVE_ACCOUNT_KEY)? else {
            return Ok(None);
        };
        let id = text
            .parse::<i64>()
            .map(AccountId)
            .map_err(|_| crate::error::StoreError::Corrupt(format!("active account {text:?}")))?;
        Ok(self.store.account(id)?.map(|a| a.id))
    }

    /// The active account (the one the app shows and dials from), if any.
    pub fn active(&self) -> Result<Option<Account>, Error> {
        match self.active_id()? {
            Some(id) => self.store.account(id),
            None => Ok(None),
        }
    }

    /// Makes another account the active one. No account is signed out: the
    /// others stay registered and keep receiving calls (A8).
    pub fn switch(&self, id: AccountId) -> Result<(), Error> {
        self.get(id)?;
        self.store
            .set_setting(None, ACTIVE_ACCOUNT_KEY, &id.0.to_string())
    }

    /// Signs an account out (A7): it stays in the list, its password is
    /// forgotten, other accounts are untouched.
    pub fn sign_out(&self, id: AccountId) -> Result<(), Error> {
        let account = self.get(id)?;
        self.secrets.delete(id)?;
        self.store.update_sign_in(account.id, false)
    }

    /// Signs a signed-out account in again with its password.
    pub fn sign_in(&self, id: AccountId, password: &Secret) -> Result<(), Error> {
        validate_password(password)?;
        self.get(id)?;
        self.secrets.put(id, password)?;
        self.store.update_sign_in(id, true)
    }

    /// The password of a signed-in account, for registration.
    pub fn password(&self, id: AccountId) -> Result<Secret, Error> {
        let account = self.get(id)?;
        if !account.signed_in {
            return Err(Error::SignedOut(id));
        }
        self.secrets.get(id)?.ok_or(Error::SignedOut(id))
    }

    /// Removes one or many accounts with their passwords, settings and call
    /// history. Every id must exist, else nothing is removed and the error
    /// names the first unknown one. When the active account is removed, the
    /// oldest remaining account becomes active.
    pub fn remove(&self, ids: &[AccountId]) -> Result<(), Error> {
        for &id in ids {
            self.get(id)?;
        }
        let active = self.active_id()?;
        self.store.delete_accounts(ids)?;
        for &id in ids {
            self.secrets.delete(id)?;
        }
        if active.is_none_or(|a| ids.contains(&a)) {
            match self.store.accounts()?.first() {
                Some(next) => {
                    self.store
                        .set_setting(None, ACTIVE_ACCOUNT_KEY, &next.id.0.to_string())?
                }
                None => self.store.delete_setting(None, ACTIVE_ACCOUNT_KEY)?,
            }
        }
        Ok(())
    }
}
