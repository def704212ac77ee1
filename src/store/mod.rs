//! History persistence: every exchange in SQLite, secrets masked before
//! write, summaries listed without loading bodies. (Being written.)

pub mod export;
pub mod redact;

use std::path::{Path, PathBuf};

use crate::exchange::{Exchange, ExchangeSummary};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "history store {path}: {source}. Check the data directory is writable, or pass --data-dir"
    )]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
}

/// What happened when a store could not be used as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub moved_to: PathBuf,
    pub reason: String,
}

/// Filters for listing; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub limit: Option<usize>,
    pub offset: usize,
    pub text: Option<String>,
    pub outcome: Option<String>,
    pub status: Option<u16>,
    pub model: Option<String>,
}

pub struct Store {}

impl Store {
    pub fn open(_path: &Path) -> Result<(Store, Option<Recovery>), StoreError> {
        todo!()
    }
    pub fn open_in_memory() -> Result<Store, StoreError> {
        todo!()
    }
    pub fn insert(&self, _exchange: &Exchange) -> Result<(), StoreError> {
        todo!()
    }
    pub fn list(&self, _query: &ListQuery) -> Result<Vec<ExchangeSummary>, StoreError> {
        todo!()
    }
    pub fn get(&self, _id: &str) -> Result<Option<Exchange>, StoreError> {
        todo!()
    }
}
