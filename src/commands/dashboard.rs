//! `claudetui` and `claudetui --demo`: resolve everything the dashboard
//! needs, then hand the terminal to it.

use crate::commands::{CommandError, Context, Exit};
use crate::config::{self, Credential, CredentialKind, Profile, Secret, Source, Sourced};
use crate::mock::scenario::Scenario;
use crate::mock::{MockConfig, MockServer};
use crate::tui::keymap::Keymap;
use crate::tui::runtime::{self, Options};
use crate::tui::samples;

/// The demo's scenario: limits that drain and refill, now and then a 429
/// or a 529, streaming at a readable pace.
pub const DEMO_SCENARIO: &str = "lively";

/// A key for the embedded server, which accepts any non-empty key. It is
/// shaped like a real one so the masking shows as it will with yours.
const DEMO_KEY: &str = "sk-ant-demo01-embedded-server-accepts-any-key-0000-DEMO";

pub async fn run(ctx: &Context, demo: bool, retries: u32) -> Result<Exit, CommandError> {
    let keys = config::key_settings(&ctx.paths.config_file)?;
    let file = ctx.paths.config_file.display().to_string();
    let keymap =
        Keymap::with_overrides(&keys, &file).map_err(|e| CommandError::Usage(e.to_string()))?;
    let sample = samples::default_sample();
    let sample = (sample.name.to_string(), sample.body.to_string());
    if demo {
        return run_demo(ctx, keymap, sample, retries).await;
    }
    let options = Options {
        profile: ctx.profile()?,
        demo: false,
        keymap,
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        overrides: ctx.overrides.clone(),
        store_path: Some(ctx.paths.history_db()),
        draft_path: ctx.paths.data_dir.join("draft.json"),
        sample,
        retries,
    };
    runtime::run(options)
        .await
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    Ok(Exit::Ok)
}

/// The embedded server on an ephemeral loopback port and a temporary
/// history; the draft is kept in the real data dir, so nothing typed in
/// the demo is lost either.
async fn run_demo(
    ctx: &Context,
    keymap: Keymap,
    sample: (String, String),
    retries: u32,
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
    let options = Options {
        profile: demo_profile(&server.base_url()),
        demo: true,
        keymap,
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        overrides: ctx.overrides.clone(),
        store_path: Some(history.path().join("history.db")),
        draft_path: ctx.paths.data_dir.join("draft-demo.json"),
        sample,
        retries,
    };
    let result = runtime::run(options).await;
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
