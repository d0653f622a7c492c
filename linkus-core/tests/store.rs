//! One suite run against `MemoryStore`, `SqliteStore` in memory and
//! `SqliteStore` on a file; plus what only the file store does (reopen,
//! migration, schema too new, WAL).

use linkus_core::{
    AccountId, AccountProfile, CallQuery, CallRecord, Direction, EndReason, Error, MemoryStore,
    QualitySummary, ServerSpec, SqliteStore, Store, StoreError, UnixMs,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "linkus-core-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn profile(user: &str) -> AccountProfile {
    AccountProfile {
        username: user.into(),
        auth_name: None,
        display_name: Some("Zoë O'Brien".into()),
        server: ServerSpec::custom(Some("192.168.1.20:5060"), Some("pbx.example.com")).unwrap(),
    }
}

fn call(account: AccountId, start: i64, remote: &str) -> CallRecord {
    CallRecord::new(account, Direction::Incoming, "1001", remote, UnixMs(start))
        .answered(UnixMs(start + 2_000))
        .ended(UnixMs(start + 62_000), EndReason::RemoteHangup)
}

fn suite(store: &dyn Store) {
    // Accounts.
    let a = store.insert_account(&profile("1001"), true).unwrap();
    let b = store.insert_account(&profile("1002"), false).unwrap();
    assert_ne!(a, b);
    let got = store.account(a).unwrap().unwrap();
    assert_eq!(got.profile, profile("1001"));
    assert!(got.signed_in);
    assert_eq!(
        store
            .accounts()
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![a, b]
    );
    let mut p = profile("1001");
    p.server = ServerSpec::parse("3631A1234567").unwrap();
    store.update_account(a, &p).unwrap();
    assert_eq!(store.account(a).unwrap().unwrap().profile, p);
    store.update_sign_in(b, true).unwrap();
    assert!(store.account(b).unwrap().unwrap().signed_in);
    assert_eq!(
        store.update_sign_in(AccountId(999), true),
        Err(Error::AccountNotFound(AccountId(999)))
    );
    assert_eq!(store.account(AccountId(999)).unwrap(), None);

    // Settings: global and per account are apart.
    store.set_setting(None, "k", "global").unwrap();
    store.set_setting(Some(a), "k", "of a").unwrap();
    store.set_setting(Some(a), "k", "of a, again").unwrap();
    assert_eq!(store.setting(None, "k").unwrap().as_deref(), Some("global"));
    assert_eq!(
        store.setting(Some(a), "k").unwrap().as_deref(),
        Some("of a, again")
    );
    assert_eq!(store.setting(Some(b), "k").unwrap(), None);
    assert_eq!(
        store.set_setting(Some(AccountId(999)), "k", "v"),
        Err(Error::AccountNotFound(AccountId(999)))
    );
    store.delete_setting(None, "k").unwrap();
    assert_eq!(store.setting(None, "k").unwrap(), None);

    // History: 25 calls over two accounts, two of them in the same millisecond.
    let mut ids = Vec::new();
    for i in 0..25i64 {
        let account = if i % 2 == 0 { a } else { b };
        let start = 1_700_000_000_000 + (i / 2) * 1000; // pairs share a start
        ids.push(
            store
                .insert_call(&call(account, start, &format!("+86108888{i:04}")))
                .unwrap(),
        );
    }
    let mut rich = call(a, 1_800_000_000_000, "sip:bob@example.com");
    rich.remote_name = Some("Bob".into());
    rich.codec = Some("opus".into());
    rich.quality = Some(QualitySummary {
        packets_sent: 3000,
        packets_received: 2990,
        packets_lost: 10,
        jitter_ms: 4.5,
        mos: 4.25,
    });
    let rich_id = store.insert_call(&rich).unwrap();
    assert_eq!(store.call(rich_id).unwrap().unwrap().record, rich);

    // Paging, newest first, the pages cover everything once.
    let mut seen = Vec::new();
    let mut query = CallQuery::newest(10);
    loop {
        let page = store.calls(&query).unwrap();
        assert!(page.entries.len() <= 10);
        seen.extend(page.entries.iter().map(|e| (e.record.start, e.id)));
        match page.next {
            Some(cursor) => query = query.after(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 26);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "not newest first: {seen:?}"
    );
    assert_eq!(seen[0].1, rich_id);

    let only_b = store.calls(&CallQuery::newest(1000).of_account(b)).unwrap();
    assert_eq!(only_b.entries.len(), 12);
    assert!(only_b.entries.iter().all(|e| e.record.account == b));
    assert_eq!(only_b.next, None);

    for bad in [0, 1001] {
        assert!(matches!(
            store.calls(&CallQuery::newest(bad)),
            Err(Error::InvalidSetting {
                setting: "call_query.limit",
                ..
            })
        ));
    }

    // Bad records are typed errors.
    let backwards = call(a, 10_000, "x").ended(UnixMs(9_999), EndReason::Missed);
    assert_eq!(
        store.insert_call(&backwards),
        Err(Error::InvalidCallRecord {
            reason: "ends before it starts"
        })
    );
    assert_eq!(
        store.insert_call(&call(AccountId(999), 1, "x")),
        Err(Error::AccountNotFound(AccountId(999)))
    );

    // Deleting.
    assert_eq!(
        store
            .delete_calls(&[ids[0], ids[1], CallId(424242)])
            .unwrap(),
        2
    );
    assert_eq!(store.call(ids[0]).unwrap(), None);
    assert_eq!(store.clear_calls(Some(b)).unwrap(), 11);
    assert_eq!(
        store.calls(&CallQuery::newest(1000)).unwrap().entries.len(),
        13
    );

    // Deleting an account takes its settings and calls; the other stays.
    assert_eq!(store.delete_accounts(&[a, AccountId(999)]).unwrap(), 1);
    assert_eq!(store.account(a).unwrap(), None);
    assert_eq!(store.setting(Some(a), "k").unwrap(), None);
    assert!(
        store
            .calls(&CallQuery::newest(1000))
            .unwrap()
            .entries
            .is_empty()
    );
    assert!(store.account(b).unwrap().is_some());

    // Ids are not reused.
    let c = store.insert_account(&profile("1003"), true).unwrap();
    assert!(c.0 > b.0);
    let last = store.insert_call(&call(c, 5, "x")).unwrap();
    assert!(last.0 > rich_id.0);
    assert_eq!(store.clear_calls(None).unwrap(), 1);
}

use linkus_core::CallId;

#[test]
fn memory_store() {
    suite(&MemoryStore::new());
}

#[test]
fn sqlite_store_in_memory() {
    suite(&SqliteStore::open_in_memory().unwrap());
}

#[test]
fn sqlite_store_on_file() {
    let dir = temp_dir("store");
    suite(&SqliteStore::open(dir.join("sub/linkus.db")).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_store_persists_across_reopen_in_wal_mode() {
    let dir = temp_dir("reopen");
    let path = dir.join("linkus.db");
    let (a, call_id) = {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        let a = store.insert_account(&profile("1001"), true).unwrap();
        store.set_setting(Some(a), "call_waiting", "on").unwrap();
        (
            a,
            store
                .insert_call(&call(a, 1_700_000_000_000, "1002"))
                .unwrap(),
        )
    };
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.account(a).unwrap().unwrap().profile, profile("1001"));
    assert_eq!(
        store.setting(Some(a), "call_waiting").unwrap().as_deref(),
        Some("on")
    );
    assert_eq!(
        store.call(call_id).unwrap().unwrap().record,
        call(a, 1_700_000_000_000, "1002")
    );
    assert!(dir.join("linkus.db-wal").exists(), "WAL journal expected");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "database readable by others: {mode:o}");
    }
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_store_refuses_a_newer_schema() {
    let dir = temp_dir("newer");
    let path = dir.join("linkus.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 7).unwrap();
    drop(conn);
    assert_eq!(
        SqliteStore::open(&path).unwrap_err(),
        Error::Store(StoreError::SchemaTooNew {
            found: 7,
            supported: 1
        })
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_store_reports_a_corrupt_row() {
    let dir = temp_dir("corrupt");
    let path = dir.join("linkus.db");
    let store = SqliteStore::open(&path).unwrap();
    let a = store.insert_account(&profile("1001"), true).unwrap();
    let id = store.insert_call(&call(a, 1, "x")).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE calls SET end_reason = 'exploded'", [])
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert!(matches!(
        store.call(id),
        Err(Error::Store(StoreError::Corrupt(_)))
    ));
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sqlite_store_rejects_a_file_that_is_not_a_database() {
    let dir = temp_dir("garbage");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("linkus.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    assert!(matches!(
        SqliteStore::open(&path),
        Err(Error::Store(StoreError::Sqlite(_)))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn end_reasons_from_sip_status() {
    use Direction::{Incoming, Outgoing};
    let cases = [
        (486, Outgoing, Some(EndReason::Busy)),
        (600, Outgoing, Some(EndReason::Busy)),
        (603, Outgoing, Some(EndReason::Declined)),
        (408, Outgoing, Some(EndReason::NoAnswer)),
        (480, Incoming, Some(EndReason::NoAnswer)),
        (487, Outgoing, Some(EndReason::Cancelled)),
        (487, Incoming, Some(EndReason::Missed)),
        (404, Outgoing, Some(EndReason::Failed(Some(404)))),
        (302, Outgoing, Some(EndReason::Failed(Some(302)))),
        (699, Outgoing, Some(EndReason::Failed(Some(699)))),
        (180, Outgoing, None),
        (200, Incoming, None),
        (700, Outgoing, None),
        (0, Outgoing, None),
    ];
    for (code, direction, expected) in cases {
        assert_eq!(
            EndReason::from_sip_status(code, direction),
            expected,
            "{code} {direction:?}"
        );
    }
    // Every reason survives its stored text.
    for reason in [
        EndReason::LocalHangup,
        EndReason::RemoteHangup,
        EndReason::Missed,
        EndReason::Rejected,
        EndReason::AnsweredElsewhere,
        EndReason::Cancelled,
        EndReason::Busy,
        EndReason::Declined,
        EndReason::NoAnswer,
        EndReason::Transferred,
        EndReason::ConnectionLost,
        EndReason::Failed(None),
        EndReason::Failed(Some(503)),
    ] {
        assert_eq!(EndReason::parse(&reason.to_text()), Some(reason));
    }
    assert_eq!(EndReason::parse("failed:abc"), None);
    assert_eq!(EndReason::parse(""), None);
}
