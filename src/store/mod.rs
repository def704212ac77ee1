//! History persistence: every exchange in SQLite, secrets masked before
//! write, summaries listed without loading bodies.
//!
//! One file (`history.db` in the data directory) in WAL mode, so the engine's
//! writer thread and the UI's reader each hold their own [`Store`] on the
//! same path without blocking each other. A file this program cannot use
//! (not SQLite, damaged, or from a newer version) is moved aside, never
//! deleted, and a fresh one is started; [`Store::open`] says so with a
//! [`Recovery`].

pub mod export;
pub mod redact;
mod schema;

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, Row, params, params_from_iter};

use crate::exchange::{Exchange, ExchangeId, ExchangeSummary, Outcome, Source};
use redact::{redact_headers, redact_text};

/// The file name of the history inside the data directory.
pub const FILE_NAME: &str = "history.db";

/// How long a connection waits for another one's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many earlier exchanges of a session are weighed to find a turn's
/// predecessor.
const TURNS_WEIGHED: usize = 20;

/// How many ids an ambiguous-prefix error lists.
const AMBIGUOUS_SHOWN: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history store {path}: {op} failed: {source}. {}", sqlite_hint(.source))]
    Sqlite {
        path: String,
        /// What the store was doing (`opening`, `inserting ex_…`, `listing`).
        op: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "could not create the data directory {}: {source}. Create it by hand or pass --data-dir",
        .path.display()
    )]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the history file {} cannot be used ({reason}) and could not be moved aside to {}: {source}. \
         Move or delete it by hand, then start again",
        .from.display(), .to.display()
    )]
    MoveAside {
        from: PathBuf,
        to: PathBuf,
        reason: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "the history file {path} cannot be used: {reason}. Move it elsewhere, or pass --data-dir"
    )]
    Unusable { path: String, reason: String },
    #[error(
        "the id prefix `{prefix}` matches {count} exchanges ({}{}); type more of the id",
        .candidates.join(", "), if *.count > .candidates.len() { ", …" } else { "" }
    )]
    AmbiguousId {
        prefix: String,
        count: usize,
        /// The first few matching ids, in id order.
        candidates: Vec<String>,
    },
    #[error(
        "history entry {id} could not be read back: {source}. It was damaged or written by an \
         incompatible version; other entries are unaffected"
    )]
    BadRecord {
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("exchange {id} could not be serialised for the history: {source}. This is a bug")]
    Encode {
        id: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What to do about an SQLite failure, by its kind.
fn sqlite_hint(error: &rusqlite::Error) -> &'static str {
    match error_code(error) {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "Another program held the history locked for too long; close other claudetui instances and retry"
        }
        Some(ErrorCode::DiskFull) => "The disk is full; free some space and retry",
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            "The file is damaged: quit claudetui, move the file (with its -wal and -shm) elsewhere, and start again for a new, empty history"
        }
        _ => "Check the data directory is writable, or pass --data-dir",
    }
}

/// The SQLite result code, also for errors that point into the SQL.
fn error_code(error: &rusqlite::Error) -> Option<ErrorCode> {
    match error {
        rusqlite::Error::SqlInputError { error, .. } => Some(error.code),
        other => other.sqlite_error_code(),
    }
}

/// What happened when a store could not be used as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the old file is now (its `-wal`/`-shm` files, if any, sit next
    /// to it with the same suffixes, so SQLite still reads it whole).
    pub moved_to: PathBuf,
    /// Why, as a clause: "the file is not a SQLite database (…)".
    pub reason: String,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The history could not be opened because {}. The old file was moved aside to {} \
             (nothing was deleted) and a new, empty history was started.",
            self.reason,
            self.moved_to.display()
        )
    }
}

/// Filters for listing; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// At most this many rows; all when `None`.
    pub limit: Option<usize>,
    pub offset: usize,
    /// Case-insensitive substring of the path, model, outcome, profile,
    /// request id, exchange id or client.
    pub text: Option<String>,
    /// An outcome slug (`ok`, `rate-limited`, …), exactly.
    pub outcome: Option<String>,
    pub status: Option<u16>,
    /// A model id, exactly.
    pub model: Option<String>,
    /// Only exchanges claudetui sent, or only tapped ones.
    pub source: Option<Source>,
    /// Case-insensitive substring of the client's label (`claude-cli`,
    /// `Anthropic/Python`).
    pub client: Option<String>,
    /// One client session (Claude Code's session id), exactly.
    pub session: Option<String>,
    /// Only exchanges started before this instant (the dashboard lists
    /// what the store held when the session began, at stable offsets,
    /// and keeps the session's own exchanges in memory).
    pub before: Option<DateTime<Utc>>,
}

/// A file that opened but that this program must not use as it is.
struct Unusable {
    /// `corrupt` or `newer`: the suffix of the moved-aside file.
    label: &'static str,
    reason: String,
}

enum OpenError {
    Unusable(Unusable),
    Store(StoreError),
}

impl OpenError {
    /// For a second failure, after the first file was already moved aside.
    fn into_store_error(self, path: &Path) -> StoreError {
        match self {
            OpenError::Store(error) => error,
            OpenError::Unusable(unusable) => StoreError::Unusable {
                path: path.display().to_string(),
                reason: unusable.reason,
            },
        }
    }
}

impl From<StoreError> for OpenError {
    fn from(error: StoreError) -> Self {
        OpenError::Store(error)
    }
}

pub struct Store {
    conn: Connection,
    /// For error messages: the file, or `:memory:`.
    name: String,
    path: Option<PathBuf>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.name).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the history at `path`. A file that is not
    /// SQLite, is damaged, or was written by a newer version is moved aside
    /// and a fresh store started; the [`Recovery`] says where it went.
    pub fn open(path: &Path) -> Result<(Store, Option<Recovery>), StoreError> {
        create_parent(path)?;
        match Store::open_file(path) {
            Ok(store) => Ok((store, None)),
            Err(OpenError::Store(error)) => Err(error),
            Err(OpenError::Unusable(unusable)) => {
                let moved_to = move_aside(path, &unusable)?;
                let store = Store::open_file(path).map_err(|e| e.into_store_error(path))?;
                let reason = unusable.reason;
                Ok((store, Some(Recovery { moved_to, reason })))
            }
        }
    }

    /// A store that lives in memory only (demo mode, tests).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            op: "opening".into(),
            source,
        })?;
        let store = Store {
            conn,
            name: ":memory:".into(),
            path: None,
        };
        store
            .prepare()
            .map_err(|e| e.into_store_error(Path::new(":memory:")))
    }

    fn open_file(path: &Path) -> Result<Store, OpenError> {
        if let Some(unusable) = foreign_header(path) {
            return Err(OpenError::Unusable(unusable));
        }
        let name = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: name.clone(),
            op: "opening".into(),
            source,
        })?;
        let store = Store {
            conn,
            name,
            path: Some(path.to_owned()),
        };
        store.prepare()
    }

    /// Settings, version check, migrations and schema check, in that order:
    /// the version is read before anything writes, so a newer file is moved
    /// aside untouched.
    fn prepare(mut self) -> Result<Store, OpenError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.open_failure("setting the busy timeout", e))?;
        let version =
            schema::user_version(&self.conn).map_err(|e| self.open_failure("reading", e))?;
        if version > schema::LATEST_VERSION {
            return Err(OpenError::Unusable(Unusable {
                label: "newer",
                reason: format!(
                    "it was written by a newer version of claudetui (schema version {version}; \
                     this version understands up to {}), so open it with that version",
                    schema::LATEST_VERSION
                ),
            }));
        }
        self.set_pragmas()?;
        schema::migrate(&mut self.conn, schema::MIGRATIONS)
            .map_err(|e| self.open_failure("upgrading the schema", e))?;
        for probe in schema::schema_probes() {
            self.conn
                .prepare_cached(&probe)
                .map_err(|e| self.open_failure("checking the schema", e))?;
        }
        Ok(self)
    }

    /// WAL lets one writer and many readers work at once; NORMAL sync in WAL
    /// can lose the last commits on power loss but never corrupts.
    fn set_pragmas(&self) -> Result<(), OpenError> {
        self.conn.set_prepared_statement_cache_capacity(64);
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(|e| self.open_failure("switching to WAL", e))?;
        self.conn
            .execute_batch(
                "PRAGMA synchronous = NORMAL;
                 PRAGMA journal_size_limit = 67108864;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA mmap_size = 268435456;",
            )
            .map_err(|e| self.open_failure("setting pragmas", e))
    }

    /// Sorts an open failure into "this file is unusable" (move it aside)
    /// and everything else (report it; the file may be fine).
    fn open_failure(&self, op: &str, source: rusqlite::Error) -> OpenError {
        let message = source.to_string();
        let unusable = |reason: String| {
            OpenError::Unusable(Unusable {
                label: "corrupt",
                reason,
            })
        };
        match error_code(&source) {
            Some(ErrorCode::NotADatabase) => unusable(format!(
                "the file is not a SQLite database (SQLite: {message})"
            )),
            Some(ErrorCode::DatabaseCorrupt) => {
                unusable(format!("the database is damaged (SQLite: {message})"))
            }
            Some(ErrorCode::Unknown) if op.ends_with("the schema") => unusable(format!(
                "its tables are not the ones claudetui expects (SQLite: {message})"
            )),
            _ => OpenError::Store(self.error(op, source)),
        }
    }

    fn error(&self, op: impl Into<String>, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.name.clone(),
            op: op.into(),
            source,
        }
    }

    /// The file this store lives in; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Records one exchange, masking any secret it still carries. An
    /// exchange with the same id is replaced.
    pub fn insert(&self, exchange: &Exchange) -> Result<(), StoreError> {
        insert_with(&self.conn, exchange).map_err(|e| e.into_store_error(&self.name, exchange))
    }

    /// [`Store::insert`] for an exchange the caller gives up: masked in
    /// place instead of copied.
    pub fn insert_owned(&self, mut exchange: Exchange) -> Result<(), StoreError> {
        redact(&mut exchange);
        insert_clean(&self.conn, &exchange).map_err(|e| e.into_store_error(&self.name, &exchange))
    }

    /// [`Store::insert_many`] masking the exchanges in place instead of
    /// copying them; all or none.
    pub fn insert_many_in_place(&mut self, exchanges: &mut [Exchange]) -> Result<(), StoreError> {
        let name = self.name.clone();
        let failed = |op: String, source| StoreError::Sqlite {
            path: name.clone(),
            op,
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| failed("starting a transaction".into(), e))?;
        for exchange in exchanges.iter_mut() {
            redact(exchange);
            insert_clean(&tx, exchange).map_err(|e| e.into_store_error(&name, exchange))?;
        }
        tx.commit()
            .map_err(|e| failed(format!("committing {} exchanges", exchanges.len()), e))
    }

    /// Records many exchanges in one transaction: all or none.
    pub fn insert_many(&mut self, exchanges: &[Exchange]) -> Result<(), StoreError> {
        let name = &self.name;
        let failed = |op: String, source| StoreError::Sqlite {
            path: name.clone(),
            op,
            source,
        };
        // Take the write lock up front so waiting for another writer goes
        // through the busy timeout rather than failing mid-transaction.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| failed("starting a transaction".into(), e))?;
        for exchange in exchanges {
            insert_with(&tx, exchange).map_err(|e| e.into_store_error(name, exchange))?;
        }
        tx.commit()
            .map_err(|e| failed(format!("committing {} exchanges", exchanges.len()), e))
    }

    /// Summaries, newest first, without reading any exchange's body.
    /// `started_at` comes back to the millisecond.
    pub fn list(&self, query: &ListQuery) -> Result<Vec<ExchangeSummary>, StoreError> {
        let (filter, mut values) = where_clause(query);
        // Sizing the result up front saves copying a growing 100k-row Vec;
        // with a filter the count would cost as much as the listing.
        let capacity = match query.limit {
            Some(limit) => limit.min(10_000),
            None if filter.is_empty() => self.count(query)?.saturating_sub(query.offset),
            None => 0,
        };
        push_page(&mut values, query);
        let sql = format!(
            "SELECT {} FROM exchanges{filter} {} LIMIT ? OFFSET ?",
            schema::SUMMARY_COLUMNS,
            schema::NEWEST_FIRST
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.error("listing", e))?;
        let rows = stmt
            .query_map(params_from_iter(values), summary_from_row)
            .map_err(|e| self.error("listing", e))?;
        let mut out = Vec::with_capacity(capacity);
        for row in rows {
            out.push(row.map_err(|e| self.error("reading a listed row", e))?);
        }
        Ok(out)
    }

    /// How many exchanges match (ignoring `limit` and `offset`).
    pub fn count(&self, query: &ListQuery) -> Result<usize, StoreError> {
        let (filter, values) = where_clause(query);
        let sql = format!("SELECT count(*) FROM exchanges{filter}");
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.error("counting", e))?;
        let count: i64 = stmt
            .query_row(params_from_iter(values), |row| row.get(0))
            .map_err(|e| self.error("counting", e))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Whole exchanges matching `query`, newest first (for export).
    pub fn load(&self, query: &ListQuery) -> Result<Vec<Exchange>, StoreError> {
        let (filter, mut values) = where_clause(query);
        push_page(&mut values, query);
        let sql = format!(
            "SELECT id, exchange FROM exchanges{filter} {} LIMIT ? OFFSET ?",
            schema::NEWEST_FIRST
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| self.error("loading", e))?;
        let mut rows = stmt
            .query(params_from_iter(values))
            .map_err(|e| self.error("loading", e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.error("loading", e))? {
            let id: String = row.get(0).map_err(|e| self.error("loading", e))?;
            let json: String = row.get(1).map_err(|e| self.error("loading", e))?;
            out.push(decode(&id, &json)?);
        }
        Ok(out)
    }

    /// The exchange with this id, or the only one whose id starts with it.
    /// A prefix shared by several is [`StoreError::AmbiguousId`].
    pub fn get(&self, id: &str) -> Result<Option<Exchange>, StoreError> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(exchange) = self.get_exact(id)? {
            return Ok(Some(exchange));
        }
        let candidates = self.ids_with_prefix(id, AMBIGUOUS_SHOWN)?;
        match candidates.as_slice() {
            [] => Ok(None),
            [only] => self.get_exact(only),
            _ => Err(StoreError::AmbiguousId {
                prefix: id.to_owned(),
                count: self.count_with_prefix(id)?,
                candidates,
            }),
        }
    }

    fn get_exact(&self, id: &str) -> Result<Option<Exchange>, StoreError> {
        let op = || format!("reading {id}");
        let mut stmt = self
            .conn
            .prepare_cached(schema::GET_EXACT)
            .map_err(|e| self.error(op(), e))?;
        let mut rows = stmt.query([id]).map_err(|e| self.error(op(), e))?;
        match rows.next().map_err(|e| self.error(op(), e))? {
            Some(row) => {
                let json: String = row.get(0).map_err(|e| self.error(op(), e))?;
                decode(id, &json).map(Some)
            }
            None => Ok(None),
        }
    }

    fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let op = || format!("looking up ids starting with {prefix}");
        let mut stmt = self
            .conn
            .prepare_cached(schema::IDS_IN_RANGE)
            .map_err(|e| self.error(op(), e))?;
        let upper = prefix_upper_bound(prefix);
        let rows = stmt
            .query_map(params![prefix, upper, limit as i64], |row| row.get(0))
            .map_err(|e| self.error(op(), e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| self.error(op(), e))
    }

    fn count_with_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let op = || format!("counting ids starting with {prefix}");
        let mut stmt = self
            .conn
            .prepare_cached(schema::COUNT_IN_RANGE)
            .map_err(|e| self.error(op(), e))?;
        let count: i64 = stmt
            .query_row(params![prefix, prefix_upper_bound(prefix)], |row| {
                row.get(0)
            })
            .map_err(|e| self.error(op(), e))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// The turn before `exchange`: among the latest exchanges of its
    /// client session (Claude Code's session id), else of the same client,
    /// else of all, the one whose conversation it continues (see
    /// [`crate::exchange::diff::previous_turn`]). `None` for the first.
    pub fn previous_turn(&self, exchange: &Exchange) -> Result<Option<Exchange>, StoreError> {
        let summary = exchange.summary();
        let before = ListQuery {
            limit: Some(TURNS_WEIGHED),
            before: Some(exchange.started_at),
            ..ListQuery::default()
        };
        let narrowed = [
            summary.session.as_ref().map(|s| ListQuery {
                session: Some(s.to_string()),
                ..before.clone()
            }),
            summary.client.as_ref().map(|c| ListQuery {
                client: Some(c.to_string()),
                source: Some(summary.source),
                ..before.clone()
            }),
            Some(before.clone()),
        ];
        for query in narrowed.into_iter().flatten() {
            let earlier = self.load(&query)?;
            if let Some(found) = crate::exchange::diff::previous_turn(exchange, &earlier) {
                return Ok(Some(found.clone()));
            }
        }
        Ok(None)
    }

    /// Reads through SQLite's small page cache instead of mapping the file.
    /// A long-running reader (the dashboard) would otherwise keep every page
    /// a count or a scroll touched resident: 130 MB for 100k exchanges.
    pub fn without_mmap(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "mmap_size", 0)
            .map_err(|e| self.error("turning off memory mapping", e))
    }

    /// Folds the write-ahead log into the main file and empties it; call it
    /// before copying the file or to reclaim the log's space.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.error("checkpointing", e))
    }
}

enum InsertError {
    Encode(serde_json::Error),
    Sqlite(rusqlite::Error),
}

impl InsertError {
    fn into_store_error(self, store_name: &str, exchange: &Exchange) -> StoreError {
        match self {
            InsertError::Encode(source) => StoreError::Encode {
                id: exchange.id.to_string(),
                source,
            },
            InsertError::Sqlite(source) => StoreError::Sqlite {
                path: store_name.to_owned(),
                op: format!("inserting {}", exchange.id),
                source,
            },
        }
    }
}

fn insert_with(conn: &Connection, exchange: &Exchange) -> Result<(), InsertError> {
    insert_clean(conn, &redacted(exchange))
}

/// Writes an exchange already passed through [`redact`].
fn insert_clean(conn: &Connection, clean: &Exchange) -> Result<(), InsertError> {
    let json = serde_json::to_string(clean).map_err(InsertError::Encode)?;
    // A second pass over the whole record catches a key in a place the
    // field-by-field pass does not know about (a message, an error text).
    let json = redact_text(&json);
    let summary = clean.summary();
    let mut stmt = conn
        .prepare_cached(schema::INSERT)
        .map_err(InsertError::Sqlite)?;
    stmt.execute(params![
        summary.id.as_str(),
        summary.started_at.timestamp_millis(),
        summary.profile.as_str(),
        summary.method.as_str(),
        summary.path.as_str(),
        summary.model.as_deref(),
        summary.stream,
        summary.status,
        summary.outcome.as_str(),
        summary.total_ms,
        summary.input_tokens.map(to_i64),
        summary.output_tokens.map(to_i64),
        clean.request_id(),
        i64::from(clean.attempt),
        clean.retry_of.as_ref().map(ExchangeId::as_str),
        summary.source.slug(),
        summary.client.as_deref(),
        summary.session.as_deref(),
        json.as_ref(),
    ])
    .map_err(InsertError::Sqlite)?;
    Ok(())
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The exchange with every header masked and every key-looking string in
/// URLs, bodies, events and error texts masked. The engine already does
/// this; the store does it again so it can never be where a key leaks.
pub fn redacted(exchange: &Exchange) -> Exchange {
    let mut clean = exchange.clone();
    redact(&mut clean);
    clean
}

/// [`redacted`] in place, for an exchange the caller gives up: a large
/// one is not copied on its way to disk.
pub fn redact(clean: &mut Exchange) {
    let text = |s: &mut String| {
        if let Cow::Owned(masked) = redact_text(s) {
            *s = masked;
        }
    };
    text(&mut clean.profile);
    text(&mut clean.request.url);
    text(&mut clean.request.body);
    clean.request.headers = redact_headers(&clean.request.headers);
    if let Some(response) = &mut clean.response {
        response.headers = redact_headers(&response.headers);
        text(&mut response.body);
        for event in &mut response.events {
            text(&mut event.data);
        }
    }
    if let Outcome::Failed(failure) = &mut clean.outcome {
        text(&mut failure.message);
        if let Some(request_id) = &mut failure.request_id {
            text(request_id);
        }
    }
}

fn decode(id: &str, json: &str) -> Result<Exchange, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::BadRecord {
        id: id.to_owned(),
        source,
    })
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<ExchangeSummary> {
    let started_ms: i64 = row.get(1)?;
    Ok(ExchangeSummary {
        id: ExchangeId(text(row, 0)?),
        started_at: DateTime::<Utc>::from_timestamp_millis(started_ms).unwrap_or_default(),
        profile: text(row, 2)?,
        method: text(row, 3)?,
        path: text(row, 4)?,
        model: optional_text(row, 5)?,
        stream: row.get(6)?,
        status: row.get(7)?,
        outcome: text(row, 8)?,
        total_ms: row.get(9)?,
        input_tokens: row.get::<_, Option<i64>>(10)?.map(to_u64),
        output_tokens: row.get::<_, Option<i64>>(11)?.map(to_u64),
        attempt: u32::try_from(row.get::<_, i64>(12)?).unwrap_or(1),
        // A value a newer version wrote is shown as claudetui's own rather
        // than failing the whole listing.
        source: Source::from_slug(row.get_ref(13)?.as_str()?).unwrap_or_default(),
        client: optional_text(row, 14)?,
        session: optional_text(row, 15)?,
    })
}

/// A text column read straight into an inline string (no allocation for
/// the short values a summary holds).
fn text(row: &Row<'_>, index: usize) -> rusqlite::Result<CompactString> {
    Ok(CompactString::new(row.get_ref(index)?.as_str()?))
}

fn optional_text(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<CompactString>> {
    Ok(row
        .get_ref(index)?
        .as_str_or_null()?
        .map(CompactString::new))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The `WHERE` clause for a query's filters and its parameters. The clause
/// text depends only on which filters are set, so the statement cache holds
/// at most one statement per combination.
fn where_clause(query: &ListQuery) -> (String, Vec<Value>) {
    let mut clause = String::new();
    let mut values = Vec::new();
    // `?N` in a condition stands for the parameter pushed with it.
    let mut add = |condition: &str, value: Value| {
        values.push(value);
        clause.push_str(if clause.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        clause.push_str(&condition.replace("?N", &format!("?{}", values.len())));
    };
    if let Some(outcome) = &query.outcome {
        add("outcome = ?N", Value::Text(outcome.clone()));
    }
    if let Some(status) = query.status {
        add("status = ?N", Value::Integer(i64::from(status)));
    }
    if let Some(model) = &query.model {
        add("model = ?N", Value::Text(model.clone()));
    }
    if let Some(source) = query.source {
        add("source = ?N", Value::Text(source.slug().into()));
    }
    if let Some(client) = query.client.as_deref().filter(|c| !c.is_empty()) {
        add(
            "client LIKE ?N ESCAPE '\\'",
            Value::Text(like_pattern(client)),
        );
    }
    if let Some(session) = &query.session {
        add("session = ?N", Value::Text(session.clone()));
    }
    if let Some(before) = query.before {
        add("started_at < ?N", Value::Integer(before.timestamp_millis()));
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
        add(
            "(path LIKE ?N ESCAPE '\\' OR model LIKE ?N ESCAPE '\\' \
             OR outcome LIKE ?N ESCAPE '\\' OR profile LIKE ?N ESCAPE '\\' \
             OR request_id LIKE ?N ESCAPE '\\' OR id LIKE ?N ESCAPE '\\' \
             OR client LIKE ?N ESCAPE '\\')",
            Value::Text(like_pattern(text)),
        );
    }
    (clause, values)
}

fn push_page(values: &mut Vec<Value>, query: &ListQuery) {
    let limit = query
        .limit
        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    values.push(Value::Integer(limit));
    values.push(Value::Integer(
        i64::try_from(query.offset).unwrap_or(i64::MAX),
    ));
}

/// `%text%` with LIKE's wildcards in `text` taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The smallest string above every string that starts with `prefix`, in
/// SQLite's byte order.
fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}{}", char::MAX)
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A non-empty file that does not start with SQLite's header is checked
/// here, before SQLite opens it: SQLite would delete a `-wal` next to it on
/// close, and that log is part of what the user may want back.
fn foreign_header(path: &Path) -> Option<Unusable> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    file.take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .ok()?;
    if head.is_empty() || head == SQLITE_MAGIC {
        return None;
    }
    Some(Unusable {
        label: "corrupt",
        reason: "the file is not a SQLite database (it does not start with the SQLite header)"
            .into(),
    })
}

fn create_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Renames the file and its `-wal`/`-shm` to `<file>.<label>-<UTC time>`
/// (with `-2`, `-3`… if that is taken). The log is moved too: left behind,
/// it would be replayed into the fresh file.
fn move_aside(path: &Path, unusable: &Unusable) -> Result<PathBuf, StoreError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = with_suffix(path, &format!(".{}-{stamp}", unusable.label));
    let mut target = base.clone();
    let mut n = 1;
    while target.exists() || with_suffix(&target, "-wal").exists() {
        n += 1;
        target = with_suffix(&base, &format!("-{n}"));
    }
    let rename = |from: PathBuf, to: PathBuf| {
        std::fs::rename(&from, &to).map_err(|source| StoreError::MoveAside {
            from,
            to,
            reason: unusable.reason.clone(),
            source,
        })
    };
    rename(path.to_owned(), target.clone())?;
    for suffix in ["-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        if from.exists() {
            rename(from, with_suffix(&target, suffix))?;
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Header;

    #[test]
    fn without_mmap_turns_mapping_off() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(&dir.path().join("h.db")).unwrap();
        let mapped = |s: &Store| -> i64 {
            s.conn
                .query_row("PRAGMA mmap_size", [], |row| row.get(0))
                .unwrap()
        };
        assert!(mapped(&store) > 0);
        store.without_mmap().unwrap();
        assert_eq!(mapped(&store), 0);
    }

    #[test]
    fn an_in_memory_store_works_and_prints_its_curl() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.path(), None);
        let ex = Exchange {
            id: ExchangeId::new(),
            started_at: Utc::now(),
            profile: "default".into(),
            request: crate::exchange::RecordedRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:8080/v1/messages".into(),
                headers: vec![
                    Header::new("content-type", "application/json"),
                    Header::new(
                        "authorization",
                        "Bearer sk-ant-oat01-abcdefghijklmnopqrstuvwxyz",
                    ),
                ],
                body: r#"{"model":"claude-haiku-4-5","stream":true,"messages":[]}"#.into(),
            },
            response: None,
            timing: crate::exchange::Timing::default(),
            usage: None,
            rate_limits: Default::default(),
            outcome: Outcome::Cancelled,
            attempt: 1,
            retry_of: None,
            source: Default::default(),
            client: None,
        };
        store.insert(&ex).unwrap();
        let back = store.get(ex.id.as_str()).unwrap().unwrap();
        assert_eq!(back.request.headers[1].value, "Bearer sk-ant-…wxyz");
        let curl = export::to_curl(&back);
        println!("{curl}");
        assert!(curl.contains("$ANTHROPIC_AUTH_TOKEN"));
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    }

    #[test]
    fn where_clause_numbers_the_text_parameter() {
        let query = ListQuery {
            status: Some(429),
            text: Some("x".into()),
            ..ListQuery::default()
        };
        let (clause, values) = where_clause(&query);
        assert!(
            clause.starts_with(" WHERE status = ?1 AND (path LIKE ?2"),
            "{clause}"
        );
        assert!(!clause.contains("?N"));
        assert_eq!(values.len(), 2);
    }

    #[test]
    fn no_filter_means_no_where() {
        let (clause, values) = where_clause(&ListQuery::default());
        assert_eq!(clause, "");
        assert!(values.is_empty());
    }

    #[test]
    fn prefix_bounds_bracket_longer_ids() {
        let upper = prefix_upper_bound("ex_01");
        assert!("ex_01ff".as_bytes() < upper.as_bytes());
        assert!("ex_02".as_bytes() > upper.as_bytes());
    }

    #[test]
    fn recovery_reads_as_a_sentence() {
        let recovery = Recovery {
            moved_to: PathBuf::from("/data/history.db.corrupt-20250101T000000Z"),
            reason: "the file is not a SQLite database".into(),
        };
        let text = recovery.to_string();
        assert!(text.starts_with("The history could not be opened because the file"));
        assert!(text.contains("/data/history.db.corrupt-20250101T000000Z"));
        assert!(text.ends_with('.'));
    }

    #[test]
    fn ambiguous_id_lists_candidates() {
        let error = StoreError::AmbiguousId {
            prefix: "ex_0".into(),
            count: 7,
            candidates: vec!["ex_01".into(), "ex_02".into()],
        };
        let text = error.to_string();
        assert!(
            text.contains("matches 7 exchanges (ex_01, ex_02, …)"),
            "{text}"
        );
        assert!(text.contains("type more of the id"));
    }
}
