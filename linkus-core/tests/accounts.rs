//! Accounts over a real SQLite store and encrypted secret files (A2, A7, A8).

use linkus_core::{
    AccountConfig, AccountId, Accounts, EncryptedFileSecretStore, Error, MemorySecretStore,
    MemoryStore, Secret, SecretStore, ServerSpec, SqliteStore, Store,
};
use std::path::PathBuf;
use std::sync::Arc;
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

fn config(user: &str, password: &str, server: &str) -> AccountConfig {
    AccountConfig::new(
        user,
        Secret::new(password),
        ServerSpec::parse(server).unwrap(),
    )
}

#[test]
fn the_whole_life_of_accounts_on_disk() {
    let dir = temp_dir("accounts");
    let open = || {
        Accounts::new(
            Arc::new(SqliteStore::open(dir.join("linkus.db")).unwrap()),
            Arc::new(EncryptedFileSecretStore::open(&dir).unwrap()),
        )
    };
    let accounts = open();
    assert_eq!(accounts.active().unwrap(), None);
    let a = accounts
        .add(&config("1001", "pw-a", "pbx.example.com"))
        .unwrap();
    let b = accounts
        .add(&config("alice@example.com", "pw-b", "3631A1234567"))
        .unwrap();
    let c = accounts
        .add(&AccountConfig::new(
            "1003",
            Secret::new("pw-c"),
            ServerSpec::custom(Some("192.168.1.20:5060"), Some("203.0.113.7:35060")).unwrap(),
        ))
        .unwrap();
    // The same user on the same server again (case of the user ignored).
    assert_eq!(
        accounts.add(&config("ALICE@example.com", "x", "3631a1234567")),
        Err(Error::AccountExists(b))
    );
    // The same extension on another server is another account.
    let d = accounts
        .add(&config("1001", "pw-d", "other.example.com"))
        .unwrap();

    assert_eq!(accounts.active().unwrap().unwrap().id, a);
    accounts.switch(c).unwrap();
    // Switching signs nobody out.
    assert!(accounts.list().unwrap().iter().all(|x| x.signed_in));
    assert_eq!(
        accounts.switch(AccountId(99)),
        Err(Error::AccountNotFound(AccountId(99)))
    );

    // Sign out: kept in the list, password forgotten, others untouched.
    accounts.sign_out(b).unwrap();
    assert!(!accounts.get(b).unwrap().signed_in);
    assert_eq!(accounts.password(b), Err(Error::SignedOut(b)));
    assert_eq!(accounts.password(a).unwrap().expose(), "pw-a");
    assert!(!dir.join(format!("secrets/account-{b}.sec")).exists());

    // Everything survives a restart; passwords are not in the database.
    drop(accounts);
    let db = std::fs::read(dir.join("linkus.db")).unwrap();
    let wal = std::fs::read(dir.join("linkus.db-wal")).unwrap_or_default();
    for pw in ["pw-a", "pw-b", "pw-c", "pw-d"] {
        assert!(
            !db.windows(4).any(|w| w == pw.as_bytes()),
            "{pw} in the database"
        );
        assert!(
            !wal.windows(4).any(|w| w == pw.as_bytes()),
            "{pw} in the WAL"
        );
    }
    let accounts = open();
    assert_eq!(accounts.active().unwrap().unwrap().id, c);
    assert_eq!(accounts.list().unwrap().len(), 4);
    assert_eq!(accounts.password(c).unwrap().expose(), "pw-c");
    assert_eq!(
        accounts.get(c).unwrap().profile.server.to_string(),
        "LAN 192.168.1.20:5060, remote 203.0.113.7:35060"
    );

    accounts.sign_in(b, &Secret::new("pw-b2")).unwrap();
    assert_eq!(accounts.password(b).unwrap().expose(), "pw-b2");

    // Remove many: an unknown id removes nothing.
    assert_eq!(
        accounts.remove(&[a, AccountId(77)]),
        Err(Error::AccountNotFound(AccountId(77)))
    );
    assert_eq!(accounts.list().unwrap().len(), 4);
    // Removing the active one makes the oldest remaining active.
    accounts.remove(&[a, c]).unwrap();
    assert_eq!(
        accounts
            .list()
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![b, d]
    );
    assert_eq!(accounts.active().unwrap().unwrap().id, b);
    assert!(!dir.join(format!("secrets/account-{c}.sec")).exists());
    // A new account never takes a removed id.
    let e = accounts
        .add(&config("1005", "pw-e", "pbx.example.com"))
        .unwrap();
    assert!(e.0 > d.0);
    accounts.remove(&[b, d, e]).unwrap();
    assert_eq!(accounts.active().unwrap(), None);
    drop(accounts);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_configs_are_typed_errors() {
    let accounts = Accounts::new(
        Arc::new(MemoryStore::new()),
        Arc::new(MemorySecretStore::new()),
    );
    let server = ServerSpec::parse("pbx.example.com").unwrap();
    let cases: &[(AccountConfig, &str, &str)] = &[
        (
            AccountConfig::new("", Secret::new("pw"), server.clone()),
            "username",
            "empty",
        ),
        (
            AccountConfig::new("10 01", Secret::new("pw"), server.clone()),
            "username",
            "holds spaces or control characters",
        ),
        (
            AccountConfig::new("1001", Secret::new(""), server.clone()),
            "password",
            "empty",
        ),
        (
            AccountConfig::new("1001", Secret::new("a\nb"), server.clone()),
            "password",
            "holds control characters",
        ),
        (
            AccountConfig::new("1001", Secret::new("x".repeat(257)), server.clone()),
            "password",
            "longer than 256 bytes",
        ),
        (
            AccountConfig::new("1001", Secret::new("pw"), server.clone()).with_auth_name(""),
            "auth_name",
            "empty",
        ),
        (
            AccountConfig::new("1001", Secret::new("pw"), server.clone())
                .with_display_name("A\u{7}"),
            "display_name",
            "holds control characters",
        ),
    ];
    for (config, field, reason) in cases {
        assert_eq!(
            accounts.add(config),
            Err(Error::InvalidAccount { field, reason }),
            "{config:?}"
        );
    }
    assert!(accounts.list().unwrap().is_empty());
}

/// A secret store that always fails: adding an account must not leave a
/// record without its password.
#[derive(Debug)]
struct BrokenSecrets;

impl SecretStore for BrokenSecrets {
    fn put(&self, _: AccountId, _: &Secret) -> Result<(), Error> {
        Err(linkus_core::SecretError::Io("disk full".into()).into())
    }
    fn get(&self, _: AccountId) -> Result<Option<Secret>, Error> {
        Ok(None)
    }
    fn delete(&self, _: AccountId) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn a_failing_secret_store_leaves_no_account_behind() {
    let store = Arc::new(MemoryStore::new());
    let accounts = Accounts::new(store.clone(), Arc::new(BrokenSecrets));
    assert!(matches!(
        accounts.add(&config("1001", "pw", "pbx.example.com")),
        Err(Error::Secret(_))
    ));
    assert!(store.accounts().unwrap().is_empty());
    assert_eq!(accounts.active().unwrap(), None);
}
