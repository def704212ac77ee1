//! `claudetui` and `claudetui --demo`: resolve everything the dashboard
//! needs, then hand the terminal to it.

use crate::commands::{CommandError, Context, Exit};
use crate::config::{self, Credential, CredentialKind, Profile, Secret, Source, Sourced};
use crate::engine::EventSender;
use crate::engine::client::ClientSettings;
use crate::mock::scenario::Scenario;
use crate::mock::{MockConfig, MockServer};
use crate::store::Store;
use crate::tap::{TapConfig, TapServer};
use crate::tui::keymap::Keymap;
use crate::tui::runtime::{self, Options, TapFeed};
use crate::tui::samples;

/// The demo's scenario: limits that drain and refill, now and then a 429
/// or a 529, streaming at a readable pace.
pub const DEMO_SCENARIO: &str = "lively";

/// A key for the embedded server, which accepts any non-empty key. It is
/// shaped like a real one so the masking shows as it will with yours.
const DEMO_KEY: &str = "sk-ant-demo01-embedded-server-accepts-any-key-0000-DEMO";

/// `--tap`: run the tap beside the dashboard.
#[derive(Debug, Clone)]
pub struct TapChoice {
    /// `--upstream`; the profile's base URL (the demo server in the demo)
    /// otherwise.
    pub upstream: Option<String>,
    pub port: u16,
}

pub async fn run(
    ctx: &Context,
    demo: bool,
    retries: u32,
    tap: Option<TapChoice>,
) -> Result<Exit, CommandError> {
    let keys = config::key_settings(&ctx.paths.config_file)?;
    let file = ctx.paths.config_file.display().to_string();
    let keymap =
        Keymap::with_overrides(&keys, &file).map_err(|e| CommandError::Usage(e.to_string()))?;
    let sample = samples::default_sample();
    let sample = (sample.name.to_string(), sample.body.to_string());
    if demo {
        return run_demo(ctx, keymap, sample, retries, tap).await;
    }
    let profile = ctx.profile()?;
    let store_path = ctx.paths.history_db();
    let tapped = match tap {
        Some(choice) => Some(start_tap(&choice, &profile, Some(&store_path)).await?),
        None => None,
    };
    let (tap_server, feed) = tapped.unzip();
    let options = Options {
        profile,
        demo: false,
        keymap,
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        overrides: ctx.overrides.clone(),
        store_path: Some(store_path),
        draft_path: ctx.paths.data_dir.join("draft.json"),
        sample,
        retries,
        tap: feed,
    };
    let result = runtime::run(options).await;
    if let Some(tap) = tap_server {
        tap.shutdown().await;
    }
    result.map_err(|e| CommandError::Usage(e.to_string()))?;
    Ok(Exit::Ok)
}

/// The tap in front of `--upstream` or the profile's base URL, recording
/// into the dashboard's history, its events fed to the dashboard.
async fn start_tap(
    choice: &TapChoice,
    profile: &Profile,
    store_path: Option<&std::path::Path>,
) -> Result<(TapServer, TapFeed), CommandError> {
    let store = match store_path {
        Some(path) => {
            let (store, recovery) = Store::open(path)?;
            if let Some(recovery) = recovery {
                tracing::warn!(%recovery, "the tap found the history unusable");
            }
            Some(store)
        }
        None => None,
    };
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let config = TapConfig {
        port: choice.port,
        upstream: super::tap::upstream_of(choice.upstream.as_deref(), profile),
        client: ClientSettings::for_profile(profile),
        profile: profile.name.clone(),
        events: EventSender::new(tx),
        store,
        ..TapConfig::new("")
    };
    let tap = TapServer::start(config)
        .await
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    super::tap::check_not_itself(&tap)?;
    let feed = TapFeed {
        address: tap.addr().to_string(),
        events,
    };
    Ok((tap, feed))
}

/// The embedded server on an ephemeral loopback port and a temporary
/// history; the draft is kept in the real data dir, so nothing typed in
/// the demo is lost either.
async fn run_demo(
    ctx: &Context,
    keymap: Keymap,
    sample: (String, String),
    retries: u32,
    tap: Option<TapChoice>,
) -> Result<Exit, CommandError> {
    let scenario = Scenario::load(DEMO_SCENARIO)?;
    let server = MockServer::start(MockConfig {
        scenario,
        ..MockConfig::default()
    })
    .await?;
    let history = tempfile::Builder::new()
        .prefix("claudetui-demo-")
        .tempdir()
        .map_err(|e| CommandError::io("creating the demo's temporary history", e))?;
    let profile = demo_profile(&server.base_url());
    let store_path = history.path().join("history.db");
    let tapped = match tap {
        Some(choice) => Some(start_tap(&choice, &profile, Some(&store_path)).await?),
        None => None,
    };
    let (tap_server, feed) = tapped.unzip();
    let options = Options {
        profile,
        demo: true,
        keymap,
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        overrides: ctx.overrides.clone(),
        store_path: Some(store_path),
        draft_path: ctx.paths.data_dir.join("draft-demo.json"),
        sample,
        retries,
        tap: feed,
    };
    let result = runtime::run(options).await;
    if let Some(tap) = tap_server {
        tap.shutdown().await;
    }
    server.shutdown().await;
    result.map_err(|e| CommandError::Usage(e.to_string()))?;
    Ok(Exit::Ok)
}

pub fn demo_profile(base_url: &str) -> Profile {
    let demo = |value: &str| Sourced::new(value.to_string(), Source::Flag("--demo".into()));
    Profile {
        name: "demo".into(),
        base_url: demo(base_url),
        credential: Some(Credential {
            kind: CredentialKind::ApiKey,
            secret: Secret::new(DEMO_KEY),
            source: Source::Flag("--demo".into()),
        }),
        ..Profile::builtin()
    }
}
