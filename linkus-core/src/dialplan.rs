//! Dial strings and the dial plan (FEATURES D1, D4, D14, D15).
//!
//! [`DialPlan::resolve`] turns what the user typed (or tapped in a contact)
//! into a [`DialTarget`]:
//!
//! 1. **Normalise.** Phone numbers lose their visual separators (spaces,
//!    `-`, `.`, `(`, `)`); a leading `+` stays; `*` and `#` are digits of
//!    feature codes. `tel:` URIs are numbers (RFC 3966 separators, parameters
//!    dropped). `sip:`/`sips:` URIs and `user@host` are dialled as URIs. A
//!    name that starts with a letter (`alice`, `sales.team`) is a user part
//!    on the account's server. Anything else is a typed [`DialError`].
//! 2. **Emergency numbers** (D15) of the server win over everything: they
//!    go to the phone's own dialler when "call emergency numbers through the
//!    phone" is on, else through the PBX; no outbound prefix and no DOD is
//!    ever added to them, and a DOD feature code wrapped around one is
//!    dropped.
//! 3. **DOD** (D4): `*{code}*{short or DOD}` sets the default outbound
//!    caller ID, `*{code}*{short or DOD}*{number}` dials with it (e.g.
//!    `*085*124*861088881234`); both are recognised when `code` is the
//!    server's DOD feature code. A DOD chosen per call
//!    ([`DialOptions::dod`]) is dialled the same way.
//! 4. **Outbound prefix** (D14): the prefix chosen for this call is put in
//!    front of the number, as the manual says ("Linkus adds the prefix in
//!    front of the number, then calls"); a `+` number keeps its `+` after
//!    the prefix.

use std::fmt;

use crate::error::Error;

/// Why a dial string cannot be dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialError {
    /// Nothing to dial (or only separators).
    #[error("nothing to dial")]
    Empty,
    /// A character that is not a digit, `*`, `#`, a leading `+` or a visual
    /// separator. `position` counts characters of the input from 0.
    #[error("{ch:?} at position {position} cannot be dialled")]
    InvalidCharacter {
        /// The character.
        ch: char,
        /// Where it is in the input.
        position: usize,
    },
    /// A `+` that is not the first character of the number.
    #[error("`+` is allowed only at the start")]
    MisplacedPlus,
    /// Longer than [`MAX_NUMBER_LEN`] characters once normalised (or a URI
    /// longer than 512).
    #[error("too long")]
    TooLong,
    /// A `sip:`/`sips:`/`tel:` URI or `user@host` that is malformed.
    #[error("malformed URI")]
    InvalidUri,
    /// A DOD was chosen for the call but the server gave no DOD feature code.
    #[error("the server has no DOD feature code")]
    NoDodFeatureCode,
    /// The chosen DOD is not digits.
    #[error("the DOD is not a short number or a number")]
    InvalidDod,
    /// An outbound prefix or a DOD was chosen for something that is not a
    /// plain number (a URI, a name, a feature code).
    #[error("an outbound prefix or DOD applies to numbers only")]
    NotANumber,
}

/// The longest normalised number, with prefix and feature code.
pub const MAX_NUMBER_LEN: usize = 64;
const MAX_URI_LEN: usize = 512;

/// Where an emergency number goes (D15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyRoute {
    /// Hand the number to the phone's own (GSM) dialler.
    PhoneDialler,
    /// Call it through the PBX like any number.
    Pbx,
}

/// How a DOD feature code is used (D4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DodDial {
    /// `*{code}*{dod}`: make `dod` the default caller ID of outbound calls.
    SetDefault {
        /// The DOD short number or full DOD.
        dod: String,
    },
    /// `*{code}*{dod}*{number}`: call `number` showing `dod`.
    ForCall {
        /// The DOD short number or full DOD.
        dod: String,
        /// The number called (with its outbound prefix, if any).
        number: String,
    },
}

/// What to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A number, extension, feature code or name on the account's PBX: the
    /// user part of the Request-URI, unescaped (the SIP layer escapes `#`).
    Pbx {
        /// The user part: `1002`, `+861088881234`, `*085*124*861088881234`.
        user: String,
        /// Set when `user` is a DOD feature code.
        dod: Option<DodDial>,
    },
    /// A full SIP URI (`sip:alice@example.com`), scheme in lower case.
    Uri(String),
    /// One of the server's emergency numbers.
    Emergency {
        /// The number, normalised.
        number: String,
        /// Where it goes.
        route: EmergencyRoute,
    },
}

impl fmt::Display for DialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialTarget::Pbx { user, .. } => f.write_str(user),
            DialTarget::Uri(uri) => f.write_str(uri),
            DialTarget::Emergency { number, route } => write!(f, "{number} (emergency, {route:?})"),
        }
    }
}

/// Choices made for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DialOptions<'a> {
    /// The outbound prefix picked for this call (D14).
    pub prefix: Option<&'a OutboundPrefix>,
    /// The DOD (short number or full number) picked for this call (D4).
    pub dod: Option<&'a str>,
}

/// The server's and the user's dialling rules.
///
/// ```
/// use linkus_core::{DialOptions, DialPlan, DialTarget, DodDial, EmergencyRoute};
/// let plan = DialPlan::new()
///     .with_emergency_numbers(["112", "911"])?
///     .with_emergency_via_phone(true)
///     .with_dod_feature_code("085")?;
/// let none = DialOptions::default();
/// assert_eq!(plan.resolve("+86 (10) 8888-1234", &none)?.to_string(), "+861088881234");
/// assert_eq!(
///     plan.resolve("*085*124*861088881234", &none)?,
///     DialTarget::Pbx {
///         user: "*085*124*861088881234".into(),
///         dod: Some(DodDial::ForCall { dod: "124".into(), number: "861088881234".into() }),
///     }
/// );
/// assert_eq!(
///     plan.resolve("1 1 2", &none)?,
///     DialTarget::Emergency { number: "112".into(), route: EmergencyRoute::PhoneDialler }
/// );
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialPlan {
    emergency_numbers: Vec<String>,
    emergency_via_phone: bool,
    dod_feature_code: Option<String>,
}

fn is_dial_digits(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

impl DialPlan {
    /// No emergency numbers, emergency calls through the PBX, no DOD code.
    pub fn new() -> Self {
        Self::default()
    }

    /// The server's emergency numbers (digits, `*`, `#`; separators are
    /// removed).
    pub fn with_emergency_numbers<I, S>(mut self, numbers: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Vec::new();
        for n in numbers {
            let raw = n.as_ref();
            let normal: String = raw.chars().filter(|c| !is_separator(*c)).collect();
            if !is_dial_digits(&normal) || normal.len() > 16 {
                return Err(Error::InvalidSetting {
                    setting: "emergency_numbers",
                    reason: format!("{raw:?} is not a short number"),
                });
            }
            list.push(normal);
        }
        self.emergency_numbers = list;
        Ok(self)
    }

    /// Whether emergency numbers go to the phone's own dialler (D15).
    pub fn with_emergency_via_phone(mut self, on: bool) -> Self {
        self.emergency_via_phone = on;
        self
    }

    /// The server's DOD feature code, digits only, without the stars
    /// (`085` for `*085`).
    pub fn with_dod_feature_code(mut self, code: &str) -> Result<Self, Error> {
        let code = code.trim().trim_start_matches('*');
        if code.is_empty() || code.len() > 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidSetting {
                setting: "dod_feature_code",
                reason: format!("{code:?} is not 1 to 8 digits"),
            });
        }
        self.dod_feature_code = Some(code.to_owned());
        Ok(self)
    }

    /// The server's emergency numbers.
    pub fn emergency_numbers(&self) -> &[String] {
        &self.emergency_numbers
    }

    /// Whether `number` (normalised) is an emergency number.
    pub fn is_emergency(&self, number: &str) -> bool {
        self.emergency_numbers.iter().any(|n| n == number)
    }

    fn emergency(&self, number: &str) -> DialTarget {
        DialTarget::Emergency {
            number: number.to_owned(),
            route: if self.emergency_via_phone {
                EmergencyRoute::PhoneDialler
            } else {
                EmergencyRoute::Pbx
            },
        }
    }

    /// Resolves a dial string with this call's choices. See the [module
    /// documentation](self) for the rules.
    pub fn resolve(&self, input: &str, options: &DialOptions<'_>) -> Result<DialTarget, Error> {
        self.resolve_inner(input, options)
            .map_err(|reason| Error::InvalidNumber {
                input: input.to_owned(),
                reason,
            })
    }

    fn resolve_inner(
        &self,
        input: &str,
        options: &DialOptions<'_>,
    ) -> Result<DialTarget, DialError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DialError::Empty);
        }
        let lower = trimmed.get(..5).unwrap_or(trimmed).to_ascii_lowercase();
        let is_tel = lower.starts_with("tel:");
        let number = if !is_tel
            && (lower.starts_with("sip:") || lower.starts_with("sips:") || trimmed.contains('@'))
        {
            let uri = sip_uri(trimmed)?;
            if options.prefix.is_some() || options.dod.is_some() {
                return Err(DialError::NotANumber);
            }
            return Ok(DialTarget::Uri(uri));
        } else if is_tel {
            let body = &trimmed[4..];
            let body = body.split(';').next().unwrap_or_default();
            normalise_number(body, 4).map_err(|e| match e {
                DialError::Empty => DialError::InvalidUri,
                e => e,
            })?
        } else if trimmed.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let name = user_name(trimmed)?;
            if options.prefix.is_some() || options.dod.is_some() {
                return Err(DialError::NotANumber);
            }
            return Ok(DialTarget::Pbx {
                user: name,
                dod: None,
            });
        } else {
            normalise_number(trimmed, 0)?
        };

        if self.is_emergency(&number) {
            return Ok(self.emergency(&number));
        }

        if let Some(rest) = number.strip_prefix('*') {
            // A feature code: the DOD one, or another the PBX knows.
            if options.prefix.is_some() || options.dod.is_some() {
                return Err(DialError::NotANumber);
            }
            let parts: Vec<&str> = rest.split('*').collect();
            let is_dod_code = self.dod_feature_code.as_deref() == parts.first().copied();
            let all_digits = parts.iter().skip(1).all(|p| is_plain_digits(p));
            let dod = match parts.as_slice() {
                [_, dod] if is_dod_code && all_digits => Some(DodDial::SetDefault {
                    dod: (*dod).to_owned(),
                }),
                [_, dod, called] if is_dod_code && all_digits => {
                    if self.is_emergency(called) {
                        return Ok(self.emergency(called));
                    }
                    Some(DodDial::ForCall {
                        dod: (*dod).to_owned(),
                        number: (*called).to_owned(),
                    })
                }
                _ => None,
            };
            return Ok(DialTarget::Pbx { user: number, dod });
        }

        let called = match options.prefix {
            Some(prefix) => format!("{}{number}", prefix.digits),
            None => number,
        };
        let target = match options.dod {
            None => DialTarget::Pbx {
                user: called,
                dod: None,
            },
            Some(dod) => {
                let code = self
                    .dod_feature_code
                    .as_deref()
                    .ok_or(DialError::NoDodFeatureCode)?;
                let dod = dod.trim();
                if !is_plain_digits(dod) || dod.len() > 32 {
                    return Err(DialError::InvalidDod);
                }
                DialTarget::Pbx {
                    user: format!("*{code}*{dod}*{called}"),
                    dod: Some(DodDial::ForCall {
                        dod: dod.to_owned(),
                        number: called,
                    }),
                }
            }
        };
        match &target {
            DialTarget::Pbx { user, .. } if user.len() > MAX_NUMBER_LEN => Err(DialError::TooLong),
            _ => Ok(target),
        }
    }
}

fn is_plain_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\t' | '-' | '.' | '(' | ')')
}

/// Numbers: separators removed, digits `*` `#` and a leading `+` kept.
/// `offset` is added to error positions (the `tel:` prefix).
fn normalise_number(s: &str, offset: usize) -> Result<String, DialError> {
    let mut out = String::with_capacity(s.len());
    for (position, ch) in s.chars().enumerate() {
        match ch {
            '0'..='9' | '*' | '#' => out.push(ch),
            '+' if out.is_empty() => out.push(ch),
            '+' => return Err(DialError::MisplacedPlus),
            c if is_separator(c) => {}
            ch => {
                return Err(DialError::InvalidCharacter {
                    ch,
                    position: position + offset,
                });
            }
        }
    }
    if out.is_empty() || out == "+" {
        return Err(DialError::Empty);
    }
    if out.len() > MAX_NUMBER_LEN {
        return Err(DialError::TooLong);
    }
    Ok(out)
}

/// A name on the PBX: a letter, then letters, digits, `.`, `_`, `-`.
fn user_name(s: &str) -> Result<String, DialError> {
    for (position, ch) in s.chars().enumerate() {
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-')) {
            return Err(DialError::InvalidCharacter { ch, position });
        }
    }
    if s.len() > MAX_NUMBER_LEN {
        return Err(DialError::TooLong);
    }
    Ok(s.to_owned())
}

fn scheme_given(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    (scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips")).then_some(scheme)
}

/// `sip:`/`sips:` URIs and `user@host`: scheme lower-cased, the host
/// checked, no spaces or control characters.
fn sip_uri(s: &str) -> Result<String, DialError> {
    if s.len() > MAX_URI_LEN {
        return Err(DialError::TooLong);
    }
    let (scheme, rest) = match s.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sip") => ("sip", rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("sips") => ("sips", rest),
        _ => ("sip", s),
    };
    if rest
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
    {
        return Err(DialError::InvalidUri);
    }
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, rest),
    };
    // An empty user part, or `x:y@host` with another scheme than sip/sips.
    if user.is_some_and(|u| u.is_empty() || (scheme_given(s).is_none() && u.contains(':'))) {
        return Err(DialError::InvalidUri);
    }
    // Host up to the first `;` (parameters) or `?` (headers).
    let hostport = hostport.split([';', '?']).next().unwrap_or_default();
    crate::account::HostPort::parse(hostport).map_err(|_| DialError::InvalidUri)?;
    Ok(format!("{scheme}:{rest}"))
}

/// Where an outbound prefix comes from (D14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixSource {
    /// Assigned by the PBX administrator: read-only here.
    Admin,
    /// Defined by the user: added, edited and deleted here.
    User,
}

/// An outbound prefix: a name and the digits put before a number (D14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPrefix {
    /// What the user sees (`China`, `Long distance`).
    pub name: String,
    /// The digits: 1–16 of `0-9`, `*`, `#`, or a leading `+`.
    pub digits: String,
    /// Who defined it.
    pub source: PrefixSource,
}

/// The outbound prefixes of an account: the administrator's and the user's
/// (D14). Names are unique (ignoring case).
///
/// ```
/// use linkus_core::{DialOptions, DialPlan, OutboundPrefixes};
/// let mut prefixes = OutboundPrefixes::default();
/// prefixes.add("International", "00")?;
/// prefixes.edit("International", "Intl", "9 00")?;
/// let intl = prefixes.get("intl").unwrap();
/// let target = DialPlan::new().resolve("44 20 7946 0958", &DialOptions { prefix: Some(intl), dod: None })?;
/// assert_eq!(target.to_string(), "900442079460958");
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPrefixes {
    list: Vec<OutboundPrefix>,
}

impl OutboundPrefixes {
    /// Every prefix: the administrator's first, then the user's, each in the
    /// order they were added.
    pub fn list(&self) -> &[OutboundPrefix] {
        &self.list
    }

    /// A prefix by name (ignoring case).
    pub fn get(&self, name: &str) -> Option<&OutboundPrefix> {
        self.list
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Replaces the administrator's prefixes (as the PBX gives them). A user
    /// prefix with the same name as an administrator's is dropped.
    pub fn set_admin<'a>(
        &mut self,
        prefixes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), Error> {
        let mut admin = Vec::new();
        for (name, digits) in prefixes {
            let (name, digits) = validate_prefix(name, digits)?;
            if admin
                .iter()
                .any(|p: &OutboundPrefix| p.name.eq_ignore_ascii_case(&name))
            {
                return Err(duplicate(&name));
            }
            admin.push(OutboundPrefix {
                name,
                digits,
                source: PrefixSource::Admin,
            });
        }
        let users = self
            .list
            .drain(..)
            .filter(|p| p.source == PrefixSource::User)
            .filter(|p| !admin.iter().any(|a| a.name.eq_ignore_ascii_case(&p.name)));
        let mut list = admin.clone();
        list.extend(users);
        self.list = list;
        Ok(())
    }

    /// Adds a user prefix.
    pub fn add(&mut self, name: &str, digits: &str) -> Result<(), Error> {
        let (name, digits) = validate_prefix(name, digits)?;
        if self.get(&name).is_some() {
            return Err(duplicate(&name));
        }
        self.list.push(OutboundPrefix {
            name,
            digits,
            source: PrefixSource::User,
        });
        Ok(())
    }

    /// Edits a user prefix's name and digits.
    pub fn edit(&mut self, name: &str, new_name: &str, new_digits: &str) -> Result<(), Error> {
        let (new_name, new_digits) = validate_prefix(new_name, new_digits)?;
        let index = self.user_index(name)?;
        if self
            .list
            .iter()
            .enumerate()
            .any(|(i, p)| i != index && p.name.eq_ignore_ascii_case(&new_name))
        {
            return Err(duplicate(&new_name));
        }
        let prefix = &mut self.list[index];
        prefix.name = new_name;
        prefix.digits = new_digits;
        Ok(())
    }

    /// Deletes a user prefix.
    pub fn delete(&mut self, name: &str) -> Result<(), Error> {
        let index = self.user_index(name)?;
        self.list.remove(index);
        Ok(())
    }

    fn user_index(&self, name: &str) -> Result<usize, Error> {
        let index = self
            .list
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| Error::InvalidSetting {
                setting: "outbound_prefix",
                reason: format!("no prefix named {name:?}"),
            })?;
        if self.list[index].source == PrefixSource::Admin {
            return Err(Error::InvalidSetting {
                setting: "outbound_prefix",
                reason: format!("{name:?} is assigned by the administrator"),
            });
        }
        Ok(index)
    }

    /// Writes the user prefixes to an account's settings
    /// (`outbound_prefixes.user`).
    pub fn save_user(
        &self,
        store: &dyn crate::store::Store,
        account: crate::account::AccountId,
    ) -> Result<(), Error> {
        store.set_setting(Some(account), USER_PREFIXES_KEY, &self.user_setting())
    }

    /// Adds the user prefixes saved by [`OutboundPrefixes::save_user`]
    /// (call it after [`OutboundPrefixes::set_admin`]).
    pub fn load_user(
        &mut self,
        store: &dyn crate::store::Store,
        account: crate::account::AccountId,
    ) -> Result<(), Error> {
        match store.setting(Some(account), USER_PREFIXES_KEY)? {
            Some(value) => self.load_user_setting(&value),
            None => Ok(()),
        }
    }

    /// The user prefixes as one setting value (`name\tdigits` lines), for
    /// the [`Store`](crate::store::Store).
    pub fn user_setting(&self) -> String {
        let mut out = String::new();
        for p in self.list.iter().filter(|p| p.source == PrefixSource::User) {
            out.push_str(&p.name);
            out.push('\t');
            out.push_str(&p.digits);
            out.push('\n');
        }
        out
    }

    /// Adds back the user prefixes of [`OutboundPrefixes::user_setting`].
    pub fn load_user_setting(&mut self, value: &str) -> Result<(), Error> {
        for line in value.lines().filter(|l| !l.is_empty()) {
            let (name, digits) = line.split_once('\t').ok_or_else(|| Error::InvalidSetting {
                setting: "outbound_prefix",
                reason: "a stored prefix has no digits".into(),
            })?;
            self.add(name, digits)?;
        }
        Ok(())
    }
}

const USER_PREFIXES_KEY: &str = "outbound_prefixes.user";

fn duplicate(name: &str) -> Error {
    Error::InvalidSetting {
        setting: "outbound_prefix.name",
        reason: format!("{name:?} already exists"),
    }
}

fn validate_prefix(name: &str, digits: &str) -> Result<(String, String), Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::InvalidSetting {
            setting: "outbound_prefix.name",
            reason: "1 to 64 characters, no control characters".into(),
        });
    }
    let digits: String = digits.chars().filter(|c| !is_separator(*c)).collect();
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if !is_dial_digits(body) || digits.len() > 16 {
        return Err(Error::InvalidSetting {
            setting: "outbound_prefix.digits",
            reason: format!("{digits:?} is not 1 to 16 of 0-9, *, # (a + first)"),
        });
    }
    Ok((name.to_owned(), digits))
}
