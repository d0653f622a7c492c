//! Call handling rules: call waiting (D13), auto-answer of normal calls
//! (D16) and of paging/intercom calls (D17), and the decision for an
//! incoming call. Pure functions over settings and header values.
//!
//! # The decision ([`decide_incoming`])
//!
//! | incoming | line idle | in a call, call waiting on | in a call, call waiting off |
//! |---|---|---|---|
//! | normal, auto-answer off | ring | ring as a waiting call | busy |
//! | normal, auto-answer on | answer after the delay | waiting call, answered when the current call ends | busy |
//! | paging, paging auto-answer off | ring | ring as a waiting call | busy |
//! | paging, auto-answer on, barge off | answer after the header's delay | ring as a waiting call | busy |
//! | paging, auto-answer on, barge on | answer after the header's delay | answer, holding the current call | busy |
//!
//! "Busy" means answer 486 so the PBX applies the user's Busy destination
//! (D13, D16: "off → Busy destination"). The manual says paging calls also go
//! to Busy when call waiting is off, barge or not; barge acts only when call
//! waiting lets a second call in. A video call that is auto-answered is
//! answered as audio (D16; applied to paging calls too: an intercom should
//! never switch a camera on).
//!
//! Paging is recognised from the headers of the INVITE ([`detect_intercom`])
//! **only when the call came through the account's own server**
//! ([`IncomingCall::from_server`]): otherwise anyone who can reach the
//! device could make it answer by itself and listen in.

use std::time::Duration;

use crate::account::AccountId;
use crate::error::Error;
use crate::store::Store;

/// The longest auto-answer delay, in seconds (D16).
pub const MAX_AUTO_ANSWER_DELAY_SECS: u32 = 60;

/// What the user can do with a second call while call waiting is on (D13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondCallChoice {
    /// Hang up the current call and answer the new one.
    EndCurrentAndAnswer,
    /// Reject the new call.
    Reject,
    /// Hold the current call and answer the new one.
    HoldCurrentAndAnswer,
}

/// Auto-answer of normal (non-paging) calls (D16).
///
/// ```
/// use linkus_core::{AutoAnswer, Error};
/// let aa = AutoAnswer::on(5, true)?;
/// assert_eq!(aa.delay().as_secs(), 5);
/// assert!(matches!(AutoAnswer::on(61, false), Err(Error::InvalidSetting { setting: "auto_answer.delay", .. })));
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AutoAnswer {
    enabled: bool,
    delay_secs: u32,
    tone: bool,
}

impl AutoAnswer {
    /// Off.
    pub fn off() -> Self {
        Self::default()
    }

    /// On, answering after `delay_secs` (0–60; 0 is at once), with or
    /// without a tone.
    pub fn on(delay_secs: u32, tone: bool) -> Result<Self, Error> {
        if delay_secs > MAX_AUTO_ANSWER_DELAY_SECS {
            return Err(Error::InvalidSetting {
                setting: "auto_answer.delay",
                reason: format!("{delay_secs} s is outside 0–{MAX_AUTO_ANSWER_DELAY_SECS} s"),
            });
        }
        Ok(AutoAnswer {
            enabled: true,
            delay_secs,
            tone,
        })
    }

    /// Whether it is on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The delay before answering.
    pub fn delay(&self) -> Duration {
        Duration::from_secs(u64::from(self.delay_secs))
    }

    /// Whether a tone tells the user the call was answered by itself.
    pub fn tone(&self) -> bool {
        self.tone
    }
}

/// Auto-answer of paging and intercom calls (D17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PagingAutoAnswer {
    /// Answer paging/intercom calls by themselves.
    pub enabled: bool,
    /// Play a tone when one is answered.
    pub tone: bool,
    /// "Barge": answer even during a call (the current call is held).
    pub barge: bool,
}

/// The call handling settings of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallSettings {
    /// Call waiting (D13). On by default.
    pub call_waiting: bool,
    /// Auto-answer of normal calls (D16). Off by default.
    pub auto_answer: AutoAnswer,
    /// Auto-answer of paging/intercom calls (D17). Off by default: answering
    /// by itself opens the microphone, so the user turns it on.
    pub paging: PagingAutoAnswer,
}

impl Default for CallSettings {
    fn default() -> Self {
        CallSettings {
            call_waiting: true,
            auto_answer: AutoAnswer::off(),
            paging: PagingAutoAnswer::default(),
        }
    }
}

const KEYS: [&str; 7] = [
    "call.waiting",
    "auto_answer.enabled",
    "auto_answer.delay",
    "auto_answer.tone",
    "paging.auto_answer",
    "paging.tone",
    "paging.barge",
];

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

impl CallSettings {
    /// Reads an account's settings from the store; missing ones take their
    /// default, a stored value out of bounds is [`Error::InvalidSetting`].
    pub fn load(store: &dyn Store, account: AccountId) -> Result<Self, Error> {
        let mut values = [None, None, None, None, None, None, None];
        for (value, key) in values.iter_mut().zip(KEYS) {
            *value = store.setting(Some(account), key)?;
        }
        let d = CallSettings::default();
        let bool_at = |i: usize, default: bool| -> Result<bool, Error> {
            match values[i].as_deref() {
                None => Ok(default),
                Some("1") => Ok(true),
                Some("0") => Ok(false),
                Some(other) => Err(Error::InvalidSetting {
                    setting: KEYS[i],
                    reason: format!("stored value {other:?} is not 0 or 1"),
                }),
            }
        };
        let delay = match values[2].as_deref() {
            None => 0,
            Some(text) => text.parse::<u32>().map_err(|_| Error::InvalidSetting {
                setting: "auto_answer.delay",
                reason: format!("stored value {text:?} is not a number of seconds"),
            })?,
        };
        let auto_answer = if bool_at(1, false)? {
            AutoAnswer::on(delay, bool_at(3, false)?)?
        } else {
            // Keep the chosen delay and tone for when it is turned on again.
            AutoAnswer {
                enabled: false,
                ..AutoAnswer::on(delay, bool_at(3, false)?)?
            }
        };
        Ok(CallSettings {
            call_waiting: bool_at(0, d.call_waiting)?,
            auto_answer,
            paging: PagingAutoAnswer {
                enabled: bool_at(4, false)?,
                tone: bool_at(5, false)?,
                barge: bool_at(6, false)?,
            },
        })
    }

    /// Writes an account's settings to the store.
    pub fn save(&self, store: &dyn Store, account: AccountId) -> Result<(), Error> {
        let delay = self.auto_answer.delay_secs.to_string();
        let values = [
            flag(self.call_waiting),
            flag(self.auto_answer.enabled),
            delay.as_str(),
            flag(self.auto_answer.tone),
            flag(self.paging.enabled),
            flag(self.paging.tone),
            flag(self.paging.barge),
        ];
        for (key, value) in KEYS.into_iter().zip(values) {
            store.set_setting(Some(account), key, value)?;
        }
        Ok(())
    }
}

/// Which header asked for automatic answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntercomSource {
    /// `Call-Info: <…>;answer-after=N` (Asterisk, Yeastar, Snom, Grandstream).
    CallInfo,
    /// `Alert-Info: <…>;info=alert-autoanswer`, `info=intercom`,
    /// `Ring Answer`, `Auto Answer` (Polycom, Yealink, Cisco, FreePBX).
    AlertInfo,
    /// `Answer-Mode: Auto` (RFC 5373).
    AnswerMode,
    /// `Priv-Answer-Mode: Auto` (RFC 5373, privileged).
    PrivAnswerMode,
}

/// A paging/intercom request found in an INVITE's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intercom {
    /// The delay the caller asked for (`answer-after`, `delay`), at most 60 s;
    /// zero when none was given.
    pub answer_after: Duration,
    /// The header that asked.
    pub source: IntercomSource,
}

/// Looks for a paging/intercom request in an INVITE's headers, given as
/// `(name, value)` pairs (names in any case, values as received; a header
/// that appears several times is several pairs). The first header in this
/// order wins: `Priv-Answer-Mode`, `Answer-Mode`, `Call-Info`, `Alert-Info`.
///
/// ```
/// use std::time::Duration;
/// use linkus_core::{detect_intercom, IntercomSource};
/// let found = detect_intercom([("Call-Info", "<sip:192.0.2.1>;answer-after=0")]).unwrap();
/// assert_eq!(found.source, IntercomSource::CallInfo);
/// assert_eq!(found.answer_after, Duration::ZERO);
/// assert_eq!(detect_intercom([("Alert-Info", "<http://127.0.0.1/Bellcore-dr2>")]), None);
/// ```
pub fn detect_intercom<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Intercom> {
    let mut best: Option<(u8, Intercom)> = None;
    for (name, value) in headers {
        let found = if name.eq_ignore_ascii_case("Priv-Answer-Mode") {
            answer_mode(value).map(|d| (0, intercom(d, IntercomSource::PrivAnswerMode)))
        } else if name.eq_ignore_ascii_case("Answer-Mode") {
            answer_mode(value).map(|d| (1, intercom(d, IntercomSource::AnswerMode)))
        } else if name.eq_ignore_ascii_case("Call-Info") {
            call_info(value).map(|d| (2, intercom(d, IntercomSource::CallInfo)))
        } else if name.eq_ignore_ascii_case("Alert-Info") {
            alert_info(value).map(|d| (3, intercom(d, IntercomSource::AlertInfo)))
        } else {
            None
        };
        if let Some((rank, found)) = found {
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, found));
            }
        }
    }
    best.map(|(_, found)| found)
}

fn intercom(delay_secs: u32, source: IntercomSource) -> Intercom {
    Intercom {
        answer_after: Duration::from_secs(u64::from(delay_secs.min(MAX_AUTO_ANSWER_DELAY_SECS))),
        source,
    }
}

/// Splits a header value into list elements at commas outside `<>` and
/// quotes.
fn elements(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0u32, false, 0);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out
}

/// An element's `<uri>` (if any) and its `;name=value` parameters (names in
/// lower case, values without quotes).
fn parts(element: &str) -> (Option<&str>, &str, Vec<(String, &str)>) {
    let (uri, rest) = match element.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((uri, rest)) => (Some(uri), rest),
        None => (None, element),
    };
    let mut pieces = rest.split(';');
    let head = pieces.next().unwrap_or_default().trim();
    let params = pieces
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim().to_ascii_lowercase(), v.trim().trim_matches('"')),
            None => (p.trim().to_ascii_lowercase(), ""),
        })
        .collect();
    (uri, head, params)
}

/// A delay in whole seconds: 1 to 5 digits.
fn seconds(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 5 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// `Call-Info: <uri>;answer-after=N` (also without the URI, or with a bare
/// `answer-after=N` as some PBXs write it).
fn call_info(value: &str) -> Option<u32> {
    for element in elements(value) {
        let (_, head, params) = parts(element);
        if let Some((n, v)) = head.split_once('=') {
            if n.trim().eq_ignore_ascii_case("answer-after") {
                if let Some(d) = seconds(v.trim()) {
                    return Some(d);
                }
            }
        }
        if let Some(d) = params
            .iter()
            .find(|(n, _)| n == "answer-after")
            .and_then(|(_, v)| seconds(v))
        {
            return Some(d);
        }
    }
    None
}

/// Words of Alert-Info that mean "answer by yourself", compared without
/// case, spaces, `-` and `_`.
const ALERT_WORDS: [&str; 4] = ["alertautoanswer", "autoanswer", "intercom", "ringanswer"];

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `Alert-Info: <uri>;info=alert-autoanswer;delay=N`, `info=intercom`, or a
/// bare `Ring Answer` / `Auto Answer` / `intercom` token.
fn alert_info(value: &str) -> Option<u32> {
    for element in elements(value) {
        let (uri, head, params) = parts(element);
        let info = params.iter().find(|(n, _)| n == "info").map(|(_, v)| *v);
        let bare = if uri.is_none() {
            // `info=alert-autoanswer` written without a URI.
            match head.split_once('=') {
                Some((n, v)) if n.trim().eq_ignore_ascii_case("info") => Some(v.trim()),
                Some(_) => None,
                None => Some(head),
            }
        } else {
            None
        };
        let asks = [info, bare]
            .into_iter()
            .flatten()
            .any(|word| ALERT_WORDS.contains(&squash(word).as_str()));
        if asks {
            let delay = params
                .iter()
                .find(|(n, _)| n == "delay" || n == "answer-after")
                .and_then(|(_, v)| seconds(v))
                .unwrap_or(0);
            return Some(delay);
        }
    }
    None
}

/// `Answer-Mode: Auto` / `Auto;require` (RFC 5373); `Manual` is no request.
fn answer_mode(value: &str) -> Option<u32> {
    let (_, head, _) = parts(value.trim());
    head.eq_ignore_ascii_case("auto").then_some(0)
}

/// What the Core knows about an incoming call when it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncomingCall {
    /// The paging/intercom request of its headers ([`detect_intercom`]).
    pub intercom: Option<Intercom>,
    /// Whether the INVITE came through the account's server (the registrar
    /// or outbound proxy, on the registered flow). Intercom headers from
    /// anywhere else are ignored.
    pub from_server: bool,
    /// Whether the offer has video.
    pub video: bool,
}

/// What to do with an incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomingDecision {
    /// Ring; the user answers or not.
    Ring,
    /// Ring as a waiting call (a beep in the current call); the user picks a
    /// [`SecondCallChoice`].
    RingWaiting,
    /// Answer by itself after `after`.
    AutoAnswer {
        /// The delay (zero: at once).
        after: Duration,
        /// Play the auto-answer tone.
        tone: bool,
        /// Answer a video offer as audio only.
        audio_only: bool,
        /// Hold the current call first (paging barge).
        hold_current: bool,
    },
    /// Ring as a waiting call now; when the current call ends, answer it by
    /// itself after `after` (D16 with call waiting on). The user may still
    /// pick a [`SecondCallChoice`] before.
    AutoAnswerWhenFree {
        /// The delay once the line is free.
        after: Duration,
        /// Play the auto-answer tone.
        tone: bool,
        /// Answer a video offer as audio only.
        audio_only: bool,
    },
    /// Answer 486 Busy Here: the PBX applies the Busy destination.
    Busy,
}

/// Decides what to do with an incoming call, given whether another call is
/// in progress. See the table in the [module documentation](self).
///
/// ```
/// use std::time::Duration;
/// use linkus_core::{decide_incoming, detect_intercom, AutoAnswer, CallSettings, IncomingCall, IncomingDecision};
/// let mut settings = CallSettings::default();
/// settings.auto_answer = AutoAnswer::on(3, true)?;
/// let video_call = IncomingCall { intercom: None, from_server: true, video: true };
/// assert_eq!(
///     decide_incoming(&settings, &video_call, false),
///     IncomingDecision::AutoAnswer { after: Duration::from_secs(3), tone: true, audio_only: true, hold_current: false }
/// );
/// settings.call_waiting = false;
/// assert_eq!(decide_incoming(&settings, &video_call, true), IncomingDecision::Busy);
/// # Ok::<(), linkus_core::Error>(())
/// ```
pub fn decide_incoming(
    settings: &CallSettings,
    call: &IncomingCall,
    in_call: bool,
) -> IncomingDecision {
    if in_call && !settings.call_waiting {
        return IncomingDecision::Busy;
    }
    let paging = call.intercom.filter(|_| call.from_server);
    if let Some(intercom) = paging {
        let p = settings.paging;
        if !p.enabled {
            return ring(in_call);
        }
        if in_call && !p.barge {
            return IncomingDecision::RingWaiting;
        }
        return IncomingDecision::AutoAnswer {
            after: intercom.answer_after,
            tone: p.tone,
            audio_only: call.video,
            hold_current: in_call,
        };
    }
    let aa = settings.auto_answer;
    match (aa.enabled(), in_call) {
        (false, _) => ring(in_call),
        (true, false) => IncomingDecision::AutoAnswer {
            after: aa.delay(),
            tone: aa.tone(),
            audio_only: call.video,
            hold_current: false,
        },
        (true, true) => IncomingDecision::AutoAnswerWhenFree {
            after: aa.delay(),
            tone: aa.tone(),
            audio_only: call.video,
        },
    }
}

fn ring(in_call: bool) -> IncomingDecision {
    if in_call {
        IncomingDecision::RingWaiting
    } else {
        IncomingDecision::Ring
    }
}
