//! The history schema, its migrations, and the SQL that reads and writes it.
//!
//! `PRAGMA user_version` holds how many migrations a file has had. A new
//! schema version is one more entry at the end of [`MIGRATIONS`]; entries
//! are never edited once released, because files in the field were made by
//! them.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration in order; `MIGRATIONS[n]` takes a file from version `n`
/// to version `n + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2];

/// The newest schema version this program reads and writes.
pub(crate) const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// The whole exchange is JSON in `exchange`; the columns before it are its
/// summary. The newest-first index covers every summary column (and the
/// request id, for the text filter), so listing reads the index alone and
/// never a table page: 100k rows list in about a third of the time it takes
/// through the table, for about 200 bytes more per exchange.
const V1: &str = "
CREATE TABLE exchanges (
    seq           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    started_at    INTEGER NOT NULL,
    profile       TEXT    NOT NULL,
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    model         TEXT,
    stream        INTEGER NOT NULL,
    status        INTEGER,
    outcome       TEXT    NOT NULL,
    total_ms      REAL    NOT NULL,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    request_id    TEXT,
    attempt       INTEGER NOT NULL,
    retry_of      TEXT,
    exchange      TEXT    NOT NULL
);
CREATE INDEX exchanges_newest_first ON exchanges (started_at DESC, id DESC, profile, method,
    path, model, stream, status, outcome, total_ms, input_tokens, output_tokens, request_id);
";

/// Who produced each exchange (claudetui itself or the tap) and which
/// client sent a tapped one, as columns so `history list --source tap
/// --client claude-cli` filters without reading a body; the retry
/// `attempt` joins the listed columns. The newest-first index is rebuilt
/// to cover them, so listing still reads the index alone.
const V2: &str = "
ALTER TABLE exchanges ADD COLUMN source TEXT NOT NULL DEFAULT 'claudetui';
ALTER TABLE exchanges ADD COLUMN client TEXT;
ALTER TABLE exchanges ADD COLUMN session TEXT;
DROP INDEX exchanges_newest_first;
CREATE INDEX exchanges_newest_first ON exchanges (started_at DESC, id DESC, profile, method,
    path, model, stream, status, outcome, total_ms, input_tokens, output_tokens, request_id,
    attempt, source, client, session);
";

/// The columns an [`crate::exchange::ExchangeSummary`] is read from, in the
/// order `summary_from_row` expects them.
pub(crate) const SUMMARY_COLUMNS: &str = "id, started_at, profile, method, path, model, stream, \
     status, outcome, total_ms, input_tokens, output_tokens, attempt, source, client, session";

pub(crate) const NEWEST_FIRST: &str = "ORDER BY started_at DESC, id DESC";

/// Replaces an exchange with the same id, so recording one twice (a re-import,
/// an update after a stream ends) keeps one row.
pub(crate) const INSERT: &str = "INSERT OR REPLACE INTO exchanges (id, started_at, profile, \
     method, path, model, stream, status, outcome, total_ms, input_tokens, output_tokens, \
     request_id, attempt, retry_of, source, client, session, exchange) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

pub(crate) const GET_EXACT: &str = "SELECT exchange FROM exchanges WHERE id = ?1";

/// Ids in `[?1, ?2)`: the ids that start with a prefix, using the id index.
pub(crate) const IDS_IN_RANGE: &str =
    "SELECT id FROM exchanges WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3";

pub(crate) const COUNT_IN_RANGE: &str = "SELECT count(*) FROM exchanges WHERE id >= ?1 AND id < ?2";

/// Statements whose preparation proves the tables have the columns this
/// program uses; a file that fails them is not one it can work with.
pub(crate) fn schema_probes() -> [String; 3] {
    [
        format!("SELECT {SUMMARY_COLUMNS} FROM exchanges {NEWEST_FIRST} LIMIT 0"),
        INSERT.to_owned(),
        GET_EXACT.to_owned(),
    ]
}

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the file up to `migrations.len()`, each step in the same write
/// transaction as the version bump, so a crash leaves a consistent version.
/// Two programs opening a new file at once serialise on the write lock and
/// the second finds nothing left to do.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[&str]) -> rusqlite::Result<()> {
    let target = migrations.len() as i64;
    if user_version(conn)? >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from = user_version(&tx)?;
    for (done, sql) in migrations.iter().enumerate().skip(from.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", done as i64 + 1)?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info('exchanges')")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn an_empty_database_migrates_to_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(user_version(&conn).unwrap(), 0);
        migrate(&mut conn, MIGRATIONS).unwrap();
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION);
        assert!(columns(&conn).contains(&"exchange".to_owned()));
        for probe in schema_probes() {
            conn.prepare(&probe).unwrap();
        }
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION);
    }

    #[test]
    fn a_later_migration_applies_on_top_of_an_existing_file() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        let mut next = MIGRATIONS.to_vec();
        next.push("ALTER TABLE exchanges ADD COLUMN note TEXT;");
        migrate(&mut conn, &next).unwrap();
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION + 1);
        assert!(columns(&conn).contains(&"note".to_owned()));
    }

    #[test]
    fn a_failed_migration_leaves_the_version_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        let mut next = MIGRATIONS.to_vec();
        next.push("ALTER TABLE exchanges ADD COLUMN note TEXT; THIS IS NOT SQL;");
        assert!(migrate(&mut conn, &next).is_err());
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION);
        assert!(!columns(&conn).contains(&"note".to_owned()));
    }
}
