//! Call-history records (FEATURES H3): what the [`Store`](crate::store::Store)
//! keeps of every call.
//!
//! Times are Unix milliseconds given by the caller ([`UnixMs`]); nothing here
//! reads the clock.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::account::AccountId;
use crate::error::Error;

/// The id the store gives a call-history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub i64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A point in time as milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixMs(pub i64);

impl UnixMs {
    /// Converts a `SystemTime` the caller read (times before 1970 are
    /// negative).
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => UnixMs(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => UnixMs(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// Back to a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        let d = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + d
        } else {
            UNIX_EPOCH - d
        }
    }
}

/// Who placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We called.
    Outgoing,
    /// They called.
    Incoming,
}

impl Direction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outgoing => "outgoing",
            Direction::Incoming => "incoming",
        }
    }

    /// Parses [`Direction::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "outgoing" => Some(Direction::Outgoing),
            "incoming" => Some(Direction::Incoming),
            _ => None,
        }
    }
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndReason {
    /// Answered, then we hung up.
    LocalHangup,
    /// Answered, then they hung up.
    RemoteHangup,
    /// Incoming, never answered here, the caller gave up (a missed call).
    Missed,
    /// Incoming, we rejected it (or sent it to voicemail).
    Rejected,
    /// Incoming, answered on another device of the same extension.
    AnsweredElsewhere,
    /// Outgoing, we cancelled before an answer.
    Cancelled,
    /// Outgoing, the callee was busy (486/600).
    Busy,
    /// Outgoing, the callee declined (603).
    Declined,
    /// Outgoing, nobody answered (408/480 or a ring timeout).
    NoAnswer,
    /// The call was transferred away from us.
    Transferred,
    /// Media or signalling was lost (no RTP, BYE failed, network gone).
    ConnectionLost,
    /// Any other failure, with the SIP status code when there was one.
    Failed(Option<u16>),
}

impl EndReason {
    /// The reason for a call that ended with a SIP final response before it
    /// was answered: 486/600 busy, 603 declined, 408/480 no answer, 487
    /// cancelled (outgoing) or missed (incoming: the caller gave up), 3xx–6xx
    /// otherwise a failure with the code. `None` for a code that ends no call
    /// (1xx, 2xx, or outside 100–699).
    ///
    /// ```
    /// use linkus_core::{Direction, EndReason};
    /// assert_eq!(EndReason::from_sip_status(486, Direction::Outgoing), Some(EndReason::Busy));
    /// assert_eq!(EndReason::from_sip_status(487, Direction::Incoming), Some(EndReason::Missed));
    /// assert_eq!(EndReason::from_sip_status(503, Direction::Outgoing), Some(EndReason::Failed(Some(503))));
    /// assert_eq!(EndReason::from_sip_status(200, Direction::Outgoing), None);
    /// ```
    pub fn from_sip_status(code: u16, direction: Direction) -> Option<Self> {
        Some(match (code, direction) {
            (486 | 600, _) => EndReason::Busy,
            (603, _) => EndReason::Declined,
            (408 | 480, _) => EndReason::NoAnswer,
            (487, Direction::Outgoing) => EndReason::Cancelled,
            (487, Direction::Incoming) => EndReason::Missed,
            (300..=699, _) => EndReason::Failed(Some(code)),
            _ => return None,
        })
    }

    /// The stored name: `local-hangup`, … `failed:503`, `failed`.
    pub fn to_text(self) -> String {
        let s = match self {
            EndReason::LocalHangup => "local-hangup",
            EndReason::RemoteHangup => "remote-hangup",
            EndReason::Missed => "missed",
            EndReason::Rejected => "rejected",
            EndReason::AnsweredElsewhere => "answered-elsewhere",
            EndReason::Cancelled => "cancelled",
            EndReason::Busy => "busy",
            EndReason::Declined => "declined",
            EndReason::NoAnswer => "no-answer",
            EndReason::Transferred => "transferred",
            EndReason::ConnectionLost => "connection-lost",
            EndReason::Failed(None) => "failed",
            EndReason::Failed(Some(code)) => return format!("failed:{code}"),
        };
        s.to_owned()
    }

    /// Parses [`EndReason::to_text`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "local-hangup" => EndReason::LocalHangup,
            "remote-hangup" => EndReason::RemoteHangup,
            "missed" => EndReason::Missed,
            "rejected" => EndReason::Rejected,
            "answered-elsewhere" => EndReason::AnsweredElsewhere,
            "cancelled" => EndReason::Cancelled,
            "busy" => EndReason::Busy,
            "declined" => EndReason::Declined,
            "no-answer" => EndReason::NoAnswer,
            "transferred" => EndReason::Transferred,
            "connection-lost" => EndReason::ConnectionLost,
            "failed" => EndReason::Failed(None),
            other => {
                let code = other.strip_prefix("failed:")?.parse().ok()?;
                EndReason::Failed(Some(code))
            }
        })
    }
}

/// The media quality of a call, summed up when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QualitySummary {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received.
    pub packets_received: u64,
    /// RTP packets lost on the way to us.
    pub packets_lost: u64,
    /// Mean interarrival jitter (RFC 3550), milliseconds.
    pub jitter_ms: f32,
    /// The MOS estimate (1.0–4.5, E-model).
    pub mos: f32,
}

/// One call as the history keeps it.
///
/// ```
/// use linkus_core::{AccountId, CallRecord, Direction, EndReason, UnixMs};
/// let record = CallRecord::new(AccountId(1), Direction::Outgoing, "1001", "1002", UnixMs(1_700_000_000_000))
///     .answered(UnixMs(1_700_000_003_000))
///     .ended(UnixMs(1_700_000_063_000), EndReason::LocalHangup);
/// assert_eq!(record.talk_time_ms(), Some(60_000));
/// record.validate()?;
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The account the call belonged to.
    pub account: AccountId,
    /// Who placed it.
    pub direction: Direction,
    /// Our side: the extension or number that placed or took the call.
    pub local_party: String,
    /// The other side's number, extension or URI.
    pub remote_party: String,
    /// The other side's display name, when known.
    pub remote_name: Option<String>,
    /// When the call started (INVITE sent or received).
    pub start: UnixMs,
    /// When it was answered; `None` when it never was.
    pub answer: Option<UnixMs>,
    /// When it ended.
    pub end: UnixMs,
    /// Why it ended.
    pub end_reason: EndReason,
    /// The audio codec used (`PCMU`, `opus`…), when media flowed.
    pub codec: Option<String>,
    /// Media quality, when media flowed.
    pub quality: Option<QualitySummary>,
}

impl CallRecord {
    /// A call that started at `start` and ended at once, never answered,
    /// `Failed(None)` until [`CallRecord::ended`] says otherwise.
    pub fn new(
        account: AccountId,
        direction: Direction,
        local_party: impl Into<String>,
        remote_party: impl Into<String>,
        start: UnixMs,
    ) -> Self {
        CallRecord {
            account,
            direction,
            local_party: local_party.into(),
            remote_party: remote_party.into(),
            remote_name: None,
            start,
            answer: None,
            end: start,
            end_reason: EndReason::Failed(None),
            codec: None,
            quality: None,
        }
    }

    /// Sets the answer time.
    pub fn answered(mut self, at: UnixMs) -> Self {
        self.answer = Some(at);
        self
    }

    /// Sets the end time and reason.
    pub fn ended(mut self, at: UnixMs, reason: EndReason) -> Self {
        self.end = at;
        self.end_reason = reason;
        self
    }

    /// Talk time (answer to end), when answered.
    pub fn talk_time_ms(&self) -> Option<i64> {
        self.answer.map(|a| self.end.0 - a.0)
    }

    /// Checks the times are in order and the texts bounded.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |reason| Err(Error::InvalidCallRecord { reason });
        if self.end < self.start {
            return invalid("ends before it starts");
        }
        if let Some(answer) = self.answer {
            if answer < self.start || answer > self.end {
                return invalid("answered outside its start and end");
            }
        }
        let texts = [
            Some(self.local_party.as_str()),
            Some(self.remote_party.as_str()),
            self.remote_name.as_deref(),
            self.codec.as_deref(),
        ];
        if texts.iter().flatten().any(|t| t.len() > 1024) {
            return invalid("a text field is longer than 1024 bytes");
        }
        if let Some(q) = &self.quality {
            if !q.jitter_ms.is_finite() || !q.mos.is_finite() {
                return invalid("quality figures are not finite");
            }
        }
        Ok(())
    }
}

/// A stored call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEntry {
    /// Its id.
    pub id: CallId,
    /// The call.
    pub record: CallRecord,
}

/// Where a page of history starts: after this entry (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCursor {
    /// Start time of the last entry of the previous page.
    pub start: UnixMs,
    /// Its id (orders calls that started in the same millisecond).
    pub id: CallId,
}

/// A history query: newest first, `limit` entries (1–1000), optionally of
/// one account, after a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallQuery {
    /// Only this account's calls.
    pub account: Option<AccountId>,
    /// Entries per page, 1–1000.
    pub limit: u32,
    /// Continue after this entry.
    pub after: Option<CallCursor>,
}

impl CallQuery {
    /// The newest `limit` calls of every account.
    pub fn newest(limit: u32) -> Self {
        CallQuery {
            account: None,
            limit,
            after: None,
        }
    }

    /// Restricts to one account.
    pub fn of_account(mut self, account: AccountId) -> Self {
        self.account = Some(account);
        self
    }

    /// Continues after a cursor.
    pub fn after(mut self, cursor: CallCursor) -> Self {
        self.after = Some(cursor);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.limit == 0 || self.limit > 1000 {
            return Err(Error::InvalidSetting {
                setting: "call_query.limit",
                reason: format!("{} is outside 1–1000", self.limit),
            });
        }
        Ok(())
    }
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPage {
    /// The entries, newest first.
    pub entries: Vec<CallEntry>,
    /// The cursor of the next page; `None` when this is the last.
    pub next: Option<CallCursor>,
}
