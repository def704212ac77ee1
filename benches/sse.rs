//! SSE throughput: parse, typed parse and assembly of a ~10 MB Messages
//! stream fed in 1–16 KB chunks, as reqwest hands them out.
//!
//! Run: `cargo bench --bench sse`. Target: ≥ 500 MB/s for the full path.
use claudetui::api::sse::{MessageAssembler, SseParser, StreamEvent, encode_event};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

const TARGET_BYTES: usize = 10 * 1024 * 1024;

/// xorshift64*: a fixed, dependency-free sequence so every run sees the same stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "the",
    "model",
    "returns",
    "a",
    "stream",
    "of",
    "events",
    "and",
    "each",
    "delta",
    "carries",
    "text",
    "héllo",
    "naïve",
    "café",
    "世界",
    "こんにちは",
    "🎉",
    "Zürich",
    "résumé",
    "fn",
    "main()",
    "{",
    "}",
    "\"quoted\"",
    "line\n",
    "tab\t",
    "path\\to",
    "rate-limit",
    "tokens",
    "headroom",
];

fn text_piece(rng: &mut Rng) -> String {
    // Real text deltas run from one token to a few dozen characters.
    let words = 1 + rng.below(12);
    let mut piece = String::new();
    for _ in 0..words {
        piece.push_str(WORDS[rng.below(WORDS.len())]);
        piece.push(' ');
    }
    piece
}

fn delta_event(index: usize, kind: &str, field: &str, value: &str) -> String {
    let data = json!({"type": "content_block_delta", "index": index,
                      "delta": {"type": kind, field: value}});
    encode_event("content_block_delta", &data.to_string())
}

fn block_event(name: &str, index: usize, block: serde_json::Value) -> String {
    let data = if name == "content_block_start" {
        json!({"type": name, "index": index, "content_block": block})
    } else {
        json!({"type": name, "index": index})
    };
    encode_event(name, &data.to_string())
}

fn ping() -> String {
    encode_event("ping", r#"{"type": "ping"}"#)
}

/// Text blocks of many deltas, now and then a tool_use block with its
/// input streamed as JSON pieces, pings sprinkled in.
fn realistic_stream() -> Vec<u8> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let start = json!({"type": "message_start", "message": {
        "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": 1200, "output_tokens": 1}}});
    let mut out = encode_event("message_start", &start.to_string());
    out.push_str(&ping());
    let mut index = 0;
    while out.len() < TARGET_BYTES {
        if rng.below(10) == 0 {
            let tool = json!({"type": "tool_use", "id": format!("toolu_{index}"),
                              "name": "get_weather", "input": {}});
            out.push_str(&block_event("content_block_start", index, tool));
            let input = json!({"location": text_piece(&mut rng), "days": rng.below(14),
                               "notes": text_piece(&mut rng)})
            .to_string();
            let mut rest = input.as_str();
            while !rest.is_empty() {
                let mut cut = (1 + rng.below(24)).min(rest.len());
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                let (piece, after) = rest.split_at(cut);
                out.push_str(&delta_event(
                    index,
                    "input_json_delta",
                    "partial_json",
                    piece,
                ));
                rest = after;
            }
        } else {
            let text = json!({"type": "text", "text": ""});
            out.push_str(&block_event("content_block_start", index, text));
            for _ in 0..(50 + rng.below(400)) {
                out.push_str(&delta_event(
                    index,
                    "text_delta",
                    "text",
                    &text_piece(&mut rng),
                ));
                if rng.below(100) == 0 {
                    out.push_str(&ping());
                }
            }
        }
        out.push_str(&block_event("content_block_stop", index, json!(null)));
        index += 1;
    }
    let end = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
                     "stop_sequence": null}, "usage": {"output_tokens": 2_000_000}});
    out.push_str(&encode_event("message_delta", &end.to_string()));
    out.push_str(&encode_event("message_stop", r#"{"type":"message_stop"}"#));
    out.into_bytes()
}

/// Chunk sizes between 1 and 16 KB, fixed per run.
fn chunk_sizes(total: usize) -> Vec<usize> {
    let mut rng = Rng(0xC0FF_EE00_0000_0042);
    let mut sizes = Vec::new();
    let mut covered = 0;
    while covered < total {
        let size = 1024 + rng.below(15 * 1024 + 1);
        sizes.push(size);
        covered += size;
    }
    sizes
}

fn chunks<'a>(stream: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    for &size in sizes {
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        out.push(chunk);
        rest = after;
    }
    out
}

fn parse_only(chunks: &[&[u8]]) -> usize {
    let mut parser = SseParser::new();
    let mut events = 0;
    for chunk in chunks {
        parser.feed_each(chunk, |event| events += event.data.len());
    }
    events
}

fn parse_typed(chunks: &[&[u8]]) -> usize {
    let mut parser = SseParser::new();
    let mut typed = 0;
    for chunk in chunks {
        parser.feed_each(chunk, |event| {
            if let Ok(event) = StreamEvent::parse(event) {
                typed += matches!(event, StreamEvent::ContentBlockDelta { .. }) as usize;
            }
        });
    }
    typed
}

fn parse_and_assemble(chunks: &[&[u8]]) -> usize {
    let mut parser = SseParser::new();
    let mut assembler = MessageAssembler::new();
    for chunk in chunks {
        parser.feed_each(chunk, |event| {
            let typed = StreamEvent::parse(event).expect("bench stream is valid");
            assembler
                .apply(&typed)
                .expect("bench stream is well formed");
        });
    }
    assert!(assembler.is_complete());
    let message = assembler.finish().expect("bench stream has message_start");
    message.content.len()
}

fn bench_sse(c: &mut Criterion) {
    let stream = realistic_stream();
    let sizes = chunk_sizes(stream.len());
    let chunks = chunks(&stream, &sizes);
    let mut group = c.benchmark_group("sse");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.sample_size(20);
    group.bench_function("parse", |b| b.iter(|| parse_only(black_box(&chunks))));
    group.bench_function("parse+typed", |b| {
        b.iter(|| parse_typed(black_box(&chunks)))
    });
    group.bench_function("parse+typed+assemble", |b| {
        b.iter(|| parse_and_assemble(black_box(&chunks)))
    });
    group.finish();
}

criterion_group!(benches, bench_sse);
criterion_main!(benches);
