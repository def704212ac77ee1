//! History store: appending 100k small exchanges, listing them, and the size
//! each one takes on disk.
//!
//! Run: `cargo bench --bench store`. The bytes per exchange are printed once
//! on stderr (`store: … bytes per small exchange`).

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use claudetui::api::ratelimit::RateLimitSnapshot;
use claudetui::api::types::{Header, Usage};
use claudetui::exchange::{RecordedRequest, RecordedResponse, Timing};
use claudetui::store::{ListQuery, Store};
use claudetui::{Exchange, ExchangeId, Outcome};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const COUNT: usize = 100_000;
const T0: i64 = 1_750_000_000_000;

/// A non-streaming "Hi" → "Hello!" exchange, the size most history rows are.
fn small_exchange(n: usize) -> Exchange {
    let started = T0 + n as i64 * 1_000;
    let model = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"][n % 3];
    Exchange {
        id: ExchangeId::from_text(&format!("ex_{started:011x}{n:06x}")),
        started_at: DateTime::<Utc>::from_timestamp_millis(started).unwrap_or_default(),
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
        response: Some(RecordedResponse {
            status: 200,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("content-type", "application/json"),
                Header::new("request-id", format!("req_011CRb{n:018}")),
            ],
            body: format!(
                r#"{{"id":"msg_{n:024}","type":"message","role":"assistant","content":[{{"type":"text","text":"Hello!"}}],"model":"{model}","stop_reason":"end_turn","usage":{{"input_tokens":8,"output_tokens":3}}}}"#
            ),
            events: vec![],
            message: None,
            truncated: None,
        }),
        timing: Timing {
            connect_ms: Some(35.0),
            headers_ms: Some(420.0),
            total_ms: 431.5,
            ..Timing::default()
        },
        usage: Some(Usage {
            input_tokens: 8,
            output_tokens: 3,
            ..Usage::default()
        }),
        rate_limits: RateLimitSnapshot::default(),
        outcome: Outcome::Ok,
        attempt: 1,
        retry_of: None,
        source: Default::default(),
        client: None,
    }
}

fn exchanges() -> Vec<Exchange> {
    (0..COUNT).map(small_exchange).collect()
}

fn filled_store(dir: &tempfile::TempDir, all: &[Exchange]) -> Store {
    let (mut store, _) = Store::open(&dir.path().join("history.db")).expect("open");
    store.insert_many(all).expect("insert");
    store
}

fn report_size(dir: &tempfile::TempDir, store: &Store) {
    store.checkpoint().expect("checkpoint");
    let bytes: u64 = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let json = serde_json::to_string(&small_exchange(1)).map_or(0, |j| j.len());
    eprintln!(
        "store: {COUNT} small exchanges take {bytes} bytes on disk: {} bytes per small exchange \
         ({json} bytes of it is the exchange's JSON)",
        bytes / COUNT as u64
    );
}

fn append(c: &mut Criterion) {
    let all = exchanges();
    let mut group = c.benchmark_group("store_append");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("insert_many_100k_small", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let (store, _) = Store::open(&dir.path().join("history.db")).expect("open");
                (dir, store)
            },
            |(dir, mut store)| {
                store.insert_many(&all).expect("insert");
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn list(c: &mut Criterion) {
    let all = exchanges();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = filled_store(&dir, &all);
    drop(all);
    report_size(&dir, &store);

    let mut group = c.benchmark_group("store_list_100k");
    group.sample_size(20);
    group.bench_function("all_rows", |b| {
        b.iter(|| black_box(store.list(&ListQuery::default()).expect("list")));
    });
    // The same, not counting the time to free the 100k rows afterwards
    // (a UI frees the previous list while it keeps the new one).
    group.bench_function("all_rows_without_drop", |b| {
        b.iter_with_large_drop(|| store.list(&ListQuery::default()).expect("list"));
    });
    let page = ListQuery {
        limit: Some(200),
        ..ListQuery::default()
    };
    group.bench_function("first_page_200", |b| {
        b.iter(|| black_box(store.list(&page).expect("list")));
    });
    let deep_page = ListQuery {
        limit: Some(200),
        offset: 50_000,
        ..ListQuery::default()
    };
    group.bench_function("page_200_at_offset_50k", |b| {
        b.iter(|| black_box(store.list(&deep_page).expect("list")));
    });
    let text = ListQuery {
        text: Some("haiku".into()),
        limit: Some(200),
        ..ListQuery::default()
    };
    group.bench_function("text_filter_page_200", |b| {
        b.iter(|| black_box(store.list(&text).expect("list")));
    });
    group.bench_function("count_all", |b| {
        b.iter(|| black_box(store.count(&ListQuery::default()).expect("count")));
    });
    let id = small_exchange(COUNT / 2).id.0;
    let prefix = &id[..id.len() - 2];
    group.bench_function("get_by_prefix", |b| {
        b.iter(|| black_box(store.get(prefix).expect("get")));
    });
    group.finish();
}

fn reopen(c: &mut Criterion) {
    let all = exchanges();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.db");
    drop(filled_store(&dir, &all));
    c.bench_function("store_open_100k", |b| {
        b.iter(|| black_box(Store::open(&path).expect("open")));
    });
}

criterion_group!(benches, append, list, reopen);
criterion_main!(benches);
