//! The corpus of real failures (`tests/fixtures/failures/*.toml`, each
//! answer as a user posted it, with its link): every answer is served from
//! a loopback server, the fixture's request is sent at it through the
//! engine, and the diagnosis must name the true cause in the words the
//! fixture asks for. See the folder's README for the format.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use claudetui::config::{Credential, CredentialKind, Profile, Secret, Source, Sourced};
use claudetui::doctor::diagnose::diagnose;
use claudetui::engine::{Engine, Event, OutgoingRequest};
use claudetui::exchange::Exchange;
use common::upstream::{self, Step};
use serde::Deserialize;

const DEFAULT_BODY: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    source: String,
    verbatim: bool,
    #[serde(default)]
    client: Option<String>,
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    body: String,
    #[serde(default)]
    request_path: Option<String>,
    #[serde(default)]
    request_headers: Vec<(String, String)>,
    #[serde(default)]
    request_body: Option<String>,
    cause: String,
    kind: String,
    must_contain: Vec<String>,
}

fn fixtures() -> Vec<(PathBuf, Fixture)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/failures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let fixture =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, fixture)
        })
        .collect()
}

fn profile(base_url: &str) -> Profile {
    Profile {
        name: "corpus".into(),
        base_url: Sourced::new(base_url.to_owned(), Source::Default),
        credential: Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(common::TEST_KEY),
            source: Source::Env("ANTHROPIC_API_KEY".into()),
        }),
        ..Profile::builtin()
    }
}

/// The fixture's answer as an HTTP/1.1 response.
fn answer(fixture: &Fixture) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(fixture.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status");
    let headers: Vec<(&str, &str)> = fixture
        .headers
        .iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("content-length")
                && !name.eq_ignore_ascii_case("transfer-encoding")
        })
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    upstream::fixed(
        &format!("{} {reason}", fixture.status),
        &headers,
        fixture.body.as_bytes(),
    )
}

async fn replay(
    engine: &Engine,
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    fixture: &Fixture,
) -> Exchange {
    let up = upstream::start(vec![Step::Write(answer(fixture))]).await;
    let path = fixture.request_path.as_deref().unwrap_or("/v1/messages");
    let body = fixture
        .request_body
        .clone()
        .unwrap_or_else(|| DEFAULT_BODY.to_owned());
    let mut request =
        OutgoingRequest::for_profile(&profile(&up.url()), "POST", path, body).unwrap();
    for (name, value) in &fixture.request_headers {
        request.set_header(name, value);
    }
    let id = engine.send(request);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the exchange finished before the deadline")
            .expect("the engine runs");
        if let Event::Finished(ex) | Event::Failed(ex) | Event::Cancelled(ex) = event
            && ex.id == id
        {
            return *ex;
        }
    }
}

#[tokio::test]
async fn every_real_failure_is_explained_by_its_true_cause() {
    let (engine, mut events) = Engine::spawn(None).unwrap();
    let corpus = fixtures();
    assert!(!corpus.is_empty(), "no fixtures");
    let mut wrong = Vec::new();
    for (path, fixture) in &corpus {
        assert!(
            fixture.source.starts_with("https://"),
            "{}: no link",
            path.display()
        );
        assert!(!fixture.cause.is_empty() && !fixture.must_contain.is_empty());
        let _ = (&fixture.client, fixture.verbatim);
        let exchange = replay(&engine, &mut events, fixture).await;
        let diagnosis = diagnose(&exchange);
        let kind = exchange.outcome.slug();
        let text = std::iter::once(diagnosis.headline.as_str())
            .chain(diagnosis.explanation.iter().map(String::as_str))
            .chain(std::iter::once(diagnosis.fix.as_str()))
            .collect::<Vec<_>>()
            .join("\n");
        let lower = text.to_lowercase();
        let missing: Vec<&String> = fixture
            .must_contain
            .iter()
            .filter(|w| !lower.contains(&w.to_lowercase()))
            .collect();
        if kind != fixture.kind || !missing.is_empty() {
            wrong.push(format!(
                "{} ({})\n  cause: {}\n  want {} with {:?}; got {kind}, missing {missing:?}\n  {}",
                path.file_name().unwrap().to_string_lossy(),
                fixture.source,
                fixture.cause,
                fixture.kind,
                fixture.must_contain,
                text.replace('\n', "\n  ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} real failures are not explained by their cause:\n\n{}",
        wrong.len(),
        corpus.len(),
        wrong.join("\n\n")
    );
}
