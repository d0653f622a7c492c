//! The encrypted-file secret store: round trip, nothing in clear on disk,
//! tamper detection, a replaced key, a swapped file, key file permissions.

use linkus_core::{
    AccountId, EncryptedFileSecretStore, Error, MemorySecretStore, Secret, SecretError, SecretStore,
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

const PASSWORD: &str = "pässwörd with spaces & ✓";

fn round_trip(store: &dyn SecretStore) {
    assert_eq!(store.get(AccountId(1)).unwrap(), None);
    store.put(AccountId(1), &Secret::new(PASSWORD)).unwrap();
    store.put(AccountId(2), &Secret::new("other")).unwrap();
    assert_eq!(store.get(AccountId(1)).unwrap().unwrap().expose(), PASSWORD);
    store.put(AccountId(1), &Secret::new("changed")).unwrap();
    assert_eq!(
        store.get(AccountId(1)).unwrap().unwrap().expose(),
        "changed"
    );
    store.delete(AccountId(1)).unwrap();
    store.delete(AccountId(1)).unwrap(); // twice is fine
    assert_eq!(store.get(AccountId(1)).unwrap(), None);
    assert_eq!(store.get(AccountId(2)).unwrap().unwrap().expose(), "other");
}

#[test]
fn memory_round_trip() {
    round_trip(&MemorySecretStore::new());
}

#[test]
fn file_round_trip_and_reopen() {
    let dir = temp_dir("secret-rt");
    round_trip(&EncryptedFileSecretStore::open(&dir).unwrap());
    // A new instance (a restart) reads what the first wrote.
    let again = EncryptedFileSecretStore::open(&dir).unwrap();
    assert_eq!(again.get(AccountId(2)).unwrap().unwrap().expose(), "other");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nothing_in_clear_on_disk_and_private_modes() {
    let dir = temp_dir("secret-clear");
    let store = EncryptedFileSecretStore::open(&dir).unwrap();
    store.put(AccountId(7), &Secret::new(PASSWORD)).unwrap();
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "{} holds the password in clear",
            entry.display()
        );
    }
    // Two puts of the same secret give different files (fresh nonce).
    let path = dir.join("secrets/account-7.sec");
    let first = std::fs::read(&path).unwrap();
    store.put(AccountId(7), &Secret::new(PASSWORD)).unwrap();
    assert_ne!(first, std::fs::read(&path).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for p in [dir.join("secret.key"), path] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", p.display());
        }
        let mode = std::fs::metadata(dir.join("secrets"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_modified_byte_is_detected() {
    let dir = temp_dir("secret-tamper");
    let store = EncryptedFileSecretStore::open(&dir).unwrap();
    store.put(AccountId(3), &Secret::new("hunter2")).unwrap();
    let path = dir.join("secrets/account-3.sec");
    let original = std::fs::read(&path).unwrap();
    for i in 0..original.len() {
        let mut bytes = original.clone();
        bytes[i] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let err = store.get(AccountId(3)).unwrap_err();
        // Bytes 8..16 are the key fingerprint: changing it reads as another key.
        let expected = if (8..16).contains(&i) {
            SecretError::WrongKey
        } else {
            SecretError::Tampered
        };
        assert_eq!(err, Error::Secret(expected), "byte {i}");
    }
    // Truncated, empty.
    for len in [0, 10, 28, original.len() - 1] {
        std::fs::write(&path, &original[..len]).unwrap();
        assert_eq!(
            store.get(AccountId(3)),
            Err(Error::Secret(SecretError::Tampered)),
            "len {len}"
        );
    }
    std::fs::write(&path, &original).unwrap();
    assert_eq!(
        store.get(AccountId(3)).unwrap().unwrap().expose(),
        "hunter2"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_moved_to_another_account_does_not_decrypt() {
    let dir = temp_dir("secret-swap");
    let store = EncryptedFileSecretStore::open(&dir).unwrap();
    store.put(AccountId(1), &Secret::new("alice's")).unwrap();
    std::fs::copy(
        dir.join("secrets/account-1.sec"),
        dir.join("secrets/account-2.sec"),
    )
    .unwrap();
    assert_eq!(
        store.get(AccountId(2)),
        Err(Error::Secret(SecretError::Tampered))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_replaced_key_is_a_wrong_key_error() {
    let dir = temp_dir("secret-key");
    EncryptedFileSecretStore::open(&dir)
        .unwrap()
        .put(AccountId(1), &Secret::new("hunter2"))
        .unwrap();
    // The key file is lost and a new one generated.
    std::fs::remove_file(dir.join("secret.key")).unwrap();
    let store = EncryptedFileSecretStore::open(&dir).unwrap();
    assert_eq!(
        store.get(AccountId(1)),
        Err(Error::Secret(SecretError::WrongKey))
    );
    // Writing again with the new key works.
    store.put(AccountId(1), &Secret::new("new")).unwrap();
    assert_eq!(store.get(AccountId(1)).unwrap().unwrap().expose(), "new");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_key_file_is_refused() {
    let dir = temp_dir("secret-badkey");
    drop(EncryptedFileSecretStore::open(&dir).unwrap());
    let key = dir.join("secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            EncryptedFileSecretStore::open(&dir),
            Err(Error::Secret(SecretError::KeyFile(_)))
        ));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::write(&key, [7u8; 31]).unwrap();
    assert_eq!(
        EncryptedFileSecretStore::open(&dir).unwrap_err(),
        Error::Secret(SecretError::KeyFile("not a 32-byte key"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secrets_never_print() {
    let s = Secret::new("hunter2");
    let store = MemorySecretStore::new();
    store.put(AccountId(1), &s).unwrap();
    for text in [
        format!("{s}"),
        format!("{s:?}"),
        format!("{store:?}"),
        format!("{:?}", Some(&s)),
    ] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[cfg(feature = "keyring")]
#[test]
fn keyring_round_trip() {
    // Needs a kernel that allows keyctl (containers with a default seccomp
    // profile may not): run with `--features keyring` where it does.
    let store =
        linkus_core::KeyringSecretStore::new(format!("linkus-sdk-test-{}", std::process::id()));
    round_trip(&store);
    store.delete(AccountId(2)).unwrap();
}

#[test]
fn stores_opened_at_once_agree_on_one_key() {
    for round in 0..5 {
        let dir = temp_dir(&format!("secret-race-{round}"));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let store = EncryptedFileSecretStore::open(&dir).unwrap();
                    store
                        .put(AccountId(i), &Secret::new(format!("pw-{i}")))
                        .unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let store = EncryptedFileSecretStore::open(&dir).unwrap();
        for i in 0..8 {
            assert_eq!(
                store.get(AccountId(i)).unwrap().unwrap().expose(),
                format!("pw-{i}")
            );
        }
        // No temporary file is left behind.
        let names: Vec<String> = walk(&dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
