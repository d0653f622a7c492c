//! Passwords and where they are kept.
//!
//! A password lives in a [`Secret`], whose `Debug` and `Display` print `***`,
//! so it cannot leak into a log line by accident. Account records in the
//! [`Store`](crate::store::Store) never hold one: passwords go to a
//! [`SecretStore`], keyed by [`AccountId`].
//!
//! Implementations:
//!
//! - [`EncryptedFileSecretStore`], the default: one ChaCha20-Poly1305 file per
//!   account under `<data dir>/secrets/`, with a random 256-bit key in
//!   `<data dir>/secret.key` (created mode `0600`).
//! - [`MemorySecretStore`] for tests and for apps that never persist a
//!   password.
//! - `KeyringSecretStore` (feature `keyring`): the OS keyring.
//!
//! # Threat model of the encrypted file
//!
//! The file store keeps passwords out of the SQLite database and out of any
//! copy of the `secrets/` directory made without the key file (a database or
//! log attached to a bug report, a backup that excludes `secret.key`). It
//! detects a modified, truncated or swapped secret file
//! ([`SecretError::Tampered`]) and a key file that was replaced
//! ([`SecretError::WrongKey`]).
//!
//! It does **not** protect against anyone who can read the whole data
//! directory: the key sits next to the ciphertext, so root on the device, the
//! same OS user, or a full backup of the directory recovers the passwords.
//! Where the platform offers one, the OS keyring (feature `keyring`, or an
//! app-provided [`SecretStore`] over the Android Keystore) is stronger, and an
//! app should exclude `secret.key` from cloud backups.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ring::aead;
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::account::AccountId;
use crate::error::{Error, SecretError};

/// A password or other credential. `Debug` and `Display` print `***`.
///
/// The bytes are overwritten (best effort) when the value is dropped.
///
/// ```
/// use linkus_core::Secret;
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password} {password:?}"), "*** ***");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear text, for the digest computation and the secret store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        // Not on a network path; constant time would add nothing here.
        self.0 == other.0
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

/// Where passwords are kept, by account.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Stores (or replaces) the secret of an account.
    fn put(&self, account: AccountId, secret: &Secret) -> Result<(), Error>;
    /// The secret of an account, `None` when there is none.
    fn get(&self, account: AccountId) -> Result<Option<Secret>, Error>;
    /// Forgets the secret of an account; no error when there was none.
    fn delete(&self, account: AccountId) -> Result<(), Error>;
}

/// Secrets in memory only, for tests and for apps that never persist a
/// password.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    secrets: std::sync::Mutex<std::collections::HashMap<AccountId, Secret>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl SecretStore for MemorySecretStore {
    fn put(&self, account: AccountId, secret: &Secret) -> Result<(), Error> {
        let mut map = self.secrets.lock().map_err(|_| SecretError::Poisoned)?;
        map.insert(account, secret.clone());
        Ok(())
    }

    fn get(&self, account: AccountId) -> Result<Option<Secret>, Error> {
        let map = self.secrets.lock().map_err(|_| SecretError::Poisoned)?;
        Ok(map.get(&account).cloned())
    }

    fn delete(&self, account: AccountId) -> Result<(), Error> {
        let mut map = self.secrets.lock().map_err(|_| SecretError::Poisoned)?;
        map.remove(&account);
        Ok(())
    }
}

const KEY_FILE: &str = "secret.key";
const SECRETS_DIR: &str = "secrets";
const MAGIC: &[u8; 8] = b"LKSEC1\0\0";
const FINGERPRINT_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = MAGIC.len() + FINGERPRINT_LEN + NONCE_LEN;

/// Secrets encrypted with ChaCha20-Poly1305 under a random key kept in a file
/// beside them. Read the [module documentation](self) for what this protects
/// against and what it does not.
///
/// Layout under the data directory:
///
/// - `secret.key`: 32 random bytes, created with mode `0600` (on Unix an
///   existing key file readable by group or others is refused);
/// - `secrets/account-<id>.sec`: `LKSEC1\0\0`, an 8-byte key fingerprint, a
///   12-byte random nonce, then the ciphertext and tag. The associated data
///   binds the file to its account id, so a file copied onto another
///   account fails as [`SecretError::Tampered`].
///
/// ```
/// use linkus_core::{AccountId, EncryptedFileSecretStore, Secret, SecretStore};
/// let dir = std::env::temp_dir().join(format!("linkus-doc-secret-{}", std::process::id()));
/// let store = EncryptedFileSecretStore::open(&dir)?;
/// store.put(AccountId(1), &Secret::new("hunter2"))?;
/// assert_eq!(store.get(AccountId(1))?.unwrap().expose(), "hunter2");
/// // The file on disk does not hold the clear text.
/// let raw = std::fs::read(dir.join("secrets/account-1.sec")).unwrap();
/// assert!(!raw.windows(7).any(|w| w == b"hunter2"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), linkus_core::Error>(())
/// ```
pub struct EncryptedFileSecretStore {
    dir: PathBuf,
    key: aead::LessSafeKey,
    fingerprint: [u8; FINGERPRINT_LEN],
    rng: SystemRandom,
}

impl fmt::Debug for EncryptedFileSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedFileSecretStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Secret(SecretError::Io(e.to_string()))
}

impl EncryptedFileSecretStore {
    /// Opens the store in `data_dir`, creating the directory, the key file
    /// and `secrets/` when they do not exist.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = data_dir.as_ref().to_path_buf();
        create_private_dir(&dir)?;
        create_private_dir(&dir.join(SECRETS_DIR))?;
        let rng = SystemRandom::new();
        let key_bytes = load_or_create_key(&dir.join(KEY_FILE), &rng)?;
        let unbound = aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &key_bytes)
            .map_err(|_| SecretError::KeyFile("not a 32-byte key"))?;
        Ok(EncryptedFileSecretStore {
            dir,
            key: aead::LessSafeKey::new(unbound),
            fingerprint: fingerprint(&key_bytes),
            rng,
        })
    }

    fn path(&self, account: AccountId) -> PathBuf {
        self.dir
            .join(SECRETS_DIR)
            .join(format!("account-{}.sec", account.0))
    }

    fn aad(&self, account: AccountId) -> Vec<u8> {
        let mut aad = Vec::with_capacity(40);
        aad.extend_from_slice(MAGIC);
        aad.extend_from_slice(&self.fingerprint);
        aad.extend_from_slice(&account.0.to_be_bytes());
        aad
    }
}

fn fingerprint(key: &[u8]) -> [u8; FINGERPRINT_LEN] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"linkus-sdk secret key fingerprint\0");
    ctx.update(key);
    let digest = ctx.finish();
    let mut out = [0u8; FINGERPRINT_LEN];
    out.copy_from_slice(&digest.as_ref()[..FINGERPRINT_LEN]);
    out
}

fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io)
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

fn load_or_create_key(path: &Path, rng: &SystemRandom) -> Result<[u8; 32], Error> {
    // Decide on the error kind, not on a later `exists()`: another thread
    // or process may create the key between the two (a race the
    // `stores_opened_at_once_agree_on_one_key` test caught).
    match fs::symlink_metadata(path) {
        Ok(_) => return read_key(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut key = [0u8; 32];
    rng.fill(&mut key).map_err(|_| SecretError::Random)?;
    // Write a temporary file, then hard-link it into place: the link fails if
    // another process created the key meanwhile, and then we use theirs. The
    // key file is never seen half written.
    let tmp = path.with_extension(temp_suffix(rng)?);
    write_private_file(&tmp, &key)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(io(e)),
    }
}

/// A unique temporary-file extension, so that two writers (threads or
/// processes) never share a temporary file.
fn temp_suffix(rng: &SystemRandom) -> Result<String, Error> {
    let mut bytes = [0u8; 8];
    rng.fill(&mut bytes).map_err(|_| SecretError::Random)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("tmp-{hex}"))
}

fn read_key(path: &Path) -> Result<[u8; 32], Error> {
    let bytes = fs::read(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SecretError::KeyFile("readable or writable by other users").into());
        }
    }
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| SecretError::KeyFile("not a 32-byte key").into())
}

impl SecretStore for EncryptedFileSecretStore {
    fn put(&self, account: AccountId, secret: &Secret) -> Result<(), Error> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut sealed = secret.expose().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(self.aad(account)),
                &mut sealed,
            )
            .map_err(|_| SecretError::Random)?;
        let mut file = Vec::with_capacity(HEADER_LEN + sealed.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&self.fingerprint);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        let path = self.path(account);
        let tmp = path.with_extension(temp_suffix(&self.rng)?);
        write_private_file(&tmp, &file)?;
        fs::rename(&tmp, &path).map_err(io)
    }

    fn get(&self, account: AccountId) -> Result<Option<Secret>, Error> {
        let mut file = match fs::read(self.path(account)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if file.len() < HEADER_LEN + aead::CHACHA20_POLY1305.tag_len()
            || &file[..MAGIC.len()] != MAGIC
        {
            return Err(SecretError::Tampered.into());
        }
        if file[MAGIC.len()..MAGIC.len() + FINGERPRINT_LEN] != self.fingerprint {
            return Err(SecretError::WrongKey.into());
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&file[MAGIC.len() + FINGERPRINT_LEN..HEADER_LEN]);
        let plain = self
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(self.aad(account)),
                &mut file[HEADER_LEN..],
            )
            .map_err(|_| SecretError::Tampered)?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Tampered)?;
        file.fill(0);
        Ok(Some(Secret::new(text)))
    }

    fn delete(&self, account: AccountId) -> Result<(), Error> {
        match fs::remove_file(self.path(account)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

/// Secrets in the OS keyring through the `keyring` crate (feature
/// `keyring`): the Keychain on macOS and iOS, the Credential Manager on
/// Windows, kernel keyutils on Linux (pure Rust, no D-Bus or
/// secret-service library needed; keyutils keys live in the user's session
/// keyring and do **not** survive a reboot, so on a Linux desktop a
/// password must be given again after one). Android has no backend in
/// `keyring` 3: an Android app provides its own [`SecretStore`] over the
/// Android Keystore.
///
/// Entries are named service `service`, user `account-<id>`.
#[cfg(feature = "keyring")]
#[derive(Debug, Clone)]
pub struct KeyringSecretStore {
    service: String,
}

#[cfg(feature = "keyring")]
impl KeyringSecretStore {
    /// A store whose entries use this service name (e.g. the app's bundle id).
    pub fn new(service: impl Into<String>) -> Self {
        KeyringSecretStore {
            service: service.into(),
        }
    }

    fn entry(&self, account: AccountId) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(&self.service, &format!("account-{}", account.0))
            .map_err(|e| SecretError::Keyring(e.to_string()).into())
    }
}

#[cfg(feature = "keyring")]
impl SecretStore for KeyringSecretStore {
    fn put(&self, account: AccountId, secret: &Secret) -> Result<(), Error> {
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(|e| SecretError::Keyring(e.to_string()).into())
    }

    fn get(&self, account: AccountId) -> Result<Option<Secret>, Error> {
        match self.entry(account)?.get_password() {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError::Keyring(e.to_string()).into()),
        }
    }

    fn delete(&self, account: AccountId) -> Result<(), Error> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError::Keyring(e.to_string()).into()),
        }
    }
}
