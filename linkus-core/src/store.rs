//! Persistence of accounts, settings and call history.
//!
//! [`Store`] is the plug-in trait; [`SqliteStore`] is the default (one SQLite
//! file in the data directory, WAL journal, schema versioned with
//! `PRAGMA user_version`); [`MemoryStore`] keeps everything in memory for
//! tests. Both behave the same: the tests in `tests/store.rs` run one suite
//! against each. No password is ever stored here (see
//! [`SecretStore`](crate::secret::SecretStore)).
//!
//! Methods are synchronous: SQLite answers these small queries in
//! microseconds. An async caller may wrap them in `spawn_blocking`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::account::{Account, AccountId, AccountProfile, ServerSpec};
use crate::error::{Error, StoreError};
use crate::history::{
    CallCursor, CallEntry, CallId, CallPage, CallQuery, CallRecord, Direction, EndReason,
    QualitySummary, UnixMs,
};

/// Where accounts, settings and call history are kept.
///
/// Settings are text values under a key, global (`account: None`) or per
/// account; an account's settings and calls go with it when it is deleted.
pub trait Store: Send + Sync + fmt::Debug {
    /// Adds an account and gives its id (ids are never reused).
    fn insert_account(&self, profile: &AccountProfile, signed_in: bool)
    -> Result<AccountId, Error>;
    /// Replaces an account's profile.
    fn update_account(&self, id: AccountId, profile: &AccountProfile) -> Result<(), Error>;
    /// Records whether an account is signed in.
    fn update_sign_in(&self, id: AccountId, signed_in: bool) -> Result<(), Error>;
    /// One account.
    fn account(&self, id: AccountId) -> Result<Option<Account>, Error>;
    /// Every account, oldest first.
    fn accounts(&self) -> Result<Vec<Account>, Error>;
    /// Deletes accounts with their settings and calls, all or nothing; gives
    /// how many existed.
    fn delete_accounts(&self, ids: &[AccountId]) -> Result<usize, Error>;

    /// A setting.
    fn setting(&self, account: Option<AccountId>, key: &str) -> Result<Option<String>, Error>;
    /// Sets a setting ([`Error::AccountNotFound`] for an unknown account).
    fn set_setting(&self, account: Option<AccountId>, key: &str, value: &str) -> Result<(), Error>;
    /// Deletes a setting; no error when there was none.
    fn delete_setting(&self, account: Option<AccountId>, key: &str) -> Result<(), Error>;

    /// Adds a call to the history after [`CallRecord::validate`]; the account
    /// must exist.
    fn insert_call(&self, record: &CallRecord) -> Result<CallId, Error>;
    /// One call.
    fn call(&self, id: CallId) -> Result<Option<CallEntry>, Error>;
    /// A page of calls, newest first (by start time, then id).
    fn calls(&self, query: &CallQuery) -> Result<CallPage, Error>;
    /// Deletes calls; gives how many existed.
    fn delete_calls(&self, ids: &[CallId]) -> Result<usize, Error>;
    /// Deletes every call, or every call of one account; gives how many.
    fn clear_calls(&self, account: Option<AccountId>) -> Result<usize, Error>;
}

fn page_of(mut entries: Vec<CallEntry>, limit: u32) -> CallPage {
    let limit = limit as usize;
    let next = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|e| CallCursor {
            start: e.record.start,
            id: e.id,
        })
    } else {
        None
    };
    CallPage { entries, next }
}

/// Everything in memory: for tests, or an app that keeps no history.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    last_account: i64,
    accounts: BTreeMap<AccountId, Account>,
    settings: BTreeMap<(i64, String), String>,
    last_call: i64,
    calls: BTreeMap<CallId, CallEntry>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>, Error> {
        self.inner.lock().map_err(|_| StoreError::Poisoned.into())
    }
}

fn scope(account: Option<AccountId>) -> i64 {
    account.map_or(0, |a| a.0)
}

impl Store for MemoryStore {
    fn insert_account(
        &self,
        profile: &AccountProfile,
        signed_in: bool,
    ) -> Result<AccountId, Error> {
        let mut inner = self.lock()?;
        inner.last_account += 1;
        let id = AccountId(inner.last_account);
        inner.accounts.insert(
            id,
            Account {
                id,
                profile: profile.clone(),
                signed_in,
            },
        );
        Ok(id)
    }

    fn update_account(&self, id: AccountId, profile: &AccountProfile) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let account = inner
            .accounts
            .get_mut(&id)
            .ok_or(Error::AccountNotFound(id))?;
        account.profile = profile.clone();
        Ok(())
    }

    fn update_sign_in(&self, id: AccountId, signed_in: bool) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let account = inner
            .accounts
            .get_mut(&id)
            .ok_or(Error::AccountNotFound(id))?;
        account.signed_in = signed_in;
        Ok(())
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, Error> {
        Ok(self.lock()?.accounts.get(&id).cloned())
    }

    fn accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.lock()?.accounts.values().cloned().collect())
    }

    fn delete_accounts(&self, ids: &[AccountId]) -> Result<usize, Error> {
        let mut inner = self.lock()?;
        let mut n = 0;
        for id in ids {
            if inner.accounts.remove(id).is_some() {
                n += 1;
            }
        }
        inner
            .settings
            .retain(|(a, _), _| !ids.iter().any(|id| id.0 == *a));
        inner.calls.retain(|_, c| !ids.contains(&c.record.account));
        Ok(n)
    }

    fn setting(&self, account: Option<AccountId>, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .lock()?
            .settings
            .get(&(scope(account), key.to_owned()))
            .cloned())
    }

    fn set_setting(&self, account: Option<AccountId>, key: &str, value: &str) -> Result<(), Error> {
        let mut inner = self.lock()?;
        if let Some(id) = account {
            if !inner.accounts.contains_key(&id) {
                return Err(Error::AccountNotFound(id));
            }
        }
        inner
            .settings
            .insert((scope(account), key.to_owned()), value.to_owned());
        Ok(())
    }

    fn delete_setting(&self, account: Option<AccountId>, key: &str) -> Result<(), Error> {
        self.lock()?
            .settings
            .remove(&(scope(account), key.to_owned()));
        Ok(())
    }

    fn insert_call(&self, record: &CallRecord) -> Result<CallId, Error> {
        record.validate()?;
        let mut inner = self.lock()?;
        if !inner.accounts.contains_key(&record.account) {
            return Err(Error::AccountNotFound(record.account));
        }
        inner.last_call += 1;
        let id = CallId(inner.last_call);
        inner.calls.insert(
            id,
            CallEntry {
                id,
                record: record.clone(),
            },
        );
        Ok(id)
    }

    fn call(&self, id: CallId) -> Result<Option<CallEntry>, Error> {
        Ok(self.lock()?.calls.get(&id).cloned())
    }

    fn calls(&self, query: &CallQuery) -> Result<CallPage, Error> {
        query.validate()?;
        let inner = self.lock()?;
        let mut entries: Vec<CallEntry> = inner
            .calls
            .values()
            .filter(|e| query.account.is_none_or(|a| e.record.account == a))
            .filter(|e| {
                query
                    .after
                    .is_none_or(|c| (e.record.start, e.id) < (c.start, c.id))
            })
            .cloned()
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse((e.record.start, e.id)));
        entries.truncate(query.limit as usize + 1);
        Ok(page_of(entries, query.limit))
    }

    fn delete_calls(&self, ids: &[CallId]) -> Result<usize, Error> {
        let mut inner = self.lock()?;
        Ok(ids
            .iter()
            .filter(|id| inner.calls.remove(id).is_some())
            .count())
    }

    fn clear_calls(&self, account: Option<AccountId>) -> Result<usize, Error> {
        let mut inner = self.lock()?;
        let before = inner.calls.len();
        inner
            .calls
            .retain(|_, c| account.is_some_and(|a| c.record.account != a));
        Ok(before - inner.calls.len())
    }
}

/// The newest schema this build writes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA_V1: &str = "
CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    username     TEXT NOT NULL,
    auth_name    TEXT,
    display_name TEXT,
    server_kind  TEXT NOT NULL,
    server_a     TEXT,
    server_b     TEXT,
    signed_in    INTEGER NOT NULL
);
CREATE TABLE settings (
    account_id INTEGER NOT NULL,   -- 0: global
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
CREATE TABLE calls (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    direction        TEXT NOT NULL,
    local_party      TEXT NOT NULL,
    remote_party     TEXT NOT NULL,
    remote_name      TEXT,
    start_ms         INTEGER NOT NULL,
    answer_ms        INTEGER,
    end_ms           INTEGER NOT NULL,
    end_reason       TEXT NOT NULL,
    codec            TEXT,
    packets_sent     INTEGER,
    packets_received INTEGER,
    packets_lost     INTEGER,
    jitter_ms        REAL,
    mos              REAL
);
CREATE INDEX calls_newest ON calls (start_ms DESC, id DESC);
CREATE INDEX calls_by_account ON calls (account_id, start_ms DESC, id DESC);
";

/// The default store: one SQLite file (WAL journal, foreign keys on),
/// migrated to the current schema when opened.
///
/// ```
/// use linkus_core::{SqliteStore, Store};
/// let dir = std::env::temp_dir().join(format!("linkus-doc-store-{}", std::process::id()));
/// let store = SqliteStore::open(dir.join("linkus.db"))?;
/// store.set_setting(None, "theme", "dark")?;
/// assert_eq!(store.setting(None, "theme")?.as_deref(), Some("dark"));
/// # drop(store);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), linkus_core::Error>(())
/// ```
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates, mode `0600` on Unix, with its directory) the
    /// database file and migrates it. A file written by a newer SDK is
    /// [`StoreError::SchemaTooNew`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let io = |e: std::io::Error| Error::Store(StoreError::Io(e.to_string()));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        options.open(path).map_err(io)?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sqlite(format!("journal mode {mode}, not wal")).into());
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    /// A database in memory (same code paths as a file, nothing persisted).
    pub fn open_in_memory() -> Result<Self, Error> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, Error> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, Error> {
        self.conn.lock().map_err(|_| StoreError::Poisoned.into())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, Error> {
        Ok(self
            .conn()?
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn.transaction()?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    if version < 1 {
        tx.execute_batch(SCHEMA_V1)?;
    }
    // Later versions: `if version < 2 { … }`, each step in this transaction.
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

fn corrupt(what: String) -> Error {
    Error::Store(StoreError::Corrupt(what))
}

const ACCOUNT_COLUMNS: &str =
    "id, username, auth_name, display_name, server_kind, server_a, server_b, signed_in";

type AccountRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    bool,
);

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn account_from(row: AccountRow) -> Result<Account, Error> {
    let (id, username, auth_name, display_name, kind, a, b, signed_in) = row;
    let server = ServerSpec::from_parts(&kind, a.as_deref(), b.as_deref())
        .map_err(|e| corrupt(format!("account {id} server: {e}")))?;
    Ok(Account {
        id: AccountId(id),
        profile: AccountProfile {
            username,
            auth_name,
            display_name,
            server,
        },
        signed_in,
    })
}

const CALL_COLUMNS: &str = "id, account_id, direction, local_party, remote_party, remote_name, \
     start_ms, answer_ms, end_ms, end_reason, codec, packets_sent, packets_received, \
     packets_lost, jitter_ms, mos";

struct CallRow {
    id: i64,
    account: i64,
    direction: String,
    local_party: String,
    remote_party: String,
    remote_name: Option<String>,
    start: i64,
    answer: Option<i64>,
    end: i64,
    end_reason: String,
    codec: Option<String>,
    quality: Option<(i64, i64, i64, f64, f64)>,
}

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRow> {
    let sent: Option<i64> = r.get(11)?;
    let quality = match sent {
        Some(sent) => Some((sent, r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?)),
        None => None,
    };
    Ok(CallRow {
        id: r.get(0)?,
        account: r.get(1)?,
        direction: r.get(2)?,
        local_party: r.get(3)?,
        remote_party: r.get(4)?,
        remote_name: r.get(5)?,
        start: r.get(6)?,
        answer: r.get(7)?,
        end: r.get(8)?,
        end_reason: r.get(9)?,
        codec: r.get(10)?,
        quality,
    })
}

fn call_from(row: CallRow) -> Result<CallEntry, Error> {
    let id = row.id;
    let direction = Direction::parse(&row.direction)
        .ok_or_else(|| corrupt(format!("call {id} direction {:?}", row.direction)))?;
    let end_reason = EndReason::parse(&row.end_reason)
        .ok_or_else(|| corrupt(format!("call {id} end reason {:?}", row.end_reason)))?;
    let count = |v: i64| u64::try_from(v).map_err(|_| corrupt(format!("call {id} count {v}")));
    let quality = match row.quality {
        Some((sent, received, lost, jitter, mos)) => Some(QualitySummary {
            packets_sent: count(sent)?,
            packets_received: count(received)?,
            packets_lost: count(lost)?,
            jitter_ms: jitter as f32,
            mos: mos as f32,
        }),
        None => None,
    };
    Ok(CallEntry {
        id: CallId(id),
        record: CallRecord {
            account: AccountId(row.account),
            direction,
            local_party: row.local_party,
            remote_party: row.remote_party,
            remote_name: row.remote_name,
            start: UnixMs(row.start),
            answer: row.answer.map(UnixMs),
            end: UnixMs(row.end),
            end_reason,
            codec: row.codec,
            quality,
        },
    })
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    fn insert_account(
        &self,
        profile: &AccountProfile,
        signed_in: bool,
    ) -> Result<AccountId, Error> {
        let conn = self.conn()?;
        let (kind, a, b) = profile.server.to_parts();
        conn.execute(
            "INSERT INTO accounts (username, auth_name, display_name, server_kind, server_a, server_b, signed_in)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![profile.username, profile.auth_name, profile.display_name, kind, a, b, signed_in],
        )?;
        Ok(AccountId(conn.last_insert_rowid()))
    }

    fn update_account(&self, id: AccountId, profile: &AccountProfile) -> Result<(), Error> {
        let (kind, a, b) = profile.server.to_parts();
        let n = self.conn()?.execute(
            "UPDATE accounts SET username = ?2, auth_name = ?3, display_name = ?4,
             server_kind = ?5, server_a = ?6, server_b = ?7 WHERE id = ?1",
            params![
                id.0,
                profile.username,
                profile.auth_name,
                profile.display_name,
                kind,
                a,
                b
            ],
        )?;
        if n == 0 {
            return Err(Error::AccountNotFound(id));
        }
        Ok(())
    }

    fn update_sign_in(&self, id: AccountId, signed_in: bool) -> Result<(), Error> {
        let n = self.conn()?.execute(
            "UPDATE accounts SET signed_in = ?2 WHERE id = ?1",
            params![id.0, signed_in],
        )?;
        if n == 0 {
            return Err(Error::AccountNotFound(id));
        }
        Ok(())
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, Error> {
        let row = self
            .conn()?
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                [id.0],
                account_row,
            )
            .optional()?;
        row.map(account_from).transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>, Error> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
        ))?;
        let rows = stmt.query_map([], account_row)?;
        rows.map(|r| account_from(r?)).collect()
    }

    fn delete_accounts(&self, ids: &[AccountId]) -> Result<usize, Error> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut n = 0;
        for id in ids {
            tx.execute("DELETE FROM settings WHERE account_id = ?1", [id.0])?;
            n += tx.execute("DELETE FROM accounts WHERE id = ?1", [id.0])?;
        }
        tx.commit()?;
        Ok(n)
    }

    fn setting(&self, account: Option<AccountId>, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT value FROM settings WHERE account_id = ?1 AND key = ?2",
                params![scope(account), key],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn set_setting(&self, account: Option<AccountId>, key: &str, value: &str) -> Result<(), Error> {
        let conn = self.conn()?;
        if let Some(id) = account {
            let exists = conn
                .query_row("SELECT 1 FROM accounts WHERE id = ?1", [id.0], |_| Ok(()))
                .optional()?;
            if exists.is_none() {
                return Err(Error::AccountNotFound(id));
            }
        }
        conn.execute(
            "INSERT INTO settings (account_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value",
            params![scope(account), key, value],
        )?;
        Ok(())
    }

    fn delete_setting(&self, account: Option<AccountId>, key: &str) -> Result<(), Error> {
        self.conn()?.execute(
            "DELETE FROM settings WHERE account_id = ?1 AND key = ?2",
            params![scope(account), key],
        )?;
        Ok(())
    }

    fn insert_call(&self, record: &CallRecord) -> Result<CallId, Error> {
        record.validate()?;
        let conn = self.conn()?;
        let exists = conn
            .query_row(
                "SELECT 1 FROM accounts WHERE id = ?1",
                [record.account.0],
                |_| Ok(()),
            )
            .optional()?;
        if exists.is_none() {
            return Err(Error::AccountNotFound(record.account));
        }
        let q = record.quality.as_ref();
        conn.execute(
            &format!(
                "INSERT INTO calls ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                CALL_COLUMNS
            ),
            params![
                record.account.0,
                record.direction.as_str(),
                record.local_party,
                record.remote_party,
                record.remote_name,
                record.start.0,
                record.answer.map(|a| a.0),
                record.end.0,
                record.end_reason.to_text(),
                record.codec,
                q.map(|q| clamp(q.packets_sent)),
                q.map(|q| clamp(q.packets_received)),
                q.map(|q| clamp(q.packets_lost)),
                q.map(|q| f64::from(q.jitter_ms)),
                q.map(|q| f64::from(q.mos)),
            ],
        )?;
        Ok(CallId(conn.last_insert_rowid()))
    }

    fn call(&self, id: CallId) -> Result<Option<CallEntry>, Error> {
        let row = self
            .conn()?
            .query_row(
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = ?1"),
                [id.0],
                call_row,
            )
            .optional()?;
        row.map(call_from).transpose()
    }

    fn calls(&self, query: &CallQuery) -> Result<CallPage, Error> {
        query.validate()?;
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {CALL_COLUMNS} FROM calls
             WHERE (?1 IS NULL OR account_id = ?1)
               AND (?2 IS NULL OR start_ms < ?2 OR (start_ms = ?2 AND id < ?3))
             ORDER BY start_ms DESC, id DESC
             LIMIT ?4"
        ))?;
        let rows = stmt.query_map(
            params![
                query.account.map(|a| a.0),
                query.after.map(|c| c.start.0),
                query.after.map(|c| c.id.0),
                i64::from(query.limit) + 1,
            ],
            call_row,
        )?;
        let entries = rows
            .map(|r| call_from(r?))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(page_of(entries, query.limit))
    }

    fn delete_calls(&self, ids: &[CallId]) -> Result<usize, Error> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let mut n = 0;
        for id in ids {
            n += tx.execute("DELETE FROM calls WHERE id = ?1", [id.0])?;
        }
        tx.commit()?;
        Ok(n)
    }

    fn clear_calls(&self, account: Option<AccountId>) -> Result<usize, Error> {
        Ok(self.conn()?.execute(
            "DELETE FROM calls WHERE ?1 IS NULL OR account_id = ?1",
            [account.map(|a| a.0)],
        )?)
    }
}
