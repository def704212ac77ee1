//! The history store against real files: round trips, listing, recovery of
//! unusable files, concurrent reader and writer, and a byte scan proving no
//! key reaches disk. Also the curl and HAR exports.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use claudetui::api::errors::{Failure, FailureKind};
use claudetui::api::ratelimit::RateLimitSnapshot;
use claudetui::api::types::{Header, Usage};
use claudetui::exchange::{RecordedEvent, RecordedRequest, RecordedResponse, Timing};
use claudetui::store::export::{to_curl, to_har};
use claudetui::store::redact::redact_headers;
use claudetui::store::{ListQuery, Store, StoreError};
use claudetui::{Exchange, ExchangeId, Outcome};
use rusqlite::Connection;

const KEY: &str = "sk-ant-api03-Zq7TestKeyNeverOnDisk-9f8e7d6c5b4a3928171605f4e3d2c1b0a9-XyZw";
const T0: i64 = 1_750_000_000_000;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn exchange(id: &str, started_ms: i64, model: &str, status: Option<u16>) -> Exchange {
    let outcome = match status {
        Some(200) => Outcome::Ok,
        Some(429) => Outcome::Failed(Failure {
            status: Some(429),
            request_id: Some(format!("req_{id}")),
            ..Failure::transport(FailureKind::RateLimited, "rate limited")
        }),
        Some(_) => Outcome::Failed(Failure {
            status,
            ..Failure::transport(FailureKind::ServerError, "boom")
        }),
        None => Outcome::Failed(Failure::transport(
            FailureKind::ConnectionRefused,
            "connection refused",
        )),
    };
    Exchange {
        id: ExchangeId::from_text(id),
        started_at: at(started_ms),
        profile: "default".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "https://api.anthropic.com/v1/messages".into(),
            headers: vec![
                Header::new("x-api-key", "sk-ant-…a1b2"),
                Header::new("anthropic-version", "2023-06-01"),
                Header::new("content-type", "application/json"),
            ],
            body: format!(
                r#"{{"model":"{model}","max_tokens":64,"messages":[{{"role":"user","content":"Hi"}}]}}"#
            ),
        },
        response: status.map(|status| RecordedResponse {
            status,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("content-type", "application/json"),
                Header::new("request-id", format!("req_{id}")),
            ],
            body: r#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"m","stop_reason":"end_turn","usage":{"input_tokens":8,"output_tokens":3}}"#.into(),
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            connect_ms: Some(12.0),
            headers_ms: Some(80.0),
            total_ms: 95.5,
            ..Timing::default()
        },
        usage: status.map(|_| Usage {
            input_tokens: 8,
            output_tokens: 3,
            ..Usage::default()
        }),
        rate_limits: RateLimitSnapshot::default(),
        outcome,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

/// An exchange carrying the full key everywhere a careless engine might
/// leave it.
fn leaky_exchange(id: &str, started_ms: i64) -> Exchange {
    let mut ex = exchange(id, started_ms, "claude-sonnet-4-5", Some(200));
    ex.request.url = format!("https://api.anthropic.com/v1/messages?key={KEY}");
    ex.request.headers = vec![
        Header::new("x-api-key", KEY),
        Header::new("Authorization", format!("Bearer {KEY}")),
        Header::new("x-debug", format!("copied {KEY} here")),
        Header::new("content-type", "application/json"),
    ];
    ex.request.body = format!(
        r#"{{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{{"role":"user","content":"my key is {KEY}"}}]}}"#
    );
    let response = ex.response.as_mut().unwrap();
    response.headers.push(Header::new("x-echo", KEY));
    response.body = format!("event: message_start\ndata: {{\"echo\":\"{KEY}\"}}\n\n");
    response.events = vec![RecordedEvent {
        at_ms: 10.0,
        event: "message_start".into(),
        data: format!("{{\"echo\":\"{KEY}\"}}"),
    }];
    ex
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let (store, recovery) = Store::open(&dir.path().join("history.db")).unwrap();
    assert!(recovery.is_none());
    (dir, store)
}

fn ids(summaries: &[claudetui::ExchangeSummary]) -> Vec<&str> {
    summaries.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn insert_then_get_returns_the_exchange_with_masked_headers() {
    let (_dir, store) = temp_store();
    let mut ex = exchange("ex_a1", T0, "claude-sonnet-4-5", Some(200));
    ex.request
        .headers
        .push(Header::new("authorization", format!("Bearer {KEY}")));
    store.insert(&ex).unwrap();

    let got = store.get("ex_a1").unwrap().expect("stored");
    let mut expected = ex.clone();
    expected.request.headers = redact_headers(&ex.request.headers);
    assert_eq!(got, expected);
    assert_eq!(
        got.request.headers[3].value, "Bearer sk-ant-…XyZw",
        "the scheme stays, the key is masked"
    );
    assert_eq!(
        store.list(&ListQuery::default()).unwrap(),
        vec![ex.summary()]
    );
}

#[test]
fn inserting_the_same_id_twice_keeps_one_row() {
    let (_dir, store) = temp_store();
    let mut ex = exchange("ex_same", T0, "m", Some(200));
    store.insert(&ex).unwrap();
    ex.timing.total_ms = 999.0;
    store.insert(&ex).unwrap();
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 1);
    assert_eq!(
        store.get("ex_same").unwrap().unwrap().timing.total_ms,
        999.0
    );
}

fn filled_store() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = temp_store();
    let mut retry = exchange("ex_05", T0 + 5, "claude-haiku-4-5", Some(200));
    retry.profile = "work".into();
    retry.attempt = 2;
    retry.retry_of = Some(ExchangeId::from_text("ex_04"));
    store
        .insert_many(&[
            exchange("ex_01", T0 + 1, "claude-sonnet-4-5", Some(200)),
            exchange("ex_03", T0 + 3, "claude-opus-4-1", Some(500)),
            exchange("ex_02", T0 + 2, "claude-sonnet-4-5", Some(429)),
            exchange("ex_04", T0 + 4, "claude-sonnet-4-5", None),
            retry,
            // Same start as ex_01: the id breaks the tie.
            exchange("ex_00", T0 + 1, "claude-sonnet-4-5_x", Some(200)),
        ])
        .unwrap();
    (dir, store)
}

#[test]
fn list_is_newest_first_with_ties_broken_by_id() {
    let (_dir, store) = filled_store();
    let all = store.list(&ListQuery::default()).unwrap();
    assert_eq!(
        ids(&all),
        ["ex_05", "ex_04", "ex_03", "ex_02", "ex_01", "ex_00"]
    );
    assert_eq!(all[1].status, None);
    assert_eq!(all[1].outcome, "refused");
    assert_eq!(all[0].profile, "work");
    assert_eq!(all[0].input_tokens, Some(8));
}

#[test]
fn every_filter_narrows_the_list() {
    let (_dir, store) = filled_store();
    let cases: Vec<(ListQuery, Vec<&str>)> = vec![
        (
            ListQuery {
                outcome: Some("rate-limited".into()),
                ..ListQuery::default()
            },
            vec!["ex_02"],
        ),
        (
            ListQuery {
                status: Some(500),
                ..ListQuery::default()
            },
            vec!["ex_03"],
        ),
        (
            ListQuery {
                model: Some("claude-sonnet-4-5".into()),
                ..ListQuery::default()
            },
            vec!["ex_04", "ex_02", "ex_01"],
        ),
        // Text: model substring, case-insensitive.
        (
            ListQuery {
                text: Some("OPUS".into()),
                ..ListQuery::default()
            },
            vec!["ex_03"],
        ),
        // Text: `_` is literal, not LIKE's any-character.
        (
            ListQuery {
                text: Some("4-5_".into()),
                ..ListQuery::default()
            },
            vec!["ex_00"],
        ),
        // Before: strictly earlier starts only.
        (
            ListQuery {
                before: Some(at(T0 + 3)),
                ..ListQuery::default()
            },
            vec!["ex_02", "ex_01", "ex_00"],
        ),
        // Text: request id (from the failure or the response header).
        (
            ListQuery {
                text: Some("req_ex_02".into()),
                ..ListQuery::default()
            },
            vec!["ex_02"],
        ),
        // Text: outcome, profile, id, path.
        (
            ListQuery {
                text: Some("refused".into()),
                ..ListQuery::default()
            },
            vec!["ex_04"],
        ),
        (
            ListQuery {
                text: Some("work".into()),
                ..ListQuery::default()
            },
            vec!["ex_05"],
        ),
        (
            ListQuery {
                text: Some("ex_03".into()),
                ..ListQuery::default()
            },
            vec!["ex_03"],
        ),
        (
            ListQuery {
                text: Some("/v1/messages".into()),
                limit: Some(2),
                ..ListQuery::default()
            },
            vec!["ex_05", "ex_04"],
        ),
        // Filters combine.
        (
            ListQuery {
                model: Some("claude-sonnet-4-5".into()),
                status: Some(200),
                ..ListQuery::default()
            },
            vec!["ex_01"],
        ),
        // Paging.
        (
            ListQuery {
                limit: Some(2),
                offset: 1,
                ..ListQuery::default()
            },
            vec!["ex_04", "ex_03"],
        ),
        (
            ListQuery {
                offset: 5,
                ..ListQuery::default()
            },
            vec!["ex_00"],
        ),
        (
            ListQuery {
                outcome: Some("nothing-like-this".into()),
                ..ListQuery::default()
            },
            vec![],
        ),
    ];
    for (query, expected) in cases {
        let listed = store.list(&query).unwrap();
        assert_eq!(ids(&listed), expected, "{query:?}");
        let unpaged = ListQuery {
            limit: None,
            offset: 0,
            ..query.clone()
        };
        assert_eq!(
            store.count(&query).unwrap(),
            store.list(&unpaged).unwrap().len(),
            "count ignores paging: {query:?}"
        );
    }
}

fn tapped(id: &str, started_ms: i64, agent: &str, session: &str) -> Exchange {
    let mut ex = exchange(id, started_ms, "claude-sonnet-4-6", Some(200));
    ex.source = claudetui::exchange::Source::Tap;
    ex.client = Some(claudetui::exchange::Client {
        user_agent: Some(agent.into()),
        app: Some("cli".into()),
        session: Some(session.into()),
    });
    ex
}

#[test]
fn source_client_session_and_attempt_are_listed_and_filtered() {
    let (_dir, mut store) = filled_store();
    store
        .insert_many(&[
            tapped(
                "ex_11",
                T0 + 11,
                "claude-cli/2.1.197 (external, cli)",
                "s-1",
            ),
            tapped("ex_12", T0 + 12, "Anthropic/Python 2.13.0", "s-2"),
        ])
        .unwrap();
    let all = store.list(&ListQuery::default()).unwrap();
    let first = &all[0];
    assert_eq!(first.source, claudetui::exchange::Source::Tap);
    assert_eq!(first.client.as_deref(), Some("Anthropic/Python 2.13.0"));
    assert_eq!(first.session.as_deref(), Some("s-2"));
    let retry = all.iter().find(|s| s.id.as_str() == "ex_05").unwrap();
    assert_eq!(retry.attempt, 2, "the attempt survives a reload");
    let by = |query: ListQuery| ids(&store.list(&query).unwrap()).join(",");
    assert_eq!(
        by(ListQuery {
            source: Some(claudetui::exchange::Source::Tap),
            ..ListQuery::default()
        }),
        "ex_12,ex_11"
    );
    assert_eq!(
        store
            .count(&ListQuery {
                source: Some(claudetui::exchange::Source::Claudetui),
                ..ListQuery::default()
            })
            .unwrap(),
        6
    );
    assert_eq!(
        by(ListQuery {
            client: Some("CLAUDE-cli".into()),
            ..ListQuery::default()
        }),
        "ex_11"
    );
    assert_eq!(
        by(ListQuery {
            session: Some("s-2".into()),
            ..ListQuery::default()
        }),
        "ex_12"
    );
    assert_eq!(
        by(ListQuery {
            text: Some("python".into()),
            ..ListQuery::default()
        }),
        "ex_12"
    );
}

/// The first released schema, as files in the field have it.
const SCHEMA_V1: &str = "
CREATE TABLE exchanges (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, started_at INTEGER NOT NULL,
    profile TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, model TEXT,
    stream INTEGER NOT NULL, status INTEGER, outcome TEXT NOT NULL, total_ms REAL NOT NULL,
    input_tokens INTEGER, output_tokens INTEGER, request_id TEXT, attempt INTEGER NOT NULL,
    retry_of TEXT, exchange TEXT NOT NULL
);
CREATE INDEX exchanges_newest_first ON exchanges (started_at DESC, id DESC, profile, method,
    path, model, stream, status, outcome, total_ms, input_tokens, output_tokens, request_id);
PRAGMA user_version = 1;
";

#[test]
fn a_version_1_history_keeps_its_rows_as_claudetuis_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let old = exchange("ex_old", T0, "claude-sonnet-4-5", Some(200));
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        let mut json = serde_json::to_value(&old).unwrap();
        // What version 1 wrote had no source or client.
        json.as_object_mut().unwrap().remove("source");
        conn.execute(
            "INSERT INTO exchanges (id, started_at, profile, method, path, model, stream, status, \
             outcome, total_ms, input_tokens, output_tokens, request_id, attempt, retry_of, exchange) \
             VALUES ('ex_old', ?1, 'default', 'POST', '/v1/messages', 'claude-sonnet-4-5', 0, 200, \
             'ok', 95.5, 8, 3, NULL, 3, NULL, ?2)",
            rusqlite::params![T0, json.to_string()],
        )
        .unwrap();
    }
    let (store, recovery) = Store::open(&path).unwrap();
    assert!(recovery.is_none());
    assert_eq!(user_version(&path), 2);
    let listed = store.list(&ListQuery::default()).unwrap();
    assert_eq!(ids(&listed), ["ex_old"]);
    assert_eq!(listed[0].source, claudetui::exchange::Source::Claudetui);
    assert_eq!(listed[0].attempt, 3);
    assert_eq!(listed[0].client, None);
    let back = store.get("ex_old").unwrap().unwrap();
    assert_eq!(back.source, claudetui::exchange::Source::Claudetui);
}

#[test]
fn load_returns_whole_exchanges_in_list_order() {
    let (_dir, store) = filled_store();
    let query = ListQuery {
        model: Some("claude-sonnet-4-5".into()),
        ..ListQuery::default()
    };
    let loaded = store.load(&query).unwrap();
    let loaded_ids: Vec<&str> = loaded.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(loaded_ids, ["ex_04", "ex_02", "ex_01"]);
    assert!(loaded[1].request.body.contains("max_tokens"));
}

#[test]
fn get_accepts_a_unique_prefix_and_rejects_an_ambiguous_one() {
    let (_dir, store) = filled_store();
    assert_eq!(store.get("ex_03").unwrap().unwrap().id.as_str(), "ex_03");
    store
        .insert(&exchange("ex_777abc", T0, "m", Some(200)))
        .unwrap();
    assert_eq!(store.get("ex_7").unwrap().unwrap().id.as_str(), "ex_777abc");
    assert!(store.get("ex_9").unwrap().is_none());
    assert!(store.get("").unwrap().is_none());
    match store.get("ex_0") {
        Err(StoreError::AmbiguousId {
            prefix,
            count,
            candidates,
        }) => {
            assert_eq!(prefix, "ex_0");
            assert_eq!(count, 6);
            assert_eq!(candidates, ["ex_00", "ex_01", "ex_02", "ex_03", "ex_04"]);
        }
        other => panic!("expected AmbiguousId, got {other:?}"),
    }
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn open_creates_missing_directories_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/history.db");
    let (store, recovery) = Store::open(&path).unwrap();
    assert!(recovery.is_none());
    assert_eq!(store.path(), Some(path.as_path()));
    store.insert(&exchange("ex_1", T0, "m", Some(200))).unwrap();
    let mode: String = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(user_version(&path), 2);
}

#[test]
fn an_empty_file_and_a_version_0_database_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let (store, recovery) = Store::open(&empty).unwrap();
    assert!(recovery.is_none());
    store.insert(&exchange("ex_1", T0, "m", Some(200))).unwrap();
    drop(store);
    assert_eq!(user_version(&empty), 2);

    let v0 = dir.path().join("v0.db");
    Connection::open(&v0)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('kept');")
        .unwrap();
    let (store, recovery) = Store::open(&v0).unwrap();
    assert!(recovery.is_none());
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 0);
    drop(store);
    assert_eq!(user_version(&v0), 2);
    let kept: String = Connection::open(&v0)
        .unwrap()
        .query_row("SELECT text FROM notes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(kept, "kept");
}

#[test]
fn a_garbage_file_is_moved_aside_and_a_fresh_store_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(dir.path().join("history.db-wal"), b"old log").unwrap();

    let (store, recovery) = Store::open(&path).unwrap();
    let recovery = recovery.expect("a recovery");
    let name = recovery.moved_to.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("history.db.corrupt-"), "{name}");
    assert_eq!(std::fs::read(&recovery.moved_to).unwrap(), garbage);
    let wal = format!("{}-wal", recovery.moved_to.display());
    assert_eq!(std::fs::read(wal).unwrap(), b"old log");
    assert!(
        recovery.reason.contains("not a SQLite database"),
        "{recovery}"
    );
    let message = recovery.to_string();
    assert!(message.contains(&recovery.moved_to.display().to_string()));
    assert!(message.contains("new, empty history"));

    store.insert(&exchange("ex_1", T0, "m", Some(200))).unwrap();
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 1);
}

#[test]
fn a_file_sqlite_rejects_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    // The right magic, an impossible page size.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.resize(4096, 0xff);
    std::fs::write(&path, &bytes).unwrap();
    let (_store, recovery) = Store::open(&path).unwrap();
    let recovery = recovery.expect("a recovery");
    assert!(
        recovery.reason.contains("not a SQLite database"),
        "{recovery}"
    );
    assert_eq!(std::fs::read(&recovery.moved_to).unwrap(), bytes);
}

#[test]
fn a_database_with_a_damaged_schema_page_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (mut store, _) = Store::open(&path).unwrap();
    let many: Vec<Exchange> = (0..50)
        .map(|i| exchange(&format!("ex_{i:03}"), T0 + i, "m", Some(200)))
        .collect();
    store.insert_many(&many).unwrap();
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes[100..4096].iter_mut().enumerate() {
        *b = (i * 31 + 7) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let (store, recovery) = Store::open(&path).unwrap();
    let recovery = recovery.expect("a recovery");
    assert!(
        recovery.reason.contains("damaged") || recovery.reason.contains("not a SQLite"),
        "{recovery}"
    );
    assert_eq!(std::fs::read(&recovery.moved_to).unwrap(), bytes);
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 0);
}

#[test]
fn a_database_from_a_newer_version_is_moved_aside_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
        .unwrap();
    let before = std::fs::read(&path).unwrap();

    let (store, recovery) = Store::open(&path).unwrap();
    let recovery = recovery.expect("a recovery");
    let name = recovery.moved_to.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("history.db.newer-"), "{name}");
    assert!(recovery.reason.contains("schema version 99"), "{recovery}");
    assert_eq!(std::fs::read(&recovery.moved_to).unwrap(), before);
    assert_eq!(user_version(&recovery.moved_to), 99);
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 0);
    drop(store);
    assert_eq!(user_version(&path), 2);
}

#[test]
fn a_database_with_a_foreign_exchanges_table_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE exchanges (x); PRAGMA user_version = 1;")
        .unwrap();
    let (_store, recovery) = Store::open(&path).unwrap();
    let recovery = recovery.expect("a recovery");
    assert!(recovery.reason.contains("tables"), "{recovery}");
}

#[test]
fn two_recoveries_in_the_same_second_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    std::fs::write(&path, vec![1u8; 4096]).unwrap();
    let (store, first) = Store::open(&path).unwrap();
    drop(store);
    std::fs::write(&path, vec![2u8; 4096]).unwrap();
    let (_store, second) = Store::open(&path).unwrap();
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.moved_to, second.moved_to);
    assert_eq!(std::fs::read(&first.moved_to).unwrap(), vec![1u8; 4096]);
    assert_eq!(std::fs::read(&second.moved_to).unwrap(), vec![2u8; 4096]);
}

#[test]
fn a_reader_sees_a_writer_threads_commits_while_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (reader, _) = Store::open(&path).unwrap();
    let (written_tx, written_rx) = mpsc::channel();
    // The writer is opened here and moved: a Store can live on its own thread.
    let (writer, _) = Store::open(&path).unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..200 {
            writer
                .insert(&exchange(&format!("ex_{i:04}"), T0 + i, "m", Some(200)))
                .unwrap();
            written_tx.send(i + 1).unwrap();
        }
    });
    let mut last_seen = 0;
    for written in written_rx {
        let seen = reader.count(&ListQuery::default()).unwrap() as i64;
        assert!(seen >= written, "committed {written}, reader saw {seen}");
        assert!(seen >= last_seen, "counts never go back");
        last_seen = seen;
        let page = reader
            .list(&ListQuery {
                limit: Some(10),
                ..ListQuery::default()
            })
            .unwrap();
        assert!(!page.is_empty());
    }
    writer.join().unwrap();
    assert_eq!(reader.count(&ListQuery::default()).unwrap(), 200);
    assert_eq!(
        reader.list(&ListQuery::default()).unwrap()[0].id.as_str(),
        "ex_0199"
    );
}

#[test]
fn two_writers_on_one_file_wait_for_each_other_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (mut store, _) = Store::open(&path).unwrap();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let id = format!("ex_w{w}_{i:03}");
                    store
                        .insert(&exchange(&id, T0 + i, "m", Some(200)))
                        .unwrap();
                }
                let batch: Vec<Exchange> = (0..100)
                    .map(|i| exchange(&format!("ex_w{w}_b{i:03}"), T0 + i, "m", Some(200)))
                    .collect();
                store.insert_many(&batch).unwrap();
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let (store, _) = Store::open(&path).unwrap();
    assert_eq!(store.count(&ListQuery::default()).unwrap(), 400);
}

fn assert_no_key_in_dir(dir: &Path) {
    let needles = [KEY.as_bytes(), &KEY.as_bytes()[20..60]];
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds the key",
                path.display()
            );
        }
    }
    assert!(scanned > 0, "nothing was written");
}

#[test]
fn no_key_reaches_any_file_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let (mut store, _) = Store::open(&path).unwrap();
    store.insert(&leaky_exchange("ex_leak1", T0)).unwrap();
    let mut failed = leaky_exchange("ex_leak2", T0 + 1);
    failed.outcome = Outcome::Failed(Failure {
        request_id: Some(format!("req_{KEY}")),
        ..Failure::transport(FailureKind::Authentication, format!("bad key {KEY}"))
    });
    failed.profile = format!("profile-{KEY}");
    store
        .insert_many(&[failed, leaky_exchange("ex_leak3", T0 + 2)])
        .unwrap();

    // While open: the log holds the fresh pages.
    assert!(dir.path().join("history.db-wal").exists());
    assert_no_key_in_dir(dir.path());
    let back = store.get("ex_leak2").unwrap().unwrap();
    assert!(format!("{back:?}").contains("sk-ant-…XyZw"));

    store.checkpoint().unwrap();
    assert_no_key_in_dir(dir.path());
    drop(store);
    assert_no_key_in_dir(dir.path());
}

#[test]
fn curl_export_reads_the_key_from_the_environment_and_parses_in_sh() {
    let mut ex = leaky_exchange("ex_curl", T0);
    ex.request.body = format!(
        "{{\"model\":\"claude-sonnet-4-5\",\"stream\":true,\"messages\":[{{\"role\":\"user\",\"content\":\"it's {KEY}\\nJSON\"}}]}}"
    );
    ex.request
        .headers
        .push(Header::new("content-length", "123"));
    ex.request.headers.push(Header::new("x-quote", "a'b"));
    let curl = to_curl(&ex);
    assert!(curl.starts_with("curl -sS -N 'https://api.anthropic.com/v1/messages?key="));
    assert!(
        curl.contains(r#"-H "x-api-key: $ANTHROPIC_API_KEY""#),
        "{curl}"
    );
    assert!(curl.contains(r#"-H "Authorization: Bearer $ANTHROPIC_AUTH_TOKEN""#));
    assert!(curl.contains(r"-H 'x-quote: a'\''b'"), "{curl}");
    assert!(curl.contains("--data-binary @- <<'JSON'"), "{curl}");
    assert!(!curl.contains("content-length"));
    assert!(!curl.contains(&KEY[20..60]), "{curl}");
    assert!(!curl.contains(" -X "), "POST is implied by the body");
    let credential_lines: Vec<&str> = curl
        .lines()
        .filter(|l| l.contains("x-api-key") || l.contains("Authorization"))
        .collect();
    assert!(
        credential_lines.iter().all(|l| !l.contains("sk-ant-")),
        "no masked key either: {credential_lines:?}"
    );
    assert_parses_in_sh(&curl);

    let mut get = exchange("ex_get", T0, "m", Some(200));
    get.request.method = "GET".into();
    get.request.url = "https://api.anthropic.com/v1/models".into();
    get.request.body = String::new();
    let curl = to_curl(&get);
    assert!(!curl.contains("--data"), "{curl}");
    assert!(!curl.contains(" -N"), "{curl}");
    assert_parses_in_sh(&curl);

    let mut raw = exchange("ex_raw", T0, "m", Some(200));
    raw.request.method = "PUT".into();
    raw.request.body = "not json, it's raw".into();
    let curl = to_curl(&raw);
    assert!(curl.contains("-X 'PUT'"), "{curl}");
    assert!(
        curl.contains(r"--data-binary 'not json, it'\''s raw'"),
        "{curl}"
    );
    assert_parses_in_sh(&curl);
}

fn assert_parses_in_sh(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("curl.sh");
    std::fs::write(&file, script).unwrap();
    let Ok(output) = Command::new("sh").arg("-n").arg(&file).output() else {
        return; // no sh on this system
    };
    assert!(
        output.status.success(),
        "sh -n rejected:\n{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn har_export_has_every_required_field() {
    let ok = leaky_exchange("ex_har1", T0);
    let refused = exchange("ex_har2", T0 + 1, "m", None);
    let har = to_har(&[ok, refused]);
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "claudetui");
    assert!(log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        for field in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(!entry[field].is_null(), "{field} missing in {entry}");
        }
        let request = &entry["request"];
        for field in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            assert!(!request[field].is_null(), "request.{field} missing");
        }
        let response = &entry["response"];
        for field in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        ] {
            assert!(!response[field].is_null(), "response.{field} missing");
        }
        assert!(response["content"]["size"].is_number());
        assert!(response["content"]["mimeType"].is_string());
        for field in ["send", "wait", "receive"] {
            assert!(entry["timings"][field].as_f64().unwrap() >= 0.0);
        }
        for field in ["blocked", "dns", "connect", "ssl"] {
            assert!(entry["timings"][field].is_number());
        }
    }
    let first = &entries[0];
    assert_eq!(first["startedDateTime"], "2025-06-15T15:06:40.000Z");
    assert_eq!(first["time"], 95.5);
    assert_eq!(first["request"]["postData"]["mimeType"], "application/json");
    assert_eq!(first["request"]["queryString"][0]["name"], "key");
    assert_eq!(first["response"]["status"], 200);
    assert_eq!(first["response"]["statusText"], "OK");
    assert_eq!(first["response"]["redirectURL"], "");
    assert_eq!(first["timings"]["connect"], 12.0);
    assert_eq!(first["timings"]["dns"], -1);

    let second = &entries[1];
    assert_eq!(second["response"]["status"], 0);
    assert!(
        second["response"]["_error"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
    assert!(second["request"]["postData"]["text"].is_string());

    let text = serde_json::to_string(&har).unwrap();
    assert!(!text.contains(&KEY[20..60]), "HAR holds the key");
}
