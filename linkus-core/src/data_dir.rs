//! The data directory: the default places of the store and the secrets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::account::Accounts;
use crate::error::Error;
use crate::secret::{EncryptedFileSecretStore, SecretStore};
use crate::store::{SqliteStore, Store};

/// The file name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "linkus.db";

/// The defaults of a data directory, opened together: `linkus.db` (a
/// [`SqliteStore`]) and the [`EncryptedFileSecretStore`] (`secret.key`,
/// `secrets/`). The directory is created mode `0700` on Unix.
///
/// ```
/// use linkus_core::{AccountConfig, DataDir, Secret, ServerSpec};
/// let path = std::env::temp_dir().join(format!("linkus-doc-datadir-{}", std::process::id()));
/// let data = DataDir::open(&path)?;
/// let id = data.accounts().add(&AccountConfig::new("1001", Secret::new("pw"), ServerSpec::parse("pbx.example.com")?))?;
/// drop(data);
/// // After a restart the account and its password are there.
/// let data = DataDir::open(&path)?;
/// assert_eq!(data.accounts().password(id)?.expose(), "pw");
/// # drop(data);
/// # std::fs::remove_dir_all(&path).unwrap();
/// # Ok::<(), linkus_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
    store: Arc<SqliteStore>,
    secrets: Arc<EncryptedFileSecretStore>,
}

impl DataDir {
    /// Opens (creating when needed) the data directory and both stores.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        // The secret store creates the directory with mode 0700 first.
        let secrets = Arc::new(EncryptedFileSecretStore::open(&path)?);
        let store = Arc::new(SqliteStore::open(path.join(DATABASE_FILE))?);
        Ok(DataDir {
            path,
            store,
            secrets,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The secret store.
    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        self.secrets.clone()
    }

    /// The accounts over both.
    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.store(), self.secrets())
    }
}
